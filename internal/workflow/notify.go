package workflow

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// People are told what concerns them: a department that its parts were
// assigned, reminded or returned, the office that a part was submitted or
// the report signed, a signer that it is their turn, and everyone
// involved that the notice was published or a deadline is near. What to
// tell whom is decided here, from the events a change records (Notes);
// how each person is reached is their own choice (Account.Notify) among
// email and the group robot of their department or of the office
// (NotifySettings.Robots). The messages are written to the outbox with
// the change that caused them, in the same transaction (Change.Outbox),
// and a sender (package outbox) delivers them afterwards.

// Channel is how a message reaches people.
type Channel string

const (
	// ByEmail is an email to the person's address (Account.Email).
	ByEmail Channel = "email"
	// ByRobot is a message posted by the group robot (企业微信 or 钉钉) of
	// the person's department, or of the office for those without one.
	ByRobot Channel = "robot"
	// ByNone, as an account's choice, tells the person nothing.
	ByNone Channel = "off"
)

// Label is the channel's name in the UI.
func (c Channel) Label() string {
	switch c {
	case ByEmail:
		return "邮件"
	case ByRobot:
		return "群机器人"
	case ByNone:
		return "不通知"
	case "":
		return "默认（有邮箱发邮件，否则发群机器人）"
	}
	return string(c)
}

// RobotKind is the messenger a group robot belongs to.
type RobotKind string

const (
	WeCom    RobotKind = "wecom"    // 企业微信群机器人
	DingTalk RobotKind = "dingtalk" // 钉钉自定义机器人
)

// Label is the messenger's name in the UI.
func (k RobotKind) Label() string {
	switch k {
	case WeCom:
		return "企业微信"
	case DingTalk:
		return "钉钉"
	}
	return string(k)
}

// NotifySettings is how an office tells people: the group robots, and the
// reminder rules that Service.CheckDeadlines applies. A zero rule is off.
type NotifySettings struct {
	Robots []Robot `json:"robots,omitempty"`
	// DueSoon reminds a department this many days before a part's due
	// date, once per due date, while the part is not submitted.
	DueSoon int `json:"dueSoon,omitempty"`
	// Overdue reminds a department of an overdue part the day after its
	// due date and then every this many days, until it is submitted.
	Overdue int `json:"overdue,omitempty"`
	// Waiting reminds the signers of a sign-off step that has waited
	// this many hours, and again every this many hours.
	Waiting int `json:"waiting,omitempty"`
}

// Robot is a group robot's webhook: of a department's group, or (Dept "")
// of the office's own. URL and Secret are credentials: they stay in the
// office's settings, which only administrators see, and out of the
// outbox and the audit trail.
type Robot struct {
	Dept   string    `json:"dept,omitempty"`
	Kind   RobotKind `json:"kind"`
	URL    string    `json:"url"`
	Secret string    `json:"secret,omitempty"` // 钉钉's signing secret (加签, SEC…); "" when the robot does not sign
}

// Limits of the notification settings.
const (
	MaxDueSoon   = 30  // days
	MaxOverdue   = 30  // days
	MaxWaiting   = 720 // hours (30 days)
	MaxRobotURL  = 500
	MaxSecret    = 200
	MaxEmail     = 254 // RFC 5321's limit on a path
	RobotOffice  = ""  // Robot.Dept of the office's own robot
	officeTarget = "office"
)

// Robot returns the robot of a department ("" the office's), if one is set.
func (n *NotifySettings) Robot(dept string) (Robot, bool) {
	i := slices.IndexFunc(n.Robots, func(r Robot) bool { return r.Dept == dept })
	if i < 0 {
		return Robot{}, false
	}
	return n.Robots[i], true
}

