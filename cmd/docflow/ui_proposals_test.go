package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/docflow/docflow/internal/workflow"
)

// TestBrowserProposals is issue 13 in headless Chromium: the clerk imports
// a list of twelve 代表建议 (.xlsx, one row without a title) on the import
// page and sees the refused row with its reason; hands five over to one
// department on the batch page; the department records its contact with
// the deputy on the section page; once the answer is published (by the
// service, as the other browser tests cover those pages), the clerk makes
// the 满意度 link, and the deputy — another browser, no account, a phone
// — rates the answer 不满意, first without the reason it needs; the clerk
// then sees the rating, the second case opened, and the statistics by
// kind.
func TestBrowserProposals(t *testing.T) {
	needChromium(t)
	m := &Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SendEvery: -1, CheckEvery: -1}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()

	// The list, as the People's Congress system exports it.
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	f.SetSheetRow(sh, "A1", &[]any{"建议号", "标题", "领衔代表", "代表团", "附议人", "内容", "类别"})
	for i := range 12 {
		title := fmt.Sprintf("关于完善第%d街道便民设施的建议", i+1)
		if i == 6 {
			title = ""
		}
		f.SetSheetRow(sh, fmt.Sprintf("A%d", i+2), &[]any{fmt.Sprintf("%03d", i+1), title, "周某", "第一代表团", "吴某", "建议增设便民设施。", "城建"})
	}
	list := filepath.Join(t.TempDir(), "代表建议清单.xlsx")
	if err := f.SaveAs(list); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(workflow.Zone).Format("2006-01-02")

	u := newUI(t, m.URL)
	u.login("clerk")
	u.open("/cases/import")
	u.do(setValue("#assigned", today), chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{list}))
	u.click(`#import-form button[type=submit]`)
	u.see("#import-result", "已登记 11 件，未登记 1 行")
	u.see("#import-refused", "第 8 行缺少标题")
	u.shot("proposals-import")

	u.open("/cases/handover")
	for i := 1; i <= 5; i++ {
		box := fmt.Sprintf(`#handover-cases tbody tr:nth-child(%d) input[name=case]`, i)
		u.do(scrollTo(box), chromedp.Click(chromedp.CSS(box)))
	}
	u.do(setValue("#lead", "区民政局"))
	u.shot("proposals-handover")
	u.click(`#handover-form button[type=submit]`)
	u.see("#handover-result", "已交办 5 件，未交办 0 件")

	clerk, err := m.Store.Account(ctx, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	page, err := m.Service.Cases(ctx, clerk.Identity(), workflow.Query{Stage: workflow.Drafting})
	if err != nil || len(page.Cases) != 5 {
		t.Fatalf("cases handed over: %v %d", err, len(page.Cases))
	}
	id := page.Cases[0].ID

	// 逐件登记: one that arrived alone, typed in; then 参照交办 from a
	// case already handed over, found by its number.
	u.open("/cases/import")
	u.do(setValue("#one-assigned", today), setValue("#number", "099"), setValue("#title", "关于增设街心花园的建议"),
		setValue("#proposer", "郑某"), setValue("#group", "第三代表团"), setValue("#content", "建议在街角增设花园。"))
	u.click(`#import-one button[type=submit]`)
	u.see(".flash", "已登记 099")
	u.see("h1", "关于增设街心花园的建议")
	one, err := m.Service.Cases(ctx, clerk.Identity(), workflow.Query{Text: "街心花园"})
	if err != nil || len(one.Cases) != 1 {
		t.Fatalf("the case registered alone: %v %d", err, len(one.Cases))
	}
	u.open("/cases/" + one.Cases[0].ID + "/assign")
	u.do(setValue("#like", page.Cases[0].Number))
	u.click(`#like-form button[type=submit]`)
	u.see("#like-note", page.Cases[0].Number)
	if lead := u.value("#lead-0"); lead != "区民政局" {
		t.Errorf("参照交办 filled the lead department with %q; want 区民政局", lead)
	}
	u.shot("proposals-assign-like")

	// The department: its contact with the deputy, on the section page.
	u.login("minzheng-staff")
	u.open("/cases/" + id + "/sections/s1")
	u.see("#liaison", "尚未登记沟通情况")
	u.do(setValue("#liaison_date", today), setValue("#liaison_way", "走访"), setValue("#liaison_text", "上门听取周代表的意见。"))
	u.click(`#liaison-form button[type=submit]`)
	u.see("#liaison", "已沟通 1 次")
	u.shot("proposals-liaison")

	// The answer, through the service (its pages are the other tests').
	as := func(user string) workflow.Identity {
		a, err := m.Store.Account(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return a.Identity()
	}
	must := func(c *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := must(m.Service.Case(ctx, as("clerk"), id))
	c = must(m.Service.SaveSection(ctx, as("minzheng-staff"), id, "s1", c.Sections[0].Rev, "答复", "已在街道增设便民设施。", ""))
	c = must(m.Service.SubmitSection(ctx, as("minzheng-head"), id, "s1", c.Sections[0].Rev))
	must(m.Service.AcceptSection(ctx, as("clerk"), id, "s1", c.Sections[0].Rev))
	must(m.Service.Compile(ctx, as("clerk"), id))
	c = must(m.Service.StartSignoff(ctx, as("clerk"), id, []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	for _, a := range []string{"reviewer", "deputy", "mayor"} {
		c = must(m.Service.Approve(ctx, as(a), id, c.Report.Current.Sum, "同意"))
	}
	c = must(m.Service.Publish(ctx, as("clerk"), id, time.Time{}))

	// The clerk: the 满意度 link, shown once.
	u.login("clerk")
	u.open("/cases/" + id)
	u.click(`#feedback-link a`)
	u.click(`#feedback form button[type=submit]`)
	u.see(".flash", "测评链接已生成")
	u.shot("proposals-feedback-link")
	link := u.value("#feedback-link")
	if !strings.HasPrefix(link, m.URL+"/feedback?t=") {
		t.Fatalf("the link %q", link)
	}

	// The deputy: no account, a phone.
	d := newUI(t, m.URL)
	d.phone()
	d.open(strings.TrimPrefix(link, m.URL))
	d.see("main", "关于完善第")
	d.fits("the deputy's rating page")
	d.do(chromedp.Click(chromedp.CSS(`input[name=rating][value=unsatisfied]`)))
	if status := d.load(chromedp.Click(chromedp.CSS(`#feedback-form button[type=submit]`))); status != 400 {
		d.fail("不满意 without a reason: HTTP %d; want 400", status)
	}
	d.see("#err-comment", "请写明原因")
	d.do(setValue("#comment", "设施位置不便，希望调整。"))
	d.click(`#feedback-form button[type=submit]`)
	d.see(".flash", "评价已提交")
	d.see("main", "您的评价：不满意")
	d.shot("proposals-deputy-rated-phone")

	// The clerk: the rating, the second answer, the statistics.
	u.open("/cases/" + id + "/feedback")
	u.see("#feedback", "设施位置不便，希望调整。")
	u.see("#feedback", "已重新办理")
	u.shot("proposals-feedback")
	u.open("/stats")
	u.see("#kind-stats", "人大代表建议")
	u.see("#kind-stats", "城建")
	u.shot("proposals-stats")
	if c.Publication.Number() == "" {
		t.Errorf("the answer was not numbered")
	}
}
