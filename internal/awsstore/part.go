package awsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

// A change of one stream writes the item that holds the stream's head and
// adds one event to the stream, and perhaps a batch of messages (written
// ahead: see ahead) and entries of the case's lists, nothing else: a
// part's own change — a draft saved, a co-handler's input, a part
// accepted — writes its section; a change of the case's own stream — an
// approval, a compile — writes the record; and a submit writes its section
// with the record riding (see rides), for the list summary. Such changes
// are most of a case's (70 of the fixture's 77), and a transaction bills
// each of their items twice. So they are written in plain conditional
// writes, billed once each:
//
//  1. the event, on condition that it does not exist yet, with what the
//     change writes: the section (zs, deflated with the event) and the
//     record (rz, deflated against the record as read; see ownRow), and
//     the version the head's item takes (v). This is where the change is
//     decided: a stream has one event of each number, and the stream's
//     next number is in the item, so of the changes made from one version
//     of the item only one gets past here;
//  2. the record, if it rides, on condition that it is at the version
//     read;
//  3. the item, on condition that it is still at the version read.
//
// A change that stops between them — a crash, a lost connection — leaves
// its event ahead of its item: pending. Whoever meets it next settles it:
// a change of the stream whose event is refused by it, a transaction
// cancelled on it, a read of the stream's newest events, a sender reading
// the batch written ahead of it. If the items are still at the versions
// the change was made from, they are written as the event says (the
// record's summary computed again from the case), and the change is
// complete as if it had never stopped. If another change moved one
// meanwhile (one that writes it without adding to its stream, as a submit
// writes the record), the pending change can no longer be made; it was
// never acknowledged: its event is deleted, conditioned on being that
// event, and a record that rode with it is written again with the summary
// of the case as it is. Until it is settled, reads of the stream leave it
// out, and the case shows its items as they were.
//
// The embedded store writes every change in one SQLite transaction, and
// the contract tests (workflowtest.TestStore) hold both to the same
// semantics.

// ownRow is the event item of a change of one stream.
type ownRow struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
	V  int    `dynamodbav:"v"`  // the version the item takes with the change
	ZS []byte `dynamodbav:"zs"` // ownChange, deflated (see encode)
	// RZ is the record as the change leaves it, when it writes the
	// record: its JSON deflated with the record as read for a dictionary
	// (see encodeAgainst). A change alters a record of one or two
	// kilobytes by a few fields, which so take a few dozen bytes: the
	// event of an approval fits in a kilobyte. It can be read back only
	// while the record is still as read — which is when it is needed.
	RZ []byte `dynamodbav:"rz,omitempty"`
}

// ownChange is what a change of one stream writes: its event and the item
// holding the stream's head as the change leaves it — a section, or the
// case's record with its summary.
type ownChange struct {
	Event   *workflow.Event   `json:"e"`
	Section *workflow.Section `json:"s,omitempty"`
	// Record is kept in the event item apart (ownRow.RZ), Summary not at
	// all (it would take the event of a submit past a kilobyte): settling
	// reads the one back (unpack) and computes the other again from the
	// case (summarize).
	Record  *workflow.Record  `json:"-"`
	Summary *workflow.Summary `json:"-"`
	// WithRecord says that the change writes the record, and RecordAt is
	// the record's Updated as the change leaves it, which tells the
	// record it wrote from another's (the service sets it on every change
	// that writes the record, to the nanosecond).
	WithRecord bool      `json:"rec,omitempty"`
	RecordAt   time.Time `json:"ra,omitzero"`
	// RecordV is the version the record was read at when it rides with a
	// section (a submit: see rides).
	RecordV int `json:"rv,omitempty"`
}

// rides reports whether the record rides with the section: written first,
// on condition that it is at RecordV, and the section, whose stream the
// event is on, last. The section is what completes the change.
func (o *ownChange) rides() bool { return o.Section != nil && o.WithRecord }

