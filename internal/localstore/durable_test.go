package localstore

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestGroupSync has 50 writers commit at once while the first flush is
// held until every commit is counted: each writer must come back only
// after a flush that began after its commit, and the 50 must share at
// most two flushes (the held one, which began before most of them, and
// one more for the rest).
func TestGroupSync(t *testing.T) {
	const writers = 50
	var (
		g       = &groupSync{}
		mu      sync.Mutex
		starts  []uint64 // commits counted when each flush began
		ends    []time.Time
		release = make(chan struct{})
		first   = true
	)
	g.flush = func() error {
		g.mu.Lock()
		made := g.made
		g.mu.Unlock()
		mu.Lock()
		starts = append(starts, made)
		hold := first
		first = false
		mu.Unlock()
		if hold {
			<-release
		}
		mu.Lock()
		ends = append(ends, time.Now())
		mu.Unlock()
		return nil
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		back  = make([]time.Time, writers)
		nums  = make([]uint64, writers)
	)
	for i := range writers {
		wg.Go(func() {
			<-start
			nums[i] = g.commit()
			if err := g.wait(nums[i]); err != nil {
				t.Error(err)
			}
			back[i] = time.Now()
		})
	}
	close(start)
	// Hold the first flush until all 50 are counted.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		g.mu.Lock()
		made := g.made
		g.mu.Unlock()
		if made == writers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d commits counted", made, writers)
		}
	}
	close(release)
	wg.Wait()

	if len(starts) > 2 {
		t.Errorf("%d flushes for %d commits made together; want at most 2", len(starts), writers)
	}
	for i, n := range nums {
		covered := false
		for f, made := range starts {
			if made >= n && !ends[f].After(back[i]) {
				covered = true
			}
		}
		if !covered {
			t.Errorf("commit %d was acknowledged before a flush begun after it ended (flushes began at %v)", n, starts)
		}
	}
}

// TestGroupSyncFailure: a flush that fails is reported to the writers
// waiting for it, and the next writer flushes again.
func TestGroupSyncFailure(t *testing.T) {
	fail := errors.New("disk gone")
	calls := 0
	g := &groupSync{flush: func() error {
		calls++
		if calls == 1 {
			return fail
		}
		return nil
	}}
	if err := g.wait(g.commit()); !errors.Is(err, fail) {
		t.Fatalf("first wait: %v; want the flush's error", err)
	}
	if err := g.wait(g.commit()); err != nil || calls != 2 {
		t.Fatalf("second wait: %v after %d flushes; want a new flush that succeeds", err, calls)
	}
}
