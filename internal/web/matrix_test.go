package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/proof"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// The authorization matrix: every route (API and pages) × every kind of
// user × every stage of a case, the answer checked against the route's
// Access — which for a case's actions is workflow.Allowed, the one rules
// table the pages and the service share.

// matrixUsers are the kinds of user, by the account that plays each. The
// case's section A is led by 区妇联 with 区民政局 co-handling; its chain
// is 核稿 (reviewer) → 审核 (deputy) → 签发 (mayor).
var matrixUsers = []struct{ kind, user string }{
	{"the public", ""},
	{"the clerk", "clerk"},
	{"an administrator", "admin"},
	{"the lead department's staff", "fulian-staff"},
	{"the lead department's head", "fulian-head"},
	{"a co-handling department's staff", "minzheng-staff"},
	{"a co-handling department's head", "minzheng-head"},
	{"another department's staff", "jiaoyu-staff"},
	{"another department's head (an approver in no step)", "jiaoyu-head"},
	{"the approver whose turn it is", "reviewer"},
	{"an approver of a later step", "mayor"},
}

// matrixStages are the states a case is put in; "" is no case at all.
var matrixStages = []string{"assigning", "drafting", "submitted", "compiling", "signing", "approved", "published"}

type matrixEnv struct {
	svc *workflow.Service
	srv *httptest.Server
	ids map[string]workflow.Identity
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	t.Helper()
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	render, err := notice.New()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	svc := &workflow.Service{Store: st, Blobs: st.Blobs(), Render: render, Dir: st, Outbox: st}
	workflowtest.SetUp(t, svc, seed, acc)
	e := &matrixEnv{svc: svc, ids: map[string]workflow.Identity{"": workflow.Anonymous}}
	for _, a := range acc {
		e.ids[a.User] = a.Identity()
	}
	s := &Server{Service: svc, Identify: DevIdentity(st), Dev: true, Sessions: st, Proofs: proof.Local{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Parse: func(string, []byte) (*workflow.Opinion, error) { return matrixOpinion(0), nil }}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func matrixOpinion(n int) *workflow.Opinion {
	return &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: fmt.Sprintf("某会〔2026〕%d号", n+1), Title: "关于某项工作情况的审议意见",
		ReplyTo: "区人大常委会", Addressee: "区人民政府", Date: workflow.Day(2026, 3, 1), Due: workflow.Day(2026, 9, 1),
		Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "第一项意见。"}, {ID: "2", Level: 1, Label: "二、", Text: "第二项意见。"}}}
}

