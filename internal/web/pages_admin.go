package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// The administration pages: the office's settings, its seal, its number
// series and its accounts. Every change goes through the Service, which
// checks the caller is an administrator and records it; the pages only
// show and collect.

// needAdmin refuses anyone who is not an administrator, before a page
// shows anything.
func needAdmin(b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	if !b.Me.Has(workflow.Admin) {
		return workflow.Errorf("web.admin", workflow.Forbidden, "只有管理员可以进入管理页面")
	}
	return nil
}

// adminView is the administration overview: the office and its latest
// changes.
type adminView struct {
	*base
	O       *workflow.Office
	Events  []workflow.Event
	Before  int // cursor for older events; 0 when there are none
	Account int // accounts counted on the first page, for the overview
	More    bool
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needAdmin(b); err != nil {
		return err
	}
	ctx := r.Context()
	o, err := s.Service.Office(ctx)
	if err != nil {
		return err
	}
	before, _ := strconv.Atoi(r.URL.Query().Get("before"))
	const page = 30
	evs, err := s.Service.OfficeHistory(ctx, b.Me, "", before, page+1)
	if err != nil {
		return err
	}
	v := &adminView{base: b, O: o}
	if len(evs) > page {
		evs = evs[:page]
		v.Before = evs[page-1].Seq
	}
	v.Events = evs
	p, err := s.Service.Dir.Accounts(ctx, workflow.AccountQuery{Limit: workflow.MaxPage})
	if err != nil {
		return err
	}
	v.Account, v.More = len(p.Accounts), p.Next != ""
	b.Title = b.T("管理")
	return s.render(w, b, http.StatusOK, adminContent(v))
}

// officeView is the form of the office's settings. Fields hold what the
// administrator typed, so a refused form comes back as it was sent.
type officeView struct {
	*base
	Version                           int
	Org, OrgShort, Mark, Series, Off  string
	CC, Opening, Closing, Departments string
	AllSeries                         string
	LeadDays, DefaultDue              string
	Required                          string
	SecondFactor                      bool
	Openness                          workflow.Openness            // the 公开属性 publication proposes
	Notes                             map[workflow.Openness]string // the 附注 it proposes for each
	Opennesses                        []workflow.Openness
	Chain                             []chainRow
	DueSoon, Overdue, Waiting         string // the reminder rules
	Robots                            []robotRow
	Seal                              string                // hash of the seal, "" for none
	SealData                          string                // data: URL of the seal for the preview
	Letterheads                       []workflow.Letterhead // the departments whose 答复函 may carry their own seal
	Errs                              fieldErrors
}

// chainRow is one step of the default sign-off chain in the form.
type chainRow struct {
	Name, Signers string
	Countersign   bool
}

// chainRows is the number of empty rows the form offers for new steps.
const chainRows = 2

// departments lists the office's departments as the form last showed
// them, for the robots' choice of group.
func (v *officeView) departments() []string { return splitLines(v.Departments) }

// robotRow is one group robot in the form. The secret is never sent back
// to the browser: HasSecret says one is kept, and an empty field keeps it.
type robotRow struct {
	Dept, Kind, URL, Secret string
	HasSecret               bool
}

// robotRows is the number of empty rows the form offers for new robots.
const robotRows = 2

// clearSecret is what the secret field takes to remove a kept secret.
const clearSecret = "-"

