package workflow

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Statistics and the 办理台账: how each department handled the parts it
// led (主办) and how long each case spent in each stage, for one year.
// Tally computes them from what the stores already keep — the cases'
// summaries, their sections and the events of each case's own stream —
// and does no I/O; Service.Statistics reads those, bounded.
//
// Definitions (what the page and the ledger say):
//
//   - A part is counted for its lead department once dispatched (交办);
//     co-handling departments (协办) are not counted.
//   - 按期: submitted (报送, its latest submission) on or before its due
//     date; 逾期报送: submitted after it; 逾期未报: not submitted and the due
//     date has passed; 办理中: not submitted, not yet due. Days are calendar
//     days in Zone.
//   - 退回: parts returned at least once; 退回次数 counts every return.
//   - 平均用时: the mean of the days from dispatch to the latest submission
//     over the parts submitted.
//   - 按期率: 按期 ÷ (按期 + 逾期报送 + 逾期未报): the parts whose due date has
//     come or that were submitted.
//   - A case's days per stage run from the first event that entered a stage
//     to the first that entered the next (the last approval for 待发布);
//     the stage it is in counts to today.

// MaxReportCases bounds the cases the statistics read whole (the ledger's
// exports, 跟踪督办): a year with more is refused (Invalid) rather than
// read without end. Read 500 cases at a time by eight readers, 5,000 are
// about 10,000 DynamoDB queries: a few seconds (BenchmarkYear's tally),
// within API Gateway's 30.
const MaxReportCases = 5000

// maxStatEvents bounds the events read of one stream for a report; a
// case whose stream is longer shows its earliest stage times as unknown.
const maxStatEvents = 2000

// PartStatus is how a part stands against its due date.
type PartStatus string

const (
	PartOnTime  PartStatus = "on-time" // 按期报送
	PartLate    PartStatus = "late"    // 逾期报送
	PartOverdue PartStatus = "overdue" // 逾期未报
	PartPending PartStatus = "pending" // 办理中
	PartNotSent PartStatus = "planned" // 待交办: not counted
)

// Label names the status in the UI and the ledger.
func (p PartStatus) Label() string {
	return map[PartStatus]string{PartOnTime: "按期报送", PartLate: "逾期报送", PartOverdue: "逾期未报", PartPending: "办理中", PartNotSent: "待交办"}[p]
}

// DeptStats are one department's figures as lead department.
type DeptStats struct {
	Dept     string `json:"dept"`
	Assigned int    `json:"assigned"` // parts dispatched to it
	OnTime   int    `json:"onTime"`
	Late     int    `json:"late"`    // submitted late
	Overdue  int    `json:"overdue"` // past due, not submitted
	Pending  int    `json:"pending"` // not yet due, not submitted
	Returned int    `json:"returned"`
	Returns  int    `json:"returns"`
	// DaysSum and DaysCount make AvgDays: parts submitted with a known
	// dispatch date.
	DaysSum   int `json:"daysSum"`
	DaysCount int `json:"daysCount"`
}

// AvgDays is the mean days from dispatch to submission, and whether any
// part was submitted.
func (d *DeptStats) AvgDays() (float64, bool) {
	if d.DaysCount == 0 {
		return 0, false
	}
	return float64(d.DaysSum) / float64(d.DaysCount), true
}

// Rate is the share of parts submitted on time among those due or
// submitted, in percent, and whether there is any.
func (d *DeptStats) Rate() (float64, bool) {
	n := d.OnTime + d.Late + d.Overdue
	if n == 0 {
		return 0, false
	}
	return 100 * float64(d.OnTime) / float64(n), true
}

func (d *DeptStats) add(p *PartRow) {
	d.Assigned++
	switch p.Status {
	case PartOnTime:
		d.OnTime++
	case PartLate:
		d.Late++
	case PartOverdue:
		d.Overdue++
	case PartPending:
		d.Pending++
	}
	if p.Returns > 0 {
		d.Returned++
	}
	d.Returns += p.Returns
	if p.Days >= 0 {
		d.DaysSum += p.Days
		d.DaysCount++
	}
}

