package workflow

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"time"
)

// Office is an installation's own configuration: its names and the
// boilerplate of its documents (Profile), the number series it may issue
// in, its sign-off policy and its seal. It is kept in the store, changed
// by administrators through Service and audited; templates/ only seeds a
// new installation. Nothing about one district is compiled in.
type Office struct {
	Version int      `json:"version"` // set by the Directory
	Profile Profile  `json:"profile"`
	Series  []string `json:"series"` // every series the office numbers in; Profile.Series among them
	Policy  Policy   `json:"policy"`
	Seal    string   `json:"seal,omitempty"` // hash of the seal image (PNG) in Blobs; "" for none
	// Notify is how people are told: the group robots and the reminder
	// rules (see NotifySettings).
	Notify  NotifySettings `json:"notify,omitzero"`
	Updated time.Time      `json:"updated"`

	Head StreamHead `json:"head"` // of the office's own stream of events
}

// Policy is what the office requires of every sign-off chain, whatever the
// clerk who starts it chooses (separation of duties).
type Policy struct {
	// Required names steps every chain must have, in this order; only an
	// account holding the step (Account.Steps) may sign it.
	Required []string `json:"required"`
	// SecondFactor requires approvers to sign in with a one-time code too.
	SecondFactor bool `json:"secondFactor,omitempty"`
}

// OfficeStream is the case ID under which the office's and the accounts'
// events are kept: the office's settings in stream "", each account in
// stream "@" + its login.
const OfficeStream = "office"

// AccountStream names an account's stream of events.
func AccountStream(user string) string { return "@" + user }

// Validate checks an office's configuration, reporting every problem it
// finds in one message.
func (o *Office) Validate() error {
	const op = "workflow.Office"
	if err := o.Profile.Validate(); err != nil {
		return err
	}
	var bad []string
	if !slices.Contains(o.Series, o.Profile.Series) {
		bad = append(bad, fmt.Sprintf("报告使用的文号代字「%s」不在文号代字列表中", o.Profile.Series))
	}
	for _, s := range o.Series {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "〔〕[]#/ \t\r\n") {
			bad = append(bad, fmt.Sprintf("文号代字「%s」无效（不能为空或含括号、空格、#、/）", s))
		}
	}
	seen := map[string]bool{}
	for _, d := range o.Profile.Departments {
		if strings.TrimSpace(d) == "" || strings.ContainsAny(d, "#/\r\n") || seen[d] {
			bad = append(bad, fmt.Sprintf("部门名称「%s」为空、重复或含 # /", d))
		}
		seen[d] = true
	}
	names := map[string]bool{}
	for _, p := range o.Profile.Chain {
		names[p.Name] = true
	}
	for _, r := range o.Policy.Required {
		if !names[r] {
			bad = append(bad, fmt.Sprintf("必经环节「%s」不在默认签批流程中", r))
		}
	}
	if len(o.Series) > MaxSeries {
		bad = append(bad, fmt.Sprintf("文号代字有 %d 个，上限 %d 个", len(o.Series), MaxSeries))
	}
	if len(o.Profile.Departments) > MaxDepartments {
		bad = append(bad, fmt.Sprintf("部门有 %d 个，上限 %d 个", len(o.Profile.Departments), MaxDepartments))
	}
	bad = append(bad, o.Notify.problems(o.Profile.Departments)...)
	if len(bad) > 0 {
		return Errorf(op, Invalid, "%s", strings.Join(bad, "；"))
	}
	return nil
}

// Limits of an office's configuration.
const (
	MaxDepartments = 200
	MaxAccounts    = 5000
	MaxSeries      = 20
	MaxCC          = 30
	MaxBoilerplate = 2000 // characters of the opening or closing
)

// Account is a person who signs in: who they are, what they may do, and
// how they prove it. Password holds a password hash in PHC form (package
// password makes and checks it; the domain never sees a password); an
// account without one signs in only through the office's identity
// provider.
type Account struct {
	User  string   `json:"user"` // login
	Name  string   `json:"name"`
	Dept  string   `json:"dept,omitempty"`
	Title string   `json:"title,omitempty"` // 职务
	Roles []Role   `json:"roles"`
	Steps []string `json:"steps,omitempty"` // sign-off steps the account may sign where the policy requires a holder
	// Email is where messages reach the person by email ("" for none);
	// Notify is how they want to be told (Channel; "" is the default).
	Email    string    `json:"email,omitempty"`
	Notify   Channel   `json:"notify,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Password string    `json:"password,omitempty"`
	TOTP     string    `json:"totp,omitempty"` // the second factor's secret; "" for none
	Failed   int       `json:"failed,omitempty"`
	Locked   time.Time `json:"locked,omitzero"` // sign-in refused until then
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`

	Version int        `json:"version"` // set by the Directory
	Head    StreamHead `json:"head"`
}

