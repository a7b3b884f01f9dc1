package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// 满意度: once a 代表建议 or 政协提案 is answered (published), the office
// sends the deputy or member a link that needs no account, on which they
// say whether they are 满意, 基本满意 or 不满意 with the answer, and why.
// 不满意 opens a second case for a second answer (重新办理): the same
// proposal, handed back to the same departments at once with the
// proposer's comment, due a month later; it takes over the proposal's
// registration, and the first case, its answer published and unchanged,
// points to it. A proposal is answered at most MaxRounds times.
//
// Like a 征求意见 link, the link is <case ID>.fb.<secret>; the record
// keeps the SHA-256 of the secret (Record.Feedback), never the link.

// Rating is a proposer's view of the answer.
type Rating string

const (
	Satisfied   Rating = "satisfied"   // 满意
	Basic       Rating = "basic"       // 基本满意
	Unsatisfied Rating = "unsatisfied" // 不满意
)

// Ratings lists the ratings in the order the form offers them.
var Ratings = []Rating{Satisfied, Basic, Unsatisfied}

// Label names the rating in the UI and the ledger.
func (r Rating) Label() string {
	return map[Rating]string{Satisfied: "满意", Basic: "基本满意", Unsatisfied: "不满意"}[r]
}

// Limits of 满意度 and of answering again.
const (
	FeedbackDays       = 60   // a link's life
	MaxFeedbackComment = 1000 // characters
	MaxRounds          = 2    // answers to one proposal: the first, and one after 不满意
	RedoMonths         = 1    // the second answer's time
)

// Actions of 满意度. ActFeedback is taken by the proposer holding a link,
// not by an account, so Rules does not list it; nor ActRedo, which it
// causes.
const (
	ActAskFeedback Action = "ask-feedback" // the office makes the link
	ActFeedback    Action = "feedback"     // the proposer rates the answer
	ActRedo        Action = "redo"         // a second answer is opened after 不满意
)

