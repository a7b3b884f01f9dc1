package docxmd

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// style is what a paragraph style says about headings and numbering.
type style struct {
	basedOn string
	heading int    // outline level 1–9 from the name (heading 2, 标题 2) or w:outlineLvl; 0: none
	numID   string // w:numPr of the style: Word's lists linked to heading styles
	ilvl    string
	hasNum  bool
}

// numLevel is one level of an abstract numbering definition.
type numLevel struct {
	start  int
	format string // w:numFmt: decimal, chineseCounting, bullet, …
	text   string // w:lvlText: "%1、", "（%2）"
}

// numInstance is a w:num: an abstract definition and its start overrides.
type numInstance struct {
	abstract string
	start    map[int]int
}

// reader holds what styles.xml and numbering.xml say, and the list
// counters while document.xml is read.
type reader struct {
	styles map[string]*style
	levels map[string]*[9]numLevel // by w:abstractNumId
	nums   map[string]numInstance  // by w:numId
	links  map[string]string       // abstract list → the list style it takes its levels from (w:numStyleLink)
	counts map[string]*[9]int      // by abstract list; 0: not yet used
	blocks int                     // paragraphs and table cells read
}

func (r *reader) readStyles(d *xml.Decoder) error {
	var (
		cur   *style
		inPPr bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "style":
				cur = nil
				// Paragraph styles, and list styles (w:numStyleLink names them).
				if typ := attr(t, "type"); typ == "paragraph" || typ == "numbering" || typ == "" {
					cur = &style{}
					r.styles[attr(t, "styleId")] = cur
				}
			case "pPr":
				inPPr = true
			case "name":
				if cur != nil {
					cur.heading = max(cur.heading, headingName(val(t)))
				}
			case "basedOn":
				if cur != nil {
					cur.basedOn = val(t)
				}
			case "outlineLvl":
				if n, err := strconv.Atoi(val(t)); cur != nil && inPPr && err == nil && n >= 0 && n < 9 && cur.heading == 0 {
					cur.heading = n + 1
				}
			case "numId":
				if cur != nil && inPPr {
					cur.numID, cur.hasNum = val(t), true
				}
			case "ilvl":
				if cur != nil && inPPr {
					cur.ilvl = val(t)
				}
			}
		case xml.EndElement:
			if isW(t.Name) && t.Name.Local == "pPr" {
				inPPr = false
			} else if isW(t.Name) && t.Name.Local == "style" {
				cur = nil
			}
		}
	}
}

// headingName reads the level of a built-in heading style's name: Word
// stores "heading 1" whatever the language it shows; other tools write
// "Heading 1" or "标题 1".
func headingName(name string) int {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range []string{"heading", "标题"} {
		if rest, ok := strings.CutPrefix(n, p); ok {
			if v, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil && v >= 1 && v <= 9 {
				return v
			}
		}
	}
	return 0
}

// styleOf resolves a paragraph style through its basedOn chain: the
// heading level and the numbering the nearest style gives.
func (r *reader) styleOf(id string) (heading int, numID, ilvl string) {
	gotNum := false
	for i := 0; i < 16 && id != ""; i++ { // chains are short; a loop is cut off
		s := r.styles[id]
		if s == nil {
			break
		}
		if heading == 0 {
			heading = s.heading
		}
		if !gotNum && s.hasNum {
			numID, gotNum = s.numID, true
		}
		if ilvl == "" {
			ilvl = s.ilvl
		}
		id = s.basedOn
	}
	return heading, numID, ilvl
}

