// Command publish is docflow's publication (发布) Lambda function.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/docflow/docflow/internal/function"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/notice/docx"
	"github.com/docflow/docflow/internal/notice/pdf"
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/web"
)

func main() {
	env, err := settings.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	// The fonts are checked here and read when the first PDF is written.
	formats := []notice.Format{docx.Format}
	if env.FontDir != "" {
		w, err := pdf.New(env.FontDir)
		if err != nil {
			log.Fatal(err)
		}
		formats = []notice.Format{w, docx.Format}
	}
	app, err := function.New(context.Background(), env)
	if err != nil {
		log.Fatal(err)
	}
	// Publishing writes the notice as HTML and in formats.
	if app.Service.Render, err = notice.New(notice.WithFormats(formats...)); err != nil {
		log.Fatal(err)
	}
	h, err := app.HTTP(web.PublishTable())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
