package awsstore

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/docflow/docflow/internal/workflow"
)

// dynamoAPI is the part of the DynamoDB client that Store uses.
// *dynamodb.Client implements it; tests use a fake that returns the SDK's
// own exception types.
type dynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
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
	// allocateTries bounds the retries of AllocateNumber when only the
	// counter moved under it. Each retry means that another writer got to
	// the counter first, so running out takes a crowd of publications at
	// the same moment.
	allocateTries = 200
	// batchTries bounds the rounds of a batch call spent on unprocessed
	// keys, which DynamoDB returns when it throttles.
	batchTries = 20
	// scanPages bounds the index pages one list reads when filters drop
	// what the index finds: a request reads a page or a few, never a table.
	scanPages = 5
	// dueScan is how many entries of the index of open deadlines a query
	// of a department's overdue list reads, keeping the department's:
	// about 200 KB of entries, 25 read units, where reading the summaries
	// of that many would cost a thousand.
	dueScan = 1000

	skCase    = "CASE"
	skDue     = "DUE" // the case's entry in the index of open deadlines
	skOpinion = "CASE#OPINION"
	skFrame   = "CASE#FRAME"
	skPlan    = "CASE#PLAN"
	skCounter = "COUNTER"
	skNumber  = "NUMBER"
	// form marks a case record in the current layout: z holds the record
	// and its summary together (recordBody). Records of form 2 keep the
	// summary apart, in the attribute summary; they are read as they are
	// and written as form 3 at their next change. docflow 1 wrote the
	// whole case into one item and no form (see Upgrade).
	form  = 3
	form2 = 2
	// createdLayout is fixed-width so that sort keys order as times do,
	// and in workflow.Zone so that a year is a prefix of the key.
	createdLayout = "2006-01-02T15:04:05.000000000"
)

func casePK(id string) string    { return "CASE#" + id }
func sectionSK(id string) string { return "CASE#SEC#" + id }
func deptSK(dept string) string  { return "DEPT#" + dept }
func entrySK(list string) string { return "LIST#" + list }

// listKeys are the lists of GSI2, besides CASES and its departments', a
// case is listed in: its year's, its kind's (KindOpinion for a 审议意见)
// and its kind's in its year, so that each such list reads its own
// partition, not every case before it.
func listKeys(sum *workflow.Summary) []string {
	k := sum.Kind
	if k == "" {
		k = workflow.KindOpinion
	}
	y := sum.Year()
	return []string{yearList(y), kindList(k), kindYearList(k, y)}
}

func yearList(year int) string                  { return "YEAR#" + strconv.Itoa(year) }
func kindList(kind string) string               { return "KIND#" + kind }
func kindYearList(kind string, year int) string { return kindList(kind) + "#" + strconv.Itoa(year) }
func counterPK(series string, year int) string  { return fmt.Sprintf("SERIES#%s#%d", series, year) }
func numberPK(key string) string                { return "NUMBER#" + key }
func listSK(id string, created time.Time) string {
	return created.In(workflow.Zone).Format(createdLayout) + "#" + id
}

// dueSK orders a case in the index of open deadlines as the overdue list
// goes (workflow.Query.Overdue): by its next deadline, then as listSK
// ascending. A deadline before a day sorts below dayKey of that day.
func dueSK(id string, nextDue, created time.Time) string {
	return nextDue.In(workflow.Zone).Format(createdLayout) + "#" + listSK(id, created)
}

func dayKey(day time.Time) string { return day.In(workflow.Zone).Format(createdLayout) }

// pkDue is the one partition of the index of open deadlines. Its entry
// is written when a case's deadline moves, not on every write of the
// record, far below the thousand writes a second a partition takes.
const pkDue = "DUE"

// eventSK numbers the events of a stream so that they sort by Seq: the
// case's own stream as docflow 1 numbered its events, each section's after
// its ID.
func eventSK(stream string, seq int) string {
	if stream == "" {
		return fmt.Sprintf("EVENT#%010d", seq)
	}
	return fmt.Sprintf("EVENT#%s#%010d", stream, seq)
}

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

type recordRow struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	GSI1PK  string `dynamodbav:"GSI1PK"`
	GSI1SK  string `dynamodbav:"GSI1SK"`
	GSI2PK  string `dynamodbav:"GSI2PK"`
	GSI2SK  string `dynamodbav:"GSI2SK"`
	Form    int    `dynamodbav:"form"`
	Version int    `dynamodbav:"version"`
	Stage   string `dynamodbav:"stage"`
	Z       []byte `dynamodbav:"z"`                 // recordBody (form 2: the workflow.Record; see encode)
	Summary []byte `dynamodbav:"summary,omitempty"` // form 2: the workflow.Summary
}

// recordBody is what the record item keeps in z: the record and the
// summary lists read, in one deflated stream. The summary repeats much of
// the record and of the words around it (names, titles, departments),
// which deflate then writes once: a record in sign-off stays under 2 KB,
// where the two apart took up to 3 KB, and a record is written on most
// changes, twice over in a transaction.
type recordBody struct {
	Record  *workflow.Record  `json:"record"`
	Summary *workflow.Summary `json:"summary"`
}

// summary decodes the summary of a record item read by row.
func (row *recordRow) summary() (*workflow.Summary, error) {
	var sum workflow.Summary
	switch row.Form {
	case form:
		if err := decode(row.Z, &recordBody{Summary: &sum}); err != nil {
			return nil, fmt.Errorf("decode summary of %s: %w", row.PK, err)
		}
	case form2:
		if err := decode(row.Summary, &sum); err != nil {
			return nil, fmt.Errorf("decode summary of %s: %w", row.PK, err)
		}
	default:
		return nil, fmt.Errorf("%s: %w", row.PK, errNotUpgraded)
	}
	return &sum, nil
}

// dueRow is a case's entry in the index of open deadlines, while it has
// one (dueKeys). It is an item of its own, not keys on the record: the
// record is written on most changes and billed by the started kilobyte,
// twice in a transaction, and the keys would add about 90 bytes to every
// write of an open case's record (a record just under a kilobyte would
// cost 4 units a write instead of 2), where this item is written only
// when the deadline or the departments change.
type dueRow struct {
	PK     string   `dynamodbav:"PK"`
	SK     string   `dynamodbav:"SK"`
	GSI3PK string   `dynamodbav:"GSI3PK"`
	GSI3SK string   `dynamodbav:"GSI3SK"`
	DK     []string `dynamodbav:"dk,stringset,omitempty"` // deptKey of each department, projected into GSI3
	// RV is the version of the record the entry was written for (see
	// moved).
	RV int `dynamodbav:"rv,omitempty"`
}

