package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// The statistics page (办理统计), the 办理台账 exports and the follow-up
// list (跟踪督办). The figures are workflow.Service.Statistics'; this
// file only lays them out: a table for every chart, and charts drawn as
// SVG on the server, so that nothing needs JavaScript.

// statsView is the statistics page of a year.
type statsView struct {
	*base
	S      *workflow.Statistics // the kept report: no rows
	Ledger *workflow.LedgerPage // one page of the year's cases
	Cursor string               // where Ledger starts ("" the first page)
	Years  []int
	Depts  svgChart
	Stages svgChart
	Excel  bool // the workbook can be downloaded here (Server.Workbook)
	Kinds  []workflow.CaseKind
}

// KindName names a kind by its code, as the office calls it.
func (v *statsView) KindName(id string) string {
	for _, k := range v.Kinds {
		if k.ID == id {
			return k.Name
		}
	}
	return id
}

// statsYear reads ?year= (empty: this year).
func statsYear(r *http.Request, b *base) (int, error) {
	y := strings.TrimSpace(r.URL.Query().Get("year"))
	if y == "" {
		return b.Now.In(workflow.Zone).Year(), nil
	}
	n, err := strconv.Atoi(y)
	if err != nil || n < 2000 || n > 9999 {
		return 0, workflow.Errorf("web.stats", workflow.Invalid, "年度须为四位数字，如 %d", b.Now.In(workflow.Zone).Year())
	}
	return n, nil
}

func (s *Server) statistics(r *http.Request, b *base) (*workflow.Statistics, error) {
	if err := needUser(b); err != nil {
		return nil, err
	}
	year, err := statsYear(r, b)
	if err != nil {
		return nil, err
	}
	return s.Service.Statistics(r.Context(), b.Me, year)
}

// statsPage shows the year's kept report (workflow.Service.Report) and
// one page of its ledger: the same two reads at 500 cases as at 5,000.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, b *base) error {
	if err := needUser(b); err != nil {
		return err
	}
	year, err := statsYear(r, b)
	if err != nil {
		return err
	}
	st, err := s.Service.Report(r.Context(), b.Me, year)
	if err != nil {
		return err
	}
	cursor := r.URL.Query().Get("cursor")
	led, err := s.Service.Ledger(r.Context(), b.Me, year, cursor, 0)
	if err != nil {
		return err
	}
	v := &statsView{base: b, S: st, Ledger: led, Cursor: cursor, Excel: s.Workbook != nil}
	if len(st.Kinds) > 0 {
		o, err := s.Service.Office(r.Context())
		if err != nil {
			return err
		}
		v.Kinds = o.Profile.Kinds
	}
	this := b.Now.In(workflow.Zone).Year()
	for y := this; y > this-5; y-- {
		v.Years = append(v.Years, y)
	}
	if !slices.Contains(v.Years, st.Year) {
		v.Years = append(v.Years, st.Year)
	}
	v.Depts = deptChart(b, st)
	v.Stages = stageChart(b, st)
	b.Title = b.T("办理统计")
	return s.render(w, b, http.StatusOK, statsContent(v))
}

// Rate and Avg format a department's figures for the page.
func (v *statsView) Rate(d *workflow.DeptStats) string {
	if r, ok := d.Rate(); ok {
		return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64) + "%"
	}
	return "—"
}

func (v *statsView) Avg(d *workflow.DeptStats) string {
	if a, ok := d.AvgDays(); ok {
		return strconv.FormatFloat(math.Round(a*10)/10, 'f', -1, 64)
	}
	return "—"
}

// Span is a case's days in a stage as the page shows them.
func (v *statsView) Span(sp workflow.StageSpan) string {
	switch {
	case !sp.Known:
		return "—"
	case sp.Current:
		return v.T("%d（进行中）", sp.Days)
	}
	return strconv.Itoa(sp.Days)
}

// ExportURL is a download of the ledger for the year shown.
func (v *statsView) ExportURL(kind, table string) string {
	u := fmt.Sprintf("/stats/ledger.%s?year=%d", kind, v.S.Year)
	if table != "" {
		u += "&table=" + table
	}
	return u
}

