"""Reporting periods, their windows (ND 09/2019 or calendar) and working days. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from tasks.dates import format_vn
from tasks.settings import TIMEZONE
from tasks.text import match_key, strip_marks

_PERIOD_KEY = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-(H1)|-Q([1-4])|-(9M))?$")
_ADHOC_KEY = re.compile(r"^dot-xuat-(\d{8})-(\d{8})$")
_ROMAN = ("I", "II", "III", "IV")
# Kinds a period can be rolled to (``last_closed_period``); ad hoc ranges are never implied.
PERIODIC_KINDS = ("month", "quarter", "half", "nine", "year")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``2026-05`` (month), ``2026-Q2`` (quarter), ``2026-H1`` (6 months),
    ``2026-9M`` (9 months), ``2026`` (year), or an ad hoc (đột xuất) range of dates.

    Build ad hoc periods with ``adhoc_period``; their ``year`` is the end date's year."""

    year: int
    kind: str  # "month" | "quarter" | "half" | "nine" | "year" | "adhoc"
    month: int = 0  # 1..12 for a month
    quarter: int = 0  # 1..4 for a quarter
    start: date | None = None  # first and last day of an ad hoc period (inclusive)
    end: date | None = None

    def __post_init__(self) -> None:
        # Ordering compares the dates: an ad hoc period without both would break sorting.
        if (self.kind == "adhoc") != (self.start is not None and self.end is not None):
            raise ValueError("Chỉ kỳ báo cáo đột xuất mới có ngày bắt đầu và ngày kết thúc.")

    @property
    def key(self) -> str:
        """``2026-05``, ``2026-Q2``, ``2026-H1``, ``2026-9M``, ``2026``,
        ``dot-xuat-20260301-20260415``: also the period's folder name, so ASCII only."""
        if self.kind == "month":
            return f"{self.year}-{self.month:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.quarter}"
        if self.kind == "adhoc":
            start, end = self.dates
            return f"dot-xuat-{start:%Y%m%d}-{end:%Y%m%d}"
        return {"half": f"{self.year}-H1", "nine": f"{self.year}-9M"}.get(self.kind, str(self.year))

    @property
    def label(self) -> str:
        """Vietnamese name as used in a report title: ``tháng 5/2026``, ``quý II năm 2026``,
        ``6 tháng đầu năm 2026``, ``9 tháng năm 2026``, ``năm 2026``,
        ``đột xuất từ ngày 01/03/2026 đến ngày 15/04/2026``."""
        if self.kind == "month":
            return f"tháng {self.month}/{self.year}"
        if self.kind == "quarter":
            return f"quý {_ROMAN[self.quarter - 1]} năm {self.year}"
        if self.kind == "adhoc":
            start, end = self.dates
            return f"đột xuất từ ngày {format_vn(start)} đến ngày {format_vn(end)}"
        prefix = {"half": "6 tháng đầu năm", "nine": "9 tháng năm"}.get(self.kind, "năm")
        return f"{prefix} {self.year}"

    @property
    def dates(self) -> tuple[date, date]:
        """An ad hoc period's first and last day; ValueError for any other kind."""
        if self.start is None or self.end is None:
            raise ValueError(f"Kỳ {self.key} không phải kỳ báo cáo đột xuất.")
        return self.start, self.end

    def months(self, rule: str = "nd09") -> list[Period]:
        """The month periods this period is checked by, in order. Ad hoc: the months (under
        ``rule``) whose window lies entirely inside the range, possibly none; other kinds do
        not depend on ``rule``."""
        if self.kind == "adhoc":
            return _months_inside(*self.dates, rule)
        first, last = _month_span(self)
        return [Period(self.year, "month", m) for m in range(first, last + 1)]

    def __str__(self) -> str:
        return self.key


def _month_span(period: Period) -> tuple[int, int]:
    """First and last month number (1..12) of a periodic period, within its year."""
    if period.kind == "month":
        return period.month, period.month
    if period.kind == "quarter":
        return 3 * period.quarter - 2, 3 * period.quarter
    return 1, {"half": 6, "nine": 9}.get(period.kind, 12)


def _months_inside(start: date, end: date, rule: str) -> list[Period]:
    """Month periods whose ``rule`` window lies within start..end. A month's window never starts
    before the month before it nor ends after the month itself, so start's month..end's month
    holds every candidate."""
    found = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        month = Period(y, "month", m)
        window = report_window(month, rule)
        if start <= window.start and window.end <= end:
            found.append(month)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


def adhoc_period(start: date, end: date) -> Period:
    """An ad hoc (đột xuất) period over start..end, both inclusive; ValueError (Vietnamese)
    when ``end`` is before ``start``."""
    if end < start:
        raise ValueError(
            f"Ngày kết thúc {format_vn(end)} trước ngày bắt đầu {format_vn(start)}: "
            "kỳ báo cáo đột xuất không hợp lệ."
        )
    return Period(end.year, "adhoc", start=start, end=end)


