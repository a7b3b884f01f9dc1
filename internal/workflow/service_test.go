package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// fakeRender stands in for package notice, whose own tests cover layout;
// here only the workflow around rendering matters.
type fakeRender struct{}

func (fakeRender) Render(_ context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	seal := "no seal"
	if n.Seal != nil {
		seal = "seal " + workflow.Hash(n.Seal)
	}
	return []workflow.Rendered{{Name: "notice.html", ContentType: "text/html; charset=utf-8",
		Data: []byte(n.Number + "\n" + n.Title + "\n" + n.Body + "\n" + seal + "\n印发 " + workflow.DateCN(n.Printed) + "\n附注 " + n.Note)}}, nil
}

// flakyBlobs fails PutFile while failing is set, as S3 might mid-publication.
type flakyBlobs struct {
	workflow.Blobs
	failing atomic.Bool
}

func (f *flakyBlobs) PutFile(ctx context.Context, key string, b []byte, ct string) error {
	if f.failing.Load() {
		return errors.New("injected: storage unavailable")
	}
	return f.Blobs.PutFile(ctx, key, b, ct)
}

type env struct {
	svc   *workflow.Service
	blobs *flakyBlobs
	ids   map[string]workflow.Identity
	ctx   context.Context
	tb    testing.TB
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	st, err := localstore.Open(tb.TempDir(), localstore.WithoutSync())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	seed, err := templates.Office(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	fb := &flakyBlobs{Blobs: st.Blobs()}
	e := &env{blobs: fb, ctx: context.Background(), ids: map[string]workflow.Identity{}, tb: tb}
	for _, a := range acc {
		e.ids[a.User] = a.Identity()
	}
	clock := workflow.Day(2025, 7, 15)
	var mu sync.Mutex
	e.svc = &workflow.Service{Store: st, Blobs: fb, Render: fakeRender{}, Dir: st,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Minute); return clock }}
	workflowtest.SetUp(tb, e.svc, seed, acc)
	return e
}

func (e *env) id(user string) workflow.Identity {
	id, ok := e.ids[user]
	if !ok {
		panic("no account " + user)
	}
	return id
}

// ok returns c, failing the test on err.
func (e *env) ok(c *workflow.Case, err error) *workflow.Case {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

// must is ok for other types; it panics, so only use it on the test's goroutine.
func must2[T, U any](v T, w U, err error) (T, U) {
	if err != nil {
		panic(err)
	}
	return v, w
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// wantErr fails unless err has kind k and its message contains phrase.
func wantErr(tb testing.TB, what string, err error, k workflow.Kind, phrase string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s: succeeded; want a %s error", what, k)
	}
	if got := workflow.KindOf(err); got != k {
		tb.Fatalf("%s: error kind %s (%v); want %s", what, got, err, k)
	}
	if msg := workflow.Message(err); !strings.Contains(msg, phrase) {
		tb.Fatalf("%s: message %q; want it to say %q", what, msg, phrase)
	}
}

func opinionN(n int) *workflow.Opinion {
	return &workflow.Opinion{
		Issuer: "上海市静安区人民代表大会常务委员会", Number: fmt.Sprintf("静会〔2025〕%d号", n),
		Title:   "关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见",
		Session: "区第二届人大常委会第三十六次会议", ReplyTo: "区人大常委会", Addressee: "区人民政府",
		Date: workflow.Day(2025, 7, 10), Due: workflow.Day(2026, 1, 10),
		Items: []workflow.Item{
			{ID: "1", Level: 1, Label: "一、", Text: "完善工作机制"},
			{ID: "1.1", Level: 2, Label: "（一）", Text: "发挥议事协调机构作用"},
			{ID: "2", Level: 1, Label: "二、", Text: "强化宣传引导"},
		},
	}
}

// opened is a dispatched case: 一 and 一（一） to 区妇联, 二 to 区民政局 with
// 区妇联 co-handling.
func (e *env) opened(tb testing.TB, n int) *workflow.Case {
	tb.Helper()
	clerk := e.id("clerk")
	c, err := e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "o.txt"}, []byte(fmt.Sprint("opinion ", n)), opinionN(n))
	if err != nil {
		tb.Fatal(err)
	}
	c = e.ok(e.svc.Assign(e.ctx, clerk, c.ID, c.Version, []workflow.Assignment{
		{Item: "1", Lead: "区妇联"}, {Item: "1.1", Lead: "区妇联"}, {Item: "2", Lead: "区民政局", Co: []string{"区妇联"}},
	}))
	return e.ok(e.svc.Dispatch(e.ctx, clerk, c.ID))
}

