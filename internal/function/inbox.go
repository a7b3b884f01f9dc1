package function

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
)

// uploaderKey is the object metadata naming the clerk who asked for the
// upload URL. It is part of the presigned signature, so the browser cannot
// change it.
const uploaderKey = "uploader"

// filenameKey is the object metadata carrying the uploaded file's name,
// percent-encoded (metadata is ASCII), from the upload page's form. Keys
// of form uploads end in a random id only; keys of presigned PUTs carry
// the name themselves (originalName).
const filenameKey = "filename"

// revisesKey is the object metadata naming the case whose opinion the
// file revises (POST /api/uploads {revises}), signed into the URL.
const revisesKey = "revises"

// A Parser reads an opinion file: opinion.Parse, with the office's months
// for items that name no deadline. The intake function's main passes it
// (see Intake), so that only its binary links and initialises the opinion
// reader.
type Parser func(name string, data []byte, defaultMonths int) (*workflow.Opinion, error)

// maxOpinion is the largest opinion file, as opinion.MaxSize (a test
// checks they agree): presigned uploads are limited to it.
const maxOpinion = 2 << 20

// HandleS3 opens a case for each opinion that lands in the inbox, read
// with parse. Events come at least once: the case ID derives from the
// file's content, so a repeated delivery finds the case open and is not an
// error. A file that is not a readable opinion is logged and not retried,
// since retrying cannot make it readable.
func (a *App) HandleS3(ctx context.Context, ev events.S3Event, parse Parser) error {
	var errs []error
	for _, rec := range ev.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") && !strings.HasPrefix(rec.EventName, "s3:ObjectCreated:") {
			continue
		}
		key := rec.S3.Object.URLDecodedKey
		if key == "" {
			key = rec.S3.Object.Key
		}
		if !strings.HasPrefix(key, a.Settings.InboxPrefix) {
			a.Log.WarnContext(ctx, "object outside the inbox ignored", "key", key)
			continue
		}
		if err := a.intakeObject(ctx, rec.S3.Bucket.Name, key, parse); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

func (a *App) intakeObject(ctx context.Context, bucket, key string, parse Parser) error {
	out, err := a.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get object: %w", err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxOpinion+1))
	if err != nil {
		return fmt.Errorf("read object: %w", err)
	}
	uploader, err := a.Service.Dir.Account(ctx, out.Metadata[uploaderKey])
	if workflow.KindOf(err) == workflow.NotFound || err == nil && uploader.Disabled {
		a.Log.ErrorContext(ctx, "inbox object without a known uploader; not opened", "key", key, "uploader", out.Metadata[uploaderKey])
		return nil
	}
	if err != nil {
		return err
	}
	clerk := uploader.Identity()
	office, err := a.Service.Office(ctx)
	if err != nil {
		return err
	}
	o, err := parse(sourceName(key, out.Metadata[filenameKey]), data, office.Profile.DefaultDue)
	if err != nil {
		a.Log.ErrorContext(ctx, "inbox object is not a readable opinion; not opened", "key", key, "reason", workflow.Message(err), "err", err)
		return nil
	}
	src := workflow.Source{Name: sourceName(key, out.Metadata[filenameKey]), Key: key}
	var c *workflow.Case
	if revises := out.Metadata[revisesKey]; revises != "" {
		c, err = a.Service.Revise(ctx, clerk, revises, src, data, o)
	} else {
		c, err = a.Service.Intake(ctx, clerk, src, data, o)
	}
	switch {
	case errors.Is(err, workflow.ErrNumberTaken) && c != nil:
		// Another file of an opinion already registered: refused, not
		// opened. A revised version is registered through the API or the
		// local pages (Revise); the inbox has no way to say so.
		a.Log.ErrorContext(ctx, "opinion refused: its 来文字号 is registered to another case", "key", key, "case", c.ID, "number", o.Number, "reason", workflow.Message(err))
		return nil
	case workflow.KindOf(err) == workflow.Conflict && c != nil:
		a.Log.InfoContext(ctx, "opinion already open; repeated delivery", "key", key, "case", c.ID)
		return nil
	case workflow.KindOf(err) == workflow.Invalid || workflow.KindOf(err) == workflow.Forbidden || workflow.KindOf(err) == workflow.NotFound:
		a.Log.ErrorContext(ctx, "opinion refused", "key", key, "reason", workflow.Message(err))
		return nil
	case err != nil:
		return err // storage trouble: let Lambda retry
	}
	a.Log.InfoContext(ctx, "case opened", "key", key, "case", c.ID, "number", o.Number)
	return nil
}

// presigner hands out presigned PUT URLs and upload forms (POST object)
// into the inbox.
type presigner struct {
	s3     *s3.PresignClient
	bucket string
	prefix string
	public string // the site as browsers reach it (settings.PublicURL): where the bucket sends them after a form upload
}

// uploadTTL is how long an upload URL works: long enough to pick and send a
// file, short enough that a leaked URL is soon useless.
const uploadTTL = 10 * time.Minute

var allowedTypes = map[string]bool{
	"text/plain": true, "text/markdown": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
}

