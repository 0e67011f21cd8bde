"""Raw cells -> validated records and problem records (DESIGN §3). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from tasks.calendar import parse_period_text
from tasks.contract import (
    CONCRETIZATIONS,
    DOSSIERS,
    INPUT_TABS,
    POSTED_PROCEDURES,
    PRODUCTS,
    TASK_CLEAR,
    TASKS,
    UNIT_REPORTS,
    UNITS,
    TabSpec,
    column_letter,
)
from tasks.dates import DateError, format_vn, parse_date
from tasks.errors import SheetStructureError
from tasks.models import Cell, Problem, RawBook, RawTab, Records
from tasks.plan import Plan
from tasks.stage import stage_task
from tasks.text import (
    clean_text,
    is_email_address,
    looks_legacy_encoded,
    match_key,
    shortened,
    strip_marks,
)

MAX_TEXT = 1000  # characters; longer cells are almost always a paste accident
_LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# At most 3 digits: a longer number is no content number (and int() of 4300+ digits raises).
_LEADING_NUMBER = re.compile(r"^(?:(?:noi dung|linh vuc)\s*)?(\d{1,3})\b")
MAX_QUOTA = 1000  # products a month; a larger figure is a typing slip
_GROUPED = re.compile(r"\d{1,3}(?:[. ]\d{3})+")  # thousands grouped by dots or spaces
MAX_COUNT = 1_000_000  # attendees or copies of one product; more is a typing slip
_ACTIVE, _INACTIVE = match_key("Hoạt động"), match_key("Ngừng hoạt động")


def _memo(parse: Callable[[Cell], Any]) -> Callable[[Cell], Any]:
    """``parse`` answering each distinct cell value once: unit codes, areas, channels, kinds and
    dates repeat thousands of times in a big sheet. Errors are not remembered (they are rare)."""
    answers: dict[tuple[type, Cell], Any] = {}

    def parse_once(value: Cell) -> Any:
        key = (type(value), value)  # 1, 1.0 and True are equal as dict keys, not as cells
        if key not in answers:
            answers[key] = parse(value)
        return answers[key]

    return parse_once


class CellError(ValueError):
    """A bad cell: its Vietnamese message becomes a problem record."""


@dataclass
class _Located:
    """A tab found in the book, with the column index of each contract column present."""

    spec: TabSpec
    tab: RawTab
    columns: dict[str, int]

    def rows(self) -> Iterator[tuple[int, dict[str, Cell]]]:
        """(sheet row number, {column key: raw cell}) for every non-blank data row."""
        for index in range(1, len(self.tab.rows)):
            raw = self.tab.rows[index]
            if not raw or all(clean_text(v) == "" for v in raw):
                continue  # blank rows are skipped, not problems
            yield (
                index + 1,
                {key: (raw[col] if col < len(raw) else None) for key, col in self.columns.items()},
            )


def check_structure(raw: RawBook) -> list[Problem]:
    """Structural problems (missing required tab, missing or duplicated required column) of
    every tab."""
    return [p for spec in INPUT_TABS for p in _locate(raw, spec)[1]]


def _locate(raw: RawBook, spec: TabSpec) -> tuple[_Located | None, list[Problem]]:
    """The tab of ``spec`` in the book with its structural problems; (None, []) for an absent
    optional tab."""
    matching = [t for t in raw.tabs if match_key(t) == match_key(spec.title)]
    if len(matching) > 1:
        names = ", ".join(f"'{t}'" for t in matching)
        message = f"Có {len(matching)} tab cùng là '{spec.title}' ({names}): hãy gộp lại thành một."
        return None, [Problem(spec.title, None, None, "", message, structural=True)]
    title = matching[0] if matching else None
    if title is None and not spec.required:
        return None, []
    if title is None:
        present = ", ".join(f"'{t}'" for t in raw.tabs) or "không có tab nào"
        message = f"Không tìm thấy tab '{spec.title}' (các tab hiện có: {present})."
        return None, [Problem(spec.title, None, None, "", message, structural=True)]
    tab = raw.tabs[title]
    header = tab.rows[0] if tab.rows else []
    by_key = {match_key(c.header): c for c in spec.columns}
    columns: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        column = by_key.get(match_key(clean_text(cell)))
        if column is None:
            continue  # extra columns are ignored (and kept in the snapshot)
        if column.key in columns:
            problems.append(
                Problem(
                    title,
                    1,
                    column.header,
                    clean_text(cell),
                    f"Cột '{column.header}' xuất hiện hai lần trong dòng tiêu đề (cột "
                    f"{column_letter(columns[column.key] + 1)} và cột "
                    f"{column_letter(index + 1)}); hãy xóa một cột.",
                    structural=True,
                )
            )
            continue
        columns[column.key] = index
    for column in spec.columns:
        if column.required and column.key not in columns:
            problems.append(
                Problem(
                    title,
                    1,
                    column.header,
                    "",
                    f"Thiếu cột bắt buộc '{column.header}' ở dòng tiêu đề (dòng 1).",
                    structural=True,
                )
            )
    return _Located(spec, tab, columns), problems


class _Lookup:
    """Name -> value lookups built from the plan and the roster, matched with match_key."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.areas = {match_key(n): a.number for a in plan.areas for n in [a.name, *a.aliases]}
        self.area_numbers = {a.number for a in plan.areas}
        self.channels = {match_key(n): c.key for c in plan.channels for n in [c.name, *c.aliases]}
        self.channels.update({match_key(c.key): c.key for c in plan.channels})
        self.kinds = {match_key(n): k.key for k in plan.kinds for n in [k.name, *k.aliases]}
        self.online = {c.key for c in plan.channels if c.online}
        self.units: dict[str, str] = {}

    def unit(self, value: Cell) -> str:
        text = _required(value)
        code = self.units.get(match_key(text))
        if code is None:
            raise CellError(
                f"Không có đơn vị '{shortened(text)}' trong tab '{UNITS.title}': "
                "ghi mã đơn vị (ví dụ VP) hoặc tên đầy đủ như trong danh sách."
            )
        return code

    def area(self, value: Cell) -> int:
        text = _required(value)
        number = _LEADING_NUMBER.match(strip_marks(match_key(text)))
        if number:
            if int(number.group(1)) in self.area_numbers:
                return int(number.group(1))
        elif (found := self.areas.get(match_key(text))) is not None:
            return found
        first, last = min(self.area_numbers), max(self.area_numbers)
        raise CellError(
            f"Nội dung '{shortened(text)}' không thuộc {len(self.area_numbers):02d} nội dung của "
            f"Kế hoạch: ghi số từ {first} đến {last} hoặc tên nội dung."
        )

    def channel(self, value: Cell) -> str:
        text = _required(value)
        if (found := self.channels.get(match_key(text))) is None:
            names = ", ".join(c.name for c in self.plan.channels)
            raise CellError(
                f"Hình thức '{shortened(text)}' không có trong Kế hoạch; chọn một trong: {names}."
            )
        return found

    def kind(self, value: Cell) -> str:
        text = _required(value)
        if (found := self.kinds.get(match_key(text))) is None:
            names = ", ".join(k.name for k in self.plan.kinds)
            raise CellError(
                f"Loại sản phẩm '{shortened(text)}' không hợp lệ; chọn một trong: {names}."
            )
        return found


