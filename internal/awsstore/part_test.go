package awsstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
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

// stream is one kind of stream whose changes are written without a
// transaction: a section's, whose head is in the section item, and the
// case's own, whose head is in the record.
type stream struct {
	name string // "" for the case's own
	sk   string // the item holding its head
	// rides: the record is written with the section (a submit), before
	// it.
	rides bool
	// change is a change of the stream alone, made from c as read, with
	// rev set in the item (Section.Rev, Report.Rev) and one event.
	change func(c *workflow.Case, rev int) *workflow.Change
	// tx is a change with an event on the stream and another item, which
	// goes into a transaction.
	tx func(c *workflow.Case, rev int) *workflow.Change
	// bypass sets rev without adding to the stream (a transaction too).
	bypass func(c *workflow.Case, rev int) *workflow.Change
	rev    func(c *workflow.Case) int
	head   func(c *workflow.Case) workflow.StreamHead
}

var streams = []stream{
	{
		name: "s2", sk: sectionSK("s2"),
		change: func(c *workflow.Case, rev int) *workflow.Change { return partChangeOf(c, "s2", rev) },
		tx: func(c *workflow.Case, rev int) *workflow.Change {
			ch := partChangeOf(c, "s2", rev)
			c.Updated = time.Now()
			ch.Record = true
			return ch
		},
		bypass: func(c *workflow.Case, rev int) *workflow.Change {
			x, _ := c.Section("s2")
			x.Rev = rev
			return &workflow.Change{Case: c, Sections: []string{"s2"}}
		},
		rev:  func(c *workflow.Case) int { x, _ := c.Section("s2"); return x.Rev },
		head: func(c *workflow.Case) workflow.StreamHead { x, _ := c.Section("s2"); return x.Head },
	},
	{
		name: "", sk: skCase,
		change: recordChangeOf,
		tx: func(c *workflow.Case, rev int) *workflow.Change {
			ch := recordChangeOf(c, rev)
			x, _ := c.Section("s1")
			x.Rev++
			ch.Sections = []string{"s1"}
			return ch
		},
		bypass: func(c *workflow.Case, rev int) *workflow.Change {
			was := c.Summary()
			c.Report.Rev = rev
			return &workflow.Change{Case: c, Record: true, Was: was}
		},
		rev:  func(c *workflow.Case) int { return c.Report.Rev },
		head: func(c *workflow.Case) workflow.StreamHead { return c.Head },
	},
	{
		name: "s3", sk: sectionSK("s3"), rides: true,
		change: submitChangeOf,
		tx: func(c *workflow.Case, rev int) *workflow.Change {
			ch := submitChangeOf(c, rev)
			x, _ := c.Section("s1")
			x.Rev++
			ch.Sections = append(ch.Sections, "s1")
			return ch
		},
		bypass: func(c *workflow.Case, rev int) *workflow.Change {
			x, _ := c.Section("s3")
			x.Rev = rev
			return &workflow.Change{Case: c, Sections: []string{"s3"}}
		},
		rev:  func(c *workflow.Case) int { x, _ := c.Section("s3"); return x.Rev },
		head: func(c *workflow.Case) workflow.StreamHead { x, _ := c.Section("s3"); return x.Head },
	},
}

