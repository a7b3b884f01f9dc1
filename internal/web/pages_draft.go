package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/textdiff"
	"github.com/docflow/docflow/internal/workflow"
)

// previewer is what pages need of the notice renderer (notice.Renderer):
// the numbered body for previews and the whole page as it will print. The
// service's Renderer is asked for it, so no extra wiring is needed.
type previewer interface {
	Body(md string) (string, error)
	HTML(n *workflow.Notice) ([]byte, error)
}

func (s *Server) previewer() (previewer, bool) {
	if s.Service == nil {
		return nil, false
	}
	p, ok := s.Service.Render.(previewer)
	return p, ok
}

// preview renders a Markdown body as it will print, as safe HTML; without
// a renderer it falls back to the escaped text.
func (s *Server) preview(md string) string {
	if p, ok := s.previewer(); ok {
		if h, err := p.Body(md); err == nil {
			return h
		}
	}
	return "<pre>" + html.EscapeString(md) + "</pre>"
}

// todoView is a department's work: the parts it leads or co-handles in a
// page of its cases.
type todoView struct {
	*base
	Rows []todoRow
	Done []todoRow
	Next string
}

type todoRow struct {
	C       workflow.Summary
	Sec     workflow.Section
	Label   string
	Heading string
	Lead    bool
	Overdue bool
}

func (s *Server) todoPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	if b.Me.Dept == "" {
		return workflow.Errorf("web.todo", workflow.Forbidden, "待办列表只对承办部门人员开放")
	}
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	p, err := s.Service.Cases(r.Context(), b.Me, workflow.Query{Dept: b.Me.Dept, Cursor: q.Cursor, Limit: q.Limit})
	if err != nil {
		return err
	}
	parts, err := s.Service.Parts(r.Context(), b.Me, p.Cases)
	if err != nil {
		return err
	}
	v := &todoView{base: b, Next: nextURL(r, p.Next)}
	for _, c := range p.Cases {
		if c.Stage == workflow.Assigning {
			continue // not dispatched yet
		}
		for _, sec := range parts[c.ID] {
			t := todoRow{C: c, Sec: sec, Label: partLabel(c, sec.ID), Heading: sec.Current.Heading, Lead: sec.Lead == b.Me.Dept,
				Overdue: c.Stage == workflow.Drafting && sec.State.Writable() && b.DaysLeft(sec.Due) < 0}
			if t.Heading == "" {
				t.Heading = b.T("（尚无稿件）")
			}
			open := c.Stage == workflow.Drafting && sec.State.Writable()
			if open && (t.Lead || sec.Inputs[b.Me.Dept] == 0) {
				v.Rows = append(v.Rows, t)
			} else {
				v.Done = append(v.Done, t)
			}
		}
	}
	slices.SortStableFunc(v.Rows, func(a, b todoRow) int { return a.Sec.Due.Compare(b.Sec.Due) })
	b.Title = b.T("待办")
	return s.render(w, b, http.StatusOK, todoContent(v))
}

// partLabel numbers a part of a case's outline from its summary.
func partLabel(c workflow.Summary, secID string) string {
	secs := make([]workflow.Section, len(c.Parts))
	for i, p := range c.Parts {
		secs[i] = workflow.Section{ID: p.ID, Level: p.Level}
	}
	// The full number: a department's list may hold both 一（一） and 二（一）.
	return (&workflow.Case{Sections: secs}).SectionPath(secID)
}