// caseAt makes a new case in a stage, through the service.
func (e *matrixEnv) caseAt(t *testing.T, stage string, n int) *workflow.Case {
	t.Helper()
	ctx := context.Background()
	must := func(c *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatalf("making a case %s: %v", stage, err)
		}
		return c
	}
	clerk := e.ids["clerk"]
	c := must(e.svc.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, []byte(fmt.Sprint("matrix ", stage, n)), matrixOpinion(n)))
	if stage == "assigning" {
		return c
	}
	c = must(e.svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区妇联", Co: []string{"区民政局"}}, {Item: "2", Lead: "区民政局"}}))
	c = must(e.svc.Dispatch(ctx, clerk, c.ID))
	if stage == "drafting" {
		return c
	}
	lead := map[string]string{"区妇联": "fulian", "区民政局": "minzheng"}
	for i, sec := range c.Sections {
		c = must(e.svc.SaveSection(ctx, e.ids[lead[sec.Lead]+"-staff"], c.ID, sec.ID, 0, "标题", "正文。", ""))
		c = must(e.svc.SubmitSection(ctx, e.ids[lead[sec.Lead]+"-head"], c.ID, sec.ID, c.Sections[i].Rev))
		if stage == "submitted" {
			return c
		}
		c = must(e.svc.AcceptSection(ctx, clerk, c.ID, sec.ID, c.Sections[i].Rev))
	}
	c = must(e.svc.Compile(ctx, clerk, c.ID))
	if stage == "compiling" {
		return c
	}
	c = must(e.svc.StartSignoff(ctx, clerk, c.ID, []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	if stage == "signing" {
		return c
	}
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = must(e.svc.Approve(ctx, e.ids[u], c.ID, c.Report.Current.Sum, "同意"))
	}
	if stage == "approved" {
		return c
	}
	return must(e.svc.Publish(ctx, clerk, c.ID, workflow.Day(2026, 8, 1)))
}

// matrixRoute is a route as the matrix sends it.
type matrixRoute struct {
	method, path string
	access       Access
	api          bool
}

func allRoutes() []matrixRoute {
	var out []matrixRoute
	for _, t := range append(Tables(), LocalTable()) {
		for _, r := range t.Routes {
			out = append(out, matrixRoute{r.Method, r.Path, r.Access, true})
		}
		for _, p := range t.Pages {
			out = append(out, matrixRoute{p.Method, p.Path, p.Access, false})
		}
	}
	return out
}

// request builds the request of a route on case c (nil: none) with a body
// a client of the route would send, so that a refusal is about who asks,
// not about what they sent.
func (e *matrixEnv) request(t *testing.T, rt matrixRoute, c *workflow.Case) *http.Request {
	t.Helper()
	p := rt.path
	var sec workflow.Section
	sec.ID = "1" // a case not yet dispatched has none: the route must say so
	if c != nil && len(c.Sections) > 0 {
		sec = c.Sections[0]
	}
	hash := ""
	if c != nil {
		hash = c.Source.Hash
	}
	for k, v := range map[string]string{"{id}": caseID(c), "{sec}": sec.ID, "{hash}": hash, "{seq}": "1", "{tid}": strings.Repeat("0", 64),
		"{series}": "静府议", "{year}": "2026", "{user}": "clerk", "{$}": "", "{name}": nameFor(rt.path)} {
		p = strings.ReplaceAll(p, k, url.PathEscape(v))
	}
	rev, sum, frameRev := sec.Rev, "", 0
	if c != nil {
		frameRev = c.Frame.Rev
	}
	var report struct{ Rev int }
	if c != nil && c.Report != nil {
		sum = c.Report.Current.Sum
		report.Rev = c.Report.Rev
	}
	key := rt.method + " " + rt.path
	var body io.Reader
	ctype := ""
	if rt.method != "GET" {
		if rt.api {
			in := map[string]any{}
			switch {
			case strings.HasSuffix(key, "/sections/{sec}"):
				in = map[string]any{"rev": rev, "heading": "标题", "body": "新的正文。", "note": "改"}
			case strings.HasSuffix(key, "/inputs"), strings.HasSuffix(key, "/remind"):
				in = map[string]any{"text": "协办意见。"}
			case strings.HasSuffix(key, "/submit"), strings.HasSuffix(key, "/accept"):
				in = map[string]any{"rev": rev}
			case strings.HasSuffix(key, "{sec}/return"):
				in = map[string]any{"rev": rev, "comment": "请补充。"}
			case strings.HasSuffix(key, "{sec}/result"), strings.HasSuffix(key, "{sec}/followup"):
				in = map[string]any{"outcome": "planned", "text": "明年完成。"}
			case strings.HasSuffix(key, "{sec}/extension"):
				in = map[string]any{"until": "2026-08-31", "reason": "需要调研。"}
			case strings.HasSuffix(key, "{sec}/liaison"):
				in = map[string]any{"date": "2026-01-05", "way": "电话", "text": "电话沟通。"}
			case strings.HasSuffix(key, "{sec}/decline"):
				in = map[string]any{"reason": "不属本部门职责。"}
			case strings.HasSuffix(key, "{sec}/reassign"):
				in = map[string]any{"lead": "区教育局", "note": "调整。"}
			case strings.HasSuffix(key, "/extension/decide"):
				in = map[string]any{"grant": false, "note": "不同意。"}
			case strings.HasSuffix(key, "/report"):
				in = map[string]any{"rev": report.Rev, "title": "报告", "addressee": "区人大常委会", "body": "正文。", "note": ""}
			case strings.HasSuffix(key, "/approve"):
				in = map[string]any{"sum": sum, "opinion": "同意"}
			case strings.HasSuffix(key, "{id}/return"):
				in = map[string]any{"sum": sum, "comment": "请修改。"}
			case strings.HasSuffix(key, "/assignments"):
				in = map[string]any{"version": c.Version, "plan": []map[string]any{{"item": "1", "lead": "区妇联"}, {"item": "2", "lead": "区民政局"}}}
			case strings.HasSuffix(key, "/opinion"):
				in = map[string]any{"version": c.Version, "opinion": c.Opinion}
			case strings.HasSuffix(key, "/publish"):
				in = map[string]any{"date": "2026-08-01"}
			case strings.HasSuffix(key, "/frame"):
				in = map[string]any{"rev": frameRev, "opening": "", "closing": "下一步，区政府将继续落实。"}
			case strings.HasPrefix(rt.path, "/api/series"):
				in = map[string]any{"next": 90}
			case key == "POST /api/tokens":
				in = map[string]any{"name": "脚本", "days": 10}
			case key == "POST /api/uploads":
				in = map[string]any{"name": "o.txt", "contentType": "text/plain", "size": 100}
			case key == "POST /api/cases", key == "POST /api/opinions/parse":
				body, ctype = strings.NewReader("审议意见正文"), "text/plain; charset=utf-8"
			case strings.HasSuffix(key, "/attachments"):
				// A real file, so that whoever may attach does.
				body, ctype = bytes.NewReader(matrixPNG), "image/png"
				p += "?name=" + url.QueryEscape("现场照片.png")
			case strings.HasSuffix(key, "/signoff"), strings.HasSuffix(key, "/compile"), strings.HasSuffix(key, "/dispatch"), strings.HasPrefix(rt.path, "/api/tokens/"):
				in = nil
			}
			if body == nil && in != nil {
				b, _ := json.Marshal(in)
				body, ctype = bytes.NewReader(b), "application/json"
			}
		} else {
			f := url.Values{"rev": {fmt.Sprint(rev)}}
			switch {
			case strings.HasSuffix(key, "/sections/{sec}"):
				f = url.Values{"rev": {fmt.Sprint(rev)}, "heading": {"标题"}, "body": {"新的正文。"}, "action": {"save"}}
			case strings.HasSuffix(key, "/inputs"), strings.HasSuffix(key, "/remind"):
				f = url.Values{"text": {"意见。"}}
			case strings.HasSuffix(key, "{sec}/return"):
				f.Set("comment", "请补充。")
			case strings.HasSuffix(key, "{sec}/result"), strings.HasSuffix(key, "{sec}/followup"):
				f = url.Values{"outcome": {"planned"}, "result_text": {"明年完成。"}}
			case strings.HasSuffix(key, "{sec}/extension"):
				f = url.Values{"until": {"2026-08-31"}, "reason": {"需要调研。"}}
			case strings.HasSuffix(key, "{sec}/liaison"):
				f = url.Values{"liaison_date": {"2026-01-05"}, "liaison_way": {"电话"}, "liaison_text": {"电话沟通。"}}
			case strings.HasSuffix(key, "{sec}/decline"):
				f = url.Values{"decline_reason": {"不属本部门职责。"}}
			case strings.HasSuffix(key, "{sec}/reassign"):
				f = url.Values{"lead": {"区教育局"}, "lead_note": {"调整。"}}
			case strings.HasSuffix(key, "/extension/decide"):
				f = url.Values{"decision": {"refuse"}, "decision_note": {"不同意。"}}
			case strings.HasSuffix(key, "/report"):
				f = url.Values{"rev": {fmt.Sprint(report.Rev)}, "title": {"报告"}, "addressee": {"区人大常委会"}, "body": {"正文。"}}
			case strings.HasSuffix(key, "/approve"):
				f = url.Values{"sum": {sum}, "opinion": {"同意"}}
			case strings.HasSuffix(key, "{id}/return"):
				f = url.Values{"sum": {sum}, "opinion": {"请修改。"}}
			case strings.HasSuffix(key, "/signoff"):
				f = url.Values{"step-name": {"核稿", "审核", "签发"}, "step-signers": {"reviewer", "deputy", "mayor"}}
			case strings.HasSuffix(key, "/publish"):
				f = url.Values{"date": {"2026-08-01"}}
			case strings.HasSuffix(key, "/frame"):
				f = url.Values{"rev": {fmt.Sprint(frameRev)}, "opening": {""}, "closing": {"下一步，区政府将继续落实。"}}
			case strings.HasSuffix(key, "/assign"):
				f = url.Values{"version": {fmt.Sprint(c.Version)}, "action": {"save"}}
			case strings.HasSuffix(key, "/opinion"):
				f = url.Values{"version": {fmt.Sprint(c.Version)}, "number": {c.Opinion.Number}, "title": {c.Opinion.Title}}
			case key == "POST /admin/series":
				f = url.Values{"series": {"静府议"}, "year": {"2026"}, "next": {"90"}}
			case key == "POST /admin/accounts":
				f = url.Values{"user": {"new-one"}, "name": {"新人"}, "role": {"clerk"}}
			case key == "POST /admin/accounts/{user}":
				f = url.Values{"action": {"save"}, "version": {"1"}, "name": {"经办人"}, "role": {"clerk"}}
			case key == "POST /account":
				f = url.Values{"action": {"token"}, "name": {"脚本"}, "days": {"10"}}
			case key == "POST /preview":
				f = url.Values{"level": {"1"}, "body": {"正文。"}}
			}
			if strings.HasSuffix(key, "/attachments") {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				mw.WriteField("rev", fmt.Sprint(rev))
				fw, _ := mw.CreateFormFile("attachment", "现场照片.png")
				fw.Write(matrixPNG)
				mw.Close()
				body, ctype = &b, mw.FormDataContentType()
			} else if key == "POST /cases/new" || key == "POST /admin/seal" {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				mw.WriteField("version", "1")
				fw, _ := mw.CreateFormFile(map[bool]string{true: "file", false: "seal"}[key == "POST /cases/new"], "x.txt")
				fw.Write([]byte("审议意见"))
				mw.Close()
				body, ctype = &b, mw.FormDataContentType()
			} else {
				body, ctype = strings.NewReader(f.Encode()), "application/x-www-form-urlencoded"
			}
		}
	}
	req, err := http.NewRequest(rt.method, e.srv.URL+p, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	// A browser on this site marks its posts same-origin.
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return req
}

// matrixPNG is what the matrix attaches: the first bytes of a PNG file.
var matrixPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR matrix")

func caseID(c *workflow.Case) string {
	if c == nil {
		return "nocase"
	}
	return c.ID
}

func nameFor(path string) string {
	if strings.HasPrefix(path, "/static") {
		return "app.css"
	}
	return "notice.html"
}

// needsCase reports whether a route acts on a case.
func needsCase(rt matrixRoute) bool { return strings.Contains(rt.path, "{id}") }

// verdict is what the route's Access says id may do, and the statuses
// that answer it.
type verdict struct {
	want string // "allowed", "forbidden", "invalid", "hidden", "sign in"
	ok   func(status int, location string) bool
}

func signInAnswer(status int, loc string) bool {
	return status == http.StatusUnauthorized || status == http.StatusSeeOther && strings.HasPrefix(loc, "/login")
}

func (e *matrixEnv) verdict(t *testing.T, rt matrixRoute, id workflow.Identity, c *workflow.Case) verdict {
	t.Helper()
	allowed := verdict{"allowed", func(s int, loc string) bool {
		return s != http.StatusUnauthorized && s != http.StatusForbidden && s < 500 && !signInAnswer(s, loc)
	}}
	forbidden := verdict{"forbidden (403)", func(s int, _ string) bool { return s == http.StatusForbidden }}
	signIn := verdict{"sign in first (401, or to /login)", signInAnswer}
	hidden := verdict{"not found (404)", func(s int, loc string) bool {
		return s == http.StatusNotFound || id.User == "" && signInAnswer(s, loc)
	}}
	// A refusal for the stage: 400/409, 404 for what does not exist yet
	// (the report before compiling), or on a page a redirect back with
	// the reason (the test then checks nothing changed).
	invalid := verdict{"refused as out of turn (400/404/409, or back to the page)", func(s int, _ string) bool {
		return s == http.StatusBadRequest || s == http.StatusConflict || s == http.StatusNotFound || !rt.api && s == http.StatusSeeOther
	}}
	anon := id.User == ""
	a := rt.access
	switch a.Kind {
	case Public:
		return allowed
	case SignedIn:
		if anon {
			return signIn
		}
		return allowed
	case AdminOnly, Roles:
		rs := a.Roles
		if a.Kind == AdminOnly {
			rs = []workflow.Role{workflow.Admin}
		}
		switch {
		case anon:
			return signIn
		case !hasAny(id, rs):
			return forbidden
		}
		return allowed
	case OfficeWide:
		switch {
		case anon:
			return signIn
		case !workflow.CanSeeStatistics(id):
			return forbidden
		}
		return allowed
	case SetupLink:
		return hidden
	case ReadAudit:
		v, err := e.svc.Case(context.Background(), id, c.ID)
		switch {
		case err != nil && anon:
			return verdict{"sign in or not found", func(s int, loc string) bool { return s == http.StatusNotFound || signInAnswer(s, loc) }}
		case err != nil:
			return hidden
		case id.Has(workflow.Clerk) || id.Has(workflow.Admin) || slicesContainsSigner(v, id.User):
			return allowed
		case anon:
			return signIn
		}
		return forbidden
	case ReadCase, ReadReport:
		v, err := e.svc.Case(context.Background(), id, c.ID)
		switch {
		case anon && !rt.api:
			// The pages of a case are for those signed in; the public
			// reads the published notice under /notices.
			return verdict{"sign in or not found", func(s int, loc string) bool { return s == http.StatusNotFound || signInAnswer(s, loc) }}
		case err != nil && anon:
			return verdict{"sign in or not found", func(s int, loc string) bool { return s == http.StatusNotFound || signInAnswer(s, loc) }}
		case err != nil:
			return hidden
		case a.Kind == ReadReport && (v.Report == nil || v.Report.Current.Hash == "" || v.Chain == nil && !id.Has(workflow.Clerk) && !id.Has(workflow.Admin)):
			return verdict{"not shown (403/404)", func(s int, loc string) bool {
				return s == http.StatusNotFound || s == http.StatusForbidden || anon && signInAnswer(s, loc)
			}}
		}
		return allowed
	case Act:
		if anon {
			return signIn
		}
		var cc *workflow.Case
		var sec *workflow.Section
		if c != nil && a.Action != workflow.ActIntake {
			cc = c
			if strings.Contains(rt.path, "{sec}") {
				if len(c.Sections) == 0 {
					return verdict{"refused: no such section (400/403/404)", func(s int, _ string) bool {
						return s == http.StatusBadRequest || s == http.StatusForbidden || s == http.StatusNotFound
					}}
				}
				sec = &cc.Sections[0]
			}
		}
		if a.Action == workflow.ActPublish && c != nil && c.Stage == workflow.Published {
			// Publishing is idempotent: whoever may publish gets the
			// published case back from a retry (workflow.Service.Publish).
			probe := *c
			probe.Stage = workflow.Approved
			cc = &probe
		}
		err := workflow.Allowed(id, cc, a.Action, sec)
		if err == nil && a.Action == workflow.ActApprove || err == nil && a.Action == workflow.ActReturnReport {
			// The report's author may not sign it (separation of duties).
			if c.Report != nil && c.Report.Current.Author == id.User {
				return forbidden
			}
		}
		switch workflow.KindOf(err) {
		case workflow.Forbidden:
			if c == nil {
				return forbidden
			}
			if v, rerr := e.svc.Case(context.Background(), id, c.ID); rerr != nil || sec != nil && !hasSection(v, sec.ID) {
				// Someone who may not see the case (or the section) is not
				// told it exists.
				return verdict{"forbidden or not found", func(s int, _ string) bool { return s == http.StatusForbidden || s == http.StatusNotFound }}
			}
			return forbidden
		case workflow.Invalid:
			if rt.method == "GET" {
				// A form page at the wrong stage may show why, or refuse.
				return verdict{"shown or refused, not forbidden", func(s int, loc string) bool {
					return s != http.StatusUnauthorized && s != http.StatusForbidden && s < 500 && !signInAnswer(s, loc)
				}}
			}
			return invalid
		}
		return allowed
	}
	t.Fatalf("%s %s has no access rule (Access{} in its table): decide who may use it", rt.method, rt.path)
	return verdict{}
}

func hasAny(id workflow.Identity, rs []workflow.Role) bool {
	for _, r := range rs {
		if id.Has(r) {
			return true
		}
	}
	return false
}

// TestAuthorizationMatrix sends every route as every kind of user, on a
// case at every stage (section A's actions on section A), and checks each
// answer against the route's Access. A state-changing route gets a fresh
// case for each stage, and the users it allows go last, so one user's
// change does not decide another's answer.
func TestAuthorizationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix makes a case for every state-changing route and stage")
	}
	e := newMatrixEnv(t)
	shared := map[string]*workflow.Case{}
	n := 0
	for _, st := range matrixStages {
		shared[st] = e.caseAt(t, st, n)
		n++
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	checked := 0
	for _, rt := range allRoutes() {
		if rt.access.Kind == NoRule {
			t.Errorf("%s %s has no access rule: give it one in its table (pages.go or web.go)", rt.method, rt.path)
			continue
		}
		stages := []string{""}
		if needsCase(rt) {
			stages = matrixStages
		}
		for _, st := range stages {
			var c *workflow.Case
			if st != "" {
				c = shared[st]
				if rt.method != "GET" {
					c = e.caseAt(t, st, n)
					n++
				}
			}
			// Those refused first, those allowed last.
			type ask struct {
				kind, user string
				v          verdict
			}
			var first, last []ask
			for _, u := range matrixUsers {
				v := e.verdict(t, rt, e.ids[u.user], c)
				if v.want == "allowed" {
					last = append(last, ask{u.kind, u.user, v})
				} else {
					first = append(first, ask{u.kind, u.user, v})
				}
			}
			for _, a := range append(first, last...) {
				before := e.fingerprint(t, c)
				req := e.request(t, rt, c)
				if a.user != "" {
					req.Header.Set(UserHeader, a.user)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				checked++
				if !a.v.ok(resp.StatusCode, resp.Header.Get("Location")) {
					t.Errorf("%s %s, case %s, as %s (%s): %d; want %s\n%.300s", rt.method, rt.path, orNone(st), a.kind, a.user, resp.StatusCode, a.v.want, b)
				}
				if after := e.fingerprint(t, c); a.v.want != "allowed" && after != before {
					t.Errorf("%s %s, case %s, as %s (%s): refused (%d) but the case changed: %s → %s", rt.method, rt.path, orNone(st), a.kind, a.user, resp.StatusCode, before, after)
				}
			}
		}
	}
	t.Logf("%d requests checked", checked)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func slicesContainsSigner(c *workflow.Case, user string) bool {
	for _, st := range c.Chain {
		for _, u := range st.Signers {
			if u == user {
				return true
			}
		}
	}
	return false
}

func hasSection(c *workflow.Case, id string) bool {
	_, ok := c.Section(id)
	return ok
}

// fingerprint is what a refused request must leave as it was: the case's
// record and every section's version, and the newest event of each
// stream.
func (e *matrixEnv) fingerprint(t *testing.T, c *workflow.Case) string {
	t.Helper()
	if c == nil {
		return ""
	}
	cur, err := e.svc.Store.Case(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	fp := fmt.Sprintf("v%d %s h%d", cur.Version, cur.Stage, cur.Head.Seq)
	for _, sec := range cur.Sections {
		fp += fmt.Sprintf(" %s:v%d:h%d", sec.ID, sec.V, sec.Head.Seq)
	}
	return fp
}
