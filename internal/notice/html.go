package notice

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"math"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/util"
)

// page writes the standalone HTML of d: the sheet with its print
// stylesheet inline, every text escaped. It is written out in Go, not
// through a template engine, so that no binary that shows a notice carries
// one.
func (r *Renderer) page(d *Document) []byte {
	var p pageParts
	p.collect(d)
	var b bytes.Buffer
	b.Grow(len(r.css) + len(p.body) + 4096)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:\">\n" +
		"<meta name=\"docflow:font-substitution\" content=\"")
	b.WriteString(escape(strings.Join(d.Substitutions, "; ")))
	b.WriteString("\">\n<title>")
	if p.number != "" {
		b.WriteString(escape(p.number) + " ")
	}
	b.WriteString(escape(p.title) + "</title>\n<style>\n")
	b.WriteString(r.css) // ours, embedded: trusted
	sheet := "sheet"
	if d.Letter {
		b.WriteString(letterStyle(d)) // ours too
		sheet = "sheet letter"
	}
	b.WriteString("</style>\n</head>\n<body>\n<article class=\"" + sheet + "\">\n<header class=\"head")
	if d.Upward {
		b.WriteString(" upward")
	}
	b.WriteString("\">\n<p class=\"mark\" style=\"--mark-size: " + p.markSize + "\">" + escape(p.mark) + "</p>")
	switch {
	case d.Letter:
		// The first double line, then the 办理结果 flush left and the
		// number flush right on one line below it [10.1].
		b.WriteString("\n<hr class=\"double-rule\">\n<div class=\"letter-number\">")
		if p.result != "" {
			b.WriteString("<p class=\"result\">" + escape(p.result) + "</p>")
		}
		if p.number != "" {
			b.WriteString("<p class=\"number\">" + escape(p.number) + "</p>")
		}
		b.WriteString("</div>\n</header>\n<main>\n<h1 class=\"title\">" + escape(p.title) + "</h1>")
	case p.number != "" && d.Upward:
		b.WriteString("\n<div class=\"number-line\"><p class=\"number\">" + escape(p.number) + "</p><p class=\"signatory\">" +
			escape(p.signLabel) + "<span class=\"names\">" + escape(p.signatories) + "</span></p></div>")
	case p.number != "":
		b.WriteString("\n<p class=\"number\">" + escape(p.number) + "</p>")
	}
	if !d.Letter {
		b.WriteString("\n<hr class=\"red-rule\">\n</header>\n<main>\n<h1 class=\"title\">" + escape(p.title) + "</h1>")
	}
	if p.addressee != "" {
		b.WriteString("\n<p class=\"addressee\">" + escape(p.addressee) + "</p>")
	}
	b.WriteString("\n<div class=\"body\">\n" + p.body + "</div>")
	if len(p.attachments) > 0 {
		b.WriteString("\n<div class=\"attachments\">")
		for i, a := range p.attachments {
			b.WriteString("\n<p>")
			if i == 0 {
				b.WriteString("附件：")
			} else {
				b.WriteString("<span class=\"pad\">附件：</span>")
			}
			b.WriteString(escape(a) + "</p>")
		}
		b.WriteString("\n</div>")
	}
	b.WriteString("\n<div class=\"sign")
	if d.Sealed {
		b.WriteString(" sealed")
	}
	b.WriteString("\">")
	if p.seal != "" {
		b.WriteString("\n<img class=\"seal\" src=\"" + escape(p.seal) + "\" alt=\"印章\">")
	}
	b.WriteString("\n<p class=\"signer\">" + escape(p.signer) + "</p>")
	if p.date != "" {
		b.WriteString("\n<p class=\"date\">" + escape(p.date) + "</p>")
	}
	b.WriteString("\n</div>")
	for _, note := range p.notes {
		b.WriteString("\n<p class=\"note\">" + escape(note) + "</p>")
	}
	for _, a := range p.annexes {
		b.WriteString("\n<section class=\"annex\">\n<p class=\"annex-label\">" + escape(a.label) + "</p>\n<h1 class=\"title annex-title\">" +
			escape(a.title) + "</h1>\n<div class=\"body\">\n" + a.body + "</div>\n</section>")
	}
	if d.Letter {
		// 抄送 alone, without rules [10.1]; then the second double line,
		// which print draws at the first page's foot (letter.css).
		b.WriteString("\n</main>")
		if p.cc != "" {
			b.WriteString("\n<footer class=\"record\">\n<p class=\"cc\">抄送：" + escape(p.cc) + "。</p>\n</footer>")
		}
		b.WriteString("\n<hr class=\"foot-rule\">\n</article>\n</body>\n</html>\n")
		return b.Bytes()
	}
	b.WriteString("\n</main>\n<footer class=\"record\">")
	if p.cc != "" {
		b.WriteString("\n<p class=\"cc\">抄送：" + escape(p.cc) + "。</p>")
	}
	b.WriteString("\n<div class=\"imprint\">\n<p class=\"office\">" + escape(p.office) + "</p>")
	if p.printed != "" {
		b.WriteString("\n<p class=\"printed\">" + escape(p.printed) + "</p>")
	}
	b.WriteString("\n</div>\n</footer>\n</article>\n</body>\n</html>\n")
	return b.Bytes()
}

