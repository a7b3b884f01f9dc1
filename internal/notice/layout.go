package notice

import (
	"bytes"
	stdhtml "html"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/docflow/docflow/internal/workflow"
)

// Document is the layout model of one notice: its elements in reading
// order, each tagged with what it is under GB/T 9704-2012. It is the single
// description behind every output: HTML (html.go), PDF (pdf.go) and .docx
// (docx.go). A writer walks Elements in order and lays each out by its Kind;
// it never looks at Markdown or at workflow.Notice.
//
// Elements come in three parts, in this order (see Kind.Part):
//
//	版头 head:    KindMark, KindNumber, KindRedRule
//	主体 body:    KindTitle, KindAddressee, the 正文 (KindParagraph,
//	             KindHeading, KindTable, KindCode, KindBreak, KindOmitted),
//	             KindAttachments, KindSeal, KindSigner, KindDate, KindNote
//	             then each 附件 page: KindAttachmentLabel, KindAttachmentTitle
//	             and the attachment's own body elements
//	版记 record:  KindCC, KindImprint
//
// A letter (信函格式, Letter true) has another 版头 and no 印发 line:
//
//	版头 head:    KindMark, KindDoubleRule, KindResult, KindNumber,
//	             KindFootRule
//	主体 body:    as above; its KindNote elements are the contact line
//	             and then the 附注
//	版记 record:  KindCC
//
// Optional elements are absent, not empty: a preview without a number has
// no KindNumber, a notice without 抄送 has no KindCC.
type Document struct {
	Elements []Element

	// Substitutions lists every font substitution the outputs make, as
	// "standard face → font used" (方正小标宋 → FandolSong-Bold). Writers
	// record them where the format allows (PDF metadata, the page's meta).
	Substitutions []string

	// Faces names the office's own typeface for a face of the standard
	// (FontFang → "仿宋_GB2312"), as a writer that reads the office's font
	// files (the PDF's) sets it; the .docx, written after it, names them.
	// Nil: the standard's names.
	Faces map[Font]string

	// Upward is true for a 上行文 (a report to a higher organ that carries
	// 签发人): the number is then flush left one character in, and the
	// KindNumber element has Right runs [7.2.5–7.2.6].
	Upward bool

	// Sealed is true when a KindSeal element is present: 署名 and 成文日期
	// then follow 7.3.5.1 (date four characters in from the right, 署名
	// centred over it), otherwise 7.3.5.2 (署名 two characters in from the
	// right, date two characters right of the 署名's start).
	Sealed bool

	// Letter is true for a letter in 信函格式 [10.1], the 答复函 that
	// answers a deputy's suggestion or a member's proposal: the mark's top
	// edge 30mm below the top of the paper, a red double line under it and
	// another near the foot of the first page, the number flush right
	// under the first, no page number on the first page, and a 版记 of
	// 抄送 alone, without rules.
	Letter bool

	// Number and Title repeat the 发文字号 and 标题 as plain text for
	// metadata (PDF Info, the HTML <title>, docx core properties).
	Number, Title string
}

// The red double lines of a letter [10.1]. The standard fixes their
// length (170mm), colour and places, and which line is the thick one,
// but not how thick the lines are nor how far apart: these three are
// office practice's, not the standard's — 1.5磅 and 0.75磅, widths Word
// and WPS offer, 0.1mm apart, as a published how-to for offices draws the
// red double line in Word (together about 0.9mm). Every writer draws them
// with these values. Points.
const (
	LetterRuleLength = 170 * 72 / 25.4 // 170mm [10.1]
	LetterRuleThick  = 1.5             // the thick line (0.53mm), practice
	LetterRuleThin   = 0.75            // the thin line (0.26mm), practice
	LetterRuleGap    = 0.1 * 72 / 25.4 // between them, edge to edge (0.1mm), practice
)

// Kind says what an element is. Writers switch on it; unknown kinds
// (added later) should be laid out as KindParagraph.
type Kind int