type dataRow struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	V    int    `dynamodbav:"v,omitempty"`    // sections: the version conditions check
	Z    []byte `dynamodbav:"z,omitempty"`    // workflow.Opinion, Section or Event (see encode)
	Data string `dynamodbav:"data,omitempty"` // an event as docflow 1 wrote it: plain JSON
}

// decode reads what encode wrote, or the plain JSON of docflow 1.
func (r *dataRow) decode(v any) error {
	if r.Z == nil {
		return json.Unmarshal([]byte(r.Data), v)
	}
	return decode(r.Z, v)
}

type deptRow struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI2PK string `dynamodbav:"GSI2PK"`
	GSI2SK string `dynamodbav:"GSI2SK"`
}

// numberRow registers a 来文字号 (workflow.NumberKey) to the case that
// holds it (workflow.Claim).
type numberRow struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Case string `dynamodbav:"case"`
}

type counterRow struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Last int    `dynamodbav:"last"`
}

func internal(op string, err error) error {
	return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
}

// encode turns v into the binary attribute an item keeps it in: its JSON,
// deflated. DynamoDB bills writes by the kilobyte, twice in a transaction,
// and the JSON of a case's record or summary — Chinese text, repeated keys
// — shrinks to about half. A record too large for an item is refused.
func encode(op, what string, v any) ([]byte, error) { return encodeDict(op, what, v, nil) }

// encodeDict is encode with dict as the window deflate starts with (nil:
// none), so that what v repeats of dict costs a back-reference.
func encodeDict(op, what string, v any, dict []byte) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, internal(op, fmt.Errorf("encode %s: %w", what, err))
	}
	if len(b) > workflow.MaxRecord {
		return nil, workflow.Errorf(op, workflow.Invalid, "%s过大（%d KB，上限 %d KB），无法保存", what, len(b)>>10, workflow.MaxRecord>>10)
	}
	var z bytes.Buffer
	w, err := flate.NewWriterDict(&z, flate.BestCompression, dict)
	if err != nil {
		return nil, internal(op, err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		return nil, internal(op, err)
	}
	return z.Bytes(), nil
}

func decode(z []byte, v any) error { return decodeDict(z, nil, v) }

// decodeDict reads what encodeDict wrote with the same dict.
func decodeDict(z, dict []byte, v any) error {
	b, err := inflate(z, dict)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// inflate undoes deflate, with the dictionary it was made with (nil:
// none), up to twice workflow.MaxRecord.
func inflate(z, dict []byte) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(flate.NewReaderDict(bytes.NewReader(z), dict), 2*workflow.MaxRecord))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return b, nil
}

// writes is the item list of one transaction being built.
type writes []types.TransactWriteItem

func (w *writes) put(item any, cond string, names map[string]string, values map[string]types.AttributeValue) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return err
	}
	p := &types.Put{Item: av, ExpressionAttributeNames: names, ExpressionAttributeValues: values}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
	}
	*w = append(*w, types.TransactWriteItem{Put: p})
	return nil
}

// versioned returns the condition that an item is at version v of the
// attribute name (v 0: that it does not exist).
func versioned(name string, v int) (string, map[string]string, map[string]types.AttributeValue) {
	if v == 0 {
		return "attribute_not_exists(PK)", nil, nil
	}
	return "#v = :v", map[string]string{"#v": name}, map[string]types.AttributeValue{":v": num(v)}
}

// index is the department index entries a change adds and removes, and
// where in its transaction its 来文字号 claims are.
type index struct {
	add, drop []types.WriteRequest
	claims    []int
	// fresh are a new case's items written before its transaction, each
	// on condition that it does not exist (a case with that ID does not):
	// its opinion and its deadline entry.
	fresh []map[string]types.AttributeValue
	// later are deadline entries moved later, written after the change.
	later []moved
}

// moved is a deadline entry to write on condition that the entry there
// is still where the change found it (from), and was not written for a
// later version of the record than rv, the one the change read: a
// change after it may have moved the entry back to where it was.
type moved struct {
	item map[string]types.AttributeValue
	from string
	rv   int
}

// after writes what goes after a change: the index entries it drops,
// and the deadline entry it moved later. An entry that moved meanwhile
// (another change moved it earlier) is left where it is.
func (s *Store) after(ctx context.Context, op string, idx index) error {
	if err := s.batchWrite(ctx, op, idx.drop); err != nil {
		return err
	}
	for _, m := range idx.later {
		err := s.putIf(ctx, m.item, "#sk = :from AND (attribute_not_exists(rv) OR rv <= :rv)",
			map[string]string{"#sk": attrGSI3SK}, map[string]types.AttributeValue{":from": str(m.from), ":rv": num(m.rv)})
		if err != nil && !conditionFailed(err) {
			return s.fail(op, err, "")
		}
	}
	return nil
}

// addFresh adds a new case's item to the writes before the transaction.
func (idx *index) addFresh(item any) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return err
	}
	idx.fresh = append(idx.fresh, av)
	return nil
}

// before writes what goes before a change: a new case's items, each on
// condition that it does not exist yet (Conflict if one does: the case
// exists), then the index entries it adds. It returns the new case's items
// it wrote, for undo. An item found already there with the same content is
// taken for this change's, written by a try whose answer was lost (the SDK
// retries) — or it is another case's, the same: so it is not among those
// returned, and a change that fails leaves it.
func (s *Store) before(ctx context.Context, op string, idx index) ([]map[string]types.AttributeValue, error) {
	var wrote []map[string]types.AttributeValue
	for _, item := range idx.fresh {
		err := s.putIf(ctx, item, "attribute_not_exists(PK)", nil, nil)
		switch {
		case err == nil:
			wrote = append(wrote, item)
			continue
		case conditionFailed(err):
			if was, gerr := s.item(ctx, attributeS(item, attrPK), attributeS(item, attrSK)); gerr == nil && sameItem(was, item) {
				continue
			}
		}
		s.undo(ctx, op, wrote)
		return nil, s.fail(op, err, fmt.Sprintf("案件 %s 已存在", strings.TrimPrefix(attributeS(item, attrPK), casePK(""))))
	}
	return wrote, s.batchWrite(ctx, op, idx.add)
}

