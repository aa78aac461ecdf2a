// diff_text.mjs: a small line diff (LCS) for showing two rendered records side by side.
// Output lines: "  " same, "- " reference only, "+ " ours only; unchanged runs longer than
// 2 * context lines are elided.

export function lineDiff(reference, ours, context = 3) {
  const a = reference.split('\n');
  const b = ours.split('\n');
  const n = a.length;
  const m = b.length;
  // LCS lengths from the end; records are small (a few thousand lines at most).
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push(['  ', a[i++], j++]);
    else if (i < n && (j === m || dp[i + 1][j] >= dp[i][j + 1])) ops.push(['- ', a[i++]]);
    else ops.push(['+ ', b[j++]]);
  }
  const keep = ops.map((op, k) => op[0] !== '  ' || ops.slice(Math.max(0, k - context), k + context + 1).some((o) => o[0] !== '  '));
  const out = [];
  let skipped = 0;
  ops.forEach((op, k) => {
    if (keep[k]) {
      if (skipped) out.push(`  … ${skipped} unchanged line(s)`);
      skipped = 0;
      out.push(op[0] + op[1]);
    } else skipped++;
  });
  if (skipped) out.push(`  … ${skipped} unchanged line(s)`);
  return out.join('\n');
}
