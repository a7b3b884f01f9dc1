package docxmd

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// runInEnds end the heading part of a numbered paragraph, as the renderer
// reads them (notice/outline.go).
const runInEnds = "。！？；："

// markdown turns the blocks into the section's heading and Markdown body.
func (r *reader) markdown(blocks []block, o Options) (*Section, error) {
	sec := &Section{}
	var (
		out   []string
		items []string // the bulleted list being read
		n     int      // paragraphs with text so far, for messages
	)
	emit := func(s string, item bool) {
		if item {
			items = append(items, s)
			return
		}
		if len(items) > 0 {
			out = append(out, strings.Join(items, "\n"))
			items = nil
		}
		out = append(out, s)
	}
	for _, b := range blocks {
		if b.table != nil {
			if t := r.tableMarkdown(b.table); t != "" {
				emit(t, false)
			}
			continue
		}
		p := b.para
		h, numID, ilvl := r.props(p)
		label, isBullet, inList := r.label(numID, ilvl)
		for i, piece := range p.pieces {
			runs := clean(piece)
			text := plain(runs)
			if strings.TrimFunc(text, space) == "" {
				continue
			}
			n++
			if i > 0 { // after a line break: a paragraph of its own
				emit(inline(runs), false)
				continue
			}
			level := 0
			switch {
			case inList && isBullet:
				indent := 0
				fmt.Sscan(ilvl, &indent)
				emit(strings.Repeat("  ", min(max(indent, 0), 8))+"- "+inline(trimRuns(runs)), true)
				continue
			case inList && label != "":
				if l, size := typed(strings.TrimFunc(label, space)); l > 0 && size == len(strings.TrimFunc(label, space)) {
					level = l
					// A number typed after Word's own is the same number.
					if tl, tn := typed(strings.TrimLeftFunc(text, space)); tl == l {
						runs = cut(runs, len(text)-len(strings.TrimLeftFunc(text, space))+tn)
					}
				} else if h > 0 {
					level = h // Word's numbering of headings (1, 1.1, …): docflow numbers them
				} else {
					runs = append([]run{{text: label}}, runs...) // a list label docflow does not know: kept as written
				}
			default:
				lead := len(text) - len(strings.TrimLeftFunc(text, space))
				if size := typedBullet(text[lead:]); size > 0 {
					emit("- "+inline(trimRuns(cut(runs, lead+size))), true)
					continue
				}
				if l, size := typed(text[lead:]); l > 0 {
					level = l
					runs = cut(runs, lead+size)
				} else if h > 0 {
					level = h
				}
			}
			if level == 0 {
				emit(inline(trimRuns(runs)), false)
				continue
			}
			level = min(level, 4)
			runs = trimRuns(runs)
			head, rest := splitRunIn(plain(runs))
			if head == "" { // a number and nothing after it
				emit(inline(trimRuns(append([]run{{text: label}}, runs...))), false)
				continue
			}
			restRuns := trimRuns(cut(runs, len(head)))
			rel := level - o.Level
			if o.Level > 0 && rel <= 0 {
				if rel == 0 && len(out) == 0 && len(items) == 0 && sec.Heading == "" {
					sec.Heading = strings.Join(strings.Fields(head), " ")
				} else {
					return nil, levelError(n, text, level, o.Level)
				}
			} else {
				emit(strings.Repeat("#", rel)+" "+escape(strings.Join(strings.Fields(head), " "), false), false)
			}
			if rest != "" {
				emit(inline(restRuns), false)
			}
		}
	}
	if len(items) > 0 {
		out = append(out, strings.Join(items, "\n"))
	}
	sec.Body = strings.Join(out, "\n\n")
	switch {
	case sec.Body == "" && sec.Heading == "":
		return nil, workflow.Errorf(op, workflow.Invalid, "文档中没有可导入的文字（图片、页眉页脚、脚注和批注不导入）；请检查是否选对了文件")
	case len(sec.Body) > workflow.MaxBody:
		return nil, workflow.Errorf(op, workflow.Invalid, "导入后的正文有 %d 字节，超过一个部分的上限 %d 字节；请删减或分成几个部分后再导入", len(sec.Body), workflow.MaxBody)
	case utf8.RuneCountInString(sec.Heading) > workflow.MaxHeading:
		return nil, workflow.Errorf(op, workflow.Invalid, "文档第一段作为本部分标题，有 %d 字，超过上限 %d 字；请在 Word 中把标题和正文分成两段后再导入", utf8.RuneCountInString(sec.Heading), workflow.MaxHeading)
	}
	return sec, nil
}

// props resolves a paragraph's heading level and list from its own
// properties and its style's.
func (r *reader) props(p *para) (heading int, numID, ilvl string) {
	heading, numID, ilvl = r.styleOf(p.style)
	if p.outline > 0 {
		heading = p.outline
	}
	if p.hasNum && p.numID != "" {
		numID = p.numID
	}
	if p.hasNum && p.ilvl != "" {
		ilvl = p.ilvl // a level set on the paragraph, in its style's list or its own
	}
	return heading, numID, ilvl
}

// levelNames are examples of the numbers of each level.
var levelNames = [...]string{1: "一、", 2: "（一）", 3: "1.", 4: "（1）"}

func levelError(n int, text string, level, base int) error {
	snippet := []rune(strings.TrimFunc(text, space))
	if len(snippet) > 20 {
		snippet = append(snippet[:20], '…')
	}
	what := fmt.Sprintf("Word 文档第 %d 段“%s”是“%s”一级的标题，", n, string(snippet), levelNames[level])
	if level == base {
		what += "与本部分同级；本部分的标题只能是文档的第一段"
	} else {
		what += fmt.Sprintf("比本部分（“%s”一级）更高，不属于本部分", levelNames[base])
	}
	if base < 4 {
		return workflow.Errorf(op, workflow.Invalid, "%s。请把其中的小标题改为“%s”及以下的序号，或把其他部分删去后再导入", what, levelNames[base+1])
	}
	return workflow.Errorf(op, workflow.Invalid, "%s。本部分已是最低一级（“（1）”），其中不能再有标题；请把它改为普通段落后再导入", what)
}

// space is white space as Word documents have it, the ideographic space
// of typed indents included.
func space(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' }

// clean drops what is no text (control characters, invalid UTF-8) and
// makes tabs and other white space single spaces.
func clean(rs []run) []run {
	out := make([]run, 0, len(rs))
	for _, r := range rs {
		var b strings.Builder
		for _, c := range strings.ToValidUTF8(r.text, "\uFFFD") {
			switch {
			case c == '\t' || c == '\n' || c == '\r' || c == '\u00a0':
				b.WriteByte(' ')
			case unicode.IsControl(c) || c == '\uFEFF':
			default:
				b.WriteRune(c)
			}
		}
		if b.Len() > 0 {
			out = append(out, run{text: b.String(), bold: r.bold, italic: r.italic})
		}
	}
	return out
}

func plain(rs []run) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.text)
	}
	return b.String()
}

// cut drops the first n bytes of the runs' text.
func cut(rs []run, n int) []run {
	for len(rs) > 0 && n > 0 {
		if n < len(rs[0].text) {
			first := rs[0]
			first.text = first.text[n:]
			return append([]run{first}, rs[1:]...)
		}
		n -= len(rs[0].text)
		rs = rs[1:]
	}
	return rs
}

// trimRuns removes white space at both ends.
func trimRuns(rs []run) []run {
	rs = append([]run(nil), rs...)
	for len(rs) > 0 {
		rs[0].text = strings.TrimLeftFunc(rs[0].text, space)
		if rs[0].text != "" {
			break
		}
		rs = rs[1:]
	}
	for len(rs) > 0 {
		last := &rs[len(rs)-1]
		last.text = strings.TrimRightFunc(last.text, space)
		if last.text != "" {
			break
		}
		rs = rs[:len(rs)-1]
	}
	return rs
}

// splitRunIn cuts a numbered paragraph's text after its first
// sentence-final mark: the heading, and the text that runs on after it.
func splitRunIn(s string) (head, rest string) {
	for i, c := range s {
		if strings.ContainsRune(runInEnds, c) {
			end := i + utf8.RuneLen(c)
			// Closing quotes and brackets stay with the sentence they end.
			for end < len(s) {
				c, n := utf8.DecodeRuneInString(s[end:])
				if !strings.ContainsRune("”’）)」』", c) {
					break
				}
				end += n
			}
			return s[:end], strings.TrimFunc(s[end:], space)
		}
	}
	return s, ""
}

// typed reads an outline number at the start of s: its level (0: none)
// and its length in bytes. 一、 （一） 1. （1）, with half-width brackets,
// 1、 and 1．, full-width digits; "3.5" and "2025." are not numbers.
func typed(s string) (level, size int) {
	cn := func(r rune) bool { return strings.ContainsRune("一二三四五六七八九十百〇零两", r) }
	digit := func(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }
	span := func(s string, f func(rune) bool, most int) int {
		i, k := 0, 0
		for _, r := range s {
			if !f(r) || k == most {
				break
			}
			i += utf8.RuneLen(r)
			k++
		}
		if k == most && i < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[i:]); f(r) {
				return 0 // too long to be a number
			}
		}
		return i
	}
	prefix := func(s string, ps ...string) int {
		for _, p := range ps {
			if strings.HasPrefix(s, p) {
				return len(p)
			}
		}
		return 0
	}
	if o := prefix(s, "（", "("); o > 0 {
		for _, k := range []struct {
			f     func(rune) bool
			level int
		}{{cn, 2}, {digit, 4}} {
			if n := span(s[o:], k.f, 3); n > 0 {
				if c := prefix(s[o+n:], "）", ")"); c > 0 {
					return k.level, o + n + c
				}
			}
		}
		return 0, 0
	}
	if n := span(s, cn, 3); n > 0 {
		if c := prefix(s[n:], "、"); c > 0 {
			return 1, n + c
		}
		return 0, 0
	}
	if n := span(s, digit, 2); n > 0 {
		if c := prefix(s[n:], ".", "．", "、"); c > 0 {
			if r, _ := utf8.DecodeRuneInString(s[n+c:]); digit(r) {
				return 0, 0 // 3.5
			}
			return 3, n + c
		}
	}
	return 0, 0
}

// typedBullet reads a bullet typed (or written by docflow's .docx
// writer) at the start of s and the space after it: its length in bytes,
// 0 if none.
func typedBullet(s string) int {
	for _, b := range []string{"•", "●", "▪", "◦"} {
		if rest, ok := strings.CutPrefix(s, b); ok {
			if trimmed := strings.TrimLeftFunc(rest, space); len(trimmed) < len(rest) && trimmed != "" {
				return len(s) - len(trimmed)
			}
		}
	}
	return 0
}

// inline writes runs as Markdown inline text: escaped, bold as **…**,
// italic as *…*, white space kept outside the marks.
func inline(rs []run) string {
	var b strings.Builder
	for i, r := range rs {
		mark := ""
		if r.bold {
			mark += "**"
		}
		if r.italic {
			mark += "*"
		}
		core := strings.TrimFunc(r.text, space)
		if mark == "" || core == "" {
			b.WriteString(escape(r.text, i == 0))
			continue
		}
		lead := r.text[:strings.Index(r.text, core)]
		trail := r.text[len(lead)+len(core):]
		b.WriteString(lead)
		b.WriteString(mark)
		b.WriteString(escape(core, false))
		b.WriteString(mark)
		b.WriteString(trail)
	}
	return b.String()
}

// escape makes text read as itself in Markdown: the characters that
// would open emphasis, code, links, HTML, headings or strikethrough get a
// backslash, and so does what would open a block at the start of a line
// (a list item, a quote, a thematic break).
func escape(s string, start bool) string {
	var b strings.Builder
	for i, c := range s {
		switch c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '#', '~', '|':
			b.WriteByte('\\')
		case '&':
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); next == '#' || next < utf8.RuneSelf && (unicode.IsLetter(next) || unicode.IsDigit(next)) {
				b.WriteByte('\\')
			}
		case '-', '+', '=':
			if start && i == 0 {
				b.WriteByte('\\')
			}
		case '.', ')':
			if start && i > 0 && i <= 9 && allDigits(s[:i]) && (i+1 == len(s) || s[i+1] == ' ') {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(c)
	}
	return b.String()
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// tableMarkdown writes a table as a GFM table, its first row the header;
// rows are padded to the widest.
func (r *reader) tableMarkdown(rows [][][]*para) string {
	width := 0
	for _, row := range rows {
		width = max(width, len(row))
	}
	if width == 0 {
		return ""
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i := range width {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	for i, row := range rows {
		cells := make([]string, len(row))
		for j, cell := range row {
			var parts []string
			for _, p := range cell {
				_, numID, ilvl := r.props(p)
				label, bullet, _ := r.label(numID, ilvl)
				for k, piece := range p.pieces {
					rs := trimRuns(clean(piece))
					if i == 0 && allBold(rs) { // a header row is set in bold anyway
						for x := range rs {
							rs[x].bold = false
						}
					}
					if k == 0 && label != "" && !bullet {
						rs = append([]run{{text: label}}, rs...)
					}
					if s := inline(rs); s != "" {
						parts = append(parts, s)
					}
				}
			}
			cells[j] = strings.Join(parts, " ")
		}
		line(cells)
		if i == 0 {
			line(slices.Repeat([]string{"---"}, width))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func allBold(rs []run) bool {
	for _, r := range rs {
		if !r.bold {
			return false
		}
	}
	return len(rs) > 0
}
