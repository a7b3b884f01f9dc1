package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestDeadlinesOnThePages: a due date in the past is refused beside its
// row at assignment; a department head asks for more time on the section
// page (refused beside the field without a reason), the clerk refuses
// without a note beside the field, then grants, and the due date moves.
func TestDeadlinesOnThePages(t *testing.T) { // today is 2026-07-01
	e, cases := ledgerPageEnv(t)
	c := cases["E"] // assigning; the opinion's deadline 2026-12-20
	form := url.Values{"version": {itoa(c.Version)}, "on-0": {"1"}, "item-0": {"1"}, "level-0": {"1"}, "lead-0": {"区教育局"}, "due-0": {"2026-06-01"}}
	p := e.do(t, "clerk", "POST", "/cases/"+c.ID+"/assign", form)
	if p.status != 400 || !strings.Contains(fieldError(p.body, "row-0"), "已过") {
		t.Errorf("a past due date: %d, beside the row %q; want 400 saying it has passed", p.status, fieldError(p.body, "row-0"))
	}
	form.Set("due-0", "2026-09-30")
	if p := e.do(t, "clerk", "POST", "/cases/"+c.ID+"/assign", form); p.status != 303 {
		t.Errorf("a due date ahead: %d; want 303", p.status)
	}

	b := cases["B"] // s2: 区教育局, due 2026-06-10 (overdue); the opinion's deadline 2026-06-30
	if p := e.do(t, "clerk", "GET", "/cases?overdue=1", nil); !strings.Contains(p.body, b.Opinion.Number) || !strings.Contains(p.body, `id="order"`) {
		t.Errorf("the overdue list lacks %s, or does not say it is ordered by deadline", b.Opinion.Number)
	}
	path := "/cases/" + b.ID + "/sections/s2"
	if p := e.do(t, "jiaoyu-head", "GET", path, nil); !strings.Contains(p.body, `id="extension-form"`) {
		t.Fatalf("the head sees no form to ask for more time")
	}
	if p := e.do(t, "jiaoyu-staff", "GET", path, nil); strings.Contains(p.body, `id="extension-form"`) {
		t.Errorf("staff see the form to ask for more time; only the head asks")
	}
	p = e.do(t, "jiaoyu-head", "POST", path+"/extension", url.Values{"until": {"2026-06-25"}, "reason": {"需要补充调研。"}})
	if p.status != 400 || !strings.Contains(fieldError(p.body, "until"), "已过") || textarea(p.body, "reason") != "需要补充调研。" {
		t.Errorf("a date already past: %d, %q; want 400 beside the date, the reason kept", p.status, fieldError(p.body, "until"))
	}
	// The opinion's deadline (6-30) has passed too: nothing later may be
	// asked for.
	p = e.do(t, "jiaoyu-head", "POST", path+"/extension", url.Values{"until": {"2026-07-15"}, "reason": {"需要补充调研。"}})
	if p.status != 400 || !strings.Contains(fieldError(p.body, "until"), "晚于来文办理期限") {
		t.Errorf("after the opinion's deadline: %d, %q; want 400 beside the date", p.status, fieldError(p.body, "until"))
	}
	cc := cases["C"] // s2: 区妇联, due 2026-07-31; the opinion's deadline 2026-12-31
	path = "/cases/" + cc.ID + "/sections/s2"
	p = e.do(t, "fulian-head", "POST", path+"/extension", url.Values{"until": {"2026-08-31"}, "reason": {" "}})
	if p.status != 400 || !strings.Contains(fieldError(p.body, "reason"), "理由") {
		t.Errorf("no reason: %d, %q; want 400 beside the reason", p.status, fieldError(p.body, "reason"))
	}
	if p := e.do(t, "fulian-head", "POST", path+"/extension", url.Values{"until": {"2026-08-31"}, "reason": {"需要会同街道调研。"}}); p.status != 303 {
		t.Fatalf("a request: %d %s", p.status, p.body)
	}
	if p := e.do(t, "clerk", "GET", path, nil); !strings.Contains(p.body, `id="extension-decide"`) || !strings.Contains(p.body, "需要会同街道调研。") {
		t.Fatalf("the clerk sees no decision form, or not the reason")
	}
	p = e.do(t, "clerk", "POST", path+"/extension/decide", url.Values{"decision": {"refuse"}, "decision_note": {""}})
	if p.status != 400 || fieldError(p.body, "decision_note") == "" {
		t.Errorf("a refusal without a note: %d; want 400 beside the note", p.status)
	}
	if p := e.do(t, "clerk", "POST", path+"/extension/decide", url.Values{"decision": {"grant"}}); p.status != 303 {
		t.Fatalf("the grant: %d %s", p.status, p.body)
	}
	got, _ := e.svc.Store.Case(t.Context(), cc.ID)
	if sec, _ := got.Section("s2"); !sec.Due.Equal(workflow.Day(2026, 8, 31)) || sec.Extension.State != workflow.ExtensionGranted {
		t.Errorf("after the grant: due %s, %+v; want 2026-08-31, granted", sec.Due, sec.Extension)
	}
	if p := e.do(t, "clerk", "GET", "/cases/"+cc.ID+"/audit", nil); !strings.Contains(p.body, "申请延期") || !strings.Contains(p.body, "审批延期申请") {
		t.Errorf("the audit trail lacks the request or the decision")
	}
}

