package pdf

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// repoRoot is the directory of go.mod, where artifacts/ goes.
func repoRoot(tb testing.TB) string { return noticetest.RepoRoot(tb) }

// missing skips the test, or fails it on CI, where everything the tests
// need must be installed (make test runs infra/local/tools.sh).
func missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s; on CI this is a failure: run `bash infra/local/tools.sh` (make tools) first", what)
	}
	tb.Skipf("%s; run `make tools` (bash infra/local/tools.sh) to run the PDF tests", what)
}

// fontDir returns the fonts directory of the tools (noticetest.Tools), where
// make tools puts the Fandol fonts, skipping (or failing on CI) when they
// are absent.
func fontDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(noticetest.Tools(tb), "fonts")
	for _, f := range FontFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing(tb, "PDF fonts missing: "+f+" not in "+dir)
		}
	}
	return dir
}

// needTool skips (or fails on CI) when a poppler tool is not installed.
func needTool(tb testing.TB, name string) {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		missing(tb, name+" (poppler-utils) not installed")
	}
}

var update = flag.Bool("update", false, "rewrite testdata/jingan-2025-17.pdf.txt")

// renderer is the notice layout with this package's writer beside it, as
// publishing uses them.
type renderer struct {
	*notice.Renderer
	*Writer
	fonts *fontSet
}

