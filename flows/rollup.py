"""The province roll-up: every agency's ket-qua.json for a period -> .xlsx and .docx for
Sở Nội vụ, with the agencies that have no (usable) result named everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import State

from flows.common import parse_as_of, user_failure
from tasks.agencies import DEFAULT_ROOT, Province, Summary, load_agencies
from tasks.calendar import parse_period
from tasks.document import TEMPLATES, render_document
from tasks.errors import CchcError, SettingsError
from tasks.rollup import (
    METHOD,
    STATE_VN,
    SUMMARY_FOLDER,
    Rollup,
    build_rollup,
    discover_agencies,
    read_results,
    rollup_context,
    rollup_json,
    workbook_header,
    workbook_row,
    write_workbook,
)

PROVINCE_TEMPLATE = TEMPLATES / "tong-hop-tinh.docx"


@task(name="Đọc kết quả các cơ quan")
def read_results_task(root: str, agencies: list[tuple[str, str]], period: str) -> Rollup:
    return build_rollup(read_results(root, agencies, period), period)


@task(name="Lập bảng tổng hợp và báo cáo")
def write_outputs_task(
    rollup: Rollup, summary: Summary, as_of: date, folder: Path
) -> dict[str, str]:
    base = f"Tong-hop-CCHC-{rollup.period}"
    xlsx = write_workbook(rollup, folder / f"{base}.xlsx")
    context = rollup_context(rollup, summary.model_dump(), as_of)
    docx = render_document(context, PROVINCE_TEMPLATE, folder / f"{base}.docx")
    return {"Bảng tổng hợp (.xlsx)": str(xlsx), "Báo cáo tổng hợp (.docx)": str(docx)}


def publish(rollup: Rollup, files: dict[str, str]) -> None:
    """Markdown summary (naming every agency without a usable result) and the agencies table."""
    ok = rollup.reported
    lines = [
        f"# Tổng hợp toàn tỉnh {rollup.label}",
        f"- Cơ quan có kết quả: **{len(ok)}/{len(rollup.rows)}**",
        *(
            f"- {STATE_VN[r.state]}: {r.name} ({r.code})" + (f" — {r.note}" if r.note else "")
            for r in rollup.not_reported
        ),  # fmt: skip
        "",
        "## Thứ tự",
        *(f"{r.rank}. {r.name} ({r.code}): {'—' if r.score is None else r.score} %" for r in ok),
        "",
        "## Cách xếp hạng",
        *METHOD,
        "",
        "## Tệp kết quả",
        *(f"- {name}: `{path}`" for name, path in files.items()),
    ]
    key = "tong-hop-tinh-" + "".join(c if c.isalnum() else "-" for c in rollup.period.lower())
    create_markdown_artifact(
        key=key, markdown="\n".join(lines), description=f"Tổng hợp toàn tỉnh {rollup.label}"
    )
    header = workbook_header(rollup)
    create_table_artifact(
        key=key + "-co-quan",
        table=[dict(zip(header, workbook_row(rollup, r), strict=False)) for r in rollup.rows],
        description=f"Các cơ quan, {rollup.label}",
    )


def province_of(agencies: str | None) -> Province | None:
    """The agencies file given, else config/agencies.yaml when present, else None."""
    if agencies:
        return load_agencies(Path(agencies))
    default = Path("config") / "agencies.yaml"
    return load_agencies(default) if default.exists() else None


@flow(
    name="tong-hop-tinh",
    flow_run_name="tong-hop-tinh-{period}",
    description="Tổng hợp kết quả thông tin, tuyên truyền CCHC của mọi cơ quan cho Sở Nội vụ.",
)
def rollup(
    period: str,
    agencies: str | None = None,
    root: str | None = None,
    as_of: str | None = None,
    out: str | None = None,
) -> dict[str, Any] | State:
    """Read ``<root>/<code>/<period>/ket-qua.json`` of every agency of the agencies file
    (``agencies``; default config/agencies.yaml; without one, every folder under ``root``) and
    write ``<out>/Tong-hop-CCHC-<period>.xlsx`` and ``.docx`` (``out`` default
    ``<root>/tong-hop/<period>``, a local folder)."""
    try:
        try:
            parse_period(period)
        except ValueError as err:
            raise SettingsError(str(err)) from err
        province = province_of(agencies)
        where = root or (province.root if province else DEFAULT_ROOT)
        if province:
            listed = [(a.code, a.name) for a in province.agencies]
        else:
            listed = [(code, code) for code in discover_agencies(where)]
        summary = province.summary if province else Summary()
        # The summary is written locally (under the root when the root is a folder).
        local = Path("var") if "://" in where else Path(where)
        folder = Path(out) if out else local / SUMMARY_FOLDER / period
        result = read_results_task(where, listed, period)
        files = write_outputs_task(result, summary, parse_as_of(as_of), folder)
        publish(result, files)
    except CchcError as err:
        return user_failure(err)
    return {"root": where, "files": files, **rollup_json(result)}
