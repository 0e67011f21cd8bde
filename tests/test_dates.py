from datetime import date

import pytest

from tasks.dates import DateError, date_to_serial, parse_date, serial_to_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (46147, date(2026, 5, 5)),  # a date cell read unformatted: days since 1899-12-30
        (46147.75, date(2026, 5, 5)),  # with a time of day
        ("05/05/2026", date(2026, 5, 5)),
        ("5/5/2026", date(2026, 5, 5)),
        ("15/4/2026", date(2026, 4, 15)),
        ("03/04/2026", date(2026, 4, 3)),  # day first, never mm/dd
        ("15-04-2026", date(2026, 4, 15)),
        ("15.04.2026", date(2026, 4, 15)),
        ("2026-04-15", date(2026, 4, 15)),
        ("2026-04-15 08:30:00", date(2026, 4, 15)),
        ("2026-04-15T08:30:00+07:00", date(2026, 4, 15)),
        ("15/04/2026 14:05", date(2026, 4, 15)),
        ("ngày 15 tháng 4 năm 2026", date(2026, 4, 15)),
        (" 15/04/2026\u00a0", date(2026, 4, 15)),
        ("46147", date(2026, 5, 5)),  # a serial number that arrived as text
    ],
)
def test_accepted_forms(value, expected):
    assert parse_date(value) == expected


def test_serial_round_trip():
    # 1899-12-30 + 46147 days, worked out: 2026-01-01 is 46023, plus 31+28+31+30+4 days.
    assert serial_to_date(46147) == date(2026, 5, 5)
    assert date_to_serial(date(2026, 1, 1)) == 46023


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("30/02/2026", "tháng 2/2026 chỉ có 28 ngày"),
        ("31/04/2026", "tháng 4/2026 chỉ có 30 ngày"),
        ("05/13/2026", "không có tháng 13"),  # mm/dd typed by mistake
        ("12/25/2026", "có thể đã nhập tháng/ngày"),
        ("5/3/26", "năm đủ 4 chữ số"),
        ("hôm qua", "Không đọc được ngày"),
        ("2026-13-01", "không có tháng 13"),
        (0, "không phải là một ngày"),
        (-5, "không phải là một ngày"),
        ("01/01/1890", "ngoài khoảng hợp lý"),
        (True, "không phải là ngày"),
        ("", "để trống"),
    ],
)
def test_rejected_forms_say_why(value, fragment):
    with pytest.raises(DateError) as err:
        parse_date(value)
    assert fragment in str(err.value)
