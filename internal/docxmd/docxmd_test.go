package docxmd

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// The parts of a .docx, written by hand as Word writes them.

const ctypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`

const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`

const docRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"`

// document wraps body XML in word/document.xml.
func document(body ...string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document ` + wNS + `><w:body>` + strings.Join(body, "") +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`
}

// numbering is a multi-level list as offices set one up in Word: 一、
// （一） 1. （1）, numId 1; and a bulleted list, numId 2.
const numbering = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering ` + wNS + `>
<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="multilevel"/>
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/><w:lvlJc w:val="left"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/><w:lvlJc w:val="left"/></w:lvl>
<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/><w:lvlJc w:val="left"/></w:lvl>
<w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%4）"/><w:lvlJc w:val="left"/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="◦"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="2"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedCircle"/><w:lvlText w:val="%1"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="3"><w:numStyleLink w:val="OutlineList"/></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="5"><w:abstractNumId w:val="3"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num>
</w:numbering>`

// styles has Word's built-in heading styles (stored as "heading N"
// whatever the language Word shows), the first three linked to list 1 as
// Word's 多级列表 links them; and a style based on a heading.
const styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles ` + wNS + `>
<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="3"><w:name w:val="heading 3"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:ilvl w:val="2"/><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="4"><w:name w:val="heading 4"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="3"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="MyHeading"><w:name w:val="我的标题"/><w:basedOn w:val="4"/></w:style>
<w:style w:type="numbering" w:styleId="OutlineList"><w:name w:val="公文编号"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>
<w:style w:type="character" w:styleId="a0"><w:name w:val="Default Paragraph Font"/></w:style>
</w:styles>`

