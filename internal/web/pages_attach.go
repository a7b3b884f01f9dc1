package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// Attachments (附件): a department's files on its section (the draft
// function), the office's on the report (the signoff function) and the
// published notice's (the publish function). The service decides who may
// attach, remove and read (workflow.Service.AttachToSection and the rest);
// here the file is read within its limit before the service sees it, and
// downloads are sent so that no browser runs them: always as a download,
// typed by what the service found the content to be, never sniffed.

// maxAttachText bounds the typed fields that come with a file from the
// section form (its heading, body and note), so that the request stays
// within what API Gateway and Lambda carry (workflow.MaxAttachmentSize).
const maxAttachText = workflow.MaxBody + 16<<10

// tooLarge is a refusal of a file over its limit, with what to do: a 413
// whose message says more than the request's size.
type tooLarge struct{ msg string }

func (e *tooLarge) Error() string { return e.msg }

func attachmentTooLarge() error {
	return &tooLarge{msg: "文件过大：每个附件不超过 " + workflow.SizeText(workflow.MaxAttachmentSize) + "，请压缩或拆分后再上传"}
}

// readUpload reads a multipart form part by part: the typed fields
// (within text bytes in all), then the file in field (within max bytes).
// A file too large is reported with the fields read before it, so that
// what was typed is shown again; the rest of the request is not read.
func readUpload(r *http.Request, field string, max int, text int64) (*importForm, error) {
	f := &importForm{fields: map[string][]string{}}
	limit := text
	mr, err := r.MultipartReader()
	if err != nil {
		return f, nil // not multipart: no file, nothing typed
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, err
			}
			return nil, &workflow.Error{Op: "web.readUpload", Kind: workflow.Invalid, Msg: "表单内容无法读取", Err: err}
		}
		name := p.FormName()
		if name == field && p.FileName() != "" {
			data, err := io.ReadAll(io.LimitReader(p, int64(max)+1))
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					f.name, f.tooBig = baseName(p.FileName()), true
					return f, nil
				}
				return nil, &workflow.Error{Op: "web.readUpload", Kind: workflow.Invalid, Msg: "文件未能完整上传，请重试", Err: err}
			}
			f.name, f.data, f.tooBig = baseName(p.FileName()), data, len(data) > max
			if f.tooBig {
				return f, nil // the rest is not read
			}
			continue
		}
		var b strings.Builder
		n, err := io.Copy(&b, io.LimitReader(p, text+1))
		if err != nil {
			return nil, &workflow.Error{Op: "web.readUpload", Kind: workflow.Invalid, Msg: "表单内容无法读取", Err: err}
		}
		if text -= n; text < 0 {
			return nil, &http.MaxBytesError{Limit: limit}
		}
		f.fields.Add(name, b.String())
	}
}

// apiFile reads the file of an API request: the multipart field "file",
// or the raw body with its name in ?name=. More than max bytes is refused
// with big (413, tooLarge), no file at all with missing.
func apiFile(r *http.Request, op string, max int, big, missing string) (string, []byte, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, int64(max)+64<<10)
	var name string
	var data []byte
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		var f *importForm
		if f, err = readUpload(r, "file", max, 4<<10); err == nil {
			if f.tooBig {
				return "", nil, &tooLarge{msg: big}
			}
			name, data = f.name, f.data
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
		name = baseName(r.URL.Query().Get("name"))
	}
	var tooBig *http.MaxBytesError
	var known *workflow.Error
	switch {
	case errors.As(err, &tooBig) || len(data) > max:
		return "", nil, &tooLarge{msg: big}
	case errors.As(err, &known):
		return "", nil, err
	case err != nil:
		return "", nil, &workflow.Error{Op: op, Kind: workflow.Invalid, Msg: "文件未能完整上传，请重试", Err: err}
	case len(data) == 0:
		return "", nil, workflow.Errorf(op, workflow.Invalid, "%s", missing)
	}
	return name, data, nil
}

