// Package signin signs browsers in with the office's OpenID Connect
// provider — a government unified identity platform, Keycloak, Authing,
// Cognito: any issuer — by the authorization code flow with PKCE, state
// and nonce, and maps the ID token's claims to a docflow identity.
//
// The protocol is github.com/coreos/go-oidc (discovery, ID token
// verification) and golang.org/x/oauth2 (the authorization request, PKCE,
// the code exchange). What is docflow's own is the claim mapping
// (claims.go) and how the provider's keys are fetched (keys.go: one fetch
// at a time, backing off while the provider fails).
//
// Begin and Finish are the flow for any session store: Finish returns the
// identity and the caller keeps it. Handler and Identify are the session
// the Lambda functions use, having no server-side state: a cookie holding
// the ID token itself, verified on every request.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/docflow/docflow/internal/workflow"
)

// Cookie names. The session cookie holds the ID token (Handler, Identify);
// the login cookie carries state, nonce, PKCE verifier and the page to
// return to from Begin to Finish.
const (
	SessionCookie = "docflow_session"
	loginCookie   = "docflow_login"
)

const loginTTL = 10 * time.Minute // how long a started sign-in may take

// Config describes the identity provider and this site's client at it.
type Config struct {
	// Issuer is the provider's issuer URL, exactly as its ID tokens name it
	// (iss), a trailing slash included if they have one. Its endpoints and
	// keys are discovered from Issuer/.well-known/openid-configuration.
	Issuer string
	// ClientID is this site's client at the provider: the ID token's aud.
	ClientID string
	// ClientSecret is empty for a public client, which PKCE alone protects
	// (the usual choice; Cognito's app client and Keycloak's public client).
	ClientSecret string
	// RedirectURL is this site's callback, e.g.
	// https://docflow.example.gov.cn/auth/callback, registered with the
	// provider as a redirect URI of the client.
	RedirectURL string
	// Scopes are requested beside openid; none asks for profile.
	Scopes []string
	// Claims says which claims name the user, department, title and roles;
	// the zero value is DefaultClaims.
	Claims ClaimMap
	// LogoutURL is where signing out sends the browser once the session is
	// forgotten here, e.g. Cognito's /logout with client_id and logout_uri.
	// Empty: the provider's end_session_endpoint if it has one (OpenID
	// Connect RP-initiated logout), else the site's root.
	LogoutURL string

	HTTP *http.Client     // for the provider's endpoints; nil: a client with a 10 s timeout
	Now  func() time.Time // nil: time.Now
	Log  *slog.Logger     // nil: discard
}

// Provider signs users in with one identity provider. Build one with New;
// it is safe for concurrent use.
type Provider struct {
	c      Config
	root   string // the site's root URL, where sign-out returns
	path   string // the login cookie's path: where the callback is
	secure bool   // cookies are Secure: the site is served over https
	meta   flight[*discovered]
}

// discovered is what the provider's metadata gives.
type discovered struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	keys       *keySet
	endSession string
}

// New checks c and returns a Provider. It does no network I/O: the
// provider's metadata and keys are fetched when first needed.
func New(c Config) (*Provider, error) {
	var errs []error
	if err := checkURL(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("signin: issuer: %w", err))
	}
	if err := checkURL(c.RedirectURL); err != nil {
		errs = append(errs, fmt.Errorf("signin: redirect URL: %w", err))
	}
	if c.LogoutURL != "" {
		if u, err := url.Parse(c.LogoutURL); err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Errorf("signin: logout URL %q is not an absolute URL", c.LogoutURL))
		}
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("signin: client ID is empty: register docflow as a client at the identity provider and give its ID"))
	}
	if c.Claims.isZero() {
		c.Claims = DefaultClaims
	}
	if err := c.Claims.check(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.Scopes = slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool { return s == oidc.ScopeOpenID }) // always asked for
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"profile"}
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: fetchTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	redirect, _ := url.Parse(c.RedirectURL)
	root := *redirect
	root.Path, root.RawPath = "/", ""
	dir := strings.TrimSuffix(path.Dir(redirect.Path), "/") + "/"
	return &Provider{c: c, root: root.String(), path: dir, secure: redirect.Scheme == "https"}, nil
}

