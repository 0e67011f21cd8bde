"""Preparing a Google Sheet for the input contract (`cchc init-sheet`): tabs, header rows,
dropdowns, date checks and header protection, idempotent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tasks.contract import INPUT_TABS, SUMMARY_TAB, SUMMARY_TITLE, UNITS, Column, TabSpec, find_tab
from tasks.settings import Settings
from tasks.sheets_api import (
    RetryPolicy,
    SheetsHTTPClient,
    grid_sheets,
    quote_title,
    sheets_client,
)
from tasks.text import clean_text, match_key

_HEADER_NOTE = "Dòng tiêu đề do hệ thống CCHC dùng để đọc dữ liệu — không sửa, không xóa."
_SUMMARY_NOTE = "Tab do hệ thống CCHC ghi tự động sau mỗi lần chạy — không nhập tay."


def init_sheet(
    settings: Settings,
    key: str,
    unit_codes: list[str] | None = None,
    *,
    areas: Sequence[str] = (),
    channels: Sequence[str] = (),
    kinds: Sequence[str] = (),
    policy: RetryPolicy | None = None,
) -> list[str]:
    """Prepare the spreadsheet for the input contract (DESIGN §3); safe to run again.

    Creates missing tabs with their header row; freezes and bolds header rows; adds dropdowns
    (`Đơn vị` from ``unit_codes`` or the roster, `Nội dung` from ``areas``, `Hình thức` from
    ``channels``, `Loại sản phẩm` from ``kinds``) and date checks; protects header rows and the
    `Tổng hợp` tab with a warning only. Never writes below row 1 and never rewrites an existing
    header. Returns Vietnamese lines for what changed plus what needs a person (an existing header
    missing columns); ``[]`` when the sheet was already prepared.
    """
    http = sheets_client(settings, policy)
    sheets = dict(grid_sheets(http.fetch_sheet_metadata(key)))
    titles = list(sheets)
    existing = {spec.key: t for spec in INPUT_TABS if (t := find_tab(titles, spec)) is not None}
    headers = _existing_headers(http, key, list(existing.values()))

    if unit_codes is None:
        unit_codes = _roster_codes(http, key, existing.get("units"))
    lists: dict[str, list[str]] = {
        "unit": _unique(unit_codes),
        "area": _unique(areas),
        "channel": _unique(channels),
        "kind": _unique(kinds),
    }

    next_id = max((s["properties"].get("sheetId", 0) for s in sheets.values()), default=0) + 1
    batch: list[dict[str, Any]] = []
    header_writes: list[dict[str, Any]] = []
    notes: list[str] = []

    for spec in INPUT_TABS:
        title = existing.get(spec.key)
        if title is None:
            title, sheet_id, next_id = spec.title, next_id, next_id + 1
            batch.append(_add_sheet(sheet_id, title, len(spec.headers)))
            header_writes.append(
                {"range": f"{quote_title(title)}!A1", "values": [list(spec.headers)]}
            )
            notes.append(f"Tạo tab '{title}' với dòng tiêu đề ({len(spec.headers)} cột).")
            state = _TabState(sheet_id, frozen=0, header=list(spec.headers), fresh=True)
        else:
            state = _tab_state(sheets[title], headers.get(title))
            if not any(h for h in state.header):
                # Row 1 is blank: writing the header there cannot overwrite anything typed.
                header_writes.append(
                    {"range": f"{quote_title(title)}!A1", "values": [list(spec.headers)]}
                )
                notes.append(f"Ghi dòng tiêu đề cho tab '{title}' (dòng 1 đang trống).")
                state.header = list(spec.headers)
                state.bold = False
            else:
                present = {match_key(h) for h in state.header if h}
                missing = [c for c in spec.columns if match_key(c.header) not in present]
                if missing:
                    notes.append(_missing_columns_note(title, missing))
        batch_for_tab, tab_notes = _prepare_tab(spec, title, state, lists, sheets.get(title))
        batch += batch_for_tab
        notes += tab_notes

    summary_title = find_tab(titles, SUMMARY_TAB)
    if summary_title is None:
        summary_title, summary_id = SUMMARY_TITLE, next_id
        batch.append(_add_sheet(summary_id, summary_title, 26))
        notes.append(f"Tạo tab '{summary_title}' (hệ thống ghi kết quả tổng hợp vào đây).")
        summary_protected = False
    else:
        summary_id = sheets[summary_title]["properties"].get("sheetId", 0)
        summary_protected = _protected(sheets[summary_title], whole_sheet=True)
    if not summary_protected:
        batch.append(_protect({"sheetId": summary_id}, _SUMMARY_NOTE))
        notes.append(f"Bảo vệ tab '{summary_title}' (chỉ cảnh báo khi sửa tay).")

    if batch:
        http.batch_update(key, {"requests": batch})
    if header_writes:
        http.values_batch_update(key, {"valueInputOption": "RAW", "data": header_writes})
    return notes


def _missing_columns_note(title: str, missing: list[Column]) -> str:
    """What a person must add by hand: the header of a tab in use is never rewritten."""
    parts = []
    for required, label in ((True, "cột bắt buộc"), (False, "cột không bắt buộc")):
        names = [f"'{c.header}'" for c in missing if c.required == required]
        if names:
            parts.append(f"{label} {', '.join(names)}")
    return (
        f"Không sửa tab '{title}': dòng tiêu đề thiếu {' và '.join(parts)}. "
        "Hãy thêm vào dòng 1 bằng tay (thứ tự cột tùy ý)."
    )


@dataclass
class _TabState:
    sheet_id: int
    frozen: int
    header: list[str]
    bold: bool = False  # every non-blank header cell is bold already
    validations: dict[int, Any] | None = None  # column index -> row-2 rule; None for a new tab
    fresh: bool = False


def _existing_headers(
    http: SheetsHTTPClient, key: str, titles: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Rows 1-2 of each tab as grid data (values, bold, validation); one GET."""
    if not titles:
        return {}
    ranges = [f"{quote_title(t)}!1:2" for t in titles]
    metadata = http.fetch_sheet_metadata(key, params={"includeGridData": "true", "ranges": ranges})
    rows: dict[str, list[dict[str, Any]]] = {}
    for title, sheet in grid_sheets(metadata):
        for block in sheet.get("data", []):
            if block.get("startRow", 0) == 0 and block.get("startColumn", 0) == 0:
                rows[title] = block.get("rowData", [])
    return rows


