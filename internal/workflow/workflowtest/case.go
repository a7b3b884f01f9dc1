package workflowtest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/docflow/docflow/internal/workflow"
)

// NewCase returns a fully populated case, as the 静会〔2025〕57号 opinion
// stands once its report is signed and published, with the events that
// recorded it: sections with current versions, inputs, a return and a
// reminder, a compiled report, a sign-off chain with approvals, and a
// publication with files. Times carry nanoseconds and two zones, so a store
// that truncates or reorders them shows. Versions are 0: commit it as new.
// Every call returns a new, identical case.
func NewCase(id string) (*workflow.Case, []workflow.Event) {
	at := func(month time.Month, day, hour, minute int) time.Time {
		// Nanoseconds differ per call site, so that a store keeping only
		// milliseconds or microseconds fails the round trip.
		return time.Date(2025, month, day, hour, minute, 7, 100_000_000+day*1_000_000+hour*1000+minute, workflow.Zone)
	}
	h := func(s string) string { return workflow.Hash([]byte(s)) }
	const (
		issuer = "上海市静安区人民代表大会常务委员会"
		title  = "关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见"
		report = "上海市静安区人民政府关于区第二届人大常委会第三十六次会议《关于检查本区贯彻实施〈上海市妇女权益保障条例〉情况的审议意见》办理情况的报告"
	)
	reportSum := h("report v2")
	c := &workflow.Case{
		Record: workflow.Record{
			ID:      id,
			Stage:   workflow.Published,
			Source:  workflow.Source{Name: "静会〔2025〕57号.txt", Hash: h("opinion"), Size: 4711, Key: "inbox/静会〔2025〕57号.txt"},
			Created: at(7, 1, 9, 30),
			Updated: at(12, 22, 16, 5).UTC(),
			Report: &workflow.Report{Rev: 2, Current: workflow.Version{N: 2, Seq: 5, Heading: report, Addressee: "区人大常委会",
				Hash: h("final"), Sum: reportSum, Author: "clerk1", Name: "陈静", At: at(9, 3, 11, 0), Note: "删去征求意见稿字样"}},
			Chain: []workflow.Step{
				{Name: "核稿", Signers: []string{"office1"}, Approvals: []workflow.Approval{
					{User: "office1", Name: "周敏", Title: "区府办副主任", Sum: reportSum, N: 2, Opinion: "同意", At: at(9, 4, 9, 0)},
				}},
				{Name: "会签", Signers: []string{"fuer-head", "weijian-head"}, Approvals: []workflow.Approval{
					{User: "weijian-head", Name: "孙伟", Title: "区卫健委主任", Sum: reportSum, N: 2, Opinion: "同意。", At: at(9, 5, 10, 0)},
					{User: "fuer-head", Name: "刘洋", Title: "区妇儿工委办主任", Sum: reportSum, N: 2, Opinion: "同意，请按程序报签。", At: at(9, 5, 11, 0)},
				}},
			},
			Returned: &workflow.Comment{Author: "office1", Name: "周敏", Step: "核稿", Text: "“十五五”规划的表述请与发改委核对。", At: at(9, 2, 8, 30)},
			Publication: &workflow.Publication{
				Series: "静府议", Year: 2025, Seq: 17, Date: workflow.Day(2025, 12, 22), Sum: reportSum,
				Files: []workflow.File{
					{Name: "notice.html", Key: "published/" + id + "/notice.html", ContentType: "text/html; charset=utf-8", Hash: h("html"), Size: 20480},
					{Name: "notice.pdf", Key: "published/" + id + "/notice.pdf", ContentType: "application/pdf", Hash: h("pdf"), Size: 183211},
				},
				At: at(12, 22, 16, 5),
				By: "clerk1",
			},
		},
		Opinion: workflow.Opinion{
			Issuer:    issuer,
			Number:    "静会〔2025〕57号",
			Title:     title,
			Addressee: "区人民政府",
			Session:   "区第二届人大常委会第三十六次会议",
			ReplyTo:   "区人大常委会",
			Signature: "上海市静安区人大常委会",
			Date:      workflow.Day(2025, 6, 30),
			Due:       workflow.Day(2025, 12, 30),
			DueRule:   "请区人民政府在六个月内将审议意见的研究处理情况向区人大常委会书面报告。",
			Preamble:  "2025年6月26日，区第二届人大常委会第三十六次会议听取和审议了区人大常委会执法检查组的报告。现提出如下审议意见：",
			Closing:   "请区人民政府在六个月内将审议意见的研究处理情况向区人大常委会书面报告。",
			Items: []workflow.Item{
				{ID: "1", Level: 1, Label: "一、", Text: "完善工作机制，加强统筹协同与基层基础建设"},
				{ID: "1.1", Level: 2, Label: "（一）", Text: "发挥议事协调机构作用，健全部门联动和信息共享机制。"},
				{ID: "2", Level: 1, Label: "二、", Text: "聚焦重点领域，切实保障妇女合法权益"},
				{ID: "2.1", Level: 2, Label: "（一）", Text: "完善覆盖全生命周期的妇女健康服务，扩大“两病筛查”覆盖面。"},
			},
		},
		Frame: workflow.Frame{Rev: 1, Closing: "区政府将在区委的坚强领导下，自觉接受区人大及其常委会的监督。"},
		Sections: []workflow.Section{
			{
				ID: "s1", Item: "1", Level: 1, Lead: "区妇儿工委办", Co: []string{"区人社局", "区卫健委"},
				Due: workflow.Day(2025, 11, 30), State: workflow.Accepted, Rev: 5,
				Current:  workflow.Version{N: 2, Seq: 2, Heading: "完善工作机制", Hash: h("body1"), Sum: h("s1 v2"), Author: "fuer1", Name: "王芳", At: at(8, 11, 15, 20), Note: "按区府办意见补充数据"},
				Inputs:   map[string]int{"区人社局": 1},
				Returned: &workflow.Comment{Author: "clerk1", Name: "陈静", Text: "请补充2025年上半年的统计数据。", At: at(8, 8, 9, 10)},
				Reminded: &workflow.Comment{Author: "clerk1", Name: "陈静", Text: "请抓紧办理，按期报送。", At: at(8, 7, 9, 10)},
				Reminds:  1,
				// What the statistics count, and the item's result: kept
				// inside the section's record, so no store changes its
				// schema for them.
				Submitted: at(8, 11, 16, 0),
				Returns:   1,
				Result: &workflow.Result{Outcome: workflow.OutcomePlanned, Text: "2026年底前建成全区妇女儿童之家网络。",
					By: "fuer-head", Name: "刘洋", Dept: "区妇儿工委办", At: at(8, 11, 15, 50)},
			},
			{
				ID: "s2", Item: "1.1", Level: 2, Lead: "区妇儿工委办", Co: []string{"区公安分局", "区司法局", "区妇联"},
				Due: workflow.Day(2025, 11, 30), State: workflow.Accepted, Rev: 3,
				Current: workflow.Version{N: 1, Seq: 1, Heading: "发挥议事协调机构作用", Hash: h("body2"), Sum: h("s2 v1"), Author: "fuer1", Name: "王芳", At: at(8, 5, 14, 0)},
				Extension: &workflow.Extension{State: workflow.ExtensionGranted, From: workflow.Day(2025, 10, 31), Until: workflow.Day(2025, 11, 30),
					Reason: "需会同区公安分局核对数据。", By: "fuer-head", Name: "刘洋", At: at(8, 2, 10, 0),
					DecidedBy: "clerk1", Decider: "陈静", Decided: at(8, 3, 9, 0), Note: "同意。"},
			},
			{
				ID: "s3", Item: "2.1", Level: 1, Lead: "区卫健委",
				Due: workflow.Day(2025, 11, 30), State: workflow.Accepted, Rev: 2,
				Current: workflow.Version{N: 1, Seq: 1, Heading: "聚焦重点领域", Hash: h("body3"), Sum: h("s3 v1"), Author: "weijian1", Name: "赵敏", At: at(8, 9, 17, 30)},
			},
		},
	}
	var evs []workflow.Event
	add := func(stream, action string, when time.Time, fill func(e *workflow.Event)) {
		e := record(c, stream, action, when)
		if fill != nil {
			fill(&e)
		}
		evs = append(evs, e)
	}
	add("", "intake", at(7, 1, 9, 30), nil)
	add("s1", "save-section", at(8, 4, 10, 0), func(e *workflow.Event) {
		e.Version = &workflow.Version{N: 1, Seq: 1, Heading: "完善工作机制", Hash: h("body1 draft"), Sum: h("s1 v1"), Author: "fuer1", Name: "王芳", At: at(8, 4, 10, 0)}
	})
	v := c.Sections[0].Current
	add("s1", "save-section", v.At, func(e *workflow.Event) { e.Version = &v })
	in := workflow.Input{Dept: "区人社局", Author: "renshe1", Name: "李强", Hash: h("就业性别歧视监察情况"), At: at(8, 6, 11, 45)}
	add("s1", "input", in.At, func(e *workflow.Event) { e.Input = &in })
	res := *c.Sections[0].Result
	add("s1", "set-result", res.At, func(e *workflow.Event) { e.Result = &res })
	v2 := c.Sections[1].Current
	add("s2", "save-section", v2.At, func(e *workflow.Event) { e.Version = &v2 })
	v3 := c.Sections[2].Current
	add("s3", "save-section", v3.At, func(e *workflow.Event) { e.Version = &v3 })
	for i := 2; i <= 4; i++ {
		add("", "step", at(9, 1, 10, i), nil)
	}
	rv := c.Report.Current
	add("", "save-report", rv.At, func(e *workflow.Event) { e.Version = &rv })
	for _, a := range c.Chain[1].Approvals {
		a := a
		add("", "approve", a.At, func(e *workflow.Event) { e.Approval = &a })
	}
	add("", "publish", c.Publication.At, nil)
	return c, evs
}

