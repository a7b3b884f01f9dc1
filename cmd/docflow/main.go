// Command docflow runs docflow on one machine, over embedded storage.
//
//	docflow serve [-addr 127.0.0.1:8080] [-data ./docflow-data] [-audit-key FILE] [-smtp HOST:PORT -mail-from ADDR] [-log-level info]
//	docflow demo  [-data ./docflow-demo] [-server URL]
//	docflow render [-o DIR] [-fonts DIR] NOTICE.md
//	docflow backup [-data ./docflow-data] DEST
//	docflow restore BACKUP DEST
//	docflow check [-data ./docflow-data]
//	docflow upgrade-table -table NAME [-endpoint URL]
//	docflow audit verify [-data DIR] [-key FILE] | rotate-key [-key FILE]
//	docflow admin SUBCOMMAND [ARG…] [-data DIR | -table NAME -bucket NAME]
//	docflow help [COMMAND]
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docflow/docflow"
	"github.com/docflow/docflow/internal/accesslog"
	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/caselist"
	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/docxmd"
	"github.com/docflow/docflow/internal/ledger"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/notice/pdf"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/robot"
	"github.com/docflow/docflow/internal/outbox/smtpmail"
	"github.com/docflow/docflow/internal/proof"
	"github.com/docflow/docflow/internal/roster"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// command is one of docflow's commands. Each parses its own flags; "help
// CMD" runs CMD -h.
type command struct {
	name, synopsis, summary string
	run                     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands are listed by help in this order. They are set in init because
// their usage (newFlags) reads this list.
var commands []command

func init() {
	commands = []command{
		{"serve", "[-addr 127.0.0.1:8080] [-data ./docflow-data] [-fonts DIR] [-audit-key FILE] [-smtp HOST:PORT -mail-from ADDR] [-public-url URL] [-log-level info]",
			"serve the API and the pages over embedded storage in the data directory, logging each request;\n      send the notifications (email through -smtp, group robots) and apply the reminder rules", serve},
		{"demo", "[-data ./docflow-demo] [-server URL] [-fonts DIR]",
			"take the fixture case through every stage over the HTTP API; without -server it runs\n      its own server on the data directory and prints where the published files are", runDemo},
		{"render", "[-o DIR] [-fonts DIR] [-seal PNG] NOTICE.md",
			"lay out one notice (Markdown with front matter) as HTML, PDF and .docx", func(_ context.Context, args []string, stdout, stderr io.Writer) error {
				return render(args, stdout, stderr)
			}},
		{"backup", "[-data ./docflow-data] DEST", "copy a data directory, consistently, while the server runs on it", backup},
		{"restore", "BACKUP DEST", "make a new data directory from a backup and check every case in it", restore},
		{"check", "[-data ./docflow-data]", "verify every case's audit trail and read every text and file it refers to", check},
		{"upgrade-table", "-table NAME [-endpoint URL]", "bring a DynamoDB table written by an earlier docflow to the current layout (idempotent)", upgradeTable},
		{"audit", "verify [-data DIR | -table NAME] [-key FILE | -kms-key ARN] | rotate-key [-key FILE]", "verify every case's audit trail — hash chains, heads, signatures — and report rewrites (verify);\n      replace the key that signs it, keeping the old public key (rotate-key)", audit},
		{"admin", "SUBCOMMAND [ARG…] [-data ./docflow-data | -table NAME -bucket NAME]",
			"set the office up and administer it: office, profile, departments, series, policy, seal,\n      accounts (also from a CSV or Excel roster), history; `docflow admin -h` lists them", admin},
		{"help", "[COMMAND]", "describe docflow's commands, or one command and its flags", nil},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "docflow carries a review opinion (审议意见) through intake, assignment,\ndrafting, sign-off and publication.\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  docflow %s %s\n      %s\n", c.name, c.synopsis, c.summary)
	}
	fmt.Fprint(w, "\n`docflow help COMMAND` or `docflow COMMAND -h` lists a command's flags.\n")
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "docflow:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errors.New("name a command; docflow help lists them")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	name, args := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) == 0 || args[0] == "help" || strings.HasPrefix(args[0], "-") {
			usage(stdout)
			return nil
		}
		// The command's own -h, written where help was asked for.
		name, args, stderr = args[0], []string{"-h"}, stdout
	}
	for _, c := range commands {
		if c.name == name && c.run != nil {
			err := c.run(ctx, args, stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return nil // the flag package printed the usage asked for
			}
			return err
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

// newFlags is a command's flag set, its usage naming the command.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		for _, c := range commands {
			if c.name == name {
				fmt.Fprintf(fs.Output(), "usage: docflow %s %s\n      %s\n\nflags:\n", c.name, c.synopsis, c.summary)
			}
		}
		fs.PrintDefaults()
	}
	return fs
}

