"""Google's Sheets quota across every agency's runs: a Prefect global rate limit.

Google allows 60 read requests per minute per user (the service account) and 300 per project;
writes have a quota of their own of the same size. Every run on the Prefect server (one
deployment per agency, any number of workers) takes one slot of ``<prefix>-doc-reads`` (GET) or
``<prefix>-doc-writes`` (other methods) before each HTTP request to the Sheets API, retries
included, through ``prefect.concurrency.sync.rate_limit``.

Why these numbers (prefect 3.9.1): a limit of ``L`` slots decaying at ``d`` slots per second
admits at most ``L + d*W`` requests in any ``W`` seconds (the burst, then the decay). With
``L = max(1, Q // 12)`` and ``d = (Q - 1 - L) / W`` that is ``Q - 1`` per window: one slot of
headroom for the time between a slot being granted and the request reaching Google. The server
computes the decay as ``floor(d * seconds since the limit was last updated)`` and every update
(a grant, or a refusal) restarts that clock, so under contention the real rate is somewhat
lower than ``d``, never higher.

A limit that does not exist is silently not applied by Prefect unless ``strict=True``: the
limits are created (or corrected) once per process (tasks/limits.py) and taken with
``strict=True``. Outside a Prefect run (plain function calls in tests and benchmarks) nothing is
limited: there is no shared server to count on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from tasks.errors import SourceError
from tasks.limits import ensure_limit
from tasks.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SheetsQuota:
    """``quota`` requests in any ``seconds``, per kind (read, write), as Prefect limits."""

    prefix: str
    quota: int
    seconds: float
    wait: float  # seconds a request may wait for its slot

    @property
    def burst(self) -> int:
        return max(1, self.quota // 12)

    @property
    def decay(self) -> float:
        return max(self.quota - 1 - self.burst, 1) / self.seconds

    def limit_name(self, method: str) -> str:
        return f"{self.prefix}-doc-{'reads' if method.upper() == 'GET' else 'writes'}"

    def take(self, method: str) -> float:
        """Wait for one slot of the limit for ``method``; the seconds waited. SourceError when
        the wait exceeds ``self.wait``. No-op outside a Prefect flow or task run."""
        if not _in_a_run():
            return 0.0
        from prefect.concurrency.sync import rate_limit

        name = self.limit_name(method)
        ensure_limit(name, self.burst, self.decay)
        started = time.monotonic()
        try:
            rate_limit(name, occupy=1, timeout_seconds=self.wait, strict=True)
        except TimeoutError:
            raise SourceError(
                f"Đã chờ {self.wait:.0f} giây mà chưa đến lượt gọi Google Sheets: hạn mức "
                f"{self.quota} yêu cầu mỗi {self.seconds:g} giây dùng chung cho mọi cơ quan "
                f"(giới hạn '{name}' trên Prefect server). Chạy lại sau, hoặc tăng "
                "CCHC_SHEETS_QUOTA_WAIT."
            ) from None
        waited = time.monotonic() - started
        if waited > 1:
            logger.info("Google Sheets: chờ %.0f giây theo hạn mức dùng chung (%s).", waited, name)
        return waited


def quota_of(settings: Settings) -> SheetsQuota | None:
    """The quota of the settings; None when switched off (CCHC_SHEETS_QUOTA=0)."""
    if settings.sheets_quota <= 0:
        return None
    if settings.sheets_quota < 3:
        raise SourceError("CCHC_SHEETS_QUOTA phải từ 3 trở lên (hoặc 0 để không giới hạn).")
    return SheetsQuota(
        settings.sheets_rate_limit,
        settings.sheets_quota,
        settings.sheets_quota_seconds,
        settings.sheets_quota_wait,
    )


def _in_a_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None
