package localstore

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// The benchmarks use the full case of workflowtest.NewCase and one event
// per write, like a transition of workflow.Service. Run them together so
// that AllocateNumber can be read against a plain commit of the record, the
// same write without the counter:
//
//	go test -run '^$' -bench . -benchmem ./internal/localstore/
//
// Writes are measured durable (a disk flush per commit, the default) and
// WithoutSync, which leaves only SQLite's and docflow's own work.

var modes = []struct {
	name string
	opts []Option
}{
	{"durable", nil},
	{"nosync", []Option{WithoutSync()}},
}

// BenchmarkCommit writes what a department's save writes (its section and
// one event) and what a sign-off step writes (the case's record and one
// event).
func BenchmarkCommit(b *testing.B) {
	for _, m := range modes {
		for _, what := range []string{"section", "record"} {
			b.Run(m.name+"/"+what, func(b *testing.B) {
				s := mustOpen(b, b.TempDir(), m.opts...)
				c := numbered(b, s, "c-bench")
				for b.Loop() {
					ch := &workflow.Change{Case: c}
					stream := ""
					if what == "section" {
						ch.Sections, stream = []string{"s2"}, "s2"
						c.Sections[1].Rev++
					} else {
						ch.Record = true
						c.Report.Rev++
					}
					h := &c.Head
					if stream != "" {
						h = &c.Sections[1].Head
					}
					h.Seq++
					ch.Events = []workflow.Event{{Case: c.ID, Stream: stream, Seq: h.Seq, Action: "save", Detail: "保存第 2 稿"}}
					if err := s.Commit(b.Context(), ch); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCommitConcurrent has 32 writers, each saving a section of its
// own case as fast as it can: the office under load. "durable" flushes the
// WAL once for every commit made meanwhile (groupSync); "flush-each" is
// the baseline, SQLite flushing inside every commit (synchronous=FULL),
// all of them queued behind the one write connection.
func BenchmarkCommitConcurrent(b *testing.B) {
	for _, m := range []struct {
		name string
		opts []Option
	}{
		{"durable", nil},
		{"flush-each", []Option{func(c *config) { c.flushEach = true }}},
	} {
		b.Run(m.name, func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), m.opts...)
			const writers = 32
			cases := make(chan *workflow.Case, writers)
			for i := range writers {
				cases <- numbered(b, s, fmt.Sprintf("c-bench-%d", i))
			}
			b.SetParallelism(writers / max(1, runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				c := <-cases
				for pb.Next() {
					sec := &c.Sections[1]
					sec.Rev++
					sec.Head.Seq++
					ch := &workflow.Change{Case: c, Sections: []string{sec.ID},
						Events: []workflow.Event{{Case: c.ID, Stream: sec.ID, Seq: sec.Head.Seq, Action: "save", Detail: "保存第 2 稿"}}}
					if err := s.Commit(b.Context(), ch); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkAllocateNumber(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), m.opts...)
			c := numbered(b, s, "c-bench")
			// The store does not check the stage, so one case can be
			// numbered over and over; each time is a full allocation.
			for b.Loop() {
				if _, err := number(s, c.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCase(b *testing.B) {
	s := mustOpen(b, b.TempDir())
	c := numbered(b, s, "c-bench")
	for b.Loop() {
		if _, err := s.Case(b.Context(), c.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLists is the list benchmark of the storage work: one page at
// 1,000 and at 10,000 cases.
func BenchmarkLists(b *testing.B) {
	s := mustOpen(b, b.TempDir(), WithoutSync())
	workflowtest.BenchmarkLists(b, s, []int{1000, 10000})
}

// BenchmarkPut stores a new 8 KB draft each time.
func BenchmarkPut(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			bl, err := OpenBlobs(b.TempDir(), m.opts...)
			if err != nil {
				b.Fatal(err)
			}
			body := make([]byte, 8<<10)
			i := 0
			for b.Loop() {
				i++
				copy(body, fmt.Sprint(i))
				if _, err := bl.Put(b.Context(), body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkYear is issue 13's: the statistics page and the lists of a
// year of 500 and of 5,000 代表建议 and 政协提案, beside the background
// tally that keeps the year's report.
func BenchmarkYear(b *testing.B) {
	s := mustOpen(b, b.TempDir(), WithoutSync())
	workflowtest.BenchmarkYear(b, s, []int{500, 5000})
}
