package localstore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

func TestStore(t *testing.T) {
	workflowtest.TestStore(t, func(t *testing.T) workflow.Store { return mustOpen(t, t.TempDir()) })
}

func TestWorkflow(t *testing.T) {
	workflowtest.TestWorkflow(t, workflowtest.FullScale, func(t *testing.T) (workflowtest.Stores, workflow.Blobs) {
		s := mustOpen(t, t.TempDir(), WithoutSync())
		return s, s.Blobs()
	})
}

func TestDirectory(t *testing.T) {
	workflowtest.TestDirectory(t, func(t *testing.T) workflowtest.People { return mustOpen(t, t.TempDir(), WithoutSync()) })
}

func TestBlobs(t *testing.T) {
	workflowtest.TestBlobs(t, func(t *testing.T) workflow.Blobs { return mustOpenBlobs(t, t.TempDir()) })
}

func mustOpen(tb testing.TB, dir string, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		tb.Fatalf("Open(%s) = %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close = %v", err)
		}
	})
	return s
}

func mustOpenBlobs(tb testing.TB, dir string) *Blobs {
	tb.Helper()
	b, err := OpenBlobs(dir)
	if err != nil {
		tb.Fatalf("OpenBlobs(%s) = %v", dir, err)
	}
	return b
}

// numbered returns a case ready to be numbered, committed to s.
func numbered(t testing.TB, s *Store, id string) *workflow.Case {
	t.Helper()
	c, evs := workflowtest.NewCase(id)
	c.Stage, c.Publication = workflow.Approved, nil
	ch := &workflow.Change{Case: c, Record: true, Opinion: true, Events: evs}
	for _, sec := range c.Sections {
		ch.Sections = append(ch.Sections, sec.ID)
	}
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatalf("Commit(%s) = %v", id, err)
	}
	return c
}

// number allocates the next number to the case, recording one event.
func number(s *Store, id string) (*workflow.Case, error) {
	var c *workflow.Case
	err := s.AllocateNumber(context.Background(), "静府议", 2025, func(seq int) (*workflow.Change, error) {
		read, err := s.Case(context.Background(), id)
		if err != nil {
			return nil, err
		}
		c = read
		c.Publication = &workflow.Publication{Series: "静府议", Year: 2025, Seq: seq}
		c.Head.Seq++
		e := workflow.Event{Case: id, Seq: c.Head.Seq, Action: "number", Detail: c.Publication.Number()}
		return &workflow.Change{Case: c, Record: true, Events: []workflow.Event{e}}, nil
	})
	return c, err
}

// TestReopen checks that everything written survives closing the data
// directory and opening it again, as when the server restarts.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data", "docflow") // Open creates it
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	c := numbered(t, s, "c-reopen")
	if err := s.SetCounter(ctx, "静府议", 2025, 0, 16); err != nil {
		t.Fatalf("SetCounter = %v", err)
	}
	if _, err := number(s, c.ID); err != nil {
		t.Fatalf("AllocateNumber = %v", err)
	}
	b := mustOpenBlobs(t, dir)
	hash, err := b.Put(ctx, []byte("区政府高度重视审议意见的办理工作。"))
	if err != nil {
		t.Fatalf("Put = %v", err)
	}
	if err := b.PutFile(ctx, "published/c-reopen/notice.html", []byte("<p>静府议〔2025〕17号</p>"), "text/html"); err != nil {
		t.Fatalf("PutFile = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	s = mustOpen(t, dir)
	got, err := s.Case(ctx, c.ID)
	if err != nil {
		t.Fatalf("Case after reopening = %v", err)
	}
	if got.Version != 2 || got.Publication.Number() != "静府议〔2025〕17号" || got.Opinion.Title != c.Opinion.Title {
		t.Errorf("Case after reopening = version %d, %s, %s; want version 2, 静府议〔2025〕17号, %s",
			got.Version, got.Publication.Number(), got.Opinion.Title, c.Opinion.Title)
	}
	if got, err := s.Events(ctx, c.ID, "", 0, 1); err != nil || len(got) != 1 || got[0].Detail != "静府议〔2025〕17号" {
		t.Errorf("Events after reopening = %+v, %v; want the number last", got, err)
	}
	if n, err := s.Counter(ctx, "静府议", 2025); err != nil || n != 17 {
		t.Errorf("Counter after reopening = %d, %v; want 17", n, err)
	}
	if p, err := s.Cases(ctx, workflow.Query{Dept: "区卫健委"}); err != nil || len(p.Cases) != 1 {
		t.Errorf("Cases(区卫健委) after reopening = %d cases, %v; want 1", len(p.Cases), err)
	}
	b = mustOpenBlobs(t, dir)
	if got, err := b.Get(ctx, hash); err != nil || string(got) != "区政府高度重视审议意见的办理工作。" {
		t.Errorf("Get after reopening = %q, %v", got, err)
	}
	if got, err := b.File(ctx, "published/c-reopen/notice.html"); err != nil || string(got) != "<p>静府议〔2025〕17号</p>" {
		t.Errorf("File after reopening = %q, %v", got, err)
	}
}

// TestTwoProcesses has two Stores on one data directory, as when the
// command line runs beside the server, allocate numbers at once: SQLite's
// locks between them must end in retries, never in an error or a gap.
func TestTwoProcesses(t *testing.T) {
	const n = 40
	dir := t.TempDir()
	stores := []*Store{mustOpen(t, dir), mustOpen(t, dir)}
	for i := range n {
		numbered(t, stores[0], fmt.Sprintf("c-%02d", i))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := number(stores[i%2], fmt.Sprintf("c-%02d", i)); err != nil {
				t.Errorf("AllocateNumber(c-%02d) in store %d = %v", i, i%2, err)
			}
		})
	}
	wg.Wait()
	var seqs []int
	for i := range n {
		got, err := stores[1].Case(t.Context(), fmt.Sprintf("c-%02d", i))
		if err != nil {
			t.Fatalf("Case = %v", err)
		}
		seqs = append(seqs, got.Publication.Seq)
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != i+1 {
			t.Fatalf("numbers from two stores, sorted = %v; want 1..%d", seqs, n)
		}
	}
}

