package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/docflow/docflow/internal/workflow"
)

// The pages are templ components (*.templ, compiled to *_templ.go by `make
// generate`): Go code, so no template engine reflects over methods at run
// time, which would keep every exported method of every reachable type in
// each function's binary.
//
// Every component is marked //go:noinline. A component is a small function
// that returns a closure holding all its markup; the compiler inlines such
// a function at each call, and with it a copy of the closure's body, so a
// page rendered from several handlers was in the binary several times
// (0.76 MB of copies in each function).
//go:generate sh -c "go run github.com/a-h/templ/cmd/templ@$(go list -m -f '{{.Version}}' github.com/a-h/templ) generate -path ."

// ui holds the static assets (no front-end build: one stylesheet and one
// small script, both optional for the pages to work).
//
//go:embed ui/static
var ui embed.FS

// Page is one server-rendered HTML route, in the Table of the group whose
// function serves it, as a Route is.
type Page struct {
	Method  string
	Path    string
	Access  Access // who may use it: see Access
	handler pageHandler
}

type pageHandler func(s *Server, w http.ResponseWriter, r *http.Request, b *base) error

// statsAccess: the statistics, the ledger and the follow-up list are the
// office's (clerks, administrators) and its leaders' (approvers of no
// department), as workflow.CanSeeStatistics says.
var statsAccess = Access{Kind: OfficeWide}

// auth hands /auth/* to the session handler (hosted UI sign-in on AWS).
func (s *Server) auth(w http.ResponseWriter, r *http.Request, b *base) error {
	if s.Auth == nil {
		return workflow.Errorf("web.auth", workflow.NotFound, "此部署不使用统一身份认证登录，请从“登录”选择身份")
	}
	s.Auth.ServeHTTP(w, r)
	return nil
}

// mountPages adds pages to mux; local says the local server serves them
// (base.Local). Every page passes through the standard library's
// cross-origin protection: a state-changing request that a browser marks
// as cross-site (Sec-Fetch-Site, or an Origin that is not this host) is
// refused, which is what CSRF tokens would otherwise do for forms
// authenticated by the docflow_user cookie.
func (s *Server) mountPages(mux *http.ServeMux, pages []Page, local bool) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.newBase(w, r)
		s.pageFail(w, r, b, workflow.Errorf("web.csrf", workflow.Forbidden, "跨站提交已被拒绝：请从本站页面提交表单"))
	}))
	for _, p := range pages {
		mux.Handle(p.Method+" "+p.Path, cop.Handler(s.servePage(p.Access, p.handler, local)))
	}
}

// base is what every page shows: who is signed in, the language, the
// flash message carried over a redirect, and the page's own error summary.
type base struct {
	Lang  string // "zh" or "en"
	Me    workflow.Identity
	Title string
	Flash string
	Error string
	Path  string // the request path, for the language switch and login's next
	Now   time.Time
	Local bool // served by the local all-in-one server, which takes uploads directly
	srv   *Server
	ctx   context.Context

	flashSeen bool // the request carried a flash cookie
}

// consumeFlash clears the flash cookie once a page has shown it.
func (b *base) consumeFlash(w http.ResponseWriter) {
	if b.flashSeen {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1})
		b.flashSeen = false
	}
}

