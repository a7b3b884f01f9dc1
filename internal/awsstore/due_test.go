package awsstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
)

// dueCase is a case in drafting with two parts, due on d1 and d2, before
// the case's own deadline d3.
func dueCase(t *testing.T, s *Store, id string, d1, d2, d3 time.Time) *workflow.Case {
	t.Helper()
	c := &workflow.Case{Record: workflow.Record{ID: id, Stage: workflow.Drafting, Created: time.Now()},
		Opinion: workflow.Opinion{Number: "某会〔2026〕" + id, Title: "审议意见", Due: d3},
		Sections: []workflow.Section{
			{ID: "s1", Level: 1, Lead: "区民政局", Due: d1, State: workflow.Open},
			{ID: "s2", Level: 1, Lead: "区卫健委", Due: d2, State: workflow.Open},
		}}
	if err := s.Commit(t.Context(), &workflow.Change{Case: c, Record: true, Opinion: true, Sections: []string{"s1", "s2"}}); err != nil {
		t.Fatal(err)
	}
	return mustRead(t, s, id)
}

// setState is a change of part sec's state, which moves the case's next
// deadline, as a submit or a return does: the part, one event on its
// stream, and the record (its summary).
func setState(c *workflow.Case, sec string, st workflow.SectionState) *workflow.Change {
	was := c.Summary()
	x, _ := c.Section(sec)
	ch := partChangeOf(c, sec, x.Rev+1)
	x.State = st
	c.Updated = time.Now()
	ch.Record, ch.Was = true, was
	return ch
}

// entryDue reads the day of the case's deadline entry ("" if none).
func entryDue(t *testing.T, s *Store, id string) string {
	t.Helper()
	item, err := s.item(t.Context(), casePK(id), skDue)
	if err != nil {
		t.Fatal(err)
	}
	if item == nil {
		return ""
	}
	return attributeS(item, attrGSI3SK)[:10]
}

// overdue reports whether the overdue list of day lists case id.
func overdue(t *testing.T, s *Store, id string, day time.Time) bool {
	t.Helper()
	p, err := s.Cases(t.Context(), workflow.Query{Overdue: true, Today: day})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Cases {
		if c.ID == id {
			return true
		}
	}
	return false
}

// TestDeadlineEntryOutside: a deadline entry that moves is written outside
// the change, so that it never holds a later deadline than its record:
// moved earlier, before the change; later, after it, on condition that it
// is still the entry the change found. Tried: a new case's (before), a
// submit moving it later, one stopped before its entry was written (the
// entry stays earlier, and the overdue list still tells the truth), and a
// return that moves it back to where it was while the submit's later write
// is still on its way (that write must not land).
func TestDeadlineEntryOutside(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	d1, d2, d3 := workflow.Day(2026, 3, 1), workflow.Day(2026, 4, 1), workflow.Day(2026, 5, 1)
	day := func(d time.Time) string { return d.Format("2006-01-02") }

	c := dueCase(t, s, "c-due", d1, d2, d3)
	if got := entryDue(t, s, c.ID); got != day(d1) {
		t.Fatalf("a new case's entry is due %s; want %s", got, day(d1))
	}
	if err := s.Commit(t.Context(), setState(c, "s1", workflow.Submitted)); err != nil {
		t.Fatal(err)
	}
	if got := entryDue(t, s, c.ID); got != day(d2) {
		t.Fatalf("after s1 was submitted the entry is due %s; want %s", got, day(d2))
	}

	// Stopped before the entry moved later: it stays earlier than the
	// record's deadline, which the overdue list goes by.
	stopped := New(&stopDB{dynamoAPI: db, stop: func(in *dynamodb.PutItemInput) error {
		if attributeS(in.Item, attrSK) == skDue {
			return errStopped
		}
		return nil
	}}, table)
	if err := stopped.Commit(t.Context(), setState(mustRead(t, s, c.ID), "s2", workflow.Submitted)); !errors.Is(err, errStopped) {
		t.Fatalf("a submit stopped before its deadline entry = %v", err)
	}
	if got := entryDue(t, s, c.ID); got != day(d2) {
		t.Errorf("the entry of the stopped submit is due %s; want %s (where it was)", got, day(d2))
	}
	for _, tc := range []struct {
		today time.Time
		want  bool
	}{{d2.AddDate(0, 0, 1), false}, {d3.AddDate(0, 0, 1), true}} {
		if got := overdue(t, s, c.ID, tc.today); got != tc.want {
			t.Errorf("overdue on %s: listed %v; want %v (the case is due %s)", day(tc.today), got, tc.want, day(d3))
		}
	}

	// A return moves the deadline back while a submit's later write is
	// on its way: that write finds the entry written for a later version
	// of the record, and leaves it.
	c = dueCase(t, s, "c-due-aba", d1, d2, d3)
	returned := false
	slow := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
		if attributeS(in.Item, attrSK) != skDue || returned {
			return
		}
		returned = true
		if err := s.Commit(context.Background(), setState(mustRead(t, s, c.ID), "s1", workflow.Returned)); err != nil {
			t.Errorf("the return: %v", err)
		}
	}}, table)
	if err := slow.Commit(t.Context(), setState(c, "s1", workflow.Submitted)); err != nil {
		t.Fatal(err)
	}
	if !returned {
		t.Fatal("the submit wrote no deadline entry after it")
	}
	if got := entryDue(t, s, c.ID); got != day(d1) {
		t.Errorf("after the return the entry is due %s; want %s, as the record is (%v)", got, day(d1), fmt.Sprint(mustRead(t, s, c.ID).Summary().NextDue))
	}
}

