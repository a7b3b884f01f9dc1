package awsstore

import (
	"cmp"
	"context"
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

// upgradeAPI is what Upgrade needs beyond Store's calls: a scan for the
// cases still in the old layout and the table's indexes.
type upgradeAPI interface {
	dynamoAPI
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTable(context.Context, *dynamodb.UpdateTableInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error)
}

// UpgradeReport says what Upgrade did.
type UpgradeReport struct {
	Cases   int      // cases brought to the current layout
	Events  int      // events written for their history
	Skipped []string // cases that changed while being upgraded: run again
	Numbers int      // 来文字号 registered to the cases opened before numbers were
	// DueIndex says that the table lacked the index of open deadlines
	// (GSI3) and Upgrade added it; Deadlines counts the cases whose entry
	// in it it wrote (or deleted).
	DueIndex  bool
	Deadlines int
	// Lists counts the cases whose entries in their year's and kind's
	// lists it wrote.
	Lists int
}

// indexPoll is how often Upgrade looks whether an index it added is
// ready, and indexWait how long it waits for one.
var (
	indexPoll = 5 * time.Second
	indexWait = 30 * time.Minute
)

// Upgrade brings a table written by an earlier docflow to the current
// layout: docflow 1's — each case one item holding its whole history — to
// records and events holding the history (workflow.UpgradeV1); the 来文字号
// of cases opened before they were registered (registerNumbers); the index
// of open deadlines, added to a table that lacks it, and the entries of
// the cases written before it (indexDeadlines). It is idempotent: the new
// items are the same however often they are written, each case's record is
// replaced last, on condition that it is still the old one, and a record
// or index already right is left alone, so a second run finds nothing left
// to do. Run it once after deploying this version, before users come back
// (`docflow upgrade-table`).
func Upgrade(ctx context.Context, db upgradeAPI, table string) (UpgradeReport, error) {
	const op = "awsstore.Upgrade"
	s := New(db, table)
	var rep UpgradeReport
	added, err := s.addDueIndex(ctx, op, db)
	if err != nil {
		return rep, err
	}
	rep.DueIndex = added
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("SK = :case AND attribute_not_exists(#f)"),
		ExpressionAttributeNames:  map[string]string{"#f": "form"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":case": str(skCase)},
	}
	p := dynamodb.NewScanPaginator(db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return rep, s.fail(op, err, "")
		}
		for _, item := range page.Items {
			var old struct {
				PK      string `dynamodbav:"PK"`
				Version int    `dynamodbav:"version"`
				Data    string `dynamodbav:"data"` // the whole case, as JSON
			}
			if err := attributevalue.UnmarshalMap(item, &old); err != nil {
				return rep, internal(op, err)
			}
			c, evs, err := workflow.UpgradeV1([]byte(old.Data))
			if err != nil {
				return rep, internal(op, fmt.Errorf("%s: %w", old.PK, err))
			}
			done, err := s.upgradeCase(ctx, op, c, evs, old.Version)
			if err != nil {
				return rep, err
			}
			if !done {
				rep.Skipped = append(rep.Skipped, c.ID)
				continue
			}
			rep.Cases++
			rep.Events += len(evs)
		}
	}
	n, err := s.registerNumbers(ctx, op, db)
	rep.Numbers = n
	if err != nil {
		return rep, err
	}
	if rep.Deadlines, err = s.indexDeadlines(ctx, op, db); err != nil {
		return rep, err
	}
	if rep.Lists, err = s.indexLists(ctx, op, db); err != nil {
		return rep, err
	}
	return rep, s.waitIndex(ctx, op, db, indexDue)
}

