package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// setupView is the first page of a new installation: the office's names
// and the first administrator.
type setupView struct {
	*base
	Token                       string
	Org, OrgShort, Mark, Series string
	Office                      string
	Departments                 string // one a line
	User, Name, Title           string
	Errs                        fieldErrors
}

func (s *Server) checkSetup(r *http.Request) error {
	const op = "web.setup"
	if s.SetupToken == "" || s.Proofs == nil || subtle.ConstantTimeCompare([]byte(r.FormValue("token")), []byte(s.SetupToken)) != 1 {
		return workflow.Errorf(op, workflow.NotFound, "设置链接无效或已用过：请使用 docflow 启动时显示的链接")
	}
	if _, err := s.Service.Dir.Office(r.Context()); err == nil {
		return workflow.Errorf(op, workflow.NotFound, "本系统已完成初始设置")
	}
	return nil
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := s.checkSetup(r); err != nil {
		return err
	}
	seed, err := templates.Office(templates.FS)
	if err != nil {
		return err
	}
	p := seed.Profile
	v := &setupView{base: b, Token: r.FormValue("token"), Org: p.Org, OrgShort: p.OrgShort, Mark: p.Mark, Series: p.Series,
		Office: p.Office, Departments: strings.Join(p.Departments, "\n"), Errs: fieldErrors{}}
	b.Title = b.T("初始设置")
	return s.render(w, b, http.StatusOK, setupContent(v))
}

// setupPost creates the office from the form over the seed, and the first
// administrator with the password given, and signs them in.
func (s *Server) setupPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *setupView
	var seed workflow.Office
	var pw string
	return s.post(w, r, b, form{
		Load: func(context.Context) (err error) {
			if err := s.checkSetup(r); err != nil {
				return err
			}
			b.Title = b.T("初始设置")
			seed, err = templates.Office(templates.FS)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			v = &setupView{base: b, Token: f.Get("token"), Org: strings.TrimSpace(f.Get("org")), OrgShort: strings.TrimSpace(f.Get("orgShort")),
				Mark: strings.TrimSpace(f.Get("mark")), Series: strings.TrimSpace(f.Get("series")), Office: strings.TrimSpace(f.Get("office")),
				Departments: f.Get("departments"), User: strings.TrimSpace(f.Get("user")), Name: strings.TrimSpace(f.Get("name")),
				Title: strings.TrimSpace(f.Get("title")), Errs: fieldErrors{}}
			seed.Profile.Org, seed.Profile.OrgShort, seed.Profile.Mark, seed.Profile.Office = v.Org, v.OrgShort, v.Mark, v.Office
			seed.Profile.Series, seed.Series = v.Series, []string{v.Series}
			seed.Profile.Departments = splitLines(v.Departments)
			// The seed's chain names the seed's people; a new office names its own.
			for i := range seed.Profile.Chain {
				seed.Profile.Chain[i].Signers = nil
			}
			pw = f.Get("password")
			if err := s.Proofs.Rules(pw); err != nil {
				v.Errs.add("password", err.Error())
			} else if pw != f.Get("password2") {
				v.Errs.add("password2", b.T("两次输入的密码不一致"))
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			hash, err := s.Proofs.Hash(pw)
			if err != nil {
				return "", "", err
			}
			_, admin, err := s.Service.Setup(ctx, seed, workflow.Account{User: v.User, Name: v.Name, Title: v.Title, Roles: []workflow.Role{workflow.Admin}})
			if err != nil {
				return "", "", err
			}
			if admin, err = s.Service.SetCredentials(ctx, admin.Identity(), admin.User, workflow.Credentials{Password: &hash}, "初始设置：设置管理员密码"); err != nil {
				return "", "", err
			}
			s.SetupToken = "" // one use
			if err := s.startSession(w, r, admin, "password"); err != nil {
				return "", "", err
			}
			return "/", b.T("初始设置完成：请在“管理”中完善单位信息、部门和账号"), nil
		},
		Show: func(status int) error { return s.render(w, b, status, setupContent(v)) },
	})
}

// splitLines splits a text area into its non-empty trimmed lines.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// accountView is a person's own account: password, sessions and tokens.
type accountView struct {
	*base
	A        *workflow.Account
	Sessions []workflow.Session
	NewToken *Token // shown once, right after it was made
	Enroll   *enrollView
	// NeedTOTP: the office requires a second factor of approvers and
	// this approver has none yet.
	NeedTOTP bool
	Errs     fieldErrors
}