// Element kinds, with the clause of GB/T 9704-2012 they follow.
const (
	// KindMark is the 发文机关标志: Runs (font FontXBS, red), centred, on
	// one line at Size points (the largest size up to 42pt at which it
	// fits the type area); its top edge 35mm below the type area's top
	// [7.2.4], a letter's 30mm below the paper's top [10.1].
	KindMark Kind = iota + 1
	// KindNumber is the 发文字号 (Runs), two lines below the mark, centred;
	// for a 上行文 it is flush left one character in and Right holds
	// "签发人：" (仿宋) and the names (楷体) at the right, one character in [7.2.5–7.2.6].
	// A letter's is flush right at the type area's edge, 7/8 of a 3号
	// character's height below the first double line [10.1].
	KindNumber
	// KindRedRule is the red rule across the type area 4mm below the
	// 发文字号 [7.2.7]. It has no runs.
	KindRedRule
	// KindTitle is the 标题: 2号 (22pt) FontXBS, centred, two lines below
	// the red rule. Breaks holds the rune offsets in Title's text where a
	// line should break so that lines form a trapezoid and no word is split
	// [7.3.1]; a writer that cannot break there may ignore them.
	KindTitle
	// KindAddressee is the 主送机关 line ending in a full-width colon,
	// flush left, one line below the title [7.3.2].
	KindAddressee
	// KindParagraph is a paragraph of the 正文: 3号 仿宋, first line
	// indented two characters [7.3.3]. If Level > 0 the paragraph opens
	// with a run-in heading of that outline level: its leading runs have
	// Heading == Level and the level's font. Inside a list or quote (Boxes)
	// the indent follows the box; Plain marks the text of a tight list item
	// (HTML writes it without <p>).
	KindParagraph
	// KindHeading is a heading standing on its own line: Level 1–4, Runs
	// start with the outline number (一、 （一） 1. （1）), font by level:
	// 1 黑体, 2 楷体, 3 and 4 仿宋; indented two characters like a paragraph [7.3.3].
	KindHeading
	// KindTable is a table in the body; Table holds its cells.
	KindTable
	// KindCode is preformatted text (a fenced code block): Runs hold the
	// text with its newlines; Lang the info string. Laid out in 仿宋, lines kept.
	KindCode
	// KindBreak is a thematic break (---). Writers may draw a short rule or
	// leave a blank line.
	KindBreak
	// KindOmitted stands where the body had raw HTML, which is never
	// shown, in any output: the HTML writer leaves a comment, the others
	// nothing.
	KindOmitted
	// KindAttachments is the 附件说明, one line below the 正文, two
	// characters in: "附件：" then Items, numbered "1." "2." when more than
	// one; continuation lines align after "附件：" [7.3.4].
	KindAttachments
	// KindSeal is the 印章 image (Image, PNG), pressing 署名 and 成文日期
	// [7.3.5.1]. It precedes KindSigner.
	KindSeal
	// KindSigner is the 署名 (Runs) [7.3.5].
	KindSigner
	// KindDate is the 成文日期 (Runs, "2025年12月22日") [7.3.5].
	KindDate
	// KindNote is the 附注, Runs already in （）, two characters in, one
	// line below the date [7.3.6]. A letter may have two, on consecutive
	// lines: the contact line (联系人 and 联系电话, the 附注 a reply
	// carries) and then the notice's own 附注.
	KindNote
	// KindCC is the 抄送 of the 版记: 4号 仿宋, Items are the organs;
	// printed "抄送：甲，乙，丙。", one character in, continuation lines
	// aligned after the colon [7.4.2].
	KindCC
	// KindImprint is the last line of the 版记: Runs hold the 印发机关 (one
	// character in from the left) and Right the 印发日期 followed by 印发
	// (one character in from the right) [7.4.3]. Its bottom rule is the
	// last line of the type area of the last, even page [7.4.1].
	KindImprint
	// KindAttachmentLabel starts a 附件 page: a new page, "附件" or "附件2"
	// in 3号 黑体 flush left on the type area's first line. The
	// attachment's title (KindAttachmentTitle) and body elements follow,
	// before the 版记 [8 附件].
	KindAttachmentLabel
	// KindAttachmentTitle is the title of a 附件, centred on the third line
	// of its page, 2号 小标宋 like the document title (Breaks as KindTitle).
	KindAttachmentTitle
	// KindDoubleRule is a letter's first red double line, thick above thin
	// (上粗下细), LetterRuleLength long and centred like the mark, its top
	// 4mm below the mark [10.1]. It has no runs.
	KindDoubleRule
	// KindResult is what a letter prints where the 份号 would stand: flush
	// left at the type area's edge, on the line of the number, 7/8 of a
	// 3号 character's height below the first double line [10.1]. An
	// 答复函 prints there the 办理结果 category (A, B or C), 3号 仿宋.
	KindResult
	// KindFootRule is a letter's second red double line, thin above thick
	// (上细下粗), LetterRuleLength long and centred, its lower edge 20mm
	// above the bottom edge of the first page [10.1]. It has no runs and
	// stands on the first page only: clause 10.1 places both lines by the
	// mark and the paper's edges as the first page has them (its figure is
	// of the first page), and letter templates draw them there alone.
	KindFootRule
)