// TestNewCaseRefused: a new case's opinion and deadline entry are written
// before its transaction; when the transaction is refused — its 来文字号
// held by another case — they are deleted, and a case with the same ID
// as one stored is refused before anything of it is written.
func TestNewCaseRefused(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	d := workflow.Day(2026, 5, 1)
	newCase := func(id string) *workflow.Case {
		return &workflow.Case{Record: workflow.Record{ID: id, Stage: workflow.Assigning, Created: time.Now()},
			Opinion: workflow.Opinion{Number: "某会〔2026〕9号", Title: "审议意见 " + id, Due: d}}
	}
	create := func(c *workflow.Case) error {
		return s.Commit(t.Context(), &workflow.Change{Case: c, Record: true, Opinion: true,
			Claims: []workflow.Claim{{Key: "某会〔2026〕9号", To: c.ID}}})
	}
	if err := create(newCase("c-first")); err != nil {
		t.Fatal(err)
	}
	err := create(newCase("c-second"))
	if !errors.Is(err, workflow.ErrNumberTaken) {
		t.Fatalf("a second case with the same 来文字号 = %v; want ErrNumberTaken", err)
	}
	for _, sk := range []string{skOpinion, skDue} {
		if item, err := s.item(t.Context(), casePK("c-second"), sk); err != nil || item != nil {
			t.Errorf("the refused case left its %s item (%v)", sk, err)
		}
	}
	again := newCase("c-first")
	again.Opinion.Title = "another opinion"
	if err := s.Commit(t.Context(), &workflow.Change{Case: again, Record: true, Opinion: true}); workflow.KindOf(err) != workflow.Conflict {
		t.Fatalf("a new case with a stored case's ID = %v; want Conflict", err)
	}
	if c := mustRead(t, s, "c-first"); c.Opinion.Title != "审议意见 c-first" || entryDue(t, s, "c-first") != "2026-05-01" {
		t.Errorf("a refused case with its ID changed the stored one: title %q, entry due %q", c.Opinion.Title, entryDue(t, s, "c-first"))
	}

	// A write before the transaction tried twice, its first answer lost,
	// finds its own item.
	retrier := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
		if attributeS(in.Item, attrSK) == skOpinion {
			db.PutItem(context.Background(), in)
		}
	}}, s.table)
	c := newCase("c-third")
	c.Opinion.Number = "某会〔2026〕10号"
	if err := retrier.Commit(t.Context(), &workflow.Change{Case: c, Record: true, Opinion: true}); err != nil {
		t.Fatalf("a new case whose opinion write was tried twice = %v; want nil", err)
	}
	if got := mustRead(t, s, "c-third").Opinion.Number; got != "某会〔2026〕10号" {
		t.Errorf("the case written has the opinion %q", got)
	}
}