// TestPublishLateOnThePage: dated after the opinion's deadline, the
// publish page asks for the reason beside its field and publishes with it.
func TestPublishLateOnThePage(t *testing.T) { // today is 2026-07-01
	e, _ := ledgerPageEnv(t)
	ctx := t.Context()
	id := func(u string) workflow.Identity {
		a, err := e.svc.Dir.Account(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return a.Identity()
	}
	must := func(c *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	clerk := id("clerk")
	o := &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: "某会〔2026〕8号", Title: "关于某项工作的审议意见", ReplyTo: "区人大常委会",
		Addressee: "区人民政府", Date: workflow.Day(2026, 6, 1), Due: workflow.Day(2026, 7, 10),
		Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "第一项意见。"}}}
	c := must(e.svc.Intake(ctx, clerk, workflow.Source{Name: "late.txt"}, []byte("late"), o))
	c = must(e.svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区妇联", Due: workflow.Day(2026, 7, 5)}}))
	c = must(e.svc.Dispatch(ctx, clerk, c.ID))
	c = must(e.svc.SaveSection(ctx, id("fulian-staff"), c.ID, "s1", 0, "标题", "正文。", ""))
	c = must(e.svc.SubmitSection(ctx, id("fulian-head"), c.ID, "s1", c.Sections[0].Rev))
	c = must(e.svc.AcceptSection(ctx, clerk, c.ID, "s1", c.Sections[0].Rev))
	c = must(e.svc.Compile(ctx, clerk, c.ID))
	c = must(e.svc.StartSignoff(ctx, clerk, c.ID, []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = must(e.svc.Approve(ctx, id(u), c.ID, c.Report.Current.Sum, "同意"))
	}
	path := "/cases/" + c.ID + "/publish"
	if p := e.do(t, "clerk", "GET", path+"?date=2026-07-20", nil); !strings.Contains(p.body, `id="late-field"`) || !strings.Contains(p.body, "逾期 10 天") {
		t.Errorf("the publish page for a late date shows no reason field")
	}
	if p := e.do(t, "clerk", "GET", path+"?date=2026-07-08", nil); strings.Contains(p.body, `id="late-field"`) {
		t.Errorf("the publish page asks a reason of a date within the deadline")
	}
	form := url.Values{"date": {"2026-07-20"}, "openness": {"public"}, "action": {"publish"}}
	p := e.do(t, "clerk", "POST", path, form)
	if p.status != 400 || !strings.Contains(fieldError(p.body, "late"), "请填写逾期原因") {
		t.Errorf("late without a reason: %d, %q; want 400 beside the field", p.status, fieldError(p.body, "late"))
	}
	form.Set("late", "等待年中数据。")
	if p := e.do(t, "clerk", "POST", path, form); p.status != 303 {
		t.Fatalf("late with a reason: %d %s", p.status, p.body)
	}
	got, _ := e.svc.Store.Case(ctx, c.ID)
	if got.Publication == nil || got.Publication.Late != "等待年中数据。" {
		t.Errorf("publication = %+v; want the reason kept", got.Publication)
	}
}
