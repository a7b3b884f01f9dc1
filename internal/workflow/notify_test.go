package workflow_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// clockEnv is the fixture office with a clock that moves only when the
// test moves it, and everyone reachable by email.
type clockEnv struct {
	t     *testing.T
	svc   *workflow.Service
	st    *localstore.Store
	ids   map[string]workflow.Identity
	mu    sync.Mutex
	now   time.Time
	seen  int // batches already looked at
	admin workflow.Identity
}

func newClockEnv(t *testing.T, rules workflow.NotifySettings) *clockEnv {
	t.Helper()
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed, _ := templates.Office(templates.FS)
	seed.Notify = rules
	acc, _ := templates.Accounts(templates.FS)
	e := &clockEnv{t: t, st: st, ids: map[string]workflow.Identity{}, now: workflow.Day(2025, 7, 15).Add(9 * time.Hour)}
	for i := range acc {
		acc[i].Email = acc[i].User + "@example.gov.cn"
		e.ids[acc[i].User] = acc[i].Identity()
	}
	e.svc = &workflow.Service{Store: st, Blobs: st.Blobs(), Render: fakeRender{}, Dir: st, Outbox: st, Now: e.clock}
	workflowtest.SetUp(t, e.svc, seed, acc)
	e.admin = e.ids["admin"]
	return e
}

func (e *clockEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *clockEnv) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

// told returns "kind→target" of each message written since the last call,
// oldest batch first.
func (e *clockEnv) told(t *testing.T) []string {
	t.Helper()
	p, err := e.st.Batches(context.Background(), workflow.OutboxQuery{Limit: workflow.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(p.Batches) - e.seen - 1; i >= 0; i-- {
		for _, m := range p.Batches[i].Messages {
			out = append(out, string(m.Kind)+"→"+m.To)
		}
	}
	e.seen = len(p.Batches)
	return out
}

func (e *clockEnv) ok(c *workflow.Case, err error) *workflow.Case {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	e.set(e.clock().Add(time.Minute))
	return c
}

// TestNotesAlongTheCase takes a case through every stage and checks who
// is told after each action, and that actions nobody needs to hear of
// (saving a draft, accepting it, compiling) tell nobody.
func TestNotesAlongTheCase(t *testing.T) {
	e := newClockEnv(t, workflow.NotifySettings{})
	ctx := context.Background()
	clerk := e.ids["clerk"]
	c := e.ok(e.svc.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, []byte("notes"), opinionN(1)))
	c = e.ok(e.svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{
		{Item: "1", Lead: "区妇儿工委办", Co: []string{"区卫健委"}}, {Item: "1.1", Lead: "区卫健委"}, {Item: "2", Lead: "区妇联"}}))
	step := func(what string, want ...string) {
		t.Helper()
		got := e.told(t)
		if !slices.Equal(got, want) {
			t.Errorf("%s told %v; want %v", what, got, want)
		}
	}
	step("intake and assignment")
	c = e.ok(e.svc.Dispatch(ctx, clerk, c.ID))
	step("dispatch", "assigned→dept:区妇儿工委办", "assigned→dept:区卫健委", "assigned→dept:区妇联")
	c = e.ok(e.svc.Remind(ctx, clerk, c.ID, "s2", "请于本周内报送。"))
	step("a reminder", "reminded→dept:区卫健委")
	for _, s := range c.Sections {
		lead := map[string]string{"区妇儿工委办": "fuer", "区卫健委": "weijian", "区妇联": "fulian"}[s.Lead]
		c = e.ok(e.svc.SaveSection(ctx, e.ids[lead+"-staff"], c.ID, s.ID, 0, "标题", "正文。", ""))
		sec, _ := c.Section(s.ID)
		c = e.ok(e.svc.SubmitSection(ctx, e.ids[lead+"-head"], c.ID, s.ID, sec.Rev))
	}
	step("saves and submissions", "submitted→office", "submitted→office", "submitted→office")
	sec, _ := c.Section("s3")
	c = e.ok(e.svc.ReturnSection(ctx, clerk, c.ID, "s3", sec.Rev, "请补充数据。"))
	step("a return", "returned→dept:区妇联")
	sec, _ = c.Section("s3")
	c = e.ok(e.svc.SubmitSection(ctx, e.ids["fulian-head"], c.ID, "s3", sec.Rev))
	for _, s := range c.Sections {
		sec, _ := c.Section(s.ID)
		c = e.ok(e.svc.AcceptSection(ctx, clerk, c.ID, s.ID, sec.Rev))
	}
	c = e.ok(e.svc.Compile(ctx, clerk, c.ID))
	step("resubmission, acceptance, compiling", "submitted→office")
	chain := []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "会签", Signers: []string{"fuer-head", "weijian-head"}},
		{Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}
	c = e.ok(e.svc.StartSignoff(ctx, clerk, c.ID, chain))
	step("the chain started", "turn→@reviewer")
	sum := c.Report.Current.Sum
	c = e.ok(e.svc.Approve(ctx, e.ids["reviewer"], c.ID, sum, "同意"))
	step("核稿 approved", "approved→office", "turn→@fuer-head", "turn→@weijian-head")
	c = e.ok(e.svc.Approve(ctx, e.ids["fuer-head"], c.ID, sum, "同意"))
	step("one countersigner of two", "approved→office")
	c = e.ok(e.svc.SaveReport(ctx, clerk, c.ID, c.Report.Rev, c.Report.Current.Heading, "区人大常委会", "改过的正文。", "改"))
	step("the report edited during sign-off", "turn→@reviewer")
	c = e.ok(e.svc.ReturnReport(ctx, e.ids["reviewer"], c.ID, c.Report.Current.Sum, "请再核对。"))
	step("the report returned", "report-returned→office")
	c = e.ok(e.svc.StartSignoff(ctx, clerk, c.ID, chain))
	step("the chain started again", "turn→@reviewer")
	for _, u := range []string{"reviewer", "fuer-head", "weijian-head", "deputy", "mayor"} {
		c = e.ok(e.svc.Approve(ctx, e.ids[u], c.ID, c.Report.Current.Sum, "同意"))
	}
	step("every step approved", "approved→office", "turn→@fuer-head", "turn→@weijian-head", "approved→office", "approved→office", "turn→@deputy",
		"approved→office", "turn→@mayor", "approved→office")
	c = e.ok(e.svc.Publish(ctx, clerk, c.ID, workflow.Day(2025, 12, 1)))
	step("publication", "published→office", "published→dept:区妇儿工委办", "published→dept:区卫健委", "published→dept:区妇联")
	if c.Stage != workflow.Published {
		t.Fatal(c.Stage)
	}
}

