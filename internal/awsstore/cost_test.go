package awsstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/auditkey/auditkeytest"
	"github.com/docflow/docflow/internal/demo"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// On-demand list prices in US East (N. Virginia), in US dollars, as AWS
// published them in 2025 (DynamoDB after its November 2024 reduction).
// They are not re-checked from here (no network to AWS): compare ratios,
// which do not depend on them, before absolute figures.
const (
	priceWRU      = 0.625 / 1e6 // DynamoDB write request unit
	priceRRU      = 0.125 / 1e6 // DynamoDB read request unit
	priceS3Put    = 0.005 / 1e3 // S3 PUT, COPY, POST, LIST
	priceS3Get    = 0.0004 / 1e3
	priceHTTPAPI  = 1.00 / 1e6 // API Gateway HTTP API request (first 300 million)
	priceLambda   = 0.20 / 1e6 // Lambda request
	priceKMSSign  = 0.15 / 1e4 // KMS request with an asymmetric key (kms:Sign); the key itself is $1 a month
	pricesAsOf    = "2025 us-east-1 list prices (DynamoDB on-demand after the 2024-11 reduction); not re-checked here"
	floorPerWrite = 2 // write units of one transactional item of at most 1 KB
)

// meter counts what the store sends DynamoDB and what it costs, by the
// rules DynamoDB bills with: a write unit per 1 KB of item written (two in a
// transaction), a read unit per 4 KB read (half when eventually
// consistent), index writes when an index key changes. DynamoDB Local's
// own ConsumedCapacity is summed beside it: it does not follow those rules
// for transactions, so it is shown, not trusted.
type meter struct {
	db *dynamodb.Client

	mu     sync.Mutex
	action string
	stats  map[string]*usage
	order  []string
	stages map[string]string // last stage written per case, for index writes
	dues   map[string]string // and last entry in the index of open deadlines (key and departments)
}

type usage struct {
	requests   map[string]int
	wru, rru   float64
	local      float64 // DynamoDB Local's ConsumedCapacity
	s3put      int
	s3get      int
	calls      int // API requests
	stateWrite int
}

func newMeter(db *dynamodb.Client) *meter {
	return &meter{db: db, stats: map[string]*usage{}, stages: map[string]string{}, dues: map[string]string{}}
}

func (m *meter) at(action string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.action = action
	if m.stats[action] == nil {
		m.stats[action] = &usage{requests: map[string]int{}}
		m.order = append(m.order, action)
	}
	m.stats[action].calls++
}

func (m *meter) add(op string, wru, rru float64, cc []types.ConsumedCapacity, committed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.stats[m.action]
	u.requests[op]++
	u.wru += wru
	u.rru += rru
	for _, c := range cc {
		u.local += aws.ToFloat64(c.CapacityUnits)
	}
	if committed {
		u.stateWrite++
	}
}

func (m *meter) blob(put bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if put {
		m.stats[m.action].s3put++
	} else {
		m.stats[m.action].s3get++
	}
}

// itemSize is an item's size as DynamoDB bills it: names and values, in
// bytes (numbers approximately: a byte per two digits and one).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += (len(v.Value)+1)/2 + 1
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		case *types.AttributeValueMemberSS:
			for _, s := range v.Value {
				n += len(s)
			}
		default:
			n += 1
		}
	}
	return n
}

func units(size, per int) float64 { return math.Ceil(float64(max(size, 1)) / float64(per)) }

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.GetItem(ctx, in, o...)
	if err == nil {
		r := units(itemSize(out.Item), 4096)
		if !aws.ToBool(in.ConsistentRead) {
			r /= 2
		}
		m.add("GetItem", 0, r, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, false)
	}
	return out, err
}

func deref(c *types.ConsumedCapacity) types.ConsumedCapacity {
	if c == nil {
		return types.ConsumedCapacity{}
	}
	return *c
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.PutItem(ctx, in, o...)
	if err == nil {
		m.add("PutItem", units(itemSize(in.Item), 1024)+m.indexWrites(in.Item), 0, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, true)
	}
	return out, err
}

