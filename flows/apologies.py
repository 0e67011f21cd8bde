"""Apology slips: a draft slip per dossier that needs one, e-mailed to the unit responsible."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from flows.alerting import alert_office
from flows.common import start_job, unwalked, user_failure
from tasks.apology_slips import issued_before, make_slips_task, send_slips_task, slips_due
from tasks.artifacts import publish_slips
from tasks.collect import read_source_task
from tasks.errors import CchcError, DeliveryError
from tasks.normalize import normalize_task
from tasks.verify import known_on


@flow(
    name="phieu-xin-loi",
    flow_run_name="phieu-xin-loi",
    description="Lập phiếu xin lỗi và hẹn lại ngày trả kết quả cho hồ sơ trễ hẹn, gửi đơn vị.",
    on_failure=[alert_office],
    on_crashed=[alert_office],
)
def apologies(
    as_of: str | None = None,
    source: str | None = None,
    dossier: str | None = None,
    send: bool = False,
    force: bool = False,
) -> dict[str, Any] | State:
    """Slips for the dossiers that need one on ``as_of`` (only ``dossier`` when given), each made
    once (``force`` makes them again); one e-mail per unit with its slips (outbox unless
    ``send`` and SMTP)."""
    try:
        job = start_job(as_of, source)
        raw = read_source_task(job.settings)
        records, _ = normalize_task(unwalked(raw), job.plan)
        records = known_on(records, job.as_of)
        output = job.settings.output_dir
        done = set() if force else issued_before(job.settings)
        wanted = slips_due(records, job.plan, job.as_of, dossier)
        made = make_slips_task(
            [s for s in wanted if s.code not in done], job.plan, job.as_of, output
        )
        failed = send_slips_task(made, records, job.plan, job.settings, job.as_of, send, force)
    except CchcError as err:
        return user_failure(err)
    publish_slips(made, job.as_of)
    if failed:  # red in the UI; the other units' e-mails went out, these are tried next run
        units = "; ".join(f"{unit}: {why}" for unit, why in failed.items())
        return user_failure(DeliveryError(f"Chưa gửi được phiếu xin lỗi cho {units}"))
    return {
        "as_of": job.as_of.isoformat(),
        "slips": [{"dossier": s.code, "unit": s.unit, "file": str(p)} for s, p in made],
        "skipped": [s.code for s in wanted if s.code in done],  # made by an earlier run
    }
