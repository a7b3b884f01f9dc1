package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// 分办: a lead department that thinks a part is not its business asks the
// office to give it to another (ActDecline, with the reason), and the
// office gives the part to another department (ActReassign) — at the
// department's request or on its own — or keeps it where it is
// (ActKeepLead, with its answer). The section keeps the latest request
// (Section.Decline); the events keep every one. A part is reassigned only
// while nobody has submitted it.

// MaxDeclineReason bounds a request's reason and the office's answer.
const MaxDeclineReason = 500

// Decline is a lead department's request to give its part to another, and
// what the office did with it.
type Decline struct {
	Reason  string    `json:"reason"`
	By      string    `json:"by"`
	Name    string    `json:"name"`
	Dept    string    `json:"dept"`
	At      time.Time `json:"at"`
	Decided time.Time `json:"decided,omitzero"`
	Outcome string    `json:"outcome,omitempty"` // "" pending; reassigned; kept
	Note    string    `json:"note,omitempty"`    // the office's answer
}

// Pending reports whether the office has still to decide the request.
func (d *Decline) Pending() bool { return d != nil && d.Outcome == "" }

// DeclinePart records the lead department's request to give a part to
// another department, with its reason.
func (s *Service) DeclinePart(ctx context.Context, id Identity, caseID, secID, reason string) (*Case, error) {
	const op = "workflow.DeclinePart"
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Errorf(op, Invalid, "请写明理由：为何本部分不属于本部门职责，宜由哪个部门主办")
	}
	if err := checkText(op, "理由", reason, MaxDeclineReason); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, ActDecline, func(c *Case, sec *Section, r *recorder) error {
		if sec.Decline.Pending() {
			return Errorf(op, Invalid, "已于 %s 申请调整主办部门，区府办尚未处理", DateCN(sec.Decline.At))
		}
		sec.Decline = &Decline{Reason: reason, By: id.User, Name: id.label(), Dept: id.Dept, At: r.at}
		r.add(secID, ActDecline, fmt.Sprintf("%s %s申请调整主办部门：%s", c.SectionName(secID), id.Dept, reason), "")
		return nil
	})
}

// Reassign gives a part to another lead department (分办), with the
// office's note; co-handlers stay, less the new lead. A pending request
// is answered by it.
func (s *Service) Reassign(ctx context.Context, id Identity, caseID, secID, lead, note string) (*Case, error) {
	const op = "workflow.Reassign"
	note = strings.TrimSpace(note)
	if err := checkText(op, "说明", note, MaxDeclineReason); err != nil {
		return nil, err
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	if !o.Profile.knows(lead) {
		return nil, Errorf(op, Invalid, "请选择本单位设置中的部门作为新的主办部门")
	}
	return s.sectionAction(ctx, id, caseID, secID, ActReassign, func(c *Case, sec *Section, r *recorder) error {
		if sec.Lead == lead {
			return Errorf(op, Invalid, "本部分已由%s主办", lead)
		}
		was := sec.Lead
		sec.Lead = lead
		sec.Co = slices.DeleteFunc(sec.Co, func(d string) bool { return d == lead })
		sec.Rev++
		if d := sec.Decline; d.Pending() {
			d.Outcome, d.Note, d.Decided = "reassigned", note, r.at
		}
		detail := fmt.Sprintf("%s 主办部门由%s调整为%s", c.SectionName(secID), was, lead)
		if note != "" {
			detail += "：" + note
		}
		r.add(secID, ActReassign, detail, "")
		return nil
	})
}

// KeepLead answers a pending request by keeping the part with its lead
// department; the note, which says why, is required.
func (s *Service) KeepLead(ctx context.Context, id Identity, caseID, secID, note string) (*Case, error) {
	const op = "workflow.KeepLead"
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, Errorf(op, Invalid, "请写明维持原主办部门的理由")
	}
	if err := checkText(op, "说明", note, MaxDeclineReason); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, ActKeepLead, func(c *Case, sec *Section, r *recorder) error {
		d := sec.Decline
		if !d.Pending() {
			return Errorf(op, Invalid, "本部分没有待处理的调整申请")
		}
		d.Outcome, d.Note, d.Decided = "kept", note, r.at
		r.add(secID, ActKeepLead, fmt.Sprintf("%s 维持%s主办：%s", c.SectionName(secID), sec.Lead, note), "")
		return nil
	})
}
