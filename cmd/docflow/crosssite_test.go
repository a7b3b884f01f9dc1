package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/docflow/docflow/internal/workflow"
)

// TestBrowserCrossSiteRefused is the attack of issue 9 in a real browser:
// the administrator signs in to docflow in Chromium, then opens a page
// served on another local port (same site, another origin: the browser
// sends docflow's SameSite=Lax cookie along). The page tries, with that
// cookie, to make itself an API token (fetch to the JSON API) and to make
// an administrator account (a form posted to the pages). Both are refused
// and nothing is written; the same form typed on docflow's own page works.
func TestBrowserCrossSiteRefused(t *testing.T) {
	needChromium(t)
	o := newOffice(t) // not -dev: the administrator "it" signs in with a password
	u := newUI(t, o.m.URL)
	u.open("/login")
	u.do(setValue("#user", "it"), setValue("#password", "临江 admin 2026"))
	u.click("#login-form button[type=submit]")
	u.see(".flash", "您好")

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>免费领取</title>
<form id="f" method="post" action="%[1]s/admin/accounts">
<input name="user" value="evil"><input name="name" value="坏人"><input name="role" value="admin">
</form>
<script>
fetch(%[1]q + "/api/tokens", {method: "POST", credentials: "include", body: JSON.stringify({name: "偷来的令牌", days: 300})})
  .then(r => { document.title = "fetch " + r.status }, e => { document.title = "fetch failed" })
  .finally(() => document.getElementById("f").submit());
</script>`, o.m.URL)
	}))
	defer evil.Close()

	// The form's post lands on docflow's answer: the refusal.
	status := u.load(chromedp.Navigate(evil.URL))
	if status != http.StatusOK {
		t.Fatalf("the attacker's page: HTTP %d", status)
	}
	// The page navigates away by itself: wait for the browser to land.
	landed := false
	for deadline := time.Now().Add(step); time.Now().Before(deadline) && !landed; time.Sleep(100 * time.Millisecond) {
		loc, err := chromedp.Run(u.ctx, chromedp.Location())
		landed = err == nil && strings.HasPrefix(loc, o.m.URL+"/admin/accounts")
	}
	if !landed {
		u.fail("the attacker's form did not reach docflow")
	}
	u.see("body", "跨站提交已被拒绝")

	ctx := context.Background()
	if _, err := o.m.Store.Account(ctx, "evil"); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("the cross-site form made an account: %v", err)
	}
	sessions, err := o.m.Store.UserSessions(ctx, "it")
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range sessions {
		if ss.Kind == workflow.SessionToken {
			t.Errorf("the cross-site fetch made a token: %+v", ss)
		}
	}

	// The same account made on docflow's own page, by the same browser.
	u.open("/admin/accounts")
	u.do(setValue("#user", "zheng"), setValue("#name", "郑洁"), setValue("#dept", "区民政局"))
	u.do(chromedp.Click(chromedp.CSS(`#add-account input[name=role][value=staff]`)))
	u.click("#add-account button[type=submit]")
	u.see(".flash", "已建立账号 zheng")
	if _, err := o.m.Store.Account(ctx, "zheng"); err != nil {
		t.Errorf("the form on docflow's own page made no account: %v", err)
	}
}
