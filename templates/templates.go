// Package templates holds the organisation's data and the document and page
// templates, embedded so that one binary carries its defaults. Another
// district replaces these files, not code.
package templates

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/docflow/docflow/internal/workflow"
)

// FS holds every embedded file.
//
//go:embed *.json *.css
var FS embed.FS

// Profile reads the organisation profile from fsys (FS, or a directory the
// office configured) at profile.json.
func Profile(fsys fs.FS) (workflow.Profile, error) {
	var p workflow.Profile
	if err := readJSON(fsys, "profile.json", &p); err != nil {
		return p, err
	}
	return p, p.Validate()
}

// Accounts reads the built-in accounts used when running locally.
func Accounts(fsys fs.FS) (workflow.Accounts, error) {
	var a workflow.Accounts
	return a, readJSON(fsys, "accounts.json", &a)
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}
