package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// 延期申请: a lead department asks for a later due date, with its reason;
// the office grants it (the section's due date moves) or refuses it,
// with a note. The latest request is kept in the section's record
// (Section.Extension), so one request is open at a time and the record
// does not grow; every request and decision is an event.

// ExtensionState is where a request for more time stands.
type ExtensionState string

const (
	ExtensionPending ExtensionState = "pending" // 待审批
	ExtensionGranted ExtensionState = "granted" // 已同意
	ExtensionRefused ExtensionState = "refused" // 未同意
)

// Label names the state in the UI.
func (e ExtensionState) Label() string {
	return map[ExtensionState]string{ExtensionPending: "待审批", ExtensionGranted: "已同意", ExtensionRefused: "未同意"}[e]
}

// Extension is a request for a later due date and its decision.
type Extension struct {
	State  ExtensionState `json:"state"`
	From   time.Time      `json:"from"`  // the due date when asked
	Until  time.Time      `json:"until"` // the date asked for
	Reason string         `json:"reason"`
	By     string         `json:"by"`
	Name   string         `json:"name"`
	At     time.Time      `json:"at"`
	// The decision, once made.
	DecidedBy string    `json:"decidedBy,omitempty"`
	Decider   string    `json:"decider,omitempty"` // name
	Decided   time.Time `json:"decided,omitzero"`
	Note      string    `json:"note,omitempty"`
}

// MaxExtensionReason bounds a request's reason and a decision's note,
// in characters.
const MaxExtensionReason = 500

// Form fields the errors of a request belong beside.
const (
	ExtensionFieldUntil  = "until"
	ExtensionFieldReason = "reason"
)

// CheckExtension validates a request as a form sends it, against the
// section's due date, the opinion's deadline and today, and returns the
// field at fault with the error.
func CheckExtension(c *Case, sec *Section, until time.Time, reason string, today time.Time) (string, error) {
	const op = "workflow.RequestExtension"
	reason = strings.TrimSpace(reason)
	switch {
	case until.IsZero():
		return ExtensionFieldUntil, Errorf(op, Invalid, "请填写申请延期至的日期")
	case daysBetween(sec.Due, until) <= 0:
		return ExtensionFieldUntil, Errorf(op, Invalid, "延期至 %s 不晚于现在的部门办理期限 %s，无需申请", DateCN(until), DateCN(sec.Due))
	case daysBetween(today, until) < 0:
		return ExtensionFieldUntil, Errorf(op, Invalid, "延期至 %s 已过（今天是 %s）", DateCN(until), DateCN(today))
	case daysBetween(until, c.Opinion.Due) < 0:
		return ExtensionFieldUntil, Errorf(op, Invalid, "延期至 %s 晚于来文办理期限 %s；请选择不晚于该日期的日期，或与区府办联系", DateCN(until), DateCN(c.Opinion.Due))
	case reason == "":
		return ExtensionFieldReason, Errorf(op, Invalid, "请说明申请延期的理由（%d 字以内）", MaxExtensionReason)
	}
	if err := checkText(op, "延期理由", reason, MaxExtensionReason); err != nil {
		return ExtensionFieldReason, err
	}
	return "", nil
}

// RequestExtension is the lead department asking for a later due date
// for its section (延期申请), with its reason. A request still pending is
// replaced.
func (s *Service) RequestExtension(ctx context.Context, id Identity, caseID, secID string, until time.Time, reason string) (*Case, error) {
	reason = strings.TrimSpace(reason)
	if err := checkText("workflow.RequestExtension", "延期理由", reason, MaxExtensionReason); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, ActExtend, func(c *Case, sec *Section, r *recorder) error {
		if _, err := CheckExtension(c, sec, until, reason, r.at); err != nil {
			return err
		}
		ext := Extension{State: ExtensionPending, From: sec.Due, Until: until, Reason: reason, By: id.User, Name: id.label(), At: r.at}
		sec.Extension = &ext
		e := r.add(secID, ActExtend, fmt.Sprintf("%s 申请延期：部门办理期限由 %s 延至 %s，理由：%s", c.SectionName(secID), DateCN(sec.Due), DateCN(until), reason), "")
		e.Extension = &ext
		return nil
	})
}

// DecideExtension is the office granting or refusing the pending request
// for more time. A grant moves the section's due date to the date asked
// for; a refusal needs a note saying why.
func (s *Service) DecideExtension(ctx context.Context, id Identity, caseID, secID string, grant bool, note string) (*Case, error) {
	const op = "workflow.DecideExtension"
	note = strings.TrimSpace(note)
	if err := checkText(op, "审批意见", note, MaxExtensionReason); err != nil {
		return nil, err
	}
	if !grant && note == "" {
		return nil, Errorf(op, Invalid, "不同意延期时须填写理由")
	}
	return s.sectionAction(ctx, id, caseID, secID, ActDecideExtension, func(c *Case, sec *Section, r *recorder) error {
		ext := sec.Extension
		if ext == nil || ext.State != ExtensionPending {
			return Errorf(op, Invalid, "本部分没有待审批的延期申请")
		}
		d := *ext
		d.DecidedBy, d.Decider, d.Decided, d.Note = id.User, id.label(), r.at, note
		what := "不同意"
		if grant {
			if daysBetween(d.Until, c.Opinion.Due) < 0 {
				return Errorf(op, Invalid, "申请延期至 %s，晚于来文办理期限 %s，不能同意", DateCN(d.Until), DateCN(c.Opinion.Due))
			}
			d.State, what = ExtensionGranted, "同意"
			sec.Due = d.Until
			// The reminder rules start afresh for the new date.
			sec.Alerts = nil
		} else {
			d.State = ExtensionRefused
		}
		sec.Extension = &d
		detail := fmt.Sprintf("%s%s延期至 %s", what, c.SectionName(secID), DateCN(d.Until))
		if note != "" {
			detail += "：" + note
		}
		r.add(secID, ActDecideExtension, detail, "").Extension = &d
		return nil
	})
}
