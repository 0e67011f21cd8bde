from datetime import date

from flows.common import started_too_late
from tasks.calendar import open_month
from tasks.normalize import normalize
from tasks.reminders import due_reminders
from tasks.rules.tasks_06 import task_id
from tests.builders import book, product


def owed(plan, as_of, **tabs):
    records, _ = normalize(book(**tabs), plan, as_of)
    return {r.code: sorted(i.key for i in r.items) for r in due_reminders(records, plan, as_of)}


DONE = [["VP", "01/04/2026"], ["QLXD", "01/04/2026"]]  # TTR has not concretised
APRIL = [[u, "2026-04", "15/04/2026"] for u in ("VP", "QLXD", "TTR")]  # every April report in


def test_concretization_five_and_one_working_days_before_the_deadline(plan):
    # "trước ngày 15/5/2026": the last day on time is Thu 14/5. Working days after Thu 7/5:
    # 8, 11, 12, 13, 14 -> 5 left; after Wed 13/5: 14 -> 1 left.
    tabs = {"concretizations": DONE, "unit_reports": APRIL}
    assert "concretization:2026-05-15:before-5" in owed(plan, date(2026, 5, 7), **tabs)["TTR"]
    four_left = owed(plan, date(2026, 5, 8), **tabs).get("TTR", [])
    assert not any(k.startswith("concretization") for k in four_left)  # 4 left: no e-mail
    assert "concretization:2026-05-15:before-1" in owed(plan, date(2026, 5, 13), **tabs)["TTR"]
    on_the_15th = owed(plan, date(2026, 5, 15), **tabs)["TTR"]
    assert "concretization:2026-05-15:overdue-0" in on_the_15th  # 15/5 is already too late


def test_concretization_weekly_while_overdue(plan):
    week0 = owed(plan, date(2026, 5, 18), concretizations=DONE, unit_reports=APRIL)
    week1 = owed(plan, date(2026, 5, 22), concretizations=DONE, unit_reports=APRIL)
    assert "concretization:2026-05-15:overdue-0" in week0["TTR"]
    assert "concretization:2026-05-15:overdue-1" in week1["TTR"]
    assert "VP" not in week0 or not any(k.startswith("concretization") for k in week0["VP"])


def test_quota_when_three_working_days_are_left(plan):
    # May window ends Thu 14/5: after Mon 11/5 come 12, 13, 14 -> 3 working days left.
    products = [
        product("20/04/2026", "VP", title="a"),
        product("21/04/2026", "QLXD", title="b"),
        product("22/04/2026", "QLXD", title="c"),
    ]
    tabs = {"concretizations": DONE, "unit_reports": APRIL, "products": products}
    early = owed(plan, date(2026, 5, 8), **tabs)
    late = owed(plan, date(2026, 5, 11), **tabs)
    assert not any("quota" in k for keys in early.values() for k in keys)
    assert "quota:2026-05" in late["VP"]  # 1 of the 4 the roster sets
    # TTR and QLXD have no quota in the roster (the plan sets none): never reminded of one.
    assert not any("quota" in k for k in late.get("TTR", []) + late.get("QLXD", []))


def test_unit_report_once_due(plan):
    # April window ends Tue 14/4; 3 working days: 15, 16, 17 -> due Fri 17/4.
    reports = [["VP", "T4/2026", "16/04/2026"]]
    before = owed(plan, date(2026, 4, 16), unit_reports=reports)
    on_due = owed(plan, date(2026, 4, 17), unit_reports=reports)
    assert not any("report:" in k for keys in before.values() for k in keys)
    assert "report:2026-04" in on_due["QLXD"] and "report:2026-04" in on_due["TTR"]
    assert "report:2026-04" not in on_due.get("VP", [])


def test_late_dossier_without_apology(plan):
    dossiers = [
        ["H1", "Cấp phép", "QLXD", "10/04/2026", "", "", ""],  # late, no apology
        ["H2", "Cấp phép", "QLXD", "10/04/2026", "", "09/04/2026", "01/PXL"],  # apologised
        ["H3", "Cấp phép", "VP", "30/04/2026", "", "", ""],  # not yet due on 20/4
    ]
    got = owed(plan, date(2026, 4, 20), dossiers=dossiers)
    assert "dossier:H1" in got["QLXD"] and "dossier:H2" not in got["QLXD"]
    assert not any(k.startswith("dossier") for k in got.get("VP", []))


