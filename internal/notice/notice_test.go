package notice

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html")

func mustNew(tb testing.TB) *Renderer {
	tb.Helper()
	r, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestGolden renders each testdata/<name>.md (front matter with the Notice
// fields, then the body) and compares the page with <name>.golden.html.
func TestGolden(t *testing.T) {
	r := mustNew(t)
	files, err := filepath.Glob("testdata/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.md: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".md")
		t.Run(name, func(t *testing.T) {
			n := mustReadCase(t, file)
			got, err := r.HTML(n)
			if err != nil {
				t.Fatalf("HTML(%s): %v", file, err)
			}
			checkGolden(t, name, got)
		})
	}
}

// TestUnsafeBody pins the security property the unsafe golden shows: raw
// HTML in the body is omitted, fields are escaped, no script reaches the page.
func TestUnsafeBody(t *testing.T) {
	page, err := mustNew(t).HTML(mustReadCase(t, "testdata/unsafe.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("<!-- raw HTML omitted -->")) {
		t.Error("page lacks <!-- raw HTML omitted -->")
	}
	if bad := activeContent(t, page); len(bad) > 0 {
		t.Errorf("page has active content: %q", bad)
	}
}

// activeContent is noticetest.ActiveContent, failing the test on an
// unparsable page.
func activeContent(tb testing.TB, page []byte) []string {
	tb.Helper()
	bad, err := noticetest.ActiveContent(page)
	if err != nil {
		tb.Fatal(err)
	}
	return bad
}

// TestHostileLinks: a link whose target could run code loses its target
// however it is written; safe targets keep theirs, decoded once.
func TestHostileLinks(t *testing.T) {
	r := mustNew(t)
	for _, tc := range []struct {
		md   string
		href string // "": no link
	}{
		{"[x](javascript:alert(1))", ""},
		{"[x](jav&#x61;script:alert(1))", ""},
		{"[x](jav&#97;script:alert(1))", ""},
		{"[x](&#106;avascript:alert(1))", ""},
		{"[x](JaVaScRiPt:alert(1))", ""},
		{"[x](java&Tab;script:alert(1))", ""},
		{"[x](java&NewLine;script:alert(1))", ""},
		{"[x](&#x0A;javascript:alert(1))", ""},
		{"[x](<\x01javascript:alert(1)>)", ""},
		{"[x](<java\tscript:alert(1)>)", ""},
		{"[x](java\\script:alert(1))", "java%5Cscript:alert(1)"}, // a backslash is no scheme character: a relative path
		{"[x](%6Aavascript:alert(1))", ""},
		{"[x](javascript%3Aalert(1))", ""},
		{"[x](vbscript:msgbox)", ""},
		{"[x](data:text/html;base64,PHNjcmlwdD4=)", ""},
		{"[x](DATA:image/svg+xml,<svg/onload=alert(1)>)", ""},
		{"[x](data:image/png;base64,AAAA)", ""},
		{"[x](file:///etc/passwd)", ""},
		{"[x](jav&amp;#x61;script:alert(1))", "jav&amp;#x61;script:alert(1)"}, // decoded once: a relative path, not a scheme
		{"<javascript:alert(1)>", ""},
		{"[x]\n\n[x]: javascript:alert(1)", ""},
		{"[x][r]\n\n[r]: jav&#x61;script:alert(1)", ""},
		{"![x](javascript:alert(1))", ""},
		{"[x](http://example.gov.cn/a?b=1&amp;c=2)", "http://example.gov.cn/a?b=1&amp;c=2"},
		{"[x](HTTPS://example.gov.cn)", "HTTPS://example.gov.cn"},
		{"[x](mailto:office@example.gov.cn)", "mailto:office@example.gov.cn"},
		{"[x](/notices/1/notice.pdf)", "/notices/1/notice.pdf"},
		{"[x](#part2)", "#part2"},
		{"[x](附件.pdf)", "%E9%99%84%E4%BB%B6.pdf"},
		{"<https://example.gov.cn>", "https://example.gov.cn"},
	} {
		md := strings.ReplaceAll(tc.md, "\\n", "\n")
		h, err := r.Body(md)
		if err != nil {
			t.Fatal(err)
		}
		if bad := activeContent(t, []byte(h)); len(bad) > 0 {
			t.Errorf("Body(%q) = %s: active content %q", md, h, bad)
		}
		var href string
		if _, after, ok := strings.Cut(h, `href="`); ok {
			href, _, _ = strings.Cut(after, `"`)
		}
		if href != tc.href {
			t.Errorf("Body(%q) = %s; want href %q", md, h, tc.href)
		}
	}
}

// TestLinkLabelKept: a link's text stays inside the link, after text in
// the same font (it used to merge into the text before it).
func TestLinkLabelKept(t *testing.T) {
	h, err := mustNew(t).Body("前文[链接](http://example.gov.cn)后文")
	if err != nil {
		t.Fatal(err)
	}
	if want := `<p>前文<a href="http://example.gov.cn">链接</a>后文</p>` + "\n"; h != want {
		t.Errorf("Body = %q; want %q", h, want)
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v; run `go test ./internal/notice -update` to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("render(%s.md) differs from %s at %s; run `go test ./internal/notice -update` and review the diff",
			name, golden, noticetest.FirstDiff(got, want))
	}
}

// mustReadCase reads a test notice with ReadFile, the reader of
// `docflow render`, so the goldens exercise it too.
func mustReadCase(tb testing.TB, file string) *workflow.Notice {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	n, _, err := ReadFile(b)
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return n
}

// TestFixture is the acceptance check: the published page of the seed case
// reads, block by block, exactly as report.txt.
func TestFixture(t *testing.T) {
	n, lines := noticetest.Fixture(t)
	page, err := mustNew(t).HTML(n)
	if err != nil {
		t.Fatal(err)
	}
	got, err := noticetest.Blocks(page)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range lines {
		want = append(want, noticetest.Collapse(l))
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("block %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
	checkGolden(t, "jingan-2025-17", page)
}

func TestRender(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	out, err := r.Render(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := r.HTML(n)
	if len(out) != 1 || out[0].Name != "notice.html" || out[0].ContentType != "text/html; charset=utf-8" || !bytes.Equal(out[0].Data, page) {
		t.Errorf("Render = %d files, first %q %q; want only notice.html text/html; charset=utf-8 with the HTML page (no formats: no PDF, no .docx)", len(out), out[0].Name, out[0].ContentType)
	}
	again, _ := r.Render(context.Background(), n)
	if !bytes.Equal(again[0].Data, out[0].Data) {
		t.Error("Render is not deterministic; a retried publication would conflict")
	}
}

func TestRenderRefusesIncomplete(t *testing.T) {
	r := mustNew(t)
	for _, tc := range []struct {
		name   string
		change func(*workflow.Notice)
		want   string
	}{
		{"NoNumber", func(n *workflow.Notice) { n.Number = "" }, "发文字号"},
		{"NoDate", func(n *workflow.Notice) { n.Date = time.Time{} }, "成文日期"},
		{"NoMarkNoTitle", func(n *workflow.Notice) { n.Mark, n.Title = " ", "" }, "发文机关标志、标题"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := noticetest.Fixture(t)
			tc.change(n)
			_, err := r.Render(context.Background(), n)
			if workflow.KindOf(err) != workflow.Invalid || !strings.Contains(workflow.Message(err), tc.want) {
				t.Errorf("Render = %v (kind %v); want Invalid naming %s", err, workflow.KindOf(err), tc.want)
			}
		})
	}
	t.Run("Canceled", func(t *testing.T) {
		n, _ := noticetest.Fixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.Render(ctx, n); !errors.Is(err, context.Canceled) {
			t.Errorf("Render(canceled) = %v; want context.Canceled", err)
		}
	})
}

func TestPageParts(t *testing.T) {
	r := mustNew(t)
	n, _ := noticetest.Fixture(t)
	page, _ := r.HTML(n)
	s := string(page)
	for _, want := range []string{
		`<html lang="zh-CN">`,
		`<title>静府议〔2025〕17号 上海市静安区人民政府关于`,
		`<meta name="docflow:font-substitution" content="方正小标宋 → FandolSong-Bold">`,
		`@page`, `size: A4`, `margin: 37mm 26mm 35mm 28mm`,
		`"FandolFang", "FangSong", "仿宋", "STFangsong", serif`,
		`"FandolHei", "SimHei", "黑体"`,
		`"FandolKai", "KaiTi", "楷体"`,
		`"FZXiaoBiaoSong-B05S", "方正小标宋简体", "FandolSong-Bold"`,
		`<hr class="red-rule">`,
		`<p class="mark" style="--mark-size: 36.8">上海市静安区人民政府文件</p>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(s, `class="cc"`) {
		t.Error("page has a 抄送 line although the notice has no CC")
	}
}

func TestPreviewOmitsNumberAndDates(t *testing.T) {
	page, err := mustNew(t).HTML(mustReadCase(t, "testdata/preview.md"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := noticetest.Blocks(page)
	want := []string{
		"上海市静安区人民政府文件",
		"上海市静安区人民政府关于某项工作情况的报告（送审稿）",
		"区人大常委会：", // a colon typed by the clerk is not doubled
		"一、工作情况",
		"（一）已完成事项。各项工作已按期完成。",
		"上海市静安区人民政府",
		"上海市静安区人民政府办公室",
	}
	if !slices.Equal(got, want) {
		t.Errorf("noticetest.Blocks(preview) =\n%q\nwant\n%q", got, want)
	}
}

func TestMarkSize(t *testing.T) {
	for _, tc := range []struct {
		mark string
		want float64
	}{
		{"", 42},
		{"区政府文件", 42},
		{"上海市静安区人民政府文件", 36.8},
		{"中共上海市静安区委员会上海市静安区人民政府文件", 19.2},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ文件", 29.4}, // 13 + 2 ems
	} {
		if got := MarkSize(tc.mark); got != tc.want {
			t.Errorf("MarkSize(%q) = %v; want %v", tc.mark, got, tc.want)
		}
	}
}
