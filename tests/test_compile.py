from datetime import date

from tasks.calendar import parse_period
from tasks.compile import (
    build_result,
    content_hash,
    date_line,
    report_context,
    summary_rows,
)
from tasks.normalize import normalize
from tasks.verify import verify
from tests.builders import book, product

AS_OF = date(2026, 6, 5)


def findings_for(plan, **tabs):
    records, problems = normalize(book(**tabs), plan)
    return verify(records, plan, parse_period("2026-05"), AS_OF, problems)


def test_date_line_leading_zero_rule():
    assert date_line("Đắk Lắk", date(2026, 2, 5)) == "Đắk Lắk, ngày 05 tháng 02 năm 2026"
    assert date_line("Đắk Lắk", date(2026, 5, 15)) == "Đắk Lắk, ngày 15 tháng 5 năm 2026"
    assert date_line("Đắk Lắk", date(2026, 12, 1)) == "Đắk Lắk, ngày 01 tháng 12 năm 2026"


def test_result_has_exactly_the_design_fields(plan):
    findings = findings_for(
        plan,
        products=[product("20/04/2026", "VP"), product("99/04/2026", "VP", title="x")],
        concretizations=[["VP", "14/05/2026"]],
        dossiers=[["H1", "Cấp phép", "VP", "20/04/2026", "25/04/2026", "", ""]],
    )
    result = build_result(findings)
    assert set(result) == {
        "period", "window", "as_of", "rules", "units", "website", "late_dossiers", "problems",
        "backdated", "totals", "channels", "posted_procedures", "tasks",
    }  # fmt: skip
    # The one valid product, by channel (the row dated 99/04 is a problem, not a product).
    assert [(c["count"], c["attendees"], c["copies"]) for c in result["channels"]] == [(1, 0, 0)]
    assert [r["key"] for r in result["rules"]] == list(plan.rules)
    assert result["rules"][2]["clause"] == plan.rules["concretization"].clause
    assert result["window"] == {"start": "2026-04-15", "end": "2026-05-14"}
    assert result["as_of"] == "2026-06-05"
    vp = result["units"][0]
    assert vp == {
        "code": "VP",
        "name": "Văn phòng Sở",
        "products": 1,
        "quota": 4,
        "quota_met": False,
        "concretization": {"status": "on_time", "date": "2026-05-14"},
        "unit_report": {"status": "missing", "date": None},
    }
    qlxd = result["units"][1]  # a blank quota cell: no quota, no verdict (null in JSON)
    assert (qlxd["code"], qlxd["quota"], qlxd["quota_met"]) == ("QLXD", None, None)
    assert result["late_dossiers"] == [
        {
            "code": "H1",
            "unit": "VP",
            "due": "2026-04-20",
            "returned": "2026-04-25",
            "apology": {"status": "missing", "date": None},
            "new_due": None,
        }
    ]
    assert result["problems"] == [
        {
            "tab": "Tin bài",
            "row": 3,
            "column": "Ngày",
            "value": "99/04/2026",
            "message": "Ngày '99/04/2026' không tồn tại: tháng 4/2026 chỉ có 30 ngày.",
        }
    ]
    assert result["website"]["required"] == 1 and result["website"]["count"] == 1
    assert sum(result["totals"]["by_channel"].values()) == 1


def test_content_hash_follows_figures_and_annex_not_the_as_of_date(plan):
    def digest(as_of=AS_OF, **tabs):
        records, problems = normalize(book(**tabs), plan)
        findings = verify(records, plan, parse_period("2026-05"), as_of, problems)
        return content_hash(build_result(findings), report_context(findings, plan))

    one = digest(products=[product("20/04/2026")])
    assert digest(products=[product("20/04/2026")]) == one
    assert digest(date(2026, 6, 6), products=[product("20/04/2026")]) == one  # a day later
    assert digest(products=[product("21/04/2026")]) != one  # same figures, another annex row
    assert digest(products=[product("20/04/2026", title="Tin khác")]) != one


def test_shortcomings_name_units_but_not_internal_data_problems(plan):
    findings = findings_for(plan, products=[product("20/04/2026", "PHÒNG X")])
    text = " ".join(findings.shortcomings())
    assert "Văn phòng Sở (0/4)" in text
    assert "Thanh tra Sở" in text  # no concretisation and no report
    # The bad row is the Office's clean-up, not a shortcoming reported to Sở Nội vụ.
    assert findings.problems and "nhập sai" not in text and "PHÒNG X" not in text


def test_summary_rows_one_per_active_unit_then_problems(plan):
    findings = findings_for(plan, products=[product("20/04/2026", "PHÒNG X")])
    rows = summary_rows(findings, "2026-06-05T08:00:00+07:00")
    codes = [r[0] for r in rows[2:5]]
    assert codes == ["VP", "QLXD", "TTR"]
    assert rows[1] == ["Mã đơn vị", "Tên đơn vị", "Số tin bài", "Chỉ tiêu - kết quả",
                       "Cụ thể hóa", "Báo cáo kỳ"]  # fmt: skip
    assert rows[2] == ["VP", "Văn phòng Sở", 0, "4 - Chưa đạt", "Chưa có", "Chưa có"]
    assert rows[6] == ["Lỗi dữ liệu cần sửa (1)"]
    assert rows[8][:3] == ["Tin bài", 2, "Đơn vị"]
