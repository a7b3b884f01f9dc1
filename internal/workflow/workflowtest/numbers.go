package workflowtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// The contract of 来文字号 registration (workflow.Claim, Change.Also,
// Store.Registered) and of the public list (Query.Public).

// wantTaken checks that err is the Conflict of a claim on a number held by
// another case.
func wantTaken(t testing.TB, what string, err error) {
	t.Helper()
	wantKind(t, what, err, workflow.Conflict)
	if err != nil && !errors.Is(err, workflow.ErrNumberTaken) {
		t.Errorf("%s = %v; want it to wrap workflow.ErrNumberTaken", what, err)
	}
}

func wantHolder(t testing.TB, s workflow.Store, key, want string) {
	t.Helper()
	got, err := s.Registered(context.Background(), key)
	switch {
	case want == "":
		if workflow.KindOf(err) != workflow.NotFound {
			t.Errorf("Registered(%q) = %q, %v; want NotFound", key, got, err)
		}
	case err != nil || got != want:
		t.Errorf("Registered(%q) = %q, %v; want %q", key, got, err, want)
	}
}

func wantNoCase(t testing.TB, s workflow.Store, id, why string) {
	t.Helper()
	if _, err := s.Case(context.Background(), id); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("Case(%s) after %s: %v; want NotFound: nothing of a refused change is written", id, why, err)
	}
}

// claimed creates a new case with id that registers key.
func claimed(t testing.TB, s workflow.Store, id, key string) error {
	t.Helper()
	c, evs := NewCase(id)
	ch := &workflow.Change{Case: c, Record: true, Opinion: true, Events: evs, Claims: []workflow.Claim{{Key: key, To: id}}}
	for _, sec := range c.Sections {
		ch.Sections = append(ch.Sections, sec.ID)
	}
	return s.Commit(context.Background(), ch)
}

func testClaimNumber(t *testing.T, s workflow.Store) {
	const key = "甲会〔2026〕12号"
	wantHolder(t, s, key, "")
	if err := claimed(t, s, "c-first", key); err != nil {
		t.Fatalf("the first case of a number: %v", err)
	}
	wantHolder(t, s, key, "c-first")
	// Another file of the same opinion: another case ID, the same key.
	wantTaken(t, "a second case registering the same number", claimed(t, s, "c-second", key))
	wantNoCase(t, s, "c-second", "a refused number")
	wantHolder(t, s, key, "c-first")
	// Other numbers are other keys.
	if err := claimed(t, s, "c-other", "甲会〔2026〕13号"); err != nil {
		t.Errorf("a case of another number: %v", err)
	}
}

