package pdf

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/carlos7ags/folio/font"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/docflow/docflow/internal/notice"
)

// Fonts. The PDF sets each face GB/T 9704 names (notice.Font: 小标宋 for the
// mark and title, 仿宋 for the text, 黑体, 楷体, and 宋体 for page numbers)
// in a font file from one font directory:
//
//   - the office's own font, if the directory holds a fonts.json naming a
//     file for that face: offices hold licences for 方正小标宋简体,
//     仿宋_GB2312, 楷体_GB2312 and 黑体, mostly TrueType;
//   - else the free Fandol font of FontFiles (GPL-3 with the font
//     exception, see LICENSES/Fandol/), extracted from Debian's
//     texlive-lang-chinese by infra/fonts/fetch.sh.
//
// fonts.json maps faces to files in the directory; a TrueType collection
// (.ttc) takes the index of its face after a # (default 0). Keys are the
// faces' names, in Chinese or English:
//
//	{
//	  "小标宋": "FZXBSJW.TTF",       (or "xbs")
//	  "仿宋":   "仿宋_GB2312.ttf",   (or "fang")
//	  "楷体":   "楷体_GB2312.ttf",   (or "kai")
//	  "黑体":   "simhei.ttf",        (or "hei")
//	  "宋体":   "simsun.ttc#0"       (or "song")
//	}
//
// TrueType (.ttf, .ttc: glyf outlines) and OpenType with CID-keyed CFF
// outlines (.otf, as Fandol's) are read; either is embedded as a subset of
// the glyphs a notice uses. A face the file leaves out is set in Fandol,
// and the PDF's metadata and Document.Substitutions (the render report)
// say so; without a fonts.json, Fandol is the chosen set and only
// 方正小标宋, which Fandol lacks, is reported. infra/fonts/README.md says
// how to install an office's fonts.

// FontFiles lists the Fandol font files, by the face they stand in for.
var FontFiles = [...]string{
	notice.FontFang: "FandolFang-Regular.otf",
	notice.FontHei:  "FandolHei-Regular.otf",
	notice.FontKai:  "FandolKai-Regular.otf",
	notice.FontSong: "FandolSong-Regular.otf",
	notice.FontXBS:  "FandolSong-Bold.otf",
}

// ConfigFile is the file of a font directory that names the office's own
// fonts.
const ConfigFile = "fonts.json"

const nFonts = len(FontFiles)

// faceKeys are the keys fonts.json accepts for each face.
var faceKeys = map[string]notice.Font{
	"仿宋": notice.FontFang, "fang": notice.FontFang,
	"黑体": notice.FontHei, "hei": notice.FontHei,
	"楷体": notice.FontKai, "kai": notice.FontKai,
	"宋体": notice.FontSong, "song": notice.FontSong,
	"小标宋": notice.FontXBS, "方正小标宋": notice.FontXBS, "xbs": notice.FontXBS,
}

// source is where a face comes from: a file of the font directory and,
// in a collection, the index of the face.
type source struct {
	file   string
	index  int
	office bool // named by fonts.json; false: the Fandol fallback
}

// sources reads dir's fonts.json, if any, and returns the file of each face.
func sources(dir string) ([nFonts]source, bool, error) {
	var srcs [nFonts]source
	for f, name := range FontFiles {
		srcs[f] = source{file: name}
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return srcs, false, nil
	}
	if err != nil {
		return srcs, false, fmt.Errorf("notice/pdf: read %s: %w", ConfigFile, err)
	}
	var cfg map[string]string
	if err := json.Unmarshal(b, &cfg); err != nil {
		return srcs, false, fmt.Errorf("notice/pdf: %s in %s: %w; want an object of face name to file, such as {\"仿宋\": \"仿宋_GB2312.ttf\"}", ConfigFile, dir, err)
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := faceKeys[strings.ToLower(strings.TrimSpace(k))]
		if !ok {
			return srcs, false, fmt.Errorf("notice/pdf: %s in %s: unknown face %q; the faces are 小标宋, 仿宋, 楷体, 黑体 and 宋体 (or xbs, fang, kai, hei, song)", ConfigFile, dir, k)
		}
		file, idx, ok := strings.Cut(cfg[k], "#")
		s := source{file: strings.TrimSpace(file), office: true}
		if ok {
			if s.index, err = strconv.Atoi(idx); err != nil || s.index < 0 {
				return srcs, false, fmt.Errorf("notice/pdf: %s in %s: %s: %q is no face index; write file.ttc#1", ConfigFile, dir, k, cfg[k])
			}
		}
		if s.file == "" || filepath.IsAbs(s.file) || strings.Contains(filepath.ToSlash(s.file), "../") {
			return srcs, false, fmt.Errorf("notice/pdf: %s in %s: %s: %q; want a file name in that directory", ConfigFile, dir, k, cfg[k])
		}
		srcs[f] = s
	}
	return srcs, true, nil
}

