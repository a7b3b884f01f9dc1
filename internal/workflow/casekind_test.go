package workflow_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

func proposals(n int, prefix string) []workflow.Proposal {
	rows := make([]workflow.Proposal, n)
	for i := range rows {
		rows[i] = workflow.Proposal{Line: i + 2, Number: fmt.Sprintf("%s%04d", prefix, i+1),
			Title: fmt.Sprintf("关于改善第%d片区停车条件的建议", i+1), Proposer: "王某某", Group: "第三代表团",
			Cosigners: []string{"李某", "张某"}, Content: "建议在老旧小区周边增设停车泊位。\n建议错峰共享单位停车场。", Category: "城建环保"}
	}
	return rows
}

// TestImportList imports a list of suggestions with rows that must be
// refused among good ones, then the same list again: every good row opens
// one case of the kind, with the kind's deadline from the date of 交办;
// every bad row is refused with its reason and opens nothing; the second
// import opens nothing and refuses every row as already registered.
func TestImportList(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	rows := proposals(20, "第")
	rows[3].Title = ""                            // tried: a row without a title
	rows[5].Proposer = ""                         // without a proposer
	rows[7].Content = " "                         // whose content is only a space
	rows[9].Cosigners = make([]string, 101)       // more cosigners than allowed
	rows[11].Number = rows[10].Number             // a number twice in one list
	rows[13].Category = "城建\n环保"                  // a category on two lines
	rows[15].Content = strings.Repeat("字", 60001) // over the opinion's bound
	for i := range rows[9].Cosigners {
		rows[9].Cosigners[i] = "某"
	}
	day := workflow.Day(2025, 7, 10)
	got, err := e.svc.Import(e.ctx, clerk, "suggestion", day, "第一批代表建议.xlsx", rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d results for %d rows", len(got), len(rows))
	}
	want := map[int]string{3: "缺少标题", 5: "缺少提出人", 7: "意见条目", 9: "附议人有 101 位", 11: "已于", 13: "类别只能有一行", 15: "过长"}
	opened := 0
	for i, r := range got {
		if r.Line != rows[i].Line || r.Number != rows[i].Number {
			t.Errorf("result %d is of line %d (%s); want line %d", i, r.Line, r.Number, rows[i].Line)
		}
		phrase, bad := want[i]
		switch {
		case bad && (r.Case != "" || !strings.Contains(r.Reason, phrase)):
			t.Errorf("line %d: case %q, reason %q; want it refused saying %q", r.Line, r.Case, r.Reason, phrase)
		case !bad && (r.Case == "" || r.Reason != ""):
			t.Errorf("line %d: refused (%s); want a case", r.Line, r.Reason)
		case !bad:
			opened++
			c := e.ok(e.svc.Case(e.ctx, clerk, r.Case))
			o := c.Opinion
			if o.Kind != "suggestion" || o.Proposer != "王某某" || o.Group != "第三代表团" || len(o.Cosigners) != 2 ||
				o.Issuer != "区人大常委会" || !o.Due.Equal(workflow.Day(2025, 10, 10)) || len(o.Items) != 1 || c.Stage != workflow.Assigning {
				t.Errorf("line %d: opened %+v (stage %s)", r.Line, o, c.Stage)
			}
			if s := c.Summary(); s.Kind != "suggestion" {
				t.Errorf("line %d: summary kind %q", r.Line, s.Kind)
			}
		}
	}
	if opened != len(rows)-len(want) {
		t.Errorf("opened %d cases; want %d", opened, len(rows)-len(want))
	}

	again, err := e.svc.Import(e.ctx, clerk, "suggestion", day, "第一批代表建议.xlsx", rows)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Case != "" {
			t.Errorf("second import, line %d: opened %s again", r.Line, r.Case)
		}
		if _, bad := want[i]; !bad && !strings.Contains(r.Reason, "无需重复登记") {
			t.Errorf("second import, line %d: reason %q; want it refused as registered", r.Line, r.Reason)
		}
	}
	page := must(e.svc.Cases(e.ctx, clerk, workflow.Query{Limit: 100}))
	if len(page.Cases) != opened {
		t.Errorf("%d cases listed after importing twice; want %d", len(page.Cases), opened)
	}

	// The same number in another kind, or in another year, is another case.
	other := proposals(1, "第")
	if r := must(e.svc.Import(e.ctx, clerk, "proposal", day, "提案.csv", other)); r[0].Case == "" {
		t.Errorf("a proposal with a suggestion's number: refused (%s)", r[0].Reason)
	}
	if r := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2024, 12, 5), "去年.csv", other)); r[0].Case == "" {
		t.Errorf("last year's suggestion 0001: refused (%s)", r[0].Reason)
	}
}

