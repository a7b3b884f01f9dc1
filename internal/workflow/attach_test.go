package workflow_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// Small files of each kind, as their first bytes make them.
var (
	pdfFile  = []byte("%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
	pngFile  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpegFile = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	oleFile  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0}
)

// zipOf is a zip archive (stored, not deflated) holding the named empty
// entries: enough for SniffAttachment, which reads the central directory.
func zipOf(names ...string) []byte {
	var b, cd bytes.Buffer
	le16 := func(w *bytes.Buffer, v int) { w.WriteByte(byte(v)); w.WriteByte(byte(v >> 8)) }
	le32 := func(w *bytes.Buffer, v int) { le16(w, v&0xFFFF); le16(w, v>>16) }
	for _, n := range names {
		off := b.Len()
		b.WriteString("PK\x03\x04")
		for range 11 {
			le16(&b, 0) // version, flags, method, time, date, crc(2), sizes(4)
		}
		le16(&b, len(n))
		le16(&b, 0)
		b.WriteString(n)
		cd.WriteString("PK\x01\x02")
		for range 12 {
			le16(&cd, 0)
		}
		le16(&cd, len(n))
		le16(&cd, 0)
		le16(&cd, 0)
		le16(&cd, 0)
		le16(&cd, 0)
		le32(&cd, 0)
		le32(&cd, off)
		cd.WriteString(n)
	}
	off := b.Len()
	b.Write(cd.Bytes())
	b.WriteString("PK\x05\x06")
	le16(&b, 0)
	le16(&b, 0)
	le16(&b, len(names))
	le16(&b, len(names))
	le32(&b, cd.Len())
	le32(&b, off)
	le16(&b, 0)
	return b.Bytes()
}

// TestSniffAttachment: each allowed kind is known by its content, whatever
// its name says; an executable, HTML, a zip, a PowerPoint file, a file
// renamed to look allowed, or an allowed file under another kind's
// extension is refused with a message that says what is accepted.
func TestSniffAttachment(t *testing.T) {
	ok := []struct {
		name string
		data []byte
		want workflow.AttachmentKind
	}{
		{"报告.pdf", pdfFile, workflow.KindPDF},
		{"图.PNG", pngFile, workflow.KindPNG},
		{"照片.jpeg", jpegFile, workflow.KindJPEG},
		{"旧稿.doc", oleFile, workflow.KindDOC},
		{"旧表.xls", oleFile, workflow.KindXLS},
		{"版式.ofd", zipOf("OFD.xml", "Doc_0/Document.xml"), workflow.KindOFD},
		{"文档.docx", zipOf("[Content_Types].xml", "_rels/.rels", "word/document.xml"), workflow.KindDOCX},
		{"表格.xlsx", zipOf("[Content_Types].xml", "xl/workbook.xml"), workflow.KindXLSX},
	}
	for _, tt := range ok {
		if k, err := workflow.SniffAttachment(tt.name, tt.data); err != nil || k.Type != tt.want.Type {
			t.Errorf("%s: %v, %v; want %s", tt.name, k.Type, err, tt.want.Type)
		}
	}
	refused := []struct {
		name   string
		data   []byte
		phrase string
	}{
		{"setup.exe", []byte("MZ\x90\x00\x03"), "不是允许的文件类型"},
		{"报告.pdf", []byte("MZ\x90\x00\x03"), "扩展名是 .pdf，但内容不是PDF"},
		{"页面.html", []byte("<!DOCTYPE html><script>alert(1)</script>"), "不是允许的文件类型"},
		{"页面.pdf", []byte("<html><body>x</body></html>"), "内容不是PDF"},
		{"包.zip", zipOf("a.txt"), "压缩包"},
		{"幻灯片.pptx", zipOf("[Content_Types].xml", "ppt/presentation.xml"), "PowerPoint"},
		{"坏.docx", []byte("PK\x03\x04garbage"), "损坏"},
		{"演示.ppt", oleFile, "OLE2"},
	}
	for _, tt := range refused {
		_, err := workflow.SniffAttachment(tt.name, tt.data)
		if workflow.KindOf(err) != workflow.Invalid || !strings.Contains(workflow.Message(err), tt.phrase) || !strings.Contains(workflow.Message(err), "只接受") {
			t.Errorf("%s: %v; want Invalid saying %q and what is accepted", tt.name, err, tt.phrase)
		}
	}
}

