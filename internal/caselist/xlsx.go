package caselist

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// An .xlsx is a zip of XML parts. Its parts are read through limits, so
// that a small upload can neither unpack to gigabytes nor hold more cells
// than any list has.
const (
	maxPart  = 64 << 20  // bytes of one part, unpacked
	maxCells = 1_000_000 // cells of the sheet; strings of the workbook
	maxCol   = 16384     // XFD, Excel's last column
	maxLine  = 1 << 20   // Excel's last row
)

type xlsxLimits struct {
	part  int64
	cells int
}

// A workbook is an .xlsx being read; its files are keyed by lower-case
// name, as part names are compared without case.
type workbook struct {
	name  string
	files map[string]*zip.File
	lim   xlsxLimits
}

// readXLSX reads the records of the first sheet of a workbook.
func readXLSX(name string, data []byte, lim xlsxLimits) ([]record, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// Names such as /xl/workbook.xml are insecure only for extracting
	// files, which this does not do.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		e := workflow.Errorf(op, workflow.Invalid, "「%s」已损坏或不完整，无法作为 Excel 工作簿打开：请在 Excel 中打开，另存为 .xlsx 后再导入；若打不开，请从系统重新导出", name)
		e.Err = err
		return nil, e
	}
	wb := &workbook{name: name, files: map[string]*zip.File{}, lim: lim}
	for _, f := range zr.File {
		k := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))
		if _, dup := wb.files[k]; !dup {
			wb.files[k] = f
		}
	}

	var id string
	found, err := wb.parse("xl/workbook.xml", func(d *xml.Decoder) error {
		var err error
		id, err = wb.firstSheet(d)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, workflow.Errorf(op, workflow.Invalid, "「%s」缺少 xl/workbook.xml，不是 Excel 工作簿：请在 Excel 中另存为 .xlsx 后再导入", name)
	}

	sheet, strs := "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
	_, err = wb.parse("xl/_rels/workbook.xml.rels", func(d *xml.Decoder) error {
		return relations(d, func(rid, typ, target string) {
			switch {
			case rid == id && id != "":
				sheet = target
			case strings.HasSuffix(typ, "/sharedStrings"):
				strs = target
			}
		})
	})
	if err != nil {
		return nil, err
	}

	var sst []string
	_, err = wb.parse(strs, func(d *xml.Decoder) error {
		var err error
		sst, err = wb.sharedStrings(d)
		return err
	})
	if err != nil {
		return nil, err
	}

	var recs []record
	found, err = wb.parse(sheet, func(d *xml.Decoder) error {
		var err error
		recs, err = wb.rows(d, sheet, sst)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, workflow.Errorf(op, workflow.Invalid, "「%s」缺少第一个工作表（%s）：请在 Excel 中打开，另存为 .xlsx 后再导入", name, sheet)
	}
	return recs, nil
}

// parse reads a part with fn, through the limit, and reports whether the
// workbook has the part.
func (wb *workbook) parse(part string, fn func(*xml.Decoder) error) (bool, error) {
	f := wb.files[strings.ToLower(part)]
	if f == nil {
		return false, nil
	}
	if f.UncompressedSize64 > uint64(wb.lim.part) {
		return true, wb.tooBig(part)
	}
	rc, err := f.Open()
	if err != nil {
		return true, wb.broken(part, err)
	}
	defer rc.Close()
	// One byte past the limit tells a part of the limit's size from a
	// longer one, whatever its header claims.
	r := &counter{r: io.LimitReader(rc, wb.lim.part+1)}
	d := xml.NewDecoder(r)
	err = fn(d)
	if err == nil {
		// Reading to the end checks the part's CRC.
		_, err = io.Copy(io.Discard, r)
	}
	var we *workflow.Error
	switch {
	case r.n > wb.lim.part:
		return true, wb.tooBig(part)
	case errors.As(err, &we):
		return true, err
	case err != nil:
		return true, wb.broken(part, err)
	}
	return true, nil
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func (wb *workbook) broken(part string, err error) error {
	e := workflow.Errorf(op, workflow.Invalid, "「%s」已损坏，其中的 %s 无法读取：请在 Excel 中打开，另存为 .xlsx 后再导入；若打不开，请从系统重新导出", wb.name, part)
	e.Err = err
	return e
}

func (wb *workbook) tooBig(part string) error {
	return workflow.Errorf(op, workflow.Invalid, "「%s」中的 %s 解压后超过 %s，不像是一份清单：请删去多余的工作表、图片和空行，或分成几个文件导入", wb.name, part, workflow.SizeText(int(wb.lim.part)))
}

func (wb *workbook) tooMany(what string) error {
	return workflow.Errorf(op, workflow.Invalid, "「%s」的%s超过 %d 个：请删去多余的行、列和工作表，或分成几个文件导入", wb.name, what, wb.lim.cells)
}

// firstSheet returns the relationship id of the workbook's first sheet.
func (wb *workbook) firstSheet(d *xml.Decoder) (string, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", workflow.Errorf(op, workflow.Invalid, "「%s」中没有工作表：请在 Excel 中打开，确认有数据后另存为 .xlsx 再导入", wb.name)
		}
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheet" {
			return attr(se, "id"), nil
		}
	}
}