def test_a_dossier_not_returned_is_warned_two_working_days_before_it_is_due(plan):
    # Due Mon 11/5: after Thu 7/5 come Fri 8/5 and Mon 11/5 -> warned on 7/5, not on 6/5.
    dossiers = [
        ["H4", "Cấp phép", "QLXD", "11/05/2026", "", "", ""],
        ["H5", "Cấp phép", "QLXD", "11/05/2026", "07/05/2026", "", ""],  # returned: no warning
    ]
    assert "dossier-soon:H4" not in owed(plan, date(2026, 5, 6), dossiers=dossiers).get("QLXD", [])
    warned = owed(plan, date(2026, 5, 7), dossiers=dossiers)["QLXD"]
    assert "dossier-soon:H4" in warned and "dossier-soon:H5" not in warned
    late = owed(plan, date(2026, 5, 12), dossiers=dossiers)["QLXD"]
    assert "dossier:H4" in late and "dossier-soon:H4" not in late  # now overdue instead


def test_inactive_unit_is_not_reminded(plan):
    assert "CU" not in owed(plan, date(2026, 5, 11))


def test_open_month():
    assert open_month(date(2026, 5, 14), "nd09").key == "2026-05"
    assert open_month(date(2026, 5, 15), "nd09").key == "2026-06"
    assert open_month(date(2026, 12, 20), "nd09").key == "2027-01"
    assert open_month(date(2026, 12, 20), "calendar").key == "2026-12"


def test_staleness_guard():
    from datetime import UTC, datetime, timedelta

    scheduled = datetime(2026, 5, 11, 0, 30, tzinfo=UTC)
    assert not started_too_late(scheduled, scheduled + timedelta(hours=5), 6)
    assert started_too_late(scheduled, scheduled + timedelta(hours=7), 6)
    assert not started_too_late(None, scheduled, 6)  # a manual run has no schedule


def test_a_task_is_reminded_three_working_days_before_its_deadline_then_weekly_overdue(plan):
    # Due Wed 13/5. Three working days after Fri 8/5: 11, 12, 13 -> warned on 8/5; after Thu 7/5:
    # 8, 11, 12 -> not yet. Overdue from 14/5: 14/5 is week 0, 21/5 week 1.
    row = ["QLXD", "Niêm yết TTHC kèm mã QR", "Lê C", "13/05/2026", "Trưởng phòng", "Bảng",
           "Giám đốc Sở", "", ""]  # fmt: skip
    done = ["VP", "Đăng tin", "An", "13/05/2026", "Chánh VP", "Tin", "GĐ", "06/05/2026", ""]
    tabs = {"concretizations": DONE, "unit_reports": APRIL, "tasks": [row, done]}
    ident = task_id("QLXD", "Niêm yết TTHC kèm mã QR")

    def task_keys(as_of: date, code: str = "QLXD") -> list[str]:
        return [k for k in owed(plan, as_of, **tabs).get(code, []) if k.startswith("task")]

    assert task_keys(date(2026, 5, 7)) == []
    assert task_keys(date(2026, 5, 8)) == [f"task-soon:{ident}:2026-05-13"]
    assert task_keys(date(2026, 5, 13)) == [f"task-soon:{ident}:2026-05-13"]  # due today
    assert task_keys(date(2026, 5, 14)) == [f"task-overdue:{ident}:2026-05-13:0"]
    assert task_keys(date(2026, 5, 21)) == [f"task-overdue:{ident}:2026-05-13:1"]
    assert task_keys(date(2026, 5, 8), "VP") == task_keys(date(2026, 5, 14), "VP") == []  # done


def test_a_task_reminder_says_what_and_when(plan):
    row = ["TTR", "Hội nghị kỷ cương hành chính", "", "30/04/2026", "Chánh Thanh tra", "Hội nghị",
           "Giám đốc Sở", "", ""]  # fmt: skip
    records, _ = normalize(book(tasks=[row]), plan, date(2026, 5, 4))
    (ttr,) = [r for r in due_reminders(records, plan, date(2026, 5, 4)) if r.code == "TTR"]
    (item,) = [i for i in ttr.items if i.key.startswith("task")]
    assert item.overdue
    assert item.text == (
        "Nhiệm vụ “Hội nghị kỷ cương hành chính” quá hạn (hạn 30/04/2026) chưa hoàn thành."
    )
