"""The posted procedures (tab `Thủ tục niêm yết`) and their QR-code sheet: parsing, the report's
figures, and every printed code read back by a real QR decoder (OpenCV), from the .docx's images
and from the page LibreOffice prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import docx
import numpy as np
import pytest
from docx.oxml.ns import qn
from docx.shared import Emu
from typer.testing import CliRunner

from flows.cli import app
from flows.qr_sheets import qr_sheets
from tasks.collect import read_workbook
from tasks.contract import POSTED_PROCEDURES
from tasks.document import QR_TEMPLATE, TemplateError, render_qr_sheet
from tasks.models import Records
from tasks.normalize import normalize
from tasks.pdf import soffice, to_pdf
from tasks.plan import Plan
from tasks.posted import posted_summary, qr_cards, qr_sheet_context
from tasks.settings import SAMPLE_WORKBOOK
from tests.builders import book
from tests.conftest import artifacts_of

AS_OF = date(2026, 11, 28)
TAB = POSTED_PROCEDURES.title
PORTAL = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc="


def posted(
    code: Any = "1.009972",
    name: str = "Cấp giấy phép xây dựng mới",
    link: str | None = None,
    place: str = "Bộ phận Một cửa Sở Xây dựng",
    day: Any = "18/05/2026",
) -> list[Any]:
    return [code, name, PORTAL + str(code) if link is None else link, place, day]


def sheet_links(path: Path) -> list[str]:
    """The `Đường dẫn` of every row of the tab, as typed in the workbook (blank ones left out)."""
    rows = read_workbook(path).tabs[TAB].rows
    column = rows[0].index("Đường dẫn")
    return [r[column] for r in rows[1:] if len(r) > column and r[column]]


def decode(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def printed_cards(path: Path) -> list[tuple[str, str, str]]:
    """Every card of a rendered sheet, in reading order: (its text, the link printed on it, what
    its embedded QR image decodes to)."""
    document = docx.Document(str(path))
    cards = []
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                blips = cell._tc.findall(".//" + qn("a:blip"))
                if not blips:
                    continue
                image = document.part.related_parts[blips[0].get(qn("r:embed"))]
                link = next(p.text for p in cell.paragraphs if p.text.startswith("http"))
                cards.append((cell.text, link, decode(image.blob)))
    return cards


@pytest.fixture(scope="module")
def sample(plan: Plan) -> Records:
    records, _ = normalize(read_workbook(SAMPLE_WORKBOOK), plan, AS_OF)
    return records


@pytest.fixture(scope="module")
def sample_sheet(plan: Plan, sample: Records, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ma-qr")
    return render_qr_sheet(qr_sheet_context(sample, plan), QR_TEMPLATE, folder / "ma-qr.docx")


# -------------------------------------------------------------------------------- the tab


def test_a_link_that_is_not_http_is_a_problem_and_the_other_rows_count(plan: Plan) -> None:
    raw = book(
        posted_procedures=[
            posted("1.009972"),
            posted("1.009974", link="dichvucong.gov.vn/thu-tuc/1.009974"),  # no scheme
            posted("1.009976", link="ftp://dichvucong.gov.vn/1.009976"),
            posted("1.007750", link=""),  # posted, no QR code yet: not a problem
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert records.posted_procedures["code"].tolist() == ["1.009972", "1.007750"]
    assert [(p.tab, p.row, p.column, p.value) for p in problems] == [
        (TAB, 3, "Đường dẫn", "dichvucong.gov.vn/thu-tuc/1.009974"),
        (TAB, 4, "Đường dẫn", "ftp://dichvucong.gov.vn/1.009976"),
    ]
    assert problems[0].describe() == (
        "tab 'Thủ tục niêm yết', dòng 3, cột 'Đường dẫn': Đường dẫn phải là địa chỉ web bắt "
        "đầu bằng http:// hoặc https://. (giá trị: 'dichvucong.gov.vn/thu-tuc/1.009974')"
    )
    assert [c["link"] for c in qr_cards(records)] == [PORTAL + "1.009972"]


def test_one_procedure_at_two_places_prints_twice_the_same_place_twice_is_a_problem(
    plan: Plan,
) -> None:
    raw = book(
        posted_procedures=[
            posted("1.009972", place="Bộ phận Một cửa Sở Xây dựng"),
            posted("1.009972", place="Trung tâm Phục vụ hành chính công tỉnh"),
            posted("1.009972", place="bộ phận một  cửa sở xây dựng"),  # the first place again
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert [c["place"] for c in qr_cards(records)] == [
        "Bộ phận Một cửa Sở Xây dựng",
        "Trung tâm Phục vụ hành chính công tỉnh",
    ]
    assert [(p.row, p.column) for p in problems] == [(4, "Mã thủ tục")]
    assert "dòng 2" in problems[0].message


def test_a_code_typed_as_a_number_keeps_its_six_decimals(plan: Plan) -> None:
    # Typed as 1.009970 in a sheet without a leading ', the cell holds the number 1.00997.
    raw = book(posted_procedures=[posted(1.00997, link=PORTAL + "1.009970")])
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    assert records.posted_procedures["code"].tolist() == ["1.009970"]


def test_required_cells_dates_and_over_long_links_are_problems(plan: Plan) -> None:
    raw = book(
        posted_procedures=[
            posted("", name="Thiếu mã"),
            posted("1.1", name=""),
            posted("1.2", link="https://dichvucong.gov.vn/" + "a" * 300),
            posted("1.3", day="18/05/2062"),  # a typo for 2026: not posted yet
            posted("1.4", day=""),  # no date: fine
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert records.posted_procedures["code"].tolist() == ["1.4"]
    assert [(p.row, p.column) for p in problems] == [
        (2, "Mã thủ tục"),
        (3, "Tên thủ tục"),
        (4, "Đường dẫn"),
        (5, "Ngày niêm yết"),
    ]
    assert "quá dài để in mã QR (326 ký tự, tối đa 300)" in problems[2].message


def test_an_absent_tab_is_no_procedure_and_no_problem(plan: Plan, tmp_path: Path) -> None:
    raw = book()
    del raw.tabs[TAB]
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == [] and records.posted_procedures.empty
    assert posted_summary(records) == {
        "procedures": 0,
        "with_qr": 0,
        "without_link": 0,
        "postings": 0,
        "places": [],
    }
    out = render_qr_sheet(qr_sheet_context(records, plan), QR_TEMPLATE, tmp_path / "trong.docx")
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "chưa có thủ tục nào có đường dẫn để in mã QR" in text
    assert printed_cards(out) == []


# ------------------------------------------------------------------------ the report's figures


def test_posted_summary_worked_out_by_hand(plan: Plan) -> None:
    one_stop, centre = "Bộ phận Một cửa", "Trung tâm Phục vụ hành chính công"
    raw = book(
        posted_procedures=[
            posted("A", place=one_stop, day="10/05/2026"),
            posted("A", place=centre, day="20/05/2026"),
            posted("B", place=one_stop, day="12/05/2026", link=""),
            posted("C", place=one_stop, day=""),  # no date: posted, day unknown
            posted("D", place=centre, day="02/06/2026"),
            posted("E", place=one_stop, link="sxd.daklak.gov.vn/e"),  # a problem: not counted
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert len(problems) == 1
    # Every row: A, B, C, D are 4 procedures; A, C, D have a link; 5 postings; the one-stop
    # desk shows A, B, C and the centre A, D.
    assert posted_summary(records) == {
        "procedures": 4,
        "with_qr": 3,
        "without_link": 1,
        "postings": 5,
        "places": [
            {"place": one_stop, "procedures": 3},
            {"place": centre, "procedures": 2},
        ],
    }
    # By 31/05: D (02/06) not yet posted.
    by_may = posted_summary(records, date(2026, 5, 31))
    assert (by_may["procedures"], by_may["with_qr"], by_may["postings"]) == (3, 2, 4)
    assert by_may["places"][1] == {"place": centre, "procedures": 1}
    # By 15/05: A at the one-stop desk, B, and C (undated).
    by_mid_may = posted_summary(records, date(2026, 5, 15))
    assert by_mid_may == {
        "procedures": 3,
        "with_qr": 2,
        "without_link": 1,
        "postings": 3,
        "places": [{"place": one_stop, "procedures": 3}],
    }


def test_posted_summary_of_the_sample(sample: Records) -> None:
    # 12 rows; 1.009972 at two places; 1.007750 has no link yet.
    assert posted_summary(sample) == {
        "procedures": 11,
        "with_qr": 10,
        "without_link": 1,
        "postings": 12,
        "places": [
            {"place": "Bộ phận Một cửa Sở Xây dựng", "procedures": 9},
            {"place": "Trung tâm Phục vụ hành chính công tỉnh", "procedures": 3},
        ],
    }


# ----------------------------------------------------------------------------- the document


def test_every_qr_code_in_the_docx_decodes_to_its_sheet_link(sample_sheet: Path) -> None:
    cards = printed_cards(sample_sheet)
    links = sheet_links(SAMPLE_WORKBOOK)
    assert len(links) == 11 and len(cards) == 11
    assert [decoded for _, _, decoded in cards] == links  # in sheet order, one per card
    assert [printed for _, printed, _ in cards] == links  # the "&" printed as typed
    assert any("&" in link for link in links)
    first_text = cards[0][0]
    assert "Mã thủ tục: 1.009972" in first_text
    assert "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV" in first_text
    assert "Nơi niêm yết: Bộ phận Một cửa Sở Xây dựng" in first_text
    assert "(1/11)" in first_text and "(11/11)" in cards[-1][0]


def test_the_sheet_is_a4_with_dashed_cut_lines_and_cards_that_never_split(
    sample_sheet: Path,
) -> None:
    document = docx.Document(str(sample_sheet))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    [table] = document.tables
    assert len(table.rows) == 6  # 11 cards, two a row
    for row in table.rows:
        assert row._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
    borders = table._tbl.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}")
    assert {b.get(qn("w:val")) for b in borders} == {"dashed"}
    assert table.rows[-1].cells[1].text == ""  # the 12th place stays empty
    extents = list(document.element.body.iter(qn("wp:extent")))
    assert len(extents) == 11
    assert {round(Emu(int(e.get("cx"))).mm) for e in extents} == {50}  # the codes are 50 mm
    assert "{{" not in document.element.xml and "{%" not in document.element.xml


def test_every_field_of_the_qr_template_is_documented(plan: Plan, sample: Records) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "templates.md").read_text("utf-8")
    section = doc[doc.index("## The QR-code sheet") :]
    with zipfile.ZipFile(QR_TEMPLATE) as package:
        xml = "".join(
            package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.startswith("word/") and name.endswith(".xml")
        )
    text = re.sub(r"<[^>]+>", "", xml)
    used = set(re.findall(r"pair\.(?:left|right)\.(\w+)", text))
    assert used == {"qr", "name", "code", "link", "place", "stt"}
    context = qr_sheet_context(sample, plan)
    card = (set(context["pairs"][0]["left"]) - {"qr_png"}) | {"qr"}
    assert used <= card
    for field in card:
        assert f"card `{field}`" in section, field
    for key in context:
        assert f"`{key}" in section, key
    for field in set(re.findall(r"agency\.(\w+)", text)):
        assert f"`agency.{field}`" in section, field


def test_a_template_field_that_does_not_exist_stops_the_run_naming_it(
    plan: Plan, sample: Records, tmp_path: Path
) -> None:
    tiny = docx.Document()
    tiny.add_paragraph("{{ pairs[0].left.no_such }}")
    tiny.save(str(tmp_path / "mau.docx"))
    with pytest.raises(TemplateError, match="dùng trường '[a-z.]*no_such'") as caught:
        render_qr_sheet(qr_sheet_context(sample, plan), tmp_path / "mau.docx", tmp_path / "o.docx")
    assert "mau.docx" in str(caught.value) and not (tmp_path / "o.docx").exists()


def test_without_libreoffice_there_is_no_pdf_and_a_reason(
    sample_sheet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no soffice on it
    assert to_pdf(sample_sheet) == (None, "máy chưa cài LibreOffice (soffice) nên chưa tạo PDF")
    assert not sample_sheet.with_suffix(".pdf").exists()


def _require(program: str | None, what: str) -> str:
    if program is None:
        if os.environ.get("CCHC_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"CCHC_REQUIRE_LIBREOFFICE=1 but {what} is not on PATH")
        pytest.skip(f"{what} not on PATH: the printed page was not decoded")
    return program


def test_every_qr_code_on_the_printed_pages_decodes_to_its_card(
    sample_sheet: Path, tmp_path: Path
) -> None:
    _require(soffice(), "LibreOffice (soffice)")
    pdftoppm = _require(shutil.which("pdftoppm"), "pdftoppm (poppler-utils)")
    sheet = Path(shutil.copy(sample_sheet, tmp_path / sample_sheet.name))
    pdf, why = to_pdf(sheet)
    assert pdf == sheet.with_suffix(".pdf") and why == ""
    subprocess.run(
        [pdftoppm, "-r", "150", "-gray", "-png", str(pdf), str(tmp_path / "trang")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("trang-*.png"))
    links = sheet_links(SAMPLE_WORKBOOK)
    assert len(pages) == 3  # 11 cards, four a page
    # The Aruco-based detector finds every code of a page (the classic one misses some).
    detector = cv2.QRCodeDetectorAruco()
    for number, page in enumerate(pages):
        image = cv2.imread(str(page), cv2.IMREAD_GRAYSCALE)
        height, width = image.shape
        ok, texts, corners, _ = detector.detectAndDecodeMulti(image)
        assert ok
        # Each code's place on the page says which card it is: two columns, two rows a page.
        found = {}
        for text, points in zip(texts, corners, strict=True):
            x, y = points.mean(axis=0)
            found[number * 4 + 2 * int(y > height / 2) + int(x > width / 2)] = text
        expected = {i: links[i] for i in range(number * 4, min(number * 4 + 4, len(links)))}
        assert found == expected, page.name


# --------------------------------------------------------------------------------- the flow


@pytest.mark.usefixtures("prefect_harness")
def test_qr_sheets_flow_prints_the_good_procedures_and_reports_the_bad_link(
    out: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(SAMPLE_WORKBOOK)
    sheet = workbook[TAB]
    assert sheet["A4"].value == "1.009974" and sheet["C4"].value.startswith("https://")
    sheet["C4"] = "dichvucong.gov.vn/thu-tuc/1.009974"
    source = tmp_path / "mau-sai-duong-dan.xlsx"
    workbook.save(source)

    state = qr_sheets(str(source), return_state=True)
    assert state.is_completed(), state.message
    got = state.result()
    assert [(p["tab"], p["row"], p["column"]) for p in got["problems"]] == [(TAB, 4, "Đường dẫn")]
    docx_path = Path(got["files"]["Phiếu mã QR (Word)"])
    assert docx_path == out / "ma-qr" / "Ma-QR-thu-tuc-niem-yet.docx"
    good = [link for link in sheet_links(SAMPLE_WORKBOOK) if "1.009974" not in link]
    assert got["cards"] == 10
    assert [decoded for _, _, decoded in printed_cards(docx_path)] == good
    assert [w["code"] for w in got["without_link"]] == ["1.007750"]
    if soffice() is not None:
        assert Path(got["files"]["Phiếu mã QR (PDF)"]).read_bytes().startswith(b"%PDF")
    assert list((out / "ma-qr" / "snapshots").glob("du-lieu-*.json.gz"))
    assert artifacts_of(state) == {
        "ma-qr-tom-tat": "markdown",
        "ma-qr-thu-tuc": "table",
        "loi-du-lieu-ma-qr": "table",
    }

    result = CliRunner().invoke(app, ["qr-sheets", "--source", str(source)])
    assert result.exit_code == 0, result.output
    assert "Đã lập phiếu mã QR: 10 thẻ" in result.output
    assert "- Tab 'Thủ tục niêm yết', dòng 4, cột 'Đường dẫn': Đường dẫn phải là" in result.output
    assert "Chưa in mã QR (chưa có đường dẫn): 1.007750" in result.output
