// normalize.mjs: turns one HTTP answer into a comparable record, and renders records as text.
// Removes only what legitimately differs between two correct servers: batons, timings and
// replication indexes (kept as typed markers, so null vs value and string vs number still
// count). Deliberate differences are NOT handled here: deliberate.mjs owns them.
//
// JSON is parsed losslessly: numbers keep their exact text, so `1.0` vs `1` or `1e300` vs
// `1E300` is a difference (serde_json/ryu formatting is part of what clients receive).

// A JSON number kept as written by the server.
export class JsonNumber {
  constructor(raw) {
    this.raw = raw;
  }
}

// A placeholder for a value that is not compared; rendered without quotes.
export class Marker {
  constructor(label) {
    this.label = label;
  }
}

// Headers whose values are compared; everything else (date, server-timing, vary,
// content-length, transfer-encoding) is transport detail.
export const kComparedHeaders = [
  'content-type',
  'content-encoding',
  'allow',
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
];

// ---------------------------------------------------------------------------------------------
// Lossless JSON parser (RFC 8259). Throws Error with a position on malformed input.

export function parseJsonLossless(text) {
  let i = 0;
  const fail = (what) => {
    throw new Error(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail('unexpected character');
  };
  const object = () => {
    i++;
    const out = Object.create(null);
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected key');
      const key = string();
      ws();
      if (text[i] !== ':') fail('expected colon');
      i++;
      if (key in out) out[`${key} (duplicate key)`] = out[key];
      out[key] = value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail('expected , or }');
    }
  };
  const array = () => {
    i++;
    const out = [];
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value());
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail('expected , or ]');
    }
  };
  const string = () => {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i++];
      if (c === '"') return out;
      if (c < ' ') fail('raw control character in string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e];
      if (simple !== undefined) out += simple;
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else fail('bad escape');
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('bad number');
    i += m[0].length;
    return new JsonNumber(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Generic normalization of a parsed JSON value (pipeline bodies, cursor lines, legacy bodies).

function normalizeJson(v) {
  if (Array.isArray(v)) return v.map(normalizeJson);
  if (v === null || typeof v !== 'object' || v instanceof JsonNumber || v instanceof Marker) return v;
  const out = Object.create(null);
  for (const [k, x] of Object.entries(v)) {
    if (k === 'baton' && typeof x === 'string') out[k] = new Marker('baton');
    else if (k === 'query_duration_ms' && x instanceof JsonNumber && Number(x.raw) >= 0) out[k] = new Marker('ms');
    else if (k === 'replication_index' && x instanceof JsonNumber && /^[0-9]+$/.test(x.raw))
      out[k] = new Marker('replication_index:number');
    else if (k === 'replication_index' && typeof x === 'string' && /^[0-9]+$/.test(x))
      out[k] = new Marker('replication_index:string');
    else out[k] = normalizeJson(x);
  }
  return out;
}

// Applies a request's `compare.prefix` (a string or a list of strings): an error text that
// starts with one of them is compared up to that prefix only (for messages whose tail is
// serde's or axum's wording, which we cannot reproduce).
function cutPrefix(s, prefix) {
  if (typeof s !== 'string' || !prefix) return s;
  for (const p of Array.isArray(prefix) ? prefix : [prefix]) {
    if (s.startsWith(p)) return `${p}…`;
  }
  return s;
}

function applyPrefixToJson(v, prefix) {
  if (Array.isArray(v)) return v.map((x) => applyPrefixToJson(x, prefix));
  if (v === null || typeof v !== 'object' || v instanceof JsonNumber || v instanceof Marker) return v;
  for (const k of Object.keys(v)) {
    if ((k === 'error' || k === 'message') && typeof v[k] === 'string') v[k] = cutPrefix(v[k], prefix);
    else v[k] = applyPrefixToJson(v[k], prefix);
  }
  return v;
}

// Short titles for the requests of a pipeline body ("execute: select 1"), used only to make
// diffs readable; both sides get the same titles.
function pipelineLabels(request) {
  const reqs = request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? request.body.requests : undefined;
  if (!Array.isArray(reqs)) return undefined;
  return reqs.map((r) => {
    if (!r || typeof r !== 'object') return String(r);
    const sql = r.stmt?.sql ?? r.sql ?? (r.stmt?.sql_id !== undefined ? `sql_id ${r.stmt.sql_id}` : undefined);
    const steps = r.batch?.steps ? `${r.batch.steps.length} steps` : undefined;
    const what = sql ?? steps ?? (r.sql_id !== undefined ? `sql_id ${r.sql_id}` : '');
    const text = typeof what === 'string' ? what : JSON.stringify(what);
    return `${r.type}${text ? `: ${text.length > 60 ? `${text.slice(0, 57)}...` : text}` : ''}`;
  });
}

// request: the case request as sent (method, path, compare?, cursor?).
// response: {status, headers, body: Buffer, encodingError?} from http_client.mjs.
export function normalizeResponse(request, response) {
  const compare = request.compare || {};
  const headers = Object.create(null);
  for (const name of kComparedHeaders) {
    if (response.headers[name] !== undefined) headers[name] = response.headers[name];
  }
  const record = { status: response.status, headers, body: null };
  const labels = pipelineLabels(request);
  if (labels) record.labels = labels;
  if (response.encodingError) record.encodingError = response.encodingError;
  if (response.aborted) record.aborted = true;

  const buf = response.body;
  if (buf.length === 0) {
    record.body = { kind: 'empty' };
    return record;
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (!Buffer.from(text, 'utf8').equals(buf)) {
    record.body = { kind: 'bytes', base64: buf.toString('base64') };
    return record;
  }
  const contentType = (response.headers['content-type'] || '').toLowerCase();
  const isCursor = /\/cursor$/.test(request.path) && response.status === 200;

  if (isCursor) {
    const lines = text.split('\n');
    const last = lines.pop();
    const parsed = lines.map((line) => {
      try {
        return applyPrefixToJson(normalizeJson(parseJsonLossless(line)), compare.prefix);
      } catch (e) {
        return { unparsable_line: line };
      }
    });
    if (last !== '') parsed.push({ unterminated_last_line: last });
    record.body = { kind: 'ndjson', lines: parsed };
    return record;
  }
  if (contentType.startsWith('application/json')) {
    try {
      record.body = { kind: 'json', value: applyPrefixToJson(normalizeJson(parseJsonLossless(text)), compare.prefix) };
    } catch {
      // Compared as text, with timings blanked: sqld emits such bodies (see legacy cases).
      const scrubbed = text.replace(/"query_duration_ms":[0-9.eE+-]+/g, '"query_duration_ms":<ms>');
      record.body = { kind: 'invalid-json', text: cutPrefix(scrubbed, compare.prefix) };
    }
    return record;
  }
  let t = cutPrefix(text, compare.prefix);
  if (compare.versionShape) t = /^sqld \d+\.\d+\.\d+ \(.+\)$/.test(t) ? 'sqld x.y.z (…)' : t;
  record.body = { kind: 'text', text: t };
  return record;
}

// ---------------------------------------------------------------------------------------------
// Canonical rendering: sorted keys, numbers as written, markers as <label>. Whatever fits in
// 100 columns goes on one line, so that a Hrana value or a short row is one line of the diff.

function isScalar(v) {
  return v === null || typeof v !== 'object' || v instanceof JsonNumber || v instanceof Marker;
}

function renderScalar(v) {
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof Marker) return `<${v.label}>`;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

function renderCompact(v, budget) {
  if (isScalar(v)) return renderScalar(v);
  const parts = [];
  let used = 2;
  const entries = Array.isArray(v) ? v.map((x) => [null, x]) : Object.keys(v).sort().map((k) => [k, v[k]]);
  for (const [k, x] of entries) {
    const inner = renderCompact(x, budget - used);
    if (inner === null) return null;
    const part = k === null ? inner : `${JSON.stringify(k)}: ${inner}`;
    used += part.length + 2;
    if (used > budget) return null;
    parts.push(part);
  }
  return Array.isArray(v) ? `[${parts.join(', ')}]` : `{${parts.join(', ')}}`;
}

// Values whose one-line form fits in 100 columns stay on one line.
export function renderJson(v, indent = '') {
  const one = renderCompact(v, 100);
  if (one !== null) return one;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + renderJson(x, inner)).join(',\n')}\n${indent}]`;
  const keys = Object.keys(v).sort();
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${renderJson(v[k], inner)}`).join(',\n')}\n${indent}}`;
}

export function renderRecord(record) {
  const out = [`status ${record.status}`];
  for (const name of Object.keys(record.headers).sort()) out.push(`header ${name}: ${record.headers[name]}`);
  if (record.encodingError) out.push(`encoding error: ${record.encodingError}`);
  if (record.aborted) out.push('connection broken before the body ended');
  const b = record.body;
  switch (b.kind) {
    case 'empty':
      out.push('body: empty');
      break;
    case 'text':
      out.push(`body text: ${JSON.stringify(b.text)}`);
      break;
    case 'bytes':
      out.push(`body bytes (base64): ${b.base64}`);
      break;
    case 'invalid-json':
      out.push(`body is not valid JSON: ${JSON.stringify(b.text)}`);
      break;
    case 'json':
      if (b.value && Array.isArray(b.value.results) && record.labels) {
        // A pipeline answer: one block per result, titled with the request it answers.
        const { results, ...rest } = b.value;
        out.push(`body json: ${renderJson(Object.assign(Object.create(null), rest))} + results:`);
        results.forEach((r, i) => out.push(`  results[${i}] (${record.labels[i] ?? 'no request'}): ${renderJson(r, '  ')}`));
      } else {
        out.push(`body json: ${renderJson(b.value)}`);
      }
      break;
    case 'ndjson':
      out.push('body ndjson:');
      for (const line of b.lines) out.push(`  ${renderJson(line, '  ')}`);
      break;
    case 'not-compared':
      out.push(`body not compared: ${b.reason}`);
      break;
    default:
      out.push(`body ${b.kind}`);
  }
  return out.join('\n');
}
