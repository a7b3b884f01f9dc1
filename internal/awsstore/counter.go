package awsstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
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

// counterPut returns the counter at to, conditioned on its being at from;
// a counter never written counts as 0.
func counterPut(series string, year, from, to int) (*types.Put, error) {
	item, err := attributevalue.MarshalMap(counterRow{PK: counterPK(series, year), SK: skCounter, Last: to})
	if err != nil {
		return nil, err
	}
	cond := "#last = :from"
	if from == 0 {
		cond = "attribute_not_exists(PK) OR #last = :from"
	}
	return &types.Put{Item: item, ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#last": "last"}, ExpressionAttributeValues: map[string]types.AttributeValue{":from": num(from)}}, nil
}

// SetCounter implements workflow.Store.
func (s *Store) SetCounter(ctx context.Context, series string, year, from, to int) error {
	const op = "awsstore.SetCounter"
	if to < from || from < 0 {
		return workflow.Errorf(op, workflow.Invalid, "文号只能向后调整（%d → %d）", from, to)
	}
	put, err := counterPut(series, year, from, to)
	if err != nil {
		return internal(op, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
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
// build make the change with the next number, and writes counter and
// change in one transaction conditioned on both. The cancellation reasons
// say which condition failed: one of the change's means Conflict; the
// counter's alone means another case took the number first, so it reads
// the counter again and retries with jittered backoff.
func (s *Store) AllocateNumber(ctx context.Context, series string, year int, build func(seq int) (*workflow.Change, error)) error {
	const op = "awsstore.AllocateNumber"
	if strings.TrimSpace(series) == "" || year <= 0 {
		return workflow.Errorf(op, workflow.Invalid, "发文字号的代字或年份无效")
	}
	for try := 1; ; try++ {
		n, err := s.counter(ctx, series, year)
		if err != nil {
			return s.fail(op, err, "")
		}
		ch, err := build(n + 1)
		if err != nil {
			return err
		}
		w, idx, err := s.change(op, ch, false)
		if err != nil {
			return err
		}
		if err := s.batchWrite(ctx, op, idx.add); err != nil {
			return err
		}
		put, err := counterPut(series, year, n, n+1)
		if err != nil {
			return internal(op, err)
		}
		// The counter first: see the reasons below.
		w = append(writes{{Put: put}}, w...)
		if len(w) > maxTransactItems {
			return workflow.Errorf(op, workflow.Invalid, "一次保存的改动过多（%d 项，上限 %d 项），请分次操作", len(w), maxTransactItems)
		}
		err = s.transact(ctx, w)
		if err == nil {
			applied(ch)
			return s.batchWrite(ctx, op, idx.drop)
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) || len(tce.CancellationReasons) < 2 ||
			slices.ContainsFunc(tce.CancellationReasons[1:], failed) || !failed(tce.CancellationReasons[0]) {
			return s.fail(op, err, fmt.Sprintf("案件 %s 已被他人修改，请刷新后重试", ch.Case.ID))
		}
		if try == allocateTries {
			return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: "文号分配繁忙，请稍后重试",
				Err: fmt.Errorf("counter %s %d still contended after %d tries: %w", series, year, try, err)}
		}
		if err := s.sleep(ctx, backoff(try)); err != nil {
			return internal(op, fmt.Errorf("wait to retry counter %s %d: %w", series, year, err))
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