// Main is docflow on one machine: the embedded store on a data directory
// and the HTTP server. Tests start it on 127.0.0.1:0.
type Main struct {
	DataDir string
	Addr    string
	FontDir string // Fandol fonts for the PDF; empty: HTML and .docx only
	Log     *slog.Logger
	// Dev turns on the development identity: the X-Docflow-User header
	// and a /login that lists the accounts, no password asked. It listens
	// only on a loopback address, and seeds a new installation with the
	// demonstration's office and accounts (templates/).
	Dev bool
	// Hosts are the names the server answers to (the Host header); empty:
	// the listen address's host, and localhost names on a loopback address.
	Hosts []string

	// AuditKey is the file of the key that signs the audit trail, created
	// if missing (auditkey.Open); empty: nothing is signed (tests).
	AuditKey string

	// Mail sends the notifications' emails (smtpmail: -smtp); nil: email
	// messages fail, saying that no mail server is set.
	Mail outbox.Mailer
	// PublicURL is docflow's address in the links of messages; empty: URL.
	PublicURL string
	// SendEvery is how often the outbox is sent, CheckEvery how often the
	// reminder rules are applied and the year's statistics tallied
	// (Service.RefreshReports); 0 takes the defaults (15 s, 10 min), a
	// negative value runs none (tests call Sender.Once and
	// Service.CheckDeadlines themselves).
	SendEvery, CheckEvery time.Duration
	// Now is the clock of the service and the sender; nil: time.Now.
	Now func() time.Time
	// Sender delivers the outbox; set by Open.
	Sender *outbox.Sender

	Store    *localstore.Store
	Service  *workflow.Service
	Web      *web.Server
	URL      string // set by Open: where the server listens
	SetupURL string // set by Open on an installation not yet set up: where its first administrator is made

	srv  *http.Server
	ln   net.Listener
	stop context.CancelFunc // ends the sender and the reminders' ticker
	bg   sync.WaitGroup
}

// Open opens the store and starts serving.
func (m *Main) Open() error {
	if m.Log == nil {
		m.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", m.Addr, err)
	}
	loopback := host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback()
	switch {
	case m.Dev && !loopback:
		return fmt.Errorf("-dev lets anyone act as any account: it listens only on a loopback address (127.0.0.1, ::1, localhost), not %q", host)
	case len(m.Hosts) == 0 && !loopback && (host == "" || net.ParseIP(host).IsUnspecified()):
		return fmt.Errorf("listening on every interface (%s): name the host names browsers use with -host (e.g. -host docflow.example.gov.cn)", m.Addr)
	}
	var formats []notice.Format
	if m.FontDir != "" {
		w, err := pdf.New(m.FontDir)
		if err != nil {
			return err
		}
		formats = append(formats, w)
	} else {
		m.Log.Warn("no fonts (-fonts or DOCFLOW_FONTS): notices are published as HTML and .docx, without PDF; run `bash infra/fonts/fetch.sh` and pass -fonts .tools/fonts")
	}
	render, err := notice.New(notice.WithFormats(append(formats, docx.Format)...))
	if err != nil {
		return err
	}
	if m.Store, err = localstore.Open(m.DataDir); err != nil {
		return err
	}
	m.Service = &workflow.Service{Store: m.Store, Blobs: m.Store.Blobs(), Render: render, Dir: m.Store, Outbox: m.Store, Now: m.Now}
	if m.Service.Signer, m.Service.Verifier, err = m.auditKeys(); err != nil {
		m.Store.Close()
		return err
	}
	srv := &web.Server{
		Service: m.Service,
		Parse: func(name string, data []byte) (*workflow.Opinion, error) {
			months := 6
			if o, err := m.Service.Office(context.Background()); err == nil {
				months = o.Profile.DefaultDue
			}
			return opinion.Parse(name, data, opinion.Options{DefaultMonths: months})
		},
		ParseRoster: func(name string, data []byte) (workflow.Roster, []string, error) {
			r, err := roster.Parse(name, data)
			if err != nil {
				return workflow.Roster{}, nil, err
			}
			return r.Roster, r.Ignored, nil
		},
		Workbook: ledger.Workbook,
		ReadDocx: docxmd.ReadSection,
		ReadList: caselist.Proposals,
		Log:      m.Log,
		Dev:      m.Dev,
	}
	m.Web = srv
	if m.Dev {
		m.Log.Warn("-dev: anyone who can reach this server may act as any account (X-Docflow-User); never use it with real data")
		srv.Identify = accesslog.Identify(web.DevIdentity(m.Store))
		if err := m.seedDemo(); err != nil {
			m.Store.Close()
			return err
		}
	} else {
		srv.Sessions, srv.Proofs = m.Store, proof.Local{}
		srv.Identify = accesslog.Identify(srv.SessionIdentity)
	}
	if m.ln, err = net.Listen("tcp", m.Addr); err != nil {
		m.Store.Close()
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", m.Addr, err)
	}
	m.URL = "http://" + m.ln.Addr().String()
	srv.Hosts = m.Hosts
	if len(srv.Hosts) == 0 {
		srv.Hosts = []string{host}
		if loopback {
			srv.Hosts = append(srv.Hosts, "localhost", "127.0.0.1", "::1")
		}
	}
	if _, err := m.Store.Office(context.Background()); workflow.KindOf(err) == workflow.NotFound {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		srv.SetupToken = base64.RawURLEncoding.EncodeToString(b)
		m.SetupURL = m.URL + "/setup?token=" + srv.SetupToken
	}
	m.srv = &http.Server{Handler: accesslog.Handler(m.Log, srv.Handler(), nil), ReadHeaderTimeout: 10 * time.Second}
	go m.srv.Serve(m.ln)
	m.startBackground()
	return nil
}

