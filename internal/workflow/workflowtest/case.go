package workflowtest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// NewCase returns a fully populated case, as the 静会〔2025〕57号 opinion
// stands once its report is signed and published: sections with versions,
// co-handlers' inputs and comments, a compiled report, a sign-off chain with
// approvals, and a publication with files. Times carry nanoseconds and two
// zones, so a store that truncates or reorders them shows. It has no events
// yet (Events 0); add them as workflow.Service would, with its number.
// Every call returns a new, identical case.
func NewCase(id string) *workflow.Case {
	at := func(month time.Month, day, hour, minute int) time.Time {
		// Nanoseconds differ per call site, so that a store keeping only
		// milliseconds or microseconds fails the round trip.
		return time.Date(2025, month, day, hour, minute, 7, 100_000_000+day*1_000_000+hour*1000+minute, workflow.Zone)
	}
	h := func(s string) string { return workflow.Hash([]byte(s)) }
	sum := func(heading, addressee, body string) string {
		return h(heading + "\x00" + addressee + "\x00" + h(body))
	}

	const (
		issuer = "上海市静安区人民代表大会常务委员会"
		title  = "关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见"
		report = "上海市静安区人民政府关于区第二届人大常委会第三十六次会议《关于检查本区贯彻实施〈上海市妇女权益保障条例〉情况的审议意见》办理情况的报告"
		body1  = "区政府高度重视审议意见的办理工作，坚持问题导向，健全工作机制。"
		body2  = "发挥区妇儿工委议事协调作用，建立部门联动和信息共享机制。"
		body3  = "完善覆盖全生命周期的妇女健康服务，“两病筛查”覆盖面进一步扩大。"
		final  = "# 完善工作机制\n\n" + body1 + "\n\n## 发挥议事协调机构作用\n\n" + body2 + "\n\n特此报告。\n"
	)
	draft := final + "（征求意见稿）\n"
	reportSum := sum(report, "区人大常委会", final)

	return &workflow.Case{
		ID:    id,
		Stage: workflow.Published,
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
		Source:  workflow.Source{Name: "静会〔2025〕57号.txt", Hash: h("opinion"), Size: 4711, Key: "inbox/静会〔2025〕57号.txt"},
		Created: at(7, 1, 9, 30),
		Updated: at(12, 22, 16, 5).UTC(),
		Sections: []workflow.Section{
			{
				ID: "s1", Item: "1", Level: 1, Lead: "区妇儿工委办", Co: []string{"区人社局", "区卫健委"},
				Due: workflow.Day(2025, 11, 30), State: workflow.Accepted, Rev: 5,
				Versions: []workflow.Version{
					{N: 1, Heading: "完善工作机制", Hash: h(body1 + "草稿"), Sum: sum("完善工作机制", "", body1+"草稿"), Author: "fuer1", Name: "王芳", At: at(8, 4, 10, 0)},
					{N: 2, Heading: "完善工作机制", Hash: h(body1), Sum: sum("完善工作机制", "", body1), Author: "fuer1", Name: "王芳", At: at(8, 11, 15, 20), Note: "按区府办意见补充数据"},
				},
				Inputs: []workflow.Input{
					{Dept: "区人社局", Author: "renshe1", Name: "李强", Hash: h("就业性别歧视监察情况"), At: at(8, 6, 11, 45)},
				},
				Comments: []workflow.Comment{
					{Author: "clerk1", Name: "陈静", Text: "请补充2025年上半年的统计数据。", At: at(8, 8, 9, 10)},
				},
			},
			{
				ID: "s2", Item: "1.1", Level: 2, Lead: "区妇儿工委办", Co: []string{"区公安分局", "区司法局", "区妇联"},
				Due: workflow.Day(2025, 11, 30), State: workflow.Accepted, Rev: 3,
				Versions: []workflow.Version{
					{N: 1, Heading: "发挥议事协调机构作用", Hash: h(body2), Sum: sum("发挥议事协调机构作用", "", body2), Author: "fuer1", Name: "王芳", At: at(8, 5, 14, 0)},
				},
			},
			{
				ID: "s3", Item: "2.1", Level: 1, Lead: "区卫健委",
				Due: workflow.Day(2025, 11, 30), State: workflow.Accepted, Rev: 2,
				Versions: []workflow.Version{
					{N: 1, Heading: "聚焦重点领域", Hash: h(body3), Sum: sum("聚焦重点领域", "", body3), Author: "weijian1", Name: "赵敏", At: at(8, 9, 17, 30)},
				},
			},
		},
		Report: &workflow.Report{
			Rev: 2,
			Versions: []workflow.Version{
				{N: 1, Heading: report, Addressee: "区人大常委会", Hash: h(draft), Sum: sum(report, "区人大常委会", draft), Author: "clerk1", Name: "陈静", At: at(9, 1, 10, 0), Note: "汇总生成"},
				{N: 2, Heading: report, Addressee: "区人大常委会", Hash: h(final), Sum: reportSum, Author: "clerk1", Name: "陈静", At: at(9, 3, 11, 0), Note: "删去征求意见稿字样"},
			},
		},
		Chain: []workflow.Step{
			{Name: "核稿", Signers: []string{"office1"}, Approvals: []workflow.Approval{
				{User: "office1", Name: "周敏", Title: "区府办副主任", Sum: sum(report, "区人大常委会", draft), Opinion: "同意", At: at(9, 2, 9, 0)},
				{User: "office1", Name: "周敏", Title: "区府办副主任", Sum: reportSum, Opinion: "同意", At: at(9, 4, 9, 0)},
			}},
			{Name: "会签", Signers: []string{"fuer-head", "weijian-head"}, Approvals: []workflow.Approval{
				{User: "weijian-head", Name: "孙伟", Title: "区卫健委主任", Sum: reportSum, Opinion: "同意。", At: at(9, 5, 10, 0)},
				{User: "fuer-head", Name: "刘洋", Title: "区妇儿工委办主任", Sum: reportSum, Opinion: "同意，请按程序报签。", At: at(9, 5, 11, 0)},
			}},
			{Name: "审核", Signers: []string{"deputy"}, Approvals: []workflow.Approval{
				{User: "deputy", Name: "吴刚", Title: "副区长", Sum: reportSum, Opinion: "同意", At: at(9, 8, 15, 0)},
			}},
			{Name: "签发", Signers: []string{"head"}, Approvals: []workflow.Approval{
				{User: "head", Name: "郑华", Title: "区长", Sum: reportSum, Opinion: "同意印发", At: at(9, 10, 16, 0)},
			}},
		},
		Returns: []workflow.Comment{
			{Author: "office1", Name: "周敏", Step: "核稿", Text: "“十五五”规划的表述请与发改委核对。", At: at(9, 2, 8, 30)},
		},
		Publication: &workflow.Publication{
			Series: "静府议", Year: 2025, Seq: 17, Date: workflow.Day(2025, 12, 22), Sum: reportSum,
			Files: []workflow.File{
				{Name: "notice.html", Key: "published/" + id + "/notice.html", ContentType: "text/html; charset=utf-8", Hash: h("html"), Size: 20480},
				{Name: "notice.pdf", Key: "published/" + id + "/notice.pdf", ContentType: "application/pdf", Hash: h("pdf"), Size: 183211},
			},
			At: at(12, 22, 16, 5),
			By: "clerk1",
		},
	}
}

