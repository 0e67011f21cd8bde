"""Everything that leaves the run: result files, the report e-mail, the ``Tổng hợp`` write-back.

Messages are composed here from editable Jinja templates (templates/email/); the transport
(yagmail, outbox, never-twice log) is tasks.mail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.compile import STATUS_TEXT
from tasks.errors import OutputError
from tasks.mail import OutgoingMail, Recipient, SendResult, deliver_mail
from tasks.plan import Plan
from tasks.settings import REPO_ROOT, Settings
from tasks.verify import LATE, MISSING, Findings

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
    """Units behind, each with a one-line Vietnamese list of what is wrong."""
    out = []
    for unit in findings.units_behind():
        issues = []
        if not unit.quota_met:
            issues.append(f"chưa đạt chỉ tiêu tin, bài ({unit.products}/{unit.quota})")
        if unit.concretization.status in (LATE, MISSING):
            issues.append(f"cụ thể hóa: {STATUS_TEXT[unit.concretization.status].lower()}")
        if unit.unit_report.status in (LATE, MISSING):
            issues.append(f"báo cáo kỳ: {STATUS_TEXT[unit.unit_report.status].lower()}")
        out.append({"code": unit.code, "name": unit.name, "issues": "; ".join(issues)})
    return out


def report_subject(findings: Findings) -> str:
    return f"Báo cáo kết quả thông tin, tuyên truyền CCHC {findings.period.label}"


def compose_report_mail(
    findings: Findings,
    plan: Plan,
    context: dict[str, Any],
    document: Path,
    attachment_name: str,
    content_hash: str,
) -> OutgoingMail:
    """The report e-mail to the leadership (cc the Office), with the .docx attached."""
    leaders = plan.recipients.leadership
    greeting = ", ".join(p.name for p in leaders) or "Lãnh đạo Sở"
    text, html = render_mail(
        "bao-cao", {**context, "greeting": greeting, "behind": unit_issues(findings)}
    )
    return OutgoingMail(
        key=f"report:{findings.period.key}",
        to=[Recipient(p.email, p.name) for p in leaders],
        cc=[Recipient(p.email, p.name) for p in plan.recipients.cc],
        subject=report_subject(findings),
        text=text,
        html=html,
        content_hash=content_hash,
        attachments=[(document, attachment_name)],
    )


def send_report(
    mail: OutgoingMail, settings: Settings, send: bool, force: bool = False
) -> SendResult:
    """Send (``send``) or only write to the outbox; SMTP is used only when both are set."""
    if not send:
        settings = settings.model_copy(update={"smtp_host": None})
    return deliver_mail(mail, settings, settings.output_dir, force=force)


def write_back(settings: Settings, rows: list[list[Any]]) -> bool:
    """Write the ``Tổng hợp`` tab when the source is a Google Sheet; False for a workbook."""
    from tasks import sheets  # gspread loads slowly; only needed for a Google source

    key = sheets.parse_sheet_key(settings.source)
    if key is None:
        return False
    sheets.write_summary(settings, key, rows)
    return True


send_report_task = task(send_report, name="Gửi báo cáo", cache_policy=NO_CACHE)
write_back_task = task(write_back, name="Ghi tab Tổng hợp", cache_policy=NO_CACHE)
