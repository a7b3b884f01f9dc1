package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestBrowserConsult is 征求意见 in headless Chromium: the clerk sends the
// compiled draft to two contacts from the case page and copies the links
// shown once; one contact, in another browser with no account, on a
// phone, reads the draft and comments; the clerk sees the comment on the
// case page (at a desk and at 390 px) and revokes the other link, which
// then answers 410.
func TestBrowserConsult(t *testing.T) {
	needChromium(t)
	m := &Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SendEvery: -1, CheckEvery: -1}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	c := compileFixture(t, m, dispatchFixture(t, m))

	u := newUI(t, m.URL)
	u.login("clerk")
	u.open("/cases/" + c.ID)
	u.click(fmt.Sprintf(`nav.actions a[href="/cases/%s/consult"]`, c.ID))
	u.do(setValue("#name1", "王某"), setValue("#org1", "区人大常委会社会建设工委"), setValue("#email1", "wang@example.gov.cn"),
		setValue("#name2", "李某"), setValue("#org2", "区人大常委会办公室"), setValue("#days", "5"))
	u.click(`#consult-form button[type=submit]`)
	u.see("#consult-links", "王某（区人大常委会社会建设工委）")
	u.see(".flash", "只显示这一次")
	u.shot("consult-links")
	wang := u.value(`#consult-links tbody tr:nth-child(1) input.link-copy`)
	li := u.value(`#consult-links tbody tr:nth-child(2) input.link-copy`)
	if !strings.HasPrefix(wang, m.URL+"/consult?t=") || wang == li {
		t.Fatalf("links %q, %q; want two links to this server's /consult", wang, li)
	}

	// The contact: no account, another browser, a phone.
	k := newUI(t, m.URL)
	k.phone()
	k.open(strings.TrimPrefix(wang, m.URL))
	k.see("#preview", c.Report.Current.Heading)
	k.see(".lead", "王某")
	k.fits("the contact's page")
	k.shot("consult-contact-phone")
	k.do(setValue("#comment", "建议第二部分补充完成时限。"))
	k.do(scrollTo(`#comment-form button[type=submit]`))
	k.onScreen(`#comment-form button[type=submit]`)
	k.click(`#comment-form button[type=submit]`)
	k.see(".flash", "意见已提交")
	k.shot("consult-contact-answered-phone")

	// The clerk: the comment on the case page, at a desk and on a phone.
	u.open("/cases/" + c.ID)
	u.see("#consult", "建议第二部分补充完成时限。")
	u.see("#consult", "未回复")
	u.shot("consult-case")
	u.phone()
	u.open("/cases/" + c.ID)
	u.fits("the case page with a consultation")
	u.shot("consult-case-phone")
	u.desktop()

	// Revoking 李某's link: it answers 410 from then on.
	u.open("/cases/" + c.ID + "/consult")
	u.click(`#consult-contacts tbody tr:nth-child(2) form button`)
	u.see(".flash", "已撤回")
	k.openStatus(strings.TrimPrefix(li, m.URL), 410)
	k.see("main", "撤回")
	k.shot("consult-revoked-phone")
}

// compileFixture writes, submits and accepts every part of a dispatched
// case through the service, and compiles the report.
func compileFixture(t *testing.T, m *Main, c *workflow.Case) *workflow.Case {
	t.Helper()
	ctx := context.Background()
	var people []workflow.Account
	for q := (workflow.AccountQuery{Limit: workflow.MaxPage}); ; {
		p, err := m.Store.Accounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, p.Accounts...)
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	who := func(dept string, r workflow.Role) workflow.Identity {
		for _, a := range people {
			if a.Dept == dept && a.Has(r) {
				return a.Identity()
			}
		}
		t.Fatalf("no %s in %s", r, dept)
		return workflow.Identity{}
	}
	clerk, _ := m.Store.Account(ctx, "clerk")
	var err error
	for i, sec := range c.Sections {
		if c, err = m.Service.SaveSection(ctx, who(sec.Lead, workflow.Staff), c.ID, sec.ID, sec.Rev, "标题"+sec.ID, "正文"+sec.ID+"。", ""); err != nil {
			t.Fatal(err)
		}
		if c, err = m.Service.SubmitSection(ctx, who(sec.Lead, workflow.Head), c.ID, sec.ID, c.Sections[i].Rev); err != nil {
			t.Fatal(err)
		}
		if c, err = m.Service.AcceptSection(ctx, clerk.Identity(), c.ID, sec.ID, c.Sections[i].Rev); err != nil {
			t.Fatal(err)
		}
	}
	if c, err = m.Service.Compile(ctx, clerk.Identity(), c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}
