package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// home sends each user to where their work is.
func (s *Server) home(w http.ResponseWriter, r *http.Request, b *base) error {
	to := "/notices"
	switch {
	case b.Is("clerk") || b.Is("admin"):
		to = "/cases"
	case b.Is("staff") || b.Is("head"):
		to = "/todo"
	case b.Is("approver"):
		to = "/queue"
	}
	return s.redirect(w, r, to, b.Flash) // keep a message meant for the page the user lands on
}

// loginView lists the built-in accounts (选择身份). Identity is still
// decided by DevIdentity from the cookie this page sets.
type loginView struct {
	*base
	Groups []accountGroup
	Next   string
	Err    string
}

type accountGroup struct {
	Name     string
	Accounts []workflow.Identity
}

// accounts lists the office's accounts, for choosing an identity under
// -dev and for choosing signers: at most a few pages of them.
func (s *Server) accounts(ctx context.Context, role workflow.Role) []workflow.Account {
	var out []workflow.Account
	for q := (workflow.AccountQuery{Role: role, Limit: workflow.MaxPage}); len(out) < 5*workflow.MaxPage; {
		p, err := s.Service.Dir.Accounts(ctx, q)
		if err != nil {
			return out
		}
		for _, a := range p.Accounts {
			if !a.Disabled {
				out = append(out, a)
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	return out
}

// loginPage is the development login (-dev: choose an account) or the
// password form; with an identity provider configured it links to it.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, b *base) error {
	next := r.URL.Query().Get("next")
	if s.Dev {
		b.Title = b.T("选择身份")
		return s.render(w, b, http.StatusOK, loginContent(s.loginView(b, next, "")))
	}
	if s.Sessions == nil {
		return workflow.Errorf("web.login", workflow.NotFound, "此部署通过统一身份认证登录")
	}
	b.Title = b.T("登录")
	return s.render(w, b, http.StatusOK, passwordLoginContent(&passwordLoginView{base: b, Next: safeNext(next), Errs: fieldErrors{}, OIDC: s.Auth != nil}))
}

func (s *Server) loginView(b *base, next, errMsg string) *loginView {
	v := &loginView{base: b, Next: safeNext(next), Err: errMsg}
	groups := map[string]*accountGroup{}
	var order []string
	for _, a := range s.accounts(b.ctx, "") {
		id := a.Identity()
		g := id.Dept
		switch {
		case id.Has(workflow.Clerk) || id.Has(workflow.Admin):
			g = "区府办"
		case id.Dept == "" && id.Has(workflow.Approver):
			g = "审核签发人"
		}
		if groups[g] == nil {
			groups[g] = &accountGroup{Name: g}
			order = append(order, g)
		}
		groups[g].Accounts = append(groups[g].Accounts, id)
	}
	for _, g := range order {
		v.Groups = append(v.Groups, *groups[g])
	}
	return v
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	return next
}

// passwordLoginView is the sign-in form.
type passwordLoginView struct {
	*base
	Next, User string
	Errs       fieldErrors
	OIDC       bool // the office's identity provider is configured: link to it
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if s.Dev {
		return s.devLogin(w, r, b)
	}
	if s.Sessions == nil {
		return workflow.Errorf("web.login", workflow.NotFound, "此部署通过统一身份认证登录")
	}
	f := r.PostForm
	v := &passwordLoginView{base: b, Next: safeNext(f.Get("next")), User: strings.TrimSpace(f.Get("user")), Errs: fieldErrors{}, OIDC: s.Auth != nil}
	b.Title = b.T("登录")
	a, factors, err := s.signIn(r.Context(), r, v.User, f.Get("password"), f.Get("code"))
	if k := workflow.KindOf(err); k == workflow.Forbidden || k == workflow.Invalid {
		b.Error = workflow.Message(err)
		return s.render(w, b, http.StatusForbidden, passwordLoginContent(v))
	}
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, a, factors); err != nil {
		return err
	}
	to := v.Next
	if to == "" {
		to = "/"
	}
	if a.Has(workflow.Approver) && a.TOTP == "" {
		if o, err := s.Service.Office(r.Context()); err == nil && o.Policy.SecondFactor {
			return s.redirect(w, r, "/account#totp", b.T("本单位要求审核签发人使用动态口令：请先设置，设置后才能签批"))
		}
	}
	return s.redirect(w, r, to, b.T("您好，%s（%s）", a.Name, a.Title))
}

// devLogin signs in as a chosen account without proof: -dev only.
func (s *Server) devLogin(w http.ResponseWriter, r *http.Request, b *base) error {
	user := r.PostForm.Get("user")
	a, err := s.Service.Dir.Account(r.Context(), user)
	if err != nil && workflow.KindOf(err) != workflow.NotFound {
		return err
	}
	if a == nil || a.Disabled {
		b.Title = b.T("选择身份")
		return s.render(w, b, http.StatusBadRequest, loginContent(s.loginView(b, r.PostForm.Get("next"), b.T("没有账号 %q，请从列表中选择", user))))
	}
	id := a.Identity()
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: id.User, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	to := safeNext(r.PostForm.Get("next"))
	if to == "" {
		to = "/"
	}
	return s.redirect(w, r, to, b.T("您好，%s（%s）", id.Name, id.Title))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, b *base) error {
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: "", Path: "/", MaxAge: -1})
	if s.Sessions != nil {
		s.endSession(w, r)
	}
	return s.redirect(w, r, "/notices", b.T("已退出"))
}

