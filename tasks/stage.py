"""The Prefect task wrapper every stage uses: its options in one place."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.text import strip_marks


def stage_task(name: str) -> Any:
    """``@task`` named ``name`` (Vietnamese, as the task list shows it), never cached (every run
    reads fresh data). Its runs are named without diacritics: the UI's run graph draws names in
    a font with no Vietnamese letters (Prefect 3.9 shows "Lập báo cáo" as "Lp bo co")."""
    return task(name=name, task_run_name=strip_marks(name), cache_policy=NO_CACHE)
