"""Generate the bundled sample workbook ``data/sample/cchc-2026-mau.xlsx``.

Fictitious but realistic data of the Sở Xây dựng Đắk Lắk for the input tabs of the shared
sheet (DESIGN §3), dated 01/01/2026 to 27/11/2026. Deterministic (fixed seed, fixed workbook
properties and zip timestamps): rerunning rewrites the same bytes.

    .venv/bin/python data/sample/make_sample.py
"""

# Deliberate bad rows — intentional, they exercise the problem records; do not "fix" them:
#   Tin bài: date 30/02/2026 (no such day); date 05/13/2026 (mm/dd); unit "PHÒNG ABC"; area "9";
#     channel "Tivi"; Zalo OA without link; link "sxd.daklak.gov.vn/tin" (no http); blank title;
#     date 15/03/2062 (future: 2026 mistyped); an exact duplicate of an earlier row; plus two
#     blank rows (skipped).
#   Hồ sơ trễ hẹn: one Mã hồ sơ entered twice.
# Deliberate gaps: no website Tin/Bài in window 2026-07 (15/6-14/7); TTR and BQLDA have no
# Cụ thể hóa row, QHKT and VLXD are late, QLN is exactly on 15/5; a few units are below quota in
# some months; some unit reports are late or missing. The script prints the sheet row numbers.

from __future__ import annotations

import io
import random
import sys
import unicodedata
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tasks.contract import (  # noqa: E402
    CONCRETIZATIONS,
    DOSSIERS,
    POSTED_PROCEDURES,
    PRODUCTS,
    TASKS,
    UNIT_REPORTS,
    UNITS,
)

OUT = Path(__file__).with_name("cchc-2026-mau.xlsx")
FIXED_TIME = datetime(2026, 11, 27, 17, 0, 0)
LAST_DAY = date(2026, 11, 27)
WEBSITE_GAP = (date(2026, 6, 15), date(2026, 7, 14))  # ND09 window 2026-07: no website Tin/Bài
VN_HOLIDAYS = holidays.country_holidays("VN", years=2026)
EXTRA_WORKING = {date(2026, 8, 22)}
rng = random.Random(2026)
detail_rng = random.Random(79)  # the optional detail columns (plan mục IV.1, IV.4, IV.5)
slip_rng = random.Random(61)  # the optional columns for the apology slip

# code, name, mailboxes (@daklak.gov.vn, "" = no e-mail), contact, quota (None = default 2), status
UNIT_ROWS = [
    ("VP", "Văn phòng Sở", "vanphong.sxd vanthu.sxd", "Nguyễn Thị Thu Hà", 4, "Hoạt động"),
    ("TTR", "Thanh tra Sở", "", "Trần Văn Hùng", None, "Hoạt động"),
    ("KHTC", "Phòng Kế hoạch - Tài chính", "khtc.sxd", "Lê Thị Mai Anh", None, ""),
    ("QLXD", "Phòng Quản lý xây dựng", "qlxd.sxd", "Phạm Quốc Bảo", 3, "Hoạt động"),
    ("QHKT", "Phòng Quy hoạch - Kiến trúc", "qhkt.sxd", "H'Hen Niê", None, ""),
    ("PTĐT", "Phòng Phát triển đô thị và Hạ tầng kỹ thuật", "ptdt.sxd", "Y Phôn Byă", None, ""),
    ("QLN", "Phòng Quản lý nhà và Thị trường bất động sản", "qln.sxd", "Đỗ Minh Tuấn", None, ""),
    ("VLXD", "Phòng Kinh tế và Vật liệu xây dựng", "vlxd.sxd", "Võ Thị Hồng Nhung", None, ""),
    ("TTGĐ", "Trung tâm Giám định chất lượng xây dựng", "ttgd.sxd", "Huỳnh Văn Lộc", None, ""),
    ("BQLDA", "Ban Quản lý dự án đầu tư xây dựng", "bqlda.sxd", "Nguyễn Đình Khoa", 0, "Hoạt động"),
    ("TTKĐ", "Trung tâm Kiểm định xây dựng", "ttkd.sxd", "Bùi Thanh Sơn", None, "Ngừng hoạt động"),
]
ACTIVE = [u for u in UNIT_ROWS if u[5] != "Ngừng hoạt động"]
NAME = {u[0]: u[1] for u in UNIT_ROWS}
CONTACT = {u[0]: u[3] for u in UNIT_ROWS}

