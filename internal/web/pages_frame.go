package web

import (
	"net/http"
	"strconv"

	"github.com/docflow/docflow/internal/workflow"
)

// frameForm edits the clerk's own part of the report outline: the opening
// and the closing paragraph (workflow.Frame). The assignment page and the
// report page carry it, and /cases/{id}/frame on its own (while the
// departments draft, and to show what was refused).
type frameForm struct {
	CaseID  string
	Rev     int
	Opening string // as shown: the clerk's, or the office's
	Closing string
	Default bool   // the opening shown is the office's
	Back    string // where saving returns: "assign", "report" or "" (this page)
	Compile bool   // offer to compile again with it (the report page while compiling)
	Errs    fieldErrors
}

// newFrameForm is the frame of c as it stands.
func (s *Server) newFrameForm(b *base, c *workflow.Case, back string) (*frameForm, error) {
	opening, err := s.Service.Opening(b.ctx, c)
	if err != nil {
		return nil, err
	}
	return &frameForm{CaseID: c.ID, Rev: c.Frame.Rev, Opening: opening, Closing: c.Frame.Closing, Default: c.Frame.Opening == "",
		Back: back, Compile: c.Stage == workflow.Compiling, Errs: fieldErrors{}}, nil
}

// frameView is the page of its own.
type frameView struct {
	*base
	C *workflow.Case
	F *frameForm
}

func (s *Server) framePage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "修改报告的开头和结尾"); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := s.newFrameForm(b, c, "")
	if err != nil {
		return err
	}
	b.Title = b.T("报告的开头和结尾") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, frameContent(&frameView{base: b, C: c, F: f}))
}

// frameBacks are the pages a frame form may return to.
var frameBacks = map[string]string{"assign": "/assign#frame", "report": "/report#frame", "": "/frame"}

func (s *Server) framePost(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "修改报告的开头和结尾"); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	b.Title = b.T("报告的开头和结尾") + " " + c.Opinion.Number
	p := r.PostForm
	back := p.Get("back")
	if _, ok := frameBacks[back]; !ok {
		back = ""
	}
	f, err := s.newFrameForm(b, c, back)
	if err != nil {
		return err
	}
	f.Opening, f.Closing = normalizeNewlines(p.Get("opening")), normalizeNewlines(p.Get("closing"))
	f.Rev, _ = strconv.Atoi(p.Get("rev"))
	for field, text := range map[string]string{"opening": f.Opening, "closing": f.Closing} {
		checkLen(b, f.Errs, field, text, workflow.MaxBoilerplate)
	}
	page := func(status int) error {
		return s.render(w, b, status, frameContent(&frameView{base: b, C: c, F: f}))
	}
	if len(f.Errs) > 0 {
		b.Error = b.T("请更正标出的项目")
		return page(http.StatusBadRequest)
	}
	saved, err := s.Service.SetFrame(r.Context(), b.Me, c.ID, f.Rev, f.Opening, f.Closing)
	switch workflow.KindOf(err) {
	case workflow.Invalid:
		b.Error = workflow.Message(err)
		return page(http.StatusBadRequest)
	case workflow.Conflict:
		// What was typed stays; the next save applies it over the newer one.
		b.Error = workflow.Message(err) + b.T("。您填写的内容仍在下方，未丢失；最新内容见案件的审计记录。")
		f.Rev = c.Frame.Rev
		return page(http.StatusConflict)
	}
	if err != nil {
		return err
	}
	if p.Get("action") == "compile" {
		if _, err := s.Service.Compile(r.Context(), b.Me, c.ID); err != nil {
			if msg := workflow.Message(err); msg != "" {
				return s.redirect(w, r, "/cases/"+c.ID+"/report#frame", b.T("开头和结尾已保存，但未能重新汇总：%s", msg))
			}
			return err
		}
		return s.redirect(w, r, "/cases/"+c.ID+"/report", b.T("开头和结尾已保存，报告已重新汇总"))
	}
	msg := b.T("开头和结尾已保存，汇总报告时使用")
	if saved.Report != nil {
		msg = b.T("开头和结尾已保存；重新汇总后进入报告")
	}
	return s.redirect(w, r, "/cases/"+c.ID+frameBacks[back], msg)
}
