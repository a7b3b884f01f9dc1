package localstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Case implements workflow.Store. The record and the sections are read in
// one transaction, so they come from one snapshot.
func (s *Store) Case(ctx context.Context, id string) (*workflow.Case, error) {
	const op = "localstore.Case"
	var c *workflow.Case
	err := retry(ctx, func() error {
		tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		c, err = s.readCase(ctx, tx, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有案件 %s", id)
	}
	if err != nil {
		return nil, failure(op, fmt.Errorf("read case %s: %w", id, err))
	}
	return c, nil
}

func (s *Store) readCase(ctx context.Context, q queryer, id string) (*workflow.Case, error) {
	var (
		version              int
		data, opinion, frame []byte
	)
	err := q.QueryRowContext(ctx, `SELECT version, data, opinion, frame FROM records WHERE id = ?`, id).Scan(&version, &data, &opinion, &frame)
	if err != nil {
		return nil, err
	}
	c := &workflow.Case{}
	if err := json.Unmarshal(data, &c.Record); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	if len(frame) > 0 {
		if err := json.Unmarshal(frame, &c.Frame); err != nil {
			return nil, fmt.Errorf("decode frame: %w", err)
		}
	}
	if c.Opinion, err = s.opinions.decode(id, opinion); err != nil {
		return nil, fmt.Errorf("decode opinion: %w", err)
	}
	c.Version = version // the column is what the version checks use
	secs, err := s.readSections(ctx, q, []string{id})
	if err != nil {
		return nil, err
	}
	c.Sections = secs[id]
	return c, nil
}

// queryer is what reading needs, in a transaction or not.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) readSections(ctx context.Context, q queryer, ids []string) (map[string][]workflow.Section, error) {
	out := map[string][]workflow.Section{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT case_id, id, v, data FROM sections WHERE case_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, sid string
			v       int
			data    []byte
		)
		if err := rows.Scan(&id, &sid, &v, &data); err != nil {
			return nil, err
		}
		sec, err := s.sections.decode(id+"\x00"+sid, data)
		if err != nil {
			return nil, fmt.Errorf("decode section of %s: %w", id, err)
		}
		sec.V = v
		out[id] = append(out[id], sec)
	}
	for _, secs := range out {
		workflow.SortSections(secs)
	}
	return out, rows.Err()
}

// Sections implements workflow.Store.
func (s *Store) Sections(ctx context.Context, caseIDs []string) (map[string][]workflow.Section, error) {
	var out map[string][]workflow.Section
	err := retry(ctx, func() (err error) {
		out, err = s.readSections(ctx, s.r, caseIDs)
		return err
	})
	if err != nil {
		return nil, failure("localstore.Sections", err)
	}
	return out, nil
}

// encoded is a change encoded for the tables, before the transaction, to
// keep the write lock short.
type encoded struct {
	record, opinion, summary []byte
	frame                    []byte // of a change that names it
	search                   string
	year                     int
	created                  int64
	nextDue                  sql.NullInt64
	depts                    []string
	sections                 map[string][]byte
	events                   [][]byte
	also                     *encoded // of Change.Also
	outbox                   *outboxRow
}

