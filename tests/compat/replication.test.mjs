// replication.test.mjs: embedded replicas, as users of the official clients see them. The
// native `libsql` module (`new Database(path, { syncUrl })`, `db.sync()`) and @libsql/client
// (`createClient({ url: "file:...", syncUrl })`, `client.sync()`) keep a local SQLite file in
// step with a sqld-compatible primary, and forward their writes to it.
// Starts its own primaries from LIBSQL_TEST_SERVER_BIN (exported by run.sh), each on a free
// loopback port and a temp data dir; the server run.sh started is not used, because the
// final-state case compares every table of a primary and other files may write to that one.
// Both clients probe GET /info when a replica is built; sqld answers 404, so they speak the v1
// protocol: gRPC-Web `wal_log.ReplicationLog` (Hello, BatchLogEntries, Snapshot) for syncs and
// `proxy.Proxy` (Describe, Execute) for writes (research/replication.md §0, §2.5, §6). The
// frame numbers asserted below are v1's: 0-based, one per logged page, consecutive.
// The native API is synchronous: a sync() blocks this process until it returns, so nothing
// here can bound one hanging sync but run.sh's COMPAT_TIMEOUT.
// Every read on a native replica steps its statement to the end (all(), never get()): get()
// leaves the statement unreset, and the connection then keeps reading the snapshot it had, so
// rows a later sync brings stay invisible to it (see README, native libsql as a replica).

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "libsql";
import { createClient } from "@libsql/client";
import { REFERENCE, skipReferenceQuirk, throwsWith, rejectsWith } from "./helpers.mjs";
import { launchServer, spawnServer, startWriteLoad } from "./server_process.mjs";

// Bounds. The reference can take 30 s to exit on SIGTERM while a replica's connections are
// open (it waits for them), hence the long stop bound.
const kServerWaitMs = 45000;
const kBackgroundSyncWaitMs = 10000;
const kVacuumWaitMs = 20000;

const SERVER_BIN = process.env.LIBSQL_TEST_SERVER_BIN;

let workDir;                 // everything this file writes: data dirs and replica files
const servers = new Set();   // every server started, killed in after() if still running
const openDatabases = new Set();
const openClients = new Set();

before(async () => {
  if (!SERVER_BIN) throw new Error("LIBSQL_TEST_SERVER_BIN is not set: run this file through tests/compat/run.sh");
  workDir = await mkdtemp(join(tmpdir(), "replication-test-"));
});

