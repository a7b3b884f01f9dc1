// Package docx writes a laid-out notice (notice.Document) as a .docx file:
// the notice as WordprocessingML (ECMA-376), so that
// offices can edit and archive it in Word or WPS and see the same structure
// as the printed notice, in 仿宋/黑体/楷体 with the GB/T 9704 page.
//
// Everything is written with archive/zip and hand-built XML: the parts are
// small and fixed, and writing them directly keeps the output byte-stable
// (goldens) and fast. All user text goes through docxText, which escapes it
// and drops what XML 1.0 cannot carry.
//
// Measurements are in twips (1/20 pt; 1 mm = 56.693 twips), the unit of
// WordprocessingML lengths; font sizes are in half-points (w:sz); border
// widths in eighths of a point.
//
// Fonts. East Asian text uses the names Windows and WPS know: 仿宋 (body),
// 黑体 (level 1), 楷体 (level 2), 宋体 (page numbers) and 方正小标宋简体 (mark
// and title); Latin letters and digits use Times New Roman, as offices set
// them. 仿宋 rather than 仿宋_GB2312: Windows since Vista ships 仿宋, older
// machines and many office images have 仿宋_GB2312, and WPS maps either to
// the other; fontTable.xml names the _GB2312 forms as w:altName so Word can
// fall back to them. 方正小标宋简体 is not free and may be missing: Word and WPS
// then substitute by the fontTable's charset and panose (宋体 in practice).
// That substitution is recorded in docProps/core.xml (keywords, description).
//
// A letter (信函格式 [10.1]) has its mark in a frame 30 mm below the
// paper's top, above the top margin where no paragraph goes; its first
// red double line is an empty paragraph's top and bottom borders, as the
// report's red rule is a paragraph's border; its second, at the foot of
// the first page, the borders of a framed paragraph anchored there; and a
// first page of its own (w:titlePg) whose footer has no page number.
//
// The grid. 22 lines a page come from a line grid; 28 characters a line
// from condensing body text by 0.3 pt, not from a character grid: see
// docxCondense. The 版记 is a table floating at the foot of the type area
// of the page the body ends on (Word and WPS; LibreOffice before 7.6 keeps
// full-width floating tables in the text flow).
package docx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/words"
	"github.com/docflow/docflow/internal/workflow"
)

