// Package pdf writes a laid-out notice (notice.Document) as an A4 PDF on
// GB/T 9704's grid, with subsets of its fonts embedded: the office's own
// (TrueType or OpenType, named in the font directory's fonts.json) or the
// free Fandol fonts.
//
// How it is made. docflow lays the notice out itself (typeset.go), subsets
// the fonts itself (cff.go) and writes the PDF's objects through
// github.com/carlos7ags/folio v0.11.0's object layer (core, the
// document.Writer with its xref and trailer, image XObjects), in
// pdfwrite.go. The layout is ours because GB/T 9704 is a grid, not a
// flow: 22 lines of 28 characters filling a 156 × 225 mm type area, the
// mark's top edge 35 mm below the type area, the red rule 4 mm below the
// number, the 版记's last rule on the type area's bottom edge of an even
// last page, page numbers 7 mm below it alternating sides; a letter's
// mark 30 mm below the paper's top and its red double lines 4 mm below the
// mark and 20 mm above the paper's foot [10.1]. Placing every
// line ourselves makes each of those an exact number, which pdf_test.go
// measures back from the PDF (pdftotext -bbox-layout and pixels).
//
// Why folio, and why only its object layer (measured on this machine; see
// ../shared/notes/rendering-and-floor.md, section C, for the survey):
//   - The only free CJK fonts with a Simplified-Chinese 仿宋 are Fandol's,
//     OpenType with CID-keyed CFF outlines. folio is the one pure-Go
//     library found that parses and embeds CID-keyed CFF (gopdf,
//     go-pdf/fpdf and maroto read TrueType only; converting Fandol to
//     TrueType takes 8 s per font and doubles it; pdfcpu refuses
//     OpenType-CFF; unipdf is commercial and not on the module proxy).
//   - Its HTML-to-PDF path sets 27 characters per 16pt line instead of 28,
//     ignores text-indent on headings and re-parses fonts per conversion
//     (33–41 ms warm for one page). Its Page API plus font.SubsetCFF worked
//     (first version of this file: 30 ms, 502 KB for the seed case) but
//     keeps all 10,365 glyph slots in every subset (a 31 KB offset table
//     per font) and writes glyph IDs where a CIDFontType0 font expects CIDs,
//     so the 1,264 Fandol glyphs whose ID differs from their CID (– € ¥ …)
//     printed as blanks. cff.go's subsetter renumbers the used glyphs and
//     keeps their CIDs: 15 ms and 398 KB for the seed case, every glyph right.
//   - folio is pure Go (golang.org/x/{image,net,text}), Apache-2.0, adds
//     about 3 MB to a Lambda binary, and its writer is deterministic (we
//     set the file ID from the content, so a retried publication gives the
//     same bytes).
//
// Risk: folio is young (v0.x); we use only its stable object layer, and the
// golden text layer, pdffonts and the layout measurements pin the result.
//
// Size. The seed case is about 400 KB, over the 300 KB target: its 585
// distinct characters in FandolFang alone are 342 KB of charstrings (270 KB
// deflated), about 585 bytes a glyph. Measured on those glyphs with
// fontTools: hints are 4% of the bytes, re-specializing the operators
// saves 5%, and subroutinizing would save about 3% (Fandol draws each
// character whole; repeated operator sequences are rare). So no lossless
// treatment gets the seed case under 300 KB with Fandol; only a lighter
// free 仿宋, which does not exist today, would. File reports what the
// font subsets take of a PDF (BenchmarkRenderPDF: 370 of 398 KB with
// Fandol; 250 of 278 KB with Debian's TrueType CJK fonts).
//
// Fonts (fonts.go) are read and parsed once per process, when the first
// PDF is written: a cold start that publishes nothing does not parse them.
// 方正小标宋, which the standard asks for the mark and the title, is
// proprietary: unless the office names its own in fonts.json,
// FandolSong-Bold stands in, and the substitution is written to the PDF's
// Info dictionary (Keywords and a DocflowFontSubstitutions key) and to
// Document.Substitutions. TrueType fonts are subset by folio's
// font.Subset, which keeps glyph IDs (the PDF shows text by glyph ID,
// CIDToGIDMap Identity) and drops hinting programs, which no PDF viewer
// needs at print sizes.
package pdf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/workflow"
)

