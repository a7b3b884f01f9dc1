package auditkey_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/auditkey/auditkeytest"
	"github.com/docflow/docflow/internal/workflow"
)

var ctx = context.Background()

func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestOpenCreatesOnceAndLoads: the first Open makes the key, private to its
// owner, with its public key beside it; the next loads the same key.
func TestOpenCreatesOnceAndLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "audit.key")
	k, created, err := auditkey.Open(path)
	if err != nil || !created {
		t.Fatalf("Open on nothing = %v, created %v; want a new key", err, created)
	}
	if !strings.HasPrefix(k.ID(), "ed25519-") || len(k.ID()) != len("ed25519-")+16 {
		t.Errorf("ID %q; want ed25519- and 16 hex digits", k.ID())
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
			}
		}
	}
	again, created, err := auditkey.Open(path)
	if err != nil || created || again.ID() != k.ID() {
		t.Fatalf("Open again = %v, created %v, ID %s; want the key %s loaded", err, created, again.ID(), k.ID())
	}
	ring, err := auditkey.ReadKeyring(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	id, sig, err := k.Sign(ctx, digest("x"))
	if err != nil || id != k.ID() {
		t.Fatalf("Sign = %s, %v", id, err)
	}
	if err := ring.Verify(ctx, id, digest("x"), sig); err != nil {
		t.Errorf("the keyring beside the key does not verify its signature: %v", err)
	}
	if err := ring.Verify(ctx, id, digest("y"), sig); !errors.Is(err, workflow.ErrBadSignature) {
		t.Errorf("a signature of x taken for y: %v; want ErrBadSignature", err)
	}
	if err := ring.Verify(ctx, "ed25519-0000000000000000", digest("x"), sig); !errors.Is(err, workflow.ErrUnknownKey) {
		t.Errorf("an unknown key: %v; want ErrUnknownKey", err)
	}
}

// TestLoadRefuses a key others may read, and a key that is not Ed25519.
func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	if _, err := auditkey.Create(path); err != nil {
		t.Fatal(err)
	}
	if _, err := auditkey.Create(path); err == nil {
		t.Error("Create over an existing key succeeded; it must never replace a key")
	}
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if _, err := auditkey.Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("Load of a key others can read: %v; want a refusal saying chmod 600", err)
		}
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	other := filepath.Join(dir, "ec.key")
	os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if _, err := auditkey.Load(other); err == nil || !strings.Contains(err.Error(), "Ed25519") {
		t.Errorf("Load of an ECDSA key: %v; want a refusal naming Ed25519", err)
	}
	if _, err := auditkey.Load(filepath.Join(dir, "missing.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of no file: %v; want ErrNotExist", err)
	}
}

// TestRotate: after a rotation the new key signs, the old one's public key
// still verifies what it signed, and its private key is gone.
func TestRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	first, _, err := auditkey.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, oldSig, _ := first.Sign(ctx, digest("before"))
	retired, current, err := auditkey.Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if retired.ID() != first.ID() || current.ID() == first.ID() {
		t.Fatalf("Rotate = %s, %s; want %s retired and a new key", retired.ID(), current.ID(), first.ID())
	}
	loaded, err := auditkey.Load(path)
	if err != nil || loaded.ID() != current.ID() {
		t.Fatalf("Load after Rotate = %v, %v; want the new key", loaded, err)
	}
	_, newSig, _ := loaded.Sign(ctx, digest("after"))
	ring, err := auditkey.ReadKeyring(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ring.IDs(), " "); !strings.Contains(got, first.ID()) || !strings.Contains(got, current.ID()) {
		t.Errorf("keyring %s; want both keys", got)
	}
	if err := ring.Verify(ctx, first.ID(), digest("before"), oldSig); err != nil {
		t.Errorf("the retired key's signature: %v", err)
	}
	if err := ring.Verify(ctx, current.ID(), digest("after"), newSig); err != nil {
		t.Errorf("the new key's signature: %v", err)
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("rotated key mode %v; want 0600", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".audit-key-*"))
	if len(left) > 0 {
		t.Errorf("Rotate left %v behind", left)
	}
}

// TestKMS signs with a KMS key on local-kms, a KMS-protocol server with
// real ECDSA keys, and verifies with the public keys fetched from it:
// across a rotation to a second key, and offline from a public key saved
// as `aws kms get-public-key` gives it.
func TestKMS(t *testing.T) {
	_, client := auditkeytest.LocalKMS(t)
	old, cur := auditkeytest.NewKey(t, client), auditkeytest.NewKey(t, client)

	before := auditkey.NewKMS(client, old)
	oldID, oldSig, err := before.Sign(ctx, digest("before"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(old, "/"+oldID) || strings.Contains(oldID, ":") {
		t.Errorf("signed as %q; want the key ID of %s", oldID, old)
	}
	if err := before.Verify(ctx, oldID, digest("before"), oldSig); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := before.Verify(ctx, oldID, digest("changed"), oldSig); !errors.Is(err, workflow.ErrBadSignature) {
		t.Errorf("Verify of another digest: %v; want ErrBadSignature", err)
	}

	// Rotation: the new key signs; the old one is still listed, to verify.
	after := auditkey.NewKMS(client, cur, old)
	curID, curSig, err := after.Sign(ctx, digest("after"))
	if err != nil || curID == oldID {
		t.Fatalf("Sign after the rotation = %s, %v; want the new key", curID, err)
	}
	for _, s := range []struct {
		id, msg string
		sig     []byte
	}{{oldID, "before", oldSig}, {curID, "after", curSig}} {
		if err := after.Verify(ctx, s.id, digest(s.msg), s.sig); err != nil {
			t.Errorf("after the rotation, the signature by %s: %v", s.id, err)
		}
	}
	if err := before.Verify(ctx, curID, digest("after"), curSig); !errors.Is(err, workflow.ErrUnknownKey) {
		t.Errorf("a verifier without the new key: %v; want ErrUnknownKey", err)
	}

	// Offline: the public key as DER in a file named by the key ID.
	pub, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(cur)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, curID+".pub"), pub.PublicKey, 0o644)
	ring, err := auditkey.ReadKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Verify(ctx, curID, digest("after"), curSig); err != nil {
		t.Errorf("offline, with the KMS key's public key in a file: %v", err)
	}
}

// TestKMSRefusesOtherKeys: a symmetric key cannot verify (or sign).
func TestKMSRefusesOtherKeys(t *testing.T) {
	_, client := auditkeytest.LocalKMS(t)
	out, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	k := auditkey.NewKMS(client, aws.ToString(out.KeyMetadata.Arn))
	if _, _, err := k.Sign(ctx, digest("x")); err == nil {
		t.Error("signed with a symmetric key")
	}
	if err := k.Verify(ctx, "x", digest("x"), []byte("sig")); err == nil || errors.Is(err, workflow.ErrUnknownKey) || errors.Is(err, workflow.ErrBadSignature) {
		t.Errorf("Verify with a symmetric key listed: %v; want an error that is not a verdict on the signature", err)
	}
}

func BenchmarkSignEd25519(b *testing.B) {
	k, err := auditkey.Create(filepath.Join(b.TempDir(), "audit.key"))
	if err != nil {
		b.Fatal(err)
	}
	d := digest("x")
	for b.Loop() {
		k.Sign(ctx, d)
	}
}

func BenchmarkSignLocalKMS(b *testing.B) {
	_, client := auditkeytest.LocalKMS(b)
	k := auditkey.NewKMS(client, auditkeytest.NewKey(b, client))
	d := digest("x")
	for b.Loop() {
		if _, _, err := k.Sign(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}
