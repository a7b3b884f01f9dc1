package web

import (
	"context"
	"net/http"
	"net/url"
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
	var c *workflow.Case
	var f *frameForm
	var saved *workflow.Case
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "修改报告的开头和结尾") },
		Load: func(ctx context.Context) (err error) {
			c, err = s.Service.Case(ctx, b.Me, r.PathValue("id"))
			if err != nil {
				return err
			}
			b.Title = b.T("报告的开头和结尾") + " " + c.Opinion.Number
			back := r.PostForm.Get("back")
			if _, ok := frameBacks[back]; !ok {
				back = ""
			}
			f, err = s.newFrameForm(b, c, back)
			return err
		},
		Read: func(p url.Values) (fieldErrors, error) {
			f.Opening, f.Closing = normalizeNewlines(p.Get("opening")), normalizeNewlines(p.Get("closing"))
			f.Rev, _ = strconv.Atoi(p.Get("rev"))
			for field, text := range map[string]string{"opening": f.Opening, "closing": f.Closing} {
				checkLen(b, f.Errs, field, text, workflow.MaxBoilerplate)
			}
			return f.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			var err error
			if saved, err = s.Service.SetFrame(ctx, b.Me, c.ID, f.Rev, f.Opening, f.Closing); err != nil {
				return "", "", err
			}
			if r.PostForm.Get("action") == "compile" {
				if _, err := s.Service.Compile(ctx, b.Me, c.ID); err != nil {
					if msg := workflow.Message(err); msg != "" {
						return "/cases/" + c.ID + "/report#frame", b.T("开头和结尾已保存，但未能重新汇总：%s", msg), nil
					}
					return "", "", err
				}
				return "/cases/" + c.ID + "/report", b.T("开头和结尾已保存，报告已重新汇总"), nil
			}
			msg := b.T("开头和结尾已保存，汇总报告时使用")
			if saved.Report != nil {
				msg = b.T("开头和结尾已保存；重新汇总后进入报告")
			}
			return "/cases/" + c.ID + frameBacks[f.Back], msg, nil
		},
		// What was typed stays; the next save applies it over the newer one.
		Refused: func(k workflow.Kind, _ error) error {
			if k == workflow.Conflict {
				f.Rev = c.Frame.Rev
			}
			return nil
		},
		Kept: b.T("。您填写的内容仍在下方，未丢失；最新内容见案件的审计记录。"),
		Show: func(status int) error {
			return s.render(w, b, status, frameContent(&frameView{base: b, C: c, F: f}))
		},
	})
}