func mustPDFRenderer(tb testing.TB) renderer {
	tb.Helper()
	dir := fontDir(tb)
	r, err := notice.New()
	if err != nil {
		tb.Fatal(err)
	}
	w, err := New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	fonts, err := loadFonts(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return renderer{r, w, fonts}
}

func mustPDF(tb testing.TB, r renderer, n *workflow.Notice, x notice.Extras) []byte {
	tb.Helper()
	d, err := r.LayoutWith(n, x)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := r.PDF(d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var fixture struct {
	once sync.Once
	pdf  []byte
}

// fixturePDF renders the seed case once for all tests of a run.
func fixturePDF(tb testing.TB) []byte {
	tb.Helper()
	r := mustPDFRenderer(tb)
	fixture.once.Do(func() {
		n, _ := noticetest.Fixture(tb)
		fixture.pdf = mustPDF(tb, r, n, notice.Extras{})
	})
	if fixture.pdf == nil {
		tb.Fatal("fixture PDF failed in an earlier test")
	}
	return fixture.pdf
}

// poppler runs a poppler tool on pdf and returns its standard output.
func poppler(tb testing.TB, pdf []byte, tool string, args ...string) []byte {
	tb.Helper()
	needTool(tb, tool)
	in := filepath.Join(tb.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(tool, append(args, in, "-")...)
	if tool == "pdffonts" || tool == "pdfinfo" {
		cmd = exec.Command(tool, append(args, in)...)
	}
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s: %v: %s", tool, err, stderr.Bytes())
	}
	return out.Bytes()
}

var folioLine = regexp.MustCompile(`^—\s*\d+\s*—$`)

// textLines is pdftotext's plain output as lines, page numbers and empty
// lines left out.
func textLines(tb testing.TB, pdf []byte) []string {
	tb.Helper()
	var lines []string
	for l := range strings.Lines(string(poppler(tb, pdf, "pdftotext", "-enc", "UTF-8"))) {
		l = strings.TrimSpace(strings.Trim(l, "\f\n"))
		if l == "" || folioLine.MatchString(l) {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// TestPDFText is the acceptance check on the PDF's text: pdftotext gives
// report.txt, element by element, in order. Lines of the PDF are wrapped
// paragraphs, so the comparison is on the text with whitespace removed,
// each report.txt line found where the previous one ended.
func TestPDFText(t *testing.T) {
	pdf := fixturePDF(t)
	lines := checkText(t, pdf)
	checkPDFGolden(t, "jingan-2025-17.pdf.txt", []byte(strings.Join(lines, "\n")+"\n"))
}

// checkText checks that pdf's text is report.txt's and returns its lines.
func checkText(t *testing.T, pdf []byte) []string {
	t.Helper()
	lines := textLines(t, pdf)
	got := squash(strings.Join(lines, ""))
	_, want := noticetest.Fixture(t)
	rest := got
	for i, w := range want {
		w = squash(w)
		if !strings.HasPrefix(rest, w) {
			t.Fatalf("report.txt line %d not next in the PDF's text:\nwant: %s\n got: %.200s", i+1, w, rest)
		}
		rest = rest[len(w):]
	}
	if rest != "" {
		t.Errorf("PDF has text after report.txt's last line: %.200q", rest)
	}
	return lines
}

// checkGoldenFile compares got with testdata/name, rewriting it with -update.
func checkPDFGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v; run `go test ./internal/notice/pdf -update` to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs at %s; run `go test ./internal/notice/pdf -update` and review the diff", golden, noticetest.FirstDiff(got, want))
	}
}

// TestPDFFonts: every font is an embedded subset (pdffonts: emb yes, sub
// yes, a six-letter tag), CID-keyed CFF with a ToUnicode map.
func TestPDFFonts(t *testing.T) {
	out := string(poppler(t, fixturePDF(t), "pdffonts"))
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) < 3 {
		t.Fatalf("pdffonts lists no fonts:\n%s", out)
	}
	seen := map[string]bool{}
	tagged := regexp.MustCompile(`^[A-Z]{6}\+(Fandol\S+)\s+CID Type 0C\s+Identity-H\s+yes\s+yes\s+yes\s`)
	for _, row := range rows[2:] {
		m := tagged.FindStringSubmatch(row)
		if m == nil {
			t.Errorf("font not an embedded subset CID CFF font with ToUnicode: %s", row)
			continue
		}
		seen[m[1]] = true
	}
	for _, f := range []string{"FandolFang-Regular", "FandolHei-Regular", "FandolKai-Regular", "FandolSong-Regular", "FandolSong-Bold"} {
		if !seen[f] {
			t.Errorf("pdffonts lacks %s:\n%s", f, out)
		}
	}
}

func TestPDFMetadataRecordsSubstitution(t *testing.T) {
	out := string(poppler(t, fixturePDF(t), "pdfinfo"))
	for _, want := range []string{"Keywords:        font-substitution: 方正小标宋 → FandolSong-Bold", "Title:           静府议〔2025〕17号 上海市静安区人民政府关于", "Page size:       595.28 x 841.89 pts (A4)"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, out)
		}
	}
}

// TestPDFLineBreaking: no line of any page starts with closing punctuation
// or ends with opening punctuation (避头尾), in the seed case and in a body
// built to provoke it.
func TestPDFLineBreaking(t *testing.T) {
	r := mustPDFRenderer(t)
	n, _ := noticetest.Fixture(t)
	provoke := &workflow.Notice{Mark: n.Mark, Number: n.Number, Title: "标点测试", Signer: n.Signer, Date: n.Date, Office: n.Office,
		Body: strings.Repeat("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇宙，。", 6) + "\n\n" +
			strings.Repeat("一二三四五六七八九十一二三四五六七八九十一二三四五“六七》》。", 5) + "\n\n" +
			strings.Repeat("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇（《宙", 4)}
	for name, pdf := range map[string][]byte{"fixture": fixturePDF(t), "provoke": mustPDF(t, r, provoke, notice.Extras{})} {
		for _, l := range textLines(t, pdf) {
			first, _ := utf8.DecodeRuneInString(l)
			last, _ := utf8.DecodeLastRuneInString(l)
			if notice.NoLineStart(first) {
				t.Errorf("%s: line starts with %q: %s", name, first, l)
			}
			if notice.NoLineEnd(last) {
				t.Errorf("%s: line ends with %q: %s", name, last, l)
			}
		}
	}
}

// bbox is one line of pdftotext -bbox-layout, in points from the top left.
type bbox struct {
	page                   int
	xMin, yMin, xMax, yMax float64
	text                   string
}

// bboxLines parses pdftotext -bbox-layout into lines.
func bboxLines(tb testing.TB, pdf []byte) [][]bbox { return bboxes(tb, pdf, "line") }

// bboxes parses pdftotext -bbox-layout into its elements named elem
// (line or word), page by page, in points from the top left.
func bboxes(tb testing.TB, pdf []byte, elem string) [][]bbox {
	tb.Helper()
	out := poppler(tb, pdf, "pdftotext", "-bbox-layout", "-enc", "UTF-8")
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var pages [][]bbox
	var cur *bbox
	attr := func(se xml.StartElement, name string) float64 {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				v, _ := strconv.ParseFloat(a.Value, 64)
				return v
			}
		}
		return 0
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "page":
				pages = append(pages, nil)
			case elem:
				cur = &bbox{page: len(pages), xMin: attr(e, "xMin"), yMin: attr(e, "yMin"), xMax: attr(e, "xMax"), yMax: attr(e, "yMax")}
			}
		case xml.CharData:
			if cur != nil {
				cur.text += strings.TrimSpace(string(e))
			}
		case xml.EndElement:
			if e.Name.Local == elem && cur != nil && len(pages) > 0 {
				pages[len(pages)-1] = append(pages[len(pages)-1], *cur)
				cur = nil
			}
		}
	}
	if len(pages) == 0 {
		tb.Fatalf("pdftotext -bbox-layout gave no pages")
	}
	return pages
}

