package workflow

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// A case written by docflow 1 was one record holding its whole history:
// every version, input, comment, reminder and approval. v1Case reads it.
type v1Case struct {
	ID          string       `json:"id"`
	Version     int          `json:"version"`
	Stage       Stage        `json:"stage"`
	Opinion     Opinion      `json:"opinion"`
	Source      Source       `json:"source"`
	Created     time.Time    `json:"created"`
	Updated     time.Time    `json:"updated"`
	Sections    []v1Section  `json:"sections"`
	Report      *v1Report    `json:"report"`
	Chain       []v1Step     `json:"chain"`
	Returns     []Comment    `json:"returns"`
	Publication *Publication `json:"publication"`
	Events      int          `json:"events"`
	LastEvent   string       `json:"lastEvent"`
}

type v1Section struct {
	ID        string       `json:"id"`
	Item      string       `json:"item"`
	Level     int          `json:"level"`
	Lead      string       `json:"lead"`
	Co        []string     `json:"co"`
	Due       time.Time    `json:"due"`
	State     SectionState `json:"state"`
	Rev       int          `json:"rev"`
	Versions  []Version    `json:"versions"`
	Inputs    []Input      `json:"inputs"`
	Comments  []Comment    `json:"comments"`
	Reminders []Comment    `json:"reminders"`
}

type v1Report struct {
	Rev      int       `json:"rev"`
	Versions []Version `json:"versions"`
}

type v1Step struct {
	Name      string     `json:"name"`
	Signers   []string   `json:"signers"`
	Approvals []Approval `json:"approvals"`
}

// Migrator is the actor of the events an upgrade writes.
var Migrator = Identity{User: "docflow", Name: "系统迁移"}

// UpgradeV1 turns a case record written by docflow 1 into today's records
// and the events that now hold its history. The case's own events of
// docflow 1 stay as they were written (Form 0) and keep verifying; the
// history that lived in the record becomes events of Action "migrated",
// one per version, input, comment, reminder and approval, dated when they
// happened and chained after them. The result depends only on data, so an
// upgrade interrupted and run again writes the same records.
func UpgradeV1(data []byte) (*Case, []Event, error) {
	var old v1Case
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, nil, fmt.Errorf("read docflow 1 case: %w", err)
	}
	c := &Case{Record: Record{ID: old.ID, Stage: old.Stage, Source: old.Source, Created: old.Created, Updated: old.Updated,
		Publication: old.Publication, Head: StreamHead{Seq: old.Events, Hash: old.LastEvent}}, Opinion: old.Opinion}
	r := &recorder{id: Migrator, c: c}
	// Every entry of the old history, in the order it happened.
	type entry struct {
		stream string
		at     time.Time
		add    func(e *Event)
		detail string
		sum    string
	}
	var hist []entry
	for _, s := range old.Sections {
		sec := Section{ID: s.ID, Item: s.Item, Level: s.Level, Lead: s.Lead, Co: s.Co, Due: s.Due, State: s.State, Rev: s.Rev}
		if old.Stage == Assigning {
			sec.State = Planned
		}
		for _, v := range s.Versions {
			hist = append(hist, entry{s.ID, v.At, func(e *Event) { v.Seq = e.Seq; e.Version = &v }, fmt.Sprintf("旧版记录迁移：第 %d 稿（%s 保存）", v.N, v.Name), v.Sum})
		}
		for _, in := range s.Inputs {
			hist = append(hist, entry{s.ID, in.At, func(e *Event) { e.Input = &in }, fmt.Sprintf("旧版记录迁移：%s 的协办意见", in.Dept), in.Hash})
		}
		for _, cm := range s.Comments {
			hist = append(hist, entry{s.ID, cm.At, func(e *Event) { e.Comment = &cm }, "旧版记录迁移：退回意见 " + cm.Text, ""})
		}
		for _, cm := range s.Reminders {
			hist = append(hist, entry{s.ID, cm.At, func(e *Event) { e.Comment = &cm }, "旧版记录迁移：催办 " + cm.Text, ""})
		}
		if n := len(s.Versions); n > 0 {
			sec.Current = s.Versions[n-1]
		}
		for _, in := range s.Inputs {
			if sec.Inputs == nil {
				sec.Inputs = map[string]int{}
			}
			sec.Inputs[in.Dept]++
		}
		if n := len(s.Comments); n > 0 {
			cm := s.Comments[n-1]
			sec.Returned = &cm
		}
		if n := len(s.Reminders); n > 0 {
			cm := s.Reminders[n-1]
			sec.Reminded, sec.Reminds = &cm, n
		}
		c.Sections = append(c.Sections, sec)
	}
	if old.Report != nil {
		c.Report = &Report{Rev: old.Report.Rev}
		for _, v := range old.Report.Versions {
			hist = append(hist, entry{"", v.At, func(e *Event) { v.Seq = e.Seq; e.Version = &v }, fmt.Sprintf("旧版记录迁移：报告第 %d 稿（%s 保存）", v.N, v.Name), v.Sum})
		}
		if n := len(old.Report.Versions); n > 0 {
			c.Report.Current = old.Report.Versions[n-1]
		}
	}
	for _, st := range old.Chain {
		step := Step{Name: st.Name, Signers: st.Signers}
		for _, a := range st.Approvals {
			hist = append(hist, entry{"", a.At, func(e *Event) { e.Approval = &a }, fmt.Sprintf("旧版记录迁移：「%s」环节 %s 签批", st.Name, a.Name), a.Sum})
			step.record(a)
		}
		c.Chain = append(c.Chain, step)
	}
	for _, cm := range old.Returns {
		hist = append(hist, entry{"", cm.At, func(e *Event) { e.Comment = &cm }, fmt.Sprintf("旧版记录迁移：「%s」环节退回 %s", cm.Step, cm.Text), ""})
	}
	if n := len(old.Returns); n > 0 {
		cm := old.Returns[n-1]
		c.Returned = &cm
	}
	slices.SortStableFunc(hist, func(a, b entry) int { return cmp.Compare(a.at.UnixNano(), b.at.UnixNano()) })
	for _, h := range hist {
		r.at = h.at
		e := r.add(h.stream, "migrated", h.detail, h.sum)
		h.add(e)
	}
	// Current versions, and the versions approved, point at the events that
	// now hold them.
	for _, e := range r.evs {
		if e.Version == nil {
			continue
		}
		for i := range c.Chain {
			for j := range c.Chain[i].Approvals {
				if a := &c.Chain[i].Approvals[j]; e.Stream == "" && a.Sum == e.Version.Sum {
					a.N, a.Seq = e.Version.N, e.Seq
				}
			}
		}
		if e.Stream == "" {
			if c.Report.Current.N == e.Version.N {
				c.Report.Current.Seq = e.Seq
			}
		} else if sec, ok := c.Section(e.Stream); ok && sec.Current.N == e.Version.N {
			sec.Current.Seq = e.Seq
		}
	}
	return c, r.seal(), nil
}
