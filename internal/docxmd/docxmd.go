// Package docxmd reads a Word document (.docx) into the Markdown of a
// docflow section: what a department writes in Word becomes the same
// section it would have typed in the editor.
//
// The Markdown is docflow's convention (workflow.Notice, notice/outline.go):
// headings carry no numbers, their level is the number of # relative to
// the section, and the renderer numbers them 一、 （一） 1. （1）. A Word
// paragraph is a heading when it starts with such a number, typed
// (一、 （一） 1. （1）, also with half-width brackets, 1、 or full-width
// digits) or made by Word's automatic list numbering (numbering.xml, read
// for the label Word shows: chineseCounting "%1、", "（%2）", decimal "%3."
// …), or when its style is a heading (标题 1–4, Heading 1–4, an outline
// level). The number says the level in the printed report, whatever the
// section's place: in a section at level 2 （一）, "1." is its # and
// "（1）" its ##. A paragraph at the section's own level is the section's
// heading when it comes first; anywhere else, or above the section, it is
// refused with what to do.
//
// As in the reports, a numbered heading followed by a sentence in the same
// paragraph ("1.新建居住区同步配建。修订……") runs in: the heading is the
// text up to the first 。！？；：, the rest a paragraph after it, which the
// renderer sets on one line again.
//
// Also read: bold and italic (** and *), Word's bulleted lists (- items),
// tables (GFM tables, which the notice renders; merged cells are left
// empty, a table in a table becomes text), text boxes (paragraphs after
// the one that holds them), tracked insertions (deletions are left out).
// Not read: images, footnotes, comments, headers and footers, hidden text.
//
// The input is untrusted. Read refuses files over MaxFile, archives of
// more than MaxEntries entries or whose parts inflate beyond MaxPart (each)
// or MaxTotal (together), documents nested deeper than maxDepth or with
// more than maxBlocks paragraphs and cells, and what
// is not a .docx (an old .doc, a .wps, a PDF, an Excel file …), each with
// a Chinese message that says what to do. It does no I/O.
package docxmd

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// Limits on what Read accepts.
const (
	MaxFile    = 2 << 20  // the .docx file, bytes
	MaxEntries = 1000     // entries in its zip archive
	MaxPart    = 8 << 20  // one part (document.xml, styles.xml, numbering.xml) uncompressed, bytes
	MaxTotal   = 16 << 20 // the parts read, uncompressed, together
	maxDepth   = 16       // tables and text boxes inside each other
	maxBlocks  = 50000    // paragraphs and table cells, empty ones included
)

const op = "docxmd.Read"

// Options says where the section stands in the report.
type Options struct {
	// Level is the outline level of the section's own heading, 1–4
	// (一、 （一） 1. （1））. 0 reads a whole report body: every heading
	// keeps its own level and none is taken as the section's heading.
	Level int
}

// Section is what Read found.
type Section struct {
	// Heading is the section's heading without its number, taken from the
	// document's first paragraph when that is numbered (or styled) at the
	// section's level; "" if the document does not start with one.
	Heading string
	// Body is the section's Markdown: blocks separated by one blank line,
	// no trailing newline.
	Body string
}

// Namespaces of WordprocessingML (transitional and strict) and of markup
// compatibility.
const (
	nsW       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsMC      = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

func isW(n xml.Name) bool { return n.Space == nsW || n.Space == nsWStrict }

// invalid is a refusal the person can act on.
func invalid(msg string, err error) error {
	return &workflow.Error{Op: op, Kind: workflow.Invalid, Msg: msg, Err: err}
}

var (
	errTooBig   = errors.New("docxmd: part inflates beyond the limit")
	errTooDeep  = errors.New("docxmd: tables or text boxes nested too deep")
	errTooMany  = errors.New("docxmd: too many paragraphs and cells")
	msgResave   = "请在 Word 或 WPS 中打开原文件，“另存为” Word 文档（.docx）后再导入"
	msgDamaged  = "无法读取这个 .docx 文件的正文（文件已损坏或不完整）；" + msgResave
	msgTooLarge = "这个 .docx 文件解压后过大（正文、样式或编号部分超过 8 MB，或合计超过 16 MB），不像是一个部分的文字，可能已损坏；请在 Word 中另存为 .docx 再导入，或把正文复制到编辑框"
)

// Read reads a .docx file into a section's Markdown; o.Level is the
// section's outline level.
func Read(data []byte, o Options) (*Section, error) {
	if o.Level < 0 || o.Level > 4 {
		return nil, workflow.Errorf(op, workflow.Invalid, "部分的层级 %d 不在 1–4 之间", o.Level)
	}
	if err := sniff(data); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// An entry with an unsafe name (../x) still comes with a usable
	// reader; parts are opened only by their fixed names.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, invalid("文件不是有效的 .docx 文档（压缩结构已损坏）；"+msgResave, err)
	}
	if len(zr.File) > MaxEntries {
		return nil, workflow.Errorf(op, workflow.Invalid, "这个 .docx 文件含有 %d 个部件，超过上限 %d，不像是 Word 文档；%s", len(zr.File), MaxEntries, msgResave)
	}
	doc := part(zr, "word/document.xml")
	if doc == nil {
		return nil, invalid(notDocx(zr), nil)
	}
	budget := int64(MaxTotal)
	r := &reader{levels: map[string]*[9]numLevel{}, nums: map[string]numInstance{}, counts: map[string]*[9]int{}, styles: map[string]*style{}, links: map[string]string{}}
	if f := part(zr, "word/styles.xml"); f != nil {
		if err := readPart(f, &budget, r.readStyles); err != nil {
			return nil, partError(err)
		}
	}
	if f := part(zr, "word/numbering.xml"); f != nil {
		if err := readPart(f, &budget, r.readNumbering); err != nil {
			return nil, partError(err)
		}
	}
	var blocks []block
	if err := readPart(doc, &budget, func(d *xml.Decoder) error {
		var err error
		blocks, err = r.document(d)
		return err
	}); err != nil {
		return nil, partError(err)
	}
	return r.markdown(blocks, o)
}

