package outbox_test

import (
	"context"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow"
	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/outboxtest"
	"github.com/docflow/docflow/internal/outbox/robot"
	"github.com/docflow/docflow/internal/outbox/smtpmail"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// clock is the tests' time: it moves only when a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type env struct {
	svc    *workflow.Service
	store  *localstore.Store
	sender *outbox.Sender
	clock  *clock
	mail   *outboxtest.Mailpit
	wecom  *outboxtest.Receiver // 区妇联's group
	ding   *outboxtest.Receiver // 区卫健委's group, signed
	ids    map[string]workflow.Identity
	admin  workflow.Identity
}

// newEnv sets up the fixture office over SQLite with its people reachable:
// every department's staff and head by email, except 区妇联's, who chose
// their 企业微信 group, and 区卫健委's, whose 钉钉 group robot signs its
// posts. Mail goes to a mailpit the test starts.
func newEnv(t *testing.T) *env {
	t.Helper()
	mp := outboxtest.StartMailpit(t)
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	clk := &clock{t: workflow.Day(2025, 10, 20).Add(9 * time.Hour)}
	e := &env{store: st, clock: clk, mail: mp, ids: map[string]workflow.Identity{}}
	e.wecom = outboxtest.NewReceiver(t, "")
	e.ding = outboxtest.NewReceiver(t, "SEC0123456789abcdef")
	e.ding.Now = clk.Now
	seed.Notify.Robots = []workflow.Robot{
		{Dept: "区妇联", Kind: workflow.WeCom, URL: e.wecom.URL},
		{Dept: "区卫健委", Kind: workflow.DingTalk, URL: e.ding.URL, Secret: e.ding.Secret},
	}
	for i := range acc {
		a := &acc[i]
		switch a.Dept {
		case "区妇联":
			a.Notify = workflow.ByRobot
		case "区卫健委":
			// no address: the default reaches them through the robot
		default:
			a.Email = a.User + "@example.gov.cn"
		}
		e.ids[a.User] = a.Identity()
		if a.Has(workflow.Admin) {
			e.admin = a.Identity()
		}
	}
	e.svc = &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: st, Outbox: st, Now: clk.Now}
	workflowtest.SetUp(t, e.svc, seed, acc)
	e.sender = &outbox.Sender{Outbox: st, Dir: st, Now: clk.Now, BaseURL: "https://docflow.example.gov.cn",
		Mail:   &smtpmail.Mailer{Addr: mp.SMTP, From: "docflow <docflow@example.gov.cn>", Now: clk.Now},
		Robots: &robot.Client{Now: clk.Now}}
	return e
}

// dispatchFixture opens the fixture case and assigns it as
// assignments.txt says: 13 parts, 9 lead departments, 14 in all.
func (e *env) dispatchFixture(t *testing.T) *workflow.Case {
	t.Helper()
	ctx := t.Context()
	fix, _ := fs.Sub(docflow.Fixtures, docflow.FixtureCase)
	text, _ := fs.ReadFile(fix, "opinion.txt")
	planText, _ := fs.ReadFile(fix, "assignments.txt")
	o, err := opinion.Parse("opinion.txt", text, opinion.Options{DefaultMonths: 6})
	if err != nil {
		t.Fatal(err)
	}
	clerk := e.ids["clerk"]
	c, err := e.svc.Intake(ctx, clerk, workflow.Source{Name: "opinion.txt"}, text, o)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := demo.ParsePlan(string(planText))
	if err != nil {
		t.Fatal(err)
	}
	var as []workflow.Assignment
	for _, p := range plan {
		id, err := p.ItemID(c.Opinion.Items)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, workflow.Assignment{Item: id, Lead: p.Lead, Co: p.Co})
	}
	if c, err = e.svc.Assign(ctx, clerk, c.ID, c.Version, as); err != nil {
		t.Fatal(err)
	}
	if c, err = e.svc.Dispatch(ctx, clerk, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) once(t *testing.T) outbox.Report {
	t.Helper()
	rep, err := e.sender.Once(t.Context())
	if err != nil {
		t.Fatalf("Sender.Once: %v", err)
	}
	return rep
}