func (p *presigner) Presign(ctx context.Context, id workflow.Identity, name, contentType string, size int64, revises string) (*web.Upload, error) {
	const op = "function.Presign"
	base := strings.SplitN(contentType, ";", 2)[0]
	switch {
	case size <= 0:
		return nil, workflow.Errorf(op, workflow.Invalid, "文件为空")
	case size > maxOpinion:
		return nil, workflow.Errorf(op, workflow.Invalid, "文件过大（%d 字节，上限 %d 字节）", size, maxOpinion)
	case !allowedTypes[strings.TrimSpace(base)]:
		return nil, workflow.Errorf(op, workflow.Invalid, "只接受 .txt、.md 或 .docx 文件（收到类型 %q）", contentType)
	}
	if len(revises) > 64 || strings.ContainsAny(revises, "/#\r\n") {
		return nil, workflow.Errorf(op, workflow.Invalid, "要修订的案件编号 %q 无效", revises)
	}
	key := fmt.Sprintf("%s%s/%s-%s", p.prefix, time.Now().UTC().Format("2006-01-02"), randomID(), safeName(name))
	// Signed headers: the uploader (and the case revised) are what the
	// clerk asked for, not what the browser says.
	meta := map[string]string{uploaderKey: id.User}
	if revises != "" {
		meta[revisesKey] = revises
	}
	req, err := p.s3.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(p.bucket),
		Key:           aws.String(key),
		ContentType:   aws.String(contentType),
		ContentLength: aws.Int64(size),
		Metadata:      meta,
	}, s3.WithPresignExpires(uploadTTL))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	headers := map[string]string{}
	for k, v := range req.SignedHeader {
		if strings.EqualFold(k, "host") {
			continue
		}
		headers[k] = strings.Join(v, ",")
	}
	return &web.Upload{Method: req.Method, URL: req.URL, Key: key, Headers: headers, Expires: time.Now().Add(uploadTTL)}, nil
}

// PresignPost signs an upload form for the clerk: the policy fixes the key
// (chosen here, ending in a random id), the uploader metadata, the size
// range and where the bucket sends the browser afterwards; only the file
// name metadata is the browser's to fill (see sourceName).
func (p *presigner) PresignPost(ctx context.Context, id workflow.Identity) (*web.PostUpload, error) {
	const op = "function.PresignPost"
	if p.public == "" {
		return nil, fmt.Errorf("%s: DOCFLOW_PUBLIC_URL is not set; the bucket would not know where to send the browser", op)
	}
	key := fmt.Sprintf("%s%s/%s", p.prefix, time.Now().UTC().Format("2006-01-02"), randomID())
	// The bucket appends ?bucket=…&key=…&etag=… to this.
	redirect := p.public + "/cases/uploaded"
	req, err := p.s3.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)}, func(o *s3.PresignPostOptions) {
		o.Expires = uploadTTL
		o.Conditions = []any{
			map[string]string{"key": key},
			[]any{"content-length-range", 1, maxOpinion},
			map[string]string{"x-amz-meta-" + uploaderKey: id.User},
			[]any{"starts-with", "$x-amz-meta-" + filenameKey, ""},
			map[string]string{"success_action_redirect": redirect},
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	up := &web.PostUpload{URL: req.URL, Key: key, Expires: time.Now().Add(uploadTTL)}
	for k, v := range req.Values {
		up.Fields = append(up.Fields, web.FormField{Name: k, Value: v})
	}
	slices.SortFunc(up.Fields, func(a, b web.FormField) int { return strings.Compare(a.Name, b.Name) })
	up.Fields = append(up.Fields,
		web.FormField{Name: "x-amz-meta-" + uploaderKey, Value: id.User},
		web.FormField{Name: "x-amz-meta-" + filenameKey, Value: ""}, // the page's script fills it in
		web.FormField{Name: "success_action_redirect", Value: redirect})
	return up, nil
}

// sourceName is the uploaded file's name: the filename metadata of a form
// upload when it is there, else the name in the key.
func sourceName(key, meta string) string {
	if meta != "" {
		if name, err := url.PathUnescape(meta); err == nil {
			// Shown as it was named, but without a path or control characters.
			name = strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return -1
				}
				return r
			}, path.Base(strings.ReplaceAll(name, `\`, "/")))
			if r := []rune(strings.TrimSpace(name)); len(r) > 0 && len(r) <= 200 && name != "." && name != "/" {
				return string(r)
			}
		}
	}
	return originalName(key)
}

// unsafeChars is compiled on first use: its Unicode classes take a tenth
// of a millisecond, at every cold start of every function otherwise.
var unsafeChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^\p{L}\p{N}._-]+`) })

// safeName keeps a file name readable in the key but free of separators.
func safeName(name string) string {
	name = unsafeChars().ReplaceAllString(path.Base(strings.ReplaceAll(name, `\`, "/")), "_")
	if r := []rune(name); len(r) > 80 {
		name = string(r[len(r)-80:])
	}
	if name == "" || name == "." || name == "_" {
		name = "opinion.txt"
	}
	return name
}

// originalName recovers the uploaded name from an inbox key: what follows
// the random id and its dash; a key without a name (a form upload whose
// name did not come) gives the random id.
func originalName(key string) string {
	b := path.Base(key)
	if i := strings.IndexByte(b, '-'); i >= 0 {
		return b[i+1:]
	}
	return b
}
