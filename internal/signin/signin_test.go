package signin

import (
	"context"
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

// provider is an in-process stand-in for an OpenID provider (Cognito's
// hosted UI and user pool, say): discovery, the authorize and token
// endpoints and the JWKS, over TLS.
type provider struct {
	srv        *httptest.Server
	key        *rsa.PrivateKey
	kid        string
	issuer     string
	endSession string // advertised in discovery if set
	jwksHits   atomic.Int32
	metaHits   atomic.Int32
	jwksFail   atomic.Bool // the key endpoint answers 503
	jwksDelay  time.Duration
	mu         sync.Mutex
	codes      map[string]grant // code → what authorize was asked
	claims     map[string]any   // the user who "signs in"
	nonce      string           // if set, the ID token carries this nonce instead of the one asked for
	tokenSeen  url.Values
}

type grant struct{ challenge, nonce, redirect string }

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{key: mustKey(t), kid: "key-1", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pool/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.metaHits.Add(1)
		meta := map[string]any{"issuer": p.issuer, "authorization_endpoint": p.srv.URL + "/oauth2/authorize", "token_endpoint": p.srv.URL + "/oauth2/token",
			"jwks_uri": p.issuer + "/.well-known/jwks.json", "response_types_supported": []string{"code"},
			"id_token_signing_alg_values_supported": []string{"RS256"}}
		if p.endSession != "" {
			meta["end_session_endpoint"] = p.endSession
		}
		json.NewEncoder(w).Encode(meta)
	})
	mux.HandleFunc("GET /pool/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		time.Sleep(p.jwksDelay)
		if p.jwksFail.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk(p.kid, &p.key.PublicKey)}})
	})
	mux.HandleFunc("GET /oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("scope") != "openid profile" || q.Get("nonce") == "" {
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
		w.Header().Set("Content-Type", "application/json")
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
		if p.nonce != "" {
			c["nonce"] = p.nonce
		}
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

// rotate replaces the provider's signing key.
func (p *provider) rotate(key *rsa.PrivateKey, kid string) {
	p.mu.Lock()
	p.key, p.kid = key, kid
	p.mu.Unlock()
}

func (p *provider) config(t *testing.T) *Provider {
	t.Helper()
	return p.configWith(t, func() time.Time { return now }, "")
}

func (p *provider) configWith(t *testing.T, clock func() time.Time, logout string) *Provider {
	t.Helper()
	c, err := New(Config{Issuer: p.issuer, ClientID: clientID, RedirectURL: "https://docflow.example.gov.cn/auth/callback",
		LogoutURL: logout, HTTP: p.srv.Client(), Now: clock})
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

func identify(t *testing.T, c *Provider, token string) workflow.Identity {
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

const redirectURL = "https://docflow.example.gov.cn/auth/callback"

// login plays a browser through /auth/login?next=… and the provider's
// authorize endpoint; it returns the callback URL and the login cookie.
func login(t *testing.T, p *provider, h http.Handler, next string) (*url.URL, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://docflow.example.gov.cn/auth/login?next="+url.QueryEscape(next), nil))
	res := rec.Result()
	lc := cookie(t, res, loginCookie)
	if res.StatusCode != http.StatusFound || lc == nil {
		t.Fatalf("/auth/login: %s, login cookie %+v (%s); want 302 and a login cookie", res.Status, lc, rec.Body)
	}
	back, err := noRedirect(p).Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	cb, _ := url.Parse(back.Header.Get("Location"))
	if back.StatusCode != http.StatusFound || cb.Path != "/auth/callback" {
		t.Fatalf("authorize answered %s → %s; want 302 to the callback", back.Status, cb)
	}
	return cb, lc
}

func callback(h http.Handler, cb *url.URL, lc *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", cb.String(), nil)
	if lc != nil {
		req.AddCookie(lc)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestLoginFlow plays a browser through /auth/login → the provider's
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
	lc := cookie(t, res, loginCookie)
	if res.StatusCode != http.StatusFound || lc == nil || !lc.HttpOnly || !lc.Secure || lc.SameSite != http.SameSiteLaxMode || lc.MaxAge <= 0 || lc.MaxAge > 600 || lc.Path != "/auth/" {
		t.Fatalf("/auth/login: %s, login cookie %+v; want 302 and a short-lived HttpOnly Secure Lax cookie on /auth/", res.Status, lc)
	}
	auth, _ := url.Parse(res.Header.Get("Location"))
	q := auth.Query()
	if !strings.HasPrefix(auth.String(), p.srv.URL+"/oauth2/authorize?") || q.Get("redirect_uri") != redirectURL || q.Get("code_challenge") == "" ||
		len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || q.Get("nonce") == q.Get("state") {
		t.Fatalf("authorize URL %s: want the discovered endpoint with redirect_uri, code_challenge, and a 256-bit state and a nonce of their own", auth)
	}

	// 2. The provider signs the user in and sends the browser back with a code.
	back, err := noRedirect(p).Get(auth.String())
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	cb, _ := url.Parse(back.Header.Get("Location"))

	// 3. /auth/callback with the login cookie: the session cookie is set.
	rec = callback(h, cb, lc)
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
	if p.tokenSeen.Get("code_verifier") == "" || p.tokenSeen.Get("grant_type") != "authorization_code" || p.tokenSeen.Get("client_secret") != "" {
		t.Errorf("token request %v; want grant_type authorization_code with a code_verifier, and no secret", p.tokenSeen)
	}

	// 4. The cookie names the user, with the ID token's array of groups as roles.
	id := identify(t, c, sess.Value)
	want := workflow.Identity{User: "fulian-head", Name: "赵华", Dept: "区妇联", Title: "主任", Roles: []workflow.Role{workflow.Head, workflow.Approver}}
	if id.User != want.User || id.Name != want.Name || id.Dept != want.Dept || id.Title != want.Title || !slices.Equal(id.Roles, want.Roles) {
		t.Errorf("Identify = %+v; want %+v", id, want)
	}
	if n, m := p.jwksHits.Load(), p.metaHits.Load(); n != 1 || m != 1 {
		t.Errorf("metadata fetched %d times, keys %d times over login, callback and a page; want once each (cached)", m, n)
	}
}

// TestFinish drives Begin and Finish directly, as a server that keeps its
// own sessions does, and checks what Finish returns.
func TestFinish(t *testing.T) {
	p := newProvider(t)
	c := p.config(t)
	mux := http.NewServeMux()
	var got *Result
	mux.HandleFunc("GET /auth/login", func(w http.ResponseWriter, r *http.Request) {
		if err := c.Begin(w, r, r.URL.Query().Get("next")); err != nil {
			t.Errorf("Begin: %v", err)
		}
	})
	mux.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) {
		var err error
		if got, err = c.Finish(w, r); err != nil {
			t.Errorf("Finish: %v", err)
		}
	})
	cb, lc := login(t, p, mux, "https://evil.example/")
	callback(mux, cb, lc)
	if got == nil {
		t.Fatal("Finish returned nothing")
	}
	if got.Identity.User != "fulian-head" || got.Next != "/" || !got.Expiry.Equal(now.Add(time.Hour)) || got.IDToken == "" || got.Claims["custom:dept"] != "区妇联" {
		t.Errorf("Finish = %+v; want fulian-head, next / (not another site), expiry in an hour, the token and its claims", got)
	}
	if res, err := c.Verify(context.Background(), got.IDToken); err != nil || res.Identity.User != "fulian-head" {
		t.Errorf("Verify(the ID token) = %+v, %v; want fulian-head", res, err)
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
		{"OtherState", &http.Cookie{Name: loginCookie, Value: "aaaa.nonce.verifier." + base64.RawURLEncoding.EncodeToString([]byte("/"))}},
		{"NoLoginCookie", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := callback(h, &url.URL{Path: "/auth/callback", RawQuery: "code=c1&state=bbbb"}, tc.cookie)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "登录状态校验失败") {
				t.Errorf("callback = %d %q; want 400 saying 登录状态校验失败", rec.Code, rec.Body)
			}
			if cookie(t, rec.Result(), SessionCookie) != nil {
				t.Error("a session cookie was set")
			}
		})
	}
}

