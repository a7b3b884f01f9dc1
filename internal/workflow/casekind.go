package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A CaseKind describes, as data, a kind of case the office answers besides
// the 审议意见 that its Profile describes: 人大代表建议 and 政协委员提案,
// which an office receives by the hundred as a list (Service.Import).
// Each office keeps its own kinds in its Profile, so nothing about one
// district's People's Congress or CPPCC is compiled in. A case's kind is
// Opinion.Kind; "" is the 审议意见.
type CaseKind struct {
	ID       string `json:"id"`       // suggestion: lower-case letters, digits and -, at most 20
	Name     string `json:"name"`     // 人大代表建议
	Short    string `json:"short"`    // 代表建议: in lists and messages
	Issuer   string `json:"issuer"`   // whose list it is (来文单位): 区人大常委会
	Proposer string `json:"proposer"` // what the one who proposes is called: 代表 / 委员
	Group    string `json:"group"`    // and their group: 代表团 / 界别
	Reply    string `json:"reply"`    // what the answer is called: 答复函
	// DueMonths is the 办理期限: this many months from the date the office
	// enters as the date of 交办 (three for both kinds in the national
	// rules for 建议 and 提案 办理).
	DueMonths int `json:"dueMonths"`
	// LiaiseFirst refuses the lead department's submission until it has
	// recorded a contact with the proposer (沟通, RecordLiaison).
	LiaiseFirst bool `json:"liaiseFirst,omitempty"`

	// The answer is a letter (答复函, 信函格式) from the lead department,
	// numbered in that department's series for the kind: its Letterhead's
	// Code and this Suffix (某民 + 建: 某民建〔2026〕12号). Heading,
	// Opening and Closing are its title and its first and last sentences,
	// which may cite {{.Title}}, {{.Number}} and {{.Proposer}}; empty, the
	// defaults below.
	Suffix  string `json:"suffix"`
	Heading string `json:"heading,omitempty"`
	Opening string `json:"opening,omitempty"`
	Closing string `json:"closing,omitempty"`

	// Chain is who signs the kind's answers, in place of the office's
	// chain (Profile.Chain): a department's letter is signed off in the
	// department (a step with Countersign is its heads), not by the
	// district's leaders. Required are the steps every chain of the kind
	// must have, in this order, in place of Policy.Required. Empty: the
	// office's chain and policy.
	Chain    []StepPlan `json:"chain,omitempty"`
	Required []string   `json:"required,omitempty"`
}

// signoffPlan is the chain and the required steps of a case of kind:
// the kind's, if it has its own chain, else the office's.
func (o *Office) signoffPlan(kind string) ([]StepPlan, []string) {
	if k, ok := o.Profile.CaseKind(kind); ok && len(k.Chain) > 0 {
		return k.Chain, k.Required
	}
	return o.Profile.Chain, o.Policy.Required
}

// stepNamed reports whether a chain of the office's or of one of its
// kinds has a step of that name: an approver's Steps name those.
func (o *Office) stepNamed(name string) bool {
	has := func(plan []StepPlan) bool {
		return slices.ContainsFunc(plan, func(p StepPlan) bool { return p.Name == name })
	}
	return has(o.Profile.Chain) || slices.ContainsFunc(o.Profile.Kinds, func(k CaseKind) bool { return has(k.Chain) })
}

// The answer's defaults, as offices commonly write them.
const (
	DefaultAnswerHeading = "关于《{{.Title}}》的答复"
	DefaultAnswerOpening = "您提出的《{{.Title}}》（{{.Number}}）收悉。经认真研究，现答复如下："
	DefaultAnswerClosing = "感谢您对我们工作的关心和支持。"
)