// problems checks the settings against the office's departments.
func (n *NotifySettings) problems(depts []string) []string {
	var bad []string
	seen := map[string]bool{}
	for _, r := range n.Robots {
		who := r.Dept
		if who == "" {
			who = "本单位"
		}
		switch {
		case r.Dept != "" && !slices.Contains(depts, r.Dept):
			bad = append(bad, fmt.Sprintf("群机器人的部门「%s」不在部门名录中", r.Dept))
		case seen[r.Dept]:
			bad = append(bad, fmt.Sprintf("%s有两个群机器人：每个部门只能设一个", who))
		case r.Kind != WeCom && r.Kind != DingTalk:
			bad = append(bad, fmt.Sprintf("%s的群机器人类型「%s」无效：须为 wecom（企业微信）或 dingtalk（钉钉）", who, r.Kind))
		case len(r.Secret) > MaxSecret || strings.ContainsAny(r.Secret, " \t\r\n"):
			bad = append(bad, fmt.Sprintf("%s的群机器人密钥无效（不超过 %d 个字符，不能有空白）", who, MaxSecret))
		case r.Secret != "" && r.Kind != DingTalk:
			bad = append(bad, fmt.Sprintf("%s的群机器人：只有钉钉机器人使用加签密钥", who))
		default:
			if msg := robotURLProblem(r.URL); msg != "" {
				bad = append(bad, fmt.Sprintf("%s的群机器人地址%s", who, msg))
			}
		}
		seen[r.Dept] = true
	}
	if n.DueSoon < 0 || n.DueSoon > MaxDueSoon {
		bad = append(bad, fmt.Sprintf("到期前提醒天数须为 0–%d 天（0 为不提醒）", MaxDueSoon))
	}
	if n.Overdue < 0 || n.Overdue > MaxOverdue {
		bad = append(bad, fmt.Sprintf("逾期提醒间隔须为 0–%d 天（0 为不提醒）", MaxOverdue))
	}
	if n.Waiting < 0 || n.Waiting > MaxWaiting {
		bad = append(bad, fmt.Sprintf("签批等待提醒须为 0–%d 小时（0 为不提醒）", MaxWaiting))
	}
	return bad
}

// robotURLProblem says what is wrong with a webhook address, or "". It
// must be https; plain http is let through to this machine only (a local
// relay, the tests' receiver), where nothing crosses a network.
func robotURLProblem(s string) string {
	if len(s) > MaxRobotURL {
		return fmt.Sprintf("过长（上限 %d 个字符）", MaxRobotURL)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return "无效：请粘贴机器人设置里的完整 Webhook 地址（https://…）"
	}
	switch h := u.Hostname(); {
	case u.Scheme == "https":
	case u.Scheme == "http" && (h == "localhost" || h == "127.0.0.1" || h == "::1"):
	default:
		return "须以 https:// 开头"
	}
	return ""
}

// CheckEmail checks an email address as people write it: one address,
// without a display name; "" is no address.
func CheckEmail(op, s string) error {
	if s == "" {
		return nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > MaxEmail || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return Errorf(op, Invalid, "邮箱「%s」无效：须为一个地址，如 name@example.gov.cn", s)
	}
	return nil
}

// NoteKind is what a message tells.
type NoteKind string

const (
	NoteAssigned       NoteKind = "assigned"        // 交办: a department has parts to draft
	NoteReminded       NoteKind = "reminded"        // 催办 by the clerk
	NoteReturned       NoteKind = "returned"        // a part returned to its department
	NoteSubmitted      NoteKind = "submitted"       // a department submitted a part
	NoteTurn           NoteKind = "turn"            // a signer's turn to approve
	NoteApproved       NoteKind = "approved"        // a signer approved
	NoteReportReturned NoteKind = "report-returned" // a signer returned the report
	NotePublished      NoteKind = "published"       // the notice is published
	NoteDueSoon        NoteKind = "due-soon"        // a part's due date is near
	NoteOverdue        NoteKind = "overdue"         // a part is overdue
	NoteWaiting        NoteKind = "waiting"         // a sign-off step has waited long
	NoteExtension      NoteKind = "extension"       // 延期申请: asked for (to the office) or decided (to the department)
	NoteConsulted      NoteKind = "consulted"       // a contact commented on the draft sent (征求意见, consult.go)
	NoteDeclined       NoteKind = "declined"        // 分办: a department asks to give a part away (to the office), or is answered
	NoteRated          NoteKind = "rated"           // 满意度: the proposer rated the answer (to the office and the departments)
)

var noteLabels = map[NoteKind]string{
	NoteAssigned: "交办", NoteReminded: "催办", NoteReturned: "退回", NoteSubmitted: "报送", NoteTurn: "请签批",
	NoteApproved: "签批", NoteReportReturned: "退回报告", NotePublished: "发布", NoteDueSoon: "即将到期",
	NoteOverdue: "逾期", NoteWaiting: "签批等待", NoteExtension: "延期申请", NoteConsulted: "征求意见回复",
	NoteDeclined: "分办", NoteRated: "满意度",
}

// Label is the kind's name in the UI.
func (k NoteKind) Label() string {
	if l, ok := noteLabels[k]; ok {
		return l
	}
	return string(k)
}

// Audience is whom a note is for: the staff and heads of a department,
// the office's clerks, or one person.
type Audience struct {
	Dept   string `json:"dept,omitempty"`
	Office bool   `json:"office,omitempty"`
	User   string `json:"user,omitempty"`
}