// TestCallbackRefusals completes a real login but changes one thing the
// callback must check: the PKCE verifier (a stolen code is useless
// without it), the nonce in the ID token (a token from another login),
// the issuer the callback names (a mix-up with another provider), and
// the provider's own refusal.
func TestCallbackRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *provider, cb *url.URL, lc *http.Cookie)
		status int
	}{
		{"WrongVerifier", func(p *provider, cb *url.URL, lc *http.Cookie) {
			parts := strings.Split(lc.Value, ".")
			parts[2] = random()
			lc.Value = strings.Join(parts, ".")
		}, http.StatusBadGateway},
		{"WrongNonce", func(p *provider, cb *url.URL, lc *http.Cookie) { p.nonce = random() }, http.StatusBadGateway},
		{"OtherIssuer", func(p *provider, cb *url.URL, lc *http.Cookie) {
			q := cb.Query()
			q.Set("iss", "https://idp.other.example")
			cb.RawQuery = q.Encode()
		}, http.StatusBadRequest},
		{"ProviderRefused", func(p *provider, cb *url.URL, lc *http.Cookie) {
			cb.RawQuery = url.Values{"error": {"access_denied"}, "state": {cb.Query().Get("state")}}.Encode()
		}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t)
			h := p.config(t).Handler()
			cb, lc := login(t, p, h, "/todo")
			tc.change(p, cb, lc)
			rec := callback(h, cb, lc)
			if rec.Code != tc.status || cookie(t, rec.Result(), SessionCookie) != nil {
				t.Errorf("callback = %d, cookies %v; want %d and no session", rec.Code, rec.Result().Cookies(), tc.status)
			}
		})
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
	noUser := with("sub", nil)
	delete(noUser, "cognito:username")
	other := mustKey(t)
	parts := strings.Split(valid, ".")
	// The payload changed to the clerk's, the signature kept.
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, with("cognito:groups", []any{"clerk"}))) + "." + parts[2]
	tests := []struct{ name, tried, token string }{
		{"TamperedPayload", "groups changed to clerk after signing", forged},
		{"TamperedSignature", "last signature byte flipped", parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{"OtherKey", "signed by a key not the provider's, under the provider's kid", mint(t, other, p.kid, "RS256", p.idClaims())},
		{"UnknownKid", "signed by an unknown key with its own kid", mint(t, other, "key-9", "RS256", p.idClaims())},
		{"AlgNone", `alg "none" with an empty signature`, mint(t, nil, p.kid, "none", p.idClaims())},
		{"AlgHS256", "alg HS256 (a MAC keyed with the public key, the classic confusion)", strings.Replace(valid, parts[0], base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"key-1"}`)), 1)},
		{"WrongAudience", "aud of another client", mint(t, p.key, p.kid, "RS256", with("aud", "api-client"))},
		{"WrongIssuer", "iss of another provider", mint(t, p.key, p.kid, "RS256", with("iss", "https://cognito-idp.cn-north-1.amazonaws.com/cn-north-1_other"))},
		{"AccessToken", "token_use access (a Cognito access token, not an ID token)", mint(t, p.key, p.kid, "RS256", with("token_use", "access"))},
		{"Expired", "exp a minute ago", mint(t, p.key, p.kid, "RS256", with("exp", now.Add(-time.Minute).Unix()))},
		{"NoExp", "no exp claim", mint(t, p.key, p.kid, "RS256", with("exp", nil))},
		{"NotYetValid", "nbf ten minutes ahead (beyond go-oidc's five-minute leeway)", mint(t, p.key, p.kid, "RS256", with("nbf", now.Add(10*time.Minute).Unix()))},
		{"NoUser", "no claim that names the user", mint(t, p.key, p.kid, "RS256", noUser)},
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
	c := p.configWith(t, func() time.Time { return clock }, "")
	identify(t, c, mint(t, p.key, p.kid, "RS256", p.idClaims())) // first fetch
	rotated := mustKey(t)
	tok := mint(t, rotated, "key-2", "RS256", p.idClaims())
	for range 5 {
		identify(t, c, tok)
	}
	if n := p.jwksHits.Load(); n != 1 {
		t.Errorf("five requests with an unknown kid, within a minute of the first fetch, fetched the keys %d times in all; want 1", n)
	}
	p.rotate(rotated, "key-2")
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

// TestKeysSingleFlight fails the key endpoint (slowly, 200 ms an answer)
// and sends 20 requests at once: they must share one fetch, not make 20;
// requests during the backoff that follows make none; after it, one
// request fetches again, and once the endpoint is back the keys are used.
func TestKeysSingleFlight(t *testing.T) {
	p := newProvider(t)
	p.jwksFail.Store(true)
	p.jwksDelay = 200 * time.Millisecond
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	c := p.configWith(t, func() time.Time { return time.Unix(0, clock.Load()) }, "")
	tok := mint(t, p.key, p.kid, "RS256", p.idClaims())

	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if id := identify(t, c, tok); id.User != "" {
				t.Errorf("with the key endpoint failing, Identify = %+v; want the public", id)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if n := p.jwksHits.Load(); n != 1 {
		t.Errorf("20 concurrent requests with the key endpoint failing made %d fetches; want 1", n)
	}
	if took > 2*time.Second {
		t.Errorf("20 concurrent requests took %v; want about one fetch (200 ms)", took)
	}
	t.Logf("20 concurrent requests, key endpoint failing in 200 ms: %d fetch, %v", p.jwksHits.Load(), took.Round(time.Millisecond))

	for range 5 { // within the first backoff (1 s): no fetch
		identify(t, c, tok)
	}
	if n := p.jwksHits.Load(); n != 1 {
		t.Errorf("requests during the backoff made %d fetches in all; want still 1", n)
	}
	clock.Add(int64(1100 * time.Millisecond))
	identify(t, c, tok)
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("after the backoff: %d fetches in all; want 2", n)
	}
	clock.Add(int64(1100 * time.Millisecond)) // the second backoff is 2 s
	identify(t, c, tok)
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("1.1 s into the second (2 s) backoff: %d fetches in all; want still 2", n)
	}
	p.jwksFail.Store(false)
	clock.Add(int64(time.Second))
	if id := identify(t, c, tok); id.User != "fulian-head" {
		t.Errorf("with the key endpoint back, after the backoff: %+v; want fulian-head", id)
	}
}

// TestDiscoverySingleFlight does the same for the provider's metadata: a
// provider that is down is asked once by 20 sign-ins, not 20 times.
func TestDiscoverySingleFlight(t *testing.T) {
	var hits atomic.Int32
	down := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(100 * time.Millisecond)
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer down.Close()
	c, err := New(Config{Issuer: down.URL, ClientID: clientID, RedirectURL: redirectURL, HTTP: down.Client(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/auth/login", nil))
			if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "无法连接身份认证服务") {
				t.Errorf("/auth/login with the provider down: %d %q; want 502 saying so", rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
	if n := hits.Load(); n != 1 {
		t.Errorf("20 sign-ins with the provider down fetched its metadata %d times; want 1", n)
	}
}

// TestLogout posts to /auth/logout: the cookie is cleared and the browser
// sent to the configured logout URL; without one, to the provider's
// end_session_endpoint with the token as a hint; without that, home.
func TestLogout(t *testing.T) {
	p := newProvider(t)
	tok := mint(t, p.key, p.kid, "RS256", p.idClaims())
	logout := func(c *Provider) *url.URL {
		t.Helper()
		req := httptest.NewRequest("POST", "/auth/logout", nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: tok})
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		res := rec.Result()
		if sess := cookie(t, res, SessionCookie); sess == nil || sess.MaxAge >= 0 || sess.Value != "" || sess.Path != "/" {
			t.Errorf("logout set %+v; want docflow_session cleared on /", sess)
		}
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("logout: %s; want 303", res.Status)
		}
		to, _ := url.Parse(res.Header.Get("Location"))
		return to
	}
	cognito := "https://docflow.auth.cn-northwest-1.amazoncognito.com/logout?client_id=web-client-1&logout_uri=https://docflow.example.gov.cn/"
	if to := logout(p.configWith(t, func() time.Time { return now }, cognito)); to.String() != cognito {
		t.Errorf("with a logout URL: to %s; want %s", to, cognito)
	}
	if to := logout(p.config(t)); to.String() != "https://docflow.example.gov.cn/" {
		t.Errorf("no logout URL, no end_session_endpoint: to %s; want the site's root", to)
	}
	p.endSession = p.srv.URL + "/logout"
	to := logout(p.config(t))
	if q := to.Query(); to.Path != "/logout" || q.Get("client_id") != clientID || q.Get("post_logout_redirect_uri") != "https://docflow.example.gov.cn/" || q.Get("id_token_hint") != tok {
		t.Errorf("with an end_session_endpoint: to %s; want it with client_id, post_logout_redirect_uri and id_token_hint", to)
	}
}

// TestLoginNextStaysOnSite asks /auth/login to return to another site.
func TestLoginNextStaysOnSite(t *testing.T) {
	for _, next := range []string{"https://evil.example/", "//evil.example/", `/\evil.example`, "/x\r\nSet-Cookie: a=b"} {
		if got := SafeNext(next); got != "" {
			t.Errorf("SafeNext(%q) = %q; want empty (the root)", next, got)
		}
	}
	if got := SafeNext("/cases/1?tab=2"); got != "/cases/1?tab=2" {
		t.Errorf("SafeNext(a path) = %q; want it kept", got)
	}
}

// TestNewRefusesBadConfig builds configs with missing or non-https parts:
// every fault is named at once. Plain http is for this machine only.
func TestNewRefusesBadConfig(t *testing.T) {
	_, err := New(Config{Issuer: "http://idp.example/realms/gov", RedirectURL: "https://x/auth/callback?a=b", LogoutURL: "/logout", Claims: ClaimMap{Name: []string{"name"}}})
	if err == nil {
		t.Fatal("New accepted an http issuer, a redirect with a query, a relative logout URL, no client and no user claim")
	}
	for _, want := range []string{"issuer", "redirect URL", "logout URL", "client ID", "names no claim for the user"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New: %v; want it to name the %s", err, want)
		}
	}
	if _, err := New(Config{Issuer: "http://127.0.0.1:5556/dex", ClientID: "docflow", RedirectURL: "http://localhost:8080/auth/callback"}); err != nil {
		t.Errorf("New with an http issuer and site on this machine: %v; want it accepted", err)
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

// TestCookiePath keeps the login cookie where the callback is, also for a
// callback at the site's root.
func TestCookiePath(t *testing.T) {
	for redirect, want := range map[string]string{"https://x/auth/callback": "/auth/", "https://x/callback": "/", "https://x/a/b/cb": "/a/b/"} {
		p, err := New(Config{Issuer: "https://idp.example/", ClientID: "c", RedirectURL: redirect})
		if err != nil {
			t.Fatal(err)
		}
		if p.path != want || p.c.Issuer != "https://idp.example/" {
			t.Errorf("redirect %s: cookie path %q, issuer %q; want %q and the issuer as given", redirect, p.path, p.c.Issuer, want)
		}
	}
}
