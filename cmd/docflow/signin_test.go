package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/docflow/docflow/internal/password"
	"github.com/docflow/docflow/internal/workflow"
)

// office is docflow serve without -dev, set up through its setup link by
// a test that plays the office's IT person.
type office struct {
	m     *Main
	admin *http.Client
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: noRedirect}
}

// post sends a form as a browser of this site would (same-origin).
func post(t *testing.T, c *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func newOffice(t *testing.T) *office {
	t.Helper()
	m := &Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.SetupURL == "" {
		t.Fatal("a new installation printed no setup link")
	}
	o := &office{m: m, admin: browser()}
	resp := post(t, o.admin, m.URL+"/setup", url.Values{"token": {strings.SplitN(m.SetupURL, "token=", 2)[1]},
		"org": {"江南市临江区人民政府"}, "orgShort": {"区政府"}, "mark": {"江南市临江区人民政府文件"}, "series": {"临府议"},
		"office": {"江南市临江区人民政府办公室"}, "departments": {"区民政局\n区教育局"},
		"user": {"it"}, "name": {"周明"}, "title": {"信息中心"}, "password": {"临江 admin 2026"}, "password2": {"临江 admin 2026"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d; want 303", resp.StatusCode)
	}
	return o
}

func (o *office) account(t *testing.T, a workflow.Account, pw string) {
	t.Helper()
	ctx := context.Background()
	admin, err := o.m.Store.Account(ctx, "it")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.m.Service.SaveAccount(ctx, admin.Identity(), 0, a, ""); err != nil {
		t.Fatal(err)
	}
	if pw != "" {
		h, err := password.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.m.Service.SetCredentials(ctx, admin.Identity(), a.User, workflow.Credentials{Password: &h}, "重置密码"); err != nil {
			t.Fatal(err)
		}
	}
}

func me(t *testing.T, c *http.Client, u string, header map[string]string) (int, workflow.Identity) {
	t.Helper()
	req, _ := http.NewRequest("GET", u+"/api/me", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var id workflow.Identity
	json.NewDecoder(resp.Body).Decode(&id)
	return resp.StatusCode, id
}

// TestSignIn is an office set up from nothing through its setup link
// (another district than the fixture's), its people signing in with
// passwords and a second factor, and what an attacker tries.
func TestSignIn(t *testing.T) {
	o := newOffice(t)
	u := o.m.URL
	if _, id := me(t, o.admin, u, nil); id.User != "it" || !id.Has(workflow.Admin) {
		t.Fatalf("after setup the browser is %+v; want the administrator signed in", id)
	}
	office, err := o.m.Service.Office(context.Background())
	if err != nil || office.Profile.Org != "江南市临江区人民政府" || office.Profile.Series != "临府议" {
		t.Fatalf("office after setup: %+v, %v", office, err)
	}
	// The link works once.
	if resp := post(t, browser(), u+"/setup", url.Values{"token": {strings.SplitN(o.m.SetupURL, "token=", 2)[1]}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the setup link used again: %d; want 404", resp.StatusCode)
	}
	o.account(t, workflow.Account{User: "wang", Name: "王芳", Roles: []workflow.Role{workflow.Clerk}}, "王芳 的密码 42")

	t.Run("ForgedIdentity", func(t *testing.T) {
		// Without -dev the development header and cookie name nobody.
		if _, id := me(t, http.DefaultClient, u, map[string]string{"X-Docflow-User": "it"}); id.User != "" {
			t.Errorf("X-Docflow-User: it made the caller %+v; want the public", id)
		}
		c := browser()
		uu, _ := url.Parse(u)
		c.Jar.SetCookies(uu, []*http.Cookie{{Name: "docflow_user", Value: "it"}})
		if _, id := me(t, c, u, nil); id.User != "" {
			t.Errorf("the docflow_user cookie made the caller %+v; want the public", id)
		}
		// A made-up session or token is refused.
		c.Jar.SetCookies(uu, []*http.Cookie{{Name: "docflow_session", Value: "it.forged-secret"}})
		if status, _ := me(t, c, u, nil); status != http.StatusUnauthorized {
			t.Errorf("a forged session cookie: %d; want 401", status)
		}
		if status, _ := me(t, http.DefaultClient, u, map[string]string{"Authorization": "Bearer it.forged"}); status != http.StatusUnauthorized {
			t.Errorf("a forged token: %d; want 401", status)
		}
	})

	t.Run("PasswordAndLockout", func(t *testing.T) {
		c := browser()
		if resp := post(t, c, u+"/login", url.Values{"user": {"wang"}, "password": {"王芳 的密码 42"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in with the right password: %d; want 303", resp.StatusCode)
		}
		if _, id := me(t, c, u, nil); id.User != "wang" {
			t.Fatalf("signed in as %+v; want wang", id)
		}
		// Sign out ends the session: the old cookie is worth nothing.
		cookies := c.Jar.Cookies(mustURL(u))
		post(t, c, u+"/logout", nil)
		old := browser()
		old.Jar.SetCookies(mustURL(u), cookies)
		if status, id := me(t, old, u, nil); status != http.StatusUnauthorized && id.User != "" {
			t.Errorf("the cookie of a signed-out session: %d %+v; want refused", status, id)
		}
		// Five wrong passwords lock the account, even against the right one.
		for i := range lockAfterForTest {
			if resp := post(t, browser(), u+"/login", url.Values{"user": {"wang"}, "password": {"guess " + string(rune('a'+i))}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("wrong password %d: %d; want 403", i+1, resp.StatusCode)
			}
		}
		if resp := post(t, browser(), u+"/login", url.Values{"user": {"wang"}, "password": {"王芳 的密码 42"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("the right password on a locked account: %d; want 403", resp.StatusCode)
		}
		a, _ := o.m.Store.Account(context.Background(), "wang")
		if a.Locked.Before(time.Now()) {
			t.Errorf("after %d failures the account is not locked: %+v", lockAfterForTest, a.Locked)
		}
	})

	t.Run("SecondFactor", func(t *testing.T) {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: "docflow", AccountName: "li"})
		if err != nil {
			t.Fatal(err)
		}
		o.account(t, workflow.Account{User: "li", Name: "李强", Roles: []workflow.Role{workflow.Approver}}, "李强 的密码 7788")
		admin, _ := o.m.Store.Account(context.Background(), "it")
		secret := key.Secret()
		if _, err := o.m.Service.SetCredentials(context.Background(), admin.Identity(), "li", workflow.Credentials{TOTP: &secret}, "设置动态口令"); err != nil {
			t.Fatal(err)
		}
		if resp := post(t, browser(), u+"/login", url.Values{"user": {"li"}, "password": {"李强 的密码 7788"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("password without the code: %d; want 403", resp.StatusCode)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		c := browser()
		if resp := post(t, c, u+"/login", url.Values{"user": {"li"}, "password": {"李强 的密码 7788"}, "code": {code}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("password and code: %d; want 303", resp.StatusCode)
		}
	})

	t.Run("SecondFactorRequired", func(t *testing.T) {
		// The office requires a code of approvers. One without a code
		// signs in, is sent to set it up, and cannot sign until then: not
		// with the session, not with a token made meanwhile.
		ctx := context.Background()
		admin, _ := o.m.Store.Account(ctx, "it")
		office, err := o.m.Service.Office(ctx)
		if err != nil {
			t.Fatal(err)
		}
		office.Policy.SecondFactor = true
		if _, err := o.m.Service.SaveOffice(ctx, admin.Identity(), office.Version, *office, ""); err != nil {
			t.Fatal(err)
		}
		defer func() {
			office, _ := o.m.Service.Office(ctx)
			office.Policy.SecondFactor = false
			o.m.Service.SaveOffice(ctx, admin.Identity(), office.Version, *office, "")
		}()
		o.account(t, workflow.Account{User: "zhao", Name: "赵刚", Roles: []workflow.Role{workflow.Approver}}, "赵刚 的密码 2468")
		c := browser()
		resp := post(t, c, u+"/login", url.Values{"user": {"zhao"}, "password": {"赵刚 的密码 2468"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/account") {
			t.Fatalf("an approver without a code signing in: %d to %q; want 303 to /account", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, id := me(t, c, u, nil); id.User != "zhao" || id.Has(workflow.Approver) {
			t.Errorf("signed in without a code the approver is %+v; want zhao without the approver role", id)
		}
		status, page := postPage(t, c, u+"/account", url.Values{"action": {"token"}, "name": {"脚本"}, "days": {"5"}})
		token := find(t, tokenRE, page, "token")
		if status != http.StatusOK {
			t.Fatalf("token: %d", status)
		}
		status, page = postPage(t, c, u+"/account", url.Values{"action": {"totp-begin"}})
		secret := find(t, regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`), page, "the second factor's key")
		if status != http.StatusOK {
			t.Fatalf("totp-begin: %d", status)
		}
		if s, _ := postPage(t, c, u+"/account", url.Values{"action": {"totp-confirm"}, "secret": {secret}, "code": {"000000"}}); s != http.StatusBadRequest {
			t.Errorf("confirming with a wrong code: %d; want 400", s)
		}
		if s, _ := postPage(t, c, u+"/account", url.Values{"action": {"totp-confirm"}, "secret": {"not base32!"}, "code": {"123456"}}); s != http.StatusBadRequest {
			t.Errorf("confirming a forged key: %d; want 400", s)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		if s, body := postPage(t, c, u+"/account", url.Values{"action": {"totp-confirm"}, "secret": {secret}, "code": {code}}); s != http.StatusSeeOther {
			t.Fatalf("confirming the code: %d\n%.2000s", s, body)
		}
		if _, id := me(t, c, u, nil); !id.Has(workflow.Approver) {
			t.Errorf("after proving the code in this session the approver is %+v; want the approver role", id)
		}
		if _, id := me(t, http.DefaultClient, u, map[string]string{"Authorization": "Bearer " + token}); id.User != "zhao" || id.Has(workflow.Approver) {
			t.Errorf("a token of an approver under the second-factor policy is %+v; want zhao without the approver role", id)
		}
		if s, _ := postPage(t, c, u+"/account", url.Values{"action": {"totp-begin"}}); s != http.StatusConflict {
			t.Errorf("replacing the code oneself: %d; want 409 (an administrator clears it)", s)
		}
		a, _ := o.m.Store.Account(ctx, "zhao")
		if a.TOTP != secret {
			t.Errorf("stored second factor %q; want the one confirmed", a.TOTP)
		}
	})

	t.Run("Tokens", func(t *testing.T) {
		req, _ := http.NewRequest("POST", u+"/api/tokens", strings.NewReader(`{"name":"夜间统计脚本","days":30}`))
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := o.admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var tok struct{ Token, ID string }
		json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || tok.Token == "" {
			t.Fatalf("POST /api/tokens: %d %+v", resp.StatusCode, tok)
		}
		bearer := map[string]string{"Authorization": "Bearer " + tok.Token}
		if _, id := me(t, http.DefaultClient, u, bearer); id.User != "it" {
			t.Errorf("the token is %+v; want it", id)
		}
		// A token is no cookie, and a cookie no token.
		c := browser()
		c.Jar.SetCookies(mustURL(u), []*http.Cookie{{Name: "docflow_session", Value: tok.Token}})
		if status, _ := me(t, c, u, nil); status != http.StatusUnauthorized {
			t.Errorf("a token as a session cookie: %d; want 401", status)
		}
		req, _ = http.NewRequest("DELETE", u+"/api/tokens/"+tok.ID, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("revoking the token: %v %v", err, resp)
		}
		if status, _ := me(t, http.DefaultClient, u, bearer); status != http.StatusUnauthorized {
			t.Errorf("a revoked token: %d; want 401", status)
		}
	})

	t.Run("SignOutEverywhere", func(t *testing.T) {
		a, b := browser(), browser()
		for _, c := range []*http.Client{a, b} {
			post(t, c, u+"/login", url.Values{"user": {"it"}, "password": {"临江 admin 2026"}})
		}
		post(t, a, u+"/account", url.Values{"action": {"logout-all"}})
		if status, id := me(t, b, u, nil); status != http.StatusUnauthorized && id.User != "" {
			t.Errorf("another browser after signing out everywhere: %d %+v; want signed out", status, id)
		}
	})

	t.Run("CrossSiteAndHost", func(t *testing.T) {
		// A request a browser marks as cross-site is refused, the API too.
		req, _ := http.NewRequest("PUT", u+"/api/series/临府议/2026", bytes.NewReader([]byte(`{"next":5}`)))
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := o.admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site API request with the administrator's cookie: %d; want 403", resp.StatusCode)
		}
		req, _ = http.NewRequest("POST", u+"/logout", nil)
		req.Header.Set("Origin", "http://evil.example")
		if resp, err := o.admin.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("a form posted from another origin: %v %v; want 403", err, resp)
		}
		// A foreign name in Host (DNS rebinding) is not answered.
		req, _ = http.NewRequest("GET", u+"/api/me", nil)
		req.Host = "attacker.example:80"
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("GET with Host attacker.example: %v %v; want 421", err, resp)
		}
	})
}

const lockAfterForTest = 5

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestDevOnlyOnLoopback: the development identity refuses to listen where
// others could reach it.
func TestDevOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0"} {
		m := &Main{DataDir: t.TempDir(), Addr: addr, Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		err := m.Open()
		if err == nil {
			m.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("-dev on %s: %v; want a refusal naming loopback", addr, err)
		}
	}
	m := &Main{DataDir: t.TempDir(), Addr: "0.0.0.0:0", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err == nil || !strings.Contains(err.Error(), "-host") {
		if err == nil {
			m.Close()
		}
		t.Errorf("serving every interface without -host: %v; want a refusal naming -host", err)
	}
}