// The file Write returns.
const (
	FileName    = "notice.docx"
	ContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// docxTwipsPerMM converts millimetres to twips.
const docxTwipsPerMM = 1440 / 25.4

// docxTwips returns mm in twips, rounded.
func docxTwips(mm float64) int { return int(math.Round(mm * docxTwipsPerMM)) }

// Page setup per GB/T 9704 5.1–5.2 and 7.5, in twips.
const (
	docxPageW  = 11906 // A4 210 mm (Word's own value)
	docxPageH  = 16838 // A4 297 mm
	docxTop    = 2098  // 37 mm 天头
	docxLeft   = 1587  // 28 mm 订口
	docxRight  = 1474  // 26 mm, so the type area is 156 mm wide
	docxBottom = 1984  // 35 mm, so the type area is 225 mm high
	docxHeader = 851   // 15 mm; the notice has no header, but w:pgMar needs one

	docxTypeW = docxPageW - docxLeft - docxRight        // 8845 ≈ 156 mm
	docxBodyS = 16                                      // 3号 body size, pt
	docxLine  = 579                                     // 225 mm / 22 lines, rounded down so 22 fit: 28.95 pt
	docxPNum  = 14                                      // 4号 page numbers and 版记, pt
	docxPNumH = docxPNum * 20                           // page number line, exact
	docxFoot  = docxBottom - docxDash + 146 - docxPNumH // footer distance: see docxDash
	docxChar  = 320                                     // one 3号 character, for indents given in twips
	docxRed   = "D00000"                                // the red of the mark and the rule, as the HTML and PDF print it
	docxBlack = "000000"                                // 版记 rules
)

// docxDash is 7 mm in twips: the page number's dash lies that far below
// the type area [7.5], as in the PDF. The dash's middle sits 7.3 pt (146
// twips, 0.52 em) below the top of the number's exact 14 pt line in 宋体
// (measured in LibreOffice's rendering), so the line starts 7 mm − 7.3 pt
// below the type area, and the footer distance (paper edge to the line's
// foot) follows.
const docxDash = 397

// docxCondense is the character spacing of body text, in twips: 3号
// characters advance 16 − 0.3 = 15.7 pt, so 28 fill the 442.25 pt line and
// a 29th does not fit (455 pt) [5.2.3].
//
// The grid is a line grid (w:docGrid w:type="lines", 22 lines a page); the
// 28 characters come from this condensing rather than from a character
// grid (type="linesAndChars" with w:charSpace −848), because LibreOffice
// lays a character grid finer than the font out at two cells a character
// (14 characters a line and a garbled reading order, checked with
// LibreOffice 7.4), while condensed text reads the same in Word, WPS and
// LibreOffice.
const docxCondense = -6

// Font names as written in the document; see the file comment.
const (
	docxFontFang  = "仿宋"
	docxFontHei   = "黑体"
	docxFontKai   = "楷体"
	docxFontSong  = "宋体"
	docxFontXBS   = "方正小标宋简体"
	docxFontLatin = "Times New Roman"
)

// docxSubstitution records how the mark's and title's font is replaced
// where it is missing; it goes into docProps/core.xml beside the
// Document's own substitutions (those of the PDF).
const docxSubstitution = "方正小标宋简体 → 宋体（Word/WPS 未安装方正小标宋简体时）"

// docxFontTable lists the fonts the document uses with what Word needs to
// substitute them: the GB2312 charset (86), family, pitch and panose.
var docxFontTable = []struct {
	name, alt, panose, family, pitch string
}{
	{docxFontLatin, "", "02020603050405020304", "roman", "variable"},
	{docxFontSong, "SimSun", "02010600030101010101", "auto", "variable"},
	{docxFontFang, "仿宋_GB2312", "02010609060101010101", "modern", "fixed"},
	{docxFontHei, "SimHei", "02010609060101010101", "modern", "fixed"},
	{docxFontKai, "楷体_GB2312", "02010609060101010101", "modern", "fixed"},
	{docxFontXBS, "方正小标宋_GBK", "02000000000000000000", "auto", "variable"},
}

// Namespaces.
const (
	docxNsW   = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	docxNsR   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	docxNsRel = "http://schemas.openxmlformats.org/package/2006/relationships"
	docxRelOD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	docxXMLPI = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

// docxMeta is what docProps/core.xml says.
type docxMeta struct {
	Title       string    // dc:title: the notice's title
	Subject     string    // dc:subject: its number
	Creator     string    // dc:creator: the issuing organisation
	Keywords    string    // cp:keywords: font substitutions
	Description string    // dc:description: the same, explained
	Date        time.Time // created and modified; also the zip entries' time
}

// docxPackage zips a document body (the children of w:body before the
// w:sectPr) with the fixed parts into a .docx; seal, if not nil, is the
// PNG the body's drawing refers to as docxSealRel; a letter has a first
// page of its own, without page number (footer3.xml). The output depends
// only on its arguments.
func docxPackage(body []byte, m docxMeta, seal []byte, faces map[notice.Font]string, letter bool) ([]byte, error) {
	mod := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) // the zip format's epoch
	if !m.Date.IsZero() && m.Date.Year() >= 1980 && m.Date.Year() < 2108 {
		t := m.Date.In(workflow.Zone)
		mod = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	rels := docxDocRels
	if seal != nil {
		rels = docxDocRelsSeal
	}
	types, sectPr := docxContentTypes, docxSectPr
	if letter {
		rels = strings.TrimSuffix(rels, `</Relationships>`) + docxFirstFooterRel + `</Relationships>`
		types = strings.TrimSuffix(types, `</Types>`) + docxFirstFooterType + `</Types>`
		sectPr = docxLetterSectPr
	}
	styles, fonts, doc := docxStylesXML, docxFontsXML, docxDocument(body, sectPr)
	if len(faces) > 0 {
		name := docxFaceNamer(faces)
		styles, doc, fonts = name(styles), name(doc), docxFonts(faces)
	}
	parts := []struct {
		name string
		data []byte
	}{
		{"[Content_Types].xml", []byte(types)},
		{"_rels/.rels", []byte(docxRootRels)},
		{"docProps/core.xml", docxCore(m)},
		{"docProps/app.xml", []byte(docxApp)},
		{"word/_rels/document.xml.rels", []byte(rels)},
		{"word/document.xml", doc},
		{"word/styles.xml", styles},
		{"word/settings.xml", []byte(docxSettings)},
		{"word/fontTable.xml", fonts},
		{"word/footer1.xml", docxFooterOdd},
		{"word/footer2.xml", docxFooterEven},
	}
	if letter {
		parts = append(parts, struct {
			name string
			data []byte
		}{"word/footer3.xml", docxFooterFirst})
	}
	if seal != nil {
		parts = append(parts, struct {
			name string
			data []byte
		}{"word/media/seal.png", seal})
	}
	var buf bytes.Buffer
	buf.Grow(len(body)/3 + len(seal) + 8192)
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		method := zip.Deflate
		if strings.HasSuffix(p.name, ".png") {
			method = zip.Store // already compressed
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: method, Modified: mod})
		if err != nil {
			return nil, fmt.Errorf("notice: docx %s: %w", p.name, err)
		}
		if _, err := w.Write(p.data); err != nil {
			return nil, fmt.Errorf("notice: docx %s: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("notice: docx: %w", err)
	}
	return buf.Bytes(), nil
}

const docxContentTypes = docxXMLPI + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Default Extension="png" ContentType="image/png"/>` +
	`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
	`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
	`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
	`<Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>` +
	`<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>` +
	`<Override PartName="/word/footer2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
	`</Types>`

const docxRootRels = docxXMLPI + `<Relationships xmlns="` + docxNsRel + `">` +
	`<Relationship Id="rId1" Type="` + docxRelOD + `officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="` + docxRelOD + `extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const docxDocRels = docxXMLPI + `<Relationships xmlns="` + docxNsRel + `">` +
	`<Relationship Id="rId1" Type="` + docxRelOD + `styles" Target="styles.xml"/>` +
	`<Relationship Id="rId2" Type="` + docxRelOD + `settings" Target="settings.xml"/>` +
	`<Relationship Id="rId3" Type="` + docxRelOD + `fontTable" Target="fontTable.xml"/>` +
	`<Relationship Id="rId4" Type="` + docxRelOD + `footer" Target="footer1.xml"/>` +
	`<Relationship Id="rId5" Type="` + docxRelOD + `footer" Target="footer2.xml"/>` +
	`</Relationships>`

// docxSealRel is the relationship of the seal image.
const docxSealRel = "rId6"

// A letter's first-page footer: its relationship and content type.
const (
	docxFirstFooterRel  = `<Relationship Id="rId7" Type="` + docxRelOD + `footer" Target="footer3.xml"/>`
	docxFirstFooterType = `<Override PartName="/word/footer3.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>`
)

var docxDocRelsSeal = strings.TrimSuffix(docxDocRels, `</Relationships>`) +
	`<Relationship Id="` + docxSealRel + `" Type="` + docxRelOD + `image" Target="media/seal.png"/></Relationships>`

const docxApp = docxXMLPI + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">` +
	`<Application>docflow</Application><DocSecurity>0</DocSecurity></Properties>`

func docxCore(m docxMeta) []byte {
	var b bytes.Buffer
	b.WriteString(docxXMLPI)
	b.WriteString(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"` +
		` xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	elem := func(name, v string) {
		if v == "" {
			return
		}
		b.WriteString("<" + name + ">")
		docxText(&b, v)
		b.WriteString("</" + name + ">")
	}
	elem("dc:title", m.Title)
	elem("dc:subject", m.Subject)
	elem("dc:creator", m.Creator)
	elem("cp:keywords", m.Keywords)
	elem("dc:description", m.Description)
	elem("dc:language", "zh-CN")
	if !m.Date.IsZero() {
		d := m.Date.UTC().Format(time.RFC3339)
		b.WriteString(`<dcterms:created xsi:type="dcterms:W3CDTF">` + d + `</dcterms:created>`)
		b.WriteString(`<dcterms:modified xsi:type="dcterms:W3CDTF">` + d + `</dcterms:modified>`)
	}
	b.WriteString(`</cp:coreProperties>`)
	return b.Bytes()
}

// docxDocument wraps the body with the section properties sectPr: A4,
// the GB/T 9704 margins, the odd and even page-number footers and the
// 22 × 28 grid.
func docxDocument(body []byte, sectPr string) []byte {
	var b bytes.Buffer
	b.Grow(len(body) + 1024)
	b.WriteString(docxXMLPI)
	b.WriteString(`<w:document xmlns:w="` + docxNsW + `" xmlns:r="` + docxNsR + `">` + "\n<w:body>\n")
	b.Write(body)
	b.WriteString(sectPr)
	b.WriteString("</w:body>\n</w:document>\n")
	return b.Bytes()
}

var docxSectPr = `<w:sectPr>` +
	`<w:footerReference w:type="default" r:id="rId4"/>` +
	`<w:footerReference w:type="even" r:id="rId5"/>` +
	`<w:pgSz w:w="` + docxItoa(docxPageW) + `" w:h="` + docxItoa(docxPageH) + `"/>` +
	`<w:pgMar w:top="` + docxItoa(docxTop) + `" w:right="` + docxItoa(docxRight) + `" w:bottom="` + docxItoa(docxBottom) +
	`" w:left="` + docxItoa(docxLeft) + `" w:header="` + docxItoa(docxHeader) + `" w:footer="` + docxItoa(docxFoot) + `" w:gutter="0"/>` +
	`<w:cols w:space="425"/>` +
	`<w:docGrid w:type="lines" w:linePitch="` + docxItoa(docxLine) + `"/>` +
	"</w:sectPr>\n"

// docxLetterSectPr is a letter's: a different first page (w:titlePg)
// whose footer, footer3.xml, holds no page number [10.1].
var docxLetterSectPr = strings.Replace(strings.Replace(docxSectPr,
	`<w:footerReference w:type="even" r:id="rId5"/>`,
	`<w:footerReference w:type="even" r:id="rId5"/><w:footerReference w:type="first" r:id="rId7"/>`, 1),
	`<w:docGrid`, `<w:titlePg/><w:docGrid`, 1)

func docxItoa(i int) string { return strconv.Itoa(i) }

// docxFooter is a page-number footer, "— 1 —" in 4号 宋体, at the outside
// edge one character in: right on odd pages, left on even ones [7.5].
func docxFooter(side string) []byte {
	ind := `<w:ind w:right="` + docxItoa(docxPNumH) + `"/>`
	if side == "left" {
		ind = `<w:ind w:left="` + docxItoa(docxPNumH) + `"/>`
	}
	return []byte(docxXMLPI + `<w:ftr xmlns:w="` + docxNsW + `" xmlns:r="` + docxNsR + `">` +
		`<w:p><w:pPr><w:pStyle w:val="PageNumber"/>` + ind + `<w:jc w:val="` + side + `"/></w:pPr>` +
		`<w:r><w:t xml:space="preserve">— </w:t></w:r>` +
		`<w:r><w:fldChar w:fldCharType="begin"/></w:r>` +
		`<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>` +
		`<w:r><w:fldChar w:fldCharType="separate"/></w:r>` +
		`<w:r><w:t>1</w:t></w:r>` +
		`<w:r><w:fldChar w:fldCharType="end"/></w:r>` +
		`<w:r><w:t xml:space="preserve"> —</w:t></w:r>` +
		`</w:p></w:ftr>`)
}

// docxSettings: separate odd and even footers for the alternating page
// numbers; no compression of punctuation, so full-width marks keep their
// grid cell; Chinese as the East Asian language.
const docxSettings = docxXMLPI + `<w:settings xmlns:w="` + docxNsW + `">` +
	`<w:zoom w:percent="100"/>` +
	`<w:defaultTabStop w:val="420"/>` +
	`<w:evenAndOddHeaders/>` +
	`<w:characterSpacingControl w:val="doNotCompress"/>` +
	`<w:compat><w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/><w:doNotLeaveBackslashAlone/>` +
	`<w:ulTrailSpace/><w:doNotExpandShiftReturn/><w:adjustLineHeightInTable/><w:useFELayout/>` +
	`<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>` +
	`<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>` +
	`<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>` +
	`</w:settings>`

// The parts that are the same in every document, built once.
var (
	docxStylesXML  = docxStyles()
	docxFontsXML   = docxFonts(nil)
	docxFooterOdd  = docxFooter("right")
	docxFooterEven = docxFooter("left")
	// docxFooterFirst is a letter's first-page footer: empty, for the
	// first page shows no page number [10.1].
	docxFooterFirst = []byte(docxXMLPI + `<w:ftr xmlns:w="` + docxNsW + `" xmlns:r="` + docxNsR + `">` +
		`<w:p><w:pPr><w:pStyle w:val="PageNumber"/></w:pPr></w:p></w:ftr>`)
)

// docxFonts returns fontTable.xml. An office's own font (faces) takes the
// place of the standard's name, which becomes its w:altName.
func docxFonts(faces map[notice.Font]string) []byte {
	var b strings.Builder
	b.WriteString(docxXMLPI + `<w:fonts xmlns:w="` + docxNsW + `">`)
	for _, f := range docxFontTable {
		name, alt := f.name, f.alt
		if office := faces[docxFaceOf[f.name]]; office != "" && f.name != docxFontLatin {
			name, alt = docxAttr(office), f.name
		}
		b.WriteString(`<w:font w:name="` + name + `">`)
		if alt != "" {
			b.WriteString(`<w:altName w:val="` + alt + `"/>`)
		}
		b.WriteString(`<w:panose1 w:val="` + f.panose + `"/>`)
		if f.name == docxFontLatin {
			b.WriteString(`<w:charset w:val="00"/>`)
		} else {
			b.WriteString(`<w:charset w:val="86"/>`)
		}
		b.WriteString(`<w:family w:val="` + f.family + `"/><w:pitch w:val="` + f.pitch + `"/></w:font>`)
	}
	b.WriteString(`</w:fonts>`)
	return []byte(b.String())
}

// docxFaceOf is the face of the standard each East Asian font name sets.
var docxFaceOf = map[string]notice.Font{
	docxFontFang: notice.FontFang, docxFontHei: notice.FontHei, docxFontKai: notice.FontKai,
	docxFontSong: notice.FontSong, docxFontXBS: notice.FontXBS,
}

// docxFaceNamer returns a function that puts an office's own font names
// (faces) in place of the standard's in styles.xml and document.xml. It
// replaces whole attribute values only: text never holds a bare " (docxText
// writes &quot;).
func docxFaceNamer(faces map[notice.Font]string) func([]byte) []byte {
	var pairs []string
	for name, f := range docxFaceOf {
		if office := faces[f]; office != "" {
			pairs = append(pairs, `="`+name+`"`, `="`+docxAttr(office)+`"`)
		}
	}
	r := strings.NewReplacer(pairs...)
	return func(b []byte) []byte { return []byte(r.Replace(string(b))) }
}

// docxAttr escapes s for an XML attribute value.
func docxAttr(s string) string {
	var b bytes.Buffer
	docxText(&b, s)
	return b.String()
}

// docxRFonts sets east as the East Asian font and Times New Roman for Latin
// text. The eastAsia hint makes Word draw ambiguous marks (“ ” — …) in the
// Chinese font, full width.
func docxRFonts(east string) string {
	return `<w:rFonts w:ascii="` + docxFontLatin + `" w:eastAsia="` + east + `" w:hAnsi="` + docxFontLatin +
		`" w:cs="` + docxFontLatin + `" w:hint="eastAsia"/>`
}

func docxRSize(pt float64) string {
	hp := docxItoa(int(math.Floor(pt * 2))) // half-points
	return `<w:sz w:val="` + hp + `"/><w:szCs w:val="` + hp + `"/>`
}

// Indents: none, or two characters (GB/T's "空二字").
const (
	docxIndNone  = `<w:ind w:firstLineChars="0" w:firstLine="0"/>`
	docxIndTwo   = `<w:ind w:firstLineChars="200" w:firstLine="640"/>`
	docxNoGrid   = `<w:snapToGrid w:val="0"/>`
	docxJcCenter = `<w:jc w:val="center"/>`
	docxJcRight  = `<w:jc w:val="right"/>`
	docxJcLeft   = `<w:jc w:val="left"/>`
	docxKeepNext = `<w:keepNext/>`
)

// docxSpacingExact is spacing before a paragraph and an exact line height, in
// twips, for lines off the grid.
func docxSpacingExact(before, line int) string {
	return `<w:spacing w:before="` + docxItoa(before) + `" w:after="0" w:line="` + docxItoa(line) + `" w:lineRule="exact"/>`
}

// docxSpaceBefore is spacing before a paragraph, in twips, on the grid.
func docxSpaceBefore(tw int) string {
	return `<w:spacing w:before="` + docxItoa(tw) + `" w:after="0"/>`
}

// docxStyle is one style of styles.xml. Paragraph properties and run
// properties are raw XML in schema order (pPr: docxKeepNext, pBdr, tabs,
// snapToGrid, spacing, ind, jc, outlineLvl; rPr: docxRFonts, b, color, sz).
type docxStyle struct {
	kind, id, name, basedOn, next string
	pPr, rPr                      string
}

// docxStyles returns styles.xml. Names are the ones Chinese offices use;
// Normal and Title keep their built-in names, which Word and WPS show as
// 正文 and 标题 in Chinese, so the style list has no duplicates.
func docxStyles() []byte {
	styles := []docxStyle{
		// Normal repeats the default font and size: LibreOffice reads the
		// grid's character pitch from this style, not from docDefaults.
		// (autoSpaceDE/DN again too: LibreOffice does not take them from
		// docDefaults.) No extra space between Chinese and Latin or digits:
		// it would break the 28-character line.
		{kind: "paragraph", id: "Normal", name: "Normal",
			pPr: `<w:widowControl w:val="0"/><w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/>` + docxIndTwo + `<w:jc w:val="both"/>`,
			rPr: docxRFonts(docxFontFang) + `<w:spacing w:val="` + docxItoa(docxCondense) + `"/>` + docxRSize(docxBodyS)},
		{kind: "character", id: "DefaultParagraphFont", name: "Default Paragraph Font"},
		{kind: "paragraph", id: "Mark", name: "发文机关标志", basedOn: "Normal", next: "DocNumber",
			// Each mark paragraph sets its exact line to its size, so
			// that its top edge is 35 mm below the type area's top [7.2.4].
			pPr: docxNoGrid + docxSpacingExact(docxTwips(35), notice.MaxMarkSize*20) + docxIndNone + docxJcCenter,
			rPr: docxRFonts(docxFontXBS) + docxNoGrid + `<w:color w:val="` + docxRed + `"/>` + docxRSize(notice.MaxMarkSize)},
		{kind: "paragraph", id: "DocNumber", name: "发文字号", basedOn: "Normal", next: "Title",
			// The red rule is this paragraph's bottom border (docxRule).
			pPr: docxSpaceBefore(2*docxLine) + docxIndNone + docxJcCenter},
		{kind: "paragraph", id: "Title", name: "Title", basedOn: "Normal", next: "Addressee",
			pPr: docxKeepNext + docxNoGrid + docxSpacingExact(2*docxLine, 33*20) +
				docxIndNone + docxJcCenter,
			rPr: docxRFonts(docxFontXBS) + docxNoGrid + docxRSize(22)},
		{kind: "paragraph", id: "Addressee", name: "主送机关", basedOn: "Normal", next: "Normal",
			pPr: docxSpaceBefore(docxLine) + docxIndNone + `<w:jc w:val="both"/>`},
		{kind: "paragraph", id: "Level1", name: "一级标题", basedOn: "Normal", next: "Normal",
			pPr: docxKeepNext + `<w:outlineLvl w:val="0"/>`, rPr: docxRFonts(docxFontHei)},
		{kind: "paragraph", id: "Level2", name: "二级标题", basedOn: "Normal", next: "Normal",
			pPr: docxKeepNext + `<w:outlineLvl w:val="1"/>`, rPr: docxRFonts(docxFontKai)},
		{kind: "paragraph", id: "Level3", name: "三级标题", basedOn: "Normal", next: "Normal",
			pPr: docxKeepNext + `<w:outlineLvl w:val="2"/>`, rPr: docxRFonts(docxFontFang)},
		{kind: "paragraph", id: "Level4", name: "四级标题", basedOn: "Normal", next: "Normal",
			pPr: docxKeepNext + `<w:outlineLvl w:val="3"/>`, rPr: docxRFonts(docxFontFang)},
		{kind: "character", id: "Level1Char", name: "一级标题字符", basedOn: "DefaultParagraphFont", rPr: docxRFonts(docxFontHei)},
		{kind: "character", id: "Level2Char", name: "二级标题字符", basedOn: "DefaultParagraphFont", rPr: docxRFonts(docxFontKai)},
		{kind: "character", id: "Level3Char", name: "三级标题字符", basedOn: "DefaultParagraphFont", rPr: docxRFonts(docxFontFang)},
		{kind: "character", id: "Level4Char", name: "四级标题字符", basedOn: "DefaultParagraphFont", rPr: docxRFonts(docxFontFang)},
		{kind: "paragraph", id: "Attachment", name: "附件说明", basedOn: "Normal", next: "Normal",
			pPr: docxSpaceBefore(docxLine)},
		{kind: "paragraph", id: "Signer", name: "署名", basedOn: "Normal", next: "SignDate",
			pPr: docxKeepNext + docxSpaceBefore(docxLine) + docxIndNone + docxJcRight},
		{kind: "paragraph", id: "SignDate", name: "成文日期", basedOn: "Normal", next: "Normal",
			pPr: docxIndNone + docxJcRight},
		{kind: "paragraph", id: "Annotation", name: "附注", basedOn: "Normal", next: "Normal"},
		{kind: "paragraph", id: "Record", name: "版记", basedOn: "Normal",
			pPr: docxIndNone + docxJcLeft, rPr: docxRSize(docxPNum)},
		{kind: "paragraph", id: "TableText", name: "表格文字", basedOn: "Normal",
			pPr: docxIndNone + docxJcLeft},
		{kind: "paragraph", id: "Code", name: "代码", basedOn: "Normal",
			pPr: docxIndNone + docxJcLeft},
		{kind: "paragraph", id: "PageNumber", name: "页码", basedOn: "Normal",
			pPr: docxNoGrid + docxSpacingExact(0, docxPNumH) + docxIndNone,
			rPr: `<w:rFonts w:ascii="` + docxFontSong + `" w:eastAsia="` + docxFontSong + `" w:hAnsi="` + docxFontSong +
				`" w:cs="` + docxFontSong + `" w:hint="eastAsia"/>` + docxRSize(docxPNum)},
		{kind: "table", id: "TableNormal", name: "Normal Table"},
	}
	var b strings.Builder
	b.Grow(6000)
	b.WriteString(docxXMLPI + `<w:styles xmlns:w="` + docxNsW + `">` + "\n")
	b.WriteString(`<w:docDefaults><w:rPrDefault><w:rPr>` + docxRFonts(docxFontFang) +
		`<w:kern w:val="2"/>` + docxRSize(docxBodyS) +
		`<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>` +
		`<w:pPrDefault><w:pPr><w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/>` +
		`<w:spacing w:before="0" w:after="0"/></w:pPr></w:pPrDefault></w:docDefaults>` + "\n")
	for _, s := range styles {
		b.WriteString(`<w:style w:type="` + s.kind + `"`)
		if s.id == "Normal" || s.id == "DefaultParagraphFont" || s.id == "TableNormal" {
			b.WriteString(` w:default="1"`)
		}
		b.WriteString(` w:styleId="` + s.id + `"><w:name w:val="` + s.name + `"/>`)
		if s.basedOn != "" {
			b.WriteString(`<w:basedOn w:val="` + s.basedOn + `"/>`)
		}
		if s.next != "" {
			b.WriteString(`<w:next w:val="` + s.next + `"/>`)
		}
		switch s.id {
		case "DefaultParagraphFont", "TableNormal":
			b.WriteString(`<w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/>`)
		default:
			b.WriteString(`<w:qFormat/>`)
		}
		if s.id == "TableNormal" {
			b.WriteString(`<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>` +
				`<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>` +
				`</w:tblCellMar></w:tblPr>`)
		}
		if s.pPr != "" {
			b.WriteString(`<w:pPr>` + s.pPr + `</w:pPr>`)
		}
		if s.rPr != "" {
			b.WriteString(`<w:rPr>` + s.rPr + `</w:rPr>`)
		}
		b.WriteString("</w:style>\n")
	}
	b.WriteString(`</w:styles>`)
	return []byte(b.String())
}

// docxText writes s as XML character data: escaped, with the characters
// XML 1.0 forbids (C0 controls other than tab and newlines, surrogates,
// U+FFFE, U+FFFF) dropped and invalid UTF-8 replaced by U+FFFD. It is used
// for every piece of user text.
func docxText(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\t', r == '\n':
			b.WriteRune(r)
		case r == '\r':
			// dropped: XML parsers turn a raw CR into LF anyway
		case docxAllowed(r):
			b.WriteRune(r) // RuneError from invalid UTF-8 writes U+FFFD
		}
	}
}

// docxAllowed reports whether r is a character XML 1.0 allows, apart from
// tab and line ends.
func docxAllowed(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// docxBody builds the children of w:body.
type docxBody struct {
	b bytes.Buffer
}

// docxRun is a run of text.
type docxRun struct {
	Style string // character style id, or ""
	Font  string // East Asian font when it differs from the style's, or ""
	Props string // further run properties, trusted XML in schema order after rFonts
	Text  string
}

// para writes a paragraph in style with extra paragraph properties pPr
// (trusted XML, in schema order after pStyle) and runs. Tabs in the text
// become w:tab, newlines w:br.
func (d *docxBody) para(style, pPr string, runs ...docxRun) {
	d.open(style, pPr)
	for _, r := range runs {
		d.run(r)
	}
	d.b.WriteString("</w:p>\n")
}

// open starts a paragraph and writes its properties.
func (d *docxBody) open(style, pPr string) {
	d.b.WriteString(`<w:p>`)
	if style == "" && pPr == "" {
		return
	}
	d.b.WriteString(`<w:pPr>`)
	if style != "" {
		d.b.WriteString(`<w:pStyle w:val="` + style + `"/>`)
	}
	d.b.WriteString(pPr)
	d.b.WriteString(`</w:pPr>`)
}

// run writes r as a w:r, with w:tab and w:br at tabs and newlines.
func (d *docxBody) run(r docxRun) {
	if r.Text == "" {
		return
	}
	d.b.WriteString(`<w:r>`)
	hint := docxAmbiguous(r.Text)
	if r.Style != "" || r.Font != "" || r.Props != "" || hint {
		d.b.WriteString(`<w:rPr>`)
		if r.Style != "" {
			d.b.WriteString(`<w:rStyle w:val="` + r.Style + `"/>`)
		}
		switch {
		case r.Font != "":
			d.b.WriteString(docxRFonts(r.Font))
		case hint:
			d.b.WriteString(`<w:rFonts w:hint="eastAsia"/>`)
		}
		d.b.WriteString(r.Props)
		d.b.WriteString(`</w:rPr>`)
	}
	start := 0
	text := func(end int) {
		if end > start {
			d.b.WriteString(`<w:t xml:space="preserve">`)
			docxText(&d.b, r.Text[start:end])
			d.b.WriteString(`</w:t>`)
		}
	}
	for i := 0; i < len(r.Text); i++ {
		switch r.Text[i] {
		case '\t':
			text(i)
			d.b.WriteString(`<w:tab/>`)
			start = i + 1
		case '\n':
			text(i)
			d.b.WriteString(`<w:br/>`)
			start = i + 1
		}
	}
	text(len(r.Text))
	d.b.WriteString(`</w:r>`)
}

// Format writes .docx files; it is a notice.Format. It is a
// notice.Segmenter too (notice/words), so that a Renderer that writes
// .docx files breaks titles between words: the .docx and the PDF set
// titles on fixed lines, and every binary that writes a PDF writes a
// .docx too.
var Format notice.Format = format{}

type format struct{ words.Segmenter }

// FileName implements notice.Named: drafts are written as .docx alone.
func (format) FileName() string { return FileName }

// Write implements notice.Format.
func (format) Write(d *notice.Document) (workflow.Rendered, error) {
	b, err := Write(d)
	if err != nil {
		return workflow.Rendered{}, err
	}
	return workflow.Rendered{Name: FileName, ContentType: ContentType, Data: b}, nil
}

// Write returns d as a .docx package (WordprocessingML): the GB/T 9704 page
// (A4, 37/28/26/35 mm margins, the 22-line × 28-character grid, page
// numbers in odd and even footers), one paragraph style per element kind
// named as offices name them, and the 版记 as a table at the foot of the
// last page. It returns an error only for a nil document or a seal that
// is not a PNG. It is safe for concurrent use.
func Write(d *notice.Document) ([]byte, error) {
	if d == nil {
		return nil, errors.New("notice/docx: Write of a nil document")
	}
	w := docxWriter{d: d}
	w.b.b.Grow(4096 + len(d.Elements)*400)
	if err := w.write(); err != nil {
		return nil, err
	}
	return docxPackage(w.b.b.Bytes(), w.meta(), w.seal, d.Faces, d.Letter)
}

// docxWriter lays out one Document.
type docxWriter struct {
	d        *notice.Document
	b        docxBody
	seal     []byte  // PNG of the seal, nil if unsealed
	sealW    int     // its width and height, EMU
	sealH    int     //
	signer   float64 // width of the 署名 in characters
	date     float64 // width of the 成文日期 in characters, 0 if none
	lastItem int     // Box ID of the list item the previous element was in
	markSize float64 // the mark's size, pt
}

// Lengths for the signature and the seal.
const (
	docxEMU    = 635 // EMU per twip
	docxSealMM = 42  // seal diameter, mm: the common size of a 区县 government seal
	docxCharTw = 316 // one grid character, twips (15.79 pt)
)

func (w *docxWriter) write() error {
	es := w.d.Elements
	for i := range es {
		switch e := &es[i]; e.Kind {
		case notice.KindSigner:
			w.signer = docxEms(e.Text())
		case notice.KindDate:
			w.date = docxEms(e.Text())
		case notice.KindSeal:
			if err := w.setSeal(e.Image); err != nil {
				return err
			}
		}
	}
	for i := 0; i < len(es); i++ {
		e := &es[i]
		switch e.Kind {
		case notice.KindMark:
			size := e.Size
			if size <= 0 {
				size = notice.MaxMarkSize
			}
			w.markSize = size
			pPr := docxNoGrid + docxSpacingExact(docxTwips(35), int(math.Round(size*20)))
			if w.d.Letter {
				// A frame at 30 mm from the paper's top, above the top
				// margin, where no paragraph of the text can go [10.1].
				pPr = docxFrame(docxTypeW, int(math.Round(size*20)), 0, docxLetterMarkTop, true) +
					docxNoGrid + docxSpacingExact(0, int(math.Round(size*20)))
			}
			w.b.para("Mark", pPr, w.runs(e.Runs, notice.FontXBS, docxRSize(size))...)
		case notice.KindDoubleRule:
			w.headRule()
		case notice.KindFootRule:
			w.footRule()
		case notice.KindResult:
			var number *notice.Element
			if i+1 < len(es) && es[i+1].Kind == notice.KindNumber {
				number = &es[i+1]
				i++
			}
			w.letterNumber(e, number)
		case notice.KindNumber:
			if w.d.Letter {
				w.letterNumber(nil, e)
				break
			}
			pPr := ""
			if i+1 < len(es) && es[i+1].Kind == notice.KindRedRule {
				pPr = docxRule
				i++
			}
			runs := w.runs(e.Runs, notice.FontFang, "")
			if len(e.Right) > 0 {
				// 上行文: number one character in from the left, 签发人 one
				// character in from the right, on one line [7.2.5–7.2.6].
				pPr += `<w:tabs><w:tab w:val="right" w:pos="` + docxItoa(docxTypeW-docxChar) + `"/></w:tabs>` +
					`<w:ind w:leftChars="100" w:left="` + docxItoa(docxChar) + `" w:firstLineChars="0" w:firstLine="0"/>` + docxJcLeft
				runs = append(runs, docxRun{Text: "\t"})
				runs = append(runs, w.runs(e.Right, notice.FontFang, "")...)
			}
			w.b.para("DocNumber", pPr, runs...)
		case notice.KindRedRule:
			// Without a number (a preview) the rule stands where the
			// number would be.
			w.b.para("DocNumber", docxRule)
		case notice.KindTitle:
			w.b.para("Title", "", w.runs(docxBreakRuns(e.Runs, e.Breaks), notice.FontXBS, "")...)
		case notice.KindAddressee:
			w.b.para("Addressee", "", w.runs(e.Runs, notice.FontFang, "")...)
		case notice.KindHeading:
			lvl := min(max(e.Level, 1), notice.MaxLevel)
			w.b.para("Level"+docxItoa(lvl), w.boxIndent(e, true), w.runs(e.Runs, notice.LevelFont(lvl), "")...)
		case notice.KindTable:
			w.table(e.Table)
		case notice.KindCode:
			text := strings.TrimSuffix(e.Text(), "\n")
			w.b.para("Code", w.boxIndent(e, false), docxRun{Text: text})
		case notice.KindBreak:
			w.b.para("", "")
		case notice.KindOmitted:
		case notice.KindAttachments:
			w.attachments(e.Items)
		case notice.KindSeal:
			// drawn from the 署名's paragraph
		case notice.KindSigner:
			w.signature(e)
		case notice.KindDate:
			right := 2 + max(0, w.signer-w.date-2) // [7.3.5.2]
			if w.d.Sealed {
				right = 4 // [7.3.5.1]
			}
			w.b.para("SignDate", docxRightChars(right), w.runs(e.Runs, notice.FontFang, "")...)
		case notice.KindNote:
			w.b.para("Annotation", "", w.runs(e.Runs, notice.FontFang, "")...)
		case notice.KindCC, notice.KindImprint:
			j := i
			for j < len(es) && es[j].Kind.Part() == notice.Record {
				j++
			}
			w.record(es[i:j])
			i = j - 1
		default: // KindParagraph, and kinds added later
			w.b.para("", w.boxIndent(e, false), w.runs(w.marker(e), notice.FontFang, "")...)
		}
	}
	// The body ends with a paragraph: Word wants one after a table, and
	// the floating 版记 table is anchored to it. It is one point high.
	w.b.para("", docxNoGrid+docxSpacingExact(0, 20)+docxIndNone)
	return nil
}

// docxRule is the red rule across the type area, 4 mm below the number
// [7.2.7]: its paragraph's bottom border, 1 pt (w:sz in eighths) as the
// PDF draws it. w:space is measured from the number's grid line, whose
// glyphs end about 6 pt above its foot: 5 pt more puts the rule 4 mm
// below them (measured in LibreOffice's rendering: 4.0 mm).
const docxRule = `<w:pBdr><w:bottom w:val="single" w:sz="8" w:space="5" w:color="` + docxRed + `"/></w:pBdr>`

// A letter's page (信函格式 [10.1]), in twips. The double lines' length
// and weights are notice.LetterRule*.
const (
	docxLetterMarkTop = 1701 // 30 mm: the paper's top → the mark's top edge
	docxLetterFoot    = 1134 // 20 mm: the second double line's lower edge → the paper's foot
	docxLetterRuleGap = 227  // 4 mm: the mark → the first double line
	docxLetterGap     = 280  // 7/8 of a 3号 character (14 pt): the first double line → the number's characters
)

// docxLetterOut is how far a letter's double lines reach past the type
// area on either side, so that they are 170 mm long and centred like it.
var docxLetterOut = int(math.Round((notice.LetterRuleLength*20 - docxTypeW) / 2))

// docxFrame is the w:framePr of a frame w wide and at least h high at x, y
// twips (x from the type area's left edge, y from the paper's top), or
// centred on the type area. Text flows through it: the frames of a letter
// stand where no text goes.
func docxFrame(w, h, x, y int, centre bool) string {
	hpos := `w:x="` + docxItoa(x) + `"`
	if centre {
		hpos = `w:xAlign="center"`
	}
	return `<w:framePr w:w="` + docxItoa(w) + `" w:h="` + docxItoa(h) + `" w:hRule="atLeast" w:wrap="through" ` +
		`w:vAnchor="page" w:hAnchor="margin" ` + hpos + ` w:y="` + docxItoa(y) + `"/>`
}

// docxDoubleRule is a paragraph's borders drawing a letter's red double
// line: a line upper points thick above the paragraph, one lower points
// thick below it (w:sz in eighths of a point); the paragraph's height is
// the gap between them.
func docxDoubleRule(upper, lower float64) string {
	sz := func(pt float64) string { return docxItoa(int(math.Round(pt * 8))) }
	return `<w:pBdr><w:top w:val="single" w:sz="` + sz(upper) + `" w:space="0" w:color="` + docxRed + `"/>` +
		`<w:bottom w:val="single" w:sz="` + sz(lower) + `" w:space="0" w:color="` + docxRed + `"/></w:pBdr>`
}

// docxRuleGap is the gap between a double line's two lines, twips.
var docxRuleGap = max(1, int(math.Round(notice.LetterRuleGap*20)))

// docxRuleTw is the height of a double line, twips.
var docxRuleTw = int(math.Round((notice.LetterRuleThick+notice.LetterRuleThin)*20)) + docxRuleGap

// docxRuleInd reaches docxLetterOut past the type area on both sides.
var docxRuleInd = `<w:ind w:left="-` + docxItoa(docxLetterOut) + `" w:right="-` + docxItoa(docxLetterOut) +
	`" w:firstLineChars="0" w:firstLine="0"/>`

// docxMarkFoot is how far above the foot of its exact line the mark's
// glyphs end, in ems: 0.125, measured in LibreOffice's rendering (with
// Noto Sans CJK for the missing 方正小标宋简体), where the first double
// line then lies 4.0 mm below them.
const docxMarkFoot = 0.125

// headRule writes a letter's first double line, thick above thin, 4 mm
// below the mark [10.1], as the borders of an empty paragraph, as the
// report's red rule is a paragraph's border. The mark stands in a frame,
// so the text begins at the top margin: the space before the paragraph
// brings the line to 4 mm below the mark's glyphs.
func (w *docxWriter) headRule() {
	before := docxLetterMarkTop + int(math.Round(w.markSize*20*(1-docxMarkFoot))) + docxLetterRuleGap - docxTop
	w.b.para("", docxDoubleRule(notice.LetterRuleThick, notice.LetterRuleThin)+docxNoGrid+
		docxSpacingExact(max(0, before), docxRuleGap)+docxRuleInd)
}

// footRule writes a letter's second double line, thin above thick, its
// lower edge 20 mm above the paper's foot [10.1], in a frame anchored to
// the text of the first page, so that it is drawn there alone.
// LibreOffice (7.4) makes the framed paragraph's borders the frame's and
// pads them: there the lines stand 0.38 mm apart instead of 0.1 mm, the
// lower edge 19.7 mm above the foot.
func (w *docxWriter) footRule() {
	y := docxPageH - docxLetterFoot - docxRuleTw
	w.b.para("", docxFrame(docxTypeW+2*docxLetterOut, docxRuleTw, -docxLetterOut, y, false)+
		docxDoubleRule(notice.LetterRuleThin, notice.LetterRuleThick)+docxNoGrid+
		docxSpacingExact(0, docxRuleGap)+docxIndNone)
}

// letterNumber writes a letter's number line: the 办理结果 (result) flush
// left, the number flush right at the type area's edge, their characters
// 7/8 of a 3号 character below the first double line [10.1]. The line is
// exactly one character high, so that it stands for the characters' em
// box and the 7/8 is the space before it. (Checked in LibreOffice only,
// which sets the Noto Sans CJK it substitutes for 仿宋 about 2 pt higher
// than the PDF sets FandolFang.)
func (w *docxWriter) letterNumber(result, number *notice.Element) {
	var runs []docxRun
	if result != nil {
		runs = w.runs(result.Runs, notice.FontFang, "")
	}
	if number != nil {
		runs = append(runs, docxRun{Text: "\t"})
		runs = append(runs, w.runs(number.Runs, notice.FontFang, "")...)
	}
	w.b.para("DocNumber", `<w:tabs><w:tab w:val="right" w:pos="`+docxItoa(docxTypeW)+`"/></w:tabs>`+docxNoGrid+
		docxSpacingExact(docxLetterGap, docxBodyS*20)+docxIndNone+docxJcLeft, runs...)
}

// docxRightChars is a right-aligned paragraph's indent from the right, in
// characters, with no first-line indent.
func docxRightChars(chars float64) string {
	c := int(math.Round(chars * 100))
	return `<w:ind w:rightChars="` + docxItoa(c) + `" w:right="` + docxItoa(c*docxChar/100) +
		`" w:firstLineChars="0" w:firstLine="0"/>`
}

// docxEms is the width of s in characters of the grid: a Chinese
// character is one, Latin letters and digits half.
func docxEms(s string) float64 {
	var w float64
	for _, r := range s {
		w += notice.Ems(r)
	}
	return w
}

// signature writes the 署名. Unsealed [7.3.5.2]: two characters in from
// the right, or further left when the date, starting two characters right
// of the 署名's start, would not fit. Sealed [7.3.5.1]: centred over the
// date, which stands four characters in; the seal is drawn from here.
func (w *docxWriter) signature(e *notice.Element) {
	right := 2 + max(0, w.date+2-w.signer)
	pPr := docxRightChars(right)
	if w.d.Sealed {
		right = max(0, 4+(w.date-w.signer)/2)
		pPr = docxSpaceBefore(2*docxLine) + docxRightChars(right)
	}
	w.b.open("Signer", pPr)
	if w.seal != nil {
		w.sealDrawing()
	}
	for _, r := range w.runs(e.Runs, notice.FontFang, "") {
		w.b.run(r)
	}
	w.b.b.WriteString("</w:p>\n")
}

// setSeal checks that img is a PNG and sizes the seal: docxSealMM wide,
// high in the image's proportions.
func (w *docxWriter) setSeal(img []byte) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return fmt.Errorf("notice: seal image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return errors.New("notice: seal image is empty")
	}
	w.seal = img
	w.sealW = docxSealMM * 36000
	w.sealH = int(int64(w.sealW) * int64(cfg.Height) / int64(cfg.Width))
	return nil
}

// sealDrawing writes the seal as a picture floating in front of the text,
// centred on the date's middle, its top half a line below the body: so it
// presses 署名 and date, which sit below its centre, and its top is within
// one line of the body [7.3.5.1].
func (w *docxWriter) sealDrawing() {
	dateRight := 4.0
	cx := docxTypeW - int((dateRight+w.date/2)*docxCharTw) // twips from the margin
	x := cx*docxEMU - w.sealW/2
	y := docxLine / 2 * docxEMU
	fmt.Fprintf(&w.b.b, `<w:r><w:drawing><wp:anchor xmlns:wp="%s" distT="0" distB="0" distL="0" distR="0" simplePos="0" `+
		`relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">`+
		`<wp:simplePos x="0" y="0"/>`+
		`<wp:positionH relativeFrom="margin"><wp:posOffset>%d</wp:posOffset></wp:positionH>`+
		`<wp:positionV relativeFrom="paragraph"><wp:posOffset>%d</wp:posOffset></wp:positionV>`+
		`<wp:extent cx="%d" cy="%d"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>`+
		`<wp:docPr id="1" name="印章"/>`+
		`<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="%s" noChangeAspect="1"/></wp:cNvGraphicFramePr>`+
		`<a:graphic xmlns:a="%[6]s"><a:graphicData uri="%[7]s"><pic:pic xmlns:pic="%[7]s">`+
		`<pic:nvPicPr><pic:cNvPr id="1" name="seal.png"/><pic:cNvPicPr/></pic:nvPicPr>`+
		`<pic:blipFill><a:blip r:embed="%[8]s"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>`+
		`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="%[4]d" cy="%[5]d"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>`+
		`</pic:pic></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>`,
		"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing", x, y, w.sealW, w.sealH,
		"http://schemas.openxmlformats.org/drawingml/2006/main",
		"http://schemas.openxmlformats.org/drawingml/2006/picture", docxSealRel)
}

// attachments writes the 附件说明: "附件：" two characters in, several
// attachments numbered, their lines aligned after "附件：" [7.3.4].
func (w *docxWriter) attachments(items []string) {
	many := len(items) > 1
	const ind = `<w:ind w:leftChars="500" w:left="1600" w:hangingChars="300" w:hanging="960"/>`
	for i, it := range items {
		text := it
		if many {
			text = docxItoa(i+1) + ". " + it
		}
		if i == 0 {
			w.b.para("Attachment", ind, docxRun{Text: "附件："}, docxRun{Text: text})
			continue
		}
		w.b.para("Attachment", docxSpaceBefore(0)+`<w:ind w:leftChars="500" w:left="1600" w:firstLineChars="0" w:firstLine="0"/>`,
			docxRun{Text: text})
	}
}

// record writes the 版记 [7.4] as a table floating at the foot of the type
// area: a row for 抄送 and one for 印发机关 and 印发日期, 4号 仿宋, rules
// 0.35 mm first and last and 0.25 mm between, text one character in from
// each side. The table is anchored to the paragraph after it, so it sits
// at the foot of the page the body ends on.
//
// A letter's 版记 is its 抄送 alone, without rules [10.1].
func (w *docxWriter) record(es []notice.Element) {
	const side = docxPNum * 20 // one 4号 character
	b := &w.b.b
	borders := `<w:top w:val="single" w:sz="8" w:space="0" w:color="` + docxBlack + `"/>` +
		`<w:left w:val="nil"/>` +
		`<w:bottom w:val="single" w:sz="8" w:space="0" w:color="` + docxBlack + `"/>` +
		`<w:right w:val="nil"/>` +
		`<w:insideH w:val="single" w:sz="6" w:space="0" w:color="` + docxBlack + `"/>` +
		`<w:insideV w:val="nil"/>`
	if w.d.Letter {
		borders = `<w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/>` +
			`<w:insideH w:val="nil"/><w:insideV w:val="nil"/>`
	}
	b.WriteString(`<w:tbl><w:tblPr>` +
		`<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" w:bottomFromText="0" ` +
		`w:vertAnchor="margin" w:horzAnchor="margin" w:tblpXSpec="center" w:tblpYSpec="bottom"/>` +
		`<w:tblOverlap w:val="never"/>` +
		`<w:tblW w:w="` + docxItoa(docxTypeW) + `" w:type="dxa"/>` +
		`<w:tblBorders>` + borders + `</w:tblBorders><w:tblLayout w:type="fixed"/>` +
		`<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>` +
		`<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>` +
		`</w:tblPr><w:tblGrid><w:gridCol w:w="` + docxItoa(docxTypeW) + `"/></w:tblGrid>` + "\n")
	for i := range es {
		e := &es[i]
		b.WriteString(`<w:tr><w:tc><w:tcPr><w:tcW w:w="` + docxItoa(docxTypeW) + `" w:type="dxa"/></w:tcPr>`)
		switch e.Kind {
		case notice.KindCC:
			// Continuation lines align after "抄送：".
			w.b.para("Record", `<w:ind w:left="`+docxItoa(4*side)+`" w:right="`+docxItoa(side)+`" w:hanging="`+docxItoa(3*side)+`"/>`,
				docxRun{Text: "抄送：" + strings.Join(e.Items, "，") + "。"})
		case notice.KindImprint:
			runs := w.runs(e.Runs, notice.FontFang, "")
			if len(e.Right) > 0 {
				runs = append(runs, docxRun{Text: "\t"})
				runs = append(runs, w.runs(e.Right, notice.FontFang, "")...)
			}
			w.b.para("Record", `<w:tabs><w:tab w:val="right" w:pos="`+docxItoa(docxTypeW-side)+`"/></w:tabs>`+
				`<w:ind w:left="`+docxItoa(side)+`" w:right="`+docxItoa(side)+`" w:firstLine="0"/>`, runs...)
		default:
			w.b.para("Record", "", w.runs(e.Runs, notice.FontFang, "")...)
		}
		b.WriteString("</w:tc></w:tr>\n")
	}
	b.WriteString("</w:tbl>\n")
}

// table writes a Markdown table: full width, thin rules, the header row
// bold and repeated on each page.
func (w *docxWriter) table(t *notice.Table) {
	if t == nil {
		return
	}
	cols := len(t.Head)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	colW := docxTypeW / cols
	b := &w.b.b
	b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="` + docxItoa(colW*cols) + `" w:type="dxa"/><w:jc w:val="center"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		b.WriteString(`<w:` + side + ` w:val="single" w:sz="4" w:space="0" w:color="` + docxBlack + `"/>`)
	}
	b.WriteString(`</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>`)
	for range cols {
		b.WriteString(`<w:gridCol w:w="` + docxItoa(colW) + `"/>`)
	}
	b.WriteString("</w:tblGrid>\n")
	row := func(cells []notice.Cell, head bool) {
		b.WriteString(`<w:tr>`)
		if head {
			b.WriteString(`<w:trPr><w:tblHeader/></w:trPr>`)
		}
		for c := range cols {
			b.WriteString(`<w:tc><w:tcPr><w:tcW w:w="` + docxItoa(colW) + `" w:type="dxa"/></w:tcPr>`)
			jc := ""
			if c < len(t.Align) {
				switch t.Align[c] {
				case notice.AlignCenter:
					jc = docxJcCenter
				case notice.AlignRight:
					jc = docxJcRight
				}
			}
			var runs []docxRun
			if c < len(cells) {
				props := ""
				if head {
					props = `<w:b/><w:bCs/>`
				}
				runs = w.runs(cells[c].Runs, notice.FontFang, props)
			}
			w.b.para("TableText", jc, runs...)
			b.WriteString(`</w:tc>`)
		}
		b.WriteString("</w:tr>\n")
	}
	if len(t.Head) > 0 {
		row(t.Head, true)
	}
	for _, r := range t.Rows {
		row(r, false)
	}
	b.WriteString("</w:tbl>\n")
}

// docxMaxBoxes caps the nesting that indents: six levels take 12 of the
// line's 28 characters; deeper ones (pasted "> > > …") stay there.
const docxMaxBoxes = 6

// boxIndent indents an element inside block quotes and lists: two
// characters for each; list items have no first-line indent (their marker
// starts the line), other paragraphs keep theirs.
func (w *docxWriter) boxIndent(e *notice.Element, heading bool) string {
	var depth int
	list := false
	for _, b := range e.Boxes {
		switch b.Kind {
		case notice.BoxQuote:
			depth++
		case notice.BoxList:
			depth++
			list = true
		}
	}
	if depth == 0 {
		return ""
	}
	depth = min(depth, docxMaxBoxes)
	first := 200
	if list {
		first = 0
	}
	left := 200 * depth
	return `<w:ind w:leftChars="` + docxItoa(left) + `" w:left="` + docxItoa(left*docxChar/100) +
		`" w:firstLineChars="` + docxItoa(first) + `" w:firstLine="` + docxItoa(first*docxChar/100) + `"/>`
}

// marker returns e's runs, preceded by its list item's marker ("1." or
// "•") when e is the first element of that item.
func (w *docxWriter) marker(e *notice.Element) []notice.Run {
	item := 0
	var marker string
	for _, b := range e.Boxes {
		if b.Kind == notice.BoxItem {
			item, marker = b.ID, b.Marker
		}
	}
	if item == 0 || item == w.lastItem {
		w.lastItem = item
		return e.Runs
	}
	w.lastItem = item
	rs := make([]notice.Run, 0, len(e.Runs)+1)
	rs = append(rs, notice.Run{Text: marker + " ", Font: notice.FontFang})
	return append(rs, e.Runs...)
}

// runs converts model runs to docx runs in a paragraph whose style sets
// base; props (trusted) is added to every run. Run-in heading runs take
// their level's character style; omitted HTML is skipped; links are text
// (an official document has none).
func (w *docxWriter) runs(rs []notice.Run, base notice.Font, props string) []docxRun {
	out := make([]docxRun, 0, len(rs))
	for _, r := range rs {
		if r.Omitted || r.Text == "" {
			continue
		}
		dr := docxRun{Text: r.Text, Props: docxStyleProps(r.Style) + props}
		b := base
		if r.Heading > 0 {
			lvl := min(r.Heading, notice.MaxLevel)
			dr.Style = "Level" + docxItoa(lvl) + "Char"
			b = notice.LevelFont(lvl)
		}
		if r.Font != b {
			dr.Font = docxFontName(r.Font)
		}
		out = append(out, dr)
	}
	// Join neighbours that look alike (a run-in's label and words, text
	// around a link) once, not piece by piece: that would copy a long
	// paragraph's text again for every piece.
	merged := out[:0]
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && out[j].Style == out[i].Style && out[j].Font == out[i].Font && out[j].Props == out[i].Props {
			j++
		}
		r := out[i]
		if j > i+1 {
			var b strings.Builder
			for _, x := range out[i:j] {
				b.WriteString(x.Text)
			}
			r.Text = b.String()
		}
		merged = append(merged, r)
		i = j
	}
	return merged
}