// atHead stops the write of a section or a record alone: the second of a
// change of one stream.
func atHead(in *dynamodb.PutItemInput) error {
	if sk := attributeS(in.Item, attrSK); sk == skCase || strings.HasPrefix(sk, sectionSK("")) {
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

// partChangeOf is a part's own change of section sec of c (as read):
// its Rev set to rev and one event on its stream, chained to its head.
func partChangeOf(c *workflow.Case, sec string, rev int) *workflow.Change {
	s, _ := c.Section(sec)
	s.Rev = rev
	e := next(c, &s.Head, sec, rev)
	return &workflow.Change{Case: c, Sections: []string{sec}, Events: []workflow.Event{e}}
}

// submitChangeOf is a change of section s3's stream that writes the
// record too, as a submit does: s3's Rev set to rev and its State to
// Submitted, one event on its stream, and the record (its summary shows
// the part submitted).
func submitChangeOf(c *workflow.Case, rev int) *workflow.Change {
	was := c.Summary()
	ch := partChangeOf(c, "s3", rev)
	x, _ := c.Section("s3")
	x.State = workflow.Submitted
	c.Updated = time.Now()
	ch.Record, ch.Was = true, was
	return ch
}

// recordChangeOf is a change of c's own stream, as an approval is: the
// report's Rev set to rev, one event, the record.
func recordChangeOf(c *workflow.Case, rev int) *workflow.Change {
	was := c.Summary()
	c.Report.Rev = rev
	e := next(c, &c.Head, "", rev)
	return &workflow.Change{Case: c, Record: true, Was: was, Events: []workflow.Event{e}}
}

// next is the next event of a stream whose head is h, which it moves.
func next(c *workflow.Case, h *workflow.StreamHead, stream string, rev int) workflow.Event {
	h.Seq++
	e := workflow.Event{Case: c.ID, Stream: stream, Seq: h.Seq, At: time.Now(), Actor: "fuer1", Name: "王芳",
		Action: "save-section", Detail: fmt.Sprintf("rev %d", rev), Prev: h.Hash, Form: workflow.FormFull}
	e.Hash = workflow.Hash(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d", e.Case, e.Stream, e.Seq, rev))
	h.Hash = e.Hash
	return e
}

// checkStream fails unless the stream is numbered 1..n without gaps, each
// event linked to the one before, and the item holding its head is at its
// newest event, with Rev rev.
func checkStream(t *testing.T, s *Store, id string, st stream, rev int) {
	t.Helper()
	evs, err := s.Events(t.Context(), id, st.name, 0, workflow.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	c := mustRead(t, s, id)
	if got := st.rev(c); got != rev {
		t.Errorf("stream %q: Rev %d; want %d", st.name, got, rev)
	}
	if h := st.head(c); len(evs) == 0 || evs[0].Seq != h.Seq || evs[0].Hash != h.Hash {
		t.Fatalf("stream %q: head %+v; its newest event %+v", st.name, h, evs[0])
	}
	for i, e := range evs {
		if e.Seq != len(evs)-i {
			t.Errorf("event %d of %q numbered %d; want %d", i, st.name, e.Seq, len(evs)-i)
		}
		if i+1 < len(evs) && e.Prev != evs[i+1].Hash {
			t.Errorf("event %d of %q not linked to the one before it", e.Seq, st.name)
		}
	}
}

// eachStream runs test on a fresh case for each kind of stream.
func eachStream(t *testing.T, test func(t *testing.T, db *dynamodb.Client, table string, s *Store, c *workflow.Case, st stream)) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	for i, st := range streams {
		t.Run(fmt.Sprintf("stream=%q", st.name), func(t *testing.T) {
			test(t, db, table, s, partCase(t, s, fmt.Sprintf("c-own-%d", i)), st)
		})
	}
}

// TestOwnChange: a change of one stream — a part's own change, an
// approval — is two plain writes, billed once each, not a transaction; a
// change that stopped between them (its event written, its item not) is
// pending, invisible, and completed by the next reader of the stream.
func TestOwnChange(t *testing.T) {
	eachStream(t, func(t *testing.T, db *dynamodb.Client, table string, s *Store, c *workflow.Case, st stream) {
		var calls []string
		spy := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) { calls = append(calls, attributeS(in.Item, attrSK)) }}, table)
		ch := st.change(c, 10)
		if err := spy.Commit(t.Context(), ch); err != nil {
			t.Fatal(err)
		}
		want := []string{eventSK(st.name, ch.Events[0].Seq), st.sk}
		if st.rides {
			want = []string{want[0], skCase, st.sk}
		}
		if fmt.Sprint(calls) != fmt.Sprint(want) {
			t.Errorf("a change of one stream wrote %v; want %v, in that order", calls, want)
		}
		checkStream(t, s, c.ID, st, 10)

		// Stopped between the two writes.
		stopped := New(&stopDB{dynamoAPI: db, stop: atHead}, table)
		if err := stopped.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 11)); !errors.Is(err, errStopped) {
			t.Fatalf("Commit stopped before its second write = %v; want the error that stopped it", err)
		}
		if got := st.rev(mustRead(t, s, c.ID)); got != 10 {
			t.Errorf("with its change pending the item shows Rev %d; want 10 (as it was)", got)
		}
		// Reading the stream completes it.
		checkStream(t, s, c.ID, st, 11)
	})
}