// caseRow is a case in a list, read from its summary.
type caseRow struct {
	C        workflow.Summary
	Overdue  int // parts past their due date and not yet submitted
	Late     bool
	Step     string // current sign-off step
	Awaiting []string
}

// casesView is a page of the office's list of cases, its filters as given
// and where the next page starts.
type casesView struct {
	*base
	Rows    []caseRow
	Stage   string
	Stages  []workflow.Stage
	Query   string // the search as typed
	Year    string
	Overdue bool
	Next    string // the URL of the next page, or ""
	// Kinds are the office's kinds of case (issue 13), for the clerk's
	// filter; Kind the one chosen.
	Kinds []workflow.CaseKind
	Kind  string
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	if !slices.Contains(workflow.Stages, q.Stage) {
		q.Stage = ""
	}
	p, err := s.Service.Cases(r.Context(), b.Me, q)
	if err != nil {
		return err
	}
	v := &casesView{base: b, Stage: string(q.Stage), Stages: workflow.Stages, Query: q.Text, Overdue: q.Overdue, Kind: q.Kind}
	// The clerk filters by kind (代表建议, 政协提案): the office's kinds are
	// read for them, not on every department's list.
	// Without the office (a new installation) the list has no such filter.
	if b.Is("clerk") || q.Kind != "" {
		if o, err := s.Service.Office(r.Context()); err == nil {
			v.Kinds = o.Profile.Kinds
		}
	}
	if q.Year != 0 {
		v.Year = strconv.Itoa(q.Year)
	}
	for _, c := range p.Cases {
		v.Rows = append(v.Rows, s.caseRow(b, c))
	}
	v.Next = nextURL(r, p.Next)
	b.Title = b.T("案件")
	return s.render(w, b, http.StatusOK, casesContent(v))
}

// nextURL is the current list's URL at the cursor next, or "" at the end.
func nextURL(r *http.Request, next string) string {
	if next == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", next)
	return r.URL.Path + "?" + q.Encode()
}

func (s *Server) caseRow(b *base, c workflow.Summary) caseRow {
	return caseRow{C: c, Late: c.Stage != workflow.Published && b.DaysLeft(c.Due) < 0, Overdue: c.Overdue(b.Now),
		Step: c.Step, Awaiting: c.Awaiting}
}

func sectionOverdue(b *base, c *workflow.Case, sec *workflow.Section) bool {
	return c.Stage == workflow.Drafting && sec.State.Writable() && b.DaysLeft(sec.Due) < 0
}

