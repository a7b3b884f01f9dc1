package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/text/width"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/password"
	"github.com/docflow/docflow/internal/roster"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// adminCommand is one subcommand of `docflow admin`: thin code that parses
// its flags, calls the domain (workflow.Service) and prints.
type adminCommand struct {
	name, synopsis, summary string
	run                     func(r *adminRun, args []string) error
}

// adminCommands are listed by `docflow admin -h` in this order; set in
// init because their usage reads the list.
var adminCommands []adminCommand

func init() {
	adminCommands = []adminCommand{
		{"setup", "-office FILE.json -admin LOGIN -name 姓名 [-title 职务] [-password-stdin | -generate-password]",
			"set up an empty installation: the office from FILE (as `office show` prints it) and its first administrator; refused once set up", adminSetup},
		{"office example", "", "print the seed of a new installation (templates/) as a starting point for setup -office", adminOfficeExample},
		{"office show", "", "print the office's settings as JSON, with their version", adminOfficeShow},
		{"office set", "FILE.json", "apply an edited `office show` (refused if the office changed since); the audit trail lists the fields changed", adminOfficeSet},
		{"profile set", "KEY=VALUE…", "change single fields: " + strings.Join(profileKeyNames(), ", ") + " (cc: 、-separated or repeated)", adminProfileSet},
		{"departments list", "", "list the departments and how many enabled accounts each has", adminDepartmentsList},
		{"departments add", "NAME…", "add departments", adminDepartmentsAdd},
		{"departments remove", "NAME…", "remove departments; refused while an enabled account belongs to one", adminDepartmentsRemove},
		{"series list", "[-year Y]", "list the number series (文号代字) with the last and next number of the year", adminSeriesList},
		{"series add", "CODE", "add a number series", adminSeriesAdd},
		{"series next", "CODE YEAR N", "set the next number of a series and year, for an office that numbered before docflow", adminSeriesNext},
		{"policy show", "", "print the sign-off policy and the default chain", adminPolicyShow},
		{"policy set", "[-required 审核,签发] [-second-factor=true|false]", "set the steps every sign-off chain must have, and whether approvers need a one-time code", adminPolicySet},
		{"notify show", "", "print the reminder rules and the group robots (addresses shortened)", adminNotifyShow},
		{"notify set", "[-due-soon DAYS] [-overdue DAYS] [-waiting HOURS]", "set the reminder rules: days before a part's due date, days between reminders of an overdue part, hours a sign-off step may wait (0: off)", adminNotifySet},
		{"notify robot", "DEPT|office wecom|dingtalk URL [-secret SEC…]", "set the group robot (企业微信 or 钉钉 webhook) of a department or of the office", adminNotifyRobot},
		{"notify robot-remove", "DEPT|office", "remove a department's or the office's group robot", adminNotifyRobotRemove},
		{"seal set", "[-dept 部门] FILE.png", "set the seal pressed on notices published from now on (PNG, transparent background); with -dept, the one on that department's 答复函", adminSealSet},
		{"seal clear", "[-dept 部门]", "remove the seal (with -dept, the department's)", adminSealClear},
		{"accounts list", "[-dept D] [-role R]", "list accounts: login, name, department, title, roles, steps, state, password, 2FA, lockout", adminAccountsList},
		{"accounts add", "LOGIN -name 姓名 -roles R,… [-dept D] [-title T] [-steps S,…] [-email E] [-notify email|robot|off]", "add an account, without a password (reset gives one)", adminAccountsAdd},
		{"accounts set", "LOGIN [-name N] [-dept D] [-title T] [-roles R,…] [-steps S,…] [-email E] [-notify C]", "change an account's names, department, title, roles, steps, email or how it is told", adminAccountsSet},
		{"accounts disable", "LOGIN", "disable an account and end its sessions and API tokens", adminAccountsDisable},
		{"accounts enable", "LOGIN", "enable a disabled account", adminAccountsEnable},
		{"accounts reset", "LOGIN [-password-stdin | -generate-password] [-clear-2fa]", "clear a lockout, optionally set a new password or remove the second factor; ends the account's sessions", adminAccountsReset},
		{"accounts import", "FILE.csv|FILE.xlsx [-dry-run]", "add and update accounts from a roster (登录名,姓名,部门,职务,角色,签批环节); every row is checked before any is written", adminAccountsImport},
		{"history", "[-account LOGIN] [-n 50]", "the audit trail of the office's settings, or of one account, newest first", adminHistory},
	}
}

const adminStoreSynopsis = "[-data DIR | -table NAME -bucket NAME [-endpoint URL] [-s3-endpoint URL]]"

// adminUsage describes every subcommand, the store flags and who the audit
// trail names.
func adminUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: docflow admin SUBCOMMAND [ARG…] %s\n      set the office up and administer it from the command line\n\nsubcommands:\n", adminStoreSynopsis)
	for _, c := range adminCommands {
		fmt.Fprintf(w, "  docflow admin %s\n      %s\n", strings.TrimSpace(c.name+" "+c.synopsis), c.summary)
	}
	fmt.Fprint(w, `
store, for every subcommand:
  -data DIR          the local data directory, as docflow serve uses it (default ./docflow-data)
  -table NAME -bucket NAME
                     the AWS deployment's DynamoDB table and S3 bucket (the stack's outputs);
                     credentials and region from the environment, as the AWS CLI reads them
  -endpoint URL, -s3-endpoint URL
                     DynamoDB and S3 endpoints of local stand-ins (default $DOCFLOW_DYNAMODB_ENDPOINT,
                     $DOCFLOW_S3_ENDPOINT)

Whoever can open the database administers the office: every change is audited as made by
"cli:<OS user>", named 命令行（<user>@<host>）, with the administrator's role.

`+"`docflow admin SUBCOMMAND -h`"+` lists a subcommand's flags.
`)
}

