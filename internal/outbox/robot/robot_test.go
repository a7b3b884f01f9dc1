package robot_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/outboxtest"
	"github.com/docflow/docflow/internal/outbox/robot"
	"github.com/docflow/docflow/internal/workflow"
)

// TestPost posts to receivers that check what 企业微信 and 钉钉 check:
// the JSON text message, and for 钉钉 with 加签 a fresh timestamp and its
// signature (computed by the receiver on its own). What was tried: each
// robot, a wrong secret, a stale clock, a long text.
func TestPost(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := &robot.Client{Now: func() time.Time { return now }}

	wecom := outboxtest.NewReceiver(t, "")
	if err := c.Post(ctx, workflow.Robot{Kind: workflow.WeCom, URL: wecom.URL}, "【交办】某会〔2026〕1号\n区妇联：请办理。"); err != nil {
		t.Fatalf("企业微信: %v", err)
	}
	if p := wecom.Posts(); len(p) != 1 || p[0].Content != "【交办】某会〔2026〕1号\n区妇联：请办理。" || strings.Contains(p[0].Query, "sign") {
		t.Errorf("企业微信 posts: %+v", p)
	}

	ding := outboxtest.NewReceiver(t, "SECabc")
	ding.Now = func() time.Time { return now }
	r := workflow.Robot{Kind: workflow.DingTalk, URL: ding.URL, Secret: "SECabc"}
	if err := c.Post(ctx, r, "【催办】请报送"); err != nil {
		t.Fatalf("钉钉 signed: %v", err)
	}
	if p := ding.Posts(); len(p) != 1 || !strings.Contains(p[0].Query, "timestamp=1772442000000") {
		t.Errorf("钉钉 posts: %+v; want one, signed at the client's time", p)
	}
	bad := r
	bad.Secret = "SECwrong"
	if err := c.Post(ctx, bad, "x"); err == nil || !strings.Contains(err.Error(), "310000") {
		t.Errorf("钉钉 with the wrong secret: %v; want its refusal (errcode 310000)", err)
	}
	ding.Now = func() time.Time { return now.Add(2 * time.Hour) }
	if err := c.Post(ctx, r, "x"); err == nil || !strings.Contains(err.Error(), "310000") {
		t.Errorf("钉钉 signed two hours ago: %v; want its refusal", err)
	}

	long := strings.Repeat("汉", 1000) // 3,000 bytes
	if err := c.Post(ctx, workflow.Robot{Kind: workflow.WeCom, URL: wecom.URL}, long); err != nil {
		t.Fatal(err)
	}
	got := wecom.Posts()[1].Content
	if len(got) > robot.MaxText || !utf8.ValidString(got) || !strings.HasSuffix(got, "（全文见 docflow）") {
		t.Errorf("a 3,000-byte text posted as %d bytes (valid UTF-8 %v), ending %q; want at most %d, cut on a character, saying so",
			len(got), utf8.ValidString(got), got[len(got)-30:], robot.MaxText)
	}

	wecom.Fail(true)
	err := c.Post(ctx, workflow.Robot{Kind: workflow.WeCom, URL: wecom.URL}, "x")
	if err == nil || outbox.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("a robot failing: %v; want an error worth retrying, naming HTTP 500", err)
	}
	if strings.Contains(err.Error(), "t0ken") {
		t.Errorf("the error shows the robot's token: %v", err)
	}
}

// TestSign checks 钉钉's signature against the example computed by hand
// from its documentation's recipe with openssl:
//
//	printf '1577262236757\nSECxxx' | openssl dgst -sha256 -hmac SECxxx -binary | base64
func TestSign(t *testing.T) {
	if got, want := robot.Sign(1577262236757, "SECxxx"), "TajHYUQC5a6smO3qjKNgFiJalsQ51g5gqH0iiy2oY+o="; got != want {
		t.Errorf("Sign = %s; want %s", got, want)
	}
}

// TestBodies pins the JSON sent, as the documentation shows it.
func TestBodies(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		json.NewEncoder(w).Encode(robot.Answer{})
	}))
	defer srv.Close()
	c := &robot.Client{}
	for _, k := range []workflow.RobotKind{workflow.WeCom, workflow.DingTalk} {
		if err := c.Post(t.Context(), workflow.Robot{Kind: k, URL: srv.URL}, "你好"); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range got {
		if b != `{"msgtype":"text","text":{"content":"你好"}}` {
			t.Errorf("body %s", b)
		}
	}
}