var kindNames = [...]string{
	KindMark: "发文机关标志", KindNumber: "发文字号", KindRedRule: "分隔线", KindTitle: "标题",
	KindAddressee: "主送机关", KindParagraph: "段落", KindHeading: "标题层次", KindTable: "表格",
	KindCode: "代码", KindBreak: "分隔", KindOmitted: "略去的HTML", KindAttachments: "附件说明",
	KindSeal: "印章", KindSigner: "署名", KindDate: "成文日期", KindNote: "附注",
	KindCC: "抄送", KindImprint: "印发机关和印发日期", KindAttachmentLabel: "附件标识", KindAttachmentTitle: "附件标题",
	KindDoubleRule: "红色双线（上粗下细）", KindResult: "办理结果", KindFootRule: "红色双线（上细下粗）",
}

// String returns the standard's name for k.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Part is one of the three parts of a document [7.1].
type Part int

// The parts of a document.
const (
	Head   Part = iota + 1 // 版头
	Main                   // 主体
	Record                 // 版记
)

// Part returns the part an element of kind k belongs to.
func (k Kind) Part() Part {
	switch k {
	case KindMark, KindNumber, KindRedRule, KindDoubleRule, KindResult, KindFootRule:
		return Head
	case KindCC, KindImprint:
		return Record
	}
	return Main
}

// Element is one laid-out element of a notice. Which fields matter
// depends on Kind (see the Kind constants); the rest are zero.
type Element struct {
	Kind Kind

	// Level is the outline level 1–4 of a KindHeading, or of the run-in
	// heading that opens a KindParagraph (0: none).
	Level int

	// Runs is the element's text, split where font or style changes.
	Runs []Run

	// Right holds the runs set flush right on the same line: 签发人 on a
	// 上行文's KindNumber, the 印发日期 on KindImprint.
	Right []Run

	// Size is the font size in points when it differs from the kind's
	// default (KindMark only, today).
	Size float64

	// Breaks are rune offsets into the concatenated Runs text where a
	// KindTitle should break its lines.
	Breaks []int

	// Items lists the entries of KindAttachments (附件 names) and KindCC
	// (organs), without numbering or punctuation.
	Items []string

	// Boxes are the block quotes, lists and list items around a body
	// element, outermost first. Two elements are in the same box when the
	// boxes' IDs are equal.
	Boxes []Box

	// Plain marks a KindParagraph that is the bare text of a tight list
	// item (no paragraph spacing; HTML writes no <p>).
	Plain bool

	// Table holds the cells of a KindTable.
	Table *Table

	// Lang is the info string of a KindCode block (```go → "go").
	Lang string

	// Image is the PNG of a KindSeal.
	Image []byte
}

// Text returns the element's text: its runs concatenated.
func (e *Element) Text() string { return runsText(e.Runs) }

// RightText returns the text of e's Right runs.
func (e *Element) RightText() string { return runsText(e.Right) }

func runsText(rs []Run) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text)
	}
	return b.String()
}

// Run is text in one font and style.
type Run struct {
	Text string
	Font Font
	// Style is a set of inline styles from the Markdown (**, *, ~~, `).
	Style Style
	// Heading is the outline level of the run-in heading this run belongs
	// to (0: body text). Set on the first runs of a KindParagraph.
	Heading int
	// Link is the target of a Markdown link, already checked safe (empty
	// when dangerous, e.g. javascript:). Only HTML uses it.
	Link string
	// Omitted marks inline raw HTML that was left out (Text is empty):
	// raw HTML is never shown, in any output. HTML writes a comment in its
	// place; other writers skip the run.
	Omitted bool
}

// Style is a set of inline styles.
type Style uint8

// Inline styles.
const (
	Bold   Style = 1 << iota // **strong**
	Italic                   // *emphasis*
	Strike                   // ~~deleted~~
	Code                     // `code`
)

// Font names the typeface a run is set in, by the standard's name for it.
// Substitute gives the free font that stands in for it.
type Font int

// Typefaces of GB/T 9704.
const (
	FontFang Font = iota // 仿宋: body text, levels 3 and 4, 版记
	FontHei              // 黑体: level 1 headings, "附件" labels
	FontKai              // 楷体: level 2 headings, 签发人 names
	FontSong             // 宋体: page numbers
	FontXBS              // 小标宋: the 发文机关标志 and the title
)

var fontNames = [...]struct{ standard, substitute string }{
	FontFang: {"仿宋", "FandolFang-Regular"},
	FontHei:  {"黑体", "FandolHei-Regular"},
	FontKai:  {"楷体", "FandolKai-Regular"},
	FontSong: {"宋体", "FandolSong-Regular"},
	FontXBS:  {"方正小标宋", "FandolSong-Bold"},
}