// StageSpan is the days a case spent in one stage.
type StageSpan struct {
	Stage   Stage `json:"stage"`
	Days    int   `json:"days"`
	Known   bool  `json:"known"`   // false: not reached, or its start unknown
	Current bool  `json:"current"` // the stage the case is in: counted to today
}

// CaseRow is one case of the ledger.
type CaseRow struct {
	Summary    Summary     `json:"summary"`
	Dispatched time.Time   `json:"dispatched,omitzero"`
	Published  time.Time   `json:"published,omitzero"`
	Stages     []StageSpan `json:"stages"` // Assigning … Approved
	// Total is the days from intake to publication (to today while open).
	Total  int        `json:"total"`
	Status CaseStatus `json:"status"`
	Parts  []PartRow  `json:"parts"`
}

// CaseStatus is how a case stands against the opinion's deadline.
type CaseStatus string

const (
	CaseOnTime  CaseStatus = "on-time" // 按期办结
	CaseLate    CaseStatus = "late"    // 逾期办结
	CaseOverdue CaseStatus = "overdue" // 逾期未办结
	CaseOpen    CaseStatus = "open"    // 办理中
)

// Label names the status in the UI and the ledger.
func (c CaseStatus) Label() string {
	return map[CaseStatus]string{CaseOnTime: "按期办结", CaseLate: "逾期办结", CaseOverdue: "逾期未办结", CaseOpen: "办理中"}[c]
}

// PartRow is one part of the ledger (办理明细).
type PartRow struct {
	ID        string       `json:"id"`
	Path      string       `json:"path"` // 一（一）
	Heading   string       `json:"heading"`
	Lead      string       `json:"lead"`
	Co        []string     `json:"co,omitempty"`
	Due       time.Time    `json:"due"`
	Submitted time.Time    `json:"submitted,omitzero"`
	State     SectionState `json:"state"`
	Status    PartStatus   `json:"status"`
	Returns   int          `json:"returns"`
	Days      int          `json:"days"` // dispatch to latest submission; -1 unknown or not submitted
	Result    *Result      `json:"result,omitempty"`
}

// CaseFacts are what Tally reads of one case: its summary, its sections
// and the events of its own stream (any order).
type CaseFacts struct {
	Summary  Summary
	Sections []Section
	Events   []Event
	// Partial: Events is not the whole stream (maxStatEvents).
	Partial bool
}

// Statistics is one year's report.
type Statistics struct {
	Year  int         `json:"year"`
	Today time.Time   `json:"today"`
	Depts []DeptStats `json:"depts"` // by department name
	Total DeptStats   `json:"total"`
	Cases []CaseRow   `json:"cases"` // newest first
	// Kinds counts the 代表建议, 政协提案 and other kinds of the year, by
	// kind and category, each kind followed by its total (Category 合计);
	// empty when the year has none.
	Kinds []KindStats `json:"kinds,omitempty"`

	// A year's report (Service.Report) keeps these totals instead of the
	// rows: the cases by status and the days by stage, as of AsOf.
	AsOf      time.Time          `json:"asOf,omitzero"`
	CaseCount int                `json:"caseCount,omitempty"`
	Status    map[CaseStatus]int `json:"status,omitempty"`
	Stages    []StageStats       `json:"stages,omitempty"`
}

// KindStats counts one kind's cases of one category (合计: all of them).
// A second answer (Summary.Redo) is counted under Redone, not as a case
// or an answer; the ratings count every answer rated, so a proposal
// answered twice may be rated twice (不满意, then 满意).
type KindStats struct {
	Kind        string `json:"kind"` // its code
	Category    string `json:"category"`
	Cases       int    `json:"cases"`
	Answered    int    `json:"answered"` // the first answer published
	Satisfied   int    `json:"satisfied"`
	Basic       int    `json:"basic"`
	Unsatisfied int    `json:"unsatisfied"`
	Redone      int    `json:"redone"` // second answers opened after 不满意
}

