package opinion

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// maxXML caps what is decompressed from a .docx. A 2 MB upload can inflate
// a thousandfold (a zip bomb); the text of an opinion is far below this.
const maxXML = 8 << 20

const (
	wordNS       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	wordStrictNS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	compatNS     = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

var errTooBig = errors.New("decompressed part exceeds limit")

// docxText returns the paragraphs of a .docx, one a line.
func docxText(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// An entry with an unsafe path (../x) is reported with a usable reader;
	// we only open parts by their fixed names, so it does no harm.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return "", &workflow.Error{Op: op, Kind: workflow.Invalid, Err: err,
			Msg: "文件不是有效的 .docx 文档（压缩结构已损坏）；请在 Word 或 WPS 中重新另存为 .docx 后上传"}
	}
	doc := zipFile(zr, "word/document.xml")
	if doc == nil {
		return "", invalid("文件是 zip 压缩包，但不是 .docx 文档（缺少 word/document.xml）；请上传 Word 或 WPS 另存的 .docx")
	}
	var num *numbering
	if f := zipFile(zr, "word/numbering.xml"); f != nil {
		if num, err = readNumbering(f); err != nil {
			return "", docxError(err)
		}
	}
	text, err := readPart(doc, func(r io.Reader) (string, error) { return paragraphs(r, num) })
	if err != nil {
		return "", docxError(err)
	}
	return text, nil
}

func docxError(err error) error {
	if errors.Is(err, errTooBig) {
		return &workflow.Error{Op: op, Kind: workflow.Invalid, Err: err,
			Msg: "文件解压后超过 8 MB，不像是审议意见，可能已损坏；请在 Word 或 WPS 中重新另存为 .docx 后上传"}
	}
	return &workflow.Error{Op: op, Kind: workflow.Invalid, Err: err,
		Msg: "无法读取 .docx 的正文（文档内容已损坏）；请在 Word 或 WPS 中重新另存为 .docx 后上传"}
}

// zipFile finds a part by name; Word writes the names in this case, but
// other tools differ.
func zipFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// readPart opens f and hands read at most maxXML bytes of it. The size in
// the header is checked first but not trusted: the reader stops at the cap
// whatever the header says.
func readPart(f *zip.File, read func(io.Reader) (string, error)) (string, error) {
	if f.UncompressedSize64 > maxXML {
		return "", errTooBig
	}
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	return read(&capReader{r: io.LimitReader(rc, maxXML+1)})
}

// capReader fails with errTooBig once more than maxXML bytes came through.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > maxXML {
		return 0, errTooBig
	}
	return n, err
}

func isWord(n xml.Name) bool { return n.Space == wordNS || n.Space == wordStrictNS }

// wordVal returns the w:val attribute.
func wordVal(e xml.StartElement) string {
	for _, a := range e.Attr {
		if a.Name.Local == "val" && (isWord(a.Name) || a.Name.Space == "") {
			return a.Value
		}
	}
	return ""
}

// para is a paragraph being read. Paragraphs nest: a text box inside a run
// holds paragraphs of its own.
type para struct {
	text        strings.Builder
	numID, ilvl string
}

