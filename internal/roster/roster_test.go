package roster

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/workflow"
)

// The second office's roster, as its personnel office would keep it.
const hexiCSV = "登录名,姓名,部门,职务,角色,签批环节\n" +
	"zhao.min,赵敏,区教育局,科员,承办部门经办人,\n" +
	"qian-li,钱立,区教育局,局长,承办部门负责人、审核签发人,会签\n" +
	"sun_hong,孙红,,区府办秘书科科长,\"区府办经办人, approver\",核稿；审核\n"

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func xlsx(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestParseGood reads the same three people from every kind of file an
// office might send: UTF-8 with and without a byte-order mark, GB18030 and
// GBK as Excel in China saves CSV, CRLF line ends, and an .xlsx with a
// blank row and English headers in another order. Each must give the same
// accounts, with the row numbers a spreadsheet shows.
func TestParseGood(t *testing.T) {
	want := []workflow.RosterRow{
		{Line: 2, Account: workflow.Account{User: "zhao.min", Name: "赵敏", Dept: "区教育局", Title: "科员", Roles: []workflow.Role{workflow.Staff}}},
		{Line: 3, Account: workflow.Account{User: "qian-li", Name: "钱立", Dept: "区教育局", Title: "局长", Roles: []workflow.Role{workflow.Head, workflow.Approver}, Steps: []string{"会签"}}},
		{Line: 4, Account: workflow.Account{User: "sun_hong", Name: "孙红", Title: "区府办秘书科科长", Roles: []workflow.Role{workflow.Clerk, workflow.Approver}, Steps: []string{"核稿", "审核"}}},
	}
	book := xlsx(t, [][]any{
		{"name", "user", "roles", "title", "dept", "steps", "备注"},
		{"赵敏", "zhao.min", "staff", "科员", "区教育局"},
		{"钱立", "qian-li", "head approver", "局长", "区教育局", "会签", "新任"},
		{},
		{"孙红", "sun_hong", "clerk；审核签发人", "区府办秘书科科长", "", "核稿、审核"},
	})
	for _, tt := range []struct {
		what, name string
		data       []byte
		lines      []int
		ignored    []string
	}{
		{"UTF-8", "名单.csv", []byte(hexiCSV), nil, nil},
		{"UTF-8 with BOM", "名单.CSV", []byte("\ufeff" + hexiCSV), nil, nil},
		{"UTF-8, CRLF", "名单.csv", []byte(strings.ReplaceAll(hexiCSV, "\n", "\r\n")), nil, nil},
		{"GB18030", "名单.csv", encode(t, simplifiedchinese.GB18030, hexiCSV), nil, nil},
		{"GBK", "名单.csv", encode(t, simplifiedchinese.GBK, hexiCSV), nil, nil},
		{"xlsx", "名单.xlsx", book, []int{2, 3, 5}, []string{"备注"}},
	} {
		t.Run(tt.what, func(t *testing.T) {
			r, err := Parse(tt.name, tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !r.HasDept || !r.HasTitle || !r.HasSteps {
				t.Errorf("columns dept %v title %v steps %v; want all present", r.HasDept, r.HasTitle, r.HasSteps)
			}
			if !slices.Equal(r.Ignored, tt.ignored) {
				t.Errorf("ignored columns %q; want %q", r.Ignored, tt.ignored)
			}
			if len(r.Rows) != len(want) {
				t.Fatalf("%d rows; want %d: %+v", len(r.Rows), len(want), r.Rows)
			}
			for i, got := range r.Rows {
				w := want[i]
				if tt.lines != nil {
					w.Line = tt.lines[i]
				}
				a, b := got.Account, w.Account
				if got.Line != w.Line || got.Problem != "" || a.User != b.User || a.Name != b.Name || a.Dept != b.Dept ||
					a.Title != b.Title || !slices.Equal(a.Roles, b.Roles) || !slices.Equal(a.Steps, b.Steps) {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, got, w)
				}
			}
		})
	}
}

// TestParseOptionalColumns: a roster of logins, names and roles says it
// lacks the other columns, so the import keeps what accounts have there.
func TestParseOptionalColumns(t *testing.T) {
	r, err := Parse("r.csv", []byte("user,name,roles\nzhao,赵敏,staff\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.HasDept || r.HasTitle || r.HasSteps || len(r.Rows) != 1 {
		t.Errorf("roster %+v; want no optional columns and one row", r)
	}
}

// TestParseBadRows: each bad row is kept with its row number (as a
// spreadsheet numbers it: a cell with a line break is one row) and every
// reason, and the good rows around it are read; nothing is refused
// silently. Cells that could hide or forge text — line breaks, control
// characters, direction overrides, formulas — are refused.
func TestParseBadRows(t *testing.T) {
	long := strings.Repeat("长", MaxCell+1)
	csv := "登录名,姓名,部门,角色\n" +
		"ok,好人,区教育局,staff\n" +
		"x1,某甲,区教育局,局长\n" + // line 3: unknown role
		",某乙,区教育局,staff\n" + // 4: no login
		"x3,\"某\n丙\",区教育局,staff\n" + // 5: a line break inside a cell (one row in a spreadsheet)
		"x4,某\x1b丁,区教育局,staff\n" + // 6: an escape character
		"x5,某\u202e戊,区教育局,staff\n" + // 7: right-to-left override
		"x6,\"=HYPERLINK(\"\"http://x\"\")\",区教育局,staff\n" + // 8: formula
		"x7," + long + ",区教育局,staff\n" + // 9: too long
		"x8,某庚,区教育局,\n" + // 10: no role
		"ok2,好人二,区教育局,clerk\n"
	r, err := Parse("bad.csv", []byte(csv))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := map[int]string{3: "没有角色「局长」", 4: "登录名为空", 5: "换行或控制字符", 6: "换行或控制字符", 7: "换行或控制字符",
		8: "像是公式", 9: fmt.Sprintf("超过 %d 个字符", MaxCell), 10: "角色为空"}
	good := 0
	for _, row := range r.Rows {
		if row.Problem == "" {
			good++
			continue
		}
		if w, ok := want[row.Line]; !ok || !strings.Contains(row.Problem, w) {
			t.Errorf("row %d: problem %q; want %q", row.Line, row.Problem, w)
		}
		delete(want, row.Line)
	}
	if len(want) != 0 || good != 2 {
		t.Errorf("rows not reported: %v; %d good rows, want 2", want, good)
	}
}

// TestParseRefused: files that are not a roster are refused as a whole,
// each with a message that says what to do.
func TestParseRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	// Bytes 0x80 and 0xff are neither UTF-8 nor GB18030, and have no NUL.
	neither := []byte("登录名,姓名,角色\nzhao,\x80\xff\x80,staff\n")
	tooMany := "登录名,姓名,角色\n" + strings.Repeat("a,b,staff\n", MaxRows+1)
	for _, tt := range []struct {
		what, name string
		data       []byte
		say        string
	}{
		{"a file over the limit", "big.csv", bytes.Repeat([]byte("a,b,c\n"), MaxBytes/6+1), "超过上限"},
		{"random bytes", "r.csv", garbage, "不是文本"},
		{"neither UTF-8 nor GB18030", "r.csv", neither, "既不是 UTF-8 也不是 GBK"},
		{"UTF-16 text", "r.csv", append([]byte{0xff, 0xfe}, encode(t, simplifiedchinese.GBK, "x")...), "UTF-16"},
		{"an .xlsx that is not a workbook", "r.xlsx", []byte(hexiCSV), "不是 Excel 工作簿"},
		{"a workbook named .csv", "r.csv", xlsx(t, [][]any{{"登录名"}}), "扩展名改为 .xlsx"},
		{"a zip that is not a workbook", "r.xlsx", []byte("PK\x03\x04garbage"), "无法读取 Excel"},
		{"an old .xls", "r.xls", []byte{0xd0, 0xcf, 0x11, 0xe0}, "旧版"},
		{"a text file", "r.txt", []byte(hexiCSV), "CSV（.csv）或 Excel"},
		{"an empty file", "r.csv", nil, "名单是空的"},
		{"a header only", "r.csv", []byte("登录名,姓名,角色\n\n"), "没有人"},
		{"no login column", "r.csv", []byte("姓名,部门,角色\n赵敏,区教育局,staff\n"), "缺少「登录名」列"},
		{"a column twice", "r.csv", []byte("登录名,姓名,角色,name\nz,赵,staff,赵\n"), "出现了两次"},
		{"an unbalanced quote", "r.csv", []byte("登录名,姓名,角色\nz,\"赵,staff\n"), "不是有效的 CSV"},
		{"more people than accounts allowed", "r.csv", []byte(tooMany), fmt.Sprintf("超过 %d 人", MaxRows)},
	} {
		r, err := Parse(tt.name, tt.data)
		if err == nil {
			t.Errorf("%s: read %d rows; want an error", tt.what, len(r.Rows))
			continue
		}
		if !strings.Contains(err.Error(), tt.say) {
			t.Errorf("%s: %v; want it to say %q", tt.what, err, tt.say)
		}
	}
}

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"审核、签发": {"审核", "签发"}, "clerk,approver": {"clerk", "approver"}, " a ；b;c，d e\u3000f ": {"a", "b", "c", "d", "e", "f"}, "": nil,
	} {
		if got := Split(in); !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q; want %q", in, got, want)
		}
	}
}