AREAS = [  # (name, some aliases) of the plan's 07 contents, numbered as the plan numbers them
    ("Cải cách thể chế", ["Thể chế"]),
    ("Cải cách thủ tục hành chính", ["TTHC", "Cải cách TTHC", "Thủ tục hành chính"]),
    ("Cải cách tổ chức bộ máy", ["Tổ chức bộ máy"]),
    ("Cải cách chế độ công vụ", ["Công vụ", "Chế độ công vụ"]),
    ("Cải cách tài chính công", ["Tài chính công"]),
    ("Xây dựng chính quyền số", ["Chuyển đổi số", "Chính quyền số"]),
    ("Tuyên truyền mô hình hay, điển hình tiên tiến", ["Mô hình hay", "Điển hình tiên tiến"]),
]
# channel key -> (weight, labels typed by units: canonical name repeated to dominate, then aliases)
CHANNELS = {
    "noi_bo": (3, ["Nội bộ", "Nội bộ", "Hội nghị nội bộ", "Họp cơ quan"]),
    "website": (2, ["Trang thông tin điện tử", "Trang thông tin điện tử", "Website", "Trang TTĐT"]),
    "zalo": (2, ["Zalo OA", "Zalo OA", "Zalo"]),
    "fanpage": (3, ["Fanpage", "Fanpage", "Facebook"]),
    "bao_chi": (1, ["Báo chí", "Báo điện tử", "Phát thanh - Truyền hình"]),
    "truc_quan": (2, ["Cổ động trực quan", "Niêm yết", "Mã QR"]),
}
KINDS = {  # channel key -> kind labels (aliases map back through KIND_ALIAS)
    "noi_bo": ["Hội nghị", "Hội nghị", "Khác"],
    "website": ["Tin", "Tin", "Bài", "Tin tức", "Infographic"],
    "zalo": ["Tin", "Infographic", "Video"],
    "fanpage": ["Tin", "Video", "Infographic", "Clip"],
    "bao_chi": ["Bài", "Bài viết", "Phóng sự"],
    "truc_quan": ["Tờ gấp", "Tờ rơi", "Khác"],
}
KIND_ALIAS = {"Tin tức": "Tin", "Bài viết": "Bài", "Clip": "Video", "Phóng sự": "Video"}
KIND_ALIAS["Tờ rơi"] = "Tờ gấp"
KIND_SET = {"Tin", "Bài", "Infographic", "Video", "Tờ gấp", "Hội nghị", "Khác"}
NEWS = [  # (area, title) for news items, articles, infographics, videos
    (7, "Mô hình “Một cửa thân thiện” tại Bộ phận tiếp nhận và trả kết quả của Sở"),
    (7, "Giải pháp số hóa hồ sơ cấp phép xây dựng được UBND tỉnh ghi nhận là mô hình hay"),
    (7, "Gương điển hình tiên tiến trong cải cách hành chính ngành Xây dựng năm 2026"),
    (7, "Sáng kiến rút ngắn thời gian thẩm định thiết kế cơ sở tại Sở Xây dựng"),
    (1, "Những điểm mới của Luật Xây dựng sửa đổi và các văn bản hướng dẫn thi hành"),
    (1, "Rà soát, hệ thống hóa văn bản quy phạm pháp luật lĩnh vực xây dựng năm 2026"),
    (1, "Lấy ý kiến dự thảo quy định phân cấp quản lý chất lượng công trình trên địa bàn tỉnh"),
    (1, "Phổ biến quy định mới về quản lý vật liệu xây dựng"),
    (2, "Sở Xây dựng triển khai tiếp nhận hồ sơ cấp phép xây dựng trực tuyến toàn trình"),
    (2, "Công bố danh mục thủ tục hành chính lĩnh vực xây dựng được chuẩn hóa"),
    (2, "Cắt giảm thời gian giải quyết thủ tục thẩm định báo cáo nghiên cứu khả thi"),
    (2, "Công khai đường dây nóng tiếp nhận phản ánh, kiến nghị về thủ tục hành chính"),
    (3, "Công bố quyết định quy định chức năng, nhiệm vụ và cơ cấu tổ chức của Sở Xây dựng"),
    (3, "Sắp xếp, tinh gọn các phòng chuyên môn và đơn vị sự nghiệp trực thuộc Sở"),
    (3, "Vận hành mô hình chính quyền địa phương hai cấp trong lĩnh vực xây dựng"),
    (3, "Phân cấp, ủy quyền giải quyết thủ tục hành chính lĩnh vực xây dựng cho cấp xã"),
    (4, "Tăng cường kỷ luật, kỷ cương hành chính trong thực thi công vụ"),
    (4, "Đánh giá, xếp loại công chức, viên chức theo kết quả, sản phẩm cụ thể"),
    (4, "Gương công chức tận tụy phục vụ người dân, doanh nghiệp"),
    (4, "Khảo sát mức độ hài lòng của người dân về thái độ phục vụ của công chức"),
    (5, "Thực hiện cơ chế tự chủ tài chính tại đơn vị sự nghiệp công lập thuộc Sở"),
    (5, "Công khai dự toán ngân sách năm 2026 của Sở Xây dựng"),
    (5, "Đẩy nhanh tiến độ giải ngân vốn đầu tư công năm 2026"),
    (5, "Thanh toán không dùng tiền mặt đối với phí, lệ phí thủ tục hành chính"),
    (6, "Hướng dẫn nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia"),
    (6, "Sở Xây dựng vận hành cơ sở dữ liệu về nhà ở và thị trường bất động sản"),
    (6, "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính lĩnh vực xây dựng"),
    (6, "Sử dụng chữ ký số trong xử lý văn bản, hồ sơ công việc"),
]
MEETINGS = [  # (area, title) for internal meetings
    (7, "Hội nghị biểu dương điển hình tiên tiến trong cải cách hành chính"),
    (4, "Sinh hoạt chuyên đề về đạo đức công vụ, văn hóa công sở tại chi bộ"),
    (1, "Hội nghị phổ biến văn bản quy phạm pháp luật mới lĩnh vực xây dựng"),
    (2, "Tập huấn tiếp nhận, giải quyết hồ sơ trên Hệ thống thông tin giải quyết TTHC tỉnh"),
    (3, "Họp triển khai phương án sắp xếp tổ chức bộ máy của Sở"),
    (4, "Hội nghị triển khai Quy tắc ứng xử của công chức, viên chức"),
    (5, "Hội nghị cán bộ, công chức, viên chức thông qua Quy chế chi tiêu nội bộ năm 2026"),
    (6, "Tập huấn sử dụng chữ ký số và phần mềm quản lý văn bản"),
]
VISUALS = [  # (area, title) for posters, leaflets, QR codes
    (2, "Pano tuyên truyền cải cách hành chính tại trụ sở Sở"),
    (2, "Niêm yết công khai thủ tục hành chính tại Bộ phận Một cửa"),
    (2, "Hướng dẫn hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ"),
    (4, "Công khai số điện thoại đường dây nóng và hộp thư góp ý"),
    (6, "Mã QR tra cứu thủ tục hành chính và nộp hồ sơ trực tuyến"),
    (6, "Hướng dẫn thanh toán trực tuyến phí, lệ phí"),
]
STAFF = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Phúc", "H'Linh Niê", "Ngô Thị Thanh Thủy"]
NOTES = ["Phối hợp với Báo Đắk Lắk", "Đăng lại trên Cổng TTĐT tỉnh", "Phát tại Bộ phận Một cửa"]
SHORTFALLS = {("TTR", 3): 1, ("QHKT", 6): 0, ("VP", 8): 3, ("VLXD", 9): 1, ("QLN", 10): 1}