func TestFileKeys(t *testing.T) {
	b := mustOpenBlobs(t, t.TempDir())
	bad := []string{
		"", ".", "/etc/passwd", "../docflow.db", "published/../../docflow.db", "published/c1/../c2/notice.html",
		`published\c1\notice.html`, "published//notice.html", "published/c1/", "C:/notice.html", "notice.html:stream",
	}
	for _, key := range bad {
		if err := b.PutFile(t.Context(), key, []byte("x"), "text/plain"); workflow.KindOf(err) != workflow.Invalid {
			t.Errorf("PutFile(%q) = %v; want kind Invalid", key, err)
		}
		if _, err := b.File(t.Context(), key); workflow.KindOf(err) != workflow.Invalid {
			t.Errorf("File(%q) = %v; want kind Invalid", key, err)
		}
	}
	good := []string{"published/c0123456789ab/notice.html", "published/c0123456789ab/静府议〔2025〕17号.pdf", "notice.html"}
	for _, key := range good {
		if err := b.PutFile(t.Context(), key, []byte(key), "text/plain"); err != nil {
			t.Errorf("PutFile(%q) = %v", key, err)
		}
	}
}

// TestFileKeyClash checks what a bucket allows and a directory cannot: a
// key that is also the prefix of another.
func TestFileKeyClash(t *testing.T) {
	b := mustOpenBlobs(t, t.TempDir())
	if err := b.PutFile(t.Context(), "published/c1/notice.html", []byte("a"), "text/html"); err != nil {
		t.Fatalf("PutFile = %v", err)
	}
	for _, key := range []string{"published/c1", "published/c1/notice.html/x"} {
		if err := b.PutFile(t.Context(), key, []byte("b"), "text/html"); workflow.KindOf(err) != workflow.Conflict {
			t.Errorf("PutFile(%s) = %v; want kind Conflict", key, err)
		}
		if _, err := b.File(t.Context(), key); workflow.KindOf(err) != workflow.NotFound {
			t.Errorf("File(%s) = %v; want kind NotFound", key, err)
		}
	}
}

func TestGetChecksContent(t *testing.T) {
	dir := t.TempDir()
	b := mustOpenBlobs(t, dir)
	hash, err := b.Put(t.Context(), []byte("第一稿"))
	if err != nil {
		t.Fatalf("Put = %v", err)
	}
	if err := os.WriteFile(b.blobPath(hash), []byte("被篡改的稿件"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(t.Context(), hash); err == nil || workflow.KindOf(err) != workflow.Other {
		t.Errorf("Get of a damaged blob = %v; want an internal error", err)
	}
	for _, h := range []string{"", "../../docflow.db", hash[:63], string(bytes.ToUpper([]byte(hash)))} {
		if _, err := b.Get(t.Context(), h); workflow.KindOf(err) != workflow.Invalid {
			t.Errorf("Get(%q) = %v; want kind Invalid", h, err)
		}
	}
}

func TestOutbox(t *testing.T) {
	workflowtest.TestOutbox(t, func(t *testing.T) workflowtest.Mailroom { return mustOpen(t, t.TempDir(), WithoutSync()) })
}
