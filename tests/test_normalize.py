import dataclasses
import unicodedata
from datetime import date

import pytest

from tasks import normalize as normalize_module
from tasks.contract import DOSSIERS, INPUT_TABS
from tasks.errors import SheetStructureError
from tasks.models import RawTab, Records
from tasks.normalize import PARSERS, check_structure, normalize
from tests.builders import book, product

AS_OF = date(2026, 6, 5)


def problems_of(raw, plan):
    _, problems = normalize(raw, plan, AS_OF)
    return [(p.tab, p.row, p.column, p.message) for p in problems]


def test_good_rows_are_read_with_codes_areas_channels_and_kinds(plan):
    raw = book(
        products=[
            product("05/05/2026", "VP", 3, "Website", "Tin"),
            product(46147, "Phòng Quản lý xây dựng", "Cải cách TTHC", "Zalo", "Bài viết"),
            product("2026-05-06", "qlxd", "7", "Fanpage", "clip"),
            product("6/5/2026", "TTR", "Cải cách thể chế", "Báo chí", "Tin bài", link=""),
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    p = records.products
    assert list(p["row"]) == [2, 3, 4, 5]  # sheet row numbers: the header is row 1
    assert list(p["unit"]) == ["VP", "QLXD", "QLXD", "TTR"]
    # 3 as typed; "Cải cách TTHC" is an alias of 2; "7"; "Cải cách thể chế" is the plan's 1.
    assert list(p["area"]) == [3, 2, 7, 1]
    assert list(p["channel"]) == ["website", "zalo", "fanpage", "bao_chi"]
    assert list(p["kind"]) == ["tin", "bai", "video", "bai"]
    assert list(p["date"]) == [date(2026, 5, 5)] * 2 + [date(2026, 5, 6), date(2026, 5, 6)]


def test_roster_quota_status_and_emails(plan):
    records, problems = normalize(book(), plan, AS_OF)
    units = records.units.set_index("code")
    assert problems == []
    assert units.loc["VP", "quota"] == 4
    assert units.loc["QLXD", "emails"] == ["qlxd@sxd.vn", "ql2@sxd.vn"]
    assert bool(units.loc["CU", "active"]) is False
    assert bool(units.loc["TTR", "active"]) is True


def test_codes_stay_text(plan):
    raw = book(
        units=[["001", "Ban Quản lý dự án", "", "", "", ""]],
        products=[product(unit="001")],
        dossiers=[["000123", "Cấp phép", "001", "10/05/2026", "", "", ""]],
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    assert records.units["code"].tolist() == ["001"]
    assert records.products["unit"].tolist() == ["001"]
    assert records.dossiers["code"].tolist() == ["000123"]


def test_headers_match_across_case_spaces_nfd_tone_placement_and_order(plan):
    raw = book(products=[product()])
    tab = raw.tabs["Tin bài"]
    header = [
        "  TIÊU ĐỀ ",
        "ngày",
        unicodedata.normalize("NFD", "Đơn vị"),
        "Nội dung",
        "Hình thức",
        "Loại  sản phẩm",
        "Đường dẫn",
        "Cột thêm",
    ]
    row = tab.rows[1]
    tab.rows[1] = [row[5], row[0], row[1], row[2], row[3], row[4], row[6], "ghi chú riêng"]
    tab.rows[0] = header
    raw.tabs = {
        ("Cụ thể hoá" if t == "Cụ thể hóa" else t): RawTab(t, v.rows) for t, v in raw.tabs.items()
    }
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    assert records.products.loc[0, "title"] == "Tin CCHC"
    assert records.tab_titles["concretizations"] == "Cụ thể hóa"


def test_text_is_nfc(plan):
    nfd_title = unicodedata.normalize("NFD", "Hội nghị quán triệt cải cách hành chính")
    records, _ = normalize(book(products=[product(title=nfd_title)]), plan, AS_OF)
    assert unicodedata.is_normalized("NFC", records.products.loc[0, "title"])


def test_each_bad_cell_is_a_problem_and_the_other_rows_count(plan):
    raw = book(
        products=[
            product("30/02/2026"),  # row 2: impossible date
            product("05/13/2026"),  # row 3: mm/dd
            product(unit="PHÒNG ABC"),  # row 4
            product(area=9),  # row 5
            product(channel="Tivi"),  # row 6
            product(kind="Bản tin"),  # row 7
            product(channel="Zalo OA", link=""),  # row 8: online channel without a link
            product(link="sxd.daklak.gov.vn/tin"),  # row 9
            product(title=""),  # row 10
            product("15/03/2027"),  # row 11: after the day the data was read
            [],  # row 12: blank, skipped
            ["", None, "  "],  # row 13: blank too
            product(title="Tin tốt"),  # row 14
            product(title="Tin tốt"),  # row 15: exact duplicate of row 14
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    found = {(p.row, p.column) for p in problems}
    assert found == {
        (2, "Ngày"),
        (3, "Ngày"),
        (4, "Đơn vị"),
        (5, "Nội dung"),
        (6, "Hình thức"),
        (7, "Loại sản phẩm"),
        (8, "Đường dẫn"),
        (9, "Đường dẫn"),
        (10, "Tiêu đề"),
        (11, "Ngày"),
        (15, "Tiêu đề"),
    }
    assert records.products["row"].tolist() == [14]
    by_row = {p.row: p for p in problems}
    assert by_row[2].value == "30/02/2026" and "28 ngày" in by_row[2].message
    assert "tháng/ngày" in by_row[3].message
    assert "PHÒNG ABC" in by_row[4].message
    assert "từ 1 đến 7" in by_row[5].message
    assert "bắt buộc có Đường dẫn" in by_row[8].message
    assert "15/03/2027 ở sau ngày đọc dữ liệu" in by_row[11].message
    assert "trùng lặp với dòng 14" in by_row[15].message
    assert all(p.tab == "Tin bài" for p in problems)


def test_a_row_with_two_bad_cells_gives_two_problems(plan):
    _, problems = normalize(book(products=[product("31/04/2026", unit="XYZ")]), plan, AS_OF)
    assert sorted(p.column for p in problems) == ["Ngày", "Đơn vị"]


def test_roster_problems_keep_the_unit_with_defaults(plan):
    raw = book(
        units=[
            ["VP", "Văn phòng Sở", "vp@sxd", "", "-1", "Tạm dừng"],
            ["VP", "Văn phòng (trùng)", "", "", "", ""],
            ["KT", "Phòng Kỹ thuật", "", "", "hai", ""],
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert records.units["code"].tolist() == ["VP", "KT"]
    assert records.units["quota"].isna().all()
    assert records.units["emails"].tolist() == [[], []]
    assert [(p.row, p.column) for p in problems] == [
        (2, "Chỉ tiêu tin bài/tháng"),
        (2, "Trạng thái"),
        (2, "Email"),
        (3, "Mã đơn vị"),
        (4, "Chỉ tiêu tin bài/tháng"),
    ]


def test_unit_reports_periods_and_dossier_duplicates(plan):
    raw = book(
        unit_reports=[
            ["VP", "Tháng 5/2026", "18/05/2026"],
            ["QLXD", "T5/2026", "19/05/2026"],
            ["TTR", "6 tháng 2026", "01/06/2026"],
            ["TTR", "Quý 2", "01/06/2026"],
        ],
        dossiers=[
            ["H1", "Cấp phép", "VP", "10/05/2026", "12/05/2026", "09/05/2026", "01/PXL"],
            ["H1", "Cấp phép", "VP", "11/05/2026", "", "", ""],
        ],
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert records.unit_reports["period"].tolist() == ["2026-05", "2026-05", "2026-H1"]
    assert records.dossiers["code"].tolist() == ["H1"]
    assert [(p.tab, p.row, p.column) for p in problems] == [
        ("Báo cáo đơn vị", 5, "Kỳ báo cáo"),
        ("Hồ sơ trễ hẹn", 3, "Mã hồ sơ"),
    ]
    assert "trùng với dòng 2" in problems[1].message


def test_missing_tab_and_missing_column_stop_the_run_naming_them(plan):
    raw = book()
    del raw.tabs["Hồ sơ trễ hẹn"]
    raw.tabs["Tin bài"].rows[0] = ["Ngày", "Đơn vị", "Nội dung", "Hình thức", "", "Tiêu đề"]
    with pytest.raises(SheetStructureError) as err:
        normalize(raw, plan, AS_OF)
    message = str(err.value)
    assert "Không tìm thấy tab 'Hồ sơ trễ hẹn'" in message
    assert "Thiếu cột bắt buộc 'Loại sản phẩm'" in message
    assert len(check_structure(raw)) == 2


def test_every_input_tab_has_a_parser_and_a_records_field():
    fields = [f.name for f in dataclasses.fields(Records) if f.name != "tab_titles"]
    assert [spec.key for spec in INPUT_TABS] == list(PARSERS) == fields


@pytest.fixture
def optional_dossiers(monkeypatch):
    """The contract with `Hồ sơ trễ hẹn` declared optional (no tab is optional today)."""
    optional = dataclasses.replace(DOSSIERS, required=False)
    tabs = tuple(optional if spec is DOSSIERS else spec for spec in INPUT_TABS)
    monkeypatch.setattr(normalize_module, "INPUT_TABS", tabs)


@pytest.mark.usefixtures("optional_dossiers")
def test_an_absent_optional_tab_is_an_empty_frame_not_a_problem(plan):
    raw = book()
    del raw.tabs[DOSSIERS.title]
    assert check_structure(raw) == []
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    assert records.dossiers.empty
    assert list(records.dossiers.columns) == ["row", *(c.key for c in DOSSIERS.columns)]
    assert DOSSIERS.key not in records.tab_titles  # not in the sheet


@pytest.mark.usefixtures("optional_dossiers")
def test_a_present_optional_tab_is_parsed_and_checked(plan):
    raw = book(dossiers=[["H1", "Cấp phép", "VP", "10/05/2026", "", "", ""], ["H2"]])
    records, problems = normalize(raw, plan, AS_OF)
    assert records.dossiers["code"].tolist() == ["H1"]
    assert [(p.tab, p.row, p.column) for p in problems] == [
        (DOSSIERS.title, 3, "Đơn vị"),
        (DOSSIERS.title, 3, "Ngày hẹn trả"),
    ]
    raw.tabs[DOSSIERS.title].rows[0] = ["Mã hồ sơ", "Đơn vị"]  # present: its columns count
    assert [p.column for p in check_structure(raw)] == ["Ngày hẹn trả"]


def test_duplicated_header_is_structural(plan):
    raw = book()
    raw.tabs["Cụ thể hóa"].rows[0] = ["Đơn vị", "Ngày hoàn thành", "Đơn vị"]
    problems = check_structure(raw)
    assert len(problems) == 1
    assert "xuất hiện hai lần" in problems[0].message and "cột A và cột C" in problems[0].message


def test_two_tabs_with_the_same_title_are_structural(plan):
    raw = book()
    raw.tabs["Tin  BÀI"] = RawTab("Tin  BÀI", [raw.tabs["Tin bài"].rows[0]])
    problems = check_structure(raw)
    assert [p.message for p in problems] == [
        "Có 2 tab cùng là 'Tin bài' ('Tin bài', 'Tin  BÀI'): hãy gộp lại thành một."
    ]


def test_an_appointment_may_lie_ahead_but_a_return_may_not(plan):
    raw = book(
        dossiers=[
            ["H1", "Cấp phép", "VP", "20/07/2026", "", "", ""],  # due after the read day: fine
            ["H2", "Cấp phép", "VP", "20/05/2026", "20/07/2026", "", ""],  # returned in future
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert records.dossiers["code"].tolist() == ["H1"]
    assert [(p.row, p.column) for p in problems] == [(3, "Ngày trả kết quả")]


def test_roster_e_mail_must_be_a_plain_address(plan):
    raw = book(units=[["VP", "Văn phòng Sở", "nguyễn@sxd.vn, vp@sxd.daklak.gov.vn", "", "", ""]])
    records, problems = normalize(raw, plan, AS_OF)
    assert records.units.loc[0, "emails"] == ["vp@sxd.daklak.gov.vn"]
    assert [p.message for p in problems] == ["Địa chỉ email 'nguyễn@sxd.vn' không hợp lệ; bỏ qua."]


def test_the_plans_own_names_of_the_07_contents_are_accepted(plan):
    names = [
        "Cải cách thể chế",
        "Cải cách thủ tục hành chính",
        "Cải cách tổ chức bộ máy",
        "Cải cách chế độ công vụ",
        "Cải cách tài chính công",
        "Xây dựng chính quyền số",
        "Tuyên truyền mô hình hay, điển hình tiên tiến",
    ]
    raw = book(products=[product(area=name, title=name) for name in names])
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    assert list(records.products["area"]) == [1, 2, 3, 4, 5, 6, 7]


def test_optional_detail_columns_are_read_and_a_bad_count_keeps_the_product(plan):
    def detail(attendees, outlet, copies) -> list:
        title = f"Bài {attendees} {outlet} {copies}"
        return [
            *product(channel="Báo chí", kind="Bài", title=title, link=""),
            attendees,
            outlet,
        ] + [copies]

    raw = book(
        products=[
            detail(120, "Báo Đắk Lắk", ""),
            detail("1.500", "", "2 000"),  # thousands grouped the Vietnamese way
            detail("năm mươi", "", "-3"),
        ],
        unit_reports=[["VP", "T5/2026", "18/05/2026", "", "", "Thiếu kinh phí", "Xin tập huấn"]],
    )
    records, problems = normalize(raw, plan, AS_OF)
    p = records.products
    assert len(p) == 3  # every product still counts
    assert list(p["outlet"]) == ["Báo Đắk Lắk", "", ""]
    assert p["attendees"].tolist()[:2] == [120, 1500] and p["copies"].tolist()[1] == 2000
    assert p["attendees"].isna().tolist()[2] and p["copies"].isna().tolist()[2]
    assert [(x.tab, x.row, x.column) for x in problems] == [
        ("Tin bài", 4, "Số người tham dự"),
        ("Tin bài", 4, "Số lượng"),
    ]
    assert problems[0].message.startswith("Số người tham dự phải là số nguyên từ 0 đến")
    reports = records.unit_reports
    assert reports[["difficulties", "proposals"]].values.tolist() == [
        ["Thiếu kinh phí", "Xin tập huấn"]
    ]


def test_a_sheet_without_the_optional_columns_reads_them_blank(plan):
    records, problems = normalize(book(products=[product()]), plan, AS_OF)
    assert problems == []
    row = records.products.iloc[0]
    assert (row["outlet"], row["attendees"], row["copies"]) == ("", None, None)