// attachUpload reads the file of an API request (apiFile).
func attachUpload(r *http.Request) (string, []byte, error) {
	max := workflow.MaxAttachmentSize
	return apiFile(r, "web.attachUpload", max, attachmentTooLarge().Error(),
		fmt.Sprintf("请在表单字段 file 中附上要上传的文件（%s，每个不超过 %s），或把文件作为请求体并用 ?name= 给出文件名", workflow.AllowedAttachments, workflow.SizeText(max)))
}

// attachable reads the case and checks, before the request's body is
// read, that the caller may take action a on the section of the path.
func (s *Server) attachable(r *http.Request, me workflow.Identity, a workflow.Action) (*workflow.Reading, *workflow.Section, error) {
	rd, err := s.Service.Read(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	c := rd.Case()
	sec, ok := c.Section(r.PathValue("sec"))
	if !ok {
		return nil, nil, workflow.Errorf("web.attach", workflow.NotFound, "案件 %s 没有部分 %s", c.ID, r.PathValue("sec"))
	}
	if err := workflow.Allowed(me, c, a, sec); err != nil {
		return nil, nil, err
	}
	return rd, sec, nil
}

// reportAttachable is attachable for the report's attachments.
func (s *Server) reportAttachable(r *http.Request, me workflow.Identity, a workflow.Action) (*workflow.Case, error) {
	c, err := s.Service.Case(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return c, workflow.Allowed(me, c, a, nil)
}

// attachSectionAPI is POST /api/cases/{id}/sections/{sec}/attachments: the
// file (raw body with ?name=, or multipart "file") is attached to the
// section → 201 the case.
func (s *Server) attachSectionAPI(r *http.Request, id workflow.Identity) (any, error) {
	rd, sec, err := s.attachable(r, id, workflow.ActAttach)
	if err != nil {
		return nil, err
	}
	name, data, err := attachUpload(r)
	if err != nil {
		return nil, err
	}
	c, err := s.Service.AttachToSection(r.Context(), id, rd.Case().ID, sec.ID, name, data)
	if err != nil {
		return nil, err
	}
	return created{c}, nil
}

// detachSectionAPI is DELETE /api/cases/{id}/sections/{sec}/attachments/{hash}.
func (s *Server) detachSectionAPI(r *http.Request, id workflow.Identity) (any, error) {
	return s.Service.DetachFromSection(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), r.PathValue("hash"))
}

// attachReportAPI is POST /api/cases/{id}/report/attachments: a 附件 of
// the notice → 201 the case.
func (s *Server) attachReportAPI(r *http.Request, id workflow.Identity) (any, error) {
	c, err := s.reportAttachable(r, id, workflow.ActAttachReport)
	if err != nil {
		return nil, err
	}
	name, data, err := attachUpload(r)
	if err != nil {
		return nil, err
	}
	if c, err = s.Service.AttachToReport(r.Context(), id, c.ID, name, data); err != nil {
		return nil, err
	}
	return created{c}, nil
}

// detachReportAPI is DELETE /api/cases/{id}/report/attachments/{hash}.
func (s *Server) detachReportAPI(r *http.Request, id workflow.Identity) (any, error) {
	return s.Service.DetachFromReport(r.Context(), id, r.PathValue("id"), r.PathValue("hash"))
}

// sectionAttachmentFile downloads a section's attachment, to whoever may
// read the section.
func (s *Server) sectionAttachmentFile(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	a, data, err := s.Service.Attachment(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), r.PathValue("hash"))
	if err != nil {
		return err
	}
	sendAttachment(w, a, data, false)
	return nil
}

// reportAttachmentFile downloads a report's attachment, to whoever may
// read the report.
func (s *Server) reportAttachmentFile(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	a, data, err := s.Service.Attachment(r.Context(), b.Me, r.PathValue("id"), "", r.PathValue("hash"))
	if err != nil {
		return err
	}
	sendAttachment(w, a, data, false)
	return nil
}

