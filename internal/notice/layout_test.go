package notice

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/notice/noticetest"
)

// TestLayoutFixture pins the element sequence of the seed case: the model
// every writer (HTML, PDF, .docx) lays out.
func TestLayoutFixture(t *testing.T) {
	n, lines := noticetest.Fixture(t)
	d, err := mustNew(t).Layout(n)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	var texts []string
	for _, e := range d.Elements {
		kinds = append(kinds, e.Kind)
		switch e.Kind {
		case KindRedRule:
		case KindImprint:
			texts = append(texts, e.Text(), e.RightText())
		default:
			texts = append(texts, e.Text())
		}
	}
	head := []Kind{KindMark, KindNumber, KindRedRule, KindTitle, KindAddressee}
	tail := []Kind{KindSigner, KindDate, KindImprint}
	if !slices.Equal(kinds[:len(head)], head) || !slices.Equal(kinds[len(kinds)-len(tail):], tail) {
		t.Errorf("kinds = %v", kinds)
	}
	if !slices.Equal(texts, lines) {
		t.Errorf("element texts differ from report.txt:\n got %q\nwant %q", texts, lines)
	}
	var levels []int
	for _, e := range d.Elements {
		if e.Kind == KindHeading || e.Level > 0 {
			levels = append(levels, e.Level)
			for _, r := range e.Runs {
				if r.Heading > 0 && r.Font != LevelFont(e.Level) || e.Kind == KindHeading && r.Font != LevelFont(e.Level) {
					t.Errorf("%q: run %q in %s; want %s", e.Text(), r.Text, r.Font, LevelFont(e.Level))
				}
			}
		}
	}
	if want := []int{1, 2, 2, 2, 1, 2, 2, 2, 2, 1, 2, 2, 2}; !slices.Equal(levels, want) {
		t.Errorf("outline levels %v; want %v", levels, want)
	}
	if !slices.Contains(d.Substitutions, "方正小标宋 → FandolSong-Bold") {
		t.Errorf("Substitutions = %q", d.Substitutions)
	}
}

// TestLayoutExtras: the optional elements appear in the standard's order.
func TestLayoutExtras(t *testing.T) {
	n, _ := noticetest.Fixture(t)
	n.CC = []string{"区委办公室"}
	d, err := mustNew(t).LayoutWith(n, Extras{Note: "（此件公开发布）", Attachments: []string{"台账"}, Signatories: []string{"王某某"}, Seal: noticetest.Seal(t, 50)})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	for _, e := range d.Elements {
		if e.Kind.Part() != Main || e.Kind > KindOmitted {
			kinds = append(kinds, e.Kind)
		}
	}
	want := []Kind{KindMark, KindNumber, KindRedRule, KindAttachments, KindSeal, KindSigner, KindDate, KindNote, KindCC, KindImprint}
	if !slices.Equal(kinds, want) {
		t.Errorf("kinds %v; want %v", kinds, want)
	}
	if !d.Upward || !d.Sealed || d.Elements[1].RightText() != "签发人：王某某" {
		t.Errorf("Upward %v Sealed %v number right %q", d.Upward, d.Sealed, d.Elements[1].RightText())
	}
	for _, e := range d.Elements {
		if e.Kind == KindNote && e.Text() != "（此件公开发布）" {
			t.Errorf("note %q: the brackets doubled or lost", e.Text())
		}
	}
	page, err := mustNew(t).DocumentHTML(d)
	if err != nil {
		t.Fatal(err)
	}
	d, err = mustNew(t).LayoutWith(n, Extras{Attachments: []string{"台账", "数据"}, AttachmentBodies: []string{"", "# 数据说明\n\n正文。"}})
	if err != nil {
		t.Fatal(err)
	}
	annexPage, err := mustNew(t).DocumentHTML(d)
	if err != nil {
		t.Fatal(err)
	}
	blocks, _ := noticetest.Blocks(annexPage)
	tail := blocks[len(blocks)-8:]
	if want := []string{"2025年12月22日", "附件2", "数据", "一、数据说明", "正文。", "抄送：区委办公室。", "上海市静安区人民政府办公室", "2025年12月22日印发"}; !slices.Equal(tail, want) {
		t.Errorf("page ends %q; want %q", tail, want)
	}
	for _, s := range []string{`<p class="signatory">签发人：<span class="names">王某某</span></p>`, `<p>附件：台账</p>`, `<img class="seal" src="data:image/png;base64,`, `<p class="note">（此件公开发布）</p>`} {
		if !strings.Contains(string(page), s) {
			t.Errorf("page lacks %s", s)
		}
	}
}

