"""Concretisation. Plan VI.2: "Các đơn vị hoàn thành việc cụ thể hóa nội dung tuyên truyền trước
ngày 15/5/2026": a ``Cụ thể hóa`` row dated before the deadline (or on it, if the plan file says
inclusive) is on time; with nothing recorded, missing once the deadline has passed."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from tasks.contract import CONCRETIZATIONS
from tasks.dates import format_vn
from tasks.models import StatusDate
from tasks.rules.base import (
    LATE,
    MISSING,
    NOT_DUE,
    ON_TIME,
    Claim,
    Item,
    Outcome,
    Rule,
    RuleSettings,
    Scope,
    UnitVerdict,
    group_by_status,
    names,
    status_cell,
    status_context,
    status_json,
)


class ConcretizationSettings(RuleSettings):
    deadline: date
    # "trước ngày": the day itself is late unless the Office says otherwise.
    inclusive: bool = False
    wording: str = ""  # the plan's own words, quoted by the report
    remind_days_before: list[int] = [5, 1]  # working days before the last day on time
    remind_overdue_every_days: int = Field(default=7, ge=1)

    @property
    def text(self) -> str:
        """The deadline in the plan's words: ``trước ngày 15/5/2026``."""
        if self.wording:
            return self.wording
        day = self.deadline
        prefix = "chậm nhất ngày" if self.inclusive else "trước ngày"
        return f"{prefix} {day.day}/{day.month}/{day.year}"

    @property
    def last_day(self) -> date:
        """The last day a concretisation is on time (14/5 for "trước ngày 15/5")."""
        return self.deadline if self.inclusive else self.deadline - timedelta(days=1)

    def on_time(self, done: date) -> bool:
        return done <= self.last_day


def concretization_status(
    first: date | None, settings: ConcretizationSettings, as_of: date
) -> StatusDate:
    """Done by the last day on time: on time, after it: late; with nothing done, missing once a
    concretisation made on the as-of date would already be late, and not due before."""
    due = settings.deadline
    if first is not None:
        return StatusDate(ON_TIME if settings.on_time(first) else LATE, first, due)
    return StatusDate(NOT_DUE if settings.on_time(as_of) else MISSING, None, due)


CLAIM_IDENTITY = (CONCRETIZATIONS, ("unit", "date", "doc_number"))


class Concretization(Rule):
    key = "concretization"
    claim_identity = CLAIM_IDENTITY
    title = "Cụ thể hóa nội dung tuyên truyền"
    settings_model = ConcretizationSettings

    def assess(self, scope: Scope, settings: ConcretizationSettings) -> Outcome:
        # Each unit's first concretisation: its date judges the unit; its document number goes
        # to section I and its note (Ghi chú) is the unit's own cause when it is late.
        done = scope.records.concretizations.sort_values(["date", "row"], kind="stable")
        firsts = done.drop_duplicates("unit")
        first = dict(zip(firsts["unit"], firsts["date"], strict=True))
        units = scope.units
        statuses = {
            code: concretization_status(first.get(code), settings, scope.as_of)
            for code in units["code"]
        }
        by_status = group_by_status(statuses)
        on_time, late, missing = (len(by_status[s]) for s in (ON_TIME, LATE, MISSING))
        parts = [f"{on_time}/{len(statuses)} đơn vị hoàn thành đúng hạn"]
        if late:
            parts.append(f"{late} đơn vị không đúng hạn")
        if missing:
            parts.append(f"{missing} đơn vị chưa thực hiện")
        if by_status[NOT_DUE]:
            parts.append(f"{len(by_status[NOT_DUE])} đơn vị chưa đến hạn")
        judged = late + missing + on_time
        outcome = self.outcome(
            settings,
            f"Hạn hoàn thành {settings.text}; " + ", ".join(parts) + ".",
            None if not judged else not (late or missing),
        )
        outcome.columns = ("Cụ thể hóa",)
        behind = {
            LATE: "cụ thể hóa không đúng hạn",
            MISSING: "chưa cụ thể hóa nội dung tuyên truyền",
        }
        outcome.units = {
            code: UnitVerdict(
                cells=(status_cell(status),),
                behind=behind.get(status.status, ""),
                data={"concretization": status_json(status)},
            )
            for code, status in statuses.items()
        }
        for kind, text in (
            (LATE, "Đơn vị hoàn thành cụ thể hóa nội dung tuyên truyền không đúng hạn"),
            (MISSING, "Đơn vị chưa cụ thể hóa nội dung tuyên truyền"),
        ):
            if by_status[kind]:
                outcome.shortcomings.append(
                    f"{text} (Kế hoạch: {settings.text}): {names(units, by_status[kind])}."
                )
        unit_names = dict(zip(units["code"], units["name"], strict=True))
        outcome.causes = [
            f"{unit_names[row.unit]}: {row.note.rstrip('.')}."
            for row in firsts.itertuples()
            if row.note and row.unit in unit_names and statuses[row.unit].status == LATE
        ]
        outcome.context = {
            "documents": [
                {
                    "unit": unit_names[row.unit],
                    "doc_number": row.doc_number,
                    "date": format_vn(row.date),
                }
                for row in firsts.itertuples()
                if row.unit in unit_names and row.doc_number
            ],
            "deadline": settings.text,
            **status_context(units, by_status),
        }
        return outcome

    def owed(self, scope: Scope, settings: ConcretizationSettings) -> dict[str, list[Item]]:
        """N working days before the last day on time (5 and 1), then once a week while
        overdue. The deadline is in every key: a new deadline reminds afresh."""
        as_of, last_day = scope.as_of, settings.last_day
        text = f"Hoàn thành cụ thể hóa nội dung tuyên truyền CCHC (Kế hoạch: {settings.text})"
        if settings.on_time(as_of):
            left = scope.calendar.working_days_between(as_of, last_day)
            if left not in settings.remind_days_before:
                return {}
            item = Item(
                f"concretization:{settings.deadline}:before-{left}",
                f"{text}: còn {left} ngày làm việc.",
            )
        else:
            week = (as_of - last_day).days // settings.remind_overdue_every_days
            item = Item(
                f"concretization:{settings.deadline}:overdue-{week}",
                f"{text}: đã quá hạn {(as_of - last_day).days} ngày, chưa có trong bảng tính.",
                overdue=True,
            )
        done = set(scope.records.concretizations["unit"])
        return {code: [item] for code in scope.units["code"] if code not in done}

    def claims(self, scope: Scope, settings: ConcretizationSettings) -> list[Claim]:
        tab, identity = CLAIM_IDENTITY
        return [Claim(scope.records.concretizations, settings.last_day, tab, identity, "date")]


RULE = Concretization()