// addDueIndex adds the index of open deadlines (GSI3, as TableInput
// defines it) to a table made before it existed, and reports whether it
// did. On AWS the stack's template adds it when this version is deployed;
// this serves the tables made outside it, and DynamoDB Local's.
func (s *Store) addDueIndex(ctx context.Context, op string, db upgradeAPI) (bool, error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	if err != nil {
		return false, s.fail(op, err, "")
	}
	def := TableInput(s.table)
	for _, g := range out.Table.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) != indexDue {
			continue
		}
		// An index of that name that does not project dk would give every
		// department an empty overdue list.
		if p := g.Projection; p == nil || p.ProjectionType != types.ProjectionTypeInclude || !slices.Equal(p.NonKeyAttributes, []string{attrDK}) {
			return false, internal(op, fmt.Errorf("table %q has an index %s that does not project %s as the overdue list needs (TableInput): delete the index (UpdateTable), then run upgrade-table again", s.table, indexDue, attrDK))
		}
		return false, nil
	}
	var attrs []types.AttributeDefinition
	for _, a := range def.AttributeDefinitions {
		if n := aws.ToString(a.AttributeName); n == attrGSI3PK || n == attrGSI3SK {
			attrs = append(attrs, a)
		}
	}
	for _, g := range def.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) != indexDue {
			continue
		}
		_, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(s.table), AttributeDefinitions: attrs,
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection}}}})
		if err != nil {
			return false, internal(op, fmt.Errorf("add the index %s of open deadlines to table %q: %w", indexDue, s.table, err))
		}
		return true, nil
	}
	return false, internal(op, fmt.Errorf("TableInput defines no index %s", indexDue))
}

// waitIndex waits until the table and the named index are active: until
// then DynamoDB refuses to read the index.
func (s *Store) waitIndex(ctx context.Context, op string, db upgradeAPI, index string) error {
	deadline := time.Now().Add(indexWait)
	for {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
		if err != nil {
			return s.fail(op, err, "")
		}
		ready := out.Table.TableStatus == types.TableStatusActive
		found := false
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if aws.ToString(g.IndexName) == index {
				found = true
				ready = ready && g.IndexStatus == types.IndexStatusActive
			}
		}
		switch {
		case !found:
			return internal(op, fmt.Errorf("table %q has no index %s", s.table, index))
		case ready:
			return nil
		case time.Now().After(deadline):
			return internal(op, fmt.Errorf("the index %s of table %q is not active after %v; run upgrade-table again later", index, s.table, indexWait))
		}
		if err := s.sleep(ctx, indexPoll); err != nil {
			return internal(op, err)
		}
	}
}

// indexDeadlines gives every case its entry in the index of open
// deadlines as its record's summary says (dueKeys), where it is not so
// already: cases written before the index existed have none. Each entry
// is written in a transaction with a check that the record is still at
// the version scanned; a case written since has its entry from that
// write, and is left alone.
func (s *Store) indexDeadlines(ctx context.Context, op string, db upgradeAPI) (int, error) {
	type found struct {
		version int
		sum     *workflow.Summary
		due     *dueRow
	}
	cases := map[string]*found{}
	at := func(pk string) *found {
		if cases[pk] == nil {
			cases[pk] = &found{}
		}
		return cases[pk]
	}
	err := scan(ctx, db, &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("SK = :case AND #f >= :form OR SK = :due"),
		ProjectionExpression:      aws.String("PK, SK, #f, #v, z, summary, GSI3PK, GSI3SK, dk"),
		ExpressionAttributeNames:  map[string]string{"#f": "form", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":case": str(skCase), ":form": num(form2), ":due": str(skDue)},
		ConsistentRead:            aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		if attributeS(item, attrSK) == skDue {
			var row dueRow
			if err := attributevalue.UnmarshalMap(item, &row); err != nil {
				return err
			}
			at(row.PK).due = &row
			return nil
		}
		row, sum, err := recordSummary(item)
		if err != nil {
			return err
		}
		f := at(row.PK)
		f.version, f.sum = row.Version, sum
		return nil
	})
	if err != nil {
		return 0, s.scanFailed(op, err)
	}
	n := 0
	for pk, f := range cases {
		if f.sum == nil {
			continue // an entry without its record: the list reads past it
		}
		dpk, dsk, dk := dueKeys(f.sum)
		if f.due == nil && dpk == "" || f.due != nil && f.due.GSI3SK == dsk && sameSet(f.due.DK, dk) {
			continue
		}
		var w writes
		w = append(w, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{Key: key(pk, skCase),
			ConditionExpression:       aws.String("#v = :v"),
			ExpressionAttributeNames:  map[string]string{"#v": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(f.version)}}})
		if dpk == "" {
			w = append(w, types.TransactWriteItem{Delete: &types.Delete{Key: key(pk, skDue)}})
		} else if err := w.put(dueRow{PK: pk, SK: skDue, GSI3PK: dpk, GSI3SK: dsk, DK: dk}, "", nil, nil); err != nil {
			return n, internal(op, err)
		}
		err := s.transact(ctx, w)
		if workflow.KindOf(s.fail(op, err, "")) == workflow.Conflict {
			continue // written since, with its entry
		}
		if err != nil {
			return n, s.fail(op, err, "")
		}
		n++
	}
	return n, nil
}

