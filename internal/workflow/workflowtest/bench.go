package workflowtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// BenchmarkLists fills a store with cases in steps (sizes, ascending) and,
// at each size, times reading the first page of the lists offices use: all
// cases, a stage, a department, a year, the overdue, a department's
// overdue (what its staff see), a search, a kind and a kind's category.
// Each
// sub-benchmark reports its median page time (p50-ms) and the page's size
// as JSON (page-bytes): a list must cost the same at ten thousand cases as
// at one thousand, and a page must stay small.
func BenchmarkLists(b *testing.B, s workflow.Store, sizes []int) {
	have := 0
	for _, n := range sizes {
		fill(b, s, have, n)
		have = n
		today := workflow.Day(2026, 6, 1)
		for _, q := range []struct {
			name string
			q    workflow.Query
		}{
			{"all", workflow.Query{}},
			{"stage", workflow.Query{Stage: workflow.Drafting}},
			{"dept", workflow.Query{Dept: "第3局"}},
			{"year", workflow.Query{Year: 2026}},
			{"overdue", workflow.Query{Overdue: true, Today: today}},
			{"dept-overdue", workflow.Query{Dept: "第3局", Overdue: true, Today: today}},
			{"search", workflow.Query{Text: "第7号"}},
			{"kind", workflow.Query{Kind: "suggestion"}},
			{"kind-category", workflow.Query{Kind: "suggestion", Category: "类1"}},
		} {
			b.Run(fmt.Sprintf("cases=%d/%s", n, q.name), func(b *testing.B) {
				q.q.Limit = workflow.DefaultPage
				var times []time.Duration
				var size int
				for b.Loop() {
					start := time.Now()
					p, err := s.Cases(b.Context(), q.q)
					times = append(times, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					raw, _ := json.Marshal(p)
					size = len(raw)
				}
				slices.Sort(times)
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(size), "page-bytes")
			})
		}
	}
}

// fill adds cases from to n: small ones (a record, an opinion, a section,
// an event), spread over two years, three stages and twenty departments,
// as an office's list holds them. Eight writers at once.
func fill(b *testing.B, s workflow.Store, from, n int) {
	b.Helper()
	base := time.Date(2025, 1, 1, 9, 0, 0, 0, workflow.Zone)
	stages := []workflow.Stage{workflow.Drafting, workflow.Signing, workflow.Published}
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				created := base.Add(time.Duration(i) * 100 * time.Minute)
				c := &workflow.Case{
					Record: workflow.Record{ID: fmt.Sprintf("c%07d", i), Stage: stages[i%3], Created: created},
					Opinion: workflow.Opinion{Number: fmt.Sprintf("某会〔%d〕%d号", created.Year(), i), Title: fmt.Sprintf("关于第%d号议题的审议意见", i),
						Issuer: "某区人大常委会", Due: created.Add(90 * 24 * time.Hour),
						Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "加强工作。"}}},
					Sections: []workflow.Section{{ID: "s1", Item: "1", Level: 1, Lead: fmt.Sprintf("第%d局", i%20), Co: []string{fmt.Sprintf("第%d局", (i+1)%20)},
						Due: created.Add(60 * 24 * time.Hour), State: workflow.Open}},
				}
				// A quarter are 代表建议 in three categories, a quarter
				// 政协提案 (issue 13): the lists by kind read a page of them.
				switch i % 4 {
				case 1:
					c.Opinion.Kind, c.Opinion.Category, c.Opinion.Proposer = "suggestion", fmt.Sprintf("类%d", i%3), "某代表"
				case 3:
					c.Opinion.Kind, c.Opinion.Category, c.Opinion.Proposer = "proposal", "经济", "某委员"
				}
				e := record(c, "", "intake", c.Created)
				if err := create(b.Context(), s, c, []workflow.Event{e}); err != nil {
					b.Errorf("creating case %d: %v", i, err)
				}
			}
		})
	}
	for i := from; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