// startBackground starts what runs beside the server: the sender of the
// outbox and the ticker of the reminder rules. Several servers on one
// data directory may both run them: a message is claimed by one sender,
// and a reminder's period is recorded by one change.
func (m *Main) startBackground() {
	base := m.PublicURL
	if base == "" {
		base = m.URL
	}
	m.Sender = &outbox.Sender{Outbox: m.Store, Dir: m.Store, Mail: m.Mail, Robots: &robot.Client{}, BaseURL: strings.TrimSuffix(base, "/"),
		Now: m.Now, Log: m.Log}
	ctx, stop := context.WithCancel(context.Background())
	m.stop = stop
	every := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return d
	}
	if d := every(m.SendEvery, 15*time.Second); d > 0 {
		m.bg.Go(func() { m.Sender.Run(ctx, d) })
	}
	if d := every(m.CheckEvery, 10*time.Minute); d > 0 {
		m.bg.Go(func() {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				n, err := m.Service.CheckDeadlines(ctx)
				switch {
				case err != nil && ctx.Err() == nil:
					m.Log.Error("reminder rules", "err", err)
				case n > 0:
					m.Log.Info("reminders recorded", "count", n)
				}
				if err := m.Service.RefreshReports(ctx); err != nil && ctx.Err() == nil {
					m.Log.Error("statistics", "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
}

// seedDemo sets a new installation up as the demonstration's office with
// its accounts (templates/), for -dev.
func (m *Main) seedDemo() error {
	ctx := context.Background()
	if _, err := m.Store.Office(ctx); workflow.KindOf(err) != workflow.NotFound {
		return err
	}
	seed, err := templates.Office(templates.FS)
	if err != nil {
		return err
	}
	accounts, err := templates.Accounts(templates.FS)
	if err != nil {
		return err
	}
	var admin workflow.Account
	for _, a := range accounts {
		if a.Has(workflow.Admin) {
			admin = a
		}
	}
	if _, _, err := m.Service.Setup(ctx, seed, admin); err != nil {
		return err
	}
	for _, a := range accounts {
		if a.User == admin.User {
			continue
		}
		if _, err := m.Service.SaveAccount(ctx, admin.Identity(), 0, a, "演示账号"); err != nil {
			return err
		}
	}
	m.Log.Info("a new installation under -dev: seeded the demonstration's office and accounts", "accounts", len(accounts))
	return nil
}

// Close stops the server and closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.stop != nil {
		m.stop()
		m.bg.Wait()
	}
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, m.srv.Shutdown(ctx))
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	m := &Main{}
	fs.StringVar(&m.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.BoolVar(&m.Dev, "dev", false, "development identity: act as any account without a password (X-Docflow-User); loopback only, never with real data")
	hosts := fs.String("host", "", "comma-separated host names browsers use to reach the server (default: the -addr host, and localhost on loopback)")
	fs.StringVar(&m.DataDir, "data", "docflow-data", "data directory (created if missing)")
	fs.StringVar(&m.FontDir, "fonts", os.Getenv("DOCFLOW_FONTS"), "directory of the Fandol fonts for PDF output (bash infra/fonts/fetch.sh puts them in .tools/fonts)")
	smtp := fs.String("smtp", "", "the SMTP server that sends notification emails, host:port (465: TLS from the start; otherwise STARTTLS when offered); password in $DOCFLOW_SMTP_PASSWORD")
	smtpUser := fs.String("smtp-user", "", "the SMTP login, if the server asks for one")
	mailFrom := fs.String("mail-from", "", "the sender of notification emails, e.g. 'docflow <docflow@example.gov.cn>' (with -smtp)")
	fs.StringVar(&m.PublicURL, "public-url", "", "docflow's address as people reach it, for the links in notifications (default: the listen address)")
	fs.StringVar(&m.AuditKey, "audit-key", auditkey.DefaultPath(), "the Ed25519 key that signs the audit trail, created on first start: keep it outside the data directory and its backups (README: The audit trail)")
	level := slog.LevelInfo
	fs.TextVar(&level, "log-level", level, "least level logged: debug, info (one line per request), warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if m.AuditKey == "" {
		return errors.New("name the key that signs the audit trail with -audit-key (there is no user configuration directory to keep it in)")
	}
	if *hosts != "" {
		m.Hosts = strings.Split(*hosts, ",")
	}
	if *smtp != "" {
		_, port, _ := net.SplitHostPort(*smtp)
		ml := &smtpmail.Mailer{Addr: *smtp, From: *mailFrom, Username: *smtpUser, Password: os.Getenv("DOCFLOW_SMTP_PASSWORD"), TLS: port == "465"}
		if err := ml.Check(); err != nil {
			return fmt.Errorf("-smtp %s -mail-from %q: %w", *smtp, *mailFrom, err)
		}
		m.Mail = ml
	}
	m.Log = slog.New(accesslog.WithRequestID(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if err := m.Open(); err != nil {
		return err
	}
	defer m.Close()
	abs, _ := filepath.Abs(m.DataDir)
	fmt.Fprintf(stdout, "docflow serving %s (data in %s); Ctrl-C stops\n", m.URL, abs)
	switch {
	case m.Dev:
		fmt.Fprintf(stdout, "DEVELOPMENT IDENTITY (-dev): anyone here may act as any account. Try: curl -H 'X-Docflow-User: clerk' %s/api/cases\n", m.URL)
	case m.SetupURL != "":
		fmt.Fprintf(stdout, "This installation is new. Open this link once to name the office and make its first administrator:\n\n  %s\n\n", m.SetupURL)
	default:
		fmt.Fprintf(stdout, "sign in at %s/login\n", m.URL)
	}
	<-ctx.Done()
	return nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dataDir := fs.String("data", "docflow-demo", "data directory for the demo's own server (must not hold the case yet)")
	server := fs.String("server", "", "drive a running docflow at this URL instead of starting one")
	fonts := fs.String("fonts", os.Getenv("DOCFLOW_FONTS"), "directory of the Fandol fonts for PDF output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fixture, err := subFS(docflow.FixtureCase)
	if err != nil {
		return err
	}
	accounts, err := templates.Accounts(templates.FS)
	if err != nil {
		return err
	}
	// The series is the seeded office's, as the demonstration's server
	// sets it up: no district is named here.
	seed, err := templates.Office(templates.FS)
	if err != nil {
		return err
	}
	base := *server
	var m *Main
	if base == "" {
		// The demonstration's own throwaway server, on loopback, with the
		// development identity: it acts as every account in turn.
		m = &Main{DataDir: *dataDir, Addr: "127.0.0.1:0", FontDir: *fonts, Dev: true, Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
		if err := m.Open(); err != nil {
			return err
		}
		defer m.Close()
		base = m.URL
	}
	d := &demo.Demo{BaseURL: base, Fixture: fixture, Log: stdout, Series: seed.Profile.Series, First: 17,
		Date: workflow.Day(2025, 12, 22), Clerk: "clerk", Accounts: accounts}
	c, err := d.Run(ctx)
	if err != nil {
		var apiErr *demo.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && m != nil {
			return fmt.Errorf("%w\n(the data directory %s already holds this case: remove it or pass another -data)", err, *dataDir)
		}
		return err
	}
	fmt.Fprintf(stdout, "\n已发布 %s\n", c.Publication.Number())
	if m == nil {
		// The server named by -server is still running: its URLs work.
		for _, f := range c.Publication.Files {
			fmt.Fprintf(stdout, "  %s  %s/notices/%s/%s\n", f.Name, base, c.ID, f.Name)
		}
		return nil
	}
	// The demo's own server stops when it returns, so its URLs would lead
	// nowhere: name the files, and how to serve them.
	for _, f := range c.Publication.Files {
		p, _ := filepath.Abs(m.Store.Blobs().Path(f.Key))
		fmt.Fprintf(stdout, "  %s  %s\n", f.Name, p)
	}
	fmt.Fprintf(stdout, "\nOpen a file above, or serve this data (`docflow serve -dev -data %s`)\nand open http://127.0.0.1:8080/notices/%s\n", *dataDir, c.ID)
	return nil
}
