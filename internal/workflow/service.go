package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Service carries cases through the workflow. Each method checks who acts
// and whether the change is allowed now, applies it to a fresh copy of the
// case, records audit events and saves against the version it read. It does
// no I/O of its own: Store, Blobs and Renderer do.
type Service struct {
	Store   Store
	Blobs   Blobs
	Render  Renderer
	Dir     Directory
	Profile Profile
	Now     func() time.Time // nil: time.Now
}

// Limits on what users send; generous for the genre, small enough that one
// case stays well inside a DynamoDB item.
const (
	MaxBody    = 256 << 10 // one section or report body, bytes
	MaxHeading = 200       // characters
	MaxComment = 2000      // characters
	saveTries  = 8
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// recorder collects the audit events of one change.
type recorder struct {
	id  Identity
	at  time.Time
	evs []Event
}

func (r *recorder) add(action, target, detail, sum string) {
	r.evs = append(r.evs, Event{At: r.at, Actor: r.id.User, Name: r.id.label(), Action: action, Target: target, Detail: detail, Sum: sum})
}

// seal numbers and chains the events onto c and returns them.
func (r *recorder) seal(c *Case) []Event {
	out := make([]Event, len(r.evs))
	for i, e := range r.evs {
		c.Events++
		e.Case, e.Seq, e.Prev = c.ID, c.Events, c.LastEvent
		e.seal()
		c.LastEvent = e.Hash
		out[i] = e
	}
	return out
}

// update loads a case, applies fn and saves it. A store conflict means some
// other change landed in between; fn runs again on the fresh case, and its
// own checks (stage, turn, the revision the user saw) decide whether the
// change still stands.
func (s *Service) update(ctx context.Context, id Identity, caseID string, fn func(c *Case, r *recorder) error) (*Case, error) {
	for try := 1; ; try++ {
		c, err := s.Store.Case(ctx, caseID)
		if err != nil {
			return nil, err
		}
		prev := c.Version
		r := &recorder{id: id, at: s.now()}
		if err := fn(c, r); err != nil {
			return nil, err
		}
		c.Updated = r.at
		err = s.Store.SaveCase(ctx, c, prev, r.seal(c))
		if KindOf(err) == Conflict && try < saveTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

func needRole(op string, id Identity, r Role, what string) error {
	if !id.Has(r) {
		return Errorf(op, Forbidden, "只有%s可以%s", roleLabel[r], what)
	}
	return nil
}

var roleLabel = map[Role]string{Clerk: "区府办经办人", Staff: "承办部门经办人", Head: "承办部门负责人", Approver: "审核签发人", Admin: "管理员"}

func needStage(op string, c *Case, what string, stages ...Stage) error {
	if slices.Contains(stages, c.Stage) {
		return nil
	}
	var names []string
	for _, st := range stages {
		names = append(names, st.Label())
	}
	return Errorf(op, Invalid, "案件当前为「%s」，不能%s（须为「%s」）", c.Stage.Label(), what, strings.Join(names, "」或「"))
}

func checkRev(op, what string, got, want int) error {
	if got != want {
		return Errorf(op, Conflict, "%s已被他人修改（您看到的是第 %d 次修改，现在是第 %d 次），请刷新查看最新内容后再提交", what, got, want)
	}
	return nil
}

func checkText(op, field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(op, Invalid, "%s含有无效字符（须为 UTF-8 文本）", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(op, Invalid, "%s过长（%d 字，上限 %d 字）", field, n, max)
	}
	if strings.ContainsRune(s, 0) {
		return Errorf(op, Invalid, "%s含有无效字符", field)
	}
	return nil
}

// Intake opens a case for an opinion that has been read (see package
// opinion) from the file data. The case ID derives from the file's content,
// so the same upload delivered again finds the case already open: that gives
// an error of kind Conflict whose message names the case, and the existing
// case.
func (s *Service) Intake(ctx context.Context, id Identity, src Source, data []byte, o *Opinion) (*Case, error) {
	const op = "workflow.Intake"
	if err := needRole(op, id, Clerk, "登记来文"); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	hash, err := s.Blobs.Put(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("%s: store source: %w", op, err)
	}
	src.Hash, src.Size = hash, len(data)
	now := s.now()
	c := &Case{ID: "c" + hash[:12], Stage: Assigning, Opinion: *o, Source: src, Created: now, Updated: now}
	r := &recorder{id: id, at: now}
	r.add("intake", "", fmt.Sprintf("登记来文 %s《%s》，办理期限 %s", o.Number, o.Title, DateCN(o.Due)), hash)
	err = s.Store.CreateCase(ctx, c, r.seal(c))
	if KindOf(err) == Conflict {
		old, gerr := s.Store.Case(ctx, c.ID)
		if gerr != nil {
			return nil, gerr
		}
		return old, &Error{Op: op, Kind: Conflict, Msg: fmt.Sprintf("该来文已于 %s 登记为案件 %s，无需重复登记", DateCN(old.Created), old.ID), Err: err}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CorrectOpinion replaces what intake read, before assignment.
func (s *Service) CorrectOpinion(ctx context.Context, id Identity, caseID string, version int, o Opinion) (*Case, error) {
	const op = "workflow.CorrectOpinion"
	if err := needRole(op, id, Clerk, "更正来文信息"); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := needStage(op, c, "更正来文信息", Assigning); err != nil {
			return err
		}
		if err := checkRev(op, "来文信息", version, c.Version); err != nil {
			return err
		}
		c.Opinion = o
		r.add("correct-opinion", "", fmt.Sprintf("更正来文信息：%s《%s》，%d 条意见，办理期限 %s", o.Number, o.Title, len(o.Items), DateCN(o.Due)), "")
		return nil
	})
}

// Assignment gives one part of the report outline to departments.
type Assignment struct {
	Item  string    `json:"item"`            // opinion item answered; "" for a part of the clerk's own
	Level int       `json:"level,omitempty"` // 0: the item's level
	Lead  string    `json:"lead"`
	Co    []string  `json:"co,omitempty"`
	Due   time.Time `json:"due,omitempty"` // zero: Profile.LeadDays before the opinion's due date
}

// Assign sets the report outline and who drafts each part. It may be
// repeated until the case is dispatched.
func (s *Service) Assign(ctx context.Context, id Identity, caseID string, version int, plan []Assignment) (*Case, error) {
	const op = "workflow.Assign"
	if err := needRole(op, id, Clerk, "交办"); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := needStage(op, c, "交办", Assigning); err != nil {
			return err
		}
		if err := checkRev(op, "交办方案", version, c.Version); err != nil {
			return err
		}
		secs, err := s.outline(op, c, plan)
		if err != nil {
			return err
		}
		c.Sections = secs
		var leads []string
		for _, sec := range secs {
			if !slices.Contains(leads, sec.Lead) {
				leads = append(leads, sec.Lead)
			}
		}
		r.add("assign", "", fmt.Sprintf("交办方案：%d 个部分，主办部门 %s", len(secs), strings.Join(leads, "、")), "")
		return nil
	})
}

func (s *Service) outline(op string, c *Case, plan []Assignment) ([]Section, error) {
	if len(plan) == 0 {
		return nil, Errorf(op, Invalid, "交办方案为空")
	}
	def := c.Opinion.Due.AddDate(0, 0, -s.Profile.LeadDays)
	if def.Before(c.Opinion.Date) {
		def = c.Opinion.Due
	}
	seen := map[string]bool{}
	secs := make([]Section, len(plan))
	prevLevel := 0
	for i, a := range plan {
		where := fmt.Sprintf("第 %d 部分", i+1)
		level := a.Level
		if a.Item != "" {
			it, ok := c.Opinion.Item(a.Item)
			if !ok {
				return nil, Errorf(op, Invalid, "%s：来文中没有编号为 %q 的意见条目", where, a.Item)
			}
			if seen[a.Item] {
				return nil, Errorf(op, Invalid, "%s：意见条目 %s 被重复交办", where, it.Label)
			}
			seen[a.Item] = true
			if level == 0 {
				level = it.Level
			}
		}
		switch {
		case level < 1 || level > 4:
			return nil, Errorf(op, Invalid, "%s：层级须为 1–4", where)
		case level > prevLevel+1:
			return nil, Errorf(op, Invalid, "%s：层级 %d 不能紧跟在层级 %d 之后（不能跳级）", where, level, prevLevel)
		case !s.Profile.knows(a.Lead):
			return nil, Errorf(op, Invalid, "%s：主办部门 %q 不在部门名录中", where, a.Lead)
		}
		for _, d := range a.Co {
			if !s.Profile.knows(d) {
				return nil, Errorf(op, Invalid, "%s：协办部门 %q 不在部门名录中", where, d)
			}
			if d == a.Lead {
				return nil, Errorf(op, Invalid, "%s：%s 不能既主办又协办", where, d)
			}
		}
		due := a.Due
		if due.IsZero() {
			due = def
		}
		if due.After(c.Opinion.Due) {
			return nil, Errorf(op, Invalid, "%s：部门办理期限 %s 晚于来文办理期限 %s", where, DateCN(due), DateCN(c.Opinion.Due))
		}
		prevLevel = level
		secs[i] = Section{ID: fmt.Sprintf("s%d", i+1), Item: a.Item, Level: level, Lead: a.Lead,
			Co: slices.Clone(a.Co), Due: due, State: Open}
	}
	return secs, nil
}

// Dispatch sends the assignments out (交办): departments may start drafting.
func (s *Service) Dispatch(ctx context.Context, id Identity, caseID string) (*Case, error) {
	const op = "workflow.Dispatch"
	if err := needRole(op, id, Clerk, "交办"); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := needStage(op, c, "交办", Assigning); err != nil {
			return err
		}
		if len(c.Sections) == 0 {
			return Errorf(op, Invalid, "尚未制定交办方案")
		}
		c.Stage = Drafting
		r.add("dispatch", "", fmt.Sprintf("交办 %d 个部分", len(c.Sections)), "")
		return nil
	})
}