// enrollView is a new second factor being set up: the secret as a QR code
// and as text, until the person proves it with a code.
type enrollView struct {
	Secret, URL, QR string
}

func (s *Server) newAccountView(r *http.Request, b *base) (*accountView, error) {
	if err := needUser(b); err != nil {
		return nil, err
	}
	if s.Sessions == nil || s.Proofs == nil {
		return nil, workflow.Errorf("web.account", workflow.NotFound, "此部署的账号由统一身份认证管理")
	}
	a, err := s.Service.Dir.Account(r.Context(), b.Me.User)
	if err != nil {
		return nil, err
	}
	all, err := s.Sessions.UserSessions(r.Context(), b.Me.User)
	if err != nil {
		return nil, err
	}
	b.Title = b.T("我的账号")
	v := &accountView{base: b, A: a, Sessions: all, Errs: fieldErrors{}}
	if a.Has(workflow.Approver) && a.TOTP == "" {
		if o, err := s.Service.Office(r.Context()); err == nil && o.Policy.SecondFactor {
			v.NeedTOTP = true
		}
	}
	return v, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, b *base) error {
	v, err := s.newAccountView(r, b)
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, accountContent(v))
}

// accountPost changes one's password (the old one proves it is them), signs
// out everywhere, makes an API token or revokes one, by the form's action.
func (s *Server) accountPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *accountView
	var action, pw, secret string
	return s.post(w, r, b, form{
		Load: func(context.Context) (err error) {
			v, err = s.newAccountView(r, b)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			switch action = f.Get("action"); action {
			case "password":
				if v.A.Password == "" || !s.Proofs.Check(v.A.Password, f.Get("old")) {
					v.Errs.add("old", b.T("原密码不正确"))
				}
				pw = f.Get("new")
				if err := s.Proofs.Rules(pw); err != nil {
					v.Errs.add("new", err.Error())
				} else if pw != f.Get("new2") {
					v.Errs.add("new2", b.T("两次输入的密码不一致"))
				}
			case "totp-begin", "totp-confirm":
				if v.A.TOTP != "" {
					return nil, workflow.Errorf("web.account", workflow.Conflict, "您已设置动态口令；如需更换（如手机丢失），请联系管理员清除后重新设置")
				}
				if action == "totp-begin" {
					break
				}
				secret = strings.TrimSpace(f.Get("secret"))
				e, err := s.enroll(s.issuer(r.Context()), v.A.User, secret)
				if err != nil {
					return nil, err
				}
				if !s.Proofs.Validate(f.Get("code"), secret) {
					v.Enroll = e
					v.Errs.add("code", b.T("动态口令不正确：请输入验证器上当前显示的 6 位数字"))
				}
			case "logout-all", "token", "revoke":
			default:
				return nil, workflow.Errorf("web.account", workflow.Invalid, "未知的操作")
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			return s.accountAction(w, r, b, v, action, pw, secret)
		},
		Refused: func(workflow.Kind, error) error {
			if action == "token" {
				v.Errs.add("name", b.Error)
				b.Error = b.T("请更正标出的项目")
			}
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, accountContent(v)) },
	})
}

// issuer names the office in authenticator apps.
func (s *Server) issuer(ctx context.Context) string {
	if o, err := s.Service.Office(ctx); err == nil {
		return o.Profile.Org
	}
	return "docflow"
}

