package awsstore

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
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
	// entries holds, by item (PK and SK), the keys of its entries in GSI1,
	// GSI2 and GSI3 (with the attributes GSI3 projects) as last written,
	// for the index writes a write causes.
	entries map[string][3]string
}

type usage struct {
	requests   map[string]int
	wru, rru   float64
	kinds      bill    // wru by kind of item
	local      float64 // DynamoDB Local's ConsumedCapacity
	s3put      int
	s3get      int
	calls      int // API requests
	stateWrite int
}

func newMeter(db *dynamodb.Client) *meter {
	return &meter{db: db, stats: map[string]*usage{}, entries: map[string][3]string{}}
}

func (m *meter) at(action string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.action = action
	if m.stats[action] == nil {
		m.stats[action] = &usage{requests: map[string]int{}, kinds: bill{}}
		m.order = append(m.order, action)
	}
	m.stats[action].calls++
}

func (m *meter) add(op string, w bill, rru float64, cc []types.ConsumedCapacity, committed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.stats[m.action]
	u.requests[op]++
	for k, n := range w {
		u.wru += n
		u.kinds[k] += n
	}
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
		m.add("GetItem", nil, r, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, false)
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
		w := bill{}
		w.put(in.Item, 1)
		w.index(m.indexWrites(in.Item, false))
		// A section or record written alone completes the change its event
		// started (a change of one stream: see commitOwn); a batch, and a
		// new case's opinion and deadline entry, are written before their
		// change (see ahead, index.fresh): none is a change of its own.
		k := kindOf(in.Item)
		m.add("PutItem", w, 0, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, !slices.Contains([]string{"section", "record", "batch", "opinion", "deadline"}, k))
	}
	return out, err
}

// DeleteItem bills one write unit: the outbox's purge deletes batches of a
// few kilobytes at most, long after the case's actions this meter prices.
func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.DeleteItem(ctx, in, o...)
	if err == nil {
		w := bill{kindOf(in.Key): 1}
		w.index(m.indexWrites(in.Key, true))
		m.add("DeleteItem", w, 0, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, true)
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
		m.add("Query", nil, r, []types.ConsumedCapacity{deref(out.ConsumedCapacity)}, false)
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
		m.add("BatchGetItem", nil, r, out.ConsumedCapacity, false)
	}
	return out, err
}

func (m *meter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.db.BatchWriteItem(ctx, in, o...)
	if err == nil {
		w := bill{}
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					w.put(r.PutRequest.Item, 1)
					w.index(m.indexWrites(r.PutRequest.Item, false))
				} else {
					w[kindOf(r.DeleteRequest.Key)]++
					w.index(m.indexWrites(r.DeleteRequest.Key, true))
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
	// A cancelled transaction is billed too, but writes no index.
	w := bill{}
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			w.put(it.Put.Item, 2)
			if err == nil {
				w.index(m.indexWrites(it.Put.Item, false))
			}
		case it.Update != nil:
			w[kindOf(it.Update.Key)] += 2 // the items updated are small
		case it.Delete != nil:
			w[kindOf(it.Delete.Key)] += 2 // the items deleted are small
			if err == nil {
				w.index(m.indexWrites(it.Delete.Key, true))
			}
		case it.ConditionCheck != nil:
			w[kindOf(it.ConditionCheck.Key)] += 2
		}
	}
	var cc []types.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	m.add("TransactWriteItems", w, 0, cc, err == nil)
	return out, err
}

// bill is what a request writes, in write units by kind of item (kindOf),
// its index writes under "index".
type bill map[string]float64

// put bills the write of an item: per started kilobyte, times per (two in
// a transaction).
func (b bill) put(item map[string]types.AttributeValue, per float64) {
	b[kindOf(item)] += per * units(itemSize(item), 1024)
}

func (b bill) index(n float64) {
	if n > 0 {
		b["index"] += n
	}
}

