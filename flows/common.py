"""What every flow starts with: settings, the plan, the as-of date and period, in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar, cast
from zoneinfo import ZoneInfo

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler
from prefect.runtime import deployment, flow_run
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from tasks.agencies import apply_agency, parse_agency
from tasks.calendar import (
    Period,
    adhoc_period,
    check_period_reportable,
    last_closed_period,
    parse_period,
    today_in_vietnam,
)
from tasks.dates import DateError, parse_date
from tasks.errors import CchcError, LateRunError, SettingsError
from tasks.plan import Plan, load_plan
from tasks.settings import TIMEZONE, Settings, load_settings

# What a worker's flow-run process logs when the flow ends Failed (prefect 3.9.1, flow_engine).
_ENGINE_EXIT = "Engine execution exited with unexpected exception"


class _NoTracebackForUserErrors(logging.Filter):
    """Our own errors carry a Vietnamese message that says what to do; Prefect would log them
    with a traceback (task and flow engine, prefect 3.9), which reads like a crash to the Office.
    The flow-run process a worker starts also logs, after "Finished in state Failed(...)", the
    engine's exit with the failure's traceback (~38 lines): for our errors that line becomes the
    reason itself. Programming errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        if isinstance(err, CchcError):
            record.exc_info = None
            record.exc_text = None
            if record.msg == _ENGINE_EXIT:
                record.msg, record.args = "Lần chạy thất bại: %s", (str(err),)
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_NoTracebackForUserErrors())


class _IntoTheRunLogs(APILogHandler):
    """Our own modules log with ``logging.getLogger(__name__)`` (sending, retries, skipped rows);
    Prefect 3.9 sends only its own loggers to the run's logs in the UI. This handler sends ours
    too, while a flow or task runs; outside a run (tests, benchmarks) it stays silent instead of
    Prefect's "without a flow run id" warning. Set in code, not PREFECT_LOGGING_EXTRA_LOGGERS,
    so that it also holds for a worker's run, which imports Prefect before our flows."""

    def emit(self, record: logging.LogRecord) -> None:
        if FlowRunContext.get() or TaskRunContext.get():
            super().emit(record)


_ours = logging.getLogger("tasks")
if not any(isinstance(h, _IntoTheRunLogs) for h in _ours.handlers):
    _ours.addHandler(_IntoTheRunLogs())
    _ours.setLevel(logging.INFO)


def user_failure(err: CchcError) -> State:
    """The Failed state a flow returns for a user error: its message is the Vietnamese reason,
    its data the error itself. A worker's flow-run process re-raises a Failed state's data at the
    end (prefect 3.9.1): our error, which the filter above logs as one line, rather than Prefect's
    FailedRun with a traceback."""
    return Failed(message=str(err), data=err)


def skipped(reason: str) -> State:
    """A run with nothing to do today (a day off, a start too late): Completed, but named
    "Bỏ qua" so that the run list in the UI tells it from a run that did its work."""
    return Completed(name="Bỏ qua", message=f"Bỏ qua: {reason}")


@dataclass
class Job:
    settings: Settings
    plan: Plan
    as_of: date


def start_job(as_of: str | None = None, source: str | None = None) -> Job:
    """Settings from the environment (``source`` overrides CCHC_SOURCE) and the validated plan."""
    settings = load_settings(source=source)
    plan = load_plan(settings.plan)
    if settings.agency:  # one agency of the province (its deployment sets CCHC_AGENCY)
        try:
            plan = apply_agency(plan, parse_agency(settings.agency))
        except ValueError as err:
            raise SettingsError(str(err)) from err
    return Job(settings, plan, parse_as_of(as_of))


def run_as_of(as_of: str | None) -> str | None:
    """The as-of date a run works with: the one given; else, for a run of a deployment, the day
    it was scheduled for in Asia/Ho_Chi_Minh (a run that starts late, or waits in the pool's
    queue, still works as of its own day); else None (today)."""
    if as_of:
        return as_of
    scheduled = flow_run.scheduled_start_time if deployment.id else None
    if scheduled is None:
        return None
    return scheduled.astimezone(ZoneInfo(TIMEZONE)).date().isoformat()


