package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/docflow/docflow/internal/textdiff"
	"github.com/docflow/docflow/internal/workflow"
)

func (s *Server) compilePost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "汇总") },
		Do: func(ctx context.Context) (string, string, error) {
			c, err := s.Service.Compile(ctx, b.Me, r.PathValue("id"))
			if err != nil {
				return "", "", err
			}
			return "/cases/" + c.ID + "/report", b.T("已汇总生成报告第 %d 稿", c.Report.Current.N), nil
		},
		Back: "/cases/" + pathEscape(r.PathValue("id")),
	})
}

// reportView is the whole report, for the clerk to edit (each save a
// version) and for signers to read.
type reportView struct {
	*base
	C         *workflow.Case
	CanEdit   bool
	Title     string
	Addressee string
	Body      string
	Note      string
	Rev       int
	Preview   string
	Versions  []workflow.Version
	Chain     []stepView
	Errs      fieldErrors
	Conflict  *conflictView
	Frame     *frameForm // the clerk's opening and closing, while compiling
}

func (s *Server) newReportView(r *http.Request, b *base, c *workflow.Case) (*reportView, error) {
	if !c.HasReport() {
		return nil, workflow.Errorf("web.report", workflow.NotFound, "案件 %s 尚未汇总报告，或您无权查看", c.ID)
	}
	// The history and the text are read on one reading of the case.
	rd, err := s.Service.Read(r.Context(), b.Me, c.ID)
	if err != nil {
		return nil, err
	}
	cur := c.Report.Current
	body, err := rd.Text(r.Context(), cur.Hash)
	if err != nil {
		return nil, err
	}
	v := &reportView{base: b, C: c, Title: cur.Heading, Addressee: cur.Addressee, Body: body, Rev: c.Report.Rev,
		Preview: s.preview(body), Chain: chainView(c), Errs: fieldErrors{}}
	v.CanEdit = workflow.Can(b.Me, c, workflow.ActEditReport, nil)
	if v.Versions, _, err = s.streamPage(r.Context(), rd, ""); err != nil {
		return nil, err
	}
	if workflow.Can(b.Me, c, workflow.ActFrame, nil) {
		if v.Frame, err = s.newFrameForm(b, c, "report"); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.newReportView(r, b, c)
	if err != nil {
		return err
	}
	b.Title = b.T("报告") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, reportContent(v))
}

func (s *Server) reportPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var c *workflow.Case
	var v *reportView
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "修改报告") },
		Load: func(ctx context.Context) (err error) {
			if c, err = s.Service.Case(ctx, b.Me, r.PathValue("id")); err != nil {
				return err
			}
			v, err = s.newReportView(r, b, c)
			b.Title = b.T("报告") + " " + c.Opinion.Number
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			v.Title, v.Addressee, v.Body, v.Note = f.Get("title"), f.Get("addressee"), normalizeNewlines(f.Get("body")), f.Get("note")
			v.Rev, _ = strconv.Atoi(f.Get("rev"))
			v.Preview = s.preview(v.Body)
			if f.Get("action") == "preview" {
				b.Flash = b.T("以下为预览，尚未保存")
				return nil, errShown
			}
			checkHeading(b, v.Errs, "title", v.Title)
			if strings.TrimSpace(v.Addressee) == "" {
				v.Errs.add("addressee", b.T("主送机关不能为空"))
			}
			checkLen(b, v.Errs, "addressee", v.Addressee, workflow.MaxHeading)
			checkLen(b, v.Errs, "note", v.Note, workflow.MaxHeading)
			switch {
			case strings.TrimSpace(v.Body) == "":
				v.Errs.add("body", b.T("正文不能为空"))
			case len(v.Body) > workflow.MaxBody:
				v.Errs.add("body", b.T("正文过长（%d 字节，上限 %d 字节）", len(v.Body), workflow.MaxBody))
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			saved, err := s.Service.SaveReport(ctx, b.Me, c.ID, v.Rev, v.Title, v.Addressee, v.Body, v.Note)
			if err != nil {
				return "", "", err
			}
			msg := b.T("已保存报告第 %d 稿", saved.Report.Current.N)
			if saved.Stage == workflow.Signing && c.Stage != workflow.Compiling {
				msg += b.T("；此前的签批针对旧稿，已失效，须重新签批")
			}
			return "/cases/" + c.ID + "/report", msg, nil
		},
		// A conflict shows the newest draft beside the clerk's text, which
		// stays in the editor.
		Refused: func(k workflow.Kind, _ error) error {
			if k != workflow.Conflict {
				return nil
			}
			fresh, err := s.Service.Case(r.Context(), b.Me, c.ID)
			if err != nil {
				return err
			}
			fv, err := s.newReportView(r, b, fresh)
			if err != nil {
				return err
			}
			fv.Conflict = &conflictView{Theirs: fresh.Report.Current, TheirBody: fv.Body, Lines: textdiff.Lines(fv.Body, v.Body)}
			fv.Title, fv.Addressee, fv.Body, fv.Note, fv.Preview = v.Title, v.Addressee, v.Body, v.Note, v.Preview
			v = fv
			return nil
		},
		Kept: b.T("。您的文字仍在下方编辑框中，未丢失；请对照最新稿修改后再保存。"),
		Show: func(status int) error { return s.render(w, b, status, reportContent(v)) },
	})
}