// uploadView is the form for a new opinion file.
type uploadView struct {
	*base
	Errs fieldErrors
	// Post, where the deployment can presign one (AWS), sends the file
	// straight to the inbox bucket instead of to POST /cases/new.
	Post *PostUpload
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "登记来文"); err != nil {
		return err
	}
	b.Title = b.T("登记来文")
	v := &uploadView{base: b, Errs: fieldErrors{}}
	if pu, ok := s.Uploads.(PostUploads); ok {
		post, err := pu.PresignPost(r.Context(), b.Me)
		if err != nil {
			return err
		}
		v.Post = post
		// The form's action is the bucket: allow it (and only it) as a
		// form target on this page.
		if u, err := url.Parse(post.URL); err == nil && u.Scheme != "" && u.Host != "" {
			w.Header().Set("Content-Security-Policy", strings.Replace(pageCSP, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1))
		}
	}
	return s.render(w, b, http.StatusOK, uploadContent(v))
}

// uploadWait is how long GET /cases/uploaded keeps waiting for the inbox
// event to open the case before it says something may have gone wrong.
const uploadWait = 60 * time.Second

// uploadedView is the page the bucket sends the browser back to after a
// form upload, while the inbox event opens the case.
type uploadedView struct {
	*base
	Key    string
	Failed bool // waited uploadWait without a case
}

// uploadedPage waits for the case opened from an inbox key (the bucket
// appends ?bucket=…&key=…&etag=… to the form's success_action_redirect):
// once the S3 event has opened it, it sends the clerk there; until then
// the page reloads itself every 2 s (a Refresh header: no JavaScript).
// The case is found among the newest page of the clerk's cases by its
// summary's Source.
func (s *Server) uploadedPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "登记来文"); err != nil {
		return err
	}
	q := r.URL.Query()
	key := q.Get("key")
	if key == "" {
		return workflow.Errorf("web.uploaded", workflow.Invalid, "缺少上传的文件键")
	}
	// The case opened from the key is among the newest.
	p, err := s.Service.Cases(r.Context(), b.Me, workflow.Query{})
	if err != nil {
		return err
	}
	for _, c := range p.Cases {
		if c.Source == key {
			return s.redirect(w, r, "/cases/"+url.PathEscape(c.ID), b.T("来文已登记，请核对来文信息"))
		}
	}
	now := time.Now()
	since, err := strconv.ParseInt(q.Get("since"), 10, 64)
	if err != nil || since > now.Unix() {
		since = now.Unix()
	}
	v := &uploadedView{base: b, Key: key, Failed: now.Sub(time.Unix(since, 0)) >= uploadWait}
	if !v.Failed {
		again := url.Values{"key": {key}, "since": {strconv.FormatInt(since, 10)}}
		w.Header().Set("Refresh", "2; url=/cases/uploaded?"+again.Encode())
	}
	b.Title = b.T("已上传，正在登记…")
	return s.render(w, b, http.StatusOK, uploadedContent(v))
}

func needClerk(b *base, what string) error {
	if err := needUser(b); err != nil {
		return err
	}
	if !b.Me.Has(workflow.Clerk) {
		return workflow.Errorf("web", workflow.Forbidden, "只有区府办经办人可以%s", what)
	}
	return nil
}