def is_working(d: date) -> bool:
    return d in EXTRA_WORKING or (d.weekday() < 5 and d not in VN_HOLIDAYS)


def working_days(start: date, end: date) -> list[date]:
    days = (start + timedelta(n) for n in range((end - start).days + 1))
    return [d for d in days if is_working(d)]


def shift_working_days(d: date, n: int) -> date:
    step = timedelta(1 if n > 0 else -1)
    for _ in range(abs(n)):
        d += step
        while not is_working(d):
            d += step
    return d


def window(month: int) -> tuple[date, date]:
    """ND09 window of a 2026 month, clipped to the sample's date range."""
    start = date(2026, month - 1, 15) if month > 1 else date(2026, 1, 1)
    return start, min(date(2026, month, 14) if month < 12 else LAST_DAY, LAST_DAY)


def slug(text: str) -> str:
    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in bare if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in bare).split()[:9])


def date_cell(d: date) -> date | datetime | str:
    """Mostly a real date cell; sometimes text (dd/mm/yyyy, d/m/yyyy, ISO) or with a time part."""
    r = rng.random()
    if r < 0.80:
        return d
    if r < 0.86:
        return d.strftime("%d/%m/%Y")
    if r < 0.91:
        return f"{d.day}/{d.month}/{d.year}"
    if r < 0.95:
        return d.isoformat()
    return datetime(d.year, d.month, d.day, rng.randint(7, 16), rng.choice([0, 15, 30, 45]))


def product(code: str, d: date, seq: int, channel: str | None = None) -> dict:
    """One valid product row of a unit on a day (``channel`` forces the channel)."""
    ch = channel or rng.choices(list(CHANNELS), weights=[w for w, _ in CHANNELS.values()])[0]
    if ch == "website" and channel is None and WEBSITE_GAP[0] <= d <= WEBSITE_GAP[1]:
        ch = "fanpage"
    kind = rng.choice(["Tin", "Tin", "Bài", "Tin tức"] if ch == "website" else KINDS[ch])
    if ch == "noi_bo":
        area, title = rng.choice(MEETINGS)
    elif ch == "truc_quan":
        area, title = rng.choice(VISUALS)
    else:
        area = rng.randint(1, 7)
        title = rng.choice([t for a, t in NEWS if a == area])
        if KIND_ALIAS.get(kind, kind) in ("Infographic", "Video"):
            title = f"{kind}: {title}"
    r = rng.random()  # the area as a number cell, number text, full name or alias
    area_cell = area if r < 0.35 else str(area) if r < 0.5 else AREAS[area - 1][0]
    if r >= 0.8:
        area_cell = rng.choice(AREAS[area - 1][1])
    link = {
        "website": f"https://sxd.daklak.gov.vn/tin-tuc/{slug(title)}-{seq}.html",
        "zalo": f"https://zalo.me/sxddaklak/bai-viet/{seq}",
        "fanpage": f"https://www.facebook.com/sxddaklak/posts/{1_000_000 + seq}",
        "bao_chi": f"https://baodaklak.vn/thoi-su/{slug(title)}-{seq}.html",
    }.get(ch, "")
    if ch == "bao_chi" and rng.random() < 0.4:
        link = ""
    author = CONTACT[code] if rng.random() < 0.6 else rng.choice(STAFF + [""])
    note = rng.choice(NOTES) if rng.random() < 0.08 else ""
    unit = code if rng.random() < 0.7 else NAME[code]
    row = [date_cell(d), unit, area_cell, rng.choice(CHANNELS[ch][1]), kind, title, link]
    kind = KIND_ALIAS.get(kind, kind)
    row += [author, note, *channel_detail(ch, kind, link, row[3])]
    return {"d": d, "unit": code, "ch": ch, "kind": kind, "area": area, "row": row}


