package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/japanese"

	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

func mustOpen(tb testing.TB) *Main {
	tb.Helper()
	m := &Main{DataDir: tb.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func fixture(tb testing.TB) fs.FS {
	tb.Helper()
	f, err := subFS("testdata/jingan-2025-17")
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// normalize collapses whitespace runs: report.txt is the seed's text with
// one block a line, and the seed has stray spaces (标题 … 落实情况).
func normalize(s string) string { return strings.Join(strings.Fields(s), "") }

// TestFixtureCaseEndToEnd takes the fixture case through all five stages
// over the HTTP API and reads the published notice back like a browser
// would: its text, block by block, must be report.txt.
func TestFixtureCaseEndToEnd(t *testing.T) {
	m := mustOpen(t)
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d := &demo.Demo{BaseURL: m.URL, Fixture: fixture(t), Log: &log, Series: "静府议", First: 17,
		Date: workflow.Day(2025, 12, 22), Clerk: "clerk", Accounts: acc}
	c, err := d.Run(context.Background())
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, log.String())
	}
	if got := c.Publication.Number(); got != "静府议〔2025〕17号" {
		t.Errorf("number %q; want 静府议〔2025〕17号", got)
	}
	resp, err := http.Get(m.URL + "/notices/" + c.ID + "/notice.html") // as the public: no user header
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET notice: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got, err := noticetest.Blocks(page)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fs.ReadFile(fixture(t), "report.txt")
	if err != nil {
		t.Fatal(err)
	}
	wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
	for i := 0; i < max(len(got), len(wantLines)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if normalize(g) != normalize(w) {
			t.Errorf("block %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
	// The file on disk is what was served, and nothing else holds it.
	onDisk, err := os.ReadFile(m.Store.Blobs().Path(c.Publication.Files[0].Key))
	if err != nil || !bytes.Equal(onDisk, page) {
		t.Errorf("published file on disk differs from the served page (err %v)", err)
	}
	// The audit trail is complete and intact: read a page at a time, each
	// stream's events chain.
	var evs []workflow.Event
	for cursor := ""; ; {
		var page struct {
			Events []workflow.Event
			Next   string
		}
		getJSON(t, m.URL+"/api/cases/"+c.ID+"/events?limit=20&cursor="+cursor, "clerk", &page)
		evs = append(evs, page.Events...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	streams := map[string][]workflow.Event{}
	for i := len(evs) - 1; i >= 0; i-- {
		streams[evs[i].Stream] = append(streams[evs[i].Stream], evs[i])
	}
	for st, chain := range streams {
		if err := workflow.VerifyChain(chain); err != nil {
			t.Errorf("stream %q: %v", st, err)
		}
	}
	if n := len(evs); n < 50 {
		t.Errorf("%d audit events; want one per change (over 50 for this case)", n)
	}
	if v, err := m.Service.Verify(context.Background(), c.ID); err != nil || v.Events != len(evs) {
		t.Errorf("Verify = %+v, %v; want the %d events read", v, err, len(evs))
	}
	// The public list shows it.
	var list struct{ Notices []struct{ Number string } }
	getJSON(t, m.URL+"/api/notices", "", &list)
	if len(list.Notices) != 1 || list.Notices[0].Number != "静府议〔2025〕17号" {
		t.Errorf("public list %+v; want the one notice", list)
	}
}

func getJSON(tb testing.TB, url, user string, v any) {
	tb.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if user != "" {
		req.Header.Set("X-Docflow-User", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatal(err)
	}
}

// TestMalformedOpinionsRefused uploads what a clerk might pick by mistake.
// Each must be refused with a status below 500 and a message that says
// what is wrong, and must open no case.
func TestMalformedOpinionsRefused(t *testing.T) {
	m := mustOpen(t)
	good, err := fs.ReadFile(fixture(t), "opinion.txt")
	if err != nil {
		t.Fatal(err)
	}
	sjis, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte("審議意見　第一条　テスト"))
	utf16le := []byte{0xFF, 0xFE}
	for _, r := range utf16.Encode([]rune(string(good))) {
		utf16le = append(utf16le, byte(r), byte(r>>8))
	}
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, 0x13, 0x80}, 256)...)
	tests := []struct {
		name   string
		file   string
		data   []byte
		status int
		phrase string
	}{
		{"empty file", "o.txt", nil, 400, "空"},
		{"only whitespace", "o.txt", []byte(" \n\t\r\n　\n"), 400, "空"},
		{"a PNG named .txt", "o.txt", png, 400, "不是文本"},
		{"UTF-16 text", "o.txt", utf16le, 400, "UTF-16"},
		{"Shift-JIS text", "o.txt", sjis, 400, "编码"},
		{"text without numbered items", "o.txt", []byte("上海市静安区人民代表大会常务委员会\n\n静会〔2025〕57号\n\n关于某事的审议意见\n\n区人民政府：\n\n会议认为，工作有成效。\n\n上海市静安区人大常委会\n\n2025年7月10日\n"), 400, "条目"},
		{"10 MB of text", "o.txt", bytes.Repeat([]byte("审议意见正文。"), 10<<20/21), 413, "过大"},
		{"a .docx that is not a zip", "o.docx", []byte("PK\x03\x04 not really a zip"), 400, "docx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", m.URL+"/api/cases?name="+tt.file, bytes.NewReader(tt.data))
			req.Header.Set("X-Docflow-User", "clerk")
			req.Header.Set("Content-Type", "text/plain")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p struct{ Error string }
			json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != tt.status || !strings.Contains(p.Error, tt.phrase) {
				t.Errorf("upload %s: %d %q; want %d and a message saying %q", tt.name, resp.StatusCode, p.Error, tt.status, tt.phrase)
			}
		})
	}
	var list workflow.Page
	getJSON(t, m.URL+"/api/cases", "clerk", &list)
	if len(list.Cases) != 0 {
		t.Errorf("%d cases opened by malformed uploads; want 0", len(list.Cases))
	}
}

// TestForgedRequests sends what a hand-made or tampered request might carry.
func TestForgedRequests(t *testing.T) {
	m := mustOpen(t)
	tests := []struct {
		name, method, path, user, body string
		status                         int
		phrase                         string
	}{
		{"unknown user header", "GET", "/api/cases", "nobody", "", 401, "账号不存在"},
		{"the public reads an audit trail", "GET", "/api/cases/x/events", "", "", 401, "未登录"},
		{"unknown JSON field", "PUT", "/api/series/静府议/2025", "clerk", `{"next": 3, "admin": true}`, 400, "不认识的字段"},
		{"wrong JSON type", "PUT", "/api/series/静府议/2025", "clerk", `{"next": "17"}`, 400, "类型"},
		{"two JSON objects", "PUT", "/api/series/静府议/2025", "clerk", `{"next": 3}{"next": 4}`, 400, "一个"},
		{"department sets the series", "PUT", "/api/series/静府议/2025", "fulian-staff", `{"next": 3}`, 403, "区府办"},
		{"bad year", "PUT", "/api/series/静府议/20x5", "clerk", `{"next": 3}`, 400, "年份"},
		{"oversized JSON", "PUT", "/api/series/静府议/2025", "clerk", `{"next": 3, "x": "` + strings.Repeat("a", 3<<20) + `"}`, 413, "过大"},
		{"bad date", "POST", "/api/cases/x/publish", "clerk", `{"date": "2025/12/22"}`, 400, "格式"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, m.URL+tt.path, strings.NewReader(tt.body))
			if tt.user != "" {
				req.Header.Set("X-Docflow-User", tt.user)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p struct{ Error string }
			json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != tt.status || !strings.Contains(p.Error, tt.phrase) {
				t.Errorf("%d %q; want %d and a message saying %q", resp.StatusCode, p.Error, tt.status, tt.phrase)
			}
		})
	}
}

func TestServeDefaultsToAVisibleDataDir(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"-addr", "127.0.0.1:0"}, out, io.Discard) }()
	for i := 0; i < 100 && !strings.Contains(out.String(), "serving"); i++ {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		waitABit()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "docflow-data", "docflow.db")); err != nil {
		t.Errorf("serve without -data made no ./docflow-data/docflow.db: %v", err)
	}
}

func waitABit() { <-time.After(50 * time.Millisecond) }

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