func testClaimMoves(t *testing.T, s workflow.Store) {
	const was, now = "乙会〔2026〕1号", "乙会〔2026〕2号"
	if err := claimed(t, s, "c-a", was); err != nil {
		t.Fatal(err)
	}
	if err := claimed(t, s, "c-b", "乙会〔2026〕3号"); err != nil {
		t.Fatal(err)
	}
	// c-a's number corrected: released and registered in one change.
	a := mustCase(t, s, "c-a")
	a.Opinion.Number = now
	ch := &workflow.Change{Case: a, Record: true, Opinion: true, Events: []workflow.Event{record(a, "", "correct", time.Now())},
		Claims: []workflow.Claim{{Key: was, From: "c-a"}, {Key: now, To: "c-a"}}}
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatalf("moving a number: %v", err)
	}
	wantHolder(t, s, was, "")
	wantHolder(t, s, now, "c-a")
	// Corrected to the number c-b holds: refused, and the record with it.
	a = mustCase(t, s, "c-a")
	version := a.Version
	a.Opinion.Number = "乙会〔2026〕3号"
	ch = &workflow.Change{Case: a, Record: true, Opinion: true, Events: []workflow.Event{record(a, "", "correct", time.Now())},
		Claims: []workflow.Claim{{Key: now, From: "c-a"}, {Key: "乙会〔2026〕3号", To: "c-a"}}}
	wantTaken(t, "correcting a number to one another case holds", s.Commit(t.Context(), ch))
	if got := mustCase(t, s, "c-a"); got.Version != version || got.Opinion.Number != now {
		t.Errorf("after the refused correction c-a is at version %d with %s; want %d with %s", got.Version, got.Opinion.Number, version, now)
	}
	wantHolder(t, s, now, "c-a")
	wantHolder(t, s, "乙会〔2026〕3号", "c-b")
	// A number given up is free for the next case.
	if err := claimed(t, s, "c-c", was); err != nil {
		t.Errorf("registering a released number: %v", err)
	}
	// Releasing what nobody holds is no error (cases from before numbers
	// were registered hold none); releasing another case's is refused.
	b := mustCase(t, s, "c-b")
	ch = &workflow.Change{Case: b, Record: true, Events: []workflow.Event{record(b, "", "correct", time.Now())},
		Claims: []workflow.Claim{{Key: "乙会〔2026〕99号", From: "c-b"}}}
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Errorf("releasing a number nobody holds: %v", err)
	}
	b = mustCase(t, s, "c-b")
	ch = &workflow.Change{Case: b, Record: true, Events: []workflow.Event{record(b, "", "correct", time.Now())},
		Claims: []workflow.Claim{{Key: now, From: "c-b"}}}
	wantTaken(t, "releasing a number another case holds", s.Commit(t.Context(), ch))
	wantHolder(t, s, now, "c-a")
	// A key no store could keep is refused before anything is written.
	b = mustCase(t, s, "c-b")
	ch = &workflow.Change{Case: b, Record: true, Events: []workflow.Event{record(b, "", "correct", time.Now())},
		Claims: []workflow.Claim{{Key: "", To: "c-b"}}}
	wantKind(t, "an empty key", s.Commit(t.Context(), ch), workflow.Invalid)
}

// revision builds the change of a revised opinion's new case taking over
// key from old, with the mark on old (Change.Also).
func revision(t testing.TB, old *workflow.Case, newID, key string) *workflow.Change {
	t.Helper()
	c, evs := NewCase(newID)
	c.Stage, c.Publication, c.Revises = workflow.Assigning, nil, old.ID
	ch := &workflow.Change{Case: c, Record: true, Opinion: true, Events: evs, Claims: []workflow.Claim{{Key: key, From: old.ID, To: newID}}}
	for _, sec := range c.Sections {
		ch.Sections = append(ch.Sections, sec.ID)
	}
	old.RevisedBy = newID
	ch.Also = &workflow.Change{Case: old, Record: true, Events: []workflow.Event{record(old, "", "revise", time.Now())}}
	return ch
}

func testClaimRevision(t *testing.T, s workflow.Store) {
	const key = "丙会〔2026〕5号"
	if err := claimed(t, s, "c-orig", key); err != nil {
		t.Fatal(err)
	}
	orig := mustCase(t, s, "c-orig")
	// The mark on the old case is stale: nothing is written, neither case
	// nor the number.
	stale := clone(orig)
	stale.Version--
	wantKind(t, "a revision whose mark on the old case is stale", s.Commit(t.Context(), revision(t, stale, "c-rev", key)), workflow.Conflict)
	wantNoCase(t, s, "c-rev", "a stale revision")
	wantHolder(t, s, key, "c-orig")
	// Taking over from a case that does not hold the number: refused whole.
	other := clone(orig)
	wantTaken(t, "a revision of the wrong case", s.Commit(t.Context(), revision(t, other, "c-rev", "丙会〔2026〕6号")))
	wantNoCase(t, s, "c-rev", "a revision of the wrong case")
	if got := mustCase(t, s, "c-orig"); got.RevisedBy != "" || got.Version != orig.Version {
		t.Errorf("c-orig after refused revisions: revised by %q, version %d; want untouched at %d", got.RevisedBy, got.Version, orig.Version)
	}
	// The revision: both cases and the number, in one change.
	ch := revision(t, clone(orig), "c-rev", key)
	if err := s.Commit(t.Context(), ch); err != nil {
		t.Fatalf("a revision: %v", err)
	}
	if ch.Also.Case.Version != orig.Version+1 || ch.Case.Version != 1 {
		t.Errorf("versions after a revision: old %d, new %d; want %d and 1", ch.Also.Case.Version, ch.Case.Version, orig.Version+1)
	}
	wantHolder(t, s, key, "c-rev")
	if got := mustCase(t, s, "c-orig"); got.RevisedBy != "c-rev" {
		t.Errorf("c-orig revised by %q; want c-rev", got.RevisedBy)
	}
	if got := mustCase(t, s, "c-rev"); got.Revises != "c-orig" {
		t.Errorf("c-rev revises %q; want c-orig", got.Revises)
	}
	evs := allEvents(t, s, "c-orig", "")
	if n := len(evs); n == 0 || evs[n-1].Action != "revise" {
		t.Errorf("c-orig's events end with %v; want the revision's", evs[max(0, n-1):])
	}
	// Nested changes are refused.
	c3 := clone(mustCase(t, s, "c-rev"))
	ch = revision(t, c3, "c-rev2", key)
	ch.Also.Also = &workflow.Change{Case: orig}
	wantKind(t, "a change with a nested Also", s.Commit(t.Context(), ch), workflow.Invalid)
	wantNoCase(t, s, "c-rev2", "a nested change")
}

