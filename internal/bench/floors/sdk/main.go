// Command sdk is hello plus what every docflow function builds at a cold
// start: the AWS configuration and the S3 and DynamoDB clients, used once
// each so the linker keeps the operations docflow calls most.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg)
	kc := kms.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context, key string) (string, error) {
		item, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("t"),
			Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: key}},
		})
		if err != nil {
			return "", err
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(key)})
		if err != nil {
			return "", err
		}
		obj.Body.Close()
		// Every change's events are signed with the audit key.
		if _, err := kc.Sign(ctx, &kms.SignInput{KeyId: aws.String("k"), Message: []byte(key), MessageType: kmstypes.MessageTypeDigest,
			SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256}); err != nil {
			return "", err
		}
		return string(rune(len(item.Item))), nil
	})
}
