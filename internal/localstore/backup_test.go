package localstore

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// TestBackupUnderLoad takes backups while departments save drafts and
// co-handlers add inputs as fast as they can, and checks each backup as a
// restore would: it opens, every audit trail verifies, and every draft,
// input and file the cases refer to can be read (Service.Check).
func TestBackupUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir, WithoutSync())
	svc, acc := testService(t, s, s.Blobs())
	who := func(u string) workflow.Identity {
		a, err := s.Account(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return a.Identity()
	}
	member := func(dept string, r workflow.Role) workflow.Identity {
		for _, a := range acc {
			if a.Dept == dept && a.Has(r) {
				return a.Identity()
			}
		}
		t.Fatalf("no %s in %s", r, dept)
		return workflow.Identity{}
	}

	var cases []*workflow.Case
	for n := range 3 {
		o := &workflow.Opinion{Number: fmt.Sprintf("某会〔2026〕%d号", n+1), Title: "关于某项工作的审议意见", Date: workflow.Day(2026, 1, 5), Due: workflow.Day(2026, 7, 5),
			Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "甲。"}, {ID: "2", Level: 1, Label: "二、", Text: "乙。"}}}
		c, err := svc.Intake(ctx, who("clerk"), workflow.Source{Name: "o.txt"}, fmt.Appendf(nil, "opinion %d", n), o)
		if err != nil {
			t.Fatal(err)
		}
		c, err = svc.Assign(ctx, who("clerk"), c.ID, c.Version, []workflow.Assignment{
			{Item: "1", Lead: "区妇联", Co: []string{"区民政局"}}, {Item: "2", Lead: "区民政局"}})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = svc.Dispatch(ctx, who("clerk"), c.ID); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		saves atomic.Int64
	)
	for _, c := range cases {
		for _, sec := range c.Sections {
			staff := member(sec.Lead, workflow.Staff)
			wg.Go(func() {
				rev := sec.Rev
				// Bounded, so that the backups run under load the test
				// controls: each writer saves a few hundred times.
				for k := 0; k < 1000 && !stop.Load(); k++ {
					time.Sleep(5 * time.Millisecond)
					got, err := svc.SaveSection(ctx, staff, c.ID, sec.ID, rev, "标题", fmt.Sprintf("%s %s 第 %d 稿 %d", c.ID, sec.ID, k, time.Now().UnixNano()), "")
					if err != nil {
						t.Errorf("save: %v", err)
						return
					}
					s, _ := got.Section(sec.ID)
					rev = s.Rev
					saves.Add(1)
					if k%5 == 0 && len(sec.Co) > 0 {
						if _, err := svc.AddInput(ctx, member(sec.Co[0], workflow.Staff), c.ID, sec.ID, fmt.Sprintf("协办意见 %d", k)); err != nil {
							t.Errorf("input: %v", err)
							return
						}
					}
				}
			})
		}
	}
	var backups []string
	for i := range 3 {
		time.Sleep(100 * time.Millisecond)
		dest := filepath.Join(t.TempDir(), fmt.Sprintf("backup-%d", i))
		n, err := s.Backup(ctx, dest)
		if err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("Backup under load: %v", err)
		}
		t.Logf("backup %d: %d files, with %d saves done so far", i, n, saves.Load())
		backups = append(backups, dest)
	}
	stop.Store(true)
	wg.Wait()

	for i, b := range backups {
		restored := filepath.Join(t.TempDir(), "restored")
		if _, err := Restore(b, restored); err != nil {
			t.Fatalf("Restore(backup %d): %v", i, err)
		}
		r := mustOpen(t, restored)
		rsvc := &workflow.Service{Store: r, Blobs: r.Blobs(), Dir: r, Render: fakeRender{}}
		events, blobs := 0, 0
		for _, c := range cases {
			e, n, err := rsvc.Check(ctx, c.ID)
			if err != nil {
				t.Errorf("backup %d, case %s: %v", i, c.ID, err)
			}
			events, blobs = events+e, blobs+n
		}
		t.Logf("backup %d restored: %d events verified, %d texts read", i, events, blobs)
	}
	// A backup is not written over anything.
	if _, err := s.Backup(ctx, backups[0]); workflow.KindOf(err) != workflow.Invalid {
		t.Errorf("Backup into a directory that holds a backup = %v; want Invalid", err)
	}
	if _, err := Restore(t.TempDir(), filepath.Join(t.TempDir(), "x")); workflow.KindOf(err) != workflow.Invalid {
		t.Errorf("Restore of a directory that is no backup = %v; want Invalid", err)
	}
}

// testService is a service over s set up as the fixture's office, and
// its accounts.
func testService(t *testing.T, s *Store, b *Blobs) (*workflow.Service, []workflow.Account) {
	t.Helper()
	seed, err := templates.Office(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := &workflow.Service{Store: s, Blobs: b, Dir: s, Render: fakeRender{}}
	workflowtest.SetUp(t, svc, seed, acc)
	return svc, acc
}

type fakeRender struct{}

func (fakeRender) Render(_ context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	return []workflow.Rendered{{Name: "notice.html", ContentType: "text/html; charset=utf-8", Data: []byte(n.Number + "\n" + n.Body)}}, nil
}
