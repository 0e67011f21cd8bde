"""Findings -> the machine-readable result (ket-qua.json), the report's template context, the
``Tổng hợp`` rows and the shortcomings list. Pure: the .docx itself is made in tasks.document."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tasks.dates import format_vn
from tasks.errors import OutputError
from tasks.files import write_atomically
from tasks.plan import Plan
from tasks.stage import stage_task
from tasks.verify import (
    LATE,
    MISSING,
    NOT_DUE,
    NOT_REQUIRED,
    ON_TIME,
    UNIT_REPORT_KINDS,
    Findings,
)

RESULT_FILE = "ket-qua.json"
STATUS_TEXT = {
    ON_TIME: "Đúng hạn",
    LATE: "Trễ hạn",
    MISSING: "Chưa có",
    NOT_DUE: "Chưa đến hạn",
    NOT_REQUIRED: "Không yêu cầu",
}
QUOTA_TEXT = {True: "Đạt", False: "Chưa đạt", None: "Không giao"}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _vn(day: date | None) -> str:
    return format_vn(day) if day else ""


def build_result(findings: Findings) -> dict[str, Any]:
    """The ``ket-qua.json`` document of DESIGN §5."""
    return {
        "period": findings.period.key,
        "window": {"start": _iso(findings.window.start), "end": _iso(findings.window.end)},
        "as_of": _iso(findings.as_of),
        "units": [
            {
                "code": u.code,
                "name": u.name,
                "products": u.products,
                "quota": u.quota,
                "quota_met": u.quota_met,
                "concretization": {
                    "status": u.concretization.status,
                    "date": _iso(u.concretization.date),
                },
                "unit_report": {
                    "status": u.unit_report.status,
                    "date": _iso(u.unit_report.date),
                },
            }
            for u in findings.units
        ],
        "website": {
            "required": findings.website.required,
            "count": findings.website.count,
            "met": findings.website.met,
            "months": [
                {"period": m.period, "count": m.count, "required": m.required, "met": m.met}
                for m in findings.website.months
            ],
        },
        "late_dossiers": [
            {
                "code": d.code,
                "unit": d.unit,
                "due": _iso(d.due),
                "returned": _iso(d.returned),
                "apology": {"status": d.apology.status, "date": _iso(d.apology.date)},
                "new_due": _iso(d.new_due),
            }
            for d in findings.late_dossiers
        ],
        "problems": [p.to_json() for p in findings.problems],
        "backdated": [p.to_json() for p in findings.backdated],
        "totals": findings.totals,
    }


def content_hash(result: dict[str, Any], context: dict[str, Any]) -> str:
    """What "the same report" means for never-twice: the figures and the annex's products, not
    the .docx bytes (they change with every render) nor the as-of date (a rerun on a later day
    with the same figures is the same report)."""
    content = {**result, "as_of": None, "annex": context["products"]}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def date_line(place: str, day: date) -> str:
    """``Đắk Lắk, ngày 05 tháng 02 năm 2026``: leading zero for days < 10, months 1-2 (ND 30)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def shortcomings(findings: Findings, plan: Plan) -> list[str]:
    """Section II of the report: what fell short, generated from the findings."""
    items = []
    below = [u for u in findings.units if u.quota_met is False]
    if below:
        names = "; ".join(f"{u.name} ({u.products}/{u.quota})" for u in below)
        items.append(
            f"Có {len(below)} đơn vị chưa đạt chỉ tiêu sản phẩm tuyên truyền do Văn phòng Sở "
            f"giao: {names}."
        )
    for month in findings.website.months:
        if not month.met:
            items.append(
                "Trang thông tin điện tử chưa đạt chỉ tiêu tối thiểu "
                f"{month.required:02d} tin, bài "
                f"CCHC trong kỳ {_month_label(month.period)} "
                f"({_vn(month.window.start)} - {_vn(month.window.end)}): {month.count}."
            )
    deadline = plan.deadlines.concretization_text
    late = [u.name for u in findings.units if u.concretization.status == LATE]
    missing = [u.name for u in findings.units if u.concretization.status == MISSING]
    if late:
        items.append(
            "Đơn vị hoàn thành cụ thể hóa nội dung tuyên truyền không đúng hạn (Kế hoạch: "
            f"{deadline}): {'; '.join(late)}."
        )
    if missing:
        items.append(
            "Đơn vị chưa cụ thể hóa nội dung tuyên truyền (Kế hoạch: "
            f"{deadline}): {'; '.join(missing)}."
        )
    late_reports = [u.name for u in findings.units if u.unit_report.status == LATE]
    missing_reports = [u.name for u in findings.units if u.unit_report.status == MISSING]
    if late_reports:
        items.append(f"Đơn vị gửi báo cáo kỳ này trễ hạn: {'; '.join(late_reports)}.")
    if missing_reports:
        items.append(f"Đơn vị chưa gửi báo cáo kỳ này: {'; '.join(missing_reports)}.")
    no_apology = [d for d in findings.late_dossiers if d.apology.status != ON_TIME]
    if no_apology:
        items.append(
            f"Có {len(no_apology)}/{len(findings.late_dossiers)} hồ sơ trễ hẹn chưa có phiếu "
            "xin lỗi đúng hạn."
        )
    again = [d.code for d in findings.late_dossiers if d.missed_new_due]
    if again:
        items.append(
            f"Hồ sơ trễ cả ngày hẹn lại (ngày hẹn lại chỉ được hẹn một lần): {'; '.join(again)}."
        )
    # Data problems and back-dated rows are the Office's internal clean-up (e-mail copy,
    # artifacts, Tổng hợp, ket-qua.json): never in the report sent to Sở Nội vụ (DESIGN §5).
    return items


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return f"tháng {int(month)}/{year}"