def channel_detail(ch: str, kind: str, link: str, channel_cell: str) -> list:
    """The optional columns Số người tham dự, Cơ quan báo chí, Số lượng (a generator of its own,
    so the other columns stay as they were before these columns existed)."""
    attendees = detail_rng.randint(3, 12) * 10 if kind == "Hội nghị" else ""
    outlet = ""
    if ch == "bao_chi":
        on_air = "Phát thanh" in channel_cell or not link and detail_rng.random() < 0.5
        outlet = "Đài Phát thanh và Truyền hình tỉnh" if on_air else "Báo Đắk Lắk"
        if detail_rng.random() < 0.15:
            outlet = ""  # not every unit writes the outlet down
    copies = detail_rng.choice([200, 300, 500, 1000]) if kind == "Tờ gấp" else ""
    return [attendees, outlet, copies]


def good_products() -> list[dict]:
    out: list[dict] = []
    seen: set[tuple] = set()
    for m in range(1, 13):
        days = working_days(*window(m))
        for code, _, _, _, quota, status in UNIT_ROWS:
            quota = 2 if quota is None else quota
            if status == "Ngừng hoạt động":
                n = 1 if m <= 2 else 0  # reported a little before it stopped
            elif (code, m) in SHORTFALLS:
                n = SHORTFALLS[code, m]
            elif m == 12:  # window still open on 27/11
                n = rng.randint(1, 2) if code == "VP" else rng.randint(0, 1)
            else:
                n = rng.randint(0, 1) if quota == 0 else quota + rng.choice([0, 0, 0, 1, 1])
            for i in range(n):
                # the Office's first item of each window goes on the website (none in 2026-07)
                channel = "website" if code == "VP" and i == 0 and m != 7 else None
                p = product(code, rng.choice(days), len(out) + 101, channel)
                while tuple(p["row"][:9]) in seen:  # the columns before the optional detail
                    p = product(code, rng.choice(days), len(out) + 101, channel)
                seen.add(tuple(p["row"][:9]))
                out.append(p)
    out.sort(key=lambda p: p["d"])
    return out


BAD_PRODUCTS = [  # (problem, day, unit, channel, {column: wrong value}) applied to a valid row
    ("Ngày không tồn tại (30/02/2026)", date(2026, 2, 27), "KHTC", "noi_bo", {0: "30/02/2026"}),
    # 2062 for 2026 (two digits swapped): far enough ahead to be "in the future" whatever day
    # the tests run.
    ("Năm gõ nhầm 2062 (ở tương lai)", date(2026, 3, 16), "TTR", "noi_bo", {0: "15/03/2062"}),
    ("Đơn vị không có trong danh sách", date(2026, 4, 8), "QLN", "zalo", {1: "PHÒNG ABC"}),
    ("Ngày ghi kiểu mm/dd (05/13/2026)", date(2026, 5, 13), "QLN", "fanpage", {0: "05/13/2026"}),
    ("Nội dung không tồn tại (9)", date(2026, 6, 23), "TTGĐ", "noi_bo", {2: "9"}),
    ("Hình thức không hợp lệ (Tivi)", date(2026, 7, 21), "PTĐT", "bao_chi", {3: "Tivi"}),
    ("Zalo OA thiếu đường dẫn", date(2026, 8, 12), "QLXD", "zalo", {6: ""}),
    (
        "Đường dẫn không có http(s)",
        date(2026, 9, 10),
        "VP",
        "website",
        {6: "sxd.daklak.gov.vn/tin"},
    ),
    ("Thiếu tiêu đề", date(2026, 10, 6), "VLXD", "noi_bo", {5: ""}),
]