// sameItem reports whether two items hold the same attributes: a new
// case's opinion or deadline entry (strings, numbers, bytes, string sets).
func sameItem(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			if attributeS(b, k) != v.Value {
				return false
			}
		case *types.AttributeValueMemberB:
			if !bytes.Equal(attributeB(b, k), v.Value) {
				return false
			}
		case *types.AttributeValueMemberN:
			if w, ok := b[k].(*types.AttributeValueMemberN); !ok || w.Value != v.Value {
				return false
			}
		case *types.AttributeValueMemberSS:
			if w, ok := b[k].(*types.AttributeValueMemberSS); !ok || !sameSet(w.Value, v.Value) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// undo deletes a new case's items written before its change failed: a
// case that was not written leaves nothing behind but pointers (department
// and list entries), which lists read past. It is best effort.
func (s *Store) undo(ctx context.Context, op string, fresh []map[string]types.AttributeValue) {
	var del []types.WriteRequest
	for _, item := range fresh {
		del = append(del, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(attributeS(item, attrPK), attributeS(item, attrSK))}})
	}
	s.batchWrite(ctx, op, del)
}

// change builds the transaction of ch, and the department index entries to
// write around it. With outside, what can go outside the transaction is
// left out of it: a batch written ahead (see ahead), a new case's opinion
// and deadline entry (index.fresh).
func (s *Store) change(op string, ch *workflow.Change, outside bool) (w writes, idx index, err error) {
	c := ch.Case
	if c == nil || c.ID == "" {
		return nil, idx, workflow.Errorf(op, workflow.Invalid, "案件编号为空")
	}
	pk := casePK(c.ID)
	if ch.Record {
		sum := c.Summary()
		row, err := recordItem(op, c.Record, &sum, c.Version+1)
		if err != nil {
			return nil, idx, err
		}
		lsk := row.GSI2SK
		cond, names, values := versioned("version", c.Version)
		if err := w.put(row, cond, names, values); err != nil {
			return nil, idx, internal(op, err)
		}
		// The deadline entry goes outside the transaction where that is
		// safe, at half the price. It must never hold a later deadline or
		// fewer departments than the record it points at (that would keep
		// the case off an overdue list), while one earlier or wider is
		// read past until it is right. So a new case's entry (and its
		// opinion, below: 1–2 KB, never rewritten but by a revision) is
		// written before the change, on condition that it does not exist
		// (Commit deletes it if the change fails); an entry moved earlier
		// or wider, before the change; later or narrower, after it, on
		// condition that it is still the one for the record as read (see
		// moved); a move that is both, in the transaction. A deleted
		// entry goes after the change, as a department's does.
		_, wasSK, wasDK := dueKeys(&ch.Was)
		entry, del := due(c, &ch.Was, &sum)
		move := entry != nil && outside && ch.Was.ID != "" && wasSK != ""
		switch {
		case entry != nil && c.Version == 0 && outside:
			if err := idx.addFresh(entry); err != nil {
				return nil, idx, internal(op, err)
			}
		case move && entry.GSI3SK <= wasSK && superset(entry.DK, wasDK):
			item, err := attributevalue.MarshalMap(entry)
			if err != nil {
				return nil, idx, internal(op, err)
			}
			idx.add = append(idx.add, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		case move && entry.GSI3SK >= wasSK && superset(wasDK, entry.DK):
			item, err := attributevalue.MarshalMap(entry)
			if err != nil {
				return nil, idx, internal(op, err)
			}
			idx.later = append(idx.later, moved{item: item, from: wasSK, rv: c.Version})
		case entry != nil:
			if err := w.put(entry, "", nil, nil); err != nil {
				return nil, idx, internal(op, err)
			}
		case del && outside:
			idx.drop = append(idx.drop, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, skDue)}})
		case del:
			w = append(w, types.TransactWriteItem{Delete: &types.Delete{Key: key(pk, skDue)}})
		}
		if ch.Opinion {
			data, err := encode(op, "来文记录", &c.Opinion)
			if err != nil {
				return nil, idx, err
			}
			row := dataRow{PK: pk, SK: skOpinion, Z: data}
			if c.Version == 0 && outside {
				err = idx.addFresh(row)
			} else {
				err = w.put(row, "", nil, nil)
			}
			if err != nil {
				return nil, idx, internal(op, err)
			}
		}
		if ch.Frame {
			// Its own item: the record is written on most changes and is
			// billed by the kilobyte; the frame's text changes rarely.
			data, err := encode(op, "报告开头和结尾", &c.Frame)
			if err != nil {
				return nil, idx, err
			}
			if err := w.put(dataRow{PK: pk, SK: skFrame, Z: data}, "", nil, nil); err != nil {
				return nil, idx, internal(op, err)
			}
		}
		for _, d := range sum.Depts {
			if !slices.Contains(ch.Was.Depts, d) {
				item, err := attributevalue.MarshalMap(deptRow{PK: pk, SK: deptSK(d), GSI2PK: "DEPT#" + d, GSI2SK: lsk})
				if err != nil {
					return nil, idx, internal(op, err)
				}
				idx.add = append(idx.add, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
			}
		}
		for _, d := range ch.Was.Depts {
			if !slices.Contains(sum.Depts, d) {
				idx.drop = append(idx.drop, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, deptSK(d))}})
			}
		}
		// The entries of its year's and kind's lists, like a department's.
		// A case moves to the year of its 成文日期 when numbered
		// (Summary.Year). A change that does not say what the case was
		// (Was) leaves the entries.
		if c.Version == 0 || ch.Was.ID != "" {
			var was []string
			if ch.Was.ID != "" {
				was = listKeys(&ch.Was)
			}
			now := listKeys(&sum)
			for _, l := range now {
				if !slices.Contains(was, l) {
					item, err := attributevalue.MarshalMap(deptRow{PK: pk, SK: entrySK(l), GSI2PK: l, GSI2SK: lsk})
					if err != nil {
						return nil, idx, internal(op, err)
					}
					idx.add = append(idx.add, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
				}
			}
			for _, l := range was {
				if !slices.Contains(now, l) {
					idx.drop = append(idx.drop, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, entrySK(l))}})
				}
			}
		}
	}
	plan := planned(ch)
	if plan {
		// Every section without an item of its own, in one item: the
		// record's condition guards it (see planned).
		var secs []workflow.Section
		for _, sec := range c.Sections {
			if sec.V == 0 {
				secs = append(secs, sec)
			}
		}
		if len(secs) == 0 {
			w = append(w, types.TransactWriteItem{Delete: &types.Delete{Key: key(pk, skPlan)}})
		} else {
			data, err := encode(op, "交办方案", secs)
			if err != nil {
				return nil, idx, err
			}
			if err := w.put(dataRow{PK: pk, SK: skPlan, Z: data}, "", nil, nil); err != nil {
				return nil, idx, internal(op, err)
			}
		}
	}
	for _, id := range ch.Sections {
		sec, ok := c.Section(id)
		if !ok {
			return nil, idx, workflow.Errorf(op, workflow.Invalid, "案件 %s 没有部分 %s", c.ID, id)
		}
		if plan && sec.V == 0 {
			continue // in the plan
		}
		x := *sec
		x.V = 0 // the attribute holds it
		data, err := encode(op, "部分记录", &x)
		if err != nil {
			return nil, idx, err
		}
		cond, names, values := versioned("v", sec.V)
		if err := w.put(dataRow{PK: pk, SK: sectionSK(id), V: sec.V + 1, Z: data}, cond, names, values); err != nil {
			return nil, idx, internal(op, err)
		}
	}
	for _, d := range ch.Drop {
		if plan && d.V == 0 {
			continue // left out of the plan
		}
		cond, names, values := versioned("v", d.V)
		w = append(w, types.TransactWriteItem{Delete: &types.Delete{Key: key(pk, sectionSK(d.ID)),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values}})
	}
	for _, e := range ch.Events {
		// Events are opaque to the store, but filing one under another case
		// or without a number is a bug that should not reach the audit trail.
		if e.Case != c.ID || e.Seq <= 0 {
			return nil, idx, workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（案件 %q 第 %d 条）", e.Case, e.Seq)
		}
		data, err := encode(op, "审计记录", &e)
		if err != nil {
			return nil, idx, err
		}
		// The audit trail is append-only: an event is written once.
		if err := w.put(dataRow{PK: pk, SK: eventSK(e.Stream, e.Seq), Z: data}, "attribute_not_exists(PK)", nil, nil); err != nil {
			return nil, idx, internal(op, err)
		}
	}
	if ch.Also != nil {
		if ch.Also.Also != nil || ch.Also.Case == nil || ch.Also.Case.ID == c.ID {
			return nil, idx, workflow.Errorf(op, workflow.Invalid, "一次保存只能同时写两个不同的案件")
		}
		aw, aidx, err := s.change(op, ch.Also, false)
		if err != nil {
			return nil, idx, err
		}
		for _, i := range aidx.claims {
			idx.claims = append(idx.claims, len(w)+i)
		}
		w = append(w, aw...)
		idx.add, idx.drop, idx.fresh, idx.later = append(idx.add, aidx.add...), append(idx.drop, aidx.drop...), append(idx.fresh, aidx.fresh...), append(idx.later, aidx.later...)
	}
	for _, cl := range ch.Claims {
		if cl.Key == "" || len(cl.Key) > workflow.MaxKey || cl.From == "" && cl.To == "" {
			return nil, idx, workflow.Errorf(op, workflow.Invalid, "来文字号登记有误（%q）", cl.Key)
		}
		holder := map[string]string{"#c": "case"}
		from := map[string]types.AttributeValue{":from": str(cl.From)}
		switch {
		case cl.To == "":
			// Released if this case holds it; a key nobody holds is fine.
			w = append(w, types.TransactWriteItem{Delete: &types.Delete{Key: key(numberPK(cl.Key), skNumber),
				ConditionExpression: aws.String("attribute_not_exists(PK) OR #c = :from"), ExpressionAttributeNames: holder, ExpressionAttributeValues: from}})
			idx.claims = append(idx.claims, len(w)-1)
			continue
		case cl.From == "":
			err = w.put(numberRow{PK: numberPK(cl.Key), SK: skNumber, Case: cl.To}, "attribute_not_exists(PK)", nil, nil)
		default:
			err = w.put(numberRow{PK: numberPK(cl.Key), SK: skNumber, Case: cl.To}, "#c = :from", holder, from)
		}
		if err != nil {
			return nil, idx, internal(op, err)
		}
		idx.claims = append(idx.claims, len(w)-1)
	}
	if b := ch.Outbox; b != nil && !(outside && aheadOf(ch)) {
		// The change's messages, written with it or not at all; like its
		// events, a batch is written once.
		item, err := batchItem(op, b, 1)
		if err != nil {
			return nil, idx, err
		}
		w = append(w, types.TransactWriteItem{Put: &types.Put{Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	if len(w) > maxTransactItems {
		return nil, idx, workflow.Errorf(op, workflow.Invalid, "一次保存的改动过多（%d 项，上限 %d 项），请分次操作", len(w), maxTransactItems)
	}
	return w, idx, nil
}

// recordItem is the item of a case's record at version v, with its
// summary.
func recordItem(op string, rec workflow.Record, sum *workflow.Summary, v int) (recordRow, error) {
	rec.Version = 0 // the attribute holds it
	data, err := encode(op, "案件记录", recordBody{Record: &rec, Summary: sum})
	if err != nil {
		return recordRow{}, err
	}
	lsk := listSK(rec.ID, rec.Created)
	return recordRow{PK: casePK(rec.ID), SK: skCase, GSI1PK: "STAGE#" + string(rec.Stage), GSI1SK: lsk, GSI2PK: "CASES", GSI2SK: lsk,
		Form: form, Version: v, Stage: string(rec.Stage), Z: data}, nil
}

// due says how the case's entry in the index of open deadlines changes:
// written (row) when the case's next deadline or its departments differ
// from those of was, the summary as read, and deleted (del) when it has
// no deadline open any more. A change with no summary as read (Change.Was
// zero) of a case already stored writes the entry as it should be, or
// deletes it.
func due(c *workflow.Case, was, now *workflow.Summary) (row *dueRow, del bool) {
	pk, sk, dk := dueKeys(now)
	wasPK, wasSK, wasDK := dueKeys(was)
	known := c.Version == 0 || was.ID != ""
	switch {
	case known && sk == wasSK && sameSet(dk, wasDK):
		return nil, false
	case pk != "":
		return &dueRow{PK: casePK(c.ID), SK: skDue, GSI3PK: pk, GSI3SK: sk, DK: dk, RV: c.Version + 1}, false
	case known && wasPK == "":
		return nil, false
	}
	return nil, true
}

// superset reports whether a holds every string of b.
func superset(a, b []string) bool {
	return !slices.ContainsFunc(b, func(s string) bool { return !slices.Contains(a, s) })
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) })
}

