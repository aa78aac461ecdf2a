// namespaces.test.mjs: sqld as many databases: the admin API (create, delete, fork,
// config, stats, checkpoint, /metrics, its auth key), how a user request names its
// namespace (x-namespace-bin, x-namespace, the Host header, /dev/<ns>/), isolation
// between namespaces, hostile names, GET /dump and namespaces loaded from a dump.
// Starts its own sqld from LIBSQL_TEST_SERVER_BIN (exported by run.sh) with
// --enable-namespaces and an admin listener, on free loopback ports and a temp data dir,
// and drives it with raw HTTP (node:http, so Host and raw paths such as %2E%2E reach the
// server as written: fetch would rewrite both) and with @libsql/client given a fetch that
// adds the namespace header, and raw WebSockets whose upgrade carries it.
// Written for our sqld, which is stricter than the reference sqld (src/server/admin_api.h,
// request_gate.h): names are [A-Za-z0-9_-]{1,63}, x-namespace is read, an IP-literal Host
// selects `default`, unknown admin paths are 404, dump_url takes only absolute file: paths.
// Races are part of it: forks while a writer commits, deletes while writers run.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import WebSocket from "ws";
import { launchServer } from "./server_process.mjs";
import { RawSocket } from "./ws_raw.mjs";

const kServerWaitMs = 10000;
const kRequestTimeoutMs = 15000;
const kAdminKey = "s3cret-admin-key";
const kSqlite3 = "/usr/bin/sqlite3";

// ---------------------------------------------------------------------------------------
// The server under test

let server;   // { userPort, adminPort, dataDir, stop, kill, log() }
let workDir;  // temp dir: the server's data dir and the dump files
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

// Starts LIBSQL_TEST_SERVER_BIN with namespaces and an admin API guarded by kAdminKey.
async function startServer(dataDir) {
  const server = await launchServer({
    bin: process.env.LIBSQL_TEST_SERVER_BIN, dbPath: dataDir, admin: true, waitMs: kServerWaitMs,
    args: ["--admin-auth-key", kAdminKey, "--enable-namespaces"],
  });
  return { ...server, userPort: server.port, dataDir, log: server.output };
}

before(async () => {
  if (!process.env.LIBSQL_TEST_SERVER_BIN) {
    throw new Error("LIBSQL_TEST_SERVER_BIN is not set: run this file through tests/compat/run.sh");
  }
  workDir = await mkdtemp(join(tmpdir(), "namespaces-test-"));
  server = await startServer(join(workDir, "data.sqld"));
});

after(async () => {
  agent.destroy();
  try {
    if (server) {
      const wasRunning = server.running();
      await server.stop().catch(async (e) => {
        await server.kill();
        throw e;
      });
      assert.ok(wasRunning, "the server was still running at the end of the suite");
    }
  } finally {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------
// Raw HTTP

// One HTTP request, sent as written (path and headers untouched). Resolves to
// { status, headers, text, json } (json: the parsed body, or undefined).
function request(port, { method = "GET", path = "/", headers = {}, body } = {}) {
  let payload;
  const sent = { ...headers };
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    if (typeof body !== "string" && !Object.keys(sent).some((k) => k.toLowerCase() === "content-type")) {
      sent["content-type"] = "application/json";
    }
    sent["content-length"] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: sent, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch {}
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.setTimeout(kRequestTimeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${kRequestTimeoutMs} ms`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const adminAuth = { authorization: `basic ${kAdminKey}` };

function admin(method, path, body, headers = adminAuth) {
  return request(server.adminPort, { method, path, headers, body });
}

async function createNamespace(name, body = {}) {
  const r = await admin("POST", `/v1/namespaces/${name}/create`, body);
  assert.equal(r.status, 200, `create ${name}: ${r.status} ${r.text}`);
  assert.equal(r.text, "", `create ${name}: body`);
}

async function deleteNamespace(name) {
  const r = await admin("DELETE", `/v1/namespaces/${name}`);
  assert.equal(r.status, 200, `delete ${name}: ${r.status} ${r.text}`);
  assert.equal(r.text, "", `delete ${name}: body`);
}

const notFoundBody = (name) => ({ error: `Namespace \`${name}\` doesn't exist` });

// Entries of <data dir>/dbs: one directory per namespace.
const dbsListing = () => readdirSync(join(server.dataDir, "dbs")).sort();

const base64NoPadding = (text) => Buffer.from(text, "utf8").toString("base64").replace(/=+$/, "");

// The ways a user request names its namespace. Each returns { path, headers } for a
// Hrana 2 pipeline request.
const selectors = {
  "x-namespace-bin": (ns) => ({ path: "/v2/pipeline", headers: { "x-namespace-bin": base64NoPadding(ns) } }),
  "x-namespace": (ns) => ({ path: "/v2/pipeline", headers: { "x-namespace": ns } }),
  "Host": (ns) => ({ path: "/v2/pipeline", headers: { host: `${ns}.example:${server.userPort}` } }),
  "/dev/<ns>/": (ns) => ({ path: `/dev/${ns}/v2/pipeline`, headers: {} }),
};
// What a client pointed at http://127.0.0.1:PORT sends: no namespace header, an IP Host.
const defaultSelector = () => ({ path: "/v2/pipeline", headers: {} });

// Hrana values as /v2/pipeline takes them.
const V = {
  int: (v) => ({ type: "integer", value: String(v) }),
  float: (v) => ({ type: "float", value: v }),
  text: (v) => ({ type: "text", value: v }),
  blob: (bytes) => ({ type: "blob", base64: Buffer.from(bytes).toString("base64") }),
  null: () => ({ type: "null" }),
};

const execute = (sql, args = []) => ({ type: "execute", stmt: { sql, args } });
const close = { type: "close" };

// POSTs a pipeline through `target` ({ path, headers }); returns the HTTP answer.
function pipelineRaw(target, requests, baton = null) {
  return request(server.userPort, { method: "POST", path: target.path, headers: target.headers,
                                    body: { baton, requests } });
}

// A pipeline that must answer 200; returns its JSON ({ baton, results }).
async function pipeline(target, requests, baton = null) {
  const r = await pipelineRaw(target, requests, baton);
  assert.equal(r.status, 200, `pipeline via ${JSON.stringify(target)}: ${r.status} ${r.text}`);
  return r.json;
}

// The result of an execute that must succeed.
function okResult(result, what) {
  assert.equal(result.type, "ok", `${what}: ${JSON.stringify(result.error ?? result)}`);
  return result.response.result;
}

// Runs `statements` (SQL texts or [sql, args]) in one stream on `target`, each must
// succeed; returns the last one's rows (Hrana cells).
async function run(target, statements) {
  const requests = statements.map((s) => (Array.isArray(s) ? execute(s[0], s[1]) : execute(s)));
  const answer = await pipeline(target, [...requests, close]);
  let rows;
  answer.results.slice(0, requests.length).forEach((result, i) => {
    rows = okResult(result, `statement ${i} (${requests[i].stmt.sql.slice(0, 80)})`).rows;
  });
  return rows;
}

const inNs = (ns) => selectors["x-namespace-bin"](ns);

// Rows as plain JS values (integers as strings, blobs as base64): easy to compare.
const plain = (rows) => rows.map((row) => row.map((cell) =>
  cell.type === "null" ? null : cell.type === "blob" ? { blob: cell.base64 } : cell.value));

// A fetch for @libsql/client that adds `extra` headers to every request it sends.
const fetchWith = (extra) => (req) => {
  const headers = new Headers(req.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return fetch(new Request(req, { headers }));
};

const userUrl = () => `http://127.0.0.1:${server.userPort}`;

// A Hrana WebSocket (hrana2) whose upgrade request carries `headers`: a RawSocket once
// open, or { status, body } when the server refuses the handshake. Bounded waits.
function openWs(headers) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.userPort}`, ["hrana2"], { headers });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the WebSocket handshake (${JSON.stringify(headers)}) got no answer`));
    }, kServerWaitMs);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(new RawSocket(ws));
    });
    ws.once("unexpected-response", (req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => { body += chunk; });
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode, body });
      });
    });
    ws.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// ---------------------------------------------------------------------------------------