// drafted takes an opened case to the point where the report is compiled.
func (e *env) compiled(tb testing.TB, n int) *workflow.Case {
	tb.Helper()
	c := e.opened(tb, n)
	for i, sec := range c.Sections {
		staff, head := e.deptUser(sec.Lead, "staff"), e.deptUser(sec.Lead, "head")
		c = e.ok(e.svc.SaveSection(e.ctx, staff, c.ID, sec.ID, 0, fmt.Sprint("标题", i), fmt.Sprint("正文", i, "。"), ""))
		c = e.ok(e.svc.SubmitSection(e.ctx, head, c.ID, sec.ID, c.Sections[i].Rev))
		c = e.ok(e.svc.AcceptSection(e.ctx, e.id("clerk"), c.ID, sec.ID, c.Sections[i].Rev))
	}
	return e.ok(e.svc.Compile(e.ctx, e.id("clerk"), c.ID))
}

var codes = map[string]string{"区妇联": "fulian", "区民政局": "minzheng"}

func (e *env) deptUser(dept, role string) workflow.Identity { return e.id(codes[dept] + "-" + role) }

// shortChain has the steps the office's policy requires and one more:
// 核稿 by reviewer, 审核 by deputy, 签发 by mayor.
var shortChain = []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}

// approved runs shortChain.
func (e *env) approved(tb testing.TB, n int) *workflow.Case {
	tb.Helper()
	c := e.compiled(tb, n)
	c = e.ok(e.svc.StartSignoff(e.ctx, e.id("clerk"), c.ID, shortChain))
	sum := c.Report.Current.Sum
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = e.ok(e.svc.Approve(e.ctx, e.id(u), c.ID, sum, "同意"))
	}
	return c
}

func TestOutOfTurnApprovalRefused(t *testing.T) {
	e := newEnv(t)
	c := e.compiled(t, 1)
	c = e.ok(e.svc.StartSignoff(e.ctx, e.id("clerk"), c.ID, nil)) // the profile's chain: 核稿 → 会签 → 审核 → 签发
	sum := c.Report.Current.Sum

	// The mayor (签发, last) tries to sign before 核稿 has.
	_, err := e.svc.Approve(e.ctx, e.id("mayor"), c.ID, sum, "同意")
	wantErr(t, "签发 before 核稿", err, workflow.Forbidden, "尚未轮到您签批：当前环节为「核稿」")

	// Someone in no step at all.
	_, err = e.svc.Approve(e.ctx, e.id("jiaoyu-head"), c.ID, sum, "同意")
	wantErr(t, "approval by a non-signer", err, workflow.Forbidden, "不在当前环节")

	c = e.ok(e.svc.Approve(e.ctx, e.id("reviewer"), c.ID, sum, "同意"))
	// The reviewer again on the same draft.
	_, err = e.svc.Approve(e.ctx, e.id("reviewer"), c.ID, sum, "同意")
	wantErr(t, "second approval", err, workflow.Forbidden, "不在当前环节")

	// 会签: both lead departments' heads, in any order; 审核 waits for both.
	c = e.ok(e.svc.Approve(e.ctx, e.id("minzheng-head"), c.ID, sum, "同意"))
	_, err = e.svc.Approve(e.ctx, e.id("deputy"), c.ID, sum, "同意")
	wantErr(t, "审核 before 会签 is complete", err, workflow.Forbidden, "待 fulian-head 签批")
	c = e.ok(e.svc.Approve(e.ctx, e.id("fulian-head"), c.ID, sum, "同意"))
	c = e.ok(e.svc.Approve(e.ctx, e.id("deputy"), c.ID, sum, "原则同意"))
	c = e.ok(e.svc.Approve(e.ctx, e.id("mayor"), c.ID, sum, "同意"))
	if c.Stage != workflow.Approved {
		t.Fatalf("after the whole chain: stage %s; want %s", c.Stage, workflow.Approved)
	}
	if got := len(c.Chain[3].Approvals); got != 1 || c.Chain[3].Approvals[0].Name == "" {
		t.Errorf("签发 record = %+v; want one approval with the signer's name", c.Chain[3].Approvals)
	}
}