// testClaimRace is two (and more) intakes of one number at once: one case.
func testClaimRace(t *testing.T, s workflow.Store) {
	for round, n := range []int{2, 8} {
		key := fmt.Sprintf("丁会〔2026〕%d号", round+1)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			won   []string
			start = make(chan struct{})
		)
		for i := range n {
			id := fmt.Sprintf("c-race%d-%d", round, i)
			wg.Go(func() {
				<-start
				err := claimed(t, s, id, key)
				switch {
				case err == nil:
					mu.Lock()
					won = append(won, id)
					mu.Unlock()
				case workflow.KindOf(err) != workflow.Conflict || !errors.Is(err, workflow.ErrNumberTaken):
					t.Errorf("intake %s racing for %s = %v; want nil or a Conflict wrapping ErrNumberTaken", id, key, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%d intakes of %s at once opened %v; want exactly one case", n, key, won)
		}
		wantHolder(t, s, key, won[0])
		for i := range n {
			if id := fmt.Sprintf("c-race%d-%d", round, i); id != won[0] {
				wantNoCase(t, s, id, "losing the race for a number")
			}
		}
	}
}

// testCasesPublic: only published 主动公开 cases are the public's, on
// every page.
func testCasesPublic(t *testing.T, s workflow.Store) {
	base := time.Date(2026, 5, 1, 9, 0, 0, 0, workflow.Zone)
	specs := []struct {
		id       string
		stage    workflow.Stage
		openness workflow.Openness
	}{
		{"c-legacy", workflow.Published, ""}, // published before 公开属性 was kept: public
		{"c-public", workflow.Published, workflow.Proactive},
		{"c-request", workflow.Published, workflow.OnRequest},
		{"c-withheld", workflow.Published, workflow.Withheld},
		{"c-approved", workflow.Approved, ""},
		{"c-public2", workflow.Published, workflow.Proactive},
		{"c-request2", workflow.Published, workflow.OnRequest},
	}
	for i, sp := range specs {
		c, evs := NewCase(sp.id)
		c.Stage, c.Created = sp.stage, base.Add(time.Duration(i)*time.Hour)
		if sp.stage == workflow.Published {
			c.Publication.Openness = sp.openness
		} else {
			c.Publication = nil
		}
		mustCreate(t, s, c, evs)
	}
	want := []string{"c-public2", "c-public", "c-legacy"}
	for _, q := range []workflow.Query{{Public: true}, {Public: true, Stage: workflow.Published}, {Public: true, Limit: 1}, {Public: true, Limit: 2, Text: "审议意见"}, {Public: true, Year: 2025}} {
		var got []string
		for page := 0; ; page++ {
			p, err := s.Cases(t.Context(), q)
			if err != nil {
				t.Fatalf("Cases(%+v) = %v", q, err)
			}
			got = append(got, summaries(p)...)
			if p.Next == "" || page > len(specs) {
				break
			}
			q.Cursor = p.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("Cases(%+v) = %v; want %v: only published 主动公开 cases", q, got, want)
		}
	}
	all, err := s.Cases(t.Context(), workflow.Query{Stage: workflow.Published})
	if err != nil || len(all.Cases) != 6 {
		t.Errorf("the office's Cases(published) = %v, %v; want all 6", summaries(all), err)
	}
}

// testIntakesOfOneNumber uploads one opinion as several files at once —
// its number written as different files write it — through the service:
// one case opens, every other upload is refused naming it. Then two
// revisions of that case at once: one new case takes the number over.
func testIntakesOfOneNumber(t *testing.T, o *office, _ Scale) {
	ctx := context.Background()
	forms := []string{"某会〔2026〕90号", "某会[2026]90号", "某会（2026）90号", "某会(２０２６)第90号", "某会 〔2026〕 90", "某会【2026】090号", "某会〔2026〕90号", "某会［2026］90号"}
	opinion := func(number string) *workflow.Opinion {
		return &workflow.Opinion{Issuer: "某市某区人民代表大会常务委员会", Number: number, Title: "关于某项工作情况的审议意见",
			ReplyTo: "区人大常委会", Date: workflow.Day(2026, 3, 1), Due: workflow.Day(2026, 9, 1),
			Items: []workflow.Item{{ID: "1", Level: 1, Label: "一、", Text: "第1项意见。"}}}
	}
	type result struct {
		c   *workflow.Case
		err error
	}
	race := func(n int, run func(i int) (*workflow.Case, error)) []result {
		out := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				out[i].c, out[i].err = run(i)
			})
		}
		close(start)
		wg.Wait()
		return out
	}
	got := race(len(forms), func(i int) (*workflow.Case, error) {
		return o.svc.Intake(ctx, o.clerk, workflow.Source{Name: fmt.Sprintf("file%d.txt", i)}, fmt.Appendf(nil, "file %d of one opinion", i), opinion(forms[i]))
	})
	var winner *workflow.Case
	for _, r := range got {
		if r.err == nil {
			if winner != nil {
				t.Fatalf("two uploads of one number opened cases %s and %s", winner.ID, r.c.ID)
			}
			winner = r.c
		}
	}
	if winner == nil {
		t.Fatalf("no upload of the number opened a case: %v", got[0].err)
	}
	for i, r := range got {
		if r.err == nil {
			continue
		}
		if workflow.KindOf(r.err) != workflow.Conflict || !errors.Is(r.err, workflow.ErrNumberTaken) || r.c == nil || r.c.ID != winner.ID ||
			!strings.Contains(workflow.Message(r.err), winner.ID) {
			t.Errorf("upload %d (%s) = %v; want a Conflict naming %s, with that case", i, forms[i], r.err, winner.ID)
		}
	}
	p, err := o.svc.Cases(ctx, o.clerk, workflow.Query{Limit: workflow.MaxPage})
	var same []string
	for _, c := range p.Cases {
		if workflow.NumberKey(c.Number) == "某会〔2026〕90号" {
			same = append(same, c.ID)
		}
	}
	if err != nil || len(same) != 1 {
		t.Errorf("cases of 某会〔2026〕90号: %v, %v; want exactly one", same, err)
	}

	// Two revisions of it at once: one wins; the other is told of it.
	revs := race(2, func(i int) (*workflow.Case, error) {
		return o.svc.Revise(ctx, o.clerk, winner.ID, workflow.Source{Name: "revised.txt"}, fmt.Appendf(nil, "revision %d", i), opinion("某会〔2026〕90号"))
	})
	var revised []string
	for _, r := range revs {
		switch {
		case r.err == nil:
			revised = append(revised, r.c.ID)
		case workflow.KindOf(r.err) != workflow.Conflict && workflow.KindOf(r.err) != workflow.Invalid:
			t.Errorf("a revision racing another: %v; want success, or a refusal naming the other", r.err)
		}
	}
	if len(revised) != 1 {
		t.Fatalf("two revisions of %s at once made %v; want exactly one", winner.ID, revised)
	}
	if h, err := o.svc.Store.Registered(ctx, "某会〔2026〕90号"); err != nil || h != revised[0] {
		t.Errorf("the number after the revision is held by %q, %v; want %s", h, err, revised[0])
	}
	if c, err := o.svc.Store.Case(ctx, winner.ID); err != nil || c.RevisedBy != revised[0] {
		t.Errorf("the revised case: %v; want it marked revised by %s", err, revised[0])
	}
}
