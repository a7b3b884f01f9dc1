package workflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

var twoContacts = []workflow.ContactInput{
	{Name: "王某", Org: "区人大常委会社会建设工委", Email: "wang@example.gov.cn"},
	{Name: "李某", Org: "区人大常委会办公室"},
}

func contacts(n int) []workflow.ContactInput {
	var out []workflow.ContactInput
	for i := range n {
		out = append(out, workflow.ContactInput{Name: fmt.Sprint("委员", i+1), Org: "区人大常委会"})
	}
	return out
}

// TestConsultWhoAndWhen tries to send the draft for comments as every
// other kind of user (refused as not theirs), before the report is
// compiled and once sign-off has started (refused for the stage), and
// with a draft older than the current one (a conflict): only the clerk,
// between 汇总 and 审核签发, with the draft as it stands.
func TestConsultWhoAndWhen(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	c := e.opened(t, 1)
	_, _, err := e.svc.Consult(e.ctx, clerk, c.ID, "", 0, 0, twoContacts)
	wantErr(t, "consulting while departments draft", err, workflow.Invalid, "承办中")

	c = e.compiled(t, 2)
	sum := c.Report.Current.Sum
	for _, who := range []workflow.Identity{e.deptUser("区妇联", "staff"), e.deptUser("区妇联", "head"), e.id("reviewer"), e.id("mayor")} {
		_, _, err := e.svc.Consult(e.ctx, who, c.ID, sum, 0, 0, twoContacts)
		wantErr(t, "consulting as "+who.User, err, workflow.Forbidden, "区府办经办人")
	}
	_, _, err = e.svc.Consult(e.ctx, clerk, c.ID, "stale", 0, 0, twoContacts)
	wantErr(t, "consulting on a draft other than the current", err, workflow.Conflict, "第 1 稿")
	c, links := must2(e.svc.Consult(e.ctx, clerk, c.ID, sum, 0, 0, twoContacts))
	if len(links) != 2 || c.Consult == nil || c.Consult.Draft.Sum != sum {
		t.Fatalf("consulted: %d links, round %+v; want 2 links for the current draft", len(links), c.Consult)
	}
	if d := c.Consult.Expires.Sub(c.Consult.Sent); d != workflow.ConsultDays*24*time.Hour {
		t.Errorf("links live %v by default; want %d days", d, workflow.ConsultDays)
	}
	// A revocation by someone else is refused too.
	_, err = e.svc.RevokeConsult(e.ctx, e.deptUser("区妇联", "head"), c.ID, "k1")
	wantErr(t, "revoking as a department head", err, workflow.Forbidden, "区府办经办人")

	c = e.ok(e.svc.StartSignoff(e.ctx, clerk, c.ID, shortChain))
	_, _, err = e.svc.Consult(e.ctx, clerk, c.ID, c.Report.Current.Sum, 0, 0, twoContacts)
	wantErr(t, "consulting once sign-off started", err, workflow.Invalid, "审核签发中")
	// The clerk may still revoke a link while the chain runs.
	e.ok(e.svc.RevokeConsult(e.ctx, clerk, c.ID, "k1"))
}

