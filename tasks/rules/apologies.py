"""Late dossiers and their apology. Plan VI.2: "Thực hiện nghiêm quy định xin lỗi bằng văn bản
khi hồ sơ trễ hẹn". A dossier is late when returned after Ngày hẹn trả, or not returned once that
day has passed. Its apology (phiếu xin lỗi và hẹn lại ngày trả kết quả) is on time when dated at
least N days before Ngày hẹn trả (NĐ 61/2018 as amended: N = 1; the Office confirms it against
NĐ 118/2025). The new appointment it gives may be given once: late again after it is flagged."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from pydantic import Field

from tasks.contract import DOSSIERS
from tasks.dates import format_vn
from tasks.models import StatusDate
from tasks.rules.base import (
    LATE,
    MISSING,
    ON_TIME,
    STATUS_TEXT,
    Claim,
    Item,
    Outcome,
    Rule,
    RuleSettings,
    Scope,
    UnitVerdict,
    in_window,
    optional_date,
    status_json,
)


class ApologySettings(RuleSettings):
    days_before_due: int = Field(default=1, ge=0, le=30)
    # Warn the unit this many working days before Ngày hẹn trả while a dossier is not returned.
    remind_working_days_before: int = Field(default=2, ge=0, le=30)


def is_late(due: date, returned: date | None, as_of: date) -> bool:
    """Returned after the due date, or not returned and the due date has passed."""
    if returned is None or pd.isna(returned):
        return as_of > due
    return returned > due


def apology_status(apology_date: date | None, due: date, days_before: int) -> StatusDate:
    """On time when dated at least ``days_before`` days before ``due`` (the status's ``due`` is
    that latest day), late after it, missing when there is none."""
    latest = due - timedelta(days=days_before)
    if apology_date is None:
        return StatusDate(MISSING, None, latest)
    return StatusDate(ON_TIME if apology_date <= latest else LATE, apology_date, latest)


def late_dossiers(scope: Scope, days_before: int) -> list[dict[str, Any]]:
    """Dossiers due in the window that are late, in due-date order."""
    dossiers = scope.records.dossiers[in_window(scope.records.dossiers, "due", scope.window)]
    found = []
    for d in dossiers.sort_values(["due", "row"], kind="stable").itertuples():
        returned, new_due = optional_date(d.returned), optional_date(d.new_due)
        if not is_late(d.due, returned, scope.as_of):
            continue
        found.append(
            {
                "code": d.code,
                "unit": d.unit,
                "procedure": d.procedure,
                "due": d.due,
                "returned": returned,
                "apology": apology_status(optional_date(d.apology_date), d.due, days_before),
                "apology_number": d.apology_number or "",
                "new_due": new_due,
                "missed_new_due": new_due is not None and is_late(new_due, returned, scope.as_of),
            }
        )
    return found


CLAIM_IDENTITY = (DOSSIERS, ("code", "apology_date"))


class Apologies(Rule):
    key = "apologies"
    claim_identity = CLAIM_IDENTITY
    title = "Xin lỗi bằng văn bản khi hồ sơ trễ hẹn"
    settings_model = ApologySettings

    def assess(self, scope: Scope, settings: ApologySettings) -> Outcome:
        found = late_dossiers(scope, settings.days_before_due)
        on_time = [d for d in found if d["apology"].status == ON_TIME]
        if found:
            apologised = f"{len(on_time)} hồ sơ" if on_time else "chưa hồ sơ nào"
            verdict = (
                f"{len(found)} hồ sơ trễ hẹn; {apologised} có phiếu xin lỗi và hẹn lại ngày trả "
                f"kết quả đúng hạn (chậm nhất {settings.days_before_due:02d} ngày trước ngày hẹn "
                "trả)."
            )
        else:
            verdict = "Không có hồ sơ giải quyết trễ hẹn."
        outcome = self.outcome(settings, verdict, len(on_time) == len(found) if found else None)
        names = dict(zip(scope.records.units["code"], scope.records.units["name"], strict=True))
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for d in found:
            by_unit.setdefault(d["unit"], []).append(d)
        if found:
            outcome.columns = ("Hồ sơ trễ hẹn",)
        for code in scope.units["code"]:
            mine = by_unit.get(code, [])
            ok = sum(d["apology"].status == ON_TIME for d in mine)
            outcome.units[code] = UnitVerdict(
                cells=(f"{len(mine)} hồ sơ, {ok} xin lỗi đúng hạn" if mine else "",)
                if found
                else (),
                behind=f"{len(mine) - ok} hồ sơ trễ hẹn chưa xin lỗi đúng hạn"
                if ok < len(mine)
                else "",
            )
        if len(on_time) < len(found):
            outcome.shortcomings.append(
                f"Có {len(found) - len(on_time)}/{len(found)} hồ sơ trễ hẹn chưa có phiếu xin lỗi "
                "đúng hạn."
            )
        again = [d["code"] for d in found if d["missed_new_due"]]
        if again:
            outcome.shortcomings.append(
                "Hồ sơ trễ cả ngày hẹn lại (ngày hẹn lại chỉ được hẹn một lần): "
                f"{'; '.join(again)}."
            )
        outcome.data = {
            "late_dossiers": [
                {
                    "code": d["code"],
                    "unit": d["unit"],
                    "due": d["due"].isoformat(),
                    "returned": d["returned"].isoformat() if d["returned"] else None,
                    "apology": status_json(d["apology"]),
                    "new_due": d["new_due"].isoformat() if d["new_due"] else None,
                }
                for d in found
            ]
        }
        outcome.context = {
            "days_before_due": settings.days_before_due,
            "count": len(found),
            "on_time": len(on_time),
            "dossiers": [
                {
                    "stt": i,
                    "code": d["code"],
                    "procedure": d["procedure"],
                    "unit": names.get(d["unit"], d["unit"]),
                    "due": format_vn(d["due"]),
                    "returned": format_vn(d["returned"]) if d["returned"] else "Chưa trả",
                    "apology": STATUS_TEXT[d["apology"].status],
                    "apology_date": format_vn(d["apology"].date) if d["apology"].date else "",
                    "apology_number": d["apology_number"],
                    "new_due": format_vn(d["new_due"]) if d["new_due"] else "",
                    "missed_new_due": d["missed_new_due"],
                }
                for i, d in enumerate(found, 1)
            ],
        }
        return outcome

    def owed(self, scope: Scope, settings: ApologySettings) -> dict[str, list[Item]]:
        """Late dossiers with no apology at all, and dossiers not returned whose Ngày hẹn trả is
        a few working days ahead (the apology must be ready before it)."""
        owed: dict[str, list[Item]] = {}
        active = set(scope.units["code"])
        warn_until = scope.calendar.add_working_days(
            scope.as_of, settings.remind_working_days_before
        )
        for row in scope.records.dossiers.itertuples():
            if row.unit not in active:
                continue
            open_ = optional_date(row.returned) is None and pd.isna(row.apology_date)
            if open_ and scope.as_of <= row.due <= warn_until:
                latest = row.due - timedelta(days=settings.days_before_due)
                owed.setdefault(row.unit, []).append(
                    Item(
                        f"dossier-soon:{row.code}",
                        f"Hồ sơ {row.code} ({row.procedure or 'thủ tục hành chính'}) hẹn trả ngày "
                        f"{format_vn(row.due)}, chưa trả kết quả: nếu không kịp, lập phiếu xin lỗi "
                        f"và hẹn lại ngày trả kết quả chậm nhất ngày {format_vn(latest)}.",
                        overdue=False,
                    )
                )
            if is_late(row.due, row.returned, scope.as_of) and pd.isna(row.apology_date):
                owed.setdefault(row.unit, []).append(
                    Item(
                        f"dossier:{row.code}",
                        f"Hồ sơ {row.code} ({row.procedure or 'thủ tục hành chính'}) trễ hẹn "
                        f"(hẹn trả {format_vn(row.due)}) chưa có phiếu xin lỗi.",
                        overdue=True,
                    )
                )
        return owed

    def claims(self, scope: Scope, settings: ApologySettings) -> list[Claim]:
        dossiers = scope.records.dossiers
        due_in_window = dossiers[in_window(dossiers, "due", scope.window)]
        apologised = due_in_window[due_in_window["apology_date"].notna()]
        before = timedelta(days=settings.days_before_due)
        return [
            Claim(group, due - before, *CLAIM_IDENTITY, "apology_date")
            for due, group in apologised.groupby("due")
        ]


RULE = Apologies()
