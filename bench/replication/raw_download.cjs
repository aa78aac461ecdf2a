// raw_download.cjs: downloads a primary's whole replication log the way an embedded replica's
// first sync asks for it, but with a minimal gRPC-Web client that keeps nothing: the
// server's share of a first sync, without the native client's work of writing the pages.
//
//   node raw_download.cjs PRIMARY_URL
//
// Hello, then BatchLogEntries from frame 0 until the Hello's index; if the log starts with
// a snapshot (NEED_SNAPSHOT), the Snapshot stream, then BatchLogEntries after it
// (research/replication.md §2.5). Over one keep-alive HTTP/1.1 connection, as the native
// client's hyper does. Prints one JSON line: bytes of responses, seconds, MB/s (10^6
// bytes), calls, and whether a snapshot came; exits 1 with the reason on failure.
"use strict";
const http = require("http");

const kFrameSize = 4120;
// A Frames entry: key, 2-byte length, then a Frame (key, 2-byte length, 4120 bytes).
const kFramesEntrySize = 1 + 2 + (1 + 2 + kFrameSize);

const url = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const now = () => Number(process.hrtime.bigint()) / 1e9;

// One gRPC-Web call. With `keepFirst`, keeps only the first `keepFirst` bytes of the body
// (a stream is counted, not stored).
function call(method, message, token, keepFirst = Infinity) {
  return new Promise((resolve, reject) => {
    const body = Buffer.alloc(5 + message.length);
    body.writeUInt32BE(message.length, 1);
    message.copy(body, 5);
    const headers = { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "content-length": body.length };
    if (token) headers["x-session-token"] = token;
    const request = http.request(
      { host: url.hostname, port: url.port, path: `/wal_log.ReplicationLog/${method}`, method: "POST", headers, agent },
      (response) => {
        const kept = [];
        let keptBytes = 0;
        let bytes = 0;
        response.on("data", (chunk) => {
          bytes += chunk.length;
          if (keptBytes < keepFirst) {
            kept.push(chunk);
            keptBytes += chunk.length;
          }
        });
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(kept), bytes }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function varint(buffer, i) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = buffer[i++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, i];
  }
}

// The fields of a protobuf message: number -> varint value or bytes.
function fields(buffer) {
  const out = {};
  for (let i = 0; i < buffer.length; ) {
    let key;
    [key, i] = varint(buffer, i);
    if ((key & 7) === 0) {
      [out[key >> 3], i] = varint(buffer, i);
    } else if ((key & 7) === 2) {
      let length;
      [length, i] = varint(buffer, i);
      out[key >> 3] = buffer.subarray(i, i + length);
      i += length;
    } else {
      throw new Error(`unexpected protobuf wire type ${key & 7}`);
    }
  }
  return out;
}

// The first gRPC-Web message of a body: { flag, data }, or null.
function firstMessage(body) {
  if (body.length < 5) return null;
  return { flag: body[0], data: body.subarray(5, 5 + body.readUInt32BE(1)) };
}

// A LogOffset{next_offset}.
function logOffset(next) {
  const bytes = [];
  for (let v = next; v > 0 || bytes.length === 0; v = Math.floor(v / 128)) bytes.push((v & 0x7f) | (v >= 128 ? 0x80 : 0));
  return next === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...bytes]);
}

// The gRPC status of a reply: from its headers (trailers-only) or its trailer frame.
function grpcStatus(reply) {
  if (reply.headers["grpc-status"] !== undefined) {
    return { code: Number(reply.headers["grpc-status"]), message: decodeURIComponent(reply.headers["grpc-message"] ?? "") };
  }
  const text = reply.body.toString("latin1");
  const code = /grpc-status:\s*(\d+)/.exec(text);
  const message = /grpc-message:\s*([^\r\n]*)/.exec(text);
  return { code: code ? Number(code[1]) : 0, message: message ? decodeURIComponent(message[1]) : "" };
}

(async () => {
  const hello = await call("Hello", Buffer.from([0x08, 0x01]));
  const helloMessage = firstMessage(hello.body);
  if (hello.status !== 200 || !helloMessage || helloMessage.flag !== 0) {
    throw new Error(`Hello: HTTP ${hello.status}, ${JSON.stringify(grpcStatus(hello))}`);
  }
  const answer = fields(helloMessage.data);
  const token = answer[4].toString();
  const last = answer[5];
  if (last === undefined) throw new Error("the primary's log is empty");

  const start = now();
  let bytes = 0;
  let calls = 0;
  let snapshot = false;
  for (let next = 0; next <= last; ) {
    const batch = await call("BatchLogEntries", logOffset(next), token);
    calls++;
    bytes += batch.bytes;
    const message = firstMessage(batch.body);
    if (message && message.flag === 0 && message.data.length > 0) {
      next += Math.round(message.data.length / kFramesEntrySize);
      continue;
    }
    const status = grpcStatus(batch);
    if (status.code !== 9 || !/NEED_SNAPSHOT/.test(status.message)) {
      throw new Error(`BatchLogEntries(${next}): HTTP ${batch.status}, ${JSON.stringify(status)}`);
    }
    // The snapshot's first frame carries its highest frame_no (message header, then the
    // Frame's key and 2-byte length).
    const stream = await call("Snapshot", logOffset(next), token, 5 + 3 + 8);
    calls++;
    bytes += stream.bytes;
    if (stream.status !== 200 || stream.body.length < 16) {
      throw new Error(`Snapshot(${next}): HTTP ${stream.status}, ${JSON.stringify(grpcStatus(stream))}`);
    }
    snapshot = true;
    next = Number(stream.body.readBigUInt64LE(8)) + 1;
  }
  const seconds = now() - start;
  agent.destroy();
  console.log(JSON.stringify({
    bytes,
    seconds: +seconds.toFixed(3),
    mb_per_s: +(bytes / 1e6 / seconds).toFixed(1),
    calls,
    snapshot,
    last_frame_no: last,
  }));
})().catch((e) => {
  console.error(`raw download from ${url}: ${e.message}`);
  process.exit(1);
});