// checkURL accepts https URLs, and http ones on this machine (a local
// identity provider for a local server).
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q is not an absolute URL without query", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q: use https (plain http only on this machine: localhost, 127.0.0.1)", s)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// discover returns the provider's endpoints and a verifier for its ID
// tokens, fetching the metadata the first time (one fetch for all
// callers, backing off while it fails).
func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	return p.meta.get(ctx, p.c.Now(), func(ctx context.Context) (*discovered, error) {
		prov, err := oidc.NewProvider(oidc.ClientContext(ctx, p.c.HTTP), p.c.Issuer)
		if err != nil {
			return nil, fmt.Errorf("discover %s: %w", p.c.Issuer, err)
		}
		var meta struct {
			JWKS       string   `json:"jwks_uri"`
			EndSession string   `json:"end_session_endpoint"`
			Algs       []string `json:"id_token_signing_alg_values_supported"`
		}
		if err := prov.Claims(&meta); err != nil || meta.JWKS == "" {
			return nil, fmt.Errorf("discover %s: no jwks_uri in its metadata (%v)", p.c.Issuer, err)
		}
		var algs []string
		for _, a := range meta.Algs {
			for _, s := range signingAlgs {
				if a == string(s) {
					algs = append(algs, a)
				}
			}
		}
		if len(algs) == 0 {
			algs = []string{oidc.RS256} // the one every provider must offer
		}
		ep := prov.Endpoint()
		ep.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic, the OpenID Connect default
		if p.c.ClientSecret == "" {
			ep.AuthStyle = oauth2.AuthStyleInParams // a public client sends only its client_id
		}
		keys := newKeySet(meta.JWKS, p.c.HTTP, p.c.Now)
		return &discovered{
			oauth: oauth2.Config{ClientID: p.c.ClientID, ClientSecret: p.c.ClientSecret, Endpoint: ep,
				RedirectURL: p.c.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, p.c.Scopes...)},
			verifier:   oidc.NewVerifier(p.c.Issuer, keys, &oidc.Config{ClientID: p.c.ClientID, SupportedSigningAlgs: algs, Now: p.c.Now}),
			keys:       keys,
			endSession: meta.EndSession,
		}, nil
	})
}

