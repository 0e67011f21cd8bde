"""What the Office sees of a run in the Prefect UI: a markdown summary and tables."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pandas as pd
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from tasks.compile import CompiledReport
from tasks.mail import SendResult
from tasks.models import Problem, Records
from tasks.outbox import read_send_log
from tasks.posted import posted_problems, qr_cards, without_link
from tasks.reminders import UnitReminder
from tasks.verify import Findings

if TYPE_CHECKING:  # not imported at run time: every flow imports this module
    from tasks.apology_slips import Slip
    from tasks.evidence import Evidence


def _key(text: str) -> str:
    # Artifact keys allow lowercase letters, digits and dashes only.
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower()).strip("-")


class Progress:
    """A progress bar in the UI while a long run works (the 100k-row sheets take a while)."""

    def __init__(self, description: str) -> None:
        created = create_progress_artifact(progress=0.0, description=description)
        assert isinstance(created, UUID)  # sync context: prefect 3.9 types it as maybe-awaitable
        self._id = created

    def __call__(self, percent: float) -> None:
        update_progress_artifact(artifact_id=self._id, progress=percent)


def problems_table(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {
            "Tab": p.tab,
            "Dòng": p.row if p.row is not None else "",
            "Cột": p.column or "",
            "Giá trị": p.value,
            "Lỗi": p.message,
        }
        for p in problems
    ]


def publish_problems(problems: list[Problem], key: str) -> None:
    create_table_artifact(
        key=_key(f"loi-du-lieu-{key}"),
        table=problems_table(problems) or [{"Kết quả": "Không có lỗi dữ liệu"}],
        description=f"Lỗi dữ liệu trong bảng tính ({len(problems)} lỗi)",
    )


def units_table(findings: Findings) -> list[dict[str, Any]]:
    """One row per unit: its products and every rule's columns."""
    columns = findings.unit_columns
    return [
        {
            "Mã": u.code,
            "Đơn vị": u.name,
            "Tin bài": u.products,
            **dict(zip(columns, findings.unit_cells(u.code), strict=True)),
        }
        for u in findings.units
    ]


def publish_report(findings: Findings, files: dict[str, str], mail_line: str) -> None:
    """Markdown summary (each rule's clause and verdict), units table and problems table."""
    period = findings.period
    lines = [
        f"# Báo cáo tuyên truyền CCHC {period.label}",
        f"Kỳ: {findings.window.start:%d/%m/%Y} - {findings.window.end:%d/%m/%Y}; "
        f"số liệu đến ngày {findings.as_of:%d/%m/%Y}.",
        "",
        f"- Tổng số tin, bài, sản phẩm: **{len(findings.products)}** "
        f"({len(findings.units)} đơn vị)",
        *(f"- {o.title}: {o.verdict}  \n  _Kế hoạch: {o.clause}_" for o in findings.outcomes),
        f"- Lỗi dữ liệu: {len(findings.problems)}",
        f"- Thư: {mail_line}",
        "",
        "## Tệp kết quả",
        *(f"- {name}: `{path}`" for name, path in files.items()),
    ]
    create_markdown_artifact(
        key=_key(f"tom-tat-{period.key}"),
        markdown="\n".join(lines),
        description=f"Tóm tắt báo cáo {period.label}",
    )
    create_table_artifact(
        key=_key(f"don-vi-{period.key}"),
        table=units_table(findings),
        description=f"Đơn vị và tình trạng, {period.label}",
    )
    publish_problems(findings.problems + findings.backdated, period.key)


MAIL_OUTCOME = {
    "sent": "đã gửi qua máy chủ thư",
    "outbox": "đã ghi vào hộp thư đi (chưa gửi)",
    "duplicate": "không gửi lại (nội dung giống lần trước)",
}


def publish_send_log(output_dir: Path, keys: tuple[str, ...], period: str) -> None:
    """The send log's entries for this run's e-mails: every attempt, sent or not, and when."""
    entries = [e for e in read_send_log(output_dir) if e.get("key") in keys]
    create_table_artifact(
        key=_key(f"thu-{period}"),
        table=[
            {
                "Thời gian": e.get("at", ""),
                "Kết quả": e.get("status", ""),
                "Người nhận": ", ".join(e.get("recipients", [])),
                "Mã thư (Message-ID)": e.get("message_id") or "",
                "Lỗi": e.get("error", ""),
            }
            for e in entries
        ]
        or [{"Kết quả": "Chưa có thư nào"}],
        description=f"Nhật ký gửi thư báo cáo {period} (var/send-log.jsonl)",
    )


def report_outcome(
    findings: Findings,
    report: CompiledReport,
    snapshot: Path,
    sent: SendResult,
    office_sent: SendResult,
    wrote_back: bool,
    output_dir: Path,
) -> dict[str, Any]:
    """Publish the run's artifacts and return what the CLI prints: files, figures, mail."""
    files = {
        "Báo cáo": str(report.document_path),
        "Phần lồng ghép báo cáo CCHC": str(report.section_path),
        "Kết quả (JSON)": str(report.result_path),
        "Ảnh chụp dữ liệu": str(snapshot),
    }
    if sent.path:
        files["Thư (hộp thư đi)"] = str(sent.path)
    if office_sent.path:
        files["Thư Văn phòng (hộp thư đi)"] = str(office_sent.path)
    mail_line = (
        f"Lãnh đạo Sở: {MAIL_OUTCOME[sent.status]}; "
        f"Văn phòng Sở (kèm lỗi dữ liệu): {MAIL_OUTCOME[office_sent.status]}"
    )
    publish_report(findings, files, mail_line)
    publish_send_log(output_dir, (sent.key, office_sent.key), findings.period.key)
    return {
        "period": findings.period.key,
        "label": findings.period.label,
        "files": files,
        "mail": MAIL_OUTCOME[sent.status],
        "office_mail": MAIL_OUTCOME[office_sent.status],
        "wrote_back": wrote_back,
        "figures": report.context["summary"],
        "rules": [f"{o.title}: {o.verdict}" for o in findings.outcomes],
    }


