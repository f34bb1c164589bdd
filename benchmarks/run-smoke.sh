#!/usr/bin/env bash
# Smoke run of every benchmark, for CI: each micro-benchmark once (BenchmarkDotNet's Dry job), 1 s of end-to-end
# throughput against both servers, 2 start-up runs, the traced start-up children (startup-jit), one short round of the breakdown and profile modes. It checks that
# they run and pass their own checks (nothing dropped, every id delivered exactly once, every start-up child's event
# delivered, every capture accepted); it judges no number.
# Exits non-zero on the first failure. Logs: artifacts/benchmarks-smoke/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

project=benchmarks/ErrorReporting.Benchmarks
out=artifacts/benchmarks-smoke
rm -rf "$out"
mkdir -p "$out"

dotnet build "$project" -c Release -warnaserror --nologo -v quiet

# Runs one step with its output in $out/<name>.log; prints the lines that matter, or the log's end on failure.
step() {
  local name=$1 summary=$2
  shift 2
  echo "== $name: $*"
  if dotnet run -c Release --no-build --project "$project" -- "$@" >"$out/$name.log" 2>&1; then
    grep -E "$summary" "$out/$name.log" || true
  else
    local status=$?
    tail -n 60 "$out/$name.log"
    echo "FAILED ($status): $name; full log in $out/$name.log" >&2
    exit 1
  fi
}

step micro-dry '^// \* (Summary|Warnings) \*|^\| |executed benchmarks|FAILED' --filter '*' --job Dry --artifacts "$out/micro-dry"
if ! grep -Eq 'Global total time: .*executed benchmarks: [1-9]' "$out/micro-dry.log"; then
  echo "FAILED: no micro-benchmark was executed; full log in $out/micro-dry.log" >&2
  exit 1
fi

step throughput '^  throughput:|dropped:|ids:|result:' throughput --seconds 1
step throughput-minimal '^  throughput:|dropped:|ids:|result:' throughput --seconds 1 --server minimal
step startup 'library:|baseline:|sdk:|delivered:|result:' startup --runs 2
step startup-jit 'first resolve|SentrySdk.Init|result:' startup-jit
step breakdown 'part|StackTrace' breakdown --ops 50 --rounds 1
step profile 'median' profile --scenario errorreporting --calls 100 --rounds 1 --warmup 1

echo "benchmarks smoke: passed"
