package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// A year's report (办理统计) is kept, not read whole on every view. An
// office answering 5,000 代表建议 and 政协提案 a year cannot tally them
// on each page: on DynamoDB that is two requests a case. So the figures
// are tallied in the background — by the scheduled job every hour, or
// when a clerk asks — and stored as one small record per year
// (Store.PutReport); the statistics page reads that record and one page
// of the ledger (Service.Ledger), whatever the year holds. The price is
// that the figures are as of their tally, which the page states.
//
// Nothing in a report is the only copy: it is rebuilt from the cases at
// any time, and a lost or stale one is only a slower or older page.

// MaxYearCases bounds the cases the background tally reads for a year.
const MaxYearCases = 20000

// MaxRefreshNow bounds the cases a person's 刷新 tallies while they wait;
// a bigger year is tallied by the scheduled job only.
const MaxRefreshNow = 1000

// maxReportBytes bounds a stored report: it holds a row per department
// and per kind and category, not per case.
const maxReportBytes = 256 << 10

// StageStats are the days the cases of a year spent in one stage.
type StageStats struct {
	Stage Stage `json:"stage"`
	// Cases that passed through the stage, and their days in it.
	Done int `json:"done"`
	Days int `json:"days"`
	// Now are the cases in the stage when tallied.
	Now int `json:"now"`
}

// AvgDays is the mean days in the stage of the cases that left it.
func (s *StageStats) AvgDays() (float64, bool) {
	if s.Done == 0 {
		return 0, false
	}
	return float64(s.Days) / float64(s.Done), true
}

// Aggregate fills the year's totals from its cases' rows: the count by
// status and the days by stage. The rows stay; Summary drops them.
func (st *Statistics) Aggregate() {
	st.CaseCount = len(st.Cases)
	st.Status = map[CaseStatus]int{}
	st.Stages = make([]StageStats, len(StatStages))
	for i, stg := range StatStages {
		st.Stages[i].Stage = stg
	}
	for _, c := range st.Cases {
		st.Status[c.Status]++
		for i, sp := range c.Stages {
			switch {
			case sp.Current:
				st.Stages[i].Now++
			case sp.Known:
				st.Stages[i].Done++
				st.Stages[i].Days += sp.Days
			}
		}
	}
}

// merge adds o's figures to st: a year is tallied a part at a time.
func (st *Statistics) merge(o *Statistics) {
	st.CaseCount += o.CaseCount
	if st.Status == nil {
		st.Status = map[CaseStatus]int{}
	}
	for k, n := range o.Status {
		st.Status[k] += n
	}
	if st.Stages == nil {
		st.Stages = o.Stages
	} else {
		for i := range o.Stages {
			st.Stages[i].Done += o.Stages[i].Done
			st.Stages[i].Days += o.Stages[i].Days
			st.Stages[i].Now += o.Stages[i].Now
		}
	}
	st.Depts = mergeRows(st.Depts, o.Depts, func(d DeptStats) string { return d.Dept }, (*DeptStats).addAll)
	slices.SortFunc(st.Depts, func(a, b DeptStats) int { return cmp.Compare(a.Dept, b.Dept) })
	st.Total.addAll(&o.Total)
	st.Kinds = mergeRows(st.Kinds, o.Kinds, func(k KindStats) [2]string { return [2]string{k.Kind, k.Category} }, (*KindStats).addAll)
	slices.SortFunc(st.Kinds, func(a, b KindStats) int {
		if a.Kind != b.Kind {
			return cmp.Compare(a.Kind, b.Kind)
		}
		return cmp.Compare(kindCatKey(a.Category), kindCatKey(b.Category))
	})
}

// mergeRows adds each row of src to the row of dst with its key, or
// appends it.
func mergeRows[T any, K comparable](dst, src []T, key func(T) K, add func(*T, *T)) []T {
	at := map[K]int{}
	for i, r := range dst {
		at[key(r)] = i
	}
	for _, r := range src {
		if i, ok := at[key(r)]; ok {
			add(&dst[i], &r)
		} else {
			at[key(r)] = len(dst)
			dst = append(dst, r)
		}
	}
	return dst
}

// kindCatKey sorts a kind's total (合计) after its categories.
func kindCatKey(c string) string {
	if c == "合计" {
		return "\uffff"
	}
	return c
}

func (d *DeptStats) addAll(o *DeptStats) {
	d.Assigned += o.Assigned
	d.OnTime += o.OnTime
	d.Late += o.Late
	d.Overdue += o.Overdue
	d.Pending += o.Pending
	d.Returned += o.Returned
	d.Returns += o.Returns
	d.DaysSum += o.DaysSum
	d.DaysCount += o.DaysCount
}

func (k *KindStats) addAll(o *KindStats) {
	k.Cases += o.Cases
	k.Answered += o.Answered
	k.Satisfied += o.Satisfied
	k.Basic += o.Basic
	k.Unsatisfied += o.Unsatisfied
	k.Redone += o.Redone
}

// reportKey names a year's report in the store.
func reportKey(year int) string { return fmt.Sprintf("stats/%d", year) }

// tallyChunk is how many cases are held in memory at once while a year
// is tallied.
const tallyChunk = 500