// Rated is how many proposers rated their answer.
func (k *KindStats) Rated() int { return k.Satisfied + k.Basic + k.Unsatisfied }

func (k *KindStats) add(s *Summary) {
	if s.Redo > 1 {
		k.Redone++
	} else {
		k.Cases++
		if s.Stage == Published {
			k.Answered++
		}
	}
	switch s.Rating {
	case Satisfied:
		k.Satisfied++
	case Basic:
		k.Basic++
	case Unsatisfied:
		k.Unsatisfied++
	}
}

// StatStages are the stages a case's days are counted in, in order.
var StatStages = []Stage{Assigning, Drafting, Compiling, Signing, Approved}

// Tally computes a year's statistics from the facts of its cases.
func Tally(year int, today time.Time, facts []CaseFacts) *Statistics {
	st := &Statistics{Year: year, Today: today, Depts: []DeptStats{}, Cases: []CaseRow{}, Total: DeptStats{Dept: "合计"}}
	depts := map[string]*DeptStats{}
	for _, f := range facts {
		row := caseRow(today, f)
		for i := range row.Parts {
			p := &row.Parts[i]
			if p.Status == PartNotSent {
				continue
			}
			d := depts[p.Lead]
			if d == nil {
				d = &DeptStats{Dept: p.Lead}
				depts[p.Lead] = d
			}
			d.add(p)
			st.Total.add(p)
		}
		st.Cases = append(st.Cases, row)
	}
	for _, d := range depts {
		st.Depts = append(st.Depts, *d)
	}
	slices.SortFunc(st.Depts, func(a, b DeptStats) int { return cmp.Compare(a.Dept, b.Dept) })
	st.Kinds = tallyKinds(facts)
	return st
}

// tallyKinds counts the cases of kinds by kind and category.
func tallyKinds(facts []CaseFacts) []KindStats {
	type key struct{ kind, cat string }
	by := map[key]*KindStats{}
	var keys []key
	for _, f := range facts {
		s := &f.Summary
		if s.Kind == "" {
			continue
		}
		cat := s.Category
		if cat == "" {
			cat = "未分类"
		}
		for _, k := range []key{{s.Kind, cat}, {s.Kind, "\uffff"}} { // \uffff sorts the total last
			if by[k] == nil {
				by[k] = &KindStats{Kind: k.kind, Category: k.cat}
				keys = append(keys, k)
			}
			by[k].add(s)
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.cat, b.cat)) })
	out := make([]KindStats, len(keys))
	for i, k := range keys {
		out[i] = *by[k]
		if k.cat == "\uffff" {
			out[i].Category = "合计"
		}
	}
	return out
}

// milestones are the first times a case entered each stage, from its events.
func milestones(s Summary, evs []Event, partial bool) map[Stage]time.Time {
	evs = slices.Clone(evs)
	slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.Seq, b.Seq) })
	// The summary knows when the case was opened; the events, read from
	// the newest, may lack the first of the others (partial), which then
	// stay unknown rather than be taken from a later event.
	m := map[Stage]time.Time{Assigning: s.Created}
	if partial {
		return m
	}
	first := func(st Stage, at time.Time) {
		if _, ok := m[st]; !ok {
			m[st] = at
		}
	}
	var lastApprove time.Time
	for _, e := range evs {
		switch Action(e.Action) {
		case ActDispatch:
			first(Drafting, e.At)
		case ActCompile:
			first(Compiling, e.At)
		case ActStartSignoff:
			first(Signing, e.At)
		case ActApprove:
			if _, done := m[Published]; !done {
				lastApprove = e.At
			}
		case ActPublish:
			first(Published, e.At)
		}
	}
	// The last approval before publication completed the chain; while the
	// case is in sign-off, an approval does not mean it is done.
	if !lastApprove.IsZero() && (s.Stage == Approved || s.Stage == Published) {
		m[Approved] = lastApprove
	}
	return m
}

