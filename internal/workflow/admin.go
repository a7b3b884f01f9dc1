package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ChangeOffice is SaveOffice that also returns the changes it recorded,
// for a caller that shows them (docflow admin).
func (s *Service) ChangeOffice(ctx context.Context, id Identity, version int, o Office) (*Office, []string, error) {
	cur, err := s.office(ctx)
	if err != nil {
		return nil, nil, err
	}
	o.Seal = cur.Seal
	changes := OfficeChanges(cur, &o)
	saved, err := s.SaveOffice(ctx, id, version, o, "")
	if err != nil {
		return nil, nil, err
	}
	return saved, changes, nil
}

// checkRemoved refuses to remove a department that enabled accounts still
// belong to: they could no longer be saved, nor be given its sections.
// Disabled accounts keep the name; enabling one asks for a department.
func (s *Service) checkRemoved(ctx context.Context, op string, cur, o *Office) error {
	var busy []string
	for _, d := range cur.Profile.Departments {
		if slices.Contains(o.Profile.Departments, d) {
			continue
		}
		members, err := s.Members(ctx, d, "")
		if err != nil {
			return err
		}
		if len(members) == 0 {
			continue
		}
		var names []string
		for _, a := range members {
			names = append(names, a.Name+"（"+a.User+"）")
		}
		busy = append(busy, fmt.Sprintf("%s 仍有 %s", d, strings.Join(names, "、")))
	}
	if len(busy) > 0 {
		return Errorf(op, Invalid, "不能删除仍有在用账号的部门：%s。请先把这些账号调到其他部门或停用", strings.Join(busy, "；"))
	}
	return nil
}

// OfficeChanges describes, for the audit trail, how office o differs from
// old: one entry per changed field, with the old and new values where they
// are short.
func OfficeChanges(old, o *Office) []string {
	var out []string
	short := func(label, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s：%s → %s", label, orNone(a), orNone(b)))
		}
	}
	list := func(label string, a, b []string) {
		if !slices.Equal(a, b) {
			out = append(out, fmt.Sprintf("%s：%s → %s", label, orNone(strings.Join(a, "、")), orNone(strings.Join(b, "、"))))
		}
	}
	set := func(label string, a, b []string) {
		added, removed := diffSets(a, b)
		if len(added) > 0 {
			out = append(out, fmt.Sprintf("增加%s：%s", label, strings.Join(added, "、")))
		}
		if len(removed) > 0 {
			out = append(out, fmt.Sprintf("删除%s：%s", label, strings.Join(removed, "、")))
		}
		if len(added) == 0 && len(removed) == 0 && !slices.Equal(a, b) {
			out = append(out, label+"顺序调整")
		}
	}
	p, q := &old.Profile, &o.Profile
	short("发文机关", p.Org, q.Org)
	short("简称", p.OrgShort, q.OrgShort)
	short("发文机关标志", p.Mark, q.Mark)
	short("报告文号代字", p.Series, q.Series)
	short("印发机关", p.Office, q.Office)
	list("抄送", p.CC, q.CC)
	if p.Opening != q.Opening {
		out = append(out, "开头语已修改")
	}
	short("结束语", p.Closing, q.Closing)
	short("部门办理提前天数", strconv.Itoa(p.LeadDays), strconv.Itoa(q.LeadDays))
	short("默认办理期限（月）", strconv.Itoa(p.DefaultDue), strconv.Itoa(q.DefaultDue))
	short("默认公开属性", p.DefaultOpenness().Label(), q.DefaultOpenness().Label())
	for _, o := range Opennesses {
		short(o.Label()+"的附注", p.Notes[o], q.Notes[o])
	}
	set("部门", p.Departments, q.Departments)
	if !slices.EqualFunc(p.Chain, q.Chain, func(a, b StepPlan) bool {
		return a.Name == b.Name && a.Countersign == b.Countersign && slices.Equal(a.Signers, b.Signers)
	}) {
		out = append(out, "默认签批流程："+chainText(p.Chain)+" → "+chainText(q.Chain))
	}
	out = append(out, kindChanges(p, q)...)
	set("文号代字", old.Series, o.Series)
	list("必经环节", old.Policy.Required, o.Policy.Required)
	if old.Policy.SecondFactor != o.Policy.SecondFactor {
		out = append(out, fmt.Sprintf("审核签发人须用动态口令：%s → %s", yesNo(old.Policy.SecondFactor), yesNo(o.Policy.SecondFactor)))
	}
	if old.Seal != o.Seal {
		out = append(out, "印章")
	}
	return append(out, notifyChanges(&old.Notify, &o.Notify)...)
}

