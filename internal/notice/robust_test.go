package notice

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// TestMalformed feeds bodies a careless paste or a hostile user might send.
// Each must give an error or a well-formed page; none may panic.
func TestMalformed(t *testing.T) {
	r := mustNew(t)
	tests := []struct {
		name string
		md   string
		want string // a block the page must show, if any
	}{
		{"UnclosedFence", "# 甲\n\n```go\nfunc main() {\n", "func main() {"},
		{"UnclosedTilde", "~~~\n<script>alert(1)</script>", "<script>alert(1)</script>"},
		{"NestedQuotes", strings.Repeat(">", 10000) + " 深处\n", "深处"},
		{"NestedQuotesSpaced", strings.Repeat("> ", 10000) + "深处\n", "深处"},
		{"NestedLists", strings.Repeat("- ", 5000) + "深处\n", "深处"},
		{"NestedEmphasis", strings.Repeat("*", 50000) + "甲" + strings.Repeat("*", 50000), ""},
		{"NestedBrackets", strings.Repeat("[", 50000) + "甲" + strings.Repeat("](x)", 50000), ""},
		{"LongParagraph", strings.Repeat("长", 100000), strings.Repeat("长", 100000)},
		{"LongHeading", "## " + strings.Repeat("长", 100000) + "。\n\n正文", ""},
		{"ManyHeadings", strings.Repeat("# 甲\n## 乙。\n丙\n", 20000), ""},
		{"NUL", "甲\x00乙\n\n# \x00\n", "甲\uFFFD乙"},
		{"InvalidUTF8", "甲\xff\xfe乙\xe4\xb8\n\n## \xc3。\n\n正文", "甲\uFFFD乙\uFFFD"},
		{"CRLF", "# 甲\r\n\r\n## 乙。\r\n\r\n丙\r\n", "（一）乙。丙"},
		{"OnlyMarks", "#\n##\n###\n####\n>\n-\n|\n```\n", ""},
		{"TableMismatch", "| a | b |\n|---|\n| 1 | 2 | 3 |\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &workflow.Notice{Mark: "标志", Number: "1号", Title: "标题", Signer: "署名", Body: tc.md}
			page, err := r.HTML(n)
			if err != nil {
				return // an error is an acceptable answer; a panic is not
			}
			checkPage(t, page)
			if tc.want == "" {
				return
			}
			blocks, err := noticetest.Blocks(page)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, b := range blocks {
				found = found || b == tc.want
			}
			if !found {
				t.Errorf("page lacks block %.60q…", tc.want)
			}
		})
	}
}

// checkPage fails unless page is valid UTF-8 without NUL, runs no code and
// ends with the document's closing tag (the template ran to the end).
func checkPage(tb testing.TB, page []byte) {
	tb.Helper()
	if !utf8.Valid(page) {
		tb.Error("page is not valid UTF-8")
	}
	if bytes.IndexByte(page, 0) >= 0 {
		tb.Error("page contains NUL")
	}
	if bad := activeContent(tb, page); len(bad) > 0 {
		tb.Errorf("page has active content: %q", bad)
	}
	if !bytes.HasSuffix(page, []byte("</html>\n")) {
		tb.Error("page is truncated")
	}
}

// FuzzBody checks that no body panics the renderer or smuggles a script
// into the output.
func FuzzBody(f *testing.F) {
	for _, s := range []string{
		"", "# 甲\n## 乙。\n\n丙", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
		"[a](javascript:alert(1))", "<javascript:alert(1)>", "```\n<script>", "> # 引。\n> 文",
		"- ## 项。\n  文", "| a |\n|---|\n| <script> |", "甲\x00\xff", "<scr<script>ipt>", "&lt;script&gt;",
	} {
		f.Add(s)
	}
	r := mustNew(f)
	f.Fuzz(func(t *testing.T, md string) {
		h, err := r.Body(md)
		if err != nil {
			return
		}
		if strings.Contains(strings.ToLower(string(h)), "<script") {
			t.Fatalf("Body(%q) = %q contains <script", md, h)
		}
		if !utf8.ValidString(string(h)) {
			t.Fatalf("Body(%q) is not valid UTF-8", md)
		}
		if bad := activeContent(t, []byte(h)); len(bad) > 0 {
			t.Fatalf("Body(%q) has active content %q", md, bad)
		}
	})
}

func TestNestingKeptThenFlattened(t *testing.T) {
	r := mustNew(t)
	for _, tc := range []struct{ depth, want int }{{3, 3}, {maxDepth, maxDepth}, {10000, maxDepth}} {
		h, err := r.Body(strings.Repeat("> ", tc.depth) + "深处")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(h), "<blockquote>"); got != tc.want {
			t.Errorf("%d nested quotes render %d <blockquote>; want %d", tc.depth, got, tc.want)
		}
	}
}
