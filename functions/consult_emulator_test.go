package functions_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
)

// TestConsultLinkThroughLambda opens a 征求意见 link as API Gateway
// delivers it, without an authorizer, to the signoff function over
// DynamoDB Local and the S3 server: a case is compiled and sent for
// comments through the service on the same table; the link (token in
// the query) shows the draft sent, a forged one answers 404, and once
// revoked the link answers 410 — the token found through the case record,
// with no table or index of its own.
func TestConsultLinkThroughLambda(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
	db := dynamodb.New(dynamodb.Options{Region: os.Getenv("AWS_REGION"), Credentials: creds, BaseEndpoint: aws.String(need(t, "DOCFLOW_DYNAMODB_ENDPOINT"))})
	st := awsstore.New(db, e.table)
	svc := &workflow.Service{Store: st, Blobs: awsstore.NewBlobs(e.s3, e.bucket, "drafts/", "files/"), Dir: st}

	// A department with a staff member and a head drafts the one part.
	var staff, head workflow.Identity
	for _, a := range e.roster {
		for _, b := range e.roster {
			if a.Dept != "" && a.Dept == b.Dept && a.Has(workflow.Staff) && b.Has(workflow.Head) && staff.User == "" {
				staff, head = a.Identity(), b.Identity()
			}
		}
	}
	clerk, _ := e.lookup("clerk")
	o := &workflow.Opinion{Issuer: "某区人民代表大会常务委员会", Number: "某会〔2026〕3号", Title: "关于某项工作情况的审议意见",
		ReplyTo: "区人大常委会", Date: workflow.Day(2026, 3, 1), Due: workflow.Day(2026, 9, 1),
		Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "加强某项工作。"}}}
	c, err := svc.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, []byte("consult through lambda"), o)
	must := func(got *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	c = must(c, err)
	c = must(svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: staff.Dept}}))
	c = must(svc.Dispatch(ctx, clerk, c.ID))
	c = must(svc.SaveSection(ctx, staff, c.ID, "s1", c.Sections[0].Rev, "加强某项工作", "已经完成某项工作。", ""))
	c = must(svc.SubmitSection(ctx, head, c.ID, "s1", c.Sections[0].Rev))
	c = must(svc.AcceptSection(ctx, clerk, c.ID, "s1", c.Sections[0].Rev))
	c = must(svc.Compile(ctx, clerk, c.ID))
	c, links, err := svc.Consult(ctx, clerk, c.ID, c.Report.Current.Sum, 0, 0, []workflow.ContactInput{{Name: "王某", Org: "区人大常委会某工委"}})
	if err != nil {
		t.Fatal(err)
	}
	tok := links[0].Token

	r := browse(t, e, web.Signoff, "GET", "/consult?t="+url.QueryEscape(tok))
	if r.StatusCode != 200 || !strings.Contains(r.Body, "已经完成某项工作。") || !strings.Contains(r.Body, "王某") {
		t.Errorf("the link through the signoff function: %d; want the draft sent to 王某\n%.1500s", r.StatusCode, r.Body)
	}
	forged := tok[:len(tok)-4] + "AAAA"
	if forged == tok {
		forged = tok[:len(tok)-4] + "BBBB"
	}
	if r := browse(t, e, web.Signoff, "GET", "/consult?t="+url.QueryEscape(forged)); r.StatusCode != 404 || strings.Contains(r.Body, "已经完成某项工作。") {
		t.Errorf("a forged link: %d; want 404 without the draft", r.StatusCode)
	}
	must(svc.RevokeConsult(ctx, clerk, c.ID, links[0].Contact.ID))
	if r := browse(t, e, web.Signoff, "GET", "/consult?t="+url.QueryEscape(tok)); r.StatusCode != 410 || strings.Contains(r.Body, "已经完成某项工作。") {
		t.Errorf("a revoked link: %d; want 410 without the draft", r.StatusCode)
	}
}
