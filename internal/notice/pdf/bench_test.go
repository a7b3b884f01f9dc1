package pdf

import (
	"testing"

	"github.com/docflow/docflow/internal/notice/noticetest"
)

// BenchmarkRenderPDF lays out and writes the seed case's PDF, fonts
// already loaded (warm); bytes/pdf is the file's size.
func BenchmarkRenderPDF(b *testing.B) {
	r := mustPDFRenderer(b)
	n, _ := noticetest.Fixture(b)
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

// BenchmarkLoadFonts reads and parses the five fonts, as the first PDF of
// a process does (not its cold start: New only checks the files exist).
func BenchmarkLoadFonts(b *testing.B) {
	dir := fontDir(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseFonts(dir); err != nil {
			b.Fatal(err)
		}
	}
}