// TestCleanAttachmentName: path parts, control and bidirectional
// characters and Windows' reserved characters go; Chinese stays; a long
// name keeps its extension.
func TestCleanAttachmentName(t *testing.T) {
	long := strings.Repeat("很长的名称", 30) + ".pdf"
	for in, want := range map[string]string{
		"工作台账.pdf":               "工作台账.pdf",
		`C:\Users\王\桌面\工作台账.pdf`: "工作台账.pdf",
		"../../etc/passwd":       "passwd",
		"报告\u202Efdp.exe":        "报告fdp.exe",
		"a\x00b\nc.pdf":          "abc.pdf",
		`统计"表"<1>.xlsx`:          "统计_表__1_.xlsx",
		"...隐藏.pdf":              "隐藏.pdf",
		"   ":                    "附件",
		".pdf":                   "附件.pdf",
		long:                     string([]rune(long)[:76]) + ".pdf",
		"附件1：2025年工作情况统计表.xlsx": "附件1：2025年工作情况统计表.xlsx",
	} {
		if got := workflow.CleanAttachmentName(in); got != want {
			t.Errorf("CleanAttachmentName(%q) = %q; want %q", in, got, want)
		}
	}
}

// countingBlobs counts what is stored, to show that a refusal stores
// nothing.
type countingBlobs struct {
	workflow.Blobs
	puts atomic.Int64
}

func (c *countingBlobs) Put(ctx context.Context, b []byte) (string, error) {
	c.puts.Add(1)
	return c.Blobs.Put(ctx, b)
}

