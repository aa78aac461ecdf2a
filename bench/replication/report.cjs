// report.cjs: turns the raw results of bench/replication_bench.sh into its table.
//
//   node report.cjs RESULTS_TSV
//
// Each line of RESULTS_TSV is "round<TAB>server<TAB>workload<TAB>value", server being "ours"
// or "reference", value the JSON line workloads.cjs printed or "n/a: why". Prints, per
// metric, the median over the rounds for each server and how many times better ours is,
// then every run's value and the notes. It compares; it asserts nothing.
"use strict";
const { printTable } = require("../markdown_table.cjs");
const fs = require("fs");

// Every row of the table: where its number is in a workload's JSON, which direction is
// better, and the target the lead reports (if any).
const kRows = [
  { workload: "first_sync_50", field: "mb_per_s", what: "(1) first sync, ~50 MB", metric: "MB/s", better: "higher", target: "at least the reference's" },
  { workload: "first_sync_50", field: "server_cpu_ms", what: "(1) first sync, ~50 MB", metric: "server CPU ms", better: "lower" },
  { workload: "raw_50", field: "mb_per_s", what: "(1) same log, raw gRPC-Web client", metric: "MB/s of responses", better: "higher" },
  { workload: "first_sync_large", field: "mb_per_s", what: "(1) first sync, large", metric: "MB/s", better: "higher", target: "at least the reference's" },
  { workload: "first_sync_large", field: "server_cpu_ms", what: "(1) first sync, large", metric: "server CPU ms", better: "lower" },
  { workload: "raw_large", field: "mb_per_s", what: "(1) same log, raw gRPC-Web client", metric: "MB/s of responses", better: "higher" },
  { workload: "lag_embedded", field: "lag_send.p50", what: "(2) lag, embedded replica", metric: "p50 ms, send to seen", better: "lower", target: "lower than the reference's" },
  { workload: "lag_embedded", field: "lag_send.p99", what: "(2) lag, embedded replica", metric: "p99 ms, send to seen", better: "lower", target: "lower than the reference's" },
  { workload: "lag_embedded", field: "server_cpu_ms", what: "(2) lag, embedded replica", metric: "server CPU ms", better: "lower" },
  { workload: "lag_sqld", field: "lag_ack.p50", what: "(2) lag, sqld replica", metric: "p50 ms, ack to seen", better: "lower", target: "lower than the reference's" },
  { workload: "lag_sqld", field: "lag_ack.p99", what: "(2) lag, sqld replica", metric: "p99 ms, ack to seen", better: "lower", target: "lower than the reference's" },
  { workload: "lag_sqld", field: "lag_send.p50", what: "(2) lag, sqld replica", metric: "p50 ms, send to seen", better: "lower" },
  { workload: "lag_sqld", field: "lag_send.p99", what: "(2) lag, sqld replica", metric: "p99 ms, send to seen", better: "lower" },
  { workload: "lag_sqld", field: "server_cpu_ms", what: "(2) lag, sqld replica", metric: "CPU ms, primary+replica", better: "lower" },
  { workload: "forward_embedded", field: "write.p50", what: "(3) write via embedded replica", metric: "p50 ms", better: "lower" },
  { workload: "forward_embedded", field: "write.p99", what: "(3) write via embedded replica", metric: "p99 ms", better: "lower" },
  { workload: "forward_sqld", field: "write.p50", what: "(3) write via sqld replica, HTTP", metric: "p50 ms", better: "lower" },
  { workload: "forward_sqld", field: "write.p99", what: "(3) write via sqld replica, HTTP", metric: "p99 ms", better: "lower" },
  { workload: "forward_sqld", field: "server_cpu_ms", what: "(3) write via sqld replica, HTTP", metric: "CPU ms, primary+replica", better: "lower" },
  { workload: "write_primary", field: "write.p50", what: "(3) same write to the primary", metric: "p50 ms", better: "lower" },
  { workload: "write_primary", field: "write.p99", what: "(3) same write to the primary", metric: "p99 ms", better: "lower" },
  { workload: "read_during_sync", field: "read.p50", what: "(4) read during a 50 MB sync", metric: "p50 ms", better: "lower" },
  { workload: "read_during_sync", field: "read.p99", what: "(4) read during a 50 MB sync", metric: "p99 ms", better: "lower" },
  { workload: "read_during_sync", field: "read.max", what: "(4) read during a 50 MB sync", metric: "max ms", better: "lower" },
  { workload: "read_during_sync", field: "sync_s", what: "(4) that sync", metric: "seconds", better: "lower" },
];

// Rows of a lag run that were not measured, if any: writes the primary refused, and
// acknowledged rows the replica had not shown 60 s after the last write.
const rowNotes = (r) =>
  (r.failed_writes ? `; ${r.failed_writes} writes FAILED` : "") +
  (r.rows_unseen ? `; ${r.rows_unseen} acknowledged rows NEVER SEEN` : "");