// uploadOpinion reads the file and shows what was read for checking. The
// file is kept as a content-addressed blob until the clerk confirms, so
// the case ID (which derives from the file's bytes) is what intake over
// the API would give.
func (s *Server) uploadOpinion(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "登记来文"); err != nil {
		return err
	}
	b.Title = b.T("登记来文")
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	again := func(msg string) error {
		return s.render(w, b, http.StatusBadRequest, uploadContent(&uploadView{base: b, Errs: fieldErrors{"file": msg}}))
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return again(b.T("文件过大（上限 %d 字节）", MaxUpload))
		}
		return again(b.T("请选择要上传的来文文件（.txt、.md 或 .docx）"))
	}
	defer f.Close()
	data, err := readAll(f)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return again(b.T("文件过大（上限 %d 字节）", MaxUpload))
		}
		return err
	}
	name := path.Base(strings.ReplaceAll(h.Filename, "\\", "/"))
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".markdown", ".docx":
	default:
		return again(b.T("不支持的文件类型 %q：请上传 .txt、.md 或 .docx", path.Ext(name)))
	}
	o, err := s.Parse(name, data)
	if err != nil {
		if msg := workflow.Message(err); msg != "" {
			return again(msg)
		}
		return err
	}
	hash, err := s.Service.Blobs.Put(r.Context(), data)
	if err != nil {
		return fmt.Errorf("keep upload: %w", err)
	}
	v := newOpinionForm(b, o)
	v.Action, v.Source, v.SourceName = "/cases", hash, name
	b.Flash = b.T("已读取 %s：请核对以下信息，确认无误后登记", name)
	// Say so now if the number is registered: the clerk decides before
	// confirming whether this is a revised version.
	if held, err := s.Service.Holder(r.Context(), b.Me, o.Number); err == nil {
		v.Held = held
		b.Flash = b.T("已读取 %s：来文字号 %s 已登记为案件 %s，请核对", name, o.Number, held.ID)
	} else if workflow.KindOf(err) != workflow.NotFound {
		return err
	}
	b.Title = b.T("核对来文")
	return s.render(w, b, http.StatusOK, opinionContent(v))
}

func readAll(f multipart.File) ([]byte, error) { return io.ReadAll(f) }

// opinionForm is the check-and-correct form for what intake read.
type opinionForm struct {
	*base
	Action     string
	Case       *workflow.Case
	Version    int
	Source     string
	SourceName string
	O          workflow.Opinion
	Date, Due  string // as typed
	Items      []itemRow
	Errs       fieldErrors
	// Held is the case that already holds the opinion's 来文字号, at
	// intake: the form then offers to register it as a revised version.
	Held    *workflow.Case
	Revises string // the case the clerk marked it as revising
}

type itemRow struct {
	Level int
	Label string
	Text  string
	Err   string
}

func newOpinionForm(b *base, o *workflow.Opinion) *opinionForm {
	v := &opinionForm{base: b, O: *o, Errs: fieldErrors{}}
	v.Date, v.Due = formDate(o.Date), formDate(o.Due)
	for _, it := range o.Items {
		v.Items = append(v.Items, itemRow{Level: it.Level, Label: it.Label, Text: it.Text})
	}
	v.Items = append(v.Items, itemRow{}, itemRow{}) // room to add items without JavaScript
	return v
}

func formDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workflow.Zone).Format("2006-01-02")
}

