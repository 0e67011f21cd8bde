"""What each unit owes on a given day, by the plan's reminder rules (đôn đốc). Pure.

Every item has a key that names its rule and period, so a unit is reminded of it once:
the deliver stage records the keys it has sent and skips them on later days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from tasks.calendar import Period, WorkCalendar, last_closed_period, report_window
from tasks.dates import format_vn
from tasks.models import Records
from tasks.plan import Plan
from tasks.verify import is_late, known_on, monthly_quota, unit_report_due, work_calendar


@dataclass(frozen=True)
class Item:
    key: str  # e.g. "concretization:before-5", "quota:2026-05", "dossier:H22.45-0001"
    text: str  # Vietnamese: what is owed and by when
    overdue: bool = False  # its deadline has passed


@dataclass
class UnitReminder:
    code: str
    name: str
    emails: list[str]
    items: list[Item] = field(default_factory=list)


def open_month(as_of: date, rule: str) -> Period:
    """The month period whose window contains ``as_of``."""
    for offset in (0, 1):
        month = as_of.month + offset
        year = as_of.year + (month > 12)
        period = Period(year, "month", (month - 1) % 12 + 1)
        window = report_window(period, rule)
        if window.start <= as_of <= window.end:
            return period
    raise AssertionError(f"no month window contains {as_of}")


def due_reminders(records: Records, plan: Plan, as_of: date) -> list[UnitReminder]:
    """Active units with at least one item owed on ``as_of`` (a working day is assumed)."""
    records = known_on(records, as_of)
    cal = work_calendar(plan)
    products_now = _products_in_open_month(records, plan, as_of)
    out = []
    for unit in records.units[records.units["active"]].itertuples():
        reminder = UnitReminder(unit.code, unit.name, list(unit.emails))
        reminder.items += _concretization(records, plan, cal, unit.code, as_of)
        reminder.items += _quota(plan, cal, unit, products_now, as_of)
        reminder.items += _unit_report(records, plan, unit.code, as_of)
        reminder.items += _dossiers(records, unit.code, as_of)
        if reminder.items:
            out.append(reminder)
    return out


def _concretization(
    records: Records, plan: Plan, cal: WorkCalendar, code: str, as_of: date
) -> list[Item]:
    """5 and 1 working days before the last on-time day, then once a week while overdue."""
    if (records.concretizations["unit"] == code).any():
        return []
    deadlines = plan.deadlines
    last_day = deadlines.concretization_last_day
    text = (
        "Hoàn thành cụ thể hóa nội dung tuyên truyền CCHC (Kế hoạch: "
        f"{deadlines.concretization_text})"
    )
    if deadlines.concretization_on_time(as_of):
        left = cal.working_days_between(as_of, last_day)
        if left in plan.reminders.concretization_days_before:
            key = (
                f"concretization:{deadlines.concretization}:before-{left}"  # new deadline, new keys
            )
            return [Item(key, f"{text}: còn {left} ngày làm việc.")]
        return []
    week = (as_of - last_day).days // plan.reminders.overdue_every_days
    return [
        Item(
            f"concretization:{deadlines.concretization}:overdue-{week}",
            f"{text}: đã quá hạn {(as_of - last_day).days} ngày, chưa có trong bảng tính.",
            overdue=True,
        )
    ]


def _products_in_open_month(records: Records, plan: Plan, as_of: date) -> pd.Series:
    window = report_window(open_month(as_of, plan.reporting.window), plan.reporting.window)
    dates = records.products["date"]
    return records.products[(dates >= window.start) & (dates <= as_of)].groupby("unit").size()


def _quota(plan: Plan, cal: WorkCalendar, unit, counts: pd.Series, as_of: date) -> list[Item]:
    """Below quota when the month's window has at most N working days left."""
    period = open_month(as_of, plan.reporting.window)
    end = report_window(period, plan.reporting.window).end
    left = cal.working_days_between(as_of, end)
    quota = monthly_quota(unit.quota)
    count = int(counts.get(unit.code, 0))
    if quota is None or left > plan.reminders.quota_working_days_left or count >= quota:
        return []
    return [
        Item(
            f"quota:{period.key}",
            f"Tin, bài tuyên truyền CCHC {period.label}: mới có {count}/{quota}; "
            f"kỳ khóa sổ ngày {format_vn(end)} (còn {left} ngày làm việc).",
        )
    ]


def _unit_report(records: Records, plan: Plan, code: str, as_of: date) -> list[Item]:
    """The report of each closed period (month, 6 months, year) once its due date has come."""
    rule = plan.reporting.window
    sent = set(records.unit_reports.loc[records.unit_reports["unit"] == code, "period"])
    items = []
    last_month = last_closed_period(as_of, "month", rule)
    years = (Period(as_of.year - 1, "year"), Period(as_of.year, "year"))
    for period in (last_month, Period(as_of.year, "half"), *years):
        window = report_window(period, rule)
        due = unit_report_due(plan, period)
        if window.end < as_of and due <= as_of and period.key not in sent:
            if (as_of - due).days > 31:
                continue  # older than a month: the periodic report lists it, no more e-mails
            # The Office compiles the reports: it is not asked to send its own "to the Office".
            what = (
                f"Ghi báo cáo {period.label} của Văn phòng vào tab 'Báo cáo đơn vị'"
                if code == plan.agency.office_unit
                else f"Gửi báo cáo {period.label} về Văn phòng Sở"
            )
            late = as_of > due
            when = f"đã quá hạn (hạn {format_vn(due)})" if late else f"hạn {format_vn(due)}"
            items.append(Item(f"report:{period.key}", f"{what}: {when}.", late))
    return items


def _dossiers(records: Records, code: str, as_of: date) -> list[Item]:
    """Late dossiers with no apology at all."""
    d = records.dossiers[records.dossiers["unit"] == code]
    items = []
    for row in d.itertuples():
        if is_late(row.due, row.returned, as_of) and pd.isna(row.apology_date):
            items.append(
                Item(
                    f"dossier:{row.code}",
                    f"Hồ sơ {row.code} ({row.procedure or 'thủ tục hành chính'}) trễ hẹn "
                    f"(hẹn trả {format_vn(row.due)}) chưa có phiếu xin lỗi.",
                    overdue=True,
                )
            )
    return items
