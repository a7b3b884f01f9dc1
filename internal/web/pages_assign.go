package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"

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
	for i, it := range c.Opinion.Items {
		row := assignRow{I: i, Item: it, On: true, Level: it.Level, Due: v.Default}
		if sec, ok := bySec[it.ID]; ok {
			row.Level, row.Lead, row.Co, row.Due = sec.Level, sec.Lead, sec.Co, formDate(sec.Due)
		} else if len(c.Sections) > 0 {
			row.On = false
		}
		v.Rows = append(v.Rows, row)
	}
	b.Title = b.T("交办") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, assignContent(v))
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
	def := c.Opinion.Due.AddDate(0, 0, -o.Profile.LeadDays)
	if def.Before(c.Opinion.Date) {
		def = c.Opinion.Due
	}
	v.Default = formDate(def)
	return v, nil
}

// partNumber finds the part a refusal of the plan names. Compiled when a
// plan is first refused, not at every cold start.
var partNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^第 (\d+) 部分：`) })

func (s *Server) assignPost(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "交办"); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	b.Title = b.T("交办") + " " + c.Opinion.Number
	v, err := s.newAssignView(b, c)
	if err != nil {
		return err
	}
	f := r.PostForm
	v.Version, _ = strconv.Atoi(f.Get("version"))
	depts := v.Depts
	var plan []workflow.Assignment
	var planRows []int // index into v.Rows of each plan entry
	for i, it := range c.Opinion.Items {
		k := strconv.Itoa(i)
		row := assignRow{I: i, Item: it, On: f.Get("on-"+k) != "", Lead: f.Get("lead-" + k), Co: f["co-"+k], Due: f.Get("due-" + k)}
		row.Level, _ = strconv.Atoi(f.Get("level-" + k))
		if f.Get("item-"+k) != it.ID {
			// The items changed under the form (the opinion was corrected).
			b.Error = b.T("来文条目已更正，请核对后重新提交")
			return s.renderAssign(w, c, v, http.StatusConflict)
		}
		if row.On {
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
			if row.Err == "" && err != nil {
				row.Err = b.T("办理期限格式应为 2025-12-22")
			}
			if row.Err == "" && !due.IsZero() && due.After(c.Opinion.Due) {
				row.Err = b.T("部门办理期限 %s 晚于来文办理期限 %s", workflow.DateCN(due), workflow.DateCN(c.Opinion.Due))
			}
			if row.Err == "" {
				plan = append(plan, workflow.Assignment{Item: it.ID, Level: row.Level, Lead: row.Lead, Co: row.Co, Due: due})
				planRows = append(planRows, i)
			} else {
				v.Errs.add(fmt.Sprintf("row-%d", i), row.Err)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if len(v.Errs) > 0 {
		b.Error = b.T("请更正标出的项目")
		return s.renderAssign(w, c, v, http.StatusBadRequest)
	}
	if len(plan) == 0 {
		b.Error = b.T("请至少纳入一个条目")
		return s.renderAssign(w, c, v, http.StatusBadRequest)
	}
	saved, err := s.Service.Assign(r.Context(), b.Me, c.ID, v.Version, plan)
	if err == nil && f.Get("action") == "dispatch" {
		saved, err = s.Service.Dispatch(r.Context(), b.Me, c.ID)
		if err == nil {
			return s.redirect(w, r, "/cases/"+c.ID, b.T("已交办 %d 个部分", len(saved.Sections)))
		}
	}
	switch workflow.KindOf(err) {
	case workflow.Invalid:
		msg := workflow.Message(err)
		if m := partNumber().FindStringSubmatch(msg); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= 1 && n <= len(planRows) {
				i := planRows[n-1]
				v.Rows[i].Err = msg[len(m[0]):]
				v.Errs.add(fmt.Sprintf("row-%d", i), v.Rows[i].Err)
				msg = b.T("请更正标出的项目")
			}
		}
		b.Error = msg
		return s.renderAssign(w, c, v, http.StatusBadRequest)
	case workflow.Conflict:
		b.Error = workflow.Message(err)
		v.Version = c.Version
		return s.renderAssign(w, c, v, http.StatusConflict)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/cases/"+c.ID+"/assign", b.T("已保存交办方案（%d 个部分）", len(saved.Sections)))
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
