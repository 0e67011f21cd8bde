"""The `cchc` command as a person starts it: a subprocess, no Prefect server configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CCHC = str(Path(sys.executable).parent / "cchc")


def test_a_temporary_server_that_cannot_start_gets_a_vietnamese_reason(tmp_path):
    # A start-up limit of 0 s stands in for an office PC too slow to start Prefect's temporary
    # server in time (Prefect then raises an English RuntimeError).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CCHC_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "0",
        "CCHC_OUTPUT_DIR": str(tmp_path / "var"),
        "CCHC_UI_PORT": "1",  # no server of `make up` to fall back on
    }
    done = subprocess.run(
        [CCHC, "check"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "LỖI: Máy chậm, Prefect server tạm thời chưa khởi động kịp (0 giây)" in done.stderr
    assert "make up" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_help_and_argument_errors_load_no_heavy_library():
    # `cchc --help`, a sub-command's help and a mistyped option answer at once: Prefect, pandas
    # and the document and Sheets libraries are imported only by the command that runs a flow.
    script = (
        "import sys\n"
        "from flows import cli\n"
        "for argv in (['--help'], ['report', '--help'], ['report', '--perod', '2026-05']):\n"
        "    try:\n"
        "        cli.app(args=argv, prog_name='cchc')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('prefect', 'pandas', 'docx', 'docxtpl', 'matplotlib', 'openpyxl', 'gspread',\n"
        "         'yagmail', 'jinja2')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "LOADED []" in done.stdout, done.stdout + done.stderr
    assert "No such option" in done.stdout + done.stderr
