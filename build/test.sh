#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need when it is missing (build/install-prerequisites.sh),
# restores, builds everything with warnings as errors and runs every test project.
# Results (TRX) go to artifacts/test-results; extra arguments are passed to `dotnet test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")/.."

./build/install-prerequisites.sh

results=artifacts/test-results
rm -rf "$results"

# The conformance judges (Sentry's envelope parser, Relay's event schema) run on Node.js.
if [ ! -d tests/conformance/node_modules ]; then
  (cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)
fi

dotnet restore ErrorReporting.sln
dotnet build ErrorReporting.sln -c Release --no-restore -warnaserror
dotnet test ErrorReporting.sln -c Release --no-build --logger "trx" --results-directory "$results" "$@"
