package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Lists of 代表建议 and 政协提案 (issue 13): the office uploads the list the
// People's Congress or CPPCC system exports, and each row becomes a case
// of the kind it chose (workflow.Service.Import; Server.ReadList — package
// caselist, injected by the assign function and the local server, since
// its GB18030 decoder is large — reads the file). The assign function serves it: intake is at its size bound,
// and a list is handed over (交办) as it is registered.

// MaxList is the largest list file: a Lambda request carries 6 MB, and a
// file travels base64-encoded, a third larger. An .xlsx of 500 rows of a
// few hundred characters each is well under 1 MB.
const MaxList = 4 << 20

// listTypes is what the file input offers.
const listTypes = ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// listView is the import page: the form, and after an import what
// became of every row.
type listView struct {
	*base
	Kinds    []workflow.CaseKind
	Kind     string
	Assigned string
	Errs     fieldErrors

	// One is the 逐件登记 form: a suggestion or proposal typed in, as one
	// that arrives alone (by letter, at a meeting) is registered.
	One          workflow.Proposal
	OneCosigners string

	File    string
	Rows    []workflow.Imported // in the file's order, refusals of the reader among them
	Done    bool
	Opened  int
	Refused int
}

func (s *Server) newListView(ctx context.Context, b *base) (*listView, error) {
	o, err := s.Service.Office(ctx)
	if err != nil {
		return nil, err
	}
	b.Title = b.T("批量登记代表建议和政协提案")
	v := &listView{base: b, Kinds: o.Profile.Kinds, Errs: fieldErrors{}, Assigned: date(s.now())}
	if len(v.Kinds) > 0 {
		v.Kind = v.Kinds[0].ID
	}
	return v, nil
}

// listPage is GET /cases/import.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "登记来文"); err != nil {
		return err
	}
	v, err := s.newListView(r.Context(), b)
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, listContent(v))
}

// listPost is POST /cases/import: the page again, with what became of
// every row (nothing to redirect to: the report is the result).
func (s *Server) listPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *listView
	var up *importForm
	var day time.Time
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "登记来文") },
		Parse: func() (url.Values, error) {
			r.Body = http.MaxBytesReader(w, r.Body, MaxList+64<<10)
			var err error
			if up, err = readUpload(r, "file", MaxList, 4<<10); err != nil {
				return nil, err // over the request's bound: the 413 page
			}
			return up.fields, nil
		},
		Load: func(ctx context.Context) (err error) {
			v, err = s.newListView(ctx, b)
			return err
		},
		Read: func(p url.Values) (fieldErrors, error) {
			v.Kind, v.Assigned, v.File = p.Get("kind"), p.Get("assigned"), up.name
			var err error
			if day, err = parseDate(v.Assigned); err != nil || day.IsZero() {
				v.Errs.add("assigned", b.T("请填写交办日期"))
			}
			switch {
			case up.tooBig:
				return v.Errs, &formError{field: "file", msg: listTooLarge(), status: http.StatusRequestEntityTooLarge}
			case up.data == nil:
				v.Errs.add("file", b.T("请选择清单文件（.xlsx 或 .csv）"))
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			rows, err := s.importList(ctx, b.Me, v.Kind, day, up.name, up.data)
			if err != nil {
				if workflow.KindOf(err) == workflow.Invalid {
					return "", "", &formError{field: "file", msg: workflow.Message(err)}
				}
				return "", "", err
			}
			v.Rows, v.Done = rows, true
			for _, row := range rows {
				if row.Case != "" {
					v.Opened++
				} else {
					v.Refused++
				}
			}
			return "", "", nil
		},
		Show: func(status int) error { return s.render(w, b, status, listContent(v)) },
	})
}