// TestOwnChangeMet: a change that meets a pending one — a change of one
// stream, or a transaction, made from the item as it was before it —
// fails as a conflict and completes it, so that the change read again
// succeeds.
func TestOwnChangeMet(t *testing.T) {
	eachStream(t, func(t *testing.T, db *dynamodb.Client, table string, s *Store, c *workflow.Case, st stream) {
		stopped := New(&stopDB{dynamoAPI: db, stop: atHead}, table)
		for i, next := range []func(c *workflow.Case, rev int) *workflow.Change{st.change, st.tx} {
			c = mustRead(t, s, c.ID)
			rev := st.rev(c) + 1
			if err := stopped.Commit(t.Context(), st.change(mustRead(t, s, c.ID), rev)); !errors.Is(err, errStopped) {
				t.Fatalf("round %d: stopped Commit = %v", i, err)
			}
			if err := s.Commit(t.Context(), next(c, 50+10*i)); workflow.KindOf(err) != workflow.Conflict {
				t.Fatalf("round %d: a change meeting a pending one = %v; want Conflict", i, err)
			}
			if got := st.rev(mustRead(t, s, c.ID)); got != rev {
				t.Fatalf("round %d: after the conflict Rev is %d; want %d (the pending change completed)", i, got, rev)
			}
			if err := s.Commit(t.Context(), next(mustRead(t, s, c.ID), 50+10*i)); err != nil {
				t.Fatalf("round %d: the change read again = %v", i, err)
			}
		}
		checkStream(t, s, c.ID, st, 60)
	})
}

// TestOwnChangeOvertaken: a pending change whose item another change
// moved meanwhile, without adding to its stream, can no longer be made:
// its event is deleted, and the stream goes on from the event before it.
func TestOwnChangeOvertaken(t *testing.T) {
	eachStream(t, func(t *testing.T, db *dynamodb.Client, table string, s *Store, c *workflow.Case, st stream) {
		stopped := New(&stopDB{dynamoAPI: db, stop: atHead}, table)
		if err := stopped.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 70)); !errors.Is(err, errStopped) {
			t.Fatalf("stopped Commit = %v", err)
		}
		if err := s.Commit(t.Context(), st.bypass(c, 80)); err != nil {
			t.Fatal(err)
		}
		checkStream(t, s, c.ID, st, 80)
		if err := s.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 81)); err != nil {
			t.Fatalf("the next change, numbered as the deleted one was = %v", err)
		}
		checkStream(t, s, c.ID, st, 81)
	})
}

