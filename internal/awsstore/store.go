package awsstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

// dynamoAPI is the part of the DynamoDB client that Store uses.
// *dynamodb.Client implements it; tests use a fake that returns the SDK's
// own exception types.
type dynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store keeps cases, events and number counters in one DynamoDB table laid
// out as the package comment describes. It is safe for concurrent use: it
// holds no state of its own, and every change is a conditional write.
type Store struct {
	db    dynamoAPI
	table string

	// sleep waits between retries; tests replace it to run instantly.
	sleep func(context.Context, time.Duration) error
}

var _ workflow.Store = (*Store)(nil)

// New returns a Store over the named table. It does no I/O: a missing table
// shows as an error from the first call.
func New(db dynamoAPI, table string) *Store {
	return &Store{db: db, table: table, sleep: sleep}
}

const (
	// maxTransactItems is DynamoDB's limit on the items of one transaction.
	maxTransactItems = 100
	// maxCaseData bounds the JSON of a case so that the case item, with
	// its keys and other attributes, stays under DynamoDB's 400 KB limit.
	maxCaseData = 400<<10 - 8<<10
	// allocateTries bounds the retries of AllocateNumber when only the
	// counter moved under it. Each retry means that another writer got to
	// the counter first, so running out takes a crowd of publications at
	// the same moment.
	allocateTries = 200
	// batchTries bounds the rounds of BatchGetItem spent on unprocessed
	// keys, which DynamoDB returns when it throttles.
	batchTries = 20

	skCase    = "CASE"
	skCounter = "COUNTER"
	// createdLayout is fixed-width so that sort keys order as times do;
	// time.RFC3339Nano drops trailing zeros and would not.
	createdLayout = "2006-01-02T15:04:05.000000000Z"
)

func casePK(id string) string                  { return "CASE#" + id }
func eventSK(seq int) string                   { return fmt.Sprintf("EVENT#%010d", seq) }
func deptSK(dept string) string                { return "DEPT#" + dept }
func counterPK(series string, year int) string { return fmt.Sprintf("SERIES#%s#%d", series, year) }
func listSK(c *workflow.Case) string           { return c.Created.UTC().Format(createdLayout) + "#" + c.ID }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: fmt.Sprint(n)} }

// Rows: the shapes of the items as stored. They stay private so that
// storage tags never reach the domain types.

type caseRow struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	GSI1PK  string `dynamodbav:"GSI1PK"`
	GSI1SK  string `dynamodbav:"GSI1SK"`
	GSI2PK  string `dynamodbav:"GSI2PK"`
	GSI2SK  string `dynamodbav:"GSI2SK"`
	Version int    `dynamodbav:"version"`
	Stage   string `dynamodbav:"stage"`
	Created string `dynamodbav:"created"`
	Data    string `dynamodbav:"data"` // JSON of workflow.Case
}

type eventRow struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Seq  int    `dynamodbav:"seq"`
	Data string `dynamodbav:"data"` // JSON of workflow.Event
}

type deptRow struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI2PK string `dynamodbav:"GSI2PK"`
	GSI2SK string `dynamodbav:"GSI2SK"`
	Dept   string `dynamodbav:"dept"`
}

type counterRow struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Last int    `dynamodbav:"last"`
}

// caseItem encodes c as stored at the given version.
func caseItem(op string, c *workflow.Case, version int) (map[string]types.AttributeValue, error) {
	cp := *c
	cp.Version = version
	data, err := json.Marshal(&cp)
	if err != nil {
		return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("encode case %s: %w", c.ID, err)}
	}
	if len(data) > maxCaseData {
		return nil, &workflow.Error{Op: op, Kind: workflow.Invalid,
			Msg: fmt.Sprintf("案件 %s 的记录过大（%d KB，上限 %d KB），无法保存", c.ID, len(data)>>10, maxCaseData>>10)}
	}
	item, err := attributevalue.MarshalMap(caseRow{
		PK: casePK(c.ID), SK: skCase,
		GSI1PK: "STAGE#" + string(c.Stage), GSI1SK: listSK(c),
		GSI2PK: "CASES", GSI2SK: listSK(c),
		Version: version, Stage: string(c.Stage), Created: c.Created.UTC().Format(createdLayout),
		Data: string(data),
	})
	if err != nil {
		return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("encode case item %s: %w", c.ID, err)}
	}
	return item, nil
}

func decodeCase(item map[string]types.AttributeValue) (*workflow.Case, error) {
	var row caseRow
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return nil, fmt.Errorf("decode case item: %w", err)
	}
	c := new(workflow.Case)
	if err := json.Unmarshal([]byte(row.Data), c); err != nil {
		return nil, fmt.Errorf("decode case %s: %w", row.PK, err)
	}
	c.Version = row.Version // the attribute the conditions check is the truth
	return c, nil
}

