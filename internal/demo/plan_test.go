package demo

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

func TestParsePlan(t *testing.T) {
	plan, err := ParsePlan("# comment\n一      区妇儿工委办     (区人社局, 区卫健委)\n一（一） 区妇儿工委办\n\n二（三） 区司法局 （区公安分局，区法院）\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 || plan[0].Lead != "区妇儿工委办" || !slices.Equal(plan[0].Co, []string{"区人社局", "区卫健委"}) ||
		!slices.Equal(plan[1].Labels, []string{"一", "（一）"}) || !slices.Equal(plan[2].Co, []string{"区公安分局", "区法院"}) {
		t.Errorf("ParsePlan = %+v", plan)
	}
	items := []workflow.Item{{ID: "1", Label: "一、"}, {ID: "1.1", Label: "（一）"}, {ID: "2", Label: "二、"}, {ID: "2.1", Label: "（一）"}}
	if id, err := plan[1].ItemID(items); err != nil || id != "1.1" {
		t.Errorf("ItemID(一（一）) = %q, %v; want 1.1", id, err)
	}
	if _, err := plan[2].ItemID(items); err == nil || !strings.Contains(err.Error(), "二（三）") {
		t.Errorf("ItemID of a missing item: %v; want an error naming it", err)
	}
	if _, err := ParsePlan("一\n"); err == nil {
		t.Error("a line without a lead department was accepted")
	}
}

func TestSectionsOfTheFixture(t *testing.T) {
	b, err := os.ReadFile("../../testdata/jingan-2025-17/report.txt")
	if err != nil {
		t.Fatal(err)
	}
	parts, closing, err := Sections(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 13 {
		t.Fatalf("%d parts; want 13 (3 items with 3, 4 and 3 sub-items)", len(parts))
	}
	if p := parts[1]; p.Level != 2 || p.Heading != "强化统筹协调，凝聚保障合力。" || !strings.HasPrefix(p.Body[0], "充分发挥") {
		t.Errorf("part 2 = %+v", p)
	}
	if !strings.HasPrefix(closing, "区政府将在区委的坚强领导下") {
		t.Errorf("closing = %q", closing)
	}
	if _, _, err := Sections("no addressee here"); err == nil {
		t.Error("text without an addressee line accepted")
	}
}

// TestThirdLevel: a plan and a report with 1. under （一） under 一、 — the
// second office's fixture — are read level by level.
func TestThirdLevel(t *testing.T) {
	plan, err := ParsePlan("一（一）1.   区规划资源局     (区卫健委)\n一（一）2、 区卫健委\n")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan[0].Labels, []string{"一", "（一）", "1."}) || !slices.Equal(plan[1].Labels, []string{"一", "（一）", "2、"}) {
		t.Fatalf("labels %q and %q; want 一 （一） 1. and 一 （一） 2、", plan[0].Labels, plan[1].Labels)
	}
	items := []workflow.Item{{ID: "1", Label: "一、"}, {ID: "1.1", Label: "（一）"}, {ID: "1.1.1", Label: "1."}, {ID: "1.1.2", Label: "2."}, {ID: "2", Label: "二、"}, {ID: "2.1", Label: "1."}}
	for i, want := range []string{"1.1.1", "1.1.2"} {
		if id, err := plan[i].ItemID(items); err != nil || id != want {
			t.Errorf("ItemID(%s) = %q, %v; want %s", strings.Join(plan[i].Labels, ""), id, err, want)
		}
	}
	b, err := os.ReadFile("../../testdata/linjiang-2026-9/report.txt")
	if err != nil {
		t.Fatal(err)
	}
	parts, closing, err := Sections(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var levels []int
	for _, p := range parts {
		levels = append(levels, p.Level)
	}
	if !slices.Equal(levels, []int{1, 2, 3, 3, 2, 1, 2, 1}) {
		t.Errorf("levels %v; want 1 2 3 3 2 1 2 1", levels)
	}
	if p := parts[2]; p.Heading != "新建居住区同步配建社区卫生服务站。" || !strings.HasPrefix(p.Body[0], "修订居住区") {
		t.Errorf("the first level-3 part = %+v; want its run-in heading and body", p)
	}
	if !strings.HasPrefix(closing, "下一步，区政府将") {
		t.Errorf("closing = %q", closing)
	}
}