// TestConsultLimits sends too many contacts, names and organisations one
// character too long, an address that is not one, the same person twice,
// nobody, and links that would live too long: each is refused before
// anything is written, saying which contact and what is wrong; the
// largest allowed passes.
func TestConsultLimits(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	c := e.compiled(t, 1)
	sum := c.Report.Current.Sum
	long := func(n int) string { return strings.Repeat("名", n) }
	for _, tc := range []struct {
		what   string
		in     []workflow.ContactInput
		days   int
		phrase string
	}{
		{"nobody", nil, 0, "至少填写一位"},
		{"11 contacts", contacts(workflow.MaxContacts + 1), 0, "至多 10 位"},
		{"a name of 41 characters", []workflow.ContactInput{{Name: long(workflow.MaxContactName + 1), Org: "区人大"}}, 0, "第 1 位：姓名过长（41 字，上限 40 字）"},
		{"an organisation of 61 characters", []workflow.ContactInput{{Name: "王某", Org: long(workflow.MaxContactOrg + 1)}}, 0, "单位过长（61 字，上限 60 字）"},
		{"no organisation", []workflow.ContactInput{{Name: "王某", Org: " "}}, 0, "请填写单位"},
		{"a bad address", []workflow.ContactInput{{Name: "王某", Org: "区人大"}, {Name: "李某", Org: "区人大", Email: "li at example"}}, 0, "第 2 位：电子邮箱「li at example」格式不对"},
		{"a name on two lines", []workflow.ContactInput{{Name: "王\n某", Org: "区人大"}}, 0, "姓名只能是一行"},
		{"the same person twice", []workflow.ContactInput{{Name: "王某", Org: "区人大"}, {Name: "王某", Org: "区人大"}}, 0, "与第 1 位重复"},
		{"31 days", twoContacts, workflow.MaxConsultDays + 1, "1–30 天"},
		{"a negative life", twoContacts, -1, "1–30 天"},
	} {
		_, _, err := e.svc.Consult(e.ctx, clerk, c.ID, sum, 0, tc.days, tc.in)
		wantErr(t, tc.what, err, workflow.Invalid, tc.phrase)
	}
	if got := e.ok(e.svc.Case(e.ctx, clerk, c.ID)); got.Consult != nil {
		t.Fatalf("refused consultations left a round: %+v", got.Consult)
	}
	in := contacts(workflow.MaxContacts)
	in[0].Name, in[1].Org = long(workflow.MaxContactName), long(workflow.MaxContactOrg)
	_, links := must2(e.svc.Consult(e.ctx, clerk, c.ID, sum, 0, workflow.MaxConsultDays, in))
	if len(links) != workflow.MaxContacts {
		t.Errorf("%d links for the largest allowed round; want %d", len(links), workflow.MaxContacts)
	}
}

