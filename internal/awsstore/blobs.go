package awsstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/docflow/docflow/internal/workflow"
)

// s3API is the part of the S3 client that Blobs uses.
type s3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Blobs keeps drafts and published files in one S3 bucket, as the package
// comment describes. Every object is written once, with If-None-Match: *,
// so nothing stored is ever replaced, even on a bucket without versioning.
// It is safe for concurrent use.
type Blobs struct {
	s3     s3API
	bucket string
	drafts string // key prefix of content-addressed drafts
	files  string // key prefix of published files
}

var _ workflow.Blobs = (*Blobs)(nil)

// NewBlobs returns Blobs over the bucket, keeping drafts under draftsPrefix
// and published files under filesPrefix (each "" or ending in "/"). It does
// no I/O.
func NewBlobs(client s3API, bucket, draftsPrefix, filesPrefix string) *Blobs {
	return &Blobs{s3: client, bucket: bucket, drafts: draftsPrefix, files: filesPrefix}
}

func (b *Blobs) draftKey(hash string) string { return b.drafts + "sha256/" + hash }

// Put implements workflow.Blobs. The content type is sniffed, only so that
// the objects make sense in the console; readers go by hash.
func (b *Blobs) Put(ctx context.Context, data []byte) (string, error) {
	const op = "awsstore.Blobs.Put"
	hash := workflow.Hash(data)
	err := b.put(ctx, b.draftKey(hash), data, http.DetectContentType(data))
	if err != nil && !preconditionFailed(err) { // 412: the content is already there
		return "", b.fail(op, err, hash)
	}
	return hash, nil
}

// Get implements workflow.Blobs. It checks the content against the hash, so
// a damaged object shows as an error rather than as a wrong draft.
func (b *Blobs) Get(ctx context.Context, hash string) ([]byte, error) {
	const op = "awsstore.Blobs.Get"
	if !isHash(hash) {
		// Not a key this store could have written; do not let it address
		// some other object under the prefix.
		return nil, workflow.Errorf(op, workflow.NotFound, "没有内容 %q", hash)
	}
	data, err := b.get(ctx, b.draftKey(hash))
	if err != nil {
		return nil, b.fail(op, err, hash)
	}
	if got := workflow.Hash(data); got != hash {
		return nil, &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf("object %s holds content with hash %s", b.draftKey(hash), got)}
	}
	return data, nil
}

// PutFile implements workflow.Blobs. When the key is taken it compares the
// stored content, so a retried publication succeeds and a different file
// never replaces a published one.
func (b *Blobs) PutFile(ctx context.Context, key string, data []byte, contentType string) error {
	const op = "awsstore.Blobs.PutFile"
	if key == "" {
		return workflow.Errorf(op, workflow.Invalid, "文件名为空")
	}
	err := b.put(ctx, b.files+key, data, contentType)
	if err == nil {
		return nil
	}
	if !preconditionFailed(err) {
		return b.fail(op, err, key)
	}
	old, err := b.get(ctx, b.files+key)
	if err != nil {
		return b.fail(op, err, key)
	}
	if !bytes.Equal(old, data) {
		return workflow.Errorf(op, workflow.Conflict, "文件 %s 已发布，内容不同，不能覆盖", key)
	}
	return nil
}

// File implements workflow.Blobs.
func (b *Blobs) File(ctx context.Context, key string) ([]byte, error) {
	const op = "awsstore.Blobs.File"
	data, err := b.get(ctx, b.files+key)
	if err != nil {
		return nil, b.fail(op, err, key)
	}
	return data, nil
}

// put writes an object unless the key exists. S3 answers 412 when it does,
// and 409 when a write of the same key is in flight; that write may yet
// fail, so put tries again after a moment, and then sees 412 or succeeds.
func (b *Blobs) put(ctx context.Context, key string, data []byte, contentType string) error {
	sum := sha256.Sum256(data)
	var err error
	for try := 1; try <= 3; try++ {
		if try > 1 {
			if err := sleep(ctx, backoff(try)); err != nil {
				return fmt.Errorf("put s3://%s/%s: wait to retry: %w", b.bucket, key, err)
			}
		}
		_, err = b.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:         aws.String(b.bucket),
			Key:            aws.String(key),
			Body:           bytes.NewReader(data),
			ContentLength:  aws.Int64(int64(len(data))),
			ContentType:    aws.String(contentType),
			ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])), // S3 refuses a body that arrives damaged
			IfNoneMatch:    aws.String("*"),
		})
		if status(err) != http.StatusConflict {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", b.bucket, key, err)
	}
	return nil
}

func (b *Blobs) get(ctx context.Context, key string) ([]byte, error) {
	out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", b.bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", b.bucket, key, err)
	}
	return data, nil
}

// fail translates an error from S3 into a workflow.Error: a missing key is
// NotFound, a missing bucket an internal error that says so, anything else
// Other.
func (b *Blobs) fail(op string, err error, name string) error {
	var (
		nsk *types.NoSuchKey
		nf  *types.NotFound
		nsb *types.NoSuchBucket
	)
	switch {
	case errors.As(err, &nsb) || code(err) == "NoSuchBucket":
		return &workflow.Error{Op: op, Kind: workflow.Other, Err: fmt.Errorf(
			"bucket %q does not exist; deploy template.yaml, or create it for a local S3: %w", b.bucket, err)}
	case errors.As(err, &nsk), errors.As(err, &nf), status(err) == http.StatusNotFound:
		return &workflow.Error{Op: op, Kind: workflow.NotFound, Msg: fmt.Sprintf("没有 %s", name), Err: err}
	}
	return &workflow.Error{Op: op, Kind: workflow.Other, Err: err}
}

func preconditionFailed(err error) bool {
	return status(err) == http.StatusPreconditionFailed || code(err) == "PreconditionFailed"
}

// status returns the HTTP status of a failed S3 call, or 0. The interface
// is the one the SDK's response errors implement.
func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isHash reports whether s is a lowercase hex SHA-256, as workflow.Hash makes.
func isHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