// dueKeys are a case's keys in the index of open deadlines, and the
// departments its entry there holds (deptKey): none once it has no
// deadline open.
func dueKeys(sum *workflow.Summary) (pk, sk string, depts []string) {
	if sum.NextDue.IsZero() {
		return "", "", nil
	}
	for _, d := range sum.Depts {
		if k := deptKey(d); d != "" && !slices.Contains(depts, k) { // a set holds no empty or repeated strings
			depts = append(depts, k)
		}
	}
	return pkDue, dueSK(sum.ID, sum.NextDue, sum.Created), depts
}

// deptKey is a department as a case's entry in the index of open
// deadlines holds it: four characters (24 bits of its name's SHA-256)
// instead of the name's twelve bytes or more, in the entry and in each
// index read of a department's overdue list. Two departments whose keys
// collide cost a list a summary read: the list checks each summary's
// departments (matches).
func deptKey(dept string) string {
	h := sha256.Sum256([]byte(dept))
	return base64.RawURLEncoding.EncodeToString(h[:3])
}

// transact runs the writes as one transaction.
func (s *Store) transact(ctx context.Context, w writes) error {
	for i := range w {
		switch {
		case w[i].Put != nil:
			w[i].Put.TableName = aws.String(s.table)
		case w[i].Delete != nil:
			w[i].Delete.TableName = aws.String(s.table)
		case w[i].ConditionCheck != nil:
			w[i].ConditionCheck.TableName = aws.String(s.table)
		}
	}
	// The SDK fills in ClientRequestToken and keeps it across its retries,
	// so a retried request that had in fact succeeded is not reported as a
	// failed condition.
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: w})
	return err
}

