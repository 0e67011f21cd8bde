"""Small hand-made books for tests: every tab present with its header, rows as given."""

from __future__ import annotations

from typing import Any

from tasks.contract import INPUT_TABS
from tasks.models import RawBook, RawTab

ROSTER = [
    ["VP", "Văn phòng Sở", "vp@sxd.vn", "Nguyễn Văn An", 4, "Hoạt động"],
    ["QLXD", "Phòng Quản lý xây dựng", "qlxd@sxd.vn; ql2@sxd.vn", "Trần Thị Bình", None, None],
    ["TTR", "Thanh tra Sở", "", "", "", ""],
    ["CU", "Phòng Cũ", "cu@sxd.vn", "", "", "Ngừng hoạt động"],
]


def book(**tabs: list[list[Any]]) -> RawBook:
    """A RawBook with every input tab; ``units=``, ``products=`` ... give data rows."""
    data = {"units": ROSTER, **tabs}
    return RawBook(
        source="test",
        read_at="2026-06-05T08:00:00+07:00",
        tabs={
            spec.title: RawTab(spec.title, [spec.headers, *data.get(spec.key, [])])
            for spec in INPUT_TABS
        },
    )


def product(
    day: Any = "05/05/2026",
    unit: str = "VP",
    area: Any = 2,  # Cải cách thủ tục hành chính
    channel: str = "Trang thông tin điện tử",
    kind: str = "Tin",
    title: str = "Tin CCHC",
    link: str = "https://sxd.daklak.gov.vn/tin-1",
) -> list[Any]:
    return [day, unit, area, channel, kind, title, link, "", ""]


def with_rule(plan: Any, key: str, **settings: Any) -> Any:
    """``plan`` with rule ``key``'s settings changed (as if the plan file said so)."""
    changed = plan.rules[key].model_copy(update=settings)
    return plan.model_copy(update={"rules": {**plan.rules, key: changed}})


def without_rule(plan: Any, key: str) -> Any:
    """``plan`` with rule ``key`` left out of the plan file (turned off)."""
    return plan.model_copy(update={"rules": {k: v for k, v in plan.rules.items() if k != key}})


def unit_result(findings: Any, code: str) -> dict[str, Any]:
    """Unit ``code``'s entry of ket-qua.json: every rule's fields about it."""
    from tasks.compile import build_result

    return next(u for u in build_result(findings)["units"] if u["code"] == code)