// rider is the record item as the change leaves it, when it rides.
func (o *ownChange) rider(op, pk string) (map[string]types.AttributeValue, error) {
	row, err := recordItem(op, *o.Record, o.Summary, o.RecordV+1)
	if err != nil {
		return nil, err
	}
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return nil, internal(op, err)
	}
	return item, nil
}

// head is the item's sort key and the attribute that holds its version.
func (o *ownChange) head() (sk, attr string) {
	if o.Section != nil {
		return sectionSK(o.Section.ID), "v"
	}
	return skCase, "version"
}

// item is the item as the change leaves it, at version v.
func (o *ownChange) item(op, pk string, v int) (map[string]types.AttributeValue, error) {
	var row any
	if o.Section != nil {
		z, err := encode(op, "部分记录", o.Section)
		if err != nil {
			return nil, err
		}
		row = dataRow{PK: pk, SK: sectionSK(o.Section.ID), V: v, Z: z}
	} else {
		rec, err := recordItem(op, *o.Record, o.Summary, v)
		if err != nil {
			return nil, err
		}
		row = rec
	}
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return nil, internal(op, err)
	}
	return item, nil
}

// own returns ch as a change of one stream, given the transaction built
// for it, and the version read of the item holding the stream's head: a
// part's own change (one section, one event on its stream), a change of
// the case's own stream that writes nothing but the record, or a section
// with the record riding (rides). Each may have a batch, written ahead,
// and entries of the case's lists to add (written before it) or to drop
// (after it, and not if it is completed by another: lists read past such
// an entry), and its deadline entry moved (see index.later).
func own(ch *workflow.Change, w writes, idx index) (*ownChange, int, bool) {
	c := ch.Case
	if ch.Opinion || ch.Frame || ch.Also != nil || len(ch.Claims) > 0 || len(ch.Drop) > 0 || len(ch.Events) != 1 ||
		ch.Record && c.Version == 0 {
		return nil, 0, false
	}
	e := &ch.Events[0]
	o := &ownChange{Event: e}
	if ch.Record {
		rec, sum := c.Record, c.Summary()
		rec.Version = 0 // the attribute holds it
		o.Record, o.Summary, o.WithRecord, o.RecordAt = &rec, &sum, true, rec.Updated
	}
	switch {
	case len(ch.Sections) == 0 && ch.Record && e.Stream == "" && len(w) == 2:
		return o, c.Version, true
	case len(ch.Sections) == 1 && e.Stream == ch.Sections[0] && len(w) == 2+btoi(ch.Record) && !planned(ch):
		sec, ok := c.Section(e.Stream)
		if !ok {
			return nil, 0, false
		}
		after := *sec
		after.V = 0 // the attribute holds it
		o.Section = &after
		if ch.Record {
			o.RecordV = c.Version
		}
		return o, sec.V, true
	}
	return nil, 0, false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// commitOwn writes a change of one stream, read at version v of the item
// holding its head, as the comment above describes.
func (s *Store) commitOwn(ctx context.Context, op string, ch *workflow.Change, o *ownChange, v int, idx index) error {
	c, e := ch.Case, o.Event
	if c.ID == "" {
		return workflow.Errorf(op, workflow.Invalid, "案件编号为空")
	}
	if e.Case != c.ID || e.Seq <= 0 {
		return workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（案件 %q 第 %d 条）", e.Case, e.Seq)
	}
	conflict := fmt.Sprintf("案件 %s 已被他人修改，请刷新后重试", c.ID)
	zs, err := encode(op, "审计记录", o)
	if err != nil {
		return err
	}
	pk, esk := casePK(c.ID), eventSK(e.Stream, e.Seq)
	row := ownRow{PK: pk, SK: esk, V: v + 1, ZS: zs}
	if o.WithRecord {
		// The record as read is the dictionary of the record in the event:
		// read again, it also says early, before anything is written,
		// whether another change moved it.
		base, err := s.item(ctx, pk, skCase)
		if err != nil {
			return s.fail(op, err, conflict)
		}
		if bv, _, err := headOf(base, "version"); err != nil || bv != c.Version {
			if err != nil {
				return internal(op, err)
			}
			return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: conflict,
				Err: fmt.Errorf("the record of %s is at version %d, not %d as read", c.ID, bv, c.Version)}
		}
		if row.RZ, err = encodeAgainst(op, o.Record, attributeB(base, "z")); err != nil {
			return err
		}
	}
	head, err := o.item(op, pk, v+1)
	if err != nil {
		return err
	}
	ev, err := attributevalue.MarshalMap(row)
	if err != nil {
		return internal(op, err)
	}
	if _, err := s.before(ctx, op, idx); err != nil { // a change of one stream is never of a new case
		return err
	}
	if err := s.ahead(ctx, op, ch); err != nil {
		return err
	}
	// failed is a change that certainly failed: its batch goes too.
	failed := func(err error) error {
		if aheadOf(ch) {
			s.dropAhead(ctx, ch.Outbox)
		}
		return s.fail(op, err, conflict)
	}
	err = s.putIf(ctx, ev, "attribute_not_exists(PK)", nil, nil)
	if err != nil {
		if !conditionFailed(err) {
			return s.fail(op, err, conflict)
		}
		// The event is there: another change's, or this one's, written by
		// a try whose answer was lost (the SDK retries).
		item, gerr := s.item(ctx, pk, esk)
		if gerr != nil {
			return s.fail(op, gerr, conflict)
		}
		if !bytes.Equal(attributeB(item, "zs"), zs) {
			if item != nil {
				s.settle(ctx, item) // so that a retry finds the item as it is
			}
			return failed(err)
		}
	}
	sk, attr := o.head()
	// settled ends a change whose second or third write failed on its
	// condition: settled by someone else already, or made impossible by a
	// change that moved an item; settle says which. The event read again
	// after it must still be this one: one that was deleted and replaced
	// by another change's is not.
	settled := func(err error) error {
		stands, serr := s.settle(ctx, ev)
		if serr != nil {
			return s.fail(op, serr, conflict)
		}
		if stands {
			now, gerr := s.item(ctx, pk, esk)
			stands = gerr == nil && bytes.Equal(attributeB(now, "zs"), zs)
		}
		if !stands {
			return failed(fmt.Errorf("%s of %s: %w", sk, pk, err))
		}
		applied(ch)
		return s.after(ctx, op, idx)
	}
	if o.rides() {
		rec, err := o.rider(op, pk)
		if err != nil {
			return err
		}
		err = s.putAt(ctx, rec, "version", o.RecordV)
		if err != nil {
			if !conditionFailed(err) {
				return s.fail(op, err, conflict) // pending: settled by whoever meets it
			}
			return settled(err)
		}
	}
	err = s.putAt(ctx, head, attr, v)
	if err != nil {
		if !conditionFailed(err) {
			return s.fail(op, err, conflict) // pending: settled by whoever meets it
		}
		return settled(err)
	}
	applied(ch)
	return s.after(ctx, op, idx)
}

