// markdown_table.cjs: prints rows of strings (the first the header) as a Markdown table
// with aligned columns, for the benchmark reports.
"use strict";

function printTable(table) {
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const render = (r) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(render(table[0]));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of table.slice(1)) console.log(render(r));
}

module.exports = { printTable };
