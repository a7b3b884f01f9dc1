package docxmd

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// run is text in one formatting.
type run struct {
	text         string
	bold, italic bool
}

// para is a Word paragraph as read: its properties and its text, cut into
// pieces where a line break (w:br) stands.
type para struct {
	style        string
	numID, ilvl  string
	hasNum       bool // w:numPr present (numId 0 takes a style's list away)
	outline      int  // w:outlineLvl + 1; 0: none
	pieces       [][]run
	bold, italic bool // of the run being read
	hidden       bool

	// The text of the run being built, in one formatting: Word splits
	// text into many runs, and appending to a string each time would
	// copy a long paragraph once for every run.
	buf              strings.Builder
	bufBold, bufItal bool
}

func (p *para) add(s string) {
	if p.hidden || s == "" {
		return
	}
	if p.buf.Len() > 0 && (p.bufBold != p.bold || p.bufItal != p.italic) {
		p.flush()
	}
	p.bufBold, p.bufItal = p.bold, p.italic
	p.buf.WriteString(s)
}

// flush ends the run being built.
func (p *para) flush() {
	if p.buf.Len() == 0 {
		return
	}
	last := &p.pieces[len(p.pieces)-1]
	*last = append(*last, run{text: p.buf.String(), bold: p.bufBold, italic: p.bufItal})
	p.buf.Reset()
}

// newPiece starts the text after a line break.
func (p *para) newPiece() {
	p.flush()
	p.pieces = append(p.pieces, nil)
}

// block is a paragraph or a table of the body.
type block struct {
	para  *para
	table [][][]*para // rows of cells of paragraphs
}

// ignored are elements whose content is not the document's text: deleted
// text of tracked changes, the fallback copy of alternate content (the
// choice is read), properties as they were before a tracked change,
// section properties, field instructions.
func ignored(n xml.Name) bool {
	if n.Space == nsMC {
		return n.Local == "Fallback"
	}
	if !isW(n) {
		return false
	}
	switch n.Local {
	case "del", "moveFrom", "pPrChange", "rPrChange", "sectPr", "instrText", "delText", "tblPrEx", "tblPr", "tblGrid", "trPr", "footnotePr", "endnotePr":
		return true
	}
	return false
}

// document reads word/document.xml into blocks.
func (r *reader) document(d *xml.Decoder) ([]block, error) {
	return r.walk(d, 0, true, nil)
}

// cellProps is what a table cell's w:tcPr says.
type cellProps struct {
	span      int  // w:gridSpan
	continued bool // w:vMerge continuing the cell above
}

// walk reads blocks until the end of the element whose start was just
// read (or the end of the input, if top). Paragraphs and tables are found
// at any depth: inside content controls, smart tags, insertions.
func (r *reader) walk(d *xml.Decoder, nest int, top bool, cp *cellProps) ([]block, error) {
	if nest > maxDepth {
		return nil, errTooDeep
	}
	var out []block
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF && top {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if ignored(t.Name) {
				if err := skip(d); err != nil {
					return nil, err
				}
				continue
			}
			if isW(t.Name) {
				switch t.Name.Local {
				case "p":
					p, extra, err := r.paragraph(d, nest)
					if err != nil {
						return nil, err
					}
					out = append(out, block{para: p})
					out = append(out, extra...)
					continue
				case "tbl":
					tb, err := r.table(d, nest+1)
					if err != nil {
						return nil, err
					}
					out = append(out, block{table: tb})
					continue
				case "gridSpan":
					if n, err := strconv.Atoi(val(t)); cp != nil && err == nil && n > 1 && n < 64 {
						cp.span = n
					}
				case "vMerge":
					if cp != nil && val(t) != "restart" {
						cp.continued = true
					}
				}
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return out, nil
			}
			depth--
		}
	}
}

