package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Service carries cases through the workflow. Each method checks who acts
// and whether the change is allowed now (Rules), applies it to a fresh copy
// of the case, records audit events and commits the records it changed,
// each against the version it read. It does no I/O of its own: Store,
// Blobs, Renderer and Signer do.
type Service struct {
	Store  Store
	Blobs  Blobs
	Render Renderer
	Dir    Directory        // the office's configuration and accounts
	Now    func() time.Time // nil: time.Now
	// Outbox lists the messages changes wrote (Change.Outbox) for the
	// outbox page and its retries; nil where nothing reads them. Both
	// stores implement it.
	Outbox Outbox

	// Signer signs the events of every change (see Event.Sig); nil leaves
	// them unsigned, for tests that do not care. Verifier holds the public
	// keys that Verify checks signatures with; nil: they are not checked.
	Signer   Signer
	Verifier Verifier

	// audiences caches who belongs to an audience of notifications for a
	// minute (audienceTTL): finding the office's clerks reads every
	// account on DynamoDB, which each submission and approval would
	// otherwise repeat. Saving an account through this service clears it;
	// another process's change shows within the minute, and the sender
	// reads each address when it sends.
	audiences sync.Map // Audience.Target → audienceEntry
}

// audienceTTL is how long the people of an audience are cached.
const audienceTTL = time.Minute

type audienceEntry struct {
	who []Account
	at  time.Time
}

// Limits on what users send. Every one is checked where the input arrives,
// with a message that names it, so that no record ever outgrows its store
// (a DynamoDB item holds at most 400 KB, a transaction 100 items).
const (
	MaxBody     = 256 << 10 // one section or report body, bytes
	MaxHeading  = 200       // a heading, title or addressee, characters
	MaxComment  = 2000      // a return or an approval's opinion, characters
	MaxReminder = 500       // a reminder (催办), characters
	MaxParts    = 60        // parts of a report outline
	MaxCo       = 8         // co-handling departments of one part
	MaxDepts    = 60        // departments involved in one case
	MaxSteps    = 8         // steps of a sign-off chain
	MaxSigners  = 30        // signers of one step
	saveTries   = 12
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// recorder collects the audit events of one change, numbered in their
// streams as they are added so that a record can point at its event.
type recorder struct {
	id     Identity
	at     time.Time
	c      *Case
	signer Signer // nil: events are not signed
	evs    []*Event
	prevs  map[string]string // each stream's head hash before the change
	claims []Claim           // 来文字号 the change registers or releases
}

// add records an event in a stream ("" the case's own, else a section's)
// and returns it, numbered, for the caller to attach what it records.
func (r *recorder) add(stream string, a Action, detail, sum string) *Event {
	h := r.head(stream)
	if r.prevs == nil {
		r.prevs = map[string]string{}
	}
	if _, ok := r.prevs[stream]; !ok {
		r.prevs[stream] = h.Hash
	}
	h.Seq++
	e := &Event{Case: r.c.ID, Stream: stream, Seq: h.Seq, At: r.at, Actor: r.id.User, Name: r.id.label(), Action: string(a), Detail: detail, Sum: sum}
	r.evs = append(r.evs, e)
	return e
}

func (r *recorder) head(stream string) *StreamHead {
	if stream == "" {
		return &r.c.Head
	}
	sec, err := r.c.section("workflow.recorder", stream)
	if err != nil {
		panic("workflow: event for a section the case does not have: " + stream)
	}
	return &sec.Head
}

// seal chains the events onto their streams' heads and returns them.
func (r *recorder) seal() []Event {
	out := make([]Event, len(r.evs))
	for i, e := range r.evs {
		e.Prev = r.prevs[e.Stream]
		e.seal()
		r.prevs[e.Stream] = e.Hash
		r.head(e.Stream).Hash = e.Hash
		out[i] = *e
	}
	return out
}

// snapshot is a case as read, record by record, to tell what a change
// touched.
type snapshot struct {
	record, opinion, summary, frame []byte
	sections                        map[string][]byte
	v                               map[string]int
	was                             Summary
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("workflow: encode %T: %v", v, err)) // plain data: cannot fail
	}
	return b
}