// sniff refuses files that are plainly something else, naming what they
// are.
func sniff(data []byte) error {
	switch {
	case len(data) == 0:
		return workflow.Errorf(op, workflow.Invalid, "文件是空的；请选择要导入的 Word 文档（.docx）")
	case len(data) > MaxFile:
		return workflow.Errorf(op, workflow.Invalid, "文件有 %.1f MB，超过 .docx 导入的上限 %d MB；请删去图片等非文字内容后另存为 .docx 再导入，或把正文复制到编辑框",
			float64(len(data))/(1<<20), MaxFile>>20)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		// OLE2: Word 97–2003 .doc, WPS .wps, or an encrypted .docx.
		return workflow.Errorf(op, workflow.Invalid, "这是旧版 Word（.doc）或 WPS（.wps）格式的文件，或是设置了打开密码的文档，不能直接导入；请在 Word 或 WPS 中打开，去掉密码后“另存为” Word 文档（.docx）再导入")
	case bytes.HasPrefix(data, []byte("%PDF")):
		return workflow.Errorf(op, workflow.Invalid, "这是 PDF 文件，不能导入；请导入 Word 文档（.docx），或把正文复制到编辑框")
	case bytes.HasPrefix(data, []byte("{\\rtf")):
		return workflow.Errorf(op, workflow.Invalid, "这是 RTF 文件；%s", msgResave)
	case !bytes.HasPrefix(data, []byte("PK")):
		return workflow.Errorf(op, workflow.Invalid, "文件不是 Word 文档（.docx）；%s", msgResave)
	}
	return nil
}

// notDocx names what a zip file without word/document.xml is.
func notDocx(zr *zip.Reader) string {
	switch {
	case part(zr, "xl/workbook.xml") != nil:
		return "这是 Excel 表格（.xlsx），不是 Word 文档；请导入 Word 文档（.docx）"
	case part(zr, "ppt/presentation.xml") != nil:
		return "这是 PowerPoint 演示文稿（.pptx），不是 Word 文档；请导入 Word 文档（.docx）"
	case part(zr, "content.xml") != nil:
		return "这是 OpenDocument 文档（.odt 等）；请在 WPS 或 LibreOffice 中“另存为” Word 文档（.docx）后再导入"
	}
	return "文件是 zip 压缩包，但不是 Word 文档（缺少 word/document.xml）；" + msgResave
}

func partError(err error) error {
	switch {
	case errors.Is(err, errTooBig):
		return invalid(msgTooLarge, err)
	case errors.Is(err, errTooMany):
		return invalid("文档的段落和表格单元格超过 50000 个（空段落也计算在内），远超一个部分的篇幅；请删去多余的空段落，或分成几个部分导入", err)
	case errors.Is(err, errTooDeep):
		return invalid("文档中的表格或文本框嵌套过深（超过 16 层）；请把内容改为普通段落或简单表格后再导入", err)
	}
	return invalid(msgDamaged, err)
}

// part finds a part by name; Word writes the names in this case, other
// tools differ.
func part(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// readPart decodes f with read, through at most MaxPart bytes and what is
// left of budget. The sizes in the zip headers are checked first but not
// trusted: the reader stops at the limit whatever they say.
func readPart(f *zip.File, budget *int64, read func(*xml.Decoder) error) error {
	limit := min(int64(MaxPart), *budget)
	if f.UncompressedSize64 > uint64(limit) {
		return errTooBig
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	cr := &capReader{r: io.LimitReader(rc, limit+1), limit: limit}
	d := xml.NewDecoder(cr)
	d.Strict = true
	err = read(d)
	*budget -= cr.n
	if cr.n > limit {
		return errTooBig
	}
	return err
}

// capReader fails with errTooBig once more than limit bytes came through.
type capReader struct {
	r        io.Reader
	n, limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return 0, errTooBig
	}
	return n, err
}

// val returns the w:val attribute of e ("" if none).
func val(e xml.StartElement) string { return attr(e, "val") }

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || isW(a.Name)) {
			return a.Value
		}
	}
	return ""
}

// on reads a toggle property (w:b, w:i, w:vanish): present and not
// switched off.
func on(e xml.StartElement) bool {
	switch val(e) {
	case "0", "false", "off":
		return false
	}
	return true
}

// skip consumes tokens up to the end of the element just started.
func skip(d *xml.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// ReadSection is Read for web.Server.ReadDocx: the heading and body of a
// section at level.
func ReadSection(data []byte, level int) (heading, body string, err error) {
	s, err := Read(data, Options{Level: level})
	if err != nil {
		return "", "", err
	}
	return s.Heading, s.Body, nil
}