def publish_reminders(
    reminded: list[UnitReminder],
    no_email: list[UnitReminder],
    day: str,
    failed: dict[str, str] | None = None,
) -> None:
    """Who was reminded of what today, and who could not be (no e-mail in the roster, or the
    mail server refused the address: ``failed``, unit code -> reason)."""
    failed = failed or {}

    def status(r: UnitReminder) -> str:
        if r.code in failed:
            return f"{', '.join(r.emails)} - KHÔNG GỬI ĐƯỢC: {failed[r.code]}"
        return ", ".join(r.emails) or "(chưa có email - chưa nhắc được)"

    table = [
        {"Đơn vị": r.name, "Email": status(r), "Nội dung nhắc": "; ".join(i.text for i in r.items)}
        for r in reminded + no_email
    ]
    create_table_artifact(
        key="nhac-viec",
        table=table or [{"Kết quả": f"Ngày {day} không có đơn vị nào cần nhắc"}],
        description=f"Nhắc việc ngày {day}",
    )


def qr_sheet_outcome(
    records: Records, problems: list[Problem], docx: Path, pdf: Path | None, no_pdf: str
) -> dict[str, Any]:
    """Publish the QR-code sheet run's artifacts (a summary, every posted procedure with its
    card, the tab's data problems) and return what the CLI prints."""
    cards = qr_cards(records)
    missing = without_link(records)
    bad = posted_problems(problems, records)
    files = {"Phiếu mã QR (Word)": str(docx)}
    if pdf is not None:
        files["Phiếu mã QR (PDF)"] = str(pdf)
    card_of = {c["row"]: c["stt"] for c in cards}
    table = [
        {
            "Dòng": row,
            "Mã thủ tục": code,
            "Tên thủ tục": name,
            "Nơi niêm yết": place,
            "Ngày niêm yết": "" if day is None or pd.isna(day) else f"{day:%d/%m/%Y}",
            "Mã QR": f"Thẻ {card_of[row]}/{len(cards)}" if row in card_of else "Chưa có đường dẫn",
            "Đường dẫn": link,
        }
        for row, code, name, place, day, link in records.posted_procedures[
            ["row", "code", "name", "place", "date", "link"]
        ].itertuples(index=False)
    ]
    lines = [
        "# Phiếu mã QR tra cứu thủ tục hành chính niêm yết",
        f"- Số thẻ mã QR: **{len(cards)}** (mỗi thủ tục tại mỗi nơi niêm yết một thẻ)",
        f"- Thủ tục chưa có đường dẫn (chưa in được mã QR): {len(missing)}",
        f"- Lỗi dữ liệu trong tab: {len(bad)} (các dòng đó chưa được in)",
        *([f"- Chưa có PDF: {no_pdf}"] if no_pdf else []),
        "",
        "## Tệp kết quả",
        *(f"- {name}: `{path}`" for name, path in files.items()),
    ]
    create_markdown_artifact(
        key="ma-qr-tom-tat", markdown="\n".join(lines), description="Phiếu mã QR thủ tục niêm yết"
    )
    create_table_artifact(
        key="ma-qr-thu-tuc",
        table=table or [{"Kết quả": "Tab 'Thủ tục niêm yết' chưa có thủ tục nào"}],
        description=f"Thủ tục niêm yết ({len(table)} dòng, {len(cards)} thẻ mã QR)",
    )
    publish_problems(bad, "ma-qr")
    return {
        "files": files,
        "cards": len(cards),
        "without_link": missing,
        "problems": [p.to_json() for p in bad],
        "no_pdf": no_pdf,
    }


def publish_slips(made: list[tuple[Slip, Path]], day: date) -> None:
    """The apology slips made today, one row each."""
    create_table_artifact(
        key="phieu-xin-loi",
        table=[
            {"Mã hồ sơ": s.code, "Đơn vị": s.unit_name, "Hẹn trả": f"{s.due:%d/%m/%Y}",
             "Tệp": str(path)}
            for s, path in made
        ]
        or [{"Kết quả": f"Ngày {day:%d/%m/%Y} không có hồ sơ nào cần lập phiếu xin lỗi"}],
        description=f"Phiếu xin lỗi lập ngày {day:%d/%m/%Y}",
    )  # fmt: skip


def publish_evidence(items: list[Evidence], archive: Path, year: int) -> dict[str, int]:
    """The evidence pack's summary: items per criterion (the months of the website together)
    and the links by state; returns the latter."""
    criteria = Counter(i.criterion.split(", tháng")[0] for i in items)
    states = Counter(i.state.split(" (")[0] for i in items if i.state)
    create_markdown_artifact(
        key=f"tai-lieu-kiem-chung-{year}",
        markdown="\n".join(
            [f"# Tài liệu kiểm chứng năm {year}", "", f"Tệp: `{archive}`", ""]
            + [f"- {c}: {n} mục" for c, n in criteria.items()]
            + ["", "Đường dẫn: " + (", ".join(f"{s} {n}" for s, n in states.items()) or "không có")]
        ),
        description=f"Bộ tài liệu kiểm chứng năm {year}",
    )
    return dict(states)
