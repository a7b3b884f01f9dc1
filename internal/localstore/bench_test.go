package localstore

import (
	"fmt"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// The benchmarks use the full case of workflowtest.NewCase (about 10 KB of
// JSON) and one event per write, like a transition of workflow.Service.
// Run them together so that AllocateNumber can be read against SaveCase,
// the same write without the counter:
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

func BenchmarkSaveCase(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), m.opts...)
			c, evs := numbered("c-bench")
			if err := s.CreateCase(b.Context(), c, evs); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				c.Events++
				ev := []workflow.Event{{Case: c.ID, Seq: c.Events, Action: "save-section", Detail: "保存第 2 稿"}}
				if err := s.SaveCase(b.Context(), c, c.Version, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAllocateNumber(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), m.opts...)
			c, evs := numbered("c-bench")
			if err := s.CreateCase(b.Context(), c, evs); err != nil {
				b.Fatal(err)
			}
			// The store does not check the stage, so one case can be
			// numbered over and over; each time is a full allocation.
			for b.Loop() {
				if err := number(s, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCase(b *testing.B) {
	s := mustOpen(b, b.TempDir())
	c, evs := numbered("c-bench")
	if err := s.CreateCase(b.Context(), c, evs); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Case(b.Context(), c.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCasesByDept lists the 20 cases of one department among 200.
func BenchmarkCasesByDept(b *testing.B) {
	s := mustOpen(b, b.TempDir(), WithoutSync())
	for i := range 200 {
		c := workflowtest.NewCase(fmt.Sprintf("c-%03d", i))
		if i%10 != 0 {
			for j := range c.Sections {
				c.Sections[j].Lead, c.Sections[j].Co = "区民政局", nil
			}
		}
		if err := s.CreateCase(b.Context(), c, nil); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		cs, err := s.Cases(b.Context(), workflow.Query{Dept: "区卫健委"})
		if err != nil || len(cs) != 20 {
			b.Fatalf("Cases = %d, %v", len(cs), err)
		}
	}
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
