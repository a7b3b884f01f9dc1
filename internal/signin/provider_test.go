package signin

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/docflow/docflow/internal/workflow"
)

// A user of the real provider, as an office's directory would hold them.
var zhao = map[string]any{"username": "fulian-head", "password": "Zhao-2025-pass",
	"claims": map[string]any{"name": "赵华", "department": "区妇联", "title": "主任", "groups": []string{"docflow-head", "docflow-approver", "all-staff"}}}

// TestRealProvider signs in against a real OpenID provider (oidc-provider,
// started here from infra/local/oidc/server.mjs) as a browser would: the
// test's HTTP client, with a cookie jar, follows docflow's redirect to the
// provider, posts its login form with a user's password, and is sent back
// to docflow's callback. It checks the identity docflow derives through
// both sessions: the cookie holding the ID token (the Lambda functions)
// and Begin/Finish with a server-side session (the local server). A wrong
// password signs no one in.
func TestRealProvider(t *testing.T) {
	node, dir := providerTools(t)

	var idp *Provider
	sessions := map[string]workflow.Identity{} // the server-side store
	mux := http.NewServeMux()
	mux.Handle("/auth/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { idp.Handler().ServeHTTP(w, r) }))
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		id, _ := idp.Identify(r)
		json.NewEncoder(w).Encode(id)
	})
	mux.HandleFunc("GET /local/login", func(w http.ResponseWriter, r *http.Request) {
		if err := idp.Begin(w, r, "/local/whoami"); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	})
	mux.HandleFunc("GET /local/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := idp.Finish(w, r)
		if err != nil {
			http.Error(w, err.Error(), err.(*Error).Status)
			return
		}
		sid := random()
		sessions[sid] = res.Identity
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true, Secure: true})
		http.Redirect(w, r, res.Next, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /local/whoami", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("sid")
		if err != nil {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(sessions[ck.Value])
	})
	site := httptest.NewTLSServer(mux)
	defer site.Close()

	issuer := startProvider(t, node, dir, map[string]any{
		"clients": []any{map[string]any{"client_id": "docflow", "token_endpoint_auth_method": "none",
			"redirect_uris":             []string{site.URL + "/auth/callback", site.URL + "/local/callback"},
			"post_logout_redirect_uris": []string{site.URL + "/"}, "grant_types": []string{"authorization_code"}, "response_types": []string{"code"}}},
		"users": []any{zhao},
	})
	claims, err := ParseClaims("roles=groups role-prefix=docflow-")
	if err != nil {
		t.Fatal(err)
	}
	newProvider := func(callback string) *Provider {
		p, err := New(Config{Issuer: issuer, ClientID: "docflow", RedirectURL: site.URL + callback, Claims: claims, HTTP: site.Client()})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := workflow.Identity{User: "fulian-head", Name: "赵华", Dept: "区妇联", Title: "主任", Roles: []workflow.Role{workflow.Head, workflow.Approver}}

	for _, tc := range []struct{ name, callback, start, whoami string }{
		{"CookieSession", "/auth/callback", "/auth/login?next=/whoami", "/whoami"},
		{"ServerSession", "/local/callback", "/local/login", "/local/whoami"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp = newProvider(tc.callback)
			b := newBrowser(t, site)
			page := b.get(site.URL + tc.start)
			if !strings.HasPrefix(page.url, issuer+"/interaction/") {
				t.Fatalf("sign-in ended at %s (%d); want the provider's login form", page.url, page.status)
			}
			page = b.submit(page, url.Values{"login": {"fulian-head"}, "password": {zhao["password"].(string)}})
			if page.url != site.URL+tc.whoami || page.status != http.StatusOK {
				t.Fatalf("after the login form: %s (%d): %.300s; want %s", page.url, page.status, page.body, tc.whoami)
			}
			var got workflow.Identity
			if err := json.Unmarshal([]byte(page.body), &got); err != nil {
				t.Fatalf("%v: %s", err, page.body)
			}
			if got.User != want.User || got.Name != want.Name || got.Dept != want.Dept || got.Title != want.Title || !slices.Equal(got.Roles, want.Roles) {
				t.Errorf("docflow derived %+v; want %+v (all-staff dropped by the role prefix)", got, want)
			}
		})
	}

	t.Run("WrongPassword", func(t *testing.T) {
		idp = newProvider("/auth/callback")
		b := newBrowser(t, site)
		page := b.submit(b.get(site.URL+"/auth/login?next=/whoami"), url.Values{"login": {"fulian-head"}, "password": {"guess"}})
		if page.status != http.StatusUnauthorized || !strings.HasPrefix(page.url, issuer) || !strings.Contains(page.body, "用户名或密码错误") {
			t.Errorf("a wrong password: %s (%d); want the provider's form again, saying so", page.url, page.status)
		}
		if me := b.get(site.URL + "/whoami"); !strings.Contains(me.body, `"user":""`) {
			t.Errorf("after a wrong password docflow names %s; want the public", me.body)
		}
	})

	t.Run("SignOut", func(t *testing.T) {
		idp = newProvider("/auth/callback")
		b := newBrowser(t, site)
		b.submit(b.get(site.URL+"/auth/login?next=/whoami"), url.Values{"login": {"fulian-head"}, "password": {zhao["password"].(string)}})
		var tok string
		for _, c := range b.jar.Cookies(mustURL(site.URL)) {
			if c.Name == SessionCookie {
				tok = c.Value
			}
		}
		to := idp.SignOutURL(t.Context(), tok)
		if !strings.HasPrefix(to, issuer+"/session/end?") || !strings.Contains(to, "id_token_hint=") {
			t.Errorf("SignOutURL = %s; want the provider's end_session_endpoint with the token as a hint", to)
		}
	})
}

