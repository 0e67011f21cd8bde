"""The flows end to end on the bundled sample workbook, under a real (temporary) Prefect server."""

from __future__ import annotations

import json
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from typer.testing import CliRunner

from flows.check import check
from flows.cli import app
from flows.remind import remind
from flows.report import report
from tasks.calendar import parse_period
from tasks.collect import load_snapshot, read_workbook
from tasks.compile import build_result
from tasks.normalize import normalize
from tasks.settings import SAMPLE_WORKBOOK
from tasks.verify import verify
from tests.conftest import artifacts_of
from tests.smtp_server import SmtpTestServer, use_smtp_server

AS_OF = "2026-11-28"


pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_monthly_report_on_the_sample_workbook(out, plan):
    state = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
    assert state.is_completed(), state.message
    got = state.result()
    folder = out / "2026-05"
    result = json.loads((folder / "ket-qua.json").read_text(encoding="utf-8"))

    # The same figures as the stage functions called directly on what the run read (its
    # snapshot carries the read time: the test holds on whichever day it runs).
    snapshot = Path(got["files"]["Ảnh chụp dữ liệu"])
    assert snapshot.exists() and snapshot.name.endswith(".json.gz")
    raw = load_snapshot(snapshot)
    sample = read_workbook(SAMPLE_WORKBOOK)
    assert {t: tab.rows for t, tab in raw.tabs.items()} == {
        t: tab.rows for t, tab in sample.tabs.items()
    }
    as_of = date(2026, 11, 28)
    records, problems = normalize(raw, plan)
    expected = build_result(verify(records, plan, parse_period("2026-05"), as_of, problems))
    section = result.pop("cchc_section")  # the CCHC-report part, beside the report
    # for a province roll-up: the layout's version and the agency (DESIGN §5)
    header = {"schema": result.pop("schema"), "agency": result.pop("agency")}
    assert header == {
        "schema": 1,
        "agency": {"code": "SXD", "name": "SỞ XÂY DỰNG", "parent": "UBND TỈNH ĐẮK LẮK"},
    }
    assert result == expected
    assert section["title"] == "Công tác thông tin, tuyên truyền cải cách hành chính"
    assert "các phòng, đơn vị đã thực hiện 24 sản phẩm" in section["paragraphs"][1]
    assert result["as_of"] == "2026-11-28"
    assert result["window"] == {"start": "2026-04-15", "end": "2026-05-14"}
    assert len(result["problems"]) == 15  # the sample's deliberate bad rows (4 in Nhiệm vụ)

    assert Path(got["files"]["Báo cáo"]).exists()
    eml = Path(got["files"]["Thư (hộp thư đi)"])
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Báo cáo kết quả thông tin, tuyên truyền CCHC tháng 5/2026"
    assert "giamdoc@sxd.daklak.gov.vn" in message["To"]
    leaders_text = message.get_body(("plain",)).get_content()
    # The data problems go to the Office only, with both documents attached.
    office = message_from_bytes(
        Path(got["files"]["Thư Văn phòng (hộp thư đi)"]).read_bytes(), policy=policy.default
    )
    assert office["To"] == "Văn phòng Sở <vanphong@sxd.daklak.gov.vn>"
    assert [a.get_filename() for a in office.iter_attachments()] == [
        "Báo cáo tuyên truyền CCHC tháng 5-2026.docx",
        "Lồng ghép báo cáo CCHC tháng 5-2026.docx",
    ]
    office_text = office.get_body(("plain",)).get_content()
    for problem in result["problems"]:
        where = f"tab '{problem['tab']}', dòng {problem['row']}, cột '{problem['column']}'"
        assert f"- {where}: {problem['message']}" in office_text
        assert where not in leaders_text
    assert (
        "Lỗi dữ liệu cần các đơn vị sửa (15 lỗi; dòng có ô bắt buộc sai chưa được tính):"
        in office_text
    )
    assert artifacts_of(state) == {
        "tom-tat-2026-05": "markdown",
        "don-vi-2026-05": "table",
        "loi-du-lieu-2026-05": "table",
        "thu-2026-05": "table",  # the send log's entries for this report's two e-mails
        None: "progress",  # the progress bar while it ran (progress artifacts have no key)
    }

    # A second run with the same figures writes no second e-mail.
    again = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
    assert again.is_completed()
    assert again.result()["mail"].startswith("không gửi lại")
    assert again.result()["office_mail"].startswith("không gửi lại")
    assert len(list((out / "outbox").glob("*.eml"))) == 2  # the leaders' and the Office's

    # Rebuilt from the snapshot: the same result.
    rebuilt = report(period="2026-05", as_of=AS_OF, snapshot=str(snapshot), return_state=True)
    assert rebuilt.is_completed()
    rebuilt_result = json.loads((folder / "ket-qua.json").read_text(encoding="utf-8"))
    assert rebuilt_result == {**header, **expected, "cchc_section": section}
    documented = (Path(__file__).parents[1] / "docs" / "result.md").read_text(encoding="utf-8")
    assert [key for key in rebuilt_result if f"`{key}" not in documented] == []


