// workloads.cjs: the replication benchmark's workloads against one sqld-compatible server,
// driven through the official clients, unmodified: the native `libsql` module as an embedded
// replica (`new Database(path, { syncUrl })`, `db.sync()`) and @libsql/client over Hrana HTTP.
// bench/replication_bench.sh runs every mode against our sqld and the reference in turn.
//
//   node workloads.cjs setup           PRIMARY_URL SMALL_ROWS
//   node workloads.cjs fill            PRIMARY_URL ROWS            (adds ROWS rows to `big`)
//   node workloads.cjs presync         PRIMARY_URL REPLICA_FILE
//   node workloads.cjs first-sync      PRIMARY_URL REPLICA_FILE
//   node workloads.cjs lag-embedded    PRIMARY_URL REPLICA_FILE RATE SECONDS
//   node workloads.cjs lag-sqld        PRIMARY_URL REPLICA_HTTP_URL RATE SECONDS [POLL_EVERY_MS=0]
//   node workloads.cjs forward-embedded PRIMARY_URL REPLICA_FILE N
//   node workloads.cjs forward-http    URL N                       (URL: a replica or a primary)
//   node workloads.cjs read-during-sync PRIMARY_URL REPLICA_FILE SMALL_ROWS [PAUSE_MS=1]
//                                      (REPLICA_FILE: one `presync` made before `fill`)
//
// Each mode prints one JSON line of results (times in ms unless the key says otherwise) and
// exits 0; a failure prints the client's error on stderr and exits 1. Nothing here asserts
// a time. The schema (`setup`): small(id, v) for reads, big(id, b) for the bulk data (random,
// incompressible 1000-byte blobs, 500 rows per write batch, as tests/compat does), lag(id,
// sent, pad) for the lag runs, fw(id, v) for forwarded writes.
//
// Clocks: every time is process.hrtime (CLOCK_MONOTONIC, one clock for every thread of the
// process), in ms. The writer of the lag runs is a worker thread: a native sync() blocks the
// main thread, and the writer must keep its pace meanwhile. Main thread and worker share
// their counters through a SharedArrayBuffer, since a blocked thread receives no messages.
"use strict";
const { Worker, isMainThread, workerData, parentPort } = require("worker_threads");
const { randomBytes } = require("crypto");
const fs = require("fs");
const path = require("path");

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const kWarmupSeconds = 1; // lag runs: rows sent in the first second are not counted
const kBlobBytes = 1000;
const kBatchRows = 500;

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

// { n, p50, p99, max, mean } of a list of ms, rounded to 0.01 ms.
function summary(values) {
  const sorted = Float64Array.from(values).sort();
  const r = (x) => (x === null ? null : Math.round(x * 100) / 100);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
  return {
    n: sorted.length,
    p50: r(percentile(sorted, 50)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted.length ? sorted[sorted.length - 1] : null),
    mean: r(mean),
  };
}

function client(url) {
  const { createClient } = require("@libsql/client");
  return createClient({ url });
}

function openReplica(file, url) {
  const Database = require("libsql");
  return new Database(file, { syncUrl: url });
}

// Reads on a native replica (libsql 0.5.29) use a statement prepared for the read and step it
// to the end (all(), never get()): a statement left unreset by get(), or prepared once and
// re-run with all(), keeps the snapshot of its first run, and rows a later sync brings stay
// invisible to it.
const localRows = (db, sql, ...args) => db.prepare(sql).raw().all(...args);

// ---------------------------------------------------------------------------------------
// Data

async function setup(url, smallRows) {
  const c = client(url);
  await c.batch(
    [
      "create table small(id integer primary key, v text not null)",
      "create table big(id integer primary key, b blob not null)",
      "create table lag(id integer primary key, sent real not null, pad text not null)",
      "create table fw(id integer primary key, v text not null)",
    ],
    "write",
  );
  const stmts = [];
  for (let id = 1; id <= smallRows; id++) {
    stmts.push({ sql: "insert into small(id, v) values (?, ?)", args: [id, `row ${id} `.padEnd(100, "*")] });
  }
  await c.batch(stmts, "write");
  c.close();
  return { small_rows: smallRows };
}

