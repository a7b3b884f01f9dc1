// Package smtpmail sends docflow's emails through an SMTP server (the
// office's mail server, or its provider's, e.g. 腾讯企业邮 on port 465),
// with net/smtp: plain text in UTF-8, base64, headers encoded per RFC 2047.
package smtpmail

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/outbox"
)

// Mailer sends through one SMTP server. It implements outbox.Mailer.
type Mailer struct {
	Addr string // host:port
	// From is the sender: an address, or "Name <address>".
	From string
	// Username and Password authenticate (PLAIN), over TLS only unless
	// the server is this machine; empty Username: no authentication.
	Username, Password string
	// TLS connects with TLS from the start (port 465, "SMTPS"); without
	// it the connection is upgraded with STARTTLS when the server offers
	// it.
	TLS bool
	// Hello is the name given in EHLO; "" is "localhost".
	Hello string
	Now   func() time.Time // the Date header; nil: time.Now
}

var _ outbox.Mailer = (*Mailer)(nil)

// Check says what is wrong with the settings, or nil.
func (m *Mailer) Check() error {
	if _, _, err := net.SplitHostPort(m.Addr); err != nil {
		return fmt.Errorf("SMTP server %q: give host:port (e.g. smtp.example.gov.cn:465): %w", m.Addr, err)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("sender %q: give an address such as docflow@example.gov.cn: %w", m.From, err)
	}
	return nil
}

// Send implements outbox.Mailer. The server's refusal of the sender or of
// every recipient (a 5xx reply) is permanent; a 4xx or a broken
// connection is worth another try.
func (m *Mailer) Send(ctx context.Context, e outbox.Email) error {
	if err := m.Check(); err != nil {
		return outbox.Permanent(err)
	}
	from, _ := mail.ParseAddress(m.From)
	msg := m.compose(from, e)
	host, _, _ := net.SplitHostPort(m.Addr)
	d := net.Dialer{}
	var conn net.Conn
	var err error
	if m.TLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: host}}).DialContext(ctx, "tcp", m.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", m.Addr)
	}
	if err != nil {
		return fmt.Errorf("连接发信服务器 %s 失败：%w", m.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	hello := m.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return classify(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.TLS {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return classify(err)
		}
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return outbox.Permanent(fmt.Errorf("发信服务器拒绝登录（用户 %s）：%w", m.Username, err))
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return classify(err)
	}
	var refused []string
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			var te *textproto.Error
			if errors.As(err, &te) && te.Code >= 500 {
				refused = append(refused, fmt.Sprintf("%s（%d %s）", to, te.Code, te.Msg))
				continue // the others still get it
			}
			return classify(err)
		}
	}
	if len(refused) == len(e.To) {
		return outbox.Permanent(fmt.Errorf("发信服务器拒绝了全部收件人：%s", strings.Join(refused, "；")))
	}
	w, err := c.Data()
	if err != nil {
		return classify(err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify(err)
	}
	if err := w.Close(); err != nil {
		return classify(err)
	}
	// Some recipients refused, the rest accepted: the message counts as
	// sent, since a retry would send the others a second copy.
	return classify(c.Quit())
}

// classify marks a 5xx reply permanent.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return outbox.Permanent(fmt.Errorf("发信服务器拒绝：%d %s", te.Code, te.Msg))
	}
	return fmt.Errorf("发信失败：%w", err)
}

// compose writes the message: RFC 5322 headers, the subject and names
// encoded per RFC 2047, the body UTF-8 in base64.
func (m *Mailer) compose(from *mail.Address, e outbox.Email) []byte {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", strings.Join(e.To, ", "))
	h("Subject", mime.BEncoding.Encode("UTF-8", e.Subject))
	h("Date", now().Format(time.RFC1123Z))
	h("Message-ID", "<"+e.ID+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "base64")
	h("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies to a robot
	b.WriteString("\r\n")
	body := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(e.Text, "\n", "\r\n")))
	for len(body) > 76 {
		b.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	b.WriteString(body + "\r\n")
	return b.Bytes()
}