// svgChart is a horizontal bar chart drawn on the server: every bar a
// stack of segments, with a title and description for screen readers.
type svgChart struct {
	ID, Title, Desc string
	Width, Height   int
	Rows            []svgRow
	Legend          []svgLegend
	Empty           bool
}

type svgRow struct {
	Label string
	Y     int
	Segs  []svgSeg
	Total string
	TX    int // where the total is written
}

type svgSeg struct {
	X, W  int
	Fill  string
	Title string
}

type svgLegend struct {
	X     int
	Fill  string
	Label string
}

// Chart geometry, in SVG user units.
const (
	chartLabel = 150 // the labels' column
	chartBars  = 460 // the longest bar
	chartRow   = 26
	chartBar   = 18
	chartTop   = 34 // the legend's band
)

// barChart lays rows of values out as stacked bars scaled to the largest
// total.
func barChart(id, title, desc string, labels []string, values [][]int, names, fills []string, unit string) svgChart {
	c := svgChart{ID: id, Title: title, Desc: desc, Width: chartLabel + chartBars + 70}
	most := 0
	for _, vs := range values {
		t := 0
		for _, n := range vs {
			t += n
		}
		most = max(most, t)
	}
	c.Empty = most == 0
	x := 0
	for i, n := range names {
		c.Legend = append(c.Legend, svgLegend{X: x, Fill: fills[i], Label: n})
		x += 16 + 14*len([]rune(n)) + 16
	}
	for i, vs := range values {
		row := svgRow{Label: labels[i], Y: chartTop + i*chartRow}
		x, t := chartLabel, 0
		for j, n := range vs {
			t += n
			if n == 0 || most == 0 {
				continue
			}
			w := max(1, n*chartBars/most)
			row.Segs = append(row.Segs, svgSeg{X: x, W: w, Fill: fills[j], Title: fmt.Sprintf("%s %s：%d%s", labels[i], names[j], n, unit)})
			x += w
		}
		row.Total, row.TX = strconv.Itoa(t), x+6
		c.Rows = append(c.Rows, row)
	}
	c.Height = chartTop + len(values)*chartRow + 4
	return c
}

// Colours of the charts' segments: on time, late, overdue, pending; and
// the five stages. Each pair differs in lightness as well as hue.
var (
	statusFills = []string{"#2e7d32", "#ef6c00", "#c62828", "#9e9e9e"}
	stageFills  = []string{"#90caf9", "#1e88e5", "#0d47a1", "#7e57c2", "#4a148c"}
)

func deptChart(b *base, st *workflow.Statistics) svgChart {
	var labels []string
	var values [][]int
	for _, d := range st.Depts {
		labels = append(labels, d.Dept)
		values = append(values, []int{d.OnTime, d.Late, d.Overdue, d.Pending})
	}
	names := []string{b.T("按期报送"), b.T("逾期报送"), b.T("逾期未报"), b.T("办理中")}
	return barChart("chart-depts", b.T("%d 年各主办部门办理情况", st.Year),
		b.T("每个主办部门一条横条，依次为按期报送、逾期报送、逾期未报、办理中的部分数；合计 %d 个部分，按期 %d 个。数字见下表。", st.Total.Assigned, st.Total.OnTime),
		labels, values, names, statusFills, b.T("个"))
}

// stageChart draws the mean days of the year's cases in each stage,
// over the cases that left it.
func stageChart(b *base, st *workflow.Statistics) svgChart {
	var labels []string
	var values [][]int
	for i := range st.Stages {
		sg := &st.Stages[i]
		labels = append(labels, b.T(sg.Stage.Label()))
		d, _ := sg.AvgDays()
		values = append(values, []int{int(math.Round(d))})
	}
	return barChart("chart-stages", b.T("%d 年各阶段平均用时（天）", st.Year),
		b.T("每个阶段一条横条，长度为已走完该阶段的案件在该阶段的平均天数。数字见下表。"),
		labels, values, []string{b.T("平均用时")}, stageFills[1:2], b.T("天"))
}

