// Package function wires docflow into AWS Lambda: the service over
// DynamoDB and S3, the HTTP API behind API Gateway (payload 2.0), the S3
// inbox events of intake, and identity from the JWT authorizer. The
// functions/<stage> mains only read settings and call New.
package function

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/docflow/docflow/internal/accesslog"
	"github.com/docflow/docflow/internal/auditkey"
	"github.com/docflow/docflow/internal/awsstore"
	"github.com/docflow/docflow/internal/notice"
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/signin"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
	"github.com/docflow/docflow/templates"
)

// App is one function's state, built once per cold start.
type App struct {
	Settings settings.Settings
	Service  *workflow.Service
	Web      *web.Server
	Log      *slog.Logger
	S3       *s3.Client
	Roster   workflow.Accounts
}

// New builds the SDK clients, the store and the service. It does no network
// I/O, so a cold start costs only what it must. Notices are rendered as
// HTML and the given formats: only the publish function passes the PDF
// and .docx writers, so only its binary links them.
func New(ctx context.Context, env settings.Settings, formats ...notice.Format) (*App, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if env.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(env.DynamoDBEndpoint)
		}
	})
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if env.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(env.S3Endpoint)
			o.UsePathStyle = true // local S3 servers have no virtual-host buckets
		}
	})
	profile, err := templates.Profile(templates.FS)
	if err != nil {
		return nil, err
	}
	// The roster names who may be chosen as signers and who heads each
	// department; identity itself comes from the JWT on every request.
	roster, err := templates.Accounts(templates.FS)
	if err != nil {
		return nil, err
	}
	render, err := notice.New(notice.WithFormats(formats...))
	if err != nil {
		return nil, err
	}
	log := slog.New(accesslog.WithRequestID(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: env.LogLevel})))
	a := &App{Settings: env, Log: log, S3: s3c, Roster: roster}
	// Every change's events are signed with the KMS key (one kms:Sign
	// call); the audit page verifies with its public key, fetched once.
	keys := auditkey.NewKMS(kms.NewFromConfig(cfg), env.AuditKeys...)
	a.Service = &workflow.Service{
		Store:    awsstore.New(db, env.Table),
		Blobs:    awsstore.NewBlobs(s3c, env.Bucket, env.DraftsPrefix, env.FilesPrefix),
		Render:   render,
		Dir:      roster,
		Profile:  profile,
		Signer:   keys,
		Verifier: keys,
	}
	a.Web = &web.Server{
		Service:  a.Service,
		Identify: accesslog.Identify(ClaimsIdentity(env.Claims)),
		// No Parse: the routes that read an opinion file from the request
		// are local only; on AWS the inbox events read it (HandleS3), so
		// only the intake function links the opinion reader.
		Log:     log,
		Uploads: &presigner{s3: s3.NewPresignClient(s3c), bucket: env.Bucket, prefix: env.InboxPrefix, public: env.PublicURL},
	}
	if env.SessionAuth() {
		idp, err := signin.New(signin.Config{
			Issuer: env.AuthIssuer, ClientID: env.AuthClientID, RedirectURL: env.PublicURL + "/auth/callback",
			Scopes: env.AuthScopes, Claims: env.Claims, LogoutURL: env.AuthLogoutURL, Log: log,
		})
		if err != nil {
			return nil, fmt.Errorf("browser sign-in settings: %w", err)
		}
		a.Web.Identify = accesslog.Identify(Identify(env.Claims, idp))
		a.Web.Auth = idp.Handler()
	}
	return a, nil
}

// Identify names the caller from the JWT authorizer's claims when API
// Gateway checked a token (the API), and otherwise from the session cookie
// (the pages, which API Gateway routes without an authorizer).
func Identify(m signin.ClaimMap, idp *signin.Provider) func(*http.Request) (workflow.Identity, error) {
	claims := ClaimsIdentity(m)
	return func(r *http.Request) (workflow.Identity, error) {
		if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.Authorizer != nil && rc.Authorizer.JWT != nil {
			return claims(r)
		}
		return idp.Identify(r)
	}
}

// HTTP returns the Lambda handler for one group of routes, which logs
// each request with API Gateway's request ID.
func (a *App) HTTP(g web.Group) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(accesslog.Handler(a.Log, a.Web.FunctionHandler(g), gatewayRequestID)).ProxyWithContext
}

// gatewayRequestID is API Gateway's ID of the request (its access logs and
// the client's x-amzn-requestid name it), "" outside API Gateway.
func gatewayRequestID(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok {
		return rc.RequestID
	}
	return ""
}

// Intake is the intake function's handler: API requests, and S3
// ObjectCreated events from the inbox.
func (a *App) Intake() func(context.Context, json.RawMessage) (any, error) {
	api := a.HTTP(web.Intake)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records []struct {
				EventSource string `json:"eventSource"`
			}
		}
		if json.Unmarshal(raw, &probe) == nil && len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:s3" {
			var ev events.S3Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("decode S3 event: %w", err)
			}
			return nil, a.HandleS3(ctx, ev)
		}
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("decode API Gateway v2 request: %w", err)
		}
		return api(ctx, req)
	}
}

// ClaimsIdentity reads the caller from the JWT authorizer's claims, mapped
// by m as the session cookie's are. It reads the request context the
// adapter put on the Go context, never a header: a client can send any
// header it likes.
func ClaimsIdentity(m signin.ClaimMap) func(*http.Request) (workflow.Identity, error) {
	return func(r *http.Request) (workflow.Identity, error) {
		rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
		if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil {
			return workflow.Anonymous, nil
		}
		// HTTP APIs flatten array claims to "[clerk approver]"; the
		// mapping reads that as well as an ID token's JSON array.
		claims := make(map[string]any, len(rc.Authorizer.JWT.Claims))
		for k, v := range rc.Authorizer.JWT.Claims {
			claims[k] = v
		}
		return m.Identity(claims)
	}
}
