"""The report .docx (tasks.document + templates/bao-cao.docx), built from the real pipeline on the
bundled sample workbook and read back with python-docx; LibreOffice converts it to PDF."""

from __future__ import annotations

import copy
import logging
import os
import re
import shutil
import subprocess
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm

from tasks.calendar import parse_period
from tasks.collect import read_workbook
from tasks.compile import build_result, date_line, report_context
from tasks.document import (
    CHART_FONT,
    CHART_MAX_UNITS,
    DEFAULT_TEMPLATE,
    SECTION_TEMPLATE,
    TemplateError,
    chart_months,
    chart_units,
    document_fields,
    render_report,
    report_file_name,
    section_file_name,
    units_in_chart,
)
from tasks.errors import CchcError, OutputError
from tasks.normalize import normalize
from tasks.plan import load_plan
from tasks.verify import verify

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "cchc-2026-mau.xlsx"
AS_OF = date(2026, 11, 28)
PERIODS = ("2026-05", "2026-H1", "2026")
TNR = "Times New Roman"
MARKUP_TITLE = "R&D <Hà Nội> & “CCHC”"


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def plan():
    return load_plan(ROOT / "config" / "plan-2026.yaml")


@pytest.fixture(scope="module")
def records(plan):
    records, problems = normalize(read_workbook(SAMPLE), plan, AS_OF)
    return records, problems


@pytest.fixture(scope="module")
def findings(plan, records):
    recs, problems = records
    return {k: verify(recs, plan, parse_period(k), AS_OF, problems) for k in PERIODS}


@pytest.fixture(scope="module")
def contexts(plan, findings):
    return {k: report_context(f, plan) for k, f in findings.items()}


@pytest.fixture(scope="module")
def rendered(contexts, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    return {
        k: render_report(c, DEFAULT_TEMPLATE, folder / report_file_name(k))
        for k, c in contexts.items()
    }


@pytest.fixture(scope="module")
def docs(rendered) -> dict[str, Document]:
    return {k: docx.Document(str(p)) for k, p in rendered.items()}


# ------------------------------------------------------------------------------------- helpers


def paragraph_texts(doc: Document) -> list[str]:
    """Text of every paragraph of the body in document order, table cells included."""
    return [
        "".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))
    ]


def full_text(doc: Document) -> str:
    return "\n".join(paragraph_texts(doc))


def find_table(doc: Document, *headers: str):
    for table in doc.tables:
        first = [c.text.strip() for c in table.rows[0].cells]
        if all(h in first for h in headers):
            return table
    raise AssertionError(f"no table with header {headers}")


def rows_text(table) -> list[list[str]]:
    return [[c.text.strip() for c in row.cells] for row in table.rows]


def paragraph_with(doc: Document, text: str):
    for p in doc.paragraphs:
        if text in p.text:
            return p
    for table in doc.tables:
        for cell in (c for row in table.rows for c in row.cells):
            for p in cell.paragraphs:
                if text in p.text:
                    return p
    raise AssertionError(f"no paragraph with {text!r}")


def bold(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs)


# -------------------------------------------------------------------------------------- names


def test_report_file_names_are_readable_and_ascii():
    assert report_file_name("2026-05") == "Bao-cao-CCHC-thang-05-2026.docx"
    assert report_file_name("2026-H1") == "Bao-cao-CCHC-6-thang-2026.docx"
    assert report_file_name("2026") == "Bao-cao-CCHC-nam-2026.docx"
    for key in ("2026-01", "2026-12", "2026-H1", "2026"):
        name = report_file_name(key)
        assert name.isascii() and "/" not in name and "\\" not in name
    with pytest.raises(ValueError, match="không hợp lệ"):
        report_file_name("2026/05")


# ------------------------------------------------------------------------------------- layout


def test_page_is_a4_portrait_with_nd30_margins_and_a_landscape_annex(docs):
    for doc in docs.values():
        report, annex = doc.sections  # the annex is a section of its own
        assert report.page_width is not None and report.page_height is not None
        assert abs(report.page_width.mm - 210) < 0.5
        assert abs(report.page_height.mm - 297) < 0.5
        assert 20 <= report.top_margin.mm <= 25
        assert 20 <= report.bottom_margin.mm <= 25
        assert 30 <= report.left_margin.mm <= 35
        assert 15 <= report.right_margin.mm <= 20
        assert annex.orientation == WD_ORIENT.LANDSCAPE
        assert (round(annex.page_width.mm), round(annex.page_height.mm)) == (297, 210)
        # the binding edge, left in portrait, is the top in landscape
        assert 30 <= annex.top_margin.mm <= 35
        first = next(annex.iter_inner_content())
        assert first.text == "PHỤ LỤC I"
        # page numbers go on, also on the annex's first page
        assert annex.header.is_linked_to_previous and not annex.different_first_page_header_footer