func encodeChange(op string, ch *workflow.Change) (*encoded, error) {
	c := ch.Case
	if c == nil || c.ID == "" {
		return nil, workflow.Errorf(op, workflow.Invalid, "案件编号不能为空")
	}
	e := &encoded{sections: map[string][]byte{}}
	var err error
	check := func(what string, b []byte) error {
		if len(b) > workflow.MaxRecord {
			return workflow.Errorf(op, workflow.Invalid, "%s过大（%d 字节，上限 %d 字节）", what, len(b), workflow.MaxRecord)
		}
		return nil
	}
	if ch.Record {
		sum := c.Summary()
		rec := c.Record
		rec.Version = 0 // the column holds it
		if e.record, err = json.Marshal(&rec); err != nil {
			return nil, failure(op, err)
		}
		if e.summary, err = json.Marshal(&sum); err != nil {
			return nil, failure(op, err)
		}
		if e.opinion, err = json.Marshal(&c.Opinion); err != nil {
			return nil, failure(op, err)
		}
		if err := errors.Join(check("案件记录", e.record), check("来文记录", e.opinion)); err != nil {
			return nil, err
		}
		if ch.Frame {
			if e.frame, err = json.Marshal(&c.Frame); err != nil {
				return nil, failure(op, err)
			}
			if err := check("报告开头和结尾", e.frame); err != nil {
				return nil, err
			}
		}
		e.search = c.SearchText()
		e.year = sum.Year()
		e.created = c.Created.UnixNano()
		if !sum.NextDue.IsZero() {
			e.nextDue = sql.NullInt64{Int64: sum.NextDue.UnixNano(), Valid: true}
		}
		e.depts = sum.Depts
	}
	for _, id := range ch.Sections {
		sec, ok := c.Section(id)
		if !ok {
			return nil, workflow.Errorf(op, workflow.Invalid, "案件 %s 没有部分 %s", c.ID, id)
		}
		x := *sec
		x.V = 0 // the column holds it
		b, err := json.Marshal(&x)
		if err != nil {
			return nil, failure(op, err)
		}
		if err := check("部分记录", b); err != nil {
			return nil, err
		}
		e.sections[id] = b
	}
	for _, cl := range ch.Claims {
		if cl.Key == "" || len(cl.Key) > workflow.MaxKey || cl.From == "" && cl.To == "" {
			return nil, workflow.Errorf(op, workflow.Invalid, "来文字号登记有误（%q）", cl.Key)
		}
	}
	if ch.Also != nil {
		if ch.Also.Also != nil || ch.Also.Case == nil || ch.Also.Case.ID == c.ID {
			return nil, workflow.Errorf(op, workflow.Invalid, "一次保存只能同时写两个不同的案件")
		}
		if e.also, err = encodeChange(op, ch.Also); err != nil {
			return nil, err
		}
	}
	for _, ev := range ch.Events {
		// Events are opaque to the store, but filing one under another case
		// or without a number is a bug that should not reach the audit trail.
		if ev.Case != c.ID || ev.Seq <= 0 {
			return nil, workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（案件 %q 第 %d 条）", ev.Case, ev.Seq)
		}
		b, err := json.Marshal(&ev)
		if err != nil {
			return nil, failure(op, err)
		}
		if err := check("审计记录", b); err != nil {
			return nil, err
		}
		e.events = append(e.events, b)
	}
	if ch.Outbox != nil {
		if e.outbox, err = encodeBatch(op, ch.Outbox); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Commit implements workflow.Store: one transaction, in which every write
// is conditioned on the version read, so a stale one writes nothing.
func (s *Store) Commit(ctx context.Context, ch *workflow.Change) error {
	const op = "localstore.Commit"
	e, err := encodeChange(op, ch)
	if err != nil {
		return err
	}
	if err := s.write(ctx, op, func(tx *sql.Tx) error { return commit(ctx, tx, op, ch, e) }); err != nil {
		return err
	}
	applied(ch)
	return nil
}

// applied sets the versions a successful commit gave the records it wrote.
func applied(ch *workflow.Change) {
	if ch.Also != nil {
		applied(ch.Also)
	}
	c := ch.Case
	if ch.Record {
		c.Version++
	}
	if ch.Outbox != nil {
		ch.Outbox.V = 1
	}
	for _, id := range ch.Sections {
		sec, _ := c.Section(id)
		sec.V++
	}
}

func conflict(op string, c *workflow.Case, what string) error {
	return workflow.Errorf(op, workflow.Conflict, "案件 %s 的%s已被他人修改或不存在，请刷新后重试", c.ID, what)
}

// affected fails with Conflict unless res changed exactly one row.
func affected(res sql.Result, err error, conflictErr func() error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return conflictErr()
	}
	return nil
}

func commit(ctx context.Context, tx *sql.Tx, op string, ch *workflow.Change, e *encoded) error {
	c := ch.Case
	recordConflict := func() error { return conflict(op, c, "案件记录") }
	switch {
	case ch.Record && c.Version == 0:
		res, err := tx.ExecContext(ctx, `INSERT INTO records (id, version, stage, created, year, next_due, data, opinion, summary)
			VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			c.ID, string(c.Stage), e.created, e.year, e.nextDue, string(e.record), string(e.opinion), string(e.summary))
		if err := affected(res, err, func() error { return workflow.Errorf(op, workflow.Conflict, "案件 %s 已存在", c.ID) }); err != nil {
			return err
		}
	case ch.Record:
		res, err := tx.ExecContext(ctx, `UPDATE records SET version = version + 1, stage = ?, created = ?, year = ?, next_due = ?,
			data = ?, opinion = ?, summary = ? WHERE id = ? AND version = ?`,
			string(c.Stage), e.created, e.year, e.nextDue, string(e.record), string(e.opinion), string(e.summary), c.ID, c.Version)
		if err := affected(res, err, recordConflict); err != nil {
			return err
		}
	default:
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM records WHERE id = ?`, c.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return recordConflict()
		}
		if err != nil {
			return err
		}
	}
	if ch.Record && ch.Frame {
		if _, err := tx.ExecContext(ctx, `UPDATE records SET frame = ? WHERE id = ?`, string(e.frame), c.ID); err != nil {
			return err
		}
	}
	if ch.Record {
		if _, err := tx.ExecContext(ctx, `DELETE FROM depts WHERE case_id = ?`, c.ID); err != nil {
			return err
		}
		for _, d := range e.depts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO depts (dept, created, case_id) VALUES (?, ?, ?)`, d, e.created, c.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search WHERE rowid = (SELECT rowid FROM records WHERE id = ?)`, c.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search (rowid, text) SELECT rowid, ? FROM records WHERE id = ?`, e.search, c.ID); err != nil {
			return err
		}
	}
	for _, d := range ch.Drop {
		res, err := tx.ExecContext(ctx, `DELETE FROM sections WHERE case_id = ? AND id = ? AND v = ?`, c.ID, d.ID, d.V)
		if err := affected(res, err, func() error { return conflict(op, c, "部分 "+d.ID) }); err != nil {
			return err
		}
	}
	for _, id := range ch.Sections {
		sec, _ := c.Section(id)
		var (
			res sql.Result
			err error
		)
		if sec.V == 0 {
			res, err = tx.ExecContext(ctx, `INSERT INTO sections (case_id, id, v, data) VALUES (?, ?, 1, ?)
				ON CONFLICT (case_id, id) DO NOTHING`, c.ID, id, string(e.sections[id]))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE sections SET v = v + 1, data = ? WHERE case_id = ? AND id = ? AND v = ?`,
				string(e.sections[id]), c.ID, id, sec.V)
		}
		if err := affected(res, err, func() error { return conflict(op, c, "部分 "+id) }); err != nil {
			return err
		}
	}
	// The version checks make a clash of events rare: it takes a caller
	// numbering events from a stale head. The trail is never overwritten.
	if err := insertEvents(ctx, tx, op, c.ID, ch.Events, e.events); err != nil {
		return err
	}
	if ch.Also != nil {
		if err := commit(ctx, tx, op, ch.Also, e.also); err != nil {
			return err
		}
	}
	// Claims go last, when both cases' records exist for the foreign key.
	for _, cl := range ch.Claims {
		if err := claim(ctx, tx, op, cl); err != nil {
			return err
		}
	}
	if e.outbox != nil {
		return insertBatch(ctx, tx, op, e.outbox)
	}
	return nil
}