// TestConsultLinks follows two contacts' links from sending to the end:
// what a link shows (the version sent, after the report changed too),
// forged links (another secret, another contact's ID with one's own
// secret, a case that does not exist, garbage), a comment recorded as an
// event and answered again (replaced, then refused past the limit), a
// comment too long, a revoked link, an expired one, one replaced by a new
// round and one after publication. The token is never stored.
func TestConsultLinks(t *testing.T) {
	e := newEnv(t)
	clerk := e.id("clerk")
	c := e.compiled(t, 1)
	sent := c.Report.Current
	c, links := must2(e.svc.Consult(e.ctx, clerk, c.ID, sent.Sum, 0, 3, twoContacts))
	wang, li := links[0], links[1]

	// The token: case, contact, 256 random bits; only its hash is kept.
	parts := strings.Split(wang.Token, ".")
	if len(parts) != 3 || parts[0] != c.ID || parts[1] != "k1" || len(parts[2]) != 43 {
		t.Fatalf("token %q; want <case>.k1.<43 characters of base64url>", wang.Token)
	}
	stored, _ := json.Marshal(must(e.svc.Store.Case(e.ctx, c.ID)))
	for _, l := range links {
		if secret := l.Token[strings.LastIndex(l.Token, ".")+1:]; strings.Contains(string(stored), secret) {
			t.Errorf("the stored case holds %s's secret", l.Contact.Name)
		}
	}
	if wang.Token == li.Token || parts[2] == strings.Split(li.Token, ".")[2] {
		t.Error("two contacts got the same secret")
	}

	// What the link shows: the draft sent, the contact's own name.
	page := must(e.svc.ConsultPage(e.ctx, wang.Token))
	if page.Draft.Sum != sent.Sum || page.Contact.Name != "王某" || page.Body == "" || page.Contact.Secret != "" || page.Draft.Author != "" {
		t.Fatalf("the link shows %+v; want the draft sent to 王某, without secrets or authors", page)
	}

	// Forged links are refused alike, never as "expired" or with the draft.
	other := strings.Repeat("A", 43)
	for what, tok := range map[string]string{
		"another secret":                        c.ID + ".k1." + other,
		"王某's secret with 李某's ID":              c.ID + ".k2." + parts[2],
		"a contact the round does not have":     c.ID + ".k9." + parts[2],
		"a case that does not exist":            "cffffffffffff.k1." + parts[2],
		"a secret one character short":          c.ID + ".k1." + parts[2][:42],
		"garbage":                               "../../etc/passwd",
		"the hash stored instead of the secret": c.ID + ".k1." + c.Consult.Contacts[0].Secret,
		"an empty token":                        "",
	} {
		_, err := e.svc.ConsultPage(e.ctx, tok)
		wantErr(t, "a link with "+what, err, workflow.NotFound, "链接无效")
		if errors.Is(err, workflow.ErrLinkGone) {
			t.Errorf("a link with %s is answered as one that was good", what)
		}
		_, err = e.svc.AnswerConsult(e.ctx, tok, "伪造的意见")
		wantErr(t, "a comment through a link with "+what, err, workflow.NotFound, "链接无效")
	}

	// A comment: an event of the case carrying the text; the round says
	// answered.
	_, err := e.svc.AnswerConsult(e.ctx, wang.Token, strings.Repeat("长", workflow.MaxConsultAnswer+1))
	wantErr(t, "a comment of 2,001 characters", err, workflow.Invalid, "意见过长（2001 字，上限 2000 字）")
	_, err = e.svc.AnswerConsult(e.ctx, wang.Token, "  \n ")
	wantErr(t, "an empty comment", err, workflow.Invalid, "意见不能为空")
	page = must(e.svc.AnswerConsult(e.ctx, wang.Token, "建议补充工作时限。"))
	if page.Answer != "建议补充工作时限。" || page.Left != workflow.MaxAnswers-1 {
		t.Errorf("after the comment the link shows %q, %d left; want the comment and %d left", page.Answer, page.Left, workflow.MaxAnswers-1)
	}
	c = e.ok(e.svc.Case(e.ctx, clerk, c.ID))
	k1, _ := c.Consult.Contact("k1")
	ev, _ := must2(e.svc.Recorded(e.ctx, clerk, c.ID, "", k1.AnswerSeq))
	if ev.Action != string(workflow.ActConsultAnswer) || ev.Comment == nil || ev.Comment.Text != "建议补充工作时限。" || ev.Actor != "consult:k1" || ev.Sum != sent.Sum {
		t.Errorf("the comment's event: %+v; want consult-answer by consult:k1 about the draft sent, with the text", ev)
	}
	// The office is told, with the comment.
	if notes := workflow.Notes(c, []workflow.Event{ev}); len(notes) != 1 || notes[0].Kind != workflow.NoteConsulted || !notes[0].To.Office ||
		!strings.Contains(notes[0].Text, "建议补充工作时限。") || !strings.Contains(notes[0].Text, "王某（区人大常委会社会建设工委）") {
		t.Errorf("the comment tells %+v; want the office told who commented and what", notes)
	}
	// Answering again replaces it; both stay in the audit trail.
	must(e.svc.AnswerConsult(e.ctx, wang.Token, "第二次意见。"))
	answers := must(must(e.svc.Read(e.ctx, clerk, c.ID)).ConsultAnswers(e.ctx))
	if len(answers) != 1 || answers["k1"].Text != "第二次意见。" {
		t.Errorf("the office reads %+v; want 王某's second comment only", answers)
	}
	for range workflow.MaxAnswers - 2 {
		must(e.svc.AnswerConsult(e.ctx, wang.Token, "再改。"))
	}
	_, err = e.svc.AnswerConsult(e.ctx, wang.Token, "第六次。")
	wantErr(t, "a sixth comment", err, workflow.Invalid, "已达上限")

	// The report changes: the link still shows the version sent; the
	// round says the draft changed.
	body := must(e.svc.Text(e.ctx, clerk, c.ID, sent.Hash))
	c = e.ok(e.svc.SaveReport(e.ctx, clerk, c.ID, c.Report.Rev, sent.Heading, sent.Addressee, body+"\n\n根据意见补充。", "采纳人大意见"))
	if !c.Consult.Changed(c) {
		t.Error("after a save the round does not say the draft changed")
	}
	if ev := must(e.svc.History(e.ctx, clerk, c.ID, "", 0, 1))[0]; ev.Action != "save-report" || !strings.Contains(ev.Detail, "第 1 轮征求意见所发为第 1 稿，已收到 1 位对象的意见") {
		t.Errorf("the save after the comments is recorded as %q; want it to say which draft the round sent and how many answered", ev.Detail)
	}
	if page := must(e.svc.ConsultPage(e.ctx, li.Token)); page.Draft.Sum != sent.Sum || strings.Contains(page.Body, "根据意见补充") {
		t.Error("after the report changed, the link shows the new draft; want the version sent")
	}

	// Revoked: refused as gone, with when.
	c = e.ok(e.svc.RevokeConsult(e.ctx, clerk, c.ID, "k2"))
	_, err = e.svc.ConsultPage(e.ctx, li.Token)
	wantGone(t, "a revoked link", err, "已于")
	_, err = e.svc.AnswerConsult(e.ctx, li.Token, "撤回后的意见")
	wantGone(t, "a comment through a revoked link", err, "撤回")
	_, err = e.svc.RevokeConsult(e.ctx, clerk, c.ID, "k7")
	wantErr(t, "revoking a contact the round lacks", err, workflow.Invalid, "没有对象 k7")

	// Expired: three days later the link is gone.
	var mu sync.Mutex
	at := c.Consult.Expires.Add(-time.Minute)
	e.svc.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
	must(e.svc.ConsultPage(e.ctx, wang.Token))
	at = c.Consult.Expires
	_, err = e.svc.ConsultPage(e.ctx, wang.Token)
	wantGone(t, "a link at its expiry", err, "过期")
	_, err = e.svc.AnswerConsult(e.ctx, wang.Token, "过期后的意见")
	wantGone(t, "a comment through an expired link", err, "过期")

	// A new round: the old links stop; the new ones work.
	c = e.ok(e.svc.Case(e.ctx, clerk, c.ID))
	// The same form posted again (a page reloaded after sending) is
	// refused and ends nothing: its round is no longer the case's.
	_, _, err = e.svc.Consult(e.ctx, clerk, c.ID, c.Report.Current.Sum, 0, 0, twoContacts[:1])
	wantErr(t, "the first round's form posted again", err, workflow.Conflict, "已发出第 1 轮")
	c, again := must2(e.svc.Consult(e.ctx, clerk, c.ID, c.Report.Current.Sum, 1, 0, twoContacts[:1]))
	if c.Consult.Round != 2 {
		t.Errorf("round %d; want 2", c.Consult.Round)
	}
	if _, err := e.svc.ConsultPage(e.ctx, wang.Token); err == nil {
		t.Error("a link of round 1 still works in round 2")
	}
	must(e.svc.ConsultPage(e.ctx, again[0].Token))

	// Published: every link is gone.
	c = e.ok(e.svc.StartSignoff(e.ctx, clerk, c.ID, shortChain))
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = e.ok(e.svc.Approve(e.ctx, e.id(u), c.ID, c.Report.Current.Sum, "同意"))
	}
	c = e.ok(e.svc.Publish(e.ctx, clerk, c.ID, workflow.Day(2025, 9, 1)))
	_, err = e.svc.ConsultPage(e.ctx, again[0].Token)
	wantGone(t, "a link after publication", err, "正式发布")

	// Every step is in the audit trail, and the trail holds.
	must(e.svc.Verify(e.ctx, c.ID))
	evs := must(e.svc.History(e.ctx, clerk, c.ID, "", 0, 200))
	count := map[string]int{}
	for _, ev := range evs {
		count[ev.Action]++
	}
	if count["consult"] != 2 || count["consult-answer"] != workflow.MaxAnswers || count["revoke-consult"] != 1 {
		t.Errorf("audit trail counts %v; want 2 consult, %d consult-answer, 1 revoke-consult", count, workflow.MaxAnswers)
	}
}

// TestConsultHiddenFromDepartments reads a consulted case as a department
// that drafted it: the round (names, addresses, hashes) is not theirs.
func TestConsultHiddenFromDepartments(t *testing.T) {
	e := newEnv(t)
	c := e.compiled(t, 1)
	must2(e.svc.Consult(e.ctx, e.id("clerk"), c.ID, c.Report.Current.Sum, 0, 0, twoContacts))
	got := e.ok(e.svc.Case(e.ctx, e.deptUser("区妇联", "staff"), c.ID))
	if got.Consult != nil {
		t.Errorf("a department reads the round: %+v", got.Consult)
	}
}

func wantGone(t *testing.T, what string, err error, phrase string) {
	t.Helper()
	wantErr(t, what, err, workflow.NotFound, phrase)
	if !errors.Is(err, workflow.ErrLinkGone) {
		t.Errorf("%s: %v; want it to wrap ErrLinkGone (answered 410)", what, err)
	}
}