// TestImportRefusals: what refuses a whole import before anything is
// opened — a kind the office does not keep, no date, too many rows, a
// department's staff — and the kinds an office may not keep.
func TestImportRefusals(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	day := workflow.Day(2025, 7, 10)
	rows := proposals(2, "")
	_, err := e.svc.Import(e.ctx, clerk, "petition", day, "x.csv", rows)
	wantErr(t, "an unknown kind", err, workflow.Invalid, "没有案件类别")
	_, err = e.svc.Import(e.ctx, clerk, "suggestion", time.Time{}, "x.csv", rows)
	wantErr(t, "no date of 交办", err, workflow.Invalid, "请填写交办日期")
	_, err = e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 9, 1), "x.csv", rows)
	wantErr(t, "a date of 交办 months ahead", err, workflow.Invalid, "晚于一个月以后")
	_, err = e.svc.Import(e.ctx, clerk, "suggestion", day, "x.csv", proposals(workflow.MaxImport+1, ""))
	wantErr(t, "a list over the bound", err, workflow.Invalid, "一次至多导入")
	_, err = e.svc.Import(e.ctx, e.deptUser("区民政局", "staff"), "suggestion", day, "x.csv", rows)
	if workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("a department's staff importing: %v; want Forbidden", err)
	}
	if page := must(e.svc.Cases(e.ctx, clerk, workflow.Query{Limit: 10})); len(page.Cases) != 0 {
		t.Errorf("refused imports opened %d cases", len(page.Cases))
	}

	o := must(e.svc.Office(e.ctx))
	p := o.Profile
	for what, k := range map[string]workflow.CaseKind{
		"an ID in capitals": {ID: "Suggestion", Name: "建议", Short: "建议", Issuer: "人大", Proposer: "代表", Group: "代表团", Reply: "答复函", DueMonths: 3},
		"no months":         {ID: "x", Name: "建议", Short: "建议", Issuer: "人大", Proposer: "代表", Group: "代表团", Reply: "答复函"},
		"no name":           {ID: "x", Short: "建议", Issuer: "人大", Proposer: "代表", Group: "代表团", Reply: "答复函", DueMonths: 3},
		"the same ID twice": p.Kinds[0],
	} {
		q := p
		q.Kinds = append(append([]workflow.CaseKind(nil), p.Kinds...), k)
		if err := q.Validate(); workflow.KindOf(err) != workflow.Invalid {
			t.Errorf("a kind with %s: %v; want it refused", what, err)
		}
	}
}

