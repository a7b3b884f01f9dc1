package workflow

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on attachments (附件): the files a department attaches to its
// section and the office to the report. Each is checked before anything
// is stored, with a message that names it.
//
// MaxAttachmentSize is what one request can carry on AWS: a request
// through API Gateway to Lambda holds at most 6 MB, and a binary body
// arrives base64-encoded, a third larger, so 4 MB of file (5.3 MB
// encoded) leaves room for the section form that comes with it (a body
// of at most MaxBody) and the multipart framing. One file a request; the
// same limit holds on one machine, so that what works there works on AWS.
const (
	MaxAttachmentSize  = 4 << 20  // one file, bytes
	MaxAttachments     = 10       // files of one section, or of the report
	MaxAttachmentTotal = 20 << 20 // all the files of one section, or of the report, bytes
	MaxAttachmentName  = 80       // a file's name with its extension, characters
)

// Attachment is a file attached to a section or to the report (附件),
// kept in Blobs under its Hash like a draft's text. Its Type is what its
// content is (AttachmentKinds), never what the uploader claimed.
type Attachment struct {
	Name   string    `json:"name"` // cleaned (CleanAttachmentName), with its extension
	Hash   string    `json:"hash"`
	Size   int       `json:"size"`
	Type   string    `json:"type"` // media type, from the content
	By     string    `json:"by"`
	ByName string    `json:"byName"`
	At     time.Time `json:"at"`
	// Key is where a published copy is kept (Blobs.PutFile), on the
	// publication's attachments only.
	Key string `json:"key,omitempty"`
}

// Title is what the notice's 附件说明 prints for the attachment: its name
// without the extension.
func (a Attachment) Title() string {
	return strings.TrimSuffix(a.Name, path.Ext(a.Name))
}

// AttachmentKind is a type of file that may be attached.
type AttachmentKind struct {
	Type  string   // media type served with it
	Label string   // for people
	Exts  []string // extensions a file of this kind may have; the first is given to a name without one
}

