// deliberate.mjs: the ONE list of known, deliberate differences between our sqld and the
// reference sqld 0.24.32, each with its reason and source. Each entry is a normalization
// applied to the records of BOTH servers, so that the difference disappears and nothing
// else does. Add an entry only with a reason a reviewer can check; keep them narrow.
//
// Entries see the normalized record (normalize.mjs) and the request that produced it.

import { JsonNumber, Marker } from './normalize.mjs';

function mapHranaValues(v, fn) {
  if (Array.isArray(v)) return v.map((x) => mapHranaValues(x, fn));
  if (v === null || typeof v !== 'object' || v instanceof JsonNumber || v instanceof Marker) return v;
  const out = Object.create(null);
  for (const [k, x] of Object.entries(v)) out[k] = mapHranaValues(x, fn);
  return fn(out);
}

function mapBodyJson(record, fn) {
  const b = record.body;
  if (b.kind === 'json') b.value = fn(b.value);
  if (b.kind === 'ndjson') b.lines = b.lines.map(fn);
  return record;
}

const kNonFiniteTexts = new Set(['inf', '-inf', 'infinity', '-infinity', 'nan', '+inf', '+infinity']);

function isNonFiniteEncoding(x) {
  if (x === null) return true; // sqld: serde_json writes a non-finite f64 as null
  if (typeof x === 'string') return kNonFiniteTexts.has(x.toLowerCase());
  if (x instanceof JsonNumber) {
    const n = Number(x.raw);
    return !Number.isFinite(n) || Math.abs(n) === Number.MAX_VALUE;
  }
  return false;
}

export const kDeliberateDifferences = [
  {
    id: 'replication-index-until-frame-log',
    reason:
      'TEMPORARY. sqld fills replication_index with its replication log\'s frame number (null until the ' +
      'first write). Our frame log arrives with replication (issue 6); until then we send null. Any ' +
      'replication_index value, null or not, becomes one marker. Remove this entry with issue 6.',
    source: 'protocol.md §2.4 ("A standalone server may emit null everywhere (clients only echo it back)")',
    apply(record) {
      return mapBodyJson(record, (root) =>
        mapHranaValues(root, (o) => {
          if ('replication_index' in o && o.type !== 'replication_index') o.replication_index = new Marker('replication_index');
          return o;
        }),
      );
    },
  },
  {
    id: 'cursor-replication-index-entry',
    reason:
      'sqld ends every /v3/cursor body with {"type":"replication_index",...}; @libsql/hrana-client 0.10 ' +
      'throws on that unknown entry, so we do not emit it. Dropped from the reference record.',
    source: 'protocol.md §2.6 and Appendix B.3; clients.md §3 (protobuf cursor fails on real sqld)',
    apply(record) {
      const b = record.body;
      if (b.kind === 'ndjson') {
        b.lines = b.lines.filter((line) => !(line && line.type === 'replication_index'));
      }
      return record;
    },
  },
  {
    id: 'float-non-finite-encoding',
    reason:
      'sqld serializes a non-finite REAL (SELECT 9e999) as {"type":"float","value":null}, which every ' +
      "client's decoder rejects; we may encode it differently (a huge finite, or a text spelling). " +
      'Any such encoding is replaced by one marker. Only Hrana float values are touched.',
    source: 'protocol.md §2.1 (Float quirk: "Consider mapping to a huge finite or an error")',
    apply(record) {
      return mapBodyJson(record, (root) =>
        mapHranaValues(root, (o) => {
          if (o.type === 'float' && 'value' in o && isNonFiniteEncoding(o.value)) o.value = new Marker('non-finite float');
          return o;
        }),
      );
    },
  },
  {
    id: 'rows-read-written-counters',
    reason:
      'rows_read/rows_written come from libSQL-only statement counters (LIBSQL_STMTSTATUS_ROWS_READ/WRITTEN); ' +
      'our engine is stock SQLite 3.46.1, where they can only be approximated. No client reads them. ' +
      'Compared as "a non-negative integer", not by value.',
    source: 'protocol.md §2.4 (rows_read/rows_written: "with stock SQLite emit 0 or an approximation")',
    apply(record) {
      return mapBodyJson(record, (root) =>
        mapHranaValues(root, (o) => {
          for (const k of ['rows_read', 'rows_written']) {
            if (o[k] instanceof JsonNumber && /^[0-9]+$/.test(o[k].raw)) o[k] = new Marker('u64');
          }
          return o;
        }),
      );
    },
  },
  {
    id: 'cursor-conversion-error',
    reason:
      'When a cursor batch fails before running (SQL parse error), sqld answers 500 ' +
      '{"error":"Internal Error: `SQL string could not be parsed: ...`"}; the recommended answer is a 200 ' +
      'cursor carrying a step_error/error entry. Either is accepted, only for requests tagged ' +
      '"cursor-conversion-error".',
    source: 'protocol.md §4.5 and Appendix B.4',
    apply(record, { request }) {
      if (!(request.tags || []).includes('cursor-conversion-error')) return record;
      const b = record.body;
      const sqld500 =
        record.status === 500 && b.kind === 'json' && typeof b.value?.error === 'string' && b.value.error.startsWith('Internal Error');
      const entry =
        record.status === 200 &&
        b.kind === 'ndjson' &&
        b.lines.some((line) => line && (line.type === 'step_error' || line.type === 'error'));
      if (sqld500 || entry) {
        return { status: 'any', headers: {}, body: { kind: 'not-compared', reason: 'cursor batch failed before running (500 or error entry)' } };
      }
      return record;
    },
  },
];

