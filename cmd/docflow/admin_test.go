package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/password"
	"github.com/docflow/docflow/internal/workflow"
)

// The second office: another district, with its own names, series,
// departments and people. Nothing of it is in templates/, so what the
// tests read back can only have come through `docflow admin`.
const hexiOffice = `{
  "profile": {
    "org": "河西区人民政府",
    "orgShort": "区政府",
    "mark": "河西区人民政府文件",
    "series": "河府议",
    "office": "河西区人民政府办公室",
    "cc": [],
    "opening": "根据《{{.Title}}》（{{.Number}}），{{.OrgShort}}认真研究，现将落实情况报告如下：",
    "closing": "特此报告。",
    "leadDays": 20,
    "defaultDue": 6,
    "departments": ["区教育局", "区卫健委", "区财政局"],
    "chain": [
      {"name": "核稿", "signers": ["lu.qiang"]},
      {"name": "会签", "countersign": true},
      {"name": "审核", "signers": ["gu.hua"]},
      {"name": "签发", "signers": ["shen.tao"]}
    ]
  },
  "series": ["河府议"],
  "policy": {"required": ["审核"]}
}`

// hexiRoster is the second office's people, as its personnel office keeps
// them (with a column the import ignores).
var hexiRoster = [][]string{
	{"登录名", "姓名", "部门", "职务", "角色", "签批环节", "备注"},
	{"tang.min", "唐敏", "", "区府办综合科经办人", "区府办经办人", "", ""},
	{"lu.qiang", "陆强", "", "区府办秘书科科长", "审核签发人", "核稿", ""},
	{"gu.hua", "顾华", "", "副区长", "审核签发人", "审核", ""},
	{"shen.tao", "沈涛", "", "区长", "审核签发人", "签发", ""},
	{"qian.li", "钱立", "区教育局", "局长", "承办部门负责人、审核签发人", "", ""},
	{"zhao.min", "赵敏", "区教育局", "科员", "承办部门经办人", "", "新入职"},
	{"xu.yan", "徐燕", "区卫健委", "主任", "承办部门负责人、审核签发人", "", ""},
	{"he.bo", "贺波", "区卫健委", "科员", "承办部门经办人", "", ""},
	{"cao.jun", "曹军", "区财政局", "局长", "承办部门负责人、审核签发人", "", ""},
	{"fang.yu", "方宇", "区财政局", "科员", "承办部门经办人", "", ""},
}