// letterStyle is what a letter (信函格式) adds to the stylesheet: the
// weights of its double lines, from the LetterRule constants (office
// practice, not the standard); a background of the first printed page
// that draws the two lines where clause 10.1 puts them, for print clips
// what the page holds to the type area and the lines are 170mm long,
// wider; and letter.css. The first line's top is 4mm below the mark's
// line, which letter.css makes exactly the mark's size high and puts 30mm
// below the paper's top: the mark's em box stands for its glyphs.
func letterStyle(d *Document) string {
	size := MaxMarkSize
	for _, e := range d.Elements {
		if e.Kind == KindMark && e.Size > 0 {
			size = e.Size
		}
	}
	const mm = 72 / 25.4
	left := 21.0 // (210 − 170) / 2 + (28 − 26) / 2: centred like the type area
	first := 30 + size/mm + 4
	foot := 297 - 20 - (LetterRuleThin+LetterRuleGap+LetterRuleThick)/mm
	rect := func(y, h float64) string {
		return "%3Crect x='" + cssNum(left) + "' y='" + cssNum(y) + "' width='170' height='" + cssNum(h/mm) + "'/%3E"
	}
	svg := "%3Csvg xmlns='http://www.w3.org/2000/svg' width='210mm' height='297mm' viewBox='0 0 210 297'%3E%3Cg fill='%23d00000'%3E" +
		rect(first, LetterRuleThick) + rect(first+(LetterRuleThick+LetterRuleGap)/mm, LetterRuleThin) +
		rect(foot, LetterRuleThin) + rect(foot+(LetterRuleThin+LetterRuleGap)/mm, LetterRuleThick) +
		"%3C/g%3E%3C/svg%3E"
	return ":root {\n\t--rule-thick: " + cssNum(LetterRuleThick) + ";\n\t--rule-thin: " + cssNum(LetterRuleThin) +
		";\n\t--rule-gap: " + cssNum(LetterRuleGap) + ";\n}\n" +
		"@page :first {\n\tbackground: url(\"data:image/svg+xml," + svg + "\") no-repeat -28mm -30mm / 210mm 297mm;\n}\n" +
		letterSheet
}

//go:embed letter.css
var letterSheet string

// cssNum writes a number for the stylesheet, to the thousandth.
func cssNum(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }

// escape makes s safe as HTML text or a quoted attribute value. It also
// escapes + (as &#43;), as the page template this writer replaced did, so
// that published pages stay byte for byte what they were.
var escape = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;").Replace

// pageParts are the texts of the page's fixed elements, from a Document.
type pageParts struct {
	markSize               string // font size of the mark in points
	mark, number           string
	result                 string // a letter's 办理结果
	signLabel, signatories string // 签发人： and the names
	title, addressee       string
	body                   string // HTML
	attachments            []string
	seal                   string // data: URL of the seal PNG
	signer, date           string
	notes                  []string // 附注 lines
	annexes                []annex  // 附件 pages
	cc                     string   // 抄送 list joined with ，
	office, printed        string
}

