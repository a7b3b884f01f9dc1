package notice

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/docflow/docflow/internal/workflow"
)

// outline is a goldmark extension that numbers the headings of a notice body
// the way GB/T 9704 7.3.3 lays out its levels: # 一、 ## （一） ### 1.
// #### （1）. Departments write headings without numbers, so that moving a
// section never leaves stale numbers behind. A heading ending in
// sentence-final punctuation runs into the paragraph after it, as level-2
// headings usually do in reports.
//
// The numbered headings become layout elements (layout.go), which the
// writers render; goldmark's own renderer is never used.
var outline goldmark.Extender = outlineExtender{}

type outlineExtender struct{}

// Extend implements goldmark.Extender.
func (outlineExtender) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(util.Prioritized(numberer{}, 100)))
}

// MaxLevel is the deepest outline level; deeper headings (#####) are
// numbered as level 4, since the standard knows no fifth level.
const MaxLevel = 4

// runInEnds are the marks after which a heading is a sentence and so runs
// into the paragraph that follows.
const runInEnds = "。！？；："

var (
	kindHeading = ast.NewNodeKind("NoticeHeading")
	kindRunIn   = ast.NewNodeKind("NoticeRunIn")
)

// heading is a numbered heading standing as a block of its own.
type heading struct {
	ast.BaseBlock
	Level int    // outline level, 1..MaxLevel
	Label string // 一、 （一） 1. （1）
}

func (n *heading) Kind() ast.NodeKind { return kindHeading }

func (n *heading) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Level": fmt.Sprint(n.Level), "Label": n.Label}, nil)
}

// runIn is a numbered heading at the start of the paragraph it opens.
type runIn struct {
	ast.BaseInline
	Level int
	Label string
}

func (n *runIn) Kind() ast.NodeKind { return kindRunIn }

func (n *runIn) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Level": fmt.Sprint(n.Level), "Label": n.Label}, nil)
}

// numberer replaces every Markdown heading with a numbered heading or
// run-in. Counters run over the whole body in document order and reset
// below each higher heading.
type numberer struct{}

// Transform implements parser.ASTTransformer.
func (numberer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	src := reader.Source()
	var count [MaxLevel + 1]int
	for _, h := range headings(doc) {
		level := min(h.Level, MaxLevel)
		count[level]++
		clear(count[level+1:])
		number(h, level, workflow.OutlineNumber(level, count[level]), src)
	}
}

// headings lists the headings of doc in document order. It collects before
// anything is replaced because replacing while walking would skip nodes.
func headings(doc ast.Node) []*ast.Heading {
	var hs []*ast.Heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if h, ok := n.(*ast.Heading); ok {
			hs = append(hs, h)
			return ast.WalkSkipChildren, nil
		}
		if n.Type() == ast.TypeInline || n.Kind() == ast.KindParagraph {
			return ast.WalkSkipChildren, nil // no headings inside; keep long paragraphs cheap
		}
		return ast.WalkContinue, nil
	})
	return hs
}

// number puts the numbered form of h in its place: a run-in at the head of
// the next paragraph if h reads as a sentence and a paragraph follows,
// otherwise a heading block. A list, table or another heading after it
// leaves it standing alone.
func number(h *ast.Heading, level int, label string, src []byte) {
	parent := h.Parent()
	if p, ok := h.NextSibling().(*ast.Paragraph); ok && sentence(h, src) {
		r := &runIn{Level: level, Label: label}
		adopt(r, h)
		p.InsertBefore(p, p.FirstChild(), r)
		p.SetAttributeString("class", "run-in")
		parent.RemoveChild(parent, h)
		return
	}
	nh := &heading{Level: level, Label: label}
	adopt(nh, h)
	parent.ReplaceChild(parent, h, nh)
}

// adopt moves the children of from to to.
func adopt(to, from ast.Node) {
	for c := from.FirstChild(); c != nil; {
		next := c.NextSibling()
		to.AppendChild(to, c) // detaches c from from
		c = next
	}
}

// sentence reports whether the visible text of h ends in sentence-final
// punctuation. It reads the inline text rather than the source line so that
// "**加强协调。**" counts and "## 标题 ##" does not see its closing marks.
func sentence(h ast.Node, src []byte) bool {
	var b strings.Builder
	_ = ast.Walk(h, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch t := n.(type) {
			case *ast.Text:
				b.Write(t.Segment.Value(src))
			case *ast.String:
				b.Write(t.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(b.String(), " \t"))
	return strings.ContainsRune(runInEnds, r)
}
