package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// 满意度 (workflow.AskFeedback): the clerk makes the link on the case page
// of a published 代表建议 or 政协提案 and sends it (it is shown once, with
// a mailto: and text to copy into a message); /feedback?t=<token> is the
// deputy's or member's page — the answer and the rating form — which
// needs no account. Like a 征求意见 link, the token travels in the query
// of the GET and the body of the POST, never in the path, and a bad link
// counts against the address. The publish function serves them.

// feedbackCasePage is GET /cases/{id}/feedback: where the case's 满意度
// stands, and the clerk's button for a link.
func (s *Server) feedbackCasePage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	rd, err := s.Service.Read(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	c := rd.Case()
	b.Title = b.T("满意度") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, feedbackCaseContent(b, c, workflow.Can(b.Me, c, workflow.ActAskFeedback, nil)))
}

// feedbackAskView is the page that shows a new link, once.
type feedbackAskView struct {
	*base
	C   *workflow.Case
	URL string
}

// feedbackAskPost is POST /cases/{id}/feedback: a new link, shown once.
func (s *Server) feedbackAskPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *feedbackAskView
	return s.post(w, r, b, form{
		Do: func(ctx context.Context) (string, string, error) {
			c, token, err := s.Service.AskFeedback(ctx, b.Me, r.PathValue("id"))
			if err != nil {
				return "", "", err
			}
			origin := "http://" + r.Host
			if secure(r) {
				origin = "https://" + r.Host
			}
			b.Title = b.T("满意度测评链接")
			v = &feedbackAskView{base: b, C: c, URL: origin + "/feedback?t=" + url.QueryEscape(token)}
			return "", b.T("测评链接已生成：请现在复制发给%s，离开本页后不再显示", c.Opinion.Proposer), nil
		},
		Show: func(status int) error {
			if v == nil { // refused: back to the case's 满意度, the message as its flash
				return s.redirect(w, r, "/cases/"+r.PathValue("id")+"/feedback", b.Error)
			}
			return s.render(w, b, status, feedbackAskContent(v))
		},
	})
}

// feedbackAskAPI is POST /api/cases/{id}/feedback → {case, path, expires}:
// path is /feedback?t=<token>, shown this once.
func (s *Server) feedbackAskAPI(r *http.Request, id workflow.Identity) (any, error) {
	c, token, err := s.Service.AskFeedback(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"case": c, "path": "/feedback?t=" + url.QueryEscape(token), "expires": c.Feedback.Expires}, nil
}

// feedbackView is the proposer's page.
type feedbackView struct {
	*base
	Token   string
	C       *workflow.Case
	Rating  string
	Comment string
	Errs    fieldErrors
}

// Ratings are the choices the form offers.
func (v *feedbackView) Ratings() []workflow.Rating { return workflow.Ratings }

// feedbackPage is GET /feedback?t=.
func (s *Server) feedbackPage(w http.ResponseWriter, r *http.Request, b *base) error {
	token := r.URL.Query().Get("t")
	c, err := s.Service.FeedbackCase(r.Context(), token)
	if err != nil {
		return s.consultRefused(w, r, b, err, "")
	}
	b.Path = "/feedback?t=" + url.QueryEscape(token)
	return s.renderFeedback(w, b, http.StatusOK, &feedbackView{base: b, Token: token, C: c, Errs: fieldErrors{}})
}

// maxFeedbackForm bounds the rating form: 1,000 characters of up to 4
// bytes, escaped, and the token.
const maxFeedbackForm = 16 << 10

// feedbackPost is POST /feedback: the proposer's rating.
func (s *Server) feedbackPost(w http.ResponseWriter, r *http.Request, b *base) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFeedbackForm)
	if err := r.ParseForm(); err != nil {
		return err
	}
	token, rating, text := r.PostForm.Get("t"), r.PostForm.Get("rating"), normalizeNewlines(r.PostForm.Get("comment"))
	if !s.consults.allow(clientAddr(r), s.now()) {
		return s.consultRefused(w, r, b, workflow.Errorf("web.feedback", workflow.Forbidden, "提交过于频繁，请 %d 分钟后再试", int(window.Minutes())), text)
	}
	c, err := s.Service.FeedbackCase(r.Context(), token)
	if err != nil {
		return s.consultRefused(w, r, b, err, text)
	}
	v := &feedbackView{base: b, Token: token, C: c, Rating: rating, Comment: text, Errs: fieldErrors{}}
	if workflow.Rating(rating).Label() == "" {
		v.Errs.add("rating", b.T("请选择满意、基本满意或不满意"))
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(text)); {
	case n > workflow.MaxFeedbackComment:
		v.Errs.add("comment", b.T("意见过长（%d 字，上限 %d 字）：请删减后再提交", n, workflow.MaxFeedbackComment))
	case n == 0 && workflow.Rating(rating) == workflow.Unsatisfied:
		v.Errs.add("comment", b.T("选择“不满意”时请写明原因，以便重新办理"))
	}
	if len(v.Errs) > 0 {
		b.Error = b.T("请更正标出的项目")
		return s.renderFeedback(w, b, http.StatusBadRequest, v)
	}
	if _, err := s.Service.GiveFeedback(r.Context(), token, workflow.Rating(rating), text); err != nil {
		if workflow.KindOf(err) == workflow.Invalid {
			b.Error = workflow.Message(err)
			return s.renderFeedback(w, b, http.StatusBadRequest, v)
		}
		return s.consultRefused(w, r, b, err, text)
	}
	return s.redirect(w, r, "/feedback?t="+url.QueryEscape(token), b.T("评价已提交，谢谢！"))
}

// renderFeedback writes the proposer's page: never cached, never indexed.
func (s *Server) renderFeedback(w http.ResponseWriter, b *base, status int, v *feedbackView) error {
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	b.Title = b.T("满意度测评") + " " + v.C.Opinion.Title
	return s.render(w, b, status, feedbackContent(v))
}