def products_tab() -> tuple[list[list | None], list[tuple[int, str]]]:
    good = good_products()

    def first(pred, start: int) -> dict:
        return next(p for p in good[start:] if pred(p))

    first(lambda p: p["ch"] == "noi_bo", 40)["row"][5] = "Tập huấn R&D <Hà Nội> & “CCHC”"
    first(lambda p: p["unit"] == "QLXD", 80)["row"][1] = unicodedata.normalize("NFD", NAME["QLXD"])
    first(lambda p: p["unit"] == "QHKT", 120)["row"][1] = " Phòng  Quy hoạch -\u00a0Kiến trúc "
    rows = list(good)
    for n, (problem, d, code, channel, wrong) in enumerate(BAD_PRODUCTS):
        p = product(code, d, 901 + n, channel)
        p["row"][0] = d  # a plain date cell unless the date is the problem
        for column, value in wrong.items():
            p["row"][column] = value
        rows.append({"d": d, "bad": problem, "row": p["row"]})
    rows.sort(key=lambda p: p["d"])  # stable: a bad row follows the good rows of its day
    rows.insert(95, None)  # two blank rows, to be skipped
    rows.insert(205, None)
    src = next(i for i in range(170, len(rows)) if rows[i] and "bad" not in rows[i])
    dup = {"bad": f"Trùng lặp hoàn toàn với dòng {src + 2}", "row": list(rows[src]["row"])}
    rows.insert(src + 4, dup)
    for m in range(1, 13):  # the website quota: one Tin/Bài per window, except 2026-07
        start, end = window(m)
        web = [p for p in good if p["ch"] == "website" and p["kind"] in ("Tin", "Bài")]
        assert any(start <= p["d"] <= end for p in web) == (m != 7), m
    assert {p["area"] for p in good} == set(range(1, 8)) and {p["kind"] for p in good} == KIND_SET
    assert {p["ch"] for p in good} == set(CHANNELS) and {p["unit"] for p in good} == set(NAME)
    assert {p["d"].month for p in good} == set(range(1, 12))
    assert max(p["d"] for p in good) <= LAST_DAY
    bads = [(i + 2, p.get("bad") if p else "Dòng trống (bỏ qua)") for i, p in enumerate(rows)]
    return [p["row"] if p else None for p in rows], [b for b in bads if b[1]]


def concretizations_tab() -> list[list]:
    done = [  # TTR and BQLDA: missing; QLN on the deadline day; QHKT and VLXD late
        ("VP", date(2026, 3, 20), "18/KH-VP", ""),
        (NAME["QLXD"], date(2026, 4, 2), "45/KH-QLXD", ""),
        ("KHTC", date(2026, 4, 10), "21/KH-KHTC", ""),
        ("TTGĐ", date(2026, 4, 24), "09/KH-TTGĐ", ""),
        ("PTĐT", "08/05/2026", "33/KH-PTĐT", ""),
        ("QLN", date(2026, 5, 15), "27/KH-QLN", "Hoàn thành đúng ngày hết hạn"),
        ("QHKT", date(2026, 5, 20), "30/KH-QHKT", "Chậm do chờ ý kiến Lãnh đạo Sở"),
        (NAME["VLXD"], date(2026, 6, 3), "41/KH-VLXD", "Bổ sung sau khi sắp xếp nhân sự"),
    ]
    return [
        [unit, d, doc, f"https://sxd.daklak.gov.vn/van-ban/{slug(doc)}" if i % 3 else "", note]
        for i, (unit, d, doc, note) in enumerate(done)
    ]


def unit_reports_tab() -> list[list]:
    reports: list[tuple[date, list]] = []
    for code, *_ in ACTIVE:
        number = rng.randint(2, 6)
        forms = ["2026-{:02d}", "Tháng {}/2026", "T{}/2026"]
        periods = [(m, rng.choice(forms).format(m)) for m in range(1, 12)]
        periods.insert(6, (6, "6 tháng 2026"))
        for m, period in periods:
            r = rng.random()
            if r < 0.08:
                continue  # not sent
            delay = rng.randint(6, 8) if r < 0.18 else rng.randint(1, 3)  # working days
            sent = shift_working_days(date(2026, m, 14), delay)
            number += rng.randint(1, 4)
            doc = f"{number}/BC-{code}"
            link = f"https://sxd.daklak.gov.vn/van-ban/{slug(doc)}" if rng.random() < 0.3 else ""
            unit = code if rng.random() < 0.8 else NAME[code]
            notes = unit_report_notes()
            reports.append((sent, [unit, period, date_cell(sent), doc, link, *notes]))
    reports.sort(key=lambda r: r[0])
    return [row for _, row in reports]


DIFFICULTIES = [
    "Chưa có công chức thạo thiết kế infographic, dựng video ngắn.",
    "Kinh phí in tờ gấp, pano tuyên truyền chưa được bố trí riêng.",
    "Nhân sự vừa sắp xếp lại, chưa ổn định việc phân công đầu mối tuyên truyền.",
    "Tin, bài gửi đăng Trang thông tin điện tử của Sở phải chờ duyệt nhiều ngày.",
]
PROPOSALS = [
    "Đề nghị Văn phòng Sở tổ chức tập huấn kỹ năng viết tin, bài và làm infographic.",
    "Đề nghị bố trí kinh phí in tờ gấp hướng dẫn thủ tục hành chính năm 2026.",
    "Đề nghị rút ngắn thời gian duyệt tin, bài đăng Trang thông tin điện tử của Sở.",
]


def unit_report_notes() -> list[str]:
    """Khó khăn, vướng mắc and Đề xuất, kiến nghị: most reports leave them blank."""
    difficulty = detail_rng.choice(DIFFICULTIES) if detail_rng.random() < 0.2 else ""
    proposal = detail_rng.choice(PROPOSALS) if detail_rng.random() < 0.15 else ""
    return [difficulty, proposal]


