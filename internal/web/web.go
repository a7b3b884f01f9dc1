// Package web serves docflow over HTTP: a JSON API for every stage and
// the server-rendered pages for every role (pages*.go, ui/). The same handler runs in the local server and, through
// an API Gateway adapter, in each stage's Lambda function. It decides
// nothing itself: every permission and rule lives in package workflow.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Group names a stage; each Lambda function serves one group's Table.
type Group string

const (
	Intake  Group = "intake"
	Assign  Group = "assign"
	Draft   Group = "draft"
	Signoff Group = "signoff"
	Publish Group = "publish"
)

// Server holds what the handlers need.
type Server struct {
	Service *workflow.Service
	// Identify names the caller. Locally it is DevIdentity; on AWS it reads
	// the JWT authorizer's claims (API) or the session cookie (pages).
	Identify func(r *http.Request) (workflow.Identity, error)
	// Parse reads an uploaded opinion (package opinion).
	Parse func(name string, data []byte) (*workflow.Opinion, error)
	// ParseRoster reads a roster of accounts (package roster: CSV or
	// Excel) and names the columns it ignored. Nil where the pages do not
	// import rosters (the functions, which need not carry an Excel reader).
	ParseRoster func(name string, data []byte) (workflow.Roster, []string, error)
	// Workbook writes the 办理台账 as an Excel workbook (package ledger).
	// Nil where the pages offer the CSV tables only (the functions, which
	// need not carry an Excel writer).
	Workbook func(*workflow.Statistics) ([]byte, error)
	// ReadDocx reads a section uploaded as a Word document (package
	// docxmd) at the section's outline level: the heading its first
	// paragraph gives ("" if none) and the Markdown body. Nil where
	// sections are not imported from Word: only the draft function and
	// the local server link the reader.
	ReadDocx func(data []byte, level int) (heading, body string, err error)
	// ReadList reads a list of 代表建议 or 政协提案 (caselist.Proposals): its
	// rows, the rows it refused and why, at most maxRows. Nil where no
	// list is imported (the functions but assign).
	ReadList func(name string, data []byte, maxRows int) ([]workflow.Proposal, []workflow.Imported, error)
	Log      *slog.Logger
	// Uploads hands out presigned upload URLs; nil where files are posted
	// to the server directly (locally).
	Uploads Uploads
	// Auth serves browser sign-in through the office's identity provider
	// under /auth/ (GET /auth/login, GET /auth/callback, POST
	// /auth/logout; package signin). Nil where only passwords (or -dev)
	// sign in.
	Auth http.Handler

	// Sessions keeps the sessions of people who sign in with a password or
	// through Auth, and API tokens (the local server): /login is then the
	// password form, /account manages one's sessions and tokens, and
	// SessionIdentity identifies callers.
	Sessions workflow.Sessions
	// Proofs checks passwords and one-time codes for those sessions
	// (package proof). Nil where people sign in only through Auth: the
	// functions then link no password hashing nor QR code writer.
	Proofs Proofs
	// Dev makes /login list the office's accounts to choose from, without
	// a password: the development identity of `docflow serve -dev`.
	Dev bool
	// SetupToken, while the installation has no office, lets /setup?token=
	// create it and its first administrator. Empty: no setup page.
	SetupToken string
	// Hosts, if set, are the Host headers served; any other is refused,
	// so that a page on another name (DNS rebinding) cannot reach a server
	// that trusts its network.
	Hosts []string

	limiter  limiter
	consults limiter // comments and bad links on the 征求意见 page, per address (pages_consult.go)
}

// Proofs checks what people on one machine prove who they are with.
type Proofs interface {
	Rules(pw string) error // a new password's problem, in Chinese; nil if none
	Hash(pw string) (string, error)
	Check(hash, pw string) bool
	Waste(pw string) // costs what Check does, for refusals that must not be faster
	Validate(code, secret string) bool
	// Enroll makes a second factor's secret (or shows secret again), with
	// its otpauth URL and QR code (PNG).
	Enroll(issuer, user, secret string) (key, url string, qr []byte, err error)
}

