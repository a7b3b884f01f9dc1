package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestRemindPage: 催办 is a form, not a button that posts at once: it
// names the part so that 二（一） is not taken for 一（一）, takes the
// clerk's text (within the limit, kept on a refusal), and only the
// confirmation records it. What was tried: the form, an over-long text,
// the confirmation, a department's attempt.
func TestRemindPage(t *testing.T) {
	e := mustPageEnv(t)
	e.mustDispatch(t)
	var sec workflow.Section
	for _, s := range e.c.Sections {
		if e.c.SectionPath(s.ID) == "二（一）" {
			sec = s
		}
	}
	if sec.Lead != "区卫健委" {
		t.Fatalf("the fixture's 二（一） is led by %q; want 区卫健委", sec.Lead)
	}
	path := sectionPath(e.c, sec.ID) + "/remind"
	p := e.do(t, "clerk", "GET", path, nil)
	if p.status != 200 || !strings.Contains(p.body, "二（一）「") || !strings.Contains(p.body, "（区卫健委主办）") || textarea(p.body, "text") != workflow.DefaultReminder {
		t.Fatalf("GET %s: %d; want the form naming 二（一）, its heading and 区卫健委, with the default text\n%.2000s", path, p.status, p.body)
	}
	long := strings.Repeat("快", workflow.MaxReminder+1)
	p = e.do(t, "clerk", "POST", path, url.Values{"text": {long}}, "Sec-Fetch-Site", "same-origin")
	if p.status != 400 || fieldError(p.body, "text") == "" || textarea(p.body, "text") != long {
		t.Errorf("an over-long reminder: %d, message %q; want 400 with the text kept", p.status, fieldError(p.body, "text"))
	}
	if c, _ := e.svc.Store.Case(context.Background(), e.c.ID); c.Sections[1].Reminds+c.Sections[0].Reminds != 0 {
		t.Errorf("the refused reminder was recorded")
	}
	p = e.do(t, "fuer-staff", "POST", path, url.Values{"text": {"x"}}, "Sec-Fetch-Site", "same-origin")
	if p.status != 403 {
		t.Errorf("a department's 催办: %d; want 403", p.status)
	}
	p = e.do(t, "clerk", "POST", path, url.Values{"text": {"请本周五前报送。"}}, "Sec-Fetch-Site", "same-origin")
	if p.status != 303 {
		t.Fatalf("confirming: %d; want a redirect\n%.1000s", p.status, p.body)
	}
	c, _ := e.svc.Store.Case(context.Background(), e.c.ID)
	got, _ := c.Section(sec.ID)
	if got.Reminds != 1 || got.Reminded.Text != "请本周五前报送。" {
		t.Errorf("after confirming: %d reminders, %+v", got.Reminds, got.Reminded)
	}

	// The outbox shows the reminder: the fixture's people have no
	// addresses and the office no robots, so it failed at once, saying
	// why, with no retry to offer until someone can be reached.
	p = e.do(t, "clerk", "GET", "/outbox?state=failed", nil)
	if p.status != 200 || !strings.Contains(p.body, "催办") || !strings.Contains(p.body, "区卫健委") || !strings.Contains(p.body, "没有填写邮箱") {
		t.Errorf("the outbox: %d; want the reminder to 区卫健委, failed, saying no one has an address\n%.3000s", p.status, p.body)
	}
	if strings.Contains(p.body, `action="/outbox/retry"`) {
		t.Error("the outbox offers to retry a message nobody can receive")
	}
	for _, u := range []string{"fuer-staff", "mayor"} {
		if p := e.do(t, u, "GET", "/outbox", nil); p.status != 403 {
			t.Errorf("%s opening the outbox: %d; want 403", u, p.status)
		}
	}
}
