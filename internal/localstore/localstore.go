// Package localstore keeps docflow's data on one machine: cases, audit
// events and number counters in an SQLite database, drafts and published
// files as files under the same data directory. It is the embedded
// counterpart of awsstore and passes the same contract
// (workflowtest.TestStore, workflowtest.TestBlobs).
//
// SQLite comes through modernc.org/sqlite, a translation of SQLite to Go,
// so docflow builds with CGO_ENABLED=0.
package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store keeps cases, events and counters in dir/docflow.db. It is safe for
// concurrent use, also by several processes sharing the data directory.
type Store struct {
	// w holds the single connection that writes. database/sql queues
	// writers in the process for it, which is cheaper and fairer than
	// letting many connections poll SQLite's write lock; busy_timeout and
	// the retry in write cover writers in other processes.
	w *sql.DB
	// r serves reads, which in WAL mode run beside the writer and each
	// other, on their own snapshot.
	r *sql.DB

	path  string // of the database file
	blobs *Blobs
	// durable flushes commits to disk in groups before they are
	// acknowledged; nil under WithoutSync.
	durable *groupSync

	// What reads decoded lately (see decoded): at most 20,000 sections
	// (about 30 MB) and 2,000 opinions.
	sections *decoded[workflow.Section]
	opinions *decoded[workflow.Opinion]
}

var _ workflow.Store = (*Store)(nil)

// Connection settings, as modernc.org/sqlite DSN parameters:
//   - journal_mode WAL: readers neither block the writer nor wait for it.
//   - synchronous NORMAL, and no write acknowledged before the WAL is on
//     disk (groupSync): a commit survives a power cut. A document number
//     lost with a commit could be given out again after the notice carrying
//     it was published; that is worth a disk flush, shared by the commits
//     made while the one before ran. (Unless WithoutSync says otherwise.)
//   - foreign_keys: events and department rows cannot exist without their
//     case. SQLite sets this per connection, so it belongs in the DSN.
//   - busy_timeout: a connection waits for a lock another process holds
//     instead of failing at once with SQLITE_BUSY.
//   - txlock immediate (writer only): BEGIN takes the write lock at once, so
//     a transaction never reads under a lock it later fails to upgrade;
//     that upgrade failure is an SQLITE_BUSY busy_timeout cannot wait out.
//   - query_only (reader only): a read connection cannot write by mistake.
const (
	busyTimeout = 5 * time.Second
	writeTries  = 5
)

// An Option changes how Open and OpenBlobs open the data directory.
type Option func(*config)

type config struct {
	sync bool
	// flushEach has SQLite flush the WAL inside every commit
	// (synchronous=FULL) instead of groupSync: the benchmarks' baseline.
	flushEach bool
}

// WithoutSync skips flushing commits and files to disk. A crash of the
// process loses nothing, but a crash of the machine can lose recent writes
// or damage the database. Writing then costs a fraction of a millisecond
// instead of one or more disk flushes (milliseconds, often tens on virtual
// disks), which is what tests and throwaway demos want; real data does not.
func WithoutSync() Option { return func(c *config) { c.sync = false } }