// Requests whose answer is not compared at all, by tag, with the reason.
const kNotCompared = {
  'invalid-utf8-text':
    'SQLite TEXT that is not UTF-8: sqld fails the request (500 "invalid utf-8 sequence", or a cut-off ' +
    'cursor body); we answer it with U+FFFD in place of each invalid byte, so clients get their other ' +
    'results. Ours is checked by unit tests (json_writer_test).',
  'duplicate-json-keys':
    'A JSON object with a repeated key: sqld (serde) refuses it with 400; Boost.JSON keeps the last value. ' +
    'RFC 8259 leaves this to the receiver, and no client sends repeated keys.',
  'legacy-integer-wrap':
    'POST / with an integer parameter above INT64_MAX: sqld silently wraps it to a negative number; we ' +
    'refuse the body (422) rather than store a different number than the client sent.',
  'json-depth-in-ignored-fields':
    'JSON nested deeper than 127 levels inside a field the server ignores: sqld (serde) skips such ' +
    'fields at any depth; we refuse every document deeper than serde\'s limit of 127 ("recursion limit ' +
    'exceeded", 400), as sqld does inside fields it reads. A DOM parser holds the whole document, and ' +
    'unbounded depth crashed it (300k levels); nobody nests ignored fields that deep.',
  'legacy-invalid-json':
    'POST / with a failure inside BEGIN: sqld 0.24.32 writes its hidden ROLLBACK result into the array ' +
    'as bare members, so its body is not JSON; ours is the same answer as valid JSON.',
};

function notCompared(record, { request }) {
  for (const tag of request.tags || []) {
    if (tag in kNotCompared) return { status: 'any', headers: {}, body: { kind: 'not-compared', reason: kNotCompared[tag] } };
  }
  return record;
}

// Applies `fn` to every Hrana error object ({message, code}) and legacy {"error": text}.
function mapErrors(record, fn) {
  return mapBodyJson(record, (root) =>
    mapHranaValues(root, (o) => {
      if (typeof o.code === 'string' && typeof o.message === 'string') return fn(o);
      return o;
    }),
  );
}