// noticeAttachmentFile downloads 附件 n of a published notice: to anyone
// if it is 主动公开, else to the office and those who took part.
func (s *Server) noticeAttachmentFile(w http.ResponseWriter, r *http.Request, b *base) error {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return workflow.Errorf("web.noticeAttachment", workflow.NotFound, "没有附件 %s", r.PathValue("n"))
	}
	a, data, err := s.Service.PublishedAttachment(r.Context(), b.Me, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	public := false
	if c, err := s.Service.Case(r.Context(), workflow.Anonymous, r.PathValue("id")); err == nil && c.Publication.Public() {
		public = true
	}
	sendAttachment(w, a, data, public)
	return nil
}

// sendAttachment answers with an attachment as a download: its stored
// type (from its content; anything else as bytes), its name in
// Content-Disposition as RFC 6266 and 5987 write it (an ASCII fallback
// and the UTF-8 name), nosniff, and a sandbox should a browser render it
// anyway. Only a public notice's files may be kept by shared caches.
func sendAttachment(w http.ResponseWriter, a workflow.Attachment, data []byte, public bool) {
	typ := a.Type
	if _, ok := workflow.KindOfType(typ); !ok {
		typ = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Disposition", contentDisposition(a.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("ETag", `"`+a.Hash+`"`)
	if public {
		h.Set("Cache-Control", "public, max-age=300")
	} else {
		h.Set("Cache-Control", "private, no-store")
	}
	w.Write(data)
}

// contentDisposition is `attachment; filename="…"; filename*=UTF-8”…`:
// the name in ASCII for old clients (other characters as _), and as
// UTF-8, percent-encoded (RFC 5987), for the rest, which prefer it.
func contentDisposition(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7F || r > 0x7E:
			ascii.WriteByte('_')
		case r == '"' || r == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	const attrChar = "!#$&+-.^_`|~"
	for _, c := range []byte(name) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0 {
			ext.WriteByte(c)
		} else {
			ext.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)>>4, 16)+strconv.FormatInt(int64(c)&15, 16)))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// keepTyped puts what the section form carried into v, and reports
// whether it differs from what is saved: then it must stay in the editor.
func keepTyped(v *sectionView, f map[string][]string, level int, s *Server) bool {
	get := func(k string) string {
		if vs := f[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	if _, ok := f["body"]; !ok {
		return false
	}
	heading, body := strings.TrimSpace(v.Heading), strings.TrimSpace(v.Body)
	v.Heading, v.Body, v.Note = get("heading"), normalizeNewlines(get("body")), get("note")
	v.Rev, _ = strconv.Atoi(get("rev"))
	v.Preview = s.preview(workflow.ShiftHeadings(v.Body, level))
	return strings.TrimSpace(v.Heading) != heading || strings.TrimSpace(v.Body) != body || strings.TrimSpace(v.Note) != ""
}

// sectionAttachPost attaches a file from the section page: the section
// form's 上传附件 button posts the form, with what was typed, and the
// file. A refusal shows the page again with the reason beside the file
// field and the typed text as it was; so does a success while the editor
// holds unsaved edits, which the file does not save.
func (s *Server) sectionAttachPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var rd *workflow.Reading
	var sec *workflow.Section
	var up *importForm
	var v *sectionView
	var typed bool
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		// Who may attach is checked before the file is read.
		Parse: func() (url.Values, error) {
			var err error
			if rd, sec, err = s.attachable(r, b.Me, workflow.ActAttach); err != nil {
				return nil, err
			}
			r.Body = http.MaxBytesReader(w, r.Body, int64(workflow.MaxAttachmentSize)+maxAttachText+64<<10)
			if up, err = readUpload(r, "attachment", workflow.MaxAttachmentSize, maxAttachText); err != nil {
				return nil, err
			}
			return up.fields, nil
		},
		Load: func(ctx context.Context) (err error) {
			v, err = s.newSectionView(ctx, b, rd, sec)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			typed = keepTyped(v, f, sec.Level, s)
			b.Title = v.Row.Label + v.Heading
			return nil, uploaded(b, up)
		},
		Do: func(ctx context.Context) (string, string, error) {
			saved, err := s.Service.AttachToSection(ctx, b.Me, rd.Case().ID, sec.ID, up.name, up.data)
			if err != nil {
				return "", "", err
			}
			name := up.name
			if ss, ok := saved.Section(sec.ID); ok {
				for _, a := range ss.Attachments {
					if a.Hash == workflow.Hash(up.data) {
						name = a.Name
					}
				}
			}
			return s.afterAttach(r, b, typed, &v, b.T("已添加附件「%s」", name))
		},
		Refused: func(_ workflow.Kind, err error) error {
			attachRefused(b, v.Errs, err, "未能添加附件；编辑框中的文字没有改动")
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, sectionContent(v)) },
	})
}

