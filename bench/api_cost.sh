#!/usr/bin/env bash
# api_cost.sh: instructions each API case executes, our API against raw sqlite3, counted
# by callgrind (exact and repeatable, unlike time on a shared machine). The read cases
# run with a warm page cache: each variant opens the file, then the run is counted.
#
#   bench/api_cost.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR}
cost="$build/bench/api_cost"
command -v valgrind >/dev/null || { echo "api_cost.sh: valgrind is not installed" >&2; exit 1; }

count() {  # case variant -> instructions inside measured_run
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='measured_run*' \
    "$cost" "$1" "$2" 2>&1) || { echo "$out" >&2; exit 1; }
  echo "$out" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '\n%-24s %16s %16s %8s\n' "case (instructions)" "libsql" "reference" "ratio"
for name in insert_100k_one_tx point_select_100k full_scan_100k_rows sql_aggregate_100k; do
  ours=$(count "$name" libsql)
  ref=$(count "$name" reference)
  awk -v n="$name" -v a="$ours" -v b="$ref" 'BEGIN { printf "%-24s %16d %16d %8.3f\n", n, a, b, a / b }'
done
echo "(ratio = libsql instructions / raw sqlite3 instructions for the same work)"
