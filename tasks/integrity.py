"""Back-dated entries: a row dated on or before a deadline that was not in the data read after
that deadline. Each run keeps a snapshot, so the earliest snapshot read after a deadline tells
what existed then; a row missing from it was typed later and dated back. Flagged, not dropped:
the Office decides (DESIGN: nothing a unit typed is lost).

What the earlier snapshots proved comes in as a ``History``, collected with the other inputs
(``tasks.history``): this stage reads no files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tasks import rules
from tasks.calendar import Period, report_window
from tasks.dates import format_vn
from tasks.models import History, Problem, ReadProof, Records, identity_key
from tasks.plan import Plan
from tasks.rules.base import Claim
from tasks.stage import stage_task

# The earliest readable snapshot read after a date (or None if there is none).
Baseline = Callable[[date], ReadProof | None]


def find_backdated(
    records: Records, plan: Plan, period: Period, baseline: Baseline
) -> list[Problem]:
    """Flags for rows that claim a date on or before their rule's deadline (concretisations, the
    period's unit reports, apologies: each rule's ``claims``) but were absent from the first data
    read after that deadline. Each deadline is the last day that counts as on time: 14/05 for
    "trước ngày 15/5/2026", Ngày hẹn trả less N days for an apology."""
    return _flags(period_claims(records, plan, period), baseline, records.tab_titles)


def period_claims(records: Records, plan: Plan, period: Period) -> list[Claim]:
    """Every rule's claims for ``period`` (rows dated on or before a deadline)."""
    end = report_window(period, plan.reporting.window).end  # claims do not depend on the day
    return rules.claims(rules.make_scope(records, plan, period, end))


def _flags(claims: list[Claim], baseline: Baseline, titles: dict[str, str]) -> list[Problem]:
    flags: list[Problem] = []
    for claim in claims:
        flags += _check(claim, baseline, titles)
    return sorted(flags, key=lambda p: (p.tab, p.row or 0))


def _check(claim: Claim, baseline: Baseline, titles: dict[str, str]) -> list[Problem]:
    spec, date_column, deadline = claim.tab, claim.date_column, claim.deadline
    claimed = claim.rows[claim.rows[date_column] <= deadline]
    if claimed.empty:
        return []
    earlier = baseline(deadline)
    if earlier is None:
        return []  # no data read after the deadline before this run: nothing to compare with
    tab = titles.get(spec.key, spec.title)
    column = next(c.header for c in spec.columns if c.key == date_column)
    flags = []
    for row in claimed.itertuples():
        if earlier.holds(spec.key, identity_key(getattr(row, c) for c in claim.identity)):
            continue
        day, read_at = getattr(row, date_column), earlier.read_at
        flags.append(
            Problem(
                tab,
                row.row,
                column,
                format_vn(day),
                f"Dòng ghi ngày {format_vn(day)} (hạn cuối {format_vn(deadline)}) nhưng chưa có "
                f"trong dữ liệu đọc lúc {read_at:%H:%M ngày %d/%m/%Y}: có thể được nhập sau hạn "
                "và ghi lùi ngày, đề nghị xác minh.",
            )
        )
    return flags


def history_baseline(history: History) -> Baseline:
    """A Baseline over the earlier reads of ``history``."""

    def earliest_after(deadline: date) -> ReadProof | None:
        return next((read for read in history.reads if read.read_at.date() > deadline), None)

    return earliest_after


def backdated_entries(
    records: Records, plan: Plan, period: Period, history: History
) -> list[Problem]:
    """find_backdated against ``history``: what the snapshots read before this run proved.
    ValueError (a programming error) when the history identified a claimed tab's rows by other
    columns than its rule does."""
    claims = period_claims(records, plan, period)
    for claim in claims:
        kept = history.identities.get(claim.tab.key)
        if kept != claim.identity:
            raise ValueError(f"history of {claim.tab.key} kept by {kept}, not {claim.identity}")
    return _flags(claims, history_baseline(history), records.tab_titles)


backdated_task = stage_task("Kiểm tra nhập lùi ngày")(backdated_entries)
