package workflowtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docflow/docflow/internal/workflow"
)

// People is what a store keeps of an office: its configuration, accounts
// and sessions.
type People interface {
	workflow.Directory
	workflow.Sessions
	// Events reads the office's audit trail (workflow.OfficeStream).
	Events(ctx context.Context, caseID, stream string, before, limit int) ([]workflow.Event, error)
}

// TestDirectory runs the contract of workflow.Directory and
// workflow.Sessions. open returns a fresh, empty store for each subtest.
func TestDirectory(t *testing.T, open func(t *testing.T) People) {
	tests := []struct {
		name string
		run  func(t *testing.T, s People)
	}{
		{"OfficeMissing", testOfficeMissing},
		{"OfficeSaveGet", testOfficeSaveGet},
		{"OfficeRaceOneWins", testOfficeRace},
		{"AccountSaveGet", testAccountSaveGet},
		{"AccountsQuery", testAccountsQuery},
		{"Sessions", testSessions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t)) })
	}
}

// SeedOffice returns an office like a new installation's, of a district
// that is not the fixture's.
func SeedOffice() workflow.Office {
	return workflow.Office{
		Profile: workflow.Profile{Org: "江南市临江区人民政府", OrgShort: "区政府", Mark: "江南市临江区人民政府文件", Series: "临府议",
			Office: "江南市临江区人民政府办公室", Opening: "根据《{{.Title}}》（{{.Number}}），现将办理情况报告如下：", Closing: "特此报告。",
			LeadDays: 20, DefaultDue: 6, Departments: []string{"区民政局", "区教育局", "区卫健委"},
			Chain: []workflow.StepPlan{{Name: "核稿", Signers: []string{"checker"}}, {Name: "会签", Countersign: true}, {Name: "审核", Signers: []string{"vice"}}, {Name: "签发", Signers: []string{"chief"}}}},
		Series: []string{"临府议", "临府办"},
		Policy: workflow.Policy{Required: []string{"审核", "签发"}},
	}
}

// officeEvent is an office event as the service records it.
func officeEvent(stream string, head *workflow.StreamHead, action string) workflow.Event {
	head.Seq++
	e := workflow.Event{Case: workflow.OfficeStream, Stream: stream, Seq: head.Seq, At: time.Now(), Actor: "admin", Name: "管理员", Action: action,
		Detail: action, Prev: head.Hash, Form: workflow.FormFull}
	e.Hash = workflow.Hash(fmt.Appendf(nil, "%s%d%s", stream, e.Seq, e.Prev))
	head.Hash = e.Hash
	return e
}

func testOfficeMissing(t *testing.T, s People) {
	_, err := s.Office(t.Context())
	wantKind(t, "Office of a new installation", err, workflow.NotFound)
	_, err = s.Account(t.Context(), "nobody")
	wantKind(t, "Account of a missing login", err, workflow.NotFound)
}