func (s *Server) reportDiff(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	rd, err := s.Service.Read(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	c := rd.Case()
	if !c.HasReport() {
		return workflow.Errorf("web.report", workflow.NotFound, "案件 %s 尚未汇总报告，或您无权查看", c.ID)
	}
	v, err := s.diff(r, b, rd, "")
	if err != nil {
		return err
	}
	v.Label, v.Back, v.ShowAddresse = b.T("报告"), "/cases/"+c.ID+"/report", true
	v.Action = v.Back + "/diff"
	b.Title = b.T("版本比较") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, diffContent(v))
}

// printPage is the current draft as it will print: the notice page
// without number or date, which only publication gives.
func (s *Server) printPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !c.HasReport() {
		return workflow.Errorf("web.print", workflow.NotFound, "案件 %s 尚未汇总报告，或您无权查看", c.ID)
	}
	p, ok := s.previewer()
	if !ok {
		return workflow.Errorf("web.print", workflow.NotFound, "此部署无法排版预览")
	}
	n, err := s.Service.Notice(r.Context(), c)
	if err != nil {
		return err
	}
	page, err := p.HTML(n)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", printPolicy)
	w.Write(page)
	return nil
}

// signoffView starts the sign-off chain: the default chain, editable.
type signoffView struct {
	*base
	C         *workflow.Case
	Steps     []stepRow
	Approvers []workflow.Identity
	Errs      fieldErrors
}

type stepRow struct {
	I       int
	Name    string
	Signers string // logins separated by spaces
	Names   []string
	Err     string
}

func (s *Server) approvers(ctx context.Context) []workflow.Identity {
	var out []workflow.Identity
	for _, a := range s.accounts(ctx, workflow.Approver) {
		out = append(out, a.Identity())
	}
	return out
}

func (s *Server) signoffPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "发起审核签发"); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &signoffView{base: b, C: c, Approvers: s.approvers(r.Context()), Errs: fieldErrors{}}
	chain, err := s.Service.DefaultChain(r.Context(), c)
	if err != nil {
		return err
	}
	for i, st := range chain {
		row := stepRow{I: i, Name: st.Name, Signers: strings.Join(st.Signers, " ")}
		for _, u := range st.Signers {
			row.Names = append(row.Names, b.UserName(u))
		}
		v.Steps = append(v.Steps, row)
	}
	v.Steps = append(v.Steps, stepRow{I: len(v.Steps)})
	b.Title = b.T("发起审核签发") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, signoffContent(v))
}

func splitLogins(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == '\t' || r == '\n' || r == '\r'
	})
}

func (s *Server) signoffPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *signoffView
	var chain []workflow.Step
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "发起审核签发") },
		Load: func(ctx context.Context) error {
			c, err := s.Service.Case(ctx, b.Me, r.PathValue("id"))
			if err != nil {
				return err
			}
			b.Title = b.T("发起审核签发") + " " + c.Opinion.Number
			v = &signoffView{base: b, C: c, Approvers: s.approvers(ctx), Errs: fieldErrors{}}
			return nil
		},
		Read: func(p url.Values) (fieldErrors, error) {
			names, signers := p["step-name"], p["step-signers"]
			for i := range names {
				row := stepRow{I: i, Name: strings.TrimSpace(names[i])}
				if i < len(signers) {
					row.Signers = signers[i]
				}
				logins := splitLogins(row.Signers)
				switch {
				case row.Name == "" && len(logins) == 0:
				case row.Name == "":
					row.Err = b.T("请填写环节名称")
				case len(logins) == 0:
					row.Err = b.T("请填写签批人")
				}
				for _, u := range logins {
					a, err := s.Service.Dir.Account(r.Context(), u)
					if row.Err == "" && (err != nil || !a.Has(workflow.Approver)) {
						row.Err = b.T("%q 不是登记的审核签发人", u)
					}
					row.Names = append(row.Names, b.UserName(u))
				}
				if row.Err != "" {
					v.Errs.add(fmt.Sprintf("step-%d", i), row.Err)
				} else if row.Name != "" {
					chain = append(chain, workflow.Step{Name: row.Name, Signers: logins})
				}
				v.Steps = append(v.Steps, row)
			}
			if len(v.Errs) == 0 && len(chain) == 0 {
				b.Error = b.T("签批流程为空")
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			if _, err := s.Service.StartSignoff(ctx, b.Me, v.C.ID, chain); err != nil {
				return "", "", err
			}
			return "/cases/" + v.C.ID, b.T("已发起审核签发"), nil
		},
		Show: func(status int) error { return s.render(w, b, status, signoffContent(v)) },
	})
}

