#!/usr/bin/env bash
# Stop what `make up` started: the workers first, then the server (each with all it spawned).
set -uo pipefail
cd "$(dirname "$0")/.."
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
