package workflowtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Clock is a settable clock for a Service: each reading is a minute after
// the one before, from the day it was last set to (09:00 in Zone), so
// that events keep their order.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock on a day.
func NewClock(y int, m time.Month, d int) *Clock {
	c := &Clock{}
	c.Set(y, m, d)
	return c
}

// Set moves the clock to 09:00 of a day.
func (c *Clock) Set(y int, m time.Month, d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = workflow.Day(y, m, d).Add(9 * time.Hour)
}

// Now reads the clock and moves it a minute on.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

// LedgerCases are the 来文字号 of the cases SeedLedger makes, by name.
var LedgerCases = map[string]string{"A": "某会〔2026〕1号", "B": "某会〔2026〕2号", "C": "某会〔2026〕3号", "D": "某会〔2025〕9号", "E": "某会〔2026〕4号"}

// SeedLedger makes the data set the statistics tests count by hand, with
// svc's clock (which must be clock.Now) and the accounts of templates/
// (ids by login). It leaves the clock on 2026-07-01, the day the tests
// take the statistics. Departments lead parts as follows (dates in 2026):
//
//	A (opened 3-2, dispatched 3-5, compiled 4-20, sign-off 4-22, approved 4-25, published 4-28; due 9-1)
//	  s1 区妇联 (区民政局 co-handles), due 4-10, submitted 4-8, accepted      → on time, 34 days
//	  s2 区民政局, due 4-10, submitted 4-5, returned 4-6, submitted 4-15      → late, returned once, 41 days
//	  s3 区教育局, due 4-10, submitted 4-12, heading "=1+2 …" (a formula)      → late, 38 days
//	B (opened 5-6, dispatched 5-8, in drafting; due 6-30: overdue)
//	  s1 区妇联, due 6-1, submitted 5-30, returned 6-2, not submitted again  → overdue, returned once
//	  s2 区教育局, due 6-10, nothing written                                 → overdue
//	C (opened 6-15, dispatched 6-16; due 12-31)
//	  s1 区民政局, due 7-31, submitted 6-20, accepted                         → on time, 4 days
//	  s2 区妇联, due 7-31, not submitted                                      → pending
//	D (opened 2025-11-1, assigned, not dispatched): another year
//	E (opened 6-28, assigned to 区教育局, not dispatched): not counted
func SeedLedger(tb testing.TB, svc *workflow.Service, clock *Clock, ids map[string]workflow.Identity) map[string]*workflow.Case {
	tb.Helper()
	ctx := context.Background()
	must := func(c *workflow.Case, err error) *workflow.Case {
		tb.Helper()
		if err != nil {
			tb.Fatalf("seeding the ledger: %v", err)
		}
		return c
	}
	clerk := ids["clerk"]
	day := func(m time.Month, d int) { clock.Set(2026, m, d) }
	opinion := func(name string, date, due time.Time, items int) *workflow.Opinion {
		o := &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: LedgerCases[name], Title: fmt.Sprintf("关于某项工作%s的审议意见", name),
			ReplyTo: "区人大常委会", Addressee: "区人民政府", Date: date, Due: due}
		for i := 1; i <= items; i++ {
			o.Items = append(o.Items, workflow.Item{ID: fmt.Sprint(i), Level: 1, Label: workflow.OutlineNumber(1, i), Text: fmt.Sprintf("第%d项意见。", i)})
		}
		return o
	}
	open := func(name string, date, due time.Time, items int, plan []workflow.Assignment) *workflow.Case {
		c := must(svc.Intake(ctx, clerk, workflow.Source{Name: name + ".txt"}, []byte("ledger "+name), opinion(name, date, due, items)))
		return must(svc.Assign(ctx, clerk, c.ID, c.Version, plan))
	}
	lead := map[string]string{"区妇联": "fulian", "区民政局": "minzheng", "区教育局": "jiaoyu"}
	sec := func(c *workflow.Case, id string) *workflow.Section {
		s, ok := c.Section(id)
		if !ok {
			tb.Fatalf("seeding the ledger: case %s has no section %s", c.ID, id)
		}
		return s
	}
	write := func(c *workflow.Case, id, heading string) *workflow.Case {
		s := sec(c, id)
		return must(svc.SaveSection(ctx, ids[lead[s.Lead]+"-staff"], c.ID, id, s.Rev, heading, "正文。", ""))
	}
	submit := func(c *workflow.Case, id string) *workflow.Case {
		s := sec(c, id)
		return must(svc.SubmitSection(ctx, ids[lead[s.Lead]+"-head"], c.ID, id, s.Rev))
	}
	accept := func(c *workflow.Case, id string) *workflow.Case {
		return must(svc.AcceptSection(ctx, clerk, c.ID, id, sec(c, id).Rev))
	}
	ret := func(c *workflow.Case, id string) *workflow.Case {
		return must(svc.ReturnSection(ctx, clerk, c.ID, id, sec(c, id).Rev, "请补充数据。"))
	}
	out := map[string]*workflow.Case{}

	clock.Set(2025, 11, 1)
	out["D"] = open("D", workflow.Day(2025, 10, 20), workflow.Day(2026, 4, 20), 1, []workflow.Assignment{{Item: "1", Lead: "区妇联"}})

	day(3, 2)
	a := open("A", workflow.Day(2026, 3, 1), workflow.Day(2026, 9, 1), 3, []workflow.Assignment{
		{Item: "1", Lead: "区妇联", Co: []string{"区民政局"}, Due: workflow.Day(2026, 4, 10)},
		{Item: "2", Lead: "区民政局", Due: workflow.Day(2026, 4, 10)},
		{Item: "3", Lead: "区教育局", Due: workflow.Day(2026, 4, 10)}})
	day(3, 5)
	a = must(svc.Dispatch(ctx, clerk, a.ID))
	day(4, 5)
	a = submit(write(a, "s2", "民政工作"), "s2")
	day(4, 6)
	a = ret(a, "s2")
	day(4, 8)
	a = accept(submit(write(a, "s1", "妇女儿童工作"), "s1"), "s1")
	day(4, 12)
	a = accept(submit(write(a, "s3", "=1+2 教育工作"), "s3"), "s3")
	day(4, 15)
	a = accept(submit(write(a, "s2", "民政工作（修改）"), "s2"), "s2")
	day(4, 20)
	a = must(svc.Compile(ctx, clerk, a.ID))
	day(4, 22)
	a = must(svc.StartSignoff(ctx, clerk, a.ID, []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	for i, u := range []string{"reviewer", "deputy", "mayor"} {
		day(4, 23+i)
		a = must(svc.Approve(ctx, ids[u], a.ID, a.Report.Current.Sum, "同意"))
	}
	day(4, 28)
	out["A"] = must(svc.Publish(ctx, clerk, a.ID, workflow.Day(2026, 4, 28)))

	day(5, 6)
	b := open("B", workflow.Day(2026, 5, 1), workflow.Day(2026, 6, 30), 2, []workflow.Assignment{
		{Item: "1", Lead: "区妇联", Due: workflow.Day(2026, 6, 1)},
		{Item: "2", Lead: "区教育局", Due: workflow.Day(2026, 6, 10)}})
	day(5, 8)
	b = must(svc.Dispatch(ctx, clerk, b.ID))
	day(5, 30)
	b = submit(write(b, "s1", "妇女工作"), "s1")
	day(6, 2)
	out["B"] = ret(b, "s1")

	day(6, 15)
	c := open("C", workflow.Day(2026, 6, 1), workflow.Day(2026, 12, 31), 2, []workflow.Assignment{
		{Item: "1", Lead: "区民政局", Due: workflow.Day(2026, 7, 31)},
		{Item: "2", Lead: "区妇联", Due: workflow.Day(2026, 7, 31)}})
	day(6, 16)
	c = must(svc.Dispatch(ctx, clerk, c.ID))
	day(6, 20)
	out["C"] = accept(submit(write(c, "s1", "养老服务"), "s1"), "s1")

	day(6, 28)
	out["E"] = open("E", workflow.Day(2026, 6, 20), workflow.Day(2026, 12, 20), 1, []workflow.Assignment{{Item: "1", Lead: "区教育局", Due: workflow.Day(2026, 10, 1)}})

	day(7, 1)
	return out
}
