package workflow

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Case returns a case as id may see it: the office and the case's signers
// see everything; a department sees the case with its own sections' texts
// only; the public sees a published case's publication only.
func (s *Service) Case(ctx context.Context, id Identity, caseID string) (*Case, error) {
	const op = "workflow.Case"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	v := visible(id, c)
	if v == nil {
		return nil, Errorf(op, NotFound, "没有案件 %s，或您无权查看", caseID)
	}
	return v, nil
}

// Cases lists the summaries of the cases id may see, newest first (the
// overdue oldest deadline first: Query.Overdue), a page at a time. Departments see the cases they take part in, approvers every
// case, the public published cases only.
func (s *Service) Cases(ctx context.Context, id Identity, q Query) (Page, error) {
	const op = "workflow.Cases"
	switch {
	case id.Has(Clerk) || id.Has(Admin) || id.Has(Approver):
	case id.Dept != "" && (id.Has(Staff) || id.Has(Head)):
		q.Dept = id.Dept
	default:
		if q.Stage != "" && q.Stage != Published {
			return Page{Cases: []Summary{}}, nil
		}
		q.Stage, q.Public = Published, true
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPage
	case q.Limit < 0 || q.Limit > MaxPage:
		return Page{}, Errorf(op, Invalid, "每页条数须为 1–%d", MaxPage)
	}
	if err := checkLine(op, "检索词", q.Text); err != nil {
		return Page{}, err
	}
	q.Text = FoldSearch(q.Text)
	if q.Stage != "" && !slices.Contains(Stages, q.Stage) {
		return Page{}, Errorf(op, Invalid, "没有阶段 %q", q.Stage)
	}
	if q.Today.IsZero() {
		q.Today = s.now()
	}
	p, err := s.Store.Cases(ctx, q)
	if err != nil {
		return Page{}, err
	}
	if !id.Has(Clerk) && !id.Has(Admin) && !id.Has(Approver) && q.Dept == "" {
		for i := range p.Cases {
			p.Cases[i] = publicSummary(p.Cases[i])
		}
	}
	if p.Cases == nil {
		p.Cases = []Summary{}
	}
	return p, nil
}

// FoldSearch writes the brackets people type around a year the way
// documents print them, 〔2025〕, so that 某府议[2025]17 finds
// 某府议〔2025〕17号, and collapses runs of spaces: each word of a search
// must occur (Query.Text).
func FoldSearch(q string) string {
	q = strings.NewReplacer("[", "〔", "［", "〔", "【", "〔", "]", "〕", "］", "〕", "】", "〕").Replace(q)
	r := []rune(q)
	for i := 0; i+5 < len(r); i++ {
		if (r[i] == '(' || r[i] == '（') && (r[i+5] == ')' || r[i+5] == '）') && isDigits(r[i+1:i+5]) {
			r[i], r[i+5] = '〔', '〕'
		}
	}
	return strings.Join(strings.Fields(string(r)), " ")
}

