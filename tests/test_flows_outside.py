"""The report flow against the outside world's local stand-ins: the loopback Sheets API server
(read, Tổng hợp write-back) and an aiosmtpd SMTP server (sending, failure, never twice)."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from docx import Document
from typer.testing import CliRunner

from flows.cli import app
from flows.report import report
from tasks.collect import read_workbook
from tasks.contract import SUMMARY_TITLE
from tasks.settings import SAMPLE_WORKBOOK
from tests.conftest import serve_sample_sheet
from tests.smtp_server import (
    TEST_PASSWORD,
    SmtpTestServer,
    free_port,
    to_leaders,
    use_smtp_server,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")
KEY = "1SoXayDungDakLak_CCHC_2026_mauABCDEFGHIJ"
AS_OF = "2026-11-28"


@pytest.fixture
def google(out, emulator, key_file, monkeypatch):
    """The sample workbook served as a Google Sheet; the flow reads it through gspread."""
    serve_sample_sheet(emulator, KEY, key_file, monkeypatch)
    return emulator


def test_report_from_google_sheet_reads_once_and_writes_back(out, google):
    state = report(period="2026-05", as_of=AS_OF, return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["wrote_back"] is True

    calls = [c for c in google.log if "/token" not in c.path]
    reads = [c for c in calls if c.method == "GET"]
    assert len([c for c in reads if "values:batchGet" in c.path]) == 1
    assert len(reads) == 2  # one metadata GET + one batchGet
    writes = google.writes()
    assert 1 <= len(writes) <= 3
    assert all(w.query.get("valueInputOption", ["RAW"]) == ["RAW"] for w in writes)

    result = json.loads((out / "2026-05" / "ket-qua.json").read_text(encoding="utf-8"))
    summary = google.sheet(KEY, SUMMARY_TITLE).rows
    rows = {r[0]: r for r in summary if r and r[0] in {u["code"] for u in result["units"]}}
    assert len(rows) == len(result["units"])
    for unit in result["units"]:
        assert rows[unit["code"]][2] == unit["products"]
    assert any("Lỗi dữ liệu cần sửa (15)" in str(r[0]) for r in summary if r)
    # Input tabs are untouched: every value the units typed is still there as it was.
    assert google.sheet(KEY, "Tin bài").rows == read_workbook(SAMPLE_WORKBOOK).tabs["Tin bài"].rows


def test_check_command_lists_problems_from_the_sheet(out, google):
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "Tab 'Tin bài', dòng 64, cột 'Ngày'" in result.output
    assert "15 lỗi dữ liệu" in result.output


def test_report_e_mailed_once_through_smtp(out, monkeypatch):
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port)
        first = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
        second = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
        assert first.is_completed(), first.message
        assert first.result()["mail"] == "đã gửi qua máy chủ thư"
        assert second.result()["mail"].startswith("không gửi lại")
        (captured,) = to_leaders(server.handler.messages)  # the Office's copy aside

    message = message_from_bytes(captured.raw, policy=policy.default)
    assert message["Subject"] == "Báo cáo kết quả thông tin, tuyên truyền CCHC tháng 5/2026"
    body = message.get_body(("plain",)).get_content()
    assert "- Chỉ tiêu sản phẩm tuyên truyền do Văn phòng Sở giao cho đơn vị: 3/3 đơn vị" in body
    assert "- Cụ thể hóa nội dung tuyên truyền: Hạn hoàn thành trước ngày 15/5/2026; 5/10" in body
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "Báo cáo tuyên truyền CCHC tháng 5-2026.docx"
    path = out / "attached.docx"
    path.write_bytes(attachment.get_content())
    assert any("BÁO CÁO" in p.text for p in Document(path).paragraphs)


def test_failed_send_keeps_the_report_and_the_next_run_sends_once(out, monkeypatch):
    port = free_port()
    use_smtp_server(monkeypatch, port)  # nothing listens there yet: the server is down
    failed = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
    assert failed.is_failed()
    assert "Không gửi được thư" in failed.message and TEST_PASSWORD not in failed.message
    assert (out / "2026-05" / "ket-qua.json").exists()
    assert list((out / "2026-05").glob("*.docx")) and list(
        (out / "2026-05" / "snapshots").iterdir()
    )

    with SmtpTestServer("auth", port=port) as server:
        again = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
        assert again.is_completed(), again.message
        report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
        assert len(to_leaders(server.handler.messages)) == 1


def test_init_sheet_command_prepares_a_new_sheet_once(out, emulator, key_file, monkeypatch):
    key = "1MoiTaoSoXayDungDakLak_CCHC_2026_ABCDEFGH"
    emulator.add_book(key, {"Trang tính1": []})
    monkeypatch.setenv("CCHC_SHEETS_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    url = f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0"
    first = CliRunner().invoke(app, ["init-sheet", "--source", url])
    assert first.exit_code == 0, first.output
    assert "Tin bài" in first.output and "thay đổi" in first.output
    assert emulator.sheet(key, "Tin bài").rows[0][:2] == ["Ngày", "Đơn vị"]
    writes = len(emulator.writes())
    second = CliRunner().invoke(app, ["init-sheet", "--source", url])
    assert second.exit_code == 0 and ": 0 thay đổi." in second.output
    assert len(emulator.writes()) == writes  # nothing written the second time
    workbook = CliRunner().invoke(app, ["init-sheet", "--source", "data/sample/x.xlsx"])
    assert workbook.exit_code == 1 and "chỉ dùng cho Google Sheet" in workbook.output
