// server_process.mjs: what the suites that start a server of their own share: a free
// loopback port, waiting until the server answers GET /health, and starting and stopping
// a sqld-compatible binary, and the write load the crash tests kill a server under. Holds
// no test cases and knows nothing of which binary it runs.

import { spawn } from "node:child_process";
import { createServer } from "node:net";

// A port the kernel just handed out on loopback (another process may take it first: the
// caller retries when the server exits early, as run.sh does).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Polls GET `url` until 200 (true) or `exited` settles (false: the process is gone);
// throws after `waitMs`. Polling is the only readiness signal both servers share: the
// reference prints no port.
export async function waitHealthy(url, exited, waitMs) {
  const deadline = Date.now() + waitMs;
  let gone = false;
  exited.then(() => { gone = true; });
  while (Date.now() < deadline) {
    if (gone) return false;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(1000, deadline - Date.now()))) });
      if (r.status === 200) return true;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer 200 within ${waitMs} ms`);
}

// Spawns `bin` with `args` (plus `env`) and waits until its GET /health on `port` answers.
// Returns { pid, running(), stop(), kill(), output() } once healthy, or null if the process
// exited first (a lost port race: the caller may retry); throws if it neither answered nor
// exited within `waitMs`. stop() sends SIGTERM and waits up to `waitMs` for the exit, then
// kills the server and throws; it also throws if the server had exited by itself.
export async function spawnServer({ bin, args, port, env = {}, waitMs = 10000 }) {
  let log = "";
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const keep = (chunk) => { log = (log + chunk).slice(-8000); };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (running()) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  const stop = async () => {
    if (!running()) throw new Error(`the server exited before it was stopped; output:\n${log}`);
    child.kill("SIGTERM");
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise((resolve) => setTimeout(() => resolve(true), waitMs).unref()),
    ]);
    if (timedOut) {
      await kill();
      throw new Error(`the server did not exit within ${waitMs} ms of SIGTERM; output:\n${log}`);
    }
  };
  const server = { pid: child.pid, running, stop, kill, output: () => log };
  let healthy;
  try {
    healthy = await waitHealthy(`http://127.0.0.1:${port}/health`, exited, waitMs);
  } catch (e) {
    await kill();
    throw new Error(`${e.message}; server output:\n${log}`);
  }
  if (healthy) return server;
  spawnServer.lastOutput = log;
  return null;
}

// Starts `bin` with --db-path `dbPath`, a free loopback --http-listen-addr, --no-welcome,
// and `args`; with `admin`, also --admin-listen-addr on a second free port. `env` is added
// to the environment. Retries on new ports when the process exits before /health answers
// (a lost port race), 3 times. Returns spawnServer()'s object plus { port, adminPort, url,
// wsUrl, adminUrl }.
export async function launchServer({ bin, dbPath, args = [], env = {}, admin = false, waitMs = 10000 }) {
  for (let attempt = 1; attempt <= 3; ++attempt) {
    const port = await freePort();
    let adminPort = admin ? await freePort() : null;
    while (admin && adminPort === port) adminPort = await freePort();
    const fullArgs = ["--db-path", dbPath, "--http-listen-addr", `127.0.0.1:${port}`, "--no-welcome",
      ...(admin ? ["--admin-listen-addr", `127.0.0.1:${adminPort}`] : []), ...args];
    const server = await spawnServer({ bin, args: fullArgs, port, env, waitMs });
    if (server) {
      return {
        ...server,
        port,
        adminPort,
        url: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}`,
        adminUrl: admin ? `http://127.0.0.1:${adminPort}` : null,
      };
    }
  }
  throw new Error(`${bin} exited before answering /health, 3 times; last output:\n${spawnServer.lastOutput}`);
}

// A write load to kill a server under: `writers` concurrent loops each POST one INSERT of
// (id, value) into `table` at a time to `url`'s /v2/pipeline, ids counting up from
// `firstId`. Remembers every id attempted and every one acknowledged (HTTP 200 and an ok
// result): after a crash, every acknowledged row must be there and no row never sent.
// stop() ends the loops and waits for them.
export function startWriteLoad(url, table, { firstId = 1, writers = 4, value = (id) => `load ${id}` } = {}) {
  const attempted = new Set();
  const acknowledged = new Set();
  let nextId = firstId;
  let loading = true;
  const writer = async () => {
    while (loading) {
      const id = nextId++;
      attempted.add(id);
      try {
        const response = await fetch(`${url}/v2/pipeline`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ requests: [
            { type: "execute", stmt: { sql: `insert into ${table}(id, v) values (?, ?)`, args: [{ type: "integer", value: String(id) }, { type: "text", value: value(id) }] } },
            { type: "close" },
          ] }),
          signal: AbortSignal.timeout(5000),
        });
        const body = await response.json();
        if (response.status === 200 && body.results?.[0]?.type === "ok") acknowledged.add(id);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10));  // the server is gone (or going)
      }
    }
  };
  const running = Array.from({ length: writers }, writer);
  return {
    attempted,
    acknowledged,
    async stop() {
      loading = false;
      await Promise.all(running);
    },
  };
}
