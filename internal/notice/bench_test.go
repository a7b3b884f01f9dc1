package notice

import (
	"bytes"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// BenchmarkRenderHTML renders the whole page of the seed case; compare it
// with BenchmarkGoldmarkBaseline, plain goldmark on the same body.
func BenchmarkRenderHTML(b *testing.B) {
	r := mustNew(b)
	n, _ := fixtureNotice(b)
	b.SetBytes(int64(len(n.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.HTML(n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBody renders only the numbered body, as previews do.
func BenchmarkBody(b *testing.B) {
	r := mustNew(b)
	n, _ := fixtureNotice(b)
	b.SetBytes(int64(len(n.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Body(n.Body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoldmarkBaseline(b *testing.B) {
	md := goldmark.New(goldmark.WithExtensions(extension.CJK, extension.Table, extension.Strikethrough))
	n, _ := fixtureNotice(b)
	src := []byte(n.Body)
	var out bytes.Buffer
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := md.Convert(src, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlocks(b *testing.B) {
	r := mustNew(b)
	n, _ := fixtureNotice(b)
	page, err := r.HTML(n)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Blocks(page); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderPDF lays out and writes the seed case's PDF, fonts
// already loaded (warm); bytes/pdf is the file's size.
func BenchmarkRenderPDF(b *testing.B) {
	r := mustPDFRenderer(b)
	n, _ := fixtureNotice(b)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		d, err := r.Layout(n)
		if err != nil {
			b.Fatal(err)
		}
		pdf, err := r.PDF(d)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}

// BenchmarkLayout builds the layout model only.
func BenchmarkLayout(b *testing.B) {
	r := mustNew(b)
	n, _ := fixtureNotice(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Layout(n); err != nil {
			b.Fatal(err)
		}
	}
}
