package function

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/outbox/outboxtest"
	"github.com/docflow/docflow/internal/outbox/smtpmail"
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestScheduledReminders runs the notify function's handler as the
// schedules do — {"job":"remind"} hourly, {"job":"send"} every minute —
// over DynamoDB Local, with the clock in the test's hands: each reminder
// is recorded and sent once, at its time, however often the handler
// runs, and a second run at once finds nothing to do. Mail goes to
// mailpit (the handler takes any mailer; on AWS it is SES, whose client
// package sesmail tests against a stand-in).
func TestScheduledReminders(t *testing.T) {
	endpoint := os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("set DOCFLOW_DYNAMODB_ENDPOINT (DynamoDB Local) — make test starts it")
	}
	mp := outboxtest.StartMailpit(t)
	ctx := context.Background()
	db := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	b := make([]byte, 6)
	rand.Read(b)
	table := "docflow-scheduled-" + hex.EncodeToString(b)
	if err := awsstore.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
	st := awsstore.New(db, table)
	blobs, err := localstore.OpenBlobs(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: workflow.Day(2026, 3, 2).Add(9 * time.Hour)}
	svc := &workflow.Service{Store: st, Blobs: blobs, Dir: st, Outbox: st, Now: clock.Now}
	seed, _ := templates.Office(templates.FS)
	seed.Notify = workflow.NotifySettings{DueSoon: 2, Overdue: 7}
	acc, _ := templates.Accounts(templates.FS)
	for i := range acc {
		acc[i].Email = acc[i].User + "@example.gov.cn"
	}
	workflowtest.SetUp(t, svc, seed, acc)
	clerk := acc[0].Identity()
	op := &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: "某会〔2026〕3号", Title: "关于某项工作情况的审议意见",
		ReplyTo: "区人大常委会", Date: workflow.Day(2026, 3, 1), Due: workflow.Day(2026, 6, 1),
		Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "第一项意见。"}, {ID: "2", Level: 1, Label: "二、", Text: "第二项意见。"}}}
	c, err := svc.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, []byte("scheduled"), op)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{
		{Item: "1", Lead: "区妇联", Due: workflow.Day(2026, 4, 10)}, {Item: "2", Lead: "区民政局", Due: workflow.Day(2026, 4, 20)}}); err != nil {
		t.Fatal(err)
	}
	if _, err = svc.Dispatch(ctx, clerk, c.ID); err != nil {
		t.Fatal(err)
	}

	app := &App{Settings: settings.Settings{PublicURL: "https://docflow.example.gov.cn"}, Service: svc, Store: st,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	run := app.Scheduled(&smtpmail.Mailer{Addr: mp.SMTP, From: "docflow@example.gov.cn"})
	step := func(when time.Time, job string, reminders, sent int) {
		t.Helper()
		clock.Set(when)
		d, err := run(ctx, Job{Job: job})
		if err != nil {
			t.Fatalf("%s at %v: %v", job, when, err)
		}
		if d.Reminders != reminders || d.Outbox.Sent != sent || d.Outbox.Failed != 0 {
			t.Errorf("%s at %s: %d reminders, %v; want %d reminders, %d sent", job, when.In(workflow.Zone).Format("01-02 15:04"), d.Reminders, d.Outbox, reminders, sent)
		}
	}
	at := func(month time.Month, day, hour int) time.Time {
		return workflow.Day(2026, month, day).Add(time.Duration(hour) * time.Hour)
	}
	step(at(3, 2, 9), "send", 0, 2) // the dispatch: 区妇联 and 区民政局
	step(at(3, 2, 10), "remind", 0, 0)
	step(at(4, 8, 9), "remind", 1, 1) // two days before 4月10日: 区妇联
	step(at(4, 8, 10), "remind", 0, 0)
	step(at(4, 8, 10), "send", 0, 0)
	step(at(4, 11, 9), "remind", 1, 1) // a day late: 区妇联
	step(at(4, 17, 9), "remind", 0, 0) // seven days late: not yet
	step(at(4, 18, 9), "remind", 2, 2) // eight days late (every 7 days), and two days before 区民政局's 4月20日
	step(at(4, 18, 10), "remind", 0, 0)
	if _, err := run(ctx, Job{Job: "dance"}); err == nil {
		t.Error("an unknown job succeeded")
	}
	// Each email goes to the department's staff and head; its kind and
	// the department, in the order sent.
	var subjects []string
	for _, m := range mp.Mails(t) {
		var to []string
		for _, a := range m.To {
			to = append(to, a.Address)
		}
		slices.Sort(to)
		subjects = append(subjects, strings.SplitN(m.Subject, "】", 2)[0]+"】"+strings.Join(to, ","))
	}
	fulian, minzheng := "fulian-head@example.gov.cn,fulian-staff@example.gov.cn", "minzheng-head@example.gov.cn,minzheng-staff@example.gov.cn"
	want := []string{"【交办】" + fulian, "【交办】" + minzheng, "【即将到期】" + fulian, "【逾期】" + fulian, "【逾期】" + fulian, "【即将到期】" + minzheng}
	if strings.Join(subjects, " ") != strings.Join(want, " ") {
		t.Errorf("mailpit received %v; want %v", subjects, want)
	}
}