// claim moves one 来文字号's registration as workflow.Claim says, inside
// the change's transaction. The key is the table's primary key: of two
// transactions inserting it, the second finds it and fails.
func claim(ctx context.Context, tx *sql.Tx, op string, cl workflow.Claim) error {
	var (
		res sql.Result
		err error
	)
	switch {
	case cl.To == "":
		if _, err := tx.ExecContext(ctx, `DELETE FROM numbers WHERE key = ? AND case_id = ?`, cl.Key, cl.From); err != nil {
			return err
		}
		// Gone, or never held: fine. Another case's: not this one's to release.
		var holder string
		switch err := tx.QueryRowContext(ctx, `SELECT case_id FROM numbers WHERE key = ?`, cl.Key).Scan(&holder); {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: "该来文字号已登记为另一案件", Err: workflow.ErrNumberTaken}
	case cl.From == "":
		res, err = tx.ExecContext(ctx, `INSERT INTO numbers (key, case_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, cl.Key, cl.To)
	default:
		res, err = tx.ExecContext(ctx, `UPDATE numbers SET case_id = ? WHERE key = ? AND case_id = ?`, cl.To, cl.Key, cl.From)
	}
	return affected(res, err, func() error {
		return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: "该来文字号已登记为另一案件", Err: workflow.ErrNumberTaken}
	})
}

// Registered implements workflow.Store.
func (s *Store) Registered(ctx context.Context, key string) (string, error) {
	const op = "localstore.Registered"
	var id string
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT case_id FROM numbers WHERE key = ?`, key).Scan(&id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", workflow.Errorf(op, workflow.NotFound, "来文字号 %s 未登记", key)
	}
	if err != nil {
		return "", failure(op, err)
	}
	return id, nil
}

// Report implements workflow.Store.
func (s *Store) Report(ctx context.Context, key string) ([]byte, error) {
	const op = "localstore.Report"
	var data []byte
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT data FROM reports WHERE key = ?`, key).Scan(&data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有 %s 的统计", key)
	}
	if err != nil {
		return nil, failure(op, err)
	}
	return data, nil
}

// PutReport implements workflow.Store.
func (s *Store) PutReport(ctx context.Context, key string, data []byte) error {
	return s.write(ctx, "localstore.PutReport", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports (key, updated, data) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET updated = excluded.updated, data = excluded.data`, key, time.Now().UnixNano(), data)
		return err
	})
}