func toMM(pt float64) float64 { return pt / mm }

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// TestPDFLayout measures the seed case's PDF from the PDF itself, against
// GB/T 9704-2012: text positions from pdftotext -bbox-layout, the red
// header, rule and page-number dash from pixels of a 300 dpi rendering.
func TestPDFLayout(t *testing.T) { checkLayout(t, fixturePDF(t)) }

// checkLayout measures a PDF of the seed case against GB/T 9704-2012.
func checkLayout(t *testing.T, pdf []byte) {
	pages := bboxLines(t, pdf)
	if len(pages)%2 != 0 {
		t.Errorf("%d pages; the last page (版记) must be even [7.4]", len(pages))
	}

	// A full page: page 2 holds only body text and its number.
	var body []bbox
	for _, l := range pages[1] {
		if !folioLine.MatchString(l.text) {
			body = append(body, l)
		}
	}
	t.Run("TypeArea", func(t *testing.T) {
		if len(body) != linesPerPage {
			t.Fatalf("page 2 has %d body lines; want %d [5.2.3]", len(body), linesPerPage)
		}
		left, right := math.Inf(1), math.Inf(-1)
		for _, l := range body {
			left, right = min(left, l.xMin), max(right, l.xMax)
		}
		top, bottom := body[0].yMin, body[len(body)-1].yMax
		t.Logf("type area measured: left %.2fmm, top %.2fmm, width %.2fmm, height %.2fmm; line pitch %.2fpt",
			toMM(left), toMM(top), toMM(right-left), toMM(bottom-top), (body[len(body)-1].yMin-body[0].yMin)/(linesPerPage-1))
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"left margin", toMM(left), 28}, {"top margin", toMM(top), 37}, {"width", toMM(right - left), 156}, {"height", toMM(bottom - top), 225}} {
			if !within(c.got, c.want, 1) {
				t.Errorf("%s = %.2fmm; want %.0f±1mm [5.2.1]", c.name, c.got, c.want)
			}
		}
	})
	t.Run("CharsPerLine", func(t *testing.T) {
		full := 0
		for _, l := range body {
			if toMM(l.xMin) > 28.5 || toMM(l.xMax) < 183.5 {
				continue // first or last line of a paragraph
			}
			n, wide := 0, true
			for _, r := range l.text {
				n++
				wide = wide && notice.Ems(r) == 1
			}
			if wide {
				full++
				if n != charsPerLine {
					t.Errorf("full line has %d characters; want %d [5.2.3]: %s", n, charsPerLine, l.text)
				}
			}
		}
		if full < 10 {
			t.Errorf("only %d full lines of Chinese on page 2", full)
		}
	})
	t.Run("PageNumbers", func(t *testing.T) {
		for i, page := range pages {
			n := i + 1
			var f *bbox
			for _, l := range page {
				if folioLine.MatchString(l.text) {
					f = &l
				}
			}
			last := n == len(pages)
			if f == nil {
				if !last || len(page) > 3 { // a 版记 page holding only the 版记 has none
					t.Errorf("page %d has no page number", n)
				}
				continue
			}
			if got := squash(f.text); got != "—"+strconv.Itoa(n)+"—" {
				t.Errorf("page %d numbered %q", n, f.text)
			}
			// One 4号 character (14pt) in from the type area's outside edge [7.5].
			if n%2 == 1 && !within(toMM(f.xMax), 184-toMM(folioSize), 0.5) {
				t.Errorf("odd page %d: number ends at %.2fmm; want %.2fmm (right, one character in)", n, toMM(f.xMax), 184-toMM(folioSize))
			}
			if n%2 == 0 && !within(toMM(f.xMin), 28+toMM(folioSize), 0.5) {
				t.Errorf("even page %d: number starts at %.2fmm; want %.2fmm (left, one character in)", n, toMM(f.xMin), 28+toMM(folioSize))
			}
		}
		// The dash 7mm below the type area's bottom edge (262mm), from pixels.
		img := raster(t, pdf, 2, 300)
		dash := dashRow(img, 262, 285)
		t.Logf("page-number dash at %.2fmm from the top (type area bottom + %.2fmm)", dash, dash-262)
		if !within(dash, 262+7, 0.5) {
			t.Errorf("page-number dash at %.2fmm; want 269mm (7mm below the type area) [7.5]", dash)
		}
	})
	t.Run("Header", func(t *testing.T) {
		img := raster(t, pdf, 1, 300)
		redTop, redRule := redRows(img)
		t.Logf("mark top edge %.2fmm (type area top + %.2fmm); red rule top %.2fmm", redTop, redTop-37, redRule)
		if !within(redTop, 37+35, 0.5) {
			t.Errorf("mark's top edge at %.2fmm; want 72mm (35mm below the type area's top) [7.2.4]", redTop)
		}
		numBottom := inkBottom(img, redTop+20, redRule)
		t.Logf("number bottom %.2fmm; rule %.2fmm below it", numBottom, redRule-numBottom)
		if !within(redRule-numBottom, 4, 0.3) {
			t.Errorf("red rule %.2fmm below the number; want 4mm [7.2.7]", redRule-numBottom)
		}
	})
	t.Run("RecordOnLastEvenPage", func(t *testing.T) {
		last := len(pages)
		img := raster(t, pdf, last, 300)
		rule := lowestRule(img)
		t.Logf("last page %d: 版记's last rule bottom at %.2fmm", last, rule)
		if !within(rule, 37+225, 0.3) {
			t.Errorf("版记's last rule ends at %.2fmm; want 262mm, the type area's bottom edge [7.4.1]", rule)
		}
		var office bool
		for _, l := range pages[last-1] {
			office = office || strings.Contains(l.text, "印发")
		}
		if !office {
			t.Errorf("last page lacks the 印发 line")
		}
	})
}

