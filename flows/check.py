"""Sheet check: read the source and list every problem, without making a report."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from flows.alerting import alert_office
from flows.common import start_job, unwalked, user_failure
from tasks.artifacts import publish_problems
from tasks.collect import read_source_task, save_snapshot_task
from tasks.errors import CchcError, SheetStructureError
from tasks.history import record_read
from tasks.normalize import normalize_task
from tasks.storage import Storage


@flow(
    name="kiem-tra-bang-tinh",
    flow_run_name="kiem-tra-bang-tinh",
    description="Đọc bảng tính chung và liệt kê mọi lỗi dữ liệu (tab, dòng, cột, nội dung lỗi).",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def check(source: str | None = None) -> dict[str, Any] | State:
    """Problems of the source as dicts; Failed (its data: the SheetStructureError with the
    list) if a tab or column is missing."""
    try:
        job = start_job(None, source)
        raw = read_source_task(job.settings)
        snapshot = save_snapshot_task(
            unwalked(raw), job.settings.output_dir / "kiem-tra" / "snapshots"
        )
        Storage.of(job.settings).store([snapshot])
        records, problems = normalize_task(unwalked(raw), job.plan)
        record_read(records, snapshot, job.plan)  # a later report need not read it again
    except SheetStructureError as err:
        publish_problems(err.problems, "kiem-tra")
        return user_failure(err)  # the CLI reads the problems from the error (exit 2)
    except CchcError as err:
        return user_failure(err)
    publish_problems(problems, "kiem-tra")
    return {"source": raw.source, "problems": [p.to_json() for p in problems]}
