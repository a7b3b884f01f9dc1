// Package demo takes a case through every stage of docflow over the HTTP
// API, acting in turn as the clerk, each department and each approver. It
// is `docflow demo` and the end-to-end test's driver, so what it does is
// what a client of the API must do.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Demo drives one case. Fixture holds opinion.txt, assignments.txt and
// report.txt (the text the published notice must have).
type Demo struct {
	BaseURL string
	HTTP    *http.Client
	Fixture fs.FS
	Log     io.Writer
	Series  string    // 静府议
	First   int       // the first number docflow issues this year, e.g. 17
	Date    time.Time // 成文日期
	// Printed is the 印发日期 (zero: the 成文日期), Openness the 公开属性
	// ("": the office's), Note the 附注 (nil: the office's for it): what
	// the clerk decides at publication.
	Printed  time.Time
	Openness string
	Note     *string
	Clerk    string // login of the office clerk
	// Accounts are the office's people; the demo acts as each
	// department's first staff member and head among them.
	Accounts []workflow.Account
	// Sign makes a request as user: an API token (Authorization: Bearer),
	// or under `docflow serve -dev` the development header. Nil: the
	// header.
	Sign func(r *http.Request, user string)
}

// Run goes from intake to publication and returns the published case.
func (d *Demo) Run(ctx context.Context) (*workflow.Case, error) {
	if err := d.SetSeries(ctx); err != nil {
		return nil, err
	}
	c, err := d.Intake(ctx)
	if err != nil {
		return nil, err
	}
	return d.Carry(ctx, c.ID)
}

// SetSeries tells docflow the first number it may issue this year.
func (d *Demo) SetSeries(ctx context.Context) error {
	d.logf("区府办 设置文号：%s〔%d〕从 %d 号起", d.Series, d.Date.Year(), d.First)
	return d.call(ctx, d.Clerk, "PUT", fmt.Sprintf("/api/series/%s/%d", url.PathEscape(d.Series), d.Date.Year()), map[string]int{"next": d.First}, nil)
}

// Intake uploads opinion.txt to POST /api/cases (the local server's route;
// on AWS the upload goes to S3 and an event opens the case).
func (d *Demo) Intake(ctx context.Context) (*workflow.Case, error) {
	opinionText, err := fs.ReadFile(d.Fixture, "opinion.txt")
	if err != nil {
		return nil, err
	}
	var c workflow.Case
	if err := d.send(ctx, d.Clerk, "POST", "/api/cases?name=opinion.txt", "text/plain; charset=utf-8", opinionText, &c); err != nil {
		return nil, err
	}
	d.logf("收文登记：%s《%s》→ 案件 %s，%d 条意见，办理期限 %s", c.Opinion.Number, c.Opinion.Title, c.ID, len(c.Opinion.Items), workflow.DateCN(c.Opinion.Due))
	return &c, nil
}

