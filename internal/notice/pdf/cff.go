package pdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// A CID-keyed CFF font (the outlines of an OpenType/CFF font such as
// Fandol's) and a subsetter that keeps only the glyphs a document uses,
// renumbered 0..n-1, with a charset mapping each new glyph to its original
// CID. Content streams then show text by CID (Identity-H), which is what a
// CIDFontType0 font expects.
//
// folio's own subsetter (font.SubsetCFF) keeps every glyph slot, with
// empty charstrings for unused ones: for Fandol's 10,365 glyphs that is a
// 31 KB CharStrings offset table per font (about 19 KB compressed, five
// fonts per notice), and it leaves the source charset in place while
// folio writes glyph IDs as codes, so glyphs whose ID differs from their
// CID (Fandol: –, ‐, €, ¥ and 1,260 others above ID 8,895) would show as
// .notdef. This subsetter avoids both.

// cffFont is a parsed CID-keyed CFF table.
type cffFont struct {
	raw         []byte
	header      []byte
	name        []byte // Name INDEX, verbatim
	strings     []byte // String INDEX, verbatim
	stringItems [][]byte
	gsubrs      []byte      // Global Subr INDEX, verbatim
	top         []dictEntry // Top DICT
	charStrings [][]byte
	cids        []uint16 // glyph → CID (charset)
	fdSelect    []uint8  // glyph → FD
	fds         []cffFD
	registry    string // ROS
	ordering    string
	supplement  int
}

// cffFD is one Font DICT with its Private DICT and local subroutines.
type cffFD struct {
	dict    []dictEntry
	private []dictEntry
	subrs   []byte // Local Subr INDEX, verbatim; nil if none
}

// dictEntry is one operator of a CFF DICT with its operands' raw bytes.
type dictEntry struct {
	op       int // one byte, or 1200+second byte for escaped operators
	operands []byte
	values   []float64 // decoded integer operands (reals as 0)
}

var errCFF = errors.New("notice: malformed CFF font")

