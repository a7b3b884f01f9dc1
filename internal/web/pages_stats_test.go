package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/docflow/docflow/internal/ledger"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// ledgerPageEnv serves pages over the data set of workflowtest.SeedLedger,
// with the Excel writer the local server has.
func ledgerPageEnv(t *testing.T) (*pageEnv, map[string]*workflow.Case) {
	t.Helper()
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	clock := workflowtest.NewClock(2025, 10, 1)
	svc := &workflow.Service{Store: st, Blobs: st.Blobs(), Render: fakeNotice{}, Dir: st, Outbox: st, Now: clock.Now}
	workflowtest.SetUp(t, svc, seed, acc)
	ids := map[string]workflow.Identity{}
	for _, a := range acc {
		ids[a.User] = a.Identity()
	}
	cases := workflowtest.SeedLedger(t, svc, clock, ids)
	s := &Server{Service: svc, Identify: DevIdentity(st), Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Workbook: ledger.Workbook}
	e := &pageEnv{srv: httptest.NewServer(s.Handler()), svc: svc, acc: acc}
	t.Cleanup(e.srv.Close)
	return e, cases
}

// fakeNotice renders a notice as its number and title: publication, not
// layout, is what these tests need.
type fakeNotice struct{}

func (fakeNotice) Render(_ context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	return []workflow.Rendered{{Name: "notice.html", ContentType: "text/html; charset=utf-8", Data: []byte(n.Number + "\n" + n.Title + "\n" + n.Body)}}, nil
}

// tableRows returns the text of each cell of each row of the table with
// the given id, header rows included.
func tableRows(body, id string) [][]string {
	m := regexp.MustCompile(`(?s)<table[^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</table>`).FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	tags := regexp.MustCompile(`<[^>]*>`)
	var out [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`).FindAllStringSubmatch(m[1], -1) {
		var row []string
		for _, td := range regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`).FindAllStringSubmatch(tr[1], -1) {
			row = append(row, strings.TrimSpace(html.UnescapeString(tags.ReplaceAllString(td[1], " "))))
		}
		out = append(out, row)
	}
	return out
}

// handCount is the departments' table of 2026 counted by hand from
// SeedLedger's data set: 区妇联 A.s1 on time (34 days), B.s1 overdue
// after a return, C.s2 pending; 区教育局 A.s3 late (38 days), B.s2
// overdue; 区民政局 A.s2 late after a return (41 days), C.s1 on time (4
// days). Columns: department, assigned, on time, late, overdue, pending,
// on-time rate, parts returned, returns, average days.
var handCount = [][]string{
	{"区妇联", "3", "1", "0", "1", "1", "50", "1", "1", "34"},
	{"区教育局", "2", "0", "1", "1", "0", "0", "0", "0", "38"},
	{"区民政局", "2", "1", "1", "0", "0", "50", "1", "1", "22.5"},
	{"合计", "7", "2", "2", "2", "1", "33.3", "2", "2", "29.3"},
}

