package awsstore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/workflow"
)

// A report is one item, REPORT#key / REPORT, replaced whole: derived data
// (workflow.Store.PutReport), so neither conditioned nor versioned.

const skReport = "REPORT"

func reportPK(key string) string { return "REPORT#" + key }

type reportRow struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Data []byte `dynamodbav:"data"`
}

// Report implements workflow.Store.
func (s *Store) Report(ctx context.Context, k string) ([]byte, error) {
	const op = "awsstore.Report"
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(reportPK(k), skReport)})
	if err != nil {
		return nil, s.fail(op, err, "")
	}
	if out.Item == nil {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有 %s 的统计", k)
	}
	var row reportRow
	if err := attributevalue.UnmarshalMap(out.Item, &row); err != nil {
		return nil, internal(op, err)
	}
	return row.Data, nil
}

// PutReport implements workflow.Store.
func (s *Store) PutReport(ctx context.Context, k string, data []byte) error {
	const op = "awsstore.PutReport"
	item, err := attributevalue.MarshalMap(reportRow{PK: reportPK(k), SK: skReport, Data: data})
	if err != nil {
		return internal(op, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return s.fail(op, err, "")
	}
	return nil
}