// T translates a UI string. Keys are the Chinese text itself, so templates
// read as the default language does; English comes from the catalog and
// falls back to the Chinese when a string has no translation.
func (b *base) T(key string, args ...any) string {
	s := key
	if b.Lang == "en" {
		if e, ok := english[key]; ok {
			s = e
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// HTMLLang is the value of <html lang>.
func (b *base) HTMLLang() string {
	if b.Lang == "en" {
		return "en"
	}
	return "zh-CN"
}

// OtherLang names the language the switch offers.
func (b *base) OtherLang() (code, label string) {
	if b.Lang == "en" {
		return "zh", "中文"
	}
	return "en", "English"
}

// LangURL is this page in the other language.
func (b *base) LangURL() string {
	code, _ := b.OtherLang()
	if strings.Contains(b.Path, "?") { // a page whose query names what it shows (/consult?t=)
		return b.Path + "&lang=" + code
	}
	return b.Path + "?lang=" + code
}

// LangLabel is the label of the language switch.
func (b *base) LangLabel() string {
	_, l := b.OtherLang()
	return l
}

// LoginURL is where the login link goes: the hosted UI's sign-in where
// the server has session auth (AWS), the dev login otherwise.
func (b *base) LoginURL() string { return b.loginPath() + "?next=" + url.QueryEscape(b.Path) }

// LogoutURL is where the logout button posts.
func (b *base) LogoutURL() string {
	if b.srv != nil && b.srv.Auth != nil {
		return "/auth/logout"
	}
	return "/logout"
}

func (b *base) loginPath() string {
	if b.srv != nil && b.srv.Auth != nil {
		return "/auth/login"
	}
	return "/login"
}

// OwnAccount reports whether the user has an account page here: where
// docflow keeps the passwords (the local server), not where the office's
// identity provider does.
func (b *base) OwnAccount() bool { return b.SignedIn() && b.srv != nil && b.srv.Sessions != nil }

// SignedIn reports whether a user is signed in.
func (b *base) SignedIn() bool { return b.Me.User != "" }

// Is reports whether the user has a role.
func (b *base) Is(role string) bool { return b.Me.Has(workflow.Role(role)) }

// Today is midnight today in workflow.Zone.
func (b *base) Today() time.Time {
	y, m, d := b.Now.In(workflow.Zone).Date()
	return workflow.Day(y, m, d)
}

// DaysLeft is due − today in whole days (negative when overdue).
func (b *base) DaysLeft(due time.Time) int {
	if due.IsZero() {
		return 0
	}
	y, m, d := due.In(workflow.Zone).Date()
	return int(workflow.Day(y, m, d).Sub(b.Today()).Hours() / 24)
}

// DaysText says how long is left before due, or how long it is overdue.
func (b *base) DaysText(due time.Time) string {
	n := b.DaysLeft(due)
	switch {
	case n < 0:
		return b.T("逾期 %d 天", -n)
	case n == 0:
		return b.T("今天到期")
	}
	return b.T("剩余 %d 天", n)
}

// StageLabel is a stage's name in the page's language.
func (b *base) StageLabel(st workflow.Stage) string { return b.T(st.Label()) }

// StateLabel is a section state's name in the page's language.
func (b *base) StateLabel(st workflow.SectionState) string { return b.T(st.Label()) }

// UserName resolves a login to a person's name, for signer lists.
func (b *base) UserName(user string) string {
	if b.srv != nil && b.srv.Service != nil && b.srv.Service.Dir != nil {
		if a, err := b.srv.Service.Dir.Account(b.ctx, user); err == nil {
			return a.Name
		}
	}
	return user
}

// cookies
const (
	userCookie  = "docflow_user"
	langCookie  = "docflow_lang"
	flashCookie = "docflow_flash"
)

func (s *Server) newBase(w http.ResponseWriter, r *http.Request) *base {
	b := &base{Lang: "zh", Path: r.URL.Path, srv: s, Now: s.now(), ctx: r.Context()}
	switch q := r.URL.Query().Get("lang"); q {
	case "en", "zh":
		b.Lang = q
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	default:
		if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
			b.Lang = "en"
		}
	}
	id, err := s.Identify(r)
	if err != nil {
		// A cookie naming an account that no longer exists: forget it
		// and carry on as the public.
		http.SetCookie(w, &http.Cookie{Name: userCookie, Value: "", Path: "/", MaxAge: -1})
		id = workflow.Anonymous
	}
	b.Me = id
	if c, err := r.Cookie(flashCookie); err == nil {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			b.Flash = v
		}
		// Cleared by render only: a preview fetched or a file loaded
		// meanwhile must not eat the message meant for the page.
		b.flashSeen = true
	}
	return b
}

func (s *Server) now() time.Time {
	if s.Service != nil && s.Service.Now != nil {
		return s.Service.Now()
	}
	return time.Now()
}

func (s *Server) servePage(a Access, h pageHandler, local bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.newBase(w, r)
		b.Local = local
		h2 := w.Header()
		h2.Set("X-Content-Type-Options", "nosniff")
		h2.Set("Referrer-Policy", "same-origin")
		h2.Set("X-Frame-Options", "SAMEORIGIN")
		err := a.check(b.Me)
		if err == nil {
			err = h(s, w, r, b)
		}
		if err != nil {
			s.pageFail(w, r, b, err)
		}
	})
}

// pageCSP allows nothing but this site's own files; the notice pages carry
// their own inline stylesheet, so printPolicy allows inline styles.
const (
	pageCSP     = "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
	printPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
)