// sectionView is one section: its editor, preview, versions, co-handlers'
// input and the actions the viewer may take.
type sectionView struct {
	*base
	C         *workflow.Case
	Row       sectionRow
	CanEdit   bool
	CanSubmit bool
	CanInput  bool
	CanJudge  bool // the clerk may accept or return
	CanImport bool // the editor takes a .docx (Server.ReadDocx)
	CanDocx   bool // the current draft can be downloaded as .docx
	CanAttach bool // the viewer may attach files to the section and remove them (附件)
	Heading   string
	Body      string
	Note      string
	Rev       int
	Preview   string
	Versions  []workflow.Version
	Inputs    []inputView
	InputText string
	Comment   string
	Errs      fieldErrors
	Conflict  *conflictView

	// The item's result (办理结果): ResultAction is where its form posts
	// ("" when the viewer may not set it); Outcome and ResultText what
	// the form shows.
	ResultAction string
	Outcome      string
	ResultText   string

	// 延期申请: whether the viewer may ask for more time or decide the
	// pending request, and what the forms show.
	CanExtend    bool
	CanDecide    bool
	Until        string
	Reason       string
	DecisionNote string

	// 沟通 with the proposer of a 代表建议 or 政协提案: whether the viewer
	// may record one, and what the form shows.
	CanLiaise                            bool
	LiaisonDate, LiaisonWay, LiaisonText string

	// 分办: whether the viewer may ask for the part to go elsewhere, or
	// give it to another department or keep it; what the forms show.
	CanDecline, CanReassign, CanKeep bool
	DeclineReason, NewLead, LeadNote string
	Depts                            []string
}

type inputView struct {
	workflow.Input
	Text string
}

// conflictView is a 409: the version saved meanwhile beside the user's own
// text, which stays in the form.
type conflictView struct {
	Theirs    workflow.Version
	TheirBody string
	Lines     []textdiff.Line
}

func (s *Server) loadSection(ctx context.Context, b *base, caseID, secID string) (*workflow.Reading, *workflow.Section, error) {
	rd, err := s.Service.Read(ctx, b.Me, caseID)
	if err != nil {
		return nil, nil, err
	}
	c := rd.Case()
	for i := range c.Sections {
		if c.Sections[i].ID == secID {
			return rd, &c.Sections[i], nil
		}
	}
	return nil, nil, workflow.Errorf("web.section", workflow.NotFound, "案件 %s 没有部分 %s", caseID, secID)
}

// newSectionView fills the view from the stored section, with its current
// text in the form.
func (s *Server) newSectionView(ctx context.Context, b *base, rd *workflow.Reading, sec *workflow.Section) (*sectionView, error) {
	c := rd.Case()
	rows := s.sectionRows(b, c)
	v := &sectionView{base: b, C: c, Rev: sec.Rev, Errs: fieldErrors{}}
	for _, row := range rows {
		if row.Sec.ID == sec.ID {
			v.Row = row
		}
	}
	v.CanEdit = workflow.Can(b.Me, c, workflow.ActSave, sec)
	v.CanSubmit = workflow.Can(b.Me, c, workflow.ActSubmit, sec) && sec.Current.N > 0
	v.CanInput = workflow.Can(b.Me, c, workflow.ActInput, sec)
	v.CanJudge = workflow.Can(b.Me, c, workflow.ActAccept, sec) || workflow.Can(b.Me, c, workflow.ActReturn, sec)
	v.ResultAction = resultAction(b, c, sec)
	v.CanExtend = workflow.Can(b.Me, c, workflow.ActExtend, sec)
	v.CanLiaise = c.Opinion.Kind != "" && workflow.Can(b.Me, c, workflow.ActLiaise, sec)
	v.CanDecline = workflow.Can(b.Me, c, workflow.ActDecline, sec) && !sec.Decline.Pending()
	v.CanReassign = workflow.Can(b.Me, c, workflow.ActReassign, sec)
	v.CanKeep = workflow.Can(b.Me, c, workflow.ActKeepLead, sec) && sec.Decline.Pending()
	if v.CanReassign {
		o, err := s.Service.Office(ctx)
		if err != nil {
			return nil, err
		}
		v.Depts = o.Profile.Departments
	}
	v.CanDecide = workflow.Can(b.Me, c, workflow.ActDecideExtension, sec) && sec.Extension != nil && sec.Extension.State == workflow.ExtensionPending
	if res := sec.Result; res != nil {
		v.Outcome, v.ResultText = string(res.Outcome), res.Text
	}
	v.CanImport = v.CanEdit && s.ReadDocx != nil
	v.CanAttach = v.CanEdit && workflow.Can(b.Me, c, workflow.ActAttach, sec)
	v.CanDocx = sec.Current.Hash != ""
	if workflow.CanRead(b.Me, c, sec.ID) {
		var err error
		if v.Versions, v.Inputs, err = s.streamPage(ctx, rd, sec.ID); err != nil {
			return nil, err
		}
	}
	cur := sec.Current
	v.Heading = cur.Heading
	if v.Heading == "" {
		v.Heading = v.Row.Item.Text
	}
	if cur.Hash != "" {
		body, err := rd.Text(ctx, cur.Hash)
		if err != nil {
			return nil, err
		}
		v.Body = body
	}
	v.Preview = s.preview(workflow.ShiftHeadings(v.Body, sec.Level))
	return v, nil
}

