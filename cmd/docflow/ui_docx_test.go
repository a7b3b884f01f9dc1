package main

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/docflow/docflow/internal/workflow"
)

// TestBrowserSectionFromWord: a department imports its section from a Word
// document in headless Chromium, through the section form's 导入 button
// (no script involved): the version is saved and the editor and the
// preview show it numbered as it will print; at phone width the form with
// its import field fits the screen.
func TestBrowserSectionFromWord(t *testing.T) {
	needChromium(t)
	m := mustOpen(t)
	c := dispatchFixture(t, m)
	sec := c.Sections[0] // 一、, level 1
	staff := ""
	for q := (workflow.AccountQuery{Limit: workflow.MaxPage}); staff == ""; {
		p, err := m.Store.Accounts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Accounts {
			if a.Dept == sec.Lead && a.Has(workflow.Staff) {
				staff = a.User
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" && staff == "" {
			t.Fatalf("no staff in %s", sec.Lead)
		}
	}
	file := filepath.Join(t.TempDir(), "第一部分.docx")
	writeWordSection(t, file)

	u := newUI(t, m.URL)
	u.login(staff)
	path := "/cases/" + c.ID + "/sections/" + sec.ID
	u.open(path)
	u.do(chromedp.SetUploadFiles(chromedp.CSS("#docx"), []string{file}))
	u.shot("department-import-docx")
	u.click(`#section-form button[name=action][value=import]`)
	u.expectPath(path)
	u.see(".flash", "已从 Word 文档 第一部分.docx 导入，保存为第 1 稿")
	if got, want := u.value("#heading"), "健全工作机制"; got != want {
		t.Errorf("heading %q; want %q from the document's first paragraph", got, want)
	}
	if got, want := u.value("#body"), "区政府高度重视。\n\n# 完善协调机制。\n\n定期召开联席会议。\n\n## 明确分工"; got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
	u.see("#preview", "（一）完善协调机制。")
	u.see("#preview", "1.明确分工")
	u.shot("department-imported-docx")

	u.phone()
	u.open(path)
	u.fits("the section page with its import field")
	u.do(scrollTo(`#section-form button[name=action][value=import]`))
	u.onScreen(`#section-form button[name=action][value=import]`)
	u.shot("department-import-docx-phone")
	u.desktop()
}

// writeWordSection writes a .docx whose levels are Word's own list
// numbering (一、 （一） 1.), as a department sets one up in Word.
func writeWordSection(t *testing.T, name string) {
	t.Helper()
	const w = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	listed := func(ilvl, text string) string {
		return `<w:p><w:pPr><w:numPr><w:ilvl w:val="` + ilvl + `"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>` + text + `</w:t></w:r></w:p>`
	}
	doc := `<?xml version="1.0" encoding="UTF-8"?><w:document ` + w + `><w:body>` +
		listed("0", "健全工作机制") +
		`<w:p><w:r><w:t>　　区政府高度重视。</w:t></w:r></w:p>` +
		listed("1", "完善协调机制。定期召开联席会议。") +
		listed("2", "明确分工") +
		`</w:body></w:document>`
	num := `<?xml version="1.0" encoding="UTF-8"?><w:numbering ` + w + `><w:abstractNum w:abstractNumId="0">` +
		`<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>` +
		`<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>` +
		`<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>` +
		`</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>`
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, p := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", doc}, {"word/numbering.xml", num},
	} {
		pw, err := zw.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		pw.Write([]byte(p[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
