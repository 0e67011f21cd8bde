"""Everything that leaves the run: result files, the report e-mail, the ``Tổng hợp`` write-back.

Messages are composed here from editable Jinja templates (templates/email/); the transport
(yagmail, outbox, never-twice log) is tasks.mail, with tasks.mail_message and tasks.outbox.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from tasks.compile import CompiledReport
from tasks.dates import format_vn
from tasks.errors import DeliveryError, OutputError, SourceError
from tasks.mail import SendResult, deliver_mail
from tasks.mail_message import OutgoingMail, Recipient
from tasks.models import Problem
from tasks.outbox import append_json_lines
from tasks.plan import Plan
from tasks.reminders import UnitReminder
from tasks.settings import REPO_ROOT, Settings
from tasks.stage import stage_task
from tasks.storage import Storage
from tasks.verify import Findings

logger = logging.getLogger(__name__)

EMAIL_TEMPLATES = REPO_ROOT / "templates" / "email"
_SAFE_FOLDER = re.compile(r"^[0-9A-Za-z-]+$")


def period_folder(output_dir: Path, period_key: str) -> Path:
    """``<output>/<period>``; the key is checked so that it cannot escape the output folder."""
    if not _SAFE_FOLDER.match(period_key):
        raise OutputError(f"Tên kỳ báo cáo '{period_key}' không hợp lệ để làm tên thư mục.")
    return output_dir / period_key


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(EMAIL_TEMPLATES),
        autoescape=autoescape,  # HTML: every value from the sheet is escaped
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_mail(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """(text, html) bodies from ``templates/email/<name>.txt.j2`` and ``<name>.html.j2``."""
    text = _environment(False).get_template(f"{name}.txt.j2").render(context)
    html = _environment(True).get_template(f"{name}.html.j2").render(context)
    return text, html


def unit_issues(findings: Findings) -> list[dict[str, str]]:
    """Units that fall short of any rule, each with a one-line Vietnamese list of why."""
    return [
        {"code": unit.code, "name": unit.name, "issues": "; ".join(issues)}
        for unit, issues in findings.units_behind()
    ]


def report_subject(findings: Findings) -> str:
    return f"Báo cáo kết quả thông tin, tuyên truyền CCHC {findings.period.label}"


def attachment_name(findings: Findings) -> str:
    """``Báo cáo tuyên truyền CCHC tháng 5-2026.docx``: readable in the leaders' mail client
    (the file on disk keeps an ASCII name; mail_message.py encodes this one per RFC 2231)."""
    return f"Báo cáo tuyên truyền CCHC {findings.period.label.replace('/', '-')}.docx"


def compose_report_mail(findings: Findings, plan: Plan, report: CompiledReport) -> OutgoingMail:
    """The report e-mail to the leadership (cc the Office), with the .docx attached."""
    leaders = plan.recipients.leadership
    greeting = ", ".join(p.name for p in leaders) or "Lãnh đạo Sở"
    text, html = render_mail(
        "bao-cao", {**report.context, "greeting": greeting, "behind": unit_issues(findings)}
    )
    return OutgoingMail(
        key=f"report:{findings.period.key}",
        to=[Recipient(p.email, p.name) for p in leaders],
        cc=[Recipient(p.email, p.name) for p in plan.recipients.cc],
        subject=report_subject(findings),
        text=text,
        html=html,
        content_hash=report.content_hash,
        attachments=[(report.document_path, attachment_name(findings))],
    )


MAX_LISTED_PROBLEMS = 200  # in the Office's e-mail; the full list is in Tổng hợp and cchc check


def _problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {
            "where": p.where(),
            "tab": p.tab,
            "row": p.row or "",
            "column": p.column or "",
            "value": p.value,
            "message": p.message,
        }
        for p in problems
    ]


def section_attachment_name(findings: Findings) -> str:
    return f"Lồng ghép báo cáo CCHC {findings.period.label.replace('/', '-')}.docx"


def compose_office_mail(findings: Findings, plan: Plan, report: CompiledReport) -> OutgoingMail:
    """The Office's copy: the same figures, the data problems the report leaves out (DESIGN §5:
    they are internal) and the part for the Department's CCHC report, both documents attached."""
    office = plan.recipients.office
    section_name = section_attachment_name(findings)
    text, html = render_mail(
        "bao-cao-van-phong",
        {
            **report.context,
            "office": office,
            "behind": unit_issues(findings),
            "problems": _problem_rows(findings.problems[:MAX_LISTED_PROBLEMS]),
            "backdated": _problem_rows(findings.backdated),
            "section_name": section_name,
        },
    )
    return OutgoingMail(
        key=f"report-office:{findings.period.key}",
        to=[Recipient(office.email, office.name)],
        cc=[],
        subject=f"[Văn phòng] {report_subject(findings)} - kèm lỗi dữ liệu cần sửa",
        text=text,
        html=html,
        content_hash=report.content_hash,
        attachments=[
            (report.document_path, attachment_name(findings)),
            (report.section_path, section_name),
        ],
    )