// Letterhead is what a department's 答复函 print: its full name (the
// 发文机关标志 and 署名), the code its letters are numbered under, and the
// 联系人 and 电话 the letters name unless the publication gives others.
type Letterhead struct {
	Dept    string `json:"dept"` // as in Profile.Departments: 区民政局
	Name    string `json:"name"` // 某市某区民政局
	Code    string `json:"code"` // 某民
	Contact string `json:"contact,omitempty"`
	Phone   string `json:"phone,omitempty"`
	// Seal is the blob of the department's seal (PNG), which its letters
	// carry; "" unsealed. Set by Service.SetSeal with the department, like
	// the office's, never by saving the office.
	Seal string `json:"seal,omitempty"`
}

// Letterhead returns a department's letterhead.
func (p *Profile) Letterhead(dept string) (Letterhead, bool) {
	for _, l := range p.Letterheads {
		if l.Dept == dept {
			return l, true
		}
	}
	return Letterhead{}, false
}

// letterheadProblems checks the departments' letterheads.
func (p *Profile) letterheadProblems() []string {
	var bad []string
	if len(p.Letterheads) > MaxDepartments {
		bad = append(bad, "答复函版头过多：上限 "+strconv.Itoa(MaxDepartments)+" 个")
	}
	// A letterhead of a department no longer listed is kept, unused, so
	// that removing a department (refused while it has people) is decided
	// by what matters and the letterhead is there if it comes back.
	seen := map[string]bool{}
	for _, l := range p.Letterheads {
		of := "部门“" + l.Dept + "”的答复函版头"
		if strings.TrimSpace(l.Dept) == "" || seen[l.Dept] {
			bad = append(bad, of+"缺少部门或重复")
		}
		if len([]rune(l.Code)) > 10 {
			bad = append(bad, of+"的发文字号代字过长（至多 10 字）")
		}
		seen[l.Dept] = true
		bad = append(bad, fieldProblems(of, MaxHeading, true, "全称", l.Name, "代字", l.Code)...)
		bad = append(bad, fieldProblems(of, MaxHeading, false, "联系人", l.Contact, "联系电话", l.Phone)...)
	}
	return bad
}

// answerText expands one of the kind's sentences for an opinion.
func answerText(tmpl, def string, o *Opinion) string {
	if strings.TrimSpace(tmpl) == "" {
		tmpl = def
	}
	return strings.NewReplacer("{{.Title}}", Nest(o.Title), "{{.Number}}", o.Number, "{{.Proposer}}", o.Proposer).Replace(tmpl)
}

