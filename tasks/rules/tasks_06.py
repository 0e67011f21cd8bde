"""The units' tasks under the "06 rõ" principle. Plan I.2: "Thực hiện theo nguyên tắc "06 rõ": rõ
người, rõ việc, rõ thời gian, rõ trách nhiệm, rõ sản phẩm, rõ thẩm quyền". The tab ``Nhiệm vụ``
holds one row per task; tasks.normalize makes each missing "rõ" a problem record and keeps the task.

A task is due in a report when its Hạn hoàn thành falls on or before the end of the report's window
(and on or before the as-of date); it is done when its Ngày hoàn thành is written (on or before the
as-of date: tasks.verify.known_on). The completion rate is done / due; a due task not done once its
deadline has passed is overdue. A task with no Hạn hoàn thành is never due (it is not "rõ thời
gian", and its problem record says so).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import Field

from tasks.contract import TASK_CLEAR
from tasks.dates import format_vn
from tasks.rules.base import (
    Item,
    Outcome,
    Rule,
    RuleSettings,
    Scope,
    UnitVerdict,
    optional_date,
)
from tasks.text import match_key


class TaskSettings(RuleSettings):
    # Remind the unit this many working days before Hạn hoàn thành while the task is not done.
    remind_working_days_before: int = Field(default=3, ge=0, le=30)
    # After the deadline, remind again every so many days while the task is not done.
    remind_overdue_every_days: int = Field(default=7, ge=1)


def task_id(unit: str, task: str) -> str:
    """A short id of a task that stays the same when rows are added above it (a reminder key)."""
    digest = hashlib.sha1(f"{unit}\n{match_key(task)}".encode()).hexdigest()[:10]
    return f"{unit}:{digest}"


def task_label(task: str) -> str:
    return f"“{task}”" if task else "(chưa ghi tên nhiệm vụ)"


def due_tasks(scope: Scope) -> list[dict[str, Any]]:
    """The tasks due by the end of the report's window (and by the as-of date), in deadline
    order: ``done`` (date or None), ``overdue`` (not done, deadline passed), ``late`` (done after
    the deadline)."""
    last = min(scope.window.end, scope.as_of)
    found = []
    tasks = scope.records.tasks.sort_values(["due", "row"], kind="stable", na_position="last")
    for t in tasks.itertuples():
        due, done = optional_date(t.due), optional_date(t.done)
        if due is None or due > last:
            continue
        found.append(
            {
                "row": t.row,
                "unit": t.unit,
                "task": t.task,
                "assignee": t.assignee,
                "responsible": t.responsible,
                "product": t.product,
                "due": due,
                "done": done,
                "overdue": done is None and due < scope.as_of,
                "late": done is not None and done > due,
                "link": t.link,
            }
        )
    return found


def rate_text(done: int, due: int) -> str:
    """``3/4 (75%)``: tasks done of those due, with the rate rounded to a whole percent."""
    return f"{done}/{due} ({round(100 * done / due)}%)" if due else "0/0"


class Tasks06(Rule):
    key = "tasks"
    title = 'Thực hiện nhiệm vụ theo nguyên tắc "06 rõ"'
    settings_model = TaskSettings

    def assess(self, scope: Scope, settings: TaskSettings) -> Outcome:
        found = due_tasks(scope)
        done = [t for t in found if t["done"] is not None]
        overdue = [t for t in found if t["overdue"]]
        all_tasks = scope.records.tasks
        unclear = int(all_tasks["unclear"].map(bool).sum()) if len(all_tasks) else 0
        if found:
            verdict = (
                f"{len(done)}/{len(found)} nhiệm vụ đến hạn đã hoàn thành "
                f"({round(100 * len(done) / len(found))}%)"
                + (f"; {len(overdue)} nhiệm vụ quá hạn chưa hoàn thành." if overdue else ".")
            )
        else:
            verdict = "Không có nhiệm vụ đến hạn trong kỳ."
        if unclear:
            verdict += f' {unclear} nhiệm vụ chưa đủ "06 rõ".'
        outcome = self.outcome(settings, verdict, len(done) == len(found) if found else None)
        names = dict(zip(scope.records.units["code"], scope.records.units["name"], strict=True))
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for t in found:
            by_unit.setdefault(t["unit"], []).append(t)
        if found:
            outcome.columns = ("Nhiệm vụ 06 rõ",)
        for code in scope.units["code"]:
            mine = by_unit.get(code, [])
            mine_done = sum(t["done"] is not None for t in mine)
            mine_overdue = sum(t["overdue"] for t in mine)
            outcome.units[code] = UnitVerdict(
                cells=(f"{mine_done}/{len(mine)} hoàn thành" if mine else "",) if found else (),
                behind=f"{mine_overdue} nhiệm vụ quá hạn chưa hoàn thành" if mine_overdue else "",
                data={"tasks_due": len(mine), "tasks_done": mine_done} if mine else {},
            )
        if overdue:
            listed = "; ".join(
                f"{task_label(t['task'])} ({names.get(t['unit'], t['unit'])}, hạn "
                f"{format_vn(t['due'])})"
                for t in overdue
            )
            outcome.shortcomings.append(
                f"Có {len(overdue)}/{len(found)} nhiệm vụ quá hạn chưa hoàn thành: {listed}."
            )
        if unclear:
            lacking = [c for missing in all_tasks["unclear"] for c in missing]
            counted = ", ".join(f"{c}: {lacking.count(c)}" for _, c in TASK_CLEAR if c in lacking)
            outcome.shortcomings.append(
                f'Có {unclear}/{len(all_tasks)} nhiệm vụ chưa bảo đảm nguyên tắc "06 rõ" (chưa '
                f"{counted})."
            )
        outcome.data = {
            "tasks": {
                "due": len(found),
                "done": len(done),
                "overdue": len(overdue),
                "unclear": unclear,
                "overdue_tasks": [
                    {"unit": t["unit"], "task": t["task"], "due": t["due"].isoformat()}
                    for t in overdue
                ],
            }
        }
        outcome.context = {
            "due": len(found),
            "done": len(done),
            "done_late": sum(t["late"] for t in found),
            "rate": round(100 * len(done) / len(found)) if found else None,
            "rate_text": rate_text(len(done), len(found)),
            "overdue": len(overdue),
            "unclear": unclear,
            "total": len(all_tasks),
            "overdue_tasks": [
                {
                    "stt": i,
                    "unit": names.get(t["unit"], t["unit"]),
                    "task": t["task"] or "(chưa ghi tên nhiệm vụ)",
                    "assignee": t["assignee"],
                    "responsible": t["responsible"],
                    "due": format_vn(t["due"]),
                }
                for i, t in enumerate(overdue, 1)
            ],
        }
        return outcome

    def owed(self, scope: Scope, settings: TaskSettings) -> dict[str, list[Item]]:
        """Tasks not done whose deadline is within N working days, and overdue tasks (again every
        ``remind_overdue_every_days`` days while not done)."""
        owed: dict[str, list[Item]] = {}
        active = set(scope.units["code"])
        warn_until = scope.calendar.add_working_days(
            scope.as_of, settings.remind_working_days_before
        )
        for t in scope.records.tasks.itertuples():
            due = optional_date(t.due)
            if t.unit not in active or due is None or optional_date(t.done) is not None:
                continue
            ident, label = task_id(t.unit, t.task), task_label(t.task)
            if scope.as_of <= due <= warn_until:
                owed.setdefault(t.unit, []).append(
                    Item(
                        f"task-soon:{ident}:{due.isoformat()}",
                        f"Nhiệm vụ {label} hạn hoàn thành ngày {format_vn(due)}, chưa hoàn thành"
                        " (ghi Ngày hoàn thành vào tab 'Nhiệm vụ' khi xong).",
                    )
                )
            elif due < scope.as_of:
                every = (scope.as_of - due).days // settings.remind_overdue_every_days
                owed.setdefault(t.unit, []).append(
                    Item(
                        f"task-overdue:{ident}:{due.isoformat()}:{every}",
                        f"Nhiệm vụ {label} quá hạn (hạn {format_vn(due)}) chưa hoàn thành.",
                        overdue=True,
                    )
                )
        return owed


RULE = Tasks06()
