package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
)

// backup copies a data directory that may be in use.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	data := fs.String("data", "docflow-data", "data directory to back up (the server may be running on it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("name the directory to write the backup to")
	}
	s, err := localstore.Open(*data)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Backup(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s: the database and %d files\n", *data, fs.Arg(0), n-1)
	return nil
}

// restore copies a backup into a new data directory and checks it.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("name the backup and the new data directory")
	}
	n, err := localstore.Restore(fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %d files from %s to %s; checking…\n", n, fs.Arg(0), fs.Arg(1))
	return check(ctx, []string{"-data", fs.Arg(1)}, stdout, stderr)
}

// check reads every case of a data directory: audit trails and texts.
func check(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	data := fs.String("data", "docflow-data", "data directory to check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := localstore.Open(*data)
	if err != nil {
		return err
	}
	defer s.Close()
	svc := &workflow.Service{Store: s, Blobs: s.Blobs()}
	cases, events, blobs, bad := 0, 0, 0, 0
	admin := workflow.Identity{User: "docflow", Roles: []workflow.Role{workflow.Admin}}
	for q := (workflow.Query{Limit: workflow.MaxPage}); ; {
		p, err := svc.Cases(ctx, admin, q)
		if err != nil {
			return err
		}
		for _, c := range p.Cases {
			cases++
			e, b, err := svc.Check(ctx, c.ID)
			events, blobs = events+e, blobs+b
			if err != nil {
				bad++
				fmt.Fprintf(stdout, "%s %s: %v\n", c.ID, c.Number, err)
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	fmt.Fprintf(stdout, "%d cases, %d events verified, %d texts and files read; %d with problems\n", cases, events, blobs, bad)
	if bad > 0 {
		return fmt.Errorf("%d cases failed the check", bad)
	}
	return nil
}

// upgradeTable brings a DynamoDB table written by an earlier docflow to
// the current layout (awsstore.Upgrade), with the AWS credentials and
// region of the environment.
func upgradeTable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("upgrade-table", stderr)
	table := fs.String("table", "", "the DynamoDB table (the stack's output Table)")
	endpoint := fs.String("endpoint", "", "DynamoDB endpoint, for DynamoDB Local; empty: AWS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *table == "" {
		fs.Usage()
		return errors.New("name the table with -table")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = aws.String(*endpoint)
		}
	})
	rep, err := awsstore.Upgrade(ctx, db, *table)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "upgraded %d cases (%d events written for their history)\n", rep.Cases, rep.Events)
	if rep.DueIndex {
		fmt.Fprintf(stdout, "added the index of open deadlines (GSI3)\n")
	}
	fmt.Fprintf(stdout, "%d cases given their entry in the index of open deadlines\n", rep.Deadlines)
	fmt.Fprintf(stdout, "%d cases given their entries in their year's and kind's lists\n", rep.Lists)
	if len(rep.Skipped) > 0 {
		slog.Warn("cases changed while being upgraded; run upgrade-table again", "cases", rep.Skipped)
		return fmt.Errorf("%d cases changed while being upgraded: run again", len(rep.Skipped))
	}
	return nil
}