// StageAvg formats a stage's mean days for the page.
func (v *statsView) StageAvg(sg *workflow.StageStats) string {
	if a, ok := sg.AvgDays(); ok {
		return strconv.FormatFloat(math.Round(a*10)/10, 'f', -1, 64)
	}
	return "—"
}

// NextURL is the ledger's next page, "" at its end.
func (v *statsView) NextURL() string {
	if v.Ledger.Next == "" {
		return ""
	}
	return fmt.Sprintf("/stats?year=%d&cursor=%s#cases-h", v.S.Year, url.QueryEscape(v.Ledger.Next))
}

// statsRefresh tallies the year again now (workflow.Service.RefreshReport).
func (s *Server) statsRefresh(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.post(w, r, b, form{
		Who: func() error { return needUser(b) },
		Do: func(ctx context.Context) (string, string, error) {
			year, err := statsYear(r, b)
			if err != nil {
				return "", "", err
			}
			_, err = s.Service.RefreshReport(ctx, b.Me, year)
			return fmt.Sprintf("/stats?year=%d", year), b.T("已重新统计"), err
		},
		Back: "/stats",
	})
}

// ledgerCSV writes one table of the ledger as CSV that Excel opens as
// UTF-8 (a byte-order mark first) and never reads as a formula: a text
// cell that begins with = + - @ or a tab or carriage return gets a ' in
// front (the OWASP advice on CSV injection). Numbers are written as
// numbers.
func ledgerCSV(sh workflow.Sheet) []byte {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, row := range sh.Rows {
		rec := make([]string, len(row))
		for i, c := range row {
			rec[i] = csvCell(c)
		}
		_ = w.Write(rec) // a bytes.Buffer does not fail
	}
	w.Flush()
	return buf.Bytes()
}

func csvCell(c workflow.Cell) string {
	if c.Num || c.S == "" {
		return c.S
	}
	if strings.ContainsRune("=+-@\t\r", []rune(c.S)[0]) {
		return "'" + c.S
	}
	return c.S
}

// download names a file for the browser, ASCII and UTF-8 (RFC 6266).
func download(w http.ResponseWriter, name, ascii, contentType string, data []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, pathEscape(name)))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

func (s *Server) ledgerCSVPage(w http.ResponseWriter, r *http.Request, b *base) error {
	st, err := s.statistics(r, b)
	if err != nil {
		return err
	}
	table := r.URL.Query().Get("table")
	if table == "" {
		table = "parts"
	}
	for _, sh := range st.Sheets() {
		if sh.Key == table {
			download(w, fmt.Sprintf("办理台账-%d-%s.csv", st.Year, sh.Name), fmt.Sprintf("ledger-%d-%s.csv", st.Year, sh.Key), "text/csv; charset=utf-8", ledgerCSV(sh))
			return nil
		}
	}
	return workflow.Errorf("web.ledger", workflow.Invalid, "没有台账表 %q（可选：depts 部门统计、cases 案件台账、parts 办理明细）", table)
}

func (s *Server) ledgerXLSXPage(w http.ResponseWriter, r *http.Request, b *base) error {
	st, err := s.statistics(r, b)
	if err != nil {
		return err
	}
	if s.Workbook == nil {
		return workflow.Errorf("web.ledger", workflow.NotFound, "此部署不生成 Excel 台账；请下载 CSV 格式的台账（Excel 可直接打开）")
	}
	data, err := s.Workbook(st)
	if err != nil {
		return fmt.Errorf("web.ledger: %w", err)
	}
	download(w, fmt.Sprintf("办理台账-%d.xlsx", st.Year), fmt.Sprintf("ledger-%d.xlsx", st.Year), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data)
	return nil
}

// followUpView is the follow-up list (跟踪督办): the parts of published
// cases whose result is not 已完成, or not recorded.
type followUpView struct {
	*base
	S     *workflow.Statistics
	Rows  []followUpRow
	Years []int
}