// Carry takes an open case from assignment to publication.
func (d *Demo) Carry(ctx context.Context, caseID string) (*workflow.Case, error) {
	report, err := fs.ReadFile(d.Fixture, "report.txt")
	if err != nil {
		return nil, err
	}
	planText, err := fs.ReadFile(d.Fixture, "assignments.txt")
	if err != nil {
		return nil, err
	}
	parts, closing, err := Sections(string(report))
	if err != nil {
		return nil, fmt.Errorf("report.txt: %w", err)
	}
	plan, err := ParsePlan(string(planText))
	if err != nil {
		return nil, fmt.Errorf("assignments.txt: %w", err)
	}
	if len(plan) != len(parts) {
		return nil, fmt.Errorf("assignments.txt has %d parts but report.txt %d", len(plan), len(parts))
	}

	var c workflow.Case
	if err := d.call(ctx, d.Clerk, "GET", "/api/cases/"+caseID, nil, &c); err != nil {
		return nil, err
	}

	var assignments []map[string]any
	for _, p := range plan {
		id, err := p.ItemID(c.Opinion.Items)
		if err != nil {
			return nil, err
		}
		assignments = append(assignments, map[string]any{"item": id, "lead": p.Lead, "co": p.Co})
	}
	if err := d.call(ctx, d.Clerk, "PUT", "/api/cases/"+c.ID+"/assignments", map[string]any{"version": c.Version, "plan": assignments}, &c); err != nil {
		return nil, err
	}
	if err := d.call(ctx, d.Clerk, "POST", "/api/cases/"+c.ID+"/dispatch", nil, &c); err != nil {
		return nil, err
	}
	d.logf("交办：%d 个部分交 %d 个主办部门", len(c.Sections), countLeads(c.Sections))
	// The closing paragraph is the office's own part of the outline, like
	// the opening: set once, compiled into the report before 特此报告。.
	if closing != "" {
		if err := d.call(ctx, d.Clerk, "PUT", "/api/cases/"+c.ID+"/frame", map[string]any{"rev": c.Frame.Rev, "closing": closing}, &c); err != nil {
			return nil, err
		}
		d.logf("区府办 撰写报告结尾段（%d 字）", len([]rune(closing)))
	}

	for i, sec := range c.Sections {
		staff, err := d.login(sec.Lead, workflow.Staff)
		if err != nil {
			return nil, err
		}
		head, err := d.login(sec.Lead, workflow.Head)
		if err != nil {
			return nil, err
		}
		body := strings.Join(parts[i].Body, "\n\n")
		if err := d.call(ctx, staff, "PUT", d.sectionPath(c.ID, sec.ID), map[string]any{"rev": sec.Rev, "heading": parts[i].Heading, "body": body, "note": "初稿"}, &c); err != nil {
			return nil, err
		}
		for _, co := range sec.Co {
			text := fmt.Sprintf("%s协办意见：已按职责梳理相关工作情况，同意主办部门稿。", co)
			who, err := d.login(co, workflow.Staff)
			if err != nil {
				return nil, err
			}
			if err := d.call(ctx, who, "POST", d.sectionPath(c.ID, sec.ID)+"/inputs", map[string]string{"text": text}, &c); err != nil {
				return nil, err
			}
		}
		rev := c.Sections[i].Rev
		if err := d.call(ctx, head, "POST", d.sectionPath(c.ID, sec.ID)+"/submit", map[string]int{"rev": rev}, &c); err != nil {
			return nil, err
		}
		if err := d.call(ctx, d.Clerk, "POST", d.sectionPath(c.ID, sec.ID)+"/accept", map[string]int{"rev": c.Sections[i].Rev}, &c); err != nil {
			return nil, err
		}
		d.logf("承办：%s %s（%s，协办 %d）已报送并采用", c.SectionLabel(sec.ID), parts[i].Heading, sec.Lead, len(sec.Co))
	}

	if err := d.call(ctx, d.Clerk, "POST", "/api/cases/"+c.ID+"/compile", nil, &c); err != nil {
		return nil, err
	}
	d.logf("汇总：报告第 %d 稿《%s》", c.Report.Current.N, c.Report.Current.Heading)

	if err := d.call(ctx, d.Clerk, "POST", "/api/cases/"+c.ID+"/signoff", nil, &c); err != nil {
		return nil, err
	}
	sum := c.Report.Current.Sum
	for _, st := range c.Chain {
		for _, u := range st.Signers {
			if err := d.call(ctx, u, "POST", "/api/cases/"+c.ID+"/approve", map[string]string{"sum": sum, "opinion": "同意"}, &c); err != nil {
				return nil, err
			}
		}
		d.logf("审核签发：「%s」%d 人签批同意", st.Name, len(st.Signers))
	}

	publish := map[string]any{"date": d.Date.Format("2006-01-02")}
	if !d.Printed.IsZero() {
		publish["printed"] = d.Printed.Format("2006-01-02")
	}
	if d.Openness != "" {
		publish["openness"] = d.Openness
	}
	if d.Note != nil {
		publish["note"] = *d.Note
	}
	if err := d.call(ctx, d.Clerk, "POST", "/api/cases/"+c.ID+"/publish", publish, &c); err != nil {
		return nil, err
	}
	p := c.Publication
	d.logf("发布：%s，成文日期 %s，印发日期 %s，%s", p.Number(), workflow.DateCN(p.Date), workflow.DateCN(p.PrintedOn()), p.Openness.Label())
	return &c, nil
}

func (d *Demo) sectionPath(caseID, secID string) string {
	return "/api/cases/" + caseID + "/sections/" + secID
}

func (d *Demo) logf(format string, args ...any) {
	if d.Log != nil {
		fmt.Fprintf(d.Log, format+"\n", args...)
	}
}

func countLeads(secs []workflow.Section) int {
	seen := map[string]bool{}
	for _, s := range secs {
		seen[s.Lead] = true
	}
	return len(seen)
}

// call sends in as JSON as user and decodes the answer into out.
func (d *Demo) call(ctx context.Context, user, method, p string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	return d.send(ctx, user, method, p, "application/json", body, out)
}

// APIError is a refused request.
type APIError struct {
	Method, Path, User string
	Status             int
	Message            string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s as %s: %d %s", e.Method, e.Path, e.User, e.Status, e.Message)
}

func (d *Demo) send(ctx context.Context, user, method, p, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(d.BaseURL, "/")+p, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if d.Sign != nil {
		d.Sign(req, user)
	} else {
		req.Header.Set("X-Docflow-User", user)
	}
	hc := d.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var prob struct{ Error string }
		json.Unmarshal(b, &prob)
		if prob.Error == "" {
			prob.Error = strings.TrimSpace(string(b))
		}
		return &APIError{Method: method, Path: p, User: user, Status: resp.StatusCode, Message: prob.Error}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, p, err)
		}
	}
	return nil
}

// login returns an account of the department with the role.
func (d *Demo) login(dept string, r workflow.Role) (string, error) {
	for _, a := range d.Accounts {
		if a.Dept == dept && a.Has(r) && !a.Disabled {
			return a.User, nil
		}
	}
	return "", fmt.Errorf("no %s account for %s among the accounts", r, dept)
}