// Identity is the account as it acts.
func (a *Account) Identity() Identity {
	return Identity{User: a.User, Name: a.Name, Dept: a.Dept, Title: a.Title, Roles: slices.Clone(a.Roles)}
}

// Has reports whether the account carries role r.
func (a *Account) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// Directory keeps the office's configuration and its accounts.
// Implementations must be safe for concurrent use and pass
// workflowtest.TestDirectory; both stores implement it.
type Directory interface {
	// Office returns the office's configuration, or NotFound on an
	// installation not yet set up.
	Office(ctx context.Context) (*Office, error)
	// SaveOffice writes o if the stored one is at o.Version (0: none
	// stored yet) and appends evs, atomically; it sets o.Version. A stale
	// version gives Conflict.
	SaveOffice(ctx context.Context, o *Office, evs []Event) error
	// Account returns the account with the given login, or NotFound.
	Account(ctx context.Context, user string) (*Account, error)
	// Accounts lists accounts in login order, a page at a time.
	Accounts(ctx context.Context, q AccountQuery) (AccountPage, error)
	// SaveAccount writes a if the stored one is at a.Version (0: new, the
	// login must be free) and appends evs, atomically; it sets a.Version.
	SaveAccount(ctx context.Context, a *Account, evs []Event) error
}

// AccountQuery selects accounts. Zero fields match everything.
type AccountQuery struct {
	Dept   string
	Role   Role
	Limit  int    // DefaultPage if 0, at most MaxPage
	Cursor string // AccountPage.Next of the page before
}

// AccountPage is one page of accounts.
type AccountPage struct {
	Accounts []Account `json:"accounts"`
	Next     string    `json:"next,omitempty"`
}

// Session is a signed-in browser or an API token. The store keeps the
// SHA-256 of its secret (ID), never the secret, so a copy of the database
// signs no one in.
type Session struct {
	ID      string    `json:"id"` // hex SHA-256 of the secret the client holds
	User    string    `json:"user"`
	Kind    string    `json:"kind"`           // SessionBrowser or SessionToken
	Name    string    `json:"name,omitempty"` // a token's label
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
	Expires time.Time `json:"expires"`
	// Factors says how the session was proved: "password", "password+totp", "oidc".
	Factors string `json:"factors"`
}

// Kinds of Session.
const (
	SessionBrowser = "browser"
	SessionToken   = "token"
)

// Sessions keeps sign-in sessions and API tokens. Implementations must be
// safe for concurrent use; both stores implement it.
type Sessions interface {
	// Session returns a session of user by ID, or NotFound.
	Session(ctx context.Context, user, id string) (*Session, error)
	// SaveSession creates or replaces a session.
	SaveSession(ctx context.Context, s *Session) error
	// DeleteSession removes a session; a missing one is no error.
	DeleteSession(ctx context.Context, user, id string) error
	// UserSessions lists a user's sessions and tokens.
	UserSessions(ctx context.Context, user string) ([]Session, error)
	// DeleteSessions removes every session and token of a user (sign out
	// everywhere; an account disabled).
	DeleteSessions(ctx context.Context, user string) error
}

// MaxSessions bounds a user's sessions and tokens: signing in once more
// removes the oldest.
const MaxSessions = 20

func (s *Service) office(ctx context.Context) (*Office, error) {
	o, err := s.Dir.Office(ctx)
	if KindOf(err) == NotFound {
		return nil, &Error{Op: "workflow.office", Kind: Invalid, Msg: "本系统尚未完成初始设置：请管理员打开设置链接", Err: err}
	}
	return o, err
}

// Office returns the office's configuration, for anyone signed in: the
// pages show its names and departments.
func (s *Service) Office(ctx context.Context) (*Office, error) { return s.office(ctx) }

