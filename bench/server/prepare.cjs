// prepare.cjs: puts the server benchmark's data into a fresh sqld, identically for every
// server: bench_kv with ROWS rows (id 1..ROWS, a 100-byte text) for point selects, and an
// empty bench_ins for inserts. Uses @libsql/client over HTTP, which both servers speak.
//
//   node prepare.cjs URL [ROWS=10000]
//
// Prints the row count it verified; exits non-zero with the client's error otherwise.
"use strict";
const { createClient } = require("@libsql/client");

const url = process.argv[2];
const rows = parseInt(process.argv[3] || "10000", 10);

(async () => {
  const client = createClient({ url });
  await client.batch(
    [
      "drop table if exists bench_kv",
      "drop table if exists bench_ins",
      "create table bench_kv(id integer primary key, v text not null)",
      "create table bench_ins(id integer primary key, v text not null)",
    ],
    "write",
  );
  const chunk = 1000;
  for (let first = 1; first <= rows; first += chunk) {
    const stmts = [];
    for (let id = first; id < first + chunk && id <= rows; id++) {
      stmts.push({
        sql: "insert into bench_kv(id, v) values (?, ?)",
        args: [id, `row ${id} `.padEnd(100, "*")],
      });
    }
    await client.batch(stmts, "write");
  }
  const count = Number((await client.execute("select count(*) as n from bench_kv")).rows[0].n);
  client.close();
  if (count !== rows) throw new Error(`bench_kv holds ${count} rows, expected ${rows}`);
  console.log(`prepared ${count} rows`);
})().catch((e) => {
  console.error(`prepare ${url}: ${e.code || ""} ${e.message}`);
  process.exit(1);
});
