"""Back-dated entries: a row dated on or before a deadline that was not in the data read after
that deadline. Each run keeps a snapshot, so the earliest snapshot read after a deadline tells
what existed then; a row missing from it was typed later and dated back. Flagged, not dropped:
the Office decides (DESIGN: nothing a unit typed is lost)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from tasks import rules
from tasks.calendar import Period, report_window
from tasks.collect import load_snapshot, snapshot_files
from tasks.contract import INPUT_TABS, UNITS
from tasks.dates import format_vn
from tasks.errors import SheetStructureError, SourceError
from tasks.models import Problem, RawBook, RawTab, Records
from tasks.normalize import normalize
from tasks.plan import Plan
from tasks.rules.base import Claim
from tasks.stage import stage_task
from tasks.text import match_key

# Loads the records of the earliest snapshot read after a date (or None if there is none).
Baseline = Callable[[date], tuple[datetime, Records] | None]


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
    read_at, old = earlier
    known = set(getattr(old, spec.key)[list(claim.identity)].itertuples(index=False, name=None))
    tab = titles.get(spec.key, spec.title)
    column = next(c.header for c in spec.columns if c.key == date_column)
    flags = []
    for row in claimed.itertuples():
        if tuple(getattr(row, c) for c in claim.identity) in known:
            continue
        day = getattr(row, date_column)
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


def snapshot_baseline(
    output_dir: Path, plan: Plan, before: datetime, tabs: Collection[str] | None = None
) -> Baseline:
    """A Baseline over the snapshots kept under ``output_dir`` that were read before ``before``
    (this run's own read). Each snapshot is normalised at most once. ``tabs``: the keys of the
    input tabs the comparison looks at (default all); of the other tabs only the header row is
    normalised (see ``only_tabs``)."""
    history = [(at, path) for at, path in snapshot_files(output_dir) if at < before]
    cache: dict[Path, Records | None] = {}

    def earliest_after(deadline: date) -> tuple[datetime, Records] | None:
        for read_at, path in history:
            if read_at.date() <= deadline:
                continue
            if path not in cache:
                try:
                    old = load_snapshot(path)
                    cache[path] = normalize(old if tabs is None else only_tabs(old, tabs), plan)[0]
                except (SourceError, SheetStructureError):
                    cache[path] = None  # a damaged or incomplete old snapshot proves nothing
            records = cache[path]
            if records is not None:
                return read_at, records
        return None

    return earliest_after


def only_tabs(raw: RawBook, keys: Collection[str]) -> RawBook:
    """``raw`` with the rows of every input tab but ``keys`` and the unit roster cut to the
    header. Normalising it gives the same frames for those tabs as the whole book (each tab is
    parsed on its own, naming units through the roster) and the same structure errors (they
    come from the headers), without parsing an old snapshot's products: at 100 000 products
    that was nearly all of the back-dated check's time."""
    keep = {match_key(s.title) for s in INPUT_TABS if s.key in keys or s.key == UNITS.key}
    cut = {match_key(s.title) for s in INPUT_TABS} - keep
    tabs = {
        title: RawTab(tab.title, tab.rows[:1]) if match_key(title) in cut else tab
        for title, tab in raw.tabs.items()
    }
    return replace(raw, tabs=tabs)


def backdated_entries(
    records: Records, plan: Plan, period: Period, output_dir: Path, read_at: str
) -> list[Problem]:
    """find_backdated against the snapshots this output folder kept before ``read_at``; of
    those only the tabs that the period's claims concern are normalised."""
    claims = period_claims(records, plan, period)
    needed = {claim.tab.key for claim in claims}
    baseline = snapshot_baseline(output_dir, plan, datetime.fromisoformat(read_at), needed)
    return _flags(claims, baseline, records.tab_titles)


backdated_task = stage_task("Kiểm tra nhập lùi ngày")(backdated_entries)