// TestNoteTexts: what a message says names the case, the part by its full
// number, heading and department, and what the clerk wrote.
func TestNoteTexts(t *testing.T) {
	e := newClockEnv(t, workflow.NotifySettings{})
	ctx := context.Background()
	clerk := e.ids["clerk"]
	c := e.ok(e.svc.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, []byte("texts"), opinionN(2)))
	c = e.ok(e.svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区妇儿工委办"}, {Item: "1.1", Lead: "区卫健委", Due: workflow.Day(2025, 7, 20)}}))
	c = e.ok(e.svc.Dispatch(ctx, clerk, c.ID))
	e.set(workflow.Day(2025, 7, 22).Add(10 * time.Hour))
	c = e.ok(e.svc.Remind(ctx, clerk, c.ID, "s2", "请今天报送。"))
	if got := c.SectionPath("s2"); got != "一（一）" {
		t.Errorf("SectionPath(s2) = %q; want 一（一）", got)
	}
	p, _ := e.st.Batches(ctx, workflow.OutboxQuery{})
	m := p.Batches[0].Messages[0]
	want := []string{"区卫健委：", "静会〔2025〕2号", "一（一）「发挥议事协调机构作用」（区卫健委主办）", "办理期限 2025年7月20日", "已逾期 2 天", "王敏催办：请今天报送。"}
	for _, w := range want {
		if !strings.Contains(m.Text, w) {
			t.Errorf("reminder text lacks %q:\n%s", w, m.Text)
		}
	}
	if m.Subject != "【催办】静会〔2025〕2号《"+c.Opinion.Title+"》" || m.Link != "/cases/"+c.ID+"/sections/s2" {
		t.Errorf("subject %q, link %q", m.Subject, m.Link)
	}
	evs, _ := e.svc.History(ctx, clerk, c.ID, "s2", 0, 1)
	if !strings.Contains(evs[0].Detail, "一（一）「发挥议事协调机构作用」（区卫健委主办）") {
		t.Errorf("the reminder's event %q does not name the part unambiguously", evs[0].Detail)
	}
}