def _required(value: Cell) -> str:
    text = clean_text(value)
    if not text:
        raise CellError("Ô bắt buộc đang để trống.")
    return text


def _text(value: Cell) -> str:
    return _checked_text(clean_text(value))


def _required_text(value: Cell) -> str:
    return _checked_text(_required(value))


def _checked_text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise CellError(f"Nội dung quá dài ({len(text)} ký tự, tối đa {MAX_TEXT}).")
    if looks_legacy_encoded(text):
        raise CellError(
            "Chữ có vẻ được gõ bằng bảng mã cũ (TCVN3/VNI), không phải Unicode; "
            "hãy gõ lại bằng bảng mã Unicode."
        )
    return text


def _link(value: Cell) -> str:
    text = clean_text(value)
    if text and not _LINK.match(text):
        raise CellError("Đường dẫn phải là địa chỉ web bắt đầu bằng http:// hoặc https://.")
    return text


class _Parser:
    """Parses the rows of one tab, turning each bad cell into a problem record."""

    def __init__(self, located: _Located, read_on: date, problems: list[Problem]) -> None:
        self.located = located
        self.read_on = read_on
        self.problems = problems
        self._headers = {c.key: c.header for c in located.spec.columns}

    def problem(self, row: int, key: str, value: Cell, message: str) -> None:
        shown = "" if value is None else clean_text(value)[:200]
        self.problems.append(
            Problem(self.located.tab.title, row, self._headers[key], shown, message)
        )

    def parse(
        self, fields: dict[str, Callable[[Cell], Any]]
    ) -> Iterator[tuple[int, dict[str, Any], dict[str, Cell]]]:
        """Rows whose every field parsed; rows with any bad cell are reported and left out."""
        for row, cells in self.located.rows():
            record: dict[str, Any] = {"row": row}
            ok = True
            for key, parse in fields.items():
                value = cells.get(key)
                try:
                    record[key] = parse(value)
                except (CellError, DateError) as err:
                    self.problem(row, key, value, str(err))
                    ok = False
            if ok:
                yield row, record, cells

    def date(self, required: bool, future_ok: bool = False) -> Callable[[Cell], date | None]:
        """A date cell's parser; a date after the read day is a problem unless ``future_ok``
        (an appointment such as Ngày hẹn trả may lie ahead)."""

        def parse(value: Cell) -> date | None:
            if clean_text(value) == "":
                if required:
                    raise CellError("Ô ngày bắt buộc đang để trống.")
                return None
            day = parse_date(value)
            if day > self.read_on and not future_ok:
                # No read date in the text: the message (and so the never-twice hash and the
                # reproduced result) must be the same whichever day the sheet is read.
                raise CellError(
                    f"Ngày {format_vn(day)} ở sau ngày đọc dữ liệu: "
                    "chưa thể xảy ra, kiểm tra lại năm, tháng."
                )
            return day

        return parse


