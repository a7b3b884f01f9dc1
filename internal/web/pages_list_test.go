package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/workflow"
)

// listXLSX is a list of n suggestions as the People's Congress system
// exports them: a title row, then the header, then a row per suggestion.
// bad marks rows (0-based) made to be refused: no title.
func listXLSX(t *testing.T, n int, bad map[int]bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	f.SetSheetRow(sh, "A1", &[]any{"区十七届人大五次会议代表建议清单"})
	f.SetSheetRow(sh, "A2", &[]any{"建议号", "标题", "领衔代表", "代表团", "附议人", "内容", "类别"})
	for i := range n {
		title := fmt.Sprintf("关于加强第%d街道养老服务设施建设的建议", i+1)
		if bad[i] {
			title = ""
		}
		f.SetSheetRow(sh, fmt.Sprintf("A%d", i+3), &[]any{fmt.Sprintf("%04d", i+1), title, "陈某某", "第二代表团", "李某、王某",
			"建议增加社区食堂。\n建议推广家庭照护床位。", "民政"})
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// listCSV is a list of n proposals saved by Excel as CSV in GB18030.
func listCSV(t *testing.T, n int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("提案号,案由,提案人,界别,联名人,提案内容,类别\r\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,关于优化第%d号公交线路的提案,赵某,民盟,\"钱某，孙某\",\"建议调整线路走向。\r\n建议加密班次。\",交通\r\n", i+1, i+1)
	}
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *pageEnv) postList(t *testing.T, user, kind, assigned, name string, data []byte) (page, http.Header) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("kind", kind)
	mw.WriteField("assigned", assigned)
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/cases/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: userCookie, Value: user})
	return e.send(t, req)
}

