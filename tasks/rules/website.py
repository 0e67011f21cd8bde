"""The website quota. Plan VI.1: "Bảo đảm có ít nhất 01 tin/bài viết về CCHC mỗi tháng trên
website Sở": news items and articles on the website, counted month by month (a 6-month or annual
report checks each month, not the sum)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from tasks.calendar import report_window
from tasks.dates import format_vn
from tasks.rules.base import MET_TEXT, Outcome, Rule, RuleSettings, Scope, in_window

if TYPE_CHECKING:
    from tasks.plan import Plan


class WebsiteSettings(RuleSettings):
    per_month: int = Field(ge=0, le=1000)
    kinds: list[str]  # the product kinds that count (the plan: "tin/bài")


class WebsiteQuota(Rule):
    key = "website"
    title = "Tin, bài về CCHC trên Trang thông tin điện tử của Sở"
    settings_model = WebsiteSettings

    def check_plan(self, settings: WebsiteSettings, plan: Plan) -> None:
        kinds = {k.key for k in plan.kinds}
        unknown = [k for k in settings.kinds if k not in kinds]
        if unknown:
            raise ValueError(f"rules.website.kinds: không có loại sản phẩm {unknown} trong 'kinds'")
        if not any(c.key == "website" for c in plan.channels):
            raise ValueError("channels: thiếu hình thức có key 'website' (Trang thông tin điện tử)")

    def assess(self, scope: Scope, settings: WebsiteSettings) -> Outcome:
        rule = scope.plan.reporting.window
        products = scope.records.products
        eligible = products[
            (products["channel"] == "website") & products["kind"].isin(settings.kinds)
        ]
        per_month = settings.per_month
        months: list[dict[str, Any]] = []
        for month in scope.period.months(rule):
            window = report_window(month, rule)
            if window.start > scope.as_of:
                continue  # not begun: nothing to judge yet
            count = int(in_window(eligible, "date", window).sum())
            months.append(
                {
                    "period": month.key,
                    "label": month.label,
                    "start": format_vn(window.start),
                    "end": format_vn(window.end),
                    "count": count,
                    "required": per_month,
                    "met": count >= per_month,
                    "met_text": MET_TEXT[count >= per_month],
                }
            )
        count = sum(m["count"] for m in months)
        required = per_month * len(months)
        met = all(m["met"] for m in months)
        if len(months) == 1:
            verdict = (
                f"{count} tin, bài; yêu cầu tối thiểu {per_month:02d} tin, bài mỗi tháng: "
                f"{MET_TEXT[met].lower()}."
            )
        else:
            verdict = (
                f"{count} tin, bài; {sum(m['met'] for m in months)}/{len(months)} tháng đạt "
                f"tối thiểu {per_month:02d} tin, bài: {MET_TEXT[met].lower()}."
            )
        outcome = self.outcome(settings, verdict, met if months else None)
        outcome.shortcomings = [
            "Trang thông tin điện tử chưa đạt chỉ tiêu tối thiểu "
            f"{per_month:02d} tin, bài CCHC trong kỳ {m['label']} ({m['start']} - {m['end']}): "
            f"{m['count']}."
            for m in months
            if not m["met"]
        ]
        outcome.data = {
            "website": {
                "required": required,
                "count": count,
                "met": met,
                "months": [
                    {k: m[k] for k in ("period", "count", "required", "met")} for m in months
                ],
            }
        }
        outcome.context = {
            "per_month": per_month,
            "required": required,
            "count": count,
            "met": met,
            "met_text": MET_TEXT[met],
            "months": months,
        }
        return outcome


RULE = WebsiteQuota()
