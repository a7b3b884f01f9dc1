package caselist

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/docflow/docflow/internal/workflow"
)

// book builds an .xlsx with excelize; fill writes its first sheet.
func book(t testing.TB, fill func(f *excelize.File, set func(cell string, v any))) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	fill(f, func(cell string, v any) {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	})
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipOf builds a zip of the given parts, in order (name, text, name,
// text …), for workbooks excelize would not write.
func zipOf(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i < len(parts); i += 2 {
		f, err := w.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, parts[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	workbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="清单" sheetId="1" r:id="rId1"/></sheets></workbook>`
	relsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`
)

// sheetXML wraps rows in a worksheet.
func sheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
}

// headerRow is a sheet's row 1 naming four columns, in inline strings.
const headerRow = `<row r="1"><c r="A1" t="inlineStr"><is><t>建议号</t></is></c><c r="B1" t="inlineStr"><is><t>标题</t></is></c><c r="C1" t="inlineStr"><is><t>领衔代表</t></is></c><c r="D1" t="inlineStr"><is><t>内容</t></is></c></row>`

// handmade is a workbook of the parts excelize would write, with sheet
// as its first sheet.
func handmade(t testing.TB, sheet string) []byte {
	return zipOf(t, "xl/workbook.xml", workbookXML, "xl/_rels/workbook.xml.rels", relsXML, "xl/worksheets/sheet1.xml", sheet)
}

// part returns a part of a zip, to check what a test's workbook holds.
func part(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantErr checks that err refuses the file, as workflow.Invalid, with a
// message holding each of want.
func wantErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", want)
	}
	if k := workflow.KindOf(err); k != workflow.Invalid {
		t.Errorf("error %v is of kind %v, want invalid", err, k)
	}
	msg := workflow.Message(err)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error message %q does not say %q", msg, w)
		}
	}
}