PROCEDURES = [  # procedure, unit, working days allowed
    ("Cấp giấy phép xây dựng đối với công trình cấp III", "QLXD", 20),
    ("Cấp giấy phép xây dựng sửa chữa, cải tạo công trình", "QLXD", 20),
    ("Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng", "QLXD", 25),
    ("Cấp chứng chỉ năng lực hoạt động xây dựng hạng II, hạng III", "QLXD", 20),
    ("Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở", "TTGĐ", 20),
    ("Kiểm tra công tác nghiệm thu hoàn thành công trình xây dựng", "TTGĐ", 20),
    ("Thẩm định nhiệm vụ quy hoạch chi tiết xây dựng", "QHKT", 15),
    ("Cấp giấy phép quy hoạch dự án đầu tư xây dựng", "QHKT", 15),
    ("Cấp chứng chỉ hành nghề môi giới bất động sản", "QLN", 10),
    ("Thông báo nhà ở hình thành trong tương lai đủ điều kiện được bán", "QLN", 15),
    ("Tiếp nhận bản công bố hợp quy sản phẩm, hàng hóa vật liệu xây dựng", "VLXD", 5),
    ("Thẩm định dự án đầu tư xây dựng công trình hạ tầng kỹ thuật", "PTĐT", 20),
]


APPLICANTS = [
    "Công ty TNHH Xây dựng Ea Kao",
    "Ông Y Bhăm Niê",
    "Công ty Cổ phần Đầu tư Buôn Ma Thuột",
    "Bà Nguyễn Thị Lan",
    "Hợp tác xã Vật liệu xây dựng Cư M'gar",
]
REASONS = [
    "Hồ sơ phải lấy thêm ý kiến của cơ quan liên quan",
    "Chờ kết quả kiểm tra hiện trạng công trình",
    "Công chức thụ lý nghỉ ốm đột xuất",
]


def slip_detail() -> list[str]:
    """Tổ chức, cá nhân and Lý do (optional columns): not every row has them."""
    applicant = slip_rng.choice(APPLICANTS) if slip_rng.random() < 0.7 else ""
    reason = slip_rng.choice(REASONS) if slip_rng.random() < 0.5 else ""
    return [applicant, reason]


def dossiers_tab() -> list[list]:
    rows, apologies = [], {}
    received_days = sorted(rng.sample(working_days(date(2026, 1, 5), date(2026, 10, 9)), 20))
    for i, received in enumerate(received_days):
        procedure, code, days = rng.choice(PROCEDURES)
        due = shift_working_days(received, days)
        returned = None if i in (6, 13, 18) else due + timedelta(rng.randint(1, 12))
        apology = [
            shift_working_days(due, -rng.randint(0, 2)),  # on time
            due,  # late: on the due date itself, not at least 1 day before it
            shift_working_days(due, rng.randint(1, 4)),  # late
            None,  # missing
        ][i % 4]
        number = ""
        if apology:
            apologies[code] = apologies.get(code, 0) + 1
            number = f"{apologies[code]:02d}/PXL-{code}"
        unit = code if rng.random() < 0.8 else NAME[code]
        ref = f"H22.45-{received:%y%m%d}-{rng.randint(1, 40):04d}"
        # The new appointment the apology gave: kept, except dossier 5 (returned a day after it).
        new_due = None
        if apology:
            new_due = returned or due + timedelta(10)
            if i == 5 and returned:
                new_due = returned - timedelta(1)
        rows.append([ref, procedure, unit, due, returned, apology, number, new_due, *slip_detail()])
    retyped = list(rows[4])  # deliberate: the same Mã hồ sơ typed again, later in the sheet
    retyped[4] = retyped[4] + timedelta(2)
    rows.insert(12, retyped)
    return rows


NATIONAL_PORTAL = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html"
PROVINCE_PORTAL = "https://dichvucong.daklak.gov.vn/thu-tuc-hanh-chinh/chi-tiet"
ONE_STOP = "Bộ phận Một cửa Sở Xây dựng"
SERVICE_CENTRE = "Trung tâm Phục vụ hành chính công tỉnh"
# code, procedure, portal (national / province / none), place, day posted (None: not written).
# Codes are in the national database's form; the procedures are the Department's own. No rng:
# the other tabs stay byte for byte as they were. One procedure is posted at two places; one has
# no link yet (posted, no QR code); the province's links carry a "&" (escaped in the .docx).
POSTED = [
    ("1.009972", "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV (công trình "
     "không theo tuyến, theo tuyến trong đô thị, tín ngưỡng, tôn giáo)", "national", ONE_STOP,
     date(2026, 5, 18)),
    ("1.009972", "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV (công trình "
     "không theo tuyến, theo tuyến trong đô thị, tín ngưỡng, tôn giáo)", "national",
     SERVICE_CENTRE, date(2026, 5, 20)),
    ("1.009974", "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với công trình", "national",
     ONE_STOP, date(2026, 5, 18)),
    ("1.009976", "Điều chỉnh, gia hạn, cấp lại giấy phép xây dựng", "province", ONE_STOP,
     date(2026, 5, 18)),
    ("1.009794", "Thẩm định Báo cáo nghiên cứu khả thi đầu tư xây dựng / điều chỉnh Báo cáo "
     "nghiên cứu khả thi đầu tư xây dựng", "national", SERVICE_CENTRE, date(2026, 5, 20)),
    ("1.009795", "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở", "province",
     SERVICE_CENTRE, "20/05/2026"),
    ("1.009982", "Cấp chứng chỉ năng lực hoạt động xây dựng hạng II, hạng III", "national",
     ONE_STOP, date(2026, 6, 2)),
    ("1.009986", "Cấp chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III", "province",
     ONE_STOP, date(2026, 6, 2)),
    ("1.002572", "Cấp chứng chỉ hành nghề môi giới bất động sản", "national", ONE_STOP,
     date(2026, 6, 2)),
    ("1.010005", "Thông báo nhà ở hình thành trong tương lai đủ điều kiện được bán, thuê mua",
     "province", ONE_STOP, None),
    ("1.009940", "Tiếp nhận bản công bố hợp quy sản phẩm, hàng hóa vật liệu xây dựng", "national",
     ONE_STOP, date(2026, 7, 6)),
    ("1.007750", "Cho thuê nhà ở công vụ thuộc thẩm quyền quản lý của UBND tỉnh", "none",
     ONE_STOP, date(2026, 7, 6)),
]  # fmt: skip