// depts returns the departments that lead or co-handle a section of c.
func depts(c *workflow.Case) []string {
	var out []string
	for _, s := range c.Sections {
		for _, d := range append([]string{s.Lead}, s.Co...) {
			if d != "" && !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out
}

// writes is the item list of one transaction being built.
type writes []types.TransactWriteItem

func (w *writes) put(item map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) {
	p := &types.Put{Item: item, ExpressionAttributeNames: names, ExpressionAttributeValues: values}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
	}
	*w = append(*w, types.TransactWriteItem{Put: p})
}

// putCase adds the case at prev+1, on condition that it is stored at prev
// (prev 0: that it does not exist).
func (w *writes) putCase(op string, c *workflow.Case, prev int) error {
	item, err := caseItem(op, c, prev+1)
	if err != nil {
		return err
	}
	if prev == 0 {
		w.put(item, "attribute_not_exists(PK)", nil, nil)
	} else {
		w.put(item, "#v = :prev", map[string]string{"#v": "version"}, map[string]types.AttributeValue{":prev": num(prev)})
	}
	return nil
}

// putEvents adds evs, each on condition that its sequence number is free:
// the audit trail is append-only.
func (w *writes) putEvents(op, caseID string, evs []workflow.Event) error {
	for _, e := range evs {
		data, err := json.Marshal(&e)
		if err != nil {
			return &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("encode event %d of %s: %w", e.Seq, caseID, err)}
		}
		item, err := attributevalue.MarshalMap(eventRow{PK: casePK(caseID), SK: eventSK(e.Seq), Seq: e.Seq, Data: string(data)})
		if err != nil {
			return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
		}
		w.put(item, "attribute_not_exists(PK)", nil, nil)
	}
	return nil
}

// putDepts brings the department items of c from the stored set had to
// the set its sections name now.
func (w *writes) putDepts(op string, c *workflow.Case, had []string) error {
	now := depts(c)
	for _, d := range now {
		if slices.Contains(had, d) {
			continue
		}
		item, err := attributevalue.MarshalMap(deptRow{PK: casePK(c.ID), SK: deptSK(d), GSI2PK: "DEPT#" + d, GSI2SK: listSK(c), Dept: d})
		if err != nil {
			return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
		}
		w.put(item, "", nil, nil)
	}
	for _, d := range had {
		if !slices.Contains(now, d) {
			*w = append(*w, types.TransactWriteItem{Delete: &types.Delete{Key: key(casePK(c.ID), deptSK(d))}})
		}
	}
	return nil
}

// transact runs the writes as one transaction.
func (s *Store) transact(ctx context.Context, op string, w writes) error {
	if len(w) > maxTransactItems {
		return &workflow.Error{Op: op, Kind: workflow.Invalid,
			Msg: fmt.Sprintf("一次保存的改动过多（%d 项，上限 %d 项），请分次操作", len(w), maxTransactItems)}
	}
	for i := range w {
		switch {
		case w[i].Put != nil:
			w[i].Put.TableName = aws.String(s.table)
		case w[i].Delete != nil:
			w[i].Delete.TableName = aws.String(s.table)
		}
	}
	// The SDK fills in ClientRequestToken and keeps it across its retries,
	// so a retried request that had in fact succeeded is not reported as a
	// failed condition.
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: w})
	return err
}

// CreateCase implements workflow.Store.
func (s *Store) CreateCase(ctx context.Context, c *workflow.Case, evs []workflow.Event) error {
	const op = "awsstore.CreateCase"
	if c.ID == "" {
		return workflow.Errorf(op, workflow.Invalid, "案件编号为空")
	}
	var w writes
	if err := w.putCase(op, c, 0); err != nil {
		return err
	}
	if err := w.putEvents(op, c.ID, evs); err != nil {
		return err
	}
	if err := w.putDepts(op, c, nil); err != nil {
		return err
	}
	if err := s.transact(ctx, op, w); err != nil {
		return s.fail(op, err, fmt.Sprintf("案件 %s 已存在", c.ID))
	}
	c.Version = 1
	return nil
}

// Case implements workflow.Store.
func (s *Store) Case(ctx context.Context, id string) (*workflow.Case, error) {
	const op = "awsstore.Case"
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(casePK(id), skCase),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	if out.Item == nil {
		return nil, notFound(op, id)
	}
	c, err := decodeCase(out.Item)
	if err != nil {
		return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
	}
	return c, nil
}

func notFound(op, id string) error {
	return workflow.Errorf(op, workflow.NotFound, "没有案件 %s", id)
}

func changed(id string) string {
	return fmt.Sprintf("案件 %s 已被他人修改，请刷新后重试", id)
}

// SaveCase implements workflow.Store.
func (s *Store) SaveCase(ctx context.Context, c *workflow.Case, prev int, evs []workflow.Event) error {
	const op = "awsstore.SaveCase"
	if prev < 1 {
		return workflow.Errorf(op, workflow.Conflict, "案件 %s 尚未保存过，不能按版本 %d 修改", c.ID, prev)
	}
	had, err := s.storedDepts(ctx, op, c.ID)
	if err != nil {
		return err
	}
	var w writes
	if err := w.putCase(op, c, prev); err != nil {
		return err
	}
	if err := w.putEvents(op, c.ID, evs); err != nil {
		return err
	}
	if err := w.putDepts(op, c, had); err != nil {
		return err
	}
	if err := s.transact(ctx, op, w); err != nil {
		return s.fail(op, err, changed(c.ID))
	}
	c.Version = prev + 1
	return nil
}