// kindOf names the kind of an item by its keys, as the package comment
// lists them.
func kindOf(item map[string]types.AttributeValue) string {
	pk, sk := attributeS(item, attrPK), attributeS(item, attrSK)
	switch {
	case pk == pkOutbox:
		return "batch"
	case sk == skCase:
		return "record"
	case sk == skOpinion:
		return "opinion"
	case sk == skFrame:
		return "frame"
	case sk == skDue:
		return "deadline"
	case strings.HasPrefix(sk, sectionSK("")):
		return "section"
	case strings.HasPrefix(sk, "CASE#"):
		return strings.ToLower(strings.TrimPrefix(sk, "CASE#"))
	case strings.HasPrefix(sk, "EVENT#"):
		return "event"
	case strings.HasPrefix(sk, "DEPT#"):
		return "dept"
	case strings.HasPrefix(sk, "LIST#"):
		return "list"
	case sk == skCounter:
		return "counter"
	case sk == skNumber:
		return "number"
	}
	return "other"
}

// indexWrites are the index writes that writing (or deleting) an item
// causes: one for each index entry added or removed, two for an entry
// whose key changes (a delete and a put), one for a GSI3 entry whose
// projected dk changes. The indexes project keys (GSI3 dk too), so a
// write that leaves an item's index keys alone writes no index, and an
// entry is well under 1 KB.
func (m *meter) indexWrites(item map[string]types.AttributeValue, del bool) float64 {
	id := attributeS(item, attrPK) + "\x00" + attributeS(item, attrSK)
	var now [3]string
	if !del {
		for i, k := range [][2]string{{attrGSI1PK, attrGSI1SK}, {attrGSI2PK, attrGSI2SK}, {attrGSI3PK, attrGSI3SK}} {
			if pk, sk := attributeS(item, k[0]), attributeS(item, k[1]); pk != "" && sk != "" {
				now[i] = pk + "\x00" + sk
			}
		}
		// GSI3 projects dk: an entry whose dk changes is written again.
		if ss, ok := item[attrDK].(*types.AttributeValueMemberSS); ok && now[2] != "" {
			now[2] += "\x01" + strings.Join(slices.Sorted(slices.Values(ss.Value)), ",")
		}
	}
	m.mu.Lock()
	was := m.entries[id]
	m.entries[id] = now
	m.mu.Unlock()
	n := 0.0
	for i := range now {
		wasKey, _, _ := strings.Cut(was[i], "\x01")
		nowKey, _, _ := strings.Cut(now[i], "\x01")
		switch {
		case was[i] == now[i]:
		case was[i] == "" || now[i] == "" || wasKey == nowKey:
			n++ // added, removed, or written again in place
		default:
			n += 2 // deleted and put where it sorts now
		}
	}
	return n
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
	var all []string
	for op, c := range total.requests {
		all = append(all, fmt.Sprintf("%s %d", op, c))
	}
	slices.Sort(all)
	fmt.Fprintf(&b, "| **case** | %d | %s | %d | %.0f | %.2f | %.1f | %.1f | %d | %d |\n\n", total.calls, strings.Join(all, ", "), total.stateWrite, total.wru, total.wru/float64(total.stateWrite), total.rru, total.local, total.s3put, total.s3get)
	fmt.Fprintf(&b, "Per case: $%.6f; its floor (the API calls and Lambda invocations, one S3 PUT per stored draft, %d write units per state change) $%.6f: **%.2f× the floor**.\n", cost(total), floorPerWrite, floorCost(total), cost(total)/floorCost(total))
	// Where the write units go: by kind of item, per action.
	total.kinds = bill{}
	for _, a := range m.order {
		if a != "setup" {
			for k, n := range m.stats[a].kinds {
				total.kinds[k] += n
			}
		}
	}
	kinds := slices.Collect(maps.Keys(total.kinds))
	slices.SortFunc(kinds, func(x, y string) int {
		return cmp.Or(cmp.Compare(total.kinds[y], total.kinds[x]), strings.Compare(x, y))
	})
	fmt.Fprintf(&b, "\nWrite units by kind of item written (index: index entries added, moved or removed):\n\n| action | %s |\n|---|%s\n", strings.Join(kinds, " | "), strings.Repeat("---|", len(kinds)))
	row := func(name string, w bill) {
		fmt.Fprintf(&b, "| %s |", name)
		for _, k := range kinds {
			if w[k] == 0 {
				b.WriteString(" |")
			} else {
				fmt.Fprintf(&b, " %.0f |", w[k])
			}
		}
		b.WriteString("\n")
	}
	for _, a := range m.order {
		if a != "setup" {
			row(a, m.stats[a].kinds)
		}
	}
	row("**case**", total.kinds)
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
