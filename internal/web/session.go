package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// How long a sign-in lasts, and how long it may sit unused.
const (
	SessionLife = 12 * time.Hour
	SessionIdle = 2 * time.Hour
	// TokenLife bounds an API token's life; a script asks for less.
	TokenLife = 366 * 24 * time.Hour
	// touchEvery is how stale a session's Seen may grow before a request
	// writes it again: most requests then write nothing.
	touchEvery = time.Minute
)

// Failed sign-ins: an account is locked for lockFor after lockAfter in a
// row, and one address may try at most attempts times a window.
const (
	lockAfter = 5
	lockFor   = 15 * time.Minute
	attempts  = 20
	window    = 10 * time.Minute
)

const sessionCookie = "docflow_session"

// newSecret returns a random secret for a session or token and the ID the
// store keeps (its SHA-256).
func newSecret() (secret, id string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("session secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, secretID(secret), nil
}

func secretID(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// credential splits "user.secret", the form of a session cookie and an API
// token.
func credential(s string) (user, secret string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// SessionIdentity identifies a caller by an API token (Authorization:
// Bearer user.secret) or the session cookie a password sign-in set, against
// Server.Sessions and the office's accounts. Neither means the public; a
// stale or forged one is refused.
func (s *Server) SessionIdentity(r *http.Request) (workflow.Identity, error) {
	kind, cred := workflow.SessionBrowser, ""
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return workflow.Identity{}, fmt.Errorf("authorization is not a bearer token: %w", errUnauthenticated)
		}
		kind, cred = workflow.SessionToken, strings.TrimSpace(t)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		cred = c.Value
	}
	if cred == "" {
		return workflow.Anonymous, nil
	}
	user, secret, ok := credential(cred)
	if !ok {
		return workflow.Identity{}, fmt.Errorf("malformed credential: %w", errUnauthenticated)
	}
	ctx := r.Context()
	ss, err := s.Sessions.Session(ctx, user, secretID(secret))
	if workflow.KindOf(err) == workflow.NotFound {
		return workflow.Identity{}, fmt.Errorf("no such session of %s: %w", user, errUnauthenticated)
	}
	if err != nil {
		return workflow.Identity{}, err
	}
	now := s.now()
	switch {
	case ss.Kind != kind:
		return workflow.Identity{}, fmt.Errorf("a %s used as a %s: %w", ss.Kind, kind, errUnauthenticated)
	case !now.Before(ss.Expires), kind == workflow.SessionBrowser && now.Sub(ss.Seen) > SessionIdle:
		s.Sessions.DeleteSession(ctx, user, ss.ID)
		return workflow.Identity{}, fmt.Errorf("session of %s expired: %w", user, errUnauthenticated)
	}
	a, err := s.Service.Dir.Account(ctx, user)
	if workflow.KindOf(err) == workflow.NotFound || err == nil && a.Disabled {
		return workflow.Identity{}, fmt.Errorf("account %s gone or disabled: %w", user, errUnauthenticated)
	}
	if err != nil {
		return workflow.Identity{}, err
	}
	if now.Sub(ss.Seen) > touchEvery {
		ss.Seen = now
		if err := s.Sessions.SaveSession(ctx, ss); err != nil {
			return workflow.Identity{}, err
		}
	}
	id := a.Identity()
	if a.Has(workflow.Approver) && !strings.Contains(ss.Factors, "totp") {
		// Where the office requires a second factor of approvers, a sign-in
		// (or a token) without the code keeps the person's other roles
		// but cannot sign.
		o, err := s.Service.Office(ctx)
		if err != nil {
			return workflow.Identity{}, err
		}
		if o.Policy.SecondFactor {
			id.Roles = slices.DeleteFunc(id.Roles, func(r workflow.Role) bool { return r == workflow.Approver })
		}
	}
	return id, nil
}

// startSession signs a proved account in: a new session, and the cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, a *workflow.Account, factors string) error {
	secret, id, err := newSecret()
	if err != nil {
		return err
	}
	now := s.now()
	ss := &workflow.Session{ID: id, User: a.User, Kind: workflow.SessionBrowser, Created: now, Seen: now, Expires: now.Add(SessionLife), Factors: factors}
	if err := s.Sessions.SaveSession(r.Context(), ss); err != nil {
		return err
	}
	if err := s.prune(r.Context(), a.User); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: a.User + "." + secret, Path: "/", Expires: ss.Expires,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// prune keeps a user's sessions and tokens under workflow.MaxSessions,
// removing the expired and then the oldest.
func (s *Server) prune(ctx context.Context, user string) error {
	all, err := s.Sessions.UserSessions(ctx, user)
	if err != nil {
		return err
	}
	now := s.now()
	slices.SortFunc(all, func(a, b workflow.Session) int { return a.Created.Compare(b.Created) })
	for i, ss := range all {
		if ss.Expires.Before(now) || len(all)-i > workflow.MaxSessions {
			if err := s.Sessions.DeleteSession(ctx, user, ss.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// secure reports whether the browser reached us over TLS (directly or
// through a proxy that says so): the cookie is then sent only over TLS.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// endSession signs the request's browser session out.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if user, secret, ok := credential(c.Value); ok {
			s.Sessions.DeleteSession(r.Context(), user, secretID(secret))
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

// signIn checks a password sign-in and answers with the account, or with a
// refusal that says no more than it must: a wrong login and a wrong
// password read the same. Failures count against the account (locked
// after lockAfter in a row) and the client's address (limiter).
func (s *Server) signIn(ctx context.Context, r *http.Request, user, pw, code string) (*workflow.Account, string, error) {
	const op = "web.signIn"
	if s.Proofs == nil {
		return nil, "", workflow.Errorf(op, workflow.NotFound, "此部署通过统一身份认证登录")
	}
	if !s.limiter.allow(clientAddr(r), s.now()) {
		return nil, "", workflow.Errorf(op, workflow.Forbidden, "登录尝试过于频繁，请 %d 分钟后再试", int(window.Minutes()))
	}
	refused := workflow.Errorf(op, workflow.Forbidden, "账号或密码不正确")
	a, err := s.Service.Dir.Account(ctx, user)
	if workflow.KindOf(err) == workflow.NotFound {
		s.Proofs.Waste(pw)
		return nil, "", refused
	}
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	switch {
	case a.Disabled:
		s.Proofs.Waste(pw)
		return nil, "", refused
	case now.Before(a.Locked):
		return nil, "", workflow.Errorf(op, workflow.Forbidden, "连续 %d 次登录失败，账号已锁定至 %s，请稍后再试或联系管理员", lockAfter, a.Locked.In(workflow.Zone).Format("15:04"))
	case a.Password == "":
		s.Proofs.Waste(pw)
		return nil, "", workflow.Errorf(op, workflow.Forbidden, "此账号尚未设置密码：请联系管理员重置密码，或通过单位统一身份认证登录")
	}
	ok := s.Proofs.Check(a.Password, pw)
	factors := "password"
	if ok && a.TOTP != "" {
		ok = s.Proofs.Validate(code, a.TOTP)
		factors = "password+totp"
		if !ok && code == "" {
			return nil, "", workflow.Errorf(op, workflow.Forbidden, "请输入动态口令（验证器上的 6 位数字）")
		}
	}
	if !ok {
		failed := a.Failed + 1
		cred := workflow.Credentials{Failed: &failed}
		detail := fmt.Sprintf("登录失败（第 %d 次）", failed)
		if failed >= lockAfter {
			until := now.Add(lockFor)
			zero := 0
			cred.Locked, cred.Failed = &until, &zero
			detail += fmt.Sprintf("，账号锁定至 %s", until.In(workflow.Zone).Format("15:04"))
		}
		if _, err := s.Service.SetCredentials(ctx, workflow.Identity{User: a.User, Name: a.Name}, a.User, cred, detail); err != nil {
			return nil, "", err
		}
		return nil, "", refused
	}
	if a.Failed > 0 {
		zero := 0
		if a, err = s.Service.SetCredentials(ctx, a.Identity(), a.User, workflow.Credentials{Failed: &zero}, "登录成功，失败计数清零"); err != nil {
			return nil, "", err
		}
	}
	return a, factors, nil
}

// limiter counts sign-in attempts per client address in fixed windows.
// It lives in memory: one process serves one machine's sign-ins.
type limiter struct {
	mu    sync.Mutex
	start time.Time
	seen  map[string]int
}

func (l *limiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) > window || l.seen == nil {
		l.start, l.seen = now, map[string]int{}
	}
	l.seen[addr]++
	return l.seen[addr] <= attempts
}

// clientAddr is the address a request came from (without the port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Token is an API token as created: its secret is shown this once.
type Token struct {
	Token   string    `json:"token"` // user.secret, for Authorization: Bearer
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Expires time.Time `json:"expires"`
}

// newToken makes an API token for id, named name, valid for days.
func (s *Server) newToken(ctx context.Context, id workflow.Identity, name string, days int) (*Token, error) {
	const op = "web.newToken"
	name = strings.TrimSpace(name)
	switch {
	case name == "" || len([]rune(name)) > 60:
		return nil, workflow.Errorf(op, workflow.Invalid, "请为令牌起一个 1–60 字的名称（说明谁、用于什么）")
	case days < 1 || days > int(TokenLife/(24*time.Hour)):
		return nil, workflow.Errorf(op, workflow.Invalid, "令牌有效期须为 1–%d 天", int(TokenLife/(24*time.Hour)))
	}
	secret, sid, err := newSecret()
	if err != nil {
		return nil, err
	}
	now := s.now()
	ss := &workflow.Session{ID: sid, User: id.User, Kind: workflow.SessionToken, Name: name, Created: now, Seen: now,
		Expires: now.AddDate(0, 0, days), Factors: "token"}
	if err := s.Sessions.SaveSession(ctx, ss); err != nil {
		return nil, err
	}
	if err := s.prune(ctx, id.User); err != nil {
		return nil, err
	}
	return &Token{Token: id.User + "." + secret, ID: sid, Name: name, Expires: ss.Expires}, nil
}

// proveSession records that the request's browser session was proved with
// factors (a second factor set up during it).
func (s *Server) proveSession(r *http.Request, factors string) error {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	user, secret, ok := credential(c.Value)
	if !ok {
		return nil
	}
	ss, err := s.Sessions.Session(r.Context(), user, secretID(secret))
	if err != nil {
		return nil // not a password session (-dev): nothing to upgrade
	}
	ss.Factors = factors
	return s.Sessions.SaveSession(r.Context(), ss)
}
