"""Prefect global concurrency limits that must exist before they are taken: Prefect lets every
run through a limit that does not exist (unless ``strict=True``, which then fails), so each one
is created, or corrected, on first use in a process. Used by the sending slot (tasks/storage.py)
and the Sheets quota (tasks/sheets_quota.py)."""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)

_made: set[tuple[str, int, float]] = set()
_lock = threading.Lock()


def ensure_limit(name: str, limit: int, decay: float = 0.0) -> None:
    """The limit ``name`` with ``limit`` slots (decaying at ``decay`` per second: a rate limit),
    active; safe from many runs at once (a concurrent create is taken as done)."""
    key = (name, limit, round(decay, 6))
    with _lock:
        if key in _made:
            return
        _create_or_correct(name, limit, round(decay, 6))
        _made.add(key)


def _create_or_correct(name: str, limit: int, decay: float) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            found = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(
                        name=name, limit=limit, slot_decay_per_second=decay, active=True
                    )
                )
                logger.info("Tạo giới hạn đồng thời '%s': %d, giảm %.3f/giây.", name, limit, decay)
            except ObjectAlreadyExists:
                pass  # another run made it first
            return
        if (found.limit, round(found.slot_decay_per_second, 6), found.active) != (
            limit,
            decay,
            True,
        ):
            client.update_global_concurrency_limit(
                name,
                GlobalConcurrencyLimitUpdate(limit=limit, slot_decay_per_second=decay, active=True),
            )
