package workflow

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// SetFrame sets the opening and closing paragraphs of a case's report
// (Frame), which the clerk owns as departments own their parts: each
// change is an event carrying both texts, and rev is the Frame.Rev the
// clerk saw (a stale one is a Conflict). An opening that is empty or the
// office's own (Profile.Opening citing the opinion) keeps following the
// office's, so that a corrected 来文字号 or a changed opening still reaches
// the report; an empty closing means none. Compile uses them; a report
// compiled already changes when it is compiled again.
func (s *Service) SetFrame(ctx context.Context, id Identity, caseID string, rev int, opening, closing string) (*Case, error) {
	const op = "workflow.SetFrame"
	opening, closing = strings.TrimSpace(opening), strings.TrimSpace(closing)
	for _, f := range []struct{ name, text string }{{"开头", opening}, {"结尾", closing}} {
		if err := checkFrameText(op, f.name, f.text); err != nil {
			return nil, err
		}
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActFrame, nil); err != nil {
			return err
		}
		if err := checkRev(op, "开头和结尾", rev, c.Frame.Rev); err != nil {
			return err
		}
		open := opening
		if def, _ := o.Profile.opening(&c.Opinion); open == strings.TrimSpace(def) {
			open = ""
		}
		if open == c.Frame.Opening && closing == c.Frame.Closing {
			return nil
		}
		var what []string
		if open != c.Frame.Opening {
			if open == "" {
				what = append(what, "开头改用本单位的开头语")
			} else {
				what = append(what, fmt.Sprintf("开头改为自拟（%d 字）", utf8.RuneCountInString(open)))
			}
		}
		if closing != c.Frame.Closing {
			if closing == "" {
				what = append(what, "删去结尾段")
			} else {
				what = append(what, fmt.Sprintf("结尾段 %d 字", utf8.RuneCountInString(closing)))
			}
		}
		c.Frame = Frame{Rev: c.Frame.Rev + 1, Opening: open, Closing: closing}
		f := c.Frame
		r.add("", ActFrame, "修改报告的开头和结尾："+strings.Join(what, "，"), "").Frame = &f
		return nil
	})
}

// checkFrameText refuses what cannot be an opening or closing paragraph:
// too long, or a heading, which would become a numbered part of the
// outline.
func checkFrameText(op, field, text string) error {
	if err := checkText(op, field, text, MaxBoilerplate); err != nil {
		return err
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
			return Errorf(op, Invalid, "%s是段落，不能含标题（以 # 开头的行）：标题属于各部分", field)
		}
	}
	return nil
}

// Opening returns the opening paragraph c's report compiles with: the
// clerk's (Frame.Opening), or the office's citing the opinion.
func (s *Service) Opening(ctx context.Context, c *Case) (string, error) {
	if c.Frame.Opening != "" {
		return c.Frame.Opening, nil
	}
	o, err := s.office(ctx)
	if err != nil {
		return "", err
	}
	def, err := o.Profile.opening(&c.Opinion)
	return strings.TrimSpace(def), err
}
