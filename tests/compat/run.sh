#!/usr/bin/env bash
# run.sh: starts one sqld-compatible server binary on a fresh data dir and a free
# loopback port, then runs the given compat test files (node --test) against it.
# Knows nothing about which server it drives: the same tests run against the
# reference sqld and against ours.
#
# Usage: tests/compat/run.sh SQLD_BINARY TEST_FILE...
#   TEST_FILE is a path, or a file name inside tests/compat (e.g. client_http.test.mjs).
# Environment:
#   LIBSQL_COMPAT_REFERENCE=1    skip the tests documented as failing on the reference sqld
#   COMPAT_TIMEOUT=SECONDS       bound on the whole node run (default 300)
#   COMPAT_TEST_CONCURRENCY=N    test files run in parallel (default 1: deterministic)
#   COMPAT_TEST_REPORTER=NAME    node --test reporter (default spec; tap for machines)
#   COMPAT_SERVER_ARGS="..."     extra arguments for the server (word-split)
#   COMPAT_KEEP_DATA=1           keep the temp dir (data + server.log) for inspection
# Exit status: node's status; 2 on usage errors; 3 if the server never became healthy;
# 124 if the run timed out.

set -u

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $# -lt 2 ]]; then
  echo "usage: $0 SQLD_BINARY TEST_FILE..." >&2
  exit 2
fi

server_bin="$1"
shift
if [[ ! -x "$server_bin" ]]; then
  echo "run.sh: server binary '$server_bin' does not exist or is not executable" >&2
  exit 2
fi
server_bin="$(cd "$(dirname "$server_bin")" && pwd)/$(basename "$server_bin")"

test_files=()
for f in "$@"; do
  if [[ -f "$f" ]]; then
    test_files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
  elif [[ -f "$script_dir/$f" ]]; then
    test_files+=("$script_dir/$f")
  else
    echo "run.sh: test file '$f' not found (looked in . and $script_dir)" >&2
    exit 2
  fi
done

if [[ ! -d "$script_dir/node_modules/@libsql/client" ]]; then
  echo "run.sh: $script_dir/node_modules is missing; install tests/compat/package.json first" >&2
  exit 2
fi

tmp_dir="$(mktemp -d "${TMPDIR:-/tmp}/libsql-compat.XXXXXX")"
server_pid=""
node_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [[ "${COMPAT_KEEP_DATA:-0}" == "1" ]]; then
    echo "run.sh: kept $tmp_dir" >&2
  else
    rm -rf "$tmp_dir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback port: bind port 0, read what the kernel chose, release it.
# Another process could take it before the server binds: then our server exits with
# "address in use" and we retry; the health wait also checks that our pid still lives.
pick_port() {
  node -e '
    const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
  '
}

# Polls GET /health until it answers 200 (exit 0), the server process `pid` is gone
# (exit 1), or 10 s have passed (exit 2). One node process for the whole wait.
wait_healthy() {
  node -e '
    const [url, pid] = [process.argv[1], Number(process.argv[2])];
    const deadline = Date.now() + 10000;
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    (async () => {
      while (Date.now() < deadline) {
        if (!alive()) process.exit(1);
        try {
          const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
          if (r.status === 200) process.exit(0);
        } catch {}
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      process.exit(2);
    })();
  ' "http://127.0.0.1:$1/health" "$2"
}

stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}

# Starts the server; retries (on a new port) only when it exited early, which is what a
# lost port race looks like. A server that runs but never gets healthy is not retried.
started=0
for attempt in 1 2 3; do
  port="$(pick_port)"
  server_args=(--db-path "$tmp_dir/data.sqld" --http-listen-addr "127.0.0.1:$port" --no-welcome)
  # shellcheck disable=SC2206
  [[ -n "${COMPAT_SERVER_ARGS:-}" ]] && server_args+=(${COMPAT_SERVER_ARGS})
  "$server_bin" "${server_args[@]}" >"$tmp_dir/server.log" 2>&1 &
  server_pid=$!
  wait_healthy "$port" "$server_pid"
  health=$?
  if [[ "$health" == "0" ]]; then
    started=1
    break
  fi
  if [[ "$health" == "2" ]]; then
    echo "run.sh: the server runs but GET /health did not answer 200 within 10 s; log:" >&2
    tail -n 30 "$tmp_dir/server.log" >&2
    stop_server
    break
  fi
  echo "run.sh: the server exited before answering GET /health (attempt $attempt); log:" >&2
  tail -n 30 "$tmp_dir/server.log" >&2
  stop_server
  rm -rf "$tmp_dir/data.sqld"
done
if [[ "$started" != "1" ]]; then
  echo "run.sh: giving up: '$server_bin' never answered GET /health with 200" >&2
  exit 3
fi

export LIBSQL_TEST_URL="http://127.0.0.1:$port"
export LIBSQL_TEST_WS_URL="ws://127.0.0.1:$port"
# For tests that need a second, differently configured server (ws_protocol.test.mjs).
export LIBSQL_TEST_SERVER_BIN="$server_bin"
echo "run.sh: server $server_bin pid $server_pid on $LIBSQL_TEST_URL" \
     "(reference quirks skipped: ${LIBSQL_COMPAT_REFERENCE:-0})" >&2

cd "$script_dir" || exit 2
timeout --kill-after=10 "${COMPAT_TIMEOUT:-300}" \
  node --test --test-concurrency="${COMPAT_TEST_CONCURRENCY:-1}" \
    --test-reporter="${COMPAT_TEST_REPORTER:-spec}" "${test_files[@]}" &
node_pid=$!
wait "$node_pid"
status=$?
node_pid=""

if [[ "$status" == "124" ]]; then
  echo "run.sh: the test run exceeded COMPAT_TIMEOUT=${COMPAT_TIMEOUT:-300}s" >&2
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "run.sh: the server exited during the run; log tail:" >&2
  tail -n 30 "$tmp_dir/server.log" >&2
  [[ "$status" == "0" ]] && status=1
fi
exit "$status"