// The kinds of file that may be attached, told apart by their content.
var (
	KindPDF  = AttachmentKind{"application/pdf", "PDF 文件", []string{".pdf"}}
	KindOFD  = AttachmentKind{"application/ofd", "OFD 版式文件", []string{".ofd"}}
	KindDOCX = AttachmentKind{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档", []string{".docx"}}
	KindXLSX = AttachmentKind{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格", []string{".xlsx"}}
	KindDOC  = AttachmentKind{"application/msword", "Word 97-2003 文档", []string{".doc"}}
	KindXLS  = AttachmentKind{"application/vnd.ms-excel", "Excel 97-2003 表格", []string{".xls"}}
	KindJPEG = AttachmentKind{"image/jpeg", "JPEG 图片", []string{".jpg", ".jpeg"}}
	KindPNG  = AttachmentKind{"image/png", "PNG 图片", []string{".png"}}
)

// AttachmentKinds lists every kind of file that may be attached.
var AttachmentKinds = []AttachmentKind{KindPDF, KindOFD, KindDOCX, KindXLSX, KindDOC, KindXLS, KindJPEG, KindPNG}

// AllowedAttachments names the kinds that may be attached, for messages
// and forms.
const AllowedAttachments = "PDF、OFD、Word（.docx/.doc）、Excel（.xlsx/.xls）、JPEG 和 PNG 图片"

// KindOfType returns the kind of a media type as stored on an Attachment.
func KindOfType(typ string) (AttachmentKind, bool) {
	i := slices.IndexFunc(AttachmentKinds, func(k AttachmentKind) bool { return k.Type == typ })
	if i < 0 {
		return AttachmentKind{}, false
	}
	return AttachmentKinds[i], true
}

var (
	magicPDF  = []byte("%PDF-")
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicOLE2 = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicZip  = []byte("PK\x03\x04")
)

// SniffAttachment tells what a file is from its content — not from its
// name, which anyone can change — and returns its kind, or an Invalid
// error saying what is accepted. An OLE2 file (.doc, .xls, but also
// .ppt, .msi …) is told apart by its name's extension only, as reading
// its directory is more than the check is worth.
func SniffAttachment(name string, data []byte) (AttachmentKind, error) {
	const op = "workflow.SniffAttachment"
	ext := strings.ToLower(path.Ext(name))
	refuse := func(what string) error {
		return Errorf(op, Invalid, "「%s」%s，不能作为附件：只接受 %s", name, what, AllowedAttachments)
	}
	switch {
	case bytes.HasPrefix(data, magicPDF):
		return KindPDF, nil
	case bytes.HasPrefix(data, magicPNG):
		return KindPNG, nil
	case bytes.HasPrefix(data, magicJPEG):
		return KindJPEG, nil
	case bytes.HasPrefix(data, magicOLE2):
		switch ext {
		case ".doc":
			return KindDOC, nil
		case ".xls":
			return KindXLS, nil
		}
		return AttachmentKind{}, refuse("是旧版 Office 或其他 OLE2 格式的文件，扩展名不是 .doc 或 .xls")
	case bytes.HasPrefix(data, magicZip):
		names, ok := zipNames(data)
		switch {
		case !ok:
			return AttachmentKind{}, refuse("是损坏或不完整的压缩文件")
		case slices.Contains(names, "OFD.xml"):
			return KindOFD, nil
		case slices.Contains(names, "[Content_Types].xml") && slices.Contains(names, "word/document.xml"):
			return KindDOCX, nil
		case slices.Contains(names, "[Content_Types].xml") && slices.Contains(names, "xl/workbook.xml"):
			return KindXLSX, nil
		case slices.Contains(names, "[Content_Types].xml"):
			return AttachmentKind{}, refuse("是 Word、Excel 以外的 Office 文件（如 PowerPoint）")
		}
		return AttachmentKind{}, refuse("是压缩包")
	}
	for _, k := range AttachmentKinds {
		if slices.Contains(k.Exts, ext) {
			return AttachmentKind{}, refuse(fmt.Sprintf("的扩展名是 %s，但内容不是%s（文件可能被改过扩展名或已损坏）", ext, k.Label))
		}
	}
	return AttachmentKind{}, refuse("的内容不是允许的文件类型")
}

// zipNames lists the names in a zip archive's central directory, without
// inflating anything; false if it cannot be read. The standard library's
// archive/zip would do it too, but it would be linked into every function.
func zipNames(b []byte) ([]string, bool) {
	const eocd = 22 // the end of central directory record, without its comment
	if len(b) < eocd {
		return nil, false
	}
	start := max(0, len(b)-eocd-0xFFFF)
	i := bytes.LastIndex(b[start:], []byte("PK\x05\x06"))
	if i < 0 {
		return nil, false
	}
	i += start
	if len(b)-i < eocd {
		return nil, false
	}
	n := int(binary.LittleEndian.Uint16(b[i+10:]))
	off := int(binary.LittleEndian.Uint32(b[i+16:]))
	var names []string
	for range n {
		if off < 0 || off+46 > i || !bytes.Equal(b[off:off+4], []byte("PK\x01\x02")) {
			return nil, false
		}
		nl := int(binary.LittleEndian.Uint16(b[off+28:]))
		el := int(binary.LittleEndian.Uint16(b[off+30:]))
		cl := int(binary.LittleEndian.Uint16(b[off+32:]))
		if off+46+nl > i {
			return nil, false
		}
		names = append(names, string(b[off+46:off+46+nl]))
		off += 46 + nl + el + cl
	}
	return names, true
}

// CleanAttachmentName makes an uploaded file's name safe to keep, show
// and send back: the last part of a path only (a browser on Windows may
// send C:\…\名称.pdf), no control or bidirectional-override characters
// (which make 报告‮fdp.exe look like 报告exe.pdf), none of the characters
// Windows refuses in names, no leading dots, at most MaxAttachmentName
// characters with the extension kept. Chinese stays as it is. A name
// left empty becomes 附件.
func CleanAttachmentName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '\uFEFF':
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if path.Ext(name) == name && isExtension(name) {
		name = "附件" + name // only an extension: .pdf
	}
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if name == "" || strings.TrimSuffix(name, path.Ext(name)) == "" {
		name = "附件" + path.Ext(name)
	}
	if utf8.RuneCountInString(name) > MaxAttachmentName {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		stem := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimSpace(string(stem[:MaxAttachmentName-utf8.RuneCountInString(ext)])) + ext
	}
	return name
}

// newAttachment checks an uploaded file and returns it as an attachment,
// without who attached it: its content's kind, a clean name with the
// extension of that kind.
func newAttachment(op, name string, data []byte) (Attachment, AttachmentKind, error) {
	name = CleanAttachmentName(name)
	switch {
	case len(data) == 0:
		return Attachment{}, AttachmentKind{}, Errorf(op, Invalid, "「%s」是空文件，不能作为附件", name)
	case len(data) > MaxAttachmentSize:
		return Attachment{}, AttachmentKind{}, Errorf(op, Invalid, "「%s」有 %s，超过每个附件 %s 的上限：请压缩或拆分后再上传", name, SizeText(len(data)), SizeText(MaxAttachmentSize))
	}
	k, err := SniffAttachment(name, data)
	if err != nil {
		return Attachment{}, k, err
	}
	ext := strings.ToLower(path.Ext(name))
	switch {
	case !isExtension(ext):
		name += k.Exts[0] // none, or a name with a dot in it: 2025.12会议纪要
	case !slices.Contains(k.Exts, ext):
		return Attachment{}, k, Errorf(op, Invalid, "「%s」的内容是%s，与扩展名 %s 不符：请把扩展名改为 %s 后再上传", name, k.Label, ext, k.Exts[0])
	}
	if utf8.RuneCountInString(name) > MaxAttachmentName {
		name = CleanAttachmentName(name)
	}
	return Attachment{Name: name, Hash: Hash(data), Size: len(data), Type: k.Type}, k, nil
}

// isExtension reports whether ext (with its dot) looks like a file
// type's extension: one to five ASCII letters or digits, not only digits.
func isExtension(ext string) bool {
	e := strings.TrimPrefix(ext, ".")
	if e == "" || len(e) > 5 || e == ext {
		return false
	}
	letter := false
	for _, r := range e {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letter = true
		case r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return letter
}

// addAttachment puts a onto list, within the limits: a file already
// there is refused, a name already taken by another file is numbered
// (名称（2）.pdf).
func addAttachment(op, where string, list *[]Attachment, a *Attachment) error {
	total := a.Size
	for _, x := range *list {
		if x.Hash == a.Hash {
			return Errorf(op, Invalid, "这个文件已是%s的附件「%s」，无需重复上传", where, x.Name)
		}
		total += x.Size
	}
	switch {
	case len(*list) >= MaxAttachments:
		return Errorf(op, Invalid, "%s已有 %d 个附件，达到上限 %d 个：请先删除不再需要的附件", where, len(*list), MaxAttachments)
	case total > MaxAttachmentTotal:
		return Errorf(op, Invalid, "%s的附件合计将有 %s，超过 %s 的上限：请先删除不再需要的附件，或压缩后再上传", where, SizeText(total), SizeText(MaxAttachmentTotal))
	}
	taken := func(n string) bool {
		return slices.ContainsFunc(*list, func(x Attachment) bool { return strings.EqualFold(x.Name, n) })
	}
	if taken(a.Name) {
		ext := path.Ext(a.Name)
		stem := strings.TrimSuffix(a.Name, ext)
		for i := 2; ; i++ {
			n := fmt.Sprintf("%s（%d）%s", stem, i, ext)
			if !taken(n) {
				a.Name = n
				break
			}
		}
	}
	*list = append(*list, *a)
	return nil
}

// removeAttachment takes the attachment with the given hash off list.
func removeAttachment(op, where string, list *[]Attachment, hash string) (Attachment, error) {
	i := slices.IndexFunc(*list, func(x Attachment) bool { return x.Hash == hash })
	if i < 0 {
		return Attachment{}, Errorf(op, NotFound, "%s没有这个附件（可能已被删除）：请刷新页面", where)
	}
	a := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	if len(*list) == 0 {
		*list = nil
	}
	return a, nil
}

// SizeText writes a size in bytes for people: 512 字节, 38 KB, 4.2 MB.
func SizeText(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d 字节", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	s := fmt.Sprintf("%.1f", float64(n)/(1<<20))
	return strings.TrimSuffix(s, ".0") + " MB"
}

// AttachToSection attaches a file to a section (附件), while its lead
// department may edit it. The file is checked (SniffAttachment, the
// limits) and stored before the section records it; a refusal stores
// nothing. It changes neither the text nor the state, so it leaves the
// revision alone, as an input does.
func (s *Service) AttachToSection(ctx context.Context, id Identity, caseID, secID, name string, data []byte) (*Case, error) {
	const op = "workflow.AttachToSection"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	sec, err := c.section(op, secID)
	if err != nil {
		return nil, err
	}
	if err := Allowed(id, c, ActAttach, sec); err != nil {
		return nil, err
	}
	a, k, err := newAttachment(op, name, data)
	if err != nil {
		return nil, err
	}
	// Checked on the section as read too, so that a refusal stores
	// nothing; the name is numbered below, on the section as it is then.
	probe, list := a, slices.Clone(sec.Attachments)
	if err := addAttachment(op, "本部分", &list, &probe); err != nil {
		return nil, err
	}
	if _, err := s.Blobs.Put(ctx, data); err != nil {
		return nil, fmt.Errorf("%s: store the file: %w", op, err)
	}
	return s.sectionAction(ctx, id, caseID, secID, ActAttach, func(c *Case, sec *Section, r *recorder) error {
		a := a
		a.By, a.ByName, a.At = id.User, id.label(), r.at
		if err := addAttachment(op, "本部分", &sec.Attachments, &a); err != nil {
			return err
		}
		e := r.add(secID, ActAttach, fmt.Sprintf("%s 添加附件「%s」（%s，%s）", c.SectionLabel(secID), a.Name, k.Label, SizeText(a.Size)), a.Hash)
		e.Attachment = &a
		return nil
	})
}

// DetachFromSection removes the attachment with the given hash from a
// section, while its lead department may edit it. The file stays in
// Blobs: the audit trail still names it.
func (s *Service) DetachFromSection(ctx context.Context, id Identity, caseID, secID, hash string) (*Case, error) {
	const op = "workflow.DetachFromSection"
	return s.sectionAction(ctx, id, caseID, secID, ActDetach, func(c *Case, sec *Section, r *recorder) error {
		a, err := removeAttachment(op, "本部分", &sec.Attachments, hash)
		if err != nil {
			return err
		}
		e := r.add(secID, ActDetach, fmt.Sprintf("%s 删除附件「%s」", c.SectionLabel(secID), a.Name), a.Hash)
		e.Attachment = &a
		return nil
	})
}

// AttachToReport attaches a file to the compiled report: a 附件 of the
// notice, listed in its 附件说明 and published with it. Only while the
// report is compiled and not in sign-off (Rules: ActAttachReport), so
// that every signer signs the list as it will be published.
func (s *Service) AttachToReport(ctx context.Context, id Identity, caseID, name string, data []byte) (*Case, error) {
	const op = "workflow.AttachToReport"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := Allowed(id, c, ActAttachReport, nil); err != nil {
		return nil, err
	}
	if c.Report == nil {
		return nil, Errorf(op, Invalid, "报告尚未汇总，不能添加附件")
	}
	a, k, err := newAttachment(op, name, data)
	if err != nil {
		return nil, err
	}
	probe, list := a, slices.Clone(c.Report.Attachments)
	if err := addAttachment(op, "报告", &list, &probe); err != nil {
		return nil, err
	}
	if _, err := s.Blobs.Put(ctx, data); err != nil {
		return nil, fmt.Errorf("%s: store the file: %w", op, err)
	}
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActAttachReport, nil); err != nil {
			return err
		}
		a := a
		a.By, a.ByName, a.At = id.User, id.label(), r.at
		if err := addAttachment(op, "报告", &c.Report.Attachments, &a); err != nil {
			return err
		}
		e := r.add("", ActAttachReport, fmt.Sprintf("报告添加附件%d「%s」（%s，%s）", len(c.Report.Attachments), a.Name, k.Label, SizeText(a.Size)), a.Hash)
		e.Attachment = &a
		return nil
	})
}