func newOfficeView(b *base, o *workflow.Office) *officeView {
	p := &o.Profile
	v := &officeView{base: b, Version: o.Version, Org: p.Org, OrgShort: p.OrgShort, Mark: p.Mark, Series: p.Series, Off: p.Office,
		CC: strings.Join(p.CC, "\n"), Opening: p.Opening, Closing: p.Closing, Departments: strings.Join(p.Departments, "\n"),
		AllSeries: strings.Join(o.Series, "\n"), LeadDays: strconv.Itoa(p.LeadDays), DefaultDue: strconv.Itoa(p.DefaultDue),
		Required: strings.Join(o.Policy.Required, "、"), SecondFactor: o.Policy.SecondFactor, Seal: o.Seal, Errs: fieldErrors{},
		Openness: p.DefaultOpenness(), Notes: p.Notes, Opennesses: workflow.Opennesses, Letterheads: p.Letterheads}
	for _, st := range p.Chain {
		v.Chain = append(v.Chain, chainRow{Name: st.Name, Signers: strings.Join(st.Signers, "、"), Countersign: st.Countersign})
	}
	for range chainRows {
		v.Chain = append(v.Chain, chainRow{})
	}
	v.DueSoon, v.Overdue, v.Waiting = strconv.Itoa(o.Notify.DueSoon), strconv.Itoa(o.Notify.Overdue), strconv.Itoa(o.Notify.Waiting)
	for _, r := range o.Notify.Robots {
		v.Robots = append(v.Robots, robotRow{Dept: r.Dept, Kind: string(r.Kind), URL: r.URL, HasSecret: r.Secret != ""})
	}
	for range robotRows {
		v.Robots = append(v.Robots, robotRow{})
	}
	return v
}

// readNotify reads the notification settings of the office form into o,
// keeping each robot's secret unless a new one is typed ("-" removes it).
func readNotify(f url.Values, b *base, v *officeView, cur *workflow.Office, o *workflow.Office) error {
	v.DueSoon, v.Overdue, v.Waiting = f.Get("dueSoon"), f.Get("overdue"), f.Get("waiting")
	for _, x := range []struct {
		id, val string
		to      *int
	}{{"dueSoon", v.DueSoon, &o.Notify.DueSoon}, {"overdue", v.Overdue, &o.Notify.Overdue}, {"waiting", v.Waiting, &o.Notify.Waiting}} {
		n, err := strconv.Atoi(strings.TrimSpace(x.val))
		if err != nil && strings.TrimSpace(x.val) != "" {
			v.Errs.add(x.id, b.T("请填写数字（0 为不提醒）"))
		}
		*x.to = n
	}
	rows, _ := strconv.Atoi(f.Get("robots"))
	if rows < 0 || rows > workflow.MaxDepartments+1+robotRows {
		return workflow.Errorf("web.office", workflow.Invalid, "群机器人的行数无效")
	}
	for i := range rows {
		row := robotRow{Dept: f.Get(fmt.Sprint("robot-dept-", i)), Kind: f.Get(fmt.Sprint("robot-kind-", i)),
			URL: strings.TrimSpace(f.Get(fmt.Sprint("robot-url-", i))), Secret: strings.TrimSpace(f.Get(fmt.Sprint("robot-secret-", i)))}
		old, had := cur.Notify.Robot(row.Dept)
		row.HasSecret = had && old.Secret != "" && row.Secret != clearSecret || row.Secret != "" && row.Secret != clearSecret
		v.Robots = append(v.Robots, robotRow{Dept: row.Dept, Kind: row.Kind, URL: row.URL, HasSecret: row.HasSecret})
		if row.URL == "" {
			continue // an empty row, or a robot removed
		}
		r := workflow.Robot{Dept: row.Dept, Kind: workflow.RobotKind(row.Kind), URL: row.URL, Secret: row.Secret}
		switch {
		case row.Secret == clearSecret:
			r.Secret = ""
		case row.Secret == "" && had:
			r.Secret = old.Secret
		}
		o.Notify.Robots = append(o.Notify.Robots, r)
	}
	return nil
}

func (s *Server) officePage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needAdmin(b); err != nil {
		return err
	}
	o, err := s.Service.Office(r.Context())
	if err != nil {
		return err
	}
	v := newOfficeView(b, o)
	if err := s.sealPreview(r, v); err != nil {
		return err
	}
	b.Title = b.T("单位设置")
	return s.render(w, b, http.StatusOK, officeContent(v))
}

