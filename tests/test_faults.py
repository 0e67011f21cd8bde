"""Faults of the outside world, made real, through the report flow: the Sheets API failing in every
way (loopback emulator), the SMTP server refusing, rejecting the login, disconnecting or stalling
(aiosmtpd), an output folder that cannot be written, a full disk (a file-size limit on a real
`cchc report` process), that process killed with SIGKILL between rendering and sending, and the
reminder log cut mid-line.

For each: the run recovers, or fails with a Vietnamese message saying what to do; what was made
before the failure is where it should be; and the next run completes without a second e-mail.
At the end: reports rebuilt from a snapshot or re-run for a past as-of date are identical, and a
back-dated entry and snapshot retention are checked through the flow.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yagmail.sender
from docx import Document

from flows.report import report
from tasks.collect import load_snapshot, save_snapshot, snapshot_files
from tasks.contract import SUMMARY_TITLE
from tasks.settings import REPO_ROOT
from tests.builders import book
from tests.conftest import serve_sample_sheet
from tests.reliability import record, save_xlsx
from tests.sheets_emulator import ACCOUNT_EMAIL, Fault, SheetsEmulator
from tests.smtp_server import (
    TEST_PASSWORD,
    TEST_USER,
    CapturingHandler,
    SmtpTestServer,
    free_port,
    to_leaders,
    use_smtp_server,
)

pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.filterwarnings(
        "ignore:Requiring AUTH while not requiring TLS:UserWarning",
        "ignore::ResourceWarning",  # yagmail 0.16.0 re-login after a disconnect leaks a socket
    ),
]

KEY = "1SoXayDungDakLak_CCHC_2026_loiABCDEFGHIJ"
PERIOD, AS_OF = "2026-05", "2026-11-28"
BUDGET = 3.0  # CCHC_SHEETS_RETRY_BUDGET for these tests: each request may take up to 1.5 s


# --------------------------------------------------------------------------- helpers


def run_report(**options: Any) -> Any:
    return report(period=PERIOD, as_of=AS_OF, send=True, return_state=True, **options)


def emails(out: Path) -> list[Path]:
    """The e-mails in the outbox, but for the Office's copy of a report (it goes with the
    leaders' e-mail: counting both would only double every figure)."""
    return sorted(
        p for p in (out / "outbox").glob("*.eml") if not p.name.startswith("report-office-")
    )


def period_files(out: Path) -> dict[str, list[Path]]:
    folder = out / PERIOD
    return {
        "snapshots": sorted((folder / "snapshots").glob("du-lieu-*.json.gz")),
        "result": [p for p in [folder / "ket-qua.json"] if p.exists()],
        "report": sorted(folder.glob("*.docx")),
        "temp": sorted(
            p for p in folder.rglob("*") if p.name.startswith(".tmp") or "tmp" in p.suffix
        ),
    }


def made(out: Path) -> str:
    """What a run left in the period folder, for the doc."""
    files = period_files(out)
    parts = [f"{len(files[k])} {k}" for k in ("snapshots", "result", "report")]
    return ", ".join(parts)


def assert_complete(out: Path) -> None:
    """The period folder holds a loadable snapshot, ket-qua.json and the report, no temp files."""
    files = period_files(out)
    assert files["snapshots"] and files["result"] and files["report"], files
    assert files["temp"] == []
    for snapshot in files["snapshots"]:
        load_snapshot(snapshot)  # every snapshot kept is whole
    json.loads(files["result"][0].read_text(encoding="utf-8"))


def shown(text: str | None, *replace: tuple[str, str]) -> str:
    """A message as the doc shows it: temp paths and ports replaced by placeholders."""
    text = text or ""
    for old, new in replace:
        text = text.replace(old, new)
    return text


def attempts_shown(message: str | None) -> str:
    """The retry message with its attempt count and seconds as placeholders (they vary)."""
    return re.sub(
        r"sau \d+ lần thử trong \d+ giây", "sau <n> lần thử trong <s> giây", message or ""
    )


@pytest.fixture
def google(out: Path, emulator: SheetsEmulator, key_file: Path, monkeypatch: pytest.MonkeyPatch):
    """The sample workbook served as a Google Sheet, with a 3-second retry budget."""
    serve_sample_sheet(emulator, KEY, key_file, monkeypatch)
    monkeypatch.setenv("CCHC_SHEETS_RETRY_BUDGET", str(BUDGET))
    return emulator


