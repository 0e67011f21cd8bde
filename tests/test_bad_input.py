"""The bad-input matrix: every malformed thing units type gets an exact Vietnamese problem record
(or stops the run with an exact structural message), the good rows around it still count, and
nothing crashes. Text that is only differently encoded (NFD, stray/non-breaking/zero-width
spaces, the old tone-mark placement) is accepted and stored as NFC.

Each case is a tests.builders.book with two good products (rows 2 and 3 of `Tin bài`) plus the
bad input; normalize runs on it as read on 05/06/2026 (the book's read time) and verify makes the
May 2026 figures as of that day (window 15/04-14/05/2026)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import pytest

from tasks.calendar import parse_period
from tasks.compile import build_result
from tasks.errors import SheetStructureError
from tasks.models import Problem, RawBook, RawTab, Records
from tasks.normalize import MAX_TEXT, check_structure, normalize
from tasks.verify import Findings, verify
from tests.builders import ROSTER, book, product, unit_result
from tests.reliability import record

AS_OF = date(2026, 6, 5)  # also the day tests.builders.book was "read"
MAY = parse_period("2026-05")

GOOD_TITLES = ("Tin tốt thứ nhất", "Video tốt thứ hai")
GOOD = [
    product("05/05/2026", "VP", 3, "Trang thông tin điện tử", "Tin", GOOD_TITLES[0]),
    product(46148, "QLXD", 7, "Fanpage", "Video", GOOD_TITLES[1], "https://facebook.com/sxd/2"),
]
CONCRETIZED = ["VP", "10/05/2026", "12/KH-VP", "", ""]
REPORTED = ["VP", "2026-05", "18/05/2026", "15/BC-VP", ""]
DOSSIER = ["H1", "Cấp phép xây dựng", "VP", "10/05/2026", "12/05/2026", "09/05/2026", "01/PXL"]

HEADER_MISSING = "Thiếu cột bắt buộc '{}' ở dòng tiêu đề (dòng 1)."
UNKNOWN_UNIT = (
    "Không có đơn vị '{}' trong tab 'Đơn vị': ghi mã đơn vị (ví dụ VP) hoặc tên đầy đủ như "
    "trong danh sách."
)
UNREADABLE_DATE = "Không đọc được ngày '{}': hãy ghi theo dạng dd/mm/yyyy, ví dụ 05/03/2026."
BAD_AREA = (
    "Nội dung '{}' không thuộc 07 nội dung của Kế hoạch: ghi số từ 1 đến 7 hoặc tên nội dung."
)
BAD_QUOTA = "Chỉ tiêu phải là số nguyên từ 0 đến 1000; tạm coi như chưa giao chỉ tiêu."
LEGACY = (
    "Chữ có vẻ được gõ bằng bảng mã cũ (TCVN3/VNI), không phải Unicode; hãy gõ lại bằng bảng mã "
    "Unicode."
)
BAD_LINK = "Đường dẫn phải là địa chỉ web bắt đầu bằng http:// hoặc https://."
BAD_PERIOD = (
    "Kỳ báo cáo '{}' không đọc được: ghi 2026-05, Tháng 5/2026, T5/2026, 6 tháng 2026 hoặc "
    "Năm 2026."
)
STRUCTURE = "Bảng tính thiếu tab hoặc cột bắt buộc:\n"

Expected = tuple[str, int | None, str | None, str, str]  # tab, row, column, value, message


@dataclass(frozen=True)
class Case:
    id: str
    given: str  # what is wrong, for docs/reliability.md
    tabs: dict[str, list[list[Any]]] = field(default_factory=dict)
    problems: tuple[Expected, ...] = ()
    structural: str | None = None  # the exact SheetStructureError message
    edit: Callable[[RawBook], None] | None = None  # changes to the book beyond rows
    # For accepted input: checks the records/findings, returns what it was normalised to.
    accepted: Callable[[Records, Findings], str] | None = None
    counted: int = 2  # products counted in the May figures (the two good ones, unless said)


def products(*rows: list[Any], **tabs: list[list[Any]]) -> dict[str, list[list[Any]]]:
    """The two good products (rows 2 and 3) followed by ``rows`` (row 4 on)."""
    return {"products": [*GOOD, *rows], **tabs}


def bad_product(column: str, value: str, message: str, row: int = 4) -> tuple[Expected]:
    return (("Tin bài", row, column, value, message),)


def date_case(case_id: str, given: str, cell: Any, shown: str, message: str) -> Case:
    return Case(
        case_id,
        f"`Tin bài` row 4, Ngày = {cell!r}: {given}",
        products(product(cell, title="Tin ngày sai")),
        bad_product("Ngày", shown, message),
    )


def rename_tab(old: str, new: str) -> Callable[[RawBook], None]:
    def edit(raw: RawBook) -> None:
        raw.tabs = {
            (new if title == old else title): RawTab(new if title == old else title, tab.rows)
            for title, tab in raw.tabs.items()
        }

    return edit


def set_header(title: str, header: list[Any]) -> Callable[[RawBook], None]:
    def edit(raw: RawBook) -> None:
        raw.tabs[title].rows[0] = header

    return edit


def edits(*changes: Callable[[RawBook], None]) -> Callable[[RawBook], None]:
    def edit(raw: RawBook) -> None:
        for change in changes:
            change(raw)

    return edit


def set_rows(title: str, rows: list[list[Any]]) -> Callable[[RawBook], None]:
    def edit(raw: RawBook) -> None:
        raw.tabs[title].rows = rows

    return edit


def shuffle_products(raw: RawBook) -> None:
    tab = raw.tabs["Tin bài"]
    order = [5, 0, 1, 2, 3, 4, 6]  # Tiêu đề first, then Ngày ... Đường dẫn; extra column last
    header = [
        "Tiêu\u00a0đề",
        "\ufeffNGÀY",
        unicodedata.normalize("NFD", "Đơn vị"),
        "nội dung",
        "Hình  thức",
        "Loại sản phẩm",
        "Đường dẫn",
        "Cột riêng của đơn vị",
    ]
    tab.rows = [header] + [[row[i] for i in order] + ["ghi chú riêng"] for row in tab.rows[1:]]


def product_at(records: Records, title: str) -> pd.Series:
    found = records.products[records.products["title"] == title]
    assert len(found) == 1, f"{title!r} not read exactly once"
    return found.iloc[0]


# --------------------------------------------------------------------------- accepted checks


def ambiguous_is_day_first(records: Records, findings: Findings) -> str:
    row = product_at(records, "Tin ngày 4/5")
    assert row["date"] == date(2026, 5, 4)  # 4 May, never 5 April
    return f"read as {row['date']:%d/%m/%Y} (day first), counted in May"


def time_part_ignored(records: Records, findings: Findings) -> str:
    days = [product_at(records, t)["date"] for t in ("Tin có giờ", "Tin ô ngày giờ")]
    assert days == [date(2026, 5, 5), date(2026, 5, 5)]
    return "both read as 05/05/2026"


def words_date(records: Records, findings: Findings) -> str:
    assert product_at(records, "Tin ngày bằng chữ")["date"] == date(2026, 5, 5)
    return "read as 05/05/2026"


def procedure_code_decimals(records: Records, findings: Findings) -> str:
    assert records.posted_procedures["code"].tolist() == ["1.009970"]
    return "read as '1.009970' (the national code's six decimals)"


def code_stays_text(records: Records, findings: Findings) -> str:
    assert "001" in records.units["code"].tolist()
    assert product_at(records, "Tin của ban 001")["unit"] == "001"
    return "unit code '001' kept as text; the product counts for unit 001"


def nfd_is_nfc(records: Records, findings: Findings) -> str:
    row = product_at(records, "Tuyên truyền cải cách hành chính")
    assert row["unit"] == "VP"
    return "title stored NFC; unit name (NFD) matched to VP"


def spaces_collapsed(records: Records, findings: Findings) -> str:
    row = product_at(records, "Tin có khoảng trắng thừa")
    assert (row["unit"], row["channel"], row["kind"]) == ("VP", "website", "tin")
    return "unit VP, channel website, kind tin; title trimmed and collapsed"


def nbsp_spaces(records: Records, findings: Findings) -> str:
    row = product_at(records, "Tin Zalo có dấu cách cứng")
    assert row["channel"] == "zalo"
    return "channel matched to Zalo OA; title with plain spaces"


def invisible_removed(records: Records, findings: Findings) -> str:
    row = product_at(records, "Tin có ký tự ẩn")
    assert (row["unit"], row["kind"]) == ("QLXD", "infographic")
    return "unit QLXD, kind infographic; zero-width, BOM and soft hyphen removed"


def tone_placement(records: Records, findings: Findings) -> str:
    row = product_at(records, "Tin Hòa Bình")
    assert (row["unit"], row["kind"]) == ("HB", "infographic")
    return "unit matched to HB ('Hoà'/'Hòa', 'Thuỷ'/'Thủy'); 'Đồ hoạ' -> infographic"


def formula_is_text(records: Records, findings: Findings) -> str:
    title = '=HYPERLINK("http://evil.example/x","Tin")'
    assert product_at(records, title)["unit"] == "VP"
    return "kept verbatim as text (never evaluated)"


def blank_rows_skipped(records: Records, findings: Findings) -> str:
    rows = records.products["row"].tolist()
    assert rows == [2, 3, 10004]
    return "no problems; rows 2, 3 and 10004 read with the sheet's own row numbers"


def empty_tab_ok(records: Records, findings: Findings) -> str:
    assert records.dossiers.empty and build_result(findings)["late_dossiers"] == []
    return "no dossiers, no problems, the other tabs counted"


def titles_matched(records: Records, findings: Findings) -> str:
    assert records.tab_titles["products"] == "  TIN  BÀI "
    assert records.tab_titles["concretizations"] == "Cụ thể hoá"
    assert len(records.concretizations) == 1
    return "both tabs found; results name them as the sheet does"


def headers_matched(records: Records, findings: Findings) -> str:
    assert len(records.products) == 2
    return "all columns found; extra column ignored"


def quota_default(code: str) -> Callable[[Records, Findings], str]:
    def check(records: Records, findings: Findings) -> str:
        unit = unit_result(findings, code)
        assert unit["quota"] is None and unit["quota_met"] is None  # the plan sets no unit quota
        return f"unit {code} kept with no quota (no verdict)"

    return check


def status_default(records: Records, findings: Findings) -> str:
    assert "TS" in [u.code for u in findings.units]  # treated as active: checked
    return "unit TS kept and treated as active"


def email_dropped(records: Records, findings: Findings) -> str:
    units = records.units.set_index("code")
    assert units.loc["EM", "emails"] == ["em@sxd.vn"]
    return "unit EM kept with its one valid address"


# --------------------------------------------------------------------------- the matrix


def dossier_flag(code: str, apology: str, missed: bool) -> Callable[[Records, Findings], str]:
    def check(records: Records, findings: Findings) -> str:
        found = next(d for d in build_result(findings)["late_dossiers"] if d["code"] == code)
        assert found["apology"]["status"] == apology
        dossier = next(
            d for d in findings.outcome("apologies").context["dossiers"] if d["code"] == code
        )
        assert dossier["missed_new_due"] == missed
        return f"dossier {code}: apology {apology}" + (", late again after its new date" * missed)

    return check


def concretization_is(code: str, status: str) -> Callable[[Records, Findings], str]:
    def check(records: Records, findings: Findings) -> str:
        assert unit_result(findings, code)["concretization"]["status"] == status
        return f"unit {code}: concretisation {status}"

    return check


def areas_are(numbers: list[int]) -> Callable[[Records, Findings], str]:
    def check(records: Records, findings: Findings) -> str:
        assert records.products["area"].tolist()[2:] == numbers
        return f"read as contents {numbers}"

    return check


HB = ["HB", "Đội Thuỷ lợi Hoà Bình", "hb@sxd.vn", "", "", ""]
CASES: list[Case] = [
    # Dates in every wrong form
    date_case(
        "date-2-digit-year",
        "two-digit year",
        "05/05/26",
        "05/05/26",
        "Ngày '05/05/26' phải ghi năm đủ 4 chữ số, ví dụ 05/03/2026.",
    ),
    date_case(
        "date-english-month",
        "month as an English word",
        "5 May 2026",
        "5 May 2026",
        UNREADABLE_DATE.format("5 May 2026"),
    ),
    date_case(
        "date-year-first-slashes",
        "yyyy/mm/dd",
        "2026/05/05",
        "2026/05/05",
        UNREADABLE_DATE.format("2026/05/05"),
    ),
    date_case(
        "date-no-year", "day and month only", "05/05", "05/05", UNREADABLE_DATE.format("05/05")
    ),
    date_case(
        "date-31-april",
        "impossible date",
        "31/04/2026",
        "31/04/2026",
        "Ngày '31/04/2026' không tồn tại: tháng 4/2026 chỉ có 30 ngày.",
    ),
    date_case(
        "date-29-feb-2026",
        "29 February of a common year",
        "29/02/2026",
        "29/02/2026",
        "Ngày '29/02/2026' không tồn tại: tháng 2/2026 chỉ có 28 ngày.",
    ),
    date_case(
        "date-day-zero", "day 0", "00/05/2026", "00/05/2026", "Ngày '00/05/2026' không hợp lệ."
    ),
    date_case(
        "date-month-first",
        "mm/dd (month 13 does not exist)",
        "05/13/2026",
        "05/13/2026",
        "Ngày '05/13/2026' không hợp lệ: không có tháng 13 (ngày ghi theo thứ tự "
        "ngày/tháng/năm, có thể đã nhập tháng/ngày).",
    ),
    date_case(
        "date-iso-month-13",
        "ISO with month 13",
        "2026-13-01",
        "2026-13-01",
        "Ngày '2026-13-01' không hợp lệ: không có tháng 13.",
    ),
    date_case(
        "date-future",
        "after the day the data was read (05/06/2026)",
        "15/07/2026",
        "15/07/2026",
        "Ngày 15/07/2026 ở sau ngày đọc dữ liệu: chưa thể xảy ra, kiểm tra lại năm, tháng.",
    ),
    date_case(
        "date-year-typo",
        "year 1926",
        "05/05/1926",
        "05/05/1926",
        "Ngày '05/05/1926' ngoài khoảng hợp lý (năm 1926).",
    ),
    date_case(
        "date-serial-zero", "date cell holding 0", 0, "0", "Số '0' không phải là một ngày hợp lệ."
    ),
    date_case(
        "date-serial-negative",
        "negative number",
        -5,
        "-5",
        "Số '-5' không phải là một ngày hợp lệ.",
    ),
    date_case(
        "date-boolean",
        "a checkbox (TRUE)",
        True,
        "True",
        "Giá trị 'True' không phải là ngày.",
    ),
    date_case("date-blank", "required date left blank", "", "", "Ô ngày bắt buộc đang để trống."),
    date_case(
        "date-formula-text",
        "formula-looking text",
        "=TODAY()",
        "=TODAY()",
        UNREADABLE_DATE.format("=TODAY()"),
    ),
    Case(
        "date-ambiguous-accepted",
        "`Tin bài` row 4, Ngày = '04/05/2026' (could be 5 April in mm/dd)",
        products(product("04/05/2026", title="Tin ngày 4/5")),
        accepted=ambiguous_is_day_first,
        counted=3,
    ),
    Case(
        "date-with-time-accepted",
        "`Tin bài` rows 4-5, Ngày = '05/05/2026 14:30' and a date-time cell (serial 46147.6)",
        products(
            product("05/05/2026 14:30", title="Tin có giờ"),
            product(46147.6, title="Tin ô ngày giờ"),
        ),
        accepted=time_part_ignored,
        counted=4,
    ),
    Case(
        "date-in-words-accepted",
        "`Tin bài` row 4, Ngày = 'ngày 5 tháng 5 năm 2026'",
        products(product("ngày 5 tháng 5 năm 2026", title="Tin ngày bằng chữ")),
        accepted=words_date,
        counted=3,
    ),
    # Text in number columns, negative quotas, codes
    Case(
        "quota-text",
        "`Đơn vị` row 6, Chỉ tiêu = 'năm' (a word)",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", "năm", ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "năm", BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    Case(
        "quota-negative",
        "`Đơn vị` row 6, Chỉ tiêu = -2",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", -2, ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "-2", BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    Case(
        "quota-fraction",
        "`Đơn vị` row 6, Chỉ tiêu = 2.5",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", 2.5, ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "2.5", BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    Case(
        "area-number-out-of-range",
        "`Tin bài` row 4, Nội dung = 9 (number cell; the plan has 7 areas)",
        products(product(area=9)),
        bad_product("Nội dung", "9", BAD_AREA.format("9")),
    ),
    Case(
        "area-word-number",
        "`Tin bài` row 4, Nội dung = 'tám' (a number in words)",
        products(product(area="tám")),
        bad_product("Nội dung", "tám", BAD_AREA.format("tám")),
    ),
    Case(
        "code-leading-zeros-accepted",
        "`Đơn vị` code '001' and a product of unit '001'",
        products(
            product(unit="001", title="Tin của ban 001"),
            units=[*ROSTER, ["001", "Ban Quản lý dự án", "", "", "", ""]],
        ),
        accepted=code_stays_text,
        counted=3,
    ),
    # Unknown units, areas, channels, kinds, periods, statuses, addresses
    Case(
        "unit-unknown-products",
        "`Tin bài` row 4, Đơn vị = 'PHÒNG ABC'",
        products(product(unit="PHÒNG ABC")),
        bad_product("Đơn vị", "PHÒNG ABC", UNKNOWN_UNIT.format("PHÒNG ABC")),
    ),
    Case(
        "unit-unknown-concretization",
        "`Cụ thể hóa` row 3, Đơn vị = 'XYZ'",
        products(concretizations=[CONCRETIZED, ["XYZ", "10/05/2026"]]),
        (("Cụ thể hóa", 3, "Đơn vị", "XYZ", UNKNOWN_UNIT.format("XYZ")),),
    ),
    Case(
        "unit-unknown-unit-report",
        "`Báo cáo đơn vị` row 3, Đơn vị = 'Phòng Tài chính' (not in the roster)",
        products(unit_reports=[REPORTED, ["Phòng Tài chính", "2026-05", "18/05/2026"]]),
        (
            (
                "Báo cáo đơn vị",
                3,
                "Đơn vị",
                "Phòng Tài chính",
                UNKNOWN_UNIT.format("Phòng Tài chính"),
            ),
        ),
    ),
    Case(
        "unit-unknown-dossier",
        "`Hồ sơ trễ hẹn` row 3, Đơn vị = 'P.KT'",
        products(dossiers=[DOSSIER, ["H2", "", "P.KT", "11/05/2026", "", "", ""]]),
        (("Hồ sơ trễ hẹn", 3, "Đơn vị", "P.KT", UNKNOWN_UNIT.format("P.KT")),),
    ),
    Case(
        "area-unknown-name",
        "`Tin bài` row 4, Nội dung = 'Phòng chống tham nhũng'",
        products(product(area="Phòng chống tham nhũng")),
        bad_product(
            "Nội dung", "Phòng chống tham nhũng", BAD_AREA.format("Phòng chống tham nhũng")
        ),
    ),
    Case(
        "channel-unknown",
        "`Tin bài` row 4, Hình thức = 'Tivi'",
        products(product(channel="Tivi")),
        bad_product(
            "Hình thức",
            "Tivi",
            "Hình thức 'Tivi' không có trong Kế hoạch; chọn một trong: Nội bộ, Trang thông tin "
            "điện tử, Zalo OA, Fanpage, Báo chí, Cổ động trực quan.",
        ),
    ),
    Case(
        "kind-unknown",
        "`Tin bài` row 4, Loại sản phẩm = 'Bản tin'",
        products(product(kind="Bản tin")),
        bad_product(
            "Loại sản phẩm",
            "Bản tin",
            "Loại sản phẩm 'Bản tin' không hợp lệ; chọn một trong: Tin, Bài, Infographic, Video, "
            "Tờ gấp, Hội nghị, Khác.",
        ),
    ),
    Case(
        "period-unknown",
        "`Báo cáo đơn vị` row 3, Kỳ báo cáo = 'Quý 2/2026'",
        products(unit_reports=[REPORTED, ["QLXD", "Quý 2/2026", "18/05/2026"]]),
        (("Báo cáo đơn vị", 3, "Kỳ báo cáo", "Quý 2/2026", BAD_PERIOD.format("Quý 2/2026")),),
    ),
    Case(
        "period-month-13",
        "`Báo cáo đơn vị` row 3, Kỳ báo cáo = '2026-13'",
        products(unit_reports=[REPORTED, ["QLXD", "2026-13", "18/05/2026"]]),
        (("Báo cáo đơn vị", 3, "Kỳ báo cáo", "2026-13", BAD_PERIOD.format("2026-13")),),
    ),
    Case(
        "status-unknown",
        "`Đơn vị` row 6, Trạng thái = 'Tạm dừng'",
        products(units=[*ROSTER, ["TS", "Trung tâm", "", "", "", "Tạm dừng"]]),
        (
            (
                "Đơn vị",
                6,
                "Trạng thái",
                "Tạm dừng",
                "Trạng thái phải là 'Hoạt động' hoặc 'Ngừng hoạt động'; tạm coi là 'Hoạt động'.",
            ),
        ),
        accepted=status_default,
    ),
    Case(
        "email-invalid",
        "`Đơn vị` row 6, Email = 'em@sxd.vn; em@sxd' (second address has no domain suffix)",
        products(units=[*ROSTER, ["EM", "Phòng Em", "em@sxd.vn; em@sxd", "", "", ""]]),
        (
            (
                "Đơn vị",
                6,
                "Email",
                "em@sxd.vn; em@sxd",
                "Địa chỉ email 'em@sxd' không hợp lệ; bỏ qua.",
            ),
        ),
        accepted=email_dropped,
    ),
    # Links
    Case(
        "link-missing-online",
        "`Tin bài` row 4, Hình thức = 'Zalo OA' with no Đường dẫn",
        products(product(channel="Zalo OA", link="")),
        bad_product("Đường dẫn", "", "Hình thức 'Zalo OA' bắt buộc có Đường dẫn."),
    ),
    Case(
        "link-no-scheme",
        "`Tin bài` row 4, Đường dẫn = 'sxd.daklak.gov.vn/tin'",
        products(product(link="sxd.daklak.gov.vn/tin")),
        bad_product("Đường dẫn", "sxd.daklak.gov.vn/tin", BAD_LINK),
    ),
    Case(
        "link-javascript",
        "`Tin bài` row 4, Đường dẫn = 'javascript:alert(1)'",
        products(product(link="javascript:alert(1)")),
        bad_product("Đường dẫn", "javascript:alert(1)", BAD_LINK),
    ),
    Case(
        "posted-link-no-scheme",
        "`Thủ tục niêm yết` row 3, Đường dẫn = 'dichvucong.gov.vn/1.009974' (the QR-code sheet)",
        products(
            posted_procedures=[
                ["1.009972", "Cấp giấy phép xây dựng", "https://dichvucong.gov.vn/1.009972"],
                ["1.009974", "Cấp giấy phép sửa chữa", "dichvucong.gov.vn/1.009974"],
            ]
        ),
        (("Thủ tục niêm yết", 3, "Đường dẫn", "dichvucong.gov.vn/1.009974", BAD_LINK),),
    ),
    Case(
        "posted-code-as-number-accepted",
        "`Thủ tục niêm yết` row 2, Mã thủ tục = 1.00997 (1.009970 typed without a leading ')",
        products(posted_procedures=[[1.00997, "Cấp giấy phép xây dựng", "https://dvc.vn/x"]]),
        accepted=procedure_code_decimals,
    ),
    # Text that is only encoded differently: accepted, stored NFC
    Case(
        "text-nfd-accepted",
        "`Tin bài` row 4, title and unit name typed decomposed (NFD, macOS/Windows input)",
        products(
            product(
                unit=unicodedata.normalize("NFD", "Văn phòng Sở"),
                title=unicodedata.normalize("NFD", "Tuyên truyền cải cách hành chính"),
            )
        ),
        accepted=nfd_is_nfc,
        counted=3,
    ),
    Case(
        "text-stray-spaces-accepted",
        "`Tin bài` row 4, '  VP  ', 'Trang  thông tin   điện tử', ' Tin ' and a padded title",
        products(
            product(
                unit="  VP  ",
                channel="Trang  thông tin   điện tử",
                kind=" Tin ",
                title="  Tin   có khoảng trắng thừa ",
            )
        ),
        accepted=spaces_collapsed,
        counted=3,
    ),
    Case(
        "text-nbsp-accepted",
        "`Tin bài` row 4, non-breaking spaces: 'Zalo\\u00a0OA', title with U+00A0",
        products(product(channel="Zalo\u00a0OA", title="Tin\u00a0Zalo có dấu\u00a0cách cứng")),
        accepted=nbsp_spaces,
        counted=3,
    ),
    Case(
        "text-zero-width-accepted",
        "`Tin bài` row 4, 'QL\\u200bXD' (zero-width space), '\\ufeffInfographic' (BOM), "
        "'Tin có ký\\u00adtự ẩn' (soft hyphen)",
        products(
            product(
                unit="QL\u200bXD",
                kind="\ufeffInfographic",
                title="Tin có ký\u00ad tự\u200c ẩn",
            )
        ),
        accepted=invisible_removed,
        counted=3,
    ),
    Case(
        "text-tone-placement-accepted",
        "roster 'Đội Thuỷ lợi Hoà Bình' (old tone placement); product names 'Đội Thủy lợi Hòa "
        "Bình', kind 'Đồ hoạ'",
        products(
            product(unit="Đội Thủy lợi Hòa Bình", kind="Đồ hoạ", title="Tin Hòa Bình"),
            units=[*ROSTER, HB],
        ),
        accepted=tone_placement,
        counted=3,
    ),
    Case(
        "text-formula-accepted",
        '`Tin bài` row 4, Tiêu đề = \'=HYPERLINK("http://evil.example/x","Tin")\'',
        products(product(title='=HYPERLINK("http://evil.example/x","Tin")')),
        accepted=formula_is_text,
        counted=3,
    ),
    # Text that is wrong
    Case(
        "text-tcvn3",
        "`Tin bài` row 4, title typed with a TCVN3 (ABC) font: 'Së X©y dùng tuyªn truyÒn'",
        products(product(title="Së X©y dùng tuyªn truyÒn")),
        bad_product("Tiêu đề", "Së X©y dùng tuyªn truyÒn", LEGACY),
    ),
    Case(
        "text-vni",
        "`Tin bài` row 4, title typed with a VNI font: 'Sôû Xaây döïng tuyeân truyeàn'",
        products(product(title="Sôû Xaây döïng tuyeân truyeàn")),
        bad_product("Tiêu đề", "Sôû Xaây döïng tuyeân truyeàn", LEGACY),
    ),
    Case(
        "text-very-long",
        f"`Tin bài` row 4, a 5 000-character title (limit {MAX_TEXT})",
        products(product(title="Tuyên truyền " + "x" * 4987)),
        bad_product(
            "Tiêu đề",
            ("Tuyên truyền " + "x" * 4987)[:200],  # the problem shows the first 200 characters
            "Nội dung quá dài (5000 ký tự, tối đa 1000).",
        ),
    ),
    Case(
        "text-required-blank",
        "`Tin bài` row 4, Tiêu đề blank",
        products(product(title="")),
        bad_product("Tiêu đề", "", "Ô bắt buộc đang để trống."),
    ),
    Case(
        "text-only-invisible",
        "`Tin bài` row 4, Tiêu đề = '\\u00a0\\u200b ' (looks filled, is empty)",
        products(product(title="\u00a0\u200b ")),
        bad_product("Tiêu đề", "", "Ô bắt buộc đang để trống."),
    ),
    # Duplicates
    Case(
        "duplicate-product",
        "`Tin bài` row 4 repeats row 2, title in other case and spacing",
        products(product("05/05/2026", "VP", 3, "Website", "Tin", "TIN  TỐT THỨ NHẤT")),
        bad_product(
            "Tiêu đề",
            "TIN TỐT THỨ NHẤT",
            "Dòng trùng lặp với dòng 2 (cùng ngày, đơn vị, hình thức, loại và tiêu đề); chỉ "
            "tính một lần.",
        ),
    ),
    Case(
        "duplicate-unit-code",
        "`Đơn vị` row 6, code 'vp' (VP is row 2)",
        products(units=[*ROSTER, ["vp", "Văn phòng (nhập trùng)", "", "", "", ""]]),
        (("Đơn vị", 6, "Mã đơn vị", "vp", "Mã đơn vị trùng với dòng 2."),),
    ),
    Case(
        "duplicate-dossier-code",
        "`Hồ sơ trễ hẹn` row 3, Mã hồ sơ 'h1' (H1 is row 2)",
        products(dossiers=[DOSSIER, ["h1", "Cấp phép", "VP", "11/05/2026", "", "", ""]]),
        (
            (
                "Hồ sơ trễ hẹn",
                3,
                "Mã hồ sơ",
                "h1",
                "Mã hồ sơ trùng với dòng 2; chỉ tính dòng đầu tiên.",
            ),
        ),
    ),
    Case(
        "dossier-due-blank",
        "`Hồ sơ trễ hẹn` row 3, Ngày hẹn trả blank",
        products(dossiers=[DOSSIER, ["H3", "", "VP", "", "", "", ""]]),
        (("Hồ sơ trễ hẹn", 3, "Ngày hẹn trả", "", "Ô ngày bắt buộc đang để trống."),),
    ),
    Case(
        "dossier-returned-future",
        "`Hồ sơ trễ hẹn` row 3, Ngày trả kết quả = 01/05/2027",
        products(dossiers=[DOSSIER, ["H4", "", "VP", "10/05/2026", "01/05/2027", "", ""]]),
        (
            (
                "Hồ sơ trễ hẹn",
                3,
                "Ngày trả kết quả",
                "01/05/2027",
                "Ngày 01/05/2027 ở sau ngày đọc dữ liệu: chưa thể xảy ra, kiểm tra lại năm, tháng.",
            ),
        ),
    ),
    Case(
        "concretization-date-no-year",
        "`Cụ thể hóa` row 3, Ngày hoàn thành = '10/5'",
        products(concretizations=[CONCRETIZED, ["QLXD", "10/5"]]),
        (("Cụ thể hóa", 3, "Ngày hoàn thành", "10/5", UNREADABLE_DATE.format("10/5")),),
    ),
    # Structure: headers and tabs
    Case(
        "header-missing",
        "`Tin bài` header cell 'Tiêu đề' erased",
        products(),
        structural=STRUCTURE
        + "- tab 'Tin bài', dòng 1, cột 'Tiêu đề': "
        + HEADER_MISSING.format("Tiêu đề"),
        edit=set_header(
            "Tin bài",
            ["Ngày", "Đơn vị", "Nội dung", "Hình thức", "Loại sản phẩm", "", "Đường dẫn"],
        ),
    ),
    Case(
        "header-duplicated",
        "`Cụ thể hóa` header has 'Đơn vị' in columns A and E",
        products(),
        structural=STRUCTURE
        + "- tab 'Cụ thể hóa', dòng 1, cột 'Đơn vị': Cột 'Đơn vị' xuất hiện hai lần trong dòng "
        "tiêu đề (cột A và cột E); hãy xóa một cột. (giá trị: 'đơn vị')",
        edit=set_header(
            "Cụ thể hóa", ["Đơn vị", "Ngày hoàn thành", "Ghi chú", "Số, ký hiệu văn bản", "đơn vị"]
        ),
    ),
    Case(
        "header-merged-cells",
        "`Tin bài` header: 'Hình thức' merged over D:E, so 'Loại sản phẩm' arrives blank",
        products(),
        structural=STRUCTURE
        + "- tab 'Tin bài', dòng 1, cột 'Loại sản phẩm': "
        + HEADER_MISSING.format("Loại sản phẩm"),
        edit=set_header(
            "Tin bài", ["Ngày", "Đơn vị", "Nội dung", "Hình thức", "", "Tiêu đề", "Đường dẫn"]
        ),
    ),
    Case(
        "header-merged-title-row",
        "`Hồ sơ trễ hẹn` row 1 is a merged title, the header moved to row 2",
        products(),
        structural=STRUCTURE
        + "\n".join(
            f"- tab 'Hồ sơ trễ hẹn', dòng 1, cột '{c}': {HEADER_MISSING.format(c)}"
            for c in ("Mã hồ sơ", "Đơn vị", "Ngày hẹn trả")
        ),
        edit=set_rows(
            "Hồ sơ trễ hẹn",
            [
                ["DANH SÁCH HỒ SƠ TRỄ HẸN NĂM 2026"],
                ["Mã hồ sơ", "Thủ tục hành chính", "Đơn vị", "Ngày hẹn trả"],
                DOSSIER[:4],
            ],
        ),
    ),
    Case(
        "tab-renamed",
        "tab `Tin bài` renamed 'Tin bai' (diacritics lost)",
        products(),
        structural=STRUCTURE
        + "- tab 'Tin bài': Không tìm thấy tab 'Tin bài' (các tab hiện có: 'Đơn vị', 'Tin bai', "
        "'Cụ thể hóa', 'Báo cáo đơn vị', 'Hồ sơ trễ hẹn', 'Thủ tục niêm yết', 'Nhiệm vụ').",
        edit=rename_tab("Tin bài", "Tin bai"),
    ),
    Case(
        "tab-completely-empty",
        "tab `Báo cáo đơn vị` wiped (no header row at all)",
        products(),
        structural=STRUCTURE
        + "\n".join(
            f"- tab 'Báo cáo đơn vị', dòng 1, cột '{c}': {HEADER_MISSING.format(c)}"
            for c in ("Đơn vị", "Kỳ báo cáo", "Ngày gửi")
        ),
        edit=set_rows("Báo cáo đơn vị", []),
    ),
    Case(
        "tab-header-only-accepted",
        "tab `Hồ sơ trễ hẹn` has its header and no rows",
        products(),
        accepted=empty_tab_ok,
    ),
    Case(
        "tab-title-variants-accepted",
        "tabs titled '  TIN  BÀI ' and 'Cụ thể hoá' (case, spaces, old tone placement)",
        products(concretizations=[CONCRETIZED]),
        accepted=titles_matched,
        edit=edits(rename_tab("Tin bài", "  TIN  BÀI "), rename_tab("Cụ thể hóa", "Cụ thể hoá")),
    ),
    Case(
        "header-variants-accepted",
        "`Tin bài` header in another order, '\\ufeffNGÀY', 'Tiêu\\u00a0đề', NFD 'Đơn vị', "
        "an extra column",
        accepted=headers_matched,
        tabs=products(),
        edit=shuffle_products,
    ),
    Case(
        "blank-rows-10000",
        "`Tin bài` 10 000 blank rows (empty, and cells holding only spaces/NBSP) before row 10004",
        {
            "products": [
                GOOD[0],
                GOOD[1],
                *([[]] * 5000),
                *([["", None, " ", "\u00a0"]] * 5000),
                product("06/05/2026", "VP", 3, "Báo chí", "Bài", "Bài sau dòng trống", ""),
            ]
        },
        accepted=blank_rows_skipped,
        counted=3,
    ),
    # Round two: cells that used to stop the whole run (issue "bad input, round two")
    date_case(
        "date-year-zero",
        "year 0000 (date() cannot hold it)",
        "05/05/0000",
        "05/05/0000",
        "Ngày '05/05/0000' ngoài khoảng hợp lý (năm 0).",
    ),
    date_case(
        "date-iso-year-zero",
        "ISO date in year 0000",
        "0000-05-05",
        "0000-05-05",
        "Ngày '0000-05-05' ngoài khoảng hợp lý (năm 0).",
    ),
    Case(
        "area-5000-digits",
        "`Tin bài` row 4, Nội dung = a 5 000-digit number typed as text",
        products(product(area="1" * 5000, title="Tin số dài")),
        # the value is kept to 200 characters, the message quotes 80
        bad_product("Nội dung", "1" * 200, BAD_AREA.format("1" * 79 + "…")),
    ),
    Case(
        "area-huge-number-cell",
        "`Tin bài` row 4, Nội dung = a number cell of 5 000 digits",
        products(product(area=10**4999, title="Tin số dài")),
        bad_product(
            "Nội dung",
            "(số có khoảng 5000 chữ số)",
            BAD_AREA.format("(số có khoảng 5000 chữ số)"),
        ),
    ),
    Case(
        "quota-5000-digits",
        "`Đơn vị` row 6, Chỉ tiêu = a 5 000-digit number typed as text",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", "9" * 5000, ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "9" * 200, BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    Case(
        "quota-400-digits",
        "`Đơn vị` row 6, Chỉ tiêu = a 400-digit number cell (overflowed the chart)",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", 10**400, ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "(số có khoảng 401 chữ số)", BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    Case(
        "quota-infinite",
        "`Đơn vị` row 6, Chỉ tiêu = 1e400 (inf as a float)",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", float("inf"), ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "inf", BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    Case(
        "quota-over-limit",
        "`Đơn vị` row 6, Chỉ tiêu = 5000 (a typing slip: more than 1 000 a month)",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", 5000, ""]]),
        (("Đơn vị", 6, "Chỉ tiêu tin bài/tháng", "5000", BAD_QUOTA),),
        accepted=quota_default("QT"),
    ),
    # Rules of the plan, at their edges (accepted input, judged by the plan's words)
    Case(
        "dossier-new-due-before-due",
        "`Hồ sơ trễ hẹn` row 3, Ngày hẹn lại 08/05 before Ngày hẹn trả 10/05",
        products(dossiers=[DOSSIER, ["H5", "", "VP", "10/05/2026", "", "", "", "08/05/2026"]]),
        (
            (
                "Hồ sơ trễ hẹn",
                3,
                "Ngày hẹn lại",
                "08/05/2026",
                "Ngày hẹn lại phải sau Ngày hẹn trả (10/05/2026).",
            ),
        ),
    ),
    Case(
        "dossier-new-due-missed",
        "`Hồ sơ trễ hẹn` row 3: new date 15/05, returned 20/05 (a second delay)",
        products(
            dossiers=[
                DOSSIER,
                ["H6", "", "VP", "10/05/2026", "20/05/2026", "08/05/2026", "2/PXL", "15/05/2026"],
            ]
        ),
        accepted=dossier_flag("H6", "on_time", missed=True),
    ),
    Case(
        "apology-on-the-due-date",
        "`Hồ sơ trễ hẹn` row 3: apology dated on Ngày hẹn trả itself",
        products(
            dossiers=[DOSSIER, ["H7", "", "VP", "10/05/2026", "12/05/2026", "10/05/2026", "3/PXL"]]
        ),
        accepted=dossier_flag("H7", "late", missed=False),
    ),
    Case(
        "concretization-on-the-15th",
        "`Cụ thể hóa` row 2: VP dated 15/05/2026 (the plan: 'trước ngày 15/5/2026')",
        products(concretizations=[["VP", "15/05/2026", "12/KH-VP", "", ""]]),
        accepted=concretization_is("VP", "late"),
    ),
    Case(
        "quota-blank-no-verdict",
        "`Đơn vị` row 6, Chỉ tiêu left blank (the plan sets no unit quota)",
        products(units=[*ROSTER, ["QT", "Phòng Quy hoạch", "", "", "", ""]]),
        accepted=quota_default("QT"),
    ),
    Case(
        "area-plan-own-names-accepted",
        "`Tin bài` rows 4-5, Nội dung = the plan's own names of contents 6 and 7",
        products(
            product(area="Xây dựng chính quyền số", title="Tin số 6"),
            product(area="Tuyên truyền mô hình hay, điển hình tiên tiến", title="Tin số 7"),
        ),
        accepted=areas_are([6, 7]),
        counted=4,
    ),
    Case(
        "rows-sharing-all-but-the-title",
        "`Tin bài` 20 000 rows with the same date, unit, channel, kind and link, titles all "
        "different (normalising was quadratic: 30 s), then one exact repeat",
        products(
            *[product("06/05/2026", "VP", 2, "Website", "Tin", f"Tin {i}") for i in range(20_000)],
            product("06/05/2026", "VP", 2, "Website", "Tin", "Tin 7"),
        ),
        (
            (
                "Tin bài",
                20_004,
                "Tiêu đề",
                "Tin 7",
                "Dòng trùng lặp với dòng 11 (cùng ngày, đơn vị, hình thức, loại và tiêu đề); "
                "chỉ tính một lần.",
            ),
        ),
        counted=20_002,
    ),
]


# --------------------------------------------------------------------------- running a case


def _describe(problems: list[Expected] | tuple[Expected, ...]) -> str:
    return "; ".join(
        f"{tab} row {row}, {column} = '{value}': {message}"
        for tab, row, column, value, message in problems
    )


def _as_tuple(p: Problem) -> Expected:
    return (p.tab, p.row, p.column, p.value, p.message)


def _all_text_is_nfc(records: Records) -> None:
    invisible = set("\u200b\u200c\u200d\u2060\ufeff\u00ad\u00a0")
    for name in ("units", "products", "concretizations", "unit_reports", "dossiers"):
        frame: pd.DataFrame = getattr(records, name)
        for column in frame.columns:
            for value in frame[column]:
                if isinstance(value, str):
                    assert unicodedata.is_normalized("NFC", value), (name, column, value)
                    assert not invisible & set(value), (name, column, value)
                    assert value == value.strip() and "  " not in value, (name, column, value)


def _expected_text(case: Case) -> str:
    if case.structural:
        return "run stops: " + case.structural
    parts = []
    if case.problems:
        parts.append(_describe(case.problems))
    if case.accepted and not case.problems:
        parts.append("accepted")
    elif case.accepted:
        parts.append("row kept with the default")
    parts.append(f"{case.counted} products counted")
    return "; ".join(parts)


def test_the_matrix_is_big_and_ids_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, plan: Any) -> None:
    raw = book(**case.tabs)
    if case.edit:
        case.edit(raw)

    if case.structural:
        with pytest.raises(SheetStructureError) as err:
            normalize(raw, plan)
        actual = "run stops: " + str(err.value)
        record("input", case.id, case.given, _expected_text(case), actual)
        assert str(err.value) == case.structural
        # `cchc check` lists the same problems without raising
        assert [p.describe() for p in check_structure(raw)] == [
            p.describe() for p in err.value.problems
        ]
        return

    records, problems = normalize(raw, plan)
    findings = verify(records, plan, MAY, AS_OF, problems)
    got = [_as_tuple(p) for p in problems]
    shown = []
    if got:
        shown.append(_describe(got))
    if case.accepted:
        shown.append(case.accepted(records, findings))
    shown.append(f"{len(findings.products)} products counted")
    record("input", case.id, case.given, _expected_text(case), "; ".join(shown))

    assert got == list(case.problems)
    # The good rows around the bad one are read and counted.
    titles = records.products["title"].tolist()
    assert all(t in titles for t in GOOD_TITLES)
    assert len(findings.products) == case.counted
    assert all(p.row is not None and p.row >= 2 for p in problems)
    _all_text_is_nfc(records)
    if case.tabs.get("concretizations"):
        assert "VP" in records.concretizations["unit"].tolist()
    if case.tabs.get("unit_reports"):
        assert "VP" in records.unit_reports["unit"].tolist()
    if case.tabs.get("dossiers"):
        assert "H1" in records.dossiers["code"].tolist()
