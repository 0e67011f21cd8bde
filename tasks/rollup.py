"""The province roll-up: every agency's ``ket-qua.json`` for a period -> one summary.

- ``read_results(root, codes, period)``: ``<root>/<code>/<period>/ket-qua.json`` through fsspec
  (a local folder or any fsspec URL), one ``AgencyResult`` per agency: read, missing, of
  another ``schema`` version, or unreadable. Nothing is dropped silently.
- ``build_rollup(results, period)``: the figures per agency and the ranking (pure).
- ``write_workbook(rollup, path)``: the .xlsx; ``rollup_context(rollup, province, as_of)``:
  the fields of ``templates/tong-hop-tinh.docx`` (docs/templates.md).

The ranking (docs/province.md): for each agency the share of what the plan required of it in
the period that was done on time, over the criteria that applied to it —
website months with the required news items, units that concretised before the deadline,
unit reports received on time, late dossiers with their apology on time — averaged with equal
weight; a criterion with nothing due is left out of that agency's average. Agencies are
ordered by that score, then by products, then by code; an agency without a result is not
ranked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tasks.calendar import parse_period
from tasks.compile import RESULT_FILE, RESULT_SCHEMA, date_line
from tasks.errors import OutputError
from tasks.rules.base import MET_TEXT

KNOWN_SCHEMAS = frozenset({RESULT_SCHEMA})
SUMMARY_FOLDER = "tong-hop"  # <root>/tong-hop/<period>/: the roll-up's own files, not an agency
STATUSES = ("on_time", "late", "missing", "not_due")
STATUS_VN = {"on_time": "đúng hạn", "late": "trễ hạn", "missing": "chưa thực hiện",
             "not_due": "chưa đến hạn"}  # fmt: skip
STATE_VN = {
    "ok": "Đã có kết quả",
    "missing": "Chưa có kết quả",
    "schema": "Kết quả theo mẫu khác, chưa tổng hợp",
    "unreadable": "Tệp kết quả không đọc được",
}
CRITERIA = {  # key -> what the ratio counts (docs/province.md)
    "website": "Tháng đạt số tin, bài CCHC tối thiểu trên trang thông tin điện tử",
    "concretization": "Đơn vị cụ thể hóa nội dung tuyên truyền đúng hạn",
    "unit_reports": "Báo cáo định kỳ của đơn vị gửi đúng hạn",
    "apologies": "Hồ sơ trễ hẹn có phiếu xin lỗi đúng hạn",
}


@dataclass
class AgencyResult:
    code: str
    name: str
    state: str  # ok | missing | schema | unreadable
    path: str
    result: dict[str, Any] | None = None
    note: str = ""


@dataclass
class AgencyRow:
    """One agency's figures in the roll-up (None/empty for an agency without a usable result)."""

    code: str
    name: str
    state: str
    note: str = ""
    as_of: str = ""
    products: int = 0
    website_months: dict[str, dict[str, Any]] = field(default_factory=dict)
    website_met: bool | None = None
    concretization: Counter[str] = field(default_factory=Counter)
    unit_reports: Counter[str] = field(default_factory=Counter)
    late_dossiers: int = 0
    apologies: Counter[str] = field(default_factory=Counter)
    by_area: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    ratios: dict[str, float | None] = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None


@dataclass
class Rollup:
    period: str
    label: str
    rows: list[AgencyRow]  # ranked agencies first (by rank), then the others by code
    months: list[str]  # website month keys, in order
    areas: list[str]
    channels: list[str]
    clauses: dict[str, str]  # rule key -> the plan's sentence, from the results

    @property
    def reported(self) -> list[AgencyRow]:
        return [r for r in self.rows if r.state == "ok"]

    @property
    def not_reported(self) -> list[AgencyRow]:
        return [r for r in self.rows if r.state != "ok"]


# ------------------------------------------------------------------------------------ reading


def result_path(root: str, code: str, period: str) -> str:
    return f"{root.rstrip('/')}/{code}/{period}/{RESULT_FILE}"


def discover_agencies(root: str) -> list[str]:
    """Agency codes under ``root`` (its sub-folders), for a roll-up without an agencies file."""
    import fsspec

    fs, base = fsspec.core.url_to_fs(root)
    if not fs.exists(base):
        return []
    return sorted(
        Path(str(entry["name"])).name
        for entry in fs.ls(base, detail=True)
        if entry.get("type") == "directory"
        and not Path(str(entry["name"])).name.startswith(".")
        and Path(str(entry["name"])).name != SUMMARY_FOLDER
    )