func (s *Server) sealPreview(r *http.Request, v *officeView) error {
	if v.Seal == "" {
		return nil
	}
	img, err := s.Service.Blobs.Get(r.Context(), v.Seal)
	if err != nil {
		return err
	}
	v.SealData = "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
	return nil
}

// splitList splits a list typed on one line or several: 、 , ， ; ； and
// line breaks separate items.
func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,，;；\r\n", r) })
	var out []string
	for _, x := range f {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// officePost saves the office's settings from the form. The version the
// administrator edited guards against two administrators at once.
func (s *Server) officePost(w http.ResponseWriter, r *http.Request, b *base) error {
	var cur *workflow.Office
	var v *officeView
	var o workflow.Office
	return s.post(w, r, b, form{
		Who: func() error { return needAdmin(b) },
		Load: func(ctx context.Context) (err error) {
			cur, err = s.Service.Office(ctx)
			b.Title = b.T("单位设置")
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			v, o = readOffice(b, f, cur)
			if err := readNotify(f, b, v, cur, &o); err != nil {
				return nil, err
			}
			var err error
			if v.Version, err = strconv.Atoi(f.Get("version")); err != nil {
				return nil, workflow.Errorf("web.office", workflow.Invalid, "表单缺少版本号，请刷新页面后再改")
			}
			n, _ := strconv.Atoi(f.Get("steps"))
			if n < 0 || n > workflow.MaxSteps+chainRows {
				return nil, workflow.Errorf("web.office", workflow.Invalid, "签批环节的行数无效")
			}
			for i := range n {
				row := chainRow{Name: strings.TrimSpace(f.Get(fmt.Sprint("step-name-", i))), Signers: f.Get(fmt.Sprint("step-signers-", i)),
					Countersign: f.Get(fmt.Sprint("step-cs-", i)) == "on"}
				v.Chain = append(v.Chain, row)
				if row.Name == "" && strings.TrimSpace(row.Signers) == "" {
					continue // an empty row
				}
				st := workflow.StepPlan{Name: row.Name, Countersign: row.Countersign}
				if !row.Countersign {
					st.Signers = splitList(row.Signers)
				}
				o.Profile.Chain = append(o.Profile.Chain, st)
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			_, err := s.Service.SaveOffice(ctx, b.Me, v.Version, o, "")
			return "/admin/office", b.T("单位设置已保存"), err
		},
		Show: func(status int) error {
			if err := s.sealPreview(r, v); err != nil {
				return err
			}
			return s.render(w, b, status, officeContent(v))
		},
	})
}

// readOffice reads the office form, the errors into the view's Errs.
func readOffice(b *base, f url.Values, cur *workflow.Office) (*officeView, workflow.Office) {
	v := &officeView{base: b, Org: f.Get("org"), OrgShort: f.Get("orgShort"), Mark: f.Get("mark"), Series: f.Get("series"),
		Off: f.Get("office"), CC: f.Get("cc"), Opening: f.Get("opening"), Closing: f.Get("closing"), Departments: f.Get("departments"),
		AllSeries: f.Get("allSeries"), LeadDays: f.Get("leadDays"), DefaultDue: f.Get("defaultDue"), Required: f.Get("required"),
		SecondFactor: f.Get("secondFactor") == "on", Seal: cur.Seal, Errs: fieldErrors{},
		Notes: map[workflow.Openness]string{}, Opennesses: workflow.Opennesses}
	// 公开属性 and its 附注: a form from before they were on it keeps the
	// office's, so that saving it loses nothing.
	v.Openness = cur.Profile.DefaultOpenness()
	if _, ok := f["openness"]; ok {
		open, oerr := workflow.ParseOpenness(f.Get("openness"))
		if oerr != nil {
			v.Errs.add("openness", workflow.Message(oerr))
		} else if open != "" {
			v.Openness = open
		}
	}
	for _, o := range workflow.Opennesses {
		if vals, ok := f["note-"+string(o)]; ok {
			v.Notes[o] = strings.TrimSpace(vals[0])
		} else {
			v.Notes[o] = cur.Profile.Notes[o]
		}
	}
	o := workflow.Office{Series: splitList(v.AllSeries), Seal: cur.Seal,
		Policy: workflow.Policy{Required: splitList(v.Required), SecondFactor: v.SecondFactor}}
	o.Profile = workflow.Profile{Org: strings.TrimSpace(v.Org), OrgShort: strings.TrimSpace(v.OrgShort), Mark: strings.TrimSpace(v.Mark),
		Series: strings.TrimSpace(v.Series), Office: strings.TrimSpace(v.Off), CC: splitLines(v.CC),
		Opening: strings.TrimSpace(v.Opening), Closing: strings.TrimSpace(v.Closing), Departments: splitLines(v.Departments),
		// The kinds of case are edited as data (docflow admin office set),
		// not on this form, which keeps them as they are.
		Openness: v.Openness, Kinds: cur.Profile.Kinds, Letterheads: cur.Profile.Letterheads}
	for k, note := range v.Notes {
		if note != "" {
			if o.Profile.Notes == nil {
				o.Profile.Notes = map[workflow.Openness]string{}
			}
			o.Profile.Notes[k] = note
		}
	}
	var err error
	if o.Profile.LeadDays, err = strconv.Atoi(strings.TrimSpace(v.LeadDays)); err != nil {
		v.Errs.add("leadDays", b.T("请填写天数"))
	}
	if o.Profile.DefaultDue, err = strconv.Atoi(strings.TrimSpace(v.DefaultDue)); err != nil {
		v.Errs.add("defaultDue", b.T("请填写月数"))
	}
	return v, o
}

// sealPost replaces or removes the seal: a multipart form with the PNG.
func (s *Server) sealPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var version int
	var img []byte
	return s.post(w, r, b, form{
		Who: func() error { return needAdmin(b) },
		Parse: func() (url.Values, error) {
			return readMultipart(w, r, "web.seal", workflow.MaxSealBytes,
				fmt.Sprintf("印章图片过大：上限 %d 字节", workflow.MaxSealBytes), "请选择印章图片文件后再提交")
		},
		Read: func(p url.Values) (fieldErrors, error) {
			var err error
			if version, err = strconv.Atoi(p.Get("version")); err != nil {
				return nil, workflow.Errorf("web.seal", workflow.Invalid, "表单缺少版本号，请刷新页面后再改")
			}
			if p.Get("action") == "clear" {
				return nil, nil
			}
			file, _, err := r.FormFile("seal")
			if err != nil {
				return nil, workflow.Errorf("web.seal", workflow.Invalid, "请选择印章图片文件（PNG）")
			}
			defer file.Close()
			img, err = io.ReadAll(io.LimitReader(file, workflow.MaxSealBytes+1))
			return nil, err
		},
		Do: func(ctx context.Context) (string, string, error) {
			_, err := s.Service.SetSeal(ctx, b.Me, version, r.PostForm.Get("dept"), img)
			return "/admin/office#seal", b.T(pick(img == nil, "印章已删除", "印章已更换：此后发布的公文加盖新印章")), err
		},
		// The office page again, the refusal beside the seal.
		Show: func(status int) error {
			o, err := s.Service.Office(r.Context())
			if err != nil {
				return err
			}
			v := newOfficeView(b, o)
			v.Errs.add("seal", b.Error)
			if err := s.sealPreview(r, v); err != nil {
				return err
			}
			b.Title = b.T("单位设置")
			return s.render(w, b, status, officeContent(v))
		},
	})
}

// readMultipart reads a multipart form of at most limit bytes of file (and a
// little form besides), refusing a larger one with tooBig and one that is
// not a multipart form with missing.
func readMultipart(w http.ResponseWriter, r *http.Request, op string, limit int64, tooBig, missing string) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	if err := r.ParseMultipartForm(limit + 64<<10); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, workflow.Errorf(op, workflow.Invalid, "%s", tooBig)
		}
		return nil, workflow.Errorf(op, workflow.Invalid, "%s", missing)
	}
	return r.MultipartForm.Value, nil
}

