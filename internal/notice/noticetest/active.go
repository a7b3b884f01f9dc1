package noticetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ActiveContent lists what in page could run code: script elements, event
// handler attributes and URLs with a scheme other than http, https and
// mailto (javascript:, data:, …). It reads the page as a browser would, so
// escaped text such as "&lt;script&gt;" does not count and an attribute's
// character references are decoded. The seal's data:image/png is the
// organisation's own image and allowed.
func ActiveContent(page []byte) ([]string, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("noticetest.ActiveContent: %w", err)
	}
	var bad []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Script, atom.Iframe, atom.Object, atom.Embed:
			bad = append(bad, "<"+n.Data+">")
		}
		seal := n.DataAtom == atom.Img && slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "class" && a.Val == "seal" })
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				bad = append(bad, a.Key+"="+a.Val)
			}
			switch a.Key {
			case "href", "src", "action", "formaction", "xlink:href", "background", "poster":
				if seal && a.Key == "src" && strings.HasPrefix(a.Val, "data:image/png;base64,") {
					continue
				}
				if s := URLScheme(a.Val); s != "" && s != "http" && s != "https" && s != "mailto" {
					bad = append(bad, a.Key+"="+a.Val)
				}
			}
		}
	}
	return bad, nil
}

// URLScheme returns the scheme of URL v, lower case, as a browser reads
// it: control characters and spaces around it and tabs and newlines
// inside ignored; "" when v is relative.
func URLScheme(v string) string {
	v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	v = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(v)
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return ""
	}
	for j, c := range strings.ToLower(v[:i]) {
		if !(c >= 'a' && c <= 'z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return ""
		}
	}
	return strings.ToLower(v[:i])
}