// settle finishes the change of one stream whose event item is given, if
// it is pending (see above), and reports whether the event stands: true
// if its change is complete, false if it was, or is now, deleted. An event
// written in a transaction always stands.
func (s *Store) settle(ctx context.Context, item map[string]types.AttributeValue) (bool, error) {
	const op = "awsstore.settle"
	var row ownRow
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return false, internal(op, err)
	}
	if row.ZS == nil {
		return true, nil
	}
	var o ownChange
	if err := decode(row.ZS, &o); err != nil || o.Event == nil || o.Section == nil && !o.WithRecord || o.WithRecord && row.RZ == nil {
		return false, internal(op, fmt.Errorf("decode %s of %s: %v", row.SK, row.PK, err))
	}
	sk, attr := o.head()
	// Two rounds at most: an item written under this one by another
	// settler is read again once.
	for range 2 {
		cur, err := s.item(ctx, row.PK, sk)
		if err != nil {
			return false, err
		}
		v, head, err := headOf(cur, attr)
		if err != nil {
			return false, internal(op, fmt.Errorf("%s of %s: %w", sk, row.PK, err))
		}
		if v >= row.V && (head.Seq > o.Event.Seq || head.Seq == o.Event.Seq && head.Hash == o.Event.Hash) {
			// Complete: the stream is at the event or past it, which it
			// can only have passed through this event.
			return true, nil
		}
		if v == row.V-1 {
			rode := true
			if o.rides() {
				if rode, err = s.ride(ctx, op, row.PK, &o, row.RZ); err != nil {
					return false, err
				}
			}
			if rode {
				if o.Section == nil { // the record is the head, read as the change found it
					if err := o.unpack(row.RZ, cur); err != nil {
						return false, internal(op, fmt.Errorf("%s of %s: %w", row.SK, row.PK, err))
					}
				}
				if err := s.summarize(ctx, &o); err != nil {
					return false, err
				}
				put, err := o.item(op, row.PK, row.V)
				if err != nil {
					return false, err
				}
				err = s.putAt(ctx, put, attr, v)
				if err == nil {
					return true, nil
				}
				if !conditionFailed(err) {
					return false, internal(op, err)
				}
				continue
			}
		}
		// An item moved on without it: the change cannot be made. A record
		// that rode with it is written again with the summary of the case
		// as it is, then the event is deleted.
		if o.rides() {
			if err := s.unride(ctx, op, row.PK, &o); err != nil {
				return false, err
			}
		}
		err = s.deleteIf(ctx, key(row.PK, row.SK), "zs = :zs", nil, map[string]types.AttributeValue{":zs": &types.AttributeValueMemberB{Value: row.ZS}})
		if err != nil && !conditionFailed(err) {
			return false, internal(op, err)
		}
		return false, nil
	}
	return false, internal(op, fmt.Errorf("%s of %s: %s kept moving while its pending change was settled", row.SK, row.PK, sk))
}

