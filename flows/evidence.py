"""The PAR INDEX evidence pack of a year: the index of every criterion's evidence, zipped."""

from __future__ import annotations

from collections import Counter
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.states import State

from flows.alerting import alert_office
from flows.common import start_job, unwalked, user_failure
from tasks.collect import read_source_task
from tasks.errors import CchcError, SettingsError
from tasks.evidence import INDEX_FILE, build_pack_task
from tasks.normalize import normalize_task
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
        folder, archive, items = build_pack_task(
            known_on(records, job.as_of), job.plan, year, job.as_of,
            job.settings.output_dir, check_links,
        )  # fmt: skip
    except CchcError as err:
        return user_failure(err)
    criteria = Counter(i.criterion.split(", tháng")[0] for i in items)  # months together
    states = Counter(i.state.split(" (")[0] for i in items if i.state)
    create_markdown_artifact(
        key=f"tai-lieu-kiem-chung-{year}",
        markdown="\n".join(
            [f"# Tài liệu kiểm chứng năm {year}", "", f"Tệp: `{archive}`", ""]
            + [f"- {c}: {n} mục" for c, n in criteria.items()]
            + ["", "Đường dẫn: " + (", ".join(f"{s} {n}" for s, n in states.items()) or "không có")]
        ),
        description=f"Bộ tài liệu kiểm chứng năm {year}",
    )
    return {
        "folder": str(folder),
        "index": str(folder / INDEX_FILE),
        "zip": str(archive),
        "items": len(items),
        "links": dict(states),
    }