func (c *Case) section(op, secID string) (*Section, error) {
	for i := range c.Sections {
		if c.Sections[i].ID == secID {
			return &c.Sections[i], nil
		}
	}
	return nil, Errorf(op, NotFound, "案件 %s 没有部分 %s", c.ID, secID)
}

// SectionLabel names a section for people: its number in the outline and its lead.
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

func (s *Service) canWrite(op string, id Identity, sec *Section) error {
	if id.Dept != sec.Lead || !(id.Has(Staff) || id.Has(Head)) {
		return Errorf(op, Forbidden, "本部分由 %s 主办，只有该部门人员可以修改", sec.Lead)
	}
	return nil
}

// SaveSection saves a new version of a section's heading and body. rev is
// the section revision the writer started from.
func (s *Service) SaveSection(ctx context.Context, id Identity, caseID, secID string, rev int, heading, body, note string) (*Case, error) {
	const op = "workflow.SaveSection"
	heading = stripNumber(strings.TrimSpace(heading))
	for field, v := range map[string]string{"标题": heading, "修改说明": note} {
		if err := checkText(op, field, v, MaxHeading); err != nil {
			return nil, err
		}
	}
	if err := checkText(op, "正文", body, MaxBody); err != nil {
		return nil, err
	}
	switch {
	case heading == "":
		return nil, Errorf(op, Invalid, "标题不能为空")
	case strings.ContainsAny(heading, "\r\n"):
		return nil, Errorf(op, Invalid, "标题只能有一行")
	case len(body) > MaxBody:
		return nil, Errorf(op, Invalid, "正文过长（%d 字节，上限 %d 字节）", len(body), MaxBody)
	}
	hash, err := s.Blobs.Put(ctx, []byte(body))
	if err != nil {
		return nil, fmt.Errorf("%s: store body: %w", op, err)
	}
	sum := versionSum(heading, "", hash)
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if err := s.canWrite(op, id, sec); err != nil {
			return err
		}
		if err := needStage(op, c, "修改部门稿", Drafting); err != nil {
			return err
		}
		if sec.State != Open && sec.State != Returned {
			return Errorf(op, Invalid, "本部分%s，不能再修改；如需修改请联系区府办退回", sec.State.Label())
		}
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		if sec.Current().Sum == sum {
			return nil // nothing changed; no new version
		}
		v := Version{N: len(sec.Versions) + 1, Heading: heading, Hash: hash, Sum: sum, Author: id.User, Name: id.label(), At: r.at, Note: note}
		sec.Versions = append(sec.Versions, v)
		sec.Rev++
		r.add("save-section", secID, fmt.Sprintf("%s %s 保存第 %d 稿", c.SectionLabel(secID), heading, v.N), sum)
		return nil
	})
}