// raster renders one page at dpi with pdftoppm.
func raster(tb testing.TB, pdf []byte, page, dpi int) image.Image {
	tb.Helper()
	needTool(tb, "pdftoppm")
	dir := tb.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	p := strconv.Itoa(page)
	out, err := exec.Command("pdftoppm", "-png", "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
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

// pxMM is the size of a pixel in mm for an A4 page rendered to img.
func pxMM(img image.Image) float64 { return 297.0 / float64(img.Bounds().Dy()) }

func isRed(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r > 0x9000 && g < 0x6000 && b < 0x6000
}

func isDark(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r < 0x8000 && g < 0x8000 && b < 0x8000
}

// redRows returns the top of the first red pixel row (the mark's top
// edge) and the top of the first row that is red across most of the type
// area (the red rule), in mm from the paper's top.
func redRows(img image.Image) (top, rule float64) {
	b := img.Bounds()
	s := pxMM(img)
	top, rule = -1, -1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if isRed(img, x, y) {
				n++
			}
		}
		if n > 0 && top < 0 {
			top = float64(y) * s
		}
		if float64(n)*s > 150 {
			return top, float64(y) * s
		}
	}
	return top, rule
}

// inkBottom is the bottom of the lowest dark pixel row between from and
// to (mm): the 发文字号's bottom edge.
func inkBottom(img image.Image, from, to float64) float64 {
	s := pxMM(img)
	bottom := -1.0
	for y := int(from / s); y < int(to/s); y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if isDark(img, x, y) {
				bottom = float64(y+1) * s
				break
			}
		}
	}
	return bottom
}

// dashRow finds the rows between from and to (mm) holding a dark
// horizontal run at least 4mm long, the page number's dashes, and returns
// their middle in mm.
func dashRow(img image.Image, from, to float64) float64 {
	s := pxMM(img)
	first, last := -1, -1
	for y := int(from / s); y < int(to/s); y++ {
		run, best := 0, 0
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if isDark(img, x, y) {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
		if float64(best)*s >= 4 {
			if first < 0 {
				first = y
			}
			last = y
		}
	}
	return float64(first+last+1) / 2 * s
}

// lowestRule returns the bottom, in mm, of the lowest row that is dark
// across most of the type area's width.
func lowestRule(img image.Image) float64 {
	s := pxMM(img)
	b := img.Bounds()
	for y := b.Max.Y - 1; y >= b.Min.Y; y-- {
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if isDark(img, x, y) {
				n++
			}
		}
		if float64(n)*s > 150 {
			return float64(y+1) * s
		}
	}
	return -1
}

