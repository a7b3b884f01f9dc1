package awsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Names of the key attributes and indexes; see the package comment.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	attrGSI3PK = "GSI3PK"
	attrGSI3SK = "GSI3SK"
	attrDK     = "dk" // the departments' keys (deptKey), projected into GSI3

	indexStage = "GSI1"
	indexList  = "GSI2"
	indexDue   = "GSI3"
)

// TableInput returns the definition of a docflow table named name: its
// keys, attributes and indexes, billed per request. It is the single source
// of truth for the table's shape; CreateTable uses it, and the table in
// template.yaml must match it.
func TableInput(name string) *dynamodb.CreateTableInput {
	str := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	keysOnly := &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			str(attrPK), str(attrSK), str(attrGSI1PK), str(attrGSI1SK), str(attrGSI2PK), str(attrGSI2SK),
			str(attrGSI3PK), str(attrGSI3SK),
		},
		KeySchema: key(attrPK, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String(indexStage), KeySchema: key(attrGSI1PK, attrGSI1SK), Projection: keysOnly},
			{IndexName: aws.String(indexList), KeySchema: key(attrGSI2PK, attrGSI2SK), Projection: keysOnly},
			// With each entry's departments, which a department's overdue
			// list filters on; an entry is rewritten only when its case's
			// deadline or departments change (dueRow).
			{IndexName: aws.String(indexDue), KeySchema: key(attrGSI3PK, attrGSI3SK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{attrDK}}},
		},
	}
}

// tableAPI is the part of the DynamoDB client that CreateTable uses.
type tableAPI interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// CreateTable creates the table described by TableInput and waits until it
// is active. It is for tests and local use; deployed tables come from
// template.yaml. A table that already exists is left as it is.
func CreateTable(ctx context.Context, db tableAPI, table string) error {
	_, err := db.CreateTable(ctx, TableInput(table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("awsstore.CreateTable %q: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		// DynamoDB Local creates tables at once; the default 20 s minimum
		// delay would only slow tests down.
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("awsstore.CreateTable %q: wait until active: %w", table, err)
	}
	return nil
}
