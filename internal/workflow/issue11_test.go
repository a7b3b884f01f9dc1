package workflow_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/workflow"
)

// TestDuplicateByNumber uploads one opinion as three files — UTF-8 text,
// the same text in GB18030, and after publication a Markdown copy with the
// number typed another way — and corrects another case's number to it.
// Only the first opens a case; each refusal names it and returns it.
func TestDuplicateByNumber(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	text := "静会〔2025〕7号\n关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	first := e.ok(e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "a.txt"}, []byte(text), opinionN(7)))

	wantDuplicate := func(what string, c *workflow.Case, err error) {
		t.Helper()
		wantErr(t, what, err, workflow.Conflict, first.ID)
		if !errors.Is(err, workflow.ErrNumberTaken) {
			t.Errorf("%s: %v; want it to wrap ErrNumberTaken, so the pages can offer a revision", what, err)
		}
		if !strings.Contains(workflow.Message(err), "修订版") {
			t.Errorf("%s: message %q does not say what to do (register a revised version)", what, workflow.Message(err))
		}
		if c == nil || c.ID != first.ID {
			t.Errorf("%s returned %v; want the case holding the number, %s", what, c, first.ID)
		}
	}
	c, err := e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "a-gb18030.txt"}, []byte(gb), opinionN(7))
	wantDuplicate("the same opinion as GB18030", c, err)
	// The same file again is not a duplicate by number but the case itself.
	c, err = e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "a.txt"}, []byte(text), opinionN(7))
	wantErr(t, "the same file again", err, workflow.Conflict, "无需重复登记")
	if errors.Is(err, workflow.ErrNumberTaken) || c == nil || c.ID != first.ID {
		t.Errorf("the same file again: %v; want the case itself, not a refusal by number", err)
	}

	// Published, then uploaded again as Markdown with the number written
	// as people type it.
	first = e.ok(e.svc.Assign(e.ctx, clerk, first.ID, first.Version, []workflow.Assignment{{Item: "1", Lead: "区妇联"}, {Item: "1.1", Lead: "区妇联"}, {Item: "2", Lead: "区民政局"}}))
	md := opinionN(7)
	md.Number = "静会[2025]第7号"
	c, err = e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "a.md"}, []byte("# "+text), md)
	wantDuplicate("the same opinion as Markdown, number typed with []", c, err)

	// Another case corrected to the number: refused; to a free one: moved.
	other := e.ok(e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "b.txt"}, []byte("b"), opinionN(8)))
	o := other.Opinion
	o.Number = "静会（2025）7号"
	_, err = e.svc.CorrectOpinion(e.ctx, clerk, other.ID, other.Version, o)
	wantDuplicate("correcting another case's number to the one held", first, err)
	o.Number = "静会〔2025〕9号"
	other = e.ok(e.svc.CorrectOpinion(e.ctx, clerk, other.ID, other.Version, o))
	if h, err := e.svc.Store.Registered(e.ctx, "静会〔2025〕9号"); err != nil || h != other.ID {
		t.Errorf("after correcting to 9号: Registered = %q, %v; want %s", h, err, other.ID)
	}
	if _, err := e.svc.Store.Registered(e.ctx, "静会〔2025〕8号"); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("the corrected case still holds its old number 8号: %v", err)
	}
	// The number given up opens a case again.
	e.ok(e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "c.txt"}, []byte("c"), opinionN(8)))

	all := must(e.svc.Cases(e.ctx, clerk, workflow.Query{}))
	if len(all.Cases) != 3 {
		t.Errorf("%d cases; want 3 (7号, 9号, 8号): no duplicate opened", len(all.Cases))
	}
}

