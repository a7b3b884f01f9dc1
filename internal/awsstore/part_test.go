package awsstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// stopDB passes every call through to DynamoDB, except that a PutItem
// for which stop returns an error fails with it, unsent — as when a
// function stops between the two writes of a part's change. before, if
// set, runs first, for what another writer does meanwhile.
type stopDB struct {
	dynamoAPI
	stop   func(in *dynamodb.PutItemInput) error
	before func(in *dynamodb.PutItemInput)
}

func (d *stopDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if d.before != nil {
		d.before(in)
	}
	if d.stop != nil {
		if err := d.stop(in); err != nil {
			return nil, err
		}
	}
	return d.dynamoAPI.PutItem(ctx, in, o...)
}

var errStopped = errors.New("stopped between the two writes")

// atSection stops the write of a section: the second of a part's change.
func atSection(in *dynamodb.PutItemInput) error {
	if strings.HasPrefix(attributeS(in.Item, attrSK), sectionSK("")) {
		return errStopped
	}
	return nil
}

// partCase stores workflowtest.NewCase and returns it as read back.
func partCase(t *testing.T, s *Store, id string) *workflow.Case {
	t.Helper()
	c, evs := workflowtest.NewCase(id)
	ch := &workflow.Change{Case: c, Record: true, Opinion: true, Frame: true, Events: evs}
	for _, sec := range c.Sections {
		ch.Sections = append(ch.Sections, sec.ID)
	}
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	return mustRead(t, s, id)
}

func mustRead(t *testing.T, s *Store, id string) *workflow.Case {
	t.Helper()
	c, err := s.Case(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// partChangeOf is a part's own change of section sec of c (as read): its
// Rev set to rev and one event on its stream, chained to the stream's
// head.
func partChangeOf(c *workflow.Case, sec string, rev int) *workflow.Change {
	s, _ := c.Section(sec)
	s.Rev = rev
	s.Head.Seq++
	e := workflow.Event{Case: c.ID, Stream: sec, Seq: s.Head.Seq, At: time.Now(), Actor: "fuer1", Name: "王芳",
		Action: "save-section", Detail: fmt.Sprintf("rev %d", rev), Prev: s.Head.Hash, Form: workflow.FormFull}
	e.Hash = workflow.Hash(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d", e.Case, e.Stream, e.Seq, rev))
	s.Head.Hash = e.Hash
	return &workflow.Change{Case: c, Sections: []string{sec}, Events: []workflow.Event{e}}
}

// checkStream fails unless the section's stream is numbered 1..n without
// gaps, each event linked to the one before, and the section's head is
// its newest event with Rev rev.
func checkStream(t *testing.T, s *Store, id, sec string, rev int) {
	t.Helper()
	evs, err := s.Events(t.Context(), id, sec, 0, workflow.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	c := mustRead(t, s, id)
	x, _ := c.Section(sec)
	if x.Rev != rev {
		t.Errorf("section %s at Rev %d; want %d", sec, x.Rev, rev)
	}
	if len(evs) == 0 || evs[0].Seq != x.Head.Seq || evs[0].Hash != x.Head.Hash {
		t.Fatalf("section %s's head %+v; its newest event %+v", sec, x.Head, evs[0])
	}
	for i, e := range evs {
		if e.Seq != len(evs)-i {
			t.Errorf("event %d of %s numbered %d; want %d", i, sec, e.Seq, len(evs)-i)
		}
		if i+1 < len(evs) && e.Prev != evs[i+1].Hash {
			t.Errorf("event %d of %s not linked to the one before it", e.Seq, sec)
		}
	}
}

// TestPartChange: a part's own change is two plain writes, billed once
// each, not a transaction; a change that stopped between them (its event
// written, its section not) is pending, invisible, and completed by the
// next reader of the stream.
func TestPartChange(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	c := partCase(t, s, "c-part")
	var calls []string
	spy := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) { calls = append(calls, attributeS(in.Item, attrSK)) }}, table)
	if err := spy.Commit(t.Context(), partChangeOf(c, "s2", 10)); err != nil {
		t.Fatal(err)
	}
	if want := []string{eventSK("s2", 2), sectionSK("s2")}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("a part's change wrote %v; want %v, in that order", calls, want)
	}
	checkStream(t, s, c.ID, "s2", 10)

	// Stopped between the two writes.
	c = mustRead(t, s, c.ID)
	stopped := New(&stopDB{dynamoAPI: db, stop: atSection}, table)
	if err := stopped.Commit(t.Context(), partChangeOf(c, "s2", 11)); !errors.Is(err, errStopped) {
		t.Fatalf("Commit stopped before its section = %v; want the error that stopped it", err)
	}
	if x, _ := mustRead(t, s, c.ID).Section("s2"); x.Rev != 10 {
		t.Errorf("with its change pending the section shows Rev %d; want 10 (as it was)", x.Rev)
	}
	// Reading the stream completes it.
	checkStream(t, s, c.ID, "s2", 11)
}

