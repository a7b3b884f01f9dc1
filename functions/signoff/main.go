// Command signoff is docflow's compiling and sign-off (汇总, 审核签发) Lambda function.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

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
	h, err := app.HTTP(web.SignoffTable())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