// Setup makes a new installation's office from seed (templates/ or the
// form) and its first administrator. It succeeds only once: an installation
// with an office refuses it.
func (s *Service) Setup(ctx context.Context, seed Office, admin Account) (*Office, *Account, error) {
	const op = "workflow.Setup"
	if _, err := s.Dir.Office(ctx); err == nil {
		return nil, nil, Errorf(op, Conflict, "本系统已完成初始设置")
	} else if KindOf(err) != NotFound {
		return nil, nil, err
	}
	if err := seed.Validate(); err != nil {
		return nil, nil, err
	}
	if !admin.Has(Admin) {
		admin.Roles = append(admin.Roles, Admin)
	}
	if err := checkAccount(op, &seed, &admin); err != nil {
		return nil, nil, err
	}
	now := s.now()
	seed.Version, seed.Head, seed.Updated = 0, StreamHead{}, now
	r := s.officeRecorder(admin.Identity(), now)
	r.addOffice(&seed, "setup", fmt.Sprintf("初始设置：%s，文号代字 %s，%d 个部门", seed.Profile.Org, strings.Join(seed.Series, "、"), len(seed.Profile.Departments)))
	evs, err := r.seal(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Dir.SaveOffice(ctx, &seed, evs); err != nil {
		return nil, nil, err
	}
	admin.Created, admin.Updated, admin.Version, admin.Head = now, now, 0, StreamHead{}
	r = s.officeRecorder(admin.Identity(), now)
	r.addAccount(&admin, "add-account", fmt.Sprintf("初始设置：建立管理员 %s（%s）", admin.User, admin.Name))
	evs, err = r.seal(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Dir.SaveAccount(ctx, &admin, evs); err != nil {
		return nil, nil, err
	}
	return &seed, &admin, nil
}

// officeRecorder records the events of a change to the office or an
// account: it is the recorder of a case named OfficeStream, whose streams
// belong to the office and the accounts.
type officeRecorder struct {
	recorder
	heads map[string]*StreamHead
}

func (s *Service) officeRecorder(id Identity, at time.Time) *officeRecorder {
	return &officeRecorder{recorder: recorder{id: id, at: at, c: &Case{Record: Record{ID: OfficeStream}}, signer: s.Signer}, heads: map[string]*StreamHead{}}
}

func (r *officeRecorder) addOffice(o *Office, action, detail string) {
	r.heads[""] = &o.Head
	r.c.Head = o.Head
	r.add("", Action(action), detail, o.digest())
}

func (r *officeRecorder) addAccount(a *Account, action, detail string) {
	st := AccountStream(a.User)
	r.heads[st] = &a.Head
	r.c.Sections = append(r.c.Sections, Section{ID: st, Head: a.Head})
	r.add(st, Action(action), detail, a.digest())
}

// digest is the hash of the office's settings as a change leaves them,
// kept in the change's event (Event.Sum): the settings themselves are not
// chained, so VerifyOffice compares them with it. The version and head,
// which the store and the recorder set afterwards, are left out.
func (o *Office) digest() string {
	x := *o
	x.Version, x.Head = 0, StreamHead{}
	return Hash(encode(&x))
}

// digest is Office.digest for an account.
func (a *Account) digest() string {
	x := *a
	x.Version, x.Head = 0, StreamHead{}
	return Hash(encode(&x))
}

// seal chains and signs the events and writes the new heads back to the
// office or account they belong to.
func (r *officeRecorder) seal(ctx context.Context) ([]Event, error) {
	evs := r.recorder.seal()
	if err := sign(ctx, r.signer, evs); err != nil {
		return nil, err
	}
	for st, h := range r.heads {
		*h = *r.head(st)
	}
	return evs, nil
}

func needAdmin(op string, id Identity, what string) error {
	if !id.Has(Admin) {
		return Errorf(op, Forbidden, "只有管理员可以%s", what)
	}
	return nil
}

// SaveOffice replaces the office's configuration; version is the one the
// administrator edited. The audit trail names the fields that changed
// (OfficeChanges; what adds a note); saving an unchanged office records
// nothing. The seal is kept (SetSeal changes it), and a department is
// removed only when no enabled account belongs to it.
func (s *Service) SaveOffice(ctx context.Context, id Identity, version int, o Office, what string) (*Office, error) {
	const op = "workflow.SaveOffice"
	if err := needAdmin(op, id, "修改单位设置"); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cur, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	if cur.Version != version {
		return nil, Errorf(op, Conflict, "单位设置已被他人修改（您修改的是第 %d 版，现在是第 %d 版），请重新读取（刷新页面）后再改", version, cur.Version)
	}
	o.Seal = cur.Seal // changed by SetSeal only, which checks the image
	for i := range o.Profile.Letterheads {
		was, _ := cur.Profile.Letterhead(o.Profile.Letterheads[i].Dept)
		o.Profile.Letterheads[i].Seal = was.Seal
	}
	changed := OfficeChanges(cur, &o)
	if len(changed) == 0 {
		return cur, nil
	}
	if err := s.checkRemoved(ctx, op, cur, &o); err != nil {
		return nil, err
	}
	o.Version, o.Head, o.Updated = cur.Version, cur.Head, s.now()
	detail := "修改单位设置：" + strings.Join(changed, "；")
	if what = strings.TrimSpace(what); what != "" {
		detail += "（" + what + "）"
	}
	r := s.officeRecorder(id, o.Updated)
	r.addOffice(&o, "save-office", detail)
	evs, err := r.seal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Dir.SaveOffice(ctx, &o, evs); err != nil {
		return nil, err
	}
	return &o, nil
}

// checkAccount checks an account against the office: a login made of
// letters, digits and . _ -, a name, a known department, a department for
// department roles.
func checkAccount(op string, o *Office, a *Account) error {
	a.User = strings.TrimSpace(a.User)
	switch {
	case a.User == "" || len(a.User) > 64 || strings.IndexFunc(a.User, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) >= 0:
		return Errorf(op, Invalid, "登录名「%s」无效：须为 1–64 个字母、数字或 . _ -", a.User)
	case strings.TrimSpace(a.Name) == "":
		return Errorf(op, Invalid, "请填写姓名")
	case a.Dept != "" && !slices.Contains(o.Profile.Departments, a.Dept):
		return Errorf(op, Invalid, "部门「%s」不在部门名录中", a.Dept)
	case (slices.Contains(a.Roles, Staff) || slices.Contains(a.Roles, Head)) && a.Dept == "":
		return Errorf(op, Invalid, "承办部门人员须指定部门")
	}
	for _, f := range []struct{ name, v string }{{"姓名", a.Name}, {"职务", a.Title}} {
		if err := checkLine(op, f.name, f.v); err != nil {
			return err
		}
	}
	for _, r := range a.Roles {
		if _, ok := roleLabel[r]; !ok {
			return Errorf(op, Invalid, "没有角色「%s」", r)
		}
	}
	a.Email = strings.TrimSpace(a.Email)
	if err := CheckEmail(op, a.Email); err != nil {
		return err
	}
	switch a.Notify {
	case "", ByEmail, ByRobot, ByNone:
	default:
		return Errorf(op, Invalid, "通知方式「%s」无效：须为 email（邮件）、robot（部门群机器人）、off（不通知）或留空（有邮箱发邮件，否则发群机器人）", a.Notify)
	}
	if a.Notify == ByEmail && a.Email == "" {
		return Errorf(op, Invalid, "通知方式为邮件，请填写邮箱")
	}
	for _, st := range a.Steps {
		if !o.stepNamed(st) {
			return Errorf(op, Invalid, "签批流程中没有环节「%s」", st)
		}
	}
	return nil
}

// SaveAccount adds an account (version 0) or changes one; what says, for
// the audit trail, what changed. The password and second factor are set
// by SetCredentials, not here: a stored account's are kept.
func (s *Service) SaveAccount(ctx context.Context, id Identity, version int, a Account, what string) (*Account, error) {
	const op = "workflow.SaveAccount"
	if err := needAdmin(op, id, "管理账号"); err != nil {
		return nil, err
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkAccount(op, o, &a); err != nil {
		return nil, err
	}
	now := s.now()
	action := "add-account"
	if version == 0 {
		a.Password, a.TOTP, a.Failed, a.Locked = "", "", 0, time.Time{}
		a.Created, a.Head = now, StreamHead{}
	} else {
		cur, err := s.Dir.Account(ctx, a.User)
		if err != nil {
			return nil, err
		}
		if cur.Version != version {
			return nil, Errorf(op, Conflict, "账号 %s 已被他人修改，请刷新后再改", a.User)
		}
		if cur.User == id.User && (a.Disabled || !a.Has(Admin)) {
			return nil, Errorf(op, Invalid, "不能停用自己的账号或取消自己的管理员角色")
		}
		a.Password, a.TOTP, a.Failed, a.Locked, a.Created, a.Head = cur.Password, cur.TOTP, cur.Failed, cur.Locked, cur.Created, cur.Head
		action = "save-account"
	}
	a.Version, a.Updated = version, now
	r := s.officeRecorder(id, now)
	r.addAccount(&a, action, fmt.Sprintf("%s：%s（%s）%s", map[string]string{"add-account": "建立账号", "save-account": "修改账号"}[action], a.User, a.Name, what))
	evs, err := r.seal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Dir.SaveAccount(ctx, &a, evs); err != nil {
		return nil, err
	}
	s.forgetAudiences()
	return &a, nil
}

// Credentials changes an account's proof of identity: a new password hash
// (PHC form, made by package password), a second factor's secret, or the
// counters of failed sign-ins. The edge checks who may (the user, or an
// administrator resetting); every change is audited.
type Credentials struct {
	Password *string
	TOTP     *string
	Failed   *int
	Locked   *time.Time
}

// SetCredentials applies c to an account as id (the edge decided id may)
// and records detail; sign-in failures are recorded too.
func (s *Service) SetCredentials(ctx context.Context, id Identity, user string, c Credentials, detail string) (*Account, error) {
	for try := 1; ; try++ {
		a, err := s.Dir.Account(ctx, user)
		if err != nil {
			return nil, err
		}
		if c.Password != nil {
			a.Password = *c.Password
		}
		if c.TOTP != nil {
			a.TOTP = *c.TOTP
		}
		if c.Failed != nil {
			a.Failed = *c.Failed
		}
		if c.Locked != nil {
			a.Locked = *c.Locked
		}
		a.Updated = s.now()
		r := s.officeRecorder(id, a.Updated)
		r.addAccount(a, "credentials", detail)
		evs, err := r.seal(ctx)
		if err != nil {
			return nil, err
		}
		err = s.Dir.SaveAccount(ctx, a, evs)
		if KindOf(err) == Conflict && try < saveTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return a, nil
	}
}

// Members returns the enabled accounts of a department with role r.
func (s *Service) Members(ctx context.Context, dept string, r Role) ([]Account, error) {
	var out []Account
	for q := (AccountQuery{Dept: dept, Role: r, Limit: MaxPage}); ; {
		p, err := s.Dir.Accounts(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, a := range p.Accounts {
			if !a.Disabled {
				out = append(out, a)
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			return out, nil
		}
	}
}

// recordOffice appends an event to the office's stream for a change kept
// outside the office's record (a series counter).
func (s *Service) recordOffice(ctx context.Context, id Identity, action, detail string) error {
	for try := 1; ; try++ {
		o, err := s.office(ctx)
		if err != nil {
			return err
		}
		o.Updated = s.now()
		r := s.officeRecorder(id, o.Updated)
		r.addOffice(o, action, detail)
		evs, err := r.seal(ctx)
		if err != nil {
			return err
		}
		err = s.Dir.SaveOffice(ctx, o, evs)
		if KindOf(err) == Conflict && try < saveTries {
			continue
		}
		return err
	}
}

// Limits of a seal image.
const (
	MaxSealBytes = 1 << 20
	MaxSealSide  = 2000 // pixels
	MinSealSide  = 100
)

// SetSeal replaces the seal (印章) the office's documents carry — or,
// with dept, the one that department's 答复函 carry — with png, or
// removes it (png nil). The image is checked (sealSize) and stored as a
// blob; what was published keeps the seal it was published with.
func (s *Service) SetSeal(ctx context.Context, id Identity, version int, dept string, png []byte) (*Office, error) {
	const op = "workflow.SetSeal"
	if err := needAdmin(op, id, "设置印章"); err != nil {
		return nil, err
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	if o.Version != version {
		return nil, Errorf(op, Conflict, "单位设置已被他人修改，请刷新后再改")
	}
	seal, whose := &o.Seal, ""
	if dept != "" {
		i := slices.IndexFunc(o.Profile.Letterheads, func(l Letterhead) bool { return l.Dept == dept })
		if i < 0 {
			return nil, Errorf(op, Invalid, "部门“%s”还没有答复函版头：请先在单位设置的 letterheads 中添加，再设置其印章", dept)
		}
		seal, whose = &o.Profile.Letterheads[i].Seal, dept+"的"
	}
	what := "删除" + whose + "印章"
	*seal = ""
	if png != nil {
		w, h, err := sealSize(png)
		if err != nil {
			return nil, err
		}
		if *seal, err = s.Blobs.Put(ctx, png); err != nil {
			return nil, err
		}
		what = fmt.Sprintf("更换%s印章（PNG %d×%d 像素，%d 字节，%s）", whose, w, h, len(png), (*seal)[:12])
	}
	o.Updated = s.now()
	r := s.officeRecorder(id, o.Updated)
	r.addOffice(o, "set-seal", what)
	evs, err := r.seal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Dir.SaveOffice(ctx, o, evs); err != nil {
		return nil, err
	}
	return o, nil
}

// sealSize checks that b is a PNG within the seal's limits.
func sealSize(b []byte) (w, h int, err error) {
	const op = "workflow.SetSeal"
	if len(b) > MaxSealBytes {
		return 0, 0, Errorf(op, Invalid, "印章图片 %d 字节，上限 %d 字节", len(b), MaxSealBytes)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, Errorf(op, Invalid, "印章须为 PNG 图片（透明背景）：%v", err)
	}
	if cfg.Width < MinSealSide || cfg.Height < MinSealSide || cfg.Width > MaxSealSide || cfg.Height > MaxSealSide {
		return 0, 0, Errorf(op, Invalid, "印章图片 %d×%d 像素，须在 %d–%d 像素之间", cfg.Width, cfg.Height, MinSealSide, MaxSealSide)
	}
	// Decoding the whole image proves it is not truncated.
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		return 0, 0, Errorf(op, Invalid, "印章图片已损坏：%v", err)
	}
	return cfg.Width, cfg.Height, nil
}

// OfficeHistory returns events of the office's stream ("") or of an
// account's (AccountStream), newest first, before seq (0: the latest).
// Administrators read every stream; others only their own account's.
func (s *Service) OfficeHistory(ctx context.Context, id Identity, stream string, before, limit int) ([]Event, error) {
	const op = "workflow.OfficeHistory"
	if !id.Has(Admin) && stream != AccountStream(id.User) {
		return nil, Errorf(op, Forbidden, "只有管理员可以查看单位设置和他人账号的记录")
	}
	switch {
	case limit == 0:
		limit = DefaultPage
	case limit < 0 || limit > MaxPage:
		return nil, Errorf(op, Invalid, "每页条数须为 1–%d", MaxPage)
	}
	return s.Store.Events(ctx, OfficeStream, stream, before, limit)
}

// VerifyOffice checks the audit trail of the office's settings and of
// every account as Verify checks a case's: chains, heads and signatures.
// A rewritten role or step (someone made an approver in the database)
// shows here.
func (s *Service) VerifyOffice(ctx context.Context) (Verified, error) {
	o, err := s.Dir.Office(ctx)
	if err != nil {
		return Verified{}, err
	}
	c := &Case{Record: Record{ID: OfficeStream, Head: o.Head}}
	for q := (AccountQuery{Limit: MaxPage}); ; {
		p, err := s.Dir.Accounts(ctx, q)
		if err != nil {
			return Verified{}, err
		}
		for _, a := range p.Accounts {
			c.Sections = append(c.Sections, Section{ID: AccountStream(a.User), Head: a.Head})
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	streams, v, err := s.verify(ctx, c)
	if err != nil {
		return v, err
	}
	// The settings and accounts as stored must be what their last change
	// recorded: a role added in the database, without an event, shows.
	var bad []string
	check := func(st, what, sum string) {
		evs := streams[st]
		if n := len(evs); n > 0 && evs[n-1].Sum != "" && evs[n-1].Sum != sum {
			bad = append(bad, fmt.Sprintf("%s与审计记录第 %d 条所记不符：被直接改动", what, evs[n-1].Seq))
		}
	}
	check("", "单位设置", o.digest())
	for q := (AccountQuery{Limit: MaxPage}); ; {
		p, err := s.Dir.Accounts(ctx, q)
		if err != nil {
			return v, err
		}
		for _, a := range p.Accounts {
			check(AccountStream(a.User), "账号 "+a.User, a.digest())
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	if len(bad) > 0 {
		return v, Errorf("workflow.VerifyOffice", Invalid, "%s", strings.Join(bad, "；"))
	}
	return v, nil
}