func testOfficeSaveGet(t *testing.T, s People) {
	ctx := t.Context()
	o := SeedOffice()
	e := officeEvent("", &o.Head, "setup")
	if err := s.SaveOffice(ctx, &o, []workflow.Event{e}); err != nil {
		t.Fatalf("SaveOffice of a new installation = %v", err)
	}
	if o.Version != 1 {
		t.Errorf("version after the first save = %d; want 1", o.Version)
	}
	again := SeedOffice()
	wantKind(t, "SaveOffice at version 0 when one exists", s.SaveOffice(ctx, &again, nil), workflow.Conflict)
	o.Profile.Departments = append(o.Profile.Departments, "区科委")
	e2 := officeEvent("", &o.Head, "save-office")
	if err := s.SaveOffice(ctx, &o, []workflow.Event{e2}); err != nil {
		t.Fatalf("SaveOffice = %v", err)
	}
	got, err := s.Office(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&o, got, opts); d != "" {
		t.Errorf("Office differs from what was saved (-want +got):\n%s", d)
	}
	stale := o
	stale.Version = 1
	wantKind(t, "SaveOffice at a stale version", s.SaveOffice(ctx, &stale, nil), workflow.Conflict)
	evs, err := s.Events(ctx, workflow.OfficeStream, "", 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Action != "save-office" {
		t.Errorf("the office's events = %+v, %v; want save-office and setup", evs, err)
	}
}

func testOfficeRace(t *testing.T, s People) {
	o := SeedOffice()
	if err := s.SaveOffice(t.Context(), &o, nil); err != nil {
		t.Fatal(err)
	}
	var won atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		c := o
		c.Profile.Departments = append(slices.Clone(o.Profile.Departments), fmt.Sprintf("第%d局", i))
		wg.Go(func() {
			if err := s.SaveOffice(context.Background(), &c, nil); err == nil {
				won.Add(1)
			} else if workflow.KindOf(err) != workflow.Conflict {
				t.Errorf("racing SaveOffice = %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Errorf("%d of 8 saves at one version won; want 1", won.Load())
	}
}

func testAccountSaveGet(t *testing.T, s People) {
	ctx := t.Context()
	a := workflow.Account{User: "li.na", Name: "李娜", Dept: "区民政局", Title: "科长", Roles: []workflow.Role{workflow.Staff},
		Password: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", Created: time.Now(), Updated: time.Now()}
	e := officeEvent(workflow.AccountStream(a.User), &a.Head, "add-account")
	if err := s.SaveAccount(ctx, &a, []workflow.Event{e}); err != nil {
		t.Fatalf("SaveAccount of a new login = %v", err)
	}
	dup := a
	dup.Version = 0
	wantKind(t, "SaveAccount of a login that exists", s.SaveAccount(ctx, &dup, nil), workflow.Conflict)
	a.Roles = append(a.Roles, workflow.Head)
	if err := s.SaveAccount(ctx, &a, nil); err != nil {
		t.Fatalf("SaveAccount = %v", err)
	}
	got, err := s.Account(ctx, "li.na")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&a, got, opts); d != "" {
		t.Errorf("Account differs from what was saved (-want +got):\n%s", d)
	}
	stale := a
	stale.Version = 1
	wantKind(t, "SaveAccount at a stale version", s.SaveAccount(ctx, &stale, nil), workflow.Conflict)
	evs, err := s.Events(ctx, workflow.OfficeStream, workflow.AccountStream("li.na"), 0, 10)
	if err != nil || len(evs) != 1 {
		t.Errorf("the account's events = %+v, %v; want one", evs, err)
	}
}

func testAccountsQuery(t *testing.T, s People) {
	ctx := t.Context()
	for i := range 12 {
		a := workflow.Account{User: fmt.Sprintf("u%02d", i), Name: fmt.Sprint("人", i), Roles: []workflow.Role{workflow.Staff}}
		a.Dept = []string{"区民政局", "区教育局", ""}[i%3]
		if i%4 == 0 {
			a.Roles = append(a.Roles, workflow.Head)
		}
		if a.Dept == "" {
			a.Roles = []workflow.Role{workflow.Approver}
		}
		if err := s.SaveAccount(ctx, &a, nil); err != nil {
			t.Fatal(err)
		}
	}
	users := func(q workflow.AccountQuery) []string {
		var out []string
		for pages := 0; pages < 20; pages++ {
			p, err := s.Accounts(ctx, q)
			if err != nil {
				t.Fatalf("Accounts(%+v) = %v", q, err)
			}
			for _, a := range p.Accounts {
				out = append(out, a.User)
			}
			if q.Cursor = p.Next; q.Cursor == "" {
				break
			}
		}
		return out
	}
	for _, tt := range []struct {
		q    workflow.AccountQuery
		want []string
	}{
		{workflow.AccountQuery{Limit: 5}, []string{"u00", "u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08", "u09", "u10", "u11"}},
		{workflow.AccountQuery{Dept: "区民政局", Limit: 2}, []string{"u00", "u03", "u06", "u09"}},
		{workflow.AccountQuery{Dept: "区民政局", Role: workflow.Head}, []string{"u00"}},
		{workflow.AccountQuery{Role: workflow.Approver, Limit: 3}, []string{"u02", "u05", "u08", "u11"}},
		{workflow.AccountQuery{Dept: "区卫健委"}, nil},
	} {
		if got := users(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("Accounts(%+v) = %v; want %v", tt.q, got, tt.want)
		}
	}
}

func testSessions(t *testing.T, s People) {
	ctx := t.Context()
	now := time.Now().Truncate(time.Second)
	for i := range 3 {
		ss := &workflow.Session{ID: fmt.Sprintf("%064d", i), User: "li.na", Kind: workflow.SessionBrowser, Created: now, Seen: now,
			Expires: now.Add(time.Duration(i+1) * time.Hour), Factors: "password"}
		if err := s.SaveSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	other := &workflow.Session{ID: "x", User: "wang", Kind: workflow.SessionToken, Name: "脚本", Created: now, Seen: now, Expires: now.Add(time.Hour)}
	if err := s.SaveSession(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, "li.na", fmt.Sprintf("%064d", 1))
	if err != nil || !got.Expires.Equal(now.Add(2*time.Hour)) {
		t.Errorf("Session = %+v, %v", got, err)
	}
	_, err = s.Session(ctx, "wang", fmt.Sprintf("%064d", 1))
	wantKind(t, "Session of another user's ID", err, workflow.NotFound)
	got.Seen = now.Add(time.Minute)
	if err := s.SaveSession(ctx, got); err != nil {
		t.Fatal(err)
	}
	all, err := s.UserSessions(ctx, "li.na")
	if err != nil || len(all) != 3 || !all[1].Seen.Equal(now.Add(time.Minute)) {
		t.Errorf("UserSessions = %+v, %v; want 3, the second seen later", all, err)
	}
	if err := s.DeleteSession(ctx, "li.na", fmt.Sprintf("%064d", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "li.na", "missing"); err != nil {
		t.Errorf("DeleteSession of a missing session = %v; want nil", err)
	}
	if all, _ := s.UserSessions(ctx, "li.na"); len(all) != 2 {
		t.Errorf("after deleting one, %d sessions; want 2", len(all))
	}
	if err := s.DeleteSessions(ctx, "li.na"); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.UserSessions(ctx, "li.na"); len(all) != 0 {
		t.Errorf("after signing out everywhere, %d sessions; want 0", len(all))
	}
	if _, err := s.Session(ctx, "wang", "x"); err != nil {
		t.Errorf("another user's token after li.na signed out everywhere: %v", err)
	}
}
