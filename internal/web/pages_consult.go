package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// 征求意见 (workflow.Consult): the clerk's page sends the compiled draft
// to named contacts and shows each link once; the case page shows the
// round; /consult?t=<token> is the contact's page — the draft sent and a
// comment form — which needs no account: the token is its own proof
// (workflow.Service.ConsultPage). The token travels in the query of the
// GET and in the body of the POST, never in the path, so the access log
// (which records paths) does not keep it; pages send `same-origin`
// referrers, so no other site sees it either.

func init() {
	actionLabels["consult"] = "征求意见"
	actionLabels["revoke-consult"] = "撤回征求意见链接"
	actionLabels["consult-answer"] = "征求意见回复"
	for k, v := range consultEnglish { // the catalog's own translations win
		if _, ok := english[k]; !ok {
			english[k] = v
		}
	}
}

// consultForm is the clerk's form: up to workflow.MaxContacts rows.
type consultForm struct {
	Rows []consultRow
	Days string
	Errs fieldErrors
}

type consultRow struct {
	workflow.ContactInput
	I int
}

// field names a row's field in the form and in fieldErrors.
func (r consultRow) Field(name string) string { return fmt.Sprintf("%s%d", name, r.I) }

func newConsultForm() *consultForm {
	f := &consultForm{Errs: fieldErrors{}}
	for i := range workflow.MaxContacts {
		f.Rows = append(f.Rows, consultRow{I: i + 1})
	}
	return f
}

// consultPanel is the round as the office sees it, on the case page and
// the clerk's page.
type consultPanel struct {
	C         *workflow.Case
	K         *workflow.Consultation
	Answers   map[string]workflow.Comment
	CanRevoke bool
	Now       time.Time
}

// Expired reports whether the round's links have expired.
func (p *consultPanel) Expired() bool { return !p.Now.Before(p.K.Expires) }

// Changed reports whether the report changed since the draft sent.
func (p *consultPanel) Changed() bool { return p.K.Changed(p.C) }

// DiffURL compares the draft sent with the report as it stands.
func (p *consultPanel) DiffURL() string {
	return fmt.Sprintf("/cases/%s/report/diff?a=%d&b=%d", p.C.ID, p.K.Draft.Seq, p.C.Report.Current.Seq)
}

// newConsultPanel is the case's round for the office, or nil when there
// is none or id may not see it.
func (s *Server) newConsultPanel(r *http.Request, b *base, c *workflow.Case) (*consultPanel, error) {
	if c.Consult == nil || !b.Me.Has(workflow.Clerk) && !b.Me.Has(workflow.Admin) && !isSigner(c, b.Me.User) {
		return nil, nil
	}
	rd, err := s.Service.Read(r.Context(), b.Me, c.ID)
	if err != nil {
		return nil, err
	}
	ans, err := rd.ConsultAnswers(r.Context())
	if err != nil {
		return nil, err
	}
	return &consultPanel{C: c, K: c.Consult, Answers: ans, Now: b.Now,
		CanRevoke: workflow.Can(b.Me, c, workflow.ActRevokeConsult, nil)}, nil
}

// consultView is the clerk's page: the form (while compiling), the links
// made (this once), the round.
type consultView struct {
	*base
	C       *workflow.Case
	CanSend bool
	F       *consultForm
	Links   []consultLinkRow
	Panel   *consultPanel
}

type consultLinkRow struct {
	workflow.ConsultLink
	URL    string
	Mailto string
}

func (s *Server) consultView(r *http.Request, b *base, c *workflow.Case, f *consultForm) (*consultView, error) {
	p, err := s.newConsultPanel(r, b, c)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = newConsultForm()
	}
	b.Title = b.T("征求意见") + " " + c.Opinion.Number
	return &consultView{base: b, C: c, CanSend: workflow.Can(b.Me, c, workflow.ActConsult, nil) && c.HasReport(), F: f, Panel: p}, nil
}

