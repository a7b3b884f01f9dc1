package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Compile assembles the report from the accepted sections (汇总) as a new
// report version.
func (s *Service) Compile(ctx context.Context, id Identity, caseID string) (*Case, error) {
	const op = "workflow.Compile"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := s.compilable(op, id, c); err != nil {
		return nil, err
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	bodies := make([]string, len(c.Sections))
	for i, sec := range c.Sections {
		b, err := s.Blobs.Get(ctx, sec.Current.Hash)
		if err != nil {
			return nil, fmt.Errorf("%s: read section %s: %w", op, sec.ID, err)
		}
		bodies[i] = string(b)
	}
	body, err := compile(&o.Profile, &c.Opinion, c.Frame, c.Sections, bodies)
	if err != nil {
		return nil, &Error{Op: op, Kind: Other, Err: err}
	}
	title := ReportTitle(o.Profile.Org, &c.Opinion)
	addressee := c.Opinion.ReplyTo
	if c.Opinion.Kind != "" {
		k, _, err := o.Profile.answering(c)
		if err != nil {
			return nil, err
		}
		body = compileAnswer(k, &c.Opinion, c.Frame, c.Sections, bodies)
		title, addressee = answerText(k.Heading, DefaultAnswerHeading, &c.Opinion), c.Opinion.Proposer+k.Proposer
	}
	hash, err := s.Blobs.Put(ctx, []byte(body))
	if err != nil {
		return nil, fmt.Errorf("%s: store report: %w", op, err)
	}
	read, frame := c.Sections, c.Frame
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := s.compilable(op, id, c); err != nil {
			return err
		}
		for i, sec := range c.Sections {
			if sec.Current.Sum != read[i].Current.Sum {
				return Errorf(op, Conflict, "汇总期间部门稿有变动，请重新汇总")
			}
		}
		if c.Frame != frame {
			return Errorf(op, Conflict, "汇总期间报告的开头或结尾有变动，请重新汇总")
		}
		if c.Report == nil {
			c.Report = &Report{}
		}
		v := s.reportVersion(c, r, title, addressee, hash, "汇总生成")
		c.Stage = Compiling
		e := r.add("", ActCompile, fmt.Sprintf("汇总 %d 个部分，生成报告第 %d 稿", len(c.Sections), v.N), v.Sum)
		v.Seq, e.Version = e.Seq, v
		c.Report.Current = *v
		return nil
	})
}

func (s *Service) compilable(op string, id Identity, c *Case) error {
	if err := Allowed(id, c, ActCompile, nil); err != nil {
		return err
	}
	var missing []string
	for _, sec := range c.Sections {
		if sec.State != Accepted {
			missing = append(missing, fmt.Sprintf("%s（%s，%s）", c.SectionLabel(sec.ID), sec.Lead, sec.State.Label()))
		}
	}
	if len(missing) > 0 {
		return Errorf(op, Invalid, "以下部分尚未采用，不能汇总：%s", strings.Join(missing, "；"))
	}
	return nil
}

// reportVersion returns the next version of c's report; the caller records
// it and makes it current.
func (s *Service) reportVersion(c *Case, r *recorder, title, addressee, hash, note string) *Version {
	c.Report.Rev++
	return &Version{N: c.Report.Current.N + 1, Heading: title, Addressee: addressee,
		Hash: hash, Sum: versionSum(title, addressee, hash), Author: r.id.User, Name: r.id.label(), At: r.at, Note: note}
}

