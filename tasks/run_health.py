"""What the daily watchdog asks Prefect's API (DESIGN §8): the monthly report that should have
completed and did not, runs stuck in Running, and whether any worker is online on the pool.

Each check takes a Prefect client and returns the AlertItems to e-mail (none when all is well).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType, WorkerStatus
from prefect.exceptions import ObjectNotFound

from tasks.alerts import AlertItem, run_link
from tasks.calendar import Period, ReportWindow, last_closed_period, report_window
from tasks.dates import format_vn
from tasks.plan import Plan
from tasks.settings import TIMEZONE
from tasks.stage import stage_task

REPORT_FLOW_RUN_NAME = "bao-cao-{key}"  # flows/report.py names its runs so


def missing_report(
    client: Any, period: Period, window: ReportWindow, as_of: date, by_day: int
) -> list[AlertItem]:
    """From day ``by_day`` of the month on: no Completed run of the report for ``period``
    (scheduled or by hand: any Completed run named ``bao-cao-<period>``)."""
    if as_of.day < by_day:
        return []
    done = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=[REPORT_FLOW_RUN_NAME.format(key=period.key)]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED])),
        ),
        limit=1,
    )
    if done:
        return []
    return [
        AlertItem(
            f"Chưa có báo cáo {period.label} hoàn thành (hạn ngày {by_day} hằng tháng)",
            [
                (
                    "Kỳ báo cáo",
                    f"{period.label} ({format_vn(window.start)} - {format_vn(window.end)})",
                ),
                (
                    "Cần làm",
                    "xem lần chạy bao-cao-cchc/bao-cao-thang gần nhất trong giao diện Prefect; "
                    f"chạy lại: cchc report --period {period.key} --send",
                ),
            ],
        )
    ]


def stuck_runs(
    client: Any, now: datetime, max_hours: float, ui_url: str | None, own_run: str | None
) -> list[AlertItem]:
    """Runs in Running state since more than ``max_hours`` before ``now``."""
    since = now - timedelta(hours=max_hours)
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
            # typed as Prefect's own DateTime (prefect 3.9.1); pydantic takes a datetime
            start_time=FlowRunFilterStartTime(before_=since),  # type: ignore[arg-type]
        )
    )
    items = []
    for run in runs:
        if str(run.id) == own_run or run.start_time is None:
            continue
        started = run.start_time.astimezone(ZoneInfo(TIMEZONE))
        hours = (now - run.start_time).total_seconds() / 3600
        items.append(
            AlertItem(
                f"Lần chạy “{run.name}” đang chạy quá {max_hours:g} giờ (có thể bị treo)",
                [
                    ("Bắt đầu", f"{started:%H:%M ngày %d/%m/%Y} ({hours:.0f} giờ trước)"),
                    (
                        "Cần làm",
                        "xem nhật ký của lần chạy; nếu bị treo, bấm Cancel trong giao diện "
                        "Prefect rồi chạy lại",
                    ),
                ],
                run_link(ui_url, run.id),
            )
        )
    return items


def no_worker(client: Any, pool: str) -> list[AlertItem]:
    """No worker of ``pool`` has sent a heartbeat lately: scheduled runs wait and nothing runs."""
    todo = (
        "Cần làm",
        "kiểm tra máy chủ; khởi động lại bằng make up (hoặc systemctl restart cchc-worker)",
    )
    try:
        workers = client.read_workers_for_work_pool(pool)
    except ObjectNotFound:
        return [
            AlertItem(f"Không có work pool “{pool}”: không lần chạy theo lịch nào chạy", [todo])
        ]
    if any(w.status == WorkerStatus.ONLINE for w in workers):
        return []
    seen = [w.last_heartbeat_time for w in workers if w.last_heartbeat_time]
    last = max(seen).astimezone(ZoneInfo(TIMEZONE)) if seen else None
    lines = [("Lần cuối hoạt động", f"{last:%H:%M ngày %d/%m/%Y}" if last else "chưa từng")]
    return [
        AlertItem(
            f"Không có worker nào đang hoạt động trên work pool “{pool}”: "
            "các lần chạy theo lịch đang chờ",
            [*lines, todo],
        )
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_checks(
    plan: Plan, as_of: date, pool: str, ui_url: str | None, own_run: str | None
) -> list[AlertItem]:
    """Every check against the Prefect server the environment points at (PREFECT_API_URL)."""
    from prefect.client.orchestration import get_client

    rule = plan.reporting.window
    period = last_closed_period(as_of, "month", rule)
    with get_client(sync_client=True) as client:
        return [
            *missing_report(
                client, period, report_window(period, rule), as_of, plan.alerts.report_by_day
            ),
            *stuck_runs(client, utc_now(), plan.alerts.max_running_hours, ui_url, own_run),
            *no_worker(client, pool),
        ]


run_checks_task = stage_task("Kiểm tra các lần chạy")(run_checks)
