#!/bin/bash
# Install (or upgrade) the wacast edge agent on a Mac mini.
#
#   infra/macos/install.sh --server-url wss://<api-id>.execute-api.<region>.amazonaws.com/<stage> \
#       [--token-file FILE] [--wheel wacast_agent-X-py3-none-any.whl] [--chrome PATH] \
#       [--max-sessions N] [--license-key-file FILE] [--no-start]
#
# --no-start installs everything but leaves the daemon unloaded: use it on a
# replacement machine, then restore.sh the dead machine's backup (it starts the agent).
# Run it as the user the agent should run as (not root); it asks sudo for the three
# system steps: the launchd daemon plist, the newsyslog rule, and loading the daemon.
# Re-running it upgrades in place and keeps the token unless a new one is given.
# What it does:
#   1. Homebrew's node (if missing), Google Chrome (if missing), pipx and Python 3.12;
#   2. npm install -g @open-wa/wa-automate@4.76.0, the version the agent is tested against
#      (no puppeteer Chrome download: system Chrome);
#   3. pipx install of the agent (a wheel, or infra/macos/agent-package of this checkout);
#   4. ~/Library/Application Support/wacast/agent.env (mode 600) with the agent token;
#   5. /Library/LaunchDaemons/com.wacast.agent.plist, loaded; logs in ~/Library/Logs/wacast
#      rotated by /etc/newsyslog.d/com.wacast.agent.conf.
set -euo pipefail

LABEL=com.wacast.agent
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SUPPORT_DIR="$HOME/Library/Application Support/wacast"
ENV_FILE="$SUPPORT_DIR/agent.env"
DATA_DIR="$SUPPORT_DIR/data"
LOG_DIR="$HOME/Library/Logs/wacast"
PLIST_DEST="/Library/LaunchDaemons/$LABEL.plist"
NEWSYSLOG_DEST="/etc/newsyslog.d/$LABEL.conf"

server_url=""
token_file=""
wheel=""
chrome="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
max_sessions=""
license_key_file=""
# pinned: the agent reads OpenWA's replies by their exact 4.76.0 strings
# (tests/agent/test_openwa_contract.py); another version needs those tests first
openwa_version="4.76.0"
start=1

die() { echo "install.sh: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --server-url) server_url=${2:?}; shift 2 ;;
    --token-file) token_file=${2:?}; shift 2 ;;
    --wheel) wheel=${2:?}; shift 2 ;;
    --chrome) chrome=${2:?}; shift 2 ;;
    --max-sessions) max_sessions=${2:?}; shift 2 ;;
    --license-key-file) license_key_file=${2:?}; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done

[ "$(uname -s)" = Darwin ] || die "this installs a launchd daemon: run it on macOS"
[ "$(id -u)" -ne 0 ] || die "run as the user the agent runs as, not root (Homebrew refuses root)"
command -v brew >/dev/null 2>&1 \
  || die "Homebrew is required: install it from https://brew.sh, then re-run"

# Existing settings are kept on upgrade.
existing() {  # existing KEY -> value from the current env file, if any
  [ -f "$ENV_FILE" ] || return 0
  sed -n "s/^$1='\\(.*\\)'\$/\\1/p" "$ENV_FILE" | sed "s/'\\\\''/'/g" | tail -n 1
}
[ -n "$server_url" ] || server_url=$(existing WACAST_SERVER_URL)
[ -n "$server_url" ] || die "--server-url is required (the stack's WebsocketConnectEndpointURL)"
case "$server_url" in wss://*|ws://*) ;; *) die "--server-url must start with wss://" ;; esac

step "Node.js"
if ! command -v node >/dev/null 2>&1; then
  brew install node
fi
node --version

step "Google Chrome (OpenWA drives the system browser)"
if [ ! -x "$chrome" ]; then
  brew install --cask google-chrome
fi
[ -x "$chrome" ] || die "no browser at $chrome (pass --chrome PATH)"

step "OpenWA @open-wa/wa-automate@$openwa_version"
PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
  npm install -g --no-fund --no-audit "@open-wa/wa-automate@$openwa_version"
openwa_bin="$(npm prefix -g)/bin/wa-automate"
[ -x "$openwa_bin" ] || die "wa-automate not found at $openwa_bin"
installed_version=$(node -p "require('$(npm root -g)/@open-wa/wa-automate/package.json').version")
[ "$installed_version" = "$openwa_version" ] ||
  die "wa-automate $installed_version installed, $openwa_version expected"

step "Python and pipx"
brew list python@3.12 >/dev/null 2>&1 || brew install python@3.12
command -v pipx >/dev/null 2>&1 || brew install pipx
python_bin="$(brew --prefix python@3.12)/bin/python3.12"

step "wacast agent"
source_spec=${wheel:-"$REPO/infra/macos/agent-package"}
[ -e "$source_spec" ] || die "no agent wheel or package at $source_spec"
pipx install --force --python "$python_bin" "$source_spec"
agent_bin="$(pipx environment --value PIPX_BIN_DIR)/wacast-agent"
[ -x "$agent_bin" ] || die "wacast-agent not found at $agent_bin"

step "Configuration: $ENV_FILE"
umask 077
mkdir -p "$SUPPORT_DIR" "$DATA_DIR" "$LOG_DIR"
chmod 700 "$SUPPORT_DIR" "$DATA_DIR"

