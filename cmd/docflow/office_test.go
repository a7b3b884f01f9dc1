package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/workflow"
)

// getPage fetches a page with a browser's cookies and fails unless it is
// served with want.
func getPage(t *testing.T, c *http.Client, u string, want int) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d; want %d\n%.3000s", u, resp.StatusCode, want, b)
	}
	return string(b)
}

// postPage posts a form as a browser of this site and returns the status
// and the page answered.
func postPage(t *testing.T, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	versionRE   = regexp.MustCompile(`name="version" value="(\d+)"`)
	temporaryRE = regexp.MustCompile(`id="temporary-password">([^<]+)<`)
	tokenRE     = regexp.MustCompile(`id="token-value">([^<]+)<`)
)

func find(t *testing.T, re *regexp.Regexp, page, what string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s on the page:\n%.3000s", what, page)
	}
	return m[1]
}

func postSeal(t *testing.T, c *http.Client, u, version string, data []byte) (int, string) {
	t.Helper()
	return postFile(t, c, u+"/admin/seal", "seal", "seal.png", data, map[string]string{"version": version, "action": "set"})
}

// postFile posts a multipart form with one file, as a browser of this site.
func postFile(t *testing.T, c *http.Client, u, field, name string, data []byte, fields map[string]string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if v != "" {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSecondOfficeSetsItselfUp is an office other than the fixture's — its
// own name, series, departments, people, chain and seal — set up from an
// empty installation through its pages alone: the setup link, the
// administration pages (its people from a roster Excel saved as GBK CSV,
// checked first, then imported), each person signing in with the temporary
// password an administrator gave them and making an API token. Its opinion
// (a genre sibling of the fixture: other regulation, three points, one to
// two levels) is then carried to publication with those tokens, and the
// published notice carries the office's own header, number, 印发机关,
// 抄送 and seal. Along the way it tries what an administrator's form must
// refuse: a stale form, a forged role, an unknown series, a file that is
// not a seal, a clerk posting to the administration pages.
func TestSecondOfficeSetsItselfUp(t *testing.T) {
	o := newOffice(t) // 江南市临江区人民政府, series 临府议, set up through /setup
	u, admin := o.m.URL, o.admin
	ctx := context.Background()

	// The office's settings, as its administrator types them.
	page := getPage(t, admin, u+"/admin/office", http.StatusOK)
	version := find(t, versionRE, page, "office version")
	office := url.Values{
		"version": {version}, "steps": {"5"},
		"org": {"江南市临江区人民政府"}, "orgShort": {"区政府"}, "mark": {"江南市临江区人民政府文件"}, "series": {"临府议"},
		"office": {"江南市临江区人民政府办公室"}, "cc": {"区委办公室\n区人大常委会办公室\n区政协办公室"},
		"allSeries":   {"临府议\n临府发"},
		"opening":     {"根据《{{.Title}}》（{{.Number}}），{{.OrgShort}}高度重视，逐条研究落实。现将有关情况报告如下："},
		"closing":     {"特此报告。"},
		"departments": {"区民政局\n区教育局\n区卫健委\n区人社局\n区住建委\n区财政局"},
		"leadDays":    {"10"}, "defaultDue": {"6"},
		"step-name-0": {"核稿"}, "step-signers-0": {"reviewer"},
		"step-name-1": {"审核"}, "step-signers-1": {"deputy"},
		"step-name-2": {"签发"}, "step-signers-2": {"chief"},
		"required": {"审核、签发"},
	}
	if status, body := postPage(t, admin, u+"/admin/office", office); status != http.StatusSeeOther {
		t.Fatalf("saving the office's settings: %d\n%.3000s", status, body)
	}
	// The same form again, from before the save: refused, nothing lost.
	stale := url.Values{}
	for k, v := range office {
		stale[k] = v
	}
	stale.Set("org", "江南市临江区人民政府（旧表单）")
	if status, body := postPage(t, admin, u+"/admin/office", stale); status != http.StatusConflict || !strings.Contains(body, "江南市临江区人民政府（旧表单）") {
		t.Errorf("a stale office form: %d; want 409 with the typed text kept", status)
	}

	people := []workflow.Account{
		{User: "clerk", Name: "陈静", Title: "秘书科科员", Roles: []workflow.Role{workflow.Clerk}},
		{User: "mz-staff", Name: "林涛", Dept: "区民政局", Roles: []workflow.Role{workflow.Staff}},
		{User: "mz-head", Name: "郭敏", Dept: "区民政局", Title: "局长", Roles: []workflow.Role{workflow.Head}},
		{User: "wj-staff", Name: "许可", Dept: "区卫健委", Roles: []workflow.Role{workflow.Staff}},
		{User: "wj-head", Name: "田野", Dept: "区卫健委", Title: "主任", Roles: []workflow.Role{workflow.Head}},
		{User: "rs-staff", Name: "何平", Dept: "区人社局", Roles: []workflow.Role{workflow.Staff}},
		{User: "rs-head", Name: "孔亮", Dept: "区人社局", Title: "局长", Roles: []workflow.Role{workflow.Head}},
		{User: "jy-staff", Name: "叶青", Dept: "区教育局", Roles: []workflow.Role{workflow.Staff}},
		{User: "zj-staff", Name: "钱进", Dept: "区住建委", Roles: []workflow.Role{workflow.Staff}},
		{User: "cz-staff", Name: "吴迪", Dept: "区财政局", Roles: []workflow.Role{workflow.Staff}},
		{User: "reviewer", Name: "沈清", Title: "区府办副主任", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"核稿"}},
		{User: "deputy", Name: "高远", Title: "副区长", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"审核"}},
		{User: "chief", Name: "罗成", Title: "区长", Roles: []workflow.Role{workflow.Approver}, Steps: []string{"签发"}},
	}
	// The clerk is added by the form; everyone else comes from the
	// office's roster, saved by Excel as a GBK CSV, checked first.
	var csv strings.Builder
	csv.WriteString("登录名,姓名,部门,职务,角色,签批环节\r\n")
	for _, p := range people[1:] {
		var rs []string
		for _, r := range p.Roles {
			rs = append(rs, r.Label())
		}
		fmt.Fprintf(&csv, "%s,%s,%s,%s,%s,%s\r\n", p.User, p.Name, p.Dept, p.Title, strings.Join(rs, "、"), strings.Join(p.Steps, "、"))
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		status, body := postFile(t, admin, u+"/admin/import", "roster", "名单.csv", []byte(gbk), map[string]string{"dryRun": map[bool]string{true: "on"}[dry]})
		if status != http.StatusOK || !strings.Contains(body, fmt.Sprintf("新建 %d 个，修改 0 个，不变 0 个", len(people)-1)) {
			t.Fatalf("importing the roster (dry run %v): %d\n%.3000s", dry, status, body)
		}
		if _, err := o.m.Store.Account(ctx, "chief"); (workflow.KindOf(err) == workflow.NotFound) != dry {
			t.Fatalf("after the import (dry run %v) the account chief: %v", dry, err)
		}
	}
	tokens := map[string]string{}
	for i, p := range people {
		if i == 0 {
			f := url.Values{"user": {p.User}, "name": {p.Name}, "dept": {p.Dept}, "title": {p.Title}, "step": p.Steps}
			for _, r := range p.Roles {
				f.Add("role", string(r))
			}
			if status, body := postPage(t, admin, u+"/admin/accounts", f); status != http.StatusSeeOther {
				t.Fatalf("adding %s: %d\n%.3000s", p.User, status, body)
			}
		}
		page := getPage(t, admin, u+"/admin/accounts/"+p.User, http.StatusOK)
		status, page := postPage(t, admin, u+"/admin/accounts/"+p.User, url.Values{"action": {"reset"}, "version": {find(t, versionRE, page, "account version")}})
		if status != http.StatusOK {
			t.Fatalf("temporary password for %s: %d\n%.3000s", p.User, status, page)
		}
		pw := find(t, temporaryRE, page, "temporary password")
		// The person signs in with it and makes a token for the script.
		b := browser()
		if status, body := postPage(t, b, u+"/login", url.Values{"user": {p.User}, "password": {pw}}); status != http.StatusSeeOther {
			t.Fatalf("%s signing in with the temporary password: %d\n%.2000s", p.User, status, body)
		}
		status, page = postPage(t, b, u+"/account", url.Values{"action": {"token"}, "name": {"办理脚本"}, "days": {"30"}})
		if status != http.StatusOK {
			t.Fatalf("%s making a token: %d\n%.2000s", p.User, status, page)
		}
		tokens[p.User] = find(t, tokenRE, page, "token")
	}

	// What the account form must refuse: a role that does not exist, a
	// department not in the list; neither makes an account.
	for _, bad := range []url.Values{
		{"user": {"mallory"}, "name": {"冒充者"}, "role": {"superuser"}},
		{"user": {"mallory"}, "name": {"冒充者"}, "dept": {"区外事办"}, "role": {"staff"}},
	} {
		if status, _ := postPage(t, admin, u+"/admin/accounts", bad); status != http.StatusBadRequest {
			t.Errorf("adding an account with %v: %d; want 400", bad, status)
		}
	}
	if _, err := o.m.Store.Account(ctx, "mallory"); workflow.KindOf(err) != workflow.NotFound {
		t.Errorf("a refused account form made an account: %v", err)
	}
	// A clerk is not an administrator, whatever the form says.
	clerk := browser()
	page = getPage(t, admin, u+"/admin/accounts/clerk", http.StatusOK)
	status, page := postPage(t, admin, u+"/admin/accounts/clerk", url.Values{"action": {"reset"}, "version": {find(t, versionRE, page, "account version")}})
	if status != http.StatusOK {
		t.Fatalf("second reset of the clerk: %d", status)
	}
	if s, _ := postPage(t, clerk, u+"/login", url.Values{"user": {"clerk"}, "password": {find(t, temporaryRE, page, "temporary password")}}); s != http.StatusSeeOther {
		t.Fatalf("clerk sign-in: %d", s)
	}
	tokens["clerk"] = "" // the reset ended the clerk's token with its sessions
	if s, _ := postPage(t, clerk, u+"/admin/office", office); s != http.StatusForbidden {
		t.Errorf("the clerk posting the office form: %d; want 403", s)
	}
	if s, _ := postPage(t, clerk, u+"/admin/accounts", url.Values{"user": {"ally"}, "name": {"同伙"}, "role": {"admin"}}); s != http.StatusForbidden {
		t.Errorf("the clerk making an administrator: %d; want 403", s)
	}
	s, page := postPage(t, clerk, u+"/account", url.Values{"action": {"token"}, "name": {"办理脚本"}, "days": {"30"}})
	if s != http.StatusOK {
		t.Fatalf("clerk token: %d", s)
	}
	tokens["clerk"] = find(t, tokenRE, page, "token")

	// Numbers and seal.
	if s, body := postPage(t, admin, u+"/admin/series", url.Values{"series": {"临府发"}, "year": {"2026"}, "next": {"40"}}); s != http.StatusSeeOther {
		t.Errorf("setting 临府发's next number: %d\n%.2000s", s, body)
	}
	if s, _ := postPage(t, admin, u+"/admin/series", url.Values{"series": {"静府议"}, "year": {"2026"}, "next": {"3"}}); s != http.StatusBadRequest {
		t.Errorf("setting a series the office does not use: %d; want 400", s)
	}
	page = getPage(t, admin, u+"/admin/office", http.StatusOK)
	version = find(t, versionRE, page, "office version")
	// The refusal is shown beside the file field, on the office page.
	if s, body := postSeal(t, admin, u, version, []byte("GIF89a not a seal")); s != http.StatusBadRequest || !strings.Contains(body, `id="err-seal"`) {
		t.Errorf("a GIF as the seal: %d, the error beside the field: %v; want 400, true", s, strings.Contains(body, `id="err-seal"`))
	}
	seal := noticetest.Seal(t, 240)
	if s, body := postSeal(t, admin, u, version, seal); s != http.StatusSeeOther {
		t.Fatalf("uploading the seal: %d\n%.2000s", s, body)
	}

	// The case, carried with the people's own tokens.
	d := &demo.Demo{BaseURL: u, Fixture: os.DirFS("../../testdata/linjiang-2026-5"), Log: io.Discard, Series: "临府议", First: 5,
		Date: workflow.Day(2026, 8, 20), Clerk: "clerk", Accounts: people,
		Sign: func(r *http.Request, user string) { r.Header.Set("Authorization", "Bearer "+tokens[user]) }}
	c, err := d.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Publication.Number(); got != "临府议〔2026〕5号" {
		t.Errorf("published as %s; want 临府议〔2026〕5号", got)
	}
	_, html, err := o.m.Service.File(ctx, workflow.Anonymous, c.ID, "notice.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"江南市临江区人民政府文件", "临府议〔2026〕5号", "江南市临江区人民政府关于《江南市临江区第三届人大常委会第九次会议关于本区贯彻实施〈江南市养老服务条例〉情况的审议意见》落实情况的报告",
		"区委办公室", "区政协办公室", "江南市临江区人民政府办公室", "逐条研究落实", `class="seal"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the published notice lacks %q", want)
		}
	}
	for _, foreign := range []string{"静安", "静府议", "上海"} {
		if strings.Contains(string(html), foreign) {
			t.Errorf("the published notice names %q, which belongs to another office", foreign)
		}
	}
	// Every step of the setting up is in the office's history.
	hist := getPage(t, admin, u+"/admin", http.StatusOK)
	for _, want := range []string{"初始设置", "修改单位设置", "更换印章", "设置文号：临府发〔2026〕下一个号为 40 号"} {
		if !strings.Contains(hist, want) {
			t.Errorf("the administration page's history lacks %q", want)
		}
	}
	if v, err := o.m.Service.VerifyOffice(ctx); err != nil || v.Events == 0 {
		t.Errorf("VerifyOffice = %+v, %v", v, err)
	}
}
