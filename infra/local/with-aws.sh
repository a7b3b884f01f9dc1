#!/usr/bin/env bash
# with-aws.sh runs a command with local stand-ins for AWS:
#
#   DynamoDB Local (in memory, one shared database)   DOCFLOW_DYNAMODB_ENDPOINT
#   versitygw, posix backend with versioning          DOCFLOW_S3_ENDPOINT
#
# It also exports AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION to
# match, so an SDK client pointed at either endpoint signs its requests in a
# way versitygw accepts, and tells the tests where the other tools of
# $TOOLS are: the Lambda emulator (DOCFLOW_RIE), oidc-provider
# (DOCFLOW_OIDC_PROVIDER; the sign-in test starts its own provider) and
# local-kms (DOCFLOW_LOCAL_KMS; the tests of the audit signer start their own)
# and mailpit (DOCFLOW_MAILPIT; the notification tests start their own).
#
# Both servers listen on free ports on this machine, their data lives in a
# temporary directory, and both are stopped (and waited for) when the
# command ends, however it ends. The command's exit status is the script's.
#
# The command runs in the foreground, so it keeps the terminal: Ctrl-C
# reaches it directly. A SIGTERM sent to this script alone takes effect when
# the command returns (bash runs traps between commands).
#
#   bash infra/local/tools.sh && bash infra/local/with-aws.sh go test ./...
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: with-aws.sh CMD [ARG...]" >&2
	exit 2
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=${TOOLS:-$ROOT/.tools}
if [ ! -f "$TOOLS/ddb/DynamoDBLocal.jar" ] || [ ! -x "$TOOLS/bin/versitygw" ]; then
	echo "with-aws.sh: $TOOLS lacks DynamoDB Local or versitygw; run: bash infra/local/tools.sh" >&2
	exit 2
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/docflow-aws.XXXXXX")
PIDS=()
stop() {
	local rc=$?
	if [ ${#PIDS[@]} -gt 0 ]; then
		kill "${PIDS[@]}" 2>/dev/null || true
		# The JVM takes a moment to exit; wait so that nothing outlives us.
		wait "${PIDS[@]}" 2>/dev/null || true
	fi
	rm -rf "$RUN"
	exit "$rc"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port asks the kernel for a port that is free now. Another process could
# take it before our server binds it; start() notices and tries again.
free_port() {
	node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# answers reports whether an HTTP server answers on 127.0.0.1:$1.
answers() {
	local line
	{
		exec 3<>"/dev/tcp/127.0.0.1/$1" &&
			printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
			IFS= read -r -t 2 line <&3 &&
			[[ $line == HTTP/* ]]
	} 2>/dev/null
	local ok=$?
	exec 3>&-
	return $ok
}

# start NAME LAUNCHER runs "LAUNCHER PORT LOG", which starts the server in
# the background (so that $! is its pid), on a free port, and waits until
# the server answers; it leaves the port in PORT. A server that exits or stays
# silent for 30 s is stopped and started again on another port, up to three
# times.
PORT=
start() {
	local name=$1 launcher=$2 try pid i
	for try in 1 2 3; do
		PORT=$(free_port)
		"$launcher" "$PORT" "$RUN/$name.log"
		pid=$!
		PIDS+=("$pid")
		for i in $(seq 1 300); do
			if answers "$PORT" && kill -0 "$pid" 2>/dev/null; then
				return 0
			fi
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "with-aws.sh: $name did not answer on port $PORT (try $try); its log:" >&2
		sed 's/^/    /' "$RUN/$name.log" >&2 || true
	done
	echo "with-aws.sh: giving up on $name" >&2
	return 1
}

launch_dynamodb() {
	# DynamoDB Local has no host flag: it listens on every interface.
	(cd "$TOOLS/ddb" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
		-inMemory -sharedDb -disableTelemetry -port "$1") >"$2" 2>&1 &
}

launch_versitygw() {
	rm -rf "$RUN/s3" && mkdir -p "$RUN/s3/data" "$RUN/s3/versions"
	"$TOOLS/bin/versitygw" --access test --secret testsecret --port "127.0.0.1:$1" --quiet \
		posix --versioning-dir "$RUN/s3/versions" "$RUN/s3/data" >"$2" 2>&1 &
}

start dynamodb launch_dynamodb
DDB_PORT=$PORT
start versitygw launch_versitygw
S3_PORT=$PORT

export DOCFLOW_DYNAMODB_ENDPOINT=http://127.0.0.1:$DDB_PORT
export DOCFLOW_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=testsecret AWS_REGION=us-east-1
if [ -x "$TOOLS/bin/aws-lambda-rie" ]; then export DOCFLOW_RIE=$TOOLS/bin/aws-lambda-rie; fi
if [ -d "$TOOLS/oidc/node_modules" ]; then export DOCFLOW_OIDC_PROVIDER=$TOOLS/oidc; fi
if [ -x "$TOOLS/bin/local-kms" ]; then export DOCFLOW_LOCAL_KMS=$TOOLS/bin/local-kms; fi
if [ -x "$TOOLS/bin/mailpit" ]; then export DOCFLOW_MAILPIT=$TOOLS/bin/mailpit; fi
echo "with-aws.sh: DynamoDB Local at $DOCFLOW_DYNAMODB_ENDPOINT, versitygw at $DOCFLOW_S3_ENDPOINT" >&2

set +e
"$@"
exit $?