// TestRoute: each person reached as they chose; one email for all who
// want email, one post of the group's robot for all who want it; nobody
// told twice; an audience nobody can reach recorded as failed at once.
func TestRoute(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ns := &workflow.NotifySettings{Robots: []workflow.Robot{{Dept: "区妇联", Kind: workflow.WeCom, URL: "https://qyapi.weixin.qq.com/x"}, {Kind: workflow.DingTalk, URL: "https://oapi.dingtalk.com/x"}}}
	n := workflow.Note{Event: "c1/s1/3", Kind: workflow.NoteReminded, To: workflow.Audience{Dept: "区妇联"}, Subject: "【催办】", Text: "请报送。"}
	acct := func(user, email string, ch workflow.Channel) workflow.Account {
		return workflow.Account{User: user, Name: user, Dept: "区妇联", Email: email, Notify: ch}
	}
	type want struct {
		ch     workflow.Channel
		people []string
		state  workflow.MessageState
	}
	for _, tc := range []struct {
		name string
		who  []workflow.Account
		want []want
	}{
		{"by default, email where there is an address", []workflow.Account{acct("a", "a@x.cn", ""), acct("b", "b@x.cn", "")},
			[]want{{workflow.ByEmail, []string{"a", "b"}, workflow.Pending}}},
		{"the robot for those without an address", []workflow.Account{acct("a", "a@x.cn", ""), acct("b", "", "")},
			[]want{{workflow.ByEmail, []string{"a"}, workflow.Pending}, {workflow.ByRobot, nil, workflow.Pending}}},
		{"the robot chosen, one post for all", []workflow.Account{acct("a", "a@x.cn", workflow.ByRobot), acct("b", "", workflow.ByRobot)},
			[]want{{workflow.ByRobot, nil, workflow.Pending}}},
		{"off is off", []workflow.Account{acct("a", "a@x.cn", workflow.ByNone)}, nil},
		{"nobody reachable", []workflow.Account{acct("a", "", workflow.ByEmail)}, []want{{"", nil, workflow.Failed}}},
		{"nobody there", nil, []want{{"", nil, workflow.Failed}}},
	} {
		got := workflow.Route(n, tc.who, ns, at)
		var g []want
		for _, m := range got {
			g = append(g, want{m.Channel, m.People, m.State})
			if m.State == workflow.Pending && !m.Next.Equal(at) || !strings.HasPrefix(m.Text, "区妇联：") {
				t.Errorf("%s: %+v", tc.name, m)
			}
		}
		if fmt.Sprint(g) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, g, tc.want)
		}
	}
	// One person without a department, who chose the robot: the office's.
	m := workflow.Route(workflow.Note{Event: "c1//9", To: workflow.Audience{User: "mayor"}}, []workflow.Account{{User: "mayor", Name: "陈勇", Notify: workflow.ByRobot}}, ns, at)
	if len(m) != 1 || m[0].Robot != "" || m[0].Channel != workflow.ByRobot || m[0].ToName != "陈勇" {
		t.Errorf("a signer without a department by robot: %+v; want the office's robot", m)
	}
	// The same note routed twice gives the same IDs: one event, one
	// audience, one channel is one message.
	a, b := workflow.Route(n, []workflow.Account{acct("a", "a@x.cn", "")}, ns, at), workflow.Route(n, []workflow.Account{acct("a", "a@x.cn", "")}, ns, at.Add(time.Hour))
	if a[0].ID != b[0].ID {
		t.Errorf("IDs %s, %s; want the same", a[0].ID, b[0].ID)
	}
}