// TestPDFArtifacts writes the seed case's pages as PNGs to artifacts/pdf/
// at the repository root, for people to look at (CI keeps them).
func TestPDFArtifacts(t *testing.T) {
	pdf := fixturePDF(t)
	needTool(t, "pdftoppm")
	dir := filepath.Join(repoRoot(t), "artifacts", "pdf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "jingan-2025-17.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "60", in, filepath.Join(dir, "jingan-2025-17")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "jingan-2025-17-*.png"))
	if len(pngs) == 0 {
		t.Fatal("pdftoppm wrote no pages")
	}
	t.Logf("wrote %s and %d page images", in, len(pngs))
}

// TestPDFRecordPlacement checks the 版记 rule [7.4, 7.5] on documents of
// chosen lengths: the last page is even, a 版记 that cannot share an even
// last page goes alone on the next even page (after an unnumbered blank
// page if needed), and neither of those pages is numbered.
func TestPDFRecordPlacement(t *testing.T) {
	r := mustPDFRenderer(t)
	line := strings.Repeat("字", charsPerLine-3) + "。" // one full line with its indent
	for _, tc := range []struct {
		name  string
		lines int // body paragraphs of one line each
		want  []sheetKind
	}{
		{"OnePage", 1, []sheetKind{sheetContent, sheetRecord}},
		{"SharesEvenPage", 20, []sheetKind{sheetContent, sheetContent}},
		{"BlankBeforeRecord", 27, []sheetKind{sheetContent, sheetContent, sheetBlank, sheetRecord}},
		{"SignatureKeepsBodyLines", 31, []sheetKind{sheetContent, sheetContent, sheetContent, sheetRecord}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &workflow.Notice{Mark: "上海市静安区人民政府文件", Number: "静府议〔2025〕1号", Title: "关于测试的报告",
				Addressee: "区人大常委会", Signer: "上海市静安区人民政府", Date: workflow.Day(2025, 12, 22),
				CC: []string{"区委办公室"}, Office: "上海市静安区人民政府办公室", Printed: workflow.Day(2025, 12, 22),
				Body: strings.Repeat(line+"\n\n", tc.lines)}
			d, err := r.Layout(n)
			if err != nil {
				t.Fatal(err)
			}
			ts, err := typeset(r.fonts, d)
			if err != nil {
				t.Fatal(err)
			}
			sheets := ts.sheets
			var kinds []sheetKind
			for i, s := range sheets {
				kinds = append(kinds, s.kind)
				if (s.kind == sheetContent) != (s.folio == i+1) {
					t.Errorf("page %d (kind %d) numbered %d", i+1, s.kind, s.folio)
				}
			}
			if !slicesEqual(kinds, tc.want) {
				t.Errorf("pages %v; want %v", kinds, tc.want)
			}
			// The same from the PDF itself: numbers only on content pages.
			file, err := writePDF(r.fonts, d, sheets, nil)
			if err != nil {
				t.Fatal(err)
			}
			pdf := file.Data
			pages := bboxLines(t, pdf)
			if len(pages) != len(tc.want) {
				t.Fatalf("PDF has %d pages; want %d", len(pages), len(tc.want))
			}
			for i, page := range pages {
				numbered := false
				for _, l := range page {
					numbered = numbered || folioLine.MatchString(l.text)
				}
				if numbered != (tc.want[i] == sheetContent) {
					t.Errorf("PDF page %d (kind %d): numbered %v", i+1, tc.want[i], numbered)
				}
				if tc.want[i] == sheetBlank && len(page) > 0 {
					t.Errorf("blank page %d holds %d lines", i+1, len(page))
				}
			}
			// The page with the 署名 holds body text too [7.3.5].
			for i, s := range sheets {
				var signer, text bool
				for _, op := range s.texts {
					signer = signer || op.text == n.Signer
					text = text || strings.HasPrefix(op.text, "字字")
				}
				if signer && !text {
					t.Errorf("page %d holds the 署名 without body text", i+1)
				}
			}
		})
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPDFMissingFonts(t *testing.T) {
	dir := t.TempDir()
	_, err := New(dir)
	if !errors.Is(err, ErrFontsMissing) || !strings.Contains(err.Error(), "FandolFang-Regular.otf") || !strings.Contains(err.Error(), "infra/fonts/fetch.sh") {
		t.Errorf("New(empty font dir) = %v; want ErrFontsMissing naming FandolFang-Regular.otf and infra/fonts/fetch.sh", err)
	}
}

// TestPDFRobust: malformed Markdown, an over-long title and mark, and a
// 100-page body give a PDF, never a panic.
func TestPDFRobust(t *testing.T) {
	r := mustPDFRenderer(t)
	base := func() *workflow.Notice {
		return &workflow.Notice{Mark: "上海市静安区人民政府文件", Number: "静府议〔2025〕1号", Title: "关于测试的报告",
			Signer: "上海市静安区人民政府", Date: workflow.Day(2025, 12, 22), Office: "办公室"}
	}
	cases := map[string]func(*workflow.Notice){
		"UnclosedFence":  func(n *workflow.Notice) { n.Body = "# 甲\n\n```go\nfunc main() {\n" },
		"NestedQuotes":   func(n *workflow.Notice) { n.Body = strings.Repeat(">", 10000) + " 深处\n" },
		"NestedLists":    func(n *workflow.Notice) { n.Body = strings.Repeat("- ", 5000) + "深处\n" },
		"NestedEmphasis": func(n *workflow.Notice) { n.Body = strings.Repeat("*", 5000) + "甲" + strings.Repeat("*", 5000) },
		"InvalidUTF8":    func(n *workflow.Notice) { n.Body = "甲\xff\xfe乙\xe4\xb8\n\n## \xc3。\n\n正文\x00" },
		"Table": func(n *workflow.Notice) {
			n.Body = "| a | b |\n|---|\n| 1 | 2 | 3 |\n|" + strings.Repeat("长", 300) + "|x|\n"
		},
		"LongWord":        func(n *workflow.Notice) { n.Body = strings.Repeat("a", 500) + " " + strings.Repeat("1", 90) },
		"Emoji":           func(n *workflow.Notice) { n.Body = "表情😀与𠀀生僻字\u200b和\u00a0空格" },
		"OnlyPunctuation": func(n *workflow.Notice) { n.Body = strings.Repeat("。", 200) + strings.Repeat("（", 100) },
		"LongTitle": func(n *workflow.Notice) {
			n.Title = strings.Repeat("关于进一步加强和改进工作的报告", 14)[:600]
		},
		"LongMark": func(n *workflow.Notice) { n.Mark = strings.Repeat("上海市静安区人民政府", 10) + "文件" },
		"Empty":    func(n *workflow.Notice) { *n = workflow.Notice{} },
		"ManyCC":   func(n *workflow.Notice) { n.CC = strings.Split(strings.Repeat("区委办公室,", 200), ",") },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			n := base()
			change(n)
			pdf := mustPDF(t, r, n, notice.Extras{Note: "此件公开发布", Attachments: []string{"附件一", strings.Repeat("长名称", 30)}})
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
		})
	}
	t.Run("LongTitleLines", func(t *testing.T) {
		n := base()
		n.Title = strings.Repeat("上海市静安区人民政府关于进一步加强妇女权益保障工作情况的报告", 7)[:200*3]
		pdf := mustPDF(t, r, n, notice.Extras{})
		for _, l := range bboxLines(t, pdf)[0] {
			if l.yMax-l.yMin > 20 && utf8.RuneCountInString(l.text) > notice.TitleChars { // 22pt lines
				t.Errorf("title line of %d characters: %s", utf8.RuneCountInString(l.text), l.text)
			}
		}
	})
	t.Run("HundredPages", func(t *testing.T) {
		n := base()
		para := strings.Repeat("各项工作稳步推进，取得明显成效。", 30) + "\n\n" // about 17 lines
		n.Body = strings.Repeat("# 工作情况\n\n"+para+"## 具体举措。\n\n"+para, 65)
		pdf := mustPDF(t, r, n, notice.Extras{})
		pages := bboxLines(t, pdf)
		if len(pages) < 100 || len(pages)%2 != 0 {
			t.Errorf("%d pages; want an even count of at least 100", len(pages))
		}
		t.Logf("%d pages, %d bytes", len(pages), len(pdf))
	})
}

