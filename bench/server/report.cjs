// report.cjs: turns the raw results of bench/server_bench.sh into its table.
//
//   node report.cjs RESULTS_TSV
//
// Each line of RESULTS_TSV is "round<TAB>server<TAB>key<TAB>value", server being "ours"
// or "reference". A value is a number, or "n/a: why" when the run could not be made.
// Lines with key "error:<key>" carry a note about failed requests in that run.
// Prints, per workload, the median over the rounds for each server and how many times
// better ours is. It compares; it asserts nothing.
"use strict";
const { printTable } = require("../markdown_table.cjs");
const fs = require("fs");

// Every row of the table: the key the runner records, and which direction is better.
const kRows = [
  { key: "http_p50", workload: "(a) execute over HTTP", metric: "p50 latency, us", better: "lower", target: 2 },
  { key: "http_p99", workload: "(a) execute over HTTP", metric: "p99 latency, us", better: "lower" },
  { key: "ws_p50", workload: "(a) execute over WS", metric: "p50 latency, us", better: "lower", target: 2 },
  { key: "ws_p99", workload: "(a) execute over WS", metric: "p99 latency, us", better: "lower" },
  { key: "select_c1_p50", workload: "(b) point select, 1 conn", metric: "p50 latency (wrk), us", better: "lower", target: 2 },
  { key: "select_c1", workload: "(b) point select, 1 conn", metric: "requests/s", better: "higher", target: 2 },
  { key: "select_c8", workload: "(b) point select, 8 conns", metric: "requests/s", better: "higher", target: 2 },
  { key: "select_c64", workload: "(b) point select, 64 conns", metric: "requests/s", better: "higher", target: 2 },
  { key: "insert_c1", workload: "(c) autocommit insert, 1 conn", metric: "inserts/s", better: "higher", target: 2 },
  { key: "insert_c8", workload: "(c) autocommit insert, 8 conns", metric: "inserts/s", better: "higher", target: 2 },
];

const results = {}; // key -> server -> [values]
const notes = [];
for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
  if (!line.trim()) continue;
  const [round, server, key, ...rest] = line.split("\t");
  const value = rest.join("\t");
  if (key.startsWith("error:")) {
    notes.push(`round ${round}, ${server}, ${key.slice(6)}: ${value}`);
    continue;
  }
  ((results[key] ??= {})[server] ??= []).push(value);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The median of the numeric runs, or the reason there is none.
function summarize(values) {
  if (!values || values.length === 0) return { text: "n/a (not run)" };
  const numbers = values.filter((v) => !v.startsWith("n/a")).map(Number);
  if (numbers.length === 0) return { text: values[0].replace(/^n\/a:\s*/, "n/a (") + ")" };
  const m = median(numbers);
  const failed = values.length - numbers.length;
  return { value: m, text: format(m) + (failed ? ` (${failed} run(s) n/a)` : ""), runs: numbers };
}

function format(x) {
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1);
}

const table = [["workload", "metric", "ours", "reference", "ours vs reference", "target"]];
const details = [];
for (const row of kRows) {
  const ours = summarize(results[row.key]?.ours);
  const ref = summarize(results[row.key]?.reference);
  let verdict = "n/a";
  let target = row.target ? (row.better === "higher" ? ">= 2x faster" : "<= 1/2 of ref") : "-";
  if (ours.value !== undefined && ref.value !== undefined && ours.value > 0 && ref.value > 0) {
    // "advantage" > 1 means ours is better, whichever direction the metric runs.
    const advantage = row.better === "higher" ? ours.value / ref.value : ref.value / ours.value;
    if (row.better === "higher") {
      verdict = advantage >= 1 ? `${advantage.toFixed(2)}x faster` : `${(1 / advantage).toFixed(2)}x SLOWER`;
    } else {
      verdict = advantage >= 1 ? `${advantage.toFixed(2)}x lower` : `${(1 / advantage).toFixed(2)}x HIGHER`;
    }
    if (row.target) target += advantage >= row.target ? ": met" : ": NOT met";
  }
  table.push([row.workload, row.metric, ours.text, ref.text, verdict, target]);
  if (ours.runs || ref.runs) {
    const show = (s) => (s.runs ? s.runs.map(format).join(", ") : s.text);
    details.push(`  ${row.key}: ours [${show(ours)}], reference [${show(ref)}]`);
  }
}

printTable(table);
console.log("");
console.log("Latency: lower is better, \"x lower\" = reference / ours. Throughput: higher is better,");
console.log("\"x faster\" = ours / reference. Values are medians over the rounds; every run:");
for (const d of details) console.log(d);
if (notes.length) {
  console.log("");
  console.log("Failed requests or runs (the numbers above include only completed requests):");
  for (const n of notes) console.log("  " + n);
}
