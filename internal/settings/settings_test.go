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
