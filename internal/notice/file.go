package notice

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// ReadFile reads a notice written as a file, for `docflow render`: front
// matter of "key: value" lines between "---" lines, then the Markdown body.
//
//	---
//	mark: 上海市静安区人民政府文件
//	number: 静府议〔2025〕17号
//	title: 上海市静安区人民政府关于……的报告
//	addressee: 区人大常委会
//	signer: 上海市静安区人民政府
//	date: 2025-12-22            (or 2025年12月22日)
//	cc: 区委办公室，区政协办公室  (、 ， or , between organs)
//	office: 上海市静安区人民政府办公室
//	printed: 2025-12-22
//	note: 此件公开发布           (附注, optional)
//	attachment: 工作台账          (附件, repeat the key for each)
//	signatory: 王某某             (签发人 of a 上行文, repeatable)
//	words: 区人大常委会，第二届人大常委会第三十六次会议  (标题词语: names no title line may split)
//	result: A                    (办理结果: makes the notice a letter, 信函格式)
//	contact: 张某某               (联系人 of a letter)
//	phone: 021-12345678          (联系电话 of a letter)
//	---
//	正文……
//
// Keys are case-insensitive and may be the standard's Chinese names
// (发文字号, 标题, 主送机关, 成文日期, 抄送, 附注, 附件, 签发人 …); unknown keys and malformed dates are errors
// naming the line. Any of result, contact and phone (办理结果, 联系人,
// 联系电话) makes the notice a letter (workflow.Letter). A file without
// front matter is all body. The seal image and attachment bodies are not
// in the file: the caller adds them to the returned Extras.
func ReadFile(src []byte) (*workflow.Notice, Extras, error) {
	var x Extras
	text := strings.TrimPrefix(strings.ReplaceAll(string(src), "\r\n", "\n"), "\uFEFF")
	n := &workflow.Notice{}
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		n.Body = text
		return n, x, nil
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		if h, found := strings.CutSuffix(rest, "\n---"); found {
			head, body, ok = h, "", true
		}
	}
	if !ok {
		return nil, x, fmt.Errorf("notice file: front matter opened with --- is never closed")
	}
	n.Body = body
	for i, line := range strings.Split(head, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		k, v, found := strings.Cut(line, ":")
		if !found {
			k, v, found = strings.Cut(line, "：")
		}
		if !found {
			return nil, x, fmt.Errorf("notice file line %d: want \"key: value\", got %q", i+2, line)
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if en, ok := chineseKeys[k]; ok {
			k = en
		}
		var err error
		switch k {
		case "mark":
			n.Mark = v
		case "number":
			n.Number = v
		case "title":
			n.Title = v
		case "addressee":
			n.Addressee = v
		case "signer":
			n.Signer = v
		case "office":
			n.Office = v
		case "cc":
			n.CC = append(n.CC, splitList(v)...)
		case "date":
			n.Date, err = parseDate(v)
		case "printed":
			n.Printed, err = parseDate(v)
		case "note":
			x.Note = v
		case "attachment", "attachments":
			x.Attachments = append(x.Attachments, splitAttachments(v)...)
		case "signatory", "signatories":
			x.Signatories = append(x.Signatories, splitList(v)...)
		case "words":
			x.TitleWords = append(x.TitleWords, splitList(v)...)
		case "result", "contact", "phone":
			if n.Letter == nil {
				n.Letter = &workflow.Letter{}
			}
			switch k {
			case "result":
				n.Letter.Result = v
			case "contact":
				n.Letter.Contact = v
			default:
				n.Letter.Phone = v
			}
		default:
			return nil, x, fmt.Errorf("notice file line %d: unknown key %q", i+2, k)
		}
		if err != nil {
			return nil, x, fmt.Errorf("notice file line %d: %s: %w", i+2, k, err)
		}
	}
	return n, x, nil
}

// chineseKeys lets a clerk write the front matter in the standard's own
// terms.
var chineseKeys = map[string]string{
	"发文机关标志": "mark", "发文字号": "number", "标题": "title", "主送机关": "addressee",
	"署名": "signer", "发文机关署名": "signer", "成文日期": "date", "抄送": "cc", "抄送机关": "cc",
	"印发机关": "office", "印发日期": "printed", "附注": "note", "附件": "attachments", "签发人": "signatories",
	"标题词语": "words", "办理结果": "result", "联系人": "contact", "联系电话": "phone",
}

// splitList splits "甲，乙、丙, 丁" into its items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// splitAttachments splits on semicolons only: attachment names may hold
// commas.
func splitAttachments(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cnDate is compiled when a date is first read, not at every cold start.
var cnDate = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日$`) })

// parseDate reads 2025-12-22 or 2025年12月22日, in China Standard Time.
func parseDate(v string) (time.Time, error) {
	if m := cnDate().FindStringSubmatch(v); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := workflow.Day(y, time.Month(mo), d)
		if t.Month() != time.Month(mo) || t.Day() != d {
			return time.Time{}, fmt.Errorf("no such date %q", v)
		}
		return t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, workflow.Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("want 2025-12-22 or 2025年12月22日, got %q", v)
	}
	return t, nil
}
