package workflow

import (
	"errors"
	"fmt"
)

// Kind classifies an Error so that the edges (HTTP, Lambda) can react to it
// without parsing messages. The list only grows.
type Kind int

const (
	Other     Kind = iota // an internal failure; its message is not shown to users
	Invalid               // the request is malformed or breaks a rule
	Forbidden             // the actor may not do this
	NotFound              // the thing does not exist
	Conflict              // the thing changed since it was read; reload and retry
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case Forbidden:
		return "forbidden"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	}
	return "internal"
}

// Error is the one error type of docflow. Msg is written for a clerk and is
// safe to show; Err is the cause, for logs only.
type Error struct {
	Op   string // where it happened: "workflow.Approve", "localstore.SaveCase"
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := e.Op + ": " + e.Kind.String()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error of kind k with a user-facing message.
func Errorf(op string, k Kind, format string, args ...any) *Error {
	return &Error{Op: op, Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the first *Error in err's chain, or Other.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}

// Message returns the user-facing message of err, or "" for internal errors,
// whose details must not reach users.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Other {
		return e.Msg
	}
	return ""
}
