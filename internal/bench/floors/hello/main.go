// Command hello is the smallest Lambda function: the runtime client alone.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in string) (string, error) { return in, nil })
}
