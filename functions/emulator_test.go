// Tests of the five Lambda functions as deployed: each is built the way
// `sam build` builds it and run under the Lambda Runtime Interface
// Emulator, against DynamoDB Local and an S3 server (versitygw), and fed
// real-shaped API Gateway v2 and S3 events. `make test` provides all three.
package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"mime/multipart"
	"net/http/httptest"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/docflow/docflow"
	"github.com/docflow/docflow/internal/auditkey/auditkeytest"
	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/notice/noticetest"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

var stages = []web.Group{web.Intake, web.Assign, web.Draft, web.Signoff, web.Publish}

// need returns the variable's value, or skips — but under CI a missing
// stand-in is a failure: `make test` must have started it.
func need(t *testing.T, v string) string {
	t.Helper()
	if s := os.Getenv(v); s != "" {
		return s
	}
	msg := fmt.Sprintf("%s is not set: run through `make test`, which starts DynamoDB Local and the S3 server", v)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func rieBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("DOCFLOW_RIE"), "../.tools/bin/aws-lambda-rie"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	msg := "aws-lambda-rie not found: run `bash infra/local/tools.sh`"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// env is one deployment: table, bucket, and the five functions under the
// emulator.
type env struct {
	table, bucket string
	base          []string // environment of every function
	s3            *s3.Client
	fn            map[web.Group]*emulated
	roster        []workflow.Account
	idp           *idp
	auditKey      string // ARN of the KMS key (local-kms) that signs the trail
}

// lookup finds an account of the roster.
func (e *env) lookup(user string) (workflow.Identity, bool) {
	for _, a := range e.roster {
		if a.User == user {
			return a.Identity(), true
		}
	}
	return workflow.Identity{}, false
}

func setup(t *testing.T) *env {
	ddbURL, s3URL := need(t, "DOCFLOW_DYNAMODB_ENDPOINT"), need(t, "DOCFLOW_S3_ENDPOINT")
	rie := rieBinary(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
	region := os.Getenv("AWS_REGION")
	db := dynamodb.New(dynamodb.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(ddbURL)})
	s3c := s3.New(s3.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(s3URL), UsePathStyle: true})
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	e := &env{table: "docflow-" + suffix, bucket: "docflow-" + suffix, s3: s3c, fn: map[web.Group]*emulated{}}
	if err := awsstore.CreateTable(ctx, db, e.table); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(e.bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.roster, err = templates.Accounts(templates.FS); err != nil {
		t.Fatal(err)
	}
	// The office and its people are in the table, as an administrator
	// sets them up on AWS (docflow admin), before any function runs.
	seed, err := templates.Office(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	st := awsstore.New(db, e.table)
	workflowtest.SetUp(t, &workflow.Service{Store: st, Dir: st}, seed, e.roster)
	e.base = []string{
		"DOCFLOW_TABLE=" + e.table, "DOCFLOW_BUCKET=" + e.bucket,
		"DOCFLOW_INBOX_PREFIX=inbox/", "DOCFLOW_DRAFTS_PREFIX=drafts/", "DOCFLOW_FILES_PREFIX=files/",
		"DOCFLOW_DYNAMODB_ENDPOINT=" + ddbURL, "DOCFLOW_S3_ENDPOINT=" + s3URL,
		"AWS_ACCESS_KEY_ID=" + os.Getenv("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY=" + os.Getenv("AWS_SECRET_ACCESS_KEY"),
		"AWS_REGION=" + region, "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
	}
	// The audit key, as template.yaml makes it, on local-kms: the SDK in
	// the functions finds it through AWS_ENDPOINT_URL_KMS.
	kmsURL, kmsClient := auditkeytest.LocalKMS(t)
	e.auditKey = auditkeytest.NewKey(t, kmsClient)
	e.base = append(e.base, "DOCFLOW_AUDIT_KEY="+e.auditKey, "AWS_ENDPOINT_URL_KMS="+kmsURL)
	// Browser sign-in, as template.yaml's Globals set it; the pool's keys
	// come from a stand-in the functions trust through SSL_CERT_FILE.
	e.idp = newIDP(t)
	e.base = append(e.base, "DOCFLOW_AUTH_ISSUER="+e.idp.issuer(), "DOCFLOW_AUTH_CLIENT_ID="+webClient,
		"DOCFLOW_PUBLIC_URL=https://docflow.example.gov.cn", "SSL_CERT_FILE="+e.idp.certFile)
	bins := buildAll(t)
	for _, g := range stages {
		env := e.base
		if g == web.Publish {
			// As the fonts layer does on AWS (/opt/fonts).
			env = append(slices.Clone(env), "DOCFLOW_FONTS="+fontDir(t))
		}
		e.fn[g] = start(t, rie, bins[g], string(g), env)
	}
	return e
}

// fontDir is where `make test` (infra/fonts/fetch.sh) puts the fonts.
func fontDir(t *testing.T) string {
	dir, _ := filepath.Abs("../.tools/fonts")
	if _, err := os.Stat(filepath.Join(dir, "FandolFang-Regular.otf")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no fonts in %s: `make test` fetches them (infra/fonts/fetch.sh)", dir)
		}
		return ""
	}
	return dir
}

var built struct {
	once sync.Once
	dir  string
	bins map[web.Group]string
	err  error
}

// buildAll builds the five functions once for the whole test binary.
func buildAll(t *testing.T) map[web.Group]string {
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "docflow-functions-")
		built.bins = map[web.Group]string{}
		for _, g := range stages {
			if built.err != nil {
				return
			}
			built.bins[g], built.err = build(built.dir, string(g))
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bins
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// build compiles a function as `sam build` does for provided.al2023
// (linux, CGO off), with the lambda.norpc tag the README asks for. The
// architecture is this machine's, so that the emulator can run it.
func build(dir, name string) (string, error) {
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", name, err, b)
	}
	return out, nil
}

// emulated is one function under its own emulator. The emulator crashes on
// concurrent invocations, so calls are serialised.
type emulated struct {
	name string
	url  string
	mu   sync.Mutex
	logs *bytes.Buffer
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func start(t *testing.T, rie, bin, name string, base []string) *emulated {
	t.Helper()
	addr, api := freePort(t), freePort(t)
	f := &emulated{name: name, url: "http://" + addr + "/2015-03-31/functions/function/invocations", logs: &bytes.Buffer{}}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = append(base, "AWS_LAMBDA_FUNCTION_NAME=docflow-"+name, "PATH="+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = f.logs, f.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator for %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("--- %s emulator log ---\n%s", name, f.logs.String())
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("emulator for %s never listened on %s\n%s", name, addr, f.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return f
}

// invoke sends one event and returns the function's raw answer. A function
// error comes back as {"errorMessage": …, "errorType": …}.
func (f *emulated) invoke(payload []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp, err := http.Post(f.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var fail struct{ ErrorMessage, ErrorType string }
	if json.Unmarshal(b, &fail) == nil && fail.ErrorType != "" {
		return nil, fmt.Errorf("%s failed: %s: %s", f.name, fail.ErrorType, fail.ErrorMessage)
	}
	return b, nil
}

// gateway plays API Gateway: it turns HTTP requests into payload 2.0
// events for the function that serves the route, with the caller's
// Cognito claims in the authorizer context (Cognito itself cannot run
// here: the X-Docflow-User header names a roster account, as the local
// server's dev login does, and becomes the claims a JWT would carry).
type gateway struct{ e *env }

func (gw gateway) RoundTrip(r *http.Request) (*http.Response, error) {
	g, rt, params, ok := match(r.Method, r.URL.Path)
	if !ok {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader(`{"message":"Not Found"}`)), Header: http.Header{}, Request: r}, nil
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		if !strings.EqualFold(k, web.UserHeader) { // API Gateway passes headers, but identity comes from the JWT
			headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
	}
	routeKey := rt.Method + " " + rt.Path
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Headers: headers, PathParameters: params, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "abcdef1234", Stage: "$default", RouteKey: routeKey, RequestID: fmt.Sprint(time.Now().UnixNano()),
			DomainName: "abcdef1234.execute-api.cn-north-1.amazonaws.com.cn",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, Protocol: "HTTP/1.1", SourceIP: "192.0.2.10", UserAgent: "docflow-test"},
		},
	}
	if user := r.Header.Get(web.UserHeader); user != "" {
		id, ok := gw.e.lookup(user)
		if !ok {
			return &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(`{"message":"Unauthorized"}`)), Header: http.Header{}, Request: r}, nil
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims(id)}}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	out, err := gw.e.fn[g].invoke(payload)
	if err != nil {
		return nil, err
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("%s: not an API Gateway v2 response: %w: %s", g, err, out)
	}
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	return &http.Response{StatusCode: resp.StatusCode, Header: h, Body: io.NopCloser(strings.NewReader(resp.Body)), Request: r}, nil
}