// admin runs `docflow admin SUBCOMMAND …`.
func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			adminUsage(stderr)
			return errors.New("name a subcommand of docflow admin")
		}
		adminUsage(stderr)
		return flag.ErrHelp
	}
	for i := range adminCommands {
		c := &adminCommands[i]
		words := strings.Fields(c.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			r := &adminRun{ctx: ctx, cmd: c, stdout: stdout, stderr: stderr}
			r.flags()
			defer r.close()
			err := c.run(r, args[len(words):])
			if workflow.Message(err) != "" {
				return userError{err}
			}
			return err
		}
	}
	adminUsage(stderr)
	return fmt.Errorf("docflow admin has no subcommand %q", strings.Join(args[:min(2, len(args))], " "))
}

// userError shows the domain's message, written for users, without the
// operation and kind that Error adds for logs.
type userError struct{ error }

func (e userError) Error() string { return workflow.Message(e.error) }
func (e userError) Unwrap() error { return e.error }

// adminRun is one run of a subcommand: its flags, the store it opened and
// the operator it acts as.
type adminRun struct {
	ctx            context.Context
	cmd            *adminCommand
	stdout, stderr io.Writer
	fs             *flag.FlagSet

	data, table, bucket, endpoint, s3Endpoint string

	svc      *workflow.Service
	sessions workflow.Sessions
	id       workflow.Identity
	closer   func() error
}

func (r *adminRun) flags() {
	name := "admin " + r.cmd.name
	r.fs = flag.NewFlagSet(name, flag.ContinueOnError)
	r.fs.SetOutput(r.stderr)
	r.fs.Usage = func() {
		fmt.Fprintf(r.stderr, "usage: docflow %s\n      %s\n\nflags:\n", strings.Join(strings.Fields(name+" "+r.cmd.synopsis+" "+adminStoreSynopsis), " "), r.cmd.summary)
		r.fs.PrintDefaults()
	}
	r.fs.StringVar(&r.data, "data", "docflow-data", "local data directory")
	r.fs.StringVar(&r.table, "table", "", "DynamoDB table of an AWS deployment (with -bucket)")
	r.fs.StringVar(&r.bucket, "bucket", "", "S3 bucket of an AWS deployment (with -table)")
	r.fs.StringVar(&r.endpoint, "endpoint", os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT"), "DynamoDB endpoint, for DynamoDB Local; empty: AWS")
	r.fs.StringVar(&r.s3Endpoint, "s3-endpoint", os.Getenv("DOCFLOW_S3_ENDPOINT"), "S3 endpoint, for a local S3 server; empty: AWS")
}

// parse reads flags and arguments in any order (docflow admin accounts add
// LOGIN -name …) and checks the number of arguments.
func (r *adminRun) parse(args []string, least, most int) ([]string, error) {
	var pos []string
	for {
		if err := r.fs.Parse(args); err != nil {
			return nil, err
		}
		if r.fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, r.fs.Arg(0)), r.fs.Args()[1:]
	}
	if len(pos) < least || most >= 0 && len(pos) > most {
		r.fs.Usage()
		return nil, fmt.Errorf("docflow admin %s: 参数个数不对（%s）", r.cmd.name, r.cmd.synopsis)
	}
	return pos, nil
}

// set reports whether a flag was given.
func (r *adminRun) set(name string) bool {
	found := false
	r.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// open opens the store the flags name. Only setup may create a local data
// directory: anything else on a missing one is a mistyped -data.
func (r *adminRun) open(create bool) error {
	var err error
	if r.id, err = operator(); err != nil {
		return err
	}
	if r.table != "" || r.bucket != "" {
		err = r.openAWS()
	} else {
		err = r.openLocal(create)
	}
	if err != nil || create {
		return err
	}
	if _, err := r.svc.Dir.Office(r.ctx); workflow.KindOf(err) == workflow.NotFound {
		return errors.New("本系统尚未完成初始设置：请先运行 docflow admin setup（或打开 docflow serve 显示的设置链接）")
	} else if err != nil {
		return err
	}
	return nil
}

func (r *adminRun) openLocal(create bool) error {
	if _, err := os.Stat(r.data); err != nil && !create {
		return fmt.Errorf("数据目录 %s 不存在：请用 -data 指定 docflow serve 使用的目录（AWS 部署用 -table 和 -bucket），新安装请先运行 docflow admin setup", r.data)
	}
	st, err := localstore.Open(r.data)
	if err != nil {
		return err
	}
	r.closer = st.Close
	r.svc = &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: st}
	r.sessions = st
	return nil
}

func (r *adminRun) openAWS() error {
	switch {
	case r.table == "" || r.bucket == "":
		return errors.New("AWS 部署须同时指定 -table 和 -bucket（堆栈输出中的 Table 和 Bucket）")
	case r.set("data"):
		return errors.New("-data（本地数据目录）与 -table/-bucket（AWS 部署）只能指定一种")
	}
	cfg, err := config.LoadDefaultConfig(r.ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if r.endpoint != "" {
			o.BaseEndpoint = aws.String(r.endpoint)
		}
	})
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if r.s3Endpoint != "" {
			o.BaseEndpoint = aws.String(r.s3Endpoint)
			o.UsePathStyle = true // local S3 servers have no virtual-host buckets
		}
	})
	st := awsstore.New(db, r.table)
	// The prefixes of template.yaml's DOCFLOW_DRAFTS_PREFIX and
	// DOCFLOW_FILES_PREFIX: the seal is kept among the drafts.
	r.svc = &workflow.Service{Store: st, Blobs: awsstore.NewBlobs(s3c, r.bucket, "drafts/", "files/"), Dir: st}
	r.sessions = st
	return nil
}

