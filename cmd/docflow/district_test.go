package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// linjiang is the second office of the tests, 江南市临江区, as its
// administrator sets it up: its own names, series, departments, chain,
// 抄送 and its practice of printing 附注 by 公开属性.
func linjiang() (workflow.Office, []workflow.Account) {
	seed := workflow.Office{
		Profile: workflow.Profile{
			Org: "江南市临江区人民政府", OrgShort: "区政府", Mark: "江南市临江区人民政府文件", Series: "临府议",
			Office: "江南市临江区人民政府办公室", CC: []string{"区委办公室", "区人大常委会办公室", "区政协办公室"},
			Opening: "根据《{{.Title}}》（{{.Number}}），{{.OrgShort}}高度重视，逐条研究落实。现将有关情况报告如下：",
			Closing: "特此报告。", LeadDays: 10, DefaultDue: 6,
			Departments: []string{"区卫健委", "区规划资源局", "区人社局", "区医保局", "区财政局", "区民政局"},
			Chain:       []workflow.StepPlan{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"chief"}}},
			Notes:       map[workflow.Openness]string{workflow.OnRequest: "此件依申请公开", workflow.Withheld: "此件不予公开"},
		},
		Series: []string{"临府议", "临府发"},
		Policy: workflow.Policy{Required: []string{"审核", "签发"}},
	}
	people := []workflow.Account{
		{User: "clerk", Name: "陈静", Title: "秘书科科员", Roles: []workflow.Role{workflow.Clerk}},
		{User: "reviewer", Name: "沈清", Title: "区府办副主任", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"核稿"}},
		{User: "deputy", Name: "高远", Title: "副区长", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"审核"}},
		{User: "chief", Name: "罗成", Title: "区长", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"签发"}},
	}
	for _, d := range []struct{ code, dept string }{{"wj", "区卫健委"}, {"gh", "区规划资源局"}, {"rs", "区人社局"}, {"yb", "区医保局"}, {"cz", "区财政局"}} {
		people = append(people,
			workflow.Account{User: d.code + "-staff", Name: d.dept + "经办人", Dept: d.dept, Roles: []workflow.Role{workflow.Staff}},
			workflow.Account{User: d.code + "-head", Name: d.dept + "负责人", Dept: d.dept, Title: "主任", Roles: []workflow.Role{workflow.Head}})
	}
	return seed, people
}

// TestAnotherDistrictPublishesAsDecided is the acceptance of issue 11's
// workflow side: a case of 江南市临江区 (testdata/linjiang-2026-9) — its own
// organisation, series and departments, an outline three levels deep (1.
// under （一） under 一、), a 抄送 line, a closing paragraph the clerk
// writes as the outline's own part (not pasted into the report), and a
// 印发日期 four days after the 成文日期, published 依申请公开 with the 附注
// the office's practice gives it — carried through the API by the demo
// driver and published text identical to report.txt, block by block, the
// 附注 and the 版记 (抄送, 印发机关, 印发日期) included. Then the notice is
// looked for as the public would — the list, the feed, the public API, the
// notice's page and each of its files — and must be in none of them, while
// the clerk and a department that took part still read it.
func TestAnotherDistrictPublishesAsDecided(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	seed, people := linjiang()
	st, err := localstore.Open(dir, localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	workflowtest.SetUp(t, &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: st}, seed, people)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	m := &Main{DataDir: dir, Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	fixture := os.DirFS("../../testdata/linjiang-2026-9")
	var log bytes.Buffer
	d := &demo.Demo{BaseURL: m.URL, Fixture: fixture, Log: &log, Series: "临府议", First: 9, Clerk: "clerk", Accounts: people,
		Date: workflow.Day(2026, 8, 20), Printed: workflow.Day(2026, 8, 24), Openness: "依申请公开"}
	c, err := d.Run(ctx)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, log.String())
	}
	if got := c.Publication.Number(); got != "临府议〔2026〕9号" {
		t.Errorf("published as %s; want 临府议〔2026〕9号", got)
	}
	if c.Report.Current.N != 1 {
		t.Errorf("the published report is version %d; want 1: the closing comes with compiling, nothing is pasted", c.Report.Current.N)
	}

	get := func(user, path string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", m.URL+path, nil)
		if user != "" {
			req.Header.Set("X-Docflow-User", user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	// The text, block by block, as the clerk reads it.
	status, _, page := get("clerk", "/notices/"+c.ID+"/notice.html")
	if status != http.StatusOK {
		t.Fatalf("the clerk reading the notice: %d", status)
	}
	got, err := noticetest.Blocks(page)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fs.ReadFile(fixture, "report.txt")
	if err != nil {
		t.Fatal(err)
	}
	wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
	for i := 0; i < max(len(got), len(wantLines)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if normalize(g) != normalize(w) {
			t.Errorf("block %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
	// The .docx carries the same decisions.
	status, _, docx := get("clerk", "/notices/"+c.ID+"/notice.docx")
	if status != http.StatusOK {
		t.Fatalf("the clerk reading notice.docx: %d", status)
	}
	if text := docxText(t, docx); !strings.Contains(text, "（此件依申请公开）") || !strings.Contains(text, "2026年8月24日印发") {
		t.Errorf("notice.docx lacks the 附注 or the 印发日期:\n%s", text)
	}

	// The public finds it nowhere.
	for _, tt := range []struct {
		what, path string
		status     int
	}{
		{"the public list", "/notices", 200},
		{"the public list searched by its number", "/notices?q=" + "临府议", 200},
		{"the feed", "/notices.atom", 200},
		{"the public API's list", "/api/notices", 200},
		{"the public API's cases", "/api/cases", 200},
		{"the public API's case", "/api/cases/" + c.ID, 404},
		{"the notice's page", "/notices/" + c.ID, 404},
		{"notice.html", "/notices/" + c.ID + "/notice.html", 404},
		{"notice.docx", "/notices/" + c.ID + "/notice.docx", 404},
	} {
		// A list must not name the case; a refusal names only what was
		// asked for, and nothing of the notice.
		status, _, body := get("", tt.path)
		if status != tt.status || tt.status == 200 && strings.Contains(string(body), c.ID) || strings.Contains(string(body), "临府议〔2026〕9号") ||
			strings.Contains(string(body), "社区卫生服务") {
			t.Errorf("%s (GET %s as the public): %d; want %d and no trace of the notice\n%.300s", tt.what, tt.path, status, tt.status, body)
		}
	}
	// The office, and a department that took part, still see it.
	for _, tt := range []struct{ what, user, path, has string }{
		{"the notice's page", "clerk", "/notices/" + c.ID, "不在公开公告中"},
		{"the case", "clerk", "/cases/" + c.ID, "依申请公开"},
		{"the office's list", "clerk", "/api/cases?stage=published", c.ID},
		{"the API's case", "clerk", "/api/cases/" + c.ID, `"openness": "on-request"`},
		{"notice.html to the lead department", "wj-staff", "/notices/" + c.ID + "/notice.html", "临府议〔2026〕9号"},
	} {
		if status, _, body := get(tt.user, tt.path); status != http.StatusOK || !strings.Contains(string(body), tt.has) {
			t.Errorf("%s (GET %s as %s): %d; want 200 with %q", tt.what, tt.path, tt.user, status, tt.has)
		}
	}
}

// docxText is the text of a .docx's document part, its tags dropped.
func docxText(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, _ := io.ReadAll(f)
	var out strings.Builder
	in := false
	for _, r := range string(x) {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			out.WriteRune(r)
		}
	}
	return out.String()
}
