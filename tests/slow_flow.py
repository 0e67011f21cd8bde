"""A flow that only waits: a run still in progress when `make down` stops the system, or when
its process is killed. It alerts the Office as the product's flows do."""

from __future__ import annotations

import time

from prefect import flow

from flows.alerting import alert_office


@flow(name="cho-lau", on_failure=[alert_office], on_crashed=[alert_office])
def wait_long(seconds: float = 600) -> None:
    time.sleep(seconds)


if __name__ == "__main__":  # deploy it from this checkout onto the pool named on the command line
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    wait_long.from_source(str(repo), "tests/slow_flow.py:wait_long").deploy(  # type: ignore[attr-defined]
        name="cho-lau", work_pool_name=sys.argv[1], print_next_steps=False
    )