async function fill(url, rows) {
  const c = client(url);
  const first = Number((await c.execute("select coalesce(max(id), 0) from big")).rows[0][0]) + 1;
  const start = now();
  for (let id = first; id < first + rows; ) {
    const stmts = [];
    for (const end = Math.min(id + kBatchRows, first + rows); id < end; id++) {
      stmts.push({ sql: "insert into big(id, b) values (?, ?)", args: [id, randomBytes(kBlobBytes)] });
    }
    await c.batch(stmts, "write");
  }
  const seconds = (now() - start) / 1000;
  const pages = Number((await c.execute("pragma page_count")).rows[0][0]);
  const pageSize = Number((await c.execute("pragma page_size")).rows[0][0]);
  const total = Number((await c.execute("select count(*) from big")).rows[0][0]);
  c.close();
  return { rows_added: rows, big_rows: total, fill_s: +seconds.toFixed(2), db_mb: +((pages * pageSize) / 1e6).toFixed(1) };
}

// ---------------------------------------------------------------------------------------
// Embedded replicas

function presync(url, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = openReplica(file, url);
  const result = db.sync();
  const small = Number(localRows(db, "select count(*) from small")[0][0]);
  db.close();
  return { frame_no: result.frame_no, small_rows: small };
}

// The first sync() of a fresh replica: MB of database (page_count x page_size of the synced
// file, 1 MB = 10^6 bytes) per second of sync(), and the CPU time the client spent in it.
function firstSync(url, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = openReplica(file, url);
  const cpu = process.cpuUsage();
  const start = now();
  const result = db.sync();
  const ms = now() - start;
  const { user, system } = process.cpuUsage(cpu);
  const pages = Number(localRows(db, "pragma page_count")[0][0]);
  const pageSize = Number(localRows(db, "pragma page_size")[0][0]);
  const bigRows = Number(localRows(db, "select count(*) from big")[0][0]);
  db.close();
  const mb = (pages * pageSize) / 1e6;
  return {
    sync_s: +(ms / 1000).toFixed(3),
    db_mb: +mb.toFixed(1),
    mb_per_s: +(mb / (ms / 1000)).toFixed(1),
    frames_synced: result.frames_synced,
    frame_no: result.frame_no,
    big_rows: bigRows,
    // Every thread of this process: the native client's own threads included.
    client_cpu_ms: Math.round((user + system) / 1000),
  };
}

// ---------------------------------------------------------------------------------------
// Lag: a paced writer (worker thread) and a reader of the replica (main thread).

// Shared state of a lag run: state[0] = rows acknowledged so far, state[1] = 1 once the
// writer is done, state[2] = 1 if a write failed, state[3] = failed writes; sent[i] and
// ack[i] = times of row base + i (ack[i] = 0: its write failed).
function lagShared(total) {
  return {
    state: new SharedArrayBuffer(4 * 4),
    sent: new SharedArrayBuffer(8 * (total + 1)),
    ack: new SharedArrayBuffer(8 * (total + 1)),
  };
}

// The writer: rows base+1 .. base+total, one autocommit INSERT per Hrana HTTP request, the
// i-th due at start + (i-1)/rate whatever became of the ones before (open loop: a slow
// answer does not lower the load; at most kMaxInFlight writes wait at once, after which
// the writer falls behind and says so in achieved_rate). Each row carries its send time.
const kMaxInFlight = 64;
async function writerThread({ url, base, total, rate, shared }) {
  const state = new Int32Array(shared.state);
  const sent = new Float64Array(shared.sent);
  const ack = new Float64Array(shared.ack);
  const c = client(url);
  const pad = "p".repeat(100);
  let inFlight = 0;
  let wake = null;
  const pending = [];
  const start = now() + 50;
  for (let i = 1; i <= total; i++) {
    const wait = start + ((i - 1) * 1000) / rate - now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= kMaxInFlight) await new Promise((resolve) => (wake = resolve));
    const t = now();
    sent[i] = t;
    inFlight++;
    pending.push(
      c.execute({ sql: "insert into lag(id, sent, pad) values (?, ?, ?)", args: [base + i, t, pad] }).then(
        () => {
          ack[i] = now();
          Atomics.add(state, 0, 1);
        },
        (e) => {
          Atomics.store(state, 2, 1);
          Atomics.add(state, 3, 1);
          if (Atomics.load(state, 3) <= 3) console.error(`writer, row ${base + i}: ${e.code || ""} ${e.message}`);
        },
      ).finally(() => {
        inFlight--;
        if (wake) wake(), (wake = null);
      }),
    );
  }
  await Promise.all(pending);
  Atomics.store(state, 1, 1);
  c.close();
}

