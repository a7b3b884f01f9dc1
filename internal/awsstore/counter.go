package awsstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

// Counter implements workflow.Store.
func (s *Store) Counter(ctx context.Context, series string, year int) (int, error) {
	n, err := s.counter(ctx, series, year)
	if err != nil {
		return 0, s.fail("awsstore.Counter", err, "")
	}
	return n, nil
}

func (s *Store) counter(ctx context.Context, series string, year int) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(counterPK(series, year), skCounter),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		return 0, err
	}
	var row counterRow
	if err := attributevalue.UnmarshalMap(out.Item, &row); err != nil {
		return 0, fmt.Errorf("decode counter %s %d: %w", series, year, err)
	}
	return row.Last, nil
}

// putCounter adds the counter at to, on condition that it is at from; a
// counter never written counts as 0.
func (w *writes) putCounter(series string, year, from, to int) error {
	item, err := attributevalue.MarshalMap(counterRow{PK: counterPK(series, year), SK: skCounter, Last: to})
	if err != nil {
		return err
	}
	cond := "#last = :from"
	if from == 0 {
		cond = "attribute_not_exists(PK) OR #last = :from"
	}
	w.put(item, cond, map[string]string{"#last": "last"}, map[string]types.AttributeValue{":from": num(from)})
	return nil
}

// SetCounter implements workflow.Store.
func (s *Store) SetCounter(ctx context.Context, series string, year, from, to int) error {
	const op = "awsstore.SetCounter"
	if to < from || from < 0 {
		return workflow.Errorf(op, workflow.Invalid, "文号只能向后调整（%d → %d）", from, to)
	}
	var w writes
	if err := w.putCounter(series, year, from, to); err != nil {
		return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
	}
	put := w[0].Put
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      put.Item,
		ConditionExpression:       put.ConditionExpression,
		ExpressionAttributeNames:  put.ExpressionAttributeNames,
		ExpressionAttributeValues: put.ExpressionAttributeValues,
	})
	if err != nil {
		return s.fail(op, err, fmt.Sprintf("%s〔%d〕的已用文号已不是 %d，请刷新后重试", series, year, from))
	}
	return nil
}

// AllocateNumber implements workflow.Store. It reads the counter, lets
// apply number the case, and writes counter, case and events in one
// transaction conditioned on both the counter and the case version. The
// cancellation reasons say which condition failed: the case's means
// Conflict; the counter's alone means another case took the number first,
// so it reads the counter again and retries with jittered backoff.
func (s *Store) AllocateNumber(ctx context.Context, c *workflow.Case, prev int, apply func(seq int) []workflow.Event) error {
	const op = "awsstore.AllocateNumber"
	p := c.Publication
	if p == nil || p.Series == "" {
		return workflow.Errorf(op, workflow.Invalid, "案件 %s 没有发文字号代字，不能编号", c.ID)
	}
	if prev < 1 {
		return workflow.Errorf(op, workflow.Conflict, "案件 %s 尚未保存过，不能按版本 %d 修改", c.ID, prev)
	}
	had, err := s.storedDepts(ctx, op, c.ID)
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		n, err := s.counter(ctx, p.Series, p.Year)
		if err != nil {
			return s.fail(op, err, "")
		}
		evs := apply(n + 1)
		var w writes // the counter first and the case second: see reasons below
		if err := w.putCounter(p.Series, p.Year, n, n+1); err != nil {
			return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
		}
		if err := w.putCase(op, c, prev); err != nil {
			return err
		}
		if err := w.putEvents(op, c.ID, evs); err != nil {
			return err
		}
		if err := w.putDepts(op, c, had); err != nil {
			return err
		}
		err = s.transact(ctx, op, w)
		if err == nil {
			c.Version = prev + 1
			return nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) || len(tce.CancellationReasons) < 2 ||
			failed(tce.CancellationReasons[1]) || !failed(tce.CancellationReasons[0]) {
			return s.fail(op, err, changed(c.ID))
		}
		if try == allocateTries {
			return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: "文号分配繁忙，请稍后重试",
				Err: fmt.Errorf("counter %s %d still contended after %d tries: %w", p.Series, p.Year, try, err)}
		}
		if err := s.sleep(ctx, backoff(try)); err != nil {
			return &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("wait to retry counter %s %d: %w", p.Series, p.Year, err)}
		}
	}
}

// failed reports whether a transaction item was cancelled because another
// writer got there first: its condition failed, or another transaction
// held the item.
func failed(r types.CancellationReason) bool {
	switch aws.ToString(r.Code) {
	case "ConditionalCheckFailed", "TransactionConflict":
		return true
	}
	return false
}

// backoff returns a jittered delay before retry number try (2, 3, ...):
// "full jitter" over an exponentially growing ceiling of at most 200 ms.
func backoff(try int) time.Duration {
	ceiling := min(200*time.Millisecond, 5*time.Millisecond<<min(try, 10))
	return rand.N(ceiling) + time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