func caseRow(today time.Time, f CaseFacts) CaseRow {
	s := f.Summary
	m := milestones(s, f.Events, f.Partial)
	row := CaseRow{Summary: s, Dispatched: m[Drafting], Published: m[Published], Parts: []PartRow{}}
	if row.Published.IsZero() && s.Stage == Published && !s.Date.IsZero() {
		row.Published = s.Date // a publication whose event was not read
	}
	cur := slices.Index(StatStages, s.Stage)
	for i, stg := range StatStages {
		sp := StageSpan{Stage: stg}
		start, ok := m[stg]
		var end time.Time
		switch {
		case i == cur:
			end, sp.Current = today, true
		case i+1 < len(StatStages):
			end = m[StatStages[i+1]]
		default:
			end = m[Published]
		}
		if ok && !end.IsZero() && (cur < 0 || i <= cur) {
			sp.Days, sp.Known = max(0, daysBetween(start, end)), true
		}
		row.Stages = append(row.Stages, sp)
	}
	if !row.Published.IsZero() {
		row.Total = daysBetween(s.Created, row.Published)
	} else {
		row.Total = daysBetween(s.Created, today)
	}
	switch {
	case !row.Published.IsZero() && (s.Due.IsZero() || daysBetween(row.Published, s.Due) >= 0):
		row.Status = CaseOnTime
	case !row.Published.IsZero():
		row.Status = CaseLate
	case !s.Due.IsZero() && daysBetween(today, s.Due) < 0:
		row.Status = CaseOverdue
	default:
		row.Status = CaseOpen
	}
	secs := slices.Clone(f.Sections)
	SortSections(secs)
	c := &Case{Sections: secs}
	for i := range secs {
		sec := &secs[i]
		p := PartRow{ID: sec.ID, Path: c.SectionPath(sec.ID), Heading: sec.Current.Heading, Lead: sec.Lead, Co: sec.Co,
			Due: sec.Due, Submitted: sec.Submitted, State: sec.State, Returns: sec.Returns, Days: -1, Result: sec.Result}
		if p.Heading == "" {
			p.Heading = "第 " + sec.Item + " 条意见"
		}
		submitted := sec.State == Submitted || sec.State == Accepted
		switch {
		case sec.State == Planned:
			p.Status = PartNotSent
		case submitted && !sec.Submitted.IsZero() && daysBetween(sec.Submitted, sec.Due) >= 0:
			p.Status = PartOnTime
		case submitted:
			p.Status = PartLate
		case daysBetween(today, sec.Due) < 0:
			p.Status = PartOverdue
		default:
			p.Status = PartPending
		}
		if submitted && !sec.Submitted.IsZero() && !row.Dispatched.IsZero() {
			p.Days = max(0, daysBetween(row.Dispatched, sec.Submitted))
		}
		row.Parts = append(row.Parts, p)
	}
	return row
}

// CanSeeStatistics reports whether id may see the statistics and the
// ledger, which name every department: the office (clerks,
// administrators) and its leaders — approvers of no department (a
// department's head is often an approver too, for 会签, and sees its own
// parts on its to-do list).
func CanSeeStatistics(id Identity) bool {
	return id.Has(Clerk) || id.Has(Admin) || id.Has(Approver) && id.Dept == ""
}

// Statistics reads a year's cases — at most MaxReportCases, a page of
// MaxPage at a time — their sections and their own streams' events, and
// tallies them (Tally). Year 0 is this year. Sections submitted before
// docflow kept the submission's time (Section.Submitted) are completed
// from their own events.
func (s *Service) Statistics(ctx context.Context, id Identity, year int) (*Statistics, error) {
	const op = "workflow.Statistics"
	year, err := s.statsYear(op, id, year)
	if err != nil {
		return nil, err
	}
	return s.tally(ctx, year, MaxReportCases, true)
}

