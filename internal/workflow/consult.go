package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// 征求意见 (consultation): before sign-off the clerk may send the compiled
// report draft to named people outside the office — the People's
// Congress working committee, say — each with a link of their own that
// needs no account, shows that one draft read-only and takes one comment.
//
// The consultation is kept in the case record (Record.Consult): who was
// asked, when, until when, the draft version sent, and for each contact
// the SHA-256 of their link's secret, never the link. The comments are
// events of the case (ActConsultAnswer, carrying the text), so the
// record does not grow with them. A link is
//
//	<case ID>.<contact ID>.<secret>
//
// where the secret is 32 random bytes (crypto/rand), base64url: the case
// ID finds the record without any index or table, and the secret's hash
// is compared with the record's in constant time. Whoever holds a link may
// read that draft and comment as that contact, until the link expires,
// the clerk revokes it, a new round replaces it, or the case is published.

// Limits of a consultation, stated where they are typed and checked here.
const (
	MaxContacts      = 10   // contacts of one consultation
	MaxContactName   = 40   // a contact's name, characters
	MaxContactOrg    = 60   // their organisation, characters
	MaxContactEmail  = 254  // their email address, bytes
	MaxConsultAnswer = 2000 // one comment, characters
	MaxAnswers       = 5    // comments a contact may give (each replaces the one before)
	ConsultDays      = 7    // a link's life when the clerk does not say
	MaxConsultDays   = 30   // the longest life a link may have
	consultSecret    = 32   // random bytes in a link's secret (256 bits)
)

// Actions of a consultation. ActConsultAnswer is taken by a contact
// holding a link, not by an account, so Rules does not list it.
const (
	ActConsult       Action = "consult"        // the clerk sends the draft for comments
	ActRevokeConsult Action = "revoke-consult" // the clerk revokes a contact's link
	ActConsultAnswer Action = "consult-answer" // a contact's comment
)

// Consultation is one round of 征求意见: the draft sent and to whom. A
// case keeps its latest round; a new round ends the one before (its links
// stop working; its comments stay in the audit trail).
type Consultation struct {
	Round    int       `json:"round"`
	Sent     time.Time `json:"sent"`
	By       string    `json:"by"`
	ByName   string    `json:"byName,omitempty"`
	Expires  time.Time `json:"expires"`
	Draft    Version   `json:"draft"` // the report version sent: its text is Draft.Hash
	Contacts []Contact `json:"contacts"`
}

// Contact is one person asked, and where their answer stands.
type Contact struct {
	ID    string `json:"id"` // k1, k2, …
	Name  string `json:"name"`
	Org   string `json:"org"`
	Email string `json:"email,omitempty"`
	// Secret is the hex SHA-256 of the link's secret: a reader of the
	// database cannot make the link from it.
	Secret    string    `json:"secret"`
	Revoked   time.Time `json:"revoked,omitzero"`
	Answered  time.Time `json:"answered,omitzero"` // the latest comment
	Answers   int       `json:"answers,omitempty"`
	AnswerSeq int       `json:"answerSeq,omitempty"` // the case event that records the latest comment
}

// Label names a contact: 姓名（单位）.
func (k *Contact) Label() string { return k.Name + "（" + k.Org + "）" }

// ContactInput is a contact as the clerk types them.
type ContactInput struct {
	Name  string `json:"name"`
	Org   string `json:"org"`
	Email string `json:"email,omitempty"`
}

// ConsultLink is a contact's link as made: its token is shown this once.
type ConsultLink struct {
	Contact Contact `json:"contact"`
	Token   string  `json:"token"`
}

// Changed reports whether the report has changed since the draft sent.
func (k *Consultation) Changed(c *Case) bool {
	return c.Report != nil && c.Report.Current.Sum != k.Draft.Sum
}