// AddInput records a co-handling department's contribution to a section.
func (s *Service) AddInput(ctx context.Context, id Identity, caseID, secID, text string) (*Case, error) {
	const op = "workflow.AddInput"
	if err := checkText(op, "协办意见", text, MaxBody); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, Errorf(op, Invalid, "协办意见不能为空")
	}
	hash, err := s.Blobs.Put(ctx, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: store input: %w", op, err)
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if !slices.Contains(sec.Co, id.Dept) || !(id.Has(Staff) || id.Has(Head)) {
			return Errorf(op, Forbidden, "只有本部分的协办部门可以提供协办意见")
		}
		if err := needStage(op, c, "提供协办意见", Drafting); err != nil {
			return err
		}
		if sec.State == Accepted {
			return Errorf(op, Invalid, "本部分已采用，不能再提供协办意见")
		}
		sec.Inputs = append(sec.Inputs, Input{Dept: id.Dept, Author: id.User, Name: id.label(), Hash: hash, At: r.at})
		sec.Rev++
		r.add("input", secID, fmt.Sprintf("%s 为 %s 提供协办意见", id.Dept, c.SectionLabel(secID)), hash)
		return nil
	})
}

// SubmitSection is the department head confirming the section and
// submitting it to the office (报送).
func (s *Service) SubmitSection(ctx context.Context, id Identity, caseID, secID string, rev int) (*Case, error) {
	const op = "workflow.SubmitSection"
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if id.Dept != sec.Lead || !id.Has(Head) {
			return Errorf(op, Forbidden, "只有主办部门 %s 的负责人可以确认报送", sec.Lead)
		}
		if err := needStage(op, c, "报送", Drafting); err != nil {
			return err
		}
		if sec.State != Open && sec.State != Returned {
			return Errorf(op, Invalid, "本部分%s，不能重复报送", sec.State.Label())
		}
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		if len(sec.Versions) == 0 {
			return Errorf(op, Invalid, "本部分还没有稿件，不能报送")
		}
		sec.State = Submitted
		sec.Rev++
		r.add("submit-section", secID, fmt.Sprintf("%s 负责人确认报送第 %d 稿", c.SectionLabel(secID), sec.Current().N), sec.Current().Sum)
		return nil
	})
}