// TestRevise registers a revised opinion as a revision of the case its
// number is held by: a new case that takes the number over, the old one
// marked 已被修订 with an event, and what is refused around it.
func TestRevise(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	old := e.approved(t, 3)
	old = e.ok(e.svc.Publish(e.ctx, clerk, old.ID, workflow.Day(2025, 12, 22)))

	revised := opinionN(3)
	revised.Number = "静会(2025)3号"
	revised.Items = append(revised.Items, workflow.Item{ID: "3", Level: 1, Label: "三、", Text: "修订版增加的意见"})
	_, err := e.svc.Revise(e.ctx, e.id("fulian-staff"), old.ID, workflow.Source{Name: "r.txt"}, []byte("revised"), revised)
	wantErr(t, "a department registering a revision", err, workflow.Forbidden, "区府办")
	other := opinionN(4)
	_, err = e.svc.Revise(e.ctx, clerk, old.ID, workflow.Source{Name: "r.txt"}, []byte("revised"), other)
	wantErr(t, "a revision with another number", err, workflow.Invalid, "来文字号须与案件")
	_, err = e.svc.Revise(e.ctx, clerk, old.ID, workflow.Source{Name: "r.txt"}, []byte("opinion 3"), revised)
	wantErr(t, "a revision that is the same file", err, workflow.Invalid, "完全相同")

	rev := e.ok(e.svc.Revise(e.ctx, clerk, old.ID, workflow.Source{Name: "r.txt"}, []byte("revised"), revised))
	if rev.Revises != old.ID || rev.Stage != workflow.Assigning || len(rev.Opinion.Items) != 4 {
		t.Errorf("the revision: revises %q, stage %s, %d items; want %s, assigning, 4", rev.Revises, rev.Stage, len(rev.Opinion.Items), old.ID)
	}
	got := e.ok(e.svc.Case(e.ctx, clerk, old.ID))
	if got.RevisedBy != rev.ID || got.Stage != workflow.Published || got.Summary().RevisedBy != rev.ID {
		t.Errorf("the old case: revised by %q, stage %s; want %s, still published", got.RevisedBy, got.Stage, rev.ID)
	}
	evs := must(e.svc.History(e.ctx, clerk, old.ID, "", 0, 1))
	if len(evs) != 1 || evs[0].Action != string(workflow.ActRevise) || !strings.Contains(evs[0].Detail, rev.ID) {
		t.Errorf("the old case's newest event %+v; want the revision, naming %s", evs, rev.ID)
	}
	for _, id := range []string{old.ID, rev.ID} {
		if _, err := e.svc.Verify(e.ctx, id); err != nil {
			t.Errorf("Verify(%s): %v", id, err)
		}
	}
	// The number is the revision's now: a further upload names it, and
	// the old case cannot be revised twice.
	c, err := e.svc.Intake(e.ctx, clerk, workflow.Source{Name: "x.txt"}, []byte("again"), opinionN(3))
	wantErr(t, "uploading the number again", err, workflow.Conflict, rev.ID)
	if c == nil || c.ID != rev.ID {
		t.Errorf("uploading the number again returned %v; want the revision %s", c, rev.ID)
	}
	_, err = e.svc.Revise(e.ctx, clerk, old.ID, workflow.Source{Name: "y.txt"}, []byte("revised again"), revised)
	wantErr(t, "revising the old case again", err, workflow.Invalid, "请登记为最新的案件 "+rev.ID)
	o := rev.Opinion
	o.Number = "静会〔2025〕30号"
	_, err = e.svc.CorrectOpinion(e.ctx, clerk, rev.ID, rev.Version, o)
	wantErr(t, "correcting a revision's number away", err, workflow.Invalid, "修订版")
	// A revision of the revision is fine.
	again := e.ok(e.svc.Revise(e.ctx, clerk, rev.ID, workflow.Source{Name: "z.txt"}, []byte("revised twice"), revised))
	if h, _ := e.svc.Store.Registered(e.ctx, "静会〔2025〕3号"); h != again.ID {
		t.Errorf("after the second revision the number is held by %q; want %s", h, again.ID)
	}
}

