package functions_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// templateImporters are the packages allowed to import text/template or
// html/template into a function: each does so only for an entry point the
// functions never call, so the linker drops the engine (the symbol check
// in TestNoTemplateEngine proves it).
var templateImporters = []string{
	"text/template", "html/template", // each other's parts
	"github.com/a-h/templ",                 // FromGoHTML and ToGoHTML, bridges to html/template
	"github.com/carlos7ags/folio/document", // AddHTMLTemplate, folio's HTML-to-PDF path; notice/pdf uses the object writer
}

// localOnly are packages only the local server needs: passwords and
// one-time codes (on AWS people sign in through the identity provider) and
// the roster reader (rosters are imported with docflow admin), and the
// Excel writer of the 办理台账 (the functions offer it as CSV). A function
// that links one carries it for nothing.
var localOnly = []string{
	"github.com/docflow/docflow/internal/proof", "github.com/docflow/docflow/internal/password",
	"github.com/pquerna/otp", "golang.org/x/crypto/argon2",
	"github.com/docflow/docflow/internal/roster", "github.com/xuri/excelize/v2",
	"github.com/docflow/docflow/internal/ledger",
}

// readers are packages only some functions need, by the functions that
// may link them: the opinion reader, for the files that land in the inbox
// (function.Parser), and the list reader of 代表建议 and 政协提案 (assign,
// web.Server.ReadList); both decode GB18030, whose tables are large.
var readers = map[string][]string{
	"github.com/docflow/docflow/internal/opinion":  {"intake"},
	"github.com/docflow/docflow/internal/caselist": {"assign"},
	"golang.org/x/text/encoding/simplifiedchinese": {"intake", "assign"},
}

// reflective are symbols whose presence means the linker had to keep every
// exported method of every reachable type (reflect.Value.MethodByName and
// kin, which text/template calls): about 7.5 MB a function when the pages
// used html/template.
var reflective = regexp.MustCompile(`^(text/template\.\(\*state\)\.|reflect\.Value\.MethodByName$|reflect\.Value\.Method$|reflect\.\(\*rtype\)\.MethodByName$)`)

// tables matches what makes a table of routes and pages in package web,
// and the local server's handler, which serves them all. Each function
// must link its own table only (web.AssignTable in assign, none in
// notify): a table names its handlers, so another stage's would bring in
// that stage's pages.
var tables = regexp.MustCompile(`^github\.com/docflow/docflow/internal/web\.(\w*Table|Tables|\(\*Server\)\.Handler)$`)

// TestNoTemplateEngine: no function links a template engine, or anything
// that calls methods by name through reflection, or what only the local
// server needs (localOnly) or only intake (intakeOnly), or another
// stage's table of routes (tables). Imports are checked with go list;
// what is linked, with the built binaries' symbols.
func TestNoTemplateEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	fns, err := filepath.Glob("*/main.go")
	if err != nil || len(fns) == 0 {
		t.Fatalf("no functions/*/main.go: %v", err)
	}
	dir := t.TempDir()
	for _, f := range fns {
		name := filepath.Dir(f)
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./"+name)
			cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps ./%s: %v", name, err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(line)
				if slices.Contains(localOnly, f[0]) {
					t.Errorf("function %s links %s, which only the local server needs: inject it from cmd/docflow (see web.Server.Proofs)", name, f[0])
				}
				if may, ok := readers[f[0]]; ok && !slices.Contains(may, name) {
					t.Errorf("function %s links %s, which only %s need: inject it from those functions' main (see function.Parser, web.Server.ReadList)", name, f[0], strings.Join(may, " and "))
				}
				if slices.Contains(templateImporters, f[0]) {
					continue
				}
				for _, imp := range f[1:] {
					if imp == "text/template" || imp == "html/template" {
						t.Errorf("%s imports %s into function %s; the pages are templ components and notice writes its page in Go: use those, or prove the engine is not linked and add %s to templateImporters",
							f[0], imp, name, f[0])
					}
				}
			}

			bin := filepath.Join(dir, name)
			build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "./"+name) // symbols kept, unlike the deployed build
			build.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
			if b, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build ./%s: %v\n%s", name, err, b)
			}
			nm, err := exec.Command("go", "tool", "nm", bin).Output()
			if err != nil {
				t.Fatalf("go tool nm: %v", err)
			}
			own := "github.com/docflow/docflow/internal/web." + strings.ToUpper(name[:1]) + name[1:] + "Table"
			for _, line := range strings.Split(string(nm), "\n") {
				f := strings.Fields(line)
				if len(f) >= 3 && f[1] == "T" && tables.MatchString(f[2]) && f[2] != own {
					t.Errorf("function %s links %s: it should serve its own table of routes only, or it carries other stages' handlers", name, f[2])
				}
				if len(f) >= 3 && f[1] == "T" && reflective.MatchString(f[2]) {
					t.Errorf("function %s links %s: something calls methods by name through reflection (a template engine?), so the linker keeps every exported method; find it with `go build -ldflags=-dumpdep ./%s 2>&1 | grep -F '%s'`",
						name, f[2], name, f[2])
				}
			}
		})
	}
}
