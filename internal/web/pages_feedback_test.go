package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// publishedSuggestion imports one suggestion, hands it to 区民政局 and
// takes it through its answer to publication, by the service.
func (e *pageEnv) publishedSuggestion(t *testing.T) *workflow.Case {
	t.Helper()
	ctx := context.Background()
	clerk := e.id(t, "clerk")
	got, err := e.svc.Import(ctx, clerk, "suggestion", workflow.Day(2026, 11, 20), "list.csv",
		[]workflow.Proposal{{Line: 2, Number: "15", Title: "关于改善老旧小区停车条件的建议", Proposer: "陈某", Group: "第二代表团", Content: "建议增设泊位。"}})
	if err != nil || got[0].Case == "" {
		t.Fatalf("import: %v %+v", err, got)
	}
	id := got[0].Case
	step := func(c *workflow.Case, err error) *workflow.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := e.svc.AssignBatch(ctx, clerk, []string{id}, "区民政局", nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	staff, head := e.id(t, "minzheng-staff"), e.id(t, "minzheng-head")
	step(e.svc.RecordLiaison(ctx, staff, id, "s1", workflow.Day(2026, 11, 25), "电话", "电话听取意见。"))
	c := step(e.svc.SaveSection(ctx, staff, id, "s1", 0, "关于停车条件的答复", "已增设泊位。", ""))
	c = step(e.svc.SubmitSection(ctx, head, id, "s1", c.Sections[0].Rev))
	step(e.svc.AcceptSection(ctx, clerk, id, "s1", c.Sections[0].Rev))
	step(e.svc.Compile(ctx, clerk, id))
	c = step(e.svc.StartSignoff(ctx, clerk, id, []workflow.Step{{Name: "核稿", Signers: []string{"reviewer"}}, {Name: "审核", Signers: []string{"deputy"}}, {Name: "签发", Signers: []string{"mayor"}}}))
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = step(e.svc.Approve(ctx, e.id(t, u), id, c.Report.Current.Sum, "同意"))
	}
	return step(e.svc.Publish(ctx, clerk, id, time.Time{}))
}

var feedbackLink = regexp.MustCompile(`/feedback\?t=([A-Za-z0-9._%-]+)`)

// TestFeedbackPages: the clerk makes a 满意度 link on the case page of a
// published suggestion; the deputy opens it without an account and rates
// the answer 不满意 with a reason; the case page then shows the rating
// and the case opened for the second answer. What was tried besides: a
// department's staff making the link (403); the form without a rating,
// and 不满意 without a reason (400, beside the field, the text kept); a
// forged link (404); rating twice (400, the first rating kept).
func TestFeedbackPages(t *testing.T) {
	e := mustPageEnv(t)
	c := e.publishedSuggestion(t)
	// 公开: the answer is on the public list by kind, naming the deputy;
	// not among the 审议意见, nor in another category.
	if p := e.do(t, "", "GET", "/notices?kind=suggestion", nil); !strings.Contains(p.body, "人大代表建议 · 陈某代表") || !strings.Contains(p.body, c.Publication.Number()) {
		t.Errorf("the public list of suggestions:\n%.2000s", p.body)
	}
	for _, q := range []string{"kind=opinion", "kind=suggestion&category=" + url.QueryEscape("教育")} {
		if p := e.do(t, "", "GET", "/notices?"+q, nil); strings.Contains(p.body, c.Publication.Number()) {
			t.Errorf("the public list with %s shows the suggestion's answer", q)
		}
	}
	if p := e.do(t, "clerk", "GET", "/cases/"+c.ID, nil); !strings.Contains(p.body, "/cases/"+c.ID+"/feedback") {
		t.Fatalf("the case page does not link its 满意度:\n%.2000s", p.body)
	}
	casePage := e.do(t, "clerk", "GET", "/cases/"+c.ID+"/feedback", nil)
	if !strings.Contains(casePage.body, `id="feedback"`) || !strings.Contains(casePage.body, "生成满意度测评链接") {
		t.Fatalf("the case page offers no rating link:\n%.2000s", casePage.body)
	}
	if p := e.do(t, "minzheng-staff", "POST", "/cases/"+c.ID+"/feedback", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("a department's staff makes a link: %d", p.status)
	}
	p := e.do(t, "clerk", "POST", "/cases/"+c.ID+"/feedback", url.Values{})
	m := feedbackLink.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("making the link: %d\n%.2000s", p.status, p.body)
	}
	token, _ := url.QueryUnescape(m[1])

	fp := e.do(t, "", "GET", "/feedback?t="+url.QueryEscape(token), nil)
	if fp.status != http.StatusOK || !strings.Contains(fp.body, "关于改善老旧小区停车条件的建议") || !strings.Contains(fp.body, `name="rating"`) {
		t.Fatalf("the deputy's page: %d\n%.2000s", fp.status, fp.body)
	}
	if p := e.do(t, "", "GET", "/feedback?t="+url.QueryEscape(c.ID+".fb."+strings.Repeat("A", 43)), nil); p.status != http.StatusNotFound {
		t.Errorf("a forged link: %d", p.status)
	}
	post := func(rating, comment string) page {
		return e.do(t, "", "POST", "/feedback", url.Values{"t": {token}, "rating": {rating}, "comment": {comment}})
	}
	if p := post("", "还行"); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-rating"`) || !strings.Contains(p.body, "还行") {
		t.Errorf("no rating: %d", p.status)
	}
	if p := post("unsatisfied", ""); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="err-comment"`) {
		t.Errorf("不满意 without a reason: %d", p.status)
	}
	if p := post("unsatisfied", "泊位仍不够。"); p.status != http.StatusSeeOther {
		t.Fatalf("rating: %d\n%.1500s", p.status, p.body)
	}
	if p := post("satisfied", ""); p.status != http.StatusBadRequest || !strings.Contains(p.body, "不能更改") {
		t.Errorf("rating twice: %d", p.status)
	}
	done := e.do(t, "", "GET", "/feedback?t="+url.QueryEscape(token), nil)
	if !strings.Contains(done.body, "您的评价：不满意") || strings.Contains(done.body, `name="rating"`) {
		t.Errorf("the page after rating:\n%.1500s", done.body)
	}
	c2, err := e.svc.Case(context.Background(), e.id(t, "clerk"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	casePage = e.do(t, "clerk", "GET", "/cases/"+c.ID+"/feedback", nil)
	if !strings.Contains(casePage.body, "泊位仍不够。") || !strings.Contains(casePage.body, "/cases/"+c2.Feedback.Redo) {
		t.Errorf("the case page after 不满意 does not show the rating and the second case:\n%.3000s", casePage.body)
	}
	if redo := e.do(t, "clerk", "GET", "/cases/"+c2.Feedback.Redo+"/feedback", nil); !strings.Contains(redo.body, "本案件是第 2 次答复") {
		t.Errorf("the second case's page does not say it is the second answer")
	}
}
