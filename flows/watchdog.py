"""The daily watchdog (canh báo): tells the Office by e-mail what the UI alone would not —
a monthly report not completed by its day, a run stuck in Running, no worker online."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.settings import get_current_settings
from prefect.states import State

from flows.alerting import alert_office
from flows.common import run_as_of, skipped, start_job, user_failure
from tasks.alerts import compose_alert
from tasks.calendar import today_in_vietnam as today
from tasks.dates import format_vn
from tasks.deliver import send_mail_task
from tasks.errors import CchcError
from tasks.rules import work_calendar
from tasks.run_health import run_checks_task

DEFAULT_POOL = "cchc-office"


@flow(
    name="canh-bao",
    flow_run_name=lambda: f"canh-bao-{run_as_of(flow_run.parameters.get('as_of')) or today()}",
    description="Kiểm tra hằng ngày các lần chạy (báo cáo tháng chưa hoàn thành, lần chạy bị "
    "treo, worker ngừng hoạt động) và báo Văn phòng Sở qua thư.",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def watchdog(as_of: str | None = None, pool: str = DEFAULT_POOL) -> dict[str, Any] | State:
    """Check the runs as of ``as_of`` (default: the day the run was scheduled for) and the
    workers of ``pool``; one e-mail to the Office listing what needs a look, none if all is well."""
    try:
        job = start_job(run_as_of(as_of))
        day = format_vn(job.as_of)
        cal = work_calendar(job.plan)
        if not cal.is_working_day(job.as_of):
            return skipped(f"ngày {day} là ngày nghỉ.")
        ui_url = get_current_settings().ui_url
        found = run_checks_task(job.plan, job.as_of, pool, ui_url, flow_run.id)
        if not found:
            return {"as_of": job.as_of.isoformat(), "problems": []}
        mail = compose_alert(
            key=f"canh-bao:{job.as_of.isoformat()}",
            subject=f"Kiểm tra ngày {day}: {len(found)} việc cần xem",
            items=found,
            to=job.plan.alert_recipients,
            today=job.as_of,
            ui_url=ui_url,
        )
        sent = send_mail_task(mail, job.settings, send=True)
    except CchcError as err:
        return user_failure(err)
    return {
        "as_of": job.as_of.isoformat(),
        "problems": [i.title for i in found],
        "mail": sent.status,
    }
