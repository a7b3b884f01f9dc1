package pdf

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/docflow/docflow/internal/notice"
)

// The page geometry of GB/T 9704-2012, in PDF points (1mm = 72/25.4pt).
// Positions below are measured from the paper's top-left corner, y down;
// the PDF writer flips y.
const (
	mm = 72 / 25.4

	pageW = 595.28 // A4, as folio's PageSizeA4
	pageH = 841.89

	areaL = 28 * mm  // binding (left) margin [5.2.1]
	areaT = 37 * mm  // top margin
	areaW = 156 * mm // type area 156 × 225mm
	areaH = 225 * mm

	bodySize     = 16.0 // 3号 [5.2.2]
	linesPerPage = 22   // [5.2.3]
	charsPerLine = 28

	// cell is the character pitch: 28 advances fill the type area's width.
	cell = areaW / charsPerLine
	// pitch is the line pitch: the em box of line 1 touches the type area's
	// top and that of line 22 its bottom, so 22 lines "撑满版心" [5.2.3].
	pitch = (areaH - bodySize) / (linesPerPage - 1)
	// emAscent is the top of the ideographic em box above the baseline, in
	// ems (Fandol fonts: ascent 880, descent -120 per 1000).
	emAscent = 0.88

	titleSize  = 22.0 // 2号 [7.3.1]
	recordSize = 14.0 // 4号, the 版记 [7.4]
	folioSize  = 14.0 // 4号, page numbers [7.5]

	markGap    = 35 * mm // type area top → mark's top edge [7.2.4]
	ruleGap    = 4 * mm  // number → red rule [7.2.7]
	ruleWidth  = 1.0     // red rule
	folioGap   = 7 * mm  // type area bottom → page number's dash [7.5]
	thickRule  = 0.35 * mm
	thinRule   = 0.25 * mm
	sealWidth  = 42 * mm // a common seal diameter; the image's aspect is kept
	maxStretch = 0.5     // most extra space per glyph when justifying, in ems

	// 信函格式 [10.1]. The double lines' length and weights are
	// notice.LetterRule*.
	letterMarkTop = 30 * mm          // paper's top → the mark's top edge
	letterFootGap = 20 * mm          // second double line's lower edge → paper's foot
	letterGap     = bodySize * 7 / 8 // first double line → the characters below it: 7/8 of a 3号 character
)

var (
	black = [3]float64{0, 0, 0}
	red   = [3]float64{0xd0 / 255.0, 0, 0} // the HTML's #d00000
)

// sheet is one laid-out page.
type sheet struct {
	texts  []textOp
	lines  []lineOp
	images []imageOp
	folio  int       // printed page number; 0 for none
	kind   sheetKind // what the page holds
	// marks record where each body line's text starts, so that the last
	// lines can move to the next page with the signature.
	marks []lineMark
}

type lineMark struct {
	k            int // grid line
	texts, lines int // len(texts), len(lines) before the line was set
}

type sheetKind int

const (
	sheetContent sheetKind = iota // holds 版头 or 主体 content (maybe the 版记 too)
	sheetBlank                    // blank page before the 版记 page
	sheetRecord                   // holds only the 版记
)

// textOp draws text with its baseline at (x, y).
type textOp struct {
	x, y  float64
	font  notice.Font
	size  float64
	tc    float64 // character spacing (PDF Tc)
	text  string
	color [3]float64
	style notice.Style
}

// lineOp strokes a rule from (x1, y1) to (x2, y2), width w centred on it.
type lineOp struct {
	x1, y1, x2, y2, w float64
	color             [3]float64
}

// hline is a horizontal rule centred on y.
func hline(x1, x2, y, w float64, c [3]float64) lineOp {
	return lineOp{x1: x1, y1: y, x2: x2, y2: y, w: w, color: c}
}

// imageOp places a PNG with its top-left corner at (x, y).
type imageOp struct {
	png        []byte
	x, y, w, h float64
}

// placement records where the typesetter put the parts a test checks
// against the standard, in points from the paper's top.
type placement struct {
	markTop, markBottom float64
	numberBottom        float64
	ruleTop             float64
	// ruleBottom is the bottom of a letter's first double line; below,
	// that of its last 版头 element: that line, or the em box of the
	// number's line under it.
	ruleBottom, below float64
}

// glyph is one character ready for line breaking.
type glyph struct {
	r     rune
	font  notice.Font
	adv   float64 // natural advance at the run's size, in points
	style notice.Style
}

