// differential.test.mjs: sends every case of requests.mjs to our sqld and to the reference
// sqld and asserts that the normalized answers are equal. Server URLs come from
// LIBSQL_DIFF_OURS and LIBSQL_DIFF_REFERENCE (run.sh starts both and sets them).
// Optional: LIBSQL_DIFF_FILTER (regex on case names), LIBSQL_DIFF_DUMP (directory where the
// rendered records of both sides are written, one file per case and side).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import cases, { tablePrefix } from './requests.mjs';
import { runCase } from './case_runner.mjs';
import { renderRecord } from './normalize.mjs';
import { lineDiff } from './diff_text.mjs';
import { kDeliberateDifferences } from './deliberate.mjs';

const ours = process.env.LIBSQL_DIFF_OURS;
const reference = process.env.LIBSQL_DIFF_REFERENCE;
const filter = process.env.LIBSQL_DIFF_FILTER ? new RegExp(process.env.LIBSQL_DIFF_FILTER) : null;
const dumpDir = process.env.LIBSQL_DIFF_DUMP;
const skip = !ours || !reference ? 'set LIBSQL_DIFF_OURS and LIBSQL_DIFF_REFERENCE (run.sh does)' : false;

function describeRequest(sent) {
  const body = sent.body === undefined ? '' : ` ${sent.body.toString('utf8').slice(0, 300)}${sent.body.length > 300 ? '…' : ''}`;
  return `${sent.method} ${sent.path}${body}`;
}

const kCaseTimeoutMs = 30_000;

// A diff longer than this is cut; LIBSQL_DIFF_DUMP keeps the whole records.
const kMaxDiffLines = 150;

function truncateLines(text, max) {
  const lines = text.split('\n');
  if (lines.length <= max) return text;
  return [...lines.slice(0, max), `  … ${lines.length - max} more diff line(s); set LIBSQL_DIFF_DUMP=DIR to get both records`].join('\n');
}

function fileName(caseName) {
  return caseName.replace(/[^A-Za-z0-9_-]+/g, '_');
}

// Cases share one server per side, so they run one at a time, in file order.
describe('differential: ours vs reference sqld', { concurrency: 1 }, () => {
  test('request set is well formed', () => {
    const names = new Set();
    for (const c of cases) {
      assert.ok(!names.has(c.name), `case name ${c.name} is used twice`);
      names.add(c.name);
      const prefix = tablePrefix(c.name);
      const json = JSON.stringify(c.requests);
      const re = /\bcreate\s+(?:temp\s+|temporary\s+)?(?:table|view|index|trigger)\s+(?:if\s+not\s+exists\s+)?([A-Za-z_][A-Za-z0-9_]*)/gi;
      for (const m of json.matchAll(re)) {
        assert.ok(m[1].startsWith(prefix), `case ${c.name} creates ${m[1]}, which does not start with its prefix ${prefix}: cases must not share tables`);
      }
    }
    for (const d of kDeliberateDifferences) {
      assert.ok(d.id && d.reason && d.source && typeof d.apply === 'function', `deliberate difference ${d.id} needs id, reason, source and apply`);
    }
  });

  for (const c of cases) {
    if (filter && !filter.test(c.name)) continue;
    test(c.name, { skip, timeout: kCaseTimeoutMs }, async () => {
      const [mine, theirs] = await Promise.all([runCase(ours, c), runCase(reference, c)]);
      const mismatches = [];
      const dump = { ours: [], reference: [] };
      for (let k = 0; k < c.requests.length; k++) {
        const a = renderRecord(theirs[k].record);
        const b = renderRecord(mine[k].record);
        const title = `#${k} ${describeRequest(theirs[k].sent)}`;
        dump.reference.push(`${title}\n${a}\n`);
        dump.ours.push(`${title}\n${b}\n`);
        if (a !== b) mismatches.push(`request ${title}\n${truncateLines(lineDiff(a, b), kMaxDiffLines)}`);
      }
      if (dumpDir) {
        fs.mkdirSync(dumpDir, { recursive: true });
        fs.writeFileSync(path.join(dumpDir, `${fileName(c.name)}.reference.txt`), dump.reference.join('\n'));
        fs.writeFileSync(path.join(dumpDir, `${fileName(c.name)}.ours.txt`), dump.ours.join('\n'));
      }
      if (mismatches.length) {
        assert.fail(
          `case ${c.name}: ${mismatches.length} of ${c.requests.length} answers differ ` +
            `("- " = reference sqld, "+ " = ours)\n\n${mismatches.join('\n\n')}`,
        );
      }
    });
  }
});