// hexHash reports whether s is a SHA-256 in lower-case hex, as the upload
// form carries the file's.
func hexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// readOpinion reads the form back. Item IDs and labels are derived from
// the levels, in order, so a clerk who changes a level gets a consistent
// outline.
func readOpinion(b *base, r *http.Request) (*opinionForm, *workflow.Opinion) {
	f := r.PostForm
	o := &workflow.Opinion{
		Number: strings.TrimSpace(f.Get("number")), Title: strings.TrimSpace(f.Get("title")),
		Issuer: strings.TrimSpace(f.Get("issuer")), Addressee: strings.TrimSpace(f.Get("addressee")),
		Session: strings.TrimSpace(f.Get("session")), ReplyTo: strings.TrimSpace(f.Get("replyTo")),
		Signature: strings.TrimSpace(f.Get("signature")), DueRule: f.Get("dueRule"),
		Preamble: f.Get("preamble"), Closing: f.Get("closing"),
	}
	v := &opinionForm{base: b, O: *o, Date: strings.TrimSpace(f.Get("date")), Due: strings.TrimSpace(f.Get("due")), Errs: fieldErrors{}}
	v.Source, v.SourceName = f.Get("source"), f.Get("sourceName")
	v.Version, _ = strconv.Atoi(f.Get("version"))
	if o.Number == "" {
		v.Errs.add("number", b.T("请填写来文字号，如 某会〔2025〕57号"))
	}
	if o.Title == "" {
		v.Errs.add("title", b.T("请填写审议意见标题"))
	}
	var err error
	if o.Date, err = parseDate(v.Date); err != nil || o.Date.IsZero() {
		v.Errs.add("date", b.T("请填写成文日期，格式如 2025-07-10"))
	}
	if o.Due, err = parseDate(v.Due); err != nil || o.Due.IsZero() {
		v.Errs.add("due", b.T("请填写办理期限，格式如 2026-01-10"))
	} else if !o.Date.IsZero() && o.Due.Before(o.Date) {
		v.Errs.add("due", b.T("办理期限早于成文日期"))
	}
	levels, texts := f["item-level"], f["item-text"]
	var count [5]int
	prev := 0
	var path [5]int
	for i, t := range texts {
		lv := 0
		if i < len(levels) {
			lv, _ = strconv.Atoi(levels[i])
		}
		row := itemRow{Level: lv, Text: t}
		t = strings.TrimSpace(t)
		if t == "" {
			v.Items = append(v.Items, row)
			continue
		}
		switch {
		case lv < 1 || lv > 4:
			row.Err = b.T("层级须为 1–4")
		case lv > prev+1:
			row.Err = b.T("层级 %d 不能紧跟在层级 %d 之后（不能跳级）", lv, prev)
		}
		if row.Err != "" {
			v.Errs.add(fmt.Sprintf("item-%d", i), row.Err)
			v.Items = append(v.Items, row)
			continue
		}
		count[lv]++
		for l := lv + 1; l < len(count); l++ {
			count[l] = 0
		}
		path[lv] = count[lv]
		ids := make([]string, lv)
		for l := 1; l <= lv; l++ {
			ids[l-1] = strconv.Itoa(path[l])
		}
		row.Label = workflow.OutlineNumber(lv, count[lv])
		o.Items = append(o.Items, workflow.Item{ID: strings.Join(ids, "."), Level: lv, Label: row.Label, Text: t})
		v.Items = append(v.Items, row)
		prev = lv
	}
	if len(o.Items) == 0 && len(v.Errs) == 0 {
		v.Errs.add("items", b.T("至少需要一条意见条目"))
	}
	v.O = *o
	return v, o
}

// parseDate reads an <input type=date> value; "" is the zero time.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", s, workflow.Zone)
}

// intakePage opens the case once the clerk has confirmed what was read.
func (s *Server) intakePage(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *opinionForm
	var o *workflow.Opinion
	var c *workflow.Case
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "登记来文") },
		Read: func(url.Values) (fieldErrors, error) {
			v, o = readOpinion(b, r)
			v.Action, v.Revises = "/cases", r.PostForm.Get("revises")
			b.Title = b.T("核对来文")
			if !hexHash(v.Source) {
				return nil, workflow.Errorf("web.intake", workflow.Invalid, "缺少上传的来文文件，请重新上传")
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			data, err := s.Service.Blobs.Get(ctx, v.Source)
			if workflow.KindOf(err) == workflow.NotFound {
				return "", "", workflow.Errorf("web.intake", workflow.Invalid, "上传的来文文件已不在，请重新上传")
			} else if err != nil {
				return "", "", err
			}
			src := workflow.Source{Name: path.Base(v.SourceName)}
			if v.Revises != "" {
				c, err = s.Service.Revise(ctx, b.Me, v.Revises, src, data, o)
			} else {
				c, err = s.Service.Intake(ctx, b.Me, src, data, o)
			}
			switch k := workflow.KindOf(err); {
			case k == workflow.Conflict && c != nil && !errors.Is(err, workflow.ErrNumberTaken):
				// The same file again: its case.
				return "/cases/" + c.ID, workflow.Message(err), nil
			case k == workflow.NotFound: // the case a revision names
				return "", "", workflow.Errorf("web.intake", workflow.Invalid, "%s", workflow.Message(err))
			case err != nil:
				return "", "", err
			case c.Revises != "":
				return "/cases/" + c.ID + "/assign", b.T("已登记来文 %s 的修订版，案件 %s；案件 %s 已标为已被修订。请制定交办方案", c.Opinion.Number, c.ID, c.Revises), nil
			}
			return "/cases/" + c.ID + "/assign", b.T("已登记来文 %s，案件 %s。请制定交办方案", c.Opinion.Number, c.ID), nil
		},
		// Another file of an opinion already registered: the form again,
		// naming the case that holds the number and offering a revision.
		Refused: func(k workflow.Kind, err error) error {
			switch {
			case errors.Is(err, workflow.ErrNumberTaken) && c != nil:
				v.Held = c
			case k == workflow.Invalid && v.Revises != "":
				if held, herr := s.Service.Holder(r.Context(), b.Me, o.Number); herr == nil {
					v.Held = held
				}
			}
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, opinionContent(v)) },
	})
}

