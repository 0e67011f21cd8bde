"""The daily watchdog against the real (temporary) Prefect server, with runs made for the test."""

from __future__ import annotations

import time
from datetime import timedelta
from email import message_from_bytes, policy
from uuid import uuid4

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.states import Completed, Running

from flows.watchdog import watchdog
from tasks.run_health import stuck_runs

pytestmark = pytest.mark.usefixtures("prefect_harness")


@flow(name="thu-canh-bao")
def _placeholder() -> None:
    """Only its name: the runs below are made through the API, never run."""


def make_run(name: str, state) -> str:
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(_placeholder, name=name)
        client.set_flow_run_state(run.id, state, force=True)
        return str(run.id)


def new_pool(with_worker: bool) -> str:
    """A process work pool of its own, with one live worker (a heartbeat now) or none."""
    from prefect.client.schemas.actions import WorkPoolCreate

    name = f"thu-{uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        if with_worker:
            client.send_worker_heartbeat(name, "may-vp-worker", heartbeat_interval_seconds=30)
    return name


def alert_text(out) -> str:
    [path] = (out / "outbox").glob("canh-bao-*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "vanphong@sxd.daklak.gov.vn"
    return message.get_body(("plain",)).get_content()


def test_missing_report_and_no_worker_make_one_e_mail(out):
    pool = new_pool(with_worker=False)
    # 23/10/2026: the October report (15/9 - 14/10) has no Completed run.
    state = watchdog(as_of="2026-10-23", pool=pool, return_state=True)
    assert state.is_completed(), state.message
    found = state.result()["problems"]
    assert found == [
        "Chưa có báo cáo tháng 10/2026 hoàn thành (hạn ngày 23 hằng tháng)",
        f"Không có worker nào đang hoạt động trên work pool “{pool}”: các lần chạy theo lịch "
        "đang chờ",
    ]
    text = alert_text(out)
    assert "15/09/2026 - 14/10/2026" in text and "cchc report --period 2026-10 --send" in text
    assert "Lần cuối hoạt động: chưa từng" in text

    # The same day again: the same findings are not e-mailed twice.
    again = watchdog(as_of="2026-10-23", pool=pool, return_state=True)
    assert again.result()["mail"] == "duplicate"
    assert len(list((out / "outbox").glob("canh-bao-*.eml"))) == 1


def test_a_run_running_longer_than_the_plan_allows_is_stuck():
    # The server stamps a run's start itself, so the two runs start 2 s apart and "now" is
    # set just past 3 h (alerts.max_running_hours) after the first one's start.
    stuck = make_run(f"treo-{uuid4().hex[:6]}", Running())
    time.sleep(2)
    recent = make_run(f"moi-{uuid4().hex[:6]}", Running())
    with get_client(sync_client=True) as client:
        started = client.read_flow_run(stuck).start_time
        now = started + timedelta(hours=3, seconds=1)
        items = stuck_runs(client, now, 3, "http://127.0.0.1:4200", own_run=None)
        for run in (stuck, recent):  # leave nothing Running for the other tests
            client.set_flow_run_state(run, Completed(), force=True)
    [item] = [i for i in items if i.link.endswith(stuck)]
    assert item.title.startswith("Lần chạy “treo-") and "quá 3 giờ" in item.title
    assert item.link == f"http://127.0.0.1:4200/runs/flow-run/{stuck}"
    assert not [i for i in items if i.link.endswith(recent)]


def test_all_well_sends_nothing(out):
    make_run("bao-cao-2026-09", Completed())  # the September report done
    pool = new_pool(with_worker=True)
    state = watchdog(as_of="2026-09-24", pool=pool, return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["problems"] == []
    # Before the 23rd the month's report is not expected yet.
    early = watchdog(as_of="2026-11-20", pool=pool, return_state=True)
    assert early.result()["problems"] == []
    assert not (out / "outbox").exists()


def test_a_holiday_is_skipped(out):
    state = watchdog(as_of="2026-09-02", pool="khong-co", return_state=True)
    assert state.is_completed() and state.message.startswith("Bỏ qua: ngày 02/09/2026")
    assert state.name == "Bỏ qua"
    assert not (out / "outbox").exists()
