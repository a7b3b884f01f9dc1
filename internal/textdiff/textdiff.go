// Package textdiff compares two texts line by line and, inside lines that
// changed, character by character, using the longest common subsequence.
// It is small on purpose: drafts are a few hundred lines of Chinese prose,
// where a character diff reads better than a word diff (there are no
// spaces between words).
package textdiff

import (
	"html"
	"strings"
)

// Op says what happened to a piece of text.
type Op int

const (
	Equal  Op = iota // in both texts
	Insert           // only in the new text
	Delete           // only in the old text
)

// Span is a run of characters with one Op.
type Span struct {
	Op   Op
	Text string
}

// Line is one line of the comparison. A line that was edited (rather than
// added or removed whole) has Op Equal and Spans that mix all three ops.
type Line struct {
	Op      Op     // Equal: present on both sides (maybe edited); Insert; Delete
	Changed bool   // an Equal line whose characters differ
	Old     int    // 1-based line number in the old text; 0 for an inserted line
	New     int    // 1-based line number in the new text; 0 for a deleted line
	Spans   []Span // the line's text, split where it changed
}

// Text returns the line as in the new text (or the old one, for a deleted line).
func (l Line) Text() string {
	var b strings.Builder
	for _, s := range l.Spans {
		if s.Op != Delete || l.Op == Delete {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// Limits above which a quadratic comparison would be too slow; beyond them
// the differing middle is reported as removed and re-added whole.
const (
	maxLineCells = 4_000_000 // lines(old) × lines(new)
	maxCharCells = 1_000_000 // runes(old line) × runes(new line)
)

// Lines compares old and new line by line, then pairs the removed and added
// lines of each changed block and compares those character by character.
func Lines(old, new string) []Line {
	a, b := split(old), split(new)
	ops := lcs(len(a), len(b), func(i, j int) bool { return a[i] == b[j] }, maxLineCells)
	var out []Line
	i, j := 0, 0
	var dels, inss []int // pending changed block
	flush := func() {
		n := min(len(dels), len(inss))
		for k := 0; k < n; k++ {
			out = append(out, Line{Op: Equal, Changed: true, Old: dels[k] + 1, New: inss[k] + 1, Spans: Chars(a[dels[k]], b[inss[k]])})
		}
		for _, d := range dels[n:] {
			out = append(out, Line{Op: Delete, Old: d + 1, Spans: []Span{{Delete, a[d]}}})
		}
		for _, x := range inss[n:] {
			out = append(out, Line{Op: Insert, New: x + 1, Spans: []Span{{Insert, b[x]}}})
		}
		dels, inss = dels[:0], inss[:0]
	}
	for _, op := range ops {
		switch op {
		case Equal:
			flush()
			out = append(out, Line{Op: Equal, Old: i + 1, New: j + 1, Spans: []Span{{Equal, a[i]}}})
			i++
			j++
		case Delete:
			dels = append(dels, i)
			i++
		case Insert:
			inss = append(inss, j)
			j++
		}
	}
	flush()
	return out
}

// Chars compares two strings character by character (by rune).
func Chars(old, new string) []Span {
	a, b := []rune(old), []rune(new)
	ops := lcs(len(a), len(b), func(i, j int) bool { return a[i] == b[j] }, maxCharCells)
	var out []Span
	i, j := 0, 0
	add := func(op Op, r rune) {
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += string(r)
			return
		}
		out = append(out, Span{op, string(r)})
	}
	for _, op := range ops {
		switch op {
		case Equal:
			add(Equal, a[i])
			i++
			j++
		case Delete:
			add(Delete, a[i])
			i++
		case Insert:
			add(Insert, b[j])
			j++
		}
	}
	return out
}

// split cuts s into lines without their line endings; "" has no lines.
func split(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// lcs returns the edit script turning a sequence of length n into one of
// length m, where eq compares elements. Deletions come before insertions
// within a change, so a caller can pair them. The common prefix and suffix
// are trimmed first; if the rest exceeds maxCells the middle is replaced
// whole.
func lcs(n, m int, eq func(i, j int) bool, maxCells int) []Op {
	pre := 0
	for pre < n && pre < m && eq(pre, pre) {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && eq(n-1-suf, m-1-suf) {
		suf++
	}
	ops := make([]Op, 0, n+m)
	for k := 0; k < pre; k++ {
		ops = append(ops, Equal)
	}
	rn, rm := n-pre-suf, m-pre-suf
	if rn > 0 && rm > 0 && rn*rm <= maxCells {
		// table[x][y] is the LCS length of the remaining suffixes a[x:], b[y:].
		w := rm + 1
		table := make([]int32, (rn+1)*w)
		for x := rn - 1; x >= 0; x-- {
			for y := rm - 1; y >= 0; y-- {
				if eq(pre+x, pre+y) {
					table[x*w+y] = table[(x+1)*w+y+1] + 1
				} else {
					table[x*w+y] = max(table[(x+1)*w+y], table[x*w+y+1])
				}
			}
		}
		x, y := 0, 0
		var dels, inss int
		emit := func() {
			for ; dels > 0; dels-- {
				ops = append(ops, Delete)
			}
			for ; inss > 0; inss-- {
				ops = append(ops, Insert)
			}
		}
		for x < rn && y < rm {
			switch {
			case eq(pre+x, pre+y):
				emit()
				ops = append(ops, Equal)
				x++
				y++
			case table[(x+1)*w+y] >= table[x*w+y+1]:
				dels++
				x++
			default:
				inss++
				y++
			}
		}
		dels += rn - x
		inss += rm - y
		emit()
	} else {
		for k := 0; k < rn; k++ {
			ops = append(ops, Delete)
		}
		for k := 0; k < rm; k++ {
			ops = append(ops, Insert)
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, Equal)
	}
	return ops
}

// HTML writes spans as escaped text with <ins> and <del> around changes:
// HTML that is safe to put in a page as it is.
func HTML(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		t := html.EscapeString(s.Text)
		switch s.Op {
		case Insert:
			b.WriteString("<ins>" + t + "</ins>")
		case Delete:
			b.WriteString("<del>" + t + "</del>")
		default:
			b.WriteString(t)
		}
	}
	return b.String()
}

// Stats counts inserted and deleted characters.
func Stats(lines []Line) (ins, del int) {
	for _, l := range lines {
		for _, s := range l.Spans {
			switch s.Op {
			case Insert:
				ins += len([]rune(s.Text))
			case Delete:
				del += len([]rune(s.Text))
			}
		}
	}
	return ins, del
}
