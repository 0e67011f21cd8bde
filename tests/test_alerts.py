"""Alerts to the Office: a failed scheduled run e-mails it once, with the reason and the UI link."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from prefect.client.orchestration import get_client
from prefect.flow_engine import run_flow
from prefect.states import Scheduled

from flows.check import check
from flows.report import report
from tasks.alerts import failure_reason, shown_parameters
from tests.smtp_server import TEST_PASSWORD, SmtpTestServer, use_smtp_server

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run_as_deployment(
    flow: Any, parameters: dict[str, Any], scheduled: datetime | None = None
) -> Any:
    """Run ``flow`` here as a run of a deployment (scheduled for ``scheduled``, default now), as
    a worker's flow-run process does: flow_engine.run_flow with the run created from the
    deployment. Returns its final state."""
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name(flow.name)
        deployment = client.create_deployment(flow_id=flow_id, name=f"thu-{uuid4().hex[:8]}")
        state = Scheduled(scheduled_time=scheduled) if scheduled else None
        run = client.create_flow_run_from_deployment(deployment, parameters=parameters, state=state)
    return run_flow(flow, flow_run=run, parameters=parameters, return_type="state")


def outbox_alerts(out: Path) -> list[Any]:
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((out / "outbox").glob("alert-*.eml"))
    ]


def test_a_failed_scheduled_run_e_mails_the_office_once(out):
    state = run_as_deployment(report, {"period": "2026-13", "as_of": "2026-11-28", "send": True})
    assert state.is_failed()
    [alert] = outbox_alerts(out)
    run_id = state.state_details.flow_run_id
    assert alert["To"].addresses[0].addr_spec == "vanphong@sxd.daklak.gov.vn"  # recipients.office
    assert alert["Subject"].startswith("[Cảnh báo CCHC] Lần chạy “bao-cao-cchc” không hoàn thành")
    text = alert.get_body(("plain",)).get_content()
    assert "Kỳ báo cáo '2026-13' không hợp lệ" in text  # our Vietnamese reason, as the run has it
    assert "Tham số: period=2026-13, as_of=2026-11-28, send=true" in text
    assert f"/runs/flow-run/{run_id}" in text
    assert "Traceback" not in text and 'File "' not in text

    # The hook again for the same run (a retried hook, a second worker): no second e-mail.
    from flows.alerting import send_failure_alert

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert send_failure_alert(report, run, run.state).status == "duplicate"
    assert len(outbox_alerts(out)) == 1


def test_the_alert_goes_through_smtp_without_the_password(out, monkeypatch, plan_file):
    # A plan with its own alert list; the sheet cannot be read (a wrong path).
    plan_text = plan_file.read_text(encoding="utf-8").replace(
        "  to: []", '  to: [{name: "Cán bộ CNTT", email: "cntt@sxd.daklak.gov.vn"}]'
    )
    plan_file.write_text(plan_text, encoding="utf-8")
    monkeypatch.setenv("CCHC_PLAN", str(plan_file))
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port)
        state = run_as_deployment(check, {"source": str(out / "khong-co.xlsx")})
        assert state.is_failed()
        [message] = server.messages
    assert message.rcpt_tos == ["cntt@sxd.daklak.gov.vn"]
    text = message.message.get_body(("plain",)).get_content()
    assert "Không tìm thấy tệp dữ liệu" in text and "kiem-tra-bang-tinh" in text
    assert TEST_PASSWORD not in text
    assert not (out / "outbox").exists()


def test_a_run_started_by_hand_is_not_e_mailed(out):
    # `cchc report` prints the reason on the screen of whoever typed it.
    state = report(period="2026-13", as_of="2026-11-28", return_state=True)
    assert state.is_failed()
    assert not outbox_alerts(out)


def test_failure_reason_in_vietnamese_without_secrets():
    assert failure_reason("FAILED", "Kỳ báo cáo sai.", []) == "Kỳ báo cáo sai."
    bug = failure_reason(
        "FAILED", "Flow run encountered an exception: KeyError: 'mk-123'", ["mk-123"]
    )
    assert bug == "Lỗi chương trình (không phải lỗi dữ liệu), cần cán bộ CNTT xem: KeyError: '***'"
    crashed = failure_reason("CRASHED", "Execution was interrupted by a termination signal.", [])
    assert crashed.startswith("Lần chạy bị dừng đột ngột")
    assert len(failure_reason("FAILED", "x" * 5000, [])) == 1000


def test_shown_parameters_leave_out_defaults():
    assert shown_parameters({"period": None, "send": True, "force": False}) == "send=true"
    assert shown_parameters({}) == "(mặc định)"


def test_a_scheduled_report_works_as_of_its_scheduled_day(out):
    # Scheduled 2 days ago (the machine was off), started now: as of the scheduled day.
    scheduled = datetime.now(UTC) - timedelta(days=2)
    state = run_as_deployment(report, {"period": "2026-05"}, scheduled=scheduled)
    assert state.is_completed(), state.message
    day = scheduled.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    result = json.loads(Path(state.result()["files"]["Kết quả (JSON)"]).read_text("utf-8"))
    assert result["as_of"] == day.isoformat()


def test_a_report_started_long_after_its_time_fails_and_tells_the_office(out):
    scheduled = datetime.now(UTC) - timedelta(days=10)  # > reporting.max_delay_days (7)
    state = run_as_deployment(report, {"kind": "month", "send": True}, scheduled=scheduled)
    assert state.is_failed()
    assert "bắt đầu trễ 10 ngày (quá 7 ngày, reporting.max_delay_days" in state.message
    assert not list(out.glob("20*/ket-qua.json"))  # no report for a month nobody asked now
    [alert] = outbox_alerts(out)
    assert "bắt đầu trễ 10 ngày" in alert.get_body(("plain",)).get_content()
    # Given its as-of date, the same late run is what someone asked for: it reports.
    again = run_as_deployment(
        report, {"period": "2026-05", "as_of": "2026-11-28"}, scheduled=scheduled
    )
    assert again.is_completed(), again.message
