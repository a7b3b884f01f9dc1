package pdf

import (
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// letterPDF lays out and writes the letter case (noticetest.Letter).
func letterPDF(t *testing.T) (*notice.Document, []byte, []string) {
	t.Helper()
	r := mustPDFRenderer(t)
	n, want := noticetest.Letter(t, readNotice)
	d, err := r.LayoutWith(n, notice.Extras{})
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := r.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("DOCFLOW_KEEP_PDF") != "" {
		_ = os.WriteFile(filepath.Join(repoRoot(t), "artifacts", "pdf", "letter.pdf"), pdf, 0o644)
	}
	return d, pdf, want
}

// TestLetterText: the letter's layout and the text pdftotext extracts
// from its PDF both read letter.golden.txt, element by element.
func TestLetterText(t *testing.T) {
	d, pdf, want := letterPDF(t)
	if got := d.Lines(); !slices.Equal(got, want) {
		t.Errorf("layout text differs from letter.golden.txt:\n got %q\nwant %q", got, want)
	}
	rest := squash(strings.Join(textLines(t, pdf), ""))
	for i, w := range want {
		w = squash(w)
		if !strings.HasPrefix(rest, w) {
			t.Fatalf("letter.golden.txt line %d not next in the PDF's text:\nwant: %s\n got: %.200s", i+1, w, rest)
		}
		rest = rest[len(w):]
	}
	if rest != "" {
		t.Errorf("PDF has text after letter.golden.txt's last line: %.200q", rest)
	}
}

// TestLetterLayout measures the letter's PDF against GB/T 9704-2012
// clause 10.1 (信函格式) and the clauses it keeps from the report: text
// positions from pdftotext -bbox-layout, the mark and the red double
// lines from the pixels of 1200 dpi renderings.
func TestLetterLayout(t *testing.T) {
	_, pdf, _ := letterPDF(t)
	pages, lines := bboxWords(t, pdf), bboxLines(t, pdf)
	if len(pages) != 2 || len(lines) != 2 {
		t.Fatalf("%d pages; the letter case is written to take two", len(pages))
	}
	find := func(page int, prefix string) bbox {
		t.Helper()
		for _, w := range pages[page-1] {
			if strings.HasPrefix(w.text, prefix) {
				return w
			}
		}
		t.Fatalf("page %d has no word starting %q", page, prefix)
		return bbox{}
	}

	t.Run("TypeArea", func(t *testing.T) {
		// Page 1's body runs from the addressee to the grid's last line;
		// page 2 starts on its first line.
		var body []bbox
		for _, l := range lines[0] {
			if l.yMin >= find(1, "王某某代表").yMin {
				body = append(body, l)
			}
		}
		left, right := math.Inf(1), math.Inf(-1)
		for _, w := range body {
			left, right = min(left, w.xMin), max(right, w.xMax)
		}
		first, last := body[0], body[len(body)-1]
		k := float64(len(body) - 1)
		measuredPitch := (last.yMin - first.yMin) / k
		top2 := lines[1][0].yMin
		t.Logf("type area: left %.2fmm, right %.2fmm (width %.2fmm); page 1's last line ends %.2fmm, page 2's first begins %.2fmm; line pitch %.2fpt over %d lines",
			toMM(left), toMM(right), toMM(right-left), toMM(last.yMax), toMM(top2), measuredPitch, len(body))
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"left edge", toMM(left), 28}, {"width", toMM(right - left), 156}, {"bottom", toMM(last.yMax), 37 + 225}, {"top (page 2)", toMM(top2), 37}} {
			if !within(c.got, c.want, 0.3) {
				t.Errorf("type area %s = %.2fmm; want %.0fmm [5.2.1]", c.name, c.got, c.want)
			}
		}
		for i := 1; i < len(body); i++ {
			if d := body[i].yMin - body[i-1].yMin; !within(d, pitch, 0.05) {
				t.Errorf("line %q is %.2fpt below the one before; want the grid's %.2fpt (22 lines) [5.2.3]", body[i].text, d, pitch)
			}
		}
		// Full lines of Chinese hold 28 characters, or 27 where a
		// character went on with punctuation that may not start a line.
		full, grid := 0, 0
		for _, l := range append(body, lines[1]...) {
			if !within(l.xMin, areaL, 0.5) || !within(l.xMax, areaL+areaW, 0.5) || !utf8Wide(l.text) {
				continue
			}
			full++
			switch n := len([]rune(l.text)); n {
			case charsPerLine:
				grid++
			case charsPerLine - 1:
			default:
				t.Errorf("full line of %d characters; want %d [5.2.3]: %s", n, charsPerLine, l.text)
			}
		}
		t.Logf("%d of %d full lines of Chinese hold 28 characters", grid, full)
		if grid < full/2 || full < 5 {
			t.Errorf("%d of %d full lines hold 28 characters; want most [5.2.3]", grid, full)
		}
	})

	head := redScan(t, pdf, 1, 20, 60)
	foot := redScan(t, pdf, 1, 265, 290)
	t.Run("Mark", func(t *testing.T) {
		t.Logf("mark: top edge %.2fmm from the paper's top, bottom edge %.2fmm", head.markTop, head.markBottom)
		if !within(head.markTop, 30, 0.5) {
			t.Errorf("mark's top edge %.2fmm from the paper's top; want 30mm [10.1]", head.markTop)
		}
		m := find(1, "上海市临江区民政局")
		if !within((m.xMin+m.xMax)/2, areaL+areaW/2, 0.5) {
			t.Errorf("mark centred at %.2fmm; want the type area's centre, %.2fmm", toMM((m.xMin+m.xMax)/2), toMM(areaL+areaW/2))
		}
	})
	thick, thin, gap := toMM(notice.LetterRuleThick), toMM(notice.LetterRuleThin), toMM(notice.LetterRuleGap)
	checkRule := func(t *testing.T, name string, rs []redRun, upper, lower float64) {
		t.Helper()
		if len(rs) != 2 {
			t.Fatalf("%s: %d red lines; want a double line %v", name, len(rs), rs)
		}
		a, b := rs[0], rs[1]
		t.Logf("%s: lines %.3f–%.3fmm (%.3fmm) and %.3f–%.3fmm (%.3fmm), %.3fmm apart; %.2f–%.2fmm across (%.2fmm, centre %.2fmm; the page's centre is 105mm, the type area's 106mm)",
			name, a.top, a.bottom, a.bottom-a.top, b.top, b.bottom, b.bottom-b.top, b.top-a.bottom, a.left, a.right, a.right-a.left, (a.left+a.right)/2)
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"upper line's width", a.bottom - a.top, upper}, {"lower line's width", b.bottom - b.top, lower}, {"gap", b.top - a.bottom, gap}} {
			if !within(c.got, c.want, 0.05) {
				t.Errorf("%s: %s %.3fmm; want %.3fmm (notice.LetterRule*)", name, c.what, c.got, c.want)
			}
		}
		for _, r := range rs {
			if !within(r.right-r.left, 170, 0.2) {
				t.Errorf("%s: %.2fmm long; want 170mm [10.1]", name, r.right-r.left)
			}
			if !within((r.left+r.right)/2, 28+156.0/2, 0.2) {
				t.Errorf("%s: centred at %.2fmm; want 106mm, the type area's centre, as the mark [10.1]", name, (r.left+r.right)/2)
			}
		}
	}
	t.Run("FirstDoubleLine", func(t *testing.T) {
		checkRule(t, "first double line (上粗下细)", head.runs, thick, thin)
		if len(head.runs) > 0 {
			d := head.runs[0].top - head.markBottom
			t.Logf("first double line %.2fmm below the mark", d)
			if !within(d, 4, 0.2) {
				t.Errorf("first double line %.2fmm below the mark; want 4mm [10.1]", d)
			}
		}
	})
	t.Run("SecondDoubleLine", func(t *testing.T) {
		checkRule(t, "second double line (上细下粗)", foot.runs, thin, thick)
		if len(foot.runs) != 2 {
			return
		}
		t.Logf("second double line's lower edge %.2fmm above the paper's foot", 297-foot.runs[1].bottom)
		if !within(297-foot.runs[1].bottom, 20, 0.1) {
			t.Errorf("second double line's lower edge %.2fmm above the paper's foot; want 20mm [10.1]", 297-foot.runs[1].bottom)
		}
		// Text on the line above it must stand 7/8 of a 3号 character
		// (14pt) above it [10.1]: the type area ends well above it, so
		// the lowest text of page 1 keeps at least that.
		lowest := 0.0
		for _, w := range pages[0] {
			lowest = max(lowest, w.yMax)
		}
		d := foot.runs[0].top - toMM(lowest)
		t.Logf("lowest text of page 1 ends %.2fmm (%.1fpt) above the second double line", d, d*mm)
		if d*mm < bodySize*7/8-0.1 {
			t.Errorf("text %.1fpt above the second double line; want at least 14pt [10.1]", d*mm)
		}
		img := raster(t, pdf, 2, 150)
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if isRed(img, x, y) {
					t.Fatalf("page 2 has red at %.1fmm from the top; the double lines belong to the first page", float64(y)*pxMM(img))
				}
			}
		}
	})
	t.Run("ResultAndNumber", func(t *testing.T) {
		res, num := find(1, "A"), find(1, "临民建")
		if len(head.runs) != 2 {
			t.Fatal("no first double line to measure from")
		}
		below := head.runs[1].bottom
		t.Logf("result %q at %.2fmm from the left edge, number %q ends %.2fmm from the right edge of the type area; their characters %.2fpt and %.2fpt below the double line",
			res.text, toMM(res.xMin)-28, num.text, 184-toMM(num.xMax), (res.yMin - below*mm), (num.yMin - below*mm))
		if !within(res.xMin, areaL, 0.5) {
			t.Errorf("result starts %.2fmm; want flush with the type area's left edge, 28mm [10.1]", toMM(res.xMin))
		}
		if !within(num.xMax, areaL+areaW, 0.5) {
			t.Errorf("number ends %.2fmm; want flush with the type area's right edge, 184mm [10.1]", toMM(num.xMax))
		}
		for _, w := range []bbox{res, num} {
			if !within(w.yMin-below*mm, bodySize*7/8, 0.5) {
				t.Errorf("%s's characters %.2fpt below the double line; want 7/8 of 16pt = 14pt [10.1]", w.text, w.yMin-below*mm)
			}
		}
	})
	t.Run("Title", func(t *testing.T) {
		num, title := find(1, "临民建"), find(1, "关于区")
		t.Logf("title %.2fpt below the number's line (two lines: %.2fpt), centred at %.2fmm", title.yMin-num.yMax, 2*pitch, toMM((title.xMin+title.xMax)/2))
		if !within(title.yMin-num.yMax, 2*pitch, 0.5) {
			t.Errorf("title %.2fpt below the number; want two lines, %.2fpt [10.1]", title.yMin-num.yMax, 2*pitch)
		}
		if !within((title.xMin+title.xMax)/2, areaL+areaW/2, 1) {
			t.Errorf("title centred at %.2fmm; want 106mm [7.3.1]", toMM((title.xMin+title.xMax)/2))
		}
	})
	t.Run("PageNumbers", func(t *testing.T) {
		for i, page := range lines {
			var f string
			var at bbox
			for _, l := range page {
				if folioLine.MatchString(l.text) {
					f, at = l.text, l
				}
			}
			switch i {
			case 0:
				if f != "" {
					t.Errorf("page 1 numbered %q; a letter's first page has none [10.1]", f)
				}
			default:
				if squash(f) != "—"+strconv.Itoa(i+1)+"—" {
					t.Errorf("page %d numbered %q", i+1, f)
				}
				t.Logf("page %d numbered %q, starting %.2fmm from the paper's left edge", i+1, f, toMM(at.xMin))
				if !within(toMM(at.xMin), 28+toMM(folioSize), 0.5) {
					t.Errorf("even page %d: number starts at %.2fmm; want %.2fmm (left, one character in) [7.5]", i+1, toMM(at.xMin), 28+toMM(folioSize))
				}
			}
		}
	})
	t.Run("Record", func(t *testing.T) {
		last := len(pages)
		cc := find(last, "抄送")
		t.Logf("抄送 line ends %.2fmm from the top (type area bottom 262mm), at %.2fmm from the left edge", toMM(cc.yMax), toMM(cc.xMin))
		if !within(toMM(cc.yMax), 37+225, 0.3) {
			t.Errorf("抄送 ends %.2fmm; want on the type area's bottom edge, 262mm [10.1]", toMM(cc.yMax))
		}
		for _, page := range pages {
			for _, w := range page {
				if strings.Contains(w.text, "印发") {
					t.Errorf("the letter prints %q; its 版记 has no 印发机关 nor 印发日期 [10.1]", w.text)
				}
			}
		}
		if rule := lowestRule(raster(t, pdf, last, 300)); rule >= 0 {
			t.Errorf("last page has a rule ending %.2fmm; a letter's 版记 has none [10.1]", rule)
		}
	})
}

