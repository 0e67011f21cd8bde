"""Procedures posted at the one-stop desk, each with a QR code to look it up (the plan's section
IV.5, "Cổ động trực quan: Niêm yết công khai TTHC tại bộ phận tiếp nhận hồ sơ; sử dụng mã QR tra
cứu thủ tục"): the figures the report gives, and the cards of the printable QR-code sheet.

Pure (plain data in, plain data out); ``qr_png`` draws a code in memory with segno.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd

from tasks.contract import POSTED_PROCEDURES
from tasks.models import Problem, Records
from tasks.plan import Plan
from tasks.text import match_key

QR_FOLDER = "ma-qr"  # under the output folder, beside the periods' folders
QR_SHEET_FILE = "Ma-QR-thu-tuc-niem-yet.docx"  # ASCII: safe as an e-mail attachment
# Error correction M (15 %) survives a smudge or a pin hole; segno raises it further when that
# costs no extra size. 10 px per module: sharp at the printed size (50 mm) at 300 dpi.
QR_ERROR = "m"
QR_SCALE = 10


def _posted_rows(records: Records, as_of: date | None) -> pd.DataFrame:
    """Rows posted on or before ``as_of`` (all when None); a row without a date counts as posted
    (the tab lists what is posted; the date is optional)."""
    frame = records.posted_procedures
    if as_of is None or frame.empty:
        return frame
    keep = [d is None or pd.isna(d) or d <= as_of for d in frame["date"]]
    return frame[keep]


def posted_summary(records: Records, as_of: date | None = None) -> dict[str, Any]:
    """What the report says of the posted procedures, from ``records.posted_procedures`` (only
    the rows that parsed: a row with a bad link is a problem record and is not counted).

    ``as_of``: count only what was posted on or before that day (default: every row).
    Returns ``procedures`` (distinct procedure codes posted), ``with_qr`` (those with an http(s)
    link, so a QR code), ``without_link`` (posted, no link yet), ``postings`` (rows: a
    procedure posted at two places counts twice) and ``places`` (one ``{"place",
    "procedures"}`` per place, in sheet order; ``place`` is ``""`` where none was written).
    """
    frame = _posted_rows(records, as_of)
    codes: dict[str, bool] = {}  # procedure code (match_key) -> has a link; sheet order
    places: dict[str, tuple[str, set[str]]] = {}  # match_key(place) -> (as typed, codes)
    for code, link, place in zip(frame["code"], frame["link"], frame["place"], strict=True):
        key = match_key(code)
        codes[key] = codes.get(key, False) or bool(link)
        places.setdefault(match_key(place), (place, set()))[1].add(key)
    with_qr = sum(codes.values())
    return {
        "procedures": len(codes),
        "with_qr": with_qr,
        "without_link": len(codes) - with_qr,
        "postings": len(frame),
        "places": [{"place": shown, "procedures": len(keys)} for shown, keys in places.values()],
    }


def qr_cards(records: Records) -> list[dict[str, Any]]:
    """One card per posted procedure with a link, in sheet order: ``stt``, ``code``, ``name``,
    ``place``, ``date`` (dd/mm/yyyy or ``""``), ``link``, ``row`` (the sheet's row)."""
    cards: list[dict[str, Any]] = []
    for record in records.posted_procedures.to_dict("records"):
        if not record["link"]:
            continue
        day = record["date"]
        cards.append(
            {
                "stt": len(cards) + 1,
                "code": record["code"],
                "name": record["name"],
                "place": record["place"],
                "date": "" if day is None or pd.isna(day) else f"{day:%d/%m/%Y}",
                "link": record["link"],
                "row": int(record["row"]),
            }
        )
    return cards


def without_link(records: Records) -> list[dict[str, Any]]:
    """The posted procedures that have no link (no QR code can be printed for them)."""
    frame = records.posted_procedures
    return [
        {"code": code, "name": name, "place": place, "row": int(row)}
        for code, name, place, link, row in zip(
            frame["code"], frame["name"], frame["place"], frame["link"], frame["row"], strict=True
        )
        if not link
    ]


def qr_png(link: str) -> bytes:
    """The QR code of ``link`` as PNG bytes (a quiet zone of 4 modules, as the standard asks)."""
    import segno

    buffer = io.BytesIO()
    segno.make(link, error=QR_ERROR, micro=False).save(buffer, kind="png", scale=QR_SCALE, border=4)
    return buffer.getvalue()


def qr_sheet_context(records: Records, plan: Plan) -> dict[str, Any]:
    """The fields of the QR-code sheet template (docs/templates.md): ``agency``, ``count`` (cards),
    ``pairs`` (the table's rows, ``left`` and ``right`` cards; ``right`` is None after an odd
    card). Each card is a ``qr_cards`` item plus ``qr_png`` (bytes), which the document turns into
    the ``qr`` image."""
    cards = [{**card, "qr_png": qr_png(card["link"])} for card in qr_cards(records)]
    pairs = [
        {"left": cards[i], "right": cards[i + 1] if i + 1 < len(cards) else None}
        for i in range(0, len(cards), 2)
    ]
    return {"agency": plan.agency.model_dump(), "count": len(cards), "pairs": pairs}


def posted_problems(problems: list[Problem], records: Records) -> list[Problem]:
    """The problems found in the posted-procedures tab (as the sheet titles it)."""
    title = records.tab_titles.get(POSTED_PROCEDURES.key, POSTED_PROCEDURES.title)
    return [p for p in problems if p.tab == title]