// String returns the standard's name of f (仿宋, 黑体, …).
func (f Font) String() string {
	if f >= 0 && int(f) < len(fontNames) {
		return fontNames[f].standard
	}
	return "Font(" + strconv.Itoa(int(f)) + ")"
}

// Substitute returns the PostScript name of the free font docflow embeds
// for f (FandolFang-Regular, …).
func (f Font) Substitute() string {
	if f >= 0 && int(f) < len(fontNames) {
		return fontNames[f].substitute
	}
	return fontNames[FontFang].substitute
}

// Box is a container around body elements.
type Box struct {
	Kind BoxKind
	// ID is unique within a document: consecutive elements with the same
	// ID at the same depth are in the same container.
	ID int
	// Ordered, Start and Tight describe a BoxList.
	Ordered bool
	Start   int
	Tight   bool
	// Marker is a BoxItem's marker: "1." for ordered lists, "•" otherwise.
	Marker string
}

// BoxKind is the kind of a Box.
type BoxKind int

// Box kinds.
const (
	BoxQuote BoxKind = iota + 1 // a block quote, indented two characters
	BoxList                     // a list
	BoxItem                     // one item of a list; its first element shows Marker
)

// Table is the content of a KindTable.
type Table struct {
	Align []Align  // per column
	Head  []Cell   // header row; may be empty
	Rows  [][]Cell // body rows
}

// Cell is one table cell.
type Cell struct {
	Runs []Run
}

// Align is a table column's alignment.
type Align int

// Column alignments.
const (
	AlignNone Align = iota
	AlignLeft
	AlignCenter
	AlignRight
)

// Extras carries what a notice may print beyond workflow.Notice's fields
// (附注, 附件说明, 签发人, seal), until the domain type holds them.
type Extras struct {
	Note        string   // 附注, without the （）
	Attachments []string // 附件 names, in order
	// AttachmentBodies holds the Markdown of each 附件, in Attachments'
	// order; an attachment with a body gets pages of its own after the
	// 附注, before the 版记. Missing or empty entries get none.
	AttachmentBodies []string
	Signatories      []string // 签发人 names; non-empty makes the notice a 上行文
	Seal             []byte   // PNG of the organisation's seal; nil: unsealed
	// TitleWords are names no title line may split: the issuer of the
	// opinion answered, its session, a regulation. The notice's own
	// organisation (署名, 印发机关, 发文机关标志) and the names cited in
	// the title's 《》 and 〈〉 are added to them.
	TitleWords []string
}

// substitution is recorded in every Document: 方正小标宋 has no free
// equivalent (FZXiaoBiaoSong is proprietary).
const substitution = "方正小标宋 → FandolSong-Bold"

// Layout builds the layout model of n from its fields and its Markdown
// body (through goldmark, with the outline levels numbered). Fields a
// preview lacks (number, dates) leave their elements out.
func (r *Renderer) Layout(n *workflow.Notice) (*Document, error) {
	return r.LayoutWith(n, Extras{})
}

// LayoutWith is Layout with the optional elements of x.
func (r *Renderer) LayoutWith(n *workflow.Notice, x Extras) (*Document, error) {
	return r.layout(n, x, true)
}