// tally reads a year, most cases at most, tallyChunk cases at a time,
// and adds up their figures; with rows, it keeps every case's row too (the
// ledger's), else none.
func (s *Service) tally(ctx context.Context, year, most int, rows bool) (*Statistics, error) {
	now := s.now()
	sums, err := s.yearSummaries(ctx, year, now, most)
	if err != nil {
		return nil, err
	}
	rep := &Statistics{Year: year, Today: now, Depts: []DeptStats{}, Cases: []CaseRow{}, Total: DeptStats{Dept: "合计"}}
	for i := 0; i < len(sums); i += tallyChunk {
		facts, err := s.facts(ctx, sums[i:min(i+tallyChunk, len(sums))])
		if err != nil {
			return nil, err
		}
		part := Tally(year, now, facts)
		part.Aggregate()
		rep.merge(part)
		if rows {
			rep.Cases = append(rep.Cases, part.Cases...)
		}
	}
	if rep.Stages == nil {
		rep.Aggregate() // no cases: zero counts for every stage
	}
	if !rows {
		rep.Cases = nil
	}
	return rep, nil
}

// tallyYear tallies a year, most cases at most, and stores the report.
func (s *Service) tallyYear(ctx context.Context, year, most int) (*Statistics, error) {
	rep, err := s.tally(ctx, year, most, false)
	if err != nil {
		return nil, err
	}
	rep.AsOf = rep.Today
	data, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("workflow.Report: %w", err)
	}
	if len(data) > maxReportBytes {
		return nil, Errorf("workflow.Report", Invalid, "%d 年的统计有 %d 字节，超过 %d 字节的上限：部门或分类过多", year, len(data), maxReportBytes)
	}
	if err := s.Store.PutReport(ctx, reportKey(year), data); err != nil {
		return nil, err
	}
	return rep, nil
}

// statsYear checks that id may see the statistics (CanSeeStatistics),
// resolves year 0 to this year and refuses what is not a year.
func (s *Service) statsYear(op string, id Identity, year int) (int, error) {
	if !CanSeeStatistics(id) {
		return 0, Errorf(op, Forbidden, "只有区府办经办人、管理员和区领导（不属于承办部门的审核签发人）可以查看办理统计")
	}
	now := s.now()
	if year == 0 {
		year = now.In(Zone).Year()
	}
	if year < 2000 || year > 9999 {
		return 0, Errorf(op, Invalid, "年度须为四位数字，如 %d", now.In(Zone).Year())
	}
	return year, nil
}

// Report returns a year's report as last tallied — the statistics
// without the ledger's rows (Cases), with AsOf its time — tallying it
// first if it never was (bounded like RefreshReport).
func (s *Service) Report(ctx context.Context, id Identity, year int) (*Statistics, error) {
	const op = "workflow.Report"
	year, err := s.statsYear(op, id, year)
	if err != nil {
		return nil, err
	}
	data, err := s.Store.Report(ctx, reportKey(year))
	var rep Statistics
	switch {
	case KindOf(err) == NotFound:
	case err != nil:
		return nil, err
	case json.Unmarshal(data, &rep) == nil:
		return &rep, nil
	}
	// None kept yet, or one that cannot be read (a report is derived):
	// tallied now, if the year is small enough to wait for.
	r, err := s.tallyYear(ctx, year, MaxRefreshNow)
	if KindOf(err) == Invalid {
		return nil, Errorf(op, Invalid, "%d 年的统计尚未生成：案件超过 %d 件，由每小时一次的自动统计生成，请稍后再看", year, MaxRefreshNow)
	}
	return r, err
}

// RefreshReport tallies a year again now, for a person who waits: a year
// of more than MaxRefreshNow cases is refused (Invalid) and left to the
// hourly tally.
func (s *Service) RefreshReport(ctx context.Context, id Identity, year int) (*Statistics, error) {
	const op = "workflow.RefreshReport"
	year, err := s.statsYear(op, id, year)
	if err != nil {
		return nil, err
	}
	rep, err := s.tallyYear(ctx, year, MaxRefreshNow)
	if KindOf(err) == Invalid {
		return nil, Errorf(op, Invalid, "%d 年的案件超过 %d 件，不能立即重新统计；统计每小时自动更新一次", year, MaxRefreshNow)
	}
	return rep, err
}

// RefreshReports tallies this year, and in January the last one too, up
// to MaxYearCases each: the scheduled job's part.
func (s *Service) RefreshReports(ctx context.Context) error {
	now := s.now().In(Zone)
	years := []int{now.Year()}
	if now.Month() == time.January {
		years = append(years, now.Year()-1)
	}
	for _, y := range years {
		if _, err := s.tallyYear(ctx, y, MaxYearCases); err != nil {
			return fmt.Errorf("statistics of %d: %w", y, err)
		}
	}
	return nil
}

// LedgerPage is one page of a year's ledger: the rows of its cases,
// newest first, and where the next page starts ("" at the end).
type LedgerPage struct {
	Cases []CaseRow `json:"cases"`
	Next  string    `json:"next,omitempty"`
}

// Ledger reads one page of a year's ledger (案件台账), live: a page of
// the year's cases (limit as Query.Limit) with their sections and events.
func (s *Service) Ledger(ctx context.Context, id Identity, year int, cursor string, limit int) (*LedgerPage, error) {
	const op = "workflow.Ledger"
	year, err := s.statsYear(op, id, year)
	if err != nil {
		return nil, err
	}
	if limit < 0 || limit > MaxPage {
		return nil, Errorf(op, Invalid, "每页条数须为 1–%d", MaxPage)
	}
	now := s.now()
	p, err := s.Store.Cases(ctx, Query{Year: year, Limit: limit, Cursor: cursor, Today: now})
	if err != nil {
		return nil, err
	}
	facts, err := s.facts(ctx, p.Cases)
	if err != nil {
		return nil, err
	}
	out := &LedgerPage{Cases: make([]CaseRow, len(facts)), Next: p.Next}
	for i, f := range facts {
		out.Cases[i] = caseRow(now, f)
	}
	return out, nil
}
