package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// 批量交办 (issue 13): the clerk hands a page of cases awaiting assignment
// to one lead department (and co-handlers) at once, every item of each a
// part (workflow.Service.AssignBatch). The assign function serves it.

// handOverView is the batch page: the cases awaiting assignment, a page
// at a time, the form, and after a batch what became of each case.
type handOverView struct {
	*base
	Cases  []workflow.Summary
	Next   string
	Depts  []string
	Kinds  []workflow.CaseKind
	Picked map[string]bool
	Lead   string
	Co     map[string]bool
	Due    string
	Errs   fieldErrors

	Done   bool
	Rows   []workflow.Handed
	Handed int
}

// KindName is the name of a case's kind, as the list shows it.
func (v *handOverView) KindName(id string) string {
	for _, k := range v.Kinds {
		if k.ID == id {
			return k.Short
		}
	}
	return v.T("审议意见")
}

func (s *Server) newHandOverView(ctx context.Context, b *base, cursor string) (*handOverView, error) {
	o, err := s.Service.Office(ctx)
	if err != nil {
		return nil, err
	}
	b.Title = b.T("批量交办")
	v := &handOverView{base: b, Depts: o.Profile.Departments, Kinds: o.Profile.Kinds, Picked: map[string]bool{}, Co: map[string]bool{}, Errs: fieldErrors{}}
	page, err := s.Service.Cases(ctx, b.Me, workflow.Query{Stage: workflow.Assigning, Limit: workflow.MaxHandOver, Cursor: cursor})
	if err != nil {
		return nil, err
	}
	for _, c := range page.Cases {
		if len(c.Parts) == 0 { // a case with a plan is handed over on its own page
			v.Cases = append(v.Cases, c)
		}
	}
	v.Next = page.Next
	return v, nil
}

// handOverPage is GET /cases/handover[?cursor=].
func (s *Server) handOverPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "交办"); err != nil {
		return err
	}
	v, err := s.newHandOverView(r.Context(), b, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, handOverContent(v))
}

// handOverPost is POST /cases/handover: the page again, with what became
// of every case picked.
func (s *Server) handOverPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *handOverView
	var picked, co []string
	var due time.Time
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "交办") },
		Load: func(ctx context.Context) (err error) {
			v, err = s.newHandOverView(ctx, b, "")
			return err
		},
		Read: func(p url.Values) (fieldErrors, error) {
			picked, co, v.Lead, v.Due = p["case"], p["co"], p.Get("lead"), p.Get("due")
			for _, id := range picked {
				v.Picked[id] = true
			}
			for _, d := range co {
				v.Co[d] = true
			}
			var err error
			if due, err = parseDate(v.Due); err != nil {
				v.Errs.add("due", b.T("日期格式应为 2026-08-31"))
			}
			if len(picked) == 0 {
				v.Errs.add("case", b.T("请选择要交办的案件"))
			}
			if v.Lead == "" {
				v.Errs.add("lead", b.T("请选择主办部门"))
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			rows, err := s.Service.AssignBatch(ctx, b.Me, picked, v.Lead, co, due)
			if err != nil {
				return "", "", err
			}
			v.Rows, v.Done = rows, true
			for _, row := range rows {
				if row.Reason == "" {
					v.Handed++
				}
			}
			// The list again, without the cases just handed over.
			nv, err := s.newHandOverView(ctx, b, "")
			if err != nil {
				return "", "", err
			}
			v.Cases, v.Next, v.Picked = nv.Cases, nv.Next, map[string]bool{}
			return "", "", nil
		},
		Show: func(status int) error { return s.render(w, b, status, handOverContent(v)) },
	})
}

// handOverAPI is POST /api/cases/handover: {cases, lead, co?, due?} →
// {handed, refused, rows: [{case, number, reason?}]}.
func (s *Server) handOverAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Cases []string `json:"cases"`
		Lead  string   `json:"lead"`
		Co    []string `json:"co"`
		Due   Date     `json:"due"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	rows, err := s.Service.AssignBatch(r.Context(), id, in.Cases, in.Lead, in.Co, in.Due.Time)
	if err != nil {
		return nil, err
	}
	res := struct {
		Handed  int               `json:"handed"`
		Refused int               `json:"refused"`
		Rows    []workflow.Handed `json:"rows"`
	}{Rows: rows}
	for _, row := range rows {
		if row.Reason == "" {
			res.Handed++
		} else {
			res.Refused++
		}
	}
	return res, nil
}
