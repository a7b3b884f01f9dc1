package docxmd

import (
	"testing"

	"github.com/docflow/docflow/internal/notice"
	docxw "github.com/docflow/docflow/internal/notice/docx"
)

// TestRoundTrip: a section downloaded as .docx (docflow's own writer,
// notice/docx) and imported again is the same section, at every level.
func TestRoundTrip(t *testing.T) {
	rd, err := notice.New(notice.WithFormats(docxw.Format))
	if err != nil {
		t.Fatal(err)
	}
	body := wantBody + "\n\n- 甲\n- 乙\n\n| 项目 | 金额 |\n| --- | --- |\n| 甲 | **1** |"
	for _, tc := range []struct {
		label string
		level int
		body  string
	}{
		{"一、", 1, body},
		{"（二）", 2, "正文。\n\n# 小标题。\n\n说明 *斜体* 与 \\*星号\\*。\n\n## 更小的标题"},
		{"3.", 3, "# 最低一级的标题。\n\n正文。"},
		{"（4）", 4, "只有正文。"},
	} {
		f, err := rd.PartFile(tc.label, tc.level, wantHeading, tc.body, docxw.FileName)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Read(f.Data, Options{Level: tc.level})
		if err != nil {
			t.Fatalf("level %d: %v", tc.level, err)
		}
		if got.Heading != wantHeading || got.Body != tc.body {
			t.Errorf("level %d: heading %q, body:\n%s\n--- want ---\n%s", tc.level, got.Heading, got.Body, tc.body)
		}
	}
}
