package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// mustCompile takes the dispatched case to a compiled report, before
// sign-off: every section written, submitted and accepted.
func (e *pageEnv) mustCompile(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	clerk := e.id(tb, "clerk")
	var err error
	for i, sec := range e.c.Sections {
		staff, head := e.member(tb, sec.Lead, workflow.Staff), e.member(tb, sec.Lead, workflow.Head)
		if e.c, err = e.svc.SaveSection(ctx, staff, e.c.ID, sec.ID, sec.Rev, "标题"+sec.ID, "正文"+sec.ID+"。", ""); err != nil {
			tb.Fatal(err)
		}
		if e.c, err = e.svc.SubmitSection(ctx, head, e.c.ID, sec.ID, e.c.Sections[i].Rev); err != nil {
			tb.Fatal(err)
		}
		if e.c, err = e.svc.AcceptSection(ctx, clerk, e.c.ID, sec.ID, e.c.Sections[i].Rev); err != nil {
			tb.Fatal(err)
		}
	}
	if e.c, err = e.svc.Compile(ctx, clerk, e.c.ID); err != nil {
		tb.Fatal(err)
	}
}

var linkRE = regexp.MustCompile(`value="(http://[^"]*/consult\?t=[^"]+)"`)

// TestConsultPages goes through 征求意见 over HTTP as the clerk, a
// department, a contact and a stranger. What was tried: the form with a
// name too long and a bad address (refused beside the fields, typed text
// kept); a department's and a cross-site attempt (refused, nothing
// written); sending (two links shown once); each contact's page (the
// draft sent only: not the other contact, not the case's pages or
// people); a forged token (404, no draft); a comment too long (400, text
// kept); a comment (recorded, shown on the case page); the report edited
// (the case page links the comparison, which opens); a revoked link and
// an expired one (410, no draft); and bad links in a row from one
// address (429 once past the limit, the text kept).
func TestConsultPages(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	e.mustCompile(t)
	ctx := context.Background()
	clerk := e.id(t, "clerk")
	same := []string{"Sec-Fetch-Site", "same-origin"}
	path := "/cases/" + e.c.ID + "/consult"
	sum := e.c.Report.Current.Sum

	p := e.do(t, "clerk", "GET", path, nil)
	if p.status != 200 || !strings.Contains(p.body, `id="consult-form"`) {
		t.Fatalf("GET %s: %d; want the form\n%.1500s", path, p.status, p.body)
	}
	if p := e.do(t, "clerk", "GET", "/cases/"+e.c.ID, nil); !strings.Contains(p.body, `href="`+path+`"`) {
		t.Error("the case page while compiling does not link 征求意见")
	}

	// Refused beside the fields, what was typed kept.
	long := strings.Repeat("名", workflow.MaxContactName+1)
	p = e.do(t, "clerk", "POST", path, url.Values{"sum": {sum}, "name1": {"王某"}, "org1": {"区人大常委会社会建设工委"},
		"name2": {long}, "org2": {"区人大常委会办公室"}, "email2": {"li at example"}}, same...)
	if p.status != 400 || !strings.Contains(fieldError(p.body, "name2"), "姓名过长（41 字，上限 40 字）") || !strings.Contains(fieldError(p.body, "email2"), "格式不对") ||
		!strings.Contains(p.body, `value="`+long+`"`) || !strings.Contains(p.body, `value="区人大常委会社会建设工委"`) {
		t.Errorf("a name too long and a bad address: %d, %q, %q; want 400 with both beside their fields and the rows kept", p.status, fieldError(p.body, "name2"), fieldError(p.body, "email2"))
	}
	form := url.Values{"sum": {sum}, "name1": {"王某"}, "org1": {"区人大常委会社会建设工委"}, "email1": {"wang@example.gov.cn"},
		"name2": {"李某"}, "org2": {"区人大常委会办公室"}, "days": {"5"}}
	if p := e.do(t, "fuer-head", "POST", path, form, same...); p.status != 403 {
		t.Errorf("a department head sending: %d; want 403", p.status)
	}
	if p := e.do(t, "clerk", "POST", path, form, "Sec-Fetch-Site", "cross-site"); p.status != 403 {
		t.Errorf("a cross-site post: %d; want 403", p.status)
	}
	if c, _ := e.svc.Store.Case(ctx, e.c.ID); c.Consult != nil {
		t.Fatal("a refused send left a round")
	}

	// Sent: the links, this once.
	p = e.do(t, "clerk", "POST", path, form, same...)
	links := linkRE.FindAllStringSubmatch(p.body, -1)
	if p.status != 200 || len(links) != 2 || !strings.Contains(p.body, "mailto:wang@example.gov.cn") {
		t.Fatalf("sending: %d, %d links; want 200 with 2 links and an email for 王某\n%.3000s", p.status, len(links), p.body)
	}
	wang, li := htmlUnescape(links[0][1]), htmlUnescape(links[1][1])
	wangPath, liPath := strings.TrimPrefix(wang, e.srv.URL), strings.TrimPrefix(li, e.srv.URL)
	if p := e.do(t, "clerk", "GET", path, nil); len(linkRE.FindAllString(p.body, -1)) != 0 {
		t.Error("the links are shown again on the next visit")
	}
	// The page reloaded after sending posts the same form again: refused,
	// and the links just shown still work.
	if p := e.do(t, "clerk", "POST", path, form, same...); p.status != 409 || !strings.Contains(p.body, "已发出第 1 轮") {
		t.Errorf("the sending form posted again: %d; want 409 saying round 1 was sent", p.status)
	}
	if p := e.do(t, "", "GET", wangPath, nil); p.status != 200 {
		t.Errorf("王某's link after the form was posted again: %d; want it still working", p.status)
	}

	// The contact's page: the draft sent, nothing else.
	p = e.do(t, "", "GET", wangPath, nil)
	if p.status != 200 || !strings.Contains(p.body, e.c.Report.Current.Heading) || !strings.Contains(p.body, "正文s1。") || !strings.Contains(p.body, "王某") {
		t.Fatalf("王某's link: %d; want the draft's title and text, and 王某's name\n%.3000s", p.status, p.body)
	}
	for _, leak := range []string{"李某", "区人大常委会办公室", "wang@example.gov.cn", `href="/cases/`, "审计记录", e.c.Report.Current.Author, "周建国"} {
		if leak != "" && strings.Contains(p.body, leak) {
			t.Errorf("王某's page shows %q", leak)
		}
	}
	if en := e.do(t, "", "GET", wangPath+"&lang=en", nil); en.status != 200 || !strings.Contains(en.body, "sent to you for comments") {
		t.Errorf("王某's link in English: %d; want the page in English", en.status)
	}
	tok := strings.TrimPrefix(wangPath, "/consult?t=")
	tok, _ = url.QueryUnescape(tok)
	forged := tok[:len(tok)-2] + pick(strings.HasSuffix(tok, "AA"), "BB", "AA")
	p = e.do(t, "", "GET", "/consult?t="+url.QueryEscape(forged), nil)
	if p.status != 404 || !strings.Contains(p.body, "链接无效") || strings.Contains(p.body, "正文s1。") {
		t.Errorf("a forged token: %d; want 404 saying the link is invalid, without the draft", p.status)
	}
	if p := e.do(t, "", "GET", "/consult", nil); p.status != 404 {
		t.Errorf("no token: %d; want 404", p.status)
	}

	// A comment too long: refused, kept.
	tooLong := strings.Repeat("长", workflow.MaxConsultAnswer+1)
	p = e.do(t, "", "POST", "/consult", url.Values{"t": {tok}, "comment": {tooLong}}, same...)
	if p.status != 400 || !strings.Contains(fieldError(p.body, "comment"), "上限 2000 字") || textarea(p.body, "comment") != tooLong {
		t.Errorf("a comment of 2,001 characters: %d, %q; want 400 with the text kept", p.status, fieldError(p.body, "comment"))
	}
	// A comment: recorded, shown to the office.
	p = e.do(t, "", "POST", "/consult", url.Values{"t": {tok}, "comment": {"建议第二部分补充完成时限。"}}, same...)
	if p.status != 303 || p.location != wangPath {
		t.Fatalf("commenting: %d to %q; want a redirect back to the link", p.status, p.location)
	}
	if p := e.do(t, "", "GET", wangPath, nil); textarea(p.body, "comment") != "建议第二部分补充完成时限。" {
		t.Errorf("the link after commenting shows %q in the form; want the comment given", textarea(p.body, "comment"))
	}
	p = e.do(t, "clerk", "GET", "/cases/"+e.c.ID, nil)
	if !strings.Contains(p.body, `id="consult"`) || !strings.Contains(p.body, "建议第二部分补充完成时限。") || !strings.Contains(p.body, "未回复") {
		t.Errorf("the case page does not show the round: 王某's comment and 李某 not answered\n%.4000s", p.body)
	}
	if p := e.do(t, "fuer-staff", "GET", "/cases/"+e.c.ID, nil); strings.Contains(p.body, "建议第二部分补充完成时限。") || strings.Contains(p.body, `id="consult"`) {
		t.Error("a department sees the consultation")
	}

	if p := e.do(t, "clerk", "GET", "/cases/"+e.c.ID+"/audit", nil); !strings.Contains(p.body, "征求意见回复") || !strings.Contains(p.body, "王某（区人大常委会社会建设工委）对报告第 1 稿提出意见") {
		t.Error("the audit page does not show the comment's event by name")
	}
	// The report changes: the case page links the comparison.
	c, _ := e.svc.Case(ctx, clerk, e.c.ID)
	body, _ := e.svc.Text(ctx, clerk, c.ID, c.Report.Current.Hash)
	cur := c.Report.Current
	if _, err := e.svc.SaveReport(ctx, clerk, c.ID, c.Report.Rev, cur.Heading, cur.Addressee, body+"\n\n完成时限为年底前。", "采纳意见"); err != nil {
		t.Fatal(err)
	}
	p = e.do(t, "clerk", "GET", "/cases/"+e.c.ID, nil)
	m := regexp.MustCompile(`href="(/cases/[^"]+/report/diff\?a=\d+&amp;b=\d+)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("after the report changed, the case page does not link the comparison\n%.4000s", p.body)
	}
	if p := e.do(t, "clerk", "GET", htmlUnescape(m[1]), nil); p.status != 200 || !strings.Contains(p.body, "完成时限为年底前。") {
		t.Errorf("the comparison %s: %d; want the added sentence", m[1], p.status)
	}
	if p := e.do(t, "", "GET", wangPath, nil); strings.Contains(p.body, "完成时限为年底前。") {
		t.Error("the link shows the changed report; want the version sent")
	}

	// Revoked: 410, no draft.
	if p := e.do(t, "fuer-head", "POST", path+"/revoke", url.Values{"contact": {"k2"}}, same...); p.status != 403 {
		t.Errorf("a department revoking: %d; want 403", p.status)
	}
	if p := e.do(t, "clerk", "POST", path+"/revoke", url.Values{"contact": {"k2"}}, same...); p.status != 303 {
		t.Errorf("revoking: %d; want a redirect", p.status)
	}
	p = e.do(t, "", "GET", liPath, nil)
	if p.status != 410 || !strings.Contains(p.body, "撤回") || strings.Contains(p.body, "正文s1。") {
		t.Errorf("a revoked link: %d; want 410 saying it was revoked, without the draft", p.status)
	}
	// Expired: 410, the comment typed kept.
	e.svc.Now = func() time.Time { return time.Now().AddDate(0, 0, 6) }
	p = e.do(t, "", "POST", "/consult", url.Values{"t": {tok}, "comment": {"过期后的意见"}}, same...)
	if p.status != 410 || !strings.Contains(p.body, "过期") || !strings.Contains(p.body, "过期后的意见") || strings.Contains(p.body, "正文s1。") {
		t.Errorf("an expired link: %d; want 410 saying it expired, the text kept, without the draft\n%.2000s", p.status, p.body)
	}

	// Bad links in a row from one address: refused past the limit.
	got := 0
	for i := range attempts + 2 {
		p = e.do(t, "", "POST", "/consult", url.Values{"t": {forged}, "comment": {"第 " + itoa(i) + " 次"}}, same...)
		if p.status == 429 {
			got = i
			break
		}
	}
	if got == 0 || !strings.Contains(p.body, "过于频繁") || !strings.Contains(p.body, "次") {
		t.Errorf("%d bad posts from one address were all answered; want 429 past %d", attempts+2, attempts)
	}
}

// TestConsultAPI sends for comments over the JSON API as a department
// (403) and as the clerk (the links, each once), follows a link's path
// (the contact's page), and revokes it (410 after).
func TestConsultAPI(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	e.mustCompile(t)
	post := func(user, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(UserHeader, user)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	in := `{"sum": "` + e.c.Report.Current.Sum + `", "contacts": [{"name": "王某", "org": "区人大常委会社会建设工委"}]}`
	path := "/api/cases/" + e.c.ID + "/consult"
	if st, body := post("fuer-head", path, in); st != 403 {
		t.Errorf("a department head over the API: %d %s; want 403", st, body)
	}
	st, body := post("clerk", path, in)
	var out ConsultSent
	if err := json.Unmarshal([]byte(body), &out); st != 200 || err != nil || len(out.Links) != 1 || out.Round != 1 {
		t.Fatalf("the clerk over the API: %d %s; want the round with one link", st, body)
	}
	if p := e.do(t, "", "GET", out.Links[0].Path, nil); p.status != 200 || !strings.Contains(p.body, "王某") {
		t.Errorf("the API's link: %d; want the contact's page", p.status)
	}
	if st, body := post("clerk", path+"/revoke", `{"contact": "`+out.Links[0].Contact+`"}`); st != 200 {
		t.Errorf("revoking over the API: %d %s", st, body)
	}
	if p := e.do(t, "", "GET", out.Links[0].Path, nil); p.status != 410 {
		t.Errorf("the API's link after revoking: %d; want 410", p.status)
	}
}
