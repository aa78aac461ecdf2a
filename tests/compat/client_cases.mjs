// client_cases.mjs: the @libsql/client test cases shared by the http:// and ws:// suites.
// defineClientCases(prefix, makeClient) registers them with node:test; makeClient(options)
// must return a fresh @libsql/client Client for the server under test (options are extra
// createClient() config such as intMode). Every case uses its own tables (prefix + name +
// a per-process id), so cases and files are independent.
// Expected values come from the server or from SQLite semantics, never from a recording
// of one particular run.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LibsqlError, LibsqlBatchError } from "@libsql/client";
import {
  tableName, rejectsWith, assertBytesEqual, patternBytes, hexUpper, bytesOf,
  INT64_MAX, INT64_MIN, seriesSql,
} from "./helpers.mjs";

// Asserts what an application sees for a server-side error: a LibsqlError whose code is the
// Hrana error code, whose message is "<code>: <server message>", and whose cause carries the
// server message unchanged. `message` is a string (exact) or a RegExp.
function assertServerError(e, { code, message, batchIndex }, what) {
  assert.ok(e instanceof LibsqlError, `${what}: expected LibsqlError, got ${e?.name}: ${e?.message}`);
  assert.equal(e.code, code, `${what}: error code (message was: ${e.message})`);
  if (batchIndex !== undefined) {
    assert.ok(e instanceof LibsqlBatchError, `${what}: expected LibsqlBatchError, got ${e.name}`);
    assert.equal(e.statementIndex, batchIndex, `${what}: statementIndex`);
  }
  const serverMessage = e.cause?.message;
  assert.equal(typeof serverMessage, "string", `${what}: the error has no cause carrying the server message`);
  if (message instanceof RegExp) {
    assert.match(serverMessage, message, `${what}: server message`);
  } else if (message !== undefined) {
    assert.equal(serverMessage, message, `${what}: server message`);
  }
  assert.ok(e.message.endsWith(`${code}: ${serverMessage}`),
            `${what}: LibsqlError.message should end with "<code>: <server message>", got ${e.message}`);
}

