package workflowtest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// testConsult runs a round of 征求意见 through the store: the round and
// the hashes of its links are kept in the case record, a comment is an
// event of the case, and what a link shows is read back through the
// store — so both stores keep what the links need without a table or
// index of their own.
func testConsult(t *testing.T, o *office, _ Scale) {
	ctx := context.Background()
	c := o.open(t, 1)
	var err error
	if c, err = o.svc.SaveSection(ctx, o.staff(0), c.ID, "s1", rev(c, "s1"), "标题", "内容。", ""); err != nil {
		t.Fatal(err)
	}
	if c, err = o.svc.SubmitSection(ctx, o.head(0), c.ID, "s1", rev(c, "s1")); err != nil {
		t.Fatal(err)
	}
	if c, err = o.svc.AcceptSection(ctx, o.clerk, c.ID, "s1", rev(c, "s1")); err != nil {
		t.Fatal(err)
	}
	if c, err = o.svc.Compile(ctx, o.clerk, c.ID); err != nil {
		t.Fatal(err)
	}
	sent := c.Report.Current
	c, links, err := o.svc.Consult(ctx, o.clerk, c.ID, sent.Sum, 0, 0, []workflow.ContactInput{
		{Name: "王某", Org: "某区人大常委会某工作委员会", Email: "wang@example.gov.cn"}, {Name: "李某", Org: "某区人大常委会办公室"}})
	if err != nil {
		t.Fatal(err)
	}
	// What the store gives back keeps the round, and not the links.
	got, err := o.svc.Store.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Consult == nil || len(got.Consult.Contacts) != 2 || got.Consult.Draft.Sum != sent.Sum {
		t.Fatalf("the store gave back the round as %+v; want 2 contacts and the draft sent", got.Consult)
	}
	rec, _ := json.Marshal(got)
	for _, l := range links {
		secret := l.Token[strings.LastIndex(l.Token, ".")+1:]
		if strings.Contains(string(rec), secret) {
			t.Errorf("the stored case holds %s's link secret", l.Contact.Name)
		}
	}
	// A comment through the link, read back as the office reads it.
	if _, err := o.svc.AnswerConsult(ctx, links[0].Token, "建议补充工作时限。"); err != nil {
		t.Fatal(err)
	}
	page, err := o.svc.ConsultPage(ctx, links[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	if page.Answer != "建议补充工作时限。" || !strings.Contains(page.Body, "内容。") || page.Draft.Sum != sent.Sum {
		t.Errorf("the link shows answer %q, draft %s; want the comment given and the draft sent", page.Answer, page.Draft.Sum)
	}
	rd, err := o.svc.Read(ctx, o.clerk, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	answers, err := rd.ConsultAnswers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if answers["k1"].Text != "建议补充工作时限。" || len(answers) != 1 {
		t.Errorf("the office reads the comments as %+v; want k1's only", answers)
	}
	// Revoked: the store keeps it so.
	if _, err := o.svc.RevokeConsult(ctx, o.clerk, c.ID, "k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.svc.ConsultPage(ctx, links[1].Token); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("a revoked link after a round trip through the store: %v; want it refused", err)
	}
	if _, err := o.svc.Verify(ctx, c.ID); err != nil {
		t.Errorf("the audit trail after a consultation: %v", err)
	}
}