// indexLists writes the entries in its year's and kind's lists
// (listKeys) of every case written before there were such entries, and
// drops any entry of a list the case is no longer in. An entry is a
// pointer that a list checks against the summary it points at, so one
// written here while its case changes is read past, never shown wrongly;
// running it again writes nothing.
func (s *Store) indexLists(ctx context.Context, op string, db upgradeAPI) (int, error) {
	type found struct {
		lists   []string // listKeys of its summary
		lsk     string
		entries []string // the SKs of its entries
	}
	cases := map[string]*found{}
	at := func(pk string) *found {
		if cases[pk] == nil {
			cases[pk] = &found{}
		}
		return cases[pk]
	}
	err := scan(ctx, db, &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("SK = :case AND #f >= :form OR begins_with(SK, :list)"),
		ProjectionExpression:      aws.String("PK, SK, #f, z, summary"),
		ExpressionAttributeNames:  map[string]string{"#f": "form"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":case": str(skCase), ":form": num(form2), ":list": str(entrySK(""))},
		ConsistentRead:            aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		pk, sk := attributeS(item, attrPK), attributeS(item, attrSK)
		if sk != skCase {
			at(pk).entries = append(at(pk).entries, sk)
			return nil
		}
		_, sum, err := recordSummary(item)
		if err != nil {
			return err
		}
		f := at(pk)
		f.lists, f.lsk = listKeys(sum), listSK(sum.ID, sum.Created)
		return nil
	})
	if err != nil {
		return 0, s.scanFailed(op, err)
	}
	n := 0
	var reqs []types.WriteRequest
	for pk, f := range cases {
		if f.lists == nil {
			continue // entries without their record: the lists read past them
		}
		wrote := false
		var want []string
		for _, l := range f.lists {
			want = append(want, entrySK(l))
			if slices.Contains(f.entries, entrySK(l)) {
				continue
			}
			item, err := attributevalue.MarshalMap(deptRow{PK: pk, SK: entrySK(l), GSI2PK: l, GSI2SK: f.lsk})
			if err != nil {
				return n, internal(op, err)
			}
			reqs, wrote = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}), true
		}
		for _, sk := range f.entries {
			if !slices.Contains(want, sk) {
				reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}})
			}
		}
		if wrote {
			n++
		}
	}
	return n, s.batchWrite(ctx, op, reqs)
}