def normalize(
    raw: RawBook, plan: Plan, read_on: date | None = None
) -> tuple[Records, list[Problem]]:
    """Validate every tab of ``raw`` against the contract and the plan.

    Returns the good rows as Records and one Problem per bad cell (its row left out); an absent
    optional tab gives an empty frame.
    A date after the day the data was read (``read_on``, default: from ``raw.read_at``) cannot
    have happened yet: it is a problem (a typo in the year or month).
    Raises SheetStructureError if a required tab or a required column is missing.
    """
    located: dict[str, _Located] = {}
    structural: list[Problem] = []
    for spec in INPUT_TABS:
        found, tab_problems = _locate(raw, spec)
        structural += tab_problems
        if found is not None:
            located[spec.key] = found
    if structural:
        raise SheetStructureError(structural)

    problems: list[Problem] = []
    lookup = _Lookup(plan)
    read_on = read_on or date.fromisoformat(raw.read_at[:10])
    frames: dict[str, Any] = {}
    for spec in INPUT_TABS:  # in contract order: the roster first, the other tabs name units
        # An absent optional tab is parsed as one without rows: its frame has the same columns.
        found = located.get(spec.key) or _Located(spec, RawTab(spec.title, []), {})
        frames[spec.key] = PARSERS[spec.key](_Parser(found, read_on, problems), lookup)
    tab_titles = {key: loc.tab.title for key, loc in located.items()}
    return Records(**frames, tab_titles=tab_titles), problems


def _frame(parser: _Parser, fields: dict[str, Callable[[Cell], Any]]) -> pd.DataFrame:
    """The rows that parse, with the tab's date columns parsed as the contract declares them."""
    for column in parser.located.spec.columns:
        if column.is_date:
            fields[column.key] = _memo(parser.date(column.required))
    rows = [record for _, record, _ in parser.parse(fields)]
    return pd.DataFrame(rows, columns=["row", *fields])


def _period(value: Cell) -> str:
    text = _required(value)
    period = parse_period_text(text)
    if period is None:
        raise CellError(
            f"Kỳ báo cáo '{shortened(text)}' không đọc được: ghi 2026-05, Tháng 5/2026, T5/2026, "
            "6 tháng 2026 hoặc Năm 2026."
        )
    return period.key


