// Command bench measures docflow's functions beside the floors of what they
// link and writes one Markdown table: each function's size (linux/arm64,
// built as `sam build` builds it) beside its floor, its start time beside
// hello-world's and the SDK floor's, and the benchmarks of named packages
// (notice rendering beside plain goldmark; storage) as rows.
//
//	go run ./cmd/bench [-o artifacts/bench.md] [-readme README.md] [-runs 200]
//
// Everything is built and measured in the same run. Start is the time from
// exec to the function's first request for an event
// (GET /2018-06-01/runtime/invocation/next) against a loopback stand-in for
// the Lambda Runtime API; the binaries for it are built for this machine's
// architecture, since arm64 binaries do not run here.
//
// Benchmark rows come from `go test -run '^$' -bench` of the packages in
// sections: every benchmark line becomes a row, with its ns/op and every
// metric it reports (b.ReportMetric), so a new measurement is a new
// Benchmark function, not a change here.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/internal/settings"
)

// A section is a group of benchmark rows: the packages whose benchmarks
// are run, and the benchmark that every row is shown beside, if any.
type section struct {
	title    string
	packages []string
	beside   string // "package BenchmarkName", "" for none
	empty    string // said when the packages have no benchmarks yet
}

var sections = []section{
	{
		title:    "render",
		packages: []string{"./internal/notice", "./internal/notice/pdf", "./internal/notice/docx"},
		beside:   "internal/notice BenchmarkGoldmarkBaseline",
	},
	{
		// Storage figures: units and cost per case, load p99, list
		// scaling. Benchmarks in these packages that report them with
		// b.ReportMetric (for example "RCU/case", "USD/1k-cases",
		// "p99-ms") appear here as rows.
		title:    "storage",
		packages: []string{"./internal/awsstore", "./internal/localstore", "./cmd/docflow"},
		empty:    "no storage benchmarks yet: add Benchmark… functions to internal/awsstore, internal/localstore or cmd/docflow",
	},
}

func main() {
	out := flag.String("o", "artifacts/bench.md", "write the table here too")
	readme := flag.String("readme", "", "replace the table between the bench markers of this file")
	runs := flag.Int("runs", 200, "starts measured per binary")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")

	table, err := report(*runs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(table)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
		log.Fatal(err)
	}
	if *readme != "" {
		if err := quote(*readme, table); err != nil {
			log.Fatal(err)
		}
	}
}

// A binary is a function or a floor, built twice: for size and for start.
type binary struct {
	name  string // intake, …, or the floor's name
	pkg   string
	floor bool
	links string // the floor of what it links, for functions

	size       int64
	p50, p90   time.Duration
	sizeBinary string // linux/arm64
	hostBinary string
}

// floors, smallest first: a function's floor is the largest one whose
// marker package it links.
var floors = []struct{ name, marker string }{
	{"hello", "github.com/aws/aws-lambda-go/lambda"},
	{"sdk", "github.com/aws/aws-sdk-go-v2/service/dynamodb"},
	{"goldmark", "github.com/yuin/goldmark"},
	{"pdf", "github.com/carlos7ags/folio/document"},
}

func report(runs int) (string, error) {
	dir, err := os.MkdirTemp("", "docflow-bench")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)

	var bins []*binary
	for _, f := range floors {
		bins = append(bins, &binary{name: f.name, pkg: "./internal/bench/floors/" + f.name, floor: true})
	}
	fns, err := filepath.Glob("functions/*/main.go")
	if err != nil || len(fns) == 0 {
		return "", fmt.Errorf("no functions/*/main.go here: run bench from the repository root")
	}
	for _, f := range fns {
		name := filepath.Base(filepath.Dir(f))
		b := &binary{name: name, pkg: "./functions/" + name}
		if b.links, err = floorOf(b.pkg); err != nil {
			return "", err
		}
		bins = append(bins, b)
	}
	for _, b := range bins {
		b.sizeBinary = filepath.Join(dir, "arm64", b.name)
		if err := build(b.pkg, b.sizeBinary, "arm64"); err != nil {
			return "", err
		}
		fi, err := os.Stat(b.sizeBinary)
		if err != nil {
			return "", err
		}
		b.size = fi.Size()
		b.hostBinary = filepath.Join(dir, runtime.GOARCH, b.name)
		if err := build(b.pkg, b.hostBinary, runtime.GOARCH); err != nil {
			return "", err
		}
	}
	if err := measureStarts(bins, runs); err != nil {
		return "", err
	}
	benches, err := runBenchmarks()
	if err != nil {
		return "", err
	}
	return table(bins, benches, runs), nil
}