// Feedback is where a case's 满意度 stands: the latest link and, once
// given, the rating. Round is the case's answer (1, or 2 for a case
// opened by 不满意); Redo the case opened for the next answer.
type Feedback struct {
	Round    int       `json:"round"`
	Sent     time.Time `json:"sent"`
	By       string    `json:"by"`
	Expires  time.Time `json:"expires"`
	Secret   string    `json:"secret"` // hex SHA-256 of the link's secret
	Rating   Rating    `json:"rating,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	Answered time.Time `json:"answered,omitzero"`
	Redo     string    `json:"redo,omitempty"`
}

// Round is which answer to its proposal the case gives: 1, or 2 for a
// case opened after 不满意 (Record.Again names the first).
func (c *Case) Round() int {
	if c.Redo > 0 {
		return c.Redo
	}
	return 1
}

// AskFeedback makes the link on which the proposer of a published 代表建议
// or 政协提案 rates its answer, for the office to send (it is shown this
// once). A new link replaces one not yet used; a rating given is final.
func (s *Service) AskFeedback(ctx context.Context, id Identity, caseID string) (*Case, string, error) {
	const op = "workflow.AskFeedback"
	var token string
	c, err := s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActAskFeedback, nil); err != nil {
			return err
		}
		switch f := c.Feedback; {
		case c.Opinion.Kind == "":
			return Errorf(op, Invalid, "审议意见不做满意度测评：只有代表建议、政协提案等可以")
		case f != nil && f.Rating != "":
			return Errorf(op, Invalid, "%s已于 %s 评价为“%s”，不能再发测评链接", c.Opinion.Proposer, DateCN(f.Answered), f.Rating.Label())
		}
		secret := make([]byte, consultSecret)
		rand.Read(secret) // never fails (crypto/rand, Go 1.24+)
		f := &Feedback{Round: c.Round(), Sent: r.at, By: id.User, Expires: r.at.AddDate(0, 0, FeedbackDays), Secret: secretHash(secret)}
		detail := fmt.Sprintf("发出满意度测评链接（第 %d 次答复），有效至 %s", f.Round, DateCN(f.Expires))
		if c.Feedback != nil {
			detail += "；此前的链接随之失效"
		}
		c.Feedback = f
		token = c.ID + ".fb." + base64.RawURLEncoding.EncodeToString(secret)
		r.add("", ActAskFeedback, detail, "")
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return c, token, nil
}

// FeedbackCase reads the case a link names and checks the link: what the
// proposer's page shows. A link that is not one is NotFound; one expired
// or replaced wraps ErrLinkGone.
func (s *Service) FeedbackCase(ctx context.Context, token string) (*Case, error) {
	const op = "workflow.FeedbackCase"
	caseID, secret, ok := parseFeedbackToken(token)
	if !ok {
		return nil, badLink(op)
	}
	c, err := s.Store.Case(ctx, caseID)
	if KindOf(err) == NotFound {
		return nil, badLink(op)
	}
	if err != nil {
		return nil, err
	}
	if err := s.feedbackLink(op, c, secret); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) feedbackLink(op string, c *Case, secret []byte) error {
	stored := ""
	if c.Feedback != nil {
		stored = c.Feedback.Secret
	}
	if !secretMatches(stored, secret) || c.Feedback == nil {
		return badLink(op)
	}
	if !s.now().Before(c.Feedback.Expires) && c.Feedback.Rating == "" {
		return &Error{Op: op, Kind: NotFound, Err: ErrLinkGone, Msg: fmt.Sprintf("此链接已于 %s 过期。如需评价，请联系答复单位或区府办", DateCN(c.Feedback.Expires))}
	}
	return nil
}

// GiveFeedback records the proposer's rating of the answer, once. 不满意
// needs the reason, and opens the second answer (see the package comment
// above) in the same transaction, unless this was already the last.
func (s *Service) GiveFeedback(ctx context.Context, token string, rating Rating, comment string) (*Case, error) {
	const op = "workflow.GiveFeedback"
	comment = strings.TrimSpace(strings.ReplaceAll(comment, "\r\n", "\n"))
	if rating.Label() == "" {
		return nil, Errorf(op, Invalid, "请选择满意、基本满意或不满意")
	}
	if err := checkText(op, "意见", comment, MaxFeedbackComment); err != nil {
		return nil, err
	}
	if rating == Unsatisfied && comment == "" {
		return nil, Errorf(op, Invalid, "选择“不满意”时请写明原因，以便重新办理")
	}
	old, err := s.FeedbackCase(ctx, token)
	if err != nil {
		return nil, err
	}
	_, secret, _ := parseFeedbackToken(token)
	who := Identity{User: "feedback:" + old.ID, Name: old.Opinion.Proposer}
	for try := 1; ; try++ {
		c, err := s.Store.Case(ctx, old.ID)
		if err != nil {
			return nil, err
		}
		if err := s.feedbackLink(op, c, secret); err != nil {
			return nil, err
		}
		if f := c.Feedback; f.Rating != "" {
			return nil, Errorf(op, Invalid, "您已于 %s 评价为“%s”，不能更改", DateCN(f.Answered), f.Rating.Label())
		}
		now := s.now()
		before := snap(c)
		r := &recorder{id: who, at: now, c: c, signer: s.Signer}
		c.Feedback.Rating, c.Feedback.Comment, c.Feedback.Answered = rating, comment, now
		detail := fmt.Sprintf("%s评价第 %d 次答复：%s", c.Opinion.Proposer, c.Round(), rating.Label())
		if comment != "" {
			detail += "。意见：" + comment
		}
		var redo *Case
		if rating == Unsatisfied && c.Round() < MaxRounds {
			redo = c.redo(now)
			c.Feedback.Redo = redo.ID
			detail += fmt.Sprintf("。已重新办理：案件 %s", redo.ID)
		}
		r.add("", ActFeedback, detail, "").Comment = &Comment{Author: who.User, Name: who.Name, Text: comment, At: now}
		ch, err := r.change(ctx, before, false)
		if err != nil {
			return nil, err
		}
		// The office and the departments are told of the rating, and
		// those of a second answer of their work, by messages written
		// with the change (Service.outbox).
		if ch.Outbox, err = s.outbox(ctx, c, ch.Events, now); err != nil {
			return nil, err
		}
		if redo != nil {
			rr := &recorder{id: who, at: now, c: redo, signer: s.Signer}
			rr.add("", ActRedo, fmt.Sprintf("%s对案件 %s 的答复不满意，重新办理：%s", c.Opinion.Proposer, c.ID, comment), "")
			rr.claims = []Claim{{Key: c.Opinion.Key(), From: c.ID, To: redo.ID}}
			nch, err := rr.change(ctx, snapshot{}, true)
			if err != nil {
				return nil, err
			}
			if nch.Outbox, err = s.outbox(ctx, redo, nch.Events, now); err != nil {
				return nil, err
			}
			nch.Also = ch
			ch = nch
		}
		err = s.Store.Commit(ctx, ch)
		if err == nil {
			return c, nil
		}
		if KindOf(err) != Conflict || try >= saveTries {
			return nil, err
		}
		if err := pause(ctx, try); err != nil {
			return nil, err
		}
	}
}

// redo is the case a second answer is written in: the proposal again,
// its parts handed back to the same departments at once, open, with the
// proposer's reason as the return comment, due RedoMonths from now.
func (c *Case) redo(now time.Time) *Case {
	sum := sha256.Sum256([]byte(c.ID + "#redo"))
	due := now.In(Zone).AddDate(0, RedoMonths, 0)
	due = Day(due.Year(), due.Month(), due.Day())
	n := &Case{Record: Record{ID: "c" + hex.EncodeToString(sum[:])[:12], Stage: Drafting, Source: c.Source, Created: now, Updated: now,
		Again: c.ID, Redo: c.Round() + 1}, Opinion: c.Opinion.Clone()}
	n.Opinion.Due = due
	n.Opinion.DueRule = fmt.Sprintf("%s不满意，自 %s 起 %d 个月内重新答复", c.Opinion.Proposer, DateCN(now), RedoMonths)
	back := &Comment{Author: "feedback:" + c.ID, Name: c.Opinion.Proposer, Text: c.Feedback.Comment, At: now}
	for _, sec := range c.Sections {
		n.Sections = append(n.Sections, Section{ID: sec.ID, Item: sec.Item, Level: sec.Level, Lead: sec.Lead, Co: append([]string(nil), sec.Co...),
			Due: due, State: Returned, Returned: back})
	}
	return n
}

// parseFeedbackToken reads a link's token: <case>.fb.<secret>.
func parseFeedbackToken(token string) (caseID string, secret []byte, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] != "fb" || len(token) > 200 {
		return "", nil, false
	}
	secret, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(secret) != consultSecret {
		return "", nil, false
	}
	return parts[0], secret, true
}