// docxStyleProps are the run properties of inline styles, in schema order.
func docxStyleProps(s notice.Style) string {
	var p string
	if s&notice.Bold != 0 {
		p += `<w:b/><w:bCs/>`
	}
	if s&notice.Italic != 0 {
		p += `<w:i/><w:iCs/>`
	}
	if s&notice.Strike != 0 {
		p += `<w:strike/>`
	}
	return p
}

// docxFontName is the East Asian font name Word and WPS know for f.
func docxFontName(f notice.Font) string {
	switch f {
	case notice.FontHei:
		return docxFontHei
	case notice.FontKai:
		return docxFontKai
	case notice.FontSong:
		return docxFontSong
	case notice.FontXBS:
		return docxFontXBS
	}
	return docxFontFang
}

// docxBreakRuns inserts a line break at each rune offset of breaks into
// the text of rs (a title's balanced lines [7.3.1]).
func docxBreakRuns(rs []notice.Run, breaks []int) []notice.Run {
	if len(breaks) == 0 {
		return rs
	}
	out := make([]notice.Run, 0, len(rs))
	pos, k := 0, 0
	for _, r := range rs {
		var b strings.Builder
		for _, c := range r.Text {
			for k < len(breaks) && breaks[k] == pos {
				if pos > 0 {
					b.WriteByte('\n')
				}
				k++
			}
			b.WriteRune(c)
			pos++
		}
		r.Text = b.String()
		out = append(out, r)
	}
	return out
}