// Target names the audience in a message's key: "dept:<name>", "office"
// or "@<login>".
func (a Audience) Target() string {
	switch {
	case a.User != "":
		return "@" + a.User
	case a.Office:
		return officeTarget
	}
	return "dept:" + a.Dept
}

// Note is something an audience must be told, because of an event.
type Note struct {
	Event   string // EventKey of the event that caused it
	Kind    NoteKind
	To      Audience
	Subject string
	Text    string
	Link    string // the page to open, a path on docflow's site
}

// EventKey names an event for the outbox: case/stream/seq, unique and
// never reused, because events are written once.
func EventKey(e *Event) string { return fmt.Sprintf("%s/%s/%d", e.Case, e.Stream, e.Seq) }

// Notes returns what must be told, to whom, about the events evs that a
// change recorded on c (c as the change left it). It is a pure function:
// who belongs to an audience is looked up afterwards (Service.outbox).
func Notes(c *Case, evs []Event) []Note {
	var out []Note
	title := fmt.Sprintf("%s《%s》", c.Opinion.Number, c.Opinion.Title)
	casePage := "/cases/" + c.ID
	add := func(e *Event, k NoteKind, to Audience, link, text string) {
		out = append(out, Note{Event: EventKey(e), Kind: k, To: to, Subject: "【" + k.Label() + "】" + title, Text: text, Link: link})
	}
	secPage := func(id string) string { return casePage + "/sections/" + id }
	turn := func(e *Event, lead string) {
		if c.Stage != Signing || c.Report == nil {
			return
		}
		i := c.CurrentStep()
		if i >= len(c.Chain) {
			return
		}
		st := &c.Chain[i]
		for _, u := range st.Pending(c.Report.Current.Sum) {
			add(e, NoteTurn, Audience{User: u}, casePage+"/review",
				fmt.Sprintf("%s报告第 %d 稿待您在「%s」环节签批。", lead, c.Report.Current.N, st.Name))
		}
	}
	for i := range evs {
		e := &evs[i]
		sec, _ := c.Section(e.Stream)
		switch Action(e.Action) {
		case ActDispatch:
			for _, d := range c.Depts() {
				var lines []string
				first := ""
				for j := range c.Sections {
					s := &c.Sections[j]
					role := ""
					switch {
					case s.Lead == d:
						role = "主办"
					case slices.Contains(s.Co, d):
						role = "协办"
					default:
						continue
					}
					if first == "" {
						first = s.ID
					}
					lines = append(lines, fmt.Sprintf("%s %s「%s」，办理期限 %s", role, c.SectionPath(s.ID), c.SectionHeading(s), DateCN(s.Due)))
				}
				add(e, NoteAssigned, Audience{Dept: d}, secPage(first),
					fmt.Sprintf("%s交办的办理任务，请按期办理并报送：\n%s", title, strings.Join(lines, "\n")))
			}
		case ActRemind:
			if sec == nil || e.Comment == nil {
				continue
			}
			add(e, NoteReminded, Audience{Dept: sec.Lead}, secPage(sec.ID),
				fmt.Sprintf("%s %s，办理期限 %s%s。\n%s催办：%s", title, c.SectionName(sec.ID), DateCN(sec.Due), lateText(e.At, sec.Due), e.Comment.Name, e.Comment.Text))
		case ActReturn:
			if sec == nil || e.Comment == nil {
				continue
			}
			add(e, NoteReturned, Audience{Dept: sec.Lead}, secPage(sec.ID),
				fmt.Sprintf("%s %s被退回，请修改后重新报送。\n%s的意见：%s", title, c.SectionName(sec.ID), e.Comment.Name, e.Comment.Text))
		case ActSubmit:
			if sec == nil {
				continue
			}
			add(e, NoteSubmitted, Audience{Office: true}, secPage(sec.ID),
				fmt.Sprintf("%s报送了 %s %s第 %d 稿，请审核采用或退回。", sec.Lead, title, c.SectionName(sec.ID), sec.Current.N))
		case ActExtend:
			if sec == nil || e.Extension == nil {
				continue
			}
			add(e, NoteExtension, Audience{Office: true}, secPage(sec.ID),
				fmt.Sprintf("%s申请将 %s %s的办理期限由 %s 延至 %s，请审批。\n理由：%s", sec.Lead, title, c.SectionName(sec.ID), DateCN(e.Extension.From), DateCN(e.Extension.Until), e.Extension.Reason))
		case ActDecideExtension:
			if sec == nil || e.Extension == nil {
				continue
			}
			what := "不同意"
			if e.Extension.State == ExtensionGranted {
				what = "同意"
			}
			text := fmt.Sprintf("%s %s的延期申请（延至 %s）：区府办%s。现办理期限 %s。", title, c.SectionName(sec.ID), DateCN(e.Extension.Until), what, DateCN(sec.Due))
			if e.Extension.Note != "" {
				text += "\n意见：" + e.Extension.Note
			}
			add(e, NoteExtension, Audience{Dept: sec.Lead}, secPage(sec.ID), text)
		case ActStartSignoff:
			turn(e, title)
			if c.Stage == Approved {
				add(e, NoteApproved, Audience{Office: true}, casePage+"/publish", title+"报告各环节均已签批，待发布。")
			}
		case ActApprove:
			a := e.Approval
			if a == nil {
				continue
			}
			step := slices.IndexFunc(c.Chain, func(st Step) bool { return slices.Contains(st.Signers, a.User) })
			name := ""
			if step >= 0 {
				name = c.Chain[step].Name
			}
			text := fmt.Sprintf("%s在「%s」环节签批了%s报告第 %d 稿：%s", a.Name, name, title, a.N, a.Opinion)
			link := casePage
			if c.Stage == Approved {
				text += "。签批完成，待发布。"
				link += "/publish"
			}
			add(e, NoteApproved, Audience{Office: true}, link, text)
			if step >= 0 && c.CurrentStep() > step {
				turn(e, title)
			}
		case ActEditReport:
			// An edit during sign-off voids the approvals of the old draft:
			// whoever must sign now is asked again.
			turn(e, "报告已修改。"+title)
		case ActConsultAnswer:
			if e.Comment == nil || c.Consult == nil {
				continue
			}
			add(e, NoteConsulted, Audience{Office: true}, casePage+"#consult",
				fmt.Sprintf("%s对%s报告第 %d 稿提出了意见：%s", e.Comment.Name, title, c.Consult.Draft.N, e.Comment.Text))
		case ActReturnReport:
			if e.Comment == nil {
				continue
			}
			add(e, NoteReportReturned, Audience{Office: true}, casePage+"/report",
				fmt.Sprintf("%s在「%s」环节退回了%s报告：%s", e.Comment.Name, e.Comment.Step, title, e.Comment.Text))
		case ActDecline, ActKeepLead, ActReassign:
			// 分办 (decline.go): the request to the office, the answer or
			// the new lead department to the lead department.
			if sec == nil || sec.Decline == nil && Action(e.Action) != ActReassign {
				continue
			}
			k, to, text := NoteDeclined, Audience{Office: true}, sec.Lead+"申请将 "+title+" "+c.SectionName(sec.ID)+"改由其他部门主办，请处理。"
			switch Action(e.Action) {
			case ActDecline:
				text += "\n理由：" + sec.Decline.Reason
			case ActKeepLead:
				to, text = Audience{Dept: sec.Lead}, title+" "+c.SectionName(sec.ID)+"：区府办维持由贵部门主办，请按期办理。\n说明："+sec.Decline.Note
			default:
				k, to, text = NoteAssigned, Audience{Dept: sec.Lead}, title+" "+c.SectionName(sec.ID)+"调整由贵部门主办，办理期限 "+DateCN(sec.Due)+"，请按期办理并报送。"
			}
			add(e, k, to, secPage(sec.ID), text)
		case ActRedo, ActFeedback:
			// 满意度 (feedback.go): a rating to the office and the
			// departments; a second answer to its departments.
			k, link, text := NoteRated, casePage+"/feedback", ""
			if f := c.Feedback; Action(e.Action) == ActFeedback && f != nil && f.Rating != "" {
				text = c.Opinion.Proposer + "对 " + title + " 的答复评价为“" + f.Rating.Label() + "”。"
				if f.Comment != "" {
					text += "\n意见：" + f.Comment
				}
				add(e, k, Audience{Office: true}, link, text)
			} else if Action(e.Action) == ActRedo && len(c.Sections) > 0 && c.Sections[0].Returned != nil {
				k, link = NoteAssigned, casePage
				text = title + "：" + c.Opinion.Proposer + "对第一次答复不满意，请于 " + DateCN(c.Opinion.Due) + " 前重新办理答复。\n意见：" + c.Sections[0].Returned.Text
			}
			if text != "" {
				for _, d := range c.Depts() {
					add(e, k, Audience{Dept: d}, link, text)
				}
			}
		case ActPublish:
			if c.Publication == nil {
				continue
			}
			text := fmt.Sprintf("%s的办理情况报告已发布为 %s。", title, c.Publication.Number())
			link := "/notices/" + c.ID
			add(e, NotePublished, Audience{Office: true}, link, text)
			for _, d := range c.Depts() {
				add(e, NotePublished, Audience{Dept: d}, link, text)
			}
		case ActAlert:
			al := e.Alert
			if al == nil {
				continue
			}
			switch al.Rule {
			case RuleDueSoon:
				if sec != nil {
					add(e, NoteDueSoon, Audience{Dept: sec.Lead}, secPage(sec.ID),
						fmt.Sprintf("%s %s%s，尚未报送，请抓紧办理。", title, c.SectionName(sec.ID), dueText(sec.Due, *al)))
				}
			case RuleOverdue:
				if sec != nil {
					add(e, NoteOverdue, Audience{Dept: sec.Lead}, secPage(sec.ID),
						fmt.Sprintf("%s %s%s，尚未报送，请尽快报送。", title, c.SectionName(sec.ID), dueText(sec.Due, *al)))
				}
			case RuleWaiting:
				if c.Report == nil || c.CurrentStep() >= len(c.Chain) {
					continue
				}
				st := &c.Chain[c.CurrentStep()]
				for _, u := range st.Pending(c.Report.Current.Sum) {
					add(e, NoteWaiting, Audience{User: u}, casePage+"/review",
						fmt.Sprintf("%s报告第 %d 稿已在「%s」环节等待您签批 %d 小时。", title, c.Report.Current.N, st.Name, al.Hours))
				}
			}
		}
	}
	return out
}