// typesetter lays a Document out on sheets, body text on the grid of
// 22 lines × 28 characters.
type typesetter struct {
	fonts  *fontSet
	sheets []*sheet
	cur    *sheet
	line   int // next free grid line on cur
	place  placement
	// missing records characters a font lacks and what stood in for them,
	// "FandolKai-Regular → FandolFang-Regular" or "FandolFang-Regular → none".
	missing map[string][]rune
}

// lineTop is the top of grid line k's em box.
func lineTop(k int) float64 { return areaT + float64(k)*pitch }

// baseline is the baseline of body text on grid line k.
func baseline(k int) float64 { return lineTop(k) + emAscent*bodySize }

func (t *typesetter) newSheet(kind sheetKind) *sheet {
	s := &sheet{kind: kind}
	t.sheets = append(t.sheets, s)
	t.cur, t.line = s, 0
	return s
}

// room makes sure n grid lines are free on the current sheet, starting a
// new one if not, and returns the first.
func (t *typesetter) room(n int) int {
	if t.line+n > linesPerPage && t.line > 0 {
		t.newSheet(sheetContent)
	}
	return t.line
}

// glyphs turns runs into glyphs at size, choosing for each character the
// run's font or, if that font lacks it, the first font that has it.
func (t *typesetter) glyphs(rs []notice.Run, size float64) []glyph {
	var gs []glyph
	for _, r := range rs {
		if r.Omitted {
			continue
		}
		for _, c := range r.Text {
			if c == '\r' || c == '\t' {
				c = ' '
			}
			f := t.pick(r.Font, c)
			adv := 0.0
			if c != '\n' {
				adv = t.fonts.advance(f, c) * size
			}
			gs = append(gs, glyph{r: c, font: f, adv: adv, style: r.Style})
		}
	}
	return gs
}

var fallbacks = [...]notice.Font{notice.FontFang, notice.FontSong, notice.FontHei, notice.FontKai, notice.FontXBS}

func (t *typesetter) pick(f notice.Font, c rune) notice.Font {
	if c == '\n' || c == ' ' || t.fonts.has(f, c) {
		return f
	}
	for _, g := range fallbacks {
		if t.fonts.has(g, c) {
			t.miss(t.fonts.name(f)+" → "+t.fonts.name(g), c)
			return g
		}
	}
	t.miss(t.fonts.name(f)+" → none (blank)", c)
	return f // .notdef: nothing has it
}

func (t *typesetter) miss(key string, c rune) {
	if t.missing == nil {
		t.missing = map[string][]rune{}
	}
	if !slices.Contains(t.missing[key], c) && len(t.missing[key]) < 50 {
		t.missing[key] = append(t.missing[key], c)
	}
}

// fallbacks describes the characters set in another font than asked, one
// string per font pair: "FandolKai-Regular → FandolFang-Regular: 喆 堃".
func (t *typesetter) fallbackReport() []string {
	var out []string
	for k, cs := range t.missing {
		var b strings.Builder
		for i, c := range cs {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%c (U+%04X)", c, c)
		}
		out = append(out, k+": "+b.String())
	}
	slices.Sort(out)
	return out
}

// tcFor is the character spacing that sets size-point text on the grid's
// character pitch (negative: 16pt glyphs on a 15.79pt pitch).
// Other sizes (title, 版记, page numbers) are set solid, without spacing.
func tcFor(size float64) float64 {
	if size == bodySize {
		return cell - size
	}
	return 0
}

// breakLines splits gs into lines no wider than first (the first line) and
// rest (the others), each glyph taking its advance plus tc. It never
// starts a line with closing punctuation nor ends one with opening
// punctuation (避头尾) and keeps Latin words and numbers whole, pushing
// characters to the next line as needed. A '\n' glyph forces a break and
// is dropped.
func breakLines(gs []glyph, first, rest, tc float64) [][]glyph {
	var lines [][]glyph
	width := first
	for len(gs) > 0 {
		w, i := 0.0, 0
		for i < len(gs) && gs[i].r != '\n' && w+gs[i].adv+tc <= width+0.01 {
			w += gs[i].adv + tc
			i++
		}
		switch {
		case i < len(gs) && gs[i].r == '\n':
			lines = append(lines, gs[:i])
			gs = gs[i+1:]
			width = rest
			continue
		case i == len(gs):
			lines = append(lines, gs)
			return lines
		case i == 0:
			i = 1 // a glyph wider than the line: give it a line of its own
		}
		j := i
		for j > 1 && !breakOK(gs[j-1].r, gs[j].r) {
			j--
		}
		if j <= 1 && i > 1 {
			j = i // nowhere allowed (a 28-digit number): break where it fills
		}
		line := gs[:j]
		gs = gs[j:]
		for len(gs) > 0 && gs[0].r == ' ' { // a space at a break is dropped
			gs = gs[1:]
		}
		lines = append(lines, trimSpace(line))
		width = rest
	}
	return lines
}

