"""The plan's rules (tasks.rules) applied to the records of a period as of a date. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from tasks import rules
from tasks.calendar import Period, ReportWindow, report_window
from tasks.channels import channel_details
from tasks.models import Problem, Records
from tasks.plan import Plan
from tasks.posted import posted_summary
from tasks.rules.base import Outcome, in_window
from tasks.stage import stage_task


@dataclass
class UnitRow:
    code: str
    name: str
    emails: list[str]
    products: int  # in the period's window


@dataclass
class Findings:
    """Everything a report, an e-mail or the ``Tổng hợp`` tab says about one period."""

    period: Period
    window: ReportWindow
    as_of: date
    units: list[UnitRow]  # the active units, roster order
    outcomes: list[Outcome]  # one per rule the plan turns on
    problems: list[Problem]
    products: pd.DataFrame  # the window's products, by date then sheet row
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)  # tasks.channels, with text
    posted: dict[str, Any] = field(default_factory=dict)  # tasks.posted.posted_summary
    by_month: list[tuple[str, int]] = field(default_factory=list)  # 6-month / annual only
    backdated: list[Problem] = field(default_factory=list)  # flagged rows (tasks.integrity)
    # Products of units marked "Ngừng hoạt động": in the totals and the annex, not in `units`.
    inactive_products: dict[str, int] = field(default_factory=dict)

    def outcome(self, key: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.key == key), None)

    @property
    def unit_columns(self) -> list[str]:
        """The headers the rules add to every units table."""
        return [c for o in self.outcomes for c in o.columns]

    def unit_cells(self, code: str) -> list[str]:
        return [c for o in self.outcomes for c in o.cells(code)]

    def shortfalls(self, code: str) -> list[str]:
        """Why unit ``code`` falls short, one phrase per rule it fails."""
        return [v.behind for o in self.outcomes if (v := o.units.get(code)) and v.behind]

    def units_behind(self) -> list[tuple[UnitRow, list[str]]]:
        """The units that fall short of any rule, with why (roster order)."""
        return [(u, why) for u in self.units if (why := self.shortfalls(u.code))]

    def shortcomings(self) -> list[str]:
        return [s for o in self.outcomes for s in o.shortcomings]

    def causes(self) -> list[str]:
        return [c for o in self.outcomes for c in o.causes]

    def proposals(self) -> list[str]:
        return [p for o in self.outcomes for p in o.proposals]


def known_on(records: Records, as_of: date) -> Records:
    """The records as they stood on ``as_of``: what is dated later had not happened yet, so a
    past run can be reproduced from newer data."""
    dossiers = records.dossiers.copy()
    for column in ("returned", "apology_date"):
        later = dossiers[column].map(lambda d: d is not None and not pd.isna(d) and d > as_of)
        dossiers.loc[later, column] = None
    tasks = records.tasks.copy()  # a task done after as_of was still open on as_of
    later = tasks["done"].map(lambda d: d is not None and not pd.isna(d) and d > as_of)
    tasks.loc[later, "done"] = None
    return replace(
        records,
        products=records.products[records.products["date"] <= as_of],
        concretizations=records.concretizations[records.concretizations["date"] <= as_of],
        unit_reports=records.unit_reports[records.unit_reports["sent"] <= as_of],
        dossiers=dossiers,
        tasks=tasks,
    )


def verify(
    records: Records,
    plan: Plan,
    period: Period,
    as_of: date,
    problems: list[Problem],
    backdated: list[Problem] | None = None,
) -> Findings:
    """Apply every rule the plan turns on for ``period`` as things stood on ``as_of``.
    ``problems`` (bad rows) and ``backdated`` (suspect rows) are carried along for the Office."""
    records = known_on(records, as_of)
    scope = rules.make_scope(records, plan, period, as_of)
    window = scope.window
    products = records.products[in_window(records.products, "date", window)]
    products = products.sort_values(["date", "row"], kind="stable").reset_index(drop=True)
    counts = scope.unit_products
    active = scope.units
    return Findings(
        period=period,
        window=window,
        as_of=as_of,
        units=[
            UnitRow(u.code, u.name, list(u.emails), counts.get(u.code, 0))
            for u in active.itertuples()
        ],
        outcomes=rules.assess(scope),
        problems=problems,
        products=products,
        totals=totals(products, plan),
        channels=channel_details(products, plan),
        posted=posted_summary(records, as_of),
        by_month=(
            products_by_month(records, period, plan.reporting.window)
            if period.kind != "month"
            else []
        ),
        backdated=backdated or [],
        inactive_products={
            name: counts[code]
            for code, name in zip(records.units["code"], records.units["name"], strict=True)
            if code not in set(active["code"]) and counts.get(code)
        },
    )


def totals(products: pd.DataFrame, plan: Plan) -> dict[str, dict[str, int]]:
    """Product counts by area, channel and kind, every plan entry present (zeros included)."""
    by_area = products["area"].value_counts()
    by_channel = products["channel"].value_counts()
    by_kind = products["kind"].value_counts()
    return {
        "by_area": {a.name: int(by_area.get(a.number, 0)) for a in plan.areas},
        "by_channel": {c.name: int(by_channel.get(c.key, 0)) for c in plan.channels},
        "by_kind": {k.name: int(by_kind.get(k.key, 0)) for k in plan.kinds},
    }


def products_by_month(records: Records, period: Period, rule: str) -> list[tuple[str, int]]:
    return [
        (m.key, int(in_window(records.products, "date", report_window(m, rule)).sum()))
        for m in period.months(rule)
    ]


verify_task = stage_task("Kiểm tra theo Kế hoạch")(verify)
