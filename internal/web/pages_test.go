package web

import (
	"context"
	"encoding/xml"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docflow/docflow"
	"github.com/docflow/docflow/internal/caselist"
	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/textdiff"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// pageEnv is a server over a temporary embedded store, and the fixture
// case dispatched to its departments.
type pageEnv struct {
	srv  *httptest.Server
	svc  *workflow.Service
	acc  []workflow.Account
	c    *workflow.Case
	fix  fs.FS
	plan []demo.PlanEntry
}

func mustPageEnv(tb testing.TB) *pageEnv {
	tb.Helper()
	st, err := localstore.Open(tb.TempDir(), localstore.WithoutSync())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	render, err := notice.New()
	if err != nil {
		tb.Fatal(err)
	}
	seed, err := templates.Office(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	svc := &workflow.Service{Store: st, Blobs: st.Blobs(), Render: render, Dir: st, Outbox: st}
	workflowtest.SetUp(tb, svc, seed, acc)
	s := &Server{Service: svc, Identify: DevIdentity(st), Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ReadList: caselist.Proposals,
		Parse: func(name string, data []byte) (*workflow.Opinion, error) {
			return opinion.Parse(name, data, opinion.Options{DefaultMonths: seed.Profile.DefaultDue})
		}}
	e := &pageEnv{srv: httptest.NewServer(s.Handler()), svc: svc, acc: acc}
	tb.Cleanup(e.srv.Close)
	if e.fix, err = fs.Sub(docflow.Fixtures, docflow.FixtureCase); err != nil {
		tb.Fatal(err)
	}
	return e
}

// mustDispatch opens and dispatches the fixture case through the service.
func (e *pageEnv) mustDispatch(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	clerk := e.id(tb, "clerk")
	data, err := fs.ReadFile(e.fix, "opinion.txt")
	if err != nil {
		tb.Fatal(err)
	}
	o, err := opinion.Parse("opinion.txt", data, opinion.Options{DefaultMonths: 6})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := e.svc.Intake(ctx, clerk, workflow.Source{Name: "opinion.txt"}, data, o)
	if err != nil {
		tb.Fatal(err)
	}
	planText, _ := fs.ReadFile(e.fix, "assignments.txt")
	if e.plan, err = demo.ParsePlan(string(planText)); err != nil {
		tb.Fatal(err)
	}
	var plan []workflow.Assignment
	for _, p := range e.plan {
		id, err := p.ItemID(c.Opinion.Items)
		if err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, workflow.Assignment{Item: id, Lead: p.Lead, Co: p.Co})
	}
	if c, err = e.svc.Assign(ctx, clerk, c.ID, c.Version, plan); err != nil {
		tb.Fatal(err)
	}
	if e.c, err = e.svc.Dispatch(ctx, clerk, c.ID); err != nil {
		tb.Fatal(err)
	}
}

// mustSign takes the dispatched case to sign-off: every section written,
// submitted and accepted, the report compiled and the default chain started.
func (e *pageEnv) mustSign(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	clerk := e.id(tb, "clerk")
	var err error
	if e.c, err = e.svc.Case(ctx, clerk, e.c.ID); err != nil {
		tb.Fatal(err)
	}
	for i, sec := range e.c.Sections {
		staff := e.member(tb, sec.Lead, workflow.Staff)
		head := e.member(tb, sec.Lead, workflow.Head)
		if e.c, err = e.svc.SaveSection(ctx, staff, e.c.ID, sec.ID, sec.Rev, "标题"+sec.ID, "正文。", ""); err != nil {
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
	if e.c, err = e.svc.StartSignoff(ctx, clerk, e.c.ID, nil); err != nil {
		tb.Fatal(err)
	}
}

func (e *pageEnv) id(tb testing.TB, user string) workflow.Identity {
	tb.Helper()
	for _, a := range e.acc {
		if a.User == user {
			return a.Identity()
		}
	}
	tb.Fatalf("no account %s", user)
	return workflow.Identity{}
}

func (e *pageEnv) member(tb testing.TB, dept string, r workflow.Role) workflow.Identity {
	tb.Helper()
	for _, a := range e.acc {
		if a.Dept == dept && a.Has(r) {
			return a.Identity()
		}
	}
	tb.Fatalf("no %s in %s", r, dept)
	return workflow.Identity{}
}

// page is one response.
type page struct {
	status   int
	location string
	body     string
}

// do sends a request as user (the docflow_user cookie, as the login page
// sets it) and does not follow redirects.
func (e *pageEnv) do(tb testing.TB, user, method, path string, form url.Values, header ...string) page {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.AddCookie(&http.Cookie{Name: userCookie, Value: user})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}

// fieldError returns the message shown beside a field (the element with
// id err-<name>), or "".
func fieldError(body, name string) string {
	m := regexp.MustCompile(`id="err-` + regexp.QuoteMeta(name) + `">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// textarea returns the content of the textarea with the given id.
func textarea(body, id string) string {
	m := regexp.MustCompile(`(?s)<textarea id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		return "<no textarea " + id + ">"
	}
	return htmlUnescape(m[1])
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

func sectionPath(c *workflow.Case, sec string) string { return "/cases/" + c.ID + "/sections/" + sec }

// TestPagesKeepTypedTextOnErrors: bad input shows a message beside the
// field and the form keeps what was typed.
func TestPagesKeepTypedTextOnErrors(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	sec := e.c.Sections[0] // 一、 led by 区妇儿工委办
	staff := e.member(t, sec.Lead, workflow.Staff).User

	t.Run("SectionEmptyHeading", func(t *testing.T) {
		p := e.do(t, staff, "POST", sectionPath(e.c, sec.ID), url.Values{"rev": {"0"}, "heading": {"  "}, "body": {"我写的正文，不能丢。"}, "action": {"save"}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("status %d; want 400", p.status)
		}
		if got := fieldError(p.body, "heading"); got != "标题不能为空" {
			t.Errorf("heading error %q; want 标题不能为空", got)
		}
		if got := textarea(p.body, "body"); got != "我写的正文，不能丢。" {
			t.Errorf("body textarea %q; want the typed text", got)
		}
	})

	t.Run("SectionPreviewWithoutJavaScript", func(t *testing.T) {
		p := e.do(t, staff, "POST", sectionPath(e.c, sec.ID), url.Values{"rev": {"0"}, "heading": {"总体情况"}, "body": {"# 小标题\n\n段落。"}, "action": {"preview"}})
		if p.status != http.StatusOK || !strings.Contains(p.body, "以下为预览，尚未保存") || !strings.Contains(p.body, "（一）小标题") {
			t.Errorf("preview: status %d, want 200 with the numbered preview; body:\n%s", p.status, p.body)
		}
	})

	t.Run("LivePreviewBodyLimit", func(t *testing.T) {
		// The live preview renders what saving accepts and no more.
		ok := e.do(t, staff, "POST", "/preview", url.Values{"body": {strings.Repeat("字", workflow.MaxBody/3)}})
		big := e.do(t, staff, "POST", "/preview", url.Values{"body": {strings.Repeat("字", workflow.MaxBody/3+1)}})
		if ok.status != http.StatusOK || big.status != http.StatusRequestEntityTooLarge {
			t.Errorf("preview of %d and %d bytes: status %d and %d; want 200 and 413", workflow.MaxBody/3*3, (workflow.MaxBody/3+1)*3, ok.status, big.status)
		}
	})

	t.Run("IntakeBadDate", func(t *testing.T) {
		data, _ := fs.ReadFile(e.fix, "opinion.txt")
		hash, err := e.svc.Blobs.Put(context.Background(), append(data, '\n'))
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"source": {hash}, "sourceName": {"opinion.txt"}, "number": {"静会〔2025〕99号"}, "title": {"我改过的标题"},
			"date": {"2025-13-40"}, "due": {"2026-01-10"}, "item-level": {"1", "3"}, "item-text": {"第一条", "跳级的条目"}}
		p := e.do(t, "clerk", "POST", "/cases", form)
		if p.status != http.StatusBadRequest {
			t.Fatalf("status %d; want 400", p.status)
		}
		if fieldError(p.body, "date") == "" {
			t.Errorf("no message beside the date field")
		}
		if !strings.Contains(fieldError(p.body, "item-1"), "跳级") {
			t.Errorf("item-1 error %q; want the level-skip message", fieldError(p.body, "item-1"))
		}
		for _, typed := range []string{`value="静会〔2025〕99号"`, `value="我改过的标题"`, `value="2025-13-40"`, "跳级的条目"} {
			if !strings.Contains(p.body, typed) {
				t.Errorf("form lost %s", typed)
			}
		}
	})

	t.Run("ReturnWithoutComment", func(t *testing.T) {
		p := e.do(t, "mayor", "POST", "/cases/"+e.c.ID+"/return", url.Values{"sum": {"x"}, "opinion": {" "}})
		// Not in the chain at all: the case is not theirs to see yet.
		if p.status != http.StatusBadRequest && p.status != http.StatusNotFound {
			t.Errorf("status %d; want 400 or 404", p.status)
		}
	})
}

// TestPagesRefuseForgedOrStaleRequests: forged values, someone else's
// section, an approval out of turn and a stale revision each give the
// right page, and nothing typed is lost.
func TestPagesRefuseForgedOrStaleRequests(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)

	t.Run("ForgedLeadDepartment", func(t *testing.T) {
		ctx := context.Background()
		clerk := e.id(t, "clerk")
		data, _ := fs.ReadFile(e.fix, "opinion.txt")
		o, _ := opinion.Parse("opinion.txt", data, opinion.Options{DefaultMonths: 6})
		o.Number = "静会〔2025〕99号" // another opinion: one number opens one case
		c, err := e.svc.Intake(ctx, clerk, workflow.Source{Name: "copy.txt"}, append(data, ' '), o)
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"version": {"1"}, "action": {"save"}}
		for i, it := range c.Opinion.Items {
			k := itoa(i)
			form.Set("item-"+k, it.ID)
			form.Set("on-"+k, "1")
			form.Set("level-"+k, itoa(it.Level))
			form.Set("lead-"+k, "区卫健委")
		}
		form.Set("lead-2", "区财政局") // not in the directory
		form["co-3"] = []string{"区民政局", "区外星局"}
		p := e.do(t, "clerk", "POST", "/cases/"+c.ID+"/assign", form)
		if p.status != http.StatusBadRequest {
			t.Fatalf("status %d; want 400", p.status)
		}
		if got := fieldError(p.body, "row-2"); !strings.Contains(got, "区财政局") {
			t.Errorf("row-2 error %q; want it to name the forged department", got)
		}
		if got := fieldError(p.body, "row-3"); !strings.Contains(got, "区外星局") {
			t.Errorf("row-3 error %q; want it to name the forged co-handler", got)
		}
		if n := strings.Count(p.body, "<option selected>区卫健委</option>"); n != len(c.Opinion.Items)-1 {
			t.Errorf("%d rows kept their lead; want %d", n, len(c.Opinion.Items)-1)
		}
		if !strings.Contains(p.body, `value="区民政局" checked`) {
			t.Errorf("row 3 lost its valid co-handler")
		}
	})

	var other workflow.Section // a section 区妇儿工委办 neither leads nor co-handles
	for _, s := range e.c.Sections {
		if !s.Involves("区妇儿工委办") {
			other = s
			break
		}
	}
	t.Run("AnotherDepartmentsSection", func(t *testing.T) {
		p := e.do(t, "fuer-staff", "POST", sectionPath(e.c, other.ID), url.Values{"rev": {"0"}, "heading": {"越权标题"}, "body": {"越权写的正文"}, "action": {"save"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("status %d; want 403", p.status)
		}
		if !strings.Contains(p.body, other.Lead) || !strings.Contains(p.body, "越权写的正文") {
			t.Errorf("403 page should name the lead (%s) and keep the typed text; got:\n%.1500s", other.Lead, p.body)
		}
	})

	t.Run("StaleSectionRevision", func(t *testing.T) {
		sec := e.c.Sections[1]
		staff := e.member(t, sec.Lead, workflow.Staff)
		if _, err := e.svc.SaveSection(context.Background(), staff, e.c.ID, sec.ID, 0, "同事的标题", "同事先保存的文字。", ""); err != nil {
			t.Fatal(err)
		}
		p := e.do(t, staff.User, "POST", sectionPath(e.c, sec.ID), url.Values{"rev": {"0"}, "heading": {"我的标题"}, "body": {"我在旧稿上写的文字。"}, "action": {"save"}})
		if p.status != http.StatusConflict {
			t.Fatalf("status %d; want 409", p.status)
		}
		if !strings.Contains(p.body, `id="theirs">同事先保存的文字。`) {
			t.Errorf("409 page lacks the newer version")
		}
		if got := textarea(p.body, "body"); got != "我在旧稿上写的文字。" {
			t.Errorf("editor holds %q; want the user's own text", got)
		}
		if !strings.Contains(p.body, `name="rev" value="1"`) {
			t.Errorf("form should carry the current revision so saving again is a deliberate overwrite")
		}
		// Saving again from the conflict page overwrites deliberately.
		p = e.do(t, staff.User, "POST", sectionPath(e.c, sec.ID), url.Values{"rev": {"1"}, "heading": {"我的标题"}, "body": {"我在旧稿上写的文字。"}, "action": {"save"}})
		if p.status != http.StatusSeeOther {
			t.Errorf("second save: status %d; want 303", p.status)
		}
	})

	t.Run("CrossSiteForm", func(t *testing.T) {
		sec := e.c.Sections[0]
		staff := e.member(t, sec.Lead, workflow.Staff).User
		p := e.do(t, staff, "POST", sectionPath(e.c, sec.ID), url.Values{"rev": {"0"}, "heading": {"x"}, "body": {"y"}}, "Sec-Fetch-Site", "cross-site")
		if p.status != http.StatusForbidden {
			t.Errorf("cross-site POST: status %d; want 403", p.status)
		}
	})

	t.Run("SignoffOutOfTurnAndStale", func(t *testing.T) {
		e.mustSign(t)
		sum := e.c.Report.Current.Sum
		p := e.do(t, "mayor", "POST", "/cases/"+e.c.ID+"/approve", url.Values{"sum": {sum}, "opinion": {"区长的意见"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("out-of-turn approval: status %d; want 403", p.status)
		}
		if !strings.Contains(p.body, "尚未轮到您签批") || !strings.Contains(p.body, "区长的意见") {
			t.Errorf("403 page should explain the turn and keep the opinion")
		}
		p = e.do(t, "reviewer", "POST", "/cases/"+e.c.ID+"/approve", url.Values{"sum": {"stale"}, "opinion": {"核稿意见"}})
		if p.status != http.StatusConflict {
			t.Fatalf("approval of a stale draft: status %d; want 409", p.status)
		}
		if got := textarea(p.body, "opinion"); got != "核稿意见" {
			t.Errorf("opinion %q; want it kept", got)
		}
		p = e.do(t, "reviewer", "POST", "/cases/"+e.c.ID+"/return", url.Values{"sum": {sum}, "opinion": {""}})
		if p.status != http.StatusBadRequest || fieldError(p.body, "opinion") != "退回时须填写意见" {
			t.Errorf("return without comment: status %d, error %q; want 400 beside the field", p.status, fieldError(p.body, "opinion"))
		}
		p = e.do(t, "reviewer", "POST", "/cases/"+e.c.ID+"/approve", url.Values{"sum": {sum}, "opinion": {"同意。"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("approval in turn: status %d; want 303\n%.1500s", p.status, p.body)
		}
		q := e.do(t, "reviewer", "GET", "/cases/"+e.c.ID+"/review", nil)
		if !strings.Contains(q.body, "您已签批过当前稿") {
			t.Errorf("review page after approval should say nothing changed since")
		}
	})

	t.Run("StaleReportRevision", func(t *testing.T) {
		ctx := context.Background()
		clerk := e.id(t, "clerk")
		cur := e.c.Report.Current
		rev := e.c.Report.Rev
		if _, err := e.svc.SaveReport(ctx, clerk, e.c.ID, rev, cur.Heading, cur.Addressee, "同事改过的报告。\n", "同事"); err != nil {
			t.Fatal(err)
		}
		p := e.do(t, "clerk", "POST", "/cases/"+e.c.ID+"/report", url.Values{"rev": {itoa(rev)}, "title": {cur.Heading}, "addressee": {cur.Addressee}, "body": {"我的报告改稿。"}, "action": {"save"}})
		if p.status != http.StatusConflict {
			t.Fatalf("status %d; want 409", p.status)
		}
		if !strings.Contains(p.body, "同事改过的报告。") || textarea(p.body, "body") != "我的报告改稿。" {
			t.Errorf("409 page must show the newer report beside the user's text")
		}
		q := e.do(t, "reviewer", "GET", "/cases/"+e.c.ID+"/review", nil)
		if !strings.Contains(q.body, "您上次签批的是第") || !strings.Contains(q.body, "<ins>") {
			t.Errorf("review page should highlight changes since the reviewer's approval:\n%.3000s", q.body)
		}
	})
}

// TestPagesPublicAndLanguage: the public pages need no login, the feed is
// Atom, and ?lang=en switches the language and remembers it.
func TestPagesPublicAndLanguage(t *testing.T) {
	e := mustPageEnv(t)
	for _, path := range []string{"/notices", "/login", "/notices.atom", "/static/app.css", "/static/app.js"} {
		if p := e.do(t, "", "GET", path, nil); p.status != http.StatusOK {
			t.Errorf("GET %s: %d; want 200", path, p.status)
		}
	}
	if p := e.do(t, "", "GET", "/cases", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login?next=") {
		t.Errorf("GET /cases as the public: %d %s; want a redirect to /login", p.status, p.location)
	}
	p := e.do(t, "", "GET", "/notices?lang=en", nil)
	if !strings.Contains(p.body, `<html lang="en">`) || !strings.Contains(p.body, "Public notices") {
		t.Errorf("?lang=en did not switch to English")
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
	}
	if err := xml.Unmarshal([]byte(e.do(t, "", "GET", "/notices.atom", nil).body), &feed); err != nil || feed.ID == "" || feed.Title == "" || feed.Updated == "" {
		t.Errorf("feed: %v %+v; want an Atom feed with id, title and updated", err, feed)
	}
}

// TestCatalogTranslatesEveryKey: every string the pages and handlers
// translate has an English entry.
func TestCatalogTranslatesEveryKey(t *testing.T) {
	keyRE := regexp.MustCompile(`\.T\("((?:[^"\\]|\\.)*)"`)
	files, _ := filepath.Glob("*.templ")
	gos, _ := filepath.Glob("pages*.go")
	for _, f := range append(files, gos...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(data), -1) {
			if _, ok := english[m[1]]; !ok {
				t.Errorf("%s: no English for %q", f, m[1])
			}
		}
	}
	for _, l := range actionLabels {
		if _, ok := english[l]; !ok {
			t.Errorf("no English for audit action %q", l)
		}
	}
	for _, st := range workflow.Stages {
		if _, ok := english[st.Label()]; !ok {
			t.Errorf("no English for stage %q", st.Label())
		}
	}
	for _, o := range workflow.Opennesses {
		if _, ok := english[o.Label()]; !ok {
			t.Errorf("no English for 公开属性 %q", o.Label())
		}
	}
}

// TestMarkedCannotForgeTags: the change markers are private-use characters
// turned into <ins>/<del> after safe rendering; the same characters typed
// by a user are removed first, and raw HTML stays escaped.
func TestMarkedCannotForgeTags(t *testing.T) {
	e := mustPageEnv(t)
	s := &Server{Service: e.svc}
	lines := textdiffLines("# 标题\n\n旧的段落。\n", "# 标题\n\n新的段落。<script>x</script>\uE000伪造\uE001\n")
	got := string(s.marked(lines))
	// 旧→新 and the appended text: two insertions, one deletion; the
	// typed markers around 伪造 add none.
	if strings.Contains(got, "<script>") || strings.Count(got, "<ins>") != 2 || strings.Count(got, "<del>") != 1 || strings.Contains(got, "\uE000") {
		t.Errorf("marked = %s; want two <ins>, one <del>, no raw script, no markers", got)
	}
	if !strings.Contains(got, "（一）") && !strings.Contains(got, "一、") {
		t.Errorf("marked lost the heading numbering: %s", got)
	}
}

var textdiffLines = textdiff.Lines