// seriesView lists the office's number series with this year's numbers.
type seriesView struct {
	*base
	Year int
	Rows []seriesRow
	Errs fieldErrors
}

type seriesRow struct {
	Series     string
	Last, Next int
}

func (s *Server) seriesPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needAdmin(b); err != nil {
		return err
	}
	v, err := s.newSeriesView(r, b)
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, seriesContent(v))
}

func (s *Server) newSeriesView(r *http.Request, b *base) (*seriesView, error) {
	o, err := s.Service.Office(r.Context())
	if err != nil {
		return nil, err
	}
	year := b.Today().Year()
	if y, err := strconv.Atoi(r.FormValue("year")); err == nil && y >= 1900 && y <= 9999 {
		year = y
	}
	v := &seriesView{base: b, Year: year, Errs: fieldErrors{}}
	for _, sr := range o.Series {
		last, err := s.Service.Store.Counter(r.Context(), sr, year)
		if err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, seriesRow{Series: sr, Last: last, Next: last + 1})
	}
	b.Title = b.T("文号")
	return v, nil
}

// seriesPost sets the next number of a series in a year (SetSeries refuses
// an unknown series and a number already used).
func (s *Server) seriesPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var series string
	var year, next int
	return s.post(w, r, b, form{
		Who: func() error { return needAdmin(b) },
		Read: func(f url.Values) (fieldErrors, error) {
			var err1, err2 error
			year, err1 = strconv.Atoi(f.Get("year"))
			next, err2 = strconv.Atoi(f.Get("next"))
			series = f.Get("series")
			if err1 != nil || err2 != nil {
				return nil, workflow.Errorf("web.series", workflow.Invalid, "请填写年份和下一个文号的数字")
			}
			return nil, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			err := s.Service.SetSeries(ctx, b.Me, series, year, next)
			return "/admin/series?year=" + strconv.Itoa(year), b.T("已设置：%s〔%d〕下一个号为 %d 号", series, year, next), err
		},
		// The page, for the year posted, shows the refusal on top.
		Show: func(status int) error {
			v, err := s.newSeriesView(r, b)
			if err != nil {
				return err
			}
			return s.render(w, b, status, seriesContent(v))
		},
	})
}

