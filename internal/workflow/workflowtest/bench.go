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
