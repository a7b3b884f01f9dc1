// Command draft is docflow's drafting (承办) Lambda function.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/docflow/docflow/internal/docxmd"
	"github.com/docflow/docflow/internal/function"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/web"
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
	// The pages preview Markdown as it will print (notice's HTML).
	if app.Service.Render, err = notice.New(); err != nil {
		log.Fatal(err)
	}
	// Only this function reads sections imported from Word.
	app.ReadDocx = docxmd.ReadSection
	h, err := app.HTTP(web.DraftTable())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
