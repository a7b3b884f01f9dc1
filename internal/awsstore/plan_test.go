package awsstore

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

// sortKeys lists the sort keys of a case's items that begin with CASE#.
func sortKeys(t *testing.T, s *Store, id string) []string {
	t.Helper()
	items, err := s.query(t.Context(), &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(casePK(id)), ":p": str("CASE#")},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, attributeS(it, attrSK))
	}
	return out
}

// commit commits a change of c that writes its record and the sections
// named, as read in stage was.
func commit(t *testing.T, s *Store, c *workflow.Case, was workflow.Summary, secs ...string) error {
	t.Helper()
	return s.Commit(t.Context(), &workflow.Change{Case: c, Record: true, Was: was, Sections: secs})
}

func wantSections(t *testing.T, what string, got []workflow.Section, want map[string]workflow.Section) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d sections; want %d", what, len(got), len(want))
	}
	for i, sec := range got {
		w := want[sec.ID]
		if i > 0 && sec.ID == got[i-1].ID {
			t.Fatalf("%s: section %s twice", what, sec.ID)
		}
		if sec.V != w.V || sec.State != w.State || sec.Lead != w.Lead || sec.Current.Heading != w.Current.Heading {
			t.Errorf("%s: %s = v%d %s %s %q; want v%d %s %s %q", what, sec.ID, sec.V, sec.State, sec.Lead, sec.Current.Heading, w.V, w.State, w.Lead, w.Current.Heading)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b workflow.Section) int { return sectionNumber(a.ID) - sectionNumber(b.ID) }) {
		t.Errorf("%s: sections out of outline order", what)
	}
}

