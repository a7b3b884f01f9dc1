package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/docflow/docflow/internal/workflow"
)

// TestBrowserDailyWork is the clerk's daily work in headless Chromium,
// at a desk and on a phone: a department's group robot is down, so its
// 交办 fails after every retry; the clerk finds it on 通知记录, retries it
// once the robot is back, and sees it sent; then chases a late part (催办)
// with a text, which reaches the department by email. At phone width
// (390 px) the case page, 通知记录 and the 催办 form must fit the screen:
// nothing wider than the viewport, the buttons on screen and usable.
func TestBrowserDailyWork(t *testing.T) {
	needChromium(t)
	n := startNotifying(t)
	m, mp, robot, clock := n.m, n.mp, n.robot, n.clock
	ctx := context.Background()

	robot.Fail(true)
	c := dispatchFixture(t, m)
	for try := 0; try < workflow.MaxTries; try++ {
		if try > 0 {
			clock.Add(workflow.Backoff(try))
		}
		if _, err := m.Sender.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}

	u := newUI(t, m.URL)
	u.login("clerk")

	// 通知记录: the failed message, with the robot's error, and its retry.
	u.open("/outbox?state=failed")
	u.see("#outbox", fixtureRobotDept)
	u.see("#outbox", "HTTP 500")
	u.see("#outbox", "发送失败")
	u.shot("daily-outbox-failed")
	robot.Fail(false)
	u.click(`#outbox form[action="/outbox/retry"] button`)
	u.see(".flash", "已重新排队发送")
	if rep, err := m.Sender.Once(ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("after the retry in the browser: %v %v; want one message sent", rep, err)
	}
	if posts := robot.Posts(); len(posts) != 1 || !strings.Contains(posts[0].Content, fixtureRobotDept) {
		t.Errorf("robot posts %+v; want the 交办 to %s", posts, fixtureRobotDept)
	}
	u.open("/outbox")
	u.see("#outbox", "已发送")
	if got := u.count(`#outbox .msg-state-failed`); got != 0 {
		t.Errorf("通知记录 shows %d failed messages after the retry; want none", got)
	}
	u.shot("daily-outbox-sent")

	// 催办 at phone width, from the case page: a late part, a text, a
	// confirmation.
	sec := c.Sections[len(c.Sections)-1]
	clock.Set(sec.Due.AddDate(0, 0, 2).Add(9 * time.Hour))
	u.phone()
	u.open("/cases/" + c.ID)
	u.fits("the case page")
	u.shot("daily-phone-case")
	link := fmt.Sprintf(`a[href="/cases/%s/sections/%s/remind"]`, c.ID, sec.ID)
	u.do(scrollTo(link))
	u.onScreen(link)
	u.click(link)
	u.see("#remind-part", c.SectionPath(sec.ID))
	u.fits("the 催办 form")
	text := "该部分已逾期，请于本周五前报送。"
	u.do(chromedp.SendKeys(chromedp.CSS("#text"), text))
	u.do(scrollTo(`#remind-form button[type=submit]`))
	u.onScreen(`#remind-form button[type=submit]`)
	u.shot("daily-phone-remind")
	u.click(`#remind-form button[type=submit]`)
	u.see(".flash", "催办")
	if _, err := m.Sender.Once(ctx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mail := range mp.Mails(t) {
		if strings.Contains(mail.Subject, "催办") && strings.Contains(mail.Text, text) {
			found = true
		}
	}
	if !found && sec.Lead != fixtureRobotDept {
		t.Errorf("no 催办 email with the clerk's text %q reached %s", text, sec.Lead)
	}
	u.open("/outbox")
	u.fits("通知记录")
	u.see("#outbox", "催办")
	u.shot("daily-phone-outbox")
	u.desktop()

	// 附件: the first part's department attaches a file on its section
	// page (the section form's 上传附件 button) and sees it listed.
	first := c.Sections[0]
	staff := ""
	for q := (workflow.AccountQuery{Limit: workflow.MaxPage}); staff == ""; {
		p, err := m.Store.Accounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Accounts {
			if a.Dept == first.Lead && a.Has(workflow.Staff) {
				staff = a.User
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" && staff == "" {
			t.Fatalf("no staff in %s", first.Lead)
		}
	}
	file := filepath.Join(t.TempDir(), "工作台账.pdf")
	if err := os.WriteFile(file, []byte("%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.login(staff)
	path := "/cases/" + c.ID + "/sections/" + first.ID
	u.open(path)
	u.do(chromedp.SetUploadFiles(chromedp.CSS("#attachment"), []string{file}))
	u.click(`#section-form button#attach`)
	u.expectPath(path)
	u.see(".flash", "已添加附件「工作台账.pdf」")
	u.see("#attachment-list", "工作台账.pdf")
	u.do(scrollTo("#attachments"))
	u.shot("daily-section-attachment")
}

// phone makes the tab the size of a common phone (390 × 844 CSS pixels).
func (u *ui) phone() { u.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)) }

// desktop makes it the test's usual window again.
func (u *ui) desktop() { u.do(chromedp.EmulateViewport(1280, 900)) }

// fits fails when the page is wider than the viewport: the reader would
// have to scroll sideways to see part of it.
func (u *ui) fits(what string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	// Every element is measured, not only the page's scroll width: an
	// ancestor that hides its overflow would cut a wide table off unseen.
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const w = document.documentElement.clientWidth;
		const wide = Array.from(document.querySelectorAll("body *")).filter(e => {
			const r = e.getBoundingClientRect();
			return r.width > 0 && r.height > 0 && r.right > w + 1;
		});
		if (wide.length === 0 && document.documentElement.scrollWidth <= w) return "";
		const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : "");
		return wide.length + " elements past the right edge of a " + w + " px viewport, the first: " +
			wide.slice(0, 3).map(e => name(e) + " (" + Math.round(e.getBoundingClientRect().right) + " px)").join(", ");
	})()`))
	if err != nil {
		u.fail("measuring %s: %v", what, err)
	}
	if res != "" {
		u.shot("too-wide")
		u.t.Errorf("%s does not fit a phone: %s", what, res)
	}
}

// onScreen fails unless the element is within the viewport horizontally
// and not covered by another at its centre, so a tap would reach it.
func (u *ui) onScreen(sel string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) return false;
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.left < 0 || r.right > document.documentElement.clientWidth) return false;
		const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return hit === e || e.contains(hit);
	})()`, jsString(sel))))
	if err != nil || !ok {
		u.fail("%s is not on screen where a tap would reach it (%v)", sel, err)
	}
}

// count is the number of elements sel matches.
func (u *ui) count(sel string) int {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel))))
	if err != nil {
		u.fail("counting %s: %v", sel, err)
	}
	return n
}