// layout is LayoutWith; without breakTitles, titles have no Breaks. The
// page alone needs none (the browser sets the title's lines), so a
// preview never reads a dictionary for them.
func (r *Renderer) layout(n *workflow.Notice, x Extras, breakTitles bool) (*Document, error) {
	if x.Seal == nil {
		x.Seal = n.Seal
	}
	if x.Note == "" {
		x.Note = n.Note // the 附注 the office decided at publication
	}
	if len(x.Attachments) == 0 {
		x.Attachments = n.Attachments // the report's attachments (附件说明)
	}
	letter := n.Letter != nil
	d := &Document{
		Number:        strings.TrimSpace(n.Number),
		Title:         strings.TrimSpace(n.Title),
		Upward:        len(x.Signatories) > 0 && !letter, // a letter has no place for 签发人 [10.1]
		Sealed:        len(x.Seal) > 0,
		Letter:        letter,
		Substitutions: []string{substitution},
	}
	add := func(e Element) { d.Elements = append(d.Elements, e) }
	fang := func(s string) []Run { return []Run{{Text: s, Font: FontFang}} }

	// A letter's mark is sized as a report's: the standard leaves its size
	// to the office [10.1], and the largest size up to 42pt that keeps it
	// on one line suits both a short department name and a long one.
	add(Element{Kind: KindMark, Runs: []Run{{Text: n.Mark, Font: FontXBS}}, Size: MarkSize(n.Mark)})
	switch {
	case letter:
		add(Element{Kind: KindDoubleRule})
		if res := strings.TrimSpace(n.Letter.Result); res != "" {
			add(Element{Kind: KindResult, Runs: fang(res)})
		}
		if d.Number != "" {
			add(Element{Kind: KindNumber, Runs: fang(n.Number)})
		}
		add(Element{Kind: KindFootRule})
	default:
		if d.Number != "" {
			e := Element{Kind: KindNumber, Runs: fang(n.Number)}
			if d.Upward {
				e.Right = []Run{{Text: "签发人：", Font: FontFang}, {Text: strings.Join(x.Signatories, "　"), Font: FontKai}}
			}
			add(e)
		}
		add(Element{Kind: KindRedRule})
	}
	words := append([]string{n.Signer, n.Office, strings.TrimSuffix(strings.TrimSpace(n.Mark), "文件")}, x.TitleWords...)
	lines := func(title string) []int {
		if !breakTitles {
			return nil
		}
		return titleBreaks(title, TitleChars, words, r.segmenter())
	}
	add(Element{Kind: KindTitle, Runs: []Run{{Text: n.Title, Font: FontXBS}}, Breaks: lines(n.Title)})
	if a := strings.TrimRight(strings.TrimSpace(n.Addressee), "：:"); a != "" {
		add(Element{Kind: KindAddressee, Runs: fang(a + "：")})
	}

	body, err := r.bodyElements(n.Body)
	if err != nil {
		return nil, err
	}
	d.Elements = append(d.Elements, body...)

	names := make([]string, len(x.Attachments))
	for i, a := range x.Attachments {
		names[i] = attachmentName(a)
	}
	if len(names) > 0 {
		add(Element{Kind: KindAttachments, Items: names})
	}
	if d.Sealed {
		add(Element{Kind: KindSeal, Image: x.Seal})
	}
	add(Element{Kind: KindSigner, Runs: fang(n.Signer)})
	if !n.Date.IsZero() {
		add(Element{Kind: KindDate, Runs: fang(workflow.DateCN(n.Date))})
	}
	if letter {
		if c := contactLine(n.Letter); c != "" {
			add(Element{Kind: KindNote, Runs: fang(c)})
		}
	}
	if note := strings.TrimSpace(x.Note); note != "" {
		note = strings.TrimSuffix(strings.TrimPrefix(note, "（"), "）")
		add(Element{Kind: KindNote, Runs: fang("（" + note + "）")})
	}
	for i, name := range names {
		if i >= len(x.AttachmentBodies) || strings.TrimSpace(x.AttachmentBodies[i]) == "" {
			continue
		}
		label := "附件"
		if len(x.Attachments) > 1 {
			label += strconv.Itoa(i + 1)
		}
		add(Element{Kind: KindAttachmentLabel, Runs: []Run{{Text: label, Font: FontHei}}})
		add(Element{Kind: KindAttachmentTitle, Runs: []Run{{Text: name, Font: FontXBS}}, Breaks: lines(name)})
		es, err := r.bodyElements(x.AttachmentBodies[i])
		if err != nil {
			return nil, err
		}
		d.Elements = append(d.Elements, es...)
	}
	if len(n.CC) > 0 {
		add(Element{Kind: KindCC, Items: n.CC})
	}
	if letter {
		return d, nil // a letter's 版记 has no 印发机关 nor 印发日期 [10.1]
	}
	imp := Element{Kind: KindImprint, Runs: fang(n.Office)}
	if !n.Printed.IsZero() {
		imp.Right = fang(workflow.DateCN(n.Printed) + "印发")
	}
	add(imp)
	return d, nil
}

// contactLine is a reply's contact line, "（联系人：张某某，联系电话：
// 021-12345678）", printed where the 附注 goes [7.3.6]: the 附注 is where a
// document gives its 联系人 and 联系电话. What is empty is left out; ""
// when both are.
func contactLine(l *workflow.Letter) string {
	var parts []string
	if c := strings.TrimSpace(l.Contact); c != "" {
		parts = append(parts, "联系人："+c)
	}
	if p := strings.TrimSpace(l.Phone); p != "" {
		parts = append(parts, "联系电话："+p)
	}
	if len(parts) == 0 {
		return ""
	}
	return "（" + strings.Join(parts, "，") + "）"
}

