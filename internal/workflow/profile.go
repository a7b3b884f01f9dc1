package workflow

import (
	"slices"
	"strings"
)

// Profile is what one organisation configures: its names, number series,
// the boilerplate of its reports and its default sign-off chain. It is data
// (templates/profile.json), so another district needs no code change.
type Profile struct {
	Org         string     `json:"org"`         // 发文机关 and 署名: 上海市静安区人民政府
	OrgShort    string     `json:"orgShort"`    // 区政府, as the report calls itself
	Mark        string     `json:"mark"`        // 发文机关标志: 上海市静安区人民政府文件
	Series      string     `json:"series"`      // 发文字号 series code: 静府议
	Office      string     `json:"office"`      // 印发机关: 上海市静安区人民政府办公室
	CC          []string   `json:"cc"`          // 抄送, may be empty
	Opening     string     `json:"opening"`     // cites the opinion through {{.Title}}, {{.Number}}, {{.OrgShort}}
	Closing     string     `json:"closing"`     // 特此报告。
	LeadDays    int        `json:"leadDays"`    // departments' default due date: this many days before the opinion's
	DefaultDue  int        `json:"defaultDue"`  // months allowed when the opinion names no deadline
	Departments []string   `json:"departments"` // every department that can be assigned
	Chain       []StepPlan `json:"chain"`       // the default sign-off chain
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
	Number   string // 静会〔2025〕57号
	OrgShort string
}

// Validate reports every missing field at once.
func (p *Profile) Validate() error {
	var miss []string
	for name, v := range map[string]string{"org": p.Org, "orgShort": p.OrgShort, "mark": p.Mark,
		"series": p.Series, "office": p.Office, "opening": p.Opening, "closing": p.Closing} {
		if strings.TrimSpace(v) == "" {
			miss = append(miss, name)
		}
	}
	if len(p.Departments) == 0 {
		miss = append(miss, "departments")
	}
	if len(miss) > 0 {
		slices.Sort(miss)
		return Errorf("workflow.Profile", Invalid, "profile lacks %s", strings.Join(miss, ", "))
	}
	if rest := p.expand(OpeningData{}); strings.Contains(rest, "{{") {
		return Errorf("workflow.Profile", Invalid, "profile opening may cite only {{.Title}}, {{.Number}} and {{.OrgShort}}: %s", rest)
	}
	return nil
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
// comes from the issuer (上海市静安区人民代表大会常务委员会 → 上海市静安区),
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