describe("isolation between namespaces", () => {
  test("the admin API creates ns1 and ns2 (200, empty body) and lists them", async () => {
    await createNamespace("ns1");
    await createNamespace("ns2");
    const again = await admin("POST", "/v1/namespaces/ns1/create", {});
    assert.equal(again.status, 400, "creating ns1 again");
    assert.deepEqual(again.json, { error: "Namespace `ns1` already exists" });
    const list = await admin("GET", "/v1/namespaces");
    assert.equal(list.status, 200);
    for (const name of ["default", "ns1", "ns2"]) {
      assert.ok(list.json.namespaces.includes(name), `GET /v1/namespaces lists ${name}: ${list.text}`);
    }
    const listing = dbsListing();
    assert.ok(listing.includes("ns1") && listing.includes("ns2"), `dbs/ holds ns1 and ns2: ${listing}`);
  });

  test("rows written in ns1 through every selector are read back through every selector, and nowhere else", async () => {
    // The same table in all three, so isolation shows in the rows, not as "no such table".
    for (const ns of ["ns1", "ns2", "default"]) {
      const target = ns === "default" ? defaultSelector() : inNs(ns);
      await run(target, ["create table items (id integer primary key, v text)",
                         [`insert into items (v) values (?)`, [V.text(`only-in-${ns}`)]]]);
    }
    for (const [how, select] of Object.entries(selectors)) {
      await run(select("ns1"), [[`insert into items (v) values (?)`, [V.text(`ns1 via ${how}`)]]]);
    }
    const ns1Rows = [["only-in-ns1"], ...Object.keys(selectors).map((how) => [`ns1 via ${how}`])];
    for (const [how, select] of Object.entries(selectors)) {
      const rows = await run(select("ns1"), ["select v from items order by id"]);
      assert.deepEqual(plain(rows), ns1Rows, `ns1 read through ${how}`);
    }
    for (const [how, select] of Object.entries(selectors)) {
      const rows = await run(select("ns2"), ["select v from items order by id"]);
      assert.deepEqual(plain(rows), [["only-in-ns2"]], `ns2 read through ${how} sees none of ns1's rows`);
    }
    const defaults = await run(defaultSelector(), ["select v from items order by id"]);
    assert.deepEqual(plain(defaults), [["only-in-default"]],
                     "default (no header, Host 127.0.0.1:PORT) sees none of ns1's rows");
    const localhost = await run({ path: "/v2/pipeline", headers: { host: `localhost:${server.userPort}` } },
                                ["select v from items order by id"]);
    assert.deepEqual(plain(localhost), [["only-in-default"]], "Host localhost:PORT selects default");
  });

  test("x-namespace-bin wins over x-namespace, which wins over Host", async () => {
    const bin = await run({ path: "/v2/pipeline",
                            headers: { "x-namespace-bin": base64NoPadding("ns1"), "x-namespace": "ns2",
                                       host: `default.example:${server.userPort}` } },
                          ["select v from items order by id limit 1"]);
    assert.deepEqual(plain(bin), [["only-in-ns1"]], "x-namespace-bin chose");
    const header = await run({ path: "/v2/pipeline",
                               headers: { "x-namespace": "ns2", host: `ns1.example:${server.userPort}` } },
                             ["select v from items order by id limit 1"]);
    assert.deepEqual(plain(header), [["only-in-ns2"]], "x-namespace chose");
  });

  test("@libsql/client with a fetch adding the namespace header works in each namespace", async () => {
    const clients = {
      ns1: createClient({ url: userUrl(), fetch: fetchWith({ "x-namespace-bin": base64NoPadding("ns1") }) }),
      ns2: createClient({ url: userUrl(), fetch: fetchWith({ "x-namespace": "ns2" }) }),
      default: createClient({ url: userUrl() }),
    };
    try {
      for (const [ns, client] of Object.entries(clients)) {
        // An interactive transaction: its baton must stay in the namespace.
        const tx = await client.transaction("write");
        await tx.execute({ sql: "insert into items (v) values (?)", args: [`client in ${ns}`] });
        await tx.commit();
        await client.batch([{ sql: "insert into items (v) values (?)", args: [`batch in ${ns}`] }], "write");
      }
      for (const [ns, client] of Object.entries(clients)) {
        const rs = await client.execute("select v from items where v like 'client in %' or v like 'batch in %' order by id");
        assert.deepEqual(rs.rows.map((r) => r.v), [`client in ${ns}`, `batch in ${ns}`],
                         `${ns} through @libsql/client sees only its own rows`);
      }
    } finally {
      for (const client of Object.values(clients)) client.close();
    }
  });

  test("WebSocket: the upgrade's x-namespace-bin, x-namespace or Host chooses the namespace", async () => {
    const cases = {
      "x-namespace-bin ns1": [{ "x-namespace-bin": base64NoPadding("ns1") }, "only-in-ns1"],
      "x-namespace ns2": [{ "x-namespace": "ns2" }, "only-in-ns2"],
      "Host ns1.example": [{ host: `ns1.example:${server.userPort}` }, "only-in-ns1"],
      "no header": [{}, "only-in-default"],
    };
    for (const [what, [headers, expected]] of Object.entries(cases)) {
      const socket = await openWs(headers);
      assert.ok(socket instanceof RawSocket, `${what}: the handshake was refused: ${JSON.stringify(socket)}`);
      try {
        socket.send({ type: "hello", jwt: null });
        await socket.nextMessage("hello_ok");
        await socket.call({ type: "open_stream", stream_id: 1 });
        const response = await socket.call({ type: "execute", stream_id: 1,
                                             stmt: { sql: "select v from items order by id limit 1", want_rows: true } });
        assert.deepEqual(plain(response.result.rows), [[expected]], `${what}: the first row`);
      } finally {
        socket.ws.terminate();
      }
    }
    const missing = await openWs({ "x-namespace": "nope" });
    assert.ok(!(missing instanceof RawSocket), "a WebSocket to a missing namespace is refused at the handshake");
    assert.equal(missing.status, 404, `missing namespace: ${JSON.stringify(missing)}`);
    assert.deepEqual(JSON.parse(missing.body), notFoundBody("nope"));
    const invalid = await openWs({ "x-namespace": ".." });
    assert.ok(!(invalid instanceof RawSocket), "a WebSocket naming `..` is refused at the handshake");
    assert.equal(invalid.status, 400, `invalid name: ${JSON.stringify(invalid)}`);
  });

  test("a namespace that does not exist is 404 on the user API, whichever way it is named", async () => {
    for (const [how, select] of Object.entries(selectors)) {
      const r = await pipelineRaw(select("nope"), [execute("select 1")]);
      assert.equal(r.status, 404, `${how}: status (${r.text})`);
      assert.deepEqual(r.json, notFoundBody("nope"), `${how}: body`);
    }
    const upper = await pipelineRaw(selectors.Host("NS1"), [execute("select 1")]);
    assert.equal(upper.status, 404, `names are case-sensitive: Host NS1.example (${upper.text})`);
    assert.deepEqual(upper.json, notFoundBody("NS1"));
    const dump = await request(server.userPort, { path: "/dump", headers: { "x-namespace": "nope" } });
    assert.equal(dump.status, 404, "GET /dump of a missing namespace");
    assert.deepEqual(dump.json, notFoundBody("nope"));
    assert.ok(!dbsListing().includes("nope"), "no directory for the missing namespace");
  });
});