def send_mail(
    mail: OutgoingMail, settings: Settings, send: bool, force: bool = False
) -> SendResult:
    """Send (``send``) or only write to the outbox; SMTP is used only when both are set."""
    if not send:
        settings = settings.model_copy(update={"smtp_host": None})
    return deliver_mail(
        mail, settings, settings.output_dir, force=force, retries=settings.smtp_retries
    )


REMINDED_LOG = "nhac-viec.jsonl"
# "duplicate": the send log says it went out already (a retried run) -- delivered all the same.
DELIVERED = ("sent", "duplicate")


def already_reminded(settings: Settings) -> set[tuple[str, str]]:
    """(unit code, item key) pairs reminded before, by any worker: each item is reminded once."""
    path = settings.output_dir / REMINDED_LOG
    Storage.of(settings).fetch(path)
    if not path.exists():
        return set()
    done: set[tuple[str, str]] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line) if line.strip() else None
            if entry is not None:
                done.add((entry["unit"], entry["item"]))
        except (ValueError, KeyError, TypeError):
            # A line torn by a kill or a full disk: that one item is reminded again, no more.
            logger.warning("Bỏ qua dòng hỏng trong %s: %s", path, line[:80])
    return done


def record_reminded(settings: Settings, unit: str, keys: list[str], when: date) -> None:
    path = settings.output_dir / REMINDED_LOG
    entries = [{"unit": unit, "item": key, "date": when.isoformat()} for key in keys]
    try:
        with Storage.of(settings).exclusive(path):
            append_json_lines(path, entries)
    except OSError as err:
        raise OutputError(f"Không ghi được nhật ký nhắc việc {path}: {err.strerror}") from err


def sheet_link(source: str) -> str:
    """The shared sheet's address for a reminder, when the source is a Google Sheet."""
    return source if source.startswith("https://docs.google.com/") else ""


def compose_reminder(
    reminder: UnitReminder, plan: Plan, as_of: date, sheet_url: str = ""
) -> OutgoingMail:
    """One e-mail to a unit listing everything it owes today, with where to record it and
    whom to ask."""
    context = {
        "unit": reminder,
        "as_of": format_vn(as_of),
        "plan_title": plan.plan.title,
        "sheet_url": sheet_url,
        "office": plan.recipients.office,
    }
    text, html = render_mail("nhac-viec", context)
    keys = "|".join(item.key for item in reminder.items)
    return OutgoingMail(
        key=f"remind:{reminder.code}:{as_of.isoformat()}",
        to=[Recipient(address, reminder.name) for address in reminder.emails],
        cc=[],
        subject=f"Nhắc việc tuyên truyền CCHC ngày {format_vn(as_of)} - {reminder.name}",
        text=text,
        html=html,
        content_hash=hashlib.sha256(keys.encode("utf-8")).hexdigest()[:16],
    )


def compose_reminder_summary(
    reminded: list[UnitReminder],
    no_email: list[UnitReminder],
    plan: Plan,
    as_of: date,
    failed: dict[str, str] | None = None,
) -> OutgoingMail:
    """The Office's copy: who was reminded of what, and who could not be (no e-mail address,
    or ``failed``: unit code -> why its e-mail was refused)."""
    failed = failed or {}

    def rows(reminders: list[UnitReminder]) -> list[dict[str, Any]]:
        # "owed", not "items": in a Jinja template r.items is the dict's own method.
        return [
            {
                "name": r.name,
                "emails": ", ".join(r.emails),
                "failed": failed.get(r.code, ""),
                "owed": [{"text": i.text, "overdue": i.overdue} for i in r.items],
            }
            for r in reminders
        ]

    overdue = sum(i.overdue for r in [*reminded, *no_email] for i in r.items)
    context = {
        "as_of": format_vn(as_of),
        "reminded": rows(reminded),
        "no_email": rows(no_email),
        "overdue": overdue,
    }
    text, html = render_mail("tong-hop-nhac-viec", context)
    office = plan.recipients.office
    return OutgoingMail(
        key=f"remind-summary:{as_of.isoformat()}",
        to=[Recipient(office.email, office.name)],
        cc=[],
        subject=f"Tổng hợp nhắc việc tuyên truyền CCHC ngày {format_vn(as_of)}",
        text=text,
        html=html,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    )


