// Package function wires docflow into AWS Lambda: the service over
// DynamoDB and S3, the HTTP API behind API Gateway (payload 2.0), the S3
// inbox events of intake, and identity from the JWT authorizer. The
// functions/<stage> mains read settings, call New, give the service a
// renderer if their routes render, and start the handler of their own
// table of routes (web.AssignTable, …) or the notify function's schedule.
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
	"github.com/docflow/docflow/internal/settings"
	"github.com/docflow/docflow/internal/signin"
	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
)

// App is one function's state, built once per cold start.
type App struct {
	Settings settings.Settings
	Service  *workflow.Service
	Log      *slog.Logger
	S3       *s3.Client
	Store    *awsstore.Store
	// Config is the SDK's configuration, for the clients only one
	// function needs (the notify function's SES).
	Config aws.Config
	// ReadDocx reads sections imported from Word (web.Server.ReadDocx);
	// set by the draft function alone, so no other links the reader.
	ReadDocx func(data []byte, level int) (heading, body string, err error)
	// ReadList reads lists of 代表建议 and 政协提案 (web.Server.ReadList);
	// set by the assign function alone.
	ReadList func(name string, data []byte, maxRows int) ([]workflow.Proposal, []workflow.Imported, error)
}

// New builds the SDK clients, the store and the service: what every
// function needs. It does no network I/O, so a cold start costs only what
// it must.
//
// The service renders nothing (Service.Render is nil): the functions
// whose routes render Markdown or publish (draft, signoff, publish) set
// it, each with what it needs (notice.New; only publish passes the PDF
// and .docx writers), so that the others do not link the renderer.
func New(ctx context.Context, env settings.Settings) (*App, error) {
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
	log := slog.New(accesslog.WithRequestID(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: env.LogLevel})))
	st := awsstore.New(db, env.Table)
	a := &App{Settings: env, Log: log, S3: s3c, Store: st, Config: cfg}
	// Every change's events are signed with the KMS key (one kms:Sign
	// call); the audit page verifies with its public key, fetched once.
	keys := auditkey.NewKMS(kms.NewFromConfig(cfg), env.AuditKeys...)
	a.Service = &workflow.Service{
		Store:    st,
		Blobs:    awsstore.NewBlobs(s3c, env.Bucket, env.DraftsPrefix, env.FilesPrefix),
		Dir:      st,
		Outbox:   st,
		Signer:   keys,
		Verifier: keys,
	}
	return a, nil
}

// server is the web server of the functions that serve HTTP: the notify
// function never builds one, so it links neither the pages nor the
// sign-in. uploads is intake's presigner, nil elsewhere (no other
// function's routes upload).
func (a *App) server(uploads web.Uploads) (*web.Server, error) {
	env := a.Settings
	srv := &web.Server{
		Service:  a.Service,
		Identify: accesslog.Identify(ClaimsIdentity(env.Claims, a.Store)),
		// No Parse: the routes that read an opinion file from the request
		// are local only; on AWS the inbox events read it (HandleS3).
		Log:      a.Log,
		Uploads:  uploads,
		ReadDocx: a.ReadDocx,
		ReadList: a.ReadList,
	}
	if env.SessionAuth() {
		idp, err := signin.New(signin.Config{
			Issuer: env.AuthIssuer, ClientID: env.AuthClientID, RedirectURL: env.PublicURL + "/auth/callback",
			Scopes: env.AuthScopes, Claims: env.Claims, LogoutURL: env.AuthLogoutURL, Log: a.Log,
		})
		if err != nil {
			return nil, fmt.Errorf("browser sign-in settings: %w", err)
		}
		srv.Identify = accesslog.Identify(Identify(env.Claims, idp, a.Store))
		srv.Auth = idp.Handler()
	}
	return srv, nil
}

// Identify names the caller from the JWT authorizer's claims when API
// Gateway checked a token (the API), and otherwise from the session cookie
// (the pages, which API Gateway routes without an authorizer).
func Identify(m signin.ClaimMap, idp *signin.Provider, dir workflow.Directory) func(*http.Request) (workflow.Identity, error) {
	claims := ClaimsIdentity(m, dir)
	return func(r *http.Request) (workflow.Identity, error) {
		if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.Authorizer != nil && rc.Authorizer.JWT != nil {
			return claims(r)
		}
		id, err := idp.Identify(r)
		if err != nil {
			return id, err
		}
		return accountOf(r.Context(), dir, id)
	}
}

// HTTP returns the Lambda handler for one table of routes and pages
// (web.IntakeTable, …: the caller's own, so that its binary links only
// that table's handlers), which logs each request with API Gateway's
// request ID.
func (a *App) HTTP(t web.Table) (func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), error) {
	return a.http(t, nil)
}

func (a *App) http(t web.Table, uploads web.Uploads) (func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), error) {
	srv, err := a.server(uploads)
	if err != nil {
		return nil, err
	}
	return httpadapter.NewV2(accesslog.Handler(a.Log, srv.FunctionHandler(t), gatewayRequestID)).ProxyWithContext, nil
}

// gatewayRequestID is API Gateway's ID of the request (its access logs and
// the client's x-amzn-requestid name it), "" outside API Gateway.
func gatewayRequestID(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok {
		return rc.RequestID
	}
	return ""
}

// Intake is the intake function's handler: requests for the routes and
// pages of t (web.IntakeTable), which presign uploads to the inbox, and S3
// ObjectCreated events from the inbox, whose files parse reads.
func (a *App) Intake(t web.Table, parse Parser) (func(context.Context, json.RawMessage) (any, error), error) {
	env := a.Settings
	api, err := a.http(t, &presigner{s3: s3.NewPresignClient(a.S3), bucket: env.Bucket, prefix: env.InboxPrefix, public: env.PublicURL})
	if err != nil {
		return nil, err
	}
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
			return nil, a.HandleS3(ctx, ev, parse)
		}
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("decode API Gateway v2 request: %w", err)
		}
		return api(ctx, req)
	}, nil
}

// ClaimsIdentity reads the caller from the JWT authorizer's claims, mapped
// by m as the session cookie's are. It reads the request context the
// adapter put on the Go context, never a header: a client can send any
// header it likes.
func ClaimsIdentity(m signin.ClaimMap, dir workflow.Directory) func(*http.Request) (workflow.Identity, error) {
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
		id, err := m.Identity(claims)
		if err != nil {
			return id, err
		}
		return accountOf(r.Context(), dir, id)
	}
}

// accountOf prefers what the office's administrators set for a person
// over what the identity provider's claims say: an account in the
// Directory with the provider's login decides roles and department, and a
// disabled one signs nobody in. A login without an account keeps the
// claims' identity, so that an office may manage roles in its provider.
func accountOf(ctx context.Context, dir workflow.Directory, id workflow.Identity) (workflow.Identity, error) {
	if dir == nil || id.User == "" {
		return id, nil
	}
	a, err := dir.Account(ctx, id.User)
	switch {
	case workflow.KindOf(err) == workflow.NotFound:
		return id, nil
	case err != nil:
		return workflow.Identity{}, err
	case a.Disabled:
		return workflow.Identity{}, workflow.Errorf("function.Identify", workflow.Forbidden, "账号 %s 已停用", id.User)
	}
	return a.Identity(), nil
}
