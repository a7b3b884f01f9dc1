// Package outboxtest holds what the tests of notification delivery share:
// a real SMTP server (mailpit, started per test on ports the kernel
// chooses, read back through its HTTP API) and a webhook receiver that
// speaks as 企业微信's and 钉钉's group robots do and checks what they
// check.
package outboxtest

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/outbox/robot"
)

// Mailpit is a running mailpit.
type Mailpit struct {
	SMTP string // host:port of its SMTP server
	API  string // base URL of its HTTP API
}

// StartMailpit starts mailpit — the binary DOCFLOW_MAILPIT names, which
// `make test` installs (infra/local/tools.sh) and sets — with its SMTP
// server and HTTP API on ports the kernel chooses, and stops it when the
// test ends; args are more of its flags. Without the binary the test is skipped, but under CI it
// fails: `make test` must provide it.
func StartMailpit(tb testing.TB, args ...string) *Mailpit {
	tb.Helper()
	bin := os.Getenv("DOCFLOW_MAILPIT")
	if bin == "" {
		msg := "DOCFLOW_MAILPIT is not set: run through `make test`, which installs mailpit (infra/local/tools.sh)"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	dir := tb.TempDir()
	cmd := exec.Command(bin, append([]string{"--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-disable-rdns", "--quiet"}, args...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mailpit: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// mailpit does not say which ports ":0" gave it; the kernel does:
	// its listening sockets are in /proc/net/tcp, by the inodes of its
	// file descriptors.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ports := listening(cmd.Process.Pid)
		if len(ports) == 2 {
			m := &Mailpit{}
			for _, p := range ports {
				addr := "127.0.0.1:" + strconv.Itoa(p)
				if isSMTP(addr) {
					m.SMTP = addr
				} else {
					m.API = "http://" + addr
				}
			}
			if m.SMTP != "" && m.API != "" {
				return m
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit (pid %d) did not open its two ports within 30 s (found %v)", cmd.Process.Pid, ports)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listening returns the TCP ports a process listens on (Linux).
func listening(pid int) []int {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// sl local_address rem_address st tx_queue:rx_queue tr tm->when retrnsmt uid timeout inode
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil {
				ports = append(ports, int(p))
			}
		}
		f.Close()
	}
	return ports
}

// isSMTP reports whether the server at addr greets as SMTP servers do.
func isSMTP(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	fmt.Fprint(c, "GET /livez HTTP/1.0\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "220")
}

// Address is a mailbox as mailpit's API gives it.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Mail is one message mailpit received.
type Mail struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
	Text      string    `json:"Text"`
}

// Mails returns every message mailpit has received, oldest first, with
// its text.
func (m *Mailpit) Mails(tb testing.TB) []Mail {
	tb.Helper()
	var list struct {
		Total    int    `json:"total"`
		Messages []Mail `json:"messages"`
	}
	m.get(tb, "/api/v1/messages?limit=1000", &list)
	out := make([]Mail, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		var full Mail
		m.get(tb, "/api/v1/message/"+list.Messages[i].ID, &full)
		out = append(out, full)
	}
	return out
}

func (m *Mailpit) get(tb testing.TB, path string, v any) {
	tb.Helper()
	resp, err := http.Get(m.API + path)
	if err != nil {
		tb.Fatalf("mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("mailpit API %s: %s %s", path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("mailpit API %s: %v", path, err)
	}
}

// Post is one post a Receiver took.
type Post struct {
	Path    string
	Query   string
	MsgType string
	Content string
}

// Receiver is a webhook that answers as a group robot does: it checks the
// JSON ({"msgtype":"text","text":{"content":…}}) and, for a robot with a
// secret, 钉钉's signature (timestamp within an hour of Now, sign the
// HMAC-SHA256 of "timestamp\nsecret"), and answers {"errcode":0} or the
// error a robot gives. Fail makes it answer HTTP 500 until cleared.
type Receiver struct {
	URL    string
	Secret string           // 钉钉's: posts must be signed with it
	Now    func() time.Time // for the signature's age; nil: time.Now

	mu    sync.Mutex
	fail  bool
	posts []Post
	tries int
}

// NewReceiver starts a receiver on a port the kernel chooses, stopped
// when the test ends.
func NewReceiver(tb testing.TB, secret string) *Receiver {
	r := &Receiver{Secret: secret}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(srv.Close)
	r.URL = srv.URL + "/robot/send?access_token=t0ken"
	return r
}

// Fail makes the receiver answer every post with HTTP 500 (fail true), or
// accept posts again.
func (r *Receiver) Fail(fail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

// Posts returns the posts accepted so far.
func (r *Receiver) Posts() []Post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Post(nil), r.posts...)
}

// Tries counts every post received, accepted or not.
func (r *Receiver) Tries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tries
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	answer := func(code int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(robot.Answer{ErrCode: code, ErrMsg: msg})
	}
	if r.fail {
		http.Error(w, "upstream unavailable", http.StatusInternalServerError)
		return
	}
	if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		answer(40008, "invalid message type")
		return
	}
	if req.URL.Query().Get("access_token") != "t0ken" {
		answer(300001, "token is not exist")
		return
	}
	if r.Secret != "" {
		ts, err := strconv.ParseInt(req.URL.Query().Get("timestamp"), 10, 64)
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		if err != nil || now().Sub(time.UnixMilli(ts)).Abs() > time.Hour {
			answer(310000, "invalid timestamp")
			return
		}
		// 钉钉's documented signature, computed here apart from package
		// robot's: Base64(HMAC-SHA256(key secret, "timestamp\nsecret")).
		mac := hmac.New(sha256.New, []byte(r.Secret))
		mac.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + r.Secret))
		if !hmac.Equal([]byte(req.URL.Query().Get("sign")), []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))) {
			answer(310000, "sign not match")
			return
		}
	}
	var body map[string]any
	dec := json.NewDecoder(req.Body)
	if err := dec.Decode(&body); err != nil {
		answer(40008, "invalid json")
		return
	}
	text, _ := body["text"].(map[string]any)
	content, _ := text["content"].(string)
	if body["msgtype"] != "text" || len(body) != 2 || len(text) != 1 || content == "" {
		answer(40008, fmt.Sprintf("invalid message: %v", body))
		return
	}
	r.posts = append(r.posts, Post{Path: req.URL.Path, Query: req.URL.RawQuery, MsgType: "text", Content: content})
	answer(0, "ok")
}
