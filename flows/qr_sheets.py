"""QR-code sheets of the posted procedures (visual promotion): read -> check -> render -> PDF."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from flows.alerting import alert_office
from flows.common import start_job, unwalked, user_failure
from tasks.artifacts import qr_sheet_outcome
from tasks.collect import read_source_task, save_snapshot_task
from tasks.errors import CchcError
from tasks.normalize import normalize_task
from tasks.posted import QR_FOLDER
from tasks.qr_sheet import build_qr_sheet_task, to_pdf_task
from tasks.storage import Storage


@flow(
    name="ma-qr-thu-tuc",
    flow_run_name="ma-qr-thu-tuc",
    description="Lập phiếu mã QR tra cứu thủ tục hành chính niêm yết (A4, cắt theo nét đứt).",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def qr_sheets(source: str | None = None) -> dict[str, Any] | State:
    """The QR-code sheet of the `Thủ tục niêm yết` tab under ``<output>/ma-qr/`` (.docx, and
    .pdf where LibreOffice is installed), its artifacts, and what the CLI prints."""
    try:
        job = start_job(None, source)
        folder = job.settings.output_dir / QR_FOLDER
        raw = read_source_task(job.settings)
        snapshot = save_snapshot_task(unwalked(raw), folder / "snapshots")
        records, problems = normalize_task(unwalked(raw), job.plan)
        docx = build_qr_sheet_task(records, job.plan, folder)
        pdf, no_pdf = to_pdf_task(docx)
        Storage.of(job.settings).store(p for p in (snapshot, docx, pdf) if p)
    except CchcError as err:
        return user_failure(err)
    return qr_sheet_outcome(records, problems, docx, pdf, no_pdf)
