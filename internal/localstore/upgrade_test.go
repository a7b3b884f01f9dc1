package localstore

import (
	"os"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

// TestUpgradeV1 opens a data directory written by docflow before cases
// were kept as records (testdata/v1: a published case, one in drafting
// with a returned section, one in signing with an approval and a return),
// and checks that nothing is lost: every case reads, every audit trail
// verifies, the history of the old records is there, and the unfinished
// case goes on to publication with the next number.
func TestUpgradeV1(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/v1")); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir, WithoutSync())
	workflowtest.TestUpgradedV1(t, s, s.Blobs())
	// Opening the upgraded directory again changes nothing.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir)
	if p, err := s.Cases(t.Context(), workflow.Query{}); err != nil || len(p.Cases) != 3 {
		t.Errorf("Cases after reopening = %d, %v; want 3", len(p.Cases), err)
	}
}
