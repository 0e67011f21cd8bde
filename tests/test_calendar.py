from datetime import date
from types import SimpleNamespace

import pytest

from flows.common import resolve_period
from tasks.calendar import (
    Period,
    WorkCalendar,
    adhoc_period,
    check_period_reportable,
    last_closed_period,
    parse_period,
    parse_period_text,
    report_window,
)
from tasks.errors import SettingsError


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
        # Quarters: ND 09 runs from the 15th of the month before the quarter to the 14th of its
        # last month.
        ("2026-Q1", "nd09", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026-Q2", "nd09", date(2026, 3, 15), date(2026, 6, 14)),
        ("2026-Q3", "nd09", date(2026, 6, 15), date(2026, 9, 14)),
        ("2026-Q4", "nd09", date(2026, 9, 15), date(2026, 12, 14)),
        ("2026-Q1", "calendar", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", "calendar", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", "calendar", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", "calendar", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-9M", "nd09", date(2025, 12, 15), date(2026, 9, 14)),
        ("2026-9M", "calendar", date(2026, 1, 1), date(2026, 9, 30)),
        # Ad hoc: exactly the given dates, whatever the rule.
        ("dot-xuat-20260301-20260415", "nd09", date(2026, 3, 1), date(2026, 4, 15)),
        ("dot-xuat-20260301-20260415", "calendar", date(2026, 3, 1), date(2026, 4, 15)),
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


@pytest.mark.parametrize(
    "key", ["05/2026", "2026-Q0", "2026-Q5", "2026-H2", "2026-9m", "2026-10M", "Quý 2/2026"]
)
def test_bad_period_keys_list_every_form(key):
    with pytest.raises(ValueError) as err:
        parse_period(key)
    message = str(err.value)
    assert message.startswith(f"Kỳ báo cáo '{key}' không hợp lệ")
    for form in ("yyyy-mm (tháng)", "yyyy-Q1", "(quý)", "yyyy-H1 (6 tháng)", "yyyy-9M (9 tháng)"):
        assert form in message
    assert "yyyy (năm)" in message and "--from" in message


@pytest.mark.parametrize(
    "key",
    ["2026-05", "2026-Q1", "2026-Q4", "2026-H1", "2026-9M", "2026", "dot-xuat-20260301-20260415"],
)
def test_keys_read_back(key):
    assert parse_period(key).key == key
    assert str(parse_period(key)) == key


def test_adhoc_key_with_impossible_date():
    with pytest.raises(ValueError, match="ngày không có thật"):
        parse_period("dot-xuat-20260230-20260301")


def test_period_labels():
    assert Period(2026, "month", 5).label == "tháng 5/2026"
    assert Period(2026, "half").label == "6 tháng đầu năm 2026"
    assert len(Period(2026, "year").months()) == 12
    assert [parse_period(f"2026-Q{q}").label for q in range(1, 5)] == [
        "quý I năm 2026",
        "quý II năm 2026",
        "quý III năm 2026",
        "quý IV năm 2026",
    ]
    assert parse_period("2026-9M").label == "9 tháng năm 2026"
    assert (
        adhoc_period(date(2026, 3, 1), date(2026, 4, 15)).label
        == "đột xuất từ ngày 01/03/2026 đến ngày 15/04/2026"
    )


def test_months_of_quarter_and_nine_months():
    assert [m.key for m in parse_period("2026-Q2").months()] == ["2026-04", "2026-05", "2026-06"]
    assert [m.key for m in parse_period("2026-Q4").months()] == ["2026-10", "2026-11", "2026-12"]
    assert [m.month for m in parse_period("2026-9M").months()] == list(range(1, 10))


@pytest.mark.parametrize(
    ("start", "end", "rule", "months"),
    [
        # 01/03-15/04: under ND 09 only April (15/3-14/4) fits; March starts 15/2. Under the
        # calendar only March (1/3-31/3) fits; April ends 30/4.
        (date(2026, 3, 1), date(2026, 4, 15), "nd09", ["2026-04"]),
        (date(2026, 3, 1), date(2026, 4, 15), "calendar", ["2026-03"]),
        # Across the new year: ND 09 January (15/12-14/1) and February (15/1-14/2).
        (date(2025, 12, 15), date(2026, 2, 14), "nd09", ["2026-01", "2026-02"]),
        (date(2025, 12, 15), date(2026, 2, 14), "calendar", ["2026-01"]),
        # No whole month inside.
        (date(2026, 3, 10), date(2026, 4, 10), "nd09", []),
        (date(2026, 3, 10), date(2026, 4, 10), "calendar", []),
        (date(2026, 5, 20), date(2026, 5, 20), "nd09", []),
    ],
)
def test_adhoc_months(start, end, rule, months):
    assert [m.key for m in adhoc_period(start, end).months(rule)] == months


def test_adhoc_period():
    period = adhoc_period(date(2026, 3, 1), date(2026, 4, 15))
    assert period.kind == "adhoc" and period.key == "dot-xuat-20260301-20260415"
    assert adhoc_period(date(2026, 5, 20), date(2026, 5, 20)).key == "dot-xuat-20260520-20260520"
    with pytest.raises(ValueError, match="Ngày kết thúc 28/02/2026 trước ngày bắt đầu 01/03/2026"):
        adhoc_period(date(2026, 3, 1), date(2026, 2, 28))
    # Sortable and hashable like the other periods.
    later = adhoc_period(date(2026, 3, 2), date(2026, 3, 5))
    assert sorted([later, period]) == [period, later]
    assert len({period, adhoc_period(date(2026, 3, 1), date(2026, 4, 15))}) == 1


def test_last_closed_period():
    assert last_closed_period(date(2026, 5, 15)).key == "2026-05"
    assert last_closed_period(date(2026, 5, 14)).key == "2026-04"
    assert last_closed_period(date(2026, 1, 10)).key == "2025-12"
    assert last_closed_period(date(2026, 6, 20), "half").key == "2026-H1"


@pytest.mark.parametrize(
    ("as_of", "kind", "rule", "key"),
    [
        # Q2 (ND 09) ends 14/6: closed on the 15th, not on the 14th.
        (date(2026, 6, 15), "quarter", "nd09", "2026-Q2"),
        (date(2026, 6, 14), "quarter", "nd09", "2026-Q1"),
        # Q4 2025 ended 14/12/2025; Q1 2026 is still running on 1/2.
        (date(2026, 2, 1), "quarter", "nd09", "2025-Q4"),
        (date(2026, 7, 1), "quarter", "calendar", "2026-Q2"),
        (date(2026, 6, 30), "quarter", "calendar", "2026-Q1"),
        (date(2026, 1, 1), "quarter", "calendar", "2025-Q4"),
        # 9 months end 14/9 (ND 09) or 30/9 (calendar).
        (date(2026, 9, 15), "nine", "nd09", "2026-9M"),
        (date(2026, 9, 14), "nine", "nd09", "2025-9M"),
        (date(2026, 10, 1), "nine", "calendar", "2026-9M"),
        (date(2026, 9, 30), "nine", "calendar", "2025-9M"),
    ],
)
def test_last_closed_quarter_and_nine_months(as_of, kind, rule, key):
    assert last_closed_period(as_of, kind, rule).key == key


@pytest.mark.parametrize("kind", ["adhoc", "quy", ""])
def test_last_closed_period_refuses_other_kinds(kind):
    with pytest.raises(ValueError, match="Loại kỳ báo cáo"):
        last_closed_period(date(2026, 6, 20), kind)


@pytest.mark.parametrize(
    ("period", "as_of", "rule"),
    [
        (parse_period("2026-Q2"), date(2026, 6, 20), "nd09"),
        (parse_period("2026-Q2"), date(2026, 3, 15), "nd09"),  # first day of its window
        (parse_period("2026-Q1"), date(2025, 12, 20), "nd09"),  # begun 15/12 of the year before
        (parse_period("2026"), date(2026, 12, 2), "nd09"),
        (parse_period("2026-05"), date(2026, 11, 28), "calendar"),
        (adhoc_period(date(2025, 12, 15), date(2026, 1, 10)), date(2026, 1, 20), "nd09"),
        (adhoc_period(date(2026, 12, 20), date(2026, 12, 31)), date(2026, 12, 20), "calendar"),
    ],
)
def test_reportable(period, as_of, rule):
    assert check_period_reportable(period, as_of, 2026, rule) is None


@pytest.mark.parametrize(
    ("period", "as_of", "rule", "message"),
    [
        # 2027 (ND 09) runs 15/12/2026-14/12/2027: another plan's year.
        (
            parse_period("2027"),
            date(2026, 12, 2),
            "nd09",
            "Kỳ năm 2027 .* nằm ngoài năm của Kế hoạch 2026",
        ),
        (parse_period("2025-12"), date(2026, 1, 20), "nd09", "nằm ngoài năm của Kế hoạch 2026"),
        # December (ND 09) starts 15/11.
        (
            parse_period("2026-12"),
            date(2026, 11, 10),
            "nd09",
            r"Kỳ tháng 12/2026 chưa bắt đầu tại ngày 10/11/2026 \(kỳ tính từ ngày 15/11/2026\)",
        ),
        (
            parse_period("2026-Q3"),
            date(2026, 6, 30),
            "calendar",
            "chưa bắt đầu tại ngày 30/06/2026",
        ),
        (parse_period("2026-9M"), date(2025, 12, 31), "calendar", "chưa bắt đầu"),
        (
            adhoc_period(date(2025, 12, 14), date(2026, 1, 10)),
            date(2026, 1, 20),
            "nd09",
            "từ ngày 15/12/2025 đến ngày 31/12/2026",
        ),
        (
            adhoc_period(date(2026, 12, 20), date(2027, 1, 5)),
            date(2027, 1, 6),
            "nd09",
            "nằm ngoài năm của Kế hoạch 2026",
        ),
        (
            adhoc_period(date(2026, 7, 1), date(2026, 7, 31)),
            date(2026, 6, 30),
            "nd09",
            "Kỳ đột xuất từ ngày 01/07/2026 đến ngày 31/07/2026 chưa bắt đầu tại ngày 30/06/2026",
        ),
    ],
)
def test_not_reportable(period, as_of, rule, message):
    with pytest.raises(ValueError, match=message):
        check_period_reportable(period, as_of, 2026, rule)


def _job(as_of: date, rule: str = "nd09") -> SimpleNamespace:
    """What ``resolve_period`` reads of a Job: the as-of date, the plan's year and window rule."""
    plan = SimpleNamespace(plan=SimpleNamespace(year=2026), reporting=SimpleNamespace(window=rule))
    return SimpleNamespace(as_of=as_of, plan=plan)


def test_resolve_period_adhoc_from_cli_dates():
    job = _job(date(2026, 5, 1))
    expected = adhoc_period(date(2026, 3, 1), date(2026, 4, 15))
    assert resolve_period(None, job, "month", "2026-03-01", "15/04/2026") == expected
    assert resolve_period(None, job, "month", "01/03/2026", "2026-04-15") == expected


@pytest.mark.parametrize(
    ("value", "date_from", "date_to", "message"),
    [
        (None, "2026-03-01", None, "cần cả ngày bắt đầu"),
        (None, None, "2026-04-15", "cần cả ngày bắt đầu"),
        ("2026-03", "2026-03-01", "2026-04-15", "Chỉ dùng một cách chọn kỳ"),
        (None, "2026-04-15", "2026-03-01", "trước ngày bắt đầu"),
        (None, "31/02/2026", "2026-04-15", "Ngày bắt đầu \\(--from\\) không hợp lệ"),
        (None, "2026-05-02", "2026-05-20", "chưa bắt đầu tại ngày 01/05/2026"),
    ],
)
def test_resolve_period_refusals(value, date_from, date_to, message):
    with pytest.raises(SettingsError, match=message):
        resolve_period(value, _job(date(2026, 5, 1)), "month", date_from, date_to)


def test_resolve_period_checks_explicit_periods_only():
    job = _job(date(2026, 11, 10))
    with pytest.raises(SettingsError, match="chưa bắt đầu"):
        resolve_period("2026-12", job)
    with pytest.raises(SettingsError, match="Loại kỳ báo cáo"):
        resolve_period(None, job, "quy")
    assert resolve_period(None, job, "quarter").key == "2026-Q3"
    assert resolve_period("2026-Q2", _job(date(2026, 6, 20))).key == "2026-Q2"


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