// TestOwnChangeRaces: the writer of a change of one stream finds its item
// written already — by a reader that completed the change first (it
// succeeds), or by a change that overtook it (it fails as a conflict and
// leaves no event) — and a retried event write whose first answer was
// lost finds its own event.
func TestOwnChangeRaces(t *testing.T) {
	eachStream(t, func(t *testing.T, db *dynamodb.Client, table string, s *Store, c *workflow.Case, st stream) {
		completer := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
			if attributeS(in.Item, attrSK) == st.sk {
				s.Events(context.Background(), c.ID, st.name, 0, 1) // completes it first
			}
		}}, table)
		if err := completer.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 20)); err != nil {
			t.Fatalf("a change completed by a reader before its own second write = %v; want nil", err)
		}
		checkStream(t, s, c.ID, st, 20)

		overtaken := false
		overtaker := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
			if attributeS(in.Item, attrSK) == st.sk && !overtaken {
				overtaken = true
				if err := s.Commit(context.Background(), st.bypass(mustRead(t, s, c.ID), 30)); err != nil {
					t.Errorf("overtaking: %v", err)
				}
			}
		}}, table)
		if err := overtaker.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 21)); workflow.KindOf(err) != workflow.Conflict {
			t.Fatalf("an overtaken change = %v; want Conflict", err)
		}
		checkStream(t, s, c.ID, st, 30)

		retrier := New(&stopDB{dynamoAPI: db, before: func(in *dynamodb.PutItemInput) {
			if strings.HasPrefix(attributeS(in.Item, attrSK), "EVENT#") {
				db.PutItem(context.Background(), in) // the first try, whose answer is lost
			}
		}}, table)
		if err := retrier.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 40)); err != nil {
			t.Fatalf("a change whose event write was tried twice = %v; want nil", err)
		}
		checkStream(t, s, c.ID, st, 40)
	})
}

// TestOwnChangeRace: of changes of one stream made at once from the same
// version of its item, exactly one is written; the others are conflicts,
// and the stream stays whole.
func TestOwnChangeRace(t *testing.T) {
	eachStream(t, func(t *testing.T, db *dynamodb.Client, table string, s *Store, c *workflow.Case, st stream) {
		const n = 8
		var (
			won   atomic.Int64
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for i := range n {
			ch := st.change(mustRead(t, s, c.ID), 200+i)
			wg.Go(func() {
				<-start
				switch err := s.Commit(context.Background(), ch); {
				case err == nil:
					won.Add(1)
				case workflow.KindOf(err) != workflow.Conflict:
					t.Errorf("racing change %d = %v; want nil or Conflict", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if w := won.Load(); w != 1 {
			t.Fatalf("%d of %d changes of the same version won; want exactly 1", w, n)
		}
		checkStream(t, s, c.ID, st, st.rev(mustRead(t, s, c.ID)))
		if got := st.rev(mustRead(t, s, c.ID)); got < 200 || got >= 200+n {
			t.Errorf("after the race Rev is %d; want one of the racers'", got)
		}
	})
}

// summaryOf reads the list summary kept with the case's record.
func summaryOf(t *testing.T, s *Store, id string) *workflow.Summary {
	t.Helper()
	item, err := s.item(t.Context(), casePK(id), skCase)
	if err != nil {
		t.Fatal(err)
	}
	var row recordRow
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		t.Fatal(err)
	}
	sum, err := row.summary()
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func partState(sum *workflow.Summary, id string) workflow.SectionState {
	for _, p := range sum.Parts {
		if p.ID == id {
			return p.State
		}
	}
	return ""
}

// TestRidingRecord: a submit writes the record before its section. One
// stopped before either is completed by a reader, record and section; one
// stopped between the two is completed by a reader from the record it
// wrote; one whose section another change moved meanwhile is undone, and
// the record written again with the summary of the case as it is, so the
// list does not show a part submitted that is not.
func TestRidingRecord(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	s := New(db, table)
	st := streams[len(streams)-1]
	if !st.rides {
		t.Fatal("the last kind of stream in streams is not a riding one")
	}
	atSection := New(&stopDB{dynamoAPI: db, stop: func(in *dynamodb.PutItemInput) error {
		if attributeS(in.Item, attrSK) == st.sk {
			return errStopped
		}
		return nil
	}}, table)

	c := partCase(t, s, "c-riding-early")
	stopped := New(&stopDB{dynamoAPI: db, stop: atHead}, table)
	if err := stopped.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 5)); !errors.Is(err, errStopped) {
		t.Fatalf("a submit stopped before its record = %v", err)
	}
	checkStream(t, s, c.ID, st, 5) // completed by the read
	if got := partState(summaryOf(t, s, c.ID), "s3"); got != workflow.Submitted {
		t.Errorf("after the read completed it, the list shows s3 %q; want submitted (the record written too)", got)
	}

	c = partCase(t, s, "c-riding")
	if err := atSection.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 10)); !errors.Is(err, errStopped) {
		t.Fatalf("a submit stopped before its section = %v", err)
	}
	if got := partState(summaryOf(t, s, c.ID), "s3"); got != workflow.Submitted {
		t.Fatalf("after the record was written the list shows s3 %q; want submitted", got)
	}
	checkStream(t, s, c.ID, st, 10) // completed by the read
	if x, _ := mustRead(t, s, c.ID).Section("s3"); x.State != workflow.Submitted {
		t.Errorf("the completed submit left s3 %q", x.State)
	}

	c = partCase(t, s, "c-riding-undone")
	if err := atSection.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 20)); !errors.Is(err, errStopped) {
		t.Fatalf("a submit stopped before its section = %v", err)
	}
	if err := s.Commit(t.Context(), st.bypass(mustRead(t, s, c.ID), 30)); err != nil {
		t.Fatal(err)
	}
	checkStream(t, s, c.ID, st, 30) // the read undoes it
	if got := partState(summaryOf(t, s, c.ID), "s3"); got != workflow.Accepted {
		t.Errorf("after the undone submit the list shows s3 %q; want accepted, as the section is", got)
	}
	if err := s.Commit(t.Context(), st.change(mustRead(t, s, c.ID), 31)); err != nil {
		t.Fatalf("the next submit = %v", err)
	}
	checkStream(t, s, c.ID, st, 31)
}

