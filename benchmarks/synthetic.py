"""Deterministic province-scale sheets for the benchmarks.

``synthetic_tabs(products)`` builds the five input tabs of the shared sheet (DESIGN §3) with the
contract headers of ``tasks.contract`` and the cell shapes Google returns with
``valueRenderOption=UNFORMATTED_VALUE``: date cells as serial numbers (ints), some dates typed as
text, codes as text, quotas as ints, ragged rows (trailing blanks trimmed, ``""`` for blanks in
the middle), blank rows as ``[]``. 300 units; concretisation, unit-report and dossier rows grow
with the number of products; about 1 % of product rows carry a typical mistake (so the problem
path is exercised too). The same ``(products, seed)`` always gives the same cells.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tasks.contract import CONCRETIZATIONS, DOSSIERS, PRODUCTS, UNIT_REPORTS, UNITS, TabSpec
from tasks.dates import date_to_serial
from tasks.models import Cell, RawBook, RawTab

SEED = 2026
UNIT_COUNT = 300
FIRST_DAY = date(2025, 11, 28)  # a year of products ...
LAST_DAY = date(2026, 11, 27)  # ... up to the day the data is read
READ_AT = "2026-11-27T17:00:00+07:00"
PERIOD = "2026-11"  # the monthly report: ND 09 window 15/10/2026 - 14/11/2026
AS_OF = date(2026, 11, 27)

_UNIT_KINDS = ["Phòng", "Trung tâm", "Ban", "Đội", "Chi cục"]
_TOPICS = [
    "Quản lý xây dựng", "Quy hoạch - Kiến trúc", "Phát triển đô thị", "Hạ tầng kỹ thuật",
    "Quản lý nhà", "Vật liệu xây dựng", "Kinh tế xây dựng", "Giám định chất lượng",
    "Kiểm định xây dựng", "Thanh tra xây dựng", "Kế hoạch - Tài chính", "Tổ chức - Hành chính",
]  # fmt: skip
_PLACES = [
    "Buôn Ma Thuột", "Buôn Hồ", "Ea H'leo", "Ea Súp", "Krông Năng", "Krông Búk", "Buôn Đôn",
    "Cư M'gar", "Ea Kar", "M'Đrắk", "Krông Pắc", "Krông Bông", "Krông Ana", "Lắk", "Cư Kuin",
    "Tuy Hòa", "Sông Cầu", "Đông Hòa",
]  # fmt: skip
_PEOPLE = [
    "Nguyễn Thị Thu Hà", "Trần Văn Hùng", "Lê Thị Mai Anh", "Phạm Quốc Bảo", "H'Hen Niê",
    "Y Phôn Byă", "Đỗ Minh Tuấn", "Võ Thị Hồng Nhung", "Huỳnh Văn Lộc", "Bùi Thanh Sơn",
]  # fmt: skip
_AREAS = [  # what units type in `Nội dung` besides the number
    "1. Chủ trương, chính sách của Đảng, Nhà nước về cải cách hành chính",
    "Cải cách thể chế", "Thủ tục hành chính", "TTHC", "Tổ chức bộ máy", "Chế độ công vụ",
    "Tài chính công", "Chuyển đổi số", "Chính quyền số",
]  # fmt: skip
# channel label typed -> (weight, online link prefix or None)
_CHANNELS = {
    "Nội bộ": (3, None),
    "Hội nghị nội bộ": (1, None),
    "Trang thông tin điện tử": (3, "https://sxd.daklak.gov.vn/tin-tuc/"),
    "Website": (1, "https://sxd.daklak.gov.vn/tin-tuc/"),
    "Zalo OA": (2, "https://zalo.me/sxddaklak/"),
    "Fanpage": (2, "https://www.facebook.com/sxddaklak/posts/"),
    "Facebook": (1, "https://www.facebook.com/sxddaklak/posts/"),
    "Báo chí": (1, None),
    "Cổ động trực quan": (1, None),
    "Niêm yết": (1, None),
}
_KINDS = ["Tin", "Tin", "Bài", "Bài viết", "Infographic", "Video", "Tờ gấp", "Hội nghị", "Khác"]
_SUBJECTS = [
    "Tuyên truyền thủ tục cấp giấy phép xây dựng trực tuyến",
    "Hội nghị triển khai Kế hoạch cải cách hành chính năm 2026",
    "Hướng dẫn nộp hồ sơ qua Cổng dịch vụ công quốc gia",
    "Niêm yết công khai thủ tục hành chính & mã QR tra cứu",
    "Chuyển đổi số trong quản lý trật tự xây dựng",
    "Kết quả chỉ số hài lòng của người dân, doanh nghiệp",
    "Tinh gọn tổ chức bộ máy theo Nghị quyết 18-NQ/TW",
    "Phổ biến Luật Xây dựng sửa đổi và các văn bản hướng dẫn",
]
_PROCEDURES = [
    "Cấp giấy phép xây dựng", "Thẩm định báo cáo nghiên cứu khả thi",
    "Cấp chứng chỉ hành nghề hoạt động xây dựng", "Công nhận hạng nhà chung cư",
    "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
]  # fmt: skip
_QUOTAS: list[Cell] = ["", "", "", 1, 2, 3, "2"]  # blank = the plan's default; "2" typed as text
# typical mistakes (about 1 % of product rows); each becomes a problem record
_MISTAKES = ["bad_date", "mm_dd", "unknown_unit", "bad_area", "bad_channel", "no_link", "dup"]


def _header(spec: TabSpec) -> list[Cell]:
    return list(spec.headers)


def _trim(row: list[Cell]) -> list[Cell]:
    """Google's shape: trailing blanks dropped, blanks in the middle as ""."""
    end = len(row)
    while end and row[end - 1] in ("", None):
        end -= 1
    return ["" if v is None else v for v in row[:end]]


