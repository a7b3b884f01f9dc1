package web

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"path"
	"slices"
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
	v := &publishView{base: b, C: c, Date: date, Series: s.Service.Profile.Series, Errs: fieldErrors{}}
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
	C      *workflow.Case
	Number string
	Title  string
	Date   time.Time
	Files  []fileLink
}

type fileLink struct {
	Name, Label, URL string
	Size             int
}

var fileLabels = map[string]string{".html": "网页版", ".pdf": "PDF", ".docx": "Word (.docx)", ".ofd": "OFD"}

func (s *Server) published(r *http.Request) ([]noticeRow, error) {
	cs, err := s.Service.Cases(r.Context(), workflow.Anonymous, workflow.Query{Stage: workflow.Published})
	if err != nil {
		return nil, err
	}
	var out []noticeRow
	for _, c := range cs {
		if c.Publication == nil || c.Report == nil {
			continue
		}
		row := noticeRow{C: c, Number: c.Publication.Number(), Title: c.Report.Current().Heading, Date: c.Publication.Date}
		for _, f := range c.Publication.Files {
			label := fileLabels[strings.ToLower(path.Ext(f.Name))]
			if label == "" {
				label = f.Name
			}
			row.Files = append(row.Files, fileLink{Name: f.Name, Label: label, URL: "/notices/" + pathEscape(c.ID) + "/" + pathEscape(f.Name), Size: f.Size})
		}
		out = append(out, row)
	}
	// Newest first: by date, then by number within a day.
	slices.SortStableFunc(out, func(a, b noticeRow) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return b.C.Publication.Seq - a.C.Publication.Seq
	})
	return out, nil
}

// noticesView is the public list, searchable by number, title and year.
type noticesView struct {
	*base
	Rows  []noticeRow
	Q     string
	Year  string
	Years []int
	Total int
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request, b *base) error {
	all, err := s.published(r)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	year := strings.TrimSpace(r.URL.Query().Get("year"))
	v := &noticesView{base: b, Q: q, Year: year, Total: len(all)}
	for _, n := range all {
		y := n.Date.In(workflow.Zone).Year()
		if !slices.Contains(v.Years, y) {
			v.Years = append(v.Years, y)
		}
		if year != "" && strconv.Itoa(y) != year {
			continue
		}
		if q != "" && !matches(q, n.Number, n.Title, n.C.Opinion.Number, n.C.Opinion.Title, strconv.Itoa(y)) {
			continue
		}
		v.Rows = append(v.Rows, n)
	}
	b.Title = b.T("公开公告")
	return s.render(w, b, http.StatusOK, noticesContent(v))
}

// matches reports whether every word of q occurs in one of fields.
// Brackets are folded so that 静府议[2025]17 finds 静府议〔2025〕17号.
func matches(q string, fields ...string) bool {
	fold := strings.NewReplacer("〔", "", "〕", "", "[", "", "]", "", "［", "", "］", "", "(", "", ")", "", "（", "", "）", "", "号", "")
	hay := strings.ToLower(fold.Replace(strings.Join(fields, "\n")))
	for _, w := range strings.Fields(q) {
		if !strings.Contains(hay, strings.ToLower(fold.Replace(w))) {
			return false
		}
	}
	return true
}

// noticeView is one published notice.
type noticeView struct {
	*base
	N     noticeRow
	Reply string
	HTML  string // URL of the HTML file, shown in a frame
}

func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, b *base) error {
	all, err := s.published(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	for _, n := range all {
		if n.C.ID != id {
			continue
		}
		v := &noticeView{base: b, N: n, Reply: n.C.Opinion.Number}
		for _, f := range n.Files {
			if strings.HasSuffix(f.Name, ".html") {
				v.HTML = f.URL
			}
		}
		b.Title = n.Number + " " + n.Title
		return s.render(w, b, http.StatusOK, noticeContent(v))
	}
	return workflow.Errorf("web.notice", workflow.NotFound, "没有已发布的公告 %s", id)
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

// atomFeed lists published notices, newest first, for feed readers.
func (s *Server) atomFeed(w http.ResponseWriter, r *http.Request, b *base) error {
	all, err := s.published(r)
	if err != nil {
		return err
	}
	root := siteURL(r)
	org := s.Service.Profile.Org
	f := atomFeed{Lang: "zh-CN", ID: root + "/notices", Title: org + " 公开公告", Author: atomPerson{Name: org},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: root + "/notices.atom"}, {Rel: "alternate", Type: "text/html", Href: root + "/notices"}}}
	updated := time.Time{}
	for _, n := range all {
		at := n.C.Publication.At
		if at.IsZero() {
			at = n.Date
		}
		if at.After(updated) {
			updated = at
		}
		e := atomEntry{ID: root + "/notices/" + n.C.ID, Title: n.Number + " " + n.Title,
			Updated: at.UTC().Format(time.RFC3339), Published: n.Date.UTC().Format(time.RFC3339),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: root + "/notices/" + pathEscape(n.C.ID)}},
			Summary: fmt.Sprintf("%s，成文日期 %s，答复 %s《%s》", n.Number, workflow.DateCN(n.Date), n.C.Opinion.Number, n.C.Opinion.Title)}
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