// TestAssignBatch hands 25 imported suggestions to one department at
// once, with a co-handler. What was tried besides: a case already given
// a plan by hand, one already dispatched, an unknown case and a case
// listed twice (each refused or skipped on its own, the rest handed
// over); an unknown department, more than MaxHandOver cases and a
// department's staff (the whole batch refused, nothing changed).
func TestAssignBatch(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	day := workflow.Day(2025, 7, 10)
	got := must(e.svc.Import(e.ctx, clerk, "suggestion", day, "list.xlsx", proposals(30, "")))
	var ids []string
	for _, r := range got {
		ids = append(ids, r.Case)
	}
	c := e.ok(e.svc.Case(e.ctx, clerk, ids[1]))
	e.ok(e.svc.Assign(e.ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区教育局"}}))
	c = e.ok(e.svc.Case(e.ctx, clerk, ids[2]))
	e.ok(e.svc.Assign(e.ctx, clerk, c.ID, c.Version, []workflow.Assignment{{Item: "1", Lead: "区教育局"}}))
	e.ok(e.svc.Dispatch(e.ctx, clerk, c.ID))

	_, err := e.svc.AssignBatch(e.ctx, clerk, ids[:5], "区不存在局", nil, time.Time{})
	wantErr(t, "an unknown department", err, workflow.Invalid, "不是本单位设置中的部门")
	_, err = e.svc.AssignBatch(e.ctx, clerk, make([]string, workflow.MaxHandOver+1), "区民政局", nil, time.Time{})
	wantErr(t, "too many cases", err, workflow.Invalid, "一次至多交办")
	_, err = e.svc.AssignBatch(e.ctx, e.deptUser("区民政局", "staff"), ids[:5], "区民政局", nil, time.Time{})
	if workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("a department's staff: %v; want Forbidden", err)
	}
	if c := e.ok(e.svc.Case(e.ctx, clerk, ids[0])); c.Stage != workflow.Assigning || len(c.Sections) != 0 {
		t.Fatalf("refused batches changed case %s: %s, %d parts", c.ID, c.Stage, len(c.Sections))
	}

	batch := append(append([]string{}, ids[:25]...), ids[0], "c000000000000")
	due := workflow.Day(2025, 9, 30)
	handed, err := e.svc.AssignBatch(e.ctx, clerk, batch, "区民政局", []string{"区卫健委"}, due)
	if err != nil {
		t.Fatal(err)
	}
	if len(handed) != 26 {
		t.Fatalf("%d results for 25 cases, one twice and one unknown; want 26", len(handed))
	}
	for i, h := range handed {
		switch {
		case i == 1:
			if !strings.Contains(h.Reason, "已有交办方案") {
				t.Errorf("the case assigned by hand: %q", h.Reason)
			}
		case i == 2:
			if !strings.Contains(h.Reason, "不在待交办之列") {
				t.Errorf("the case dispatched: %q", h.Reason)
			}
		case i == 25:
			if h.Case != "c000000000000" || h.Reason == "" {
				t.Errorf("the unknown case: %+v", h)
			}
		default:
			if h.Reason != "" {
				t.Errorf("case %s: refused: %s", h.Case, h.Reason)
				continue
			}
			c := e.ok(e.svc.Case(e.ctx, clerk, h.Case))
			if c.Stage != workflow.Drafting || len(c.Sections) != 1 || c.Sections[0].Lead != "区民政局" ||
				len(c.Sections[0].Co) != 1 || c.Sections[0].Co[0] != "区卫健委" || !c.Sections[0].Due.Equal(due) || h.Number != c.Opinion.Number {
				t.Errorf("case %s after the batch: %s, %+v", c.ID, c.Stage, c.Sections)
			}
		}
	}
	if c := e.ok(e.svc.Case(e.ctx, clerk, ids[1])); c.Stage != workflow.Assigning || c.Sections[0].Lead != "区教育局" {
		t.Errorf("the case assigned by hand was assigned over: %s %s", c.Stage, c.Sections[0].Lead)
	}
}

// TestLiaisonBeforeSubmission: a suggestion's lead department cannot
// submit its answer before recording its contact with the deputy (沟通).
// What was tried: submitting first (refused, naming the deputy); a
// contact dated tomorrow, in a way not offered, without text, and over
// the length bound (each refused beside its field); a co-handling
// department and the clerk recording one (Forbidden). Then a contact is
// recorded — the section keeps it and counts it, an event carries it —
// and the submission goes through.
func TestLiaisonBeforeSubmission(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	got := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 7, 10), "list.csv", proposals(1, "")))
	id := got[0].Case
	must(e.svc.AssignBatch(e.ctx, clerk, []string{id}, "区民政局", []string{"区卫健委"}, time.Time{}))
	head, staff := e.deptUser("区民政局", "head"), e.deptUser("区民政局", "staff")
	c := e.ok(e.svc.Case(e.ctx, clerk, id))
	sec := c.Sections[0]
	c = e.ok(e.svc.SaveSection(e.ctx, staff, id, sec.ID, sec.Rev, "关于停车条件的答复", "已增设泊位。", ""))
	sec = c.Sections[0]
	_, err := e.svc.SubmitSection(e.ctx, head, id, sec.ID, sec.Rev)
	wantErr(t, "submitting before any contact", err, workflow.Invalid, "请先登记与代表王某某的沟通情况")

	today := workflow.Day(2025, 7, 15)
	for _, tc := range []struct {
		what, way, text string
		date            time.Time
		field           string
	}{
		{"a date tomorrow", "电话", "沟通了。", today.AddDate(0, 0, 1), workflow.LiaisonFieldDate},
		{"no date", "电话", "沟通了。", time.Time{}, workflow.LiaisonFieldDate},
		{"a way not offered", "飞鸽传书", "沟通了。", today, workflow.LiaisonFieldWay},
		{"no text", "电话", "  ", today, workflow.LiaisonFieldText},
		{"a text too long", "电话", strings.Repeat("话", workflow.MaxLiaisonText+1), today, workflow.LiaisonFieldText},
	} {
		if field, err := workflow.CheckLiaison(tc.date, tc.way, tc.text, today); field != tc.field || workflow.KindOf(err) != workflow.Invalid {
			t.Errorf("%s: field %q, %v; want it refused beside %s", tc.what, field, err, tc.field)
		}
		if _, err := e.svc.RecordLiaison(e.ctx, staff, id, sec.ID, tc.date, tc.way, tc.text); workflow.KindOf(err) != workflow.Invalid {
			t.Errorf("%s: recorded (%v)", tc.what, err)
		}
	}
	for who, u := range map[string]workflow.Identity{"a co-handling department": e.id("weijian-staff"), "the clerk": clerk} {
		if _, err := e.svc.RecordLiaison(e.ctx, u, id, sec.ID, today, "电话", "沟通了。"); workflow.KindOf(err) != workflow.Forbidden {
			t.Errorf("%s recording a contact: %v; want Forbidden", who, err)
		}
	}
	c = e.ok(e.svc.RecordLiaison(e.ctx, staff, id, sec.ID, workflow.Day(2025, 7, 14), "面谈", "当面听取了王代表对停车问题的意见。"))
	if s := c.Sections[0]; s.Liaisons != 1 || s.Liaison == nil || s.Liaison.Way != "面谈" || s.Rev != sec.Rev {
		t.Errorf("after the contact: %d contacts, %+v, rev %d (was %d)", s.Liaisons, s.Liaison, s.Rev, sec.Rev)
	}
	evs := must(e.svc.History(e.ctx, clerk, id, sec.ID, 0, 10))
	if len(evs) == 0 || evs[0].Liaison == nil || evs[0].Liaison.Text != "当面听取了王代表对停车问题的意见。" {
		t.Errorf("the contact's event: %+v", evs)
	}
	e.ok(e.svc.SubmitSection(e.ctx, head, id, sec.ID, sec.Rev))
}

