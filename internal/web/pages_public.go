package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// publishView is the clerk's last step, a confirmation of what the office
// decides: the number that will be issued, 成文日期, 印发日期, 公开属性 and
// 附注. Once the number is taken (a publication that failed after it, now
// retried) the page shows what it was taken with, which the retry keeps.
type publishView struct {
	*base
	C        *workflow.Case
	Date     string // as typed
	Printed  string // as typed; "" is the 成文日期
	Openness workflow.Openness
	Note     string
	// NoteFor is the 公开属性 whose office 附注 the note field was filled
	// with ("" once the clerk typed one): if the clerk changes the 公开属性
	// and leaves the note, the note follows, and the page asks again.
	NoteFor    workflow.Openness
	Notes      map[workflow.Openness]string // the office's, by 公开属性
	Opennesses []workflow.Openness
	First      string
	Next       int // the number publication would take now
	Series     string
	Year       int
	Numbered   *workflow.Publication // the number already taken: a retry
	Errs       fieldErrors
	// Late is the reason for publishing after the opinion's deadline, as
	// typed; LateDays how late the 成文日期 shown is (0: not late).
	Late     string
	LateDays int
}

// Expect names the number the page shows, so that a publication after
// another took it asks again.
func (v *publishView) Expect() string { return fmt.Sprintf("%d-%d", v.Year, v.Next) }

// NoteLabel is a 附注 as printed.
func noteLabel(note string) string {
	if note == "" {
		return ""
	}
	return "（" + note + "）"
}

func (s *Server) newPublishView(r *http.Request, b *base, c *workflow.Case, date string) (*publishView, error) {
	o, err := s.Service.Office(r.Context())
	if err != nil {
		return nil, err
	}
	v := &publishView{base: b, C: c, Date: date, Series: o.Profile.Series, Errs: fieldErrors{}, Notes: o.Profile.Notes,
		Opennesses: workflow.Opennesses, Openness: o.Profile.DefaultOpenness()}
	if p := c.Publication; p != nil && p.Seq > 0 {
		v.Numbered = p
	}
	t, err := parseDate(date)
	if err != nil || t.IsZero() {
		t = b.Today()
	}
	v.Year = t.Year()
	v.LateDays = workflow.DaysLate(c, t)
	n, err := s.Service.Store.Counter(r.Context(), v.Series, v.Year)
	if err != nil {
		return nil, err
	}
	v.Next = n + 1
	return v, nil
}

func (s *Server) publishPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "发布"); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	date := q.Get("date")
	if date == "" {
		date = formDate(b.Today())
	}
	v, err := s.newPublishView(r, b, c, date)
	if err != nil {
		return err
	}
	v.Printed = q.Get("printed")
	if o, err := workflow.ParseOpenness(q.Get("openness")); err == nil && o != "" {
		v.Openness = o
	}
	v.Note, v.NoteFor = v.Notes[v.Openness], v.Openness
	b.Title = b.T("发布") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, publishContent(v))
}