func claims(id workflow.Identity) map[string]string {
	var groups []string
	for _, r := range id.Roles {
		groups = append(groups, string(r))
	}
	return map[string]string{"sub": "sub-" + id.User, "cognito:username": id.User, "name": id.Name,
		"custom:dept": id.Dept, "custom:title": id.Title, "cognito:groups": "[" + strings.Join(groups, " ") + "]"}
}

// match finds the route template.yaml gives API Gateway for a request,
// and the group of the function it goes to.
func match(method, path string) (web.Group, web.Route, map[string]string, bool) {
	segs := strings.Split(path, "/")
	for _, t := range web.Tables() {
		for _, rt := range t.Routes {
			if rt.Method != method {
				continue
			}
			pat := strings.Split(rt.Path, "/")
			if len(pat) != len(segs) {
				continue
			}
			params := map[string]string{}
			ok := true
			for i, p := range pat {
				if strings.HasPrefix(p, "{") {
					params[strings.Trim(p, "{}")] = segs[i]
				} else if p != segs[i] {
					ok = false
					break
				}
			}
			if ok {
				return t.Group, rt, params, true
			}
		}
	}
	return "", web.Route{}, nil, false
}

// TestFixtureCaseThroughLambda is the fixture case as it would run on AWS:
// the clerk asks the intake function for an upload URL, puts opinion.txt
// straight into the S3 server, and the ObjectCreated event — delivered
// three times, as S3 may — opens exactly one case; then every stage runs
// in its own function, and the notice published by the publish function
// reads as report.txt.
func TestFixtureCaseThroughLambda(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	hc := &http.Client{Transport: gateway{e}}
	fixture, err := fs.Sub(docflow.Fixtures, docflow.FixtureCase)
	if err != nil {
		t.Fatal(err)
	}
	opinionText, _ := fs.ReadFile(fixture, "opinion.txt")
	d := &demo.Demo{BaseURL: "http://api.docflow.test", HTTP: hc, Fixture: fixture, Log: io.Discard, Series: "静府议", First: 17,
		Date: workflow.Day(2025, 12, 22), Clerk: "clerk", Accounts: e.roster}
	if err := d.SetSeries(ctx); err != nil {
		t.Fatal(err)
	}

	// The serverless upload path: no file bytes through API Gateway.
	var up web.Upload
	call(t, hc, "clerk", "POST", "/api/uploads", map[string]any{"name": "静会〔2025〕57号.txt", "contentType": "text/plain; charset=utf-8", "size": len(opinionText)}, &up)
	if !strings.HasPrefix(up.Key, "inbox/") {
		t.Fatalf("upload key %q is outside the inbox", up.Key)
	}
	put(t, up, opinionText)
	tampered := up
	tampered.Headers = map[string]string{}
	for k, v := range up.Headers {
		tampered.Headers[k] = v
	}
	tampered.Headers["X-Amz-Meta-Uploader"] = "mayor"
	if code := tryPut(t, tampered, opinionText); code < 400 {
		t.Errorf("PUT with the uploader metadata changed: %d; want the S3 server to refuse a signature mismatch", code)
	}

	ev := s3Event(t, e.bucket, up.Key, len(opinionText))
	for i := 0; i < 3; i++ {
		if _, err := e.fn[web.Intake].invoke(ev); err != nil {
			t.Fatalf("S3 event delivery %d: %v", i+1, err)
		}
	}
	var list workflow.Page
	call(t, hc, "clerk", "GET", "/api/cases", nil, &list)
	if len(list.Cases) != 1 {
		t.Fatalf("%d cases after three deliveries of one upload; want 1", len(list.Cases))
	}
	var c workflow.Case
	call(t, hc, "clerk", "GET", "/api/cases/"+list.Cases[0].ID, nil, &c)
	if c.Source.Key != up.Key || c.Opinion.Number != "静会〔2025〕57号" || len(c.Opinion.Items) != 13 {
		t.Errorf("case from the inbox: key %q, number %q, %d items; want %q, 静会〔2025〕57号, 13", c.Source.Key, c.Opinion.Number, len(c.Opinion.Items), up.Key)
	}

	pub, err := d.Carry(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := pub.Publication.Number(); got != "静府议〔2025〕17号" {
		t.Errorf("number %q; want 静府议〔2025〕17号", got)
	}
	resp, err := hc.Get("http://api.docflow.test/notices/" + pub.ID + "/notice.html")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET notice through the publish function: %d %s", resp.StatusCode, page)
	}
	got, err := noticetest.Blocks(page)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fs.ReadFile(fixture, "report.txt")
	wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
	if len(got) != len(wantLines) {
		t.Errorf("%d blocks; want %d", len(got), len(wantLines))
	}
	for i := range min(len(got), len(wantLines)) {
		if strings.Join(strings.Fields(got[i]), "") != strings.Join(strings.Fields(wantLines[i]), "") {
			t.Errorf("block %d:\n got %q\nwant %q", i+1, got[i], wantLines[i])
		}
	}
	names := map[string]bool{}
	for _, f := range pub.Publication.Files {
		names[f.Name] = true
	}
	if fontDir(t) != "" && !names["notice.pdf"] {
		t.Errorf("published files %v; want notice.pdf too, rendered in the publish function", pub.Publication.Files)
	}
	// The stored file is where template.yaml's policies expect it.
	obj, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("files/" + pub.Publication.Files[0].Key)})
	if err != nil {
		t.Fatalf("published file not under files/: %v", err)
	}
	stored, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if !bytes.Equal(stored, page) {
		t.Error("the stored notice differs from the one served")
	}

	// Every function signed its changes with the KMS key, and the audit
	// page — the intake function, with the key's public key — says so.
	keyID := e.auditKey[strings.LastIndex(e.auditKey, "/")+1:]
	var trail web.AuditPage
	call(t, hc, "clerk", "GET", "/api/cases/"+pub.ID+"/events?limit=200", nil, &trail)
	for _, ev := range trail.Events {
		if ev.Key != keyID || len(ev.Sig) == 0 {
			t.Errorf("event %s %d (%s) signed by %q; want the KMS key %s", ev.Stream, ev.Seq, ev.Action, ev.Key, keyID)
		}
	}
	clerk, _ := e.lookup("clerk")
	r := browse(t, e, web.Intake, "GET", "/cases/"+pub.ID+"/audit", "docflow_session="+e.idp.idToken(t, e.idp.key, clerk))
	if r.StatusCode != 200 || !strings.Contains(r.Body, "签名校验：有效") || !strings.Contains(r.Body, keyID) || strings.Contains(r.Body, "被改动") {
		t.Errorf("GET the audit page: %d; want 200 saying every signature by %s is valid:\n%.2000s", r.StatusCode, keyID, r.Body)
	}

	// After publication the same opinion arrives again, as GB18030 text:
	// the inbox opens no second case (the number is registered). Marked
	// as a revision of the published case, it opens the revision.
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(opinionText)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(revises string) web.Upload {
		t.Helper()
		var up web.Upload
		call(t, hc, "clerk", "POST", "/api/uploads", map[string]any{"name": "静会〔2025〕57号-gb18030.txt", "contentType": "text/plain; charset=gb18030", "size": len(gb), "revises": revises}, &up)
		put(t, up, gb)
		if _, err := e.fn[web.Intake].invoke(s3Event(t, e.bucket, up.Key, len(gb))); err != nil {
			t.Fatalf("S3 event of the GB18030 upload: %v", err)
		}
		return up
	}
	upload("")
	call(t, hc, "clerk", "GET", "/api/cases", nil, &list)
	if len(list.Cases) != 1 {
		t.Fatalf("%d cases after the published opinion came again as GB18030; want 1", len(list.Cases))
	}
	rev := upload(pub.ID)
	call(t, hc, "clerk", "GET", "/api/cases", nil, &list)
	if len(list.Cases) != 2 || list.Cases[0].Source != rev.Key || list.Cases[0].Revises != pub.ID {
		var got []string
		for _, c := range list.Cases {
			got = append(got, fmt.Sprintf("%s (from %s, revises %q)", c.ID, c.Source, c.Revises))
		}
		t.Fatalf("cases after the revision's upload: %v; want a second, from %s, revising %s", got, rev.Key, pub.ID)
	}
	call(t, hc, "clerk", "GET", "/api/cases/"+pub.ID, nil, &c)
	if c.RevisedBy != list.Cases[0].ID || c.Stage != workflow.Published {
		t.Errorf("the published case after its revision: revised by %q, %s; want %s, still published", c.RevisedBy, c.Stage, list.Cases[0].ID)
	}
}

