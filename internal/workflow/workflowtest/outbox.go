package workflowtest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docflow/docflow/internal/workflow"
)

// Mailroom is a store that keeps the outbox of its changes, as both of
// docflow's do.
type Mailroom interface {
	workflow.Store
	workflow.Outbox
}

// TestOutbox runs the contract of workflow.Outbox, and of Commit writing
// a change's outbox with it. open returns a fresh, empty store for each
// subtest.
func TestOutbox(t *testing.T, open func(t *testing.T) Mailroom) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Mailroom)
	}{
		{"CommitWritesBatch", testCommitWritesBatch},
		{"BatchOnlyWithChange", testBatchOnlyWithChange},
		{"DuplicateBatch", testDuplicateBatch},
		{"SaveBatchStale", testSaveBatchStale},
		{"ClaimRaceOneWins", testClaimRaceOneWins},
		{"DueBatches", testDueBatches},
		{"BatchesPagingAndState", testBatchesPaging},
		{"Purge", testPurge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t)) })
	}
}

// testBatch is a batch of n messages caused by event e, made at at.
func testBatch(e workflow.Event, at time.Time, n int) *workflow.Batch {
	key := workflow.EventKey(&e)
	b := &workflow.Batch{ID: at.UTC().Format("20060102T150405.000000000Z") + "-" + workflow.Hash([]byte(key))[:12], Case: e.Case, Title: "某会〔2026〕1号", Created: at}
	for i := range n {
		b.Messages = append(b.Messages, workflow.Notification{ID: fmt.Sprintf("m%d-%s", i, e.Stream), Event: key, Kind: workflow.NoteAssigned,
			To: fmt.Sprintf("dept:部门%d", i), ToName: fmt.Sprintf("部门%d", i), Channel: workflow.ByEmail, People: []string{fmt.Sprintf("u%d", i)},
			Subject: "【交办】某会〔2026〕1号《关于某项工作的审议意见》", Text: "请按期办理：一（一）「某项工作」。", Link: "/cases/" + e.Case,
			State: workflow.Pending, Next: at})
	}
	return b
}

func checkBatch(t testing.TB, what string, got *workflow.Batch, want *workflow.Batch) {
	t.Helper()
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", what, diff)
	}
}

func mustBatch(t testing.TB, s Mailroom, id string) *workflow.Batch {
	t.Helper()
	b, err := s.Batch(t.Context(), id)
	if err != nil {
		t.Fatalf("Batch(%s) = %v", id, err)
	}
	return b
}

// commitWithBatch commits a save of section s1 of c with the batch its
// event causes, and returns the batch.
func commitWithBatch(t testing.TB, s Mailroom, c *workflow.Case, at time.Time, n int) *workflow.Batch {
	t.Helper()
	c.Sections[0].Rev++
	e := record(c, "s1", "remind", at)
	b := testBatch(e, at, n)
	if err := s.Commit(t.Context(), &workflow.Change{Case: c, Sections: []string{"s1"}, Events: []workflow.Event{e}, Outbox: b}); err != nil {
		t.Fatalf("Commit with an outbox batch = %v", err)
	}
	return b
}

func testCommitWritesBatch(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox")
	mustCreate(t, s, c, evs)
	at := time.Date(2026, 3, 2, 9, 0, 0, 123456789, workflow.Zone)
	b := commitWithBatch(t, s, c, at, 3)
	if b.V != 1 {
		t.Errorf("batch version after Commit = %d; want 1", b.V)
	}
	checkBatch(t, "Batch after Commit", mustBatch(t, s, b.ID), b)
	p, err := s.Batches(t.Context(), workflow.OutboxQuery{})
	if err != nil || len(p.Batches) != 1 {
		t.Fatalf("Batches = %d batches, %v; want the one committed", len(p.Batches), err)
	}
	checkBatch(t, "Batches[0]", &p.Batches[0], b)
	_, err = s.Batch(t.Context(), "20000101T000000.000000000Z-000000000000")
	wantKind(t, "Batch of an ID never written", err, workflow.NotFound)
}

