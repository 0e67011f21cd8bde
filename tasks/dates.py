"""Reading the date forms people and spreadsheets produce; never month-first (mm/dd)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

from tasks.text import clean_text, shortened, strip_marks

EXCEL_EPOCH = date(1899, 12, 30)  # serial 0 in Google Sheets and Excel (1900 date system)
_EARLIEST, _LATEST = date(2000, 1, 1), date(2100, 12, 31)
_TIME = (
    r"(?:[ t,]+\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[ap]\.?m\.?|sa|ch)?(?:z|[+-]\d{2}:?\d{2})?)?"
)
_DMY = re.compile(r"^(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{2,4})" + _TIME + "$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")
_WORDS = re.compile(r"^(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})$")


class DateError(ValueError):
    """A cell that is not a valid date; the message is Vietnamese and names the value."""


def serial_to_date(serial: float) -> date:
    """A spreadsheet serial number (days since 1899-12-30, fraction = time of day) -> date."""
    return EXCEL_EPOCH + timedelta(days=int(serial))


def date_to_serial(day: date) -> int:
    return (day - EXCEL_EPOCH).days


def format_vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@lru_cache(maxsize=65536)
def _parse_cached(kind: str, value: str | float) -> date:
    if kind == "num":
        return _from_serial(float(value))
    return _from_text(str(value))


def parse_date(value: object) -> date:
    """A cell -> date. Accepts serial numbers (date cells read unformatted), ``d/m/yyyy``,
    ``dd/mm/yyyy`` (also with ``-`` or ``.``), ISO ``yyyy-mm-dd``, any of them with a time part,
    and ``ngày 5 tháng 3 năm 2026``. Raises DateError with a Vietnamese message otherwise."""
    if isinstance(value, bool):
        raise DateError(f"Giá trị '{value}' không phải là ngày.")  # True/False
    if isinstance(value, int | float):
        return _parse_cached("num", float(value))
    return _parse_cached("text", clean_text(value))


def _from_serial(serial: float) -> date:
    if not 1 <= serial < 80000:
        raise DateError(f"Số '{_plain_number(serial)}' không phải là một ngày hợp lệ.")
    return _in_range(serial_to_date(serial), _plain_number(serial))


def _from_text(text: str) -> date:
    if not text:
        raise DateError("Ô ngày để trống.")
    lowered = strip_marks(text.casefold())
    if m := _ISO.match(lowered):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return _build(year, month, day, text, iso=True)
    if m := _DMY.match(lowered):
        day, month, year_text = int(m.group(1)), int(m.group(3)), m.group(4)
        if len(year_text) != 4:
            raise DateError(f"Ngày '{text}' phải ghi năm đủ 4 chữ số, ví dụ 05/03/2026.")
        return _build(int(year_text), month, day, text, iso=False)
    if m := _WORDS.match(lowered):
        return _build(int(m.group(3)), int(m.group(2)), int(m.group(1)), text, iso=False)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):  # a serial number that arrived as text
        return _from_serial(float(text.replace(",", ".")))
    raise DateError(
        f"Không đọc được ngày '{shortened(text)}': hãy ghi theo dạng dd/mm/yyyy, ví dụ 05/03/2026."
    )


def _build(year: int, month: int, day: int, text: str, *, iso: bool) -> date:
    if not _EARLIEST.year <= year <= _LATEST.year:  # also year 0, which date() cannot hold
        raise DateError(f"Ngày '{text}' ngoài khoảng hợp lý (năm {year}).")
    if not 1 <= month <= 12:
        hint = "" if iso else " (ngày ghi theo thứ tự ngày/tháng/năm, có thể đã nhập tháng/ngày)"
        raise DateError(f"Ngày '{text}' không hợp lệ: không có tháng {month}{hint}.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateError(
            f"Ngày '{text}' không tồn tại: tháng {month}/{year} chỉ có {last} ngày."
            if day > 0
            else f"Ngày '{text}' không hợp lệ."
        )
    return _in_range(date(year, month, day), text)


def _in_range(day: date, shown: str) -> date:
    if not _EARLIEST <= day <= _LATEST:
        raise DateError(f"Ngày '{shown}' ngoài khoảng hợp lý (năm {day.year}).")
    return day


def _plain_number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