// Commit implements workflow.Store: one TransactWriteItems in which every
// item written is conditioned on the version read. The department index
// entries it adds are written before it and those it removes after it,
// outside the transaction, where they cost half: an entry is only a
// pointer, and a list checks what it points at (see Cases), so an entry
// left by a change that failed, or by a crash between the two, is read
// past, never shown.
func (s *Store) Commit(ctx context.Context, ch *workflow.Change) error {
	const op = "awsstore.Commit"
	w, idx, err := s.change(op, ch, true)
	if err != nil {
		return err
	}
	if o, v, ok := own(ch, w, idx); ok {
		return s.commitOwn(ctx, op, ch, o, v, idx)
	}
	wrote, err := s.before(ctx, op, idx)
	if err != nil {
		return err
	}
	if err := s.ahead(ctx, op, ch); err != nil {
		s.undo(ctx, op, wrote)
		return err
	}
	if err := s.transact(ctx, w); err != nil {
		if cancelled(err) {
			if aheadOf(ch) {
				s.dropAhead(ctx, ch.Outbox)
			}
			s.undo(ctx, op, wrote)
		}
		s.settleCanceled(ctx, w, err)
		if claimFailed(err, idx.claims) {
			return &workflow.Error{Op: op, Kind: workflow.Conflict, Msg: "该来文字号已登记为另一案件", Err: fmt.Errorf("%w: %w", workflow.ErrNumberTaken, err)}
		}
		return s.fail(op, err, fmt.Sprintf("案件 %s 已被他人修改，请刷新后重试", ch.Case.ID))
	}
	applied(ch)
	return s.after(ctx, op, idx)
}

// claimFailed reports whether a transaction was cancelled because the
// condition of one of its 来文字号 claims (items at the positions given)
// failed.
func claimFailed(err error, claims []int) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, i := range claims {
		if i < len(tce.CancellationReasons) && failed(tce.CancellationReasons[i]) {
			return true
		}
	}
	return false
}

// Registered implements workflow.Store.
func (s *Store) Registered(ctx context.Context, k string) (string, error) {
	const op = "awsstore.Registered"
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(numberPK(k), skNumber), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", s.fail(op, err, "")
	}
	if out.Item == nil {
		return "", workflow.Errorf(op, workflow.NotFound, "来文字号 %s 未登记", k)
	}
	var row numberRow
	if err := attributevalue.UnmarshalMap(out.Item, &row); err != nil {
		return "", internal(op, err)
	}
	return row.Case, nil
}

// planned reports whether ch keeps the case's sections that have no item
// of their own in its plan item (CASE#PLAN) rather than giving each its
// item: when the case was read while being assigned and the change writes
// its record. Until dispatch, every change that touches a section writes
// the record (each adds an event to the case's own stream), conditioned on
// its version; no other change can write a section then, since section
// actions start at drafting. So an outline of 13 parts costs one item at
// assignment and one at dispatch, not 13 each; a section gets its own item
// at its first change after dispatch (version 0: on condition that it has
// none), and from then on that item is the section.
func planned(ch *workflow.Change) bool {
	if !ch.Record || ch.Was.Stage != workflow.Assigning {
		return false
	}
	for _, id := range ch.Sections {
		if sec, ok := ch.Case.Section(id); ok && sec.V == 0 {
			return true
		}
	}
	return slices.ContainsFunc(ch.Drop, func(d workflow.Dropped) bool { return d.V == 0 })
}

// applied sets the versions a successful commit gave the records it wrote.
func applied(ch *workflow.Change) {
	if ch.Also != nil {
		applied(ch.Also)
	}
	c := ch.Case
	plan := planned(ch)
	if ch.Record {
		c.Version++
	}
	for _, id := range ch.Sections {
		if sec, _ := c.Section(id); !plan || sec.V > 0 {
			sec.V++
		}
	}
	if ch.Outbox != nil {
		ch.Outbox.V = 1
	}
}