def _units(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    # An optional cell that is wrong (quota, status, e-mail) is reported but the unit is kept,
    # with the default in its place: dropping a unit would turn all its products into problems.
    rows: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    fields: dict[str, Callable[[Cell], Any]] = {
        "code": _required_text,
        "name": _required_text,
        "contact": _text,
    }
    for row, record, cells in parser.parse(fields):
        code_key = match_key(record["code"])
        if code_key in seen:
            parser.problem(
                row, "code", record["code"], f"Mã đơn vị trùng với dòng {seen[code_key]}."
            )
            continue
        seen[code_key] = row
        record["quota"] = _quota(parser, row, cells.get("quota"))
        record["active"] = _active(parser, row, cells.get("status"))
        record["emails"] = _emails(parser, row, cells.get("emails"))
        rows.append(record)
    for record in rows:  # products may name a unit by code or by full name
        lookup.units.setdefault(match_key(record["code"]), record["code"])
        lookup.units.setdefault(match_key(record["name"]), record["code"])
    return pd.DataFrame(
        rows, columns=["row", "code", "name", "emails", "contact", "quota", "active"]
    )


def _quota(parser: _Parser, row: int, value: Cell) -> int | None:
    return _whole_number(
        parser, row, "quota", value, MAX_QUOTA, "Chỉ tiêu", "tạm coi như chưa giao chỉ tiêu"
    )


def _whole_number(
    parser: _Parser, row: int, key: str, value: Cell, most: int, what: str, meanwhile: str
) -> int | None:
    """An optional whole number from 0 to ``most``; a bad one is reported and read as blank
    (``meanwhile`` says what that means), the row itself still counts."""
    text = clean_text(value)
    if not text:
        return None
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None and _GROUPED.fullmatch(text):  # "1.500" is fifteen hundred in Vietnamese
        number = int(re.sub(r"\D", "", text))
    elif number is None and re.fullmatch(r"[+-]?\d{1,7}(?:[.,]0+)?", text):  # "4", "4,0"
        number = int(re.split(r"[.,]", text)[0])
    if number is None or not 0 <= number <= most or number != int(number):
        parser.problem(row, key, value, f"{what} phải là số nguyên từ 0 đến {most}; {meanwhile}.")
        return None
    return int(number)


def _active(parser: _Parser, row: int, value: Cell) -> bool:
    key = match_key(clean_text(value))
    if key in ("", _ACTIVE):
        return True
    if key == _INACTIVE:
        return False
    parser.problem(
        row,
        "status",
        value,
        "Trạng thái phải là 'Hoạt động' hoặc 'Ngừng hoạt động'; tạm coi là 'Hoạt động'.",
    )
    return True


def _emails(parser: _Parser, row: int, value: Cell) -> list[str]:
    good = []
    for address in re.split(r"[;,\s]+", clean_text(value)):
        if not address:
            continue
        if is_email_address(address):
            good.append(address)
        else:
            parser.problem(row, "emails", value, f"Địa chỉ email '{address}' không hợp lệ; bỏ qua.")
    return good


def _concretizations(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    fields = {"unit": _memo(lookup.unit), "doc_number": _text, "link": _link, "note": _text}
    return _frame(parser, fields)


def _unit_reports(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    fields = {
        "unit": _memo(lookup.unit),
        "period": _memo(_period),
        "doc_number": _text,
        "link": _link,
        "difficulties": _text,
        "proposals": _text,
    }
    return _frame(parser, fields)


def _products(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    fields: dict[str, Callable[[Cell], Any]] = {
        "date": _memo(parser.date(required=True)),
        "unit": _memo(lookup.unit),
        "area": _memo(lookup.area),
        "channel": _memo(lookup.channel),
        "kind": _memo(lookup.kind),
        "title": _required_text,
        "link": _link,
        "author": _text,
        "note": _text,
        "outlet": _text,
    }
    rows: list[dict[str, Any]] = []
    # Duplicates share date, unit, channel, kind, link and title. The title (match_key, slow on
    # long text) is keyed only once a second row shares the rest: ``lone`` holds bases seen once,
    # ``keyed`` the bases seen more often, ``first_row`` the first row of each (base, title) of
    # those. Linear however many rows share a base (a list per base made 20k such rows 30 s).
    lone: dict[tuple[Any, ...], tuple[int, str]] = {}
    keyed: set[tuple[Any, ...]] = set()
    first_row: dict[tuple[Any, ...], int] = {}
    for row, record, cells in parser.parse(fields):
        # Optional counts: a bad one is reported, the product still counts.
        record["attendees"] = _whole_number(
            parser, row, "attendees", cells.get("attendees"), MAX_COUNT, "Số người tham dự",
            "tạm coi như để trống",
        )  # fmt: skip
        record["copies"] = _whole_number(
            parser, row, "copies", cells.get("copies"), MAX_COUNT, "Số lượng",
            "tạm coi như để trống",
        )  # fmt: skip
        if record["channel"] in lookup.online and not record["link"]:
            name = lookup.plan.channel_name(record["channel"])
            parser.problem(
                row, "link", cells.get("link"), f"Hình thức '{name}' bắt buộc có Đường dẫn."
            )
            continue
        base = (record["date"], record["unit"], record["channel"], record["kind"], record["link"])
        if base not in lone and base not in keyed:
            lone[base] = (row, record["title"])
            rows.append(record)
            continue
        if base in lone:  # the second row with this base: key the first one now
            earlier, earlier_title = lone.pop(base)
            keyed.add(base)
            first_row[(base, match_key(earlier_title))] = earlier
        key = (base, match_key(record["title"]))
        first = first_row.get(key)
        if first is not None:
            parser.problem(
                row,
                "title",
                cells.get("title"),
                f"Dòng trùng lặp với dòng {first} (cùng ngày, đơn vị, hình thức, "
                "loại và tiêu đề); chỉ tính một lần.",
            )
            continue
        first_row[key] = row
        rows.append(record)
    return pd.DataFrame(rows, columns=["row", *fields, "attendees", "copies"])


def _dossiers(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    fields: dict[str, Callable[[Cell], Any]] = {
        "code": _required_text,
        "procedure": _text,
        "unit": _memo(lookup.unit),
        "due": _memo(parser.date(required=True, future_ok=True)),
        "returned": _memo(parser.date(required=False)),
        "apology_date": _memo(parser.date(required=False)),
        "apology_number": _text,
        "new_due": _memo(parser.date(required=False, future_ok=True)),
        "applicant": _text,
        "reason": _text,
    }
    rows: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    for row, record, cells in parser.parse(fields):
        if record["new_due"] is not None and record["new_due"] <= record["due"]:
            parser.problem(
                row,
                "new_due",
                cells.get("new_due"),
                f"Ngày hẹn lại phải sau Ngày hẹn trả ({format_vn(record['due'])}).",
            )
            continue
        code_key = match_key(record["code"])
        if code_key in seen:
            parser.problem(
                row,
                "code",
                cells.get("code"),
                f"Mã hồ sơ trùng với dòng {seen[code_key]}; chỉ tính dòng đầu tiên.",
            )
            continue
        seen[code_key] = row
        rows.append(record)
    return pd.DataFrame(rows, columns=["row", *fields])


MAX_QR_LINK = 300  # characters: a longer link makes a QR code too dense to scan from a poster


def _procedure_code(value: Cell) -> str:
    # The national database's codes look like 1.009970: typed without a leading ' a sheet keeps
    # them as numbers and drops the trailing zeros, so a number gets its six decimals back.
    if isinstance(value, float) and not value.is_integer() and 0 < value < 10:
        return f"{value:.6f}"
    return _required_text(value)


def _qr_link(value: Cell) -> str:
    link = _link(value)
    if len(link) > MAX_QR_LINK:
        raise CellError(
            f"Đường dẫn quá dài để in mã QR ({len(link)} ký tự, tối đa {MAX_QR_LINK}); "
            "dùng địa chỉ ngắn hơn của trang thủ tục."
        )
    return link


def _posted_procedures(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    fields: dict[str, Callable[[Cell], Any]] = {
        "code": _procedure_code,
        "name": _required_text,
        "link": _qr_link,
        "place": _text,
        "date": _memo(parser.date(required=False)),
    }
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for row, record, cells in parser.parse(fields):
        # One procedure may be posted at several places; the same place twice is a slip.
        key = (match_key(record["code"]), match_key(record["place"]))
        if key in seen:
            parser.problem(
                row,
                "code",
                cells.get("code"),
                f"Thủ tục đã có ở dòng {seen[key]} (cùng mã, cùng nơi niêm yết); "
                "chỉ tính dòng đầu tiên.",
            )
            continue
        seen[key] = row
        rows.append(record)
    return pd.DataFrame(rows, columns=["row", *fields])


def _tasks(parser: _Parser, lookup: _Lookup) -> pd.DataFrame:
    fields: dict[str, Callable[[Cell], Any]] = {
        "unit": _memo(lookup.unit),
        "task": _text,
        "assignee": _text,
        "due": _memo(parser.date(required=False, future_ok=True)),  # a deadline may lie ahead
        "responsible": _text,
        "product": _text,
        "authority": _text,
        "done": _memo(parser.date(required=False)),
        "link": _link,
    }
    rows: list[dict[str, Any]] = []
    for row, record, cells in parser.parse(fields):
        # A task that is not "rõ" is a problem of its own, one per missing "rõ", yet it is kept:
        # it still counts (once due) in the completion rate, so nothing the units did is lost.
        record["unclear"] = []
        for key, clear in TASK_CLEAR:
            if record[key] in ("", None):
                record["unclear"].append(clear)
                header = parser._headers[key]
                parser.problem(row, key, cells.get(key), f"Nhiệm vụ chưa {clear}: thiếu {header}.")
        rows.append(record)
    return pd.DataFrame(rows, columns=["row", *fields, "unclear"])


# Each input tab's parser, by TabSpec key: the good rows of the tab as one DataFrame.
PARSERS: dict[str, Callable[[_Parser, _Lookup], pd.DataFrame]] = {
    UNITS.key: _units,
    PRODUCTS.key: _products,
    CONCRETIZATIONS.key: _concretizations,
    UNIT_REPORTS.key: _unit_reports,
    DOSSIERS.key: _dossiers,
    POSTED_PROCEDURES.key: _posted_procedures,
    TASKS.key: _tasks,
}

normalize_task = stage_task("Chuẩn hóa dữ liệu")(normalize)