type followUpRow struct {
	C workflow.CaseRow
	P workflow.PartRow
}

func (s *Server) followUpPage(w http.ResponseWriter, r *http.Request, b *base) error {
	st, err := s.statistics(r, b)
	if err != nil {
		return err
	}
	v := &followUpView{base: b, S: st}
	this := b.Now.In(workflow.Zone).Year()
	for y := this; y > this-5; y-- {
		v.Years = append(v.Years, y)
	}
	for _, c := range st.Cases {
		if c.Summary.Stage != workflow.Published {
			continue
		}
		for _, p := range c.Parts {
			if p.Result == nil || !p.Result.Outcome.Finished() {
				v.Rows = append(v.Rows, followUpRow{C: c, P: p})
			}
		}
	}
	b.Title = b.T("跟踪督办")
	return s.render(w, b, http.StatusOK, followUpContent(v))
}

// resultAction is where the section page's result form posts for b: the
// lead department while drafting, the office from dispatch on (after
// publication too: 跟踪督办); "" for whoever may not set it.
func resultAction(b *base, c *workflow.Case, sec *workflow.Section) string {
	switch {
	case workflow.Can(b.Me, c, workflow.ActResult, sec):
		return sectionURL(c.ID, sec.ID) + "/result"
	case workflow.Can(b.Me, c, workflow.ActFollowUp, sec):
		return sectionURL(c.ID, sec.ID) + "/followup"
	}
	return ""
}

// setResult records the result the form gives, with its error beside
// the field it concerns.
func (s *Server) setResult(r *http.Request, b *base, a workflow.Action) error {
	outcome := workflow.Outcome(r.PostForm.Get("outcome"))
	text := normalizeNewlines(r.PostForm.Get("result_text"))
	if field, err := workflow.CheckResult(outcome, text); err != nil {
		return refuseField(field, workflow.Message(err))
	}
	var err error
	if a == workflow.ActResult {
		_, err = s.Service.SetResult(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), outcome, text)
	} else {
		_, err = s.Service.FollowUp(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), outcome, text)
	}
	return err
}

// keepResult shows the result as typed when the page comes back.
func keepResult(r *http.Request) func(v *sectionView) {
	return func(v *sectionView) {
		if r.PostForm != nil && (r.PostForm.Has("outcome") || r.PostForm.Has("result_text")) {
			v.Outcome, v.ResultText = r.PostForm.Get("outcome"), r.PostForm.Get("result_text")
		}
	}
}

func (s *Server) resultPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		return b.T("已保存办理结果"), s.setResult(r, b, workflow.ActResult)
	}, keepResult(r))
}

func (s *Server) followUpPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		return b.T("已保存办理结果"), s.setResult(r, b, workflow.ActFollowUp)
	}, keepResult(r))
}

// OutcomeLabel names an outcome code in the page's language.
func (v *sectionView) OutcomeLabel(o workflow.Outcome) string { return v.T(o.Label()) }

// apiYear reads ?year= of the statistics API (0: this year).
func apiYear(r *http.Request) (int, error) {
	y := r.URL.Query().Get("year")
	if y == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(y)
	if err != nil {
		return 0, workflow.Errorf("web.stats", workflow.Invalid, "年度须为四位数字")
	}
	return n, nil
}

// statsAPI is GET /api/stats?year=: a year's kept report as JSON
// (workflow.Statistics without its rows; asOf is when it was tallied).
func (s *Server) statsAPI(r *http.Request, id workflow.Identity) (any, error) {
	year, err := apiYear(r)
	if err != nil {
		return nil, err
	}
	return s.Service.Report(r.Context(), id, year)
}

// statsRefreshAPI is POST /api/stats/refresh?year=: the year tallied now.
func (s *Server) statsRefreshAPI(r *http.Request, id workflow.Identity) (any, error) {
	year, err := apiYear(r)
	if err != nil {
		return nil, err
	}
	return s.Service.RefreshReport(r.Context(), id, year)
}