// gb18030CSV is the roster as Excel in China saves a CSV.
func gb18030CSV(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\r\n")
	}
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func xlsxRoster(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		row := make([]any, len(r))
		for j, c := range r {
			row[j] = c
		}
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// adminEnv runs `docflow admin` in-process on one store and opens that
// store directly to read back what the commands did.
type adminEnv struct {
	t     *testing.T
	dir   string   // for the files the commands read
	store []string // the flags naming the store
	open  func() (*workflow.Service, workflow.Sessions, func())
}

// run runs docflow admin with args and the store's flags.
func (e *adminEnv) run(args ...string) (string, error) {
	var out, errs bytes.Buffer
	err := run(context.Background(), append(append([]string{"admin"}, args...), e.store...), &out, &errs)
	return out.String() + errs.String(), err
}

func (e *adminEnv) ok(args ...string) string {
	e.t.Helper()
	out, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("docflow admin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fails runs a command that must fail, saying phrase in its error or its
// output; it returns both.
func (e *adminEnv) fails(phrase string, args ...string) string {
	e.t.Helper()
	out, err := e.run(args...)
	if err == nil {
		e.t.Fatalf("docflow admin %s succeeded; want an error saying %q\n%s", strings.Join(args, " "), phrase, out)
	}
	if out += err.Error(); !strings.Contains(out, phrase) {
		e.t.Fatalf("docflow admin %s: %s\nwant it to say %q", strings.Join(args, " "), out, phrase)
	}
	return out
}

func (e *adminEnv) file(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func withStdin(t *testing.T, s string) {
	old := adminStdin
	adminStdin = strings.NewReader(s)
	t.Cleanup(func() { adminStdin = old })
}

// TestAdminSecondOffice: a district that is not the fixture's sets itself
// up from an empty data directory with `docflow admin` alone — office,
// profile fields, departments, series and their next numbers, policy,
// seal, a roster imported from a GB18030 CSV — and everything reads back
// from the store, audited as the operator. Along the way it tries what
// must be refused: a second setup, a stale office file, an unknown series,
// removing a department people work in, a roster with bad rows; and it
// checks that disabling an account ends its sessions.
func TestAdminSecondOffice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hexi-data")
	e := &adminEnv{t: t, dir: t.TempDir(), store: []string{"-data", dir}, open: func() (*workflow.Service, workflow.Sessions, func()) {
		st, err := localstore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: st}, st, func() { st.Close() }
	}}
	// Before setup, nothing but setup works, and a mistyped -data is not
	// silently made into a new installation.
	e.fails("数据目录", "accounts", "list")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a command other than setup created the data directory: %v", err)
	}
	if err := os.Mkdir(dir, 0o750); err != nil { // as a deployment might make it
		t.Fatal(err)
	}
	secondOffice(t, e, "名单.csv", gb18030CSV(t, hexiRoster))
}

// TestAdminSecondOfficeAWS runs the same setup over DynamoDB Local and an
// S3 server, as on an AWS deployment, where there is no setup link.
func TestAdminSecondOfficeAWS(t *testing.T) {
	if os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT") == "" || os.Getenv("DOCFLOW_S3_ENDPOINT") == "" {
		t.Skip("set DOCFLOW_DYNAMODB_ENDPOINT and DOCFLOW_S3_ENDPOINT — make test (infra/local/with-aws.sh) starts DynamoDB Local and versitygw")
	}
	table, bucket := crashTableAndBucket(t)
	e := &adminEnv{t: t, dir: t.TempDir(), store: []string{"-table", table, "-bucket", bucket}, open: func() (*workflow.Service, workflow.Sessions, func()) {
		creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
		db := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")), Region: "us-east-1", Credentials: creds})
		s3c := s3.New(s3.Options{BaseEndpoint: aws.String(os.Getenv("DOCFLOW_S3_ENDPOINT")), Region: "us-east-1", Credentials: creds, UsePathStyle: true})
		st := awsstore.New(db, table)
		return &workflow.Service{Store: st, Blobs: awsstore.NewBlobs(s3c, bucket, "drafts/", "files/"), Dir: st}, st, func() {}
	}}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"admin", "accounts", "list", "-table", table}, &out, &out); err == nil || !strings.Contains(err.Error(), "-table 和 -bucket") {
		t.Errorf("docflow admin accounts list -table without -bucket: %v; want it refused", err)
	}
	secondOffice(t, e, "名单.xlsx", xlsxRoster(t, hexiRoster))
}