// accountAction does what the account form's action asks, once its
// fields were checked. Two actions stay on the page to show, once, what
// they made (the enrolment's QR code, a token's secret): they return no
// place to go.
func (s *Server) accountAction(w http.ResponseWriter, r *http.Request, b *base, v *accountView, action, pw, secret string) (string, string, error) {
	ctx, f := r.Context(), r.PostForm
	switch action {
	case "password":
		hash, err := s.Proofs.Hash(pw)
		if err != nil {
			return "", "", err
		}
		if _, err := s.Service.SetCredentials(ctx, b.Me, b.Me.User, workflow.Credentials{Password: &hash}, "本人修改密码"); err != nil {
			return "", "", err
		}
		// A changed password ends every other sign-in.
		if err := s.Sessions.DeleteSessions(ctx, b.Me.User); err != nil {
			return "", "", err
		}
		a, err := s.Service.Dir.Account(ctx, b.Me.User)
		if err != nil {
			return "", "", err
		}
		if err := s.startSession(w, r, a, "password"); err != nil {
			return "", "", err
		}
		return "/account", b.T("密码已修改；其他设备上的登录已退出"), nil
	case "totp-begin":
		e, err := s.enroll(s.issuer(ctx), v.A.User, "")
		v.Enroll = e
		return "", "", err
	case "totp-confirm":
		if _, err := s.Service.SetCredentials(ctx, b.Me, b.Me.User, workflow.Credentials{TOTP: &secret}, "本人设置动态口令"); err != nil {
			return "", "", err
		}
		// The code just given proves this sign-in too.
		if err := s.proveSession(r, "password+totp"); err != nil {
			return "", "", err
		}
		return "/account", b.T("动态口令已设置：此后登录须输入验证器上的 6 位数字"), nil
	case "logout-all":
		if err := s.Sessions.DeleteSessions(ctx, b.Me.User); err != nil {
			return "", "", err
		}
		s.endSession(w, r)
		return "/login", b.T("已在所有设备上退出，令牌也已作废"), nil
	case "token":
		days, _ := strconv.Atoi(f.Get("days"))
		t, err := s.newToken(ctx, b.Me, f.Get("name"), days)
		if err != nil {
			return "", "", err
		}
		// The secret is shown on this page once; it is not kept.
		nv, err := s.newAccountView(r, b)
		if err != nil {
			return "", "", err
		}
		*v = *nv
		v.NewToken = t
		return "", b.T("令牌已生成：请立即复制保存，离开本页后将无法再次查看"), nil
	}
	// revoke
	id := f.Get("id")
	found := false
	for _, ss := range v.Sessions {
		found = found || ss.ID == id
	}
	if !found {
		return "", "", workflow.Errorf("web.account", workflow.NotFound, "没有这个会话或令牌")
	}
	if err := s.Sessions.DeleteSession(ctx, b.Me.User, id); err != nil {
		return "", "", err
	}
	return "/account", b.T("已作废"), nil
}

// tokens answers the API for one's own tokens: GET lists them (without
// secrets), POST {name, days} makes one and answers its secret once.
func (s *Server) tokens(r *http.Request, id workflow.Identity) (any, error) {
	if s.Sessions == nil {
		return nil, workflow.Errorf("web.tokens", workflow.NotFound, "此部署的令牌由统一身份认证管理")
	}
	if id.User == "" {
		return nil, errUnauthenticated
	}
	if r.Method == http.MethodPost {
		var in struct {
			Name string `json:"name"`
			Days int    `json:"days"`
		}
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		t, err := s.newToken(r.Context(), id, in.Name, in.Days)
		if err != nil {
			return nil, err
		}
		return created{t}, nil
	}
	all, err := s.Sessions.UserSessions(r.Context(), id.User)
	if err != nil {
		return nil, err
	}
	out := []workflow.Session{}
	for _, ss := range all {
		if ss.Kind == workflow.SessionToken {
			out = append(out, ss)
		}
	}
	return out, nil
}

func (s *Server) revokeToken(r *http.Request, id workflow.Identity) (any, error) {
	if s.Sessions == nil || id.User == "" {
		return nil, errUnauthenticated
	}
	tid := r.PathValue("tid")
	if _, err := s.Sessions.Session(r.Context(), id.User, tid); err != nil {
		return nil, err
	}
	return struct{}{}, s.Sessions.DeleteSession(r.Context(), id.User, tid)
}

// enroll shows a second factor's secret (a new one if secret is "") with
// its QR code.
func (s *Server) enroll(issuer, user, secret string) (*enrollView, error) {
	key, url, qr, err := s.Proofs.Enroll(issuer, user, secret)
	if err != nil {
		if secret != "" {
			return nil, &workflow.Error{Op: "web.totp", Kind: workflow.Invalid, Msg: "动态口令的密钥无效：请重新开始设置", Err: err}
		}
		return nil, err
	}
	return &enrollView{Secret: key, URL: url, QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(qr)}, nil
}