func TestDepartmentCannotTouchAnothersSection(t *testing.T) {
	e := newEnv(t)
	c := e.opened(t, 1)
	minzheng := c.Sections[2] // 二, led by 区民政局
	_, err := e.svc.SaveSection(e.ctx, e.id("jiaoyu-staff"), c.ID, minzheng.ID, 0, "越权", "正文", "")
	wantErr(t, "区教育局 edits 区民政局's section", err, workflow.Forbidden, "区民政局 主办")
	_, err = e.svc.SaveSection(e.ctx, e.id("fulian-staff"), c.ID, minzheng.ID, 0, "越权", "正文", "")
	wantErr(t, "co-handler 区妇联 edits the lead's text", err, workflow.Forbidden, "只有该部门人员可以修改")
	_, err = e.svc.SubmitSection(e.ctx, e.id("fulian-head"), c.ID, minzheng.ID, 0)
	wantErr(t, "区妇联 head submits 区民政局's section", err, workflow.Forbidden, "区民政局 主办")
	_, err = e.svc.AddInput(e.ctx, e.id("jiaoyu-staff"), c.ID, minzheng.ID, "意见")
	wantErr(t, "a department that is not co-handling adds input", err, workflow.Forbidden, "协办部门")

	// What the department may see: its own sections' texts only.
	c = e.ok(e.svc.SaveSection(e.ctx, e.id("minzheng-staff"), c.ID, minzheng.ID, 0, "强化宣传", "正文。", ""))
	_, err = e.svc.Case(e.ctx, e.id("jiaoyu-staff"), c.ID)
	wantErr(t, "区教育局 reads a case it has no part in", err, workflow.NotFound, "无权查看")
	_, err = e.svc.Text(e.ctx, e.id("jiaoyu-staff"), c.ID, c.Sections[2].Current.Hash)
	wantErr(t, "区教育局 reads 区民政局's draft", err, workflow.NotFound, "无权查看")
	_, err = e.svc.History(e.ctx, e.id("jiaoyu-staff"), c.ID, minzheng.ID, 0, 10)
	wantErr(t, "区教育局 reads 区民政局's history", err, workflow.NotFound, "无权查看")
	fulianView := e.ok(e.svc.Case(e.ctx, e.id("fulian-staff"), c.ID))
	if n := fulianView.Sections[2].Current.N; n != 1 {
		t.Errorf("co-handler 区妇联 sees version %d of section 二; want 1", n)
	}
	if h := must(e.svc.History(e.ctx, e.id("fulian-staff"), c.ID, minzheng.ID, 0, 10)); len(h) != 1 || h[0].Version == nil {
		t.Errorf("co-handler 区妇联 reads %d events of section 二; want its one version", len(h))
	}
	if _, err := e.svc.History(e.ctx, e.id("fulian-staff"), c.ID, "", 0, 10); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("a department reads the case's own stream (the report's versions): %v; want NotFound", err)
	}
	// The forged department field: the clerk's identity with a department
	// is still not the department's staff role.
	forged := e.id("clerk")
	forged.Dept = "区民政局"
	_, err = e.svc.SaveSection(e.ctx, forged, c.ID, minzheng.ID, c.Sections[2].Rev, "冒名", "正文", "")
	wantErr(t, "clerk posing as 区民政局", err, workflow.Forbidden, "只有承办部门经办人或承办部门负责人")
}

