#!/usr/bin/env bash
# The definitive run, for a quiet machine: every micro-benchmark (BenchmarkDotNet's default job), the per-part
# breakdown, 10 s of end-to-end throughput against SentryTestServer and against the minimal endpoint, 20 start-up
# runs. Takes about 15 minutes on 2 cores.
# Everything it prints goes to benchmarks/results/ (replaced on each run):
#   environment.txt                     machine, runtime, commit, load average before, between the parts and after
#   *-report-github.md                  BenchmarkDotNet's tables (from BenchmarkDotNet.Artifacts/results/)
#   micro-benchmarks.log                BenchmarkDotNet's full console output
#   breakdown.txt                       what an exception event is made of on the caller's thread, part by part
#   throughput.txt, throughput-minimal.txt, startup.txt, startup-jit.txt
# Runs every part even when one fails; exits non-zero when any did.
set -uo pipefail
cd "$(dirname "$0")/.."

project=benchmarks/ErrorReporting.Benchmarks
results=benchmarks/results
artifacts=BenchmarkDotNet.Artifacts
seconds=${THROUGHPUT_SECONDS:-10}
runs=${STARTUP_RUNS:-20}

rm -rf "$results" "$artifacts/results"
mkdir -p "$results"
dotnet build "$project" -c Release -warnaserror --nologo -v quiet || exit 1

run() { dotnet run -c Release --no-build --project "$project" -- "$@"; }
failed=()

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "machine: $(nproc) logical cores; $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(free -m 2>/dev/null | awk '/^Mem:/ {print $2 " MB"}')"
  echo "os: $(uname -srm)"
  echo "dotnet sdk: $(dotnet --version)"
  dotnet --list-runtimes | sed 's/^/runtime: /'
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
} >"$results/environment.txt"

echo "== micro-benchmarks (BenchmarkDotNet default job)"
run --filter '*' --artifacts "$artifacts" 2>&1 | tee "$results/micro-benchmarks.log" || failed+=(micro-benchmarks)
cp "$artifacts"/results/*-report-github.md "$results/" 2>/dev/null || failed+=(micro-benchmark-reports)
echo "load average after micro-benchmarks: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >>"$results/environment.txt"

echo "== breakdown"
run breakdown 2>&1 | tee "$results/breakdown.txt" || failed+=(breakdown)

echo "== throughput, SentryTestServer"
run throughput --seconds "$seconds" --queue 10000 2>&1 | tee "$results/throughput.txt" || failed+=(throughput)
echo "== throughput, minimal endpoint"
run throughput --seconds "$seconds" --queue 10000 --server minimal 2>&1 | tee "$results/throughput-minimal.txt" || failed+=(throughput-minimal)
echo "== start-up"
run startup --runs "$runs" 2>&1 | tee "$results/startup.txt" || failed+=(startup)
echo "== start-up, JIT compilation per step"
run startup-jit 2>&1 | tee "$results/startup-jit.txt" || failed+=(startup-jit)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >>"$results/environment.txt"

if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED: ${failed[*]} (see $results/)" >&2
  exit 1
fi

echo "all benchmarks ran; results in $results/"