// since says, for the audit event of a report saved after a round was
// sent, which draft the round sent and how many comments it has: so the
// trail records what changed after the comments. "" without a round.
func (k *Consultation) since() string {
	if k == nil {
		return ""
	}
	n := 0
	for _, kc := range k.Contacts {
		if kc.Answers > 0 {
			n++
		}
	}
	return fmt.Sprintf("；第 %d 轮征求意见所发为第 %d 稿，已收到 %d 位对象的意见", k.Round, k.Draft.N, n)
}

// Contact returns the contact with the given ID.
func (k *Consultation) Contact(id string) (*Contact, bool) {
	for i := range k.Contacts {
		if k.Contacts[i].ID == id {
			return &k.Contacts[i], true
		}
	}
	return nil, false
}

// CheckContacts checks contacts as typed, each problem named by its row
// (1-based) and field ("name", "org", "email"), in Chinese; nil if none.
// The form puts each beside its field; Consult refuses the first.
func CheckContacts(in []ContactInput) []ContactProblem {
	var out []ContactProblem
	add := func(i int, field, format string, args ...any) {
		out = append(out, ContactProblem{Row: i + 1, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if len(in) == 0 {
		add(-1, "", "请至少填写一位征求意见对象（姓名和单位）")
	}
	if len(in) > MaxContacts {
		add(-1, "", "征求意见对象 %d 位，一次至多 %d 位", len(in), MaxContacts)
	}
	seen := map[string]int{}
	for i, k := range in {
		for _, f := range []struct {
			field, label, v string
			max             int
		}{{"name", "姓名", k.Name, MaxContactName}, {"org", "单位", k.Org, MaxContactOrg}} {
			switch n := utf8.RuneCountInString(f.v); {
			case !utf8.ValidString(f.v) || strings.ContainsAny(f.v, "\x00\r\n"):
				add(i, f.field, "%s只能是一行文字", f.label)
			case strings.TrimSpace(f.v) == "":
				add(i, f.field, "请填写%s", f.label)
			case n > f.max:
				add(i, f.field, "%s过长（%d 字，上限 %d 字）", f.label, n, f.max)
			}
		}
		if k.Email != "" {
			a, err := mail.ParseAddress(k.Email)
			switch {
			case len(k.Email) > MaxContactEmail:
				add(i, "email", "电子邮箱过长（上限 %d 个字符）", MaxContactEmail)
			case err != nil || a.Address != k.Email || a.Name != "":
				add(i, "email", "电子邮箱「%s」格式不对（例如 name@example.gov.cn）；不知道可以不填", k.Email)
			}
		}
		key := k.Name + "\x00" + k.Org
		if j, ok := seen[key]; ok {
			add(i, "name", "与第 %d 位重复（同一单位的同一人只需一个链接）", j+1)
		}
		seen[key] = i
	}
	return out
}

// ContactProblem is one thing wrong with the contacts typed. Row 0 is the
// list as a whole.
type ContactProblem struct {
	Row   int
	Field string
	Msg   string
}

func (p ContactProblem) String() string {
	if p.Row <= 0 {
		return p.Msg
	}
	return fmt.Sprintf("第 %d 位：%s", p.Row, p.Msg)
}

// Consult sends the report's current draft for comments (征求意见) to
// contacts, each with a link valid for days (0: ConsultDays; at most
// MaxConsultDays). sum is the draft the clerk saw: a newer one is a
// Conflict, so what is sent is what the clerk read. Only the clerk, and
// only while the report is being compiled (after 汇总, before 审核签发).
// A round already running ends: its links stop working. round is the
// round the clerk saw (Case.ConsultRound): another is a Conflict, so a
// form posted twice does not end the links it made. The links are
// returned this once; the case keeps only their hashes.
func (s *Service) Consult(ctx context.Context, id Identity, caseID, sum string, round, days int, contacts []ContactInput) (*Case, []ConsultLink, error) {
	const op = "workflow.Consult"
	if err := Allowed(id, nil, ActConsult, nil); err != nil {
		return nil, nil, err
	}
	for i := range contacts {
		contacts[i] = ContactInput{Name: strings.TrimSpace(contacts[i].Name), Org: strings.TrimSpace(contacts[i].Org), Email: strings.TrimSpace(contacts[i].Email)}
	}
	if ps := CheckContacts(contacts); len(ps) > 0 {
		return nil, nil, Errorf(op, Invalid, "%s", ps[0])
	}
	if days == 0 {
		days = ConsultDays
	}
	if days < 1 || days > MaxConsultDays {
		return nil, nil, Errorf(op, Invalid, "链接有效期须为 1–%d 天", MaxConsultDays)
	}
	var links []ConsultLink
	c, err := s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActConsult, nil); err != nil {
			return err
		}
		if !c.HasReport() {
			return Errorf(op, Invalid, "报告尚未汇总，没有可征求意见的稿件")
		}
		if sum != c.Report.Current.Sum {
			return Errorf(op, Conflict, "报告已修改为第 %d 稿，您看到的不是最新稿：请查看最新稿后再征求意见", c.Report.Current.N)
		}
		// A new round ends the links of the one before, so one starts only
		// from the round the clerk saw: the same form posted twice (a
		// page reloaded after sending) must not end the links just shown.
		if seen := c.ConsultRound(); round != seen {
			return Errorf(op, Conflict, "已发出第 %d 轮征求意见（此表单基于第 %d 轮），未再发新一轮：请在案件页查看后再决定", seen, round)
		}
		links = links[:0]
		k := &Consultation{Round: 1, Sent: r.at, By: id.User, ByName: id.label(),
			Expires: r.at.Add(time.Duration(days) * 24 * time.Hour), Draft: c.Report.Current}
		detail := ""
		if old := c.Consult; old != nil {
			k.Round = old.Round + 1
			detail = fmt.Sprintf("；第 %d 轮的链接随之失效", old.Round)
		}
		var names []string
		for i, in := range contacts {
			secret := make([]byte, consultSecret)
			rand.Read(secret) // never fails (crypto/rand, Go 1.24+)
			kc := Contact{ID: fmt.Sprintf("k%d", i+1), Name: in.Name, Org: in.Org, Email: in.Email, Secret: secretHash(secret)}
			k.Contacts = append(k.Contacts, kc)
			links = append(links, ConsultLink{Contact: kc, Token: c.ID + "." + kc.ID + "." + base64.RawURLEncoding.EncodeToString(secret)})
			names = append(names, kc.Label())
		}
		c.Consult = k
		r.add("", ActConsult, fmt.Sprintf("第 %d 轮征求意见：报告第 %d 稿发给 %s，链接有效至 %s%s",
			k.Round, k.Draft.N, strings.Join(names, "、"), k.Expires.In(Zone).Format("2006-01-02 15:04"), detail), k.Draft.Sum)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return c, links, nil
}

// RevokeConsult revokes a contact's link: it stops working at once. Their
// comment, if they gave one, stays.
func (s *Service) RevokeConsult(ctx context.Context, id Identity, caseID, contact string) (*Case, error) {
	const op = "workflow.RevokeConsult"
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActRevokeConsult, nil); err != nil {
			return err
		}
		if c.Consult == nil {
			return Errorf(op, Invalid, "本案件没有征求意见")
		}
		k, ok := c.Consult.Contact(contact)
		if !ok {
			return Errorf(op, Invalid, "本轮征求意见中没有对象 %s", contact)
		}
		if !k.Revoked.IsZero() {
			return nil
		}
		k.Revoked = r.at
		r.add("", ActRevokeConsult, fmt.Sprintf("撤回第 %d 轮征求意见中 %s 的链接", c.Consult.Round, k.Label()), "")
		return nil
	})
}