func (s *Server) consultPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "征求意见"); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.consultView(r, b, c, nil)
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, consultContent(v))
}

func (s *Server) consultPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var c *workflow.Case
	var v *consultView
	f := newConsultForm()
	var in []workflow.ContactInput
	var days int
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "征求意见") },
		Load: func(ctx context.Context) (err error) {
			if c, err = s.Service.Case(ctx, b.Me, r.PathValue("id")); err != nil {
				return err
			}
			return workflow.Allowed(b.Me, c, workflow.ActConsult, nil)
		},
		Read: func(p url.Values) (fieldErrors, error) {
			f.Days = strings.TrimSpace(p.Get("days"))
			var rows []int // the form row of each contact given
			for i := range f.Rows {
				row := &f.Rows[i]
				row.Name, row.Org, row.Email = strings.TrimSpace(p.Get(row.Field("name"))), strings.TrimSpace(p.Get(row.Field("org"))), strings.TrimSpace(p.Get(row.Field("email")))
				if row.Name != "" || row.Org != "" || row.Email != "" {
					in = append(in, row.ContactInput)
					rows = append(rows, row.I)
				}
			}
			// Rows past the form's (a hand-made request) count too, so that the
			// limit is refused, not silently cut.
			for i := workflow.MaxContacts + 1; p.Has(fmt.Sprintf("name%d", i)); i++ {
				in = append(in, workflow.ContactInput{Name: p.Get(fmt.Sprintf("name%d", i)), Org: p.Get(fmt.Sprintf("org%d", i))})
				rows = append(rows, 0)
			}
			if f.Days != "" {
				var err error
				if days, err = strconv.Atoi(f.Days); err != nil || days < 1 || days > workflow.MaxConsultDays {
					f.Errs.add("days", b.T("有效天数须为 1–%d 的整数", workflow.MaxConsultDays))
				}
			}
			for _, pr := range workflow.CheckContacts(in) {
				if pr.Row < 1 || rows[pr.Row-1] == 0 {
					f.Errs.add("contacts", pr.Msg)
					continue
				}
				f.Errs.add(fmt.Sprintf("%s%d", pr.Field, rows[pr.Row-1]), pr.Msg)
			}
			var err error
			v, err = s.consultView(r, b, c, f)
			return f.Errs, err
		},
		// The links are shown once, on this page: nothing to redirect to.
		Do: func(ctx context.Context) (string, string, error) {
			round, _ := strconv.Atoi(r.PostForm.Get("round"))
			saved, links, err := s.Service.Consult(ctx, b.Me, c.ID, r.PostForm.Get("sum"), round, days, in)
			if err != nil {
				return "", "", err
			}
			if v, err = s.consultView(r, b, saved, nil); err != nil {
				return "", "", err
			}
			v.Links = consultLinks(r, saved, links)
			return "", b.T("已生成 %d 个征求意见链接。链接只显示这一次，请立即复制发给对象；离开本页后无法再次查看（可重新发起一轮）。", len(links)), nil
		},
		Kept: b.T("。您填写的对象仍在下方，未丢失。"),
		Show: func(status int) error { return s.render(w, b, status, consultContent(v)) },
	})
}

// consultLinks are the rows that show a round's new links, each with a
// mailto: the clerk can send from their own mail program.
func consultLinks(r *http.Request, saved *workflow.Case, links []workflow.ConsultLink) []consultLinkRow {
	origin := "http://" + r.Host
	if secure(r) {
		origin = "https://" + r.Host
	}
	var rows []consultLinkRow
	for _, l := range links {
		u := origin + "/consult?t=" + url.QueryEscape(l.Token)
		row := consultLinkRow{ConsultLink: l, URL: u}
		if l.Contact.Email != "" {
			subject := fmt.Sprintf("征求意见：%s", saved.Consult.Draft.Heading)
			body := fmt.Sprintf("%s：\n\n现将%s（第 %d 稿）发送给您征求意见，请于 %s 前通过以下链接查看并提出意见（无需登录；链接仅供您本人使用，请勿转发）：\n\n%s\n",
				l.Contact.Name, saved.Consult.Draft.Heading, saved.Consult.Draft.N, datetime(saved.Consult.Expires), u)
			row.Mailto = "mailto:" + l.Contact.Email + "?subject=" + url.PathEscape(subject) + "&body=" + url.PathEscape(body)
		}
		rows = append(rows, row)
	}
	return rows
}