// approvedCase returns NewCase as it stands just before publication: signed
// off, with the series and year chosen but no number, date of issue set.
func approvedCase(id, series string, year int) *workflow.Case {
	c := NewCase(id)
	c.Stage = workflow.Approved
	c.Publication = &workflow.Publication{Series: series, Year: year, Date: workflow.Day(year, 12, 22),
		Sum: c.Report.Current().Sum, By: "clerk1"}
	return c
}

// record numbers and chains one audit event per action onto c, as
// workflow.Service does before it saves, and returns them. The store
// treats events as opaque records, so the hash here only has to be unique.
func record(c *workflow.Case, at time.Time, actions ...string) []workflow.Event {
	evs := make([]workflow.Event, len(actions))
	for i, a := range actions {
		c.Events++
		e := workflow.Event{
			Case: c.ID, Seq: c.Events, At: at.Add(time.Duration(i) * time.Nanosecond),
			Actor: "clerk1", Name: "陈静", Action: a, Target: "report",
			Detail: fmt.Sprintf("%s：%s 第 %d 条审计记录", a, c.Opinion.Number, c.Events),
			Sum:    c.Source.Hash, Prev: c.LastEvent,
		}
		e.Hash = workflow.Hash(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s", e.Case, e.Seq, e.Action, e.Prev))
		c.LastEvent = e.Hash
		evs[i] = e
	}
	return evs
}

var timeType = reflect.TypeFor[time.Time]()

// diff returns the differences between got and want, one line each, at most
// a screenful. Times compare with time.Equal: a store may give back another
// *time.Location for the same instant. Nil and empty slices compare equal,
// since JSON with omitempty and DynamoDB cannot tell them apart.
func diff(got, want any) []string {
	var out []string
	diffValue(&out, "", reflect.ValueOf(got), reflect.ValueOf(want))
	return out
}

func diffValue(out *[]string, path string, got, want reflect.Value) {
	const max = 20
	if len(*out) >= max {
		return
	}
	add := func(format string, args ...any) {
		if len(*out) == max-1 {
			*out = append(*out, "…")
			return
		}
		*out = append(*out, fmt.Sprintf("%s: ", path)+fmt.Sprintf(format, args...))
	}
	if got.Type() == timeType {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			add("%s, want %s", g.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano))
		}
		return
	}
	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				add("nil is %t, want %t", got.IsNil(), want.IsNil())
			}
			return
		}
		diffValue(out, path, got.Elem(), want.Elem())
	case reflect.Struct:
		for i := range got.NumField() {
			if f := got.Type().Field(i); f.IsExported() {
				diffValue(out, path+"."+f.Name, got.Field(i), want.Field(i))
			}
		}
	case reflect.Slice:
		if got.Len() != want.Len() {
			add("len %d, want %d", got.Len(), want.Len())
			return
		}
		for i := range got.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}
	default:
		if !got.Equal(want) {
			add("%s, want %s", short(got), short(want))
		}
	}
}

