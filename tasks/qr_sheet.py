"""The QR-code sheet stage: the posted procedures' cards rendered into the printable .docx, then
a PDF beside it when LibreOffice is installed."""

from __future__ import annotations

from pathlib import Path

from tasks.document import QR_TEMPLATE, render_qr_sheet
from tasks.models import Records
from tasks.pdf import to_pdf
from tasks.plan import Plan
from tasks.posted import QR_SHEET_FILE, qr_sheet_context
from tasks.stage import stage_task


def build_qr_sheet(
    records: Records, plan: Plan, folder: Path, template: Path = QR_TEMPLATE
) -> Path:
    """``folder/Ma-QR-thu-tuc-niem-yet.docx``: one card per posted procedure with a link.
    Raises TemplateError or OutputError (Vietnamese messages)."""
    return render_qr_sheet(qr_sheet_context(records, plan), template, folder / QR_SHEET_FILE)


build_qr_sheet_task = stage_task("Lập phiếu mã QR")(build_qr_sheet)
to_pdf_task = stage_task("Chuyển sang PDF")(to_pdf)
