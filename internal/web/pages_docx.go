package web

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/workflow"
)

// Word in and out. A department imports its section from a .docx
// (Server.ReadDocx, package docxmd: the draft function and the local
// server link it), as a new version saved like any other; anyone who may
// read a section's or the report's draft downloads it as .docx, written
// by the .docx writer of the notice renderer (notice.Renderer.PartFile
// and DraftFile: the publish function and the local server link it, so
// those routes belong to the publish group).

// MaxDocx is the largest .docx a section is imported from (docxmd.MaxFile).
const MaxDocx = 2 << 20

// docxName is the file the notice renderer's .docx format writes
// (docx.FileName).
const docxName = "notice.docx"

// docxType is the media type of .docx files.
const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// drafter is what the download routes need of the notice renderer.
type drafter interface {
	DraftFile(n *workflow.Notice, name string) (workflow.Rendered, error)
	PartFile(label string, level int, heading, body, name string) (workflow.Rendered, error)
}

func (s *Server) drafter() (drafter, error) {
	if s.Service != nil {
		if d, ok := s.Service.Render.(drafter); ok {
			return d, nil
		}
	}
	return nil, workflow.Errorf("web.docx", workflow.NotFound, "此处不能生成 Word 文档")
}

// importable finds the section and checks, before anything is read from
// the request, that the caller may save it.
func (s *Server) importable(r *http.Request, me workflow.Identity) (*workflow.Reading, *workflow.Section, error) {
	rd, err := s.Service.Read(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	c := rd.Case()
	sec, ok := c.Section(r.PathValue("sec"))
	if !ok {
		return nil, nil, workflow.Errorf("web.docx", workflow.NotFound, "案件 %s 没有部分 %s", c.ID, r.PathValue("sec"))
	}
	if err := workflow.Allowed(me, c, workflow.ActSave, sec); err != nil {
		return nil, nil, err
	}
	if s.ReadDocx == nil {
		return nil, nil, workflow.Errorf("web.docx", workflow.NotFound, "此处不能导入 Word 文档；请把正文复制到编辑框")
	}
	return rd, sec, nil
}

// importNote is the version's note when the person gave none.
func importNote(name string) string {
	note := "从 Word 文档导入：" + name
	if utf8.RuneCountInString(note) > workflow.MaxHeading {
		note = string([]rune(note)[:workflow.MaxHeading])
	}
	return note
}

// importSection is POST /api/cases/{id}/sections/{sec}/docx?rev=N: the
// .docx (the raw body, or multipart "file") becomes a new version of the
// section. Its first paragraph is the heading if numbered at the
// section's level, else ?heading= or the current heading stays; ?note=
// is the version's note.
func (s *Server) importSection(r *http.Request, id workflow.Identity) (any, error) {
	const op = "web.importSection"
	rd, sec, err := s.importable(r, id)
	if err != nil {
		return nil, err
	}
	c := rd.Case()
	q := r.URL.Query()
	rev, err := strconv.Atoi(q.Get("rev"))
	if err != nil {
		return nil, workflow.Errorf(op, workflow.Invalid, "请用 ?rev= 给出导入所依据的部分修订号（案件 sections[].rev，现为 %d）", sec.Rev)
	}
	name, data, err := docxUpload(r)
	if err != nil {
		return nil, err
	}
	heading, body, err := s.ReadDocx(data, sec.Level)
	if err != nil {
		return nil, err
	}
	if h := strings.TrimSpace(q.Get("heading")); h != "" {
		heading = h
	}
	if heading == "" {
		heading = sec.Current.Heading
	}
	if heading == "" {
		return nil, workflow.Errorf(op, workflow.Invalid, "本部分还没有标题，文档第一段也不是本部分一级的标题；请在 Word 文档开头写上本部分的标题（如“%s……”），或用 ?heading= 给出", workflow.OutlineNumber(sec.Level, 1))
	}
	note := q.Get("note")
	if note == "" {
		note = importNote(name)
	}
	return s.Service.SaveSection(r.Context(), id, c.ID, sec.ID, rev, heading, body, note)
}

// docxUpload reads the .docx of an API request (apiFile).
func docxUpload(r *http.Request) (string, []byte, error) {
	return apiFile(r, "web.docx", MaxDocx, "文件过大：Word 文档不超过 "+workflow.SizeText(MaxDocx),
		"请在表单字段 file 中附上要导入的 Word 文档（.docx），或把文档作为请求体并用 ?name= 给出文件名")
}

func baseName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		return ""
	}
	return name
}

