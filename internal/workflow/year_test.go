package workflow_test

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/docflow/docflow/internal/caselist"
	"github.com/docflow/docflow/internal/workflow"
)

// listFile is an .xlsx list as the People's Congress or CPPCC system
// exports it, made here: n rows, the category of row i categories[i%len].
func listFile(t *testing.T, n int, header []string, categories []string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	f.SetSheetRow(sh, "A1", &[]any{"清单"})
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = h
	}
	f.SetSheetRow(sh, "A2", &row)
	for i := range n {
		f.SetSheetRow(sh, fmt.Sprintf("A%d", i+3), &[]any{fmt.Sprintf("%04d", i+1), fmt.Sprintf("关于第%d项工作的意见", i+1),
			fmt.Sprintf("提出人%d", i%37), fmt.Sprintf("第%d组", i%9+1), "附议甲、附议乙", "请加强此项工作。", categories[i%len(categories)]})
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestProposalYear is issue 13's acceptance on the embedded store: a list
// of 300 suggestions and one of 200 proposals, made here as .xlsx, are
// imported; handed over in batches of at most 100 to three departments;
// a sample is answered, the answers rated 满意, 基本满意 and 不满意, and
// the 不满意 one answered again and rated 满意; the year's statistics by
// kind and category are checked against a count made here by hand, and
// the ledger's sheet agrees with them.
func TestProposalYear(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	day := workflow.Day(2025, 7, 10)
	imp := func(kind, name string, data []byte) []workflow.Imported {
		t.Helper()
		rows, refused, err := caselist.Proposals(name, data, workflow.MaxImport)
		if err != nil || len(refused) > 0 {
			t.Fatalf("%s: %v, refused %v", name, err, refused)
		}
		got := must(e.svc.Import(e.ctx, clerk, kind, day, name, rows))
		for _, r := range got {
			if r.Case == "" {
				t.Fatalf("%s line %d: %s", name, r.Line, r.Reason)
			}
		}
		return got
	}
	sugg := imp("suggestion", "代表建议.xlsx", listFile(t, 300, []string{"建议号", "标题", "领衔代表", "代表团", "附议人", "内容", "类别"}, []string{"城建", "教育", "民政"}))
	prop := imp("proposal", "政协提案.xlsx", listFile(t, 200, []string{"提案号", "案由", "提案人", "界别", "联名人", "提案内容", "类别"}, []string{"经济", "社会"}))

	hand := func(rows []workflow.Imported, dept string) {
		t.Helper()
		for i := 0; i < len(rows); i += workflow.MaxHandOver {
			var ids []string
			for _, r := range rows[i:min(i+workflow.MaxHandOver, len(rows))] {
				ids = append(ids, r.Case)
			}
			for _, h := range must(e.svc.AssignBatch(e.ctx, clerk, ids, dept, nil, time.Time{})) {
				if h.Reason != "" {
					t.Fatalf("handing %s to %s: %s", h.Case, dept, h.Reason)
				}
			}
		}
	}
	hand(sugg[:100], "区民政局")
	hand(sugg[100:], "区教育局")
	hand(prop, "区妇联")

	// The sample: suggestions 1, 2 and 4 (城建, 教育, 城建) answered by 区民政局.
	rate := func(id string, r workflow.Rating, comment string) *workflow.Case {
		t.Helper()
		_, link := must2(e.svc.AskFeedback(e.ctx, clerk, id))
		return e.ok(e.svc.GiveFeedback(e.ctx, link, r, comment))
	}
	for _, i := range []int{0, 1, 3} {
		e.answered(t, sugg[i].Case)
	}
	rate(sugg[0].Case, workflow.Satisfied, "")
	rate(sugg[1].Case, workflow.Basic, "还需跟进。")
	redo := rate(sugg[3].Case, workflow.Unsatisfied, "未解决。").Feedback.Redo
	e.answered(t, redo)
	rate(redo, workflow.Satisfied, "")

	st := must(e.svc.Statistics(e.ctx, clerk, 2025))
	checkReport(t, e.svc, clerk, 2025, st)
	got := map[string]workflow.KindStats{}
	for _, k := range st.Kinds {
		got[k.Kind+"/"+k.Category] = k
	}
	// By hand: suggestions by row i%3: 城建 0,3,6,… (100), 教育 (100), 民政
	// (100); the three answered are rows 0 (城建), 1 (教育), 3 (城建); the
	// second answer is of row 3 (城建). Proposals: 经济 and 社会, 100 each.
	want := map[string]workflow.KindStats{
		"suggestion/城建": {Kind: "suggestion", Category: "城建", Cases: 100, Answered: 2, Satisfied: 2, Unsatisfied: 1, Redone: 1},
		"suggestion/教育": {Kind: "suggestion", Category: "教育", Cases: 100, Answered: 1, Basic: 1},
		"suggestion/民政": {Kind: "suggestion", Category: "民政", Cases: 100},
		"suggestion/合计": {Kind: "suggestion", Category: "合计", Cases: 300, Answered: 3, Satisfied: 2, Basic: 1, Unsatisfied: 1, Redone: 1},
		"proposal/经济":   {Kind: "proposal", Category: "经济", Cases: 100},
		"proposal/社会":   {Kind: "proposal", Category: "社会", Cases: 100},
		"proposal/合计":   {Kind: "proposal", Category: "合计", Cases: 200},
	}
	if len(got) != len(want) {
		t.Errorf("%d rows by kind and category; want %d: %+v", len(got), len(want), st.Kinds)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v; want %+v", k, got[k], w)
		}
	}
	// Departments: 区民政局 led 100 parts (one each), 区教育局 200, 区妇联 200,
	// and the second answer's part is 区民政局's too.
	for _, d := range st.Depts {
		if n := map[string]int{"区民政局": 101, "区教育局": 200, "区妇联": 200}[d.Dept]; d.Assigned != n {
			t.Errorf("%s: %d parts assigned; want %d", d.Dept, d.Assigned, n)
		}
	}
	var sheet *workflow.Sheet
	for _, s := range st.Sheets() {
		if s.Key == "kinds" {
			sheet = &s
		}
	}
	if sheet == nil || len(sheet.Rows) != len(want)+1 {
		t.Fatalf("the ledger's 建议提案统计 sheet: %+v", sheet)
	}
	var line []string
	for _, row := range sheet.Rows {
		if row[0].S == "suggestion" && row[1].S == "合计" {
			for _, c := range row {
				line = append(line, c.S)
			}
		}
	}
	// 满意率: (满意 + 基本满意) ÷ rated = 3 ÷ 4 = 75%.
	if got := strings.Join(line, ","); got != "suggestion,合计,300,3,2,1,1,75,1" {
		t.Errorf("the sheet's suggestion total: %s", got)
	}
}

