package workflow_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// ledgerEnv is a service over the embedded store with a settable clock
// and the seeded data set of workflowtest.SeedLedger.
func ledgerEnv(t *testing.T) (*workflow.Service, map[string]workflow.Identity, map[string]*workflow.Case) {
	t.Helper()
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	clock := workflowtest.NewClock(2025, 10, 1)
	svc := &workflow.Service{Store: st, Blobs: st.Blobs(), Render: fakeRender{}, Dir: st, Outbox: st, Now: clock.Now}
	workflowtest.SetUp(t, svc, seed, acc)
	ids := map[string]workflow.Identity{}
	for _, a := range acc {
		ids[a.User] = a.Identity()
	}
	return svc, ids, workflowtest.SeedLedger(t, svc, clock, ids)
}

// TestStatisticsHandCount: the statistics of the seeded year agree with
// the figures counted by hand from SeedLedger's table.
func TestStatisticsHandCount(t *testing.T) {
	svc, ids, cases := ledgerEnv(t)
	st, err := svc.Statistics(context.Background(), ids["clerk"], 2026)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: 区妇联 A.s1 on time (34 days), B.s1 overdue after a
	// return, C.s2 pending; 区民政局 A.s2 late after a return (41 days),
	// C.s1 on time (4 days); 区教育局 A.s3 late (38 days), B.s2 overdue.
	// E is not dispatched, D is of 2025.
	want := []workflow.DeptStats{
		{Dept: "区妇联", Assigned: 3, OnTime: 1, Overdue: 1, Pending: 1, Returned: 1, Returns: 1, DaysSum: 34, DaysCount: 1},
		{Dept: "区教育局", Assigned: 2, Late: 1, Overdue: 1, DaysSum: 38, DaysCount: 1},
		{Dept: "区民政局", Assigned: 2, OnTime: 1, Late: 1, Returned: 1, Returns: 1, DaysSum: 45, DaysCount: 2},
	}
	if len(st.Depts) != len(want) {
		t.Fatalf("departments = %+v; want %d", st.Depts, len(want))
	}
	for i, w := range want {
		if st.Depts[i] != w {
			t.Errorf("department %d = %+v\nwant %+v", i, st.Depts[i], w)
		}
	}
	total := workflow.DeptStats{Dept: "合计", Assigned: 7, OnTime: 2, Late: 2, Overdue: 2, Pending: 1, Returned: 2, Returns: 2, DaysSum: 117, DaysCount: 4}
	if st.Total != total {
		t.Errorf("total = %+v\nwant %+v", st.Total, total)
	}
	if r, _ := st.Total.Rate(); r < 33.3 || r > 33.4 {
		t.Errorf("total rate = %.2f%%; want 2 of 6, 33.3%%", r)
	}
	if d, _ := st.Total.AvgDays(); d != 29.25 {
		t.Errorf("average days = %v; want 117/4 = 29.25", d)
	}
	if len(st.Cases) != 4 {
		t.Fatalf("%d cases; want A, B, C and E (D is of 2025)", len(st.Cases))
	}
	rows := map[string]workflow.CaseRow{}
	for _, r := range st.Cases {
		rows[r.Summary.ID] = r
	}
	a := rows[cases["A"].ID]
	// 3-2 → 3-5 → 4-20 → 4-22 → 4-25 → 4-28.
	days := []int{3, 46, 2, 3, 3}
	for i, sp := range a.Stages {
		if !sp.Known || sp.Days != days[i] || sp.Current {
			t.Errorf("A stage %s = %+v; want %d days, known, not current", sp.Stage, sp, days[i])
		}
	}
	if a.Total != 57 || a.Status != workflow.CaseOnTime {
		t.Errorf("A total %d days, %s; want 57, on time", a.Total, a.Status)
	}
	b := rows[cases["B"].ID]
	if b.Status != workflow.CaseOverdue || !b.Stages[0].Known || b.Stages[0].Days != 2 || !b.Stages[1].Current || b.Stages[1].Days != 54 || b.Stages[2].Known {
		t.Errorf("B = %s, stages %+v; want overdue, 2 days assigning, 54 in drafting so far, none after", b.Status, b.Stages)
	}
	if got := a.Parts[1]; got.Status != workflow.PartLate || got.Returns != 1 || got.Days != 41 || got.Path != "二" {
		t.Errorf("A.s2 = %+v; want late, returned once, 41 days, path 二", got)
	}
	if e := rows[cases["E"].ID]; e.Parts[0].Status != workflow.PartNotSent {
		t.Errorf("E.s1 = %s; want not dispatched", e.Parts[0].Status)
	}

	// Departments may not see it.
	if _, err := svc.Statistics(context.Background(), ids["fulian-staff"], 2026); workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("a department's statistics: %v; want Forbidden", err)
	}
	// Another year: D only.
	st25, err := svc.Statistics(context.Background(), ids["mayor"], 2025)
	if err != nil || len(st25.Cases) != 1 || st25.Total.Assigned != 0 {
		t.Errorf("2025: %v, %+v; want case D alone, nothing dispatched", err, st25)
	}
}

