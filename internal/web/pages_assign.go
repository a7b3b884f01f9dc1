package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// assignView is the assignment plan (交办方案): one row per opinion item,
// each with its level in the report outline, lead and co-handling
// departments and due date.
type assignView struct {
	*base
	C       *workflow.Case
	Version int
	Rows    []assignRow
	Depts   []string
	Default string // default due date
	Errs    fieldErrors
	Frame   *frameForm // the clerk's opening and closing of the report
	// 参照交办: what the clerk searched for (Like), the case whose plan
	// filled the form (LikeOf), or the cases the search found (LikeChoices),
	// or why none (LikeErr).
	Like, LikeErr string
	LikeOf        *workflow.Case
	LikeChoices   []workflow.Summary
}

type assignRow struct {
	I     int
	Item  workflow.Item
	On    bool
	Level int
	Lead  string
	Co    []string
	Due   string // as typed
	Err   string
	due   time.Time // as read, when Err is ""
}

func (s *Server) assignPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "交办"); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.newAssignView(b, c)
	if err != nil {
		return err
	}
	bySec := map[string]workflow.Section{}
	for _, sec := range c.Sections {
		bySec[sec.Item] = sec
	}
	if err := s.findLike(r, b, v); err != nil {
		return err
	}
	var like map[string]workflow.Assignment
	if v.LikeOf != nil {
		like = map[string]workflow.Assignment{}
		for _, a := range workflow.PlanLike(c, v.LikeOf) {
			like[a.Item] = a
		}
	}
	for i, it := range c.Opinion.Items {
		row := assignRow{I: i, Item: it, On: true, Level: it.Level, Due: v.Default}
		if sec, ok := bySec[it.ID]; ok {
			row.Level, row.Lead, row.Co, row.Due = sec.Level, sec.Lead, sec.Co, formDate(sec.Due)
		} else if len(c.Sections) > 0 && like == nil {
			row.On = false
		}
		if a, ok := like[it.ID]; ok {
			row.On, row.Lead, row.Co = true, a.Lead, a.Co
		}
		v.Rows = append(v.Rows, row)
	}
	b.Title = b.T("交办") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, assignContent(v))
}

// findLike reads ?like= of the assign page: the case ID or the number
// (来文字号, 建议号) of a similar case already assigned, whose plan fills
// the form for the clerk to check and save (参照交办). A number that
// several cases match lists them to choose from.
func (s *Server) findLike(r *http.Request, b *base, v *assignView) error {
	v.Like = strings.TrimSpace(r.URL.Query().Get("like"))
	if v.Like == "" {
		return nil
	}
	if c, err := s.Service.Case(r.Context(), b.Me, v.Like); err == nil && c.ID != v.C.ID && len(c.Sections) > 0 {
		v.LikeOf = c
		return nil
	}
	p, err := s.Service.Cases(r.Context(), b.Me, workflow.Query{Text: v.Like, Limit: 10})
	if workflow.KindOf(err) == workflow.Invalid {
		v.LikeErr = workflow.Message(err)
		return nil
	}
	if err != nil {
		return err
	}
	for _, sm := range p.Cases {
		if sm.ID != v.C.ID && sm.Stage != workflow.Assigning {
			v.LikeChoices = append(v.LikeChoices, sm)
		}
	}
	switch len(v.LikeChoices) {
	case 0:
		v.LikeErr = b.T("没有找到与「%s」相符的已交办案件", v.Like)
	case 1:
		c, err := s.Service.Case(r.Context(), b.Me, v.LikeChoices[0].ID)
		if err != nil {
			return err
		}
		v.LikeOf, v.LikeChoices = c, nil
	}
	return nil
}

func (s *Server) newAssignView(b *base, c *workflow.Case) (*assignView, error) {
	o, err := s.Service.Office(b.ctx)
	if err != nil {
		return nil, err
	}
	v := &assignView{base: b, C: c, Version: c.Version, Depts: o.Profile.Departments, Errs: fieldErrors{}}
	if workflow.Can(b.Me, c, workflow.ActFrame, nil) {
		if v.Frame, err = s.newFrameForm(b, c, "assign"); err != nil {
			return nil, err
		}
	}
	v.Default = formDate(workflow.DefaultDue(&o.Profile, c, b.Now))
	return v, nil
}