func isDigits(r []rune) bool {
	for _, c := range r {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// publicSummary is what the public may know of a published case: what
// the published document prints (for a 答复函, its kind, category and the
// deputy or member it answers), not who drafted it nor how it was rated.
func publicSummary(s Summary) Summary {
	return Summary{ID: s.ID, Stage: s.Stage, Number: s.Number, Title: s.Title, Issuer: s.Issuer,
		Created: s.Created, Updated: s.Updated, Doc: s.Doc, Date: s.Date, Heading: s.Heading, Files: s.Files,
		Kind: s.Kind, Category: s.Category, Proposer: s.Proposer}
}

// Parts returns, for a page of a department's cases, the sections of each
// that the department leads or co-handles.
func (s *Service) Parts(ctx context.Context, id Identity, cases []Summary) (map[string][]Section, error) {
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	all, err := s.Store.Sections(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, secs := range all {
		all[k] = slices.DeleteFunc(secs, func(sec Section) bool { return !sec.Involves(id.Dept) })
	}
	return all, nil
}

func visible(id Identity, c *Case) *Case {
	if id.Has(Clerk) || id.Has(Admin) {
		return c
	}
	if id.Has(Approver) && c.signer(id.User) {
		return c
	}
	if id.Dept != "" && (id.Has(Staff) || id.Has(Head)) && c.involves(id.Dept) {
		d := *c
		d.Sections = slices.Clone(c.Sections)
		for i := range d.Sections {
			if !d.Sections[i].Involves(id.Dept) {
				sec := &d.Sections[i]
				sec.Current = Version{N: sec.Current.N, Heading: sec.Current.Heading}
				sec.Returned, sec.Reminded, sec.Inputs, sec.Attachments = nil, nil, nil, nil
			}
		}
		if !c.signer(id.User) {
			d.Report, d.Chain, d.Returned, d.Consult = nil, nil, nil, nil
			if c.Stage == Published && c.Report != nil {
				// The title of what was published, as the public sees it.
				d.Report = &Report{Current: Version{Heading: c.Report.Current.Heading}}
			}
		}
		return &d
	}
	if c.Stage == Published && c.Publication.Public() {
		return &Case{Record: Record{ID: c.ID, Stage: c.Stage, Publication: c.Publication, Created: c.Created, Updated: c.Updated,
			Report: &Report{Current: Version{Heading: c.Report.Current.Heading}}},
			Opinion: Opinion{Issuer: c.Opinion.Issuer, Number: c.Opinion.Number, Title: c.Opinion.Title, Date: c.Opinion.Date}}
	}
	return nil
}

// CanRead reports whether id may read the events of a stream of c (the
// case's own, "", or a section's): the office and the case's signers read
// all, a department the streams of the sections it takes part in.
func CanRead(id Identity, c *Case, stream string) bool {
	if id.Has(Clerk) || id.Has(Admin) || id.Has(Approver) && c.signer(id.User) {
		return true
	}
	if stream == "" {
		return false
	}
	sec, ok := c.Section(stream)
	return ok && id.Dept != "" && (id.Has(Staff) || id.Has(Head)) && sec.Involves(id.Dept)
}

// History returns a page of one stream's events — a section's, or the
// case's own ("") — newest first, with Seq below before (0: from the
// newest): the versions, inputs, returns and reminders of a section, the
// report's versions and approvals. Departments read their own sections'.
func (s *Service) History(ctx context.Context, id Identity, caseID, stream string, before, limit int) ([]Event, error) {
	r, err := s.Read(ctx, id, caseID)
	if err != nil {
		return nil, err
	}
	return r.History(ctx, stream, before, limit)
}

// A Reading is a case as one identity may see it, read once for the
// several reads a page makes of it — a stream's history, its texts, the
// inputs recorded — instead of once for each. Only Service.Read makes
// one, so its methods check what History, Recorded and Text check.
type Reading struct {
	s  *Service
	id Identity
	c  *Case
}

// Read reads a case as id may see it (see Case), for the reads that follow.
func (s *Service) Read(ctx context.Context, id Identity, caseID string) (*Reading, error) {
	c, err := s.Case(ctx, id, caseID)
	if err != nil {
		return nil, err
	}
	return &Reading{s: s, id: id, c: c}, nil
}

// Case is the case read, as its reader may see it.
func (r *Reading) Case() *Case { return r.c }

// History is Service.History on the case read.
func (r *Reading) History(ctx context.Context, stream string, before, limit int) ([]Event, error) {
	const op = "workflow.History"
	if !CanRead(r.id, r.c, stream) {
		return nil, Errorf(op, NotFound, "案件 %s 中没有此记录，或您无权查看", r.c.ID)
	}
	switch {
	case limit == 0:
		limit = DefaultPage
	case limit < 0 || limit > MaxPage:
		return nil, Errorf(op, Invalid, "每页条数须为 1–%d", MaxPage)
	}
	return r.s.Store.Events(ctx, r.c.ID, stream, before, limit)
}

// Recorded returns one event of a stream id may read, and the text it
// recorded: a version's body or an input's text ("" for other events).
func (s *Service) Recorded(ctx context.Context, id Identity, caseID, stream string, seq int) (Event, string, error) {
	r, err := s.Read(ctx, id, caseID)
	if err != nil {
		return Event{}, "", err
	}
	return r.Recorded(ctx, stream, seq)
}

// Recorded is Service.Recorded on the case read.
func (r *Reading) Recorded(ctx context.Context, stream string, seq int) (Event, string, error) {
	const op = "workflow.Recorded"
	if !CanRead(r.id, r.c, stream) {
		return Event{}, "", Errorf(op, NotFound, "案件 %s 中没有此记录，或您无权查看", r.c.ID)
	}
	e, err := r.s.Store.Event(ctx, r.c.ID, stream, seq)
	if err != nil {
		return Event{}, "", err
	}
	hash := ""
	switch {
	case e.Version != nil:
		hash = e.Version.Hash
	case e.Input != nil:
		hash = e.Input.Hash
	default:
		return e, "", nil
	}
	b, err := r.s.Blobs.Get(ctx, hash)
	return e, string(b), err
}

// Text returns a current draft body of a case that id may see: a section's
// newest version, or the report's.
func (s *Service) Text(ctx context.Context, id Identity, caseID, hash string) (string, error) {
	r, err := s.Read(ctx, id, caseID)
	if err != nil {
		return "", err
	}
	return r.Text(ctx, hash)
}

// Text is Service.Text on the case read.
func (r *Reading) Text(ctx context.Context, hash string) (string, error) {
	const op = "workflow.Text"
	c := r.c
	ok := c.Report != nil && c.Report.Current.Hash == hash
	for _, sec := range c.Sections {
		ok = ok || hash != "" && sec.Current.Hash == hash
	}
	if !ok && hash != "" {
		// A draft saved a moment ago by someone else: the hash the caller
		// read is now a version before the current one.
		var err error
		if ok, err = r.s.recent(ctx, r.id, c, hash); err != nil {
			return "", err
		}
	}
	if !ok {
		return "", Errorf(op, NotFound, "案件 %s 中没有此稿件，或您无权查看", c.ID)
	}
	b, err := r.s.Blobs.Get(ctx, hash)
	return string(b), err
}

// recent reports whether hash is one of the latest versions of a stream of
// c that id may read.
func (s *Service) recent(ctx context.Context, id Identity, c *Case, hash string) (bool, error) {
	var streams []string
	if c.HasReport() && CanRead(id, c, "") {
		streams = append(streams, "")
	}
	for _, sec := range c.Sections {
		if CanRead(id, c, sec.ID) {
			streams = append(streams, sec.ID)
		}
	}
	for _, st := range streams {
		evs, err := s.Store.Events(ctx, c.ID, st, 0, DefaultPage)
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			if e.Version != nil && e.Version.Hash == hash {
				return true, nil
			}
		}
	}
	return false, nil
}

// Audit returns a page of the whole audit trail of a case, every stream
// merged, newest first, for the office and the case's signers. cursor is
// the previous page's next ("" for the first); next is "" at the end.
func (s *Service) Audit(ctx context.Context, id Identity, caseID, cursor string, limit int) (evs []Event, next string, err error) {
	const op = "workflow.Audit"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, "", err
	}
	if visible(id, c) == nil {
		return nil, "", Errorf(op, NotFound, "没有案件 %s，或您无权查看", caseID)
	}
	if !id.Has(Clerk) && !id.Has(Admin) && !c.signer(id.User) {
		return nil, "", Errorf(op, Forbidden, "只有区府办和签批人可以查看审计记录")
	}
	switch {
	case limit == 0:
		limit = DefaultPage
	case limit < 0 || limit > MaxPage:
		return nil, "", Errorf(op, Invalid, "每页条数须为 1–%d", MaxPage)
	}
	// Each stream is read from where the last page left it; the page is the
	// newest limit events of all of them.
	pos, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", Errorf(op, Invalid, "翻页参数无效")
	}
	streams := []string{""}
	for _, sec := range c.Sections {
		streams = append(streams, sec.ID)
	}
	var all []Event
	for _, st := range streams {
		before := pos[st]
		if before == 1 {
			continue // this stream is done
		}
		page, err := s.Store.Events(ctx, caseID, st, before, limit)
		if err != nil {
			return nil, "", err
		}
		all = append(all, page...)
	}
	slices.SortStableFunc(all, func(a, b Event) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(a.Stream, b.Stream), b.Seq-a.Seq)
	})
	if len(all) <= limit {
		return all, "", nil
	}
	all = all[:limit]
	for _, e := range all {
		pos[e.Stream] = e.Seq
	}
	return all, encodeCursor(pos), nil
}

