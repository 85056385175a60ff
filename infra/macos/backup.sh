#!/bin/bash
# Encrypted backup of the wacast agent's data dir (WhatsApp sessions on disk + the
# send journal), so a dead Mac mini does not mean re-scanning every number.
#
#   infra/macos/backup.sh --out DIR (--passphrase-file FILE | --keychain-item NAME |
#                         --age-recipients FILE) [--data-dir DIR] [--live] [--no-service]
#
# Consistency: by default the agent is stopped (launchd bootout: SIGTERM, the agent
# stops its OpenWA sessions cleanly), the directory archived, and the agent started
# again, also when the backup fails. That is a minute or so without sending; leases
# simply expire and return to pending. --live keeps the agent running: the journal is
# copied with SQLite's online backup and the browser profiles are copied as they are
# (crash-consistent, like after a power cut; Chromium usually recovers, not always).
#
# Encryption: age (authenticated; to a public key, so the machine holds no secret
# that decrypts) when --age-recipients is given, else openssl AES-256-CBC with PBKDF2
# and a passphrase from a file (mode 600) or the login keychain
# (security add-generic-password -s NAME -a "$USER" -w). A .sha256 file sits beside it.
# Browser caches (Cache, Code Cache, GPUCache) are left out: they rebuild themselves.
set -euo pipefail

LABEL=com.wacast.agent
PLIST="/Library/LaunchDaemons/$LABEL.plist"
data_dir="$HOME/Library/Application Support/wacast/data"
out_dir=""
passphrase_file=""
keychain_item=""
age_recipients=""
live=0
manage_service=1
PBKDF2_ITER=600000

die() { echo "backup.sh: $*" >&2; exit 1; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out_dir=${2:?}; shift 2 ;;
    --data-dir) data_dir=${2:?}; shift 2 ;;
    --passphrase-file) passphrase_file=${2:?}; shift 2 ;;
    --keychain-item) keychain_item=${2:?}; shift 2 ;;
    --age-recipients) age_recipients=${2:?}; shift 2 ;;
    --live) live=1; shift ;;
    --no-service) manage_service=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done

[ -n "$out_dir" ] || usage 2
[ -d "$data_dir" ] || die "no data dir at $data_dir"
[ -n "$age_recipients$passphrase_file$keychain_item" ] \
  || die "choose --age-recipients, --passphrase-file or --keychain-item"
if [ -n "$passphrase_file" ]; then
  [ -r "$passphrase_file" ] || die "cannot read $passphrase_file"
  [ -s "$passphrase_file" ] || die "$passphrase_file is empty"
fi
if [ -n "$age_recipients" ]; then
  command -v age >/dev/null 2>&1 || die "age is not installed (brew install age)"
fi

# shellcheck source-path=SCRIPTDIR source=archive-lib.sh
. "$(dirname "$0")/archive-lib.sh"

stopped=0
start_agent() {
  if [ "$stopped" -eq 1 ]; then
    echo "starting $LABEL again"
    sudo launchctl bootstrap system "$PLIST" || echo "backup.sh: could not restart $LABEL" >&2
    stopped=0
  fi
}

staging=""
cleanup() {
  start_agent
  [ -z "$staging" ] || rm -rf "$staging"
}
trap cleanup EXIT

umask 077
mkdir -p "$out_dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="wacast-agent-$(hostname -s)-$stamp.tar.gz"
parent=$(dirname "$data_dir")
base=$(basename "$data_dir")
excludes=(--exclude '*/Cache' --exclude '*/Code Cache' --exclude '*/GPUCache')

if [ "$live" -eq 1 ]; then
  # Copy aside first: the journal through SQLite's backup API, the rest as it is.
  command -v sqlite3 >/dev/null 2>&1 || die "--live needs sqlite3"
  staging=$(mktemp -d "${TMPDIR:-/tmp}/wacast-backup.XXXXXX")
  mkdir -p "$staging/$base"
  tar -C "$parent" "${excludes[@]}" --exclude "$base/journal.sqlite3*" -cf - "$base" \
    | tar -C "$staging" -xf -
  if [ -f "$data_dir/journal.sqlite3" ]; then
    sqlite3 "$data_dir/journal.sqlite3" ".backup '$staging/$base/journal.sqlite3'"
  fi
  parent=$staging
elif [ "$manage_service" -eq 1 ] && command -v launchctl >/dev/null 2>&1 \
  && sudo launchctl print "system/$LABEL" >/dev/null 2>&1; then
  echo "stopping $LABEL (the agent stops its sessions cleanly)"
  sudo launchctl bootout "system/$LABEL"
  stopped=1
  for _ in $(seq 1 120); do  # bootout returns before the process has gone
    pgrep -u "$(id -u)" -f "wacast-agent" >/dev/null 2>&1 || break
    sleep 1
  done
  ! pgrep -u "$(id -u)" -f "wacast-agent" >/dev/null 2>&1 || die "agent did not stop"
fi

tmp_out="$out_dir/.$name.partial"
if [ -n "$age_recipients" ]; then
  target="$out_dir/$name.age"
  tar -C "$parent" "${excludes[@]}" -czf - "$base" | age -R "$age_recipients" -o "$tmp_out"
else
  target="$out_dir/$name.enc"
  openssl_bin=$(pick_openssl) || die "no openssl with -pbkdf2 (brew install openssl@3)"
  if [ -n "$passphrase_file" ]; then
    tar -C "$parent" "${excludes[@]}" -czf - "$base" \
      | "$openssl_bin" enc -aes-256-cbc -salt -pbkdf2 -iter "$PBKDF2_ITER" \
        -pass "file:$passphrase_file" -out "$tmp_out"
  else
    tar -C "$parent" "${excludes[@]}" -czf - "$base" \
      | "$openssl_bin" enc -aes-256-cbc -salt -pbkdf2 -iter "$PBKDF2_ITER" -pass fd:3 \
        -out "$tmp_out" 3< <(security find-generic-password -a "$USER" -s "$keychain_item" -w)
  fi
fi
start_agent
mv -f "$tmp_out" "$target"
sha256 "$target" >"$target.sha256"
echo "backup: $target ($(du -h "$target" | cut -f1))"
