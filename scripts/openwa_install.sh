#!/usr/bin/env bash
# Install the pinned OpenWA CLI (@open-wa/wa-automate) into a cache directory of this
# checkout, without Puppeteer's own browser download (the agent drives the system
# Chrome/Chromium through WA_EXECUTABLE_PATH). Idempotent: a complete install is kept.
#
#   scripts/openwa_install.sh            # installs into .cache/openwa-<version>, prints the bin path
#   WACAST_OPENWA_DIR=/opt/openwa scripts/openwa_install.sh
# WACAST_OPENWA_VERSION installs another version to try an upgrade: the agent speaks 4.76.0,
# and tests/agent/test_openwa_contract.py says what another version changed.
set -euo pipefail

version="${WACAST_OPENWA_VERSION:-4.76.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${WACAST_OPENWA_DIR:-$root/.cache/openwa-$version}"
pkg="$dest/node_modules/@open-wa/wa-automate"
bin="$pkg/bin/server.js"
stamp="$dest/.installed-$version"

installed() {
  [ -f "$stamp" ] && [ -f "$bin" ] &&
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
      "$pkg/package.json" "$version"
}

mkdir -p "$(dirname "$dest")"
# parallel test workers may call this at once: one installs, the others wait for it
exec 9>"$dest.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ! installed; then
  command -v npm >/dev/null 2>&1 || { echo "openwa_install.sh: npm is required" >&2; exit 1; }
  tmp="$(mktemp -d "$dest.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo '{"name":"wacast-openwa","private":true}' >"$tmp/package.json"
  PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
    npm install --prefix "$tmp" --no-audit --no-fund --save-exact --loglevel=error \
    "@open-wa/wa-automate@$version" >&2
  touch "$tmp/.installed-$version"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
fi
echo "$bin"