func (s *Server) consultRevoke(w http.ResponseWriter, r *http.Request, b *base) error {
	id := r.PathValue("id")
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "撤回征求意见链接") },
		Do: func(ctx context.Context) (string, string, error) {
			name := r.PostForm.Get("contact")
			c, err := s.Service.RevokeConsult(ctx, b.Me, id, name)
			if err != nil {
				return "", "", err
			}
			if k, ok := c.Consult.Contact(name); ok {
				name = k.Label()
			}
			return "/cases/" + c.ID + "/consult", b.T("已撤回 %s 的链接", name), nil
		},
		Back: "/cases/" + pathEscape(id) + "/consult",
	})
}

// consultLinkView is a contact's page: the draft sent, their comment.
type consultLinkView struct {
	*base
	Token   string
	D       *workflow.ConsultDraft
	Preview string
	Text    string // the comment as typed
	Errs    fieldErrors
}

// consultLinkPage is what a link shows.
func (s *Server) consultLinkPage(w http.ResponseWriter, r *http.Request, b *base) error {
	token := r.URL.Query().Get("t")
	d, err := s.Service.ConsultPage(r.Context(), token)
	if err != nil {
		return s.consultRefused(w, r, b, err, "")
	}
	b.Path = "/consult?t=" + url.QueryEscape(token) // the language switch keeps the link
	v := &consultLinkView{base: b, Token: token, D: d, Preview: s.preview(d.Body), Text: d.Answer, Errs: fieldErrors{}}
	return s.renderConsultLink(w, b, http.StatusOK, v)
}

// consultLinkPost takes a contact's comment.
func (s *Server) consultLinkPost(w http.ResponseWriter, r *http.Request, b *base) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxConsultForm)
	if err := r.ParseForm(); err != nil {
		return err
	}
	token, text := r.PostForm.Get("t"), normalizeNewlines(r.PostForm.Get("comment"))
	if !s.consults.allow(clientAddr(r), s.now()) {
		return s.consultRefused(w, r, b, workflow.Errorf("web.consult", workflow.Forbidden, "提交过于频繁，请 %d 分钟后再试", int(window.Minutes())), text)
	}
	d, err := s.Service.ConsultPage(r.Context(), token)
	if err != nil {
		return s.consultRefused(w, r, b, err, text)
	}
	v := &consultLinkView{base: b, Token: token, D: d, Preview: s.preview(d.Body), Text: text, Errs: fieldErrors{}}
	switch n := utf8.RuneCountInString(strings.TrimSpace(text)); {
	case n == 0:
		v.Errs.add("comment", b.T("意见不能为空：请填写对稿件的意见；没有意见可填写「无意见」"))
	case n > workflow.MaxConsultAnswer:
		v.Errs.add("comment", b.T("意见过长（%d 字，上限 %d 字）：请删减后再提交", n, workflow.MaxConsultAnswer))
	}
	if len(v.Errs) > 0 {
		b.Error = b.T("请更正标出的项目")
		return s.renderConsultLink(w, b, http.StatusBadRequest, v)
	}
	if _, err := s.Service.AnswerConsult(r.Context(), token, text); err != nil {
		if workflow.KindOf(err) == workflow.Invalid {
			b.Error = workflow.Message(err)
			return s.renderConsultLink(w, b, http.StatusBadRequest, v)
		}
		return s.consultRefused(w, r, b, err, text)
	}
	return s.redirect(w, r, "/consult?t="+url.QueryEscape(token), b.T("意见已提交，谢谢！如需修改，可在链接有效期内重新提交，新意见取代原意见。"))
}

