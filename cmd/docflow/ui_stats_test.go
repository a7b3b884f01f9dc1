package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// TestBrowserStatistics opens the statistics page, the follow-up list and
// a part's 延期申请 in headless Chromium over the data set of
// workflowtest.SeedLedger, at a desk and at phone width, and keeps the
// screenshots (artifacts/screenshots/).
func TestBrowserStatistics(t *testing.T) {
	needChromium(t)
	// The clock is the server's from the start, and its sender and
	// reminder ticker are off: set after Open, the clock raced with the
	// ticker's first check (the race detector caught it).
	clock := workflowtest.NewClock(2025, 10, 1)
	m := &Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: clock.Now, SendEvery: -1, CheckEvery: -1}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]workflow.Identity{}
	for _, a := range acc {
		got, err := m.Store.Account(context.Background(), a.User)
		if err != nil {
			t.Fatal(err)
		}
		ids[a.User] = got.Identity()
	}
	cases := workflowtest.SeedLedger(t, m.Service, clock, ids)
	u := newUI(t, m.URL)

	u.login("clerk")
	u.click(`a[href="/stats"]`)
	u.expectPath("/stats")
	u.open("/stats?year=2026")
	u.see("#dept-stats tbody", "区妇联")
	u.see("#dept-stats tfoot", "33.3%")
	u.see("#chart-depts title", "2026 年各主办部门办理情况")
	u.see("#case-stats", "按期办结")
	u.see("#exports", "导出 Excel 台账")
	u.see("#as-of", "统计截至")
	u.click("#as-of button")
	u.see(".flash", "已重新统计")
	u.see("#stage-stats tbody", "承办中")
	u.shot("clerk-statistics")
	u.do(scrollTo("#case-stats"))
	u.shot("clerk-statistics-cases")
	u.open("/followup?year=2026")
	u.see("#followup", workflowtest.LedgerCases["A"])
	u.shot("clerk-followup")

	u.login("fulian-head")
	u.open("/cases/" + cases["C"].ID + "/sections/s2")
	u.see("#extension h2", "延期申请")
	u.do(scrollTo("#extension"))
	u.shot("department-extension")

	u.do(chromedp.EmulateViewport(390, 844))
	u.login("clerk")
	u.open("/stats?year=2026")
	u.see("#dept-stats tbody", "区民政局")
	u.shot("clerk-statistics-phone")
}