// paragraphs reads word/document.xml: each w:p becomes a line, w:t runs its
// text, w:tab a tab and w:br a line break. Automatic numbering (w:numPr) is
// rendered as the label Word would show, because opinions typed in Word
// often carry their 一、 and （一） that way.
func paragraphs(r io.Reader, num *numbering) (string, error) {
	d := xml.NewDecoder(r)
	var (
		out     strings.Builder
		stack   []*para
		inText  bool
		inProps int // inside w:pPr, where w:tab means a tab stop, not a tab
		skip    int // depth inside mc:Fallback, a duplicate of mc:Choice
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			if t.Name.Space == compatNS && t.Name.Local == "Fallback" {
				skip = 1
				continue
			}
			if !isWord(t.Name) {
				continue
			}
			var top *para
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
			switch t.Name.Local {
			case "p":
				stack = append(stack, &para{})
			case "pPr":
				inProps++
			case "numId":
				if top != nil && inProps > 0 {
					top.numID = wordVal(t)
				}
			case "ilvl":
				if top != nil && inProps > 0 {
					top.ilvl = wordVal(t)
				}
			case "t":
				inText = top != nil
			case "tab":
				if top != nil && inProps == 0 {
					top.text.WriteByte('\t')
				}
			case "br", "cr":
				if top != nil {
					top.text.WriteByte('\n')
				}
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if !isWord(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "p":
				if len(stack) == 0 {
					continue
				}
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				out.WriteString(num.label(p.numID, p.ilvl))
				out.WriteString(p.text.String())
				out.WriteByte('\n')
			case "pPr":
				inProps--
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText && skip == 0 && len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	return out.String(), nil
}

// numbering is what word/numbering.xml says about automatic list labels,
// and the counters as the document is read.
type numbering struct {
	abstract map[string]*[9]listLevel // by w:abstractNumId
	nums     map[string]numInstance   // by w:numId
	count    map[string]*[9]int       // by w:numId; 0: not yet used
}

type listLevel struct {
	start  int
	format string // w:numFmt: decimal, chineseCounting, …
	text   string // w:lvlText: "%1、", "（%2）"
}

type numInstance struct {
	abstract string
	start    map[int]int // w:startOverride by level
}

func readNumbering(f *zip.File) (*numbering, error) {
	n := &numbering{abstract: map[string]*[9]listLevel{}, nums: map[string]numInstance{}, count: map[string]*[9]int{}}
	_, err := readPart(f, func(r io.Reader) (string, error) { return "", n.decode(xml.NewDecoder(r)) })
	return n, err
}

func (n *numbering) decode(d *xml.Decoder) error {
	var (
		levels *[9]listLevel
		lvl    = -1
		inst   *numInstance
		instID string
		over   = -1
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !isWord(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "abstractNum":
				levels = &[9]listLevel{}
				for i := range levels {
					levels[i].start = 1
				}
				n.abstract[attr(t, "abstractNumId")] = levels
			case "lvl":
				lvl = -1
				if i, err := strconv.Atoi(attr(t, "ilvl")); err == nil && i >= 0 && i < 9 {
					lvl = i
				}
			case "start":
				if levels != nil && lvl >= 0 {
					if v, err := strconv.Atoi(wordVal(t)); err == nil {
						levels[lvl].start = v
					}
				}
			case "numFmt":
				if levels != nil && lvl >= 0 {
					levels[lvl].format = wordVal(t)
				}
			case "lvlText":
				if levels != nil && lvl >= 0 {
					levels[lvl].text = wordVal(t)
				}
			case "num":
				instID = attr(t, "numId")
				inst = &numInstance{start: map[int]int{}}
			case "abstractNumId":
				if inst != nil {
					inst.abstract = wordVal(t)
				}
			case "lvlOverride":
				over = -1
				if i, err := strconv.Atoi(attr(t, "ilvl")); err == nil && i >= 0 && i < 9 {
					over = i
				}
			case "startOverride":
				if inst != nil && over >= 0 {
					if v, err := strconv.Atoi(wordVal(t)); err == nil {
						inst.start[over] = v
					}
				}
			}
		case xml.EndElement:
			if !isWord(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "abstractNum":
				levels, lvl = nil, -1
			case "lvl":
				lvl = -1
			case "num":
				if inst != nil {
					n.nums[instID] = *inst
				}
				inst = nil
			}
		}
	}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// label advances the counters of list numID at level ilvl and returns the
// label Word shows there, or "" for paragraphs that are not numbered.
func (n *numbering) label(numID, ilvl string) string {
	if n == nil || numID == "" || numID == "0" {
		return ""
	}
	inst, ok := n.nums[numID]
	if !ok {
		return ""
	}
	levels := n.abstract[inst.abstract]
	lvl, err := strconv.Atoi(ilvl)
	if levels == nil || (ilvl != "" && (err != nil || lvl < 0 || lvl > 8)) {
		return ""
	}
	count := n.count[numID]
	if count == nil {
		count = &[9]int{}
		n.count[numID] = count
	}
	if count[lvl] == 0 {
		count[lvl] = levels[lvl].start
		if v, ok := inst.start[lvl]; ok {
			count[lvl] = v
		}
	} else {
		count[lvl]++
	}
	// A deeper level starts again under each new item of this one.
	for i := lvl + 1; i < len(count); i++ {
		count[i] = 0
	}
	if levels[lvl].format == "bullet" || levels[lvl].format == "none" {
		return ""
	}
	text := levels[lvl].text
	for i := range levels { // %1 … %9 stand for the counters of levels 0 … 8
		ph := "%" + strconv.Itoa(i+1)
		if strings.Contains(text, ph) {
			text = strings.ReplaceAll(text, ph, formatCount(max(count[i], 1), levels[i].format))
		}
	}
	return text
}

// formatCount writes n in a w:numFmt. Formats that no numbering style of
// official documents uses fall back to Arabic digits.
func formatCount(n int, format string) string {
	switch format {
	case "chineseCounting", "chineseCountingThousand", "ideographLegalTraditional",
		"chineseLegalSimplified", "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand":
		return cnNumeral(n)
	case "decimalFullWidth", "decimalFullWidth2":
		return fullWidth(strconv.Itoa(n))
	case "decimalEnclosedCircle", "decimalEnclosedCircleChinese":
		if n >= 1 && n <= 20 {
			return string(rune('①' + n - 1))
		}
	case "lowerLetter", "upperLetter":
		if n >= 1 && n <= 26 {
			c := rune('a' + n - 1)
			if format == "upperLetter" {
				c = rune('A' + n - 1)
			}
			return string(c)
		}
	}
	return strconv.Itoa(n)
}

func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}