func secondOffice(t *testing.T, e *adminEnv, rosterName string, roster []byte) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	actor := "cli:" + u.Username
	e.fails("尚未完成初始设置", "office", "show")

	// Setup, with the administrator's password on standard input.
	officeFile := e.file("hexi.json", []byte(hexiOffice))
	withStdin(t, "short\n")
	e.fails("密码至少", "setup", "-office", officeFile, "-admin", "zhou.jg", "-name", "周建国", "-password-stdin")
	withStdin(t, "Hexi-admin-2026\n")
	out := e.ok("setup", "-office", officeFile, "-admin", "zhou.jg", "-name", "周建国", "-title", "区府办主任", "-password-stdin")
	if !strings.Contains(out, "已完成初始设置：河西区人民政府，文号代字 河府议，3 个部门；管理员 zhou.jg（周建国）") {
		t.Errorf("setup said:\n%s", out)
	}
	e.fails("已完成初始设置", "setup", "-office", officeFile, "-admin", "other", "-name", "某人", "-generate-password")

	// The notice's fields, one at a time.
	e.ok("profile", "set", "cc=区人大常委会、区政协", "cc=区纪委监委", "closing=专此报告。", "leadDays=15")
	e.fails("KEY=VALUE", "profile", "set", "colour=red")
	e.fails("非负整数", "profile", "set", "leadDays=-3")
	e.fails("不在文号代字列表中", "profile", "set", "series=河府发")
	// The 公开属性 publication proposes and the office's 附注 for each.
	if out := e.ok("profile", "set", "openness=依申请公开", "note.on-request=（此件依申请公开）", "note.withheld=此件不予公开"); !strings.Contains(out, "默认公开属性：主动公开 → 依申请公开") ||
		!strings.Contains(out, "依申请公开的附注：（无） → 此件依申请公开") {
		t.Errorf("profile set openness and notes said:\n%s", out)
	}
	e.fails("没有公开属性", "profile", "set", "openness=保密")

	// Departments: one added and removed again, nobody in it.
	e.ok("departments", "add", "区民政局", "区司法局")
	e.ok("departments", "remove", "区司法局")
	e.fails("没有部门「区外星局」", "departments", "remove", "区外星局")

	// Series: a second one, the next number of the report's, an unknown
	// one refused.
	e.ok("series", "add", "河府发")
	e.ok("series", "next", "河府议", "2026", "13")
	e.fails("没有文号代字「河府函」", "series", "next", "河府函", "2026", "1")
	e.fails("不能重复使用", "series", "next", "河府议", "2026", "5")
	if out := e.ok("series", "list", "-year", "2026"); !regexp.MustCompile(`河府议\s+2026\s+12\s+13\s+报告使用`).MatchString(out) ||
		!regexp.MustCompile(`河府发\s+2026\s+0\s+1`).MatchString(out) {
		t.Errorf("series list:\n%s", out)
	}

	e.ok("policy", "set", "-required", "审核、签发", "-second-factor=true")
	e.fails("不在默认签批流程中", "policy", "set", "-required", "批示")
	seal := noticetest.Seal(t, 240)
	e.ok("seal", "set", e.file("seal.png", seal))
	e.fails("PNG", "seal", "set", officeFile)
	e.fails("答复函版头", "seal", "set", "-dept", "区外星局", e.file("seal.png", seal))

	// The roster: a bad one first, which writes nothing and names every bad row.
	bad := slices.Clone(hexiRoster[:3])
	bad = append(bad,
		[]string{"wu.gang", "吴刚", "区外星局", "科员", "承办部门经办人", "", ""},
		[]string{"tang.min", "唐敏二", "", "", "区府办经办人", "", ""},
		[]string{"zheng.ke", "郑可", "区教育局", "", "局长", "", ""},
		[]string{"bad login", "某人", "区教育局", "", "承办部门经办人", "", ""},
	)
	out = e.fails("4 行有误", "accounts", "import", e.file("bad.csv", gb18030CSV(t, bad)))
	for _, want := range []string{"第 4 行（wu.gang）：部门「区外星局」不在部门名录中", "第 5 行（tang.min）：登录名 tang.min 与第 2 行重复",
		"第 6 行（zheng.ke）：没有角色「局长」", "第 7 行（bad login）：登录名「bad login」无效"} {
		if !strings.Contains(out, want) {
			t.Errorf("the bad roster's report lacks %q:\n%s", want, out)
		}
	}
	file := e.file(rosterName, roster)
	if out := e.ok("accounts", "import", file, "-dry-run"); !strings.Contains(out, "新增 10 个，修改 0 个，未变 0 个（试运行，未写入）") {
		t.Errorf("dry run said:\n%s", out)
	}
	if out := e.ok("accounts", "list"); !strings.Contains(out, "共 1 个账号") {
		t.Errorf("a refused roster or a dry run wrote accounts:\n%s", out)
	}
	if out := e.ok("accounts", "import", file); !strings.Contains(out, "新增 10 个，修改 0 个，未变 0 个") || !strings.Contains(out, "忽略了以下列：备注") {
		t.Errorf("import said:\n%s", out)
	}
	if out := e.ok("accounts", "import", file); !strings.Contains(out, "新增 0 个，修改 0 个，未变 10 个：名单与现有账号一致，没有改动") {
		t.Errorf("the same roster again said:\n%s", out)
	}
	changed := slices.Clone(hexiRoster)
	changed[6] = []string{"zhao.min", "赵敏", "区教育局", "副科长", "承办部门经办人", "", ""}
	if out := e.ok("accounts", "import", e.file("changed.csv", gb18030CSV(t, changed))); !strings.Contains(out, "已修改 zhao.min：职务：科员 → 副科长") ||
		!strings.Contains(out, "新增 0 个，修改 1 个，未变 9 个") {
		t.Errorf("a changed roster said:\n%s", out)
	}

	// Accounts one at a time.
	e.ok("accounts", "add", "pan.yue", "-name", "潘悦", "-dept", "区民政局", "-roles", "staff", "-title", "科员")
	e.fails("已有账号 pan.yue", "accounts", "add", "pan.yue", "-name", "潘悦", "-roles", "staff", "-dept", "区民政局")
	e.fails("没有角色「boss」", "accounts", "add", "x.y", "-name", "某", "-roles", "boss")
	e.fails("请用 -roles 指定角色", "accounts", "add", "x.y", "-name", "某", "-roles", "")
	e.fails("承办部门人员须指定部门", "accounts", "add", "x.y", "-name", "某", "-roles", "staff")
	e.ok("accounts", "set", "pan.yue", "-dept", "区财政局", "-title", "副科长")
	e.ok("departments", "remove", "区民政局")
	e.fails("区教育局 仍有 钱立（qian.li）、赵敏（zhao.min）", "departments", "remove", "区教育局")

	// Disabling ends every session and token; reset sets a password,
	// clears a lockout and the second factor.
	svc, sessions, closeStore := e.open()
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"a1", "a2"} {
		if err := sessions.SaveSession(ctx, &workflow.Session{ID: id, User: "he.bo", Kind: workflow.SessionBrowser, Created: now, Seen: now, Expires: now.Add(time.Hour), Factors: "password"}); err != nil {
			t.Fatal(err)
		}
	}
	totp, failed, locked := "JBSWY3DPEHPK3PXP", 3, now.Add(time.Hour)
	if _, err := svc.SetCredentials(ctx, workflow.Identity{User: "xu.yan"}, "xu.yan", workflow.Credentials{TOTP: &totp, Failed: &failed, Locked: &locked}, "测试：锁定"); err != nil {
		t.Fatal(err)
	}
	closeStore()
	e.ok("accounts", "disable", "he.bo")
	out = e.ok("accounts", "reset", "xu.yan", "-generate-password", "-clear-2fa")
	pw := regexp.MustCompile(`(?m)^  (\S+)$`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("reset printed no password:\n%s", out)
	}
	if out := e.ok("accounts", "list", "-dept", "区卫健委"); !regexp.MustCompile(`he\.bo\s+贺波.*停用`).MatchString(out) ||
		!regexp.MustCompile(`xu\.yan\s+徐燕.*在用\s+有\s+无\s*\n`).MatchString(out) {
		t.Errorf("accounts list -dept 区卫健委:\n%s", out)
	}
	e.ok("accounts", "enable", "he.bo")
	e.fails("没有账号 nobody", "accounts", "disable", "nobody")

	// The office as JSON: edited and applied; the same file again is stale.
	shown := e.ok("office", "show")
	var o workflow.Office
	if err := json.Unmarshal([]byte(shown), &o); err != nil {
		t.Fatalf("office show is not the office's JSON: %v\n%s", err, shown)
	}
	o.Profile.Mark = "河西区人民政府文件（试行）"
	edited, _ := json.Marshal(o)
	editedFile := e.file("edited.json", edited)
	if out := e.ok("office", "set", editedFile); !strings.Contains(out, "发文机关标志：河西区人民政府文件 → 河西区人民政府文件（试行）") {
		t.Errorf("office set said:\n%s", out)
	}
	e.fails("已被他人修改", "office", "set", editedFile)
	e.fails("没有 version", "office", "set", officeFile)

	// Everything reads back from the store.
	svc, sessions, closeStore = e.open()
	defer closeStore()
	got, err := svc.Office(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Profile
	if p.Org != "河西区人民政府" || p.Mark != "河西区人民政府文件（试行）" || p.Series != "河府议" || p.Closing != "专此报告。" || p.LeadDays != 15 ||
		!slices.Equal(p.CC, []string{"区人大常委会", "区政协", "区纪委监委"}) || !slices.Equal(p.Departments, []string{"区教育局", "区卫健委", "区财政局"}) ||
		!slices.Equal(got.Series, []string{"河府议", "河府发"}) || !slices.Equal(got.Policy.Required, []string{"审核", "签发"}) || !got.Policy.SecondFactor ||
		got.Seal != workflow.Hash(seal) {
		t.Errorf("office read back: %+v", got)
	}
	if last, err := svc.Store.Counter(ctx, "河府议", 2026); err != nil || last != 12 {
		t.Errorf("河府议〔2026〕 last number %d, %v; want 12", last, err)
	}
	accounts := map[string]workflow.Account{}
	for q := (workflow.AccountQuery{Limit: workflow.MaxPage}); ; {
		page, err := svc.Dir.Accounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			accounts[a.User] = a
		}
		if q.Cursor = page.Next; q.Cursor == "" {
			break
		}
	}
	if len(accounts) != 12 {
		t.Errorf("%d accounts; want the administrator, ten from the roster and one added", len(accounts))
	}
	admin, qian, xu := accounts["zhou.jg"], accounts["qian.li"], accounts["xu.yan"]
	if !admin.Has(workflow.Admin) || !password.Check(admin.Password, "Hexi-admin-2026") {
		t.Errorf("administrator %+v: want the admin role and the password from standard input", admin)
	}
	if qian.Dept != "区教育局" || qian.Title != "局长" || !qian.Has(workflow.Head) || !qian.Has(workflow.Approver) || qian.Password != "" {
		t.Errorf("imported qian.li: %+v", qian)
	}
	if !slices.Equal(accounts["gu.hua"].Steps, []string{"审核"}) || accounts["zhao.min"].Title != "副科长" || accounts["pan.yue"].Dept != "区财政局" {
		t.Errorf("gu.hua %+v, zhao.min %+v, pan.yue %+v", accounts["gu.hua"], accounts["zhao.min"], accounts["pan.yue"])
	}
	if !password.Check(xu.Password, pw[1]) || xu.TOTP != "" || xu.Failed != 0 || !xu.Locked.IsZero() {
		t.Errorf("reset xu.yan: password matches %v, TOTP %q, failed %d, locked %v; want the printed password, no second factor, no lockout",
			password.Check(xu.Password, pw[1]), xu.TOTP, xu.Failed, xu.Locked)
	}
	if ss, err := sessions.UserSessions(ctx, "he.bo"); err != nil || len(ss) != 0 {
		t.Errorf("disabled he.bo still has sessions %+v, %v", ss, err)
	}

	// Every change is in the audit trail, as the operator.
	operator := workflow.Identity{User: actor, Roles: []workflow.Role{workflow.Admin}}
	evs, err := svc.OfficeHistory(ctx, operator, "", 0, workflow.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"抄送：（无） → 区人大常委会、区政协、区纪委监委", "增加部门：区民政局、区司法局", "删除部门：区司法局", "增加文号代字：河府发",
		"河府议〔2026〕下一个号为 13 号", "必经环节：审核 → 审核、签发", "更换印章", "发文机关标志：河西区人民政府文件 → 河西区人民政府文件（试行）"} {
		i := slices.IndexFunc(evs, func(ev workflow.Event) bool { return strings.Contains(ev.Detail, want) })
		if i < 0 {
			t.Errorf("the office's history lacks %q", want)
		} else if evs[i].Actor != actor || !strings.HasPrefix(evs[i].Name, "命令行（"+u.Username+"@") {
			t.Errorf("%q was recorded as %s %s; want the operator %s", want, evs[i].Actor, evs[i].Name, actor)
		}
	}
	for user, wants := range map[string][]string{
		"zhao.min": {"导入名单第 7 行", "职务：科员 → 副科长"},
		"he.bo":    {"停用", "启用"},
		"xu.yan":   {"管理员重置账号：解除锁定、设置新密码、清除动态口令"},
		"zhou.jg":  {"初始设置：设置管理员密码"},
	} {
		evs, err := svc.OfficeHistory(ctx, operator, workflow.AccountStream(user), 0, workflow.MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !slices.ContainsFunc(evs, func(ev workflow.Event) bool { return ev.Actor == actor && strings.Contains(ev.Detail, want) }) {
				t.Errorf("%s's history lacks %q by %s: %+v", user, want, actor, evs)
			}
		}
	}
	if out := e.ok("history", "-n", "3"); !strings.Contains(out, "发文机关标志") || strings.Count(out, "\n") != 3 {
		t.Errorf("history -n 3:\n%s", out)
	}
	if out := e.ok("history", "-account", "he.bo"); !strings.Contains(out, "命令行（"+u.Username+"@") || !strings.Contains(out, "停用") {
		t.Errorf("history -account he.bo:\n%s", out)
	}
}

