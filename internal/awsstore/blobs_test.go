package awsstore

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/internal/workflow/workflowtest"
)

func newS3(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region(),
		Credentials:  credentialsFromEnv(),
		UsePathStyle: true,
	})
}

// TestBlobs runs the contract against gofakes3 in process: it needs no
// server, so it always runs.
func TestBlobs(t *testing.T) {
	workflowtest.TestBlobs(t, func(t *testing.T) workflow.Blobs {
		return NewBlobs(newFakeS3(t, "docflow"), "docflow", "drafts/", "files/")
	})
}

// TestBlobsServer runs the contract against the S3 server the test command
// started (versitygw), on a fresh versioned bucket per test, as deployed.
func TestBlobsServer(t *testing.T) {
	endpoint := os.Getenv("DOCFLOW_S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("set DOCFLOW_S3_ENDPOINT (an S3-compatible server) — make test starts versitygw")
	}
	client := newS3(endpoint)
	workflowtest.TestBlobs(t, func(t *testing.T) workflow.Blobs {
		return NewBlobs(client, mustBucket(t, client), "drafts/", "files/")
	})
}

// mustBucket creates a fresh versioned bucket and empties and deletes it
// when the test ends.
func mustBucket(tb testing.TB, client *s3.Client) string {
	tb.Helper()
	ctx := context.Background()
	bucket := randomName("docflow-test-")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		tb.Fatalf("CreateBucket: %v", err)
	}
	_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		tb.Fatalf("PutBucketVersioning: %v", err)
	}
	tb.Cleanup(func() {
		// List from the start each time: deleting under a paginator's
		// markers can skip what is left.
		for {
			page, err := client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
			if err != nil {
				tb.Errorf("ListObjectVersions %s: %v", bucket, err)
				return
			}
			var ids []types.ObjectIdentifier
			for _, v := range page.Versions {
				ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
			}
			for _, m := range page.DeleteMarkers {
				ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
			}
			if len(ids) == 0 {
				break
			}
			out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}})
			if err != nil || len(out.Errors) > 0 {
				tb.Errorf("DeleteObjects %s: %v %+v", bucket, err, out)
				return
			}
		}
		if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
			tb.Errorf("DeleteBucket %s: %v", bucket, err)
		}
	})
	return bucket
}

// newFakeS3 returns a client of a fresh gofakes3 server with one bucket.
func newFakeS3(tb testing.TB, bucket string) *s3.Client {
	tb.Helper()
	ts := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	tb.Cleanup(ts.Close)
	client := newS3(ts.URL)
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		tb.Fatalf("CreateBucket: %v", err)
	}
	return client
}

func TestBlobsMissingBucket(t *testing.T) {
	b := NewBlobs(newFakeS3(t, "docflow"), "elsewhere", "drafts/", "files/")
	_, err := b.File(t.Context(), "published/c1/notice.html")
	if workflow.KindOf(err) != workflow.Other || !strings.Contains(err.Error(), `bucket "elsewhere" does not exist`) {
		t.Errorf("File in a missing bucket = %v; want an internal error naming the bucket", err)
	}
}

func TestBlobsGetChecks(t *testing.T) {
	client := newFakeS3(t, "docflow")
	b := NewBlobs(client, "docflow", "drafts/", "files/")

	// A hash that is no hash addresses nothing, not even an object that
	// happens to be under the prefix.
	if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("docflow"),
		Key: aws.String("drafts/sha256/x"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for _, hash := range []string{"x", "../sha256/x", strings.Repeat("A", 64)} {
		if _, err := b.Get(t.Context(), hash); workflow.KindOf(err) != workflow.NotFound {
			t.Errorf("Get(%q) = %v; want NotFound", hash, err)
		}
	}

	// An object whose content does not match its name is damage, not a draft.
	hash := workflow.Hash([]byte("原稿"))
	if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("docflow"),
		Key: aws.String("drafts/sha256/" + hash), Body: strings.NewReader("改稿")}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(t.Context(), hash); workflow.KindOf(err) != workflow.Other || got != nil {
		t.Errorf("Get of a damaged object = %q, %v; want an internal error", got, err)
	}
}

// TestBlobsPutInFlight has S3 answer 409 ConditionalRequestConflict, as it
// does while another write of the same key is in flight: Put tries again.
func TestBlobsPutInFlight(t *testing.T) {
	fake := gofakes3.New(s3mem.New()).Server()
	var conflicts atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/sha256/") && conflicts.Add(1) <= 2 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict</Code>`+
				`<Message>A conflicting conditional operation is currently in progress against this resource.</Message></Error>`)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	client := newS3(ts.URL)
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("docflow")}); err != nil {
		t.Fatal(err)
	}
	b := NewBlobs(client, "docflow", "drafts/", "files/")
	data := []byte("区政府高度重视审议意见的办理工作。")
	hash, err := b.Put(t.Context(), data)
	if err != nil || hash != workflow.Hash(data) {
		t.Fatalf("Put after two 409s = %s, %v; want the hash", hash, err)
	}
	if n := conflicts.Load(); n != 3 {
		t.Errorf("Put made %d PUT requests; want 3 (two answered 409, then the write)", n)
	}
	if got, err := b.Get(t.Context(), hash); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get after two 409s = %q, %v; want the content", got, err)
	}
}
