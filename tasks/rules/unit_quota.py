"""Quotas per unit. The plan sets none: only the Office may, in the roster's "Chỉ tiêu tin
bài/tháng" column; a blank cell is no quota and no verdict. A quota counts every kind of product,
per month of the period begun by the as-of date."""

from __future__ import annotations

from pydantic import Field

from tasks.calendar import open_month, report_window
from tasks.dates import format_vn
from tasks.rules.base import MET_TEXT, Item, Outcome, Rule, RuleSettings, Scope, UnitVerdict

NO_QUOTA = "Không giao"


class UnitQuotaSettings(RuleSettings):
    # Remind a unit below its quota when the month's window has at most N working days left.
    remind_working_days_left: int = Field(default=3, ge=0, le=30)


def monthly_quota(roster_quota: object) -> int | None:
    """The unit's quota per month as the Office wrote it; None when blank: the software never
    invents one."""
    if roster_quota is None or roster_quota != roster_quota:  # blank or NaN
        return None
    return int(roster_quota)  # type: ignore[call-overload]


class UnitQuota(Rule):
    key = "unit_quota"
    title = "Chỉ tiêu sản phẩm tuyên truyền do Văn phòng Sở giao cho đơn vị"
    settings_model = UnitQuotaSettings

    def assess(self, scope: Scope, settings: UnitQuotaSettings) -> Outcome:
        months = scope.months_begun
        verdicts = {}
        rows = []
        for unit in scope.units.itertuples():
            monthly = monthly_quota(unit.quota)
            # An ad hoc range holding no whole month has no quota to judge by.
            quota = None if monthly is None or not months else monthly * months
            count = scope.unit_products.get(unit.code, 0)
            met = None if quota is None else count >= quota
            rows.append({"code": unit.code, "name": unit.name, "quota": quota, "met": met})
            verdicts[unit.code] = UnitVerdict(
                cells=(NO_QUOTA if met is None else f"{quota} - {MET_TEXT[met]}",),
                behind=f"có {count} sản phẩm, chưa đạt chỉ tiêu {quota}" if met is False else "",
                data={"quota": quota, "quota_met": met},
            )
        judged = [r for r in rows if r["met"] is not None]
        below = [r for r in judged if r["met"] is False]
        if judged:
            verdict = f"{len(judged) - len(below)}/{len(judged)} đơn vị được giao chỉ tiêu đã đạt."
        else:
            verdict = "Văn phòng Sở không giao chỉ tiêu cho đơn vị nào trong kỳ."
        outcome = self.outcome(settings, verdict, not below if judged else None)
        outcome.columns = ("Chỉ tiêu - kết quả",)
        outcome.units = verdicts
        if below:
            listed = "; ".join(
                f"{r['name']} ({scope.unit_products.get(r['code'], 0)}/{r['quota']})" for r in below
            )
            outcome.shortcomings = [
                f"Có {len(below)} đơn vị chưa đạt chỉ tiêu sản phẩm tuyên truyền do Văn phòng Sở "
                f"giao: {listed}."
            ]
        outcome.context = {
            "with_quota": len(judged),
            "met": len(judged) - len(below),
            "below_names": "; ".join(r["name"] for r in below),
            "total": sum(r["quota"] for r in judged),
            "by_unit": {r["code"]: r for r in rows},  # the units chart draws each quota
        }
        return outcome

    def owed(self, scope: Scope, settings: UnitQuotaSettings) -> dict[str, list[Item]]:
        """Below quota when the open month's window has at most N working days left."""
        rule = scope.plan.reporting.window
        period = open_month(scope.as_of, rule)
        window = report_window(period, rule)
        left = scope.calendar.working_days_between(scope.as_of, window.end)
        if left > settings.remind_working_days_left:
            return {}
        dates = scope.records.products["date"]
        so_far = scope.records.products[(dates >= window.start) & (dates <= scope.as_of)]
        counts = so_far.groupby("unit").size()
        owed = {}
        for unit in scope.units.itertuples():
            quota = monthly_quota(unit.quota)
            count = int(counts.get(unit.code, 0))
            if quota is None or count >= quota:
                continue
            owed[unit.code] = [
                Item(
                    f"quota:{period.key}",
                    f"Tin, bài tuyên truyền CCHC {period.label}: mới có {count}/{quota}; "
                    f"kỳ khóa sổ ngày {format_vn(window.end)} (còn {left} ngày làm việc).",
                )
            ]
        return owed


RULE = UnitQuota()
