// Command assign is docflow's assignment (交办) Lambda function.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/docflow/docflow/internal/function"
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
	h, err := app.HTTP(web.AssignTable())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
