package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleNotice = `---
发文字号: 静府发〔2026〕3号
标题: 上海市静安区人民政府关于做好2026年元旦春节期间有关工作的通知
主送机关: 各街道办事处，区政府各委、办、局
成文日期: 2026年1月5日
抄送: 区委办公室，区人大常委会办公室。
附注: 此件公开发布
附件: 1. 工作清单；2. 统计表
---
为做好元旦春节期间各项工作，现就有关事项通知如下：

# 加强安全生产

各单位要压实责任。

## 强化值班值守。严格执行领导带班制度。
`

func TestRenderCommand(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "tongzhi.md")
	if err := os.WriteFile(src, []byte(sampleNotice), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := render([]string{"-fonts", "", src}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "tongzhi.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"静府发〔2026〕3号", "一、", "加强安全生产", "（一）", "抄送：区委办公室，区人大常委会办公室。", "2026年1月5日印发", "上海市静安区人民政府文件"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("tongzhi.html lacks %q", want)
		}
	}
	if strings.Contains(string(html), "1.1.") || !strings.Contains(string(html), "附件：1. 工作清单") {
		t.Errorf("tongzhi.html numbers the 附件 list twice or not at all (want 附件：1. 工作清单)")
	}
	if _, err := zip.OpenReader(filepath.Join(dir, "tongzhi.docx")); err != nil {
		t.Errorf("tongzhi.docx: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tongzhi.pdf")); err == nil {
		t.Error("a PDF was written without fonts")
	}
}

func TestRenderCommandRefusesBadFiles(t *testing.T) {
	for name, src := range map[string]string{
		"no front matter": "# 标题\n正文",
		"unclosed":        "---\n标题: x\n正文",
		"unknown field":   "---\n标题: x\n成文日期: 2026-01-05\n密级: 绝密\n---\n正文",
		"bad date":        "---\n标题: x\n成文日期: 明天\n---\n正文",
		"no title":        "---\n成文日期: 2026-01-05\n---\n正文",
	} {
		p := filepath.Join(t.TempDir(), "x.md")
		os.WriteFile(p, []byte(src), 0o644)
		if err := render([]string{p}, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: rendered; want an error", name)
		}
	}
}

// TestRenderTitleFromAnotherDistrict: the title of another district's
// notice breaks between words (the 江南市临江 / 区第三届… split
// the district's name).
func TestRenderTitleFromAnotherDistrict(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "linjiang.md")
	notice := `---
发文机关标志: 江南市临江区人民政府文件
发文字号: 临府议〔2026〕3号
标题: 江南市临江区人民政府关于《江南市临江区第三届人大常委会第十二次会议关于检查本区贯彻实施〈中华人民共和国安全生产法〉情况的审议意见》落实情况的报告
主送机关: 区人大常委会
署名: 江南市临江区人民政府
成文日期: 2026-03-16
---
正文。
`
	if err := os.WriteFile(src, []byte(notice), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := render([]string{"-fonts", "", src}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(filepath.Join(dir, "linjiang.docx"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(f)
	_, title, _ := strings.Cut(string(doc), `<w:pStyle w:val="Title"/>`)
	title, _, _ = strings.Cut(title, "</w:p>")
	title = strings.ReplaceAll(title, "<w:br/>", "|")
	var b strings.Builder
	for inTag, i := false, 0; i < len(title); i++ {
		switch c := title[i]; {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case !inTag:
			b.WriteByte(c)
		}
	}
	want := "江南市临江区人民政府关于《江南市临江区|第三届人大常委会第十二次会议关于检查本区|贯彻实施〈中华人民共和国安全生产法〉|情况的审议意见》落实情况的报告"
	if b.String() != want {
		t.Errorf("title lines %q; want %q", b.String(), want)
	}
}
