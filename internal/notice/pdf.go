package notice

// The PDF output.
//
// How it is made. docflow lays the notice out itself (typeset.go) and uses
// github.com/carlos7ags/folio v0.11.0 only for what is hard to get right
// and easy to check: PDF objects, CFF font parsing and subsetting, and the
// ToUnicode maps that keep the text extractable. The layout is ours
// because GB/T 9704 is a grid, not a flow: 22 lines of 28 characters
// filling a 156 × 225 mm type area, the mark's top edge 35 mm below the
// type area, the red rule 4 mm below the number, the 版记's last rule on
// the type area's bottom edge of an even last page, page numbers 7 mm below
// it alternating sides. Placing every line ourselves makes each of those an
// exact number instead of an outcome of CSS.
//
// Why folio, on evidence (measured on this machine, see
// ../shared/notes/rendering-and-floor.md, section C):
//   - The only free CJK fonts with a Simplified-Chinese 仿宋 are Fandol's,
//     and they are OpenType with CID-keyed CFF outlines. folio parses and
//     subsets CID-keyed CFF (font/cff_subset.go) and embeds it as
//     CIDFontType0C with Identity-H and a ToUnicode CMap: pdffonts shows
//     "CID Type 0C, emb yes, sub yes, uni yes". gopdf, go-pdf/fpdf and maroto
//     read TrueType only (converting Fandol to TrueType takes 8 s per font
//     with fontTools and doubles its size); pdfcpu refuses OpenType-CFF;
//     unipdf is commercial and not served by the module proxy.
//   - Its HTML-to-PDF path (tried first) sets 27 characters per line at
//     16pt instead of 28, ignores text-indent on headings and re-parses
//     fonts on every conversion (33–41 ms warm for one page); its low-level
//     Page API (AddTextEmbedded, AddLine, AddImage, the content stream) has
//     none of those problems and costs a few milliseconds.
//   - It is pure Go (deps: golang.org/x/{image,net,text}), Apache-2.0,
//     deterministic (no timestamps; we set the file ID from the content), and
//     adds about 3 MB to a Lambda binary.
// Risks: folio is young (v0.x); the golden text layer, pdffonts and the
// layout measurements in pdf_test.go pin what we rely on.
//
// Fonts (fonts.go) are parsed once per process. 方正小标宋, which the
// standard asks for the mark and the title, is proprietary: FandolSong-Bold
// stands in, and the substitution is written to the PDF's Info dictionary
// (Keywords) and to Document.Substitutions.

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/carlos7ags/folio/document"
	"github.com/carlos7ags/folio/font"
	folioimage "github.com/carlos7ags/folio/image"
)

// PDF output of Render.
const (
	PDFName        = "notice.pdf"
	PDFContentType = "application/pdf"
)

// ErrNoFonts is returned by PDF when the Renderer was made without
// WithFontDir.
var ErrNoFonts = fmt.Errorf("notice: PDF needs fonts: make the renderer with notice.WithFontDir (DOCFLOW_FONTS; see infra/fonts/fetch.sh)")

// PDF lays d out on A4 pages per GB/T 9704 and returns the PDF. It is
// deterministic: the same document gives the same bytes.
func (r *Renderer) PDF(d *Document) ([]byte, error) {
	if r.fonts == nil {
		return nil, ErrNoFonts
	}
	sheets, _, err := r.typeset(d)
	if err != nil {
		return nil, err
	}
	return r.writePDF(d, sheets)
}

// typeset lays d out; it recovers from a layout bug so that a bad document
// gives an error, never a crashed process.
func (r *Renderer) typeset(d *Document) (sheets []*sheet, place placement, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("notice: lay out PDF: %v", p)
		}
	}()
	t := &typesetter{fonts: r.fonts}
	if err := t.typeset(d); err != nil {
		return nil, placement{}, err
	}
	return t.sheets, t.place, nil
}

func (r *Renderer) writePDF(d *Document, sheets []*sheet) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil { // folio panics on programming errors only; keep the process up
			err = fmt.Errorf("notice: write PDF: %v", p)
		}
	}()
	doc := document.NewDocument(document.PageSizeA4)
	doc.Info = document.Info{
		Title:    strings.TrimSpace(d.Number + " " + d.Title),
		Subject:  d.Title,
		Keywords: "font-substitution: " + strings.Join(d.Substitutions, "; "),
		Creator:  "docflow",
		Producer: "docflow (github.com/carlos7ags/folio v0.11.0)",
		Language: "zh-CN",
	}
	var efs [nFonts]*font.EmbeddedFont
	embedded := func(f Font) *font.EmbeddedFont {
		if efs[f] == nil {
			efs[f] = font.NewEmbeddedFont(r.fonts.faces[f])
		}
		return efs[f]
	}
	h := sha256.New()
	for _, s := range sheets {
		p := doc.AddPage()
		for _, l := range s.lines {
			p.AddLine(l.x1, pageH-l.y1, l.x2, pageH-l.y2, l.w, l.color)
		}
		for _, t := range s.texts {
			ef := embedded(t.font)
			if p.ContentStream() == nil {
				p.AddTextEmbedded("", ef, t.size, 0, 0) // starts the content stream
			}
			cs := p.ContentStream()
			cs.SaveState()
			cs.SetFillColorRGB(t.color[0], t.color[1], t.color[2])
			cs.SetCharSpacing(t.tc)
			if t.style&Bold != 0 { // no bold 仿宋 exists: stroke the outline too
				cs.SetTextRenderingMode(2)
				cs.SetLineWidth(t.size * 0.025)
				cs.SetStrokeColorRGB(t.color[0], t.color[1], t.color[2])
			}
			p.AddTextEmbedded(t.text, ef, t.size, t.x, pageH-t.y)
			cs.RestoreState()
			h.Write([]byte(t.text))
		}
		for _, im := range s.images {
			img, err := folioimage.NewPNG(im.png)
			if err != nil {
				return nil, fmt.Errorf("notice: seal image: %w", err)
			}
			p.AddImage(img, im.x, pageH-im.y-im.h, im.w, im.h)
		}
	}
	doc.SetFileID(h.Sum(nil)[:16])
	b, err := doc.ToBytes()
	if err != nil {
		return nil, fmt.Errorf("notice: write PDF: %w", err)
	}
	return b, nil
}
