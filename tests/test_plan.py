import pytest

from tasks.errors import PlanError
from tasks.plan import load_plan


def test_real_plan_loads(plan):
    assert [a.number for a in plan.areas] == [1, 2, 3, 4, 5, 6, 7]
    assert str(plan.deadlines.concretization) == "2026-05-15"
    assert plan.quotas.website_per_month == 1
    assert plan.reporting.window == "nd09"
    assert {c.key for c in plan.channels if c.online} == {"website", "zalo", "fanpage"}


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("concretization: 2026-05-15", "concretization: 2026-15-05", "deadlines.concretization"),
        ("website_per_month: 1", "website_per_month: -1", "quotas.website_per_month"),
        ("window: nd09", "window: quy", "reporting.window"),
        ("unit_default_per_month: 2", "unit_default_per_mont: 2", "quotas.unit_default_per_mont"),
        ("website_kinds: [tin, bai]", "website_kinds: [tin, tin_tuc]", "tin_tuc"),
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