kDeliberateDifferences.push(
  {
    id: 'not-compared-by-tag',
    reason: 'see kNotCompared: each tagged request carries its own reason',
    source: 'protocol.md §2.1 (invalid UTF-8), §4.6 (legacy quirks); RFC 8259 §4',
    apply: notCompared,
  },
  {
    id: 'syntax-error-wording',
    reason:
      "SQL_PARSE_ERROR texts come from sqld's own parser (\"syntax error around L1:6: `selec`\"); we use " +
      'SQLite\'s parser and its words (\"near \\"selec\\": syntax error\"). The code and the prefix ' +
      '"SQL string could not be parsed: " are compared; the rest of a syntax error\'s text is not. ' +
      '"unsupported statement" texts are compared whole.',
    source: 'protocol.md §5.1 (SQL_PARSE_ERROR)',
    apply(record, { request }) {
      const parsePrefix = 'SQL string could not be parsed: ';
      const wordless = (text) => !text.startsWith('unsupported statement');
      record = mapErrors(record, (o) => {
        if (o.code === 'SQL_PARSE_ERROR' && o.message.startsWith(parsePrefix) && wordless(o.message.slice(parsePrefix.length))) {
          o.message = new Marker('syntax error text');
        }
        return o;
      });
      // POST /: sqld answers a syntax error with 500 {"error":"Internal Error: `<parser text>`"}.
      const b = record.body;
      if (request.path === '/' && record.status === 500 && b.kind === 'json' && typeof b.value?.error === 'string') {
        const m = /^Internal Error: `(.*)`$/s.exec(b.value.error);
        if (m && wordless(m[1])) b.value.error = new Marker('syntax error text');
      }
      return record;
    },
  },
  {
    id: 'sqlite-3.46-column-hint',
    reason:
      'Our engine is SQLite 3.46.1; the reference runs libSQL\'s SQLite 3.45.1. 3.46 adds a hint to ' +
      '\"no such column\" for double-quoted names (\"no such column: \\"x\\" - should this be a string literal ' +
      'in single-quotes?\"). The hint is cut off before comparing.',
    source: 'SQLite 3.46.0 release notes; research/clients.md §1 (reference reports 3.45.1)',
    apply(record) {
      const strip = (text) =>
        text.replace(/no such column: "((?:[^"]|"")*)" - should this be a string literal in single-quotes\?/g, (_, name) =>
          'no such column: ' + name.replaceAll('""', '"'),
        );
      record = mapErrors(record, (o) => {
        o.message = strip(o.message);
        return o;
      });
      const b = record.body;
      if (b.kind === 'json' && Array.isArray(b.value)) {
        for (const entry of b.value) if (entry && typeof entry.error === 'string') entry.error = strip(entry.error);
      }
      return record;
    },
  },
  {
    id: 'libsql-vector-functions',
    reason:
      'libSQL\'s vector functions (vector(), vector32(), libsql_vector_idx) are part of the libSQL engine, ' +
      'not of stock SQLite; no issue has asked for them yet. Results of statements that call them are ' +
      'not compared.',
    source: 'research/clients.md §1 ("libSQL-specific SQL does exist, for example vector(...)")',
    apply(record, { request }) {
      const requests = request.body && typeof request.body === 'object' ? request.body.requests : undefined;
      const b = record.body;
      if (!Array.isArray(requests) || b.kind !== 'json' || !Array.isArray(b.value?.results)) return record;
      requests.forEach((r, i) => {
        if (r && r.stmt && typeof r.stmt.sql === 'string' && /\bvector(32)?\s*\(/i.test(r.stmt.sql) && i < b.value.results.length) {
          b.value.results[i] = new Marker('libsql vector function');
        }
      });
      return record;
    },
  },
);

kDeliberateDifferences.push({
  id: 'gzip-small-bodies',
  reason:
    'sqld gzips every body of 32 bytes or more for a client that accepts gzip; we start at 1024. ' +
    'Below that gzip saves a few hundred bytes at most and costs both ends CPU: measured on ' +
    'loopback, decompressing a ~400-byte reply adds ~0.2 ms to every @libsql/client call ' +
    '(bench/README.md). Content-Encoding is still compared for bodies of 1024 bytes and more.',
  source: 'server/http_listener.h (HttpLimits::gzip_min_bytes); bench/README.md',
  apply(record, { response }) {
    if (response && response.body.length < 1024 && record.headers['content-encoding'] === 'gzip') {
      delete record.headers['content-encoding'];
    }
    return record;
  },
});

export function applyDeliberate(record, context) {
  let r = record;
  for (const d of kDeliberateDifferences) r = d.apply(r, context);
  return r;
}