// answered takes an imported suggestion, handed to 区民政局, through its
// answer: a contact, a draft, submission, acceptance, compiling, the
// short chain and publication.
func (e *env) answered(tb testing.TB, id string) *workflow.Case {
	tb.Helper()
	clerk := e.id("clerk")
	e.answerCompiled(tb, id)
	c := e.ok(e.svc.StartSignoff(e.ctx, clerk, id, shortChain))
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = e.ok(e.svc.Approve(e.ctx, e.id(u), id, c.Report.Current.Sum, "同意"))
	}
	return e.ok(e.svc.Publish(e.ctx, clerk, id, workflow.Day(2025, 7, 20)))
}

// answerCompiled has 区民政局 contact the proposer, write, submit and the clerk
// accept each part of a case handed to it, then compiles the answer.
func (e *env) answerCompiled(tb testing.TB, id string) *workflow.Case {
	tb.Helper()
	clerk := e.id("clerk")
	staff, head := e.deptUser("区民政局", "staff"), e.deptUser("区民政局", "head")
	c := e.ok(e.svc.Case(e.ctx, clerk, id))
	for _, sec := range c.Sections {
		if sec.Liaisons == 0 {
			e.ok(e.svc.RecordLiaison(e.ctx, staff, id, sec.ID, workflow.Day(2025, 7, 11), "电话", "电话听取意见。"))
		}
		c = e.ok(e.svc.Case(e.ctx, clerk, id))
		s, _ := c.Section(sec.ID)
		c = e.ok(e.svc.SaveSection(e.ctx, staff, id, sec.ID, s.Rev, "关于停车条件的答复", fmt.Sprintf("第 %d 次答复：已增设泊位。", c.Round()), ""))
		s, _ = c.Section(sec.ID)
		c = e.ok(e.svc.SubmitSection(e.ctx, head, id, sec.ID, s.Rev))
		s, _ = c.Section(sec.ID)
		e.ok(e.svc.AcceptSection(e.ctx, clerk, id, sec.ID, s.Rev))
	}
	return e.ok(e.svc.Compile(e.ctx, clerk, id))
}

