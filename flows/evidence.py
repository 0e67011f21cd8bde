"""The PAR INDEX evidence pack of a year: the index of every criterion's evidence, zipped."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from flows.alerting import alert_office
from flows.common import start_job, unwalked, user_failure
from tasks.artifacts import publish_evidence
from tasks.collect import read_source_task
from tasks.errors import CchcError, SettingsError
from tasks.evidence import INDEX_FILE, build_pack_task
from tasks.normalize import normalize_task
from tasks.storage import Storage
from tasks.verify import known_on


@flow(
    name="tai-lieu-kiem-chung",
    flow_run_name="tai-lieu-kiem-chung-{year}",
    description="Lập bộ tài liệu kiểm chứng công tác tuyên truyền CCHC của năm (PAR INDEX).",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def evidence(
    year: int,
    as_of: str | None = None,
    source: str | None = None,
    check_links: bool = True,
) -> dict[str, Any] | State:
    """``muc-luc.xlsx`` and copies of the documents in ``<output>/tai-lieu-kiem-chung-<year>``,
    and its .zip; ``check_links`` False leaves every link "Chưa kiểm tra"."""
    try:
        job = start_job(as_of, source)
        if year != job.plan.plan.year:
            raise SettingsError(f"Năm {year} không phải năm của Kế hoạch ({job.plan.plan.year}).")
        raw = read_source_task(job.settings)
        records, _ = normalize_task(unwalked(raw), job.plan)
        storage = Storage.of(job.settings)
        for made_by_other_runs in (f"{year}*/*.docx", "phieu-xin-loi/*.docx", "ma-qr/*.docx"):
            storage.fetch_missing(made_by_other_runs)  # a worker packs what any worker made
        folder, archive, items = build_pack_task(
            known_on(records, job.as_of), job.plan, year, job.as_of,
            job.settings.output_dir, check_links,
        )  # fmt: skip
        storage.store([folder / INDEX_FILE, archive])
    except CchcError as err:
        return user_failure(err)
    links = publish_evidence(items, archive, year)
    return {
        "folder": str(folder),
        "index": str(folder / INDEX_FILE),
        "zip": str(archive),
        "items": len(items),
        "links": links,
    }
