// latency.cjs: sequential latency of @libsql/client execute() against one server.
// WARMUP untimed calls, then N calls one after another, each a point select by a random
// primary key on bench_kv (see prepare.cjs); every call is timed on its own.
//
//   node latency.cjs URL [N=2000] [WARMUP=200] [ROWS=10000]
//
// URL is http://… (Hrana v2 over HTTP, a pipeline per call) or ws://… (Hrana over
// WebSocket, one stream for the client's life). Prints one JSON line:
//   {"n":…,"p50_us":…,"p99_us":…,"mean_us":…}
// If the very first call fails, the server does not speak this transport: it prints
// {"unsupported":"<client error>"} and exits 3. A later failure exits 1.
"use strict";
const { createClient } = require("@libsql/client");

const url = process.argv[2];
const n = parseInt(process.argv[3] || "2000", 10);
const warmup = parseInt(process.argv[4] || "200", 10);
const rows = parseInt(process.argv[5] || "10000", 10);

// xorshift32 with a fixed seed: every server and round sees the same ids.
let state = 2463534242;
function next_id() {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return (state % rows) + 1;
}

function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

async function point_select(client) {
  const id = next_id();
  // A JS number goes out as a Hrana float, as in any ordinary @libsql/client program.
  const rs = await client.execute({ sql: "select id, v from bench_kv where id = ?", args: [id] });
  if (rs.rows.length !== 1 || Number(rs.rows[0].id) !== id) {
    throw new Error(`id ${id}: got ${JSON.stringify(rs.rows)}`);
  }
}

(async () => {
  const client = createClient({ url });
  // A transport the server lacks fails at once, with a connection or protocol error.
  try {
    await Promise.race([
      point_select(client),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no answer in 5 s")), 5000)),
    ]);
  } catch (e) {
    console.log(JSON.stringify({ unsupported: `${e.code || ""} ${e.message}`.trim() }));
    client.close();
    process.exit(3);
  }
  for (let i = 1; i < warmup; i++) await point_select(client);

  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await point_select(client);
    times[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  client.close();
  times.sort();
  const mean = times.reduce((a, b) => a + b, 0) / n;
  console.log(
    JSON.stringify({
      n,
      p50_us: +percentile(times, 50).toFixed(1),
      p99_us: +percentile(times, 99).toFixed(1),
      mean_us: +mean.toFixed(1),
    }),
  );
})().catch((e) => {
  console.error(`latency ${url}: ${e.code || ""} ${e.message}`);
  process.exit(1);
});
