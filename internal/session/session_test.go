package session

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

const clientID = "web-client-1"

// now is the tests' fixed clock.
var now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// provider is an in-process stand-in for Cognito: the hosted UI's
// authorize and token endpoints and the pool's JWKS, over TLS.
type provider struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	kid       string
	issuer    string
	jwksHits  atomic.Int32
	mu        sync.Mutex
	codes     map[string]grant // code → what authorize was asked
	claims    map[string]any   // the user who "signs in"
	tokenSeen url.Values
}

type grant struct{ challenge, nonce, redirect string }

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{key: mustKey(t), kid: "key-1", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pool/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk(p.kid, &p.key.PublicKey)}})
	})
	mux.HandleFunc("GET /oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("scope") != "openid profile" {
			http.Error(w, "bad authorize request: "+q.Encode(), 400)
			return
		}
		code := random()
		p.mu.Lock()
		p.codes[code] = grant{q.Get("code_challenge"), q.Get("nonce"), q.Get("redirect_uri")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		g, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.tokenSeen = r.PostForm
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok:
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			http.Error(w, `{"error":"invalid_grant","error_description":"code_verifier"}`, 400)
			return
		case r.PostForm.Get("redirect_uri") != g.redirect || r.PostForm.Get("client_id") != clientID:
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		c := p.idClaims()
		c["nonce"] = g.nonce
		json.NewEncoder(w).Encode(map[string]any{"id_token": mint(t, p.key, p.kid, "RS256", c), "access_token": "x", "token_type": "Bearer", "expires_in": 3600})
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/pool"
	p.claims = map[string]any{"cognito:username": "fulian-head", "name": "赵华", "custom:dept": "区妇联", "custom:title": "主任",
		"cognito:groups": []any{"head", "approver"}}
	return p
}

