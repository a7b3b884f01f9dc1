package opinion

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// A deadline is read from the sentence that asks for the written report:
// 请区人民政府认真研究处理，并于六个月内将研究处理情况书面报告区人大常委会。
// Terms are relative (六个月内, 60日内, 30个工作日内, 半年内) or absolute
// (于2025年12月31日前, 年底前). Days need 内 after them and must not follow
// 月, so that the 31日 of a date is never read as a term of days.
const (
	cnCount = `[一二两三四五六七八九十百]{1,5}`
	notNum  = `(?:^|[^月\d〇○零一二两三四五六七八九十百])`
)

var (
	dueDate     = lazyRegexp(`(\d{4}|` + cnYear + `)\s*年\s*(\d{1,2}|` + cnDay + `)\s*月\s*(\d{1,2}|` + cnDay + `)\s*[日号]\s*(?:前|之前|以前)`)
	dueMonthEnd = lazyRegexp(`(\d{4}|` + cnYear + `)\s*年\s*(\d{1,2}|` + cnDay + `)\s*月\s*(?:底|末)\s*(?:前|之前|以前)`)
	dueYearEnd  = lazyRegexp(`(?:(\d{4}|` + cnYear + `)\s*年\s*年?|年)\s*(?:底|末)\s*(?:前|之前|以前)`) // not 季度末前
	dueMonthDay = lazyRegexp(notNum + `(\d{1,2}|` + cnDay + `)\s*月\s*(\d{1,2}|` + cnDay + `)\s*[日号]\s*(?:前|之前|以前)`)
	dueMonths   = lazyRegexp(`(\d{1,3}|` + cnCount + `)\s*个\s*月`)
	dueYears    = lazyRegexp(notNum + `(半|一)\s*年\s*(?:内|以内|之内)`)
	dueDays     = lazyRegexp(notNum + `(\d{1,4}|` + cnCount + `)\s*个?\s*(工作日|日|天)\s*(?:内|以内|之内)`)

	// reportCue marks the sentence that asks for the report, as opposed to
	// an item's own time limit (三个月内完成整改).
	reportCue = lazyRegexp(`报告|报送|上报|反馈|答复`)
)

// deadline finds the term in one sentence; ok is false when it names none.
func deadline(s string, date time.Time) (due time.Time, ok bool) {
	s = narrowDigits(s)
	if m := dueDate().FindStringSubmatch(s); m != nil {
		return makeDate(m[1], m[2], m[3])
	}
	if m := dueMonthEnd().FindStringSubmatch(s); m != nil {
		if t, ok := makeDate(m[1], m[2], "1"); ok {
			return addMonths(t, 1).AddDate(0, 0, -1), true
		}
	}
	if m := dueYearEnd().FindStringSubmatch(s); m != nil {
		y := date.Year()
		if m[1] != "" {
			y, _ = cnValue(m[1])
		}
		if y >= 1900 && y <= 2999 {
			return workflow.Day(y, time.December, 31), true
		}
	}
	if m := dueMonthDay().FindStringSubmatch(s); m != nil {
		// No year: the next such day after the opinion's date.
		if t, ok := makeDate(strconv.Itoa(date.Year()), m[1], m[2]); ok {
			if t.Before(date) {
				t, ok = makeDate(strconv.Itoa(date.Year()+1), m[1], m[2])
			}
			return t, ok
		}
	}
	if m := dueMonths().FindStringSubmatch(s); m != nil {
		if n, ok := cnValue(m[1]); ok && n > 0 && n <= 120 {
			return addMonths(date, n), true
		}
	}
	if m := dueYears().FindStringSubmatch(s); m != nil {
		if m[1] == "半" {
			return addMonths(date, 6), true
		}
		return addMonths(date, 12), true
	}
	if m := dueDays().FindStringSubmatch(s); m != nil {
		if n, ok := cnValue(m[1]); ok && n > 0 && n <= 3660 {
			if m[2] == "工作日" {
				return addWorkdays(date, n), true
			}
			return date.AddDate(0, 0, n), true
		}
	}
	return time.Time{}, false
}

// sentences splits text after 。！？ and keeps the mark.
func sentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if r == '。' || r == '！' || r == '？' || r == '!' || r == '?' {
			end := i + utf8.RuneLen(r)
			if s := strings.TrimSpace(text[start:end]); s != "" {
				out = append(out, s)
			}
			start = end
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// findDeadline looks for the report sentence in each text in turn and
// returns the first with a term, and the sentence. A sentence without a
// report cue counts only when cueless is set.
func findDeadline(date time.Time, cueless bool, texts ...string) (time.Time, string, bool) {
	for _, text := range texts {
		for _, s := range sentences(text) {
			if !cueless && !reportCue().MatchString(s) {
				continue
			}
			if due, ok := deadline(s, date); ok {
				return due, s, true
			}
		}
	}
	return time.Time{}, "", false
}

var (
	// session names the meeting that adopted the opinion:
	// 区第二届人大常委会第三十六次会议, 县十八届人民代表大会常务委员会第二十二次全体会议.
	sessionRe = lazyRegexp(`[区县市旗州省]?第?[一二三四五六七八九十百零〇\d０-９]+届(?:人大常委会|人民代表大会常务委员会)第[一二三四五六七八九十百零〇\d０-９]+次(?:全体)?会议`)

	// replyVerb is where the sentence says to whom the report goes.
	replyVerb = lazyRegexp(`报告|报送|上报|反馈|答复|送`)
	replyTo   = lazyRegexp(`向([^，,。；;]{1,30}?)(?:书面)?(?:报告|报送|反馈|答复)`)
	bodyEnd   = lazyRegexp(`^.*?(?:人民代表大会常务委员会|人大常委会|常务委员会|常委会)(?:办公室|办公厅)?`)
)

// reportTo reads from the deadline sentence the body the report goes to:
// 书面报告区人大常委会 → 区人大常委会; 向区人大常委会报告 → 区人大常委会.
func reportTo(s string) string {
	if m := replyTo().FindStringSubmatch(s); m != nil {
		if b := bodyEnd().FindString(m[1]); b != "" {
			return b
		}
	}
	locs := replyVerb().FindAllStringIndex(s, -1)
	for i := len(locs) - 1; i >= 0; i-- {
		rest := s[locs[i][1]:]
		if j := strings.IndexAny(rest, "，,。；;！？"); j >= 0 {
			rest = rest[:j]
		}
		rest = strings.TrimLeft(rest, "给至到予")
		if b := bodyEnd().FindString(rest); b != "" {
			return b
		}
	}
	return ""
}

// levels are the characters that end a place name and say its level; the
// report of a 区 government goes to the 区人大常委会.
const levels = "区县市旗州省"

// deriveReplyTo guesses the addressee of the report from the issuing body
// when the opinion does not say it.
func deriveReplyTo(names ...string) string {
	for _, s := range names {
		if r := []rune(workflow.Region(s)); len(r) > 0 && strings.ContainsRune(levels, r[len(r)-1]) {
			return string(r[len(r)-1]) + "人大常委会"
		}
		if r, size := utf8.DecodeRuneInString(s); strings.ContainsRune(levels, r) &&
			(strings.HasPrefix(s[size:], "人大") || strings.HasPrefix(s[size:], "人民代表大会") || strings.HasPrefix(s[size:], "第")) {
			return string(r) + "人大常委会"
		}
	}
	return ""
}