// record numbers and chains one audit event onto its stream's head in c,
// as workflow.Service does before it commits, and returns it. The store
// treats events as opaque records, so the hash here only has to be unique.
func record(c *workflow.Case, stream, action string, at time.Time) workflow.Event {
	head := &c.Head
	if stream != "" {
		sec, ok := c.Section(stream)
		if !ok {
			panic("record: no section " + stream)
		}
		head = &sec.Head
	}
	head.Seq++
	e := workflow.Event{
		Case: c.ID, Stream: stream, Seq: head.Seq, At: at,
		Actor: "clerk1", Name: "陈静", Action: action,
		Detail: fmt.Sprintf("%s：%s 第 %d 条审计记录", action, c.Opinion.Number, head.Seq),
		Sum:    c.Source.Hash, Prev: head.Hash, Form: workflow.FormFull,
	}
	e.Hash = workflow.Hash(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%s\x00%s", e.Case, e.Stream, e.Seq, e.Action, e.Prev))
	head.Hash = e.Hash
	return e
}

// approvedCase returns NewCase as it stands just before publication: signed
// off, with no number yet.
func approvedCase(id string) (*workflow.Case, []workflow.Event) {
	c, evs := NewCase(id)
	c.Stage = workflow.Approved
	c.Publication = nil
	return c, evs[:len(evs)-1]
}

// opts compare what a store gives back with what it was given: times by
// instant (a store may give back another *time.Location), nil and empty
// slices and maps alike (JSON with omitempty cannot tell them apart).
var opts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// checkCase reports how got differs from want.
func checkCase(t testing.TB, what string, got, want *workflow.Case) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil case", what)
		return
	}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("%s differs from what was written (-want +got):\n%s", what, d)
	}
}

// clone returns a deep copy of v, so that a test can keep what it passed to
// a store before changing it.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}