// short formats v for a diff line, cutting long texts.
func short(v reflect.Value) string {
	s := fmt.Sprintf("%#v", v.Interface())
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:60]) + "…"
	}
	return s
}

// clone returns a deep copy of v, so that a test can keep what it passed to
// a store before changing it.
func clone[T any](v T) T {
	var out T
	cloneValue(reflect.ValueOf(&out).Elem(), reflect.ValueOf(v))
	return out
}

func cloneValue(dst, src reflect.Value) {
	switch {
	case src.Type() == timeType:
		dst.Set(src)
	case src.Kind() == reflect.Pointer:
		if !src.IsNil() {
			dst.Set(reflect.New(src.Type().Elem()))
			cloneValue(dst.Elem(), src.Elem())
		}
	case src.Kind() == reflect.Struct:
		for i := range src.NumField() {
			cloneValue(dst.Field(i), src.Field(i))
		}
	case src.Kind() == reflect.Slice:
		if !src.IsNil() {
			dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
			for i := range src.Len() {
				cloneValue(dst.Index(i), src.Index(i))
			}
		}
	default:
		dst.Set(src)
	}
}

// checkCase reports how got differs from want.
func checkCase(t testing.TB, what string, got, want *workflow.Case) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil case", what)
		return
	}
	if d := diff(got, want); len(d) > 0 {
		t.Errorf("%s differs from what was saved:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}
