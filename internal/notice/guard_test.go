package notice

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// TestBoundKeepsOrdinaryBodies: the bodies of the seed case and of the
// goldens pass bound untouched, and so does the seed's repeated to the
// largest size a body may have.
func TestBoundKeepsOrdinaryBodies(t *testing.T) {
	n, _ := noticetest.Fixture(t)
	bodies := map[string]string{"seed": n.Body, "seed at MaxBody": fill(n.Body+"\n\n", workflow.MaxBody)}
	files, _ := filepath.Glob("testdata/*.md")
	for _, f := range files {
		bodies[f] = mustReadCase(t, f).Body
	}
	for name, md := range bodies {
		if got, aside := bound(md); got != md || aside != nil {
			t.Errorf("bound(%s, %d bytes) changed the body (%d parts set aside)", name, len(md), len(aside))
		}
	}
}

// TestBoundSetsAside: what would cost too much is printed as written, in
// a code block, and what follows it is Markdown again.
func TestBoundSetsAside(t *testing.T) {
	r := mustNew(t)
	heavy := fill("[a](", 64<<10)
	md := "# 开头\n\n段落。\n\n" + heavy + "\n\n## 其后。\n\n正文。\n"
	es, err := r.bodyElements(md)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	for _, e := range es {
		kinds = append(kinds, e.Kind)
	}
	if want := []Kind{KindHeading, KindParagraph, KindCode, KindParagraph}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v; want %v", kinds, want)
	}
	if got := es[2].Text(); got != heavy+"\n" {
		t.Errorf("set-aside text is %d bytes %.20q…; want the %d bytes as written", len(got), got, len(heavy)+1)
	}
	if got := es[3].Text(); got != "（一）其后。正文。" {
		t.Errorf("after the set-aside part: %q; want the numbering to go on", got)
	}
}

// TestBoundDepth: container markers past maxDepth on a line are dropped,
// the text kept at depth maxDepth.
func TestBoundDepth(t *testing.T) {
	for _, tc := range []struct{ md, want string }{
		{strings.Repeat("> ", maxDepth) + "x\n", strings.Repeat("> ", maxDepth) + "x\n"},
		{strings.Repeat("> ", maxDepth+3) + "x\n", strings.Repeat("> ", maxDepth) + "x\n"},
		{strings.Repeat("- ", maxDepth+1) + "x", strings.Repeat("- ", maxDepth) + "x"},
		{strings.Repeat("1. ", maxDepth+1) + "x\n", strings.Repeat("1. ", maxDepth) + "x\n"},
		{strings.Repeat(">", maxDepth+5) + "\n", strings.Repeat(">", maxDepth) + "\n"},
	} {
		if got, _ := bound(tc.md); got != tc.want {
			t.Errorf("bound(%.40q…) = %.80q…; want %.80q…", tc.md, got, tc.want)
		}
	}
}

// fill repeats s to at most n bytes.
func fill(s string, n int) string { return strings.Repeat(s, max(1, n/len(s))) }

// worstBodies are bodies of the largest allowed size built to make the
// Markdown parser (or the layout) work hardest: each construct that used
// to cost time growing with the square of its count, on one line, on many
// lines, in many blocks, nested, and pushed to the end of a long unit.
func worstBodies() map[string]string {
	const size = workflow.MaxBody
	atoms := []string{
		"[a](", "[", "]", "![", "[a]", "[a][", "[a](<", `[a](b "`, "[a](b (", "<a ", "<a href='", "<!--", "<?",
		"<http://a", "`", "`a", "*a", "_a", "a*b_", "*_", "**a", "***a", "~~a", "&amp;", "&#", `\*`, "|", "a",
		"# a", "- a", "1. a", "> a", "> - ", "---", "```", "<div>", "[a]: b", "- [a](b)", "> [a](b)",
	}
	out := map[string]string{}
	for _, a := range atoms {
		out[a+" (one line)"] = fill(a, size)
		out[a+" (lines)"] = fill(a+"\n", size)
		out[a+" (blocks)"] = fill(a+"\n\n", size)
		out[a+" (nested)"] = fill(strings.Repeat("> ", maxDepth)+a+"\n", size)
		// Few triggers at the start of one long unit: every scan reads it all.
		head := fill(a, 1024)
		out[a+" (long unit)"] = head + fill("x", size-len(head))
		out[a+" (long lines)"] = head + fill("x\n", size-len(head))
	}
	out["deep indent"] = func() string {
		var b strings.Builder
		for i := 0; b.Len() < size-400; i++ {
			b.WriteString(strings.Repeat(" ", i%400) + "- x\n")
		}
		return b.String()
	}()
	out["deep lazy"] = strings.Repeat("> ", maxDepth) + "a\n" + fill("b\n", size-2*maxDepth-2)
	out["nested brackets"] = strings.Repeat("[", size/10) + "甲" + strings.Repeat("](x)", size/10)
	out["nested emphasis"] = strings.Repeat("*", size/2-2) + "甲" + strings.Repeat("*", size/2-2)
	return out
}

