package workflow

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Profile is what one organisation configures: its names, number series,
// the boilerplate of its reports and its default sign-off chain. It is data
// (templates/profile.json), so another district needs no code change.
type Profile struct {
	Org         string     `json:"org"`         // 发文机关 and 署名: 某市某区人民政府
	OrgShort    string     `json:"orgShort"`    // 区政府, as the report calls itself
	Mark        string     `json:"mark"`        // 发文机关标志: 某市某区人民政府文件
	Series      string     `json:"series"`      // 发文字号 series code: 某府议
	Office      string     `json:"office"`      // 印发机关: 某市某区人民政府办公室
	CC          []string   `json:"cc"`          // 抄送, may be empty
	Opening     string     `json:"opening"`     // cites the opinion through {{.Title}}, {{.Number}}, {{.OrgShort}}
	Closing     string     `json:"closing"`     // 特此报告。
	LeadDays    int        `json:"leadDays"`    // departments' default due date: this many days before the opinion's
	DefaultDue  int        `json:"defaultDue"`  // months allowed when the opinion names no deadline
	Departments []string   `json:"departments"` // every department that can be assigned
	Chain       []StepPlan `json:"chain"`       // the default sign-off chain

	// Openness is the 公开属性 publication proposes; "": 主动公开.
	Openness Openness `json:"openness,omitempty"`
	// Notes are the 附注 publication proposes for each 公开属性, without
	// their （）, as the office's practice has them (e.g. 此件依申请公开);
	// a 公开属性 without one proposes none.
	Notes map[Openness]string `json:"notes,omitempty"`

	// Kinds are the kinds of case the office answers besides 审议意见
	// (代表建议, 政协提案), as data: see CaseKind.
	Kinds []CaseKind `json:"kinds,omitempty"`
	// Letterheads are the departments' for their 答复函 (see Letterhead).
	Letterheads []Letterhead `json:"letterheads,omitempty"`
}

// DefaultOpenness is the 公开属性 publication proposes.
func (p *Profile) DefaultOpenness() Openness {
	if p.Openness == "" {
		return Proactive
	}
	return p.Openness
}

// StepPlan describes a default sign-off step. Countersign steps are signed by
// the heads of the case's lead departments.
type StepPlan struct {
	Name        string   `json:"name"`
	Signers     []string `json:"signers,omitempty"`
	Countersign bool     `json:"countersign,omitempty"`
}

// OpeningData is what the opening template may cite.
type OpeningData struct {
	Title    string // the opinion's title, inner 《》 turned to 〈〉
	Number   string // 某会〔2025〕57号
	OrgShort string
}

// Validate reports every missing or malformed field at once.
func (p *Profile) Validate() error {
	const op = "workflow.Profile"
	var bad []string
	for _, f := range []struct{ name, v string }{{"发文机关", p.Org}, {"简称", p.OrgShort}, {"发文机关标志", p.Mark},
		{"文号代字", p.Series}, {"印发机关", p.Office}, {"开头语", p.Opening}, {"结束语", p.Closing}} {
		if strings.TrimSpace(f.v) == "" {
			bad = append(bad, "缺少"+f.name)
		}
	}
	for _, f := range []struct{ name, v string }{{"发文机关", p.Org}, {"简称", p.OrgShort}, {"发文机关标志", p.Mark},
		{"文号代字", p.Series}, {"印发机关", p.Office}} {
		if err := checkLine(op, f.name, f.v); err != nil {
			bad = append(bad, Message(err))
		}
	}
	for _, f := range []struct{ name, v string }{{"开头语", p.Opening}, {"结束语", p.Closing}} {
		if err := checkText(op, f.name, f.v, MaxBoilerplate); err != nil {
			bad = append(bad, Message(err))
		}
	}
	if len(p.Departments) == 0 {
		bad = append(bad, "缺少部门")
	}
	if len(p.CC) > MaxCC {
		bad = append(bad, fmt.Sprintf("抄送单位 %d 个，上限 %d 个", len(p.CC), MaxCC))
	}
	for _, c := range p.CC {
		if err := checkLine(op, "抄送单位", c); err != nil || strings.TrimSpace(c) == "" {
			bad = append(bad, fmt.Sprintf("抄送单位「%s」为空或不是一行", c))
		}
	}
	if p.LeadDays < 0 || p.LeadDays > 365 || p.DefaultDue < 1 || p.DefaultDue > 36 {
		bad = append(bad, "部门办理提前天数须为 0–365 天，默认办理期限须为 1–36 个月")
	}
	if rest := p.expand(OpeningData{}); strings.Contains(rest, "{{") {
		bad = append(bad, "开头语只能引用 {{.Title}}（来文标题）、{{.Number}}（来文文号）和 {{.OrgShort}}（简称）")
	}
	if _, err := ParseOpenness(string(p.Openness)); err != nil {
		bad = append(bad, Message(err))
	}
	for _, o := range slices.Sorted(maps.Keys(p.Notes)) {
		if !slices.Contains(Opennesses, o) {
			bad = append(bad, fmt.Sprintf("附注对应的公开属性「%s」无效（可选：public 主动公开、on-request 依申请公开、withheld 不予公开）", o))
		}
	}
	for _, o := range Opennesses {
		if err := checkLine(op, o.Label()+"的附注", p.Notes[o]); err != nil {
			bad = append(bad, Message(err))
		}
	}
	bad = append(bad, p.chainProblems()...)
	bad = append(bad, p.kindProblems()...)
	bad = append(bad, p.letterheadProblems()...)
	if len(bad) > 0 {
		return Errorf(op, Invalid, "%s", strings.Join(bad, "；"))
	}
	return nil
}