func call(t *testing.T, hc *http.Client, user, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://api.docflow.test"+path, body)
	req.Header.Set(web.UserHeader, user)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func put(t *testing.T, up web.Upload, data []byte) {
	t.Helper()
	if code := tryPut(t, up, data); code != 200 {
		t.Fatalf("PUT to the presigned URL: %d", code)
	}
}

func tryPut(t *testing.T, up web.Upload, data []byte) int {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(data))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// s3Event fills the real-shaped testdata event with this run's bucket and
// key, URL-encoded as S3 encodes keys in events.
func s3Event(t *testing.T, bucket, key string, size int) []byte {
	t.Helper()
	b, err := os.ReadFile("intake/testdata/s3-put.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	rec := ev["Records"].([]any)[0].(map[string]any)["s3"].(map[string]any)
	rec["bucket"].(map[string]any)["name"] = bucket
	rec["bucket"].(map[string]any)["arn"] = "arn:aws:s3:::" + bucket
	obj := rec["object"].(map[string]any)
	obj["key"] = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	obj["size"] = size
	out, _ := json.Marshal(ev)
	return out
}

// TestSampleEvents feeds each function's testdata events (the ones for
// `sam local invoke -e`) to the built function and checks the answer's
// status: the samples must stay valid as the API changes.
func TestSampleEvents(t *testing.T) {
	e := setup(t)
	tests := []struct {
		file   string
		group  web.Group
		status int
	}{
		{"intake/testdata/list-cases.json", web.Intake, 200},
		{"intake/testdata/uploads.json", web.Intake, 200},
		{"assign/testdata/dispatch.json", web.Assign, 404}, // no such case in a fresh table
		{"draft/testdata/save-section.json", web.Draft, 404},
		{"signoff/testdata/approve.json", web.Signoff, 404},
		{"publish/testdata/notices.json", web.Publish, 200},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.fn[tt.group].invoke(b)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s (%v); want %d", tt.file, resp.StatusCode, resp.Body, err, tt.status)
		}
	}
	// The sample S3 event names a bucket this run does not have: intake
	// must fail it (so Lambda retries) rather than drop it silently.
	b, _ := os.ReadFile("intake/testdata/s3-put.json")
	if _, err := e.fn[web.Intake].invoke(b); err == nil {
		t.Error("S3 event for a missing object succeeded; want an error so that Lambda retries")
	}
}

const (
	webClient = "web-client-test"
	hostedUI  = "https://docflow-test.auth.cn-north-1.amazoncognito.com"
)

// idp stands in for the user pool's metadata and key endpoints (Cognito
// cannot run here): the functions fetch its discovery document and JWKS
// over TLS, trusting its certificate through SSL_CERT_FILE, and the test
// signs ID tokens with its key. As Cognito's, its metadata names the
// hosted UI's authorize and token endpoints.
type idp struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	certFile string
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pool/.well-known/openid-configuration" {
			json.NewEncoder(w).Encode(map[string]any{"issuer": p.issuer(), "authorization_endpoint": hostedUI + "/oauth2/authorize",
				"token_endpoint": hostedUI + "/oauth2/token", "jwks_uri": p.issuer() + "/.well-known/jwks.json",
				"response_types_supported": []string{"code"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
			return
		}
		if r.URL.Path != "/pool/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	}))
	t.Cleanup(p.srv.Close)
	p.certFile = filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(p.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *idp) issuer() string { return p.srv.URL + "/pool" }

// idToken is the ID token Cognito would issue to a roster account, signed
// with key (the pool's, or another to forge one).
func (p *idp) idToken(t *testing.T, key *rsa.PrivateKey, id workflow.Identity) string {
	t.Helper()
	var groups []string
	for _, r := range id.Roles {
		groups = append(groups, string(r))
	}
	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := seg(map[string]string{"alg": "RS256", "kid": "k1"}) + "." + seg(map[string]any{
		"iss": p.issuer(), "aud": webClient, "token_use": "id", "sub": "sub-" + id.User, "exp": time.Now().Add(time.Hour).Unix(),
		"cognito:username": id.User, "name": id.Name, "custom:dept": id.Dept, "custom:title": id.Title, "cognito:groups": groups})
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestPagesWithSessionCookie sends page requests as API Gateway does for
// routes without an authorizer (payload 2.0, cookies in their own list, no
// claims) to the built functions: a session cookie signed by the pool
// names the user; none, or one signed by another key, sends the browser
// to /auth/login; /auth/login itself answers with its cookie through the
// response's cookie list.
func TestPagesWithSessionCookie(t *testing.T) {
	e := setup(t)
	page := func(g web.Group, method, path string, cookies ...string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		return browse(t, e, g, method, path, cookies...)
	}
	clerk, _ := e.lookup("clerk")
	dept, _ := e.lookup("fuer-staff")

	r := page(web.Intake, "GET", "/cases", "docflow_lang=zh", "docflow_session="+e.idp.idToken(t, e.idp.key, clerk))
	if r.StatusCode != 200 || !strings.Contains(r.Body, clerk.Name) {
		t.Errorf("GET /cases with the clerk's session: %d; want 200 naming %s:\n%.600s", r.StatusCode, clerk.Name, r.Body)
	}
	r = page(web.Draft, "GET", "/todo", "docflow_session="+e.idp.idToken(t, e.idp.key, dept))
	if r.StatusCode != 200 || !strings.Contains(r.Body, dept.Name) {
		t.Errorf("GET /todo with %s's session in the draft function: %d; want 200 naming them", dept.User, r.StatusCode)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, cookies := range map[string][]string{"no cookie": nil, "a token signed by another key": {"docflow_session=" + e.idp.idToken(t, other, clerk)}} {
		r = page(web.Intake, "GET", "/cases", cookies...)
		if loc := r.Headers["Location"]; r.StatusCode != 303 || !strings.HasPrefix(loc, "/auth/login?next=") {
			t.Errorf("GET /cases with %s: %d to %q; want 303 to /auth/login", name, r.StatusCode, loc)
		}
	}
	r = page(web.Intake, "GET", "/auth/login")
	if loc := r.Headers["Location"]; r.StatusCode != 302 || !strings.HasPrefix(loc, hostedUI+"/oauth2/authorize?") || len(r.Cookies) != 1 || !strings.HasPrefix(r.Cookies[0], "docflow_login=") {
		t.Errorf("GET /auth/login: %d to %q, cookies %q; want 302 to the hosted UI and the docflow_login cookie", r.StatusCode, loc, r.Cookies)
	}
}

// browse sends a page request (target: path and query) as API Gateway does
// for routes without an authorizer to the group's function.
func browse(t *testing.T, e *env, g web.Group, method, target string, cookies ...string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	params := map[string]string{}
	if q, err := url.ParseQuery(query); err == nil {
		for k, v := range q {
			params[k] = strings.Join(v, ",")
		}
	}
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: method + " " + path, RawPath: path, RawQueryString: query, QueryStringParameters: params,
		Headers: map[string]string{"host": "docflow.example.gov.cn", "accept": "text/html"}, Cookies: cookies,
		RequestContext: events.APIGatewayV2HTTPRequestContext{AccountID: "123456789012", APIID: "abcdef1234", Stage: "$default",
			RouteKey: method + " " + path, RequestID: fmt.Sprint(time.Now().UnixNano()), DomainName: "docflow.example.gov.cn",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "192.0.2.10", UserAgent: "docflow-test"}},
	}
	payload, _ := json.Marshal(ev)
	out, err := e.fn[g].invoke(payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s %s: not an API Gateway v2 response: %v: %s", method, target, err, out)
	}
	return resp
}

// TestUploadPageThroughS3 is the clerk's upload on AWS: the upload page
// (intake function, session cookie) is a form that posts the file straight
// to the bucket (S3 POST object, here versitygw); the bucket checks the
// form's policy and sends the browser back to GET /cases/uploaded, which
// waits for the inbox event to open the case and then goes to it.
func TestUploadPageThroughS3(t *testing.T) {
	e := setup(t)
	clerk, _ := e.lookup("clerk")
	session := "docflow_session=" + e.idp.idToken(t, e.idp.key, clerk)
	fixture, err := fs.Sub(docflow.Fixtures, docflow.FixtureCase)
	if err != nil {
		t.Fatal(err)
	}
	opinionText, _ := fs.ReadFile(fixture, "opinion.txt")

	r := browse(t, e, web.Intake, "GET", "/cases/new", "docflow_lang=zh", session)
	if r.StatusCode != 200 {
		t.Fatalf("GET /cases/new: %d\n%.600s", r.StatusCode, r.Body)
	}
	action, fields := uploadForm(t, r.Body)
	if u, err := url.Parse(action); err != nil || !strings.HasPrefix(action, os.Getenv("DOCFLOW_S3_ENDPOINT")) ||
		!strings.Contains(r.Headers["Content-Security-Policy"], "form-action 'self' "+u.Scheme+"://"+u.Host) {
		t.Errorf("form posts to %q, CSP %q; want the S3 endpoint, allowed as a form target", action, r.Headers["Content-Security-Policy"])
	}
	key := fields.Get("key")
	if !strings.HasPrefix(key, "inbox/") || fields.Get("x-amz-meta-uploader") != "clerk" {
		t.Fatalf("form fields %v; want a key in the inbox and the clerk as uploader", fields)
	}
	// What the page's script does on submit.
	fields.Set("x-amz-meta-filename", url.PathEscape("静会〔2025〕57号.txt"))

	forged := url.Values{}
	for k, v := range fields {
		forged[k] = v
	}
	forged.Set("x-amz-meta-uploader", "mayor")
	if code, _ := postForm(t, action, forged, opinionText); code != 403 {
		t.Errorf("form upload with the uploader changed: %d; want 403 (policy)", code)
	}
	if code, _ := postForm(t, action, fields, bytes.Repeat([]byte("x"), opinion.MaxSize+1)); code < 400 {
		t.Errorf("form upload over %d bytes: %d; want it refused (policy)", opinion.MaxSize, code)
	}
	if code, _ := postForm(t, action, fields, nil); code < 400 {
		t.Errorf("form upload of an empty file: %d; want it refused (policy)", code)
	}
	code, loc := postForm(t, action, fields, opinionText)
	back, err := url.Parse(loc)
	if code != 303 || err != nil || !strings.HasPrefix(loc, "https://docflow.example.gov.cn/cases/uploaded?") || back.Query().Get("key") != key {
		t.Fatalf("form upload: %d to %q; want 303 to https://docflow.example.gov.cn/cases/uploaded?…key=%s", code, loc, key)
	}

	// Before the inbox event: the page waits, reloading itself.
	r = browse(t, e, web.Intake, "GET", back.RequestURI(), "docflow_lang=zh", session)
	if r.StatusCode != 200 || !strings.Contains(r.Headers["Refresh"], "/cases/uploaded?") || !strings.Contains(r.Body, "正在登记") {
		t.Errorf("GET %s before the event: %d, Refresh %q; want 200 reloading itself", back.RequestURI(), r.StatusCode, r.Headers["Refresh"])
	}
	r = browse(t, e, web.Intake, "GET", "/cases/uploaded?since=1&key="+url.QueryEscape(key), "docflow_lang=zh", session)
	if r.StatusCode != 200 || r.Headers["Refresh"] != "" || !strings.Contains(r.Body, "重新上传") {
		t.Errorf("GET /cases/uploaded long after the upload: %d, Refresh %q; want 200 saying what may be wrong, no reload", r.StatusCode, r.Headers["Refresh"])
	}

	if _, err := e.fn[web.Intake].invoke(s3Event(t, e.bucket, key, len(opinionText))); err != nil {
		t.Fatal(err)
	}
	r = browse(t, e, web.Intake, "GET", back.RequestURI(), "docflow_lang=zh", session)
	var list workflow.Page
	call(t, &http.Client{Transport: gateway{e}}, "clerk", "GET", "/api/cases", nil, &list)
	if len(list.Cases) != 1 {
		t.Fatalf("%d cases after the form upload; want 1", len(list.Cases))
	}
	var c workflow.Case
	call(t, &http.Client{Transport: gateway{e}}, "clerk", "GET", "/api/cases/"+list.Cases[0].ID, nil, &c)
	if r.StatusCode != 303 || r.Headers["Location"] != "/cases/"+c.ID {
		t.Errorf("GET /cases/uploaded after the event: %d to %q; want 303 to /cases/%s", r.StatusCode, r.Headers["Location"], c.ID)
	}
	if c.Source.Key != key || c.Source.Name != "静会〔2025〕57号.txt" {
		t.Errorf("case source %+v; want key %s and the name from metadata", c.Source, key)
	}
}

// uploadForm reads the upload page's form to the bucket: its action and
// hidden fields.
func uploadForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var action string
	fields := url.Values{}
	var walk func(n *html.Node, inForm bool)
	walk = func(n *html.Node, inForm bool) {
		attr := func(name string) (string, bool) {
			for _, a := range n.Attr {
				if a.Key == name {
					return a.Val, true
				}
			}
			return "", false
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			if _, ok := attr("data-post-upload"); ok {
				action, _ = attr("action")
				inForm = true
			}
		}
		if inForm && n.Type == html.ElementNode && n.Data == "input" {
			if typ, _ := attr("type"); typ == "hidden" {
				name, _ := attr("name")
				val, _ := attr("value")
				fields.Add(name, val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inForm)
		}
	}
	walk(doc, false)
	if action == "" {
		t.Fatalf("no upload form to the bucket on the page:\n%.2000s", page)
	}
	return action, fields
}

// postForm posts fields and then the file, as a browser submits the form,
// and returns the status and Location without following it.
func postForm(t *testing.T, action string, fields url.Values, file []byte) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "静会〔2025〕57号.txt")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", action, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}
