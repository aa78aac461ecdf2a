// client_ws.test.mjs: @libsql/client 0.18 with a ws:// URL, i.e. Hrana 2 JSON over a
// WebSocket (subprotocol hrana2, clients.md §3). The cases live in client_cases.mjs and are shared
// with the http:// suite; this file adds what only WebSocket shows.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { WS_URL } from "./helpers.mjs";
import { defineClientCases } from "./client_cases.mjs";

const makeClient = (options) => createClient({ url: WS_URL, ...options });

describe("@libsql/client over ws://", () => {
  test("the client reports the ws protocol", () => {
    const c = makeClient({});
    try {
      assert.equal(c.protocol, "ws");
    } finally {
      c.close();
    }
  });

  test("an auth token is sent but not required by an unauthenticated server", async () => {
    const c = makeClient({ authToken: "not-a-real-token" });
    try {
      const rs = await c.execute("select 1 as one");
      assert.equal(rs.rows[0].one, 1);
    } finally {
      c.close();
    }
  });

  test("150 distinct statements on one connection (the client's SQL cache of 100 evicts with close_sql)", async () => {
    const c = makeClient({});
    try {
      for (let i = 0; i < 150; ++i) {
        const rs = await c.execute(`select ${i} as i, ? as a`, [`arg${i}`]);
        assert.deepEqual(Array.from(rs.rows[0]), [i, `arg${i}`], `statement ${i}`);
      }
      // Evicted texts must be stored again under reused ids and still give the right answers.
      for (let i = 0; i < 150; i += 7) {
        const rs = await c.execute(`select ${i} as i, ? as a`, [`again${i}`]);
        assert.deepEqual(Array.from(rs.rows[0]), [i, `again${i}`], `statement ${i} again`);
      }
    } finally {
      c.close();
    }
  });

  defineClientCases("ws", makeClient);
});