// maxConsultForm bounds a comment's form: 2,000 characters of up to 4
// bytes, escaped, and the token.
const maxConsultForm = 32 << 10

// renderConsultLink writes a contact's page: never cached, never indexed.
func (s *Server) renderConsultLink(w http.ResponseWriter, b *base, status int, v *consultLinkView) error {
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	b.Title = b.T("征求意见") + " " + v.D.Draft.Heading
	return s.render(w, b, status, consultLinkContent(v))
}

// consultRefused answers a link that is not one (404), one no longer
// valid (410 Gone), or a refusal, keeping what the contact typed. A bad
// link counts against the address like a comment does, so links cannot
// be guessed at speed (they cannot be guessed at all: 256 bits).
func (s *Server) consultRefused(w http.ResponseWriter, r *http.Request, b *base, err error, text string) error {
	v := &errorView{base: b}
	switch {
	case errors.Is(err, workflow.ErrLinkGone):
		v.Status, v.Heading = http.StatusGone, b.T("链接已失效")
	case workflow.KindOf(err) == workflow.NotFound:
		s.consults.allow(clientAddr(r), s.now())
		v.Status, v.Heading = http.StatusNotFound, b.T("链接无效")
	case workflow.KindOf(err) == workflow.Forbidden:
		v.Status, v.Heading = http.StatusTooManyRequests, b.T("提交过于频繁")
	default:
		return err
	}
	v.Message = workflow.Message(err)
	if strings.TrimSpace(text) != "" {
		v.Kept = []keptField{{b.T("意见"), text}}
	}
	b.Title = v.Heading
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	return s.render(w, b, v.Status, errorContent(v))
}

var consultEnglish = map[string]string{
	"征求意见": "Consultation", "征求意见回复": "Consultation comment", "撤回征求意见链接": "Consultation link revoked",
	"有效天数须为 1–%d 的整数":  "Days valid must be a whole number from 1 to %d",
	"。您填写的对象仍在下方，未丢失。": ". The contacts you typed are below, not lost.",
	"已生成 %d 个征求意见链接。链接只显示这一次，请立即复制发给对象；离开本页后无法再次查看（可重新发起一轮）。": "%d consultation links made. They are shown only this once: copy them to the contacts now; they cannot be shown again once you leave this page (you may start another round).",
	"已撤回 %s 的链接": "%s's link is revoked",
	"意见不能为空：请填写对稿件的意见；没有意见可填写「无意见」":        "The comment is empty: write your comments on the draft, or 无意见 (none)",
	"意见过长（%d 字，上限 %d 字）：请删减后再提交":           "The comment is too long (%d characters; at most %d): shorten it and send again",
	"意见已提交，谢谢！如需修改，可在链接有效期内重新提交，新意见取代原意见。": "Your comment is sent, thank you. To change it, send again while the link is valid: the new comment replaces the old.",
	"链接已失效": "The link is no longer valid", "链接无效": "Invalid link", "提交过于频繁": "Too many submissions", "意见": "Comment",
	// consult.templ
	"报告稿发给人大等单位的联系人征求意见：每人一个无需登录的链接，只能查看所发的这一稿并提交一条意见。持有链接的任何人都能查看该稿，请只发给本人。": "Send the report draft to contacts such as the People's Congress committee for comments: each gets a link that needs no account, shows only the draft sent and takes one comment. Anyone holding a link can read that draft: send it to the person only.",
	"发出征求意见": "Send for comments",
	"征求意见对象": "Contacts",
	"至多 %d 位；姓名不超过 %d 字，单位不超过 %d 字；邮箱可不填（填写后可一键打开邮件）。": "At most %d; names up to %d characters, organisations up to %d; the email is optional (with it, one click opens a prepared email).",
	"单位": "Organisation", "电子邮箱（可选）": "Email (optional)",
	"链接有效天数（默认 %d 天，最多 %d 天）": "Days the links are valid (default %d, at most %d)",
	"发出第 %d 稿征求意见":            "Send draft %d for comments",
	"发起新一轮后，本轮尚未失效的链接随即失效。":   "Starting a new round ends the links of the current one.",
	"只有汇总后、发起审核签发前可以发出征求意见。":  "Drafts are sent for comments after compiling and before sign-off starts.",
	"报告尚未汇总。":                 "The report is not compiled yet.",
	"征求意见链接（只显示这一次）":          "Consultation links (shown only this once)",
	"对象": "Contact", "链接": "Link", "发邮件": "Email it",
	"第 %d 轮征求意见": "Consultation round %d", "发出": "Sent", "有效至": "Valid until", "已过期": "Expired",
	"所发稿件": "Draft sent", "第 %d 稿": "draft %d", "回复": "Answered", "未回复": "No answer",
	"已撤回": "Revoked", "撤回链接": "Revoke link", "报告在征求意见后已修改（现为第 %d 稿）": "The report changed after it was sent (now draft %d)",
	"比较所发稿件与现稿": "Compare the draft sent with the current one", "报告在征求意见后未修改。": "The report has not changed since it was sent.",
	"管理征求意见": "Manage consultation", "状态": "State",
	// the contact's page
	"%s：以下是发给您征求意见的报告稿（第 %d 稿），请审阅后在下方提出意见。链接有效至 %s。": "%s: below is the report draft (draft %d) sent to you for comments; please read it and give your comments below. The link is valid until %s.",
	"您的意见（不超过 %d 字）": "Your comments (at most %d characters)",
	"提交意见":           "Send comments", "修改意见（取代已提交的意见）": "Change comments (replaces those sent)",
	"您已提交意见，还可修改 %d 次。":    "Your comments are sent; you may change them %d more times.",
	"此页面只供收到链接的本人使用，请勿转发。": "This page is for the person who received the link: please do not forward it.",
}

