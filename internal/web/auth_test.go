package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
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
	s := &Server{
		Service: &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: st},
		Identify: func(r *http.Request) (workflow.Identity, error) {
			if c, err := r.Cookie("docflow_session"); err == nil && c.Value == "ok" {
				return clerk, nil
			}
			return workflow.Anonymous, nil
		},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { authHits = append(authHits, r.Method+" "+r.URL.Path) }),
	}
	intake := s.FunctionHandler(IntakeTable())
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
	if rec := do(s.FunctionHandler(DraftTable()), "GET", "/todo", ""); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/auth/login?next=%2Ftodo") {
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
	home = do(s.FunctionHandler(PublishTable()), "GET", "/notices", "")
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

type fakeUploads struct{}

func (fakeUploads) Presign(context.Context, workflow.Identity, string, string, int64, string) (*Upload, error) {
	return nil, errors.New("not used")
}

func (fakeUploads) PresignPost(_ context.Context, id workflow.Identity) (*PostUpload, error) {
	return &PostUpload{URL: "https://bucket.s3.example.com/", Key: "inbox/k1",
		Fields: []FormField{{"key", "inbox/k1"}, {"policy", "p&q"}, {"x-amz-meta-uploader", id.User}, {"x-amz-meta-filename", ""}}}, nil
}

// TestUploadPageFormToBucket: where Uploads can presign a form (AWS) the
// upload page posts the file to the bucket, which the page's CSP allows;
// without (locally) it posts to /cases/new. GET /cases/uploaded reloads
// itself while no case has the key, and gives up after uploadWait.
func TestUploadPageFormToBucket(t *testing.T) {
	clerk := workflow.Identity{User: "clerk", Name: "王敏", Roles: []workflow.Role{workflow.Clerk}}
	st, err := localstore.Open(t.TempDir(), localstore.WithoutSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &Server{
		Service:  &workflow.Service{Store: st, Blobs: st.Blobs()},
		Identify: func(*http.Request) (workflow.Identity, error) { return clerk, nil },
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth:     http.NotFoundHandler(),
	}
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.FunctionHandler(IntakeTable()).ServeHTTP(rec, httptest.NewRequest("GET", "https://docflow.example.gov.cn"+path, nil))
		return rec
	}
	if rec := get("/cases/new"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `action="/cases/new"`) {
		t.Errorf("upload page without form uploads: %d; want the form to /cases/new", rec.Code)
	}
	s.Uploads = fakeUploads{}
	rec := get("/cases/new")
	body := rec.Body.String()
	for _, want := range []string{`action="https://bucket.s3.example.com/"`, `name="key" value="inbox/k1"`, `name="policy" value="p&amp;q"`, `name="x-amz-meta-uploader" value="clerk"`, `data-post-upload`} {
		if !strings.Contains(body, want) {
			t.Errorf("upload page lacks %s:\n%s", want, body)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://bucket.s3.example.com;") {
		t.Errorf("CSP %q does not allow the bucket as a form target", csp)
	}
	if strings.Index(body, `name="file"`) < strings.Index(body, `name="x-amz-meta-filename"`) {
		t.Error("the file input must come after the form's fields (S3 ignores fields after the file)")
	}
	rec = get("/cases/uploaded?key=inbox%2Fk1&bucket=b&etag=x")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Refresh"), "2; url=/cases/uploaded?key=inbox%2Fk1&since=") {
		t.Errorf("GET /cases/uploaded before the case is open: %d, Refresh %q; want 200 reloading itself", rec.Code, rec.Header().Get("Refresh"))
	}
	rec = get("/cases/uploaded?key=inbox%2Fk1&since=" + strconv.FormatInt(time.Now().Add(-uploadWait).Unix(), 10))
	if rec.Code != 200 || rec.Header().Get("Refresh") != "" || !strings.Contains(rec.Body.String(), `href="/cases/new"`) {
		t.Errorf("GET /cases/uploaded after %v: %d, Refresh %q; want 200, no reload, a link to upload again", uploadWait, rec.Code, rec.Header().Get("Refresh"))
	}
	if rec = get("/cases/uploaded"); rec.Code != http.StatusBadRequest {
		t.Errorf("GET /cases/uploaded without a key: %d; want 400", rec.Code)
	}
}