func trimSpace(gs []glyph) []glyph {
	for len(gs) > 0 && gs[len(gs)-1].r == ' ' {
		gs = gs[:len(gs)-1]
	}
	return gs
}

// breakOK reports whether a line may break between a and b.
func breakOK(a, b rune) bool {
	if b == ' ' || a == ' ' {
		return true
	}
	if notice.NoLineStart(b) || notice.NoLineEnd(a) {
		return false
	}
	if a == b && (a == '—' || a == '…') {
		return false // —— and …… are one mark
	}
	return !(word(a) && word(b))
}

// word reports whether r belongs to a run of Latin letters, digits and
// joining punctuation that must stay on one line.
func word(r rune) bool {
	return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./@:%&'+#", r))
}

// setLine draws gs with the first glyph at x on the given baseline. With
// justify, the character spacing stretches so the line fills width;
// otherwise glyphs sit on the character grid.
func (t *typesetter) setLine(gs []glyph, x, y, size, width float64, justify bool, color [3]float64) {
	tc := tcFor(size)
	if justify && len(gs) > 0 {
		nat := 0.0
		for _, g := range gs {
			nat += g.adv
		}
		if j := (width - nat) / float64(len(gs)); j > tc && j-tc <= maxStretch*size {
			tc = j
		}
	}
	for i := 0; i < len(gs); {
		j := i + 1
		for j < len(gs) && gs[j].font == gs[i].font && gs[j].style == gs[i].style {
			j++
		}
		var b strings.Builder
		w := 0.0
		for _, g := range gs[i:j] {
			b.WriteRune(g.r)
			w += g.adv + tc
		}
		t.cur.texts = append(t.cur.texts, textOp{x: x, y: y, font: gs[i].font, size: size, tc: tc, text: b.String(), color: color, style: gs[i].style})
		if gs[i].style&notice.Strike != 0 {
			t.cur.lines = append(t.cur.lines, hline(x, x+w-tc, y-0.3*size, 0.05*size, color))
		}
		x += w
		i = j
	}
}

// width is the width of gs set on the grid at size.
func width(gs []glyph, size float64) float64 {
	w := 0.0
	for _, g := range gs {
		w += g.adv + tcFor(size)
	}
	return w
}

// paragraph sets gs on grid lines: the first line indented by first, the
// others by left (both from the type area's left edge), justified except
// the last. It returns the number of lines used.
func (t *typesetter) paragraph(gs []glyph, first, left float64, justify bool) int {
	lines := breakLines(gs, areaW-first, areaW-left, tcFor(bodySize))
	if len(lines) == 0 {
		lines = [][]glyph{nil}
	}
	for i, l := range lines {
		k := t.room(1)
		x := left
		if i == 0 {
			x = first
		}
		t.cur.marks = append(t.cur.marks, lineMark{k: k, texts: len(t.cur.texts), lines: len(t.cur.lines)})
		t.setLine(l, areaL+x, baseline(k), bodySize, areaW-x, justify && i < len(lines)-1, black)
		t.line++
	}
	return len(lines)
}

// typeset lays d out and numbers the pages.
func (t *typesetter) typeset(d *notice.Document) error {
	t.newSheet(sheetContent)
	els := d.Elements
	i := 0
	// 版头 and title.
	for ; i < len(els) && (els[i].Kind.Part() == notice.Head || els[i].Kind == notice.KindTitle); i++ {
		t.head(d, &els[i])
	}
	var sign, record []notice.Element
	var prev *notice.Element
	signed := false
	for ; i < len(els); i++ {
		e := &els[i]
		switch {
		case e.Kind.Part() == notice.Record:
			record = append(record, *e)
		case e.Kind == notice.KindSeal || e.Kind == notice.KindSigner || e.Kind == notice.KindDate || e.Kind == notice.KindNote:
			sign = append(sign, *e)
		case e.Kind == notice.KindAttachmentLabel:
			if !signed {
				t.signature(sign, d.Sealed)
				signed = true
			}
			t.annex(e)
			prev = nil
		case e.Kind == notice.KindAttachmentTitle:
			t.annexTitle(e)
		default:
			if e.Kind == notice.KindHeading {
				// Keep a heading, and the headings right after it, with
				// the first line of what follows.
				n := 2
				for j := i + 1; j < len(els) && els[j].Kind == notice.KindHeading; j++ {
					n++
				}
				t.room(min(n, linesPerPage))
			}
			t.body(e, prev)
			prev = e
		}
	}
	if !signed {
		t.signature(sign, d.Sealed)
	}
	t.record(record, d.Letter)
	t.number(d.Letter)
	return nil
}

