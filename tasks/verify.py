"""The plan's rules (DESIGN §4) applied to normalised records for a period and as-of date. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from tasks.calendar import Period, ReportWindow, WorkCalendar, report_window
from tasks.models import Problem, Records, StatusDate
from tasks.plan import Plan
from tasks.stage import stage_task

ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"
# The plan asks units for monthly, 6-month and yearly reports only (section VI.2): a quarter,
# 9-month or ad hoc report asks no unit report of its own.
NOT_REQUIRED = "not_required"
UNIT_REPORT_KINDS = ("month", "half", "year")


@dataclass
class UnitFinding:
    code: str
    name: str
    emails: list[str]
    products: int
    quota: int | None  # None: the roster sets no quota for this unit (the plan sets none)
    quota_met: bool | None  # None: no quota, no verdict
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
    new_due: date | None = None  # the one new appointment date the apology gave
    missed_new_due: bool = False  # late again after it: a second new date is not allowed


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
            if u.quota_met is False
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
    # Months begun by the as-of date, as for the website quota: an annual report made in July
    # asks for 7 months' worth, not 12.
    months = sum(report_window(m, rule).start <= as_of for m in period.months(rule))
    active = records.units[records.units["active"]]
    units = []
    for unit in active.itertuples():
        monthly = monthly_quota(unit.quota)
        # An ad hoc range holding no whole month has no quota to judge by.
        quota = None if monthly is None or not months else monthly * months
        count = int(counts.get(unit.code, 0))
        units.append(
            UnitFinding(
                code=unit.code,
                name=unit.name,
                emails=list(unit.emails),
                products=count,
                quota=quota,
                quota_met=None if quota is None else count >= quota,
                concretization=concretization_status(concretized.get(unit.code), plan, as_of),
                unit_report=(
                    deadline_status(reported.get(unit.code), report_due, as_of)
                    if period.kind in UNIT_REPORT_KINDS
                    else StatusDate(NOT_REQUIRED)
                ),
            )
        )
    return Findings(
        period=period,
        window=window,
        as_of=as_of,
        units=units,
        website=website_quota(records, plan, period, as_of),
        late_dossiers=late_dossiers(records, window, as_of, plan.deadlines.apology_days_before_due),
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


def monthly_quota(roster_quota: object) -> int | None:
    """The unit's quota per month as the Office wrote it in the roster; None when blank: the
    plan sets no unit quota, so the software never invents one."""
    if roster_quota is None or pd.isna(roster_quota):
        return None
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


def concretization_status(first: date | None, plan: Plan, as_of: date) -> StatusDate:
    """The plan: "hoàn thành việc cụ thể hóa … trước ngày 15/5/2026". Done before the deadline
    (or on it, if the plan file says inclusive) is on time; with nothing done, missing once a
    concretisation made on the as-of date would already be late, and not due before."""
    deadlines = plan.deadlines
    due = deadlines.concretization
    if first is not None:
        return StatusDate(ON_TIME if deadlines.concretization_on_time(first) else LATE, first, due)
    return StatusDate(NOT_DUE if deadlines.concretization_on_time(as_of) else MISSING, None, due)


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
    for month in period.months(plan.reporting.window):
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


def late_dossiers(
    records: Records, window: ReportWindow, as_of: date, days_before: int = 1
) -> list[DossierFinding]:
    """Dossiers due in the window and returned after the due date (or still not returned past it).
    Each needs a written apology dated at least ``days_before`` days before the due date (plan:
    "xin lỗi bằng văn bản khi hồ sơ trễ hẹn"; ND 61/2018 as amended). The new appointment it
    gives may be given once: a dossier late again after it is flagged."""
    found = []
    dossiers = records.dossiers[in_window(records.dossiers, "due", window)]
    for d in dossiers.sort_values(["due", "row"], kind="stable").itertuples():
        if not is_late(d.due, d.returned, as_of):
            continue
        returned = None if pd.isna(d.returned) else d.returned
        apology_date = None if pd.isna(d.apology_date) else d.apology_date
        apology = apology_status(apology_date, d.due, days_before)
        new_due = None if pd.isna(d.new_due) else d.new_due
        found.append(
            DossierFinding(
                d.code,
                d.unit,
                d.procedure,
                d.due,
                returned,
                apology,
                d.apology_number or "",
                new_due,
                new_due is not None and is_late(new_due, returned, as_of),
            )
        )
    return found


def apology_status(apology_date: date | None, due: date, days_before: int) -> StatusDate:
    """On time when dated at least ``days_before`` days before ``due`` (the status's ``due`` is
    that latest day), late after it, missing when there is none."""
    latest = due - timedelta(days=days_before)
    if apology_date is None:
        return StatusDate(MISSING, None, latest)
    return StatusDate(ON_TIME if apology_date <= latest else LATE, apology_date, latest)


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
        for m in period.months(rule)
    ]


verify_task = stage_task("Kiểm tra theo Kế hoạch")(verify)