// accountsView lists accounts, a page at a time, with the form to add one.
type accountsView struct {
	*base
	O        *workflow.Office
	Accounts []workflow.Account
	Dept     string
	Role     string
	Next     string
	New      accountForm
	Errs     fieldErrors
}

// accountForm is an account as typed in a form.
type accountForm struct {
	User, Name, Dept, Title string
	Roles, Steps            []string
	Email, Notify           string
	Disabled                bool
	Version                 int
}

func formOf(a *workflow.Account) accountForm {
	f := accountForm{User: a.User, Name: a.Name, Dept: a.Dept, Title: a.Title, Steps: a.Steps, Disabled: a.Disabled, Version: a.Version,
		Email: a.Email, Notify: string(a.Notify)}
	for _, r := range a.Roles {
		f.Roles = append(f.Roles, string(r))
	}
	return f
}

func (f accountForm) Has(role string) bool { return slices.Contains(f.Roles, role) }
func (f accountForm) Holds(step string) bool {
	return slices.Contains(f.Steps, step)
}

func readAccountForm(r *http.Request) accountForm {
	f := r.PostForm
	return accountForm{User: strings.TrimSpace(f.Get("user")), Name: strings.TrimSpace(f.Get("name")), Dept: f.Get("dept"),
		Title: strings.TrimSpace(f.Get("title")), Roles: f["role"], Steps: f["step"],
		Email: strings.TrimSpace(f.Get("email")), Notify: f.Get("notify")}
}

