package workflow

import (
	"bytes"
	"context"
	"testing"
)

type recordingSigner struct{ calls int }

func (s *recordingSigner) Sign(_ context.Context, digest []byte) (string, []byte, error) {
	s.calls++
	return "k", append([]byte("sig:"), digest...), nil
}

// TestSealDigest: one signature covers all events of a change, in any
// order, and no other set: an event dropped or changed changes the digest.
func TestSealDigest(t *testing.T) {
	evs := []Event{{Stream: "s2", Seq: 4, Hash: "c"}, {Stream: "", Seq: 9, Hash: "a"}, {Stream: "s1", Seq: 1, Hash: "b"}}
	s := &recordingSigner{}
	if err := sign(context.Background(), s, evs); err != nil {
		t.Fatal(err)
	}
	if s.calls != 1 {
		t.Errorf("%d Sign calls for one change; want 1", s.calls)
	}
	for _, e := range evs {
		if e.Key != "k" || !bytes.Equal(e.Sig, evs[0].Sig) {
			t.Errorf("event %s/%d: key %q, sig %q; want the change's one signature", e.Stream, e.Seq, e.Key, e.Sig)
		}
	}
	d := sealDigest(evs)
	if got := sealDigest([]Event{evs[2], evs[0], evs[1]}); !bytes.Equal(got, d) {
		t.Error("the digest depends on the order events are given in")
	}
	if got := sealDigest(evs[:2]); bytes.Equal(got, d) {
		t.Error("the digest is the same with an event dropped")
	}
	changed := append([]Event(nil), evs...)
	changed[1].Hash = "x"
	if got := sealDigest(changed); bytes.Equal(got, d) {
		t.Error("the digest is the same with a hash changed")
	}
	// The hash covers neither the key nor the signature.
	e := Event{Case: "c1", Seq: 1, Action: "x"}
	e.seal()
	h := e.Hash
	e.Key, e.Sig = "k", []byte("sig")
	if e.digest() != h {
		t.Error("signing changed the event's hash")
	}
}
