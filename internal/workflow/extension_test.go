package workflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// TestExtensionRequested: the lead department's head asks for more time
// with a reason; what cannot be granted is refused with what to do; the
// clerk's grant moves the due date (and the list summary), a refusal
// needs a reason; both are in the audit trail.
func TestExtensionRequested(t *testing.T) {
	svc, ids, cases := ledgerEnv(t) // today is 2026-07-01
	ctx := context.Background()
	c := cases["C"] // s2: 区妇联, due 2026-07-31; the opinion's deadline 2026-12-31
	ask := func(user string, y, m, d int, reason string) error {
		_, err := svc.RequestExtension(ctx, ids[user], c.ID, "s2", workflow.Day(y, time.Month(m), d), reason)
		return err
	}
	refusals := []struct {
		name, user string
		y, m, d    int
		reason     string
		kind       workflow.Kind
		phrase     string
	}{
		{"staff, not the head", "fulian-staff", 2026, 8, 31, "需要调研。", workflow.Forbidden, "负责人"},
		{"another department", "minzheng-head", 2026, 8, 31, "需要调研。", workflow.Forbidden, "区妇联 主办"},
		{"not later", "fulian-head", 2026, 7, 31, "需要调研。", workflow.Invalid, "无需申请"},
		{"after the opinion's deadline", "fulian-head", 2027, 1, 5, "需要调研。", workflow.Invalid, "晚于来文办理期限"},
		{"no reason", "fulian-head", 2026, 8, 31, "  ", workflow.Invalid, "说明申请延期的理由"},
		{"reason too long", "fulian-head", 2026, 8, 31, strings.Repeat("因", workflow.MaxExtensionReason+1), workflow.Invalid, "过长"},
	}
	for _, r := range refusals {
		if err := ask(r.user, r.y, r.m, r.d, r.reason); workflow.KindOf(err) != r.kind || !strings.Contains(workflow.Message(err), r.phrase) {
			t.Errorf("%s: %v; want %v saying %q", r.name, err, r.kind, r.phrase)
		}
	}
	if err := ask("fulian-head", 2026, 8, 31, "需要会同街道开展调研。"); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Store.Case(ctx, c.ID)
	sec, _ := got.Section("s2")
	if sec.Extension == nil || sec.Extension.State != workflow.ExtensionPending || !sec.Due.Equal(workflow.Day(2026, 7, 31)) {
		t.Fatalf("after the request: %+v, due %s; want pending, due unchanged", sec.Extension, sec.Due)
	}
	if _, err := svc.DecideExtension(ctx, ids["clerk"], c.ID, "s2", false, ""); workflow.KindOf(err) != workflow.Invalid {
		t.Errorf("a refusal without a reason: %v; want Invalid", err)
	}
	if _, err := svc.DecideExtension(ctx, ids["fulian-head"], c.ID, "s2", true, ""); workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("the department grants itself: %v; want Forbidden", err)
	}
	got, err := svc.DecideExtension(ctx, ids["clerk"], c.ID, "s2", true, "同意。")
	if err != nil {
		t.Fatal(err)
	}
	sec, _ = got.Section("s2")
	if sec.Extension.State != workflow.ExtensionGranted || !sec.Due.Equal(workflow.Day(2026, 8, 31)) || sec.Extension.Decider == "" {
		t.Errorf("after the grant: %+v, due %s; want granted, due 2026-08-31", sec.Extension, sec.Due)
	}
	p, _ := svc.Cases(ctx, ids["clerk"], workflow.Query{Year: 2026, Limit: 10})
	for _, s := range p.Cases {
		if s.ID == c.ID && !s.Parts[1].Due.Equal(workflow.Day(2026, 8, 31)) {
			t.Errorf("the list summary keeps the old due date %s", s.Parts[1].Due)
		}
	}
	if _, err := svc.DecideExtension(ctx, ids["clerk"], c.ID, "s2", true, ""); workflow.KindOf(err) != workflow.Invalid {
		t.Errorf("deciding twice: %v; want Invalid (nothing pending)", err)
	}
	evs, _ := svc.Store.Events(ctx, c.ID, "s2", 0, 2)
	if len(evs) != 2 || evs[0].Action != string(workflow.ActDecideExtension) || evs[1].Action != string(workflow.ActExtend) || evs[1].Extension.Reason != "需要会同街道开展调研。" {
		t.Errorf("s2's newest events = %+v; want the request and the grant, with the reason", evs)
	}
	// The office is told of the request, the department of the grant.
	out, err := svc.OutboxPage(ctx, ids["clerk"], workflow.OutboxQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	told := map[string]string{}
	for _, b := range out.Batches {
		for _, m := range b.Messages {
			if m.Kind == workflow.NoteExtension {
				told[m.ToName] = m.Text
			}
		}
	}
	if !strings.Contains(told["区妇联"], "同意") || !strings.Contains(told["区妇联"], "2026年8月31日") || len(told) != 2 {
		t.Errorf("messages about the extension = %q; want one to the office and the grant to 区妇联", told)
	}
	if _, err := svc.Verify(ctx, c.ID); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// TestPublishingLateNeedsAReason: a notice dated after the opinion's
// deadline is refused without a reason (nothing numbered), and published
// with one, which the publication and the audit trail keep.
func TestPublishingLateNeedsAReason(t *testing.T) {
	svc, ids, _ := ledgerEnv(t) // today is 2026-07-01
	ctx := context.Background()
	clerk := ids["clerk"]
	must := func(c *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	o := &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: "某会〔2026〕8号", Title: "关于某项工作的审议意见", ReplyTo: "区人大常委会",
		Addressee: "区人民政府", Date: workflow.Day(2026, 6, 1), Due: workflow.Day(2026, 7, 10),
		Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "第一项意见。"}}}
	c := must(svc.Intake(ctx, clerk, workflow.Source{Name: "late.txt"}, []byte("late"), o))
	c = must(svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区妇联", Due: workflow.Day(2026, 7, 5)}}))
	c = must(svc.Dispatch(ctx, clerk, c.ID))
	c = must(svc.SaveSection(ctx, ids["fulian-staff"], c.ID, "s1", 0, "标题", "正文。", ""))
	c = must(svc.SubmitSection(ctx, ids["fulian-head"], c.ID, "s1", c.Sections[0].Rev))
	c = must(svc.AcceptSection(ctx, clerk, c.ID, "s1", c.Sections[0].Rev))
	c = must(svc.Compile(ctx, clerk, c.ID))
	c = must(svc.StartSignoff(ctx, clerk, c.ID, []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = must(svc.Approve(ctx, ids[u], c.ID, c.Report.Current.Sum, "同意"))
	}
	date := workflow.Day(2026, 7, 20)
	_, err := svc.PublishWith(ctx, clerk, c.ID, workflow.Publishing{Date: date})
	if workflow.KindOf(err) != workflow.Invalid || !strings.Contains(workflow.Message(err), "逾期 10 天") {
		t.Fatalf("publishing 10 days late without a reason: %v; want Invalid saying so", err)
	}
	if n, _ := svc.Store.Counter(ctx, "静府议", 2026); n != 1 {
		// Case A took number 1; the refusal took none.
		t.Errorf("counter after the refusal = %d; want 1 (A's)", n)
	}
	c = must(svc.PublishWith(ctx, clerk, c.ID, workflow.Publishing{Date: date, Late: "  等待区统计局年中数据。 "}))
	if c.Publication.Late != "等待区统计局年中数据。" {
		t.Errorf("publication's reason = %q", c.Publication.Late)
	}
	evs, _ := svc.Store.Events(ctx, c.ID, "", 0, 3)
	found := false
	for _, e := range evs {
		found = found || e.Action == string(workflow.ActNumber) && strings.Contains(e.Detail, "晚于来文办理期限 10 天发布，原因：等待区统计局年中数据。")
	}
	if !found {
		t.Errorf("no numbering event with the reason among %+v", evs)
	}
}
