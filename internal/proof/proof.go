// Package proof checks what people on one machine prove who they are
// with: passwords (package password) and one-time codes (TOTP, RFC 6238,
// github.com/pquerna/otp). The local server hands it to package web
// (web.Server.Proofs); the Lambda functions, whose people sign in through
// the office's identity provider, do not link it, nor argon2, the QR code
// writer or PNG encoding.
package proof

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"

	"github.com/pquerna/otp/totp"

	"github.com/docflow/docflow/internal/password"
)

// Local implements web.Proofs.
type Local struct{}

// Rules checks a new password; the error says what is wrong, in Chinese.
func (Local) Rules(pw string) error {
	if err := password.Rules(pw); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), password.ErrWeak.Error()+": "))
	}
	return nil
}

// Hash returns the stored form of a new password.
func (Local) Hash(pw string) (string, error) { return password.Hash(pw) }

// Check reports whether pw matches the stored hash.
func (Local) Check(hash, pw string) bool { return password.Check(hash, pw) }

// Waste spends what a check costs, so that a refusal for an unknown or
// disabled login takes as long as one for a wrong password.
func (Local) Waste(pw string) { password.Waste(pw) }

// Validate reports whether code is the current one-time code of secret.
func (Local) Validate(code, secret string) bool {
	return validSecret(secret) && totp.Validate(strings.TrimSpace(code), secret)
}

// Enroll makes a second factor's secret for user (or, given secret, shows
// it again) with the otpauth URL and its QR code as a PNG, which an
// authenticator app scans.
func (Local) Enroll(issuer, user, secret string) (key, url string, qr []byte, err error) {
	opts := totp.GenerateOpts{Issuer: issuer, AccountName: user}
	if secret != "" {
		if !validSecret(secret) {
			return "", "", nil, errors.New("动态口令的密钥无效：请重新开始设置")
		}
		opts.Secret, _ = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	}
	k, err := totp.Generate(opts)
	if err != nil {
		return "", "", nil, fmt.Errorf("proof: second factor: %w", err)
	}
	img, err := k.Image(200, 200)
	if err != nil {
		return "", "", nil, fmt.Errorf("proof: second factor QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", "", nil, fmt.Errorf("proof: second factor QR code: %w", err)
	}
	return k.Secret(), k.URL(), buf.Bytes(), nil
}

// validSecret reports whether s is a TOTP secret as Enroll makes them:
// base32, 80 to 320 bits.
func validSecret(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	_, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return err == nil
}
