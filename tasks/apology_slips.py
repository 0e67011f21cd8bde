"""Apology slips (phiếu xin lỗi và hẹn lại ngày trả kết quả). Plan VI.2: "Thực hiện nghiêm quy
định xin lỗi bằng văn bản khi hồ sơ trễ hẹn". The slip follows the one-stop form (Nghị định
61/2018 and Thông tư 01/2018/TT-VPCP, as amended; the Office confirms it against Nghị định
118/2025 and may edit the template).

A slip is due for a dossier with no apology recorded that is late (returned after Ngày hẹn trả,
or not returned once it has passed) or, not returned, due within the lead time
(``rules.apologies.days_before_due``: the apology must be dated that many days before Ngày hẹn
trả). A dossier already returned late still gets its written apology, without a new appointment
(the report still counts it late). Each dossier gets one slip: a log in the output folder
remembers it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tasks.compile import date_line
from tasks.dates import format_vn
from tasks.errors import DeliveryError, OutputError
from tasks.mail_message import OutgoingMail, Recipient
from tasks.models import Records
from tasks.outbox import append_json_lines, safe_file_stem
from tasks.plan import Plan
from tasks.rules.apologies import ApologySettings
from tasks.rules.base import optional_date
from tasks.settings import Settings
from tasks.stage import stage_task
from tasks.storage import Storage

SLIPS_FOLDER = "phieu-xin-loi"
SLIPS_LOG = "da-lap.jsonl"
BLANK = "…………"  # what the clerk fills in by hand when the sheet does not say


@dataclass(frozen=True)
class Slip:
    code: str
    unit: str  # unit code
    unit_name: str
    procedure: str
    applicant: str
    reason: str
    due: date
    new_due: date | None
    returned: date | None  # returned late already: an apology without a new appointment
    late: bool  # already past Ngày hẹn trả (else due within the lead time)

    def context(self, plan: Plan, as_of: date) -> dict[str, Any]:
        """The template's fields (docs/templates.md, "Apology slip")."""
        return {
            "agency": plan.agency.model_dump(),
            "signer": plan.signer.model_dump(),
            "date_line": date_line(plan.agency.place, as_of),
            "slip": {
                "code": self.code,
                "unit": self.unit_name,
                "procedure": self.procedure or BLANK,
                "applicant": self.applicant or BLANK,
                "reason": self.reason.rstrip(". ") or BLANK,
                "due": format_vn(self.due),
                "new_due": format_vn(self.new_due) if self.new_due else BLANK,
                "returned": format_vn(self.returned) if self.returned else "",
                "late": self.late,
            },
        }


def slips_due(records: Records, plan: Plan, as_of: date, dossier: str | None = None) -> list[Slip]:
    """Dossiers that need a slip on ``as_of`` (only ``dossier`` when given), in due-date order."""
    settings = plan.rules.get("apologies")
    lead = settings.days_before_due if isinstance(settings, ApologySettings) else 1
    names = dict(zip(records.units["code"], records.units["name"], strict=True))
    slips = []
    for row in records.dossiers.sort_values(["due", "row"], kind="stable").itertuples():
        if dossier is not None and row.code != dossier:
            continue
        returned = optional_date(row.returned)
        if optional_date(row.apology_date) is not None or (
            returned is not None and returned <= row.due
        ):
            continue
        if returned is None and row.due - timedelta(days=lead) > as_of:
            continue  # not yet within the lead time
        slips.append(
            Slip(
                code=row.code,
                unit=row.unit,
                unit_name=names.get(row.unit, row.unit),
                procedure=row.procedure,
                applicant=row.applicant,
                reason=row.reason,
                due=row.due,
                new_due=optional_date(row.new_due),
                returned=returned,
                late=returned is not None or as_of > row.due,
            )
        )
    return slips


def slips_folder(output_dir: Path) -> Path:
    return output_dir / SLIPS_FOLDER


def issued_before(settings: Settings) -> set[str]:
    """Dossier codes a slip was made for by an earlier run, on any worker."""
    path = slips_folder(settings.output_dir) / SLIPS_LOG
    Storage.of(settings).fetch(path)
    if not path.exists():
        return set()
    codes = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            codes.add(json.loads(line)["dossier"])
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a kill: that slip may be made again, no more
    return codes