func utf8Wide(s string) bool {
	for _, r := range s {
		if notice.Ems(r) != 1 {
			return false
		}
	}
	return true
}

// bboxWords parses pdftotext -bbox-layout into words, page by page, in
// points from the top left.
func bboxWords(tb testing.TB, pdf []byte) [][]bbox {
	tb.Helper()
	pages := bboxes(tb, pdf, "word")
	for _, p := range pages {
		slices.SortStableFunc(p, func(a, b bbox) int {
			if math.Abs(a.yMin-b.yMin) > 1 {
				return int(math.Copysign(1, a.yMin-b.yMin))
			}
			return int(math.Copysign(1, a.xMin-b.xMin))
		})
	}
	return pages
}

// redRun is a horizontal red line found in a rendering: its top and
// bottom edges and its left and right ends, in mm from the paper's top
// left.
type redRun struct{ top, bottom, left, right float64 }

// redScanned is what redScan finds: the top and bottom of the red ink
// that is not a line (the mark; −1 if none) and the red lines.
type redScanned struct {
	markTop, markBottom float64
	runs                []redRun
}

// redScan renders the band from mm to mm of a page at 1200 dpi (a pixel
// is 0.021mm) and finds its red: rows red over more than 150mm are lines,
// consecutive such rows one line; other red rows above the first line
// are the mark.
func redScan(tb testing.TB, pdf []byte, page int, from, to float64) redScanned {
	tb.Helper()
	const dpi = 1200
	img := rasterBand(tb, pdf, page, dpi, from, to)
	s := 25.4 / dpi
	b := img.Bounds()
	out := redScanned{markTop: -1, markBottom: -1}
	inRun := false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n, left, right := 0, -1, -1
		for x := b.Min.X; x < b.Max.X; x++ {
			if isRed(img, x, y) {
				n++
				if left < 0 {
					left = x
				}
				right = x
			}
		}
		top, bottom := from+float64(y)*s, from+float64(y+1)*s
		switch {
		case float64(n)*s > 150:
			l, r := float64(left)*s, float64(right+1)*s
			if !inRun {
				out.runs = append(out.runs, redRun{top: top, left: l, right: r})
			}
			run := &out.runs[len(out.runs)-1]
			run.bottom, run.left, run.right = bottom, min(run.left, l), max(run.right, r)
			inRun = true
			continue
		case n > 0 && len(out.runs) == 0:
			if out.markTop < 0 {
				out.markTop = top
			}
			out.markBottom = bottom
		}
		inRun = false
	}
	return out
}

