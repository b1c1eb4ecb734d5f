#!/usr/bin/env bash
# Installs Debian's Chromium for the console's browser test (tests/console/test_browser.py).
# Playwright drives /usr/bin/chromium; `playwright install` is never used, so no browser
# is downloaded from outside the distribution's archive. Idempotent: does nothing when
# Chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "Chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing Chromium from the Debian archive (apt-get install chromium)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null  # errors still reach stderr
  echo "Chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

cat >&2 <<'MSG'
Chromium is missing at /usr/bin/chromium and this script cannot install it (it needs root
and apt-get). On Debian/Ubuntu, run as root:
    apt-get update && apt-get install -y chromium
The browser test (tests/console/test_browser.py) is skipped until then, except under CI,
where it fails.
MSG
# Not fatal for a developer's setup (the test skips); fatal in CI, like the test.
if [ -n "${CI:-}" ]; then exit 1; fi
exit 0
