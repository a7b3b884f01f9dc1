package auditkey_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/auditkey/auditkeytest"
	"github.com/docflow/docflow/internal/localstore"
	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
	"github.com/docflow/docflow/templates"
)

// BenchmarkSaveSection is what signing costs a state change: a
// department's save through the service, over the embedded store, with no
// signer, the Ed25519 key file, and a KMS key on local-kms (a loopback
// HTTP call; on AWS a kms:Sign in the region, typically milliseconds).
// Durable commits (a disk flush each) and without sync, which leaves
// docflow's own work:
//
//	DOCFLOW_LOCAL_KMS=… go test -run '^$' -bench SaveSection ./internal/auditkey/
func BenchmarkSaveSection(b *testing.B) {
	signers := []struct {
		name string
		new  func(b *testing.B) workflow.Signer
	}{
		{"unsigned", func(*testing.B) workflow.Signer { return nil }},
		{"ed25519", func(b *testing.B) workflow.Signer {
			k, err := auditkey.Create(filepath.Join(b.TempDir(), "audit.key"))
			if err != nil {
				b.Fatal(err)
			}
			return k
		}},
		{"local-kms", func(b *testing.B) workflow.Signer {
			_, client := auditkeytest.LocalKMS(b)
			return auditkey.NewKMS(client, auditkeytest.NewKey(b, client))
		}},
	}
	for _, sync := range []bool{true, false} {
		for _, sg := range signers {
			name := "durable/" + sg.name
			var opts []localstore.Option
			if !sync {
				name, opts = "nosync/"+sg.name, []localstore.Option{localstore.WithoutSync()}
			}
			b.Run(name, func(b *testing.B) {
				svc, c := openedCase(b, opts...)
				svc.Signer = sg.new(b)
				sec := c.Sections[0]
				a, err := svc.Dir.Account(b.Context(), "fulian-staff")
				if err != nil {
					b.Fatal(err)
				}
				staff := a.Identity()
				rev := sec.Rev
				for b.Loop() {
					c, err := svc.SaveSection(b.Context(), staff, c.ID, sec.ID, rev, "标题", "正文。"+b.Name()+string(rune('a'+rev%26)), "")
					if err != nil {
						b.Fatal(err)
					}
					rev = c.Sections[0].Rev
				}
			})
		}
	}
}

// openedCase opens the fixture's case on a new data directory and
// dispatches one part of it.
func openedCase(b *testing.B, opts ...localstore.Option) (*workflow.Service, *workflow.Case) {
	b.Helper()
	st, err := localstore.Open(b.TempDir(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	seed, _ := templates.Office(templates.FS)
	acc, _ := templates.Accounts(templates.FS)
	svc := &workflow.Service{Store: st, Blobs: st.Blobs(), Dir: st}
	workflowtest.SetUp(b, svc, seed, acc)
	ids := map[string]workflow.Identity{}
	for _, a := range acc {
		ids[a.User] = a.Identity()
	}
	prof := seed.Profile
	data, err := os.ReadFile("../../testdata/jingan-2025-17/opinion.txt")
	if err != nil {
		b.Fatal(err)
	}
	o, err := opinion.Parse("opinion.txt", data, opinion.Options{DefaultMonths: prof.DefaultDue})
	if err != nil {
		b.Fatal(err)
	}
	clerk := ids["clerk"]
	c, err := svc.Intake(b.Context(), clerk, workflow.Source{Name: "opinion.txt"}, data, o)
	if err != nil {
		b.Fatal(err)
	}
	if c, err = svc.Assign(b.Context(), clerk, c.ID, c.Version, []workflow.Assignment{{Item: o.Items[0].ID, Lead: "区妇联"}}); err != nil {
		b.Fatal(err)
	}
	if c, err = svc.Dispatch(b.Context(), clerk, c.ID); err != nil {
		b.Fatal(err)
	}
	return svc, c
}