// importOnePost is POST /cases/import/one: one suggestion or proposal,
// typed in, becomes a case (Service.Import with one row), and the clerk
// goes to it; a refusal shows the form again as typed.
func (s *Server) importOnePost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *listView
	var day time.Time
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "登记来文") },
		Load: func(ctx context.Context) (err error) {
			v, err = s.newListView(ctx, b)
			return err
		},
		Read: func(p url.Values) (fieldErrors, error) {
			v.Kind, v.Assigned, v.OneCosigners = p.Get("kind"), p.Get("assigned"), p.Get("cosigners")
			v.One = workflow.Proposal{Line: 1, Number: p.Get("number"), Title: p.Get("title"), Proposer: p.Get("proposer"),
				Group: p.Get("group"), Cosigners: splitList(v.OneCosigners), Category: p.Get("category"), Content: normalizeNewlines(p.Get("content"))}
			var err error
			if day, err = parseDate(v.Assigned); err != nil || day.IsZero() {
				v.Errs.add("one-assigned", b.T("请填写交办日期"))
			}
			for _, f := range []struct{ name, v, msg string }{
				{"number", v.One.Number, "请填写建议号或提案号"}, {"title", v.One.Title, "请填写标题"},
				{"proposer", v.One.Proposer, "请填写提出人"}, {"content", v.One.Content, "请填写内容"},
			} {
				if strings.TrimSpace(f.v) == "" {
					v.Errs.add(f.name, b.T(f.msg))
				}
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			rows, err := s.Service.Import(ctx, b.Me, v.Kind, day, "逐件登记", []workflow.Proposal{v.One})
			if err != nil {
				return "", "", err
			}
			if rows[0].Case == "" {
				return "", "", &formError{field: "number", msg: rows[0].Reason}
			}
			return "/cases/" + rows[0].Case, b.T("已登记 %s", v.One.Number), nil
		},
		Show: func(status int) error { return s.render(w, b, status, listContent(v)) },
	})
}

func listTooLarge() string {
	return "清单文件过大：上限 " + workflow.SizeText(MaxList) + "，请分成几个文件导入"
}

// importList reads a list and imports its rows: every row of the file,
// in order, those the reader refused among those the service saw.
func (s *Server) importList(ctx context.Context, me workflow.Identity, kind string, day time.Time, name string, data []byte) ([]workflow.Imported, error) {
	if s.ReadList == nil {
		return nil, workflow.Errorf("web.import", workflow.NotFound, "此处不能导入清单")
	}
	rows, out, err := s.ReadList(name, data, workflow.MaxImport)
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		opened, err := s.Service.Import(ctx, me, kind, day, name, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, opened...)
	} else if len(out) == 0 {
		return nil, workflow.Errorf("web.import", workflow.Invalid, "清单中没有数据行")
	}
	slices.SortStableFunc(out, func(a, b workflow.Imported) int { return cmp.Compare(a.Line, b.Line) })
	return out, nil
}

// listAPI is POST /api/cases/import?kind=K&assigned=YYYY-MM-DD: the
// list (multipart "file", or the raw body with ?name=) becomes cases of
// kind K; the answer lists what became of every row, 200 even when some
// were refused.
func (s *Server) listAPI(r *http.Request, id workflow.Identity) (any, error) {
	const op = "web.importCases"
	if err := workflow.Allowed(id, nil, workflow.ActIntake, nil); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	day, err := parseDate(q.Get("assigned"))
	if err != nil || day.IsZero() {
		return nil, workflow.Errorf(op, workflow.Invalid, "请用 ?assigned=YYYY-MM-DD 给出交办日期")
	}
	name, data, err := apiFile(r, op, MaxList, listTooLarge(),
		"请在表单字段 file 中附上清单文件（.xlsx 或 .csv），或把文件作为请求体并用 ?name= 给出文件名")
	if err != nil {
		return nil, err
	}
	rows, err := s.importList(r.Context(), id, q.Get("kind"), day, name, data)
	if err != nil {
		return nil, err
	}
	res := struct {
		Opened  int                 `json:"opened"`
		Refused int                 `json:"refused"`
		Rows    []workflow.Imported `json:"rows"`
	}{Rows: rows}
	for _, row := range rows {
		if row.Case != "" {
			res.Opened++
		} else {
			res.Refused++
		}
	}
	return res, nil
}

// ListLimit is the list file's bound as the import page states it.
func (v *listView) ListLimit() string { return workflow.SizeText(MaxList) }
