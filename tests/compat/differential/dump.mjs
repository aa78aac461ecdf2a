// dump.mjs: prints the normalized records one server gives for the request set, for reading
// what the reference does. Usage: node dump.mjs SERVER_URL [CASE_NAME_REGEX] [--compact]
// --compact prints each record on few lines, long strings cut, StmtResults abridged.
// --full ignores the cases' compare.prefix, to read whole error texts.

import cases from './requests.mjs';
import { runCase } from './case_runner.mjs';
import { renderRecord, JsonNumber, Marker } from './normalize.mjs';

const args = process.argv.slice(2);
const compact = args.includes('--compact');
const full = args.includes('--full');
const [url, pattern] = args.filter((a) => !a.startsWith('--'));
if (!url) {
  console.error('usage: node dump.mjs SERVER_URL [CASE_NAME_REGEX] [--compact] [--full]');
  process.exit(2);
}

const kStmtResultKeys = 'affected_row_count,cols,last_insert_rowid,query_duration_ms,replication_index,rows,rows_read,rows_written';

function brief(v) {
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof Marker) return `<${v.label}>`;
  if (typeof v === 'string') return JSON.stringify(v.length > 200 ? `${v.slice(0, 160)}…(${v.length})` : v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    const items = v.length > 6 ? [...v.slice(0, 5).map(brief), `…${v.length - 5} more`] : v.map(brief);
    return `[${items.join(',')}]`;
  }
  if ('cols' in v && 'rows' in v && 'affected_row_count' in v) {
    // StmtResult: cols by name/decltype, rows, counters.
    const cols = v.cols.map((c) => `${c.name}${c.decltype ? `:${c.decltype}` : ''}`).join(',');
    const rows = v.rows.length > 4 ? `${brief(v.rows.slice(0, 4))}…(${v.rows.length} rows)` : brief(v.rows);
    const keys = Object.keys(v).sort().join(',');
    const odd = keys === kStmtResultKeys ? '' : ` keys=${keys}`;
    return `SR{cols=[${cols}] rows=${rows} arc=${brief(v.affected_row_count)} lir=${brief(v.last_insert_rowid)} ri=${brief(v.replication_index)}${odd}}`;
  }
  if (v.type === 'integer' || v.type === 'text' || v.type === 'float') return `${v.type[0]}:${brief(v.value)}${Object.keys(v).length > 2 ? '+' : ''}`;
  if (v.type === 'blob') return `b:${brief(v.base64)}`;
  if (v.type === 'null' && Object.keys(v).length === 1) return 'null';
  return `{${Object.keys(v).sort().map((k) => `${k}:${brief(v[k])}`).join(', ')}}`;
}

function briefRecord(r) {
  const h = Object.entries(r.headers).filter(([k]) => k !== 'access-control-allow-origin').map(([k, x]) => `${k}=${x}`).join(' ');
  const b = r.body;
  let body;
  if (b.kind === 'json' && b.value && Array.isArray(b.value.results)) {
    body = `baton=${brief(b.value.baton)} base_url=${brief(b.value.base_url)} ${Object.keys(b.value).sort().join(',')}\n` + b.value.results.map((x, i) => `    [${i}] ${brief(x)}`).join('\n');
  } else if (b.kind === 'json') body = brief(b.value);
  else if (b.kind === 'ndjson') body = '\n' + b.lines.map((l) => `    ${brief(l)}`).join('\n');
  else if (b.kind === 'text') body = `text ${JSON.stringify(b.text)}`;
  else body = b.kind === 'empty' ? 'empty' : JSON.stringify(b);
  return `  ${r.status} ${h} ${body}`;
}

const re = pattern ? new RegExp(pattern) : null;
for (const c of cases) {
  if (re && !re.test(c.name)) continue;
  console.log(`=== case ${c.name}`);
  const run = full ? { ...c, requests: c.requests.map((r) => ({ ...r, compare: { ...r.compare, prefix: undefined } })) } : c;
  const results = await runCase(url, run);
  results.forEach(({ sent, record }, k) => {
    const body = sent.body === undefined ? '' : ` ${sent.body.toString('utf8').slice(0, compact ? 160 : 200)}`;
    console.log(`--- #${k} ${sent.method} ${sent.path}${body}`);
    console.log(compact ? briefRecord(record) : renderRecord(record));
  });
}
