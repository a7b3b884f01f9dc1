package awsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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

// TestWorkflow runs the service over DynamoDB Local and the S3 server the
// test command started (gofakes3 in process without one).
func TestWorkflow(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	workflowtest.TestWorkflow(t, workflowtest.FullScale, func(t *testing.T) (workflowtest.Stores, workflow.Blobs) {
		return New(db, mustTable(t, db)), testBlobs(t)
	})
}

func TestOutbox(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	workflowtest.TestOutbox(t, func(t *testing.T) workflowtest.Mailroom { return New(db, mustTable(t, db)) })
}

func TestDirectory(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	workflowtest.TestDirectory(t, func(t *testing.T) workflowtest.People { return New(db, mustTable(t, db)) })
}

// testBlobs returns Blobs on a fresh bucket of the S3 server the test
// command started, or of gofakes3 in process.
func testBlobs(t testing.TB) workflow.Blobs {
	if endpoint := os.Getenv("DOCFLOW_S3_ENDPOINT"); endpoint != "" {
		client := newS3(endpoint)
		return NewBlobs(client, mustBucket(t, client), "drafts/", "files/")
	}
	return NewBlobs(newFakeS3(t, "docflow"), "docflow", "drafts/", "files/")
}

func TestStoreMissingTable(t *testing.T) {
	s := New(newDynamo(dynamoEndpoint(t)), randomName("docflow-missing-"))
	_, err := s.Case(t.Context(), "c1")
	if workflow.KindOf(err) != workflow.Other || !strings.Contains(err.Error(), "does not exist; deploy template.yaml") {
		t.Errorf("Case on a missing table = %v; want an internal error saying how to create the table", err)
	}
}

// TestStoreManyDepartments commits an outline of 60 parts led by 60
// departments: more index entries than a transaction holds, written after
// it. Every department finds the case.
func TestStoreManyDepartments(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	c := &workflow.Case{Record: workflow.Record{ID: "c-many", Stage: workflow.Assigning, Created: time.Now()}}
	if err := s.Commit(t.Context(), &workflow.Change{Case: c, Record: true, Opinion: true}); err != nil {
		t.Fatalf("creating the case = %v", err)
	}
	was := c.Summary()
	ch := &workflow.Change{Case: c, Record: true, Was: was}
	for i := range workflow.MaxParts {
		id := fmt.Sprintf("s%d", i+1)
		c.Sections = append(c.Sections, workflow.Section{ID: id, Level: 1, Lead: fmt.Sprintf("部门%02d", i), State: workflow.Planned})
		ch.Sections = append(ch.Sections, id)
	}
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatalf("Commit of %d sections and departments = %v", workflow.MaxParts, err)
	}
	for i := range workflow.MaxParts {
		p, err := s.Cases(t.Context(), workflow.Query{Dept: fmt.Sprintf("部门%02d", i)})
		if err != nil || len(p.Cases) != 1 {
			t.Errorf("Cases(部门%02d) = %d cases, %v; want c-many", i, len(p.Cases), err)
		}
	}
	// And the entries go when the outline drops the departments.
	was = c.Summary()
	dropped := c.Sections[1:]
	c.Sections = c.Sections[:1]
	ch = &workflow.Change{Case: c, Record: true, Was: was}
	for _, sec := range dropped {
		ch.Drop = append(ch.Drop, workflow.Dropped{ID: sec.ID, V: sec.V})
	}
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatalf("Commit dropping %d sections = %v", len(dropped), err)
	}
	if p, err := s.Cases(t.Context(), workflow.Query{Dept: "部门07"}); err != nil || len(p.Cases) != 0 {
		t.Errorf("Cases(部门07) after its part was dropped = %d cases, %v; want none", len(p.Cases), err)
	}
}

// BenchmarkLists is the list benchmark of the storage work on DynamoDB
// Local: one page at 1,000 and at 10,000 cases.
func BenchmarkLists(b *testing.B) {
	db := newDynamo(dynamoEndpoint(b))
	workflowtest.BenchmarkLists(b, New(db, mustTable(b, db)), []int{1000, 10000})
}

// BenchmarkYear is issue 13's: the statistics page and the lists of a
// year of 500 and of 5,000 代表建议 and 政协提案, beside the background
// tally that keeps the year's report.
func BenchmarkYear(b *testing.B) {
	db := newDynamo(dynamoEndpoint(b))
	workflowtest.BenchmarkYear(b, New(db, mustTable(b, db)), []int{500, 5000})
}
