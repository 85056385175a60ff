#!/usr/bin/env bash
# Shared by backup.sh and restore.sh (sourced, not run): the openssl to trust and checksums.

# An openssl that has `enc -pbkdf2` (macOS's LibreSSL may not): Homebrew's first, then PATH.
pick_openssl() {
  local candidate
  for candidate in /opt/homebrew/opt/openssl@3/bin/openssl /usr/local/opt/openssl@3/bin/openssl \
    "$(command -v openssl || true)"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
    if printf x | "$candidate" enc -aes-256-cbc -pbkdf2 -iter 1000 -pass pass:probe \
      >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

sha256() {
  if command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1"; else sha256sum "$1"; fi \
    | awk '{print $1}'
}