// DetachFromReport removes an attachment from the report, on the terms
// of AttachToReport.
func (s *Service) DetachFromReport(ctx context.Context, id Identity, caseID, hash string) (*Case, error) {
	const op = "workflow.DetachFromReport"
	return s.update(ctx, id, caseID, func(c *Case, r *recorder) error {
		if err := Allowed(id, c, ActDetachReport, nil); err != nil {
			return err
		}
		if c.Report == nil {
			return Errorf(op, NotFound, "报告没有这个附件")
		}
		a, err := removeAttachment(op, "报告", &c.Report.Attachments, hash)
		if err != nil {
			return err
		}
		e := r.add("", ActDetachReport, fmt.Sprintf("报告删除附件「%s」", a.Name), a.Hash)
		e.Attachment = &a
		return nil
	})
}

// Attachment returns an attachment of a case and its content to whoever
// may read where it is attached: a section's (stream its ID) to those who
// may read the section's text, the report's (stream "") to those who may
// read the report. To the rest it does not exist.
func (s *Service) Attachment(ctx context.Context, id Identity, caseID, stream, hash string) (Attachment, []byte, error) {
	const op = "workflow.Attachment"
	c, err := s.Case(ctx, id, caseID)
	if err != nil {
		return Attachment{}, nil, err
	}
	var list []Attachment
	if stream == "" {
		if c.Report != nil {
			list = c.Report.Attachments
		}
	} else if sec, ok := c.Section(stream); ok && CanRead(id, c, stream) {
		list = sec.Attachments
	}
	for _, a := range list {
		if a.Hash == hash {
			b, err := s.Blobs.Get(ctx, hash)
			return a, b, err
		}
	}
	return Attachment{}, nil, Errorf(op, NotFound, "没有这个附件，或您无权查看")
}