// The file Write returns.
const (
	FileName    = "notice.pdf"
	ContentType = "application/pdf"
)

// Writer writes notices as PDF. It is a notice.Format, and safe for
// concurrent use.
type Writer struct {
	dir string
}

var _ notice.Format = (*Writer)(nil)

// New returns a Writer over the fonts in dir (see FontFiles). It fails
// with an error wrapping ErrFontsMissing that names a missing file and how
// to get it; it reads the fonts only when the first PDF is written.
func New(dir string) (*Writer, error) {
	if err := checkFonts(dir); err != nil {
		return nil, err
	}
	return &Writer{dir: dir}, nil
}

// Write implements notice.Format.
func (w *Writer) Write(d *notice.Document) (workflow.Rendered, error) {
	b, err := w.PDF(d)
	if err != nil {
		return workflow.Rendered{}, err
	}
	return workflow.Rendered{Name: FileName, ContentType: ContentType, Data: b}, nil
}

// PDF lays d out on A4 pages per GB/T 9704 and returns the PDF. It is
// deterministic: the same document gives the same bytes.
//
// It records in d.Substitutions (the render report), and writes into the
// PDF's metadata, the faces Fandol stands in for (see fonts.go) and each
// character missing from the font its element asks for, which is set in
// the first of the five fonts that has it (or left blank if none does).
// It names in d.Faces the office's fonts it used, for the .docx to name.
func (w *Writer) PDF(d *notice.Document) ([]byte, error) {
	f, err := w.File(d)
	if err != nil {
		return nil, err
	}
	return f.Data, nil
}

// File is a PDF and the font subsets embedded in it.
type File struct {
	Data  []byte
	Fonts []Subset
}

// Subset is one font embedded in a PDF.
type Subset struct {
	Face   notice.Font // the face of the standard it sets
	Name   string      // PostScript name of the font
	Glyphs int         // glyphs the notice uses
	Bytes  int         // the subset font file as stored in the PDF (compressed)
}

// FontBytes is what the PDF's font subsets take of it.
func (f *File) FontBytes() int {
	n := 0
	for _, s := range f.Fonts {
		n += s.Bytes
	}
	return n
}

// File is PDF, with the sizes of the font subsets.
func (w *Writer) File(d *notice.Document) (*File, error) {
	fonts, err := loadFonts(w.dir)
	if err != nil {
		return nil, err
	}
	t, err := typeset(fonts, d)
	if err != nil {
		return nil, err
	}
	subs := fonts.report()
	if fonts.faces[notice.FontXBS].src.office {
		// The office's own 小标宋 sets the mark and the title: the layout's
		// general note that Fandol stands in for it is not true here.
		d.Substitutions = slices.DeleteFunc(d.Substitutions, func(s string) bool { return strings.HasPrefix(s, "方正小标宋 → Fandol") })
	}
	subs = append(subs, t.fallbackReport()...)
	for _, s := range subs {
		if !slices.Contains(d.Substitutions, s) {
			d.Substitutions = append(d.Substitutions, s)
		}
	}
	for f, fc := range fonts.faces {
		if fc.src.office {
			if d.Faces == nil {
				d.Faces = map[notice.Font]string{}
			}
			d.Faces[notice.Font(f)] = fc.family
		}
	}
	return writePDF(fonts, d, t.sheets, subs)
}

// typeset lays d out; it recovers from a layout bug so that a bad document
// gives an error, never a crashed process.
func typeset(fonts *fontSet, d *notice.Document) (t *typesetter, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("notice/pdf: lay out PDF: %v", p)
		}
	}()
	t = &typesetter{fonts: fonts}
	if err := t.typeset(d); err != nil {
		return nil, err
	}
	return t, nil
}
