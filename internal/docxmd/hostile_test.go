package docxmd

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// zipOf zips named parts as they are.
func zipOf(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(parts); i += 2 {
		w, err := zw.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(parts[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lyingZip holds word/document.xml whose header claims 100 bytes while
// it inflates to n.
func lyingZip(t *testing.T, n int) []byte {
	t.Helper()
	data := []byte(document() + strings.Repeat(" ", n))
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return buf.Bytes()
}

// TestRefused: what is not a .docx, or would cost too much to read, is
// refused with a message that says what it is and what to do.
func TestRefused(t *testing.T) {
	many := make([]string, 0, 2*(MaxEntries+1))
	for i := range MaxEntries + 1 {
		many = append(many, "x/"+strings.Repeat("a", i%50)+string(rune('a'+i%26))+itoa(i), "")
	}
	many = append(many, "word/document.xml", document(p(r("正文"))))
	nested := strings.Repeat(`<w:tbl><w:tr><w:tc>`, maxDepth+2) + p(r("深")) + strings.Repeat(`</w:tc></w:tr></w:tbl>`, maxDepth+2)
	space := strings.Repeat(" ", 7<<20)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "文件是空的"},
		{"too large", append([]byte("PK"), make([]byte, MaxFile)...), "超过 .docx 导入的上限 2 MB"},
		{"Word 97-2003 .doc or .wps", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an OLE file"), "另存为” Word 文档（.docx）"},
		{"PDF renamed .docx", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj"), "这是 PDF 文件"},
		{"RTF", []byte(`{\rtf1\ansi 正文}`), "这是 RTF 文件"},
		{"plain text", []byte("一、总体情况\n正文"), "不是 Word 文档（.docx）"},
		{"broken zip", []byte("PK\x03\x04 and then nothing a zip needs"), "压缩结构已损坏"},
		{"Excel", zipOf(t, "xl/workbook.xml", "<workbook/>"), "Excel 表格"},
		{"OpenDocument", zipOf(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml", "<x/>"), "OpenDocument"},
		{"zip of something else", zipOf(t, "a.txt", "hello"), "缺少 word/document.xml"},
		{"garbled XML", zipOf(t, "word/document.xml", `<w:document `+wNS+`><w:body><w:p><w:r><w:t>半截`), "已损坏或不完整"},
		{"unknown encoding", zipOf(t, "word/document.xml", `<?xml version="1.0" encoding="GB2312"?><w:document `+wNS+`/>`), "已损坏或不完整"},
		{"entity", zipOf(t, "word/document.xml", `<!DOCTYPE d [<!ENTITY a "aaaa">]><w:document `+wNS+`><w:body>`+p(r("&a;"))+`</w:body></w:document>`), "已损坏或不完整"},
		{"no text", docx(t, document(p(), `<w:p><w:r><w:drawing/></w:r></w:p>`), "", ""), "没有可导入的文字"},
		{"too many entries", zipOf(t, many...), "超过上限 1000"},
		{"zip bomb, honest header", zipOf(t, "word/document.xml", document()+strings.Repeat(" ", MaxPart)), "解压后过大"},
		// archive/zip stops at the size the header states: damaged.
		{"zip bomb, lying header", lyingZip(t, MaxPart), "已损坏或不完整"},
		{"parts together too large", docx(t, document(p(r("正文")))+space[:3<<20], numbering+space, styles+space), "解压后过大"},
		{"nested tables", docx(t, document(nested), "", ""), "嵌套过深"},
		{"too many paragraphs", docx(t, document(strings.Repeat(`<w:p/>`, maxBlocks+1)), "", ""), "超过 50000 个"},
		{"too many cells", docx(t, document(`<w:tbl>`+strings.Repeat(`<w:tr>`+strings.Repeat(`<w:tc><w:tcPr><w:gridSpan w:val="50"/></w:tcPr></w:tc>`, 10)+`</w:tr>`, maxBlocks/500+1)+`</w:tbl>`), "", ""), "超过 50000 个"},
		{"body over the limit", docx(t, document(strings.Repeat(p(r(strings.Repeat("长", 1000))), workflow.MaxBody/3000+1)), "", ""), "超过一个部分的上限"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.data, Options{Level: 1})
			if err == nil {
				t.Fatalf("read: %+v, want a refusal", got)
			}
			if workflow.KindOf(err) != workflow.Invalid || !strings.Contains(workflow.Message(err), tc.want) {
				t.Fatalf("err = %v (%s), want Invalid with %q", err, workflow.Message(err), tc.want)
			}
		})
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

// FuzzRead: no input makes Read panic or hang, and what it accepts is a
// body the service would save.
func FuzzRead(f *testing.F) {
	f.Add(typedSection(f), 1)
	f.Add(listSection(f), 2)
	f.Add(styledSection(f), 0)
	f.Add(docx(f, document(p(r("甲")), `<w:tbl><w:tr><w:tc>`+p(r("乙"))+`</w:tc></w:tr></w:tbl>`), numbering, styles), 3)
	f.Add([]byte("PK\x03\x04"), 1)
	f.Fuzz(func(t *testing.T, data []byte, level int) {
		check(t, data, level)
	})
}

// FuzzParts mutates the XML of the parts rather than the zip around
// them, where most of the reading is.
func FuzzParts(f *testing.F) {
	f.Add(document(p(r("一、甲")), listed("1", "1", r("乙。丙")), styled("MyHeading", bold("丁"))), numbering, styles, 1)
	f.Add(document(`<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="3"/></w:tcPr>`+p(r("a|b"))+`</w:tc></w:tr></w:tbl>`), "", "", 0)
	f.Fuzz(func(t *testing.T, doc, num, sty string, level int) {
		check(t, docx(t, doc, num, sty), level)
	})
}

func check(t *testing.T, data []byte, level int) {
	level = (level%5 + 5) % 5
	got, err := Read(data, Options{Level: level})
	if err != nil {
		if workflow.KindOf(err) != workflow.Invalid || workflow.Message(err) == "" {
			t.Fatalf("error %v is not a refusal with a message", err)
		}
		return
	}
	if len(got.Body) > workflow.MaxBody || !utf8.ValidString(got.Body) || !utf8.ValidString(got.Heading) ||
		strings.ContainsAny(got.Heading, "\r\n") || strings.HasSuffix(got.Body, "\n") {
		t.Fatalf("accepted a section the service would refuse: %+v", got)
	}
}

// TestManyRuns: a paragraph split into very many runs (as Word splits one
// at every edit) is read in one pass, not copied again for every run.
func TestManyRuns(t *testing.T) {
	const n = 60000
	got, err := Read(docx(t, document(p(strings.Repeat(`<w:r><w:t>字</w:t></w:r>`, n))), "", ""), Options{Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != strings.Repeat("字", n) {
		t.Errorf("body has %d bytes; want %d characters 字", len(got.Body), n)
	}
	// Nor is a long bulleted list copied again for every item.
	got, err = Read(docx(t, document(strings.Repeat(`<w:p><w:pPr><w:numPr><w:numId w:val="2"/></w:numPr></w:pPr><w:r><w:t>项</w:t></w:r></w:p>`, 40000)), numbering, ""), Options{Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(strings.Repeat("- 项\n", 40000), "\n"); got.Body != want {
		t.Errorf("the list has %d bytes; want %d", len(got.Body), len(want))
	}
}
