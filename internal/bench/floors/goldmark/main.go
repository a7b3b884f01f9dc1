// Command goldmark is sdk plus Markdown: goldmark with the extensions
// package notice uses, parsing each event's body.
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
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg)
	kc := kms.NewFromConfig(cfg)
	md := goldmark.New(goldmark.WithExtensions(extension.CJK, extension.Table, extension.Strikethrough))
	lambda.Start(func(ctx context.Context, body string) (int, error) {
		item, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("t"),
			Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: body}},
		})
		if err != nil {
			return 0, err
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(body)})
		if err != nil {
			return 0, err
		}
		obj.Body.Close()
		// Every change's events are signed with the audit key.
		if _, err := kc.Sign(ctx, &kms.SignInput{KeyId: aws.String("k"), Message: []byte(body), MessageType: kmstypes.MessageTypeDigest,
			SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256}); err != nil {
			return 0, err
		}
		n := 0
		_ = ast.Walk(md.Parser().Parse(text.NewReader([]byte(body))), func(ast.Node, bool) (ast.WalkStatus, error) {
			n++
			return ast.WalkContinue, nil
		})
		return n + len(item.Item), nil
	})
}