// Lines returns the text of d as it reads, in order, one line for each
// element with text: a 抄送 as "抄送：甲，乙。", the 附件说明 as "附件："
// and its items, 签发人 and 印发日期 (the text at the right of a line) as
// lines of their own. Rules and the seal have no text. Tests compare it
// with what each output shows.
func (d *Document) Lines() []string {
	var out []string
	for i := range d.Elements {
		e := &d.Elements[i]
		switch e.Kind {
		case KindCC:
			out = append(out, "抄送："+strings.Join(e.Items, "，")+"。")
		case KindAttachments:
			for j, l := range attachmentLines(e.Items) {
				if j == 0 {
					l = "附件：" + l
				}
				out = append(out, l)
			}
		default:
			if t := e.Text(); t != "" {
				out = append(out, t)
			}
			if t := e.RightText(); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// attachmentName is an attachment's name without a number its writer
// typed ("1. 工作清单", "2、统计表"): the writers number attachments
// themselves [7.3.4], so a typed number would print twice.
func attachmentName(s string) string {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 2 {
		return s // no number, or a year such as 2025年
	}
	rest := s[i:]
	for _, sep := range []string{".", "．", "、"} {
		if after, ok := strings.CutPrefix(rest, sep); ok {
			if after = strings.TrimSpace(after); after != "" && (after[0] < '0' || after[0] > '9') {
				return after // not a decimal such as 1.5亿元
			}
		}
	}
	return s
}

// bodyElements parses a Markdown body and converts its AST to elements.
func (r *Renderer) bodyElements(md string) ([]Element, error) {
	bounded, aside := bound(clean(md))
	src := []byte(bounded)
	doc := r.md().Parser().Parse(text.NewReader(src))
	c := converter{src: src, aside: aside}
	c.blocks(doc)
	return c.out, nil
}

// converter turns the goldmark AST of a body into elements.
type converter struct {
	src   []byte
	aside []string // the text of bound's placeholders
	out   []Element
	boxes []Box
	ids   int
}

func (c *converter) blocks(parent ast.Node) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		c.block(n)
	}
}

func (c *converter) emit(e Element) {
	e.Runs = mergeRuns(e.Runs)
	if len(c.boxes) > 0 {
		e.Boxes = append([]Box(nil), c.boxes...)
	}
	c.out = append(c.out, e)
}

func (c *converter) push(b Box) {
	c.ids++
	b.ID = c.ids
	c.boxes = append(c.boxes, b)
}

func (c *converter) pop() { c.boxes = c.boxes[:len(c.boxes)-1] }

func (c *converter) block(n ast.Node) {
	switch n := n.(type) {
	case *heading:
		e := Element{Kind: KindHeading, Level: n.Level}
		f := LevelFont(n.Level)
		e.Runs = append(e.Runs, Run{Text: n.Label, Font: f})
		e.Runs = c.inlines(n, f, 0, e.Runs)
		c.emit(e)
	case *ast.Heading: // not reached: numberer replaces every heading
		e := Element{Kind: KindHeading, Level: min(max(n.Level, 1), MaxLevel)}
		e.Runs = c.inlines(n, LevelFont(e.Level), 0, nil)
		c.emit(e)
	case *ast.Paragraph, *ast.TextBlock:
		e := Element{Kind: KindParagraph}
		_, e.Plain = n.(*ast.TextBlock)
		first := n.FirstChild()
		if ri, ok := first.(*runIn); ok {
			e.Level = ri.Level
			f := LevelFont(ri.Level)
			e.Runs = append(e.Runs, Run{Text: ri.Label, Font: f, Heading: ri.Level})
			e.Runs = c.inlines(ri, f, 0, e.Runs)
			for i := range e.Runs {
				e.Runs[i].Heading = ri.Level
			}
			e.Runs = c.inlinesFrom(ri.NextSibling(), FontFang, 0, e.Runs)
		} else {
			e.Runs = c.inlines(n, FontFang, 0, nil)
		}
		c.emit(e)
	case *ast.Blockquote:
		c.push(Box{Kind: BoxQuote})
		c.blocks(n)
		c.pop()
	case *ast.List:
		c.push(Box{Kind: BoxList, Ordered: n.IsOrdered(), Start: n.Start, Tight: n.IsTight})
		num := n.Start
		for it := n.FirstChild(); it != nil; it = it.NextSibling() {
			marker := "•"
			if n.IsOrdered() {
				marker = strconv.Itoa(num) + "."
				num++
			}
			c.push(Box{Kind: BoxItem, Marker: marker})
			if it.FirstChild() == nil {
				c.emit(Element{Kind: KindParagraph, Plain: true})
			}
			c.blocks(it)
			c.pop()
		}
		c.pop()
	case *ast.FencedCodeBlock:
		text := c.lines(n)
		if i, ok := c.placeholder(text); ok {
			c.emit(Element{Kind: KindCode, Runs: []Run{{Text: c.aside[i], Font: FontFang, Style: Code}}})
			return
		}
		c.emit(Element{Kind: KindCode, Runs: []Run{{Text: text, Font: FontFang, Style: Code}}, Lang: string(n.Language(c.src))})
	case *ast.CodeBlock:
		c.emit(Element{Kind: KindCode, Runs: []Run{{Text: c.lines(n), Font: FontFang, Style: Code}}})
	case *ast.HTMLBlock:
		c.emit(Element{Kind: KindOmitted})
	case *ast.ThematicBreak:
		c.emit(Element{Kind: KindBreak})
	case *east.Table:
		c.emit(Element{Kind: KindTable, Table: c.table(n)})
	default:
		// Unknown blocks (from extensions added later): keep their text.
		if n.Type() == ast.TypeBlock && n.HasChildren() {
			if n.FirstChild().Type() == ast.TypeInline {
				c.emit(Element{Kind: KindParagraph, Runs: c.inlines(n, FontFang, 0, nil)})
			} else {
				c.blocks(n)
			}
		}
	}
}

// placeholder reports whether a code block's text is one of bound's
// placeholders, and which.
func (c *converter) placeholder(text string) (int, bool) {
	v, ok := strings.CutPrefix(strings.TrimSuffix(text, "\n"), guardMark)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	return i, err == nil && i >= 0 && i < len(c.aside)
}

func (c *converter) lines(n ast.Node) string {
	var b strings.Builder
	for i := range n.Lines().Len() {
		l := n.Lines().At(i)
		b.Write(l.Value(c.src))
	}
	return b.String()
}

func (c *converter) table(t *east.Table) *Table {
	tb := &Table{}
	for _, a := range t.Alignments {
		switch a {
		case east.AlignLeft:
			tb.Align = append(tb.Align, AlignLeft)
		case east.AlignCenter:
			tb.Align = append(tb.Align, AlignCenter)
		case east.AlignRight:
			tb.Align = append(tb.Align, AlignRight)
		default:
			tb.Align = append(tb.Align, AlignNone)
		}
	}
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []Cell
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, Cell{Runs: mergeRuns(c.inlines(cell, FontFang, 0, nil))})
		}
		if _, ok := row.(*east.TableHeader); ok {
			tb.Head = cells
		} else {
			tb.Rows = append(tb.Rows, cells)
		}
	}
	return tb
}

