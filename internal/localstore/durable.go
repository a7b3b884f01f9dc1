package localstore

import (
	"errors"
	"io/fs"
	"os"
	"sync"
)

// groupSync makes commits durable in groups: one flush of the WAL to disk
// for every commit made before it began, however many there were.
//
// With synchronous=FULL SQLite flushes the WAL inside every commit, while
// it holds the only write connection, so under load writers queue behind
// one disk flush each (milliseconds, tens on virtual disks). Instead the
// writer runs with synchronous=NORMAL, which flushes only around
// checkpoints and loses nothing when the process dies, and a commit is
// not acknowledged until a flush that began after it has finished. A
// commit's frames are in the WAL file (written, in the page cache) when
// tx.Commit returns, and fsync on any descriptor of the file writes every
// page written before the call: so whoever waits for a flush begun after
// its commit is as durable as with FULL, and those who commit while a
// flush runs share the next one.
type groupSync struct {
	flush func() error // writes the WAL file to disk (flushFile)

	mu      sync.Mutex
	made    uint64        // commits counted so far
	synced  uint64        // commits known to be on disk
	running chan struct{} // closed when the flush under way ends; nil if none
	err     error         // of the last flush
}

// commit counts a commit that has returned and returns its number, for
// wait. Call it after tx.Commit, before acknowledging the write.
func (g *groupSync) commit() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.made++
	return g.made
}

// wait returns once commit n is on disk: after the flush under way if
// that one began after n was counted, else after the next, which the
// first waiter to find none running starts.
func (g *groupSync) wait(n uint64) error {
	g.mu.Lock()
	for {
		if g.synced >= n {
			g.mu.Unlock()
			return nil
		}
		if ch := g.running; ch != nil {
			g.mu.Unlock()
			<-ch
			g.mu.Lock()
			if g.err != nil && g.synced < n {
				err := g.err
				g.mu.Unlock()
				return err
			}
			continue
		}
		target := g.made // every commit counted is in the file now
		ch := make(chan struct{})
		g.running = ch
		g.mu.Unlock()

		err := g.flush()

		g.mu.Lock()
		g.running, g.err = nil, err
		if err == nil && target > g.synced {
			g.synced = target
		}
		close(ch)
		if err != nil {
			g.mu.Unlock()
			return err
		}
	}
}

// flushFile writes the file at path to disk. A WAL that is gone was
// checkpointed into the database, and SQLite flushes the database before
// it removes its WAL: nothing is left to write.
func flushFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
