package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// CreateCase implements workflow.Store.
func (s *Store) CreateCase(ctx context.Context, c *workflow.Case, evs []workflow.Event) error {
	const op = "localstore.CreateCase"
	if c.ID == "" {
		return workflow.Errorf(op, workflow.Invalid, "案件编号不能为空")
	}
	r, err := encodeCase(op, c, 1, evs)
	if err != nil {
		return err
	}
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO cases (id, version, stage, created, data)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, r.id, r.version, r.stage, r.created, string(r.data))
		if err != nil {
			return fmt.Errorf("insert case %s: %w", r.id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("insert case %s: %w", r.id, err)
		}
		if n == 0 {
			return workflow.Errorf(op, workflow.Conflict, "案件 %s 已存在", r.id)
		}
		return r.writeRest(ctx, tx, op)
	})
	if err != nil {
		return err
	}
	c.Version = r.version
	return nil
}

// Case implements workflow.Store.
func (s *Store) Case(ctx context.Context, id string) (*workflow.Case, error) {
	const op = "localstore.Case"
	var (
		version int
		data    []byte
	)
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT version, data FROM cases WHERE id = ?`, id).Scan(&version, &data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有案件 %s", id)
	}
	if err != nil {
		return nil, failure(op, fmt.Errorf("read case %s: %w", id, err))
	}
	c, err := decodeCase(version, data)
	if err != nil {
		return nil, failure(op, err)
	}
	return c, nil
}

// SaveCase implements workflow.Store.
func (s *Store) SaveCase(ctx context.Context, c *workflow.Case, prev int, evs []workflow.Event) error {
	const op = "localstore.SaveCase"
	r, err := encodeCase(op, c, prev+1, evs)
	if err != nil {
		return err
	}
	if err := s.write(ctx, op, func(tx *sql.Tx) error { return r.update(ctx, tx, op, prev) }); err != nil {
		return err
	}
	c.Version = r.version
	return nil
}

// Cases implements workflow.Store.
func (s *Store) Cases(ctx context.Context, q workflow.Query) ([]*workflow.Case, error) {
	const op = "localstore.Cases"
	// Only the conditions asked for go into the query, so that SQLite can
	// use the index on stage or on department.
	var (
		where []string
		args  []any
	)
	if q.Stage != "" {
		where, args = append(where, "stage = ?"), append(args, string(q.Stage))
	}
	if q.Dept != "" {
		where, args = append(where, "id IN (SELECT case_id FROM case_depts WHERE dept = ?)"), append(args, q.Dept)
	}
	query := "SELECT version, data FROM cases"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created DESC, id DESC"

	var out []*workflow.Case
	err := retry(ctx, func() error {
		out = out[:0]
		rows, err := s.r.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				version int
				data    []byte
			)
			if err := rows.Scan(&version, &data); err != nil {
				return err
			}
			c, err := decodeCase(version, data)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, failure(op, fmt.Errorf("list cases %+v: %w", q, err))
	}
	return out, nil
}

// Events implements workflow.Store. An unknown case gives NotFound.
func (s *Store) Events(ctx context.Context, caseID string) ([]workflow.Event, error) {
	const op = "localstore.Events"
	var (
		out   []workflow.Event
		found bool
	)
	// One statement, so one snapshot: the case's row and its events agree.
	// A case without events yields one row with a NULL event.
	err := retry(ctx, func() error {
		out, found = out[:0], false
		rows, err := s.r.QueryContext(ctx, `SELECT e.data FROM cases c
			LEFT JOIN events e ON e.case_id = c.id WHERE c.id = ? ORDER BY e.seq`, caseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			found = true
			var data []byte
			if err := rows.Scan(&data); err != nil {
				return err
			}
			if data == nil {
				continue
			}
			var e workflow.Event
			if err := json.Unmarshal(data, &e); err != nil {
				return fmt.Errorf("decode event: %w", err)
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, failure(op, fmt.Errorf("read events of %s: %w", caseID, err))
	}
	if !found {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有案件 %s", caseID)
	}
	return out, nil
}

// AllocateNumber implements workflow.Store. The counter is read and moved
// inside the transaction that saves the case, and that transaction holds
// SQLite's write lock from its start, so allocations are serialised: apply
// is called once, and again only if the database was busy and the
// transaction starts over. apply runs under the write lock; it must not
// call the Store's writing methods, which would wait for it.
func (s *Store) AllocateNumber(ctx context.Context, c *workflow.Case, prev int, apply func(seq int) []workflow.Event) error {
	const op = "localstore.AllocateNumber"
	p := c.Publication
	if p == nil || strings.TrimSpace(p.Series) == "" || p.Year <= 0 {
		return workflow.Errorf(op, workflow.Invalid, "案件 %s 尚未确定发文字号的代字和年份", c.ID)
	}
	series, year := p.Series, p.Year
	var r *caseRow
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		last, err := counter(ctx, tx, series, year)
		if err != nil {
			return err
		}
		seq := last + 1
		evs := apply(seq)
		if c.Publication == nil || c.Publication.Seq != seq || c.Publication.Series != series || c.Publication.Year != year {
			return fmt.Errorf("apply(%d) left the publication at %+v", seq, c.Publication)
		}
		if r, err = encodeCase(op, c, prev+1, evs); err != nil {
			return err
		}
		if err := r.update(ctx, tx, op, prev); err != nil {
			return err
		}
		return setCounter(ctx, tx, series, year, seq)
	})
	if err != nil {
		return err
	}
	c.Version = r.version
	return nil
}

// Counter implements workflow.Store.
func (s *Store) Counter(ctx context.Context, series string, year int) (int, error) {
	var last int
	err := retry(ctx, func() (err error) {
		last, err = counter(ctx, s.r, series, year)
		return err
	})
	if err != nil {
		return 0, failure("localstore.Counter", err)
	}
	return last, nil
}

// SetCounter implements workflow.Store. Moving a counter back is Invalid:
// numbers once given out are never given again.
func (s *Store) SetCounter(ctx context.Context, series string, year, from, to int) error {
	const op = "localstore.SetCounter"
	switch {
	case strings.TrimSpace(series) == "" || year <= 0:
		return workflow.Errorf(op, workflow.Invalid, "文号代字或年份无效")
	case from < 0 || to < from:
		return workflow.Errorf(op, workflow.Invalid, "文号只能向后调整（从 %d 号到 %d 号不行）", from, to)
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		last, err := counter(ctx, tx, series, year)
		if err != nil {
			return err
		}
		if last != from {
			return workflow.Errorf(op, workflow.Conflict, "%s〔%d〕已用到 %d 号，不是 %d 号，请刷新后重试", series, year, last, from)
		}
		return setCounter(ctx, tx, series, year, to)
	})
}

// querier is what reading a counter needs, in a transaction or not.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func counter(ctx context.Context, q querier, series string, year int) (int, error) {
	var last int
	err := q.QueryRowContext(ctx, `SELECT last FROM counters WHERE series = ? AND year = ?`, series, year).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read counter %s %d: %w", series, year, err)
	}
	return last, nil
}

func setCounter(ctx context.Context, tx *sql.Tx, series string, year, last int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO counters (series, year, last) VALUES (?, ?, ?)
		ON CONFLICT (series, year) DO UPDATE SET last = excluded.last`, series, year, last)
	if err != nil {
		return fmt.Errorf("set counter %s %d to %d: %w", series, year, last, err)
	}
	return nil
}

