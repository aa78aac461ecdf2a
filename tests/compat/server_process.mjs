// server_process.mjs: what the suites that start a server of their own share: a free
// loopback port, and waiting until the server answers GET /health. Holds no test cases
// and knows nothing of which server binary it waits on.

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
