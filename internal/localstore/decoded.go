package localstore

import (
	"bytes"
	"encoding/json"
	"sync"
)

// decoded keeps what reads decoded lately, by row, beside the bytes it
// was decoded from, and hands out copies: a page that reads a case with
// fifty sections decodes only those that changed since the last read.
// Under load a case is read many times between two changes (a department's
// page reads it for the section, its history and its text), and decoding
// JSON was the largest part of a read (BenchmarkServe's profile).
//
// A row is found again only if its bytes are the same, so nothing stale is
// served whatever wrote the database meanwhile (another process, a
// restore). It holds at most max rows and forgets them all when full: a
// bound, not an eviction policy, as the rows in use come back at once.
type decoded[T any] struct {
	mu    sync.Mutex
	rows  map[string]decodedRow[T]
	max   int
	clone func(*T) T
}

type decodedRow[T any] struct {
	data []byte
	v    T
}

func newDecoded[T any](max int, clone func(*T) T) *decoded[T] {
	return &decoded[T]{rows: map[string]decodedRow[T]{}, max: max, clone: clone}
}

// decode returns what data decodes to, from the row's last decoding if
// its bytes are the same. data may be reused by the caller afterwards.
func (d *decoded[T]) decode(key string, data []byte) (T, error) {
	d.mu.Lock()
	r, ok := d.rows[key]
	d.mu.Unlock()
	if ok && bytes.Equal(r.data, data) {
		return d.clone(&r.v), nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, err
	}
	// The stored value is a copy no caller holds, so callers may change
	// theirs.
	r = decodedRow[T]{data: bytes.Clone(data), v: d.clone(&v)}
	d.mu.Lock()
	if len(d.rows) >= d.max {
		clear(d.rows)
	}
	d.rows[key] = r
	d.mu.Unlock()
	return v, nil
}