// Begin starts a sign-in: it sends the browser to the provider's
// authorization endpoint with a fresh state, nonce and PKCE challenge,
// which it keeps, with next (a path on this site to return to), in a
// short-lived cookie for Finish. It writes nothing and returns an *Error
// when the provider cannot be reached.
func (p *Provider) Begin(w http.ResponseWriter, r *http.Request, next string) error {
	d, err := p.discover(r.Context())
	if err != nil {
		return &Error{Status: http.StatusBadGateway, Message: "无法连接身份认证服务，请稍后重试。", Err: err}
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	val := strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(SafeNext(next)))}, ".")
	http.SetCookie(w, p.cookie(loginCookie, val, p.path, int(loginTTL/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, d.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	return nil
}

// Result is a finished sign-in.
type Result struct {
	Identity workflow.Identity
	Claims   map[string]any // all of the ID token's claims
	IDToken  string         // the ID token as issued (a cookie session; id_token_hint at sign-out)
	Expiry   time.Time      // when the ID token expires
	Next     string         // the path on this site the user was going to; "/" if none
}

// Error is a sign-in that failed: Status and Message (Chinese, for the
// person at the browser) for the answer, Err for the log.
type Error struct {
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string { return "sign-in: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Finish completes the sign-in at the callback: the state must match the
// login cookie Begin set in this browser, the code is exchanged with the
// PKCE verifier, and the ID token must verify (signature by the provider's
// keys, issuer, audience, expiry, and the nonce Begin sent) and name a
// user. It clears the login cookie and returns an *Error on failure.
func (p *Provider) Finish(w http.ResponseWriter, r *http.Request) (*Result, error) {
	http.SetCookie(w, p.cookie(loginCookie, "", p.path, -1))
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, &Error{Status: http.StatusBadRequest, Message: "登录未完成：身份认证服务拒绝了此次登录（" + e + "）。请重新登录。",
			Err: fmt.Errorf("provider refused: %s: %s", e, q.Get("error_description"))}
	}
	var parts []string
	if ck, err := r.Cookie(loginCookie); err == nil {
		parts = strings.Split(ck.Value, ".")
	}
	state := q.Get("state")
	if len(parts) != 4 || state == "" || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(state)) != 1 {
		return nil, &Error{Status: http.StatusBadRequest, Message: "登录状态校验失败：此登录回调与本浏览器发起的登录不符，或已超过 10 分钟。请重新登录。",
			Err: errors.New("state does not match the login cookie (or no login cookie)")}
	}
	nonce, verifier := parts[1], parts[2]
	// RFC 9207: a provider that names itself must be ours (no mix-up).
	if iss := q.Get("iss"); iss != "" && iss != p.c.Issuer {
		return nil, &Error{Status: http.StatusBadRequest, Message: "登录回调来自另一个身份认证服务，已拒绝。请重新登录。",
			Err: fmt.Errorf("callback from issuer %q; want %q", iss, p.c.Issuer)}
	}
	code := q.Get("code")
	if code == "" {
		return nil, &Error{Status: http.StatusBadRequest, Message: "登录回调缺少授权码，请重新登录。", Err: errors.New("no code in the callback")}
	}
	d, err := p.discover(r.Context())
	if err != nil {
		return nil, &Error{Status: http.StatusBadGateway, Message: "无法连接身份认证服务，请稍后重试。", Err: err}
	}
	tok, err := d.oauth.Exchange(oidc.ClientContext(r.Context(), p.c.HTTP), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, &Error{Status: http.StatusBadGateway, Message: "登录失败：无法从身份认证服务取得令牌，请重新登录。", Err: fmt.Errorf("token exchange: %w", err)}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, &Error{Status: http.StatusBadGateway, Message: "登录失败：身份认证服务未返回身份令牌（是否请求了 openid 范围？），请联系管理员。",
			Err: errors.New("token response has no id_token")}
	}
	res, err := p.verify(r.Context(), d, raw)
	if err == nil && subtle.ConstantTimeCompare([]byte(res.nonce), []byte(nonce)) != 1 {
		err = errors.New("ID token's nonce does not match the one this login sent")
	}
	if err != nil {
		return nil, &Error{Status: http.StatusBadGateway, Message: "登录失败：身份认证服务返回的令牌无效，请重新登录。", Err: err}
	}
	if res.err != nil {
		return nil, &Error{Status: http.StatusForbidden, Message: "登录失败：身份令牌中没有可用的用户名，请联系管理员检查身份认证服务的声明映射。", Err: res.err}
	}
	next, _ := base64.RawURLEncoding.DecodeString(parts[3])
	res.Next = SafeNext(string(next))
	if res.Next == "" {
		res.Next = "/"
	}
	return &res.Result, nil
}

// verified is a verified ID token: its result, its nonce, and the mapping
// error if its claims name no user.
type verified struct {
	Result
	nonce string
	err   error
}

// verify checks an ID token (go-oidc: signature, algorithm, issuer,
// audience, expiry) and maps its claims.
func (p *Provider) verify(ctx context.Context, d *discovered, raw string) (*verified, error) {
	t, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		if kerr := d.keys.failure(); kerr != nil {
			// go-oidc keeps only the text of the key set's error.
			return nil, fmt.Errorf("%w (%v)", kerr, err)
		}
		return nil, err
	}
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return nil, err
	}
	// Cognito marks its tokens; an access token is not a sign-in.
	if use, ok := claims["token_use"]; ok && use != "id" {
		return nil, fmt.Errorf("token_use %v; want id", use)
	}
	v := &verified{Result: Result{Claims: claims, IDToken: raw, Expiry: t.Expiry}, nonce: t.Nonce}
	v.Identity, v.err = p.c.Claims.Identity(claims)
	return v, nil
}