// TestSectionAttachments: the lead department attaches and removes files
// while it may edit; each is an event; the file reads back equal; every
// refusal — wrong kind, empty, too large, too many, too much in all, the
// same file twice, another department, a co-handler, a submitted
// section, a hash of another section's attachment — stores nothing and
// changes nothing; other departments do not see the files.
func TestSectionAttachments(t *testing.T) {
	e := newEnv(t)
	cb := &countingBlobs{Blobs: e.svc.Blobs}
	e.svc.Blobs = cb
	c := e.opened(t, 1) // s1, s2: 区妇联; s3: 区民政局 with 区妇联 co-handling
	staff, head := e.id("fulian-staff"), e.id("fulian-head")

	c = e.ok(e.svc.AttachToSection(e.ctx, staff, c.ID, "s1", `C:\fakepath\工作台账.pdf`, pdfFile))
	sec, _ := c.Section("s1")
	if len(sec.Attachments) != 1 {
		t.Fatalf("attachments = %+v; want one", sec.Attachments)
	}
	a := sec.Attachments[0]
	if a.Name != "工作台账.pdf" || a.Type != "application/pdf" || a.Size != len(pdfFile) || a.Hash != workflow.Hash(pdfFile) || a.By != "fulian-staff" || a.At.IsZero() {
		t.Errorf("attachment = %+v", a)
	}
	if sec.Rev != 0 {
		t.Errorf("attaching moved the section's revision to %d: the editor would see a conflict", sec.Rev)
	}
	got, data, err := e.svc.Attachment(e.ctx, e.id("clerk"), c.ID, "s1", a.Hash)
	if err != nil || !bytes.Equal(data, pdfFile) || got.Name != a.Name {
		t.Errorf("the clerk reads it back: %+v, %d bytes, %v", got, len(data), err)
	}
	// The same name, another file: numbered. A name without extension gets its kind's.
	c = e.ok(e.svc.AttachToSection(e.ctx, head, c.ID, "s1", "工作台账.pdf", append(slicesClone(pdfFile), ' ')))
	c = e.ok(e.svc.AttachToSection(e.ctx, head, c.ID, "s1", "现场照片", jpegFile))
	sec, _ = c.Section("s1")
	if names := attachmentNames(sec.Attachments); names != "工作台账.pdf 工作台账（2）.pdf 现场照片.jpg" {
		t.Errorf("names = %s", names)
	}
	evs, _ := e.svc.Store.Events(e.ctx, c.ID, "s1", 0, 1)
	if len(evs) != 1 || evs[0].Action != string(workflow.ActAttach) || evs[0].Attachment == nil || evs[0].Attachment.Name != "现场照片.jpg" {
		t.Errorf("newest event of s1 = %+v; want the attachment", evs)
	}

	fp := func() string {
		cur, err := e.svc.Store.Case(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := fmt.Sprintf("v%d", cur.Version)
		for _, s := range cur.Sections {
			out += fmt.Sprintf(" %s:v%d:h%d:%d", s.ID, s.V, s.Head.Seq, len(s.Attachments))
		}
		return fmt.Sprintf("%s puts %d", out, cb.puts.Load())
	}
	before := fp()
	refusals := []struct {
		what      string
		id        workflow.Identity
		sec, name string
		data      []byte
		kind      workflow.Kind
		phrase    string
	}{
		{"an executable renamed .pdf", staff, "s1", "说明.pdf", []byte("MZ\x90\x00"), workflow.Invalid, "内容不是PDF"},
		{"HTML", staff, "s1", "说明.html", []byte("<html><script></script></html>"), workflow.Invalid, "只接受"},
		{"a PDF named .exe", staff, "s1", "说明.exe", pdfFile, workflow.Invalid, "与扩展名 .exe 不符"},
		{"an empty file", staff, "s1", "空.pdf", nil, workflow.Invalid, "空文件"},
		{"too large", staff, "s1", "大.pdf", append(slicesClone(pdfFile), make([]byte, workflow.MaxAttachmentSize)...), workflow.Invalid, "上限"},
		{"the same file again", staff, "s1", "又一份.pdf", pdfFile, workflow.Invalid, "无需重复上传"},
		{"another department", e.id("minzheng-staff"), "s1", "a.pdf", []byte("%PDF-x"), workflow.Forbidden, "区妇联 主办"},
		{"a co-handler", staff, "s3", "a.pdf", []byte("%PDF-x"), workflow.Forbidden, "区民政局 主办"},
		{"the clerk", e.id("clerk"), "s1", "a.pdf", []byte("%PDF-x"), workflow.Forbidden, "只有"},
		{"no such section", staff, "s9", "a.pdf", []byte("%PDF-x"), workflow.NotFound, "没有部分"},
	}
	for _, r := range refusals {
		_, err := e.svc.AttachToSection(e.ctx, r.id, c.ID, r.sec, r.name, r.data)
		if workflow.KindOf(err) != r.kind || !strings.Contains(workflow.Message(err), r.phrase) {
			t.Errorf("%s: %v; want %s saying %q", r.what, err, r.kind, r.phrase)
		}
		if after := fp(); after != before {
			t.Errorf("%s: refused, but %s → %s", r.what, before, after)
		}
	}
	// Removing: another section's attachment by its hash, another
	// department, a hash that is not there.
	for _, r := range []struct {
		what   string
		id     workflow.Identity
		sec    string
		hash   string
		kind   workflow.Kind
		phrase string
	}{
		{"s1's file through s2", staff, "s2", a.Hash, workflow.NotFound, "没有这个附件"},
		{"s1's file by the co-handled s3's lead", e.id("minzheng-staff"), "s1", a.Hash, workflow.Forbidden, "区妇联 主办"},
		{"an unknown hash", staff, "s1", strings.Repeat("0", 64), workflow.NotFound, "没有这个附件"},
	} {
		_, err := e.svc.DetachFromSection(e.ctx, r.id, c.ID, r.sec, r.hash)
		if workflow.KindOf(err) != r.kind || !strings.Contains(workflow.Message(err), r.phrase) {
			t.Errorf("detach %s: %v; want %s saying %q", r.what, err, r.kind, r.phrase)
		}
		if after := fp(); after != before {
			t.Errorf("detach %s: refused, but %s → %s", r.what, before, after)
		}
	}
	// Another department involved in the case (区民政局 leads s3) sees
	// s1 without its files, and cannot read them.
	v, err := e.svc.Case(e.ctx, e.id("minzheng-staff"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s1, _ := v.Section("s1"); len(s1.Attachments) != 0 {
		t.Errorf("区民政局 sees s1's attachments: %+v", s1.Attachments)
	}
	if _, _, err := e.svc.Attachment(e.ctx, e.id("minzheng-staff"), c.ID, "s1", a.Hash); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("区民政局 reads s1's attachment: %v; want NotFound", err)
	}
	if _, _, err := e.svc.Attachment(e.ctx, workflow.Anonymous, c.ID, "s1", a.Hash); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("the public reads s1's attachment: %v; want NotFound", err)
	}

	c = e.ok(e.svc.DetachFromSection(e.ctx, staff, c.ID, "s1", a.Hash))
	sec, _ = c.Section("s1")
	if names := attachmentNames(sec.Attachments); names != "工作台账（2）.pdf 现场照片.jpg" {
		t.Errorf("after removing: %s", names)
	}
	// Up to the limit, then refused.
	for i := len(sec.Attachments); i < workflow.MaxAttachments; i++ {
		c = e.ok(e.svc.AttachToSection(e.ctx, staff, c.ID, "s1", fmt.Sprintf("图%d.png", i), append(slicesClone(pngFile), byte(i))))
	}
	before = fp()
	_, err = e.svc.AttachToSection(e.ctx, staff, c.ID, "s1", "再一张.png", append(slicesClone(pngFile), 0xEE))
	wantErr(t, "one too many", err, workflow.Invalid, fmt.Sprintf("上限 %d 个", workflow.MaxAttachments))
	if after := fp(); after != before {
		t.Errorf("one too many: refused, but %s → %s", before, after)
	}
	// The total: s2 takes files of nearly the largest size until the next would pass it.
	big := func(i int) []byte {
		b := append(slicesClone(pdfFile), make([]byte, workflow.MaxAttachmentSize-len(pdfFile)-1)...)
		return append(b, byte(i))
	}
	for i := range workflow.MaxAttachmentTotal / workflow.MaxAttachmentSize {
		c = e.ok(e.svc.AttachToSection(e.ctx, staff, c.ID, "s2", fmt.Sprintf("大%d.pdf", i), big(i)))
	}
	_, err = e.svc.AttachToSection(e.ctx, staff, c.ID, "s2", "再大.pdf", big(99))
	wantErr(t, "past the total", err, workflow.Invalid, "合计")

	// Submitted: neither attached to nor removed from.
	c = e.ok(e.svc.SaveSection(e.ctx, staff, c.ID, "s1", 0, "标题", "正文。", ""))
	s1, _ := c.Section("s1")
	c = e.ok(e.svc.SubmitSection(e.ctx, head, c.ID, "s1", s1.Rev))
	before = fp()
	_, err = e.svc.AttachToSection(e.ctx, staff, c.ID, "s1", "迟到.pdf", append(slicesClone(pdfFile), 'x'))
	wantErr(t, "attach to a submitted section", err, workflow.Invalid, "已报送")
	s1, _ = c.Section("s1")
	_, err = e.svc.DetachFromSection(e.ctx, staff, c.ID, "s1", s1.Attachments[0].Hash)
	wantErr(t, "detach from a submitted section", err, workflow.Invalid, "已报送")
	if after := fp(); after != before {
		t.Errorf("submitted: refused, but %s → %s", before, after)
	}
	// The audit trail holds, and Check reads every file.
	if _, err := e.svc.Verify(e.ctx, c.ID); err != nil {
		t.Error(err)
	}
	if _, _, err := e.svc.Check(e.ctx, c.ID); err != nil {
		t.Error(err)
	}
}

// noticeRender keeps the notice it was last asked to render.
type noticeRender struct {
	fakeRender
	last *workflow.Notice
}

func (r *noticeRender) Render(ctx context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	r.last = n
	return r.fakeRender.Render(ctx, n)
}

// TestReportAttachments: the clerk attaches files to the compiled report
// before sign-off only; the notice's 附件说明 lists them in order, by
// name without extension; publication stores each once with the notice,
// and only those who may see the notice's files read them.
func TestReportAttachments(t *testing.T) {
	e := newEnv(t)
	nr := &noticeRender{}
	e.svc.Render = nr
	clerk := e.id("clerk")
	c := e.compiled(t, 1)
	_, err := e.svc.AttachToReport(e.ctx, e.id("fulian-head"), c.ID, "台账.xlsx", zipOf("[Content_Types].xml", "xl/workbook.xml"))
	wantErr(t, "a department attaches to the report", err, workflow.Forbidden, "区府办")
	c = e.ok(e.svc.AttachToReport(e.ctx, clerk, c.ID, "1. 工作台账.xlsx", zipOf("[Content_Types].xml", "xl/workbook.xml")))
	c = e.ok(e.svc.AttachToReport(e.ctx, clerk, c.ID, "情况说明.pdf", pdfFile))
	c = e.ok(e.svc.AttachToReport(e.ctx, clerk, c.ID, "多余.png", pngFile))
	c = e.ok(e.svc.DetachFromReport(e.ctx, clerk, c.ID, workflow.Hash(pngFile)))
	if names := attachmentNames(c.Report.Attachments); names != "1. 工作台账.xlsx 情况说明.pdf" {
		t.Errorf("report attachments: %s", names)
	}
	n, err := e.svc.Notice(e.ctx, c)
	if err != nil || strings.Join(n.Attachments, "|") != "1. 工作台账|情况说明" {
		t.Errorf("the notice's 附件说明: %q, %v", n.Attachments, err)
	}
	c = e.ok(e.svc.StartSignoff(e.ctx, clerk, c.ID, shortChain))
	_, err = e.svc.AttachToReport(e.ctx, clerk, c.ID, "晚了.pdf", append(slicesClone(pdfFile), 'x'))
	wantErr(t, "attach during sign-off", err, workflow.Invalid, "审核签发中")
	_, err = e.svc.DetachFromReport(e.ctx, clerk, c.ID, workflow.Hash(pdfFile))
	wantErr(t, "detach during sign-off", err, workflow.Invalid, "审核签发中")
	// A signer reads them; a department does not.
	if _, b, err := e.svc.Attachment(e.ctx, e.id("reviewer"), c.ID, "", workflow.Hash(pdfFile)); err != nil || !bytes.Equal(b, pdfFile) {
		t.Errorf("the reviewer reads the report's attachment: %d bytes, %v", len(b), err)
	}
	if _, _, err := e.svc.Attachment(e.ctx, e.id("fulian-staff"), c.ID, "", workflow.Hash(pdfFile)); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("a department reads the report's attachment: %v; want NotFound", err)
	}
	sum := c.Report.Current.Sum
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c = e.ok(e.svc.Approve(e.ctx, e.id(u), c.ID, sum, "同意"))
	}
	c = e.ok(e.svc.Publish(e.ctx, clerk, c.ID, workflow.Day(2025, 12, 1)))
	if got := strings.Join(nr.last.Attachments, "|"); got != "1. 工作台账|情况说明" {
		t.Errorf("rendered with 附件 %q", got)
	}
	p := c.Publication
	if len(p.Attachments) != 2 || p.Attachments[1].Key != "published/"+c.ID+"/attachment-2.pdf" {
		t.Fatalf("published attachments: %+v", p.Attachments)
	}
	for _, who := range []workflow.Identity{workflow.Anonymous, e.id("fulian-staff"), clerk} {
		a, b, err := e.svc.PublishedAttachment(e.ctx, who, c.ID, 2)
		if err != nil || !bytes.Equal(b, pdfFile) || a.Name != "情况说明.pdf" {
			t.Errorf("%q reads 附件2 of a public notice: %+v, %d bytes, %v", who.User, a, len(b), err)
		}
	}
	if _, _, err := e.svc.PublishedAttachment(e.ctx, workflow.Anonymous, c.ID, 3); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("附件3: %v; want NotFound", err)
	}
	if _, _, err := e.svc.Check(e.ctx, c.ID); err != nil {
		t.Error(err)
	}

	// Not 主动公开: the public reads none of it.
	c2 := e.compiled(t, 2)
	c2 = e.ok(e.svc.AttachToReport(e.ctx, clerk, c2.ID, "说明.pdf", pdfFile))
	c2 = e.ok(e.svc.StartSignoff(e.ctx, clerk, c2.ID, shortChain))
	for _, u := range []string{"reviewer", "deputy", "mayor"} {
		c2 = e.ok(e.svc.Approve(e.ctx, e.id(u), c2.ID, c2.Report.Current.Sum, "同意"))
	}
	c2 = e.ok(e.svc.PublishWith(e.ctx, clerk, c2.ID, workflow.Publishing{Date: workflow.Day(2025, 12, 2), Openness: workflow.OnRequest}))
	if _, _, err := e.svc.PublishedAttachment(e.ctx, workflow.Anonymous, c2.ID, 1); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("the public reads the attachment of a notice 依申请公开: %v; want NotFound", err)
	}
	if _, _, err := e.svc.PublishedAttachment(e.ctx, e.id("fulian-staff"), c2.ID, 1); err != nil {
		t.Errorf("a department that took part reads it: %v", err)
	}
}

func attachmentNames(as []workflow.Attachment) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return strings.Join(out, " ")
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }
