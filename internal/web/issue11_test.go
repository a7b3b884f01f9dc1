package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// mustApprove takes the case in sign-off through its chain.
func (e *pageEnv) mustApprove(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	for e.c.Stage == workflow.Signing {
		st := e.c.Chain[e.c.CurrentStep()]
		u := st.Pending(e.c.Report.Current.Sum)[0]
		var err error
		if e.c, err = e.svc.Approve(ctx, e.id(tb, u), e.c.ID, e.c.Report.Current.Sum, "同意"); err != nil {
			tb.Fatal(err)
		}
	}
}

// setNotes gives the office its practice of 附注 by 公开属性.
func (e *pageEnv) setNotes(tb testing.TB, notes map[workflow.Openness]string) {
	tb.Helper()
	ctx := context.Background()
	o, err := e.svc.Office(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	changed := *o
	changed.Profile.Notes = notes
	if _, err := e.svc.SaveOffice(ctx, e.id(tb, "admin"), o.Version, changed, ""); err != nil {
		tb.Fatal(err)
	}
}

var inputValueRE = func(name string) *regexp.Regexp {
	return regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]*? value="([^"]*)"`)
}

func inputValue(body, name string) string {
	m := inputValueRE(name).FindStringSubmatch(body)
	if m == nil {
		return "<no input " + name + ">"
	}
	return htmlUnescape(m[1])
}

// TestPublishPageConfirms: the publish page shows what will be issued and
// asks again whenever what it showed no longer holds — a 印发日期 before
// the 成文日期, a 附注 that follows a changed 公开属性, a number another
// publication took — publishing nothing until the clerk confirms.
func TestPublishPageConfirms(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	e.mustSign(t)
	e.mustApprove(t)
	e.setNotes(t, map[workflow.Openness]string{workflow.OnRequest: "此件依申请公开", workflow.Withheld: "此件不予公开"})
	ctx := context.Background()
	path := "/cases/" + e.c.ID + "/publish"
	p := e.do(t, "clerk", "GET", path+"?date=2025-12-22", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "静府议〔2025〕1号") || !strings.Contains(p.body, "以发布时为准") {
		t.Fatalf("publish page: %d; want the number to be issued, said to be provisional:\n%.2000s", p.status, p.body)
	}
	if inputValue(p.body, "note") != "" || !strings.Contains(p.body, `value="public" checked`) {
		t.Errorf("publish page: note %q; want 主动公开 checked and the office's note for it (none)", inputValue(p.body, "note"))
	}
	counter := func() int {
		n, err := e.svc.Store.Counter(ctx, "静府议", 2025)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	form := url.Values{"date": {"2025-12-22"}, "printed": {"2025-12-20"}, "openness": {"public"}, "note": {""}, "notefor": {"public"},
		"expect": {"2025-1"}, "action": {"publish"}}
	p = e.do(t, "clerk", "POST", path, form)
	if p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "printed"), "早于成文日期") || inputValue(p.body, "printed") != "2025-12-20" {
		t.Errorf("印发日期 before 成文日期: %d, %q; want 400 beside the field, the date kept", p.status, fieldError(p.body, "printed"))
	}
	// 公开属性 changed, note left as proposed: the note follows, and the
	// page asks again.
	form.Set("printed", "2025-12-24")
	form.Set("openness", "on-request")
	p = e.do(t, "clerk", "POST", path, form)
	if p.status != http.StatusOK || inputValue(p.body, "note") != "此件依申请公开" || !strings.Contains(p.body, "请确认后发布") {
		t.Errorf("openness changed, note untouched: %d, note %q; want the page again with the office's note for 依申请公开", p.status, inputValue(p.body, "note"))
	}
	if n := counter(); n != 0 {
		t.Fatalf("the page asked again, yet %d numbers were taken", n)
	}
	// Another publication took the number meanwhile: asked again.
	if err := e.svc.SetSeries(ctx, e.id(t, "clerk"), "静府议", 2025, 5); err != nil {
		t.Fatal(err)
	}
	form.Set("note", inputValue(p.body, "note"))
	form.Set("notefor", inputValue(p.body, "notefor"))
	p = e.do(t, "clerk", "POST", path, form)
	if p.status != http.StatusConflict || !strings.Contains(p.body, "静府议〔2025〕5号") || inputValue(p.body, "expect") != "2025-5" {
		t.Errorf("a number taken since the page was shown: %d; want 409 naming 5号 and asking again", p.status)
	}
	if n := counter(); n != 4 {
		t.Fatalf("counter at %d after the refusal; want 4", n)
	}
	form.Set("expect", "2025-5")
	p = e.do(t, "clerk", "POST", path, form)
	if p.status != http.StatusSeeOther || p.location != "/notices/"+e.c.ID {
		t.Fatalf("confirmed: %d %s; want 303 to the notice\n%.2000s", p.status, p.location, p.body)
	}
	c, err := e.svc.Case(ctx, e.id(t, "clerk"), e.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	pub := c.Publication
	if pub.Number() != "静府议〔2025〕5号" || !pub.Printed.Equal(workflow.Day(2025, 12, 24)) || pub.Openness != workflow.OnRequest || pub.Note != "此件依申请公开" {
		t.Errorf("published %s, 印发 %v, %s, note %q; want 5号, 2025-12-24, on-request, 此件依申请公开", pub.Number(), pub.Printed, pub.Openness, pub.Note)
	}
	_, html, err := e.svc.File(ctx, e.id(t, "clerk"), c.ID, "notice.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"（此件依申请公开）", "2025年12月24日印发", "2025年12月22日"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the published notice lacks %q", want)
		}
	}
}

