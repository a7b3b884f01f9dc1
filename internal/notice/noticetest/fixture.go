package noticetest

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/docflow/docflow"
	"github.com/docflow/docflow/internal/workflow"
)

// Fixture builds the notice of the seed case from its report.txt, with a
// body written as departments write it: headings without numbers. It also
// returns report.txt's lines, what the published notice must read.
func Fixture(tb testing.TB) (*workflow.Notice, []string) {
	tb.Helper()
	b, err := fs.ReadFile(docflow.Fixtures, docflow.FixtureCase+"/report.txt")
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	d := workflow.Day(2025, 12, 22)
	// report.txt is the notice line by line: the 发文机关标志, the number,
	// the title, the addressee, the body, then the signature, its date,
	// the 印发机关 and the printing date. The names come from it, so that
	// no district is written in code.
	line := func(i int) string { return strings.TrimSpace(lines[(i+len(lines))%len(lines)]) }
	n := &workflow.Notice{
		Mark:      line(0),
		Number:    line(1),
		Title:     line(2),
		Addressee: strings.TrimSuffix(line(3), "："),
		Body:      ReportMarkdown(tb, lines[4:len(lines)-4]),
		Signer:    line(-4),
		Date:      d,
		Office:    line(-2),
		Printed:   d,
	}
	return n, lines
}

var (
	numbered1 = regexp.MustCompile(`^[一二三四五六七八九十]+、`)
	numbered2 = regexp.MustCompile(`^（[一二三四五六七八九十]+）`)
)

// ReportMarkdown turns the body lines of a finished report back into the
// Markdown a department writes: "一、X" becomes "# X", and "（一）X。Y"
// becomes "## X。" followed by the paragraph Y.
func ReportMarkdown(tb testing.TB, lines []string) string {
	tb.Helper()
	var b strings.Builder
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case numbered1.MatchString(l):
			b.WriteString("# " + numbered1.ReplaceAllString(l, ""))
		case numbered2.MatchString(l):
			head, para, ok := strings.Cut(numbered2.ReplaceAllString(l, ""), "。")
			if !ok {
				tb.Fatalf("level-2 line without 。: %s", l)
			}
			b.WriteString("## " + head + "。\n\n" + para)
		default:
			b.WriteString(l)
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// FirstDiff describes the first line where got and want differ, for a
// golden file's failure message.
func FirstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return "end"
}
