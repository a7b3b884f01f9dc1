package opinion

import (
	"strings"
)

// Markdown is read by taking its markup off and reading the rest as text.
// Opinions use little of it — headings for the items, bold, quotes, a
// comment — and line numbers must stay those of the file, so every
// replacement keeps the lines where they are.
var (
	mdHeading   = lazyRegexp(`^#{1,6}\s*`) // 「#一、」 without the space is common in Chinese notes
	mdClosing   = lazyRegexp(`\s+#+$`)
	mdQuote     = lazyRegexp(`^(?:>\s?)+`)
	mdBullet    = lazyRegexp(`^[-*+]\s+`)
	mdRule      = lazyRegexp(`^(?:[-*_=]\s*){3,}$`)
	mdFence     = lazyRegexp("^(?:```|~~~)")
	mdLink      = lazyRegexp(`\[([^\]]*)\]\([^)]*\)`)
	mdEscape    = lazyRegexp("\\\\([!-/:-@\\[-`{-~])")
	mdEmphasis  = strings.NewReplacer("**", "", "__", "")
	mdLooksLike = lazyRegexp(`(?m)^\s*(?:#{1,6}\s|>)|\*\*|__|<!--`)
)

// looksMarkdown says whether text without a telling extension uses markup
// that would otherwise end up in the fields.
func looksMarkdown(text string) bool { return mdLooksLike().MatchString(text) }

func stripMarkdown(text string) string {
	lines := strings.Split(stripComments(text), "\n")
	for i, l := range lines {
		lines[i] = stripMarkdownLine(l)
	}
	return strings.Join(lines, "\n")
}

// stripComments removes HTML comments, keeping their line breaks. An
// unterminated comment runs to the end, as it does in a browser.
func stripComments(text string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, "<!--")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		rest := text[i+4:]
		j := strings.Index(rest, "-->")
		if j < 0 {
			b.WriteString(strings.Repeat("\n", strings.Count(rest, "\n")))
			return b.String()
		}
		b.WriteString(strings.Repeat("\n", strings.Count(rest[:j], "\n")))
		text = rest[j+3:]
	}
}

func stripMarkdownLine(l string) string {
	l = strings.TrimRight(strings.TrimSpace(l), `\`) // trailing backslash: a hard break
	if mdFence().MatchString(l) || mdRule().MatchString(l) {
		return ""
	}
	l = mdQuote().ReplaceAllString(l, "")
	if mdHeading().MatchString(l) {
		l = mdClosing().ReplaceAllString(mdHeading().ReplaceAllString(l, ""), "")
	}
	l = mdEscape().ReplaceAllString(mdEmphasis.Replace(mdLink().ReplaceAllString(l, "$1")), "$1")
	// A bullet goes only where it stands before a number (- （一）…): elsewhere
	// it is the author's text.
	if loc := mdBullet().FindStringIndex(l); loc != nil {
		if _, ok := parseMarker(l[loc[1]:]); ok {
			l = l[loc[1]:]
		}
	}
	return strings.TrimSpace(l)
}
