from datetime import date

import pytest

from tasks.errors import PlanError
from tasks.plan import load_plan


def test_the_07_contents_are_the_plans_by_number_and_name(plan):
    # Section III of the plan, as issued.
    assert [(a.number, a.name) for a in plan.areas] == [
        (1, "Cải cách thể chế"),
        (2, "Cải cách thủ tục hành chính"),
        (3, "Cải cách tổ chức bộ máy"),
        (4, "Cải cách chế độ công vụ"),
        (5, "Cải cách tài chính công"),
        (6, "Xây dựng chính quyền số"),
        (7, "Tuyên truyền mô hình hay, điển hình tiên tiến"),
    ]


def test_the_plan_file_mirrors_the_plans_own_words(plan):
    assert "1319/QĐ-UBND ngày 29/4/2026" in plan.plan.implements
    assert "26/KH-SXD ngày 13/01/2026" in plan.plan.replaces
    assert plan.plan.number == "" and plan.plan.signed_on is None  # blank in the text
    assert (plan.signer.title, plan.signer.name) == ("GIÁM ĐỐC", "Cao Đình Huy")
    assert plan.noi_nhan[0].startswith("Sở Nội vụ") and plan.noi_nhan[-1] == "Lưu: VT, VP (Tr)."
    assert any(line.startswith("UBND tỉnh") for line in plan.noi_nhan)
    # "trước ngày 15/5/2026": the 15th itself is late
    concretization = plan.rules["concretization"]
    assert concretization.text == "trước ngày 15/5/2026"
    assert concretization.on_time(date(2026, 5, 14))
    assert not concretization.on_time(date(2026, 5, 15))
    assert plan.rules["apologies"].days_before_due == 1
    # The plan sets no unit quota: the rule only reads the roster's column.
    assert set(type(plan.rules["unit_quota"]).model_fields) == {
        "clause",
        "remind_working_days_left",
    }
    # Each rule quotes the plan's own sentence.
    assert "trước ngày 15/5/2026" in concretization.clause
    assert "ít nhất 01 tin/bài viết về CCHC mỗi tháng" in plan.rules["website"].clause
    assert "xin lỗi bằng văn bản khi hồ sơ trễ hẹn" in plan.rules["apologies"].clause


def test_the_report_cites_the_plan_without_blanks_until_it_is_numbered(plan):
    assert plan.plan.reference == (
        "Kế hoạch Thông tin, tuyên truyền cải cách hành chính nhà nước năm 2026 của Sở Xây dựng "
        "(ban hành tháng 5 năm 2026)"
    )
    numbered = plan.plan.model_copy(update={"number": "95/KH-SXD", "signed_on": date(2026, 5, 20)})
    assert numbered.reference == "Kế hoạch số 95/KH-SXD ngày 20/5/2026 của Sở Xây dựng"


def test_real_plan_loads(plan):
    assert [a.number for a in plan.areas] == [1, 2, 3, 4, 5, 6, 7]
    assert str(plan.rules["concretization"].deadline) == "2026-05-15"
    assert plan.rules["website"].per_month == 1
    assert list(plan.rules) == ["website", "unit_quota", "concretization", "unit_reports",
                                "apologies", "tasks"]  # fmt: skip
    assert plan.reporting.window == "nd09"
    assert {c.key for c in plan.channels if c.online} == {"website", "zalo", "fanpage"}


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("deadline: 2026-05-15", "deadline: 2026-15-05", "rules.concretization.deadline"),
        ("per_month: 1", "per_month: -1", "rules.website.per_month"),
        ("window: nd09", "window: quy", "reporting.window"),
        ("days_before_due: 1", "days_before_du: 1", "rules.apologies.days_before_du"),
        ("kinds: [tin, bai]", "kinds: [tin, tin_tuc]", "tin_tuc"),
        ("  apologies:\n", "  apology:\n", "rules.apology: không có quy tắc này"),
        ("giamdoc@sxd.daklak.gov.vn", "giám đốc@sxd", "recipients.leadership.0.email"),
    ],
)
def test_wrong_plan_names_the_key(plan_file, old, new, fragment):
    text = plan_file.read_text(encoding="utf-8")
    assert old in text
    plan_file.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(plan_file)
    assert fragment in str(err.value)
    assert str(plan_file) in str(err.value)


def test_missing_plan_file(tmp_path):
    with pytest.raises(PlanError, match="CCHC_PLAN"):
        load_plan(tmp_path / "none.yaml")
