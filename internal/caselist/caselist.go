// Package caselist reads the lists of 代表建议 (deputies' suggestions) and
// 政协提案 (CPPCC members' proposals) that an office receives from the
// People's Congress or CPPCC system, exported as an Excel workbook (.xlsx)
// or a CSV file.
//
// A list has a header row, among its first 10 non-empty rows, that names
// the columns; rows above it (a title, a date) and columns it does not
// know are ignored. Each non-empty row below it is one case. The systems
// name the columns differently, so each column has several names:
//
//	建议号、提案号、编号 …     the case's number (required)
//	标题、案由、题目 …         its title (required)
//	领衔代表、提案人 …         its first proposer (required)
//	代表团、界别 …             the proposer's delegation or sector
//	附议人、联名人 …           those who signed it too
//	内容、正文 …               its text (required)
//	类别、分类 …               its category
//
// A problem of the whole file (too big, not a list, no header) is an
// error; a problem of one row refuses that row alone, with a reason, so
// that the office sees every bad row at once and can import the others.
//
// Read only parses the bytes it is given. It reads .xlsx itself rather
// than through a spreadsheet library, so that it stays small enough for
// an AWS Lambda function.
package caselist

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

const op = "caselist.Read"

// Defaults of Limits.
const (
	DefaultMaxFile    = 10 << 20 // bytes of the upload
	DefaultMaxRows    = 5000     // data rows
	DefaultMaxContent = 20000    // runes of one row's content
)

// Limits of the other cells of a row. A longer cell holds something else
// than its column says — a whole paragraph pasted in the wrong place.
const (
	maxTitle     = 200
	maxName      = 50 // a number, proposer, group, cosigner or category
	maxCosigners = 100
	headerRows   = 10 // non-empty rows searched for the header
)

// Row is one case of a list.
type Row struct {
	Line      int      // the row's number in the sheet or file, 1-based, as a spreadsheet shows it
	Number    string   // 建议号 / 提案号, e.g. 第0012号 or 12
	Title     string   // 标题 / 案由
	Proposer  string   // 领衔代表 / 提案人 (first proposer)
	Group     string   // 代表团 / 界别 (may be empty)
	Cosigners []string // 附议人 / 联名人, split on 、，,；; and whitespace (may be empty)
	Content   string   // 内容 / 正文
	Category  string   // 类别 (may be empty)
}

// Refusal is a row left out of a list, and why.
type Refusal struct {
	Line   int
	Number string // as read, may be empty
	Reason string // Chinese, says what is wrong and what to do, e.g. "第 7 行缺少标题（案由）"
}

// Limits bound what Read accepts. A zero field takes its default.
type Limits struct {
	MaxFile    int // bytes of the upload; default DefaultMaxFile
	MaxRows    int // data rows; default DefaultMaxRows
	MaxContent int // runes of one row's content; default DefaultMaxContent
}