export function defineClientCases(prefix, makeClient) {
  const T = (name) => tableName(prefix, name);

  async function withClient(options, fn) {
    const client = makeClient(options);
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  }

  describe("execute", () => {
    test("execute without args returns columns, column types and rows", () => withClient({}, async (c) => {
      const rs = await c.execute("select 1 as one, 'two' as two, null as three, 4.5 as four");
      assert.deepEqual(rs.columns, ["one", "two", "three", "four"], "columns");
      assert.deepEqual(rs.columnTypes, ["", "", "", ""], "expression columns have no declared type");
      assert.equal(rs.rows.length, 1, "row count");
      const row = rs.rows[0];
      assert.equal(row.length, 4, "row.length");
      assert.deepEqual([row[0], row[1], row[2], row[3]], [1, "two", null, 4.5], "values by index");
      assert.deepEqual([row.one, row.two, row.three, row.four], [1, "two", null, 4.5], "values by name");
      assert.equal(rs.rowsAffected, 0, "rowsAffected of a SELECT");
      assert.equal(rs.lastInsertRowid, undefined, "lastInsertRowid of a SELECT");
    }));

    test("column names follow SQLite: unaliased expressions are named by their text", () => withClient({}, async (c) => {
      const rs = await c.execute("select 1, 1 + 2, count(*), upper('a') as u");
      assert.deepEqual(rs.columns, ["1", "1 + 2", "count(*)", "u"]);
      assert.deepEqual(Array.from(rs.rows[0]), [1, 3, 1, "A"]);
    }));

    test("positional ? args bind in order, via {sql, args} and via execute(sql, args)", () => withClient({}, async (c) => {
      const rs1 = await c.execute({ sql: "select ? as a, ? as b, ? as c", args: ["x", 2, null] });
      assert.deepEqual(Array.from(rs1.rows[0]), ["x", 2, null], "{sql, args}");
      const rs2 = await c.execute("select ? || ? as s", ["ab", "cd"]);
      assert.equal(rs2.rows[0].s, "abcd", "execute(sql, args)");
      const rs3 = await c.execute("select ? * 2 as d", [21]);
      assert.equal(rs3.rows[0].d, 42, "numeric arg in arithmetic");
    }));

    test("numbered ?NNN args bind by number and may repeat", () => withClient({}, async (c) => {
      const rs = await c.execute({ sql: "select ?2 as a, ?1 as b, ?2 as c", args: ["first", "second"] });
      assert.deepEqual(Array.from(rs.rows[0]), ["second", "first", "second"]);
    }));

    test("named args bind :x, @x and $x from unprefixed object keys", () => withClient({}, async (c) => {
      for (const p of [":", "@", "$"]) {
        const rs = await c.execute({ sql: `select ${p}x as a, ${p}y as b, ${p}x || ${p}y as c`, args: { x: "left", y: "right" } });
        assert.deepEqual(Array.from(rs.rows[0]), ["left", "right", "leftright"], `prefix ${p}`);
      }
    }));

    test("named args bind from keys that carry the same prefix", () => withClient({}, async (c) => {
      const rs1 = await c.execute({ sql: "select :x as a", args: { ":x": "colon" } });
      assert.equal(rs1.rows[0].a, "colon", ":x key");
      const rs2 = await c.execute({ sql: "select @x as a", args: { "@x": "at" } });
      assert.equal(rs2.rows[0].a, "at", "@x key");
      const rs3 = await c.execute({ sql: "select $x as a", args: { "$x": "dollar" } });
      assert.equal(rs3.rows[0].a, "dollar", "$x key");
    }));

    test("a large result (10000 rows) arrives complete and in order", () => withClient({}, async (c) => {
      const rs = await c.execute(`select x, 'row ' || x as label from (${seriesSql(10000)})`);
      assert.equal(rs.rows.length, 10000, "row count");
      for (let i = 0; i < rs.rows.length; ++i) {
        if (rs.rows[i].x !== i + 1 || rs.rows[i].label !== `row ${i + 1}`) {
          assert.fail(`row ${i} is ${JSON.stringify(Array.from(rs.rows[i]))}`);
        }
      }
    }));

    test("50 concurrent executes on one client each get their own result", () => withClient({}, async (c) => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        c.execute({ sql: "select ? as i, ? * ? as sq", args: [i, i, i] })));
      results.forEach((rs, i) => {
        assert.deepEqual(Array.from(rs.rows[0]), [i, i * i], `execute #${i}`);
      });
    }));
  });

  describe("values", () => {
    test("null, integer, float, text and blob keep their SQLite type through a table", () => withClient({ intMode: "bigint" }, async (c) => {
      const t = T("types");
      await c.execute(`create table ${t}(id integer primary key, v)`);
      const values = [null, 42n, -7n, 2.5, "text", new Uint8Array([1, 2, 3])];
      for (const v of values) await c.execute({ sql: `insert into ${t}(v) values (?)`, args: [v] });
      const rs = await c.execute(`select v, typeof(v) as ty from ${t} order by id`);
      assert.deepEqual(rs.rows.map((r) => r.ty), ["null", "integer", "integer", "real", "text", "blob"], "typeof");
      assert.equal(rs.rows[0].v, null);
      assert.equal(rs.rows[1].v, 42n);
      assert.equal(rs.rows[2].v, -7n);
      assert.equal(rs.rows[3].v, 2.5);
      assert.equal(rs.rows[4].v, "text");
      assert.ok(rs.rows[5].v instanceof ArrayBuffer, "blob comes back as ArrayBuffer");
      assertBytesEqual(rs.rows[5].v, new Uint8Array([1, 2, 3]), "blob");
    }));

    test("JS numbers are sent as floats: typeof(?) is real, INTEGER columns convert them", () => withClient({}, async (c) => {
      const rs = await c.execute({ sql: "select typeof(?) as t1, typeof(?) as t2, ? as v", args: [1, 1.5, 7] });
      assert.deepEqual(Array.from(rs.rows[0]), ["real", "real", 7], "a JS number binds as REAL");
      const t = T("affinity");
      await c.execute(`create table ${t}(i integer, r real, a)`);
      await c.execute({ sql: `insert into ${t} values (?, ?, ?)`, args: [3, 3, 3] });
      const back = await c.execute(`select i, typeof(i) as ti, r, typeof(r) as tr, a, typeof(a) as ta from ${t}`);
      assert.deepEqual(Array.from(back.rows[0]), [3, "integer", 3, "real", 3, "real"]);
    }));

    test("floats round-trip exactly, including extremes", () => withClient({}, async (c) => {
      const floats = [0.1, 1 / 3, -1.5, 1e300, -1e-300, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2, 123456.789];
      const sql = "select " + floats.map((_, i) => `? as f${i}, typeof(?) as t${i}`).join(", ");
      const rs = await c.execute({ sql, args: floats.flatMap((f) => [f, f]) });
      floats.forEach((f, i) => {
        assert.equal(rs.rows[0][`f${i}`], f, `float ${f}`);
        assert.equal(rs.rows[0][`t${i}`], "real", `typeof ${f}`);
      });
    }));

    test("REAL results stay JS numbers in every intMode (2.0 is not an integer)", async () => {
      for (const intMode of ["number", "bigint", "string"]) {
        await withClient({ intMode }, async (c) => {
          const rs = await c.execute("select 2.0 as a, 2.5 as b, cast(7 as real) as c");
          assert.deepEqual(Array.from(rs.rows[0]), [2, 2.5, 7], `intMode ${intMode}`);
          assert.equal(typeof rs.rows[0].a, "number", `intMode ${intMode}: type of 2.0`);
        });
      }
    });

    test("text with unicode, control characters and embedded NUL round-trips byte-exactly", () => withClient({ intMode: "number" }, async (c) => {
      const texts = [
        "",
        "plain ascii",
        "ünïcödé ☃ 日本語 🎉 𝄞",
        "a\u0000b",
        "\u0000leading and trailing NUL\u0000",
        "quotes ' \" backslash \\ newline \n tab \t cr \r",
        "controls \u0001\u001f\u007f",
        "x".repeat(100000),
      ];
      const t = T("text");
      await c.execute(`create table ${t}(id integer primary key, v text)`);
      for (const s of texts) await c.execute({ sql: `insert into ${t}(v) values (?)`, args: [s] });
      const rs = await c.execute(`select v, hex(v) as h, typeof(v) as ty from ${t} order by id`);
      texts.forEach((s, i) => {
        const shown = JSON.stringify(s.slice(0, 40));
        assert.equal(rs.rows[i].v, s, `text ${shown} round trip`);
        assert.equal(rs.rows[i].h, hexUpper(Buffer.from(s, "utf8")), `text ${shown} is stored as its UTF-8 bytes`);
        assert.equal(rs.rows[i].ty, "text", `text ${shown} typeof`);
      });
    }));

    test("booleans bind as integers 1/0 and Dates as float milliseconds", () => withClient({}, async (c) => {
      const rs = await c.execute({
        sql: "select ? as t, typeof(?) as tt, ? as f, ? as d, typeof(?) as td",
        args: [true, true, false, new Date(1700000000123), new Date(0)],
      });
      assert.deepEqual(Array.from(rs.rows[0]), [1, "integer", 0, 1700000000123, "real"]);
    }));

    test("blobs from Uint8Array and ArrayBuffer round-trip as ArrayBuffer, including empty", () => withClient({}, async (c) => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const fromBuffer = new Uint8Array([0xde, 0xad, 0xbe, 0xef]).buffer;
      const rs = await c.execute({
        sql: "select ? as a, ? as b, ? as e, typeof(?) as te, length(?) as la, x'00ff' as lit",
        args: [all, fromBuffer, new Uint8Array(0), new Uint8Array(0), all],
      });
      const row = rs.rows[0];
      for (const k of ["a", "b", "e", "lit"]) assert.ok(row[k] instanceof ArrayBuffer, `${k} is an ArrayBuffer`);
      assertBytesEqual(row.a, all, "all 256 byte values");
      assertBytesEqual(row.b, fromBuffer, "ArrayBuffer arg");
      assert.equal(bytesOf(row.e).length, 0, "empty blob");
      assert.equal(row.te, "blob", "an empty Uint8Array binds as an (empty) blob");
      assert.equal(row.la, 256, "length() of the blob");
      assertBytesEqual(row.lit, new Uint8Array([0, 255]), "blob literal");
    }));

    test("a 1 MB blob round-trips intact", () => withClient({}, async (c) => {
      const t = T("bigblob");
      const blob = patternBytes(1024 * 1024);
      await c.execute(`create table ${t}(id integer primary key, b blob)`);
      const ins = await c.execute({ sql: `insert into ${t}(b) values (?)`, args: [blob] });
      assert.equal(ins.rowsAffected, 1);
      const meta = await c.execute(`select length(b) as n, hex(substr(b, 1, 8)) as head, hex(substr(b, -8)) as tail from ${t}`);
      assert.equal(meta.rows[0].n, 1024 * 1024, "server-side length");
      assert.equal(meta.rows[0].head, hexUpper(blob.subarray(0, 8)), "server-side first bytes");
      assert.equal(meta.rows[0].tail, hexUpper(blob.subarray(blob.length - 8)), "server-side last bytes");
      const back = await c.execute(`select b from ${t}`);
      assertBytesEqual(back.rows[0].b, blob, "1 MB blob");
    }));

    test("bigint args at INT64 min/max and beyond 2^53 round-trip with intMode bigint", () => withClient({ intMode: "bigint" }, async (c) => {
      const ints = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, INT64_MAX, INT64_MIN, INT64_MAX - 1n];
      const t = T("bigint");
      await c.execute(`create table ${t}(id integer primary key, v integer)`);
      for (const v of ints) await c.execute({ sql: `insert into ${t}(v) values (?)`, args: [v] });
      const rs = await c.execute(`select v, typeof(v) as ty, cast(v as text) as s from ${t} order by id`);
      ints.forEach((v, i) => {
        assert.equal(rs.rows[i].v, v, `value ${v}`);
        assert.equal(rs.rows[i].ty, "integer", `typeof ${v}`);
        assert.equal(rs.rows[i].s, v.toString(), `server-side text of ${v}`);
      });
    }));

    test("intMode bigint returns every integer as bigint", () => withClient({ intMode: "bigint" }, async (c) => {
      const rs = await c.execute("select 1 as a, 9223372036854775807 as b, -9223372036854775808 as c, 9007199254740993 as d, 1 + 1 as e");
      assert.deepEqual(Array.from(rs.rows[0]), [1n, INT64_MAX, INT64_MIN, 9007199254740993n, 2n]);
    }));

    test("intMode number returns safe integers as numbers and refuses unsafe ones", () => withClient({ intMode: "number" }, async (c) => {
      const rs = await c.execute("select 1 as a, 9007199254740991 as b, -9007199254740991 as c");
      assert.deepEqual(Array.from(rs.rows[0]), [1, 9007199254740991, -9007199254740991]);
      // 2^53 is an INTEGER on the server; the client refuses to round it into a number.
      const e = await rejectsWith(c.execute("select 9007199254740992 as big"), "integer 2^53 in intMode number");
      assert.ok(e instanceof RangeError, `expected RangeError, got ${e.name}: ${e.message}`);
    }));

    test("intMode string returns integers as decimal strings", () => withClient({ intMode: "string" }, async (c) => {
      const rs = await c.execute("select 1 as a, 9223372036854775807 as b, -9223372036854775808 as c, -5 as d");
      assert.deepEqual(Array.from(rs.rows[0]), ["1", "9223372036854775807", "-9223372036854775808", "-5"]);
    }));
  });

  describe("result metadata", () => {
    test("INSERT reports rowsAffected and lastInsertRowid (a bigint in every intMode)", () => withClient({ intMode: "number" }, async (c) => {
      const t = T("rowid");
      const created = await c.execute(`create table ${t}(id integer primary key, v text)`);
      assert.equal(created.rowsAffected, 0, "CREATE TABLE rowsAffected");
      assert.equal(created.lastInsertRowid, undefined, "CREATE TABLE lastInsertRowid");
      const one = await c.execute({ sql: `insert into ${t}(v) values (?)`, args: ["a"] });
      assert.equal(one.rowsAffected, 1, "single-row INSERT rowsAffected");
      assert.equal(one.lastInsertRowid, 1n, "single-row INSERT lastInsertRowid");
      const three = await c.execute(`insert into ${t}(v) values ('b'), ('c'), ('d')`);
      assert.equal(three.rowsAffected, 3, "three-row INSERT rowsAffected");
      assert.equal(three.lastInsertRowid, 4n, "three-row INSERT lastInsertRowid is the last row");
      const explicit = await c.execute(`insert into ${t}(id, v) values (1000, 'e')`);
      assert.equal(explicit.lastInsertRowid, 1000n, "explicit rowid");
      const big = await c.execute(`insert into ${t}(id, v) values (9223372036854775807, 'max')`);
      assert.equal(big.lastInsertRowid, INT64_MAX, "INT64_MAX rowid keeps full precision");
      assert.equal(typeof big.lastInsertRowid, "bigint");
    }));

    test("UPDATE and DELETE report rowsAffected and no lastInsertRowid", () => withClient({}, async (c) => {
      const t = T("upd");
      await c.execute(`create table ${t}(id integer primary key, n integer)`);
      await c.execute(`insert into ${t}(n) values (1), (2), (3), (4)`);
      const upd = await c.execute(`update ${t} set n = n * 10 where n <= 2`);
      assert.equal(upd.rowsAffected, 2, "UPDATE rowsAffected");
      assert.equal(upd.lastInsertRowid, undefined, "UPDATE lastInsertRowid");
      const none = await c.execute(`update ${t} set n = 0 where 0`);
      assert.equal(none.rowsAffected, 0, "UPDATE matching nothing");
      const del = await c.execute(`delete from ${t} where n >= 3`);
      assert.equal(del.rowsAffected, 4, "DELETE rowsAffected (10, 20, 3, 4)");
      assert.equal(del.lastInsertRowid, undefined, "DELETE lastInsertRowid");
      const sel = await c.execute(`select * from ${t}`);
      assert.equal(sel.rowsAffected, 0, "SELECT rowsAffected");
      assert.equal(sel.rows.length, 0, "table is empty");
    }));

    test("INSERT ... RETURNING returns the rows, their declared types and the insert count", () => withClient({}, async (c) => {
      const t = T("returning");
      await c.execute(`create table ${t}(id integer primary key, v text)`);
      const rs = await c.execute(`insert into ${t}(v) values ('a'), ('b') returning id, v, upper(v) as up`);
      assert.deepEqual(rs.columns, ["id", "v", "up"], "columns");
      assert.deepEqual(rs.columnTypes, ["INTEGER", "TEXT", ""], "columnTypes");
      assert.deepEqual(rs.rows.map((r) => Array.from(r)), [[1, "a", "A"], [2, "b", "B"]], "rows");
      assert.equal(rs.rowsAffected, 2, "rowsAffected");
      assert.equal(rs.lastInsertRowid, 2n, "lastInsertRowid");
    }));

    test("INSERT OR IGNORE that inserts nothing reports 0 rows and rowid 0 on a fresh stream", () => withClient({}, async (c) => {
      const t = T("ignore");
      await c.execute(`create table ${t}(id integer primary key, v text unique)`);
      await c.execute(`insert into ${t}(v) values ('a'), ('b')`);
      const rs = await c.execute(`insert or ignore into ${t}(v) values ('a')`);
      assert.equal(rs.rowsAffected, 0, "rowsAffected");
      // sqlite3_last_insert_rowid() of a connection that never inserted: each execute() is a
      // fresh stream, so nothing from another request may leak in here.
      assert.equal(rs.lastInsertRowid, 0n, "lastInsertRowid");
    }));

    test("columnTypes carry declared column types; expressions have none", () => withClient({}, async (c) => {
      const t = T("decl");
      await c.execute(`create table ${t}(i INTEGER, t TEXT, r REAL, b BLOB, n NUMERIC, vc VARCHAR(10), none_)`);
      await c.execute(`insert into ${t} values (1, 'x', 1.5, x'01', 2, 'y', 3)`);
      const rs = await c.execute(`select i, t, r, b, n, vc, none_, i + 1 as expr, t as alias from ${t}`);
      assert.deepEqual(rs.columns, ["i", "t", "r", "b", "n", "vc", "none_", "expr", "alias"], "columns");
      assert.deepEqual(rs.columnTypes, ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", "VARCHAR(10)", "", "", "TEXT"], "columnTypes");
    }));
  });

  describe("batch", () => {
    test("batch write runs every statement and returns one ResultSet per statement", () => withClient({}, async (c) => {
      const t = T("bw");
      const results = await c.batch([
        `create table ${t}(id integer primary key, v text)`,
        { sql: `insert into ${t}(v) values (?)`, args: ["a"] },
        [`insert into ${t}(v) values (?), (?)`, ["b", "c"]],
        { sql: `insert into ${t}(v) values (:v)`, args: { v: "d" } },
        `select v from ${t} order by id`,
      ], "write");
      assert.equal(results.length, 5, "one result per statement");
      assert.equal(results[1].rowsAffected, 1);
      assert.equal(results[1].lastInsertRowid, 1n);
      assert.equal(results[2].rowsAffected, 2);
      assert.equal(results[2].lastInsertRowid, 3n);
      assert.equal(results[3].lastInsertRowid, 4n);
      assert.deepEqual(results[4].rows.map((r) => r.v), ["a", "b", "c", "d"], "the SELECT sees the batch's writes");
      const after = await c.execute(`select count(*) as n from ${t}`);
      assert.equal(after.rows[0].n, 4, "the batch was committed");
    }));

    test("batch read runs selects against committed data", () => withClient({}, async (c) => {
      const t = T("br");
      await c.batch([`create table ${t}(v)`, `insert into ${t} values (1), (2), (3)`], "write");
      const results = await c.batch([`select count(*) as n from ${t}`, `select sum(v) as s from ${t}`, "select 'ok' as k"], "read");
      assert.deepEqual(results.map((r) => r.rows[0][0]), [3, 6, "ok"]);
    }));

    test("batch deferred (the default mode) runs mixed reads and writes", () => withClient({}, async (c) => {
      const t = T("bd");
      await c.execute(`create table ${t}(v)`);
      const explicit = await c.batch([`insert into ${t} values (1)`, `select count(*) as n from ${t}`], "deferred");
      assert.equal(explicit[1].rows[0].n, 1, "explicit deferred");
      const dflt = await c.batch([`insert into ${t} values (2)`, `select count(*) as n from ${t}`]);
      assert.equal(dflt[1].rows[0].n, 2, "default mode");
    }));

    for (const mode of ["write", "deferred"]) {
      test(`a failing statement rolls back the whole ${mode} batch (SQLITE_CONSTRAINT, statementIndex)`, () => withClient({}, async (c) => {
        const t = T(`bfail_${mode}`);
        await c.execute(`create table ${t}(id integer primary key, v text unique)`);
        await c.execute(`insert into ${t}(v) values ('existing')`);
        const e = await rejectsWith(c.batch([
          `insert into ${t}(v) values ('new1')`,
          `insert into ${t}(v) values ('new2')`,
          `insert into ${t}(v) values ('existing')`,
          `insert into ${t}(v) values ('never')`,
        ], mode), `${mode} batch with a UNIQUE violation`);
        assertServerError(e, { code: "SQLITE_CONSTRAINT", batchIndex: 2, message: `SQLite error: UNIQUE constraint failed: ${t}.v` }, `${mode} batch`);
        const rs = await c.execute(`select v from ${t} order by id`);
        assert.deepEqual(rs.rows.map((r) => r.v), ["existing"], "no statement of the failed batch persisted");
      }));
    }

    test("a failing statement also rolls back DDL earlier in the batch (SQLITE_UNKNOWN)", () => withClient({}, async (c) => {
      const t = T("bddl");
      const missing = T("bddl_missing");
      const e = await rejectsWith(c.batch([
        `create table ${t}(v)`,
        `insert into ${t} values (1)`,
        `insert into ${missing} values (1)`,
      ], "write"), "batch touching a missing table");
      assertServerError(e, { code: "SQLITE_UNKNOWN", batchIndex: 2, message: `SQLite error: no such table: ${missing}` }, "batch");
      const e2 = await rejectsWith(c.execute(`select * from ${t}`), "the table created by the failed batch");
      assertServerError(e2, { code: "SQLITE_UNKNOWN", message: `SQLite error: no such table: ${t}` }, "rolled-back CREATE TABLE");
    }));

    test("a syntax error anywhere in a batch fails it before anything runs (SQL_PARSE_ERROR)", () => withClient({}, async (c) => {
      const t = T("bparse");
      await c.execute(`create table ${t}(v)`);
      const e = await rejectsWith(c.batch([`insert into ${t} values (1)`, "selec 1"], "write"), "batch with a syntax error");
      assert.ok(e instanceof LibsqlError, `expected LibsqlError, got ${e.name}`);
      assert.equal(e.code, "SQL_PARSE_ERROR", `code (message: ${e.message})`);
      const rs = await c.execute(`select count(*) as n from ${t}`);
      assert.equal(rs.rows[0].n, 0, "the valid statement before the syntax error did not run");
    }));

    test("an empty batch returns an empty array", () => withClient({}, async (c) => {
      assert.deepEqual(await c.batch([], "write"), []);
    }));

    test("a batch of 120 distinct statements and 500 repeated ones (SQL cache, store_sql)", () => withClient({}, async (c) => {
      const t = T("bmany");
      await c.execute(`create table ${t}(k integer, v integer)`);
      const distinct = Array.from({ length: 120 }, (_, i) => `insert into ${t}(k, v) values (${i}, ${i * 2})`);
      const repeated = Array.from({ length: 500 }, (_, i) => ({ sql: `insert into ${t}(k, v) values (?, ?)`, args: [1000 + i, i] }));
      const results = await c.batch([...distinct, ...repeated, `select count(*) as n, sum(v) as s from ${t}`], "write");
      assert.equal(results.length, 621);
      const expectedSum = distinct.reduce((s, _, i) => s + i * 2, 0) + repeated.reduce((s, _, i) => s + i, 0);
      assert.deepEqual(Array.from(results[620].rows[0]), [620, expectedSum]);
      // The same client again: cached statements from the previous call must not confuse it.
      const again = await c.batch(distinct.slice(0, 40).map((s) => s.replace("insert", "insert or replace")), "write");
      assert.equal(again.length, 40);
      const rs = await c.execute(`select count(*) as n from ${t}`);
      assert.equal(rs.rows[0].n, 660);
    }));
  });

  describe("transactions", () => {
    test("write transaction: sees its own writes, others see them only after commit", async () => {
      const t = T("txw");
      await withClient({}, async (c) => {
        const other = makeClient({});
        try {
          await c.execute(`create table ${t}(v)`);
          const tx = await c.transaction("write");
          const ins = await tx.execute({ sql: `insert into ${t} values (?)`, args: ["in-tx"] });
          assert.equal(ins.rowsAffected, 1);
          const inside = await tx.execute(`select count(*) as n from ${t}`);
          assert.equal(inside.rows[0].n, 1, "the transaction sees its own insert");
          const outside = await other.execute(`select count(*) as n from ${t}`);
          assert.equal(outside.rows[0].n, 0, "another connection does not see uncommitted data");
          await tx.commit();
          assert.equal(tx.closed, true, "transaction is closed after commit");
          const after = await other.execute(`select v from ${t}`);
          assert.deepEqual(after.rows.map((r) => r.v), ["in-tx"], "committed data is visible");
        } finally {
          other.close();
        }
      });
    });

    test("write transaction rollback discards its writes", () => withClient({}, async (c) => {
      const t = T("txr");
      await c.execute(`create table ${t}(v)`);
      await c.execute(`insert into ${t} values ('before')`);
      const tx = await c.transaction("write");
      await tx.execute(`insert into ${t} values ('doomed')`);
      await tx.execute(`delete from ${t} where v = 'before'`);
      assert.equal((await tx.execute(`select count(*) as n from ${t} where v = 'doomed'`)).rows[0].n, 1);
      await tx.rollback();
      assert.equal(tx.closed, true, "transaction is closed after rollback");
      const rs = await c.execute(`select v from ${t}`);
      assert.deepEqual(rs.rows.map((r) => r.v), ["before"]);
    }));

    test("a failing statement does not end the transaction; commit keeps the other writes", () => withClient({}, async (c) => {
      const t = T("txerr");
      await c.execute(`create table ${t}(v text unique)`);
      const tx = await c.transaction("write");
      await tx.execute(`insert into ${t} values ('a')`);
      const e = await rejectsWith(tx.execute(`insert into ${t} values ('a')`), "duplicate insert inside a transaction");
      assertServerError(e, { code: "SQLITE_CONSTRAINT", message: `SQLite error: UNIQUE constraint failed: ${t}.v` }, "in transaction");
      await tx.execute(`insert into ${t} values ('b')`);
      await tx.commit();
      const rs = await c.execute(`select v from ${t} order by v`);
      assert.deepEqual(rs.rows.map((r) => r.v), ["a", "b"]);
    }));

    test("a transaction's first statement may fail without ending it", () => withClient({}, async (c) => {
      const t = T("txfirst");
      await c.execute(`create table ${t}(v)`);
      const tx = await c.transaction("write");
      const e = await rejectsWith(tx.execute(`insert into ${T("txfirst_missing")} values (1)`), "first statement on a missing table");
      assert.equal(e.code, "SQLITE_UNKNOWN", `code (message: ${e.message})`);
      await tx.execute(`insert into ${t} values (1)`);
      await tx.commit();
      assert.equal((await c.execute(`select count(*) as n from ${t}`)).rows[0].n, 1);
    }));

    test("tx.batch and tx.executeMultiple run inside the transaction", () => withClient({}, async (c) => {
      const t = T("txbatch");
      await c.execute(`create table ${t}(v integer)`);
      const tx = await c.transaction("write");
      const results = await tx.batch([`insert into ${t} values (1)`, { sql: `insert into ${t} values (?)`, args: [2] }, `select sum(v) as s from ${t}`]);
      assert.equal(results.length, 3);
      assert.equal(results[2].rows[0].s, 3);
      await tx.executeMultiple(`insert into ${t} values (3); insert into ${t} values (4);`);
      assert.equal((await tx.execute(`select sum(v) as s from ${t}`)).rows[0].s, 10);
      await tx.rollback();
      assert.equal((await c.execute(`select count(*) as n from ${t}`)).rows[0].n, 0, "everything was rolled back");
    }));

    test("read transaction sees committed data and can be committed or rolled back", () => withClient({}, async (c) => {
      const t = T("txread");
      await c.batch([`create table ${t}(v)`, `insert into ${t} values (1), (2)`], "write");
      const tx1 = await c.transaction("read");
      assert.equal((await tx1.execute(`select count(*) as n from ${t}`)).rows[0].n, 2);
      assert.equal((await tx1.execute(`select sum(v) as s from ${t}`)).rows[0].s, 3);
      await tx1.commit();
      assert.equal(tx1.closed, true);
      const tx2 = await c.transaction("read");
      assert.equal((await tx2.execute(`select max(v) as m from ${t}`)).rows[0].m, 2);
      await tx2.rollback();
      assert.equal(tx2.closed, true);
    }));

    test("deferred transaction commits reads and writes", () => withClient({}, async (c) => {
      const t = T("txdef");
      await c.execute(`create table ${t}(v)`);
      const tx = await c.transaction("deferred");
      assert.equal((await tx.execute(`select count(*) as n from ${t}`)).rows[0].n, 0);
      await tx.execute(`insert into ${t} values ('x')`);
      await tx.commit();
      assert.equal((await c.execute(`select count(*) as n from ${t}`)).rows[0].n, 1);
    }));

    test("a second write transaction waits for the first to commit", async () => {
      const t = T("txwait");
      const a = makeClient({});
      const b = makeClient({});
      try {
        await a.execute(`create table ${t}(v)`);
        const tx1 = await a.transaction("write");
        await tx1.execute(`insert into ${t} values (1)`);
        const events = [];
        const second = (async () => {
          const tx2 = await b.transaction("write");
          const rs = await tx2.execute(`select count(*) as n from ${t}`);
          events.push(`tx2 saw ${rs.rows[0].n}`);
          await tx2.execute(`insert into ${t} values (2)`);
          await tx2.commit();
        })();
        await new Promise((resolve) => setTimeout(resolve, 300));
        events.push("tx1 commit");
        await tx1.commit();
        await second;
        assert.deepEqual(events, ["tx1 commit", "tx2 saw 1"], "tx2's BEGIN IMMEDIATE waited for tx1");
        assert.equal((await a.execute(`select count(*) as n from ${t}`)).rows[0].n, 2);
      } finally {
        a.close();
        b.close();
      }
    });
  });

  describe("executeMultiple and migrate", () => {
    test("executeMultiple runs every statement in order", () => withClient({}, async (c) => {
      const t = T("multi");
      const result = await c.executeMultiple(`
        -- a comment
        create table ${t}(id integer primary key, v text);
        insert into ${t}(v) values ('a');
        insert into ${t}(v) values ('b;c');
        update ${t} set v = v || '!' where id = 1;
      `);
      assert.equal(result, undefined);
      const rs = await c.execute(`select v from ${t} order by id`);
      assert.deepEqual(rs.rows.map((r) => r.v), ["a!", "b;c"]);
    }));

    test("executeMultiple stops at the first failure; earlier statements stay applied", () => withClient({}, async (c) => {
      const t = T("multifail");
      const missing = T("multifail_missing");
      const e = await rejectsWith(c.executeMultiple(
        `create table ${t}(v); insert into ${t} values (1); insert into ${missing} values (1); insert into ${t} values (2);`),
      "executeMultiple with a failing statement");
      assertServerError(e, { code: "SQLITE_UNKNOWN", message: `SQLite error: no such table: ${missing}` }, "executeMultiple");
      const rs = await c.execute(`select v from ${t}`);
      assert.deepEqual(rs.rows.map((r) => r.v), [1], "statements before the failure were applied, after it not");
    }));

    test("executeMultiple with a syntax error runs nothing (SQL_PARSE_ERROR)", () => withClient({}, async (c) => {
      const t = T("multiparse");
      await c.execute(`create table ${t}(v)`);
      const e = await rejectsWith(c.executeMultiple(`insert into ${t} values (1); selec 1;`), "executeMultiple with a syntax error");
      assert.equal(e.code, "SQL_PARSE_ERROR", `code (message: ${e.message})`);
      assert.equal((await c.execute(`select count(*) as n from ${t}`)).rows[0].n, 0);
    }));

    test("executeMultiple accepts an empty or comment-only script", () => withClient({}, async (c) => {
      assert.equal(await c.executeMultiple(""), undefined);
      assert.equal(await c.executeMultiple("-- nothing here\n"), undefined);
    }));

    test("migrate runs statements in one transaction with foreign keys off", () => withClient({}, async (c) => {
      const parent = T("migr_parent");
      const child = T("migr_child");
      await c.execute(`create table ${parent}(id integer primary key)`);
      const results = await c.migrate([
        `create table ${child}(id integer primary key, parent integer references ${parent}(id))`,
        `insert into ${child}(parent) values (42)`,
        `select count(*) as n from ${child}`,
      ]);
      assert.equal(results.length, 3);
      assert.equal(results[2].rows[0].n, 1, "the dangling child row was accepted inside migrate()");
      const e = await rejectsWith(c.execute(`insert into ${child}(parent) values (43)`), "dangling reference outside migrate()");
      assertServerError(e, { code: "SQLITE_CONSTRAINT", message: "SQLite error: FOREIGN KEY constraint failed" }, "after migrate");
    }));
  });

  describe("errors", () => {
    test("UNIQUE violation: SQLITE_CONSTRAINT with SQLite's message", () => withClient({}, async (c) => {
      const t = T("uniq");
      await c.execute(`create table ${t}(id integer primary key, v text unique)`);
      await c.execute(`insert into ${t}(v) values ('a')`);
      const e = await rejectsWith(c.execute(`insert into ${t}(v) values ('a')`), "duplicate insert");
      assertServerError(e, { code: "SQLITE_CONSTRAINT", message: `SQLite error: UNIQUE constraint failed: ${t}.v` }, "UNIQUE");
      assert.equal(e.name, "LibsqlError");
      assert.equal(e.message, `SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: ${t}.v`);
    }));

    test("PRIMARY KEY, NOT NULL, CHECK and STRICT type violations are SQLITE_CONSTRAINT", () => withClient({}, async (c) => {
      const t = T("cons");
      const s = T("cons_strict");
      await c.execute(`create table ${t}(id integer primary key, v text not null, n integer check (n > 0))`);
      await c.execute(`create table ${s}(x integer) strict`);
      await c.execute(`insert into ${t}(id, v, n) values (1, 'a', 1)`);
      const cases = [
        [`insert into ${t}(id, v, n) values (1, 'b', 1)`, `SQLite error: UNIQUE constraint failed: ${t}.id`],
        [`insert into ${t}(v, n) values (null, 1)`, `SQLite error: NOT NULL constraint failed: ${t}.v`],
        [`insert into ${t}(v, n) values ('c', -1)`, "SQLite error: CHECK constraint failed: n > 0"],
        [`insert into ${s} values ('abc')`, `SQLite error: cannot store TEXT value in INTEGER column ${s}.x`],
      ];
      for (const [sql, message] of cases) {
        const e = await rejectsWith(c.execute(sql), sql);
        assertServerError(e, { code: "SQLITE_CONSTRAINT", message }, sql);
      }
    }));

    test("foreign keys are enforced by default on every connection", () => withClient({}, async (c) => {
      const parent = T("fk_parent");
      const child = T("fk_child");
      const pragma = await c.execute("pragma foreign_keys");
      assert.equal(pragma.rows[0][0], 1, "PRAGMA foreign_keys on a fresh connection");
      await c.execute(`create table ${parent}(id integer primary key)`);
      await c.execute(`create table ${child}(id integer primary key, parent integer references ${parent}(id))`);
      await c.execute(`insert into ${parent}(id) values (1)`);
      await c.execute(`insert into ${child}(parent) values (1)`);
      const e = await rejectsWith(c.execute(`insert into ${child}(parent) values (2)`), "dangling foreign key");
      assertServerError(e, { code: "SQLITE_CONSTRAINT", message: "SQLite error: FOREIGN KEY constraint failed" }, "FOREIGN KEY");
    }));

    test("no such table: SQLITE_UNKNOWN", () => withClient({}, async (c) => {
      const missing = T("no_such_table");
      const e = await rejectsWith(c.execute(`select * from ${missing}`), "select from a missing table");
      assertServerError(e, { code: "SQLITE_UNKNOWN", message: `SQLite error: no such table: ${missing}` }, "no such table");
    }));

    test("a runtime error while stepping (integer overflow): SQLITE_UNKNOWN", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute("select abs(-9223372036854775808)"), "abs(INT64_MIN)");
      assertServerError(e, { code: "SQLITE_UNKNOWN", message: "SQLite error: integer overflow" }, "integer overflow");
    }));

    test("unknown function: SQL_INPUT_ERROR with the error offset", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute("select no_such_func(1)"), "unknown function");
      assertServerError(e, { code: "SQL_INPUT_ERROR", message: "SQL input error: no such function: no_such_func (at offset 7)" }, "unknown function");
    }));

    test("no such column: SQL_INPUT_ERROR with the error offset", () => withClient({}, async (c) => {
      const t = T("nocol");
      await c.execute(`create table ${t}(a)`);
      const e = await rejectsWith(c.execute(`select a, nope from ${t}`), "unknown column");
      assertServerError(e, { code: "SQL_INPUT_ERROR", message: "SQL input error: no such column: nope (at offset 10)" }, "no such column");
    }));

    test("syntax error: SQL_PARSE_ERROR", () => withClient({}, async (c) => {
      for (const sql of ["selec 1", "select from where", "select (1"]) {
        const e = await rejectsWith(c.execute(sql), sql);
        assertServerError(e, { code: "SQL_PARSE_ERROR", message: /^SQL string could not be parsed: / }, sql);
      }
    }));

    test("too many positional args: ARGS_INVALID", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute({ sql: "select ?", args: [1, 2] }), "2 args for 1 parameter");
      assertServerError(e, { code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: too many parameters, expected 1 found 2" }, "too many args");
    }));

    test("too few positional args: ARGS_INVALID", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute({ sql: "select ?, ?", args: [1] }), "1 arg for 2 parameters");
      assertServerError(e, { code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: value for parameter 2 not found" }, "too few args");
    }));

    test("missing named arg: ARGS_INVALID", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute({ sql: "select :a", args: { b: 1 } }), "named arg b for parameter :a");
      assertServerError(e, { code: "ARGS_INVALID", message: "Arguments do not match SQL parameters: value for parameter :a not found" }, "missing named arg");
    }));

    test("two statements in one execute: SQL_MANY_STATEMENTS", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute("select 1; select 2"), "two statements");
      assertServerError(e, { code: "SQL_MANY_STATEMENTS", message: "SQL string contains more than one statement" }, "two statements");
    }));

    test("empty SQL: SQL_NO_STATEMENT", () => withClient({}, async (c) => {
      const e = await rejectsWith(c.execute(""), "empty SQL");
      assertServerError(e, { code: "SQL_NO_STATEMENT", message: "SQL string does not contain any statement" }, "empty SQL");
    }));

    test("the client stays usable after errors", () => withClient({}, async (c) => {
      await rejectsWith(c.execute("select * from definitely_missing_table_xyz"), "missing table");
      await rejectsWith(c.execute("selec 1"), "syntax error");
      await rejectsWith(c.batch(["select 1", "select * from definitely_missing_table_xyz"], "write"), "failing batch");
      const rs = await c.execute("select 'still fine' as s");
      assert.equal(rs.rows[0].s, "still fine");
    }));
  });
}