// TestFrame is the clerk's opening and closing: set, audited, used by
// compiling before 特此报告。, and refused where it cannot be.
func TestFrame(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	c := e.opened(t, 1)
	def := must(e.svc.Opening(e.ctx, c))
	if !strings.Contains(def, "静会〔2025〕1号") {
		t.Fatalf("the default opening %q does not cite the opinion", def)
	}
	const closing = "下一步，区政府将继续抓好落实，自觉接受区人大常委会的监督。"
	_, err := e.svc.SetFrame(e.ctx, e.id("fulian-staff"), c.ID, 0, "", closing)
	wantErr(t, "a department setting the closing", err, workflow.Forbidden, "区府办")
	_, err = e.svc.SetFrame(e.ctx, clerk, c.ID, 0, "", "# 下一步工作\n\n继续落实。")
	wantErr(t, "a heading in the closing", err, workflow.Invalid, "不能含标题")
	_, err = e.svc.SetFrame(e.ctx, clerk, c.ID, 0, strings.Repeat("长", workflow.MaxBoilerplate+1), "")
	wantErr(t, "an opening over the limit", err, workflow.Invalid, "上限")
	// The default opening sent back as typed stays the office's.
	c = e.ok(e.svc.SetFrame(e.ctx, clerk, c.ID, 0, def, closing))
	if c.Frame.Opening != "" || c.Frame.Closing != closing || c.Frame.Rev != 1 {
		t.Errorf("frame %+v; want the office's opening kept as \"\", the closing, rev 1", c.Frame)
	}
	_, err = e.svc.SetFrame(e.ctx, clerk, c.ID, 0, "", "别的结尾。")
	wantErr(t, "a stale frame form", err, workflow.Conflict, "刷新")
	evs := must(e.svc.History(e.ctx, clerk, c.ID, "", 0, 1))
	if len(evs) != 1 || evs[0].Frame == nil || evs[0].Frame.Closing != closing {
		t.Errorf("the newest event %+v; want the frame change carrying its text", evs)
	}
	// Compiling puts it before the office's closing formula.
	for i, sec := range c.Sections {
		staff, head := e.deptUser(sec.Lead, "staff"), e.deptUser(sec.Lead, "head")
		c = e.ok(e.svc.SaveSection(e.ctx, staff, c.ID, sec.ID, 0, "标题", "正文。", ""))
		c = e.ok(e.svc.SubmitSection(e.ctx, head, c.ID, sec.ID, c.Sections[i].Rev))
		c = e.ok(e.svc.AcceptSection(e.ctx, clerk, c.ID, sec.ID, c.Sections[i].Rev))
	}
	c = e.ok(e.svc.Compile(e.ctx, clerk, c.ID))
	body := must(e.svc.Text(e.ctx, clerk, c.ID, c.Report.Current.Hash))
	if !strings.HasPrefix(body, def+"\n\n") || !strings.HasSuffix(body, "正文。\n\n"+closing+"\n\n特此报告。\n") {
		t.Errorf("compiled body:\n%s\nwant the office's opening first and the closing before 特此报告。", body)
	}
	// A changed opening reaches the report when it is compiled again.
	c = e.ok(e.svc.SetFrame(e.ctx, clerk, c.ID, c.Frame.Rev, "区政府对审议意见高度重视，现报告如下：", closing))
	c = e.ok(e.svc.Compile(e.ctx, clerk, c.ID))
	body = must(e.svc.Text(e.ctx, clerk, c.ID, c.Report.Current.Hash))
	if !strings.HasPrefix(body, "区政府对审议意见高度重视，现报告如下：\n\n") {
		t.Errorf("recompiled body begins %.60q; want the clerk's opening", body)
	}
	c = e.ok(e.svc.StartSignoff(e.ctx, clerk, c.ID, shortChain))
	_, err = e.svc.SetFrame(e.ctx, clerk, c.ID, c.Frame.Rev, "", "")
	wantErr(t, "changing the frame in sign-off", err, workflow.Invalid, "不能修改报告的开头和结尾")
}