// TestKindChain: a 代表建议's answer is signed off by its kind's chain —
// the lead department's head (承办单位签发) — not by the district's
// leaders, while a 审议意见 keeps the office's; the kind's required step
// holds for a chain the clerk chooses. What was tried: a chain without the
// kind's required step; a required step the kind's chain lacks (refused
// when the office is saved).
func TestKindChain(t *testing.T) {
	e := newEnv(t)
	clerk, admin := e.id("clerk"), e.id("admin")
	o := must(e.svc.Office(e.ctx))
	changed := *o
	changed.Profile.Kinds = slices.Clone(o.Profile.Kinds)
	for i := range changed.Profile.Kinds {
		changed.Profile.Kinds[i].Chain = []workflow.StepPlan{{Name: "承办单位签发", Countersign: true}}
		changed.Profile.Kinds[i].Required = []string{"承办单位签发"}
	}
	bad := changed
	bad.Profile.Kinds = slices.Clone(changed.Profile.Kinds)
	bad.Profile.Kinds[0].Required = []string{"区长签发"}
	_, err := e.svc.SaveOffice(e.ctx, admin, o.Version, bad, "")
	wantErr(t, "a kind requiring a step its chain lacks", err, workflow.Invalid, "不在其签批流程中")
	if _, err := e.svc.SaveOffice(e.ctx, admin, o.Version, changed, ""); err != nil {
		t.Fatal(err)
	}
	// A required step is signed only by who holds it: 区民政局's head.
	a := must(e.svc.Dir.Account(e.ctx, "minzheng-head"))
	a.Steps = []string{"承办单位签发"}
	must(e.svc.SaveAccount(e.ctx, admin, a.Version, *a, ""))
	got := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 7, 10), "list.csv", proposals(2, "")))
	for _, g := range got {
		must(e.svc.AssignBatch(e.ctx, clerk, []string{g.Case}, "区民政局", nil, time.Time{}))
		e.answerCompiled(t, g.Case)
	}
	// The clerk's own chain, without the kind's required step: refused.
	_, err = e.svc.StartSignoff(e.ctx, clerk, got[0].Case, shortChain)
	wantErr(t, "a chain without the kind's required step", err, workflow.Invalid, "承办单位签发")

	c := e.ok(e.svc.StartSignoff(e.ctx, clerk, got[0].Case, nil))
	head := e.deptUser("区民政局", "head")
	if len(c.Chain) != 1 || c.Chain[0].Name != "承办单位签发" || !slices.Equal(c.Chain[0].Signers, []string{head.User}) {
		t.Fatalf("a suggestion's default chain = %+v; want 承办单位签发 by %s alone", c.Chain, head.User)
	}
	c = e.ok(e.svc.Approve(e.ctx, head, c.ID, c.Report.Current.Sum, "同意答复"))
	if c.Stage != workflow.Approved {
		t.Errorf("after the head's approval the answer is %s; want approved", c.Stage)
	}
	must(e.svc.Publish(e.ctx, clerk, c.ID, workflow.Day(2025, 7, 20)))

	// A 审议意见 keeps the office's chain and its policy.
	op := e.compiled(t, 1)
	chain := must(e.svc.DefaultChain(e.ctx, op))
	var names []string
	for _, st := range chain {
		names = append(names, st.Name)
	}
	if !slices.Contains(names, "签发") || slices.Contains(names, "承办单位签发") {
		t.Errorf("a 审议意见's default chain = %v; want the office's", names)
	}
}

