package awsstore

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
)

// TestRecordForm2: a record written before the summary moved into z (form
// 2: the summary in its own attribute) is read and listed as it is, and
// written as form 3 at its next change.
func TestRecordForm2(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	ctx := t.Context()
	c := &workflow.Case{Record: workflow.Record{ID: "c-form2", Stage: workflow.Assigning, Created: time.Now(), Version: 4},
		Opinion: workflow.Opinion{Number: "静会〔2025〕57号", Title: "审议意见"}}
	rec := c.Record
	rec.Version = 0
	sum := c.Summary()
	z, err := encode("test", "record", &rec)
	if err != nil {
		t.Fatal(err)
	}
	zs, err := encode("test", "summary", &sum)
	if err != nil {
		t.Fatal(err)
	}
	lsk := listSK(c.ID, c.Created)
	item, err := attributevalue.MarshalMap(recordRow{PK: casePK(c.ID), SK: skCase, GSI1PK: "STAGE#assigning", GSI1SK: lsk, GSI2PK: "CASES", GSI2SK: lsk,
		Form: form2, Version: 4, Stage: string(c.Stage), Z: z, Summary: zs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		t.Fatal(err)
	}
	list := func(what string) {
		t.Helper()
		p, err := s.Cases(ctx, workflow.Query{Text: "审议意见"})
		if err != nil || len(p.Cases) != 1 || p.Cases[0].Number != c.Opinion.Number || p.Cases[0].Stage != c.Stage {
			t.Fatalf("%s: Cases = %+v, %v; want the case in stage %s", what, p.Cases, err, c.Stage)
		}
	}
	list("form 2")
	got, err := s.Case(ctx, c.ID)
	if err != nil || got.Version != 4 || got.Stage != workflow.Assigning || !got.Created.Equal(c.Created) {
		t.Fatalf("Case of a form 2 record = %+v, %v", got, err)
	}
	was := got.Summary()
	got.Opinion = c.Opinion
	got.Stage = workflow.Drafting
	c.Stage = workflow.Drafting
	if err := s.Commit(ctx, &workflow.Change{Case: got, Record: true, Was: was}); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(casePK(c.ID), skCase), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var row recordRow
	if err := attributevalue.UnmarshalMap(out.Item, &row); err != nil {
		t.Fatal(err)
	}
	if row.Form != form || row.Summary != nil || row.Version != 5 {
		t.Fatalf("record after a change: form %d, summary attribute %d bytes, version %d; want form %d, none, 5", row.Form, len(row.Summary), row.Version, form)
	}
	list("form 3")
	if got, err = s.Case(ctx, c.ID); err != nil || got.Version != 5 || got.Stage != workflow.Drafting {
		t.Fatalf("Case of the form 3 record = %+v, %v", got, err)
	}
}
