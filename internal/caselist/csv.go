package caselist

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/workflow"
)

const saveAsCSV = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入"

// readCSV reads a CSV file's header and the records below it. Excel's
// “Unicode text” separates cells with tabs: a file whose first line has
// tabs and no commas is read so first, and either kind of file is read
// the other way if the first finds no header.
func readCSV(name string, data []byte) (map[int]field, []record, error) {
	text, err := decode(name, data)
	if err != nil {
		return nil, nil, err
	}
	text = unixLines(text)
	comma, other := ',', '\t'
	if first := firstLine(text); strings.ContainsRune(first, '\t') && !strings.ContainsRune(first, ',') {
		comma, other = other, comma
	}
	cols, body, err := csvTable(name, text, comma)
	if err != nil && strings.ContainsRune(text, other) {
		if c, b, err2 := csvTable(name, text, other); err2 == nil {
			return c, b, nil
		}
	}
	return cols, body, err
}

func firstLine(text string) string {
	for line := range strings.Lines(text) {
		if strings.TrimFunc(line, isSpace) != "" {
			return line
		}
	}
	return ""
}

func csvTable(name, text string, comma rune) (map[int]field, []record, error) {
	recs, err := csvRecords(name, text, comma)
	if err != nil {
		return nil, nil, err
	}
	return findHeader(name, recs)
}

// csvRecords splits text, whose lines end in LF, into the records that
// have a non-empty cell. A record's line is the row a spreadsheet shows
// it on: encoding/csv skips blank lines, which a spreadsheet shows as
// rows, and a quoted cell may span several lines of the file, which a
// spreadsheet shows as one row.
func csvRecords(name, text string, comma rune) ([]record, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.LazyQuotes = true
	r.FieldsPerRecord = -1 // spreadsheets drop trailing empty cells
	var recs []record
	row, end := 0, 0 // the last record's row, and the file line it ended on
	for {
		fields, err := r.Read()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			e := workflow.Errorf(op, workflow.Invalid, "「%s」第 %d 行附近不是有效的 CSV：%s", name, line, saveAsCSV)
			e.Err = err
			return nil, e
		}
		start, _ := r.FieldPos(0)
		row += start - end
		last, _ := r.FieldPos(len(fields) - 1)
		end = last + strings.Count(fields[len(fields)-1], "\n")
		rec := record{line: row}
		for i, f := range fields {
			if clean(f) != "" {
				rec.cells = append(rec.cells, cell{col: i, text: f})
			}
		}
		if len(rec.cells) > 0 {
			recs = append(recs, rec)
		}
	}
}

// decode returns a CSV file's text. It may be UTF-8, with or without a
// byte-order mark; UTF-16 with one, as Excel saves “Unicode text”; or
// else GB18030, which covers GBK and GB2312, as Excel in China saves CSV.
func decode(name string, data []byte) (string, error) {
	unknown := func(what string) error {
		return workflow.Errorf(op, workflow.Invalid, "「%s」%s，无法识别其编码：%s", name, what, saveAsCSV)
	}
	var text string
	switch {
	case hasPrefix(data, []byte{0xff, 0xfe}), hasPrefix(data, []byte{0xfe, 0xff}):
		var order binary.ByteOrder = binary.LittleEndian
		if data[0] == 0xfe {
			order = binary.BigEndian
		}
		s, ok := utf16Text(data[2:], order)
		if !ok {
			return "", unknown("标明是 UTF-16 编码，内容却不是")
		}
		text = s
	case bytes.IndexByte(data, 0) >= 0:
		// No text has NUL; UTF-16 without a byte-order mark, or a
		// binary file, has many.
		return "", unknown("含有空字符，不像文本文件")
	default:
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if utf8.Valid(data) {
			text = string(data)
			break
		}
		// The decoder turns bytes that are not GB18030 into U+FFFD
		// rather than failing. A file that means U+FFFD is refused too;
		// no list has one.
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(b, utf8.RuneError) {
			return "", unknown("既不是 UTF-8 也不是 GBK/GB18030 编码的文本")
		}
		text = string(b)
	}
	if strings.IndexByte(text, 0) >= 0 {
		return "", unknown("含有空字符，不像文本文件")
	}
	return text, nil
}

func utf16Text(b []byte, order binary.ByteOrder) (string, bool) {
	if len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	r := utf16.Decode(u)
	if slices.Contains(r, utf8.RuneError) {
		return "", false
	}
	return string(r), true
}