// TestFeedbackAndSecondAnswer: the deputy rates the answer of a published
// suggestion 不满意 through the link; a second case opens at once for the
// second answer, handed back to the same department with the comment;
// once it is answered, a new link is rated 满意, which ends it. What was
// tried besides: a link for a 审议意见 (refused); a forged link, one with
// a wrong secret and an old link replaced by a new one (NotFound); 不满意
// without a reason; an unknown rating; rating twice; a department's staff
// making a link (Forbidden).
func TestFeedbackAndSecondAnswer(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	got := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 7, 10), "list.csv", proposals(1, "")))
	id := got[0].Case
	must(e.svc.AssignBatch(e.ctx, clerk, []string{id}, "区民政局", nil, time.Time{}))
	first := e.answered(t, id)
	if first.Stage != workflow.Published || first.Publication.Number() != "静民建〔2025〕1号" ||
		first.Report.Current.Heading != "关于《关于改善第1片区停车条件的建议》的答复" || first.Report.Current.Addressee != "王某某代表" {
		t.Fatalf("the first answer: %s, %s, %q to %q", first.Stage, first.Publication.Number(), first.Report.Current.Heading, first.Report.Current.Addressee)
	}
	n := must(e.svc.Notice(e.ctx, first))
	if n.Letter == nil || n.Mark != "上海市静安区民政局" || n.Signer != n.Mark || n.Seal != nil || n.Office != "" || len(n.CC) != 2 ||
		!strings.HasPrefix(n.Body, "您提出的《关于改善第1片区停车条件的建议》（0001）收悉。") || strings.Contains(n.Body, "#") {
		t.Errorf("the answer's notice: %+v", n)
	}

	if _, _, err := e.svc.AskFeedback(e.ctx, e.deptUser("区民政局", "staff"), id); workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("a department's staff making the link: %v", err)
	}
	_, old, err := e.svc.AskFeedback(e.ctx, clerk, id)
	if err != nil {
		t.Fatal(err)
	}
	_, link, err := e.svc.AskFeedback(e.ctx, clerk, id) // the first is lost, say: a new one replaces it
	if err != nil {
		t.Fatal(err)
	}
	forged := id + ".fb." + strings.Repeat("A", 43)
	for what, tok := range map[string]string{"the replaced link": old, "a forged link": forged, "not a link": "x", "another case's": "c000000000000" + link[len(id):]} {
		if _, err := e.svc.FeedbackCase(e.ctx, tok); workflow.KindOf(err) != workflow.NotFound {
			t.Errorf("%s: %v; want NotFound", what, err)
		}
	}
	_, err = e.svc.GiveFeedback(e.ctx, link, workflow.Unsatisfied, " ")
	wantErr(t, "不满意 without a reason", err, workflow.Invalid, "请写明原因")
	_, err = e.svc.GiveFeedback(e.ctx, link, "great", "")
	wantErr(t, "an unknown rating", err, workflow.Invalid, "请选择")

	c, err := e.svc.GiveFeedback(e.ctx, link, workflow.Unsatisfied, "泊位仍然不够，希望再增加。")
	if err != nil {
		t.Fatal(err)
	}
	f := c.Feedback
	if f.Rating != workflow.Unsatisfied || f.Redo == "" || c.Stage != workflow.Published {
		t.Fatalf("after 不满意: %+v, stage %s", f, c.Stage)
	}
	wantNote(t, e, c, "", workflow.NoteRated, workflow.Audience{Office: true}, "泊位仍然不够")
	wantNote(t, e, e.ok(e.svc.Case(e.ctx, clerk, f.Redo)), "", workflow.NoteAssigned, workflow.Audience{Dept: "区民政局"}, "请于 2025年8月15日 前重新办理答复")
	_, err = e.svc.GiveFeedback(e.ctx, link, workflow.Satisfied, "")
	wantErr(t, "rating twice", err, workflow.Invalid, "不能更改")

	redo := e.ok(e.svc.Case(e.ctx, clerk, f.Redo))
	sec := redo.Sections[0]
	if redo.Round() != 2 || redo.Again != id || redo.Stage != workflow.Drafting || sec.Lead != "区民政局" || sec.State != workflow.Returned ||
		sec.Returned == nil || sec.Returned.Text != "泊位仍然不够，希望再增加。" || !sec.Due.Equal(workflow.Day(2025, 8, 15)) {
		t.Fatalf("the second answer's case: round %d, again %q, %s, %+v", redo.Round(), redo.Again, redo.Stage, sec)
	}
	// The proposal's registration passed to the second case: its number in
	// another list (a title corrected) is refused, naming that case.
	again := proposals(1, "")
	again[0].Title += "（修正）"
	if r := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 7, 10), "list2.csv", again)); r[0].Case != "" || !strings.Contains(r[0].Reason, f.Redo) {
		t.Errorf("the list again after 不满意: %+v; want it refused, naming %s", r[0], f.Redo)
	}

	// The department numbered letters before docflow: it goes on from 40.
	if err := e.svc.SetSeries(e.ctx, clerk, "静民建", 2025, 40); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetSeries(e.ctx, clerk, "静无建", 2025, 40); workflow.KindOf(err) != workflow.Invalid {
		t.Errorf("a series no department has: %v; want Invalid", err)
	}
	second := e.answered(t, redo.ID)
	if second.Publication.Number() != "静民建〔2025〕40号" {
		t.Errorf("the second answer is numbered %s; want where the department goes on, 静民建〔2025〕40号", second.Publication.Number())
	}
	_, link2, err := e.svc.AskFeedback(e.ctx, clerk, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	c = e.ok(e.svc.GiveFeedback(e.ctx, link2, workflow.Satisfied, "感谢。"))
	if c.Feedback.Rating != workflow.Satisfied || c.Feedback.Redo != "" || c.Feedback.Round != 2 {
		t.Errorf("after 满意 with the second answer: %+v", c.Feedback)
	}
	if first := e.ok(e.svc.Case(e.ctx, clerk, id)); first.Stage != workflow.Published || first.Publication == nil || first.Publication.Seq == 0 {
		t.Errorf("the first answer changed: %s %+v", first.Stage, first.Publication)
	}

	op := e.opened(t, 5)
	if _, _, err := e.svc.AskFeedback(e.ctx, clerk, op.ID); err == nil {
		t.Errorf("a link for a 审议意见 in drafting: made")
	}
}

