package function

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

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
	return ClaimsIdentity(r)
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
		_, err := p.Presign(context.Background(), clerk, "x", tt.ct, tt.size)
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
