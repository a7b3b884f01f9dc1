// Package session signs browsers in through Cognito's hosted UI (OAuth 2.0
// authorization code with PKCE) and keeps them signed in with an HttpOnly
// cookie holding the ID token, which every request verifies against the
// user pool's published keys. It lets the Lambda functions serve the
// signed-in pages, which API Gateway's JWT authorizer cannot protect: a
// browser following links sends cookies, not an Authorization header.
package session

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Cookie names. The session cookie holds the ID token itself, so no server
// state is needed; the login cookie carries state, PKCE verifier and the
// page to return to between /auth/login and /auth/callback.
const (
	SessionCookie = "docflow_session"
	loginCookie   = "docflow_login"
)

const (
	leeway       = time.Minute      // clock skew allowed on exp and nbf
	refetchEvery = time.Minute      // at most one JWKS fetch per minute for unknown kids
	loginTTL     = 10 * time.Minute // how long a started login may take
)

// Config describes the user pool and this site. Build one with New.
type Config struct {
	Issuer      string           // https://cognito-idp.REGION.amazonaws.com/POOLID; keys at Issuer+"/.well-known/jwks.json"
	ClientID    string           // the web app client: the ID token's aud
	AuthBaseURL string           // the hosted UI: https://DOMAIN.auth.REGION.amazoncognito.com
	RedirectURL string           // this site's /auth/callback, registered as a callback URL of the client
	HTTP        *http.Client     // for the token and JWKS endpoints; nil: a client with a 10 s timeout
	Now         func() time.Time // nil: time.Now
	Log         *slog.Logger     // nil: discard

	logoutURI string // the site's root, registered as a sign-out URL
	keys      *keySet
}

// New checks c and returns a copy ready for use. It does no network I/O;
// the keys are fetched on the first request that carries a session.
func New(c Config) (*Config, error) {
	var errs []error
	for _, u := range []struct{ name, v string }{{"issuer", c.Issuer}, {"auth base URL", c.AuthBaseURL}, {"redirect URL", c.RedirectURL}} {
		p, err := url.Parse(u.v)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			errs = append(errs, fmt.Errorf("session: %s %q is not an https URL without query", u.name, u.v))
		}
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("session: client ID is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	n := &Config{
		Issuer: strings.TrimRight(c.Issuer, "/"), ClientID: c.ClientID,
		AuthBaseURL: strings.TrimRight(c.AuthBaseURL, "/"), RedirectURL: c.RedirectURL,
		HTTP: c.HTTP, Now: c.Now, Log: c.Log,
	}
	if n.HTTP == nil {
		n.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if n.Now == nil {
		n.Now = time.Now
	}
	if n.Log == nil {
		n.Log = slog.New(slog.DiscardHandler)
	}
	root, _ := url.Parse(n.RedirectURL)
	root.Path, root.RawPath = "/", ""
	n.logoutURI = root.String()
	n.keys = &keySet{url: n.Issuer + "/.well-known/jwks.json"}
	return n, nil
}

// Handler serves GET /auth/login, GET /auth/callback and POST /auth/logout.
func (c *Config) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/login", c.login)
	mux.HandleFunc("GET /auth/callback", c.callback)
	mux.HandleFunc("POST /auth/logout", c.logout)
	return mux
}

// login starts the authorization code flow: a fresh state and PKCE
// verifier go into a short-lived cookie, their hash to the hosted UI.
func (c *Config) login(w http.ResponseWriter, r *http.Request) {
	state, verifier := random(), random()
	next := safeNext(r.URL.Query().Get("next"))
	val := state + "." + verifier + "." + base64.RawURLEncoding.EncodeToString([]byte(next))
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: val, Path: "/auth/", MaxAge: int(loginTTL / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ClientID},
		"redirect_uri":          {c.RedirectURL},
		"scope":                 {"openid profile"},
		"state":                 {state},
		"nonce":                 {state}, // binds the ID token to this login
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.AuthBaseURL+"/oauth2/authorize?"+q.Encode(), http.StatusFound)
}