// Verified is what Verify found in the audit trail of a case.
type Verified struct {
	Events    int            // events read, in every stream
	Signed    map[string]int // events whose change's signature verified, by key ID
	Unsigned  int            // events written without a signature (see Event.Sig)
	Unchecked int            // signed events not checked: the service has no Verifier
}

// Keys returns the IDs of the keys that signed, in order.
func (v Verified) Keys() []string {
	keys := make([]string, 0, len(v.Signed))
	for k := range v.Signed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Verify reads every stream of a case and checks
//
//   - each chain: events numbered from 1 without gaps, each linked to the
//     one before, each hash intact, each filed under its case and stream;
//   - that the record holding a stream's head points at its last event;
//   - each change's signature over its events' hashes, with s.Verifier;
//   - that no event lacks a signature once one before it — in its stream,
//     or earlier in the case — has one: signatures are not removed.
//
// So an event edited, inserted or deleted shows even when whoever did it
// recomputed the hashes and heads, as anyone who can write the database
// can; to hide it they would need the signing key. What this cannot show
// is a case rolled back whole to an earlier state, or deleted: that state
// was signed too (see README, "The audit trail").
//
// Problems give an error of kind Invalid naming the first of each stream;
// Verified says what was found either way. Events without a signature —
// docflow 1's, migrated ones, those of a service without a Signer — are
// counted as such, not reported as problems.
func (s *Service) Verify(ctx context.Context, caseID string) (Verified, error) {
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return Verified{}, err
	}
	_, v, err := s.verify(ctx, c)
	return v, err
}

