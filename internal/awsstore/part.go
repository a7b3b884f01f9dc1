package awsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

// A part's own change — a draft saved, a co-handler's input, a part
// accepted — writes one section and adds one event to that section's
// stream, nothing else. Such changes are most of a case's (42 of the
// fixture's 77), and a transaction bills each of their two items twice.
// So they are written in two plain conditional writes, billed once each:
//
//  1. the event, on condition that it does not exist yet, with the section
//     as the change leaves it (zs: both in one deflated stream, which fits
//     in a kilobyte where the two apart take one each) and the version the
//     section takes (v). This is where the change is decided: a stream has
//     one event of each number, and a section's next number is in the
//     section, so of the changes made from one version of a section only
//     one gets past here;
//  2. the section, on condition that it is still at the version read.
//
// A change that stops between the two — a crash, a lost connection —
// leaves its event ahead of its section: pending. Whoever meets it next
// settles it: a part's change whose event is refused by it, a transaction
// cancelled on it, a read of the stream's newest events. If the section
// is still at the version the change was made from, it is written as the
// event says, and the change is complete as if it had never stopped. If
// another change moved the section meanwhile (one that writes it without
// adding to its stream, like a compile), the pending change can no longer
// be made; it was never acknowledged, and its event is deleted,
// conditioned on being that event. Until it is settled, reads of the
// stream leave it out, and the case shows the section as it was.
//
// The embedded store writes every change in one SQLite transaction, and
// the contract tests (workflowtest.TestStore) hold both to the same
// semantics.

// partRow is the event item of a part's own change.
type partRow struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
	V  int    `dynamodbav:"v"`  // the version the section takes with the change
	ZS []byte `dynamodbav:"zs"` // partChange, deflated (see encode)
}

// partChange is what a part's own change writes: its event and the
// section after it.
type partChange struct {
	Event   *workflow.Event   `json:"e"`
	Section *workflow.Section `json:"s"`
}

// ownPart returns the section that ch writes if ch is a part's own change:
// that section, one event on its stream, and nothing else.
func ownPart(ch *workflow.Change) (*workflow.Section, bool) {
	if ch.Record || ch.Opinion || ch.Frame || ch.Also != nil || ch.Outbox != nil || len(ch.Claims) > 0 || len(ch.Drop) > 0 ||
		len(ch.Sections) != 1 || len(ch.Events) != 1 || ch.Events[0].Stream != ch.Sections[0] || ch.Case == nil {
		return nil, false
	}
	return ch.Case.Section(ch.Sections[0])
}

// commitPart writes a part's own change (ownPart) as the comment above
// describes.
func (s *Store) commitPart(ctx context.Context, op string, ch *workflow.Change, sec *workflow.Section) error {
	c, e := ch.Case, ch.Events[0]
	if c.ID == "" {
		return workflow.Errorf(op, workflow.Invalid, "案件编号为空")
	}
	if e.Case != c.ID || e.Seq <= 0 {
		return workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（案件 %q 第 %d 条）", e.Case, e.Seq)
	}
	conflict := fmt.Sprintf("案件 %s 已被他人修改，请刷新后重试", c.ID)
	after := *sec
	after.V = 0 // the attribute holds it
	zs, err := encode(op, "部分记录", partChange{Event: &e, Section: &after})
	if err != nil {
		return err
	}
	z, err := encode(op, "部分记录", &after)
	if err != nil {
		return err
	}
	pk, esk := casePK(c.ID), eventSK(e.Stream, e.Seq)
	ev, err := attributevalue.MarshalMap(partRow{PK: pk, SK: esk, V: sec.V + 1, ZS: zs})
	if err != nil {
		return internal(op, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: ev,
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
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
				s.settle(ctx, item) // so that a retry finds the section as it is
			}
			return s.fail(op, err, conflict)
		}
	}
	cond, names, values := versioned("v", sec.V)
	row, err := attributevalue.MarshalMap(dataRow{PK: pk, SK: sectionSK(sec.ID), V: sec.V + 1, Z: z})
	if err != nil {
		return internal(op, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: row,
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values})
	if err != nil {
		if !conditionFailed(err) {
			return s.fail(op, err, conflict) // pending: settled by whoever meets it
		}
		// Settled by someone else already, or made impossible by a change
		// that moved the section: settle says which. The event read again
		// after it must still be this one: one that was deleted and
		// replaced by another change's is not.
		stands, serr := s.settle(ctx, ev)
		if serr != nil {
			return s.fail(op, serr, conflict)
		}
		if stands {
			now, gerr := s.item(ctx, pk, esk)
			stands = gerr == nil && bytes.Equal(attributeB(now, "zs"), zs)
		}
		if !stands {
			return s.fail(op, err, conflict)
		}
	}
	applied(ch)
	return nil
}

// settle finishes the part's change whose event item is given, if it is
// pending (see above), and reports whether the event stands: true if its
// change is complete, false if it was, or is now, deleted. An event
// written in a transaction always stands.
func (s *Store) settle(ctx context.Context, item map[string]types.AttributeValue) (bool, error) {
	const op = "awsstore.settle"
	var row partRow
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return false, internal(op, err)
	}
	if row.ZS == nil {
		return true, nil
	}
	var pc partChange
	if err := decode(row.ZS, &pc); err != nil || pc.Event == nil || pc.Section == nil {
		return false, internal(op, fmt.Errorf("decode %s of %s: %v", row.SK, row.PK, err))
	}
	ssk := sectionSK(pc.Section.ID)
	// Two rounds at most: a section written under this one by another
	// settler is read again once.
	for range 2 {
		cur, err := s.item(ctx, row.PK, ssk)
		if err != nil {
			return false, err
		}
		var sec dataRow
		if err := attributevalue.UnmarshalMap(cur, &sec); err != nil {
			return false, internal(op, err)
		}
		var head workflow.Section
		if cur != nil {
			if err := sec.decode(&head); err != nil {
				return false, internal(op, fmt.Errorf("decode %s of %s: %w", ssk, row.PK, err))
			}
		}
		switch {
		case sec.V >= row.V && (head.Head.Seq > pc.Event.Seq || head.Head.Seq == pc.Event.Seq && head.Head.Hash == pc.Event.Hash):
			// Complete: the section's stream is at the event or past it,
			// which it can only have passed through this event.
			return true, nil
		case sec.V == row.V-1:
			z, err := encode(op, "部分记录", pc.Section)
			if err != nil {
				return false, err
			}
			put, err := attributevalue.MarshalMap(dataRow{PK: row.PK, SK: ssk, V: row.V, Z: z})
			if err != nil {
				return false, internal(op, err)
			}
			cond, names, values := versioned("v", row.V-1)
			_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: put,
				ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values})
			if err == nil {
				return true, nil
			}
			if !conditionFailed(err) {
				return false, internal(op, err)
			}
		default:
			// The section moved on without it: the change cannot be made.
			_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(row.PK, row.SK),
				ConditionExpression:       aws.String("zs = :zs"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":zs": &types.AttributeValueMemberB{Value: row.ZS}}})
			if err != nil && !conditionFailed(err) {
				return false, internal(op, err)
			}
			return false, nil
		}
	}
	return false, internal(op, fmt.Errorf("%s of %s: the section kept moving while its pending change was settled", row.SK, row.PK))
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

// item reads one item, strongly consistent; nil if there is none.
func (s *Store) item(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func attributeB(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}
