// Command notify is docflow's notification Lambda function: on a schedule
// it sends the outbox (Amazon SES, 企业微信 and 钉钉 group robots) and
// applies the reminder rules.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/docflow/docflow/internal/function"
	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/sesmail"
	"github.com/docflow/docflow/internal/settings"
)

func main() {
	env, err := settings.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	app, err := function.New(context.Background(), env)
	if err != nil {
		log.Fatal(err)
	}
	var mail outbox.Mailer
	if env.MailFrom != "" {
		mail = &sesmail.Mailer{SES: sesv2.NewFromConfig(app.Config), From: env.MailFrom}
	}
	lambda.Start(app.Scheduled(mail))
}