func (p *pageParts) collect(d *Document) {
	var body []Element
	var ax *annex
	var axBody []Element
	flush := func() {
		if ax != nil {
			ax.body = bodyHTML(axBody)
			p.annexes = append(p.annexes, *ax)
		}
		ax, axBody = nil, nil
	}
	for i := range d.Elements {
		e := &d.Elements[i]
		switch e.Kind {
		case KindAttachmentLabel:
			flush()
			ax = &annex{label: e.Text()}
		case KindAttachmentTitle:
			if ax != nil {
				ax.title = e.Text()
			}
		case KindMark:
			p.mark = e.Text()
			p.markSize = strconv.FormatFloat(e.Size, 'f', 1, 64)
		case KindNumber:
			p.number = e.Text()
			if len(e.Right) > 0 {
				p.signLabel = e.Right[0].Text
				p.signatories = runsText(e.Right[1:])
			}
		case KindTitle:
			p.title = e.Text()
		case KindAddressee:
			p.addressee = e.Text()
		case KindAttachments:
			p.attachments = attachmentLines(e.Items)
		case KindSeal:
			// The seal is the organisation's own PNG, so a data: URL of it is trusted.
			p.seal = "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.Image)
		case KindSigner:
			p.signer = e.Text()
		case KindDate:
			p.date = e.Text()
		case KindNote:
			p.notes = append(p.notes, e.Text())
		case KindResult:
			p.result = e.Text()
		case KindCC:
			p.cc = strings.Join(e.Items, "，")
		case KindImprint:
			p.office = e.Text()
			p.printed = e.RightText()
		case KindRedRule, KindDoubleRule, KindFootRule:
		default:
			if ax != nil {
				axBody = append(axBody, *e)
			} else {
				body = append(body, *e)
			}
		}
	}
	flush()
	p.body = bodyHTML(body)
}

// annex is one 附件 page of the HTML.
type annex struct {
	label, title string
	body         string // HTML
}

// attachmentLines numbers attachment names when there are several:
// "1. 名称" [7.3.4].
func attachmentLines(items []string) []string {
	if len(items) == 1 {
		return items
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strconv.Itoa(i+1) + ". " + it
	}
	return out
}

// bodyHTML writes the 正文 elements as HTML, in the markup goldmark's
// renderer would give (so the stylesheet applies): headings one level
// below their outline level (# → <h2 class="h1">), run-ins as
// <p class="run-in"><span class="h2">, lists, quotes and tables nested by
// the elements' Boxes. Every text is escaped; raw HTML was never kept.
func bodyHTML(es []Element) string {
	var w htmlWriter
	for i := range es {
		w.element(&es[i], i+1 < len(es) && sameItem(&es[i], &es[i+1]))
	}
	w.boxes(nil)
	// Safe: every byte of text went through util.EscapeHTML.
	return w.b.String()
}

// sameItem reports whether b continues the list item a is in.
func sameItem(a, b *Element) bool {
	if len(a.Boxes) == 0 || len(b.Boxes) < len(a.Boxes) {
		return false
	}
	return a.Boxes[len(a.Boxes)-1].ID == b.Boxes[len(a.Boxes)-1].ID
}

type htmlWriter struct {
	b    bytes.Buffer
	open []Box
}

// boxes closes and opens containers so that exactly want are open.
func (w *htmlWriter) boxes(want []Box) {
	keep := 0
	for keep < len(w.open) && keep < len(want) && w.open[keep].ID == want[keep].ID {
		keep++
	}
	for i := len(w.open) - 1; i >= keep; i-- {
		switch b := w.open[i]; b.Kind {
		case BoxQuote:
			w.b.WriteString("</blockquote>\n")
		case BoxList:
			if b.Ordered {
				w.b.WriteString("</ol>\n")
			} else {
				w.b.WriteString("</ul>\n")
			}
		case BoxItem:
			w.b.WriteString("</li>\n")
		}
	}
	w.open = w.open[:keep]
	for _, b := range want[keep:] {
		switch b.Kind {
		case BoxQuote:
			w.b.WriteString("<blockquote>\n")
		case BoxList:
			switch {
			case !b.Ordered:
				w.b.WriteString("<ul>\n")
			case b.Start != 1:
				w.b.WriteString(`<ol start="` + strconv.Itoa(b.Start) + "\">\n")
			default:
				w.b.WriteString("<ol>\n")
			}
		case BoxItem:
			w.b.WriteString("<li>")
		}
		w.open = append(w.open, b)
	}
}

