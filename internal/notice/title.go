package notice

import (
	"math"
	"strings"
	"unicode"
)

// TitleChars is how many 2号 (22pt) characters fit the type area's width.
const TitleChars = 20

// titleBreaks chooses where a title longer than one line breaks: as few
// lines as the width allows, lengths as even as possible (a balanced block
// reads as the standard's trapezoid once centred), never splitting a word
// the lexicon knows nor a number, and never starting a line with closing
// punctuation or ending one with opening punctuation [7.3.1]. It returns
// rune offsets; nil for a one-line title.
func titleBreaks(title string, maxEms int) []int {
	rs := []rune(title)
	w := make([]float64, len(rs)+1) // w[i] is the width of rs[:i] in ems
	for i, r := range rs {
		w[i+1] = w[i] + Ems(r)
	}
	total := w[len(rs)]
	if total <= float64(maxEms) || len(rs) < 2 {
		return nil
	}
	good := wordBounds(rs)
	depth := nesting(rs)
	for lines := int(math.Ceil(total / float64(maxEms))); lines <= len(rs); lines++ {
		if br := balance(rs, w, good, depth, lines, float64(maxEms)); br != nil {
			return br
		}
	}
	return nil
}

// balance finds the cheapest way to set rs on exactly n lines of at most
// max ems, by dynamic programming over break positions.
func balance(rs []rune, w []float64, good []bool, depth []int, n int, max float64) []int {
	size := len(rs)
	target := w[size] / float64(n)
	inf := math.Inf(1)
	// cost[k][i]: best cost of setting rs[:i] on k lines; from[k][i]: the previous break.
	cost := make([][]float64, n+1)
	from := make([][]int, n+1)
	for k := range cost {
		cost[k] = make([]float64, size+1)
		from[k] = make([]int, size+1)
		for i := range cost[k] {
			cost[k][i] = inf
		}
	}
	cost[0][0] = 0
	for k := 1; k <= n; k++ {
		for i := 1; i <= size; i++ {
			if i < size && !breakable(rs, i) {
				continue
			}
			pen := 0.0
			if i < size && !good[i] {
				pen = 50 // splits a word, or a run the lexicon does not know
			}
			if i < size && depth[i] > 1 {
				pen += 40 // splits a title cited inside a cited title (〈〉 in 《》)
			}
			for j := i - 1; j >= 0; j-- {
				width := w[i] - w[j]
				if width > max {
					break
				}
				if math.IsInf(cost[k-1][j], 1) {
					continue
				}
				d := width - target
				c := cost[k-1][j] + d*d + pen
				if c < cost[k][i] {
					cost[k][i], from[k][i] = c, j
				}
			}
		}
	}
	if math.IsInf(cost[n][size], 1) {
		return nil
	}
	br := make([]int, n-1)
	for k, i := n, size; k > 1; k-- {
		i = from[k][i]
		br[k-2] = i
	}
	return br
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

// titleWords are words common in official titles. wordBounds splits a title
// by longest match against them; breaking elsewhere between two Chinese
// characters risks splitting a word, so it costs more.
var titleWords = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`关于 的 和 与 及 对 在 等 有关 进一步 加强 做好 开展 推进 推动 落实 贯彻 实施 执行
		检查 审议 意见 情况 报告 通知 通报 决定 请示 批复 函 纪要 方案 办法 规定 条例 法 规划 计划 工作 问题 建议 答复 回复
		人民 政府 人民政府 委员会 常委会 常务委员会 人大 人大常委会 代表大会 政协 会议 次 届 第 年度 全体 区 市 省 县 街道 镇
		上海 上海市 北京 北京市 静安 静安区 本区 本市 妇女 儿童 权益 保障 发展 建设 管理 服务 安全 教育 卫生 健康 文化 经济 社会
		生态 环境 保护 改革 创新 监督 议案 提案 办理 结果 成果 整改 落实情况 贯彻实施 实施情况 审议意见 工作情况 专项 调研 评估`) {
		m[w] = true
	}
	return m
}()

// wordBounds marks the positions between words: after punctuation,
// before opening punctuation, around spaces, and at the ends of lexicon
// words found by greedy longest match. good[i] is true when a break before
// rs[i] keeps words whole.
func wordBounds(rs []rune) []bool {
	good := make([]bool, len(rs)+1)
	good[0], good[len(rs)] = true, true
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		if unicode.IsPunct(a) || unicode.IsPunct(b) || unicode.IsSpace(a) || unicode.IsSpace(b) {
			good[i] = true
		}
	}
	const longest = 6
	for i := 0; i < len(rs); {
		n := numeralRun(rs[i:])
		for l := min(longest, len(rs)-i); n == 0 && l >= 1; l-- {
			if titleWords[string(rs[i:i+l])] {
				n = l
				break
			}
		}
		if n == 0 {
			i++
			continue
		}
		good[i], good[i+n] = true, true
		i += n
	}
	return good
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