// problem is the first thing wrong found in a stream.
type problem struct {
	seq int
	msg string
}

// verify reads every event of c, stream by stream, oldest first, and
// checks them as Verify describes.
func (s *Service) verify(ctx context.Context, c *Case) (map[string][]Event, Verified, error) {
	const op = "workflow.Verify"
	order := []string{""}
	heads := map[string]StreamHead{"": c.Head}
	for _, sec := range c.Sections {
		order = append(order, sec.ID)
		heads[sec.ID] = sec.Head
	}
	found := map[string]problem{}
	report := func(st string, seq int, format string, args ...any) {
		if p, ok := found[st]; !ok || seq < p.seq {
			found[st] = problem{seq, fmt.Sprintf(format, args...)}
		}
	}
	// A change's events share one signature, which may span streams: they
	// are checked together once every stream has been read.
	type change struct {
		key string
		sig []byte
		evs []Event
	}
	changes := map[string]*change{}
	var signed []*change
	v := Verified{Signed: map[string]int{}}
	streams := map[string][]Event{}
	reread := false
	for _, st := range order {
		evs, err := s.stream(ctx, c.ID, st)
		if err != nil {
			return streams, v, err
		}
		streams[st] = evs
		v.Events += len(evs)
		prev, wasSigned := "", false
		for i, e := range evs {
			switch {
			case e.Seq != i+1 || e.Prev != prev || e.Hash != e.digest() || e.Case != c.ID || e.Stream != st:
				report(st, i+1, "%s的审计记录第 %d 条被改动或缺失", where(st), i+1)
			case e.Sig == nil && wasSigned:
				report(st, e.Seq, "%s的审计记录第 %d 条没有签名，而此前的记录有：签名被去除，记录可能被改写", where(st), e.Seq)
			}
			prev = e.Hash
			if e.Sig == nil {
				v.Unsigned++
				continue
			}
			wasSigned = true
			k := e.Key + "\x00" + string(e.Sig)
			ch := changes[k]
			if ch == nil {
				ch = &change{key: e.Key, sig: e.Sig}
				changes[k] = ch
				signed = append(signed, ch)
			}
			ch.evs = append(ch.evs, e)
		}
		last := StreamHead{}
		if n := len(evs); n > 0 {
			last = StreamHead{Seq: evs[n-1].Seq, Hash: evs[n-1].Hash}
		}
		if last != heads[st] && !reread {
			// A change may have landed while the streams were read, or a
			// stopped one been completed by reading them (awsstore): the
			// case is read again, once, before its heads are doubted.
			reread = true
			if fresh, err := s.Store.Case(ctx, c.ID); err == nil {
				heads[""] = fresh.Head
				for _, sec := range fresh.Sections {
					heads[sec.ID] = sec.Head
				}
			}
		}
		if last != heads[st] {
			report(st, last.Seq+1, "%s的审计记录与记录头不符（记录头为第 %d 条，实有 %d 条）：有记录被删除或改动", where(st), heads[st].Seq, last.Seq)
		}
	}
	for _, ch := range signed {
		if s.Verifier == nil {
			v.Unchecked += len(ch.evs)
			continue
		}
		err := s.Verifier.Verify(ctx, ch.key, sealDigest(ch.evs), ch.sig)
		switch {
		case err == nil:
			v.Signed[ch.key] += len(ch.evs)
		case errors.Is(err, ErrUnknownKey):
			for _, e := range ch.evs {
				report(e.Stream, e.Seq, "%s的审计记录第 %d 条由未知的密钥 %q 签名：若是已停用的密钥，请提供它的公钥；否则签名是伪造的", where(e.Stream), e.Seq, ch.key)
			}
		case errors.Is(err, ErrBadSignature):
			for _, e := range ch.evs {
				report(e.Stream, e.Seq, "%s的审计记录第 %d 条与签名不符：签名之后被改动", where(e.Stream), e.Seq)
			}
		default:
			return streams, v, fmt.Errorf("%s: case %s: check a signature: %w", op, c.ID, err)
		}
	}
	// Signing, once begun, goes on: an unsigned event after the case's
	// first signed one had its signature removed (in its own stream, the
	// loop above has found it by number).
	var first time.Time
	for _, ch := range signed {
		for _, e := range ch.evs {
			if first.IsZero() || e.At.Before(first) {
				first = e.At
			}
		}
	}
	for _, st := range order {
		for _, e := range streams[st] {
			if e.Sig == nil && !first.IsZero() && !e.At.Before(first) {
				report(st, e.Seq, "%s的审计记录第 %d 条没有签名，而案件中更早的记录有：签名被去除，记录可能被改写", where(st), e.Seq)
				break
			}
		}
	}
	var msgs []string
	for _, st := range order {
		if p, ok := found[st]; ok {
			msgs = append(msgs, p.msg)
		}
	}
	if len(msgs) > 0 {
		return streams, v, Errorf(op, Invalid, "%s", strings.Join(msgs, "；"))
	}
	return streams, v, nil
}

