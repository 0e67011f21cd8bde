"""Alert e-mails to the Office about the runs themselves (DESIGN §8): a scheduled run that failed
or crashed (flows/alerting.py), and what the daily watchdog found (flows/watchdog.py).

Both are composed from ``templates/email/canh-bao.*.j2`` and delivered like every other e-mail
(tasks.mail): written to the outbox without SMTP, never twice for the same key and content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tasks.dates import format_vn
from tasks.mail_message import OutgoingMail, Recipient, one_line
from tasks.plan import Person
from tasks.text import shortened

# What Prefect writes in front of an exception it caught (prefect 3.9): not one of our messages.
_PREFECT_EXCEPTION = "Flow run encountered an exception: "
MAX_REASON = 1000


@dataclass(frozen=True)
class AlertItem:
    """One thing the Office should look at: a title, a few (label, value) lines, a UI link."""

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    link: str = ""


def run_link(ui_url: str | None, run_id: object) -> str:
    """The run's page in the Prefect UI (``PREFECT_UI_URL`` + ``/runs/flow-run/<id>``)."""
    return f"{ui_url.rstrip('/')}/runs/flow-run/{run_id}" if ui_url else ""


def failure_reason(state_type: str, message: str | None, secrets: list[str]) -> str:
    """The Vietnamese reason of a failed or crashed run, on a few lines, without secrets.

    Our own failures already carry a Vietnamese message; anything else is a programming error
    or a stopped process, said as such with Prefect's one-line summary (never a traceback)."""
    text = (message or "").strip()
    if state_type == "CRASHED":
        reason = "Lần chạy bị dừng đột ngột (máy tắt, tiến trình bị dừng hoặc hết bộ nhớ)"
        reason += f": {text}" if text else "."
    elif text.startswith(_PREFECT_EXCEPTION):
        reason = "Lỗi chương trình (không phải lỗi dữ liệu), cần cán bộ CNTT xem: "
        reason += text.removeprefix(_PREFECT_EXCEPTION)
    else:
        reason = text or "Lần chạy thất bại, không có lý do kèm theo."
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "***")
    return shortened(reason, MAX_REASON)


def shown_parameters(parameters: Mapping[str, Any]) -> str:
    """``period=2026-05, send=true``: the parameters that were given, short and on one line."""
    given = []
    for name, value in parameters.items():
        if value is None or value is False:
            continue
        shown = "true" if value is True else shortened(one_line(str(value)), 120)
        given.append(f"{name}={shown}")
    return ", ".join(given) or "(mặc định)"


def failure_item(
    flow: str,
    description: str,
    run_name: str,
    parameters: Mapping[str, Any],
    state_type: str,
    reason: str,
    link: str,
) -> AlertItem:
    outcome = "bị dừng đột ngột (Crashed)" if state_type == "CRASHED" else "thất bại (Failed)"
    lines = [
        ("Quy trình", f"{flow} — {description}" if description else flow),
        ("Tham số", shown_parameters(parameters)),
        ("Lý do", reason),
    ]
    return AlertItem(f"Lần chạy “{run_name}” {outcome}", lines, link)


def compose_alert(
    key: str,
    subject: str,
    items: list[AlertItem],
    to: list[Person],
    today: date,
    ui_url: str | None,
) -> OutgoingMail:
    """The alert e-mail: ``items`` listed for the Office. Sent once per ``key`` and content."""
    from tasks.deliver import render_mail  # the e-mail templates' one environment

    context = {
        "items": [{"title": i.title, "lines": i.lines, "link": i.link} for i in items],
        "today": format_vn(today),
        "ui_url": ui_url or "",
    }
    text, html = render_mail("canh-bao", context)
    # What was found, not the day it was written: the same findings are never sent twice.
    found = repr([(i.title, i.lines) for i in items])
    digest = hashlib.sha256(f"{key}\n{found}".encode()).hexdigest()[:16]
    return OutgoingMail(
        key=key,
        to=[Recipient(p.email, p.name) for p in to],
        cc=[],
        subject=f"[Cảnh báo CCHC] {subject}",
        text=text,
        html=html,
        content_hash=digest,
    )
