# docflow — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
DATA ?= docflow-data
ADDR ?= 127.0.0.1:8080

.PHONY: run dev demo fonts test test-short bench build lambdas vet generate clean tools

FONTS ?= $(CURDIR)/.tools/fonts

## run: serve docflow on $(ADDR) over embedded storage in ./$(DATA)
# Without the fonts (fetching needs apt) docflow still runs, publishing HTML and .docx only.
FONTFLAG = $$(test -f $(FONTS)/FandolFang-Regular.otf && echo -fonts $(FONTS))

run:
	-bash infra/fonts/fetch.sh $(FONTS)
	$(GO) run ./cmd/docflow serve -addr $(ADDR) -data $(DATA) $(FONTFLAG)

## dev: serve a throwaway demonstration office (./docflow-dev) with the development identity:
## anyone on this machine may act as any account, without a password; loopback only
dev:
	-bash infra/fonts/fetch.sh $(FONTS)
	$(GO) run ./cmd/docflow serve -dev -addr $(ADDR) -data docflow-dev -audit-key .docflow-dev-key/audit.key $(FONTFLAG)

## demo: take the fixture case through every stage and publish it (./docflow-demo)
demo:
	-bash infra/fonts/fetch.sh $(FONTS)
	rm -rf docflow-demo
	$(GO) run ./cmd/docflow demo -data docflow-demo $(FONTFLAG)

## fonts: the Fandol fonts for PDF output, from Debian's texlive-lang-chinese (not installed, only unpacked)
fonts:
	bash infra/fonts/fetch.sh $(FONTS)

## test: every test, with DynamoDB Local, an S3 server and the Lambda emulator started for it
## (the sign-in test starts a real OpenID provider; template_test.go runs cfn-lint for both identity modes)
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
# templ's generator at the version of its runtime in go.mod.
TEMPL = github.com/a-h/templ/cmd/templ@$(shell $(GO) list -m -f '{{.Version}}' github.com/a-h/templ)

test: tools
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@command -v cfn-lint >/dev/null || echo "make test: cfn-lint is not installed, so template.yaml is not linted (TestTemplateCfnLint skips; under CI=true it fails)" >&2
	$(GO) run $(TEMPL) generate -check -path internal/web
	bash infra/local/with-aws.sh $(GO) test -race -count=1 -timeout 30m ./...

## test-short: the tests that need nothing but Go
test-short:
	$(GO) test -count=1 ./...

## bench: the functions' sizes and start times beside their floors, and the benchmarks, as one
## table (artifacts/bench.md, and quoted in README.md); about eight minutes here
bench: tools
	bash infra/local/with-aws.sh $(GO) run ./cmd/bench -o artifacts/bench.md -readme README.md

## tools: install the local stand-ins the tests use (idempotent)
tools:
	bash infra/local/tools.sh

## lambdas: build every function as `sam build` does (linux/arm64, CGO off, lambda.norpc)
lambdas:
	bash infra/fonts/fetch.sh bin/fonts-layer/fonts
	for f in functions/*/; do \
		n=$$(basename $$f); \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bin/$$n/bootstrap ./$$f || exit 1; \
	done

vet:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(TEMPL) generate -check -path internal/web
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"

## generate: the pages' Go code from internal/web/*.templ (commit the *_templ.go files)
generate:
	$(GO) run $(TEMPL) generate -path internal/web

clean:
	rm -rf bin artifacts docflow-demo