func (r *adminRun) close() {
	if r.closer != nil {
		r.closer()
	}
}

// operator is who runs the command: whoever can open the database is the
// office's administrator, and the audit trail names them by their login
// on this machine.
func operator() (workflow.Identity, error) {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		return workflow.Identity{}, errors.New("无法确定当前操作系统用户，审计记录须记下操作人：请设置环境变量 USER")
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return workflow.Identity{User: "cli:" + name, Name: "命令行（" + name + "@" + host + "）", Roles: []workflow.Role{workflow.Admin}}, nil
}

func (r *adminRun) printf(format string, args ...any) { fmt.Fprintf(r.stdout, format, args...) }

// --- setup and the office ---

// adminStdin is where -password-stdin reads; tests replace it.
var adminStdin io.Reader = os.Stdin

// passwordFlags are -password-stdin and -generate-password.
type passwordFlags struct{ stdin, generate bool }

func (p *passwordFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.stdin, "password-stdin", false, "read the new password from the first line of standard input")
	fs.BoolVar(&p.generate, "generate-password", false, "make a random password and print it, once")
}

// hash returns the PHC hash of the password the flags ask for, the
// password itself if it was generated (to print once), or "" for none.
func (p *passwordFlags) hash() (hash, generated string, err error) {
	var pw string
	switch {
	case p.stdin && p.generate:
		return "", "", errors.New("-password-stdin 与 -generate-password 只能用一个")
	case p.stdin:
		line, err := bufio.NewReader(io.LimitReader(adminStdin, 4*password.MaxLength+2)).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", "", fmt.Errorf("读取标准输入中的密码: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	case p.generate:
		for pw = rand.Text(); password.Rules(pw) != nil; pw = rand.Text() {
		}
		generated = pw
	default:
		return "", "", nil
	}
	if err := password.Rules(pw); err != nil {
		return "", "", errors.New(strings.TrimPrefix(err.Error(), password.ErrWeak.Error()+": "))
	}
	hash, err = password.Hash(pw)
	return hash, generated, err
}

func adminSetup(r *adminRun, args []string) error {
	file := r.fs.String("office", "", "the office's settings, as JSON (`docflow admin office example` prints a starting point)")
	login := r.fs.String("admin", "", "the first administrator's login")
	name := r.fs.String("name", "", "the first administrator's name (姓名)")
	title := r.fs.String("title", "", "the first administrator's title (职务)")
	var pw passwordFlags
	pw.register(r.fs)
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if *file == "" || *login == "" || *name == "" {
		r.fs.Usage()
		return errors.New("请用 -office 指定单位设置文件、-admin 和 -name 指定第一位管理员（docflow admin office example > office.json 可得一份样例）")
	}
	seed, err := readOffice(*file)
	if err != nil {
		return err
	}
	if seed.Seal != "" {
		// The hash names an image in another installation's store.
		fmt.Fprintln(r.stderr, "注意：文件中的 seal 不起作用，印章请在设置后用 docflow admin seal set")
		seed.Seal = ""
	}
	hash, generated, err := pw.hash()
	if err != nil {
		return err
	}
	if err := r.open(true); err != nil {
		return err
	}
	o, a, err := r.svc.Setup(r.ctx, *seed, workflow.Account{User: *login, Name: *name, Title: *title, Roles: []workflow.Role{workflow.Admin}})
	if workflow.KindOf(err) == workflow.Conflict {
		return fmt.Errorf("%s：修改单位设置请用 docflow admin office set 或 profile set", workflow.Message(err))
	}
	if err != nil {
		return err
	}
	r.printf("已完成初始设置：%s，文号代字 %s，%d 个部门；管理员 %s（%s）\n", o.Profile.Org, strings.Join(o.Series, "、"), len(o.Profile.Departments), a.User, a.Name)
	if hash == "" {
		r.printf("管理员没有密码：只能通过统一身份认证登录，或用 docflow admin accounts reset %s -generate-password 设置\n", a.User)
		return nil
	}
	if _, err := r.svc.SetCredentials(r.ctx, r.id, a.User, workflow.Credentials{Password: &hash}, "初始设置：设置管理员密码"); err != nil {
		return fmt.Errorf("单位和管理员已建立，但密码未能设置（请用 accounts reset 重设）: %w", err)
	}
	printGenerated(r, a.User, generated)
	return nil
}

func printGenerated(r *adminRun, user, pw string) {
	if pw != "" {
		r.printf("%s 的初始密码（只显示这一次，请转交本人并请其登录后修改）：\n\n  %s\n\n", user, pw)
	}
}

// readOffice reads an office's settings from a JSON file, refusing fields
// it does not know: a misspelt one would otherwise be dropped silently.
func readOffice(file string) (*workflow.Office, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, 1<<20))
	dec.DisallowUnknownFields()
	var o workflow.Office
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("%s 不是有效的单位设置 JSON（格式同 docflow admin office show 的输出）: %w", file, err)
	}
	return &o, nil
}

