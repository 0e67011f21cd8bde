"""Daily reminders (đôn đốc): one e-mail per unit listing what it owes, a summary to the Office."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from flows.alerting import alert_office
from flows.common import run_as_of, skipped, start_job, started_too_late, unwalked, user_failure
from tasks.artifacts import publish_reminders
from tasks.calendar import today_in_vietnam as today
from tasks.collect import read_source_task, save_snapshot_task
from tasks.dates import format_vn
from tasks.deliver import send_reminders_task
from tasks.errors import CchcError, DeliveryError
from tasks.history import record_read
from tasks.normalize import normalize_task
from tasks.reminders import due_reminders
from tasks.rules import work_calendar
from tasks.storage import Storage


@flow(
    name="nhac-viec-cchc",
    flow_run_name=lambda: f"nhac-viec-{run_as_of(flow_run.parameters.get('as_of')) or today()}",
    description="Nhắc các đơn vị còn nợ việc theo Kế hoạch tuyên truyền CCHC (chỉ ngày làm việc).",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def remind(
    as_of: str | None = None, source: str | None = None, send: bool = False, force: bool = False
) -> dict[str, Any] | State:
    """Remind units of what they owe on ``as_of`` (default today). Skips non-working days and
    runs that started too late. ``send``: e-mail for real (otherwise the outbox only)."""
    try:
        job = start_job(run_as_of(as_of), source)
        day = format_vn(job.as_of)
        cal = work_calendar(job.plan)
        if not cal.is_working_day(job.as_of):
            reason = cal.holiday_name(job.as_of) or "thứ Bảy/Chủ nhật"
            return skipped(f"ngày {day} là ngày nghỉ ({reason}), không nhắc việc.")
        now = datetime.now(UTC)
        limit = job.plan.reminders.max_start_delay_hours
        if started_too_late(flow_run.scheduled_start_time, now, limit):
            return skipped(
                f"lần chạy bắt đầu trễ quá {limit:g} giờ so với lịch (máy tắt?): "
                f"không gửi nhắc việc cho ngày đã qua."
            )
        raw = read_source_task(job.settings)
        snapshot = save_snapshot_task(
            unwalked(raw), job.settings.output_dir / "nhac-viec" / "snapshots"
        )
        Storage.of(job.settings).store([snapshot])
        records, _ = normalize_task(unwalked(raw), job.plan)
        record_read(records, snapshot, job.plan)  # a later report need not read it again
        owed = due_reminders(records, job.plan, job.as_of)
        reminded, no_email, failed = send_reminders_task(
            owed, job.plan, job.settings, job.as_of, send, force
        )
    except CchcError as err:
        return user_failure(err)
    publish_reminders(reminded, no_email, day, failed)
    if failed:
        # The others were reminded and the Office has the summary; the run still shows red so
        # that the wrong address gets fixed.
        return user_failure(
            DeliveryError(
                f"Đã nhắc {len(reminded)} đơn vị; không gửi được thư cho "
                + "; ".join(f"{code} ({why})" for code, why in failed.items())
                + ". Văn phòng đã nhận thư tổng hợp; đơn vị này sẽ được nhắc lại ở lần chạy sau."
            )
        )
    return {
        "as_of": job.as_of.isoformat(),
        "reminded": {r.code: [i.key for i in r.items] for r in reminded},
        "no_email": [r.code for r in no_email],
    }