// build compiles pkg for linux/arch exactly as `sam build` does with
// GOFLAGS=-tags=lambda.norpc (see the README's Deploying).
func build(pkg, out, arch string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s for %s: %v\n%s", pkg, arch, err, b)
	}
	return nil
}

// floorOf names the largest floor whose marker pkg links.
func floorOf(pkg string) (string, error) {
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -deps %s: %w", pkg, err)
	}
	deps := strings.Fields(string(b))
	links := ""
	for _, f := range floors {
		if slices.Contains(deps, f.marker) {
			links = f.name
		}
	}
	return links, nil
}

// measureStarts execs each binary runs times, in turn so that load on the
// machine falls on all of them alike, and keeps the 50th and 90th
// percentiles of exec → first request for an event.
func measureStarts(bins []*binary, runs int) error {
	api, err := newRuntimeAPI()
	if err != nil {
		return err
	}
	defer api.close()
	env, err := functionEnv(api.addr)
	if err != nil {
		return err
	}
	times := make([][]time.Duration, len(bins))
	for range runs {
		for i, b := range bins {
			d, err := api.start(b.hostBinary, env)
			if err != nil {
				return fmt.Errorf("start %s: %w", b.name, err)
			}
			times[i] = append(times[i], d)
		}
	}
	for i, b := range bins {
		slices.Sort(times[i])
		b.p50 = times[i][len(times[i])*50/100]
		b.p90 = times[i][len(times[i])*90/100]
	}
	return nil
}

// functionEnv is what the functions need to start: the Runtime API, a
// region, every variable package settings requires (with a stand-in
// value), and stand-in credentials: nothing is called before the first
// event.
func functionEnv(api string) ([]string, error) {
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_REGION=ap-east-1",
		"AWS_LAMBDA_FUNCTION_NAME=bench",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_ACCESS_KEY_ID=bench",
		"AWS_SECRET_ACCESS_KEY=bench",
	}
	for _, name := range settings.Required {
		env = append(env, name+"=bench")
	}
	// Publish checks its fonts at start; give it the ones make fonts puts
	// in the tools directory ($TOOLS, as for infra/local's scripts).
	tools := os.Getenv("TOOLS")
	if tools == "" {
		tools = ".tools"
	}
	fonts, err := filepath.Abs(filepath.Join(tools, "fonts"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(fonts, "FandolFang-Regular.otf")); err == nil {
		env = append(env, "DOCFLOW_FONTS="+fonts)
	} else {
		log.Printf("no fonts in %s (make fonts): publish starts without the PDF writer", fonts)
	}
	return env, nil
}

// runtimeAPI is a loopback stand-in for the Lambda Runtime API that only
// notes when a process first asks for an event, and never answers.
type runtimeAPI struct {
	addr  string
	srv   *http.Server
	asked chan struct{}
}

func newRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &runtimeAPI{addr: ln.Addr().String(), asked: make(chan struct{}, 1)}
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/2018-06-01/runtime/invocation/next" {
			http.Error(w, "bench: only /next is served", http.StatusNotFound)
			return
		}
		select {
		case a.asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // hold the request until the process is killed
	})}
	go a.srv.Serve(ln)
	return a, nil
}

func (a *runtimeAPI) close() { a.srv.Close() }

// start execs path and returns the time until it asks for an event.
func (a *runtimeAPI) start(path string, env []string) (time.Duration, error) {
	select {
	case <-a.asked:
	default:
	}
	var stderr bytes.Buffer
	cmd := exec.Command(path)
	cmd.Env = env
	cmd.Stderr = &stderr
	exited := make(chan error, 1)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	select {
	case <-a.asked:
		return time.Since(t0), nil
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("exited before asking for an event (%v): %s", err, stderr.Bytes())
	case <-time.After(10 * time.Second):
		return 0, errors.New("did not ask for an event within 10s")
	}
}

// A bench is one benchmark result line.
type bench struct {
	pkg, name string
	metrics   []metric // ns/op first
}

type metric struct {
	value float64
	unit  string
}

// runBenchmarks runs the benchmarks of every section's packages once
// (-count 1, default benchtime) and parses their result lines.
func runBenchmarks() (map[string][]bench, error) {
	out := map[string][]bench{}
	for _, s := range sections {
		args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1"}, s.packages...)
		cmd := exec.Command("go", args...)
		var stdout bytes.Buffer
		cmd.Stdout = io.MultiWriter(&stdout, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
		out[s.title] = parseBenchmarks(stdout.String())
	}
	return out, nil
}

// parseBenchmarks reads `go test -bench` output: "pkg: …" lines name the
// package of the "BenchmarkX-N  iterations  value unit  value unit…"
// lines after them.
func parseBenchmarks(s string) []bench {
	var out []bench
	pkg := ""
	for _, line := range strings.Split(s, "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/docflow/docflow/")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		b := bench{pkg: pkg, name: name}
		for i := 2; i+1 < len(f); i += 2 {
			var v float64
			if _, err := fmt.Sscan(f[i], &v); err != nil {
				continue
			}
			b.metrics = append(b.metrics, metric{v, f[i+1]})
		}
		out = append(out, b)
	}
	return out
}

