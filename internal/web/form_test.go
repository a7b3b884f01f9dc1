package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestFormPipeline drives post through each of its endings with a form
// whose steps record that they ran, so that a page built on it cannot skip
// a check: who is refused before the body is read, field errors stop before
// the service, refusals show the form again with what was typed, and only
// success redirects.
func TestFormPipeline(t *testing.T) {
	type outcome struct {
		status  int
		errMsg  string // b.Error when the form was shown
		field   string // the field error shown, by name
		flash   string
		to      string
		did     bool // Do ran
		loaded  bool
		failErr bool // post returned an error (the error page)
	}
	cases := []struct {
		name string
		body string
		who  error
		read func(p url.Values, errs fieldErrors) error
		do   func() (string, string, error)
		show bool
		want outcome
	}{
		{name: "a user who may not post it is refused before the body is read",
			who: errors.New("no"), want: outcome{failErr: true}},
		{name: "a field error stops before the service",
			read: func(p url.Values, errs fieldErrors) error { errs.add("title", "标题不能为空"); return nil }, show: true,
			want: outcome{status: 400, errMsg: "请更正标出的项目", field: "title", loaded: true}},
		{name: "the service refuses: the form again with its message",
			do:   func() (string, string, error) { return "", "", workflow.Errorf("t", workflow.Invalid, "期限已过") },
			show: true, want: outcome{status: 400, errMsg: "期限已过", did: true, loaded: true}},
		{name: "someone else changed it: 409, and the page says nothing typed was lost",
			do: func() (string, string, error) {
				return "", "", workflow.Errorf("t", workflow.Conflict, "已被他人修改")
			},
			show: true, want: outcome{status: 409, errMsg: "已被他人修改（kept）", did: true, loaded: true}},
		{name: "a check made while acting goes beside its field",
			do:   func() (string, string, error) { return "", "", refuseField("comment", "退回时须填写意见") },
			show: true, want: outcome{status: 400, errMsg: "请更正标出的项目", field: "comment", did: true, loaded: true}},
		{name: "a fault is the error page, not the form",
			do:   func() (string, string, error) { return "", "", errors.New("disk full") },
			show: true, want: outcome{failErr: true, did: true, loaded: true}},
		{name: "success redirects with its message",
			do:   func() (string, string, error) { return "/cases/1", "已保存", nil },
			show: true, want: outcome{status: 303, to: "/cases/1", flash: "已保存", did: true, loaded: true}},
		{name: "success that has something to show once stays on the page",
			do:   func() (string, string, error) { return "", "已生成链接", nil },
			show: true, want: outcome{status: 200, flash: "已生成链接", did: true, loaded: true}},
		{name: "a preview is shown and saves nothing",
			read: func(url.Values, fieldErrors) error { return errShown }, show: true,
			want: outcome{status: 200, loaded: true}},
		{name: "a button's refusal returns to its page with the message",
			do: func() (string, string, error) {
				return "", "", workflow.Errorf("t", workflow.Conflict, "已被他人修改")
			},
			want: outcome{status: 303, to: "/back", flash: "已被他人修改", did: true, loaded: true}},
		{name: "an oversize body is refused whole",
			body: "text=" + strings.Repeat("x", MaxJSON+1), show: true, want: outcome{failErr: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{}
			body := tc.body
			if body == "" {
				body = "title=typed"
			}
			r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			b := &base{Lang: "zh", srv: s, ctx: context.Background()}
			var got outcome
			errs := fieldErrors{}
			f := form{
				Who:  func() error { return tc.who },
				Load: func(context.Context) error { got.loaded = true; return nil },
				Read: func(p url.Values) (fieldErrors, error) {
					if p.Get("title") != "typed" {
						t.Errorf("Read got %q; want the posted title", p.Get("title"))
					}
					if tc.read != nil {
						return errs, tc.read(p, errs)
					}
					return errs, nil
				},
				Do: func(context.Context) (string, string, error) {
					got.did = true
					if tc.do == nil {
						return "/done", "", nil
					}
					return tc.do()
				},
				Refused: func(k workflow.Kind, err error) error {
					var fe *formError
					if errors.As(err, &fe) {
						errs.add(fe.field, fe.msg)
					}
					return nil
				},
				Kept: "（kept）",
				Back: "/back",
			}
			if tc.show {
				f.Show = func(status int) error {
					got.status, got.errMsg, got.flash = status, b.Error, b.Flash
					for k := range errs {
						got.field = k
					}
					return nil
				}
			}
			if err := s.post(w, r, b, f); err != nil {
				got.failErr = true
			}
			if w.Code == http.StatusSeeOther {
				got.status, got.to = w.Code, w.Header().Get("Location")
				for _, c := range w.Result().Cookies() {
					if c.Name == flashCookie {
						got.flash, _ = url.QueryUnescape(c.Value)
					}
				}
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