// testBatchOnlyWithChange: a change refused is refused with its messages;
// nobody is told of what did not happen.
func testBatchOnlyWithChange(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-stale")
	mustCreate(t, s, c, evs)
	stale := clone(c)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	commitWithBatch(t, s, c, at, 1)
	stale.Sections[0].Rev++
	e := record(stale, "s1", "remind", at.Add(time.Minute))
	b := testBatch(e, at.Add(time.Minute), 2)
	err := s.Commit(t.Context(), &workflow.Change{Case: stale, Sections: []string{"s1"}, Events: []workflow.Event{e}, Outbox: b})
	wantKind(t, "Commit of a stale section with messages", err, workflow.Conflict)
	_, err = s.Batch(t.Context(), b.ID)
	wantKind(t, "Batch of the refused change", err, workflow.NotFound)
	p, _ := s.Batches(t.Context(), workflow.OutboxQuery{})
	if len(p.Batches) != 1 {
		t.Errorf("Batches after a refused change = %d; want 1", len(p.Batches))
	}
}

// testDuplicateBatch: the same batch written again (a retried commit of
// the same events) is refused whole and leaves the first as it was,
// delivery state and all.
func testDuplicateBatch(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-dup")
	mustCreate(t, s, c, evs)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	b := commitWithBatch(t, s, c, at, 2)
	b.Messages[0].State, b.Messages[0].Sent = workflow.Sent, at.Add(time.Second)
	if err := s.SaveBatch(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	again := testBatch(workflow.Event{Case: c.ID, Stream: "s1", Seq: 99}, at, 2)
	again.ID = b.ID
	c.Sections[0].Rev++
	e := record(c, "s1", "remind", at)
	before := mustCase(t, s, c.ID)
	err := s.Commit(t.Context(), &workflow.Change{Case: c, Sections: []string{"s1"}, Events: []workflow.Event{e}, Outbox: again})
	wantKind(t, "Commit of a batch already stored", err, workflow.Conflict)
	checkBatch(t, "Batch after the duplicate", mustBatch(t, s, b.ID), b)
	if after := mustCase(t, s, c.ID); after.Sections[0].V != before.Sections[0].V {
		t.Errorf("the refused commit wrote its section: V %d → %d", before.Sections[0].V, after.Sections[0].V)
	}
}

func testSaveBatchStale(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-save")
	mustCreate(t, s, c, evs)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	b := commitWithBatch(t, s, c, at, 2)
	stale := clone(*b)
	b.Claim(at, time.Minute)
	if err := s.SaveBatch(t.Context(), b); err != nil || b.V != 2 {
		t.Fatalf("SaveBatch = %v, version %d; want nil, 2", err, b.V)
	}
	stale.Messages[1].State = workflow.Failed
	err := s.SaveBatch(t.Context(), &stale)
	wantKind(t, "SaveBatch from a stale version", err, workflow.Conflict)
	checkBatch(t, "Batch after a stale save", mustBatch(t, s, b.ID), b)
	missing := clone(*b)
	missing.ID = "20000101T000000.000000000Z-000000000000"
	wantKind(t, "SaveBatch of a batch never written", s.SaveBatch(t.Context(), &missing), workflow.Conflict, workflow.NotFound)
}

// testClaimRaceOneWins: senders claiming the same batch at once — two
// processes, or two invocations of the scheduled function — and exactly
// one of them gets it.
func testClaimRaceOneWins(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-race")
	mustCreate(t, s, c, evs)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	b := commitWithBatch(t, s, c, at, 2)
	const n = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := clone(*b)
			mine.Claim(at, time.Minute)
			err := s.SaveBatch(t.Context(), &mine)
			switch workflow.KindOf(err) {
			case workflow.Conflict:
			case workflow.Other:
				if err == nil {
					wins.Add(1)
					return
				}
				fallthrough
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of %d senders claimed the batch; want exactly 1", wins.Load(), n)
	}
	got := mustBatch(t, s, b.ID)
	if got.Messages[0].Tries != 1 || got.Messages[0].State != workflow.Sending {
		t.Errorf("claimed message: state %s, tries %d; want sending, 1", got.Messages[0].State, got.Messages[0].Tries)
	}
}

func testDueBatches(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-due")
	mustCreate(t, s, c, evs)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	var bs []*workflow.Batch
	for i := range 4 {
		bs = append(bs, commitWithBatch(t, s, c, t0.Add(time.Duration(i)*time.Minute), 1))
	}
	// 0: sent; 1: retried in an hour; 2 and 3 due now.
	bs[0].Claim(t0, time.Minute)
	bs[0].Done(bs[0].Messages[0].ID, t0, nil, false)
	bs[1].Messages[0].Next = t0.Add(time.Hour)
	for _, b := range bs[:2] {
		if err := s.SaveBatch(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(bs []workflow.Batch) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return out
	}
	now := t0.Add(10 * time.Minute)
	due, err := s.DueBatches(t.Context(), now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{bs[2].ID, bs[3].ID}; !cmp.Equal(ids(due), want) {
		t.Errorf("DueBatches at +10m = %v; want %v (the earliest first; not the sent one, not the one waiting)", ids(due), want)
	}
	if due, _ := s.DueBatches(t.Context(), now, 1); len(due) != 1 || due[0].ID != bs[2].ID {
		t.Errorf("DueBatches limit 1 = %v; want [%s]", ids(due), bs[2].ID)
	}
	due, _ = s.DueBatches(t.Context(), t0.Add(2*time.Hour), 10)
	if want := []string{bs[2].ID, bs[3].ID, bs[1].ID}; !cmp.Equal(ids(due), want) {
		t.Errorf("DueBatches at +2h = %v; want %v", ids(due), want)
	}
}

func testBatchesPaging(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-page")
	mustCreate(t, s, c, evs)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	var want []string
	failed := map[string]bool{}
	for i := range 7 {
		b := commitWithBatch(t, s, c, t0.Add(time.Duration(i)*time.Second), 2)
		if i%3 == 0 {
			b.Messages[1].State, b.Messages[1].Error = workflow.Failed, "SMTP 550"
			if err := s.SaveBatch(t.Context(), b); err != nil {
				t.Fatal(err)
			}
			failed[b.ID] = true
		}
		want = append([]string{b.ID}, want...)
	}
	for _, q := range []workflow.OutboxQuery{{Limit: 3}, {Limit: 2, State: workflow.Failed}} {
		var got []string
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("%+v: the cursor never ends", q)
			}
			p, err := s.Batches(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Batches) > q.Limit {
				t.Errorf("%+v: a page of %d", q, len(p.Batches))
			}
			for _, b := range p.Batches {
				got = append(got, b.ID)
			}
			if q.Cursor = p.Next; q.Cursor == "" {
				break
			}
		}
		exp := want
		if q.State != "" {
			exp = nil
			for _, id := range want {
				if failed[id] {
					exp = append(exp, id)
				}
			}
		}
		if !cmp.Equal(got, exp) {
			t.Errorf("Batches %v, page by page = %v; want %v (newest first)", q.State, got, exp)
		}
	}
	_, err := s.Batches(t.Context(), workflow.OutboxQuery{Cursor: "!!not a cursor"})
	wantKind(t, "Batches with a bad cursor", err, workflow.Invalid)
}

func testPurge(t *testing.T, s Mailroom) {
	c, evs := NewCase("c-outbox-purge")
	mustCreate(t, s, c, evs)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, workflow.Zone)
	old := commitWithBatch(t, s, c, t0, 1)        // sent: purged
	oldPending := commitWithBatch(t, s, c, t0, 1) // still to send: kept
	recent := commitWithBatch(t, s, c, t0.AddDate(0, 0, 100), 1)
	old.Claim(t0, time.Minute)
	old.Done(old.Messages[0].ID, t0, nil, false)
	if err := s.SaveBatch(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	recent.Claim(t0, time.Minute)
	recent.Done(recent.Messages[0].ID, t0, nil, false)
	if err := s.SaveBatch(t.Context(), recent); err != nil {
		t.Fatal(err)
	}
	n, err := s.PurgeBatches(t.Context(), t0.AddDate(0, 0, 90), 10)
	if err != nil || n != 1 {
		t.Fatalf("PurgeBatches = %d, %v; want 1 (the old batch all sent)", n, err)
	}
	_, err = s.Batch(t.Context(), old.ID)
	wantKind(t, "Batch purged", err, workflow.NotFound)
	mustBatch(t, s, oldPending.ID)
	mustBatch(t, s, recent.ID)
	if n, err := s.PurgeBatches(t.Context(), t0.AddDate(0, 0, 90), 10); n != 0 || err != nil {
		t.Errorf("PurgeBatches again = %d, %v; want 0, nil", n, err)
	}
}