func sectionNumber(id string) int {
	n := 0
	for _, r := range id[1:] {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestPlan: the outline is one item (CASE#PLAN) while the case is being
// assigned and when it is dispatched; each section gets its own item at
// its first change after that, on condition that it has none, and that
// item is the section from then on.
func TestPlan(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	ctx := t.Context()
	c := &workflow.Case{Record: workflow.Record{ID: "c-plan", Stage: workflow.Assigning, Created: time.Now()}}
	if err := s.Commit(ctx, &workflow.Change{Case: c, Record: true, Opinion: true}); err != nil {
		t.Fatal(err)
	}
	was := c.Summary()
	for i, lead := range []string{"区妇联", "区民政局", "区教育局"} {
		c.Sections = append(c.Sections, workflow.Section{ID: "s" + string(rune('1'+i)), Level: 1, Lead: lead, State: workflow.Planned})
	}
	if err := commit(t, s, c, was, "s1", "s2", "s3"); err != nil {
		t.Fatalf("assigning = %v", err)
	}
	if got := sortKeys(t, s, c.ID); !slices.Equal(got, []string{skOpinion, skPlan}) {
		t.Fatalf("after assignment the case has items %v; want the opinion and the plan", got)
	}
	for _, sec := range c.Sections {
		if sec.V != 0 {
			t.Fatalf("section %s in the plan at v%d; want 0 (no item of its own)", sec.ID, sec.V)
		}
	}
	// Assigned again: s2 goes, s1 changes lead.
	was = c.Summary()
	c.Sections = []workflow.Section{c.Sections[0], c.Sections[2]}
	c.Sections[0].Lead = "区卫健委"
	if err := s.Commit(ctx, &workflow.Change{Case: c, Record: true, Was: was, Sections: []string{"s1"}, Drop: []workflow.Dropped{{ID: "s2"}}}); err != nil {
		t.Fatalf("assigning again = %v", err)
	}
	// Dispatched: every section opens, still in the plan.
	was = c.Summary()
	for i := range c.Sections {
		c.Sections[i].State = workflow.Open
	}
	c.Stage = workflow.Drafting
	if err := commit(t, s, c, was, "s1", "s3"); err != nil {
		t.Fatalf("dispatching = %v", err)
	}
	if got := sortKeys(t, s, c.ID); !slices.Equal(got, []string{skOpinion, skPlan}) {
		t.Fatalf("after dispatch the case has items %v; want the opinion and the plan", got)
	}
	want := map[string]workflow.Section{
		"s1": {Lead: "区卫健委", State: workflow.Open},
		"s3": {Lead: "区教育局", State: workflow.Open},
	}
	got, err := s.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantSections(t, "dispatched", got.Sections, want)

	// Two first saves of s3 from the same reading: the second conflicts.
	var ds []*workflow.Case
	for range 2 {
		d, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	for i, heading := range []string{"第一稿", "另一稿"} {
		sec, _ := ds[i].Section("s3")
		sec.Current.Heading = heading
		err := s.Commit(ctx, &workflow.Change{Case: ds[i], Sections: []string{"s3"}})
		if i == 0 && err != nil {
			t.Fatalf("first save of s3 = %v", err)
		}
		if i == 1 && workflow.KindOf(err) != workflow.Conflict {
			t.Fatalf("a second first save of s3 from the same reading = %v; want Conflict", err)
		}
	}
	want["s3"] = workflow.Section{V: 1, Lead: "区教育局", State: workflow.Open, Current: workflow.Version{Heading: "第一稿"}}
	if got, err = s.Case(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	wantSections(t, "after a first save", got.Sections, want)
	secs, err := s.Sections(ctx, []string{c.ID, "c-none"})
	if err != nil {
		t.Fatal(err)
	}
	wantSections(t, "Sections", secs[c.ID], want)
	if _, ok := secs["c-none"]; ok || len(secs) != 1 {
		t.Errorf("Sections of a case that has none = %v; want no entry", secs["c-none"])
	}
	// A later change of the record leaves the plan alone: the section
	// items stand.
	was = got.Summary()
	got.Stage = workflow.Compiling
	if err := commit(t, s, got, was); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Case(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	wantSections(t, "compiling", got.Sections, want)
}

// TestPlanFromSectionItems: a case assigned before the plan item, whose
// sections have items of their own, is assigned again and dispatched:
// sections with an item keep it, new ones go to the plan, and a dropped
// one loses its item.
func TestPlanFromSectionItems(t *testing.T) {
	db := newDynamo(dynamoEndpoint(t))
	s := New(db, mustTable(t, db))
	ctx := t.Context()
	c := &workflow.Case{Record: workflow.Record{ID: "c-old", Stage: workflow.Assigning, Created: time.Now()}}
	if err := s.Commit(ctx, &workflow.Change{Case: c, Record: true, Opinion: true}); err != nil {
		t.Fatal(err)
	}
	// As the store wrote an assignment before: an item per section, at v1.
	for _, sec := range []workflow.Section{{ID: "s1", Level: 1, Lead: "区妇联", State: workflow.Planned}, {ID: "s2", Level: 1, Lead: "区民政局", State: workflow.Planned}} {
		z, err := encode("test", "section", &sec)
		if err != nil {
			t.Fatal(err)
		}
		item, err := attributevalue.MarshalMap(dataRow{PK: casePK(c.ID), SK: sectionSK(sec.ID), V: 1, Z: z})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	was := got.Summary()
	got.Sections = []workflow.Section{got.Sections[0], {ID: "s2", Level: 1, Lead: "区教育局", State: workflow.Planned}, {ID: "s3", Level: 1, Lead: "区卫健委", State: workflow.Planned}}
	got.Sections[0].Lead = "区司法局"
	// s2 replaced: the service keeps the version of a section it
	// replaces; here it is dropped and written anew to test both paths.
	err = s.Commit(ctx, &workflow.Change{Case: got, Record: true, Was: was, Sections: []string{"s1", "s2", "s3"}, Drop: []workflow.Dropped{{ID: "s2", V: 1}}})
	if err != nil {
		t.Fatalf("assigning again = %v", err)
	}
	if k := sortKeys(t, s, c.ID); !slices.Equal(k, []string{skOpinion, skPlan, sectionSK("s1")}) {
		t.Fatalf("items %v; want the opinion, the plan (s2, s3) and s1's own", k)
	}
	want := map[string]workflow.Section{
		"s1": {V: 2, Lead: "区司法局", State: workflow.Planned},
		"s2": {Lead: "区教育局", State: workflow.Planned},
		"s3": {Lead: "区卫健委", State: workflow.Planned},
	}
	wantSections(t, "in memory", got.Sections, want)
	if got, err = s.Case(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	wantSections(t, "stored", got.Sections, want)
	// Dropping every section of the plan deletes it.
	was = got.Summary()
	got.Sections = got.Sections[:1]
	if err := s.Commit(ctx, &workflow.Change{Case: got, Record: true, Was: was, Drop: []workflow.Dropped{{ID: "s2"}, {ID: "s3"}}}); err != nil {
		t.Fatal(err)
	}
	if k := sortKeys(t, s, c.ID); !slices.Equal(k, []string{skOpinion, sectionSK("s1")}) {
		t.Fatalf("items %v; want the opinion and s1's own", k)
	}
}
