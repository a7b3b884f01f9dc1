// Package noticetest holds what the tests of the notice writers, the web
// pages and the end-to-end tests share: the seed case as a notice, the
// visible text of a page block by block, and a diff message. Only tests
// import it.
package noticetest

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Blocks returns the visible text of a rendered page block by block, in
// reading order: each block element (p, h1–h6, li, td, div, …) that holds
// text of its own gives one string, inline elements are merged into their
// block, and runs of HTML whitespace collapse to one space. <head>,
// <script>, <style> and hidden elements are skipped. Tests compare it with
// a document's plain text, element by element.
func Blocks(page []byte) ([]string, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("noticetest.Blocks: %w", err)
	}
	var c collector
	c.walk(doc)
	c.flush()
	return c.blocks, nil
}

// collector gathers text until a block boundary ends the current block.
type collector struct {
	blocks []string
	text   strings.Builder
}

func (c *collector) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		c.text.WriteString(n.Data)
		return
	case html.ElementNode:
		if invisible(n) {
			return
		}
		if n.DataAtom == atom.Br {
			c.text.WriteByte(' ')
			return
		}
	}
	block := n.Type == html.ElementNode && blockElements[n.DataAtom]
	if block {
		c.flush() // text before a nested block is a block of its own
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.walk(ch)
	}
	if block {
		c.flush()
	}
}

func (c *collector) flush() {
	if s := Collapse(c.text.String()); s != "" {
		c.blocks = append(c.blocks, s)
	}
	c.text.Reset()
}

func invisible(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Head, atom.Script, atom.Style, atom.Template, atom.Noscript:
		return true
	}
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == "hidden" {
			return true
		}
	}
	return false
}

// blockElements start and end a block of text.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Body: true, atom.Caption: true, atom.Dd: true, atom.Details: true,
	atom.Dialog: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true, atom.Footer: true,
	atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true, atom.Hr: true,
	atom.Html: true, atom.Legend: true, atom.Li: true, atom.Main: true, atom.Nav: true,
	atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true,
	atom.Table: true, atom.Tbody: true, atom.Td: true, atom.Tfoot: true, atom.Th: true,
	atom.Thead: true, atom.Tr: true, atom.Ul: true,
}

// Collapse trims s and turns each run of HTML whitespace into one space.
// U+3000 (ideographic space) is text in Chinese documents, not layout, so
// it stays.
func Collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	}), " ")
}
