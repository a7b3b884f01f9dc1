package notice

import (
	"bytes"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/docflow/docflow/internal/notice/noticetest"
)

// BenchmarkRenderHTML renders the whole page of the seed case; compare it
// with BenchmarkGoldmarkBaseline, plain goldmark on the same body.
// bytes/html is the page's size.
func BenchmarkRenderHTML(b *testing.B) {
	r := mustNew(b)
	n, _ := noticetest.Fixture(b)
	b.SetBytes(int64(len(n.Body)))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		page, err := r.HTML(n)
		if err != nil {
			b.Fatal(err)
		}
		size = len(page)
	}
	b.ReportMetric(float64(size), "bytes/html")
}

// BenchmarkBody renders only the numbered body, as previews do.
func BenchmarkBody(b *testing.B) {
	r := mustNew(b)
	n, _ := noticetest.Fixture(b)
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
	n, _ := noticetest.Fixture(b)
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
	b.ReportMetric(float64(out.Len()), "bytes/html")
}

// BenchmarkLayout builds the layout model only.
func BenchmarkLayout(b *testing.B) {
	r := mustNew(b)
	n, _ := noticetest.Fixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Layout(n); err != nil {
			b.Fatal(err)
		}
	}
}
