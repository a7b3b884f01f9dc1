// Package roster reads a list of an office's people — one row per person,
// under a header row — from a CSV file or an Excel workbook (.xlsx), as
// offices keep them, for workflow.Service.ImportAccounts.
//
// The header names the columns, in Chinese or English, in any order:
//
//	登录名 (user)   姓名 (name)   部门 (dept)   职务 (title)   角色 (roles)   签批环节 (steps)
//
// 登录名, 姓名 and 角色 are required; other columns are ignored and named
// in Roster.Ignored. Roles are written as their labels (审核签发人) or
// codes (approver); roles and steps hold several values separated by 、
// , ; or spaces. CSV files may be UTF-8, with or without a byte-order
// mark, or GB18030/GBK, as Excel in China saves them.
//
// Problems of the file as a whole (too big, not text, no header) are
// errors; problems of one row are left in its RosterRow.Problem, so that
// the import reports every bad row at once.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/workflow"
)

// Limits of a roster, refused as the file is read.
const (
	MaxBytes = 2 << 20              // of the file
	MaxRows  = workflow.MaxAccounts // people, not counting the header
	MaxCell  = 200                  // characters in one cell
	// An .xlsx is a zip: its parts are limited unpacked too, so that a
	// small file cannot unpack to gigabytes.
	maxUnzipped    = 64 << 20
	maxUnzippedXML = 32 << 20
	// Rows read from a sheet, blank ones too: a CSV is bounded by
	// MaxBytes, a sheet's XML could hold far more empty rows.
	maxLines = 2*MaxRows + 100
)

// Columns names the fields of a roster with the headers each may have.
var Columns = []struct {
	Field   string
	Headers []string
}{
	{"user", []string{"登录名", "账号", "user", "login"}},
	{"name", []string{"姓名", "name"}},
	{"dept", []string{"部门", "dept", "department"}},
	{"title", []string{"职务", "title"}},
	{"roles", []string{"角色", "roles", "role"}},
	{"steps", []string{"签批环节", "steps", "step"}},
}

var required = []string{"user", "name", "roles"}

// Roster is a file read: the people for ImportAccounts, and the columns
// it ignored.
type Roster struct {
	workflow.Roster
	Ignored []string
}

// Parse reads a roster; name's extension (.csv or .xlsx) says which kind.
func Parse(name string, data []byte) (*Roster, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("名单文件 %s 有 %d 字节，超过上限 %d 字节（2 MiB）：请分成几个文件导入", name, len(data), MaxBytes)
	}
	var (
		rows [][]string
		err  error
	)
	isZip := bytes.HasPrefix(data, []byte("PK\x03\x04"))
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".xlsx" && isZip:
		rows, err = xlsxRows(data)
	case ext == ".xlsx":
		return nil, fmt.Errorf("%s 不是 Excel 工作簿（.xlsx）：请在 Excel 中另存为“Excel 工作簿”或“CSV UTF-8”", name)
	case ext == ".csv" && isZip:
		return nil, fmt.Errorf("%s 是 Excel 工作簿而不是 CSV：请把扩展名改为 .xlsx", name)
	case ext == ".csv":
		rows, err = csvRows(data)
	case ext == ".xls" || ext == ".et":
		return nil, fmt.Errorf("不支持旧版 Excel/WPS 表格（%s）：请另存为“Excel 工作簿（.xlsx）”或“CSV UTF-8”", ext)
	default:
		return nil, fmt.Errorf("名单须为 CSV（.csv）或 Excel 工作簿（.xlsx），不是 %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r, err := build(rows)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// csvRows decodes a CSV file's text and splits it into rows.
func csvRows(data []byte) ([][]string, error) {
	text, err := decode(data)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1 // spreadsheets drop trailing empty cells
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("第 %d 行不是有效的 CSV（%v）：请在 Excel 中另存为“CSV UTF-8”", pe.Line, pe.Err)
			}
			return nil, err
		}
		rows = append(rows, rec)
	}
}

// decode returns a CSV file's text: UTF-8 (a byte-order mark dropped), or
// else GB18030, which covers GBK and GB2312. Bytes that are neither, and
// NUL bytes, which no text has, are refused: they are not a roster.
func decode(data []byte) (string, error) {
	const advice = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return "", fmt.Errorf("文件是 UTF-16 编码（Excel 的“Unicode 文本”）：%s", advice)
	case bytes.IndexByte(data, 0) >= 0:
		return "", fmt.Errorf("文件含有二进制数据，不是文本：%s", advice)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text := string(data)
	if !utf8.Valid(data) {
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(b, utf8.RuneError) {
			return "", fmt.Errorf("文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本：%s", advice)
		}
		text = string(b)
	}
	// Other control characters are the problem of the row whose cell
	// holds them (person), so that the report names the row.
	return text, nil
}