// partNumber finds the part a refusal of the plan names. Compiled when a
// plan is first refused, not at every cold start.
var partNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^第 (\d+) 部分：`) })

func (s *Server) assignPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var c *workflow.Case
	var v *assignView
	var plan []workflow.Assignment
	var planRows []int // index into v.Rows of each plan entry
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "交办") },
		Load: func(ctx context.Context) (err error) {
			if c, err = s.Service.Case(ctx, b.Me, r.PathValue("id")); err != nil {
				return err
			}
			b.Title = b.T("交办") + " " + c.Opinion.Number
			v, err = s.newAssignView(b, c)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			v.Version, _ = strconv.Atoi(f.Get("version"))
			for i, it := range c.Opinion.Items {
				k := strconv.Itoa(i)
				if f.Get("item-"+k) != it.ID {
					// The items changed under the form (the opinion was corrected).
					return nil, &workflow.Error{Op: "web.assign", Kind: workflow.Conflict, Msg: b.T("来文条目已更正，请核对后重新提交")}
				}
				row := s.assignRow(b, c, v.Depts, i, it, f)
				if row.On && row.Err == "" {
					plan = append(plan, workflow.Assignment{Item: it.ID, Level: row.Level, Lead: row.Lead, Co: row.Co, Due: row.due})
					planRows = append(planRows, i)
				} else if row.Err != "" {
					v.Errs.add(fmt.Sprintf("row-%d", i), row.Err)
				}
				v.Rows = append(v.Rows, row)
			}
			if len(v.Errs) == 0 && len(plan) == 0 {
				b.Error = b.T("请至少纳入一个条目")
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			saved, err := s.Service.Assign(ctx, b.Me, c.ID, v.Version, plan)
			if err != nil {
				return "", "", err
			}
			if r.PostForm.Get("action") == "dispatch" {
				if saved, err = s.Service.Dispatch(ctx, b.Me, c.ID); err != nil {
					return "", "", err
				}
				return "/cases/" + c.ID, b.T("已交办 %d 个部分", len(saved.Sections)), nil
			}
			return "/cases/" + c.ID + "/assign", b.T("已保存交办方案（%d 个部分）", len(saved.Sections)), nil
		},
		Refused: func(k workflow.Kind, err error) error {
			if k == workflow.Conflict {
				v.Version = c.Version
				return nil
			}
			// A refusal that names a part of the plan goes beside its row.
			msg := b.Error
			if m := partNumber().FindStringSubmatch(msg); m != nil {
				if n, _ := strconv.Atoi(m[1]); n >= 1 && n <= len(planRows) {
					i := planRows[n-1]
					v.Rows[i].Err = msg[len(m[0]):]
					v.Errs.add(fmt.Sprintf("row-%d", i), v.Rows[i].Err)
					b.Error = b.T("请更正标出的项目")
				}
			}
			return nil
		},
		Show: func(status int) error { return s.renderAssign(w, c, v, status) },
	})
}

// assignRow reads and checks one item's row of the plan.
func (s *Server) assignRow(b *base, c *workflow.Case, depts []string, i int, it workflow.Item, f url.Values) assignRow {
	k := strconv.Itoa(i)
	row := assignRow{I: i, Item: it, On: f.Get("on-"+k) != "", Lead: f.Get("lead-" + k), Co: f["co-"+k], Due: f.Get("due-" + k)}
	row.Level, _ = strconv.Atoi(f.Get("level-" + k))
	if !row.On {
		return row
	}
	switch {
	case row.Level < 1 || row.Level > 4:
		row.Err = b.T("层级须为 1–4")
	case row.Lead == "":
		row.Err = b.T("请选择主办部门")
	case !slices.Contains(depts, row.Lead):
		row.Err = b.T("主办部门 %q 不在部门名录中", row.Lead)
	}
	for _, d := range row.Co {
		switch {
		case row.Err != "":
		case !slices.Contains(depts, d):
			row.Err = b.T("协办部门 %q 不在部门名录中", d)
		case d == row.Lead:
			row.Err = b.T("%s 不能既主办又协办", d)
		}
	}
	due, err := parseDate(row.Due)
	switch {
	case row.Err != "":
	case err != nil:
		row.Err = b.T("办理期限格式应为 2025-12-22")
	case !due.IsZero() && due.After(c.Opinion.Due):
		row.Err = b.T("部门办理期限 %s 晚于来文办理期限 %s", workflow.DateCN(due), workflow.DateCN(c.Opinion.Due))
	case !due.IsZero() && workflow.DaysLeft(b.Now, due) < 0 && workflow.DaysLeft(b.Now, c.Opinion.Due) >= 0:
		row.Err = b.T("部门办理期限 %s 已过，请选择今天或以后的日期", workflow.DateCN(due))
	}
	row.due = due
	return row
}

func (s *Server) renderAssign(w http.ResponseWriter, c *workflow.Case, v *assignView, status int) error {
	if v.Rows == nil || len(v.Rows) < len(c.Opinion.Items) {
		// Rebuild from the items, keeping rows already read.
		for i := len(v.Rows); i < len(c.Opinion.Items); i++ {
			it := c.Opinion.Items[i]
			v.Rows = append(v.Rows, assignRow{I: i, Item: it, On: true, Level: it.Level})
		}
	}
	return s.render(w, v.base, status, assignContent(v))
}
