// dialect.test.mjs: libSQL's own SQL (ALTER TABLE … ALTER COLUMN, RANDOM ROWID, BEGIN
// READONLY) run side by side in the real libSQL engine (the native `libsql` npm package
// 0.5.29, in-process) and through @libsql/client against the sqld under test. For every case
// our outcome must equal native's: the same rows, or the same SQLite error message (sqld's
// wrapper around it stripped). Random rowids cannot match row for row, so for them the same
// property is asserted on each side. Two deliberate differences are asserted as ours (see
// README.md, "Deliberate differences from native libSQL"). The last block moves database
// files both ways between native libSQL and our sqld, which it starts itself from
// LIBSQL_TEST_SERVER_BIN (exported by run.sh) on a free 127.0.0.1 port.
// Written for our sqld: the reference sqld parses SQL with its own parser, so its syntax
// error texts differ from the engine's, and it stores RANDOM ROWID as native does.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { launchServer } from "./server_process.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { createClient } from "@libsql/client";
import * as hrana from "@libsql/hrana-client";
import { HTTP_URL, WS_URL, tableName, seriesSql } from "./helpers.mjs";

const T = (name) => tableName("dialect", name);

// ---------------------------------------------------------------------------------------
// Side-by-side runs

// A value as both sides report it: integers as BigInt (native safeIntegers(), client
// intMode "bigint"), blobs as their hex, everything else unchanged.
function normalizeValue(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value)
                                               : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { blob: Buffer.from(bytes).toString("hex") };
  }
  return value;
}

const normalizeRows = (rows) => rows.map((row) => Array.from(row, normalizeValue));

// sqld puts SQLite's message inside one of three wrappers, chosen by where it failed:
// "SQLite error: <m>", "SQL input error: <m> (at offset N)", "SQL string could not be
// parsed: <m>". Returns <m>; anything else comes back whole, so a comparison shows it.
function sqliteMessageOf(serverMessage) {
  const input = /^SQL input error: ([\s\S]*) \(at offset \d+\)$/.exec(serverMessage);
  if (input) return input[1];
  for (const prefix of ["SQLite error: ", "SQL string could not be parsed: "]) {
    if (serverMessage.startsWith(prefix)) return serverMessage.slice(prefix.length);
  }
  return serverMessage;
}

// The server's message from a @libsql/client error (LibsqlError.cause) or a
// @libsql/hrana-client ResponseError (its message).
function serverMessageOf(e) {
  if (typeof e?.cause?.message === "string") return e.cause.message;
  if (e?.name === "ResponseError") return e.message;
  return `<not a server error: ${e?.name}: ${e?.message}>`;
}

// One SQL text in the native engine: { ok: true, rows } or { ok: false, message }.
// Each call prepares afresh (see the RANDOM ROWID block for why that matters natively).
function runNative(db, sql) {
  try {
    const statement = db.prepare(sql);
    if (!statement.reader) {
      statement.run();
      return { ok: true, rows: [] };
    }
    return { ok: true, rows: normalizeRows(statement.safeIntegers(true).raw(true).all()) };
  } catch (e) {
    return { ok: false, message: e.message };
  }
}

// One SQL text through `execute(sql) -> rows` against our server, in the same shape.
async function runOurs(execute, sql) {
  try {
    return { ok: true, rows: normalizeRows(await execute(sql)) };
  } catch (e) {
    return { ok: false, message: sqliteMessageOf(serverMessageOf(e)) };
  }
}

const clientExecutor = (client) => async (sql) => (await client.execute(sql)).rows;

// A native database and a way to run SQL on our server, side by side.
class SideBySide {
  constructor(nativeDb, execute) {
    this.nativeDb = nativeDb;
    this.execute = execute;
  }

  native(sql) {
    return runNative(this.nativeDb, sql);
  }

  ours(sql) {
    return runOurs(this.execute, sql);
  }

  async both(sql) {
    const native = this.native(sql);
    return { native, ours: await this.ours(sql) };
  }

  // Runs `sql` on both sides, asserts our outcome equals native's, and returns it.
  async same(sql, what = sql) {
    const { native, ours } = await this.both(sql);
    assert.deepEqual(ours, native, `${what}: ours (actual) differs from native libSQL (expected)`);
    return native;
  }

  // Runs `sql` on both sides and asserts it succeeded on each; returns both outcomes.
  async bothOk(sql, what = sql) {
    const outcome = await this.both(sql);
    assert.ok(outcome.native.ok, `${what}: native libSQL failed: ${outcome.native.message}`);
    assert.ok(outcome.ours.ok, `${what}: ours failed: ${outcome.ours.message}`);
    return outcome;
  }
}

// A SideBySide on a fresh in-memory native database and a new @libsql/client (http://).
function openSides() {
  const client = createClient({ url: HTTP_URL, intMode: "bigint" });
  const sides = new SideBySide(new Database(":memory:"), clientExecutor(client));
  sides.client = client;
  sides.close = () => {
    client.close();
    sides.nativeDb.close();
  };
  return sides;
}

const schemaSql = (name) => `select sql from sqlite_schema where name = '${name}'`;

// ---------------------------------------------------------------------------------------
// Random rowids

const kMaxRandomRowid = 2n ** 62n;  // libSQL draws from [1, 2^62] (vdbe.c OP_NewRowid)

// What random rowids look like to a user: distinct, in [1, 2^62], and spread out rather
// than 1..N or consecutive. Two of 200 uniform draws land within 2^20 of each other with
// probability about 1e-8, and one draw below 2^32 with probability 2^-30.
function assertRandomRowids(rowids, count, what) {
  assert.equal(rowids.length, count, `${what}: row count`);
  for (const rowid of rowids) {
    assert.equal(typeof rowid, "bigint", `${what}: rowid ${rowid} is not an integer`);
    assert.ok(rowid >= 1n && rowid <= kMaxRandomRowid, `${what}: rowid ${rowid} is outside [1, 2^62]`);
  }
  if (count === 1) {
    assert.ok(rowids[0] > 2n ** 32n, `${what}: rowid ${rowids[0]} does not look random`);
    return;
  }
  const sorted = [...rowids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < sorted.length; ++i) {
    assert.ok(sorted[i] - sorted[i - 1] >= 2n ** 20n,
              `${what}: rowids ${sorted[i - 1]} and ${sorted[i]} are too close to be random ` +
              `(first rowids: ${sorted.slice(0, 5).join(", ")})`);
  }
}

