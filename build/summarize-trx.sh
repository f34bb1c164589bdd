#!/usr/bin/env bash
# Prints "tests: N passed, N failed" from the TRX files in a folder (the real results, not the runner's summary).
# Exits 1 when anything failed or no results were found.
set -uo pipefail
folder=${1:-artifacts/test-results}
passed=0
failed=0
found=0
for trx in "$folder"/*.trx; do
  [ -f "$trx" ] || continue
  found=$((found + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
done
echo "tests: $passed passed, $failed failed"
[ "$found" -gt 0 ] && [ "$failed" -eq 0 ]