// callback finishes the login: the state must match the cookie set by
// login, the code is exchanged with the verifier, and the ID token must
// verify before it becomes the session.
func (c *Config) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clearLogin := &http.Cookie{Name: loginCookie, Value: "", Path: "/auth/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	if e := q.Get("error"); e != "" {
		http.SetCookie(w, clearLogin)
		c.Log.InfoContext(r.Context(), "login refused by the identity provider", "error", e, "description", q.Get("error_description"))
		problem(w, http.StatusBadRequest, "登录未完成：身份认证服务拒绝了此次登录（"+e+"）。请重新登录。")
		return
	}
	ck, err := r.Cookie(loginCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(ck.Value, ".")
	}
	state := q.Get("state")
	if len(parts) != 3 || state == "" || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(state)) != 1 {
		http.SetCookie(w, clearLogin)
		problem(w, http.StatusBadRequest, "登录状态校验失败：此登录回调与本浏览器发起的登录不符，或已超过 10 分钟。请重新登录。")
		return
	}
	code := q.Get("code")
	if code == "" {
		problem(w, http.StatusBadRequest, "登录回调缺少授权码，请重新登录。")
		return
	}
	raw, err := c.exchange(r.Context(), code, parts[1])
	if err != nil {
		c.Log.ErrorContext(r.Context(), "token exchange failed", "err", err)
		problem(w, http.StatusBadGateway, "登录失败：无法从身份认证服务取得令牌，请稍后重试。")
		return
	}
	cl, err := c.verify(r.Context(), raw)
	if err == nil && cl.Nonce != state {
		err = errors.New("nonce does not match the login's state")
	}
	if err != nil {
		c.Log.ErrorContext(r.Context(), "ID token from the token endpoint refused", "err", err)
		problem(w, http.StatusBadGateway, "登录失败：身份认证服务返回的令牌无效，请重新登录。")
		return
	}
	life := time.Unix(int64(cl.Exp), 0).Sub(c.Now())
	http.SetCookie(w, clearLogin)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: raw, Path: "/", MaxAge: int(life / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	next, _ := base64.RawURLEncoding.DecodeString(parts[2])
	to := safeNext(string(next))
	if to == "" {
		to = "/"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// logout forgets the session here and at the hosted UI, which then sends
// the browser back to the site's root.
func (c *Config) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	q := url.Values{"client_id": {c.ClientID}, "logout_uri": {c.logoutURI}}
	http.Redirect(w, r, c.AuthBaseURL+"/logout?"+q.Encode(), http.StatusSeeOther)
}

// exchange trades an authorization code for the ID token.
func (c *Config) exchange(ctx context.Context, code, verifier string) (string, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {c.ClientID},
		"code":          {code},
		"redirect_uri":  {c.RedirectURL},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.AuthBaseURL+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("token endpoint: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint: %s: %.200s", resp.Status, body)
	}
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.IDToken == "" {
		return "", fmt.Errorf("token endpoint: no id_token in the answer (%v)", err)
	}
	return tok.IDToken, nil
}

// Identify names the caller by the session cookie. A missing, expired or
// invalid cookie makes the caller the public, never an error: the page
// then offers to sign in.
func (c *Config) Identify(r *http.Request) (workflow.Identity, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return workflow.Anonymous, nil
	}
	cl, err := c.verify(r.Context(), ck.Value)
	if err != nil {
		c.Log.DebugContext(r.Context(), "session cookie refused", "err", err)
		return workflow.Anonymous, nil
	}
	id, err := Identity(cl.all)
	if err != nil {
		c.Log.InfoContext(r.Context(), "session token names no user", "err", err)
		return workflow.Anonymous, nil
	}
	return id, nil
}

// Identity maps Cognito claims to a docflow identity: cognito:username (or
// sub), name, custom:dept, custom:title, and cognito:groups as roles. The
// groups are a JSON array in an ID token and a flattened string such as
// "[clerk approver]" in the claims API Gateway's JWT authorizer passes on;
// both are read.
func Identity(claims map[string]any) (workflow.Identity, error) {
	str := func(k string) string { s, _ := claims[k].(string); return s }
	id := workflow.Identity{User: str("cognito:username"), Name: str("name"), Dept: str("custom:dept"), Title: str("custom:title")}
	if id.User == "" {
		id.User = str("sub")
	}
	if id.User == "" {
		return workflow.Identity{}, errors.New("token has no cognito:username or sub claim")
	}
	switch g := claims["cognito:groups"].(type) {
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok && s != "" {
				id.Roles = append(id.Roles, workflow.Role(s))
			}
		}
	case []string:
		for _, s := range g {
			id.Roles = append(id.Roles, workflow.Role(s))
		}
	case string:
		for _, s := range strings.Fields(strings.Trim(g, "[]")) {
			if s = strings.Trim(s, `",`); s != "" {
				id.Roles = append(id.Roles, workflow.Role(s))
			}
		}
	}
	return id, nil
}