// PublishedAttachment returns the n-th attachment (from 1) of a
// published notice, as it was stored with the publication, to whoever
// may see the notice's files (File).
func (s *Service) PublishedAttachment(ctx context.Context, id Identity, caseID string, n int) (Attachment, []byte, error) {
	const op = "workflow.PublishedAttachment"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil && KindOf(err) != NotFound {
		return Attachment{}, nil, err
	}
	if err == nil && c.Stage == Published && visible(id, c) != nil && n >= 1 && n <= len(c.Publication.Attachments) {
		a := c.Publication.Attachments[n-1]
		b, err := s.Blobs.File(ctx, a.Key)
		return a, b, err
	}
	return Attachment{}, nil, Errorf(op, NotFound, "没有已发布的附件 %d", n)
}

// publishAttachments stores the report's attachments with the
// publication, each once and immutable (Blobs.PutFile), as the 附件 of
// the notice in its 附件说明's order.
func (s *Service) publishAttachments(ctx context.Context, c *Case) ([]Attachment, error) {
	if c.Report == nil {
		return nil, nil
	}
	var out []Attachment
	for i, a := range c.Report.Attachments {
		b, err := s.Blobs.Get(ctx, a.Hash)
		if err != nil {
			return nil, fmt.Errorf("read attachment %s: %w", a.Name, err)
		}
		a.Key = fmt.Sprintf("published/%s/attachment-%d%s", c.ID, i+1, strings.ToLower(path.Ext(a.Name)))
		if err := s.Blobs.PutFile(ctx, a.Key, b, a.Type); err != nil {
			return nil, fmt.Errorf("store %s: %w", a.Key, err)
		}
		out = append(out, a)
	}
	return out, nil
}