def read_results(root: str, agencies: list[tuple[str, str]], period: str) -> list[AgencyResult]:
    """Each agency's (code, name) result for ``period`` under ``root`` (folder or fsspec URL)."""
    import fsspec

    fs, base = fsspec.core.url_to_fs(root)
    out = []
    for code, name in agencies:
        path = result_path(base, code, period)
        shown = result_path(root, code, period)
        try:
            with fs.open(path, "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
        except FileNotFoundError:
            out.append(AgencyResult(code, name, "missing", shown))
            continue
        except (OSError, ValueError) as err:
            out.append(AgencyResult(code, name, "unreadable", shown, note=str(err)[:200]))
            continue
        if not isinstance(data, dict):
            out.append(AgencyResult(code, name, "unreadable", shown, note="không phải JSON object"))
            continue
        schema = data.get("schema")
        named = (
            (data.get("agency") or {}).get("name") if isinstance(data.get("agency"), dict) else None
        )
        if schema not in KNOWN_SCHEMAS:
            note = f"phiên bản {schema}" if schema is not None else "không ghi phiên bản (schema)"
            out.append(AgencyResult(code, name or named or code, "schema", shown, data, note))
            continue
        if data.get("period") != period:
            note = f"tệp ghi kỳ {data.get('period')}"
            out.append(AgencyResult(code, name or named or code, "unreadable", shown, note=note))
            continue
        out.append(AgencyResult(code, name or named or code, "ok", shown, data))
    return out


# ----------------------------------------------------------------------------------- figures


def _ratio(done: int, due: int) -> float | None:
    return done / due if due else None


def agency_row(item: AgencyResult) -> AgencyRow:
    row = AgencyRow(item.code, item.name, item.state, item.note)
    data = item.result
    if item.state != "ok" or data is None:
        return row
    row.as_of = str(data.get("as_of") or "")
    totals = data.get("totals") or {}
    row.by_area = {str(k): int(v) for k, v in (totals.get("by_area") or {}).items()}
    row.by_channel = {str(k): int(v) for k, v in (totals.get("by_channel") or {}).items()}
    row.products = sum(row.by_area.values())
    website = data.get("website")
    if isinstance(website, dict):
        months = website.get("months") or [
            {"period": data.get("period"), "count": website.get("count"),
             "required": website.get("required"), "met": website.get("met")}
        ]  # fmt: skip
        row.website_months = {str(m["period"]): m for m in months}
        row.website_met = website.get("met")
    for unit in data.get("units") or []:
        if isinstance(unit.get("concretization"), dict):
            row.concretization[unit["concretization"]["status"]] += 1
        if isinstance(unit.get("unit_report"), dict):
            row.unit_reports[unit["unit_report"]["status"]] += 1
    for dossier in data.get("late_dossiers") or []:
        row.late_dossiers += 1
        if isinstance(dossier.get("apology"), dict):
            row.apologies[dossier["apology"]["status"]] += 1
    met_months = sum(1 for m in row.website_months.values() if m.get("met") is True)
    checked = sum(1 for m in row.website_months.values() if m.get("met") is not None)
    row.ratios = {
        "website": _ratio(met_months, checked),
        **{
            key: _ratio(c["on_time"], c["on_time"] + c["late"] + c["missing"])
            for key, c in (
                ("concretization", row.concretization),
                ("unit_reports", row.unit_reports),
                ("apologies", row.apologies),
            )
        },
    }
    applied = [r for r in row.ratios.values() if r is not None]
    row.score = round(100 * sum(applied) / len(applied), 1) if applied else None
    return row


def build_rollup(results: list[AgencyResult], period: str) -> Rollup:
    rows = [agency_row(r) for r in results]
    ranked = sorted(
        (r for r in rows if r.state == "ok"),
        key=lambda r: (-(r.score if r.score is not None else -1), -r.products, r.code),
    )
    for i, row in enumerate(ranked, 1):
        row.rank = i
    others = sorted((r for r in rows if r.state != "ok"), key=lambda r: r.code)
    months = sorted({m for r in ranked for m in r.website_months})
    areas: list[str] = []
    channels: list[str] = []
    for r in ranked:  # the plan file's order, as the results write it
        areas += [a for a in r.by_area if a not in areas]
        channels += [c for c in r.by_channel if c not in channels]
    clauses: dict[str, str] = {}
    for item in results:
        if item.state == "ok" and item.result:
            for rule in item.result.get("rules") or []:
                clauses.setdefault(str(rule.get("key")), str(rule.get("clause") or ""))
    return Rollup(
        period, parse_period(period).label, ranked + others, months, areas, channels, clauses
    )


# --------------------------------------------------------------------------------- the .xlsx


def _pct(value: float | None) -> str | float:
    return "" if value is None else round(100 * value, 1)


def workbook_header(rollup: Rollup) -> list[str]:
    return [
        "Thứ hạng", "Mã", "Cơ quan", "Tình trạng kết quả", "Số liệu đến ngày",
        *(f"Tin, bài CCHC trên website {m}" for m in rollup.months), "Website đạt mọi tháng",
        "Cụ thể hóa đúng hạn", "Cụ thể hóa trễ hạn", "Chưa cụ thể hóa", "Cụ thể hóa chưa đến hạn",
        "Báo cáo đơn vị đúng hạn", "Báo cáo đơn vị trễ hạn", "Chưa gửi báo cáo",
        "Hồ sơ trễ hẹn", "Xin lỗi đúng hạn", "Xin lỗi trễ", "Chưa xin lỗi",
        *(f"Tỷ lệ (%): {CRITERIA[k]}" for k in CRITERIA), "Điểm xếp hạng (%)",
        "Tổng sản phẩm", *(f"Nội dung: {a}" for a in rollup.areas),
        *(f"Hình thức: {c}" for c in rollup.channels),
    ]  # fmt: skip


def workbook_row(rollup: Rollup, r: AgencyRow) -> list[Any]:
    state = STATE_VN[r.state] + (f" ({r.note})" if r.note else "")
    head: list[Any] = [r.rank or "", r.code, r.name, state]
    if r.state != "ok":
        return head
    met = "" if r.website_met is None else MET_TEXT[r.website_met]
    return [
        *head, r.as_of,
        *(r.website_months.get(m, {}).get("count", "") for m in rollup.months), met,
        r.concretization["on_time"], r.concretization["late"], r.concretization["missing"],
        r.concretization["not_due"],
        r.unit_reports["on_time"], r.unit_reports["late"], r.unit_reports["missing"],
        r.late_dossiers, r.apologies["on_time"], r.apologies["late"], r.apologies["missing"],
        *(_pct(r.ratios.get(k)) for k in CRITERIA), "" if r.score is None else r.score,
        r.products, *(r.by_area.get(a, 0) for a in rollup.areas),
        *(r.by_channel.get(c, 0) for c in rollup.channels),
    ]  # fmt: skip


METHOD = [
    "Điểm xếp hạng của mỗi cơ quan = trung bình cộng (cùng trọng số) các tỷ lệ sau, chỉ tính tỷ "
    "lệ có việc phải làm trong kỳ:",
    *(f"- {text}" for text in CRITERIA.values()),
    "Thứ tự: điểm cao trước; bằng điểm thì cơ quan có nhiều sản phẩm tuyên truyền hơn trước; "
    "sau đó theo mã cơ quan. Cơ quan chưa có kết quả (hoặc kết quả theo mẫu khác) không xếp hạng.",
    "Số liệu lấy nguyên từ tệp ket-qua.json của từng cơ quan (schema 1).",
]


def write_workbook(rollup: Rollup, path: Path) -> Path:
    """The summary workbook: one row per agency (ranked ones first), totals, and the method."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from tasks.files import write_atomically

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tổng hợp"
    header = workbook_header(rollup)
    sheet.append(
        [f"Tổng hợp kết quả thông tin, tuyên truyền CCHC {rollup.label} ({rollup.period})"]
    )
    sheet.append(header)
    for r in rollup.rows:
        sheet.append(workbook_row(rollup, r))
    first_sum = 6 + len(rollup.months)
    totals: list[Any] = ["", "", "Cộng", f"{len(rollup.reported)}/{len(rollup.rows)} có kết quả"]
    totals += [""] * (first_sum - len(totals))
    for col in range(first_sum + 1, len(header) + 1):
        title = header[col - 1]
        if title.startswith("Tỷ lệ") or title.startswith("Điểm"):
            totals.append("")
            continue
        letter = get_column_letter(col)
        totals.append(f"=SUM({letter}3:{letter}{len(rollup.rows) + 2})")
    sheet.append(totals)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "D3"
    sheet.column_dimensions["C"].width = 40
    sheet.column_dimensions["D"].width = 24
    method = book.create_sheet("Cách xếp hạng")
    for line in METHOD:
        method.append([line])
    method.column_dimensions["A"].width = 120
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as err:
        raise OutputError(f"Không ghi được '{path}': {err.strerror}.") from err
    return path


# ---------------------------------------------------------------------------------- the .docx


def _names(rows: list[AgencyRow]) -> str:
    return "; ".join(f"{r.name} ({r.code})" for r in rows)


def rollup_context(rollup: Rollup, issuer: dict[str, Any], as_of: date) -> dict[str, Any]:
    """Every field of ``templates/tong-hop-tinh.docx`` (docs/templates.md): display-ready text
    and numbers. ``issuer``: ``parent``, ``name``, ``report_symbol``, ``place``, ``signer``
    {title, name}, ``noi_nhan`` (lines)."""
    ok = rollup.reported

    def status_line(key: str, counter_of: str, verb: str) -> dict[str, Any]:
        applies = [r for r in ok if r.ratios.get(key) is not None]
        full = [r for r in applies if r.ratios.get(key) == 1]
        behind = [r for r in applies if r.ratios.get(key) != 1]
        counts: Counter[str] = Counter()
        for r in ok:
            counts.update(getattr(r, counter_of))
        return {
            "applies": len(applies),
            "all_done": len(full),
            "behind": [{"code": r.code, "name": r.name} for r in behind],
            "behind_text": _names(behind),
            "on_time": counts["on_time"],
            "late": counts["late"],
            "missing": counts["missing"],
            "not_due": counts["not_due"],
            "verb": verb,
        }

    website_applies = [r for r in ok if r.website_met is not None]
    website_behind = [r for r in website_applies if not r.website_met]
    required = max(
        (int(m.get("required") or 0) for r in ok for m in r.website_months.values()), default=1
    )
    area_rows = [
        {"stt": i, "name": a, "count": sum(r.by_area.get(a, 0) for r in ok)}
        for i, a in enumerate(rollup.areas, 1)
    ]
    channel_rows = [
        {"stt": i, "name": c, "count": sum(r.by_channel.get(c, 0) for r in ok)}
        for i, c in enumerate(rollup.channels, 1)
    ]
    return {
        "agency": {k: issuer[k] for k in ("parent", "name", "report_symbol", "place")},
        "signer": {"authority": "", **issuer["signer"]},
        "noi_nhan": issuer["noi_nhan"],
        "date_line": date_line(issuer["place"], as_of),
        "period": {"key": rollup.period, "label": rollup.label},
        "agencies": {
            "total": len(rollup.rows),
            "reported": len(ok),
            "missing": [
                {"code": r.code, "name": r.name} for r in rollup.rows if r.state == "missing"
            ],  # fmt: skip
            "other": [
                {
                    "code": r.code,
                    "name": r.name,
                    "why": STATE_VN[r.state] + (f" ({r.note})" if r.note else ""),
                }
                for r in rollup.rows
                if r.state in ("schema", "unreadable")
            ],  # fmt: skip
        },
        "website": {
            "required": required,
            "applies": len(website_applies),
            "met": len(website_applies) - len(website_behind),
            "behind_text": _names(website_behind),
            "clause": rollup.clauses.get("website", ""),
        },
        "concretization": {
            **status_line("concretization", "concretization", "cụ thể hóa"),
            "clause": rollup.clauses.get("concretization", ""),
        },
        "unit_reports": {
            **status_line("unit_reports", "unit_reports", "báo cáo"),
            "clause": rollup.clauses.get("unit_reports", ""),
        },
        "apologies": {
            **status_line("apologies", "apologies", "xin lỗi"),
            "dossiers": sum(r.late_dossiers for r in ok),
            "clause": rollup.clauses.get("apologies", ""),
        },
        "products": sum(r.products for r in ok),
        "by_area": area_rows,
        "by_channel": channel_rows,
        "ranking": [
            {
                "rank": r.rank,
                "code": r.code,
                "name": r.name,
                "products": r.products,
                "score": "—" if r.score is None else f"{r.score:.1f}".replace(".", ","),
            }
            for r in ok
        ],  # fmt: skip
        "criteria": list(CRITERIA.values()),
    }


def rollup_json(rollup: Rollup) -> dict[str, Any]:
    """What the roll-up flow returns (and tests compare): plain figures per agency."""
    return {
        "period": rollup.period,
        "agencies": [
            {
                "code": r.code,
                "name": r.name,
                "state": r.state,
                "note": r.note,
                "rank": r.rank,
                "score": r.score,
                "products": r.products,
                "website": {m: v.get("count") for m, v in r.website_months.items()},
                "website_met": r.website_met,
                "concretization": dict(r.concretization),
                "unit_reports": dict(r.unit_reports),
                "late_dossiers": r.late_dossiers,
                "apologies": dict(r.apologies),
                "by_area": r.by_area,
                "by_channel": r.by_channel,
            }
            for r in rollup.rows
        ],  # fmt: skip
    }