func (l Limits) orDefault() Limits {
	if l.MaxFile <= 0 {
		l.MaxFile = DefaultMaxFile
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxContent <= 0 {
		l.MaxContent = DefaultMaxContent
	}
	return l
}

// A field is a column of a list that Read knows.
type field int

const (
	colNumber field = iota
	colTitle
	colProposer
	colGroup
	colCosigners
	colContent
	colCategory
	nfields
)

// columns gives each field its label, for messages, and the header names
// it may have.
var columns = [nfields]struct {
	label string
	names []string
}{
	colNumber:    {"建议号（提案号）", []string{"建议号", "提案号", "编号", "案号", "建议编号", "提案编号"}},
	colTitle:     {"标题（案由）", []string{"标题", "案由", "题目", "建议标题", "提案标题", "建议题目", "提案题目"}},
	colProposer:  {"领衔代表（提案人）", []string{"领衔代表", "代表", "提出人", "委员", "提案人", "第一提案人", "领衔人", "代表姓名", "委员姓名"}},
	colGroup:     {"代表团（界别）", []string{"代表团", "界别", "所属代表团", "组别", "所在代表团"}},
	colCosigners: {"附议人（联名人）", []string{"附议人", "联名人", "联名代表", "联名委员", "附议代表"}},
	colContent:   {"内容（正文）", []string{"内容", "正文", "建议内容", "提案内容", "主要内容", "建议正文", "提案正文"}},
	colCategory:  {"类别", []string{"类别", "分类", "类型", "建议类别", "提案类别"}},
}

var required = []field{colNumber, colTitle, colProposer, colContent}

// fieldNamed is the field a header cell names. A search rather than a
// map built at start: the package is linked into every function, whose
// start should not pay for a list it may never read.
func fieldNamed(name string) (field, bool) {
	for f, c := range columns {
		if slices.Contains(c.names, name) {
			return field(f), true
		}
	}
	return 0, false
}

// A record is a non-empty row of a sheet or file: its line, as a
// spreadsheet numbers it, and its non-empty cells. Cells are kept sparse
// because a sheet may place a cell in column XFD.
type record struct {
	line  int
	cells []cell
}

type cell struct {
	col  int // 0-based
	text string
}

var (
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte{0xD0, 0xCF, 0x11, 0xE0}
)

// Read reads a list named name (its extension, .csv or .xlsx, and its
// first bytes decide the format). Whole-file problems return an error of
// kind workflow.Invalid; row problems become Refusals and the row is left
// out. Entirely blank rows are skipped.
func Read(name string, data []byte, lim Limits) ([]Row, []Refusal, error) {
	lim = lim.orDefault()
	if len(data) == 0 {
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」是空文件：请重新从系统导出清单后再导入", name)
	}
	if len(data) > lim.MaxFile {
		size, max := workflow.SizeText(len(data)), workflow.SizeText(lim.MaxFile)
		if size == max {
			size, max = fmt.Sprintf("%d 字节", len(data)), fmt.Sprintf("%d 字节", lim.MaxFile)
		}
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "文件过大（%s，上限 %s）：请分成几个文件导入", size, max)
	}
	var (
		cols map[int]field
		body []record
		err  error
	)
	isZip, isOLE := hasPrefix(data, magicZip), hasPrefix(data, magicOLE)
	switch ext := strings.ToLower(path.Ext(name)); {
	case isOLE || ext == ".xls" || ext == ".et":
		// Excel also wraps a password-protected .xlsx in an OLE file.
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」是旧版 Excel（.xls）或加了密码的工作簿，无法读取：请在 Excel 中另存为“Excel 工作簿（.xlsx）”或“CSV UTF-8（逗号分隔）”，不设密码，再导入", name)
	case ext == ".xlsx" && isZip:
		var recs []record
		recs, err = readXLSX(name, data, xlsxLimits{part: maxPart, cells: maxCells})
		if err == nil {
			cols, body, err = findHeader(name, recs)
		}
	case ext == ".xlsx":
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」不是 Excel 工作簿（.xlsx），扩展名与内容不符：请从系统重新导出，或在 Excel 中另存为 .xlsx 后再导入", name)
	case ext == ".csv" && isZip:
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」实际是 Excel 工作簿，不是 CSV：请把扩展名改为 .xlsx 后再导入", name)
	case ext == ".csv":
		cols, body, err = readCSV(name, data)
	default:
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」不是 .csv 或 .xlsx 文件：请从人大或政协系统导出 Excel 工作簿（.xlsx）或 CSV 文件后再导入", name)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(body) > lim.MaxRows {
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」有 %d 行数据，超过上限 %d 行：请分成几个文件导入", name, len(body), lim.MaxRows)
	}
	var (
		rows []Row
		refs []Refusal
		seen = map[string]int{} // number, without spaces → line of its first row
	)
	for _, rec := range body {
		row, reason := readRow(rec, cols, lim, seen)
		if reason != "" {
			refs = append(refs, Refusal{Line: rec.line, Number: row.Number, Reason: reason})
			continue
		}
		rows = append(rows, row)
	}
	return rows, refs, nil
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

// findHeader finds the header among the first non-empty records and
// returns the column of each field it names, and the records below it.
func findHeader(name string, recs []record) (map[int]field, []record, error) {
	if len(recs) == 0 {
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」中没有任何内容：请确认导出的是建议（提案）清单", name)
	}
	best, bestLine, bestHave := 0, 0, map[field]bool{}
	for i, rec := range recs[:min(len(recs), headerRows)] {
		cols := map[int]field{}
		have := map[field]bool{}
		for _, c := range rec.cells {
			f, ok := fieldNamed(strings.Map(dropSpace, c.text))
			if ok && !have[f] {
				cols[c.col] = f
				have[f] = true
			}
		}
		n := 0
		for _, f := range required {
			if have[f] {
				n++
			}
		}
		if n == len(required) {
			return cols, recs[i+1:], nil
		}
		if n > best {
			best, bestLine, bestHave = n, rec.line, have
		}
	}
	var missing, names []string
	for _, f := range required {
		if !bestHave[f] {
			missing = append(missing, columns[f].label)
			names = append(names, columns[f].label+"："+strings.Join(columns[f].names, "、"))
		}
	}
	accepted := strings.Join(names, "；")
	if best == 0 {
		return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」的前 %d 个非空行中没有列名行：清单须有一行列名，至少含「%s」四列。可用的列名——%s", name, headerRows, strings.Join(missing, "」「"), accepted)
	}
	return nil, nil, workflow.Errorf(op, workflow.Invalid, "「%s」第 %d 行的列名缺少「%s」列：请在该行补上这些列后再导入。可用的列名——%s", name, bestLine, strings.Join(missing, "」「"), accepted)
}

// readRow reads one record below the header. It returns the row, and
// the reason it is refused, or "". seen holds the numbers read so far,
// of refused rows too: two rows with one number are a conflict to settle
// whichever of them is otherwise wrong.
func readRow(rec record, cols map[int]field, lim Limits, seen map[string]int) (Row, string) {
	var v [nfields]string
	for _, c := range rec.cells {
		if f, ok := cols[c.col]; ok {
			v[f] = clean(c.text)
		}
	}
	row := Row{
		Line:     rec.line,
		Number:   v[colNumber],
		Title:    v[colTitle],
		Proposer: v[colProposer],
		Group:    v[colGroup],
		Content:  v[colContent],
		Category: v[colCategory],
	}
	var bad, missing []string
	for _, f := range required {
		if v[f] == "" {
			missing = append(missing, columns[f].label)
		}
	}
	if len(missing) > 0 {
		bad = append(bad, "缺少"+strings.Join(missing, "、"))
	}
	for f := range nfields {
		if i := strings.IndexFunc(v[f], isControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(v[f][i:])
			bad = append(bad, fmt.Sprintf("%s含有控制字符 U+%04X：请删去后再导入", columns[f].label, r))
		}
	}

	// Some systems list every proposer in the proposer's column: the
	// first leads, the others signed with them.
	var others []string
	if names := split(row.Proposer, isPunct); len(names) > 1 {
		row.Proposer, others = names[0], names[1:]
	}
	named := map[string]bool{row.Proposer: true}
	for _, s := range append(others, split(v[colCosigners], isSeparator)...) {
		if !named[s] {
			named[s] = true
			row.Cosigners = append(row.Cosigners, s)
		}
	}

	long := func(f field, s string, max int, advice string) {
		if n := utf8.RuneCountInString(s); n > max {
			bad = append(bad, fmt.Sprintf("%s超过 %d 字（有 %d 字）：%s", columns[f].label, max, n, advice))
		}
	}
	const check = "请核对这一栏是否填错"
	long(colNumber, row.Number, maxName, check)
	long(colTitle, row.Title, maxTitle, "请精简后再导入")
	long(colProposer, row.Proposer, maxName, check)
	long(colGroup, row.Group, maxName, check)
	long(colContent, row.Content, lim.MaxContent, "请删减后再导入")
	long(colCategory, row.Category, maxName, check)
	if n := len(row.Cosigners); n > maxCosigners {
		bad = append(bad, fmt.Sprintf("%s多于 %d 人（有 %d 人）：%s", columns[colCosigners].label, maxCosigners, n, check))
	}
	for _, s := range row.Cosigners {
		if utf8.RuneCountInString(s) > maxName {
			bad = append(bad, fmt.Sprintf("%s中有一项超过 %d 字：请用顿号或逗号分隔各人", columns[colCosigners].label, maxName))
			break
		}
	}

	if key := strings.Map(dropSpace, row.Number); key != "" {
		if first, ok := seen[key]; ok {
			bad = append(bad, fmt.Sprintf("%s「%s」与第 %d 行重复：同一编号只能有一件，请核对", columns[colNumber].label, row.Number, first))
		} else {
			seen[key] = rec.line
		}
	}
	if len(bad) > 0 {
		return row, fmt.Sprintf("第 %d 行%s", rec.line, strings.Join(bad, "；"))
	}
	return row, ""
}

// split splits a cell of several names, leaving out empty ones.
func split(s string, sep func(rune) bool) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, sep) {
		if f = clean(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func isPunct(r rune) bool { return strings.ContainsRune("、，,；;", r) }

func isSeparator(r rune) bool { return isPunct(r) || isSpace(r) }

// isSpace reports the spaces a cell is trimmed of: Unicode's, which take
// in the full-width U+3000 and NBSP, and the invisible ones that copying
// from web pages and Word leaves behind.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

func dropSpace(r rune) rune {
	if isSpace(r) {
		return -1
	}
	return r
}

// unixLines turns CRLF and CR line ends into LF.
func unixLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// clean trims a cell and ends its lines with LF alone, as Word and Excel
// on Windows write CRLF and old Macs CR.
func clean(s string) string {
	if strings.ContainsRune(s, '\r') {
		s = unixLines(s)
	}
	return strings.TrimFunc(s, isSpace)
}

// isControl reports control characters other than tab and newline: no
// text has them, and they may hide or break what follows them.
func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n'
}

// Proposals reads a list as workflow.Service.Import takes it: its rows as
// proposals, each refused row as an Imported with its reason, at most
// maxRows rows (web.Server.ReadList).
func Proposals(name string, data []byte, maxRows int) ([]workflow.Proposal, []workflow.Imported, error) {
	rows, refused, err := Read(name, data, Limits{MaxRows: maxRows})
	if err != nil {
		return nil, nil, err
	}
	out := make([]workflow.Proposal, len(rows))
	for i, r := range rows {
		out[i] = workflow.Proposal{Line: r.Line, Number: r.Number, Title: r.Title, Proposer: r.Proposer, Group: r.Group,
			Cosigners: r.Cosigners, Content: r.Content, Category: r.Category}
	}
	bad := make([]workflow.Imported, len(refused))
	for i, r := range refused {
		bad[i] = workflow.Imported{Line: r.Line, Number: r.Number, Reason: r.Reason}
	}
	return out, bad, nil
}
