package workflow_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestChangeOffice edits the office as an administrator would: the audit
// trail names each changed field; an edit that changes nothing writes
// nothing; a stale edit, a clerk's edit and the removal of a department
// that people still work in are refused and change nothing; the seal is
// kept whatever the edit says.
func TestChangeOffice(t *testing.T) {
	e := newEnv(t)
	admin := e.id("admin")
	o := must(e.svc.SetSeal(e.ctx, admin, must(e.svc.Office(e.ctx)).Version, "", sealPNG(t, 200)))
	before := len(must(e.svc.OfficeHistory(e.ctx, admin, "", 0, 100)))

	edit := *o
	edit.Profile.Org = "河西区人民政府"
	edit.Profile.CC = []string{"区人大常委会", "区政协"}
	edit.Profile.Departments = append(slices.Clone(o.Profile.Departments), "区数据局")
	edit.Series = append(slices.Clone(o.Series), "河府发")
	edit.Policy.SecondFactor = true
	edit.Seal = "" // an edit from a file that lacks the seal must not remove it
	got, changes := must2(e.svc.ChangeOffice(e.ctx, admin, o.Version, edit))
	for _, want := range []string{"发文机关：" + o.Profile.Org + " → 河西区人民政府", "抄送：（无） → 区人大常委会、区政协",
		"增加部门：区数据局", "增加文号代字：河府发", "审核签发人须用动态口令：否 → 是"} {
		if !slices.Contains(changes, want) {
			t.Errorf("changes %q lack %q", changes, want)
		}
	}
	if len(changes) != 5 {
		t.Errorf("changes %q; want exactly the five fields edited", changes)
	}
	if got.Seal != o.Seal || got.Profile.Org != "河西区人民政府" {
		t.Errorf("saved office: seal %q (want %q kept), org %q", got.Seal, o.Seal, got.Profile.Org)
	}
	evs := must(e.svc.OfficeHistory(e.ctx, admin, "", 0, 100))
	if len(evs) != before+1 || !hasEvent(evs, "save-office", "增加部门：区数据局") {
		t.Errorf("history has %d events (was %d); want one save-office naming the changes: %+v", len(evs), before, evs[0])
	}

	// The same edit again changes nothing and records nothing.
	if _, changes := must2(e.svc.ChangeOffice(e.ctx, admin, got.Version, *got)); len(changes) != 0 {
		t.Errorf("an unchanged office reported changes %q", changes)
	}
	if n := len(must(e.svc.OfficeHistory(e.ctx, admin, "", 0, 100))); n != before+1 {
		t.Errorf("an unchanged office was recorded: %d events, want %d", n, before+1)
	}

	_, _, err := e.svc.ChangeOffice(e.ctx, admin, o.Version, edit)
	wantErr(t, "an edit of an old version", err, workflow.Conflict, "重新读取")
	_, _, err = e.svc.ChangeOffice(e.ctx, e.id("clerk"), got.Version, edit)
	wantErr(t, "a clerk's edit", err, workflow.Forbidden, "管理员")

	// 区妇联 has a staff member and a head: removing it is refused, naming them.
	gone := *got
	gone.Profile.Departments = slices.DeleteFunc(slices.Clone(got.Profile.Departments), func(d string) bool { return d == "区妇联" })
	_, _, err = e.svc.ChangeOffice(e.ctx, admin, got.Version, gone)
	wantErr(t, "removing a department with people", err, workflow.Invalid, "林磊（fulian-staff）")
	if now := must(e.svc.Office(e.ctx)); !slices.Contains(now.Profile.Departments, "区妇联") || now.Version != got.Version {
		t.Fatal("the refused removal changed the office")
	}
	// Once they are disabled, it goes; their accounts keep the name.
	for _, u := range []string{"fulian-staff", "fulian-head"} {
		a := must(e.svc.Dir.Account(e.ctx, u))
		a.Disabled = true
		must(e.svc.SaveAccount(e.ctx, admin, a.Version, *a, "，停用"))
	}
	_, changes = must2(e.svc.ChangeOffice(e.ctx, admin, got.Version, gone))
	if !slices.Equal(changes, []string{"删除部门：区妇联"}) {
		t.Errorf("changes %q; want the department removed", changes)
	}
}