// Per workload, what the runs say besides the table's numbers.
const kContext = {
  fill_50: (r) => `${r.db_mb} MB (${r.big_rows} rows) filled over Hrana in ${r.fill_s} s`,
  settle_50: (r) => `idle ${r.seconds} s after that fill`,
  fill_large: (r) => `${r.db_mb} MB (${r.big_rows} rows) after ${r.fill_s} s more`,
  settle_large: (r) => `idle ${r.seconds} s after that fill (busy longer: compacting its log)`,
  raw_50: (r) => `${(r.bytes / 1e6).toFixed(1)} MB in ${r.calls} calls, ${r.seconds} s${r.snapshot ? ", from a snapshot" : ""}`,
  raw_large: (r) => `${(r.bytes / 1e6).toFixed(1)} MB in ${r.calls} calls, ${r.seconds} s${r.snapshot ? ", from a snapshot" : ""}`,
  first_sync_50: (r) => `${r.db_mb} MB in ${r.sync_s} s, ${r.frames_synced} frames; client CPU ${r.client_cpu_ms} ms`,
  first_sync_large: (r) => `${r.db_mb} MB in ${r.sync_s} s, ${r.frames_synced} frames; client CPU ${r.client_cpu_ms} ms`,
  lag_embedded: (r) =>
    `${r.achieved_rate}/s sent, writes p50 ${r.write.p50} ms; ${r.syncs} syncs (with frames p50 ${r.sync_with_frames.p50} ms, ` +
    `empty p50 ${r.sync_empty.p50} ms); lag from ack p50 ${r.lag_ack.p50} p99 ${r.lag_ack.p99}` + rowNotes(r),
  lag_sqld: (r) =>
    `${r.achieved_rate}/s sent, writes p50 ${r.write.p50} p99 ${r.write.p99} ms; ${r.polls} polls (p50 ${r.poll.p50} ms)` + rowNotes(r),
  forward_embedded: (r) => `prepare() (a Describe) p50 ${r.prepare.p50} ms of the write's ${r.write.p50} ms`,
  read_during_sync: (r) =>
    `${r.read.n} reads during a ${r.sync_s} s sync of ${r.frames_synced} frames; idle reads p50 ${r.idle.p50} ms, max ${r.idle.max} ms`,
};

const runs = {}; // workload -> server -> [{ round, value | error }]
for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
  if (!line.trim()) continue;
  const [round, server, workload, ...rest] = line.split("\t");
  const text = rest.join("\t");
  const run = { round };
  if (text.startsWith("{")) run.value = JSON.parse(text);
  else run.error = text.replace(/^n\/a:\s*/, "");
  ((runs[workload] ??= {})[server] ??= []).push(run);
}

const field = (object, dotted) => dotted.split(".").reduce((o, k) => (o == null ? undefined : o[k]), object);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function format(x) {
  if (x >= 100) return Math.round(x).toLocaleString("en-US");
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

// The median of a row's numbers for one server, or the reason there is none.
function summarize(row, server) {
  const list = runs[row.workload]?.[server];
  if (!list || list.length === 0) return { text: "n/a (not run)" };
  const numbers = list.map((r) => (r.value ? field(r.value, row.field) : undefined)).filter((v) => typeof v === "number");
  if (numbers.length === 0) return { text: `n/a (${list.find((r) => r.error)?.error ?? "no value"})` };
  const m = median(numbers);
  const failed = list.length - numbers.length;
  return { value: m, text: format(m) + (failed ? ` (${failed} run(s) n/a)` : ""), runs: numbers };
}

const table = [["workload", "metric", "ours", "reference", "ours vs reference", "target"]];
const details = [];
for (const row of kRows) {
  if (!runs[row.workload]) continue;
  const ours = summarize(row, "ours");
  const ref = summarize(row, "reference");
  let verdict = "n/a";
  let target = row.target ?? "-";
  if (ours.value !== undefined && ref.value !== undefined && ours.value > 0 && ref.value > 0) {
    // "advantage" > 1 means ours is better, whichever direction the metric runs.
    const advantage = row.better === "higher" ? ours.value / ref.value : ref.value / ours.value;
    const [good, bad] = row.better === "higher" ? ["faster", "SLOWER"] : ["lower", "HIGHER"];
    verdict = advantage >= 1 ? `${advantage.toFixed(2)}x ${good}` : `${(1 / advantage).toFixed(2)}x ${bad}`;
    if (row.target) target += row.better === "higher" ? (advantage >= 1 ? ": met" : ": NOT met") : advantage > 1 ? ": met" : ": NOT met";
  }
  table.push([row.what, row.metric, ours.text, ref.text, verdict, target]);
  const show = (s) => (s.runs ? s.runs.map(format).join(", ") : s.text);
  details.push(`  ${row.workload} ${row.field}: ours [${show(ours)}], reference [${show(ref)}]`);
}

printTable(table);
console.log("");
console.log('Throughput: higher is better, "x faster" = ours / reference. Latency and lag: lower is');
console.log('better, "x lower" = reference / ours. Values are medians over the rounds; every run:');
for (const d of details) console.log(d);

console.log("");
console.log("Per run:");
for (const [workload, describe] of Object.entries(kContext)) {
  for (const server of ["ours", "reference"]) {
    for (const run of runs[workload]?.[server] ?? []) {
      if (run.value) console.log(`  ${workload}, ${server}, round ${run.round}: ${describe(run.value)}`);
    }
  }
}
const failures = [];
for (const [workload, byServer] of Object.entries(runs)) {
  for (const [server, list] of Object.entries(byServer)) {
    for (const run of list) if (run.error) failures.push(`  round ${run.round}, ${server}, ${workload}: ${run.error}`);
  }
}
if (failures.length) {
  console.log("");
  console.log("Runs that failed:");
  for (const f of failures) console.log(f);
}
