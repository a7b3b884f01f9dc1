package notice

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// TestLetterLayout pins the letter case's model (信函格式, GB/T 9704-2012
// 10.1): its elements in order, and its text, which is
// letter.golden.txt's.
func TestLetterLayout(t *testing.T) {
	n, want := noticetest.Letter(t, readNotice)
	d, err := mustNew(t).LayoutWith(n, Extras{Signatories: []string{"王某"}})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Letter || d.Upward {
		t.Errorf("Letter %v, Upward %v; want a letter, which has no 签发人", d.Letter, d.Upward)
	}
	var kinds []Kind
	for _, e := range d.Elements {
		if e.Kind.Part() != Main || e.Kind >= KindAttachments {
			kinds = append(kinds, e.Kind)
		}
	}
	if want := []Kind{KindMark, KindDoubleRule, KindResult, KindNumber, KindFootRule, KindSigner, KindDate, KindNote, KindCC}; !slices.Equal(kinds, want) {
		t.Errorf("kinds %v; want %v", kinds, want)
	}
	for _, k := range []Kind{KindDoubleRule, KindResult, KindFootRule} {
		if k.Part() != Head {
			t.Errorf("%s is in part %d; want the 版头", k, k.Part())
		}
	}
	if got := d.Lines(); !slices.Equal(got, want) {
		t.Errorf("Lines() differ from letter.golden.txt:\n got %q\nwant %q", got, want)
	}
}

// readNotice is ReadFile for noticetest.Letter.
func readNotice(src []byte) (*workflow.Notice, error) {
	n, _, err := ReadFile(src)
	return n, err
}

// TestLetterFile: ReadFile makes of letter.md's front matter the letter
// it says, field by field.
func TestLetterFile(t *testing.T) {
	src, err := os.ReadFile("testdata/letter.md")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(strings.TrimPrefix(string(src), "---\n"), "\n---\n")
	want := &workflow.Notice{
		Mark:      "上海市临江区民政局",
		Number:    "临民建〔2026〕12号",
		Title:     "关于区十七届人大五次会议第0012号代表建议的答复",
		Addressee: "王某某代表",
		Body:      body,
		Signer:    "上海市临江区民政局",
		Date:      workflow.Day(2026, 6, 18),
		CC:        []string{"区人大常委会代表工作室", "区人民政府办公室"},
		Letter:    &workflow.Letter{Result: "A", Contact: "张某某", Phone: "021-12345678"},
	}
	got := mustReadCase(t, "testdata/letter.md")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadFile(letter.md) = %+v\nwant %+v", got, want)
	}
	n, _, err := ReadFile([]byte("---\n办理结果: B\n联系电话: 021-1\n---\n正文\n"))
	if err != nil || n.Letter == nil || *n.Letter != (workflow.Letter{Result: "B", Phone: "021-1"}) {
		t.Errorf("ReadFile(办理结果, 联系电话) = %+v, %v", n.Letter, err)
	}
}

// TestLetterHTML: the letter's page is letter.golden.html (TestGolden
// renders letter.md to it too), reads letter.golden.txt block by block,
// has both double lines and no 印发 line, and its stylesheet prints the
// first page as clause 10.1 asks.
func TestLetterHTML(t *testing.T) {
	n, want := noticetest.Letter(t, readNotice)
	page, err := mustNew(t).HTML(n)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "letter", page)
	got, err := noticetest.Blocks(page)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("page reads differently from letter.golden.txt:\n got %q\nwant %q", got, want)
	}
	s := string(page)
	for _, w := range []string{
		`<article class="sheet letter">`,
		`<hr class="double-rule">`,
		`<div class="letter-number"><p class="result">A</p><p class="number">临民建〔2026〕12号</p></div>`,
		`<hr class="foot-rule">`,
		`<p class="note">（联系人：张某某，联系电话：021-12345678）</p>`,
		"--rule-thick: 1.5;", "--rule-thin: 0.75;", "--rule-gap: 0.283;",
		// The first page: no number; the mark 30mm from the paper's top;
		// the lines 170mm long from 21mm, the second's foot at 277mm.
		"@page :first {\n\tmargin-top: 30mm;\n\t@bottom-right {\n\t\tcontent: none;",
		"%3Crect x='21' y='48.817' width='170' height='0.529'/%3E%3Crect x='21' y='49.446' width='170' height='0.265'/%3E",
		"%3Crect x='21' y='276.106' width='170' height='0.265'/%3E%3Crect x='21' y='276.471' width='170' height='0.529'/%3E",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, bad := range []string{"印发", `class="red-rule"`, `class="imprint"`} {
		if strings.Contains(s, bad) {
			t.Errorf("page has %q; a letter has no red rule and no 印发 line [10.1]", bad)
		}
	}
	if bad := activeContent(t, page); len(bad) > 0 {
		t.Errorf("page has active content: %q", bad)
	}
}

// TestLetterNotes: the contact line stands where the 附注 goes, leaving
// out what is empty; the notice's own 附注 follows it on the next line.
func TestLetterNotes(t *testing.T) {
	r := mustNew(t)
	for _, tc := range []struct {
		letter workflow.Letter
		note   string
		want   []string
	}{
		{workflow.Letter{Contact: "张某某", Phone: "021-12345678"}, "此件主动公开", []string{"（联系人：张某某，联系电话：021-12345678）", "（此件主动公开）"}},
		{workflow.Letter{Contact: " 张某某 "}, "", []string{"（联系人：张某某）"}},
		{workflow.Letter{Phone: "021-12345678"}, "", []string{"（联系电话：021-12345678）"}},
		{workflow.Letter{Result: "A"}, "此件主动公开", []string{"（此件主动公开）"}},
		{workflow.Letter{}, "", nil},
	} {
		n, _ := noticetest.Letter(t, readNotice)
		n.Letter, n.Note = &tc.letter, tc.note
		d, err := r.Layout(n)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		result := false
		for _, e := range d.Elements {
			switch e.Kind {
			case KindNote:
				notes = append(notes, e.Text())
			case KindResult:
				result = true
			}
		}
		if !slices.Equal(notes, tc.want) {
			t.Errorf("%+v, note %q: notes %q; want %q", tc.letter, tc.note, notes, tc.want)
		}
		if result != (tc.letter.Result != "") {
			t.Errorf("%+v: KindResult present %v", tc.letter, result)
		}
		page, _ := r.DocumentHTML(d)
		if got := strings.Count(string(page), `<p class="note">`); got != len(tc.want) {
			t.Errorf("%+v: page has %d notes; want %d", tc.letter, got, len(tc.want))
		}
	}
}
