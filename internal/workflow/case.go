package workflow

import (
	"fmt"
	"slices"
	"strings"
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

// Stages lists every stage in workflow order.
var Stages = []Stage{Assigning, Drafting, Compiling, Signing, Approved, Published}

// Label is the stage's name in the UI.
func (s Stage) Label() string {
	return map[Stage]string{
		Assigning: "待交办", Drafting: "承办中", Compiling: "汇总中",
		Signing: "审核签发中", Approved: "待发布", Published: "已发布",
	}[s]
}

// Case is one review opinion and what is being done to answer it, as of
// now. It is kept as several records, none of which grows with the case's
// history:
//
//   - the case's own record (Record): stage, report head, chain, publication;
//   - the opinion as read at intake (Opinion), written at intake and
//     correction only;
//   - one record per section (Sections), each with its own version V.
//
// Everything that happened — every draft version, co-handler's input,
// comment, reminder and approval — is an Event, written once and read in
// pages (Service.History). A change writes only the records it touches,
// each conditioned on the version it was read at (see Change).
type Case struct {
	Record
	Opinion  Opinion   `json:"opinion"`
	Sections []Section `json:"sections"` // the report outline, in order

	// Frame is the clerk's own part of the report outline: its opening
	// and closing paragraphs. It is kept apart from the record, like the
	// opinion, and written only when it changes: its text would otherwise
	// ride along every write of the record (on DynamoDB, past 1 KB).
	Frame Frame `json:"frame,omitzero"`
}

// Record is the case's own record: what decides its transitions.
type Record struct {
	ID      string    `json:"id"`
	Version int       `json:"version"` // of this record; set by the Store
	Stage   Stage     `json:"stage"`
	Source  Source    `json:"source"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`

	Report      *Report      `json:"report,omitempty"`
	Chain       []Step       `json:"chain,omitempty"`
	Returned    *Comment     `json:"returned,omitempty"` // the latest 退回 of the report during sign-off
	Publication *Publication `json:"publication,omitempty"`
	// Turn is when the current sign-off step began to wait: the chain
	// started, the step before it completed, or the report changed under
	// it. The reminder rule on waiting steps counts from it.
	Turn time.Time `json:"turn,omitzero"`
	// Alerts keeps, by reminder rule, the period of the last automatic
	// reminder about the case itself (see Service.CheckDeadlines), so
	// that each is sent once. One entry per rule: it never grows.
	Alerts map[string]string `json:"alerts,omitempty"`

	// Revises names the case whose opinion this case's opinion revises
	// (the same 来文字号, registered again as a revised version);
	// RevisedBy the case that revises this one (已被修订). See
	// Service.Revise.
	Revises   string `json:"revises,omitempty"`
	RevisedBy string `json:"revisedBy,omitempty"`

	// Consult is the latest round of 征求意见 (see Consultation): who was
	// sent which draft, until when, and the hashes of their links.
	Consult *Consultation `json:"consult,omitempty"`

	// Feedback is the proposer's 满意度 with the answer of a 代表建议 or
	// 政协提案 (see Feedback); Redo, on a case opened after 不满意, which
	// answer it gives (2), and Again the case whose answer it gives again.
	Feedback *Feedback `json:"feedback,omitempty"`
	Redo     int       `json:"redo,omitempty"`
	Again    string    `json:"again,omitempty"`

	Head StreamHead `json:"head"` // of the case's own stream of events
}

// Frame is the clerk's own part of the report outline, around the parts
// departments write: the opening paragraph before the first part and the
// closing paragraph (下一步，区政府将……) after the last, before the office's
// closing formula (Profile.Closing, 特此报告。). Compile uses them.
type Frame struct {
	Rev     int    `json:"rev"`               // bumps on every change; forms send it back
	Opening string `json:"opening,omitempty"` // "": the office's opening (Profile.Opening) citing the opinion
	Closing string `json:"closing,omitempty"` // "": none
}

// IsZero reports whether the frame was never set.
func (f Frame) IsZero() bool { return f == Frame{} }

// StreamHead is the newest event of a stream: a record carries the head of the
// stream of events about it, so appending an event is a write of the
// record it belongs to, conditioned like any other.
type StreamHead struct {
	Seq  int    `json:"seq"`
	Hash string `json:"hash,omitempty"`
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
	Planned   SectionState = "planned"   // 待交办: in the outline, not yet dispatched
	Open      SectionState = "open"      // 起草中
	Submitted SectionState = "submitted" // 已报送: the head confirmed and submitted
	Accepted  SectionState = "accepted"  // 已采用
	Returned  SectionState = "returned"  // 已退回, editable again
)

func (s SectionState) Label() string {
	return map[SectionState]string{Planned: "待交办", Open: "起草中", Submitted: "已报送", Accepted: "已采用", Returned: "已退回"}[s]
}

// Writable reports whether the lead department may still edit the section.
func (s SectionState) Writable() bool { return s == Open || s == Returned }

// Section is one part of the report outline: the answer to one opinion item,
// written by its lead department (主办) with input from co-handlers (协办).
// It is a record of its own: departments saving different sections never
// touch the same record.
type Section struct {
	ID    string       `json:"id"`
	V     int          `json:"v"`              // version of the record; set by the Store
	Item  string       `json:"item,omitempty"` // opinion item answered
	Level int          `json:"level"`          // 1..4 in the report: 一、 （一） 1. （1）
	Lead  string       `json:"lead"`
	Co    []string     `json:"co,omitempty"`
	Due   time.Time    `json:"due"`
	State SectionState `json:"state"`
	Rev   int          `json:"rev"` // bumps on every change of text or state; forms send it back

	Current  Version        `json:"current"`            // the newest draft; N is 0 before the first
	Inputs   map[string]int `json:"inputs,omitempty"`   // co-handlers' inputs given, by department
	Returned *Comment       `json:"returned,omitempty"` // the latest 退回, shown until the next
	Reminded *Comment       `json:"reminded,omitempty"` // the latest 催办
	Reminds  int            `json:"reminds,omitempty"`  // how many 催办 so far
	// Alerts keeps, by reminder rule, the period of the last automatic
	// reminder about the section (Record.Alerts says why).
	Alerts map[string]string `json:"alerts,omitempty"`

	// Submitted is when the section was last submitted (报送), and
	// Returns how many times the office returned it (退回): what the
	// statistics count (Service.Statistics). Sections submitted before
	// docflow kept them have neither; the statistics read their events.
	Submitted time.Time `json:"submitted,omitzero"`
	Returns   int       `json:"returns,omitempty"`
	// Result is the outcome of the item the section answers (办理结果);
	// nil until the department or the office records one.
	Result *Result `json:"result,omitempty"`
	// Extension is the latest request for a later due date (延期申请)
	// and its decision; nil if none was made.
	Extension *Extension `json:"extension,omitempty"`
	// Attachments are the files the lead department attached (附件), in
	// the order attached; the files are in Blobs. At most MaxAttachments.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Liaison is the lead department's latest contact with the case's
	// proposer (沟通, for a 代表建议 or 政协提案), Liaisons how many it
	// recorded; the events keep every one.
	Liaison  *Liaison `json:"liaison,omitempty"`
	Liaisons int      `json:"liaisons,omitempty"`
	// Decline is the latest request of a lead department to give the
	// part to another (分办) and the office's answer.
	Decline *Decline `json:"decline,omitempty"`

	Head StreamHead `json:"head"` // of the section's stream of events
}

// Involves reports whether dept leads or co-handles the section.
func (s *Section) Involves(dept string) bool {
	return dept != "" && (s.Lead == dept || slices.Contains(s.Co, dept))
}

// Version is one saved state of a section or of the report. Body is kept
// in Blobs under Hash; Sum identifies the whole version (heading or title,
// addressee and body) and is what approvals bind to. Seq is the event that
// recorded it, in its stream.
type Version struct {
	N         int       `json:"n"`
	Seq       int       `json:"seq,omitempty"`
	Heading   string    `json:"heading,omitempty"`   // section heading or report title
	Addressee string    `json:"addressee,omitempty"` // report only: 主送机关
	Hash      string    `json:"hash,omitempty"`      // sha256 of the Markdown body
	Sum       string    `json:"sum,omitempty"`
	Author    string    `json:"author,omitempty"`
	Name      string    `json:"name,omitempty"`
	At        time.Time `json:"at,omitzero"`
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

// Comment records a return (退回), a reminder (催办) or a confirmation with
// its reason.
type Comment struct {
	Author string    `json:"author"`
	Name   string    `json:"name"`
	Step   string    `json:"step,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// HasReport reports whether c carries its report's text, as the office and
// the signers see it; the public and the departments see its title only.
func (c *Case) HasReport() bool { return c.Report != nil && c.Report.Current.Hash != "" }

// Report is the compiled answer, edited by the clerk; each save a version.
// The record keeps the newest; the others are events of the case.
type Report struct {
	Rev     int     `json:"rev"`
	Current Version `json:"current"`
	// Attachments are the notice's 附件, in the order the 附件说明 numbers
	// them (AttachToReport). At most MaxAttachments.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Step is one link of the sign-off chain. Every signer must approve the
// current draft for the step to be complete (会签 has several). Approvals
// keeps each signer's latest approval, of whichever draft: one whose Sum is
// not the current draft's no longer counts, but shows what was signed.
type Step struct {
	Name      string     `json:"name"` // 核稿, 会签, 审核, 签发
	Signers   []string   `json:"signers"`
	Approvals []Approval `json:"approvals,omitempty"`
}

// Approval is a signature record: who approved which draft, when, and
// their written opinion (意见).
type Approval struct {
	User    string    `json:"user"`
	Name    string    `json:"name"`
	Title   string    `json:"title,omitempty"`
	Sum     string    `json:"sum"`
	N       int       `json:"n,omitempty"`   // the report version approved
	Seq     int       `json:"seq,omitempty"` // the event that recorded that version
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

// Last returns user's latest approval in the step.
func (st *Step) Last(user string) (Approval, bool) {
	for _, a := range st.Approvals {
		if a.User == user {
			return a, true
		}
	}
	return Approval{}, false
}

// record keeps a as its signer's latest approval.
func (st *Step) record(a Approval) {
	st.Approvals = slices.DeleteFunc(st.Approvals, func(x Approval) bool { return x.User == a.User })
	st.Approvals = append(st.Approvals, a)
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

// Publication is the final notice: its number, dates, 公开属性 and 附注 as
// the office decided them when it was numbered, and its stored files.
type Publication struct {
	Series   string    `json:"series"` // the office's series, e.g. 府议
	Year     int       `json:"year"`
	Seq      int       `json:"seq"`                // 0 until allocated
	Date     time.Time `json:"date"`               // 成文日期
	Printed  time.Time `json:"printed,omitzero"`   // 印发日期; zero (publications before it was kept): Date
	Openness Openness  `json:"openness,omitempty"` // 公开属性; "" (publications before it was kept): 主动公开
	Note     string    `json:"note,omitempty"`     // 附注, without its （）
	Late     string    `json:"late,omitempty"`     // why it is dated after the opinion's deadline (Publishing.Late)
	Sum      string    `json:"sum"`                // the approved draft that was published
	Files    []File    `json:"files,omitempty"`
	// Attachments are the report's attachments as published, each stored
	// once under its Key (Blobs.PutFile), in the 附件说明's order.
	Attachments []Attachment `json:"attachments,omitempty"`
	At          time.Time    `json:"at,omitzero"` // when the files were stored; zero while pending
	By          string       `json:"by"`
}

// Public reports whether the public may see the notice: only 主动公开
// notices are listed and served to everyone (publications from before 公开属性
// was kept were all public).
func (p *Publication) Public() bool {
	return p != nil && (p.Openness == "" || p.Openness == Proactive)
}

// PrintedOn is the 印发日期: Printed, or Date where none was kept.
func (p *Publication) PrintedOn() time.Time {
	if p.Printed.IsZero() {
		return p.Date
	}
	return p.Printed
}

// Openness is a notice's 公开属性 (《党政机关公文处理工作条例》 and the
// 政府信息公开条例): whether it is published to all, given on request, or
// not disclosed.
type Openness string

const (
	Proactive Openness = "public"     // 主动公开: listed and served to everyone
	OnRequest Openness = "on-request" // 依申请公开: kept by the office, given on request
	Withheld  Openness = "withheld"   // 不予公开
)

// Opennesses lists every 公开属性, in the order forms offer them.
var Opennesses = []Openness{Proactive, OnRequest, Withheld}

// Label is the 公开属性 as documents and forms name it.
func (o Openness) Label() string {
	switch o {
	case Proactive, "":
		return "主动公开"
	case OnRequest:
		return "依申请公开"
	case Withheld:
		return "不予公开"
	}
	return string(o)
}

// ParseOpenness reads a 公开属性 by its code (public, on-request,
// withheld) or its label (主动公开, 依申请公开, 不予公开); "" gives "".
func ParseOpenness(s string) (Openness, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, o := range Opennesses {
		if s == string(o) || s == o.Label() {
			return o, nil
		}
	}
	return "", Errorf("workflow.ParseOpenness", Invalid, "没有公开属性「%s」（可选：主动公开、依申请公开、不予公开）", s)
}

// Number is the document number, e.g. 某府议〔2025〕17号 (GB/T 9704 7.2.5:
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

// section returns the section with the given ID.
func (c *Case) section(op, secID string) (*Section, error) {
	for i := range c.Sections {
		if c.Sections[i].ID == secID {
			return &c.Sections[i], nil
		}
	}
	return nil, Errorf(op, NotFound, "案件 %s 没有部分 %s", c.ID, secID)
}

// Section returns the section with the given ID.
func (c *Case) Section(secID string) (*Section, bool) {
	s, err := c.section("", secID)
	return s, err == nil
}

// SectionLabel names a section for people: its number in the outline.
func (c *Case) SectionLabel(secID string) string {
	n := [5]int{}
	for _, s := range c.Sections {
		n[s.Level]++
		for l := s.Level + 1; l < len(n); l++ {
			n[l] = 0
		}
		if s.ID == secID {
			return OutlineNumber(s.Level, n[s.Level])
		}
	}
	return secID
}

// SectionPath names a section by its place in the outline with the
// numbers of the parts above it — 一（一）, 二（一）1. — which, unlike the
// section's own number （一）, no other section shares.
func (c *Case) SectionPath(secID string) string {
	n := [5]int{}
	var path [5]string
	for _, s := range c.Sections {
		if s.Level < 1 || s.Level > 4 {
			continue
		}
		n[s.Level]++
		for l := s.Level + 1; l < len(n); l++ {
			n[l], path[l] = 0, ""
		}
		path[s.Level] = strings.TrimSuffix(OutlineNumber(s.Level, n[s.Level]), "、")
		if s.ID == secID {
			return strings.Join(path[1:s.Level+1], "")
		}
	}
	return secID
}

// SectionName names a section for a message that must not be mistaken:
// its path in the outline, its heading (or, before a draft has one, the
// opinion item it answers) and its lead department, e.g.
// 一（一）「加强妇女儿童权益保障」（区妇联主办）.
func (c *Case) SectionName(secID string) string {
	sec, ok := c.Section(secID)
	if !ok {
		return secID
	}
	return fmt.Sprintf("%s「%s」（%s主办）", c.SectionPath(secID), c.SectionHeading(sec), sec.Lead)
}

// SectionHeading is what a section is about, in a line: its draft's
// heading, else the start of the opinion item it answers, else "本部分".
func (c *Case) SectionHeading(sec *Section) string {
	if h := sec.Current.Heading; h != "" {
		return h
	}
	if it, ok := c.Opinion.Item(sec.Item); ok && it.Text != "" {
		return Excerpt(it.Text, 24)
	}
	return "本部分"
}

// Excerpt is the first n characters of the first line of s, with … when
// there is more.
func Excerpt(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + "…"
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Depts returns the departments that lead or co-handle a section, in
// outline order.
func (c *Case) Depts() []string {
	var out []string
	for _, s := range c.Sections {
		for _, d := range append([]string{s.Lead}, s.Co...) {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

func (c *Case) signer(user string) bool {
	for _, st := range c.Chain {
		if slices.Contains(st.Signers, user) {
			return true
		}
	}
	return false
}

func (c *Case) involves(dept string) bool {
	for i := range c.Sections {
		if c.Sections[i].Involves(dept) {
			return true
		}
	}
	return false
}

// CurrentStep returns the index of the first step not yet complete for the
// current draft, or len(c.Chain) when all are.
func (c *Case) CurrentStep() int {
	if c.Report == nil {
		return 0
	}
	sum := c.Report.Current.Sum
	for i := range c.Chain {
		if len(c.Chain[i].Pending(sum)) > 0 {
			return i
		}
	}
	return len(c.Chain)
}

// OutlineNumber is the label of the n-th heading at a level: 一、 （一） 1. （1）.
func OutlineNumber(level, n int) string {
	switch level {
	case 1:
		return ChineseNumber(n) + "、"
	case 2:
		return "（" + ChineseNumber(n) + "）"
	case 3:
		return fmt.Sprintf("%d.", n)
	}
	return fmt.Sprintf("（%d）", n)
}

// ChineseNumber writes 1..99 as 一 … 九十九.
func ChineseNumber(n int) string {
	d := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n >= 100:
		return fmt.Sprint(n)
	case n < 10:
		return d[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + d[n%10]
	case n%10 == 0:
		return d[n/10] + "十"
	}
	return d[n/10] + "十" + d[n%10]
}

// SortSections puts sections in outline order. Their IDs number the
// outline (s1, s2, …), so stores that keep sections apart need not keep
// their order too.
func SortSections(secs []Section) {
	slices.SortFunc(secs, func(a, b Section) int { return sectionNumber(a.ID) - sectionNumber(b.ID) })
}

func sectionNumber(id string) int {
	n := 0
	for _, r := range strings.TrimPrefix(id, "s") {
		if r < '0' || r > '9' {
			return 1 << 30
		}
		n = n*10 + int(r-'0')
	}
	return n
}