// kindChanges names the kinds of case and the departments' letterheads
// added, removed or changed (issue 13): the trail says which, the office
// history's digest what.
func kindChanges(p, q *Profile) []string {
	var out []string
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	for _, k := range q.Kinds {
		switch was, ok := p.CaseKind(k.ID); {
		case !ok:
			out = append(out, "增加案件类别："+k.Name)
		case !same(was, k):
			out = append(out, "案件类别「"+k.Name+"」已修改")
		}
	}
	for _, k := range p.Kinds {
		if _, ok := q.CaseKind(k.ID); !ok {
			out = append(out, "删除案件类别："+k.Name)
		}
	}
	if !same(p.Letterheads, q.Letterheads) {
		out = append(out, "答复函的部门落款已修改")
	}
	return out
}

// notifyChanges describes changes of the notification settings. A robot's
// address and secret are credentials: the trail says that they changed,
// never what they are.
func notifyChanges(old, n *NotifySettings) []string {
	var out []string
	num := func(label string, a, b int, unit string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s：%s → %s", label, offOr(a, unit), offOr(b, unit)))
		}
	}
	num("到期前提醒", old.DueSoon, n.DueSoon, "天")
	num("逾期提醒间隔", old.Overdue, n.Overdue, "天")
	num("签批等待提醒", old.Waiting, n.Waiting, "小时")
	who := func(dept string) string {
		if dept == "" {
			return "本单位"
		}
		return dept
	}
	for _, r := range n.Robots {
		was, ok := old.Robot(r.Dept)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("增加%s的群机器人（%s）", who(r.Dept), r.Kind.Label()))
		case was != r:
			out = append(out, fmt.Sprintf("修改%s的群机器人（%s）", who(r.Dept), r.Kind.Label()))
		}
	}
	for _, r := range old.Robots {
		if _, ok := n.Robot(r.Dept); !ok {
			out = append(out, fmt.Sprintf("删除%s的群机器人", who(r.Dept)))
		}
	}
	return out
}

func offOr(n int, unit string) string {
	if n == 0 {
		return "不提醒"
	}
	return strconv.Itoa(n) + " " + unit
}

func chainText(c []StepPlan) string {
	var steps []string
	for _, p := range c {
		s := p.Name
		if len(p.Signers) > 0 {
			s += "（" + strings.Join(p.Signers, "、") + "）"
		}
		steps = append(steps, s)
	}
	return orNone(strings.Join(steps, "、"))
}

// AccountChanges describes, for the audit trail, how account a differs
// from old in what an administrator sets: names, department, title,
// roles, steps and whether it is disabled. Roles and steps are compared
// as sets.
func AccountChanges(old, a *Account) []string {
	var out []string
	short := func(label, x, y string) {
		if x != y {
			out = append(out, fmt.Sprintf("%s：%s → %s", label, orNone(x), orNone(y)))
		}
	}
	short("姓名", old.Name, a.Name)
	short("部门", old.Dept, a.Dept)
	short("职务", old.Title, a.Title)
	if !sameSet(old.Roles, a.Roles) {
		short("角色", roleText(old.Roles), roleText(a.Roles))
	}
	if !sameSet(old.Steps, a.Steps) {
		short("签批环节", strings.Join(old.Steps, "、"), strings.Join(a.Steps, "、"))
	}
	short("邮箱", old.Email, a.Email)
	if old.Notify != a.Notify {
		short("通知方式", old.Notify.Label(), a.Notify.Label())
	}
	if old.Disabled != a.Disabled {
		out = append(out, map[bool]string{true: "停用", false: "启用"}[a.Disabled])
	}
	return out
}

func roleText(rs []Role) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Label())
	}
	return strings.Join(out, "、")
}

