package notice

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TitleChars is how many 2号 (22pt) characters fit the type area's width.
const TitleChars = 20

// Segmenter splits Chinese text into words: the words, concatenated, are
// the text. notice/words provides one over a dictionary. Layout breaks
// titles with the first of its Renderer's formats that also implements
// Segmenter (the .docx writer does): only the formats that set titles on
// fixed lines need one, and only the binaries that link them carry the
// dictionary. Without one, Layout knows only the words of the case (see
// Extras.TitleWords), numbers, punctuation and a few words of titles.
type Segmenter interface {
	Segment(text string) []string
}

// segmenter returns the first of r's formats that segments words, or nil.
func (r *Renderer) segmenter() Segmenter {
	for _, f := range r.formats {
		if s, ok := f.(Segmenter); ok {
			return s
		}
	}
	return nil
}

// Penalties for breaking a title before a character, in the units of the
// balance cost (ems squared).
const (
	splitWord  = 1000 // inside a word, a number or a name the case knows: 词意完整 [7.3.1]
	splitNest  = 40   // inside a title cited within a cited title (〈〉 in 《》)
	splitPlace = 20   // between the parts of a place (江南市|临江区)
	weakStart  = 10   // a line starting with a particle (的 和 与 及 之 等)
	valley     = 8    // per em a line is shorter than both its neighbours: neither trapezoid nor diamond
	extraLine  = 200  // per line more than the fewest
)

// titleBreaks chooses where a title longer than a line breaks [7.3.1]:
// never inside a word (the segmenter's, a number such as 第三十六次, or one
// of words: the organisation, the issuer, a regulation's name, as long as
// it fits a line), never before closing or after opening punctuation; as
// few lines as that allows; lines in a trapezoid or diamond (no line
// shorter than both its neighbours) and as even as possible. It returns
// rune offsets; nil for a one-line title.
func titleBreaks(title string, maxEms int, words []string, seg Segmenter) []int {
	rs := []rune(title)
	w := make([]float64, len(rs)+1) // w[i] is the width of rs[:i] in ems
	for i, r := range rs {
		w[i+1] = w[i] + Ems(r)
	}
	total := w[len(rs)]
	if total <= float64(maxEms) || len(rs) < 2 {
		return nil
	}
	pen := breakPenalties(rs, float64(maxEms), words, seg)
	fewest := int(math.Ceil(total / float64(maxEms)))
	var best []int
	bestCost := math.Inf(1)
	for lines := fewest; lines <= len(rs) && lines <= fewest+2; lines++ {
		br, c := balance(rs, w, pen, lines, float64(maxEms))
		if c += float64(extraLine * (lines - fewest)); c < bestCost {
			best, bestCost = br, c
		}
	}
	return best
}

// breakPenalties returns, for each position i, the penalty of a break
// before rs[i], or -1 where no line may break.
func breakPenalties(rs []rune, maxEms float64, words []string, seg Segmenter) []float64 {
	n := len(rs)
	pen := make([]float64, n+1)
	split := func(from, to int, p float64) { // breaks inside rs[from:to]
		for i := from + 1; i < to; i++ {
			pen[i] = max(pen[i], p)
		}
	}
	// Words: the segmenter's; without one, any two Chinese characters may
	// be a word, less so across the lexicon's words.
	toks := tokens(rs, seg)
	at := 0
	for k, t := range toks {
		split(at, at+t, splitWord)
		if k > 0 && place(rs[at-toks[k-1]:at]) && place(rs[at:at+t]) {
			pen[at] = max(pen[at], splitPlace)
		}
		at += t
	}
	if seg == nil {
		bound := map[int]bool{}
		for _, b := range lexiconBounds(rs) {
			bound[b] = true
		}
		for i := 1; i < n; i++ {
			if isHan(rs[i-1]) && isHan(rs[i]) && !bound[i] {
				pen[i] = max(pen[i], 50)
			}
		}
	}
	for i := 0; i < n; {
		if k := numeralRun(rs[i:]); k > 0 {
			split(i, i+k, splitWord)
			i += k
			continue
		}
		i++
	}
	for _, word := range protected(rs, words) {
		wr := []rune(word)
		if width(wr) > maxEms || len(wr) < 2 {
			continue // a name longer than a line must break somewhere: its words decide where
		}
		for i := 0; i+len(wr) <= n; i++ {
			if equalRunes(rs[i:i+len(wr)], wr) {
				split(i, i+len(wr), splitWord)
			}
		}
	}
	depth := nesting(rs)
	for i := 1; i < n; i++ {
		if depth[i] > 1 {
			pen[i] += splitNest
		}
		if strings.ContainsRune("的和与及之等", rs[i]) {
			pen[i] += weakStart
		}
		if !breakable(rs, i) {
			pen[i] = -1
		}
	}
	return pen
}

