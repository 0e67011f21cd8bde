"""Units' periodic reports. Plan VI.2: "Thực hiện báo cáo định kỳ (hàng tháng, 6 tháng, năm) …
gửi về Văn phòng Sở để tổng hợp báo cáo": each active unit owes a ``Báo cáo đơn vị`` row for each
month, 6-month and annual period, due N working days after the window closes (the plan gives no
number). A quarter, 9-month or ad hoc report asks no unit report of its own."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from tasks.calendar import Period, last_closed_period, report_window
from tasks.contract import UNIT_REPORTS
from tasks.dates import format_vn
from tasks.models import StatusDate
from tasks.rules.base import (
    LATE,
    MISSING,
    NOT_DUE,
    NOT_REQUIRED,
    ON_TIME,
    Claim,
    Item,
    Outcome,
    Rule,
    RuleSettings,
    Scope,
    UnitVerdict,
    first_by_unit,
    group_by_status,
    names,
    status_cell,
    status_context,
    status_json,
)

UNIT_REPORT_KINDS = ("month", "half", "year")
# Older than this after its due date, a missing report is left to the periodic report: no e-mail.
REMIND_FOR_DAYS = 31


class UnitReportsSettings(RuleSettings):
    working_days: int = Field(ge=0, le=60)  # due N working days after the window closes


def deadline_status(first: date | None, due: date, as_of: date) -> StatusDate:
    """On time if ``first`` is on or before ``due``, else late; with nothing done, missing once
    ``due`` has passed and not due before."""
    if first is not None:
        return StatusDate(ON_TIME if first <= due else LATE, first, due)
    return StatusDate(MISSING if as_of > due else NOT_DUE, None, due)


def report_due(scope: Scope, settings: UnitReportsSettings, period: Period) -> date:
    window = report_window(period, scope.plan.reporting.window)
    return scope.calendar.add_working_days(window.end, settings.working_days)


def unit_notes(scope: Scope) -> tuple[list[str], list[str]]:
    """What units wrote in their reports for the period (or a month of it) under "Khó khăn,
    vướng mắc" and "Đề xuất, kiến nghị": each text once, with the units that wrote it
    (``Text (Unit A; Unit B).``), in the order first written."""
    rule = scope.plan.reporting.window
    periods = {scope.period.key, *(m.key for m in scope.period.months(rule))}
    reports = scope.records.unit_reports
    reports = reports[reports["period"].isin(periods)].sort_values(["sent", "row"])
    names = dict(zip(scope.records.units["code"], scope.records.units["name"], strict=True))
    notes: tuple[list[str], list[str]] = ([], [])
    for column, lines in zip(("difficulties", "proposals"), notes, strict=True):
        units_by_text: dict[str, list[str]] = {}
        for unit, text in zip(reports["unit"], reports[column], strict=True):
            if text:
                writers = units_by_text.setdefault(text.rstrip(". "), [])
                if names.get(unit, unit) not in writers:
                    writers.append(names.get(unit, unit))
        lines += [f"{text} ({'; '.join(units)})." for text, units in units_by_text.items()]
    return notes


CLAIM_IDENTITY = (UNIT_REPORTS, ("unit", "period", "sent"))


class UnitReports(Rule):
    key = "unit_reports"
    claim_identity = CLAIM_IDENTITY
    title = "Báo cáo định kỳ của các phòng, đơn vị"
    settings_model = UnitReportsSettings

    def assess(self, scope: Scope, settings: UnitReportsSettings) -> Outcome:
        units = scope.units
        required = scope.period.kind in UNIT_REPORT_KINDS
        due = report_due(scope, settings, scope.period)
        reports = scope.records.unit_reports
        sent = first_by_unit(reports[reports["period"] == scope.period.key], "sent")
        statuses = {
            code: (
                deadline_status(sent.get(code), due, scope.as_of)
                if required
                else StatusDate(NOT_REQUIRED)
            )
            for code in units["code"]
        }
        by_status = group_by_status(statuses)
        on_time, late, missing = (len(by_status[s]) for s in (ON_TIME, LATE, MISSING))
        if not required:
            verdict = f"Kế hoạch không yêu cầu đơn vị báo cáo riêng kỳ {scope.period.label}."
        else:
            verdict = (
                f"Hạn gửi {format_vn(due)}; đã nhận {on_time + late}/{len(statuses)} báo cáo "
                f"({on_time} đúng hạn, {late} trễ hạn)"
                + (f"; {missing} đơn vị chưa gửi" if missing else "")
                + (f"; {len(by_status[NOT_DUE])} chưa đến hạn" if by_status[NOT_DUE] else "")
                + "."
            )
        judged = on_time + late + missing
        outcome = self.outcome(settings, verdict, not (late or missing) if judged else None)
        if required:  # a column of "Không yêu cầu" would only be noise
            outcome.columns = ("Báo cáo kỳ",)
        behind = {LATE: "báo cáo kỳ gửi trễ hạn", MISSING: "chưa gửi báo cáo kỳ"}
        outcome.units = {
            code: UnitVerdict(
                cells=(status_cell(status),) if required else (),
                behind=behind.get(status.status, ""),
                data={"unit_report": status_json(status)},
            )
            for code, status in statuses.items()
        }
        if by_status[LATE]:
            outcome.shortcomings.append(
                f"Đơn vị gửi báo cáo kỳ này trễ hạn: {names(units, by_status[LATE])}."
            )
        if by_status[MISSING]:
            outcome.shortcomings.append(
                f"Đơn vị chưa gửi báo cáo kỳ này: {names(units, by_status[MISSING])}."
            )
        outcome.causes, outcome.proposals = unit_notes(scope)
        outcome.context = {
            "required": required,
            "due": format_vn(due),
            **status_context(units, by_status),
        }
        return outcome

    def owed(self, scope: Scope, settings: UnitReportsSettings) -> dict[str, list[Item]]:
        """The report of each closed period (month, 6 months, year) once its due date has come,
        for a month after it."""
        as_of, rule = scope.as_of, scope.plan.reporting.window
        reports = scope.records.unit_reports
        years = (Period(as_of.year - 1, "year"), Period(as_of.year, "year"))
        owed: dict[str, list[Item]] = {}
        for period in (
            last_closed_period(as_of, "month", rule),
            Period(as_of.year, "half"),
            *years,
        ):
            due = report_due(scope, settings, period)
            if report_window(period, rule).end >= as_of or due > as_of:
                continue
            if (as_of - due).days > REMIND_FOR_DAYS:
                continue
            sent = set(reports.loc[reports["period"] == period.key, "unit"])
            late = as_of > due
            when = f"đã quá hạn (hạn {format_vn(due)})" if late else f"hạn {format_vn(due)}"
            for code in scope.units["code"]:
                if code in sent:
                    continue
                # The Office compiles the reports: it is not asked to send its own "to the Office".
                what = (
                    f"Ghi báo cáo {period.label} của Văn phòng vào tab 'Báo cáo đơn vị'"
                    if code == scope.plan.agency.office_unit
                    else f"Gửi báo cáo {period.label} về Văn phòng Sở"
                )
                owed.setdefault(code, []).append(
                    Item(f"report:{period.key}", f"{what}: {when}.", late)
                )
        return owed

    def claims(self, scope: Scope, settings: UnitReportsSettings) -> list[Claim]:
        reports = scope.records.unit_reports
        return [
            Claim(
                reports[reports["period"] == scope.period.key],
                report_due(scope, settings, scope.period),
                *CLAIM_IDENTITY,
                "sent",
            )
        ]


RULE = UnitReports()
