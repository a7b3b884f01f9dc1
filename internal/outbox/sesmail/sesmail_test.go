package sesmail_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/sesmail"
)

// No SES emulator runs here: this server stands in for SES, speaking the
// REST shape of SESv2 SendEmail (POST /v2/email/outbound-emails, JSON in,
// {"MessageId"} out, errors named by X-Amzn-ErrorType), and the real SDK
// client talks to it through BaseEndpoint. It checks what SES would
// check of the request's shape, not SES's rules about identities.
type fakeSES struct {
	mu     sync.Mutex
	got    []map[string]any
	auth   []string
	reject string // answer with this error type
}

func (f *fakeSES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		http.Error(w, "not SendEmail: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.got = append(f.got, in)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	if f.reject != "" {
		w.Header().Set("X-Amzn-ErrorType", f.reject)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"message": "Email address is not verified."})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"MessageId": "0100018f-test"})
}

func client(url string) *sesv2.Client {
	return sesv2.New(sesv2.Options{Region: "cn-north-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1})
}

// TestSend sends one email through the SDK to the stand-in and reads back
// the request SES would get: sender, recipients, subject and text in
// UTF-8, signed. Then SES's MessageRejected is permanent, a throttle not.
func TestSend(t *testing.T) {
	f := &fakeSES{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	m := &sesmail.Mailer{SES: client(srv.URL), From: "docflow@example.gov.cn", ConfigurationSet: "docflow"}
	e := outbox.Email{To: []string{"a@example.gov.cn", "b@example.gov.cn"}, Subject: "【交办】某会〔2026〕1号", Text: "区妇联：\n请办理。", ID: "m1"}
	if err := m.Send(t.Context(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(f.got) != 1 {
		t.Fatalf("%d requests; want 1", len(f.got))
	}
	b, _ := json.Marshal(f.got[0])
	want := `{"ConfigurationSetName":"docflow","Content":{"Simple":{"Body":{"Text":{"Charset":"UTF-8","Data":"区妇联：\n请办理。"}},"Subject":{"Charset":"UTF-8","Data":"【交办】某会〔2026〕1号"}}},"Destination":{"ToAddresses":["a@example.gov.cn","b@example.gov.cn"]},"FromEmailAddress":"docflow@example.gov.cn"}`
	if string(b) != want {
		t.Errorf("request\n%s\nwant\n%s", b, want)
	}
	if a := f.auth[0]; !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKID/") || !strings.Contains(a, "/cn-north-1/ses/aws4_request") {
		t.Errorf("Authorization %q; want SigV4 for ses in the region", a)
	}

	f.reject = "MessageRejected"
	err := m.Send(t.Context(), e)
	if err == nil || !outbox.IsPermanent(err) || !strings.Contains(err.Error(), "MessageRejected") {
		t.Errorf("Send rejected: %v; want a permanent error naming MessageRejected", err)
	}
	f.reject = "TooManyRequestsException"
	if err := m.Send(t.Context(), e); err == nil || outbox.IsPermanent(err) {
		t.Errorf("Send throttled: %v; want an error worth retrying", err)
	}
}