func (r *adminRun) printJSON(v any) error {
	enc := json.NewEncoder(r.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func adminOfficeExample(r *adminRun, args []string) error {
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	seed, err := templates.Office(templates.FS)
	if err != nil {
		return err
	}
	// The seed's chain names the seed's people; a new office names its own.
	for i := range seed.Profile.Chain {
		seed.Profile.Chain[i].Signers = nil
	}
	return r.printJSON(seed)
}

func adminOfficeShow(r *adminRun, args []string) error {
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	o, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	return r.printJSON(o)
}

func adminOfficeSet(r *adminRun, args []string) error {
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	o, err := readOffice(pos[0])
	if err != nil {
		return err
	}
	if o.Version == 0 {
		return fmt.Errorf("%s 中没有 version（单位设置的版本）：请先用 docflow admin office show > office.json 导出，修改后再 set", pos[0])
	}
	if err := r.open(false); err != nil {
		return err
	}
	cur, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	if o.Seal != "" && o.Seal != cur.Seal {
		fmt.Fprintln(r.stderr, "注意：文件中的 seal 不起作用，印章请用 docflow admin seal set")
	}
	saved, changes, err := r.svc.ChangeOffice(r.ctx, r.id, o.Version, *o)
	if err != nil {
		return err
	}
	r.printChanges(saved, changes)
	return nil
}

func (r *adminRun) printChanges(o *workflow.Office, changes []string) {
	if len(changes) == 0 {
		r.printf("单位设置没有改动（第 %d 版）\n", o.Version)
		return
	}
	r.printf("已修改单位设置（现为第 %d 版）：\n", o.Version)
	for _, c := range changes {
		r.printf("  %s\n", c)
	}
}

// change applies edit to the current office and saves it. One field's
// edit is made again on a fresh read if someone saved in between.
func (r *adminRun) change(edit func(o *workflow.Office) error) error {
	if err := r.open(false); err != nil {
		return err
	}
	for try := 1; ; try++ {
		o, err := r.svc.Office(r.ctx)
		if err != nil {
			return err
		}
		if err := edit(o); err != nil {
			return err
		}
		saved, changes, err := r.svc.ChangeOffice(r.ctx, r.id, o.Version, *o)
		if workflow.KindOf(err) == workflow.Conflict && try < 3 {
			continue
		}
		if err != nil {
			return err
		}
		r.printChanges(saved, changes)
		return nil
	}
}

// profileKey is a field `profile set` changes.
type profileKey struct {
	key string
	set func(p *workflow.Profile, v string) error
}

var profileKeys = []profileKey{
	{"org", func(p *workflow.Profile, v string) error { p.Org = v; return nil }},
	{"orgShort", func(p *workflow.Profile, v string) error { p.OrgShort = v; return nil }},
	{"mark", func(p *workflow.Profile, v string) error { p.Mark = v; return nil }},
	{"office", func(p *workflow.Profile, v string) error { p.Office = v; return nil }},
	{"series", func(p *workflow.Profile, v string) error { p.Series = v; return nil }},
	{"cc", func(p *workflow.Profile, v string) error {
		for _, c := range strings.Split(v, "、") {
			if c = strings.TrimSpace(c); c != "" {
				p.CC = append(p.CC, c)
			}
		}
		return nil
	}},
	{"opening", func(p *workflow.Profile, v string) error { p.Opening = v; return nil }},
	{"closing", func(p *workflow.Profile, v string) error { p.Closing = v; return nil }},
	{"leadDays", func(p *workflow.Profile, v string) error { return setCount(&p.LeadDays, "leadDays", v) }},
	{"defaultDue", func(p *workflow.Profile, v string) error { return setCount(&p.DefaultDue, "defaultDue", v) }},
	{"openness", func(p *workflow.Profile, v string) error {
		o, err := workflow.ParseOpenness(v)
		p.Openness = o
		return err
	}},
	{"note.public", setNote(workflow.Proactive)},
	{"note.on-request", setNote(workflow.OnRequest)},
	{"note.withheld", setNote(workflow.Withheld)},
}

// setNote sets the 附注 publication proposes for a 公开属性; empty: none.
func setNote(o workflow.Openness) func(p *workflow.Profile, v string) error {
	return func(p *workflow.Profile, v string) error {
		if p.Notes == nil {
			p.Notes = map[workflow.Openness]string{}
		}
		if v = strings.TrimSuffix(strings.TrimPrefix(v, "（"), "）"); v == "" {
			delete(p.Notes, o)
		} else {
			p.Notes[o] = v
		}
		return nil
	}
}

func profileKeyNames() []string {
	var out []string
	for _, k := range profileKeys {
		out = append(out, k.key)
	}
	return out
}

func setCount(n *int, key, v string) error {
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return fmt.Errorf("%s 须为非负整数，不是 %q", key, v)
	}
	*n = i
	return nil
}

func adminProfileSet(r *adminRun, args []string) error {
	pos, err := r.parse(args, 1, -1)
	if err != nil {
		return err
	}
	return r.change(func(o *workflow.Office) error {
		cleared := false
		for _, kv := range pos {
			k, v, ok := strings.Cut(kv, "=")
			i := slices.IndexFunc(profileKeys, func(p profileKey) bool { return strings.EqualFold(p.key, k) })
			if !ok || i < 0 {
				return fmt.Errorf("%q 不是 KEY=VALUE：KEY 可为 %s", kv, strings.Join(profileKeyNames(), "、"))
			}
			if profileKeys[i].key == "cc" && !cleared {
				o.Profile.CC, cleared = []string{}, true // repeated cc= add up; the first replaces
			}
			if err := profileKeys[i].set(&o.Profile, strings.TrimSpace(v)); err != nil {
				return err
			}
		}
		return nil
	})
}

// --- departments, series, policy, seal ---

func adminDepartmentsList(r *adminRun, args []string) error {
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	o, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	count := map[string]int{}
	err = r.eachAccount(workflow.AccountQuery{}, func(a workflow.Account) {
		if !a.Disabled {
			count[a.Dept]++
		}
	})
	if err != nil {
		return err
	}
	rows := [][]string{{"部门", "在用账号"}}
	for _, d := range o.Profile.Departments {
		rows = append(rows, []string{d, strconv.Itoa(count[d])})
	}
	table(r.stdout, rows)
	r.printf("共 %d 个部门\n", len(o.Profile.Departments))
	return nil
}

func adminDepartmentsAdd(r *adminRun, args []string) error {
	names, err := r.parse(args, 1, -1)
	if err != nil {
		return err
	}
	return r.change(func(o *workflow.Office) error {
		for _, n := range names {
			if !slices.Contains(o.Profile.Departments, n) {
				o.Profile.Departments = append(o.Profile.Departments, n)
			}
		}
		return nil
	})
}

func adminDepartmentsRemove(r *adminRun, args []string) error {
	names, err := r.parse(args, 1, -1)
	if err != nil {
		return err
	}
	return r.change(func(o *workflow.Office) error {
		for _, n := range names {
			if !slices.Contains(o.Profile.Departments, n) {
				return fmt.Errorf("没有部门「%s」（docflow admin departments list 列出现有部门）", n)
			}
		}
		o.Profile.Departments = slices.DeleteFunc(o.Profile.Departments, func(d string) bool { return slices.Contains(names, d) })
		return nil
	})
}

func adminSeriesList(r *adminRun, args []string) error {
	year := r.fs.Int("year", time.Now().In(workflow.Zone).Year(), "the year whose numbers to show")
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	o, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	rows := [][]string{{"文号代字", "年份", "已用到", "下一个", ""}}
	for _, s := range o.Series {
		last, err := r.svc.Store.Counter(r.ctx, s, *year)
		if err != nil {
			return err
		}
		note := ""
		if s == o.Profile.Series {
			note = "报告使用"
		}
		rows = append(rows, []string{s, strconv.Itoa(*year), strconv.Itoa(last), strconv.Itoa(last + 1), note})
	}
	table(r.stdout, rows)
	return nil
}

func adminSeriesAdd(r *adminRun, args []string) error {
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	return r.change(func(o *workflow.Office) error {
		if !slices.Contains(o.Series, pos[0]) {
			o.Series = append(o.Series, pos[0])
		}
		return nil
	})
}

func adminSeriesNext(r *adminRun, args []string) error {
	pos, err := r.parse(args, 3, 3)
	if err != nil {
		return err
	}
	year, err1 := strconv.Atoi(pos[1])
	next, err2 := strconv.Atoi(pos[2])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("年份和起始号须为整数：docflow admin series next %s", r.cmd.synopsis)
	}
	if err := r.open(false); err != nil {
		return err
	}
	if err := r.svc.SetSeries(r.ctx, r.id, pos[0], year, next); err != nil {
		return err
	}
	r.printf("%s〔%d〕下一个号为 %d 号\n", pos[0], year, next)
	return nil
}