// docx zips the parts; numbering and styles are left out when "".
func docx(t testing.TB, doc, num, sty string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := []struct{ name, data string }{
		{"[Content_Types].xml", ctypes}, {"_rels/.rels", rels}, {"word/_rels/document.xml.rels", docRels},
		{"word/document.xml", doc}, {"word/numbering.xml", num}, {"word/styles.xml", sty},
	}
	for _, p := range parts {
		if p.data == "" {
			continue
		}
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p.data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Paragraph builders.

func r(text string) string {
	return `<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t xml:space="preserve">` + text + `</w:t></w:r>`
}
func bold(text string) string {
	return `<w:r><w:rPr><w:b/><w:bCs/></w:rPr><w:t>` + text + `</w:t></w:r>`
}
func italic(text string) string { return `<w:r><w:rPr><w:i/></w:rPr><w:t>` + text + `</w:t></w:r>` }
func p(runs ...string) string {
	return `<w:p><w:pPr><w:ind w:firstLineChars="200" w:firstLine="640"/></w:pPr>` + strings.Join(runs, "") + `</w:p>`
}
func styled(style string, runs ...string) string {
	return `<w:p><w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>` + strings.Join(runs, "") + `</w:p>`
}
func listed(numID, ilvl string, runs ...string) string {
	return `<w:p><w:pPr><w:numPr><w:ilvl w:val="` + ilvl + `"/><w:numId w:val="` + numID + `"/></w:numPr><w:ind w:left="0" w:firstLine="640"/></w:pPr>` +
		strings.Join(runs, "") + `</w:p>`
}

// The section of the acceptance test: a level-1 part 一、 with text at
// every level below it, as a department types it in the editor.
const wantHeading = "健全社区卫生服务网络"

const wantBody = `区政府把社区卫生服务网络建设纳入年度民生实事项目，统筹规划、分步实施。

# 优化服务机构布局

## 新建居住区同步配建社区卫生服务站。

修订居住区公共服务设施配套标准，明确每个新建居住区按常住人口配建社区卫生服务站，与住宅**同步设计、同步验收、同步交付**。

### 明确配建标准。

每个服务站建筑面积不少于*一百五十*平方米。

### 同步交付使用

## 推进社区卫生服务中心标准化建设。

完成三家社区卫生服务中心改扩建，全区中心标准化达标率达到百分之百。

# 加强全科医生队伍建设。

落实全科医生定向培养和特设岗位计划，全年招聘全科医生二十八名。`

// Word's list numbering: the same section, every number made by Word.
func listSection(t testing.TB) []byte {
	return docx(t, document(
		listed("1", "0", r("健全社区卫生服务网络")),
		p(r("　　区政府把社区卫生服务网络建设纳入年度民生实事项目，"), r("统筹规划、分步实施。")),
		listed("1", "1", r("优化服务机构布局")),
		listed("1", "2", r("新建居住区同步配建社区卫生服务站。"), r("修订居住区公共服务设施配套标准，明确每个新建居住区按常住人口配建社区卫生服务站，与住宅"), bold("同步设计、同步验收、同步交付"), r("。")),
		listed("1", "3", r("明确配建标准。每个服务站建筑面积不少于"), italic("一百五十"), r("平方米。")),
		listed("1", "3", r("同步交付使用")),
		`<w:p/>`,
		listed("1", "2", r("推进社区卫生服务中心标准化建设。完成三家社区卫生服务中心改扩建，全区中心标准化达标率达到百分之百。")),
		listed("1", "1", r("加强全科医生队伍建设。"), r("落实全科医生定向培养和特设岗位计划，全年招聘全科医生二十八名。")),
	), numbering, styles)
}

// Typed numbers: the same section as most people type it.
func typedSection(t testing.TB) []byte {
	return docx(t, document(
		p(r("一、健全社区卫生服务网络")),
		p(r("　　区政府把社区卫生服务网络建设纳入年度民生实事项目，统筹规划、分步实施。")),
		p(r("（一）优化服务机构布局")),
		p(r("1.新建居住区同步配建社区卫生服务站。修订居住区公共服务设施配套标准，明确每个新建居住区按常住人口配建社区卫生服务站，与住宅"), bold("同步设计、同步验收、同步交付"), r("。")),
		p(r("（"), r("1）明确配建标准。"), r("每个服务站建筑面积不少于"), italic("一百五十"), r("平方米。")),
		p(r("(2) 同步交付使用")),
		p(r("２．推进社区卫生服务中心标准化建设。完成三家社区卫生服务中心改扩建，全区中心标准化达标率达到百分之百。")),
		p(r("（二）加强全科医生队伍建设。落实全科医生定向培养和特设岗位计划，全年招聘全科医生二十八名。")),
	), "", "")
}

// Heading styles linked to Word's list, as a 多级列表 template has them,
// and a heading style with no number at the deepest level.
func styledSection(t testing.TB) []byte {
	return docx(t, document(
		styled("1", r("健全社区卫生服务网络")),
		p(r("区政府把社区卫生服务网络建设纳入年度民生实事项目，统筹规划、分步实施。")),
		styled("2", r("优化服务机构布局")),
		styled("3", r("新建居住区同步配建社区卫生服务站。修订居住区公共服务设施配套标准，明确每个新建居住区按常住人口配建社区卫生服务站，与住宅"), bold("同步设计、同步验收、同步交付"), r("。")),
		styled("MyHeading", r("明确配建标准。每个服务站建筑面积不少于"), italic("一百五十"), r("平方米。")),
		styled("4", r("同步交付使用")),
		styled("3", r("推进社区卫生服务中心标准化建设。完成三家社区卫生服务中心改扩建，全区中心标准化达标率达到百分之百。")),
		styled("2", r("加强全科医生队伍建设。落实全科医生定向培养和特设岗位计划，全年招聘全科医生二十八名。")),
	), numbering, styles)
}

// TestSectionFromWord is the acceptance test: a .docx section, with typed
// numbers, with Word's list numbering, or with heading styles, becomes the
// section's Markdown exactly.
func TestSectionFromWord(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"typed numbers", typedSection(t)},
		{"Word list numbering", listSection(t)},
		{"heading styles", styledSection(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.file, Options{Level: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got.Heading != wantHeading {
				t.Errorf("heading = %q, want %q", got.Heading, wantHeading)
			}
			if got.Body != wantBody {
				t.Errorf("body differs:\n%s\n--- want ---\n%s", got.Body, wantBody)
			}
		})
	}
}

// TestSectionLevels: the numbers are the report's levels, so a section
// lower in the outline has fewer # for the same number; without a
// heading of the section's level first, the heading is left to the form.
func TestSectionLevels(t *testing.T) {
	file := docx(t, document(
		listed("1", "1", r("优化服务机构布局")),
		listed("1", "2", r("新建居住区同步配建社区卫生服务站。修订配套标准。")),
		p(r("（1）明确配建标准")),
	), numbering, "")
	got, err := Read(file, Options{Level: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "# 新建居住区同步配建社区卫生服务站。\n\n修订配套标准。\n\n## 明确配建标准"
	if got.Heading != "优化服务机构布局" || got.Body != want {
		t.Errorf("level 2: got %q, %q; want %q", got.Heading, got.Body, want)
	}

	file = docx(t, document(p(r("正文第一段。")), p(r("1. 小标题")), p(r("正文第二段。"))), "", "")
	got, err = Read(file, Options{Level: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "正文第一段。\n\n# 小标题\n\n正文第二段。"; got.Heading != "" || got.Body != want {
		t.Errorf("no heading: got %q, %q; want \"\", %q", got.Heading, got.Body, want)
	}

	// A whole body (level 0): every number keeps its level.
	got, err = Read(typedSection(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "# " + wantHeading + "\n\n" + workflow.ShiftHeadings(wantBody, 1); got.Body != want {
		t.Errorf("level 0:\n%s\n--- want ---\n%s", got.Body, want)
	}
}

// TestRefusedLevels: a heading at or above the section's level anywhere
// but first is refused with what to do.
func TestRefusedLevels(t *testing.T) {
	for _, tc := range []struct {
		name  string
		level int
		doc   string
		want  string
	}{
		{"second heading of the level", 2, document(p(r("（一）甲")), p(r("正文。")), p(r("（二）乙"))), "与本部分同级"},
		{"higher level", 2, document(p(r("一、总体情况"))), "比本部分（“（一）”一级）更高"},
		{"heading in the lowest level", 4, document(p(r("（1）甲")), p(r("（2）乙"))), "不能再有标题"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(docx(t, tc.doc, "", ""), Options{Level: tc.level})
			if err == nil || workflow.KindOf(err) != workflow.Invalid || !strings.Contains(workflow.Message(err), tc.want) {
				t.Fatalf("err = %v, want Invalid containing %q", err, tc.want)
			}
		})
	}
}

// TestWordDetails: the rest of what a Word document holds.
func TestWordDetails(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []string
		want string
	}{
		{"bullets", []string{listed("2", "0", r("甲")), listed("2", "0", r("乙")), listed("2", "1", r("丙")), p(r("段落。"))},
			"- 甲\n- 乙\n  - 丙\n\n段落。"},
		{"a list docflow does not number", []string{listed("3", "0", r("第一项；")), listed("3", "0", r("第二项。"))},
			"①第一项；\n\n②第二项。"},
		{"markdown characters stay text", []string{p(r("# 不是标题 *星号* [链接](x) &lt;b&gt; a_b_c &amp;copy; ~~删~~ `码`")), p(r("- 不是列表")), p(r("2025. 不是编号")), p(r("3.5亿元"))},
			`\# 不是标题 \*星号\* \[链接\](x) \<b\> a\_b\_c \&copy; \~\~删\~\~ \` + "`" + `码\` + "`" + "\n\n\\- 不是列表\n\n2025\\. 不是编号\n\n3.5亿元"},
		{"line breaks, tabs, hidden and deleted text", []string{p(r("第一行"), `<w:r><w:br/></w:r>`, r("第二行"), `<w:r><w:tab/></w:r>`, r("后"), `<w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏</w:t></w:r>`, `<w:del w:id="1"><w:r><w:delText>删除</w:delText></w:r></w:del>`, `<w:ins w:id="2"><w:r><w:t>插入</w:t></w:r></w:ins>`)},
			"第一行\n\n第二行 后插入"},
		{"alternate content is read once, text boxes after their paragraph", []string{p(r("锚"), `<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>`+p(r("框内"))+`</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>`+p(r("框内"))+`</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>`)},
			"锚\n\n框内"},
		{"table", []string{`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>` +
			`<w:tr><w:tc>` + p(r("项目")) + `</w:tc><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr>` + p(bold("金额")) + `</w:tc></w:tr>` +
			`<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr>` + p(r("甲|乙")) + `</w:tc><w:tc>` + p(r("1")) + p(r("2")) + `</w:tc><w:tc>` + p(r("3")) + `</w:tc></w:tr>` +
			`<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr>` + p() + `</w:tc><w:tc><w:tbl><w:tr><w:tc>` + p(r("内")) + `</w:tc></w:tr></w:tbl>` + p() + `</w:tc><w:tc>` + p(r("4")) + `</w:tc></w:tr></w:tbl>`},
			"| 项目 | 金额 |  |\n| --- | --- | --- |\n| 甲\\|乙 | 1 2 | 3 |\n|  | 内 | 4 |"},
		{"a number Word and the typist both wrote", []string{listed("1", "2", r("1. 重复的编号"))}, "### 重复的编号"},
		{"a list that takes its levels from a list style", []string{listed("5", "0", r("甲")), listed("5", "1", r("乙"))}, "# 甲\n\n## 乙"},
		{"a level set on a paragraph of a heading style's list", []string{styled("1", r("甲")), `<w:p><w:pPr><w:pStyle w:val="1"/><w:numPr><w:ilvl w:val="1"/></w:numPr></w:pPr>` + r("乙") + `</w:p>`},
			"# 甲\n\n## 乙"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(docx(t, document(tc.body...), numbering, styles), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Body != tc.want {
				t.Errorf("body:\n%s\n--- want ---\n%s", got.Body, tc.want)
			}
		})
	}
}

// TestStrictNamespace: ISO/IEC 29500 strict documents use another
// namespace for the same elements.
func TestStrictNamespace(t *testing.T) {
	doc := strings.ReplaceAll(document(p(r("（一）严格格式")), p(r("正文。"))), "http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main")
	got, err := Read(docx(t, doc, "", ""), Options{Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != "# 严格格式\n\n正文。" {
		t.Errorf("body = %q", got.Body)
	}
}
