#!/bin/bash
# Started by launchd (com.wacast.agent.plist): load the agent's environment file and
# exec the agent, so the agent is the job's main process and gets launchd's SIGTERM.
# Its output goes through a loop that reopens the log file for every line, so
# newsyslog can rotate the file without signalling anyone.
set -euo pipefail

env_file=${1:?usage: run-agent.sh ENV_FILE AGENT_BIN LOG_FILE}
agent_bin=${2:?usage: run-agent.sh ENV_FILE AGENT_BIN LOG_FILE}
log_file=${3:?usage: run-agent.sh ENV_FILE AGENT_BIN LOG_FILE}

set -a
# shellcheck source=/dev/null
. "$env_file"
set +a

append_lines() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line" >>"$1"
  done
}

exec "$agent_bin" > >(append_lines "$log_file") 2>&1
