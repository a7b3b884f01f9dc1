package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/carlos7ags/folio/core"
	"github.com/carlos7ags/folio/document"
	"github.com/carlos7ags/folio/font"
	folioimage "github.com/carlos7ags/folio/image"

	"github.com/docflow/docflow/internal/notice"
)

// pdfFont is one font of a PDF being written: the glyphs used so far, by
// glyph ID, with the character each shows (for the ToUnicode map).
type pdfFont struct {
	res  string // resource name, /F0 …
	used map[uint16]rune
}

// pdfWriter writes sheets as PDF objects through folio's object writer.
type pdfWriter struct {
	fonts *fontSet
	w     *document.Writer
	used  [nFonts]*pdfFont
}

// encode returns text as 2-byte CIDs of font f (Identity-H) and records
// the glyphs for the subset.
func (pw *pdfWriter) encode(f notice.Font, text string) []byte {
	pf := pw.used[f]
	if pf == nil {
		pf = &pdfFont{res: "F" + strconv.Itoa(int(f)), used: map[uint16]rune{}}
		pw.used[f] = pf
	}
	face := pw.fonts.faces[f]
	b := make([]byte, 0, 2*len(text))
	for _, r := range text {
		gid := face.GlyphIndex(r)
		if face.cff != nil && int(gid) >= len(face.cff.cids) {
			gid = 0
		}
		if _, ok := pf.used[gid]; !ok && gid != 0 {
			pf.used[gid] = r
		}
		cid := face.cid(gid)
		b = append(b, byte(cid>>8), byte(cid))
	}
	return b
}

// num formats a coordinate: three decimals at most, no trailing zeros.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

func rgb(c [3]float64) string { return num(c[0]) + " " + num(c[1]) + " " + num(c[2]) }

// writePDF writes the laid-out sheets: pages, content streams, subset
// fonts (Identity-H, ToUnicode), images and metadata, which names the
// font substitutions subs.
func writePDF(fonts *fontSet, d *notice.Document, sheets []*sheet, subs []string) (out *File, err error) {
	defer func() {
		if p := recover(); p != nil { // folio panics only on programming errors; keep the process up
			err = fmt.Errorf("notice/pdf: write PDF: %v", p)
		}
	}()
	pw := &pdfWriter{fonts: fonts, w: document.NewWriter("1.7")}
	w := pw.w
	pages := core.NewPdfDictionary()
	pagesRef := w.AddObject(pages)
	var kids []core.PdfObject
	type pageRes struct {
		dict   *core.PdfDictionary
		fonts  []notice.Font
		images map[string]*core.PdfIndirectReference
	}
	var all []pageRes
	h := sha256.New()
	for _, s := range sheets {
		var c bytes.Buffer
		pr := pageRes{dict: core.NewPdfDictionary(), images: map[string]*core.PdfIndirectReference{}}
		for _, l := range s.lines {
			fmt.Fprintf(&c, "q %s w %s RG %s %s m %s %s l S Q\n", num(l.w), rgb(l.color),
				num(l.x1), num(pageH-l.y1), num(l.x2), num(pageH-l.y2))
		}
		for _, t := range s.texts {
			if t.text == "" {
				continue
			}
			if !slices.Contains(pr.fonts, t.font) {
				pr.fonts = append(pr.fonts, t.font)
			}
			code := pw.encode(t.font, t.text)
			c.WriteString("q ")
			c.WriteString(rgb(t.color) + " rg ")
			if t.style&notice.Bold != 0 { // no bold 仿宋 exists: stroke the outline too
				fmt.Fprintf(&c, "2 Tr %s w %s RG ", num(t.size*0.025), rgb(t.color))
			}
			fmt.Fprintf(&c, "BT /%s %s Tf %s Tc %s %s Td <%x> Tj ET Q\n", pw.used[t.font].res, num(t.size), num(t.tc),
				num(t.x), num(pageH-t.y), code)
			h.Write([]byte(t.text))
		}
		for i, im := range s.images {
			img, err := folioimage.NewPNG(im.png)
			if err != nil {
				return nil, fmt.Errorf("notice: seal image: %w", err)
			}
			name := "Im" + strconv.Itoa(i)
			ref, _ := img.BuildXObject(w.AddObject)
			pr.images[name] = ref
			fmt.Fprintf(&c, "q %s 0 0 %s %s %s cm /%s Do Q\n", num(im.w), num(im.h), num(im.x), num(pageH-im.y-im.h), name)
			h.Write(im.png)
		}
		content := deflated(c.Bytes(), zlib.DefaultCompression)
		p := pr.dict
		p.Set("Type", core.NewPdfName("Page"))
		p.Set("Parent", pagesRef)
		p.Set("MediaBox", core.NewPdfArray(core.NewPdfInteger(0), core.NewPdfInteger(0), core.NewPdfReal(pageW), core.NewPdfReal(pageH)))
		p.Set("Contents", w.AddObject(content))
		kids = append(kids, w.AddObject(p))
		all = append(all, pr)
	}

	// Fonts, now that every page has said which glyphs it uses.
	fontRefs := map[notice.Font]*core.PdfIndirectReference{}
	out = &File{}
	for f, pf := range pw.used {
		if pf == nil {
			continue
		}
		ref, size, err := pw.embed(notice.Font(f), pf)
		if err != nil {
			return nil, err
		}
		fontRefs[notice.Font(f)] = ref
		out.Fonts = append(out.Fonts, Subset{Face: notice.Font(f), Name: fonts.name(notice.Font(f)), Glyphs: len(pf.used), Bytes: size})
	}
	for _, pr := range all {
		res := core.NewPdfDictionary()
		if len(pr.fonts) > 0 {
			fd := core.NewPdfDictionary()
			for _, f := range pr.fonts {
				fd.Set(pw.used[f].res, fontRefs[f])
			}
			res.Set("Font", fd)
		}
		if len(pr.images) > 0 {
			xd := core.NewPdfDictionary()
			names := make([]string, 0, len(pr.images))
			for n := range pr.images {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				xd.Set(n, pr.images[n])
			}
			res.Set("XObject", xd)
		}
		pr.dict.Set("Resources", res)
	}
	pages.Set("Type", core.NewPdfName("Pages"))
	pages.Set("Kids", core.NewPdfArray(kids...))
	pages.Set("Count", core.NewPdfInteger(len(kids)))

	catalog := core.NewPdfDictionary()
	catalog.Set("Type", core.NewPdfName("Catalog"))
	catalog.Set("Pages", pagesRef)
	catalog.Set("Lang", core.NewPdfTextString("zh-CN"))
	w.SetRoot(w.AddObject(catalog))

	info := core.NewPdfDictionary()
	info.Set("Title", core.NewPdfTextString(strings.TrimSpace(d.Number+" "+d.Title)))
	info.Set("Subject", core.NewPdfTextString(d.Title))
	info.Set("Keywords", core.NewPdfTextString("font-substitution: "+strings.Join(subs, "; ")))
	info.Set("Creator", core.NewPdfTextString("docflow"))
	info.Set("Producer", core.NewPdfTextString("docflow (github.com/carlos7ags/folio v0.11.0 objects)"))
	// A custom key, for tools that read the substitutions mechanically.
	info.Set("DocflowFontSubstitutions", core.NewPdfTextString(strings.Join(subs, "; ")))
	w.SetInfo(w.AddObject(info))

	w.SetFileID(h.Sum(nil)[:16])
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("notice/pdf: write PDF: %w", err)
	}
	out.Data = b.Bytes()
	return out, nil
}