// face is one parsed font face and what the PDF needs of it.
type face struct {
	font.Face            // folio's reading: cmap, advances, metrics, names
	cff       *cffFont   // CFF outlines, subset by cff.go; nil for TrueType
	ttf       []byte     // a TrueType face's own file (out of its collection), for subsetting
	outlines  *sfnt.Font // the same bytes read by x/image, for ink bounds
	family    string     // the family name an office sees (Chinese if the font has one)
	src       source     //
}

// cid is the code a content stream shows glyph g by: its CID (the charset
// maps it) for CFF, the glyph ID itself for TrueType (CIDToGIDMap Identity).
func (f *face) cid(g uint16) uint16 {
	if f.cff != nil {
		if int(g) < len(f.cff.cids) {
			return f.cff.cids[g]
		}
		return 0
	}
	return g
}

// fontSet holds the parsed faces of one font directory. Faces are safe for
// concurrent use; each PDF tracks the glyphs it uses for subsetting.
type fontSet struct {
	dir    string
	faces  [nFonts]*face
	office bool // the directory has a fonts.json
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

// checkFonts reads dir's fonts.json and reports the first font file
// missing from dir, saying how to get it; it reads no font.
func checkFonts(dir string) error {
	srcs, _, err := sources(dir)
	if err != nil {
		return err
	}
	for f, s := range srcs {
		if _, err := os.Stat(filepath.Join(dir, s.file)); err != nil {
			return readError(notice.Font(f), s, dir, err)
		}
	}
	return nil
}

func readError(f notice.Font, s source, dir string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist) && s.office:
		return fmt.Errorf("%w: %s names %s for %s, but %s has no such file", ErrFontsMissing, ConfigFile, s.file, f, dir)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s not found in %s; run `bash infra/fonts/fetch.sh %s` "+
			"(extracts the Fandol fonts from Debian's texlive-lang-chinese), name the office's own font for %s in %s, "+
			"or point the font directory elsewhere",
			ErrFontsMissing, s.file, dir, dir, f, ConfigFile)
	}
	return fmt.Errorf("notice/pdf: read font: %w", err)
}

func parseFonts(dir string) (*fontSet, error) {
	srcs, office, err := sources(dir)
	if err != nil {
		return nil, err
	}
	s := &fontSet{dir: dir, office: office}
	files := map[string][]byte{} // read each file once
	parsed := map[source]*face{} // parse each face once (宋体 and 小标宋 may share a collection)
	for f, src := range srcs {
		key := source{file: src.file, index: src.index}
		if fc, ok := parsed[key]; ok {
			s.faces[f] = fc
			continue
		}
		path := filepath.Join(dir, src.file)
		b, ok := files[src.file]
		if !ok {
			if b, err = os.ReadFile(path); err != nil {
				return nil, readError(notice.Font(f), src, dir, err)
			}
			files[src.file] = b
		}
		fc, err := parseFace(b, src)
		if err != nil {
			return nil, fmt.Errorf("notice/pdf: font %s (%s): %w", path, notice.Font(f), err)
		}
		parsed[key], s.faces[f] = fc, fc
	}
	return s, nil
}

// parseFace reads one face of a font file: TrueType, a collection of them,
// or OpenType with CID-keyed CFF outlines.
func parseFace(b []byte, src source) (*face, error) {
	if string(b[:min(4, len(b))]) == "ttcf" {
		var err error
		if b, err = collectionFace(b, src.index); err != nil {
			return nil, err
		}
	} else if src.index != 0 {
		return nil, fmt.Errorf("face #%d asked of a file that is no collection (.ttc)", src.index)
	}
	ff, err := font.ParseTTF(b)
	if err != nil {
		return nil, err
	}
	fc := &face{Face: ff, src: src}
	switch string(b[:4]) {
	case "OTTO":
		table, err := cffTable(b)
		if err != nil {
			return nil, err
		}
		if fc.cff, err = parseCFF(table); err != nil {
			return nil, fmt.Errorf("%w (only CID-keyed CFF outlines are read, as CJK OpenType fonts have; use the font's TrueType version)", err)
		}
	case "\x00\x01\x00\x00", "true":
		if _, err := sfntTable(b, "glyf"); err != nil {
			return nil, fmt.Errorf("TrueType font without glyf outlines (a bitmap-only font?): %w", err)
		}
		fc.ttf = b
	default:
		return nil, fmt.Errorf("not a TrueType or OpenType font (starts %q)", b[:4])
	}
	if o, err := sfnt.Parse(b); err == nil {
		fc.outlines = o
	}
	fc.family = familyName(b)
	if fc.family == "" {
		fc.family = ff.PostScriptName()
	}
	return fc, nil
}