// DeleteItem bills one write unit: the outbox's purge deletes batches of a
// few kilobytes at most, long after the case's actions this meter prices.
func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.DeleteItem(ctx, in, o...)
	if err == nil {
		m.add("DeleteItem", 1, 0, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, true)
	}
	return out, err
}

func (m *meter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.Query(ctx, in, o...)
	if err == nil {
		size := 0
		for _, it := range out.Items {
			size += itemSize(it)
		}
		r := units(size, 4096)
		if !aws.ToBool(in.ConsistentRead) {
			r /= 2
		}
		m.add("Query", 0, r, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, false)
	}
	return out, err
}

// BatchGetItem bills each item read; with a projection the item returned
// is smaller than the one billed, so this undercounts those reads (the
// list summaries, about 2 KB a case: one unit each either way).
func (m *meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.BatchGetItem(ctx, in, o...)
	if err == nil {
		r := 0.0
		for _, items := range out.Responses {
			for _, it := range items {
				r += units(itemSize(it), 4096)
			}
		}
		m.add("BatchGetItem", 0, r, out.ConsumedCapacity, false)
	}
	return out, err
}

func (m *meter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.BatchWriteItem(ctx, in, o...)
	if err == nil {
		w := 0.0
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					w += units(itemSize(r.PutRequest.Item), 1024) + m.indexWrites(r.PutRequest.Item)
				} else {
					w += 2 // the item and its index entry
				}
			}
		}
		m.add("BatchWriteItem", w, 0, out.ConsumedCapacity, false)
	}
	return out, err
}

func (m *meter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.TransactWriteItems(ctx, in, o...)
	w := 0.0
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			w += 2*units(itemSize(it.Put.Item), 1024) + m.indexWrites(it.Put.Item)
		case it.Delete != nil, it.ConditionCheck != nil:
			w += 2 // the items these name are small
			if it.Delete != nil && attributeS(it.Delete.Key, attrSK) == skDue {
				w++ // and its entry in the index of open deadlines
				m.mu.Lock()
				delete(m.dues, attributeS(it.Delete.Key, attrPK))
				m.mu.Unlock()
			}
		}
	}
	// A cancelled transaction is billed too.
	var cc []types.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	m.add("TransactWriteItems", w, 0, cc, err == nil)
	return out, err
}

// indexWrites are the index writes a put causes: a new index entry for a
// new case or department, two (delete and put) in the stage index when a
// case changes stage, and in the index of open deadlines one when a case's
// entry comes or its departments change, two when its deadline moves (a
// deleted entry is counted with its Delete). The indexes project keys (and
// GSI3 the departments' keys), so an entry is well under 1 KB.
func (m *meter) indexWrites(item map[string]types.AttributeValue) float64 {
	sk := attributeS(item, attrSK)
	pk := attributeS(item, attrPK)
	switch {
	case sk == skCase:
		stage := attributeS(item, "stage")
		m.mu.Lock()
		was, seen := m.stages[pk]
		m.stages[pk] = stage
		m.mu.Unlock()
		switch {
		case !seen:
			return 2 // GSI1 and GSI2 entries
		case was != stage:
			return 2
		}
	case sk == skDue:
		due := attributeS(item, attrGSI3SK)
		var depts []string
		if ss, ok := item[attrDK].(*types.AttributeValueMemberSS); ok {
			depts = slices.Sorted(slices.Values(ss.Value))
		}
		entry := due + " " + fmt.Sprint(depts)
		m.mu.Lock()
		wasEntry := m.dues[pk]
		m.dues[pk] = entry
		m.mu.Unlock()
		switch wasDue, _, _ := strings.Cut(wasEntry, " "); {
		case entry == wasEntry:
			return 0
		case wasDue == "" || due == wasDue:
			return 1 // an entry comes, or is rewritten in place
		}
		return 2 // deleted and put where its deadline sorts now
	case strings.HasPrefix(sk, "DEPT#"):
		return 1
	}
	return 0
}

