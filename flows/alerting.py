"""The Office is told by e-mail when a scheduled run fails or crashes (DESIGN §8), not only in
the UI. ``alert_office`` is the flows' ``on_failure`` and ``on_crashed`` hook."""

from __future__ import annotations

from typing import Any

from prefect.logging.loggers import flow_run_logger
from prefect.settings import get_current_settings

from tasks.alerts import compose_alert, failure_item, failure_reason, run_link
from tasks.calendar import today_in_vietnam
from tasks.errors import CchcError
from tasks.mail import SendResult, deliver_mail
from tasks.mail_message import parse_sender
from tasks.plan import Person, load_plan
from tasks.settings import Settings, load_settings

_OUTCOME = {
    "sent": "đã gửi",
    "outbox": "chưa cấu hình SMTP, đã ghi vào hộp thư đi (outbox)",
    "duplicate": "đã gửi trước đó, không gửi lại",
}


def alert_office(flow: Any, flow_run: Any, state: Any) -> None:
    """E-mail the Office that this run failed, once per run (the send log keys it by run id).

    Only runs of a deployment (scheduled, or started from the UI): whoever runs ``cchc`` by hand
    reads the reason on screen. Never raises: Prefect would log a hook error with a traceback
    beside the run's own reason."""
    if flow_run.deployment_id is None:
        return
    logger = flow_run_logger(flow_run)
    try:
        result = send_failure_alert(flow, flow_run, state)
    except CchcError as err:
        logger.warning("Không gửi được thư cảnh báo cho Văn phòng: %s", err)
    except Exception as err:  # an alert must never hide why the run failed
        logger.warning("Không gửi được thư cảnh báo cho Văn phòng (%s).", type(err).__name__)
    else:
        logger.info("Thư cảnh báo cho Văn phòng: %s.", _OUTCOME.get(result.status, result.status))


def send_failure_alert(flow: Any, flow_run: Any, state: Any) -> SendResult:
    """Compose and deliver the alert for ``flow_run`` ending in ``state``."""
    settings = load_settings()
    ui_url = get_current_settings().ui_url
    secret = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    item = failure_item(
        flow.name,
        flow.description or "",
        flow_run.name,
        flow_run.parameters,
        state.type.value,
        failure_reason(state.type.value, state.message, [secret]),
        run_link(ui_url, flow_run.id),
    )
    mail = compose_alert(
        key=f"alert:{flow_run.id}",
        subject=f"Lần chạy “{flow_run.name}” không hoàn thành",
        items=[item],
        to=alert_recipients(settings),
        today=today_in_vietnam(),
        ui_url=ui_url,
    )
    return deliver_mail(mail, settings, settings.output_dir, retries=settings.smtp_retries)


def alert_recipients(settings: Settings) -> list[Person]:
    """The plan's alert list; when the plan itself cannot be read (it may be why the run
    failed), the Office's own sending address (CCHC_MAIL_FROM)."""
    try:
        return load_plan(settings.plan).alert_recipients
    except CchcError:
        name, address = parse_sender(settings.mail_from)
        return [Person(name=name or "Văn phòng Sở", email=address)]