// cursor is where the header part has got to, in points from the top; the
// body starts on the first grid line at or below it.
func (t *typesetter) gridFrom(y float64) {
	k := int(math.Ceil((y-areaT)/pitch - 1e-6))
	t.line = max(k, 0)
	if t.line >= linesPerPage {
		t.newSheet(sheetContent)
	}
}

// head lays out the 版头 elements and the title at their absolute positions.
func (t *typesetter) head(d *notice.Document, e *notice.Element) {
	s := t.cur
	switch e.Kind {
	case notice.KindMark:
		size := e.Size
		if size <= 0 {
			size = notice.MarkSize(e.Text())
		}
		text := e.Text()
		top, bottom := t.fonts.ink(notice.FontXBS, text)
		y0 := areaT + markGap // the glyphs' top edge [7.2.4]
		if d.Letter {
			y0 = letterMarkTop // from the paper's top, not the type area's [10.1]
		}
		base := y0 + top*size
		gs := t.glyphs(e.Runs, size)
		w := 0.0
		for _, g := range gs {
			w += g.adv
		}
		x := areaL + (areaW-w)/2
		t.cur.texts = append(t.cur.texts, textOp{x: x, y: base, font: notice.FontXBS, size: size, text: text, color: red})
		t.place.markTop, t.place.markBottom = y0, base-bottom*size
		t.place.numberBottom = t.place.markBottom // until a number says otherwise
	case notice.KindDoubleRule:
		// 4mm below the mark, thick above thin [10.1].
		top := t.place.markBottom + ruleGap
		t.place.ruleTop = top
		t.place.ruleBottom = t.doubleRule(top, notice.LetterRuleThick, notice.LetterRuleThin)
		t.place.below = t.place.ruleBottom
	case notice.KindFootRule:
		// Thin above thick, its lower edge 20mm above the paper's foot, on
		// the first page [10.1]. The type area ends 14mm above it, so no
		// text stands on the line just above it and the 7/8 of a 3号
		// character the standard asks between such text and the line is
		// always kept.
		h := notice.LetterRuleThin + notice.LetterRuleGap + notice.LetterRuleThick
		t.doubleRule(pageH-letterFootGap-h, notice.LetterRuleThin, notice.LetterRuleThick)
	case notice.KindResult:
		// Where the 份号 stands: flush left, 7/8 of a 3号 character below
		// the first double line [10.1].
		top := t.place.ruleBottom + letterGap
		t.setLine(t.glyphs(e.Runs, bodySize), areaL, top+emAscent*bodySize, bodySize, 0, false, black)
		t.place.below = top + bodySize
	case notice.KindNumber:
		if d.Letter {
			// Flush right on the same line [10.1]. The last glyph's
			// spacing (tc) is not ink: the line ends at its advance.
			top := t.place.ruleBottom + letterGap
			gs := t.glyphs(e.Runs, bodySize)
			x := areaL + areaW - (width(gs, bodySize) - tcFor(bodySize))
			t.setLine(gs, x, top+emAscent*bodySize, bodySize, 0, false, black)
			t.place.below = top + bodySize
			break
		}
		// Two blank lines below the mark [7.2.5].
		y := t.place.markBottom + 2*pitch
		base := y + emAscent*bodySize
		gs := t.glyphs(e.Runs, bodySize)
		x := areaL + (areaW-width(gs, bodySize))/2
		if d.Upward {
			x = areaL + cell // flush left one character in [7.2.5]
			rs := t.glyphs(e.Right, bodySize)
			t.setLine(rs, areaL+areaW-cell-width(rs, bodySize), base, bodySize, 0, false, black)
		}
		t.setLine(gs, x, base, bodySize, 0, false, black)
		_, bottom := t.fonts.ink(notice.FontFang, e.Text())
		t.place.numberBottom = base - bottom*bodySize
	case notice.KindRedRule:
		// 4mm below the number's bottom edge, the width of the type area [7.2.7].
		top := t.place.numberBottom + ruleGap
		t.place.ruleTop = top
		s.lines = append(s.lines, hline(areaL, areaL+areaW, top+ruleWidth/2, ruleWidth, red))
	case notice.KindTitle:
		// Two blank lines below the rule, 2号 小标宋, centred, broken at
		// e.Breaks [7.3.1]; a title longer than the page flows on.
		y := t.place.ruleTop + ruleWidth + 2*pitch
		switch {
		case d.Letter:
			y = t.place.below + 2*pitch // two lines below the last element above it [10.1]
		case t.place.ruleTop == 0:
			y = areaT + markGap
		}
		y = t.titleLines(e, y)
		// One blank line below the title, then the 主送机关 [7.3.2].
		t.gridFrom(y + titleSize)
	}
}

