package noticetest

import (
	"os"
	"path/filepath"
	"testing"
)

// Tools returns the directory infra/local/tools.sh installs into: $TOOLS
// when set (a worktree can use another checkout's, as `make test` passes
// it), else .tools at the repository root.
func Tools(tb testing.TB) string {
	tb.Helper()
	if dir := os.Getenv("TOOLS"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(tb), ".tools")
}

// RepoRoot walks up from the test's directory to the directory of go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
