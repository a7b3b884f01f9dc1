package workflow_test

import (
	"context"
	"slices"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// recordingStore keeps the changes committed through it.
type recordingStore struct {
	workflow.Store
	changes []workflow.Change
}

func (s *recordingStore) Commit(ctx context.Context, ch *workflow.Change) error {
	s.changes = append(s.changes, *ch)
	return s.Store.Commit(ctx, ch)
}

// last returns the last change committed, failing the test if none was.
func (s *recordingStore) last(tb testing.TB) workflow.Change {
	tb.Helper()
	if len(s.changes) == 0 {
		tb.Fatal("no change committed")
	}
	return s.changes[len(s.changes)-1]
}

// TestAcceptWritesItsSectionAlone: accepting a part changes nothing a
// list shows (PartDue.State), so it writes its section and event and not
// the case's record, which on DynamoDB costs as much again.
func TestAcceptWritesItsSectionAlone(t *testing.T) {
	e := newEnv(t)
	rs := &recordingStore{Store: e.svc.Store}
	e.svc.Store = rs
	c := e.opened(t, 1)
	sec := c.Sections[0]
	staff, head := e.deptUser(sec.Lead, "staff"), e.deptUser(sec.Lead, "head")
	c = e.ok(e.svc.SaveSection(e.ctx, staff, c.ID, sec.ID, 0, "标题", "正文。", ""))
	c = e.ok(e.svc.SubmitSection(e.ctx, head, c.ID, sec.ID, c.Sections[0].Rev))
	c = e.ok(e.svc.AcceptSection(e.ctx, e.id("clerk"), c.ID, sec.ID, c.Sections[0].Rev))
	ch := rs.last(t)
	if ch.Record || !slices.Equal(ch.Sections, []string{sec.ID}) || len(ch.Events) != 1 {
		t.Fatalf("accept writes record %v, sections %v, %d events; want its section and one event alone", ch.Record, ch.Sections, len(ch.Events))
	}
	got := must(e.svc.Store.Case(e.ctx, c.ID))
	if s, _ := got.Section(sec.ID); s.State != workflow.Accepted {
		t.Fatalf("section stored as %s; want accepted", s.State)
	}
	if p := got.Summary().Parts[0]; p.State != workflow.Submitted {
		t.Fatalf("summary shows the accepted part as %s; want submitted while drafting (PartDue.State)", p.State)
	}
	// A part returned after acceptance is with its department again: the
	// record is written, and the list shows it.
	c = e.ok(e.svc.ReturnSection(e.ctx, e.id("clerk"), c.ID, sec.ID, c.Sections[0].Rev, "请补充数据"))
	if ch := rs.last(t); !ch.Record {
		t.Fatal("returning an accepted part leaves the record (and the list) alone")
	}
	if p := c.Summary().Parts[0]; p.State != workflow.Returned {
		t.Fatalf("summary shows the returned part as %s", p.State)
	}
}