// countCases pages through every case the clerk can list.
func (e *pageEnv) countCases(t *testing.T) (n int, kinds map[string]int) {
	t.Helper()
	kinds = map[string]int{}
	q := workflow.Query{Limit: 100}
	for {
		p, err := e.svc.Cases(context.Background(), e.id(t, "clerk"), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Cases {
			kinds[c.Kind]++
		}
		n += len(p.Cases)
		if p.Next == "" {
			return n, kinds
		}
		q.Cursor = p.Next
	}
}

// TestImportListPage imports a list of 300 suggestions (.xlsx, three of
// its rows without a title) on the page and 200 proposals (GB18030 CSV)
// through the API, then both again. What was tried besides: a
// department's staff posting the form (403), no file, a file over the
// limit (413), a PDF named .xlsx, a legacy .xls, a date of 交办 left out
// and a kind the office does not keep — each refused with its reason
// and nothing opened.
func TestImportListPage(t *testing.T) {
	e := mustPageEnv(t)
	got := e.do(t, "clerk", "GET", "/cases/import", nil)
	if got.status != http.StatusOK || !strings.Contains(got.body, `value="suggestion"`) || !strings.Contains(got.body, "政协委员提案") {
		t.Fatalf("the import page: %d\n%s", got.status, got.body)
	}
	day := "2026-11-20"
	xlsx := listXLSX(t, 300, map[int]bool{4: true, 150: true, 299: true})

	for _, tc := range []struct {
		what, user, kind, day, name string
		data                        []byte
		status                      int
		phrase                      string
	}{
		{"a department's staff", "jiaoyu-staff", "suggestion", day, "list.xlsx", xlsx, http.StatusForbidden, ""},
		{"no file", "clerk", "suggestion", day, "", nil, http.StatusBadRequest, "请选择清单文件"},
		{"over the limit", "clerk", "suggestion", day, "big.xlsx", make([]byte, MaxList+1), http.StatusRequestEntityTooLarge, ""},
		{"a PDF named .xlsx", "clerk", "suggestion", day, "list.xlsx", []byte("%PDF-1.7\n%%EOF"), http.StatusBadRequest, "xlsx"},
		{"a legacy .xls", "clerk", "suggestion", day, "list.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel"), http.StatusBadRequest, ".xlsx"},
		{"no date of 交办", "clerk", "suggestion", "", "list.xlsx", xlsx, http.StatusBadRequest, "请填写交办日期"},
		{"a kind the office does not keep", "clerk", "petition", day, "list.xlsx", xlsx, http.StatusBadRequest, "没有案件类别"},
	} {
		got, _ := e.postList(t, tc.user, tc.kind, tc.day, tc.name, tc.data)
		if got.status != tc.status || !strings.Contains(got.body, tc.phrase) {
			t.Errorf("%s: %d; want %d saying %q\n%.2000s", tc.what, got.status, tc.status, tc.phrase, got.body)
		}
		if n, _ := e.countCases(t); n != 0 {
			t.Fatalf("%s: refused, but %d cases were opened", tc.what, n)
		}
	}

	got, _ = e.postList(t, "clerk", "suggestion", day, "代表建议清单.xlsx", xlsx)
	if got.status != http.StatusOK || !strings.Contains(got.body, "已登记 297 件，未登记 3 行") {
		t.Fatalf("import: %d\n%.3000s", got.status, got.body)
	}
	for _, line := range []string{"<td>7</td><td>0005</td><td>第 7 行缺少标题", "<td>153</td><td>0151</td>", "<td>302</td><td>0300</td>"} {
		if !strings.Contains(got.body, line) {
			i := max(strings.Index(got.body, `id="import-refused"`), 0)
			t.Errorf("the refused rows do not show %q:\n%.1500s", line, got.body[i:])
		}
	}

	api := func(data []byte) (int, string) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/cases/import?kind=proposal&assigned="+day+"&name="+url.QueryEscape("政协提案.csv"), bytes.NewReader(data))
		req.Header.Set(UserHeader, "clerk")
		req.Header.Set("Content-Type", "text/csv")
		got, _ := e.send(t, req)
		return got.status, got.body
	}
	status, body := api(listCSV(t, 200))
	var res struct {
		Opened, Refused int
		Rows            []workflow.Imported
	}
	if err := json.Unmarshal([]byte(body), &res); status != http.StatusOK || err != nil || res.Opened != 200 || res.Refused != 0 || len(res.Rows) != 200 {
		t.Fatalf("the API: %d %v %+v\n%.1000s", status, err, res, body)
	}
	n, kinds := e.countCases(t)
	if n != 497 || kinds["suggestion"] != 297 || kinds["proposal"] != 200 {
		t.Errorf("after both imports: %d cases, by kind %v; want 297 suggestions and 200 proposals", n, kinds)
	}
	c, err := e.svc.Case(context.Background(), e.id(t, "clerk"), res.Rows[9].Case)
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Opinion; o.Number != "10" || o.Proposer != "赵某" || o.Group != "民盟" || len(o.Cosigners) != 2 || o.Category != "交通" ||
		o.Items[0].Text != "建议调整线路走向。\n建议加密班次。" || o.Issuer != "区政协" {
		t.Errorf("row 11 of the CSV opened %+v", o)
	}

	// Both again: nothing opened twice, every row refused as registered.
	got, _ = e.postList(t, "clerk", "suggestion", day, "代表建议清单.xlsx", xlsx)
	if !strings.Contains(got.body, "已登记 0 件，未登记 300 行") || !strings.Contains(got.body, "无需重复登记") {
		t.Errorf("the list again: %d\n%.2000s", got.status, got.body)
	}
	status, body = api(listCSV(t, 200))
	res.Rows = nil
	if err := json.Unmarshal([]byte(body), &res); status != http.StatusOK || err != nil || res.Opened != 0 || res.Refused != 200 {
		t.Errorf("the CSV again: %d %v %.500s", status, err, body)
	}
	if n, _ := e.countCases(t); n != 497 {
		t.Errorf("after importing twice: %d cases; want 497", n)
	}
	// The clerk's list filters by kind: no 审议意见 here, and the
	// proposals' list shows a proposal's title, not a suggestion's.
	if p := e.do(t, "clerk", "GET", "/cases", nil); !strings.Contains(p.body, `<select id="kind" name="kind">`) {
		t.Errorf("the cases page offers no kind filter")
	}
	if p := e.do(t, "clerk", "GET", "/cases?kind=opinion", nil); !strings.Contains(p.body, "没有案件。") {
		t.Errorf("the 审议意见 among imported lists: %.1500s", p.body)
	}
	if p := e.do(t, "clerk", "GET", "/cases?kind=proposal", nil); !strings.Contains(p.body, "公交线路的提案") || strings.Contains(p.body, "养老服务设施建设的建议") {
		t.Errorf("the proposals' list shows the wrong cases")
	}
}