def _tab_state(sheet: dict[str, Any], row_data: list[dict[str, Any]] | None) -> _TabState:
    props = sheet["properties"]
    grid = props.get("gridProperties", {})
    row_data = row_data or []
    first = row_data[0].get("values", []) if row_data else []
    second = row_data[1].get("values", []) if len(row_data) > 1 else []
    header = [clean_text(c.get("formattedValue", "")) for c in first]
    while header and not header[-1]:
        header.pop()
    bold = all(
        c.get("userEnteredFormat", {}).get("textFormat", {}).get("bold")
        for c, text in zip(first, header, strict=False)
        if text
    )
    validations = {i: c.get("dataValidation") for i, c in enumerate(second)}
    return _TabState(
        props.get("sheetId", 0),
        grid.get("frozenRowCount", 0),
        header,
        bold=bold,
        validations=validations,
    )


def _prepare_tab(
    spec: TabSpec,
    title: str,
    state: _TabState,
    lists: dict[str, list[str]],
    sheet: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Freeze, bold, validation and protection requests for one tab, with their notes."""
    requests_: list[dict[str, Any]] = []
    notes: list[str] = []
    sid = state.sheet_id
    if not state.fresh and state.frozen < 1:
        requests_.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": 1}},
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
        notes.append(f"Cố định dòng tiêu đề tab '{title}'.")
    if not state.bold:
        requests_.append(
            {
                "repeatCell": {
                    "range": _rows(sid, 0, 1, 0, len(state.header)),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
        if not state.fresh:
            notes.append(f"In đậm dòng tiêu đề tab '{title}'.")

    positions = {match_key(h): i for i, h in enumerate(state.header) if h}
    for column in spec.columns:
        index = positions.get(match_key(column.header))
        if index is None:
            continue
        rule = _wanted_rule(column.key, column.is_date, lists)
        if rule is None:
            continue
        current = (state.validations or {}).get(index)
        if current is not None and _rule_key(current) == _rule_key(rule):
            continue
        requests_.append(
            {"setDataValidation": {"range": _rows(sid, 1, None, index, index + 1), "rule": rule}}
        )
        verb = "Cập nhật" if current else "Thêm"
        what = "kiểm tra ngày hợp lệ" if column.is_date else "danh sách chọn"
        notes.append(f"{verb} {what} cho cột '{column.header}' (tab '{title}').")

    if sheet is None or not _protected(sheet, whole_sheet=False):
        requests_.append(_protect(_rows(sid, 0, 1, None, None), _HEADER_NOTE))
        notes.append(f"Bảo vệ dòng tiêu đề tab '{title}' (chỉ cảnh báo khi sửa).")
    return requests_, notes


def _wanted_rule(column_key: str, is_date: bool, lists: dict[str, list[str]]) -> Any:
    if is_date:
        return {
            "condition": {"type": "DATE_IS_VALID"},
            "inputMessage": "Nhập ngày dạng dd/mm/yyyy, ví dụ 05/06/2026.",
            "strict": False,
        }
    # A value starting with = + @ would be taken as a formula by Sheets: leave it out of the
    # dropdown (strict=False below: it can still be typed, and normalize judges it).
    values = [v for v in lists.get(column_key, []) if not v.startswith(("=", "+", "@"))]
    if not values:
        return None
    # strict=False: typed aliases (Website, Facebook) and full unit names stay allowed; the
    # sheet only shows a warning and normalize decides.
    return {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
        "strict": False,
        "showCustomUi": True,
    }


def _rule_key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    condition = rule.get("condition", {})
    values = tuple(v.get("userEnteredValue") for v in condition.get("values", []))
    return condition.get("type"), values, bool(rule.get("strict")), bool(rule.get("showCustomUi"))


def _protected(sheet: Mapping[str, Any], *, whole_sheet: bool) -> bool:
    """Whether a protected range already covers the header row (or the whole tab)."""
    sid = sheet["properties"].get("sheetId", 0)
    for protected in sheet.get("protectedRanges", []):
        grid = protected.get("range", {})
        if grid.get("sheetId", 0) != sid or grid.get("startRowIndex", 0) != 0:
            continue
        if "startColumnIndex" in grid or "endColumnIndex" in grid:
            continue
        if whole_sheet and "endRowIndex" in grid:
            continue
        return True
    return False


def _add_sheet(sheet_id: int, title: str, columns: int) -> dict[str, Any]:
    # Choosing the sheetId ourselves lets later requests in the same batch refer to it.
    return {
        "addSheet": {
            "properties": {
                "sheetId": sheet_id,
                "title": title,
                "gridProperties": {
                    "rowCount": 1000,
                    "columnCount": max(columns, 26),
                    "frozenRowCount": 1,
                },
            }
        }
    }


def _protect(grid_range: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": grid_range,
                "description": description,
                "warningOnly": True,
            }
        }
    }


def _rows(
    sheet_id: int, start: int, end: int | None, first_col: int | None, end_col: int | None
) -> dict[str, Any]:
    """A GridRange; omitted bounds are unbounded (the whole column / row to the sheet's edge)."""
    grid: dict[str, Any] = {"sheetId": sheet_id, "startRowIndex": start}
    if end is not None:
        grid["endRowIndex"] = end
    if first_col is not None:
        grid["startColumnIndex"] = first_col
    if end_col is not None:
        grid["endColumnIndex"] = end_col
    return grid


def _roster_codes(http: SheetsHTTPClient, key: str, title: str | None) -> list[str]:
    """The `Mã đơn vị` column of the roster tab, in sheet order."""
    if title is None:
        return []
    response = http.values_batch_get(
        key, [quote_title(title)], params={"valueRenderOption": "FORMATTED_VALUE"}
    )
    ranges = response.get("valueRanges", []) if isinstance(response, dict) else []
    rows = ranges[0].get("values", []) if ranges else []
    if not rows:
        return []
    header = [match_key(clean_text(h)) for h in rows[0]]
    wanted = match_key(UNITS.columns[0].header)  # Mã đơn vị
    if wanted not in header:
        return []
    index = header.index(wanted)
    return [clean_text(r[index]) for r in rows[1:] if len(r) > index and clean_text(r[index])]


def _unique(values: Iterable[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or ():
        text = clean_text(value)
        if text and match_key(text) not in seen:
            seen[match_key(text)] = text
    return list(seen.values())