def test_default_period_and_run_name(out):
    state = report(as_of=AS_OF, kind="half", return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["period"] == "2026-H1"
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.name == "bao-cao-2026-H1"


def test_missing_tab_fails_the_run_with_a_vietnamese_reason(out, tmp_path):
    from openpyxl import load_workbook

    broken = tmp_path / "thieu-tab.xlsx"
    workbook = load_workbook(SAMPLE_WORKBOOK)
    del workbook["Hồ sơ trễ hẹn"]
    workbook.save(broken)
    state = report(period="2026-05", as_of=AS_OF, source=str(broken), return_state=True)
    assert state.is_failed()
    assert "Không tìm thấy tab 'Hồ sơ trễ hẹn'" in state.message
    checked = check(source=str(broken), return_state=True)
    assert checked.is_failed() and "Hồ sơ trễ hẹn" in checked.message


def test_check_lists_the_problems(out):
    state = check(return_state=True)
    assert state.is_completed()
    rows = {(p["tab"], p["row"]) for p in state.result()["problems"]}
    assert ("Tin bài", 64) in rows and ("Hồ sơ trễ hẹn", 14) in rows
    assert len(rows) == 15


def test_remind_skips_sunday_and_holiday_in_lieu(out):
    sunday = remind(as_of="2026-05-17", send=True, return_state=True)
    assert sunday.is_completed() and "ngày nghỉ" in sunday.message
    with get_client(sync_client=True) as client:  # as the UI's run list shows it
        assert client.read_flow_run(sunday.state_details.flow_run_id).state_name == "Bỏ qua"
    in_lieu = remind(as_of="2026-04-27", send=True, return_state=True)
    assert "ngày nghỉ" in in_lieu.message
    assert not (out / "outbox").exists()


def test_remind_reminds_each_item_once(out, monkeypatch):
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port)
        first = remind(as_of="2026-11-19", send=True, return_state=True)
        assert first.is_completed(), first.message
        reminded = first.result()["reminded"]
        assert reminded, "the sample has units behind on 19/11"
        sent = len(server.messages)
        second = remind(as_of="2026-11-19", send=True, return_state=True)
        assert second.result()["reminded"] == {}
        assert len(server.messages) == sent == len(reminded) + 1  # + the Office's summary


def test_a_trial_without_smtp_does_not_use_the_reminders_up(out, monkeypatch):
    # send=true but no mail server yet: the e-mails go to the outbox, as a preview...
    preview = remind(as_of="2026-11-19", send=True, return_state=True)
    assert preview.is_completed(), preview.message
    assert list((out / "outbox").glob("remind-*.eml"))
    # ...and the run's log says so.
    assert any("chưa tính là đã nhắc" in log.message for log in run_logs(preview))
    # ...and once SMTP is configured, the same items are really sent.
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port)
        real = remind(as_of="2026-11-19", send=True, return_state=True)
        assert real.result()["reminded"] == preview.result()["reminded"]
        assert len(server.messages) == len(real.result()["reminded"]) + 1