func (f accountForm) account() workflow.Account {
	a := workflow.Account{User: f.User, Name: f.Name, Dept: f.Dept, Title: f.Title, Steps: f.Steps, Disabled: f.Disabled,
		Email: f.Email, Notify: workflow.Channel(f.Notify)}
	for _, r := range f.Roles {
		a.Roles = append(a.Roles, workflow.Role(r))
	}
	return a
}

func (s *Server) newAccountsView(r *http.Request, b *base) (*accountsView, error) {
	ctx := r.Context()
	o, err := s.Service.Office(ctx)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	v := &accountsView{base: b, O: o, Dept: q.Get("dept"), Role: q.Get("role"), Errs: fieldErrors{}}
	p, err := s.Service.Dir.Accounts(ctx, workflow.AccountQuery{Dept: v.Dept, Role: workflow.Role(v.Role), Cursor: q.Get("cursor")})
	if err != nil {
		return nil, err
	}
	v.Accounts, v.Next = p.Accounts, p.Next
	b.Title = b.T("账号")
	return v, nil
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needAdmin(b); err != nil {
		return err
	}
	v, err := s.newAccountsView(r, b)
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, accountsContent(v))
}

// accountsPost adds an account. It has no password until an administrator
// sets one (or it signs in through the office's identity provider).
func (s *Server) accountsPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var f accountForm
	var v *accountsView
	return s.post(w, r, b, form{
		Who: func() error { return needAdmin(b) },
		Read: func(url.Values) (fieldErrors, error) {
			f = readAccountForm(r)
			return nil, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			a, err := s.Service.SaveAccount(ctx, b.Me, 0, f.account(), "")
			if err != nil {
				return "", "", err
			}
			return "/admin/accounts/" + a.User, b.T("已建立账号 %s（%s）：请为其设置初始密码", a.User, a.Name), nil
		},
		Refused: func(workflow.Kind, error) (err error) {
			if v, err = s.newAccountsView(r, b); err == nil {
				v.New = f
			}
			return err
		},
		Show: func(status int) error { return s.render(w, b, status, accountsContent(v)) },
	})
}

// accountEditView is one account for an administrator: its settings, its
// sign-in state and its history.
type accountEditView struct {
	*base
	O         *workflow.Office
	A         *workflow.Account
	F         accountForm
	Events    []workflow.Event
	Sessions  int
	Passwords bool   // this deployment keeps passwords (the local server)
	Temporary string // a password just set, shown once
	Errs      fieldErrors
}

