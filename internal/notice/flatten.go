package notice

import (
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// maxDepth is how deep quotes, lists, emphasis and links may nest in a body.
// Browsers (and golang.org/x/net/html) stop nesting at 512 open elements,
// so "> > > …" ten thousand deep would not read as written; no official
// document needs more than a few levels.
const maxDepth = 32

// flattener unwraps containers nested deeper than maxDepth, keeping their
// content in place, so that any body gives a well-formed page.
type flattener struct{}

// Transform implements parser.ASTTransformer.
func (flattener) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	flatten(doc, 0)
}

func flatten(n ast.Node, depth int) {
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		if depth >= maxDepth && unwrappable(c) {
			// Lift c's children into its place and look at them next, at
			// this same depth: a deep chain unwraps in a loop, not recursion.
			if first := c.FirstChild(); first != nil {
				next = first
			}
			for g := c.FirstChild(); g != nil; {
				gn := g.NextSibling()
				n.InsertBefore(n, c, g)
				g = gn
			}
			n.RemoveChild(n, c)
			c = next
			continue
		}
		flatten(c, depth+1)
		c = next
	}
}

// unwrappable reports whether n only wraps its content, so that dropping it
// keeps the text.
func unwrappable(n ast.Node) bool {
	switch n.Kind() {
	case ast.KindBlockquote, ast.KindList, ast.KindListItem, ast.KindEmphasis, ast.KindLink, east.KindStrikethrough:
		return true
	}
	return false
}
