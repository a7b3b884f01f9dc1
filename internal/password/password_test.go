package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashCheck(t *testing.T) {
	h, err := Hash("正确的密码 correct horse 7")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("Hash = %q; want the PHC form of argon2id with the parameters", h)
	}
	if !Check(h, "正确的密码 correct horse 7") {
		t.Error("Check of the right password = false")
	}
	for _, wrong := range []string{"", "正确的密码 correct horse 8", "正确的密码 correct horse 7 "} {
		if Check(h, wrong) {
			t.Errorf("Check(%q) = true", wrong)
		}
	}
	h2, _ := Hash("正确的密码 correct horse 7")
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not fresh")
	}
	// A hash that has been tampered with, or is not argon2id, matches nothing.
	for _, bad := range []string{"", "plain", strings.Replace(h, "argon2id", "argon2i", 1), h[:len(h)-4], strings.Replace(h, "m=65536", "m=0", 1)} {
		if Check(bad, "正确的密码 correct horse 7") {
			t.Errorf("Check against %q = true", bad)
		}
	}
}

func TestRules(t *testing.T) {
	for _, tt := range []struct {
		pw string
		ok bool
	}{
		{"short1", false},
		{"alllowercaseletters", false},
		{"1234567890123", false},
		{"letters and 42", true},
		{"中文密码也可以用的1", true},
		{strings.Repeat("a1", 65), false},
	} {
		err := Rules(tt.pw)
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrWeak) {
			t.Errorf("Rules(%q) = %v; want ok %v", tt.pw, err, tt.ok)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	h, _ := Hash("letters and 42")
	for b.Loop() {
		Check(h, "letters and 42")
	}
}