// uploaded checks that a file came, within its limit.
func uploaded(b *base, up *importForm) error {
	switch {
	case up.tooBig:
		return &formError{"attachment", b.T("文件过大：每个附件不超过 %s，请压缩或拆分后再上传", workflow.SizeText(workflow.MaxAttachmentSize)), http.StatusRequestEntityTooLarge}
	case up.data == nil:
		return refuseField("attachment", b.T("请选择要上传的附件"))
	}
	return nil
}

// attachRefused puts a refusal of an attachment beside the file field,
// with what on the page did not change on top.
func attachRefused(b *base, errs fieldErrors, err error, top string) {
	var fe *formError
	if errors.As(err, &fe) {
		errs.add(fe.field, fe.msg)
	} else {
		errs.add("attachment", b.Error)
	}
	b.Error = b.T(top)
}

// detachable turns a removal of an attachment the section or report does
// not have (a forged or stale form) into a refusal beside the field.
func detachable(err error) error {
	if workflow.KindOf(err) == workflow.NotFound {
		return refuseField("attachment", workflow.Message(err))
	}
	return err
}

// sectionDetachPost removes an attachment from the section page: its
// 删除 button posts the section form, with what was typed, and the
// attachment's hash.
func (s *Server) sectionDetachPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var rd *workflow.Reading
	var sec *workflow.Section
	var v *sectionView
	var typed bool
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Parse: func() (url.Values, error) {
			var err error
			if rd, sec, err = s.attachable(r, b.Me, workflow.ActDetach); err != nil {
				return nil, err
			}
			if err := parseForm(w, r); err != nil {
				return nil, err
			}
			return r.PostForm, nil
		},
		Load: func(ctx context.Context) (err error) {
			v, err = s.newSectionView(ctx, b, rd, sec)
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			typed = keepTyped(v, r.PostForm, sec.Level, s)
			b.Title = v.Row.Label + v.Heading
			return nil, nil
		},
		Do: func(ctx context.Context) (string, string, error) {
			hash := r.PostForm.Get("hash")
			name := ""
			for _, a := range sec.Attachments {
				if a.Hash == hash {
					name = a.Name
				}
			}
			if _, err := s.Service.DetachFromSection(ctx, b.Me, rd.Case().ID, sec.ID, hash); err != nil {
				return "", "", detachable(err)
			}
			return s.afterAttach(r, b, typed, &v, b.T("已删除附件「%s」", name))
		},
		Refused: func(_ workflow.Kind, err error) error {
			attachRefused(b, v.Errs, err, "未能删除附件；编辑框中的文字没有改动")
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, sectionContent(v)) },
	})
}

