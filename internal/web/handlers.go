package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Date is a calendar date in JSON: "2025-12-22".
type Date struct{ time.Time }

func (d *Date) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		d.Time = time.Time{}
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, workflow.Zone)
	if err != nil {
		return workflow.Errorf("web.Date", workflow.Invalid, "日期 %q 格式应为 2025-12-22", s)
	}
	d.Time = t
	return nil
}

func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte(`""`), nil
	}
	return []byte(`"` + d.In(workflow.Zone).Format("2006-01-02") + `"`), nil
}

func (s *Server) me(r *http.Request, id workflow.Identity) (any, error) { return id, nil }

// upload reads an opinion file from a multipart form (field "file") or from
// the raw body with ?name=.
func upload(r *http.Request) (name string, data []byte, err error) {
	r.Body = http.MaxBytesReader(nil, r.Body, MaxUpload)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		f, h, err := r.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return "", nil, err
			}
			return "", nil, &workflow.Error{Op: "web.upload", Kind: workflow.Invalid, Msg: "请选择要上传的来文文件（表单字段 file）", Err: err}
		}
		defer f.Close()
		data, err = io.ReadAll(f)
		return path.Base(h.Filename), data, err
	}
	data, err = io.ReadAll(r.Body)
	return path.Base(r.URL.Query().Get("name")), data, err
}

func (s *Server) parseOpinion(r *http.Request, id workflow.Identity) (any, error) {
	if !id.Has(workflow.Clerk) {
		return nil, workflow.Errorf("web.parseOpinion", workflow.Forbidden, "只有区府办经办人可以登记来文")
	}
	name, data, err := upload(r)
	if err != nil {
		return nil, err
	}
	return s.Parse(name, data)
}

func (s *Server) intake(r *http.Request, id workflow.Identity) (any, error) {
	if !id.Has(workflow.Clerk) {
		return nil, workflow.Errorf("web.intake", workflow.Forbidden, "只有区府办经办人可以登记来文")
	}
	name, data, err := upload(r)
	if err != nil {
		return nil, err
	}
	o, err := s.Parse(name, data)
	if err != nil {
		return nil, err
	}
	// ?revises=<case> registers the file as a revised version of that
	// case's opinion (workflow.Service.Revise).
	var c *workflow.Case
	if revises := r.URL.Query().Get("revises"); revises != "" {
		c, err = s.Service.Revise(r.Context(), id, revises, workflow.Source{Name: name}, data, o)
	} else {
		c, err = s.Service.Intake(r.Context(), id, workflow.Source{Name: name}, data, o)
	}
	if workflow.KindOf(err) == workflow.Conflict && c != nil {
		return nil, &duplicate{c: c, err: err}
	}
	if err != nil {
		return nil, err
	}
	return created{c}, nil
}

// listQuery reads the filters and paging of a list from the URL: stage,
// dept, year, overdue (1), q (search), kind (a kind's code, or opinion), category,
// limit, cursor.
func listQuery(r *http.Request) (workflow.Query, error) {
	const op = "web.listQuery"
	v := r.URL.Query()
	q := workflow.Query{Stage: workflow.Stage(v.Get("stage")), Dept: v.Get("dept"), Text: strings.TrimSpace(v.Get("q")),
		Overdue: v.Get("overdue") == "1", Cursor: v.Get("cursor"), Kind: v.Get("kind"), Category: strings.TrimSpace(v.Get("category"))}
	if len(q.Kind) > 20 || len(q.Category) > 200 {
		return q, workflow.Errorf(op, workflow.Invalid, "参数 kind 或 category 过长")
	}
	for name, dst := range map[string]*int{"year": &q.Year, "limit": &q.Limit} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return q, workflow.Errorf(op, workflow.Invalid, "参数 %s=%q 应为正整数", name, s)
			}
			*dst = n
		}
	}
	return q, nil
}

func (s *Server) cases(r *http.Request, id workflow.Identity) (any, error) {
	q, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	return s.Service.Cases(r.Context(), id, q)
}