// batchWrite writes items outside a transaction, 25 at a time (the limit
// of BatchWriteItem), retrying what DynamoDB leaves unprocessed.
func (s *Store) batchWrite(ctx context.Context, op string, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		n := min(len(reqs), 25)
		pending := map[string][]types.WriteRequest{s.table: reqs[:n]}
		reqs = reqs[n:]
		for try := 1; len(pending) > 0; try++ {
			if try > batchTries {
				return internal(op, fmt.Errorf("BatchWriteItem left items unprocessed after %d tries", batchTries))
			}
			if try > 1 {
				if err := s.sleep(ctx, backoff(try)); err != nil {
					return internal(op, err)
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return s.fail(op, err, "")
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// Case implements workflow.Store: one Query reads the case's record, its
// opinion and its sections, which share the prefix CASE of the sort key.
func (s *Store) Case(ctx context.Context, id string) (*workflow.Case, error) {
	const op = "awsstore.Case"
	items, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :case)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(casePK(id)), ":case": str(skCase)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	c := &workflow.Case{}
	found := false
	var plan []workflow.Section
	for _, item := range items {
		var row dataRow
		if err := attributevalue.UnmarshalMap(item, &row); err != nil {
			return nil, internal(op, err)
		}
		switch {
		case row.SK == skCase:
			found = true
			if err := decodeRecord(item, &c.Record); err != nil {
				return nil, internal(op, fmt.Errorf("case %s: %w", id, err))
			}
		case row.SK == skOpinion:
			if err := row.decode(&c.Opinion); err != nil {
				return nil, internal(op, fmt.Errorf("decode opinion of %s: %w", id, err))
			}
		case row.SK == skFrame:
			if err := row.decode(&c.Frame); err != nil {
				return nil, internal(op, fmt.Errorf("decode frame of %s: %w", id, err))
			}
		case row.SK == skPlan:
			if err := row.decode(&plan); err != nil {
				return nil, internal(op, fmt.Errorf("decode plan of %s: %w", id, err))
			}
		case strings.HasPrefix(row.SK, sectionSK("")):
			var sec workflow.Section
			if err := row.decode(&sec); err != nil {
				return nil, internal(op, fmt.Errorf("decode section %s of %s: %w", row.SK, id, err))
			}
			sec.V = row.V
			c.Sections = append(c.Sections, sec)
		}
	}
	if !found {
		return nil, notFound(op, id)
	}
	c.Sections = merge(plan, c.Sections)
	return c, nil
}

// merge returns the sections of a case, in outline order, from its plan
// item and its section items: a section's own item, once it has one, is
// the section (see planned).
func merge(plan, own []workflow.Section) []workflow.Section {
	for _, sec := range plan {
		if !slices.ContainsFunc(own, func(o workflow.Section) bool { return o.ID == sec.ID }) {
			sec.V = 0
			own = append(own, sec)
		}
	}
	workflow.SortSections(own)
	return own
}

// errNotUpgraded is what reading a case of docflow 1 gives until the table
// is upgraded.
var errNotUpgraded = errors.New("the case is stored as docflow 1 wrote it; run `docflow upgrade-table` (awsstore.Upgrade) once")

func decodeRecord(item map[string]types.AttributeValue, rec *workflow.Record) error {
	var row recordRow
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return fmt.Errorf("decode record item: %w", err)
	}
	var err error
	switch row.Form {
	case form:
		err = decode(row.Z, &recordBody{Record: rec})
	case form2:
		err = decode(row.Z, rec)
	default:
		return errNotUpgraded
	}
	if err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	rec.Version = row.Version // the attribute the conditions check is the truth
	return nil
}

func notFound(op, id string) error {
	return workflow.Errorf(op, workflow.NotFound, "没有案件 %s", id)
}

// query reads the items a query selects, every page, or at most limit
// items (0: all).
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]map[string]types.AttributeValue, error) {
	in.TableName = aws.String(s.table)
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// Sections implements workflow.Store.
func (s *Store) Sections(ctx context.Context, caseIDs []string) (map[string][]workflow.Section, error) {
	const op = "awsstore.Sections"
	out := map[string][]workflow.Section{}
	for _, id := range caseIDs {
		// The plan item and then the section items: CASE#PLAN sorts just
		// before CASE#SEC#.
		items, err := s.query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :plan AND :sec"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(casePK(id)), ":plan": str(skPlan), ":sec": str(sectionSK("~"))},
		}, 0)
		if err != nil {
			return nil, s.fail(op, err, "")
		}
		var plan, own []workflow.Section
		for _, item := range items {
			var row dataRow
			if err := attributevalue.UnmarshalMap(item, &row); err != nil {
				return nil, internal(op, err)
			}
			if row.SK == skPlan {
				if err := row.decode(&plan); err != nil {
					return nil, internal(op, fmt.Errorf("decode plan of %s: %w", id, err))
				}
				continue
			}
			if !strings.HasPrefix(row.SK, sectionSK("")) {
				continue
			}
			var sec workflow.Section
			if err := row.decode(&sec); err != nil {
				return nil, internal(op, fmt.Errorf("decode section %s of %s: %w", row.SK, id, err))
			}
			sec.V = row.V
			own = append(own, sec)
		}
		if secs := merge(plan, own); len(secs) > 0 {
			out[id] = secs
		}
	}
	return out, nil
}