// BenchmarkYear is issue 13's: an office's year of 代表建议 and 政协提案 at
// each of sizes cases, measured as the statistics page reads it — the
// kept report (Service.Report) and one page of the ledger (Service.Ledger)
// — beside the list of the year's suggestions, and the background tally
// that keeps the report (Service.RefreshReports), which reads every case
// and so grows with the year. Each size is a year of its own (2030 and
// back), filled once.
func BenchmarkYear(b *testing.B, s workflow.Store, sizes []int) {
	clerk := workflow.Identity{User: "clerk", Name: "经办人", Roles: []workflow.Role{workflow.Clerk}}
	for i, n := range sizes {
		year := 2030 - i
		fillYear(b, s, year, n)
		// The tally runs as the scheduled job does, on a day of the year.
		svc := &workflow.Service{Store: s, Now: func() time.Time { return time.Date(year, 12, 31, 20, 0, 0, 0, workflow.Zone) }}
		if err := svc.RefreshReports(b.Context()); err != nil {
			b.Fatal(err)
		}
		p50 := func(b *testing.B, op func() (any, error)) {
			var times []time.Duration
			var size int
			for b.Loop() {
				start := time.Now()
				v, err := op()
				times = append(times, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := json.Marshal(v)
				size = len(raw)
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			if size > len("null") {
				b.ReportMetric(float64(size), "page-bytes")
			}
		}
		b.Run(fmt.Sprintf("cases=%d/report", n), func(b *testing.B) {
			p50(b, func() (any, error) { return svc.Report(b.Context(), clerk, year) })
		})
		b.Run(fmt.Sprintf("cases=%d/ledger", n), func(b *testing.B) {
			p50(b, func() (any, error) { return svc.Ledger(b.Context(), clerk, year, "", 0) })
		})
		b.Run(fmt.Sprintf("cases=%d/list", n), func(b *testing.B) {
			p50(b, func() (any, error) {
				return s.Cases(b.Context(), workflow.Query{Year: year, Kind: "suggestion", Limit: workflow.DefaultPage})
			})
		})
		b.Run(fmt.Sprintf("cases=%d/tally", n), func(b *testing.B) {
			p50(b, func() (any, error) { return nil, svc.RefreshReports(b.Context()) })
		})
	}
}

// fillYear adds n cases to a year as an office's year of 代表建议 (two
// thirds) and 政协提案 holds them: one part each, led by one of twenty
// departments, a third answered and published, a third submitted, a
// third being drafted, with the events the statistics read.
func fillYear(b *testing.B, s workflow.Store, year, n int) {
	b.Helper()
	start := time.Date(year, 1, 10, 9, 0, 0, 0, workflow.Zone)
	step := 300 * 24 * time.Hour / time.Duration(n)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				created := start.Add(time.Duration(i) * step)
				kind, cat := "suggestion", fmt.Sprintf("类%d", i%3)
				if i%3 == 2 {
					kind, cat = "proposal", "经济"
				}
				sec := workflow.Section{ID: "s1", Item: "1", Level: 1, Lead: fmt.Sprintf("第%d局", i%20), Co: []string{fmt.Sprintf("第%d局", (i+1)%20)},
					Due: created.Add(90 * 24 * time.Hour), State: workflow.Open}
				c := &workflow.Case{
					Record: workflow.Record{ID: fmt.Sprintf("y%d-%06d", year, i), Stage: workflow.Drafting, Created: created},
					Opinion: workflow.Opinion{Kind: kind, Category: cat, Proposer: "某代表", Number: fmt.Sprintf("第%d号", i+1), Title: fmt.Sprintf("关于第%d件事的建议", i+1),
						Issuer: "某区人大常委会", Due: created.Add(90 * 24 * time.Hour),
						Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "建议加强工作。"}}},
					Sections: []workflow.Section{sec},
				}
				evs := []workflow.Event{record(c, "", "intake", created), record(c, "", string(workflow.ActDispatch), created.Add(48*time.Hour))}
				switch i % 3 {
				case 1:
					c.Sections[0].State, c.Sections[0].Submitted = workflow.Submitted, created.Add(40*24*time.Hour)
				case 2:
					c.Sections[0].State, c.Sections[0].Submitted = workflow.Accepted, created.Add(30*24*time.Hour)
					c.Stage = workflow.Published
					evs = append(evs,
						record(c, "", string(workflow.ActCompile), created.Add(32*24*time.Hour)),
						record(c, "", string(workflow.ActStartSignoff), created.Add(33*24*time.Hour)),
						record(c, "", string(workflow.ActApprove), created.Add(35*24*time.Hour)),
						record(c, "", string(workflow.ActPublish), created.Add(36*24*time.Hour)))
				}
				if err := create(b.Context(), s, c, evs); err != nil {
					b.Errorf("creating case %d of %d: %v", i, year, err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
