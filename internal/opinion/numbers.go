package opinion

import (
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

var cnDigits = map[rune]int{
	'〇': 0, '○': 0, '零': 0, 'O': 0, 'o': 0, 'Ｏ': 0,
	'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
}

var cnUnits = map[rune]int{'十': 10, '百': 100, '千': 1000}

// cnValue reads a number in Chinese numerals: positional (三十六, 一百零五)
// or digit by digit as years are written (二〇二五). Arabic digits, full- or
// half-width, are read too, since dates and deadlines mix both.
func cnValue(s string) (int, bool) {
	s = narrowDigits(s)
	if s == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0
	}
	if !strings.ContainsAny(s, "十百千") {
		n := 0
		for _, r := range s {
			d, ok := cnDigits[r]
			if !ok || n > 1e6 {
				return 0, false
			}
			n = n*10 + d
		}
		return n, true
	}
	total, pending := 0, -1
	for _, r := range s {
		if d, ok := cnDigits[r]; ok {
			if pending > 0 { // 二三十: two digits before a unit
				return 0, false
			}
			pending = d
			continue
		}
		u, ok := cnUnits[r]
		if !ok {
			return 0, false
		}
		switch {
		case pending == -1 && u == 10 && total == 0: // 十二 means 一十二
			pending = 1
		case pending <= 0:
			return 0, false
		}
		total += pending * u
		pending = -1
	}
	if pending > 0 {
		total += pending
	}
	return total, true
}

// cnNumeral writes n as official documents number their items: 一, 十二, 二十.
func cnNumeral(n int) string {
	const digits = "零一二三四五六七八九"
	d := func(i int) string { return string([]rune(digits)[i]) }
	switch {
	case n < 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return d(n)
	case n < 20:
		return "十" + strings.TrimPrefix(d(n%10), "零")
	case n%10 == 0:
		return d(n/10) + "十"
	default:
		return d(n/10) + "十" + d(n%10)
	}
}

// narrowDigits turns full-width digits into ASCII ones. Only for reading
// values: text shown to people keeps what the author wrote.
func narrowDigits(s string) string {
	if !strings.ContainsFunc(s, isWideDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isWideDigit(r) {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func isWideDigit(r rune) bool { return r >= '０' && r <= '９' }

// Dates: 2025年7月10日, 二〇二五年七月十日, 2025-07-10, 2025.7.10, 2025/7/10.
const (
	cnYear = `[〇○零OoＯ一二三四五六七八九]{4}`
	cnDay  = `[一二三四五六七八九十]{1,3}`
)

var (
	dateLine = lazyRegexp(`^[（(]?(?:` +
		`(\d{4}|` + cnYear + `)\s*年\s*(\d{1,2}|` + cnDay + `)\s*月\s*(\d{1,2}|` + cnDay + `)\s*日` +
		`|(\d{4})\s*[-./／]\s*(\d{1,2})\s*[-./／]\s*(\d{1,2}))[）)]?$`)
)

// parseDate reads a line that is a date and nothing else. ok is false when
// the line is no date; err is set when it is one that does not exist.
func parseDate(l line) (t time.Time, ok bool, err error) {
	m := dateLine().FindStringSubmatch(narrowDigits(l.s))
	if m == nil {
		return time.Time{}, false, nil
	}
	parts := m[1:4]
	if m[1] == "" {
		parts = m[4:7]
	}
	t, valid := makeDate(parts[0], parts[1], parts[2])
	if !valid {
		return time.Time{}, true, atLine(l.n, "日期「%s」不存在，请核对年月日", l.s)
	}
	return t, true, nil
}

// makeDate builds a date from its written parts, refusing ones that
// time.Date would silently roll over (2月30日).
func makeDate(ys, ms, ds string) (time.Time, bool) {
	y, ok1 := cnValue(ys)
	m, ok2 := cnValue(ms)
	d, ok3 := cnValue(ds)
	if !ok1 || !ok2 || !ok3 || y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := workflow.Day(y, time.Month(m), d)
	return t, t.Day() == d
}

// addMonths counts a term in months as Chinese law does (民法典 第二百零二条):
// it ends on the same day of the last month, or on that month's last day
// when it has no such day. time.AddDate would run 8月31日 + 6个月 into March.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	last := workflow.Day(y, m+time.Month(n)+1, 0) // day 0: the last of the month before
	if d > last.Day() {
		return last
	}
	return workflow.Day(y, m+time.Month(n), d)
}

// addWorkdays counts working days, skipping weekends. Public holidays are
// set each year by the State Council and not known here, so a term in
// working days may come out a few days early — the safe side.
func addWorkdays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}
