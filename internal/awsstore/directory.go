package awsstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/docflow/docflow/internal/workflow"
)

var (
	_ workflow.Directory = (*Store)(nil)
	_ workflow.Sessions  = (*Store)(nil)
)

// The office and its people (see the package comment):
//
//	item      PK               SK              other attributes
//	office    OFFICE           OFFICE          version, z
//	account   ACCOUNT#<user>   ACCOUNT         version, z, GSI1PK=ACCOUNTS, GSI1SK=<user>, GSI2PK=ACCOUNTS#<dept>, GSI2SK=<user>
//	session   ACCOUNT#<user>   SESSION#<id>    z, ttl
//
// Their events are those of the case workflow.OfficeStream.
const (
	pkOffice  = "OFFICE"
	skAccount = "ACCOUNT"
)

func accountPK(user string) string { return "ACCOUNT#" + user }
func sessionSK(id string) string   { return "SESSION#" + id }

type versionedRow struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	Version int    `dynamodbav:"version"`
	Z       []byte `dynamodbav:"z"`
	GSI1PK  string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK  string `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK  string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK  string `dynamodbav:"GSI2SK,omitempty"`
}

type sessionRow struct {
	PK  string `dynamodbav:"PK"`
	SK  string `dynamodbav:"SK"`
	Z   []byte `dynamodbav:"z"`
	TTL int64  `dynamodbav:"ttl"` // when DynamoDB may delete it (Unix seconds); reads check expiry themselves
}

func (s *Store) getVersioned(ctx context.Context, op, pk, sk string, v any) (int, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, false, s.fail(op, err, "")
	}
	if out.Item == nil {
		return 0, false, nil
	}
	var row versionedRow
	if err := attributevalue.UnmarshalMap(out.Item, &row); err != nil {
		return 0, false, internal(op, err)
	}
	if err := decode(row.Z, v); err != nil {
		return 0, false, internal(op, err)
	}
	return row.Version, true, nil
}

// saveVersioned writes row at version+1 if the stored one is at version
// (0: absent), with the events, in one transaction.
func (s *Store) saveVersioned(ctx context.Context, op string, row versionedRow, version int, evs []workflow.Event, conflict string) error {
	var w writes
	cond, names, values := versioned("version", version)
	row.Version = version + 1
	if err := w.put(row, cond, names, values); err != nil {
		return internal(op, err)
	}
	for _, e := range evs {
		if e.Case != workflow.OfficeStream || e.Seq <= 0 {
			return workflow.Errorf(op, workflow.Invalid, "审计记录编号有误（%q 第 %d 条）", e.Case, e.Seq)
		}
		data, err := encode(op, "审计记录", &e)
		if err != nil {
			return err
		}
		if err := w.put(dataRow{PK: casePK(e.Case), SK: eventSK(e.Stream, e.Seq), Z: data}, "attribute_not_exists(PK)", nil, nil); err != nil {
			return internal(op, err)
		}
	}
	if err := s.transact(ctx, w); err != nil {
		return s.fail(op, err, conflict)
	}
	return nil
}

// Office implements workflow.Directory.
func (s *Store) Office(ctx context.Context) (*workflow.Office, error) {
	const op = "awsstore.Office"
	var o workflow.Office
	v, ok, err := s.getVersioned(ctx, op, pkOffice, pkOffice, &o)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, workflow.Errorf(op, workflow.NotFound, "尚未完成初始设置")
	}
	o.Version = v
	return &o, nil
}

// SaveOffice implements workflow.Directory.
func (s *Store) SaveOffice(ctx context.Context, o *workflow.Office, evs []workflow.Event) error {
	const op = "awsstore.SaveOffice"
	stored := *o
	stored.Version = 0
	z, err := encode(op, "单位设置", &stored)
	if err != nil {
		return err
	}
	if err := s.saveVersioned(ctx, op, versionedRow{PK: pkOffice, SK: pkOffice, Z: z}, o.Version, evs, "单位设置已被他人修改，请刷新后重试"); err != nil {
		return err
	}
	o.Version++
	return nil
}

// Account implements workflow.Directory.
func (s *Store) Account(ctx context.Context, user string) (*workflow.Account, error) {
	const op = "awsstore.Account"
	var a workflow.Account
	v, ok, err := s.getVersioned(ctx, op, accountPK(user), skAccount, &a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有账号 %s", user)
	}
	a.Version = v
	return &a, nil
}

// SaveAccount implements workflow.Directory. MaxAccounts is not counted
// here: counting a table's accounts would read them all; the pages and
// the import refuse more.
func (s *Store) SaveAccount(ctx context.Context, a *workflow.Account, evs []workflow.Event) error {
	const op = "awsstore.SaveAccount"
	stored := *a
	stored.Version = 0
	z, err := encode(op, "账号", &stored)
	if err != nil {
		return err
	}
	row := versionedRow{PK: accountPK(a.User), SK: skAccount, Z: z, GSI1PK: "ACCOUNTS", GSI1SK: a.User}
	if a.Dept != "" {
		row.GSI2PK, row.GSI2SK = "ACCOUNTS#"+a.Dept, a.User
	}
	if err := s.saveVersioned(ctx, op, row, a.Version, evs, fmt.Sprintf("账号 %s 已存在或已被他人修改，请刷新后重试", a.User)); err != nil {
		return err
	}
	a.Version++
	return nil
}

// Accounts implements workflow.Directory: an index page (every account,
// or a department's), then the accounts, filtered by role.
func (s *Store) Accounts(ctx context.Context, q workflow.AccountQuery) (workflow.AccountPage, error) {
	const op = "awsstore.Accounts"
	limit := q.Limit
	if limit <= 0 || limit > workflow.MaxPage {
		limit = workflow.DefaultPage
	}
	index, pkName, skName, pk := indexStage, attrGSI1PK, attrGSI1SK, "ACCOUNTS"
	if q.Dept != "" {
		index, pkName, skName, pk = indexList, attrGSI2PK, attrGSI2SK, "ACCOUNTS#"+q.Dept
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk > :after"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkName, "#sk": skName},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":after": str(q.Cursor)},
		Limit:                     aws.Int32(int32(limit)),
	}
	if q.Cursor == "" {
		in.KeyConditionExpression = aws.String("#pk = :pk")
		delete(in.ExpressionAttributeNames, "#sk")
		delete(in.ExpressionAttributeValues, ":after")
	}
	var p workflow.AccountPage
	for range scanPages {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return workflow.AccountPage{}, s.fail(op, err, "")
		}
		var keys []map[string]types.AttributeValue
		for _, it := range out.Items {
			keys = append(keys, key(attributeS(it, attrPK), skAccount))
		}
		accounts, err := s.batchAccounts(ctx, op, keys)
		if err != nil {
			return workflow.AccountPage{}, err
		}
		for i, it := range out.Items {
			a, ok := accounts[attributeS(it, attrPK)]
			if !ok || q.Dept != "" && a.Dept != q.Dept || q.Role != "" && !slices.Contains(a.Roles, q.Role) {
				continue
			}
			p.Accounts = append(p.Accounts, *a)
			if len(p.Accounts) == limit {
				if i < len(out.Items)-1 || out.LastEvaluatedKey != nil {
					p.Next = a.User
				}
				return p, nil
			}
		}
		if out.LastEvaluatedKey == nil {
			return p, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if n := len(out.Items); n > 0 {
			p.Next = attributeS(out.Items[n-1], skName)
		}
	}
	return p, nil
}

func (s *Store) batchAccounts(ctx context.Context, op string, keys []map[string]types.AttributeValue) (map[string]*workflow.Account, error) {
	out := map[string]*workflow.Account{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
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
				var row versionedRow
				var a workflow.Account
				if err := attributevalue.UnmarshalMap(item, &row); err != nil {
					return nil, internal(op, err)
				}
				if err := decode(row.Z, &a); err != nil {
					return nil, internal(op, err)
				}
				a.Version = row.Version
				out[row.PK] = &a
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// Session implements workflow.Sessions.
func (s *Store) Session(ctx context.Context, user, id string) (*workflow.Session, error) {
	const op = "awsstore.Session"
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(accountPK(user), sessionSK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	if out.Item == nil {
		return nil, workflow.Errorf(op, workflow.NotFound, "会话已失效，请重新登录")
	}
	return decodeSession(op, out.Item)
}

func decodeSession(op string, item map[string]types.AttributeValue) (*workflow.Session, error) {
	var row sessionRow
	var ss workflow.Session
	if err := attributevalue.UnmarshalMap(item, &row); err != nil {
		return nil, internal(op, err)
	}
	if err := decode(row.Z, &ss); err != nil {
		return nil, internal(op, err)
	}
	return &ss, nil
}

// SaveSession implements workflow.Sessions.
func (s *Store) SaveSession(ctx context.Context, ss *workflow.Session) error {
	const op = "awsstore.SaveSession"
	z, err := encode(op, "会话", ss)
	if err != nil {
		return err
	}
	item, err := attributevalue.MarshalMap(sessionRow{PK: accountPK(ss.User), SK: sessionSK(ss.ID), Z: z, TTL: ss.Expires.Unix()})
	if err != nil {
		return internal(op, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return s.fail(op, err, "")
	}
	return nil
}

// DeleteSession implements workflow.Sessions.
func (s *Store) DeleteSession(ctx context.Context, user, id string) error {
	return s.batchWrite(ctx, "awsstore.DeleteSession", []types.WriteRequest{{DeleteRequest: &types.DeleteRequest{Key: key(accountPK(user), sessionSK(id))}}})
}

// UserSessions implements workflow.Sessions.
func (s *Store) UserSessions(ctx context.Context, user string) ([]workflow.Session, error) {
	const op = "awsstore.UserSessions"
	items, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :s)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(accountPK(user)), ":s": str(sessionSK(""))},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	var out []workflow.Session
	for _, it := range items {
		ss, err := decodeSession(op, it)
		if err != nil {
			return nil, err
		}
		out = append(out, *ss)
	}
	slices.SortFunc(out, func(a, b workflow.Session) int { return a.Expires.Compare(b.Expires) })
	return out, nil
}

// DeleteSessions implements workflow.Sessions.
func (s *Store) DeleteSessions(ctx context.Context, user string) error {
	const op = "awsstore.DeleteSessions"
	all, err := s.UserSessions(ctx, user)
	if err != nil {
		return err
	}
	var reqs []types.WriteRequest
	for _, ss := range all {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(accountPK(user), sessionSK(ss.ID))}})
	}
	return s.batchWrite(ctx, op, reqs)
}