// AcceptSection is the clerk taking a submitted section into the report.
func (s *Service) AcceptSection(ctx context.Context, id Identity, caseID, secID string, rev int) (*Case, error) {
	const op = "workflow.AcceptSection"
	if err := needRole(op, id, Clerk, "采用部门稿"); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if err := needStage(op, c, "采用部门稿", Drafting); err != nil {
			return err
		}
		if sec.State != Submitted {
			return Errorf(op, Invalid, "本部分%s，只有已报送的稿件可以采用", sec.State.Label())
		}
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		sec.State = Accepted
		sec.Rev++
		r.add("accept-section", secID, fmt.Sprintf("采用 %s 第 %d 稿", c.SectionLabel(secID), sec.Current().N), sec.Current().Sum)
		return nil
	})
}

// ReturnSection sends a section back to its department with a comment (退回).
func (s *Service) ReturnSection(ctx context.Context, id Identity, caseID, secID string, rev int, comment string) (*Case, error) {
	const op = "workflow.ReturnSection"
	if err := needRole(op, id, Clerk, "退回部门稿"); err != nil {
		return nil, err
	}
	if err := needComment(op, comment); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if err := needStage(op, c, "退回部门稿", Drafting); err != nil {
			return err
		}
		if sec.State != Submitted && sec.State != Accepted {
			return Errorf(op, Invalid, "本部分%s，只有已报送或已采用的稿件可以退回", sec.State.Label())
		}
		if err := checkRev(op, "本部分", rev, sec.Rev); err != nil {
			return err
		}
		sec.State = Returned
		sec.Rev++
		sec.Comments = append(sec.Comments, Comment{Author: id.User, Name: id.label(), Text: comment, At: r.at})
		r.add("return-section", secID, fmt.Sprintf("退回 %s：%s", c.SectionLabel(secID), comment), sec.Current().Sum)
		return nil
	})
}

// DefaultReminder is the text of a reminder (催办) the clerk sends without
// writing one.
const DefaultReminder = "请抓紧办理，按期报送。"