func adminPolicyShow(r *adminRun, args []string) error {
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	o, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	r.printPolicy(o)
	return nil
}

func (r *adminRun) printPolicy(o *workflow.Office) {
	r.printf("必经环节：%s\n审核签发人须用动态口令登录：%s\n默认签批流程：\n", orNone(strings.Join(o.Policy.Required, "、")), map[bool]string{true: "是", false: "否"}[o.Policy.SecondFactor])
	for i, p := range o.Profile.Chain {
		who := strings.Join(p.Signers, "、")
		switch {
		case p.Countersign:
			who = "主办部门负责人会签"
		case who == "":
			who = "（发起签批时选定）"
		}
		r.printf("  %d. %s  %s\n", i+1, p.Name, who)
	}
}

func adminPolicySet(r *adminRun, args []string) error {
	required := r.fs.String("required", "", "steps every chain must have, in order, 、 or , separated (\"\": none)")
	second := r.fs.Bool("second-factor", false, "approvers must sign in with a one-time code")
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if !r.set("required") && !r.set("second-factor") {
		r.fs.Usage()
		return errors.New("请指定 -required 或 -second-factor")
	}
	return r.change(func(o *workflow.Office) error {
		if r.set("required") {
			o.Policy.Required = roster.Split(*required)
		}
		if r.set("second-factor") {
			o.Policy.SecondFactor = *second
		}
		return nil
	})
}

func adminSealSet(r *adminRun, args []string) error {
	dept := r.fs.String("dept", "", "the department whose 答复函 carry the seal (its letterhead must exist); empty: the office's")
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	// One byte over the limit is enough for the domain to refuse it.
	png, err := io.ReadAll(io.LimitReader(f, workflow.MaxSealBytes+1))
	if err != nil {
		return err
	}
	return r.seal(*dept, png)
}

func adminSealClear(r *adminRun, args []string) error {
	dept := r.fs.String("dept", "", "the department whose seal to remove; empty: the office's")
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	return r.seal(*dept, nil)
}