// render writes a page: content inside the layout.
func (s *Server) render(w http.ResponseWriter, b *base, status int, content templ.Component) error {
	var buf strings.Builder
	if err := layout(b, content).Render(context.Background(), &buf); err != nil {
		return fmt.Errorf("web: render page %q: %w", b.Path, err)
	}
	b.consumeFlash(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if w.Header().Get("Content-Security-Policy") == "" { // a page may widen it (uploadPage)
		w.Header().Set("Content-Security-Policy", pageCSP)
	}
	w.WriteHeader(status)
	if _, err := io.WriteString(w, buf.String()); err != nil {
		s.Log.Debug("write page", "err", err)
	}
	return nil
}

// redirect ends a successful POST (post/redirect/get) with a message for
// the next page.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) error {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", MaxAge: 120, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// errorView is the page for a refused or failed request. Kept holds what
// the user had typed, so nothing is lost even when the form cannot be shown
// again.
type errorView struct {
	*base
	Status  int
	Heading string
	Message string
	Kept    []keptField
	Back    string
}

type keptField struct{ Name, Value string }

// technical form fields that are not worth showing back.
var hiddenFields = []string{"rev", "sum", "version", "action", "hash", "source", "next"}

var pageStatus = map[workflow.Kind]struct {
	status  int
	heading string
}{
	workflow.Invalid:   {http.StatusBadRequest, "请求有误"},
	workflow.Forbidden: {http.StatusForbidden, "无权操作"},
	workflow.NotFound:  {http.StatusNotFound, "未找到"},
	workflow.Conflict:  {http.StatusConflict, "内容已被他人修改"},
}

// pageFail shows err as a page. As in fail, only internal errors are
// logged and their details never reach the user.
func (s *Server) pageFail(w http.ResponseWriter, r *http.Request, b *base, err error) {
	if errors.Is(err, errUnauthenticated) {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, b.loginPath()+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
	}
	v := &errorView{base: b, Back: r.Referer()}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		v.Status, v.Heading, v.Message = http.StatusRequestEntityTooLarge, b.T("请求过大"), b.T("提交的内容超过 %d 字节的上限", tooBig.Limit)
	case errors.Is(err, errUnauthenticated):
		v.Status, v.Heading, v.Message = http.StatusUnauthorized, b.T("请先登录"), b.T("请先选择身份登录，再提交")
	default:
		k := workflow.KindOf(err)
		if ps, ok := pageStatus[k]; ok {
			v.Status, v.Heading, v.Message = ps.status, b.T(ps.heading), workflow.Message(err)
		} else {
			v.Status, v.Heading, v.Message = http.StatusInternalServerError, b.T("系统内部错误"), b.T("系统内部错误，请稍后重试；如反复出现请联系管理员")
			s.Log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	if r.PostForm != nil {
		for name, vals := range r.PostForm {
			if slices.Contains(hiddenFields, name) {
				continue
			}
			for _, val := range vals {
				if strings.TrimSpace(val) != "" {
					v.Kept = append(v.Kept, keptField{name, val})
				}
			}
		}
		slices.SortFunc(v.Kept, func(a, b keptField) int { return strings.Compare(a.Name, b.Name) })
	}
	b.Title = v.Heading
	if rerr := s.render(w, b, v.Status, errorContent(v)); rerr != nil {
		s.Log.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, v.Message, v.Status)
	}
}

// needUser refuses the public.
func needUser(b *base) error {
	if !b.SignedIn() {
		return fmt.Errorf("page needs a user: %w", errUnauthenticated)
	}
	return nil
}

// parseForm reads a url-encoded form, within MaxJSON.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxJSON)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return &workflow.Error{Op: "web.parseForm", Kind: workflow.Invalid, Msg: "表单内容无法读取", Err: err}
	}
	return nil
}

// fieldErrors are messages shown beside form fields, by field name.
type fieldErrors map[string]string

func (fe fieldErrors) add(field, msg string) {
	if _, ok := fe[field]; !ok {
		fe[field] = msg
	}
}

// Formats the pages use for times and hashes.

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workflow.Zone).Format("2006-01-02")
}

func datecn(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return workflow.DateCN(t)
}

func datetime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workflow.Zone).Format("2006-01-02 15:04")
}

func clock(t time.Time) string   { return t.In(workflow.Zone).Format("15:04:05") }
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// short is the first 12 characters of a hash, enough to tell versions apart.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func itoa(n int) string { return strconv.Itoa(n) }

// seq is 1, 2, …, n.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// pick is a if cond, else b: for class names that depend on a state.
func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// waiting names, in brackets after prefix, the signers a step waits for;
// nothing when it waits for no one.
func (b *base) waiting(users []string, prefix string) string {
	if len(users) == 0 {
		return ""
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = b.UserName(u)
	}
	return "（" + prefix + strings.Join(names, "、") + "）"
}

// static serves the stylesheet and script.
func (s *Server) static(w http.ResponseWriter, r *http.Request, b *base) error {
	name := r.PathValue("name")
	data, err := fs.ReadFile(ui, "ui/static/"+name)
	if err != nil || strings.Contains(name, "/") {
		return workflow.Errorf("web.static", workflow.NotFound, "没有文件 %s", name)
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(data)
	return nil
}
