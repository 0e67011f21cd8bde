"""The "06 rõ" task list (plan I.2): tab `Nhiệm vụ`, its problem records, the `tasks` rule and
its report section, on hand-made books."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from tasks.calendar import parse_period
from tasks.compile import build_result, report_context
from tasks.contract import TASKS
from tasks.document import DEFAULT_TEMPLATE, render_report
from tasks.normalize import normalize
from tasks.verify import verify
from tests.builders import book, unit_result, without_rule

AS_OF = date(2026, 6, 5)  # the May report (window 15/4 - 14/5) made on 5/6
MAY = parse_period("2026-05")


def task(
    unit: str = "QLXD",
    name: Any = "Biên soạn tờ gấp hướng dẫn cấp phép xây dựng",
    assignee: Any = "Trần Thị Bình",
    due: Any = "08/05/2026",
    responsible: Any = "Trưởng phòng Quản lý xây dựng",
    product: Any = "Tờ gấp (500 bản)",
    authority: Any = "Giám đốc Sở",
    done: Any = "",
    link: Any = "",
) -> list[Any]:
    return [unit, name, assignee, due, responsible, product, authority, done, link]


# May's window ends Thu 14/5. Due in it: 4 tasks, 2 done (one after its deadline), 2 not done.
MAY_TASKS = [
    task("VP", "Đăng tin CCHC tháng 5", due="05/05/2026", done="04/05/2026"),
    task("QLXD", "Tờ gấp cấp phép", due="08/05/2026", done="12/05/2026"),  # done late
    task("QLXD", "Niêm yết TTHC kèm mã QR", due="13/05/2026"),  # overdue
    task("TTR", "Hội nghị kỷ cương hành chính", due="30/04/2026"),  # overdue
    task("TTR", "Báo cáo tổng kết", due="20/05/2026"),  # after the window: not due in May
    task("VP", "Tài liệu kiểm chứng", due=""),  # no deadline: never due
]


def tasks_outcome(plan, tasks: list[list[Any]], as_of: date = AS_OF, period=MAY):
    records, problems = normalize(book(tasks=tasks), plan, as_of)
    findings = verify(records, plan, period, as_of, problems)
    return findings, findings.outcome("tasks")


# ------------------------------------------------------------------------------------ parsing


def test_each_missing_rõ_is_a_problem_naming_it_and_the_task_is_kept(plan):
    rows = [
        task(),  # every "rõ": no problem
        task(assignee="", authority="  "),
        task(name="", due="", product=None, responsible=""),
    ]
    records, problems = normalize(book(tasks=rows), plan, AS_OF)
    assert len(records.tasks) == 3  # nothing is lost
    found = {(p.row, p.column): p for p in problems}
    assert set(found) == {
        (3, "Người thực hiện"),
        (3, "Cấp có thẩm quyền"),
        (4, "Nhiệm vụ"),
        (4, "Hạn hoàn thành"),
        (4, "Người chịu trách nhiệm"),
        (4, "Sản phẩm"),
    }
    assert all(p.tab == TASKS.title for p in problems)
    assert found[(3, "Người thực hiện")].message == (
        "Nhiệm vụ chưa rõ người: thiếu Người thực hiện."
    )
    assert "tab 'Nhiệm vụ', dòng 4, cột 'Hạn hoàn thành': Nhiệm vụ chưa rõ thời gian" in (
        found[(4, "Hạn hoàn thành")].describe()
    )
    assert "chưa rõ việc" in found[(4, "Nhiệm vụ")].message
    assert "chưa rõ thẩm quyền" in found[(3, "Cấp có thẩm quyền")].message
    assert records.tasks["unclear"].tolist() == [
        [],
        ["rõ người", "rõ thẩm quyền"],
        ["rõ việc", "rõ thời gian", "rõ trách nhiệm", "rõ sản phẩm"],
    ]


def test_bad_cells_of_a_task_are_problems_and_leave_the_row_out(plan):
    rows = [
        task(unit="KHONGCO"),  # not in the roster
        task(due="31/02/2026"),  # no such day
        task(done="10/06/2026"),  # done after the day the data was read
        task(link="sxd.daklak.gov.vn/tin"),  # not http(s)
        task(due="30/06/2026", link="https://sxd.daklak.gov.vn/tin-1.html"),  # a deadline ahead
    ]
    records, problems = normalize(book(tasks=rows), plan, AS_OF)
    assert records.tasks["row"].tolist() == [6]
    assert records.tasks["due"].tolist() == [date(2026, 6, 30)]
    assert sorted((p.row, p.column) for p in problems) == [
        (2, "Đơn vị"),
        (3, "Hạn hoàn thành"),
        (4, "Ngày hoàn thành"),
        (5, "Đường dẫn sản phẩm"),
    ]


def test_the_tab_is_optional(plan):
    raw = book()
    del raw.tabs[TASKS.title]
    records, problems = normalize(raw, plan, AS_OF)
    assert records.tasks.empty and not problems
    outcome = verify(records, plan, MAY, AS_OF, problems).outcome("tasks")
    assert outcome is not None and outcome.met is None and outcome.columns == ()
    assert outcome.verdict == "Không có nhiệm vụ đến hạn trong kỳ."


# --------------------------------------------------------------------------------------- rule


def test_completion_rate_overdue_tasks_and_units(plan):
    findings, outcome = tasks_outcome(plan, MAY_TASKS)
    # Due by 14/5: VP 5/5 (done), QLXD 8/5 (done 12/5), QLXD 13/5, TTR 30/4 -> 2 of 4 done.
    assert outcome.context["due"] == 4
    assert outcome.context["done"] == 2
    assert outcome.context["done_late"] == 1
    assert outcome.context["rate"] == 50
    assert outcome.context["rate_text"] == "2/4 (50%)"
    assert outcome.context["overdue"] == 2
    assert outcome.context["unclear"] == 1 and outcome.context["total"] == 6
    assert [t["task"] for t in outcome.context["overdue_tasks"]] == [
        "Hội nghị kỷ cương hành chính",  # due 30/4 first
        "Niêm yết TTHC kèm mã QR",
    ]
    assert outcome.context["overdue_tasks"][0]["unit"] == "Thanh tra Sở"
    assert outcome.met is False
    assert outcome.verdict.startswith(
        "2/4 nhiệm vụ đến hạn đã hoàn thành (50%); 2 nhiệm vụ quá hạn chưa hoàn thành."
    )
    assert outcome.columns == ("Nhiệm vụ 06 rõ",)
    assert outcome.cells("VP") == ("1/1 hoàn thành",)
    assert outcome.cells("QLXD") == ("1/2 hoàn thành",)
    assert outcome.cells("TTR") == ("0/1 hoàn thành",)
    assert outcome.units["TTR"].behind == "1 nhiệm vụ quá hạn chưa hoàn thành"
    assert "1 nhiệm vụ quá hạn chưa hoàn thành" in findings.shortfalls("TTR")
    assert outcome.units["VP"].behind == ""
    overdue = next(s for s in outcome.shortcomings if "quá hạn" in s)
    assert overdue.startswith("Có 2/4 nhiệm vụ quá hạn chưa hoàn thành")
    assert "“Niêm yết TTHC kèm mã QR” (Phòng Quản lý xây dựng, hạn 13/05/2026)" in overdue
    assert any("chưa rõ thời gian: 1" in s for s in outcome.shortcomings)
    result = build_result(findings)
    assert result["tasks"]["done"] == 2 and result["tasks"]["overdue"] == 2
    assert unit_result(findings, "QLXD")["tasks_due"] == 2


def test_as_things_stood_on_an_earlier_day(plan):
    # On Mon 11/5, QLXD's 12/5 completion had not happened and 13/5 is not due yet: due by 11/5
    # are VP 5/5 (done), QLXD 8/5 (not done yet), TTR 30/4 (not done).
    records, problems = normalize(book(tasks=MAY_TASKS), plan, AS_OF)
    outcome = verify(records, plan, MAY, date(2026, 5, 11), problems).outcome("tasks")
    assert outcome is not None
    assert (outcome.context["due"], outcome.context["done"]) == (3, 1)
    assert outcome.context["overdue"] == 2


def test_every_due_task_done_is_met(plan):
    _, outcome = tasks_outcome(plan, [MAY_TASKS[0], MAY_TASKS[1]])
    assert outcome.met is True and outcome.context["rate"] == 100
    assert not any("quá hạn" in s for s in outcome.shortcomings)


def test_the_rule_is_off_when_left_out_of_the_plan_file(plan):
    records, problems = normalize(book(tasks=MAY_TASKS), plan, AS_OF)
    findings = verify(records, without_rule(plan, "tasks"), MAY, AS_OF, problems)
    assert findings.outcome("tasks") is None
    assert "Nhiệm vụ 06 rõ" not in findings.unit_columns


# ------------------------------------------------------------------------------------- report


def body_text(path: Path) -> str:
    doc = docx.Document(str(path))
    return "\n".join(
        "".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))
    )


def test_the_report_shows_the_completion_rate_and_the_overdue_tasks(plan, tmp_path):
    findings, _ = tasks_outcome(plan, MAY_TASKS)
    path = render_report(report_context(findings, plan), DEFAULT_TEMPLATE, tmp_path / "bc.docx")
    text = body_text(path)
    assert 'Thực hiện nhiệm vụ theo nguyên tắc "06 rõ"' in text
    assert "đã hoàn thành 2/4 nhiệm vụ có hạn hoàn thành đến hết kỳ báo cáo, đạt tỷ lệ 50%" in text
    assert "(1 nhiệm vụ hoàn thành sau hạn); 2 nhiệm vụ quá hạn chưa hoàn thành." in text
    assert "Có 1/6 nhiệm vụ chưa bảo đảm nguyên tắc" in text
    assert "Các nhiệm vụ quá hạn chưa hoàn thành:" in text
    doc = docx.Document(str(path))
    table = next(t for t in doc.tables if t.rows[0].cells[-1].text.strip() == "Hạn hoàn thành")
    rows = [[c.text.strip() for c in r.cells] for r in table.rows[1:]]
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("Hội nghị kỷ cương hành chính", "Thanh tra Sở", "30/04/2026"),
        ("Niêm yết TTHC kèm mã QR", "Phòng Quản lý xây dựng", "13/05/2026"),
    ]
    units = next(t for t in doc.tables if "Nhiệm vụ 06 rõ" in [c.text for c in t.rows[0].cells])
    assert any("1/2 hoàn thành" in [c.text for c in r.cells] for r in units.rows)


def test_the_report_leaves_the_section_out_when_the_rule_is_off(plan, tmp_path):
    off = without_rule(plan, "tasks")
    records, problems = normalize(book(tasks=MAY_TASKS), off, AS_OF)
    findings = verify(records, off, MAY, AS_OF, problems)
    path = render_report(report_context(findings, off), DEFAULT_TEMPLATE, tmp_path / "bc.docx")
    text = body_text(path)
    assert 'Thực hiện nhiệm vụ theo nguyên tắc "06 rõ"' not in text
    assert "Nhiệm vụ 06 rõ" not in text and "nhiệm vụ có hạn hoàn thành" not in text


# --------------------------------------------------------------------------------------- docs


@pytest.mark.parametrize(
    "doc, words",
    [
        ("docs/sheet.md", ["**Nhiệm vụ**", "Nhiệm vụ chưa rõ người: thiếu Người thực hiện"]),
        ("docs/plan.md", ['"06 rõ"', "`rules.tasks`"]),
        ("docs/templates.md", ["`tasks.rate`", "`tasks.overdue_tasks`", "Nhiệm vụ 06 rõ"]),
    ],
)
def test_documented(doc: str, words: list[str]):
    text = (Path(__file__).resolve().parents[1] / doc).read_text(encoding="utf-8")
    for word in words:
        assert word in text, (doc, word)
