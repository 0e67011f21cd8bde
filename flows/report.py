"""The periodic report: read -> check -> compile -> deliver, as a Prefect flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.runtime import flow_run
from prefect.states import State

from flows.alerting import alert_office
from flows.common import (
    refuse_stale_run,
    resolve_period,
    run_as_of,
    start_job,
    unwalked,
    user_failure,
)
from tasks.artifacts import Progress, report_outcome
from tasks.collect import (
    load_snapshot_task,
    prune_snapshots_task,
    read_source_task,
    save_snapshot_task,
)
from tasks.compile import compile_report_task, summary_rows
from tasks.deliver import (
    compose_office_mail,
    compose_report_mail,
    period_folder,
    send_mail_task,
    write_back_task,
)
from tasks.document import DEFAULT_TEMPLATE
from tasks.errors import CchcError
from tasks.history import snapshot_history_task
from tasks.integrity import backdated_task
from tasks.normalize import normalize_task
from tasks.storage import Storage
from tasks.verify import verify_task


def _run_name() -> str:
    """``bao-cao-2026-05``, ``bao-cao-dot-xuat-20260301-20260415``: the period the run reports
    on, also when it was left to default."""
    params = flow_run.parameters
    try:
        job = start_job(run_as_of(params.get("as_of")), params.get("source"))
        period = resolve_period(
            params.get("period"),
            job,
            params.get("kind", "month"),
            params.get("date_from"),
            params.get("date_to"),
        )
        return f"bao-cao-{period.key}"
    except CchcError:  # the run itself will fail with the reason; the name just stays generic
        return "bao-cao-cchc"


@flow(
    name="bao-cao-cchc",
    flow_run_name=_run_name,
    description="Lập báo cáo kết quả thông tin, tuyên truyền CCHC theo kỳ và gửi Lãnh đạo Sở.",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def report(
    period: str | None = None,
    as_of: str | None = None,
    source: str | None = None,
    send: bool = False,
    force: bool = False,
    snapshot: str | None = None,
    kind: str = "month",
    date_from: str | None = None,
    date_to: str | None = None,
) -> dict[str, Any] | State:
    """Report for ``period`` (``2026-05``, ``2026-Q2``, ``2026-H1``, ``2026-9M``, ``2026``) as of
    ``as_of`` (default today; for a scheduled run, the day it was scheduled for). ``date_from``
    and ``date_to`` (ISO or dd/mm/yyyy, both inclusive) instead of a period: an ad hoc (đột xuất)
    report over those dates. With neither: the latest closed period of ``kind`` (``month``,
    ``quarter``, ``half``, ``nine`` or ``year``), so a scheduled run needs no input. A scheduled
    run that starts more than ``reporting.max_delay_days`` late fails instead of reporting.

    ``send``: e-mail through SMTP (without it, or with no SMTP server, the e-mail goes to the
    outbox). ``snapshot``: rebuild from a snapshot file instead of reading the source.
    """
    try:
        job = start_job(run_as_of(as_of), source)
        refuse_stale_run(as_of, job.plan.reporting.max_delay_days)
        the_period = resolve_period(period, job, kind, date_from, date_to)
        progress = Progress(f"Lập báo cáo {the_period.label}")
        output = job.settings.output_dir
        storage = Storage.of(job.settings)
        folder = period_folder(output, the_period.key)
        if snapshot:
            raw = load_snapshot_task(Path(snapshot))
            snapshot_path = Path(snapshot)
        else:
            raw = read_source_task(job.settings)
            snapshot_path = save_snapshot_task(unwalked(raw), folder / "snapshots")
            storage.store([snapshot_path])
            storage.fetch_missing("*/snapshots/du-lieu-*")  # other workers': back-dated check
            old = prune_snapshots_task(output, job.plan.retention.snapshot_days, job.as_of)
            storage.remove(old)
        progress(25)
        records, problems = normalize_task(unwalked(raw), job.plan)
        # What the snapshots read before this run proved; this run's own read is recorded too.
        history = snapshot_history_task(
            output,
            job.plan,
            raw.read_at,
            None if snapshot else records,
            None if snapshot else snapshot_path,
        )
        backdated = backdated_task(records, job.plan, the_period, unwalked(history))
        findings = verify_task(
            records, job.plan, the_period, job.as_of, unwalked(problems), unwalked(backdated)
        )
        progress(50)
        compiled = compile_report_task(unwalked(findings), job.plan, folder, DEFAULT_TEMPLATE)
        storage.store([compiled.result_path, compiled.document_path, compiled.section_path])
        mail = compose_report_mail(findings, job.plan, compiled)
        office_mail = compose_office_mail(findings, job.plan, compiled)
        progress(75)
        sent = send_mail_task(mail, job.settings, send, force)
        office_sent = send_mail_task(office_mail, job.settings, send, force)
        wrote_back = not snapshot and write_back_task(
            job.settings, summary_rows(findings, raw.read_at), raw.sheet_meta
        )
        progress(100)
    except CchcError as err:
        return user_failure(err)
    return report_outcome(findings, compiled, snapshot_path, sent, office_sent, wrote_back, output)