def posted_tab() -> list[list]:
    links = {
        "national": NATIONAL_PORTAL + "?ma_thu_tuc={code}",
        "province": PROVINCE_PORTAL + "?ma={code}&co_quan=so-xay-dung",
        "none": "",
    }
    return [
        [code, name, links[portal].format(code=code), place, day]
        for code, name, portal, place, day in POSTED
    ]


# The "06 rõ" task list (plan I.2). No rng: the other tabs stay byte for byte as they were.
# unit, task, assignee, due, responsible, product, authority, done (None: not done), link slug.
# Deliberate: one task without Người thực hiện, one without Hạn hoàn thành, one without Sản phẩm,
# one without Cấp có thẩm quyền (problem records, still counted); three overdue on 27/11/2026
# (QHKT, TTR, VLXD), one done after its deadline (QLN), two not due yet (December).
GD, PGD = "Giám đốc Sở", "Phó Giám đốc Sở phụ trách"
TASK_ROWS = [
    ("VP", "Xây dựng Kế hoạch thông tin, tuyên truyền CCHC năm 2026 trình Giám đốc Sở ký ban hành",
     "Nguyễn Thị Thu Hà", date(2026, 5, 12), "Chánh Văn phòng Sở", "Kế hoạch được ban hành", GD,
     date(2026, 5, 11), "ke-hoach-tuyen-truyen-cchc-2026"),
    ("VP", "Duy trì chuyên mục CCHC trên Trang thông tin điện tử, tối thiểu 01 tin/bài mỗi tháng",
     "Ngô Thị Thanh Thủy", date(2026, 6, 30), "Chánh Văn phòng Sở",
     "Tin, bài đăng trên chuyên mục CCHC", GD, date(2026, 6, 29), "chuyen-muc-cchc"),
    ("VP", "Tổng hợp báo cáo kết quả thông tin, tuyên truyền CCHC 6 tháng đầu năm 2026",
     "Nguyễn Thị Thu Hà", date(2026, 6, 19), "Chánh Văn phòng Sở", "Báo cáo 6 tháng", GD,
     date(2026, 6, 18), ""),
    ("QLXD", "Biên soạn tờ gấp hướng dẫn hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ",
     "Trần Thị Bích Ngọc", date(2026, 6, 15), "Trưởng phòng Quản lý xây dựng",
     "Tờ gấp (500 bản)", PGD, date(2026, 6, 12), ""),
    ("QLXD", "Cập nhật, niêm yết thủ tục hành chính lĩnh vực hoạt động xây dựng kèm mã QR",
     "Lê Hoàng Phúc", date(2026, 7, 31), "Trưởng phòng Quản lý xây dựng",
     "Bảng niêm yết có mã QR tại Bộ phận Một cửa", PGD, date(2026, 7, 28), ""),
    ("QHKT", "Viết bài giới thiệu quy định mới về quy hoạch đô thị và nông thôn", "H'Linh Niê",
     date(2026, 9, 30), "Trưởng phòng Quy hoạch - Kiến trúc", "Bài viết trên Trang TTĐT", PGD,
     None, ""),
    ("TTR", "Tuyên truyền kỷ luật, kỷ cương hành chính trong thanh tra xây dựng", "",
     date(2026, 10, 15), "Chánh Thanh tra Sở", "Hội nghị nội bộ", GD, None, ""),
    ("KHTC", "Công khai dự toán và quyết toán ngân sách năm 2026 của Sở",
     "Lê Thị Mai Anh", date(2026, 8, 14), "Trưởng phòng Kế hoạch - Tài chính",
     "Văn bản công khai trên Trang TTĐT", GD, date(2026, 8, 10), "cong-khai-du-toan-2026"),
    ("PTĐT", "Hướng dẫn người dân đăng ký đấu nối hạ tầng kỹ thuật qua dịch vụ công trực tuyến",
     "Y Phôn Byă", date(2026, 9, 15), "Trưởng phòng Phát triển đô thị và Hạ tầng kỹ thuật", "",
     PGD, date(2026, 9, 11), "huong-dan-dau-noi-ha-tang"),
    ("QLN", "Video hướng dẫn thủ tục thông báo nhà ở hình thành trong tương lai đủ điều kiện bán",
     "Đỗ Minh Tuấn", date(2026, 8, 31), "Trưởng phòng Quản lý nhà và Thị trường bất động sản",
     "Video trên Fanpage của Sở", PGD, date(2026, 9, 8), ""),
    ("VLXD", "Tuyên truyền quy định công bố hợp quy vật liệu xây dựng tới doanh nghiệp",
     "Võ Thị Hồng Nhung", date(2026, 11, 20), "Trưởng phòng Kinh tế và Vật liệu xây dựng",
     "Tin trên Zalo OA của Sở", PGD, None, ""),
    ("TTGĐ", "Phổ biến quy trình giám định chất lượng công trình xây dựng", "Huỳnh Văn Lộc", None,
     "Giám đốc Trung tâm Giám định chất lượng xây dựng", "Tài liệu hướng dẫn", PGD, None, ""),
    ("BQLDA", "Công khai tiến độ giải ngân vốn đầu tư công các dự án do Ban quản lý",
     "Nguyễn Đình Khoa", date(2026, 10, 30), "Giám đốc Ban Quản lý dự án", "Bài viết", "",
     date(2026, 10, 28), ""),
    ("VP", "Tổng hợp tài liệu kiểm chứng chỉ số CCHC (PAR INDEX) năm 2026 về công tác tuyên truyền",
     "Nguyễn Thị Thu Hà", date(2026, 12, 10), "Chánh Văn phòng Sở", "Bộ tài liệu kiểm chứng",
     GD, None, ""),
    ("QLXD", "Tổng kết tuyên truyền cải cách thủ tục hành chính lĩnh vực xây dựng năm 2026",
     "Trần Thị Bích Ngọc", date(2026, 12, 15), "Trưởng phòng Quản lý xây dựng",
     "Báo cáo tổng kết", PGD, None, ""),
]  # fmt: skip