// TestStatisticsPageAndLedger: the page, the CSV and the workbook read
// back with excelize all agree with the hand count.
func TestStatisticsPageAndLedger(t *testing.T) {
	e, cases := ledgerPageEnv(t)

	p := e.do(t, "clerk", "GET", "/stats?year=2026", nil)
	if p.status != 200 {
		t.Fatalf("/stats: %d %s", p.status, p.body)
	}
	rows := tableRows(p.body, "dept-stats")
	if len(rows) != 5 {
		t.Fatalf("department table has %d rows; want a header, 3 departments and the total:\n%q", len(rows), rows)
	}
	for i, want := range handCount {
		got := slices.Clone(rows[i+1])
		got[6] = strings.TrimSuffix(got[6], "%")
		if !slices.Equal(got, want) {
			t.Errorf("page row %d = %q; want %q", i+1, got, want)
		}
	}
	// The charts: SVG, labelled for screen readers, no script.
	for _, id := range []string{"chart-depts", "chart-stages"} {
		if !strings.Contains(p.body, `aria-labelledby="`+id+`-t `+id+`-d"`) || !strings.Contains(p.body, `<title id="`+id+`-t">`) || !strings.Contains(p.body, `<desc id="`+id+`-d">`) {
			t.Errorf("chart %s lacks its title and description", id)
		}
	}
	if strings.Contains(p.body, "<script") && strings.Contains(p.body[strings.Index(p.body, "<svg"):], "<script") {
		t.Errorf("the charts use a script")
	}
	// A's stages, from the case table: 3, 46, 2, 3, 3 days, 57 in all.
	var caseA []string
	for _, r := range tableRows(p.body, "case-stats") {
		if strings.HasPrefix(r[0], workflowtest.LedgerCases["A"]) {
			caseA = r
		}
	}
	if want := []string{"按期办结", "3", "46", "2", "3", "3", "57"}; len(caseA) < 8 || !slices.Equal(caseA[1:], want) {
		t.Errorf("case A on the page = %q; want %q", caseA, want)
	}

	// The CSV of the departments: a byte-order mark, then the same figures.
	c := e.do(t, "deputy", "GET", "/stats/ledger.csv?year=2026&table=depts", nil)
	if c.status != 200 || !strings.HasPrefix(c.body, "\uFEFF") {
		t.Fatalf("depts CSV: %d, starts %q; want 200 and a byte-order mark", c.status, c.body[:min(10, len(c.body))])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || !slices.EqualFunc(recs[1:], handCount, slices.Equal) {
		t.Errorf("depts CSV = %q\nwant %q", recs[1:], handCount)
	}
	// The parts' CSV: a heading that would be a formula is escaped.
	c = e.do(t, "clerk", "GET", "/stats/ledger.csv?year=2026", nil)
	if !strings.Contains(c.body, "'=1+2 教育工作") || strings.Contains(c.body, ",=1+2") {
		t.Errorf("parts CSV does not escape the formula-like heading:\n%s", c.body)
	}
	parts, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.body, "\uFEFF"))).ReadAll()
	if len(parts) != 1+3+2+2+1 {
		t.Errorf("parts CSV has %d rows; want a header and 8 parts (A 3, B 2, C 2, E 1)", len(parts))
	}

	// The workbook, read back.
	x := e.do(t, "admin", "GET", "/stats/ledger.xlsx?year=2026", nil)
	if x.status != 200 {
		t.Fatalf("xlsx: %d %s", x.status, x.body)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x.body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"部门统计", "案件台账", "办理明细"}) {
		t.Errorf("sheets = %q", got)
	}
	xr, err := f.GetRows("部门统计")
	if err != nil {
		t.Fatal(err)
	}
	if len(xr) != 5 || !slices.EqualFunc(xr[1:], handCount, slices.Equal) {
		t.Errorf("workbook departments = %q\nwant %q", xr[1:], handCount)
	}
	if typ, _ := f.GetCellType("部门统计", "B2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("B2 is of type %v; want a number", typ)
	}
	detail, _ := f.GetRows("办理明细")
	found := false
	for i, r := range detail {
		if len(r) > 2 && r[2] == "=1+2 教育工作" {
			cell, _ := excelize.CoordinatesToCellName(3, i+1)
			if fm, _ := f.GetCellFormula("办理明细", cell); fm != "" {
				t.Errorf("%s is a formula %q; want text", cell, fm)
			}
			found = true
		}
	}
	if !found {
		t.Errorf("the formula-like heading is missing from 办理明细: %q", detail)
	}

	// Who may see it.
	for _, u := range []string{"fulian-staff", "fulian-head"} {
		if p := e.do(t, u, "GET", "/stats?year=2026", nil); p.status != 403 {
			t.Errorf("%s: /stats answered %d; want 403", u, p.status)
		}
	}
	if p := e.do(t, "", "GET", "/stats/ledger.csv", nil); p.status != 303 && p.status != 401 {
		t.Errorf("the public: ledger answered %d; want to sign in", p.status)
	}
	if p := e.do(t, "clerk", "GET", "/stats?year=20x6", nil); p.status != 400 || !strings.Contains(p.body, "年度须为四位数字") {
		t.Errorf("a bad year: %d; want 400 saying the year must be four digits", p.status)
	}
	_ = cases
}

