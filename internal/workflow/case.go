package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Stage is where a case stands in the five-stage workflow.
type Stage string

const (
	Assigning Stage = "assigning" // 待交办: opened, waiting for assignments
	Drafting  Stage = "drafting"  // 承办中: departments write their sections
	Compiling Stage = "compiling" // 汇总中: the clerk edits the compiled report
	Signing   Stage = "signing"   // 审核签发中: the sign-off chain runs
	Approved  Stage = "approved"  // 待发布: every step approved the current draft
	Published Stage = "published" // 已发布
)

// Label is the stage's name in the UI.
func (s Stage) Label() string {
	return map[Stage]string{
		Assigning: "待交办", Drafting: "承办中", Compiling: "汇总中",
		Signing: "审核签发中", Approved: "待发布", Published: "已发布",
	}[s]
}

// Case is one review opinion and everything done to answer it. It is the
// unit of consistency: every change is saved as a whole against the version
// it was read at.
type Case struct {
	ID      string    `json:"id"`
	Version int       `json:"version"` // set by the Store
	Stage   Stage     `json:"stage"`
	Opinion Opinion   `json:"opinion"`
	Source  Source    `json:"source"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`

	Sections    []Section    `json:"sections"` // the report outline, in order
	Report      *Report      `json:"report,omitempty"`
	Chain       []Step       `json:"chain,omitempty"`
	Returns     []Comment    `json:"returns,omitempty"` // 退回 of the report during sign-off
	Publication *Publication `json:"publication,omitempty"`

	Events    int    `json:"events"`    // number of audit events so far
	LastEvent string `json:"lastEvent"` // hash of the newest audit event
}

// Source is the uploaded opinion file, kept as a blob.
type Source struct {
	Name string `json:"name"`
	Hash string `json:"hash"`
	Size int    `json:"size"`
	Key  string `json:"key,omitempty"` // inbox object key when it came through S3
}

// SectionState is where a section stands in drafting.
type SectionState string

const (
	Open      SectionState = "open"      // 起草中
	Submitted SectionState = "submitted" // 已报送: the head confirmed and submitted
	Accepted  SectionState = "accepted"  // 已采用
	Returned  SectionState = "returned"  // 已退回, editable again
)

func (s SectionState) Label() string {
	return map[SectionState]string{Open: "起草中", Submitted: "已报送", Accepted: "已采用", Returned: "已退回"}[s]
}

// Section is one part of the report outline: the answer to one opinion item,
// written by its lead department (主办) with input from co-handlers (协办).
type Section struct {
	ID        string       `json:"id"`
	Item      string       `json:"item,omitempty"` // opinion item answered
	Level     int          `json:"level"`          // 1..4 in the report: 一、 （一） 1. （1）
	Lead      string       `json:"lead"`
	Co        []string     `json:"co,omitempty"`
	Due       time.Time    `json:"due"`
	State     SectionState `json:"state"`
	Rev       int          `json:"rev"` // bumps on every change; forms send it back
	Versions  []Version    `json:"versions,omitempty"`
	Inputs    []Input      `json:"inputs,omitempty"`
	Comments  []Comment    `json:"comments,omitempty"`
	Reminders []Comment    `json:"reminders,omitempty"` // 催办 from the office
}

// Current returns the newest version, or the zero Version when none exists.
func (s *Section) Current() Version {
	if len(s.Versions) == 0 {
		return Version{}
	}
	return s.Versions[len(s.Versions)-1]
}

// Involves reports whether dept leads or co-handles the section.
func (s *Section) Involves(dept string) bool {
	if dept == "" {
		return false
	}
	if s.Lead == dept {
		return true
	}
	for _, d := range s.Co {
		if d == dept {
			return true
		}
	}
	return false
}

// Version is one saved state of a section or of the report. Body is kept
// in Blobs under Hash; Sum identifies the whole version (heading or title,
// addressee and body) and is what approvals bind to.
type Version struct {
	N         int       `json:"n"`
	Heading   string    `json:"heading,omitempty"`   // section heading or report title
	Addressee string    `json:"addressee,omitempty"` // report only: 主送机关
	Hash      string    `json:"hash"`                // sha256 of the Markdown body
	Sum       string    `json:"sum"`
	Author    string    `json:"author"`
	Name      string    `json:"name"`
	At        time.Time `json:"at"`
	Note      string    `json:"note,omitempty"`
}

