package awsstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/docflow/docflow/internal/workflow"
)

// fakeDB answers the calls a test sets a function for; the embedded nil
// interface makes any other call panic, so a test also shows what it calls.
type fakeDB struct {
	dynamoAPI
	getItem  func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
	transact func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error)
}

func (f *fakeDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return f.getItem(in)
}

func (f *fakeDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return f.transact(in)
}

// Query finds nothing: the cases in these tests have no department items.
func (f *fakeDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}

// apiError wraps err as the SDK returns it from an operation.
func apiError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: err}
}

// canceled is the error DynamoDB gives when a transaction's conditions
// fail: one reason per item, in the order of the request.
func canceled(codes ...string) error {
	tce := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons")}
	for _, c := range codes {
		tce.CancellationReasons = append(tce.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return apiError("TransactWriteItems", tce)
}

func counterItem(t *testing.T, last int) map[string]types.AttributeValue {
	item, err := attributevalue.MarshalMap(counterRow{PK: counterPK("静府议", 2025), SK: skCounter, Last: last})
	if err != nil {
		t.Fatal(err)
	}
	return item
}

func numberedCase() *workflow.Case {
	return &workflow.Case{Record: workflow.Record{ID: "c1", Stage: workflow.Approved}}
}

// numbering returns a build function for AllocateNumber that numbers c at
// version v with one event, recording the numbers it is given.
func numbering(c *workflow.Case, v int, seqs *[]int) func(int) (*workflow.Change, error) {
	return func(seq int) (*workflow.Change, error) {
		if seqs != nil {
			*seqs = append(*seqs, seq)
		}
		c.Version = v
		c.Publication = &workflow.Publication{Series: "静府议", Year: 2025, Seq: seq}
		return &workflow.Change{Case: c, Record: true, Events: []workflow.Event{{Case: "c1", Seq: 3, Action: "number"}}}, nil
	}
}

// instant makes a Store's retries wait for nothing, counting them.
func instant(s *Store, waits *int) {
	s.sleep = func(ctx context.Context, _ time.Duration) error {
		*waits++
		return ctx.Err()
	}
}

func TestFail(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want workflow.Kind
		text string // in the error, for the logs
	}{
		{"ConditionalCheckFailed", apiError("PutItem", &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}), workflow.Conflict, ""},
		{"TransactionCanceledCondition", canceled("None", "ConditionalCheckFailed"), workflow.Conflict, ""},
		{"TransactionCanceledConflict", canceled("TransactionConflict", "None"), workflow.Conflict, ""},
		{"TransactionCanceledValidation", canceled("ValidationError"), workflow.Other, ""},
		{"TransactionConflict", apiError("PutItem", &types.TransactionConflictException{}), workflow.Conflict, ""},
		{"ResourceNotFound", apiError("GetItem", &types.ResourceNotFoundException{Message: aws.String("Cannot do operations on a non-existent table")}), workflow.Other,
			`table "docflow" does not exist; deploy template.yaml`},
		{"Throttled", apiError("GetItem", &types.ProvisionedThroughputExceededException{}), workflow.Other, ""},
		{"Canceled", fmt.Errorf("get item: %w", context.Canceled), workflow.Other, "context canceled"},
	}
	s := New(nil, "docflow")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.fail("awsstore.Test", tt.err, "冲突")
			if k := workflow.KindOf(err); k != tt.want {
				t.Errorf("fail(%v) = %v (kind %v); want kind %v", tt.err, err, k, tt.want)
			}
			if tt.want == workflow.Conflict && workflow.Message(err) != "冲突" {
				t.Errorf("fail(%v) has message %q; want %q", tt.err, workflow.Message(err), "冲突")
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("fail(%v) = %v; want it to wrap the cause", tt.err, err)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("fail(%v) = %v; want it to say %q", tt.err, err, tt.text)
			}
		})
	}
}

func TestCaseNotFound(t *testing.T) {
	s := New(&fakeDB{}, "docflow")
	c, err := s.Case(t.Context(), "c1")
	if workflow.KindOf(err) != workflow.NotFound || workflow.Message(err) == "" || c != nil {
		t.Errorf("Case of a missing item = %v, %v; want nil and NotFound with a message", c, err)
	}
}

func TestCommitConflict(t *testing.T) {
	s := New(&fakeDB{transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		return nil, canceled("ConditionalCheckFailed", "None")
	}}, "docflow")
	c := numberedCase()
	c.Version = 3
	// With the opinion, the change is a transaction (not a change of one
	// stream: see own).
	err := s.Commit(t.Context(), &workflow.Change{Case: c, Record: true, Opinion: true, Events: []workflow.Event{{Case: "c1", Seq: 1}}})
	if workflow.KindOf(err) != workflow.Conflict || workflow.Message(err) == "" {
		t.Errorf("Commit with a failed condition = %v; want Conflict with a message", err)
	}
	if c.Version != 3 {
		t.Errorf("after a failed Commit, c.Version = %d; want 3 (unchanged)", c.Version)
	}
}

