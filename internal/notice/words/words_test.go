package words

import (
	"slices"
	"strings"
	"testing"
)

func TestSegment(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string // words that must come out whole
	}{
		{"上海市静安区人民政府关于检查本区贯彻实施情况的报告", []string{"人民政府", "关于", "检查", "报告"}},
		{"广西壮族自治区人民政府关于加强北部湾经济区生态环境保护工作的报告", []string{"人民政府", "经济区", "工作"}},
		{"ABC 2025年第三十六次会议《条例》", []string{"ABC", "会议"}},
	} {
		got := Segmenter{}.Segment(tc.text)
		if strings.Join(got, "") != tc.text {
			t.Errorf("Segment(%s) = %q: not the text again", tc.text, got)
		}
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Segment(%s) = %q; want %s among them", tc.text, got, w)
			}
		}
	}
}

// BenchmarkLoad reads the dictionary, as the first title a process breaks
// does.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(); err != nil {
			b.Fatal(err)
		}
	}
}