@pytest.fixture
def yagmail_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """yagmail 0.16.0 sleeps 3, 6, 9 s between its own retries (time.sleep): record instead."""
    slept: list[float] = []
    monkeypatch.setattr(yagmail.sender, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


# --------------------------------------------------------------------------- Google Sheets


@dataclass(frozen=True)
class SheetsCase:
    id: str
    given: str
    fault: Fault
    recovers: bool
    message: str = ""  # regex the failure message must match (failures only)


SHEETS_CASES = [
    SheetsCase(
        "sheets-429",
        "metadata GET answered 429 (quota) once, Retry-After: 0.2",
        Fault(429, times=1, retry_after=0.2),
        recovers=True,
    ),
    SheetsCase("sheets-500", "metadata GET answered 500 once", Fault(500, times=1), True),
    SheetsCase(
        "sheets-timeout",
        "metadata GET answered after 2.5 s (request timeout 1.5 s) once",
        Fault(200, times=1, delay=2.5),
        recovers=True,
    ),
    SheetsCase(
        "sheets-503-forever",
        "every API request answered 503",
        Fault(503, times=None),
        recovers=False,
        message=r"^Không truy cập được Google Sheets sau \d+ lần thử trong \d+ giây \(lần cuối: "
        r"lỗi HTTP 503\)\. Thử lại sau ít phút; nếu lỗi lặp lại, kiểm tra kết nối mạng tới "
        r"Google và hạn mức API\.$",
    ),
    SheetsCase(
        "sheets-403",
        "403 PERMISSION_DENIED (sheet not shared with the service account)",
        Fault(403, times=None),
        recovers=False,
        message=re.escape(
            f"Tài khoản dịch vụ không có quyền truy cập bảng tính {KEY} (HTTP 403). Mở bảng tính, "
            f"bấm 'Chia sẻ' và thêm e-mail {ACCOUNT_EMAIL} với quyền 'Người chỉnh sửa'."
        ),
    ),
    SheetsCase(
        "sheets-404",
        "404 NOT_FOUND (wrong spreadsheet key)",
        Fault(404, times=None),
        recovers=False,
        message="^"
        + re.escape(f"Không tìm thấy bảng tính {KEY} (HTTP 404): mã hoặc đường dẫn bảng tính sai.")
        + " Kiểm tra CCHC_SOURCE",
    ),
    SheetsCase(
        "sheets-malformed-json",
        "200 OK with a cut-off JSON body (a proxy page)",
        Fault(200, times=1, body=b'{"spreadsheetId": "1So", "sheets": [{"prop'),
        recovers=False,
        message="^"
        + re.escape(
            "Máy chủ Google Sheets trả về dữ liệu không đọc được (không phải JSON hợp lệ). Thử "
            "lại sau ít phút; nếu lặp lại, kiểm tra proxy mạng hoặc CCHC_SHEETS_ENDPOINT."
        )
        + "$",
    ),
]


@pytest.mark.parametrize("case", SHEETS_CASES, ids=[c.id for c in SHEETS_CASES])
def test_sheets_fault(case: SheetsCase, out: Path, google: SheetsEmulator) -> None:
    google.inject(case.fault)
    started = time.monotonic()
    state = run_report()
    took = time.monotonic() - started
    reads = len(google.api_calls(f"/v4/spreadsheets/{KEY}")) - len(google.writes())
    if case.recovers:
        actual = (
            f"recovered: completed after {reads - 2} retried request(s); "
            f"mail {state.result()['mail'] if state.is_completed() else state.message!r}"
        )
        assert state.is_completed(), state.message
        assert_complete(out)
        after_first = made(out)
    else:
        actual = f"failed: {attempts_shown(state.message)}"
        assert state.is_failed()
        assert re.search(case.message, state.message), state.message
        assert took < BUDGET + 5  # the budget bounds the whole read, never 120 s
        # Nothing was read, so nothing was made; the run's message says what to do.
        assert not (out / PERIOD).exists() and emails(out) == []
        after_first = "nothing made (no data read)"
    google.faults.clear()
    again = run_report()
    assert again.is_completed(), again.message
    assert len(emails(out)) == 1
    if case.recovers:
        assert again.result()["mail"].startswith("không gửi lại")
    record(
        "faults",
        case.id,
        f"Sheets API: {case.given}",
        "recovered by bounded retry" if case.recovers else "fails clearly (Vietnamese)",
        actual,
        f"{after_first}; next run completed, {len(emails(out))} e-mail in total",
    )


def test_sheets_write_back_failure_keeps_the_report_and_the_e_mail(
    out: Path, google: SheetsEmulator
) -> None:
    # Reading works; every write to `Tổng hợp` (values clear/update) answers 503.
    google.inject(Fault(503, times=None, match="/values/"))
    state = run_report()
    actual = f"failed: {attempts_shown(state.message)}"
    assert state.is_failed()
    assert state.message.startswith("Chưa ghi được tab 'Tổng hợp' vào Google Sheet: ")
    assert "lỗi HTTP 503" in state.message and "vẫn được giữ" in state.message
    assert_complete(out)
    assert len(emails(out)) == 1  # the report e-mail went out before the write-back
    lost = made(out)

    google.faults.clear()
    again = run_report()
    assert again.is_completed(), again.message
    assert again.result()["wrote_back"] is True
    assert again.result()["mail"].startswith("không gửi lại")
    assert len(emails(out)) == 1
    assert google.sheet(KEY, SUMMARY_TITLE).rows  # written on the second run
    record(
        "faults",
        "sheets-write-back-503",
        "Sheets API: reading works, every write to `Tổng hợp` answered 503",
        "fails clearly; report and e-mail kept",
        actual,
        f"{lost}, 1 e-mail; next run wrote `Tổng hợp`, e-mail not sent again",
    )


def test_tong_hop_beyond_googles_limits_is_written_whole(out: Path, google: SheetsEmulator) -> None:
    from tasks.errors import SourceError
    from tasks.settings import load_settings
    from tasks.sheets import CUT_MARK, write_summary

    settings = load_settings()
    # About 13 MB of values (Google refuses a request over 10 MB) and one 60 000-character cell
    # (Google refuses over 50 000): the emulator enforces both, as Google does.
    rows: list[list[Any]] = [["Tin bài", i, "x" * 300] for i in range(40_000)]
    rows.append(["Ghi chú", "y" * 60_000])
    write_summary(settings, KEY, rows)
    sheet = google.sheet(KEY, SUMMARY_TITLE)
    assert len(sheet.rows) == len(rows) and sheet.rows[39_999][1] == 39_999
    long_cell = sheet.rows[-1][1]
    assert long_cell.endswith(CUT_MARK) and len(long_cell) < 50_000
    pieces = [w for w in google.writes() if "/values/" in w.path]

    # A write Google refuses leaves the summary as it was (it used to be cleared first).
    google.inject(Fault(503, times=None, match="/values/"))
    with pytest.raises(SourceError):
        write_summary(settings, KEY, [["mới"]])
    assert len(sheet.rows) == len(rows) and sheet.rows[0][0] == "Tin bài"
    record(
        "faults",
        "sheets-write-back-over-limits",
        "`Tổng hợp` of 13 MB with a 60 000-character cell; then a write answered 503",
        "written whole in requests under 10 MB, long cell cut with a mark; old tab kept on failure",
        f"{len(pieces)} write requests, {len(sheet.rows)} rows, cell cut to {len(long_cell)} "
        "characters; after the refused write the previous rows are still there",
        "nothing lost",
    )


def test_text_that_looks_like_a_formula_reaches_the_charts_as_typed(
    out: Path, tmp_path: Path
) -> None:
    from tests.builders import ROSTER, product

    # matplotlib reads "$...$" as mathtext: a unit code like this used to stop the report.
    # And "{_{ … }_}", docxtpl's own escape, which it used to turn into "{{ … }}".
    name = "Phòng $x^{2$ & <b> {_{ 8*8 }_}"
    odd = ["$\\foo$", name, "odd@sxd.vn", "", 3, ""]
    rows = book(
        units=[*ROSTER, odd],
        products=[product("05/05/2026", "$\\foo$", title="Tin của phòng lạ")],
    )
    source = save_xlsx(rows, tmp_path / "cong-thuc.xlsx")
    state = report(period=PERIOD, as_of="2026-06-05", source=str(source), return_state=True)
    assert state.is_completed(), state.message
    document = Document(str(next((out / PERIOD).glob("*.docx"))))
    cells = [c.text.replace("\u2060", "") for t in document.tables for r in t.rows for c in r.cells]
    assert name in cells
    record(
        "input",
        "chart-mathtext-and-markup",
        "unit code `$\\foo$`, name `Phòng $x^{2$ & <b> {_{ 8*8 }_}` (mathtext, markup and "
        "docxtpl's escape)",
        "report made; text shown as typed",
        "completed; the units table shows the name as typed",
    )


def test_runs_writing_the_same_folder_at_once_never_see_half_a_file(tmp_path: Path) -> None:
    from tasks.collect import load_snapshot
    from tasks.compile import write_result

    folder = tmp_path / PERIOD
    stop = threading.Event()
    errors: list[str] = []
    big = {"units": [{"code": f"DV{i}", "name": "Phòng " * 50} for i in range(2000)]}

    def writer(number: int) -> None:
        for _ in range(15):
            write_result({**big, "period": PERIOD, "writer": number}, folder)
            save_snapshot(book(), folder / "snapshots")  # same read time: the same file name

    def reader() -> None:
        while not stop.is_set():
            for path in [folder / "ket-qua.json", *(folder / "snapshots").glob("*.json.gz")]:
                try:
                    if path.suffix == ".json":
                        json.loads(path.read_text(encoding="utf-8"))
                    else:
                        load_snapshot(path)
                except FileNotFoundError:
                    continue
                except Exception as err:  # noqa: BLE001 - any half-read file is the failure
                    errors.append(f"{path.name}: {type(err).__name__}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    leftovers = [p.name for p in folder.rglob("*") if p.name.startswith(".")]
    assert errors == [] and leftovers == []
    record(
        "faults",
        "concurrent-writes",
        "4 runs write ket-qua.json and the same snapshot 15 times each while another reads",
        "readers see a whole file every time; no temp file left",
        f"{len(errors)} half-read files, {len(leftovers)} temp files left",
        "nothing lost",
    )


# --------------------------------------------------------------------------- SMTP


def test_smtp_server_refusing_connections(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nobody listens there: connection refused
    use_smtp_server(monkeypatch, port)
    failed = run_report()
    assert failed.is_failed()
    assert failed.message == (
        f"Không gửi được thư “report:{PERIOD}” qua máy chủ SMTP 127.0.0.1:{port} (sau 1 lần "
        "thử): máy chủ từ chối kết nối (máy chủ tắt hoặc sai cổng)"
    )
    assert_complete(out)
    lost = made(out)
    with SmtpTestServer("auth", port=port) as server:
        assert run_report().is_completed()
        assert len(to_leaders(server.messages)) == 1
    record(
        "faults",
        "smtp-refused",
        "SMTP: nothing listening on the port (server down)",
        "fails clearly; report kept; next run sends once",
        "failed: " + shown(failed.message, (str(port), "<cổng>")),
        f"{lost}; next run sent exactly 1 e-mail",
    )


def test_smtp_login_refused(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port, password="mat-khau-sai")
        failed = run_report()
        assert failed.is_failed()
        assert failed.message.startswith(
            f"Không gửi được thư “report:{PERIOD}” qua máy chủ SMTP 127.0.0.1:{server.port} "
            "(sau 1 lần thử): máy chủ từ chối đăng nhập (sai tên đăng nhập hoặc mật khẩu): 535"
        )
        assert "mat-khau-sai" not in failed.message
        assert_complete(out)
        lost = made(out)
        use_smtp_server(monkeypatch, server.port)  # the Office fixes the password in .env
        assert run_report().is_completed()
        assert len(to_leaders(server.messages)) == 1
        assert server.authenticator.mechanisms  # the login really was refused, then accepted
    record(
        "faults",
        "smtp-auth-refused",
        "SMTP: wrong password (535)",
        "fails clearly, no retry, password not shown",
        "failed: " + shown(failed.message, (str(server.port), "<cổng>")),
        f"{lost}; after fixing the password exactly 1 e-mail",
    )


def test_one_refused_address_does_not_stop_the_other_reminders(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.remind import remind

    wrong = "qlxd.sxd@daklak.gov.vn"  # say the roster has a typo the mail server refuses (550)
    with SmtpTestServer("auth", refuse=(wrong,)) as server:
        use_smtp_server(monkeypatch, server.port)
        first = remind(as_of="2026-11-19", send=True, return_state=True)
        got = {m.message["Subject"]: m.rcpt_tos for m in server.handler.messages}
    assert first.is_failed()  # red in the UI so that the address gets fixed
    assert "không gửi được thư cho QLXD" in first.message and TEST_PASSWORD not in first.message
    # The four other units and the Office's summary still went out (QHKT for its overdue task of
    # `Nhiệm vụ`; its name "Phòng Quy hoạch - Kiến trúc" splits at its own " - ").
    units = {s.rsplit(" - ", 1)[-1] for s in got if s.startswith("Nhắc việc")}
    assert units == {
        "Kiến trúc",
        "Phòng Kinh tế và Vật liệu xây dựng",
        "Trung tâm Giám định chất lượng xây dựng",
        "Ban Quản lý dự án đầu tư xây dựng",
    }
    summary = next(m for m in server.handler.messages if "Tổng hợp" in m.message["Subject"])
    text = summary.message.get_body(("plain",)).get_content()
    assert f"Phòng Quản lý xây dựng (không gửi được tới {wrong}" in text

    # Address fixed: the next run reminds QLXD (its items were not used up), and only QLXD.
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port)
        again = remind(as_of="2026-11-19", send=True, return_state=True)
        subjects = [m.message["Subject"] for m in server.handler.messages]
    assert again.is_completed(), again.message
    assert set(again.result()["reminded"]) == {"QLXD"}
    assert any(s.endswith("Phòng Quản lý xây dựng") for s in subjects)
    record(
        "faults",
        "smtp-recipient-refused",
        "SMTP: one unit's address refused (550) in a reminder run",
        "the other units and the Office's summary still sent; run red; unit reminded next run",
        "failed: " + first.message,
        "3 units + summary sent; after the fix only QLXD reminded, once",
    )


def test_smtp_password_with_diacritics(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port, password="MậtKhẩu-2026")
        failed = run_report()
        assert failed.is_failed()
        assert failed.message == (
            "Tên đăng nhập hoặc mật khẩu SMTP có ký tự ngoài bảng mã ASCII (chữ có dấu, ký tự đặc "
            "biệt Unicode) nên không đăng nhập được máy chủ thư: đổi mật khẩu chỉ gồm chữ không "
            "dấu, số và ký hiệu rồi cập nhật CCHC_SMTP_PASSWORD. Thư “report:2026-05” chưa được "
            "gửi."
        )
        assert server.authenticator.mechanisms == []  # refused before connecting
        assert_complete(out)
        lost = made(out)
        use_smtp_server(monkeypatch, server.port)
        assert run_report().is_completed()
        assert len(to_leaders(server.messages)) == 1
    record(
        "faults",
        "smtp-password-diacritics",
        "SMTP: a password with diacritics (smtplib encodes AUTH as ASCII)",
        "fails clearly before connecting (was: UnicodeEncodeError traceback)",
        "failed: " + failed.message,
        f"{lost}; after changing the password exactly 1 e-mail",
    )


def test_smtp_disconnect_once_is_recovered(
    out: Path, monkeypatch: pytest.MonkeyPatch, yagmail_sleeps: list[float]
) -> None:
    with SmtpTestServer("auth", fault="disconnect") as server:
        use_smtp_server(monkeypatch, server.port)
        state = run_report()
        assert state.is_completed(), state.message
        assert state.result()["mail"] == "đã gửi qua máy chủ thư"
        assert run_report().result()["mail"].startswith("không gửi lại")
        # DATA twice for the leaders' e-mail (dropped once), once for the Office's copy
        assert server.handler.data_calls == 3 and len(to_leaders(server.messages)) == 1
    assert yagmail_sleeps == [3]  # yagmail 0.16.0's own retry, after logging in again
    record(
        "faults",
        "smtp-disconnect-once",
        "SMTP: connection dropped after the message data, before the answer (once)",
        "recovered",
        f"recovered: {state.result()['mail']} (server saw 2 DATA, kept 1 message)",
        f"{made(out)}; next run sent none",
    )


def test_smtp_disconnect_always_then_healthy(
    out: Path, monkeypatch: pytest.MonkeyPatch, yagmail_sleeps: list[float]
) -> None:
    with SmtpTestServer("auth", fault="disconnect-always") as server:
        use_smtp_server(monkeypatch, server.port)
        failed = run_report()
        port = server.port
    assert failed.is_failed()
    assert failed.message == (
        f"Không gửi được thư “report:{PERIOD}” qua máy chủ SMTP 127.0.0.1:{port} (sau 1 lần "
        "thử): máy chủ ngắt kết nối khi đang nhận thư (yagmail đã tự thử lại 3 lần)"
    )
    assert server.messages == []
    assert_complete(out)
    lost = made(out)
    with SmtpTestServer("auth", port=port) as healthy:
        assert run_report().is_completed()
        assert len(to_leaders(healthy.messages)) == 1
    record(
        "faults",
        "smtp-disconnect-always",
        "SMTP: connection dropped during every DATA",
        "fails clearly; next run sends once",
        "failed: " + shown(failed.message, (str(port), "<cổng>")),
        f"{lost}; next run sent exactly 1 e-mail",
    )


# --------------------------------------------------------------------------- output folder


@contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """``folder`` made read-only for this process: chmod, or (root ignores modes) a read-only
    bind mount of it onto itself."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "chmod 555"
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("running as root without permission to mount: cannot make a folder read-only")
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, check=True
        )
        yield "read-only bind mount"
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def test_output_folder_read_only(out: Path) -> None:
    with read_only(out) as how:
        failed = run_report()
    assert failed.is_failed()
    assert failed.message.startswith(
        f"Không ghi được ảnh chụp dữ liệu vào '{out / PERIOD / 'snapshots'}': "
    )
    assert not (out / PERIOD).exists()
    again = run_report()
    assert again.is_completed(), again.message
    assert_complete(out)
    assert len(emails(out)) == 1
    record(
        "faults",
        "output-read-only",
        f"CCHC_OUTPUT_DIR read-only ({how})",
        "fails clearly before anything is half-written",
        "failed: " + shown(failed.message, (str(out), "<var>")),
        f"nothing written; next run completed ({made(out)}), {len(emails(out))} e-mail",
    )


def test_output_folder_inside_a_file(out: Path, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "var-la-tep"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CCHC_OUTPUT_DIR", str(blocker / "var"))
    failed = run_report()
    assert failed.is_failed()
    assert failed.message == (
        f"Không ghi được ảnh chụp dữ liệu vào '{blocker / 'var' / PERIOD / 'snapshots'}': "
        "Not a directory"
    )
    monkeypatch.setenv("CCHC_OUTPUT_DIR", str(out))
    assert run_report().is_completed()
    assert_complete(out)
    assert len(emails(out)) == 1
    record(
        "faults",
        "output-not-a-folder",
        "CCHC_OUTPUT_DIR points inside a regular file (a typo in .env)",
        "fails clearly",
        "failed: " + shown(failed.message, (str(tmp_path), "<tmp>")),
        f"nothing written; next run (fixed setting) completed, {len(emails(out))} e-mail",
    )


# --------------------------------------------------------------------------- real processes


def cli_env(out: Path, **extra: str) -> dict[str, str]:
    """The environment of a `cchc` process run by a test: this session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCHC_", "PYTEST_"))}
    env.update(
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(REPO_ROOT),
        CCHC_OUTPUT_DIR=str(out),
        **extra,
    )
    return env


CLI = [sys.executable, "-c", "from flows.cli import main; main()"]
REPORT_ARGS = ["report", "--period", PERIOD, "--as-of", AS_OF, "--send"]


def file_size_limit(limit: int) -> Any:
    """preexec_fn: writes beyond ``limit`` bytes fail with EFBIG (SIGXFSZ ignored, so the write
    returns the error instead of killing the process), as on a full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize(
    ("limit", "where"),
    [(4 * 1024, "snapshot"), (32 * 1024, "report")],
    ids=["disk-full-at-snapshot", "disk-full-at-report"],
)
def test_disk_full(limit: int, where: str, out: Path, tmp_path: Path) -> None:
    # The sample's snapshot is ~11 kB, ket-qua.json ~8 kB, the .docx ~78 kB.
    process = subprocess.run(
        [*CLI, *REPORT_ARGS],
        env=cli_env(out),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=file_size_limit(limit),
    )
    errors = [line for line in process.stderr.splitlines() if line.startswith("LỖI:")]
    assert process.returncode == 1, process.stderr[-3000:]
    # The command's own answer is one Vietnamese line (Prefect's task log above it is not ours).
    assert len(errors) == 1, process.stderr[-3000:]
    message = errors[0]
    files = period_files(out)
    assert files["temp"] == []  # no half-written file left behind
    if where == "snapshot":
        assert message.startswith(
            f"LỖI: Không ghi được ảnh chụp dữ liệu vào '{out / PERIOD / 'snapshots'}': "
        )
        assert files["snapshots"] == []  # no truncated snapshot that looks like a good one
    else:
        assert re.match(
            rf"LỖI: Không ghi được '{re.escape(str(out / PERIOD))}/.+\.docx': ", message
        )
        assert len(files["snapshots"]) == 1 and files["report"] == []
        load_snapshot(files["snapshots"][0])  # the data read is kept, whole
    assert "File too large" in message
    assert emails(out) == []  # nothing sent for a report that does not exist
    lost = made(out)

    again = run_report()
    assert again.is_completed(), again.message
    assert_complete(out)
    assert len(emails(out)) == 1
    record(
        "faults",
        f"disk-full-at-{where}",
        f"`cchc report --send` with writes limited to {limit // 1024} KiB (RLIMIT_FSIZE: the "
        f"{where} write fails with EFBIG)",
        "fails clearly (exit 1, one LỖI line), no partial file",
        "failed: " + shown(message, (str(out), "<var>")),
        f"left {lost}; next run completed, 1 e-mail",
    )


@dataclass
class StallingHandler(CapturingHandler):
    """Holds the first message's DATA unanswered until released (or the client goes away)."""

    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():  # aiosmtpd cancels this when the client dies
                await asyncio.sleep(0.02)
            return "451 4.3.0 Released by test"
        return await super().handle_DATA(server, session, envelope)


def test_killed_between_rendering_and_sending(out: Path, tmp_path: Path, monkeypatch) -> None:
    server = SmtpTestServer("auth")
    server.handler = StallingHandler()
    server.controller.handler = server.handler
    use_smtp_server(monkeypatch, server.port)
    smtp = {
        "CCHC_SMTP_HOST": "127.0.0.1",
        "CCHC_SMTP_PORT": str(server.port),
        "CCHC_SMTP_SECURITY": "none",
        "CCHC_SMTP_USER": TEST_USER,
        "CCHC_SMTP_PASSWORD": TEST_PASSWORD,
        "CCHC_SMTP_RETRIES": "0",
    }
    with server:
        process = subprocess.Popen(
            [*CLI, *REPORT_ARGS],
            env=cli_env(out, **smtp),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert server.handler.stalled.wait(120), "the report e-mail never reached DATA"
            assert_complete(out)  # rendered: snapshot, ket-qua.json and .docx are there
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(30) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            server.handler.release.set()
        assert server.messages == []
        assert emails(out) == []
        lost = made(out)

        again = run_report()
        assert again.is_completed(), again.message
        assert again.result()["mail"] == "đã gửi qua máy chủ thư"
        third = run_report()
        assert third.result()["mail"].startswith("không gửi lại")
        assert len(to_leaders(server.messages)) == 1
    statuses = [
        json.loads(line)["status"]
        for line in (out / "send-log.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert statuses == ["sent", "sent"]  # the leaders' and the Office's; the killed run none
    record(
        "faults",
        "killed-before-send",
        "`cchc report --send` killed with SIGKILL while the SMTP server held its DATA unanswered",
        "nothing lost; next run sends exactly once (a kill after the server's 250 but before "
        "the send-log line would send twice: SMTP cannot be asked what it received)",
        "killed mid-send: no e-mail delivered, no send-log entry",
        f"{lost} kept; next run sent 1 e-mail, the one after none",
    )


# --------------------------------------------------------------------------- reproducibility


def document_text(path: Path) -> list[str]:
    """Every paragraph and table cell of a .docx (body, headers and footers), in order."""
    document = Document(str(path))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer):
            texts += [p.text for p in part.paragraphs]
    return texts


def outcome(out: Path, period: str = PERIOD) -> tuple[dict[str, Any], list[str]]:
    folder = out / period
    result = json.loads((folder / "ket-qua.json").read_text(encoding="utf-8"))
    (document,) = folder.glob("Bao-cao-*.docx")
    return result, document_text(document)


def test_snapshot_rebuild_and_as_of_runs_are_reproducible(out: Path) -> None:
    first = report(period=PERIOD, as_of="2026-06-05", return_state=True)
    assert first.is_completed(), first.message
    result, text = outcome(out)
    snapshot = Path(first.result()["files"]["Ảnh chụp dữ liệu"])
    assert result["as_of"] == "2026-06-05" and len(text) > 100

    again = report(period=PERIOD, as_of="2026-06-05", return_state=True)
    assert again.is_completed(), again.message
    same_as_of = outcome(out)
    rebuilt = report(period=PERIOD, as_of="2026-06-05", snapshot=str(snapshot), return_state=True)
    assert rebuilt.is_completed(), rebuilt.message
    from_snapshot = outcome(out)

    record(
        "reproducibility",
        "rebuild-from-snapshot",
        "`cchc report --period 2026-05 --as-of 2026-06-05`, then again with `--snapshot` of "
        "that run",
        "same ket-qua.json, same document text",
        f"ket-qua.json {'identical' if from_snapshot[0] == result else 'DIFFERENT'}; "
        f"{len(text)} paragraphs/cells, "
        f"{'identical' if from_snapshot[1] == text else 'DIFFERENT'}",
    )
    record(
        "reproducibility",
        "as-of-twice",
        "the sample report `--as-of 2026-06-05` run twice (the sample holds rows typed after "
        "that day)",
        "same ket-qua.json, same document text",
        f"ket-qua.json {'identical' if same_as_of[0] == result else 'DIFFERENT'}; document "
        f"text {'identical' if same_as_of[1] == text else 'DIFFERENT'}",
    )
    assert from_snapshot == (result, text)
    assert same_as_of == (result, text)


def read_at(raw: Any, stamp: str) -> Any:
    raw.read_at = stamp
    return raw


def test_backdated_entry_and_snapshot_retention_through_the_flow(
    out: Path, tmp_path: Path, plan: Any
) -> None:
    # What an earlier run read on 20/05/2026 (after the 15/05 deadline): VP had concretised.
    earlier = book(concretizations=[["VP", "10/05/2026", "12/KH-VP"]])
    save_snapshot(read_at(earlier, "2026-05-20T08:00:00+07:00"), out / PERIOD / "snapshots")
    # Two snapshots of an old period, both older than the plan's retention (400 days).
    for stamp in ("2025-03-10T08:00:00+07:00", "2025-03-20T08:00:00+07:00"):
        save_snapshot(read_at(book(), stamp), out / "2025-03" / "snapshots")
    # Now QLXD shows a concretisation dated 12/05: typed after 20/05 and dated back.
    now = book(concretizations=[["VP", "10/05/2026", "12/KH-VP"], ["QLXD", "12/05/2026", "7/KH"]])
    source = save_xlsx(now, tmp_path / "cchc.xlsx")

    state = report(period=PERIOD, as_of="2026-06-05", source=str(source), return_state=True)
    assert state.is_completed(), state.message
    result = json.loads((out / PERIOD / "ket-qua.json").read_text(encoding="utf-8"))
    assert result["backdated"] == [
        {
            "tab": "Cụ thể hóa",
            "row": 3,
            "column": "Ngày hoàn thành",
            "value": "12/05/2026",
            # "trước ngày 15/5/2026": the last day that counts is 14/05
            "message": "Dòng ghi ngày 12/05/2026 (hạn cuối 14/05/2026) nhưng chưa có trong dữ "
            "liệu đọc lúc 08:00 ngày 20/05/2026: có thể được nhập sau hạn và ghi lùi ngày, đề "
            "nghị xác minh.",
        }
    ]
    qlxd = next(u for u in result["units"] if u["code"] == "QLXD")
    assert qlxd["concretization"]["status"] == "on_time"  # flagged, not dropped: the Office decides
    record(
        "reproducibility",
        "backdated-through-flow",
        "snapshot read 20/05/2026 without QLXD's concretisation; the report run now reads it "
        "dated 12/05/2026",
        "ket-qua.json `backdated` names the row",
        "backdated: "
        + "; ".join(f"{b['tab']} row {b['row']}: {b['message']}" for b in result["backdated"]),
    )

    kept = [(p.parent.parent.name, at.date().isoformat()) for at, p in snapshot_files(out)]
    assert ("2025-03", "2025-03-20") in kept and ("2025-03", "2025-03-10") not in kept
    assert ("2026-05", "2026-05-20") in kept
    record(
        "reproducibility",
        "retention-through-flow",
        "two snapshots of 2025-03 older than the 400-day retention, one of 2026-05",
        "the older 2025-03 one pruned; the newest of each period kept",
        "kept: "
        + ", ".join(f"{folder}/{day}" for folder, day in kept if day != date.today().isoformat())
        + " and this run's own",
    )


def test_reminder_log_torn_by_a_kill_is_read_and_extended(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.remind import remind

    with SmtpTestServer("auth") as server:  # only e-mail really sent uses a reminder up
        use_smtp_server(monkeypatch, server.port)
        first = remind(as_of="2026-11-19", send=True, return_state=True)
        assert first.is_completed(), first.message
        log = out / "nhac-viec.jsonl"
        lines = log.read_text(encoding="utf-8").splitlines()
        last = json.loads(lines[-1])
        # Killed while appending the last entry: the line stops half-way, with no newline.
        data = log.read_bytes()
        log.write_bytes(data[: len(data) - len(lines[-1].encode()) // 2 - 1])
        written = len(server.messages)

        second = remind(as_of="2026-11-19", send=True, return_state=True)
        actual = f"second run: {second.message or 'completed'}"
        assert second.is_completed(), second.message
        # Only the item whose entry was torn comes up again (the last entries are those of
        # units with no e-mail address, reported to the Office); everything else was kept.
        again = second.result()
        assert set(again["reminded"]) | set(again["no_email"]) == {last["unit"]}
        assert again["reminded"].get(last["unit"], [last["item"]]) == [last["item"]]
        third = remind(as_of="2026-11-19", send=True, return_state=True)
        assert third.is_completed(), third.message
        # The second run's entries were not glued onto the torn line and lost.
        assert third.result()["reminded"] == {} and third.result()["no_email"] == []
        after = len(server.messages)
    record(
        "faults",
        "reminder-log-torn",
        "`nhac-viec.jsonl` (items already reminded) cut mid-line, as by a kill while appending",
        "next run reads the good lines, reminds only the lost item once",
        actual + f"; reminded again only {last['unit']}: {last['item']}",
        f"{after - written} more e-mail(s) "
        f"({'the unit and ' if again['reminded'] else ''}the Office's summary), then none",
    )


def test_the_same_data_read_on_a_later_day_is_not_mailed_again(out: Path, tmp_path: Path) -> None:
    from tests.builders import product

    # A row dated in the future (a year typo) is a problem on both days; its message used to
    # carry the read date, so the second day's report counted as "figures updated".
    rows = book(products=[product("05/05/2026"), product("05/05/2062", title="Năm gõ nhầm")])
    first = save_snapshot(read_at(rows, "2026-06-05T08:00:00+07:00"), tmp_path / "a")
    later = save_snapshot(read_at(rows, "2026-06-19T08:00:00+07:00"), tmp_path / "b")
    sent = run_report(snapshot=str(first))
    again = run_report(snapshot=str(later))
    assert sent.is_completed() and again.is_completed(), again.message
    assert again.result()["mail"].startswith("không gửi lại")
    assert len(emails(out)) == 1
    record(
        "faults",
        "same-data-later-day",
        "the same sheet (with a future-dated row) read again two weeks later, `--send`",
        "no second e-mail: nothing changed",
        f"second run: {again.result()['mail']}",
        "1 e-mail in total",
    )


CLI_CASES = [  # (id, what is given, arguments, the Vietnamese reason expected)
    (
        "period-outside-plan-year",
        "`--period 2027` on 02/12/2026 with the 2026 plan",
        ["--period", "2027", "--as-of", "2026-12-02"],
        "Kỳ năm 2027 (15/12/2026 - 14/12/2027) nằm ngoài năm của Kế hoạch 2026",
    ),
    (
        "period-not-begun",
        "`--period 2026-12` as of 10/11/2026 (its window starts 15/11)",
        ["--period", "2026-12", "--as-of", "2026-11-10"],
        "chưa bắt đầu",
    ),
    (
        "period-h2",
        "`--period 2026-H2` (the plan's 6-month report is the first half)",
        ["--period", "2026-H2", "--as-of", "2026-12-02"],
        "Kỳ báo cáo '2026-H2' không hợp lệ",
    ),
    (
        "adhoc-reversed",
        "`--from 01/05/2026 --to 01/04/2026` (end before start)",
        ["--from", "01/05/2026", "--to", "01/04/2026", "--as-of", "2026-06-05"],
        "01/04/2026",
    ),
    (
        "adhoc-one-date",
        "`--from 2026-05-01` without `--to`",
        ["--from", "2026-05-01", "--as-of", "2026-06-05"],
        "cần cả ngày bắt đầu (--from) và ngày kết thúc (--to)",
    ),
    (
        "adhoc-and-period",
        "`--period 2026-05` together with `--from`/`--to`",
        ["--period", "2026-05", "--from", "2026-05-01", "--to", "2026-05-10"],
        "Chỉ dùng một cách chọn kỳ",
    ),
    (
        "snapshot-truncated",
        "`--snapshot` of a file cut in half (a copy interrupted)",
        ["--period", "2026-05", "--as-of", "2026-06-05", "--snapshot", "{cut}"],
        "bị hỏng hoặc sai định dạng",
    ),
    (
        "snapshot-not-a-snapshot",
        "`--snapshot` of a gzip file holding other JSON (a list)",
        ["--period", "2026-05", "--as-of", "2026-06-05", "--snapshot", "{other}"],
        "bị hỏng hoặc sai định dạng",
    ),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_report_command_refuses_in_vietnamese(
    case: tuple[str, str, list[str], str], out: Path, tmp_path: Path
) -> None:
    import gzip

    from typer.testing import CliRunner

    from flows.cli import app

    case_id, given, args, reason = case
    good = save_snapshot(book(), tmp_path / "snap")
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    other = tmp_path / "other.json.gz"
    other.write_bytes(gzip.compress(b"[1, 2, 3]"))
    args = [a.format(cut=cut, other=other) for a in args]
    result = CliRunner().invoke(app, ["report", *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and reason in result.output, result.output
    assert not list(out.rglob("*.docx"))  # nothing written
    shown = result.output.strip().splitlines()[-1].replace(str(tmp_path), "<thư mục>")
    record("input", f"cli-{case_id}", given, "refused before anything is written", shown)


def test_a_far_away_cell_does_not_make_the_workbook_huge(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tasks.collect import MAX_COLUMNS, read_workbook
    from tasks.settings import SAMPLE_WORKBOOK

    workbook = load_workbook(SAMPLE_WORKBOOK)
    junk = workbook.create_sheet("Ghi chú riêng")
    junk["A1"] = "Ghi chú"
    junk.cell(row=1_048_576, column=16_384, value="x")  # XFD1048576: the sheet's last cell
    workbook["Tin bài"].cell(row=2, column=300, value="lạc")  # a stray cell in a contract tab
    path = tmp_path / "o-xa.xlsx"
    workbook.save(path)
    started = time.monotonic()
    raw = read_workbook(path)
    took = time.monotonic() - started
    assert raw.tabs["Ghi chú riêng"].rows == [["Ghi chú"]]  # outside the contract: header only
    assert max(len(r) for r in raw.tabs["Tin bài"].rows) <= MAX_COLUMNS
    assert len(raw.tabs["Tin bài"].rows) == len(read_workbook(SAMPLE_WORKBOOK).tabs["Tin bài"].rows)
    record(
        "faults",
        "xlsx-far-away-cells",
        f"a {path.stat().st_size // 1024} KB .xlsx with an extra tab whose last cell is "
        "XFD1048576, and a stray cell in column KN of `Tin bài`",
        "read quickly: the extra tab by its header, no tab past column AZ",
        f"read in {took:.1f} s; extra tab = 1 row; `Tin bài` at most {MAX_COLUMNS} columns",
        "nothing lost from the contract's columns",
    )


def test_a_password_protected_workbook_is_named_as_such(tmp_path: Path) -> None:
    from tasks.collect import read_workbook
    from tasks.errors import SourceError

    # Excel saves a protected .xlsx as an OLE compound file (its 8-byte signature, then blocks).
    locked = tmp_path / "co-mat-khau.xlsx"
    locked.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    with pytest.raises(SourceError) as err:
        read_workbook(locked)
    assert "có đặt mật khẩu" in str(err.value)
    record(
        "input",
        "xlsx-password",
        "a password-protected .xlsx (OLE compound file) as the source",
        "refused, saying to remove the password",
        f"refused: {err.value}",
    )
