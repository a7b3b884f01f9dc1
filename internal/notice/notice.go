// Package notice lays out the final notice (the government's report)
// following GB/T 9704-2012: the red header, the title, the body with its
// outline levels numbered, the signature, the 附件 and the 版记. A notice
// with a workflow.Letter (the 答复函 that answers a deputy's suggestion or
// a member's proposal) is laid out as a letter, 信函格式 (clause 10.1):
// the same model, with the letter's 版头 and 版记 (see Document.Letter).
//
// Layout builds one model of the document (Document, layout.go) from the
// notice's fields and its Markdown body; writers render that model: this
// package the standalone HTML page with its print CSS (html.go), package
// notice/pdf an A4 PDF with embedded subset fonts on the standard's 22 × 28
// grid, package notice/docx a WordprocessingML file. Only what publishes
// links those two (see Format). The body is Markdown written by
// departments and is treated as untrusted: raw HTML is never shown, in any
// output; a link keeps its target only if it is http, https, mailto or
// relative, read as a browser reads it (safeURL); and what would make the
// Markdown parser work too long prints as written (guard.go), so that no
// body of the allowed size takes more than a few times as long as prose
// of that size.
package notice

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/util"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// Output file of Render.
const (
	FileName    = "notice.html"
	ContentType = "text/html; charset=utf-8"
)

// Renderer renders notices. It is safe for concurrent use.
type Renderer struct {
	md      func() goldmark.Markdown // built on first use: most requests render nothing
	css     string
	formats []Format
}

// Format writes a laid-out notice as one more file beside the HTML page:
// notice/pdf and notice/docx provide them. A Format may add to
// d.Substitutions (the render report) as it writes.
type Format interface {
	Write(d *Document) (workflow.Rendered, error)
}

// Option configures a Renderer.
type Option func(*Renderer)

// WithFormats makes Render write these files too, in this order, after
// notice.html. Only main packages choose them, so that a binary that never
// publishes does not link the PDF and .docx writers.
func WithFormats(fs ...Format) Option {
	return func(r *Renderer) { r.formats = append(r.formats, fs...) }
}

var _ workflow.Renderer = (*Renderer)(nil)

// New reads the embedded stylesheet. The Markdown parser is built once, on
// first use, and never passes raw HTML through: bodies are user input.
// Without WithFormats the Renderer makes the HTML page only.
func New(opts ...Option) (*Renderer, error) {
	css, err := fs.ReadFile(templates.FS, "notice.css")
	if err != nil {
		return nil, fmt.Errorf("notice: read stylesheet: %w", err)
	}
	md := sync.OnceValue(func() goldmark.Markdown {
		return goldmark.New(
			goldmark.WithExtensions(
				extension.CJK, // no stray space where a line breaks between two Chinese characters
				extension.Table,
				extension.Strikethrough,
				outline,
			),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(flattener{}, 1000))),
		)
	})
	// The stylesheet is ours, embedded in the binary, so it is trusted CSS.
	r := &Renderer{md: md, css: string(css)}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Render implements workflow.Renderer. It returns notice.html and the
// files of the Renderer's formats (WithFormats), all from one layout
// model. It refuses a notice that lacks what a published document must
// print, such as its number and date.
func (r *Renderer) Render(ctx context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	return r.RenderWith(ctx, n, Extras{})
}

// RenderWith is Render with the optional elements of x (附注, 附件,
// 签发人, seal), for callers that have them, such as a command that renders
// a notice file.
func (r *Renderer) RenderWith(ctx context.Context, n *workflow.Notice, x Extras) ([]workflow.Rendered, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := complete(n); err != nil {
		return nil, err
	}
	d, err := r.LayoutWith(n, x)
	if err != nil {
		return nil, err
	}
	page, err := r.DocumentHTML(d)
	if err != nil {
		return nil, err
	}
	out := []workflow.Rendered{{Name: FileName, ContentType: ContentType, Data: page}}
	for _, f := range r.formats {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		file, err := f.Write(d)
		if err != nil {
			return nil, err
		}
		out = append(out, file)
	}
	return out, nil
}

// complete reports the fields a published notice cannot do without.
func complete(n *workflow.Notice) error {
	var miss []string
	for _, f := range []struct {
		name  string
		empty bool
	}{
		{"发文机关标志", strings.TrimSpace(n.Mark) == ""},
		{"发文字号", strings.TrimSpace(n.Number) == ""},
		{"标题", strings.TrimSpace(n.Title) == ""},
		{"署名", strings.TrimSpace(n.Signer) == ""},
		{"成文日期", n.Date.IsZero()},
	} {
		if f.empty {
			miss = append(miss, f.name)
		}
	}
	if len(miss) > 0 {
		return workflow.Errorf("notice.Render", workflow.Invalid, "正式公文缺少%s", strings.Join(miss, "、"))
	}
	return nil
}

// HTML returns the standalone page of n. It also serves previews: a notice
// without a number or dates (not yet published) leaves those lines out.
func (r *Renderer) HTML(n *workflow.Notice) ([]byte, error) {
	d, err := r.layout(n, Extras{}, false)
	if err != nil {
		return nil, err
	}
	return r.DocumentHTML(d)
}

// DocumentHTML returns the standalone page of a laid-out document.
func (r *Renderer) DocumentHTML(d *Document) ([]byte, error) {
	return r.page(d), nil
}

// Body converts a Markdown body to HTML with its headings numbered. The web
// UI uses it for previews; HTML uses it for the page.
func (r *Renderer) Body(md string) (string, error) {
	es, err := r.bodyElements(md)
	if err != nil {
		return "", err
	}
	return bodyHTML(es), nil
}

// clean makes md valid UTF-8 without NUL, as CommonMark asks (U+FFFD for
// both), so the page is well-formed whatever was pasted in.
func clean(md string) string {
	if !utf8.ValidString(md) {
		md = strings.ToValidUTF8(md, "\uFFFD")
	}
	if strings.IndexByte(md, 0) >= 0 {
		md = strings.ReplaceAll(md, "\x00", "\uFFFD")
	}
	return md
}

// Type area width and the mark's largest size, in points.
const (
	typeWidth   = 442.2 // 156mm
	MaxMarkSize = 42.0
)

// MarkSize is the largest size, up to MaxMarkSize, at which the mark fits
// one line of the type area: the standard wants it "醒目、美观、庄重" and on
// one line, and marks range from four characters to twenty.
func MarkSize(mark string) float64 {
	var w float64 // in ems: a Chinese character is one, ASCII half
	for _, r := range mark {
		if r < utf8.RuneSelf {
			w += 0.5
		} else {
			w++
		}
	}
	if w == 0 {
		return MaxMarkSize
	}
	return min(MaxMarkSize, float64(int(typeWidth/w*10))/10) // round down to 0.1pt
}