// inlines appends the runs of n's inline children to rs.
func (c *converter) inlines(n ast.Node, f Font, s Style, rs []Run) []Run {
	return c.inlinesFrom(n.FirstChild(), f, s, rs)
}

func (c *converter) inlinesFrom(first ast.Node, f Font, s Style, rs []Run) []Run {
	for n := first; n != nil; n = n.NextSibling() {
		rs = c.inline(n, f, s, rs)
	}
	return rs
}

func (c *converter) inline(n ast.Node, f Font, s Style, rs []Run) []Run {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Segment.Value(c.src)
		t := unescape(v)
		if n.IsRaw() {
			t = string(v)
		}
		if n.HardLineBreak() {
			t += "\n"
		} else if n.SoftLineBreak() {
			t += softBreak(v, n.NextSibling(), c.src)
		}
		return addRun(rs, Run{Text: t, Font: f, Style: s})
	case *ast.String:
		t := string(n.Value)
		if !n.IsRaw() {
			t = unescape(n.Value)
		}
		return addRun(rs, Run{Text: t, Font: f, Style: s})
	case *ast.CodeSpan:
		var b strings.Builder
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			if t, ok := ch.(*ast.Text); ok {
				v := t.Segment.Value(c.src)
				if bytes.HasSuffix(v, []byte("\n")) {
					v = append(v[:len(v)-1:len(v)-1], ' ')
				}
				b.Write(v)
			}
		}
		return addRun(rs, Run{Text: b.String(), Font: f, Style: s | Code})
	case *ast.Emphasis:
		st := Italic
		if n.Level >= 2 {
			st = Bold
		}
		return c.inlines(n, f, s|st, rs)
	case *east.Strikethrough:
		return c.inlines(n, f, s|Strike, rs)
	case *ast.Link:
		// The label's runs are made apart, so that none merges into the
		// text before the link.
		label := c.inlines(n, f, s, nil)
		link := safeURL(n.Destination)
		for i := range label {
			label[i].Link = link
		}
		if len(label) == 0 { // empty label: keep the link so HTML shows it
			label = append(label, Run{Font: f, Style: s, Link: link})
		}
		return append(rs, label...)
	case *ast.AutoLink:
		return append(rs, Run{Text: string(n.Label(c.src)), Font: f, Style: s, Link: safeURL(n.URL(c.src))})
	case *ast.Image:
		// No image is fetched or shown: its alternative text stands in its
		// place, in every output alike.
		return c.inlines(n, f, s, rs)
	case *ast.RawHTML:
		return append(rs, Run{Font: f, Omitted: true})
	case *runIn: // a run-in not at the start of a paragraph cannot happen; keep its text
		rs = addRun(rs, Run{Text: n.Label, Font: LevelFont(n.Level)})
		return c.inlines(n, LevelFont(n.Level), s, rs)
	default:
		return c.inlines(n, f, s, rs)
	}
}