// TestInternalNoticeHidden: a notice published 依申请公开 is in none of
// the public's lists, feed or URLs, and the office and the departments
// that took part still see it.
func TestInternalNoticeHidden(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	e.mustSign(t)
	e.mustApprove(t)
	ctx := context.Background()
	note := "此件依申请公开"
	if _, err := e.svc.PublishWith(ctx, e.id(t, "clerk"), e.c.ID, workflow.Publishing{Date: workflow.Day(2025, 12, 22), Openness: workflow.OnRequest, Note: &note}); err != nil {
		t.Fatal(err)
	}
	id := e.c.ID
	lead := e.member(t, e.c.Sections[0].Lead, workflow.Staff).User
	for _, tt := range []struct {
		what, user, path string
		status           int
		has, lacks       string
	}{
		{"the public list", "", "/notices", 200, "", id},
		{"the feed", "", "/notices.atom", 200, "", id},
		{"the public API's list", "", "/api/notices", 200, "", id},
		{"the public API's cases", "", "/api/cases", 200, "", id},
		{"the public API's case", "", "/api/cases/" + id, 404, "", "静府议"},
		{"the notice's page", "", "/notices/" + id, 404, "", "静府议〔2025〕1号"},
		{"the notice's file", "", "/notices/" + id + "/notice.html", 404, "", "静府议〔2025〕1号"},
		{"the notice's page to the clerk", "clerk", "/notices/" + id, 200, "不在公开公告中", ""},
		{"the notice's file to the clerk", "clerk", "/notices/" + id + "/notice.html", 200, "（此件依申请公开）", ""},
		{"the notice's file to the lead department", lead, "/notices/" + id + "/notice.html", 200, "静府议〔2025〕1号", ""},
		{"the case to the clerk", "clerk", "/cases/" + id, 200, "依申请公开", ""},
		{"the office's list", "clerk", "/cases?stage=published", 200, id, ""},
		{"the API's case to the clerk", "clerk", "/api/cases/" + id, 200, `"openness": "on-request"`, ""},
	} {
		p := e.do(t, tt.user, "GET", tt.path, nil)
		if p.status != tt.status || tt.has != "" && !strings.Contains(p.body, tt.has) || tt.lacks != "" && strings.Contains(p.body, tt.lacks) {
			t.Errorf("%s (GET %s as %q): %d; want %d, with %q and without %q\n%.500s", tt.what, tt.path, tt.user, p.status, tt.status, tt.has, tt.lacks, p.body)
		}
	}
	// A shared cache may not keep what the clerk read for the next reader.
	req, _ := http.NewRequest("GET", e.srv.URL+"/notices/"+id+"/notice.html", nil)
	req.AddCookie(&http.Cookie{Name: userCookie, Value: "clerk"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || strings.Contains(cc, "public") {
		t.Errorf("Cache-Control of a 依申请公开 file: %q; want private, no-store", cc)
	}
}

// TestFramePages: the clerk writes the report's opening and closing on the
// assignment page and, while compiling, on the report page, where saving
// can compile again; refused input keeps what was typed.
func TestFramePages(t *testing.T) {
	e := mustPageEnv(t)
	ctx := context.Background()
	e.mustDispatch(t)
	id := e.c.ID
	// Drafting: the page of its own, linked from the case page.
	if p := e.do(t, "clerk", "GET", "/cases/"+id, nil); !strings.Contains(p.body, `href="/cases/`+id+`/frame"`) {
		t.Errorf("the case page while drafting has no link to the opening and closing")
	}
	p := e.do(t, "clerk", "GET", "/cases/"+id+"/frame", nil)
	if p.status != 200 || !strings.Contains(textarea(p.body, "opening"), "静会〔2025〕57号") {
		t.Fatalf("frame page: %d, opening %q; want the office's opening citing the opinion", p.status, textarea(p.body, "opening"))
	}
	const closing = "下一步，区政府将继续抓好落实。"
	typed := "# 下一步\n\n" + closing
	p = e.do(t, "clerk", "POST", "/cases/"+id+"/frame", url.Values{"rev": {"0"}, "opening": {""}, "closing": {typed}})
	if p.status != http.StatusBadRequest || textarea(p.body, "closing") != typed || !strings.Contains(p.body, "不能含标题") {
		t.Errorf("a heading in the closing: %d, closing %q; want 400 with the text kept and why", p.status, textarea(p.body, "closing"))
	}
	p = e.do(t, "clerk", "POST", "/cases/"+id+"/frame", url.Values{"rev": {"0"}, "opening": {""}, "closing": {closing}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("saving the closing: %d\n%.1000s", p.status, p.body)
	}
	p = e.do(t, "clerk", "POST", "/cases/"+id+"/frame", url.Values{"rev": {"0"}, "opening": {""}, "closing": {"另一个结尾。"}})
	if p.status != http.StatusConflict || textarea(p.body, "closing") != "另一个结尾。" || inputValue(p.body, "rev") != "1" {
		t.Errorf("a stale frame form: %d, closing %q, rev %s; want 409 with the text kept and the new revision", p.status, textarea(p.body, "closing"), inputValue(p.body, "rev"))
	}
	if p := e.do(t, e.member(t, "区妇联", workflow.Staff).User, "POST", "/cases/"+id+"/frame", url.Values{"rev": {"1"}, "closing": {"部门改的结尾。"}}); p.status != http.StatusForbidden {
		t.Errorf("a department posting the frame: %d; want 403", p.status)
	}
	// Compiling: the report page carries the form, and saving there can
	// compile again with it.
	e.mustSign(t)
	var err error
	if e.c, err = e.svc.ReturnReport(ctx, e.id(t, "reviewer"), id, e.c.Report.Current.Sum, "请补充下一步打算。"); err != nil {
		t.Fatal(err)
	}
	p = e.do(t, "clerk", "GET", "/cases/"+id+"/report", nil)
	if !strings.Contains(p.body, `id="frame-form"`) || !strings.Contains(p.body, `value="compile"`) || textarea(p.body, "closing") != closing {
		t.Fatalf("the report page while compiling lacks the frame form with its closing and 保存并重新汇总")
	}
	body := func() string {
		c, _ := e.svc.Case(ctx, e.id(t, "clerk"), id)
		text, _ := e.svc.Text(ctx, e.id(t, "clerk"), id, c.Report.Current.Hash)
		return text
	}
	if !strings.HasSuffix(body(), closing+"\n\n特此报告。\n") {
		t.Errorf("the compiled report does not end with the closing before 特此报告。:\n%s", body())
	}
	const next = "下一步，区政府将持续完善制度，自觉接受监督。"
	p = e.do(t, "clerk", "POST", "/cases/"+id+"/frame", url.Values{"rev": {"1"}, "opening": {""}, "closing": {next}, "back": {"report"}, "action": {"compile"}})
	if p.status != http.StatusSeeOther || p.location != "/cases/"+id+"/report" {
		t.Fatalf("save and compile: %d %s", p.status, p.location)
	}
	if !strings.HasSuffix(body(), next+"\n\n特此报告。\n") {
		t.Errorf("after 保存并重新汇总 the report does not end with the new closing:\n%s", body())
	}
}

// TestIntakeDuplicatePages uploads the fixture opinion, then the same
// opinion as another file: the check page says the number is registered
// before anything is confirmed, confirming is refused naming the case, and
// marking it as a revision opens the revised case.
func TestIntakeDuplicatePages(t *testing.T) {
	e := mustPageEnv(t)
	data, _ := fs.ReadFile(e.fix, "opinion.txt")
	upload := func(name string, content []byte) page {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(content)
		mw.Close()
		req, _ := http.NewRequest("POST", e.srv.URL+"/cases/new", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: userCookie, Value: "clerk"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return page{status: resp.StatusCode, body: string(body)}
	}
	confirm := func(check page, extra url.Values) page {
		t.Helper()
		f := url.Values{"source": {inputValue(check.body, "source")}, "sourceName": {inputValue(check.body, "sourceName")},
			"number": {inputValue(check.body, "number")}, "title": {inputValue(check.body, "title")},
			"date": {inputValue(check.body, "date")}, "due": {inputValue(check.body, "due")}}
		for _, m := range regexp.MustCompile(`(?s)<textarea id="item-text-\d+" name="item-text"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(check.body, -1) {
			f.Add("item-text", htmlUnescape(m[1]))
		}
		for _, m := range regexp.MustCompile(`<option value="(\d)" selected>`).FindAllStringSubmatch(check.body, -1) {
			f.Add("item-level", m[1])
		}
		for k, v := range extra {
			f[k] = v
		}
		return e.do(t, "clerk", "POST", "/cases", f)
	}
	first := confirm(upload("opinion.txt", data), nil)
	if first.status != http.StatusSeeOther {
		t.Fatalf("registering the opinion: %d\n%s", first.status, regexp.MustCompile(`class="ferr"[^>]*>[^<]*`).FindAllString(first.body, -1))
	}
	held := strings.Split(strings.TrimPrefix(first.location, "/cases/"), "/")[0]
	// The same opinion, with the number typed another way, as Markdown.
	again := bytes.Replace(data, []byte("静会〔2025〕57号"), []byte("静会[2025]57号"), 1)
	check := upload("审议意见.md", append([]byte("# "), again...))
	if check.status != http.StatusOK || !strings.Contains(check.body, `id="duplicate"`) || !strings.Contains(check.body, held) {
		t.Fatalf("the check page of the same opinion again: %d; want it to say the number is registered as %s\n%.2000s", check.status, held, check.body)
	}
	p := confirm(check, nil)
	if p.status != http.StatusConflict || !strings.Contains(p.body, held) || !strings.Contains(p.body, `name="revises" value="`+held+`"`) {
		t.Errorf("confirming the same opinion again: %d; want 409 naming %s and offering a revision\n%.2000s", p.status, held, p.body)
	}
	var list struct{ Cases []workflow.Summary }
	apiGet := func(path string, v any) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set(UserHeader, "clerk")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(v)
	}
	apiGet("/api/cases", &list)
	if len(list.Cases) != 1 {
		t.Fatalf("%d cases after the refused duplicate; want 1", len(list.Cases))
	}
	p = confirm(check, url.Values{"revises": {held}})
	if p.status != http.StatusSeeOther || !strings.HasSuffix(p.location, "/assign") {
		t.Fatalf("registering it as a revision: %d %s\n%.2000s", p.status, p.location, p.body)
	}
	revised := strings.Split(strings.TrimPrefix(p.location, "/cases/"), "/")[0]
	if page := e.do(t, "clerk", "GET", "/cases/"+held, nil); !strings.Contains(page.body, `id="revised-by"`) || !strings.Contains(page.body, revised) {
		t.Errorf("the revised case's page does not say it was revised by %s", revised)
	}
	if page := e.do(t, "clerk", "GET", "/cases?q="+url.QueryEscape("静会"), nil); !strings.Contains(page.body, "已被修订") {
		t.Errorf("the list does not mark the revised case")
	}
	// The API: the same refusal as JSON, naming the case, and ?revises=.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/cases?name=third.txt", bytes.NewReader(append(data, []byte("\n\n")...)))
	req.Header.Set(UserHeader, "clerk")
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var prob Problem
	json.NewDecoder(resp.Body).Decode(&prob)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || prob.Case == nil || prob.Case.ID != revised || !strings.Contains(prob.Error, revised) {
		t.Errorf("POST /api/cases of the number again: %d %+v; want 409 with the case %s", resp.StatusCode, prob.Error, revised)
	}
	req, _ = http.NewRequest("POST", e.srv.URL+"/api/cases?name=third.txt&revises="+revised, bytes.NewReader(append(data, []byte("\n\n")...)))
	req.Header.Set(UserHeader, "clerk")
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var c workflow.Case
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || c.Revises != revised {
		t.Errorf("POST /api/cases?revises=%s: %d, revises %q; want 201 revising it", revised, resp.StatusCode, c.Revises)
	}
}

// TestOfficeFormDisclosure: the office's settings page sets the 公开属性
// publication proposes and the 附注 for each; a form posted without those
// fields (one from before they existed) keeps them rather than clearing
// them.
func TestOfficeFormDisclosure(t *testing.T) {
	e := mustPageEnv(t)
	ctx := context.Background()
	e.setNotes(t, map[workflow.Openness]string{workflow.OnRequest: "此件依申请公开"})
	form := func() url.Values {
		o, err := e.svc.Office(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := o.Profile
		f := url.Values{"version": {itoa(o.Version)}, "org": {p.Org}, "orgShort": {p.OrgShort}, "mark": {p.Mark}, "series": {p.Series},
			"office": {p.Office}, "cc": {strings.Join(p.CC, "\n")}, "allSeries": {strings.Join(o.Series, "\n")}, "opening": {p.Opening},
			"closing": {p.Closing}, "departments": {strings.Join(p.Departments, "\n")}, "leadDays": {itoa(p.LeadDays)},
			"defaultDue": {itoa(p.DefaultDue)}, "required": {strings.Join(o.Policy.Required, "、")}, "steps": {itoa(len(p.Chain))}}
		for i, st := range p.Chain {
			f.Set("step-name-"+itoa(i), st.Name)
			f.Set("step-signers-"+itoa(i), strings.Join(st.Signers, "、"))
			if st.Countersign {
				f.Set("step-cs-"+itoa(i), "on")
			}
		}
		return f
	}
	p := e.do(t, "admin", "GET", "/admin/office", nil)
	if inputValue(p.body, "note-on-request") != "此件依申请公开" || !strings.Contains(p.body, `value="public" selected`) {
		t.Errorf("the office page does not show the 公开属性 and 附注 set")
	}
	f := form()
	f.Set("leadDays", "20") // some other change, in a form without the new fields
	if p := e.do(t, "admin", "POST", "/admin/office", f); p.status != http.StatusSeeOther {
		t.Fatalf("saving the office: %d\n%.1000s", p.status, p.body)
	}
	o, _ := e.svc.Office(ctx)
	if o.Profile.Notes[workflow.OnRequest] != "此件依申请公开" || o.Profile.LeadDays != 20 {
		t.Errorf("after a save without the disclosure fields: notes %v, leadDays %d; want the note kept and 20", o.Profile.Notes, o.Profile.LeadDays)
	}
	f = form()
	f.Set("openness", "withheld")
	f.Set("note-on-request", "")
	f.Set("note-withheld", "此件不予公开")
	if p := e.do(t, "admin", "POST", "/admin/office", f); p.status != http.StatusSeeOther {
		t.Fatalf("saving the disclosure settings: %d", p.status)
	}
	o, _ = e.svc.Office(ctx)
	if o.Profile.DefaultOpenness() != workflow.Withheld || o.Profile.Notes[workflow.OnRequest] != "" || o.Profile.Notes[workflow.Withheld] != "此件不予公开" {
		t.Errorf("disclosure settings saved as %s, %v; want withheld, only the note for 不予公开", o.Profile.Openness, o.Profile.Notes)
	}
	f = form()
	f.Set("openness", "secret")
	if p := e.do(t, "admin", "POST", "/admin/office", f); p.status != http.StatusBadRequest || !strings.Contains(fieldError(p.body, "openness"), "没有公开属性") {
		t.Errorf("an unknown 公开属性: %d, %q; want 400 beside the field", p.status, fieldError(p.body, "openness"))
	}
}