// embed writes font f's subset: Type0 → CIDFont → descriptor → font
// file, with widths and a ToUnicode map. CFF outlines are subset by
// cff.go and embedded as CIDFontType0 (FontFile3, CIDFontType0C);
// TrueType outlines by folio's font.Subset, which keeps the glyph IDs,
// as CIDFontType2 (FontFile2, CIDToGIDMap Identity). It returns the size
// of the subset font file, before compression.
func (pw *pdfWriter) embed(f notice.Font, pf *pdfFont) (*core.PdfIndirectReference, int, error) {
	face := pw.fonts.faces[f]
	gids := sortedGlyphs(pf.used)
	w := pw.w
	tag := subsetTag(gids)
	name := tag + "+" + sanitizeName(face.PostScriptName())

	var data []byte
	var err error
	if face.cff != nil {
		data, err = face.cff.subset(gids)
	} else {
		data, err = font.Subset(face.ttf, pf.used)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("notice: subset %s: %w", face.PostScriptName(), err)
	}
	file := deflated(data, zlib.BestCompression)

	upem := float64(face.UnitsPerEm())
	scale := func(v int) core.PdfObject { return core.NewPdfInteger(int(float64(v) * 1000 / upem)) }
	bbox := face.BBox()
	desc := core.NewPdfDictionary()
	desc.Set("Type", core.NewPdfName("FontDescriptor"))
	desc.Set("FontName", core.NewPdfName(name))
	desc.Set("Flags", core.NewPdfInteger(4)) // symbolic: glyphs outside the standard Latin set
	desc.Set("FontBBox", core.NewPdfArray(scale(bbox[0]), scale(bbox[1]), scale(bbox[2]), scale(bbox[3])))
	desc.Set("ItalicAngle", core.NewPdfInteger(0))
	asc, des := face.Ascent(), face.Descent()
	if des > 0 { // FandolSong-Regular stores its descent as a positive number
		des = -des
	}
	desc.Set("Ascent", scale(asc))
	desc.Set("Descent", scale(des))
	desc.Set("CapHeight", scale(asc))
	desc.Set("StemV", core.NewPdfInteger(80))
	cid := core.NewPdfDictionary()
	cid.Set("Type", core.NewPdfName("Font"))
	cid.Set("BaseFont", core.NewPdfName(name))
	sys := core.NewPdfDictionary()
	if face.cff != nil {
		file.Dict.Set("Subtype", core.NewPdfName("CIDFontType0C"))
		desc.Set("FontFile3", w.AddObject(file))
		cid.Set("Subtype", core.NewPdfName("CIDFontType0"))
		sys.Set("Registry", core.NewPdfLiteralString(face.cff.registry))
		sys.Set("Ordering", core.NewPdfLiteralString(face.cff.ordering))
		sys.Set("Supplement", core.NewPdfInteger(face.cff.supplement))
	} else {
		file.Dict.Set("Length1", core.NewPdfInteger(len(data)))
		desc.Set("FontFile2", w.AddObject(file))
		cid.Set("Subtype", core.NewPdfName("CIDFontType2"))
		cid.Set("CIDToGIDMap", core.NewPdfName("Identity"))
		sys.Set("Registry", core.NewPdfLiteralString("Adobe"))
		sys.Set("Ordering", core.NewPdfLiteralString("Identity"))
		sys.Set("Supplement", core.NewPdfInteger(0))
	}

	// Widths by CID, consecutive CIDs grouped.
	type cw struct{ cid, w int }
	var ws []cw
	for _, g := range gids {
		ws = append(ws, cw{int(face.cid(g)), int(float64(face.GlyphAdvance(g)) * 1000 / upem)})
	}
	slices.SortFunc(ws, func(a, b cw) int { return a.cid - b.cid })
	var warr []core.PdfObject
	for i := 0; i < len(ws); {
		j := i + 1
		for j < len(ws) && ws[j].cid == ws[j-1].cid+1 {
			j++
		}
		var run []core.PdfObject
		for _, x := range ws[i:j] {
			run = append(run, core.NewPdfInteger(x.w))
		}
		warr = append(warr, core.NewPdfInteger(ws[i].cid), core.NewPdfArray(run...))
		i = j
	}

	cid.Set("CIDSystemInfo", sys)
	cid.Set("FontDescriptor", w.AddObject(desc))
	cid.Set("DW", core.NewPdfInteger(1000))
	cid.Set("W", core.NewPdfArray(warr...))

	toUni := deflated(toUnicode(face, pf.used, gids), zlib.BestCompression)

	t0 := core.NewPdfDictionary()
	t0.Set("Type", core.NewPdfName("Font"))
	t0.Set("Subtype", core.NewPdfName("Type0"))
	t0.Set("BaseFont", core.NewPdfName(name))
	t0.Set("Encoding", core.NewPdfName("Identity-H"))
	t0.Set("DescendantFonts", core.NewPdfArray(w.AddObject(cid)))
	t0.Set("ToUnicode", w.AddObject(toUni))
	return w.AddObject(t0), len(file.Data), nil
}

