package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

const wNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// docxParts are the parts every .docx from DOCX holds.
var docxParts = []string{
	"[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml",
	"word/_rels/document.xml.rels", "word/document.xml", "word/fontTable.xml",
	"word/footer1.xml", "word/footer2.xml", "word/settings.xml", "word/styles.xml",
}

var update = flag.Bool("update", false, "rewrite testdata/docx-jingan.golden.xml")

// renderer is the notice layout with this package's writer beside it, as
// publishing uses them.
type renderer struct{ *notice.Renderer }

func (renderer) DOCX(d *notice.Document) ([]byte, error) { return Write(d) }

func mustNew(tb testing.TB) renderer {
	tb.Helper()
	r, err := notice.New()
	if err != nil {
		tb.Fatal(err)
	}
	return renderer{r}
}

// mustDOCX lays out n and renders it to a .docx.
func mustDOCX(tb testing.TB, r renderer, n *workflow.Notice, x notice.Extras) []byte {
	tb.Helper()
	d, err := r.LayoutWith(n, x)
	if err != nil {
		tb.Fatalf("LayoutWith: %v", err)
	}
	b, err := r.DOCX(d)
	if err != nil {
		tb.Fatalf("DOCX: %v", err)
	}
	return b
}

// mustUnzip opens a .docx and returns its parts by name, checking that
// each .xml and .rels part is well-formed XML.
func mustUnzip(tb testing.TB, docx []byte) map[string][]byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		tb.Fatalf("open docx: %v", err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatalf("open %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("read %s: %v", f.Name, err)
		}
		if strings.HasSuffix(f.Name, ".xml") || strings.HasSuffix(f.Name, ".rels") {
			if err := wellFormed(b); err != nil {
				tb.Errorf("%s is not well-formed XML: %v", f.Name, err)
			}
		}
		parts[f.Name] = b
	}
	return parts
}

// wellFormed decodes every token of b.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// docxPara is one w:p of a document: its style, its text (w:tab as a tab,
// w:br as a newline; field instructions are not text) and its runs'
// character styles and East Asian fonts, in order.
type docxPara struct {
	Style string
	Text  string
	Runs  []docxRunInfo
}

type docxRunInfo struct {
	Style, Font, Text string
}

// docxParagraphs reads the paragraphs of a document.xml in order,
// including those in table cells.
func docxParagraphs(tb testing.TB, doc []byte) []docxPara {
	tb.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var (
		paras []docxPara
		p     *docxPara
		run   *docxRunInfo
		inT   bool
	)
	attr := func(e xml.StartElement, name string) string {
		for _, a := range e.Attr {
			if a.Name.Space == wNS && a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("document.xml: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != wNS {
				continue
			}
			switch t.Name.Local {
			case "p":
				if p != nil {
					tb.Fatal("document.xml has a w:p inside a w:p")
				}
				p = &docxPara{}
			case "pStyle":
				p.Style = attr(t, "val")
			case "r":
				run = &docxRunInfo{}
			case "rStyle":
				run.Style = attr(t, "val")
			case "rFonts":
				if run != nil {
					run.Font = attr(t, "eastAsia")
				}
			case "t":
				inT = true
			case "tab":
				if run != nil {
					p.Text += "\t"
					run.Text += "\t"
				}
			case "br":
				p.Text += "\n"
				run.Text += "\n"
			}
		case xml.EndElement:
			if t.Name.Space != wNS {
				continue
			}
			switch t.Name.Local {
			case "p":
				paras = append(paras, *p)
				p = nil
			case "r":
				p.Runs = append(p.Runs, *run)
				run = nil
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				p.Text += string(t)
				run.Text += string(t)
			}
		}
	}
	return paras
}

