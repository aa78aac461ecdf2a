// native_remote.test.mjs: the native `libsql` package (0.5.29, Rust libsql crate 0.9.30)
// opened on an http:// URL. It speaks Hrana 3 JSON: POST /v3/pipeline (describe before
// every prepare, [batch, get_autocommit(, close)] for writes) and POST /v3/cursor for reads,
// with no content-type header and explicit nulls (clients.md §4).
// Its API is synchronous (better-sqlite3 style), so these tests block while they wait.
// The client reports server errors as plain Errors whose message is a Rust Debug string,
// e.g. Hrana(StreamError(Error { message: "...", code: "SQLITE_CONSTRAINT" })); e.code is "".

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import Database from "libsql";
import {
  HTTP_URL, tableName, throwsWith, assertBytesEqual, patternBytes, INT64_MAX, INT64_MIN, seriesSql,
} from "./helpers.mjs";

const T = (name) => tableName("native", name);

// The server's code and message, as they appear inside the client's Debug-formatted message.
function assertNativeError(e, { code, message }, what) {
  assert.ok(e instanceof Error, `${what}: expected an Error, got ${e}`);
  if (code !== undefined) {
    assert.ok(e.message.includes(`code: ${JSON.stringify(code)}`), `${what}: expected code ${code} in: ${e.message}`);
  }
  if (message !== undefined) {
    assert.ok(e.message.includes(JSON.stringify(message)), `${what}: expected server message ${JSON.stringify(message)} in: ${e.message}`);
  }
}