// collectionFace returns face i of a TrueType collection as a font file of
// its own: its tables copied out, offsets rewritten.
func collectionFace(b []byte, i int) ([]byte, error) {
	errBad := errors.New("malformed TrueType collection")
	if len(b) < 12 {
		return nil, errBad
	}
	n := int(binary.BigEndian.Uint32(b[8:]))
	if i >= n || 12+4*n > len(b) {
		return nil, fmt.Errorf("face #%d asked of a collection of %d faces", i, n)
	}
	off := int(binary.BigEndian.Uint32(b[12+4*i:]))
	if off+12 > len(b) {
		return nil, errBad
	}
	tables := int(binary.BigEndian.Uint16(b[off+4:]))
	dir := off + 12
	if dir+16*tables > len(b) {
		return nil, errBad
	}
	head := 12 + 16*tables
	size := head
	for k := range tables {
		e := b[dir+16*k:]
		size += (int(binary.BigEndian.Uint32(e[12:])) + 3) &^ 3
	}
	out := make([]byte, head, size)
	copy(out, b[off:off+12])
	for k := range tables {
		e := b[dir+16*k : dir+16*k+16]
		at, length := int(binary.BigEndian.Uint32(e[8:])), int(binary.BigEndian.Uint32(e[12:]))
		if at < 0 || length < 0 || at+length > len(b) {
			return nil, errBad
		}
		copy(out[12+16*k:], e)
		binary.BigEndian.PutUint32(out[12+16*k+8:], uint32(len(out)))
		out = append(out, b[at:at+length]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

// sfntTable returns the table tag of a font file.
func sfntTable(b []byte, tag string) ([]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("font file too short")
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	for k := range n {
		e := 12 + 16*k
		if e+16 > len(b) {
			break
		}
		if string(b[e:e+4]) == tag {
			at, length := int(binary.BigEndian.Uint32(b[e+8:])), int(binary.BigEndian.Uint32(b[e+12:]))
			if at < 0 || length < 0 || at+length > len(b) {
				return nil, fmt.Errorf("table %s out of the file", tag)
			}
			return b[at : at+length], nil
		}
	}
	return nil, fmt.Errorf("no %s table", tag)
}

// familyName is the font's family name (name ID 1) as Word lists it on a
// Chinese system: the Simplified Chinese one if the font has one, else
// the Windows English one. "" if neither.
func familyName(b []byte) string {
	t, err := sfntTable(b, "name")
	if err != nil || len(t) < 6 {
		return ""
	}
	count, store := int(binary.BigEndian.Uint16(t[2:])), int(binary.BigEndian.Uint16(t[4:]))
	var zh, en string
	for k := range count {
		r := 6 + 12*k
		if r+12 > len(t) {
			break
		}
		platform, lang, id := binary.BigEndian.Uint16(t[r:]), binary.BigEndian.Uint16(t[r+4:]), binary.BigEndian.Uint16(t[r+6:])
		length, at := int(binary.BigEndian.Uint16(t[r+8:])), store+int(binary.BigEndian.Uint16(t[r+10:]))
		if platform != 3 || id != 1 || at+length > len(t) || length%2 != 0 {
			continue
		}
		u := make([]uint16, length/2)
		for j := range u {
			u[j] = binary.BigEndian.Uint16(t[at+2*j:])
		}
		switch s := string(utf16.Decode(u)); lang {
		case 0x0804:
			zh = s
		case 0x0409:
			en = s
		}
	}
	if zh != "" {
		return zh
	}
	return en
}

// has reports whether face f has a glyph for r.
func (s *fontSet) has(f notice.Font, r rune) bool { return s.faces[f].GlyphIndex(r) != 0 }

// name is the PostScript name of the font face f is set in.
func (s *fontSet) name(f notice.Font) string { return s.faces[f].PostScriptName() }

// advance is the advance width of r in f, in ems.
func (s *fontSet) advance(f notice.Font, r rune) float64 {
	face := s.faces[f]
	return float64(face.GlyphAdvance(face.GlyphIndex(r))) / float64(face.UnitsPerEm())
}

// report says which faces Fandol stands in for: with a fonts.json, each
// face it names no font for; without, only 方正小标宋 (Fandol is then the
// chosen set, and has no 小标宋).
func (s *fontSet) report() []string {
	var out []string
	for f, fc := range s.faces {
		if !fc.src.office && (s.office || notice.Font(f) == notice.FontXBS) {
			std := notice.Font(f).String()
			if notice.Font(f) == notice.FontXBS {
				std = "方正小标宋"
			}
			out = append(out, std+" → "+fc.PostScriptName())
		}
	}
	return out
}

// ink returns the top and bottom of the ink of text in f, in ems above the
// baseline (bottom is negative below it). It falls back to the ideographic
// character face (0.8, -0.12) for glyphs it cannot measure.
func (s *fontSet) ink(f notice.Font, text string) (top, bottom float64) {
	top, bottom = -1, 1
	o := s.faces[f].outlines
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