// TestRemindersOncePerPeriod drives the clock through a part's due date
// and a sign-off step's wait and checks that each rule reminds once per
// period, whenever and however often the rules are checked.
func TestRemindersOncePerPeriod(t *testing.T) {
	e := newClockEnv(t, workflow.NotifySettings{DueSoon: 3, Overdue: 2, Waiting: 24})
	ctx := context.Background()
	clerk := e.ids["clerk"]
	c := e.ok(e.svc.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, []byte("rules"), opinionN(3)))
	c = e.ok(e.svc.Assign(ctx, clerk, c.ID, c.Version, []workflow.Assignment{
		{Item: "1", Lead: "区妇儿工委办", Due: workflow.Day(2025, 8, 10)}, {Item: "2", Lead: "区妇联", Due: workflow.Day(2025, 8, 20)}}))
	c = e.ok(e.svc.Dispatch(ctx, clerk, c.ID))
	e.told(t)
	check := func(day int, hour int, want ...string) {
		t.Helper()
		e.set(workflow.Day(2025, 8, day).Add(time.Duration(hour) * time.Hour))
		n, err := e.svc.CheckDeadlines(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := e.told(t)
		if n != len(want) || !slices.Equal(got, want) {
			t.Errorf("8月%d日 %d时: %d reminders, told %v; want %v", day, hour, n, got, want)
		}
	}
	check(6, 9)                                              // four days before s1's due date: nothing yet
	check(7, 9, "due-soon→dept:区妇儿工委办")                      // three days before
	check(7, 18)                                             // the same day again
	check(9, 9)                                              // a day later: the same period
	check(10, 9)                                             // due today: reminded already
	check(11, 9, "overdue→dept:区妇儿工委办")                      // a day late
	check(12, 9)                                             // two days late: every 2 days
	check(13, 9, "overdue→dept:区妇儿工委办")                      // three days late
	check(17, 9, "overdue→dept:区妇儿工委办", "due-soon→dept:区妇联") // seven days late (one reminder for days 5–7 missed), and s2 three days before
	// Concurrent checks (the ticker, and a second server on the same
	// data) remind once between them.
	e.set(workflow.Day(2025, 8, 19).Add(9 * time.Hour))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); e.svc.CheckDeadlines(ctx) }()
	}
	wg.Wait()
	if got := e.told(t); !slices.Equal(got, []string{"overdue→dept:区妇儿工委办"}) {
		t.Errorf("four checks at once on 8月19日 told %v; want one overdue reminder", got)
	}
	// Submitted parts are no longer chased.
	for _, s := range c.Sections {
		lead := map[string]string{"区妇儿工委办": "fuer", "区妇联": "fulian"}[s.Lead]
		c = e.ok(e.svc.SaveSection(ctx, e.ids[lead+"-staff"], c.ID, s.ID, 0, "标题", "正文。", ""))
		sec, _ := c.Section(s.ID)
		c = e.ok(e.svc.SubmitSection(ctx, e.ids[lead+"-head"], c.ID, s.ID, sec.Rev))
		sec, _ = c.Section(s.ID)
		c = e.ok(e.svc.AcceptSection(ctx, clerk, c.ID, s.ID, sec.Rev))
	}
	e.told(t)
	check(25, 9)

	// Sign-off: the step waiting 24 hours reminds its signer, every 24 hours.
	c = e.ok(e.svc.Compile(ctx, clerk, c.ID))
	e.set(workflow.Day(2025, 8, 26).Add(9 * time.Hour))
	c = e.ok(e.svc.StartSignoff(ctx, clerk, c.ID, []workflow.Step{{Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	e.told(t)
	check(27, 8)                    // 23 h
	check(27, 9, "waiting→@deputy") // 24 h
	check(28, 8)                    // 47 h
	check(28, 9, "waiting→@deputy") // 48 h
	evs, _ := e.svc.History(ctx, clerk, c.ID, "", 0, 1)
	if evs[0].Action != "alert" || evs[0].Alert == nil || evs[0].Alert.Hours != 48 || !strings.Contains(evs[0].Detail, "「审核」环节已等待签批 48 小时") {
		t.Errorf("the reminder's event: %+v", evs[0])
	}
	if _, err := e.svc.Verify(ctx, c.ID); err != nil {
		t.Errorf("the audit trail after automatic reminders: %v", err)
	}
	// 审核 approved at 8月28日 9时: 签发 waits from then.
	e.ok(e.svc.Approve(ctx, e.ids["deputy"], c.ID, c.Report.Current.Sum, "同意"))
	e.told(t)
	check(29, 8)                   // 23 h after this turn (72 h after the chain started)
	check(29, 9, "waiting→@mayor") // 24 h
}