// providerTools finds node and the installed oidc-provider, or skips the
// test — unless CI is set: `make test` installs both.
func providerTools(t *testing.T) (node, dir string) {
	t.Helper()
	dir = os.Getenv("DOCFLOW_OIDC_PROVIDER")
	if dir == "" {
		dir, _ = filepath.Abs("../../.tools/oidc")
	}
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules/oidc-provider/package.json"))
	}
	if err != nil {
		msg := fmt.Sprintf("no OpenID provider to sign in against (%v): run `bash infra/local/tools.sh`, which installs oidc-provider into .tools/oidc, or set DOCFLOW_OIDC_PROVIDER", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, dir
}

// startProvider runs infra/local/oidc/server.mjs with cfg and returns its
// issuer. The server exits when its stdin closes: at the test's end, or
// if the test binary dies.
func startProvider(t *testing.T, node, dir string, cfg map[string]any) string {
	t.Helper()
	cfg["provider"] = dir
	file := filepath.Join(t.TempDir(), "oidc.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "../../infra/local/oidc/server.mjs", file)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("the provider's log:\n%s", stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case issuer := <-line:
		if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
			t.Fatalf("the provider did not start: %q\n%s", issuer, stderr.String())
		}
		return issuer
	case <-time.After(30 * time.Second):
		t.Fatalf("the provider did not start in 30 s:\n%s", stderr.String())
	}
	return ""
}

// browser is an HTTP client with cookies that follows redirects, trusting
// the site's test certificate.
type browser struct {
	c   *http.Client
	jar *cookiejar.Jar
	t   *testing.T
}

type page struct {
	url    string
	status int
	body   string
}

func newBrowser(t *testing.T, site *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := *site.Client()
	c.Jar = jar
	return &browser{c: &c, jar: jar, t: t}
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{url: res.Request.URL.String(), status: res.StatusCode, body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

// submit fills the page's form with values and posts it.
func (b *browser) submit(p page, values url.Values) page {
	b.t.Helper()
	doc, err := html.Parse(strings.NewReader(p.body))
	if err != nil {
		b.t.Fatal(err)
	}
	var action string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "form" {
			for _, a := range n.Attr {
				if a.Key == "action" {
					action = a.Val
				}
			}
		}
	}
	if action == "" {
		b.t.Fatalf("no form on %s:\n%.500s", p.url, p.body)
	}
	to := mustURL(p.url).ResolveReference(mustURL(action))
	req, _ := http.NewRequest("POST", to.String(), strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