// ConsultDraft is what a link shows: the draft sent, and the contact's
// own standing. Nothing else of the case.
type ConsultDraft struct {
	Contact Contact
	Expires time.Time
	Draft   Version // title, addressee, hash of the body
	Body    string
	Answer  string // the contact's latest comment, "" if none
	Left    int    // comments the contact may still give
}

// ErrLinkGone marks a consultation link that was good and is no longer:
// expired, revoked, replaced by a new round, or its case published. Its
// Error is NotFound; the pages answer 410 Gone.
var ErrLinkGone = errors.New("consultation link no longer valid")

// badLink is the refusal of a link that is not one: it says the same
// whether the case, the contact or the secret is wrong.
func badLink(op string) error {
	return Errorf(op, NotFound, "链接无效：请核对链接是否完整（从邮件或消息中完整复制），或联系发出链接的区府办经办人")
}

// secretMatches reports whether secret hashes to stored, the hex SHA-256
// a link's record keeps, in constant time; an empty or malformed stored
// hash is compared too (against zeros), so that a wrong case, contact or
// secret take the same time.
func secretMatches(stored string, secret []byte) bool {
	want := make([]byte, sha256.Size)
	if b, err := hex.DecodeString(stored); err == nil && len(b) == sha256.Size {
		want = b
	}
	got := sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(got[:], want) == 1 && stored != ""
}

