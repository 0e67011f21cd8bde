"""Findings -> the machine-readable result (ket-qua.json), the report's template context and the
``Tổng hợp`` rows. Pure: the .docx itself is made in tasks.document."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tasks.calendar import parse_period
from tasks.cchc_section import cchc_section
from tasks.dates import format_vn
from tasks.errors import OutputError
from tasks.files import write_atomically
from tasks.plan import Plan
from tasks.rules import REGISTRY
from tasks.rules.base import MET_TEXT
from tasks.stage import stage_task
from tasks.verify import Findings

RESULT_FILE = "ket-qua.json"
# The version of ket-qua.json's layout: a roll-up names results of another version, never
# misreads them. Raise it when a field changes meaning or moves.
RESULT_SCHEMA = 1


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _vn(day: date | None) -> str:
    return format_vn(day) if day else ""


def build_result(findings: Findings) -> dict[str, Any]:
    """The ``ket-qua.json`` document of DESIGN §5: each rule adds its fields to the unit
    entries and to the top level. (``compile_report`` adds the CCHC-report section.)"""
    result: dict[str, Any] = {
        "period": findings.period.key,
        "window": {"start": _iso(findings.window.start), "end": _iso(findings.window.end)},
        "as_of": _iso(findings.as_of),
        "rules": [
            {"key": o.key, "title": o.title, "clause": o.clause, "met": o.met, "verdict": o.verdict}
            for o in findings.outcomes
        ],
        "units": [
            {
                "code": u.code,
                "name": u.name,
                "products": u.products,
                **{
                    k: v
                    for o in findings.outcomes
                    if (verdict := o.units.get(u.code))
                    for k, v in verdict.data.items()
                },
            }
            for u in findings.units
        ],
    }
    for outcome in findings.outcomes:
        result.update(outcome.data)
    result["problems"] = [p.to_json() for p in findings.problems]
    result["backdated"] = [p.to_json() for p in findings.backdated]
    result["totals"] = findings.totals
    result["channels"] = [{k: v for k, v in c.items() if k != "text"} for c in findings.channels]
    result["posted_procedures"] = findings.posted
    return result


def content_hash(result: dict[str, Any], context: dict[str, Any]) -> str:
    """What "the same report" means for never-twice: the figures and the annex's products, not
    the .docx bytes (they change with every render) nor the as-of date (a rerun on a later day
    with the same figures is the same report)."""
    content = {**result, "as_of": None, "annex": context["products"]}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def date_words(day: date) -> str:
    """``ngày 05 tháng 02 năm 2026``: leading zero for days < 10, months 1-2 (ND 30)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def date_line(place: str, day: date) -> str:
    """``Đắk Lắk, ngày 05 tháng 02 năm 2026``: the report's place and date (ND 30)."""
    return f"{place}, {date_words(day)}"