// TestStatisticsLegacySections: sections written before docflow kept the
// submission's time and the returns (Section.Submitted, Returns) are
// counted from their events, to the same figures.
func TestStatisticsLegacySections(t *testing.T) {
	svc, ids, cases := ledgerEnv(t)
	ctx := context.Background()
	before, err := svc.Statistics(ctx, ids["clerk"], 2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"A", "B", "C"} {
		c, err := svc.Store.Case(ctx, cases[name].ID)
		if err != nil {
			t.Fatal(err)
		}
		ch := &workflow.Change{Case: c}
		for i := range c.Sections {
			c.Sections[i].Submitted, c.Sections[i].Returns = time.Time{}, 0
			ch.Sections = append(ch.Sections, c.Sections[i].ID)
		}
		if err := svc.Store.Commit(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	after, err := svc.Statistics(ctx, ids["clerk"], 2026)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != before.Total || len(after.Depts) != len(before.Depts) {
		t.Errorf("from events: %+v\nwant %+v", after.Total, before.Total)
	}
	for i := range before.Depts {
		if after.Depts[i] != before.Depts[i] {
			t.Errorf("from events: %+v\nwant %+v", after.Depts[i], before.Depts[i])
		}
	}
}

// TestTallyEdges: a report returned in sign-off counts its compiling
// from the first compile to today and no sign-off days; a stream read
// only in part leaves the stages after intake unknown, and a published
// case is dated by its 成文日期.
func TestTallyEdges(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return workflow.Day(2026, m, d).Add(10 * time.Hour) }
	ev := func(seq int, a workflow.Action, at time.Time) workflow.Event {
		return workflow.Event{Seq: seq, Action: string(a), At: at}
	}
	back := workflow.CaseFacts{
		Summary: workflow.Summary{ID: "back", Stage: workflow.Compiling, Created: day(3, 1), Due: workflow.Day(2026, 9, 1)},
		Events: []workflow.Event{ev(4, workflow.ActReturnReport, day(3, 20)), ev(3, workflow.ActStartSignoff, day(3, 15)),
			ev(2, workflow.ActCompile, day(3, 10)), ev(1, workflow.ActDispatch, day(3, 2))},
	}
	part := workflow.CaseFacts{
		Summary: workflow.Summary{ID: "part", Stage: workflow.Published, Created: day(1, 5), Due: workflow.Day(2026, 3, 1), Date: workflow.Day(2026, 3, 10)},
		Events:  []workflow.Event{ev(3000, workflow.ActPublish, day(3, 10))},
		Partial: true,
	}
	st := workflow.Tally(2026, day(4, 1), []workflow.CaseFacts{back, part})
	b := st.Cases[0]
	if sp := b.Stages[2]; !sp.Current || sp.Days != 22 || b.Stages[3].Known {
		t.Errorf("returned in sign-off: compiling %+v (want current, 3-10 → 4-1 = 22 days), sign-off %+v (want unknown)", sp, b.Stages[3])
	}
	p := st.Cases[1]
	if p.Stages[0].Known || p.Status != workflow.CaseLate || !p.Published.Equal(workflow.Day(2026, 3, 10)) || p.Total != 64 {
		t.Errorf("partial stream: %+v, %s, published %s, total %d; want stages unknown, late (3-10 after 3-1), 64 days", p.Stages, p.Status, p.Published, p.Total)
	}
}

// TestReportKept: the statistics page's figures are a kept report — the
// same as the statistics read whole, unchanged by a new case until the
// report is tallied again (by a person's 刷新 or the scheduled job) —
// and shown to whom the statistics are.
func TestReportKept(t *testing.T) {
	svc, ids, _ := ledgerEnv(t)
	ctx := t.Context()
	clerk := ids["clerk"]
	st, err := svc.Statistics(ctx, clerk, 2026)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, svc, clerk, 2026, st)
	first, err := svc.Report(ctx, clerk, 2026)
	if err != nil {
		t.Fatal(err)
	}
	o := &workflow.Opinion{Issuer: "某区人大常委会", Number: "某会〔2026〕99号", Title: "关于新的一项工作的审议意见", ReplyTo: "区人大常委会", Addressee: "区人民政府",
		Date: workflow.Day(2026, 4, 1), Due: workflow.Day(2026, 9, 1), Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "加强工作。"}}}
	if _, err := svc.Intake(ctx, clerk, workflow.Source{Name: "new.txt"}, []byte("new"), o); err != nil {
		t.Fatal(err)
	}
	if kept, err := svc.Report(ctx, clerk, 2026); err != nil || kept.CaseCount != first.CaseCount || !kept.AsOf.Equal(first.AsOf) {
		t.Errorf("Report after a new case = %d cases as of %v, %v; want the kept %d as of %v", kept.CaseCount, kept.AsOf, err, first.CaseCount, first.AsOf)
	}
	if again, err := svc.RefreshReport(ctx, clerk, 2026); err != nil || again.CaseCount != first.CaseCount+1 {
		t.Errorf("RefreshReport after a new case = %+v, %v; want %d cases", again, err, first.CaseCount+1)
	}
	if err := svc.RefreshReports(ctx); err != nil {
		t.Errorf("the scheduled tally: %v", err)
	}

	// Tried: a department's staff asks for the report, its tally and the
	// ledger; a clerk asks for year 99.
	staff := ids["fulian-staff"]
	_, err = svc.Report(ctx, staff, 2026)
	wantErr(t, "a department's Report", err, workflow.Forbidden, "只有")
	_, err = svc.RefreshReport(ctx, staff, 2026)
	wantErr(t, "a department's RefreshReport", err, workflow.Forbidden, "只有")
	_, err = svc.Ledger(ctx, staff, 2026, "", 0)
	wantErr(t, "a department's Ledger", err, workflow.Forbidden, "只有")
	_, err = svc.Report(ctx, clerk, 99)
	wantErr(t, "Report of year 99", err, workflow.Invalid, "四位数字")
	_, err = svc.Ledger(ctx, clerk, 2026, "", workflow.MaxPage+1)
	wantErr(t, "a ledger page over MaxPage", err, workflow.Invalid, "每页条数")
}

