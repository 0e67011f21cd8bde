from __future__ import annotations

from pathlib import Path

import pytest

from tasks.plan import Plan, load_plan
from tasks.settings import DEFAULT_PLAN


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(DEFAULT_PLAN)


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    """A writable copy of the real plan, for tests that change it."""
    path = tmp_path / "plan.yaml"
    path.write_text(DEFAULT_PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    return path