def slip_file(output_dir: Path, slip: Slip) -> Path:
    return slips_folder(output_dir) / f"Phieu-xin-loi-{safe_file_stem(slip.code)}.docx"


def make_slips(
    slips: list[Slip], plan: Plan, as_of: date, output_dir: Path
) -> list[tuple[Slip, Path]]:
    """Render each slip from the editable template; returns (slip, file) pairs."""
    from tasks.document import SLIP_TEMPLATE, render_document  # docxtpl loads slowly

    return [
        (
            slip,
            render_document(slip.context(plan, as_of), SLIP_TEMPLATE, slip_file(output_dir, slip)),
        )
        for slip in slips
    ]


make_slips_task = stage_task("Lập phiếu xin lỗi")(make_slips)


def record_issued(settings: Settings, slips: list[tuple[Slip, Path]], as_of: date) -> None:
    entries = [
        {"dossier": s.code, "unit": s.unit, "as_of": as_of.isoformat(), "file": path.name}
        for s, path in slips
    ]
    path = slips_folder(settings.output_dir) / SLIPS_LOG
    storage = Storage.of(settings)
    try:
        storage.store(file for _, file in slips)
        with storage.exclusive(path):
            append_json_lines(path, entries)
    except OSError as err:
        raise OutputError(f"Không ghi được nhật ký phiếu xin lỗi {path}: {err.strerror}") from err


def compose_slips_mail(
    unit: str, made: list[tuple[Slip, Path]], records: Records, plan: Plan, as_of: date,
    sheet_url: str = "",
) -> OutgoingMail:  # fmt: skip
    """One e-mail to the unit responsible for the dossiers, its slips attached, the Office in
    copy (the Office alone when the roster has no address for the unit)."""
    from tasks.deliver import render_mail

    office = plan.recipients.office
    roster = records.units.set_index("code")
    emails = list(roster.loc[unit, "emails"]) if unit in roster.index else []
    name = made[0][0].unit_name
    settings = plan.rules.get("apologies")
    text, html = render_mail(
        "phieu-xin-loi",
        {
            "unit_name": name,
            "as_of": format_vn(as_of),
            "days_before_due": getattr(settings, "days_before_due", 1),
            "slips": [
                {**slip.context(plan, as_of)["slip"], "file": path.name} for slip, path in made
            ],
            "sheet_url": sheet_url,
            "office": office,
        },
    )
    codes = "|".join(slip.code for slip, _ in made)
    return OutgoingMail(
        key=f"apology:{unit}:{as_of.isoformat()}",
        to=[Recipient(address, name) for address in emails]
        or [Recipient(office.email, office.name)],
        cc=[Recipient(office.email, office.name)] if emails else [],
        subject=f"Phiếu xin lỗi và hẹn lại ngày trả kết quả - {name} - ngày {format_vn(as_of)}",
        text=text,
        html=html,
        content_hash=hashlib.sha256(codes.encode("utf-8")).hexdigest()[:16],
        attachments=[(path, path.name) for _, path in made],
    )


def send_slips(
    made: list[tuple[Slip, Path]],
    records: Records,
    plan: Plan,
    settings: Settings,
    as_of: date,
    send: bool,
    force: bool = False,
) -> dict[str, str]:
    """One e-mail per unit with its slips; a slip counts as issued once its e-mail is delivered
    (sent, or in the outbox). A unit whose e-mail is refused does not stop the others; returns
    {unit code: why its e-mail could not be sent} (its slips are made again next run)."""
    from tasks.deliver import send_mail, sheet_link

    by_unit: dict[str, list[tuple[Slip, Path]]] = {}
    for slip, path in made:
        by_unit.setdefault(slip.unit, []).append((slip, path))
    failed = {}
    for unit, theirs in by_unit.items():
        mail = compose_slips_mail(unit, theirs, records, plan, as_of, sheet_link(settings.source))
        try:
            send_mail(mail, settings, send, force)
        except DeliveryError as err:
            failed[unit] = str(err)
            continue
        record_issued(settings, theirs, as_of)
    return failed


send_slips_task = stage_task("Gửi phiếu xin lỗi")(send_slips)
