"""Reporting periods, their windows (ND 09/2019 or calendar) and working days. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from tasks.settings import TIMEZONE
from tasks.text import match_key, strip_marks

_PERIOD_KEY = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-(H1))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``2026-05`` (month), ``2026-H1`` (6 months) or ``2026`` (year)."""

    year: int
    kind: str  # "month" | "half" | "year"
    month: int = 0  # 1..12 for a month

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.month:02d}"
        return f"{self.year}-H1" if self.kind == "half" else str(self.year)

    @property
    def label(self) -> str:
        """Vietnamese name as used in a report title: ``tháng 5/2026``, ``6 tháng đầu năm 2026``."""
        if self.kind == "month":
            return f"tháng {self.month}/{self.year}"
        return f"6 tháng đầu năm {self.year}" if self.kind == "half" else f"năm {self.year}"

    def months(self) -> list[Period]:
        """The month periods a 6-month or annual period is checked by, in order."""
        if self.kind == "month":
            return [self]
        last = 6 if self.kind == "half" else 12
        return [Period(self.year, "month", m) for m in range(1, last + 1)]

    def __str__(self) -> str:
        return self.key


def parse_period(key: str) -> Period:
    """``2026-05`` / ``2026-H1`` / ``2026`` -> Period; ValueError with a Vietnamese message."""
    match = _PERIOD_KEY.match(key.strip())
    if not match:
        raise ValueError(
            f"Kỳ báo cáo '{key}' không hợp lệ: dùng yyyy-mm (tháng), yyyy-H1 (6 tháng) "
            "hoặc yyyy (năm)."
        )
    year = int(match.group(1))
    if match.group(2):
        return Period(year, "month", int(match.group(2)))
    return Period(year, "half") if match.group(3) else Period(year, "year")


_PERIOD_TEXT = [
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month_iso"),
    (re.compile(r"^(?:thang|t)\s*(\d{1,2})\s*[/-]\s*(\d{4})$"), "month"),
    (re.compile(r"^(?:bao cao )?6 thang(?: dau nam)?(?: nam)?\s*(\d{4})$"), "half"),
    (re.compile(r"^(\d{4})-h1$"), "half"),
    (re.compile(r"^(?:nam\s*)?(\d{4})$"), "year"),
]


def parse_period_text(text: str) -> Period | None:
    """A unit's own spelling of a period (``Tháng 5/2026``, ``T5/2026``, ``6 tháng 2026``,
    ``Năm 2026``, ``2026-05``) -> Period, or None if it is not one."""
    plain = strip_marks(match_key(text))
    for pattern, kind in _PERIOD_TEXT:
        m = pattern.match(plain)
        if not m:
            continue
        if kind == "month_iso":
            year, month = int(m.group(1)), int(m.group(2))
        elif kind == "month":
            month, year = int(m.group(1)), int(m.group(2))
        else:
            return Period(int(m.group(1)), kind)
        return Period(year, "month", month) if 1 <= month <= 12 else None
    return None


@dataclass(frozen=True)
class ReportWindow:
    """The dates a period covers, both ends inclusive."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def report_window(period: Period, rule: str = "nd09") -> ReportWindow:
    """ND 09/2019: month M = 15/(M-1)..14/M; 6 months = 15/12 previous year..14/6;
    year = 15/12 previous year..14/12. ``calendar``: calendar month / half / year."""
    y = period.year
    if rule == "calendar":
        if period.kind == "month":
            nxt = date(y + (period.month == 12), period.month % 12 + 1, 1)
            return ReportWindow(date(y, period.month, 1), nxt - timedelta(days=1))
        return ReportWindow(
            date(y, 1, 1), date(y, 6, 30) if period.kind == "half" else date(y, 12, 31)
        )
    if period.kind == "month":
        start = date(y - 1, 12, 15) if period.month == 1 else date(y, period.month - 1, 15)
        return ReportWindow(start, date(y, period.month, 14))
    return ReportWindow(date(y - 1, 12, 15), date(y, 6 if period.kind == "half" else 12, 14))


def last_closed_period(as_of: date, kind: str = "month", rule: str = "nd09") -> Period:
    """The most recent period of ``kind`` whose window ended before ``as_of``."""
    if kind == "month":
        y, m = as_of.year, as_of.month
        while True:
            p = Period(y, "month", m)
            if report_window(p, rule).end < as_of:
                return p
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    for year in (as_of.year, as_of.year - 1):
        p = Period(year, kind)
        if report_window(p, rule).end < as_of:
            return p
    return Period(as_of.year - 2, kind)


def today_in_vietnam() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


class WorkCalendar:
    """Working days: Monday-Friday, less Vietnam's public holidays (``holidays``, VN) and the plan's
    extra holidays, plus the plan's extra working days (make-up Saturdays)."""

    def __init__(self, extra_holidays: list[date], extra_working_days: list[date]) -> None:
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_working = frozenset(extra_working_days)

    @cached_property
    def _public(self) -> holidays.HolidayBase:
        # Vietnamese names whatever the machine's locale (they reach state messages); years are
        # filled in lazily on lookup.
        return holidays.country_holidays("VN", language="vi")

    def holiday_name(self, day: date) -> str | None:
        if day in self._extra_holidays:
            return "ngày nghỉ theo kế hoạch"
        name = self._public.get(day)
        return str(name) if name else None

    def is_working_day(self, day: date) -> bool:
        if day in self._extra_working:
            return True
        if day.weekday() >= 5 or day in self._extra_holidays:
            return False
        return day not in self._public

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``count`` = 0: ``day`` itself)."""
        current = day
        while count > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days from ``start`` until ``end``."""
        days, current = 0, start
        while current < end:
            current += timedelta(days=1)
            days += self.is_working_day(current)
        return days
