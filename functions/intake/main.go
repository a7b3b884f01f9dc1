// Command intake is docflow's intake (收文登记): API routes and S3 inbox events Lambda function.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/docflow/docflow/internal/function"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
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
	// The inbox's files are read here only: no other function links the
	// opinion reader.
	parse := func(name string, data []byte, months int) (*workflow.Opinion, error) {
		return opinion.Parse(name, data, opinion.Options{DefaultMonths: months})
	}
	h, err := app.Intake(web.IntakeTable(), parse)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