// SaveReport saves the clerk's edit of the whole report as a new version.
// Approvals given to earlier versions no longer count: the chain starts over.
func (s *Service) SaveReport(ctx context.Context, id Identity, caseID string, rev int, title, addressee, body, note string) (*Case, error) {
	const op = "workflow.SaveReport"
	title, addressee = strings.TrimSpace(title), strings.TrimSpace(addressee)
	for field, v := range map[string]string{"标题": title, "主送机关": addressee, "修改说明": note} {
		if err := checkLine(op, field, v); err != nil {
			return nil, err
		}
	}
	if err := checkBody(op, "正文", body); err != nil {
		return nil, err
	}
	if title == "" || addressee == "" || strings.TrimSpace(body) == "" {
		return nil, Errorf(op, Invalid, "标题、主送机关和正文都不能为空")
	}
	hash, err := s.Blobs.Put(ctx, []byte(body))
	if err != nil {
		return nil, fmt.Errorf("%s: store report: %w", op, err)
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActEditReport, nil); err != nil {
			return err
		}
		if err := checkRev(op, "报告", rev, c.Report.Rev); err != nil {
			return err
		}
		old := c.Report.Current.Sum
		if versionSum(title, addressee, hash) == old {
			return nil
		}
		voided := c.validApprovals(old)
		v := s.reportVersion(c, r, title, addressee, hash, note)
		detail := fmt.Sprintf("修改报告，保存第 %d 稿", v.N)
		if voided > 0 {
			detail += fmt.Sprintf("；此前 %d 个签批意见针对旧稿，已失效，须重新签批", voided)
		}
		detail += c.Consult.since() // 征求意见: what the change follows (consult.go)
		if c.Stage == Approved {
			c.Stage = Signing
		}
		if c.Stage == Signing {
			c.Turn = r.at // the chain starts over on this draft
		}
		e := r.add("", ActEditReport, detail, v.Sum)
		v.Seq, e.Version = e.Seq, v
		c.Report.Current = *v
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

// DefaultChain is the sign-off chain for a case — its kind's, or the
// office's (Office.signoffPlan) — with the countersign step signed by the
// heads of the case's lead departments.
func (s *Service) DefaultChain(ctx context.Context, c *Case) ([]Step, error) {
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	author := ""
	if c.Report != nil {
		author = c.Report.Current.Author
	}
	plan, _ := o.signoffPlan(c.Opinion.Kind)
	var chain []Step
	for _, p := range plan {
		st := Step{Name: p.Name, Signers: slices.Clone(p.Signers)}
		if p.Countersign {
			for _, sec := range c.Sections {
				heads, err := s.Members(ctx, sec.Lead, Head)
				if err != nil {
					return nil, err
				}
				for _, h := range heads {
					if !slices.Contains(st.Signers, h.User) && h.User != author {
						st.Signers = append(st.Signers, h.User)
					}
				}
			}
		}
		if len(st.Signers) > 0 {
			chain = append(chain, st)
		}
	}
	return chain, nil
}

// StartSignoff starts the sign-off chain on the current report version.
// A nil chain takes DefaultChain. Whatever the clerk chooses, the office's
// policy holds (separation of duties): every required step is there, in
// order, signed only by holders of it; nobody signs two steps of a chain
// or a draft they wrote; every signer is an enabled approver. A signer
// who signs the same step again keeps their last approval on record (it
// counts only for the draft it was given to), so approvers see what
// changed since they signed.
func (s *Service) StartSignoff(ctx context.Context, id Identity, caseID string, chain []Step) (*Case, error) {
	const op = "workflow.StartSignoff"
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	// Who the signers are is read before the change: accounts are not part
	// of the case, and a chain is checked against them as they are now.
	accounts := map[string]*Account{}
	lookup := func(u string) (*Account, error) {
		if a, ok := accounts[u]; ok {
			return a, nil
		}
		a, err := s.Dir.Account(ctx, u)
		if KindOf(err) == NotFound {
			a, err = nil, nil
		}
		accounts[u] = a
		return a, err
	}
	var steps []Step
	if chain != nil {
		steps = chain
	} else {
		c, err := s.Store.Case(ctx, caseID)
		if err != nil {
			return nil, err
		}
		if err := Allowed(id, c, ActStartSignoff, nil); err != nil {
			return nil, err
		}
		if steps, err = s.DefaultChain(ctx, c); err != nil {
			return nil, err
		}
	}
	for _, st := range steps {
		for _, u := range st.Signers {
			if _, err := lookup(u); err != nil {
				return nil, err
			}
		}
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActStartSignoff, nil); err != nil {
			return err
		}
		switch {
		case len(steps) == 0:
			return Errorf(op, Invalid, "签批流程为空")
		case len(steps) > MaxSteps:
			return Errorf(op, Invalid, "签批流程有 %d 个环节，上限 %d 个", len(steps), MaxSteps)
		}
		_, requiredSteps := o.signoffPlan(c.Opinion.Kind)
		var names []string
		next := make([]Step, len(steps))
		signed := map[string]string{} // signer → step
		for i, st := range steps {
			if strings.TrimSpace(st.Name) == "" || len(st.Signers) == 0 {
				return Errorf(op, Invalid, "第 %d 个签批环节缺少名称或签批人", i+1)
			}
			if err := checkLine(op, "环节名称", st.Name); err != nil {
				return err
			}
			if len(st.Signers) > MaxSigners {
				return Errorf(op, Invalid, "环节「%s」有 %d 个签批人，上限 %d 个", st.Name, len(st.Signers), MaxSigners)
			}
			required := slices.Contains(requiredSteps, st.Name)
			next[i] = Step{Name: st.Name}
			for _, u := range st.Signers {
				a := accounts[u]
				switch {
				case a == nil || !a.Has(Approver):
					return Errorf(op, Invalid, "环节「%s」的签批人 %q 不是登记的审核签发人", st.Name, u)
				case a.Disabled:
					return Errorf(op, Invalid, "环节「%s」的签批人 %s（%s）的账号已停用", st.Name, a.Name, u)
				case required && !slices.Contains(a.Steps, st.Name):
					return Errorf(op, Invalid, "「%s」是必经环节，%s（%s）没有「%s」的签批权限", st.Name, a.Name, u, st.Name)
				case signed[u] != "":
					return Errorf(op, Invalid, "%s（%s）不能既在「%s」又在「%s」环节签批", a.Name, u, signed[u], st.Name)
				case u == c.Report.Current.Author:
					return Errorf(op, Invalid, "%s（%s）是本稿的起草人，不能签批", a.Name, u)
				}
				signed[u] = st.Name
				next[i].Signers = append(next[i].Signers, u)
				for _, old := range c.Chain {
					if a, ok := old.Last(u); ok && old.Name == st.Name {
						next[i].Approvals = append(next[i].Approvals, a)
					}
				}
			}
			names = append(names, st.Name)
		}
		// The required steps, each once and in the policy's order.
		var got []string
		for _, n := range names {
			if slices.Contains(requiredSteps, n) {
				got = append(got, n)
			}
		}
		if !slices.Equal(got, requiredSteps) {
			return Errorf(op, Invalid, "签批流程须依次包含必经环节「%s」（现为「%s」）", strings.Join(requiredSteps, "」「"), strings.Join(got, "」「"))
		}
		c.Chain = next
		c.Stage = Signing
		c.Turn = r.at
		if c.CurrentStep() == len(c.Chain) {
			c.Stage = Approved
		}
		r.add("", ActStartSignoff, fmt.Sprintf("发起审核签发：%s", strings.Join(names, " → ")), c.Report.Current.Sum)
		return nil
	})
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
	// The edge refuses a disabled account's sign-in; the turn is refused
	// here too, so a session made before the account was disabled cannot
	// sign.
	disabled := false
	if a, err := s.Dir.Account(ctx, id.User); err == nil {
		disabled = a.Disabled
	} else if KindOf(err) != NotFound {
		return nil, err
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActApprove, nil); err != nil {
			return err
		}
		if err := c.checkSum(op, sum); err != nil {
			return err
		}
		if id.User == c.Report.Current.Author {
			return Errorf(op, Forbidden, "您是本稿的起草人，不能签批")
		}
		if disabled {
			return Errorf(op, Forbidden, "您的账号已停用，不能签批")
		}
		cur := c.CurrentStep()
		st := &c.Chain[cur]
		a := Approval{User: id.User, Name: id.label(), Title: id.Title, Sum: sum, N: c.Report.Current.N, Seq: c.Report.Current.Seq, Opinion: opinion, At: r.at}
		st.record(a)
		detail := fmt.Sprintf("「%s」环节签批：%s", st.Name, opinion)
		if c.CurrentStep() > cur {
			c.Turn = r.at // the next step begins to wait
		}
		if c.CurrentStep() == len(c.Chain) {
			c.Stage = Approved
			detail += "；签批完成，待发布"
		}
		r.add("", ActApprove, detail, sum).Approval = &a
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
		if err := Allowed(id, c, ActReturnReport, nil); err != nil {
			return err
		}
		if err := c.checkSum(op, sum); err != nil {
			return err
		}
		st := &c.Chain[c.CurrentStep()]
		cm := Comment{Author: id.User, Name: id.label(), Step: st.Name, Text: comment, At: r.at}
		c.Returned = &cm
		c.Stage = Compiling
		r.add("", ActReturnReport, fmt.Sprintf("「%s」环节退回：%s", st.Name, comment), sum).Comment = &cm
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
	o, err := s.office(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(o.Series, series) && !slices.Contains(o.Profile.letterSeries(), series) {
		return Errorf(op, Invalid, "没有文号代字「%s」（本单位使用：%s；各部门答复函另按“部门代字+类别后缀”编号）；新的代字请管理员先在单位设置中添加", series, strings.Join(o.Series, "、"))
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
	if err := s.Store.SetCounter(ctx, series, year, cur, next-1); err != nil {
		return err
	}
	// The counter and the office's stream are separate items, so the event
	// follows the change it records; a failure here reports that the number
	// was set but not recorded.
	if err := s.recordOffice(ctx, id, "set-series", fmt.Sprintf("设置文号：%s〔%d〕下一个号为 %d 号（原为 %d 号）", series, year, next, cur+1)); err != nil {
		return fmt.Errorf("%s: 起始号已改为 %d，但未能记入审计记录: %w", op, next, err)
	}
	return nil
}

// Publishing is what the office decides when it publishes (GB/T 9704
// 7.3.5, 7.3.6, 7.4.3; 公开属性 per the 政府信息公开条例). Zero fields take
// the defaults.
type Publishing struct {
	Date     time.Time // 成文日期; zero: today
	Printed  time.Time // 印发日期, not before Date; zero: Date
	Openness Openness  // 公开属性; "": the office's default (Profile.Openness, else 主动公开)
	// Note is the 附注, with or without its （）; nil: the office's for the
	// 公开属性 (Profile.Notes); "" prints none.
	Note *string
	// Late is why the notice is dated after the opinion's deadline:
	// required then (the clerk confirms publishing late), ignored
	// otherwise. At most MaxLateReason characters.
	Late string
}

// MaxLateReason bounds the reason for publishing after the opinion's
// deadline, in characters.
const MaxLateReason = 500

// DaysLate is how many days a notice dated date comes after the
// opinion's deadline (0 if it does not, or the opinion has none).
func DaysLate(c *Case, date time.Time) int {
	if c.Opinion.Due.IsZero() || date.IsZero() {
		return 0
	}
	return max(0, -daysBetween(date, c.Opinion.Due))
}

// Publish is PublishWith a 成文日期 and the defaults for the rest.
func (s *Service) Publish(ctx context.Context, id Identity, caseID string, date time.Time) (*Case, error) {
	return s.PublishWith(ctx, id, caseID, Publishing{Date: date})
}

// PublishWith numbers, dates, renders and stores the final notice. The
// number is allocated only here, with the case's record and the options
// resolved (Publication), so it is never taken twice: a retried
// publication (after a failure while rendering or storing, or an answer
// lost) finds the number already on the case and finishes the job with it
// and with the options recorded then; the options it gives are not used.
// Only a 主动公开 notice is listed and served to the public (visible).
func (s *Service) PublishWith(ctx context.Context, id Identity, caseID string, p Publishing) (*Case, error) {
	const op = "workflow.Publish"
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	pub, err := s.resolve(op, &o.Profile, p)
	if err != nil {
		return nil, err
	}
	c, err := s.number(ctx, op, id, caseID, func(c *Case) (string, error) { return o.Profile.seriesOf(c) }, pub)
	if err != nil || !c.Publication.At.IsZero() {
		return c, err
	}
	n, err := s.notice(ctx, o, c)
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
	attached, err := s.publishAttachments(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if c.Publication == nil || c.Publication.Seq == 0 {
			return Errorf(op, Conflict, "发布状态已变化，请刷新")
		}
		if !c.Publication.At.IsZero() {
			return nil
		}
		c.Publication.Files, c.Publication.Attachments, c.Publication.At = files, attached, r.at
		c.Stage = Published
		with := ""
		if len(attached) > 0 {
			with = fmt.Sprintf("、%d 个附件", len(attached))
		}
		r.add("", ActPublish, fmt.Sprintf("发布 %s，共 %d 个文件%s，%s", c.Publication.Number(), len(files), with, c.Publication.Openness.Label()), c.Publication.Sum)
		return nil
	})
}

