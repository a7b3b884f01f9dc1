package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Outcome is the result of the item a section answers (办理结果), as the
// 建议提案办理 practice records it.
type Outcome string

const (
	OutcomeDone      Outcome = "done"       // 已完成 (已解决)
	OutcomeOngoing   Outcome = "ongoing"    // 推进中 (正在解决)
	OutcomePlanned   Outcome = "planned"    // 列入计划: with its timetable
	OutcomeNotViable Outcome = "not-viable" // 暂不具备条件: with the reason
)

// Outcomes lists every outcome, in the order forms offer them.
var Outcomes = []Outcome{OutcomeDone, OutcomeOngoing, OutcomePlanned, OutcomeNotViable}

// Label names the outcome in the UI and the ledger.
func (o Outcome) Label() string {
	return map[Outcome]string{OutcomeDone: "已完成", OutcomeOngoing: "推进中", OutcomePlanned: "列入计划", OutcomeNotViable: "暂不具备条件"}[o]
}

// Finished reports whether the item needs no more following up.
func (o Outcome) Finished() bool { return o == OutcomeDone }

// ParseOutcome reads an outcome by its code or its label.
func ParseOutcome(s string) (Outcome, error) {
	s = strings.TrimSpace(s)
	for _, o := range Outcomes {
		if s == string(o) || s == o.Label() {
			return o, nil
		}
	}
	return "", Errorf("workflow.ParseOutcome", Invalid, "请选择办理结果（已完成、推进中、列入计划、暂不具备条件）")
}

// MaxResultText bounds a result's text (its timetable, reason or note),
// in characters.
const MaxResultText = 500

// Result is what a section records of its item's outcome. Text is the
// timetable for 列入计划 and the reason for 暂不具备条件 (both required),
// a note otherwise.
type Result struct {
	Outcome Outcome   `json:"outcome"`
	Text    string    `json:"text,omitempty"`
	By      string    `json:"by"`
	Name    string    `json:"name"`
	Dept    string    `json:"dept,omitempty"` // the department that set it; "" the office
	At      time.Time `json:"at"`
}

// ResultField is the form field an error about a result belongs beside.
const (
	ResultFieldOutcome = "outcome"
	ResultFieldText    = "result_text"
)

// CheckResult validates an outcome and its text as a form sends them and
// returns the field at fault with the error.
func CheckResult(outcome Outcome, text string) (string, error) {
	const op = "workflow.SetResult"
	text = strings.TrimSpace(text)
	ok := false
	for _, o := range Outcomes {
		ok = ok || o == outcome
	}
	if !ok {
		return ResultFieldOutcome, Errorf(op, Invalid, "请选择办理结果（已完成、推进中、列入计划、暂不具备条件）")
	}
	if err := checkText(op, "办理结果说明", text, MaxResultText); err != nil {
		return ResultFieldText, err
	}
	switch {
	case outcome == OutcomePlanned && text == "":
		return ResultFieldText, Errorf(op, Invalid, "选择“列入计划”时须填写计划安排（何时、做什么，%d 字以内）", MaxResultText)
	case outcome == OutcomeNotViable && text == "":
		return ResultFieldText, Errorf(op, Invalid, "选择“暂不具备条件”时须说明原因（%d 字以内）", MaxResultText)
	}
	return "", nil
}

// SetResult records the outcome of a section's item by its lead
// department while drafting, with or before its submission (ActResult).
// It changes neither the section's text nor its state, so it leaves the
// revision alone; the events keep every result ever recorded.
func (s *Service) SetResult(ctx context.Context, id Identity, caseID, secID string, outcome Outcome, text string) (*Case, error) {
	return s.setResult(ctx, id, ActResult, caseID, secID, outcome, text)
}

// FollowUp records the outcome of a section's item by the office, at any
// stage after dispatch — after publication too, to follow up the items
// not finished (跟踪督办, ActFollowUp).
func (s *Service) FollowUp(ctx context.Context, id Identity, caseID, secID string, outcome Outcome, text string) (*Case, error) {
	return s.setResult(ctx, id, ActFollowUp, caseID, secID, outcome, text)
}

func (s *Service) setResult(ctx context.Context, id Identity, a Action, caseID, secID string, outcome Outcome, text string) (*Case, error) {
	text = strings.TrimSpace(text)
	if _, err := CheckResult(outcome, text); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, a, func(c *Case, sec *Section, r *recorder) error {
		if old := sec.Result; old != nil && old.Outcome == outcome && old.Text == text {
			return nil // nothing changed
		}
		res := Result{Outcome: outcome, Text: text, By: id.User, Name: id.label(), At: r.at}
		if a == ActResult {
			res.Dept = id.Dept
		}
		sec.Result = &res
		detail := fmt.Sprintf("%s 办理结果：%s", c.SectionName(secID), outcome.Label())
		if text != "" {
			detail += "（" + text + "）"
		}
		r.add(secID, a, detail, "").Result = &res
		return nil
	})
}