// idClaims is a valid ID token's payload for the signed-in user.
func (p *provider) idClaims() map[string]any {
	c := map[string]any{"iss": p.issuer, "aud": clientID, "token_use": "id", "sub": "0b7c-uuid",
		"iat": now.Unix(), "auth_time": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range p.claims {
		c[k] = v
	}
	return c
}

func (p *provider) config(t *testing.T) *Config {
	t.Helper()
	c, err := New(Config{Issuer: p.issuer, ClientID: clientID, AuthBaseURL: p.srv.URL, RedirectURL: "https://docflow.example.gov.cn/auth/callback",
		HTTP: p.srv.Client(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func jwk(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

// mint signs claims as a JWS with key (alg "none" leaves the signature empty).
func mint(tb testing.TB, key *rsa.PrivateKey, kid, alg string, claims map[string]any) string {
	tb.Helper()
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := seg(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"}) + "." + seg(claims)
	if alg == "none" {
		return in + "."
	}
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// noRedirect is the provider's TLS client that stops at each redirect, so
// the test plays the browser one hop at a time.
func noRedirect(p *provider) *http.Client {
	c := *p.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func cookie(t *testing.T, res *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func identify(t *testing.T, c *Config, token string) workflow.Identity {
	t.Helper()
	r := httptest.NewRequest("GET", "/cases", nil)
	if token != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
	}
	id, err := c.Identify(r)
	if err != nil {
		t.Fatalf("Identify: %v; want no error, ever", err)
	}
	return id
}

// TestLoginFlow plays a browser through /auth/login → the hosted UI's
// authorize → /auth/callback (which exchanges the code with the PKCE
// verifier) and then presents the session cookie on a page request.
func TestLoginFlow(t *testing.T) {
	p := newProvider(t)
	c := p.config(t)
	h := c.Handler()

	// 1. /auth/login?next=/todo: a login cookie and a redirect to authorize.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://docflow.example.gov.cn/auth/login?next=/todo", nil))
	res := rec.Result()
	login := cookie(t, res, loginCookie)
	if res.StatusCode != http.StatusFound || login == nil || !login.HttpOnly || !login.Secure || login.SameSite != http.SameSiteLaxMode || login.MaxAge <= 0 || login.MaxAge > 600 {
		t.Fatalf("/auth/login: %s, login cookie %+v; want 302 and a short-lived HttpOnly Secure Lax cookie", res.Status, login)
	}
	auth, _ := url.Parse(res.Header.Get("Location"))
	if auth.Query().Get("redirect_uri") != c.RedirectURL || auth.Query().Get("code_challenge") == "" || len(auth.Query().Get("state")) < 43 {
		t.Fatalf("authorize URL %s lacks redirect_uri, code_challenge or a 256-bit state", auth)
	}

	// 2. The hosted UI signs the user in and sends the browser back with a code.
	back, err := noRedirect(p).Get(auth.String())
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	cb, _ := url.Parse(back.Header.Get("Location"))
	if back.StatusCode != http.StatusFound || cb.Path != "/auth/callback" {
		t.Fatalf("authorize answered %s → %s; want 302 to the callback", back.Status, cb)
	}

	// 3. /auth/callback with the login cookie: the session cookie is set.
	req := httptest.NewRequest("GET", cb.String(), nil)
	req.AddCookie(login)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res = rec.Result()
	sess := cookie(t, res, SessionCookie)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/todo" {
		t.Fatalf("/auth/callback: %s to %q (%s); want 303 to /todo", res.Status, res.Header.Get("Location"), rec.Body)
	}
	if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" {
		t.Fatalf("session cookie %+v; want HttpOnly Secure SameSite=Lax Path=/", sess)
	}
	if sess.MaxAge <= 0 || sess.MaxAge > 3600 {
		t.Errorf("session Max-Age %d; want within the token's remaining hour", sess.MaxAge)
	}
	if lc := cookie(t, res, loginCookie); lc == nil || lc.MaxAge >= 0 {
		t.Errorf("callback left the login cookie %+v; want it cleared", lc)
	}
	if p.tokenSeen.Get("code_verifier") == "" || p.tokenSeen.Get("grant_type") != "authorization_code" {
		t.Errorf("token request %v; want grant_type authorization_code with a code_verifier", p.tokenSeen)
	}

	// 4. The cookie names the user, with the ID token's array of groups as roles.
	id := identify(t, c, sess.Value)
	want := workflow.Identity{User: "fulian-head", Name: "赵华", Dept: "区妇联", Title: "主任", Roles: []workflow.Role{workflow.Head, workflow.Approver}}
	if id.User != want.User || id.Name != want.Name || id.Dept != want.Dept || id.Title != want.Title || !slices.Equal(id.Roles, want.Roles) {
		t.Errorf("Identify = %+v; want %+v", id, want)
	}
	if n := p.jwksHits.Load(); n != 1 {
		t.Errorf("keys fetched %d times over callback and a page; want once (cached)", n)
	}
}

// TestCallbackStateMismatch answers the callback with a state other than
// the one in the browser's login cookie (a login started elsewhere, or a
// forged callback), and with no login cookie at all.
func TestCallbackStateMismatch(t *testing.T) {
	p := newProvider(t)
	h := p.config(t).Handler()
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
	}{
		{"OtherState", &http.Cookie{Name: loginCookie, Value: "aaaa.verifier." + base64.RawURLEncoding.EncodeToString([]byte("/"))}},
		{"NoLoginCookie", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/auth/callback?code=c1&state=bbbb", nil)
			if tc.cookie != nil {
				req.AddCookie(tc.cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "登录状态校验失败") {
				t.Errorf("callback = %d %q; want 400 saying 登录状态校验失败", rec.Code, rec.Body)
			}
			if cookie(t, rec.Result(), SessionCookie) != nil {
				t.Error("a session cookie was set")
			}
		})
	}
}

// TestCallbackWrongVerifier starts a login, then presents the code with a
// login cookie whose state matches but whose PKCE verifier does not: a
// stolen code is useless without the verifier.
func TestCallbackWrongVerifier(t *testing.T) {
	p := newProvider(t)
	c := p.config(t)
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/auth/login", nil))
	auth := rec.Result().Header.Get("Location")
	back, err := noRedirect(p).Get(auth)
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	cb, _ := url.Parse(back.Header.Get("Location"))
	req := httptest.NewRequest("GET", cb.String(), nil)
	req.AddCookie(&http.Cookie{Name: loginCookie, Value: cb.Query().Get("state") + "." + random() + "."})
	rec = httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusBadGateway || cookie(t, rec.Result(), SessionCookie) != nil {
		t.Errorf("callback with the wrong verifier = %d, cookies %v; want 502 and no session", rec.Code, rec.Result().Cookies())
	}
}

// TestIdentifyRefuses presents session cookies that must not sign anyone
// in; each must make the caller the public, without an error.
func TestIdentifyRefuses(t *testing.T) {
	p := newProvider(t)
	c := p.config(t)
	valid := mint(t, p.key, p.kid, "RS256", p.idClaims())
	if id := identify(t, c, valid); id.User != "fulian-head" {
		t.Fatalf("a valid token gave %+v; the refusals below would prove nothing", id)
	}
	with := func(k string, v any) map[string]any {
		cl := p.idClaims()
		if v == nil {
			delete(cl, k)
		} else {
			cl[k] = v
		}
		return cl
	}
	other := mustKey(t)
	parts := strings.Split(valid, ".")
	// The payload changed to the clerk's, the signature kept.
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, with("cognito:groups", []any{"clerk"}))) + "." + parts[2]
	tests := []struct{ name, tried, token string }{
		{"TamperedPayload", "groups changed to clerk after signing", forged},
		{"TamperedSignature", "last signature byte flipped", parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{"OtherKey", "signed by a key not in the pool, under the pool's kid", mint(t, other, p.kid, "RS256", p.idClaims())},
		{"UnknownKid", "signed by an unknown key with its own kid", mint(t, other, "key-9", "RS256", p.idClaims())},
		{"AlgNone", `alg "none" with an empty signature`, mint(t, nil, p.kid, "none", p.idClaims())},
		{"AlgHS256", "alg HS256 (a MAC keyed with the public key, the classic confusion)", strings.Replace(valid, parts[0], base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"key-1"}`)), 1)},
		{"WrongAudience", "aud of another app client", mint(t, p.key, p.kid, "RS256", with("aud", "api-client"))},
		{"WrongIssuer", "iss of another user pool", mint(t, p.key, p.kid, "RS256", with("iss", "https://cognito-idp.cn-north-1.amazonaws.com/cn-north-1_other"))},
		{"AccessToken", "token_use access (an access token, not an ID token)", mint(t, p.key, p.kid, "RS256", with("token_use", "access"))},
		{"Expired", "exp two minutes ago (beyond the one-minute leeway)", mint(t, p.key, p.kid, "RS256", with("exp", now.Add(-2*time.Minute).Unix()))},
		{"NoExp", "no exp claim", mint(t, p.key, p.kid, "RS256", with("exp", nil))},
		{"NotYetValid", "nbf five minutes ahead", mint(t, p.key, p.kid, "RS256", with("nbf", now.Add(5*time.Minute).Unix()))},
		{"Garbage", "a cookie that is not a JWT", "hello"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if id := identify(t, c, tc.token); id.User != "" || len(id.Roles) > 0 {
				t.Errorf("%s: Identify = %+v; want the public", tc.tried, id)
			}
		})
	}
	if id := identify(t, c, ""); id.User != "" {
		t.Errorf("no cookie: Identify = %+v; want the public", id)
	}
}

// TestUnknownKidRefetch checks key rotation and its limit: an unknown kid
// refetches the keys at most once a minute, and a key published since is
// found on the next fetch.
func TestUnknownKidRefetch(t *testing.T) {
	p := newProvider(t)
	clock := now
	c, err := New(Config{Issuer: p.issuer, ClientID: clientID, AuthBaseURL: p.srv.URL, RedirectURL: "https://docflow.example.gov.cn/auth/callback",
		HTTP: p.srv.Client(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	identify(t, c, mint(t, p.key, p.kid, "RS256", p.idClaims())) // first fetch
	rotated := mustKey(t)
	tok := mint(t, rotated, "key-2", "RS256", p.idClaims())
	for range 5 {
		identify(t, c, tok)
	}
	if n := p.jwksHits.Load(); n != 1 {
		t.Errorf("five requests with an unknown kid, within a minute of the first fetch, fetched the keys %d times in all; want 1", n)
	}
	p.key, p.kid = rotated, "key-2" // the pool rotates
	clock = clock.Add(30 * time.Second)
	if id := identify(t, c, tok); id.User != "" {
		t.Errorf("within the minute the new key was used: %+v; want a refetch only after a minute", id)
	}
	clock = clock.Add(31 * time.Second)
	if id := identify(t, c, tok); id.User != "fulian-head" {
		t.Errorf("after a minute the rotated key's token gives %+v; want fulian-head", id)
	}
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("keys fetched %d times; want 2 (the first, and one refetch after a minute)", n)
	}
}

// TestLogout posts to /auth/logout: the cookie is cleared and the browser
// sent to the hosted UI's logout with the client and the site's root.
func TestLogout(t *testing.T) {
	p := newProvider(t)
	c := p.config(t)
	req := httptest.NewRequest("POST", "/auth/logout", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: mint(t, p.key, p.kid, "RS256", p.idClaims())})
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	res := rec.Result()
	sess := cookie(t, res, SessionCookie)
	if sess == nil || sess.MaxAge >= 0 || sess.Value != "" || sess.Path != "/" {
		t.Errorf("logout set %+v; want docflow_session cleared on /", sess)
	}
	to, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || to.Path != "/logout" || to.Query().Get("client_id") != clientID || to.Query().Get("logout_uri") != "https://docflow.example.gov.cn/" {
		t.Errorf("logout → %s %s; want 303 to the hosted UI /logout with client_id and logout_uri https://docflow.example.gov.cn/", res.Status, to)
	}
}

// TestLoginNextStaysOnSite asks /auth/login to return to another site.
func TestLoginNextStaysOnSite(t *testing.T) {
	for _, next := range []string{"https://evil.example/", "//evil.example/", `/\evil.example`} {
		if got := safeNext(next); got != "" {
			t.Errorf("safeNext(%q) = %q; want empty (the root)", next, got)
		}
	}
}

// TestNewRefusesBadConfig builds configs with missing or non-https parts:
// every fault is named at once.
func TestNewRefusesBadConfig(t *testing.T) {
	_, err := New(Config{Issuer: "http://cognito-idp.example/pool", AuthBaseURL: "", RedirectURL: "https://x/auth/callback"})
	if err == nil {
		t.Fatal("New accepted an http issuer, no hosted UI and no client")
	}
	for _, want := range []string{"issuer", "auth base URL", "client ID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New: %v; want it to name the %s", err, want)
		}
	}
}

// TestIdentityGroups reads groups in both shapes: the ID token's JSON
// array and API Gateway's flattened string.
func TestIdentityGroups(t *testing.T) {
	for _, g := range []any{[]any{"head", "approver"}, "[head approver]"} {
		id, err := Identity(map[string]any{"sub": "u1", "cognito:groups": g})
		if err != nil || id.User != "u1" || !slices.Equal(id.Roles, []workflow.Role{workflow.Head, workflow.Approver}) {
			t.Errorf("Identity(groups %#v) = %+v, %v; want u1 with head, approver", g, id, err)
		}
	}
	if _, err := Identity(map[string]any{"name": "无名"}); err == nil {
		t.Error("claims without cognito:username or sub accepted")
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func flip(sig string) string {
	b, _ := base64.RawURLEncoding.DecodeString(sig)
	b[len(b)-1] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}