// ---------------------------------------------------------------------------------------

describe("deleting namespaces", () => {
  test("deleting ns2 leaves ns1 and default intact; ns2 is then 404 and re-created empty", async () => {
    const before = {
      ns1: plain(await run(inNs("ns1"), ["select id, v from items order by id"])),
      default: plain(await run(defaultSelector(), ["select id, v from items order by id"])),
    };
    assert.ok(before.ns1.length > 1 && before.default.length > 1, "ns1 and default hold data");
    await deleteNamespace("ns2");
    for (const [how, select] of Object.entries(selectors)) {
      const r = await pipelineRaw(select("ns2"), [execute("select v from items")]);
      assert.equal(r.status, 404, `ns2 through ${how} after delete (${r.text})`);
      assert.deepEqual(r.json, notFoundBody("ns2"));
    }
    const config = await admin("GET", "/v1/namespaces/ns2/config");
    assert.equal(config.status, 404, "GET config of the deleted ns2");
    assert.ok(!dbsListing().includes("ns2"), `dbs/ no longer holds ns2: ${dbsListing()}`);
    const list = await admin("GET", "/v1/namespaces");
    assert.ok(!list.json.namespaces.includes("ns2"), `ns2 is not listed: ${list.text}`);

    assert.deepEqual(plain(await run(inNs("ns1"), ["select id, v from items order by id"])), before.ns1,
                     "ns1 rows after ns2 was deleted");
    assert.deepEqual(plain(await run(defaultSelector(), ["select id, v from items order by id"])), before.default,
                     "default rows after ns2 was deleted");

    await createNamespace("ns2");
    const schema = await run(inNs("ns2"), ["select count(*) from sqlite_schema"]);
    assert.deepEqual(plain(schema), [["0"]], "the re-created ns2 is an empty database");
  });

  test("deleting a namespace that does not exist is 404", async () => {
    const r = await admin("DELETE", "/v1/namespaces/never-was");
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, notFoundBody("never-was"));
    const twice = await admin("POST", "/v1/namespaces/gone-twice/create", {});
    assert.equal(twice.status, 200);
    await deleteNamespace("gone-twice");
    const again = await admin("DELETE", "/v1/namespaces/gone-twice");
    assert.equal(again.status, 404, "the second delete");
    assert.deepEqual(again.json, notFoundBody("gone-twice"));
  });

  test("deleting a namespace while writers use it: they get 200 or 404, never a 5xx or a dropped connection", async () => {
    // Several rounds with many writers: a request the gate admitted just before the delete
    // may still be waiting for its connection when the directory goes.
    const kRounds = 10;
    const kWriters = 12;
    const statuses = {};
    const failures = [];
    const stepErrors = new Set();
    for (let round = 1; round <= kRounds && failures.length === 0; ++round) {
      const name = `busy${round}`;
      await createNamespace(name);
      await run(inNs(name), ["create table t (x)"]);
      const seen = { ok: 0, gone: 0 };
      let stop = false;
      const writers = Array.from({ length: kWriters }, async () => {
        while (!stop) {
          try {
            const r = await pipelineRaw(inNs(name), [execute("begin immediate"),
                                                     execute("insert into t values (randomblob(1000))"),
                                                     execute("commit"), close]);
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 200) {
              ++seen.ok;
              for (const result of r.json.results) if (result.type === "error") stepErrors.add(result.error.message);
            } else if (r.status === 404) {
              assert.deepEqual(r.json, notFoundBody(name), "the 404 body");
              ++seen.gone;
            } else {
              failures.push(`round ${round}: ${r.status} ${r.text.slice(0, 300)}`);
            }
          } catch (e) {
            failures.push(`round ${round}: ${e.message}`);
          }
        }
      });
      // Bounded polls rather than fixed sleeps: a loaded machine only makes them longer.
      const until = async (predicate, what) => {
        const deadline = Date.now() + 10000;
        while (!predicate() && failures.length === 0) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(statuses)}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      try {
        await until(() => seen.ok >= 2 * kWriters, `writes to ${name} to succeed`);
        await deleteNamespace(name);
        await until(() => seen.gone >= kWriters, `writes to ${name} to be refused after the delete`);
      } finally {
        stop = true;
        await Promise.all(writers);
      }
      assert.ok(!dbsListing().includes(name), `${name} is gone from dbs/`);
    }
    assert.deepEqual(failures, [], `writers racing a delete (statuses ${JSON.stringify(statuses)}; ` +
                                   `step errors in 200s: ${JSON.stringify([...stepErrors])})`);
    assert.equal((await request(server.userPort, { path: "/health" })).status, 200, "the server is healthy");
  });

  test("deleting a namespace while an HTTP stream holds a transaction: the baton then fails cleanly", async () => {
    await createNamespace("doomed");
    const target = inNs("doomed");
    await run(target, ["create table t (x)"]);
    const open = await pipeline(target, [execute("begin"), execute("insert into t values (1)")]);
    open.results.forEach((r, i) => okResult(r, `open stream step ${i}`));
    assert.ok(open.baton, "the open transaction has a baton");

    await deleteNamespace("doomed");

    const later = await pipelineRaw(target, [execute("insert into t values (2)"), execute("commit")], open.baton);
    assert.ok(later.status === 404 || later.status === 400,
              `the baton on the deleted namespace: 404 or 400, got ${later.status} ${later.text}`);
    assert.ok(later.text.length > 0, "the refusal says why");
    const elsewhere = await pipelineRaw(defaultSelector(), [execute("commit")], open.baton);
    assert.equal(elsewhere.status, 400, `the baton sent to default: ${elsewhere.text}`);

    const health = await request(server.userPort, { path: "/health" });
    assert.equal(health.status, 200, "the server is healthy");
    assert.ok(plain(await run(inNs("ns1"), ["select count(*) from items"]))[0][0] > 0, "ns1 still answers");
    const gone = await pipelineRaw(target, [execute("select 1")]);
    assert.equal(gone.status, 404, "doomed stays deleted after the baton's use");
    assert.ok(!dbsListing().includes("doomed"), `no doomed directory came back: ${dbsListing()}`);

    await createNamespace("doomed");
    assert.deepEqual(plain(await run(target, ["select count(*) from sqlite_schema"])), [["0"]],
                     "the re-created doomed holds nothing of the old transaction");
    await deleteNamespace("doomed");
  });
});

// ---------------------------------------------------------------------------------------

