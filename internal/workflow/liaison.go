package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// 沟通: before answering a 代表建议 or 政协提案, the lead department talks
// it over with the deputy or member who proposed it (by telephone, in a
// meeting, on a visit, …) and records when, how and what was said. A kind
// whose LiaiseFirst is set refuses the lead department's submission
// until one is recorded.

// Ways of contact, as offices record them.
var LiaisonWays = []string{"电话", "面谈", "走访", "座谈", "书面", "网络"}

// MaxLiaisonText bounds what a contact's record says, in characters.
const MaxLiaisonText = 500

// Liaison is one contact with the proposer, as the lead department
// recorded it. The section keeps the latest and how many there were; the
// events keep every one.
type Liaison struct {
	Date time.Time `json:"date"` // when it took place (a day)
	Way  string    `json:"way"`  // one of LiaisonWays
	Text string    `json:"text"`
	By   string    `json:"by"`
	Name string    `json:"name"`
	At   time.Time `json:"at"` // when it was recorded
}

// Liaison field names, for errors beside their fields.
const (
	LiaisonFieldDate = "liaison_date"
	LiaisonFieldWay  = "liaison_way"
	LiaisonFieldText = "liaison_text"
)

// CheckLiaison validates a contact as a form sends it, against today,
// and returns the field at fault with the error.
func CheckLiaison(date time.Time, way, text string, today time.Time) (string, error) {
	const op = "workflow.RecordLiaison"
	switch {
	case date.IsZero():
		return LiaisonFieldDate, Errorf(op, Invalid, "请填写沟通日期")
	case daysBetween(today, date) > 0:
		return LiaisonFieldDate, Errorf(op, Invalid, "沟通日期 %s 在今天之后", DateCN(date))
	case !slices.Contains(LiaisonWays, way):
		return LiaisonFieldWay, Errorf(op, Invalid, "请选择沟通方式（%s）", strings.Join(LiaisonWays, "、"))
	case strings.TrimSpace(text) == "":
		return LiaisonFieldText, Errorf(op, Invalid, "请填写沟通情况（%d 字以内）", MaxLiaisonText)
	}
	if err := checkText(op, "沟通情况", strings.TrimSpace(text), MaxLiaisonText); err != nil {
		return LiaisonFieldText, err
	}
	return "", nil
}

// RecordLiaison records the lead department's contact with the proposer
// of a case's item (ActLiaise), while it drafts its answer. It leaves
// the section's text, state and revision alone.
func (s *Service) RecordLiaison(ctx context.Context, id Identity, caseID, secID string, date time.Time, way, text string) (*Case, error) {
	text = strings.TrimSpace(text)
	if _, err := CheckLiaison(date, way, text, s.now()); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, ActLiaise, func(c *Case, sec *Section, r *recorder) error {
		ct := Liaison{Date: date, Way: way, Text: text, By: id.User, Name: id.label(), At: r.at}
		sec.Liaison, sec.Liaisons = &ct, sec.Liaisons+1
		who := c.Opinion.Proposer
		if who == "" {
			who = "提出人"
		}
		r.add(secID, ActLiaise, fmt.Sprintf("%s 与%s%s沟通（%s）：%s", c.SectionName(secID), who, way, DateCN(date), text), "").Liaison = &ct
		return nil
	})
}