// TestHandOverPage hands ten imported suggestions to one department on
// the batch page, and five more through the API. What was tried besides:
// no department chosen and no case picked (400, each beside its field),
// a department's staff (403), a case handed over twice (refused with its
// stage), and each refusal left every case as it was.
func TestHandOverPage(t *testing.T) {
	e := mustPageEnv(t)
	ctx := context.Background()
	var rows []workflow.Proposal
	for i := range 30 {
		rows = append(rows, workflow.Proposal{Line: i + 2, Number: fmt.Sprint(i + 1), Title: fmt.Sprintf("关于第%d项的建议", i+1),
			Proposer: "陈某", Content: "建议内容。"})
	}
	got, err := e.svc.Import(ctx, e.id(t, "clerk"), "suggestion", workflow.Day(2026, 11, 20), "list.csv", rows)
	if err != nil {
		t.Fatal(err)
	}
	page := e.do(t, "clerk", "GET", "/cases/handover", nil)
	if page.status != http.StatusOK || strings.Count(page.body, `name="case"`) != 30 || !strings.Contains(page.body, "代表建议") {
		t.Fatalf("the batch page: %d, %d cases\n%.1500s", page.status, strings.Count(page.body, `name="case"`), page.body)
	}
	drafting := func() int {
		p, err := e.svc.Cases(ctx, e.id(t, "clerk"), workflow.Query{Stage: workflow.Drafting, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Cases)
	}
	form := url.Values{"lead": {"区民政局"}, "co": {"区卫健委"}, "due": {"2026-12-31"}}
	for i := range 10 {
		form.Add("case", got[i].Case)
	}
	for _, tc := range []struct {
		what, user string
		drop       string
		status     int
		phrase     string
	}{
		{"no department", "clerk", "lead", http.StatusBadRequest, `id="err-lead"`},
		{"no case", "clerk", "case", http.StatusBadRequest, "请选择要交办的案件"},
		{"a department's staff", "jiaoyu-staff", "", http.StatusForbidden, ""},
	} {
		f := url.Values{}
		for k, v := range form {
			if k != tc.drop {
				f[k] = v
			}
		}
		p := e.do(t, tc.user, "POST", "/cases/handover", f)
		if p.status != tc.status || !strings.Contains(p.body, tc.phrase) {
			t.Errorf("%s: %d; want %d with %q", tc.what, p.status, tc.status, tc.phrase)
		}
		if n := drafting(); n != 0 {
			t.Fatalf("%s: refused, but %d cases were handed over", tc.what, n)
		}
	}
	page = e.do(t, "clerk", "POST", "/cases/handover", form)
	if page.status != http.StatusOK || !strings.Contains(page.body, "已交办 10 件，未交办 0 件") || strings.Count(page.body, `name="case"`) != 20 {
		t.Fatalf("the batch: %d\n%.2000s", page.status, page.body)
	}
	c, err := e.svc.Case(ctx, e.id(t, "clerk"), got[3].Case)
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != workflow.Drafting || c.Sections[0].Lead != "区民政局" || c.Sections[0].Co[0] != "区卫健委" || date(c.Sections[0].Due) != "2026-12-31" {
		t.Errorf("a case handed over: %s %+v", c.Stage, c.Sections)
	}

	body, _ := json.Marshal(map[string]any{"cases": []string{got[0].Case, got[10].Case, got[11].Case, got[12].Case, got[13].Case, got[14].Case}, "lead": "区教育局"})
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/cases/handover", bytes.NewReader(body))
	req.Header.Set(UserHeader, "clerk")
	req.Header.Set("Content-Type", "application/json")
	p, _ := e.send(t, req)
	var res struct {
		Handed, Refused int
		Rows            []workflow.Handed
	}
	if err := json.Unmarshal([]byte(p.body), &res); p.status != http.StatusOK || err != nil || res.Handed != 5 || res.Refused != 1 ||
		!strings.Contains(res.Rows[0].Reason, "不在待交办之列") {
		t.Errorf("the API: %d %v %+v", p.status, err, res)
	}
	if n := drafting(); n != 15 {
		t.Errorf("%d cases in drafting; want 15", n)
	}
}

// TestLiaisonPage: on a suggestion's section page the lead department
// sees the 沟通 form; a contact dated tomorrow and one with no text are
// refused beside their fields with what was typed kept; a contact
// recorded shows on the page; a co-handling department sees no form.
func TestLiaisonPage(t *testing.T) {
	e := mustPageEnv(t)
	ctx := context.Background()
	clerk := e.id(t, "clerk")
	got, err := e.svc.Import(ctx, clerk, "suggestion", workflow.Day(2026, 11, 20), "list.csv",
		[]workflow.Proposal{{Line: 2, Number: "8", Title: "关于增设公交站点的建议", Proposer: "陈某", Content: "建议增设站点。"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AssignBatch(ctx, clerk, []string{got[0].Case}, "区民政局", []string{"区教育局"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	path := "/cases/" + got[0].Case + "/sections/s1"
	if p := e.do(t, "minzheng-staff", "GET", path, nil); !strings.Contains(p.body, `id="liaison-form"`) || !strings.Contains(p.body, "尚未登记沟通情况") {
		t.Fatalf("the lead department's section page has no 沟通 form:\n%.1500s", p.body)
	}
	if p := e.do(t, "jiaoyu-staff", "GET", path, nil); strings.Contains(p.body, `id="liaison-form"`) {
		t.Errorf("a co-handling department is offered the 沟通 form")
	}
	tomorrow := date(time.Now().AddDate(0, 0, 2))
	p := e.do(t, "minzheng-staff", "POST", path+"/liaison", url.Values{"liaison_date": {tomorrow}, "liaison_way": {"电话"}, "liaison_text": {"电话沟通了站点位置。"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-liaison_date"`) || !strings.Contains(p.body, "电话沟通了站点位置。") {
		t.Errorf("a contact dated after today: %d\n%.1500s", p.status, p.body)
	}
	p = e.do(t, "minzheng-staff", "POST", path+"/liaison", url.Values{"liaison_date": {"2026-11-25"}, "liaison_way": {"电话"}, "liaison_text": {""}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-liaison_text"`) {
		t.Errorf("a contact without text: %d", p.status)
	}
	p = e.do(t, "minzheng-staff", "POST", path+"/liaison", url.Values{"liaison_date": {"2026-11-25"}, "liaison_way": {"走访"}, "liaison_text": {"上门听取意见。"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("recording a contact: %d\n%.1500s", p.status, p.body)
	}
	if p := e.do(t, "minzheng-staff", "GET", path, nil); !strings.Contains(p.body, "已沟通 1 次") || !strings.Contains(p.body, "上门听取意见。") {
		t.Errorf("the recorded contact is not shown:\n%.1500s", p.body)
	}
}

// TestDeclinePage (分办) on the section page: the lead department's head
// asks for the part to go elsewhere (first without a reason: 400 beside
// the field); the clerk sees the request, tries to keep it without a note
// (400), then gives it to 区教育局, whose staff then see the edit form.
func TestDeclinePage(t *testing.T) {
	e := mustPageEnv(t)
	ctx := context.Background()
	clerk := e.id(t, "clerk")
	got, err := e.svc.Import(ctx, clerk, "suggestion", workflow.Day(2026, 11, 20), "list.csv",
		[]workflow.Proposal{{Line: 2, Number: "9", Title: "关于校园周边交通的建议", Proposer: "陈某", Content: "建议改善校园周边交通。"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AssignBatch(ctx, clerk, []string{got[0].Case}, "区民政局", nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	path := "/cases/" + got[0].Case + "/sections/s1"
	if p := e.do(t, "minzheng-head", "POST", path+"/decline", url.Values{"decline_reason": {""}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-decline_reason"`) {
		t.Errorf("a request without a reason: %d", p.status)
	}
	if p := e.do(t, "minzheng-head", "POST", path+"/decline", url.Values{"decline_reason": {"校园交通属教育局职责。"}}); p.status != http.StatusSeeOther {
		t.Fatalf("the request: %d\n%.1500s", p.status, p.body)
	}
	p := e.do(t, "clerk", "GET", path, nil)
	if !strings.Contains(p.body, "校园交通属教育局职责。") || !strings.Contains(p.body, `value="keep"`) {
		t.Fatalf("the clerk's section page does not show the request:\n%.2000s", p.body)
	}
	if p := e.do(t, "clerk", "POST", path+"/reassign", url.Values{"decision": {"keep"}, "lead_note": {""}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-lead_note"`) {
		t.Errorf("keeping without a note: %d", p.status)
	}
	if p := e.do(t, "clerk", "POST", path+"/reassign", url.Values{"decision": {"reassign"}, "lead": {"区教育局"}, "lead_note": {"同意。"}}); p.status != http.StatusSeeOther {
		t.Fatalf("reassigning: %d\n%.1500s", p.status, p.body)
	}
	if p := e.do(t, "jiaoyu-staff", "GET", path, nil); !strings.Contains(p.body, `name="body"`) || !strings.Contains(p.body, "已调整") {
		t.Errorf("the new lead department's page:\n%.2000s", p.body)
	}
}

// TestImportOnePage: 逐件登记 — a suggestion typed in becomes a case and
// the clerk goes to it. What was tried: a department's staff; no title
// (refused beside it, the rest kept as typed); the same number again
// (refused: already registered); a kind the office does not keep.
func TestImportOnePage(t *testing.T) {
	e := mustPageEnv(t)
	form := func(change func(url.Values)) url.Values {
		f := url.Values{"kind": {"suggestion"}, "assigned": {"2026-11-20"}, "number": {"0042"}, "title": {"关于增设社区食堂的建议"},
			"proposer": {"陈某某"}, "group": {"第二代表团"}, "cosigners": {"李某、王某"}, "category": {"民政"}, "content": {"建议增设社区食堂。\r\n建议延长供餐时间。"}}
		if change != nil {
			change(f)
		}
		return f
	}
	if p := e.do(t, "jiaoyu-staff", "POST", "/cases/import/one", form(nil)); p.status != http.StatusForbidden {
		t.Errorf("a department's staff registering one: %d; want 403", p.status)
	}
	p := e.do(t, "clerk", "POST", "/cases/import/one", form(func(f url.Values) { f.Set("title", " ") }))
	if p.status != http.StatusBadRequest || fieldError(p.body, "title") == "" || textarea(p.body, "content") != "建议增设社区食堂。\n建议延长供餐时间。" {
		t.Errorf("no title: %d, error beside it %q, content kept %q; want 400, the error, the content", p.status, fieldError(p.body, "title"), textarea(p.body, "content"))
	}
	p = e.do(t, "clerk", "POST", "/cases/import/one", form(nil))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/cases/") {
		t.Fatalf("registering one: %d to %q\n%.2000s", p.status, p.location, p.body)
	}
	c, err := e.svc.Case(t.Context(), e.member(t, "", workflow.Clerk), strings.TrimPrefix(p.location, "/cases/"))
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Opinion; o.Kind != "suggestion" || o.Proposer != "陈某某" || o.Group != "第二代表团" || len(o.Cosigners) != 2 || o.Category != "民政" ||
		len(o.Items) != 1 || !strings.Contains(o.Items[0].Text, "延长供餐时间") {
		t.Errorf("the case registered: %+v", o)
	}
	if p := e.do(t, "clerk", "POST", "/cases/import/one", form(nil)); p.status != http.StatusBadRequest || fieldError(p.body, "number") == "" {
		t.Errorf("the same number again: %d, beside the number %q; want 400 saying it is registered", p.status, fieldError(p.body, "number"))
	}
	if p := e.do(t, "clerk", "POST", "/cases/import/one", form(func(f url.Values) { f.Set("kind", "petition") })); p.status != http.StatusBadRequest || !strings.Contains(p.body, "没有案件类别") {
		t.Errorf("a kind the office does not keep: %d; want 400 saying so", p.status)
	}
}
