package demo

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// PlanEntry is one line of an assignment plan: an opinion item by its
// labels ("二（三）"), its lead department and co-handlers.
type PlanEntry struct {
	Line   int
	Labels []string // "二", "（三）"
	Lead   string
	Co     []string
}

var planLine = regexp.MustCompile(`^(\S+)\s+(\S+)\s*(?:[（(]([^）)]*)[）)])?\s*$`)

// ParsePlan reads a plan: one item a line, "label lead (co, co)"; # starts a comment.
func ParsePlan(text string) ([]PlanEntry, error) {
	var out []PlanEntry
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := planLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d: want `item lead (co, co)`, got %q", i+1, line)
		}
		e := PlanEntry{Line: i + 1, Labels: splitLabels(m[1]), Lead: m[2]}
		for _, co := range strings.FieldsFunc(m[3], func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			e.Co = append(e.Co, strings.TrimSpace(co))
		}
		out = append(out, e)
	}
	return out, nil
}

// labelRE is one outline label: 一 一、 （一） 1. 1、 （1）.
var labelRE = regexp.MustCompile(`[一二三四五六七八九十]+、?|[（(][一二三四五六七八九十]+[）)]|[0-9]+[.．、]?|[（(][0-9]+[）)]`)

// splitLabels splits "一（一）1." into "一", "（一）", "1.".
func splitLabels(s string) []string {
	return labelRE.FindAllString(s, -1)
}

// ItemID finds the opinion item the entry names.
func (e PlanEntry) ItemID(items []workflow.Item) (string, error) {
	parent := ""
	for _, l := range e.Labels {
		found := ""
		for _, it := range items {
			if parentOf(it.ID) == parent && bare(it.Label) == bare(l) {
				found = it.ID
				break
			}
		}
		if found == "" {
			return "", fmt.Errorf("assignments line %d: the opinion has no item %s", e.Line, strings.Join(e.Labels, ""))
		}
		parent = found
	}
	return parent, nil
}

func parentOf(id string) string {
	if i := strings.LastIndex(id, "."); i >= 0 {
		return id[:i]
	}
	return ""
}

func bare(label string) string {
	return strings.Trim(label, "、.．()（） ")
}

// Part is what a department writes for one section: a heading without its
// number, and body paragraphs.
type Part struct {
	Level   int
	Heading string
	Body    []string
}

var (
	level1 = regexp.MustCompile(`^[一二三四五六七八九十]+、`)
	level2 = regexp.MustCompile(`^（[一二三四五六七八九十]+）`)
	level3 = regexp.MustCompile(`^[0-9]+[.．]`)
)

// Sections splits the text of a final report (report.txt: one block a
// line) into the parts departments wrote, and the office's closing
// paragraph, which in such reports stands before 特此报告。 and belongs to
// no section (the clerk writes it: PUT /api/cases/{id}/frame). Level-2 and
// level-3 headings run in when they end in 。: the heading is the text up
// to the first 。.
func Sections(report string) ([]Part, string, error) {
	lines := strings.Split(strings.TrimSpace(report), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasSuffix(strings.TrimSpace(l), "：") {
			start = i + 2 // the addressee, then the opening paragraph
			break
		}
	}
	end := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "特此报告。" {
			end = i
		}
	}
	if start < 0 || end < start {
		return nil, "", fmt.Errorf("no addressee line or no 特此报告。")
	}
	var parts []Part
	for _, l := range lines[start:end] {
		l = strings.TrimSpace(l)
		switch {
		case level1.MatchString(l):
			parts = append(parts, Part{Level: 1, Heading: level1.ReplaceAllString(l, "")})
		case level2.MatchString(l), level3.MatchString(l):
			level, re := 2, level2
			if level3.MatchString(l) {
				level, re = 3, level3
			}
			rest := re.ReplaceAllString(l, "")
			i := strings.Index(rest, "。")
			if i < 0 {
				parts = append(parts, Part{Level: level, Heading: rest})
				continue
			}
			i += len("。")
			parts = append(parts, Part{Level: level, Heading: rest[:i], Body: []string{rest[i:]}})
		case len(parts) == 0:
			return nil, "", fmt.Errorf("paragraph before the first heading: %.20s…", l)
		default:
			p := &parts[len(parts)-1]
			p.Body = append(p.Body, l)
		}
	}
	if len(parts) == 0 {
		return nil, "", fmt.Errorf("no numbered headings")
	}
	last := &parts[len(parts)-1]
	closing := ""
	if len(last.Body) > 1 {
		closing = last.Body[len(last.Body)-1]
		last.Body = last.Body[:len(last.Body)-1]
	}
	return parts, closing, nil
}