// resolve checks the office's decisions and fills in the defaults: the
// Publication as it will be numbered, without number.
func (s *Service) resolve(op string, prof *Profile, p Publishing) (Publication, error) {
	day := func(t time.Time) time.Time {
		y, m, d := t.In(Zone).Date()
		return Day(y, m, d)
	}
	if p.Date.IsZero() {
		p.Date = s.now()
	}
	pub := Publication{Date: day(p.Date), Openness: p.Openness}
	pub.Printed = pub.Date
	if !p.Printed.IsZero() {
		pub.Printed = day(p.Printed)
	}
	if pub.Printed.Before(pub.Date) {
		return pub, Errorf(op, Invalid, "印发日期 %s 早于成文日期 %s：印发不能早于成文", DateCN(pub.Printed), DateCN(pub.Date))
	}
	if pub.Openness == "" {
		pub.Openness = prof.DefaultOpenness()
	}
	if _, err := ParseOpenness(string(pub.Openness)); err != nil {
		return pub, err
	}
	if p.Note == nil {
		pub.Note = prof.Notes[pub.Openness]
	} else {
		pub.Note = *p.Note
	}
	var err error
	if pub.Note, err = cleanNote(op, pub.Note); err != nil {
		return pub, err
	}
	pub.Late = strings.TrimSpace(p.Late)
	if err := checkText(op, "逾期原因", pub.Late, MaxLateReason); err != nil {
		return pub, err
	}
	return pub, nil
}