// TestReadXLSX reads a workbook as an office gets it: a title on row 1, a
// blank row 2, the header on row 3 with an empty column C and a column
// Read does not know, numbers stored as numeric cells, an inline string,
// a rich-text string, padding with full-width spaces, CRLF in content, a
// blank row among the data, and a row with no delegation.
func TestReadXLSX(t *testing.T) {
	data := book(t, func(f *excelize.File, set func(string, any)) {
		set("A1", "2025年市人大代表建议清单")
		for i, h := range []string{"建议号", "标题", "", "领衔代表", "代表团", "附议人", "内容", "类别", "备注"} {
			if h != "" {
				set(fmt.Sprintf("%c3", 'A'+i), h)
			}
		}
		set("A4", 12)
		set("B4", "关于加快老旧小区加装电梯的建议")
		set("C4", "不在任何列名下")
		set("D4", "\u3000张三\u3000")
		set("E4", "城区代表团")
		set("F4", "李四、王五，赵六 钱七;孙八")
		set("G4", "第一段\r\n第二段")
		set("H4", "城乡建设")
		set("I4", "备注不读")
		set("A6", 13.0)
		if err := f.SetCellDefault("Sheet1", "B6", "关于增设社区食堂的建议"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellRichText("Sheet1", "D6", []excelize.RichTextRun{{Text: "王"}, {Text: "芳", Font: &excelize.Font{Bold: true}}}); err != nil {
			t.Fatal(err)
		}
		set("G6", "内容")
		set("A7", " 第0014号 ")
		set("B7", "关于规范校外培训的建议")
		set("D7", "钱七")
		set("E7", "\u00a0")
		set("G7", "内容三")
	})
	sheet := part(t, data, "xl/worksheets/sheet1.xml")
	if !strings.Contains(sheet, `t="inlineStr"`) || !strings.Contains(sheet, `<c r="A4"><v>12</v></c>`) {
		t.Fatalf("the test's workbook lacks an inline string or a numeric cell:\n%s", sheet)
	}
	if !strings.Contains(part(t, data, "xl/sharedStrings.xml"), "<r>") {
		t.Fatal("the test's workbook lacks a rich-text string")
	}

	rows, refs, err := Read("清单.XLSX", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 4, Number: "12", Title: "关于加快老旧小区加装电梯的建议", Proposer: "张三", Group: "城区代表团",
			Cosigners: []string{"李四", "王五", "赵六", "钱七", "孙八"}, Content: "第一段\n第二段", Category: "城乡建设"},
		{Line: 6, Number: "13", Title: "关于增设社区食堂的建议", Proposer: "王芳", Content: "内容"},
		{Line: 7, Number: "第0014号", Title: "关于规范校外培训的建议", Proposer: "钱七", Content: "内容三"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if len(refs) != 0 {
		t.Errorf("refusals %v, want none", refs)
	}
}

// TestReadXLSXParts reads workbooks excelize does not write: the first
// sheet is the one the workbook lists first, wherever its part is; a
// workbook without relationships falls back on sheet1.xml; cells without
// references follow each other; escapes of characters XML cannot hold
// are decoded; phonetic hints are not text; part names differ in case.
func TestReadXLSXParts(t *testing.T) {
	t.Run("first sheet by the workbook's order", func(t *testing.T) {
		wbXML := strings.Replace(workbookXML, `<sheet name="清单" sheetId="1" r:id="rId1"/>`,
			`<sheet name="清单" sheetId="2" r:id="rId2"/><sheet name="旧" sheetId="1" r:id="rId1"/>`, 1)
		rels := strings.Replace(relsXML, `</Relationships>`,
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/list.xml"/>`+
				`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/></Relationships>`, 1)
		data := zipOf(t,
			"xl/workbook.xml", wbXML,
			"xl/_rels/workbook.xml.rels", rels,
			"xl/worksheets/sheet1.xml", sheetXML(headerRow+`<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>错的工作表</t></is></c><c r="C2" t="inlineStr"><is><t>甲</t></is></c><c r="D2" t="inlineStr"><is><t>乙</t></is></c></row>`),
			"xl/worksheets/list.xml", sheetXML(headerRow+`<row r="5"><c r="A5"><v>1</v></c><c r="B5" t="s"><v>0</v></c><c r="C5" t="s"><v>1</v></c><c r="D5" t="s"><v>2</v></c></row>`),
			"xl/strings.xml", `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>对的工作表</t></si><si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r><rPh sb="0" eb="1"><t>ZHANG</t></rPh></si><si><t xml:space="preserve">内容 </t></si></sst>`,
		)
		rows, _, err := Read("a.xlsx", data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := []Row{{Line: 5, Number: "1", Title: "对的工作表", Proposer: "张三", Content: "内容"}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})
	t.Run("no relationships, cells without references, upper-case part names", func(t *testing.T) {
		data := zipOf(t,
			"xl/workbook.xml", workbookXML,
			"xl/worksheets/Sheet1.xml", sheetXML(`<row><c t="inlineStr"><is><t>编号</t></is></c><c t="inlineStr"><is><t>题目</t></is></c><c t="inlineStr"><is><t>提出人</t></is></c><c t="inlineStr"><is><t>正文</t></is></c></row>`+
				`<row><c t="str"><v>A-1</v></c><c t="inlineStr"><is><t>题</t></is></c><c t="inlineStr"><is><t>人</t></is></c><c t="inlineStr"><is><t>文</t></is></c></row>`),
		)
		rows, _, err := Read("a.xlsx", data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := []Row{{Line: 2, Number: "A-1", Title: "题", Proposer: "人", Content: "文"}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})
	t.Run("escaped control character refused, escaped underscore kept", func(t *testing.T) {
		data := handmade(t, sheetXML(headerRow+
			`<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>响铃_x0007_标题</t></is></c><c r="C2" t="inlineStr"><is><t>甲</t></is></c><c r="D2" t="inlineStr"><is><t>乙</t></is></c></row>`+
			`<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>字面_x005F_x0007_</t></is></c><c r="C3" t="inlineStr"><is><t>甲</t></is></c><c r="D3" t="inlineStr"><is><t>乙</t></is></c></row>`))
		rows, refs, err := Read("a.xlsx", data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Title != "字面_x0007_" {
			t.Errorf("rows %+v, want one titled 字面_x0007_", rows)
		}
		if len(refs) != 1 || refs[0].Line != 2 || !strings.Contains(refs[0].Reason, "控制字符 U+0007") {
			t.Errorf("refusals %+v, want line 2 for U+0007", refs)
		}
	})
}

// listCSV is a CPPCC list with a title row, quoted cells, a multi-line
// content and a blank line. Its second case is on the spreadsheet's row
// 5: the content of row 3 spans two lines of the file.
const listCSV = `2025年政协提案清单,,,
提案号,案由,提案人,界别,联名人,正文,分类
0012,关于加强社区养老服务的提案,张委员,民盟,"李委员、王委员","第一段
第二段",社会

0013,"关于""一老一小""的提案",民革市委会,,,正文,
`

// listTSV is listCSV as Excel's “Unicode text” separates it.
const listTSV = "2025年政协提案清单\t\t\t\n" +
	"提案号\t案由\t提案人\t界别\t联名人\t正文\t分类\n" +
	"0012\t关于加强社区养老服务的提案\t张委员\t民盟\t李委员、王委员\t\"第一段\n第二段\"\t社会\n" +
	"\n" +
	"0013\t\"关于\"\"一老一小\"\"的提案\"\t民革市委会\t\t\t正文\t\n"

// TestReadCSV reads the same list from every kind of text file an office
// might send, and expects the same rows with the lines a spreadsheet
// shows.
func TestReadCSV(t *testing.T) {
	want := []Row{
		{Line: 3, Number: "0012", Title: "关于加强社区养老服务的提案", Proposer: "张委员", Group: "民盟",
			Cosigners: []string{"李委员", "王委员"}, Content: "第一段\n第二段", Category: "社会"},
		{Line: 5, Number: "0013", Title: `关于"一老一小"的提案`, Proposer: "民革市委会", Content: "正文"},
	}
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"UTF-8", []byte(listCSV)},
		{"UTF-8 with BOM", []byte("\ufeff" + listCSV)},
		{"UTF-8 with CRLF", []byte(strings.ReplaceAll(listCSV, "\n", "\r\n"))},
		{"UTF-8 with CR, as old Macs", []byte(strings.ReplaceAll(listCSV, "\n", "\r"))},
		{"GB18030", encode(t, simplifiedchinese.GB18030, listCSV)},
		{"GBK with CRLF", encode(t, simplifiedchinese.GBK, strings.ReplaceAll(listCSV, "\n", "\r\n"))},
		{"UTF-16LE with BOM", encode(t, utf16le, listCSV)},
		{"UTF-16BE with BOM", encode(t, utf16be, listCSV)},
		{"tab-separated UTF-8", []byte(listTSV)},
		{"tab-separated UTF-16LE with BOM and CRLF (Excel's Unicode text)", encode(t, utf16le, strings.ReplaceAll(listTSV, "\n", "\r\n"))},
		{"tab-separated, its title row with a comma", []byte(strings.Replace(listTSV, "2025年政协提案清单", "2025年, 第一批", 1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, refs, err := Read("提案.csv", tc.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if len(refs) != 0 {
				t.Errorf("refusals %v, want none", refs)
			}
		})
	}
}

// TestHeader finds the header by its names, however spaced, takes the
// first of two columns for one field, and looks for it among the first
// 10 non-empty rows only.
func TestHeader(t *testing.T) {
	t.Run("names with spaces and full-width spaces", func(t *testing.T) {
		rows, _, err := Read("a.csv", []byte("提 案 号,案\u3000由, 第一提案人 ,所在代表团,附议代表,提案正文,提案类别\n1,题,人,团,附,文,类\n"), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := []Row{{Line: 2, Number: "1", Title: "题", Proposer: "人", Group: "团", Cosigners: []string{"附"}, Content: "文", Category: "类"}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})
	t.Run("two columns for one field: the first wins", func(t *testing.T) {
		rows, _, err := Read("a.csv", []byte("编号,标题,代表,内容,正文,建议号\n1,题,人,第一列,第二列,9\n"), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Content != "第一列" || rows[0].Number != "1" {
			t.Errorf("rows %+v, want number 1 and content 第一列", rows)
		}
	})
	t.Run("header on the 10th non-empty row", func(t *testing.T) {
		text := strings.Repeat("说明\n\n", 9) + "建议号,标题,代表,内容\n1,题,人,文\n"
		rows, _, err := Read("a.csv", []byte(text), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Line != 20 {
			t.Errorf("rows %+v, want one on line 20", rows)
		}
	})
	t.Run("header on the 11th non-empty row", func(t *testing.T) {
		text := strings.Repeat("说明\n", 10) + "建议号,标题,代表,内容\n1,题,人,文\n"
		_, _, err := Read("a.csv", []byte(text), Limits{})
		wantErr(t, err, "前 10 个非空行中没有列名行", "建议号、提案号")
	})
	t.Run("proposer's column listing every proposer", func(t *testing.T) {
		rows, _, err := Read("a.csv", []byte("提案号,案由,提案人,联名人,正文\n1,题,张三、李四,王五 李四,文\n"), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Proposer != "张三" || !cmp.Equal(rows[0].Cosigners, []string{"李四", "王五"}) {
			t.Errorf("rows %+v, want 张三 leading 李四 and 王五", rows)
		}
	})
}

// cosigners returns n different names.
func cosigners(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("代表%d", i+1)
	}
	return strings.Join(names, "，")
}

// TestRefusals reads a list with good and bad rows: each bad row is left
// out with its reason, the others are read, and a blank row is skipped
// without a word.
func TestRefusals(t *testing.T) {
	text := "建议号,标题,领衔代表,代表团,附议人,内容\n" +
		"12,标题一,张三,,,内容一\n" + // 2
		"13,,李四,,,内容二\n" + // 3: no title
		"14,标题三,王五,,,十个字以上的内容超长了\n" + // 4: content over 10
		"1 2,标题四,赵六,,,内容四\n" + // 5: the number of line 2
		"15,标\a题五,孙七,,,内容五\n" + // 6: a control character
		",,,,,\n" + // 7: blank
		"16," + strings.Repeat("长", 201) + ",周八,,,内容六\n" + // 8: title over 200
		"17,标题七,吴九," + strings.Repeat("团", 51) + ",,内容七\n" + // 9: group over 50
		"18,标题八,郑十,,\"" + cosigners(101) + "\",内容八\n" + // 10: 101 cosigners
		" ,\u3000,冯一,,,内容九\n" + // 11: no number nor title
		"19,标题十,陈二,,,\"内容\r\n十\"\n" // 12: good, CRLF in content
	rows, refs, err := Read("a.csv", []byte(text), Limits{MaxContent: 10})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if want := []int{2, 12}; !cmp.Equal(lines, want) {
		t.Errorf("rows on lines %v, want %v", lines, want)
	}
	if rows[len(rows)-1].Content != "内容\n十" {
		t.Errorf("content %q, want CRLF as LF", rows[len(rows)-1].Content)
	}
	want := []struct {
		line   int
		number string
		reason string
	}{
		{3, "13", "第 3 行缺少标题（案由）"},
		{4, "14", "第 4 行内容（正文）超过 10 字（有 11 字）"},
		{5, "1 2", "第 5 行建议号（提案号）「1 2」与第 2 行重复"},
		{6, "15", "第 6 行标题（案由）含有控制字符 U+0007"},
		{8, "16", "第 8 行标题（案由）超过 200 字（有 201 字）"},
		{9, "17", "第 9 行代表团（界别）超过 50 字"},
		{10, "18", "第 10 行附议人（联名人）多于 100 人（有 101 人）"},
		{11, "", "第 11 行缺少建议号（提案号）、标题（案由）"},
	}
	if len(refs) != len(want) {
		t.Fatalf("refusals %+v, want %d", refs, len(want))
	}
	for i, w := range want {
		r := refs[i]
		if r.Line != w.line || r.Number != w.number || !strings.HasPrefix(r.Reason, w.reason) {
			t.Errorf("refusal %d is %+v, want line %d, number %q, reason %q…", i, r, w.line, w.number, w.reason)
		}
	}
}

// TestReadErrors tries files that are refused as a whole.
func TestReadErrors(t *testing.T) {
	good := book(t, func(f *excelize.File, set func(string, any)) {
		for i, v := range []any{"建议号", "标题", "领衔代表", "内容", 1, "题", "人", strings.Repeat("文", 2000)} {
			set(fmt.Sprintf("%c%d", 'A'+i%4, 1+i/4), v)
		}
	})
	if _, _, err := Read("a.xlsx", good, Limits{}); err != nil {
		t.Fatalf("the good workbook: %v", err)
	}
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	stored := func(sheet string) []byte {
		// Stored, not deflated, so that a byte of the sheet can be
		// changed without breaking the compression.
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		for _, p := range [][2]string{{"xl/workbook.xml", workbookXML}, {"xl/worksheets/sheet1.xml", sheet}} {
			f, err := w.CreateHeader(&zip.FileHeader{Name: p[0], Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(f, p[1])
		}
		w.Close()
		return b.Bytes()
	}
	corrupt := stored(sheetXML(headerRow))
	i := bytes.Index(corrupt, []byte("领衔代表"))
	corrupt[i] ^= 1
	// A part whose header says it unpacks to 100 MB.
	var bomb bytes.Buffer
	{
		w := zip.NewWriter(&bomb)
		f, err := w.Create("xl/workbook.xml")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, workbookXML)
		raw, err := w.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 100 << 20})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(raw, "<a/>")
		w.Close()
	}

	for _, tc := range []struct {
		name string
		file string
		data []byte
		lim  Limits
		want []string
	}{
		{"empty", "a.csv", nil, Limits{}, []string{"空文件"}},
		{"over a small MaxFile", "a.csv", []byte(listCSV), Limits{MaxFile: 100}, []string{"文件过大", "上限 100 字节"}},
		{"over the default MaxFile", "a.csv", make([]byte, 12897485), Limits{}, []string{"文件过大（12.3 MB，上限 10 MB）：请分成几个文件导入"}},
		{"random bytes named .xlsx", "a.xlsx", random, Limits{}, []string{"不是 Excel 工作簿（.xlsx）"}},
		{"random bytes after a zip signature", "a.xlsx", append([]byte("PK\x03\x04"), random...), Limits{}, []string{"已损坏或不完整"}},
		{"a truncated xlsx", "a.xlsx", good[:len(good)*2/3], Limits{}, []string{"已损坏或不完整"}},
		{"an xlsx with a changed byte", "a.xlsx", corrupt, Limits{}, []string{"已损坏", "xl/worksheets/sheet1.xml"}},
		{"an .xls", "a.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + string(random)), Limits{}, []string{"旧版 Excel（.xls）", "另存为"}},
		{"an OLE file named .xlsx (encrypted workbook)", "a.xlsx", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + string(random)), Limits{}, []string{"旧版 Excel（.xls）或加了密码"}},
		{"a .pdf", "a.pdf", []byte("%PDF-1.7\n"), Limits{}, []string{"不是 .csv 或 .xlsx"}},
		{"no extension", "清单", []byte(listCSV), Limits{}, []string{"不是 .csv 或 .xlsx"}},
		{"a workbook named .csv", "a.csv", good, Limits{}, []string{"改为 .xlsx"}},
		{"missing required columns", "a.csv", []byte("说明\n建议号,标题,备注\n1,题,注\n"), Limits{},
			[]string{"第 2 行的列名缺少「领衔代表（提案人）」「内容（正文）」列", "领衔代表、代表、提出人", "内容、正文"}},
		{"missing required columns in a workbook", "a.xlsx", handmade(t, sheetXML(`<row r="4"><c r="A4" t="inlineStr"><is><t>案由</t></is></c></row>`)), Limits{},
			[]string{"第 4 行的列名缺少「建议号（提案号）」「领衔代表（提案人）」「内容（正文）」列"}},
		{"no header", "a.csv", []byte("a,b\n1,2\n"), Limits{}, []string{"没有列名行", "建议号（提案号）：建议号、提案号、编号、案号、建议编号、提案编号"}},
		{"only blank rows", "a.csv", []byte(",,\n\n , \n"), Limits{}, []string{"没有任何内容"}},
		{"too many rows", "a.csv", []byte("建议号,标题,代表,内容\n1,a,b,c\n\n2,a,b,c\n3,,,\n"), Limits{MaxRows: 2}, []string{"有 3 行数据，超过上限 2 行"}},
		// 0xFF starts no UTF-8 sequence and no GB18030 one.
		{"invalid in UTF-8 and GB18030", "a.csv", []byte("建议号,标题,代表,内容\n1,\xff\xff,b,c\n"), Limits{}, []string{"既不是 UTF-8 也不是 GBK/GB18030", "CSV UTF-8"}},
		{"UTF-16 of odd length", "a.csv", []byte("\xff\xfea\x00b"), Limits{}, []string{"UTF-16"}},
		{"UTF-16 without BOM", "a.csv", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), listCSV), Limits{}, []string{"空字符"}},
		{"a workbook without xl/workbook.xml (a .docx)", "a.xlsx", zipOf(t, "word/document.xml", "<w/>"), Limits{}, []string{"缺少 xl/workbook.xml"}},
		{"a workbook without sheets", "a.xlsx", zipOf(t, "xl/workbook.xml", `<workbook><sheets/></workbook>`), Limits{}, []string{"没有工作表"}},
		{"a workbook without its sheet's part", "a.xlsx", zipOf(t, "xl/workbook.xml", workbookXML, "xl/_rels/workbook.xml.rels", relsXML), Limits{}, []string{"缺少第一个工作表（xl/worksheets/sheet1.xml）"}},
		{"an empty sheet", "a.xlsx", handmade(t, sheetXML("")), Limits{}, []string{"没有任何内容"}},
		{"bad XML", "a.xlsx", handmade(t, sheetXML(headerRow+`<row><c><v>1</c></row>`)), Limits{}, []string{"已损坏", "xl/worksheets/sheet1.xml"}},
		{"bad shared-string index", "a.xlsx", handmade(t, sheetXML(`<row><c t="s"><v>7</v></c></row>`)), Limits{}, []string{"已损坏"}},
		{"a column past XFD", "a.xlsx", handmade(t, sheetXML(`<row><c r="XFE1"><v>1</v></c></row>`)), Limits{}, []string{"已损坏"}},
		{"a part said to unpack to 100 MB", "a.xlsx", bomb.Bytes(), Limits{}, []string{"解压后超过 64 MB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, refs, err := Read(tc.file, tc.data, tc.lim)
			wantErr(t, err, tc.want...)
			if rows != nil || refs != nil {
				t.Errorf("rows %v and refusals %v with an error", rows, refs)
			}
		})
	}
}

// TestXLSXLimits lowers the limits of the workbook reader, which are too
// big to reach quickly: a part that unpacks past its limit, and too many
// cells or shared strings.
func TestXLSXLimits(t *testing.T) {
	rows := strings.Repeat(`<row><c><v>1</v></c><c><v>2</v></c></row>`, 5)
	strs := `<sst><si><t>a</t></si><si><t>b</t></si><si><t>c</t></si></sst>`
	for _, tc := range []struct {
		name string
		data []byte
		lim  xlsxLimits
		want string
	}{
		{"a sheet past the part limit", handmade(t, sheetXML(rows)), xlsxLimits{part: 300, cells: 100}, "解压后超过 300 字节"},
		{"too many cells", handmade(t, sheetXML(rows)), xlsxLimits{part: 1 << 20, cells: 9}, "单元格超过 9 个"},
		{"too many shared strings", zipOf(t, "xl/workbook.xml", workbookXML, "xl/sharedStrings.xml", strs), xlsxLimits{part: 1 << 20, cells: 2}, "共享字符串超过 2 个"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readXLSX("a.xlsx", tc.data, tc.lim)
			wantErr(t, err, tc.want)
		})
	}
	if _, err := readXLSX("a.xlsx", handmade(t, sheetXML(rows)), xlsxLimits{part: 1 << 20, cells: 10}); err != nil {
		t.Errorf("10 cells within a limit of 10: %v", err)
	}
}

// TestNumber shows numeric cells as Excel does in General format.
func TestNumber(t *testing.T) {
	for in, want := range map[string]string{
		"12": "12", "12.0": "12", "1.2E+3": "1200", "0.30000000000000004": "0.3",
		"-0": "0", "3.25": "3.25", "1e20": "100000000000000000000", "abc": "abc", " 7 ": "7",
	} {
		if got := number(in); got != want {
			t.Errorf("number(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRead checks that Read never panics, refuses a file only as
// workflow.Invalid, and returns rows only with the required fields.
// Plain go test runs the seeds alone.
func FuzzRead(f *testing.F) {
	f.Add(false, []byte(listCSV))
	f.Add(false, []byte(listTSV))
	f.Add(false, encode(f, simplifiedchinese.GB18030, listCSV))
	f.Add(false, []byte("建议号,标题,代表,内容\n1,\"a\n,b,c\n1,,\a,\r\n"))
	f.Add(true, handmade(f, sheetXML(headerRow+`<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>题_x0001_</t></is></c><c r="D2" t="inlineStr"><is><t>文</t></is></c></row>`)))
	f.Add(true, book(f, func(_ *excelize.File, set func(string, any)) {
		for i, v := range []any{"建议号", "标题", "领衔代表", "内容", 1, "题", "人", "文"} {
			set(fmt.Sprintf("%c%d", 'A'+i%4, 1+i/4), v)
		}
	}))
	f.Fuzz(func(t *testing.T, xlsx bool, data []byte) {
		name := "a.csv"
		if xlsx {
			name = "a.xlsx"
		}
		rows, refs, err := Read(name, data, Limits{MaxRows: 50, MaxContent: 200})
		if err != nil {
			if k := workflow.KindOf(err); k != workflow.Invalid {
				t.Fatalf("error %v of kind %v", err, k)
			}
			if rows != nil || refs != nil {
				t.Fatalf("rows %v and refusals %v with an error", rows, refs)
			}
			return
		}
		for _, r := range rows {
			if r.Number == "" || r.Title == "" || r.Proposer == "" || r.Content == "" || r.Line < 1 {
				t.Fatalf("row %+v lacks a required field", r)
			}
		}
		for _, r := range refs {
			if r.Reason == "" || r.Line < 1 {
				t.Fatalf("refusal %+v without a reason or line", r)
			}
		}
	})
}

// BenchmarkRead reads a workbook of 5,000 cases, the most Read takes by
// default.
func BenchmarkRead(b *testing.B) {
	data := book(b, func(f *excelize.File, _ func(string, any)) {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		sw.SetRow("A1", []any{"建议号", "标题", "领衔代表", "代表团", "附议人", "内容", "类别"})
		for i := range DefaultMaxRows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			sw.SetRow(cell, []any{i + 1, fmt.Sprintf("关于第 %d 件事的建议", i+1), "张三", "城区代表团", "李四、王五、赵六",
				strings.Repeat("建议内容，", 100), "城乡建设"})
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
	})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rows, _, err := Read("a.xlsx", data, Limits{})
		if err != nil || len(rows) != DefaultMaxRows {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}
