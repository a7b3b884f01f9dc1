// Package outbox delivers the messages that changes write to the outbox
// (workflow.Outbox): by email (an SMTP server on one machine, Amazon SES
// on AWS: packages smtpmail and sesmail) and through the group robots of
// 企业微信 and 钉钉 (package robot). A Sender claims a batch's due
// messages by saving it at the version it read — so two senders, two
// processes or two overlapping invocations of the scheduled function,
// never both send a message — sends them, and records each outcome: sent,
// to be tried again after workflow.Backoff, or failed for good after
// workflow.MaxTries tries or an error no retry can mend. A sender that
// dies between sending and recording holds its messages only for the
// lease; then they are due again, so a message is sent at least once and,
// but for that crash, exactly once.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Email is one email to send.
type Email struct {
	To      []string // addresses
	Subject string
	Text    string // plain text, UTF-8
	// ID identifies the message for the receiving side (Message-ID),
	// the same on every try.
	ID string
}

// Mailer sends emails: package smtpmail through an SMTP server, package
// sesmail through Amazon SES.
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// Poster posts a text through a group robot (package robot).
type Poster interface {
	Post(ctx context.Context, r workflow.Robot, text string) error
}

// permanent marks an error no retry can mend.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that trying again cannot mend (an address
// refused, nothing configured to send with): the message fails at once
// and waits for a clerk's retry after the cause is put right.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanent)) }

// Sender delivers what is due in the outbox.
type Sender struct {
	Outbox workflow.Outbox
	Dir    workflow.Directory // accounts' addresses and the office's robots, read when a message is sent
	Mail   Mailer             // nil: email messages fail, saying that no mail server is set
	Robots Poster             // nil: robot messages fail likewise
	// BaseURL is docflow's address as people reach it, for the links in
	// messages (no trailing slash).
	BaseURL string
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: slog.Default()
	// Lease is how long a claimed message is held before another sender
	// may try it: longer than any try takes (Timeout).
	Lease time.Duration // 0: 5 minutes
	// Timeout bounds one try of one message.
	Timeout time.Duration // 0: 30 seconds
}

// Limits of one pass.
const (
	// PassBatches bounds the batches one pass sends: what is left waits
	// for the next pass, a minute later at most.
	PassBatches = 50
	// PurgeBatches bounds the batches one pass deletes for age.
	PurgeBatches = 100
)

// Report says what one pass did.
type Report struct {
	Sent, Retried, Failed, Purged int
}

