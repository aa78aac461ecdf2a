// http_client.mjs: sends one case request to one server and returns the raw answer.
// Uses node:http directly (not fetch) so that bodies, methods and headers go out exactly
// as a case wrote them: no implicit content-type, no implicit accept-encoding.
// Must not interpret the answer beyond undoing a content-encoding: normalize.mjs does that.

import http from 'node:http';
import zlib from 'node:zlib';

const kRequestTimeoutMs = 10_000;

// Returns {status, headers (lower-case names -> string, repeated headers joined by ", "),
// body: Buffer (decoded if the server compressed it), encodingError?: string,
// aborted: true if the connection broke before the body ended}.
// chunked: send the body with Transfer-Encoding: chunked instead of Content-Length.
export function sendRequest(baseUrl, { method, path, headers, body, chunked }) {
  const url = new URL(baseUrl); // host and port only: the path is sent exactly as written
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const outHeaders = { ...headers };
  if (payload !== undefined && !chunked) outHeaders['content-length'] = String(payload.length);
  if (payload !== undefined && chunked) outHeaders['transfer-encoding'] = 'chunked';
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: outHeaders,
        agent: false,
        timeout: kRequestTimeoutMs,
      },
      (res) => {
        const chunks = [];
        let done = false;
        const finish = (aborted) => {
          if (done) return;
          done = true;
          const headersOut = {};
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i].toLowerCase();
            const value = res.rawHeaders[i + 1];
            headersOut[name] = name in headersOut ? `${headersOut[name]}, ${value}` : value;
          }
          let raw = Buffer.concat(chunks);
          let encodingError;
          try {
            raw = decode(raw, headersOut['content-encoding']);
          } catch (e) {
            encodingError = String(e.message);
          }
          resolve({ status: res.statusCode, headers: headersOut, body: raw, encodingError, aborted });
        };
        res.on('data', (c) => chunks.push(c));
        // A server that fails mid-body (sqld does, for some cursor errors) resets the
        // connection: keep what arrived and say that the body was cut.
        res.on('aborted', () => finish(true));
        res.on('error', () => finish(true));
        res.on('end', () => finish(false));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${kRequestTimeoutMs} ms: ${method} ${path}`)));
    req.on('error', reject);
    if (payload !== undefined && chunked) {
      // Two chunks, so that the server really has to reassemble the body.
      const half = payload.length >> 1;
      req.write(payload.subarray(0, half));
      req.write(payload.subarray(half));
    } else if (payload !== undefined) {
      req.write(payload);
    }
    req.end();
  });
}

function decode(buf, encoding) {
  switch ((encoding || 'identity').trim().toLowerCase()) {
    case 'identity':
      return buf;
    case 'gzip':
      return zlib.gunzipSync(buf);
    case 'deflate':
      return zlib.inflateSync(buf);
    case 'br':
      return zlib.brotliDecompressSync(buf);
    default:
      throw new Error(`content-encoding ${encoding} is not decoded by the differential test`);
  }
}
