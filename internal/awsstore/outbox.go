package awsstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

// The outbox: one item per batch (the messages of one change), in one
// partition, its sort key starting with the batch's ID, which starts with
// the time it was made:
//
//	item   PK      SK             other attributes
//	batch  OUTBOX  BATCH#<id>     v, states, z; GSI1PK=OUTBOX#DUE, GSI1SK=<due>#<id> while a message is left to send;
//	                              of, ofh while a batch written ahead of its change is not saved again (see ahead)
//
// The page lists batches newest first from the partition; a sender finds
// the due ones through GSI1, where only batches with something left to
// send have an entry (a sparse index: a batch all sent or failed drops
// out of it). One partition takes about 1,000 writes a second, far more
// messages than an office sends.

var _ workflow.Outbox = (*Store)(nil)

const (
	pkOutbox  = "OUTBOX"
	dueOutbox = "OUTBOX#DUE"
	// dueLayout writes due times as batch IDs start: fixed width, UTC.
	dueLayout = "20060102T150405.000000000Z"
)

func batchSK(id string) string { return "BATCH#" + id }

type batchRow struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty"`
	V      int    `dynamodbav:"v"`
	States string `dynamodbav:"states"` // ",pending,failed,": what its messages are in, for the filter
	Z      []byte `dynamodbav:"z"`      // workflow.Batch without V (see encode)
}

// batchItem is the item of b at version v.
func batchItem(op string, b *workflow.Batch, v int) (map[string]types.AttributeValue, error) {
	if b.ID == "" || len(b.Messages) == 0 {
		return nil, workflow.Errorf(op, workflow.Invalid, "通知批次为空或没有编号")
	}
	x := *b
	x.V = 0 // the attribute holds it
	z, err := encode(op, "通知记录", &x)
	if err != nil {
		return nil, err
	}
	row := batchRow{PK: pkOutbox, SK: batchSK(b.ID), V: v, States: ","}
	if due := b.Due(); !due.IsZero() {
		row.GSI1PK, row.GSI1SK = dueOutbox, due.UTC().Format(dueLayout)+"#"+b.ID
	}
	for _, st := range workflow.MessageStates {
		if b.Has(st) {
			row.States += string(st) + ","
		}
	}
	row.Z = z
	item, err := attributevalue.MarshalMap(row)
	if err != nil {
		return nil, internal(op, err)
	}
	return item, nil
}

func decodeBatch(item map[string]types.AttributeValue) (workflow.Batch, error) {
	var row batchRow
	var b workflow.Batch
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return b, fmt.Errorf("decode outbox item: %w", err)
	}
	if err := decode(row.Z, &b); err != nil {
		return b, fmt.Errorf("decode outbox batch %s: %w", row.SK, err)
	}
	b.V = row.V
	return b, nil
}

// Batches implements workflow.Outbox. With a state, it reads at most
// scanPages pages of the partition and returns a shorter page with a
// cursor rather than read the whole outbox.
func (s *Store) Batches(ctx context.Context, q workflow.OutboxQuery) (workflow.OutboxPage, error) {
	const op = "awsstore.Batches"
	limit := q.Limit
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :b)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkOutbox), ":b": str(batchSK(""))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
		ConsistentRead:            aws.Bool(true),
	}
	if q.State != "" {
		in.FilterExpression = aws.String("contains(#st, :st)")
		in.ExpressionAttributeNames = map[string]string{"#st": "states"}
		in.ExpressionAttributeValues[":st"] = str("," + string(q.State) + ",")
	}
	if q.Cursor != "" {
		id, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(id) == 0 {
			return workflow.OutboxPage{}, workflow.Errorf(op, workflow.Invalid, "翻页参数无效，请从第一页重新查看")
		}
		in.ExclusiveStartKey = key(pkOutbox, batchSK(string(id)))
	}
	var p workflow.OutboxPage
	for range scanPages {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return workflow.OutboxPage{}, s.fail(op, err, "")
		}
		for i, item := range out.Items {
			b, err := decodeBatch(item)
			if err != nil {
				return workflow.OutboxPage{}, internal(op, err)
			}
			if ok, err := s.made(ctx, item, &b); err != nil || !ok {
				if err != nil {
					return workflow.OutboxPage{}, s.fail(op, err, "")
				}
				continue
			}
			p.Batches = append(p.Batches, b)
			if len(p.Batches) == limit {
				p.Next = ""
				if i < len(out.Items)-1 || out.LastEvaluatedKey != nil {
					p.Next = base64.RawURLEncoding.EncodeToString([]byte(b.ID))
				}
				return p, nil
			}
		}
		if out.LastEvaluatedKey == nil {
			p.Next = ""
			return p, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		last := out.LastEvaluatedKey[attrSK].(*types.AttributeValueMemberS).Value
		p.Next = base64.RawURLEncoding.EncodeToString([]byte(strings.TrimPrefix(last, batchSK(""))))
	}
	return p, nil
}

