package workflowtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Scale sets how hard TestWorkflow pushes a store.
type Scale struct {
	Departments int // departments saving their own sections at once
	SavesEach   int // saves each of them makes
	ManySaves   int // saves of one section before the case goes on to publication
}

// FullScale is what the acceptance of the storage work asks of every store.
var FullScale = Scale{Departments: 50, SavesEach: 4, ManySaves: 5000}

// TestWorkflow runs workflow.Service over a store, as users would: the
// cases that stress how changes are written. open returns a fresh store
// and its blobs.
func TestWorkflow(t *testing.T, sc Scale, open func(t *testing.T) (Stores, workflow.Blobs)) {
	tests := []struct {
		name string
		run  func(t *testing.T, e *office, sc Scale)
	}{
		{"DepartmentsInParallel", testDepartmentsInParallel},
		{"OneRevisionOneWinner", testOneRevisionOneWinner},
		{"ManySavesThenPublish", testManySavesThenPublish},
		{"CompileRacesReturn", testCompileRacesReturn},
		{"IntakesOfOneNumber", testIntakesOfOneNumber},
		{"Consult", testConsult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, bl := open(t)
			tt.run(t, newOffice(t, st, bl, sc.Departments), sc)
		})
	}
}

// Stores is a store that keeps both cases and the office's people, as
// both of docflow's do.
type Stores interface {
	workflow.Store
	workflow.Directory
}

// office is a made-up district with n departments, each with a staff
// member and a head, a clerk and two approvers.
type office struct {
	svc    *workflow.Service
	dir    []workflow.Account
	depts  []string
	clerk  workflow.Identity
	opened atomic.Int64 // cases opened: their opinions' numbers
}

type stubRender struct{}

func (stubRender) Render(_ context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	return []workflow.Rendered{{Name: "notice.html", ContentType: "text/html; charset=utf-8", Data: []byte(n.Number + "\n" + n.Title + "\n" + n.Body)}}, nil
}

func newOffice(t *testing.T, st Stores, bl workflow.Blobs, n int) *office {
	o := &office{clerk: workflow.Identity{User: "clerk", Name: "经办人", Roles: []workflow.Role{workflow.Clerk}}}
	o.dir = []workflow.Account{{User: "clerk", Name: "经办人", Roles: []workflow.Role{workflow.Clerk}},
		{User: "reviewer", Name: "核稿人", Roles: []workflow.Role{workflow.Approver}},
		{User: "chief", Name: "区长", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"签发"}}}
	for i := range n {
		d := fmt.Sprintf("第%d局", i+1)
		o.depts = append(o.depts, d)
		o.dir = append(o.dir,
			workflow.Account{User: fmt.Sprintf("d%d-staff", i+1), Name: d + "经办人", Dept: d, Roles: []workflow.Role{workflow.Staff}},
			workflow.Account{User: fmt.Sprintf("d%d-head", i+1), Name: d + "负责人", Dept: d, Roles: []workflow.Role{workflow.Head, workflow.Approver}})
	}
	o.svc = &workflow.Service{Store: st, Blobs: bl, Render: stubRender{}, Dir: st}
	seed := workflow.Office{Profile: workflow.Profile{
		Org: "某市某区人民政府", OrgShort: "区政府", Mark: "某市某区人民政府文件", Series: "某府议", Office: "某市某区人民政府办公室",
		Opening: "根据《{{.Title}}》（{{.Number}}），现报告如下：", Closing: "特此报告。", LeadDays: 10, DefaultDue: 6,
		Departments: o.depts, Chain: []workflow.StepPlan{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "签发", Signers: []string{"chief"}}}},
		Series: []string{"某府议"}, Policy: workflow.Policy{Required: []string{"签发"}}}
	SetUp(t, o.svc, seed, o.dir)
	return o
}

// SetUp sets an installation up with seed, an administrator "admin" and
// the accounts, as an office would through its pages.
func SetUp(t testing.TB, svc *workflow.Service, seed workflow.Office, accounts []workflow.Account) {
	t.Helper()
	ctx := context.Background()
	_, admin, err := svc.Setup(ctx, seed, workflow.Account{User: "admin", Name: "管理员", Roles: []workflow.Role{workflow.Admin}})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	for _, a := range accounts {
		if a.User == "admin" {
			continue
		}
		if _, err := svc.SaveAccount(ctx, admin.Identity(), 0, a, ""); err != nil {
			t.Fatalf("SaveAccount(%s): %v", a.User, err)
		}
	}
	// What the store gives back is what the events recorded.
	if _, err := svc.VerifyOffice(ctx); err != nil {
		t.Fatalf("VerifyOffice after setting up: %v", err)
	}
}