// TestTitleBreaks: titles longer than a line (20 characters of 2号) break
// into as few, as even lines as possible, not inside known words or
// numbers, never before closing or after opening punctuation [7.3.1].
func TestTitleBreaks(t *testing.T) {
	_, lines := noticetest.Fixture(t)
	for _, tc := range []struct {
		title string
		want  []string // lines; nil: check the rules only
	}{
		{"关于某项工作的报告", []string{"关于某项工作的报告"}},
		{lines[2], nil},
		{"上海市静安区人民政府关于第三十六次会议审议意见落实情况的报告", nil},
		{strings.Repeat("上海市静安区人民政府关于工作情况的报告", 10), nil},
		{strings.Repeat("《》（）", 30), nil},
	} {
		br := titleBreaks(tc.title, TitleChars, []string{"上海市静安区人民政府"}, nil)
		rs := []rune(tc.title)
		var got []string
		prev := 0
		for _, b := range append(br, len(rs)) {
			got = append(got, string(rs[prev:b]))
			prev = b
		}
		if tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("titleBreaks(%s) = %q; want %q", tc.title, got, tc.want)
		}
		minLines := (len(rs) + TitleChars - 1) / TitleChars
		if len(got) > minLines+1 {
			t.Errorf("%s: %d lines; at most %d needed", tc.title, len(got), minLines)
		}
		for i, l := range got {
			if utf8.RuneCountInString(l) > TitleChars {
				t.Errorf("line %q longer than %d", l, TitleChars)
			}
			if i > 0 {
				if first, _ := utf8.DecodeRuneInString(l); NoLineStart(first) {
					t.Errorf("line %q starts with closing punctuation", l)
				}
				if last, _ := utf8.DecodeLastRuneInString(got[i-1]); NoLineEnd(last) {
					t.Errorf("line %q ends with opening punctuation", got[i-1])
				}
			}
		}
		if tc.title == lines[2] {
			for _, w := range []string{"人民政府", "三十六次", "常委会", "审议意见", "落实情况", "贯彻实施", "静安区"} {
				for _, b := range br {
					if i := strings.Index(tc.title, w); i >= 0 {
						at := utf8.RuneCountInString(tc.title[:i])
						if b > at && b < at+utf8.RuneCountInString(w) {
							t.Errorf("seed title breaks inside %s: %q", w, got)
						}
					}
				}
			}
			t.Logf("seed title: %q", got)
		}
	}
}

// TestAttachmentNumberedOnce: a number typed before an attachment's name
// is dropped, since the writers number attachments themselves.
func TestAttachmentNumberedOnce(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1. 工作清单", "工作清单"},
		{"2、统计表", "统计表"},
		{"12．名单", "名单"},
		{"2025年工作台账", "2025年工作台账"},
		{"1.5亿元项目清单", "1.5亿元项目清单"},
		{"3.", "3."},
		{" 工作清单 ", "工作清单"},
	} {
		if got := attachmentName(tc.in); got != tc.want {
			t.Errorf("attachmentName(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	n, x, err := ReadFile([]byte("---\n标题: 关于测试的报告\n附件: 1. 工作清单；2. 统计表\n---\n正文。\n"))
	if err != nil {
		t.Fatal(err)
	}
	n.Mark, n.Signer = "区政府文件", "区政府"
	d, err := mustNew(t).LayoutWith(n, x)
	if err != nil {
		t.Fatal(err)
	}
	page, err := mustNew(t).DocumentHTML(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<p>附件：1. 工作清单</p>", "<p><span class=\"pad\">附件：</span>2. 统计表</p>"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestLayoutDomainAttachments: the report's attachments reach the
// 附件说明 through workflow.Notice, numbered once by the layout even when
// a name already carries its number.
func TestLayoutDomainAttachments(t *testing.T) {
	n, _ := noticetest.Fixture(t)
	n.Attachments = []string{"1. 工作台账", "情况说明"}
	d, err := mustNew(t).Layout(n)
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, e := range d.Elements {
		if e.Kind == KindAttachments {
			items = e.Items
		}
	}
	if !slices.Equal(items, []string{"工作台账", "情况说明"}) {
		t.Errorf("附件说明 items %q; want the two names, unnumbered (the layout numbers them)", items)
	}
}