// historyPage is how many events of a stream a page reads: the newest
// versions and inputs; the audit trail has them all.
const historyPage = 100

// streamPage reads the newest page of a stream's events and returns the
// versions in it and the inputs with their texts, newest first.
func (s *Server) streamPage(ctx context.Context, rd *workflow.Reading, stream string) ([]workflow.Version, []inputView, error) {
	evs, err := rd.History(ctx, stream, 0, historyPage)
	if err != nil {
		return nil, nil, err
	}
	var (
		vs  []workflow.Version
		ins []inputView
	)
	for _, e := range evs {
		switch {
		case e.Version != nil:
			vs = append(vs, *e.Version)
		case e.Input != nil:
			_, text, err := rd.Recorded(ctx, stream, e.Seq)
			if err != nil {
				return nil, nil, err
			}
			ins = append(ins, inputView{Input: *e.Input, Text: text})
		}
	}
	return vs, ins, nil
}

func (s *Server) sectionPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
	if err != nil {
		return err
	}
	v, err := s.newSectionView(r.Context(), b, rd, sec)
	if err != nil {
		return err
	}
	b.Title = v.Row.Label + v.Heading
	return s.render(w, b, http.StatusOK, sectionContent(v))
}

// sectionPost saves a version, or with action=preview shows the preview of
// what was typed without saving (the no-JavaScript preview).
func (s *Server) sectionPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *sectionView
	var sec *workflow.Section
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Load: func(ctx context.Context) error {
			rd, sc, err := s.loadSection(ctx, b, r.PathValue("id"), r.PathValue("sec"))
			if err != nil {
				return err
			}
			sec = sc
			v, err = s.newSectionView(ctx, b, rd, sec)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			v.Heading, v.Body, v.Note = f.Get("heading"), normalizeNewlines(f.Get("body")), f.Get("note")
			v.Rev, _ = strconv.Atoi(f.Get("rev"))
			v.Preview = s.preview(workflow.ShiftHeadings(v.Body, sec.Level))
			b.Title = v.Row.Label + v.Heading
			if f.Get("action") == "preview" {
				b.Flash = b.T("以下为预览，尚未保存")
				return nil, errShown
			}
			checkHeading(b, v.Errs, "heading", v.Heading)
			checkLen(b, v.Errs, "note", v.Note, workflow.MaxHeading)
			if len(v.Body) > workflow.MaxBody {
				v.Errs.add("body", b.T("正文过长（%d 字节，上限 %d 字节）", len(v.Body), workflow.MaxBody))
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			saved, err := s.Service.SaveSection(ctx, b.Me, v.C.ID, sec.ID, v.Rev, v.Heading, v.Body, v.Note)
			if err != nil {
				return "", "", err
			}
			if ss, ok := saved.Section(sec.ID); ok {
				return sectionURL(v.C.ID, sec.ID), b.T("已保存第 %d 稿", ss.Current.N), nil
			}
			return sectionURL(v.C.ID, sec.ID), "", nil
		},
		Refused: func(k workflow.Kind, _ error) (err error) {
			if k == workflow.Conflict {
				v, err = s.sectionConflict(r, b, v)
			}
			return err
		},
		Kept: b.T("。您的文字仍在下方编辑框中，未丢失；请对照最新稿修改后再保存。"),
		Show: func(status int) error { return s.render(w, b, status, sectionContent(v)) },
	})
}

