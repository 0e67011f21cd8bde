#!/usr/bin/env bash
# Stop what `make up` started: the flow runs still in progress, the workers, then the server
# (each with all it spawned).
set -uo pipefail
cd "$(dirname "$0")/.."
export PREFECT_HOME="${PREFECT_HOME:-$PWD/var/prefect}"
export PREFECT_API_URL="http://127.0.0.1:${CCHC_UI_PORT:-4200}/api"

# Each flow run has a session of its own (not the worker's group): stop them first, marked
# Cancelled while the server still answers, so that none stays "Running" in the UI.
workers=()
for name in worker watchdog; do
  pidfile="var/run/$name.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && workers+=("$(cat "$pidfile")")
done
if ((${#workers[@]})); then
  .venv/bin/python deploy/stop_runs.py "${workers[@]}"
fi

for name in worker watchdog server; do
  pidfile="var/run/$name.pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "Đã dừng $name (pid $pid)."
  fi
  rm -f "$pidfile"
done