// TestResultsAndFollowUp: a department records its item's result with its
// submission, refused beside the field without the reason it needs; the
// case's unfinished items are on the follow-up list after publication
// until the office marks them done; results show in the ledger.
func TestResultsAndFollowUp(t *testing.T) {
	e, cases := ledgerPageEnv(t)
	c := cases["C"]
	path := "/cases/" + c.ID + "/sections/s2"
	// 区妇联 writes C.s2 and submits it as 暂不具备条件 without a reason.
	p := e.do(t, "fulian-staff", "POST", path, url.Values{"rev": {"0"}, "heading": {"妇女工作"}, "body": {"正文。"}})
	if p.status != 303 {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	sec := func() *workflow.Section {
		cc, err := e.svc.Store.Case(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := cc.Section("s2")
		return s
	}
	p = e.do(t, "fulian-head", "POST", path+"/submit", url.Values{"rev": {itoa(sec().Rev)}, "outcome": {"not-viable"}, "result_text": {"  "}})
	if p.status != 400 || !strings.Contains(fieldError(p.body, "result_text"), "须说明原因") {
		t.Fatalf("submit without a reason: %d, beside the field %q; want 400 asking for the reason", p.status, fieldError(p.body, "result_text"))
	}
	if s := sec(); s.State != workflow.Open || s.Result != nil {
		t.Fatalf("a refused submission changed the section: %s, %+v", s.State, s.Result)
	}
	long := strings.Repeat("长", workflow.MaxResultText+1)
	p = e.do(t, "fulian-head", "POST", path+"/submit", url.Values{"rev": {itoa(sec().Rev)}, "outcome": {"planned"}, "result_text": {long}})
	if p.status != 400 || !strings.Contains(fieldError(p.body, "result_text"), "过长") || !strings.Contains(p.body, long) {
		t.Errorf("a result too long: %d, %q; want 400 beside the field, the text kept", p.status, fieldError(p.body, "result_text"))
	}
	p = e.do(t, "fulian-head", "POST", path+"/submit", url.Values{"rev": {itoa(sec().Rev)}, "outcome": {"planned"}, "result_text": {"2027年上半年建成两处服务站"}})
	if p.status != 303 {
		t.Fatalf("submit with a result: %d %s", p.status, p.body)
	}
	if s := sec(); s.State != workflow.Submitted || s.Result == nil || s.Result.Outcome != workflow.OutcomePlanned || s.Result.Dept != "区妇联" {
		t.Fatalf("after submitting: %s, %+v; want submitted with the planned result", s.State, s.Result)
	}
	// The case page and the ledger show it.
	if p := e.do(t, "clerk", "GET", path, nil); !strings.Contains(p.body, "2027年上半年建成两处服务站") {
		t.Errorf("the section page does not show the result")
	}
	if p := e.do(t, "clerk", "GET", "/cases/"+c.ID, nil); !strings.Contains(p.body, "办理结果：列入计划") {
		t.Errorf("the case page does not show the result")
	}
	csvBody := e.do(t, "clerk", "GET", "/stats/ledger.csv?year=2026", nil).body
	if !strings.Contains(csvBody, "列入计划,2027年上半年建成两处服务站") {
		t.Errorf("the ledger lacks the result:\n%s", csvBody)
	}

	// Case A is published; none of its items has a result: all three
	// are on the follow-up list.
	a := cases["A"]
	fu := e.do(t, "clerk", "GET", "/followup?year=2026", nil)
	if n := len(tableRows(fu.body, "followup")); n != 4 {
		t.Fatalf("follow-up list has %d rows; want a header and A's 3 items", n)
	}
	// The office records A.s1 as done: it leaves the list; A.s2 as
	// ongoing: it stays. A department may not (its section is accepted).
	if p := e.do(t, "fulian-head", "POST", "/cases/"+a.ID+"/sections/s1/result", url.Values{"outcome": {"done"}}); p.status != 400 && p.status != 403 {
		t.Errorf("a department's result after publication: %d; want refused", p.status)
	}
	if p := e.do(t, "clerk", "POST", "/cases/"+a.ID+"/sections/s1/followup", url.Values{"outcome": {"done"}, "result_text": {"已建成"}}); p.status != 303 {
		t.Fatalf("follow-up s1: %d %s", p.status, p.body)
	}
	if p := e.do(t, "clerk", "POST", "/cases/"+a.ID+"/sections/s2/followup", url.Values{"outcome": {"ongoing"}}); p.status != 303 {
		t.Fatalf("follow-up s2: %d %s", p.status, p.body)
	}
	fu = e.do(t, "clerk", "GET", "/followup?year=2026", nil)
	rows := tableRows(fu.body, "followup")
	if len(rows) != 3 || !strings.Contains(rows[1][3]+rows[2][3], "推进中") || strings.Contains(fu.body, "fu-"+a.ID+"-s1") {
		t.Errorf("follow-up after the office's results = %q; want A.s2 (推进中) and A.s3, not A.s1", rows)
	}
	// Each result is in the audit trail.
	evs, err := e.svc.Store.Events(t.Context(), a.ID, "s1", 0, 10)
	if err != nil || evs[0].Action != string(workflow.ActFollowUp) || evs[0].Result == nil || evs[0].Result.Text != "已建成" {
		t.Errorf("s1's newest event = %+v, %v; want the follow-up with its result", evs[0], err)
	}
	if v, err := e.svc.Verify(t.Context(), a.ID); err != nil {
		t.Errorf("Verify after results: %+v, %v", v, err)
	}
}

// TestStatisticsKeptAndPaged: the page shows the kept report with its
// time; a new case shows in the figures only once they are tallied again
// (the page's 立即重新统计); the ledger is paged, on the page and in the
// API, every case once.
func TestStatisticsKeptAndPaged(t *testing.T) {
	e, _ := ledgerPageEnv(t)
	p := e.do(t, "clerk", "GET", "/stats?year=2026", nil)
	if !strings.Contains(p.body, "统计截至") || !strings.Contains(p.body, "共 4 件案件") {
		t.Fatalf("/stats does not say when its 4 cases were tallied: %d\n%.3000s", p.status, p.body)
	}
	o := &workflow.Opinion{Issuer: "某区人大常委会", Number: "某会〔2026〕99号", Title: "关于新的一项工作的审议意见", ReplyTo: "区人大常委会", Addressee: "区人民政府",
		Date: workflow.Day(2026, 4, 1), Due: workflow.Day(2026, 9, 1), Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "加强工作。"}}}
	var clerk workflow.Identity
	for _, a := range e.acc {
		if a.User == "clerk" {
			clerk = a.Identity()
		}
	}
	if _, err := e.svc.Intake(t.Context(), clerk, workflow.Source{Name: "new.txt"}, []byte("new"), o); err != nil {
		t.Fatal(err)
	}
	if p := e.do(t, "clerk", "GET", "/stats?year=2026", nil); !strings.Contains(p.body, "共 4 件案件") || !strings.Contains(p.body, "某会〔2026〕99号") {
		t.Errorf("after a new case the figures should be the kept ones (4 cases) and the ledger live (with 99号)")
	}
	// Tried: a department's head asks for a tally; the clerk, for year 20x6.
	if p := e.do(t, "fulian-head", "POST", "/stats/refresh?year=2026", url.Values{}); p.status != 403 {
		t.Errorf("a department's 立即重新统计: %d; want 403", p.status)
	}
	// A button's refusal goes back to its page, with the reason as the
	// page's message.
	if p := e.do(t, "clerk", "POST", "/stats/refresh?year=20x6", url.Values{}); p.status != 303 || p.location != "/stats" {
		t.Errorf("立即重新统计 of year 20x6: %d to %q; want 303 back to /stats", p.status, p.location)
	}
	if p := e.do(t, "clerk", "GET", "/stats?year=2026", nil); !strings.Contains(p.body, "共 4 件案件") {
		t.Errorf("the refused tallies changed the figures")
	}
	if p := e.do(t, "clerk", "POST", "/stats/refresh?year=2026", url.Values{}); p.status != 303 || p.location != "/stats?year=2026" {
		t.Errorf("立即重新统计: %d to %q; want 303 to the year's page", p.status, p.location)
	}
	if p := e.do(t, "clerk", "GET", "/stats?year=2026", nil); !strings.Contains(p.body, "共 5 件案件") {
		t.Errorf("after 立即重新统计 the page should count 5 cases")
	}

	api := func(path string, v any) int {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set(UserHeader, "clerk")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode
	}
	var rep workflow.Statistics
	if api("/api/stats?year=2026", &rep); rep.CaseCount != 5 || len(rep.Cases) != 0 || rep.AsOf.IsZero() {
		t.Errorf("/api/stats: %d cases, %d rows, as of %v; want 5, none (the report keeps no rows), a time", rep.CaseCount, len(rep.Cases), rep.AsOf)
	}
	seen := map[string]bool{}
	next := "/api/stats/ledger?year=2026&limit=2"
	for pages := 0; next != "" && pages < 5; pages++ {
		var pg workflow.LedgerPage
		if code := api(next, &pg); code != 200 || len(pg.Cases) > 2 {
			t.Fatalf("GET %s: %d, %d rows; want 200 and 2 at most", next, code, len(pg.Cases))
		}
		for _, c := range pg.Cases {
			seen[c.Summary.ID] = true
		}
		next = ""
		if pg.Next != "" {
			next = "/api/stats/ledger?year=2026&limit=2&cursor=" + url.QueryEscape(pg.Next)
		}
	}
	if len(seen) != 5 {
		t.Errorf("the ledger's pages of 2 hold %d cases; want 5", len(seen))
	}
	var refused map[string]any
	if code := api("/api/stats/ledger?year=2026&limit=999", &refused); code != 400 {
		t.Errorf("a ledger page of 999: %d; want 400", code)
	}
}