func snap(c *Case) snapshot {
	sum := c.Summary()
	s := snapshot{record: encode(&c.Record), opinion: encode(&c.Opinion), summary: encode(&sum), frame: encode(&c.Frame), was: sum,
		sections: map[string][]byte{}, v: map[string]int{}}
	for i := range c.Sections {
		s.sections[c.Sections[i].ID] = encode(&c.Sections[i])
		s.v[c.Sections[i].ID] = c.Sections[i].V
	}
	return s
}

// change works out what the change made to c since before, or nil when
// it made none, and signs its events.
func (r *recorder) change(ctx context.Context, before snapshot, isNew bool) (*Change, error) {
	evs := r.seal()
	if err := sign(ctx, r.signer, evs); err != nil {
		return nil, err
	}
	c := r.c
	ch := &Change{Case: c, Events: evs, Was: before.was, Claims: r.claims}
	seen := map[string]bool{}
	for i := range c.Sections {
		sec := &c.Sections[i]
		seen[sec.ID] = true
		if old, ok := before.sections[sec.ID]; !ok || string(old) != string(encode(sec)) {
			ch.Sections = append(ch.Sections, sec.ID)
		}
	}
	for id, v := range before.v {
		if !seen[id] {
			ch.Drop = append(ch.Drop, Dropped{ID: id, V: v})
		}
	}
	slices.SortFunc(ch.Drop, func(a, b Dropped) int { return strings.Compare(a.ID, b.ID) })
	sum := c.Summary()
	ch.Opinion = isNew || string(before.opinion) != string(encode(&c.Opinion))
	ch.Frame = isNew && !c.Frame.IsZero() || !isNew && string(before.frame) != string(encode(&c.Frame))
	ch.Record = isNew || ch.Opinion || ch.Frame || len(ch.Drop) > 0 ||
		string(before.record) != string(encode(&c.Record)) || string(before.summary) != string(encode(&sum))
	if !ch.Record && len(ch.Sections) == 0 && len(evs) == 0 {
		return nil, nil
	}
	if ch.Record {
		c.Updated = r.at
	}
	return ch, nil
}

