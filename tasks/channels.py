"""The detail by channel (plan mục IV: nội bộ, website, mạng xã hội, báo chí, cổ động trực quan):
per channel its products by kind, the people who attended its meetings, the copies printed and
the press outlets, from the optional columns of ``Tin bài``. Pure."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tasks.plan import Plan
from tasks.text import match_key

OTHER_KIND = "khac"  # "Khác" reads "sản phẩm khác" in a sentence


def number(value: int) -> str:
    """``1.500``: Vietnamese thousands separator."""
    return f"{value:,}".replace(",", ".")


def _total(values: pd.Series) -> int:
    return int(values.dropna().sum())


def _outlets(frame: pd.DataFrame) -> dict[str, int]:
    """Products per press outlet, spelled as first written; "" for those with none written."""
    spelled: dict[str, str] = {}
    counts: dict[str, int] = {}
    for outlet in frame["outlet"]:
        key = match_key(outlet) if outlet else ""
        name = spelled.setdefault(key, outlet or "")
        counts[name] = counts.get(name, 0) + 1
    return counts


def channel_details(products: pd.DataFrame, plan: Plan) -> list[dict[str, Any]]:
    """One entry per channel with products in the window, in the plan's order: its figures
    (for ket-qua.json) and a sentence a clerk would write (for the report)."""
    details = []
    for channel in plan.channels:
        frame = products[products["channel"] == channel.key]
        if frame.empty:
            continue
        kinds = []
        for kind in plan.kinds:
            of_kind = frame[frame["kind"] == kind.key]
            if of_kind.empty:
                continue
            word = "sản phẩm khác" if kind.key == OTHER_KIND else kind.name.lower()
            extras = []
            if attendees := _total(of_kind["attendees"]):
                extras.append(f"{number(attendees)} lượt người tham dự")
            if copies := _total(of_kind["copies"]):
                extras.append(f"{number(copies)} bản")
            extra = f" ({', '.join(extras)})" if extras else ""
            kinds.append((kind.key, len(of_kind), f"{number(len(of_kind))} {word}{extra}"))
        outlets = _outlets(frame) if frame["outlet"].astype(bool).any() else {}
        sentence = (
            f"{channel.name}: {number(len(frame))} sản phẩm ({', '.join(k[2] for k in kinds)})"
        )
        if outlets:
            named = [f"{name} ({n})" for name, n in outlets.items() if name]
            if "" in outlets:
                named.append(f"chưa ghi tên cơ quan báo chí ({outlets['']})")
            sentence += f"; đăng, phát trên: {'; '.join(named)}"
        details.append(
            {
                "key": channel.key,
                "name": channel.name,
                "count": len(frame),
                "by_kind": {key: count for key, count, _ in kinds},
                "attendees": _total(frame["attendees"]),
                "copies": _total(frame["copies"]),
                "outlets": outlets,
                "text": sentence + ".",
            }
        )
    return details