func (s *Server) publishPost(w http.ResponseWriter, r *http.Request, b *base) error {
	var c *workflow.Case
	var v *publishView
	var p workflow.Publishing
	var first int
	var seriesRefused bool
	return s.post(w, r, b, form{
		Who: func() error { return needClerk(b, "发布") },
		Load: func(ctx context.Context) (err error) {
			if c, err = s.Service.Case(ctx, b.Me, r.PathValue("id")); err != nil {
				return err
			}
			b.Title = b.T("发布") + " " + c.Opinion.Number
			v, err = s.newPublishView(r, b, c, strings.TrimSpace(r.PostForm.Get("date")))
			return err
		},
		Read: func(f url.Values) (fieldErrors, error) {
			v.First = strings.TrimSpace(f.Get("first"))
			v.Printed = strings.TrimSpace(f.Get("printed"))
			v.Late = normalizeNewlines(f.Get("late"))
			if v.Numbered != nil {
				// The number is taken: the retry finishes with what it was
				// taken with, whatever the form says.
				return nil, nil
			}
			return v.Errs, s.readPublish(b, f, c, v, &p, &first)
		},
		Do: func(ctx context.Context) (string, string, error) {
			if v.Numbered == nil && first > 0 {
				if err := s.Service.SetSeries(ctx, b.Me, v.Series, p.Date.Year(), first); err != nil {
					seriesRefused = true
					return "", "", err
				}
				var err error
				if v, err = s.refreshNext(r, v); err != nil {
					return "", "", err
				}
			} else if expect := r.PostForm.Get("expect"); v.Numbered == nil && expect != "" && expect != v.Expect() {
				// Another publication took the number the clerk confirmed.
				return "", "", &workflow.Error{Op: "web.publish", Kind: workflow.Conflict,
					Msg: b.T("文号已变化：本件将编为 %s〔%d〕%d号（不是页面上原来显示的号），请确认后再发布", v.Series, v.Year, v.Next)}
			}
			done, err := s.Service.PublishWith(ctx, b.Me, c.ID, p)
			if err != nil {
				return "", "", err
			}
			pub := done.Publication
			return "/notices/" + done.ID, b.T("已发布 %s（%s）", pub.Number(), b.T(pub.Openness.Label())), nil
		},
		// A starting number the series refuses goes beside its field.
		Refused: func(workflow.Kind, error) error {
			if seriesRefused {
				v.Errs.add("first", b.Error)
				b.Error = b.T("请更正标出的项目")
			}
			return nil
		},
		Show: func(status int) error { return s.render(w, b, status, publishContent(v)) },
	})
}

// readPublish reads the publication form's fields into v and p, the
// errors into v.Errs. It returns errShown when the page must be confirmed
// again before publishing: the clerk asked to review, or the 附注 was
// changed to follow the 公开属性 chosen.
func (s *Server) readPublish(b *base, f url.Values, c *workflow.Case, v *publishView, p *workflow.Publishing, first *int) error {
	date, derr := parseDate(v.Date)
	if derr != nil || date.IsZero() {
		v.Errs.add("date", b.T("请填写成文日期，格式如 2025-12-22"))
	}
	printed, perr := parseDate(v.Printed)
	switch {
	case perr != nil:
		v.Errs.add("printed", b.T("印发日期格式应为 2025-12-22，或留空（与成文日期相同）"))
	case !printed.IsZero() && !date.IsZero() && printed.Before(date):
		v.Errs.add("printed", b.T("印发日期 %s 早于成文日期 %s：印发不能早于成文", workflow.DateCN(printed), workflow.DateCN(date)))
	}
	open, oerr := workflow.ParseOpenness(f.Get("openness"))
	if oerr != nil {
		v.Errs.add("openness", workflow.Message(oerr))
	} else if open != "" {
		v.Openness = open
	}
	var note *string
	if _, ok := f["note"]; ok {
		n := strings.TrimSpace(f.Get("note"))
		note = &n
		v.Note = n
		for _, o := range v.Opennesses {
			if string(o) == f.Get("notefor") {
				v.NoteFor = o
			}
		}
		if v.NoteFor != "" && n != v.Notes[v.NoteFor] {
			v.NoteFor = "" // typed by the clerk: kept whatever the 公开属性
		}
	} else {
		v.Note, v.NoteFor = v.Notes[v.Openness], v.Openness
	}
	checkLen(b, v.Errs, "note", v.Note, workflow.MaxHeading)
	if v.First != "" {
		var err error
		if *first, err = strconv.Atoi(v.First); err != nil || *first < 1 {
			v.Errs.add("first", b.T("起始号须为正整数"))
		}
	}
	checkLen(b, v.Errs, "late", v.Late, workflow.MaxLateReason)
	if v.LateDays > 0 && strings.TrimSpace(v.Late) == "" && f.Get("action") == "publish" {
		v.Errs.add("late", b.T("成文日期晚于来文办理期限 %s（逾期 %d 天）：请填写逾期原因，确认后发布", workflow.DateCN(c.Opinion.Due), v.LateDays))
	}
	if len(v.Errs) > 0 {
		return nil
	}
	// The note proposed for another 公开属性 follows the one chosen; what
	// the notice will print changed, so the clerk confirms it first.
	if note != nil && v.NoteFor != "" && v.NoteFor != v.Openness {
		v.Note, v.NoteFor = v.Notes[v.Openness], v.Openness
		if *note != v.Note {
			b.Flash = b.T("附注已按公开属性“%s”改为本单位的惯例：%s。请确认后发布", b.T(v.Openness.Label()), orNothing(b, noteLabel(v.Note)))
			return errShown
		}
	}
	if f.Get("action") == "review" {
		b.Flash = b.T("已按所填内容更新，尚未发布：请确认后发布")
		return errShown
	}
	*p = workflow.Publishing{Date: date, Printed: printed, Openness: v.Openness, Note: note, Late: v.Late}
	return nil
}

