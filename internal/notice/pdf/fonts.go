package pdf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/carlos7ags/folio/font"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/docflow/docflow/internal/notice"
)

// FontFiles lists the font files the PDF needs in the font directory, by
// the face they stand in for. All five are Fandol fonts (GPL-3 with the
// font exception, see LICENSES/Fandol/), extracted from Debian's
// texlive-lang-chinese by infra/fonts/fetch.sh.
var FontFiles = [...]string{
	notice.FontFang: "FandolFang-Regular.otf",
	notice.FontHei:  "FandolHei-Regular.otf",
	notice.FontKai:  "FandolKai-Regular.otf",
	notice.FontSong: "FandolSong-Regular.otf",
	notice.FontXBS:  "FandolSong-Bold.otf",
}

const nFonts = len(FontFiles)

// fontSet holds the parsed faces of one font directory. Faces are safe for
// concurrent use; each PDF wraps them in its own font.EmbeddedFont, which
// tracks the glyphs that document uses for subsetting.
type fontSet struct {
	dir   string
	faces [nFonts]font.Face
	// cffs are the fonts' CFF tables, parsed for subsetting (cff.go).
	cffs [nFonts]*cffFont
	// outlines parse the same bytes with x/image/font/sfnt, only to measure
	// glyph ink bounds (the standard places the mark by its top edge).
	outlines [nFonts]*sfnt.Font
}

// fontLoads caches one fontSet per directory for the life of the process:
// reading and parsing 31 MB of fonts takes tens of milliseconds, so it
// happens once, not per render.
var fontLoads sync.Map // dir → *fontLoad

type fontLoad struct {
	once sync.Once
	set  *fontSet
	err  error
}

// ErrFontsMissing is wrapped by the error New returns when a font file is
// absent from the font directory.
var ErrFontsMissing = errors.New("notice/pdf: PDF fonts missing")

// loadFonts returns the parsed fonts of dir, loading them on first use.
// A failed load is not cached, so fonts installed later are found.
func loadFonts(dir string) (*fontSet, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("notice/pdf: font directory %q: %w", dir, err)
	}
	v, _ := fontLoads.LoadOrStore(abs, &fontLoad{})
	l := v.(*fontLoad)
	l.once.Do(func() { l.set, l.err = parseFonts(abs) })
	if l.err != nil {
		fontLoads.CompareAndDelete(abs, l)
	}
	return l.set, l.err
}

// checkFonts reports the first font file missing from dir, saying how to
// get it; it reads none of them.
func checkFonts(dir string) error {
	for _, name := range FontFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return readError(name, dir, err)
		}
	}
	return nil
}

func readError(name, dir string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s not found in %s; run `bash infra/fonts/fetch.sh %s` "+
			"(extracts the Fandol fonts from Debian's texlive-lang-chinese) or point the font directory elsewhere",
			ErrFontsMissing, name, dir, dir)
	}
	return fmt.Errorf("notice/pdf: read font: %w", err)
}

func parseFonts(dir string) (*fontSet, error) {
	s := &fontSet{dir: dir}
	for i, name := range FontFiles {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, readError(name, dir, err)
		}
		face, err := font.ParseFont(b)
		if err != nil {
			return nil, fmt.Errorf("notice/pdf: parse font %s: %w", path, err)
		}
		s.faces[i] = face
		table, err := cffTable(b)
		if err != nil {
			return nil, fmt.Errorf("notice/pdf: font %s: %w", path, err)
		}
		if s.cffs[i], err = parseCFF(table); err != nil {
			return nil, fmt.Errorf("notice/pdf: font %s: %w", path, err)
		}
		if o, err := sfnt.Parse(b); err == nil {
			s.outlines[i] = o
		}
	}
	return s, nil
}

// has reports whether face f has a glyph for r.
func (s *fontSet) has(f notice.Font, r rune) bool { return s.faces[f].GlyphIndex(r) != 0 }

// advance is the advance width of r in f, in ems.
func (s *fontSet) advance(f notice.Font, r rune) float64 {
	face := s.faces[f]
	return float64(face.GlyphAdvance(face.GlyphIndex(r))) / float64(face.UnitsPerEm())
}

// ink returns the top and bottom of the ink of text in f, in ems above the
// baseline (bottom is negative below it). It falls back to the ideographic
// character face (0.8, -0.12) for glyphs it cannot measure.
func (s *fontSet) ink(f notice.Font, text string) (top, bottom float64) {
	top, bottom = -1, 1
	o := s.outlines[f]
	var buf sfnt.Buffer
	for _, r := range text {
		t, b := 0.80, -0.12
		if o != nil {
			if gi, err := o.GlyphIndex(&buf, r); err == nil && gi != 0 {
				if bd, _, err := o.GlyphBounds(&buf, gi, fixed.I(1000), xfont.HintingNone); err == nil {
					t, b = -float64(bd.Min.Y)/64/1000, -float64(bd.Max.Y)/64/1000
				}
			}
		}
		top, bottom = max(top, t), min(bottom, b)
	}
	if top < bottom { // no text
		return 0.8, -0.12
	}
	return top, bottom
}
