from datetime import date

from tasks.calendar import parse_period
from tasks.normalize import normalize
from tasks.plan import CalendarOverrides
from tasks.verify import verify
from tests.builders import book, product, unit_result, with_rule

MAY = parse_period("2026-05")


def run(plan, as_of=date(2026, 6, 5), period=MAY, **tabs):
    records, problems = normalize(book(**tabs), plan, as_of)
    return verify(records, plan, period, as_of, problems)


def unit(findings, code):
    return unit_result(findings, code)


def website(findings):
    return findings.outcome("website").context


def dossiers(findings):
    return findings.outcome("apologies").context["dossiers"]


def test_unit_quota_counts_only_the_window_14th_to_15th(plan):
    findings = run(
        plan,
        products=[
            product("14/04/2026", "VP", title="a"),  # April window: not counted
            product("15/04/2026", "VP", title="b"),  # first day of the May window
            product("14/05/2026", "VP", title="c"),  # last day of the May window
            product("15/05/2026", "VP", title="d"),  # June window: not counted
            product("20/04/2026", "QLXD", title="e"),
            product("21/04/2026", "QLXD", title="f"),
            product("22/04/2026", "CU", title="g"),  # inactive unit: counted in totals only
        ],
    )
    vp, qlxd, ttr = unit(findings, "VP"), unit(findings, "QLXD"), unit(findings, "TTR")
    assert (vp["products"], vp["quota"], vp["quota_met"]) == (2, 4, False)  # roster quota 4
    # Blank quota cells: the plan sets no unit quota, so no quota and no verdict.
    assert (qlxd["products"], qlxd["quota"], qlxd["quota_met"]) == (2, None, None)
    assert (ttr["products"], ttr["quota"], ttr["quota_met"]) == (0, None, None)
    assert [u.code for u in findings.units] == ["VP", "QLXD", "TTR"]  # CU is inactive
    assert len(findings.products) == 5  # b, c, e, f, g
    assert findings.totals["by_area"]["Cải cách thủ tục hành chính"] == 5


def test_half_year_quota_is_six_months(plan):
    findings = run(plan, as_of=date(2026, 6, 20), period=parse_period("2026-H1"))
    assert unit(findings, "VP")["quota"] == 24 and unit(findings, "QLXD")["quota"] is None


def test_annual_quota_counts_the_months_begun(plan):
    # On 20/06 the windows of January..July have begun (July's: 15/06-14/07): 7 months.
    findings = run(plan, as_of=date(2026, 6, 20), period=parse_period("2026"))
    assert unit(findings, "VP")["quota"] == 4 * 7
    assert len(website(findings)["months"]) == 7


def test_website_quota_counts_news_and_articles_on_the_website_only(plan):
    findings = run(
        plan,
        products=[
            product("20/04/2026", channel="Trang TTĐT", kind="Infographic", title="a"),
            product("21/04/2026", channel="Zalo OA", kind="Tin", title="b"),
            product("22/04/2026", channel="Báo chí", kind="Bài", title="c", link=""),
        ],
    )
    assert (website(findings)["required"], website(findings)["count"]) == (1, 0)
    assert website(findings)["met"] is False
    findings = run(plan, products=[product("22/04/2026", channel="Website", kind="Bài viết")])
    assert (website(findings)["count"], website(findings)["met"]) == (1, True)


def test_website_quota_month_by_month_for_six_months(plan):
    # One news item in each of the windows of January..June except March (15/2-14/3).
    days = ["20/12/2025", "20/01/2026", "20/03/2026", "20/04/2026", "20/05/2026"]
    findings = run(
        plan,
        as_of=date(2026, 6, 20),
        period=parse_period("2026-H1"),
        products=[product(d, title=f"t{i}") for i, d in enumerate(days)],
    )
    months = {m["period"]: (m["count"], m["met"]) for m in website(findings)["months"]}
    assert months == {
        "2026-01": (1, True),
        "2026-02": (1, True),
        "2026-03": (0, False),
        "2026-04": (1, True),
        "2026-05": (1, True),
        "2026-06": (1, True),  # 20/05 falls in the June window (15/5-14/6)
    }
    assert (website(findings)["required"], website(findings)["count"]) == (6, 5)
    assert website(findings)["met"] is False
    assert [c for _, c in findings.by_month] == [1, 1, 0, 1, 1, 1]


def test_concretization_before_15_5_as_the_plan_words_it(plan):
    # "hoàn thành việc cụ thể hóa nội dung tuyên truyền trước ngày 15/5/2026"
    concretized = [["VP", "14/05/2026"], ["QLXD", "15/05/2026"], ["QLXD", "20/05/2026"]]
    findings = run(plan, concretizations=concretized)
    assert unit(findings, "VP")["concretization"]["status"] == "on_time"  # the day before
    assert unit(findings, "QLXD")["concretization"]["status"] == "late"  # 15/5 is not before 15/5
    assert unit(findings, "QLXD")["concretization"]["date"] == "2026-05-15"  # the earliest
    assert unit(findings, "TTR")["concretization"]["status"] == "missing"
    # The Office may read it inclusively: a plan setting, not code.
    findings = run(with_rule(plan, "concretization", inclusive=True), concretizations=concretized)
    assert unit(findings, "QLXD")["concretization"]["status"] == "on_time"