describe("native libsql over http:// (Hrana 3 JSON)", () => {
  let db;
  before(() => {
    db = new Database(HTTP_URL);
  });
  after(() => {
    db?.close();
  });

  test("exec runs a multi-statement script", () => {
    const t = T("exec");
    db.exec(`create table ${t}(id integer primary key, v text); insert into ${t}(v) values ('a'); insert into ${t}(v) values ('b');`);
    assert.deepEqual(db.prepare(`select v from ${t} order by id`).pluck().all(), ["a", "b"]);
  });

  test("exec stops at the first failing statement; earlier ones stay applied", () => {
    const t = T("execfail");
    db.exec(`create table ${t}(v text unique)`);
    const e = throwsWith(() => db.exec(`insert into ${t} values ('a'); insert into ${t} values ('a'); insert into ${t} values ('b');`),
                         "exec with a UNIQUE violation");
    // This path (the client's batch API) keeps only the server message, not the code.
    assertNativeError(e, { message: `SQLite error: UNIQUE constraint failed: ${t}.v` }, "exec");
    assert.deepEqual(db.prepare(`select v from ${t}`).pluck().all(), ["a"]);
  });

  test("run with positional args reports changes and lastInsertRowid", () => {
    const t = T("run");
    db.exec(`create table ${t}(id integer primary key, a text, b text)`);
    const ins = db.prepare(`insert into ${t}(a, b) values (?, ?)`);
    const r1 = ins.run("x", "y");
    assert.equal(r1.changes, 1, "changes (spread args)");
    assert.equal(r1.lastInsertRowid, 1, "lastInsertRowid (spread args)");
    const r2 = ins.run(["x2", "y2"]);
    assert.equal(r2.changes, 1, "changes (array args)");
    assert.equal(r2.lastInsertRowid, 2, "lastInsertRowid (array args)");
    const r3 = db.prepare(`insert into ${t}(id, a) values (100, ?), (101, ?)`).run("m", "n");
    assert.equal(r3.changes, 2, "multi-row INSERT changes");
    assert.equal(r3.lastInsertRowid, 101, "multi-row INSERT lastInsertRowid");
    const upd = db.prepare(`update ${t} set b = 'z'`).run();
    assert.equal(upd.changes, 4, "UPDATE changes");
    // sqld sends last_insert_rowid null for non-INSERTs; the client then keeps the last value.
    assert.equal(upd.lastInsertRowid, 101, "UPDATE keeps the previous lastInsertRowid");
    const del = db.prepare(`delete from ${t} where id >= 100`).run();
    assert.equal(del.changes, 2, "DELETE changes");
    assert.deepEqual(db.prepare(`select id, a, b from ${t} order by id`).raw().all(), [[1, "x", "z"], [2, "x2", "z"]]);
  });

  test("get returns the first row as an object, undefined when there is none", () => {
    const t = T("get");
    db.exec(`create table ${t}(id integer primary key, v text); insert into ${t}(v) values ('a'), ('b');`);
    const row = db.prepare(`select id, v from ${t} where v = ?`).get("b");
    assert.equal(row.id, 2);
    assert.equal(row.v, "b");
    assert.equal(db.prepare(`select * from ${t} where v = ?`).get("zzz"), undefined);
  });

  test("all, raw and pluck return every row", () => {
    const t = T("all");
    db.exec(`create table ${t}(k integer, v text); insert into ${t} values (1, 'one'), (2, 'two'), (3, 'three');`);
    const objects = db.prepare(`select k, v from ${t} where k >= ? order by k`).all(2);
    assert.deepEqual(objects.map((r) => [r.k, r.v]), [[2, "two"], [3, "three"]], "all()");
    assert.deepEqual(db.prepare(`select k, v from ${t} order by k`).raw().all(), [[1, "one"], [2, "two"], [3, "three"]], "raw().all()");
    assert.deepEqual(db.prepare(`select v from ${t} order by k desc`).pluck().all(), ["three", "two", "one"], "pluck().all()");
    assert.deepEqual(db.prepare(`select * from ${t} where 0`).all(), [], "no rows");
  });

  test("iterate streams 1000 rows through /v3/cursor", () => {
    let n = 0;
    let sum = 0;
    for (const row of db.prepare(`select x, 'r' || x as label from (${seriesSql(1000)})`).iterate()) {
      ++n;
      sum += row.x;
      if (row.label !== `r${row.x}`) assert.fail(`row ${n}: ${JSON.stringify(row)}`);
    }
    assert.equal(n, 1000, "row count");
    assert.equal(sum, 1000 * 1001 / 2, "sum of x");
  });

  test("values: null, text with unicode and NUL, Buffer, float; JS numbers bind as REAL", () => {
    const text = "ünïcödé ☃ 日本語 🎉 a\u0000b";
    const blob = Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i));
    const row = db.prepare("select ? as n, ? as t, ? as b, ? as f, ? as i, typeof(?) as ti, typeof(?) as tb, hex(?) as th")
      .get(null, text, blob, 0.1, 7, 7, blob, text);
    assert.equal(row.n, null, "null");
    assert.equal(row.t, text, "text");
    assert.ok(Buffer.isBuffer(row.b), "a blob comes back as a Buffer");
    assertBytesEqual(row.b, blob, "blob");
    assert.equal(row.f, 0.1, "float");
    assert.equal(row.i, 7, "number");
    assert.equal(row.ti, "real", "a JS number binds as REAL (sent as a Hrana float)");
    assert.equal(row.tb, "blob", "typeof blob");
    assert.equal(row.th, Buffer.from(text, "utf8").toString("hex").toUpperCase(), "text stored as its UTF-8 bytes");
  });

  test("bigint args and safeIntegers() keep INT64 min/max exact", () => {
    const t = T("bigint");
    db.exec(`create table ${t}(id integer primary key, v integer)`);
    const ins = db.prepare(`insert into ${t}(v) values (?)`);
    for (const v of [INT64_MAX, INT64_MIN, 2n ** 53n + 1n, -1n]) ins.run(v);
    const rows = db.prepare(`select v, typeof(v) as ty, cast(v as text) as s from ${t} order by id`).safeIntegers().all();
    assert.deepEqual(rows.map((r) => [r.v, r.ty, r.s]), [
      [INT64_MAX, "integer", INT64_MAX.toString()],
      [INT64_MIN, "integer", INT64_MIN.toString()],
      [2n ** 53n + 1n, "integer", (2n ** 53n + 1n).toString()],
      [-1n, "integer", "-1"],
    ]);
  });

  test("a 1 MB Buffer round-trips intact", () => {
    const t = T("blob");
    const blob = Buffer.from(patternBytes(1024 * 1024, 3));
    db.exec(`create table ${t}(id integer primary key, b blob)`);
    // Pass the Buffer inside an array: a lone object argument is taken for named args.
    assert.equal(db.prepare(`insert into ${t}(b) values (?)`).run([blob]).changes, 1);
    const row = db.prepare(`select b, length(b) as n from ${t}`).get();
    assert.equal(row.n, 1024 * 1024, "server-side length");
    assertBytesEqual(row.b, blob, "1 MB blob");
  });

  test("columns() and reader come from describe", () => {
    const t = T("describe");
    db.exec(`create table ${t}(id integer primary key, v text)`);
    const sel = db.prepare(`select id, v as vv, id + 1 as e from ${t}`);
    assert.deepEqual(sel.columns().map((c) => c.name), ["id", "vv", "e"], "column names");
    assert.equal(sel.reader, true, "a SELECT is a reader");
    assert.equal(db.prepare(`insert into ${t}(v) values (?)`).reader, false, "an INSERT is not a reader");
  });

  test("INSERT ... RETURNING returns the inserted rows", () => {
    const t = T("returning");
    db.exec(`create table ${t}(id integer primary key, v text)`);
    const rows = db.prepare(`insert into ${t}(v) values (?), (?) returning id, upper(v) as up`).all("a", "b");
    assert.deepEqual(rows.map((r) => [r.id, r.up]), [[1, "A"], [2, "B"]]);
    assert.equal(db.prepare(`select count(*) as n from ${t}`).get().n, 2, "the rows were inserted once");
  });

  test("BEGIN/COMMIT/ROLLBACK via exec; inTransaction follows the server's autocommit state", () => {
    const t = T("txn");
    db.exec(`create table ${t}(v)`);
    assert.equal(db.inTransaction, false, "before BEGIN");
    db.exec("BEGIN");
    assert.equal(db.inTransaction, true, "after BEGIN");
    db.prepare(`insert into ${t} values (?)`).run("kept");
    db.exec("COMMIT");
    assert.equal(db.inTransaction, false, "after COMMIT");
    db.exec("BEGIN");
    db.prepare(`insert into ${t} values (?)`).run("discarded");
    assert.equal(db.prepare(`select count(*) as n from ${t}`).get().n, 2, "own write visible inside the transaction");
    db.exec("ROLLBACK");
    assert.equal(db.inTransaction, false, "after ROLLBACK");
    assert.deepEqual(db.prepare(`select v from ${t}`).pluck().all(), ["kept"]);
  });

  test("a failing statement inside a transaction leaves it open", () => {
    const t = T("txnerr");
    db.exec(`create table ${t}(v text unique)`);
    db.exec("BEGIN");
    db.prepare(`insert into ${t} values (?)`).run("a");
    const e = throwsWith(() => db.prepare(`insert into ${t} values (?)`).run("a"), "duplicate inside a transaction");
    assertNativeError(e, { code: "SQLITE_CONSTRAINT", message: `SQLite error: UNIQUE constraint failed: ${t}.v` }, "in transaction");
    assert.equal(db.inTransaction, true, "still in the transaction");
    db.prepare(`insert into ${t} values (?)`).run("b");
    db.exec("COMMIT");
    assert.deepEqual(db.prepare(`select v from ${t} order by v`).pluck().all(), ["a", "b"]);
  });

  test("db.transaction(fn) commits, and rolls back when fn throws", () => {
    const t = T("txfn");
    db.exec(`create table ${t}(v)`);
    const insertMany = db.transaction((values) => {
      for (const v of values) db.prepare(`insert into ${t} values (?)`).run(v);
      return values.length;
    });
    assert.equal(insertMany(["a", "b"]), 2);
    assert.throws(() => db.transaction(() => {
      db.prepare(`insert into ${t} values (?)`).run("c");
      throw new Error("abort from fn");
    })(), /abort from fn/);
    assert.equal(db.inTransaction, false);
    assert.deepEqual(db.prepare(`select v from ${t} order by v`).pluck().all(), ["a", "b"]);
  });

  describe("errors", () => {
    test("UNIQUE violation: SQLITE_CONSTRAINT with SQLite's message", () => {
      const t = T("uniq");
      db.exec(`create table ${t}(v text unique); insert into ${t} values ('a');`);
      const e = throwsWith(() => db.prepare(`insert into ${t} values (?)`).run("a"), "duplicate insert");
      assertNativeError(e, { code: "SQLITE_CONSTRAINT", message: `SQLite error: UNIQUE constraint failed: ${t}.v` }, "UNIQUE");
    });

    test("no such table: SQLITE_UNKNOWN", () => {
      const missing = T("missing");
      const e = throwsWith(() => db.prepare(`select * from ${missing}`).all(), "missing table");
      assertNativeError(e, { code: "SQLITE_UNKNOWN", message: `SQLite error: no such table: ${missing}` }, "no such table");
    });

    test("unknown function: SQL_INPUT_ERROR", () => {
      const e = throwsWith(() => db.prepare("select no_such_func(1)").get(), "unknown function");
      assertNativeError(e, { code: "SQL_INPUT_ERROR", message: "SQL input error: no such function: no_such_func (at offset 7)" }, "unknown function");
    });

    test("syntax error in prepare: describe answers SQL_INPUT_ERROR with SQLite's message", () => {
      // prepare() sends `describe`, which sqld answers from sqlite3_prepare, not its own parser.
      const e = throwsWith(() => db.prepare("selec 1").get(), "syntax error");
      assertNativeError(e, { code: "SQL_INPUT_ERROR", message: 'SQL input error: near "selec": syntax error (at offset 0)' }, "syntax error");
    });

    test("wrong number of args: ARGS_INVALID", () => {
      const few = throwsWith(() => db.prepare("select ?, ?").get(1), "too few args");
      assertNativeError(few, { code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: value for parameter 2 not found" }, "too few");
      const many = throwsWith(() => db.prepare("select ?").get(1, 2), "too many args");
      assertNativeError(many, { code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: too many parameters, expected 1 found 2" }, "too many");
    });

    test("named args are dropped by this client, so the server reports ARGS_INVALID", () => {
      // libsql 0.5.29 remote sends "named_args":[] for an object argument (client bug);
      // what the user sees is the server's missing-parameter error.
      const e = throwsWith(() => db.prepare("select :v as x").get({ v: 1 }), "named args");
      assertNativeError(e, { code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: value for parameter :v not found" }, "named args");
    });

    test("the connection stays usable after errors", () => {
      throwsWith(() => db.prepare("select * from definitely_missing_native_table").all(), "missing table");
      throwsWith(() => db.prepare("select ?").get(1, 2), "too many args");
      assert.equal(db.prepare("select 'alive' as s").get().s, "alive");
    });
  });
});
