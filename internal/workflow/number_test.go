package workflow

import "testing"

// TestNumberKey: the ways one 来文字号 is written fold to one key; other
// numbers keep theirs.
func TestNumberKey(t *testing.T) {
	same := []string{
		"静会〔2025〕57号",
		"静会[2025]57号",
		"静会［2025］57号",
		"静会(2025)57号",
		"静会（2025）57号",
		"静会【2025】57号",
		"静会〖2025〗57号",
		"静会 〔2025〕 57 号",
		"静会\u3000〔２０２５〕５７号",
		"静会〔2025〕第57号",
		"静会〔2025〕057号",
		"静会〔2025〕57",
		" 静会〔2025〕57号\n",
	}
	want := "静会〔2025〕57号"
	for _, n := range same {
		if got := NumberKey(n); got != want {
			t.Errorf("NumberKey(%q) = %q; want %q", n, got, want)
		}
	}
	for _, other := range []string{"静会〔2025〕5号", "静会〔2025〕570号", "静会〔2024〕57号", "静会发〔2025〕57号", "临会〔2025〕57号", "静会〔2025〕57号（修订）"} {
		if NumberKey(other) == want {
			t.Errorf("NumberKey(%q) = %q: another number folded into 静会〔2025〕57号", other, want)
		}
	}
	// Latin letters in a code, half or full width, either case.
	if a, b := NumberKey("ab委〔2026〕3号"), NumberKey("ＡＢ委(2026)3号"); a != b {
		t.Errorf("NumberKey of a code with letters: %q and %q differ", a, b)
	}
	// What is not in the standard shape is kept, folded only in width,
	// brackets and spaces.
	if got := NumberKey("内部 第 12 号"); got != "内部第12号" {
		t.Errorf("NumberKey(内部 第 12 号) = %q", got)
	}
}