func (s *Server) getCase(r *http.Request, id workflow.Identity) (any, error) {
	return s.Service.Case(r.Context(), id, r.PathValue("id"))
}

// AuditPage is a page of a case's audit trail, newest first.
type AuditPage struct {
	Events []workflow.Event `json:"events"`
	Next   string           `json:"next,omitempty"`
}

func (s *Server) events(r *http.Request, id workflow.Identity) (any, error) {
	q, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	evs, next, err := s.Service.Audit(r.Context(), id, r.PathValue("id"), q.Cursor, q.Limit)
	if err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []workflow.Event{}
	}
	return AuditPage{Events: evs, Next: next}, nil
}

// intParam reads an optional non-negative integer from the URL.
func intParam(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, workflow.Errorf("web", workflow.Invalid, "参数 %s=%q 应为正整数", name, s)
	}
	return n, nil
}

// history answers GET /api/cases/{id}/history?stream=&before=&limit=: a
// page of one stream's events, newest first — a section's versions,
// inputs, returns and reminders (stream=<section>), or the report's
// versions and approvals (stream empty).
func (s *Server) history(r *http.Request, id workflow.Identity) (any, error) {
	before, err := intParam(r, "before")
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit")
	if err != nil {
		return nil, err
	}
	evs, err := s.Service.History(r.Context(), id, r.PathValue("id"), r.URL.Query().Get("stream"), before, limit)
	if err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []workflow.Event{}
	}
	return evs, nil
}

// Recorded is one event of a stream with the text it recorded.
type Recorded struct {
	Event workflow.Event `json:"event"`
	Text  string         `json:"text"`
}

func (s *Server) recorded(r *http.Request, id workflow.Identity) (any, error) {
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil || seq < 1 {
		return nil, workflow.Errorf("web.recorded", workflow.Invalid, "记录编号 %q 无效", r.PathValue("seq"))
	}
	e, text, err := s.Service.Recorded(r.Context(), id, r.PathValue("id"), r.URL.Query().Get("stream"), seq)
	if err != nil {
		return nil, err
	}
	return Recorded{Event: e, Text: text}, nil
}

func (s *Server) correctOpinion(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Version int              `json:"version"`
		Opinion workflow.Opinion `json:"opinion"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.CorrectOpinion(r.Context(), id, r.PathValue("id"), in.Version, in.Opinion)
}

func (s *Server) assign(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Version int `json:"version"`
		Plan    []struct {
			Item  string   `json:"item"`
			Level int      `json:"level"`
			Lead  string   `json:"lead"`
			Co    []string `json:"co"`
			Due   Date     `json:"due"`
		} `json:"plan"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	plan := make([]workflow.Assignment, len(in.Plan))
	for i, a := range in.Plan {
		plan[i] = workflow.Assignment{Item: a.Item, Level: a.Level, Lead: a.Lead, Co: a.Co, Due: a.Due.Time}
	}
	return s.Service.Assign(r.Context(), id, r.PathValue("id"), in.Version, plan)
}

func (s *Server) dispatch(r *http.Request, id workflow.Identity) (any, error) {
	return s.Service.Dispatch(r.Context(), id, r.PathValue("id"))
}

func (s *Server) text(r *http.Request, id workflow.Identity) (any, error) {
	t, err := s.Service.Text(r.Context(), id, r.PathValue("id"), r.PathValue("hash"))
	if err != nil {
		return nil, err
	}
	return map[string]string{"hash": r.PathValue("hash"), "text": t}, nil
}

func (s *Server) saveSection(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Rev     int    `json:"rev"`
		Heading string `json:"heading"`
		Body    string `json:"body"`
		Note    string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.SaveSection(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Rev, in.Heading, in.Body, in.Note)
}