// Each side's rowids of `table` (a plain list of BigInts per side).
async function rowidsOf(sides, table, where = "") {
  const { native, ours } = await sides.bothOk(`select rowid from ${table} ${where} order by rowid`);
  return { native: native.rows.map((r) => r[0]), ours: ours.rows.map((r) => r[0]) };
}

// VALUES (1, 'v1'), (2, 'v2'), … for n rows: one statement inserting n rows.
function valuesRows(n, text = "v") {
  return Array.from({ length: n }, (_, i) => `(${i + 1}, '${text}${i + 1}')`).join(", ");
}

// The form our sqld stores a RANDOM ROWID table in (deliberate difference 2): stock
// SQLite parses it, and the marker comment opens the column list, where an ALTER COLUMN
// of any column (ours or native's) leaves it alone.
const markerForm = (name, columns, after = "") => `CREATE TABLE ${name}(/*libsql:RANDOM ROWID*/ ${columns})${after}`;

// ---------------------------------------------------------------------------------------

describe("ALTER TABLE … ALTER COLUMN", () => {
  let sides;
  before(() => {
    sides = openSides();
  });
  after(() => sides?.close());

  test("a type change is stored as native stores it; old values keep their type, new ones get the new affinity", async () => {
    const t = T("alter_type");
    await sides.same(`create table ${t}(a int, b text)`);
    await sides.same(`insert into ${t} values (1, 'x'), ('2', 'y')`);
    await sides.same(`alter table ${t} alter column a to a text`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a text, b text)`]], "native stored text");
    await sides.same(`pragma table_info(${t})`);
    await sides.same(`insert into ${t} values (3, 'z')`);
    const values = await sides.same(`select a, typeof(a), b from ${t} order by b`);
    assert.deepEqual(values.rows, [[1n, "integer", "x"], [2n, "integer", "y"], ["3", "text", "z"]], "native values");
  });

  test("adding NOT NULL and DEFAULT: DEFAULT VALUES uses the new default, a NULL insert fails, old NULL rows stay", async () => {
    const t = T("alter_notnull");
    await sides.same(`create table ${t}(a int, b text)`);
    await sides.same(`insert into ${t} values (null, 'old')`);
    await sides.same(`alter table ${t} alter column a to a int not null default 9`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a int not null default 9, b text)`]], "native stored text");
    await sides.same(`insert into ${t} default values`);
    const refused = await sides.same(`insert into ${t}(a, b) values (null, 'new')`);
    assert.deepEqual(refused, { ok: false, message: `NOT NULL constraint failed: ${t}.a` }, "native refusal");
    const rows = await sides.same(`select a, b from ${t} order by rowid`);
    assert.deepEqual(rows.rows, [[null, "old"], [9n, null]], "native rows");
    // Existing rows are not validated by the ALTER, but integrity_check does see them.
    const check = await sides.same(`pragma integrity_check(${t})`);
    assert.deepEqual(check.rows, [[`NULL value in ${t}.a`]], "native integrity_check");
    await sides.same(`update ${t} set b = 'touched' where b = 'old'`, "updating an old row whose NULL now violates NOT NULL");
  });

  test("adding CHECK: a new bad row is refused with SQLite's message, old rows stay", async () => {
    const t = T("alter_check");
    await sides.same(`create table ${t}(a int, c int)`);
    await sides.same(`insert into ${t} values (1, -5)`);
    await sides.same(`alter table ${t} alter column c to c int check (c > 0)`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a int, c int check (c > 0))`]], "native stored text");
    const refused = await sides.same(`insert into ${t} values (2, -1)`);
    assert.deepEqual(refused, { ok: false, message: "CHECK constraint failed: c > 0" }, "native refusal");
    await sides.same(`insert into ${t} values (3, 1)`);
    const rows = await sides.same(`select a, c from ${t} order by a`);
    assert.deepEqual(rows.rows, [[1n, -5n], [3n, 1n]], "native rows");
  });

  test("adding REFERENCES: new dangling rows are refused (foreign keys are on by default on both sides), old ones stay", async () => {
    const parent = T("alter_fk_parent");
    const t = T("alter_fk");
    await sides.same(`create table ${parent}(id integer primary key)`);
    await sides.same(`insert into ${parent} values (1)`);
    await sides.same(`create table ${t}(a int, b int)`);
    await sides.same(`insert into ${t} values (1, 99)`);
    await sides.same(`alter table ${t} alter column b to b int references ${parent}(id)`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a int, b int references ${parent}(id))`]], "native stored text");
    const refused = await sides.same(`insert into ${t} values (2, 5)`);
    assert.deepEqual(refused, { ok: false, message: "FOREIGN KEY constraint failed" }, "native refusal");
    await sides.same(`insert into ${t} values (3, 1)`);
    const check = await sides.same(`pragma foreign_key_check(${t})`);
    assert.deepEqual(check.rows, [[t, 1n, parent, 0n]], "native foreign_key_check lists the old dangling row");
  });

  test("the column name's case may change: a TO A INT is accepted and stored as A", async () => {
    const t = T("alter_case");
    await sides.same(`create table ${t}(a int, b text)`);
    await sides.same(`alter table ${t} alter column a to A INT`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(A INT, b text)`]], "native stored text");
    await sides.same(`select A from ${t}`);
  });

  test("a definition without a type, with COLLATE, with DEFAULT (expr) and with ON CONFLICT is spliced verbatim", async () => {
    const t = T("alter_verbatim");
    await sides.same(`create table ${t}(a int, b int, c int, d int)`);
    await sides.same(`alter table ${t} alter column a to a`);
    await sides.same(`alter table ${t} alter column b to b text collate nocase`);
    await sides.same(`alter table ${t} alter column c to c int default (1+1)`);
    await sides.same(`alter table ${t} alter column d to d int not null on conflict replace default 4`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[
      `CREATE TABLE ${t}(a, b text collate nocase, c int default (1+1), d int not null on conflict replace default 4)`,
    ]], "native stored text");
    await sides.same(`insert into ${t}(a, b, d) values (1, 'X', null)`);
    await sides.same(`select a, b, c, d from ${t} where b = 'x'`);
  });

  test("a schema-qualified main.table works", async () => {
    const t = T("alter_main");
    await sides.same(`create table ${t}(a int)`);
    await sides.same(`alter table main.${t} alter column a to a text`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a text)`]], "native stored text");
  });

  test("quoted identifiers containing ; , ) in the table and column names", async () => {
    const t = `"${T("q;t,1)")}"`;
    await sides.same(`create table ${t}("a;b" int, "c,d)" text, [e)f] int, \`g;h\` int)`);
    await sides.same(`alter table ${t} alter column "c,d)" to "c,d)" text not null default 'x;)'`);
    await sides.same(`alter table ${t} alter column [e)f] to [e)f] text`);
    await sides.same(`alter table ${t} alter column "a;b" to "a;b" int /* ) ; */ check ("a;b" <> ')')`);
    const stored = await sides.same(`select sql from sqlite_schema where name = '${T("q;t,1)")}'`);
    assert.deepEqual(stored.rows, [[
      `CREATE TABLE ${t}("a;b" int /* ) ; */ check ("a;b" <> ')'), "c,d)" text not null default 'x;)', [e)f] text, \`g;h\` int)`,
    ]], "native stored text");
    await sides.same(`insert into ${t} default values`);
    await sides.same(`select * from ${t}`);
    // SQLite names an unnamed column CHECK after a quoted column name, not its expression.
    const refused = await sides.same(`insert into ${t}("a;b") values (')')`);
    assert.deepEqual(refused, { ok: false, message: "CHECK constraint failed: a;b" }, "native refusal");
  });

  test("a trailing ';  -- comment' is not stored", async () => {
    const t = T("alter_comment");
    await sides.same(`create table ${t}(a int, b int)`);
    await sides.same(`alter table ${t} alter column a to a text;  -- comment`);
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a text, b int)`]], "native stored text");
  });

  // Deliberate difference 3: native takes everything after the new name up to the end of
  // the input as the definition, trailing spaces and comments included (a latent bug,
  // sql-extensions.md §1.1); ours ends the definition at its last token, as a ';' would.
  test("without ';', trailing spaces and a block comment stay out of the stored definition (native keeps them)", async () => {
    const t = T("alter_trailing");
    await sides.same(`create table ${t}(a int, b int)`);
    await sides.same(`alter table ${t} alter column a to a text   `);
    let stored = await sides.both(schemaSql(t));
    assert.deepEqual(stored.native.rows, [[`CREATE TABLE ${t}(a text   , b int)`]], "native: spaces kept");
    assert.deepEqual(stored.ours.rows, [[`CREATE TABLE ${t}(a text, b int)`]], "ours: spaces dropped");
    await sides.same(`alter table ${t} alter column a to a text /* c */`);
    stored = await sides.both(schemaSql(t));
    assert.deepEqual(stored.native.rows, [[`CREATE TABLE ${t}(a text /* c */, b int)`]], "native: comment kept");
    assert.deepEqual(stored.ours.rows, [[`CREATE TABLE ${t}(a text, b int)`]], "ours: comment dropped");
  });

  test("without ';', a trailing -- comment breaks native's ALTER; ours applies the definition", async () => {
    // Native splices "a text -- c" in and the comment swallows the closing ")"; its error
    // message is then the broken CREATE text itself.
    const t = T("alter_line_comment");
    await sides.same(`create table ${t}(a int, b int)`);
    const { native, ours } = await sides.both(`alter table ${t} alter column a to a text -- c`);
    assert.deepEqual(native, { ok: false, message: `CREATE TABLE ${t}(a text -- c, b int)` }, "native outcome");
    assert.equal(ours.ok, true, "ours: the ALTER succeeds");
    const stored = await sides.both(schemaSql(t));
    assert.deepEqual(stored.native.rows, [[`CREATE TABLE ${t}(a int, b int)`]], "native stored text is unchanged");
    assert.deepEqual(stored.ours.rows, [[`CREATE TABLE ${t}(a text, b int)`]], "ours: the new definition, without the comment");
  });

  test("altering an indexed column keeps the index as it was; lookups and integrity_check match native", async () => {
    const t = T("alter_indexed");
    const index = T("alter_indexed_a");
    await sides.same(`create table ${t}(a int, b int)`);
    await sides.same(`create index ${index} on ${t}(a)`);
    await sides.same(`insert into ${t} values (9, 1), ('10', 2)`);
    await sides.same(`alter table ${t} alter column a to a text`);
    const stored = await sides.same(`select name, sql from sqlite_schema where tbl_name = '${t}' order by type desc`);
    assert.deepEqual(stored.rows, [[t, `CREATE TABLE ${t}(a text, b int)`], [index, `CREATE INDEX ${index} on ${t}(a)`]],
                     "native stored texts");
    await sides.same(`insert into ${t} values (11, 3)`);
    // The index is not rebuilt: the old integer keys no longer match a TEXT lookup.
    const lookup = await sides.same(`select b from ${t} where a = 9`);
    assert.deepEqual(lookup.rows, [], "native: the old integer key is not found through the index");
    await sides.same(`select b from ${t} where a = '11'`);
    await sides.same(`select a, typeof(a) from ${t} order by a`);
    const check = await sides.same(`pragma integrity_check(${t})`);
    assert.deepEqual(check.rows, [[`NUMERIC value in ${t}.a`], [`NUMERIC value in ${t}.a`]], "native integrity_check");
  });

  test("a batch whose second ALTER fails rolls back the first: the schema is unchanged", async () => {
    const t = T("alter_batch");
    await sides.same(`create table ${t}(a int, b int)`);
    // Native has no batch: the client's write batch is BEGIN IMMEDIATE … COMMIT, and a
    // failure rolls everything back.
    const good = `alter table ${t} alter column a to a text not null`;
    const bad = `alter table ${t} alter column b to c int`;
    sides.native("begin immediate");
    assert.ok(sides.native(good).ok, "native: the first ALTER succeeds");
    const nativeBad = sides.native(bad);
    sides.native("rollback");
    let ours;
    try {
      await sides.client.batch([good, bad], "write");
      ours = { ok: true };
    } catch (e) {
      ours = { ok: false, message: sqliteMessageOf(serverMessageOf(e)) };
    }
    assert.deepEqual(ours, nativeBad, "the batch fails as the second ALTER does natively");
    const stored = await sides.same(schemaSql(t));
    assert.deepEqual(stored.rows, [[`CREATE TABLE ${t}(a int, b int)`]], "native stored text is unchanged");
  });

  describe("refused ALTERs: the exact message, and the schema unchanged", () => {
    const t = T("alter_refused");
    const view = T("alter_refused_v");
    const original = `CREATE TABLE ${t}(a int, b text, d int)`;
    before(async () => {
      await sides.same(original);
      await sides.same(`create view ${view} as select * from ${t}`);
    });

    const cases = [
      [`alter table ${t} alter column a to b int`,
        `UPDATE cannot also rename column: "a" to "b". Use ALTER TABLE RENAME instead`],
      // The names are compared as written: quoting one side counts as a rename.
      [`alter table ${t} alter column "a" to a text`,
        `UPDATE cannot also rename column: ""a"" to "a". Use ALTER TABLE RENAME instead`],
      [`alter table ${t} alter column zz to zz int`, `no such column: "zz"`],
      [`alter table ${t} alter column "zz" to zz int`, `no such column: ""zz""`],
      [`alter table ${t} alter column rowid to rowid int`, `no such column: "rowid"`],
      [`alter table ${T("no_such_table")} alter column a to a int`, `no such table: ${T("no_such_table")}`],
      [`alter table temp.${t} alter column a to a int`, `no such table: temp.${t}`],
      [`alter table ${t} alter column a to a int primary key`,
        `error in adding a int primary key to ${t}: PRIMARY KEY constraint cannot be altered`],
      [`alter table ${t} alter column d to d int constraint pk primary key`,
        `error in adding d int constraint pk primary key to ${t}: PRIMARY KEY constraint cannot be altered`],
      [`alter table ${t} alter column a to a int unique`,
        `error in adding a int unique to ${t}: UNIQUE constraint cannot be altered`],
      [`alter table ${t} alter column a to a int generated always as (1)`,
        `error in adding a int generated always as (1) to ${t}: GENERATED constraint cannot be altered`],
      [`alter table ${t} alter column d to d int as (1)`,
        `error in adding d int as (1) to ${t}: GENERATED constraint cannot be altered`],
      [`alter table ${view} alter column a to a int`, `cannot rename columns of view "${view}"`],
      [`alter table sqlite_schema alter column sql to sql text`, "table sqlite_master may not be altered"],
      [`alter table ${t} alter a to a int`, `near "a": syntax error`],
      [`alter table ${t} alter column a to`, "incomplete input"],
      [`alter table ${t} alter column a`, "incomplete input"],
    ];
    for (const [sql, message] of cases) {
      test(`${sql} → ${message}`, async () => {
        const outcome = await sides.same(sql);
        assert.deepEqual(outcome, { ok: false, message }, "native outcome");
        const stored = await sides.same(schemaSql(t));
        assert.deepEqual(stored.rows, [[original]], "native stored text is unchanged");
      });
    }
  });

  test("another connection sees the new schema at once: a held WebSocket stream, a new client, a new request", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dialect-alter-"));
    const file = join(dir, "native.db");
    const clients = [];
    const nativeDbs = [];
    const ws = hrana.openWs(WS_URL);
    try {
      const openNative = () => {
        const db = new Database(file);
        nativeDbs.push(db);
        return db;
      };
      const newClient = () => {
        const c = createClient({ url: HTTP_URL, intMode: "bigint" });
        clients.push(c);
        return c;
      };
      const first = new SideBySide(openNative(), clientExecutor(newClient()));
      const stream = ws.openStream();
      stream.intMode = "bigint";
      const held = new SideBySide(openNative(), async (sql) => (await stream.query(sql)).rows);

      const t = T("alter_seen");
      await first.same(`create table ${t}(a int, b text)`);
      await held.same(`insert into ${t} values (1, 'before')`, "held connection, before the ALTER");
      await held.same(`select a, b from ${t}`, "held connection loads the old schema");
      await first.same(`alter table ${t} alter column a to a int not null default 5`);

      await held.same(`insert into ${t}(b) values ('held')`, "held connection: DEFAULT VALUES takes the new default");
      const refused = await held.same(`insert into ${t}(a, b) values (null, 'x')`, "held connection: NULL is refused");
      assert.deepEqual(refused, { ok: false, message: `NOT NULL constraint failed: ${t}.a` }, "native refusal");
      const later = new SideBySide(openNative(), clientExecutor(newClient()));
      await later.same(`insert into ${t}(b) values ('new client')`, "a new client");
      await first.same(`insert into ${t}(b) values ('new request')`, "a new request on the first client");
      const rows = await later.same(`select a, b from ${t} order by rowid`);
      assert.deepEqual(rows.rows, [[1n, "before"], [5n, "held"], [5n, "new client"], [5n, "new request"]], "native rows");
      await held.same(schemaSql(t), "held connection: stored text");
    } finally {
      ws.close();
      for (const c of clients) c.close();
      for (const db of nativeDbs) db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Natively, one prepared INSERT run a second time numbers its rows max(rowid)+1: libSQL's
// OP_NewRowid clears its RANDOM ROWID marker (P3) after the first use. runNative()
// prepares every statement afresh, which is also what the client-side SQL text means.
describe("CREATE TABLE … RANDOM ROWID", () => {
  let sides;
  before(() => {
    sides = openSides();
  });
  after(() => sides?.close());

  test("200 rows from one multi-row VALUES get random rowids", async () => {
    const t = T("rr_values");
    await sides.same(`create table ${t}(id int, v text) random rowid`);
    await sides.same(`insert into ${t}(id, v) values ${valuesRows(200)}`);
    const rowids = await rowidsOf(sides, t);
    assertRandomRowids(rowids.native, 200, "native");
    assertRandomRowids(rowids.ours, 200, "ours");
    await sides.same(`select id, v from ${t} order by id`);
  });

  test("INSERT … SELECT of 200 rows from a plain table gives random rowids (with and without the transfer optimization)", async () => {
    const source = T("rr_source");
    const all = T("rr_select_all");
    const some = T("rr_select_cols");
    await sides.same(`create table ${source}(id int, v text)`);
    await sides.same(`insert into ${source}(id, v) select x, 'v' || x from (${seriesSql(200)})`);
    await sides.same(`create table ${all}(id int, v text) random rowid`);
    await sides.same(`create table ${some}(id int, v text) random rowid`);
    await sides.same(`insert into ${all} select * from ${source}`);
    await sides.same(`insert into ${some}(v) select v from ${source}`);
    for (const table of [all, some]) {
      const rowids = await rowidsOf(sides, table);
      assertRandomRowids(rowids.native, 200, `native ${table}`);
      assertRandomRowids(rowids.ours, 200, `ours ${table}`);
    }
    await sides.same(`select id, v from ${all} order by id`);
  });

  test("the same INSERT sent in 200 separate requests gets a random rowid each time", async () => {
    const t = T("rr_repeat");
    await sides.same(`create table ${t}(id int, v text) random rowid`);
    for (let i = 0; i < 200; ++i) await sides.bothOk(`insert into ${t}(v) values ('same')`);
    const rowids = await rowidsOf(sides, t);
    assertRandomRowids(rowids.native, 200, "native");
    assertRandomRowids(rowids.ours, 200, "ours");
  });

  test("DEFAULT VALUES 200 times in one batch gives random rowids and the defaults", async () => {
    const t = T("rr_default");
    const sql = `insert into ${t} default values`;
    await sides.same(`create table ${t}(id int, v text default 'd') random rowid`);
    for (let i = 0; i < 200; ++i) assert.ok(sides.native(sql).ok, "native insert");
    await sides.client.batch(Array(200).fill(sql), "write");
    const rowids = await rowidsOf(sides, t);
    assertRandomRowids(rowids.native, 200, "native");
    assertRandomRowids(rowids.ours, 200, "ours");
    const summary = await sides.same(`select count(*), min(v), max(v) from ${t}`);
    assert.deepEqual(summary.rows, [[200n, "d", "d"]], "native summary");
  });

  test("UPSERT: 200 new rows get random rowids; the conflicting second run updates them in place", async () => {
    const t = T("rr_upsert");
    await sides.same(`create table ${t}(k int unique, v text) random rowid`);
    const upsert = (text) => `insert into ${t}(k, v) values ${valuesRows(200, text)} on conflict(k) do update set v = excluded.v`;
    await sides.same(upsert("a"));
    const first = await rowidsOf(sides, t);
    assertRandomRowids(first.native, 200, "native");
    assertRandomRowids(first.ours, 200, "ours");
    await sides.same(upsert("b"));
    const second = await rowidsOf(sides, t);
    assert.deepEqual(second.native, first.native, "native: the updated rows keep their rowids");
    assert.deepEqual(second.ours, first.ours, "ours: the updated rows keep their rowids");
    const rows = await sides.same(`select count(*), min(v), max(v) from ${t}`);
    assert.deepEqual(rows.rows, [[200n, "b1", "b99"]], "native summary");
  });

  test("REPLACE and INSERT OR REPLACE: new rows and replaced rows get fresh random rowids", async () => {
    const t = T("rr_replace");
    await sides.same(`create table ${t}(k int unique, v text) random rowid`);
    await sides.same(`replace into ${t}(k, v) values ${valuesRows(200, "a")}`);
    const first = await rowidsOf(sides, t);
    assertRandomRowids(first.native, 200, "native after REPLACE");
    assertRandomRowids(first.ours, 200, "ours after REPLACE");
    await sides.same(`insert or replace into ${t}(k, v) values ${valuesRows(200, "b")}`);
    const second = await rowidsOf(sides, t);
    assertRandomRowids(second.native, 200, "native after INSERT OR REPLACE");
    assertRandomRowids(second.ours, 200, "ours after INSERT OR REPLACE");
    for (const [side, before, after] of [["native", first.native, second.native], ["ours", first.ours, second.ours]]) {
      const old = new Set(before);
      assert.ok(after.every((rowid) => !old.has(rowid)), `${side}: every replaced row got a new rowid`);
    }
    await sides.same(`select k, v from ${t} order by k`);
  });

  test("an explicit rowid is kept: INSERT INTO t(rowid, v) VALUES (42, 'x')", async () => {
    const t = T("rr_explicit");
    await sides.same(`create table ${t}(id int, v text) random rowid`);
    await sides.same(`insert into ${t}(rowid, v) values (42, 'x')`);
    const rows = await sides.same(`select rowid, v from ${t}`);
    assert.deepEqual(rows.rows, [[42n, "x"]], "native rows");
  });

  test("INTEGER PRIMARY KEY: 7 is kept, NULL gets a random id", async () => {
    const t = T("rr_ipk");
    await sides.same(`create table ${t}(id integer primary key, v text) random rowid`);
    await sides.same(`insert into ${t} values (7, 'seven')`);
    assert.deepEqual((await sides.same(`select id, rowid, v from ${t}`)).rows, [[7n, 7n, "seven"]], "native rows");
    await sides.same(`insert into ${t} values (null, 'null')`);
    const ids = await rowidsOf(sides, t, "where v = 'null'");
    assertRandomRowids(ids.native, 1, "native id for NULL");
    assertRandomRowids(ids.ours, 1, "ours id for NULL");
    await sides.same(`select count(*) from ${t} where id = rowid`);
  });

  test("RETURNING rowid and lastInsertRowid report the random rowid", async () => {
    const t = T("rr_returning");
    await sides.same(`create table ${t}(id int, v text) random rowid`);
    const returning = `insert into ${t}(v) values ('r') returning rowid`;

    const nativeReturned = sides.nativeDb.prepare(returning).safeIntegers(true).raw(true).get()[0];
    const nativeLast = sides.nativeDb.prepare("select last_insert_rowid()").safeIntegers(true).raw(true).get()[0];
    assertRandomRowids([nativeReturned], 1, "native RETURNING rowid");
    assert.equal(nativeLast, nativeReturned, "native last_insert_rowid() is the returned rowid");

    const client = sides.client;
    const rs = await client.execute(returning);
    const ourReturned = rs.rows[0][0];
    assertRandomRowids([ourReturned], 1, "ours RETURNING rowid");
    assert.equal(rs.lastInsertRowid, ourReturned, "lastInsertRowid is the returned rowid");
    const plain = await client.execute(`insert into ${t}(v) values ('plain')`);
    const stored = (await client.execute(`select rowid from ${t} where v = 'plain'`)).rows[0][0];
    assertRandomRowids([stored], 1, "ours rowid of a plain INSERT");
    assert.equal(plain.lastInsertRowid, stored, "lastInsertRowid of a plain INSERT is the stored rowid");
  });

  test("ALTER COLUMN on a RANDOM ROWID table: each side's stored form, and inserts stay random", async () => {
    const t = T("rr_alter");
    await sides.same(`CREATE TABLE ${t}(id int, v text) RANDOM ROWID`);
    await sides.same(`alter table ${t} alter column v to v text not null default 'd'`);
    const { native, ours } = await sides.bothOk(schemaSql(t));
    assert.deepEqual(native.rows, [[`CREATE TABLE ${t}(id int, v text not null default 'd') RANDOM ROWID`]], "native stored text");
    assert.deepEqual(ours.rows, [[markerForm(t, "id int, v text not null default 'd'")]], "ours stored text");
    await sides.same(`insert into ${t}(id) values ${Array.from({ length: 200 }, (_, i) => `(${i})`).join(", ")}`);
    const rowids = await rowidsOf(sides, t);
    assertRandomRowids(rowids.native, 200, "native");
    assertRandomRowids(rowids.ours, 200, "ours");
    const refused = await sides.same(`insert into ${t}(id, v) values (1, null)`);
    assert.deepEqual(refused, { ok: false, message: `NOT NULL constraint failed: ${t}.v` }, "native refusal");
  });

  test("RANDOM ROWID, STRICT: rowids are random and STRICT typing holds", async () => {
    const t = T("rr_strict");
    await sides.same(`CREATE TABLE ${t}(id INTEGER, v TEXT) RANDOM ROWID, STRICT`);
    const { native, ours } = await sides.bothOk(schemaSql(t));
    assert.deepEqual(native.rows, [[`CREATE TABLE ${t}(id INTEGER, v TEXT) RANDOM ROWID, STRICT`]], "native stored text");
    assert.deepEqual(ours.rows, [[markerForm(t, "id INTEGER, v TEXT", " STRICT")]], "ours stored text");
    await sides.same(`insert into ${t}(id, v) values ${valuesRows(200)}`);
    const rowids = await rowidsOf(sides, t);
    assertRandomRowids(rowids.native, 200, "native");
    assertRandomRowids(rowids.ours, 200, "ours");
    const refused = await sides.same(`insert into ${t}(id, v) values ('abc', 'x')`);
    assert.deepEqual(refused, { ok: false, message: `cannot store TEXT value in INTEGER column ${t}.id` }, "native refusal");
  });

  test("deliberate difference: native stores '… ) RANDOM ROWID'; ours stores the marker before ')'", async () => {
    const t = T("rr_stored");
    await sides.same(`CREATE TABLE ${t}(id int, v text) RANDOM ROWID`);
    const { native, ours } = await sides.bothOk(schemaSql(t));
    assert.deepEqual(native.rows, [[`CREATE TABLE ${t}(id int, v text) RANDOM ROWID`]], "native stored text");
    assert.deepEqual(ours.rows, [[markerForm(t, "id int, v text")]], "ours stored text: stock SQLite can parse it");
    await sides.same(`pragma table_info(${t})`);
  });

  test("deliberate difference: WITHOUT ROWID, RANDOM ROWID is accepted silently by native and refused by ours", async () => {
    const t = T("rr_without");
    const { native, ours } = await sides.both(`CREATE TABLE ${t}(id int primary key) WITHOUT ROWID, RANDOM ROWID`);
    assert.deepEqual(native, { ok: true, rows: [] }, "native accepts it; the flag has no effect");
    assert.deepEqual(ours, { ok: false, message: "RANDOM ROWID not allowed on WITHOUT ROWID tables" }, "ours refuses it");
    const created = await sides.ours(`select count(*) from sqlite_schema where name = '${t}'`);
    assert.deepEqual(created, { ok: true, rows: [[0n]] }, "ours created no table");
  });

  test("deliberate difference: RANDOM ROWID, WITHOUT ROWID (the other order) is refused by ours too", async () => {
    const t = T("rr_without2");
    const { native, ours } = await sides.both(`CREATE TABLE ${t}(id int primary key) RANDOM ROWID, WITHOUT ROWID`);
    assert.deepEqual(native, { ok: true, rows: [] }, "native accepts it; the flag has no effect");
    assert.deepEqual(ours, { ok: false, message: "RANDOM ROWID not allowed on WITHOUT ROWID tables" }, "ours refuses it");
  });

  describe("refused CREATE TABLEs: the exact message, and no table", () => {
    const t = T("rr_refused");
    const cases = [
      [`CREATE TABLE ${t}(id integer primary key autoincrement, v text) RANDOM ROWID`,
        "AUTOINCREMENT not allowed on RANDOM ROWID tables"],
      [`CREATE TABLE ${t}(id int) RANDOM ROW_ID`, "unknown table option: ROW_ID"],
      [`CREATE TABLE ${t}(id int) RANDO ROWID`, `near "ROWID": syntax error`],
      [`CREATE TABLE ${t}(id int) RANDOM ROWID WITHOUT ROWID`, `near "WITHOUT": syntax error`],
      [`CREATE TABLE ${t}(id int) RANDOM`, "incomplete input"],
    ];
    for (const [sql, message] of cases) {
      test(`${sql} → ${message}`, async () => {
        const outcome = await sides.same(sql);
        assert.deepEqual(outcome, { ok: false, message }, "native outcome");
        const created = await sides.same(`select count(*) from sqlite_schema where name = '${t}'`);
        assert.deepEqual(created.rows, [[0n]], "native created no table");
      });
    }
  });
});

describe("BEGIN READONLY", () => {
  let sides;
  before(() => {
    sides = openSides();
  });
  after(() => sides?.close());

  // @libsql/client opens read transactions with "BEGIN TRANSACTION READONLY".
  test("transaction('read'): an INSERT inside succeeds and commits, as after BEGIN TRANSACTION READONLY natively", async () => {
    const t = T("ro_tx");
    await sides.same(`create table ${t}(a int)`);
    const nativeSteps = ["BEGIN TRANSACTION READONLY", `insert into ${t} values (1)`, `select count(*) from ${t}`, "COMMIT"]
      .map((sql) => sides.native(sql));
    const tx = await sides.client.transaction("read");
    const ourSteps = [{ ok: true, rows: [] }];
    try {
      ourSteps.push(await runOurs(async (sql) => (await tx.execute(sql)).rows, `insert into ${t} values (1)`));
      ourSteps.push(await runOurs(async (sql) => (await tx.execute(sql)).rows, `select count(*) from ${t}`));
      await tx.commit();
      ourSteps.push({ ok: true, rows: [] });
    } finally {
      tx.close();
    }
    assert.deepEqual(ourSteps, nativeSteps, "the steps of the read transaction");
    const rows = await sides.same(`select a from ${t}`);
    assert.deepEqual(rows.rows, [[1n]], "native: the INSERT was committed");
  });

  test("batch in read mode: an INSERT inside succeeds, as natively", async () => {
    const t = T("ro_batch");
    await sides.same(`create table ${t}(a int)`);
    const steps = [`insert into ${t} values (2)`, `select count(*) from ${t}`];
    sides.native("BEGIN TRANSACTION READONLY");
    const nativeSteps = steps.map((sql) => sides.native(sql));
    sides.native("COMMIT");
    const results = await sides.client.batch(steps, "read");
    assert.deepEqual(results.map((rs) => ({ ok: true, rows: normalizeRows(rs.rows) })), nativeSteps, "the batch's results");
    const rows = await sides.same(`select a from ${t}`);
    assert.deepEqual(rows.rows, [[2n]], "native: the INSERT was committed");
  });

  for (const begin of ["BEGIN READONLY", "BEGIN TRANSACTION READONLY", "BEGIN READONLY TRANSACTION"]) {
    test(`${begin}; INSERT; COMMIT as one script commits the row, as natively`, async () => {
      const t = T(`ro_${begin.replaceAll(" ", "_").toLowerCase()}`);
      await sides.same(`create table ${t}(a int)`);
      const script = `${begin}; insert into ${t} values (3); COMMIT;`;
      sides.nativeDb.exec(script);
      try {
        await sides.client.executeMultiple(script);
      } catch (e) {
        assert.fail(`ours: executeMultiple failed: ${serverMessageOf(e)}`);
      }
      const rows = await sides.same(`select a from ${t}`);
      assert.deepEqual(rows.rows, [[3n]], "native rows");
    });
  }

  const refused = [
    ["BEGIN READONLY DEFERRED", `near "DEFERRED": syntax error`],
    ["BEGIN DEFERRED READONLY", `near "READONLY": syntax error`],
    ["BEGIN IMMEDIATE READONLY", `near "READONLY": syntax error`],
  ];
  for (const [sql, message] of refused) {
    test(`${sql} → ${message}`, async () => {
      const outcome = await sides.same(sql);
      assert.deepEqual(outcome, { ok: false, message }, "native outcome");
    });
  }
});

// ---------------------------------------------------------------------------------------
// Files both ways between native libSQL and our sqld

const kServerWaitMs = 10000;

// Starts LIBSQL_TEST_SERVER_BIN on `dbPath` (its database is <dbPath>/dbs/default/data)
// and a free loopback port. Returns { url, stop }: stop() sends SIGTERM and waits up to
// 10 s for the exit, then kills the server and throws.
async function startSqld(dbPath) {
  return launchServer({ bin: process.env.LIBSQL_TEST_SERVER_BIN, dbPath, waitMs: kServerWaitMs });
}

// Runs `fn(dbPath, file)` with a fresh sqld data directory; `file` is where sqld keeps the
// default database. The directory is removed afterwards.
async function withDataDir(fn) {
  const dir = await mkdtemp(join(tmpdir(), "dialect-files-"));
  try {
    const dbPath = join(dir, "data.sqld");
    const file = join(dbPath, "dbs", "default", "data");
    mkdirSync(join(dbPath, "dbs", "default"), { recursive: true });
    return await fn(dbPath, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Runs `fn(client)` against our sqld started on `dbPath`, then stops the server with
// SIGTERM (bounded). A failure in `fn` kills the server instead.
async function withSqld(dbPath, fn) {
  const server = await startSqld(dbPath);
  const client = createClient({ url: server.url, intMode: "bigint" });
  try {
    await fn(client);
  } catch (e) {
    client.close();
    await server.kill();
    throw e;
  }
  client.close();
  await server.stop();
}

const nativeRows = (db, sql) => normalizeRows(db.prepare(sql).safeIntegers(true).raw(true).all());
const ourRows = async (client, sql) => normalizeRows((await client.execute(sql)).rows);

describe("database files both ways between native libSQL and our sqld", () => {
  const fileTest = (name, fn) => test(name, { timeout: 60000 }, async (t) => {
    if (!process.env.LIBSQL_TEST_SERVER_BIN) {
      t.skip("LIBSQL_TEST_SERVER_BIN is not set: run this file through run.sh");
      return;
    }
    await withDataDir(fn);
  });

  const setupSql = [
    "CREATE TABLE r(id int, v text) RANDOM ROWID",
    `insert into r(id, v) select x, 'v' || x from (${seriesSql(50)})`,
    "create table a(x int, y text)",
    "insert into a values (1, 'one'), (2, 'two')",
    "alter table a alter column y to y text not null default 'dflt'",
    "create index a_x on a(x)",
  ];
  const alteredA = "CREATE TABLE a(x int, y text not null default 'dflt')";

  fileTest("a native libSQL file (RANDOM ROWID, ALTER COLUMN, an index) is served by our sqld, which migrates it to the marker form", async (dbPath, file) => {
    const native = new Database(file);
    let rowsR;
    let rowsA;
    try {
      for (const sql of setupSql) native.exec(sql);
      rowsR = nativeRows(native, "select rowid, id, v from r order by rowid");
      rowsA = nativeRows(native, "select rowid, x, y from a order by rowid");
      assertRandomRowids(rowsR.map((r) => r[0]), 50, "native rowids");
      assert.deepEqual(nativeRows(native, "select sql from sqlite_schema where name = 'r'"),
                       [["CREATE TABLE r(id int, v text) RANDOM ROWID"]], "native stored text before");
    } finally {
      native.close();
    }

    await withSqld(dbPath, async (client) => {
      assert.deepEqual(await ourRows(client, "select rowid, id, v from r order by rowid"), rowsR, "RANDOM ROWID rows read back");
      assert.deepEqual(await ourRows(client, "select rowid, x, y from a order by rowid"), rowsA, "altered table rows read back");
      assert.deepEqual(await ourRows(client, "select name, sql from sqlite_schema order by name"), [
        ["a", alteredA],
        ["a_x", "CREATE INDEX a_x on a(x)"],
        ["r", markerForm("r", "id int, v text")],
      ], "stored texts: r migrated to the marker form, the rest as native wrote them");

      await client.execute(`insert into r(id, v) select x + 50, 'v' || (x + 50) from (${seriesSql(20)})`);
      assertRandomRowids((await ourRows(client, "select rowid from r")).map((r) => r[0]), 70, "rowids after 20 new inserts");

      await client.execute("insert into a(x) values (3)");
      assert.deepEqual(await ourRows(client, "select y from a where x = 3"), [["dflt"]], "the altered DEFAULT applies");
      const refused = await runOurs(clientExecutor(client), "insert into a(x, y) values (4, null)");
      assert.deepEqual(refused, { ok: false, message: "NOT NULL constraint failed: a.y" }, "the altered NOT NULL applies");
      assert.deepEqual(await ourRows(client, "select x from a indexed by a_x where x = 2"), [[2n]], "the index answers");

      await client.execute("alter table a alter column x to x integer check (x >= 0)");
      assert.deepEqual(await ourRows(client, "select sql from sqlite_schema where name = 'a'"),
                       [["CREATE TABLE a(x integer check (x >= 0), y text not null default 'dflt')"]], "a further ALTER COLUMN");
      const checked = await runOurs(clientExecutor(client), "insert into a(x) values (-1)");
      assert.deepEqual(checked, { ok: false, message: "CHECK constraint failed: x >= 0" }, "the new CHECK applies");
      assert.deepEqual(await ourRows(client, "pragma integrity_check"), [["ok"]], "integrity_check");
    });
  });

  fileTest("a file our sqld wrote (RANDOM ROWID, ALTER COLUMN, an index) opens in native libSQL", async (dbPath, file) => {
    let rowsR;
    let rowsA;
    await withSqld(dbPath, async (client) => {
      for (const sql of setupSql) await client.execute(sql);
      rowsR = await ourRows(client, "select rowid, id, v from r order by rowid");
      rowsA = await ourRows(client, "select rowid, x, y from a order by rowid");
      assertRandomRowids(rowsR.map((r) => r[0]), 50, "our rowids");
    });

    const native = new Database(file);
    try {
      assert.deepEqual(nativeRows(native, "select rowid, id, v from r order by rowid"), rowsR, "RANDOM ROWID rows read back");
      assert.deepEqual(nativeRows(native, "select rowid, x, y from a order by rowid"), rowsA, "altered table rows read back");
      assert.deepEqual(nativeRows(native, "select name, sql from sqlite_schema order by name"), [
        ["a", alteredA],
        ["a_x", "CREATE INDEX a_x on a(x)"],
        ["r", markerForm("r", "id int, v text")],
      ], "stored texts as native sees them");

      // Native libSQL reads the marker as a comment: there r is a plain rowid table, so a
      // new row gets max(rowid) + 1 (the cost of deliberate difference 2).
      const maxRowid = rowsR[rowsR.length - 1][0];
      const inserted = nativeRows(native, "insert into r(id, v) values (51, 'native') returning rowid");
      assert.deepEqual(inserted, [[maxRowid + 1n]], "native numbers the new row max(rowid) + 1");

      native.prepare("insert into a(x) values (3)").run();
      assert.deepEqual(nativeRows(native, "select y from a where x = 3"), [["dflt"]], "the altered DEFAULT applies natively");
      assert.deepEqual(runNative(native, "insert into a(x, y) values (4, null)"),
                       { ok: false, message: "NOT NULL constraint failed: a.y" }, "the altered NOT NULL applies natively");
      assert.deepEqual(nativeRows(native, "pragma integrity_check"), [["ok"]], "integrity_check");
    } finally {
      native.close();
    }
  });
});