// relations calls fn with each relationship of a .rels part, its target
// resolved to a part name. The workbook's are relative to xl/.
func relations(d *xml.Decoder, fn func(id, typ, target string)) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" || attr(se, "TargetMode") == "External" {
			continue
		}
		target := attr(se, "Target")
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(path.Clean(target), "/")
		} else {
			target = path.Join("xl", target)
		}
		fn(attr(se, "Id"), attr(se, "Type"), target)
	}
}

// sharedStrings reads the strings that cells of type s refer to.
func (wb *workbook) sharedStrings(d *xml.Decoder) ([]string, error) {
	var sst []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return sst, nil
		}
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "si" {
			if len(sst) == wb.lim.cells {
				return nil, wb.tooMany("共享字符串")
			}
			s, err := rich(d, true)
			if err != nil {
				return nil, err
			}
			sst = append(sst, unescape(s))
		}
	}
}

// rows reads the rows of a sheet that have a non-empty cell.
func (wb *workbook) rows(d *xml.Decoder, part string, sst []string) ([]record, error) {
	var recs []record
	line, n := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		line++
		if r := attr(se, "r"); r != "" {
			line, err = strconv.Atoi(r)
			if err != nil || line < 1 || line > maxLine {
				return nil, wb.broken(part, errors.New("bad row number "+strconv.Quote(r)))
			}
		}
		rec := record{line: line}
		col := 0
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			if _, ok := tok.(xml.EndElement); ok {
				break
			}
			c, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			if c.Name.Local != "c" {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			if n++; n > wb.lim.cells {
				return nil, wb.tooMany("单元格")
			}
			col++
			if ref := attr(c, "r"); ref != "" {
				if col, ok = column(ref); !ok {
					return nil, wb.broken(part, errors.New("bad cell reference "+strconv.Quote(ref)))
				}
			}
			v, err := wb.value(d, c, part, sst)
			if err != nil {
				return nil, err
			}
			if clean(v) != "" {
				rec.cells = append(rec.cells, cell{col: col - 1, text: v})
			}
		}
		if len(rec.cells) > 0 {
			recs = append(recs, rec)
		}
	}
}

// value reads the cell just started and returns its text.
func (wb *workbook) value(d *xml.Decoder, c xml.StartElement, part string, sst []string) (string, error) {
	var v, is string
	hasV, hasIS := false, false
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "v":
			v, err = text(d)
			hasV = true
		case "is":
			is, err = rich(d, true)
			hasIS = true
		default:
			err = d.Skip() // a formula, whose value v holds
		}
		if err != nil {
			return "", err
		}
	}
	switch t := attr(c, "t"); {
	case t == "inlineStr" && hasIS:
		return unescape(is), nil
	case !hasV:
		return "", nil
	case t == "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(sst) {
			return "", wb.broken(part, errors.New("bad shared string index "+strconv.Quote(v)))
		}
		return sst[i], nil
	case t == "str" || t == "inlineStr":
		return unescape(v), nil
	case t == "b":
		switch strings.TrimSpace(v) {
		case "1":
			return "TRUE", nil
		case "0":
			return "FALSE", nil
		}
		return v, nil
	case t == "n" || t == "":
		return number(v), nil
	}
	return v, nil // e (an error, such as #N/A) or d (an ISO 8601 date)
}

// text returns the character data of the element just started, up to
// its end.
func text(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// rich returns the text of the string item just started (si, is, or a
// run r within one when top is false): its t elements and those of its
// runs. Phonetic hints (rPh) hold a reading, not the text, and are left
// out.
func rich(d *xml.Decoder, top bool) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var s string
			switch {
			case t.Name.Local == "t":
				s, err = text(d)
			case t.Name.Local == "r" && top:
				s, err = rich(d, false)
			default:
				err = d.Skip()
			}
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// column returns the 1-based column of a cell reference such as C7.
func column(ref string) (int, bool) {
	n := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		if n = n*26 + int(c-'A'+1); n > maxCol {
			return 0, false
		}
	}
	return n, n > 0
}

// unescape decodes the _xHHHH_ escapes with which Excel writes the
// characters XML cannot hold, control characters mostly, so that they
// are seen and refused; _x005F_ escapes the underscore of a literal _x.
func unescape(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 {
			break
		}
		if i+7 <= len(s) && s[i+6] == '_' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteString(s[:i])
				b.WriteRune(rune(n))
				s = s[i+7:]
				continue
			}
		}
		b.WriteString(s[:i+2])
		s = s[i+2:]
	}
	b.WriteString(s)
	return b.String()
}

// number returns a numeric cell as Excel shows it in General format:
// an integer without a decimal point, other numbers to 15 significant
// digits, so that 12 stays 12 and 0.1+0.2 reads 0.3.
func number(v string) string {
	v = strings.TrimSpace(v)
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return v
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatInt(int64(f), 10)
	}
	f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}