// ledgerAPI is GET /api/stats/ledger?year=&cursor=&limit=: a page of the
// year's ledger (workflow.LedgerPage).
func (s *Server) ledgerAPI(r *http.Request, id workflow.Identity) (any, error) {
	year, err := apiYear(r)
	if err != nil {
		return nil, err
	}
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil {
			return nil, workflow.Errorf("web.stats", workflow.Invalid, "每页条数须为 1–%d", workflow.MaxPage)
		}
	}
	return s.Service.Ledger(r.Context(), id, year, r.URL.Query().Get("cursor"), limit)
}

// resultIn is the body of the result routes.
type resultIn struct {
	Outcome workflow.Outcome `json:"outcome"`
	Text    string           `json:"text"`
}

func (s *Server) resultAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in resultIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.SetResult(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Outcome, in.Text)
}

func (s *Server) followUpAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in resultIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.FollowUp(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Outcome, in.Text)
}

// extensionPost is the lead department's request for more time (延期申请).
func (s *Server) extensionPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
		if err != nil {
			return "", err
		}
		c := rd.Case()
		// Who may ask comes before what they typed.
		if err := workflow.Allowed(b.Me, c, workflow.ActExtend, sec); err != nil {
			return "", err
		}
		until, err := parseDate(r.PostForm.Get("until"))
		if err != nil {
			return "", refuseField(workflow.ExtensionFieldUntil, b.T("日期格式应为 2025-12-22"))
		}
		reason := normalizeNewlines(r.PostForm.Get("reason"))
		if field, err := workflow.CheckExtension(c, sec, until, reason, b.Now); err != nil {
			return "", refuseField(field, workflow.Message(err))
		}
		_, err = s.Service.RequestExtension(r.Context(), b.Me, c.ID, sec.ID, until, reason)
		return b.T("已提交延期申请，等待区府办审批"), err
	}, func(v *sectionView) { v.Until, v.Reason = r.PostForm.Get("until"), r.PostForm.Get("reason") })
}

// extensionDecidePost is the clerk's decision on a pending request.
func (s *Server) extensionDecidePost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		grant := r.PostForm.Get("decision") == "grant"
		note := normalizeNewlines(r.PostForm.Get("decision_note"))
		if !grant && strings.TrimSpace(note) == "" {
			return "", refuseField("decision_note", b.T("不同意延期时须填写理由"))
		}
		_, err := s.Service.DecideExtension(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), grant, note)
		if grant {
			return b.T("已同意延期"), err
		}
		return b.T("已不同意延期"), err
	}, func(v *sectionView) { v.DecisionNote = r.PostForm.Get("decision_note") })
}

// extensionIn and decisionIn are the bodies of the API's 延期 routes.
type extensionIn struct {
	Until  string `json:"until"` // 2026-08-31
	Reason string `json:"reason"`
}

type decisionIn struct {
	Grant bool   `json:"grant"`
	Note  string `json:"note"`
}

func (s *Server) extensionAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in extensionIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	until, err := parseDate(in.Until)
	if err != nil {
		return nil, workflow.Errorf("web.extension", workflow.Invalid, "until 的格式应为 2025-12-22")
	}
	return s.Service.RequestExtension(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), until, in.Reason)
}

func (s *Server) decideExtensionAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in decisionIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.DecideExtension(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Grant, in.Note)
}

// liaisonPost records the lead department's contact with the proposer
// (沟通) of a 代表建议 or 政协提案.
func (s *Server) liaisonPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
		if err != nil {
			return "", err
		}
		c := rd.Case()
		if err := workflow.Allowed(b.Me, c, workflow.ActLiaise, sec); err != nil {
			return "", err
		}
		day, err := parseDate(r.PostForm.Get("liaison_date"))
		if err != nil {
			return "", refuseField(workflow.LiaisonFieldDate, b.T("日期格式应为 2025-12-22"))
		}
		way, text := r.PostForm.Get("liaison_way"), normalizeNewlines(r.PostForm.Get("liaison_text"))
		if field, err := workflow.CheckLiaison(day, way, text, b.Now); err != nil {
			return "", refuseField(field, workflow.Message(err))
		}
		_, err = s.Service.RecordLiaison(r.Context(), b.Me, c.ID, sec.ID, day, way, text)
		return b.T("已登记沟通情况"), err
	}, func(v *sectionView) {
		v.LiaisonDate, v.LiaisonWay, v.LiaisonText = r.PostForm.Get("liaison_date"), r.PostForm.Get("liaison_way"), r.PostForm.Get("liaison_text")
	})
}

