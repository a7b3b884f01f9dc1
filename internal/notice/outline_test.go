package notice

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/notice/noticetest"
)

// bodyBlocks renders md with Body and returns its text blocks.
func bodyBlocks(tb testing.TB, r *Renderer, md string) (string, []string) {
	tb.Helper()
	h, err := r.Body(md)
	if err != nil {
		tb.Fatalf("Body(%q): %v", md, err)
	}
	blocks, err := noticetest.Blocks([]byte(h))
	if err != nil {
		tb.Fatal(err)
	}
	return string(h), blocks
}

func TestNumbering(t *testing.T) {
	r := mustNew(t)
	tests := []struct {
		name string
		md   string
		want []string
	}{
		{"FourLevels", "# 甲\n## 乙\n### 丙\n#### 丁\n",
			[]string{"一、甲", "（一）乙", "1.丙", "（1）丁"}},
		{"CounterReset", "# a\n## b\n## c\n### d\n### e\n#### f\n## g\n### h\n# i\n## j\n### k\n#### l\n",
			[]string{"一、a", "（一）b", "（二）c", "1.d", "2.e", "（1）f", "（三）g", "1.h", "二、i", "（一）j", "1.k", "（1）l"}},
		{"SkippedLevel", "# a\n### b\n# c\n### d\n",
			[]string{"一、a", "1.b", "二、c", "1.d"}},
		{"DeeperThanFour", "#### a\n##### b\n###### c\n",
			[]string{"（1）a", "（2）b", "（3）c"}},
		{"Setext", "总体情况\n===\n\n具体措施\n---\n",
			[]string{"一、总体情况", "（一）具体措施"}},
		{"OpeningIsPlain", "根据要求，报告如下：\n\n另一段。\n\n# 情况\n",
			[]string{"根据要求，报告如下：", "另一段。", "一、情况"}},
		{"OnlyHeadings", "# 甲\n# 乙\n## 丙\n",
			[]string{"一、甲", "二、乙", "（一）丙"}},
		{"Empty", "", nil},
		{"Blank", " \n\n\t\n", nil},
		{"EmptyHeading", "#\n## \n", []string{"一、", "（一）"}},
		{"InsideQuote", "# 甲\n\n> ## 引\n\n## 乙\n", []string{"一、甲", "（一）引", "（二）乙"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := bodyBlocks(t, r, tc.md); !slices.Equal(got, tc.want) {
				t.Errorf("Body(%q) blocks = %q; want %q", tc.md, got, tc.want)
			}
		})
	}
}

func TestNumberingPastTen(t *testing.T) {
	r := mustNew(t)
	var md strings.Builder
	for i := range 23 {
		fmt.Fprintf(&md, "# 第%d项\n\n### 小项\n\n#### 细项\n\n", i+1)
	}
	md.WriteString("# 末项\n\n")
	for i := range 12 {
		fmt.Fprintf(&md, "### 条目%d\n\n#### 子%d\n\n", i+1, i+1)
	}
	_, got := bodyBlocks(t, r, md.String())
	for _, tc := range []struct {
		i    int
		want string
	}{
		{0, "一、第1项"}, {1, "1.小项"}, {2, "（1）细项"},
		{3 * 9, "十、第10项"}, {3 * 10, "十一、第11项"}, {3 * 19, "二十、第20项"},
		{3 * 20, "二十一、第21项"}, {3 * 22, "二十三、第23项"},
		{3 * 23, "二十四、末项"}, {3*23 + 1 + 2*9, "10.条目10"}, {3*23 + 1 + 2*11, "12.条目12"}, {3*23 + 2 + 2*11, "（1）子12"},
	} {
		if tc.i >= len(got) || got[tc.i] != tc.want {
			t.Errorf("block %d = %q; want %q", tc.i, at(got, tc.i), tc.want)
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}

func TestRunIn(t *testing.T) {
	r := mustNew(t)
	tests := []struct {
		name string
		md   string
		want []string
		html string // a fragment the body must contain
	}{
		{"Period", "## 强化统筹协调，凝聚保障合力。\n\n充分发挥作用。\n",
			[]string{"（一）强化统筹协调，凝聚保障合力。充分发挥作用。"},
			`<p class="run-in"><span class="h2">（一）强化统筹协调，凝聚保障合力。</span>充分发挥作用。</p>`},
		{"EveryMark", "# 甲！\n\n一\n\n# 乙？\n\n二\n\n# 丙；\n\n三\n\n# 丁：\n\n四\n",
			[]string{"一、甲！一", "二、乙？二", "三、丙；三", "四、丁：四"}, `<span class="h1">一、甲！</span>一</p>`},
		{"Level3", "### 做好衔接。\n\n具体如下。\n",
			[]string{"1.做好衔接。具体如下。"}, `<span class="h3">1.做好衔接。</span>`},
		{"Emphasis", "## **加强协调。**\n\n正文。\n",
			[]string{"（一）加强协调。正文。"}, `<span class="h2">（一）<strong>加强协调。</strong></span>正文。`},
		{"ClosingHashes", "## 加强协调。 ##\n\n正文。\n",
			[]string{"（一）加强协调。正文。"}, `<span class="h2">（一）加强协调。</span>正文。`},
		{"NoMarkStandsAlone", "## 加强协调\n\n正文。\n",
			[]string{"（一）加强协调", "正文。"}, `<h3 class="h2">（一）加强协调</h3>` + "\n<p>正文。</p>"},
		{"CommaStandsAlone", "## 加强协调，\n\n正文。\n",
			[]string{"（一）加强协调，", "正文。"}, `<h3 class="h2">（一）加强协调，</h3>`},
		{"BeforeList", "## 主要做法：\n\n- 一是\n- 二是\n",
			[]string{"（一）主要做法：", "一是", "二是"}, "<h3 class=\"h2\">（一）主要做法：</h3>\n<ul>"},
		{"BeforeTable", "## 数据如下。\n\n| 项 | 数 |\n|---|---|\n| 甲 | 1 |\n",
			[]string{"（一）数据如下。", "项", "数", "甲", "1"}, "<h3 class=\"h2\">（一）数据如下。</h3>\n<table>"},
		{"BeforeHeading", "# 总体。\n## 分项。\n\n正文。\n",
			[]string{"一、总体。", "（一）分项。正文。"}, `<h2 class="h1">一、总体。</h2>`},
		{"AtEnd", "正文。\n\n## 最后。\n",
			[]string{"正文。", "（一）最后。"}, `<h3 class="h2">（一）最后。</h3>`},
		{"BeforeQuote", "## 引文。\n\n> 引用。\n",
			[]string{"（一）引文。", "引用。"}, "<h3 class=\"h2\">（一）引文。</h3>\n<blockquote>"},
		{"ParagraphKeepsLines", "## 标题。\n\n第一行\n第二行\n",
			[]string{"（一）标题。第一行第二行"}, `</span>第一行`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, got := bodyBlocks(t, r, tc.md)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Body(%q) blocks = %q; want %q", tc.md, got, tc.want)
			}
			if !strings.Contains(h, tc.html) {
				t.Errorf("Body(%q) =\n%s\nwant it to contain\n%s", tc.md, h, tc.html)
			}
		})
	}
}

// TestBodyIsReusable checks that numbering state does not leak from one
// conversion to the next: the converter is shared by every request.
func TestBodyIsReusable(t *testing.T) {
	r := mustNew(t)
	for range 3 {
		if _, got := bodyBlocks(t, r, "# 甲\n## 乙\n"); !slices.Equal(got, []string{"一、甲", "（一）乙"}) {
			t.Fatalf("blocks = %q", got)
		}
	}
}