token=""
if [ -n "$token_file" ]; then
  token=$(tr -d '\r\n' <"$token_file")
elif [ -n "${WACAST_AGENT_TOKEN:-}" ]; then
  token=$WACAST_AGENT_TOKEN
else
  token=$(existing WACAST_AGENT_TOKEN)
fi
if [ -z "$token" ]; then
  [ -t 0 ] || die "no token: pass --token-file FILE (the token from POST /api/admin/agents)"
  read -r -s -p "Agent token (shown once by POST /api/admin/agents): " token
  echo
fi
[ -n "$token" ] || die "empty agent token"

license_key=""
if [ -n "$license_key_file" ]; then
  license_key=$(tr -d '\r\n' <"$license_key_file")
else
  license_key=$(existing WACAST_OPENWA_LICENSE_KEY)
fi

if [ -z "$max_sessions" ]; then
  max_sessions=$(existing WACAST_MAX_SESSIONS)
fi
if [ -z "$max_sessions" ]; then
  # ~545 MB PSS per OpenWA session (node + Chromium, ~1 GB RSS) measured; budget 700 MB
  # each and keep 2 GB for macOS and the agent.
  mem_mb=$(( $(sysctl -n hw.memsize) / 1048576 ))
  max_sessions=$(( (mem_mb - 2048) / 700 ))
  [ "$max_sessions" -ge 1 ] || max_sessions=1
fi

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
tmp_env=$(mktemp "$SUPPORT_DIR/.agent.env.XXXXXX")
{
  echo "# wacast agent settings; read by run-agent.sh. Contains the agent token: keep mode 600."
  echo "WACAST_SERVER_URL=$(quote "$server_url")"
  echo "WACAST_AGENT_TOKEN=$(quote "$token")"
  echo "WACAST_AGENT_DATA_DIR=$(quote "$DATA_DIR")"
  echo "WACAST_OPENWA_COMMAND=$(quote "$openwa_bin")"
  echo "WA_EXECUTABLE_PATH=$(quote "$chrome")"
  echo "WACAST_MAX_SESSIONS=$(quote "$max_sessions")"
  [ -z "$license_key" ] || echo "WACAST_OPENWA_LICENSE_KEY=$(quote "$license_key")"
} >"$tmp_env"
chmod 600 "$tmp_env"
mv -f "$tmp_env" "$ENV_FILE"
install -m 700 "$HERE/run-agent.sh" "$SUPPORT_DIR/run-agent.sh"
echo "max sessions: $max_sessions"

step "launchd daemon $PLIST_DEST"
sed_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
  -e 's/[\\&|]/\\&/g'; }
path_value="$(dirname "$openwa_bin"):$(dirname "$(command -v node)"):/usr/bin:/bin:/usr/sbin:/sbin"
tmp_plist=$(mktemp)
sed -e "s|@@USER@@|$(sed_escape "$(id -un)")|g" \
    -e "s|@@HOME@@|$(sed_escape "$HOME")|g" \
    -e "s|@@SUPPORT_DIR@@|$(sed_escape "$SUPPORT_DIR")|g" \
    -e "s|@@ENV_FILE@@|$(sed_escape "$ENV_FILE")|g" \
    -e "s|@@AGENT_BIN@@|$(sed_escape "$agent_bin")|g" \
    -e "s|@@LOG_DIR@@|$(sed_escape "$LOG_DIR")|g" \
    -e "s|@@PATH@@|$(sed_escape "$path_value")|g" \
    "$HERE/com.wacast.agent.plist" >"$tmp_plist"
plutil -lint "$tmp_plist" >/dev/null
sudo install -m 644 -o root -g wheel "$tmp_plist" "$PLIST_DEST"
rm -f "$tmp_plist"

step "log rotation $NEWSYSLOG_DEST"
# newsyslog: keep 7 gzip'd files of up to 10 MB; N = no signal (run-agent.sh reopens
# agent.log per line; launchd's own files only get startup failures).
{
  echo "# logfilename  [owner:group]  mode  count  size(KB)  when  flags"
  for f in agent.log launchd.out.log launchd.err.log; do
    echo "$LOG_DIR/$f  $(id -un):staff  640  7  10240  *  NZ"
  done
} | sudo tee "$NEWSYSLOG_DEST" >/dev/null

sudo launchctl bootout "system/$LABEL" 2>/dev/null || true
sudo launchctl enable "system/$LABEL"
if [ "$start" -eq 1 ]; then
  step "Starting $LABEL"
  sudo launchctl bootstrap system "$PLIST_DEST"
  sleep 2
  sudo launchctl print "system/$LABEL" | grep -E '^\s*(state|pid|last exit code)' || true
else
  step "Not started (--no-start): restore a backup with restore.sh, which starts it"
fi

cat <<DONE

Installed. The agent runs as $(id -un) at boot; its data (sessions, journal) is in
  $DATA_DIR
Logs:    tail -f "$LOG_DIR/agent.log"
Status:  sudo launchctl print system/$LABEL | head -30
Restart: sudo launchctl kickstart -k system/$LABEL
Backup:  $HERE/backup.sh --help
DONE