// TestPDFElements lays out the optional elements (上行文 签发人, 附件说明,
// seal, 附注, 抄送) and checks their text comes out in order.
func TestPDFElements(t *testing.T) {
	r := mustPDFRenderer(t)
	n, _ := noticetest.Fixture(t)
	n.CC = []string{"区委办公室", "区人大常委会办公室", "区政协办公室"}
	seal := noticetest.Seal(t, 200)
	pdf := mustPDF(t, r, n, notice.Extras{Note: "此件公开发布", Attachments: []string{"2025年工作台账", "有关统计数据"}, Signatories: []string{"王某某"}, Seal: seal,
		AttachmentBodies: []string{"# 台账说明\n\n台账按季度更新。", ""}})
	got := squash(strings.Join(textLines(t, pdf), ""))
	for _, want := range []string{"签发人：王某某", "附件：1.2025年工作台账", "2.有关统计数据", "上海市静安区人民政府", "2025年12月22日", "（此件公开发布）", "抄送：区委办公室，区人大常委会办公室，区政协办公室。"} {
		if !strings.Contains(got, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	order := []string{"特此报告。", "附件：", "上海市静安区人民政府2025年12月22日", "（此件公开发布）", "附件12025年工作台账一、台账说明台账按季度更新。", "抄送："}
	at := 0
	for _, w := range order {
		i := strings.Index(got[at:], w)
		if i < 0 {
			t.Errorf("%q not after the previous element", w)
			continue
		}
		at += i
	}
	// The 附件 page: "附件1" flush left on the first line, the title
	// centred on the third [8].
	pages := bboxLines(t, pdf)
	found := false
	for i, page := range pages {
		if len(page) == 0 || page[0].text != "附件1" {
			continue
		}
		found = true
		if l := page[0]; !within(toMM(l.xMin), 28, 0.1) || !within(toMM(l.yMin), 37, 0.1) {
			t.Errorf("page %d: 附件1 at %.2f, %.2fmm; want 28, 37mm", i+1, toMM(l.xMin), toMM(l.yMin))
		}
		if len(page) < 2 || page[1].text != "2025年工作台账" || !within(page[1].yMin, lineTop(2), 0.5) ||
			!within((page[1].xMin+page[1].xMax)/2, areaL+areaW/2, 1) {
			t.Errorf("page %d: title line %+v; want 2025年工作台账 centred on the third line", i+1, page[1])
		}
	}
	if !found {
		t.Error("no page starts with 附件1")
	}
	if os.Getenv("DOCFLOW_KEEP_PDF") != "" {
		_ = os.WriteFile(filepath.Join(repoRoot(t), "artifacts", "pdf", "elements.pdf"), pdf, 0o644)
	}
}

func TestPDFDeterministic(t *testing.T) {
	r := mustPDFRenderer(t)
	n, _ := noticetest.Fixture(t)
	a, b := mustPDF(t, r, n, notice.Extras{}), mustPDF(t, r, n, notice.Extras{})
	if !bytes.Equal(a, b) {
		t.Error("PDF differs between two renders of one notice; a retried publication would conflict")
	}
}

// TestPDFConcurrent: one Renderer serves concurrent renders (the fonts are
// shared, each PDF tracks its own glyphs) and each gives the same bytes.
func TestPDFConcurrent(t *testing.T) {
	r := mustPDFRenderer(t)
	n, _ := noticetest.Fixture(t)
	want := mustPDF(t, r, n, notice.Extras{})
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			d, err := r.Layout(n)
			if err != nil {
				errs <- err.Error()
				return
			}
			got, err := r.PDF(d)
			if err != nil || !bytes.Equal(got, want) {
				errs <- "concurrent PDF differs"
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// mustReadCase reads a test notice with notice.ReadFile, the reader of
// `docflow render`.
func mustReadCase(tb testing.TB, file string) *workflow.Notice {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	n, _, err := notice.ReadFile(b)
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return n
}

// TestPDFBasic lays out the basic case (lists, a table, four heading
// levels, emphasis and strikethrough) and checks its text survives.
func TestPDFBasic(t *testing.T) {
	r := mustPDFRenderer(t)
	n := mustReadCase(t, "../testdata/basic.md")
	pdf := mustPDF(t, r, n, notice.Extras{})
	got := squash(strings.Join(textLines(t, pdf), ""))
	for _, want := range []string{"一、总体情况", "（一）强化统筹协调，凝聚工作合力。充分发挥", "1.编制规划", "（1）开展评估：", "•评估一", "项目数量", "座谈会3", "问卷1200", "暂缓抓紧落实", "抄送：区委办公室，区人大常委会办公室，区政协办公室。"} {
		if !strings.Contains(got, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if os.Getenv("DOCFLOW_KEEP_PDF") != "" {
		_ = os.WriteFile(filepath.Join(repoRoot(t), "artifacts", "pdf", "basic.pdf"), pdf, 0o644)
	}
}

// TestPDFFallbackReported: a character the asked-for font lacks comes from
// another font, one no font has is left blank, and both are reported in
// Document.Substitutions and the PDF's metadata.
func TestPDFFallbackReported(t *testing.T) {
	r := mustPDFRenderer(t)
	n := &workflow.Notice{Mark: "区政府文件", Title: "测试", Signer: "区政府", Body: "## 喆。\n\n表情😀。"}
	d, err := r.Layout(n)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := r.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	subs := strings.Join(d.Substitutions, "\n")
	if !strings.Contains(subs, "→ none (blank): 😀 (U+1F600)") {
		t.Errorf("Substitutions lack the emoji no font has:\n%s", subs)
	}
	info := string(poppler(t, pdf, "pdfinfo"))
	if !strings.Contains(info, "U+1F600") {
		t.Errorf("pdfinfo lacks the fallback:\n%s", info)
	}
}

// TestPDFSignature measures 署名 and 成文日期 [7.3.5]: unsealed, the 署名
// ends two characters in from the right and the date starts two characters
// right of the 署名's start; sealed, the date ends four characters in and
// the 署名 is centred over it.
func TestPDFSignature(t *testing.T) {
	r := mustPDFRenderer(t)
	n, _ := noticetest.Fixture(t)
	find := func(pages [][]bbox, text string) bbox {
		for _, l := range pages[len(pages)-1] {
			if l.text == text {
				return l
			}
		}
		t.Fatalf("last page lacks %q", text)
		return bbox{}
	}
	right := areaL + areaW
	for _, sealed := range []bool{false, true} {
		x := notice.Extras{}
		if sealed {
			x.Seal = noticetest.Seal(t, 100)
		}
		pages := bboxLines(t, mustPDF(t, r, n, x))
		s, d := find(pages, n.Signer), find(pages, "2025年12月22日")
		if sealed {
			if !within(d.xMax, right-4*cell, 1) {
				t.Errorf("sealed: date ends %.1fpt from the right; want four characters (%.1fpt)", right-d.xMax, 4*cell)
			}
			if !within((s.xMin+s.xMax)/2, (d.xMin+d.xMax)/2, 1) {
				t.Errorf("sealed: 署名 centre %.1f, date centre %.1f; want the 署名 centred over the date", (s.xMin+s.xMax)/2, (d.xMin+d.xMax)/2)
			}
			continue
		}
		if !within(s.xMax, right-2*cell, 1) {
			t.Errorf("署名 ends %.1fpt from the right; want two characters (%.1fpt)", right-s.xMax, 2*cell)
		}
		if !within(d.xMin-s.xMin, 2*cell, 1) {
			t.Errorf("date starts %.1fpt right of the 署名; want two characters (%.1fpt)", d.xMin-s.xMin, 2*cell)
		}
		if !within(d.yMin-s.yMin, pitch, 0.5) {
			t.Errorf("date %.1fpt below the 署名; want the next line (%.1fpt)", d.yMin-s.yMin, pitch)
		}
	}
}

// TestRenderWithPDF: with fonts, Render publishes the page and the PDF,
// deterministic, from one layout.
func TestRenderWithPDF(t *testing.T) {
	r, err := notice.New(notice.WithFormats(mustPDFRenderer(t).Writer, docx.Format))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := noticetest.Fixture(t)
	out, err := r.Render(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[0].Name != "notice.html" || out[1].Name != "notice.pdf" || out[1].ContentType != "application/pdf" || out[2].Name != "notice.docx" {
		t.Fatalf("Render = %d files; want notice.html, notice.pdf (application/pdf) and notice.docx", len(out))
	}
	if !bytes.HasPrefix(out[1].Data, []byte("%PDF-1.7")) {
		t.Errorf("notice.pdf starts %q", out[1].Data[:8])
	}
	again, err := r.Render(context.Background(), n)
	if err != nil || !bytes.Equal(again[1].Data, out[1].Data) {
		t.Error("Render's PDF is not deterministic")
	}
}