// Remind records a reminder (催办) to the lead department of a section not
// yet submitted. It changes no text, so it does not move the section's
// revision: a department editing while reminded loses nothing.
func (s *Service) Remind(ctx context.Context, id Identity, caseID, secID, text string) (*Case, error) {
	const op = "workflow.Remind"
	if err := needRole(op, id, Clerk, "催办"); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		text = DefaultReminder
	}
	if err := checkText(op, "催办内容", text, MaxComment); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		sec, err := c.section(op, secID)
		if err != nil {
			return err
		}
		if err := needStage(op, c, "催办", Drafting); err != nil {
			return err
		}
		if sec.State != Open && sec.State != Returned {
			return Errorf(op, Invalid, "本部分%s，无需催办", sec.State.Label())
		}
		sec.Reminders = append(sec.Reminders, Comment{Author: id.User, Name: id.label(), Text: text, At: r.at})
		late := ""
		if d := daysBetween(r.at, sec.Due); d < 0 {
			late = fmt.Sprintf("（已逾期 %d 天）", -d)
		}
		r.add("remind", secID, fmt.Sprintf("催办 %s %s%s：%s", c.SectionLabel(secID), sec.Lead, late, text), "")
		return nil
	})
}

// daysBetween counts calendar days from a to b in Zone: negative when b is
// before a.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.In(Zone).Date()
	by, bm, bd := b.In(Zone).Date()
	return int(Day(by, bm, bd).Sub(Day(ay, am, ad)).Hours() / 24)
}

func needComment(op, comment string) error {
	if strings.TrimSpace(comment) == "" {
		return Errorf(op, Invalid, "退回时须填写意见")
	}
	return checkText(op, "意见", comment, MaxComment)
}

// Compile assembles the report from the accepted sections (汇总) as a new
// report version.
func (s *Service) Compile(ctx context.Context, id Identity, caseID string) (*Case, error) {
	const op = "workflow.Compile"
	if err := needRole(op, id, Clerk, "汇总"); err != nil {
		return nil, err
	}
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := needStage(op, c, "汇总", Drafting, Compiling); err != nil {
		return nil, err
	}
	var missing []string
	for _, sec := range c.Sections {
		if sec.State != Accepted {
			missing = append(missing, fmt.Sprintf("%s（%s，%s）", c.SectionLabel(sec.ID), sec.Lead, sec.State.Label()))
		}
	}
	if len(missing) > 0 {
		return nil, Errorf(op, Invalid, "以下部分尚未采用，不能汇总：%s", strings.Join(missing, "；"))
	}
	bodies := make([]string, len(c.Sections))
	for i, sec := range c.Sections {
		b, err := s.Blobs.Get(ctx, sec.Current().Hash)
		if err != nil {
			return nil, fmt.Errorf("%s: read section %s: %w", op, sec.ID, err)
		}
		bodies[i] = string(b)
	}
	body, err := compile(&s.Profile, &c.Opinion, c.Sections, bodies)
	if err != nil {
		return nil, &Error{Op: op, Kind: Other, Err: err}
	}
	hash, err := s.Blobs.Put(ctx, []byte(body))
	if err != nil {
		return nil, fmt.Errorf("%s: store report: %w", op, err)
	}
	title := ReportTitle(s.Profile.Org, &c.Opinion)
	addressee := c.Opinion.ReplyTo
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := needStage(op, c, "汇总", Drafting, Compiling); err != nil {
			return err
		}
		for _, sec := range c.Sections {
			if sec.State != Accepted {
				return Errorf(op, Conflict, "汇总期间部门稿有变动，请重新汇总")
			}
		}
		if c.Report == nil {
			c.Report = &Report{}
		}
		addVersion(c.Report, id, r.at, title, addressee, hash, "汇总生成")
		c.Stage = Compiling
		r.add("compile", "report", fmt.Sprintf("汇总 %d 个部分，生成报告第 %d 稿", len(c.Sections), c.Report.Current().N), c.Report.Current().Sum)
		return nil
	})
}

func addVersion(rep *Report, id Identity, at time.Time, title, addressee, hash, note string) {
	rep.Versions = append(rep.Versions, Version{N: len(rep.Versions) + 1, Heading: title, Addressee: addressee,
		Hash: hash, Sum: versionSum(title, addressee, hash), Author: id.User, Name: id.label(), At: at, Note: note})
	rep.Rev++
}

