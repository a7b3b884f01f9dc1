package opinion

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// style is a way of numbering items. Which level a style stands for is not
// fixed: GB/T 9704 orders them 一、 （一） 1. （1）, but an opinion with two
// levels may well use 一、 and 1., so levels are read from the nesting.
type style int

const (
	styleCN        style = iota + 1 // 一、
	styleCNParen                    // （一）
	styleNum                        // 1. 1、 1．
	styleNumParen                   // （1）
	styleNumRParen                  // 1） 1)
	styleCircled                    // ①
)

// maxDepth is the deepest level workflow.Item allows.
const maxDepth = 4

// marker is the number at the head of an item's line.
type marker struct {
	style style
	n     int
	label string // as written: （二）
	rest  string // the line after the label
}

const cnNum = `[一二三四五六七八九十百]{1,4}`

// Each item needs its delimiter (、 ． . ）), which keeps dates (2025年6月26日，)
// and sentences that start with a number (1998年以来) out.
var markerRes = []struct {
	style style
	re    func() *regexp.Regexp
}{
	{styleCN, lazyRegexp(`^(` + cnNum + `)\s*[、．.]`)},
	{styleCNParen, lazyRegexp(`^[（(]\s*(` + cnNum + `)\s*[）)]`)},
	{styleNumParen, lazyRegexp(`^[（(]\s*([0-9０-９]{1,3})\s*[）)]`)},
	{styleNum, lazyRegexp(`^([0-9０-９]{1,3})\s*[.．、]`)},
	{styleNumRParen, lazyRegexp(`^([0-9０-９]{1,3})\s*[）)]`)},
	{styleCircled, lazyRegexp(`^([①-⑳])`)},
}

// parseMarker reads the number an item line starts with.
func parseMarker(s string) (marker, bool) {
	// Most lines start with none of the runes a number can start with;
	// telling so by one rune spares six regular expressions.
	r, _ := utf8.DecodeRuneInString(s)
	if !(r == '（' || r == '(' || r >= '0' && r <= '9' || isWideDigit(r) || r >= '①' && r <= '⑳' ||
		strings.ContainsRune("一二三四五六七八九十百", r)) {
		return marker{}, false
	}
	for _, m := range markerRes {
		loc := m.re().FindStringSubmatchIndex(s)
		if loc == nil {
			continue
		}
		num, rest := s[loc[2]:loc[3]], s[loc[1]:]
		var n int
		switch m.style {
		case styleCircled:
			r, _ := utf8.DecodeRuneInString(num)
			n = int(r-'①') + 1
		case styleCN, styleCNParen:
			v, ok := cnValue(num)
			if !ok || cnNumeral(v) != num { // 二二、 is no number
				return marker{}, false
			}
			n = v
		default:
			n, _ = strconv.Atoi(narrowDigits(num))
		}
		// 1.5亿元 is a decimal number, not item 1.
		if m.style == styleNum {
			if r, _ := utf8.DecodeRuneInString(rest); (r >= '0' && r <= '9') || isWideDigit(r) {
				return marker{}, false
			}
		}
		if n < 1 {
			return marker{}, false
		}
		// （一）、 and 一、、 carry a stray delimiter; it is not part of the text.
		rest = strings.TrimLeft(rest, " \t\u3000、．.，,")
		return marker{style: m.style, n: n, label: strings.TrimSpace(s[:loc[1]]), rest: rest}, true
	}
	return marker{}, false
}

// want writes the label that number n has in style st, for messages.
func want(st style, n int) string {
	switch st {
	case styleCN:
		return cnNumeral(n) + "、"
	case styleCNParen:
		return "（" + cnNumeral(n) + "）"
	case styleNum:
		return strconv.Itoa(n) + "."
	case styleNumParen:
		return "（" + strconv.Itoa(n) + "）"
	case styleNumRParen:
		return strconv.Itoa(n) + "）"
	case styleCircled:
		if n >= 1 && n <= 20 {
			return string(rune('①' + n - 1))
		}
	}
	return strconv.Itoa(n)
}

// outline numbers items as they come, keeping one open level per style in
// use: a new style opens a level below the current item, a style already
// open closes the levels below it.
type outline struct {
	open  []openLevel
	items []workflow.Item
}

type openLevel struct {
	style style
	n     int    // the last number seen at this level
	label string // and how it was written
}

func (o *outline) add(l line, m marker) error {
	k := len(o.open)
	for i, lv := range o.open {
		if lv.style == m.style {
			k = i
			break
		}
	}
	if k == len(o.open) { // a new level
		if k == maxDepth {
			return atLine(l.n, "条目「%s」是第 %d 级，条目最多分四级（如 一、 （一） 1. （1））", m.label, k+1)
		}
		if m.n != 1 {
			if k == 0 {
				return atLine(l.n, "条目编号「%s」不连续，第一条应为「%s」", m.label, want(m.style, 1))
			}
			return atLine(l.n, "条目编号「%s」不连续，上级条目「%s」下的第一条应为「%s」", m.label, o.open[k-1].label, want(m.style, 1))
		}
		o.open = append(o.open, openLevel{style: m.style})
	} else {
		o.open = o.open[:k+1]
	}
	lv := &o.open[k]
	if m.n != lv.n+1 {
		return atLine(l.n, "条目编号「%s」不连续，上一条为「%s」，此处应为「%s」", m.label, lv.label, want(m.style, lv.n+1))
	}
	lv.n, lv.label = m.n, m.label
	ids := make([]string, len(o.open))
	for i, lv := range o.open {
		ids[i] = strconv.Itoa(lv.n)
	}
	o.items = append(o.items, workflow.Item{
		ID:    strings.Join(ids, "."),
		Level: len(o.open),
		Label: m.label,
		Text:  m.rest,
	})
	return nil
}

// continueItem adds a paragraph that carries no number to the last item.
func (o *outline) continueItem(s string) {
	it := &o.items[len(o.items)-1]
	if it.Text == "" {
		it.Text = s
		return
	}
	it.Text += "\n" + s
}