// element writes e; more says the next element is in the same list item.
func (w *htmlWriter) element(e *Element, more bool) {
	before := len(w.open)
	w.boxes(e.Boxes)
	if len(w.open) > before && w.open[len(w.open)-1].Kind == BoxItem && !e.Plain {
		w.b.WriteByte('\n') // <li> followed by a block on its own line, as goldmark writes it
	}
	switch e.Kind {
	case KindHeading:
		tag := "h" + strconv.Itoa(min(e.Level+1, 6))
		w.b.WriteString("<" + tag + ` class="h` + strconv.Itoa(e.Level) + `">`)
		w.runs(e.Runs)
		w.b.WriteString("</" + tag + ">\n")
	case KindParagraph:
		if e.Plain {
			w.runs(e.Runs)
			if more {
				w.b.WriteByte('\n')
			}
			return
		}
		if e.Level > 0 {
			w.b.WriteString(`<p class="run-in">`)
			k := 0
			for k < len(e.Runs) && e.Runs[k].Heading > 0 {
				k++
			}
			w.b.WriteString(`<span class="h` + strconv.Itoa(e.Level) + `">`)
			w.runs(e.Runs[:k])
			w.b.WriteString("</span>")
			w.runs(e.Runs[k:])
		} else {
			w.b.WriteString("<p>")
			w.runs(e.Runs)
		}
		w.b.WriteString("</p>\n")
	case KindCode:
		w.b.WriteString("<pre><code")
		if e.Lang != "" {
			w.b.WriteString(` class="language-`)
			w.b.Write(util.EscapeHTML([]byte(e.Lang)))
			w.b.WriteString(`"`)
		}
		w.b.WriteString(">")
		w.b.Write(util.EscapeHTML([]byte(e.Text())))
		w.b.WriteString("</code></pre>\n")
	case KindOmitted:
		w.b.WriteString("<!-- raw HTML omitted -->\n")
	case KindBreak:
		w.b.WriteString("<hr>\n")
	case KindTable:
		w.table(e.Table)
	default:
		w.b.WriteString("<p>")
		w.runs(e.Runs)
		w.b.WriteString("</p>\n")
	}
}

func (w *htmlWriter) table(t *Table) {
	if t == nil {
		return
	}
	w.b.WriteString("<table>\n")
	row := func(cells []Cell, tag string) {
		w.b.WriteString("<tr>\n")
		for i, c := range cells {
			w.b.WriteString("<" + tag)
			if i < len(t.Align) {
				switch t.Align[i] {
				case AlignLeft:
					w.b.WriteString(` style="text-align:left"`)
				case AlignCenter:
					w.b.WriteString(` style="text-align:center"`)
				case AlignRight:
					w.b.WriteString(` style="text-align:right"`)
				}
			}
			w.b.WriteString(">")
			w.runs(c.Runs)
			w.b.WriteString("</" + tag + ">\n")
		}
		w.b.WriteString("</tr>\n")
	}
	if len(t.Head) > 0 {
		w.b.WriteString("<thead>\n")
		row(t.Head, "th")
		w.b.WriteString("</thead>\n")
	}
	if len(t.Rows) > 0 {
		w.b.WriteString("<tbody>\n")
		for _, r := range t.Rows {
			row(r, "td")
		}
		w.b.WriteString("</tbody>\n")
	}
	w.b.WriteString("</table>\n")
}

var styleTags = [...]struct {
	s        Style
	open, cl string
}{{Bold, "<strong>", "</strong>"}, {Italic, "<em>", "</em>"}, {Strike, "<del>", "</del>"}, {Code, "<code>", "</code>"}}

func (w *htmlWriter) runs(rs []Run) {
	for _, r := range rs {
		if r.Omitted {
			w.b.WriteString("<!-- raw HTML omitted -->")
			continue
		}
		link := r.Link != ""
		if link {
			w.b.WriteString(`<a href="`)
			// r.Link is already decoded and checked (safeURL): decoding
			// it again could turn checked text into a new scheme.
			w.b.Write(util.EscapeHTML(util.URLEscape([]byte(r.Link), false)))
			w.b.WriteString(`">`)
		}
		for _, t := range styleTags {
			if r.Style&t.s != 0 {
				w.b.WriteString(t.open)
			}
		}
		w.text(r.Text)
		for i := len(styleTags) - 1; i >= 0; i-- {
			if r.Style&styleTags[i].s != 0 {
				w.b.WriteString(styleTags[i].cl)
			}
		}
		if link {
			w.b.WriteString("</a>")
		}
	}
}

// text writes s escaped, a hard line break as <br>.
func (w *htmlWriter) text(s string) {
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			w.b.Write(util.EscapeHTML([]byte(s)))
			return
		}
		w.b.Write(util.EscapeHTML([]byte(s[:i])))
		w.b.WriteString("<br>\n")
		s = s[i+1:]
	}
}
