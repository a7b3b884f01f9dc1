package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

	// Form is how Hash is computed: 2 covers every field of the event;
	// 0 marks a record written before docflow kept history in events,
	// whose hash covers the fields it had then (see sealV1).
	Form   int    `json:"form,omitempty"`
	Target string `json:"target,omitempty"` // form 0 only: the section or "report"

	Prev string `json:"prev"`
	Hash string `json:"hash"`
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
	x.Hash = ""
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
			where := "案件"
			if e.Stream != "" {
				where = "部分 " + e.Stream
			}
			return Errorf("workflow.VerifyChain", Invalid, "%s的审计记录第 %d 条被改动或缺失", where, i+1)
		}
		prev = e.Hash
	}
	return nil
}

// Hash returns the hex SHA-256 of b, the content address used throughout.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
