package notice

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/notice/words"
	"github.com/docflow/docflow/internal/workflow"
)

// lines cuts title at breaks.
func lines(title string, breaks []int) []string {
	rs := []rune(title)
	var out []string
	prev := 0
	for _, b := range append(breaks, len(rs)) {
		out = append(out, string(rs[prev:b]))
		prev = b
	}
	return out
}

// TestTitleBreaksSeed: the seed case's title breaks as it always has
// (the .docx and PDF goldens hold it), with the dictionary or without.
func TestTitleBreaksSeed(t *testing.T) {
	n, _ := noticetest.Fixture(t)
	want := []string{"上海市静安区人民政府关于《上海市静安区", "第二届人大常委会第三十六次会议关于检查", "本区贯彻实施〈上海市妇女权益保障条例〉", "情况的审议意见》落实情况的报告"}
	for name, seg := range map[string]Segmenter{"segmenter": words.Segmenter{}, "none": nil} {
		got := lines(n.Title, titleBreaks(n.Title, TitleChars, []string{n.Signer}, seg))
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: seed title breaks %q; want %q", name, got, want)
		}
	}
}

// TestTitleBreaksPlaces: titles of governments of every level, from
// several provinces, break inside no word: not inside a place's name (the
// issue's 江南市临江 / 区), a number, an organ or a regulation; lines at
// most 20 characters, as few as that allows.
func TestTitleBreaksPlaces(t *testing.T) {
	for _, tc := range []struct {
		org, title string
		whole      []string // words no line may split
	}{
		{"江南市临江区人民政府", "江南市临江区人民政府关于《江南市临江区第三届人大常委会第十二次会议关于检查本区贯彻实施〈中华人民共和国安全生产法〉情况的审议意见》落实情况的报告",
			[]string{"江南市临江区", "临江区", "人民政府", "第三届", "人大常委会", "第十二次", "中华人民共和国安全生产法", "审议意见", "落实情况"}},
		{"浙江省人民政府", "浙江省人民政府关于《浙江省第十四届人大常委会第十二次会议关于检查〈浙江省安全生产条例〉实施情况的审议意见》研究处理情况的报告",
			[]string{"浙江省", "人民政府", "第十四届", "人大常委会", "第十二次", "浙江省安全生产条例", "审议意见", "研究处理", "实施情况"}},
		{"安吉县人民政府", "安吉县人民政府关于《安吉县第十七届人大常委会第二十三次会议关于县域生态环境保护工作情况的审议意见》办理情况的报告",
			[]string{"安吉县", "人民政府", "第十七届", "人大常委会", "第二十三次", "生态环境", "审议意见", "办理情况"}},
		{"天荒坪镇人民政府", "浙江省湖州市安吉县天荒坪镇人民政府关于天荒坪镇第十八届人民代表大会第三次会议代表建议办理情况的报告",
			[]string{"浙江省", "湖州市", "安吉县", "天荒坪镇", "人民政府", "第十八届", "人民代表大会", "第三次", "代表建议", "办理情况"}},
		{"广西壮族自治区人民政府", "广西壮族自治区人民政府关于《广西壮族自治区第十四届人大常委会第九次会议关于检查〈广西壮族自治区水污染防治条例〉实施情况的审议意见》落实情况的报告",
			[]string{"广西壮族自治区", "人民政府", "第十四届", "人大常委会", "第九次", "水污染防治条例", "审议意见", "落实情况"}},
		{"上海市浦东新区人民政府", "上海市浦东新区人民政府关于《浦东新区第七届人大常委会第十五次会议关于推进张江科学城建设情况的审议意见》落实情况的报告",
			[]string{"浦东新区", "人民政府", "第七届", "人大常委会", "第十五次", "科学城", "审议意见", "落实情况"}},
		{"延边朝鲜族自治州人民政府", "延边朝鲜族自治州人民政府关于延边朝鲜族自治州第十六届人大常委会第十次会议审议意见研究处理情况的报告",
			[]string{"延边朝鲜族自治州", "人民政府", "第十六届", "人大常委会", "第十次", "审议意见", "研究处理"}},
		{"苏州市人民政府", "苏州市人民政府关于进一步加强苏州工业园区开放创新综合试验区建设工作情况的报告",
			[]string{"苏州市", "人民政府", "进一步", "苏州工业园区", "试验区", "建设", "工作情况"}},
	} {
		br := titleBreaks(tc.title, TitleChars, []string{tc.org}, words.Segmenter{})
		got := lines(tc.title, br)
		t.Logf("%q", got)
		fewest := (utf8.RuneCountInString(tc.title) + TitleChars - 1) / TitleChars
		if len(got) > fewest+1 {
			t.Errorf("%s: %d lines; %d would do", tc.title, len(got), fewest)
		}
		for _, l := range got {
			if utf8.RuneCountInString(l) > TitleChars {
				t.Errorf("line %q longer than %d", l, TitleChars)
			}
		}
		for _, w := range tc.whole {
			for at := 0; ; {
				i := strings.Index(tc.title[at:], w)
				if i < 0 {
					break
				}
				from := utf8.RuneCountInString(tc.title[:at+i])
				for _, b := range br {
					if b > from && b < from+utf8.RuneCountInString(w) {
						t.Errorf("%q breaks inside %s", got, w)
					}
				}
				at += i + len(w)
			}
		}
	}
}

// BenchmarkTitleBreaks breaks the title of the case with the
// dictionary (loaded before the timer starts: BenchmarkDictionary) and
// a title of 200 characters, the longest the workflow allows.
func BenchmarkTitleBreaks(b *testing.B) {
	words.Segmenter{}.Segment("预热")
	for name, title := range map[string]string{
		"Case":    "江南市临江区人民政府关于《江南市临江区第三届人大常委会第十二次会议关于检查本区贯彻实施〈中华人民共和国安全生产法〉情况的审议意见》落实情况的报告",
		"Longest": strings.Repeat("上海市静安区人民政府关于进一步加强妇女权益保障工作情况的报告", 7)[:200*3],
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				titleBreaks(title, TitleChars, []string{"江南市临江区人民政府"}, words.Segmenter{})
			}
		})
	}
}

// countingFormat is a Format that segments words and counts the calls.
type countingFormat struct{ calls *int }

func (countingFormat) Write(*Document) (workflow.Rendered, error) { return workflow.Rendered{}, nil }

func (f countingFormat) Segment(s string) []string {
	*f.calls++
	return words.Segmenter{}.Segment(s)
}

// TestTitleSegmenterOnlyForLines: Layout breaks titles with its formats'
// segmenter; the page alone (previews) never asks it.
func TestTitleSegmenterOnlyForLines(t *testing.T) {
	calls := 0
	r, err := New(WithFormats(countingFormat{&calls}))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := noticetest.Fixture(t)
	if _, err := r.HTML(n); err != nil || calls != 0 {
		t.Errorf("HTML: %v, %d segmenter calls; want none", err, calls)
	}
	d, err := r.Layout(n)
	if err != nil || calls == 0 || len(d.Elements[3].Breaks) != 3 {
		t.Errorf("Layout: %v, %d segmenter calls, title breaks %v; want the segmenter asked and 3 breaks", err, calls, d.Elements[3].Breaks)
	}
}