func (r *adminRun) seal(dept string, png []byte) error {
	if err := r.open(false); err != nil {
		return err
	}
	o, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	has := func(o *workflow.Office) string {
		if dept == "" {
			return o.Seal
		}
		l, _ := o.Profile.Letterhead(dept)
		return l.Seal
	}
	whose := "印章"
	if dept != "" {
		whose = dept + "的印章"
	}
	if png == nil && has(o) == "" {
		r.printf("没有%s，无需删除\n", whose)
		return nil
	}
	if o, err = r.svc.SetSeal(r.ctx, r.id, o.Version, dept, png); err != nil {
		return err
	}
	if png == nil {
		r.printf("已删除%s；此后发布的文件不再加盖\n", whose)
		return nil
	}
	r.printf("已更换%s（%d 字节，%s）；此后发布的文件加盖此章，此前发布的不变\n", whose, len(png), has(o)[:12])
	return nil
}

// --- accounts ---

func (r *adminRun) eachAccount(q workflow.AccountQuery, f func(workflow.Account)) error {
	q.Limit = workflow.MaxPage
	for {
		p, err := r.svc.Dir.Accounts(r.ctx, q)
		if err != nil {
			return err
		}
		for _, a := range p.Accounts {
			f(a)
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			return nil
		}
	}
}

func adminAccountsList(r *adminRun, args []string) error {
	dept := r.fs.String("dept", "", "only this department's accounts")
	role := r.fs.String("role", "", "only accounts with this role (label or code)")
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	q := workflow.AccountQuery{Dept: *dept}
	if *role != "" {
		var ok bool
		if q.Role, ok = workflow.ParseRole(*role); !ok {
			return fmt.Errorf("没有角色「%s」（可用：%s）", *role, workflow.RoleNames())
		}
	}
	if err := r.open(false); err != nil {
		return err
	}
	now := time.Now()
	rows := [][]string{{"登录名", "姓名", "部门", "职务", "角色", "签批环节", "状态", "密码", "动态口令", "锁定"}}
	err := r.eachAccount(q, func(a workflow.Account) {
		var roles []string
		for _, x := range a.Roles {
			roles = append(roles, x.Label())
		}
		locked := ""
		if now.Before(a.Locked) {
			locked = "至 " + a.Locked.In(workflow.Zone).Format("01-02 15:04")
		}
		rows = append(rows, []string{a.User, a.Name, a.Dept, a.Title, strings.Join(roles, "、"), strings.Join(a.Steps, "、"),
			map[bool]string{true: "停用", false: "在用"}[a.Disabled], have(a.Password), have(a.TOTP), locked})
	})
	if err != nil {
		return err
	}
	table(r.stdout, rows)
	r.printf("共 %d 个账号\n", len(rows)-1)
	return nil
}

func have(s string) string {
	if s == "" {
		return "无"
	}
	return "有"
}

// accountFlags are the fields of `accounts add` and `accounts set`.
type accountFlags struct{ name, dept, title, roles, steps, email, notify *string }

func (r *adminRun) accountFlags() accountFlags {
	return accountFlags{
		name:  r.fs.String("name", "", "姓名"),
		dept:  r.fs.String("dept", "", "部门, as departments list names it (\"\": none)"),
		title: r.fs.String("title", "", "职务"),
		roles: r.fs.String("roles", "", "roles, 、 or , separated: clerk, staff, head, approver, admin, or their labels (区府办经办人 …)"),
		steps: r.fs.String("steps", "", "sign-off steps the account may sign where the policy requires a holder, 、 or , separated"),
		email: r.fs.String("email", "", "email address for notifications (\"\": none)"),
		notify: r.fs.String("notify", "", "how the person is told: email, robot (the department's group robot), off, or \"\" "+
			"(email if there is an address, else the robot)"),
	}
}

// apply sets the fields whose flags were given.
func (f accountFlags) apply(r *adminRun, a *workflow.Account) error {
	if r.set("name") {
		a.Name = strings.TrimSpace(*f.name)
	}
	if r.set("dept") {
		a.Dept = strings.TrimSpace(*f.dept)
	}
	if r.set("title") {
		a.Title = strings.TrimSpace(*f.title)
	}
	if r.set("roles") {
		a.Roles = nil
		for _, s := range roster.Split(*f.roles) {
			role, ok := workflow.ParseRole(s)
			if !ok {
				return fmt.Errorf("没有角色「%s」（可用：%s）", s, workflow.RoleNames())
			}
			a.Roles = append(a.Roles, role)
		}
	}
	if r.set("steps") {
		a.Steps = roster.Split(*f.steps)
	}
	if r.set("email") {
		a.Email = strings.TrimSpace(*f.email)
	}
	if r.set("notify") {
		a.Notify = workflow.Channel(strings.TrimSpace(*f.notify))
	}
	return nil
}

