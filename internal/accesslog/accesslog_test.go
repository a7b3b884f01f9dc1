package accesslog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// TestHandler serves three requests — a signed-in page, the public's, and
// a failure — and reads the JSON access records back.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(WithRequestID(slog.NewJSONHandler(&buf, nil)))
	identify := Identify(func(r *http.Request) (workflow.Identity, error) {
		if r.Header.Get("X-User") != "" {
			return workflow.Identity{User: r.Header.Get("X-User")}, nil
		}
		return workflow.Anonymous, nil
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cases", func(w http.ResponseWriter, r *http.Request) {
		id, _ := identify(r)
		time.Sleep(5 * time.Millisecond)
		w.Write([]byte("hello " + id.User))
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		log.ErrorContext(r.Context(), "request failed", "err", "disk full")
		http.Error(w, "failed", http.StatusInternalServerError)
	})
	h := Handler(log, mux, func(r *http.Request) string { return r.Header.Get("X-Gateway-Id") })

	do := func(path, user, gw string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path+"?code=secret", nil)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		if gw != "" {
			req.Header.Set("X-Gateway-Id", gw)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	clerk := do("/cases", "clerk", "gw-1")
	public := do("/cases", "", "")
	do("/boom", "", "gw-3")
	if clerk.Header().Get(Header) != "gw-1" || len(public.Header().Get(Header)) != 16 {
		t.Errorf("request IDs sent back: %q, %q; want the gateway's, then a random one", clerk.Header().Get(Header), public.Header().Get(Header))
	}
	if strings.Contains(buf.String(), "secret") {
		t.Errorf("the query string was logged:\n%s", buf.String())
	}
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		recs = append(recs, m)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records; want 4 (three requests and one error):\n%s", len(recs), buf.String())
	}
	want := []struct {
		level, msg, user, id string
		status               float64
	}{
		{"INFO", "request", "clerk", "gw-1", 200},
		{"INFO", "request", "-", public.Header().Get(Header), 200},
		{"ERROR", "request failed", "", "gw-3", 0},
		{"ERROR", "request", "-", "gw-3", 500},
	}
	for i, w := range want {
		r := recs[i]
		if r["level"] != w.level || r["msg"] != w.msg || r["request_id"] != w.id || w.user != "" && (r["user"] != w.user || r["status"] != w.status || r["method"] != "GET") {
			t.Errorf("record %d = %v; want %+v", i, r, w)
		}
	}
	if d, _ := recs[0]["duration"].(float64); d < float64(5*time.Millisecond) {
		t.Errorf("duration %v ns; want at least the 5 ms the handler took", recs[0]["duration"])
	}
}
