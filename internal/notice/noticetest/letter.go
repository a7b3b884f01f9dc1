package noticetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// Letter builds the letter case: an 答复函 in 信函格式 [GB/T 9704-2012
// 10.1] that a department of a fictional district sends a deputy,
// answering the suggestion, from internal/notice/testdata/letter.md —
// its front matter and body, as read gives them (notice.ReadFile, which
// this package cannot import: notice's own tests import it). It also
// returns letter.golden.txt's lines beside it, what every output of the
// letter must read.
func Letter(tb testing.TB, read func([]byte) (*workflow.Notice, error)) (*workflow.Notice, []string) {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "internal", "notice", "testdata")
	src, err := os.ReadFile(filepath.Join(dir, "letter.md"))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := read(src)
	if err != nil || n.Letter == nil {
		tb.Fatalf("letter.md is not read as a letter: %v", err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "letter.golden.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return n, strings.Split(strings.TrimRight(string(want), "\n"), "\n")
}