// Events implements workflow.Store.
func (s *Store) Events(ctx context.Context, caseID, stream string, before, limit int) ([]workflow.Event, error) {
	const op = "awsstore.Events"
	hi := eventSK(stream, 9_999_999_999)
	if before > 0 {
		hi = eventSK(stream, before-1)
	}
	items, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(casePK(caseID)), ":lo": str(eventSK(stream, 0)), ":hi": str(hi),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
		ConsistentRead:   aws.Bool(true),
	}, limit)
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	if before == 0 && len(items) > 0 {
		// The newest event may be a change of one stream still pending:
		// settled here, or left out (see commitOwn). It costs a read of the
		// item holding the stream's head.
		stands, err := s.settle(ctx, items[0])
		if err != nil {
			return nil, s.fail(op, err, "")
		}
		if !stands {
			items = items[1:]
		}
	}
	evs := make([]workflow.Event, 0, len(items))
	for _, item := range items {
		e, err := decodeEvent(item)
		if err != nil {
			return nil, internal(op, fmt.Errorf("case %s: %w", caseID, err))
		}
		evs = append(evs, e)
	}
	if len(evs) == 0 {
		// Tell "no events here" from "no such case" (or office); rare, so
		// the extra read costs nothing in practice.
		if err := s.exists(ctx, op, caseID); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

func decodeEvent(item map[string]types.AttributeValue) (workflow.Event, error) {
	var row dataRow
	var e workflow.Event
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return e, fmt.Errorf("decode event item: %w", err)
	}
	if zs := attributeB(item, "zs"); zs != nil { // a change of one stream (see ownRow)
		if err := decode(zs, &struct {
			Event *workflow.Event `json:"e"`
		}{&e}); err != nil {
			return e, fmt.Errorf("decode event %s: %w", row.SK, err)
		}
		return e, nil
	}
	if err := row.decode(&e); err != nil {
		return e, fmt.Errorf("decode event %s: %w", row.SK, err)
	}
	return e, nil
}

// exists checks that a case has a record or any event: the office's
// events (workflow.OfficeStream) have no record.
func (s *Store) exists(ctx context.Context, op, id string) error {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.table),
		KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :case AND :ev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(casePK(id)), ":case": str(skCase), ":ev": str("EVENT#~")},
		ProjectionExpression:      aws.String("PK"), Limit: aws.Int32(1), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return s.fail(op, err, "")
	}
	if len(out.Items) == 0 {
		return notFound(op, id)
	}
	return nil
}

// Event implements workflow.Store.
func (s *Store) Event(ctx context.Context, caseID, stream string, seq int) (workflow.Event, error) {
	const op = "awsstore.Event"
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(casePK(caseID), eventSK(stream, seq)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return workflow.Event{}, s.fail(op, err, "")
	}
	if out.Item == nil {
		return workflow.Event{}, workflow.Errorf(op, workflow.NotFound, "案件 %s 没有第 %d 条记录", caseID, seq)
	}
	e, err := decodeEvent(out.Item)
	if err != nil {
		return workflow.Event{}, internal(op, err)
	}
	return e, nil
}

// cursor is where a list stopped: the index key of the last entry read.
type cursor struct {
	Index string            `json:"i"`
	Key   map[string]string `json:"k"`
}