func table(bins []*binary, benches map[string][]bench, runs int) string {
	byName := map[string]*binary{}
	for _, b := range bins {
		byName[b.name] = b
	}
	hello, sdk := byName["hello"], byName["sdk"]
	var t strings.Builder
	fmt.Fprintf(&t, "| what | value | beside | × |\n|---|---|---|---|\n")
	for _, b := range bins {
		if b.floor {
			fmt.Fprintf(&t, "| size: floor %s | %s | | |\n", b.name, mb(b.size))
			continue
		}
		f := byName[b.links]
		fmt.Fprintf(&t, "| size: %s (links %s) | %s | floor %s %s | %.2f |\n", b.name, b.links, mb(b.size), f.name, mb(f.size), float64(b.size)/float64(f.size))
	}
	for _, b := range bins {
		if b.floor && b.name != "hello" && b.name != "sdk" {
			fmt.Fprintf(&t, "| start p50 / p90: floor %s | %s | | %.2f |\n", b.name, ms(b.p50, b.p90), ratio(b.p50, sdk.p50))
			continue
		}
		if b.floor {
			continue
		}
		fmt.Fprintf(&t, "| start p50 / p90: %s | %s | sdk %s; hello %s | %.2f |\n", b.name, ms(b.p50, b.p90), ms(sdk.p50, sdk.p90), ms(hello.p50, hello.p90), ratio(b.p50, sdk.p50))
	}
	for _, s := range sections {
		rows := benches[s.title]
		var beside *bench
		for i := range rows {
			if s.beside == rows[i].pkg+" "+rows[i].name {
				beside = &rows[i]
			}
		}
		if len(rows) == 0 && s.empty != "" {
			fmt.Fprintf(&t, "| %s: — | %s | | |\n", s.title, s.empty)
		}
		for _, r := range rows {
			if beside != nil && r.pkg+" "+r.name != s.beside {
				fmt.Fprintf(&t, "| %s: %s %s | %s | %s %s | %.2f |\n", s.title, r.pkg, r.name, metrics(r), beside.name, metrics(*beside), r.metrics[0].value/beside.metrics[0].value)
				continue
			}
			fmt.Fprintf(&t, "| %s: %s %s | %s | | |\n", s.title, r.pkg, r.name, metrics(r))
		}
	}
	fmt.Fprintf(&t, "\nSizes: linux/arm64, `GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'` (1 MB = 10⁶ bytes); "+
		"a function's floor is the largest floor program in internal/bench/floors whose packages it links. "+
		"Start: exec → first GET /2018-06-01/runtime/invocation/next against a loopback stand-in for the Runtime API, %d runs each, "+
		"binaries built the same way for this machine (linux/%s), × against the sdk floor's p50. "+
		"Benchmarks: `go test -run '^$' -bench . -benchmem -count 1`, × against the row named beside. "+
		"%s, %s, %d CPUs, %s.\n", runs, runtime.GOARCH, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))
	return t.String()
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func ms(p50, p90 time.Duration) string {
	return fmt.Sprintf("%.2f / %.2f ms", p50.Seconds()*1e3, p90.Seconds()*1e3)
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// metrics formats a benchmark's metrics: time per op in a readable unit,
// then the rest as reported.
func metrics(b bench) string {
	var parts []string
	for _, m := range b.metrics {
		switch m.unit {
		case "ns/op":
			parts = append(parts, time.Duration(m.value).Round(time.Duration(roundTo(m.value))).String()+"/op")
		case "MB/s":
			// a rate of the input, not a result: left out
		default:
			parts = append(parts, fmt.Sprintf("%s %s", trim(m.value), m.unit))
		}
	}
	return strings.Join(parts, ", ")
}

// roundTo keeps three significant digits of a duration in ns.
func roundTo(ns float64) float64 {
	r := 1.0
	for ns >= 1000 {
		ns /= 10
		r *= 10
	}
	return r
}

func trim(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.3g", v)
}

// Markers around the table in the README.
const (
	beginMarker = "<!-- bench:begin (make bench writes this table) -->"
	endMarker   = "<!-- bench:end -->"
)

// quote replaces the text between the markers of file with table.
func quote(file, table string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q … %q markers to put the table between", file, beginMarker, endMarker)
	}
	s = s[:i+len(beginMarker)] + "\n" + table + s[j:]
	return os.WriteFile(file, []byte(s), 0o644)
}
