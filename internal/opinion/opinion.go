// Package opinion reads an incoming review opinion (审议意见) — plain text,
// Markdown or .docx, in UTF-8 or GB18030 — into a workflow.Opinion.
//
// The reader is built for the genre, not for one document: any issuing
// body and level (区, 县, 市), any numbering style of official documents
// (一、 （一） 1. （1） 1） ①) nested up to four levels, full-width or
// half-width punctuation and digits, deadlines in months, days or as a date.
// Every failure is a *workflow.Error of kind Invalid whose message tells a
// clerk, in Chinese, what is wrong and, where it can, on which line.
package opinion

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/docflow/docflow/internal/workflow"
)

// Options tune reading.
type Options struct {
	// DefaultMonths is the deadline, counted from the opinion's date, when
	// the opinion names none (e.g. 6). Zero or less means 6, the term most
	// standing committees give for a written report.
	DefaultMonths int
}

// MaxSize is the largest upload Parse reads; bigger uploads are refused. An
// opinion is a few pages: anything larger is the wrong file.
const MaxSize = 2 << 20

const op = "opinion.Parse"

// Parse reads an opinion file. name is the uploaded file name: its extension
// picks .txt, .md or .docx handling; with an unknown or empty extension the
// content decides. The result passes (*workflow.Opinion).Validate. Errors
// are *workflow.Error of kind workflow.Invalid.
func Parse(name string, data []byte, opt Options) (*workflow.Opinion, error) {
	text, err := readText(name, data)
	if err != nil {
		return nil, err
	}
	o, err := parseText(text, opt)
	if err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, &workflow.Error{Op: op, Kind: workflow.Invalid, Msg: workflow.Message(err), Err: err}
	}
	return o, nil
}

// invalid returns the error every failure of Parse is reported as.
func invalid(format string, args ...any) *workflow.Error {
	return workflow.Errorf(op, workflow.Invalid, format, args...)
}

// atLine is invalid for a problem that a clerk can find at a line.
func atLine(n int, format string, args ...any) *workflow.Error {
	return invalid("第 %d 行：%s", n, fmt.Sprintf(format, args...))
}

// lazyRegexp compiles expr when it is first used. Only intake reads
// opinions, and compiling all of this package's expressions at every cold
// start of every function took about a millisecond.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