// TestPublishAsDecided publishes with a 印发日期, a 公开属性 and its 附注,
// checks what is refused, what the notice prints, and who sees it.
func TestPublishAsDecided(t *testing.T) {
	e := newEnv(t)
	clerk, admin := e.id("clerk"), e.id("admin")
	o := must(e.svc.Office(e.ctx))
	changed := *o
	changed.Profile.Notes = map[workflow.Openness]string{workflow.OnRequest: "此件依申请公开"}
	if _, err := e.svc.SaveOffice(e.ctx, admin, o.Version, changed, ""); err != nil {
		t.Fatal(err)
	}
	c := e.approved(t, 1)
	date := workflow.Day(2025, 12, 22)
	_, err := e.svc.PublishWith(e.ctx, clerk, c.ID, workflow.Publishing{Date: date, Printed: date.AddDate(0, 0, -1)})
	wantErr(t, "印发日期 before 成文日期", err, workflow.Invalid, "早于成文日期")
	_, err = e.svc.PublishWith(e.ctx, clerk, c.ID, workflow.Publishing{Date: date, Openness: "secret"})
	wantErr(t, "an unknown 公开属性", err, workflow.Invalid, "没有公开属性")
	long := strings.Repeat("注", workflow.MaxHeading+1)
	_, err = e.svc.PublishWith(e.ctx, clerk, c.ID, workflow.Publishing{Date: date, Note: &long})
	wantErr(t, "a 附注 over the limit", err, workflow.Invalid, "附注过长")
	if got := must(e.svc.Store.Counter(e.ctx, "静府议", 2025)); got != 0 {
		t.Fatalf("refused publications took %d numbers", got)
	}

	c = e.ok(e.svc.PublishWith(e.ctx, clerk, c.ID, workflow.Publishing{Date: date, Printed: workflow.Day(2025, 12, 24), Openness: workflow.OnRequest}))
	p := c.Publication
	if p.Number() != "静府议〔2025〕1号" || !p.Printed.Equal(workflow.Day(2025, 12, 24)) || p.Openness != workflow.OnRequest || p.Note != "此件依申请公开" {
		t.Errorf("publication %+v; want 1号, 印发 2025-12-24, 依申请公开 with the office's note", p)
	}
	_, page := must2(e.svc.File(e.ctx, clerk, c.ID, "notice.html"))
	for _, want := range []string{"印发 2025年12月24日", "附注 此件依申请公开"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the rendered notice lacks %q:\n%s", want, page)
		}
	}
	// Only the office and those who took part see it.
	if _, err := e.svc.Case(e.ctx, workflow.Anonymous, c.ID); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("the public reading a 依申请公开 case: %v; want NotFound", err)
	}
	if _, _, err := e.svc.File(e.ctx, workflow.Anonymous, c.ID, "notice.html"); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("the public reading a 依申请公开 notice's file: %v; want NotFound", err)
	}
	if _, _, err := e.svc.File(e.ctx, e.id("jiaoyu-staff"), c.ID, "notice.html"); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("a department that took no part reading it: %v; want NotFound", err)
	}
	if _, _, err := e.svc.File(e.ctx, e.deptUser("区妇联", "staff"), c.ID, "notice.html"); err != nil {
		t.Errorf("a department that took part reading it: %v", err)
	}
	if p := must(e.svc.Cases(e.ctx, workflow.Anonymous, workflow.Query{})); len(p.Cases) != 0 {
		t.Errorf("the public list shows %d cases; want none", len(p.Cases))
	}
	if p := must(e.svc.Cases(e.ctx, clerk, workflow.Query{Stage: workflow.Published})); len(p.Cases) != 1 || p.Cases[0].Openness != workflow.OnRequest {
		t.Errorf("the office's list of published cases: %+v; want the case, 依申请公开", p.Cases)
	}

	// The default: 主动公开, 印发 = 成文, no note; public.
	d := e.ok(e.svc.Publish(e.ctx, clerk, e.approved(t, 2).ID, time.Time{}))
	if d.Publication.Openness != workflow.Proactive || !d.Publication.Printed.Equal(d.Publication.Date) || d.Publication.Note != "" {
		t.Errorf("a publication with the defaults: %+v; want 主动公开, 印发日期 = 成文日期, no note", d.Publication)
	}
	if _, err := e.svc.Case(e.ctx, workflow.Anonymous, d.ID); err != nil {
		t.Errorf("the public reading a 主动公开 case: %v", err)
	}
	// A note typed in its （） is kept without them; "" prints none even
	// where the office has one.
	none, typed := "", "（此件不予公开）"
	w := e.ok(e.svc.PublishWith(e.ctx, clerk, e.approved(t, 3).ID, workflow.Publishing{Date: date, Openness: workflow.Withheld, Note: &typed}))
	x := e.ok(e.svc.PublishWith(e.ctx, clerk, e.approved(t, 4).ID, workflow.Publishing{Date: date, Openness: workflow.OnRequest, Note: &none}))
	if w.Publication.Note != "此件不予公开" || x.Publication.Note != "" {
		t.Errorf("notes %q and %q; want 此件不予公开 and none", w.Publication.Note, x.Publication.Note)
	}
}