func TestEditAfterApprovalVoidsIt(t *testing.T) {
	e := newEnv(t)
	c := e.compiled(t, 1)
	c = e.ok(e.svc.StartSignoff(e.ctx, e.id("clerk"), c.ID, shortChain))
	old := c.Report.Current
	c = e.ok(e.svc.Approve(e.ctx, e.id("reviewer"), c.ID, old.Sum, "同意"))
	if c.CurrentStep() != 1 {
		t.Fatalf("after 核稿 approved: current step %d; want 1 (签发)", c.CurrentStep())
	}
	body := must(e.svc.Text(e.ctx, e.id("clerk"), c.ID, old.Hash))
	c = e.ok(e.svc.SaveReport(e.ctx, e.id("clerk"), c.ID, c.Report.Rev, old.Heading, old.Addressee, body+"\n补充一句。\n", "补充"))
	if c.CurrentStep() != 0 {
		t.Fatalf("after the edit: current step %d; want 0 — the 核稿 approval was for the old draft", c.CurrentStep())
	}
	// The mayor holding the old draft, and even the new one, is out of turn
	// (签发 comes after 核稿 and 审核).
	_, err := e.svc.Approve(e.ctx, e.id("mayor"), c.ID, c.Report.Current.Sum, "同意")
	wantErr(t, "签发 after the edit voided 核稿", err, workflow.Forbidden, "当前环节为「核稿」")
	// The reviewer approving the draft they saw before the edit.
	_, err = e.svc.Approve(e.ctx, e.id("reviewer"), c.ID, old.Sum, "同意")
	wantErr(t, "approval naming the old draft", err, workflow.Conflict, "不是最新稿")
	evs, _ := must2(e.svc.Audit(e.ctx, e.id("clerk"), c.ID, "", 1))
	if last := evs[0]; last.Action != "save-report" || !strings.Contains(last.Detail, "已失效") {
		t.Errorf("last event %+v; want a save-report saying approvals were voided", last)
	}
	if _, err := e.svc.Verify(e.ctx, c.ID); err != nil {
		t.Error(err)
	}
	// The record of the voided approval is kept.
	if n := len(c.Chain[0].Approvals); n != 1 {
		t.Errorf("核稿 keeps %d approvals; want the voided one kept as history", n)
	}
}

func TestConcurrentSubmissionsOneConflicts(t *testing.T) {
	e := newEnv(t)
	c := e.opened(t, 1)
	sec := c.Sections[0]
	// Two people of 区妇联 save their edits, both starting from revision 0.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.SaveSection(e.ctx, e.deptUser("区妇联", "staff"), c.ID, sec.ID, 0, "标题", fmt.Sprint("第 ", i, " 人的稿子"), "")
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		default:
			wantErr(t, "losing save", err, workflow.Conflict, "已被他人修改")
		}
	}
	if won != 1 {
		t.Fatalf("%d of 8 saves on revision 0 succeeded; want exactly 1", won)
	}
	c = e.ok(e.svc.Case(e.ctx, e.id("clerk"), c.ID))
	if n := c.Sections[0].Current.N; n != 1 {
		t.Errorf("section has %d versions; want 1", n)
	}
	// Other departments' work is not caught in the conflict: their sections
	// are other records.
	other := c.Sections[2]
	if _, err := e.svc.SaveSection(e.ctx, e.deptUser("区民政局", "staff"), c.ID, other.ID, 0, "标题", "正文", ""); err != nil {
		t.Errorf("区民政局 saving its own section after 区妇联's race: %v", err)
	}
}

func TestConcurrentPublicationsConsecutiveNumbers(t *testing.T) {
	e := newEnv(t)
	const n = 100
	if err := e.svc.SetSeries(e.ctx, e.id("clerk"), "静府议", 2025, 17); err != nil {
		t.Fatal(err)
	}
	cases := make([]*workflow.Case, n)
	for i := range cases {
		cases[i] = e.approved(t, i+1)
	}
	nums := make([]int, n)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := e.svc.Publish(e.ctx, e.id("clerk"), c.ID, workflow.Day(2025, 12, 22))
			if err != nil {
				t.Errorf("publish %s: %v", c.ID, err)
				return
			}
			nums[i] = p.Publication.Seq
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, x := range nums {
		if seen[x] || x < 17 || x >= 17+n {
			t.Fatalf("numbers %v: %d is repeated or outside 17..%d", nums, x, 16+n)
		}
		seen[x] = true
	}
	last := must(e.svc.Store.Counter(e.ctx, "静府议", 2025))
	if last != 16+n {
		t.Errorf("counter at %d; want %d", last, 16+n)
	}
}