func (s *Server) newAccountEditView(r *http.Request, b *base) (*accountEditView, error) {
	ctx := r.Context()
	o, err := s.Service.Office(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Service.Dir.Account(ctx, r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	evs, err := s.Service.OfficeHistory(ctx, b.Me, workflow.AccountStream(a.User), 0, 30)
	if err != nil {
		return nil, err
	}
	v := &accountEditView{base: b, O: o, A: a, F: formOf(a), Events: evs, Passwords: s.Sessions != nil, Errs: fieldErrors{}}
	if s.Sessions != nil {
		all, err := s.Sessions.UserSessions(ctx, a.User)
		if err != nil {
			return nil, err
		}
		v.Sessions = len(all)
	}
	b.Title = b.T("账号：%s", a.Name)
	return v, nil
}

func (s *Server) accountEditPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needAdmin(b); err != nil {
		return err
	}
	v, err := s.newAccountEditView(r, b)
	if err != nil {
		return err
	}
	return s.render(w, b, http.StatusOK, accountEditContent(v))
}

// accountEditPost changes an account by the form's action: save its
// settings, disable or enable it, set a temporary password, or clear its
// second factor. Disabling or resetting ends its sign-ins.
func (s *Server) accountEditPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *accountEditView
	var version int
	var action string
	var f accountForm
	return s.post(w, r, b, form{
		Who: func() error { return needAdmin(b) },
		Load: func(context.Context) (err error) {
			v, err = s.newAccountEditView(r, b)
			return err
		},
		Read: func(p url.Values) (fieldErrors, error) {
			var err error
			if version, err = strconv.Atoi(p.Get("version")); err != nil {
				return nil, workflow.Errorf("web.account", workflow.Invalid, "表单缺少版本号，请刷新页面后再改")
			}
			switch action = p.Get("action"); action {
			case "save":
				f = readAccountForm(r)
				f.User = v.A.User // the login names the account; it is not edited
			case "disable", "enable":
				f = formOf(v.A)
				f.Disabled = action == "disable"
			case "reset", "clear-2fa":
				if s.Sessions == nil || s.Proofs == nil {
					return nil, workflow.Errorf("web.account", workflow.NotFound, "此部署的密码由统一身份认证管理")
				}
				if version != v.A.Version {
					return nil, workflow.Errorf("web.account", workflow.Conflict, "账号 %s 已被他人修改，请刷新后再操作", v.A.User)
				}
			default:
				return nil, workflow.Errorf("web.account", workflow.Invalid, "未知的操作")
			}
			return nil, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			if action == "reset" || action == "clear-2fa" {
				return s.credentialsAction(r, b, v, action)
			}
			what := map[string]string{"save": "", "disable": "，停用", "enable": "，启用"}[action]
			a, err := s.Service.SaveAccount(ctx, b.Me, version, f.account(), what)
			if err != nil {
				return "", "", err
			}
			if a.Disabled && s.Sessions != nil {
				if err := s.Sessions.DeleteSessions(ctx, a.User); err != nil {
					return "", "", err
				}
			}
			return "/admin/accounts/" + a.User, b.T(map[string]string{"save": "已保存", "disable": "账号已停用，其登录和令牌已作废", "enable": "账号已启用"}[action]), nil
		},
		Refused: func(workflow.Kind, error) error {
			if action == "save" || action == "disable" || action == "enable" {
				v.F = f
			}
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, accountEditContent(v)) },
	})
}

// credentialsAction sets a temporary password, shown on the page once and
// kept nowhere, or clears the second factor; either ends the account's
// sign-ins.
func (s *Server) credentialsAction(r *http.Request, b *base, v *accountEditView, action string) (string, string, error) {
	ctx, user := r.Context(), v.A.User
	var c workflow.Credentials
	detail := "管理员清除动态口令"
	var pw string
	if action == "reset" {
		var err error
		if pw, err = temporaryPassword(); err != nil {
			return "", "", err
		}
		hash, err := s.Proofs.Hash(pw)
		if err != nil {
			return "", "", err
		}
		zero, never := 0, time.Time{}
		c = workflow.Credentials{Password: &hash, Failed: &zero, Locked: &never}
		detail = "管理员重置密码并解除锁定"
	} else {
		empty := ""
		c.TOTP = &empty
	}
	a, err := s.Service.SetCredentials(ctx, b.Me, user, c, detail)
	if err != nil {
		return "", "", err
	}
	if err := s.Sessions.DeleteSessions(ctx, user); err != nil {
		return "", "", err
	}
	if action == "clear-2fa" {
		return "/admin/accounts/" + user, b.T("动态口令已清除：请其登录后在“我的账号”中重新设置"), nil
	}
	nv, err := s.newAccountEditView(r, b)
	if err != nil {
		return "", "", err
	}
	*v = *nv
	v.A, v.Temporary = a, pw
	return "", b.T("已为 %s 设置临时密码：请当面或通过安全渠道告知本人，并请其登录后立即修改", a.Name), nil
}

