"""Regenerate the document pictures of the docs from the bundled sample (``make pictures``).

Page 1 and the units page of the monthly report (2026-05, as of 05/06/2026); page 1 of the annual
report (2026, as of 21/12/2026) and its page on the "06 rõ" tasks; the apology slip the sample
needs on 29/05/2026; page 1 of the QR-code sheet of the posted procedures. As LibreOffice prints
them: .docx -> PDF (soffice) -> PNG (poppler's pdftoppm); both must be on PATH (Debian:
libreoffice-writer-nogui, poppler-utils).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.apology_slips import make_slips, slips_due  # noqa: E402
from tasks.calendar import parse_period  # noqa: E402
from tasks.collect import read_workbook  # noqa: E402
from tasks.compile import report_context  # noqa: E402
from tasks.document import DEFAULT_TEMPLATE, render_report, report_file_name  # noqa: E402
from tasks.normalize import normalize  # noqa: E402
from tasks.pdf import to_pdf  # noqa: E402
from tasks.plan import load_plan  # noqa: E402
from tasks.qr_sheet import build_qr_sheet  # noqa: E402
from tasks.settings import SAMPLE_WORKBOOK  # noqa: E402
from tasks.verify import known_on, verify  # noqa: E402

DOCS = ROOT / "docs"
DPI = 70  # readable in a browser, small in the repository
UNITS_PAGE_MARK = "Kết quả của từng phòng, đơn vị"
# picture name -> (period, as of, which page: 1 or the page showing the units table)
PICTURES = {
    "report-page1.png": ("2026-05", date(2026, 6, 5), 1),
    "report-units.png": ("2026-05", date(2026, 6, 5), UNITS_PAGE_MARK),
    "report-annual-page1.png": ("2026", date(2026, 12, 21), 1),
    "report-06-ro.png": ("2026", date(2026, 12, 21), 'Thực hiện nhiệm vụ theo nguyên tắc "06 rõ"'),
}
SLIP_DAY = date(2026, 5, 29)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not on PATH (Debian: apt-get install libreoffice-writer-nogui "
                 "poppler-utils)")  # fmt: skip
    return found


def _pdf(period: str, as_of: date, folder: Path) -> Path:
    plan = load_plan(ROOT / "config" / "plan-2026.yaml")
    records, problems = normalize(read_workbook(SAMPLE_WORKBOOK), plan, as_of)
    context = report_context(verify(records, plan, parse_period(period), as_of, problems), plan)
    return _convert(render_report(context, DEFAULT_TEMPLATE, folder / report_file_name(period)))


def _slip_pdf(folder: Path) -> Path:
    plan = load_plan(ROOT / "config" / "plan-2026.yaml")
    records, _ = normalize(read_workbook(SAMPLE_WORKBOOK), plan, SLIP_DAY)
    slips = slips_due(known_on(records, SLIP_DAY), plan, SLIP_DAY)
    return _convert(make_slips(slips[:1], plan, SLIP_DAY, folder)[0][1])


def _convert(docx: Path) -> Path:
    folder = docx.parent
    profile = (folder / "lo-profile").as_uri()
    subprocess.run(
        [_tool("soffice"), f"-env:UserInstallation={profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(folder), str(docx)],
        check=True, capture_output=True,
    )  # fmt: skip
    return docx.with_suffix(".pdf")


def _page_with(pdf: Path, text: str) -> int:
    pages = subprocess.run(
        [_tool("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout.split("\f")
    return next(i for i, page in enumerate(pages, 1) if text in page)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pdfs: dict[tuple[str, date], Path] = {}
        for name, (period, as_of, page) in PICTURES.items():
            pdf = pdfs.get((period, as_of)) or _pdf(period, as_of, folder)
            pdfs[(period, as_of)] = pdf
            number = page if isinstance(page, int) else _page_with(pdf, page)
            stem = folder / name.removesuffix(".png")
            subprocess.run(
                [_tool("pdftoppm"), "-png", "-r", str(DPI), "-f", str(number), "-l", str(number),
                 "-singlefile", str(pdf), str(stem)],
                check=True,
            )  # fmt: skip
            shutil.copyfile(stem.with_suffix(".png"), DOCS / name)
            print(f"wrote docs/{name} (page {number} of {pdf.name})")
        slip = _slip_pdf(folder)
        stem = folder / "phieu-xin-loi"
        subprocess.run(
            [_tool("pdftoppm"), "-png", "-r", str(DPI), "-singlefile", str(slip), str(stem)],
            check=True,
        )
        shutil.copyfile(stem.with_suffix(".png"), DOCS / "phieu-xin-loi.png")
        print(f"wrote docs/phieu-xin-loi.png ({slip.name})")
        _qr_sheet_picture(folder)


def _qr_sheet_picture(folder: Path) -> None:
    """docs/qr-sheet-page1.png: four cards of the `cchc qr-sheets` output."""
    plan = load_plan(ROOT / "config" / "plan-2026.yaml")
    records, _ = normalize(read_workbook(SAMPLE_WORKBOOK), plan, date(2026, 11, 28))
    pdf, why = to_pdf(build_qr_sheet(records, plan, folder))
    if pdf is None:
        sys.exit(why)
    stem = folder / "qr-sheet-page1"
    subprocess.run(
        [_tool("pdftoppm"), "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
         str(pdf), str(stem)],
        check=True,
    )  # fmt: skip
    shutil.copyfile(stem.with_suffix(".png"), DOCS / "qr-sheet-page1.png")
    print(f"wrote docs/qr-sheet-page1.png (page 1 of {pdf.name})")


if __name__ == "__main__":
    main()