def report_context(findings: Findings, plan: Plan) -> dict[str, Any]:
    """Every field a report template may use (documented in docs/templates.md).

    Values are display-ready Vietnamese strings and numbers; the template only lays them out.
    """
    units = findings.units
    unit_names = {u.code: u.name for u in units}
    products = findings.products

    def counted(status_of: str, status: str) -> int:
        return sum(getattr(u, status_of).status == status for u in units)

    def table(counts: dict[str, int]) -> list[dict[str, Any]]:
        return [{"stt": i, "name": n, "count": c} for i, (n, c) in enumerate(counts.items(), 1)]

    return {
        "agency": plan.agency.model_dump(),
        "plan": plan.plan.model_dump(),
        "period": {
            "key": findings.period.key,
            "kind": findings.period.kind,
            "label": findings.period.label,
        },
        "window": {"start": _vn(findings.window.start), "end": _vn(findings.window.end)},
        "as_of": _vn(findings.as_of),
        "date_line": date_line(plan.agency.place, findings.as_of),
        "summary": {
            "units": len(units),
            "products": len(products),
            "quota_met": sum(u.quota_met is True for u in units),
            "with_quota": sum(u.quota is not None for u in units),
            "concretization_on_time": counted("concretization", ON_TIME),
            "concretization_late": counted("concretization", LATE),
            "concretization_missing": counted("concretization", MISSING),
            "reports_on_time": counted("unit_report", ON_TIME),
            "reports_late": counted("unit_report", LATE),
            "reports_missing": counted("unit_report", MISSING),
            "late_dossiers": len(findings.late_dossiers),
            "apologies_on_time": sum(d.apology.status == ON_TIME for d in findings.late_dossiers),
            "problems": len(findings.problems),
            "concretization_deadline": plan.deadlines.concretization_text,
            "apology_days_before_due": plan.deadlines.apology_days_before_due,
            "unit_report_due": _vn(findings.unit_report_due),
            "unit_reports_required": findings.period.kind in UNIT_REPORT_KINDS,
        },
        "units": [
            {
                "stt": i,
                "code": u.code,
                "name": u.name,
                "products": u.products,
                "quota": "" if u.quota is None else u.quota,
                "quota_met": u.quota_met,
                "quota_text": QUOTA_TEXT[u.quota_met],
                "concretization": STATUS_TEXT[u.concretization.status],
                "concretization_date": _vn(u.concretization.date),
                "unit_report": STATUS_TEXT[u.unit_report.status],
                "unit_report_date": _vn(u.unit_report.date),
            }
            for i, u in enumerate(units, 1)
        ],
        "by_area": table(findings.totals["by_area"]),
        "by_channel": table(findings.totals["by_channel"]),
        "by_kind": table(findings.totals["by_kind"]),
        "website": {
            "per_month": plan.quotas.website_per_month,
            "required": findings.website.required,
            "count": findings.website.count,
            "met": findings.website.met,
            "met_text": "Đạt" if findings.website.met else "Chưa đạt",
            "months": [
                {
                    "period": m.period,
                    "label": _month_label(m.period),
                    "start": _vn(m.window.start),
                    "end": _vn(m.window.end),
                    "count": m.count,
                    "required": m.required,
                    "met_text": "Đạt" if m.met else "Chưa đạt",
                }
                for m in findings.website.months
            ],
        },
        "late_dossiers": [
            {
                "stt": i,
                "code": d.code,
                "procedure": d.procedure,
                "unit": unit_names.get(d.unit, d.unit),
                "due": _vn(d.due),
                "returned": _vn(d.returned) or "Chưa trả",
                "apology": STATUS_TEXT[d.apology.status],
                "apology_date": _vn(d.apology.date),
                "apology_number": d.apology_number,
                "new_due": _vn(d.new_due),
                "missed_new_due": d.missed_new_due,
            }
            for i, d in enumerate(findings.late_dossiers, 1)
        ],
        "shortcomings": shortcomings(findings, plan),
        "products": [
            {
                "stt": i,
                "date": _vn(p.date),
                "unit": p.unit,
                "area": p.area,
                "channel": plan.channel_name(p.channel),
                "kind": plan.kind_name(p.kind),
                "title": p.title,
                "link": p.link,
            }
            for i, p in enumerate(products.itertuples(), 1)
        ],
        "by_month": [
            {"period": k, "label": _month_label(k), "count": c} for k, c in findings.by_month
        ],
        "inactive": {
            "products": sum(findings.inactive_products.values()),
            "names": "; ".join(findings.inactive_products),
        },
        "plan_reference": plan.plan.reference,
        "noi_nhan": plan.noi_nhan,
        "signer": plan.signer.model_dump(),
    }


