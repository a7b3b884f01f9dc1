package notice

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

func TestReadFile(t *testing.T) {
	for _, name := range []string{"basic", "preview", "unsafe"} {
		file := "testdata/" + name + ".md"
		want := mustReadCase(t, file)
		src := mustRead(t, file)
		got, x, err := ReadFile(src)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", file, err)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(x, Extras{}) {
			t.Errorf("ReadFile(%s) = %+v, %+v; want %+v", file, got, x, want)
		}
	}
	src := "\uFEFF---\r\nmark: 区政府文件\r\nDate: 2025年2月3日\r\ncc: 甲，乙、丙, 丁\r\nnote: （此件公开发布）\r\n" +
		"attachment: 台账，含附表；数据\r\nattachment: 名单\r\nsignatory: 王某、李某\r\n---\r\n正文\r\n"
	n, x, err := ReadFile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if n.Mark != "区政府文件" || !n.Date.Equal(workflow.Day(2025, 2, 3)) || !slices.Equal(n.CC, []string{"甲", "乙", "丙", "丁"}) || n.Body != "正文\n" {
		t.Errorf("notice %+v", n)
	}
	if !slices.Equal(x.Attachments, []string{"台账，含附表", "数据", "名单"}) || !slices.Equal(x.Signatories, []string{"王某", "李某"}) || x.Note != "（此件公开发布）" {
		t.Errorf("extras %+v", x)
	}
	if n, _, err := ReadFile([]byte("# 只有正文")); err != nil || n.Body != "# 只有正文" {
		t.Errorf("no front matter: %+v, %v", n, err)
	}
	for _, tc := range []struct{ src, want string }{
		{"---\nmark: x\n", "never closed"},
		{"---\ncolour: red\n---\n", `line 2: unknown key "colour"`},
		{"---\nmark\n---\n", "line 2: want \"key: value\""},
		{"---\ndate: 2025-02-30\n---\n", "line 2: date"},
		{"---\nprinted: 2025年2月30日\n---\n", "no such date"},
	} {
		if _, _, err := ReadFile([]byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadFile(%q) = %v; want an error with %q", tc.src, err, tc.want)
		}
	}
}

func mustRead(tb testing.TB, file string) []byte {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
