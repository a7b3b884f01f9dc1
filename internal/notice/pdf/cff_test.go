package pdf

import (
	"bytes"
	"testing"

	"github.com/docflow/docflow/internal/notice"
)

// TestCFFSubset: the subset renumbers the used glyphs 0..n-1, keeps their
// outlines byte for byte and maps each to its original CID, including
// glyphs whose ID differs from their CID (€ – ¥ in Fandol).
func TestCFFSubset(t *testing.T) {
	r := mustPDFRenderer(t)
	for f := range notice.Font(nFonts) {
		face := r.fonts.faces[f]
		src := face.cff
		used := map[uint16]rune{}
		for _, c := range "上海市文件一二三，。—（）〔〕2025€–¥" {
			used[face.GlyphIndex(c)] = c
		}
		if g := face.GlyphIndex('€'); int(src.cids[g]) == int(g) {
			t.Errorf("%s: € has glyph %d = CID; the test wants a glyph whose ID differs from its CID", f.Substitute(), g)
		}
		gids := sortedGlyphs(used)
		b, err := src.subset(gids)
		if err != nil {
			t.Fatalf("%s: subset: %v", f.Substitute(), err)
		}
		got, err := parseCFF(b)
		if err != nil {
			t.Fatalf("%s: subset does not parse: %v", f.Substitute(), err)
		}
		if len(got.charStrings) != len(gids) {
			t.Fatalf("%s: subset has %d glyphs; want %d", f.Substitute(), len(got.charStrings), len(gids))
		}
		for i, g := range gids {
			if got.cids[i] != src.cids[g] {
				t.Errorf("%s: new glyph %d has CID %d; want %d (old glyph %d)", f.Substitute(), i, got.cids[i], src.cids[g], g)
			}
			if !bytes.Equal(got.charStrings[i], src.charStrings[g]) {
				t.Errorf("%s: outline of glyph %d changed", f.Substitute(), g)
			}
		}
		if got.registry != "Adobe" || got.ordering != "GB1" || len(got.fds) != len(src.fds) {
			t.Errorf("%s: ROS %s-%s, %d FDs", f.Substitute(), got.registry, got.ordering, len(got.fds))
		}
		if len(b) > 40000 {
			t.Errorf("%s: subset of %d glyphs is %d bytes", f.Substitute(), len(gids), len(b))
		}
	}
}

func TestCFFMalformed(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 0, 4, 1}, bytes.Repeat([]byte{0xff}, 64), {1, 0, 4, 1, 0, 1, 1, 1, 0}} {
		if _, err := parseCFF(b); err == nil {
			t.Errorf("parseCFF(%x) succeeded", b)
		}
	}
	if _, err := cffTable([]byte("OTTO")); err == nil {
		t.Error("cffTable(short) succeeded")
	}
}

// FuzzParseCFF: no input panics the parser or the subsetter.
func FuzzParseCFF(f *testing.F) {
	f.Add([]byte{1, 0, 4, 1})
	f.Add([]byte{1, 0, 4, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCFF(b)
		if err != nil {
			return
		}
		_, _ = c.subset([]uint16{0, uint16(len(c.charStrings) - 1)})
	})
}