def parse_as_of(value: str | None) -> date:
    """``--as-of`` in ISO or dd/mm/yyyy; default today in Asia/Ho_Chi_Minh."""
    if not value:
        return today_in_vietnam()
    try:
        return parse_date(value)
    except DateError as err:
        raise SettingsError(f"Ngày lập báo cáo (--as-of) không hợp lệ: {err}") from err


def resolve_period(
    value: str | None,
    job: Job,
    kind: str = "month",
    date_from: str | None = None,
    date_to: str | None = None,
) -> Period:
    """The requested period: ``value`` (``--period``), or an ad hoc period over ``date_from``..
    ``date_to`` (``--from``/``--to``, ISO or dd/mm/yyyy), or with neither the latest period of
    ``kind`` that closed before the as-of date. An explicit period must be reportable as of
    ``job.as_of`` under the plan's year. Any mistake raises SettingsError (Vietnamese)."""
    rule = job.plan.reporting.window
    try:
        if date_from or date_to:
            period = _adhoc(value, date_from, date_to)
        elif value:
            period = parse_period(value)
        else:
            return last_closed_period(job.as_of, kind, rule)
        check_period_reportable(period, job.as_of, job.plan.plan.year, rule)
    except ValueError as err:  # DateError included
        raise SettingsError(str(err)) from err
    return period


def _adhoc(value: str | None, date_from: str | None, date_to: str | None) -> Period:
    """The ad hoc period of ``--from``/``--to``; ValueError when one is missing or a ``--period``
    is given as well (which of the two was meant is unknown)."""
    if value:
        raise ValueError(
            "Chỉ dùng một cách chọn kỳ: --period, hoặc --from và --to cho báo cáo đột xuất."
        )
    if not (date_from and date_to):
        raise ValueError("Báo cáo đột xuất cần cả ngày bắt đầu (--from) và ngày kết thúc (--to).")
    return adhoc_period(
        _adhoc_date(date_from, "Ngày bắt đầu (--from)"),
        _adhoc_date(date_to, "Ngày kết thúc (--to)"),
    )


def _adhoc_date(value: str, what: str) -> date:
    try:
        return parse_date(value)
    except DateError as err:
        raise ValueError(f"{what} không hợp lệ: {err}") from err


def refuse_stale_run(as_of: str | None, max_days: int, now: datetime | None = None) -> None:
    """A scheduled report that starts more than ``max_days`` after its time (machine or worker
    stopped for long) fails with the reason instead of quietly reporting: LateRunError. A run
    given its as-of date, or started by hand, is never refused."""
    scheduled = flow_run.scheduled_start_time if deployment.id else None
    if as_of or scheduled is None:
        return
    now = now or datetime.now(UTC)
    if not started_too_late(scheduled, now, max_days * 24):
        return
    local = scheduled.astimezone(ZoneInfo(TIMEZONE))
    raise LateRunError(
        f"Lần chạy theo lịch lúc {local:%H:%M} ngày {local:%d/%m/%Y} bắt đầu trễ "
        f"{(now - scheduled).days} ngày (quá {max_days} ngày, reporting.max_delay_days trong "
        "tệp kế hoạch): máy hoặc worker đã dừng lâu, nên không lập báo cáo để tránh gửi báo cáo "
        "nhầm thời điểm. Cần báo cáo kỳ nào thì lập bằng lệnh cchc report --period <kỳ> --send, "
        "hoặc chạy lại deployment này từ giao diện Prefect (Run)."
    )


def started_too_late(scheduled: datetime | None, now: datetime, max_hours: float) -> bool:
    """True when a scheduled run starts more than ``max_hours`` after its time (machine was off):
    its day has passed, so reminders for it would be misleading."""
    return scheduled is not None and (now - scheduled).total_seconds() > max_hours * 3600


T = TypeVar("T")


def unwalked(value: T) -> T:
    """Pass a big input (a whole RawBook, the findings, a list of problems) to a task as is.
    Prefect otherwise walks every cell looking for futures among the task's inputs, twice: +3 s
    on a 10k-row sheet for the RawBook, +0.3 s for the findings (prefect 3.9.1)."""
    return cast(T, quote(value))
