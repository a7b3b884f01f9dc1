package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

var (
	_ workflow.Directory = (*Store)(nil)
	_ workflow.Sessions  = (*Store)(nil)
)

// Office implements workflow.Directory.
func (s *Store) Office(ctx context.Context) (*workflow.Office, error) {
	const op = "localstore.Office"
	var (
		version int
		data    []byte
	)
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT version, data FROM office WHERE id = 1`).Scan(&version, &data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "尚未完成初始设置")
	}
	if err != nil {
		return nil, failure(op, err)
	}
	var o workflow.Office
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, failure(op, fmt.Errorf("decode office: %w", err))
	}
	o.Version = version
	return &o, nil
}

// SaveOffice implements workflow.Directory.
func (s *Store) SaveOffice(ctx context.Context, o *workflow.Office, evs []workflow.Event) error {
	const op = "localstore.SaveOffice"
	stored := *o
	stored.Version = 0
	data, err := json.Marshal(&stored)
	if err != nil {
		return failure(op, err)
	}
	events, err := encodeEvents(op, workflow.OfficeStream, evs)
	if err != nil {
		return err
	}
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if o.Version == 0 {
			res, err = tx.ExecContext(ctx, `INSERT INTO office (id, version, data) VALUES (1, 1, ?) ON CONFLICT (id) DO NOTHING`, string(data))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE office SET version = version + 1, data = ? WHERE id = 1 AND version = ?`, string(data), o.Version)
		}
		if err := affected(res, err, func() error {
			return workflow.Errorf(op, workflow.Conflict, "单位设置已被他人修改，请刷新后重试")
		}); err != nil {
			return err
		}
		return insertEvents(ctx, tx, op, workflow.OfficeStream, evs, events)
	})
	if err != nil {
		return err
	}
	o.Version++
	return nil
}