func versionSum(heading, addressee, hash string) string {
	return Hash([]byte(heading + "\x00" + addressee + "\x00" + hash))
}

// Input is a co-handling department's contribution to a section.
type Input struct {
	Dept   string    `json:"dept"`
	Author string    `json:"author"`
	Name   string    `json:"name"`
	Hash   string    `json:"hash"`
	At     time.Time `json:"at"`
}

// Comment records a return (退回) or a confirmation with its reason.
type Comment struct {
	Author string    `json:"author"`
	Name   string    `json:"name"`
	Step   string    `json:"step,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Report is the compiled answer, edited by the clerk; each save a version.
type Report struct {
	Rev      int       `json:"rev"`
	Versions []Version `json:"versions"`
}

// Current returns the newest version.
func (r *Report) Current() Version { return r.Versions[len(r.Versions)-1] }

// Step is one link of the sign-off chain. Every signer must approve the
// current draft for the step to be complete (会签 has several).
type Step struct {
	Name      string     `json:"name"` // 核稿, 会签, 审核, 签发
	Signers   []string   `json:"signers"`
	Approvals []Approval `json:"approvals,omitempty"` // all ever given, void ones included
}

// Approval is a signature record: who approved which draft, when, and
// their written opinion (意见).
type Approval struct {
	User    string    `json:"user"`
	Name    string    `json:"name"`
	Title   string    `json:"title,omitempty"`
	Sum     string    `json:"sum"`
	Opinion string    `json:"opinion"`
	At      time.Time `json:"at"`
}

// approved reports whether user approved the draft identified by sum.
func (st *Step) approved(user, sum string) bool {
	for _, a := range st.Approvals {
		if a.User == user && a.Sum == sum {
			return true
		}
	}
	return false
}

// Pending returns the signers who have not yet approved the draft sum.
func (st *Step) Pending(sum string) []string {
	var out []string
	for _, u := range st.Signers {
		if !st.approved(u, sum) {
			out = append(out, u)
		}
	}
	return out
}

// Publication is the final notice: its number, date and stored files.
type Publication struct {
	Series string    `json:"series"` // 静府议
	Year   int       `json:"year"`
	Seq    int       `json:"seq"` // 0 until allocated
	Date   time.Time `json:"date"`
	Sum    string    `json:"sum"` // the approved draft that was published
	Files  []File    `json:"files,omitempty"`
	At     time.Time `json:"at,omitempty"` // when the files were stored; zero while pending
	By     string    `json:"by"`
}

// Number is the document number, e.g. 静府议〔2025〕17号 (GB/T 9704 7.2.5:
// year in full in 〔〕, no leading zeros, no 第).
func (p *Publication) Number() string {
	if p == nil || p.Seq == 0 {
		return ""
	}
	return fmt.Sprintf("%s〔%d〕%d号", p.Series, p.Year, p.Seq)
}

// File is one stored rendering of the final notice.
type File struct {
	Name        string `json:"name"` // notice.html
	Key         string `json:"key"`  // where Blobs keeps it
	ContentType string `json:"contentType"`
	Hash        string `json:"hash"`
	Size        int    `json:"size"`
}

// Event is one audit record. Events of a case form a hash chain: each
// Hash covers the event's fields and the previous event's Hash, so an
// edited or deleted record shows.
type Event struct {
	Case   string    `json:"case"`
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Name   string    `json:"name"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail"`
	Sum    string    `json:"sum,omitempty"` // content hash concerned
	Prev   string    `json:"prev"`
	Hash   string    `json:"hash"`
}

func (e *Event) seal() {
	e.Hash = Hash(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s",
		e.Case, e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Target, e.Detail, e.Sum, e.Prev))
}

// VerifyChain checks that events are consecutive and each hash is intact.
func VerifyChain(evs []Event) error {
	prev := ""
	for i, e := range evs {
		want := e
		want.seal()
		if e.Seq != i+1 || e.Prev != prev || e.Hash != want.Hash {
			return Errorf("workflow.VerifyChain", Invalid, "审计记录第 %d 条被改动或缺失", i+1)
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
