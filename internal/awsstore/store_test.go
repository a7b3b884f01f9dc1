package awsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// dynamoEndpoint returns the DynamoDB endpoint the test command started,
// or skips the test.
func dynamoEndpoint(tb testing.TB) string {
	tb.Helper()
	endpoint := os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		tb.Skip("set DOCFLOW_DYNAMODB_ENDPOINT (DynamoDB Local) — make test starts it")
	}
	return endpoint
}

// credentialsFromEnv uses the keys with-aws.sh exports, so that one set of
// keys serves DynamoDB Local (which takes any) and versitygw (which checks).
func credentialsFromEnv() aws.CredentialsProvider {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" {
		id, secret = "test", "testsecret"
	}
	return credentials.NewStaticCredentialsProvider(id, secret, "")
}

func region() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

// newDynamo returns a client of the DynamoDB at endpoint. Its retryer has
// no retry quota: DynamoDB Local, when the machine is busy, answers a
// transaction that waited too long for a lock with a 500 ("This request will
// succeed in actual DynamoDB API"), and the contract's hundred concurrent
// allocations would drain the quota that the SDK shares across one client's
// calls.
func newDynamo(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region(),
		Credentials:  credentialsFromEnv(),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.RateLimiter = ratelimit.None
		}),
	})
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// mustTable creates a fresh table and deletes it when the test ends.
func mustTable(tb testing.TB, db *dynamodb.Client) string {
	tb.Helper()
	table := randomName("docflow-test-")
	if err := CreateTable(context.Background(), db, table); err != nil {
		tb.Fatalf("CreateTable: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
			tb.Errorf("DeleteTable %s: %v", table, err)
		}
	})
	return table
}

func TestStore(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	workflowtest.TestStore(t, func(t *testing.T) workflow.Store {
		return New(db, mustTable(t, db))
	})
}

func TestStoreMissingTable(t *testing.T) {
	s := New(newDynamo(dynamoEndpoint(t)), randomName("docflow-missing-"))
	_, err := s.Case(t.Context(), "c1")
	if workflow.KindOf(err) != workflow.Other || !strings.Contains(err.Error(), "does not exist; deploy template.yaml") {
		t.Errorf("Case on a missing table = %v; want an internal error saying how to create the table", err)
	}
}

// TestStoreTransactionLimit checks that a save too big for one transaction
// is refused whole, before DynamoDB sees it.
func TestStoreTransactionLimit(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	c := &workflow.Case{ID: "c-big", Stage: workflow.Drafting}
	if err := s.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatalf("CreateCase = %v", err)
	}
	// 1 case + 60 events + 40 departments = 101 items.
	var evs []workflow.Event
	for i := range 60 {
		evs = append(evs, workflow.Event{Case: c.ID, Seq: i + 1, Action: "note"})
	}
	for i := range 40 {
		c.Sections = append(c.Sections, workflow.Section{ID: fmt.Sprint(i), Lead: fmt.Sprintf("部门%02d", i)})
	}
	err := s.SaveCase(t.Context(), c, 1, evs)
	if workflow.KindOf(err) != workflow.Invalid || workflow.Message(err) == "" {
		t.Errorf("SaveCase of 101 items = %v; want kind Invalid with a message", err)
	}
	// One fewer department fits.
	c.Sections = c.Sections[:39]
	if err := s.SaveCase(t.Context(), c, 1, evs); err != nil {
		t.Fatalf("SaveCase of 100 items = %v", err)
	}
	cs, err := s.Cases(t.Context(), workflow.Query{Dept: "部门38"})
	if err != nil || len(cs) != 1 {
		t.Errorf("Cases(部门38) = %d cases, %v; want c-big", len(cs), err)
	}
}

// TestStoreDeptItems checks the department items against the sections
// directly: the contract sees them only through Cases.
func TestStoreDeptItems(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	c := &workflow.Case{ID: "c-dept", Stage: workflow.Drafting, Sections: []workflow.Section{
		{ID: "s1", Lead: "区妇联", Co: []string{"区民政局", "区卫健委"}},
		{ID: "s2", Lead: "区民政局"},
	}}
	if err := s.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatalf("CreateCase = %v", err)
	}
	check := func(want ...string) {
		t.Helper()
		got, err := s.storedDepts(t.Context(), "test", c.ID)
		if err != nil {
			t.Fatalf("storedDepts = %v", err)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("department items = %q; want %q", got, want)
		}
	}
	check("区卫健委", "区妇联", "区民政局")
	c.Sections = []workflow.Section{{ID: "s1", Lead: "区教育局", Co: []string{"区妇联"}}}
	if err := s.SaveCase(t.Context(), c, 1, nil); err != nil {
		t.Fatalf("SaveCase = %v", err)
	}
	check("区妇联", "区教育局")
}
