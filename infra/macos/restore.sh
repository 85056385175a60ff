#!/bin/bash
# Restore an agent backup made by backup.sh, on the same or another Mac mini.
#
#   infra/macos/restore.sh ARCHIVE (--passphrase-file FILE | --keychain-item NAME |
#                          --age-identity FILE) [--data-dir DIR] [--no-service]
#
# On another machine: run install.sh first with the same --server-url and the dead
# machine's agent token (or a token from POST /api/admin/agents/{id}/rotate-token),
# so the restored sessions belong to the same agent id; then restore. Never run two
# machines with the same sessions: WhatsApp sees a second browser (CONFLICT) and may
# log the number out.
#
# The archive is checked (checksum, decryption, a data dir inside) before anything is
# touched; the agent is then stopped, the current data dir kept aside as
# <dir>.before-restore-<time>, the backup moved into place, and the agent started.
set -euo pipefail

LABEL=com.wacast.agent
PLIST="/Library/LaunchDaemons/$LABEL.plist"
data_dir="$HOME/Library/Application Support/wacast/data"
archive=""
passphrase_file=""
keychain_item=""
age_identity=""
manage_service=1
PBKDF2_ITER=600000

die() { echo "restore.sh: $*" >&2; exit 1; }
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir=${2:?}; shift 2 ;;
    --passphrase-file) passphrase_file=${2:?}; shift 2 ;;
    --keychain-item) keychain_item=${2:?}; shift 2 ;;
    --age-identity) age_identity=${2:?}; shift 2 ;;
    --no-service) manage_service=0; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option: $1" >&2; usage 2 ;;
    *) archive=$1; shift ;;
  esac
done

[ -n "$archive" ] || usage 2
[ -f "$archive" ] || die "no archive at $archive"

# shellcheck source-path=SCRIPTDIR source=archive-lib.sh
. "$(dirname "$0")/archive-lib.sh"

if [ -f "$archive.sha256" ]; then
  [ "$(sha256 "$archive")" = "$(tr -d ' \n' <"$archive.sha256")" ] \
    || die "checksum mismatch: $archive is damaged"
fi

decrypt() {
  case "$archive" in
    *.age)
      [ -n "$age_identity" ] || die "an .age archive needs --age-identity FILE"
      age -d -i "$age_identity" "$archive"
      ;;
    *.enc)
      local openssl_bin
      openssl_bin=$(pick_openssl) || die "no openssl with -pbkdf2 (brew install openssl@3)"
      if [ -n "$passphrase_file" ]; then
        "$openssl_bin" enc -d -aes-256-cbc -pbkdf2 -iter "$PBKDF2_ITER" \
          -pass "file:$passphrase_file" -in "$archive"
      elif [ -n "$keychain_item" ]; then
        "$openssl_bin" enc -d -aes-256-cbc -pbkdf2 -iter "$PBKDF2_ITER" -pass fd:3 \
          -in "$archive" 3< <(security find-generic-password -a "$USER" -s "$keychain_item" -w)
      else
        die "an .enc archive needs --passphrase-file or --keychain-item"
      fi
      ;;
    *) die "unknown archive type: $archive (.enc or .age)" ;;
  esac
}

umask 077
parent=$(dirname "$data_dir")
mkdir -p "$parent"
# Unpack next to the data dir (same volume, so the final move is a rename).
staging=$(mktemp -d "$parent/.wacast-restore.XXXXXX")
stopped=0
cleanup() {
  rm -rf "$staging"
  if [ "$stopped" -eq 1 ]; then
    sudo launchctl bootstrap system "$PLIST" || echo "restore.sh: could not start $LABEL" >&2
  fi
}
trap cleanup EXIT

decrypt | tar -C "$staging" -xzf - || die "could not decrypt or unpack $archive (wrong key?)"
entries=("$staging"/*)
if [ "${#entries[@]}" -ne 1 ] || [ ! -d "${entries[0]}" ]; then
  die "unexpected archive layout"
fi
restored=${entries[0]}

if [ "$manage_service" -eq 1 ] && command -v launchctl >/dev/null 2>&1 \
  && sudo launchctl print "system/$LABEL" >/dev/null 2>&1; then
  echo "stopping $LABEL"
  sudo launchctl bootout "system/$LABEL"
  stopped=1
  for _ in $(seq 1 120); do
    pgrep -u "$(id -u)" -f "wacast-agent" >/dev/null 2>&1 || break
    sleep 1
  done
fi

if [ -e "$data_dir" ]; then
  aside="$data_dir.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$data_dir" "$aside"
  echo "previous data kept at $aside"
fi
mv "$restored" "$data_dir"
chmod 700 "$data_dir"
echo "restored $archive into $data_dir"
if [ "$stopped" -eq 0 ] && [ "$manage_service" -eq 1 ] && [ -f "$PLIST" ]; then
  # Installed but not loaded (a replacement machine after install.sh --no-start).
  sudo launchctl bootstrap system "$PLIST" 2>/dev/null || true
fi