// queueView is what awaits an approver: cases whose current step names
// them and that they have not approved in its current draft.
type queueView struct {
	*base
	Mine  []caseRow
	Other []caseRow
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	if !b.Me.Has(workflow.Approver) {
		return workflow.Errorf("web.queue", workflow.Forbidden, "待签批列表只对审核签发人开放")
	}
	// Cases wait in signing for weeks at most: the stage's list is short.
	var cs []workflow.Summary
	for q := (workflow.Query{Stage: workflow.Signing, Limit: workflow.MaxPage}); ; {
		p, err := s.Service.Cases(r.Context(), b.Me, q)
		if err != nil {
			return err
		}
		cs = append(cs, p.Cases...)
		if p.Next == "" || len(cs) >= 4*workflow.MaxPage {
			break
		}
		q.Cursor = p.Next
	}
	v := &queueView{base: b}
	for _, c := range cs {
		if !slices.Contains(c.Signers, b.Me.User) {
			continue
		}
		row := s.caseRow(b, c)
		if slices.Contains(row.Awaiting, b.Me.User) {
			v.Mine = append(v.Mine, row)
		} else {
			v.Other = append(v.Other, row)
		}
	}
	b.Title = b.T("待签批")
	return s.render(w, b, http.StatusOK, queueContent(v))
}

// reviewView is an approver's page: the draft as it will print, what
// changed since the version they last approved, and the approve/return form.
type reviewView struct {
	*base
	C         *workflow.Case
	Cur       workflow.Version
	Step      string
	MyTurn    bool
	Chain     []stepView
	LastSeen  *workflow.Version
	Same      bool
	Heading   []textdiff.Span
	Addressee []textdiff.Span
	Retitled  bool // title or addressee changed
	Lines     []textdiff.Line
	Ins, Del  int
	Marked    string // the body as it prints, changes marked
	Opinion   string
	Errs      fieldErrors
}

func (s *Server) newReviewView(r *http.Request, b *base, c *workflow.Case) (*reviewView, error) {
	if c.Report == nil || len(c.Chain) == 0 {
		return nil, workflow.Errorf("web.review", workflow.NotFound, "案件 %s 尚未发起审核签发，或您无权查看", c.ID)
	}
	cur := c.Report.Current
	v := &reviewView{base: b, C: c, Cur: cur, Chain: chainView(c), Errs: fieldErrors{}}
	if i := c.CurrentStep(); i < len(c.Chain) && c.Stage == workflow.Signing {
		v.Step = c.Chain[i].Name
		v.MyTurn = slices.Contains(c.Chain[i].Pending(cur.Sum), b.Me.User)
	}
	body, err := s.Service.Text(r.Context(), b.Me, c.ID, cur.Hash)
	if err != nil {
		return nil, err
	}
	v.Marked = s.preview(body)
	// The version this approver last approved: the domain records
	// approvals, not views, so "last seen" is the last approval, which the
	// chain keeps for each signer with the event of the version approved.
	var last workflow.Approval
	for _, st := range c.Chain {
		if a, ok := st.Last(b.Me.User); ok && a.Seq > 0 && !a.At.Before(last.At) {
			last = a
		}
	}
	if last.Seq == 0 {
		return v, nil
	}
	e, old, err := s.Service.Recorded(r.Context(), b.Me, c.ID, "", last.Seq)
	if err != nil {
		return nil, err
	}
	if e.Version == nil {
		return v, nil
	}
	v.LastSeen = e.Version
	v.Same = v.LastSeen.Sum == cur.Sum
	v.Heading = textdiff.Chars(v.LastSeen.Heading, cur.Heading)
	v.Addressee = textdiff.Chars(v.LastSeen.Addressee, cur.Addressee)
	v.Retitled = v.LastSeen.Heading != cur.Heading || v.LastSeen.Addressee != cur.Addressee
	v.Lines = textdiff.Lines(old, body)
	v.Ins, v.Del = textdiff.Stats(v.Lines)
	if !v.Same {
		v.Marked = s.marked(v.Lines)
	}
	return v, nil
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.newReviewView(r, b, c)
	if err != nil {
		return err
	}
	b.Title = b.T("审核签发") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, reviewContent(v))
}