// batches returns the whole outbox, newest first.
func (e *env) batches(t *testing.T) []workflow.Batch {
	t.Helper()
	p, err := e.store.Batches(t.Context(), workflow.OutboxQuery{Limit: workflow.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	return p.Batches
}

// TestFixtureAssignment: the fixture case's 交办 tells each of the 14
// departments involved once — twelve by one email to their staff and head,
// 区妇联 through its 企业微信 group, 区卫健委 through its signed 钉钉 group
// — naming every part it leads or co-handles by its full number, so that
// 一（一） and 二（一） are not confused; and one pass of the sender
// delivers exactly that: 12 emails in mailpit, one post to each robot.
func TestFixtureAssignment(t *testing.T) {
	e := newEnv(t)
	c := e.dispatchFixture(t)
	bs := e.batches(t)
	if len(bs) != 1 {
		t.Fatalf("%d batches after intake, assignment and dispatch; want 1 (dispatch's)", len(bs))
	}
	per := map[string][]workflow.Notification{}
	for _, m := range bs[0].Messages {
		per[m.To] = append(per[m.To], m)
	}
	leads := map[string]bool{}
	for _, s := range c.Sections {
		leads[s.Lead] = true
	}
	if len(leads) != 9 || len(c.Depts()) != 14 {
		t.Fatalf("fixture: %d lead departments, %d involved; want 9, 14", len(leads), len(c.Depts()))
	}
	for _, d := range c.Depts() {
		ms := per["dept:"+d]
		if len(ms) != 1 {
			t.Errorf("%s: %d messages; want exactly 1", d, len(ms))
			continue
		}
		m := ms[0]
		want := workflow.ByEmail
		if d == "区妇联" || d == "区卫健委" {
			want = workflow.ByRobot
		}
		if m.Channel != want || m.Kind != workflow.NoteAssigned || m.State != workflow.Pending {
			t.Errorf("%s: %s %s %s; want %s assigned pending", d, m.Channel, m.Kind, m.State, want)
		}
		for _, s := range c.Sections {
			role := ""
			switch {
			case s.Lead == d:
				role = "主办 "
			case slices.Contains(s.Co, d):
				role = "协办 "
			default:
				continue
			}
			if line := role + c.SectionPath(s.ID) + "「"; !strings.Contains(m.Text, line) {
				t.Errorf("%s's message does not name %s%s:\n%s", d, role, c.SectionPath(s.ID), m.Text)
			}
		}
	}
	if len(per) != 14 {
		t.Errorf("messages to %d audiences; want the 14 departments only", len(per))
	}
	if !strings.Contains(per["dept:区妇儿工委办"][0].Text, "主办 一（一）「") || !strings.Contains(per["dept:区卫健委"][0].Text, "主办 二（一）「") {
		t.Errorf("the two （一） are not told apart:\n%s\n%s", per["dept:区妇儿工委办"][0].Text, per["dept:区卫健委"][0].Text)
	}

	rep := e.once(t)
	if rep.Sent != 14 || rep.Failed != 0 || rep.Retried != 0 {
		t.Errorf("first pass: %v; want 14 sent", rep)
	}
	mails := e.mail.Mails(t)
	if len(mails) != 12 {
		t.Fatalf("mailpit received %d emails; want 12, one a department", len(mails))
	}
	for _, m := range mails {
		var to []string
		for _, a := range m.To {
			to = append(to, a.Address)
		}
		sort.Strings(to)
		dept := ""
		for _, d := range c.Depts() {
			if strings.HasPrefix(m.Text, d+"：") {
				dept = d
			}
		}
		var want []string
		for _, a := range e.ids {
			if a.Dept == dept && dept != "" {
				want = append(want, a.User+"@example.gov.cn")
			}
		}
		sort.Strings(want)
		if dept == "" || !slices.Equal(to, want) {
			t.Errorf("email %q to %v; want it addressed to a department, to its staff and head %v", m.Subject, to, want)
		}
		if !strings.HasPrefix(m.Subject, "【交办】"+c.Opinion.Number) || !strings.Contains(m.Text, "https://docflow.example.gov.cn/cases/"+c.ID+"/sections/") {
			t.Errorf("email %q lacks the kind, case or link:\n%s", m.Subject, m.Text)
		}
	}
	for name, r := range map[string]*outboxtest.Receiver{"企业微信 (区妇联)": e.wecom, "钉钉 (区卫健委)": e.ding} {
		if posts := r.Posts(); len(posts) != 1 || !strings.HasPrefix(posts[0].Content, "【交办】") {
			t.Errorf("%s: posts %+v; want one 【交办】 post", name, posts)
		}
	}
	if q := e.ding.Posts()[0].Query; !strings.Contains(q, "sign=") || !strings.Contains(q, "timestamp=") {
		t.Errorf("钉钉 post not signed: %s", q)
	}
}

// TestRetriedSendNoDuplicate: senders run again, and two at once, and
// nobody gets a message twice: each message is claimed by one sender
// (the save at the version read), and a message sent is not due again.
// What was tried: a second pass after the first; then, for a new batch,
// four senders racing over it.
func TestRetriedSendNoDuplicate(t *testing.T) {
	e := newEnv(t)
	c := e.dispatchFixture(t)
	if rep := e.once(t); rep.Sent != 14 {
		t.Fatalf("first pass: %v", rep)
	}
	if rep := e.once(t); rep != (outbox.Report{}) {
		t.Errorf("second pass: %v; want nothing to do", rep)
	}
	e.clock.Add(time.Hour)
	if rep := e.once(t); rep != (outbox.Report{}) {
		t.Errorf("pass an hour later: %v; want nothing to do", rep)
	}
	// A reminder of each part: nine lead departments told once each, by
	// whichever sender claims first.
	for _, s := range c.Sections {
		if _, err := e.svc.Remind(t.Context(), e.ids["clerk"], c.ID, s.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total outbox.Report
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := *e.sender
			rep, err := s.Once(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total.Sent += rep.Sent
			total.Failed += rep.Failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total.Sent != len(c.Sections) || total.Failed != 0 {
		t.Errorf("four senders at once: %+v; want %d sent in all", total, len(c.Sections))
	}
	reminders := 0
	for _, m := range e.mail.Mails(t) {
		if strings.HasPrefix(m.Subject, "【催办】") {
			reminders++
		}
	}
	robots := len(e.wecom.Posts()) + len(e.ding.Posts())
	// 13 parts: 11 led by departments reached by email, 2 by robots (三 and
	// 一（三） by 区妇联, 二（一） by 区卫健委 — 3 posts).
	if reminders+robots-2 != len(c.Sections) {
		t.Errorf("%d reminder emails and %d robot posts (2 of them the dispatch's); want %d reminders, each once", reminders, robots, len(c.Sections))
	}
}

// TestFailingWebhookBackoff: a robot that fails is tried again after 1,
// 2, 4, … minutes (never before), given up after workflow.MaxTries
// tries with the error kept, and sent after a clerk's retry once it
// works. Time moves only by the test's clock.
func TestFailingWebhookBackoff(t *testing.T) {
	e := newEnv(t)
	e.dispatchFixture(t)
	e.wecom.Fail(true)
	e.once(t)
	find := func() workflow.Notification {
		for _, m := range e.batches(t)[0].Messages {
			if m.To == "dept:区妇联" {
				return m
			}
		}
		t.Fatal("no message to 区妇联")
		return workflow.Notification{}
	}
	for try := 1; try <= workflow.MaxTries; try++ {
		m := find()
		if e.wecom.Tries() != try || m.Tries != try {
			t.Fatalf("after try %d: the robot saw %d posts, the message counts %d tries", try, e.wecom.Tries(), m.Tries)
		}
		if !strings.Contains(m.Error, "HTTP 500") {
			t.Errorf("try %d: error %q; want the robot's HTTP 500", try, m.Error)
		}
		if try == workflow.MaxTries {
			if m.State != workflow.Failed {
				t.Fatalf("after %d tries: %s; want failed", try, m.State)
			}
			break
		}
		if wait := m.Next.Sub(e.clock.Now()); m.State != workflow.Pending || wait != workflow.Backoff(try) {
			t.Fatalf("after try %d: %s, next try in %v; want pending, in %v", try, m.State, wait, workflow.Backoff(try))
		}
		e.clock.Set(m.Next.Add(-time.Second))
		e.once(t)
		if e.wecom.Tries() != try {
			t.Fatalf("tried again %v before its time", time.Second)
		}
		e.clock.Set(m.Next)
		e.once(t)
	}
	if want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, 64 * time.Minute, 2 * time.Hour, 2 * time.Hour}; !slices.Equal(backoffs(), want) {
		t.Errorf("backoff %v; want %v", backoffs(), want)
	}
	e.clock.Add(24 * time.Hour)
	e.once(t)
	if e.wecom.Tries() != workflow.MaxTries {
		t.Errorf("a failed message was tried again by itself: %d tries", e.wecom.Tries())
	}
	// The other 13 departments were told meanwhile.
	sent := 0
	for _, m := range e.batches(t)[0].Messages {
		if m.State == workflow.Sent {
			sent++
		}
	}
	if sent != 13 {
		t.Errorf("%d messages sent; want the 13 whose channels work", sent)
	}
	e.wecom.Fail(false)
	if _, err := e.svc.RetryMessage(t.Context(), e.ids["fulian-staff"], e.batches(t)[0].ID, find().ID); workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("a department's retry: %v; want forbidden", err)
	}
	if _, err := e.svc.RetryMessage(t.Context(), e.ids["clerk"], e.batches(t)[0].ID, find().ID); err != nil {
		t.Fatal(err)
	}
	e.once(t)
	if m := find(); m.State != workflow.Sent || len(e.wecom.Posts()) != 1 {
		t.Errorf("after the clerk's retry: %s, %d posts; want sent, 1", m.State, len(e.wecom.Posts()))
	}
}

func backoffs() []time.Duration {
	var out []time.Duration
	for i := 1; i < workflow.MaxTries; i++ {
		out = append(out, workflow.Backoff(i))
	}
	return out
}

// TestUnreachable: a department nobody can be told is recorded as such,
// failed at once, so that the clerk sees it; nothing is sent for it.
func TestUnreachable(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for _, u := range []string{"jiaoyu-staff", "jiaoyu-head"} {
		a, err := e.store.Account(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		a.Email = ""
		if _, err := e.svc.SaveAccount(ctx, e.admin, a.Version, *a, "去掉邮箱"); err != nil {
			t.Fatal(err)
		}
	}
	e.dispatchFixture(t)
	for _, m := range e.batches(t)[0].Messages {
		if m.To != "dept:区教育局" {
			continue
		}
		if m.Channel != "" || m.State != workflow.Failed || !strings.Contains(m.Error, "没有填写邮箱") {
			t.Errorf("区教育局: %s %s %q; want failed at once, saying no one has an address", m.Channel, m.State, m.Error)
		}
	}
	if rep := e.once(t); rep.Sent != 13 {
		t.Errorf("pass: %v; want the 13 others sent", rep)
	}
	if _, err := e.svc.RetryMessage(ctx, e.ids["clerk"], e.batches(t)[0].ID, workflow.Hash([]byte("x"))[:20]); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("retry of a message not there: %v; want not found", err)
	}
}
