package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// The outbox page (通知记录): every message the changes wrote, newest
// first, with its delivery state and last error, for the clerks, who chase
// what was not delivered, and administrators, who put addresses right;
// failed messages can be retried. And the 催办 page: the clerk writes the
// reminder and confirms it, the part named so it cannot be mistaken.

// outboxView is a page of the outbox.
type outboxView struct {
	*base
	State  string
	Rows   []outboxRow
	Next   string
	Batch  int // batches on the page
	States []workflow.MessageState
}

// outboxRow is one message, with the batch it belongs to.
type outboxRow struct {
	B *workflow.Batch
	M workflow.Notification
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	q := r.URL.Query()
	st := workflow.MessageState(q.Get("state"))
	p, err := s.Service.OutboxPage(r.Context(), b.Me, workflow.OutboxQuery{State: st, Cursor: q.Get("cursor"), Limit: 30})
	if err != nil {
		return err
	}
	v := &outboxView{base: b, State: string(st), Next: p.Next, Batch: len(p.Batches), States: workflow.MessageStates}
	for i := range p.Batches {
		bt := &p.Batches[i]
		for _, m := range bt.Messages {
			if st == "" || m.State == st {
				v.Rows = append(v.Rows, outboxRow{B: bt, M: m})
			}
		}
	}
	b.Title = b.T("通知记录")
	return s.render(w, b, http.StatusOK, outboxContent(v))
}

// NextURL is the next page of the outbox, with the filter.
func (v *outboxView) NextURL() string {
	q := url.Values{"cursor": {v.Next}}
	if v.State != "" {
		q.Set("state", v.State)
	}
	return "/outbox?" + q.Encode()
}

// FilterURL is the outbox filtered by a state ("" all).
func (v *outboxView) FilterURL(st string) string {
	if st == "" {
		return "/outbox"
	}
	return "/outbox?state=" + url.QueryEscape(st)
}

// Recipients says who a message goes to, and how.
func (v *outboxView) Recipients(m workflow.Notification) string {
	switch m.Channel {
	case workflow.ByEmail:
		names := make([]string, len(m.People))
		for i, u := range m.People {
			names[i] = v.UserName(u)
		}
		return m.ToName + "（" + strings.Join(names, "、") + "）"
	case workflow.ByRobot:
		if m.Robot == "" {
			return m.ToName + "（" + v.T("本单位群") + "）"
		}
		return m.ToName + "（" + m.Robot + v.T("群") + "）"
	}
	return m.ToName
}

// ChannelLabel names how a message goes out.
func (v *outboxView) ChannelLabel(c workflow.Channel) string {
	if c == "" {
		return v.T("无可用方式")
	}
	return v.T(c.Label())
}

// outboxRetry puts a failed message back to be sent.
func (s *Server) outboxRetry(w http.ResponseWriter, r *http.Request, b *base) error {
	back := "/outbox"
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Do: func(ctx context.Context) (string, string, error) {
			f := r.PostForm
			if st := f.Get("state"); st != "" {
				back += "?state=" + url.QueryEscape(st)
			}
			if f.Get("batch") == "" || f.Get("msg") == "" {
				return "", "", workflow.Errorf("web.outbox", workflow.Invalid, "请从通知记录页面选择要重试的通知")
			}
			_, err := s.Service.RetryMessage(ctx, b.Me, f.Get("batch"), f.Get("msg"))
			return back, b.T("已重新排队发送，稍后刷新查看结果"), err
		},
		Back: back,
	})
}

// remindView is the 催办 form: the part named in full, its deadline, and
// the text the clerk sends.
type remindView struct {
	*base
	C       *workflow.Case
	Sec     *workflow.Section
	Name    string // workflow.Case.SectionName
	Text    string
	Reminds int
	Errs    fieldErrors
}

func (s *Server) remindPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "催办"); err != nil {
		return err
	}
	rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
	if err != nil {
		return err
	}
	c := rd.Case()
	if err := workflow.Allowed(b.Me, c, workflow.ActRemind, sec); err != nil {
		return err
	}
	v := &remindView{base: b, C: c, Sec: sec, Name: c.SectionName(sec.ID), Text: workflow.DefaultReminder, Reminds: sec.Reminds, Errs: fieldErrors{}}
	b.Title = b.T("催办") + " " + c.SectionPath(sec.ID)
	return s.render(w, b, http.StatusOK, remindContent(v))
}

// remindPost records the reminder (and its messages) once the clerk
// confirmed it on remindPage; a text over the limit comes back to the
// form with what was typed.
func (s *Server) remindPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var text string
	var v *remindView
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "催办") },
		Read: func(p url.Values) (fieldErrors, error) {
			text = strings.TrimSpace(normalizeNewlines(p.Get("text")))
			if n := utf8.RuneCountInString(text); n > workflow.MaxReminder {
				return nil, refuseField("text", b.T("催办内容 %d 字，上限 %d 字", n, workflow.MaxReminder))
			}
			return nil, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			c, err := s.Service.Remind(ctx, b.Me, r.PathValue("id"), r.PathValue("sec"), text)
			if err != nil {
				return "", "", err
			}
			return "/cases/" + c.ID, b.T("已催办") + " " + c.SectionName(r.PathValue("sec")), nil
		},
		// The page is read only when it must be shown again.
		Refused: func(_ workflow.Kind, err error) error {
			rd, sec, lerr := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
			if lerr != nil {
				return lerr
			}
			c := rd.Case()
			v = &remindView{base: b, C: c, Sec: sec, Name: c.SectionName(sec.ID), Text: text, Reminds: sec.Reminds, Errs: fieldErrors{}}
			if fe := (*formError)(nil); errors.As(err, &fe) {
				v.Errs.add(fe.field, fe.msg)
			}
			b.Title = b.T("催办") + " " + c.SectionPath(sec.ID)
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, remindContent(v)) },
	})
}

// outbox is GET /api/outbox: a page of the outbox.
func (s *Server) outbox(r *http.Request, id workflow.Identity) (any, error) {
	q := r.URL.Query()
	limit, err := intParam(r, "limit")
	if err != nil {
		return nil, err
	}
	return s.Service.OutboxPage(r.Context(), id, workflow.OutboxQuery{State: workflow.MessageState(q.Get("state")), Cursor: q.Get("cursor"), Limit: limit})
}

// retryMessage is POST /api/outbox/{batch}/{msg}/retry.
func (s *Server) retryMessage(r *http.Request, id workflow.Identity) (any, error) {
	return s.Service.RetryMessage(r.Context(), id, r.PathValue("batch"), r.PathValue("msg"))
}