// consultContact finds the contact a link names and checks it: the
// secret's hash (in constant time), then whether the link still works.
func (s *Service) consultContact(ctx context.Context, op, token string, c *Case) (*Contact, error) {
	_, kid, secret, ok := parseConsultToken(token)
	if !ok || c.Consult == nil {
		return nil, badLink(op)
	}
	k, found := c.Consult.Contact(kid)
	stored := ""
	if found {
		stored = k.Secret
	}
	if !secretMatches(stored, secret) || !found {
		return nil, badLink(op)
	}
	gone := func(format string, args ...any) error {
		return &Error{Op: op, Kind: NotFound, Err: ErrLinkGone, Msg: fmt.Sprintf(format, args...)}
	}
	switch now := s.now(); {
	case !k.Revoked.IsZero():
		return nil, gone("此链接已于 %s 被撤回，不能再查看或提出意见。如需继续，请联系区府办经办人", k.Revoked.In(Zone).Format("2006-01-02 15:04"))
	case c.Stage == Published:
		return nil, gone("报告已正式发布，征求意见已结束")
	case !now.Before(c.Consult.Expires):
		return nil, gone("此链接已于 %s 过期，不能再查看或提出意见。如需延期，请联系区府办经办人重新发送", c.Consult.Expires.In(Zone).Format("2006-01-02 15:04"))
	}
	return k, nil
}

// consultCase reads the case a link names.
func (s *Service) consultCase(ctx context.Context, op, token string) (*Case, error) {
	caseID, _, _, ok := parseConsultToken(token)
	if !ok {
		return nil, badLink(op)
	}
	c, err := s.Store.Case(ctx, caseID)
	if KindOf(err) == NotFound {
		return nil, badLink(op)
	}
	return c, err
}

// ConsultPage is what a link shows: the draft sent (the version, not
// the report as it stands now) and the contact's own latest comment.
// No identity is needed: the link is the proof. A link that is not one
// is NotFound; one that no longer works wraps ErrLinkGone.
func (s *Service) ConsultPage(ctx context.Context, token string) (*ConsultDraft, error) {
	const op = "workflow.ConsultPage"
	c, err := s.consultCase(ctx, op, token)
	if err != nil {
		return nil, err
	}
	k, err := s.consultContact(ctx, op, token, c)
	if err != nil {
		return nil, err
	}
	return s.consultDraft(ctx, c, k)
}

