package function

import (
	"context"
	"fmt"

	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/outbox/robot"
)

// Job is what a schedule of the notify function sends (template.yaml,
// the events' Input): "send" the outbox, or "remind" — apply the reminder
// rules, tally the year's statistics, then send.
type Job struct {
	Job string `json:"job"`
}

// Done says what one run did; Lambda logs it as the result.
type Done struct {
	Reminders int           `json:"reminders"`
	Outbox    outbox.Report `json:"outbox"`
}

// Scheduled is the notify function's handler. It runs on a schedule
// (EventBridge rules, every minute to send and every hour to remind)
// rather than on the table's stream: a stream would start a run for
// every write, and the retries after backoff and the reminder rules need
// a clock anyway; a minute's delay is nothing to a 公文's pace, and a run
// that finds nothing due reads one page of an index. Runs that overlap
// are safe: a message is claimed by one sender, and a reminder's period
// recorded by one change. mail sends the emails (Amazon SES, package
// sesmail); nil: they fail, saying so.
func (a *App) Scheduled(mail outbox.Mailer) func(context.Context, Job) (Done, error) {
	s := &outbox.Sender{Outbox: a.Store, Dir: a.Store, Mail: mail, Robots: &robot.Client{}, BaseURL: a.Settings.PublicURL,
		Now: a.Service.Now, Log: a.Log}
	return func(ctx context.Context, j Job) (Done, error) {
		var d Done
		switch j.Job {
		case "send", "":
		case "remind":
			n, err := a.Service.CheckDeadlines(ctx)
			d.Reminders = n
			if err != nil {
				return d, fmt.Errorf("reminder rules: %w", err)
			}
			// The statistics page reads the year's kept report; this is
			// where it is tallied again, every hour.
			if err := a.Service.RefreshReports(ctx); err != nil {
				return d, fmt.Errorf("statistics: %w", err)
			}
		default:
			return d, fmt.Errorf("unknown job %q: want send or remind", j.Job)
		}
		rep, err := s.Once(ctx)
		d.Outbox = rep
		a.Log.InfoContext(ctx, "scheduled run", "job", j.Job, "reminders", d.Reminders, "sent", rep.Sent, "retry", rep.Retried, "failed", rep.Failed, "purged", rep.Purged)
		return d, err
	}
}