// TestReportOfABigYear: a year of more cases than a person waits for
// (MaxRefreshNow) is not tallied on the page: before the scheduled job
// has kept its report, the page says so; 立即重新统计 is refused; the
// scheduled tally keeps it, and the page then reads it.
func TestReportOfABigYear(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	start := time.Date(2025, 1, 6, 9, 0, 0, 0, workflow.Zone)
	for i := range workflow.MaxRefreshNow + 1 {
		c := &workflow.Case{
			Record:  workflow.Record{ID: fmt.Sprintf("big-%04d", i), Stage: workflow.Assigning, Created: start.Add(time.Duration(i) * time.Hour)},
			Opinion: workflow.Opinion{Kind: "suggestion", Number: fmt.Sprintf("%04d", i+1), Title: "关于某事的建议", Items: []workflow.Item{{ID: "1", Level: 1, Text: "建议。"}}},
		}
		if err := e.svc.Store.Commit(e.ctx, &workflow.Change{Case: c, Record: true, Opinion: true}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.Report(e.ctx, clerk, 2025)
	wantErr(t, "the page of a big year before its first tally", err, workflow.Invalid, "尚未生成")
	_, err = e.svc.RefreshReport(e.ctx, clerk, 2025)
	wantErr(t, "立即重新统计 of a big year", err, workflow.Invalid, "每小时")
	if err := e.svc.RefreshReports(e.ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := e.svc.Report(e.ctx, clerk, 2025); err != nil || rep.CaseCount != workflow.MaxRefreshNow+1 {
		t.Errorf("the page after the scheduled tally: %v; want %d cases", err, workflow.MaxRefreshNow+1)
	}
}
