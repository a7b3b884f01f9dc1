package web

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// publishView is the clerk's last step: the date and the number.
type publishView struct {
	*base
	C      *workflow.Case
	Date   string
	First  string
	Next   int // the number publication would take now
	Series string
	Year   int
	Errs   fieldErrors
}

func (s *Server) newPublishView(r *http.Request, b *base, c *workflow.Case, date string) (*publishView, error) {
	o, err := s.Service.Office(r.Context())
	if err != nil {
		return nil, err
	}
	v := &publishView{base: b, C: c, Date: date, Series: o.Profile.Series, Errs: fieldErrors{}}
	t, err := parseDate(date)
	if err != nil || t.IsZero() {
		t = b.Today()
	}
	v.Year = t.Year()
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
	date := r.URL.Query().Get("date")
	if date == "" {
		date = formDate(b.Today())
	}
	v, err := s.newPublishView(r, b, c, date)
	if err != nil {
		return err
	}
	b.Title = b.T("发布") + " " + c.Opinion.Number
	return s.render(w, b, http.StatusOK, publishContent(v))
}

func (s *Server) publishPost(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needClerk(b, "发布"); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	c, err := s.Service.Case(r.Context(), b.Me, r.PathValue("id"))
	if err != nil {
		return err
	}
	b.Title = b.T("发布") + " " + c.Opinion.Number
	v, err := s.newPublishView(r, b, c, strings.TrimSpace(r.PostForm.Get("date")))
	if err != nil {
		return err
	}
	v.First = strings.TrimSpace(r.PostForm.Get("first"))
	date, derr := parseDate(v.Date)
	if derr != nil || date.IsZero() {
		v.Errs.add("date", b.T("请填写成文日期，格式如 2025-12-22"))
	}
	first := 0
	if v.First != "" {
		if first, err = strconv.Atoi(v.First); err != nil || first < 1 {
			v.Errs.add("first", b.T("起始号须为正整数"))
		}
	}
	if len(v.Errs) > 0 {
		b.Error = b.T("请更正标出的项目")
		return s.render(w, b, http.StatusBadRequest, publishContent(v))
	}
	if first > 0 {
		err := s.Service.SetSeries(r.Context(), b.Me, v.Series, date.Year(), first)
		if k := workflow.KindOf(err); k == workflow.Invalid || k == workflow.Conflict {
			v.Errs.add("first", workflow.Message(err))
			b.Error = b.T("请更正标出的项目")
			return s.render(w, b, statusOf[k], publishContent(v))
		}
		if err != nil {
			return err
		}
	}
	p, err := s.Service.Publish(r.Context(), b.Me, c.ID, date)
	if k := workflow.KindOf(err); k == workflow.Invalid || k == workflow.Conflict {
		b.Error = workflow.Message(err)
		return s.render(w, b, statusOf[k], publishContent(v))
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/notices/"+p.ID, b.T("已发布 %s", p.Publication.Number()))
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
	Rows []noticeRow
	Q    string
	Year string
	Next string
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request, b *base) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	rows, next, err := s.published(r, workflow.Query{Text: q.Text, Year: q.Year, Cursor: q.Cursor, Limit: q.Limit})
	if err != nil {
		return err
	}
	v := &noticesView{base: b, Rows: rows, Q: q.Text, Next: nextURL(r, next)}
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
}

func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, b *base) error {
	const op = "web.notice"
	id := r.PathValue("id")
	c, err := s.Service.Case(r.Context(), workflow.Anonymous, id)
	if workflow.KindOf(err) == workflow.NotFound || err == nil && c.Stage != workflow.Published {
		return workflow.Errorf(op, workflow.NotFound, "没有已发布的公告 %s", id)
	}
	if err != nil {
		return err
	}
	n := noticeRowOf(c.Summary())
	n.Title = c.Report.Current.Heading
	v := &noticeView{base: b, N: n, Reply: c.Opinion.Number}
	for _, f := range n.Files {
		if strings.HasSuffix(f.Name, ".html") {
			v.HTML = f.URL
		}
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
