package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/accesslog"
	"github.com/docflow/docflow/internal/web"
)

// TestHelp asks for help as an IT person would: docflow help lists every
// command; help COMMAND and COMMAND -h describe its flags and succeed; an
// unknown command or flag fails.
func TestHelp(t *testing.T) {
	ctx := context.Background()
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"help"}, &out, &errs); err != nil {
		t.Fatalf("docflow help: %v", err)
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), "docflow "+c.name+" ") {
			t.Errorf("docflow help does not list %s:\n%s", c.name, out.String())
		}
	}
	for _, c := range commands {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}, {c.name, "--help"}} {
			out.Reset()
			errs.Reset()
			if err := run(ctx, args, &out, &errs); err != nil {
				t.Errorf("docflow %s: %v; want success", strings.Join(args, " "), err)
			}
			if text := out.String() + errs.String(); c.name != "help" && !strings.Contains(text, "docflow "+c.name+" ") {
				t.Errorf("docflow %s gives no usage:\n%s", strings.Join(args, " "), text)
			}
		}
	}
	if err := run(ctx, []string{"serve", "-h"}, &out, &errs); err != nil || !strings.Contains(errs.String(), "-log-level") {
		t.Errorf("docflow serve -h: %v, %q; want success and the -log-level flag", err, errs.String())
	}
	for _, args := range [][]string{{"bogus"}, {"serve", "-bogus"}, {"serve", "-log-level", "loud"}, {}} {
		if err := run(ctx, args, &out, &errs); err == nil {
			t.Errorf("docflow %s succeeded; want an error", strings.Join(args, " "))
		}
	}
}

// TestAccessLog serves requests through Main and reads its log: one record
// each, with method, path, status, duration, user and request ID.
func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	m := &Main{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	req, _ := http.NewRequest("GET", m.URL+"/api/cases", nil)
	req.Header.Set(web.UserHeader, "clerk")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Header.Get(accesslog.Header)
	res, err = http.Get(m.URL + "/api/cases/nope?secret=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	m.Close()
	log := buf.String()
	for _, want := range []string{
		`msg=request method=GET path=/api/cases status=200 duration=\S+ user=clerk request_id=` + id,
		`msg=request method=GET path=/api/cases/nope status=404 duration=\S+ user=- request_id=\w{16}`,
	} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, "secret") {
		t.Errorf("the query string was logged:\n%s", log)
	}
}

// TestDemoNamesFiles runs the demo on its own server, which stops when the
// demo ends: it must name the published files, which exist, and no URL of
// the stopped server.
func TestDemoNamesFiles(t *testing.T) {
	var out, errs bytes.Buffer
	dir := filepath.Join(t.TempDir(), "demo")
	if err := run(context.Background(), []string{"demo", "-data", dir}, &out, &errs); err != nil {
		t.Fatalf("docflow demo: %v\n%s", err, errs.String())
	}
	text := out.String()
	if regexp.MustCompile(`http://127\.0\.0\.1:\d{2,}[0-9]/notices/`).MatchString(strings.ReplaceAll(text, "127.0.0.1:8080", "")) {
		t.Errorf("the demo printed a URL of its own server, stopped by now:\n%s", text)
	}
	files := regexp.MustCompile(`(?m)^  notice\.\w+  (\S+)$`).FindAllStringSubmatch(text, -1)
	if len(files) < 2 {
		t.Fatalf("the demo names %d files; want the HTML and the .docx at least:\n%s", len(files), text)
	}
	for _, f := range files {
		if _, err := os.Stat(f[1]); err != nil {
			t.Errorf("the demo names %s: %v", f[1], err)
		}
	}
}
