package pdf

import (
	"testing"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/noticetest"
)

// BenchmarkRenderPDF lays out and writes the seed case's PDF, fonts
// already loaded (warm), in Fandol and in TrueType fonts as an office's
// own; bytes/pdf is the file's size and bytes/fonts what its font
// subsets take of it.
func BenchmarkRenderPDF(b *testing.B) {
	r := mustPDFRenderer(b)
	b.Run("Fandol", func(b *testing.B) { benchmarkPDF(b, r.Renderer, r.Writer) })
	b.Run("TrueType", func(b *testing.B) {
		w, err := New(trueTypeDir(b, officeFonts))
		if err != nil {
			b.Fatal(err)
		}
		benchmarkPDF(b, r.Renderer, w)
	})
}

func benchmarkPDF(b *testing.B, r *notice.Renderer, w *Writer) {
	n, _ := noticetest.Fixture(b)
	var f *File
	b.ReportAllocs()
	for b.Loop() {
		d, err := r.Layout(n)
		if err != nil {
			b.Fatal(err)
		}
		if f, err = w.File(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(f.Data)), "bytes/pdf")
	b.ReportMetric(float64(f.FontBytes()), "bytes/fonts")
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
