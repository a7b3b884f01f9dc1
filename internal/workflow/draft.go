package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// sectionAction loads a case and runs fn on one of its sections once
// Allowed lets id take action a on it.
func (s *Service) sectionAction(ctx context.Context, id Identity, caseID, secID string, a Action, fn func(c *Case, sec *Section, r *recorder) error) (*Case, error) {
	op := "workflow." + string(a)
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if err := Allowed(id, c, a, sec); err != nil {
			return err
		}
		return fn(c, sec, r)
	})
}

// SaveSection saves a new version of a section's heading and body. rev is
// the section revision the writer started from.
func (s *Service) SaveSection(ctx context.Context, id Identity, caseID, secID string, rev int, heading, body, note string) (*Case, error) {
	const op = "workflow.SaveSection"
	heading = stripNumber(strings.TrimSpace(heading))
	if err := checkLine(op, "标题", heading); err != nil {
		return nil, err
	}
	if err := checkLine(op, "修改说明", note); err != nil {
		return nil, err
	}
	if err := checkBody(op, "正文", body); err != nil {
		return nil, err
	}
	if heading == "" {
		return nil, Errorf(op, Invalid, "标题不能为空")
	}
	hash, err := s.Blobs.Put(ctx, []byte(body))
	if err != nil {
		return nil, fmt.Errorf("%s: store body: %w", op, err)
	}
	sum := versionSum(heading, "", hash)
	return s.sectionAction(ctx, id, caseID, secID, ActSave, func(c *Case, sec *Section, r *recorder) error {
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		if sec.Current.Sum == sum {
			return nil // nothing changed; no new version
		}
		v := Version{N: sec.Current.N + 1, Heading: heading, Hash: hash, Sum: sum, Author: id.User, Name: id.label(), At: r.at, Note: note}
		e := r.add(secID, ActSave, fmt.Sprintf("%s %s 保存第 %d 稿", c.SectionLabel(secID), heading, v.N), sum)
		v.Seq = e.Seq
		e.Version = &v
		sec.Current = v
		sec.Rev++
		return nil
	})
}

// AddInput records a co-handling department's contribution to a section.
// It changes neither the section's text nor its state, so it leaves the
// revision alone: the lead department, editing meanwhile, loses nothing.
func (s *Service) AddInput(ctx context.Context, id Identity, caseID, secID, text string) (*Case, error) {
	const op = "workflow.AddInput"
	if err := checkBody(op, "协办意见", text); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, Errorf(op, Invalid, "协办意见不能为空")
	}
	hash, err := s.Blobs.Put(ctx, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: store input: %w", op, err)
	}
	return s.sectionAction(ctx, id, caseID, secID, ActInput, func(c *Case, sec *Section, r *recorder) error {
		e := r.add(secID, ActInput, fmt.Sprintf("%s 为 %s 提供协办意见", id.Dept, c.SectionLabel(secID)), hash)
		e.Input = &Input{Dept: id.Dept, Author: id.User, Name: id.label(), Hash: hash, At: r.at}
		if sec.Inputs == nil {
			sec.Inputs = map[string]int{}
		}
		sec.Inputs[id.Dept]++
		return nil
	})
}

// SubmitSection is the department head confirming the section and
// submitting it to the office (报送).
func (s *Service) SubmitSection(ctx context.Context, id Identity, caseID, secID string, rev int) (*Case, error) {
	const op = "workflow.SubmitSection"
	return s.sectionAction(ctx, id, caseID, secID, ActSubmit, func(c *Case, sec *Section, r *recorder) error {
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		if sec.Current.N == 0 {
			return Errorf(op, Invalid, "本部分还没有稿件，不能报送")
		}
		if c.Opinion.Kind != "" && sec.Liaisons == 0 {
			o, err := s.office(ctx)
			if err != nil {
				return err
			}
			if k, ok := o.Profile.CaseKind(c.Opinion.Kind); ok && k.LiaiseFirst {
				return Errorf(op, Invalid, "报送答复前，请先登记与%s%s的沟通情况（日期、方式、内容）", k.Proposer, c.Opinion.Proposer)
			}
		}
		sec.State = Submitted
		sec.Submitted = r.at
		sec.Rev++
		r.add(secID, ActSubmit, fmt.Sprintf("%s 负责人确认报送第 %d 稿", c.SectionLabel(secID), sec.Current.N), sec.Current.Sum)
		return nil
	})
}

// AcceptSection is the clerk taking a submitted section into the report.
func (s *Service) AcceptSection(ctx context.Context, id Identity, caseID, secID string, rev int) (*Case, error) {
	const op = "workflow.AcceptSection"
	return s.sectionAction(ctx, id, caseID, secID, ActAccept, func(c *Case, sec *Section, r *recorder) error {
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		sec.State = Accepted
		sec.Rev++
		r.add(secID, ActAccept, fmt.Sprintf("采用 %s 第 %d 稿", c.SectionLabel(secID), sec.Current.N), sec.Current.Sum)
		return nil
	})
}

// ReturnSection sends a section back to its department with a comment (退回).
func (s *Service) ReturnSection(ctx context.Context, id Identity, caseID, secID string, rev int, comment string) (*Case, error) {
	const op = "workflow.ReturnSection"
	if err := needComment(op, comment); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, ActReturn, func(c *Case, sec *Section, r *recorder) error {
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		sec.State = Returned
		sec.Returns++
		sec.Rev++
		cm := Comment{Author: id.User, Name: id.label(), Text: comment, At: r.at}
		sec.Returned = &cm
		e := r.add(secID, ActReturn, fmt.Sprintf("退回 %s：%s", c.SectionLabel(secID), comment), sec.Current.Sum)
		e.Comment = &cm
		return nil
	})
}

// DefaultReminder is the text of a reminder (催办) the clerk sends without
// writing one.
const DefaultReminder = "请抓紧办理，按期报送。"

// Remind records a reminder (催办) to the lead department of a section not
// yet submitted. It changes no text, so it does not move the section's
// revision: a department editing while reminded loses nothing.
func (s *Service) Remind(ctx context.Context, id Identity, caseID, secID, text string) (*Case, error) {
	const op = "workflow.Remind"
	text = strings.TrimSpace(text)
	if text == "" {
		text = DefaultReminder
	}
	if err := checkText(op, "催办内容", text, MaxReminder); err != nil {
		return nil, err
	}
	return s.sectionAction(ctx, id, caseID, secID, ActRemind, func(c *Case, sec *Section, r *recorder) error {
		cm := Comment{Author: id.User, Name: id.label(), Text: text, At: r.at}
		sec.Reminded = &cm
		sec.Reminds++
		late := ""
		if d := daysBetween(r.at, sec.Due); d < 0 {
			late = fmt.Sprintf("（已逾期 %d 天）", -d)
		}
		e := r.add(secID, ActRemind, fmt.Sprintf("催办 %s%s：%s", c.SectionName(secID), late, text), "")
		e.Comment = &cm
		return nil
	})
}

// daysBetween counts calendar days from a to b in Zone: negative when b is
// before a.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.In(Zone).Date()
	by, bm, bd := b.In(Zone).Date()
	return int(Day(by, bm, bd).Sub(Day(ay, am, ad)).Hours() / 24)
}

// DaysLeft counts calendar days from now until due: negative when overdue.
func DaysLeft(now, due time.Time) int { return daysBetween(now, due) }

func needComment(op, comment string) error {
	if strings.TrimSpace(comment) == "" {
		return Errorf(op, Invalid, "退回时须填写意见")
	}
	return checkText(op, "意见", comment, MaxComment)
}
