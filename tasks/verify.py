"""The plan's rules (DESIGN §4) applied to normalised records for a period and as-of date. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.calendar import Period, ReportWindow, WorkCalendar, report_window
from tasks.models import Problem, Records, StatusDate
from tasks.plan import Plan

ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"


@dataclass
class UnitFinding:
    code: str
    name: str
    emails: list[str]
    products: int
    quota: int
    quota_met: bool
    concretization: StatusDate
    unit_report: StatusDate


@dataclass
class WebsiteMonth:
    period: str
    window: ReportWindow
    count: int
    required: int
    met: bool


@dataclass
class WebsiteQuota:
    required: int
    count: int
    met: bool
    months: list[WebsiteMonth]


@dataclass
class DossierFinding:
    code: str
    unit: str
    procedure: str
    due: date
    returned: date | None
    apology: StatusDate
    apology_number: str


@dataclass
class Findings:
    """Everything a report, an e-mail or the ``Tổng hợp`` tab says about one period."""

    period: Period
    window: ReportWindow
    as_of: date
    units: list[UnitFinding]
    website: WebsiteQuota
    late_dossiers: list[DossierFinding]
    problems: list[Problem]
    products: pd.DataFrame  # the window's products, by date then sheet row
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    by_month: list[tuple[str, int]] = field(default_factory=list)  # 6-month / annual only
    unit_report_due: date | None = None
    backdated: list[Problem] = field(default_factory=list)  # flagged rows (tasks.integrity)
    # Products of units marked "Ngừng hoạt động": in the totals and the annex, not in `units`.
    inactive_products: dict[str, int] = field(default_factory=dict)

    def units_behind(self) -> list[UnitFinding]:
        """Units with anything to fix: below quota, or a late/missing item."""
        return [
            u
            for u in self.units
            if not u.quota_met
            or u.concretization.status in (LATE, MISSING)
            or u.unit_report.status in (LATE, MISSING)
        ]


def work_calendar(plan: Plan) -> WorkCalendar:
    return WorkCalendar(plan.calendar.extra_holidays, plan.calendar.extra_working_days)


def in_window(frame: pd.DataFrame, column: str, window: ReportWindow) -> pd.Series:
    dates = frame[column]
    return (dates >= window.start) & (dates <= window.end)


def known_on(records: Records, as_of: date) -> Records:
    """The records as they stood on ``as_of``: what is dated later had not happened yet, so a
    past run can be reproduced from newer data."""
    dossiers = records.dossiers.copy()
    for column in ("returned", "apology_date"):
        later = dossiers[column].map(lambda d: d is not None and not pd.isna(d) and d > as_of)
        dossiers.loc[later, column] = None
    return Records(
        units=records.units,
        products=records.products[records.products["date"] <= as_of],
        concretizations=records.concretizations[records.concretizations["date"] <= as_of],
        unit_reports=records.unit_reports[records.unit_reports["sent"] <= as_of],
        dossiers=dossiers,
        tab_titles=records.tab_titles,
    )


def verify(
    records: Records,
    plan: Plan,
    period: Period,
    as_of: date,
    problems: list[Problem],
    backdated: list[Problem] | None = None,
) -> Findings:
    """Apply every rule for ``period`` as things stood on ``as_of``. ``problems`` (bad rows) and
    ``backdated`` (suspect rows) are carried along for the report."""
    records = known_on(records, as_of)
    rule = plan.reporting.window
    window = report_window(period, rule)
    products = records.products[in_window(records.products, "date", window)]
    products = products.sort_values(["date", "row"], kind="stable").reset_index(drop=True)
    report_due = unit_report_due(plan, period)

    counts = products.groupby("unit").size()
    # Each unit's first concretisation and first report for the period, in one pass each
    # (filtering the frames once per unit made this the slowest rule with 300 units).
    concretized = first_by_unit(records.concretizations, "date")
    reports = records.unit_reports
    reported = first_by_unit(reports[reports["period"] == period.key], "sent")
    deadline = plan.deadlines.concretization
    # Months begun by the as-of date, as for the website quota: an annual report made in July
    # asks for 7 months' worth, not 12.
    months = sum(report_window(m, rule).start <= as_of for m in period.months())
    active = records.units[records.units["active"]]
    units = []
    for unit in active.itertuples():
        quota = monthly_quota(unit.quota, plan) * months
        count = int(counts.get(unit.code, 0))
        units.append(
            UnitFinding(
                code=unit.code,
                name=unit.name,
                emails=list(unit.emails),
                products=count,
                quota=quota,
                quota_met=count >= quota,
                concretization=deadline_status(concretized.get(unit.code), deadline, as_of),
                unit_report=deadline_status(reported.get(unit.code), report_due, as_of),
            )
        )
    return Findings(
        period=period,
        window=window,
        as_of=as_of,
        units=units,
        website=website_quota(records, plan, period, as_of),
        late_dossiers=late_dossiers(records, window, as_of),
        problems=problems,
        products=products,
        totals=totals(products, plan),
        by_month=products_by_month(records, period, rule) if period.kind != "month" else [],
        unit_report_due=report_due,
        backdated=backdated or [],
        inactive_products={
            name: int(counts.get(code, 0))
            for code, name in zip(records.units["code"], records.units["name"], strict=True)
            if code not in set(active["code"]) and counts.get(code, 0)
        },
    )


def monthly_quota(roster_quota: object, plan: Plan) -> int:
    """The unit's quota per month: the roster's column, or the plan's default when blank."""
    if roster_quota is None or pd.isna(roster_quota):
        return plan.quotas.unit_default_per_month
    return int(roster_quota)  # type: ignore[call-overload]