func adminAccountsAdd(r *adminRun, args []string) error {
	f := r.accountFlags()
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	if !r.set("name") || !r.set("roles") {
		r.fs.Usage()
		return errors.New("新账号须有 -name 和 -roles")
	}
	a := workflow.Account{User: pos[0]}
	if err := f.apply(r, &a); err != nil {
		return err
	}
	if len(a.Roles) == 0 {
		return fmt.Errorf("请用 -roles 指定角色（可用：%s）", workflow.RoleNames())
	}
	if err := r.open(false); err != nil {
		return err
	}
	var roles []string
	for _, x := range a.Roles {
		roles = append(roles, x.Label())
	}
	what := fmt.Sprintf("，部门 %s，职务 %s，角色 %s", orNone(a.Dept), orNone(a.Title), strings.Join(roles, "、"))
	saved, err := r.svc.SaveAccount(r.ctx, r.id, 0, a, what)
	if workflow.KindOf(err) == workflow.Conflict {
		return fmt.Errorf("已有账号 %s：修改请用 docflow admin accounts set", a.User)
	}
	if err != nil {
		return err
	}
	r.printf("已建立账号 %s（%s）。它没有密码：通过统一身份认证登录，或用 docflow admin accounts reset %s -generate-password 设置初始密码\n", saved.User, saved.Name, saved.User)
	return nil
}

// edit changes one account with edit and saves it, audited with what
// changed; it returns the account saved, or nil when nothing changed.
func (r *adminRun) edit(user string, edit func(a *workflow.Account) error) (*workflow.Account, error) {
	if err := r.open(false); err != nil {
		return nil, err
	}
	cur, err := r.svc.Dir.Account(r.ctx, user)
	if err != nil {
		return nil, err
	}
	a := *cur
	a.Roles, a.Steps = slices.Clone(cur.Roles), slices.Clone(cur.Steps)
	if err := edit(&a); err != nil {
		return nil, err
	}
	changes := workflow.AccountChanges(cur, &a)
	if len(changes) == 0 {
		r.printf("账号 %s（%s）没有改动\n", cur.User, cur.Name)
		return nil, nil
	}
	saved, err := r.svc.SaveAccount(r.ctx, r.id, cur.Version, a, "："+strings.Join(changes, "；"))
	if err != nil {
		return nil, err
	}
	r.printf("已修改账号 %s（%s）：%s\n", saved.User, saved.Name, strings.Join(changes, "；"))
	return saved, nil
}

func adminAccountsSet(r *adminRun, args []string) error {
	f := r.accountFlags()
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	_, err = r.edit(pos[0], func(a *workflow.Account) error { return f.apply(r, a) })
	return err
}

func adminAccountsDisable(r *adminRun, args []string) error {
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	if _, err := r.edit(pos[0], func(a *workflow.Account) error { a.Disabled = true; return nil }); err != nil {
		return err
	}
	// Also when it was disabled already: a session must not outlive it.
	if err := r.sessions.DeleteSessions(r.ctx, pos[0]); err != nil {
		return fmt.Errorf("账号已停用，但其登录会话未能作废（停用的账号无法使用会话）: %w", err)
	}
	r.printf("%s 的登录会话和 API 令牌已全部作废\n", pos[0])
	return nil
}

func adminAccountsEnable(r *adminRun, args []string) error {
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	_, err = r.edit(pos[0], func(a *workflow.Account) error { a.Disabled = false; return nil })
	return err
}

func adminAccountsReset(r *adminRun, args []string) error {
	var pw passwordFlags
	pw.register(r.fs)
	clear2FA := r.fs.Bool("clear-2fa", false, "remove the account's second factor (a lost authenticator)")
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	hash, generated, err := pw.hash()
	if err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	zero, unlocked, none := 0, time.Time{}, ""
	c := workflow.Credentials{Failed: &zero, Locked: &unlocked}
	did := []string{"解除锁定"}
	if hash != "" {
		c.Password = &hash
		did = append(did, "设置新密码")
	}
	if *clear2FA {
		c.TOTP = &none
		did = append(did, "清除动态口令")
	}
	a, err := r.svc.SetCredentials(r.ctx, r.id, pos[0], c, "管理员重置账号："+strings.Join(did, "、"))
	if err != nil {
		return err
	}
	if err := r.sessions.DeleteSessions(r.ctx, a.User); err != nil {
		return err
	}
	r.printf("已重置账号 %s（%s）：%s；其登录会话和 API 令牌已全部作废\n", a.User, a.Name, strings.Join(did, "、"))
	printGenerated(r, a.User, generated)
	return nil
}

func adminAccountsImport(r *adminRun, args []string) error {
	dry := r.fs.Bool("dry-run", false, "check the roster and say what would change, writing nothing")
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	// One byte over the limit is enough for roster.Parse to refuse it.
	data, err := io.ReadAll(io.LimitReader(f, roster.MaxBytes+1))
	if err != nil {
		return err
	}
	rs, err := roster.Parse(pos[0], data)
	if err != nil {
		return err
	}
	if len(rs.Ignored) > 0 {
		fmt.Fprintf(r.stderr, "注意：忽略了以下列：%s\n", strings.Join(rs.Ignored, "、"))
	}
	if err := r.open(false); err != nil {
		return err
	}
	rep, err := r.svc.ImportAccounts(r.ctx, r.id, rs.Roster, *dry)
	if rep != nil {
		r.printImport(rep, *dry)
	}
	return err
}

func (r *adminRun) printImport(rep *workflow.ImportReport, dry bool) {
	for _, p := range rep.Problems {
		who := ""
		if p.User != "" {
			who = "（" + p.User + "）"
		}
		r.printf("第 %d 行%s：%s\n", p.Line, who, p.Msg)
	}
	if len(rep.Problems) > 0 {
		return
	}
	verb := map[bool]string{true: "将", false: "已"}[dry]
	for _, u := range rep.Added {
		r.printf("  %s新增 %s\n", verb, u)
	}
	for _, c := range rep.Changed {
		r.printf("  %s修改 %s：%s\n", verb, c.User, strings.Join(c.Changes, "；"))
	}
	r.printf("新增 %d 个，修改 %d 个，未变 %d 个", len(rep.Added), len(rep.Changed), len(rep.Unchanged))
	switch {
	case dry:
		r.printf("（试运行，未写入）\n")
	case len(rep.Added)+len(rep.Changed) == 0:
		r.printf("：名单与现有账号一致，没有改动\n")
	default:
		r.printf("\n")
		if len(rep.Added) > 0 {
			r.printf("新账号没有密码：通过统一身份认证登录，或用 docflow admin accounts reset LOGIN -generate-password 设置\n")
		}
	}
}