// yearSummaries reads the summaries of a year's cases, a page of MaxPage
// at a time; more than most is refused (Invalid).
func (s *Service) yearSummaries(ctx context.Context, year int, now time.Time, most int) ([]Summary, error) {
	var sums []Summary
	cursor := ""
	for {
		p, err := s.Store.Cases(ctx, Query{Year: year, Limit: MaxPage, Cursor: cursor, Today: now})
		if err != nil {
			return nil, err
		}
		sums = append(sums, p.Cases...)
		if len(sums) > most {
			return nil, Errorf("workflow.Statistics", Invalid, "%d 年的案件超过 %d 件，超出一次统计的上限；请联系管理员分批导出", year, most)
		}
		if p.Next == "" {
			return sums, nil
		}
		cursor = p.Next
	}
}

// factReaders is how many cases' sections and events are read at once: a
// year's report on DynamoDB is two requests a case.
const factReaders = 8

// facts reads what Tally needs of each case: its sections, 50 cases a
// request, and its own stream's events. Sections submitted before docflow
// kept the submission's time (Section.Submitted) are completed from their
// own events.
func (s *Service) facts(ctx context.Context, sums []Summary) ([]CaseFacts, error) {
	facts := make([]CaseFacts, len(sums))
	const batch = 50
	for i := 0; i < len(sums); i += batch {
		ids := make([]string, 0, batch)
		for _, sm := range sums[i:min(i+batch, len(sums))] {
			ids = append(ids, sm.ID)
		}
		secs, err := s.Store.Sections(ctx, ids)
		if err != nil {
			return nil, err
		}
		for j, sm := range sums[i:min(i+batch, len(sums))] {
			facts[i+j] = CaseFacts{Summary: sm, Sections: secs[sm.ID]}
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan *CaseFacts)
	var wg sync.WaitGroup
	for range min(factReaders, len(facts)) {
		wg.Go(func() {
			for f := range work {
				if err := s.readFacts(ctx, f); err != nil {
					cancel(err)
				}
			}
		})
	}
	for i := range facts {
		if ctx.Err() != nil {
			break
		}
		work <- &facts[i]
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return facts, nil
}

func (s *Service) readFacts(ctx context.Context, f *CaseFacts) error {
	if ctx.Err() != nil {
		return nil
	}
	evs, partial, err := s.readStream(ctx, f.Summary.ID, "")
	if err != nil {
		return err
	}
	f.Events, f.Partial = evs, partial
	for j := range f.Sections {
		sec := &f.Sections[j]
		if sec.Submitted.IsZero() && (sec.State == Submitted || sec.State == Accepted || sec.State == Returned) {
			if err := s.completeSection(ctx, f.Summary.ID, sec); err != nil {
				return err
			}
		}
	}
	return nil
}

// readStream reads a stream's events, newest first, at most maxStatEvents.
func (s *Service) readStream(ctx context.Context, caseID, stream string) ([]Event, bool, error) {
	var out []Event
	before := 0
	for len(out) < maxStatEvents {
		evs, err := s.Store.Events(ctx, caseID, stream, before, MaxPage)
		if err != nil {
			return nil, false, fmt.Errorf("workflow.Statistics: events of %s: %w", caseID, err)
		}
		out = append(out, evs...)
		if len(evs) < MaxPage || evs[len(evs)-1].Seq <= 1 {
			return out, false, nil
		}
		before = evs[len(evs)-1].Seq
	}
	return out, true, nil
}

// completeSection sets the submission time and returns of a section
// written before docflow kept them, from its own events.
func (s *Service) completeSection(ctx context.Context, caseID string, sec *Section) error {
	evs, _, err := s.readStream(ctx, caseID, sec.ID)
	if err != nil {
		return err
	}
	for _, e := range evs { // newest first
		switch Action(e.Action) {
		case ActSubmit:
			if sec.Submitted.IsZero() {
				sec.Submitted = e.At
			}
		case ActReturn:
			sec.Returns++
		}
	}
	return nil
}