// TestStoppedSaveVerifies: the service's save, stopped between its two
// writes (the function killed), and the case's audit trail verified
// after: the verify completes the save as it reads the stream, and reads
// the case again rather than report its section behind its stream.
func TestStoppedSaveVerifies(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	st := New(db, table)
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	clock := workflowtest.NewClock(2025, 10, 1)
	blobs := testBlobs(t)
	svc := &workflow.Service{Store: st, Blobs: blobs, Render: stubRender{}, Dir: st, Outbox: st, Now: clock.Now}
	workflowtest.SetUp(t, svc, seed, acc)
	ids := map[string]workflow.Identity{}
	for _, a := range acc {
		ids[a.User] = a.Identity()
	}
	c := workflowtest.SeedLedger(t, svc, clock, ids)["C"] // in drafting; s2 (区妇联) not submitted
	sec, _ := c.Section("s2")
	stopped := &workflow.Service{Store: New(&stopDB{dynamoAPI: db, stop: atHead}, table), Blobs: blobs, Render: stubRender{}, Dir: st, Outbox: st, Now: clock.Now}
	if _, err := stopped.SaveSection(t.Context(), ids["fulian-staff"], c.ID, "s2", sec.Rev, "新的标题", "新的正文。", ""); !errors.Is(err, errStopped) {
		t.Fatalf("SaveSection stopped between its writes = %v", err)
	}
	v, err := svc.Verify(t.Context(), c.ID)
	if err != nil {
		t.Fatalf("Verify after a stopped save = %v", err)
	}
	got, _ := mustRead(t, st, c.ID).Section("s2")
	if got.Current.Heading != "新的标题" || got.Head.Seq != sec.Head.Seq+1 {
		t.Errorf("after the verify s2 is at %q, head %d; want the stopped save completed (head %d)", got.Current.Heading, got.Head.Seq, sec.Head.Seq+1)
	}
	t.Logf("verified %d events", v.Events)
}