// TestDeclineAndReassign (分办): 区民政局 asks for a suggestion's part to
// go elsewhere; the office first keeps it (with its reason), then, on a
// second request, gives it to 区教育局, which then drafts it while 区民政局
// may no longer. What was tried besides: a request without a reason; a
// second request while one is pending; staff (not the head) asking; the
// office reassigning to an unknown department and to the same one;
// keeping with no request pending; reassigning a submitted part.
func TestDeclineAndReassign(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	got := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 7, 10), "list.csv", proposals(2, "")))
	must(e.svc.AssignBatch(e.ctx, clerk, []string{got[0].Case, got[1].Case}, "区民政局", []string{"区教育局", "区妇联"}, time.Time{}))
	id := got[0].Case
	head := e.deptUser("区民政局", "head")

	_, err := e.svc.DeclinePart(e.ctx, head, id, "s1", " ")
	wantErr(t, "no reason", err, workflow.Invalid, "请写明理由")
	if _, err := e.svc.DeclinePart(e.ctx, e.deptUser("区民政局", "staff"), id, "s1", "不是本部门职责。"); workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("staff asking: %v; want Forbidden", err)
	}
	c := e.ok(e.svc.DeclinePart(e.ctx, head, id, "s1", "停车管理属交通部门职责。"))
	if d := c.Sections[0].Decline; !d.Pending() || d.Dept != "区民政局" {
		t.Fatalf("the request: %+v", d)
	}
	wantNote(t, e, c, "s1", workflow.NoteDeclined, workflow.Audience{Office: true}, "停车管理属交通部门职责。")
	_, err = e.svc.DeclinePart(e.ctx, head, id, "s1", "再次申请。")
	wantErr(t, "a second request while one is pending", err, workflow.Invalid, "尚未处理")
	_, err = e.svc.KeepLead(e.ctx, clerk, id, "s1", "")
	wantErr(t, "keeping without a reason", err, workflow.Invalid, "请写明")
	c = e.ok(e.svc.KeepLead(e.ctx, clerk, id, "s1", "老旧小区停车由民政牵头。"))
	if d := c.Sections[0].Decline; d.Pending() || d.Outcome != "kept" || c.Sections[0].Lead != "区民政局" {
		t.Fatalf("after keeping: %+v, lead %s", d, c.Sections[0].Lead)
	}
	_, err = e.svc.KeepLead(e.ctx, clerk, id, "s1", "再次维持。")
	wantErr(t, "keeping with nothing pending", err, workflow.Invalid, "没有待处理")

	e.ok(e.svc.DeclinePart(e.ctx, head, id, "s1", "经协商，教育局同意主办。"))
	_, err = e.svc.Reassign(e.ctx, clerk, id, "s1", "区不存在局", "")
	wantErr(t, "an unknown department", err, workflow.Invalid, "请选择本单位设置中的部门")
	_, err = e.svc.Reassign(e.ctx, clerk, id, "s1", "区民政局", "")
	wantErr(t, "the same department", err, workflow.Invalid, "已由区民政局主办")
	c = e.ok(e.svc.Reassign(e.ctx, clerk, id, "s1", "区教育局", "同意调整。"))
	wantNote(t, e, c, "s1", workflow.NoteAssigned, workflow.Audience{Dept: "区教育局"}, "调整由贵部门主办")
	sec := c.Sections[0]
	if sec.Lead != "区教育局" || slices.Contains(sec.Co, "区教育局") || !slices.Contains(sec.Co, "区妇联") || sec.Decline.Outcome != "reassigned" {
		t.Fatalf("after reassigning: lead %s, co %v, %+v", sec.Lead, sec.Co, sec.Decline)
	}
	if s := c.Summary(); !slices.Contains(s.Depts, "区教育局") || slices.Contains(s.Depts, "区民政局") {
		t.Errorf("the summary's departments: %v", s.Depts)
	}
	if _, err := e.svc.SaveSection(e.ctx, e.deptUser("区民政局", "staff"), id, "s1", sec.Rev, "答复", "正文。", ""); workflow.KindOf(err) != workflow.Forbidden {
		t.Errorf("the former lead saving: %v; want Forbidden", err)
	}
	e.ok(e.svc.SaveSection(e.ctx, e.id("jiaoyu-staff"), id, "s1", sec.Rev, "答复", "正文。", ""))
	page := must(e.svc.Cases(e.ctx, e.id("jiaoyu-staff"), workflow.Query{Dept: "区教育局", Limit: 10}))
	if len(page.Cases) != 2 { // this one as lead, the other as co-handler
		t.Errorf("区教育局 lists %d cases; want 2", len(page.Cases))
	}

	// A submitted part stays where it is.
	other := got[1].Case
	e.ok(e.svc.RecordLiaison(e.ctx, e.deptUser("区民政局", "staff"), other, "s1", workflow.Day(2025, 7, 11), "电话", "沟通。"))
	c = e.ok(e.svc.Case(e.ctx, clerk, other))
	c = e.ok(e.svc.SaveSection(e.ctx, e.deptUser("区民政局", "staff"), other, "s1", c.Sections[0].Rev, "答复", "正文。", ""))
	e.ok(e.svc.SubmitSection(e.ctx, head, other, "s1", c.Sections[0].Rev))
	_, err = e.svc.Reassign(e.ctx, clerk, other, "s1", "区教育局", "")
	wantErr(t, "reassigning a submitted part", err, workflow.Invalid, "已报送")
}

