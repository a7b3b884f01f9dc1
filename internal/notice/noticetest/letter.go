package noticetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// Letter builds the letter case: an 答复函 in 信函格式 [GB/T 9704-2012
// 10.1] that a district department sends a deputy, answering the
// suggestion. Its fields are written here; its body is that of
// internal/notice/testdata/letter.md, whose front matter says the same
// (the notice package's tests check that it does). The district is
// fictional. It also returns letter.golden.txt's lines beside it, what
// every output of the letter must read.
func Letter(tb testing.TB) (*workflow.Notice, []string) {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "internal", "notice", "testdata")
	src, err := os.ReadFile(filepath.Join(dir, "letter.md"))
	if err != nil {
		tb.Fatal(err)
	}
	_, body, ok := strings.Cut(strings.TrimPrefix(string(src), "---\n"), "\n---\n")
	if !ok {
		tb.Fatal("letter.md: no front matter")
	}
	want, err := os.ReadFile(filepath.Join(dir, "letter.golden.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	n := &workflow.Notice{
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
	return n, strings.Split(strings.TrimRight(string(want), "\n"), "\n")
}