// doubleRule draws a red double line LetterRuleLength long, centred on
// the type area as the mark is, from top down: a line upper points
// thick, the gap, a line lower points thick. It returns its bottom.
func (t *typesetter) doubleRule(top, upper, lower float64) float64 {
	x1 := areaL + (areaW-notice.LetterRuleLength)/2
	x2 := x1 + notice.LetterRuleLength
	t.cur.lines = append(t.cur.lines,
		hline(x1, x2, top+upper/2, upper, red),
		hline(x1, x2, top+upper+notice.LetterRuleGap+lower/2, lower, red))
	return top + upper + notice.LetterRuleGap + lower
}

// titleLines sets a title's lines, broken at e.Breaks and centred, from
// y (the first line's top) down one pitch a line, flowing onto a new page
// if it must; it returns the top of the line after the last.
func (t *typesetter) titleLines(e *notice.Element, y float64) float64 {
	rs := []rune(e.Text())
	prev := 0
	for _, b := range append(append([]int(nil), e.Breaks...), len(rs)) {
		if b < prev || b > len(rs) {
			continue
		}
		seg := string(rs[prev:b])
		prev = b
		gs := t.glyphs([]notice.Run{{Text: seg, Font: notice.FontXBS}}, titleSize)
		for _, l := range breakLines(gs, areaW, areaW, 0) {
			if y+titleSize > areaT+areaH {
				t.newSheet(sheetContent)
				y = areaT
			}
			w := 0.0
			for _, g := range l {
				w += g.adv
			}
			t.setLine(l, areaL+(areaW-w)/2, y+emAscent*titleSize, titleSize, 0, false, black)
			y += pitch
		}
	}
	return y
}

// annex starts a 附件 page: "附件N" in 黑体 flush left on its first line.
func (t *typesetter) annex(e *notice.Element) {
	t.newSheet(sheetContent)
	t.setLine(t.glyphs(e.Runs, bodySize), areaL, baseline(0), bodySize, 0, false, black)
	t.line = 1
}

// annexTitle centres a 附件's title from the third line, 2号 小标宋,
// with a blank line below it.
func (t *typesetter) annexTitle(e *notice.Element) {
	y := lineTop(2)
	y = t.titleLines(e, y)
	t.gridFrom(y + titleSize)
}

// indents returns the first-line and left indents of a body element from
// its boxes: two characters per quote or list level, the first line two
// more, as paragraphs are [7.3.3].
func indents(e *notice.Element) (first, left float64) {
	depth := 0
	for _, b := range e.Boxes {
		if b.Kind == notice.BoxQuote || b.Kind == notice.BoxList {
			depth++
		}
	}
	// Deeper nesting than five levels stays at ten characters, so that a
	// line keeps at least sixteen.
	left = float64(2*min(depth, 5)) * cell
	return left + 2*cell, left
}

// marker returns the list marker that opens e, if e is the first element
// of a list item.
func marker(e *notice.Element, prev *notice.Element) string {
	if len(e.Boxes) == 0 {
		return ""
	}
	b := e.Boxes[len(e.Boxes)-1]
	if b.Kind != notice.BoxItem {
		return ""
	}
	if prev != nil && len(prev.Boxes) >= len(e.Boxes) && prev.Boxes[len(e.Boxes)-1].ID == b.ID {
		return ""
	}
	return b.Marker + " "
}

// body lays out one element of the 主体 between the addressee and the signature.
func (t *typesetter) body(e, prev *notice.Element) {
	switch e.Kind {
	case notice.KindAddressee:
		t.paragraph(t.glyphs(e.Runs, bodySize), 0, 0, false)
	case notice.KindParagraph, notice.KindHeading:
		first, left := indents(e)
		gs := t.glyphs(e.Runs, bodySize)
		if m := marker(e, prev); m != "" {
			gs = append(t.glyphs([]notice.Run{{Text: m, Font: notice.FontFang}}, bodySize), gs...)
		}
		t.paragraph(gs, first, left, true)
	case notice.KindCode:
		_, left := indents(e)
		for _, l := range strings.Split(strings.TrimRight(e.Text(), "\n"), "\n") {
			t.paragraph(t.glyphs([]notice.Run{{Text: l, Font: notice.FontFang}}, bodySize), left+2*cell, left+2*cell, false)
		}
	case notice.KindBreak:
		t.room(1)
		t.line++
	case notice.KindTable:
		t.table(e)
	case notice.KindAttachments:
		t.attachments(e)
	case notice.KindOmitted:
	default:
		first, left := indents(e)
		t.paragraph(t.glyphs(e.Runs, bodySize), first, left, true)
	}
}

