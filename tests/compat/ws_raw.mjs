// ws_raw.mjs: a bare Hrana-over-WebSocket client for protocol tests: opens a socket with the
// given subprotocols, sends JSON (or raw) frames, collects what the server sends and the
// close code and reason. Every wait is bounded (WAIT_MS) so a silent server fails a test
// instead of stalling it. Knows the message envelope only; no Hrana semantics live here.

import WebSocket from "ws";
import { WS_URL } from "./helpers.mjs";

// Upper bound of every wait on the server: a handshake, a message, a close.
export const WAIT_MS = 5000;

// Rejects after `ms` with a message naming what was awaited; clears its timer otherwise.
function withTimeout(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Performs only the handshake and reports what the server answered: `upgrade` is the 101
// response (status, headers) or null; `rejected` is a non-101 response with its body, or null;
// `protocol` is the subprotocol of the opened socket, undefined if ws did not open it.
// `protocols` is a list handed to ws, or undefined for no Sec-WebSocket-Protocol header;
// `headerProtocol` sends that header verbatim instead (ws itself would refuse a reply that
// differs in case from the offer, so case tests bypass its check). The socket is closed.
export async function handshake({ protocols, headerProtocol, url = WS_URL } = {}) {
  const options = headerProtocol === undefined ? {} : { headers: { "Sec-WebSocket-Protocol": headerProtocol } };
  const ws = new WebSocket(url, protocols, options);
  const result = { upgrade: null, rejected: null, protocol: undefined };
  const done = new Promise((resolve) => {
    ws.on("upgrade", (res) => {
      result.upgrade = { status: res.statusCode, headers: res.headers };
    });
    ws.on("open", () => {
      result.protocol = ws.protocol;
      resolve();
    });
    ws.on("unexpected-response", (req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => { body += chunk; });
      res.on("end", () => {
        result.rejected = { status: res.statusCode, headers: res.headers, body };
        req.destroy();
        resolve();
      });
    });
    // After a 101 whose subprotocol ws dislikes, ws reports an error: `upgrade` already ran.
    ws.on("error", () => resolve());
  });
  try {
    await withTimeout(done, `the WebSocket handshake (${protocols ?? headerProtocol ?? "no subprotocol"})`);
  } finally {
    ws.terminate();
  }
  return result;
}

// A text frame as JSON; a frame that is not JSON is kept as { unparsable: text } so that a
// test fails on it by assertion rather than by an exception inside an event handler.
function parseText(data) {
  const text = data.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return { unparsable: text };
  }
}

// One open WebSocket with everything the server sent, in arrival order.
export class RawSocket {
  // Opens a socket offering `protocols` (array; undefined = no header) and waits for it.
  static async open(protocols, { url = WS_URL } = {}) {
    const ws = new WebSocket(url, protocols);
    const socket = new RawSocket(ws);
    await withTimeout(new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
      ws.once("unexpected-response", (req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    }), `the WebSocket to open (${protocols ?? "no subprotocol"})`);
    return socket;
  }

  // Opens a socket and completes hello (without a JWT).
  static async hello(protocols, options) {
    const socket = await RawSocket.open(protocols, options);
    socket.send({ type: "hello" });
    await socket.nextMessage("hello_ok");
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    this.received = [];   // parsed JSON messages (text) or Buffers (binary), unconsumed
    this.history = [];    // every message, consumed or not, in arrival order
    this.waiters = [];    // { match, resolve, reject, what } of pending waitFor calls
    this.close = null;    // { code, reason } once the close event fired
    this.nextRequestId = 1;
    this.closeWaiters = [];  // resolve functions of pending closed() calls
    ws.on("message", (data, isBinary) => this.onMessage(isBinary ? data : parseText(data)));
    ws.on("error", () => {}); // an abrupt drop also raises 'close', which is what tests assert
    ws.on("close", (code, reason) => {
      this.close = { code, reason: reason.toString("utf8") };
      for (const w of this.waiters.splice(0)) w.reject(this.closedError(w.what));
      for (const resolve of this.closeWaiters.splice(0)) resolve(this.close);
    });
  }

  get protocol() {
    return this.ws.protocol;
  }

  closedError(what) {
    return new Error(`the socket closed (code ${this.close.code}, reason ${JSON.stringify(this.close.reason)}) ` +
                     `while waiting for ${what}`);
  }

  onMessage(msg) {
    this.history.push(msg);
    const i = this.waiters.findIndex((w) => w.match(msg));
    if (i >= 0) {
      this.waiters.splice(i, 1)[0].resolve(msg);
    } else {
      this.received.push(msg);
    }
  }

  // Sends a JSON message as a text frame.
  send(msg) {
    this.ws.send(JSON.stringify(msg));
  }

  // Sends `data` as it is: a string as a text frame, bytes as a binary frame.
  sendRaw(data) {
    this.ws.send(data, { binary: typeof data !== "string" });
  }

  // Sends a request and returns its request_id; the answer comes from response(id).
  request(request) {
    const requestId = this.nextRequestId++;
    this.send({ type: "request", request_id: requestId, request });
    return requestId;
  }

  // The first message (received or still to come) satisfying `match`, removed from the queue.
  waitFor(match, what, ms = WAIT_MS) {
    const i = this.received.findIndex(match);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]);
    if (this.close) return Promise.reject(this.closedError(what));
    let waiter;
    const promise = new Promise((resolve, reject) => {
      waiter = { match, resolve, reject, what };
      this.waiters.push(waiter);
    });
    return withTimeout(promise, what, ms).finally(() => {
      const j = this.waiters.indexOf(waiter);
      if (j >= 0) this.waiters.splice(j, 1);
    });
  }

  // The next message of the given `type` (hello_ok, hello_error, ...).
  nextMessage(type) {
    return this.waitFor((m) => m.type === type, `a ${type} message`);
  }

  // The response_ok or response_error for `requestId`, awaited at most `ms`.
  response(requestId, ms = WAIT_MS) {
    return this.waitFor((m) => m.request_id === requestId, `the response to request ${requestId}`, ms);
  }

  // Sends a request and returns its response_ok's `response`; fails on anything else. `ms`
  // is raised only for a request that waits on a server timeout by design.
  async call(request, ms = WAIT_MS) {
    const id = this.request(request);
    const msg = await this.response(id, ms);
    if (msg.type !== "response_ok") {
      throw new Error(`${request.type} (request ${id}) answered ${JSON.stringify(msg)}`);
    }
    return msg.response;
  }

  // Sends a request expected to fail and returns the response_error's `error`.
  async callError(request) {
    const id = this.request(request);
    const msg = await this.response(id);
    if (msg.type !== "response_error") {
      throw new Error(`${request.type} (request ${id}) should have failed but answered ${JSON.stringify(msg)}`);
    }
    return msg.error;
  }

  // The close event's { code, reason }; 1006 with an empty reason means the server dropped
  // the TCP connection without a close frame.
  closed() {
    if (this.close) return Promise.resolve(this.close);
    return withTimeout(new Promise((resolve) => this.closeWaiters.push(resolve)), "the server to close the socket");
  }

  // Drops the TCP connection without a close frame, as a crashed client would.
  terminate() {
    this.ws.terminate();
  }

  // Closes politely; never throws, never waits long.
  async dispose() {
    if (this.close) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    try {
      await this.closed();
    } catch {
      this.ws.terminate();
    }
  }
}
