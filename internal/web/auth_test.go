package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// TestFunctionPagesUseSessionAuth serves pages the way a Lambda function
// does (FunctionHandler, Auth set): /auth/* reaches the session handler,
// a signed-in page is served to a session's user and sends the public to
// /auth/login, and the layout's links point at /auth/*, never the dev
// login, which the functions do not serve.
func TestFunctionPagesUseSessionAuth(t *testing.T) {
	clerk := workflow.Identity{User: "clerk", Name: "王敏", Roles: []workflow.Role{workflow.Clerk}}
	var authHits []string
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Service: &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: acc},
		Identify: func(r *http.Request) (workflow.Identity, error) {
			if c, err := r.Cookie("docflow_session"); err == nil && c.Value == "ok" {
				return clerk, nil
			}
			return workflow.Anonymous, nil
		},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { authHits = append(authHits, r.Method+" "+r.URL.Path) }),
	}
	intake := s.FunctionHandler(Intake)
	do := func(h http.Handler, method, path, session string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "https://docflow.example.gov.cn"+path, nil)
		if method == "POST" {
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		if session != "" {
			r.AddCookie(&http.Cookie{Name: "docflow_session", Value: session})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	for _, p := range []string{"GET /auth/login", "GET /auth/callback", "POST /auth/logout"} {
		m, path, _ := strings.Cut(p, " ")
		do(intake, m, path, "")
	}
	if strings.Join(authHits, ",") != "GET /auth/login,GET /auth/callback,POST /auth/logout" {
		t.Errorf("session handler saw %v; want login, callback and logout", authHits)
	}
	if rec := do(intake, "GET", "/login", ""); rec.Code != http.StatusNotFound {
		t.Errorf("the intake function served the dev login: %d; want 404", rec.Code)
	}
	if rec := do(s.FunctionHandler(Draft), "GET", "/todo", ""); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/auth/login?next=%2Ftodo") {
		t.Errorf("GET /todo as the public in the draft function: %d to %q; want 303 to /auth/login?next=%%2Ftodo", rec.Code, rec.Header().Get("Location"))
	}
	rec := do(intake, "GET", "/static/app.css", "ok")
	if rec.Code != http.StatusOK {
		t.Fatalf("static: %d", rec.Code)
	}
	home := do(intake, "GET", "/cases", "ok")
	if home.Code != http.StatusOK {
		t.Errorf("GET /cases with the clerk's session in the intake function: %d; want 200", home.Code)
	}
	if !strings.Contains(home.Body.String(), `action="/auth/logout"`) || strings.Contains(home.Body.String(), `action="/logout"`) {
		t.Errorf("a page for a session's user does not post logout to /auth/logout:\n%s", home.Body)
	}
	home = do(s.FunctionHandler(Publish), "GET", "/notices", "")
	if !strings.Contains(home.Body.String(), `href="/auth/login?next=%2Fnotices"`) {
		t.Errorf("/notices for the public has no /auth/login link:\n%s", home.Body)
	}
}

// TestLocalAuthIsAbsent asks the local server (no Auth) for /auth/login.
func TestLocalAuthIsAbsent(t *testing.T) {
	s := &Server{Service: &workflow.Service{}, Identify: func(*http.Request) (workflow.Identity, error) { return workflow.Anonymous, nil },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/auth/login", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /auth/login locally: %d; want 404", rec.Code)
	}
}
