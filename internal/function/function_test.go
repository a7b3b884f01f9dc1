package function

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/docflow/docflow/internal/opinion"
	"github.com/docflow/docflow/internal/signin"
	"github.com/docflow/docflow/internal/workflow"
)

// request builds the *http.Request the API Gateway adapter would hand the
// handlers for an event with the given authorizer.
func request(t *testing.T, auth *events.APIGatewayV2HTTPRequestContextAuthorizerDescription, header string) (workflow.Identity, error) {
	t.Helper()
	var acc core.RequestAccessorV2
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/api/me", Headers: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{Authorizer: auth, HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/me"}}}
	if header != "" {
		// A client trying to pass its own gateway context in a header.
		ev.Headers[core.APIGwContextHeader] = header
	}
	r, err := acc.EventToRequestWithContext(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return ClaimsIdentity(signin.DefaultClaims, nil)(r)
}

func TestClaimsIdentity(t *testing.T) {
	jwt := func(c map[string]string) *events.APIGatewayV2HTTPRequestContextAuthorizerDescription {
		return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: c}}
	}
	id, err := request(t, jwt(map[string]string{"cognito:username": "fulian-head", "name": "赵华", "custom:dept": "区妇联", "cognito:groups": "[head approver]"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if id.User != "fulian-head" || id.Dept != "区妇联" || !slices.Equal(id.Roles, []workflow.Role{workflow.Head, workflow.Approver}) {
		t.Errorf("ClaimsIdentity = %+v; want fulian-head of 区妇联 with roles head, approver", id)
	}
	id, err = request(t, nil, "")
	if err != nil || id.User != "" {
		t.Errorf("no authorizer: %+v, %v; want the public", id, err)
	}
	forged := `{"authorizer":{"jwt":{"claims":{"cognito:username":"clerk","cognito:groups":"[clerk]"}}}}`
	id, err = request(t, nil, forged)
	if err != nil || id.User != "" || id.Has(workflow.Clerk) {
		t.Errorf("a forged context header made the caller %+v (%v); want the public", id, err)
	}
	if _, err := request(t, jwt(map[string]string{"name": "无名"}), ""); err == nil {
		t.Error("JWT without username or sub accepted")
	}
}

func TestPresignRefusesBadUploads(t *testing.T) {
	p := &presigner{bucket: "b", prefix: "inbox/"}
	clerk := workflow.Identity{User: "clerk", Roles: []workflow.Role{workflow.Clerk}}
	for _, tt := range []struct {
		name, ct string
		size     int64
		phrase   string
	}{
		{"empty", "text/plain", 0, "文件为空"},
		{"too big", "text/plain", 3 << 20, "过大"},
		{"an executable", "application/x-msdownload", 100, "只接受"},
		{"a PDF", "application/pdf", 100, "只接受"},
	} {
		_, err := p.Presign(context.Background(), clerk, "x", tt.ct, tt.size, "")
		if workflow.KindOf(err) != workflow.Invalid || !strings.Contains(workflow.Message(err), tt.phrase) {
			t.Errorf("%s: %v; want Invalid saying %q", tt.name, err, tt.phrase)
		}
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"静会〔2025〕57号.txt":       "静会_2025_57号.txt",
		"../../etc/passwd":      "passwd",
		`C:\Users\王\意见.docx`:    "意见.docx",
		"":                      "opinion.txt",
		"a b?c.md":              "a_b_c.md",
		"inbox/../drafts/x.txt": "x.txt",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q; want %q", in, got, want)
		}
	}
	if got := originalName("inbox/2025-07-11/0123456789abcdef-意见.txt"); got != "意见.txt" {
		t.Errorf("originalName = %q", got)
	}
}

func TestPresignPostPolicy(t *testing.T) {
	c := s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), BaseEndpoint: aws.String("https://s3.example"), UsePathStyle: true})
	p := &presigner{s3: s3.NewPresignClient(c), bucket: "b", prefix: "inbox/", public: "https://docflow.example"}
	up, err := p.PresignPost(context.Background(), workflow.Identity{User: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, f := range up.Fields {
		fields[f.Name] = f.Value
	}
	if !strings.HasPrefix(up.Key, "inbox/") || fields["key"] != up.Key || strings.Contains(path.Base(up.Key), "-") {
		t.Errorf("key %q (field %q); want one under inbox/ ending in a random id", up.Key, fields["key"])
	}
	raw, err := base64.StdEncoding.DecodeString(fields["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var policy struct{ Conditions []any }
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	conds, _ := json.Marshal(policy.Conditions)
	for _, want := range []string{`{"key":"` + up.Key + `"}`, `["content-length-range",1,` + strconv.Itoa(opinion.MaxSize) + `]`,
		`{"x-amz-meta-uploader":"clerk"}`, `["starts-with","$x-amz-meta-filename",""]`,
		`{"success_action_redirect":"https://docflow.example/cases/uploaded"}`, `{"bucket":"b"}`} {
		if !strings.Contains(string(conds), want) {
			t.Errorf("policy conditions %s lack %s", conds, want)
		}
	}
	if fields["x-amz-meta-uploader"] != "clerk" || fields["success_action_redirect"] != "https://docflow.example/cases/uploaded" {
		t.Errorf("form fields %v", fields)
	}
	// SigV4 for POST: the signature is HMAC(signing key, base64 policy).
	h := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	day := fields["X-Amz-Date"][:8]
	k := h(h(h(h([]byte("AWS4secret"), day), "us-east-1"), "s3"), "aws4_request")
	if got, want := fields["X-Amz-Signature"], hex.EncodeToString(h(k, fields["policy"])); got != want {
		t.Errorf("signature %s; want %s", got, want)
	}
	if fields["X-Amz-Credential"] != "AKID/"+day+"/us-east-1/s3/aws4_request" {
		t.Errorf("credential %q", fields["X-Amz-Credential"])
	}
	if _, err := (&presigner{s3: p.s3, bucket: "b", prefix: "inbox/"}).PresignPost(context.Background(), workflow.Identity{User: "clerk"}); err == nil {
		t.Error("a form without DOCFLOW_PUBLIC_URL to return to was signed")
	}
}

func TestSourceName(t *testing.T) {
	for _, tt := range []struct{ key, meta, want string }{
		{"inbox/2026-01-02/ab12-静会_2025_57号.txt", "", "静会_2025_57号.txt"},
		{"inbox/2026-01-02/ab12", url.PathEscape("静会〔2025〕57号.txt"), "静会〔2025〕57号.txt"},
		{"inbox/2026-01-02/ab12", url.PathEscape(`C:\x\..\意见.docx`), "意见.docx"},
		{"inbox/2026-01-02/ab12", "%zz", "ab12"},
		{"inbox/2026-01-02/ab12", "a%0Ab.txt", "ab.txt"},
	} {
		if got := sourceName(tt.key, tt.meta); got != tt.want {
			t.Errorf("sourceName(%q, %q) = %q; want %q", tt.key, tt.meta, got, tt.want)
		}
	}
}

// TestMaxOpinion: uploads are limited to what the opinion reader takes.
func TestMaxOpinion(t *testing.T) {
	if maxOpinion != opinion.MaxSize {
		t.Errorf("maxOpinion = %d; opinion.MaxSize = %d", maxOpinion, opinion.MaxSize)
	}
}