// signAction approves or returns; refusals that the approver can act on
// show the review page again with their 意见 kept.
func (s *Server) signAction(w http.ResponseWriter, r *http.Request, b *base, ret bool) error {
	id := r.PathValue("id")
	var sum, opinion string
	var v *reviewView
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Read: func(p url.Values) (fieldErrors, error) {
			sum, opinion = p.Get("sum"), p.Get("opinion")
			if ret && strings.TrimSpace(opinion) == "" {
				return nil, refuseField("opinion", b.T("退回时须填写意见"))
			}
			return nil, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			if ret {
				_, err := s.Service.ReturnReport(ctx, b.Me, id, sum, opinion)
				return "/queue", b.T("已退回区府办"), err
			}
			c, err := s.Service.Approve(ctx, b.Me, id, sum, opinion)
			if err != nil {
				return "", "", err
			}
			flash := b.T("已签批同意")
			if c.Stage == workflow.Approved {
				flash += b.T("；签批完成，待发布")
			}
			return "/queue", flash, nil
		},
		// The review page is read again, so that after a conflict it shows
		// the newest draft; the 意见 typed stays.
		Refused: func(k workflow.Kind, err error) error {
			c, cerr := s.Service.Case(r.Context(), b.Me, id)
			if cerr != nil {
				return cerr
			}
			if v, cerr = s.newReviewView(r, b, c); cerr != nil {
				return cerr
			}
			v.Opinion = opinion
			b.Title = b.T("审核签发") + " " + c.Opinion.Number
			var fe *formError
			switch {
			case errors.As(err, &fe):
				v.Errs.add(fe.field, fe.msg)
			case k == workflow.Invalid:
				v.Errs.add("opinion", b.Error)
				b.Error = b.T("请更正标出的项目")
			}
			return nil
		},
		Kept: b.T("。页面已显示最新稿，您填写的意见仍在。"),
		Show: func(status int) error { return s.render(w, b, status, reviewContent(v)) },
	})
}

func (s *Server) approvePost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.signAction(w, r, b, false)
}

func (s *Server) returnReportPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.signAction(w, r, b, true)
}

// marked renders the new text with what changed since the old marked:
// inserted characters in <ins>, deleted ones in <del>. Markers are private
// use characters put into the Markdown and turned into tags after
// rendering, so the text still goes through the safe renderer; the same
// characters are removed from the input first so no one can forge a tag.
func (s *Server) marked(lines []textdiff.Line) string {
	const insOn, insOff, delOn, delOff = "\uE000", "\uE001", "\uE002", "\uE003"
	strip := strings.NewReplacer(insOn, "", insOff, "", delOn, "", delOff, "")
	var md strings.Builder
	for _, l := range lines {
		switch {
		case l.Op == textdiff.Delete:
			t := strings.TrimSpace(strings.TrimLeft(strip.Replace(l.Text()), "#"))
			if t != "" {
				md.WriteString("\n" + delOn + t + delOff + "\n\n")
			}
			continue
		case l.Op == textdiff.Insert:
			t := strip.Replace(l.Text())
			prefix, rest := markdownPrefix(t)
			if strings.TrimSpace(rest) != "" {
				t = prefix + insOn + rest + insOff
			}
			md.WriteString(t)
		case l.Changed:
			prefix := ""
			for i, sp := range l.Spans {
				t := strip.Replace(sp.Text)
				if i == 0 && sp.Op == textdiff.Equal {
					prefix, t = markdownPrefix(t)
					md.WriteString(prefix)
				}
				switch sp.Op {
				case textdiff.Insert:
					md.WriteString(insOn + t + insOff)
				case textdiff.Delete:
					md.WriteString(delOn + t + delOff)
				default:
					md.WriteString(t)
				}
			}
		default:
			md.WriteString(strip.Replace(l.Text()))
		}
		md.WriteString("\n")
	}
	return strings.NewReplacer(insOn, "<ins>", insOff, "</ins>", delOn, "<del>", delOff, "</del>").Replace(s.preview(md.String()))
}

// markdownPrefix splits off a line's block markup (heading marks, list
// bullets, quote marks), which must stay outside the markers.
func markdownPrefix(line string) (prefix, rest string) {
	i := 0
	for i < len(line) && strings.IndexByte("# >-*+\t", line[i]) >= 0 {
		i++
	}
	// An ordered-list number ("12. " or "3) ") is markup too.
	j := i
	for j < len(line) && line[j] >= '0' && line[j] <= '9' {
		j++
	}
	if j > i && j+1 < len(line) && (line[j] == '.' || line[j] == ')') && line[j+1] == ' ' {
		i = j + 2
	}
	return line[:i], line[i:]
}