// meta fills docProps/core.xml: the title, the number as subject, the
// issuing organisation (the 署名, or else the 印发机关) as creator, the
// 成文日期, and every font substitution.
func (w *docxWriter) meta() docxMeta {
	m := docxMeta{Title: w.d.Title, Subject: w.d.Number}
	for i := range w.d.Elements {
		e := &w.d.Elements[i]
		switch e.Kind {
		case notice.KindSigner:
			m.Creator = e.Text()
		case notice.KindImprint:
			if m.Creator == "" {
				m.Creator = e.Text()
			}
		case notice.KindDate:
			m.Date = docxParseDate(e.Text())
		}
	}
	subs := append([]string{docxSubstitution}, w.d.Substitutions...)
	m.Keywords = "字体替代：" + strings.Join(subs, "；")
	m.Description = "按 GB/T 9704-2012 排版。标题和发文机关标志用方正小标宋简体，正文仿宋、一级标题黑体、二级标题楷体；" +
		"未安装方正小标宋简体时 Word/WPS 以宋体替代。PDF 版字体替代：" + strings.Join(w.d.Substitutions, "；") + "。"
	return m
}

// docxParseDate reads a date written as workflow.DateCN writes it
// (2025年12月22日); zero if it is not one.
func docxParseDate(s string) time.Time {
	var y, m, d int
	if n, err := fmt.Sscanf(s, "%d年%d月%d日", &y, &m, &d); n != 3 || err != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}
	}
	return workflow.Day(y, time.Month(m), d)
}

// docxAmbiguous reports whether s holds marks that Unicode shares between
// Latin and Chinese text (“ ” ‘ ’ — … ·), which Word draws in the Latin
// font, half width, unless the run carries the eastAsia hint.
func docxAmbiguous(s string) bool {
	for _, r := range s {
		if r >= 0x2010 && r <= 0x206F || r == 0xB7 || r == 0xA7 || r == 0xB0 || r == 0xB1 || r == 0xD7 || r == 0xF7 {
			return true
		}
	}
	return false
}