// tokens returns the lengths, in runes, of the words of rs: the
// segmenter's, with a place's administrative suffix (市, 区, 新区,
// 自治区, …) joined to the name before it; runs of letters and digits and
// single other characters without a segmenter.
func tokens(rs []rune, seg Segmenter) []int {
	var out []int
	if seg != nil {
		total := 0
		for _, t := range seg.Segment(string(rs)) {
			k := utf8.RuneCountInString(t)
			if k == 0 {
				continue
			}
			if len(out) > 0 && isSuffix(t) && isHan(rs[total-1]) && !place(rs[total-out[len(out)-1]:total]) {
				out[len(out)-1] += k
			} else {
				out = append(out, k)
			}
			total += k
		}
		if total == len(rs) {
			return out
		}
		out = out[:0] // a segmenter that changed the text: do without it
	}
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && rs[i] < 0x2E80 && rs[j] < 0x2E80 && !unicode.IsSpace(rs[i]) && !unicode.IsSpace(rs[j]) {
			j++
		}
		out = append(out, j-i)
		i = j
	}
	return out
}

// placeSuffixes end the name of an administrative division. A name the
// dictionary lacks (临江区) comes out of the segmenter as its parts
// (临江, 区); the suffix belongs to the name.
var placeSuffixes = []string{"特别行政区", "自治区", "自治州", "自治县", "自治旗", "新区", "地区", "街道",
	"省", "市", "区", "县", "州", "盟", "旗", "镇", "乡"}

func isSuffix(t string) bool {
	for _, s := range placeSuffixes {
		if t == s {
			return true
		}
	}
	return false
}

// place reports whether word is the name of a division: it ends in a
// suffix and has a name before it.
func place(word []rune) bool {
	s := string(word)
	for _, suf := range placeSuffixes {
		if strings.HasSuffix(s, suf) && len(s) > len(suf) {
			return true
		}
	}
	return false
}

// protected returns the words no break may split: words, and the place
// each of them begins with (江南市临江区 of 江南市临江区人民政府, so that the
// issuer's 江南市临江区第三届… stays whole too), and the names cited in
// 〈〉 and 《》 in the title.
func protected(rs []rune, words []string) []string {
	var out []string
	add := func(w string) {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	for _, w := range words {
		add(w)
		wr := []rune(w)
		for i := len(wr) - 1; i > 0; i-- {
			if place(wr[:i+1]) {
				add(string(wr[:i+1]))
				break
			}
		}
	}
	var stack []int
	for i, r := range rs {
		switch r {
		case '《', '〈':
			stack = append(stack, i)
		case '》', '〉':
			if len(stack) > 0 {
				add(string(rs[stack[len(stack)-1] : i+1]))
				stack = stack[:len(stack)-1]
			}
		}
	}
	return out
}

// balance finds the cheapest way to set rs on exactly n lines of at most
// max ems, by dynamic programming over the last line and whether the
// lines have grown shorter yet: a trapezoid may widen or narrow, a
// diamond widen then narrow, but a line shorter than both its neighbours
// costs valley. Lines as even as possible cost least. It returns the
// breaks and their cost (+Inf if none).
func balance(rs []rune, w, pen []float64, n int, maxW float64) ([]int, float64) {
	size := len(rs)
	target := w[size] / float64(n)
	longest := 0 // the most runes a line can hold
	for i, j := 0, 0; i <= size; i++ {
		for w[i]-w[j] > maxW {
			j++
		}
		longest = max(longest, i-j)
	}
	type state struct {
		cost  float64
		prevD int  // length of the line before, in runes
		prevF int8 // its falling flag
	}
	inf := math.Inf(1)
	// st[k][i][d][f]: rs[:i] on k+1 lines, the last one rs[i-d:i], f: the
	// lines have narrowed before.
	st := make([][][][2]state, n)
	for k := range st {
		st[k] = make([][][2]state, size+1)
		for i := range st[k] {
			st[k][i] = make([][2]state, longest+1)
			for d := range st[k][i] {
				st[k][i][d] = [2]state{{cost: inf}, {cost: inf}}
			}
		}
	}
	cost := func(j, i int) float64 { // of a line rs[j:i] ending in a break
		d := w[i] - w[j] - target
		if i < size {
			return d*d + pen[i]
		}
		return d * d
	}
	ok := func(i int) bool { return i == size || pen[i] >= 0 }
	for i := 1; i <= min(size, longest); i++ {
		if ok(i) {
			st[0][i][i][0] = state{cost: cost(0, i)}
		}
	}
	for k := 0; k+1 < n; k++ {
		for i := 1; i < size; i++ {
			for d := 1; d <= min(i, longest); d++ {
				for f := range 2 {
					s := st[k][i][d][f]
					if math.IsInf(s.cost, 1) {
						continue
					}
					last := w[i] - w[i-d]
					for m := i + 1; m <= size && m-i <= longest && w[m]-w[i] <= maxW; m++ {
						if !ok(m) {
							continue
						}
						width := w[m] - w[i]
						c, nf := s.cost+cost(i, m), f
						switch {
						case width > last+1 && f == 1:
							c += valley * (width - last)
						case width < last-1:
							nf = 1
						}
						if t := &st[k+1][m][m-i][nf]; c < t.cost {
							*t = state{cost: c, prevD: d, prevF: int8(f)}
						}
					}
				}
			}
		}
	}
	best, bd, bf := inf, 0, 0
	for d := 1; d <= min(size, longest); d++ {
		for f := range 2 {
			if c := st[n-1][size][d][f].cost; c < best {
				best, bd, bf = c, d, f
			}
		}
	}
	if math.IsInf(best, 1) {
		return nil, inf
	}
	// Back through the lines: the line before ends where this one starts.
	br := make([]int, n-1)
	i, d, f := size, bd, bf
	for k := n - 1; k > 0; k-- {
		s := st[k][i][d][f]
		i -= d
		br[k-1] = i
		d, f = s.prevD, int(s.prevF)
	}
	return br, best
}

// breakable reports whether a line may break before rs[i]: not before
// closing punctuation, not after opening punctuation, not inside a run of
// Latin letters or digits.
func breakable(rs []rune, i int) bool {
	if i <= 0 || i >= len(rs) {
		return true
	}
	a, b := rs[i-1], rs[i]
	if NoLineStart(b) || NoLineEnd(a) {
		return false
	}
	if a < 0x2E80 && b < 0x2E80 && !unicode.IsSpace(a) && !unicode.IsSpace(b) {
		return false // inside a Latin word or a number
	}
	return true
}

// lexicon holds words common in official titles, for a Renderer without
// a Segmenter: between two Chinese characters elsewhere a break may split
// a word, so it costs more.
var lexicon = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`关于 的 和 与 及 对 在 等 有关 进一步 加强 做好 开展 推进 推动 落实 贯彻 实施 执行
		检查 审议 意见 情况 报告 通知 通报 决定 请示 批复 函 纪要 方案 办法 规定 条例 法 规划 计划 工作 问题 建议 答复 回复
		人民 政府 人民政府 委员会 常委会 常务委员会 人大 人大常委会 代表大会 政协 会议 次 届 第 年度 全体 本区 本市
		妇女 儿童 权益 保障 发展 建设 管理 服务 安全 教育 卫生 健康 文化 经济 社会
		生态 环境 保护 改革 创新 监督 议案 提案 办理 结果 成果 整改 落实情况 贯彻实施 实施情况 审议意见 工作情况 专项 调研 评估`) {
		m[w] = true
	}
	return m
}()

