// Package password makes and checks password hashes: argon2id (RFC 9106)
// in the PHC string format, so that the parameters travel with each hash
// and can be raised later without invalidating old ones.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Parameters of new hashes: RFC 9106's second recommended option (64 MiB
// of memory, three passes), with the parallelism of a small server. One
// check costs about 50 ms of one core here — slow enough to make guessing
// dear, fast enough for a sign-in.
const (
	memory  = 64 * 1024 // KiB
	time    = 3
	threads = 2
	keyLen  = 32
	saltLen = 16
)

// Limits on what a person may choose.
const (
	MinLength = 10
	MaxLength = 128 // characters; argon2 takes any length, forms should not
)

// ErrWeak is returned by Check for a password that breaks the rules; its
// text says which, in Chinese, for the form.
var ErrWeak = errors.New("weak password")

// Rules checks a new password: long enough, not too long, and not only
// one kind of character.
func Rules(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return fmt.Errorf("%w: 密码至少 %d 个字符", ErrWeak, MinLength)
	case n > MaxLength:
		return fmt.Errorf("%w: 密码至多 %d 个字符", ErrWeak, MaxLength)
	}
	kinds := 0
	for _, in := range []func(rune) bool{
		func(r rune) bool { return r >= 'a' && r <= 'z' },
		func(r rune) bool { return r >= 'A' && r <= 'Z' },
		func(r rune) bool { return r >= '0' && r <= '9' },
		func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') },
	} {
		if strings.IndexFunc(pw, in) >= 0 {
			kinds++
		}
	}
	if kinds < 2 {
		return fmt.Errorf("%w: 密码须包含字母、数字、符号中的至少两类", ErrWeak)
	}
	return nil
}

// Hash returns the PHC string of pw's argon2id hash with a fresh salt.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, time, memory, threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, time, threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether pw matches the PHC string hash. A hash it cannot
// read matches nothing.
func Check(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<22 || t == 0 || t > 100 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// Waste takes as long as checking a password does, and fails: a sign-in
// for an account that does not exist or has no password calls it, so that
// the time a failed sign-in takes does not tell which accounts exist.
func Waste(pw string) { Check(dummy(), pw) }

var dummy = sync.OnceValue(func() string {
	h, err := Hash("no account has this password")
	if err != nil {
		panic(err)
	}
	return h
})
