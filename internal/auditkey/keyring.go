package auditkey

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// Keyring holds public keys by ID and checks signatures with them: Ed25519
// keys, and ECDSA P-256 keys such as KMS's ECC_NIST_P256. It implements
// workflow.Verifier. Add it all its keys before using it; then it is safe
// for concurrent use.
type Keyring struct {
	keys map[string]crypto.PublicKey
}

var _ workflow.Verifier = (*Keyring)(nil)

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring { return &Keyring{keys: map[string]crypto.PublicKey{}} }

// Add puts a public key on the ring under id.
func (r *Keyring) Add(id string, pub crypto.PublicKey) error {
	switch p := pub.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return fmt.Errorf("key %s: ECDSA on %s; docflow verifies P-256 (KMS ECC_NIST_P256)", id, p.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("key %s is a %T; docflow verifies Ed25519 and ECDSA P-256 keys", id, pub)
	}
	if id == "" {
		return fmt.Errorf("a public key without an ID")
	}
	r.keys[id] = pub
	return nil
}

// IDs returns the IDs of the keys on the ring, in order.
func (r *Keyring) IDs() []string {
	ids := make([]string, 0, len(r.keys))
	for id := range r.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Verify implements workflow.Verifier. An Ed25519 key signs the digest
// itself; an ECDSA key signs it as a SHA-256 digest (KMS's MessageType
// DIGEST), the signature in ASN.1 DER as KMS returns it.
func (r *Keyring) Verify(_ context.Context, key string, digest, sig []byte) error {
	ok := false
	switch p := r.keys[key].(type) {
	case nil:
		return fmt.Errorf("key %q: %w", key, workflow.ErrUnknownKey)
	case ed25519.PublicKey:
		ok = ed25519.Verify(p, digest, sig)
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(p, digest, sig)
	}
	if !ok {
		return fmt.Errorf("key %q: %w", key, workflow.ErrBadSignature)
	}
	return nil
}

// ReadKeyring reads every public key in dir: each file ID.pub holds the
// public key of the key named ID, in PEM ("PUBLIC KEY") or DER, as `aws kms
// get-public-key` gives it once base64-decoded.
func ReadKeyring(dir string) (*Keyring, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, err
	}
	r := NewKeyring()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read public key: %w", err)
		}
		if block, _ := pem.Decode(b); block != nil {
			if block.Type != "PUBLIC KEY" {
				return nil, fmt.Errorf("%s holds a PEM %q; want a PUBLIC KEY", f, block.Type)
			}
			b = block.Bytes
		}
		pub, err := x509.ParsePKIXPublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: not a public key: %w", f, err)
		}
		if err := r.Add(strings.TrimSuffix(filepath.Base(f), ".pub"), pub); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return r, nil
}
