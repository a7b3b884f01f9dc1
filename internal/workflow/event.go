package workflow

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Event is one audit record, written once. It is also the history: the
// event that records a saved draft carries the Version, an input its Input,
// a return or reminder its Comment, an approval its Approval. So one write
// keeps both, and the history cannot say something the audit trail does
// not.
//
// Events form one hash chain per stream: the case's own stream ("") and
// one per section, named by the section's ID. Each Hash covers every field
// of the event and the previous event's Hash, so an edited, inserted or
// deleted record shows. Streams keep departments that work on different
// sections from ever writing the same record.
//
// Anyone who can write the database can recompute hashes, though. So the
// service signs the events of each change with a key the database does not
// hold (Signer): Key and Sig. See Service.Verify for what that detects.
type Event struct {
	Case   string    `json:"case"`
	Stream string    `json:"stream,omitempty"`
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Name   string    `json:"name"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
	Sum    string    `json:"sum,omitempty"` // content hash concerned

	Version  *Version  `json:"version,omitempty"`
	Input    *Input    `json:"input,omitempty"`
	Comment  *Comment  `json:"comment,omitempty"`
	Approval *Approval `json:"approval,omitempty"`
	Frame    *Frame    `json:"frame,omitempty"`   // the opening and closing set (ActFrame)
	Alert    *Alert    `json:"alert,omitempty"`   // an automatic reminder: which rule, for which period
	Result   *Result   `json:"result,omitempty"`  // a part's 办理结果 recorded (ActResult, ActFollowUp)
	Liaison  *Liaison  `json:"liaison,omitempty"` // a contact with the proposer recorded (ActLiaise)
	// Extension is a request for more time, or its decision
	// (ActExtend, ActDecideExtension).
	Extension *Extension `json:"extension,omitempty"`
	// Attachment is a file attached or removed (ActAttach, ActDetach,
	// ActAttachReport, ActDetachReport).
	Attachment *Attachment `json:"attachment,omitempty"`

	// Form is how Hash is computed: 2 covers every field of the event;
	// 0 marks a record written before docflow kept history in events,
	// whose hash covers the fields it had then (see sealV1).
	Form   int    `json:"form,omitempty"`
	Target string `json:"target,omitempty"` // form 0 only: the section or "report"

	Prev string `json:"prev"`
	Hash string `json:"hash"`

	// Sig is the signature of the change that wrote the event, by the key
	// that Key names: one signature over the hashes of all the change's
	// events (sealDigest), kept on each of them. Hash covers neither, so
	// that a signature is made after the hashes it signs. Empty on events
	// written without a Signer: docflow 1's, migrated ones, and those of
	// a service that signs nothing (tests).
	Key string `json:"key,omitempty"`
	Sig []byte `json:"sig,omitempty"`
}

// FormFull is the Form of every event docflow writes.
const FormFull = 2

// seal sets e.Hash from every other field. At is kept in UTC so that the
// JSON the hash covers is the JSON any store gives back.
func (e *Event) seal() {
	e.At = e.At.UTC()
	e.Form = FormFull
	e.Hash = e.digest()
}

func (e *Event) digest() string {
	if e.Form != FormFull {
		return e.sealV1()
	}
	x := *e
	x.Hash, x.Key, x.Sig = "", "", nil
	b, err := json.Marshal(&x)
	if err != nil {
		panic(fmt.Sprintf("workflow: encode event: %v", err)) // plain data: cannot fail
	}
	return Hash(b)
}

// sealV1 is the hash of a record from before docflow kept history in
// events. Those records are kept as they were written.
func (e *Event) sealV1() string {
	return Hash(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s",
		e.Case, e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Target, e.Detail, e.Sum, e.Prev))
}

// VerifyChain checks one stream's events, oldest first from the first:
// consecutive, each linked to the one before and with an intact hash.
func VerifyChain(evs []Event) error {
	prev := ""
	for i, e := range evs {
		if e.Seq != i+1 || e.Prev != prev || e.Hash != e.digest() {
			return Errorf("workflow.VerifyChain", Invalid, "%s的审计记录第 %d 条被改动或缺失", where(e.Stream), i+1)
		}
		prev = e.Hash
	}
	return nil
}

// where names a stream for people.
func where(stream string) string {
	if stream == "" {
		return "案件"
	}
	return "部分 " + stream
}

// Signer signs the events of each change as the service writes them, with
// a key the database does not hold: an Ed25519 key in a file, or a KMS
// key (package auditkey). Implementations must be safe for concurrent use.
type Signer interface {
	// Sign signs digest, a SHA-256 hash, with the current key and returns
	// the key's ID, by which a Verifier finds its public key, and the
	// signature. An error means nothing was signed; the change is not
	// written.
	Sign(ctx context.Context, digest []byte) (key string, sig []byte, err error)
}

// Verifier checks signatures with public keys it holds by ID: the current
// key's and those of keys retired, so that events signed before a
// rotation keep verifying. Implementations must be safe for concurrent use.
type Verifier interface {
	// Verify returns nil if sig is key's signature of digest; an error
	// wrapping ErrUnknownKey if it has no public key of that ID; one
	// wrapping ErrBadSignature if the signature does not verify; any
	// other error if it could not tell (a key service unreachable).
	Verify(ctx context.Context, key string, digest, sig []byte) error
}

var (
	// ErrUnknownKey is what a Verifier returns for a key it does not know.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrBadSignature is what a Verifier returns for a signature that does not verify.
	ErrBadSignature = errors.New("signature does not verify")
)

// sealLabel begins what a change's signature signs, so that no signature
// made for docflow's audit can be taken for one of anything else.
const sealLabel = "docflow audit seal 1\n"

// sealDigest is what the signature of a change signs: the SHA-256 of
// sealLabel and the hashes of the change's events, ordered by stream and
// number, one a line. Each hash covers its event's case, stream, number,
// content and predecessor, so the digest names exactly these events at
// exactly these places in their chains.
func sealDigest(evs []Event) []byte {
	sorted := slices.Clone(evs)
	slices.SortFunc(sorted, func(a, b Event) int { return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Seq, b.Seq)) })
	h := sha256.New()
	h.Write([]byte(sealLabel))
	for _, e := range sorted {
		h.Write([]byte(e.Hash + "\n"))
	}
	return h.Sum(nil)
}

// sign signs the events of one change with s, one signature for all: one
// call to a key service per change, however many events it records.
func sign(ctx context.Context, s Signer, evs []Event) error {
	if s == nil || len(evs) == 0 {
		return nil
	}
	key, sig, err := s.Sign(ctx, sealDigest(evs))
	if err != nil {
		return fmt.Errorf("sign the audit events: %w", err)
	}
	for i := range evs {
		evs[i].Key, evs[i].Sig = key, sig
	}
	return nil
}

// Hash returns the hex SHA-256 of b, the content address used throughout.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
