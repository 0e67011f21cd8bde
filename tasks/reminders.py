"""What each unit owes on a given day, by the plan's reminder rules (đôn đốc). Pure.

Every item has a key that names its rule and period, so a unit is reminded of it once:
the deliver stage records the keys it has sent and skips them on later days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tasks import rules
from tasks.calendar import open_month
from tasks.models import Records
from tasks.plan import Plan
from tasks.rules.base import Item
from tasks.verify import known_on


@dataclass
class UnitReminder:
    code: str
    name: str
    emails: list[str]
    items: list[Item] = field(default_factory=list)


def due_reminders(records: Records, plan: Plan, as_of: date) -> list[UnitReminder]:
    """Active units with at least one item owed on ``as_of`` (a working day is assumed)."""
    records = known_on(records, as_of)
    scope = rules.make_scope(records, plan, open_month(as_of, plan.reporting.window), as_of)
    owed = rules.owed(scope)
    return [
        UnitReminder(unit.code, unit.name, list(unit.emails), owed[unit.code])
        for unit in scope.units.itertuples()
        if owed.get(unit.code)
    ]
