package notice

import (
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// Named is a Format that says the name of the file it writes
// (notice/docx: notice.docx), so that a draft can be written in that one
// format alone.
type Named interface {
	Format
	FileName() string
}

// named returns the Renderer's format that writes name.
func (r *Renderer) named(name string) (Format, error) {
	for _, f := range r.formats {
		if n, ok := f.(Named); ok && n.FileName() == name {
			return f, nil
		}
	}
	return nil, workflow.Errorf("notice.Draft", workflow.NotFound, "此处不能生成 %s 文件", name)
}

// DraftFile writes the draft n as the file name of one of the Renderer's
// formats (docx.FileName): the report as it stands, laid out like the
// published notice, without the number and dates only publication gives.
// NotFound if the Renderer has no such format.
func (r *Renderer) DraftFile(n *workflow.Notice, name string) (workflow.Rendered, error) {
	f, err := r.named(name)
	if err != nil {
		return workflow.Rendered{}, err
	}
	d, err := r.layout(n, Extras{}, true)
	if err != nil {
		return workflow.Rendered{}, err
	}
	return f.Write(d)
}

// PartFile writes one section of a report as the file name: its heading
// at level with the number it has in the report (label), then its
// Markdown body, whose headings stand below that level, numbered as they
// will print; nothing of the notice around them.
func (r *Renderer) PartFile(label string, level int, heading, body, name string) (workflow.Rendered, error) {
	f, err := r.named(name)
	if err != nil {
		return workflow.Rendered{}, err
	}
	level = min(max(level, 1), MaxLevel)
	es, err := r.bodyElements(workflow.ShiftHeadings(body, level))
	if err != nil {
		return workflow.Rendered{}, err
	}
	font := LevelFont(level)
	heading = strings.TrimSpace(heading)
	d := &Document{Title: label + heading, Substitutions: []string{substitution}}
	d.Elements = append(d.Elements, Element{Kind: KindHeading, Level: level, Runs: []Run{{Text: label, Font: font}, {Text: heading, Font: font}}})
	d.Elements = append(d.Elements, es...)
	return f.Write(d)
}