// typicalBody is the seed case's body repeated to the largest allowed size.
func typicalBody(tb testing.TB) string {
	n, _ := noticetest.Fixture(tb)
	return fill(n.Body+"\n\n", workflow.MaxBody)
}

// fastest is the least time of runs of f: the one least disturbed by the
// rest of the machine.
func fastest(runs int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range runs {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// ratio times the typical body and md in turn, runs times each, and
// returns the ratio of their least times: taking turns, both meet the
// same load on a busy machine.
func ratio(runs int, typical, md func()) float64 {
	t, w := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range runs {
		t = min(t, fastest(1, typical))
		w = min(w, fastest(1, md))
	}
	return float64(w) / float64(t)
}

// TestWorstCaseRatio: no body of the allowed size takes more than a few
// times as long to lay out as a typical body of that size. The limit is
// a ratio, measured in one process, with room for a busy machine; the
// benchmark reports the figures.
func TestWorstCaseRatio(t *testing.T) {
	if testing.Short() {
		t.Skip("times some hundred bodies of 256 KiB")
	}
	r := mustNew(t)
	layout := func(md string) func() {
		return func() {
			if _, err := r.bodyElements(md); err != nil {
				t.Fatal(err)
			}
		}
	}
	typical := layout(typicalBody(t))
	limit := 20.0 // measured: 6 to 9 (BenchmarkWorstCase); a quadratic input was 3,000
	if raceEnabled {
		limit *= 3 // measured: up to 18
	}
	worst, worstName := 0.0, ""
	for name, md := range worstBodies() {
		x := ratio(2, typical, layout(md))
		if x > limit { // a busy moment, or a real excess: look longer
			x = ratio(10, typical, layout(md))
		}
		if x > worst {
			worst, worstName = x, name
		}
		if x > limit {
			t.Errorf("%s: %.1f× the typical body's time; want at most %.0f×", name, x, limit)
		}
	}
	t.Logf("bodies of %d bytes: the worst, %s, takes %.1f× the typical body's time", workflow.MaxBody, worstName, worst)
}

// BenchmarkWorstCase lays out the typical body of the largest size and
// the most expensive body of that size found among worstBodies, and
// reports their times and ratio.
func BenchmarkWorstCase(b *testing.B) {
	r := mustNew(b)
	layout := func(md string) func() {
		return func() {
			if _, err := r.bodyElements(md); err != nil {
				b.Fatal(err)
			}
		}
	}
	bodies := worstBodies()
	worst, worstName := time.Duration(0), ""
	for name, md := range bodies {
		if d := fastest(3, layout(md)); d > worst {
			worst, worstName = d, name
		}
	}
	typical := typicalBody(b)
	b.ResetTimer()
	var tt, wt time.Duration
	for b.Loop() {
		start := time.Now()
		layout(typical)()
		tt += time.Since(start)
		start = time.Now()
		layout(bodies[worstName])()
		wt += time.Since(start)
	}
	b.ReportMetric(float64(tt.Microseconds())/float64(b.N), "µs/typical")
	b.ReportMetric(float64(wt.Microseconds())/float64(b.N), "µs/worst")
	b.ReportMetric(float64(wt)/float64(tt), "worst/typical")
	b.Logf("worst body: %s", worstName)
}
