#!/usr/bin/env bash
# dialect_cost.sh: instructions it takes to prepare and finalize each dialect case's
# statements (dialect_cases.h), on a connection with the libSQL dialect against one
# without, counted by callgrind (exact and repeatable, unlike time on a shared machine).
# Each variant opens its connection and prepares the statements a few times first (the
# schema is loaded), then OPERATIONS operations are counted.
#
#   bench/dialect_cost.sh BUILD_DIR [OPERATIONS]
#
# Plain cases are held to the bound (the dialect adds under 2%); the column says
# whether each meets it. Rewrite cases are for information. Never fails on a ratio.
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR [OPERATIONS]}
operations=${2:-2000}
cost="$build/bench/dialect_cost"
command -v valgrind >/dev/null || { echo "dialect_cost.sh: valgrind is not installed" >&2; exit 1; }

count() {  # case variant -> instructions inside measured_run
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='measured_run*' \
    "$cost" "$1" "$2" "$operations" 2>&1) || { echo "$out" >&2; exit 1; }
  echo "$out" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '\n%-28s %-8s %12s %12s %8s  %s\n' "case (instructions/op)" "kind" "dialect" "no_dialect" \
  "ratio" "under 2%"
"$cost" --list | while read -r name kind; do
  with=$(count "$name" dialect)
  without=$(count "$name" no_dialect)
  awk -v n="$name" -v k="$kind" -v a="$with" -v b="$without" -v ops="$operations" 'BEGIN {
    r = a / b
    verdict = k == "plain" ? (r < 1.02 ? "yes" : "NO") : "-"
    printf "%-28s %-8s %12.0f %12.0f %8.4f  %s\n", n, k, a / ops, b / ops, r, verdict
  }'
done
echo "(ratio = instructions with the dialect / without, same statements, same file; $operations" \
  "operations of prepare + finalize each)"