// Verify checks an ID token this provider issued to this client, as
// Finish does, and returns the identity it names. An *Error says the
// provider could not be reached.
func (p *Provider) Verify(ctx context.Context, idToken string) (*Result, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	v, err := p.verify(ctx, d, idToken)
	if err != nil {
		return nil, err
	}
	if v.err != nil {
		return nil, v.err
	}
	return &v.Result, nil
}

// SignOutURL is where the browser goes once docflow has forgotten its
// session: Config.LogoutURL; else the provider's end_session_endpoint with
// the ID token as a hint and the site's root to return to; else the root.
func (p *Provider) SignOutURL(ctx context.Context, idToken string) string {
	if p.c.LogoutURL != "" {
		return p.c.LogoutURL
	}
	d, err := p.discover(ctx)
	if err != nil || d.endSession == "" {
		return p.root
	}
	q := url.Values{"client_id": {p.c.ClientID}, "post_logout_redirect_uri": {p.root}}
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	sep := "?"
	if strings.Contains(d.endSession, "?") {
		sep = "&"
	}
	return d.endSession + sep + q.Encode()
}

// Handler serves GET /auth/login, GET /auth/callback and POST /auth/logout
// for the cookie session (see Identify): the callback keeps the ID token
// in the HttpOnly cookie docflow_session for the token's remaining life.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/login", func(w http.ResponseWriter, r *http.Request) {
		if err := p.Begin(w, r, r.URL.Query().Get("next")); err != nil {
			p.fail(w, r, err)
		}
	})
	mux.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := p.Finish(w, r)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		life := res.Expiry.Sub(p.c.Now())
		http.SetCookie(w, p.cookie(SessionCookie, res.IDToken, "/", int(life/time.Second)))
		p.c.Log.InfoContext(r.Context(), "signed in", "user", res.Identity.User)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, res.Next, http.StatusSeeOther)
	})
	mux.HandleFunc("POST /auth/logout", func(w http.ResponseWriter, r *http.Request) {
		var hint string
		if ck, err := r.Cookie(SessionCookie); err == nil {
			hint = ck.Value
		}
		http.SetCookie(w, p.cookie(SessionCookie, "", "/", -1))
		http.Redirect(w, r, p.SignOutURL(r.Context(), hint), http.StatusSeeOther)
	})
	return mux
}

// Identify names the caller by the session cookie Handler set. A missing,
// expired or invalid cookie makes the caller the public, never an error:
// the page then offers to sign in.
func (p *Provider) Identify(r *http.Request) (workflow.Identity, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return workflow.Anonymous, nil
	}
	res, err := p.Verify(r.Context(), ck.Value)
	switch {
	case errors.Is(err, errUnavailable):
		p.c.Log.WarnContext(r.Context(), "session cookie not checked: the identity provider is unavailable", "err", err)
		return workflow.Anonymous, nil
	case err != nil:
		p.c.Log.DebugContext(r.Context(), "session cookie refused", "err", err)
		return workflow.Anonymous, nil
	}
	return res.Identity, nil
}

func (p *Provider) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Message: "登录失败，请重新登录。", Err: err}
	}
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelError
	}
	p.c.Log.Log(r.Context(), level, "sign-in failed", "status", e.Status, "err", e.Err)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>登录失败</title><p>%s</p><p><a href=\"/auth/login\">重新登录</a> · <a href=\"/\">首页</a></p></html>", htmlEscape(e.Message))
}

var htmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace

// cookie is an HttpOnly, SameSite=Lax cookie (Lax, so that the provider's
// redirect back, a top-level GET, carries it), Secure on an https site.
func (p *Provider) cookie(name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode}
}

// random is 256 bits, base64url: a state or a nonce.
func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SafeNext returns next if it is a path on this site, and "" otherwise,
// so that a sign-in cannot be made to end on another site.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	return next
}