// attachments sets the 附件说明: one blank line below the body, "附件："
// two characters in, several attachments numbered, wrapped lines aligned
// with the first character of the name [7.3.4].
func (t *typesetter) attachments(e *notice.Element) {
	t.room(2)
	t.line++
	label := t.glyphs([]notice.Run{{Text: "附件：", Font: notice.FontFang}}, bodySize)
	lx := 2 * cell
	nx := lx + width(label, bodySize)
	for i, name := range e.Items {
		num := ""
		if len(e.Items) > 1 {
			num = strconv.Itoa(i+1) + "."
		}
		ng := t.glyphs([]notice.Run{{Text: num, Font: notice.FontFang}}, bodySize)
		gs := t.glyphs([]notice.Run{{Text: name, Font: notice.FontFang}}, bodySize)
		x := nx + width(ng, bodySize)
		lines := breakLines(gs, areaW-x, areaW-x, tcFor(bodySize))
		for j, l := range lines {
			k := t.room(1)
			if i == 0 && j == 0 {
				t.setLine(label, areaL+lx, baseline(k), bodySize, 0, false, black)
			}
			if j == 0 {
				t.setLine(ng, areaL+nx, baseline(k), bodySize, 0, false, black)
			}
			t.setLine(l, areaL+x, baseline(k), bodySize, areaW-x, j < len(lines)-1, black)
			t.line++
		}
	}
}