// update loads a case, applies fn and commits what it changed. A Conflict
// from the store means some other change landed in between on a record
// this one writes; fn runs again on the fresh case, and its own checks
// (stage, turn, the revision the user saw) decide whether the change still
// stands. Changes to different records — departments saving different
// sections — never conflict.
func (s *Service) update(ctx context.Context, id Identity, caseID string, fn func(c *Case, r *recorder) error) (*Case, error) {
	for try := 1; ; try++ {
		c, err := s.Store.Case(ctx, caseID)
		if err != nil {
			return nil, err
		}
		before := snap(c)
		r := &recorder{id: id, at: s.now(), c: c, signer: s.Signer}
		if err := fn(c, r); err != nil {
			return nil, err
		}
		ch, err := r.change(ctx, before, false)
		if err != nil {
			return nil, err
		}
		if ch == nil {
			return c, nil
		}
		// Whoever the change concerns is told, by messages written with
		// it: none without the change, nor the change without them.
		if ch.Outbox, err = s.outbox(ctx, c, ch.Events, r.at); err != nil {
			return nil, err
		}
		err = s.Store.Commit(ctx, ch)
		// A number held by another case stays held: no retry frees it.
		if KindOf(err) == Conflict && !errors.Is(err, ErrNumberTaken) && try < saveTries {
			if err := pause(ctx, try); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// pause waits a little before a retry, more after each, with jitter, so
// that writers that collided do not collide again.
func pause(ctx context.Context, try int) error {
	d := time.Duration(rand.Int64N(int64(min(1<<try, 64)) * int64(time.Millisecond)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func checkText(op, field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(op, Invalid, "%s含有无效字符（须为 UTF-8 文本）", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(op, Invalid, "%s过长（%d 字，上限 %d 字）", field, n, max)
	}
	if strings.ContainsRune(s, 0) {
		return Errorf(op, Invalid, "%s含有无效字符", field)
	}
	return nil
}

func checkLine(op, field, s string) error {
	if err := checkText(op, field, s, MaxHeading); err != nil {
		return err
	}
	if strings.ContainsAny(s, "\r\n") {
		return Errorf(op, Invalid, "%s只能有一行", field)
	}
	return nil
}

func checkBody(op, field, s string) error {
	if err := checkText(op, field, s, MaxBody); err != nil {
		return err
	}
	if len(s) > MaxBody {
		return Errorf(op, Invalid, "%s过长（%d 字节，上限 %d 字节）", field, len(s), MaxBody)
	}
	return nil
}

// Intake opens a case for an opinion that has been read (see package
// opinion) from the file data. The case ID derives from the file's content,
// so the same upload delivered again finds the case already open: that gives
// an error of kind Conflict whose message names the case, and the existing
// case. The opinion's 来文字号 is registered with the case (NumberKey):
// the same opinion in another encoding or format, or typed again, is
// refused the same way — Conflict wrapping ErrNumberTaken, naming the
// case that holds the number, and that case — unless it is registered as
// a revised version of that case (Revise).
func (s *Service) Intake(ctx context.Context, id Identity, src Source, data []byte, o *Opinion) (*Case, error) {
	return s.intake(ctx, "workflow.Intake", id, src, data, o, "")
}

// Revise opens a case for a revised version of the opinion of case
// revises (修订版): the opinion must carry the same 来文字号. The new case
// starts at assignment like any other and takes over the number; the case
// it revises is marked 已被修订 (Record.RevisedBy, an event in its audit
// trail) and otherwise left as it stands — published or not — for the
// office to decide what of its answer still holds. Both are written in one
// transaction. A case already revised cannot be revised again: the
// newest version is revised.
func (s *Service) Revise(ctx context.Context, id Identity, revises string, src Source, data []byte, o *Opinion) (*Case, error) {
	return s.intake(ctx, "workflow.Revise", id, src, data, o, revises)
}

func (s *Service) intake(ctx context.Context, op string, id Identity, src Source, data []byte, o *Opinion, revises string) (*Case, error) {
	if err := Allowed(id, nil, ActIntake, nil); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	key := o.Key()
	hash, err := s.Blobs.Put(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("%s: store source: %w", op, err)
	}
	src.Hash, src.Size = hash, len(data)
	caseID := "c" + hash[:12]
	if revises != "" && revises == caseID {
		return nil, Errorf(op, Invalid, "修订版与案件 %s 的来文文件完全相同：请上传修订后的文件", revises)
	}
	for try := 1; ; try++ {
		now := s.now()
		c := &Case{Record: Record{ID: caseID, Stage: Assigning, Source: src, Created: now, Updated: now}, Opinion: *o}
		r := &recorder{id: id, at: now, c: c, signer: s.Signer}
		detail := fmt.Sprintf("登记来文 %s《%s》，办理期限 %s", o.Number, o.Title, DateCN(o.Due))
		claim := Claim{Key: key, To: c.ID}
		var old *Case
		if revises != "" {
			if old, err = s.Store.Case(ctx, revises); err != nil {
				return nil, err
			}
			if err := s.revisable(op, id, old, key); err != nil {
				return nil, err
			}
			c.Revises, claim.From = old.ID, old.ID
			detail += fmt.Sprintf("；为案件 %s（%s 登记）来文的修订版", old.ID, DateCN(old.Created))
		}
		r.add("", ActIntake, detail, hash)
		ch, err := r.change(ctx, snapshot{}, true)
		if err != nil {
			return nil, err
		}
		ch.Claims = []Claim{claim}
		if old != nil {
			before := snap(old)
			ro := &recorder{id: id, at: now, c: old, signer: s.Signer}
			old.RevisedBy = c.ID
			ro.add("", ActRevise, fmt.Sprintf("来文已修订：修订版 %s《%s》登记为案件 %s，本案件已被修订", o.Number, o.Title, c.ID), hash)
			if ch.Also, err = ro.change(ctx, before, false); err != nil {
				return nil, err
			}
		}
		err = s.Store.Commit(ctx, ch)
		if err == nil {
			return c, nil
		}
		if KindOf(err) != Conflict {
			return nil, err
		}
		// The same file again, the number held by another case, or (a
		// revision) the revised case changed meanwhile: which one decides
		// the answer.
		if same, gerr := s.Store.Case(ctx, c.ID); gerr == nil {
			// The same file: its number is the case's own, whatever the
			// store said about it (DynamoDB reports every failed condition),
			// so the answer does not wrap ErrNumberTaken.
			return same, &Error{Op: op, Kind: Conflict, Msg: fmt.Sprintf("该来文已于 %s 登记为案件 %s，无需重复登记", DateCN(same.Created), same.ID),
				Err: fmt.Errorf("the same file again: %v", err)}
		} else if KindOf(gerr) != NotFound {
			return nil, gerr
		}
		if errors.Is(err, ErrNumberTaken) {
			holder, herr := s.Store.Registered(ctx, key)
			switch {
			case herr == nil && holder != revises:
				held, gerr := s.Store.Case(ctx, holder)
				if gerr != nil {
					return nil, gerr
				}
				return held, s.numberTaken(op, o.Number, held, err)
			case herr != nil && KindOf(herr) != NotFound:
				return nil, herr
			}
			// Released, or passed back, in between: try again.
		}
		if try >= saveTries {
			return nil, err
		}
		if err := pause(ctx, try); err != nil {
			return nil, err
		}
	}
}

// revisable checks that old may be revised by an opinion whose number has
// the given key.
func (s *Service) revisable(op string, id Identity, old *Case, key string) error {
	if err := Allowed(id, old, ActRevise, nil); err != nil {
		return err
	}
	switch {
	case old.RevisedBy != "":
		return Errorf(op, Invalid, "案件 %s 已被案件 %s 修订：请登记为最新的案件 %s 的修订版", old.ID, old.RevisedBy, old.RevisedBy)
	case old.Opinion.Key() != key:
		return Errorf(op, Invalid, "修订版的来文字号须与案件 %s 的相同（%s）：另一份来文请直接登记，不要标为修订版", old.ID, old.Opinion.Number)
	}
	return nil
}

// numberTaken is the refusal of an opinion whose 来文字号 held already
// holds, saying what to do instead.
func (s *Service) numberTaken(op, number string, held *Case, cause error) error {
	state := held.Stage.Label()
	if p := held.Publication; p != nil && p.Seq > 0 {
		state += "，" + p.Number()
	}
	return &Error{Op: op, Kind: Conflict, Err: cause, Msg: fmt.Sprintf(
		"来文字号 %s 已于 %s 登记为案件 %s（%s《%s》，%s）：同一来文不能重复登记。若这是该来文的修订版，请登记为案件 %s 的修订版",
		number, DateCN(held.Created), held.ID, held.Opinion.Number, held.Opinion.Title, state, held.ID)}
}

// CorrectOpinion replaces what intake read, before assignment. A
// corrected 来文字号 moves the case's registration (Claim): one another
// case holds is refused, naming that case.
func (s *Service) CorrectOpinion(ctx context.Context, id Identity, caseID string, version int, o Opinion) (*Case, error) {
	const op = "workflow.CorrectOpinion"
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c, err := s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActCorrect, nil); err != nil {
			return err
		}
		// A case keeps its kind, and the correction form of an opinion
		// does not show a proposal's proposer: what it leaves out is kept.
		o.Kind = c.Opinion.Kind
		if o.Kind != "" && o.Proposer == "" {
			o.Proposer, o.Group, o.Cosigners, o.Category = c.Opinion.Proposer, c.Opinion.Group, c.Opinion.Cosigners, c.Opinion.Category
		}
		if err := o.Validate(); err != nil {
			return err
		}
		key, was := o.Key(), c.Opinion.Key()
		// A case opened before numbers were registered, or a duplicate an
		// earlier version let in, may not hold its number: then there is
		// nothing to release. Only the case's own changes move what it
		// holds, and they conflict with this one, so what is read here
		// holds when it commits.
		holds := false
		if was != key {
			holder, err := s.Store.Registered(ctx, was)
			if err != nil && KindOf(err) != NotFound {
				return err
			}
			holds = holder == c.ID
		}
		if err := checkRev(op, "来文信息", version, c.Version); err != nil {
			return err
		}
		if was != key {
			switch {
			case c.Revises != "":
				return Errorf(op, Invalid, "本案件是案件 %s 的修订版，来文字号须与之相同，不能更正为 %s", c.Revises, o.Number)
			case c.RevisedBy != "":
				return Errorf(op, Invalid, "本案件已被案件 %s 修订，来文字号不能更正", c.RevisedBy)
			}
			r.claims = []Claim{{Key: key, To: c.ID}}
			if holds {
				r.claims = append(r.claims, Claim{Key: was, From: c.ID})
			}
		}
		c.Opinion = o
		r.add("", ActCorrect, fmt.Sprintf("更正来文信息：%s《%s》，%d 条意见，办理期限 %s", o.Number, o.Title, len(o.Items), DateCN(o.Due)), "")
		return nil
	})
	if errors.Is(err, ErrNumberTaken) {
		holder, herr := s.Store.Registered(ctx, o.Key())
		if KindOf(herr) == NotFound {
			return nil, err // released in between: the store's Conflict asks to try again
		}
		if herr != nil {
			return nil, herr
		}
		held, gerr := s.Store.Case(ctx, holder)
		if gerr != nil {
			return nil, gerr
		}
		return nil, s.numberTaken(op, o.Number, held, err)
	}
	return c, err
}

// Assignment gives one part of the report outline to departments.
type Assignment struct {
	Item  string    `json:"item"`            // opinion item answered; "" for a part of the clerk's own
	Level int       `json:"level,omitempty"` // 0: the item's level
	Lead  string    `json:"lead"`
	Co    []string  `json:"co,omitempty"`
	Due   time.Time `json:"due,omitzero"` // zero: Profile.LeadDays before the opinion's due date
}

// Assign sets the report outline and who drafts each part. It may be
// repeated until the case is dispatched. version is the case's record
// version the clerk saw.
func (s *Service) Assign(ctx context.Context, id Identity, caseID string, version int, plan []Assignment) (*Case, error) {
	const op = "workflow.Assign"
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActAssign, nil); err != nil {
			return err
		}
		if err := checkRev(op, "交办方案", version, c.Version); err != nil {
			return err
		}
		secs, err := s.outline(op, &o.Profile, c, plan, r.at)
		if err != nil {
			return err
		}
		for i := range secs {
			if old, ok := c.Section(secs[i].ID); ok {
				secs[i].V = old.V
			}
		}
		c.Sections = secs
		var leads []string
		for _, sec := range secs {
			if !slices.Contains(leads, sec.Lead) {
				leads = append(leads, sec.Lead)
			}
		}
		r.add("", ActAssign, fmt.Sprintf("交办方案：%d 个部分，主办部门 %s", len(secs), strings.Join(leads, "、")), "")
		return nil
	})
}

