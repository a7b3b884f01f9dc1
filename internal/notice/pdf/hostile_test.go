package pdf

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// hostile are section bodies a careless paste or a hostile user might
// send: scripts, event handlers, dangerous links however encoded, raw
// HTML of every kind, and Markdown that used to cost quadratic time.
var hostile = []string{
	"<script>alert(1)</script>",
	"正文<script>alert(1)</script>正文",
	"<img src=x onerror=alert(1)>",
	"<div onmouseover=\"alert(7)\">块</div>\n\n后文",
	"段落里的<b onclick=\"alert(3)\">粗体</b>。",
	"<!-- 注释 -->\n\n正文",
	"<style>body{display:none}</style>",
	"[x](javascript:alert(1))",
	"[x](jav&#x61;script:alert(1))",
	"[x](java&Tab;script:alert(1))",
	"[x](%6Aavascript:alert(1))",
	"[x](data:text/html;base64,PHNjcmlwdD4=)",
	"[x](vbscript:msgbox)",
	"<javascript:alert(1)>",
	"![图](javascript:alert(6))",
	"[x][r]\n\n[r]: jav&#x61;script:alert(1)",
	"[链接](http://example.gov.cn) 与 <https://example.gov.cn>",
	"```html\n<script>alert(8)</script>\n```",
	"`<b>代码</b>`",
	"&lt;script&gt; 与 \\<b\\>",
	"| <script> | a |\n|---|---|\n| <b>1</b> | [x](javascript:1) |",
	"- <div>项</div>\n- [x](javascript:1)",
	"> <img src=x onerror=alert(1)>\n> 引文",
	"# 标题<script>alert(2)</script>\n\n## 小标题。正文",
	strings.Repeat("[a](", 2000),
	strings.Repeat("> ", 100) + "深处",
	strings.Repeat("*a_", 2000),
	"甲\x00乙\xff丙",
}

// visible is what a reader sees of a body: the text of the HTML page, of
// the .docx and of the PDF (its text operators), each in its own writer.
type visible struct{ html, docx, pdf string }

// outputs renders body in all three formats, checks that none holds
// active content or a link out, and returns their texts.
func outputs(t *testing.T, r renderer, body string) visible {
	t.Helper()
	n := &workflow.Notice{Mark: "区政府文件", Number: "区府议〔2026〕1号", Title: "关于测试的报告", Addressee: "区人大常委会",
		Body: body, Signer: "区政府", Date: workflow.Day(2026, 1, 5), Office: "区政府办公室", Printed: workflow.Day(2026, 1, 5)}
	d, err := r.Layout(n)
	if err != nil {
		t.Fatal(err)
	}
	page, err := r.DocumentHTML(d)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := noticetest.ActiveContent(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("HTML of %.80q has active content %q", body, bad)
	}
	blocks, err := noticetest.Blocks(page)
	if err != nil {
		t.Fatal(err)
	}

	x, err := docx.Write(d)
	if err != nil {
		t.Fatal(err)
	}
	doc, rels := docxPart(t, x, "word/document.xml"), docxPart(t, x, "word/_rels/document.xml.rels")
	if strings.Contains(doc, "<w:hyperlink") || strings.Contains(rels, "External") || strings.Contains(doc, "w:instrText") {
		t.Errorf(".docx of %.80q has a link or a field", body)
	}

	ts, err := typeset(r.fonts, d)
	if err != nil {
		t.Fatal(err)
	}
	var pt strings.Builder
	for _, s := range ts.sheets {
		for _, op := range s.texts {
			pt.WriteString(op.text)
		}
	}
	file, err := writePDF(r.fonts, d, ts.sheets, nil)
	if err != nil {
		t.Fatal(err)
	}
	objects := streamData.ReplaceAll(file.Data, nil) // compressed streams may hold any bytes
	if m := pdfActions.Find(objects); m != nil {
		t.Errorf("PDF of %.80q has %s", body, m)
	}
	return visible{html: strings.Join(blocks, ""), docx: docxText(doc), pdf: pt.String()}
}

// pdfActions matches the names of PDF links, annotations and actions.
var pdfActions = regexp.MustCompile(`/(URI|JavaScript|JS|Launch|OpenAction|AA|SubmitForm|Annots)[\s/<>\[\]()]`)

// streamData matches the data of a PDF's streams.
var streamData = regexp.MustCompile(`(?s)stream\r?\n.*?endstream`)

var wText = regexp.MustCompile(`<w:t(?: [^>]*)?>([^<]*)</w:t>`)

// docxText is the text of document.xml's runs.
func docxText(doc string) string {
	var b strings.Builder
	for _, m := range wText.FindAllStringSubmatch(doc, -1) {
		b.WriteString(html.UnescapeString(m[1]))
	}
	return b.String()
}

// same reports whether the outputs show the same text where raw HTML could
// differ: the same angle brackets (raw HTML shown in one output and not
// another would differ in them) and the same Chinese characters. List
// markers, numbering and spacing are each writer's own.
func (v visible) same() bool {
	count := func(s string) [3]int {
		var c [3]int
		for _, r := range s {
			switch {
			case r == '<':
				c[0]++
			case r == '>':
				c[1]++
			case unicode.Is(unicode.Han, r):
				c[2]++
			}
		}
		return c
	}
	h := count(v.html)
	return h == count(v.docx) && h == count(v.pdf)
}

// TestHostileOutputs: no hostile body gives active content or a link out
// in any output, and each output shows the same text (raw HTML in none).
func TestHostileOutputs(t *testing.T) {
	r := mustPDFRenderer(t)
	for _, body := range hostile {
		v := outputs(t, r, body)
		if !v.same() {
			t.Errorf("outputs of %.80q differ:\nHTML: %.300q\ndocx: %.300q\n PDF: %.300q", body, v.html, v.docx, v.pdf)
		}
		if strings.Contains(v.pdf, "alert(7)") || strings.Contains(v.pdf, "onclick") {
			t.Errorf("PDF of %.80q prints raw HTML: %.300q", body, v.pdf)
		}
	}
}

// FuzzOutputs renders section Markdown as HTML, PDF and .docx: none may
// panic, hold active content or a link out (javascript:, data:, …), or
// show raw HTML that another does not.
func FuzzOutputs(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	r := mustPDFRenderer(f)
	f.Fuzz(func(t *testing.T, body string) {
		if v := outputs(t, r, body); !v.same() {
			t.Errorf("outputs of %q differ:\nHTML: %q\ndocx: %q\n PDF: %q", body, v.html, v.docx, v.pdf)
		}
	})
}

// docxPart returns the part name of a .docx.
func docxPart(tb testing.TB, x []byte, name string) string {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(x), int64(len(x)))
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