// xlsxRows reads the first sheet of a workbook.
func xlsxRows(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedXML})
	if err != nil {
		return nil, fmt.Errorf("无法读取 Excel 工作簿（%v）：请在 Excel 中另存为“Excel 工作簿（.xlsx）”", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("工作簿中没有工作表")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("无法读取工作表「%s」：%v", sheets[0], err)
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		if len(rows) == maxLines {
			return nil, fmt.Errorf("工作表超过 %d 行：名单至多 %d 人，请删去多余的行或分成几个文件导入", maxLines, MaxRows)
		}
		rec, err := it.Columns()
		if err != nil {
			return nil, fmt.Errorf("工作表「%s」第 %d 行无法读取：%v", sheets[0], len(rows)+1, err)
		}
		rows = append(rows, rec)
	}
	return rows, it.Error()
}

// build reads the header and then each person. rows[i] is the file's row
// i+1.
func build(rows [][]string) (*Roster, error) {
	head := 0
	for head < len(rows) && empty(rows[head]) {
		head++
	}
	if head == len(rows) {
		return nil, errors.New("名单是空的：第一行须为列名（登录名、姓名、部门、职务、角色、签批环节），其下每行一人")
	}
	r := &Roster{}
	col := map[string]int{} // field → column index
	for i, h := range rows[head] {
		h = clean(h)
		field := ""
		for _, c := range Columns {
			for _, name := range c.Headers {
				if strings.EqualFold(h, name) {
					field = c.Field
				}
			}
		}
		switch _, dup := col[field]; {
		case field == "":
			if h != "" {
				r.Ignored = append(r.Ignored, h)
			}
		case dup:
			return nil, fmt.Errorf("第 %d 行：列「%s」出现了两次", head+1, h)
		default:
			col[field] = i
		}
	}
	var miss []string
	for _, f := range required {
		if _, ok := col[f]; !ok {
			miss = append(miss, header(f))
		}
	}
	if len(miss) > 0 {
		return nil, fmt.Errorf("第 %d 行须为列名，缺少「%s」列（可用的列：登录名、姓名、部门、职务、角色、签批环节）", head+1, strings.Join(miss, "」「"))
	}
	_, r.HasDept = col["dept"]
	_, r.HasTitle = col["title"]
	_, r.HasSteps = col["steps"]
	for i := head + 1; i < len(rows); i++ {
		if empty(rows[i]) {
			continue
		}
		if len(r.Rows) == MaxRows {
			return nil, fmt.Errorf("名单超过 %d 人：请分成几个文件导入", MaxRows)
		}
		r.Rows = append(r.Rows, person(i+1, rows[i], col))
	}
	if len(r.Rows) == 0 {
		return nil, fmt.Errorf("名单在列名（第 %d 行）之下没有人", head+1)
	}
	return r, nil
}

// person reads one row; every problem of the row goes into its Problem.
func person(line int, rec []string, col map[string]int) workflow.RosterRow {
	row := workflow.RosterRow{Line: line}
	var bad []string
	cell := func(field string) string {
		i, ok := col[field]
		if !ok || i >= len(rec) {
			return ""
		}
		v := clean(rec[i])
		switch {
		case utf8.RuneCountInString(v) > MaxCell:
			bad = append(bad, fmt.Sprintf("「%s」列超过 %d 个字符", header(field), MaxCell))
			return ""
		case strings.IndexFunc(v, isControl) >= 0:
			bad = append(bad, fmt.Sprintf("「%s」列含有换行或控制字符", header(field)))
			return ""
		case strings.HasPrefix(v, "="):
			bad = append(bad, fmt.Sprintf("「%s」列以“=”开头，像是公式而不是文字", header(field)))
			return ""
		}
		return v
	}
	a := &row.Account
	a.User, a.Name, a.Dept, a.Title = cell("user"), cell("name"), cell("dept"), cell("title")
	for _, s := range Split(cell("roles")) {
		r, ok := workflow.ParseRole(s)
		if !ok {
			bad = append(bad, fmt.Sprintf("没有角色「%s」（可用：%s）", s, workflow.RoleNames()))
			continue
		}
		a.Roles = append(a.Roles, r)
	}
	a.Steps = Split(cell("steps"))
	if a.User == "" && len(bad) == 0 {
		bad = append(bad, "登录名为空")
	}
	if len(a.Roles) == 0 && len(bad) == 0 {
		bad = append(bad, "角色为空（可用："+workflow.RoleNames()+"）")
	}
	row.Problem = strings.Join(bad, "；")
	return row
}

// Split splits a cell of several values: 审核、签发 or clerk,approver.
func Split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("、,，;；", r)
	})
}

func header(field string) string {
	for _, c := range Columns {
		if c.Field == field {
			return c.Headers[0]
		}
	}
	return field
}

// clean trims a cell, full-width spaces too.
func clean(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

func empty(rec []string) bool {
	for _, c := range rec {
		if clean(c) != "" {
			return false
		}
	}
	return true
}

// isControl reports characters no name or title has, and that could make
// a cell read otherwise than it is: line breaks, control characters, and
// the invisible marks that reorder text.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\ufeff'
}