// Cases implements workflow.Store. It queries an index — the open
// deadlines up to the start of Today's day for the overdue list, oldest
// first, a department's only if one is asked for; else a department's
// entries, a stage, or every case, newest first — from the cursor, reads
// the summaries of what it found, and keeps those that pass the filters no
// index answers (year, search, a stage within a department or beside
// overdue). A request reads at most scanPages index pages: a search that
// finds little returns a short page with a cursor to read on, never the
// whole table. See the package comment for how far the indexes may lag.
func (s *Store) Cases(ctx context.Context, q workflow.Query) (workflow.Page, error) {
	const op = "awsstore.Cases"
	limit := q.Limit
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	index, pkName, skName, pk := indexList, attrGSI2PK, attrGSI2SK, "CASES"
	cond, filter := "#pk = :pk", ""
	names := map[string]string{"#pk": pkName}
	values := map[string]types.AttributeValue{":pk": str(pk)}
	scan := limit // index entries a query reads
	switch {
	case q.Overdue && (q.Public || q.Stage == workflow.Published):
		// A published case has no deadline open: nothing to read.
		return workflow.Page{}, nil
	case q.Overdue:
		index, pkName, skName, pk = indexDue, attrGSI3PK, attrGSI3SK, pkDue
		cond = "#pk = :pk AND #sk < :day"
		names = map[string]string{"#pk": pkName, "#sk": skName}
		values = map[string]types.AttributeValue{":pk": str(pk), ":day": str(dayKey(startOfDay(q.Today)))}
		if q.Dept != "" {
			// The index holds each entry's departments: DynamoDB drops the
			// other departments' entries as it reads, and the summaries
			// read are the department's.
			filter = "contains(#dk, :dept)"
			names["#dk"], values[":dept"] = attrDK, str(deptKey(q.Dept))
			scan = dueScan
		}
	case q.Dept != "":
		pk = "DEPT#" + q.Dept
		values[":pk"] = str(pk)
	case q.Stage != "":
		index, pkName, skName, pk = indexStage, attrGSI1PK, attrGSI1SK, "STAGE#"+string(q.Stage)
		names["#pk"], values[":pk"] = pkName, str(pk)
	case q.Kind != "" && q.Year != 0:
		pk = kindYearList(q.Kind, q.Year)
		values[":pk"] = str(pk)
	case q.Kind != "":
		pk = kindList(q.Kind)
		values[":pk"] = str(pk)
	case q.Year != 0:
		pk = yearList(q.Year)
		values[":pk"] = str(pk)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(q.Overdue), // the oldest deadline first; else the newest case
		Limit:                     aws.Int32(int32(scan)),
	}
	if filter != "" {
		in.FilterExpression = aws.String(filter)
	}
	if q.Cursor != "" {
		var cur cursor
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err == nil {
			err = json.Unmarshal(b, &cur)
		}
		// DynamoDB refuses a start key outside the key condition; so does this.
		outside := q.Overdue && cur.Key[skName] >= values[":day"].(*types.AttributeValueMemberS).Value
		if err != nil || cur.Index != index || cur.Key[pkName] != pk || len(cur.Key) != 4 || outside {
			return workflow.Page{}, workflow.Errorf(op, workflow.Invalid, "翻页参数无效，请从第一页重新查看")
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for k, v := range cur.Key {
			in.ExclusiveStartKey[k] = str(v)
		}
	}
	var p workflow.Page
	for range scanPages {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			if index == indexDue && validation(err) {
				err = fmt.Errorf("%w (a table from before the index %s of open deadlines lacks it: run `docflow upgrade-table` once)", err, indexDue)
			}
			return workflow.Page{}, s.fail(op, err, "")
		}
		// The summaries of as many entries as the page lacks at a time: a
		// query that a filter of its own narrowed may find more.
		for from := 0; from < len(out.Items); {
			to := min(len(out.Items), from+limit-len(p.Cases))
			sums, err := s.summaries(ctx, op, out.Items[from:to])
			if err != nil {
				return workflow.Page{}, err
			}
			for j, sum := range sums {
				if sum == nil || !matches(sum, q) {
					continue
				}
				p.Cases = append(p.Cases, *sum)
				if i := from + j; len(p.Cases) == limit {
					// Not the cursor of an index page read before this
					// one, which would give this page's cases again.
					p.Next = ""
					if i < len(out.Items)-1 || out.LastEvaluatedKey != nil {
						p.Next = encodeCursor(index, out.Items[i], pkName, skName)
					}
					return p, nil
				}
			}
			from = to
		}
		if out.LastEvaluatedKey == nil {
			p.Next = "" // the index ended: so does the list
			return p, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		p.Next = encodeCursor(index, out.LastEvaluatedKey, pkName, skName)
	}
	return p, nil
}

// validation reports whether DynamoDB refused a request as malformed, as it
// refuses a query of an index the table lacks.
func validation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

func encodeCursor(index string, item map[string]types.AttributeValue, pkName, skName string) string {
	cur := cursor{Index: index, Key: map[string]string{}}
	for _, k := range []string{attrPK, attrSK, pkName, skName} {
		if v, ok := item[k].(*types.AttributeValueMemberS); ok {
			cur.Key[k] = v.Value
		}
	}
	b, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(b)
}

// matches checks a summary read from the table against q: the filters no
// index answers, and those of the index that found it, which may lag
// behind the table.
func matches(s *workflow.Summary, q workflow.Query) bool {
	switch {
	case q.Stage != "" && s.Stage != q.Stage:
		return false
	case q.Dept != "" && !slices.Contains(s.Depts, q.Dept):
		return false
	case q.Year != 0 && s.Year() != q.Year:
		return false
	case q.Public && !s.Public():
		return false
	case q.Kind == workflow.KindOpinion && s.Kind != "", q.Kind != "" && q.Kind != workflow.KindOpinion && s.Kind != q.Kind:
		return false
	case q.Category != "" && s.Category != q.Category:
		return false
	case q.Overdue && (s.NextDue.IsZero() || !s.NextDue.Before(startOfDay(q.Today))):
		return false
	}
	fields := strings.Join([]string{s.Number, s.Title, s.Issuer, s.Heading, s.Doc}, "\n")
	for _, word := range strings.Fields(q.Text) {
		if !strings.Contains(fields, word) {
			return false
		}
	}
	return true
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.In(workflow.Zone).Date()
	return workflow.Day(y, m, d)
}

// summaries reads the summaries of the cases that index entries point at,
// strongly consistent, in the entries' order; nil for a case gone since.
func (s *Store) summaries(ctx context.Context, op string, entries []map[string]types.AttributeValue) ([]*workflow.Summary, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(entries))
	seen := map[string]bool{}
	for _, e := range entries {
		pk := e[attrPK].(*types.AttributeValueMemberS).Value
		if !seen[pk] {
			seen[pk] = true
			keys = append(keys, map[string]types.AttributeValue{attrPK: str(pk), attrSK: str(skCase)})
		}
	}
	byPK := map[string]*workflow.Summary{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys[:n], ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("PK, #f, z, summary"), ExpressionAttributeNames: map[string]string{"#f": "form"}}}
		keys = keys[n:]
		for try := 1; len(req) > 0; try++ {
			if try > batchTries {
				return nil, internal(op, fmt.Errorf("BatchGetItem left keys unprocessed after %d tries", batchTries))
			}
			if try > 1 {
				if err := s.sleep(ctx, backoff(try)); err != nil {
					return nil, internal(op, err)
				}
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, s.fail(op, err, "")
			}
			for _, item := range res.Responses[s.table] {
				var row recordRow
				if err := attributevalue.UnmarshalMap(item, &row); err != nil {
					return nil, internal(op, err)
				}
				sum, err := row.summary()
				if err != nil {
					return nil, internal(op, err)
				}
				byPK[row.PK] = sum
			}
			req = res.UnprocessedKeys
		}
	}
	out := make([]*workflow.Summary, len(entries))
	for i, e := range entries {
		out[i] = byPK[e[attrPK].(*types.AttributeValueMemberS).Value]
	}
	return out, nil
}

// item reads one item, strongly consistent; nil if there is none.
func (s *Store) item(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// cancelled reports whether err is a transaction cancelled, which wrote
// nothing.
func cancelled(err error) bool {
	var tce *types.TransactionCanceledException
	return errors.As(err, &tce)
}

// conditionFailed reports whether err is a failed condition: of a plain
// write, or of deleteIf's transaction of one item.
func conditionFailed(err error) bool {
	var (
		ccf *types.ConditionalCheckFailedException
		tce *types.TransactionCanceledException
	)
	return errors.As(err, &ccf) || errors.As(err, &tce) && len(tce.CancellationReasons) == 1 && failed(tce.CancellationReasons[0])
}

// putIf writes item on condition cond ("" for none).
func (s *Store) putIf(ctx context.Context, item map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) error {
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item, ExpressionAttributeNames: names, ExpressionAttributeValues: values}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	_, err := s.db.PutItem(ctx, in)
	return err
}

// putAt writes item on condition that the item there is at version v of
// the attribute attr (v 0: that there is none; see versioned).
func (s *Store) putAt(ctx context.Context, item map[string]types.AttributeValue, attr string, v int) error {
	cond, names, values := versioned(attr, v)
	return s.putIf(ctx, item, cond, names, values)
}

// deleteIf deletes the item at k on condition cond, in a transaction of
// that one item: the functions that serve requests link no DeleteItem
// otherwise (6 KB of code, which took intake past a 64 KB step of its
// size), and these deletes are rare — of a change that failed — so the
// second write unit a transaction bills does not count.
func (s *Store) deleteIf(ctx context.Context, k map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: aws.String(s.table), Key: k, ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values}}}})
	return err
}

func attributeB(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
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
		return internal(op, fmt.Errorf(
			"table %q does not exist; deploy template.yaml, or create it with awsstore.CreateTable for a local DynamoDB: %w", s.table, err))
	}
	return internal(op, err)
}
