"""The rule registry: a new rule is one module and one plan-file entry, and it shows in every
output; a rule the plan file leaves out is off everywhere."""

from datetime import date

import docx
import pytest

from tasks import rules
from tasks.artifacts import units_table
from tasks.calendar import parse_period
from tasks.compile import compile_report, summary_rows
from tasks.deliver import compose_reminder, compose_report_mail
from tasks.document import DEFAULT_TEMPLATE
from tasks.normalize import normalize
from tasks.plan import load_plan
from tasks.reminders import due_reminders
from tasks.rules.base import MET_TEXT, Item, Outcome, Rule, RuleSettings, Scope, UnitVerdict
from tasks.verify import verify
from tests.builders import book, product, without_rule

AS_OF = date(2026, 6, 5)
MAY = parse_period("2026-05")


class VideoSettings(RuleSettings):
    per_unit: int = 1


class VideoRule(Rule):
    """A made-up rule: every unit makes at least N videos in the period."""

    key = "video"
    title = "Video tuyên truyền của đơn vị"
    settings_model = VideoSettings

    def assess(self, scope: Scope, settings: VideoSettings) -> Outcome:
        products = scope.records.products
        videos = products[products["kind"] == "video"].groupby("unit").size()
        short = [c for c in scope.units["code"] if videos.get(c, 0) < settings.per_unit]
        outcome = self.outcome(settings, f"{len(short)} đơn vị thiếu video-kiểm-thử.", not short)
        outcome.columns = ("Video",)
        outcome.units = {
            code: UnitVerdict(
                cells=(f"{int(videos.get(code, 0))} video",),
                behind="thiếu video-kiểm-thử" if code in short else "",
                data={"videos": int(videos.get(code, 0))},
            )
            for code in scope.units["code"]
        }
        outcome.shortcomings = [f"Đơn vị thiếu video-kiểm-thử: {'; '.join(short)}."]
        outcome.data = {"video": {"short": short}}
        outcome.context = {"short": len(short)}
        return outcome

    def owed(self, scope: Scope, settings: VideoSettings) -> dict[str, list[Item]]:
        return {code: [Item("video:2026", "Làm video-kiểm-thử.")] for code in scope.units["code"]}


@pytest.fixture
def video_plan(plan_file, monkeypatch):
    monkeypatch.setitem(rules.REGISTRY, "video", VideoRule())
    text = plan_file.read_text(encoding="utf-8")
    entry = '  video:\n    clause: "Mỗi đơn vị có video-câu-kế-hoạch."\n    per_unit: 1\n'
    plan_file.write_text(text.replace("rules:\n", "rules:\n" + entry), encoding="utf-8")
    return load_plan(plan_file)


def sample_findings(plan, as_of=AS_OF):
    tabs = {
        "products": [product("20/04/2026", "VP", kind="Video", title="v")],
        "concretizations": [["VP", "10/05/2026"]],
    }
    records, problems = normalize(book(**tabs), plan, as_of)
    return verify(records, plan, MAY, as_of, problems)


def test_a_registered_rule_shows_in_every_output(video_plan, tmp_path):
    findings = sample_findings(video_plan)
    outcome = findings.outcome("video")
    assert outcome is not None and outcome.clause == "Mỗi đơn vị có video-câu-kế-hoạch."

    # ket-qua.json: its verdict, its unit fields, its own section
    report = compile_report(findings, video_plan, tmp_path, DEFAULT_TEMPLATE)
    result = report.result
    assert {"key": "video", "met": False}.items() <= result["rules"][-1].items()
    assert [u["videos"] for u in result["units"]] == [1, 0, 0]
    assert result["video"] == {"short": ["QLXD", "TTR"]}

    # the report: the requirements table, the units table's column, the shortcomings
    document = docx.Document(str(report.document_path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Mỗi đơn vị có video-câu-kế-hoạch." in cells
    assert "2 đơn vị thiếu video-kiểm-thử." in cells
    assert "Video" in cells and "1 video" in cells
    texts = [p.text for p in document.paragraphs]
    assert "- Đơn vị thiếu video-kiểm-thử: QLXD; TTR." in texts

    # the e-mail to the leadership: its verdict and the units it leaves behind
    body = compose_report_mail(findings, video_plan, report).text
    assert "- Video tuyên truyền của đơn vị: 2 đơn vị thiếu video-kiểm-thử." in body
    assert "Thanh tra Sở: " in body and "thiếu video-kiểm-thử." in body

    # Tổng hợp and the artifacts' units table
    rows = summary_rows(findings, "2026-06-05T08:00:00+07:00")
    assert rows[1][-1] == "Video" and rows[2][-1] == "1 video"
    assert units_table(findings)[1]["Video"] == "0 video"

    # reminders
    records, _ = normalize(book(), video_plan, AS_OF)
    owed = due_reminders(records, video_plan, AS_OF)
    assert len(owed) == 3  # every active unit owes the made-up rule's item
    assert all(any(i.key == "video:2026" for i in r.items) for r in owed)
    reminder = compose_reminder(owed[0], video_plan, AS_OF)
    assert "Làm video-kiểm-thử." in reminder.text


def test_a_rule_left_out_of_the_plan_file_is_off(plan, tmp_path):
    off = without_rule(plan, "concretization")
    findings = sample_findings(off, as_of=date(2026, 5, 20))
    assert findings.outcome("concretization") is None
    report = compile_report(findings, off, tmp_path, DEFAULT_TEMPLATE)
    assert "concretization" not in report.result["units"][0]
    assert [r["key"] for r in report.result["rules"]] == [
        "website", "unit_quota", "unit_reports", "apologies", "tasks",
    ]  # fmt: skip
    assert "Cụ thể hóa" not in findings.unit_columns
    text = "\n".join(p.text for p in docx.Document(str(report.document_path)).paragraphs)
    assert "Cụ thể hóa nội dung tuyên truyền" not in text
    # the template numbers its sections: no gap where the rule's section was
    assert "2. Sản phẩm tuyên truyền" in text and "3. Chỉ tiêu tin, bài" in text
    # nobody is reminded of it (on 20/5 TTR is overdue under the full plan)
    records, _ = normalize(book(), off, date(2026, 5, 20))
    keys = [i.key for r in due_reminders(records, off, date(2026, 5, 20)) for i in r.items]
    assert keys and not any(k.startswith("concretization") for k in keys)
    records, _ = normalize(book(), plan, date(2026, 5, 20))
    keys = [i.key for r in due_reminders(records, plan, date(2026, 5, 20)) for i in r.items]
    assert any(k.startswith("concretization") for k in keys)


def test_an_unknown_rule_in_the_plan_file_is_named(plan_file):
    from tasks.errors import PlanError

    text = plan_file.read_text(encoding="utf-8")
    plan_file.write_text(text.replace("rules:\n", "rules:\n  video: {clause: x}\n"), "utf-8")
    with pytest.raises(PlanError, match="rules.video: không có quy tắc này"):
        load_plan(plan_file)


def test_status_words_live_in_one_place():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "tasks"
    for path in root.rglob("*.py"):
        if path.name == "base.py" and path.parent.name == "rules":
            continue
        code = path.read_text(encoding="utf-8")
        for word in ('"Đúng hạn"', '"Trễ hạn"', '"Chưa đạt"', '"Đạt"'):
            assert word not in code, f"{path.name} spells {word}: use tasks.rules.base"
    assert MET_TEXT == {True: "Đạt", False: "Chưa đạt"}