// TestImportAccounts imports a roster: new people are added, changed ones
// updated, the rest left alone, and the same roster again changes nothing.
// A roster with bad rows writes nothing and names every bad row. Columns
// the roster lacks keep what the accounts had.
func TestImportAccounts(t *testing.T) {
	e := newEnv(t)
	admin := e.id("admin")
	row := func(line int, user, name, dept, title string, roles []workflow.Role, steps ...string) workflow.RosterRow {
		return workflow.RosterRow{Line: line, Account: workflow.Account{User: user, Name: name, Dept: dept, Title: title, Roles: roles, Steps: steps}}
	}
	staff, head := []workflow.Role{workflow.Staff}, []workflow.Role{workflow.Head, workflow.Approver}
	r := workflow.Roster{HasDept: true, HasTitle: true, HasSteps: true, Rows: []workflow.RosterRow{
		row(2, "jiaoyu-staff2", "陈小红", "区教育局", "科员", staff),
		row(3, "jiaoyu-head", "冯伟", "区教育局", "局长", head),                                                 // title changed
		row(4, "fulian-head", "何明", "区妇联", "区妇联负责人", []workflow.Role{workflow.Approver, workflow.Head}), // same roles, other order
	}}

	dry := must(e.svc.ImportAccounts(e.ctx, admin, r, true))
	if _, err := e.svc.Dir.Account(e.ctx, "jiaoyu-staff2"); workflow.KindOf(err) != workflow.NotFound {
		t.Fatalf("a dry run wrote an account: %v", err)
	}
	rep := must(e.svc.ImportAccounts(e.ctx, admin, r, false))
	for _, rp := range []*workflow.ImportReport{dry, rep} {
		if !slices.Equal(rp.Added, []string{"jiaoyu-staff2"}) || len(rp.Changed) != 1 || rp.Changed[0].User != "jiaoyu-head" ||
			!slices.Equal(rp.Changed[0].Changes, []string{"职务：区教育局负责人 → 局长"}) || !slices.Equal(rp.Unchanged, []string{"fulian-head"}) {
			t.Errorf("report %+v; want jiaoyu-staff2 added, jiaoyu-head's title changed, fulian-head unchanged", rp)
		}
	}
	if a := must(e.svc.Dir.Account(e.ctx, "jiaoyu-staff2")); a.Dept != "区教育局" || a.Password != "" {
		t.Errorf("imported account %+v; want 区教育局 and no password", a)
	}
	evs := must(e.svc.OfficeHistory(e.ctx, admin, workflow.AccountStream("jiaoyu-head"), 0, 10))
	if !hasEvent(evs, "save-account", "导入名单第 3 行：职务：区教育局负责人 → 局长") {
		t.Errorf("the change was not audited: %+v", evs)
	}
	again := must(e.svc.ImportAccounts(e.ctx, admin, r, false))
	if len(again.Added)+len(again.Changed) != 0 || len(again.Unchanged) != 3 {
		t.Errorf("the same roster again: %+v; want all three unchanged", again)
	}

	// A roster without the title column keeps the stored titles.
	r.HasTitle = false
	r.Rows[1].Account.Title = ""
	if rep := must(e.svc.ImportAccounts(e.ctx, admin, r, false)); len(rep.Changed) != 0 {
		t.Errorf("a roster without titles changed %+v", rep.Changed)
	}

	bad := workflow.Roster{HasDept: true, Rows: []workflow.RosterRow{
		row(2, "ok-person", "好人", "区教育局", "", staff),
		row(3, "x", "某某", "区外星局", "", staff),
		row(4, "ok-person", "重名", "区教育局", "", staff),
		row(5, "坏 登录", "某某", "区教育局", "", staff),
		row(6, "nodept", "某某", "", "", staff),
		{Line: 7, Problem: "「角色」列：没有角色「局长」"},
		row(8, "admin", "李军", "", "", []workflow.Role{workflow.Clerk}),
	}}
	rep, err := e.svc.ImportAccounts(e.ctx, admin, bad, false)
	wantErr(t, "a roster with bad rows", err, workflow.Invalid, "有 6 行有误")
	want := map[int]string{3: "区外星局", 4: "与第 2 行重复", 5: "登录名", 6: "须指定部门", 7: "局长", 8: "自己的管理员"}
	for _, p := range rep.Problems {
		if !strings.Contains(p.Msg, want[p.Line]) {
			t.Errorf("row %d: %q; want it to say %q", p.Line, p.Msg, want[p.Line])
		}
		delete(want, p.Line)
	}
	if len(want) != 0 {
		t.Errorf("rows not reported: %v (report %+v)", want, rep.Problems)
	}
	if _, err := e.svc.Dir.Account(e.ctx, "ok-person"); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("a roster with bad rows wrote its good row: %v", err)
	}
	_, err = e.svc.ImportAccounts(e.ctx, e.id("clerk"), r, false)
	wantErr(t, "a clerk importing", err, workflow.Forbidden, "管理员")
}

// TestParseRole reads roles as rosters and scripts write them.
func TestParseRole(t *testing.T) {
	for in, want := range map[string]workflow.Role{"审核签发人": workflow.Approver, " approver ": workflow.Approver, "Clerk": workflow.Clerk,
		"承办部门负责人": workflow.Head, "管理员": workflow.Admin, "局长": "", "": ""} {
		if got, ok := workflow.ParseRole(in); got != want || ok != (want != "") {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, r := range workflow.AllRoles {
		if got, _ := workflow.ParseRole(r.Label()); got != r {
			t.Errorf("the label of %s reads back as %q", r, got)
		}
	}
}
