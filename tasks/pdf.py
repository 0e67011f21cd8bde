"""A .docx to PDF through LibreOffice (``soffice``), when it is installed: the only module that
runs it."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tasks.errors import OutputError
from tasks.files import write_atomically

logger = logging.getLogger(__name__)

TIMEOUT_S = 180  # a first start on a busy 2-core PC takes ~20 s; a hang must not block a run


def soffice() -> str | None:
    """The LibreOffice program on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path) -> tuple[Path | None, str]:
    """Convert ``docx`` to a PDF beside it. Returns (the PDF, "") or (None, why not, in
    Vietnamese): LibreOffice missing, failed or too slow. Never raises for those: the .docx is
    the product, the PDF a convenience for printing. Raises OutputError when the PDF made cannot
    be written beside the .docx."""
    program = soffice()
    if program is None:
        return None, "máy chưa cài LibreOffice (soffice) nên chưa tạo PDF"
    target = docx.with_suffix(".pdf")
    # An own, throw-away profile: a LibreOffice already open on the machine (or another run)
    # would otherwise take the job over, or refuse it while its profile is locked.
    with tempfile.TemporaryDirectory(prefix="cchc-lo-") as scratch:
        work = Path(scratch)
        try:
            completed = subprocess.run(
                [
                    program,
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work),
                    str(docx),
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                env={**os.environ, "HOME": scratch},
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, f"LibreOffice không chuyển xong sang PDF sau {TIMEOUT_S} giây"
        made = work / (docx.stem + ".pdf")
        if completed.returncode != 0 or not made.is_file():
            logger.warning("LibreOffice: %s %s", completed.stdout.strip(), completed.stderr.strip())
            return None, "LibreOffice không chuyển được sang PDF (xem nhật ký lần chạy)"
        # Written in the scratch folder, then copied atomically: nobody reads half a PDF.
        try:
            write_atomically(target, made.read_bytes())
        except OSError as err:
            raise OutputError(f"Không ghi được '{target}': {err.strerror}.") from err
    return target, ""
