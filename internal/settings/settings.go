// Package settings reads a Lambda function's configuration from its
// environment, which template.yaml sets.
package settings

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/docflow/docflow/internal/signin"
)

// Settings configures a docflow function on AWS.
type Settings struct {
	Table        string // DOCFLOW_TABLE: the single DynamoDB table
	Bucket       string // DOCFLOW_BUCKET: drafts, inbox and published files
	InboxPrefix  string // DOCFLOW_INBOX_PREFIX: where uploaded opinions land (S3 events fire here)
	DraftsPrefix string // DOCFLOW_DRAFTS_PREFIX: content-addressed Markdown
	FilesPrefix  string // DOCFLOW_FILES_PREFIX: published notices, written once

	// AuditKeys are the KMS keys of the audit trail (DOCFLOW_AUDIT_KEY:
	// ARNs, space-separated). The first signs every change's events; the
	// others, keys retired by a rotation, only verify what they signed.
	// Against a KMS stand-in the SDK's AWS_ENDPOINT_URL_KMS names it.
	AuditKeys []string

	// FontDir holds the Fandol fonts for PDF output (DOCFLOW_FONTS; the
	// fonts layer puts them at /opt/fonts). Empty: no PDF.
	FontDir string

	// Endpoints of local stand-ins (DynamoDB Local, an S3 server); empty on AWS.
	DynamoDBEndpoint string // DOCFLOW_DYNAMODB_ENDPOINT
	S3Endpoint       string // DOCFLOW_S3_ENDPOINT

	// Browser sign-in with the identity provider (package signin): a
	// Cognito user pool or any OpenID Connect issuer. The first three are
	// all or none: without them the signed-in pages have no login on AWS.
	AuthIssuer   string   // DOCFLOW_AUTH_ISSUER: the issuer URL, e.g. https://cognito-idp.REGION.amazonaws.com/POOLID or https://sso.example.gov.cn/realms/district
	AuthClientID string   // DOCFLOW_AUTH_CLIENT_ID: the pages' client (public, with PKCE)
	PublicURL    string   // DOCFLOW_PUBLIC_URL: the site as browsers reach it; PublicURL+"/auth/callback" is the client's redirect URI
	AuthScopes   []string // DOCFLOW_AUTH_SCOPES: scopes beside openid, space-separated; empty: profile
	// AuthLogoutURL is where sign-out sends the browser (DOCFLOW_AUTH_LOGOUT_URL);
	// empty: the provider's end_session_endpoint, else the site.
	AuthLogoutURL string

	// Claims maps token claims to docflow identities, for the API's JWT
	// authorizer as for the pages (DOCFLOW_AUTH_CLAIMS, as signin.ParseClaims
	// reads it; empty: signin.DefaultClaims).
	Claims signin.ClaimMap

	// LogLevel is the least level logged (DOCFLOW_LOG_LEVEL: debug, info,
	// warn or error; empty: info).
	LogLevel slog.Level

	// MailFrom is the sender of notification emails (DOCFLOW_MAIL_FROM),
	// a verified Amazon SES identity; empty: emails are not sent, and
	// their messages fail saying so (the group robots still post).
	MailFrom string
}

// SessionAuth reports whether browser sign-in is configured.
func (s Settings) SessionAuth() bool { return s.AuthIssuer != "" }

// Required lists the variables every function needs; template.yaml's
// Globals set them (a test checks).
var Required = []string{"DOCFLOW_TABLE", "DOCFLOW_BUCKET", "DOCFLOW_INBOX_PREFIX", "DOCFLOW_DRAFTS_PREFIX", "DOCFLOW_FILES_PREFIX", "DOCFLOW_AUDIT_KEY"}

// Optional lists the variables used only against local stand-ins.
var Optional = []string{"DOCFLOW_FONTS", "DOCFLOW_DYNAMODB_ENDPOINT", "DOCFLOW_S3_ENDPOINT", "DOCFLOW_MAIL_FROM"}

// Auth lists the browser sign-in variables: if any is set, all must be.
var Auth = []string{"DOCFLOW_AUTH_ISSUER", "DOCFLOW_AUTH_CLIENT_ID", "DOCFLOW_PUBLIC_URL"}

// Defaulted lists the variables that have defaults; template.yaml's
// Globals set them from parameters (a test checks).
var Defaulted = []string{"DOCFLOW_AUTH_SCOPES", "DOCFLOW_AUTH_LOGOUT_URL", "DOCFLOW_AUTH_CLAIMS", "DOCFLOW_LOG_LEVEL"}

// FromEnv reads the settings, reporting every missing or unreadable
// variable at once so that a misconfigured deployment fails its first
// cold start with the whole list.
func FromEnv(getenv func(string) string) (Settings, error) {
	var errs []error
	get := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			errs = append(errs, fmt.Errorf("environment variable %s is not set", name))
		}
		return v
	}
	s := Settings{
		Table:        get("DOCFLOW_TABLE"),
		Bucket:       get("DOCFLOW_BUCKET"),
		InboxPrefix:  get("DOCFLOW_INBOX_PREFIX"),
		DraftsPrefix: get("DOCFLOW_DRAFTS_PREFIX"),
		FilesPrefix:  get("DOCFLOW_FILES_PREFIX"),
		AuditKeys:    strings.Fields(get("DOCFLOW_AUDIT_KEY")),

		FontDir:          getenv("DOCFLOW_FONTS"),
		DynamoDBEndpoint: getenv("DOCFLOW_DYNAMODB_ENDPOINT"),
		S3Endpoint:       getenv("DOCFLOW_S3_ENDPOINT"),
		MailFrom:         strings.TrimSpace(getenv("DOCFLOW_MAIL_FROM")),
	}
	anyAuth := false
	for _, name := range Auth {
		anyAuth = anyAuth || strings.TrimSpace(getenv(name)) != ""
	}
	if anyAuth {
		s.AuthIssuer = get("DOCFLOW_AUTH_ISSUER")
		s.AuthClientID = get("DOCFLOW_AUTH_CLIENT_ID")
		s.PublicURL = strings.TrimRight(get("DOCFLOW_PUBLIC_URL"), "/")
	}
	s.AuthScopes = strings.Fields(getenv("DOCFLOW_AUTH_SCOPES"))
	s.AuthLogoutURL = strings.TrimSpace(getenv("DOCFLOW_AUTH_LOGOUT_URL"))
	var err error
	if s.Claims, err = signin.ParseClaims(getenv("DOCFLOW_AUTH_CLAIMS")); err != nil {
		errs = append(errs, fmt.Errorf("DOCFLOW_AUTH_CLAIMS: %w", err))
	}
	if v := strings.TrimSpace(getenv("DOCFLOW_LOG_LEVEL")); v != "" {
		if err := s.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("DOCFLOW_LOG_LEVEL %q: want debug, info, warn or error", v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("docflow settings (set in template.yaml Globals): %w", err)
	}
	return s, nil
}