// TestAssignLike: 参照交办 — the assign page of a new case fills its form
// from a similar case already assigned, found by its number; a search
// that several cases match lists them; one that none does says so. What
// was tried: a number matching no case; words matching several.
func TestAssignLike(t *testing.T) {
	e, cases := ledgerPageEnv(t)
	var clerk workflow.Identity
	for _, a := range e.acc {
		if a.User == "clerk" {
			clerk = a.Identity()
		}
	}
	o := &workflow.Opinion{Issuer: "某区人大常委会", Number: "某会〔2026〕98号", Title: "关于另一项工作的审议意见", ReplyTo: "区人大常委会", Addressee: "区人民政府",
		Date: workflow.Day(2026, 4, 1), Due: workflow.Day(2026, 9, 1), Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "加强工作。"}, {ID: "2", Level: 1, Label: "二、", Text: "完善制度。"}}}
	c, err := e.svc.Intake(t.Context(), clerk, workflow.Source{Name: "new.txt"}, []byte("new"), o)
	if err != nil {
		t.Fatal(err)
	}
	selected := func(body, id string) string {
		m := regexp.MustCompile(`(?s)<select id="` + id + `".*?</select>`).FindString(body)
		if s := regexp.MustCompile(`<option selected>([^<]*)</option>`).FindStringSubmatch(m); s != nil {
			return s[1]
		}
		return ""
	}
	a := cases["A"]
	p := e.do(t, "clerk", "GET", "/cases/"+c.ID+"/assign?like="+url.QueryEscape(a.Opinion.Number), nil)
	if p.status != 200 || !strings.Contains(p.body, `id="like-note"`) {
		t.Fatalf("参照 %s: %d, no note that the form was filled\n%.2000s", a.Opinion.Number, p.status, p.body)
	}
	if l0, l1 := selected(p.body, "lead-0"), selected(p.body, "lead-1"); l0 != a.Sections[0].Lead || l1 != a.Sections[1].Lead {
		t.Errorf("the form's leads = %q, %q; want A's first two, %q and %q", l0, l1, a.Sections[0].Lead, a.Sections[1].Lead)
	}
	p = e.do(t, "clerk", "GET", "/cases/"+c.ID+"/assign?like="+url.QueryEscape("某项工作"), nil)
	if n := strings.Count(p.body, `href="/cases/`+c.ID+`/assign?like=`); p.status != 200 || n < 2 {
		t.Errorf("参照 by words several cases match: %d with %d choices; want a list to choose from", p.status, n)
	}
	p = e.do(t, "clerk", "GET", "/cases/"+c.ID+"/assign?like="+url.QueryEscape("某会〔2019〕1号"), nil)
	if p.status != 200 || !strings.Contains(p.body, `id="err-like"`) || selected(p.body, "lead-0") != "" {
		t.Errorf("参照 a number no case has: %d; want the page, saying none matched, the form empty", p.status)
	}
}