// SaveReport saves the clerk's edit of the whole report as a new version.
// Approvals given to earlier versions no longer count: the chain starts over.
func (s *Service) SaveReport(ctx context.Context, id Identity, caseID string, rev int, title, addressee, body, note string) (*Case, error) {
	const op = "workflow.SaveReport"
	if err := needRole(op, id, Clerk, "修改报告"); err != nil {
		return nil, err
	}
	title, addressee = strings.TrimSpace(title), strings.TrimSpace(addressee)
	for field, v := range map[string]string{"标题": title, "主送机关": addressee, "修改说明": note} {
		if err := checkText(op, field, v, MaxHeading); err != nil {
			return nil, err
		}
	}
	if err := checkText(op, "正文", body, MaxBody); err != nil {
		return nil, err
	}
	if title == "" || addressee == "" || strings.TrimSpace(body) == "" {
		return nil, Errorf(op, Invalid, "标题、主送机关和正文都不能为空")
	}
	if len(body) > MaxBody {
		return nil, Errorf(op, Invalid, "正文过长（%d 字节，上限 %d 字节）", len(body), MaxBody)
	}
	hash, err := s.Blobs.Put(ctx, []byte(body))
	if err != nil {
		return nil, fmt.Errorf("%s: store report: %w", op, err)
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := needStage(op, c, "修改报告", Compiling, Signing, Approved); err != nil {
			return err
		}
		if err := checkRev(op, "报告", rev, c.Report.Rev); err != nil {
			return err
		}
		old := c.Report.Current().Sum
		if versionSum(title, addressee, hash) == old {
			return nil
		}
		voided := c.validApprovals(old)
		addVersion(c.Report, id, r.at, title, addressee, hash, note)
		detail := fmt.Sprintf("修改报告，保存第 %d 稿", c.Report.Current().N)
		if voided > 0 {
			detail += fmt.Sprintf("；此前 %d 个签批意见针对旧稿，已失效，须重新签批", voided)
		}
		if c.Stage == Approved {
			c.Stage = Signing
		}
		r.add("save-report", "report", detail, c.Report.Current().Sum)
		return nil
	})
}

func (c *Case) validApprovals(sum string) int {
	n := 0
	for _, st := range c.Chain {
		for _, a := range st.Approvals {
			if a.Sum == sum {
				n++
			}
		}
	}
	return n
}

// DefaultChain is the profile's sign-off chain for a case, with the
// countersign step signed by the heads of the case's lead departments.
func (s *Service) DefaultChain(c *Case) []Step {
	var chain []Step
	for _, p := range s.Profile.Chain {
		st := Step{Name: p.Name, Signers: slices.Clone(p.Signers)}
		if p.Countersign {
			for _, sec := range c.Sections {
				for _, h := range s.Dir.Members(sec.Lead, Head) {
					if !slices.Contains(st.Signers, h.User) {
						st.Signers = append(st.Signers, h.User)
					}
				}
			}
		}
		if len(st.Signers) > 0 {
			chain = append(chain, st)
		}
	}
	return chain
}

// StartSignoff starts the sign-off chain on the current report version.
// A nil chain takes DefaultChain.
func (s *Service) StartSignoff(ctx context.Context, id Identity, caseID string, chain []Step) (*Case, error) {
	const op = "workflow.StartSignoff"
	if err := needRole(op, id, Clerk, "发起审核签发"); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := needStage(op, c, "发起审核签发", Compiling); err != nil {
			return err
		}
		steps := chain
		if steps == nil {
			steps = s.DefaultChain(c)
		}
		if len(steps) == 0 {
			return Errorf(op, Invalid, "签批流程为空")
		}
		var names []string
		c.Chain = make([]Step, len(steps))
		for i, st := range steps {
			if strings.TrimSpace(st.Name) == "" || len(st.Signers) == 0 {
				return Errorf(op, Invalid, "第 %d 个签批环节缺少名称或签批人", i+1)
			}
			for _, u := range st.Signers {
				who, ok := s.Dir.Lookup(u)
				if !ok || !who.Has(Approver) {
					return Errorf(op, Invalid, "环节「%s」的签批人 %q 不是登记的审核签发人", st.Name, u)
				}
			}
			c.Chain[i] = Step{Name: st.Name, Signers: slices.Clone(st.Signers)}
			names = append(names, st.Name)
		}
		c.Stage = Signing
		r.add("start-signoff", "report", fmt.Sprintf("发起审核签发：%s", strings.Join(names, " → ")), c.Report.Current().Sum)
		return nil
	})
}