func (s *Server) opinionPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "更正来文信息"); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := newOpinionForm(b, &c.Opinion)
	v.Action, v.Case, v.Version = "/cases/"+c.ID+"/opinion", c, c.Version
	b.Title = b.T("更正来文信息")
	return s.render(w, b, http.StatusOK, opinionContent(v))
}

func (s *Server) correctOpinionPage(w http.ResponseWriter, r *http.Request, b *base) error {
	var c *workflow.Case
	var v *opinionForm
	var o *workflow.Opinion
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "更正来文信息") },
		Load: func(ctx context.Context) (err error) {
			c, err = s.Service.Case(ctx, b.Me, r.PathValue("id"))
			b.Title = b.T("更正来文信息")
			return err
		},
		Read: func(url.Values) (fieldErrors, error) {
			v, o = readOpinion(b, r)
			v.Action, v.Case = "/cases/"+c.ID+"/opinion", c
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			_, err := s.Service.CorrectOpinion(ctx, b.Me, c.ID, v.Version, *o)
			return "/cases/" + c.ID, b.T("已更正来文信息"), err
		},
		// Keep what was typed; the next save applies it over the newer copy.
		Refused: func(k workflow.Kind, _ error) error {
			if k == workflow.Conflict {
				v.Version = c.Version
			}
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, opinionContent(v)) },
	})
}

// caseView is the hub of one case: what it answers, where it stands and
// what the viewer may do next.
type caseView struct {
	*base
	C        *workflow.Case
	Row      caseRow
	Sections []sectionRow
	Chain    []stepView
	CanAudit bool
	CanFrame bool          // the clerk may set the report's opening and closing now
	AllIn    bool          // every section accepted: ready to compile
	Consult  *consultPanel // the round of 征求意见, for the office and the signers (pages_consult.go)
}

type sectionRow struct {
	Sec     workflow.Section
	Label   string
	Heading string
	Item    workflow.Item
	Mine    bool
	Co      bool
	Overdue bool
}

type stepView struct {
	Name    string
	Current bool
	Done    bool
	Signers []signerView
}

type signerView struct {
	User, Name string
	Approval   *workflow.Approval // of the current draft
	Void       []workflow.Approval
}

func (s *Server) sectionRows(b *base, c *workflow.Case) []sectionRow {
	var out []sectionRow
	for _, sec := range c.Sections {
		row := sectionRow{Sec: sec, Label: c.SectionLabel(sec.ID), Mine: sec.Lead == b.Me.Dept && b.Me.Dept != "",
			Co: b.Me.Dept != "" && slices.Contains(sec.Co, b.Me.Dept), Overdue: sectionOverdue(b, c, &sec)}
		row.Item, _ = c.Opinion.Item(sec.Item)
		row.Heading = sec.Current.Heading
		if row.Heading == "" {
			row.Heading = row.Item.Text
		}
		out = append(out, row)
	}
	return out
}

