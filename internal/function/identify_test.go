package function

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/docflow/docflow/internal/signin"
	"github.com/docflow/docflow/internal/workflow"
)

// TestIdentifyPrefersGatewayClaims runs the functions' Identify over
// payload 2.0 events: an API route's JWT claims name the caller even when
// a session cookie for someone else is sent; a page route (no authorizer)
// is named by a valid session cookie, and by nothing else.
func TestIdentifyPrefersGatewayClaims(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var jwks *httptest.Server
	jwks = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pool/.well-known/openid-configuration" {
			json.NewEncoder(w).Encode(map[string]any{"issuer": jwks.URL + "/pool", "authorization_endpoint": "https://login.example/oauth2/authorize",
				"token_endpoint": "https://login.example/oauth2/token", "jwks_uri": jwks.URL + "/pool/keys"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{"kty": "RSA", "kid": "k1",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	}))
	defer jwks.Close()
	idp, err := signin.New(signin.Config{Issuer: jwks.URL + "/pool", ClientID: "web",
		RedirectURL: "https://docflow.example.gov.cn/auth/callback", HTTP: jwks.Client()})
	if err != nil {
		t.Fatal(err)
	}
	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := seg(map[string]string{"alg": "RS256", "kid": "k1"}) + "." + seg(map[string]any{"iss": jwks.URL + "/pool", "aud": "web", "token_use": "id",
		"exp": time.Now().Add(time.Hour).Unix(), "cognito:username": "clerk", "name": "王敏", "cognito:groups": []string{"clerk"}})
	sum := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	clerkToken := in + "." + base64.RawURLEncoding.EncodeToString(sig)

	identify := Identify(signin.DefaultClaims, idp, nil)
	do := func(claims map[string]string, cookie string) workflow.Identity {
		t.Helper()
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/cases", Headers: map[string]string{},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/cases"}}}
		if claims != nil {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		}
		if cookie != "" {
			ev.Cookies = []string{"docflow_lang=zh", "docflow_session=" + cookie}
		}
		var acc core.RequestAccessorV2
		r, err := acc.EventToRequestWithContext(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		id, err := identify(r)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := do(map[string]string{"cognito:username": "fulian-head", "cognito:groups": "[head]"}, clerkToken); id.User != "fulian-head" || id.Has(workflow.Clerk) {
		t.Errorf("API route with JWT claims and the clerk's cookie: %+v; want fulian-head from the claims", id)
	}
	if id := do(nil, clerkToken); id.User != "clerk" || !id.Has(workflow.Clerk) {
		t.Errorf("page route with the clerk's session cookie: %+v; want clerk", id)
	}
	tampered := []byte(clerkToken)
	if i := len(tampered) - 10; tampered[i] == 'A' { // a signature character that carries only data bits
		tampered[i] = 'B'
	} else {
		tampered[i] = 'A'
	}
	if id := do(nil, string(tampered)); id.User != "" {
		t.Errorf("page route with a tampered cookie: %+v; want the public", id)
	}
	if id := do(nil, ""); id.User != "" {
		t.Errorf("page route without a cookie: %+v; want the public", id)
	}
}
