package opinion

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// line is a non-blank line of the text, trimmed, with its number in the
// file so that messages can point at it.
type line struct {
	n int
	s string
}

// invisible are characters that editors leave in text and nobody sees: a
// BOM in the middle of concatenated files, zero-width spaces from the web.
var invisible = strings.NewReplacer("\ufeff", "", "\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "")

func splitLines(text string) []line {
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\v", "\n", "\f", "\n").Replace(text)
	var out []line
	for i, s := range strings.Split(text, "\n") {
		if s = strings.TrimSpace(invisible.Replace(s)); s != "" {
			out = append(out, line{i + 1, s})
		}
	}
	return out
}

// An opinion is laid out as official documents are (GB/T 9704):
//
//	上海市静安区人民代表大会常务委员会       issuer
//	静会〔2025〕57号                         number
//	关于…的审议意见                          title, one or two lines
//	区人民政府：                             addressee
//	2025年6月26日，区第二届…现提出如下审议意见：  preamble
//	一、… （一）… 1. … （1）…                items, with their paragraphs
//	请区人民政府…于六个月内…书面报告区人大常委会。  closing
//	上海市静安区人大常委会                   signature
//	2025年7月10日                            date
//
// Anything below the date (附注, 抄送, 印发) is not read.
type layout struct {
	lines     []line
	number    int // index into lines of each part; -1 when absent
	title     [2]int
	addressee int
	bodyStart int
	bodyEnd   int // the signature, or the date
	signature int
	date      int
	notes     []string // （…） lines between title and addressee
}

func parseText(text string, opt Options) (*workflow.Opinion, error) {
	ls := splitLines(text)
	if len(ls) == 0 {
		return nil, invalid("文件没有文字内容（只有空白字符）；请上传审议意见正文")
	}
	d := &layout{lines: ls, number: -1, addressee: -1, signature: -1, date: -1}
	o := &workflow.Opinion{}
	if err := d.header(o); err != nil {
		return nil, err
	}
	if err := d.footer(o); err != nil {
		return nil, err
	}
	if err := d.body(o); err != nil {
		return nil, err
	}
	d.terms(o, opt)
	return o, nil
}

// number is a 来文字号: 静会〔2025〕57号. The year may stand in 〔〕, [], ［］,
// （） or 【】 and the number carry 第 and leading zeros; all are written
// back as GB/T 9704 wants them (7.2.5).
var numberRe = lazyRegexp(`^[（(]?([\p{Han}A-Za-z]{1,16})\s*[〔\[［(（【]\s*(\d{4})\s*[〕\]］)）】]\s*第?\s*(\d{1,6})\s*号(?:[）)]|\s|$)`)

// nearNumber is a line that means to be a number but is not one we read.
var nearNumber = lazyRegexp(`[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】].{0,12}号`)

func parseNumber(s string) (string, bool) {
	m := numberRe().FindStringSubmatch(narrowDigits(s))
	if m == nil {
		return "", false
	}
	n, err := strconv.Atoi(m[3])
	if err != nil || n == 0 {
		return "", false
	}
	return m[1] + "〔" + m[2] + "〕" + strconv.Itoa(n) + "号", true
}

// titleEnds are the words a title ends in; a title line without one goes on
// in the next line.
var titleEnds = []string{"意见", "建议", "决议", "决定", "报告", "通知", "函", "批复"}

func endsTitle(s string) bool {
	for _, e := range titleEnds {
		if strings.HasSuffix(s, e) {
			return true
		}
	}
	return false
}

// header finds number, title, issuer and addressee, and where the body starts.
func (d *layout) header(o *workflow.Opinion) error {
	// The header ends where the first sentence or item starts, so that a
	// paragraph beginning with 关于 is never taken for the title.
	ls := d.lines[:headerEnd(d.lines)]
	for i, l := range ls {
		if n, ok := parseNumber(l.s); ok {
			d.number, o.Number = i, n
			break
		}
	}
	title := -1
	for i, l := range ls {
		if i != d.number && strings.HasPrefix(l.s, "关于") {
			title = i
			break
		}
	}
	if title < 0 { // some bodies title it …对…的审议意见
		for i, l := range ls {
			if i != d.number && strings.HasSuffix(l.s, "意见") && utf8.RuneCountInString(l.s) <= 80 {
				title = i
				break
			}
		}
	}
	if d.number < 0 {
		for _, l := range ls {
			if nearNumber().MatchString(narrowDigits(l.s)) {
				return atLine(l.n, "来文字号「%s」无法识别，应写作“机关代字〔年份〕序号号”，如“某会〔2025〕57号”", l.s)
			}
		}
		return invalid("未找到来文字号：标题上方应有单独一行字号，如“某会〔2025〕57号”")
	}
	if title < 0 {
		return invalid("未找到审议意见标题：应有以“关于”开头的一行，如“关于检查……情况的审议意见”")
	}
	end := title
	o.Title = ls[title].s
	for k := 0; k < 2 && !endsTitle(o.Title) && end+1 < len(ls); k++ {
		next := ls[end+1]
		if end+1 == d.number || isAddressee(next.s) || strings.ContainsAny(next.s, "。；：:") ||
			utf8.RuneCountInString(next.s) > 40 {
			break
		}
		if _, ok := parseMarker(next.s); ok {
			break
		}
		o.Title += next.s
		end++
	}
	d.title = [2]int{title, end}
	ls = d.lines // addressee and notes may follow a title that ends the header
	first := min(d.number, title)
	for _, l := range ls[:first] {
		if isBodyName(l.s) {
			o.Issuer = strings.TrimSuffix(l.s, "文件")
			break
		}
	}
	i := max(d.number, end) + 1
	for ; i < len(ls) && isNote(ls[i].s); i++ {
		d.notes = append(d.notes, ls[i].s)
	}
	if i < len(ls) && isAddressee(ls[i].s) {
		d.addressee = i
		o.Addressee = strings.TrimRight(ls[i].s, "：:")
		i++
	}
	d.bodyStart = i
	return nil
}

// headerEnd returns the index of the first line that holds a sentence or
// starts an item: the header lies above it.
func headerEnd(ls []line) int {
	for i, l := range ls {
		if strings.Contains(l.s, "。") {
			return i
		}
		if _, ok := parseMarker(l.s); ok {
			return i
		}
	}
	return len(ls)
}

// isAddressee: 区人民政府： — short, ends in a colon, no sentence in it.
func isAddressee(s string) bool {
	return (strings.HasSuffix(s, "：") || strings.HasSuffix(s, ":")) &&
		utf8.RuneCountInString(s) <= 40 && !strings.ContainsAny(s, "。，,；")
}

// isNote: a line in parentheses under the title, such as
// （2025年6月26日区第二届人大常委会第三十六次会议通过）.
func isNote(s string) bool {
	return (strings.HasPrefix(s, "（") || strings.HasPrefix(s, "(")) &&
		(strings.HasSuffix(s, "）") || strings.HasSuffix(s, ")"))
}

var bodyWords = []string{"人民代表大会", "人大常委会", "常务委员会", "常委会", "委员会", "人民政府", "办公室", "办公厅"}

// isBodyName says whether s names an organisation, as issuer and signature do.
func isBodyName(s string) bool {
	if utf8.RuneCountInString(s) > 40 || strings.ContainsAny(s, "。，,；：:") {
		return false
	}
	for _, w := range bodyWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// footer finds the date, the last line that is a date and nothing else,
// and the signature above it or before it on the same line.
func (d *layout) footer(o *workflow.Opinion) error {
	ls := d.lines
	d.bodyEnd = len(ls)
	for i := len(ls) - 1; i >= d.bodyStart; i-- {
		sig, date := splitSignature(ls[i])
		t, ok, err := parseDate(date)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		d.date, o.Date, d.bodyEnd = i, t, i
		if sig != "" {
			d.signature, o.Signature = i, sig
		} else if j := i - 1; j >= d.bodyStart && isSignature(ls[j].s) {
			d.signature, d.bodyEnd, o.Signature = j, j, ls[j].s
		}
		break
	}
	if d.date < 0 {
		// Some put the date under the title instead: （2025年7月10日）.
		for i := d.title[1] + 1; i < d.bodyStart && o.Date.IsZero(); i++ {
			t, ok, err := parseDate(ls[i])
			if err != nil {
				return err
			}
			if ok {
				o.Date = t
			}
		}
		if o.Date.IsZero() {
			return invalid("未找到成文日期：文末署名下方应有单独一行日期，如“2025年7月10日”或“二〇二五年七月十日”")
		}
	}
	if o.Issuer == "" { // no 红头 line: the signature says who issued it
		o.Issuer = o.Signature
	}
	return nil
}

// splitSignature splits a line holding signature and date
// (青溪县人大常委会　2024年11月5日); other lines come back whole.
func splitSignature(l line) (string, line) {
	j := strings.IndexFunc(l.s, unicode.IsSpace)
	if j < 0 || !isSignature(l.s[:j]) {
		return "", l
	}
	return l.s[:j], line{l.n, strings.TrimSpace(l.s[j:])}
}

func isSignature(s string) bool {
	if _, ok := parseMarker(s); ok {
		return false
	}
	return isBodyName(s) && !strings.HasPrefix(s, "请")
}

// closingCue starts the closing paragraph: 请区人民政府认真研究处理…,
// 以上意见…, 特此函告.
var closingCue = lazyRegexp(`^(?:请|望|希望|以上|上述|特此|此复)`)

// body reads preamble, items and closing.
func (d *layout) body(o *workflow.Opinion) error {
	body := d.lines[d.bodyStart:d.bodyEnd]
	last := -1
	for i, l := range body {
		if _, ok := parseMarker(l.s); ok {
			last = i
		}
	}
	if last < 0 {
		return invalid("未找到编号的意见条目：正文中的意见应逐条编号，每条另起一行，以「一、」「（一）」「1.」「（1）」等开头")
	}
	// After the last item, the closing starts at the first paragraph that
	// reads like one; paragraphs before it still belong to the last item.
	closing := len(body)
	for i := last + 1; i < len(body); i++ {
		if s := body[i].s; closingCue().MatchString(s) || isReportSentence(s) {
			closing = i
			break
		}
	}
	var (
		out      outline
		preamble []string
		close    []string
	)
	for i, l := range body {
		m, ok := parseMarker(l.s)
		switch {
		case i >= closing:
			close = append(close, l.s)
		case ok:
			if err := out.add(l, m); err != nil {
				return err
			}
		case len(out.items) == 0:
			preamble = append(preamble, l.s)
		default:
			out.continueItem(l.s)
		}
	}
	o.Items = out.items
	o.Preamble = strings.Join(preamble, "\n")
	o.Closing = strings.Join(close, "\n")
	return nil
}

// isReportSentence says whether s asks for the report by a deadline.
func isReportSentence(s string) bool {
	_, _, ok := findDeadline(workflow.Day(2000, 1, 1), false, s)
	return ok
}

// terms reads session, deadline and whom the report goes to.
func (d *layout) terms(o *workflow.Opinion, opt Options) {
	// Lines wrapped by hand split sentences; the search joins them again.
	join := func(s string) string { return strings.ReplaceAll(s, "\n", "") }
	preamble, closing := join(o.Preamble), join(o.Closing)
	notes := strings.Join(d.notes, "")
	for _, s := range []string{preamble, notes, closing} {
		if m := sessionRe().FindString(s); m != "" {
			o.Session = strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, m)
			break
		}
	}
	due, rule, ok := findDeadline(o.Date, false, closing, preamble)
	if !ok {
		due, rule, ok = findDeadline(o.Date, true, closing)
	}
	if ok {
		o.Due, o.DueRule = due, rule
		o.ReplyTo = reportTo(rule)
	} else {
		months := opt.DefaultMonths
		if months <= 0 {
			months = 6
		}
		o.Due = addMonths(o.Date, months)
	}
	if o.ReplyTo == "" {
		o.ReplyTo = deriveReplyTo(o.Signature, o.Issuer, o.Session)
	}
}