// lateText says how late a part is on day at, or nothing.
func lateText(at, due time.Time) string {
	if d := daysBetween(at, due); d < 0 {
		return fmt.Sprintf("（已逾期 %d 天）", -d)
	}
	return ""
}

// MessageState is where a message stands in delivery.
type MessageState string

const (
	Pending MessageState = "pending" // 待发送: due at Next (a retry waits for it)
	Sending MessageState = "sending" // 发送中: a sender holds it until Next; after that, it is due again
	Sent    MessageState = "sent"    // 已发送
	Failed  MessageState = "failed"  // 发送失败: given up, or nobody could be reached; a clerk may retry
)

// Label is the state's name in the UI.
func (s MessageState) Label() string {
	return map[MessageState]string{Pending: "待发送", Sending: "发送中", Sent: "已发送", Failed: "发送失败"}[s]
}

// MessageStates lists every state, in the order the outbox page offers them.
var MessageStates = []MessageState{Pending, Sending, Sent, Failed}

// Notification is one message of the outbox: one event's note to one audience
// through one channel. Its ID derives from exactly that, so the same
// event never makes two messages to the same audience and channel.
// Addresses are looked up when it is sent (People, Robot), so that an
// administrator's correction reaches a retry, and no credential is kept.
type Notification struct {
	ID      string   `json:"id"`
	Event   string   `json:"event"` // EventKey of the event that caused it
	Kind    NoteKind `json:"kind"`
	To      string   `json:"to"`     // Audience.Target
	ToName  string   `json:"toName"` // as people read it: 区妇联, 区府办经办人, 张秀英
	Channel Channel  `json:"channel"`
	// People are the logins whose email addresses an email goes to.
	People []string `json:"people,omitempty"`
	// Robot is the department whose group robot posts it ("" the office's).
	Robot   string `json:"robot,omitempty"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	Link    string `json:"link,omitempty"`

	State MessageState `json:"state"`
	Tries int          `json:"tries,omitempty"`
	Next  time.Time    `json:"next,omitzero"` // Pending: when it is due; Sending: until when a sender holds it
	Error string       `json:"error,omitempty"`
	Sent  time.Time    `json:"sent,omitzero"`
}

// Batch is the outbox entry of one change: the messages its events
// caused, written in the same transaction as the change and kept as one
// record, whose version guards every change of their delivery state.
type Batch struct {
	ID       string         `json:"id"` // sorts by Created: see batchID
	Case     string         `json:"case"`
	Title    string         `json:"title"` // the case as people know it: the opinion's number
	Created  time.Time      `json:"created"`
	Messages []Notification `json:"messages"`
	V        int            `json:"v"` // set by the store
}

// Delivery's limits and pace.
const (
	// MaxBatch bounds the messages of one change. A dispatch tells every
	// department involved (MaxDepts) by at most two channels, so the
	// service's limits keep every change below it.
	MaxBatch = 300
	// MaxTries bounds the attempts at one message: with Backoff, ten
	// tries span about six hours before it is given up as failed.
	MaxTries = 10
	// KeepOutbox is how long the outbox keeps a batch once none of its
	// messages is still to be sent (see Outbox.PurgeBatches).
	KeepOutbox = 90 * 24 * time.Hour
)

// Backoff is how long a message waits after its tries-th failed try: a
// minute, doubling, at most two hours.
func Backoff(tries int) time.Duration {
	d := time.Minute
	for i := 1; i < tries && d < 2*time.Hour; i++ {
		d *= 2
	}
	return min(d, 2*time.Hour)
}

// batchID makes a batch's ID from its time and its first event: fixed
// width and starting with the time, so that IDs sort as batches were
// made.
func batchID(at time.Time, event string) string {
	return at.UTC().Format("20060102T150405.000000000Z") + "-" + Hash([]byte(event))[:12]
}

// Due is when the batch next has a message to try — the earliest Next of
// its messages pending or held by a sender — or zero when none is.
func (b *Batch) Due() time.Time {
	var due time.Time
	for _, m := range b.Messages {
		if (m.State == Pending || m.State == Sending) && (due.IsZero() || m.Next.Before(due)) {
			due = m.Next
		}
	}
	return due
}

// Has reports whether a message of the batch is in state st.
func (b *Batch) Has(st MessageState) bool {
	return slices.ContainsFunc(b.Messages, func(m Notification) bool { return m.State == st })
}

// Claim takes the messages due at now for a sender, which holds them
// until now+lease: it counts the try and returns their indexes. Saving
// the batch (Outbox.SaveBatch, conditioned on its version) decides which
// of two senders got them; a sender that dies holding them lets them fall
// due again when the lease ends.
func (b *Batch) Claim(now time.Time, lease time.Duration) []int {
	var out []int
	for i := range b.Messages {
		m := &b.Messages[i]
		if (m.State == Pending || m.State == Sending) && !m.Next.After(now) {
			m.State, m.Next = Sending, now.Add(lease)
			m.Tries++
			out = append(out, i)
		}
	}
	return out
}

// Done records how the try of message id (claimed) went at now: err nil
// is sent; otherwise it is tried again after Backoff, unless permanent
// says no retry can help or it has been tried MaxTries times — then it
// has failed.
func (b *Batch) Done(id string, now time.Time, err error, permanent bool) {
	i := slices.IndexFunc(b.Messages, func(m Notification) bool { return m.ID == id })
	if i < 0 || b.Messages[i].State != Sending {
		return // not held: a clerk's retry or another sender took over
	}
	m := &b.Messages[i]
	switch {
	case err == nil:
		m.State, m.Sent, m.Next, m.Error = Sent, now, time.Time{}, ""
	case permanent || m.Tries >= MaxTries:
		m.State, m.Next, m.Error = Failed, time.Time{}, err.Error()
	default:
		m.State, m.Next, m.Error = Pending, now.Add(Backoff(m.Tries)), err.Error()
	}
}

// Retry puts a failed message back to be sent at now, its tries counted
// afresh: a clerk's retry after the cause was put right.
func (b *Batch) Retry(id string, now time.Time) error {
	const op = "workflow.Retry"
	i := slices.IndexFunc(b.Messages, func(m Notification) bool { return m.ID == id })
	if i < 0 {
		return Errorf(op, NotFound, "没有这条通知")
	}
	m := &b.Messages[i]
	switch {
	case m.State != Failed:
		return Errorf(op, Invalid, "这条通知%s，只有发送失败的通知可以重试", m.State.Label())
	case m.Channel == "":
		return Errorf(op, Invalid, "%s没有可用的通知方式：请管理员先为相关人员填写邮箱或为部门设置群机器人；此后的通知会照常发送", m.ToName)
	}
	m.State, m.Tries, m.Next = Pending, 0, now
	return nil
}

// Outbox keeps the messages changes wrote (Change.Outbox) and their
// delivery state. Both stores implement it and pass
// workflowtest.TestOutbox.
type Outbox interface {
	// Batches lists batches newest first (by ID), at most q.Limit
	// (DefaultPage if 0, MaxPage at most); OutboxPage.Next continues.
	Batches(ctx context.Context, q OutboxQuery) (OutboxPage, error)
	// Batch returns one batch, or NotFound.
	Batch(ctx context.Context, id string) (*Batch, error)
	// DueBatches returns up to limit batches with a message due at or
	// before now (Batch.Due), the earliest first.
	DueBatches(ctx context.Context, now time.Time, limit int) ([]Batch, error)
	// SaveBatch writes b's delivery states if the stored batch is still
	// at version b.V, and sets b.V; Conflict otherwise, writing nothing.
	SaveBatch(ctx context.Context, b *Batch) error
	// PurgeBatches deletes up to limit batches created before t that
	// have no message left to send, and says how many it deleted.
	PurgeBatches(ctx context.Context, before time.Time, limit int) (int, error)
}

// OutboxQuery selects batches. Zero fields match everything.
type OutboxQuery struct {
	State  MessageState // only batches with a message in this state
	Limit  int
	Cursor string // OutboxPage.Next of the page before
}

// OutboxPage is one page of the outbox.
type OutboxPage struct {
	Batches []Batch `json:"batches"`
	Next    string  `json:"next,omitempty"`
}

// outbox makes the outbox entry of a change: the notes of its events,
// each routed to the people of its audience as they want to be told, as
// the directory has them now. Nil when nobody is to be told.
func (s *Service) outbox(ctx context.Context, c *Case, evs []Event, at time.Time) (*Batch, error) {
	notes := Notes(c, evs)
	if len(notes) == 0 {
		return nil, nil
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	members := map[string][]Account{}
	for _, n := range notes {
		t := n.To.Target()
		if _, ok := members[t]; ok {
			continue
		}
		who, err := s.audience(ctx, n.To, at)
		if err != nil {
			return nil, err
		}
		members[t] = who
	}
	b := &Batch{ID: batchID(at, notes[0].Event), Case: c.ID, Title: c.Opinion.Number, Created: at}
	seen := map[string]bool{}
	for _, n := range notes {
		for _, m := range Route(n, members[n.To.Target()], &o.Notify, at) {
			if seen[m.ID] {
				continue // one event, one audience, one channel: one message
			}
			seen[m.ID] = true
			b.Messages = append(b.Messages, m)
		}
	}
	if len(b.Messages) > MaxBatch {
		dropped := len(b.Messages) - MaxBatch + 1
		b.Messages = b.Messages[:MaxBatch-1]
		last := b.Messages[len(b.Messages)-1]
		b.Messages = append(b.Messages, Notification{ID: Hash([]byte(b.ID + "\x00over"))[:20], Event: last.Event, Kind: last.Kind,
			To: officeTarget, ToName: "其余收件人", Subject: last.Subject, Text: last.Text, State: Failed,
			Error: fmt.Sprintf("一次改动最多生成 %d 条通知，其余 %d 条未生成", MaxBatch, dropped)})
	}
	return b, nil
}

// audience returns the enabled accounts of an audience: a department's
// staff and heads, the office's clerks, or one person.
func (s *Service) audience(ctx context.Context, to Audience, now time.Time) ([]Account, error) {
	t := to.Target()
	if e, ok := s.audiences.Load(t); ok {
		if e := e.(audienceEntry); now.Sub(e.at) < audienceTTL && !now.Before(e.at) {
			return e.who, nil
		}
	}
	var who []Account
	switch {
	case to.User != "":
		a, err := s.Dir.Account(ctx, to.User)
		if err != nil && KindOf(err) != NotFound {
			return nil, err
		}
		if err == nil && !a.Disabled {
			who = []Account{*a}
		}
	case to.Office:
		m, err := s.Members(ctx, "", Clerk)
		if err != nil {
			return nil, err
		}
		who = m
	default:
		// One read of the department, whose staff and heads are told.
		m, err := s.Members(ctx, to.Dept, "")
		if err != nil {
			return nil, err
		}
		for _, a := range m {
			if a.Has(Staff) || a.Has(Head) {
				who = append(who, a)
			}
		}
	}
	s.audiences.Store(t, audienceEntry{who: who, at: now})
	return who, nil
}

// forgetAudiences drops the cached audiences: an account changed.
func (s *Service) forgetAudiences() { s.audiences.Clear() }

// Route turns a note into messages to the people of its audience (who,
// enabled accounts as the directory has them), each reached as they
// chose: those who want email in one email, those who want the group
// robot by one post of their group's robot. An audience nobody can be
// told gets one message that has failed at once, so that the clerk sees
// it on the outbox page; those who chose not to be told are left alone.
func Route(n Note, who []Account, ns *NotifySettings, at time.Time) []Notification {
	target := n.To.Target()
	name := n.To.Dept
	switch {
	case n.To.User != "":
		name = n.To.User
		if len(who) > 0 {
			name = who[0].Name
		}
	case n.To.Office:
		name = "区府办经办人"
	}
	robotOf := func(a *Account) (Robot, bool) {
		switch {
		case n.To.Office:
			return ns.Robot(RobotOffice)
		case n.To.User != "":
			if r, ok := ns.Robot(a.Dept); ok && a.Dept != "" {
				return r, true
			}
			return ns.Robot(RobotOffice)
		}
		return ns.Robot(n.To.Dept)
	}
	var mailTo []string
	robot, byRobot := "", false
	var missed []string
	for i := range who {
		a := &who[i]
		r, hasRobot := robotOf(a)
		switch {
		case a.Notify == ByNone:
		case a.Notify == ByRobot && hasRobot, a.Notify == "" && a.Email == "" && hasRobot:
			robot, byRobot = r.Dept, true
		case a.Email != "" && a.Notify != ByNone:
			mailTo = append(mailTo, a.User)
		default:
			missed = append(missed, a.Name)
		}
	}
	greeting := name + "：\n"
	if n.To.Office {
		greeting = ""
	}
	msg := func(ch Channel) Notification {
		return Notification{ID: Hash([]byte(n.Event + "\x00" + target + "\x00" + string(ch)))[:20], Event: n.Event, Kind: n.Kind,
			To: target, ToName: name, Channel: ch, Subject: n.Subject, Text: greeting + n.Text, Link: n.Link,
			State: Pending, Next: at}
	}
	var out []Notification
	if len(mailTo) > 0 {
		m := msg(ByEmail)
		m.People = mailTo
		out = append(out, m)
	}
	if byRobot {
		m := msg(ByRobot)
		m.Robot = robot
		out = append(out, m)
	}
	if len(out) == 0 && (len(missed) > 0 || len(who) == 0) {
		m := msg("")
		m.State, m.Next = Failed, time.Time{}
		if len(who) == 0 {
			m.Error = fmt.Sprintf("%s没有在用的账号，无人可通知", name)
		} else {
			m.Error = fmt.Sprintf("无法通知%s：%s没有填写邮箱，也没有可用的群机器人。请管理员在「管理 → 账号」填写邮箱，或在「管理 → 单位设置」为部门设置群机器人", name, strings.Join(missed, "、"))
		}
		out = append(out, m)
	}
	return out
}

// canSeeOutbox is who may read the outbox and retry its messages: the
// office's clerks, who chase what was not delivered, and administrators,
// who put the addresses right.
func canSeeOutbox(op string, id Identity) error {
	if !id.Has(Clerk) && !id.Has(Admin) {
		return Errorf(op, Forbidden, "只有区府办经办人或管理员可以查看通知记录")
	}
	return nil
}

// OutboxPage returns a page of the outbox, for the clerks and
// administrators.
func (s *Service) OutboxPage(ctx context.Context, id Identity, q OutboxQuery) (OutboxPage, error) {
	const op = "workflow.OutboxPage"
	if err := canSeeOutbox(op, id); err != nil {
		return OutboxPage{}, err
	}
	if s.Outbox == nil {
		return OutboxPage{}, Errorf(op, NotFound, "此部署没有通知记录")
	}
	switch {
	case q.Limit < 0 || q.Limit > MaxPage:
		return OutboxPage{}, Errorf(op, Invalid, "每页条数须为 1–%d", MaxPage)
	case q.State != "" && !slices.Contains(MessageStates, q.State):
		return OutboxPage{}, Errorf(op, Invalid, "没有通知状态「%s」", q.State)
	}
	return s.Outbox.Batches(ctx, q)
}

// RetryMessage puts a failed message of the outbox back to be sent now,
// for a clerk or administrator who put its cause right.
func (s *Service) RetryMessage(ctx context.Context, id Identity, batchID, msgID string) (*Batch, error) {
	const op = "workflow.RetryMessage"
	if err := canSeeOutbox(op, id); err != nil {
		return nil, err
	}
	if s.Outbox == nil {
		return nil, Errorf(op, NotFound, "此部署没有通知记录")
	}
	for try := 1; ; try++ {
		b, err := s.Outbox.Batch(ctx, batchID)
		if err != nil {
			return nil, err
		}
		if err := b.Retry(msgID, s.now()); err != nil {
			return nil, err
		}
		err = s.Outbox.SaveBatch(ctx, b)
		if KindOf(err) == Conflict && try < saveTries {
			continue // the sender saved the batch meanwhile: read it again
		}
		if err != nil {
			return nil, err
		}
		return b, nil
	}
}
