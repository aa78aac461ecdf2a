#!/usr/bin/env bash
# run.sh: the differential test, end to end. Starts OUR_SQLD and REFERENCE_SQLD on free
# loopback ports with fresh data directories, waits for /health, runs
# differential.test.mjs against both, and stops both servers whatever happens.
#
#   tests/compat/differential/run.sh OUR_SQLD REFERENCE_SQLD
#   (validation: pass the reference binary twice)
#
# Environment passed through: LIBSQL_DIFF_FILTER (regex on case names), LIBSQL_DIFF_DUMP
# (directory for per-case records of both sides). LIBSQL_DIFF_TIMEOUT (seconds, default 90)
# bounds the test run.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 OUR_SQLD REFERENCE_SQLD" >&2
  exit 2
fi
ours_bin=$(realpath "$1")
ref_bin=$(realpath "$2")
for b in "$ours_bin" "$ref_bin"; do
  [[ -x "$b" ]] || { echo "run.sh: $b is not an executable" >&2; exit 2; }
done

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/libsql-diff.XXXXXX")
pids=()

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Give each server 5 s to exit on SIGTERM, then SIGKILL it.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 ]]; then
    for side in ours reference; do
      if [[ -s "$work/$side.log" ]]; then
        echo "---- last lines of the $side server log ($work/$side.log) ----" >&2
        tail -n 20 "$work/$side.log" >&2
      fi
    done
  fi
  if [[ $status -eq 0 ]]; then
    rm -rf "$work"
  else
    rm -rf "$work/ours.db" "$work/reference.db"
    echo "run.sh: server logs kept in $work" >&2
  fi
  exit $status
}
trap cleanup EXIT INT TERM

# Two distinct free ports, chosen by the kernel.
read -r port_ours port_ref < <(node -e '
  const net = require("net");
  const a = net.createServer().listen(0, "127.0.0.1", () => {
    const b = net.createServer().listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port);
      a.close(); b.close();
    });
  });')

start() { # side binary port
  "$2" --db-path "$work/$1.db" --http-listen-addr "127.0.0.1:$3" --no-welcome >"$work/$1.log" 2>&1 &
  pids+=($!)
}
start ours "$ours_bin" "$port_ours"
start reference "$ref_bin" "$port_ref"

wait_healthy() { # side port pid
  node -e '
    const [port, pid] = process.argv.slice(1);
    const deadline = Date.now() + 15000;
    (async () => {
      for (;;) {
        try { process.kill(Number(pid), 0); } catch { console.error(`server exited before answering /health`); process.exit(1); }
        try { if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) process.exit(0); } catch {}
        if (Date.now() > deadline) { console.error(`no 200 from /health within 15 s`); process.exit(1); }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();' "$2" "$3" || { echo "run.sh: $1 server on port $2 did not start" >&2; return 1; }
}
wait_healthy ours "$port_ours" "${pids[0]}"
wait_healthy reference "$port_ref" "${pids[1]}"

echo "run.sh: ours $ours_bin on 127.0.0.1:$port_ours, reference $ref_bin on 127.0.0.1:$port_ref" >&2
cd "$here"
LIBSQL_DIFF_OURS="http://127.0.0.1:$port_ours" \
LIBSQL_DIFF_REFERENCE="http://127.0.0.1:$port_ref" \
  timeout "${LIBSQL_DIFF_TIMEOUT:-90}" node --test --test-reporter=spec differential.test.mjs