// caseRow is a case and its new events, encoded for the tables.
type caseRow struct {
	id      string
	version int
	stage   string
	created int64
	data    []byte
	depts   []string
	events  []eventRow
}

type eventRow struct {
	seq  int
	data []byte
}

// encodeCase encodes c as it will be stored at version, with evs. Encoding
// happens before the transaction where it can, to keep the write lock short.
func encodeCase(op string, c *workflow.Case, version int, evs []workflow.Event) (*caseRow, error) {
	stored := *c
	stored.Version = version
	data, err := json.Marshal(&stored)
	if err != nil {
		return nil, failure(op, fmt.Errorf("encode case %s: %w", c.ID, err))
	}
	r := &caseRow{id: c.ID, version: version, stage: string(c.Stage), created: c.Created.UnixNano(), data: data}
	for _, sec := range c.Sections {
		for _, d := range append([]string{sec.Lead}, sec.Co...) {
			if d != "" && !slices.Contains(r.depts, d) {
				r.depts = append(r.depts, d)
			}
		}
	}
	for _, e := range evs {
		// Events are opaque to the store, but filing one under another case
		// or without a number is a bug that should not reach the audit trail.
		if e.Case != c.ID || e.Seq <= 0 {
			return nil, workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（案件 %q 第 %d 条）", e.Case, e.Seq)
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return nil, failure(op, fmt.Errorf("encode event %d of %s: %w", e.Seq, c.ID, err))
		}
		r.events = append(r.events, eventRow{seq: e.Seq, data: b})
	}
	return r, nil
}

// update writes r over the stored case if that is at version prev.
func (r *caseRow) update(ctx context.Context, tx *sql.Tx, op string, prev int) error {
	res, err := tx.ExecContext(ctx, `UPDATE cases SET version = ?, stage = ?, created = ?, data = ?
		WHERE id = ? AND version = ?`, r.version, r.stage, r.created, string(r.data), r.id, prev)
	if err != nil {
		return fmt.Errorf("update case %s: %w", r.id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update case %s: %w", r.id, err)
	}
	if n == 0 {
		return workflow.Errorf(op, workflow.Conflict, "案件 %s 已被他人修改或不存在，请刷新后重试", r.id)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM case_depts WHERE case_id = ?`, r.id); err != nil {
		return fmt.Errorf("clear departments of %s: %w", r.id, err)
	}
	return r.writeRest(ctx, tx, op)
}

// writeRest inserts the case's department rows and new events.
func (r *caseRow) writeRest(ctx context.Context, tx *sql.Tx, op string) error {
	for _, d := range r.depts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_depts (case_id, dept) VALUES (?, ?)`, r.id, d); err != nil {
			return fmt.Errorf("add department %s to %s: %w", d, r.id, err)
		}
	}
	for _, e := range r.events {
		res, err := tx.ExecContext(ctx, `INSERT INTO events (case_id, seq, data) VALUES (?, ?, ?)
			ON CONFLICT (case_id, seq) DO NOTHING`, r.id, e.seq, string(e.data))
		if err != nil {
			return fmt.Errorf("append event %d to %s: %w", e.seq, r.id, err)
		}
		// The version check makes this rare: it takes a caller numbering
		// events from a stale count. The trail must not be overwritten.
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("append event %d to %s: %w", e.seq, r.id, err)
		}
		if n == 0 {
			return workflow.Errorf(op, workflow.Conflict, "审计记录第 %d 条已存在，请刷新后重试", e.seq)
		}
	}
	return nil
}

func decodeCase(version int, data []byte) (*workflow.Case, error) {
	var c workflow.Case
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode case: %w", err)
	}
	c.Version = version // the column is what the version checks use
	return &c, nil
}