def really_sent(result: SendResult, settings: Settings, send: bool) -> bool:
    """Sent through SMTP now or by an earlier run; an e-mail left in the outbox is a preview."""
    return send and settings.sends_mail and result.status in DELIVERED


def send_reminders(
    owed: list[UnitReminder],
    plan: Plan,
    settings: Settings,
    as_of: date,
    send: bool,
    force: bool = False,
) -> tuple[list[UnitReminder], list[UnitReminder], dict[str, str]]:
    """E-mail each unit the items it was not reminded of before, then the Office a summary.

    Items count as reminded only once really sent through SMTP: a preview run, or a trial with
    ``send`` but no mail server yet (the outbox), never uses them up. A unit whose e-mail is
    refused (a mistyped address: SMTP 550) does not stop the others: it is logged, named in the
    Office's summary and reminded again on the next run. Returns (reminded, units without an e-mail
    address, {unit code: why its e-mail could not be sent}).
    """
    done = set() if force else already_reminded(settings)
    reminded, no_email, failed = [], [], {}
    if send and not settings.sends_mail:
        logger.warning(
            "Chưa cấu hình máy chủ thư (CCHC_SMTP_HOST): thư nhắc việc chỉ được ghi vào hộp thư "
            "đi (outbox) để xem trước, chưa tính là đã nhắc; khi có máy chủ thư, các việc này "
            "sẽ được nhắc thật."
        )
    for reminder in owed:
        reminder.items = [i for i in reminder.items if (reminder.code, i.key) not in done]
        if not reminder.items:
            continue
        if not reminder.emails:
            no_email.append(reminder)
            continue
        mail = compose_reminder(reminder, plan, as_of, sheet_link(settings.source))
        try:
            result = send_mail(mail, settings, send, force)
        except DeliveryError as err:
            logger.warning("Không gửi được thư nhắc việc cho %s: %s", reminder.code, err)
            failed[reminder.code] = str(err)
            no_email.append(reminder)  # the Office contacts the unit itself
            continue
        if really_sent(result, settings, send):
            keys = [i.key for i in reminder.items]
            record_reminded(settings, reminder.code, keys, as_of)
        reminded.append(reminder)
    if reminded or no_email:
        summary = compose_reminder_summary(reminded, no_email, plan, as_of, failed)
        result = send_mail(summary, settings, send, force)
        if really_sent(result, settings, send):
            # The Office now knows about the units it must contact itself: tell it once. Units
            # whose e-mail failed are not marked: their reminder is tried again next time.
            for reminder in no_email:
                if reminder.code in failed:
                    continue
                keys = [i.key for i in reminder.items]
                record_reminded(settings, reminder.code, keys, as_of)
    return reminded, no_email, failed


def write_back(
    settings: Settings, rows: list[list[Any]], metadata: dict[str, Any] | None = None
) -> bool:
    """Write the ``Tổng hợp`` tab when the source is a Google Sheet; False for a workbook.
    ``metadata``: the spreadsheet metadata of the run's read, so no second metadata request."""
    # gspread loads slowly; only needed for a Google source.
    from tasks.sheets import write_summary
    from tasks.sheets_api import parse_sheet_key

    key = parse_sheet_key(settings.source)
    if key is None:
        return False
    try:
        write_summary(settings, key, rows, metadata=metadata)
    except SourceError as err:
        # The last step of a report run: say that everything before it is done and kept.
        raise SourceError(
            f"Chưa ghi được tab 'Tổng hợp' vào Google Sheet: {err} Tab này vẫn giữ số liệu lần "
            "ghi trước; báo cáo, ket-qua.json và thư của lần chạy này vẫn được giữ; lần chạy sau "
            "sẽ ghi lại tab này (thư đã gửi không bị gửi lại nếu số liệu không đổi)."
        ) from err
    return True


send_mail_task = stage_task("Gửi thư")(send_mail)
write_back_task = stage_task("Ghi tab Tổng hợp")(write_back)
send_reminders_task = stage_task("Gửi nhắc việc")(send_reminders)