func (s *Server) addInput(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Text string `json:"text"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.AddInput(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Text)
}

type revComment struct {
	Rev     int    `json:"rev"`
	Comment string `json:"comment"`
}

func (s *Server) submitSection(r *http.Request, id workflow.Identity) (any, error) {
	var in revComment
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.SubmitSection(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Rev)
}

func (s *Server) acceptSection(r *http.Request, id workflow.Identity) (any, error) {
	var in revComment
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.AcceptSection(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Rev)
}

func (s *Server) returnSection(r *http.Request, id workflow.Identity) (any, error) {
	var in revComment
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.ReturnSection(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Rev, in.Comment)
}

func (s *Server) remind(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Text string `json:"text"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return nil, err
		}
	}
	return s.Service.Remind(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Text)
}

func (s *Server) compile(r *http.Request, id workflow.Identity) (any, error) {
	return s.Service.Compile(r.Context(), id, r.PathValue("id"))
}

// ReportView is the current report with its text.
type ReportView struct {
	Rev       int              `json:"rev"`
	Version   workflow.Version `json:"version"`
	Title     string           `json:"title"`
	Addressee string           `json:"addressee"`
	Body      string           `json:"body"`
	Sum       string           `json:"sum"` // what an approval must name
}

func (s *Server) report(r *http.Request, id workflow.Identity) (any, error) {
	c, err := s.Service.Case(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !c.HasReport() {
		return nil, workflow.Errorf("web.report", workflow.NotFound, "案件 %s 尚未汇总报告，或您无权查看", c.ID)
	}
	v := c.Report.Current
	body, err := s.Service.Text(r.Context(), id, c.ID, v.Hash)
	if err != nil {
		return nil, err
	}
	return ReportView{Rev: c.Report.Rev, Version: v, Title: v.Heading, Addressee: v.Addressee, Body: body, Sum: v.Sum}, nil
}

func (s *Server) saveReport(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Rev       int    `json:"rev"`
		Title     string `json:"title"`
		Addressee string `json:"addressee"`
		Body      string `json:"body"`
		Note      string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.SaveReport(r.Context(), id, r.PathValue("id"), in.Rev, in.Title, in.Addressee, in.Body, in.Note)
}

func (s *Server) startSignoff(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Chain []workflow.Step `json:"chain"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return nil, err
		}
	}
	return s.Service.StartSignoff(r.Context(), id, r.PathValue("id"), in.Chain)
}

type sumComment struct {
	Sum     string `json:"sum"`
	Opinion string `json:"opinion"`
	Comment string `json:"comment"`
}

func (s *Server) approve(r *http.Request, id workflow.Identity) (any, error) {
	var in sumComment
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.Approve(r.Context(), id, r.PathValue("id"), in.Sum, in.Opinion)
}

func (s *Server) returnReport(r *http.Request, id workflow.Identity) (any, error) {
	var in sumComment
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.ReturnReport(r.Context(), id, r.PathValue("id"), in.Sum, in.Comment)
}

func (s *Server) setSeries(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Next int `json:"next"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return nil, workflow.Errorf("web.setSeries", workflow.Invalid, "年份 %q 无效", r.PathValue("year"))
	}
	series := r.PathValue("series")
	if err := s.Service.SetSeries(r.Context(), id, series, year, in.Next); err != nil {
		return nil, err
	}
	return map[string]any{"series": series, "year": year, "next": in.Next}, nil
}

// publish answers POST /api/cases/{id}/publish {date?, printed?,
// openness?, note?}: each absent field takes its default (today; the
// 成文日期; the office's 公开属性, else public; the office's 附注 for it), so
// a body of {} or {date} publishes as before. A retry finishes with what
// the number was taken with (workflow.Service.PublishWith).
func (s *Server) publish(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Date     Date    `json:"date"`
		Printed  Date    `json:"printed"`
		Openness string  `json:"openness"` // public | on-request | withheld, or 主动公开 | 依申请公开 | 不予公开
		Note     *string `json:"note"`     // absent: the office's; "": none
		Late     string  `json:"late"`     // why, when dated after the opinion's deadline
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return nil, err
		}
	}
	open, err := workflow.ParseOpenness(in.Openness)
	if err != nil {
		return nil, err
	}
	return s.Service.PublishWith(r.Context(), id, r.PathValue("id"), workflow.Publishing{Date: in.Date.Time, Printed: in.Printed.Time, Openness: open, Note: in.Note, Late: in.Late})
}

