package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// The crash tests run the server in a child process — this test binary,
// re-executed — so that it can be killed with SIGKILL mid-write, as a
// power cut or an OOM kill would stop it.
const childEnv = "DOCFLOW_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		crashChild(spec)
		return
	}
	os.Exit(m.Run())
}

// crashChild serves docflow over the store spec names ("local:DIR" or
// "aws:TABLE:BUCKET"), prints its URL and serves until killed.
func crashChild(spec string) {
	kind, arg, _ := strings.Cut(spec, ":")
	svc, err := crashService(kind, arg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	srv := &web.Server{Service: svc, Identify: web.DevIdentity(svc.Dir), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	http.Serve(ln, srv.Handler())
}

// crashService opens the service the child and the checks use.
func crashService(kind, arg string) (*workflow.Service, error) {
	render, err := notice.New()
	if err != nil {
		return nil, err
	}
	svc := &workflow.Service{Render: render}
	switch kind {
	case "local":
		st, err := localstore.Open(arg) // durable commits, as deployed
		if err != nil {
			return nil, err
		}
		svc.Store, svc.Blobs, svc.Dir = st, st.Blobs(), st
	case "aws":
		table, bucket, _ := strings.Cut(arg, ":")
		creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
		db := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")), Region: "us-east-1", Credentials: creds})
		s3c := s3.New(s3.Options{BaseEndpoint: aws.String(os.Getenv("DOCFLOW_S3_ENDPOINT")), Region: "us-east-1", Credentials: creds, UsePathStyle: true})
		st := awsstore.New(db, table)
		svc.Store, svc.Blobs, svc.Dir = st, awsstore.NewBlobs(s3c, bucket, "drafts/", "files/"), st
	default:
		return nil, fmt.Errorf("unknown store %q", kind)
	}
	return svc, nil
}

// startChild starts the server over spec and returns its URL.
func startChild(t *testing.T, spec string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child server did not start: %v", err)
	}
	return cmd, strings.TrimSpace(line)
}

// ack is a save the server answered 2xx: it must survive anything.
type ack struct {
	sec  string
	n    int
	body string
}

// TestKillUnderLoadLosesNothingAcknowledged saves sections as fast as
// eight departments can, kills the server with SIGKILL in the middle, and
// starts it again on the same data: every save that was answered 2xx must
// be there, with its text, and every audit trail must verify.
func TestKillUnderLoadLosesNothingAcknowledged(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		dir := t.TempDir()
		crashUnderLoad(t, "local:"+dir, func() (*workflow.Service, func()) {
			svc, err := crashService("local", dir)
			if err != nil {
				t.Fatal(err)
			}
			return svc, func() { svc.Store.(*localstore.Store).Close() }
		})
	})
	t.Run("aws", func(t *testing.T) {
		if os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT") == "" || os.Getenv("DOCFLOW_S3_ENDPOINT") == "" {
			t.Skip("set DOCFLOW_DYNAMODB_ENDPOINT and DOCFLOW_S3_ENDPOINT — make test starts DynamoDB Local and versitygw")
		}
		table, bucket := crashTableAndBucket(t)
		crashUnderLoad(t, "aws:"+table+":"+bucket, func() (*workflow.Service, func()) {
			svc, err := crashService("aws", table+":"+bucket)
			if err != nil {
				t.Fatal(err)
			}
			return svc, func() {}
		})
	})
}

func crashTableAndBucket(t *testing.T) (string, string) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "docflow-crash-" + hex.EncodeToString(b)
	creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
	db := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")), Region: "us-east-1", Credentials: creds})
	if err := awsstore.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	s3c := s3.New(s3.Options{BaseEndpoint: aws.String(os.Getenv("DOCFLOW_S3_ENDPOINT")), Region: "us-east-1", Credentials: creds, UsePathStyle: true})
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name, name
}