// sectionConflict re-reads the section and shows the newer version beside
// the user's text. The form keeps the user's text and now carries the
// current revision, so saving again is a deliberate overwrite.
func (s *Server) sectionConflict(r *http.Request, b *base, v *sectionView) (*sectionView, error) {
	rd, sec, err := s.loadSection(r.Context(), b, v.C.ID, v.Row.Sec.ID)
	if err != nil {
		return nil, err
	}
	fresh, err := s.newSectionView(r.Context(), b, rd, sec)
	if err != nil {
		return nil, err
	}
	cv := &conflictView{Theirs: sec.Current, TheirBody: fresh.Body}
	cv.Lines = textdiff.Lines(fresh.Body, v.Body)
	fresh.Heading, fresh.Body, fresh.Note, fresh.Preview = v.Heading, v.Body, v.Note, v.Preview
	fresh.Conflict = cv
	return fresh, nil
}

func sectionURL(caseID, secID string) string {
	return "/cases/" + pathEscape(caseID) + "/sections/" + pathEscape(secID)
}

func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func checkHeading(b *base, fe fieldErrors, field, h string) {
	h = strings.TrimSpace(h)
	switch {
	case h == "":
		fe.add(field, b.T("标题不能为空"))
	case strings.ContainsAny(h, "\r\n"):
		fe.add(field, b.T("标题只能有一行"))
	}
	checkLen(b, fe, field, h, workflow.MaxHeading)
}

func checkLen(b *base, fe fieldErrors, field, v string, max int) {
	if n := utf8.RuneCountInString(v); n > max {
		fe.add(field, b.T("过长（%d 字，上限 %d 字）", n, max))
	}
}

// previewPost renders a body for the live preview (an HTML fragment).
func (s *Server) previewPost(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	body := normalizeNewlines(r.PostForm.Get("body"))
	if len(body) > workflow.MaxBody {
		// The limit of saving: nothing is rendered that could not be saved.
		return &http.MaxBytesError{Limit: workflow.MaxBody}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", pageCSP)
	level, _ := strconv.Atoi(r.PostForm.Get("level"))
	fmt.Fprint(w, s.preview(workflow.ShiftHeadings(body, min(max(level, 0), 4))))
	return nil
}

// diffView compares two versions of a section or of the report.
type diffView struct {
	*base
	C            *workflow.Case
	Label        string
	Back         string
	Versions     []workflow.Version
	A, B         workflow.Version
	Heading      []textdiff.Span
	Addressee    []textdiff.Span
	Lines        []textdiff.Line
	Ins, Del     int
	Action       string
	ShowAddresse bool
}

func (s *Server) sectionDiff(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
	if err != nil {
		return err
	}
	c := rd.Case()
	v, err := s.diff(r, b, rd, sec.ID)
	if err != nil {
		return err
	}
	v.Label = c.SectionLabel(sec.ID) + sec.Current.Heading
	v.Back = sectionURL(c.ID, sec.ID)
	v.Action = v.Back + "/diff"
	b.Title = b.T("版本比较") + " " + v.Label
	return s.render(w, b, http.StatusOK, diffContent(v))
}

// diff compares two versions of a stream, ?a= and ?b= naming the events
// that recorded them (default: the newest two).
func (s *Server) diff(r *http.Request, b *base, rd *workflow.Reading, stream string) (*diffView, error) {
	const op = "web.diff"
	c := rd.Case()
	vs, _, err := s.streamPage(r.Context(), rd, stream)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, workflow.Errorf(op, workflow.NotFound, "还没有保存过的稿件")
	}
	pick := func(q string, def workflow.Version) (workflow.Version, string, error) {
		seq := def.Seq
		if s := r.URL.Query().Get(q); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return workflow.Version{}, "", workflow.Errorf(op, workflow.NotFound, "没有这一稿（%s=%s）", q, s)
			}
			seq = n
		}
		e, text, err := s.Service.Recorded(r.Context(), b.Me, c.ID, stream, seq)
		if err != nil {
			return workflow.Version{}, "", err
		}
		if e.Version == nil {
			return workflow.Version{}, "", workflow.Errorf(op, workflow.NotFound, "第 %d 条记录不是一稿", seq)
		}
		return *e.Version, text, nil
	}
	va, ta, err := pick("a", vs[min(1, len(vs)-1)])
	if err != nil {
		return nil, err
	}
	vb, tb, err := pick("b", vs[0])
	if err != nil {
		return nil, err
	}
	v := &diffView{base: b, C: c, Versions: vs, A: va, B: vb,
		Heading: textdiff.Chars(va.Heading, vb.Heading), Addressee: textdiff.Chars(va.Addressee, vb.Addressee),
		Lines: textdiff.Lines(ta, tb)}
	v.Ins, v.Del = textdiff.Stats(v.Lines)
	return v, nil
}

