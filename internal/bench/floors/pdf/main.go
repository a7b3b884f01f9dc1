// Command pdf is goldmark plus what notice/pdf links of folio: its font
// parser and its PDF object writer, writing one page in the font the
// event names; and the word segmenter with its dictionary, which breaks
// titles between words.
package main

import (
	"bytes"
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/carlos7ags/folio/core"
	"github.com/carlos7ags/folio/document"
	"github.com/carlos7ags/folio/font"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/docflow/docflow/internal/notice/words"
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
	lambda.Start(func(ctx context.Context, fontFile string) (int, error) {
		item, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("t"),
			Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: fontFile}},
		})
		if err != nil {
			return 0, err
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(fontFile)})
		if err != nil {
			return 0, err
		}
		obj.Body.Close()
		// Every change's events are signed with the audit key.
		if _, err := kc.Sign(ctx, &kms.SignInput{KeyId: aws.String("k"), Message: []byte(fontFile), MessageType: kmstypes.MessageTypeDigest,
			SigningAlgorithm: kmstypes.SigningAlgorithmSpecEcdsaSha256}); err != nil {
			return 0, err
		}
		_ = (words.Segmenter{}).Segment(fontFile)
		_ = ast.Walk(md.Parser().Parse(text.NewReader([]byte(fontFile))), func(ast.Node, bool) (ast.WalkStatus, error) {
			return ast.WalkContinue, nil
		})
		b, err := os.ReadFile(fontFile)
		if err != nil {
			return 0, err
		}
		face, err := font.ParseFont(b)
		if err != nil {
			return 0, err
		}
		w := document.NewWriter("1.7")
		page := core.NewPdfDictionary()
		page.Set("Type", core.NewPdfName("Page"))
		page.Set("BaseFont", core.NewPdfName(face.PostScriptName()))
		w.SetRoot(w.AddObject(page))
		var out bytes.Buffer
		if _, err := w.WriteTo(&out); err != nil {
			return 0, err
		}
		return out.Len() + len(item.Item), nil
	})
}