// chainProblems checks the default sign-off chain's shape; who the signers
// are is checked against the accounts when a chain is started.
func (p *Profile) chainProblems() []string {
	var bad []string
	if len(p.Chain) == 0 || len(p.Chain) > MaxSteps {
		bad = append(bad, fmt.Sprintf("默认签批流程须有 1–%d 个环节", MaxSteps))
	}
	seen := map[string]bool{}
	for i, st := range p.Chain {
		switch {
		case strings.TrimSpace(st.Name) == "" || checkLine("", "", st.Name) != nil:
			bad = append(bad, fmt.Sprintf("第 %d 个签批环节缺少名称", i+1))
		case seen[st.Name]:
			bad = append(bad, fmt.Sprintf("签批环节「%s」重复", st.Name))
		case st.Countersign && len(st.Signers) > 0:
			bad = append(bad, fmt.Sprintf("会签环节「%s」由各主办部门负责人签批，不另列签批人", st.Name))
		case !st.Countersign && len(st.Signers) > MaxSigners:
			bad = append(bad, fmt.Sprintf("环节「%s」有 %d 个签批人，上限 %d 个", st.Name, len(st.Signers), MaxSigners))
		}
		seen[st.Name] = true
	}
	return bad
}

// The opening is a sentence with three placeholders, not a template
// language: offices write it, and text/template's reflection would cost
// every function binary megabytes (the linker keeps every exported method).
func (p *Profile) expand(d OpeningData) string {
	return strings.NewReplacer("{{.Title}}", d.Title, "{{.Number}}", d.Number, "{{.OrgShort}}", d.OrgShort).Replace(p.Opening)
}

func (p *Profile) opening(o *Opinion) (string, error) {
	return p.expand(OpeningData{Title: Nest(o.Title), Number: o.Number, OrgShort: p.OrgShort}), nil
}

func (p *Profile) knows(dept string) bool {
	return slices.Contains(p.Departments, dept)
}

// Nest turns book-title marks for use inside 《》: 《》 become 〈〉.
func Nest(s string) string {
	return strings.NewReplacer("《", "〈", "》", "〉").Replace(s)
}

// ReportTitle is the title of the government's report on an opinion:
// <org>关于《<region><session><opinion title>》落实情况的报告. The region
// comes from the issuer (某市某区人民代表大会常务委员会 → 某市某区),
// the session from the opinion's body, with its leading 区/县/市 dropped
// because the region already says it.
func ReportTitle(org string, o *Opinion) string {
	cite := Region(o.Issuer)
	session := o.Session
	if cite != "" && session != "" {
		last := string([]rune(cite)[len([]rune(cite))-1])
		session = strings.TrimPrefix(session, last)
	}
	if session == "" && cite == "" {
		cite = o.Signature
	}
	return org + "关于《" + cite + session + Nest(o.Title) + "》落实情况的报告"
}

// Region returns the place name at the head of an issuing body's name.
func Region(issuer string) string {
	for _, suffix := range []string{"人民代表大会常务委员会", "人大常委会", "人民代表大会", "人民政府"} {
		if i := strings.Index(issuer, suffix); i > 0 {
			return issuer[:i]
		}
	}
	return ""
}
