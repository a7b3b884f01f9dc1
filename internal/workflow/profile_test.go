package workflow

import "testing"

func TestProfileOpening(t *testing.T) {
	p := Profile{Org: "某市某区人民政府", OrgShort: "区政府", Mark: "某区人民政府文件", Series: "某府议", Office: "某区人民政府办公室",
		Closing: "特此报告。", Departments: []string{"区民政局"}, DefaultDue: 6, Chain: []StepPlan{{Name: "签发", Signers: []string{"head-of-district"}}},
		Opening: "根据《{{.Title}}》（{{.Number}}），{{.OrgShort}}认真研究。"}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	got, _ := p.opening(&Opinion{Title: "关于《某条例》执行情况的审议意见", Number: "某会〔2026〕3号"})
	if want := "根据《关于〈某条例〉执行情况的审议意见》（某会〔2026〕3号），区政府认真研究。"; got != want {
		t.Errorf("opening = %q; want %q", got, want)
	}
	// What an office might mistype: a field that does not exist, or template syntax.
	for _, bad := range []string{"根据{{.Titel}}", "{{if .Title}}x{{end}}", "{{ .Title }}"} {
		p.Opening = bad
		if KindOf(p.Validate()) != Invalid {
			t.Errorf("Validate(opening %q) = nil; want Invalid", bad)
		}
	}
}

func TestFoldSearch(t *testing.T) {
	tests := []struct{ q, want string }{
		{"静府议〔2025〕17号", "静府议〔2025〕17号"},
		{"静府议[2025]17", "静府议〔2025〕17"},
		{"静府议（2025）17号", "静府议〔2025〕17号"},
		{"  2025   落实情况 ", "2025 落实情况"},
		{"（一）", "（一）"},
	}
	for _, tt := range tests {
		if got := FoldSearch(tt.q); got != tt.want {
			t.Errorf("FoldSearch(%q) = %q; want %q", tt.q, got, tt.want)
		}
	}
}