async function lagBase(url) {
  const c = client(url);
  const base = Number((await c.execute("select coalesce(max(id), 0) from lag")).rows[0][0]);
  c.close();
  return base;
}

function startWriter(url, base, total, rate, shared) {
  const worker = new Worker(__filename, { workerData: { role: "writer", url, base, total, rate, shared } });
  return new Promise((resolve) => worker.once("exit", resolve));
}

// Which rows of a lag run a reader has seen, and when. Concurrent writes may commit out of
// id order, so the reader asks for every id above `through`, the highest id up to which
// all are seen, and keeps the first time it saw each.
class Visibility {
  constructor(base, total) {
    this.base = base;
    this.total = total;
    this.at = new Float64Array(total + 1);
    this.through = 0; // rows base+1 .. base+through are all seen
  }
  after() {
    return this.base + this.through;
  }
  saw(ids, t) {
    for (const id of ids) {
      const i = id - this.base;
      if (i >= 1 && i <= this.total && !this.at[i]) this.at[i] = t;
    }
    while (this.through < this.total && this.at[this.through + 1]) this.through++;
  }
  // The writer is done and every row it had acknowledged is seen (`ack[i]` = 0: the
  // write of row base + i failed).
  finished(state, ack) {
    if (Atomics.load(state, 1) !== 1) return false;
    for (let i = this.through + 1; i <= this.total; i++) if (ack[i] && !this.at[i]) return false;
    return true;
  }
}

// Lag per row: from its send time and from its acknowledgement to the moment the reader saw
// it; rows sent in the warm-up second are left out.
function lagResult(visibility, shared, rate, extra) {
  const state = new Int32Array(shared.state);
  const sent = new Float64Array(shared.sent);
  const ack = new Float64Array(shared.ack);
  const total = visibility.total;
  const fromSend = [];
  const fromAck = [];
  const writeMs = [];
  let unseen = 0;
  for (let i = Math.floor(kWarmupSeconds * rate) + 1; i <= total; i++) {
    if (!ack[i]) continue; // failed write
    writeMs.push(ack[i] - sent[i]);
    const seenAt = visibility.at[i];
    if (!seenAt) {
      unseen++;
      continue;
    }
    fromSend.push(seenAt - sent[i]);
    fromAck.push(seenAt - ack[i]);
  }
  return {
    rows: total,
    rows_acknowledged: Atomics.load(state, 0),
    rows_counted: fromSend.length,
    rows_unseen: unseen,
    failed_writes: Atomics.load(state, 3),
    achieved_rate: +((total - 1) / ((sent[total] - sent[1]) / 1000)).toFixed(1),
    lag_send: summary(fromSend),
    lag_ack: summary(fromAck),
    write: summary(writeMs),
    ...extra,
  };
}

// An embedded replica syncing back to back; after each sync() it reads the new rows.
async function lagEmbedded(url, file, rate, seconds) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const total = Math.round(rate * (seconds + kWarmupSeconds));
  const base = await lagBase(url);
  const db = openReplica(file, url);
  db.sync();
  const shared = lagShared(total);
  const state = new Int32Array(shared.state);
  const ack = new Float64Array(shared.ack);
  const visibility = new Visibility(base, total);
  const exited = startWriter(url, base, total, rate, shared);
  const withFrames = [];
  const empty = [];
  const deadline = now() + (seconds + kWarmupSeconds + 60) * 1000;
  // The main thread stays in this loop (sync() blocks it) until the writer is done and
  // every row is seen.
  while (!visibility.finished(state, ack) && now() < deadline) {
    const t0 = now();
    const synced = db.sync();
    (synced.frames_synced ? withFrames : empty).push(now() - t0);
    // Prepared afresh each time (see localRows).
    const rows = db.prepare("select id from lag where id > ?").raw().all(visibility.after());
    visibility.saw(rows.map((row) => Number(row[0])), now());
  }
  await exited;
  db.close();
  return lagResult(visibility, shared, rate, {
    syncs: withFrames.length + empty.length,
    sync_with_frames: summary(withFrames),
    sync_empty: summary(empty),
  });
}

