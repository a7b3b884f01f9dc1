package settings

import (
	"strings"
	"testing"
)

func TestFromEnvReportsEveryMissingVariable(t *testing.T) {
	env := map[string]string{"DOCFLOW_TABLE": "docflow", "DOCFLOW_INBOX_PREFIX": "inbox/"}
	_, err := FromEnv(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("FromEnv with three variables missing succeeded")
	}
	for _, name := range []string{"DOCFLOW_BUCKET", "DOCFLOW_DRAFTS_PREFIX", "DOCFLOW_FILES_PREFIX"} {
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
	s, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.Table != "x-DOCFLOW_TABLE" || s.FilesPrefix != "x-DOCFLOW_FILES_PREFIX" || s.S3Endpoint != "http://127.0.0.1:7070" || s.DynamoDBEndpoint != "" {
		t.Errorf("FromEnv = %+v", s)
	}
}

// TestFromEnvAuthAllOrNone sets one, none and all of the sign-in
// variables: one alone names the other three beside the other missing
// variables; none leaves sign-in off; all turn it on.
func TestFromEnvAuthAllOrNone(t *testing.T) {
	env := map[string]string{"DOCFLOW_AUTH_CLIENT_ID": "abc", "DOCFLOW_TABLE": "docflow"}
	_, err := FromEnv(func(k string) string { return env[k] })
	for _, name := range []string{"DOCFLOW_AUTH_ISSUER", "DOCFLOW_AUTH_BASE_URL", "DOCFLOW_PUBLIC_URL", "DOCFLOW_BUCKET"} {
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
