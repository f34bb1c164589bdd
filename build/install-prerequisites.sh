#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK, when it is missing (Debian packages; as root, or through sudo):
#   Node.js and npm   the conformance judges (Sentry's envelope parser, Relay's event schema) in tests/conformance
#   chromium          the tutorial's browser test (Playwright drives /usr/bin/chromium; no browser download)
#   clang, zlib1g-dev the Native AOT smoke test's link step
#   util-linux        setpriv: the offline-cache tests run a child as another user (a read-only folder means nothing to root)
# Does nothing when everything is there. Set ERRORREPORTING_SKIP_INSTALL=1 to skip it (then install them yourself).
set -euo pipefail

if [ "${ERRORREPORTING_SKIP_INSTALL:-0}" = "1" ]; then
  exit 0
fi

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
if ! command -v clang >/dev/null 2>&1 && ! ls /usr/bin/clang-[0-9]* >/dev/null 2>&1; then missing+=(clang); fi
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing: ${missing[*]}. Install them (this script knows only apt-get), or set ERRORREPORTING_SKIP_INSTALL=1." >&2
  exit 1
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing what the tests need: ${missing[*]}"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