def test_concretization_not_due_before_the_deadline(plan):
    findings = run(plan, as_of=date(2026, 5, 14), period=parse_period("2026-04"))
    assert unit(findings, "TTR")["concretization"]["status"] == "not_due"
    # On 15/5 a concretisation would already be late: missing from that day on.
    findings = run(plan, as_of=date(2026, 5, 15), period=parse_period("2026-04"))
    assert unit(findings, "TTR")["concretization"]["status"] == "missing"


def test_unit_report_due_three_working_days_after_the_window(plan):
    # May window ends Thu 14/5; working days Fri 15, Mon 18, Tue 19 -> due 19/05/2026.
    reports = [
        ["VP", "Tháng 5/2026", "19/05/2026"],
        ["QLXD", "T5/2026", "20/05/2026"],
        ["TTR", "2026-04", "16/04/2026"],
    ]
    findings = run(plan, unit_reports=reports)
    assert findings.outcome("unit_reports").context["due"] == "19/05/2026"
    assert unit(findings, "VP")["unit_report"]["status"] == "on_time"
    assert unit(findings, "QLXD")["unit_report"]["status"] == "late"
    assert (
        unit(findings, "TTR")["unit_report"]["status"] == "missing"
    )  # an April report is not May's
    early = run(plan, as_of=date(2026, 5, 19), unit_reports=reports[:1])
    assert unit(early, "TTR")["unit_report"]["status"] == "not_due"


def test_unit_report_due_date_shifted_by_a_plan_holiday(plan):
    shifted = plan.model_copy(
        update={"calendar": CalendarOverrides(extra_holidays=[date(2026, 5, 18)])}
    )
    # Fri 15, (Mon 18 is now a holiday), Tue 19, Wed 20 -> due 20/05/2026: sent 20/5 is on time.
    findings = run(shifted, unit_reports=[["VP", "2026-05", "20/05/2026"]])
    assert findings.outcome("unit_reports").context["due"] == "20/05/2026"
    assert unit(findings, "VP")["unit_report"]["status"] == "on_time"


def test_late_dossiers_and_apologies(plan):
    # Apology at least 1 day before Ngày hẹn trả (plan setting, default 1).
    findings = run(
        plan,
        dossiers=[
            # code, procedure, unit, due, returned, apology, number, new due (Ngày hẹn lại)
            [
                "A",
                "Cấp phép",
                "VP",
                "20/04/2026",
                "25/04/2026",
                "19/04/2026",
                "01/PXL",
                "25/04/2026",
            ],  # fmt: skip
            ["B", "Cấp phép", "VP", "21/04/2026", "23/04/2026", "21/04/2026", "", ""],
            ["C", "Cấp phép", "VP", "22/04/2026", "28/04/2026", "", "", ""],
            # not returned, as-of 05/06 is past the due date and past the new date too
            ["D", "Cấp phép", "VP", "23/04/2026", "", "20/04/2026", "02/PXL", "30/04/2026"],
            ["E", "Cấp phép", "VP", "24/04/2026", "24/04/2026", "", "", ""],  # returned on the day
            ["F", "Cấp phép", "VP", "10/04/2026", "20/04/2026", "", "", ""],  # in April's window
        ],
    )
    got = {
        d["code"]: (d["apology"], d["returned"], d["new_due"], d["missed_new_due"])
        for d in dossiers(findings)
    }
    assert got == {
        "A": ("Đúng hạn", "25/04/2026", "25/04/2026", False),  # 19/4 = due - 1 day
        "B": ("Trễ hạn", "23/04/2026", "", False),  # on the due date itself: too late
        "C": ("Chưa có", "28/04/2026", "", False),
        "D": ("Đúng hạn", "Chưa trả", "30/04/2026", True),  # a second new date is not allowed
    }
    # With 0 days (the Office's reading of a later decree), the due date itself is on time.
    findings = run(
        with_rule(plan, "apologies", days_before_due=0),
        dossiers=[["B", "Cấp phép", "VP", "21/04/2026", "23/04/2026", "21/04/2026", "", ""]],
    )
    assert dossiers(findings)[0]["apology"] == "Đúng hạn"


def test_dossier_not_yet_due_is_not_late(plan):
    findings = run(
        plan, as_of=date(2026, 5, 10), dossiers=[["G", "", "VP", "12/05/2026", "", "", ""]]
    )
    assert dossiers(findings) == []