// stream reads every event of one stream of a case, oldest first.
func (s *Service) stream(ctx context.Context, caseID, st string) ([]Event, error) {
	var evs []Event
	for before := 0; before != 1; {
		page, err := s.Store.Events(ctx, caseID, st, before, MaxPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		evs = append(evs, page...)
		before = page[len(page)-1].Seq
	}
	slices.Reverse(evs)
	return evs, nil
}

// Check reads a whole case: it verifies every audit trail (Verify) and
// reads every text and file the case refers to — the opinion's file, each
// version, input and report, the published files — so that a backup or a
// restored copy can be trusted. It returns how many events and blobs it
// checked.
func (s *Service) Check(ctx context.Context, caseID string) (events, blobs int, err error) {
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return 0, 0, err
	}
	streams, v, err := s.verify(ctx, c)
	if err != nil {
		return v.Events, 0, err
	}
	hashes := map[string]bool{c.Source.Hash: true}
	if c.Report != nil {
		hashes[c.Report.Current.Hash] = true
	}
	for _, sec := range c.Sections {
		if sec.Current.Hash != "" {
			hashes[sec.Current.Hash] = true
		}
		for _, a := range sec.Attachments {
			hashes[a.Hash] = true
		}
	}
	if c.Report != nil {
		for _, a := range c.Report.Attachments {
			hashes[a.Hash] = true
		}
	}
	for _, evs := range streams {
		events += len(evs)
		for _, e := range evs {
			switch {
			case e.Version != nil:
				hashes[e.Version.Hash] = true
			case e.Input != nil:
				hashes[e.Input.Hash] = true
			case e.Attachment != nil:
				hashes[e.Attachment.Hash] = true
			}
		}
	}
	for h := range hashes {
		if _, err := s.Blobs.Get(ctx, h); err != nil {
			return events, blobs, fmt.Errorf("case %s: text %s: %w", c.ID, h, err)
		}
		blobs++
	}
	if p := c.Publication; p != nil {
		for _, f := range p.Files {
			b, err := s.Blobs.File(ctx, f.Key)
			if err != nil {
				return events, blobs, fmt.Errorf("case %s: file %s: %w", c.ID, f.Key, err)
			}
			if Hash(b) != f.Hash {
				return events, blobs, Errorf("workflow.Check", Invalid, "案件 %s 的已发布文件 %s 与登记的哈希不符", c.ID, f.Name)
			}
			blobs++
		}
		for _, a := range p.Attachments {
			b, err := s.Blobs.File(ctx, a.Key)
			if err != nil {
				return events, blobs, fmt.Errorf("case %s: attachment %s: %w", c.ID, a.Key, err)
			}
			if Hash(b) != a.Hash {
				return events, blobs, Errorf("workflow.Check", Invalid, "案件 %s 已发布的附件 %s 与登记的哈希不符", c.ID, a.Name)
			}
			blobs++
		}
	}
	return events, blobs, nil
}

