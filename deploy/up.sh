#!/usr/bin/env bash
# Bring the office system up on this machine: a local Prefect server (SQLite), the work pool,
# every deployment of prefect.yaml, and one worker. `make down` (deploy/down.sh) stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_HOME="${PREFECT_HOME:-$PWD/var/prefect}"
HOST="${CCHC_UI_HOST:-127.0.0.1}"
PORT="${CCHC_UI_PORT:-4200}"
POOL="${CCHC_POOL:-cchc-office}"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
PREFECT="$PWD/.venv/bin/prefect"
RUN="var/run"
LOG="var/log"
mkdir -p "$RUN" "$LOG" "$PREFECT_HOME"

healthy() {
  .venv/bin/python - "$PREFECT_API_URL/health" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2)
PY
}

start() {  # name, command...: start in its own session so `make down` stops all it spawned
  local name="$1"; shift
  if [[ -f "$RUN/$name.pid" ]] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    echo "  $name đang chạy (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  # Appended, not truncated: yesterday's failure stays readable after a restart.
  echo "=== $(date '+%F %T') khởi động $name" >>"$LOG/$name.log"
  setsid "$@" >>"$LOG/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
}

echo "Khởi động Prefect server tại http://${HOST}:${PORT} ..."
start server "$PREFECT" server start --host "$HOST" --port "$PORT"
for _ in $(seq 1 90); do healthy && break; sleep 1; done
healthy || { echo "LỖI: Prefect server không khởi động được, xem $LOG/server.log" >&2; exit 1; }

"$PREFECT" work-pool inspect "$POOL" >/dev/null 2>&1 \
  || "$PREFECT" work-pool create "$POOL" --type process >/dev/null
echo "Triển khai các lịch chạy từ prefect.yaml ..."
"$PREFECT" --no-prompt deploy --all >"$LOG/deploy.log" 2>&1 \
  || { echo "LỖI: triển khai thất bại, xem $LOG/deploy.log" >&2; exit 1; }
start worker "$PREFECT" worker start --pool "$POOL" --name "$(hostname)-worker"
# A worker that cannot start (bad pool, bad API URL) exits within seconds: say so, not "Xong".
sleep 5
kill -0 "$(cat "$RUN/worker.pid")" 2>/dev/null \
  || { echo "LỖI: worker không chạy được, xem $LOG/worker.log" >&2; exit 1; }

echo "Xong. Giao diện Prefect: http://${HOST}:${PORT}"
echo "Nhật ký: $LOG/  -  Dừng hệ thống: make down"