// sanitizeName keeps a PostScript name to the characters a PDF name and
// every reader take: letters, digits and - _ (a font's own name may hold
// spaces or Chinese).
func sanitizeName(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "Font"
	}
	return string(out)
}

// toUnicode is the CMap from each used CID to its character.
func toUnicode(face *face, used map[uint16]rune, gids []uint16) []byte {
	type m struct {
		cid uint16
		r   rune
	}
	var ms []m
	for _, g := range gids {
		if r, ok := used[g]; ok {
			ms = append(ms, m{face.cid(g), r})
		}
	}
	slices.SortFunc(ms, func(a, b m) int { return int(a.cid) - int(b.cid) })
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(ms); i += 100 {
		chunk := ms[i:min(i+100, len(ms))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(chunk))
		for _, x := range chunk {
			fmt.Fprintf(&b, "<%04X> <", x.cid)
			for _, u := range utf16.Encode([]rune{x.r}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// subsetTag is the six capital letters that name a subset (ISO 32000
// 9.6.4), derived from its glyphs so that the output is deterministic.
func subsetTag(gids []uint16) string {
	h := sha256.New()
	for _, g := range gids {
		h.Write([]byte{byte(g >> 8), byte(g)})
	}
	s := h.Sum(nil)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + s[i]%26
	}
	return string(tag)
}

// zlibWriters pools compressors per level: a zlib writer allocates about
// 800 KB, and a notice has a dozen streams.
var zlibWriters [zlib.BestCompression + 2]sync.Pool // index level+1: DefaultCompression is -1

// deflated returns a stream holding data compressed with FlateDecode.
func deflated(data []byte, level int) *core.PdfStream {
	var b bytes.Buffer
	b.Grow(len(data)/2 + 64)
	pool := &zlibWriters[level+1]
	zw, _ := pool.Get().(*zlib.Writer)
	if zw == nil {
		zw, _ = zlib.NewWriterLevel(&b, level) // level is a valid constant: no error
	} else {
		zw.Reset(&b)
	}
	_, _ = zw.Write(data) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	pool.Put(zw)
	s := core.NewPdfStream(b.Bytes())
	s.Dict.Set("Filter", core.NewPdfName("FlateDecode"))
	return s
}
