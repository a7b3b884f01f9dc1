package notice

import "strings"

// Line-breaking rules for Chinese (避头尾, GB/T 15834 and the JLREQ/CLREQ
// practice): these characters never start a line...
const closing = "，。、；：？！）》」』】〕〗〉’”．…—·％‰℃,.;:?!)]}%" +
	"々〻ゝゞヽヾ～ー〜"

// ...and these never end one.
const opening = "（《「『【〔〖〈‘“([{"

// NoLineStart reports whether r may not begin a line.
func NoLineStart(r rune) bool { return strings.ContainsRune(closing, r) }

// NoLineEnd reports whether r may not end a line.
func NoLineEnd(r rune) bool { return strings.ContainsRune(opening, r) }