// A sqld replica polled over Hrana HTTP (`select id from lag where id > ?`, one pipeline
// per poll on a keep-alive connection; back to back, or one every pollEveryMs); a row is
// visible when a poll's answer carrying it arrives.
async function lagSqld(primaryUrl, replicaUrl, rate, seconds, pollEveryMs) {
  const total = Math.round(rate * (seconds + kWarmupSeconds));
  const base = await lagBase(primaryUrl);
  // The replica must have the table (and every earlier row) before the clock starts.
  if (!(await waitReplicaAt(replicaUrl, base, 30000))) {
    throw new Error(`the replica at ${replicaUrl} did not reach lag id ${base} in 30 s`);
  }
  const shared = lagShared(total);
  const state = new Int32Array(shared.state);
  const ack = new Float64Array(shared.ack);
  const visibility = new Visibility(base, total);
  const exited = startWriter(primaryUrl, base, total, rate, shared);
  const pollMs = [];
  const deadline = now() + (seconds + kWarmupSeconds + 60) * 1000;
  let next = now();
  while (!visibility.finished(state, ack) && now() < deadline) {
    if (pollEveryMs > 0) {
      const wait = next - now();
      if (wait > 0) await sleep(wait);
      next = Math.max(next + pollEveryMs, now());
    }
    const t0 = now();
    const ids = await pollIds(replicaUrl, visibility.after());
    const t = now();
    pollMs.push(t - t0);
    visibility.saw(ids, t);
  }
  await exited;
  return lagResult(visibility, shared, rate, { polls: pollMs.length, poll: summary(pollMs) });
}