// TestAdminUsage: every subcommand describes itself, and what is not a
// subcommand or lacks its arguments fails with the usage.
func TestAdminUsage(t *testing.T) {
	ctx := context.Background()
	for _, c := range adminCommands {
		var out, errs bytes.Buffer
		args := append(append([]string{"admin"}, strings.Fields(c.name)...), "-h")
		if err := run(ctx, args, &out, &errs); err != nil {
			t.Errorf("docflow %s: %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(errs.String(), "usage: docflow admin "+c.name) {
			t.Errorf("docflow %s gives no usage:\n%s", strings.Join(args, " "), errs.String())
		}
	}
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"help", "admin"}, &out, &errs); err != nil || !strings.Contains(out.String(), "docflow admin accounts import") ||
		!strings.Contains(out.String(), "cli:<OS user>") {
		t.Errorf("docflow help admin: %v\n%s", err, out.String())
	}
	for _, args := range [][]string{{"admin"}, {"admin", "bogus"}, {"admin", "accounts"}, {"admin", "accounts", "add"},
		{"admin", "series", "next", "河府议", "2026"}, {"admin", "office", "show", "-table", "t"}} {
		if err := run(ctx, args, &out, &errs); err == nil {
			t.Errorf("docflow %s succeeded; want an error", strings.Join(args, " "))
		}
	}
}
