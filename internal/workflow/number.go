package workflow

import (
	"errors"
	"strings"
	"unicode"
)

// NumberKey is the form of a 来文字号 that duplicates are found by: the
// same opinion typed, scanned or converted differently gives the same key.
// It folds full-width letters, digits and punctuation to half width; every
// kind of bracket around the year (〔〕 [] () （） 【】 ［］ 〖〗 ｛｝ {}) to
// 〔〕; drops spaces of any width; upper-cases Latin letters; and, in the
// standard shape <code>〔<year>〕<n>号 (GB/T 9704 7.2.5), drops a 第 and
// leading zeros before n and supplies a missing 号. So 某会[2025]57号,
// 某会（２０２５）第057号 and "某会 〔2025〕 57" all give 某会〔2025〕57号.
// Two different numbers never share a key: nothing but brackets, width,
// spaces, letter case and those three marks of the sequence number is
// folded.
func NumberKey(number string) string {
	var b strings.Builder
	for _, r := range number {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == '\u3000':
			r = ' '
		}
		switch {
		case unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff':
			continue
		case strings.ContainsRune("([{【〖〔❲〘", r):
			r = '〔'
		case strings.ContainsRune(")]}】〗〕❳〙", r):
			r = '〕'
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	k := b.String()
	// <code>〔<year>〕[第][0…]<n>[号]
	open := strings.LastIndex(k, "〔")
	shut := strings.LastIndex(k, "〕")
	if open < 0 || shut < open {
		return k
	}
	year, rest := k[open+len("〔"):shut], k[shut+len("〕"):]
	if len(year) != 4 || !asciiDigits(year) {
		return k
	}
	rest = strings.TrimSuffix(strings.TrimPrefix(rest, "第"), "号")
	if rest == "" || !asciiDigits(rest) {
		return k
	}
	if n := strings.TrimLeft(rest, "0"); n != "" {
		rest = n
	} else {
		rest = "0"
	}
	return k[:shut+len("〕")] + rest + "号"
}

func asciiDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Claim moves the registration of a 来文字号 (its NumberKey) as part of a
// change, so that no two cases hold the same number: stores keep one
// entry per key, naming the case that holds it, and write it in the
// change's transaction.
//
//   - From "" and To a case: register the key for To; the key must be
//     free (intake).
//   - From and To cases: the key passes from From to To, on condition that
//     From holds it (a revised opinion's case takes over the number).
//   - To "": release the key, on condition that From holds it or nobody
//     does (a number corrected): cases opened before numbers were
//     registered may hold none. Held by another case, it is refused like
//     the others; the service releases only what Registered says the case
//     holds.
//
// A claim whose condition fails makes the whole change fail with an error
// of kind Conflict wrapping ErrNumberTaken; Store.Registered then names
// the case that holds the key.
type Claim struct {
	Key  string
	From string
	To   string
}

// ErrNumberTaken is wrapped by the Conflict a store returns when a change's
// Claim finds its 来文字号 held by another case.
var ErrNumberTaken = errors.New("the 来文字号 is registered to another case")

// MaxKey bounds a NumberKey in bytes: a 来文字号 is one line of at most
// MaxHeading characters, which keeps a key far inside a DynamoDB key (1 KB).
const MaxKey = 4 * MaxHeading