after(async () => {
  for (const db of openDatabases) { try { db.close(); } catch {} }
  for (const client of openClients) { try { client.close(); } catch {} }
  for (const server of servers) await server.kill();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Servers

// Starts a primary on a fresh data dir `<workDir>/<name>/data.sqld` and a free port.
async function startPrimary(name, args = []) {
  const dataDir = await mkdtemp(join(workDir, `${name}-`));
  const dbPath = join(dataDir, "data.sqld");
  const server = { ...await launchServer({ bin: SERVER_BIN, dbPath, args, waitMs: kServerWaitMs }), dbPath, dataDir, args };
  servers.add(server);
  return server;
}

// Starts the server again on `previous`'s data dir and port (a replica's syncUrl names the
// port), with `args` (default: the previous ones). The old listener is gone, but a new bind
// can still fail for a moment: retried while the process exits early, for up to 10 s.
async function restartPrimary(previous, args = previous.args) {
  const fullArgs = ["--db-path", previous.dbPath, "--http-listen-addr", `127.0.0.1:${previous.port}`, "--no-welcome", ...args];
  const deadline = Date.now() + 10000;
  for (;;) {
    let started;
    try {
      started = await spawnServer({ bin: SERVER_BIN, args: fullArgs, port: previous.port, waitMs: kServerWaitMs });
    } catch (e) {
      throw new Error(`restart on port ${previous.port}: ${e.message}`);
    }
    if (started) {
      const server = { ...previous, args, ...started };
      servers.add(server);
      return server;
    }
    if (Date.now() > deadline) throw new Error(`restart on port ${previous.port}: the server kept exiting; output:\n${spawnServer.lastOutput}`);
    await sleep(200);
  }
}

// Stops `server` with SIGTERM; returns how long it took, in ms.
async function stopGracefully(server) {
  const start = performance.now();
  await server.stop();
  return performance.now() - start;
}

// Kills a per-test server at the end of its test, after checking it did not die on its own.
async function retire(server) {
  assert.ok(server.running(), `the server exited during the test; output:\n${server.output()}`);
  await server.kill();
  servers.delete(server);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Clients

// A remote @libsql/client on the primary (Hrana over HTTP).
function remoteClient(server) {
  const client = createClient({ url: server.url });
  openClients.add(client);
  return client;
}

function closeClient(client) {
  client.close();
  openClients.delete(client);
}

// A fresh directory for one test's replica files.
const freshDir = (name) => mkdtemp(join(workDir, `${name}-`));

// A native replica at `<dir>/<file>` of `server`.
function openReplica(dir, server, options = {}, file = "replica.db") {
  const db = new Database(join(dir, file), { syncUrl: server.url, ...options });
  openDatabases.add(db);
  return db;
}

function closeReplica(db) {
  db.close();
  openDatabases.delete(db);
}

// An @libsql/client embedded replica at `<dir>/<file>` of `server`.
function openClientReplica(dir, server, options = {}, file = "client-replica.db") {
  const client = createClient({ url: `file:${join(dir, file)}`, syncUrl: server.url, ...options });
  openClients.add(client);
  return client;
}

// Reads on a native replica (see the file comment: always to the end of the statement).
const localRows = (db, sql, ...args) => db.prepare(sql).raw().all(...args);
const localValue = (db, sql, ...args) => localRows(db, sql, ...args)[0][0];

// Reads on the primary.
const remoteRows = async (client, sql, args = []) => (await client.execute({ sql, args })).rows.map((row) => Array.from(row));
const remoteValue = async (client, sql, args = []) => (await remoteRows(client, sql, args))[0][0];

// sync() with the shape both clients return: { frames_synced, frame_no }.
function assertSyncResult(result, what) {
  assert.equal(typeof result, "object", `${what}: sync() returns an object, got ${result}`);
  assert.equal(typeof result.frames_synced, "number", `${what}: frames_synced is a number: ${JSON.stringify(result)}`);
  assert.ok(result.frame_no === undefined || typeof result.frame_no === "number", `${what}: frame_no: ${JSON.stringify(result)}`);
  return result;
}

// A sync after `previous` (the last sync's result): the frames it reports continue the log,
// frame_no grows by exactly frames_synced (v1 frame numbers are consecutive).
function assertSyncAdvances(result, previous, what) {
  assertSyncResult(result, what);
  const before = previous.frame_no ?? -1;
  assert.equal(result.frame_no ?? -1, before + result.frames_synced,
               `${what}: frame_no ${result.frame_no} = previous frame_no ${previous.frame_no} + frames_synced ${result.frames_synced}`);
  return result;
}

// The error a native replica (or @libsql/client on one) reports for a statement the primary
// refused: a plain Error whose message is the Rust Debug of RemoteSqliteFailure(sqld's code,
// SQLite's extended code, SQLite's message). sqld's code is 3 for every SQLite failure.
function assertRemoteSqliteFailure(e, extendedCode, message, what) {
  assert.ok(e instanceof Error, `${what}: expected an Error, got ${e}`);
  const expected = `RemoteSqliteFailure(3, ${extendedCode}, ${JSON.stringify(message)})`;
  assert.ok(e.message.includes(expected), `${what}: expected ${expected} in: ${e.message}`);
}

const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

// ---------------------------------------------------------------------------------------
// Whole-database comparison

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

// The SQL that renders each row of `table` as one text: quote() of the rowid (when the table
// has one) and of every column, joined by '|', in an order both sides compute alike.
function rowsSql(table, columns, withoutRowid) {
  const parts = [...(withoutRowid ? [] : ["quote(rowid)"]), ...columns.map((c) => `quote(${quoteIdent(c)})`)];
  return `select ${parts.join(" || '|' || ")} as r from ${quoteIdent(table)} order by r`;
}

// { schema, tables } of a database, read through `query(sql, args) -> rows (arrays)`.
async function snapshotWith(query) {
  const schema = (await query("select type, name, tbl_name, sql from sqlite_schema order by type, name", []))
    .map((r) => r.map((v) => (v === null ? null : String(v))));
  const tables = {};
  for (const [type, name, , sql] of schema) {
    if (type !== "table") continue;
    const columns = (await query("select name from pragma_table_info(?) order by cid", [name])).map((r) => String(r[0]));
    const withoutRowid = /\bwithout\s+rowid\b/i.test(sql ?? "");
    tables[name] = (await query(rowsSql(name, columns, withoutRowid), [])).map((r) => String(r[0]));
  }
  return { schema, tables };
}

const remoteSnapshot = (client) => snapshotWith((sql, args) => remoteRows(client, sql, args));
const localSnapshot = (db) => snapshotWith(async (sql, args) => localRows(db, sql, ...args));

// Asserts the replica holds exactly the primary's schema and rows, table by table.
function assertSameDatabase(local, primary, what) {
  assert.deepEqual(local.schema, primary.schema, `${what}: sqlite_schema`);
  assert.deepEqual(Object.keys(local.tables).sort(), Object.keys(primary.tables).sort(), `${what}: tables`);
  for (const name of Object.keys(primary.tables)) {
    const l = local.tables[name];
    const p = primary.tables[name];
    if (l.length !== p.length) assert.fail(`${what}: table ${name} has ${l.length} rows, the primary ${p.length}`);
    for (let i = 0; i < p.length; ++i) {
      if (l[i] !== p[i]) assert.fail(`${what}: table ${name}, row ${i}: ${l[i].slice(0, 200)} != primary ${p[i].slice(0, 200)}`);
    }
  }
}

function assertIntegrityOk(db, what) {
  assert.deepEqual(localRows(db, "pragma integrity_check"), [["ok"]], `${what}: PRAGMA integrity_check`);
}

const mb = (bytes) => bytes / 1e6;

// =======================================================================================
// 1. First sync of a large primary

describe("first sync", () => {
  test("a fresh replica of a ~50 MB primary holds exactly its rows", { timeout: 240000 }, async (t) => {
    const kRows = 50000;
    const kBlobBytes = 1000;   // four rows per 4 KiB page: ~50 MB of rows, ~51 MB of file
    const kBatchRows = 500;
    const server = await startPrimary("first-sync");
    const remote = remoteClient(server);
    await remote.execute("create table big(id integer primary key, b blob not null)");

    // Random (incompressible) blobs, uploaded in write batches, one transaction each. Each row's
    // digest is kept; `total` hashes every (id, blob) in id order.
    const rowDigest = new Array(kRows + 1);
    const total = createHash("sha256");
    const insertStart = performance.now();
    for (let first = 1; first <= kRows; first += kBatchRows) {
      const statements = [];
      for (let id = first; id < first + kBatchRows; ++id) {
        const blob = randomBytes(kBlobBytes);
        rowDigest[id] = createHash("sha1").update(blob).digest("hex");
        total.update(`${id}:`).update(blob);
        statements.push({ sql: "insert into big(id, b) values (?, ?)", args: [id, blob] });
      }
      await remote.batch(statements, "write");
    }
    const expectedTotal = total.digest("hex");
    const insertSeconds = (performance.now() - insertStart) / 1000;
    const statsSql = "select count(*), sum(length(b)), sum(id) from big";
    const primaryStats = (await remoteRows(remote, statsSql))[0].map(Number);
    assert.deepEqual(primaryStats, [kRows, kRows * kBlobBytes, kRows * (kRows + 1) / 2], "the primary holds every row");
    const primaryPages = Number(await remoteValue(remote, "pragma page_count"));
    const pageSize = Number(await remoteValue(remote, "pragma page_size"));
    // The primary's bytes, spot-checked (reading all 50 MB back over Hrana is slow on the reference).
    for (let i = 0; i < 20; ++i) {
      const id = 1 + Math.floor(Math.random() * kRows);
      const [[blob]] = await remoteRows(remote, "select b from big where id = ?", [id]);
      assert.equal(createHash("sha1").update(new Uint8Array(blob)).digest("hex"), rowDigest[id], `primary row ${id}`);
    }

    const dir = await freshDir("first-sync");
    const db = openReplica(dir, server);
    const syncStart = performance.now();
    const first = assertSyncResult(db.sync(), "first sync");
    const syncSeconds = (performance.now() - syncStart) / 1000;
    const fileBytes = (await stat(join(dir, "replica.db"))).size;
    const walBytes = await stat(join(dir, "replica.db-wal")).then((s) => s.size, () => 0);
    const dbBytes = primaryPages * pageSize;
    t.diagnostic(`primary: ${kRows} rows x ${kBlobBytes} B inserted in ${insertSeconds.toFixed(2)} s; ` +
                 `${primaryPages} pages x ${pageSize} B = ${mb(dbBytes).toFixed(1)} MB`);
    t.diagnostic(`first sync: ${syncSeconds.toFixed(2)} s, ${(mb(dbBytes) / syncSeconds).toFixed(1)} MB/s of database; ` +
                 `frames_synced ${first.frames_synced}, frame_no ${first.frame_no}; ` +
                 `local file ${mb(fileBytes).toFixed(1)} MB + WAL ${mb(walBytes).toFixed(1)} MB`);

    assert.ok(first.frames_synced >= primaryPages, `every page arrives at least once: ${first.frames_synced} frames for ${primaryPages} pages`);
    // From frame 0, a log brings frame_no + 1 frames; a compacted snapshot may bring fewer
    // (sqld compacts only past --max-log-size, 200 MB by default, so here it sends the log).
    assert.ok(first.frame_no >= first.frames_synced - 1, `frame_no ${first.frame_no} >= frames_synced - 1`);
    assert.deepEqual(localRows(db, statsSql)[0].map(Number), primaryStats, "count, total length and sum of ids");
    assert.equal(Number(localValue(db, "pragma page_count")), primaryPages, "page_count");

    const localTotal = createHash("sha256");
    let id = 0;
    let mismatches = 0;
    for (const [rowId, blob] of db.prepare("select id, b from big order by id").raw().iterate()) {
      ++id;
      if (Number(rowId) !== id) assert.fail(`local row ${id} has id ${rowId}`);
      localTotal.update(`${rowId}:`).update(blob);
      if (createHash("sha1").update(blob).digest("hex") !== rowDigest[id]) ++mismatches;
    }
    assert.equal(id, kRows, "rows read back");
    assert.equal(mismatches, 0, "rows whose blob differs from the one inserted");
    assert.equal(localTotal.digest("hex"), expectedTotal, "sha256 over every (id, blob)");
    assertIntegrityOk(db, "replica");

    const again = db.sync();
    assertSyncAdvances(again, first, "a second sync");
    assert.equal(again.frames_synced, 0, "a second sync has nothing to bring");

    closeReplica(db);
    closeClient(remote);
    await retire(server);
  });
});

// =======================================================================================
// 2, 3, 5, 6, 7: one primary, written by the cases in turn; the last compares it whole.

describe("a primary and its replicas", () => {
  let server;
  let remote;
  let follower;          // a native replica opened before anything was written, synced after each case
  let followerLast;      // its last sync() result

  before(async () => {
    server = await startPrimary("shared");
    remote = remoteClient(server);
    follower = openReplica(await freshDir("follower"), server);
    followerLast = assertSyncResult(follower.sync(), "the first sync of an empty primary");
    assert.deepEqual({ ...followerLast }, { frames_synced: 0, frame_no: undefined },
                     "the first sync of an empty primary: no frames, no frame_no");
  });

  // The shared primary outlives this block: the replicas with syncPeriod / syncInterval keep
  // syncing after close() (the native Database frees its sync task only when collected), so
  // the file's after() kills it last, when nothing is left to log failed handshakes.

  // Brings the follower up to date; it never loses a frame on the way.
  function stepFollower(what) {
    followerLast = assertSyncAdvances(follower.sync(), followerLast, `follower after ${what}`);
  }

  test("incremental syncs bring exactly the new rows; a sync with nothing new reports 0 frames", { timeout: 60000 }, async () => {
    await remote.execute("create table inc(id integer primary key, v text not null)");
    const dir = await freshDir("incremental");
    const db = openReplica(dir, server);
    let last = assertSyncResult(db.sync(), "first sync");
    assert.ok(last.frames_synced >= 2, `CREATE TABLE logs at least pages 1 and 2: ${JSON.stringify(last)}`);
    assert.equal(last.frame_no, last.frames_synced - 1, "a fresh replica: frame_no = frames_synced - 1");
    const ids = () => localRows(db, "select id from inc order by id").map((r) => Number(r[0]));
    assert.deepEqual(ids(), [], "the table is there, empty");

    const idle = db.sync();
    assertSyncAdvances(idle, last, "nothing new");
    assert.equal(idle.frames_synced, 0, "a sync with nothing new reports 0 frames");

    // One transaction of 100 rows.
    await remote.batch(Array.from({ length: 100 }, (_, i) => ({ sql: "insert into inc(id, v) values (?, ?)", args: [i + 1, `row ${i + 1}`] })), "write");
    last = assertSyncAdvances(db.sync(), last, "after 100 rows in one transaction");
    assert.ok(last.frames_synced >= 1, "the transaction's frames arrive");
    assert.deepEqual(ids(), Array.from({ length: 100 }, (_, i) => i + 1), "exactly rows 1..100");

    // Five autocommit transactions: each commit logs at least one frame.
    for (let id = 101; id <= 105; ++id) await remote.execute({ sql: "insert into inc(id, v) values (?, ?)", args: [id, `row ${id}`] });
    last = assertSyncAdvances(db.sync(), last, "after five commits");
    assert.ok(last.frames_synced >= 5, `five commits, at least five frames: ${last.frames_synced}`);
    assert.deepEqual(ids(), Array.from({ length: 105 }, (_, i) => i + 1), "exactly rows 1..105");

    // Updates and deletes arrive too.
    await remote.execute("update inc set v = 'changed' where id % 10 = 0");
    await remote.execute("delete from inc where id > 100");
    last = assertSyncAdvances(db.sync(), last, "after an update and a delete");
    assert.deepEqual(localRows(db, "select count(*), sum(v = 'changed'), max(id) from inc")[0].map(Number), [100, 10, 100],
                     "100 rows, 10 changed, none above 100");

    const idleAgain = db.sync();
    assertSyncAdvances(idleAgain, last, "nothing new, again");
    assert.equal(idleAgain.frames_synced, 0, "a sync with nothing new reports 0 frames");

    // A replica file reopened resumes where it stopped: no frame is fetched again.
    closeReplica(db);
    const reopened = openReplica(dir, server);
    const resumed = assertSyncResult(reopened.sync(), "first sync after reopening");
    assert.deepEqual({ ...resumed }, { frames_synced: 0, frame_no: last.frame_no }, "reopened: 0 frames, the same frame_no");
    assert.equal(Number(localValue(reopened, "select count(*) from inc")), 100, "rows kept in the file");

    // @libsql/client's replica: client.sync() reports the same numbers.
    const client = openClientReplica(dir, server);
    const cFirst = assertSyncResult(await client.sync(), "@libsql/client first sync");
    assert.equal(cFirst.frame_no, last.frame_no, "@libsql/client: the same frame_no as the native replica");
    assert.equal(cFirst.frames_synced, cFirst.frame_no + 1, "@libsql/client fresh replica: frames_synced = frame_no + 1");
    await remote.execute("insert into inc(id, v) values (1000, 'for the client')");
    const cNext = await client.sync();
    assertSyncAdvances(cNext, cFirst, "@libsql/client after one insert");
    assert.ok(cNext.frames_synced >= 1, "@libsql/client: the insert's frames arrive");
    assert.deepEqual((await client.execute("select v from inc where id = 1000")).rows.map((r) => r.v), ["for the client"],
                     "@libsql/client sees the new row");
    const cIdle = await client.sync();
    assert.deepEqual({ ...cIdle }, { frames_synced: 0, frame_no: cNext.frame_no }, "@libsql/client: nothing new, 0 frames");
    client.close();
    openClients.delete(client);
    closeReplica(reopened);
    stepFollower("incremental syncs");
  });

  test("schema changes on the primary reach a replica connection that stayed open", { timeout: 60000 }, async () => {
    const db = openReplica(await freshDir("schema"), server);
    let last = assertSyncResult(db.sync(), "first sync");
    const schemaOf = (names) => localRows(db, `select type, name, sql from sqlite_schema where name in (${names.map(() => "?").join(",")}) order by name`, ...names);
    const primarySchemaOf = (names) => remoteRows(remote, `select type, name, sql from sqlite_schema where name in (${names.map(() => "?").join(",")}) order by name`, names);

    await remote.batch(["create table sch(id integer primary key, a text)", "insert into sch(a) values ('x'), ('y'), ('z')"], "write");
    last = assertSyncAdvances(db.sync(), last, "CREATE TABLE");
    assert.deepEqual(localRows(db, "select id, a from sch order by id"), [[1, "x"], [2, "y"], [3, "z"]], "the new table's rows");
    const count = db.prepare("select count(*) from sch").raw();   // prepared once, run after each change
    assert.deepEqual(count.all(), [[3]]);

    await remote.execute("create index sch_a on sch(a)");
    last = assertSyncAdvances(db.sync(), last, "CREATE INDEX");
    assert.deepEqual(schemaOf(["sch_a"]), await primarySchemaOf(["sch_a"]), "the index, as the primary has it");
    const plan = localRows(db, "explain query plan select id from sch where a = 'y'").map((r) => r.join(" ")).join("\n");
    assert.match(plan, /sch_a/, "the local planner uses the new index");
    assert.deepEqual(localRows(db, "select id from sch where a = 'y'"), [[2]], "a lookup through the index");
    assert.deepEqual(count.all(), [[3]], "a statement prepared before the change still runs");

    await remote.batch(["alter table sch add column b integer not null default 7", "insert into sch(a, b) values ('w', 8)"], "write");
    last = assertSyncAdvances(db.sync(), last, "ALTER TABLE ADD COLUMN");
    assert.deepEqual(localRows(db, "select id, a, b from sch order by id"), [[1, "x", 7], [2, "y", 7], [3, "z", 7], [4, "w", 8]],
                     "old rows show the default, the new row its value");
    assert.deepEqual(count.all(), [[4]], "the statement prepared before ALTER sees the new row");

    await remote.batch([
      "create table sch_kv(k text primary key, v any) strict, without rowid",
      "insert into sch_kv values ('one', 1), ('two', x'02')",
      "create view sch_view as select a, b from sch where b > 7",
      "create trigger sch_log after insert on sch begin insert into sch_kv values ('trigger ' || new.a, new.id); end",
      "insert into sch(a) values ('v')",
    ], "write");
    last = assertSyncAdvances(db.sync(), last, "WITHOUT ROWID table, view, trigger");
    assert.deepEqual(localRows(db, "select k, typeof(v) from sch_kv order by k"), [["one", "integer"], ["trigger v", "integer"], ["two", "blob"]],
                     "the WITHOUT ROWID table, filled by the primary's trigger");
    assert.deepEqual(localRows(db, "select a, b from sch_view"), [["w", 8]], "the view");

    await remote.batch(["drop view sch_view", "drop table sch"], "write");
    last = assertSyncAdvances(db.sync(), last, "DROP TABLE");
    const e = throwsWith(() => db.prepare("select * from sch").all(), "reading a dropped table");
    assert.match(e.message, /no such table: sch/, "the dropped table is gone locally");
    assert.deepEqual(schemaOf(["sch", "sch_a", "sch_view", "sch_log"]), [], "its index, view and trigger are gone too");
    assert.deepEqual(localRows(db, "select type, name, sql from sqlite_schema order by name"),
                     await remoteRows(remote, "select type, name, sql from sqlite_schema order by name"), "the whole schema equals the primary's");
    assertIntegrityOk(db, "replica");
    closeReplica(db);
    stepFollower("schema changes");
  });

  test("writes through a replica reach the primary and, with read-your-writes, are visible locally at once", { timeout: 60000 }, async () => {
    await remote.execute("create table rw(id integer primary key, v text unique)");
    const dir = await freshDir("writes");
    const db = openReplica(dir, server);   // readYourWrites defaults to true
    db.sync();
    const local = () => localRows(db, "select id, v from rw order by id");
    const primary = () => remoteRows(remote, "select id, v from rw order by id");

    const info = db.prepare("insert into rw(v) values (?)").run("run-1");
    assert.equal(info.changes, 1, "run(): changes");
    assert.equal(Number(info.lastInsertRowid), 1, "run(): lastInsertRowid");
    assert.deepEqual(local(), [[1, "run-1"]], "run(): visible locally when it returns");
    assert.deepEqual(await primary(), [[1, "run-1"]], "run(): on the primary");

    db.exec("insert into rw(v) values ('exec-1'); insert into rw(v) values ('exec-2')");
    assert.deepEqual(local().map((r) => r[1]), ["run-1", "exec-1", "exec-2"], "exec(): both statements visible locally");

    const insertPair = db.transaction((a, b) => {
      db.prepare("insert into rw(v) values (?)").run(a);
      db.prepare("insert into rw(v) values (?)").run(b);
    });
    insertPair("txfn-1", "txfn-2");
    assert.equal(db.inTransaction, false, "db.transaction(): committed");
    assert.deepEqual(local().map((r) => r[1]).slice(3), ["txfn-1", "txfn-2"], "db.transaction(): visible locally");

    db.exec("BEGIN");
    db.prepare("insert into rw(v) values (?)").run("begin-1");
    assert.equal(db.inTransaction, true, "BEGIN: in a transaction (the primary's state)");
    assert.deepEqual(localRows(db, "select v from rw where v = 'begin-1'"), [["begin-1"]],
                     "inside the transaction, reads run on the primary and see its own write");
    assert.equal(await remoteValue(remote, "select count(*) from rw where v = 'begin-1'"), 0,
                 "another connection does not see the uncommitted row");
    db.exec("COMMIT");
    assert.equal(db.inTransaction, false, "COMMIT: out of the transaction");
    assert.deepEqual(localRows(db, "select v from rw where v = 'begin-1'"), [["begin-1"]], "COMMIT: visible locally");

    db.exec("BEGIN");
    db.prepare("insert into rw(v) values (?)").run("rolled-back");
    db.exec("ROLLBACK");
    assert.equal(await remoteValue(remote, "select count(*) from rw where v = 'rolled-back'"), 0, "ROLLBACK: not on the primary");
    assert.deepEqual(localRows(db, "select v from rw where v = 'rolled-back'"), [], "ROLLBACK: not local");

    // Read-your-writes already pulled every write: a sync finds nothing.
    const idle = assertSyncResult(db.sync(), "sync after the writes");
    assert.equal(idle.frames_synced, 0, "read-your-writes left nothing to sync");
    assert.equal(idle.frame_no, db.maxWriteReplicationIndex(), "the replica is at the index of its last write");
    assert.deepEqual(local(), await primary(), "local rows equal the primary's");

    // Errors from the primary carry SQLite's extended code and message.
    const unique = throwsWith(() => db.prepare("insert into rw(v) values (?)").run("run-1"), "duplicate v");
    assertRemoteSqliteFailure(unique, SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: rw.v", "UNIQUE through run()");
    const pk = throwsWith(() => db.exec("insert into rw(id, v) values (1, 'another')"), "duplicate id");
    assertRemoteSqliteFailure(pk, SQLITE_CONSTRAINT_PRIMARYKEY, "UNIQUE constraint failed: rw.id", "PRIMARY KEY through exec()");
    const failing = db.transaction(() => {
      db.prepare("insert into rw(v) values (?)").run("txfn-3");
      db.prepare("insert into rw(v) values (?)").run("run-1");
    });
    const inTxn = throwsWith(() => failing(), "a transaction whose second insert fails");
    assertRemoteSqliteFailure(inTxn, SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: rw.v", "UNIQUE inside db.transaction()");
    assert.equal(db.inTransaction, false, "the failed transaction was rolled back");
    assert.equal(await remoteValue(remote, "select count(*) from rw where v = 'txfn-3'"), 0, "nothing of the failed transaction is on the primary");
    db.prepare("insert into rw(v) values (?)").run("after-errors");
    assert.deepEqual(local(), await primary(), "the replica still writes; local rows equal the primary's");

    // Without read-your-writes a write reaches the primary, and the replica sees it after sync().
    const lazy = openReplica(dir, server, { readYourWrites: false }, "lazy.db");
    const lazyFirst = lazy.sync();
    lazy.prepare("insert into rw(v) values (?)").run("lazy-1");
    assert.equal(await remoteValue(remote, "select count(*) from rw where v = 'lazy-1'"), 1, "readYourWrites false: on the primary");
    assert.deepEqual(localRows(lazy, "select v from rw where v = 'lazy-1'"), [], "readYourWrites false: not local before sync()");
    const lazyNext = assertSyncAdvances(lazy.sync(), lazyFirst, "readYourWrites false, sync after the write");
    assert.ok(lazyNext.frames_synced >= 1, "the write's frames arrive");
    assert.deepEqual(localRows(lazy, "select v from rw where v = 'lazy-1'"), [["lazy-1"]], "readYourWrites false: local after sync()");
    closeReplica(lazy);

    // @libsql/client on a replica: execute, batch and transactions go to the primary.
    const client = openClientReplica(dir, server);
    await client.sync();
    const clientValues = async () => (await client.execute("select v from rw where v like 'client-%' order by id")).rows.map((r) => r.v);
    const r1 = await client.execute({ sql: "insert into rw(v) values (?)", args: ["client-1"] });
    assert.equal(r1.rowsAffected, 1, "@libsql/client execute: rowsAffected");
    assert.deepEqual(await clientValues(), ["client-1"], "@libsql/client execute: visible locally when it resolves");
    await client.batch([{ sql: "insert into rw(v) values (?)", args: ["client-2"] }, "insert into rw(v) values ('client-3')"], "write");
    assert.deepEqual(await clientValues(), ["client-1", "client-2", "client-3"], "@libsql/client batch: visible locally");
    const tx = await client.transaction("write");
    await tx.execute("insert into rw(v) values ('client-4')");
    await tx.commit();
    assert.deepEqual(await clientValues(), ["client-1", "client-2", "client-3", "client-4"], "@libsql/client transaction: visible locally");
    const clientErr = await rejectsWith(client.execute("insert into rw(v) values ('client-1')"), "@libsql/client duplicate");
    // The client passes the native module's error through unchanged (no LibsqlError, no code).
    assertRemoteSqliteFailure(clientErr, SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: rw.v", "@libsql/client UNIQUE");
    assert.deepEqual((await client.execute("select id, v from rw order by id")).rows.map((r) => [r.id, r.v]), await primary(),
                     "@libsql/client: local rows equal the primary's");
    closeClient(client);
    closeReplica(db);
    stepFollower("writes through replicas");
  });

  test("syncPeriod / syncInterval: a background sync picks up a remote write", { timeout: 60000 }, async (t) => {
    await remote.execute("create table bg(id integer primary key, v text)");
    const dir = await freshDir("background");
    const db = openReplica(dir, server, { syncPeriod: 0.2 });
    const client = openClientReplica(dir, server, { syncInterval: 0.2 });

    // Polls `read` until it returns `expected`; returns the wait in ms.
    async function waitFor(read, expected, what) {
      const start = performance.now();
      let seen;
      while (performance.now() - start < kBackgroundSyncWaitMs) {
        seen = await read();
        if (JSON.stringify(seen) === JSON.stringify(expected)) return performance.now() - start;
        await sleep(50);
      }
      assert.fail(`${what}: still ${JSON.stringify(seen)} after ${kBackgroundSyncWaitMs} ms, expected ${JSON.stringify(expected)}`);
    }
    const nativeValues = () => {
      try { return localRows(db, "select v from bg order by id").map((r) => r[0]); } catch (e) { return e.message; }
    };
    const clientValues = async () => {
      try { return (await client.execute("select v from bg order by id")).rows.map((r) => r.v); } catch (e) { return e.message; }
    };

    // Neither replica has synced by hand: the table itself arrives in the background.
    const waits = [];
    for (const values of [["one"], ["one", "two"], ["one", "two", "three"]]) {
      await remote.execute({ sql: "insert into bg(v) values (?)", args: [values.at(-1)] });
      waits.push([await waitFor(nativeValues, values, `native syncPeriod, ${values.length} rows`),
                  await waitFor(clientValues, values, `@libsql/client syncInterval, ${values.length} rows`)]);
    }
    t.diagnostic(`background sync every 0.2 s: rows visible after ${waits.map(([n, c]) => `native ${n.toFixed(0)} ms / client ${c.toFixed(0)} ms`).join(", ")}`);
    closeClient(client);
    closeReplica(db);
    stepFollower("background sync");
  });

  test("final state: every replica holds exactly the primary's rows in every table", { timeout: 60000 }, async () => {
    const primary = await remoteSnapshot(remote);
    assert.ok(Object.keys(primary.tables).length >= 4, `the cases above left tables: ${Object.keys(primary.tables)}`);
    const primaryPages = Number(await remoteValue(remote, "pragma page_count"));

    stepFollower("everything");
    assertSameDatabase(await localSnapshot(follower), primary, "the replica that followed every case");
    assert.equal(Number(localValue(follower, "pragma page_count")), primaryPages, "follower: page_count");
    assertIntegrityOk(follower, "follower");

    const dir = await freshDir("final");
    const fresh = openReplica(dir, server);
    fresh.sync();
    assertSameDatabase(await localSnapshot(fresh), primary, "a fresh native replica");
    assert.equal(Number(localValue(fresh, "pragma page_count")), primaryPages, "fresh replica: page_count");
    assertIntegrityOk(fresh, "fresh replica");
    closeReplica(fresh);

    const client = openClientReplica(dir, server);
    await client.sync();
    const clientQuery = async (sql, args) => (await client.execute({ sql, args })).rows.map((row) => Array.from(row));
    assertSameDatabase(await snapshotWith(clientQuery), primary, "a fresh @libsql/client replica");
    closeClient(client);
    assert.ok(server.running(), `the shared primary exited during the cases; output:\n${server.output()}`);
  });
});

// =======================================================================================
// 1b. A compacted log: replicas sync through snapshots

describe("compaction", () => {
  // With --max-log-size 1 (MB) the primary compacts its log into snapshots every ~240
  // frames, so a fresh replica's first BatchLogEntries gets FAILED_PRECONDITION
  // NEED_SNAPSHOT and the client fetches Snapshot; a replica left behind does the same.
  // The reference answers UNAVAILABLE "snapshot not found" while a compaction runs:
  // only that error is retried there (see the README's reference quirks).
  test("a fresh replica and one left behind sync through snapshots to exactly the primary's rows", { timeout: 120000 }, async (t) => {
    const server = await startPrimary("compaction", ["--max-log-size", "1"]);
    const remote = remoteClient(server);
    let quirkRetries = 0;
    const sync = (db) => {
      const deadline = performance.now() + 30000;
      for (;;) {
        try {
          return assertSyncResult(db.sync(), "sync through snapshots");
        } catch (e) {
          if (!(REFERENCE && String(e.message).includes("snapshot not found")) || performance.now() > deadline) throw e;
          quirkRetries += 1;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }
      }
    };
    await remote.execute("create table c(id integer primary key, b blob not null)");
    const behindDir = await freshDir("compaction-behind");
    const behind = openReplica(behindDir, server);
    sync(behind);
    for (let round = 0; round < 20; ++round) {
      await remote.batch([
        `with recursive s(x) as (select 1 union all select x + 1 from s where x < 200) insert into c(b) select randomblob(1000) from s`,
        `update c set b = randomblob(900) where id % 7 = ${round % 7}`,
      ], "write");
    }
    const pages = Number(await remoteValue(remote, "pragma page_count"));
    assert.ok(pages > 1000, `the primary holds more than its 1 MB log: ${pages} pages`);
    const primary = await remoteSnapshot(remote);

    const freshDb = openReplica(await freshDir("compaction-fresh"), server);
    const first = sync(freshDb);
    assert.ok(first.frames_synced > 0, `the fresh replica synced frames: ${JSON.stringify(first)}`);
    assertSameDatabase(await localSnapshot(freshDb), primary, "a fresh replica");
    assertIntegrityOk(freshDb, "a fresh replica");
    assert.equal(Number(localValue(freshDb, "pragma page_count")), pages, "page_count of the fresh replica");

    const caughtUp = sync(behind);
    assert.equal(caughtUp.frame_no, first.frame_no, "both replicas end at the same frame_no");
    assertSameDatabase(await localSnapshot(behind), primary, "a replica left behind");
    assertIntegrityOk(behind, "a replica left behind");
    assert.equal(assertSyncResult(sync(freshDb), "a sync after").frames_synced, 0, "nothing new after catching up");
    t.diagnostic(`${pages} pages; fresh replica: ${first.frames_synced} frames to frame_no ${first.frame_no}; ` +
                 `"snapshot not found" retries: ${quirkRetries}`);
    if (quirkRetries > 0) skipReferenceQuirk(t, "the reference answered Snapshot with UNAVAILABLE while compacting");
    closeReplica(freshDb);
    closeReplica(behind);
    closeClient(remote);
    await retire(server);
  });
});

// =======================================================================================
// 4. VACUUM that shrinks the primary

describe("vacuum", () => {
  // sqld refuses VACUUM from clients ("unsupported statement"); the only VACUUM it runs is its
  // own, in the periodic checkpoint of --checkpoint-interval-s, when the database has at
  // least 65536 pages (256 MiB) and more than half of them are free (libsql-server
  // connection_core.rs, vacuum_if_needed). So: ~270 MB of rows, 80% deleted, then a restart
  // with --checkpoint-interval-s 1, and the replica must follow the shrink.
  test("after the primary's VACUUM shrinks the file, a replica has its page_count and rows", { timeout: 240000 }, async (t) => {
    const kRows = 270000;   // 1000-byte blobs, four to a page: ~67500 pages
    const server = await startPrimary("vacuum");
    const remote = remoteClient(server);
    // A blob determined by its id, so both sides check every byte without moving it: 125 copies
    // of an 8-digit hex word, 1000 bytes.
    const blobOf = (idSql) => `cast(replace(hex(zeroblob(125)), '00', printf('%08X', (${idSql} * 2654435761) % 4294967296)) as blob)`;
    await remote.execute("create table vac(id integer primary key, b blob not null)");
    const loadStart = performance.now();
    for (let first = 1; first <= kRows; first += 10000) {
      await remote.execute(`with recursive s(x) as (select ${first} union all select x + 1 from s where x < ${first + 9999}) ` +
                           `insert into vac select x, ${blobOf("x")} from s`);
    }
    const pagesBefore = Number(await remoteValue(remote, "pragma page_count"));
    assert.ok(pagesBefore >= 65536, `the primary has at least 65536 pages: ${pagesBefore}`);

    const dir = await freshDir("vacuum");
    const db = openReplica(dir, server);
    // The reference compacts its log once it passes --max-log-size (200 MB by default) and then
    // answers Snapshot with UNAVAILABLE "snapshot not found" until the snapshot file is written.
    let quirkRetries = 0;
    const sync = () => {
      const deadline = performance.now() + 30000;
      for (;;) {
        try {
          return db.sync();
        } catch (e) {
          if (!REFERENCE || !/snapshot not found/.test(e.message) || performance.now() > deadline) throw e;
          ++quirkRetries;
          const until = performance.now() + 200;
          while (performance.now() < until) {}   // the client is synchronous; so is this wait
        }
      }
    };
    const syncStart = performance.now();
    sync();
    const firstSyncSeconds = (performance.now() - syncStart) / 1000;
    assert.equal(Number(localValue(db, "pragma page_count")), pagesBefore, "the replica has every page before the shrink");

    await remote.execute("delete from vac where id % 5 != 0");
    closeClient(remote);
    const stopMs = await stopGracefully(server);
    const vacuuming = await restartPrimary(server, ["--checkpoint-interval-s", "1"]);
    const remote2 = remoteClient(vacuuming);
    const vacuumStart = performance.now();
    let pagesAfter = pagesBefore;
    while (performance.now() - vacuumStart < kVacuumWaitMs) {
      pagesAfter = Number(await remoteValue(remote2, "pragma page_count"));
      if (pagesAfter < pagesBefore / 2) break;
      await sleep(250);
    }
    assert.ok(pagesAfter < pagesBefore / 2,
              `the primary vacuumed within ${kVacuumWaitMs} ms of a restart with --checkpoint-interval-s 1: page_count ${pagesBefore} -> ${pagesAfter}`);
    const vacuumSeconds = (performance.now() - vacuumStart) / 1000;

    const shrinkStart = performance.now();
    sync();
    const shrinkSyncSeconds = (performance.now() - shrinkStart) / 1000;
    t.diagnostic(`${kRows} rows loaded in ${((syncStart - loadStart) / 1000).toFixed(1)} s; first sync of ${pagesBefore} pages ` +
                 `${firstSyncSeconds.toFixed(1)} s (${(mb(pagesBefore * 4096) / firstSyncSeconds).toFixed(1)} MB/s, retries included); SIGTERM took ${stopMs.toFixed(0)} ms; ` +
                 `VACUUM seen ${vacuumSeconds.toFixed(1)} s after the restart; ${pagesBefore} -> ${pagesAfter} pages; ` +
                 `sync after it ${shrinkSyncSeconds.toFixed(1)} s; "snapshot not found" retries: ${quirkRetries}`);

    assert.equal(Number(localValue(db, "pragma page_count")), pagesAfter, "the replica's page_count equals the primary's after VACUUM");
    assert.equal(Number(localValue(db, "pragma freelist_count")), Number(await remoteValue(remote2, "pragma freelist_count")), "freelist_count");
    const statsSql = `select count(*), sum(id), sum(length(b)), sum(b != ${blobOf("id")}) from vac`;
    const expected = [kRows / 5, 5 * (kRows / 5) * (kRows / 5 + 1) / 2, (kRows / 5) * 1000, 0];
    assert.deepEqual((await remoteRows(remote2, statsSql))[0].map(Number), expected, "the primary kept every fifth row, byte for byte");
    assert.deepEqual(localRows(db, statsSql)[0].map(Number), expected, "the replica holds the same rows, byte for byte");
    assertIntegrityOk(db, "replica after VACUUM");
    const file = await stat(join(dir, "replica.db"));
    t.diagnostic(`replica file ${mb(file.size).toFixed(1)} MB after the shrink`);

    closeReplica(db);
    closeClient(remote2);
    await retire(vacuuming);
    if (quirkRetries > 0) skipReferenceQuirk(t, `sync() failed ${quirkRetries} times with UNAVAILABLE "snapshot not found" while the log was compacted; retried`);
  });
});

// =======================================================================================
// 8. Primary restarts: clean (SIGTERM) and crash (SIGKILL under a write load)

describe("primary restarts", () => {
  test("a replica follows a primary through SIGTERM and SIGKILL restarts; acknowledged writes survive", { timeout: 180000 }, async (t) => {
    let server = await startPrimary("restarts");
    let remote = remoteClient(server);
    await remote.execute("create table rs(id integer primary key, v text not null)");
    await remote.execute(`with recursive s(x) as (select 1 union all select x + 1 from s where x < 100) insert into rs select x, 'before' from s`);
    const dir = await freshDir("restarts");
    const db = openReplica(dir, server);
    let last = assertSyncResult(db.sync(), "first sync");
    assert.equal(Number(localValue(db, "select count(*) from rs")), 100);

    // Clean restart.
    closeClient(remote);
    const stopMs = await stopGracefully(server);
    assert.equal(Number(localValue(db, "select count(*) from rs")), 100, "local reads work while the primary is down");
    throwsWith(() => db.prepare("insert into rs(v) values ('while down')").run(), "a write while the primary is down");
    server = await restartPrimary(server);
    remote = remoteClient(server);
    await remote.execute("insert into rs(id, v) values (101, 'after SIGTERM')");
    const afterClean = assertSyncResult(db.sync(), "sync after a clean restart");
    // A clean restart keeps the log: the replica resumes with only the new frames.
    assertSyncAdvances(afterClean, last, "sync after a clean restart");
    assert.ok(afterClean.frames_synced >= 1 && afterClean.frames_synced < 10, `only the new commit's frames: ${afterClean.frames_synced}`);
    last = afterClean;
    db.prepare("insert into rs(id, v) values (?, ?)").run(102, "through the replica");
    // The write's own sync (read-your-writes) brought its frames; they count in no later sync().
    last = assertSyncResult(db.sync(), "sync after a write through the replica");
    assert.equal(last.frames_synced, 0, "read-your-writes left nothing to sync");
    assertSameDatabase(await localSnapshot(db), await remoteSnapshot(remote), "after a clean restart");

    // Crash under load: writers post INSERTs to /v2/pipeline and remember the acknowledged
    // ones (HTTP 200 and an ok result); the replica syncs once mid-load; then SIGKILL.
    const load = startWriteLoad(server.url, "rs", { firstId: 1000, value: () => "load" });
    const { attempted, acknowledged } = load;
    let midLoad;
    try {
      await sleep(400);
      midLoad = assertSyncAdvances(db.sync(), last, "sync during the write load");
      await sleep(300 + Math.random() * 300);
      closeClient(remote);
      await server.kill();
    } finally {
      await load.stop();
    }
    assert.ok(acknowledged.size >= 10, `the load had acknowledged writes before the kill: ${acknowledged.size}`);

    server = await restartPrimary(server);
    remote = remoteClient(server);
    const present = new Set((await remoteRows(remote, "select id from rs where id >= 1000")).map((r) => Number(r[0])));
    const lost = [...acknowledged].filter((id) => !present.has(id));
    assert.deepEqual(lost, [], "every acknowledged write is on the primary after the crash");
    const invented = [...present].filter((id) => !attempted.has(id));
    assert.deepEqual(invented, [], "no row the load never sent");
    assert.deepEqual(await remoteRows(remote, "pragma integrity_check"), [["ok"]], "the primary's integrity after the crash");

    const primary = await remoteSnapshot(remote);
    const afterCrash = assertSyncResult(db.sync(), "the existing replica's sync after the crash");
    assertSameDatabase(await localSnapshot(db), primary, "the existing replica after the crash");
    assertIntegrityOk(db, "the existing replica after the crash");
    const logReset = afterCrash.frame_no < midLoad.frame_no;
    t.diagnostic(`SIGTERM took ${stopMs.toFixed(0)} ms; load: ${attempted.size} sent, ${acknowledged.size} acknowledged, ` +
                 `${present.size} on the primary after the crash (${present.size - acknowledged.size} unacknowledged kept); ` +
                 `replica at frame_no ${midLoad.frame_no} mid-load; after the crash sync: frames_synced ${afterCrash.frames_synced}, ` +
                 `frame_no ${afterCrash.frame_no} (${logReset ? "the log was rebuilt: full resync" : "the log continued"})`);

    const fresh = openReplica(dir, server, {}, "fresh.db");
    assertSyncResult(fresh.sync(), "a fresh replica's sync after the crash");
    assertSameDatabase(await localSnapshot(fresh), primary, "a fresh replica after the crash");
    assertIntegrityOk(fresh, "a fresh replica after the crash");

    // Both replicas keep working: a write through one reaches the other by sync().
    db.prepare("insert into rs(id, v) values (?, ?)").run(100000, "after the crash");
    assert.deepEqual(localRows(db, "select v from rs where id = 100000"), [["after the crash"]], "read-your-writes after the crash");
    fresh.sync();
    assertSameDatabase(await localSnapshot(fresh), await remoteSnapshot(remote), "the fresh replica after a write through the other");
    closeReplica(fresh);
    closeReplica(db);
    closeClient(remote);
    await retire(server);
  });
});