// importForm is a form posted with a file (the section form with its 导入
// or 上传附件 button, the report's upload): the typed fields, and the
// file (see readUpload).
type importForm struct {
	fields url.Values
	name   string
	data   []byte
	tooBig bool
}

// sectionDocxPost imports a .docx into the section from its page: the
// section form's 导入 button posts the form and the file here. What was
// typed and not yet saved is never replaced: the import is refused with
// the text kept until it is saved.
func (s *Server) sectionDocxPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var rd *workflow.Reading
	var sec *workflow.Section
	var in *importForm
	var v *sectionView
	var heading, body, note string
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		// Who may import is checked before the file is read.
		Parse: func() (f url.Values, err error) {
			if rd, sec, err = s.importable(r, b.Me); err != nil {
				return nil, err
			}
			r.Body = http.MaxBytesReader(w, r.Body, MaxJSON+MaxDocx+64<<10)
			if in, err = readUpload(r, "docx", MaxDocx, MaxJSON); err != nil {
				return nil, err
			}
			return in.fields, nil
		},
		Load: func(ctx context.Context) (err error) {
			v, err = s.newSectionView(ctx, b, rd, sec)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			stored := *v
			if _, ok := f["body"]; ok {
				v.Heading, v.Body, v.Note = f.Get("heading"), normalizeNewlines(f.Get("body")), f.Get("note")
				v.Rev, _ = strconv.Atoi(f.Get("rev"))
				v.Preview = s.preview(workflow.ShiftHeadings(v.Body, sec.Level))
			}
			b.Title = v.Row.Label + v.Heading
			switch {
			case in.data == nil:
				v.Errs.add("docx", b.T("请选择要导入的 Word 文档（.docx）"))
			case in.tooBig:
				v.Errs.add("docx", b.T("文件过大（上限 %d MB）；请删去图片等非文字内容后另存为 .docx 再导入，或把正文复制到编辑框", MaxDocx>>20))
			case strings.TrimSpace(v.Heading) != strings.TrimSpace(stored.Heading) || strings.TrimSpace(v.Body) != strings.TrimSpace(stored.Body):
				v.Errs.add("docx", b.T("编辑框中有尚未保存的修改。请先保存（导入的文档将另存为新的一稿，两稿都在版本记录中），或撤销修改后再导入"))
			}
			if len(v.Errs) > 0 {
				b.Error = b.T("未能导入 Word 文档；编辑框中的文字没有改动")
			}
			return v.Errs, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			var err error
			if heading, body, err = s.ReadDocx(in.data, sec.Level); err != nil {
				return "", "", err
			}
			if heading == "" {
				heading = v.Heading
			}
			if note = strings.TrimSpace(v.Note); note == "" {
				note = importNote(in.name)
			}
			saved, err := s.Service.SaveSection(ctx, b.Me, rd.Case().ID, sec.ID, v.Rev, heading, body, note)
			if err != nil {
				return "", "", err
			}
			n := 0
			if ss, ok := saved.Section(sec.ID); ok {
				n = ss.Current.N
			}
			return sectionURL(rd.Case().ID, sec.ID), b.T("已从 Word 文档 %s 导入，保存为第 %d 稿", in.name, n), nil
		},
		Refused: func(k workflow.Kind, _ error) (err error) {
			if k == workflow.Invalid {
				v.Errs.add("docx", b.Error)
				b.Error = b.T("未能导入 Word 文档；编辑框中的文字没有改动")
				return nil
			}
			// Saved meanwhile by someone else: the imported text stands in
			// the form beside theirs, to be saved over it deliberately.
			v.Heading, v.Body, v.Note = heading, body, note
			v.Preview = s.preview(workflow.ShiftHeadings(body, sec.Level))
			v, err = s.sectionConflict(r, b, v)
			return err
		},
		Kept: b.T("。您的文字仍在下方编辑框中，未丢失；请对照最新稿修改后再保存。"),
		Show: func(status int) error { return s.render(w, b, status, sectionContent(v)) },
	})
}

