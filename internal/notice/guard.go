package notice

import (
	"strconv"
	"strings"
)

// The Markdown parser (goldmark) takes time that grows with the square of
// some inputs: 240 KB of "[a](" took 13 s, 131,072 nested quotes a minute,
// a paragraph of 131,072 short lines seconds. Bodies are user input, so
// bound sets aside, before parsing, whatever would cost more than the
// densest ordinary body of the same size, and the parser never sees it: it
// prints as written, as a code block. Containers nested deeper than
// maxDepth on one line lose their extra markers (the text stays, at
// depth maxDepth), as the flattener treats deeper nesting after parsing.
//
// It works on units: runs of lines between blank lines (a fenced code
// block or an HTML block that runs on past blank lines is one unit). A
// paragraph, a heading or a table cell, the only blocks whose text the
// parser scans for inline Markdown, never spans a blank line, so no scan
// reaches beyond the unit it starts in. Each unit is given a cost,
// roughly in microseconds of parsing and layout, from what makes the
// parser work: blocks, lines, container markers (> - 1.) and the
// characters that start inline Markdown ([ ] ! < ` * _ ~ & \ |), each of
// which may scan the rest of the unit. Units are taken in order while the
// body's budget lasts; a unit that would overrun it is set aside. Ordinary
// documents use a fraction of the budget and come through unchanged.

// budget is the cost a body of n bytes may spend on Markdown structure: a
// constant for short bodies, then 146 a KB. Prose such as the seed case's
// spends 20 a KB, lists and short paragraphs under headings up to 280, so
// a dense body of 30 KB still comes through whole, and no body of the
// allowed size (256 KiB) takes more than about eight times as long as
// prose of that size (TestWorstCaseRatio, BenchmarkWorstCase).
func budget(n int) int { return 4096 + n/7 }

// bound returns md, or a copy of it in which each run of units over
// budget is replaced by a placeholder: a fenced code block holding
// guardMark and the run's index in the returned texts. Placeholders cost
// the parser nothing; the converter puts the text back as a code block
// (KindCode). It reads md once, line by line.
func bound(md string) (string, []string) {
	g := guard{md: md, left: budget(len(md))}
	var fenceChar byte // the open fence's character, 0 outside a fence
	var fenceLen int
	htmlEnd := "" // the end mark of an open HTML block
	for pos := 0; pos < len(md); {
		end := strings.IndexByte(md[pos:], '\n')
		if end < 0 {
			end = len(md)
		} else {
			end += pos + 1
		}
		line := md[pos:end]
		if fenceChar == 0 && htmlEnd == "" && isBlank(line) {
			g.close()
			pos = end
			continue
		}
		g.add(pos, end)
		switch {
		case fenceChar != 0:
			if closesFence(line, fenceChar, fenceLen) {
				fenceChar = 0
			}
		case htmlEnd != "":
			if strings.Contains(strings.ToLower(line), htmlEnd) {
				htmlEnd = ""
			}
		default:
			if c, n := opensFence(line); n > 0 {
				fenceChar, fenceLen = c, n
			} else if e := htmlBlockEnd(line); e != "" && !strings.Contains(strings.ToLower(line[strings.IndexByte(line, '<')+1:]), e) {
				htmlEnd = e
			}
		}
		pos = end
	}
	g.close()
	g.flushAside()
	if g.out == nil {
		return md, nil
	}
	g.out.WriteString(md[g.done:])
	return g.out.String(), g.aside
}

// guardMark starts a placeholder's line. clean replaces every NUL of a
// body, so no body holds it.
const guardMark = "\x00guard "

// guard is bound's state: the unit being read, the budget left, and the
// copy being written once something changes.
type guard struct {
	md   string
	left int
	u    unit // the current unit; u.lines == 0 between units

	out   *strings.Builder // nil while md is kept as it is
	done  int              // md[:done] is written to out (or kept)
	run   [2]int           // the run of units set aside and not yet written; run[1] == 0 if none
	aside []string
}

// unit counts what one unit holds.
type unit struct {
	start, end int
	lines      int
	open       int      // most container markers on one line so far: containers a lazy line may continue
	triggers   int      // characters that start inline Markdown
	base       int      // the cost of the lines, blocks and containers
	cuts       [][2]int // byte ranges of md to drop: markers nested too deep
}

// cost estimates what parsing and laying out u costs, in microseconds
// (measured on goldmark 1.8 and this package; bound's tests check it):
// its lines, blocks and containers, and for each inline trigger 2 and a
// scan of the unit, its bytes and its lines (the parser's link, code span
// and raw HTML scans and its delimiter search may each read that far; a
// link looks its text up line by line).
func (u *unit) cost() int {
	n := u.end - u.start
	return u.base + u.triggers*(2+n/512+u.lines/256)
}