// Uploads issues short-lived URLs that let a browser put one opinion file
// straight into the inbox.
type Uploads interface {
	// Presign signs one upload; revises, if not "", marks the file as a
	// revised version of that case's opinion (workflow.Service.Revise):
	// the inbox registers it so.
	Presign(ctx context.Context, id workflow.Identity, name, contentType string, size int64, revises string) (*Upload, error)
}

// PostUploads is implemented by Uploads that can also presign a browser
// form upload (S3 POST object): the upload page then posts the file
// straight to the bucket, without JavaScript, and the bucket sends the
// browser back to GET /cases/uploaded.
type PostUploads interface {
	PresignPost(ctx context.Context, id workflow.Identity) (*PostUpload, error)
}

// PostUpload is an HTML form that sends one file into the inbox: post
// Fields (in order), then the file as "file", to URL.
type PostUpload struct {
	URL     string
	Key     string
	Fields  []FormField
	Expires time.Time
}

// FormField is a hidden form field of a PostUpload.
type FormField struct{ Name, Value string }

// Upload tells the browser how to send the file.
type Upload struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Key     string            `json:"key"`
	Headers map[string]string `json:"headers"` // must be sent as signed
	Expires time.Time         `json:"expires"`
}

// Limits on request bodies; beyond them the request is refused with 413.
const (
	MaxUpload = 2<<20 + 64<<10 // an opinion file plus multipart overhead
	MaxJSON   = 2 << 20
)

// Route is one API endpoint, in the Table of the group whose function
// serves it.
type Route struct {
	Method  string
	Path    string
	Access  Access // who may use it: see Access
	handler func(*Server, *http.Request, workflow.Identity) (any, error)
}

// Handler serves every table and LocalTable: the local server.
func (s *Server) Handler() http.Handler {
	return s.handler(append(Tables(), LocalTable()), true)
}

// FunctionHandler serves the routes and pages of t: a Lambda function.
func (s *Server) FunctionHandler(t Table) http.Handler { return s.handler([]Table{t}, false) }