// temporaryPassword makes a password an administrator reads out to a
// person: 12 characters from an alphabet without look-alikes, which
// the password rules accept.
func temporaryPassword() (string, error) {
	const letters, digits = "abcdefghjkmnpqrstuvwxyz", "23456789"
	all := letters + digits
	b := make([]byte, 12)
	for i := range b {
		set := all
		switch i {
		case 0:
			set = letters
		case 11:
			set = digits
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return "", fmt.Errorf("temporary password: %w", err)
		}
		b[i] = set[n.Int64()]
	}
	return string(b), nil
}

func joinSteps(steps []string) string { return strings.Join(steps, " → ") }

func roleNames(b *base, roles []workflow.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = b.T(r.Label())
	}
	return strings.Join(names, "、")
}

func accountState(b *base, a workflow.Account) string {
	switch {
	case a.Disabled:
		return b.T("已停用")
	case b.Now.Before(a.Locked):
		return b.T("锁定至 %s", datetime(a.Locked))
	}
	return b.T("正常")
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// importView is the roster import: the form, and what an import did or
// would do.
type importView struct {
	*base
	Report  *workflow.ImportReport
	Ignored []string
	DryRun  bool
	Name    string
}

// MaxRoster bounds a roster upload (the reader refuses more than 2 MiB of
// content; this leaves room for the form around it).
const MaxRoster = 2<<20 + 64<<10

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if s.ParseRoster == nil {
		return workflow.Errorf("web.import", workflow.NotFound, "此部署不在网页上导入名单：请用 docflow admin accounts import")
	}
	b.Title = b.T("导入名单")
	return s.render(w, b, http.StatusOK, importContent(&importView{base: b, DryRun: true}))
}

// importPost reads a roster (CSV or Excel) and imports it, or with dry-run
// only says what it would do. Every row is checked first: one bad row and
// nothing is written.
func (s *Server) importPost(w http.ResponseWriter, r *http.Request, b *base) error {
	const op = "web.import"
	var v *importView
	var ros workflow.Roster
	return s.post(w, r, b, form{
		Who: func() error {
			if s.ParseRoster == nil {
				return workflow.Errorf(op, workflow.NotFound, "此部署不在网页上导入名单：请用 docflow admin accounts import")
			}
			return nil
		},
		Parse: func() (url.Values, error) {
			return readMultipart(w, r, op, MaxRoster-64<<10, "名单文件过大：上限 2 MiB，请分成几个文件导入", "请选择名单文件（CSV 或 Excel .xlsx）后再提交")
		},
		Read: func(p url.Values) (fieldErrors, error) {
			file, hdr, err := r.FormFile("roster")
			if err != nil {
				return nil, workflow.Errorf(op, workflow.Invalid, "请选择名单文件（CSV 或 Excel .xlsx）")
			}
			defer file.Close()
			data, err := io.ReadAll(io.LimitReader(file, MaxRoster))
			if err != nil {
				return nil, err
			}
			v = &importView{base: b, DryRun: p.Get("dryRun") == "on", Name: hdr.Filename}
			b.Title = b.T("导入名单")
			var ignored []string
			if ros, ignored, err = s.ParseRoster(hdr.Filename, data); err != nil {
				b.Error = err.Error()
			}
			v.Ignored = ignored
			return nil, nil
		},
		// The report is the page: what was (or would be) imported, and
		// every row refused with its reason.
		Do: func(ctx context.Context) (string, string, error) {
			var err error
			if v.Report, err = s.Service.ImportAccounts(ctx, b.Me, ros, v.DryRun); err != nil {
				return "", "", err
			}
			if len(v.Report.Problems) > 0 {
				return "", "", &workflow.Error{Op: op, Kind: workflow.Invalid, Msg: b.T("名单中有 %d 行有问题，没有导入任何账号：请改正后重新导入", len(v.Report.Problems))}
			}
			return "", "", nil
		},
		Show: func(status int) error { return s.render(w, b, status, importContent(v)) },
	})
}
