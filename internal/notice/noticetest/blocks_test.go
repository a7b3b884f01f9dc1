package noticetest

import (
	"slices"
	"testing"
)

func TestBlocks(t *testing.T) {
	tests := []struct {
		name string
		page string
		want []string
	}{
		{"Paragraphs", "<p>甲</p><p>乙</p>", []string{"甲", "乙"}},
		{"InlineMerged", "<p>甲<span class=h2>（一）乙</span><b>丙</b><a href=#>丁</a></p>", []string{"甲（一）乙丙丁"}},
		{"Whitespace", "<p>\n  a \t b\r\n c  </p>", []string{"a b c"}},
		{"IdeographicSpaceKept", "<p>甲\u3000乙</p>", []string{"甲\u3000乙"}},
		{"Entities", "<p>a&amp;b&lt;c&gt;&nbsp;d</p>", []string{"a&b<c>\u00a0d"}},
		{"Headings", "<h1>一</h1><h2>二</h2><h6>六</h6>", []string{"一", "二", "六"}},
		{"SkipsHeadScriptStyle", "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script><p>甲</p><style>q{}</style><template><p>t</p></template><noscript>n</noscript></body></html>",
			[]string{"甲"}},
		{"SkipsHidden", "<p hidden>隐藏</p><p>见</p>", []string{"见"}},
		{"DivOnlyWithDirectText", "<div><p>甲</p><p>乙</p></div><div>丙</div>", []string{"甲", "乙", "丙"}},
		{"DirectTextAroundBlock", "<div>前<p>中</p>后</div>", []string{"前", "中", "后"}},
		{"ListAndTable", "<ul><li>一</li><li>二 <em>2</em></li></ul><table><tr><td>甲</td><td><p>乙</p></td></tr></table>",
			[]string{"一", "二 2", "甲", "乙"}},
		{"FlexRowIsTwoBlocks", `<div class="imprint"><p>办公室</p><p>2025年12月22日印发</p></div>`,
			[]string{"办公室", "2025年12月22日印发"}},
		{"EmptyBlocksDropped", "<p> </p><hr><div>\n</div><p>甲</p>", []string{"甲"}},
		{"BreakIsSpace", "<p>甲<br>乙</p>", []string{"甲 乙"}},
		{"Comments", "<p>甲<!-- raw HTML omitted -->乙</p>", []string{"甲乙"}},
		{"Empty", "", nil},
		{"Fragment", "正文", []string{"正文"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Blocks([]byte(tc.page))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Blocks(%q) = %q; want %q", tc.page, got, tc.want)
			}
		})
	}
}
