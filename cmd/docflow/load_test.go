package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/internal/web"
	"github.com/docflow/docflow/internal/workflow"
)

// BenchmarkServe loads `docflow serve` (its whole handler: access log,
// pages, API, the durable local store) over loopback as an office would:
// 200 users, each about one request a second — the case list, a case, the
// case page, and saving their own section — and reports the latency
// percentiles per kind of request (p50-ms, p99-ms). Then it finds the
// saturation throughput with no think time (req/s), beside a handler that
// does nothing on the same server and transport (noop-req/s).
func BenchmarkServe(b *testing.B) {
	const users = 200
	m := &Main{DataDir: b.TempDir(), Addr: "127.0.0.1:0", Dev: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/noop", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("/", m.srv.Handler)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: users}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	seats := loadCases(b, m, users)
	for b.Loop() {
		lat := steadyLoad(b, client, ts.URL, seats, 15*time.Second)
		for _, kind := range []string{"list", "case", "page", "save", "all"} {
			d := lat[kind]
			if len(d) == 0 {
				continue
			}
			slices.Sort(d)
			b.ReportMetric(ms(d[len(d)/2]), kind+"-p50-ms")
			b.ReportMetric(ms(d[len(d)*99/100]), kind+"-p99-ms")
		}
		b.ReportMetric(float64(len(lat["all"]))/15, "req/s-offered")
		b.ReportMetric(saturate(b, client, ts.URL, seats, 16, 5*time.Second, false), "req/s")
		b.ReportMetric(saturate(b, client, ts.URL, seats, 16, 5*time.Second, true), "noop-req/s")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// seat is one user: a department's staff member and the section they
// write, with the revision they last saw.
type seat struct {
	user, caseID, sec string
	mu                sync.Mutex
	rev               int
}

// loadCases opens dispatched cases with a section for each user.
func loadCases(b *testing.B, m *Main, users int) []*seat {
	ctx := context.Background()
	clerkAcct, err := m.Store.Account(ctx, "clerk")
	if err != nil {
		b.Fatal(err)
	}
	clerk := clerkAcct.Identity()
	office, err := m.Service.Office(ctx)
	if err != nil {
		b.Fatal(err)
	}
	depts := office.Profile.Departments
	var seats []*seat
	for n := 0; len(seats) < users; n++ {
		o := &workflow.Opinion{Number: fmt.Sprintf("某会〔2026〕%d号", n+1), Title: "关于某项工作情况的审议意见", Date: workflow.Day(2026, 1, 5), Due: workflow.Day(2026, 12, 5)}
		var plan []workflow.Assignment
		for i := range 50 {
			o.Items = append(o.Items, workflow.Item{ID: fmt.Sprint(i + 1), Level: 1, Label: workflow.OutlineNumber(1, i+1), Text: "加强工作。"})
			plan = append(plan, workflow.Assignment{Item: fmt.Sprint(i + 1), Lead: depts[i%len(depts)]})
		}
		c, err := m.Service.Intake(ctx, clerk, workflow.Source{Name: "o.txt"}, fmt.Appendf(nil, "load %d", n), o)
		if err != nil {
			b.Fatal(err)
		}
		if c, err = m.Service.Assign(ctx, clerk, c.ID, c.Version, plan); err != nil {
			b.Fatal(err)
		}
		if c, err = m.Service.Dispatch(ctx, clerk, c.ID); err != nil {
			b.Fatal(err)
		}
		for _, sec := range c.Sections {
			staff, err := m.Service.Members(ctx, sec.Lead, workflow.Staff)
			if err != nil || len(staff) == 0 {
				b.Fatalf("staff of %s: %v", sec.Lead, err)
			}
			seats = append(seats, &seat{user: staff[0].User, caseID: c.ID, sec: sec.ID, rev: sec.Rev})
		}
	}
	return seats[:users]
}

// request makes one of the office's requests as s.
func request(client *http.Client, base string, s *seat, kind string) error {
	var req *http.Request
	switch kind {
	case "list":
		req, _ = http.NewRequest("GET", base+"/api/cases", nil)
	case "case":
		req, _ = http.NewRequest("GET", base+"/api/cases/"+s.caseID, nil)
	case "page":
		req, _ = http.NewRequest("GET", base+"/cases/"+s.caseID+"/sections/"+s.sec, nil)
	case "save":
		s.mu.Lock()
		defer s.mu.Unlock()
		body, _ := json.Marshal(map[string]any{"rev": s.rev, "heading": "标题", "body": fmt.Sprintf("第 %d 稿。%s", s.rev, time.Now())})
		req, _ = http.NewRequest("PUT", base+"/api/cases/"+s.caseID+"/sections/"+s.sec, bytes.NewReader(body))
	case "noop":
		req, _ = http.NewRequest("GET", base+"/noop", nil)
	}
	req.Header.Set(web.UserHeader, s.user)
	req.AddCookie(&http.Cookie{Name: "docflow_user", Value: s.user})
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", kind, resp.StatusCode, msg)
	}
	if kind == "save" {
		var c workflow.Case
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			return err
		}
		sec, _ := c.Section(s.sec)
		s.rev = sec.Rev
		return nil
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

var kinds = []string{"list", "case", "page", "save"}

// steadyLoad has every seat make a request about once a second, of a kind
// picked at random, for d, and returns the latencies by kind.
func steadyLoad(b *testing.B, client *http.Client, base string, seats []*seat, d time.Duration) map[string][]time.Duration {
	var (
		mu  sync.Mutex
		lat = map[string][]time.Duration{}
		wg  sync.WaitGroup
		end = time.Now().Add(d)
	)
	for _, s := range seats {
		wg.Go(func() {
			// Spread the first requests over the first second.
			time.Sleep(rand.N(time.Second))
			for time.Now().Before(end) {
				kind := kinds[rand.N(len(kinds))]
				start := time.Now()
				if err := request(client, base, s, kind); err != nil {
					b.Error(err)
					return
				}
				took := time.Since(start)
				mu.Lock()
				lat[kind] = append(lat[kind], took)
				lat["all"] = append(lat["all"], took)
				mu.Unlock()
				time.Sleep(time.Second/2 + rand.N(time.Second)) // about one a second
			}
		})
	}
	wg.Wait()
	return lat
}

// saturate runs workers with no think time for d and returns requests per
// second: the office's mix, or the no-op handler.
func saturate(b *testing.B, client *http.Client, base string, seats []*seat, workers int, d time.Duration, noop bool) float64 {
	var (
		n   int64
		mu  sync.Mutex
		wg  sync.WaitGroup
		end = time.Now().Add(d)
	)
	for w := range workers {
		wg.Go(func() {
			count := int64(0)
			for i := 0; time.Now().Before(end); i++ {
				s := seats[(w+i*workers)%len(seats)]
				kind := "noop"
				if !noop {
					kind = kinds[i%len(kinds)]
				}
				if err := request(client, base, s, kind); err != nil {
					b.Error(err)
					return
				}
				count++
			}
			mu.Lock()
			n += count
			mu.Unlock()
		})
	}
	wg.Wait()
	return float64(n) / d.Seconds()
}