describe("hostile namespace names", () => {
  // Raw path segments, sent as written.
  const hostilePaths = {
    "%2E%2E (..)": "%2E%2E",
    "%2e%2e (.. lower case)": "%2e%2e",
    "a%2Fb (a/b)": "a%2Fb",
    "%2E%2E%2Fescape": "%2E%2E%2Fescape",
    "%00 (NUL)": "%00",
    "x%00y": "x%00y",
    "300 chars": "n".repeat(300),
    "64 chars": "n".repeat(64),
    "%C3%A9t%C3%A9 (été)": "%C3%A9t%C3%A9",
    "%20 (space)": "%20",
    "a%20b": "a%20b",
    ".hidden": ".hidden",
    ".creating-ns1": ".creating-ns1",
    ".trash-ns1": ".trash-ns1",
    "dot.name": "dot.name",
    "%5C (backslash)": "%5C",
  };

  test("admin create, config, fork and delete refuse them with 400, and nothing appears in dbs/", async () => {
    const listing = dbsListing();
    for (const [what, segment] of Object.entries(hostilePaths)) {
      const checks = [
        ["POST", `/v1/namespaces/${segment}/create`, {}],
        ["POST", `/v1/namespaces/${segment}/create`, { dump_url: null }],
        ["GET", `/v1/namespaces/${segment}/config`],
        ["POST", `/v1/namespaces/ns1/fork/${segment}`],
        ["DELETE", `/v1/namespaces/${segment}`],
      ];
      for (const [method, path, body] of checks) {
        const r = await admin(method, path, body);
        assert.equal(r.status, 400, `${method} ${path} (${what}): ${r.status} ${r.text}`);
        assert.match(r.json?.error ?? "", /^Invalid namespace: /, `${method} ${path} (${what}): body ${r.text}`);
      }
    }
    assert.deepEqual(dbsListing(), listing, "dbs/ is unchanged");
    const list = await admin("GET", "/v1/namespaces");
    assert.deepEqual(list.json.namespaces.filter((n) => !/^[A-Za-z0-9_-]+$/.test(n)), [],
                     `only plain names listed: ${list.text}`);
  });

  test("the user API refuses them with 400 in x-namespace, x-namespace-bin and /dev/<ns>/", async () => {
    const listing = dbsListing();
    const names = ["..", ".", "a/b", "../default", "n".repeat(300), "n".repeat(64), "été", "a b",
                   ".hidden", ".creating-x", "dot.name", "a\\b", "\0", "x\0y"];
    for (const name of names) {
      const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 10)}…(${name.length})` : name);
      const bin = await pipelineRaw({ path: "/v2/pipeline", headers: { "x-namespace-bin": base64NoPadding(name) } },
                                    [execute("select 1")]);
      assert.equal(bin.status, 400, `x-namespace-bin ${shown}: ${bin.status} ${bin.text}`);
      assert.match(bin.json?.error ?? "", /^Invalid namespace/, `x-namespace-bin ${shown}: ${bin.text}`);
      if (!name.includes("\0")) {
        // Header bytes are the UTF-8 of the name (node sends latin1 strings byte for byte).
        const header = await pipelineRaw({ path: "/v2/pipeline",
                                           headers: { "x-namespace": Buffer.from(name, "utf8").toString("latin1") } },
                                         [execute("select 1")]);
        assert.equal(header.status, 400, `x-namespace ${shown}: ${header.status} ${header.text}`);
        assert.match(header.json?.error ?? "", /^Invalid namespace: /, `x-namespace ${shown}: ${header.text}`);
      }
    }
    for (const segment of ["%2E%2E", "a%2Fb", "%00", ".hidden", "%C3%A9t%C3%A9", "n".repeat(300)]) {
      const r = await pipelineRaw({ path: `/dev/${segment}/v2/pipeline`, headers: {} }, [execute("select 1")]);
      assert.equal(r.status, 400, `/dev/${segment.slice(0, 20)}/v2/pipeline: ${r.status} ${r.text}`);
    }
    assert.deepEqual(dbsListing(), listing, "dbs/ is unchanged");
  });

  test("x-namespace-bin with padding or bytes outside base64 is 400", async () => {
    for (const value of [Buffer.from("ns12").toString("base64") /* bnMxMg== */, "bnMx=", "!!!", "bn Mx", "bnMx*"]) {
      const r = await pipelineRaw({ path: "/v2/pipeline", headers: { "x-namespace-bin": value } }, [execute("select 1")]);
      assert.equal(r.status, 400, `x-namespace-bin ${JSON.stringify(value)}: ${r.status} ${r.text}`);
      assert.match(r.json?.error ?? "", /^Invalid namespace/, `x-namespace-bin ${JSON.stringify(value)}: ${r.text}`);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe("GET /dump and namespaces created from a dump", () => {
  const kInt64Max = "9223372036854775807";
  const kInt64Min = "-9223372036854775808";
  const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

  // [key, SQL expression or bound value] for the untyped column vals.v.
  const values = [
    ["int zero", V.int(0)], ["int one", V.int(1)], ["int minus one", V.int(-1)],
    ["int64 max", V.int(kInt64Max)], ["int64 min", V.int(kInt64Min)], ["2^53+1", V.int("9007199254740993")],
    ["real 0.1", V.float(0.1)], ["real 1e300", V.float(1e300)], ["real -0.0", "-0.0"],
    ["real 5e-324", V.float(5e-324)], ["real max", V.float(1.7976931348623157e308)],
    ["real -2.5e-10", V.float(-2.5e-10)], ["real 100.0", V.float(100)], ["real 1/3", V.float(1 / 3)],
    ["text quote", V.text("it's a 'quoted' \"text\"")], ["text newline", V.text("line\nbreak\n")],
    ["text cr", V.text("cr\rhere\r\n")], ["text unicode", V.text("é☃😀 ünï")], ["text empty", V.text("")],
    ["text tab", V.text("tab\there")], ["text sql", V.text("'); DROP TABLE vals; --")],
    ["blob empty", V.blob([])], ["blob 00ff10", V.blob([0x00, 0xff, 0x10])], ["blob 0..255", V.blob(allBytes)],
    ["null", V.null()],
  ];

  const setup = [
    "create table vals (id integer primary key, k text not null, v)",
    "create table typed (i integer, r real, t text, b blob, n numeric)",
    "create table auto (id integer primary key autoincrement, v text)",
    "create table nr (k text primary key, v) without rowid",
    "create table holes (x)",
    "create table \"odd name\" (\"col q\" text)",
    "create index typed_i on typed (i)",
    "create unique index auto_v on auto (v)",
    "create index typed_t_partial on typed (t) where t is not null and i > 0",
    "create view vals_view as select k, typeof(v) as type from vals",
    // Created before the rows it reacts to: the dump must not fire it again on load.
    "create trigger auto_log after insert on auto begin insert into holes (x) values ('trigger: ' || new.v); end",
  ];
  const rows = [
    ...values.map(([k, v]) => (typeof v === "string"
      ? [`insert into vals (k, v) values (?, ${v})`, [V.text(k)]]
      : ["insert into vals (k, v) values (?, ?)", [V.text(k), v]])),
    ["insert into typed values (?, ?, ?, ?, ?)", [V.int(kInt64Max), V.float(0.1), V.text("a\nb"), V.blob([1, 2]), V.text("12")]],
    ["insert into typed values (?, ?, ?, ?, ?)", [V.int(kInt64Min), V.float(-0.5), V.null(), V.blob([]), V.float(1.5)]],
    "insert into typed values (-5, -0.0, 'neg', x'', 'not a number')",
    "insert into typed values (null, 1e300, '', null, null)",
    "insert into auto (v) values ('a'), ('b'), ('c')",
    "delete from auto where v in ('b', 'c')",  // sqlite_sequence keeps 3, above max(id)
    "insert into nr values ('k2', x'00'), ('k1', 1), ('k3', null)",
    "insert into holes (rowid, x) values (5, 'five'), (10, 'ten')",
    "insert into \"odd name\" values ('w')",
  ];

  // What the tests compare: every table's rows with their types, the schema, the view.
  const probes = [
    "select id, k, typeof(v), v from vals order by id",
    "select rowid, typeof(i), i, typeof(r), r, typeof(t), t, typeof(b), b, typeof(n), n from typed order by rowid",
    "select id, v from auto order by id",
    "select name, seq from sqlite_sequence order by name",
    "select k, typeof(v), v from nr order by k",
    "select rowid, x from holes order by rowid",
    "select rowid, \"col q\" from \"odd name\" order by rowid",
    "select k, type from vals_view order by k",
    "select type, name, tbl_name, sql from sqlite_schema order by type, name",
    "pragma integrity_check",
  ];
  async function probe(ns) {
    const out = {};
    for (const sql of probes) out[sql] = await run(inNs(ns), [sql]);
    return out;
  }

  let dumpText;
  let original;  // probe("dumpsrc")
  let sqlite3Available;

  before(async () => {
    sqlite3Available = existsSync(kSqlite3);
    await createNamespace("dumpsrc");
    await run(inNs("dumpsrc"), [...setup, ...rows]);
    original = await probe("dumpsrc");
  });

  test("the source namespace holds exactly the values written", async () => {
    const vals = original[probes[0]];
    const byKey = Object.fromEntries(vals.map((row) => [row[1].value, row[3]]));
    assert.deepEqual(byKey["int64 max"], { type: "integer", value: kInt64Max });
    assert.deepEqual(byKey["int64 min"], { type: "integer", value: kInt64Min });
    assert.ok(Object.is(byKey["real -0.0"].value, -0), `-0.0 reads back as ${JSON.stringify(byKey["real -0.0"])}`);
    assert.equal(byKey["real 5e-324"].value, 5e-324);
    assert.equal(byKey["real 1e300"].value, 1e300);
    assert.equal(byKey["text cr"].value, "cr\rhere\r\n");
    assert.equal(byKey["text unicode"].value, "é☃😀 ünï");
    assert.deepEqual(Buffer.from(byKey["blob 0..255"].base64, "base64"), Buffer.from(allBytes));
    assert.equal(byKey["blob empty"].type, "blob");
    assert.equal(byKey["null"].type, "null");
    assert.deepEqual(plain(original["select rowid, x from holes order by rowid"]),
                     [["1", "trigger: a"], ["2", "trigger: b"], ["3", "trigger: c"], ["5", "five"], ["10", "ten"]]);
    assert.deepEqual(plain(original["select name, seq from sqlite_sequence order by name"]), [["auto", "3"]]);
  });

  test("GET /dump of the namespace is a whole dump that the sqlite3 CLI loads into the same database", async (t) => {
    const r = await request(server.userPort, { path: "/dump", headers: { "x-namespace-bin": base64NoPadding("dumpsrc") } });
    assert.equal(r.status, 200, `GET /dump: ${r.text.slice(0, 300)}`);
    dumpText = r.text;
    assert.ok(dumpText.startsWith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"), `dump opening: ${dumpText.slice(0, 100)}`);
    assert.ok(dumpText.endsWith("COMMIT;\n"), `dump ending: ${dumpText.slice(-100)}`);
    assert.ok(!dumpText.includes("only-in-ns1"), "the dump holds no other namespace's rows");
    const other = await request(server.userPort, { path: "/dump", headers: { "x-namespace": "ns1" } });
    assert.equal(other.status, 200);
    assert.ok(other.text.includes("only-in-ns1") && !other.text.includes("int64 max"), "ns1's dump is ns1's");
    writeFileSync(join(workDir, "dumpsrc.sql"), dumpText);

    if (!sqlite3Available) {
      t.skip(`${kSqlite3} is not installed: the dump is not loaded into stock SQLite`);
      return;
    }
    const checkpoint = await admin("POST", "/v1/namespaces/dumpsrc/checkpoint");
    assert.equal(checkpoint.status, 200, `checkpoint: ${checkpoint.text}`);
    const originalFile = join(workDir, "original.db");
    copyFileSync(join(server.dataDir, "dbs", "dumpsrc", "data"), originalFile);

    const loadedFile = join(workDir, "loaded.db");
    const load = spawnSync(kSqlite3, ["-bail", loadedFile], { input: dumpText, encoding: "utf8", timeout: kServerWaitMs });
    assert.equal(load.status, 0, `sqlite3 loading the dump: status ${load.status}, stderr ${load.stderr}`);
    assert.equal(load.stderr, "", "sqlite3 printed no error while loading the dump");

    const cliDump = (file) => {
      const out = spawnSync(kSqlite3, [file, ".dump"], { encoding: "utf8", timeout: kServerWaitMs });
      assert.equal(out.status, 0, `sqlite3 ${file} .dump: ${out.stderr}`);
      return out.stdout;
    };
    const expected = cliDump(originalFile);
    assert.ok(expected.includes("int64 max"), "the copied namespace file holds the rows (checkpointed)");
    assert.equal(cliDump(loadedFile), expected, "sqlite3 .dump of the loaded file equals that of the namespace's file");
    const check = spawnSync(kSqlite3, [loadedFile, "pragma integrity_check"], { encoding: "utf8", timeout: kServerWaitMs });
    assert.equal(check.stdout.trim(), "ok", "integrity_check of the loaded file");
  });

  test("a namespace created from the dump (dump_url file:) reads back row for row, types included", async () => {
    assert.ok(dumpText, "GET /dump ran");
    const file = join(workDir, "dumpsrc.sql");
    await createNamespace("fromdump", { dump_url: `file:${file}` });
    const loaded = await probe("fromdump");
    for (const sql of probes) {
      assert.deepEqual(loaded[sql], original[sql], `${sql}: the dump-created namespace differs from the source`);
    }
    const again = await request(server.userPort, { path: "/dump", headers: { "x-namespace": "fromdump" } });
    assert.equal(again.status, 200);
    assert.equal(again.text, dumpText, "the dump-created namespace dumps to the same text");
    await createNamespace("fromdump2", { dump_url: `file://${file}` });
    assert.deepEqual(await probe("fromdump2"), original, "file:// URL form");
  });

  test("bad dumps and bad dump URLs are 400 and create nothing", async () => {
    const write = (name, text) => {
      const path = join(workDir, name);
      writeFileSync(path, text);
      return path;
    };
    const noCommit = write("no_commit.sql", "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE d (x);\nINSERT INTO d VALUES(1);\n");
    const attach = write("attach.sql",
                         "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nATTACH DATABASE 'x.db' AS x;\nCREATE TABLE d (x);\nCOMMIT;\n");
    const attachLate = write("attach_late.sql",
                             `PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE d (x);\nATTACH DATABASE '${join(workDir, "evil.db")}' AS x;\nCREATE TABLE x.e (y);\nCOMMIT;\n`);
    const syntax = write("syntax.sql", "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE d (x;\nCOMMIT;\n");
    const failing = write("failing.sql",
                          "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE d (x unique);\nINSERT INTO d VALUES(1);\nINSERT INTO d VALUES(1);\nCOMMIT;\n");
    const cases = [
      ["missing COMMIT", `file:${noCommit}`, "The dump should commit the transaction."],
      ["ATTACH", `file:${attach}`],
      ["ATTACH after rows", `file:${attachLate}`],
      ["syntax error", `file:${syntax}`],
      ["relative path", "file:no_commit.sql"],
      ["relative path with dirs", `file:${join("..", "x", "no_commit.sql")}`],
      ["missing file", `file:${join(workDir, "does-not-exist.sql")}`],
      ["a directory", `file:${workDir}`],
      ["unsupported scheme", "ftp://127.0.0.1/x.sql"],
    ];
    const listing = dbsListing();
    for (const [what, url, message] of cases) {
      const r = await admin("POST", "/v1/namespaces/baddump/create", { dump_url: url });
      assert.equal(r.status, 400, `${what} (${url}): ${r.status} ${r.text}`);
      assert.equal(typeof r.json?.error, "string", `${what}: a JSON error body (${r.text})`);
      if (message) assert.equal(r.json.error, message, `${what}: message`);
      const config = await admin("GET", "/v1/namespaces/baddump/config");
      assert.equal(config.status, 404, `${what}: no namespace was created`);
    }
    // A unique-constraint failure while loading is a refusal too, and leaves nothing.
    const r = await admin("POST", "/v1/namespaces/baddump/create", { dump_url: `file:${failing}` });
    assert.ok(r.status === 400 || r.status === 500, `a dump failing midway: ${r.status} ${r.text}`);
    assert.equal((await admin("GET", "/v1/namespaces/baddump/config")).status, 404, "failing dump: nothing created");
    assert.deepEqual(dbsListing(), listing, "dbs/ is unchanged by the refused dumps");
    assert.ok(!existsSync(join(workDir, "evil.db")), "the ATTACH in a dump created no file");
  });

  // The server's resident memory now, in KiB (Linux /proc).
  const residentKib = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

  test("a 48 MB dump streams in chunks while the server's memory stays flat; a client leaving mid-dump stops it", { timeout: 60000 }, async (t) => {
    await createNamespace("bigdump");
    const target = inNs("bigdump");
    await run(target, [
      "CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB)",
      "INSERT INTO big(b) SELECT randomblob(8000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) SELECT i FROM n)",
    ]);
    const before = residentKib(server.pid);
    let peak = before;
    const outcome = await new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: server.userPort, path: "/dump",
                             headers: { "x-namespace-bin": base64NoPadding("bigdump") } }, (res) => {
        let bytes = 0;
        let inserts = 0;
        let carry = "";
        let last = "";
        res.on("data", (chunk) => {
          bytes += chunk.length;
          peak = Math.max(peak, residentKib(server.pid));
          const text = carry + chunk.toString("latin1");
          const lines = text.split("\n");
          carry = lines.pop();
          for (const line of lines) {
            if (line.startsWith("INSERT INTO big ")) ++inserts;
            last = line;
          }
        });
        res.on("error", reject);
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, bytes, inserts, last }));
      });
      req.setTimeout(45000, () => req.destroy(new Error("GET /dump: no end within 45 s")));
      req.on("error", reject);
    });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.headers["transfer-encoding"], "chunked", "the dump is streamed, not sized up front");
    assert.ok(outcome.bytes > 48_000_000, `the dump holds every blob in hex: ${outcome.bytes} bytes`);
    assert.equal(outcome.inserts, 3000, "one INSERT per row");
    assert.equal(outcome.last, "COMMIT;", "the dump ends with its COMMIT");
    const grewMib = (peak - before) / 1024;
    if (process.env.LIBSQL_COMPAT_SANITIZED) {
      // ASan keeps freed memory in quarantine, so resident size measures ASan (make asan
      // sets this); the bound is checked by the normal build.
      t.diagnostic(`memory bound not checked under ASan (grew ${grewMib.toFixed(1)} MiB)`);
    } else {
      assert.ok(grewMib < 16, `the server's memory grew ${grewMib.toFixed(1)} MiB while sending a 48 MB dump`);
    }

    // A client that leaves after the first chunk: the server stops, stays healthy, and the
    // namespace takes writes and a whole dump again.
    await new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: server.userPort, path: "/dump", agent: false,
                             headers: { "x-namespace-bin": base64NoPadding("bigdump") } }, (res) => {
        res.once("data", () => { req.destroy(); resolve(); });
      });
      req.on("error", (e) => (e.code === "ECONNRESET" ? resolve() : reject(e)));
      req.setTimeout(15000, () => req.destroy(new Error("no first chunk within 15 s")));
    });
    await run(target, ["DELETE FROM big WHERE id > 10"]);
    const again = await request(server.userPort, { path: "/dump", headers: { "x-namespace-bin": base64NoPadding("bigdump") } });
    assert.equal(again.status, 200);
    assert.equal(again.text.split("\n").filter((l) => l.startsWith("INSERT INTO big ")).length, 10);
    assert.equal((await request(server.userPort, { path: "/health" })).status, 200);
  });
});

