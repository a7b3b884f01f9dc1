package settings

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/signin"
)

func TestFromEnvReportsEveryMissingVariable(t *testing.T) {
	env := map[string]string{"DOCFLOW_TABLE": "docflow", "DOCFLOW_INBOX_PREFIX": "inbox/"}
	_, err := FromEnv(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("FromEnv with four variables missing succeeded")
	}
	for _, name := range []string{"DOCFLOW_BUCKET", "DOCFLOW_DRAFTS_PREFIX", "DOCFLOW_FILES_PREFIX", "DOCFLOW_AUDIT_KEY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "DOCFLOW_TABLE") {
		t.Errorf("error %q names DOCFLOW_TABLE, which is set", err)
	}
}

func TestFromEnvComplete(t *testing.T) {
	env := map[string]string{}
	for _, k := range Required {
		env[k] = "x-" + k
	}
	env["DOCFLOW_S3_ENDPOINT"] = "http://127.0.0.1:7070"
	env["DOCFLOW_AUDIT_KEY"] = " key-new  key-old "
	s, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.AuditKeys, []string{"key-new", "key-old"}) {
		t.Errorf("AuditKeys = %q; want the signing key, then the retired one", s.AuditKeys)
	}
	if s.Table != "x-DOCFLOW_TABLE" || s.FilesPrefix != "x-DOCFLOW_FILES_PREFIX" || s.S3Endpoint != "http://127.0.0.1:7070" || s.DynamoDBEndpoint != "" {
		t.Errorf("FromEnv = %+v", s)
	}
}

// TestFromEnvAuthAllOrNone sets one, none and all of the sign-in
// variables: one alone names the other two beside the other missing
// variables; none leaves sign-in off; all turn it on.
func TestFromEnvAuthAllOrNone(t *testing.T) {
	env := map[string]string{"DOCFLOW_AUTH_CLIENT_ID": "abc", "DOCFLOW_TABLE": "docflow"}
	_, err := FromEnv(func(k string) string { return env[k] })
	for _, name := range []string{"DOCFLOW_AUTH_ISSUER", "DOCFLOW_PUBLIC_URL", "DOCFLOW_BUCKET"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("only DOCFLOW_AUTH_CLIENT_ID set: error %v does not name %s", err, name)
		}
	}
	if err != nil && strings.Contains(err.Error(), "DOCFLOW_AUTH_CLIENT_ID") {
		t.Errorf("error %q names DOCFLOW_AUTH_CLIENT_ID, which is set", err)
	}

	env = map[string]string{}
	for _, k := range Required {
		env[k] = "x"
	}
	s, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || s.SessionAuth() {
		t.Errorf("no sign-in variables: SessionAuth %v, %v; want off, no error", s.SessionAuth(), err)
	}
	for _, k := range Auth {
		env[k] = "https://x-" + k
	}
	env["DOCFLOW_PUBLIC_URL"] = "https://docflow.example.gov.cn/"
	s, err = FromEnv(func(k string) string { return env[k] })
	if err != nil || !s.SessionAuth() || s.AuthClientID != "https://x-DOCFLOW_AUTH_CLIENT_ID" || s.PublicURL != "https://docflow.example.gov.cn" {
		t.Errorf("all sign-in variables: %+v, %v; want sign-in on, PublicURL without the trailing slash", s, err)
	}
}

// TestFromEnvDefaulted leaves the variables with defaults unset, then sets
// them, then sets them wrong: a bad claim mapping and a bad log level are
// reported together with a missing variable.
func TestFromEnvDefaulted(t *testing.T) {
	env := map[string]string{}
	for _, k := range Required {
		env[k] = "x"
	}
	s, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || s.LogLevel != slog.LevelInfo || s.Claims.String() != signin.DefaultClaims.String() || len(s.AuthScopes) != 0 || s.AuthLogoutURL != "" {
		t.Errorf("defaults: %+v, %v; want level info, the default claims, no scopes, no logout URL", s, err)
	}
	env["DOCFLOW_LOG_LEVEL"] = "debug"
	env["DOCFLOW_AUTH_CLAIMS"] = "roles=groups role-prefix=docflow-"
	env["DOCFLOW_AUTH_SCOPES"] = " profile  groups "
	env["DOCFLOW_AUTH_LOGOUT_URL"] = "https://sso.example.gov.cn/logout"
	s, err = FromEnv(func(k string) string { return env[k] })
	if err != nil || s.LogLevel != slog.LevelDebug || s.Claims.RolePrefix != "docflow-" || !slices.Equal(s.AuthScopes, []string{"profile", "groups"}) || s.AuthLogoutURL != "https://sso.example.gov.cn/logout" {
		t.Errorf("all set: %+v, %v", s, err)
	}
	env["DOCFLOW_LOG_LEVEL"] = "loud"
	env["DOCFLOW_AUTH_CLAIMS"] = "group=x"
	delete(env, "DOCFLOW_BUCKET")
	_, err = FromEnv(func(k string) string { return env[k] })
	for _, want := range []string{"DOCFLOW_LOG_LEVEL", "DOCFLOW_AUTH_CLAIMS", "unknown key", "DOCFLOW_BUCKET"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a bad level, a bad mapping and a missing bucket: %v; want it to name %s", err, want)
		}
	}
}
