package workflow

import (
	"fmt"
	"strings"
	"time"
)

// Notice is everything printed on the final document, resolved from the
// profile and the case. Body is Markdown: # 一、 ## （一） ### 1. #### （1），
// numbered by the renderer; a heading that ends in 。 runs into the next
// paragraph.
type Notice struct {
	Mark      string    // 发文机关标志
	Number    string    // 发文字号
	Title     string    // 标题
	Addressee string    // 主送机关
	Body      string    // 正文, Markdown
	Signer    string    // 署名
	Date      time.Time // 成文日期
	CC        []string  // 抄送
	Office    string    // 印发机关
	Printed   time.Time // 印发日期
	Seal      []byte    // the office's seal (PNG), pressed on 署名 and 成文日期; nil for none
	Note      string    // 附注 (e.g. 此件依申请公开), without its （）; "" for none
	// Attachments are the titles of the notice's 附件 (the report's
	// attachments' names without their extensions), in order: the
	// 附件说明, which the renderer numbers.
	Attachments []string

	// Letter, when set, asks for 信函格式 (GB/T 9704-2012 clause 10.1):
	// the 答复函 that answers a 代表建议 or 政协提案. Mark is then the
	// letter's 发文机关标志 (the answering department's name, without 文件),
	// Addressee the deputy or member (王某某代表), Signer the department.
	Letter *Letter
}

// Letter is what a 答复函 prints beyond a report's parts.
type Letter struct {
	Result  string // the 办理结果 category as printed, e.g. A; "" for none
	Contact string // 联系人
	Phone   string // 联系电话
}

// compile assembles the report body from the sections, in outline order:
// the opening (the clerk's, or the office's citing the opinion), each
// section's heading at its level with its body (headings inside a body are
// shifted below the section's level), the clerk's closing paragraph if
// any, and the office's closing formula.
func compile(p *Profile, o *Opinion, f Frame, secs []Section, bodies []string) (string, error) {
	opening := f.Opening
	if opening == "" {
		var err error
		if opening, err = p.opening(o); err != nil {
			return "", fmt.Errorf("profile opening: %w", err)
		}
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(opening))
	b.WriteString("\n\n")
	for i, s := range secs {
		b.WriteString(strings.Repeat("#", s.Level))
		b.WriteString(" ")
		b.WriteString(s.Current.Heading)
		b.WriteString("\n\n")
		if body := strings.TrimSpace(ShiftHeadings(bodies[i], s.Level)); body != "" {
			b.WriteString(body)
			b.WriteString("\n\n")
		}
	}
	if closing := strings.TrimSpace(f.Closing); closing != "" {
		b.WriteString(closing)
		b.WriteString("\n\n")
	}
	b.WriteString(strings.TrimSpace(p.Closing))
	b.WriteString("\n")
	return b.String(), nil
}

// ShiftHeadings pushes ATX headings of a section body down by n levels, so
// that a department's "# 小标题" inside a level-2 section becomes level 3,
// as compiling does; previews use it to number a section as it will print.
// Fenced code is left alone.
func ShiftHeadings(md string, n int) string {
	lines := strings.Split(md, "\n")
	fence := false
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = !fence
			continue
		}
		if fence || len(l)-len(t) > 3 || !strings.HasPrefix(t, "#") {
			continue
		}
		h := len(t) - len(strings.TrimLeft(t, "#"))
		if h <= 6 && (len(t) == h || t[h] == ' ' || t[h] == '\t') {
			lines[i] = strings.Repeat("#", min(h+n, 6)) + t[h:]
		}
	}
	return strings.Join(lines, "\n")
}

// stripNumber removes a leading outline number (一、 （三） 2. （4）) from a heading.
func stripNumber(h string) string {
	h = strings.TrimSpace(h)
	r := []rune(h)
	i := 0
	paren := i < len(r) && (r[i] == '（' || r[i] == '(')
	if paren {
		i++
	}
	j := i
	for j < len(r) && (strings.ContainsRune("一二三四五六七八九十百零〇", r[j]) || (r[j] >= '0' && r[j] <= '9') || (r[j] >= '０' && r[j] <= '９')) {
		j++
	}
	if j == i || j >= len(r) {
		return h
	}
	end := string(r[j])
	if paren && (end == "）" || end == ")") || !paren && (end == "、" || end == "." || end == "．") {
		return strings.TrimSpace(string(r[j+1:]))
	}
	return h
}