def tasks_tab() -> list[list]:
    return [
        [unit, task, assignee, due, responsible, product, authority, done,
         f"https://sxd.daklak.gov.vn/tin-tuc/{link}.html" if link else ""]
        for unit, task, assignee, due, responsible, product, authority, done, link in TASK_ROWS
    ]  # fmt: skip


def units_row(code, name, boxes, contact, quota, status) -> list:
    emails = "; ".join(f"{box}@daklak.gov.vn" for box in boxes.split())
    return [code, name, emails, contact, quota, status]


def write_tab(wb: Workbook, spec, rows: list, widths: list[int]) -> None:
    ws = wb.create_sheet(spec.title)
    ws.append(spec.headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        ws.append([None if v == "" else v for v in row or []])
        for cell in ws[r] if row else ():
            if isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def save(wb: Workbook, path: Path) -> None:
    """Save with fixed properties and zip timestamps (openpyxl stamps "modified" with now)."""
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = FIXED_TIME
    core = tostring(wb.properties.to_tree())
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            info.date_time = FIXED_TIME.timetuple()[:6]
            dst.writestr(info, data)


def main() -> None:
    products, bad_rows = products_tab()
    dossiers = dossiers_tab()
    tabs = [
        (UNITS, [units_row(*u) for u in UNIT_ROWS], [12, 46, 56, 22, 22, 18]),
        (PRODUCTS, products, [17, 40, 30, 24, 14, 80, 60, 22, 28, 14, 30, 12]),
        (CONCRETIZATIONS, concretizations_tab(), [36, 17, 18, 50, 34]),
        (UNIT_REPORTS, unit_reports_tab(), [36, 14, 17, 16, 50, 50, 50]),
        (DOSSIERS, dossiers, [22, 62, 40, 15, 17, 15, 17, 15, 40, 50]),
        (POSTED_PROCEDURES, posted_tab(), [12, 80, 70, 36, 15]),
        (TASKS, tasks_tab(), [12, 80, 24, 15, 44, 40, 26, 15, 60]),
    ]
    wb = Workbook()
    wb.remove(wb.active)
    for spec, rows, widths in tabs:
        write_tab(wb, spec, rows, widths)
    wb.properties.creator = wb.properties.lastModifiedBy = "Văn phòng Sở Xây dựng Đắk Lắk"
    wb.properties.title = "Theo dõi thông tin, tuyên truyền CCHC năm 2026 (dữ liệu mẫu)"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    save(wb, OUT)
    print(f"Đã ghi {OUT.relative_to(ROOT)}")
    for spec, rows, _ in tabs:
        print(f"  {spec.title}: {sum(1 for r in rows if r)} dòng dữ liệu")
    print("  Dòng lỗi cố ý trong 'Tin bài':")
    for number, label in bad_rows:
        print(f"    dòng {number}: {label}")
    codes = [row[0] for row in dossiers]
    for i, code in enumerate(codes):
        if (first := codes.index(code)) != i:
            print(f"  Hồ sơ trễ hẹn: dòng {i + 2} lặp Mã hồ sơ {code} của dòng {first + 2}")


if __name__ == "__main__":
    main()
