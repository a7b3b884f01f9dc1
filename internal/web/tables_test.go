package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestTables: no route or page is in two tables, and a function's handler
// serves its own table and nothing of the others' or of LocalTable.
func TestTables(t *testing.T) {
	s := &Server{Service: &workflow.Service{}, Identify: func(*http.Request) (workflow.Identity, error) { return workflow.Anonymous, nil },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	all := append(Tables(), LocalTable())
	patterns := func(tb Table) []string {
		var out []string
		for _, rt := range tb.Routes {
			out = append(out, rt.Method+" "+rt.Path)
		}
		for _, p := range tb.Pages {
			out = append(out, p.Method+" "+p.Path)
		}
		return out
	}
	in := map[string]int{} // pattern → index in all
	for i, tb := range all {
		for _, p := range patterns(tb) {
			if j, ok := in[p]; ok {
				t.Errorf("%s is in the tables of %s and %s", p, all[j].Group, tb.Group)
			}
			in[p] = i
		}
	}
	fill := strings.NewReplacer("{$}", "", "{", "", "}", "")
	for i, tb := range Tables() {
		mux, ok := s.FunctionHandler(tb).(*http.ServeMux)
		if !ok {
			t.Fatalf("FunctionHandler(%s) is not a ServeMux", tb.Group)
		}
		for p, j := range in {
			method, path, _ := strings.Cut(p, " ")
			_, got := mux.Handler(httptest.NewRequest(method, fill.Replace(path), nil))
			if j == i && got != p {
				t.Errorf("%s's function answers %s with %q", tb.Group, p, got)
			}
			if j != i && got == p {
				t.Errorf("%s's function serves %s, which is not in its table", tb.Group, p)
			}
		}
	}
}
