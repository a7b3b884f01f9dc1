package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

const renderUsage = `docflow render [-o DIR] [-fonts DIR] NOTICE.md

Lays out a notice written as Markdown with a front matter block per
GB/T 9704 and writes NOTICE.html, NOTICE.pdf and NOTICE.docx. The front
matter names the document's fields, in English or Chinese; fields left out
come from the organisation profile (templates/profile.json):

  ---
  发文字号: 静府议〔2025〕17号          (number)
  标题: 上海市静安区人民政府关于…的报告    (title)
  主送机关: 区人大常委会                 (to)
  成文日期: 2025-12-22                  (date; also 2025年12月22日)
  抄送: 区委办公室，区政协办公室          (cc)
  附注: 联系人：王敏，电话：12345678       (note)
  附件: 1. 工作清单；2. 统计表            (attachments)
  签发人: 陈勇                          (signatories; makes it a 上行文)
  印章: seal.png                        (seal, a PNG path)
  ---
  正文 in Markdown: # 一级标题, ## 二级标题 …, written without numbers.
`

func render(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, renderUsage) }
	out := fs.String("o", "", "directory for the output files (default: beside the input)")
	fonts := fs.String("fonts", os.Getenv("DOCFLOW_FONTS"), "directory of the Fandol fonts for the PDF (infra/fonts/fetch.sh); empty: no PDF")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("name one Markdown file")
	}
	src, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	profile, err := templates.Profile(templates.FS)
	if err != nil {
		return err
	}
	n, x, err := parseNoticeFile(string(src), &profile, filepath.Dir(fs.Arg(0)))
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	var opts []notice.Option
	if *fonts != "" {
		opts = append(opts, notice.WithFontDir(*fonts))
	}
	r, err := notice.New(opts...)
	if err != nil {
		return err
	}
	d, err := r.LayoutWith(n, x)
	if err != nil {
		return err
	}
	files := map[string]func(*notice.Document) ([]byte, error){".html": r.DocumentHTML, ".docx": r.DOCX}
	if *fonts != "" {
		files[".pdf"] = r.PDF
	} else {
		fmt.Fprintln(stderr, "docflow render: no -fonts (or DOCFLOW_FONTS): writing HTML and .docx only")
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(fs.Arg(0))
	}
	base := strings.TrimSuffix(filepath.Base(fs.Arg(0)), filepath.Ext(fs.Arg(0)))
	for _, ext := range []string{".html", ".pdf", ".docx"} {
		f, ok := files[ext]
		if !ok {
			continue
		}
		b, err := f(d)
		if err != nil {
			return fmt.Errorf("render %s: %w", ext, err)
		}
		p := filepath.Join(dir, base+ext)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%d bytes)\n", p, len(b))
	}
	for _, s := range d.Substitutions {
		fmt.Fprintf(stdout, "font substitution: %s\n", s)
	}
	return nil
}

// parseNoticeFile splits the front matter from the body and fills the
// notice, taking what the file leaves out from the profile.
func parseNoticeFile(src string, p *workflow.Profile, dir string) (*workflow.Notice, notice.Extras, error) {
	var x notice.Extras
	n := &workflow.Notice{Mark: p.Mark, Signer: p.Org, Office: p.Office, CC: p.CC}
	src = strings.TrimPrefix(strings.ReplaceAll(src, "\r\n", "\n"), "\ufeff")
	if !strings.HasPrefix(src, "---\n") {
		return nil, x, errors.New("the file must start with a front matter block between --- lines (see docflow render -h)")
	}
	end := strings.Index(src[4:], "\n---")
	if end < 0 {
		return nil, x, errors.New("the front matter has no closing --- line")
	}
	head, body := src[4:4+end], src[4+end+4:]
	n.Body = strings.TrimLeft(body, "\n")
	sc := bufio.NewScanner(strings.NewReader(head))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.Replace(text, "：", ":", 1), ":")
		if !ok {
			return nil, x, fmt.Errorf("front matter line %d: want `field: value`, got %q", line+1, text)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var err error
		switch k {
		case "mark", "发文机关标志":
			n.Mark = v
		case "number", "发文字号":
			n.Number = v
		case "title", "标题":
			n.Title = v
		case "to", "主送机关":
			n.Addressee = v
		case "signer", "署名", "发文机关署名":
			n.Signer = v
		case "date", "成文日期":
			n.Date, err = parseDate(v)
		case "printed", "印发日期":
			n.Printed, err = parseDate(v)
		case "office", "印发机关":
			n.Office = v
		case "cc", "抄送":
			n.CC = splitList(strings.TrimSuffix(v, "。"), "，,、")
		case "note", "附注":
			x.Note = strings.Trim(v, "（）()")
		case "attachments", "附件":
			x.Attachments = splitList(v, "；;")
		case "signatories", "签发人":
			x.Signatories = splitList(v, "，,、 ")
		case "seal", "印章":
			x.Seal, err = os.ReadFile(filepath.Join(dir, v))
		default:
			return nil, x, fmt.Errorf("front matter line %d: unknown field %q", line+1, k)
		}
		if err != nil {
			return nil, x, fmt.Errorf("front matter line %d (%s): %w", line+1, k, err)
		}
	}
	if n.Printed.IsZero() {
		n.Printed = n.Date
	}
	if n.Title == "" || n.Date.IsZero() {
		return nil, x, errors.New("the front matter needs at least 标题 (title) and 成文日期 (date)")
	}
	return n, x, nil
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006年1月2日"} {
		if t, err := time.ParseInLocation(layout, s, workflow.Zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: write 2025-12-22 or 2025年12月22日", s)
}

func splitList(s, seps string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