// countingBlobs counts the S3 requests drafts and files cost.
type countingBlobs struct {
	workflow.Blobs
	m *meter
}

func (b countingBlobs) Put(ctx context.Context, data []byte) (string, error) {
	b.m.blob(true)
	return b.Blobs.Put(ctx, data)
}

func (b countingBlobs) Get(ctx context.Context, hash string) ([]byte, error) {
	b.m.blob(false)
	return b.Blobs.Get(ctx, hash)
}

func (b countingBlobs) PutFile(ctx context.Context, key string, data []byte, ct string) error {
	b.m.blob(true)
	return b.Blobs.PutFile(ctx, key, data, ct)
}

// BenchmarkCaseCost takes the fixture case through every stage over the
// HTTP API (package demo, as `docflow demo` does) on DynamoDB Local and an
// S3 server, and reports what it costs on AWS: requests and read and write
// units per action and per case, in dollars at on-demand prices, beside the
// case's floor at the same prices — its API requests and Lambda
// invocations, one S3 PUT per stored draft, and 2 write units per state
// change. The per-action table goes to artifacts/cost.md. Each change is
// signed with a KMS key on local-kms, as the functions sign (so the items
// are the size they are on AWS); the signatures' cost is reported apart
// (kms-µ$/case), since a case's floor pays the same.
func BenchmarkCaseCost(b *testing.B) {
	endpoint := os.Getenv("DOCFLOW_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		b.Skip("set DOCFLOW_DYNAMODB_ENDPOINT (DynamoDB Local) — make bench starts it")
	}
	db := newDynamo(endpoint)
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	fixture := os.DirFS("../../testdata/jingan-2025-17")
	_, kc := auditkeytest.LocalKMS(b)
	signer := &countingSigner{Signer: auditkey.NewKMS(kc, auditkeytest.NewKey(b, kc))}
	var last *meter
	var signs int64
	for b.Loop() {
		m := newMeter(db)
		st := New(m, mustTable(b, db))
		svc := &workflow.Service{Store: st, Blobs: countingBlobs{testBlobs(b), m}, Dir: st, Render: stubRender{}, Signer: signer}
		m.at("setup") // the office and its people, once per installation
		workflowtest.SetUp(b, svc, seed, acc)
		signer.n.Store(0) // the setup's own signatures are the installation's, not the case's
		srv := &web.Server{Service: svc, Identify: web.DevIdentity(st), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Parse: func(name string, data []byte) (*workflow.Opinion, error) {
				return opinion.Parse(name, data, opinion.Options{DefaultMonths: seed.Profile.DefaultDue})
			}}
		h := srv.Handler()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.at(actionOf(r))
			h.ServeHTTP(w, r)
		}))
		d := &demo.Demo{BaseURL: ts.URL, Fixture: fixture, Series: "静府议", First: 17, Date: workflow.Day(2025, 12, 22), Clerk: "clerk", Accounts: acc}
		if _, err := d.Run(b.Context()); err != nil {
			b.Fatal(err)
		}
		ts.Close()
		last, signs = m, signer.n.Load()
	}
	total := last.report(b)
	b.ReportMetric(total.wru/float64(total.stateWrite), "wru/change")
	b.ReportMetric(total.wru, "wru/case")
	b.ReportMetric(total.rru, "rru/case")
	b.ReportMetric(float64(total.stateWrite), "changes/case")
	b.ReportMetric(cost(total)*1e6, "µ$/case")
	b.ReportMetric(floorCost(total)*1e6, "floor-µ$/case")
	b.ReportMetric(cost(total)/floorCost(total), "x-floor")
	b.ReportMetric(float64(signs), "signs/case")
	b.ReportMetric(float64(signs)*priceKMSSign*1e6, "kms-µ$/case")
}

