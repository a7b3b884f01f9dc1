// Package auditkey holds the keys that sign docflow's audit trail
// (workflow.Signer) and the public keys that verify it
// (workflow.Verifier): an Ed25519 key in a file on one machine, an AWS KMS
// key on AWS. The database never holds a key, so someone who can write
// the database cannot sign what they write there.
//
// On one machine the key lives in a directory of its own, outside the
// data directory:
//
//	audit.key                the private key (PKCS #8, PEM), mode 0600
//	ed25519-1a2b….pub        its public key, named by the key's ID
//	ed25519-9f8e….pub        the public keys of keys retired by Rotate
//	3c1d…-….pub              any other public key, e.g. a KMS key's
//
// Verifying needs only the .pub files (ReadKeyring), so an auditor can
// check a copy of the data on another machine without the private key.
package auditkey

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/docflow/docflow/internal/workflow"
)

// Key is an Ed25519 signing key kept in a file. It implements
// workflow.Signer and is safe for concurrent use.
type Key struct {
	id   string
	priv ed25519.PrivateKey
}

var _ workflow.Signer = (*Key)(nil)

// ID names the key in the events it signs: "ed25519-" and the first 16
// hex digits of the SHA-256 of its public key (PKIX, DER).
func (k *Key) ID() string { return k.id }

// Public returns the key's public key.
func (k *Key) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// Sign implements workflow.Signer.
func (k *Key) Sign(_ context.Context, digest []byte) (string, []byte, error) {
	return k.id, ed25519.Sign(k.priv, digest), nil
}

func newKey(priv ed25519.PrivateKey) (*Key, error) {
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &Key{id: "ed25519-" + hex.EncodeToString(sum[:8]), priv: priv}, nil
}

// Load reads the key file at path. It refuses a file that users other
// than its owner may read or write, as ssh does: anyone who can read the
// key can sign.
func Load(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit key %s is open to other users (mode %v): only docflow's own account may read it; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit key %s is not a PEM private key (PKCS #8)", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit key %s is a %T; docflow signs with Ed25519 keys", path, parsed)
	}
	return newKey(priv)
}

// Open loads the key file at path, or creates it if there is none; created
// says which. Either way the key's public key is written beside it, as
// ReadKeyring reads it, if it is not there yet.
func Open(path string) (k *Key, created bool, err error) {
	k, err = Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = Create(path)
		return k, err == nil, err
	}
	if err != nil {
		return nil, false, err
	}
	return k, false, writePublic(filepath.Dir(path), k)
}

// Create makes a new key and writes it to path, which must not exist,
// creating its directory (mode 0700) if need be, and writes its public
// key beside it.
func Create(path string) (*Key, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	k, b, err := generate()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write audit key %s: %w", path, err)
	}
	return k, writePublic(filepath.Dir(path), k)
}

// Rotate replaces the key at path with a new one and returns both. The
// retired key's public key stays beside it, so that what it signed keeps
// verifying; its private key is gone, so that it signs nothing more. A
// server that has the retired key loaded signs with it until restarted.
func Rotate(path string) (retired, current *Key, err error) {
	if retired, err = Load(path); err != nil {
		return nil, nil, err
	}
	dir := filepath.Dir(path)
	if err := writePublic(dir, retired); err != nil {
		return nil, nil, err
	}
	current, b, err := generate()
	if err != nil {
		return nil, nil, err
	}
	// Write the public key first: a key must never sign before its public
	// key is where verifiers look.
	if err := writePublic(dir, current); err != nil {
		return nil, nil, err
	}
	f, err := os.CreateTemp(dir, ".audit-key-*")
	if err != nil {
		return nil, nil, fmt.Errorf("rotate audit key: %w", err)
	}
	defer os.Remove(f.Name())
	if err = f.Chmod(0o600); err == nil {
		if _, err = f.Write(b); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("rotate audit key %s: %w", path, err)
	}
	return retired, current, nil
}

// generate makes a new key and its file's contents.
func generate() (*Key, []byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	k, err := newKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// writePublic writes k's public key to dir/ID.pub unless it is there.
func writePublic(dir string, k *Key) error {
	path := filepath.Join(dir, k.ID()+".pub")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("write the audit key's public key: %w", err)
	}
	return nil
}

// DefaultPath is where docflow keeps its key unless told otherwise: in the
// user's configuration directory (on Linux ~/.config/docflow/audit.key),
// outside any data directory and its backups.
func DefaultPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "docflow", "audit.key")
}
