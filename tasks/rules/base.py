"""What a rule of the plan is made of, and the words every output uses for its verdicts.

A rule (one module in this package) reads the period's records and returns an ``Outcome``: its
verdict, one sentence per shortcoming, the cells it adds to every units table, its part of
``ket-qua.json`` and its fields for the report template. It may also say what each unit still owes
(reminders) and which dated rows claim its deadline (the back-dated check). Every output loops
over the outcomes, so a rule shows everywhere without touching the output code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from tasks.calendar import Period, ReportWindow, WorkCalendar, report_window
from tasks.contract import TabSpec
from tasks.dates import format_vn
from tasks.models import Records, StatusDate

if TYPE_CHECKING:  # the plan imports this package to validate its `rules:`
    from tasks.plan import Plan

ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"
NOT_REQUIRED = "not_required"  # the period asks nothing of this rule (e.g. a quarter's unit report)
# The status words of every output (report, e-mail, artifacts, Tổng hợp), in one place.
STATUS_TEXT = {
    ON_TIME: "Đúng hạn",
    LATE: "Trễ hạn",
    MISSING: "Chưa có",
    NOT_DUE: "Chưa đến hạn",
    NOT_REQUIRED: "Không yêu cầu",
}
MET_TEXT = {True: "Đạt", False: "Chưa đạt"}


class RuleSettings(BaseModel):
    """A rule's entry under ``rules:`` in the plan file; a rule left out of the file is off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clause: str  # the plan's own sentence the rule enforces, quoted in the report and artifacts


@dataclass(frozen=True)
class Scope:
    """What a rule judges: the records as they stood on ``as_of``, for ``period``."""

    records: Records
    plan: Plan
    period: Period
    as_of: date
    calendar: WorkCalendar
    unit_products: dict[str, int]  # products per unit code in the period's window

    @property
    def window(self) -> ReportWindow:
        return report_window(self.period, self.plan.reporting.window)

    @property
    def units(self) -> pd.DataFrame:
        """The active units (a unit marked "Ngừng hoạt động" is not judged)."""
        return self.records.units[self.records.units["active"]]

    @property
    def months_begun(self) -> int:
        """Months of the period whose window has begun by ``as_of`` (an annual report made in
        July judges 7 months' worth)."""
        rule = self.plan.reporting.window
        return sum(report_window(m, rule).start <= self.as_of for m in self.period.months(rule))


@dataclass(frozen=True)
class UnitVerdict:
    """What a rule says about one unit."""

    cells: tuple[str, ...]  # display text, one per column of the rule
    behind: str = ""  # why the unit falls short, for the e-mail's units to push ("" = it does not)
    data: dict[str, Any] = field(default_factory=dict)  # fields of its ket-qua.json unit entry


@dataclass
class Outcome:
    """A rule's result for one period."""

    key: str
    title: str
    clause: str
    verdict: str  # one sentence: what the period shows against the clause
    met: bool | None  # None: nothing to judge (not due, nothing assigned)
    columns: tuple[str, ...] = ()  # the headers it adds to every units table
    units: dict[str, UnitVerdict] = field(default_factory=dict)  # by unit code
    shortcomings: list[str] = field(default_factory=list)  # report section "Tồn tại, hạn chế"
    causes: list[str] = field(default_factory=list)  # what units wrote about a shortfall
    proposals: list[str] = field(default_factory=list)  # what units propose (section V)
    data: dict[str, Any] = field(default_factory=dict)  # top-level fields of ket-qua.json
    context: dict[str, Any] = field(default_factory=dict)  # its own section of the report

    def cells(self, code: str) -> tuple[str, ...]:
        verdict = self.units.get(code)
        return verdict.cells if verdict else ("",) * len(self.columns)


@dataclass(frozen=True)
class Item:
    """One thing a unit owes, for a reminder. The key names the rule and period, so that a unit
    is reminded of it once (the deliver stage logs the keys it has sent)."""

    key: str  # e.g. "concretization:2026-05-15:before-5", "quota:2026-05", "dossier:H22.45-0001"
    text: str  # Vietnamese: what is owed and by when
    overdue: bool = False  # its deadline has passed