// TestPartChangeMet: a change that meets a pending one — a part's change
// or a transaction, made from the section as it was before it — fails as
// a conflict and completes it, so that the change read again succeeds.
func TestPartChangeMet(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	stopped := New(&stopDB{dynamoAPI: db, stop: atSection}, table)
	c := partCase(t, s, "c-met")
	for i, next := range []func(c *workflow.Case) *workflow.Change{
		func(c *workflow.Case) *workflow.Change { return partChangeOf(c, "s2", 50) },
		func(c *workflow.Case) *workflow.Change { // a transaction: the record too
			ch := partChangeOf(c, "s2", 60)
			c.Updated = time.Now()
			ch.Record, ch.Was = true, c.Summary()
			return ch
		},
	} {
		c = mustRead(t, s, c.ID)
		x, _ := c.Section("s2")
		rev := x.Rev + 1
		if err := stopped.Commit(t.Context(), partChangeOf(mustRead(t, s, c.ID), "s2", rev)); !errors.Is(err, errStopped) {
			t.Fatalf("round %d: stopped Commit = %v", i, err)
		}
		if err := s.Commit(t.Context(), next(c)); workflow.KindOf(err) != workflow.Conflict {
			t.Fatalf("round %d: a change meeting a pending one = %v; want Conflict", i, err)
		}
		if x, _ := mustRead(t, s, c.ID).Section("s2"); x.Rev != rev {
			t.Fatalf("round %d: after the conflict the section is at Rev %d; want %d (the pending change completed)", i, x.Rev, rev)
		}
		if err := s.Commit(t.Context(), next(mustRead(t, s, c.ID))); err != nil {
			t.Fatalf("round %d: the change read again = %v", i, err)
		}
	}
	checkStream(t, s, c.ID, "s2", 60)
}

// TestPartChangeOvertaken: a pending change whose section another change
// moved meanwhile, without adding to its stream, can no longer be made:
// its event is deleted, and the stream goes on from the event before it.
func TestPartChangeOvertaken(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	c := partCase(t, s, "c-overtaken")
	stopped := New(&stopDB{dynamoAPI: db, stop: atSection}, table)
	if err := stopped.Commit(t.Context(), partChangeOf(mustRead(t, s, c.ID), "s2", 70)); !errors.Is(err, errStopped) {
		t.Fatalf("stopped Commit = %v", err)
	}
	x, _ := c.Section("s2")
	x.Rev = 80 // a change of the section with no event on its stream
	if err := s.Commit(t.Context(), &workflow.Change{Case: c, Sections: []string{"s2"}}); err != nil {
		t.Fatal(err)
	}
	checkStream(t, s, c.ID, "s2", 80)
	if err := s.Commit(t.Context(), partChangeOf(mustRead(t, s, c.ID), "s2", 81)); err != nil {
		t.Fatalf("the next change, numbered as the deleted one was = %v", err)
	}
	checkStream(t, s, c.ID, "s2", 81)
}

// TestPartChangeRaces: the writer of a part's change finds its section
// written already — by a reader that completed the change first (it
// succeeds), or by a change that overtook it (it fails as a conflict and
// leaves no event) — and a retried event write whose first answer was
// lost finds its own event.
func TestPartChangeRaces(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	c := partCase(t, s, "c-races")

	completer := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
		if strings.HasPrefix(attributeS(in.Item, attrSK), sectionSK("")) {
			s.Events(context.Background(), c.ID, "s2", 0, 1) // completes it first
		}
	}}, table)
	if err := completer.Commit(t.Context(), partChangeOf(mustRead(t, s, c.ID), "s2", 20)); err != nil {
		t.Fatalf("a change completed by a reader before its own second write = %v; want nil", err)
	}
	checkStream(t, s, c.ID, "s2", 20)

	overtaken := false
	overtaker := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
		if attributeS(in.Item, attrSK) == sectionSK("s2") && !overtaken {
			overtaken = true
			d := mustRead(t, s, c.ID)
			x, _ := d.Section("s2")
			x.Rev = 30
			if err := s.Commit(context.Background(), &workflow.Change{Case: d, Sections: []string{"s2"}}); err != nil {
				t.Errorf("overtaking: %v", err)
			}
		}
	}}, table)
	if err := overtaker.Commit(t.Context(), partChangeOf(mustRead(t, s, c.ID), "s2", 21)); workflow.KindOf(err) != workflow.Conflict {
		t.Fatalf("an overtaken change = %v; want Conflict", err)
	}
	checkStream(t, s, c.ID, "s2", 30)

	retrier := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
		if strings.HasPrefix(attributeS(in.Item, attrSK), "EVENT#") {
			db.PutItem(context.Background(), in) // the first try, whose answer is lost
		}
	}}, table)
	if err := retrier.Commit(t.Context(), partChangeOf(mustRead(t, s, c.ID), "s2", 40)); err != nil {
		t.Fatalf("a change whose event write was tried twice = %v; want nil", err)
	}
	checkStream(t, s, c.ID, "s2", 40)
}