// setFrame answers PUT /api/cases/{id}/frame {rev, opening, closing}: the
// clerk's opening and closing paragraphs of the report (an absent or empty
// opening: the office's; an empty closing: none).
func (s *Server) setFrame(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Rev     int    `json:"rev"`
		Opening string `json:"opening"`
		Closing string `json:"closing"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.SetFrame(r.Context(), id, r.PathValue("id"), in.Rev, in.Opening, in.Closing)
}

// NoticeView is one entry of the public list.
type NoticeView struct {
	Case   string   `json:"case"`
	Number string   `json:"number"`
	Title  string   `json:"title"`
	Date   Date     `json:"date"`
	Files  []string `json:"files"` // under /notices/{case}/
	Reply  string   `json:"reply"` // the opinion answered
}

// Notices is a page of the public list.
type Notices struct {
	Notices []NoticeView `json:"notices"`
	Next    string       `json:"next,omitempty"`
}

func (s *Server) notices(r *http.Request, id workflow.Identity) (any, error) {
	q, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	p, err := s.Service.Cases(r.Context(), workflow.Anonymous, workflow.Query{Stage: workflow.Published, Text: q.Text, Year: q.Year, Limit: q.Limit, Cursor: q.Cursor,
		Kind: q.Kind, Category: q.Category})
	if err != nil {
		return nil, err
	}
	out := Notices{Notices: []NoticeView{}, Next: p.Next}
	for _, c := range p.Cases {
		out.Notices = append(out.Notices, NoticeView{Case: c.ID, Number: c.Doc, Title: c.Heading, Date: Date{c.Date}, Files: c.Files, Reply: c.Number})
	}
	return out, nil
}

// file serves a published file: a 主动公开 notice's to anyone, the others'
// to the office and those who took part (workflow.Service.File), who are
// identified as on any page. An unknown or ended session reads as the
// public.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	id, err := s.Identify(r)
	if errors.Is(err, errUnauthenticated) {
		id, err = workflow.Anonymous, nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, b, err := s.Service.File(r.Context(), id, r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("ETag", `"`+f.Hash+`"`)
	if c, err := s.Service.Case(r.Context(), workflow.Anonymous, r.PathValue("id")); err == nil && c.Publication.Public() {
		w.Header().Set("Cache-Control", "public, max-age=300")
	} else {
		// Not for the public: no shared cache may keep it for the next
		// reader.
		w.Header().Set("Cache-Control", "private, no-store")
	}
	http.ServeContent(w, r, f.Name, time.Time{}, bytes.NewReader(b))
}

func (s *Server) presign(r *http.Request, id workflow.Identity) (any, error) {
	const op = "web.presign"
	if err := workflow.Allowed(id, nil, workflow.ActIntake, nil); err != nil {
		return nil, err
	}
	if s.Uploads == nil {
		return nil, workflow.Errorf(op, workflow.NotFound, "本地运行时请直接上传到 POST /api/cases")
	}
	var in struct {
		Name        string `json:"name"`
		ContentType string `json:"contentType"`
		Size        int64  `json:"size"`
		Revises     string `json:"revises"` // a case whose opinion the file revises
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Revises != "" {
		// Said now rather than by a log line after the upload: the case
		// must exist and be the clerk's to revise.
		old, err := s.Service.Case(r.Context(), id, in.Revises)
		if err != nil {
			return nil, err
		}
		if err := workflow.Allowed(id, old, workflow.ActRevise, nil); err != nil {
			return nil, err
		}
	}
	return s.Uploads.Presign(r.Context(), id, in.Name, in.ContentType, in.Size, in.Revises)
}