func encodeEvents(op, caseID string, evs []workflow.Event) ([][]byte, error) {
	var out [][]byte
	for _, e := range evs {
		if e.Case != caseID || e.Seq <= 0 {
			return nil, workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（%q 第 %d 条）", e.Case, e.Seq)
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return nil, failure(op, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func insertEvents(ctx context.Context, tx *sql.Tx, op, caseID string, evs []workflow.Event, data [][]byte) error {
	for i, ev := range evs {
		res, err := tx.ExecContext(ctx, `INSERT INTO history (case_id, stream, seq, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (case_id, stream, seq) DO NOTHING`, caseID, ev.Stream, ev.Seq, string(data[i]))
		if err := affected(res, err, func() error {
			return workflow.Errorf(op, workflow.Conflict, "审计记录第 %d 条已存在，请刷新后重试", ev.Seq)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Account implements workflow.Directory.
func (s *Store) Account(ctx context.Context, user string) (*workflow.Account, error) {
	const op = "localstore.Account"
	var (
		version int
		data    []byte
	)
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT version, data FROM accounts WHERE user = ?`, user).Scan(&version, &data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有账号 %s", user)
	}
	if err != nil {
		return nil, failure(op, err)
	}
	return decodeAccount(version, data)
}

func decodeAccount(version int, data []byte) (*workflow.Account, error) {
	var a workflow.Account
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, failure("localstore.Account", fmt.Errorf("decode account: %w", err))
	}
	a.Version = version
	return &a, nil
}

// Accounts implements workflow.Directory.
func (s *Store) Accounts(ctx context.Context, q workflow.AccountQuery) (workflow.AccountPage, error) {
	const op = "localstore.Accounts"
	limit := q.Limit
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	where, args := []string{"user > ?"}, []any{q.Cursor}
	if q.Dept != "" {
		where, args = append(where, "dept = ?"), append(args, q.Dept)
	}
	if q.Role != "" {
		where, args = append(where, "roles LIKE ?"), append(args, "%,"+string(q.Role)+",%")
	}
	query := `SELECT version, data FROM accounts WHERE ` + strings.Join(where, " AND ") + ` ORDER BY user LIMIT ?`
	args = append(args, limit+1)
	var p workflow.AccountPage
	err := retry(ctx, func() error {
		p = workflow.AccountPage{}
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
			if len(p.Accounts) == limit {
				p.Next = p.Accounts[limit-1].User
				break
			}
			a, err := decodeAccount(version, data)
			if err != nil {
				return err
			}
			p.Accounts = append(p.Accounts, *a)
		}
		return rows.Err()
	})
	if err != nil {
		return workflow.AccountPage{}, failure(op, err)
	}
	return p, nil
}

// SaveAccount implements workflow.Directory.
func (s *Store) SaveAccount(ctx context.Context, a *workflow.Account, evs []workflow.Event) error {
	const op = "localstore.SaveAccount"
	stored := *a
	stored.Version = 0
	data, err := json.Marshal(&stored)
	if err != nil {
		return failure(op, err)
	}
	roles := ","
	for _, r := range a.Roles {
		roles += string(r) + ","
	}
	events, err := encodeEvents(op, workflow.OfficeStream, evs)
	if err != nil {
		return err
	}
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if a.Version == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
				return err
			}
			if n >= workflow.MaxAccounts {
				return workflow.Errorf(op, workflow.Invalid, "账号已达上限 %d 个", workflow.MaxAccounts)
			}
			res, err = tx.ExecContext(ctx, `INSERT INTO accounts (user, version, dept, roles, data) VALUES (?, 1, ?, ?, ?)
				ON CONFLICT (user) DO NOTHING`, a.User, a.Dept, roles, string(data))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE accounts SET version = version + 1, dept = ?, roles = ?, data = ?
				WHERE user = ? AND version = ?`, a.Dept, roles, string(data), a.User, a.Version)
		}
		if err := affected(res, err, func() error {
			return workflow.Errorf(op, workflow.Conflict, "账号 %s 已存在或已被他人修改，请刷新后重试", a.User)
		}); err != nil {
			return err
		}
		return insertEvents(ctx, tx, op, workflow.OfficeStream, evs, events)
	})
	if err != nil {
		return err
	}
	a.Version++
	return nil
}

// Session implements workflow.Sessions.
func (s *Store) Session(ctx context.Context, user, id string) (*workflow.Session, error) {
	const op = "localstore.Session"
	var data []byte
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT data FROM sessions WHERE user = ? AND id = ?`, user, id).Scan(&data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "会话已失效，请重新登录")
	}
	if err != nil {
		return nil, failure(op, err)
	}
	var ss workflow.Session
	if err := json.Unmarshal(data, &ss); err != nil {
		return nil, failure(op, err)
	}
	return &ss, nil
}

// SaveSession implements workflow.Sessions.
func (s *Store) SaveSession(ctx context.Context, ss *workflow.Session) error {
	const op = "localstore.SaveSession"
	data, err := json.Marshal(ss)
	if err != nil {
		return failure(op, err)
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (user, id, expires, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (user, id) DO UPDATE SET expires = excluded.expires, data = excluded.data`, ss.User, ss.ID, ss.Expires.UnixNano(), string(data))
		return err
	})
}

// DeleteSession implements workflow.Sessions.
func (s *Store) DeleteSession(ctx context.Context, user, id string) error {
	return s.write(ctx, "localstore.DeleteSession", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user = ? AND id = ?`, user, id)
		return err
	})
}

// DeleteSessions implements workflow.Sessions.
func (s *Store) DeleteSessions(ctx context.Context, user string) error {
	return s.write(ctx, "localstore.DeleteSessions", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user = ?`, user)
		return err
	})
}

// UserSessions implements workflow.Sessions.
func (s *Store) UserSessions(ctx context.Context, user string) ([]workflow.Session, error) {
	const op = "localstore.UserSessions"
	var out []workflow.Session
	err := retry(ctx, func() error {
		out = nil
		rows, err := s.r.QueryContext(ctx, `SELECT data FROM sessions WHERE user = ? ORDER BY expires`, user)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				return err
			}
			var ss workflow.Session
			if err := json.Unmarshal(data, &ss); err != nil {
				return err
			}
			out = append(out, ss)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, failure(op, err)
	}
	return out, nil
}
