package main

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/auditkey/auditkeytest"
	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// keyedMain starts docflow on a data directory with the audit key at key.
func keyedMain(tb testing.TB, data, key string) *Main {
	tb.Helper()
	m := &Main{DataDir: data, AuditKey: key, Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// fixtureDemo is the demo of the fixture case against baseURL.
func fixtureDemo(tb testing.TB, baseURL string) *demo.Demo {
	tb.Helper()
	acc, err := templates.Accounts(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return &demo.Demo{BaseURL: baseURL, Fixture: fixture(tb), Log: io.Discard, Series: "静府议", First: 17,
		Date: workflow.Day(2025, 12, 22), Clerk: "clerk", Accounts: acc}
}

// runVerify runs `docflow audit verify` with args and returns what it printed.
func runVerify(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), append([]string{"audit", "verify"}, args...), &out, &errs)
	return out.String() + errs.String(), err
}

// page returns a page as user sees it.
func page(tb testing.TB, base, path, user string) string {
	tb.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set(web.UserHeader, user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s as %s: %d\n%s", path, user, resp.StatusCode, b)
	}
	return string(b)
}

// The attacker: someone who can write the database and has read docflow's
// code, but does not hold the audit key.

// relink recomputes the hashes of evs from i on, each linked to the one
// before, as Event.digest does: the SHA-256 of the event's JSON without
// hash, key and signature. With strip the signatures go too; otherwise
// they stay as they were, since the attacker cannot make new ones.
func relink(evs []workflow.Event, i int, strip bool) {
	for j := i; j < len(evs); j++ {
		e := &evs[j]
		if j > 0 {
			e.Prev = evs[j-1].Hash
		}
		x := *e
		x.Hash, x.Key, x.Sig = "", "", nil
		b, _ := json.Marshal(&x)
		sum := sha256.Sum256(b)
		e.Hash = hex.EncodeToString(sum[:])
		if strip {
			e.Key, e.Sig = "", nil
		}
	}
}

// forgeApproval rewrites the approval at evs[i] as the mayor's.
func forgeApproval(tb testing.TB, e *workflow.Event) {
	tb.Helper()
	acc, _ := templates.Accounts(templates.FS)
	var mayor workflow.Identity
	for _, a := range acc {
		if a.User == "mayor" {
			mayor = a.Identity()
		}
	}
	old := e.Approval.Name
	e.Approval.User, e.Approval.Name, e.Approval.Title = mayor.User, mayor.Name, mayor.Title
	e.Actor, e.Name = mayor.User, mayor.Name
	e.Detail = strings.ReplaceAll(e.Detail, old, mayor.Name)
}

// approvalBy returns the index of the first approval by user, or of the
// first approval if user gave none.
func approvalBy(tb testing.TB, evs []workflow.Event, user string) int {
	tb.Helper()
	first := -1
	for i, e := range evs {
		if e.Approval != nil {
			if e.Approval.User == user {
				return i
			}
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 {
		tb.Fatal("no approval in the case's events")
	}
	return first
}

// sqliteCase reads a case's own stream and record straight from the data
// directory's database.
func sqliteCase(tb testing.TB, data, caseID string) ([]workflow.Event, workflow.Record) {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, "docflow.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT data FROM history WHERE case_id = ? AND stream = '' ORDER BY seq`, caseID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var evs []workflow.Event
	for rows.Next() {
		var s string
		var e workflow.Event
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, e)
	}
	var s string
	var rec workflow.Record
	if err := db.QueryRow(`SELECT data FROM records WHERE id = ?`, caseID).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		tb.Fatal(err)
	}
	return evs, rec
}

// sqliteRewrite writes evs over the case's own stream and points the
// record's head at the last, renaming the forged signer in its chain.
func sqliteRewrite(tb testing.TB, data string, evs []workflow.Event, rec workflow.Record, from, to string) {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, "docflow.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, e := range evs {
		b, _ := json.Marshal(&e)
		if _, err := db.Exec(`UPDATE history SET data = ? WHERE case_id = ? AND stream = '' AND seq = ?`, string(b), e.Case, e.Seq); err != nil {
			tb.Fatal(err)
		}
	}
	rec.Head = workflow.StreamHead{Seq: evs[len(evs)-1].Seq, Hash: evs[len(evs)-1].Hash}
	for i := range rec.Chain {
		for j := range rec.Chain[i].Approvals {
			if a := &rec.Chain[i].Approvals[j]; a.User == from {
				a.User = to
			}
		}
	}
	b, _ := json.Marshal(&rec)
	if _, err := db.Exec(`UPDATE records SET data = ? WHERE id = ?`, string(b), rec.ID); err != nil {
		tb.Fatal(err)
	}
}

