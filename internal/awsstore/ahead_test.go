package awsstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
)

// dueBatch is a batch of one email due at once, made at created.
func dueBatch(c *workflow.Case, id string, created time.Time) *workflow.Batch {
	return &workflow.Batch{ID: created.UTC().Format(dueLayout) + "-" + id, Case: c.ID, Title: c.Opinion.Number, Created: created,
		Messages: []workflow.Notification{{ID: id, Event: c.ID + "/1", Kind: "approved", To: "dept:区民政局", ToName: "区民政局",
			Channel: "email", People: []string{"minzheng1"}, Subject: "审核通过", Text: "请查看", State: workflow.Pending, Next: created}}}
}

// sent reports which of the batches a sender would send now, and whether
// each is listed and can be read on its own.
func sent(t *testing.T, s *Store, ids ...string) (due, listed, found []bool) {
	t.Helper()
	dues, err := s.DueBatches(t.Context(), time.Now().Add(time.Minute), workflow.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Batches(t.Context(), workflow.OutboxQuery{Limit: workflow.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		due = append(due, hasBatch(dues, id))
		listed = append(listed, hasBatch(page.Batches, id))
		_, err := s.Batch(t.Context(), id)
		if err != nil && workflow.KindOf(err) != workflow.NotFound {
			t.Fatal(err)
		}
		found = append(found, err == nil)
	}
	return due, listed, found
}

func hasBatch(bs []workflow.Batch, id string) bool {
	for _, b := range bs {
		if b.ID == id {
			return true
		}
	}
	return false
}

// stored reports whether the batch's item is in the table at all.
func stored(t *testing.T, s *Store, id string) bool {
	t.Helper()
	item, err := s.item(t.Context(), pkOutbox, batchSK(id))
	if err != nil {
		t.Fatal(err)
	}
	return item != nil
}

// TestBatchAhead: a change's batch is written before the change, outside
// its transaction, and is sent, listed or read only once the change's
// event stands. Tried: a change that commits (both kinds of write), one
// that fails as a conflict, one that stopped before its event (young, then
// past aheadGrace), one pending (its event written, its item not), and one
// pending and overtaken.
func TestBatchAhead(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	stopped := New(&stopDB{dynamoAPI: db, stop: atHead}, table)
	beforeEvent := New(&stopDB{dynamoAPI: db, stop: func(in *dynamodb.PutItemInput) error {
		if strings.HasPrefix(attributeS(in.Item, attrSK), "EVENT#") {
			return errStopped
		}
		return nil
	}}, table)
	c := partCase(t, s, "c-ahead")
	var olds []*workflow.Case // read before every change below
	for range streams {
		olds = append(olds, mustRead(t, s, c.ID))
	}
	now := time.Now()
	check := func(what, id string, want bool) {
		t.Helper()
		due, listed, found := sent(t, s, id)
		if due[0] != want || listed[0] != want || found[0] != want {
			t.Errorf("%s: its batch due %v, listed %v, found %v; want %v", what, due[0], listed[0], found[0], want)
		}
	}

	// Committed: a change of one stream, and a transaction.
	ch := recordChangeOf(mustRead(t, s, c.ID), 100)
	ch.Outbox = dueBatch(c, "own", now)
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	check("an approval", ch.Outbox.ID, true)
	ch = streams[0].tx(mustRead(t, s, c.ID), 101)
	ch.Outbox = dueBatch(c, "tx", now)
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	check("a submit", ch.Outbox.ID, true)

	// A conflict: the batch goes with the change.
	for i, st := range streams {
		stale := st.change(olds[i], 102)
		if st.name != "" {
			stale = st.tx(olds[i], 102)
		}
		stale.Outbox = dueBatch(c, "conflict"+st.name, now)
		if err := s.Commit(t.Context(), stale); workflow.KindOf(err) != workflow.Conflict {
			t.Fatalf("a stale change = %v; want Conflict", err)
		}
		if stored(t, s, stale.Outbox.ID) { // before a read deletes it
			t.Errorf("the batch of a change refused is still stored")
		}
		check("a change refused", stale.Outbox.ID, false)
	}

	// Stopped before its event: not sent while it may still come, deleted
	// once it cannot.
	for _, age := range []time.Duration{0, aheadGrace + time.Minute} {
		ch := recordChangeOf(mustRead(t, s, c.ID), 103)
		ch.Outbox = dueBatch(c, "lost"+age.String(), now.Add(-age))
		if err := beforeEvent.Commit(t.Context(), ch); !errors.Is(err, errStopped) {
			t.Fatalf("Commit stopped before its event = %v", err)
		}
		check("a change stopped before its event", ch.Outbox.ID, false)
		if want := age == 0; stored(t, s, ch.Outbox.ID) != want {
			t.Errorf("a batch %v old whose change stopped before its event: stored %v; want %v", age, !want, want)
		}
	}

	// Pending: the sender completes the change and sends its batch.
	ch = recordChangeOf(mustRead(t, s, c.ID), 104)
	ch.Outbox = dueBatch(c, "pending", now)
	if err := stopped.Commit(t.Context(), ch); !errors.Is(err, errStopped) {
		t.Fatalf("Commit stopped before its record = %v", err)
	}
	if due, _, _ := sent(t, s, ch.Outbox.ID); !due[0] {
		t.Errorf("the batch of a pending change is not due")
	}
	if got := mustRead(t, s, c.ID).Report.Rev; got != 104 {
		t.Errorf("after the sender read its batch, the pending change is at Rev %d; want 104 (completed)", got)
	}

	// Pending and overtaken: never sent.
	ch = recordChangeOf(mustRead(t, s, c.ID), 105)
	ch.Outbox = dueBatch(c, "overtaken", now)
	if err := stopped.Commit(t.Context(), ch); !errors.Is(err, errStopped) {
		t.Fatalf("Commit stopped before its record = %v", err)
	}
	if err := s.Commit(t.Context(), streams[1].bypass(mustRead(t, s, c.ID), 106)); err != nil {
		t.Fatal(err)
	}
	check("an overtaken change", ch.Outbox.ID, false)
	if stored(t, s, ch.Outbox.ID) {
		t.Errorf("the batch of an overtaken change is still stored")
	}
	checkStream(t, s, c.ID, streams[1], 106)
}
