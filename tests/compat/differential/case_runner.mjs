// case_runner.mjs: runs one case (a sequence of requests from requests.mjs) against one
// server, substituting batons, and returns one normalized record per request.
// Knows nothing about the other server: differential.test.mjs pairs the results.

import { sendRequest } from './http_client.mjs';
import { normalizeResponse, parseJsonLossless } from './normalize.mjs';
import { applyDeliberate } from './deliberate.mjs';

// Placeholders: "$baton" is the baton of the most recent answer that carried a `baton`
// field (string or null); "$baton:NAME" is the baton saved by a request with
// `saveBaton: "NAME"`. In object bodies a string equal to the placeholder is replaced by the
// baton value; in raw string bodies the quoted placeholder ("$baton") is replaced by the
// JSON encoding of the baton.
const kPlaceholder = /^\$baton(?::(\w+))?$/;
const kQuotedPlaceholder = /"\$baton(?::(\w+))?"/g;

function lookupBaton(state, name, caseName) {
  if (name) {
    if (!(name in state.saved)) throw new Error(`case ${caseName}: no baton saved as "${name}"`);
    return state.saved[name];
  }
  if (state.last === undefined) throw new Error(`case ${caseName}: "$baton" used before any answer carried one`);
  return state.last;
}

function substitute(value, state, caseName) {
  if (typeof value === 'string') {
    const m = kPlaceholder.exec(value);
    return m ? lookupBaton(state, m[1], caseName) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, state, caseName));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, state, caseName);
    return out;
  }
  return value;
}

// Turns a case request into what http_client.mjs sends.
function materialize(req, state, caseName) {
  const method = req.method || (req.body === undefined ? 'GET' : 'POST');
  const headers = {};
  let body;
  if (req.body === undefined) {
    body = undefined;
  } else if (Buffer.isBuffer(req.body)) {
    body = req.body;
    headers['content-type'] = 'application/json';
  } else if (typeof req.body === 'string') {
    body = req.body.replace(kQuotedPlaceholder, (_, name) => JSON.stringify(lookupBaton(state, name, caseName)));
    headers['content-type'] = 'application/json';
  } else {
    body = JSON.stringify(substitute(req.body, state, caseName));
    headers['content-type'] = 'application/json';
  }
  for (const [k, v] of Object.entries(req.headers || {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  return { method, path: req.path, headers, body, chunked: Boolean(req.chunked) };
}

// The baton an answer carries: the `baton` field of a JSON pipeline body or of a cursor's
// first line; undefined when there is none (errors, probes).
function batonOf(response) {
  if (response.status !== 200 || response.body.length === 0) return undefined;
  const text = response.body.toString('utf8');
  const first = text.split('\n', 1)[0];
  try {
    const v = parseJsonLossless(first);
    if (v && typeof v === 'object' && !Array.isArray(v) && 'baton' in v) {
      return typeof v.baton === 'string' || v.baton === null ? v.baton : undefined;
    }
  } catch {
    // not JSON: no baton
  }
  return undefined;
}

// Returns [{request, sent, record, raw}] in request order.
export async function runCase(baseUrl, testCase) {
  const state = { last: undefined, saved: {} };
  const out = [];
  for (const [index, req] of testCase.requests.entries()) {
    const sent = materialize(req, state, testCase.name);
    let response;
    try {
      response = await sendRequest(baseUrl, sent);
    } catch (e) {
      // A dropped connection or a timeout is an answer too; record it instead of aborting.
      response = { status: 0, headers: {}, body: Buffer.from(`transport error: ${e.code || e.message}`) };
    }
    const baton = batonOf(response);
    if (baton !== undefined) {
      state.last = baton;
      if (req.saveBaton) state.saved[req.saveBaton] = baton;
    }
    const record = applyDeliberate(normalizeResponse(req, response), { testCase, request: req, index, response });
    out.push({ request: req, sent, record, raw: response });
  }
  return out;
}
