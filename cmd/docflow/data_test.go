package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestoreCheckCommands runs the commands an IT person uses on a
// data directory written by docflow 1 (upgraded when opened): check it,
// back it up, restore the backup elsewhere, and refuse to overwrite.
func TestBackupRestoreCheckCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.CopyFS(data, os.DirFS("../../internal/localstore/testdata/v1")); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"check", "-data", data}, "3 cases, 192 events verified"},
		{[]string{"backup", "-data", data, filepath.Join(dir, "bak")}, "backed up"},
		{[]string{"restore", filepath.Join(dir, "bak"), filepath.Join(dir, "restored")}, "3 cases, 192 events verified, 40 texts and files read; 0 with problems"},
	}
	for _, s := range steps {
		out.Reset()
		if err := run(t.Context(), s.args, &out, &errOut); err != nil {
			t.Fatalf("docflow %s: %v\n%s", strings.Join(s.args, " "), err, errOut.String())
		}
		if !strings.Contains(out.String(), s.want) {
			t.Errorf("docflow %s printed %q; want it to say %q", strings.Join(s.args, " "), out.String(), s.want)
		}
	}
	if err := run(t.Context(), []string{"backup", "-data", data, filepath.Join(dir, "bak")}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "须为空") {
		t.Errorf("backup over an existing backup = %v; want a refusal", err)
	}
	if err := run(t.Context(), []string{"restore", data, filepath.Join(dir, "restored")}, &out, &errOut); err == nil {
		t.Error("restore into a directory that holds data succeeded")
	}
}
