package awsstore

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// TestUpgrade loads a table written by docflow 1 (testdata/v1-items.json:
// the cases of ../localstore/testdata/v1 as DynamoDB held them), upgrades
// it twice — the second run must find nothing to do — and checks that
// nothing was lost.
func TestUpgrade(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	table := mustTable(t, db)
	raw, err := os.ReadFile("testdata/v1-items.json")
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatal(err)
	}
	var reqs []types.WriteRequest
	for _, it := range items {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	if err := New(db, table).batchWrite(t.Context(), "load", reqs); err != nil {
		t.Fatal(err)
	}
	// Before the upgrade, reading a case says what to do.
	if _, err := New(db, table).Case(t.Context(), "c53f3b51cc737"); err == nil || !strings.Contains(err.Error(), "upgrade-table") {
		t.Errorf("Case before the upgrade = %v; want an error that says to run upgrade-table", err)
	}
	rep, err := Upgrade(t.Context(), db, table)
	if err != nil || rep.Cases != 3 || len(rep.Skipped) != 0 || rep.Numbers != 3 {
		t.Fatalf("Upgrade = %+v, %v; want 3 cases and their 3 来文字号 registered", rep, err)
	}
	again, err := Upgrade(t.Context(), db, table)
	if err != nil || again.Cases != 0 || again.Numbers != 0 {
		t.Fatalf("Upgrade run again = %+v, %v; want nothing to do", again, err)
	}
	// The numbers are the cases': another file of the published case's
	// opinion is refused by it.
	if holder, err := New(db, table).Registered(t.Context(), workflow.NumberKey("静会（2025）57号")); err != nil || holder != "c53f3b51cc737" {
		t.Errorf("Registered(静会〔2025〕57号) after the upgrade = %q, %v; want c53f3b51cc737", holder, err)
	}
	out, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("upgraded: %+v; the table now holds %d items (%d before)", rep, out.Count, len(items))

	dir := t.TempDir() // the drafts of those cases: publishing writes beside them
	if err := os.CopyFS(dir, os.DirFS("../localstore/testdata/v1")); err != nil {
		t.Fatal(err)
	}
	blobs, err := localstore.OpenBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	workflowtest.TestUpgradedV1(t, New(db, table), blobs)
}