def _day(rng: random.Random, first: date = FIRST_DAY, last: date = LAST_DAY) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _date_cell(rng: random.Random, day: date) -> Cell:
    """Mostly a date cell (serial number); sometimes typed as text, as people do."""
    roll = rng.random()
    if roll < 0.85:
        return date_to_serial(day)
    if roll < 0.95:
        return f"{day.day}/{day.month}/{day.year}"
    return day.isoformat()


def _units(rng: random.Random, count: int) -> list[tuple[str, str]]:
    names = [f"{k} {t} {p}" for p in _PLACES for t in _TOPICS for k in _UNIT_KINDS]
    rng.shuffle(names)
    return [(f"DV{i + 1:03d}", names[i]) for i in range(count)]


def synthetic_tabs(
    products: int, seed: int = SEED, units: int = UNIT_COUNT
) -> dict[str, list[list[Cell]]]:
    """The five input tabs (title -> rows, header first) for a sheet with ``units`` units,
    ``products`` rows in `Tin bài` (plus ~0.2 % blank rows), products/20 `Cụ thể hóa`,
    products/10 `Báo cáo đơn vị` and products/10 `Hồ sơ trễ hẹn` rows."""
    rng = random.Random(f"{seed}-{products}")
    roster_units = _units(rng, units)
    tabs: dict[str, list[list[Cell]]] = {}

    roster: list[list[Cell]] = [_header(UNITS)]
    for i, (code, name) in enumerate(roster_units):
        quota = rng.choice(_QUOTAS)
        status = "Ngừng hoạt động" if i % 37 == 36 else rng.choice(["Hoạt động", ""])
        email = f"{code.lower()}.sxd@daklak.gov.vn"
        if i % 5 == 0:
            email += f"; vanthu.{code.lower()}@daklak.gov.vn"
        roster.append(_trim([code, name, email, rng.choice(_PEOPLE), quota, status]))
    tabs[UNITS.title] = roster

    labels = list(_CHANNELS)
    weights = [w for w, _ in _CHANNELS.values()]
    rows: list[list[Cell]] = [_header(PRODUCTS)]
    for n in range(1, products + 1):
        if rng.random() < 0.002:
            rows.append([])  # a blank row: skipped, but row numbers stay the sheet's
        code, name = rng.choice(roster_units)
        day = _day(rng)
        channel = rng.choices(labels, weights)[0]
        prefix = _CHANNELS[channel][1]
        area: Cell = rng.randint(1, 7) if rng.random() < 0.7 else rng.choice(_AREAS)
        row: list[Cell] = [
            _date_cell(rng, day),
            code if rng.random() < 0.85 else name,
            area,
            channel,
            rng.choice(_KINDS),
            f"{rng.choice(_SUBJECTS)} tại {rng.choice(_PLACES)} (số {n})",
            f"{prefix}{n}" if prefix else "",
            rng.choice(_PEOPLE) if rng.random() < 0.7 else "",
            "Đăng lại từ Cổng TTĐT tỉnh" if rng.random() < 0.1 else "",
        ]
        if rng.random() < 0.01:
            mistake = rng.choice(_MISTAKES)
            if mistake == "bad_date":
                row[0] = "31/02/2026"
            elif mistake == "mm_dd":
                row[0] = "05/13/2026"
            elif mistake == "unknown_unit":
                row[1] = "PHÒNG ABC"
            elif mistake == "bad_area":
                row[2] = 9
            elif mistake == "bad_channel":
                row[3] = "Tivi"
            elif mistake == "no_link":
                row[3], row[6] = "Zalo OA", ""
            elif len(rows) > 1 and rows[-1]:
                row = list(rows[-1])  # an exact duplicate of the row above
        rows.append(_trim(row))
    tabs[PRODUCTS.title] = rows

    deadline = date(2026, 5, 15)
    rows = [_header(CONCRETIZATIONS)]
    for n in range(products // 20):
        code, _ = roster_units[n % units]
        day = _day(rng, deadline - timedelta(days=45), deadline + timedelta(days=20))
        link = f"https://sxd.daklak.gov.vn/van-ban/{n}" if n % 3 else ""
        rows.append(_trim([code, _date_cell(rng, day), f"{n + 1}/KH-{code}", link, ""]))
    tabs[CONCRETIZATIONS.title] = rows

    rows = [_header(UNIT_REPORTS)]
    for n in range(products // 10):
        code, _ = roster_units[n % units]
        month = 1 + (n // units) % 11
        period = rng.choice([f"2026-{month:02d}", f"Tháng {month}/2026", f"T{month}/2026"])
        sent = date(2026, month, 14) + timedelta(days=rng.randint(0, 9))
        rows.append(_trim([code, period, _date_cell(rng, sent), f"{n + 1}/BC-{code}", ""]))
    tabs[UNIT_REPORTS.title] = rows

    rows = [_header(DOSSIERS)]
    for n in range(products // 10):
        code, _ = roster_units[rng.randrange(units)]
        due = _day(rng)
        returned = due + timedelta(days=rng.randint(-2, 12))
        apology = due - timedelta(days=rng.randint(-3, 5))
        rows.append(
            _trim(
                [
                    f"000.00.{n % 100:02d}.H10-{due:%y%m%d}-{n:05d}",
                    rng.choice(_PROCEDURES),
                    code,
                    _date_cell(rng, due),
                    _date_cell(rng, returned) if returned <= LAST_DAY else "",
                    _date_cell(rng, apology) if apology <= LAST_DAY and n % 4 else "",
                    f"{n + 1}/PXL-{code}" if n % 4 else "",
                ]
            )
        )
    tabs[DOSSIERS.title] = rows
    return tabs


def synthetic_book(products: int, seed: int = SEED, units: int = UNIT_COUNT) -> RawBook:
    """``synthetic_tabs`` as the RawBook a read of that sheet gives (read at ``READ_AT``)."""
    tabs = synthetic_tabs(products, seed, units)
    return RawBook(
        source=f"synthetic-{products}",
        read_at=READ_AT,
        tabs={title: RawTab(title, rows) for title, rows in tabs.items()},
    )
