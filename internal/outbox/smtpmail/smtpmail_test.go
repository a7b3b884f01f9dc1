package smtpmail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/outboxtest"
	"github.com/docflow/docflow/internal/outbox/smtpmail"
)

// TestSend sends through mailpit, a real SMTP server, and reads back what
// arrived: the Chinese subject and text intact, every recipient, the
// sender's name, the message's ID. A server that refuses every recipient
// is a permanent failure; one that refuses some still delivers to the
// rest.
func TestSend(t *testing.T) {
	mp := outboxtest.StartMailpit(t, "--smtp-allowed-recipients", "@example\\.gov\\.cn$")
	m := &smtpmail.Mailer{Addr: mp.SMTP, From: "docflow 通知 <docflow@example.gov.cn>",
		Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }}
	text := "区妇联：\n某会〔2026〕1号《关于某项工作的审议意见》交办的办理任务，请按期办理并报送：\n主办 一（一）「某项工作」，办理期限 2026年4月1日" + strings.Repeat("。", 200)
	e := outbox.Email{To: []string{"lin.lei@example.gov.cn", "he.ming@example.gov.cn"}, Subject: "【交办】某会〔2026〕1号《关于某项工作的审议意见》", Text: text, ID: "7f3a9c"}
	if err := m.Send(t.Context(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	e2 := e
	e2.To = []string{"someone@elsewhere.example", "lin.lei@example.gov.cn"}
	e2.ID = "second"
	if err := m.Send(t.Context(), e2); err != nil {
		t.Fatalf("Send with one recipient refused: %v; want it sent to the other", err)
	}
	e3 := e
	e3.To = []string{"someone@elsewhere.example"}
	if err := m.Send(t.Context(), e3); err == nil || !outbox.IsPermanent(err) {
		t.Errorf("Send to refused recipients only: %v; want a permanent failure", err)
	}
	got := mp.Mails(t)
	if len(got) != 2 {
		t.Fatalf("mailpit received %d messages; want 2", len(got))
	}
	g := got[0]
	if g.Subject != e.Subject || strings.TrimSpace(strings.ReplaceAll(g.Text, "\r\n", "\n")) != text {
		t.Errorf("received subject %q, text %q; want them as sent", g.Subject, g.Text)
	}
	if g.From.Name != "docflow 通知" || g.From.Address != "docflow@example.gov.cn" || g.MessageID != "7f3a9c@example.gov.cn" {
		t.Errorf("received from %+v, Message-ID %q", g.From, g.MessageID)
	}
	if len(g.To) != 2 || g.To[0].Address != "lin.lei@example.gov.cn" || g.To[1].Address != "he.ming@example.gov.cn" {
		t.Errorf("received to %+v", g.To)
	}
	if err := (&smtpmail.Mailer{Addr: "no-port", From: "x@example.gov.cn"}).Check(); err == nil {
		t.Error("Check of an address without a port: nil")
	}
}
