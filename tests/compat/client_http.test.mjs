// client_http.test.mjs: @libsql/client 0.18 with an http:// URL, i.e. Hrana 2 JSON over
// POST /v2/pipeline (clients.md §2). The cases live in client_cases.mjs and are shared
// with the ws:// suite; this file adds what only HTTP shows.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { HTTP_URL } from "./helpers.mjs";
import { defineClientCases } from "./client_cases.mjs";

const makeClient = (options) => createClient({ url: HTTP_URL, ...options });

describe("@libsql/client over http://", () => {
  test("the client reports the http protocol", () => {
    const c = makeClient({});
    try {
      assert.equal(c.protocol, "http");
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

  defineClientCases("http", makeClient);
});