// TestAllocateNumberRetriesCounter has two other cases take numbers while
// c1 is being numbered: AllocateNumber reads the counter again, calls apply
// with each new number, and saves with the last.
func TestAllocateNumberRetriesCounter(t *testing.T) {
	last := 4
	var conds []string
	db := &fakeDB{
		getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: counterItem(t, last)}, nil
		},
		transact: func(in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
			put := in.TransactItems[0].Put
			var row counterRow
			if err := attributevalue.UnmarshalMap(put.Item, &row); err != nil {
				t.Fatal(err)
			}
			from := put.ExpressionAttributeValues[":from"].(*types.AttributeValueMemberN).Value
			conds = append(conds, fmt.Sprintf("%s from %s to %d", *put.ConditionExpression, from, row.Last))
			if len(conds) <= 2 {
				last++ // another case got there first
				return nil, canceled("ConditionalCheckFailed", "None", "None")
			}
			return &dynamodb.TransactWriteItemsOutput{}, nil
		},
	}
	s := New(db, "docflow")
	waits := 0
	instant(s, &waits)
	c := numberedCase()
	var seqs []int
	err := s.AllocateNumber(t.Context(), "静府议", 2025, numbering(c, 2, &seqs))
	if err != nil {
		t.Fatalf("AllocateNumber = %v", err)
	}
	if fmt.Sprint(seqs) != "[5 6 7]" {
		t.Errorf("apply was called with %v; want [5 6 7]", seqs)
	}
	want := "[#last = :from from 4 to 5 #last = :from from 5 to 6 #last = :from from 6 to 7]"
	if fmt.Sprint(conds) != want {
		t.Errorf("counter writes = %v; want %v", conds, want)
	}
	if c.Version != 3 || waits != 2 {
		t.Errorf("after AllocateNumber, c.Version = %d and %d waits; want 3 and 2", c.Version, waits)
	}
}

func TestAllocateNumberFirstNumber(t *testing.T) {
	var cond string
	s := New(&fakeDB{
		getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) { return &dynamodb.GetItemOutput{}, nil },
		transact: func(in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
			cond = *in.TransactItems[0].Put.ConditionExpression
			return &dynamodb.TransactWriteItemsOutput{}, nil
		},
	}, "docflow")
	c := numberedCase()
	err := s.AllocateNumber(t.Context(), "静府议", 2025, numbering(c, 1, nil))
	if err != nil || c.Publication.Seq != 1 {
		t.Fatalf("AllocateNumber on a new series = %v with number %d; want nil and 1", err, c.Publication.Seq)
	}
	if cond != "attribute_not_exists(PK) OR #last = :from" {
		t.Errorf("the first number's counter condition = %q; want it to accept a missing counter", cond)
	}
}

func TestAllocateNumberCaseConflict(t *testing.T) {
	for _, reasons := range [][]string{
		{"None", "ConditionalCheckFailed"},
		{"ConditionalCheckFailed", "ConditionalCheckFailed"}, // both moved: the case decides
		{"None", "TransactionConflict"},
	} {
		calls := 0
		s := New(&fakeDB{
			getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
				return &dynamodb.GetItemOutput{Item: counterItem(t, 9)}, nil
			},
			transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
				calls++
				return nil, canceled(reasons...)
			},
		}, "docflow")
		waits := 0
		instant(s, &waits)
		c := numberedCase()
		err := s.AllocateNumber(t.Context(), "静府议", 2025, numbering(c, 4, nil))
		if workflow.KindOf(err) != workflow.Conflict || workflow.Message(err) == "" {
			t.Errorf("AllocateNumber cancelled for %v = %v; want Conflict with a message", reasons, err)
		}
		if calls != 1 || waits != 0 {
			t.Errorf("AllocateNumber cancelled for %v made %d transactions and %d waits; want 1 and 0: a stale case is the caller's to reload", reasons, calls, waits)
		}
		if c.Version != 4 {
			t.Errorf("after a refused AllocateNumber, c.Version = %d; want 4 (unchanged)", c.Version)
		}
	}
}

func TestAllocateNumberGivesUp(t *testing.T) {
	calls := 0
	s := New(&fakeDB{
		getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: counterItem(t, calls)}, nil
		},
		transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
			calls++
			return nil, canceled("ConditionalCheckFailed", "None")
		},
	}, "docflow")
	waits := 0
	instant(s, &waits)
	err := s.AllocateNumber(t.Context(), "静府议", 2025, numbering(numberedCase(), 1, nil))
	if workflow.KindOf(err) != workflow.Conflict || calls != allocateTries {
		t.Errorf("AllocateNumber under endless contention = %v after %d transactions; want Conflict after %d", err, calls, allocateTries)
	}

	// A cancelled context stops the retries at once.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls = 0
	err = s.AllocateNumber(ctx, "静府议", 2025, numbering(numberedCase(), 1, nil))
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("AllocateNumber with a cancelled context = %v after %d transactions; want context.Canceled after 1", err, calls)
	}
}
