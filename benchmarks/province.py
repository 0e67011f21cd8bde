"""A sample province: N agencies' workbooks, plan files and the agencies file, deterministic.

The first agency is the bundled sample (Sở Xây dựng, ``data/sample/cchc-2026-mau.xlsx``); the
others are synthetic (benchmarks/synthetic.py, seed 2026 + their number, a dozen units each).

    .venv/bin/python -m benchmarks.province --agencies 5 --out var/tinh-mau

writes ``<out>/agencies.yaml`` (root ``<out>/ket-qua``), ``<out>/nguon/<code>.xlsx`` and
``<out>/ke-hoach/<code>.yaml`` (the plan file with the agency's name, symbol and addresses).
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from benchmarks.synthetic import synthetic_tabs
from tasks.models import Cell
from tasks.settings import DEFAULT_PLAN, SAMPLE_WORKBOOK

SAMPLE_CODE = "SXD"
PRODUCTS = 240  # per synthetic agency: a department's year
UNITS = 12
NAMED = [  # (code, name) of the first synthetic agencies
    ("STC", "Sở Tài chính"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SYT", "Sở Y tế"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SCT", "Sở Công Thương"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("STP", "Sở Tư pháp"),
]


class _NoAliases(yaml.SafeDumper):
    """The plan loader refuses YAML aliases: never write one."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def agency_list(count: int) -> list[tuple[str, str]]:
    """(code, name) of ``count`` agencies, the sample first; beyond the named departments,
    communes (UBND xã) numbered XA001…"""
    items = [(SAMPLE_CODE, "Sở Xây dựng"), *NAMED]
    for n in range(1, max(0, count - len(items)) + 1):
        items.append((f"XA{n:03d}", f"UBND xã Mẫu {n}"))
    return items[:count]


def agency_tabs(index: int) -> dict[str, list[list[Cell]]]:
    """The input tabs of agency number ``index`` (0 = the bundled sample)."""
    if index == 0:
        from tasks.collect import read_workbook

        book = read_workbook(SAMPLE_WORKBOOK)
        return {title: tab.rows for title, tab in book.tabs.items()}
    return synthetic_tabs(PRODUCTS, seed=2026 + index, units=UNITS)


def plan_for(code: str, short: str) -> dict[str, Any]:
    """The bundled plan file, as another agency of the same plan would write it."""
    plan = yaml.safe_load(DEFAULT_PLAN.read_text(encoding="utf-8"))
    if code == SAMPLE_CODE:
        return plan
    plan["agency"].update(code=code, name=short.upper(), report_symbol=f"BC-{code}", office_unit="")
    plan["plan"]["symbol"] = f"KH-{code}"
    plan["plan"]["title"] = (
        f"Kế hoạch Thông tin, tuyên truyền cải cách hành chính nhà nước năm 2026 của {short}"
    )
    plan["plan"]["replaces"] = ""
    domain = f"{code.lower()}.daklak.gov.vn"
    plan["recipients"] = {
        "leadership": [{"name": "Thủ trưởng cơ quan", "email": f"lanhdao@{domain}"}],
        "cc": [],
        "office": {"name": f"Văn phòng {short}", "email": f"vanphong@{domain}"},
    }
    plan["signer"] = {"authority": "", "title": "THỦ TRƯỞNG CƠ QUAN", "name": ""}
    return plan


def write_workbook(tabs: dict[str, list[list[Cell]]], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for title, rows in tabs.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(list(row) if row else [None])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


def make_province(
    count: int,
    out: Path,
    source_of: Callable[[int, str, dict[str, list[list[Cell]]]], str] | None = None,
) -> Path:
    """Write a province of ``count`` agencies under ``out``; returns the agencies file.
    ``source_of(index, code, tabs)``: each agency's source (default: an .xlsx under
    ``out/nguon``); the sample agency keeps the bundled workbook."""
    out = out.resolve()
    (out / "ke-hoach").mkdir(parents=True, exist_ok=True)
    (out / "nguon").mkdir(exist_ok=True)
    entries = []
    for index, (code, short) in enumerate(agency_list(count)):
        plan_path = out / "ke-hoach" / f"{code}.yaml"
        plan_path.write_text(
            yaml.dump(plan_for(code, short), Dumper=_NoAliases,
                      allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )  # fmt: skip
        if source_of is not None:
            source = source_of(index, code, agency_tabs(index))
        elif index == 0:
            source = str(SAMPLE_WORKBOOK)
        else:
            path = out / "nguon" / f"{code}.xlsx"
            write_workbook(agency_tabs(index), path)
            source = str(path)
        domain = f"{code.lower()}.daklak.gov.vn"
        entries.append(
            {
                "code": code,
                "name": short,
                "parent": "UBND TỈNH ĐẮK LẮK",
                "source": source,
                "plan": str(plan_path),
                "recipients": [{"name": "Thủ trưởng cơ quan", "email": f"lanhdao@{domain}"}],
                "office": {"name": f"Văn phòng {short}", "email": f"vanphong@{domain}"},
            }
        )
    agencies = out / "agencies.yaml"
    agencies.write_text(
        "# Tỉnh mẫu (sinh tự động bởi benchmarks/province.py): không sửa tay.\n"
        + yaml.dump({"root": str(out / "ket-qua"), "agencies": entries}, Dumper=_NoAliases,
                    allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )  # fmt: skip
    return agencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("var") / "tinh-mau")
    args = parser.parse_args(argv)
    path = make_province(args.agencies, args.out)
    print(f"Đã tạo tỉnh mẫu {args.agencies} cơ quan: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