// Cases implements workflow.Store. Every filter is a condition on an
// index, and a page is read by its cursor, so a page costs the same with a
// thousand cases as with ten thousand. The overdue list walks the index of
// open deadlines (records_overdue) in its own order: the overdue cases are
// what it reads, however many others the office has.
func (s *Store) Cases(ctx context.Context, q workflow.Query) (workflow.Page, error) {
	const op = "localstore.Cases"
	limit := q.Limit
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	var (
		where []string
		args  []any
		from  = "records r"
		order = "r.created DESC, r.id DESC"
		key   = "r.created"
	)
	switch {
	case q.Overdue:
		// INDEXED BY: whatever else the query asks, the list walks the
		// deadlines in order and stops after a page; another index would
		// read every case it selects and sort them.
		y, m, d := q.Today.In(workflow.Zone).Date()
		from, order = "records r INDEXED BY records_overdue", "r.next_due, r.created, r.id"
		where, args = append(where, "r.next_due < ?"), append(args, workflow.Day(y, m, d).UnixNano())
		if q.Dept != "" {
			// A department's entry has its case's created: one lookup
			// in the department index per deadline read.
			where = append(where, "EXISTS (SELECT 1 FROM depts d WHERE d.dept = ? AND d.created = r.created AND d.case_id = r.id)")
			args = append(args, q.Dept)
		}
	case q.Dept != "":
		// The department index is ordered like the list: walk it.
		from = "depts d JOIN records r ON r.id = d.case_id"
		where, args = append(where, "d.dept = ?"), append(args, q.Dept)
		order, key = "d.created DESC, d.case_id DESC", "d.created"
	}
	if q.Stage != "" {
		where, args = append(where, "r.stage = ?"), append(args, string(q.Stage))
	}
	if q.Year != 0 {
		where, args = append(where, "r.year = ?"), append(args, q.Year)
	}
	if q.Kind != "" {
		kind := q.Kind
		if kind == workflow.KindOpinion {
			kind = ""
		}
		where, args = append(where, "r.kind = ?"), append(args, kind)
	}
	if q.Category != "" {
		where, args = append(where, "r.category = ?"), append(args, q.Category)
	}
	if q.Public {
		// Publications from before 公开属性 was kept have none: public.
		where, args = append(where, "r.stage = ? AND IFNULL(json_extract(r.summary, '$.openness'), '') IN ('', ?)"),
			append(args, string(workflow.Published), string(workflow.Proactive))
	}
	for _, word := range strings.Fields(q.Text) {
		// The trigram index answers LIKE only without an ESCAPE clause
		// (with one SQLite reads every row: 5 ms against 0.07 ms at
		// 10,000 cases), so it is added only for words that need it.
		// Words under three characters are read row by row either way.
		cond, pat := `text LIKE ?`, "%"+word+"%"
		if strings.ContainsAny(word, `%_\`) {
			cond, pat = `text LIKE ? ESCAPE '\'`, "%"+likeEscape(word)+"%"
		}
		where, args = append(where, `r.rowid IN (SELECT rowid FROM search WHERE `+cond+`)`), append(args, pat)
	}
	if q.Cursor != "" {
		var err error
		if q.Overdue {
			var due, created int64
			var id string
			if due, created, id, err = decodeDueCursor(q.Cursor); err == nil {
				where = append(where, "(r.next_due, r.created, r.id) > (?, ?, ?)")
				args = append(args, due, created, id)
			}
		} else {
			var created int64
			var id string
			if created, id, err = decodeCursor(q.Cursor); err == nil {
				where = append(where, "("+key+" < ? OR "+key+" = ? AND r.id < ?)")
				args = append(args, created, created, id)
			}
		}
		if err != nil {
			return workflow.Page{}, workflow.Errorf(op, workflow.Invalid, "翻页参数无效，请从第一页重新查看")
		}
	}
	cols := "r.created, r.id, r.summary"
	if q.Overdue {
		cols += ", r.next_due" // for its cursor: the other lists do without
	}
	query := "SELECT " + cols + " FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order + " LIMIT ?"
	args = append(args, limit+1)

	var p workflow.Page
	err := retry(ctx, func() error {
		p = workflow.Page{}
		rows, err := s.r.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var lastCreated, lastDue int64
		for rows.Next() {
			var (
				created, due int64
				id           string
				data         []byte
			)
			dest := []any{&created, &id, &data}
			if q.Overdue {
				dest = append(dest, &due)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if len(p.Cases) == limit {
				last := p.Cases[len(p.Cases)-1]
				if q.Overdue {
					p.Next = encodeDueCursor(lastDue, lastCreated, last.ID)
				} else {
					p.Next = encodeCursor(lastCreated, last.ID)
				}
				break
			}
			var sum workflow.Summary
			if err := json.Unmarshal(data, &sum); err != nil {
				return fmt.Errorf("decode summary of %s: %w", id, err)
			}
			p.Cases = append(p.Cases, sum)
			lastCreated, lastDue = created, due
		}
		return rows.Err()
	})
	if err != nil {
		return workflow.Page{}, failure(op, fmt.Errorf("list cases %+v: %w", q, err))
	}
	return p, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func encodeCursor(created int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(created, 10) + " " + id))
}

