package workflow

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The 办理台账 as tables: the statistics laid out as rows, one sheet each
// for the departments, the cases and their parts, which the CSV and
// Excel exports write as they are (the page shows the same figures).

// Cell is one value of a ledger table: text, or a number when Num.
type Cell struct {
	S   string
	N   float64
	Num bool
}

// Text and Number make cells.
func Text(s string) Cell    { return Cell{S: s} }
func Number(n float64) Cell { return Cell{N: n, Num: true, S: formatNumber(n)} }

func formatNumber(n float64) string {
	if n == math.Trunc(n) {
		return fmt.Sprintf("%d", int64(n))
	}
	return fmt.Sprintf("%.1f", n)
}

// Sheet is one table of the ledger; Rows[0] is its header.
type Sheet struct {
	Name string // also the CSV's name: ledger-<Key>.csv
	Key  string
	Rows [][]Cell
}

// LedgerTables are the ledger's tables by key, in the order the workbook
// has them.
var LedgerTables = []string{"depts", "cases", "parts"}

func texts(ss ...string) []Cell {
	out := make([]Cell, len(ss))
	for i, s := range ss {
		out[i] = Text(s)
	}
	return out
}

func date(t time.Time) Cell {
	if t.IsZero() {
		return Text("")
	}
	return Text(t.In(Zone).Format("2006-01-02"))
}

// Sheets lays the statistics out as the ledger's tables.
func (st *Statistics) Sheets() []Sheet {
	depts := Sheet{Name: "部门统计", Key: "depts", Rows: [][]Cell{texts("主办部门", "交办部分", "按期报送", "逾期报送", "逾期未报", "办理中", "按期率（%）", "被退回部分", "退回次数", "平均用时（天）")}}
	for _, d := range append(append([]DeptStats{}, st.Depts...), st.Total) {
		row := []Cell{Text(d.Dept), Number(float64(d.Assigned)), Number(float64(d.OnTime)), Number(float64(d.Late)), Number(float64(d.Overdue)), Number(float64(d.Pending))}
		if r, ok := d.Rate(); ok {
			row = append(row, Number(math.Round(r*10)/10))
		} else {
			row = append(row, Text(""))
		}
		row = append(row, Number(float64(d.Returned)), Number(float64(d.Returns)))
		if a, ok := d.AvgDays(); ok {
			row = append(row, Number(math.Round(a*10)/10))
		} else {
			row = append(row, Text(""))
		}
		depts.Rows = append(depts.Rows, row)
	}

	head := texts("来文字号", "标题", "登记日期", "交办日期", "办理期限", "当前阶段", "办理情况", "发文字号", "发布日期")
	for _, s := range StatStages {
		head = append(head, Text(s.Label()+"（天）"))
	}
	head = append(head, Text("合计（天）"))
	cases := Sheet{Name: "案件台账", Key: "cases", Rows: [][]Cell{head}}
	parts := Sheet{Name: "办理明细", Key: "parts", Rows: [][]Cell{texts("来文字号", "部分", "标题", "主办部门", "协办部门", "部门办理期限", "报送日期", "状态", "按期情况", "退回次数", "用时（天）", "办理结果", "计划安排、原因或说明")}}
	for _, c := range st.Cases {
		s := c.Summary
		row := []Cell{Text(s.Number), Text(s.Title), date(s.Created), date(c.Dispatched), date(s.Due), Text(s.Stage.Label()), Text(c.Status.Label()), Text(s.Doc), date(c.Published)}
		for _, sp := range c.Stages {
			if sp.Known {
				row = append(row, Number(float64(sp.Days)))
			} else {
				row = append(row, Text(""))
			}
		}
		cases.Rows = append(cases.Rows, append(row, Number(float64(c.Total))))
		for _, p := range c.Parts {
			r := []Cell{Text(s.Number), Text(p.Path), Text(p.Heading), Text(p.Lead), Text(strings.Join(p.Co, "、")), date(p.Due), date(p.Submitted),
				Text(p.State.Label()), Text(p.Status.Label()), Number(float64(p.Returns))}
			if p.Days >= 0 {
				r = append(r, Number(float64(p.Days)))
			} else {
				r = append(r, Text(""))
			}
			if p.Result != nil {
				r = append(r, Text(p.Result.Outcome.Label()), Text(p.Result.Text))
			} else {
				r = append(r, Text(""), Text(""))
			}
			parts.Rows = append(parts.Rows, r)
		}
	}
	sheets := []Sheet{depts, cases, parts}
	if len(st.Kinds) > 0 {
		kinds := Sheet{Name: "建议提案统计", Key: "kinds", Rows: [][]Cell{texts("类别代码", "分类", "件数", "已答复", "满意", "基本满意", "不满意", "满意率（%）", "重新办理")}}
		for _, k := range st.Kinds {
			row := []Cell{Text(k.Kind), Text(k.Category), Number(float64(k.Cases)), Number(float64(k.Answered)),
				Number(float64(k.Satisfied)), Number(float64(k.Basic)), Number(float64(k.Unsatisfied))}
			if n := k.Rated(); n > 0 {
				row = append(row, Number(math.Round(float64(k.Satisfied+k.Basic)*1000/float64(n))/10))
			} else {
				row = append(row, Text(""))
			}
			kinds.Rows = append(kinds.Rows, append(row, Number(float64(k.Redone))))
		}
		sheets = append(sheets, kinds)
	}
	return sheets
}