func chainView(c *workflow.Case) []stepView {
	if c.Report == nil {
		return nil
	}
	sum := c.Report.Current.Sum
	cur := c.CurrentStep()
	var out []stepView
	for i, st := range c.Chain {
		sv := stepView{Name: st.Name, Current: c.Stage == workflow.Signing && i == cur, Done: i < cur}
		for _, u := range st.Signers {
			sg := signerView{User: u}
			for _, a := range st.Approvals {
				if a.User != u {
					continue
				}
				sg.Name = a.Name
				if a.Sum == sum {
					a := a
					sg.Approval = &a
				} else {
					sg.Void = append(sg.Void, a)
				}
			}
			sv.Signers = append(sv.Signers, sg)
		}
		out = append(out, sv)
	}
	return out
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &caseView{base: b, C: c, Row: s.caseRow(b, c.Summary()), Sections: s.sectionRows(b, c), Chain: chainView(c),
		CanAudit: b.Me.Has(workflow.Clerk) || b.Me.Has(workflow.Admin) || isSigner(c, b.Me.User),
		CanFrame: workflow.Can(b.Me, c, workflow.ActFrame, nil)}
	v.AllIn = len(c.Sections) > 0
	for _, sec := range c.Sections {
		if sec.State != workflow.Accepted {
			v.AllIn = false
		}
	}
	if v.Consult, err = s.newConsultPanel(r, b, c); err != nil {
		return err
	}
	b.Title = c.Opinion.Number + " " + c.Opinion.Title
	return s.render(w, b, http.StatusOK, caseContent(v))
}

func isSigner(c *workflow.Case, user string) bool {
	for _, st := range c.Chain {
		if slices.Contains(st.Signers, user) {
			return true
		}
	}
	return false
}

// auditView is a page of a case's audit trail, every stream merged,
// newest first, and whether the trail is intact.
type auditView struct {
	*base
	C       *workflow.Case
	Events  []workflow.Event
	Next    string
	Intact  bool
	Broken  string
	Checked workflow.Verified
}

// Signed is the number of events whose signatures verified.
func (v *auditView) Signed() int {
	n := 0
	for _, k := range v.Checked.Signed {
		n += k
	}
	return n
}

// actionLabels name audit actions for people.
var actionLabels = map[string]string{
	"intake": "登记来文", "revise": "来文已修订", "correct-opinion": "更正来文", "assign": "交办方案", "set-frame": "开头和结尾", "dispatch": "交办",
	"save-section": "保存部门稿", "input": "协办意见", "submit-section": "报送", "accept-section": "采用",
	"return-section": "退回部门稿", "remind": "催办", "compile": "汇总", "save-report": "修改报告", "start-signoff": "发起签批",
	"approve": "签批同意", "return-report": "签批退回", "number": "编发文号", "publish": "发布", "migrated": "旧版记录迁移",
	"alert": "自动提醒", "set-result": "填写办理结果", "follow-up": "登记办理结果",
	"request-extension": "申请延期", "decide-extension": "审批延期申请",
	"attach": "添加附件", "detach": "删除附件", "attach-report": "添加报告附件", "detach-report": "删除报告附件",
}

// ActionLabel names an audit action in the page's language.
func (v *auditView) ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return v.T(l)
	}
	return action
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	evs, next, err := s.Service.Audit(r.Context(), b.Me, c.ID, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	v := &auditView{base: b, C: c, Events: evs, Next: nextURL(r, next), Intact: true}
	// Verifying reads every event; the first page is where people look.
	if r.URL.Query().Get("cursor") == "" {
		v.Checked, err = s.Service.Verify(r.Context(), c.ID)
		if workflow.KindOf(err) == workflow.Invalid {
			v.Intact, v.Broken = false, workflow.Message(err)
		} else if err != nil {
			return err
		}
	}
	b.Title = b.T("审计记录") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, auditContent(v))
}

// pathEscape is for building links with user-controlled parts.
var pathEscape = url.PathEscape