// ride makes sure the record that rides with a pending change (rides) is
// written as the change leaves it (rz: see ownRow): it writes it if the
// record is still at the version read, and reports false if another
// change moved it.
func (s *Store) ride(ctx context.Context, op, pk string, o *ownChange, rz []byte) (bool, error) {
	v, ours, cur, err := s.rode(ctx, pk, o)
	switch {
	case err != nil:
		return false, internal(op, fmt.Errorf("record of %s: %w", pk, err))
	case v == o.RecordV+1:
		return ours, nil
	case v != o.RecordV || cur == nil:
		return false, nil
	}
	if o.Record == nil {
		if err := o.unpack(rz, cur); err != nil {
			return false, internal(op, fmt.Errorf("record of %s: %w", pk, err))
		}
	}
	if err := s.summarize(ctx, o); err != nil {
		return false, err
	}
	want, err := o.rider(op, pk)
	if err != nil {
		return false, err
	}
	err = s.putAt(ctx, want, "version", o.RecordV)
	if err == nil {
		return true, nil
	}
	if conditionFailed(err) {
		return s.ride(ctx, op, pk, o, rz) // written meanwhile, by another settler or another change
	}
	return false, internal(op, err)
}

// rode reads the case's record and returns its version, whether it is the
// record as the change o left it (the version after the one read, with the
// change's time) and the item.
func (s *Store) rode(ctx context.Context, pk string, o *ownChange) (int, bool, map[string]types.AttributeValue, error) {
	cur, err := s.item(ctx, pk, skCase)
	if err != nil || cur == nil {
		return 0, false, nil, err
	}
	var rec workflow.Record
	if err := decodeRecord(cur, &rec); err != nil {
		return 0, false, nil, err
	}
	return rec.Version, rec.Version == o.RecordV+1 && rec.Updated.Equal(o.RecordAt), cur, nil
}