def parse_period(key: str) -> Period:
    """``2026-05`` / ``2026-Q2`` / ``2026-H1`` / ``2026-9M`` / ``2026`` -> Period; also an ad hoc
    period's own key (``dot-xuat-20260301-20260415``), so every ``Period.key`` reads back.
    ValueError with a Vietnamese message otherwise."""
    text = key.strip()
    if adhoc := _ADHOC_KEY.match(text):
        return _parse_adhoc_key(text, adhoc.group(1), adhoc.group(2))
    match = _PERIOD_KEY.match(text)
    if not match:
        raise ValueError(
            f"Kỳ báo cáo '{key}' không hợp lệ: dùng yyyy-mm (tháng), yyyy-Q1..yyyy-Q4 (quý), "
            "yyyy-H1 (6 tháng), yyyy-9M (9 tháng) hoặc yyyy (năm); báo cáo đột xuất dùng "
            "--from và --to."
        )
    year, month, half, quarter, nine = match.groups()
    if month:
        return Period(int(year), "month", int(month))
    if quarter:
        return Period(int(year), "quarter", quarter=int(quarter))
    return Period(int(year), "half" if half else "nine" if nine else "year")


def _parse_adhoc_key(key: str, start: str, end: str) -> Period:
    try:
        first = datetime.strptime(start, "%Y%m%d").date()
        last = datetime.strptime(end, "%Y%m%d").date()
    except ValueError as err:
        raise ValueError(f"Kỳ báo cáo '{key}' không hợp lệ: ngày không có thật.") from err
    return adhoc_period(first, last)


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
    """The dates ``period`` covers under ``rule``. ND 09/2019 (``nd09``): month M = 15/(M-1)..14/M,
    and a longer period runs from its first month's start to its last month's end (quarter I =
    15/12 previous year..14/3, 6 months ..14/6, 9 months ..14/9, year ..14/12). ``calendar``:
    calendar months, quarters, half, 9 months and year. Ad hoc: its own dates whatever the rule."""
    if period.kind == "adhoc":
        return ReportWindow(*period.dates)
    first, last = _month_span(period)
    return ReportWindow(
        _month_window(period.year, first, rule).start, _month_window(period.year, last, rule).end
    )


def _month_window(year: int, month: int, rule: str) -> ReportWindow:
    if rule == "calendar":
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return ReportWindow(date(year, month, 1), nxt - timedelta(days=1))
    start = date(year - 1, 12, 15) if month == 1 else date(year, month - 1, 15)
    return ReportWindow(start, date(year, month, 14))


def last_closed_period(as_of: date, kind: str = "month", rule: str = "nd09") -> Period:
    """The most recent period of ``kind`` (``month``, ``quarter``, ``half``, ``nine``, ``year``)
    whose window ended before ``as_of``. ValueError (Vietnamese) for any other kind."""
    if kind not in PERIODIC_KINDS:
        raise ValueError(
            f"Loại kỳ báo cáo '{kind}' không hợp lệ: dùng month (tháng), quarter (quý), "
            "half (6 tháng), nine (9 tháng) hoặc year (năm)."
        )
    # Latest first; a period of two years back has always closed, so the loop always returns.
    for year in (as_of.year, as_of.year - 1, as_of.year - 2):
        for period in reversed(_periods_of_year(year, kind)):
            if report_window(period, rule).end < as_of:
                return period
    raise AssertionError("unreachable: a period two years back has closed")


def open_month(as_of: date, rule: str = "nd09") -> Period:
    """The month period whose window contains ``as_of``."""
    for offset in (0, 1):
        month = as_of.month + offset
        year = as_of.year + (month > 12)
        period = Period(year, "month", (month - 1) % 12 + 1)
        window = report_window(period, rule)
        if window.start <= as_of <= window.end:
            return period
    raise AssertionError(f"no month window contains {as_of}")


def _periods_of_year(year: int, kind: str) -> list[Period]:
    """Every period of ``kind`` in ``year``, in order."""
    if kind == "month":
        return [Period(year, "month", m) for m in range(1, 13)]
    if kind == "quarter":
        return [Period(year, "quarter", quarter=q) for q in range(1, 5)]
    return [Period(year, kind)]


def check_period_reportable(
    period: Period, as_of: date, plan_year: int, rule: str = "nd09"
) -> None:
    """None if a report on ``period`` can be made as of ``as_of`` under a plan for ``plan_year``;
    ValueError with a Vietnamese message if the period belongs to another year (its window must
    end in ``plan_year``; an ad hoc range must lie within 15/12 of the year before..31/12) or its
    window (under ``rule``) has not begun by ``as_of``."""
    window = report_window(period, rule)
    if period.kind == "adhoc":
        first, last = date(plan_year - 1, 12, 15), date(plan_year, 12, 31)
        if not (first <= window.start and window.end <= last):
            raise ValueError(
                f"Kỳ {period.label} nằm ngoài năm của Kế hoạch {plan_year}: chỉ báo cáo đột xuất "
                f"trong khoảng từ ngày {format_vn(first)} đến ngày {format_vn(last)}."
            )
    elif window.end.year != plan_year:
        raise ValueError(
            f"Kỳ {period.label} ({format_vn(window.start)} - {format_vn(window.end)}) nằm ngoài "
            f"năm của Kế hoạch {plan_year}."
        )
    if window.start > as_of:
        raise ValueError(
            f"Kỳ {period.label} chưa bắt đầu tại ngày {format_vn(as_of)} "
            f"(kỳ tính từ ngày {format_vn(window.start)})."
        )


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
