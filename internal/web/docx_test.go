package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/docxmd"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/workflow"
)

// docxEnv is the page environment served with the .docx reader and writer,
// as the local server is.
func docxEnv(t *testing.T) *pageEnv {
	t.Helper()
	e := mustPageEnv(t)
	render, err := notice.New(notice.WithFormats(docx.Format))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Render = render
	s := &Server{Service: e.svc, Identify: DevIdentity(e.svc.Dir), Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ReadDocx: docxmd.ReadSection}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	e.mustDispatch(t)
	return e
}

// wordFile is a .docx with typed numbers, as a department writes its
// level-1 section in Word.
func wordFile(t *testing.T, paras ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, p := range paras {
		body.WriteString(`<w:p><w:r><w:t>` + p + `</w:t></w:r></w:p>`)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`))
	w, _ = zw.Create("word/document.xml")
	w.Write([]byte(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// postImport posts the section form with its 导入 button, as a browser
// does: the typed fields, then the file.
func (e *pageEnv) postImport(t *testing.T, user, path string, fields [][2]string, name string, data []byte) page {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("docx", name)
		fw.Write(data)
	}
	mw.WriteField("action", "import")
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: userCookie, Value: user})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header.Get("Location"), string(out)}
}

// TestSectionImportPage: the section page's 导入 saves the .docx as a
// new version, through the service as a save does; refusals say what to
// do beside the file field and keep what was typed.
func TestSectionImportPage(t *testing.T) {
	e := docxEnv(t)
	ctx := context.Background()
	sec := e.c.Sections[0] // level 1
	staff := e.member(t, sec.Lead, workflow.Staff).User
	path := sectionPath(e.c, sec.ID)
	// The form as the page shows it: nothing saved yet, the item's text
	// as the heading.
	shown := e.do(t, staff, "GET", path, nil)
	if shown.status != http.StatusOK || !strings.Contains(shown.body, `formaction="`+path+`/docx"`) || !strings.Contains(shown.body, `name="docx"`) {
		t.Fatalf("section page: %d, want the import field and button", shown.status)
	}
	heading := htmlUnescape(headingValue(t, shown.body))
	fields := [][2]string{{"rev", "0"}, {"heading", heading}, {"body", ""}, {"note", ""}}
	file := wordFile(t, "一、从 Word 来的标题", "　　第一段正文。", "（一）小标题。小标题后的正文。", "1.更小的标题")
	const want = "第一段正文。\n\n# 小标题。\n\n小标题后的正文。\n\n## 更小的标题"

	unchanged := func(t *testing.T) {
		t.Helper()
		c, err := e.svc.Case(ctx, e.id(t, "clerk"), e.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := c.Section(sec.ID); s.Current.N != 0 {
			t.Errorf("a refused import saved version %d", s.Current.N)
		}
	}
	for _, tc := range []struct {
		name   string
		fields [][2]string
		file   string
		data   []byte
		want   string
	}{
		{"no file", fields, "", nil, "请选择要导入的 Word 文档"},
		{"unsaved edits", [][2]string{{"rev", "0"}, {"heading", heading}, {"body", "我打的字，还没保存。"}}, "s.docx", file, "尚未保存的修改"},
		{"a PDF", fields, "s.docx", []byte("%PDF-1.4 ..."), "这是 PDF 文件"},
		{"an old .doc", fields, "s.doc", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1...."), "另存为” Word 文档（.docx）"},
		{"too large", [][2]string{{"rev", "0"}, {"heading", heading}, {"body", "我打的字，还没保存。"}}, "big.docx", make([]byte, MaxDocx+1), "文件过大"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.postImport(t, staff, path+"/docx", tc.fields, tc.file, tc.data)
			if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "docx"), tc.want) {
				t.Fatalf("status %d, message %q; want 400 with %q", p.status, fieldError(p.body, "docx"), tc.want)
			}
			typed := ""
			for _, f := range tc.fields {
				if f[0] == "body" {
					typed = f[1]
				}
			}
			if got := textarea(p.body, "body"); got != typed {
				t.Errorf("body textarea %q; want what was typed, %q", got, typed)
			}
			unchanged(t)
		})
	}

	t.Run("another department", func(t *testing.T) {
		other := e.member(t, "区教育局", workflow.Staff).User
		if p := e.postImport(t, other, path+"/docx", fields, "s.docx", file); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
			t.Errorf("status %d; want 403 or 404", p.status)
		}
		unchanged(t)
	})

	t.Run("imported", func(t *testing.T) {
		p := e.postImport(t, staff, path+"/docx", fields, "第一部分.docx", file)
		if p.status != http.StatusSeeOther || p.location != path {
			t.Fatalf("status %d to %q; want 303 to the section\n%.2000s", p.status, p.location, p.body)
		}
		c, err := e.svc.Case(ctx, e.id(t, "clerk"), e.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := c.Section(sec.ID)
		body, err := e.svc.Text(ctx, e.id(t, "clerk"), c.ID, s.Current.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if s.Current.N != 1 || s.Current.Heading != "从 Word 来的标题" || body != want || s.Current.Note != "从 Word 文档导入：第一部分.docx" {
			t.Errorf("version %d %q %q, body:\n%s\nwant version 1 from the file, body:\n%s", s.Current.N, s.Current.Heading, s.Current.Note, body, want)
		}
	})
}

// headingValue is the value of the page's heading field.
func headingValue(t *testing.T, body string) string {
	t.Helper()
	const field = `id="heading" name="heading" value="`
	i := strings.Index(body, field)
	if i < 0 {
		t.Fatal("no heading field in the page")
	}
	rest := body[i+len(field):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestSectionImportAPI: POST /api/cases/{id}/sections/{sec}/docx takes
// the raw .docx and the revision it is based on.
func TestSectionImportAPI(t *testing.T) {
	e := docxEnv(t)
	sec := e.c.Sections[1] // 一（一）, level 2
	staff := e.member(t, sec.Lead, workflow.Staff).User
	post := func(rev int, data []byte) (int, []byte) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/cases/"+e.c.ID+"/sections/"+sec.ID+"/docx?rev="+strconv.Itoa(rev)+"&name=s.docx", bytes.NewReader(data))
		req.Header.Set("Content-Type", docxType)
		req.Header.Set(UserHeader, staff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, b := post(0, wordFile(t, "（一）保障妇女权益", "1.加强协调。正文。"))
	if status != http.StatusOK {
		t.Fatalf("import: %d %s", status, b)
	}
	var c workflow.Case
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	s, _ := c.Section(sec.ID)
	if s.Current.N != 1 || s.Current.Heading != "保障妇女权益" {
		t.Errorf("section after import: %+v", s.Current)
	}
	if status, b := post(0, wordFile(t, "正文。")); status != http.StatusConflict {
		t.Errorf("stale rev: %d %s; want 409", status, b)
	}
	if status, b := post(s.Rev, []byte("not a docx")); status != http.StatusBadRequest || !strings.Contains(string(b), "另存为") {
		t.Errorf("not a .docx: %d %s; want 400 saying what to do", status, b)
	}
}

// TestDraftDocx: a section's draft and the report's download as .docx,
// and the section's reads back as itself.
func TestDraftDocx(t *testing.T) {
	e := docxEnv(t)
	ctx := context.Background()
	sec := e.c.Sections[0]
	staff := e.member(t, sec.Lead, workflow.Staff)
	const body = "第一段正文。\n\n# 小标题。\n\n小标题后的**正文**。\n\n## 更小的标题"
	c, err := e.svc.SaveSection(ctx, staff, e.c.ID, sec.ID, sec.Rev, "总体情况", body, "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+sectionPath(c, sec.ID)+"/docx", nil)
	req.Header.Set(UserHeader, staff.User)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != docxType || !strings.HasSuffix(params["filename"], "总体情况（第1稿）.docx") {
		t.Fatalf("section .docx: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	got, err := docxmd.Read(data, docxmd.Options{Level: sec.Level})
	if err != nil || got.Heading != "总体情况" || got.Body != body {
		t.Errorf("the download read back: %+v, %v; want the section", got, err)
	}
	// Any version: the first, after a second was saved.
	s1, _ := c.Section(sec.ID)
	if c, err = e.svc.SaveSection(ctx, staff, e.c.ID, sec.ID, s1.Rev, "第二稿标题", "第二稿。", ""); err != nil {
		t.Fatal(err)
	}
	page := e.do(t, staff.User, "GET", sectionPath(c, sec.ID), nil)
	first := s1.Current.Seq
	if !strings.Contains(page.body, sectionPath(c, sec.ID)+"/docx?seq="+strconv.Itoa(first)) {
		t.Errorf("the versions table has no .docx link for version 1 (seq %d)", first)
	}
	old := e.do(t, staff.User, "GET", sectionPath(c, sec.ID)+"/docx?seq="+strconv.Itoa(first), nil)
	if got, err := docxmd.Read([]byte(old.body), docxmd.Options{Level: sec.Level}); err != nil || got.Heading != "总体情况" || got.Body != body {
		t.Errorf("version 1 read back: %d %+v, %v; want the first version", old.status, got, err)
	}
	if p := e.do(t, staff.User, "GET", sectionPath(c, sec.ID)+"/docx?seq=x", nil); p.status != http.StatusNotFound {
		t.Errorf("?seq=x: %d; want 404", p.status)
	}

	e.mustSign(t)
	clerk := e.id(t, "clerk").User
	p := e.do(t, clerk, "GET", "/cases/"+e.c.ID+"/report.docx", nil)
	zr, err := zip.NewReader(strings.NewReader(p.body), int64(len(p.body)))
	if p.status != http.StatusOK || err != nil {
		t.Fatalf("report .docx: %d %v", p.status, err)
	}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "word/media/") {
			t.Errorf("the draft carries %s: the seal is pressed only at publication", f.Name)
		}
	}
	rep, err := docxmd.Read([]byte(p.body), docxmd.Options{})
	if err != nil {
		t.Fatalf("the report's .docx does not read: %v", err)
	}
	if !strings.Contains(rep.Body, "区人大常委会：") || !strings.Contains(rep.Body, "# 标题"+sec.ID+"\n\n正文。") {
		t.Errorf("the report's .docx does not read as the report:\n%.800s", rep.Body)
	}
	seq := strconv.Itoa(e.c.Report.Current.Seq)
	if p := e.do(t, clerk, "GET", "/cases/"+e.c.ID+"/report.docx?seq="+seq, nil); p.status != http.StatusOK || p.body != string(data2(t, e, clerk)) {
		t.Errorf("the report's version by ?seq=%s: %d, not the current draft's file", seq, p.status)
	}
}

// TestDocxNames: the web package's copies of the reader's and writer's
// names and limits agree with them.
func TestDocxNames(t *testing.T) {
	if MaxDocx != docxmd.MaxFile || docxName != docx.FileName || docxType != docx.ContentType {
		t.Errorf("MaxDocx %d, docxName %q, docxType %q; docxmd.MaxFile %d, docx.FileName %q, docx.ContentType %q",
			MaxDocx, docxName, docxType, docxmd.MaxFile, docx.FileName, docx.ContentType)
	}
}

// data2 downloads the report's current draft again.
func data2(t *testing.T, e *pageEnv, user string) []byte {
	t.Helper()
	return []byte(e.do(t, user, "GET", "/cases/"+e.c.ID+"/report.docx", nil).body)
}
