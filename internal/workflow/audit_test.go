package workflow_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/workflow"
)

type failingVerifier struct{}

func (failingVerifier) Verify(context.Context, string, []byte, []byte) error {
	return errors.New("injected: key service unreachable")
}

type failingSigner struct{}

func (failingSigner) Sign(context.Context, []byte) (string, []byte, error) {
	return "", nil, errors.New("injected: key service unreachable")
}

// TestVerifySignatures signs every change of a case and checks Verify's
// verdicts: all verified with the key; an unknown key reported; a verifier
// that cannot answer is an internal error, not a verdict of tampering; no
// verifier leaves signatures unchecked.
func TestVerifySignatures(t *testing.T) {
	e := newEnv(t)
	key, err := auditkey.Create(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Signer = key
	c := e.approved(t, 1)
	ring := auditkey.NewKeyring()
	if err := ring.Add(key.ID(), key.Public()); err != nil {
		t.Fatal(err)
	}

	e.svc.Verifier = ring
	v, err := e.svc.Verify(e.ctx, c.ID)
	if err != nil || v.Events == 0 || v.Signed[key.ID()] != v.Events || v.Unsigned != 0 || v.Unchecked != 0 {
		t.Errorf("Verify = %+v, %v; want every event signed by %s", v, err, key.ID())
	}
	e.svc.Verifier = auditkey.NewKeyring()
	_, err = e.svc.Verify(e.ctx, c.ID)
	wantErr(t, "Verify without the key's public key", err, workflow.Invalid, "未知的密钥")
	e.svc.Verifier = failingVerifier{}
	if _, err = e.svc.Verify(e.ctx, c.ID); err == nil || workflow.KindOf(err) != workflow.Other {
		t.Errorf("Verify with a verifier that cannot answer: %v; want an internal error, not a verdict", err)
	}
	e.svc.Verifier = nil
	if v, err = e.svc.Verify(e.ctx, c.ID); err != nil || v.Unchecked != v.Events {
		t.Errorf("Verify without a verifier = %+v, %v; want every signature unchecked", v, err)
	}
}

// TestSignFailureWritesNothing: a change that cannot be signed is not
// written, so no unsigned event follows signed ones.
func TestSignFailureWritesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.opened(t, 1)
	before, _ := e.svc.Verify(e.ctx, c.ID)
	e.svc.Signer = failingSigner{}
	sec := c.Sections[0]
	if _, err := e.svc.SaveSection(e.ctx, e.deptUser(sec.Lead, "staff"), c.ID, sec.ID, sec.Rev, "标题", "正文。", ""); err == nil {
		t.Fatal("SaveSection with a signer that fails succeeded")
	}
	after, err := e.svc.Verify(e.ctx, c.ID)
	if err != nil || after.Events != before.Events {
		t.Errorf("after the failed save: %d events (%v); want %d, nothing written", after.Events, err, before.Events)
	}
}
