package main

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/outbox/outboxtest"
	"github.com/docflow/docflow/internal/outbox/smtpmail"
	"github.com/docflow/docflow/internal/workflow"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestNotificationsLocally runs docflow as `docflow serve -smtp` does,
// against mailpit and a 企业微信 robot that fails, with the clock in the
// test's hands (the server's own sender and ticker are off; the test
// calls what they call). The fixture case's 交办 reaches each department
// once; the failing robot is tried with backoff until it is given up,
// the clerk sees it failed on 通知记录 with the robot's error, retries it
// there, and it goes out. The reminder rules, checked twice on a day,
// remind once.
// notifying is docflow serve as `-smtp` runs it, against mailpit and a
// 企业微信 robot, with the clock in the test's hands (the server's own
// sender and ticker are off: tests call what they call). Everyone has an
// address; fixtureRobotDept is reached by its group robot.
type notifying struct {
	m     *Main
	mp    *outboxtest.Mailpit
	robot *outboxtest.Receiver
	clock *testClock
}

// fixtureRobotDept leads two of the fixture's parts.
const fixtureRobotDept = "区妇联"

func startNotifying(t *testing.T) *notifying {
	t.Helper()
	mp := outboxtest.StartMailpit(t)
	robot := outboxtest.NewReceiver(t, "")
	clock := &testClock{t: workflow.Day(2025, 10, 20).Add(9 * time.Hour)}
	m := &Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mail: &smtpmail.Mailer{Addr: mp.SMTP, From: "docflow <docflow@example.gov.cn>"}, PublicURL: "https://docflow.example.gov.cn",
		SendEvery: -1, CheckEvery: -1, Now: clock.Now}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()

	admin, _ := m.Store.Account(ctx, "admin")
	o, err := m.Service.Office(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o.Notify.Robots = []workflow.Robot{{Dept: fixtureRobotDept, Kind: workflow.WeCom, URL: robot.URL}}
	if _, err := m.Service.SaveOffice(ctx, admin.Identity(), o.Version, *o, ""); err != nil {
		t.Fatal(err)
	}
	for q := (workflow.AccountQuery{Limit: workflow.MaxPage}); ; {
		p, err := m.Store.Accounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Accounts {
			a.Email = a.User + "@example.gov.cn"
			if a.Dept == fixtureRobotDept {
				a.Notify = workflow.ByRobot
			}
			if _, err := m.Service.SaveAccount(ctx, admin.Identity(), a.Version, a, ""); err != nil {
				t.Fatal(err)
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	return &notifying{m: m, mp: mp, robot: robot, clock: clock}
}

func TestNotificationsLocally(t *testing.T) {
	n := startNotifying(t)
	m, mp, robot, clock := n.m, n.mp, n.robot, n.clock
	ctx := context.Background()

	robot.Fail(true)
	c := dispatchFixture(t, m)
	rep, err := m.Sender.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 13 || rep.Retried != 1 {
		t.Errorf("first pass: %v; want 13 emails sent, 区妇联's robot to retry", rep)
	}
	mails := mp.Mails(t)
	if len(mails) != 13 {
		t.Errorf("mailpit received %d emails; want 13, one a department but 区妇联", len(mails))
	}
	for _, mail := range mails {
		if !strings.Contains(mail.Text, "https://docflow.example.gov.cn/cases/"+c.ID+"/sections/") {
			t.Errorf("email %q has no link to its part:\n%s", mail.Subject, mail.Text)
		}
	}

	// The robot keeps answering 500: tried after each backoff until
	// given up.
	for try := 1; try < workflow.MaxTries; try++ {
		clock.Add(workflow.Backoff(try))
		if _, err := m.Sender.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := robot.Tries(); n != workflow.MaxTries {
		t.Fatalf("the robot was tried %d times; want %d", n, workflow.MaxTries)
	}
	page := devGet(t, m, "clerk", "/outbox?state=failed")
	if !strings.Contains(page, "区妇联") || !strings.Contains(page, "HTTP 500") || !strings.Contains(page, `action="/outbox/retry"`) {
		t.Fatalf("通知记录, failed: want 区妇联's message with the robot's HTTP 500 and a retry button\n%.4000s", page)
	}
	batch := regexp.MustCompile(`name="batch" value="([^"]+)"`).FindStringSubmatch(page)
	msg := regexp.MustCompile(`name="msg" value="([^"]+)"`).FindStringSubmatch(page)
	robot.Fail(false)
	resp := devPost(t, m, "clerk", "/outbox/retry", url.Values{"batch": {batch[1]}, "msg": {msg[1]}, "state": {"failed"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: %d; want a redirect", resp.StatusCode)
	}
	if rep, _ := m.Sender.Once(ctx); rep.Sent != 1 {
		t.Errorf("after the retry: %v; want it sent", rep)
	}
	if posts := robot.Posts(); len(posts) != 1 || !strings.HasPrefix(posts[0].Content, "【交办】") || !strings.Contains(posts[0].Content, "区妇联：") {
		t.Errorf("robot posts %+v; want the 交办 to 区妇联", posts)
	}
	if page := devGet(t, m, "clerk", "/outbox?state=failed"); strings.Contains(page, `id="outbox"`) {
		t.Errorf("通知记录 still lists failed messages:\n%.3000s", page)
	}

	// Reminders: the default rules (3 days before, every 3 days overdue).
	// The fixture's parts are due 30 days before the opinion.
	due := c.Sections[0].Due
	clock.Set(due.AddDate(0, 0, -3).Add(9 * time.Hour))
	n1, err := m.Service.CheckDeadlines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(6 * time.Hour)
	n2, _ := m.Service.CheckDeadlines(ctx)
	if n1 != len(c.Sections) || n2 != 0 {
		t.Errorf("reminder rules three days before the parts' due date: %d, then %d the same day; want %d, then 0", n1, n2, len(c.Sections))
	}
	if _, err := m.Sender.Once(ctx); err != nil {
		t.Fatal(err)
	}
	soon, posts := 0, 0
	for _, mail := range mp.Mails(t) {
		if strings.HasPrefix(mail.Subject, "【即将到期】") {
			soon++
		}
	}
	for _, p := range robot.Posts() {
		if strings.HasPrefix(p.Content, "【即将到期】") {
			posts++
		}
	}
	// 区妇联 leads 一（三） and 三: its two reminders go to its robot.
	if soon != len(c.Sections)-2 || posts != 2 {
		t.Errorf("即将到期: %d emails, %d robot posts; want %d and 2, one a part", soon, posts, len(c.Sections)-2)
	}
}

func dispatchFixture(t *testing.T, m *Main) *workflow.Case {
	t.Helper()
	ctx := context.Background()
	fix := fixture(t)
	text, _ := fs.ReadFile(fix, "opinion.txt")
	planText, _ := fs.ReadFile(fix, "assignments.txt")
	op, err := opinion.Parse("opinion.txt", text, opinion.Options{DefaultMonths: 6})
	if err != nil {
		t.Fatal(err)
	}
	clerk, _ := m.Store.Account(ctx, "clerk")
	c, err := m.Service.Intake(ctx, clerk.Identity(), workflow.Source{Name: "opinion.txt"}, text, op)
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := demo.ParsePlan(string(planText))
	var as []workflow.Assignment
	for _, p := range plan {
		id, err := p.ItemID(c.Opinion.Items)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, workflow.Assignment{Item: id, Lead: p.Lead, Co: p.Co})
	}
	if c, err = m.Service.Assign(ctx, clerk.Identity(), c.ID, c.Version, as); err != nil {
		t.Fatal(err)
	}
	if c, err = m.Service.Dispatch(ctx, clerk.Identity(), c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

func devGet(t *testing.T, m *Main, user, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", m.URL+path, nil)
	req.Header.Set("X-Docflow-User", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s as %s: %d\n%.2000s", path, user, resp.StatusCode, b)
	}
	return string(b)
}

func devPost(t *testing.T, m *Main, user, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", m.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Docflow-User", user)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