// lexiconBounds returns the positions between words of rs that the
// lexicon finds, by greedy longest match.
func lexiconBounds(rs []rune) []int {
	var out []int
	const longest = 6
	for i := 0; i < len(rs); {
		n := 0
		for l := min(longest, len(rs)-i); l >= 1; l-- {
			if lexicon[string(rs[i:i+l])] {
				n = l
				break
			}
		}
		if n == 0 {
			i++
			continue
		}
		out = append(out, i, i+n)
		i += n
	}
	return out
}

// Ems is the width of r in ems: half for ASCII and half-width forms.
func Ems(r rune) float64 {
	if r < 0x2E80 && r != '—' && r != '…' && r != '“' && r != '”' && r != '‘' && r != '’' && r != '·' {
		return 0.5
	}
	if r >= 0xFF61 && r <= 0xFFDC {
		return 0.5
	}
	return 1
}

// width is the width of rs in ems.
func width(rs []rune) float64 {
	w := 0.0
	for _, r := range rs {
		w += Ems(r)
	}
	return w
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const numerals = "〇零一二三四五六七八九十百千万两0123456789０１２３４５６７８９"

// numeralRun is the length of a number at the start of rs, with its 第 and
// its measure word (第三十六次, 二〇二五年), so that no break splits it.
func numeralRun(rs []rune) int {
	i := 0
	if i < len(rs) && rs[i] == '第' {
		i++
	}
	j := i
	for j < len(rs) && strings.ContainsRune(numerals, rs[j]) {
		j++
	}
	if j == i {
		return 0
	}
	if j < len(rs) && strings.ContainsRune("次届年月日号个项条款章节批期", rs[j]) {
		j++
	}
	return j
}

// nesting returns, for each break position, how many book-title marks
// (《〈) are open there.
func nesting(rs []rune) []int {
	d := make([]int, len(rs)+1)
	open := 0
	for i, r := range rs {
		d[i] = open
		switch r {
		case '《', '〈':
			open++
		case '》', '〉':
			open = max(open-1, 0)
		}
	}
	d[len(rs)] = open
	return d
}