// registerNumbers registers the 来文字号 of every case that was opened
// before numbers were registered (workflow.Claim), so that a new upload of
// one of them is refused as a duplicate. Where an earlier version opened
// the same opinion twice, the case opened first holds the number; the
// later ones hold none and stay as they are. A number already registered
// is left alone, so running it again registers nothing.
func (s *Store) registerNumbers(ctx context.Context, op string, db upgradeAPI) (int, error) {
	type held struct {
		id, key string
		created time.Time
	}
	var all []held
	err := scan(ctx, db, &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("SK = :case AND #f >= :form"),
		ProjectionExpression:      aws.String("PK, #f, z, summary"),
		ExpressionAttributeNames:  map[string]string{"#f": "form"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":case": str(skCase), ":form": num(form2)},
		ConsistentRead:            aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		_, sum, err := recordSummary(item)
		if err != nil {
			return err
		}
		if k := workflow.NumberKey(sum.Number); k != "" {
			all = append(all, held{sum.ID, k, sum.Created})
		}
		return nil
	})
	if err != nil {
		return 0, s.scanFailed(op, err)
	}
	slices.SortFunc(all, func(a, b held) int { return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id)) })
	n := 0
	for _, h := range all {
		item, err := attributevalue.MarshalMap(numberRow{PK: numberPK(h.key), SK: skNumber, Case: h.id})
		if err != nil {
			return n, internal(op, err)
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(PK)")})
		if workflow.KindOf(s.fail(op, err, "")) == workflow.Conflict {
			continue // registered already: by this case, or by the first of its duplicates
		}
		if err != nil {
			return n, s.fail(op, err, "")
		}
		n++
	}
	return n, nil
}

// upgradeCase writes one upgraded case: everything but its record, then
// the record on condition that the old one is still there. The events of
// docflow 1 stay where they are: the case's own stream keeps their keys.
func (s *Store) upgradeCase(ctx context.Context, op string, c *workflow.Case, evs []workflow.Event, version int) (bool, error) {
	ch := &workflow.Change{Case: c, Record: true, Opinion: true, Events: evs}
	for _, sec := range c.Sections {
		ch.Sections = append(ch.Sections, sec.ID)
	}
	w, idx, err := s.change(op, ch, false)
	if err != nil {
		return false, err
	}
	var reqs []types.WriteRequest
	var record *types.Put
	for _, item := range w {
		switch {
		case item.Put != nil && attributeS(item.Put.Item, attrSK) == skCase:
			record = item.Put
		case item.Put != nil:
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item.Put.Item}})
		case item.Delete != nil:
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: item.Delete.Key}})
		}
	}
	// The index entries of docflow 1 are keyed the same but sort by UTC
	// time; the new ones replace them.
	if err := s.batchWrite(ctx, op, append(reqs, idx.add...)); err != nil {
		return false, err
	}
	record.Item["version"] = num(version + 1)
	record.TableName = aws.String(s.table)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 record.TableName,
		Item:                      record.Item,
		ConditionExpression:       aws.String("#v = :v AND attribute_not_exists(#f)"),
		ExpressionAttributeNames:  map[string]string{"#v": "version", "#f": "form"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(version)},
	})
	if err != nil {
		if fe := s.fail(op, err, "changed"); workflow.KindOf(fe) == workflow.Conflict {
			return false, nil
		}
		return false, s.fail(op, err, "")
	}
	return true, nil
}

func attributeS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// errScan marks a failure of the scan itself, as against one of reading
// what it found.
type errScan struct{ err error }

func (e errScan) Error() string { return e.err.Error() }
func (e errScan) Unwrap() error { return e.err }

// scan calls fn with every item the scan in finds, page by page.
func scan(ctx context.Context, db upgradeAPI, in *dynamodb.ScanInput, fn func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewScanPaginator(db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return errScan{err}
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanFailed is the error of a scan that failed: DynamoDB's (s.fail), or
// an item that could not be read.
func (s *Store) scanFailed(op string, err error) error {
	var se errScan
	if errors.As(err, &se) {
		return s.fail(op, se.err, "")
	}
	return internal(op, err)
}

// recordSummary reads a case record item and its list summary.
func recordSummary(item map[string]types.AttributeValue) (recordRow, *workflow.Summary, error) {
	var row recordRow
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return row, nil, err
	}
	sum, err := row.summary()
	return row, sum, err
}