// DefaultDue is a part's due date when the plan gives none: the office's
// lead time (Profile.LeadDays) before the opinion's deadline — the
// deadline itself if that falls before the opinion's date — and never
// before today while the deadline is ahead.
func DefaultDue(p *Profile, c *Case, today time.Time) time.Time {
	def := c.Opinion.Due.AddDate(0, 0, -p.LeadDays)
	if def.Before(c.Opinion.Date) {
		def = c.Opinion.Due
	}
	if daysBetween(today, def) < 0 && daysBetween(today, c.Opinion.Due) >= 0 {
		y, m, d := today.In(Zone).Date()
		def = Day(y, m, d)
	}
	return def
}

// outline checks a plan and makes its sections. A department's due date
// may not be after the opinion's, nor — while the opinion's own deadline
// has not passed — before today (an opinion taken up after its deadline
// has no date that is neither, and is assigned late as it stands).
func (s *Service) outline(op string, p *Profile, c *Case, plan []Assignment, today time.Time) ([]Section, error) {
	switch {
	case len(plan) == 0:
		return nil, Errorf(op, Invalid, "交办方案为空")
	case len(plan) > MaxParts:
		return nil, Errorf(op, Invalid, "交办方案有 %d 个部分，上限 %d 个", len(plan), MaxParts)
	}
	def := DefaultDue(p, c, today)
	seen := map[string]bool{}
	depts := map[string]bool{}
	secs := make([]Section, len(plan))
	prevLevel := 0
	for i, a := range plan {
		where := fmt.Sprintf("第 %d 部分", i+1)
		level := a.Level
		if a.Item != "" {
			it, ok := c.Opinion.Item(a.Item)
			if !ok {
				return nil, Errorf(op, Invalid, "%s：来文中没有编号为 %q 的意见条目", where, a.Item)
			}
			if seen[a.Item] {
				return nil, Errorf(op, Invalid, "%s：意见条目 %s 被重复交办", where, it.Label)
			}
			seen[a.Item] = true
			if level == 0 {
				level = it.Level
			}
		}
		switch {
		case level < 1 || level > 4:
			return nil, Errorf(op, Invalid, "%s：层级须为 1–4", where)
		case level > prevLevel+1:
			return nil, Errorf(op, Invalid, "%s：层级 %d 不能紧跟在层级 %d 之后（不能跳级）", where, level, prevLevel)
		case !p.knows(a.Lead):
			return nil, Errorf(op, Invalid, "%s：主办部门 %q 不在部门名录中", where, a.Lead)
		case len(a.Co) > MaxCo:
			return nil, Errorf(op, Invalid, "%s：协办部门 %d 个，上限 %d 个", where, len(a.Co), MaxCo)
		}
		for j, d := range a.Co {
			if !p.knows(d) {
				return nil, Errorf(op, Invalid, "%s：协办部门 %q 不在部门名录中", where, d)
			}
			if d == a.Lead {
				return nil, Errorf(op, Invalid, "%s：%s 不能既主办又协办", where, d)
			}
			if slices.Contains(a.Co[:j], d) {
				return nil, Errorf(op, Invalid, "%s：协办部门 %s 重复", where, d)
			}
		}
		for _, d := range append([]string{a.Lead}, a.Co...) {
			depts[d] = true
		}
		if len(depts) > MaxDepts {
			return nil, Errorf(op, Invalid, "交办方案涉及的部门超过 %d 个", MaxDepts)
		}
		due := a.Due
		if due.IsZero() {
			due = def
		}
		if due.After(c.Opinion.Due) {
			return nil, Errorf(op, Invalid, "%s：部门办理期限 %s 晚于来文办理期限 %s", where, DateCN(due), DateCN(c.Opinion.Due))
		}
		if !a.Due.IsZero() && daysBetween(today, a.Due) < 0 && daysBetween(today, c.Opinion.Due) >= 0 {
			return nil, Errorf(op, Invalid, "%s：部门办理期限 %s 已过（今天是 %s），请选择今天或以后、不晚于来文办理期限 %s 的日期", where, DateCN(a.Due), DateCN(today), DateCN(c.Opinion.Due))
		}
		prevLevel = level
		secs[i] = Section{ID: fmt.Sprintf("s%d", i+1), Item: a.Item, Level: level, Lead: a.Lead,
			Co: slices.Clone(a.Co), Due: due, State: Planned}
	}
	return secs, nil
}

// Dispatch sends the assignments out (交办): departments may start drafting.
func (s *Service) Dispatch(ctx context.Context, id Identity, caseID string) (*Case, error) {
	const op = "workflow.Dispatch"
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActDispatch, nil); err != nil {
			return err
		}
		if len(c.Sections) == 0 {
			return Errorf(op, Invalid, "尚未制定交办方案")
		}
		// A section is writable only once the case is in drafting, and the
		// case leaves drafting only when every section is accepted: so a
		// department's save, which writes its section alone, never needs
		// to look at the case record.
		for i := range c.Sections {
			c.Sections[i].State = Open
		}
		c.Stage = Drafting
		r.add("", ActDispatch, fmt.Sprintf("交办 %d 个部分", len(c.Sections)), "")
		return nil
	})
}