// unpack reads the record of the change back from rz, given the record
// item as the change read it: the dictionary rz was made with.
func (o *ownChange) unpack(rz []byte, base map[string]types.AttributeValue) error {
	var rec workflow.Record
	if err := decodeAgainst(rz, attributeB(base, "z"), &rec); err != nil {
		return err
	}
	o.Record = &rec
	return nil
}

// encodeAgainst is encode with the inflated base (the z of an item, see
// encode) for a dictionary.
func encodeAgainst(op string, v any, base []byte) ([]byte, error) {
	dict, err := inflate(base, nil)
	if err != nil {
		return nil, internal(op, fmt.Errorf("the record read: %w", err))
	}
	return encodeDict(op, "案件记录", v, dict)
}

// decodeAgainst reads what encodeAgainst wrote, given the same base.
func decodeAgainst(z, base []byte, v any) error {
	dict, err := inflate(base, nil)
	if err != nil {
		return fmt.Errorf("the record read: %w", err)
	}
	return decodeDict(z, dict, v)
}

// summarize sets the summary of a change read back from its event: the
// summary of the case as it is, with the change's record and section.
func (s *Store) summarize(ctx context.Context, o *ownChange) error {
	if o.Summary != nil || o.Record == nil {
		return nil
	}
	c, err := s.Case(ctx, o.Event.Case)
	if err != nil {
		return err
	}
	c.Record = *o.Record
	if o.Section != nil {
		for i := range c.Sections {
			if c.Sections[i].ID == o.Section.ID {
				c.Sections[i] = *o.Section
			}
		}
	}
	sum := c.Summary()
	o.Summary = &sum
	return nil
}

// unride undoes the record that rode with a change that cannot be made,
// if the record is still as that change left it: it is written again with
// the summary of the case as it is (the section without the change).
func (s *Store) unride(ctx context.Context, op, pk string, o *ownChange) error {
	if v, ours, _, err := s.rode(ctx, pk, o); err != nil || v != o.RecordV+1 || !ours {
		return err // not the change's record: another change wrote it from the case as it was
	}
	c, err := s.Case(ctx, o.Event.Case)
	if err != nil {
		return err
	}
	sum := c.Summary()
	row, err := recordItem(op, c.Record, &sum, o.RecordV+2)
	if err != nil {
		return err
	}
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return internal(op, err)
	}
	err = s.putAt(ctx, item, "version", o.RecordV+1)
	if err != nil && !conditionFailed(err) {
		return internal(op, err)
	}
	return nil
}

// headOf reads the version (the attribute attr) and the stream head of a
// section or record item; zero for none.
func headOf(item map[string]types.AttributeValue, attr string) (int, workflow.StreamHead, error) {
	if item == nil {
		return 0, workflow.StreamHead{}, nil
	}
	if attr == "version" {
		var rec workflow.Record
		if err := decodeRecord(item, &rec); err != nil {
			return 0, workflow.StreamHead{}, err
		}
		return rec.Version, rec.Head, nil
	}
	var row dataRow
	var sec workflow.Section
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return 0, workflow.StreamHead{}, err
	}
	if err := row.decode(&sec); err != nil {
		return 0, workflow.StreamHead{}, err
	}
	return row.V, sec.Head, nil
}

// settleCanceled settles the events a cancelled transaction found in its
// way, so that the change read again after the conflict finds its
// sections as they are. It is best effort: what it leaves, the next
// reader settles.
func (s *Store) settleCanceled(ctx context.Context, w writes, err error) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return
	}
	for i, r := range tce.CancellationReasons {
		if i >= len(w) || w[i].Put == nil || aws.ToString(r.Code) != "ConditionalCheckFailed" {
			continue
		}
		pk, sk := attributeS(w[i].Put.Item, attrPK), attributeS(w[i].Put.Item, attrSK)
		if len(sk) < len("EVENT#") || sk[:len("EVENT#")] != "EVENT#" {
			continue
		}
		if item, err := s.item(ctx, pk, sk); err == nil && item != nil {
			s.settle(ctx, item)
		}
	}
}