// CurrentStep returns the index of the first step not yet complete for the
// current draft, or len(c.Chain) when all are.
func (c *Case) CurrentStep() int {
	if c.Report == nil {
		return 0
	}
	sum := c.Report.Current().Sum
	for i := range c.Chain {
		if len(c.Chain[i].Pending(sum)) > 0 {
			return i
		}
	}
	return len(c.Chain)
}

// turn checks that id may act on the current step for draft sum.
func (c *Case) turn(op string, id Identity, sum string) (*Step, error) {
	if err := needStage(op, c, "签批", Signing); err != nil {
		return nil, err
	}
	cur := c.CurrentStep()
	st := &c.Chain[cur]
	if !slices.Contains(st.Signers, id.User) {
		for i := cur + 1; i < len(c.Chain); i++ {
			if slices.Contains(c.Chain[i].Signers, id.User) {
				return nil, Errorf(op, Forbidden, "尚未轮到您签批：当前环节为「%s」，待 %s 签批；您在「%s」环节",
					st.Name, strings.Join(st.Pending(c.Report.Current().Sum), "、"), c.Chain[i].Name)
			}
		}
		return nil, Errorf(op, Forbidden, "您不在当前环节「%s」的签批人之列", st.Name)
	}
	current := c.Report.Current().Sum
	if sum != current {
		return nil, Errorf(op, Conflict, "报告已修改为第 %d 稿，您看到的不是最新稿，请查看最新稿后再签批", c.Report.Current().N)
	}
	if st.approved(id.User, sum) {
		return nil, Errorf(op, Conflict, "您已在「%s」环节签批过此稿", st.Name)
	}
	return st, nil
}

// Approve records id's approval of the draft sum on the current step.
// sum is the draft the approver saw; a draft changed since gives Conflict.
func (s *Service) Approve(ctx context.Context, id Identity, caseID, sum, opinion string) (*Case, error) {
	const op = "workflow.Approve"
	if err := checkText(op, "意见", opinion, MaxComment); err != nil {
		return nil, err
	}
	if strings.TrimSpace(opinion) == "" {
		opinion = "同意"
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		st, err := c.turn(op, id, sum)
		if err != nil {
			return err
		}
		st.Approvals = append(st.Approvals, Approval{User: id.User, Name: id.label(), Title: id.Title, Sum: sum, Opinion: opinion, At: r.at})
		detail := fmt.Sprintf("「%s」环节签批：%s", st.Name, opinion)
		if c.CurrentStep() == len(c.Chain) {
			c.Stage = Approved
			detail += "；签批完成，待发布"
		}
		r.add("approve", "report", detail, sum)
		return nil
	})
}

// ReturnReport is an approver sending the draft back to the clerk with a
// comment; the chain must be started again.
func (s *Service) ReturnReport(ctx context.Context, id Identity, caseID, sum, comment string) (*Case, error) {
	const op = "workflow.ReturnReport"
	if err := needComment(op, comment); err != nil {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		st, err := c.turn(op, id, sum)
		if err != nil {
			return err
		}
		c.Returns = append(c.Returns, Comment{Author: id.User, Name: id.label(), Step: st.Name, Text: comment, At: r.at})
		c.Stage = Compiling
		r.add("return-report", "report", fmt.Sprintf("「%s」环节退回：%s", st.Name, comment), sum)
		return nil
	})
}

// SetSeries sets the next number of a series and year, for an office that
// numbered documents before docflow. It refuses to go backwards.
func (s *Service) SetSeries(ctx context.Context, id Identity, series string, year, next int) error {
	const op = "workflow.SetSeries"
	if !id.Has(Admin) && !id.Has(Clerk) {
		return Errorf(op, Forbidden, "只有区府办或管理员可以设置文号起始值")
	}
	if next < 1 || year < 1900 || year > 9999 || strings.TrimSpace(series) == "" {
		return Errorf(op, Invalid, "文号代字、年份或起始号无效")
	}
	cur, err := s.Store.Counter(ctx, series, year)
	if err != nil {
		return err
	}
	if next-1 < cur {
		return Errorf(op, Conflict, "%s〔%d〕已用到 %d 号，起始号不能改为 %d（文号不能重复使用）", series, year, cur, next)
	}
	if next-1 == cur {
		return nil
	}
	return s.Store.SetCounter(ctx, series, year, cur, next-1)
}

