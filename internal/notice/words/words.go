// Package words splits Chinese text into words, so that a title breaks
// between words (GB/T 9704 7.3.1: 词意完整): github.com/go-ego/gse, its
// shortest-path segmentation over a dictionary with a hidden Markov model
// for words the dictionary lacks (names of places and people).
//
// The dictionary (dict.txt.gz, 36,000 words cut from gse's own by
// infra/words/dict.sh, 230 KB) is embedded, compressed, and read on the
// first call, never at process start: reading it takes 0.1–0.25 s,
// allocates 40 MB and keeps 13.5 MB (BenchmarkLoad), and only a title
// longer than a line needs it. Linking gse adds 0.8 MB to the publish
// function and 0.03 ms to its start (package init). Only the binaries that print
// titles on fixed lines (PDF, .docx: the publish function and docflow)
// link this package.
package words

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

//go:embed dict.txt.gz
var dictGz []byte

// segmenter reads the dictionary once, on first use.
var segmenter = sync.OnceValues(load)

// load reads the embedded dictionary into a gse segmenter.
func load() (*gse.Segmenter, error) {
	zr, err := gzip.NewReader(bytes.NewReader(dictGz))
	if err != nil {
		return nil, fmt.Errorf("notice/words: dictionary: %w", err)
	}
	dict, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("notice/words: dictionary: %w", err)
	}
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictStr(string(dict)); err != nil {
		return nil, fmt.Errorf("notice/words: dictionary: %w", err)
	}
	return seg, nil
}

// Segmenter splits text into words; it implements notice.Segmenter. The
// zero value is ready to use and safe for concurrent use.
type Segmenter struct{}

// Segment returns the words of text in order: their concatenation is
// text. If the dictionary cannot be read (it is embedded, so only a
// broken build could), every character is a word of its own.
func (Segmenter) Segment(text string) []string {
	seg, err := segmenter()
	if err != nil {
		return chars(text)
	}
	// gse lowers Latin letters; cut text itself where gse cut its copy.
	out := seg.Cut(text, true)
	rest := text
	for i, w := range out {
		n := 0
		for k := utf8.RuneCountInString(w); k > 0 && n < len(rest); k-- {
			_, size := utf8.DecodeRuneInString(rest[n:])
			n += size
		}
		out[i], rest = rest[:n], rest[n:]
	}
	if rest != "" {
		return chars(text)
	}
	return out
}

// chars returns each character of text as a word.
func chars(text string) []string {
	out := make([]string, 0, len(text)/3)
	for _, r := range text {
		out = append(out, string(r))
	}
	return out
}