def fonts_of(element) -> dict[str, str | None]:
    fonts = element.find(qn("w:rPr")).find(qn("w:rFonts"))
    return {a: fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")}


def test_times_new_roman_for_every_script(docs):
    doc = docs["2026-05"]
    expected = dict.fromkeys(("ascii", "hAnsi", "eastAsia", "cs"), TNR)
    styles = doc.styles
    assert fonts_of(styles["Normal"].element) == expected
    for name in ("Table Grid", "Normal Table"):
        assert fonts_of(styles[name].element) == expected, name
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert fonts_of(defaults) == expected
    theme = defaults.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert not [a for a in theme.attrib if "Theme" in a or "theme" in a]  # would override TNR
    # no run or style anywhere names another font
    for part in (doc.element, styles.element):
        for fonts in part.iter(qn("w:rFonts")):
            for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
                assert fonts.get(qn(f"w:{attr}")) in (None, TNR)


def test_body_text_format(docs):
    normal = docs["2026-05"].styles["Normal"]
    assert 13 <= normal.font.size.pt <= 14
    fmt = normal.paragraph_format
    assert fmt.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.JUSTIFY
    assert abs(fmt.first_line_indent.mm - 10) < 3
    assert fmt.space_after.pt == 6


def test_header_block(docs, contexts):
    doc, context = docs["2026-05"], contexts["2026-05"]
    table = doc.tables[0]
    (left, right), (number, day) = (row.cells for row in table.rows)
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None and {b.get(qn("w:val")) for b in borders} == {"nil"}

    left_lines = [p for p in left.paragraphs if p.text.strip()]
    assert [p.text for p in left_lines] == ["UBND TỈNH ĐẮK LẮK", "SỞ XÂY DỰNG"]
    assert not bold(left_lines[0]) and bold(left_lines[1])
    right_lines = [p for p in right.paragraphs if p.text.strip()]
    assert [p.text for p in right_lines] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert all(bold(p) for p in right_lines)
    # a rule (paragraph border) under the agency name and under the motto
    for cell in (left, right):
        assert any(p._p.find(".//" + qn("w:pBdr")) is not None for p in cell.paragraphs)

    assert re.fullmatch(r"Số:\s{3,}/BC-SXD", number.text.strip())
    date_paragraph = next(p for p in day.paragraphs if p.text.strip())
    assert date_paragraph.text == context["date_line"] == "Đắk Lắk, ngày 28 tháng 11 năm 2026"
    assert all(r.italic for r in date_paragraph.runs if r.text.strip())


def test_title_and_subject(docs):
    doc = docs["2026-05"]
    title = paragraph_with(doc, "BÁO CÁO")
    assert title.text == "BÁO CÁO" and bold(title)
    subject = paragraph_with(doc, "Kết quả thực hiện công tác")
    assert bold(subject)
    text = " ".join(subject.text.split())
    assert text == (
        "Kết quả thực hiện công tác thông tin, tuyên truyền cải cách hành chính tháng 5/2026 "
        "(từ ngày 15/04/2026 đến ngày 14/05/2026)"
    )


def test_date_line_leading_zero_rule_in_the_document(plan, records, tmp_path):
    assert date_line("Đắk Lắk", date(2026, 2, 5)) == "Đắk Lắk, ngày 05 tháng 02 năm 2026"
    assert date_line("Đắk Lắk", date(2026, 5, 15)) == "Đắk Lắk, ngày 15 tháng 5 năm 2026"
    assert date_line("Đắk Lắk", date(2026, 1, 20)) == "Đắk Lắk, ngày 20 tháng 01 năm 2026"
    recs, problems = records
    for key, as_of, expected in (
        ("2026-01", date(2026, 2, 5), "Đắk Lắk, ngày 05 tháng 02 năm 2026"),
        ("2026-05", date(2026, 5, 15), "Đắk Lắk, ngày 15 tháng 5 năm 2026"),
    ):
        found = verify(recs, plan, parse_period(key), as_of, problems)
        out = render_report(report_context(found, plan), DEFAULT_TEMPLATE, tmp_path / f"{key}.docx")
        day = docx.Document(str(out)).tables[0].rows[1].cells[1]
        assert day.text.strip() == expected


def test_page_numbers_from_page_two(docs):
    for doc in docs.values():
        section = doc.sections[0]
        assert section.different_first_page_header_footer
        header = section.header._element
        fields = [f.get(qn("w:instr")) for f in header.iter(qn("w:fldSimple"))]
        fields += [t.text for t in header.iter(qn("w:instrText"))]
        assert any(f and f.strip().split()[0] == "PAGE" for f in fields)
        first = section.first_page_header
        assert not first.is_linked_to_previous
        assert "PAGE" not in first._element.xml


def test_signature_block(docs, plan):
    doc = docs["2026-05"]
    table = next(t for t in doc.tables if "Nơi nhận:" in t.rows[0].cells[0].text)
    left, right = table.rows[0].cells
    heading = left.paragraphs[0]
    assert heading.text == "Nơi nhận:"
    assert all(r.bold and r.italic and r.font.size.pt == 12 for r in heading.runs)
    items = [p.text for p in left.paragraphs[1:] if p.text.strip()]
    assert items == [f"- {line}" for line in plan.noi_nhan]
    lines = [p.text for p in right.paragraphs]
    signer = [plan.signer.authority, plan.signer.title, plan.signer.name]
    assert [x for x in lines if x.strip()] == [x for x in signer if x]
    assert signer[1:] == ["GIÁM ĐỐC", "Cao Đình Huy"]  # as the plan is signed, no placeholder
    assert lines.count("") >= 3  # room for the signature


# ------------------------------------------------------------------------------------ content


@pytest.mark.parametrize("key", PERIODS)
def test_totals_rows_match_the_result(key, docs, findings):
    doc, result = docs[key], build_result(findings[key])
    products = len(findings[key].products)
    for header, totals in (
        ("Nội dung tuyên truyền", result["totals"]["by_area"]),
        ("Hình thức tuyên truyền", result["totals"]["by_channel"]),
        ("Loại sản phẩm", result["totals"]["by_kind"]),
    ):
        rows = rows_text(find_table(doc, "STT", header))
        body, total = rows[1:-1], rows[-1]
        assert [(r[1], int(r[2])) for r in body] == list(totals.items())
        assert total[0] == "Tổng cộng"
        assert int(total[-1]) == sum(totals.values()) == products

    # The units table: one column per column the plan's rules add.
    rows = rows_text(find_table(doc, "Phòng, đơn vị", "Số sản phẩm"))
    body, total = rows[1:-1], rows[-1]
    assert rows[0] == ["STT", "Phòng, đơn vị", "Số sản phẩm", *findings[key].unit_columns]
    assert [r[1:] for r in body] == [
        [u.name, str(u.products), *findings[key].unit_cells(u.code)] for u in findings[key].units
    ]
    assert int(total[2]) == sum(u.products for u in findings[key].units)


def test_concretization_and_reports_name_the_units(docs, findings):
    text = " ".join(full_text(docs["2026-05"]).split())
    units = build_result(findings["2026-05"])["units"]
    on_time = sum(u["concretization"]["status"] == "on_time" for u in units)
    assert f"có {on_time}/{len(units)} đơn vị hoàn thành đúng hạn" in text
    for unit in units:
        if unit["concretization"]["status"] in ("late", "missing"):
            assert unit["name"] in text.split("3. Sản phẩm tuyên truyền")[0]
    # A blank quota cell in the roster: no quota and no verdict (the plan sets none).
    table = rows_text(find_table(docs["2026-05"], "Cụ thể hóa", "Báo cáo kỳ"))
    quota = table[0].index("Chỉ tiêu - kết quả")
    assert [r[quota] for r in table[1:-1]] == [
        "Không giao" if u["quota"] is None else
        f"{u['quota']} - {'Đạt' if u['quota_met'] else 'Chưa đạt'}" for u in units
    ]  # fmt: skip


def test_late_dossiers_table(docs, findings):
    dossiers = build_result(findings["2026-05"])["late_dossiers"]
    assert dossiers, "the sample has late dossiers in May"
    rows = rows_text(find_table(docs["2026-05"], "Mã hồ sơ"))
    assert [r[1] for r in rows[1:-1]] == [d["code"] for d in dossiers]
    assert rows[-1][0].startswith(f"Tổng cộng: {len(dossiers)} hồ sơ trễ hẹn")


def test_the_06_ro_completion_rate_on_the_sample(docs):
    # Sample `Nhiệm vụ`: 15 tasks; due by 28/11 (the annual window ends 14/12): 12 (two are due
    # in December, one has no deadline); done 9 (QLN's after its deadline); overdue 3 (QHKT 30/9,
    # TTR 15/10, VLXD 20/11). May's window (15/4 - 14/5) holds only VP's plan, done on 11/5.
    year = full_text(docs["2026"])
    assert "đã hoàn thành 9/12 nhiệm vụ có hạn hoàn thành đến hết kỳ báo cáo, đạt tỷ lệ 75%" in year
    assert "(1 nhiệm vụ hoàn thành sau hạn); 3 nhiệm vụ quá hạn chưa hoàn thành." in year
    assert "Có 4/15 nhiệm vụ chưa bảo đảm nguyên tắc" in year
    table = find_table(docs["2026"], "Nhiệm vụ", "Hạn hoàn thành")
    assert [r.cells[-1].text for r in table.rows[1:]] == ["30/09/2026", "15/10/2026", "20/11/2026"]
    assert "đã hoàn thành 1/1 nhiệm vụ" in full_text(docs["2026-05"])


def test_sections_a_director_expects(docs, contexts):
    text = " ".join(full_text(docs["2026-05"]).split())
    headings = [
        "I. CÔNG TÁC CHỈ ĐẠO, TRIỂN KHAI", "II. KẾT QUẢ THỰC HIỆN", "III. ĐÁNH GIÁ CHUNG",
        "1. Ưu điểm", "2. Tồn tại, hạn chế", "3. Nguyên nhân", "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ",
        "V. ĐỀ XUẤT, KIẾN NGHỊ",
    ]  # fmt: skip
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    # I: the units' concretising documents by number and date, from the sheet
    assert "Phòng Quản lý xây dựng (45/KH-QLXD ngày 02/04/2026)" in text
    # III.3: a unit's own words about why it was late
    assert "Phòng Quy hoạch - Kiến trúc: Chậm do chờ ý kiến Lãnh đạo Sở." in text
    # V: the units to push, by name
    assert "Đề nghị Lãnh đạo Sở chỉ đạo các phòng, đơn vị: Thanh tra Sở" in text
    # the annex says which report it goes with, and its date
    date = contexts["2026-05"]["report_date"]
    assert date == "ngày 28 tháng 11 năm 2026"  # the report's own date (as of 28/11)
    assert f"(Kèm theo Báo cáo số /BC-SXD {date} của Sở Xây dựng)" in text


def test_detail_by_channel_from_the_optional_columns(docs, contexts, findings):
    texts = paragraph_texts(docs["2026-05"])
    details = contexts["2026-05"]["channel_details"]
    assert details and all(f"- {item}" in texts for item in details)
    products = findings["2026-05"].products
    meetings = products[products["kind"] == "hoi_nghi"]
    attendees = int(meetings["attendees"].dropna().sum())
    assert attendees > 0  # the sample records them
    internal = next(d for d in details if d.startswith("Nội bộ:"))
    assert f"{len(meetings)} hội nghị ({attendees} lượt người tham dự)" in internal
    press = products[products["channel"] == "bao_chi"]
    outlets = press["outlet"].value_counts()
    sentence = next(d for d in details if d.startswith("Báo chí:"))
    for outlet, count in outlets.items():
        assert (f"{outlet} ({count})" if outlet else f"chưa ghi tên cơ quan báo chí ({count})") in (
            sentence
        )
    # the procedures posted with their QR codes (tab Thủ tục niêm yết)
    posted = contexts["2026-05"]["posted"]
    assert (posted["procedures"], posted["with_qr"]) == (11, 10)  # the sample: one has no link
    assert (
        f"- Niêm yết công khai 11 thủ tục hành chính tại bộ phận tiếp nhận hồ sơ "
        f"({len(posted['places'])} nơi niêm yết); 10 thủ tục có mã QR tra cứu, 1 thủ tục chưa có."
    ) in texts
    year = next(d for d in contexts["2026"]["channel_details"] if d.startswith("Cổ động"))
    assert re.search(r"\d+ tờ gấp \([\d.]+ bản\)", year), year  # thousands with a dot: 1.200


def test_units_difficulties_and_proposals_reach_sections_iii_and_v(docs):
    text = " ".join(full_text(docs["2026-05"]).split())
    causes, proposals = text.index("3. Nguyên nhân"), text.index("V. ĐỀ XUẤT, KIẾN NGHỊ")
    # what units wrote in their May reports (Báo cáo đơn vị: Khó khăn, vướng mắc / Đề xuất)
    difficulty = (
        "- Chưa có công chức thạo thiết kế infographic, dựng video ngắn (Trung tâm Giám định chất "
        "lượng xây dựng)."
    )
    assert causes < text.index(difficulty) < proposals
    proposal = (
        "- Đề nghị bố trí kinh phí in tờ gấp hướng dẫn thủ tục hành chính năm 2026 (Thanh tra Sở)."
    )
    assert proposals < text.index("Các phòng, đơn vị đề xuất, kiến nghị:") < text.index(proposal)
    # Over six months, each text once with every unit that wrote it.
    half = " ".join(full_text(docs["2026-H1"]).split())
    assert half.count("Tin, bài gửi đăng Trang thông tin điện tử của Sở phải chờ duyệt") == 1


def test_the_part_for_the_cchc_report(contexts, tmp_path):
    context = contexts["2026-05"]
    out = render_report(context, SECTION_TEMPLATE, tmp_path / section_file_name("2026-05"))
    assert out.name == "Long-ghep-bao-cao-CCHC-thang-05-2026.docx"
    doc = docx.Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    section = context["cchc_section"]
    assert texts[1:] == [section["title"], *section["paragraphs"]]
    assert texts[0].startswith("(Phần lồng ghép vào báo cáo công tác cải cách hành chính tháng")
    assert doc.paragraphs[1].style.name == "CCHC Heading 2"
    assert "24 sản phẩm" in section["paragraphs"][1] and "Báo chí:" in section["paragraphs"][1]
    clauses = [r["title"] for r in context["requirements"]]
    assert [p.split(":")[0] for p in section["paragraphs"][2 : 2 + len(clauses)]] == clauses
    assert section["paragraphs"][-1].startswith("Tồn tại, hạn chế: ")
    assert not doc.inline_shapes  # no chart in the fragment


def test_the_offices_own_text_replaces_a_generated_section(contexts, tmp_path):
    context = copy.deepcopy(contexts["2026-05"])
    context["texts"]["proposals"] = ["Đề nghị Sở Nội vụ tổ chức tập huấn tuyên truyền CCHC."]
    context["texts"]["next_tasks"] = ["1. Tập trung tuyên truyền Luật Xây dựng sửa đổi."]
    out = render_report(context, DEFAULT_TEMPLATE, tmp_path / "own.docx")
    texts = paragraph_texts(docx.Document(str(out)))
    assert "Đề nghị Sở Nội vụ tổ chức tập huấn tuyên truyền CCHC." in texts
    assert not any(t.startswith("Đề nghị Lãnh đạo Sở chỉ đạo") for t in texts)
    assert not any(t.startswith("Các phòng, đơn vị đề xuất") for t in texts)
    assert "1. Tập trung tuyên truyền Luật Xây dựng sửa đổi." in texts
    assert not any(t.startswith("1. Văn phòng Sở tiếp tục theo dõi") for t in texts)


def test_no_totals_row_alone_on_a_page(docs):
    """The row before a table's last (its totals) keeps with it: Word and LibreOffice never move
    a totals row alone to the next page."""
    checked = 0
    for doc in docs.values():
        for table in doc.tables:
            rows = table.rows
            if not rows[-1].cells[0].text.startswith("Tổng cộng"):
                continue
            for p in rows[-2]._tr.iter(qn("w:p")):
                assert p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None
            checked += 1
    assert checked >= 15  # by content, channel, kind, unit; website months; dossiers


def test_shortcomings_are_listed(docs, contexts):
    texts = paragraph_texts(docs["2026-05"])
    for item in contexts["2026-05"]["shortcomings"]:
        assert f"- {item}" in texts


def test_three_editions(docs, contexts):
    month, half, year = (" ".join(full_text(docs[k]).split()) for k in PERIODS)
    assert "tháng 5/2026 (từ ngày 15/04/2026 đến ngày 14/05/2026)" in month
    assert "6 tháng đầu năm 2026 (từ ngày 15/12/2025 đến ngày 14/06/2026)" in half
    assert "năm 2026 (từ ngày 15/12/2025 đến ngày 14/12/2026)" in year
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRỌNG TÂM THÁNG 6/2026" in month
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRỌNG TÂM 6 THÁNG CUỐI NĂM 2026" in half
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRỌNG TÂM NĂM 2027" in year
    # website quota: one line for a month, a month-by-month table otherwise
    website = contexts["2026-05"]["website"]
    assert f"Trang thông tin điện tử đã đăng tải {website['count']} tin, bài" in month
    with pytest.raises(AssertionError):
        find_table(docs["2026-05"], "Tháng", "Thời gian")
    for key, months in (("2026-H1", 6), ("2026", 12)):
        rows = rows_text(find_table(docs[key], "Tháng", "Thời gian"))
        assert len(rows) == months + 2
        assert int(rows[-1][3]) == contexts[key]["website"]["count"]
    # fixed, editable tasks of the template
    for text in (month, half, year):
        assert "đôn đốc các phòng, đơn vị chưa đạt chỉ tiêu" in text
        assert "tối thiểu 01 tin, bài" in text and "mã QR" in text
    assert "Tổng kết, đánh giá việc thực hiện Kế hoạch năm 2026" in year
    assert "Tổng kết" not in month
    for doc in docs.values():
        assert "{{" not in full_text(doc) and "{%" not in full_text(doc)
        assert "[[" not in full_text(doc)


def test_charts_are_embedded(docs):
    for key, count in (("2026-05", 1), ("2026-H1", 2), ("2026", 2)):
        doc = docs[key]
        assert len(doc.inline_shapes) == count
        images = [p for p in doc.part.package.parts if p.content_type == "image/png"]
        assert len(images) == count
        assert all(p.blob.startswith(b"\x89PNG") for p in images)
        width = doc.inline_shapes[0].width
        assert width is not None and width <= Mm(165)


def caption_of_units_chart(doc: Document) -> str:
    return next(p.text for p in doc.paragraphs if p.text.startswith("Biểu đồ 1."))


def test_the_units_chart_shows_every_unit_of_the_sample(docs, contexts):
    assert len(contexts["2026-05"]["units"]) <= CHART_MAX_UNITS
    assert caption_of_units_chart(docs["2026-05"]) == (
        "Biểu đồ 1. Số sản phẩm tuyên truyền của các phòng, đơn vị tháng 5/2026"
    )


def test_a_province_roster_charts_the_units_furthest_behind(plan, tmp_path):
    from benchmarks.synthetic import synthetic_book

    recs, problems = normalize(synthetic_book(2_000), plan, AS_OF)
    context = report_context(verify(recs, plan, parse_period("2026-05"), AS_OF, problems), plan)
    units, quotas = context["units"], context["unit_quota"]["by_unit"]
    shown = units_in_chart(units, quotas)
    assert len(units) > 200 and len(shown) == CHART_MAX_UNITS

    def shortfall(unit: dict[str, Any]) -> int:
        quota = quotas.get(unit["code"], {}).get("quota")
        return max(quota - unit["products"], 0) if quota is not None else 0

    gaps = [shortfall(u) for u in shown]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 0
    left_out = [u for u in units if u not in shown]
    assert max(shortfall(u) for u in left_out) <= gaps[-1]
    if gaps[-1] == 0:  # the rest of the chart: the fewest products among those not behind
        fewest = max(u["products"] for u in shown if shortfall(u) == 0)
        assert all(u["products"] >= fewest for u in left_out if shortfall(u) == 0)
    doc = docx.Document(str(render_report(context, DEFAULT_TEMPLATE, tmp_path / "r.docx")))
    assert caption_of_units_chart(doc) == (
        "Biểu đồ 1. Số sản phẩm tuyên truyền của các phòng, đơn vị tháng 5/2026 "
        f"({CHART_MAX_UNITS}/{len(units)} đơn vị còn thiếu nhiều sản phẩm nhất so với chỉ tiêu, "
        "tiếp đến các đơn vị có ít sản phẩm nhất)"
    )
    assert len(doc.inline_shapes) == 1


def test_chart_font_shows_vietnamese(caplog):
    from matplotlib import font_manager, ft2font

    path = font_manager.findfont(
        font_manager.FontProperties(family=CHART_FONT), fallback_to_default=False
    )
    charmap = ft2font.FT2Font(path).get_charmap()
    vietnamese = "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    assert [c for c in vietnamese + vietnamese.upper() if ord(c) not in charmap] == []
    units = [{"code": code, "products": n} for code, n in (("PTĐT", 3), ("TTGĐ", 1), ("QLXD", 2))]
    quotas = {u["code"]: {"quota": 2, "met": u["products"] >= 2} for u in units}
    by_month = [{"period": f"2026-{m:02d}", "count": m} for m in range(1, 7)]
    with caplog.at_level(logging.WARNING, logger="tasks.document"), warnings.catch_warnings():
        warnings.simplefilter("error")  # any matplotlib warning fails the test
        for png in (chart_units(units, quotas), chart_months(by_month)):
            assert png.startswith(b"\x89PNG")
    assert not caplog.records
    # and the check does see a glyph the font lacks
    with caplog.at_level(logging.WARNING, logger="tasks.document"):
        chart_units([{"code": "建设", "products": 1}], {})
    assert any("thiếu ký tự" in r.getMessage() for r in caplog.records)


def test_annex_lists_products_and_no_internal_data_problems(docs, contexts, findings):
    doc, context = docs["2026-05"], contexts["2026-05"]
    texts = paragraph_texts(doc)
    # Data problems are the Office's clean-up: never in the report sent to Sở Nội vụ.
    assert findings["2026-05"].problems and "problems" not in context
    assert "PHỤ LỤC II" not in texts
    with pytest.raises(AssertionError, match="no table"):
        find_table(doc, "Tab", "Nội dung lỗi")
    assert not any(p.message in full_text(doc) for p in findings["2026-05"].problems)
    annex = [getattr(block, "text", "") for block in doc.sections[-1].iter_inner_content()]
    assert annex[:3] == [
        "PHỤ LỤC I",
        "DANH SÁCH SẢN PHẨM TUYÊN TRUYỀN CẢI CÁCH HÀNH CHÍNH THÁNG 5/2026",
        f"(Kèm theo Báo cáo số      /BC-SXD {context['report_date']} của Sở Xây dựng)",
    ]
    rows = rows_text(find_table(doc, "Tiêu đề", "Đường dẫn"))
    assert rows[0] == [
        "STT", "Ngày", "Đơn vị", "Nội dung", "Hình thức", "Loại", "Tiêu đề", "Đường dẫn",
    ]  # fmt: skip
    expected = [
        [str(p[k]) for k in ("stt", "date", "unit", "area", "channel", "kind", "title", "link")]
        for p in context["products"]
    ]
    assert rows[1:] == expected
    table = find_table(doc, "Tiêu đề", "Đường dẫn")
    assert table.rows[0]._tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None


def test_markup_in_data_survives_and_nothing_is_cut(contexts, tmp_path):
    context = copy.deepcopy(contexts["2026-05"])
    middle = len(context["products"]) // 2
    context["products"][middle]["title"] = MARKUP_TITLE
    context["products"][middle]["link"] = "https://sxd.daklak.gov.vn/?a=1&b=<2>"
    context["shortcomings"].insert(0, f"Tin {MARKUP_TITLE} chưa có đường dẫn.")
    context["units"][0]["name"] = "Văn phòng Sở <VP> & Cộng sự"
    context["units"][1]["name"] = "a\x0bb <c> & d"  # a control character XML forbids
    out = render_report(context, DEFAULT_TEMPLATE, tmp_path / "markup.docx")
    doc = docx.Document(str(out))
    texts = paragraph_texts(doc)
    assert MARKUP_TITLE in texts
    assert "https://sxd.daklak.gov.vn/?a=1&b=<2>" in texts
    assert f"- Tin {MARKUP_TITLE} chưa có đường dẫn." in texts
    assert "Văn phòng Sở <VP> & Cộng sự" in texts
    assert "ab <c> & d" in texts
    # not truncated: every product row, section III, the signature and annex II are there
    rows = rows_text(find_table(doc, "Tiêu đề", "Đường dẫn"))
    assert len(rows) == len(context["products"]) + 1
    assert rows[middle + 1][6] == MARKUP_TITLE
    assert any(t.startswith("IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRỌNG TÂM") for t in texts)
    assert "Nơi nhận:" in texts


def test_empty_period_uses_the_else_sentences(contexts, tmp_path):
    context = copy.deepcopy(contexts["2026-05"])
    for key in ("products", "shortcomings"):
        context[key] = []
    context["apologies"]["dossiers"] = []
    context["summary"]["problems"] = 0
    out = render_report(context, DEFAULT_TEMPLATE, tmp_path / "empty.docx")
    text = full_text(docx.Document(str(out)))
    assert "Trong kỳ, chưa có sản phẩm tuyên truyền nào được ghi nhận." in text
    assert "không có hồ sơ thủ tục hành chính giải quyết trễ hẹn" in text
    assert "chưa phát hiện tồn tại, hạn chế" in text
    assert "[[" not in text and "CCHC-ROWS" not in text


def test_document_xml_is_well_ordered(rendered):
    """Word shows a repair prompt for elements out of schema order; check the ones we write."""
    orders = {
        "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
        "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
        "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
        "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
        "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
        "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
        "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs "
        "highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish "
        "oMath",
        "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize "
        "tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
        "tblDescription",
        "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
        "tcFitText vAlign hideMark",
    }
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for path in rendered.values():
        doc = docx.Document(str(path))
        parts = [doc.element, doc.styles.element, doc.sections[0].header._element]
        for part in parts:
            for tag, order in orders.items():
                rank = {name: i for i, name in enumerate(order.split())}
                for element in part.iter(qn(f"w:{tag}")):
                    names = [c.tag[len(w) :] for c in element if c.tag.startswith(w)]
                    ranks = [rank[n] for n in names if n in rank]
                    assert ranks == sorted(ranks), f"{tag}: {names}"
            for cell in part.iter(qn("w:tc")):
                assert cell.find(qn("w:p")) is not None, "a table cell needs a paragraph"
            for table in part.iter(qn("w:tbl")):
                grid = table.find(qn("w:tblGrid"))
                assert grid is not None and len(grid) >= 1


def test_document_fields_are_documented(contexts):
    doc = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    context = contexts["2026-H1"]
    extra = document_fields(context)
    assert not set(extra) & set(context)
    for key, value in {**context, **extra}.items():
        assert f"`{key}" in doc, key
        if isinstance(value, dict):
            for sub in value:
                assert f"`{key}.{sub}`" in doc or f"{sub}`" in doc, f"{key}.{sub}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for sub in value[0]:
                assert f"`{sub}`" in doc, f"{key}[].{sub}"
    assert "`charts.units`" in doc and "`charts.months`" in doc


# ------------------------------------------------------------------------------------- errors


def test_unknown_field_fails_loudly_naming_it(contexts, tmp_path):
    for text, field in (
        ("Xin chào {{ no_such_field }}", "no_such_field"),
        ("Số: {{ summary.no_such }}", "summary.no_such"),
        ("{%p if no_such_flag %}", "no_such_flag"),
    ):
        template = tmp_path / "mau.docx"
        tiny = docx.Document()
        tiny.add_paragraph(text)
        if text.startswith("{%p if"):
            tiny.add_paragraph("x")
            tiny.add_paragraph("{%p endif %}")
        tiny.save(str(template))
        with pytest.raises(TemplateError) as caught:
            render_report(contexts["2026-05"], template, tmp_path / "out.docx")
        assert isinstance(caught.value, CchcError)
        assert f"'{field}'" in str(caught.value) and "mau.docx" in str(caught.value)
        assert not (tmp_path / "out.docx").exists()


def test_bad_marker_rows_fail_loudly(contexts, tmp_path):
    for marker, named in (
        ("[[products.nope]]", "[[products.nope]]"),
        ("[[nothing.title]]", "nothing"),
        ("[[products.title]", "[[products.title]"),
    ):
        tiny = docx.Document()
        table = tiny.add_table(rows=1, cols=2)
        table.rows[0].cells[0].text = "[[products.stt]]"
        table.rows[0].cells[1].text = marker
        tiny.save(str(tmp_path / "mau.docx"))
        with pytest.raises(TemplateError, match=re.escape(named)):
            render_report(contexts["2026-05"], tmp_path / "mau.docx", tmp_path / "out.docx")


def test_bad_template_files(contexts, tmp_path):
    with pytest.raises(TemplateError, match="Không tìm thấy mẫu"):
        render_report(contexts["2026-05"], tmp_path / "missing.docx", tmp_path / "out.docx")
    (tmp_path / "text.docx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(TemplateError, match="không phải tệp Word"):
        render_report(contexts["2026-05"], tmp_path / "text.docx", tmp_path / "out.docx")
    tiny = docx.Document()
    tiny.add_paragraph("{{ units }")
    tiny.save(str(tmp_path / "syntax.docx"))
    with pytest.raises(TemplateError, match="sai cú pháp"):
        render_report(contexts["2026-05"], tmp_path / "syntax.docx", tmp_path / "out.docx")


def test_output_folder_is_created_and_errors_are_ours(contexts, tmp_path):
    out = render_report(contexts["2026-05"], DEFAULT_TEMPLATE, tmp_path / "a" / "b" / "r.docx")
    assert out == tmp_path / "a" / "b" / "r.docx" and out.stat().st_size > 10_000
    assert [p.name for p in out.parent.iterdir()] == ["r.docx"]  # no temp file left
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError):
        render_report(contexts["2026-05"], DEFAULT_TEMPLATE, tmp_path / "file" / "r.docx")


# -------------------------------------------------------------------------------- performance


def test_annex_of_5000_products_renders_fast(contexts, tmp_path):
    context: dict[str, Any] = copy.deepcopy(contexts["2026"])
    base = context["products"]
    context["products"] = [
        {**base[i % len(base)], "stt": i + 1, "title": f"{MARKUP_TITLE} số {i + 1}"}
        for i in range(5000)
    ]
    render_report(contexts["2026-05"], DEFAULT_TEMPLATE, tmp_path / "warm.docx")  # imports
    started = time.perf_counter()
    out = render_report(context, DEFAULT_TEMPLATE, tmp_path / "big.docx")
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"5 000-row annex took {elapsed:.2f} s"
    rows = find_table(docx.Document(str(out)), "Tiêu đề", "Đường dẫn").rows
    assert len(rows) == 5001
    assert rows[-1].cells[6].text == f"{MARKUP_TITLE} số 5000"


# ------------------------------------------------------------------------------- LibreOffice


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_converts_every_edition(rendered, plan, records, tmp_path):
    """Every edition (month, quarter, 6 and 9 months, year, ad hoc) and the CCHC-report part
    open in LibreOffice: PDF pages, the annex in landscape, no tag left in the text."""
    soffice = _soffice()
    if soffice is None:
        if os.environ.get("CCHC_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("CCHC_REQUIRE_LIBREOFFICE=1 but soffice/libreoffice is not on PATH")
        pytest.skip(
            "LibreOffice (soffice) not on PATH: the .docx -> PDF check did not run "
            "(apt-get install libreoffice-writer-nogui; CCHC_REQUIRE_LIBREOFFICE=1 makes it fail)"
        )
    recs, problems = records
    reports = dict(rendered)
    for key in ("2026-Q2", "2026-9M", "dot-xuat-20260301-20260415"):
        context = report_context(verify(recs, plan, parse_period(key), AS_OF, problems), plan)
        reports[key] = render_report(context, DEFAULT_TEMPLATE, tmp_path / report_file_name(key))
        if key == "2026-Q2":
            part = tmp_path / section_file_name(key)
            section = render_report(context, SECTION_TEMPLATE, part)
    profile = tmp_path / "lo-profile"  # own profile: parallel runs do not clash
    outdir = tmp_path / "pdf"
    completed = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *(str(p) for p in [*reports.values(), section]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for path in [*reports.values(), section]:
        pdf = outdir / (path.stem + ".pdf")
        assert pdf.exists(), f"{pdf.name} missing: {completed.stdout} {completed.stderr}"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 10_000
        sizes = [
            (float(w), float(h))
            for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        ]
        landscape = sum(w > h for w, h in sizes)
        if path == section:
            assert sizes and not landscape
            continue
        assert len(sizes) >= 3, f"{pdf.name}: {len(sizes)} pages"
        assert 1 <= landscape < len(sizes), f"{pdf.name}: the annex is not landscape"
        text = _pdf_text(pdf)
        if text is not None:
            assert "PHỤ LỤC I" in text and "Cao Đình Huy" in text
            assert not re.search(r"\{\{|\{%|\[\[|None\b", text), pdf.name


def _pdf_text(pdf: Path) -> str | None:
    """The PDF's text (poppler's pdftotext), or None where poppler is not installed and CI's
    LibreOffice check is not required."""
    tool = shutil.which("pdftotext")
    if tool is None:
        assert os.environ.get("CCHC_REQUIRE_LIBREOFFICE") != "1", "pdftotext is needed"
        return None
    return subprocess.run(
        [tool, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_quarter_report_asks_no_unit_report_of_its_own(plan, records, tmp_path):
    # The plan asks units for monthly, 6-month and annual reports only (section VI.2).
    recs, problems = records
    found = verify(recs, plan, parse_period("2026-Q2"), AS_OF, problems)
    units = build_result(found)["units"]
    assert {u["unit_report"]["status"] for u in units} == {"not_required"}
    assert "Báo cáo kỳ" not in found.unit_columns  # a column of "Không yêu cầu" is noise
    out = render_report(report_context(found, plan), DEFAULT_TEMPLATE, tmp_path / "q2.docx")
    text = " ".join(full_text(docx.Document(str(out))).split())
    assert "kỳ quý II năm 2026 không có báo cáo riêng của đơn vị" in text
    assert "Hạn gửi báo cáo quý II" not in text
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRỌNG TÂM QUÝ III NĂM 2026" in text
