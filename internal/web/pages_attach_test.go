package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

var (
	testPDF = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR test")
)

// postAttach posts the section form (or the report's upload form) with a
// file in field "attachment", as a browser does: the typed fields, then
// the file.
func (e *pageEnv) postAttach(t *testing.T, user, path string, fields [][2]string, name string, data []byte) (page, http.Header) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("attachment", name)
		fw.Write(data)
	}
	mw.WriteField("action", "attach")
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: userCookie, Value: user})
	return e.send(t, req)
}

func (e *pageEnv) send(t *testing.T, req *http.Request) (page, http.Header) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header.Get("Location"), string(out)}, resp.Header
}

// state is what a refusal must leave as it was: every section's version,
// stream head and attachments.
func (e *pageEnv) state(t *testing.T) string {
	t.Helper()
	c, err := e.svc.Store.Case(context.Background(), e.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("v%d h%d", c.Version, c.Head.Seq)
	for _, s := range c.Sections {
		out += fmt.Sprintf(" %s:v%d:h%d:%d", s.ID, s.V, s.Head.Seq, len(s.Attachments))
	}
	if c.Report != nil {
		out += fmt.Sprintf(" report:%d", len(c.Report.Attachments))
	}
	return out
}

// TestSectionAttachmentPage goes through a section's attachments on its
// page. What was tried: a PDF with a Windows path as its name (saved
// under its own name, listed, downloaded with equal bytes, its type,
// filename* for the Chinese name, nosniff, a sandbox, not cached); a
// file with unsaved edits in the editor (attached, the edits kept in the
// page); an HTML file named .pdf, an empty file and one over the limit
// (each refused beside the file field with the typed text kept, 400 or
// 413, nothing stored); one file past the limit of files; forged forms —
// another department posting to the section, a hash of this section's
// file removed through another section, a file attached to a submitted
// section — each refused with nothing changed; the download by a
// department not involved (404) and by the clerk (200).
func TestSectionAttachmentPage(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	ctx := context.Background()
	sec := e.c.Sections[0]
	other := e.c.Sections[1]
	staff := e.member(t, sec.Lead, workflow.Staff).User
	path := sectionPath(e.c, sec.ID)

	shown := e.do(t, staff, "GET", path, nil)
	if shown.status != http.StatusOK || !strings.Contains(shown.body, `formaction="`+path+`/attachments"`) || !strings.Contains(shown.body, `name="attachment"`) {
		t.Fatalf("section page: %d; want the attachment field and its button in the section form", shown.status)
	}
	heading := htmlUnescape(headingValue(t, shown.body))
	untouched := [][2]string{{"rev", "0"}, {"heading", heading}, {"body", ""}, {"note", ""}}

	got, _ := e.postAttach(t, staff, path+"/attachments", untouched, `C:\Users\王\桌面\工作台账.pdf`, testPDF)
	if got.status != http.StatusSeeOther || got.location != path {
		t.Fatalf("attach: %d → %q; want 303 back to the section\n%.400s", got.status, got.location, got.body)
	}
	hash := workflow.Hash(testPDF)
	listed := e.do(t, staff, "GET", path, nil)
	if !strings.Contains(listed.body, "工作台账.pdf") || !strings.Contains(listed.body, path+"/attachments/"+hash) || !strings.Contains(listed.body, `name="hash" value="`+hash+`"`) {
		t.Errorf("the section page does not list the attachment with its link and 删除 button")
	}
	// The download: equal bytes, the right headers.
	req, _ := http.NewRequest("GET", e.srv.URL+path+"/attachments/"+hash, nil)
	req.AddCookie(&http.Cookie{Name: userCookie, Value: staff})
	dl, h := e.send(t, req)
	if dl.status != http.StatusOK || dl.body != string(testPDF) {
		t.Fatalf("download: %d, %d bytes; want 200 and the file", dl.status, len(dl.body))
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Disposition":    `attachment; filename="____.pdf"; filename*=UTF-8''%E5%B7%A5%E4%BD%9C%E5%8F%B0%E8%B4%A6.pdf`,
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "private, no-store",
	} {
		if h.Get(k) != want {
			t.Errorf("download %s: %q; want %q", k, h.Get(k), want)
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download CSP %q; want a sandbox", h.Get("Content-Security-Policy"))
	}

	// With unsaved edits in the editor: attached, and the edits stay.
	typed := [][2]string{{"rev", "0"}, {"heading", "新的标题"}, {"body", "尚未保存的正文。"}, {"note", ""}}
	got, _ = e.postAttach(t, staff, path+"/attachments", typed, "现场照片.png", testPNG)
	if got.status != http.StatusOK || textarea(got.body, "body") != "尚未保存的正文。" || !strings.Contains(got.body, "现场照片.png") || !strings.Contains(got.body, "尚未保存") {
		t.Errorf("attach with unsaved edits: %d; want the page with the file listed and the edits kept\n%.600s", got.status, got.body)
	}

	before := e.state(t)
	for _, tc := range []struct {
		what, name string
		data       []byte
		status     int
		phrase     string
	}{
		{"HTML named .pdf", "说明.pdf", []byte("<html><script>alert(1)</script></html>"), http.StatusBadRequest, "内容不是PDF"},
		{"an executable", "setup.exe", []byte("MZ\x90\x00\x03\x00"), http.StatusBadRequest, "只接受"},
		{"an empty file", "空.pdf", []byte{}, http.StatusBadRequest, "空文件"},
		{"too large", "大.pdf", append(append([]byte(nil), testPDF...), make([]byte, workflow.MaxAttachmentSize)...), http.StatusRequestEntityTooLarge, "文件过大"},
		{"no file", "", nil, http.StatusBadRequest, "请选择"},
	} {
		got, _ := e.postAttach(t, staff, path+"/attachments", typed, tc.name, tc.data)
		msg := htmlUnescape(fieldError(got.body, "attachment"))
		if got.status != tc.status || !strings.Contains(msg, tc.phrase) || textarea(got.body, "body") != "尚未保存的正文。" {
			t.Errorf("%s: %d, beside the field %q, body %q; want %d saying %q, the typed text kept", tc.what, got.status, msg, textarea(got.body, "body"), tc.status, tc.phrase)
		}
		if after := e.state(t); after != before {
			t.Errorf("%s: refused, but %s → %s", tc.what, before, after)
		}
	}

	// Forged forms.
	outsider := ""
	for _, a := range e.acc {
		if a.Dept != "" && a.Has(workflow.Staff) && !sec.Involves(a.Dept) {
			outsider = a.User
			break
		}
	}
	got, _ = e.postAttach(t, outsider, path+"/attachments", untouched, "别人的.pdf", append([]byte("%PDF-"), 'x'))
	if got.status != http.StatusForbidden && got.status != http.StatusNotFound {
		t.Errorf("another department attaches: %d; want 403 or 404", got.status)
	}
	otherLead := e.member(t, other.Lead, workflow.Staff).User
	got = e.do(t, otherLead, "POST", sectionPath(e.c, other.ID)+"/attachments/remove", url.Values{"hash": {hash}})
	if got.status < 400 || got.status >= 500 {
		t.Errorf("removing %s's file through %s: %d; want refused", sec.ID, other.ID, got.status)
	}
	got = e.do(t, outsider, "POST", path+"/attachments/remove", url.Values{"hash": {hash}})
	if got.status != http.StatusForbidden && got.status != http.StatusNotFound {
		t.Errorf("another department removes: %d; want 403 or 404", got.status)
	}
	if after := e.state(t); after != before {
		t.Errorf("forged forms: refused, but %s → %s", before, after)
	}
	// Who may read: not a department outside the section; the clerk.
	if got := e.do(t, outsider, "GET", path+"/attachments/"+hash, nil); got.status != http.StatusNotFound {
		t.Errorf("another department downloads: %d; want 404", got.status)
	}
	if got := e.do(t, "clerk", "GET", path+"/attachments/"+hash, nil); got.status != http.StatusOK || got.body != string(testPDF) {
		t.Errorf("the clerk downloads: %d", got.status)
	}

	// Up to the limit of files, then refused.
	id := e.member(t, sec.Lead, workflow.Staff)
	for i := 2; i < workflow.MaxAttachments; i++ {
		if _, err := e.svc.AttachToSection(ctx, id, e.c.ID, sec.ID, fmt.Sprintf("图%d.png", i), append(append([]byte(nil), testPNG...), byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	before = e.state(t)
	got, _ = e.postAttach(t, staff, path+"/attachments", untouched, "多一个.png", append(append([]byte(nil), testPNG...), 0xEE))
	if msg := htmlUnescape(fieldError(got.body, "attachment")); got.status != http.StatusBadRequest || !strings.Contains(msg, "上限") {
		t.Errorf("one file too many: %d, %q; want 400 naming the limit", got.status, msg)
	}
	if after := e.state(t); after != before {
		t.Errorf("one file too many: refused, but %s → %s", before, after)
	}
	// Removing one from the page works; then the section is submitted, and
	// nothing can be attached or removed.
	got = e.do(t, staff, "POST", path+"/attachments/remove", url.Values{"hash": {hash}})
	if got.status != http.StatusSeeOther {
		t.Errorf("remove: %d; want 303", got.status)
	}
	c, _ := e.svc.Case(ctx, e.id(t, "clerk"), e.c.ID)
	s, _ := c.Section(sec.ID)
	if c, err := e.svc.SaveSection(ctx, id, e.c.ID, sec.ID, s.Rev, "标题", "正文。", ""); err != nil {
		t.Fatal(err)
	} else if s, _ = c.Section(sec.ID); true {
		if _, err := e.svc.SubmitSection(ctx, e.member(t, sec.Lead, workflow.Head), e.c.ID, sec.ID, s.Rev); err != nil {
			t.Fatal(err)
		}
	}
	before = e.state(t)
	got, _ = e.postAttach(t, staff, path+"/attachments", untouched, "迟到.pdf", append(append([]byte(nil), testPDF...), 'y'))
	if got.status != http.StatusBadRequest {
		t.Errorf("attach to a submitted section: %d; want 400", got.status)
	}
	got = e.do(t, staff, "POST", path+"/attachments/remove", url.Values{"hash": {workflow.Hash(testPNG)}})
	if got.status != http.StatusBadRequest {
		t.Errorf("remove from a submitted section: %d; want 400", got.status)
	}
	if after := e.state(t); after != before {
		t.Errorf("submitted: refused, but %s → %s", before, after)
	}
	// The clerk, judging it, sees the files.
	if got := e.do(t, "clerk", "GET", path, nil); !strings.Contains(got.body, "现场照片.png") || strings.Contains(got.body, `name="attachment"`) {
		t.Errorf("the clerk's section page: want the files listed, no upload")
	}
}

// TestAttachmentAPI: the JSON API attaches (raw body with ?name=, and
// multipart), refuses a wrong type (400), an oversize body (413 with the
// limit named) and another department (403), and removes by hash.
func TestAttachmentAPI(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	sec := e.c.Sections[0]
	staff := e.member(t, sec.Lead, workflow.Staff).User
	api := "/api/cases/" + e.c.ID + "/sections/" + sec.ID + "/attachments"
	post := func(user, name string, data []byte) (int, Problem, *workflow.Case) {
		req, _ := http.NewRequest("POST", e.srv.URL+api+"?name="+url.QueryEscape(name), bytes.NewReader(data))
		req.Header.Set(UserHeader, user)
		req.Header.Set("Content-Type", "application/octet-stream")
		got, _ := e.send(t, req)
		var p Problem
		var c workflow.Case
		json.Unmarshal([]byte(got.body), &p)
		json.Unmarshal([]byte(got.body), &c)
		return got.status, p, &c
	}
	status, _, c := post(staff, "统计表.png", testPNG)
	if status != http.StatusCreated {
		t.Fatalf("attach: %d; want 201", status)
	}
	if s, _ := c.Section(sec.ID); len(s.Attachments) != 1 || s.Attachments[0].Type != "image/png" {
		t.Errorf("the case answered: %+v", s.Attachments)
	}
	before := e.state(t)
	for _, tc := range []struct {
		what, user, name string
		data             []byte
		status           int
		phrase           string
	}{
		{"HTML", staff, "页面.html", []byte("<!doctype html><p>x"), http.StatusBadRequest, "只接受"},
		{"oversize", staff, "大.pdf", append(append([]byte(nil), testPDF...), make([]byte, workflow.MaxAttachmentSize)...), http.StatusRequestEntityTooLarge, "4 MB"},
		{"another department", "jiaoyu-staff", "a.pdf", testPDF, http.StatusForbidden, ""},
	} {
		status, p, _ := post(tc.user, tc.name, tc.data)
		if status != tc.status || !strings.Contains(p.Error, tc.phrase) {
			t.Errorf("%s: %d %q; want %d saying %q", tc.what, status, p.Error, tc.status, tc.phrase)
		}
		if after := e.state(t); after != before {
			t.Errorf("%s: refused, but %s → %s", tc.what, before, after)
		}
	}
	got := e.do(t, "", "DELETE", api+"/"+workflow.Hash(testPNG), nil, UserHeader, "jiaoyu-staff")
	if got.status != http.StatusForbidden {
		t.Errorf("another department removes: %d; want 403", got.status)
	}
	got = e.do(t, "", "DELETE", api+"/"+workflow.Hash(testPNG), nil, UserHeader, staff)
	if got.status != http.StatusOK {
		t.Errorf("remove: %d; want 200\n%s", got.status, got.body)
	}
}

// TestPublishedAttachments: the clerk attaches files to the compiled
// report on its page; an approver sees them on the review page; the
// published notice lists them in its 附件说明 (HTML) and on its page, and
// each downloads, to the public when the notice is 主动公开.
func TestPublishedAttachments(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	e.mustCompile(t)
	ctx := context.Background()
	rpath := "/cases/" + e.c.ID + "/report"
	got, _ := e.postAttach(t, "clerk", rpath+"/attachments", nil, "2025年工作台账.pdf", testPDF)
	if got.status != http.StatusSeeOther {
		t.Fatalf("attach to the report: %d\n%.400s", got.status, got.body)
	}
	before := e.state(t)
	got, _ = e.postAttach(t, "clerk", rpath+"/attachments", nil, "脚本.pdf", []byte("#!/bin/sh\nrm -rf /\n"))
	if msg := htmlUnescape(fieldError(got.body, "attachment")); got.status != http.StatusBadRequest || !strings.Contains(msg, "内容不是PDF") {
		t.Errorf("a script named .pdf: %d, %q", got.status, msg)
	}
	if after := e.state(t); after != before {
		t.Errorf("refused, but %s → %s", before, after)
	}
	if page := e.do(t, "clerk", "GET", rpath, nil); !strings.Contains(page.body, "2025年工作台账.pdf") || !strings.Contains(page.body, "附件1") {
		t.Errorf("the report page does not list 附件1")
	}
	clerk := e.id(t, "clerk")
	var err error
	if e.c, err = e.svc.StartSignoff(ctx, clerk, e.c.ID, nil); err != nil {
		t.Fatal(err)
	}
	signer := e.c.Chain[0].Signers[0]
	if page := e.do(t, signer, "GET", "/cases/"+e.c.ID+"/review", nil); !strings.Contains(page.body, "2025年工作台账.pdf") {
		t.Errorf("the review page does not list the attachment")
	}
	if got := e.do(t, signer, "GET", rpath+"/attachments/"+workflow.Hash(testPDF), nil); got.status != http.StatusOK || got.body != string(testPDF) {
		t.Errorf("the signer downloads: %d", got.status)
	}
	e.mustApprove(t)
	if e.c, err = e.svc.Publish(ctx, clerk, e.c.ID, e.c.Opinion.Date.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	page := e.do(t, "", "GET", "/notices/"+e.c.ID, nil)
	link := "/notices/" + e.c.ID + "/attachments/1"
	if !strings.Contains(page.body, link) || !strings.Contains(page.body, "2025年工作台账") {
		t.Errorf("the public notice page does not link 附件1")
	}
	html := e.do(t, "", "GET", "/notices/"+e.c.ID+"/notice.html", nil)
	if !strings.Contains(html.body, "附件：") || !strings.Contains(html.body, "2025年工作台账") {
		t.Errorf("the published notice has no 附件说明 naming the file")
	}
	req, _ := http.NewRequest("GET", e.srv.URL+link, nil)
	dl, h := e.send(t, req)
	if dl.status != http.StatusOK || dl.body != string(testPDF) || h.Get("Content-Type") != "application/pdf" || !strings.Contains(h.Get("Content-Disposition"), "attachment;") {
		t.Errorf("the public downloads 附件1: %d, %q, %q", dl.status, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	if got := e.do(t, "", "GET", "/notices/"+e.c.ID+"/attachments/2", nil); got.status != http.StatusNotFound {
		t.Errorf("附件2: %d; want 404", got.status)
	}
}