@dataclass(frozen=True)
class Claim:
    """Rows that claim a date on or before a deadline (the back-dated check compares them with
    the first data read after it)."""

    rows: pd.DataFrame
    deadline: date  # the last day that counts as on time
    tab: TabSpec
    identity: tuple[str, ...]  # the columns that identify a row across snapshots
    date_column: str


class Rule(ABC):
    key: ClassVar[str]  # its key under `rules:` in the plan file
    title: ClassVar[str]  # what it checks, as a report heading says it
    settings_model: ClassVar[type[RuleSettings]] = RuleSettings
    # The tab whose dated rows the rule's claims name, and the columns that identify such a row
    # across snapshots; None for a rule without claims. Declared here, not only in each Claim,
    # so that what earlier reads proved can be collected before this run's claims are known.
    claim_identity: ClassVar[tuple[TabSpec, tuple[str, ...]] | None] = None

    @abstractmethod
    def assess(self, scope: Scope, settings: Any) -> Outcome: ...

    def owed(self, scope: Scope, settings: Any) -> dict[str, list[Item]]:
        """What each unit (by code) owes on ``scope.as_of``, for reminders."""
        return {}

    def claims(self, scope: Scope, settings: Any) -> list[Claim]:
        return []

    def check_plan(self, settings: Any, plan: Plan) -> None:
        """Raise ValueError (Vietnamese) when the settings do not fit the rest of the plan."""
        return None

    def outcome(self, settings: RuleSettings, verdict: str, met: bool | None) -> Outcome:
        return Outcome(self.key, self.title, settings.clause, verdict, met)


def status_cell(status: StatusDate) -> str:
    """``Đúng hạn 10/05/2026``, ``Chưa có``: a deadline outcome in a table cell (a narrow
    column wraps it after the status word)."""
    text = STATUS_TEXT[status.status]
    return f"{text} {format_vn(status.date)}" if status.date else text


def status_json(status: StatusDate) -> dict[str, Any]:
    return {"status": status.status, "date": status.date.isoformat() if status.date else None}


def group_by_status(statuses: dict[str, StatusDate]) -> dict[str, list[str]]:
    """Unit codes by status (every status present, possibly empty), in the given order."""
    groups: dict[str, list[str]] = {s: [] for s in STATUS_TEXT}
    for code, status in statuses.items():
        groups[status.status].append(code)
    return groups


def status_context(units: pd.DataFrame, by_status: dict[str, list[str]]) -> dict[str, Any]:
    """A deadline rule's report fields: how many units, how many on time, late and missing,
    and the names of the late, missing and not yet due ones (docs/templates.md)."""
    return {
        "units": sum(len(codes) for codes in by_status.values()),
        "on_time": len(by_status[ON_TIME]),
        "late": len(by_status[LATE]),
        "missing": len(by_status[MISSING]),
        "late_names": names(units, by_status[LATE]),
        "missing_names": names(units, by_status[MISSING]),
        "not_due_names": names(units, by_status[NOT_DUE]),
    }


def optional_date(value: Any) -> date | None:
    """A date cell of an optional date column: None for a blank (None, NaT or NaN in a frame)."""
    return None if value is None or pd.isna(value) else value


def names(units: pd.DataFrame, codes: list[str]) -> str:
    """``Phòng A; Phòng B``: the units' names in roster order."""
    wanted = set(codes)
    return "; ".join(n for c, n in zip(units["code"], units["name"], strict=True) if c in wanted)


def first_by_unit(frame: pd.DataFrame, column: str) -> dict[str, date]:
    """The earliest ``column`` date of each unit in ``frame``."""
    first: dict[str, date] = {}
    for unit, day in zip(frame["unit"], frame[column], strict=True):
        if unit not in first or day < first[unit]:
            first[unit] = day
    return first


def in_window(frame: pd.DataFrame, column: str, window: ReportWindow) -> pd.Series:
    dates = frame[column]
    return (dates >= window.start) & (dates <= window.end)