// ---------------------------------------------------------------------------------------

describe("fork while writes continue", () => {
  test("each fork is one commit's snapshot (whole transactions only), independent of its source", { timeout: 45000 }, async () => {
    await createNamespace("src");
    await run(inNs("src"), ["create table t (id integer primary key, tx integer not null)"]);

    // One writer: every transaction inserts ids 10k+1..10k+10, so a consistent snapshot
    // holds ids 1..count with count % 10 == 0.
    let stop = false;
    let committed = 0;
    const writerErrors = [];
    const writer = (async () => {
      for (let k = 0; !stop && k < 100000; ++k) {
        const inserts = Array.from({ length: 10 }, (_, i) =>
          execute("insert into t (id, tx) values (?, ?)", [V.int(k * 10 + i + 1), V.int(k)]));
        try {
          const answer = await pipeline(inNs("src"), [execute("begin immediate"), ...inserts, execute("commit"), close]);
          const failed = answer.results.findIndex((r) => r.type !== "ok");
          if (failed >= 0) {
            writerErrors.push(`transaction ${k}, step ${failed}: ${JSON.stringify(answer.results[failed].error)}`);
            return;
          }
          committed = k + 1;
        } catch (e) {
          writerErrors.push(`transaction ${k}: ${e.message}`);
          return;
        }
      }
    })();

    const waitFor = async (predicate, what) => {
      const deadline = Date.now() + 15000;
      while (!predicate()) {
        if (writerErrors.length) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    const forks = [];
    try {
      await waitFor(() => committed >= 3, "the writer's first transactions");
      for (let i = 1; i <= 5 && !writerErrors.length; ++i) {
        const name = `dst${i}`;
        const r = await admin("POST", `/v1/namespaces/src/fork/${name}`);
        assert.equal(r.status, 200, `fork ${name}: ${r.status} ${r.text}`);
        assert.equal(r.text, "", `fork ${name}: body`);
        forks.push(name);
        const at = committed;
        await waitFor(() => committed >= at + 2, `the writer to go on after ${name}`);
      }
    } finally {
      stop = true;
      await writer;
    }
    assert.deepEqual(writerErrors, [], "forking never failed a writer's transaction");
    assert.equal(forks.length, 5, "five forks taken");

    // A transaction still open on src when a fork is taken: the fork holds none of it.
    const open = await pipeline(inNs("src"), [execute("begin"), execute("insert into t (id, tx) values (30000001, -3)")]);
    open.results.forEach((r, i) => okResult(r, `open transaction step ${i}`));
    const forkDuringTx = await admin("POST", "/v1/namespaces/src/fork/during-tx");
    assert.equal(forkDuringTx.status, 200, `fork while a transaction is open: ${forkDuringTx.text}`);
    const rolledBack = await pipeline(inNs("src"), [execute("rollback"), close], open.baton);
    okResult(rolledBack.results[0], "the open transaction rolls back");
    const duringTx = plain(await run(inNs("during-tx"), ["select count(*), max(id) from t"]));
    assert.deepEqual(duringTx, [[String(committed * 10), String(committed * 10)]],
                     "the fork taken during an open transaction holds only committed rows");

    const onto = await admin("POST", "/v1/namespaces/src/fork/dst1");
    assert.equal(onto.status, 400, "fork onto an existing namespace");
    assert.deepEqual(onto.json, { error: "Namespace `dst1` already exists" });
    const missing = await admin("POST", "/v1/namespaces/missing-src/fork/dst9");
    assert.equal(missing.status, 404, "fork of a missing namespace");
    assert.deepEqual(missing.json, notFoundBody("missing-src"));

    const summary = async (ns) => {
      const [[count, min, max, badTx]] = plain(await run(inNs(ns), [
        "select count(*), min(id), max(id), sum(tx != (id - 1) / 10) from t"]));
      return { count: Number(count), min, max, badTx };
    };
    const counts = [];
    for (const name of forks) {
      const s = await summary(name);
      counts.push(s.count);
      assert.ok(s.count > 0, `${name} holds the rows committed before it (${s.count})`);
      assert.equal(s.count % 10, 0, `${name}: ${s.count} rows is not whole transactions`);
      assert.deepEqual([s.min, s.max], ["1", String(s.count)], `${name}: ids are 1..count, contiguous`);
      assert.equal(s.badTx, "0", `${name}: every row belongs to its transaction`);
    }
    for (let i = 1; i < counts.length; ++i) {
      assert.ok(counts[i] > counts[i - 1], `forks taken later hold more: ${counts.join(", ")}`);
    }
    const srcCount = (await summary("src")).count;
    assert.equal(srcCount, committed * 10, "src holds every committed transaction");
    assert.ok(srcCount > counts[counts.length - 1], "src went on after the last fork");

    // Independence both ways.
    await run(inNs("dst1"), ["insert into t (id, tx) values (10000001, -1)"]);
    assert.equal((await summary("src")).count, srcCount, "writing dst1 does not change src");
    await run(inNs("src"), ["insert into t (id, tx) values (20000001, -2)"]);
    const dst1 = plain(await run(inNs("dst1"), ["select count(*), max(id) from t"]));
    assert.deepEqual(dst1, [[String(counts[0] + 1), "10000001"]], "writing src does not change dst1");
    const srcMax = plain(await run(inNs("src"), ["select count(*), max(id) from t"]));
    assert.deepEqual(srcMax, [[String(srcCount + 1), "20000001"]], "src has its own row, not dst1's");
  });
});

// ---------------------------------------------------------------------------------------

describe("namespace config: blocks and size limit", () => {
  const blocked = (reason) => ({ message: `Operation was blocked: ${reason}`, code: "BLOCKED" });
  // A failure halfway must not leave ns1 blocked for the suites after this one.
  after(() => admin("POST", "/v1/namespaces/ns1/config", { block_writes: false, block_reads: false }));

  test("block_writes: INSERT gets BLOCKED, the stream survives and SELECT works; GET config reflects it", async () => {
    const set = await admin("POST", "/v1/namespaces/ns1/config",
                            { block_writes: true, block_reads: false, block_reason: "maintenance" });
    assert.equal(set.status, 200, `POST config: ${set.text}`);
    assert.equal(set.text, "");
    const config = await admin("GET", "/v1/namespaces/ns1/config");
    assert.equal(config.status, 200);
    assert.equal(config.json.block_writes, true, `config: ${config.text}`);
    assert.equal(config.json.block_reads, false, `config: ${config.text}`);
    assert.equal(config.json.block_reason, "maintenance", `config: ${config.text}`);

    const answer = await pipeline(inNs("ns1"), [
      execute("select count(*) from items"), execute("insert into items (v) values ('blocked')"),
      execute("select 2")]);
    okResult(answer.results[0], "SELECT before the INSERT");
    assert.deepEqual(answer.results[1], { type: "error", error: blocked("maintenance") }, "the INSERT");
    okResult(answer.results[2], "SELECT after the INSERT");
    assert.ok(answer.baton, "the stream goes on");
    const more = await pipeline(inNs("ns1"), [execute("select count(*) from items where v = 'blocked'"), close],
                                answer.baton);
    assert.deepEqual(plain(okResult(more.results[0], "SELECT on the same stream").rows), [["0"]],
                     "the stream survived and nothing was written");
    for (const sql of ["create table nope (x)", "update items set v = v", "delete from items"]) {
      const r = await pipeline(inNs("ns1"), [execute(sql), close]);
      assert.deepEqual(r.results[0], { type: "error", error: blocked("maintenance") }, sql);
    }

    // Through the official client: LibsqlError with the server's code.
    const client = createClient({ url: userUrl(), fetch: fetchWith({ "x-namespace": "ns1" }) });
    try {
      await assert.rejects(client.execute("insert into items (v) values ('x')"),
                           (e) => e.code === "BLOCKED" && /Operation was blocked: maintenance/.test(e.message),
                           "@libsql/client INSERT");
      assert.ok((await client.execute("select count(*) as n from items")).rows[0].n > 0, "@libsql/client SELECT");
    } finally {
      client.close();
    }
    // Other namespaces are not blocked.
    await run(defaultSelector(), ["insert into items (v) values ('default while ns1 blocked')"]);
  });

  test("block_reads blocks SELECT too; unblocking restores reads and writes", async () => {
    const set = await admin("POST", "/v1/namespaces/ns1/config",
                            { block_writes: false, block_reads: true, block_reason: "reads off" });
    assert.equal(set.status, 200, set.text);
    const config = await admin("GET", "/v1/namespaces/ns1/config");
    assert.equal(config.json.block_reads, true, config.text);
    assert.equal(config.json.block_writes, false, config.text);
    assert.equal(config.json.block_reason, "reads off", config.text);
    const answer = await pipeline(inNs("ns1"), [execute("select 1"), execute("select count(*) from items"), close]);
    assert.deepEqual(answer.results[0], { type: "error", error: blocked("reads off") }, "SELECT 1");
    assert.deepEqual(answer.results[1], { type: "error", error: blocked("reads off") }, "SELECT from a table");

    const unset = await admin("POST", "/v1/namespaces/ns1/config", { block_writes: false, block_reads: false });
    assert.equal(unset.status, 200, unset.text);
    const cleared = await admin("GET", "/v1/namespaces/ns1/config");
    assert.equal(cleared.json.block_reads, false, cleared.text);
    assert.equal(cleared.json.block_writes, false, cleared.text);
    assert.equal(cleared.json.block_reason, null, `leaving block_reason out clears it: ${cleared.text}`);
    const rows = await run(inNs("ns1"), ["insert into items (v) values ('after unblock')",
                                         "select count(*) from items where v = 'after unblock'"]);
    assert.deepEqual(plain(rows), [["1"]], "writes work again");
  });

  test("config of a missing namespace is 404; a config body without the block fields is refused", async () => {
    const get = await admin("GET", "/v1/namespaces/missing/config");
    assert.equal(get.status, 404);
    assert.deepEqual(get.json, notFoundBody("missing"));
    const post = await admin("POST", "/v1/namespaces/missing/config", { block_writes: true, block_reads: false });
    assert.equal(post.status, 404);
    const partial = await admin("POST", "/v1/namespaces/ns1/config", {});
    assert.ok(partial.status >= 400 && partial.status < 500, `POST config {}: ${partial.status} ${partial.text}`);
    const still = await admin("GET", "/v1/namespaces/ns1/config");
    assert.equal(still.json.block_writes, false, "the refused POST changed nothing");
  });

  test("max_db_size 20kb: a 50 KB insert fails with SQLITE_FULL", async () => {
    await createNamespace("sized");
    await run(inNs("sized"), ["create table big (b blob)"]);
    const set = await admin("POST", "/v1/namespaces/sized/config",
                            { block_writes: false, block_reads: false, max_db_size: "20kb" });
    assert.equal(set.status, 200, set.text);
    const config = await admin("GET", "/v1/namespaces/sized/config");
    assert.ok(config.json.max_db_size !== null && config.json.max_db_size !== undefined,
              `GET config shows the limit: ${config.text}`);
    const answer = await pipeline(inNs("sized"), [execute("insert into big values (randomblob(50000))"), close]);
    assert.equal(answer.results[0].type, "error", `the 50 KB insert: ${JSON.stringify(answer.results[0])}`);
    assert.equal(answer.results[0].error.code, "SQLITE_FULL", JSON.stringify(answer.results[0].error));
    assert.match(answer.results[0].error.message, /database or disk is full/);
    const count = await run(inNs("sized"), ["select count(*) from big"]);
    assert.deepEqual(plain(count), [["0"]], "nothing was written");
    const bigger = await admin("POST", "/v1/namespaces/sized/config",
                               { block_writes: false, block_reads: false, max_db_size: "10mb" });
    assert.equal(bigger.status, 200, bigger.text);
    await run(inNs("sized"), ["insert into big values (randomblob(50000))"]);
    assert.deepEqual(plain(await run(inNs("sized"), ["select count(*) from big"])), [["1"]],
                     "a larger limit lets the insert through");
  });
});

// ---------------------------------------------------------------------------------------

describe("admin auth, metrics and stats", () => {
  test("concurrent creates (or forks) of one name: exactly one succeeds, the others are 400", async () => {
    const creates = await Promise.all(Array.from({ length: 16 }, () => admin("POST", "/v1/namespaces/raced/create", {})));
    assert.deepEqual(creates.map((r) => r.status).sort(), [200, ...Array(15).fill(400)],
                     `16 concurrent creates: ${creates.map((r) => r.status)}`);
    await run(inNs("raced"), ["create table t (x)", "insert into t values (1)"]);
    const forks = await Promise.all(Array.from({ length: 16 }, () => admin("POST", "/v1/namespaces/raced/fork/raced-fork")));
    assert.deepEqual(forks.map((r) => r.status).sort(), [200, ...Array(15).fill(400)],
                     `16 concurrent forks onto one name: ${forks.map((r) => r.status)}`);
    assert.deepEqual(plain(await run(inNs("raced-fork"), ["select x from t"])), [["1"]], "the fork holds the row");
    assert.deepEqual(dbsListing().filter((n) => n.startsWith(".")), [], "no half-built directories are left");
  });

  test("the admin key: none or a wrong one is 401 with an empty body, `basic K` is 200", async () => {
    const refusals = {
      "no header": {},
      "wrong key": { authorization: "basic wrong-key" },
      "key with a suffix": { authorization: `basic ${kAdminKey}x` },
      "key prefix": { authorization: `basic ${kAdminKey.slice(0, -1)}` },
      "no scheme": { authorization: kAdminKey },
    };
    for (const [what, headers] of Object.entries(refusals)) {
      for (const [method, path, body] of [["GET", "/v1/namespaces"], ["GET", "/metrics"],
                                          ["POST", "/v1/namespaces/unauthorized/create", {}],
                                          ["DELETE", "/v1/namespaces/ns1"]]) {
        const r = await admin(method, path, body, headers);
        assert.equal(r.status, 401, `${method} ${path} with ${what}: ${r.status} ${r.text}`);
        assert.equal(r.text, "", `${method} ${path} with ${what}: empty body`);
      }
    }
    assert.ok(!dbsListing().includes("unauthorized"), "an unauthorized create made nothing");
    assert.equal((await run(inNs("ns1"), ["select 1"])).length, 1, "the unauthorized DELETE left ns1");
    const ok = await admin("GET", "/v1/namespaces", undefined, { authorization: `basic ${kAdminKey}` });
    assert.equal(ok.status, 200, ok.text);
    const upper = await admin("GET", "/v1/namespaces", undefined, { authorization: `Basic ${kAdminKey}` });
    assert.equal(upper.status, 200, "the scheme is case-insensitive");
    const unknown = await admin("GET", "/v1/nope");
    assert.equal(unknown.status, 404, "an unknown admin path");
  });

  test("GET /metrics on the admin port is Prometheus text with the namespace's database size", async () => {
    await run(inNs("ns1"), ["insert into items (v) values ('for metrics')"]);
    const r = await admin("GET", "/metrics");
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"] ?? "", /^text\/plain; version=0\.0\.4/, "content-type");
    const line = r.text.split("\n").find((l) => l.startsWith('libsql_server_database_size_bytes{namespace="ns1"}'));
    assert.ok(line, `a libsql_server_database_size_bytes line for ns1 in:\n${r.text.slice(0, 2000)}`);
    assert.ok(Number(line.split(" ").pop()) > 0, `ns1's size is positive: ${line}`);
    assert.match(r.text, /^# TYPE libsql_server_database_size_bytes gauge$/m);
    const user = await request(server.userPort, { path: "/metrics" });
    assert.equal(user.status, 404, "no /metrics on the user port");
  });

  // The value of the sample `name{labels}`, whatever the labels' order; undefined if absent.
  const sample = (text, name, labels) => {
    for (const line of text.split("\n")) {
      const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v) &&
          Object.keys(have).length === Object.keys(labels).length) return Number(m[3]);
    }
    return undefined;
  };

  test("/metrics counts each namespace's requests, errors, statements, rows and latency, and the open sockets", async () => {
    await createNamespace("metered");
    const target = inNs("metered");
    const ns = { namespace: "metered" };
    // Three pipelines: 3 statements that succeed (2 rows written), 1 that fails.
    await run(target, ["CREATE TABLE m(x)", "INSERT INTO m VALUES (1), (2)"]);
    await run(target, ["SELECT * FROM m"]);
    const failing = await pipeline(target, [execute("SELECT * FROM no_such_table"), close]);
    assert.equal(failing.results[0].type, "error");
    // A request refused as a whole: an undecodable body.
    const bad = await request(server.userPort, { method: "POST", path: "/v2/pipeline",
                                                 headers: target.headers, body: "{not json" });
    assert.equal(bad.status, 400);
    const socket = await openWs({ "x-namespace": "metered" });
    assert.ok(socket instanceof RawSocket, "the WebSocket opened");
    try {
      socket.send({ type: "hello", jwt: null });
      await socket.nextMessage("hello_ok");
      await socket.call({ type: "open_stream", stream_id: 1 });
      await socket.call({ type: "execute", stream_id: 1, stmt: { sql: "SELECT count(*) FROM m", want_rows: true } });

      const text = (await admin("GET", "/metrics")).text;
      assert.equal(sample(text, "libsql_server_requests_total", { ...ns, kind: "http_pipeline" }), 4, "four pipelines");
      assert.equal(sample(text, "libsql_server_request_errors_total", { ...ns, kind: "http_pipeline" }), 1,
                   "one refused as a whole (a failing statement is not a failed request)");
      assert.equal(sample(text, "libsql_server_requests_total", { ...ns, kind: "ws" }), 3, "three WebSocket messages");
      assert.equal(sample(text, "libsql_server_statements_executed_total", ns), 5, "five statements ran");
      assert.equal(sample(text, "libsql_server_statement_errors_total", ns), 1, "one failed");
      assert.equal(sample(text, "libsql_server_rows_written_total", ns), 2, "two rows written");
      assert.ok(sample(text, "libsql_server_rows_read_total", ns) >= 3, "rows read by the SELECTs");
      assert.equal(sample(text, "libsql_server_request_latency_seconds_count", ns), 4, "one latency per HTTP request");
      assert.equal(sample(text, "libsql_server_request_latency_seconds_bucket", { ...ns, le: "+Inf" }), 4);
      assert.ok(sample(text, "libsql_server_websocket_connections", {}) >= 1, "the open WebSocket is counted");
      assert.ok(sample(text, "libsql_server_http_connections", {}) >= 1, "HTTP connections are counted");
      assert.equal(sample(text, "libsql_server_concurrent_connections", ns), 1, "the WebSocket stream's connection");
    } finally {
      socket.ws.terminate();
    }
  });

  test("GET /v1/namespaces/ns1/stats is JSON with storage_bytes_used; a missing namespace is 404", async () => {
    const r = await admin("GET", "/v1/namespaces/ns1/stats");
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers["content-type"] ?? "", /^application\/json/);
    assert.equal(typeof r.json.storage_bytes_used, "number", r.text);
    assert.ok(r.json.storage_bytes_used > 0, `ns1 uses storage: ${r.text}`);
    const missing = await admin("GET", "/v1/namespaces/missing/stats");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, notFoundBody("missing"));
    const health = await request(server.userPort, { path: "/health" });
    assert.equal(health.status, 200, "the server is healthy at the end");
  });
});