def report_context(findings: Findings, plan: Plan) -> dict[str, Any]:
    """Every field a report template may use (documented in docs/templates.md).

    Values are display-ready Vietnamese strings and numbers; the template only lays them out.
    Each rule of the registry has a field of its own key: its section's data, or None when the
    plan file leaves the rule out.
    """

    def table(counts: dict[str, int]) -> list[dict[str, Any]]:
        return [{"stt": i, "name": n, "count": c} for i, (n, c) in enumerate(counts.items(), 1)]

    context: dict[str, Any] = {
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
        "report_date": date_words(findings.as_of),
        "summary": {
            "units": len(findings.units),
            "products": len(findings.products),
            "problems": len(findings.problems),
        },
        "requirements": [
            {
                "stt": i,
                "title": o.title,
                "clause": o.clause,
                "verdict": o.verdict,
                "met_text": "" if o.met is None else MET_TEXT[o.met],
            }
            for i, o in enumerate(findings.outcomes, 1)
        ],
        "unit_columns": findings.unit_columns,
        "units": [
            {
                "stt": i,
                "code": u.code,
                "name": u.name,
                "products": u.products,
                "cells": findings.unit_cells(u.code),
            }
            for i, u in enumerate(findings.units, 1)
        ],
        "by_area": table(findings.totals["by_area"]),
        "by_channel": table(findings.totals["by_channel"]),
        "by_kind": table(findings.totals["by_kind"]),
        "channel_details": [c["text"] for c in findings.channels],
        "posted": findings.posted,
        "shortcomings": findings.shortcomings(),
        "strengths": strengths(findings),
        "causes": findings.causes(),
        "proposals": findings.proposals(),
        "behind_names": "; ".join(u.name for u, _ in findings.units_behind()),
        "texts": plan.report_texts.model_dump(),
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
            for i, p in enumerate(findings.products.itertuples(), 1)
        ],
        "by_month": [
            {"period": k, "label": parse_period(k).label, "count": c} for k, c in findings.by_month
        ],
        "inactive": {
            "products": sum(findings.inactive_products.values()),
            "names": "; ".join(findings.inactive_products),
        },
        "plan_reference": plan.plan.reference,
        "noi_nhan": plan.noi_nhan,
        "signer": plan.signer.model_dump(),
        "cchc_section": cchc_section(findings, plan),
    }
    clash = sorted(set(REGISTRY) & set(context))
    if clash:  # a programming error: a rule named like a report field
        raise RuntimeError(f"rule keys {clash} clash with report fields; rename the rule")
    for key in REGISTRY:
        outcome = findings.outcome(key)
        context[key] = outcome.context if outcome else None
    return context


def strengths(findings: Findings) -> list[str]:
    """Section III.1 (ưu điểm), from the figures: what was done and each requirement met."""
    channels = [name for name, count in findings.totals["by_channel"].items() if count]
    items = []
    if len(findings.products):
        items.append(
            f"Các phòng, đơn vị thực hiện {len(findings.products)} sản phẩm tuyên truyền về cải "
            f"cách hành chính qua {len(channels)} hình thức ({', '.join(channels)})."
        )
    items += [
        f"Đạt yêu cầu của Kế hoạch về {o.title[0].lower() + o.title[1:]}: {o.verdict}"
        for o in findings.outcomes
        if o.met is True
    ]
    return items


def summary_rows(findings: Findings, run_time: str) -> list[list[str | int]]:
    """The ``Tổng hợp`` tab: a header, one row per unit, then the problem list and the run time."""
    rows: list[list[str | int]] = [
        [
            f"Tổng hợp kỳ {findings.period.label}",
            f"{_vn(findings.window.start)} - {_vn(findings.window.end)}",
            f"Cập nhật lúc {run_time}",
        ],
        ["Mã đơn vị", "Tên đơn vị", "Số tin bài", *findings.unit_columns],
    ]
    for u in findings.units:
        rows.append([u.code, u.name, u.products, *findings.unit_cells(u.code)])
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
    section_path: Path  # the part for the Department's CCHC report (tasks.cchc_section)


def compile_report(findings: Findings, plan: Plan, folder: Path, template: Path) -> CompiledReport:
    """Write ``ket-qua.json`` and the .docx report for ``findings`` into ``folder``."""
    from tasks import document  # docxtpl and matplotlib load slowly; only needed here

    context = report_context(findings, plan)
    result = {
        "schema": RESULT_SCHEMA,
        "agency": {
            "code": plan.agency.code,
            "name": plan.agency.name,
            "parent": plan.agency.parent,
        },
        **build_result(findings),
        "cchc_section": context["cchc_section"],
    }
    result_path = write_result(result, folder)
    name = document.report_file_name(findings.period.key)
    document_path = document.render_report(context, template, folder / name)
    section_path = document.render_report(
        context, document.SECTION_TEMPLATE, folder / document.section_file_name(findings.period.key)
    )
    digest = content_hash(result, context)
    return CompiledReport(result, context, digest, result_path, document_path, section_path)


compile_report_task = stage_task("Lập báo cáo")(compile_report)
