package localstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

var _ workflow.Outbox = (*Store)(nil)

// outboxRow is a batch encoded for its row.
type outboxRow struct {
	id      string
	created int64
	due     sql.NullInt64
	states  string
	data    []byte
}

func encodeBatch(op string, b *workflow.Batch) (*outboxRow, error) {
	if b.ID == "" || len(b.Messages) == 0 {
		return nil, workflow.Errorf(op, workflow.Invalid, "通知批次为空或没有编号")
	}
	x := *b
	x.V = 0 // the column holds it
	data, err := json.Marshal(&x)
	if err != nil {
		return nil, failure(op, err)
	}
	if len(data) > workflow.MaxRecord {
		return nil, workflow.Errorf(op, workflow.Invalid, "通知记录过大（%d 字节，上限 %d 字节）", len(data), workflow.MaxRecord)
	}
	r := &outboxRow{id: b.ID, created: b.Created.UnixNano(), data: data, states: ","}
	if due := b.Due(); !due.IsZero() {
		r.due = sql.NullInt64{Int64: due.UnixNano(), Valid: true}
	}
	for _, st := range workflow.MessageStates {
		if b.Has(st) {
			r.states += string(st) + ","
		}
	}
	return r, nil
}

func insertBatch(ctx context.Context, tx *sql.Tx, op string, r *outboxRow) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, version, created, due, states, data) VALUES (?, 1, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, r.id, r.created, r.due, r.states, string(r.data))
	return affected(res, err, func() error {
		return workflow.Errorf(op, workflow.Conflict, "通知批次 %s 已存在，请刷新后重试", r.id)
	})
}

func decodeBatch(version int, data []byte) (workflow.Batch, error) {
	var b workflow.Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("decode outbox batch: %w", err)
	}
	b.V = version
	return b, nil
}

// Batches implements workflow.Outbox.
func (s *Store) Batches(ctx context.Context, q workflow.OutboxQuery) (workflow.OutboxPage, error) {
	const op = "localstore.Batches"
	limit := q.Limit
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	where, args := []string{"1"}, []any{}
	if q.State != "" {
		where, args = append(where, "states LIKE ?"), append(args, "%,"+string(q.State)+",%")
	}
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(b) == 0 {
			return workflow.OutboxPage{}, workflow.Errorf(op, workflow.Invalid, "翻页参数无效，请从第一页重新查看")
		}
		where, args = append(where, "id < ?"), append(args, string(b))
	}
	args = append(args, limit+1)
	var p workflow.OutboxPage
	err := retry(ctx, func() error {
		p = workflow.OutboxPage{}
		rows, err := s.r.QueryContext(ctx, `SELECT version, data FROM outbox WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				v    int
				data []byte
			)
			if err := rows.Scan(&v, &data); err != nil {
				return err
			}
			if len(p.Batches) == limit {
				p.Next = base64.RawURLEncoding.EncodeToString([]byte(p.Batches[limit-1].ID))
				break
			}
			b, err := decodeBatch(v, data)
			if err != nil {
				return err
			}
			p.Batches = append(p.Batches, b)
		}
		return rows.Err()
	})
	if err != nil {
		return workflow.OutboxPage{}, failure(op, err)
	}
	return p, nil
}

// Batch implements workflow.Outbox.
func (s *Store) Batch(ctx context.Context, id string) (*workflow.Batch, error) {
	const op = "localstore.Batch"
	var (
		v    int
		data []byte
	)
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT version, data FROM outbox WHERE id = ?`, id).Scan(&v, &data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有通知批次 %s", id)
	}
	if err != nil {
		return nil, failure(op, err)
	}
	b, err := decodeBatch(v, data)
	if err != nil {
		return nil, failure(op, err)
	}
	return &b, nil
}

// DueBatches implements workflow.Outbox: the partial index on due holds
// only the batches with something left to send.
func (s *Store) DueBatches(ctx context.Context, now time.Time, limit int) ([]workflow.Batch, error) {
	const op = "localstore.DueBatches"
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	var out []workflow.Batch
	err := retry(ctx, func() error {
		out = nil
		rows, err := s.r.QueryContext(ctx, `SELECT version, data FROM outbox WHERE due IS NOT NULL AND due <= ? ORDER BY due, id LIMIT ?`, now.UnixNano(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				v    int
				data []byte
			)
			if err := rows.Scan(&v, &data); err != nil {
				return err
			}
			b, err := decodeBatch(v, data)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, failure(op, err)
	}
	return out, nil
}

// SaveBatch implements workflow.Outbox.
func (s *Store) SaveBatch(ctx context.Context, b *workflow.Batch) error {
	const op = "localstore.SaveBatch"
	r, err := encodeBatch(op, b)
	if err != nil {
		return err
	}
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET version = version + 1, due = ?, states = ?, data = ? WHERE id = ? AND version = ?`,
			r.due, r.states, string(r.data), b.ID, b.V)
		return affected(res, err, func() error {
			return workflow.Errorf(op, workflow.Conflict, "通知批次 %s 已被他人修改或不存在，请刷新后重试", b.ID)
		})
	})
	if err != nil {
		return err
	}
	b.V++
	return nil
}

// PurgeBatches implements workflow.Outbox.
func (s *Store) PurgeBatches(ctx context.Context, before time.Time, limit int) (int, error) {
	const op = "localstore.PurgeBatches"
	if limit <= 0 {
		return 0, nil
	}
	var n int64
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created < ? AND due IS NULL ORDER BY created LIMIT ?)`,
			before.UnixNano(), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
