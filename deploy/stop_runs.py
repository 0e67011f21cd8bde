"""Stop the flow runs still in progress under the given worker processes (used by down.sh).

A process worker starts each flow run in a session of its own (prefect 3.9.1): stopping the
worker's process group leaves the run going, and the UI would show it Running long after. So,
before the workers stop: every session a worker started is found through /proc, its flow run
(matched by the run's ``infrastructure_pid``) is cancelled through the API with a Vietnamese
message (a stop that was asked for is not a crash: no crash alert), and a session still there
after the grace period gets SIGTERM, then SIGKILL.

Usage: python deploy/stop_runs.py WORKER_PID...   (PREFECT_API_URL set; works without it too)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

GRACE_SECONDS = 20
MESSAGE = "Dừng theo lệnh make down (dừng hệ thống); chạy lại lần này khi cần."


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid:  # fields after "(comm)": state, ppid, ...
            found.append(int(stat.parent.name))
    return found


def run_sessions(worker_pids: list[int]) -> list[int]:
    """The sessions the workers started for their flow runs: children that lead a session."""
    return [
        child for worker in worker_pids for child in children(worker) if _session_of(child) == child
    ]


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


def flow_runs(client: Any, pids: list[int]) -> list[Any]:
    """The flow runs in progress that were started as ``pids``."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    wanted = {str(pid) for pid in pids}
    active = [StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=active))
        )
    )
    return [run for run in runs if run.infrastructure_pid in wanted]


def stop_runs(sessions: list[int]) -> list[str]:
    """Cancel the runs of ``sessions`` the way Prefect does (state Cancelling: the run's engine
    stops itself and ends Cancelled, with no crash hook), wait, then signal what is left.
    Returns the names of the runs (none when the server does not answer)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled, Cancelling

    try:
        with get_client(sync_client=True) as client:
            runs = flow_runs(client, sessions)
            for run in runs:
                client.set_flow_run_state(run.id, Cancelling(message=MESSAGE))
    except Exception as err:  # no server: the processes are stopped all the same
        print(f"  (không cập nhật được trạng thái lần chạy: {type(err).__name__})")
        runs = []
    if runs:
        _wait_gone(sessions, GRACE_SECONDS)
    signal_sessions(sessions)
    if runs:
        # A run signalled above reports itself Crashed as it dies: it was stopped on purpose.
        with get_client(sync_client=True) as client:
            for run in runs:
                if not client.read_flow_run(run.id).state_type.value == "CANCELLED":
                    client.set_flow_run_state(run.id, Cancelled(message=MESSAGE), force=True)
    return [run.name for run in runs]


def signal_sessions(sessions: list[int]) -> None:
    """SIGTERM to each session still there, SIGKILL after the grace period."""
    alive = [s for s in sessions if _signal_group(s, signal.SIGTERM)]
    if alive and not _wait_gone(alive, GRACE_SECONDS):
        for session in alive:
            _signal_group(session, signal.SIGKILL)


def _wait_gone(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_exists(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def main(argv: list[str]) -> None:
    sessions = run_sessions([int(a) for a in argv])
    if not sessions:
        return
    names = stop_runs(sessions)
    shown = ", ".join(names) if names else f"{len(sessions)} tiến trình"
    print(f"Đã dừng các lần chạy đang dở: {shown} (trạng thái Cancelled).")


if __name__ == "__main__":
    main(sys.argv[1:])
