package auditkey

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/docflow/docflow/internal/workflow"
)

// kmsAPI is the part of the KMS client that KMS calls; *kms.Client has it.
type kmsAPI interface {
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

// KMS signs with an AWS KMS key — asymmetric, KeySpec ECC_NIST_P256,
// KeyUsage SIGN_VERIFY, ECDSA_SHA_256 — which never leaves KMS, and
// verifies with the public keys of the keys it was given. It implements
// workflow.Signer and workflow.Verifier and is safe for concurrent use.
//
// Events name a KMS key by its key ID (the ARN's last part, a UUID), which
// is shorter than the ARN and names one key for good: an alias may move.
type KMS struct {
	api  kmsAPI
	keys []string // as given: the first signs, all verify

	mu   sync.Mutex
	ring *Keyring // the keys' public keys, fetched at the first Verify
}

var (
	_ workflow.Signer   = (*KMS)(nil)
	_ workflow.Verifier = (*KMS)(nil)
)

// NewKMS returns a signer with keys[0] and a verifier with all of keys
// (ARNs, key IDs or aliases; the retired keys after the current one). It
// does no I/O.
func NewKMS(api kmsAPI, keys ...string) *KMS {
	return &KMS{api: api, keys: keys}
}

// Sign implements workflow.Signer with one kms:Sign call.
func (k *KMS) Sign(ctx context.Context, digest []byte) (string, []byte, error) {
	if len(k.keys) == 0 {
		return "", nil, fmt.Errorf("no KMS key to sign with (DOCFLOW_AUDIT_KEY)")
	}
	out, err := k.api.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(k.keys[0]),
		Message:          digest,
		MessageType:      types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return "", nil, fmt.Errorf("sign with KMS key %s: %w", k.keys[0], err)
	}
	return keyID(aws.ToString(out.KeyId)), out.Signature, nil
}

// Verify implements workflow.Verifier. The public keys are fetched from
// KMS once (kms:GetPublicKey) and signatures checked here, so checking a
// case costs no KMS call per event. If fetching fails, the next Verify
// tries again.
func (k *KMS) Verify(ctx context.Context, key string, digest, sig []byte) error {
	ring, err := k.keyring(ctx)
	if err != nil {
		return err
	}
	return ring.Verify(ctx, key, digest, sig)
}

// keyring returns the keys' public keys, fetching them the first time.
// Callers wait for one fetch rather than each making their own.
func (k *KMS) keyring(ctx context.Context) (*Keyring, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ring != nil {
		return k.ring, nil
	}
	ring := NewKeyring()
	for _, id := range k.keys {
		out, err := k.api.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("get the public key of KMS key %s: %w", id, err)
		}
		if out.KeyUsage != types.KeyUsageTypeSignVerify || out.KeySpec != types.KeySpecEccNistP256 {
			return nil, fmt.Errorf("KMS key %s is %s for %s; docflow signs with an ECC_NIST_P256 key for SIGN_VERIFY", id, out.KeySpec, out.KeyUsage)
		}
		pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("public key of KMS key %s: %w", id, err)
		}
		if err := ring.Add(keyID(aws.ToString(out.KeyId)), pub); err != nil {
			return nil, err
		}
	}
	k.ring = ring
	return ring, nil
}

// keyID is the key ID in a KMS key ARN (…:key/ID), or s itself.
func keyID(s string) string {
	if i := strings.LastIndex(s, ":key/"); i >= 0 {
		return s[i+len(":key/"):]
	}
	return s
}
