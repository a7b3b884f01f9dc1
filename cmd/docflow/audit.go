package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/workflow"
)

// auditKeys loads the key that signs the audit trail, creating it on the
// first start, and the public keys beside it that verify the trail. No
// AuditKey: nothing is signed (tests that do not care).
func (m *Main) auditKeys() (workflow.Signer, workflow.Verifier, error) {
	if m.AuditKey == "" {
		return nil, nil, nil
	}
	data, err := filepath.Abs(m.DataDir)
	if err != nil {
		return nil, nil, err
	}
	path, err := filepath.Abs(m.AuditKey)
	if err != nil {
		return nil, nil, err
	}
	if rel, err := filepath.Rel(data, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, nil, fmt.Errorf("the audit key %s is inside the data directory %s: whoever can copy or restore the data could then sign; keep it elsewhere (-audit-key)", path, data)
	}
	k, created, err := auditkey.Open(path)
	if err != nil {
		return nil, nil, err
	}
	ring, err := auditkey.ReadKeyring(filepath.Dir(path))
	if err != nil {
		return nil, nil, err
	}
	if created {
		m.Log.Warn("created the key that signs the audit trail: back it up apart from the data, where only whoever runs docflow can read it (README: The audit trail)",
			"key", path, "id", k.ID())
		if p, err := m.Store.Cases(context.Background(), workflow.Query{Limit: 1}); err == nil && len(p.Cases) > 0 {
			m.Log.Warn("this data directory already holds cases: if they were signed with another key, put that key's public key (ID.pub) beside the new one, or `docflow audit verify` reports them signed by an unknown key",
				"keys", filepath.Dir(path))
		}
	}
	return k, ring, nil
}

// audit runs `docflow audit verify` and `docflow audit rotate-key`.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return auditVerify(ctx, args[1:], stdout, stderr)
		case "rotate-key":
			return rotateKey(args[1:], stdout, stderr)
		}
	}
	fs := newFlags("audit", stderr)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(fs.Output(), "  `docflow audit verify -h` and `docflow audit rotate-key -h` list each one's")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Usage()
	return errors.New("name what to do: docflow audit verify, or docflow audit rotate-key")
}

// auditVerify checks every case's audit trail: hash chains, heads and
// signatures, and says by case what it found.
func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stderr)
	data := fs.String("data", "docflow-data", "data directory to verify")
	key := fs.String("key", auditkey.DefaultPath(), "the audit key file (as given to docflow serve -audit-key), or its directory: the public keys (ID.pub) there verify; the private key is not needed")
	table := fs.String("table", "", "verify this DynamoDB table (the stack's output TableName) instead of a data directory")
	endpoint := fs.String("endpoint", "", "with -table: DynamoDB endpoint, for DynamoDB Local; empty: AWS")
	kmsKeys := fs.String("kms-key", "", "with -table: the KMS keys that signed, as the functions' DOCFLOW_AUDIT_KEY lists them (ARNs, space-separated); empty: the public keys of -key")
	strict := fs.Bool("require-signed", false, "count an event without a signature as a problem: for installations that signed from their first case")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected %q", fs.Arg(0))
	}
	svc := &workflow.Service{}
	if *table != "" {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("load AWS configuration: %w", err)
		}
		svc.Store = awsstore.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			if *endpoint != "" {
				o.BaseEndpoint = aws.String(*endpoint)
			}
		}), *table)
		svc.Dir = svc.Store.(workflow.Directory)
		if ids := strings.Fields(*kmsKeys); len(ids) > 0 {
			svc.Verifier = auditkey.NewKMS(kms.NewFromConfig(cfg), ids...)
		}
	} else {
		s, err := localstore.Open(*data)
		if err != nil {
			return err
		}
		defer s.Close()
		svc.Store, svc.Dir = s, s
	}
	if svc.Verifier == nil {
		dir := *key
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			dir = filepath.Dir(dir)
		}
		ring, err := auditkey.ReadKeyring(dir)
		if err != nil {
			return err
		}
		if len(ring.IDs()) == 0 {
			return fmt.Errorf("no public keys (*.pub) in %s: name the audit key's file or directory with -key", dir)
		}
		svc.Verifier = ring
	}

	var total workflow.Verified
	cases, rewritten, unsigned := 0, 0, 0
	// show prints what was found in one trail and reports whether it was
	// rewritten and whether it has unsigned events.
	show := func(name string, v workflow.Verified, err error) (bad, bare bool) {
		total.Events += v.Events
		total.Unsigned += v.Unsigned
		signed := 0
		for _, n := range v.Signed {
			signed += n
		}
		fmt.Fprintf(stdout, "%s: %d events, %d signed", name, v.Events, signed)
		if len(v.Signed) > 0 {
			fmt.Fprintf(stdout, " (%s)", strings.Join(v.Keys(), ", "))
		}
		if v.Unsigned > 0 {
			fmt.Fprintf(stdout, ", %d unsigned", v.Unsigned)
		}
		if err != nil {
			fmt.Fprintf(stdout, "\n  REWRITTEN: %s", workflow.Message(err))
		}
		fmt.Fprintln(stdout)
		return err != nil, v.Unsigned > 0
	}
	// The office's settings and accounts first: who may approve is
	// decided there.
	officeBad := false
	v, err := svc.VerifyOffice(ctx)
	switch {
	case workflow.KindOf(err) == workflow.NotFound:
	case err != nil && workflow.KindOf(err) != workflow.Invalid:
		return fmt.Errorf("office: %w", err)
	default:
		officeBad, _ = show("office settings and accounts", v, err)
	}
	admin := workflow.Identity{User: "docflow", Roles: []workflow.Role{workflow.Admin}}
	for q := (workflow.Query{Limit: workflow.MaxPage}); ; {
		p, err := svc.Cases(ctx, admin, q)
		if err != nil {
			return err
		}
		for _, c := range p.Cases {
			cases++
			v, err := svc.Verify(ctx, c.ID)
			if err != nil && workflow.KindOf(err) != workflow.Invalid {
				return fmt.Errorf("case %s: %w", c.ID, err)
			}
			bad, bare := show(c.ID+" "+c.Number, v, err)
			if bad {
				rewritten++
			}
			if bare {
				unsigned++
			}
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	fmt.Fprintf(stdout, "%d cases, %d events; %d cases rewritten, %d with unsigned events (%d events)\n", cases, total.Events, rewritten, unsigned, total.Unsigned)
	if unsigned > 0 {
		fmt.Fprintln(stdout, "Unsigned events were written before signing began (docflow 1's, migrated ones) or by a server without a key; only their hash chain protects them.")
	}
	switch {
	case officeBad:
		return errors.New("the audit trail of the office's settings or accounts was rewritten")
	case rewritten > 0:
		return fmt.Errorf("%d cases have a rewritten audit trail", rewritten)
	case *strict && unsigned > 0:
		return fmt.Errorf("%d cases have unsigned events (-require-signed)", unsigned)
	}
	return nil
}

// rotateKey replaces the audit key with a new one, keeping the public key
// of the old one to verify what it signed.
func rotateKey(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stderr)
	key := fs.String("key", auditkey.DefaultPath(), "the audit key file (as given to docflow serve -audit-key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	retired, current, err := auditkey.Rotate(*key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(*key)
	fmt.Fprintf(stdout, "retired %s: its public key stays in %s, so that what it signed keeps verifying\n", retired.ID(), filepath.Join(dir, retired.ID()+".pub"))
	fmt.Fprintf(stdout, "new key %s in %s: restart docflow serve to sign with it, and back it up\n", current.ID(), *key)
	return nil
}