// afterAttach ends a change of attachments: back to the section page, or,
// while the editor holds unsaved edits, the page again with them kept.
func (s *Server) afterAttach(r *http.Request, b *base, typed bool, v **sectionView, flash string) (string, string, error) {
	old := *v
	if !typed {
		return sectionURL(old.C.ID, old.Row.Sec.ID), flash, nil
	}
	rd, sec, err := s.loadSection(r.Context(), b, old.C.ID, old.Row.Sec.ID)
	if err != nil {
		return "", "", err
	}
	fresh, err := s.newSectionView(r.Context(), b, rd, sec)
	if err != nil {
		return "", "", err
	}
	fresh.Heading, fresh.Body, fresh.Note, fresh.Rev, fresh.Preview = old.Heading, old.Body, old.Note, old.Rev, old.Preview
	*v = fresh
	return "", flash + b.T("。编辑框中的修改尚未保存，请记得保存"), nil
}

func reportURL(caseID string) string { return "/cases/" + pathEscape(caseID) + "/report" }

// reportAgain shows the report page again with a refusal beside the
// attachment field.
func (s *Server) reportAgain(r *http.Request, b *base) (*reportView, error) {
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.newReportView(r, b, c)
}

// reportAttachPost attaches a file to the report from the report page.
func (s *Server) reportAttachPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var c *workflow.Case
	var up *importForm
	var v *reportView
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Parse: func() (url.Values, error) {
			var err error
			if c, err = s.reportAttachable(r, b.Me, workflow.ActAttachReport); err != nil {
				return nil, err
			}
			r.Body = http.MaxBytesReader(w, r.Body, int64(workflow.MaxAttachmentSize)+64<<10)
			if up, err = readUpload(r, "attachment", workflow.MaxAttachmentSize, 4<<10); err != nil {
				return nil, err
			}
			return up.fields, nil
		},
		Read: func(url.Values) (fieldErrors, error) { return nil, uploaded(b, up) },
		Do: func(ctx context.Context) (string, string, error) {
			saved, err := s.Service.AttachToReport(ctx, b.Me, c.ID, up.name, up.data)
			if err != nil {
				return "", "", err
			}
			msg := ""
			for i, a := range saved.Report.Attachments {
				if a.Hash == workflow.Hash(up.data) {
					msg = b.T("已添加附件%d「%s」", i+1, a.Name)
				}
			}
			return reportURL(c.ID), msg, nil
		},
		Refused: func(_ workflow.Kind, err error) (rerr error) {
			if v, rerr = s.reportAgain(r, b); rerr == nil {
				attachRefused(b, v.Errs, err, "未能更改报告的附件")
			}
			return rerr
		},
		Show: func(status int) error { return s.render(w, b, status, reportContent(v)) },
	})
}

// reportDetachPost removes an attachment of the report.
func (s *Server) reportDetachPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var v *reportView
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Do: func(ctx context.Context) (string, string, error) {
			c, err := s.reportAttachable(r, b.Me, workflow.ActDetachReport)
			if err != nil {
				return "", "", err
			}
			if _, err := s.Service.DetachFromReport(ctx, b.Me, c.ID, r.PostForm.Get("hash")); err != nil {
				return "", "", detachable(err)
			}
			return reportURL(c.ID), b.T("已删除报告的附件"), nil
		},
		Refused: func(_ workflow.Kind, err error) (rerr error) {
			if v, rerr = s.reportAgain(r, b); rerr == nil {
				attachRefused(b, v.Errs, err, "未能更改报告的附件")
			}
			return rerr
		},
		Show: func(status int) error { return s.render(w, b, status, reportContent(v)) },
	})
}

// kindLabel names an attachment's type for people.
func kindLabel(typ string) string {
	if k, ok := workflow.KindOfType(typ); ok {
		return k.Label
	}
	return "文件"
}

func hasSectionAttachments(c *workflow.Case) bool {
	for _, sec := range c.Sections {
		if len(sec.Attachments) > 0 {
			return true
		}
	}
	return false
}

// noticeAttachment is a published 附件 as the notice page links it.
type noticeAttachment struct {
	workflow.Attachment
	Title, URL string
}