// claims are the parts of an ID token that are checked, and all of it.
type claims struct {
	Iss      string  `json:"iss"`
	Aud      any     `json:"aud"` // a string, or an array of strings
	TokenUse string  `json:"token_use"`
	Exp      float64 `json:"exp"`
	Nbf      float64 `json:"nbf"`
	Nonce    string  `json:"nonce"`
	all      map[string]any
}

// verify checks an ID token's signature (RS256 with a key of the pool),
// issuer, audience, use and lifetime.
func (c *Config) verify(ctx context.Context, raw string) (*claims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWS compact token")
	}
	var hdr struct {
		Alg, Kid string
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if hdr.Alg != "RS256" {
		return nil, fmt.Errorf("algorithm %q refused; only RS256 is accepted", hdr.Alg)
	}
	key, err := c.keys.get(ctx, c.HTTP, hdr.Kid, c.Now())
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	cl := &claims{}
	if err := decodeSegment(parts[1], cl); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if err := decodeSegment(parts[1], &cl.all); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	now := c.Now()
	switch {
	case cl.Iss != c.Issuer:
		return nil, fmt.Errorf("issuer %q; want %q", cl.Iss, c.Issuer)
	case !audience(cl.Aud, c.ClientID):
		return nil, fmt.Errorf("audience %v; want %q", cl.Aud, c.ClientID)
	case cl.TokenUse != "id":
		return nil, fmt.Errorf("token_use %q; want id", cl.TokenUse)
	case cl.Exp == 0:
		return nil, errors.New("no exp claim")
	case now.After(time.Unix(int64(cl.Exp), 0).Add(leeway)):
		return nil, fmt.Errorf("expired at %v", time.Unix(int64(cl.Exp), 0).UTC())
	case cl.Nbf != 0 && now.Before(time.Unix(int64(cl.Nbf), 0).Add(-leeway)):
		return nil, fmt.Errorf("not valid before %v", time.Unix(int64(cl.Nbf), 0).UTC())
	}
	return cl, nil
}

func audience(aud any, client string) bool {
	switch a := aud.(type) {
	case string:
		return a == client
	case []any:
		for _, x := range a {
			if x == client {
				return true
			}
		}
	}
	return false
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// keySet caches the pool's signing keys. Keys rotate rarely; a token with
// an unknown kid triggers a refetch, at most once a minute, so that forged
// kids cannot make every request call Cognito.
type keySet struct {
	url     string
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time // last attempt
}

func (k *keySet) get(ctx context.Context, hc *http.Client, kid string, now time.Time) (*rsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	if k.keys != nil && now.Sub(k.fetched) < refetchEvery {
		return nil, fmt.Errorf("unknown key %q (keys fetched %v ago)", kid, now.Sub(k.fetched).Round(time.Second))
	}
	k.fetched = now
	keys, err := fetchKeys(ctx, hc, k.url)
	if err != nil {
		return nil, err
	}
	k.keys = keys
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("unknown key %q", kid)
}

func fetchKeys(ctx context.Context, hc *http.Client, u string) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch keys: %s", resp.Status)
	}
	var set struct {
		Keys []struct {
			Kty, Kid, Use, Alg, N, E string
		}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("fetch keys: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, j := range set.Keys {
		if j.Kty != "RSA" || j.Use != "" && j.Use != "sig" || j.Alg != "" && j.Alg != "RS256" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(j.N)
		e, err2 := base64.RawURLEncoding.DecodeString(j.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 || len(n) < 256 {
			continue // malformed, or shorter than 2048 bits
		}
		keys[j.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}

// random is 256 bits, base64url: a state, or a PKCE verifier (43 chars).
func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	return next
}

// problem answers a failed login with a short Chinese page.
func problem(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>登录失败</title><p>%s</p><p><a href=\"/auth/login\">重新登录</a> · <a href=\"/\">首页</a></p></html>", htmlEscape(msg))
}

var htmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace
