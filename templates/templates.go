// Package templates holds the seed of a new installation — an office's
// profile, series and sign-off policy, and the demonstration's accounts —
// and the notice's stylesheet, embedded so that one binary carries them.
// An office's own configuration lives in its store and is changed through
// the administration pages or `docflow admin`; these files only seed it.
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

// Office reads the seed of a new installation's configuration: the
// profile (profile.json) with the series and sign-off policy (office.json).
func Office(fsys fs.FS) (workflow.Office, error) {
	var o workflow.Office
	if err := readJSON(fsys, "office.json", &o); err != nil {
		return o, err
	}
	p, err := Profile(fsys)
	o.Profile = p
	if err != nil {
		return o, err
	}
	return o, o.Validate()
}

// Accounts reads the accounts of the demonstration and the tests
// (accounts.json): people without passwords, who sign in only under
// `docflow serve -dev`.
func Accounts(fsys fs.FS) ([]workflow.Account, error) {
	var a []workflow.Account
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
