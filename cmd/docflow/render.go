package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/notice/pdf"
	"github.com/docflow/docflow/templates"
)

const renderUsage = `docflow render [-o DIR] [-fonts DIR] [-seal PNG] NOTICE.md

Lays out a notice written as Markdown with a front matter block per
GB/T 9704 and writes NOTICE.html, NOTICE.pdf and NOTICE.docx. The front
matter names the document's fields, in English or Chinese; fields left out
come from the organisation profile (templates/profile.json):

  ---
  发文字号: 某府议〔2025〕17号          (number)
  标题: 某区人民政府关于…的报告          (title)
  主送机关: 区人大常委会                 (addressee)
  成文日期: 2025-12-22                  (date; also 2025年12月22日)
  抄送: 区委办公室，区政协办公室          (cc)
  附注: 联系人：王敏，电话：12345678       (note)
  附件: 1. 工作清单；2. 统计表            (attachments)
  签发人: 陈勇                          (signatories; makes it a 上行文)
  标题词语: 第二届人大常委会第三十六次会议   (words: names no title line may split)
  ---
  正文 in Markdown: # 一级标题, ## 二级标题 …, written without numbers.
`

func render(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), renderUsage)
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	out := fs.String("o", "", "directory for the output files (default: beside the input)")
	seal := fs.String("seal", "", "PNG of the organisation's seal (印章); empty: unsealed")
	fonts := fs.String("fonts", os.Getenv("DOCFLOW_FONTS"), "font directory for the PDF: the Fandol fonts (infra/fonts/fetch.sh) and the office's own, named in its fonts.json (infra/fonts/README.md); empty: no PDF")
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
	n, x, err := notice.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if n.Title == "" || n.Date.IsZero() {
		return fmt.Errorf("%s: the front matter needs at least 标题 (title) and 成文日期 (date)", fs.Arg(0))
	}
	// What the file leaves out comes from the organisation.
	n.Mark = cmp.Or(n.Mark, profile.Mark)
	n.Signer = cmp.Or(n.Signer, profile.Org)
	n.Office = cmp.Or(n.Office, profile.Office)
	if n.CC == nil {
		n.CC = profile.CC
	}
	if n.Printed.IsZero() {
		n.Printed = n.Date
	}
	if *seal != "" {
		if x.Seal, err = os.ReadFile(*seal); err != nil {
			return err
		}
	}
	// Title lines break between words: those of a dictionary (the .docx
	// format segments them), the organs the front matter names and its
	// 标题词语.
	x.TitleWords = append(append(x.TitleWords, n.Addressee), n.CC...)
	r, err := notice.New(notice.WithFormats(docx.Format))
	if err != nil {
		return err
	}
	d, err := r.LayoutWith(n, x)
	if err != nil {
		return err
	}
	files := map[string]func(*notice.Document) ([]byte, error){".html": r.DocumentHTML, ".docx": docx.Write}
	var pdfFile *pdf.File
	if *fonts != "" {
		w, err := pdf.New(*fonts)
		if err != nil {
			return err
		}
		files[".pdf"] = func(d *notice.Document) ([]byte, error) {
			f, err := w.File(d)
			if err != nil {
				return nil, err
			}
			pdfFile = f
			return f.Data, nil
		}
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
		if ext == ".pdf" {
			// What the fonts take of the PDF: an office's own fonts may
			// be much heavier or lighter than Fandol.
			fmt.Fprintf(stdout, "  font subsets: %d bytes of the %d\n", pdfFile.FontBytes(), len(b))
			for _, s := range pdfFile.Fonts {
				fmt.Fprintf(stdout, "    %s (%s): %d glyphs, %d bytes\n", s.Name, s.Face, s.Glyphs, s.Bytes)
			}
		}
	}
	for _, s := range d.Substitutions {
		fmt.Fprintf(stdout, "font substitution: %s\n", s)
	}
	return nil
}