// countingSigner counts the signatures a case takes: one kms:Sign each.
type countingSigner struct {
	workflow.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(ctx context.Context, digest []byte) (string, []byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(ctx, digest)
}

func cost(u usage) float64 {
	return u.wru*priceWRU + u.rru*priceRRU + float64(u.s3put)*priceS3Put + float64(u.s3get)*priceS3Get +
		float64(u.calls)*(priceHTTPAPI+priceLambda)
}

func floorCost(u usage) float64 {
	return float64(floorPerWrite*u.stateWrite)*priceWRU + float64(u.s3put)*priceS3Put + float64(u.calls)*(priceHTTPAPI+priceLambda)
}

// report sums the actions, writes the table to artifacts/cost.md and
// returns the totals.
func (m *meter) report(tb testing.TB) usage {
	var total usage
	total.requests = map[string]int{}
	var b strings.Builder
	fmt.Fprintf(&b, "# What the fixture case costs on DynamoDB and S3\n\nPrices: %s: DynamoDB $%.3f per million write units, $%.3f per million read units; S3 $%.3f per thousand PUTs, $%.4f per thousand GETs; HTTP API $%.2f and Lambda $%.2f per million requests (Lambda duration not counted).\n\n", pricesAsOf, priceWRU*1e6, priceRRU*1e6, priceS3Put*1e3, priceS3Get*1e3, priceHTTPAPI*1e6, priceLambda*1e6)
	b.WriteString("| action | API calls | DynamoDB requests | state changes | write units | per change | read units | DynamoDB Local's figure | S3 PUT | S3 GET |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range m.order {
		if a == "setup" {
			continue // the installation's, not the case's
		}
		u := m.stats[a]
		var reqs []string
		n := 0
		for op, c := range u.requests {
			reqs = append(reqs, fmt.Sprintf("%s %d", op, c))
			n += c
			total.requests[op] += c
		}
		slices.Sort(reqs)
		per := "—"
		if u.stateWrite > 0 {
			per = fmt.Sprintf("%.1f", u.wru/float64(u.stateWrite))
		}
		fmt.Fprintf(&b, "| %s | %d | %d (%s) | %d | %.0f | %s | %.1f | %.1f | %d | %d |\n", a, u.calls, n, strings.Join(reqs, ", "), u.stateWrite, u.wru, per, u.rru, u.local, u.s3put, u.s3get)
		total.calls += u.calls
		total.wru += u.wru
		total.rru += u.rru
		total.local += u.local
		total.s3put += u.s3put
		total.s3get += u.s3get
		total.stateWrite += u.stateWrite
	}
	fmt.Fprintf(&b, "| **case** | %d | %v | %d | %.0f | %.2f | %.1f | %.1f | %d | %d |\n\n", total.calls, total.requests, total.stateWrite, total.wru, total.wru/float64(total.stateWrite), total.rru, total.local, total.s3put, total.s3get)
	fmt.Fprintf(&b, "Per case: $%.6f; its floor (the API calls and Lambda invocations, one S3 PUT per stored draft, %d write units per state change) $%.6f: **%.2f× the floor**.\n", cost(total), floorPerWrite, floorCost(total), cost(total)/floorCost(total))
	if err := os.MkdirAll("../../artifacts", 0o755); err == nil {
		os.WriteFile(filepath.Join("../../artifacts", "cost.md"), []byte(b.String()), 0o644)
	}
	tb.Log("\n" + b.String())
	return total
}

// actionOf names an API call by its route: the method and the path with
// its IDs taken out.
func actionOf(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i, p := range parts {
		if i > 0 && (parts[i-1] == "cases" || parts[i-1] == "sections" || parts[i-1] == "series" || utf8.RuneCountInString(p) == 4 && i > 2 && parts[i-2] == "series") {
			parts[i] = "{…}"
		}
	}
	return r.Method + " /" + strings.Join(parts, "/")
}

type stubRender struct{}

func (stubRender) Render(_ context.Context, n *workflow.Notice) ([]workflow.Rendered, error) {
	return []workflow.Rendered{{Name: "notice.html", ContentType: "text/html; charset=utf-8", Data: []byte(n.Number + "\n" + n.Title + "\n" + n.Body)}}, nil
}