func sameSet[T ~string](a, b []T) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// diffSets returns what b adds to a and what it lacks of a, in order.
func diffSets(a, b []string) (added, removed []string) {
	for _, x := range b {
		if !slices.Contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}

func orNone(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// Roster is people to add or update at once, read from a file by package
// roster.
type Roster struct {
	Rows []RosterRow
	// Whether the file has the optional columns: an account already
	// stored keeps its department, title or steps when the file does not
	// give them, so that a roster of names and roles wipes nothing.
	HasDept, HasTitle, HasSteps bool
}

// RosterRow is one person of a roster.
type RosterRow struct {
	Line    int     // the row's number in the file, as a spreadsheet shows it
	Account Account // User, Name, Dept, Title, Roles, Steps
	Problem string  // why the reader could not read the row; the import refuses it
}

// RowProblem says why one row of a roster cannot be imported.
type RowProblem struct {
	Line int    `json:"line"`
	User string `json:"user,omitempty"`
	Msg  string `json:"msg"`
}

// AccountChange names an account an import changed, and how.
type AccountChange struct {
	User    string   `json:"user"`
	Changes []string `json:"changes"`
}

// ImportReport says what an import did, or would do (a dry run).
type ImportReport struct {
	Added     []string        `json:"added"`
	Changed   []AccountChange `json:"changed"`
	Unchanged []string        `json:"unchanged"`
	// Problems lists every row refused; when there are any, nothing is
	// written.
	Problems []RowProblem `json:"problems,omitempty"`
}

// ImportAccounts adds the roster's new people and updates those whose
// account differs; an account the roster does not name is left alone, and
// so is whether an account is disabled. Every row is checked before
// anything is written: one bad row and no account is written, and the
// report lists every bad row. Importing the same roster again changes
// nothing. New accounts have no password: they sign in through the
// office's identity provider, or an administrator resets one. With
// dryRun, it reports what it would do and writes nothing.
//
// Each account is its own write, so a store failing midway leaves the
// rows before it imported; importing the roster again finishes the job.
func (s *Service) ImportAccounts(ctx context.Context, id Identity, r Roster, dryRun bool) (*ImportReport, error) {
	const op = "workflow.ImportAccounts"
	if err := needAdmin(op, id, "导入账号"); err != nil {
		return nil, err
	}
	if len(r.Rows) > MaxAccounts {
		return nil, Errorf(op, Invalid, "名单有 %d 人，上限 %d 人", len(r.Rows), MaxAccounts)
	}
	o, err := s.office(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := s.allAccounts(ctx)
	if err != nil {
		return nil, err
	}
	type write struct {
		line    int
		version int
		a       Account
		changes []string
	}
	var (
		writes []write
		rep    = &ImportReport{}
		seen   = map[string]int{}
	)
	for _, row := range r.Rows {
		a := row.Account
		bad := func(msg string) {
			rep.Problems = append(rep.Problems, RowProblem{Line: row.Line, User: a.User, Msg: msg})
		}
		a.User = strings.TrimSpace(a.User)
		if first, dup := seen[a.User]; dup && a.User != "" {
			bad(fmt.Sprintf("登录名 %s 与第 %d 行重复", a.User, first))
			continue
		}
		seen[a.User] = row.Line
		cur, exists := stored[a.User]
		if exists {
			a = merge(cur, row.Account, r)
		}
		// A row the reader refused is checked too, so that the report
		// says everything wrong with it at once.
		if err := checkAccount(op, o, &a); err != nil || row.Problem != "" {
			bad(strings.Trim(row.Problem+"；"+Message(err), "；"))
			continue
		}
		if a.User == id.User && !a.Has(Admin) {
			bad("不能取消自己的管理员角色")
			continue
		}
		if !exists {
			writes = append(writes, write{line: row.Line, a: a})
		} else if changes := AccountChanges(&cur, &a); len(changes) > 0 {
			writes = append(writes, write{line: row.Line, version: cur.Version, a: a, changes: changes})
		} else {
			rep.Unchanged = append(rep.Unchanged, a.User)
		}
	}
	added := 0
	for _, w := range writes {
		if w.version == 0 {
			added++
		}
	}
	if len(stored)+added > MaxAccounts {
		return nil, Errorf(op, Invalid, "已有 %d 个账号，再增加 %d 个将超过上限 %d 个", len(stored), added, MaxAccounts)
	}
	if len(rep.Problems) > 0 {
		return rep, Errorf(op, Invalid, "名单中有 %d 行有误，未导入任何账号：请改正后重新导入", len(rep.Problems))
	}
	for _, w := range writes {
		if !dryRun {
			what := fmt.Sprintf("，导入名单第 %d 行", w.line)
			if w.version != 0 {
				what += "：" + strings.Join(w.changes, "；")
			}
			if _, err := s.SaveAccount(ctx, id, w.version, w.a, what); err != nil {
				return rep, fmt.Errorf("%s: 第 %d 行（%s）未能保存，此前的行已导入；改正后可重新导入，已导入的不会重复: %w", op, w.line, w.a.User, err)
			}
		}
		if w.version == 0 {
			rep.Added = append(rep.Added, w.a.User)
		} else {
			rep.Changed = append(rep.Changed, AccountChange{User: w.a.User, Changes: w.changes})
		}
	}
	return rep, nil
}

// merge applies a roster's row to a stored account: the names and roles
// always, the department, title and steps when the roster has them.
func merge(cur, row Account, r Roster) Account {
	a := cur
	a.Name, a.Roles = row.Name, row.Roles
	if r.HasDept {
		a.Dept = row.Dept
	}
	if r.HasTitle {
		a.Title = row.Title
	}
	if r.HasSteps {
		a.Steps = row.Steps
	}
	return a
}

// allAccounts reads every account by login.
func (s *Service) allAccounts(ctx context.Context) (map[string]Account, error) {
	out := map[string]Account{}
	for q := (AccountQuery{Limit: MaxPage}); ; {
		p, err := s.Dir.Accounts(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, a := range p.Accounts {
			out[a.User] = a
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			return out, nil
		}
	}
}
