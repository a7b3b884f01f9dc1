package noticetest

import (
	"testing"

	"github.com/docflow/docflow/internal/notice"
)

func BenchmarkBlocks(b *testing.B) {
	r, err := notice.New()
	if err != nil {
		b.Fatal(err)
	}
	n, _ := Fixture(b)
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