// cleanNote checks a 附注 and drops the （） around it, which the layout
// prints.
func cleanNote(op, note string) (string, error) {
	note = strings.TrimSpace(note)
	if err := checkLine(op, "附注", note); err != nil {
		return "", err
	}
	for _, pair := range [][2]string{{"（", "）"}, {"(", ")"}} {
		if strings.HasPrefix(note, pair[0]) && strings.HasSuffix(note, pair[1]) {
			note = strings.TrimSpace(note[len(pair[0]) : len(note)-len(pair[1])])
		}
	}
	return note, nil
}

// number allocates the document number unless the case has one.
func (s *Service) number(ctx context.Context, op string, id Identity, caseID string, seriesOf func(*Case) (string, error), pub Publication) (*Case, error) {
	for try := 1; ; try++ {
		read, err := s.Store.Case(ctx, caseID)
		if err != nil {
			return nil, err
		}
		if read.Publication != nil && read.Publication.Seq > 0 {
			// A retried publication (the answer was lost, or rendering
			// failed after the number was taken) is finished or answered
			// for whoever may publish; nobody else learns anything.
			probe := *read
			probe.Stage = Approved
			if err := Allowed(id, &probe, ActPublish, nil); err != nil {
				return nil, err
			}
			return read, nil
		}
		if err := Allowed(id, read, ActPublish, nil); err != nil {
			return nil, err
		}
		// Dated after the opinion's deadline: only with the reason, which
		// the record and the audit trail keep.
		if n := DaysLate(read, pub.Date); n == 0 {
			pub.Late = ""
		} else if pub.Late == "" {
			return nil, Errorf(op, Invalid, "成文日期 %s 晚于来文办理期限 %s（逾期 %d 天）：请填写逾期原因，确认后发布", DateCN(pub.Date), DateCN(read.Opinion.Due), n)
		}
		series, err := seriesOf(read)
		if err != nil {
			return nil, err
		}
		var c *Case
		year := pub.Date.In(Zone).Year()
		err = s.Store.AllocateNumber(ctx, series, year, func(seq int) (*Change, error) {
			c = clone(read)
			before := snap(c)
			r := &recorder{id: id, at: s.now(), c: c, signer: s.Signer}
			p := pub
			p.Series, p.Year, p.Seq, p.Sum, p.By = series, year, seq, c.Report.Current.Sum, id.User
			c.Publication = &p
			note := "无附注"
			if p.Note != "" {
				note = "附注（" + p.Note + "）"
			}
			late := ""
			if p.Late != "" {
				late = fmt.Sprintf("，晚于来文办理期限 %d 天发布，原因：%s", DaysLate(c, p.Date), p.Late)
			}
			r.add("", ActNumber, fmt.Sprintf("编发文号 %s，成文日期 %s，印发日期 %s，%s，%s%s", p.Number(), DateCN(p.Date), DateCN(p.Printed), p.Openness.Label(), note, late), p.Sum)
			return r.change(ctx, before, false)
		})
		if KindOf(err) == Conflict && try < saveTries {
			if err := pause(ctx, try); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// clone returns a deep copy of c.
func clone(c *Case) *Case {
	var d Case
	if err := decodeJSON(encode(c), &d); err != nil {
		panic(fmt.Sprintf("workflow: copy case: %v", err))
	}
	return &d
}

// Notice resolves what the final document prints for a case.
func (s *Service) Notice(ctx context.Context, c *Case) (*Notice, error) {
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	return s.notice(ctx, o, c)
}

func (s *Service) notice(ctx context.Context, o *Office, c *Case) (*Notice, error) {
	if c.Report == nil {
		return nil, Errorf("workflow.Notice", Invalid, "案件 %s 尚未汇总报告", c.ID)
	}
	v := c.Report.Current
	body, err := s.Blobs.Get(ctx, v.Hash)
	if err != nil {
		return nil, fmt.Errorf("workflow.Notice: read report %s: %w", v.Hash, err)
	}
	n := &Notice{Mark: o.Profile.Mark, Title: v.Heading, Addressee: v.Addressee, Body: string(body),
		Signer: o.Profile.Org, CC: o.Profile.CC, Office: o.Profile.Office}
	if c.Opinion.Kind != "" {
		// A 答复函 in 信函格式, from the lead department: its own name
		// and seal (the office's is not the department's), copied to
		// whoever handed the proposal over and to the office.
		k, l, err := o.Profile.answering(c)
		if err != nil {
			return nil, err
		}
		n.Mark, n.Signer, n.Office = l.Name, l.Name, ""
		n.CC = []string{k.Issuer, o.Profile.Office}
		n.Letter = &Letter{Result: answerResult(c.Sections), Contact: l.Contact, Phone: l.Phone}
		if l.Seal != "" {
			if n.Seal, err = s.Blobs.Get(ctx, l.Seal); err != nil {
				return nil, fmt.Errorf("workflow.Notice: read %s's seal image %s: %w", l.Dept, l.Seal, err)
			}
		}
		if p := c.Publication; p != nil {
			n.Number, n.Date, n.Printed, n.Note = p.Number(), p.Date, p.PrintedOn(), p.Note
		}
		return n, nil
	}
	if o.Seal != "" {
		if n.Seal, err = s.Blobs.Get(ctx, o.Seal); err != nil {
			return nil, fmt.Errorf("workflow.Notice: read the seal image %s: %w", o.Seal, err)
		}
	}
	if p := c.Publication; p != nil {
		n.Number, n.Date, n.Printed, n.Note = p.Number(), p.Date, p.PrintedOn(), p.Note
	}
	for _, a := range c.Report.Attachments {
		n.Attachments = append(n.Attachments, a.Title())
	}
	return n, nil
}