// TestDepartmentSealForm: an administrator sets a department's seal for
// its 答复函 on the office page; the page then says so and offers to remove
// it. What was tried: a department without a letterhead.
func TestDepartmentSealForm(t *testing.T) {
	e, _ := ledgerPageEnv(t)
	o, err := e.svc.Office(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	post := func(dept string) page {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"version": strconv.Itoa(o.Version), "action": "set", "dept": dept} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("seal", "seal.png")
		fw.Write(noticetest.Seal(t, 200))
		mw.Close()
		req, _ := http.NewRequest("POST", e.srv.URL+"/admin/seal", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: userCookie, Value: "admin"})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return page{resp.StatusCode, resp.Header.Get("Location"), string(b)}
	}
	if p := post("区不存在局"); p.status != 400 || !strings.Contains(p.body, "答复函版头") {
		t.Errorf("a seal for a department without a letterhead: %d; want 400 saying it has no letterhead", p.status)
	}
	if p := post("区民政局"); p.status != 303 {
		t.Fatalf("区民政局's seal: %d\n%.2000s", p.status, p.body)
	}
	now, _ := e.svc.Office(t.Context())
	if l, _ := now.Profile.Letterhead("区民政局"); l.Seal == "" || now.Seal != "" {
		t.Errorf("after setting 区民政局's seal: its letterhead's seal %q, the office's %q; want its own, none for the office", l.Seal, now.Seal)
	}
	if p := e.do(t, "admin", "GET", "/admin/office", nil); !strings.Contains(p.body, "区民政局的答复函加盖本部门印章") {
		t.Errorf("the office page does not say 区民政局's letters are sealed")
	}
}