func crashUnderLoad(t *testing.T, spec string, open func() (*workflow.Service, func())) {
	ctx := context.Background()
	acc, _ := templates.Accounts(templates.FS)
	seed, _ := templates.Office(templates.FS)
	who := func(u string) workflow.Identity {
		for _, a := range acc {
			if a.User == u {
				return a.Identity()
			}
		}
		t.Fatalf("no account %s", u)
		return workflow.Identity{}
	}
	staffOf := func(dept string) string {
		for _, a := range acc {
			if a.Dept == dept && a.Has(workflow.Staff) {
				return a.User
			}
		}
		t.Fatalf("no staff in %s", dept)
		return ""
	}

	// A dispatched case, set up directly.
	svc, closeSvc := open()
	workflowtest.SetUp(t, svc, seed, acc)
	data, err := os.ReadFile("../../testdata/jingan-2025-17/opinion.txt")
	if err != nil {
		t.Fatal(err)
	}
	o, err := opinion.Parse("opinion.txt", data, opinion.Options{DefaultMonths: seed.Profile.DefaultDue})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Intake(ctx, who("clerk"), workflow.Source{Name: "opinion.txt"}, data, o)
	if err != nil {
		t.Fatal(err)
	}
	var plan []workflow.Assignment
	for i, it := range o.Items {
		if it.Level == 1 {
			plan = append(plan, workflow.Assignment{Item: it.ID, Lead: seed.Profile.Departments[i%len(seed.Profile.Departments)]})
		}
	}
	if c, err = svc.Assign(ctx, who("clerk"), c.ID, c.Version, plan); err != nil {
		t.Fatal(err)
	}
	if c, err = svc.Dispatch(ctx, who("clerk"), c.ID); err != nil {
		t.Fatal(err)
	}
	closeSvc()

	cmd, base := startChild(t, spec)
	var (
		mu       sync.Mutex
		acks     []ack
		wg       sync.WaitGroup
		stop     = make(chan struct{})
		fails    int
		refusals []string
		killed   atomic.Bool
	)
	for _, sec := range c.Sections {
		staff := staffOf(sec.Lead)
		wg.Go(func() {
			rev := sec.Rev
			for k := 1; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf("%s 第 %d 稿：%s", sec.ID, k, strings.Repeat("内容", k%50))
				in, _ := json.Marshal(map[string]any{"rev": rev, "heading": "标题 " + sec.ID, "body": body})
				req, _ := http.NewRequest("PUT", base+"/api/cases/"+c.ID+"/sections/"+sec.ID, bytes.NewReader(in))
				req.Header.Set(web.UserHeader, staff)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				var got workflow.Case
				raw, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				ok := rerr == nil && resp.StatusCode == 200 && json.Unmarshal(raw, &got) == nil
				if !ok {
					// An answer cut short by the kill is the server gone,
					// not a refusal.
					if killed.Load() {
						return
					}
					mu.Lock()
					fails++
					refusals = append(refusals, fmt.Sprintf("%s: %d %v %.200s", sec.ID, resp.StatusCode, rerr, raw))
					mu.Unlock()
					return
				}
				s, _ := got.Section(sec.ID)
				mu.Lock()
				acks = append(acks, ack{sec.ID, s.Current.N, body})
				mu.Unlock()
				rev = s.Rev
			}
		})
	}
	// Kill once the load is on: a few dozen saves acknowledged, or after
	// ten seconds on a slow machine.
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 60 {
			break
		}
	}
	killed.Store(true)
	cmd.Process.Kill() // SIGKILL: no deferred function, no flush
	cmd.Wait()
	close(stop)
	wg.Wait()
	if fails > 0 {
		t.Errorf("%d saves were refused before the kill: %s", fails, strings.Join(refusals, "; "))
	}
	if len(acks) < 20 {
		t.Fatalf("only %d saves acknowledged before the kill; the test did not load the server", len(acks))
	}

	// The server comes back on the same data: every acknowledged save is there.
	_, base = startChild(t, spec)
	svc, closeSvc = open()
	defer closeSvc()
	got, err := svc.Case(ctx, who("clerk"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]map[int]string{}
	for _, sec := range got.Sections {
		texts[sec.ID] = map[int]string{}
		for before := 0; ; {
			evs, err := svc.History(ctx, who("clerk"), c.ID, sec.ID, before, workflow.MaxPage)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Version != nil {
					b, err := svc.Blobs.Get(ctx, e.Version.Hash)
					if err != nil {
						t.Fatalf("the text of %s version %d: %v", sec.ID, e.Version.N, err)
					}
					texts[sec.ID][e.Version.N] = string(b)
				}
			}
			if len(evs) < workflow.MaxPage {
				break
			}
			before = evs[len(evs)-1].Seq
		}
	}
	for _, a := range acks {
		if texts[a.sec][a.n] != a.body {
			t.Errorf("acknowledged save %s version %d: after the restart %q; want %q", a.sec, a.n, texts[a.sec][a.n], a.body)
		}
	}
	v, err := svc.Verify(ctx, c.ID)
	if err != nil {
		t.Errorf("Verify after the kill: %v", err)
	}
	t.Logf("%d saves acknowledged before SIGKILL, all found after the restart; %d events verified", len(acks), v.Events)
	// And the restarted server takes work again.
	s, _ := got.Section("s1")
	in, _ := json.Marshal(map[string]any{"rev": s.Rev, "heading": "重启后", "body": "重启后的稿件。"})
	req, _ := http.NewRequest("PUT", base+"/api/cases/"+c.ID+"/sections/s1", bytes.NewReader(in))
	req.Header.Set(web.UserHeader, staffOf(s.Lead))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("a save after the restart: %v %v", err, resp)
	}
	if resp != nil {
		resp.Body.Close()
	}
}
