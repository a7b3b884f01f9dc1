package opinion

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/workflow"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

const fixture = "../../testdata/jingan-2025-17/opinion.txt"

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func mustParse(tb testing.TB, name string, data []byte) *workflow.Opinion {
	tb.Helper()
	o, err := Parse(name, data, Options{DefaultMonths: 6})
	if err != nil {
		tb.Fatalf("Parse(%q) = %v; want no error", name, err)
	}
	return o
}

func mustEncode(tb testing.TB, enc interface {
	String(string) (string, error)
}, s string) []byte {
	tb.Helper()
	out, err := enc.String(s)
	if err != nil {
		tb.Fatal(err)
	}
	return []byte(out)
}

func TestParseFixture(t *testing.T) {
	o := mustParse(t, "opinion.txt", mustRead(t, fixture))
	fields := []struct{ name, got, want string }{
		{"Issuer", o.Issuer, "上海市静安区人民代表大会常务委员会"},
		{"Number", o.Number, "静会〔2025〕57号"},
		{"Title", o.Title, "关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见"},
		{"Addressee", o.Addressee, "区人民政府"},
		{"Session", o.Session, "区第二届人大常委会第三十六次会议"},
		{"ReplyTo", o.ReplyTo, "区人大常委会"},
		{"Signature", o.Signature, "上海市静安区人大常委会"},
		{"Date", o.Date.Format(time.DateOnly), "2025-07-10"},
		{"Due", o.Due.Format(time.DateOnly), "2026-01-10"},
		{"DueRule", o.DueRule, "请区人民政府认真研究处理，并于六个月内将研究处理情况书面报告区人大常委会。"},
		{"Closing", o.Closing, "请区人民政府认真研究处理，并于六个月内将研究处理情况书面报告区人大常委会。"},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("Parse(%q).%s = %q; want %q", fixture, f.name, f.got, f.want)
		}
	}
	if !strings.HasPrefix(o.Preamble, "2025年6月26日，区第二届") || !strings.HasSuffix(o.Preamble, "现提出如下审议意见：") {
		t.Errorf("Parse(%q).Preamble = %q; want the paragraph from 2025年6月26日 to 现提出如下审议意见：", fixture, o.Preamble)
	}
	for _, top := range []struct {
		id   string
		kids int
	}{{"", 3}, {"1", 3}, {"2", 4}, {"3", 3}} {
		if got := len(o.Children(top.id)); got != top.kids {
			t.Errorf("Parse(%q): item %q has %d children; want %d", fixture, top.id, got, top.kids)
		}
	}
	want := []workflow.Item{
		{ID: "1", Level: 1, Label: "一、", Text: "完善工作机制，加强统筹协同与基层基础建设"},
		{ID: "1.1", Level: 2, Label: "（一）", Text: "发挥议事协调机构作用，健全部门联动和信息共享机制，在劳动权益保障、反家庭暴力、婚姻家庭服务等领域形成工作合力。"},
		{ID: "1.2", Level: 2, Label: "（二）", Text: "以“十五五”规划编制为契机，科学设定妇女发展目标和指标，完善规划监测评估与统计调查。"},
		{ID: "1.3", Level: 2, Label: "（三）", Text: "加强街镇社区服务阵地和基层妇女干部队伍建设，推进妇女工作数字化转型。"},
		{ID: "2", Level: 1, Label: "二、", Text: "聚焦重点领域，切实保障妇女合法权益"},
		{ID: "2.1", Level: 2, Label: "（一）", Text: "完善覆盖全生命周期的妇女健康服务，扩大“两病筛查”覆盖面，关注妇女心理健康，规范母婴设施建设。"},
		{ID: "2.2", Level: 2, Label: "（二）", Text: "加大对就业性别歧视的监察力度，探索生育成本共担机制，加强职业技能培训，支持女性创新创业。"},
		{ID: "2.3", Level: 2, Label: "（三）", Text: "健全婚姻家庭纠纷多元化解机制，依法用好家暴告诫书和人身安全保护令制度，加强对受害妇女的综合救助。"},
		{ID: "2.4", Level: 2, Label: "（四）", Text: "扩大普惠托育服务供给，加强家庭教育指导，关注困境儿童和孤独症儿童家庭。"},
		{ID: "3", Level: 1, Label: "三、", Text: "强化宣传引导，营造尊重和保障妇女权益的社会氛围"},
		{ID: "3.1", Level: 2, Label: "（一）", Text: "开展有针对性的普法宣传，提升全社会的法治意识和性别平等意识。"},
		{ID: "3.2", Level: 2, Label: "（二）", Text: "培育和支持服务妇女儿童的社会组织，引导社会力量广泛参与。"},
		{ID: "3.3", Level: 2, Label: "（三）", Text: "在商业规划和公共设施建设中融入性别平等和儿童友好视角，保障女性消费者合法权益。"},
	}
	if !reflect.DeepEqual(o.Items, want) {
		for i := range max(len(o.Items), len(want)) {
			var got, w workflow.Item
			if i < len(o.Items) {
				got = o.Items[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if got != w {
				t.Errorf("Parse(%q).Items[%d] = %+v; want %+v", fixture, i, got, w)
			}
		}
	}
}

// markdownOf writes the fixture as a clerk would in Markdown: headings for
// the header and the top items, bold sub-item numbers, a comment, a quote.
func markdownOf(text string) string {
	var b strings.Builder
	b.WriteString("<!-- 收文：\n静安区人大常委会办公室转来 -->\n")
	for _, l := range strings.Split(text, "\n") {
		switch m, ok := parseMarker(l); {
		case strings.HasSuffix(l, "常务委员会"):
			l = "# " + l
		case strings.HasPrefix(l, "关于"):
			l = "## " + l + " ##"
		case ok && m.style == styleCN:
			l = "## " + l
		case ok && m.style == styleCNParen:
			l = "- **" + m.label + "**" + m.rest + "  "
		case strings.HasPrefix(l, "请"):
			l = "> " + l
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestParseVariants(t *testing.T) {
	text := string(mustRead(t, fixture))
	want := mustParse(t, "opinion.txt", []byte(text))
	tests := []struct {
		name string // behaviour
		file string
		data []byte
	}{
		{"GB18030", "opinion.txt", mustEncode(t, simplifiedchinese.GB18030.NewEncoder(), text)},
		{"GB18030Sniffed", "", mustEncode(t, simplifiedchinese.GB18030.NewEncoder(), text)},
		{"UTF8BOM", "opinion.txt", append([]byte("\ufeff"), text...)},
		{"CRLF", "OPINION.TXT", []byte(strings.ReplaceAll(text, "\n", "\r\n"))},
		{"Markdown", "opinion.md", []byte(markdownOf(text))},
		{"MarkdownSniffed", "upload", []byte(markdownOf(text))},
		{"Docx", "opinion.docx", docxOf(t, strings.Split(text, "\n"), "")},
		{"DocxWithoutExtension", "opinion", docxOf(t, strings.Split(text, "\n"), "")},
		{"FullWidthSpacesAndIndent", "opinion.txt", []byte(strings.ReplaceAll(text, "\n（", "\n\u3000\u3000（"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.file, tt.data, Options{DefaultMonths: 6})
			if err != nil {
				t.Fatalf("Parse(%q) = %v; want the fixture's opinion", tt.file, err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("Parse(%q) = %s\nwant %s", tt.file, g, w)
			}
		})
	}
}

// TestParseSamples reads opinions of other bodies and shapes against golden
// files; run `go test -update` to rewrite them after a deliberate change,
// and review the diff.
func TestParseSamples(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, o *workflow.Opinion)
	}{
		{"county.txt", func(t *testing.T, o *workflow.Opinion) {
			eq(t, "Number", o.Number, "青人常〔2024〕8号")
			eq(t, "Title", o.Title, "关于县人民政府贯彻实施《中华人民共和国农村土地承包法》情况的审议意见")
			eq(t, "Addressee", o.Addressee, "县人民政府")
			eq(t, "Session", o.Session, "县第十八届人大常委会第二十二次会议")
			eq(t, "ReplyTo", o.ReplyTo, "县人大常委会")
			eq(t, "Date", o.Date.Format(time.DateOnly), "2024-11-05")
			eq(t, "Due", o.Due.Format(time.DateOnly), "2025-02-05")
			eq(t, "Labels", labels(o), "1. （1） (2) ２． （1） （2） 3、 （1）")
			eq(t, "IDs", ids(o), "1 1.1 1.2 2 2.1 2.2 3 3.1")
			it, _ := o.Item("1.2")
			eq(t, "Item 1.2", it.Text, "加强承包合同管理，规范经营权流转合同签订和备案。\n2023年以来新签合同应全部纳入信息平台管理。")
			if !strings.Contains(o.Preamble, "\n1998年第二轮") {
				t.Errorf("Preamble = %q; want the 1998年 sentence in it, not an item", o.Preamble)
			}
		}},
		{"deep.md", func(t *testing.T, o *workflow.Opinion) {
			eq(t, "Issuer", o.Issuer, "某某市人民代表大会常务委员会")
			eq(t, "Number", o.Number, "某常发〔2024〕123号")
			eq(t, "Addressee", o.Addressee, "市人民政府")
			eq(t, "Session", o.Session, "市第十六届人民代表大会常务委员会第二十次会议")
			eq(t, "ReplyTo", o.ReplyTo, "市人大常委会")
			eq(t, "Due", o.Due.Format(time.DateOnly), "2025-02-18")
			eq(t, "Top", fmt.Sprint(len(o.Children(""))), "12")
			eq(t, "Last", o.Items[len(o.Items)-1].ID+" "+o.Items[len(o.Items)-1].Text, "12 做好国有资产管理情况报告的公开工作\n有关情况应通过政府网站向社会公开。")
			depth := 0
			for _, it := range o.Items {
				depth = max(depth, it.Level)
			}
			eq(t, "Depth", fmt.Sprint(depth), "4")
			it, _ := o.Item("2.1.1.1")
			eq(t, "Item 2.1.1.1", it.Label+it.Text, "（1）聚焦战略性新兴产业。\n其中，2025年前完成主要企业整合。")
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, filepath.Ext(tt.file)), func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			o := mustParse(t, tt.file, mustRead(t, path))
			tt.check(t, o)
			got, err := json.MarshalIndent(o, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := mustRead(t, golden); !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("Parse(%q) differs from %s; run `go test -update` and review the diff\ngot %s", tt.file, golden, got)
			}
		})
	}
}

func eq(t *testing.T, field, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("Parse: %s = %q; want %q", field, got, want)
	}
}

func labels(o *workflow.Opinion) string {
	var s []string
	for _, it := range o.Items {
		s = append(s, it.Label)
	}
	return strings.Join(s, " ")
}

func ids(o *workflow.Opinion) string {
	var s []string
	for _, it := range o.Items {
		s = append(s, it.ID)
	}
	return strings.Join(s, " ")
}

// TestParseDeadline swaps the fixture's closing sentence for others.
func TestParseDeadline(t *testing.T) {
	text := string(mustRead(t, fixture))
	const closing = "请区人民政府认真研究处理，并于六个月内将研究处理情况书面报告区人大常委会。"
	tests := []struct {
		closing, due, replyTo string
		rule                  bool
	}{
		{"请区人民政府认真研究处理，并于三个月内将研究处理情况书面报告区人大常委会。", "2025-10-10", "区人大常委会", true},
		{"请区人民政府于3个月内将研究处理情况报送区人大常委会。", "2025-10-10", "区人大常委会", true},
		{"请区人民政府在两个月内向区人大常委会书面报告研究处理情况。", "2025-09-10", "区人大常委会", true},
		{"请区人民政府于60日内将研究处理情况书面报告区人大常委会。", "2025-09-08", "区人大常委会", true},
		{"请区人民政府于六十日内将研究处理情况书面报告区人大常委会。", "2025-09-08", "区人大常委会", true},
		{"请区人民政府于６０天内将研究处理情况书面报告区人大常委会办公室。", "2025-09-08", "区人大常委会办公室", true},
		{"请区人民政府于30个工作日内将研究处理情况书面报告区人大常委会。", "2025-08-21", "区人大常委会", true},
		{"请区人民政府于2025年12月31日前将研究处理情况书面报告区人大常委会。", "2025-12-31", "区人大常委会", true},
		{"请区人民政府于二〇二五年十二月一日前书面报告区人大常委会。", "2025-12-01", "区人大常委会", true},
		{"请区人民政府于年底前将研究处理情况书面报告区人大常委会。", "2025-12-31", "区人大常委会", true},
		{"请区人民政府于2025年年底前将研究处理情况书面报告区人大常委会。", "2025-12-31", "区人大常委会", true},
		{"请区人民政府于2025年11月底前将研究处理情况书面报告区人大常委会。", "2025-11-30", "区人大常委会", true},
		{"请区人民政府于每季度末前将研究处理情况书面报告区人大常委会。", "2026-01-10", "区人大常委会", false},
		{"请区人民政府于11月30日前将研究处理情况书面报告区人大常委会。", "2025-11-30", "区人大常委会", true},
		{"请区人民政府于半年内将研究处理情况书面报告区人大常委会。", "2026-01-10", "区人大常委会", true},
		{"请区人民政府认真研究处理。", "2026-01-10", "区人大常委会", false}, // default, reply-to from the signature
	}
	for _, tt := range tests {
		src := strings.Replace(text, closing, tt.closing, 1)
		o, err := Parse("opinion.txt", []byte(src), Options{DefaultMonths: 6})
		if err != nil {
			t.Errorf("Parse(%q) = %v; want due %s", tt.closing, err, tt.due)
			continue
		}
		if got := o.Due.Format(time.DateOnly); got != tt.due {
			t.Errorf("Parse(%q).Due = %s; want %s", tt.closing, got, tt.due)
		}
		if o.ReplyTo != tt.replyTo {
			t.Errorf("Parse(%q).ReplyTo = %q; want %q", tt.closing, o.ReplyTo, tt.replyTo)
		}
		if wantRule := map[bool]string{true: tt.closing}[tt.rule]; o.DueRule != wantRule {
			t.Errorf("Parse(%q).DueRule = %q; want %q", tt.closing, o.DueRule, wantRule)
		}
		if o.Closing != tt.closing {
			t.Errorf("Parse(%q).Closing = %q; want the sentence", tt.closing, o.Closing)
		}
	}
}

func TestAddMonthsEndsOnMonthEnd(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-07-10", 6, "2026-01-10"},
		{"2025-08-31", 6, "2026-02-28"},
		{"2023-08-31", 6, "2024-02-29"},
		{"2025-01-31", 1, "2025-02-28"},
		{"2025-12-15", 3, "2026-03-15"},
	}
	for _, tt := range tests {
		from, _ := time.ParseInLocation(time.DateOnly, tt.from, workflow.Zone)
		if got := addMonths(from, tt.n).Format(time.DateOnly); got != tt.want {
			t.Errorf("addMonths(%s, %d) = %s; want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestParseDates(t *testing.T) {
	text := string(mustRead(t, fixture))
	for _, tt := range []struct{ date, want string }{
		{"2025年7月10日", "2025-07-10"},
		{"2025 年 7 月 10 日", "2025-07-10"},
		{"２０２５年７月１０日", "2025-07-10"},
		{"二〇二五年七月十日", "2025-07-10"},
		{"二○二五年七月十日", "2025-07-10"},
		{"二零二五年十二月三十一日", "2025-12-31"},
		{"2025-07-10", "2025-07-10"},
		{"2025.7.10", "2025-07-10"},
		{"2025/7/10", "2025-07-10"},
	} {
		src := strings.Replace(text, "\n2025年7月10日", "\n"+tt.date, 1)
		o, err := Parse("opinion.txt", []byte(src), Options{})
		if err != nil {
			t.Errorf("Parse(date %q) = %v; want %s", tt.date, err, tt.want)
			continue
		}
		if got := o.Date.Format(time.DateOnly); got != tt.want {
			t.Errorf("Parse(date %q).Date = %s; want %s", tt.date, got, tt.want)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	text := string(mustRead(t, fixture))
	for _, tt := range []struct{ number, want string }{
		{"静会〔2025〕57号", "静会〔2025〕57号"},
		{"静会[2025]57号", "静会〔2025〕57号"},
		{"静会［2025］第057号", "静会〔2025〕57号"},
		{"静会（2025）57号", "静会〔2025〕57号"},
		{"静会(2025)57号", "静会〔2025〕57号"},
		{"静会〔２０２５〕５７号", "静会〔2025〕57号"},
		{"静会 〔2025〕 第 57 号", "静会〔2025〕57号"},
	} {
		src := strings.Replace(text, "静会〔2025〕57号", tt.number, 1)
		o, err := Parse("opinion.txt", []byte(src), Options{})
		if err != nil {
			t.Errorf("Parse(number %q) = %v; want %s", tt.number, err, tt.want)
			continue
		}
		if o.Number != tt.want {
			t.Errorf("Parse(number %q).Number = %q; want %q", tt.number, o.Number, tt.want)
		}
	}
}

// lineOf returns the 1-based number of the line of text that starts with prefix.
func lineOf(text, prefix string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	return -1
}

func withoutItems(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if _, ok := parseMarker(l); !ok {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func noise(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestParseErrors(t *testing.T) {
	text := string(mustRead(t, fixture))
	replace := func(old, new string) []byte { return []byte(strings.Replace(text, old, new, 1)) }
	deeper := strings.Replace(text, "（一）发挥议事协调机构作用", "（一）发挥议事协调机构作用\n1.甲\n（1）乙\n①丙", 1)
	gapMD := markdownOf(strings.Replace(text, "二、聚焦", "三、聚焦", 1))
	tests := []struct {
		name string // behaviour
		file string
		data []byte
		want string // a phrase the message must hold
	}{
		{"Empty", "opinion.txt", nil, "文件是空的"},
		{"WhitespaceOnly", "opinion.txt", []byte(" \n\t\u3000\r\n\ufeff\n"), "没有文字内容"},
		{"Binary", "opinion.txt", append([]byte("\x89PNG\r\n\x1a\n"), noise(4096)...), "文件不是文本（看起来是PNG 图片）"},
		{"BinaryNoise", "", noise(4096), "文件不是文本"},
		{"PDF", "opinion.pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "PDF"},
		{"UTF16LE", "opinion.txt", mustEncode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), text), "UTF-16"},
		{"UTF16LEWithoutBOM", "opinion.txt", mustEncode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder(), text), "UTF-16"},
		{"ShiftJIS", "opinion.txt", mustEncode(t, japanese.ShiftJIS.NewEncoder(), "審議意見について。これは日本語の文書です。ご確認ください。"), "文件不是文本"},
		{"Latin1", "opinion.txt", mustEncode(t, charmap.ISO8859_1.NewEncoder(), "Résumé des délibérations: le comité a examiné le rapport. Déjà, naïve, café."), "文件不是文本"},
		{"ControlBytes", "opinion.txt", []byte("静会〔2025〕57号\x01\x02\x03"), "控制字符"},
		{"ReplacementChar", "opinion.txt", replace("区人民政府：", "区人民政府：\ufffd\ufffd"), "乱码"},
		{"TooBig", "opinion.txt", bytes.Repeat([]byte("审议意见\n"), 10<<20/13), "超过上限 2 MB"},
		{"NoItems", "opinion.txt", []byte(withoutItems(text)), "未找到编号的意见条目"},
		{"Gap", "opinion.txt", replace("二、聚焦", "三、聚焦"), fmt.Sprintf("第 %d 行：条目编号「三、」不连续，上一条为「一、」，此处应为「二、」", lineOf(text, "二、聚焦"))},
		{"GapInMarkdownNamesTheFileLine", "opinion.md", []byte(gapMD), fmt.Sprintf("第 %d 行：条目编号「三、」不连续", lineOf(gapMD, "## 三、聚焦"))},
		{"Repeat", "opinion.txt", replace("（三）加强街镇", "（二）加强街镇"), fmt.Sprintf("第 %d 行：条目编号「（二）」不连续，上一条为「（二）」", lineOf(text, "（三）加强街镇"))},
		{"FirstNotOne", "opinion.txt", replace("一、完善", "二、完善"), "第一条应为「一、」"},
		{"SubFirstNotOne", "opinion.txt", replace("（一）发挥", "（二）发挥"), "上级条目「一、」下的第一条应为「（一）」"},
		{"FiveLevels", "opinion.txt", []byte(deeper), "最多分四级"},
		{"NoNumber", "opinion.txt", replace("静会〔2025〕57号\n", ""), "未找到来文字号"},
		{"BadNumber", "opinion.txt", replace("静会〔2025〕57号", "静会〔2025〕号"), fmt.Sprintf("第 %d 行：来文字号「静会〔2025〕号」无法识别", lineOf(text, "静会"))},
		{"NoTitle", "opinion.txt", replace("关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见\n", ""), "未找到审议意见标题"},
		{"NoTitleButParagraphOn关于", "opinion.txt", []byte(strings.Replace(strings.Replace(text, "关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见\n", "", 1), "2025年6月26日，", "关于妇女权益保障，", 1)), "未找到审议意见标题"},
		{"NoDate", "opinion.txt", replace("\n2025年7月10日", "\n"), "未找到成文日期"},
		{"ImpossibleDate", "opinion.txt", replace("\n2025年7月10日", "\n2025年2月30日"), "日期「2025年2月30日」不存在"},
		{"DeadlineBeforeDate", "opinion.txt", replace("于六个月内", "于2025年1月1日前"), "早于来文日期"},
		{"DocxNotZip", "opinion.docx", []byte(text), "不是有效的 .docx"},
		{"DocxIsDoc", "opinion.docx", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), noise(512)...), "旧版 Word"},
		{"DocxTruncated", "opinion.docx", docxOf(t, strings.Split(text, "\n"), "")[:200], "压缩结构已损坏"},
		{"DocxWithoutDocument", "opinion.docx", zipOf(t, map[string]string{"word/styles.xml": "<x/>"}), "缺少 word/document.xml"},
		{"DocxBadXML", "opinion.docx", zipOf(t, map[string]string{"word/document.xml": `<w:document xmlns:w="` + wordNS + `"><w:body><w:p>`}), "文档内容已损坏"},
		{"DocxBomb", "opinion.docx", zipOf(t, map[string]string{"word/document.xml": strings.Repeat(" ", 9<<20)}), "解压后超过 8 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse(tt.file, tt.data, Options{DefaultMonths: 6})
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, nil; want an error saying %q", tt.name, o, tt.want)
			}
			if o != nil {
				t.Errorf("Parse(%q) = %+v, %v; want nil with the error", tt.name, o, err)
			}
			if k := workflow.KindOf(err); k != workflow.Invalid {
				t.Errorf("Parse(%q) = %v of kind %v; want %v", tt.name, err, k, workflow.Invalid)
			}
			if msg := workflow.Message(err); !strings.Contains(msg, tt.want) {
				t.Errorf("Parse(%q) = %q; want a message with %q", tt.name, msg, tt.want)
			}
		})
	}
}

func TestParseTooBigIsFast(t *testing.T) {
	data := bytes.Repeat([]byte("一、审议意见\n"), 10<<20/16)
	start := time.Now()
	_, err := Parse("big.txt", data, Options{})
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("Parse(10 MB) = %v after %v; want a size error at once", err, time.Since(start))
	}
}

// docxOf writes lines as a minimal .docx: one w:p each, text split across
// two runs as Word does, with tab stops in the paragraph properties that
// must not turn into tabs. numbering, if set, is word/numbering.xml.
func docxOf(tb testing.TB, lines []string, numbering string) []byte {
	tb.Helper()
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			b.WriteString("<w:p/>")
			continue
		}
		r := []rune(l)
		half := len(r) / 2
		fmt.Fprintf(&b, `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs><w:ind w:firstLine="640"/></w:pPr>`+
			`<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t>%s</w:t></w:r><w:bookmarkStart w:id="0" w:name="_x"/>`+
			`<w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, escape(string(r[:half])), escape(string(r[half:])))
	}
	parts := map[string]string{"word/document.xml": document(b.String())}
	if numbering != "" {
		parts["word/numbering.xml"] = numbering
	}
	return zipOf(tb, parts)
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

func document(body string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="` + wordNS + `" xmlns:mc="` + compatNS + `" ` +
		`xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><w:body>` +
		body + `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`
}

func zipOf(tb testing.TB, parts map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	all := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels":         `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>`,
	}
	for name, content := range parts {
		all[name] = content
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/numbering.xml", "word/styles.xml"} {
		content, ok := all[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestDocxText(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"TabAndBreak", `<w:p><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r></w:p>`, "甲\t乙\n丙\n"},
		{"TabStopsAreNoTabs", `<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr><w:r><w:t>甲</w:t></w:r></w:p>`, "甲\n"},
		{"DeletedTextIsNotRead", `<w:p><w:del><w:r><w:delText>删</w:delText></w:r></w:del><w:r><w:t>留</w:t></w:r></w:p>`, "留\n"},
		{"FieldCodeIsNotRead", `<w:p><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:t>1</w:t></w:r></w:p>`, "1\n"},
		{"TextBoxOnceNotTwice", `<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>` +
			`<w:p><w:r><w:t>框</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>` +
			`<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>框</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>` +
			`<w:r><w:t>外</w:t></w:r></w:p>`, "框\n外\n"},
		{"Table", `<w:tbl><w:tr><w:tc><w:p><w:r><w:t>格</w:t></w:r></w:p></w:tc></w:tr></w:tbl>`, "格\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := docxText(zipOf(t, map[string]string{"word/document.xml": document(tt.body)}))
			if err != nil || got != tt.want {
				t.Errorf("docxText(%s) = %q, %v; want %q", tt.body, got, err, tt.want)
			}
		})
	}
}