// sectionAction runs one of the section's buttons (a form of the
// section page) and redirects back, or shows the page again with the
// refusal; keep puts back what was typed.
func (s *Server) sectionAction(w http.ResponseWriter, r *http.Request, b *base, do func(rev int) (string, error), keep func(v *sectionView)) error {
	var v *sectionView
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Do: func(context.Context) (string, string, error) {
			rev, _ := strconv.Atoi(r.PostForm.Get("rev"))
			flash, err := do(rev)
			return sectionURL(r.PathValue("id"), r.PathValue("sec")), flash, err
		},
		// The page is read again after any refusal, so that it shows what
		// is now stored.
		Refused: func(_ workflow.Kind, err error) error {
			rd, sec, lerr := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
			if lerr != nil {
				return lerr
			}
			if v, lerr = s.newSectionView(r.Context(), b, rd, sec); lerr != nil {
				return lerr
			}
			keep(v)
			if fe := (*formError)(nil); errors.As(err, &fe) {
				v.Errs.add(fe.field, fe.msg)
			}
			b.Title = v.Row.Label + v.Heading
			return nil
		},
		Kept: b.T("。页面已刷新为最新内容，请核对后再操作。"),
		Show: func(status int) error { return s.render(w, b, status, sectionContent(v)) },
	})
}

func (s *Server) inputPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		text := normalizeNewlines(r.PostForm.Get("text"))
		if strings.TrimSpace(text) == "" {
			return "", refuseField("text", b.T("请填写协办意见"))
		}
		_, err := s.Service.AddInput(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), text)
		return b.T("已提交协办意见"), err
	}, func(v *sectionView) { v.InputText = r.PostForm.Get("text") })
}

func (s *Server) submitPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(rev int) (string, error) {
		// The item's result, when the form gives one, is recorded with
		// the submission (first, so that a refused result submits
		// nothing).
		if o := r.PostForm.Get("outcome"); o != "" || strings.TrimSpace(r.PostForm.Get("result_text")) != "" {
			if err := s.setResult(r, b, workflow.ActResult); err != nil {
				return "", err
			}
		}
		_, err := s.Service.SubmitSection(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), rev)
		return b.T("已确认并报送区府办"), err
	}, keepResult(r))
}

func (s *Server) acceptPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(rev int) (string, error) {
		_, err := s.Service.AcceptSection(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), rev)
		return b.T("已采用本部分"), err
	}, func(*sectionView) {})
}

func (s *Server) returnSectionPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(rev int) (string, error) {
		comment := r.PostForm.Get("comment")
		if strings.TrimSpace(comment) == "" {
			return "", refuseField("comment", b.T("退回时须填写意见"))
		}
		_, err := s.Service.ReturnSection(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), rev, comment)
		return b.T("已退回承办部门"), err
	}, func(v *sectionView) { v.Comment = r.PostForm.Get("comment") })
}