func (r *reader) readNumbering(d *xml.Decoder) error {
	var (
		levels *[9]numLevel
		absID  string
		lvl    = -1
		inst   *numInstance
		instID string
		over   = -1
	)
	index := func(s string) int {
		if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < 9 {
			return i
		}
		return -1
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "abstractNum":
				levels = &[9]numLevel{}
				for i := range levels {
					levels[i].start = 1
				}
				absID = attr(t, "abstractNumId")
				r.levels[absID] = levels
			case "numStyleLink":
				if levels != nil {
					r.links[absID] = val(t)
				}
			case "lvl":
				lvl = index(attr(t, "ilvl"))
			case "start":
				if v, err := strconv.Atoi(val(t)); err == nil && levels != nil && lvl >= 0 && v >= 0 && v < 1e6 {
					levels[lvl].start = v
				}
			case "numFmt":
				if levels != nil && lvl >= 0 {
					levels[lvl].format = val(t)
				}
			case "lvlText":
				if levels != nil && lvl >= 0 {
					levels[lvl].text = val(t)
				}
			case "num":
				instID = attr(t, "numId")
				inst = &numInstance{start: map[int]int{}}
			case "abstractNumId":
				if inst != nil {
					inst.abstract = val(t)
				}
			case "lvlOverride":
				over = index(attr(t, "ilvl"))
			case "startOverride":
				if v, err := strconv.Atoi(val(t)); err == nil && inst != nil && over >= 0 && v >= 0 && v < 1e6 {
					inst.start[over] = v
				}
			}
		case xml.EndElement:
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "abstractNum":
				levels, lvl = nil, -1
			case "lvl":
				lvl = -1
			case "num":
				if inst != nil {
					r.nums[instID] = *inst
				}
				inst = nil
			}
		}
	}
}

// label advances the counters of list numID at level ilvl and returns the
// label Word shows there; bullet is true for a bulleted item, ok false if
// the paragraph is not in a list.
func (r *reader) label(numID, ilvl string) (label string, bullet, ok bool) {
	if numID == "" || numID == "0" {
		return "", false, false
	}
	inst, found := r.nums[numID]
	if !found {
		return "", false, false
	}
	abstract := inst.abstract
	// A list that takes its levels from a list style: the style names
	// the w:num whose definition has them (one step; Word makes no chains).
	if style, ok := r.links[abstract]; ok {
		if s := r.styles[style]; s != nil && s.numID != "" {
			if target, ok := r.nums[s.numID]; ok && target.abstract != abstract {
				abstract = target.abstract
			}
		}
	}
	levels := r.levels[abstract]
	lvl := 0
	if ilvl != "" {
		var err error
		if lvl, err = strconv.Atoi(ilvl); err != nil || lvl < 0 || lvl > 8 {
			return "", false, false
		}
	}
	if levels == nil {
		return "", false, false
	}
	// Word counts per abstract definition: two w:num of one definition
	// continue each other unless one overrides its start.
	key := abstract
	if len(inst.start) > 0 {
		key = "num:" + numID
	}
	count := r.counts[key]
	if count == nil {
		count = &[9]int{}
		r.counts[key] = count
	}
	if count[lvl] == 0 {
		count[lvl] = levels[lvl].start
		if v, ok := inst.start[lvl]; ok {
			count[lvl] = v
		}
	} else {
		count[lvl]++
	}
	for i := lvl + 1; i < len(count); i++ { // deeper levels start again
		count[i] = 0
	}
	switch levels[lvl].format {
	case "bullet":
		return "", true, true
	case "none":
		return "", false, true
	}
	text := levels[lvl].text
	for i := range levels { // %1 … %9 are the counters of levels 0 … 8
		ph := "%" + strconv.Itoa(i+1)
		if strings.Contains(text, ph) {
			text = strings.ReplaceAll(text, ph, formatCount(max(count[i], levels[i].start, 1), levels[i].format))
		}
	}
	return text, false, true
}

// formatCount writes n as w:numFmt says. Formats no official document
// numbers its levels with fall back to Arabic digits.
func formatCount(n int, format string) string {
	switch format {
	case "chineseCounting", "chineseCountingThousand", "ideographLegalTraditional",
		"chineseLegalSimplified", "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand":
		return chinese(n)
	case "decimalFullWidth", "decimalFullWidth2":
		return strings.Map(func(r rune) rune { return r - '0' + '０' }, strconv.Itoa(n))
	case "decimalEnclosedCircle", "decimalEnclosedCircleChinese":
		if n >= 1 && n <= 20 {
			return string(rune('①' + n - 1))
		}
	case "lowerLetter", "upperLetter":
		if n >= 1 && n <= 26 {
			if format == "upperLetter" {
				return string(rune('A' + n - 1))
			}
			return string(rune('a' + n - 1))
		}
	}
	return strconv.Itoa(n)
}

// chinese writes 1–99 in Chinese numerals as Word's chineseCounting does.
func chinese(n int) string {
	d := []string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return d[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + d[n%10]
	case n%10 == 0:
		return d[n/10] + "十"
	}
	return d[n/10] + "十" + d[n%10]
}