// Batch implements workflow.Outbox. A batch written ahead of a change
// that was not made (see made) is not found.
func (s *Store) Batch(ctx context.Context, id string) (*workflow.Batch, error) {
	const op = "awsstore.Batch"
	item, err := s.item(ctx, pkOutbox, batchSK(id))
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	var b workflow.Batch
	ok := item != nil
	if ok {
		if b, err = decodeBatch(item); err != nil {
			return nil, internal(op, err)
		}
		if ok, err = s.made(ctx, item, &b); err != nil {
			return nil, s.fail(op, err, "")
		}
	}
	if !ok {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有通知批次 %s", id)
	}
	return &b, nil
}

// aheadGrace is how long a batch written ahead of its change waits for
// the change's event before it is taken for the batch of a change that
// failed: far longer than a change takes (a function's timeout).
const aheadGrace = 5 * time.Minute

// ahead writes a change's batch before the change, outside its
// transaction, where it costs half: a batch is often over a kilobyte, and
// a transaction bills every item twice. It names an event of the change
// (of and ofh), and until the batch is saved again — when it is first
// sent — every read of it asks made whether that event stands: a batch
// whose change failed is deleted, never sent. It writes nothing for a
// change without events, whose batch goes into its transaction.
func (s *Store) ahead(ctx context.Context, op string, ch *workflow.Change) error {
	if !aheadOf(ch) {
		return nil
	}
	item, err := batchItem(op, ch.Outbox, 1)
	if err != nil {
		return err
	}
	e := ch.Events[0]
	item["of"], item["ofh"] = str(eventSK(e.Stream, e.Seq)), str(e.Hash)
	err = s.putIf(ctx, item, "attribute_not_exists(PK)", nil, nil)
	if err != nil && conditionFailed(err) {
		// This one, written by a try whose answer was lost (the SDK
		// retries), or another change's with the same ID.
		if was, gerr := s.item(ctx, pkOutbox, batchSK(ch.Outbox.ID)); gerr == nil && bytes.Equal(attributeB(was, "z"), attributeB(item, "z")) {
			err = nil
		}
	}
	if err != nil {
		return s.fail(op, err, fmt.Sprintf("通知批次 %s 已存在", ch.Outbox.ID))
	}
	return nil
}

// aheadOf reports whether ch's batch is written ahead of it.
func aheadOf(ch *workflow.Change) bool { return ch.Outbox != nil && len(ch.Events) > 0 }

// dropAhead deletes the batch written ahead of a change that failed. It
// is best effort: a batch it leaves, made deletes.
func (s *Store) dropAhead(ctx context.Context, b *workflow.Batch) {
	s.deleteIf(ctx, key(pkOutbox, batchSK(b.ID)), "attribute_exists(#of) AND v = :v", map[string]string{"#of": "of"},
		map[string]types.AttributeValue{":v": num(1)})
}