// parseCFF parses a CID-keyed CFF table.
func parseCFF(b []byte) (*cffFont, error) {
	if len(b) < 4 {
		return nil, errCFF
	}
	f := &cffFont{raw: b}
	hdr := int(b[2])
	if hdr > len(b) {
		return nil, errCFF
	}
	f.header = b[:hdr]
	pos := hdr
	var items [][]byte
	var err error
	start := pos
	if _, pos, err = readIndex(b, pos); err != nil {
		return nil, err
	}
	f.name = b[start:pos]
	if items, pos, err = readIndex(b, pos); err != nil || len(items) == 0 {
		return nil, errCFF
	}
	if f.top, err = parseDict(items[0]); err != nil {
		return nil, err
	}
	start = pos
	if f.stringItems, pos, err = readIndex(b, pos); err != nil {
		return nil, err
	}
	f.strings = b[start:pos]
	start = pos
	if _, pos, err = readIndex(b, pos); err != nil {
		return nil, err
	}
	f.gsubrs = b[start:pos]

	ros, ok := lookup(f.top, 1230)
	if !ok || len(ros.values) < 3 {
		return nil, fmt.Errorf("%w: not CID-keyed (no ROS)", errCFF)
	}
	f.registry, f.ordering, f.supplement = f.sid(int(ros.values[0])), f.sid(int(ros.values[1])), int(ros.values[2])
	cs, ok := lookup(f.top, 17)
	if !ok || len(cs.values) < 1 {
		return nil, errCFF
	}
	if f.charStrings, _, err = readIndex(b, int(cs.values[0])); err != nil {
		return nil, err
	}
	n := len(f.charStrings)
	if cs, ok := lookup(f.top, 15); ok && len(cs.values) == 1 && cs.values[0] > 2 {
		if f.cids, err = readCharset(b, int(cs.values[0]), n); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("%w: CID font without charset", errCFF)
	}
	fa, ok := lookup(f.top, 1236)
	if !ok || len(fa.values) < 1 {
		return nil, errCFF
	}
	fdDicts, _, err := readIndex(b, int(fa.values[0]))
	if err != nil || len(fdDicts) == 0 {
		return nil, errCFF
	}
	for _, d := range fdDicts {
		fd := cffFD{}
		if fd.dict, err = parseDict(d); err != nil {
			return nil, err
		}
		if p, ok := lookup(fd.dict, 18); ok && len(p.values) == 2 {
			size, off := int(p.values[0]), int(p.values[1])
			if off < 0 || size < 0 || off+size > len(b) {
				return nil, errCFF
			}
			if fd.private, err = parseDict(b[off : off+size]); err != nil {
				return nil, err
			}
			if s, ok := lookup(fd.private, 19); ok && len(s.values) == 1 {
				_, end, err := readIndex(b, off+int(s.values[0]))
				if err != nil {
					return nil, err
				}
				fd.subrs = b[off+int(s.values[0]) : end]
			}
		}
		f.fds = append(f.fds, fd)
	}
	f.fdSelect = make([]uint8, n)
	if fs, ok := lookup(f.top, 1237); ok && len(fs.values) == 1 {
		if err := readFDSelect(b, int(fs.values[0]), f.fdSelect, len(f.fds)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// sid returns the string of a String ID.
func (f *cffFont) sid(id int) string {
	if id >= nStdStrings && id-nStdStrings < len(f.stringItems) {
		return string(f.stringItems[id-nStdStrings])
	}
	if id < len(stdStrings) {
		return stdStrings[id]
	}
	return ""
}

const nStdStrings = 391

// stdStrings holds the few standard strings a ROS may name.
var stdStrings = func() []string {
	s := make([]string, nStdStrings)
	s[0] = ".notdef"
	return s
}()

// subset returns a CFF with the glyphs gids (glyph 0 first), renumbered in
// that order; the charset keeps their CIDs.
func (f *cffFont) subset(gids []uint16) ([]byte, error) {
	for _, g := range gids {
		if int(g) >= len(f.charStrings) {
			return nil, fmt.Errorf("%w: glyph %d out of range", errCFF, g)
		}
	}
	var charset, fdSel []byte
	charset = append(charset, 0) // format 0: one CID per glyph after .notdef
	for _, g := range gids[1:] {
		charset = binary.BigEndian.AppendUint16(charset, f.cids[g])
	}
	fdSel = append(fdSel, 0) // format 0: one FD index per glyph
	for _, g := range gids {
		fdSel = append(fdSel, f.fdSelect[g])
	}
	cs := make([][]byte, len(gids))
	for i, g := range gids {
		cs[i] = f.charStrings[g]
	}
	charStrings := writeIndex(cs)

	// Private DICTs (with Subrs pointing just past them) and their subrs.
	privates := make([][]byte, len(f.fds))
	for i, fd := range f.fds {
		var p []dictEntry
		for _, e := range fd.private {
			if e.op != 19 {
				p = append(p, e)
			}
		}
		if fd.subrs != nil {
			size := len(encodeDict(p)) + 6 // the Subrs entry: 5-byte operand + operator
			p = append(p, offsetEntry(19, size))
		}
		privates[i] = encodeDict(p)
	}

	// Top DICT with fixed-width offsets, so its size is known up front.
	var top []dictEntry
	for _, e := range f.top {
		switch e.op {
		case 15, 17, 1236, 1237, 18, 13, 1238: // offsets, UniqueID/XUID dropped
			continue
		}
		top = append(top, e)
	}
	top = append(top, offsetEntry(15, 0), offsetEntry(1237, 0), offsetEntry(17, 0), offsetEntry(1236, 0))
	topSize := len(writeIndex([][]byte{encodeDict(top)}))
	base := len(f.header) + len(f.name) + topSize + len(f.strings) + len(f.gsubrs)
	offCharset := base
	offFDSelect := offCharset + len(charset)
	offCharStrings := offFDSelect + len(fdSel)
	offFDArray := offCharStrings + len(charStrings)
	// FDArray: Font DICTs with their Private [size offset], fixed width.
	fdDicts := make([][]byte, len(f.fds))
	for i, fd := range f.fds {
		var d []dictEntry
		for _, e := range fd.dict {
			if e.op != 18 {
				d = append(d, e)
			}
		}
		fdDicts[i] = encodeDict(append(d, privateEntry(0, 0)))
	}
	fdArraySize := len(writeIndex(fdDicts))
	off := offFDArray + fdArraySize
	for i, fd := range f.fds {
		var d []dictEntry
		for _, e := range fd.dict {
			if e.op != 18 {
				d = append(d, e)
			}
		}
		fdDicts[i] = encodeDict(append(d, privateEntry(len(privates[i]), off)))
		off += len(privates[i]) + len(fd.subrs)
	}
	top[len(top)-4] = offsetEntry(15, offCharset)
	top[len(top)-3] = offsetEntry(1237, offFDSelect)
	top[len(top)-2] = offsetEntry(17, offCharStrings)
	top[len(top)-1] = offsetEntry(1236, offFDArray)

	out := make([]byte, 0, off)
	out = append(out, f.header...)
	out = append(out, f.name...)
	out = append(out, writeIndex([][]byte{encodeDict(top)})...)
	out = append(out, f.strings...)
	out = append(out, f.gsubrs...)
	out = append(out, charset...)
	out = append(out, fdSel...)
	out = append(out, charStrings...)
	out = append(out, writeIndex(fdDicts)...)
	for i, fd := range f.fds {
		out = append(out, privates[i]...)
		out = append(out, fd.subrs...)
	}
	if len(out) != off {
		return nil, fmt.Errorf("%w: subset layout %d != %d", errCFF, len(out), off)
	}
	return out, nil
}

func lookup(d []dictEntry, op int) (dictEntry, bool) {
	for _, e := range d {
		if e.op == op {
			return e, true
		}
	}
	return dictEntry{}, false
}

// offsetEntry encodes an operator with one 5-byte integer operand.
func offsetEntry(op, v int) dictEntry {
	b := []byte{29, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(int32(v)))
	return dictEntry{op: op, operands: b, values: []float64{float64(v)}}
}

// privateEntry encodes Private [size offset] with 5-byte operands.
func privateEntry(size, off int) dictEntry {
	a, b := offsetEntry(18, size), offsetEntry(18, off)
	return dictEntry{op: 18, operands: append(a.operands, b.operands...), values: []float64{float64(size), float64(off)}}
}

func encodeDict(d []dictEntry) []byte {
	var b []byte
	for _, e := range d {
		b = append(b, e.operands...)
		if e.op >= 1200 {
			b = append(b, 12, byte(e.op-1200))
		} else {
			b = append(b, byte(e.op))
		}
	}
	return b
}

// parseDict splits a DICT into operators with their raw operands.
func parseDict(b []byte) ([]dictEntry, error) {
	var d []dictEntry
	start := 0
	var vals []float64
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c <= 21:
			op := int(c)
			i++
			if c == 12 {
				if i >= len(b) {
					return nil, errCFF
				}
				op = 1200 + int(b[i])
				i++
			}
			end := i - 1
			if op >= 1200 {
				end--
			}
			d = append(d, dictEntry{op: op, operands: b[start:end], values: vals})
			start, vals = i, nil
		case c == 28:
			if i+3 > len(b) {
				return nil, errCFF
			}
			vals = append(vals, float64(int16(binary.BigEndian.Uint16(b[i+1:]))))
			i += 3
		case c == 29:
			if i+5 > len(b) {
				return nil, errCFF
			}
			vals = append(vals, float64(int32(binary.BigEndian.Uint32(b[i+1:]))))
			i += 5
		case c == 30:
			i++
			for i < len(b) && b[i]&0x0f != 0x0f && b[i]>>4 != 0x0f {
				i++
			}
			i++
			vals = append(vals, 0)
		case c >= 32 && c <= 246:
			vals = append(vals, float64(int(c)-139))
			i++
		case c >= 247 && c <= 250:
			if i+2 > len(b) {
				return nil, errCFF
			}
			vals = append(vals, float64((int(c)-247)*256+int(b[i+1])+108))
			i += 2
		case c >= 251 && c <= 254:
			if i+2 > len(b) {
				return nil, errCFF
			}
			vals = append(vals, float64(-(int(c)-251)*256-int(b[i+1])-108))
			i += 2
		default:
			return nil, errCFF
		}
	}
	return d, nil
}

// readIndex reads a CFF INDEX at pos and returns its items and the end.
func readIndex(b []byte, pos int) ([][]byte, int, error) {
	if pos < 0 || pos+2 > len(b) {
		return nil, 0, errCFF
	}
	count := int(binary.BigEndian.Uint16(b[pos:]))
	if count == 0 {
		return nil, pos + 2, nil
	}
	if pos+3 > len(b) {
		return nil, 0, errCFF
	}
	offSize := int(b[pos+2])
	if offSize < 1 || offSize > 4 {
		return nil, 0, errCFF
	}
	offs := pos + 3
	data := offs + (count+1)*offSize - 1
	if data > len(b) {
		return nil, 0, errCFF
	}
	read := func(i int) int {
		v := 0
		for _, c := range b[offs+i*offSize : offs+(i+1)*offSize] {
			v = v<<8 | int(c)
		}
		return v
	}
	items := make([][]byte, count)
	for i := range count {
		s, e := data+read(i), data+read(i+1)
		if s > e || e > len(b) {
			return nil, 0, errCFF
		}
		items[i] = b[s:e]
	}
	return items, data + read(count), nil
}

// writeIndex writes items as a CFF INDEX.
func writeIndex(items [][]byte) []byte {
	if len(items) == 0 {
		return []byte{0, 0}
	}
	total := 1
	for _, it := range items {
		total += len(it)
	}
	offSize := 1
	for lim := 0xff; total > lim && offSize < 4; lim = lim<<8 | 0xff {
		offSize++
	}
	b := make([]byte, 0, 3+(len(items)+1)*offSize+total)
	b = binary.BigEndian.AppendUint16(b, uint16(len(items)))
	b = append(b, byte(offSize))
	put := func(v int) {
		for s := (offSize - 1) * 8; s >= 0; s -= 8 {
			b = append(b, byte(v>>s))
		}
	}
	o := 1
	put(o)
	for _, it := range items {
		o += len(it)
		put(o)
	}
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

// readCharset reads the glyph → CID map (glyph 0 is CID 0).
func readCharset(b []byte, pos, n int) ([]uint16, error) {
	cids := make([]uint16, n)
	if pos >= len(b) {
		return nil, errCFF
	}
	format := b[pos]
	pos++
	g := 1
	switch format {
	case 0:
		for ; g < n; g++ {
			if pos+2 > len(b) {
				return nil, errCFF
			}
			cids[g] = binary.BigEndian.Uint16(b[pos:])
			pos += 2
		}
	case 1, 2:
		for g < n {
			if pos+3 > len(b) {
				return nil, errCFF
			}
			first := int(binary.BigEndian.Uint16(b[pos:]))
			var left int
			if format == 1 {
				left = int(b[pos+2])
				pos += 3
			} else {
				if pos+4 > len(b) {
					return nil, errCFF
				}
				left = int(binary.BigEndian.Uint16(b[pos+2:]))
				pos += 4
			}
			for i := 0; i <= left && g < n; i++ {
				cids[g] = uint16(first + i)
				g++
			}
		}
	default:
		return nil, fmt.Errorf("%w: charset format %d", errCFF, format)
	}
	return cids, nil
}

// readFDSelect fills sel (glyph → FD) from the FDSelect at pos.
func readFDSelect(b []byte, pos int, sel []uint8, nFD int) error {
	if pos >= len(b) {
		return errCFF
	}
	switch b[pos] {
	case 0:
		if pos+1+len(sel) > len(b) {
			return errCFF
		}
		copy(sel, b[pos+1:])
	case 3:
		if pos+3 > len(b) {
			return errCFF
		}
		nr := int(binary.BigEndian.Uint16(b[pos+1:]))
		p := pos + 3
		if p+nr*3+2 > len(b) {
			return errCFF
		}
		for r := range nr {
			first := int(binary.BigEndian.Uint16(b[p+r*3:]))
			fd := b[p+r*3+2]
			next := int(binary.BigEndian.Uint16(b[p+(r+1)*3:]))
			for g := first; g < next && g < len(sel); g++ {
				sel[g] = fd
			}
		}
	default:
		return fmt.Errorf("%w: FDSelect format %d", errCFF, b[pos])
	}
	for _, fd := range sel {
		if int(fd) >= nFD {
			return errCFF
		}
	}
	return nil
}

// cffTable returns the 'CFF ' table of an OpenType font file.
func cffTable(otf []byte) ([]byte, error) {
	if len(otf) < 12 {
		return nil, errCFF
	}
	n := int(binary.BigEndian.Uint16(otf[4:]))
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(otf) {
			break
		}
		if string(otf[rec:rec+4]) == "CFF " {
			off := int(binary.BigEndian.Uint32(otf[rec+8:]))
			l := int(binary.BigEndian.Uint32(otf[rec+12:]))
			if off+l > len(otf) || off < 0 || l < 0 {
				return nil, errCFF
			}
			return otf[off : off+l], nil
		}
	}
	return nil, fmt.Errorf("%w: no CFF table (a TrueType font?)", errCFF)
}

// sortedGlyphs returns the glyphs of used with .notdef first.
func sortedGlyphs(used map[uint16]rune) []uint16 {
	gids := []uint16{0}
	for g := range used {
		if g != 0 {
			gids = append(gids, g)
		}
	}
	slices.Sort(gids[1:])
	return gids
}
