// helpers.mjs: shared plumbing for the compat tests: the server URLs handed over by
// run.sh, unique table names, the reference-quirk switch and small assertion helpers.
// Holds no test cases and never talks to the server itself.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the compat tests through tests/compat/run.sh ` +
                    `(or export ${name} yourself, e.g. http://127.0.0.1:8080)`);
  }
  return value;
}

export const HTTP_URL = requiredEnv("LIBSQL_TEST_URL");
export const WS_URL = process.env.LIBSQL_TEST_WS_URL || HTTP_URL.replace(/^http/, "ws");

// True when the tests run against Turso's reference sqld 0.24.32, whose documented quirks
// (protocol.md §2.6 and README.md here) are tolerated by the few tests that say so.
export const REFERENCE = process.env.LIBSQL_COMPAT_REFERENCE === "1";

// Marks the running test as skipped because of a documented quirk of the reference sqld.
// Call it only after every assertion the reference does pass: t.skip() does not stop the
// test, so the earlier assertions still ran and could fail it.
export function skipReferenceQuirk(t, reason) {
  if (!REFERENCE) return false;
  t.skip(`reference sqld quirk: ${reason}`);
  return true;
}

// One random suffix per test process, so files running against the same server (and
// reruns against a kept data dir) never share a table.
const runId = randomBytes(4).toString("hex");

// A table name unique to this process: `${prefix}_${name}_${runId}`.
export function tableName(prefix, name) {
  return `${prefix}_${name}_${runId}`;
}

// Awaits `promise`, asserts it rejects, and returns the error for further checks.
export async function rejectsWith(promise, what) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail(`${what}: expected an error, but the call succeeded`);
}

// Runs `fn`, asserts it throws, and returns the error (for synchronous APIs).
export function throwsWith(fn, what) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail(`${what}: expected an error, but the call succeeded`);
}

// Bytes of an ArrayBuffer / typed array / Buffer as a plain Uint8Array view.
export function bytesOf(value) {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  assert.fail(`expected binary data, got ${typeof value} ${Object.prototype.toString.call(value)}`);
}

export function assertBytesEqual(actual, expected, what) {
  const a = bytesOf(actual);
  const b = bytesOf(expected);
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; ++i) {
    if (a[i] !== b[i]) assert.fail(`${what}: byte ${i} is ${a[i]}, expected ${b[i]}`);
  }
}

// Deterministic pseudo-random bytes (xorshift32): big blobs without storing them.
export function patternBytes(length, seed = 0x9e3779b9) {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; ++i) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function hexUpper(bytes) {
  return Buffer.from(bytesOf(bytes)).toString("hex").toUpperCase();
}

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

// SQL producing the rows 1..n in column x (recursive CTE; no table needed).
export function seriesSql(n) {
  return `with recursive s(x) as (select 1 union all select x + 1 from s where x < ${n}) select x from s`;
}