// TestParseDocxNumbering reads an opinion whose 一、 and （一） are Word's
// automatic numbering, not typed.
func TestParseDocxNumbering(t *testing.T) {
	text := string(mustRead(t, fixture))
	numbering := `<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="` + wordNS + `">` +
		`<w:abstractNum w:abstractNumId="0">` +
		`<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>` +
		`<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>` +
		`</w:abstractNum><w:num w:numId="3"><w:abstractNumId w:val="0"/></w:num></w:numbering>`
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		m, ok := parseMarker(l)
		if !ok {
			fmt.Fprintf(&b, `<w:p><w:r><w:t>%s</w:t></w:r></w:p>`, escape(l))
			continue
		}
		lvl := map[style]int{styleCN: 0, styleCNParen: 1}[m.style]
		fmt.Fprintf(&b, `<w:p><w:pPr><w:numPr><w:ilvl w:val="%d"/><w:numId w:val="3"/></w:numPr></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, lvl, escape(m.rest))
	}
	got := mustParse(t, "opinion.docx", zipOf(t, map[string]string{"word/document.xml": document(b.String()), "word/numbering.xml": numbering}))
	want := mustParse(t, "opinion.txt", []byte(text))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(auto-numbered docx).Items = %q; want %q", labels(got), labels(want))
	}
}

// FuzzParse holds Parse to its promises on any input: no panic, never
// nil, nil; errors of kind Invalid with a message; opinions that validate,
// with unique IDs, levels 1–4 matching the ID's depth, and every parent present.
func FuzzParse(f *testing.F) {
	text := mustRead(f, fixture)
	f.Add("opinion.txt", text)
	f.Add("", mustEncode(f, simplifiedchinese.GB18030.NewEncoder(), string(text)))
	f.Add("opinion.md", []byte(markdownOf(string(text))))
	f.Add("opinion.docx", docxOf(f, strings.Split(string(text), "\n"), ""))
	f.Add("county.txt", mustRead(f, "testdata/county.txt"))
	f.Add("deep.md", mustRead(f, "testdata/deep.md"))
	f.Add("opinion.txt", []byte(withoutItems(string(text))))
	f.Add("opinion.txt", []byte(strings.Replace(string(text), "二、聚焦", "三、聚焦", 1)))
	f.Add("opinion.txt", []byte(strings.Replace(string(text), "静会〔2025〕57号", "", 1)))
	f.Add("opinion.txt", []byte(""))
	f.Add("opinion.txt", []byte(" \n\u3000"))
	f.Add("opinion.txt", append([]byte("\x89PNG\r\n\x1a\n"), noise(64)...))
	f.Add("opinion.txt", mustEncode(f, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), "静会〔2025〕57号"))
	f.Add("opinion.txt", mustEncode(f, japanese.ShiftJIS.NewEncoder(), "審議意見について。これは日本語の文書です。"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		o, err := Parse(name, data, Options{DefaultMonths: 6})
		if err != nil {
			if o != nil {
				t.Fatalf("Parse = %+v, %v; want nil with an error", o, err)
			}
			if workflow.KindOf(err) != workflow.Invalid || workflow.Message(err) == "" {
				t.Fatalf("Parse = %v; want an Invalid error with a message", err)
			}
			return
		}
		if o == nil {
			t.Fatal("Parse = nil, nil")
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("Parse = opinion that fails Validate: %v", err)
		}
		seen := map[string]bool{}
		for _, it := range o.Items {
			if seen[it.ID] {
				t.Fatalf("Parse: item ID %q twice", it.ID)
			}
			seen[it.ID] = true
			if it.Level < 1 || it.Level > 4 || it.Level != strings.Count(it.ID, ".")+1 {
				t.Fatalf("Parse: item %q at level %d", it.ID, it.Level)
			}
			if i := strings.LastIndex(it.ID, "."); i >= 0 && !seen[it.ID[:i]] {
				t.Fatalf("Parse: item %q comes before or without its parent", it.ID)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	text := mustRead(b, fixture)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Parse("opinion.txt", text, Options{DefaultMonths: 6}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseLayouts varies where the parts of the fixture stand.
func TestParseLayouts(t *testing.T) {
	text := string(mustRead(t, fixture))
	const (
		issuer = "上海市静安区人民代表大会常务委员会\n"
		title  = "关于检查本区贯彻实施《上海市妇女权益保障条例》情况的审议意见\n"
		footer = "上海市静安区人大常委会\n\n2025年7月10日"
	)
	tests := []struct {
		name        string // behaviour
		old, new    string
		field, want string
		get         func(o *workflow.Opinion) string
	}{
		{"SignatureAndDateOnOneLine", footer, "上海市静安区人大常委会\u3000\u30002025年7月10日", "Signature", "上海市静安区人大常委会",
			func(o *workflow.Opinion) string { return o.Signature }},
		{"NoSignature", footer, "2025年7月10日", "Closing", "请区人民政府认真研究处理，并于六个月内将研究处理情况书面报告区人大常委会。",
			func(o *workflow.Opinion) string { return o.Closing }},
		{"NotesBelowDateIgnored", footer, footer + "\n\n（此件公开发布）\n抄送：区人大常委会各委员会。", "Date", "2025-07-10",
			func(o *workflow.Opinion) string { return o.Date.Format(time.DateOnly) }},
		{"DateUnderTitle", footer, "", "Date", "2025-07-10",
			func(o *workflow.Opinion) string { return o.Date.Format(time.DateOnly) }},
		{"NoIssuerLine", issuer, "", "Issuer", "上海市静安区人大常委会",
			func(o *workflow.Opinion) string { return o.Issuer }},
		{"RedHeader", issuer, "上海市静安区人民代表大会常务委员会文件\n", "Issuer", "上海市静安区人民代表大会常务委员会",
			func(o *workflow.Opinion) string { return o.Issuer }},
		{"TitleOnTwoLines", title, "关于检查本区贯彻实施《上海市妇女权益保障条例》\n情况的审议意见\n", "Title", strings.TrimSpace(title),
			func(o *workflow.Opinion) string { return o.Title }},
		{"NoAddressee", "区人民政府：\n", "", "Preamble", "2025年6月26日",
			func(o *workflow.Opinion) string { return o.Preamble[:len("2025年6月26日")] }},
		{"ParagraphsAfterLastItem", "保障女性消费者合法权益。\n", "保障女性消费者合法权益。\n\n相关部门要加强协同。\n", "Item 3.3",
			"在商业规划和公共设施建设中融入性别平等和儿童友好视角，保障女性消费者合法权益。\n相关部门要加强协同。",
			func(o *workflow.Opinion) string { it, _ := o.Item("3.3"); return it.Text }},
		{"HeadingOnItsOwnLine", "一、完善工作机制", "一、\n完善工作机制", "Item 1", "完善工作机制，加强统筹协同与基层基础建设",
			func(o *workflow.Opinion) string { it, _ := o.Item("1"); return it.Text }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(text, tt.old, tt.new, 1)
			if tt.name == "DateUnderTitle" {
				src = strings.Replace(src, title, title+"（2025年7月10日）\n", 1)
			}
			o, err := Parse("opinion.txt", []byte(src), Options{DefaultMonths: 6})
			if err != nil {
				t.Fatalf("Parse(%s) = %v; want %s %q", tt.name, err, tt.field, tt.want)
			}
			if got := tt.get(o); got != tt.want {
				t.Errorf("Parse(%s).%s = %q; want %q", tt.name, tt.field, got, tt.want)
			}
		})
	}
}

// TestParseGeneratedOutlines renders random outlines — any order of styles,
// up to four levels, up to twelve items a level — into the fixture's frame
// and reads them back.
func TestParseGeneratedOutlines(t *testing.T) {
	text := string(mustRead(t, fixture))
	head := text[:strings.Index(text, "一、")]
	tail := text[strings.Index(text, "请区人民政府"):]
	styles := []style{styleCN, styleCNParen, styleNum, styleNumParen, styleNumRParen, styleCircled}
	r := rand.New(rand.NewPCG(7, 11))
	for run := range 300 {
		order := slices.Clone(styles)
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		depth := 1 + r.IntN(maxDepth)
		var (
			b     strings.Builder
			items []workflow.Item
		)
		var gen func(level int, prefix string)
		gen = func(level int, prefix string) {
			for n := 1; n <= 1+r.IntN(12/level); n++ {
				id := prefix + strconv.Itoa(n)
				label := want(order[level-1], n)
				body := fmt.Sprintf("第%s项内容。", strings.ReplaceAll(id, ".", "之"))
				fmt.Fprintf(&b, "%s%s\n\n", label, body)
				items = append(items, workflow.Item{ID: id, Level: level, Label: label, Text: body})
				if level < depth && r.IntN(2) == 0 {
					gen(level+1, id+".")
				}
			}
		}
		gen(1, "")
		src := head + b.String() + tail
		o, err := Parse("opinion.txt", []byte(src), Options{})
		if err != nil {
			t.Fatalf("run %d: Parse(%q) = %v; want %d items", run, b.String(), err, len(items))
		}
		if !reflect.DeepEqual(o.Items, items) {
			t.Fatalf("run %d: Parse(%q).Items = %+v; want %+v", run, b.String(), o.Items, items)
		}
	}
}