// sectionDocx downloads the section's current draft, or the version
// ?seq= names, as .docx: its heading numbered as in the report, and its
// body.
func (s *Server) sectionDocx(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
	if err != nil {
		return err
	}
	c := rd.Case()
	d, err := s.drafter()
	if err != nil {
		return err
	}
	ver, body, err := s.draftVersion(r, b, c.ID, sec.ID, sec.Current)
	if err != nil {
		return err
	}
	label := c.SectionLabel(sec.ID)
	f, err := d.PartFile(label, sec.Level, ver.Heading, body, docxName)
	if err != nil {
		return err
	}
	name := c.Opinion.Number + " " + c.SectionPath(sec.ID) + ver.Heading + "（第" + strconv.Itoa(ver.N) + "稿）.docx"
	return sendFile(w, f.Data, name)
}

// reportDocx downloads the report's current draft, or the version ?seq=
// names, as .docx, laid out as the notice will print but without the
// seal, which only publication presses, and without the number and dates
// until then (and in any version but the one published).
func (s *Server) reportDocx(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !c.HasReport() {
		return workflow.Errorf("web.docx", workflow.NotFound, "案件 %s 尚未汇总报告，或您无权查看", c.ID)
	}
	d, err := s.drafter()
	if err != nil {
		return err
	}
	n, err := s.Service.Notice(r.Context(), c)
	if err != nil {
		return err
	}
	ver, body, err := s.draftVersion(r, b, c.ID, "", c.Report.Current)
	if err != nil {
		return err
	}
	if ver.Sum != c.Report.Current.Sum || c.Publication == nil {
		// A draft: not what was published, so neither its number and
		// dates nor the seal.
		n.Number, n.Date, n.Printed, n.Note, n.Seal = "", time.Time{}, time.Time{}, "", nil
	}
	n.Title, n.Addressee, n.Body = ver.Heading, ver.Addressee, body
	f, err := d.DraftFile(n, docxName)
	if err != nil {
		return err
	}
	return sendFile(w, f.Data, c.Opinion.Number+" 报告（第"+strconv.Itoa(ver.N)+"稿）.docx")
}

// draftVersion is the version ?seq= names in a stream (the section's, or
// "" the report's) with its text, or the current one.
func (s *Server) draftVersion(r *http.Request, b *base, caseID, stream string, cur workflow.Version) (workflow.Version, string, error) {
	const op = "web.docx"
	q := r.URL.Query().Get("seq")
	if q == "" {
		if cur.Hash == "" {
			return cur, "", workflow.Errorf(op, workflow.NotFound, "尚无稿件，或您无权查看其文字")
		}
		body, err := s.Service.Text(r.Context(), b.Me, caseID, cur.Hash)
		return cur, body, err
	}
	seq, err := strconv.Atoi(q)
	if err != nil || seq < 1 {
		return cur, "", workflow.Errorf(op, workflow.NotFound, "没有这一稿（seq=%s）", q)
	}
	e, text, err := s.Service.Recorded(r.Context(), b.Me, caseID, stream, seq)
	if err != nil {
		return cur, "", err
	}
	if e.Version == nil {
		return cur, "", workflow.Errorf(op, workflow.NotFound, "第 %d 条记录不是一稿", seq)
	}
	return *e.Version, text, nil
}

// sendFile answers with a .docx to save under name.
func sendFile(w http.ResponseWriter, data []byte, name string) error {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	w.Header().Set("Content-Type", docxType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(data)
	return nil
}