func TestRetriedPublicationKeepsItsNumber(t *testing.T) {
	e := newEnv(t)
	c := e.approved(t, 1)
	other := e.approved(t, 2)
	e.blobs.failing.Store(true)
	_, err := e.svc.Publish(e.ctx, e.id("clerk"), c.ID, workflow.Day(2025, 12, 22))
	if err == nil {
		t.Fatal("publish with storage failing succeeded")
	}
	c = e.ok(e.svc.Case(e.ctx, e.id("clerk"), c.ID))
	if c.Publication.Number() != "静府议〔2025〕1号" || c.Stage != workflow.Approved {
		t.Fatalf("after the failed attempt: number %q, stage %s; want 静府议〔2025〕1号 kept, stage approved", c.Publication.Number(), c.Stage)
	}
	e.blobs.failing.Store(false)
	// Another case publishes in between: it must not get number 1.
	o := e.ok(e.svc.Publish(e.ctx, e.id("clerk"), other.ID, workflow.Day(2025, 12, 23)))
	if o.Publication.Seq != 2 {
		t.Fatalf("the other case got %s; want 静府议〔2025〕2号", o.Publication.Number())
	}
	for try := 0; try < 2; try++ { // the retry, and a retry of the retry
		c = e.ok(e.svc.Publish(e.ctx, e.id("clerk"), c.ID, workflow.Day(2025, 12, 30)))
		if c.Publication.Number() != "静府议〔2025〕1号" || c.Stage != workflow.Published {
			t.Fatalf("retry %d: %s, stage %s; want 静府议〔2025〕1号, published", try, c.Publication.Number(), c.Stage)
		}
	}
	if !c.Publication.Date.Equal(workflow.Day(2025, 12, 22)) {
		t.Errorf("date %v; want the date of the first attempt, which the number was issued with", c.Publication.Date)
	}
	if last := must(e.svc.Store.Counter(e.ctx, "静府议", 2025)); last != 2 {
		t.Errorf("counter %d; want 2: two cases, two numbers", last)
	}
}

func TestStageRulesRefuseOutOfOrder(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	c := e.opened(t, 1)
	_, err := e.svc.Compile(e.ctx, clerk, c.ID)
	wantErr(t, "compile with no section accepted", err, workflow.Invalid, "尚未采用")
	_, err = e.svc.Publish(e.ctx, clerk, c.ID, time.Time{})
	wantErr(t, "publish while drafting", err, workflow.Invalid, "不能发布")
	_, err = e.svc.SubmitSection(e.ctx, e.deptUser("区妇联", "head"), c.ID, c.Sections[0].ID, 0)
	wantErr(t, "submit an empty section", err, workflow.Invalid, "还没有稿件")
	_, err = e.svc.SubmitSection(e.ctx, e.deptUser("区妇联", "staff"), c.ID, c.Sections[0].ID, 0)
	wantErr(t, "staff (not head) submits", err, workflow.Forbidden, "负责人")
	_, err = e.svc.Assign(e.ctx, clerk, c.ID, c.Version, nil)
	wantErr(t, "re-assign after dispatch", err, workflow.Invalid, "不能交办")
	_, err = e.svc.ReturnSection(e.ctx, clerk, c.ID, c.Sections[0].ID, 0, " ")
	wantErr(t, "return without a comment", err, workflow.Invalid, "须填写意见")
}