// ConsultSent is what POST /api/cases/{id}/consult answers: the round and
// each contact's link, this once.
type ConsultSent struct {
	Case    string           `json:"case"`
	Round   int              `json:"round"`
	Draft   int              `json:"draft"` // the report version sent
	Expires time.Time        `json:"expires"`
	Links   []ConsultLinkOut `json:"links"`
}

// ConsultLinkOut is one contact's link: Path is /consult?t=<token>, on
// this server's address.
type ConsultLinkOut struct {
	Contact string `json:"contact"` // k1, k2, … (for revoking)
	Name    string `json:"name"`
	Org     string `json:"org"`
	Email   string `json:"email,omitempty"`
	Token   string `json:"token"`
	Path    string `json:"path"`
}

// consultAPI answers POST /api/cases/{id}/consult {sum, round, days?,
// contacts: [{name, org, email?}]}; round is the case's round the caller
// saw (0 before the first).
func (s *Server) consultAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Sum      string                  `json:"sum"`
		Round    int                     `json:"round"`
		Days     int                     `json:"days"`
		Contacts []workflow.ContactInput `json:"contacts"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, links, err := s.Service.Consult(r.Context(), id, r.PathValue("id"), in.Sum, in.Round, in.Days, in.Contacts)
	if err != nil {
		return nil, err
	}
	out := &ConsultSent{Case: c.ID, Round: c.Consult.Round, Draft: c.Consult.Draft.N, Expires: c.Consult.Expires}
	for _, l := range links {
		k := l.Contact
		out.Links = append(out.Links, ConsultLinkOut{Contact: k.ID, Name: k.Name, Org: k.Org, Email: k.Email, Token: l.Token, Path: "/consult?t=" + url.QueryEscape(l.Token)})
	}
	return out, nil
}

// revokeConsultAPI answers POST /api/cases/{id}/consult/revoke {contact}.
func (s *Server) revokeConsultAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Contact string `json:"contact"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.RevokeConsult(r.Context(), id, r.PathValue("id"), in.Contact)
}