// compileAnswer assembles the answer of a 代表建议 or 政协提案: the kind's
// opening, each part's text — under its heading only when there are
// several parts, since a letter answering one proposal has none —, the
// clerk's closing paragraph if any, and the kind's closing.
func compileAnswer(k CaseKind, o *Opinion, f Frame, secs []Section, bodies []string) string {
	var b strings.Builder
	opening := f.Opening
	if opening == "" {
		opening = answerText(k.Opening, DefaultAnswerOpening, o)
	}
	b.WriteString(strings.TrimSpace(opening) + "\n\n")
	for i, s := range secs {
		if len(secs) > 1 {
			b.WriteString(strings.Repeat("#", s.Level) + " " + s.Current.Heading + "\n\n")
		}
		if body := strings.TrimSpace(ShiftHeadings(bodies[i], pick(len(secs) > 1, s.Level, 0))); body != "" {
			b.WriteString(body + "\n\n")
		}
	}
	if closing := strings.TrimSpace(f.Closing); closing != "" {
		b.WriteString(closing + "\n\n")
	}
	b.WriteString(strings.TrimSpace(answerText(k.Closing, DefaultAnswerClosing, o)) + "\n")
	return b.String()
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

// answerResult is the 办理结果 category a letter prints (A, B, C), from
// the lead part's result: A 已解决或采纳, B 正在解决或列入计划, C 因条件
// 限制留作参考; "" when none was recorded.
func answerResult(secs []Section) string {
	for _, s := range secs {
		if s.Result == nil {
			continue
		}
		switch s.Result.Outcome {
		case OutcomeDone:
			return "A"
		case OutcomeOngoing, OutcomePlanned:
			return "B"
		case OutcomeNotViable:
			return "C"
		}
	}
	return ""
}

// KindOpinion is the 审议意见 in a Query: the cases of no other kind.
const KindOpinion = "opinion"

// Limits of the kinds an office keeps, and of one import.
const (
	MaxKinds  = 10
	MaxImport = 500 // rows of one list: each is its own case, written one after another within one request (API Gateway allows 30 s)
)

// validKindID reports whether id is a kind's code: a lower-case letter,
// then at most 19 lower-case letters, digits and hyphens.
func validKindID(id string) bool {
	if id == "" || len(id) > 20 || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// kindProblems checks the profile's kinds, as Validate reports them.
func (p *Profile) kindProblems() []string {
	var bad []string
	if len(p.Kinds) > MaxKinds {
		bad = append(bad, "案件类别过多：上限 "+strconv.Itoa(MaxKinds)+" 种")
	}
	seen := map[string]bool{}
	for _, k := range p.Kinds {
		of := "案件类别「" + k.Name + "」"
		switch {
		case !validKindID(k.ID) || k.ID == KindOpinion || seen[k.ID]:
			bad = append(bad, of+"的代码“"+k.ID+"”无效或重复：须为小写字母开头的字母、数字和 -，至多 20 个")
		case k.DueMonths < 1 || k.DueMonths > 12:
			bad = append(bad, of+"的办理期限须为 1–12 个月")
		case len([]rune(k.Suffix)) > 4:
			bad = append(bad, of+"的发文字号后缀过长（至多 4 字）")
		}
		seen[k.ID] = true
		if len(k.Chain) > MaxSteps {
			bad = append(bad, of+"的签批流程有 "+strconv.Itoa(len(k.Chain))+" 个环节，上限 "+strconv.Itoa(MaxSteps)+" 个")
		}
		var names []string
		for _, st := range k.Chain {
			if err := checkLine("", "签批环节名称", st.Name); err != nil || strings.TrimSpace(st.Name) == "" || len(st.Signers) == 0 && !st.Countersign {
				bad = append(bad, of+"的签批环节「"+st.Name+"」须有名称，并指定签批人或由主办部门负责人会签")
			}
			names = append(names, st.Name)
		}
		for _, r := range k.Required {
			if !slices.Contains(names, r) {
				bad = append(bad, of+"的必经环节「"+r+"」不在其签批流程中")
			}
		}
		bad = append(bad, fieldProblems(of, MaxBoilerplate, false, "答复标题", k.Heading, "答复开头语", k.Opening, "答复结束语", k.Closing)...)
		bad = append(bad, fieldProblems(of, MaxHeading, true, "名称", k.Name, "简称", k.Short, "来文单位", k.Issuer,
			"提出人称谓", k.Proposer, "所属称谓", k.Group, "答复文种", k.Reply)...)
	}
	return bad
}

// fieldProblems checks pairs of a field's name and its text, each within
// max characters, one line each unless max is MaxBoilerplate, and not
// empty if required; each problem is said of what.
func fieldProblems(of string, max int, required bool, pairs ...string) []string {
	var bad []string
	for i := 0; i+1 < len(pairs); i += 2 {
		field, v := pairs[i], pairs[i+1]
		var err error
		if max == MaxBoilerplate {
			err = checkText("", field, v, max)
		} else {
			err = checkLine("", field, v)
		}
		switch {
		case required && strings.TrimSpace(v) == "":
			bad = append(bad, of+"缺少"+field)
		case err != nil:
			bad = append(bad, of+"的"+Message(err))
		}
	}
	return bad
}

// CaseKind returns the office's kind with the given ID.
func (p *Profile) CaseKind(id string) (CaseKind, bool) {
	for _, k := range p.Kinds {
		if k.ID == id {
			return k, true
		}
	}
	return CaseKind{}, false
}

// Proposal is one row of a list of 代表建议 or 政协提案 (package caselist
// reads them from the file the People's Congress or CPPCC system exports).
type Proposal struct {
	Line      int      `json:"line"` // the row in its file
	Number    string   `json:"number"`
	Title     string   `json:"title"`
	Proposer  string   `json:"proposer"`
	Group     string   `json:"group,omitempty"`
	Cosigners []string `json:"cosigners,omitempty"`
	Content   string   `json:"content"`
	Category  string   `json:"category,omitempty"`
}

// Imported is what became of one row of a list: the case it opened, or why
// it was refused.
type Imported struct {
	Line   int    `json:"line"`
	Number string `json:"number"`
	Case   string `json:"case,omitempty"`
	Reason string `json:"reason,omitempty"` // the refusal; "" when Case was opened
}

// MaxCosigners bounds a proposal's 附议人 / 联名人.
const MaxCosigners = 100

// Import opens a case of the given kind for each row of a list, as intake
// opens one for an opinion: the date the office enters as 交办 is the
// case's date, and its deadline that date and the kind's DueMonths. Each
// row is its own case, written on its own, so a row refused — malformed,
// or its number already registered for the kind and year — leaves the
// others alone, and the same list imported again opens only the rows it
// did not open before. It returns one Imported per row, in order; an
// error ends the import where it happened (what was opened stays open, and
// the list can be imported again).
func (s *Service) Import(ctx context.Context, id Identity, kind string, assigned time.Time, file string, rows []Proposal) ([]Imported, error) {
	const op = "workflow.Import"
	if err := Allowed(id, nil, ActIntake, nil); err != nil {
		return nil, err
	}
	office, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	k, ok := office.Profile.CaseKind(kind)
	switch {
	case !ok:
		return nil, Errorf(op, Invalid, "没有案件类别 %q：请在单位设置中添加，或选择已有的类别", kind)
	case assigned.IsZero():
		return nil, Errorf(op, Invalid, "请填写交办日期")
	case assigned.After(s.now().AddDate(0, 1, 0)):
		return nil, Errorf(op, Invalid, "交办日期 %s 晚于一个月以后，请检查", DateCN(assigned))
	case len(rows) == 0:
		return nil, Errorf(op, Invalid, "清单中没有可导入的行")
	case len(rows) > MaxImport:
		return nil, Errorf(op, Invalid, "清单有 %d 行，一次至多导入 %d 行：请分成几个文件导入", len(rows), MaxImport)
	}
	if err := checkLine(op, "文件名", file); err != nil {
		return nil, err
	}
	assigned = assigned.In(Zone)
	day := Day(assigned.Year(), assigned.Month(), assigned.Day())
	out := make([]Imported, 0, len(rows))
	for _, row := range rows {
		res := Imported{Line: row.Line, Number: row.Number}
		o := k.opinion(&office.Profile, day, row)
		if err := o.Validate(); err != nil {
			res.Reason = Message(err)
			out = append(out, res)
			continue
		}
		// The row as the case's source: its own bytes, so that its hash
		// (and the case's ID) is the row's, whatever else the file held.
		data, err := json.Marshal(struct {
			Kind string    `json:"kind"`
			Date time.Time `json:"date"`
			Proposal
		}{k.ID, day, row})
		if err != nil {
			return out, fmt.Errorf("%s: %w", op, err)
		}
		c, err := s.intake(ctx, op, id, Source{Name: fmt.Sprintf("%s 第 %d 行", file, row.Line), Size: len(data)}, data, o, "")
		switch {
		case err == nil:
			res.Case = c.ID
		case KindOf(err) == Invalid || KindOf(err) == Conflict:
			res.Reason = Message(err)
		default:
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// opinion is a row of a list as the case's opinion: one item, the
// proposal's text, so that assignment, drafting and the lists treat it as
// they treat an opinion.
func (k CaseKind) opinion(p *Profile, day time.Time, row Proposal) *Opinion {
	o := &Opinion{Kind: k.ID, Issuer: k.Issuer, Number: strings.TrimSpace(row.Number), Title: strings.TrimSpace(row.Title),
		Addressee: p.Org, Date: day, Due: day.AddDate(0, k.DueMonths, 0),
		DueRule:  fmt.Sprintf("自交办之日起 %d 个月内办复", k.DueMonths),
		Proposer: strings.TrimSpace(row.Proposer), Group: strings.TrimSpace(row.Group), Cosigners: row.Cosigners,
		Category: strings.TrimSpace(row.Category)}
	if text := strings.TrimSpace(row.Content); text != "" {
		o.Items = []Item{{ID: "1", Level: 1, Text: text}}
	}
	return o
}

// Key is the form of the case's number that duplicates are found by
// (Claim): an opinion's NumberKey; for a kind, its ID, the year of 交办
// and the number, since a list's numbers start again each year and each
// kind has its own.
func (o *Opinion) Key() string {
	if o.Kind == "" {
		return NumberKey(o.Number)
	}
	return fmt.Sprintf("%s/%d/%s", o.Kind, o.Date.In(Zone).Year(), NumberKey(o.Number))
}

// MaxHandOver bounds the cases one batch 交办 hands over.
const MaxHandOver = 100

// Handed is what became of one case of a batch 交办: dispatched to its
// departments, or why not.
type Handed struct {
	Case   string `json:"case"`
	Number string `json:"number,omitempty"`
	Reason string `json:"reason,omitempty"` // "" when dispatched
}

// AssignBatch hands several cases over at once (批量交办), as offices do
// with a list of 代表建议 or 政协提案: each is given to lead as 主办 (and
// co as 会办), every item of it one part due on due (zero: the office's
// default, DefaultDue), and dispatched. Only a case with no plan yet is
// handed over: one that another clerk assigned meanwhile, or that has
// moved on, is refused with its stage, never assigned over. Each case is
// its own change, so one refused leaves the others alone.
func (s *Service) AssignBatch(ctx context.Context, id Identity, cases []string, lead string, co []string, due time.Time) ([]Handed, error) {
	const op = "workflow.AssignBatch"
	if err := Allowed(id, nil, ActAssign, nil); err != nil {
		return nil, err
	}
	switch {
	case len(cases) == 0:
		return nil, Errorf(op, Invalid, "请选择要交办的案件")
	case len(cases) > MaxHandOver:
		return nil, Errorf(op, Invalid, "一次至多交办 %d 件（选了 %d 件）", MaxHandOver, len(cases))
	case lead == "":
		return nil, Errorf(op, Invalid, "请选择主办部门")
	}
	office, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range append([]string{lead}, co...) {
		if !office.Profile.knows(d) {
			return nil, Errorf(op, Invalid, "“%s”不是本单位设置中的部门", d)
		}
	}
	out := make([]Handed, 0, len(cases))
	seen := map[string]bool{}
	for _, caseID := range cases {
		h := Handed{Case: caseID}
		if seen[caseID] {
			continue
		}
		seen[caseID] = true
		err := s.handOver(ctx, id, &office.Profile, caseID, lead, co, due, &h)
		switch {
		case err == nil:
		case KindOf(err) == Invalid || KindOf(err) == Conflict || KindOf(err) == NotFound || KindOf(err) == Forbidden:
			h.Reason = Message(err)
		default:
			return out, err
		}
		out = append(out, h)
	}
	return out, nil
}

// handOver assigns one case of a batch and dispatches it.
func (s *Service) handOver(ctx context.Context, id Identity, p *Profile, caseID, lead string, co []string, due time.Time, h *Handed) error {
	const op = "workflow.AssignBatch"
	// The plan and its dispatch in one change: what Assign and Dispatch
	// record, read and written once.
	_, err := s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		h.Number = c.Opinion.Number
		switch {
		case c.Stage != Assigning:
			return Errorf(op, Invalid, "案件 %s 已是“%s”，不在待交办之列", c.ID, c.Stage.Label())
		case len(c.Sections) > 0:
			return Errorf(op, Invalid, "案件 %s 已有交办方案：请在该案件的交办页修改后交办", c.ID)
		}
		if err := Allowed(id, c, ActDispatch, nil); err != nil {
			return err
		}
		var plan []Assignment
		for _, it := range c.Opinion.Children("") {
			plan = append(plan, Assignment{Item: it.ID, Lead: lead, Co: co, Due: due})
		}
		secs, err := s.outline(op, p, c, plan, r.at)
		if err != nil {
			return err
		}
		for i := range secs {
			secs[i].State = Open
		}
		c.Sections, c.Stage = secs, Drafting
		r.add("", ActAssign, fmt.Sprintf("交办方案：%d 个部分，主办部门 %s", len(secs), lead), "")
		r.add("", ActDispatch, fmt.Sprintf("交办 %d 个部分", len(secs)), "")
		return nil
	})
	return err
}

// answering is the kind of a 代表建议 or 政协提案 and the letterhead of the
// department that answers it: the lead department of its first part.
func (p *Profile) answering(c *Case) (CaseKind, Letterhead, error) {
	const op = "workflow.Answer"
	k, ok := p.CaseKind(c.Opinion.Kind)
	if !ok {
		return k, Letterhead{}, Errorf(op, Invalid, "本单位设置中已没有案件类别 %q：请管理员恢复后再办理", c.Opinion.Kind)
	}
	if len(c.Sections) == 0 {
		return k, Letterhead{}, Errorf(op, Invalid, "案件 %s 尚未交办，没有答复单位", c.ID)
	}
	lead := c.Sections[0].Lead
	l, ok := p.Letterhead(lead)
	if !ok {
		return k, l, Errorf(op, Invalid, "部门“%s”还没有答复函版头（全称和发文字号代字）：请管理员在单位设置的 letterheads 中添加", lead)
	}
	return k, l, nil
}

// seriesOf is the series a case's document is numbered in: the office's
// for a report; for a 答复函, the answering department's code and the
// kind's suffix (某民 + 建).
func (p *Profile) seriesOf(c *Case) (string, error) {
	if c.Opinion.Kind == "" {
		return p.Series, nil
	}
	k, l, err := p.answering(c)
	if err != nil {
		return "", err
	}
	return l.Code + k.Suffix, nil
}

// letterSeries are the series the departments' 答复函 are numbered in:
// each letterhead's code with each kind's suffix (某民 + 建), so that an
// office that numbered letters before docflow can set where each goes on
// (Service.SetSeries).
func (p *Profile) letterSeries() []string {
	var out []string
	for _, l := range p.Letterheads {
		for _, k := range p.Kinds {
			out = append(out, l.Code+k.Suffix)
		}
	}
	return out
}

// PlanLike is a plan for c copied from a similar case already assigned
// (参照交办): each item goes to the departments that led and co-handled
// the item in the same place of like's outline, or, where like has no
// such item (a 代表建议 is one part), those of like's first part; due
// dates are left to the default. Nil if like has no parts.
func PlanLike(c, like *Case) []Assignment {
	if len(like.Sections) == 0 {
		return nil
	}
	first := like.Sections[0]
	var plan []Assignment
	for i, it := range c.Opinion.Items {
		src := first
		if i < len(like.Opinion.Items) {
			if sec, ok := like.sectionOfItem(like.Opinion.Items[i].ID); ok {
				src = sec
			}
		}
		plan = append(plan, Assignment{Item: it.ID, Lead: src.Lead, Co: slices.Clone(src.Co)})
	}
	return plan
}

// sectionOfItem is the part that answers an item of the opinion.
func (c *Case) sectionOfItem(item string) (Section, bool) {
	for _, sec := range c.Sections {
		if sec.Item == item {
			return sec, true
		}
	}
	return Section{}, false
}