def summary_rows(findings: Findings, run_time: str) -> list[list[str | int]]:
    """The ``Tổng hợp`` tab: a header, one row per unit, then the problem list and the run time."""
    rows: list[list[str | int]] = [
        [
            f"Tổng hợp kỳ {findings.period.label}",
            f"{_vn(findings.window.start)} - {_vn(findings.window.end)}",
            f"Cập nhật lúc {run_time}",
        ],
        [
            "Mã đơn vị",
            "Tên đơn vị",
            "Số tin bài",
            "Chỉ tiêu",
            "Đạt chỉ tiêu",
            "Cụ thể hóa",
            "Ngày cụ thể hóa",
            "Báo cáo kỳ",
            "Ngày gửi báo cáo",
        ],
    ]
    for u in findings.units:
        rows.append(
            [
                u.code,
                u.name,
                u.products,
                "" if u.quota is None else u.quota,
                QUOTA_TEXT[u.quota_met],
                STATUS_TEXT[u.concretization.status],
                _vn(u.concretization.date),
                STATUS_TEXT[u.unit_report.status],
                _vn(u.unit_report.date),
            ]
        )
    blocks = [(f"Lỗi dữ liệu cần sửa ({len(findings.problems)})", findings.problems)]
    if findings.backdated:
        blocks.append(
            (
                f"Dòng nghi nhập lùi ngày, cần xác minh ({len(findings.backdated)})",
                findings.backdated,
            )
        )
    for title, problems in blocks:
        rows += [[], [title], ["Tab", "Dòng", "Cột", "Giá trị", "Nội dung"]]
        for p in problems:
            rows.append([p.tab, p.row or "", p.column or "", p.value, p.message])
    return rows


def write_result(result: dict[str, Any], folder: Path) -> Path:
    """Write ``ket-qua.json`` atomically (a half-written file never replaces a good one)."""
    path = folder / RESULT_FILE
    try:
        write_atomically(path, json.dumps(result, ensure_ascii=False, indent=2).encode("utf-8"))
    except OSError as err:
        raise OutputError(f"Không ghi được '{path}': {err.strerror}.") from err
    return path


@dataclass
class CompiledReport:
    result: dict[str, Any]
    context: dict[str, Any]
    content_hash: str
    result_path: Path
    document_path: Path


def compile_report(findings: Findings, plan: Plan, folder: Path, template: Path) -> CompiledReport:
    """Write ``ket-qua.json`` and the .docx report for ``findings`` into ``folder``."""
    from tasks import document  # docxtpl and matplotlib load slowly; only needed here

    result = build_result(findings)
    context = report_context(findings, plan)
    result_path = write_result(result, folder)
    name = document.report_file_name(findings.period.key)
    document_path = document.render_report(context, template, folder / name)
    digest = content_hash(result, context)
    return CompiledReport(result, context, digest, result_path, document_path)


compile_report_task = stage_task("Lập báo cáo")(compile_report)
