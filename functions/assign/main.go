// Command assign is docflow's assignment (交办) Lambda function.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/docflow/docflow/internal/caselist"
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
	// Only this function reads lists of 代表建议 and 政协提案.
	app.ReadList = caselist.Proposals
	h, err := app.HTTP(web.AssignTable())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