func configure(opts []Option) config {
	c := config{sync: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func dsn(path string, cfg config, extra url.Values) string {
	sync := "NORMAL" // and groupSync
	switch {
	case !cfg.sync:
		sync = "OFF"
	case cfg.flushEach:
		sync = "FULL"
	}
	q := url.Values{
		"_journal_mode": {"WAL"},
		"_synchronous":  {sync},
		"_foreign_keys": {"on"},
		"_busy_timeout": {fmt.Sprint(busyTimeout.Milliseconds())},
	}
	for k, v := range extra {
		q[k] = v
	}
	return path + "?" + q.Encode()
}

// Open opens the store in dir, creating dir and the database if needed and
// bringing the schema up to date. The store's Blobs live in the same
// directory.
func Open(dir string, opts ...Option) (*Store, error) {
	const op = "localstore.Open"
	cfg := configure(opts)
	if strings.ContainsRune(dir, '?') {
		// The driver would read what follows as connection settings.
		return nil, workflow.Errorf(op, workflow.Invalid, "数据目录 %q 的路径不能含有“?”", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, failure(op, err)
	}
	blobs, err := OpenBlobs(dir, opts...)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "docflow.db")
	w, err := sql.Open("sqlite", dsn(path, cfg, url.Values{"_txlock": {"immediate"}}))
	if err != nil {
		return nil, failure(op, err)
	}
	w.SetMaxOpenConns(1)
	if err := migrate(context.Background(), w); err != nil {
		w.Close()
		return nil, failure(op, fmt.Errorf("migrate %s: %w", path, err))
	}
	r, err := sql.Open("sqlite", dsn(path, cfg, url.Values{"_query_only": {"on"}}))
	if err != nil {
		w.Close()
		return nil, failure(op, err)
	}
	// Opening an SQLite connection costs far more than a query (it reads
	// the schema and applies the settings), and reads are CPU-bound: a few
	// connections, kept open, serve bursts of readers better than one per
	// reader opened and closed.
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	r.SetMaxIdleConns(max(4, runtime.NumCPU()))
	st := &Store{w: w, r: r, path: path, blobs: blobs,
		sections: newDecoded(20000, (*workflow.Section).Clone),
		opinions: newDecoded(2000, (*workflow.Opinion).Clone)}
	if cfg.sync && !cfg.flushEach {
		wal := path + "-wal"
		st.durable = &groupSync{flush: func() error { return flushFile(wal) }}
	}
	return st, nil
}

// Blobs returns the drafts and published files kept beside the database.
func (s *Store) Blobs() *Blobs { return s.blobs }

// Close closes the database. The Store must not be used afterwards.
func (s *Store) Close() error {
	if err := errors.Join(s.r.Close(), s.w.Close()); err != nil {
		return failure("localstore.Close", err)
	}
	return nil
}

// migrations are applied in order; PRAGMA user_version counts those done.
// Append new ones; never edit one that has shipped.
var migrations = []migration{
	{sql: `CREATE TABLE cases (
		id      TEXT PRIMARY KEY,
		version INTEGER NOT NULL,
		stage   TEXT NOT NULL,
		created INTEGER NOT NULL, -- Unix nanoseconds: orders by instant, whatever zone Created was written in
		data    TEXT NOT NULL     -- the workflow.Case as JSON
	) STRICT;
	CREATE INDEX cases_created ON cases (created DESC);
	CREATE INDEX cases_stage ON cases (stage, created DESC);

	-- Departments leading or co-handling a section, for Query.Dept.
	CREATE TABLE case_depts (
		case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
		dept    TEXT NOT NULL,
		PRIMARY KEY (case_id, dept)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX case_depts_dept ON case_depts (dept, case_id);

	CREATE TABLE events (
		case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
		seq     INTEGER NOT NULL,
		data    TEXT NOT NULL, -- the workflow.Event as JSON
		PRIMARY KEY (case_id, seq)
	) STRICT;

	-- The last document number given out per series and year.
	CREATE TABLE counters (
		series TEXT NOT NULL,
		year   INTEGER NOT NULL,
		last   INTEGER NOT NULL CHECK (last >= 0),
		PRIMARY KEY (series, year)
	) STRICT;`},

	// 2: a case as records that never grow — its own record, its opinion,
	// a row per section — and its history as events written once.
	{sql: `CREATE TABLE records (
		id       TEXT PRIMARY KEY,
		version  INTEGER NOT NULL,
		stage    TEXT NOT NULL,
		created  INTEGER NOT NULL, -- Unix nanoseconds
		year     INTEGER NOT NULL, -- of created, in workflow.Zone
		next_due INTEGER,          -- Unix nanoseconds; NULL once published
		data     TEXT NOT NULL,    -- workflow.Record as JSON
		opinion  TEXT NOT NULL,    -- workflow.Opinion as JSON
		summary  TEXT NOT NULL     -- workflow.Summary as JSON: what lists read
	) STRICT;
	CREATE INDEX records_created ON records (created DESC, id DESC);
	CREATE INDEX records_stage ON records (stage, created DESC, id DESC);
	CREATE INDEX records_year ON records (year, created DESC, id DESC);
	CREATE INDEX records_due ON records (next_due) WHERE next_due IS NOT NULL;

	CREATE TABLE sections (
		case_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
		id      TEXT NOT NULL,
		v       INTEGER NOT NULL,
		data    TEXT NOT NULL, -- workflow.Section as JSON
		PRIMARY KEY (case_id, id)
	) STRICT, WITHOUT ROWID;

	-- The cases of a department, in list order.
	CREATE TABLE depts (
		dept    TEXT NOT NULL,
		created INTEGER NOT NULL,
		case_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
		PRIMARY KEY (dept, created, case_id)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX depts_case ON depts (case_id);

	CREATE TABLE history (
		case_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
		stream  TEXT NOT NULL, -- '' the case's own, else a section's ID
		seq     INTEGER NOT NULL,
		data    TEXT NOT NULL, -- workflow.Event as JSON
		PRIMARY KEY (case_id, stream, seq)
	) STRICT, WITHOUT ROWID;

	-- Search by any part of the opinion's number, title, issuer and text:
	-- trigrams find substrings in Chinese, which has no spaces between words.
	CREATE VIRTUAL TABLE search USING fts5 (text, tokenize = 'trigram');`,
		data: upgradeV1},

	// 3: the office's configuration, its accounts and their sessions, kept
	// here instead of in files; their events join the history, which so no
	// longer belongs to cases alone.
	{sql: `CREATE TABLE office (
		id      INTEGER PRIMARY KEY CHECK (id = 1),
		version INTEGER NOT NULL,
		data    TEXT NOT NULL -- workflow.Office as JSON
	) STRICT;

	CREATE TABLE accounts (
		user    TEXT PRIMARY KEY,
		version INTEGER NOT NULL,
		dept    TEXT NOT NULL,
		roles   TEXT NOT NULL, -- ",clerk,approver,": for the role filter
		data    TEXT NOT NULL  -- workflow.Account as JSON
	) STRICT;
	CREATE INDEX accounts_dept ON accounts (dept, user);

	CREATE TABLE sessions (
		user    TEXT NOT NULL,
		id      TEXT NOT NULL, -- SHA-256 of the secret the client holds
		expires INTEGER NOT NULL,
		data    TEXT NOT NULL, -- workflow.Session as JSON
		PRIMARY KEY (user, id)
	) STRICT, WITHOUT ROWID;

	CREATE TABLE history3 (
		case_id TEXT NOT NULL, -- a case, or workflow.OfficeStream
		stream  TEXT NOT NULL,
		seq     INTEGER NOT NULL,
		data    TEXT NOT NULL,
		PRIMARY KEY (case_id, stream, seq)
	) STRICT, WITHOUT ROWID;
	INSERT INTO history3 SELECT case_id, stream, seq, data FROM history;
	DROP TABLE history;
	ALTER TABLE history3 RENAME TO history;`},

	// 4: each 来文字号 (workflow.NumberKey) registered to the one case that
	// holds it, so that the same opinion cannot open a second case
	// whatever its file (workflow.Claim). The primary key is what makes
	// two intakes of one number at once give one case. And the case's
	// frame (workflow.Frame) beside its record.
	{sql: `CREATE TABLE numbers (
		key     TEXT PRIMARY KEY,
		case_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE
	) STRICT, WITHOUT ROWID;
	CREATE INDEX numbers_case ON numbers (case_id);

	-- The clerk's opening and closing of the report (workflow.Frame) as
	-- JSON, '' for none: written when they change, not with every record.
	ALTER TABLE records ADD COLUMN frame TEXT NOT NULL DEFAULT '';`,
		data: registerNumbers},
	// 5: the outbox — the messages each change causes, one row per
	// change (workflow.Batch), written in the change's transaction.
	{sql: `CREATE TABLE outbox (
		id      TEXT PRIMARY KEY, -- workflow.Batch.ID: sorts as batches were made
		version INTEGER NOT NULL,
		created INTEGER NOT NULL, -- Unix nanoseconds
		due     INTEGER,          -- Unix nanoseconds of Batch.Due; NULL when nothing is left to send
		states  TEXT NOT NULL,    -- ",pending,failed,": the states its messages are in, for the filter
		data    TEXT NOT NULL     -- workflow.Batch as JSON
	) STRICT;
	CREATE INDEX outbox_due ON outbox (due) WHERE due IS NOT NULL;
	CREATE INDEX outbox_created ON outbox (created);`},
	// 6: the unfinished cases in list order, for the overdue list: it
	// walks these, not every case ever made (10,000 cases: 18 ms a page).
	{sql: `CREATE INDEX records_open ON records (created DESC, id DESC) WHERE next_due IS NOT NULL;`},
	// 7: the open deadlines in the overdue list's order (workflow.Query.Overdue:
	// the oldest first), so that the list reads a page of them and stops.
	// Walking the open cases newest first (6) read every case not yet
	// overdue before the first that was: 3.7 ms a page at 10,000 cases.
	// The index of 2 on next_due alone, and 6's, serve no list now; each
	// cost every write of a record.
	{sql: `CREATE INDEX records_overdue ON records (next_due, created, id) WHERE next_due IS NOT NULL;
	DROP INDEX records_due;
	DROP INDEX records_open;`},
	// 8: the kind and category of a case (代表建议, 政协提案: issue 13), read
	// from its summary, for Query.Kind and Category: columns computed
	// from the summary, so nothing is rewritten, and indexes in list
	// order, so that a kind's list, or a category's of a kind, reads a
	// page of its own cases.
	{sql: `ALTER TABLE records ADD COLUMN kind TEXT GENERATED ALWAYS AS (IFNULL(json_extract(summary, '$.kind'), '')) VIRTUAL;
	ALTER TABLE records ADD COLUMN category TEXT GENERATED ALWAYS AS (IFNULL(json_extract(summary, '$.category'), '')) VIRTUAL;
	CREATE INDEX records_kind ON records (kind, created DESC, id DESC);
	CREATE INDEX records_kind_category ON records (kind, category, created DESC, id DESC);`},
	// 9: a year's statistics as last tallied (workflow.Store.PutReport):
	// derived from the cases, replaced whole, rebuilt at will.
	{sql: `CREATE TABLE reports (
		key     TEXT PRIMARY KEY,
		updated INTEGER NOT NULL, -- Unix nanoseconds
		data    BLOB NOT NULL
	) STRICT;`},
}

type migration struct {
	sql  string
	data func(ctx context.Context, tx *sql.Tx) error // moves data after sql, if set
}

func migrate(ctx context.Context, db *sql.DB) error {
	// The transaction is immediate (see dsn), so two processes opening a
	// new data directory at once apply each migration once.
	return retry(ctx, func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var done int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&done); err != nil {
			return err
		}
		if done > len(migrations) {
			return fmt.Errorf("database schema version %d is newer than this docflow (%d)", done, len(migrations))
		}
		for i := done; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i].sql); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if f := migrations[i].data; f != nil {
				if err := f(ctx, tx); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// upgradeV1 moves the cases of docflow 1 — one row holding all history —
// into records and events (workflow.UpgradeV1), keeping every event written
// then, and drops the old tables.
func upgradeV1(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, data FROM cases ORDER BY created`)
	if err != nil {
		return err
	}
	type old struct {
		id   string
		data []byte
	}
	var cases []old
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.id, &o.data); err != nil {
			rows.Close()
			return err
		}
		cases = append(cases, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range cases {
		c, evs, err := workflow.UpgradeV1(o.data)
		if err != nil {
			return fmt.Errorf("case %s: %w", o.id, err)
		}
		ch := &workflow.Change{Case: c, Record: true, Opinion: true, Events: evs}
		for _, sec := range c.Sections {
			ch.Sections = append(ch.Sections, sec.ID)
		}
		e, err := encodeChange("localstore.upgradeV1", ch)
		if err != nil {
			return fmt.Errorf("case %s: %w", o.id, err)
		}
		if err := commit(ctx, tx, "localstore.upgradeV1", ch, e); err != nil {
			return fmt.Errorf("case %s: %w", o.id, err)
		}
		// The events of docflow 1 move as they were written: their hashes
		// cover them as they are.
		if _, err := tx.ExecContext(ctx, `INSERT INTO history (case_id, stream, seq, data)
			SELECT case_id, '', seq, data FROM events WHERE case_id = ?`, o.id); err != nil {
			return fmt.Errorf("case %s: move events: %w", o.id, err)
		}
	}
	_, err = tx.ExecContext(ctx, `DROP TABLE case_depts; DROP TABLE events; DROP TABLE cases;`)
	return err
}

// registerNumbers registers the 来文字号 of the cases opened before
// numbers were registered. Where an earlier version opened the same
// opinion twice, the case opened first holds the number and the later ones
// hold none: they stay as they are, and a new upload of that number is
// refused naming the first.
func registerNumbers(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, opinion FROM records ORDER BY created, id`)
	if err != nil {
		return err
	}
	type held struct{ id, key string }
	var all []held
	for rows.Next() {
		var (
			id      string
			opinion []byte
		)
		if err := rows.Scan(&id, &opinion); err != nil {
			rows.Close()
			return err
		}
		var o workflow.Opinion
		if err := json.Unmarshal(opinion, &o); err != nil {
			rows.Close()
			return fmt.Errorf("case %s: decode opinion: %w", id, err)
		}
		if k := workflow.NumberKey(o.Number); k != "" {
			all = append(all, held{id, k})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range all {
		if _, err := tx.ExecContext(ctx, `INSERT INTO numbers (key, case_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, h.key, h.id); err != nil {
			return fmt.Errorf("case %s: register its number: %w", h.id, err)
		}
	}
	return nil
}

// write runs fn in a write transaction and commits it. An error fn returns
// rolls everything back; a *workflow.Error passes through as it is, any
// other becomes kind Other.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	err := retry(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err == nil && s.durable != nil {
		if err = s.durable.wait(s.durable.commit()); err != nil {
			err = fmt.Errorf("flush the committed write to disk: %w", err)
		}
	}
	return wrap(op, err)
}

// retry runs fn until it succeeds, fails with something other than a busy
// database, or has tried writeTries times. busy_timeout waits out most
// locks; what remains are the busy errors SQLite returns without waiting
// (a read snapshot gone stale, recovery of the WAL after another process
// crashed) and locks held longer than the timeout, and those are worth a
// few more tries before a user sees an error.
func retry(ctx context.Context, fn func() error) error {
	for try := 1; ; try++ {
		err := fn()
		if !busy(err) || try == writeTries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try) * 10 * time.Millisecond):
		}
	}
}

// busy reports whether err is SQLite saying that another connection holds
// a lock.
func busy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff // the primary code; extended codes are on
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// failure reports an internal error: no message for users, the cause for logs.
func failure(op string, err error) error {
	return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
}

// wrap returns err as a *workflow.Error of operation op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var we *workflow.Error
	if errors.As(err, &we) {
		return err
	}
	return failure(op, err)
}