// rasterBand renders the band from mm to mm of a page at dpi, the whole
// width of the paper.
func rasterBand(tb testing.TB, pdf []byte, page, dpi int, from, to float64) image.Image {
	tb.Helper()
	needTool(tb, "pdftoppm")
	dir := tb.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	px := func(mm float64) string { return strconv.Itoa(int(math.Round(mm / 25.4 * float64(dpi)))) }
	p := strconv.Itoa(page)
	out, err := exec.Command("pdftoppm", "-png", "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-singlefile",
		"-x", "0", "-y", px(from), "-W", px(210), "-H", px(to-from), in, filepath.Join(dir, "band")).CombinedOutput()
	if err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	return decodePNG(tb, filepath.Join(dir, "band.png"))
}

func decodePNG(tb testing.TB, file string) image.Image {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// TestLetterVariants lays out letters beyond the case: without result,
// number or 抄送, sealed, with a 附注 and a 附件 page, and long. The
// first page is never numbered and alone has the red double lines; the
// later content pages are numbered; a 版记 has no rules [10.1].
func TestLetterVariants(t *testing.T) {
	r := mustPDFRenderer(t)
	base, _ := noticetest.Letter(t, readNotice)
	for name, change := range map[string]func(n *workflow.Notice, x *notice.Extras){
		"Case":     func(*workflow.Notice, *notice.Extras) {},
		"NoResult": func(n *workflow.Notice, _ *notice.Extras) { n.Letter.Result = "" },
		"Preview":  func(n *workflow.Notice, _ *notice.Extras) { n.Number, n.Letter.Result = "", "" },
		"NoCC":     func(n *workflow.Notice, _ *notice.Extras) { n.CC = nil },
		"Sealed": func(n *workflow.Notice, x *notice.Extras) {
			x.Seal, x.Note = noticetest.Seal(t, 100), "此件主动公开"
		},
		"Annex": func(n *workflow.Notice, x *notice.Extras) {
			x.Attachments, x.AttachmentBodies = []string{"办理情况表"}, []string{"# 说明\n\n正文。"}
		},
		"Long": func(n *workflow.Notice, _ *notice.Extras) { n.Body = strings.Repeat(n.Body+"\n\n", 6) },
		"Short": func(n *workflow.Notice, _ *notice.Extras) {
			n.Body = "您提出的建议收悉。现答复如下：\n\n已办理。"
		},
	} {
		t.Run(name, func(t *testing.T) {
			n := *base
			l := *base.Letter
			n.Letter = &l
			var x notice.Extras
			change(&n, &x)
			d, err := r.LayoutWith(&n, x)
			if err != nil {
				t.Fatal(err)
			}
			ts, err := typeset(r.fonts, d)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range ts.sheets {
				reds, blacks := 0, 0
				for _, l := range s.lines {
					switch l.color {
					case red:
						reds++
					case black:
						blacks++
					}
				}
				wantRed := 0
				if i == 0 {
					wantRed = 4
				}
				if reds != wantRed {
					t.Errorf("page %d has %d red lines; want %d", i+1, reds, wantRed)
				}
				if blacks > 0 {
					t.Errorf("page %d has %d black rules; a letter's 版记 has none", i+1, blacks)
				}
				if want := i > 0 && s.kind == sheetContent; (s.folio == i+1) != want {
					t.Errorf("page %d (kind %d) numbered %d", i+1, s.kind, s.folio)
				}
			}
			if len(ts.sheets)%2 != 0 {
				t.Errorf("%d pages; the 版记's page is even", len(ts.sheets))
			}
			if _, err := writePDF(r.fonts, d, ts.sheets, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// readNotice is notice.ReadFile for noticetest.Letter.
func readNotice(src []byte) (*workflow.Notice, error) {
	n, _, err := notice.ReadFile(src)
	return n, err
}
