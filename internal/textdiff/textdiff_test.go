package textdiff

import (
	"strings"
	"testing"
)

func TestChars(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // rendered with [-del-] and {+ins+}
	}{
		{"Same", "审议意见", "审议意见", "审议意见"},
		{"Insert", "健全机制", "健全工作机制", "健全{+工作+}机制"},
		{"Delete", "进一步加强", "加强", "[-进一步-]加强"},
		{"Replace", "六个月内", "三个月内", "[-六-]{+三+}个月内"},
		{"FromEmpty", "", "新", "{+新+}"},
		{"ToEmpty", "旧", "", "[-旧-]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(Chars(tt.old, tt.new)); got != tt.want {
				t.Errorf("Chars(%q, %q) = %q; want %q", tt.old, tt.new, got, tt.want)
			}
		})
	}
}

func show(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		switch s.Op {
		case Insert:
			b.WriteString("{+" + s.Text + "+}")
		case Delete:
			b.WriteString("[-" + s.Text + "-]")
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func TestLines(t *testing.T) {
	old := "一、总体情况\n\n工作取得成效。\n\n旧段落。\n结尾"
	new := "一、总体情况\n\n工作取得积极成效。\n\n结尾\n新增段落。"
	lines := Lines(old, new)
	var got []string
	for _, l := range lines {
		switch {
		case l.Op == Insert:
			got = append(got, "+"+l.Text())
		case l.Op == Delete:
			got = append(got, "-"+l.Text())
		case l.Changed:
			got = append(got, "~"+show(l.Spans))
		default:
			got = append(got, " "+l.Text())
		}
	}
	want := []string{" 一、总体情况", " ", "~工作取得{+积极+}成效。", " ", "-旧段落。", " 结尾", "+新增段落。"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ins, del := Stats(lines); ins != 7 || del != 4 {
		t.Errorf("Stats = %d, %d; want 7, 4", ins, del)
	}
}

func TestHTMLEscapes(t *testing.T) {
	got := string(HTML(Chars("a<b", "a<b&c")))
	if want := "a&lt;b<ins>&amp;c</ins>"; got != want {
		t.Errorf("HTML = %q; want %q", got, want)
	}
}

func TestLargeInputFallsBack(t *testing.T) {
	a := strings.Repeat("甲", 2000)
	b := strings.Repeat("乙", 2000)
	spans := Chars(a, b)
	if len(spans) != 2 || spans[0].Op != Delete || spans[1].Op != Insert {
		t.Errorf("Chars of large disjoint texts gave %d spans; want delete then insert", len(spans))
	}
}
