package workflow

import (
	"context"
	"fmt"
	"time"
)

// Reminder rules (NotifySettings) are applied on a schedule — by the
// local server's own ticker, by a scheduled function on AWS — through
// Service.CheckDeadlines. Each reminder is an event of the case (so the
// history shows it, and the outbox gets its messages with it), and the
// period it covers is kept on the section or the case (Alerts), so that a
// rule reminds once per period however often, and by however many
// schedulers at once, the rules are checked: two checks of the same case
// race on its versions like any two changes, and the second finds the
// period already recorded.

// Names of the reminder rules, as Alerts and Alert.Rule keep them.
const (
	RuleDueSoon = "due-soon"
	RuleOverdue = "overdue"
	RuleWaiting = "waiting"
)

// Alert is what an automatic reminder recorded: the rule, the period it
// covers, and how many days were left (DueSoon), late (Overdue) or hours
// waited (Waiting) when it was sent.
type Alert struct {
	Rule   string `json:"rule"`
	Period string `json:"period"`
	Days   int    `json:"days,omitempty"`
	Hours  int    `json:"hours,omitempty"`
}

// System is who records automatic reminders.
var System = Identity{User: "docflow", Name: "系统自动提醒"}

// dueAlerts returns the reminders the rules call for on c at now that
// have not been recorded yet: per section (by ID, "" the case itself).
func dueAlerts(c *Case, ns *NotifySettings, now time.Time) map[string]Alert {
	out := map[string]Alert{}
	if c.Stage == Drafting {
		for i := range c.Sections {
			sec := &c.Sections[i]
			if !sec.State.Writable() {
				continue
			}
			left := daysBetween(now, sec.Due)
			due := sec.Due.In(Zone).Format("2006-01-02")
			var a Alert
			switch {
			case left >= 0 && ns.DueSoon > 0 && left <= ns.DueSoon:
				a = Alert{Rule: RuleDueSoon, Period: due, Days: left}
			case left < 0 && ns.Overdue > 0:
				// The day after the due date, then every Overdue days.
				k := (-left - 1) / ns.Overdue
				a = Alert{Rule: RuleOverdue, Period: fmt.Sprintf("%s#%d", due, k), Days: -left}
			default:
				continue
			}
			if sec.Alerts[a.Rule] != a.Period {
				out[sec.ID] = a
			}
		}
	}
	if c.Stage == Signing && ns.Waiting > 0 && c.Report != nil && c.CurrentStep() < len(c.Chain) {
		since := c.Turn
		if since.IsZero() {
			since = c.Updated // a case whose chain started before Turn was kept
		}
		every := time.Duration(ns.Waiting) * time.Hour
		if k := int(now.Sub(since) / every); k >= 1 {
			a := Alert{Rule: RuleWaiting, Period: fmt.Sprintf("%s#%d", since.UTC().Format(time.RFC3339), k), Hours: int(now.Sub(since).Hours())}
			if c.Alerts[RuleWaiting] != a.Period {
				out[""] = a
			}
		}
	}
	return out
}

// CheckDeadlines applies the office's reminder rules to every case in
// drafting or sign-off at the service's now, records each reminder due
// (with its messages in the outbox) and says how many it recorded. Lists
// are read a page of summaries at a time; a case is read whole only when
// its summary shows a part near or past its due date, or a step waiting.
func (s *Service) CheckDeadlines(ctx context.Context) (int, error) {
	o, err := s.office(ctx)
	if err != nil {
		return 0, err
	}
	ns := o.Notify
	if ns.DueSoon == 0 && ns.Overdue == 0 && ns.Waiting == 0 {
		return 0, nil
	}
	now := s.now()
	n := 0
	for _, st := range []Stage{Drafting, Signing} {
		for q := (Query{Stage: st, Limit: MaxPage}); ; {
			p, err := s.Store.Cases(ctx, q)
			if err != nil {
				return n, err
			}
			for _, sum := range p.Cases {
				if !mayAlert(&sum, &ns, now) {
					continue
				}
				k, err := s.alert(ctx, sum.ID, &ns)
				if err != nil {
					return n, fmt.Errorf("reminders of case %s: %w", sum.ID, err)
				}
				n += k
			}
			if q.Cursor = p.Next; q.Cursor == "" {
				break
			}
		}
	}
	return n, nil
}

// mayAlert tells from a summary whether a rule may call for a reminder.
func mayAlert(sum *Summary, ns *NotifySettings, now time.Time) bool {
	switch sum.Stage {
	case Drafting:
		for _, p := range sum.Parts {
			if !p.State.Writable() {
				continue
			}
			left := daysBetween(now, p.Due)
			if left >= 0 && left <= ns.DueSoon || left < 0 && ns.Overdue > 0 {
				return true
			}
		}
	case Signing:
		return ns.Waiting > 0 && sum.Step != ""
	}
	return false
}

// alert records the reminders due on one case, as one change.
func (s *Service) alert(ctx context.Context, caseID string, ns *NotifySettings) (int, error) {
	n := 0
	_, err := s.update(ctx, System, caseID, func(c *Case, r *recorder) error {
		n = 0
		due := dueAlerts(c, ns, r.at)
		for i := range c.Sections {
			sec := &c.Sections[i]
			a, ok := due[sec.ID]
			if !ok {
				continue
			}
			if sec.Alerts == nil {
				sec.Alerts = map[string]string{}
			}
			sec.Alerts[a.Rule] = a.Period
			what := dueText(sec.Due, a)
			r.add(sec.ID, ActAlert, fmt.Sprintf("自动提醒 %s：%s", c.SectionName(sec.ID), what), "").Alert = &a
			n++
		}
		if a, ok := due[""]; ok {
			if c.Alerts == nil {
				c.Alerts = map[string]string{}
			}
			c.Alerts[a.Rule] = a.Period
			st := c.Chain[c.CurrentStep()]
			r.add("", ActAlert, fmt.Sprintf("自动提醒：「%s」环节已等待签批 %d 小时", st.Name, a.Hours), c.Report.Current.Sum).Alert = &a
			n++
		}
		return nil
	})
	return n, err
}

// dueText says how near or past its due date an alert found a part.
func dueText(due time.Time, a Alert) string {
	switch {
	case a.Rule == RuleOverdue:
		return fmt.Sprintf("办理期限 %s 已过（逾期 %d 天）", DateCN(due), a.Days)
	case a.Days == 0:
		return fmt.Sprintf("今天（%s）到期", DateCN(due))
	}
	return fmt.Sprintf("将于 %s 到期（还有 %d 天）", DateCN(due), a.Days)
}