// wantNote checks that the latest event of a stream of c tells to what
// contains text, in a message of kind k.
func wantNote(t *testing.T, e *env, c *workflow.Case, stream string, k workflow.NoteKind, to workflow.Audience, text string) {
	t.Helper()
	evs := must(e.svc.History(e.ctx, e.id("clerk"), c.ID, stream, 0, 1))
	for _, n := range workflow.Notes(c, evs) {
		if n.Kind == k && n.To == to && strings.Contains(n.Text, text) {
			return
		}
	}
	t.Errorf("the event %q tells nobody %v of %q: %+v", evs[0].Action, to, text, workflow.Notes(c, evs))
}

// TestPlanLike: a plan copied from a similar case takes each item's
// departments from the same place in its outline, and from its first part
// where it has no such item; a case without parts gives no plan.
func TestPlanLike(t *testing.T) {
	items := func(n int) []workflow.Item {
		var out []workflow.Item
		for i := 1; i <= n; i++ {
			out = append(out, workflow.Item{ID: fmt.Sprint(i), Level: 1})
		}
		return out
	}
	like := &workflow.Case{Opinion: workflow.Opinion{Items: items(2)}, Sections: []workflow.Section{
		{ID: "s1", Item: "1", Lead: "区民政局", Co: []string{"区卫健委"}},
		{ID: "s2", Item: "2", Lead: "区教育局"},
	}}
	c := &workflow.Case{Opinion: workflow.Opinion{Items: items(3)}}
	got := workflow.PlanLike(c, like)
	want := []workflow.Assignment{{Item: "1", Lead: "区民政局", Co: []string{"区卫健委"}}, {Item: "2", Lead: "区教育局"}, {Item: "3", Lead: "区民政局", Co: []string{"区卫健委"}}}
	if len(got) != len(want) {
		t.Fatalf("PlanLike = %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i].Item != want[i].Item || got[i].Lead != want[i].Lead || !slices.Equal(got[i].Co, want[i].Co) {
			t.Errorf("item %d: %+v; want %+v", i, got[i], want[i])
		}
	}
	if p := workflow.PlanLike(c, &workflow.Case{}); p != nil {
		t.Errorf("PlanLike of a case without parts = %+v; want nil", p)
	}
}

// TestDepartmentSeal: a department's 答复函 carry its own seal, set by an
// administrator, kept when the office is saved, removed on request; the
// office's seal is not the department's. What was tried: a seal for a
// department without a letterhead; a clerk setting one.
func TestDepartmentSeal(t *testing.T) {
	e := newEnv(t)
	clerk, admin := e.id("clerk"), e.id("admin")
	office := sealPNG(t, 200)
	must(e.svc.SetSeal(e.ctx, admin, must(e.svc.Office(e.ctx)).Version, "", office))
	o := must(e.svc.Office(e.ctx))
	_, err := e.svc.SetSeal(e.ctx, admin, o.Version, "区不存在局", sealPNG(t, 180))
	wantErr(t, "a seal for a department without a letterhead", err, workflow.Invalid, "答复函版头")
	_, err = e.svc.SetSeal(e.ctx, clerk, o.Version, "区民政局", sealPNG(t, 180))
	wantErr(t, "a clerk setting a department's seal", err, workflow.Forbidden, "管理员")

	got := must(e.svc.Import(e.ctx, clerk, "suggestion", workflow.Day(2025, 7, 10), "list.csv", proposals(1, "")))
	id := got[0].Case
	must(e.svc.AssignBatch(e.ctx, clerk, []string{id}, "区民政局", nil, time.Time{}))
	c := e.answerCompiled(t, id)
	if n := must(e.svc.Notice(e.ctx, c)); n.Seal != nil {
		t.Errorf("a department without a seal: its letter carries %d bytes of seal; want none (the office's is not its)", len(n.Seal))
	}

	dept := sealPNG(t, 180)
	o = must(e.svc.SetSeal(e.ctx, admin, o.Version, "区民政局", dept))
	// Saving the office (a contact changed) keeps the seal.
	changed := *o
	changed.Profile.Letterheads = slices.Clone(o.Profile.Letterheads)
	for i := range changed.Profile.Letterheads {
		changed.Profile.Letterheads[i].Seal = "" // as a form or a JSON file without it would
		if changed.Profile.Letterheads[i].Dept == "区民政局" {
			changed.Profile.Letterheads[i].Phone = "12345678"
		}
	}
	o = must(e.svc.SaveOffice(e.ctx, admin, o.Version, changed, ""))
	if n := must(e.svc.Notice(e.ctx, c)); !bytes.Equal(n.Seal, dept) {
		t.Errorf("the letter after the seal was set (and the office saved) carries %d bytes; want the department's %d", len(n.Seal), len(dept))
	}
	must(e.svc.SetSeal(e.ctx, admin, o.Version, "区民政局", nil))
	if n := must(e.svc.Notice(e.ctx, c)); n.Seal != nil {
		t.Errorf("the letter after the seal was removed still carries one")
	}
}