// made reports whether the batch item b was read from belongs to a change
// that was made: yes for a batch written in its change's transaction, or
// saved since; for one written ahead (see ahead), yes if the event it
// names is there, with its hash, and stands (settle). A batch whose change
// failed — its event missing after aheadGrace, or another in its place —
// is deleted; one whose event is not there yet is not made yet.
func (s *Store) made(ctx context.Context, item map[string]types.AttributeValue, b *workflow.Batch) (bool, error) {
	of, ofh := attributeS(item, "of"), attributeS(item, "ofh")
	if of == "" {
		return true, nil
	}
	ev, err := s.item(ctx, casePK(b.Case), of)
	if err != nil {
		return false, err
	}
	if ev == nil && time.Since(b.Created) < aheadGrace {
		return false, nil
	}
	if ev != nil {
		e, err := decodeEvent(ev)
		if err != nil {
			return false, err
		}
		if e.Hash == ofh {
			stands, err := s.settle(ctx, ev)
			if err != nil || stands {
				return stands, err
			}
		}
	}
	err = s.deleteIf(ctx, key(pkOutbox, batchSK(b.ID)), "#of = :of AND v = :v", map[string]string{"#of": "of"},
		map[string]types.AttributeValue{":of": str(of), ":v": num(b.V)})
	if err != nil && !conditionFailed(err) {
		return false, err
	}
	return false, nil
}

// DueBatches implements workflow.Outbox: a page of the sparse index, the
// earliest due first, then the batches themselves, strongly consistent.
// The index may lag a write, so each batch is checked against now.
func (s *Store) DueBatches(ctx context.Context, now time.Time, limit int) ([]workflow.Batch, error) {
	const op = "awsstore.DueBatches"
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(indexStage),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND GSI1SK <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(dueOutbox), ":now": str(now.UTC().Format(dueLayout) + "#~")},
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	var batches []workflow.Batch
	for _, e := range out.Items {
		id := strings.TrimPrefix(e[attrSK].(*types.AttributeValueMemberS).Value, batchSK(""))
		b, err := s.Batch(ctx, id)
		if workflow.KindOf(err) == workflow.NotFound {
			continue // purged since
		}
		if err != nil {
			return nil, err
		}
		if due := b.Due(); !due.IsZero() && !due.After(now) {
			batches = append(batches, *b)
		}
	}
	return batches, nil
}

// SaveBatch implements workflow.Outbox.
func (s *Store) SaveBatch(ctx context.Context, b *workflow.Batch) error {
	const op = "awsstore.SaveBatch"
	item, err := batchItem(op, b, b.V+1)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
		ConditionExpression:       aws.String("v = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(b.V)}})
	if err != nil {
		return s.fail(op, err, fmt.Sprintf("通知批次 %s 已被他人修改或不存在，请刷新后重试", b.ID))
	}
	b.V++
	return nil
}

// PurgeBatches implements workflow.Outbox: the oldest batches first, each
// deleted on condition that it is unchanged and has nothing left to send.
func (s *Store) PurgeBatches(ctx context.Context, before time.Time, limit int) (int, error) {
	const op = "awsstore.PurgeBatches"
	if limit <= 0 {
		return 0, nil
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		FilterExpression:       aws.String("attribute_not_exists(GSI1PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkOutbox), ":lo": str(batchSK("")),
			":hi": str(batchSK(before.UTC().Format(dueLayout)))},
		ProjectionExpression: aws.String("PK, SK, v"),
		ConsistentRead:       aws.Bool(true),
	}
	n := 0
	for range scanPages {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return n, s.fail(op, err, "")
		}
		for _, item := range out.Items {
			var row batchRow
			if err := attributevalue.UnmarshalMap(item, &row); err != nil {
				return n, internal(op, err)
			}
			_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(row.PK, row.SK),
				ConditionExpression:       aws.String("v = :v AND attribute_not_exists(GSI1PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(row.V)}})
			if err != nil {
				if err := s.fail(op, err, ""); workflow.KindOf(err) != workflow.Conflict {
					return n, err
				}
				continue // changed meanwhile (a clerk's retry): kept
			}
			if n++; n == limit {
				return n, nil
			}
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return n, nil
}
