// Package accesslog writes one record per HTTP request — method, path,
// status, duration, user and request ID — through log/slog, as the access
// log of a web server would. The local server and the Lambda functions
// use it alike.
package accesslog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Header carries the request ID back to the client, so that a person
// reporting a failure can quote it and IT can find the log records.
const Header = "X-Request-Id"

type key struct{}

// entry is what is learned about a request while it is served.
type entry struct {
	id   string
	user string
}

// Handler serves h and logs each request to log when it is done: at
// level Info, or Error for a 5xx answer. requestID names the request (on
// Lambda, API Gateway's request ID); nil makes a random one. The query
// string is not logged: the sign-in callback's carries the authorization
// code.
func Handler(log *slog.Logger, h http.Handler, requestID func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e := &entry{}
		if requestID != nil {
			e.id = requestID(r)
		}
		if e.id == "" {
			b := make([]byte, 8)
			rand.Read(b)
			e.id = hex.EncodeToString(b)
		}
		w.Header().Set(Header, e.id)
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), key{}, e)))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		user := e.user
		if user == "" {
			user = "-"
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)), slog.String("user", user), slog.String("request_id", e.id),
			slog.Int64("bytes", rec.bytes))
	})
}

// Identify returns identify that also notes, for the access log, the user
// it names. Handler must serve the request for the note to be kept.
func Identify(identify func(*http.Request) (workflow.Identity, error)) func(*http.Request) (workflow.Identity, error) {
	return func(r *http.Request) (workflow.Identity, error) {
		id, err := identify(r)
		if e, ok := r.Context().Value(key{}).(*entry); ok && err == nil {
			e.user = id.User
		}
		return id, err
	}
}

// RequestID is the ID Handler gave the request in ctx, "" outside it.
func RequestID(ctx context.Context) string {
	if e, ok := ctx.Value(key{}).(*entry); ok {
		return e.id
	}
	return ""
}

// WithRequestID returns a slog.Handler that adds the request ID to every
// record logged with a request's context, so that an error logged while
// serving a request can be found beside its access record.
func WithRequestID(h slog.Handler) slog.Handler { return idHandler{h} }

type idHandler struct{ slog.Handler }

func (h idHandler) Handle(ctx context.Context, r slog.Record) error {
	if e, ok := ctx.Value(key{}).(*entry); ok {
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = a.Key == "request_id"
			return !found
		})
		if !found {
			r.AddAttrs(slog.String("request_id", e.id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h idHandler) WithAttrs(as []slog.Attr) slog.Handler { return idHandler{h.Handler.WithAttrs(as)} }
func (h idHandler) WithGroup(name string) slog.Handler    { return idHandler{h.Handler.WithGroup(name)} }

// recorder notes the status and size of the answer.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (Flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