// storedDepts returns the departments that the stored department items of
// a case name. Reading them before a save is safe: whatever changes them
// also moves the case's version, so a save built on a stale read fails its
// version condition.
func (s *Store) storedDepts(ctx context.Context, op, id string) ([]string, error) {
	var out []string
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :dept)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(casePK(id)), ":dept": str(deptSK("")),
		},
		ProjectionExpression: aws.String("SK"),
		ConsistentRead:       aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail(op, err, "")
		}
		for _, item := range page.Items {
			if sk, ok := item[attrSK].(*types.AttributeValueMemberS); ok {
				out = append(out, strings.TrimPrefix(sk.Value, deptSK("")))
			}
		}
	}
	return out, nil
}

// Events implements workflow.Store. A case with no events gives an empty
// list; a case that does not exist gives NotFound.
func (s *Store) Events(ctx context.Context, caseID string) ([]workflow.Event, error) {
	const op = "awsstore.Events"
	evs := []workflow.Event{}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :ev)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(casePK(caseID)), ":ev": str("EVENT#"),
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail(op, err, "")
		}
		for _, item := range page.Items {
			var row eventRow
			var e workflow.Event
			if err := attributevalue.UnmarshalMap(item, &row); err != nil {
				return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("decode event item of %s: %w", caseID, err)}
			}
			if err := json.Unmarshal([]byte(row.Data), &e); err != nil {
				return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("decode event %s of %s: %w", row.SK, caseID, err)}
			}
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		// Tell "no events yet" from "no such case"; rare, so the extra
		// read costs nothing in practice.
		if _, err := s.Case(ctx, caseID); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// Cases implements workflow.Store. See the package comment for the indexes
// it reads and their consistency.
func (s *Store) Cases(ctx context.Context, q workflow.Query) ([]*workflow.Case, error) {
	const op = "awsstore.Cases"
	index, pk := indexList, "CASES"
	switch {
	case q.Dept != "":
		index, pk = indexList, "DEPT#"+q.Dept
	case q.Stage != "":
		index, pk = indexStage, "STAGE#"+string(q.Stage)
	}
	idx := map[string]string{indexStage: attrGSI1PK, indexList: attrGSI2PK}[index]
	var keys []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": idx},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ScanIndexForward:          aws.Bool(false),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail(op, err, "")
		}
		for _, item := range page.Items {
			// Index items carry the table key; department items point at
			// their case's partition, whose case item has SK=CASE.
			keys = append(keys, map[string]types.AttributeValue{attrPK: item[attrPK], attrSK: str(skCase)})
		}
	}
	cs, err := s.batchGet(ctx, op, keys)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if matches(c, q) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *workflow.Case) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.ID, a.ID))
	})
	return out, nil
}

// matches checks a case read from the table against q, since the index
// that found it may lag behind the table.
func matches(c *workflow.Case, q workflow.Query) bool {
	if q.Stage != "" && c.Stage != q.Stage {
		return false
	}
	if q.Dept != "" && !slices.Contains(depts(c), q.Dept) {
		return false
	}
	return true
}

// batchGet reads the case items with the given keys, strongly consistent,
// 100 at a time (BatchGetItem's limit), retrying unprocessed keys.
func (s *Store) batchGet(ctx context.Context, op string, keys []map[string]types.AttributeValue) ([]*workflow.Case, error) {
	out := make([]*workflow.Case, 0, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for try := 1; len(req) > 0; try++ {
			if try > batchTries {
				return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("BatchGetItem left keys unprocessed after %d tries", batchTries)}
			}
			if try > 1 {
				if err := s.sleep(ctx, backoff(try)); err != nil {
					return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
				}
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, s.fail(op, err, "")
			}
			for _, item := range res.Responses[s.table] {
				c, err := decodeCase(item)
				if err != nil {
					return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
				}
				out = append(out, c)
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// fail translates an error from DynamoDB into a workflow.Error: a failed
// condition is Conflict with the message conflict, a missing table is an
// internal error that says how to create it, and anything else is Other.
func (s *Store) fail(op string, err error, conflict string) error {
	var (
		ccf *types.ConditionalCheckFailedException
		tce *types.TransactionCanceledException
		txc *types.TransactionConflictException
		rnf *types.ResourceNotFoundException
	)
	if conflict == "" {
		conflict = "数据已被他人修改，请刷新后重试"
	}
	switch {
	case errors.As(err, new(*workflow.Error)):
		return err // translated already
	case errors.As(err, &ccf), errors.As(err, &txc), errors.As(err, &tce) && slices.ContainsFunc(tce.CancellationReasons, failed):
		return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: conflict, Err: err}
	case errors.As(err, &rnf):
		return &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf(
			"table %q does not exist; deploy template.yaml, or create it with awsstore.CreateTable for a local DynamoDB: %w", s.table, err)}
	}
	return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
}
