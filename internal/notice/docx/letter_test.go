package docx

import (
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// TestDOCXLetter checks the letter case's .docx against GB/T 9704-2012
// clause 10.1 (信函格式), as its document.xml says it: the text reads
// letter.golden.txt; the mark stands in a frame 30 mm below the paper's
// top; the two red double lines are paragraph borders, as the report's
// red rule is, 170 mm long, thick above thin under the mark and thin
// above thick 20 mm above the paper's foot, with notice's weights; the
// number is flush right on the result's line; the first page has a footer
// of its own without page number; the contact line is a 附注; the 版记
// has neither rules nor 印发 line.
func TestDOCXLetter(t *testing.T) {
	r := mustNew(t)
	n, want := noticetest.Letter(t, readNotice)
	file := mustDOCX(t, r, n, notice.Extras{})
	parts := mustUnzip(t, file)
	doc := string(parts["word/document.xml"])
	paras := docxParagraphs(t, parts["word/document.xml"])

	if got := docxBlocks(paras); !slices.Equal(got, want) {
		t.Errorf("document reads differently from letter.golden.txt:\n got %q\nwant %q", got, want)
	}

	byStyle := map[string][]string{}
	for _, p := range paras {
		byStyle[p.Style] = append(byStyle[p.Style], p.Text)
	}
	for style, want := range map[string][]string{
		"Mark":       {"上海市临江区民政局"},
		"DocNumber":  {"A\t临民建〔2026〕12号"},
		"Annotation": {"（联系人：张某某，联系电话：021-12345678）"},
		"Record":     {"抄送：区人大常委会代表工作室，区人民政府办公室。"},
	} {
		if got := byStyle[style]; !slices.Equal(got, want) {
			t.Errorf("paragraphs in style %s = %q; want %q", style, got, want)
		}
	}

	// The mark: a frame at 30 mm from the paper's top, centred on the
	// type area [10.1].
	if !regexp.MustCompile(`<w:pStyle w:val="Mark"/><w:framePr [^>]*w:vAnchor="page" w:hAnchor="margin" w:xAlign="center" w:y="1701"/>`).MatchString(doc) {
		t.Error("the mark is not a frame 1701 twips (30 mm) below the paper's top, centred")
	}
	// The number: flush right at the type area's edge, a right tab there
	// after the result.
	if !strings.Contains(doc, `<w:pStyle w:val="DocNumber"/><w:tabs><w:tab w:val="right" w:pos="`+strconv.Itoa(docxTypeW)+`"/></w:tabs>`) {
		t.Error("the number line has no right tab at the type area's right edge")
	}

	// The double lines, as paragraph borders.
	sz := func(pt float64) string { return strconv.Itoa(int(pt*8 + 0.5)) }
	thick, thin := sz(notice.LetterRuleThick), sz(notice.LetterRuleThin)
	border := regexp.MustCompile(`<w:p><w:pPr>(?:<w:framePr ([^>]*)/>)?<w:pBdr><w:top w:val="single" w:sz="(\d+)" w:space="0" w:color="D00000"/>` +
		`<w:bottom w:val="single" w:sz="(\d+)" w:space="0" w:color="D00000"/></w:pBdr>.*?<w:spacing w:before="(\d+)" w:after="0" w:line="(\d+)" w:lineRule="exact"/><w:ind ([^>]*)/>`)
	rules := border.FindAllStringSubmatch(doc, -1)
	if len(rules) != 2 {
		t.Fatalf("document.xml has %d red double lines; want 2", len(rules))
	}
	gap := strconv.Itoa(docxRuleGap)
	head, foot := rules[0], rules[1]
	t.Logf("first double line: top %s, bottom %s eighths of a point, %s twips apart, %s twips below the top margin; %s", head[2], head[3], head[5], head[4], head[6])
	t.Logf("second double line: top %s, bottom %s eighths of a point, %s twips apart; frame %s", foot[2], foot[3], foot[5], foot[1])
	if head[1] != "" || head[2] != thick || head[3] != thin || head[5] != gap {
		t.Errorf("first double line %q; want thick (%s) above thin (%s), %s twips apart, in the text [10.1]", head[0], thick, thin, gap)
	}
	out := strconv.Itoa(docxLetterOut)
	if long := float64(docxTypeW+2*docxLetterOut) / docxTwipsPerMM; !strings.Contains(head[6], `w:left="-`+out+`" w:right="-`+out+`"`) || math.Abs(long-170) > 0.1 {
		t.Errorf("first double line indents %q; want %s twips past each side of the type area (170 mm)", head[6], out)
	}
	if foot[2] != thin || foot[3] != thick || foot[5] != gap {
		t.Errorf("second double line %q; want thin (%s) above thick (%s), %s twips apart [10.1]", foot[0], thin, thick, gap)
	}
	var frame struct {
		W, H, X, Y int
		VAnchor    string
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"w", &frame.W}, {"h", &frame.H}, {"x", &frame.X}, {"y", &frame.Y}} {
		m := regexp.MustCompile(`w:` + f.name + `="(-?\d+)"`).FindStringSubmatch(foot[1])
		if m == nil {
			t.Fatalf("second double line's frame lacks w:%s: %s", f.name, foot[1])
		}
		*f.v, _ = strconv.Atoi(m[1])
	}
	if frame.W != docxTypeW+2*docxLetterOut || frame.X != -docxLetterOut || !strings.Contains(foot[1], `w:vAnchor="page"`) ||
		docxPageH-(frame.Y+frame.H) != docxLetterFoot || frame.H != docxRuleTw {
		t.Errorf("second double line's frame %+v (%s); want %d wide at %d, its foot %d twips (20 mm) above the paper's",
			frame, foot[1], docxTypeW+2*docxLetterOut, -docxLetterOut, docxLetterFoot)
	}

	// No page number on the first page: a first-page footer without one.
	var sect struct {
		Footers []struct {
			Type string `xml:"type,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"body>sectPr>footerReference"`
		TitlePg *struct{} `xml:"body>sectPr>titlePg"`
	}
	if err := xml.Unmarshal(parts["word/document.xml"], &sect); err != nil {
		t.Fatal(err)
	}
	var first string
	for _, f := range sect.Footers {
		if f.Type == "first" {
			first = f.ID
		}
	}
	rels := string(parts["word/_rels/document.xml.rels"])
	if sect.TitlePg == nil || first == "" || !strings.Contains(rels, `Id="`+first+`" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer3.xml"`) {
		t.Errorf("no first-page footer: titlePg %v, first footer %q", sect.TitlePg != nil, first)
	}
	if f := string(parts["word/footer3.xml"]); f == "" || strings.Contains(f, "PAGE") || strings.Contains(f, "<w:t") {
		t.Errorf("first-page footer %q; want one without page number [10.1]", f)
	}
	if !strings.Contains(string(parts["[Content_Types].xml"]), `PartName="/word/footer3.xml"`) {
		t.Error("[Content_Types].xml lacks footer3.xml")
	}

	// The 版记: 抄送 alone, no rules [10.1].
	if strings.Contains(doc, "印发") {
		t.Error("document.xml prints 印发; a letter's 版记 has no 印发机关 nor 印发日期 [10.1]")
	}
	tbl := doc[strings.LastIndex(doc, "<w:tblBorders>"):]
	tbl = tbl[:strings.Index(tbl, "</w:tblBorders>")]
	if strings.Contains(tbl, "single") {
		t.Errorf("the 版记 table has rules: %s", tbl)
	}
	if dir := os.Getenv("DOCFLOW_DOCX_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "letter.docx"), file, 0o644)
	}
}

// TestDOCXLetterLibreOffice reads the letter back through LibreOffice:
// its text is letter.golden.txt's and only the second page is numbered.
// It skips when soffice or pdftotext is missing.
func TestDOCXLetterLibreOffice(t *testing.T) {
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
	n, want := noticetest.Letter(t, readNotice)
	dir := t.TempDir()
	src := filepath.Join(dir, "letter.docx")
	if err := os.WriteFile(src, mustDOCX(t, r, n, notice.Extras{}), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--convert-to", "pdf", "--outdir", dir, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, filepath.Join(dir, "letter.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	pageNumber := regexp.MustCompile(`(?m)^—\s*(\d+)\s*—$`)
	var numbers []string
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
	if got, w := strip(text.String()), strip(strings.Join(want, "")); got != w {
		t.Errorf("LibreOffice's PDF reads differently from letter.golden.txt near %q", near(got, w))
	}
	if len(pages) != 2 || !slices.Equal(numbers, []string{"2"}) {
		t.Errorf("%d pages numbered %q; want 2 pages, the first without number [10.1]", len(pages), numbers)
	}
}

// TestDOCXLetterVariants: letters without result, number or 抄送, and
// sealed with a 附注, give well-formed documents that keep the first
// page's footer without number.
func TestDOCXLetterVariants(t *testing.T) {
	r := mustNew(t)
	base, _ := noticetest.Letter(t, readNotice)
	for name, change := range map[string]func(n *workflow.Notice, x *notice.Extras){
		"NoResult": func(n *workflow.Notice, _ *notice.Extras) { n.Letter.Result = "" },
		"Preview":  func(n *workflow.Notice, _ *notice.Extras) { n.Number, n.Letter.Result = "", "" },
		"NoCC":     func(n *workflow.Notice, _ *notice.Extras) { n.CC = nil },
		"Sealed": func(n *workflow.Notice, x *notice.Extras) {
			x.Seal, x.Note = noticetest.Seal(t, 100), "此件主动公开"
		},
	} {
		t.Run(name, func(t *testing.T) {
			n := *base
			l := *base.Letter
			n.Letter = &l
			var x notice.Extras
			change(&n, &x)
			parts := mustUnzip(t, mustDOCX(t, r, &n, x))
			if _, ok := parts["word/footer3.xml"]; !ok || !strings.Contains(string(parts["word/document.xml"]), "<w:titlePg/>") {
				t.Error("no first-page footer")
			}
			var numbers []string
			for _, p := range docxParagraphs(t, parts["word/document.xml"]) {
				if p.Style == "DocNumber" {
					numbers = append(numbers, p.Text)
				}
			}
			wantNumbers := map[string][]string{"NoResult": {"\t" + n.Number}, "Preview": nil, "NoCC": {"A\t" + n.Number}, "Sealed": {"A\t" + n.Number}}[name]
			if !slices.Equal(numbers, wantNumbers) {
				t.Errorf("number lines %q; want %q", numbers, wantNumbers)
			}
		})
	}
}

// readNotice is notice.ReadFile for noticetest.Letter.
func readNotice(src []byte) (*workflow.Notice, error) {
	n, _, err := notice.ReadFile(src)
	return n, err
}
