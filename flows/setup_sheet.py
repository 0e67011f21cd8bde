"""Sheet set-up: prepare a Google Sheet for units to type into (tabs, headers, dropdowns)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from flows.common import start_job, user_failure
from tasks.errors import CchcError, SettingsError


@flow(
    name="chuan-bi-bang-tinh",
    flow_run_name="chuan-bi-bang-tinh",
    description="Tạo các tab còn thiếu, dòng tiêu đề, danh sách chọn và bảo vệ dòng tiêu đề.",
)
def setup_sheet(source: str | None = None) -> dict[str, Any] | State:
    """Prepare the Google Sheet ``source``; running it twice changes nothing the second time."""
    # gspread loads slowly; only this flow and Google reads need it.
    from tasks.sheet_setup import init_sheet
    from tasks.sheets_api import parse_sheet_key

    try:
        job = start_job(None, source)
        key = parse_sheet_key(job.settings.source)
        if key is None:
            raise SettingsError(
                "init-sheet chỉ dùng cho Google Sheet: --source phải là địa chỉ hoặc mã bảng tính."
            )
        plan = job.plan
        changes = init_sheet(
            job.settings,
            key,
            None,
            areas=[f"{a.number}. {a.name}" for a in plan.areas],
            channels=[c.name for c in plan.channels],
            kinds=[k.name for k in plan.kinds],
        )
    except CchcError as err:
        return user_failure(err)
    return {"key": key, "changes": changes}
