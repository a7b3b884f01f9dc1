package workflowtest

import (
	"context"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// TestUpgradedV1 checks a store just upgraded from the data of docflow 1
// that internal/localstore/testdata/v1 holds (a published case, one in
// drafting with a returned section, one in signing with an approval and a
// return) — as a data directory, or as the table items beside it in
// internal/awsstore/testdata — with blobs holding that directory's drafts.
// Nothing may be lost: every case reads, every audit trail verifies, the
// history of the old records is there, and the unfinished case goes on to
// publication with the next number.
func TestUpgradedV1(t *testing.T, s Stores, b workflow.Blobs) {
	ctx := context.Background()
	seed, err := templates.Office(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := &workflow.Service{Store: s, Blobs: b, Dir: s, Render: stubRender{}}
	SetUp(t, svc, seed, acc)
	who := func(u string) workflow.Identity {
		a, err := s.Account(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return a.Identity()
	}
	member := func(dept string, r workflow.Role) workflow.Identity {
		m, err := svc.Members(ctx, dept, r)
		if err != nil || len(m) == 0 {
			t.Fatalf("Members(%s, %s) = %v, %v", dept, r, m, err)
		}
		return m[0].Identity()
	}

	p, err := s.Cases(ctx, workflow.Query{})
	if err != nil || len(p.Cases) != 3 {
		t.Fatalf("Cases after the upgrade = %d, %v; want the 3 cases of testdata/v1", len(p.Cases), err)
	}
	for _, sum := range p.Cases {
		v, err := svc.Verify(ctx, sum.ID)
		if err != nil {
			t.Errorf("Verify(%s) after the upgrade: %v", sum.ID, err)
		}
		if v.Events == 0 {
			t.Errorf("Verify(%s) read no events", sum.ID)
		}
	}
	published, err := svc.Case(ctx, who("clerk"), "c53f3b51cc737")
	if err != nil || published.Publication.Number() != "静府议〔2025〕17号" || len(published.Sections) != 13 {
		t.Fatalf("the published case after the upgrade: %v, %+v", err, published)
	}
	if _, b, err := svc.File(ctx, workflow.Anonymous, published.ID, "notice.html"); err != nil || len(b) == 0 {
		t.Errorf("its notice.html: %v", err)
	}
	// The old history is in the new streams: every version of a section,
	// and the report's with its approvals.
	hist, err := svc.History(ctx, who("clerk"), published.ID, "s1", 0, 50)
	var versions []int
	for _, e := range hist {
		if e.Version != nil {
			versions = append(versions, e.Version.N)
		}
	}
	if err != nil || len(versions) == 0 || versions[0] != published.Sections[0].Current.N {
		t.Errorf("versions in History(s1) of the published case = %v, %v; want them all, newest (%d) first", versions, err, published.Sections[0].Current.N)
	}
	if _, text, err := svc.Recorded(ctx, who("clerk"), published.ID, "s1", published.Sections[0].Current.Seq); err != nil || text == "" {
		t.Errorf("the current text of s1 by its event: %q, %v", text, err)
	}

	// The case in drafting goes on: its returned section is saved again,
	// submitted, accepted, and the report compiled, signed and published.
	c, err := svc.Case(ctx, who("clerk"), "c87c9f92639e9")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := c.Section("s2")
	if s2.State != workflow.Returned || s2.Returned == nil || s2.Returned.Text != "请补充数据" {
		t.Fatalf("s2 after the upgrade = %s, %+v; want returned with its comment", s2.State, s2.Returned)
	}
	staff, head := member(s2.Lead, workflow.Staff), member(s2.Lead, workflow.Head)
	must := func(got *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Records from before attachments existed have none, and take them.
	if len(s2.Attachments) != 0 || c.Report != nil && len(c.Report.Attachments) != 0 {
		t.Fatalf("an upgraded case has attachments: %+v", s2.Attachments)
	}
	pdf := []byte("%PDF-1.4\n% an attachment of an upgraded case\n%%EOF\n")
	c = must(svc.AttachToSection(ctx, staff, c.ID, "s2", "补充数据.pdf", pdf))
	c = must(svc.SaveSection(ctx, staff, c.ID, "s2", s2.Rev, s2.Current.Heading, "补充了数据。", "按退回意见修改"))
	s2, _ = c.Section("s2")
	if len(s2.Attachments) != 1 || s2.Attachments[0].Name != "补充数据.pdf" {
		t.Errorf("s2's attachments after attaching = %+v", s2.Attachments)
	}
	c = must(svc.SubmitSection(ctx, head, c.ID, "s2", s2.Rev))
	s2, _ = c.Section("s2")
	c = must(svc.AcceptSection(ctx, who("clerk"), c.ID, "s2", s2.Rev))
	c = must(svc.Compile(ctx, who("clerk"), c.ID))
	c = must(svc.AttachToReport(ctx, who("clerk"), c.ID, "补充数据.pdf", pdf))
	c = must(svc.StartSignoff(ctx, who("clerk"), c.ID, nil))
	for c.Stage == workflow.Signing {
		st := c.Chain[c.CurrentStep()]
		c = must(svc.Approve(ctx, who(st.Pending(c.Report.Current.Sum)[0]), c.ID, c.Report.Current.Sum, "同意"))
	}
	c = must(svc.Publish(ctx, who("clerk"), c.ID, workflow.Day(2026, 1, 5)))
	if got := c.Publication.Number(); got != "静府议〔2026〕1号" {
		t.Errorf("the upgraded case published as %q; want 静府议〔2026〕1号", got)
	}
	if _, err := svc.Verify(ctx, c.ID); err != nil {
		t.Errorf("Verify after going on: %v", err)
	}
	if a, b, err := svc.PublishedAttachment(ctx, workflow.Anonymous, c.ID, 1); err != nil || string(b) != string(pdf) || a.Name != "补充数据.pdf" {
		t.Errorf("the published notice's 附件1: %+v, %q, %v", a, b, err)
	}
	if _, _, err := svc.Check(ctx, c.ID); err != nil {
		t.Errorf("Check after publishing with an attachment: %v", err)
	}

	// The cases' 来文字号 are registered by the upgrade (localstore's
	// migration, awsstore.Upgrade): the published case's opinion uploaded
	// again as another file is refused, naming it.
	for _, sum := range p.Cases {
		if holder, err := s.Registered(ctx, workflow.NumberKey(sum.Number)); err != nil || holder != sum.ID {
			t.Errorf("Registered(%s) after the upgrade = %q, %v; want %s", sum.Number, holder, err, sum.ID)
		}
	}
	again := published.Opinion
	again.Number = "静会[2025]57号" // as another file writes it
	held, err := svc.Intake(ctx, who("clerk"), workflow.Source{Name: "again.md"}, []byte("another file of the same opinion"), &again)
	if workflow.KindOf(err) != workflow.Conflict || held == nil || held.ID != published.ID || !strings.Contains(workflow.Message(err), published.ID) {
		t.Errorf("intake of the published opinion again after the upgrade: %v; want a Conflict naming %s and that case", err, published.ID)
	}
}