async function pollIds(url, after) {
  const body = JSON.stringify({
    requests: [
      {
        type: "execute",
        stmt: { sql: "select id from lag where id > ?", args: [{ type: "integer", value: String(after) }] },
      },
      { type: "close" },
    ],
  });
  const response = await fetch(`${url}/v2/pipeline`, { method: "POST", body, headers: { "content-type": "application/json" } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`poll: HTTP ${response.status}: ${text.slice(0, 300)}`);
  const result = JSON.parse(text).results[0];
  if (result.type !== "ok") throw new Error(`poll: ${JSON.stringify(result.error)}`);
  return result.response.result.rows.map((row) => Number(row[0].value));
}

async function waitReplicaAt(url, id, ms) {
  const deadline = now() + ms;
  while (now() < deadline) {
    try {
      const ids = await pollIds(url, id - 1);
      if (id === 0 || ids.includes(id)) return true;
    } catch {}
    await sleep(20);
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Forwarded writes

// Writes through an embedded replica, as an application writes: `db.prepare(sql).run(..)`
// per write (a Describe, then an Execute on the primary; with the default read-your-writes,
// then a sync until the write is local). Each write timed from prepare() to run()'s return.
function forwardEmbedded(url, file, n) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = openReplica(file, url);
  db.sync();
  const warmup = 20;
  const times = [];
  const prepareMs = [];
  const first = Number(localRows(db, "select coalesce(max(id), 0) from fw")[0][0]);
  for (let i = 0; i < warmup + n; i++) {
    const t0 = now();
    const stmt = db.prepare("insert into fw(v) values (?)");
    const t1 = now();
    stmt.run(`embedded write ${i}`);
    const t2 = now();
    if (i >= warmup) {
      times.push(t2 - t0);
      prepareMs.push(t1 - t0);
    }
  }
  // Read-your-writes: every write is local when run() returns.
  const last = Number(localRows(db, "select coalesce(max(id), 0) from fw")[0][0]);
  db.close();
  if (last < first + warmup + n) throw new Error(`after ${warmup + n} writes the replica's fw reaches id ${last}, from ${first}`);
  // prepare: the Describe; the rest of a write is run(): Execute, then the sync.
  return { write: summary(times), prepare: summary(prepareMs) };
}

// Sequential autocommit INSERTs through @libsql/client over Hrana HTTP.
async function forwardHttp(url, n) {
  const c = client(url);
  const warmup = 20;
  const times = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = now();
    await c.execute({ sql: "insert into fw(v) values (?)", args: [`http write ${i}`] });
    const ms = now() - t0;
    if (i >= warmup) times.push(ms);
  }
  c.close();
  return { write: summary(times) };
}

// ---------------------------------------------------------------------------------------
// Reads on a replica while it syncs

// The reader of readDuringSync, in a worker thread: point selects on `small`, one every
// pauseMs, each timed with its prepare. state[0] = 1 once reading, state[1] = 1 to stop
// (state[3] is only waited on, for the pause).
function readerThread({ file, smallRows, pauseMs, shared }) {
  const Database = require("libsql");
  const state = new Int32Array(shared);
  // A second, plain connection to the replica's file (WAL: it reads beside the injector).
  const db = new Database(file);
  const starts = [];
  const times = [];
  let id = 1;
  Atomics.store(state, 0, 1);
  while (Atomics.load(state, 1) === 0) {
    if (pauseMs > 0) Atomics.wait(state, 3, 0, pauseMs);
    id = (id * 7919) % smallRows + 1;
    const t0 = now();
    // Prepared for each read (see localRows).
    const rows = db.prepare("select v from small where id = ?").raw().all(id);
    const ms = now() - t0;
    if (rows.length !== 1) throw new Error(`read of small id ${id} gave ${rows.length} rows`);
    starts.push(t0);
    times.push(ms);
  }
  db.close();
  parentPort.postMessage({ starts, times });
}

// Reopens a replica `presync` made before `big` was filled, starts the reader, lets it read
// for 300 ms (idle baseline), then runs the sync() that pulls everything since.
async function readDuringSync(url, file, smallRows, pauseMs) {
  const db = openReplica(file, url);
  const shared = new SharedArrayBuffer(4 * 4);
  const state = new Int32Array(shared);
  const worker = new Worker(__filename, { workerData: { role: "reader", file, smallRows, pauseMs, shared } });
  const result = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`reader exited with ${code} before reporting`)));
  });
  const readyBy = now() + 10000;
  while (Atomics.load(state, 0) === 0 && now() < readyBy) await sleep(5);
  await sleep(300);
  const syncStart = now();
  const synced = db.sync();
  const syncEnd = now();
  Atomics.store(state, 1, 1);
  const { starts, times } = await result;
  const bigRows = Number(localRows(db, "select count(*) from big")[0][0]);
  db.close();
  const idle = [];
  const during = [];
  for (let i = 0; i < starts.length; i++) {
    if (starts[i] < syncStart) idle.push(times[i]);
    else if (starts[i] + times[i] <= syncEnd) during.push(times[i]);
  }
  return {
    sync_s: +((syncEnd - syncStart) / 1000).toFixed(3),
    frames_synced: synced.frames_synced,
    big_rows: bigRows,
    idle: summary(idle),
    read: summary(during),
  };
}

// ---------------------------------------------------------------------------------------

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  switch (mode) {
    case "setup":
      return setup(args[0], +args[1]);
    case "fill":
      return fill(args[0], +args[1]);
    case "presync":
      return presync(args[0], args[1]);
    case "first-sync":
      return firstSync(args[0], args[1]);
    case "lag-embedded":
      return lagEmbedded(args[0], args[1], +args[2], +args[3]);
    case "lag-sqld":
      return lagSqld(args[0], args[1], +args[2], +args[3], +(args[4] ?? 0));
    case "forward-embedded":
      return forwardEmbedded(args[0], args[1], +args[2]);
    case "forward-http":
      return forwardHttp(args[0], +args[1]);
    case "read-during-sync":
      return readDuringSync(args[0], args[1], +args[2], +(args[3] ?? 1));
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

if (isMainThread) {
  main().then(
    (result) => {
      console.log(JSON.stringify(result));
      process.exit(0);
    },
    (e) => {
      console.error(`${process.argv[2]}: ${e.code || ""} ${e.message}`);
      process.exit(1);
    },
  );
} else if (workerData.role === "writer") {
  writerThread(workerData);
} else if (workerData.role === "reader") {
  readerThread(workerData);
}