// paragraph reads a w:p whose start was just read. Text boxes anchored in
// it come back as blocks of their own.
func (r *reader) paragraph(d *xml.Decoder, nest int) (*para, []block, error) {
	p := &para{pieces: [][]run{nil}}
	var (
		extra []block
		depth int
		inPPr int // depth inside w:pPr
		inRPr bool
		inT   bool
	)
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if ignored(t.Name) {
				if err := skip(d); err != nil {
					return nil, nil, err
				}
				continue
			}
			depth++
			if inPPr > 0 {
				inPPr++
			}
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "pPr":
				inPPr = 1
			case "pStyle":
				if inPPr > 0 {
					p.style = val(t)
				}
			case "numPr":
				if inPPr > 0 {
					p.hasNum = true
				}
			case "numId":
				if inPPr > 0 {
					p.numID = val(t)
				}
			case "ilvl":
				if inPPr > 0 {
					p.ilvl = val(t)
				}
			case "outlineLvl":
				if n, err := strconv.Atoi(val(t)); inPPr > 0 && err == nil && n >= 0 && n < 9 {
					p.outline = n + 1
				}
			case "r":
				p.bold, p.italic, p.hidden = false, false, false
			case "rPr":
				inRPr = inPPr == 0
			case "b":
				if inRPr {
					p.bold = on(t)
				}
			case "i":
				if inRPr {
					p.italic = on(t)
				}
			case "vanish", "specVanish":
				if inRPr {
					p.hidden = on(t)
				}
			case "t":
				inT = inPPr == 0
			case "tab", "ptab":
				if inPPr == 0 {
					p.add("\t")
				}
			case "noBreakHyphen":
				p.add("-")
			case "br", "cr":
				if typ := attr(t, "type"); typ != "page" && typ != "column" && !p.hidden {
					p.newPiece()
				}
			case "txbxContent":
				bs, err := r.walk(d, nest+1, false, nil)
				if err != nil {
					return nil, nil, err
				}
				extra = append(extra, bs...)
				depth--
			}
		case xml.EndElement:
			if depth == 0 {
				p.flush()
				return p, extra, r.count(1)
			}
			depth--
			if inPPr > 0 {
				inPPr--
			}
			if isW(t.Name) {
				switch t.Name.Local {
				case "t":
					inT = false
				case "rPr":
					inRPr = false
				}
			}
		case xml.CharData:
			if inT {
				p.add(string(t))
			}
		}
	}
}

// table reads a w:tbl whose start was just read.
func (r *reader) table(d *xml.Decoder, nest int) ([][][]*para, error) {
	if nest > maxDepth {
		return nil, errTooDeep
	}
	var rows [][][]*para
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if ignored(t.Name) {
				if err := skip(d); err != nil {
					return nil, err
				}
				continue
			}
			if isW(t.Name) {
				switch t.Name.Local {
				case "tr":
					rows = append(rows, nil)
				case "tc":
					if err := r.count(1); err != nil {
						return nil, err
					}
					var cp cellProps
					bs, err := r.walk(d, nest, false, &cp)
					if err != nil {
						return nil, err
					}
					if len(rows) == 0 {
						rows = append(rows, nil)
					}
					row := &rows[len(rows)-1]
					var cell []*para
					if !cp.continued {
						cell = flatten(bs)
					}
					*row = append(*row, cell)
					for i := 1; i < cp.span; i++ {
						*row = append(*row, nil)
					}
					if err := r.count(cp.span); err != nil {
						return nil, err
					}
					continue
				}
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return rows, nil
			}
			depth--
		}
	}
}

// flatten lists the paragraphs of blocks, those of tables inside them
// too: a table in a table cell becomes its text.
func flatten(bs []block) []*para {
	var out []*para
	for _, b := range bs {
		if b.para != nil {
			out = append(out, b.para)
		}
		for _, row := range b.table {
			for _, cell := range row {
				out = append(out, cell...)
			}
		}
	}
	return out
}

// count adds n paragraphs or cells to what the document holds, and
// refuses a document with more than maxBlocks: each costs memory whether
// or not it has text, and a section of the largest body has far fewer.
func (r *reader) count(n int) error {
	r.blocks += n
	if r.blocks > maxBlocks {
		return errTooMany
	}
	return nil
}