// TestAuditVerifyFindsRewrite plays the attack of issue 9 on the embedded
// store: with the database but not the key, change who gave an approval
// (fuer-head becomes the mayor), recompute that event's hash, the chain
// after it and the record's head. `docflow audit verify` and the audit
// page report it; so they do when the attacker also removes the
// signatures of what was rewritten. Only removing every signature of the
// case passes, as unsigned events, which -require-signed refuses.
func TestAuditVerifyFindsRewrite(t *testing.T) {
	key := filepath.Join(t.TempDir(), "keys", "audit.key")
	data := t.TempDir()
	m := keyedMain(t, data, key)
	c, err := fixtureDemo(t, m.URL).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := runVerify(t, "-data", data, "-key", key)
	if err != nil || !strings.Contains(out, c.ID) || !strings.Contains(out, "0 cases rewritten, 0 with unsigned events") || !strings.Contains(out, "signed (ed25519-") {
		t.Fatalf("audit verify of the untouched case: %v\n%s", err, out)
	}
	if p := page(t, m.URL, "/cases/"+c.ID+"/audit", "clerk"); !strings.Contains(p, "签名校验：有效") || strings.Contains(p, "被改动") {
		t.Errorf("audit page of the untouched case does not say every signature is valid:\n%s", p)
	}
	m.Close()

	evs, rec := sqliteCase(t, data, c.ID)
	i := approvalBy(t, evs, "fuer-head")
	was := evs[i].Approval.User
	forgeApproval(t, &evs[i])
	relink(evs, i, false)
	sqliteRewrite(t, data, evs, rec, was, "mayor")

	// Hashes and heads alone are satisfied, as they were before signing.
	plain := keyedMain(t, data, "")
	if _, err := plain.Service.Verify(context.Background(), c.ID); err != nil {
		t.Fatalf("the attacker's chain does not even pass the hash check: %v", err)
	}
	plain.Close()

	type check struct{ in, want string }
	reported := func(what string, checks ...check) {
		t.Helper()
		out, err := runVerify(t, "-data", data, "-key", key)
		if err == nil || !strings.Contains(out, c.ID) || !strings.Contains(out, "REWRITTEN") || !strings.Contains(out, "1 cases rewritten") {
			t.Errorf("%s: audit verify = %v; want it to report case %s rewritten:\n%s", what, err, c.ID, out)
		}
		m := keyedMain(t, data, key)
		p := page(t, m.URL, "/cases/"+c.ID+"/audit", "clerk")
		m.Close()
		if !strings.Contains(p, "审计记录校验：被改动") {
			t.Errorf("%s: the audit page does not say the trail was altered", what)
		}
		for _, ck := range checks {
			if text := map[string]string{"cli": out, "page": p}[ck.in]; !strings.Contains(text, ck.want) {
				t.Errorf("%s: the %s does not say %q:\n%s", what, ck.in, ck.want, text)
			}
		}
	}
	bad := func(format string) string { return fmt.Sprintf(format, evs[i].Seq) }
	reported("a rewritten approval", check{"cli", bad("案件的审计记录第 %d 条与签名不符")}, check{"page", bad("案件的审计记录第 %d 条与签名不符")})

	// Without the signatures that no longer fit: the ones before are signed.
	relink(evs, i, true)
	sqliteRewrite(t, data, evs, rec, was, "mayor")
	reported("a rewritten approval, signatures removed", check{"cli", bad("案件的审计记录第 %d 条没有签名")})

	// Without any signature in the case's stream: the sections' are signed.
	relink(evs, 0, true)
	sqliteRewrite(t, data, evs, rec, was, "mayor")
	reported("every signature of the case's stream removed", check{"cli", "没有签名，而案件中更早的记录有"})

	// Without any signature in the whole case: it passes as unsigned, as
	// docflow 1's cases do; -require-signed refuses it.
	db, err := sql.Open("sqlite", filepath.Join(data, "docflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT stream FROM history WHERE case_id = ? AND stream != '' GROUP BY stream`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var streams []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		streams = append(streams, s)
	}
	rows.Close()
	for _, st := range streams {
		if _, err := db.Exec(`UPDATE history SET data = json_remove(data, '$.key', '$.sig') WHERE case_id = ? AND stream = ?`, c.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, err = runVerify(t, "-data", data, "-key", key)
	if err != nil || !strings.Contains(out, "1 with unsigned events") {
		t.Errorf("every signature removed: audit verify = %v; want success, reporting unsigned events:\n%s", err, out)
	}
	if out, err := runVerify(t, "-data", data, "-key", key, "-require-signed"); err == nil {
		t.Errorf("every signature removed: audit verify -require-signed succeeded:\n%s", out)
	}
}

// TestAuditAcrossRotationAndUpgrade: events written before the key existed
// verify as unsigned; events signed before a rotation verify with the
// retired key's public key; without it they are reported.
func TestAuditAcrossRotationAndUpgrade(t *testing.T) {
	keys := t.TempDir()
	key := filepath.Join(keys, "audit.key")
	data := t.TempDir()
	ctx := context.Background()

	// Before signing: the case is opened by a server without a key.
	m := keyedMain(t, data, "")
	d := fixtureDemo(t, m.URL)
	if err := d.SetSeries(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := d.Intake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	// The first key signs a correction, then is retired.
	m = keyedMain(t, data, key)
	retired, _ := filepath.Glob(filepath.Join(keys, "*.pub"))
	if len(retired) != 1 {
		t.Fatalf("public keys %v after the first start; want the key's own", retired)
	}
	ca, err := m.Service.Dir.Account(ctx, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	clerk := ca.Identity()
	if c, err = m.Service.CorrectOpinion(ctx, clerk, c.ID, c.Version, c.Opinion); err != nil {
		t.Fatal(err)
	}
	m.Close()
	var out bytes.Buffer
	if err := run(ctx, []string{"audit", "rotate-key", "-key", key}, &out, io.Discard); err != nil {
		t.Fatalf("audit rotate-key: %v", err)
	}
	pubs, _ := filepath.Glob(filepath.Join(keys, "*.pub"))
	if len(pubs) != 2 || !strings.Contains(out.String(), "retired ed25519-") {
		t.Fatalf("after rotate-key: public keys %v, output %q; want the retired and the new one", pubs, out.String())
	}

	// The second key signs the rest of the case.
	m = keyedMain(t, data, key)
	if _, err := fixtureDemo(t, m.URL).Carry(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	v, err := m.Service.Verify(ctx, c.ID)
	if err != nil || v.Unsigned != 1 || len(v.Signed) != 2 {
		t.Errorf("Verify across the rotation = %+v, %v; want the intake unsigned and two keys signing the rest", v, err)
	}
	if p := page(t, m.URL, "/cases/"+c.ID+"/audit", "clerk"); !strings.Contains(p, "签名校验：有效") || !strings.Contains(p, "无签名记录：1 条") {
		t.Errorf("audit page across the rotation does not say the signatures are valid and one record is unsigned:\n%s", p)
	}
	m.Close()
	outs, err := runVerify(t, "-data", data, "-key", key)
	if err != nil || !strings.Contains(outs, "0 cases rewritten, 1 with unsigned events") {
		t.Errorf("audit verify across the rotation: %v\n%s", err, outs)
	}

	// An auditor given only the current public key cannot vouch for what
	// the retired key signed.
	only := t.TempDir()
	for _, p := range pubs {
		if p != retired[0] {
			b, _ := os.ReadFile(p)
			os.WriteFile(filepath.Join(only, filepath.Base(p)), b, 0o644)
		}
	}
	outs, err = runVerify(t, "-data", data, "-key", only)
	if err == nil || !strings.Contains(outs, "未知的密钥") {
		t.Errorf("audit verify without the retired key: %v; want events signed by an unknown key reported:\n%s", err, outs)
	}
}

// TestAuditKeyOutsideData refuses a key kept in the data directory.
func TestAuditKeyOutsideData(t *testing.T) {
	data := t.TempDir()
	m := &Main{DataDir: data, AuditKey: filepath.Join(data, "keys", "audit.key"), Addr: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err == nil || !strings.Contains(err.Error(), "inside the data directory") {
		m.Close()
		t.Errorf("Open with the key inside the data directory: %v; want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(data, "keys", "audit.key")); err == nil {
		t.Error("a key was created inside the data directory")
	}
}

// TestAuditVerifyFindsRewriteOnDynamoDB is the same attack on the AWS
// store: the case runs through the service over DynamoDB Local, signed
// with a KMS key on local-kms; the attacker rewrites the approval in the
// table — inflating the event's item, editing, recomputing the chain and
// the record's head, deflating again — without access to the key.
// `docflow audit verify -table` and the audit page report it.
func TestAuditVerifyFindsRewriteOnDynamoDB(t *testing.T) {
	endpoint := os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DOCFLOW_DYNAMODB_ENDPOINT is not set: make test starts DynamoDB Local")
		}
		t.Skip("set DOCFLOW_DYNAMODB_ENDPOINT — make test starts DynamoDB Local")
	}
	kmsURL, kmsClient := auditkeytest.LocalKMS(t)
	keyARN := auditkeytest.NewKey(t, kmsClient)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")
	db := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1", Credentials: creds})
	b := make([]byte, 6)
	rand.Read(b)
	table := "docflow-audit-" + hex.EncodeToString(b)
	if err := awsstore.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })

	// The service as function.New builds it, but with local blobs: the
	// audit trail is all in the table.
	blobs, err := localstore.OpenBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	prof := seed.Profile
	render, err := notice.New()
	if err != nil {
		t.Fatal(err)
	}
	keys := auditkey.NewKMS(kmsClient, keyARN)
	st := awsstore.New(db, table)
	svc := &workflow.Service{Store: st, Blobs: blobs, Render: render, Dir: st, Signer: keys, Verifier: keys}
	workflowtest.SetUp(t, svc, seed, acc)
	srv := httptest.NewServer((&web.Server{Service: svc, Identify: web.DevIdentity(st), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Parse: func(name string, data []byte) (*workflow.Opinion, error) {
			return opinion.Parse(name, data, opinion.Options{DefaultMonths: prof.DefaultDue})
		}}).Handler())
	defer srv.Close()
	c, err := fixtureDemo(t, srv.URL).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("AWS_ENDPOINT_URL_KMS", kmsURL) // where the command's KMS client goes
	verify := func() (string, error) {
		return runVerify(t, "-table", table, "-endpoint", endpoint, "-kms-key", keyARN)
	}
	if out, err := verify(); err != nil || !strings.Contains(out, "0 cases rewritten, 0 with unsigned events") || !strings.Contains(out, keyARN[strings.LastIndex(keyARN, "/")+1:]) {
		t.Fatalf("audit verify -table of the untouched case: %v\n%s", err, out)
	}

	// The attack, on the items.
	pk := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CASE#" + c.ID}}
	res, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"), ExpressionAttributeValues: pk})
	if err != nil {
		t.Fatal(err)
	}
	var evs []workflow.Event
	// An event item keeps its event in z, or — the event of a change of
	// one stream, an approval — in zs, beside the item the change wrote
	// (awsstore's ownChange: the event under "e").
	owns := map[int]map[string]json.RawMessage{}
	// The record item keeps the record and its list summary together
	// (awsstore's form 3).
	var body struct {
		Record  workflow.Record `json:"record"`
		Summary json.RawMessage `json:"summary"`
	}
	rec := &body.Record
	for _, item := range res.Items {
		sk := item["SK"].(*types.AttributeValueMemberS).Value
		z, _ := item["z"].(*types.AttributeValueMemberB)
		switch {
		case sk == "CASE":
			inflate(t, z.Value, &body)
		case strings.HasPrefix(sk, "EVENT#") && strings.Count(sk, "#") == 1:
			var e workflow.Event
			if zs, ok := item["zs"].(*types.AttributeValueMemberB); ok {
				var own map[string]json.RawMessage
				inflate(t, zs.Value, &own)
				if err := json.Unmarshal(own["e"], &e); err != nil {
					t.Fatal(err)
				}
				owns[e.Seq] = own
			} else {
				inflate(t, z.Value, &e)
			}
			evs = append(evs, e)
		}
	}
	if res.LastEvaluatedKey != nil || len(evs) == 0 || rec.ID != c.ID {
		t.Fatalf("read %d events and record %q of the case in one page; want all of them", len(evs), rec.ID)
	}
	i := approvalBy(t, evs, "fuer-head")
	forgeApproval(t, &evs[i])
	relink(evs, i, false)
	put := func(sk, attr string, v any) {
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
			Key:                       map[string]types.AttributeValue{"PK": pk[":pk"], "SK": &types.AttributeValueMemberS{Value: sk}},
			UpdateExpression:          aws.String("SET #z = :z"),
			ExpressionAttributeNames:  map[string]string{"#z": attr},
			ExpressionAttributeValues: map[string]types.AttributeValue{":z": &types.AttributeValueMemberB{Value: deflate(t, v)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range evs[i:] {
		sk := fmt.Sprintf("EVENT#%010d", e.Seq)
		if own, ok := owns[e.Seq]; ok {
			own["e"], _ = json.Marshal(&e)
			put(sk, "zs", own)
		} else {
			put(sk, "z", &e)
		}
	}
	if len(owns) == 0 {
		t.Errorf("no approval was written as a change of one stream (zs)")
	}
	rec.Head = workflow.StreamHead{Seq: evs[len(evs)-1].Seq, Hash: evs[len(evs)-1].Hash}
	put("CASE", "z", &body)

	if _, err := (&workflow.Service{Store: svc.Store}).Verify(ctx, c.ID); err != nil {
		t.Fatalf("the attacker's chain does not even pass the hash check: %v", err)
	}
	want := fmt.Sprintf("案件的审计记录第 %d 条与签名不符", evs[i].Seq)
	if out, err := verify(); err == nil || !strings.Contains(out, "REWRITTEN") || !strings.Contains(out, want) {
		t.Errorf("audit verify -table after the rewrite: %v; want it to say %q:\n%s", err, want, out)
	}
	if p := page(t, srv.URL, "/cases/"+c.ID+"/audit", "clerk"); !strings.Contains(p, "审计记录校验：被改动") || !strings.Contains(p, want) {
		t.Errorf("the audit page after the rewrite does not say %q:\n%s", want, p)
	}
}

func inflate(tb testing.TB, z []byte, v any) {
	tb.Helper()
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

func deflate(tb testing.TB, v any) []byte {
	tb.Helper()
	b, _ := json.Marshal(v)
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

// TestAuditVerifyFindsAccountRewrite: someone with the database but not
// the key makes a department's staff member an approver holding 签发, by
// editing the account's row; `docflow audit verify` reports the account as
// not what its last signed change recorded.
func TestAuditVerifyFindsAccountRewrite(t *testing.T) {
	key := filepath.Join(t.TempDir(), "keys", "audit.key")
	data := t.TempDir()
	m := keyedMain(t, data, key)
	ctx := context.Background()
	a, err := m.Service.Dir.Account(ctx, "fulian-staff")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := m.Service.Dir.Account(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	// One signed change to the account, as an administrator would make.
	a.Title = "科员"
	if _, err := m.Service.SaveAccount(ctx, admin.Identity(), a.Version, *a, ""); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if out, err := runVerify(t, "-data", data, "-key", key); err != nil || !strings.Contains(out, "office settings and accounts") {
		t.Fatalf("audit verify before the edit: %v\n%s", err, out)
	}

	db, err := sql.Open("sqlite", filepath.Join(data, "docflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw string
	if err := db.QueryRow(`SELECT data FROM accounts WHERE user = 'fulian-staff'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var x workflow.Account
	json.Unmarshal([]byte(raw), &x)
	x.Roles = append(x.Roles, workflow.Approver)
	x.Steps = []string{"签发"}
	b, _ := json.Marshal(&x)
	if _, err := db.Exec(`UPDATE accounts SET data = ?, roles = ',staff,approver,' WHERE user = 'fulian-staff'`, string(b)); err != nil {
		t.Fatal(err)
	}
	out, err := runVerify(t, "-data", data, "-key", key)
	if err == nil || !strings.Contains(out, "REWRITTEN: 账号 fulian-staff与审计记录第") {
		t.Errorf("audit verify after making fulian-staff an approver in the database: %v; want REWRITTEN naming the account\n%s", err, out)
	}
}