func (s *Server) handler(tables []Table, local bool) http.Handler {
	mux := http.NewServeMux()
	// The API, like the pages, refuses what a browser marks as a
	// cross-site request: a page elsewhere must not act with the cookie of
	// someone signed in here. Scripts send no such marks (and use tokens).
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, workflow.Errorf("web.csrf", workflow.Forbidden, "跨站请求已被拒绝"))
	}))
	for _, t := range tables {
		for _, rt := range t.Routes {
			pattern := rt.Method + " " + rt.Path
			if rt.handler == nil {
				mux.HandleFunc(pattern, s.file)
				continue
			}
			mux.Handle(pattern, cop.Handler(s.api(rt.Access, rt.handler)))
		}
		s.mountPages(mux, t.Pages, local)
	}
	if len(s.Hosts) == 0 {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			http.Error(w, "docflow: this server does not answer to the name "+strconv.Quote(r.Host), http.StatusMisdirectedRequest)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether host (with or without a port) is one of
// Hosts (each with or without a port).
func (s *Server) hostAllowed(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, ok := range s.Hosts {
		if strings.EqualFold(ok, host) || strings.EqualFold(ok, name) {
			return true
		}
	}
	return false
}

// api adapts a handler returning a value to JSON in and out.
func (s *Server) api(a Access, h func(*Server, *http.Request, workflow.Identity) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.Identify(r)
		if err == nil {
			err = a.check(id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v, err := h(s, r, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusOK
		if c, ok := v.(created); ok {
			status, v = http.StatusCreated, c.v
		}
		writeJSON(w, status, v)
	})
}

// created marks a response as 201.
type created struct{ v any }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.Encode(v)
}

var statusOf = map[workflow.Kind]int{
	workflow.Invalid:   http.StatusBadRequest,
	workflow.Forbidden: http.StatusForbidden,
	workflow.NotFound:  http.StatusNotFound,
	workflow.Conflict:  http.StatusConflict,
}

// Problem is the body of every error response.
type Problem struct {
	Error  string         `json:"error"` // for people, in Chinese
	Kind   string         `json:"kind"`  // for programs
	Case   *workflow.Case `json:"case,omitempty"`
	Status int            `json:"status"`
}

// fail writes err as a Problem. Only internal errors are logged, and their
// details never reach the client.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = workflow.Errorf("web", workflow.Invalid, "请求过大（上限 %d 字节）", tooBig.Limit)
		writeJSON(w, http.StatusRequestEntityTooLarge, Problem{Error: workflow.Message(err), Kind: "too large", Status: 413})
		return
	}
	var big *tooLarge
	if errors.As(err, &big) {
		writeJSON(w, http.StatusRequestEntityTooLarge, Problem{Error: big.msg, Kind: "too large", Status: 413})
		return
	}
	if errors.Is(err, errUnauthenticated) {
		writeJSON(w, http.StatusUnauthorized, Problem{Error: "未登录或账号不存在", Kind: "unauthenticated", Status: 401})
		return
	}
	k := workflow.KindOf(err)
	status, ok := statusOf[k]
	msg := workflow.Message(err)
	if !ok {
		status, msg = http.StatusInternalServerError, "系统内部错误，请稍后重试；如反复出现请联系管理员"
		s.Log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := Problem{Error: msg, Kind: k.String(), Status: status}
	var dup *duplicate
	if errors.As(err, &dup) {
		p.Case = dup.c
	}
	writeJSON(w, status, p)
}

// duplicate carries the existing case with an intake Conflict.
type duplicate struct {
	c   *workflow.Case
	err error
}

func (d *duplicate) Error() string { return d.err.Error() }
func (d *duplicate) Unwrap() error { return d.err }

var errUnauthenticated = errors.New("unauthenticated")

// UserHeader names the caller under `docflow serve -dev`, and only there:
// anyone who can send a request can claim any account with it.
const UserHeader = "X-Docflow-User"

// DevIdentity identifies callers by UserHeader (or the docflow_user cookie)
// against the office's accounts, without proof: the development identity,
// which `docflow serve` uses only with -dev on a loopback address. No
// header means the public.
func DevIdentity(dir workflow.Directory) func(*http.Request) (workflow.Identity, error) {
	return func(r *http.Request) (workflow.Identity, error) {
		user := r.Header.Get(UserHeader)
		if user == "" {
			if c, err := r.Cookie("docflow_user"); err == nil {
				user = c.Value
			}
		}
		if user == "" {
			return workflow.Anonymous, nil
		}
		a, err := dir.Account(r.Context(), user)
		if workflow.KindOf(err) == workflow.NotFound || err == nil && a.Disabled {
			return workflow.Identity{}, fmt.Errorf("user %q: %w", user, errUnauthenticated)
		}
		if err != nil {
			return workflow.Identity{}, err
		}
		return a.Identity(), nil
	}
}

// decode reads a JSON body strictly: unknown fields are refused, so a
// forged or mistyped field is an error rather than silently ignored.
func decode(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, MaxJSON)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return &workflow.Error{Op: "web.decode", Kind: workflow.Invalid, Msg: "请求内容不是有效的 JSON：" + jsonProblem(err), Err: err}
	}
	if dec.More() {
		return workflow.Errorf("web.decode", workflow.Invalid, "请求内容只能有一个 JSON 对象")
	}
	return nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("字段 %s 的类型应为 %s", te.Field, te.Type)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return "不认识的字段 " + strings.TrimPrefix(msg, "json: unknown field ")
	}
	return msg
}