// addRun appends r to rs unless it has no text. Runs are merged once, by
// mergeRuns, when the element is complete: merging each piece into the
// last run as it comes would copy a long paragraph's text again for every
// line of it.
func addRun(rs []Run, r Run) []Run {
	if r.Text == "" {
		return rs
	}
	return append(rs, r)
}

// mergeRuns joins neighbouring runs that look alike (same font, style,
// heading and link, text on both sides) into one.
func mergeRuns(rs []Run) []Run {
	alike := func(a, b *Run) bool {
		return a.Font == b.Font && a.Style == b.Style && a.Heading == b.Heading && a.Link == b.Link &&
			!a.Omitted && !b.Omitted && a.Text != "" && b.Text != ""
	}
	out := rs[:0]
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && alike(&rs[j-1], &rs[j]) {
			j++
		}
		r := rs[i]
		if j > i+1 {
			var b strings.Builder
			for k := i; k < j; k++ {
				b.WriteString(rs[k].Text)
			}
			r.Text = b.String()
		}
		out = append(out, r)
		i = j
	}
	return out
}

// softBreak is what a soft line break after v becomes: nothing between two
// wide (Chinese) characters, as goldmark's CJK extension renders it, a
// space otherwise.
func softBreak(v []byte, next ast.Node, src []byte) string {
	if len(v) == 0 {
		return " "
	}
	if t, ok := next.(*ast.Text); ok {
		nv := t.Segment.Value(src)
		if len(nv) > 0 {
			last, _ := utf8.DecodeLastRune(v)
			first, _ := utf8.DecodeRune(nv)
			if util.IsEastAsianWideRune(last) && util.IsEastAsianWideRune(first) {
				return ""
			}
		}
	}
	return " "
}

// unescape resolves backslash escapes and character references in Markdown
// text, exactly as goldmark's HTML writer does, and returns plain text.
func unescape(v []byte) string {
	if !bytes.ContainsAny(v, `\&`) && bytes.IndexByte(v, 0) < 0 {
		return string(v)
	}
	var b bufWriter
	textWriter.Write(&b, v)
	return stdhtml.UnescapeString(b.String())
}

var textWriter = gmhtml.NewWriter(gmhtml.WithEscapedSpace())

// bufWriter is a bytes.Buffer that goldmark's writers accept (a
// util.BufWriter) without the 4 KB a bufio.Writer allocates per text.
type bufWriter struct{ bytes.Buffer }

func (w *bufWriter) Available() int { return w.Cap() - w.Len() }
func (w *bufWriter) Buffered() int  { return w.Len() }
func (w *bufWriter) Flush() error   { return nil }

// safeURL returns a link's target as a browser reads it (backslash
// escapes and character references resolved, as goldmark's HTML writer
// resolves them) if it may be linked: a relative reference, or an
// absolute URL whose scheme is http, https or mailto. Anything else
// gives "", so the text stays without a link: javascript:, vbscript:,
// data:, file: and every scheme a browser might run, however they are
// written (jav&#x61;script:, JavaScript:, java\tscript:, %6Aavascript:).
// The writers use the result as it is, never decoding it again.
func safeURL(u []byte) string {
	v := string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(u))))
	if !linkable(v) {
		return ""
	}
	return v
}

// linkable reports whether URL v has no scheme or a harmless one. It reads
// the scheme as a browser does (WHATWG URL): leading and trailing control
// characters and spaces ignored, tabs and newlines removed anywhere, case
// ignored. It reads it once more with percent-escapes decoded, which no
// browser does, to refuse a disguised scheme rather than trust that.
func linkable(v string) bool {
	for _, s := range []string{v, percentDecoded(v)} {
		s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
		scheme, _, ok := strings.Cut(s, ":")
		if !ok || !isScheme(scheme) {
			continue // no scheme: a relative reference
		}
		switch strings.ToLower(scheme) {
		case "http", "https", "mailto":
		default:
			return false
		}
	}
	return true
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, + - or . (RFC 3986 3.1).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// percentDecoded returns v with its %XX escapes decoded, keeping invalid ones.
func percentDecoded(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// LevelFont is the font of outline level l [7.3.3].
func LevelFont(l int) Font {
	switch l {
	case 1:
		return FontHei
	case 2:
		return FontKai
	}
	return FontFang
}