// add adds the line md[pos:end] to the current unit: 1 for the line, 10
// for each container marker, 3 if it may start a block of its own, a
// quarter for each container it may continue lazily and a half for each
// column of indentation (each may keep a list item open); its inline
// triggers, and a cut for markers nested deeper than maxDepth.
func (g *guard) add(pos, end int) {
	u := &g.u
	if u.lines == 0 {
		*u = unit{start: pos, base: 3, cuts: u.cuts[:0]}
	}
	u.end = end
	u.lines++
	line := g.md[pos:end]
	rest, depth, cut := containerPrefix(line)
	depth = min(depth, maxDepth)
	u.open = max(u.open, depth)
	u.base += 1 + 10*depth + u.open/4 + indentation(line)/2
	if rest != "" && strings.IndexByte("#<=-_*~`|", rest[0]) >= 0 {
		u.base += 3
	}
	if cut >= 0 {
		u.cuts = append(u.cuts, [2]int{pos + cut, end - len(rest)})
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '[', ']', '!', '<', '`', '*', '_', '~', '&', '\\', '|':
			u.triggers++
		}
	}
}

// close ends the current unit: within budget it stays (less its cuts),
// otherwise it joins the run of units set aside.
func (g *guard) close() {
	u := &g.u
	if u.lines == 0 {
		return
	}
	c := u.cost()
	u.lines = 0 // the next line starts a new unit
	if c > g.left {
		if g.run[1] == 0 {
			g.run[0] = u.start
		}
		g.run[1] = u.end
		return
	}
	g.left -= c
	g.flushAside()
	if len(u.cuts) == 0 {
		return
	}
	g.copyTo(u.start)
	at := u.start
	for _, c := range u.cuts {
		g.out.WriteString(g.md[at:c[0]])
		at = c[1]
	}
	g.out.WriteString(g.md[at:u.end])
	g.done = u.end
}

// flushAside writes the placeholder of the run of units set aside, if any.
// A fence at the start of a line ends any list or quote open there, so the
// parser always reads the placeholder as a code block.
func (g *guard) flushAside() {
	if g.run[1] == 0 {
		return
	}
	g.copyTo(g.run[0])
	g.out.WriteString("```\n" + guardMark + strconv.Itoa(len(g.aside)) + "\n```\n")
	g.aside = append(g.aside, g.md[g.run[0]:g.run[1]])
	g.done = g.run[1]
	g.run = [2]int{}
}

// copyTo starts the copy if need be and writes md up to at.
func (g *guard) copyTo(at int) {
	if g.out == nil {
		g.out = &strings.Builder{}
		g.out.Grow(len(g.md))
	}
	g.out.WriteString(g.md[g.done:at])
	g.done = at
}

// containerPrefix reads the block quote and list markers that open line,
// as the parser would (spaces before each, any number: deep list items
// are indented far), and returns the rest of the line after the last one,
// how many there were, and the offset in line of the first marker past
// maxDepth: the markers from there to rest are too deep (-1 if none).
func containerPrefix(line string) (rest string, n, cut int) {
	cut = -1
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		at := i
		switch {
		case i == len(line):
			return "", n, cut
		case line[i] == '>':
			i++
		case (line[i] == '-' || line[i] == '+' || line[i] == '*') && (i+1 == len(line) || isSpace(line[i+1])):
			i++
		default:
			d := i
			for d < len(line) && d-i < 10 && line[d] >= '0' && line[d] <= '9' {
				d++
			}
			if d == i || d-i > 9 || d == len(line) || (line[d] != '.' && line[d] != ')') || (d+1 < len(line) && !isSpace(line[d+1])) {
				return line[at:], n, cut
			}
			i = d + 1
		}
		n++
		if n == maxDepth+1 {
			cut = at
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// indentation is the number of spaces and tabs line starts with.
func indentation(line string) int {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

func isBlank(line string) bool {
	for i := 0; i < len(line); i++ {
		if !isSpace(line[i]) {
			return false
		}
	}
	return true
}

// opensFence returns the character and length of the fence line opens
// (``` or ~~~, up to three spaces in), or 0.
func opensFence(line string) (byte, int) {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 || len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return 0, 0
	}
	c := s[0]
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	if n < 3 || c == '`' && strings.IndexByte(s[n:], '`') >= 0 {
		return 0, 0 // an info string with a backtick: a code span, not a fence
	}
	return c, n
}

// closesFence reports whether line closes a fence of n or more c.
func closesFence(line string, c byte, n int) bool {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 {
		return false
	}
	k := 0
	for k < len(s) && s[k] == c {
		k++
	}
	return k >= n && strings.TrimSpace(s[k:]) == ""
}

// htmlBlockEnd returns the end mark of an HTML block that line starts
// and that runs on past blank lines (CommonMark's kinds 1 to 5), or "".
func htmlBlockEnd(line string) string {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 || !strings.HasPrefix(s, "<") {
		return ""
	}
	l := strings.ToLower(s)
	for _, t := range []string{"script", "pre", "style", "textarea"} {
		if strings.HasPrefix(l[1:], t) && (len(l) == len(t)+1 || strings.IndexByte(" \t\r\n>", l[len(t)+1]) >= 0) {
			return "</" + t + ">"
		}
	}
	switch {
	case strings.HasPrefix(l, "<!--"):
		return "-->"
	case strings.HasPrefix(l, "<?"):
		return "?>"
	case strings.HasPrefix(l, "<![cdata["):
		return "]]>"
	case len(l) > 2 && l[1] == '!' && l[2] >= 'a' && l[2] <= 'z':
		return ">"
	}
	return ""
}