func encodeCursor(pos map[string]int) string {
	var parts []string
	for st, seq := range pos {
		parts = append(parts, st+"="+strconv.Itoa(seq))
	}
	slices.Sort(parts)
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ";")))
}

func decodeCursor(s string) (map[string]int, error) {
	pos := map[string]int{}
	if s == "" {
		return pos, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	for _, p := range strings.Split(string(b), ";") {
		st, seq, ok := strings.Cut(p, "=")
		n, err := strconv.Atoi(seq)
		if !ok || err != nil || n < 1 {
			return nil, fmt.Errorf("cursor part %q", p)
		}
		pos[st] = n
	}
	return pos, nil
}

// File returns a published file of a published case to whoever may see
// the case: anyone for a 主动公开 notice, the office and those who took
// part for the others. To the rest it does not exist.
func (s *Service) File(ctx context.Context, id Identity, caseID, name string) (File, []byte, error) {
	const op = "workflow.File"
	c, err := s.Store.Case(ctx, caseID)
	if KindOf(err) == NotFound {
		return File{}, nil, Errorf(op, NotFound, "没有已发布的文件 %s", name)
	}
	if err != nil {
		return File{}, nil, err
	}
	if c.Stage == Published && visible(id, c) != nil {
		for _, f := range c.Publication.Files {
			if f.Name == name {
				b, err := s.Blobs.File(ctx, f.Key)
				return f, b, err
			}
		}
	}
	return File{}, nil, Errorf(op, NotFound, "没有已发布的文件 %s", name)
}

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

// Holder returns the case that holds a 来文字号 (by its NumberKey), so that
// the office sees a duplicate before it registers an opinion: an error of
// kind NotFound when no case does.
func (s *Service) Holder(ctx context.Context, id Identity, number string) (*Case, error) {
	if err := Allowed(id, nil, ActIntake, nil); err != nil {
		return nil, err
	}
	holder, err := s.Store.Registered(ctx, NumberKey(number))
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, id, holder)
}
