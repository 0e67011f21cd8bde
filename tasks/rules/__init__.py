"""The plan's rules (DESIGN §4), one module each, and the registry every stage loops over.

A rule is on when the plan file has its key under ``rules:`` (with the plan's clause and its
settings); left out, it is off. Adding a rule: a module here, a line in ``REGISTRY``, an entry in
the plan file. The report, ``ket-qua.json``, the e-mail, the artifacts, ``Tổng hợp`` and the
reminders then show it with no other change.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from tasks.calendar import Period, WorkCalendar, report_window
from tasks.models import Records
from tasks.rules import apologies, concretization, tasks_06, unit_quota, unit_reports, website
from tasks.rules.base import Claim, Item, Outcome, Rule, RuleSettings, Scope, in_window

if TYPE_CHECKING:
    from tasks.plan import Plan

# In the order the outputs show them.
REGISTRY: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        website.RULE,
        unit_quota.RULE,
        concretization.RULE,
        unit_reports.RULE,
        apologies.RULE,
        tasks_06.RULE,
    )
}


def settings_for(key: str, raw: Any) -> RuleSettings:
    """A rule's plan-file entry, validated by the rule's own settings (KeyError: no such rule)."""
    return REGISTRY[key].settings_model.model_validate(raw)


def enabled(plan: Plan) -> list[tuple[Rule, Any]]:
    """The rules the plan file turns on, in registry order, with their settings."""
    return [(rule, plan.rules[key]) for key, rule in REGISTRY.items() if key in plan.rules]


def work_calendar(plan: Plan) -> WorkCalendar:
    return WorkCalendar(plan.calendar.extra_holidays, plan.calendar.extra_working_days)


def make_scope(records: Records, plan: Plan, period: Period, as_of: date) -> Scope:
    """What the rules judge ``period`` by; ``records`` as they stood on ``as_of``."""
    products = records.products
    window = report_window(period, plan.reporting.window)
    counts = products[in_window(products, "date", window)].groupby("unit").size()
    return Scope(
        records=records,
        plan=plan,
        period=period,
        as_of=as_of,
        calendar=work_calendar(plan),
        unit_products={str(k): int(v) for k, v in counts.items()},
    )


def assess(scope: Scope) -> list[Outcome]:
    return [rule.assess(scope, settings) for rule, settings in enabled(scope.plan)]


def owed(scope: Scope) -> dict[str, list[Item]]:
    """Everything each unit owes on ``scope.as_of``, rule after rule."""
    items: dict[str, list[Item]] = {}
    for rule, settings in enabled(scope.plan):
        for code, owed_items in rule.owed(scope, settings).items():
            items.setdefault(code, []).extend(owed_items)
    return items


def claims(scope: Scope) -> list[Claim]:
    return [c for rule, settings in enabled(scope.plan) for c in rule.claims(scope, settings)]


def claim_identities() -> dict[str, tuple[str, ...]]:
    """Tab key -> the columns that identify its claimed rows across snapshots, for every rule
    that makes claims (on or off in the plan: what an earlier read proved does not depend on
    it). ValueError when two rules identify the rows of one tab differently."""
    found: dict[str, tuple[str, ...]] = {}
    for rule in REGISTRY.values():
        if rule.claim_identity is None:
            continue
        tab, identity = rule.claim_identity
        if found.setdefault(tab.key, identity) != identity:
            raise ValueError(f"rules identify the rows of {tab.key} differently")
    return found