func (o *office) staff(i int) workflow.Identity { return o.dir[3+2*i].Identity() }
func (o *office) head(i int) workflow.Identity  { return o.dir[4+2*i].Identity() }

func (o *office) who(user string) workflow.Identity {
	for _, a := range o.dir {
		if a.User == user {
			return a.Identity()
		}
	}
	panic("no account " + user)
}

// open registers an opinion with parts items and dispatches it, part i to
// department i.
func (o *office) open(t testing.TB, parts int) *workflow.Case {
	t.Helper()
	ctx := context.Background()
	// Each case answers an opinion of its own number: a number opens one case.
	op := &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: fmt.Sprintf("某会〔2026〕%d号", o.opened.Add(1)), Title: "关于某项工作情况的审议意见",
		ReplyTo: "区人大常委会", Date: workflow.Day(2026, 3, 1), Due: workflow.Day(2026, 9, 1)}
	var plan []workflow.Assignment
	for i := range parts {
		op.Items = append(op.Items, workflow.Item{ID: fmt.Sprint(i + 1), Level: 1, Label: workflow.OutlineNumber(1, i+1), Text: fmt.Sprintf("第%d项意见。", i+1)})
		plan = append(plan, workflow.Assignment{Item: fmt.Sprint(i + 1), Lead: o.depts[i%len(o.depts)]})
	}
	c, err := o.svc.Intake(ctx, o.clerk, workflow.Source{Name: "opinion.txt"}, fmt.Appendf(nil, "opinion %d %d", parts, time.Now().UnixNano()), op)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = o.svc.Assign(ctx, o.clerk, c.ID, c.Version, plan); err != nil {
		t.Fatal(err)
	}
	if c, err = o.svc.Dispatch(ctx, o.clerk, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

func rev(c *workflow.Case, secID string) int {
	sec, _ := c.Section(secID)
	return sec.Rev
}

func testDepartmentsInParallel(t *testing.T, o *office, sc Scale) {
	c := o.open(t, sc.Departments)
	var (
		conflicts, failures atomic.Int64
		wg                  sync.WaitGroup
		start               = make(chan struct{})
	)
	for i, sec := range c.Sections {
		wg.Go(func() {
			<-start
			r := sec.Rev
			for k := range sc.SavesEach {
				got, err := o.svc.SaveSection(context.Background(), o.staff(i), c.ID, sec.ID, r, "第"+fmt.Sprint(i+1)+"部分", fmt.Sprintf("第 %d 稿。", k+1), "")
				switch {
				case workflow.KindOf(err) == workflow.Conflict:
					conflicts.Add(1)
					return
				case err != nil:
					failures.Add(1)
					t.Errorf("department %d, save %d: %v", i+1, k+1, err)
					return
				}
				r = rev(got, sec.ID)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := conflicts.Load(); n > 0 {
		t.Errorf("%d departments saving their own sections got %d conflicts; want 0", sc.Departments, n)
	}
	got, err := o.svc.Store.Case(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range got.Sections {
		if sec.Current.N != sc.SavesEach {
			t.Errorf("section %s has %d versions; want %d", sec.ID, sec.Current.N, sc.SavesEach)
		}
	}
	if _, err := o.svc.Verify(context.Background(), c.ID); err != nil {
		t.Errorf("Verify after parallel saves: %v", err)
	}
}

func testOneRevisionOneWinner(t *testing.T, o *office, _ Scale) {
	c := o.open(t, 3)
	const n = 8
	var (
		won   atomic.Int64
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	r := rev(c, "s2")
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := o.svc.SaveSection(context.Background(), o.staff(1), c.ID, "s2", r, "标题", fmt.Sprintf("同一修订号上的第 %d 个保存。", i), "")
			switch {
			case err == nil:
				won.Add(1)
			case workflow.KindOf(err) != workflow.Conflict:
				t.Errorf("save %d: %v; want success or Conflict", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if w := won.Load(); w != 1 {
		t.Errorf("%d of %d saves at revision %d won; want exactly 1", w, n, r)
	}
}

func testManySavesThenPublish(t *testing.T, o *office, sc Scale) {
	ctx := context.Background()
	c := o.open(t, 2)
	r := rev(c, "s1")
	for k := range sc.ManySaves {
		got, err := o.svc.SaveSection(ctx, o.staff(0), c.ID, "s1", r, "第一部分", fmt.Sprintf("第 %d 稿。", k+1), "")
		if err != nil {
			t.Fatalf("save %d: %v", k+1, err)
		}
		r = rev(got, "s1")
	}
	// The section's history is there, a page at a time.
	page, err := o.svc.History(ctx, o.clerk, c.ID, "s1", 0, 10)
	if err != nil || len(page) != 10 || page[0].Version == nil || page[0].Version.N != sc.ManySaves {
		t.Fatalf("History(s1) = %d events, %v; want the newest 10, version %d first", len(page), err, sc.ManySaves)
	}
	_, text, err := o.svc.Recorded(ctx, o.clerk, c.ID, "s1", page[9].Seq)
	if want := fmt.Sprintf("第 %d 稿。", sc.ManySaves-9); err != nil || text != want {
		t.Errorf("Recorded(s1, %d) = %q, %v; want %q", page[9].Seq, text, err, want)
	}
	// And the case still goes all the way.
	if c, err = o.svc.SaveSection(ctx, o.staff(1), c.ID, "s2", rev(c, "s2"), "第二部分", "内容。", ""); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"s1", "s2"} {
		if c, err = o.svc.SubmitSection(ctx, o.head(i), c.ID, id, rev(c, id)); err != nil {
			t.Fatalf("submit %s: %v", id, err)
		}
		if c, err = o.svc.AcceptSection(ctx, o.clerk, c.ID, id, rev(c, id)); err != nil {
			t.Fatalf("accept %s: %v", id, err)
		}
	}
	if c, err = o.svc.Compile(ctx, o.clerk, c.ID); err != nil {
		t.Fatal(err)
	}
	if c, err = o.svc.StartSignoff(ctx, o.clerk, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"reviewer", "chief"} {
		if c, err = o.svc.Approve(ctx, o.who(u), c.ID, c.Report.Current.Sum, "同意"); err != nil {
			t.Fatalf("approve by %s: %v", u, err)
		}
	}
	if c, err = o.svc.Publish(ctx, o.clerk, c.ID, workflow.Day(2026, 8, 1)); err != nil {
		t.Fatal(err)
	}
	if got := c.Publication.Number(); got != "某府议〔2026〕1号" {
		t.Errorf("published as %q; want 某府议〔2026〕1号", got)
	}
	v, err := o.svc.Verify(ctx, c.ID)
	if err != nil {
		t.Errorf("Verify: %v", err)
	}
	if v.Events < sc.ManySaves {
		t.Errorf("Verify read %d events; want at least %d", v.Events, sc.ManySaves)
	}
}

func testCompileRacesReturn(t *testing.T, o *office, _ Scale) {
	ctx := context.Background()
	for round := range 5 {
		c := o.open(t, 2)
		var err error
		for i, id := range []string{"s1", "s2"} {
			if c, err = o.svc.SaveSection(ctx, o.staff(i), c.ID, id, rev(c, id), "标题", "内容。", ""); err != nil {
				t.Fatal(err)
			}
			if c, err = o.svc.SubmitSection(ctx, o.head(i), c.ID, id, rev(c, id)); err != nil {
				t.Fatal(err)
			}
			if c, err = o.svc.AcceptSection(ctx, o.clerk, c.ID, id, rev(c, id)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var compileErr, returnErr error
		wg.Go(func() { _, compileErr = o.svc.Compile(ctx, o.clerk, c.ID) })
		wg.Go(func() { _, returnErr = o.svc.ReturnSection(ctx, o.clerk, c.ID, "s2", rev(c, "s2"), "请补充。") })
		wg.Wait()
		got, err := o.svc.Store.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := got.Section("s2")
		switch {
		case compileErr == nil && returnErr == nil:
			t.Errorf("round %d: both the compile and the return of s2 succeeded", round)
		case got.Stage == workflow.Compiling && s2.State != workflow.Accepted:
			t.Errorf("round %d: case compiled with s2 %s", round, s2.State)
		case compileErr != nil && returnErr != nil:
			t.Errorf("round %d: neither succeeded: %v; %v", round, compileErr, returnErr)
		}
	}
}