def unit_report_due(plan: Plan, period: Period) -> date:
    """Units' reports for ``period`` are due N working days after its window ends."""
    window = report_window(period, plan.reporting.window)
    return work_calendar(plan).add_working_days(window.end, plan.deadlines.unit_report_working_days)


def deadline_status(first: date | None, due: date, as_of: date) -> StatusDate:
    """On time if ``first`` is on or before ``due`` (inclusive), else late; with nothing done,
    missing once ``due`` has passed and not due before."""
    if first is not None:
        return StatusDate(ON_TIME if first <= due else LATE, first, due)
    return StatusDate(MISSING if as_of > due else NOT_DUE, None, due)


def first_by_unit(frame: pd.DataFrame, column: str) -> dict[str, date]:
    """The earliest ``column`` date of each unit in ``frame``."""
    first: dict[str, date] = {}
    for unit, day in zip(frame["unit"], frame[column], strict=True):
        if unit not in first or day < first[unit]:
            first[unit] = day
    return first


def website_quota(records: Records, plan: Plan, period: Period, as_of: date) -> WebsiteQuota:
    """News items/articles on the website per month; 6-month/annual are checked month by month.
    Months whose window has not started by ``as_of`` are not counted."""
    products = records.products
    eligible = products[
        (products["channel"] == "website") & products["kind"].isin(plan.quotas.website_kinds)
    ]
    per_month = plan.quotas.website_per_month
    months = []
    for month in period.months():
        window = report_window(month, plan.reporting.window)
        if window.start > as_of:
            continue
        count = int(in_window(eligible, "date", window).sum())
        months.append(WebsiteMonth(month.key, window, count, per_month, count >= per_month))
    return WebsiteQuota(
        required=per_month * len(months),
        count=sum(m.count for m in months),
        met=all(m.met for m in months),
        months=months,
    )


def late_dossiers(records: Records, window: ReportWindow, as_of: date) -> list[DossierFinding]:
    """Dossiers due in the window and returned after the due date (or still not returned past it).
    Each needs an apology dated no later than the due date."""
    found = []
    dossiers = records.dossiers[in_window(records.dossiers, "due", window)]
    for d in dossiers.sort_values(["due", "row"], kind="stable").itertuples():
        if not is_late(d.due, d.returned, as_of):
            continue
        returned = None if pd.isna(d.returned) else d.returned
        apology_date = None if pd.isna(d.apology_date) else d.apology_date
        if apology_date is None:
            apology = StatusDate(MISSING, None, d.due)
        else:
            apology = StatusDate(ON_TIME if apology_date <= d.due else LATE, apology_date, d.due)
        found.append(
            DossierFinding(
                d.code, d.unit, d.procedure, d.due, returned, apology, d.apology_number or ""
            )
        )
    return found


def is_late(due: date, returned: date | None, as_of: date) -> bool:
    """Returned after the due date, or not returned and the due date has passed."""
    if returned is None or pd.isna(returned):
        return as_of > due
    return returned > due


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
        for m in period.months()
    ]


verify_task = task(name="Kiểm tra theo Kế hoạch", cache_policy=NO_CACHE)(verify)