// --- history ---

func adminHistory(r *adminRun, args []string) error {
	account := r.fs.String("account", "", "an account's events instead of the office's")
	n := r.fs.Int("n", 50, fmt.Sprintf("how many events, newest first (at most %d)", workflow.MaxPage))
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	stream := ""
	if *account != "" {
		if _, err := r.svc.Dir.Account(r.ctx, *account); err != nil {
			return err
		}
		stream = workflow.AccountStream(*account)
	}
	evs, err := r.svc.OfficeHistory(r.ctx, r.id, stream, 0, *n)
	if err != nil {
		return err
	}
	for _, e := range evs {
		r.printf("%s  %s  %s  %s\n", e.At.In(workflow.Zone).Format("2006-01-02 15:04:05"), e.Name, e.Action, e.Detail)
	}
	if len(evs) == 0 {
		r.printf("没有记录\n")
	}
	return nil
}

// --- output ---

func orNone(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

// table writes rows in columns aligned for a terminal, where a Chinese
// character takes two cells (text/tabwriter counts it as one).
func table(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], cells(c))
		}
	}
	var b bytes.Buffer
	for _, row := range rows {
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-cells(c)+2))
			}
		}
		w.Write(append(bytes.TrimRight(b.Bytes(), " "), '\n'))
		b.Reset()
	}
}

func cells(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

func adminNotifyShow(r *adminRun, args []string) error {
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if err := r.open(false); err != nil {
		return err
	}
	o, err := r.svc.Office(r.ctx)
	if err != nil {
		return err
	}
	n := o.Notify
	r.printf("到期前提醒：%s\n逾期提醒间隔：%s\n签批等待提醒：%s\n群机器人：\n", offOr(n.DueSoon, "天"), offOr(n.Overdue, "天"), offOr(n.Waiting, "小时"))
	for _, rb := range n.Robots {
		who := rb.Dept
		if who == "" {
			who = "office（本单位）"
		}
		// The address carries the robot's token: the host only.
		host := rb.URL
		if u, err := url.Parse(rb.URL); err == nil {
			host = u.Scheme + "://" + u.Host + "/…"
		}
		r.printf("  %s  %s  %s  %s\n", who, rb.Kind.Label(), host, map[bool]string{true: "加签", false: ""}[rb.Secret != ""])
	}
	if len(n.Robots) == 0 {
		r.printf("  （无）\n")
	}
	return nil
}

func offOr(n int, unit string) string {
	if n == 0 {
		return "不提醒"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

func adminNotifySet(r *adminRun, args []string) error {
	due := r.fs.Int("due-soon", 0, "remind a department this many days before a part's due date (0: off)")
	over := r.fs.Int("overdue", 0, "remind a department of an overdue part every this many days (0: off)")
	wait := r.fs.Int("waiting", 0, "remind the signers of a sign-off step waiting this many hours, and again every as many (0: off)")
	if _, err := r.parse(args, 0, 0); err != nil {
		return err
	}
	if !r.set("due-soon") && !r.set("overdue") && !r.set("waiting") {
		r.fs.Usage()
		return errors.New("请指定 -due-soon、-overdue 或 -waiting")
	}
	return r.change(func(o *workflow.Office) error {
		if r.set("due-soon") {
			o.Notify.DueSoon = *due
		}
		if r.set("overdue") {
			o.Notify.Overdue = *over
		}
		if r.set("waiting") {
			o.Notify.Waiting = *wait
		}
		return nil
	})
}

// robotDept reads a department named on the command line: "office" is
// the office's own robot.
func robotDept(s string) string {
	if s == "office" {
		return workflow.RobotOffice
	}
	return s
}

func adminNotifyRobot(r *adminRun, args []string) error {
	secret := r.fs.String("secret", "", "钉钉's signing secret (加签, SEC…); none for 企业微信")
	pos, err := r.parse(args, 3, 3)
	if err != nil {
		return err
	}
	rb := workflow.Robot{Dept: robotDept(pos[0]), Kind: workflow.RobotKind(pos[1]), URL: pos[2], Secret: *secret}
	return r.change(func(o *workflow.Office) error {
		o.Notify.Robots = slices.DeleteFunc(o.Notify.Robots, func(x workflow.Robot) bool { return x.Dept == rb.Dept })
		o.Notify.Robots = append(o.Notify.Robots, rb)
		return nil
	})
}

func adminNotifyRobotRemove(r *adminRun, args []string) error {
	pos, err := r.parse(args, 1, 1)
	if err != nil {
		return err
	}
	dept := robotDept(pos[0])
	return r.change(func(o *workflow.Office) error {
		if _, ok := o.Notify.Robot(dept); !ok {
			return fmt.Errorf("%s 没有群机器人", pos[0])
		}
		o.Notify.Robots = slices.DeleteFunc(o.Notify.Robots, func(x workflow.Robot) bool { return x.Dept == dept })
		return nil
	})
}
