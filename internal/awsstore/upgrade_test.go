package awsstore

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestUpgradeDueIndex upgrades a table made before the index of open
// deadlines (GSI3) existed, holding cases written without their entries
// there: the upgrade adds the index and the entries, the overdue list then
// finds the cases, and a second run finds nothing to do.
func TestUpgradeDueIndex(t *testing.T) {
	poll := indexPoll
	indexPoll = 100 * time.Millisecond
	t.Cleanup(func() { indexPoll = poll })
	db := newDynamo(dynamoEndpoint(t))
	table := randomName("docflow-test-")
	in := TableInput(table)
	in.AttributeDefinitions = slices.DeleteFunc(in.AttributeDefinitions, func(a types.AttributeDefinition) bool {
		return strings.HasPrefix(aws.ToString(a.AttributeName), "GSI3")
	})
	in.GlobalSecondaryIndexes = slices.DeleteFunc(in.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndex) bool {
		return aws.ToString(g.IndexName) == indexDue
	})
	if _, err := db.CreateTable(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
	if err := CreateTable(t.Context(), db, table); err != nil { // waits until it is active
		t.Fatal(err)
	}

	s := New(db, table)
	created := time.Date(2025, 9, 1, 9, 0, 0, 0, workflow.Zone)
	for _, c := range []struct {
		id    string
		stage workflow.Stage
		due   time.Time
		lead  string
	}{
		{"c-late", workflow.Drafting, workflow.Day(2025, 12, 1), "区民政局"},
		{"c-open", workflow.Drafting, workflow.Day(2026, 6, 1), "区卫健委"},
		{"c-done", workflow.Published, workflow.Day(2025, 11, 1), "区卫健委"},
	} {
		cs := &workflow.Case{Record: workflow.Record{ID: c.id, Stage: c.stage, Created: created}, Opinion: workflow.Opinion{Number: c.id, Due: c.due},
			Sections: []workflow.Section{{ID: "s1", Level: 1, Lead: c.lead, Due: c.due, State: workflow.Open}}}
		if err := s.Commit(t.Context(), &workflow.Change{Case: cs, Record: true, Opinion: true, Sections: []string{"s1"}}); err != nil {
			t.Fatal(err)
		}
		// As the version before wrote it: no entry of its deadline, nor
		// in its year's and kind's lists.
		for _, sk := range []string{skDue, entrySK("YEAR#2025"), entrySK("KIND#opinion"), entrySK("KIND#opinion#2025")} {
			if _, err := db.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key(casePK(c.id), sk)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	today := workflow.Day(2026, 1, 1)
	if _, err := s.Cases(t.Context(), workflow.Query{Overdue: true, Today: today}); err == nil || !strings.Contains(err.Error(), "upgrade-table") {
		t.Errorf("the overdue list before the upgrade = %v; want an error that says to run upgrade-table", err)
	}

	rep, err := Upgrade(t.Context(), db, table)
	if err != nil || !rep.DueIndex || rep.Deadlines != 2 || rep.Cases != 0 || rep.Lists != 3 {
		t.Fatalf("Upgrade = %+v, %v; want the index added, 2 cases given their deadlines' entries and 3 their lists'", rep, err)
	}
	for _, q := range []workflow.Query{{Year: 2025}, {Kind: workflow.KindOpinion}, {Kind: workflow.KindOpinion, Year: 2025}} {
		if p, err := s.Cases(t.Context(), q); err != nil || len(p.Cases) != 3 {
			t.Errorf("the list %+v after the upgrade = %d cases, %v; want 3", q, len(p.Cases), err)
		}
	}
	for _, tt := range []struct {
		today time.Time
		dept  string
		want  []string
	}{
		{today, "", []string{"c-late"}},
		{workflow.Day(2026, 7, 1), "", []string{"c-late", "c-open"}},
		{workflow.Day(2026, 7, 1), "区卫健委", []string{"c-open"}},
	} {
		p, err := s.Cases(t.Context(), workflow.Query{Overdue: true, Today: tt.today, Dept: tt.dept})
		var got []string
		for _, c := range p.Cases {
			got = append(got, c.ID)
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("the overdue list of %q on %s after the upgrade = %v, %v; want %v", tt.dept, tt.today.Format(time.DateOnly), got, err, tt.want)
		}
	}
	again, err := Upgrade(t.Context(), db, table)
	if err != nil || again.DueIndex || again.Deadlines != 0 || again.Lists != 0 {
		t.Errorf("Upgrade run again = %+v, %v; want nothing to do", again, err)
	}
}