func TestAssignRejectsBadPlans(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	c, err := e.svc.Intake(e.ctx, clerk, workflow.Source{}, []byte("x"), opinionN(1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		plan   []workflow.Assignment
		phrase string
	}{
		{"unknown department (forged form field)", []workflow.Assignment{{Item: "1", Lead: "区宇宙局"}}, "不在部门名录"},
		{"unknown item", []workflow.Assignment{{Item: "9", Lead: "区妇联"}}, "没有编号"},
		{"item twice", []workflow.Assignment{{Item: "1", Lead: "区妇联"}, {Item: "1", Lead: "区民政局"}}, "重复交办"},
		{"level skipped", []workflow.Assignment{{Item: "1.1", Lead: "区妇联"}}, "不能跳级"},
		{"lead also co", []workflow.Assignment{{Item: "1", Lead: "区妇联", Co: []string{"区妇联"}}}, "既主办又协办"},
		{"due after the opinion's", []workflow.Assignment{{Item: "1", Lead: "区妇联", Due: workflow.Day(2026, 3, 1)}}, "晚于来文办理期限"},
		{"due in the past", []workflow.Assignment{{Item: "1", Lead: "区妇联", Due: workflow.Day(2025, 7, 1)}}, "已过（今天是 2025年7月15日）"},
		{"empty", nil, "为空"},
	}
	for _, tt := range tests {
		_, err := e.svc.Assign(e.ctx, clerk, c.ID, c.Version, tt.plan)
		wantErr(t, tt.name, err, workflow.Invalid, tt.phrase)
	}
	_, err = e.svc.Assign(e.ctx, e.id("fulian-staff"), c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区妇联"}})
	wantErr(t, "a department assigns", err, workflow.Forbidden, "区府办")
}

func TestIntakeTwiceOpensOneCase(t *testing.T) {
	e := newEnv(t)
	c, err := e.svc.Intake(e.ctx, e.id("clerk"), workflow.Source{Name: "a.txt"}, []byte("same bytes"), opinionN(1))
	if err != nil {
		t.Fatal(err)
	}
	again, err2 := e.svc.Intake(e.ctx, e.id("clerk"), workflow.Source{Name: "a.txt"}, []byte("same bytes"), opinionN(1))
	wantErr(t, "second intake of the same file", err2, workflow.Conflict, "已于")
	if again == nil || again.ID != c.ID {
		t.Fatalf("second intake returned %v; want the existing case %s", again, c.ID)
	}
	all := must(e.svc.Cases(e.ctx, e.id("clerk"), workflow.Query{}))
	if len(all.Cases) != 1 {
		t.Errorf("%d cases; want 1", len(all.Cases))
	}
}

func TestRemindKeepsTheDepartmentsWork(t *testing.T) {
	e := newEnv(t)
	c := e.opened(t, 1)
	sec := c.Sections[0]
	_, err := e.svc.Remind(e.ctx, e.deptUser("区民政局", "head"), c.ID, sec.ID, "")
	wantErr(t, "a department reminds", err, workflow.Forbidden, "区府办")
	c = e.ok(e.svc.Remind(e.ctx, e.id("clerk"), c.ID, sec.ID, ""))
	if got := c.Sections[0]; got.Reminds != 1 || got.Reminded == nil || got.Reminded.Text != workflow.DefaultReminder {
		t.Fatalf("reminders %d, last %+v; want one with the default text", got.Reminds, got.Reminded)
	}
	if c.Sections[0].Rev != sec.Rev {
		t.Errorf("a reminder moved the section revision %d → %d: the department's open edit would conflict", sec.Rev, c.Sections[0].Rev)
	}
	// The department saves on the revision it opened before the reminder.
	c = e.ok(e.svc.SaveSection(e.ctx, e.deptUser("区妇联", "staff"), c.ID, sec.ID, sec.Rev, "标题", "正文。", ""))
	evs := must(e.svc.History(e.ctx, e.id("clerk"), c.ID, sec.ID, 0, 50))
	var found bool
	for _, ev := range evs {
		found = found || ev.Action == "remind" && strings.Contains(ev.Detail, "区妇联")
	}
	if !found {
		t.Error("no remind event naming the department in the audit trail")
	}
	// Once submitted there is nothing to remind.
	c = e.ok(e.svc.SubmitSection(e.ctx, e.deptUser("区妇联", "head"), c.ID, sec.ID, c.Sections[0].Rev))
	_, err = e.svc.Remind(e.ctx, e.id("clerk"), c.ID, sec.ID, "再催")
	wantErr(t, "remind a submitted section", err, workflow.Invalid, "不能催办")
}

// TestSignoffPolicyHolds is separation of duties: whatever chain the clerk
// sends, the office's policy (审核 and 签发 required, each by a holder of
// it) holds, nobody signs twice or signs their own draft, and a disabled
// account signs nothing.
func TestSignoffPolicyHolds(t *testing.T) {
	e := newEnv(t)
	c := e.compiled(t, 1)
	clerk := e.id("clerk")
	tests := []struct {
		name   string
		chain  []workflow.Step
		phrase string
	}{
		// The attack the issue found: one department head as the whole chain.
		{"only 签发, by a department head", []workflow.Step{{Name: "签发", Signers: []string{"fuer-head"}}}, "必经环节"},
		{"审核 left out", []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "签发", Signers: []string{"mayor"}}}, "须依次包含必经环节"},
		{"required steps out of order", []workflow.Step{{Name: "签发", Signers: []string{"mayor"}}, {Name: "审核", Signers: []string{"deputy"}}}, "须依次包含必经环节"},
		{"签发 by someone without the right", []workflow.Step{{Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"reviewer"}}}, "没有「签发」的签批权限"},
		{"one person in two steps", []workflow.Step{{Name: "核稿", Signers: []string{"deputy"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}, "不能既在"},
		{"a signer who is no approver", []workflow.Step{{Name: "核稿", Signers: []string{"fulian-staff"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}, "不是登记的审核签发人"},
	}
	for _, tt := range tests {
		_, err := e.svc.StartSignoff(e.ctx, clerk, c.ID, tt.chain)
		wantErr(t, tt.name, err, workflow.Invalid, tt.phrase)
	}

	// The draft's author cannot sign it: the reviewer, made a clerk too,
	// edits the report and is then named in the chain.
	admin := e.id("admin")
	rev := must(e.svc.Dir.Account(e.ctx, "reviewer"))
	rev.Roles = append(rev.Roles, workflow.Clerk)
	rev = must(e.svc.SaveAccount(e.ctx, admin, rev.Version, *rev, "兼任经办人"))
	cur := c.Report.Current
	body := must(e.svc.Text(e.ctx, clerk, c.ID, cur.Hash))
	c = e.ok(e.svc.SaveReport(e.ctx, rev.Identity(), c.ID, c.Report.Rev, cur.Heading, cur.Addressee, body+"\n核稿人改了一句。\n", "核稿人修改"))
	_, err := e.svc.StartSignoff(e.ctx, clerk, c.ID, shortChain)
	wantErr(t, "the draft's author in the chain", err, workflow.Invalid, "起草人")

	// A signer disabled before the chain starts cannot be named.
	c = e.ok(e.svc.SaveReport(e.ctx, clerk, c.ID, c.Report.Rev, cur.Heading, cur.Addressee, body, "经办人改回"))
	mayor := must(e.svc.Dir.Account(e.ctx, "mayor"))
	mayor.Disabled = true
	must(e.svc.SaveAccount(e.ctx, admin, mayor.Version, *mayor, "停用"))
	_, err = e.svc.StartSignoff(e.ctx, clerk, c.ID, shortChain)
	wantErr(t, "a disabled signer", err, workflow.Invalid, "已停用")
}

// TestTextOfAVersionJustReplaced: a page read a section's current draft a
// moment before its author saved again. Asking for the text it was shown
// still works for whoever may read the section, and not for others.
func TestTextOfAVersionJustReplaced(t *testing.T) {
	e := newEnv(t)
	c := e.opened(t, 1)
	sec := c.Sections[0]
	staff := e.deptUser(sec.Lead, "staff")
	c = e.ok(e.svc.SaveSection(e.ctx, staff, c.ID, sec.ID, 0, "标题", "第一稿。", ""))
	first := c.Sections[0].Current.Hash
	c = e.ok(e.svc.SaveSection(e.ctx, staff, c.ID, sec.ID, c.Sections[0].Rev, "标题", "第二稿。", ""))
	if got, err := e.svc.Text(e.ctx, staff, c.ID, first); err != nil || got != "第一稿。" {
		t.Errorf("the text of the draft just replaced: %q, %v; want 第一稿。", got, err)
	}
	_, err := e.svc.Text(e.ctx, e.id("jiaoyu-staff"), c.ID, first)
	wantErr(t, "another department asking for it", err, workflow.NotFound, "无权查看")
	_, err = e.svc.Text(e.ctx, staff, c.ID, workflow.Hash([]byte("别处的文字")))
	wantErr(t, "a hash of no version of the case", err, workflow.NotFound, "无权查看")
}
