package workflow

import (
	"slices"
	"strings"
	"time"
)

// Summary is what a list shows of a case. It is derived from the case and
// written with the case's record, so that lists read summaries — small and
// of bounded size — and never whole cases.
type Summary struct {
	ID     string `json:"id"`
	Stage  Stage  `json:"stage"`
	Number string `json:"number"` // 来文字号
	Title  string `json:"title"`
	Issuer string `json:"issuer"`
	Kind   string `json:"kind,omitempty"` // Opinion.Kind: "" for a 审议意见
	// A 代表建议's or 政协提案's category (Opinion.Category), its
	// proposer's rating of the answer (Feedback.Rating) and which answer
	// the case gives (Record.Redo: 2 for a second): what the statistics
	// count by kind.
	Category string    `json:"category,omitempty"`
	Proposer string    `json:"proposer,omitempty"` // as the published list names them
	Rating   Rating    `json:"rating,omitempty"`
	Redo     int       `json:"redo,omitempty"`
	Due      time.Time `json:"due"` // 办理期限
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	// NextDue is the earliest deadline still open — the case's, or that of
	// a part not yet submitted — and zero once the case is published.
	NextDue  time.Time `json:"nextDue,omitzero"`
	Parts    []PartDue `json:"parts,omitempty"`
	Depts    []string  `json:"depts,omitempty"`    // leading or co-handling a part
	Step     string    `json:"step,omitempty"`     // the sign-off step waiting
	Awaiting []string  `json:"awaiting,omitempty"` // its signers still to approve
	Doc      string    `json:"doc,omitempty"`      // 发文字号, once numbered
	Date     time.Time `json:"date,omitzero"`      // 成文日期, once numbered
	Heading  string    `json:"heading,omitempty"`  // the report's title, once compiled
	Draft    int       `json:"draft,omitempty"`    // the report's version
	Signers  []string  `json:"signers,omitempty"`  // of the sign-off chain
	Files    []string  `json:"files,omitempty"`    // the published files' names
	Source   string    `json:"source,omitempty"`   // the inbox key it came in by, if any
	// Openness is the 公开属性 once numbered ("" before, and for
	// publications from before it was kept: 主动公开).
	Openness  Openness `json:"openness,omitempty"`
	Revises   string   `json:"revises,omitempty"`   // the case whose opinion this one revises
	RevisedBy string   `json:"revisedBy,omitempty"` // the case that revises this one: 已被修订
}

// Public reports whether the public may see the case: published, and
// 主动公开.
func (s *Summary) Public() bool {
	return s.Stage == Published && (s.Openness == "" || s.Openness == Proactive)
}

// PartDue is a part of the outline as a list shows it.
type PartDue struct {
	ID    string    `json:"id"`
	Level int       `json:"level"`
	Lead  string    `json:"lead"`
	Due   time.Time `json:"due"`
	// State is the part's state, except that while the case is in
	// drafting an accepted part shows as submitted: lists need only tell
	// the parts still with their departments from those that are not, and
	// so accepting a part writes its section alone, not the case's record
	// that carries the summary (on DynamoDB, a third of the accept's cost).
	// The part's section has the true state.
	State SectionState `json:"state"`
}

// Summary returns the case as lists show it.
func (c *Case) Summary() Summary {
	s := Summary{ID: c.ID, Stage: c.Stage, Number: c.Opinion.Number, Title: c.Opinion.Title, Issuer: c.Opinion.Issuer, Kind: c.Opinion.Kind,
		Due: c.Opinion.Due, Created: c.Created, Updated: c.Updated, Depts: c.Depts()}
	for _, sec := range c.Sections {
		state := sec.State
		if state == Accepted && c.Stage == Drafting {
			state = Submitted // see PartDue.State
		}
		s.Parts = append(s.Parts, PartDue{ID: sec.ID, Level: sec.Level, Lead: sec.Lead, Due: sec.Due, State: state})
	}
	if c.Stage != Published {
		s.NextDue = c.Opinion.Due
		for _, p := range s.Parts {
			if (p.State == Planned || p.State.Writable()) && p.Due.Before(s.NextDue) {
				s.NextDue = p.Due
			}
		}
	}
	if c.Stage == Signing && c.Report != nil {
		if i := c.CurrentStep(); i < len(c.Chain) {
			s.Step, s.Awaiting = c.Chain[i].Name, c.Chain[i].Pending(c.Report.Current.Sum)
		}
	}
	if p := c.Publication; p != nil && p.Seq > 0 {
		s.Doc, s.Date, s.Openness = p.Number(), p.Date, p.Openness
	}
	s.Revises, s.RevisedBy = c.Revises, c.RevisedBy
	s.Category, s.Proposer, s.Redo = c.Opinion.Category, c.Opinion.Proposer, c.Redo
	if c.Feedback != nil {
		s.Rating = c.Feedback.Rating
	}
	if c.Report != nil {
		s.Heading, s.Draft = c.Report.Current.Heading, c.Report.Current.N
	}
	for _, st := range c.Chain {
		for _, u := range st.Signers {
			if !slices.Contains(s.Signers, u) {
				s.Signers = append(s.Signers, u)
			}
		}
	}
	if c.Stage == Published && c.Publication != nil {
		for _, f := range c.Publication.Files {
			s.Files = append(s.Files, f.Name)
		}
	}
	s.Source = c.Source.Key
	return s
}

// Year is the year a case belongs to in lists: the year of its 成文日期
// once numbered, else the year it was opened, in Zone.
func (s *Summary) Year() int {
	if !s.Date.IsZero() {
		return s.Date.In(Zone).Year()
	}
	return s.Created.In(Zone).Year()
}

// Overdue counts the parts past their deadline on day today and not yet
// submitted.
func (s *Summary) Overdue(today time.Time) int {
	n := 0
	for _, p := range s.Parts {
		if p.State.Writable() && daysBetween(today, p.Due) < 0 {
			n++
		}
	}
	return n
}

// SearchText is what a search of the embedded store finds the case by:
// the opinion's number, title, issuer and text, the report's title and
// the document number.
func (c *Case) SearchText() string {
	var b strings.Builder
	o := &c.Opinion
	sum := c.Summary()
	for _, s := range []string{o.Number, o.Title, o.Issuer, o.Session, o.Preamble, sum.Heading, sum.Doc} {
		b.WriteString(s)
		b.WriteString("\n")
	}
	for _, it := range o.Items {
		b.WriteString(it.Text)
		b.WriteString("\n")
	}
	b.WriteString(o.Closing)
	return b.String()
}