func (r Report) String() string {
	return fmt.Sprintf("sent %d, to retry %d, failed %d, purged %d", r.Sent, r.Retried, r.Failed, r.Purged)
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Once sends every message due now, a batch at a time, and deletes
// batches older than workflow.KeepOutbox with nothing left to send. A
// failure to send is the message's (recorded on it), not the pass's: the
// error is about the store.
func (s *Sender) Once(ctx context.Context) (Report, error) {
	var rep Report
	now := s.now()
	due, err := s.Outbox.DueBatches(ctx, now, PassBatches)
	if err != nil {
		return rep, fmt.Errorf("outbox: read due messages: %w", err)
	}
	var office *workflow.Office
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	for i := range due {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout+5*time.Second {
			break // a Lambda run about to end: the rest waits for the next
		}
		if office == nil {
			if office, err = s.Dir.Office(ctx); err != nil {
				return rep, fmt.Errorf("outbox: read the office's robots: %w", err)
			}
		}
		if err := s.deliver(ctx, &due[i], office, &rep); err != nil {
			return rep, err
		}
	}
	n, err := s.Outbox.PurgeBatches(ctx, now.Add(-workflow.KeepOutbox), PurgeBatches)
	rep.Purged = n
	if err != nil {
		return rep, fmt.Errorf("outbox: purge old messages: %w", err)
	}
	return rep, nil
}

// Run calls Once every interval until ctx ends, logging what each pass
// did and any failure.
func (s *Sender) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := s.Once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log().Error("outbox pass failed", "err", err)
		case rep != Report{}:
			s.log().Info("outbox pass", "sent", rep.Sent, "retry", rep.Retried, "failed", rep.Failed, "purged", rep.Purged)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type outcome struct {
	err       error
	permanent bool
}

// deliver claims the due messages of b, sends them and records how it went.
func (s *Sender) deliver(ctx context.Context, b *workflow.Batch, office *workflow.Office, rep *Report) error {
	lease := s.Lease
	if lease == 0 {
		lease = 5 * time.Minute
	}
	claimed := b.Claim(s.now(), lease)
	if len(claimed) == 0 {
		return nil
	}
	if err := s.Outbox.SaveBatch(ctx, b); err != nil {
		if workflow.KindOf(err) == workflow.Conflict {
			return nil // another sender, or a clerk, got there first
		}
		return fmt.Errorf("outbox: claim batch %s: %w", b.ID, err)
	}
	done := map[string]outcome{}
	for _, i := range claimed {
		m := b.Messages[i]
		err := s.send(ctx, office, &m)
		done[m.ID] = outcome{err, IsPermanent(err)}
		if err != nil {
			s.log().Warn("message not sent", "batch", b.ID, "message", m.ID, "to", m.ToName, "channel", m.Channel, "try", m.Tries, "err", err)
		}
	}
	for try := 1; ; try++ {
		now := s.now()
		for id, o := range done {
			b.Done(id, now, o.err, o.permanent)
		}
		err := s.Outbox.SaveBatch(ctx, b)
		if workflow.KindOf(err) == workflow.Conflict && try < 5 {
			// A clerk retried another message of the batch meanwhile:
			// apply the outcomes to the batch as it is now.
			fresh, rerr := s.Outbox.Batch(ctx, b.ID)
			if rerr != nil {
				return fmt.Errorf("outbox: reread batch %s: %w", b.ID, rerr)
			}
			*b = *fresh
			continue
		}
		if err != nil {
			return fmt.Errorf("outbox: record what was sent of batch %s: %w", b.ID, err)
		}
		break
	}
	for id := range done {
		i := slices.IndexFunc(b.Messages, func(m workflow.Notification) bool { return m.ID == id })
		switch b.Messages[i].State {
		case workflow.Sent:
			rep.Sent++
		case workflow.Failed:
			rep.Failed++
		default:
			rep.Retried++
		}
	}
	return nil
}

// send makes one try of one message.
func (s *Sender) send(ctx context.Context, office *workflow.Office, m *workflow.Notification) error {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	link := ""
	if m.Link != "" {
		link = s.BaseURL + m.Link
	}
	switch m.Channel {
	case workflow.ByEmail:
		if s.Mail == nil {
			return Permanent(errors.New("未设置发信服务器，邮件无法发送：本机请以 docflow serve -smtp 指定 SMTP 服务器；AWS 上请设置发件地址 MailFrom"))
		}
		var to []string
		for _, u := range m.People {
			a, err := s.Dir.Account(ctx, u)
			switch {
			case workflow.KindOf(err) == workflow.NotFound:
				continue
			case err != nil:
				return fmt.Errorf("read account %s: %w", u, err)
			case a.Disabled || a.Email == "" || a.Notify == workflow.ByNone:
				continue
			}
			if !slices.Contains(to, a.Email) {
				to = append(to, a.Email)
			}
		}
		if len(to) == 0 {
			return Permanent(fmt.Errorf("%s的收件人都已没有邮箱地址或已停用", m.ToName))
		}
		text := m.Text
		if link != "" {
			text += "\n\n打开：" + link
		}
		text += "\n\n——\n本邮件由 docflow 自动发送，请勿直接回复。"
		return s.Mail.Send(ctx, Email{To: to, Subject: m.Subject, Text: text, ID: m.ID})
	case workflow.ByRobot:
		if s.Robots == nil {
			return Permanent(errors.New("此部署不能发送群机器人消息"))
		}
		r, ok := office.Notify.Robot(m.Robot)
		if !ok {
			who := m.Robot
			if who == "" {
				who = "本单位"
			}
			return Permanent(fmt.Errorf("%s的群机器人已被删除：请管理员在「管理 → 单位设置」重新设置后再重试", who))
		}
		text := []string{m.Subject, m.Text}
		if link != "" {
			text = append(text, link)
		}
		return s.Robots.Post(ctx, r, strings.Join(text, "\n"))
	}
	return Permanent(fmt.Errorf("%s没有可用的通知方式", m.ToName))
}
