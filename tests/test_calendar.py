from datetime import date

import pytest

from tasks.calendar import (
    Period,
    WorkCalendar,
    last_closed_period,
    parse_period,
    parse_period_text,
    report_window,
)


@pytest.mark.parametrize(
    ("key", "rule", "start", "end"),
    [
        ("2026-05", "nd09", date(2026, 4, 15), date(2026, 5, 14)),
        ("2026-01", "nd09", date(2025, 12, 15), date(2026, 1, 14)),
        ("2026-H1", "nd09", date(2025, 12, 15), date(2026, 6, 14)),
        ("2026", "nd09", date(2025, 12, 15), date(2026, 12, 14)),
        ("2026-02", "calendar", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-12", "calendar", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-H1", "calendar", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026", "calendar", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_windows(key, rule, start, end):
    window = report_window(parse_period(key), rule)
    assert (window.start, window.end) == (start, end)


def test_window_boundaries_14th_and_15th():
    may = report_window(parse_period("2026-05"))
    assert date(2026, 5, 14) in may and date(2026, 4, 15) in may
    assert date(2026, 5, 15) not in may and date(2026, 4, 14) not in may


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-05", "2026-05"),
        ("Tháng 5/2026", "2026-05"),
        ("tháng 05/2026", "2026-05"),
        ("T5/2026", "2026-05"),
        ("6 tháng 2026", "2026-H1"),
        ("6 tháng đầu năm 2026", "2026-H1"),
        ("Năm 2026", "2026"),
    ],
)
def test_unit_period_spellings(text, key):
    assert parse_period_text(text).key == key


@pytest.mark.parametrize("text", ["Quý 2/2026", "Tháng 13/2026", "tháng năm", ""])
def test_unknown_period_spellings(text):
    assert parse_period_text(text) is None


def test_bad_period_key_message():
    with pytest.raises(ValueError, match="yyyy-mm"):
        parse_period("05/2026")


def test_period_labels():
    assert Period(2026, "month", 5).label == "tháng 5/2026"
    assert Period(2026, "half").label == "6 tháng đầu năm 2026"
    assert len(Period(2026, "year").months()) == 12


def test_last_closed_period():
    assert last_closed_period(date(2026, 5, 15)).key == "2026-05"
    assert last_closed_period(date(2026, 5, 14)).key == "2026-04"
    assert last_closed_period(date(2026, 1, 10)).key == "2025-12"
    assert last_closed_period(date(2026, 6, 20), "half").key == "2026-H1"


def test_working_days_use_vn_holidays_and_plan_overrides():
    cal = WorkCalendar(extra_holidays=[date(2026, 6, 1)], extra_working_days=[date(2026, 8, 22)])
    assert not cal.is_working_day(date(2026, 4, 27))  # Hùng Kings' day in lieu (Monday)
    assert not cal.is_working_day(date(2026, 9, 2))  # National Day
    assert not cal.is_working_day(date(2026, 5, 17))  # Sunday
    assert cal.is_working_day(date(2026, 8, 22))  # make-up Saturday from the plan
    assert not cal.is_working_day(date(2026, 6, 1))  # plan's extra holiday
    assert cal.holiday_name(date(2026, 6, 1)) == "ngày nghỉ theo kế hoạch"
    # In Vietnamese whatever the locale: the name reaches the reminder run's state message.
    assert cal.holiday_name(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"


def test_due_date_shifted_by_holidays():
    cal = WorkCalendar([], [])
    # Window 2026-04 ends Tue 14/4; 3 working days later: 15, 16, 17/4 -> Fri 17/4.
    assert cal.add_working_days(date(2026, 4, 14), 3) == date(2026, 4, 17)
    # From Fri 24/4: Mon 27/4 is a holiday in lieu, 30/4 and 1/5 are holidays:
    # working days 28/4, 29/4, then Mon 4/5.
    assert cal.add_working_days(date(2026, 4, 24), 3) == date(2026, 5, 4)
    assert cal.working_days_between(date(2026, 4, 24), date(2026, 5, 4)) == 3
