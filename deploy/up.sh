#!/usr/bin/env bash
# Bring the office system up on this machine: a local Prefect server (SQLite), the work pool,
# every deployment of prefect.yaml, and one worker. `make down` (deploy/down.sh) stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_HOME="${PREFECT_HOME:-$PWD/var/prefect}"
HOST="${CCHC_UI_HOST:-127.0.0.1}"
PORT="${CCHC_UI_PORT:-4200}"
POOL="${CCHC_POOL:-cchc-office}"
# The watchdog has a pool and a worker of its own: it can still tell the Office that the main
# worker has stopped.
WATCH_POOL="cchc-canh-bao"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
PREFECT="$PWD/.venv/bin/prefect"
RUN="var/run"
LOG="var/log"
mkdir -p "$RUN" "$LOG" "$PREFECT_HOME"
# Prefect's own login on the API and the UI: created in .env on the first run and printed that
# once (deploy/auth.py). Prefect reads .env from this folder itself; exported all the same, so
# that every process started here has it whatever its folder.
auth="$(.venv/bin/python deploy/auth.py --shell .env)"
eval "$auth"

open_api() {  # the API answers a request without the login (a server started before it existed)
  .venv/bin/python - "$PREFECT_API_URL/admin/version" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2)
PY
}

healthy() {
  .venv/bin/python - "$PREFECT_API_URL/health" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2)
PY
}

online() {  # pool: one of its workers has sent the server a heartbeat (not merely a live process)
  .venv/bin/python - "$1" <<'PY' 2>/dev/null
import sys
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import WorkerStatus
with get_client(sync_client=True) as client:
    workers = client.read_workers_for_work_pool(sys.argv[1])
sys.exit(0 if any(w.status == WorkerStatus.ONLINE for w in workers) else 1)
PY
}

rotate() {  # file: past 10 MB it becomes file.1 (the one before is dropped); never emptied
  if [[ -f "$1" ]] && (($(stat -c %s "$1") > 10485760)); then mv -f "$1" "$1.1"; fi
}

start() {  # name, command...: start in its own session so `make down` stops all it spawned
  local name="$1"; shift
  if [[ -f "$RUN/$name.pid" ]] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    echo "  $name đang chạy (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  # Appended, not truncated: yesterday's failure stays readable after a restart.
  rotate "$LOG/$name.log"
  echo "=== $(date '+%F %T') khởi động $name" >>"$LOG/$name.log"
  setsid "$@" >>"$LOG/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
}

echo "Khởi động Prefect server tại http://${HOST}:${PORT} ..."
start server "$PREFECT" server start --host "$HOST" --port "$PORT"
for _ in $(seq 1 90); do healthy && break; sleep 1; done
healthy || { echo "LỖI: Prefect server không khởi động được, xem $LOG/server.log" >&2; exit 1; }
if open_api; then
  echo "CẢNH BÁO: server đang chạy không yêu cầu đăng nhập (khởi động trước khi có mật khẩu);" \
    "chạy make down rồi make up." >&2
fi

for pool in "$POOL" "$WATCH_POOL"; do
  "$PREFECT" work-pool inspect "$pool" >/dev/null 2>&1 \
    || "$PREFECT" work-pool create "$pool" --type process >/dev/null
done
# After a long stop every missed run is due at once: the pool starts them one at a time (the
# reports refuse to run more than reporting.max_delay_days late, the reminders past a few hours).
"$PREFECT" work-pool set-concurrency-limit "$POOL" "${CCHC_POOL_LIMIT:-1}" >/dev/null
echo "Triển khai các lịch chạy từ prefect.yaml ..."
rotate "$LOG/deploy.log"
echo "=== $(date '+%F %T') prefect deploy --all" >>"$LOG/deploy.log"
"$PREFECT" --no-prompt deploy --all >>"$LOG/deploy.log" 2>&1 \
  || { echo "LỖI: triển khai thất bại, xem $LOG/deploy.log" >&2; exit 1; }
start worker "$PREFECT" worker start --pool "$POOL" --name "$(hostname)-worker"
start watchdog "$PREFECT" worker start --pool "$WATCH_POOL" --name "$(hostname)-canh-bao"
# A worker that cannot start (bad pool, bad API URL) exits or never reports: say so, not "Xong".
for pair in "worker:$POOL" "watchdog:$WATCH_POOL"; do
  name="${pair%%:*}"; pool="${pair#*:}"
  for _ in $(seq 1 30); do
    kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || break
    online "$pool" && continue 2
    sleep 2
  done
  echo "LỖI: $name (work pool $pool) không hoạt động, xem $LOG/$name.log" >&2
  exit 1
done

echo "Xong. Giao diện Prefect: http://${HOST}:${PORT}"
echo "Mật khẩu đăng nhập: dòng PREFECT_SERVER_API_AUTH_STRING trong tệp .env"
echo "Nhật ký: $LOG/  -  Dừng hệ thống: make down"