// Publish numbers, dates, renders and stores the final notice. The number
// is allocated only here, with the case save, so it is never taken twice:
// a retried publication (after a failure while rendering or storing) finds
// the number already on the case and finishes the job with it. date is the
// 成文日期; zero means today.
func (s *Service) Publish(ctx context.Context, id Identity, caseID string, date time.Time) (*Case, error) {
	const op = "workflow.Publish"
	if err := needRole(op, id, Clerk, "发布"); err != nil {
		return nil, err
	}
	if date.IsZero() {
		date = s.now()
	}
	y, m, d := date.In(Zone).Date()
	date = Day(y, m, d)
	c, err := s.number(ctx, op, id, caseID, date)
	if err != nil || !c.Publication.At.IsZero() {
		return c, err
	}
	n, err := s.Notice(ctx, c)
	if err != nil {
		return nil, err
	}
	out, err := s.Render.Render(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("%s: render %s: %w", op, n.Number, err)
	}
	var files []File
	for _, f := range out {
		key := fmt.Sprintf("published/%s/%s", c.ID, f.Name)
		if err := s.Blobs.PutFile(ctx, key, f.Data, f.ContentType); err != nil {
			return nil, fmt.Errorf("%s: store %s: %w", op, key, err)
		}
		files = append(files, File{Name: f.Name, Key: key, ContentType: f.ContentType, Hash: Hash(f.Data), Size: len(f.Data)})
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if c.Publication == nil || c.Publication.Seq == 0 {
			return Errorf(op, Conflict, "发布状态已变化，请刷新")
		}
		if !c.Publication.At.IsZero() {
			return nil
		}
		c.Publication.Files, c.Publication.At = files, r.at
		c.Stage = Published
		r.add("publish", "report", fmt.Sprintf("发布 %s，共 %d 个文件", c.Publication.Number(), len(files)), c.Publication.Sum)
		return nil
	})
}

// number allocates the document number unless the case has one.
func (s *Service) number(ctx context.Context, op string, id Identity, caseID string, date time.Time) (*Case, error) {
	for try := 1; ; try++ {
		c, err := s.Store.Case(ctx, caseID)
		if err != nil {
			return nil, err
		}
		if c.Publication != nil && c.Publication.Seq > 0 {
			return c, nil
		}
		if err := needStage(op, c, "发布", Approved); err != nil {
			return nil, err
		}
		prev := c.Version
		now := s.now()
		c.Publication = &Publication{Series: s.Profile.Series, Year: date.Year(), Date: date, Sum: c.Report.Current().Sum, By: id.User}
		events, saved := c.Events, c.LastEvent
		err = s.Store.AllocateNumber(ctx, c, prev, func(seq int) []Event {
			c.Publication.Seq = seq
			c.Events, c.LastEvent, c.Updated = events, saved, now
			r := &recorder{id: id, at: now}
			r.add("number", "report", fmt.Sprintf("编发文号 %s，成文日期 %s", c.Publication.Number(), DateCN(date)), c.Publication.Sum)
			return r.seal(c)
		})
		if KindOf(err) == Conflict && try < saveTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Notice resolves what the final document prints for a case.
func (s *Service) Notice(ctx context.Context, c *Case) (*Notice, error) {
	if c.Report == nil {
		return nil, Errorf("workflow.Notice", Invalid, "案件 %s 尚未汇总报告", c.ID)
	}
	v := c.Report.Current()
	body, err := s.Blobs.Get(ctx, v.Hash)
	if err != nil {
		return nil, fmt.Errorf("workflow.Notice: read report %s: %w", v.Hash, err)
	}
	n := &Notice{Mark: s.Profile.Mark, Title: v.Heading, Addressee: v.Addressee, Body: string(body),
		Signer: s.Profile.Org, CC: s.Profile.CC, Office: s.Profile.Office}
	if p := c.Publication; p != nil {
		n.Number, n.Date, n.Printed = p.Number(), p.Date, p.Date
	}
	return n, nil
}