// checkReport holds the kept report (Service.Report, tallied in chunks
// of 500 cases) to the statistics read whole, and walks the ledger page
// by page: every case once.
func checkReport(t *testing.T, svc *workflow.Service, id workflow.Identity, year int, st *workflow.Statistics) {
	t.Helper()
	ctx := t.Context()
	rep, err := svc.RefreshReport(ctx, id, year)
	if err != nil {
		t.Fatalf("RefreshReport(%d) = %v", year, err)
	}
	kept, err := svc.Report(ctx, id, year)
	if err != nil {
		t.Fatalf("Report(%d) = %v", year, err)
	}
	whole := *st
	whole.Aggregate()
	for _, r := range []*workflow.Statistics{rep, kept} {
		if r.Cases != nil || r.AsOf.IsZero() {
			t.Errorf("a report has %d rows and AsOf %v; want none and a time", len(r.Cases), r.AsOf)
		}
		if r.CaseCount != len(st.Cases) || r.Total != st.Total || !slices.Equal(r.Depts, st.Depts) || !slices.Equal(r.Kinds, st.Kinds) {
			t.Errorf("report: %d cases, total %+v, depts %+v, kinds %+v\nwant %d, %+v, %+v, %+v", r.CaseCount, r.Total, r.Depts, r.Kinds, len(st.Cases), st.Total, st.Depts, st.Kinds)
		}
		if !maps.Equal(r.Status, whole.Status) || !slices.Equal(r.Stages, whole.Stages) {
			t.Errorf("report: status %v, stages %+v\nwant %v, %+v", r.Status, r.Stages, whole.Status, whole.Stages)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := svc.Ledger(ctx, id, year, cursor, 200)
		if err != nil {
			t.Fatalf("Ledger page %d = %v", pages, err)
		}
		for _, c := range p.Cases {
			if seen[c.Summary.ID] {
				t.Errorf("ledger: case %s twice", c.Summary.ID)
			}
			seen[c.Summary.ID] = true
		}
		if cursor = p.Next; cursor == "" || pages > 10 {
			break
		}
	}
	if len(seen) != len(st.Cases) {
		t.Errorf("the ledger's pages hold %d cases; want %d", len(seen), len(st.Cases))
	}
}