def test_cli_report_prints_where_the_files_are(out):
    result = CliRunner().invoke(app, ["report", "--period", "2026-05", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "Đã lập báo cáo tháng 5/2026" in result.output
    assert "ket-qua.json" in result.output and "Lỗi dữ liệu: 15 lỗi" in result.output


def test_cli_failure_is_one_paragraph_not_a_traceback(out):
    result = CliRunner().invoke(app, ["report", "--period", "2026-13", "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "LỖI: Kỳ báo cáo '2026-13' không hợp lệ" in result.output
    assert "Traceback" not in result.output


def test_cli_check_exit_codes(out, tmp_path):
    from openpyxl import load_workbook

    ok = CliRunner().invoke(app, ["check"])
    assert ok.exit_code == 0 and "15 lỗi dữ liệu" in ok.output
    broken = tmp_path / "thieu-tab.xlsx"
    workbook = load_workbook(SAMPLE_WORKBOOK)
    del workbook["Tin bài"]
    workbook.save(broken)
    structural = CliRunner().invoke(app, ["check", "--source", str(broken)])
    assert structural.exit_code == 2 and "Không tìm thấy tab 'Tin bài'" in structural.output
    missing = CliRunner().invoke(app, ["check", "--source", str(tmp_path / "khong-co.xlsx")])
    assert missing.exit_code == 1 and "Không tìm thấy tệp dữ liệu" in missing.output


def test_reminder_e_mails_read_as_a_clerk_would(out):
    state = remind(as_of="2026-11-19", send=True, return_state=True)
    assert state.is_completed(), state.message
    reminded = state.result()["reminded"]
    messages = {
        p.name: message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in (out / "outbox").glob("*.eml")
    }
    summary = next(m for m in messages.values() if m["Subject"].startswith("Tổng hợp nhắc việc"))
    text = summary.get_body(("plain",)).get_content()
    html = summary.get_body(("html",)).get_content()
    for body in (text, html):
        assert "built-in method" not in body and "object at 0x" not in body
        assert "Trân trọng" in body
    # Each reminded unit by name, with one line per item it was reminded of; overdue marked.
    names = unit_names()
    for code in reminded:
        assert names[code] in text
    sent_part = text.split("chưa có email")[0]
    item_lines = [line for line in sent_part.splitlines() if line.startswith("   - ")]
    assert len(item_lines) == sum(len(items) for items in reminded.values())
    assert any(line.startswith("   - [Quá hạn] ") for line in item_lines)
    assert summary["From"].addresses[0].display_name == "Văn phòng Sở Xây dựng Đắk Lắk"

    units = [m for m in messages.values() if m["Subject"].startswith("Nhắc việc")]
    assert len(units) == len(reminded)
    for message in units:
        body = message.get_body(("plain",)).get_content()
        assert body.startswith("Kính gửi: ")
        assert "Trân trọng" in body and "vanphong@sxd.daklak.gov.vn" in body
        assert "built-in method" not in body and "{{" not in body
    # The Office itself is not asked to send its report "về Văn phòng Sở".
    office = [m for m in units if "Văn phòng Sở" in m["Subject"]]
    for message in office:
        assert "gửi về Văn phòng Sở" not in message.get_body(("plain",)).get_content()


def unit_names() -> dict[str, str]:
    from tasks.normalize import normalize
    from tasks.plan import load_plan
    from tasks.settings import DEFAULT_PLAN

    records, _ = normalize(read_workbook(SAMPLE_WORKBOOK), load_plan(DEFAULT_PLAN))
    return dict(zip(records.units["code"], records.units["name"], strict=True))


def run_logs(state):
    """The log lines of a finished run, as the UI shows them."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)  # logs go to the API in the background: send them
    with get_client(sync_client=True) as client:
        return client.read_logs(
            log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )


def test_our_own_log_lines_reach_the_run_logs_in_the_ui(out):
    state = report(period="2026-05", as_of=AS_OF, send=True, return_state=True)
    assert state.is_completed(), state.message
    logs = run_logs(state)
    ours = [log for log in logs if log.name.startswith("tasks.")]
    assert any(log.name == "tasks.mail" and "Chưa cấu hình SMTP" in log.message for log in ours), [
        (log.name, log.message) for log in logs
    ]


def test_task_runs_are_named_so_the_run_graph_can_draw_them(out):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    state = report(period="2026-05", as_of=AS_OF, return_state=True)
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            )
        )
    names = {run.name for run in runs}
    # The run graph's font has no Vietnamese letters: run names without diacritics.
    assert {"Doc bang tinh", "Lap bao cao", "Kiem tra theo Ke hoach"} <= names
    assert all(name.isascii() for name in names), names