// The overdue list's cursor: "d" and the deadline, so that it cannot be
// taken for another list's.
func encodeDueCursor(due, created int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("d" + strconv.FormatInt(due, 10) + " " + strconv.FormatInt(created, 10) + " " + id))
}

func decodeDueCursor(s string) (due, created int64, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, 0, "", err
	}
	rest, ok := strings.CutPrefix(string(b), "d")
	if !ok {
		return 0, 0, "", errors.New("not a cursor of the overdue list")
	}
	d, rest, _ := strings.Cut(rest, " ")
	if due, err = strconv.ParseInt(d, 10, 64); err != nil {
		return 0, 0, "", err
	}
	created, id, err = decodeCursor(base64.RawURLEncoding.EncodeToString([]byte(rest)))
	return due, created, id, err
}

func decodeCursor(s string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", err
	}
	t, id, ok := strings.Cut(string(b), " ")
	if !ok || id == "" {
		return 0, "", errors.New("no id in cursor")
	}
	created, err := strconv.ParseInt(t, 10, 64)
	return created, id, err
}

// Events implements workflow.Store.
func (s *Store) Events(ctx context.Context, caseID, stream string, before, limit int) ([]workflow.Event, error) {
	const op = "localstore.Events"
	if before <= 0 {
		before = 1 << 62
	}
	var (
		out   []workflow.Event
		found bool
	)
	err := retry(ctx, func() error {
		out, found = nil, false
		tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var one int
		switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM records WHERE id = ?
			UNION ALL SELECT 1 FROM history WHERE case_id = ? LIMIT 1`, caseID, caseID).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		found = true
		rows, err := tx.QueryContext(ctx, `SELECT data FROM history WHERE case_id = ? AND stream = ? AND seq < ?
			ORDER BY seq DESC LIMIT ?`, caseID, stream, before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				return err
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
		return nil, failure(op, fmt.Errorf("read events of %s/%s: %w", caseID, stream, err))
	}
	if !found {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有案件 %s", caseID)
	}
	return out, nil
}

// Event implements workflow.Store.
func (s *Store) Event(ctx context.Context, caseID, stream string, seq int) (workflow.Event, error) {
	const op = "localstore.Event"
	var data []byte
	err := retry(ctx, func() error {
		return s.r.QueryRowContext(ctx, `SELECT data FROM history WHERE case_id = ? AND stream = ? AND seq = ?`, caseID, stream, seq).Scan(&data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return workflow.Event{}, workflow.Errorf(op, workflow.NotFound, "案件 %s 没有第 %d 条记录", caseID, seq)
	}
	if err != nil {
		return workflow.Event{}, failure(op, err)
	}
	var e workflow.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return workflow.Event{}, failure(op, fmt.Errorf("decode event: %w", err))
	}
	return e, nil
}

// AllocateNumber implements workflow.Store. The counter is read and moved
// inside the transaction that commits the change, and that transaction
// holds SQLite's write lock from its start, so allocations are serialised:
// build is called once, and again only if the database was busy and the
// transaction starts over. build runs under the write lock; it must not
// call the Store's writing methods, which would wait for it.
func (s *Store) AllocateNumber(ctx context.Context, series string, year int, build func(seq int) (*workflow.Change, error)) error {
	const op = "localstore.AllocateNumber"
	if strings.TrimSpace(series) == "" || year <= 0 {
		return workflow.Errorf(op, workflow.Invalid, "发文字号的代字或年份无效")
	}
	var ch *workflow.Change
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		last, err := counter(ctx, tx, series, year)
		if err != nil {
			return err
		}
		if ch, err = build(last + 1); err != nil {
			return err
		}
		e, err := encodeChange(op, ch)
		if err != nil {
			return err
		}
		if err := commit(ctx, tx, op, ch, e); err != nil {
			return err
		}
		return setCounter(ctx, tx, series, year, last+1)
	})
	if err != nil {
		return err
	}
	applied(ch)
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

func counter(ctx context.Context, q queryer, series string, year int) (int, error) {
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