// liaisonAPI is POST /api/cases/{id}/sections/{sec}/liaison: {date, way,
// text} → the case.
func (s *Server) liaisonAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Date Date   `json:"date"`
		Way  string `json:"way"`
		Text string `json:"text"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.RecordLiaison(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Date.Time, in.Way, in.Text)
}

// declinePost is the lead department's request to give its part to
// another department (分办).
func (s *Server) declinePost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		if err := s.mayAct(r, b, workflow.ActDecline); err != nil {
			return "", err
		}
		reason := normalizeNewlines(r.PostForm.Get("decline_reason"))
		if strings.TrimSpace(reason) == "" {
			return "", refuseField("decline_reason", b.T("请写明理由：为何本部分不属于本部门职责，宜由哪个部门主办"))
		}
		_, err := s.Service.DeclinePart(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), reason)
		return b.T("已申请调整主办部门，等待区府办处理"), err
	}, func(v *sectionView) { v.DeclineReason = r.PostForm.Get("decline_reason") })
}

// reassignPost is the office giving a part to another lead department, or
// keeping it where it is (decision=keep).
func (s *Server) reassignPost(w http.ResponseWriter, r *http.Request, b *base) error {
	return s.sectionAction(w, r, b, func(int) (string, error) {
		lead, note := r.PostForm.Get("lead"), normalizeNewlines(r.PostForm.Get("lead_note"))
		act := workflow.ActReassign
		if r.PostForm.Get("decision") == "keep" {
			act = workflow.ActKeepLead
		}
		// Who may act comes before what they typed.
		if err := s.mayAct(r, b, act); err != nil {
			return "", err
		}
		if act == workflow.ActKeepLead {
			if strings.TrimSpace(note) == "" {
				return "", refuseField("lead_note", b.T("请写明维持原主办部门的理由"))
			}
			_, err := s.Service.KeepLead(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), note)
			return b.T("已维持原主办部门"), err
		}
		if lead == "" {
			return "", refuseField("lead", b.T("请选择新的主办部门"))
		}
		_, err := s.Service.Reassign(r.Context(), b.Me, r.PathValue("id"), r.PathValue("sec"), lead, note)
		return b.T("已调整主办部门为%s", lead), err
	}, func(v *sectionView) { v.NewLead, v.LeadNote = r.PostForm.Get("lead"), r.PostForm.Get("lead_note") })
}

// mayAct checks that the viewer may take action a on the section of the
// path, before the form's fields are looked at.
func (s *Server) mayAct(r *http.Request, b *base, a workflow.Action) error {
	rd, sec, err := s.loadSection(r.Context(), b, r.PathValue("id"), r.PathValue("sec"))
	if err != nil {
		return err
	}
	return workflow.Allowed(b.Me, rd.Case(), a, sec)
}

// declineAPI is POST …/sections/{sec}/decline: {reason} → the case.
func (s *Server) declineAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Service.DeclinePart(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Reason)
}

// reassignAPI is POST …/sections/{sec}/reassign: {lead, note} → the case;
// {keep: true, note} keeps the part with its lead department.
func (s *Server) reassignAPI(r *http.Request, id workflow.Identity) (any, error) {
	var in struct {
		Lead string `json:"lead"`
		Note string `json:"note"`
		Keep bool   `json:"keep"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Keep {
		return s.Service.KeepLead(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Note)
	}
	return s.Service.Reassign(r.Context(), id, r.PathValue("id"), r.PathValue("sec"), in.Lead, in.Note)
}
