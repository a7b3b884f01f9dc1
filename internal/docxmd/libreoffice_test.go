package docxmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestResavedByLibreOffice: the acceptance test's three files, opened and
// saved again as .docx by an office suite (LibreOffice, which rewrites
// styles.xml and numbering.xml in its own way), still read as the same
// section. It skips when soffice is missing.
func TestResavedByLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("soffice not found under CI: infra/local/tools.sh installs libreoffice-writer-nogui")
		}
		t.Skip("soffice not found; install LibreOffice (libreoffice-writer-nogui) to check files an office suite wrote")
	}
	if testing.Short() {
		t.Skip("-short: LibreOffice takes seconds")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"typed.docx": typedSection(t), "list.docx": listSection(t), "styled.docx": styledSection(t)}
	args := []string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless",
		"--convert-to", "docx:MS Word 2007 XML", "--outdir", out}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(in, name))
	}
	if b, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	for name := range files {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("soffice wrote no %s: %v", name, err)
		}
		got, err := Read(data, Options{Level: 1})
		if err != nil {
			t.Errorf("%s as LibreOffice saved it: %v", name, err)
			continue
		}
		if got.Heading != wantHeading || got.Body != wantBody {
			t.Errorf("%s as LibreOffice saved it: heading %q, body:\n%s\n--- want ---\n%s", name, got.Heading, got.Body, wantBody)
		}
	}
}
