"""Reading and writing a Google Sheet's data, through tasks.sheets_api.

- ``read_google_book``: every input tab in one metadata GET and one ``values:batchGet``.
- ``write_summary``: the `Tổng hợp` tab, in at most three write requests, values written RAW.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tasks.contract import SUMMARY_TAB, SUMMARY_TITLE, column_letter, find_tab, is_input_tab
from tasks.errors import SourceError
from tasks.models import Cell, RawBook, RawTab
from tasks.settings import TIMEZONE, Settings
from tasks.sheets_api import RetryPolicy, grid_sheets, quote_title, sheets_client
from tasks.text import match_key

# ---------------------------------------------------------------------------------------------
# Reading.


def read_google_book(settings: Settings, key: str, *, policy: RetryPolicy | None = None) -> RawBook:
    """Every input tab of the contract, as Google's UNFORMATTED values (dates as serial
    numbers); other tabs by their header row only, and never `Tổng hợp`.

    Two requests: one metadata GET and one ``values:batchGet``. Rows keep Google's ragged shape
    with ``rows[0]`` = sheet row 1 and blank rows as ``[]``.
    """
    http = sheets_client(settings, policy)
    metadata = http.fetch_sheet_metadata(key)
    titles = [
        title for title, _ in grid_sheets(metadata) if match_key(title) != match_key(SUMMARY_TITLE)
    ]
    # A tab outside the contract is read by its header row only (it may be any size).
    ranges = [quote_title(t) if is_input_tab(t) else f"{quote_title(t)}!A1:AZ1" for t in titles]
    tabs: dict[str, RawTab] = {}
    if titles:
        response = http.values_batch_get(
            key,
            ranges,
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
                "majorDimension": "ROWS",
            },
        )
        value_ranges = response.get("valueRanges", []) if isinstance(response, dict) else []
        if len(value_ranges) != len(titles):
            raise SourceError(
                f"Google Sheets trả về {len(value_ranges)} vùng dữ liệu cho {len(titles)} tab; "
                "thử lại sau ít phút."
            )
        for title, value_range in zip(titles, value_ranges, strict=True):
            tabs[title] = RawTab(title, _tab_rows(value_range))
    read_at = datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")
    return RawBook(
        source=f"Google Sheet {key}", read_at=read_at, tabs=tabs, sheet_meta=dict(metadata)
    )


def _tab_rows(value_range: Mapping[str, Any]) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[_cell(v) for v in row] for row in value_range.get("values", [])]
    # Google starts the block at the range's first row; pad so rows[i] is sheet row i + 1.
    cells = str(value_range.get("range", "")).rpartition("!")[2]
    first = re.match(r"[A-Za-z]*(\d+)", cells)
    padding = int(first.group(1)) - 1 if first else 0
    return [[] for _ in range(padding)] + rows


def _cell(value: Any) -> Cell:
    if isinstance(value, float):
        # 3.0 -> 3 is exact below 2**53; serial dates and counts come back as ints that way.
        if value.is_integer() and abs(value) <= 2**53:
            return int(value)
        return value
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Writing `Tổng hợp`.


# Google refuses a request over 10 MB and a cell over 50 000 characters (Sheets API v4): the
# write-back stays well under both, in as many requests as it takes.
MAX_WRITE_BYTES = 4 * 1024 * 1024
MAX_CELL_CHARS = 49_000
CUT_MARK = " … [đã cắt bớt: ô quá dài]"


def write_summary(
    settings: Settings,
    key: str,
    rows: list[list[Cell]],
    *,
    metadata: dict[str, Any] | None = None,
    policy: RetryPolicy | None = None,
) -> None:
    """Replace the `Tổng hợp` tab's values with ``rows`` (creating the tab if absent).

    Writes first, then clears what the old values left below and to the right: a refused
    write leaves the previous summary in place, never an empty tab. Values are written RAW (so
    ``=IMPORTXML(...)`` stays text), over-long cells cut with a mark, in requests under Google's
    size limit (one for an ordinary summary). No other tab is touched. ``metadata``: the
    spreadsheet metadata of this run's read (RawBook.sheet_meta), to save a request.
    """
    http = sheets_client(settings, policy)
    sheets = dict(grid_sheets(metadata or http.fetch_sheet_metadata(key)))
    title = find_tab(list(sheets), SUMMARY_TAB)
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    old_rows = old_cols = 0

    requests_: list[dict[str, Any]] = []
    if title is None:
        title = SUMMARY_TITLE
        requests_.append(
            {
                "addSheet": {
                    "properties": {
                        "title": title,
                        "gridProperties": {
                            "rowCount": max(height, 100),
                            "columnCount": max(width, 26),
                            "frozenRowCount": 2,  # the title line and the column headers
                        },
                    }
                }
            }
        )
    else:
        props = sheets[title]["properties"]
        grid = props.get("gridProperties", {})
        old_rows, old_cols = grid.get("rowCount", 0), grid.get("columnCount", 0)
        if height > old_rows or width > old_cols:
            # values.update does not grow the grid ("exceeds grid limits"); grow it first.
            requests_.append(
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": props.get("sheetId", 0),
                            "gridProperties": {
                                "rowCount": max(height, old_rows),
                                "columnCount": max(width, old_cols),
                            },
                        },
                        "fields": "gridProperties.rowCount,gridProperties.columnCount",
                    }
                }
            )
    if requests_:
        http.batch_update(key, {"requests": requests_})
    tab = quote_title(title)
    for start, chunk in _chunks([[_to_json(v) for v in r] for r in rows]):
        http.values_update(
            key,
            f"{tab}!A{start}",
            params={"valueInputOption": "RAW"},
            body={"majorDimension": "ROWS", "values": chunk},
        )
    leftovers = []
    last = column_letter(max(old_cols, 1))
    if old_rows > height:
        leftovers.append(f"{tab}!A{height + 1}:{last}{old_rows}")
    if old_cols > width and height:
        leftovers.append(f"{tab}!{column_letter(width + 1)}1:{last}{height}")
    if leftovers:
        http.values_batch_clear(key, body={"ranges": leftovers})


def _chunks(values: list[list[Any]]) -> Iterator[tuple[int, list[list[Any]]]]:
    """(first sheet row, rows) groups whose JSON stays under MAX_WRITE_BYTES."""
    start, size = 1, 0
    chunk: list[list[Any]] = []
    for row in values:
        row_size = len(json.dumps(row, ensure_ascii=False).encode()) + 1
        if chunk and size + row_size > MAX_WRITE_BYTES:
            yield start, chunk
            start, chunk, size = start + len(chunk), [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield start, chunk


def _to_json(value: Cell) -> str | int | float | bool:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""  # JSON has no NaN; a blank cell is the honest rendering
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return value[: MAX_CELL_CHARS - len(CUT_MARK)] + CUT_MARK
    return value