// docxBlocks turns paragraphs into blocks comparable with a plain-text
// document: line breaks (layout, not text) removed, a tab splitting what
// stands left and right into two blocks, whitespace collapsed, empty
// paragraphs (spacers, anchors) dropped.
func docxBlocks(paras []docxPara) []string {
	var out []string
	for _, p := range paras {
		for s := range strings.SplitSeq(strings.ReplaceAll(p.Text, "\n", ""), "\t") {
			if s = noticetest.Collapse(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestDOCXFixture is the acceptance check for .docx: the seed case's
// document reads, paragraph by paragraph, exactly as report.txt, and its
// document.xml matches the golden file.
func TestDOCXFixture(t *testing.T) {
	r := mustNew(t)
	n, lines := noticetest.Fixture(t)
	docx := mustDOCX(t, r, n, notice.Extras{})
	parts := mustUnzip(t, docx)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range parts {
			if !yield(n) {
				return
			}
		}
	})
	if !slices.Equal(names, docxParts) {
		t.Errorf("parts = %q; want %q", names, docxParts)
	}
	got := docxBlocks(docxParagraphs(t, parts["word/document.xml"]))
	var want []string
	for _, l := range lines {
		want = append(want, noticetest.Collapse(l))
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("paragraph %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
	checkGoldenFile(t, "testdata/docx-jingan.golden.xml", parts["word/document.xml"])
}

// checkGoldenFile compares got with the file golden, or rewrites it under
// -update.
func checkGoldenFile(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v; run `go test ./internal/notice/docx -update` to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s at %s; run `go test ./internal/notice/docx -update` and review the diff",
			golden, noticetest.FirstDiff(got, want))
	}
}

// TestDOCXStructure checks what Word and WPS show beyond the text: each
// element in its style, outline headings in 黑体 and 楷体, run-in level-2
// headings as a 楷体 character style inside a body paragraph.
func TestDOCXStructure(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	paras := docxParagraphs(t, mustUnzip(t, mustDOCX(t, r, n, notice.Extras{}))["word/document.xml"])
	byStyle := map[string][]string{}
	for _, p := range paras {
		byStyle[p.Style] = append(byStyle[p.Style], p.Text)
	}
	for _, tc := range []struct {
		style string
		want  []string
	}{
		{"Mark", []string{"上海市静安区人民政府文件"}},
		{"DocNumber", []string{"静府议〔2025〕17号"}},
		{"Addressee", []string{"区人大常委会："}},
		{"Level1", []string{"一、完善工作机制，切实加强统筹协同与基层基础", "二、聚焦重点领域，全力保障妇女各项合法权益", "三、强化宣传引导，积极营造良好社会氛围"}},
		{"Signer", []string{"上海市静安区人民政府"}},
		{"SignDate", []string{"2025年12月22日"}},
		{"Record", []string{"上海市静安区人民政府办公室\t2025年12月22日印发"}},
	} {
		if got := byStyle[tc.style]; !slices.Equal(got, tc.want) {
			t.Errorf("paragraphs in style %s = %q; want %q", tc.style, got, tc.want)
		}
	}
	if got := byStyle["Title"]; len(got) != 1 || strings.Count(got[0], "\n") < 2 {
		t.Errorf("title = %q; want one paragraph in at least three lines (balanced breaks)", got)
	}
	var runIns int
	for _, p := range paras {
		if len(p.Runs) < 2 || p.Runs[0].Style != "Level2Char" {
			continue
		}
		runIns++
		if p.Style != "" || !strings.HasPrefix(p.Runs[0].Text, "（") || !strings.HasSuffix(p.Runs[0].Text, "。") || p.Runs[1].Style != "" {
			t.Errorf("run-in paragraph %.40q: style %q, runs %q", p.Text, p.Style, p.Runs[:2])
		}
	}
	if runIns != 10 {
		t.Errorf("%d paragraphs open with a run-in level-2 heading; want 10", runIns)
	}

	// Runs holding marks Unicode shares with Latin text (“ ” — …) carry
	// the eastAsia hint, or Word draws them half width in Times New Roman.
	doc := mustUnzip(t, mustDOCX(t, r, n, notice.Extras{}))["word/document.xml"]
	runRE := regexp.MustCompile(`<w:r>(<w:rPr>.*?</w:rPr>)?(?:<w:t xml:space="preserve">([^<]*)</w:t>)`)
	var quoted int
	for _, m := range runRE.FindAllSubmatch(doc, -1) {
		if bytes.ContainsAny(m[2], "“”—…") {
			quoted++
			if !bytes.Contains(m[1], []byte(`w:hint="eastAsia"`)) {
				t.Errorf("run %.30q… lacks the eastAsia hint", m[2])
			}
		}
	}
	if quoted == 0 {
		t.Error("no run with “ ” found; the fixture has some")
	}
}

// docxStylesFile is the part of styles.xml the tests read.
type docxStylesFile struct {
	Defaults struct {
		Fonts rFontsXML `xml:"rPrDefault>rPr>rFonts"`
		Size  valXML    `xml:"rPrDefault>rPr>sz"`
		Lang  struct {
			EastAsia string `xml:"eastAsia,attr"`
		} `xml:"rPrDefault>rPr>lang"`
	} `xml:"docDefaults"`
	Styles []struct {
		Type    string `xml:"type,attr"`
		ID      string `xml:"styleId,attr"`
		Name    valXML `xml:"name"`
		BasedOn valXML `xml:"basedOn"`
		PPr     struct {
			Ind struct {
				FirstLineChars string `xml:"firstLineChars,attr"`
			} `xml:"ind"`
			Jc         valXML  `xml:"jc"`
			OutlineLvl *valXML `xml:"outlineLvl"`
		} `xml:"pPr"`
		RPr struct {
			Fonts   rFontsXML `xml:"rFonts"`
			Size    valXML    `xml:"sz"`
			Color   valXML    `xml:"color"`
			Spacing valXML    `xml:"spacing"`
		} `xml:"rPr"`
	} `xml:"style"`
}

type rFontsXML struct {
	ASCII    string `xml:"ascii,attr"`
	EastAsia string `xml:"eastAsia,attr"`
	HAnsi    string `xml:"hAnsi,attr"`
}

type valXML struct {
	Val string `xml:"val,attr"`
}

// TestDOCXStyles checks the fonts and sizes the styles give each element.
func TestDOCXStyles(t *testing.T) {
	var sf docxStylesFile
	if err := xml.Unmarshal(docxStylesXML, &sf); err != nil {
		t.Fatal(err)
	}
	if f := sf.Defaults.Fonts; f.EastAsia != "仿宋" || f.ASCII != "Times New Roman" || f.HAnsi != "Times New Roman" {
		t.Errorf("default fonts = %+v; want 仿宋 with Times New Roman", f)
	}
	if sf.Defaults.Size.Val != "32" || sf.Defaults.Lang.EastAsia != "zh-CN" {
		t.Errorf("default size %s, East Asian language %s; want 32 (3号), zh-CN", sf.Defaults.Size.Val, sf.Defaults.Lang.EastAsia)
	}
	type want struct {
		name, font, size, color, jc, outline, firstLine string
	}
	wants := map[string]want{
		"Normal":     {name: "Normal", font: "仿宋", size: "32", jc: "both", firstLine: "200"}, // shown as 正文 in Chinese Word and WPS
		"Mark":       {name: "发文机关标志", font: "方正小标宋简体", size: "84", color: "D00000", jc: "center", firstLine: "0"},
		"DocNumber":  {name: "发文字号", jc: "center", firstLine: "0"},
		"Title":      {name: "Title", font: "方正小标宋简体", size: "44", jc: "center", firstLine: "0"}, // shown as 标题
		"Addressee":  {name: "主送机关", jc: "both", firstLine: "0"},
		"Level1":     {name: "一级标题", font: "黑体", outline: "0"},
		"Level2":     {name: "二级标题", font: "楷体", outline: "1"},
		"Level3":     {name: "三级标题", font: "仿宋", outline: "2"},
		"Level4":     {name: "四级标题", font: "仿宋", outline: "3"},
		"Level1Char": {name: "一级标题字符", font: "黑体"},
		"Level2Char": {name: "二级标题字符", font: "楷体"},
		"Signer":     {name: "署名", jc: "right", firstLine: "0"},
		"SignDate":   {name: "成文日期", jc: "right", firstLine: "0"},
		"Attachment": {name: "附件说明"},
		"Annotation": {name: "附注"},
		"Record":     {name: "版记", size: "28", jc: "left", firstLine: "0"},
		"PageNumber": {name: "页码", font: "宋体", size: "28", firstLine: "0"},
	}
	seen := map[string]bool{}
	for _, s := range sf.Styles {
		w, ok := wants[s.ID]
		if !ok {
			continue
		}
		seen[s.ID] = true
		outline := ""
		if s.PPr.OutlineLvl != nil {
			outline = s.PPr.OutlineLvl.Val
		}
		got := want{s.Name.Val, s.RPr.Fonts.EastAsia, s.RPr.Size.Val, s.RPr.Color.Val, s.PPr.Jc.Val, outline, s.PPr.Ind.FirstLineChars}
		if got != w {
			t.Errorf("style %s = %+v; want %+v", s.ID, got, w)
		}
		if s.RPr.Fonts.EastAsia != "" && s.RPr.Fonts.EastAsia != "宋体" && s.RPr.Fonts.ASCII != "Times New Roman" {
			t.Errorf("style %s: Latin font %q; want Times New Roman", s.ID, s.RPr.Fonts.ASCII)
		}
	}
	for id := range wants {
		if !seen[id] {
			t.Errorf("styles.xml lacks style %s", id)
		}
	}
}

// TestDOCXSection checks the page against GB/T 9704 5.2 and 7.5: A4, the
// margins, 22 lines × 28 characters, odd and even footers.
func TestDOCXSection(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	parts := mustUnzip(t, mustDOCX(t, r, n, notice.Extras{}))
	var doc struct {
		Sect struct {
			Footers []struct {
				Type string `xml:"type,attr"`
				ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
			} `xml:"footerReference"`
			PgSz struct {
				W int `xml:"w,attr"`
				H int `xml:"h,attr"`
			} `xml:"pgSz"`
			PgMar struct {
				Top    int `xml:"top,attr"`
				Right  int `xml:"right,attr"`
				Bottom int `xml:"bottom,attr"`
				Left   int `xml:"left,attr"`
				Footer int `xml:"footer,attr"`
			} `xml:"pgMar"`
			Grid struct {
				Type      string `xml:"type,attr"`
				LinePitch int    `xml:"linePitch,attr"`
			} `xml:"docGrid"`
		} `xml:"body>sectPr"`
	}
	if err := xml.Unmarshal(parts["word/document.xml"], &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Sect
	mm := func(tw int) float64 { return float64(tw) / docxTwipsPerMM }
	near := func(name string, tw int, want, tol float64) {
		if got := mm(tw); math.Abs(got-want) > tol {
			t.Errorf("%s = %d twips = %.2f mm; want %.1f ± %.1f mm", name, tw, got, want, tol)
		}
	}
	near("page width", s.PgSz.W, 210, 0.1)
	near("page height", s.PgSz.H, 297, 0.1)
	near("top margin", s.PgMar.Top, 37, 0.1)
	near("left margin", s.PgMar.Left, 28, 0.1)
	near("right margin", s.PgMar.Right, 26, 0.1)
	near("bottom margin", s.PgMar.Bottom, 35, 0.1)
	near("type area width", s.PgSz.W-s.PgMar.Left-s.PgMar.Right, 156, 0.1)
	near("type area height", s.PgSz.H-s.PgMar.Top-s.PgMar.Bottom, 225, 0.1)
	// The page number's dash, 7.3 pt below the top of its exact 14 pt
	// line, lies 7 mm below the type area.
	near("page number's dash below the type area", s.PgMar.Bottom-s.PgMar.Footer-docxPNumH+146, 7, 0.1)

	// 22 lines of the line grid fill the type area's height; 28 body
	// characters (3号, condensed) its width, the first line's 26 after the
	// two-character indent too, and a 29th does not fit.
	typeH := s.PgSz.H - s.PgMar.Top - s.PgMar.Bottom
	if s.Grid.Type != "lines" || typeH/s.Grid.LinePitch != 22 {
		t.Errorf("grid %+v: %d lines; want a line grid of 22", s.Grid, typeH/max(s.Grid.LinePitch, 1))
	}
	if math.Abs(float64(s.Grid.LinePitch)/20-28.95) > 0.05 {
		t.Errorf("line pitch %.2f pt; want ≈ 28.95", float64(s.Grid.LinePitch)/20)
	}
	typeW := float64(s.PgSz.W-s.PgMar.Left-s.PgMar.Right) / 20 // pt
	advance := docxBodyS + float64(docxCondense)/20            // pt
	if n := math.Floor(typeW / advance); n != 28 || math.Floor((typeW-2*docxBodyS)/advance) != 26 {
		t.Errorf("%.0f characters of %.2f pt fill a %.2f pt line; want 28, and 26 after the indent", n, advance, typeW)
	}
	var sf docxStylesFile
	if err := xml.Unmarshal(parts["word/styles.xml"], &sf); err != nil {
		t.Fatal(err)
	}
	for _, st := range sf.Styles {
		if st.ID == "Normal" && st.RPr.Spacing.Val != strconv.Itoa(docxCondense) {
			t.Errorf("Normal's character spacing = %q; want %d", st.RPr.Spacing.Val, docxCondense)
		}
	}

	if !bytes.Contains(parts["word/settings.xml"], []byte("<w:evenAndOddHeaders/>")) {
		t.Error("settings.xml lacks w:evenAndOddHeaders: even pages would show the odd footer")
	}
	types := map[string]string{}
	for _, f := range s.Footers {
		types[f.Type] = f.ID
	}
	rels := string(parts["word/_rels/document.xml.rels"])
	for typ, file := range map[string]string{"default": "footer1.xml", "even": "footer2.xml"} {
		if id := types[typ]; id == "" || !strings.Contains(rels, `Id="`+id+`" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="`+file+`"`) {
			t.Errorf("footer %s: reference %q does not lead to %s", typ, id, file)
		}
	}
	for file, side := range map[string]string{"word/footer1.xml": `<w:ind w:right="280"/><w:jc w:val="right"/>`, "word/footer2.xml": `<w:ind w:left="280"/><w:jc w:val="left"/>`} {
		f := string(parts[file])
		if !strings.Contains(f, side) || !strings.Contains(f, "> PAGE </w:instrText>") || !strings.Contains(f, ">— </w:t>") || !strings.Contains(f, "> —</w:t>") {
			t.Errorf("%s is not a page number \"— PAGE —\" with %s:\n%s", file, side, f)
		}
	}
}

// TestDOCXCore checks the document properties: title, number, issuer and
// the font substitutions.
func TestDOCXCore(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	parts := mustUnzip(t, mustDOCX(t, r, n, notice.Extras{}))
	var core struct {
		Title    string `xml:"title"`
		Subject  string `xml:"subject"`
		Creator  string `xml:"creator"`
		Keywords string `xml:"keywords"`
		Created  string `xml:"created"`
	}
	if err := xml.Unmarshal(parts["docProps/core.xml"], &core); err != nil {
		t.Fatal(err)
	}
	if core.Title != n.Title || core.Subject != n.Number || core.Creator != n.Signer || core.Created != "2025-12-21T16:00:00Z" {
		t.Errorf("core = %+v; want title, number %s, creator %s, created 2025-12-22 CST", core, n.Number, n.Signer)
	}
	for _, want := range []string{"方正小标宋简体 → 宋体", "方正小标宋 → FandolSong-Bold"} {
		if !strings.Contains(core.Keywords, want) {
			t.Errorf("keywords %q lack the substitution %q", core.Keywords, want)
		}
	}
}

// TestDOCXDeterministic: the same notice gives the same bytes, so a
// retried publication stores the same object.
func TestDOCXDeterministic(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	a := mustDOCX(t, r, n, notice.Extras{})
	d, err := r.Layout(n)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 8)
	for i := range outs {
		wg.Go(func() { outs[i], _ = r.DOCX(d) }) // concurrent renders share only immutable parts
	}
	wg.Wait()
	for _, b := range outs {
		if !bytes.Equal(a, b) {
			t.Fatal("DOCX is not deterministic")
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Name != "[Content_Types].xml" {
		t.Errorf("first part %s; want [Content_Types].xml", zr.File[0].Name)
	}
	for _, f := range zr.File {
		if !f.Modified.Equal(time.Date(2025, 12, 22, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s modified %v; want the notice's date", f.Name, f.Modified)
		}
	}
}

// TestDOCXHostile pins the escaping: user text with markup characters,
// control characters and invalid UTF-8 in every field gives well-formed
// parts, the text escaped, the forbidden characters dropped.
func TestDOCXHostile(t *testing.T) {
	const bad = `<w:p>&amp;"'</w:t>]]>` + "\x00\x01\x08\x0b\x0c\x1b\x7f\uFFFE\uFFFF\xff"
	n := &workflow.Notice{
		Mark: "标志" + bad, Number: "号" + bad, Title: "标题" + bad, Addressee: "主送" + bad,
		Body:   "# 一级" + bad + "\n\n## 二级" + bad + "。\n\n正文" + bad + "\n\n| 表" + bad + " |\n|---|\n| 格 |\n\n```\n代码" + bad + "\n```\n",
		Signer: "署名" + bad, Date: workflow.Day(2025, 1, 2), CC: []string{"抄" + bad}, Office: "印发" + bad, Printed: workflow.Day(2025, 1, 2),
	}
	x := notice.Extras{Note: "附注" + bad, Attachments: []string{"附件" + bad}, Signatories: []string{"签" + bad}}
	r := mustNew(t)
	parts := mustUnzip(t, mustDOCX(t, r, n, x))
	for name, b := range parts {
		for _, c := range []string{"\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\uFFFE", "\uFFFF"} {
			if bytes.Contains(b, []byte(c)) {
				t.Errorf("%s holds the forbidden character %q", name, c)
			}
		}
		if !utf8Valid(b) {
			t.Errorf("%s is not valid UTF-8", name)
		}
	}
	doc := parts["word/document.xml"]
	if bytes.Contains(doc, []byte("<w:p>&amp;")) || bytes.Contains(doc, []byte(`]]>`)) {
		t.Error("document.xml holds user text unescaped")
	}
	// Fields are plain text and come back whole; the body is Markdown, in
	// which &amp; is an entity and NUL becomes U+FFFD, as CommonMark says.
	var fields, body int
	for _, p := range docxParagraphs(t, doc) {
		if strings.Contains(p.Text, `<w:p>&amp;"'</w:t>]]>`+"\x7f\uFFFD") {
			fields++
		} else if strings.Contains(p.Text, `<w:p>&"'</w:t>]]>`+"\uFFFD\x7f\uFFFD") {
			body++
		}
	}
	if fields != 9 || body != 3 {
		t.Errorf("%d field and %d body paragraphs show the hostile text; want 9 (mark, number with 签发人, title, "+
			"addressee, 附件, 署名, 附注, 抄送, 印发机关) and 3 (heading, run-in paragraph, table cell)", fields, body)
	}
	var core struct {
		Title string `xml:"title"`
	}
	if err := xml.Unmarshal(parts["docProps/core.xml"], &core); err != nil || !strings.HasPrefix(core.Title, "标题<w:p>") {
		t.Errorf("core title = %q, %v", core.Title, err)
	}
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }

// TestDOCXMalformed feeds DOCX the bodies TestMalformed uses for the page:
// each gives a well-formed document or an error, never a panic.
func TestDOCXMalformed(t *testing.T) {
	r := mustNew(t)
	for name, md := range map[string]string{
		"UnclosedFence":  "# 甲\n\n```go\nfunc main() {\n",
		"NestedQuotes":   strings.Repeat(">", 10000) + " 深处\n",
		"NestedLists":    strings.Repeat("- ", 5000) + "深处\n",
		"NestedEmphasis": strings.Repeat("*", 50000) + "甲" + strings.Repeat("*", 50000),
		"LongParagraph":  strings.Repeat("长", 100000),
		"ManyHeadings":   strings.Repeat("# 甲\n## 乙。\n丙\n", 2000),
		"InvalidUTF8":    "甲\xff\xfe乙\xe4\xb8\n\n## \xc3。\n\n正文",
		"TableMismatch":  "| a | b |\n|---|\n| 1 | 2 | 3 |\n",
		"OnlyMarks":      "#\n##\n###\n####\n>\n-\n|\n```\n",
		"Lists":          "1. 甲\n2. 乙\n   - 丙\n\n> 引\n>\n> - 丁\n\n---\n\n![图](x.png) [链接](javascript:alert(1)) <b>x</b>",
	} {
		t.Run(name, func(t *testing.T) {
			n := &workflow.Notice{Mark: "标志", Number: "1号", Title: "标题", Signer: "署名", Body: md}
			d, err := r.Layout(n)
			if err != nil {
				return
			}
			b, err := r.DOCX(d)
			if err != nil {
				return
			}
			mustUnzip(t, b)
		})
	}
}

// TestDOCXExtras covers the elements beyond the seed: a 上行文's 签发人,
// 附件说明, a seal, 附注 and 抄送.
func TestDOCXExtras(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	n.CC = []string{"区委办公室", "区纪委监委"}
	x := notice.Extras{
		Note:        "此件公开发布",
		Attachments: []string{"妇女权益保障工作情况表", "相关政策文件目录"},
		Signatories: []string{"张三", "李四"},
		Seal:        noticetest.Seal(t, 120),
	}
	docx := mustDOCX(t, r, n, x)
	parts := mustUnzip(t, docx)
	paras := docxParagraphs(t, parts["word/document.xml"])
	texts := map[string][]string{}
	for _, p := range paras {
		texts[p.Style] = append(texts[p.Style], p.Text)
	}
	for style, want := range map[string][]string{
		"DocNumber":  {"静府议〔2025〕17号\t签发人：张三　李四"},
		"Attachment": {"附件：1. 妇女权益保障工作情况表", "2. 相关政策文件目录"},
		"Annotation": {"（此件公开发布）"},
		"Record":     {"抄送：区委办公室，区纪委监委。", "上海市静安区人民政府办公室\t2025年12月22日印发"},
	} {
		if got := texts[style]; !slices.Equal(got, want) {
			t.Errorf("%s = %q; want %q", style, got, want)
		}
	}
	for _, p := range paras {
		if p.Style == "DocNumber" && (len(p.Runs) < 3 || p.Runs[len(p.Runs)-1].Font != "楷体") {
			t.Errorf("签发人 names not in 楷体: %+v", p.Runs)
		}
	}
	if !bytes.Equal(parts["word/media/seal.png"], x.Seal) {
		t.Error("word/media/seal.png is not the seal")
	}
	if !bytes.Contains(parts["word/_rels/document.xml.rels"], []byte(`Target="media/seal.png"`)) ||
		!bytes.Contains(parts["word/document.xml"], []byte(`r:embed="`+docxSealRel+`"`)) {
		t.Error("the seal drawing does not refer to media/seal.png")
	}
	if _, err := r.DOCX(&notice.Document{Elements: []notice.Element{{Kind: notice.KindSeal, Image: []byte("GIF89a")}}}); err == nil {
		t.Error("DOCX accepted a seal that is not a PNG")
	}
	if _, err := r.DOCX(nil); err == nil {
		t.Error("DOCX(nil) = nil error")
	}
	if dir := os.Getenv("DOCFLOW_DOCX_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "extras.docx"), docx, 0o644)
	}
}

// TestDOCXSignature checks the 署名 and date indents of 7.3.5.2 (unsealed)
// and 7.3.5.1 (sealed).
func TestDOCXSignature(t *testing.T) {
	for _, tc := range []struct {
		name               string
		signer             string
		seal               bool
		signRight, dateRgt string // w:rightChars
	}{
		// 10 characters; the date is 7: the 署名 two in, the date starts
		// two right of it, so it ends 3 in.
		{"Unsealed", "上海市静安区人民政府", false, "200", "300"},
		// A short 署名: the date decides, the 署名 moves left.
		{"UnsealedShort", "区政府", false, "800", "200"},
		// Sealed: the date four in, the 署名 centred over it.
		{"Sealed", "上海市静安区人民政府", true, "250", "400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustNew(t)
			n, _ := noticetest.Fixture(t)
			n.Signer = tc.signer
			var x notice.Extras
			if tc.seal {
				x.Seal = noticetest.Seal(t, 120)
			}
			doc := string(mustUnzip(t, mustDOCX(t, r, n, x))["word/document.xml"])
			for style, want := range map[string]string{"Signer": tc.signRight, "SignDate": tc.dateRgt} {
				re := regexp.MustCompile(`<w:pStyle w:val="` + style + `"/>[^>]*?(?:<[^>]*>)*?<w:ind w:rightChars="(\d+)"`)
				m := re.FindStringSubmatch(doc)
				if m == nil || m[1] != want {
					t.Errorf("%s rightChars = %v; want %s", style, m, want)
				}
			}
		})
	}
}

// TestDOCXLibreOffice is an independent check that Word-compatible
// software reads the document: LibreOffice converts it to PDF and
// pdftotext gives back report.txt's text, with page numbers "— n —".
// It skips when soffice or pdftotext is missing.
func TestDOCXLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("soffice not found under CI: infra/local/tools.sh installs libreoffice-writer-nogui")
		}
		t.Skip("soffice not found; install LibreOffice (libreoffice-writer-nogui) to read the .docx back")
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not found (poppler-utils)")
	}
	if testing.Short() {
		t.Skip("-short: LibreOffice takes seconds")
	}
	r := mustNew(t)
	n, lines := noticetest.Fixture(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "notice.docx")
	if err := os.WriteFile(src, mustDOCX(t, r, n, notice.Extras{}), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--convert-to", "pdf", "--outdir", dir, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf := filepath.Join(dir, "notice.pdf")
	out, err := exec.Command(pdftotext, pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if dir := os.Getenv("DOCFLOW_DOCX_OUT"); dir != "" {
		if b, err := os.ReadFile(pdf); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "libreoffice.pdf"), b, 0o644)
		}
	}
	pages := strings.Split(string(out), "\f")
	var numbers []string
	pageNumber := regexp.MustCompile(`(?m)^—\s*(\d+)\s*—$`)
	var text strings.Builder
	for _, p := range pages {
		if m := pageNumber.FindStringSubmatch(p); m != nil {
			numbers = append(numbers, m[1])
		}
		text.WriteString(pageNumber.ReplaceAllString(p, ""))
	}
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\t' || r == '\f' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	got, want := strip(text.String()), strip(strings.Join(lines, ""))
	if got != want {
		t.Errorf("LibreOffice's PDF reads differently from report.txt near %q\n(got %d, want %d characters)",
			near(got, want), len([]rune(got)), len([]rune(want)))
	}
	// The grid as LibreOffice lays it out: every page between the first
	// and the last holds 22 lines of text, and most lines are full, 28
	// characters wide (digits count half).
	for i := 1; i < len(pages)-2; i++ {
		var lines, full int
		for l := range strings.Lines(pageNumber.ReplaceAllString(pages[i], "")) {
			if l = strings.TrimSpace(l); l == "" {
				continue
			}
			lines++
			if w := docxEms(strings.ReplaceAll(l, " ", "")); w >= 27.5 && w <= 28.5 {
				full++
			}
		}
		if lines != 22 || full < lines/2 {
			t.Errorf("page %d: %d lines, %d of them 28 characters wide; want 22, most of them full", i+1, lines, full)
		}
	}
	var wantNumbers []string
	for i := range len(pages) - 1 { // pdftotext ends the last page with \f too
		wantNumbers = append(wantNumbers, strconv.Itoa(i+1))
	}
	if !slices.Equal(numbers, wantNumbers) {
		t.Errorf("page numbers %q; want %q", numbers, wantNumbers)
	}
}

// near shows where got departs from want.
func near(got, want string) string {
	g, w := []rune(got), []rune(want)
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	return string(g[max(0, i-10):min(len(g), i+20)]) + " … want … " + string(w[max(0, i-10):min(len(w), i+20)])
}

func BenchmarkRenderDOCX(b *testing.B) {
	r := mustNew(b)
	n, _ := noticetest.Fixture(b)
	d, err := r.Layout(n)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(n.Body)))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := r.DOCX(d)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/docx")
}

// BenchmarkLayoutDOCX is the whole path from a notice: layout and .docx.
func BenchmarkLayoutDOCX(b *testing.B) {
	r := mustNew(b)
	n, _ := noticetest.Fixture(b)
	b.ReportAllocs()
	for b.Loop() {
		d, err := r.Layout(n)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.DOCX(d); err != nil {
			b.Fatal(err)
		}
	}
}
