package noticetest

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"
)

// Seal is a stand-in for an organisation's seal: a PNG of a red ring
// on transparency, size pixels square.
func Seal(tb testing.TB, size int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	for y := range size {
		for x := range size {
			d := math.Hypot(float64(x)-c+0.5, float64(y)-c+0.5)
			if d < c && d > c*0.9 {
				img.Pix[y*img.Stride+x*4] = 0xd0
				img.Pix[y*img.Stride+x*4+3] = 0xff
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}