// refreshNext reads the number publication would take after the series
// was set.
func (s *Server) refreshNext(r *http.Request, v *publishView) (*publishView, error) {
	n, err := s.Service.Store.Counter(r.Context(), v.Series, v.Year)
	v.Next = n + 1
	return v, err
}

// orNothing is s, or “无” for nothing.
func orNothing(b *base, s string) string {
	if s == "" {
		return b.T("无")
	}
	return s
}

// noticeRow is one published notice.
type noticeRow struct {
	C      workflow.Summary
	Number string
	Title  string
	Date   time.Time
	Files  []fileLink
}

type fileLink struct {
	Name, Label, URL string
}

var fileLabels = map[string]string{".html": "网页版", ".pdf": "PDF", ".docx": "Word (.docx)", ".ofd": "OFD"}

func noticeRowOf(c workflow.Summary) noticeRow {
	row := noticeRow{C: c, Number: c.Doc, Title: c.Heading, Date: c.Date}
	for _, name := range c.Files {
		label := fileLabels[strings.ToLower(path.Ext(name))]
		if label == "" {
			label = name
		}
		row.Files = append(row.Files, fileLink{Name: name, Label: label, URL: "/notices/" + pathEscape(c.ID) + "/" + pathEscape(name)})
	}
	return row
}

// published reads a page of the public list.
func (s *Server) published(r *http.Request, q workflow.Query) ([]noticeRow, string, error) {
	q.Stage = workflow.Published
	p, err := s.Service.Cases(r.Context(), workflow.Anonymous, q)
	if err != nil {
		return nil, "", err
	}
	var out []noticeRow
	for _, c := range p.Cases {
		out = append(out, noticeRowOf(c))
	}
	return out, p.Next, nil
}

// noticesView is the public list, searchable by number, title and year,
// a page at a time.
type noticesView struct {
	*base
	Rows     []noticeRow
	Q        string
	Year     string
	Next     string
	Kinds    []workflow.CaseKind // the office's, to filter by (issue 13)
	Kind     string
	Category string
}

// KindLabel is a row's kind and proposer as the list shows them: 人大代表建议 · 周某代表.
func (v *noticesView) KindLabel(c workflow.Summary) string {
	for _, k := range v.Kinds {
		if k.ID == c.Kind {
			if c.Proposer != "" {
				return k.Name + " · " + c.Proposer + k.Proposer
			}
			return k.Name
		}
	}
	return ""
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request, b *base) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	rows, next, err := s.published(r, workflow.Query{Text: q.Text, Year: q.Year, Cursor: q.Cursor, Limit: q.Limit, Kind: q.Kind, Category: q.Category})
	if err != nil {
		return err
	}
	v := &noticesView{base: b, Rows: rows, Q: q.Text, Next: nextURL(r, next), Kind: q.Kind, Category: q.Category}
	if o, err := s.Service.Office(r.Context()); err == nil {
		v.Kinds = o.Profile.Kinds
	}
	if q.Year != 0 {
		v.Year = strconv.Itoa(q.Year)
	}
	b.Title = b.T("公开公告")
	return s.render(w, b, http.StatusOK, noticesContent(v))
}

