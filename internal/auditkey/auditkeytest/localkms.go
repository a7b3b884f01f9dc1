// Package auditkeytest starts local-kms (github.com/nsmithuk/local-kms), a
// server that speaks KMS's protocol and signs with real ECDSA keys, for
// the tests of the KMS signer, the functions and `docflow audit verify`.
package auditkeytest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// LocalKMS starts local-kms — the binary DOCFLOW_LOCAL_KMS names, which
// `make test` installs and sets — on a port the kernel chooses, with its
// keys in a temporary directory, and stops it when the test ends. It
// returns the server's URL and a client for it. Without the binary the
// test is skipped, but under CI it fails: `make test` must provide it.
func LocalKMS(tb testing.TB) (endpoint string, client *kms.Client) {
	tb.Helper()
	bin := os.Getenv("DOCFLOW_LOCAL_KMS")
	if bin == "" {
		msg := "DOCFLOW_LOCAL_KMS is not set: run through `make test`, which installs local-kms (infra/local/tools.sh)"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	data := tb.TempDir()
	cmd := exec.Command(bin)
	// PORT 0: local-kms listens where the kernel says and logs the port.
	cmd.Env = append(os.Environ(), "PORT=0", "KMS_DATA_PATH="+data, "KMS_SEED_PATH="+filepath.Join(data, "no-seed.yaml"), "KMS_REGION="+region)
	out, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start local-kms: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	started := regexp.MustCompile(`Local KMS started on [^ ]*:(\d+)`)
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
				break
			}
		}
		io.Copy(io.Discard, out) // keep it from blocking on a full pipe
	}()
	select {
	case p := <-port:
		endpoint = "http://127.0.0.1:" + p
	case <-time.After(30 * time.Second):
		tb.Fatal("local-kms did not start within 30 s")
	}
	client = kms.New(kms.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	})
	return endpoint, client
}

// NewKey makes a signing key as template.yaml's AuditKey is made
// (ECC_NIST_P256, SIGN_VERIFY) and returns its ARN.
func NewKey(tb testing.TB, client *kms.Client) string {
	tb.Helper()
	out, err := client.CreateKey(context.Background(), &kms.CreateKeyInput{
		KeySpec:     types.KeySpecEccNistP256,
		KeyUsage:    types.KeyUsageTypeSignVerify,
		Description: aws.String(fmt.Sprintf("docflow test %s", tb.Name())),
	})
	if err != nil {
		tb.Fatalf("create a KMS key: %v", err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}