// table sets a body table: columns as wide as their content allows, text on
// the grid, 0.5pt rules.
func (t *typesetter) table(e *notice.Element) {
	tb := e.Table
	if tb == nil {
		return
	}
	rows := append([][]notice.Cell{}, tb.Rows...)
	if len(tb.Head) > 0 {
		rows = append([][]notice.Cell{tb.Head}, rows...)
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	_, left := indents(e)
	avail := areaW - left
	pad := bodySize / 2
	// Natural widths, then shrink the widest columns until the table fits.
	want := make([]float64, cols)
	for _, r := range rows {
		for c, cell := range r {
			want[c] = max(want[c], width(t.glyphs(cell.Runs, bodySize), bodySize)+2*pad)
		}
	}
	minW := bodySize*2 + 2*pad
	for c := range want {
		want[c] = max(want[c], minW)
	}
	for total := sum(want); total > avail; total = sum(want) {
		widest := 0
		for c := range want {
			if want[c] > want[widest] {
				widest = c
			}
		}
		if want[widest] <= minW {
			for c := range want {
				want[c] = avail / float64(cols)
			}
			break
		}
		want[widest] = max(minW, want[widest]-(total-avail))
	}
	x0 := areaL + left + (avail-sum(want))/2
	x1 := x0 + sum(want)
	const rule = 0.5
	for ri, r := range rows {
		cellLines := make([][][]glyph, cols)
		n := 1
		for c := range cols {
			if c < len(r) {
				gs := t.glyphs(r[c].Runs, bodySize)
				if ri == 0 && len(tb.Head) > 0 {
					for i := range gs {
						gs[i].style |= notice.Bold
					}
				}
				cellLines[c] = breakLines(gs, want[c]-2*pad, want[c]-2*pad, tcFor(bodySize))
				n = max(n, len(cellLines[c]))
			}
		}
		n = min(n, linesPerPage)
		first := t.room(n)
		top := lineTop(first) - (pitch-bodySize)/2
		if ri == 0 || first == 0 {
			t.cur.lines = append(t.cur.lines, hline(x0, x1, top, rule, black))
		}
		x := x0
		for c := range cols {
			for li, l := range cellLines[c] {
				if li >= n {
					break
				}
				align := notice.AlignNone
				if c < len(tb.Align) {
					align = tb.Align[c]
				}
				lx := x + pad
				w := width(l, bodySize)
				switch align {
				case notice.AlignCenter:
					lx = x + (want[c]-w)/2
				case notice.AlignRight:
					lx = x + want[c] - pad - w
				}
				t.setLine(l, lx, baseline(first+li), bodySize, 0, false, black)
			}
			x += want[c]
		}
		bottom := top + float64(n)*pitch
		t.cur.lines = append(t.cur.lines, hline(x0, x1, bottom, rule, black))
		x = x0
		for c := 0; c <= cols; c++ {
			t.cur.lines = append(t.cur.lines, vline(x, top, bottom, rule))
			if c < cols {
				x += want[c]
			}
		}
		t.line = first + n
	}
}

// vline is a vertical rule.
func vline(x, top, bottom, w float64) lineOp {
	return lineOp{x1: x, y1: top, x2: x, y2: bottom, w: w, color: black}
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// signature sets 署名, 成文日期, the seal and the 附注 [7.3.5, 7.3.6]: a
// letter's contact line and its 附注 are two, on consecutive lines.
func (t *typesetter) signature(es []notice.Element, sealed bool) {
	var signer, date, seal *notice.Element
	var notes []*notice.Element
	for i := range es {
		switch es[i].Kind {
		case notice.KindSigner:
			signer = &es[i]
		case notice.KindDate:
			date = &es[i]
		case notice.KindNote:
			notes = append(notes, &es[i])
		case notice.KindSeal:
			seal = &es[i]
		}
	}
	var sg, dg []glyph
	if signer != nil {
		sg = t.glyphs(signer.Runs, bodySize)
	}
	if date != nil {
		dg = t.glyphs(date.Runs, bodySize)
	}
	sw, dw := width(sg, bodySize), width(dg, bodySize)
	var sx, dx float64 // from the type area's left edge
	need := 3          // blank line, 署名, 成文日期
	if sealed {
		// Date four characters in from the right; 署名 centred over it [7.3.5.1].
		dx = areaW - 4*cell - dw
		sx = dx + (dw-sw)/2
		need = 4
	} else {
		// 署名 two characters in from the right; the date two characters
		// right of the 署名's start, or, if longer, two in from the right
		// with the 署名 moved left to keep the offset [7.3.5.2].
		sx = areaW - 2*cell - sw
		dx = sx + 2*cell
		if dx+dw > areaW-2*cell {
			dx = areaW - 2*cell - dw
			sx = dx - 2*cell
		}
	}
	need += len(notes)
	if t.line+need > linesPerPage {
		t.carry(2)
	}
	k := t.room(need)
	if k > 0 {
		k++ // the blank line
		if sealed {
			k++
		}
	}
	if signer != nil {
		t.setLine(sg, areaL+sx, baseline(k), bodySize, 0, false, black)
	}
	if date != nil {
		t.setLine(dg, areaL+dx, baseline(k+1), bodySize, 0, false, black)
	}
	if seal != nil {
		if w, h, ok := pngSize(seal.Image); ok {
			sh := sealWidth * h / w
			// Centred on the date, the 署名 and date a little below the
			// seal's centre.
			cx := areaL + dx + dw/2
			cy := lineTop(k) + bodySize/2
			t.cur.images = append(t.cur.images, imageOp{png: seal.Image, x: cx - sealWidth/2, y: cy - sh/2, w: sealWidth, h: sh})
		}
	}
	t.line = k + 2
	for _, note := range notes {
		t.paragraph(t.glyphs(note.Runs, bodySize), 2*cell, 0, true)
	}
}

// carry moves the last n body lines of the current page to a new page, so
// that the signature that follows never stands on a page without body
// text [7.3.5]. It does nothing unless those lines are the page's last
// marks and leave body text behind.
func (t *typesetter) carry(n int) {
	s := t.cur
	m := len(s.marks)
	if m <= n || s.marks[m-1].k != t.line-1 {
		return
	}
	from := s.marks[m-n]
	if s.marks[m-1].k-from.k != n-1 {
		return // not consecutive lines (a table or a break between)
	}
	texts := append([]textOp(nil), s.texts[from.texts:]...)
	lines := append([]lineOp(nil), s.lines[from.lines:]...)
	s.texts, s.lines, s.marks = s.texts[:from.texts], s.lines[:from.lines], s.marks[:m-n]
	dy := lineTop(0) - lineTop(from.k)
	next := t.newSheet(sheetContent)
	for _, op := range texts {
		op.y += dy
		next.texts = append(next.texts, op)
	}
	for _, op := range lines {
		op.y1 += dy
		op.y2 += dy
		next.lines = append(next.lines, op)
	}
	t.line = n
}

// pngSize reads a PNG's dimensions.
func pngSize(b []byte) (w, h float64, ok bool) {
	c, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || c.Width == 0 || c.Height == 0 {
		return 0, 0, false
	}
	return float64(c.Width), float64(c.Height), true
}

// record sets the 版记 at the foot of the last page, which must be even:
// its last rule on the type area's bottom edge; 抄送 and 印发 rows one line
// pitch each, 4号 仿宋, one character in from either side [7.4]. A
// letter's has neither rules nor 印发 row: its rows stand on the grid's
// last lines, the characters of the last on the type area's bottom edge,
// where the 22nd line's are [10.1].
func (t *typesetter) record(es []notice.Element, letter bool) {
	if len(es) == 0 {
		return
	}
	ind := recordSize // one character of 4号
	type row struct {
		gs   [][]glyph // left part, wrapped
		x    []float64
		rgs  []glyph // right part (印发日期)
		thin bool    // a thin rule below
	}
	var rows []row
	for _, e := range es {
		switch e.Kind {
		case notice.KindCC:
			label := t.glyphs([]notice.Run{{Text: "抄送：", Font: notice.FontFang}}, recordSize)
			list := t.glyphs([]notice.Run{{Text: strings.Join(e.Items, "，") + "。", Font: notice.FontFang}}, recordSize)
			lx := ind + width(label, recordSize)
			lines := breakLines(list, areaW-lx-ind, areaW-lx-ind, tcFor(recordSize))
			for i, l := range lines {
				r := row{gs: [][]glyph{l}, x: []float64{lx}}
				if i == 0 {
					r.gs = append(r.gs, label)
					r.x = append(r.x, ind)
				}
				r.thin = i == len(lines)-1
				rows = append(rows, r)
			}
		case notice.KindImprint:
			rows = append(rows, row{gs: [][]glyph{t.glyphs(e.Runs, recordSize)}, x: []float64{ind}, rgs: t.glyphs(e.Right, recordSize)})
		}
	}
	n := len(rows)
	// Where does it go? On the current page if that page is even and has
	// room; else on the next even page, after a blank page if needed.
	pageNo := len(t.sheets)
	// A blank line at least between the last text and the 版记's first
	// rule: n rows of one pitch reach 0.46 of a pitch above grid line 22-n.
	fits := t.line <= linesPerPage-n-1
	switch {
	case pageNo%2 == 0 && fits:
	case pageNo%2 == 1:
		t.newSheet(sheetRecord)
	default:
		t.newSheet(sheetBlank)
		t.newSheet(sheetRecord)
	}
	bottom := areaT + areaH
	top := bottom - float64(n)*pitch
	if !letter {
		t.cur.lines = append(t.cur.lines, hline(areaL, areaL+areaW, top+thickRule/2, thickRule, black))
	}
	for i, r := range rows {
		rt := top + float64(i)*pitch
		base := rt + (pitch-recordSize)/2 + emAscent*recordSize
		if letter {
			base = rt + pitch - recordSize + emAscent*recordSize
		}
		for j, gs := range r.gs {
			t.setLine(gs, areaL+r.x[j], base, recordSize, 0, false, black)
		}
		if len(r.rgs) > 0 {
			t.setLine(r.rgs, areaL+areaW-ind-width(r.rgs, recordSize), base, recordSize, 0, false, black)
		}
		if !letter && i < n-1 && r.thin {
			t.cur.lines = append(t.cur.lines, hline(areaL, areaL+areaW, rt+pitch, thinRule, black))
		}
	}
	if !letter {
		t.cur.lines = append(t.cur.lines, hline(areaL, areaL+areaW, bottom-thickRule/2, thickRule, black))
	}
}

// number gives every content page its number: "— n —", 4号 宋体, the dash
// 7mm below the type area, odd pages right and even pages left, one
// character in. Blank pages before the 版记 and a page holding only the
// 版记 get none [7.5], nor does a letter's first page [10.1].
func (t *typesetter) number(letter bool) {
	top, bottom := t.fonts.ink(notice.FontSong, "—")
	mid := (top + bottom) / 2
	for i, s := range t.sheets {
		if s.kind != sheetContent || letter && i == 0 {
			continue
		}
		n := i + 1
		s.folio = n
		text := "— " + strconv.Itoa(n) + " —"
		gs := t.glyphs([]notice.Run{{Text: text, Font: notice.FontSong}}, folioSize)
		w := 0.0
		for _, g := range gs {
			w += g.adv
		}
		x := areaL + folioSize
		if n%2 == 1 {
			x = areaL + areaW - folioSize - w
		}
		base := areaT + areaH + folioGap + mid*folioSize
		s.texts = append(s.texts, textOp{x: x, y: base, font: notice.FontSong, size: folioSize, text: text, color: black})
	}
}