// noticeView is one published notice.
type noticeView struct {
	*base
	N     noticeRow
	Reply string
	HTML  string // URL of the HTML file, shown in a frame
	// Internal is the 公开属性 of a notice the public does not see, shown
	// to the office and those who took part; "" for a public one.
	Internal string
	Printed  time.Time // 印发日期
	// Attachments are the notice's 附件 as published, in order.
	Attachments []noticeAttachment
}

// noticePage shows a published notice: a 主动公开 one to anyone, the
// others to whoever may see the case (workflow.Service.Case), saying that
// they are not public; to the rest it does not exist.
func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, b *base) error {
	const op = "web.notice"
	id := r.PathValue("id")
	c, err := s.Service.Case(r.Context(), b.Me, id)
	if workflow.KindOf(err) == workflow.NotFound || err == nil && c.Stage != workflow.Published {
		return workflow.Errorf(op, workflow.NotFound, "没有已发布的公告 %s", id)
	}
	if err != nil {
		return err
	}
	n := noticeRowOf(c.Summary())
	n.Title = c.Report.Current.Heading
	v := &noticeView{base: b, N: n, Reply: c.Opinion.Number, Printed: c.Publication.PrintedOn()}
	if !c.Publication.Public() {
		v.Internal = c.Publication.Openness.Label()
	}
	for _, f := range n.Files {
		if strings.HasSuffix(f.Name, ".html") {
			v.HTML = f.URL
		}
	}
	for i, a := range c.Publication.Attachments {
		v.Attachments = append(v.Attachments, noticeAttachment{Attachment: a, Title: b.T("附件%d：%s", i+1, a.Title()),
			URL: "/notices/" + pathEscape(c.ID) + "/attachments/" + strconv.Itoa(i+1)})
	}
	b.Title = n.Number + " " + n.Title
	return s.render(w, b, http.StatusOK, noticeContent(v))
}

// Atom 1.0 (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Summary   string     `xml:"summary"`
}

// atomFeed lists the newest page of published notices for feed readers.
func (s *Server) atomFeed(w http.ResponseWriter, r *http.Request, b *base) error {
	all, _, err := s.published(r, workflow.Query{})
	if err != nil {
		return err
	}
	root := siteURL(r)
	o, err := s.Service.Office(r.Context())
	if err != nil {
		return err
	}
	org := o.Profile.Org
	f := atomFeed{Lang: "zh-CN", ID: root + "/notices", Title: org + " 公开公告", Author: atomPerson{Name: org},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: root + "/notices.atom"}, {Rel: "alternate", Type: "text/html", Href: root + "/notices"}}}
	updated := time.Time{}
	for _, n := range all {
		at := n.C.Updated
		if at.IsZero() {
			at = n.Date
		}
		if at.After(updated) {
			updated = at
		}
		e := atomEntry{ID: root + "/notices/" + n.C.ID, Title: n.Number + " " + n.Title,
			Updated: at.UTC().Format(time.RFC3339), Published: n.Date.UTC().Format(time.RFC3339),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: root + "/notices/" + pathEscape(n.C.ID)}},
			Summary: fmt.Sprintf("%s，成文日期 %s，答复 %s《%s》", n.Number, workflow.DateCN(n.Date), n.C.Number, n.C.Title)}
		for _, fl := range n.Files {
			e.Links = append(e.Links, atomLink{Rel: "enclosure", Href: root + fl.URL})
		}
		f.Entries = append(f.Entries, e)
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	fmt.Fprint(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	return enc.Encode(f)
}

// siteURL is the scheme and host the request came to, for the absolute
// links a feed needs.
func siteURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