func (s *Service) consultDraft(ctx context.Context, c *Case, k *Contact) (*ConsultDraft, error) {
	d := &ConsultDraft{Contact: *k, Expires: c.Consult.Expires, Draft: c.Consult.Draft, Left: MaxAnswers - k.Answers}
	d.Contact.Secret = ""
	d.Draft.Author, d.Draft.Name, d.Draft.Note = "", "", "" // who in the office wrote it is not theirs to know
	body, err := s.Blobs.Get(ctx, c.Consult.Draft.Hash)
	if err != nil {
		return nil, fmt.Errorf("workflow.ConsultPage: read the draft %s: %w", c.Consult.Draft.Hash, err)
	}
	d.Body = string(body)
	if k.AnswerSeq > 0 {
		e, err := s.Store.Event(ctx, c.ID, "", k.AnswerSeq)
		if err != nil {
			return nil, err
		}
		if e.Comment != nil {
			d.Answer = e.Comment.Text
		}
	}
	return d, nil
}

// AnswerConsult records a contact's comment on the draft sent, as an
// event of the case (ActConsultAnswer, carrying the text). A contact has
// one comment: answering again replaces it (the earlier stays in the
// audit trail), at most MaxAnswers times.
func (s *Service) AnswerConsult(ctx context.Context, token, text string) (*ConsultDraft, error) {
	const op = "workflow.AnswerConsult"
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if err := checkText(op, "意见", text, MaxConsultAnswer); err != nil {
		return nil, err
	}
	if text == "" {
		return nil, Errorf(op, Invalid, "意见不能为空：请填写对稿件的意见；没有意见可填写「无意见」")
	}
	c, err := s.consultCase(ctx, op, token)
	if err != nil {
		return nil, err
	}
	k, err := s.consultContact(ctx, op, token, c)
	if err != nil {
		return nil, err
	}
	kid := k.ID
	who := Identity{User: "consult:" + kid, Name: k.Label()}
	c, err = s.update(ctx, who, c.ID, func(c *Case, r *recorder) error {
		k, err := s.consultContact(ctx, op, token, c)
		if err != nil {
			return err
		}
		if k.Answers >= MaxAnswers {
			return Errorf(op, Invalid, "您已提交 %d 次意见，已达上限；如需补充，请联系区府办经办人", k.Answers)
		}
		what := "提出意见"
		if k.Answers > 0 {
			what = "修改意见（取代此前的意见）"
		}
		k.Answers++
		k.Answered = r.at
		e := r.add("", ActConsultAnswer, fmt.Sprintf("%s对报告第 %d 稿%s，%d 字", k.Label(), c.Consult.Draft.N, what, utf8.RuneCountInString(text)), c.Consult.Draft.Sum)
		e.Comment = &Comment{Author: who.User, Name: who.Name, Text: text, At: r.at}
		k.AnswerSeq = e.Seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	k, _ = c.Consult.Contact(kid)
	return s.consultDraft(ctx, c, k)
}

// ConsultAnswers returns the latest comment of each contact of the
// case's round who gave one, by contact ID: for the office's pages.
func (r *Reading) ConsultAnswers(ctx context.Context) (map[string]Comment, error) {
	c := r.c
	out := map[string]Comment{}
	if c.Consult == nil || !CanRead(r.id, c, "") {
		return out, nil
	}
	for _, k := range c.Consult.Contacts {
		if k.AnswerSeq == 0 {
			continue
		}
		e, err := r.s.Store.Event(ctx, c.ID, "", k.AnswerSeq)
		if err != nil {
			return nil, err
		}
		if e.Comment != nil {
			out[k.ID] = *e.Comment
		}
	}
	return out, nil
}

// parseConsultToken reads a link's token: <case>.<contact>.<secret>.
func parseConsultToken(token string) (caseID, contact string, secret []byte, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || len(token) > 200 {
		return "", "", nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(b) != consultSecret {
		return "", "", nil, false
	}
	return parts[0], parts[1], b, true
}

func secretHash(secret []byte) string {
	h := sha256.Sum256(secret)
	return hex.EncodeToString(h[:])
}

// ConsultRound is the case's latest round of 征求意见, 0 before the first.
func (c *Case) ConsultRound() int {
	if c.Consult == nil {
		return 0
	}
	return c.Consult.Round
}
