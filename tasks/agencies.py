"""The province's agencies file (``config/agencies.yaml``): every agency that runs this kind of
plan on the shared Prefect server, validated with pydantic like the plan file.

- ``load_agencies(path)``: the file, or AgenciesError naming the entry and the field.
- ``agency_environment(entry, book)``: the environment one agency's deployment runs with
  (``CCHC_SOURCE``, ``CCHC_PLAN``, ``CCHC_OUTPUT_DIR=<root>/<code>`` or, when the root is a
  URL, ``CCHC_STORAGE=<root>/<code>``; ``CCHC_AGENCY``).
- ``apply_agency(plan, agency)``: the plan as one agency's run sees it: its code, name, parent,
  recipients and Office from ``CCHC_AGENCY`` (the rules, texts and signer stay the plan file's).

Without an agencies file nothing of this is used: one agency, as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tasks.errors import CchcError
from tasks.plan import Person, Plan, _vietnamese, read_yaml

DEFAULT_AGENCIES = Path("config") / "agencies.yaml"
DEFAULT_ROOT = "var/tinh"
DEFAULT_POOL = "cchc-office"
MAX_AGENCIES_BYTES = 1024 * 1024  # 130 agencies take about 60 KB


class AgenciesError(CchcError):
    """The agencies file is missing or wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgencyIdentity(_Strict):
    """What a run needs to know of its agency (``CCHC_AGENCY``, JSON): replaces the plan file's
    ``agency.code/name/parent`` and, when given, its recipients and Office."""

    code: str = Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")
    name: str = Field(min_length=1)
    parent: str = "UBND TỈNH ĐẮK LẮK"
    recipients: list[Person] = []  # the leadership who receive the report; [] = the plan's
    office: Person | None = None  # the agency's Office (copy with data problems, alerts)


class AgencyEntry(AgencyIdentity):
    """One agency of the agencies file."""

    source: str = Field(min_length=1)  # its sheet: Google Sheets URL or key, or an .xlsx path
    plan: str = "config/plan-2026.yaml"  # its plan file (relative to the working folder)
    description: str = ""  # shown on its deployment in the UI

    def identity(self) -> AgencyIdentity:
        return AgencyIdentity.model_validate(
            self.model_dump(include=set(AgencyIdentity.model_fields))
        )


class Signer(_Strict):
    title: str = "GIÁM ĐỐC"
    name: str = ""  # left blank: the signer writes it by hand


class Summary(_Strict):
    """Who issues the province summary (.docx, Nghị định 30 layout): Sở Nội vụ compiles every
    agency's results."""

    parent: str = "UBND TỈNH ĐẮK LẮK"
    name: str = "SỞ NỘI VỤ"
    report_symbol: str = "BC-SNV"
    place: str = "Đắk Lắk"
    signer: Signer = Signer()
    noi_nhan: list[str] = ["UBND tỉnh (b/c);", "Các cơ quan trong danh sách (t/h);", "Lưu: VT."]


class Province(_Strict):
    """The agencies file: where results live, the work pool, and the agencies."""

    # Root of every agency's results: <root>/<code>/<period>/ket-qua.json. A local folder
    # (relative to the working folder) or an fsspec URL (shared storage).
    root: str = DEFAULT_ROOT
    work_pool: str = DEFAULT_POOL
    summary: Summary = Summary()
    agencies: list[AgencyEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> Province:
        codes = [a.code.casefold() for a in self.agencies]
        dupes = sorted({a.code for a in self.agencies if codes.count(a.code.casefold()) > 1})
        if dupes:
            raise ValueError(f"mã cơ quan bị trùng: {', '.join(dupes)}")
        return self

    def agency(self, code: str) -> AgencyEntry | None:
        return next((a for a in self.agencies if a.code.casefold() == code.casefold()), None)


def load_agencies(path: Path) -> Province:
    """Read and validate the agencies file; a wrong file raises AgenciesError naming the entry
    (its position and code) and the field."""
    data = read_yaml(path, "tệp danh sách cơ quan", AgenciesError, MAX_AGENCIES_BYTES)
    if not isinstance(data, dict):
        raise AgenciesError(
            f"Tệp danh sách cơ quan '{path}' cần các khóa root, agencies "
            "(xem config/agencies.yaml)."
        )
    try:
        return Province.model_validate(data)
    except ValidationError as err:
        lines = [f"- {_where_in(data, e['loc'])}: {_vietnamese(e)}" for e in err.errors()]
        raise AgenciesError(
            f"Tệp danh sách cơ quan '{path}' không hợp lệ:\n" + "\n".join(lines)
        ) from err


def _where_in(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """``agencies[3] (mã SNV).source``: an entry by its position (from 1) and its code."""
    if len(loc) >= 2 and loc[0] == "agencies" and isinstance(loc[1], int):
        entries = data.get("agencies")
        code = ""
        if (
            isinstance(entries, list)
            and loc[1] < len(entries)
            and isinstance(entries[loc[1]], dict)
        ):
            code = str(entries[loc[1]].get("code") or "")
        head = f"cơ quan thứ {loc[1] + 1}" + (f" (mã {code})" if code else "")
        rest = ".".join(str(p) for p in loc[2:])
        return f"{head}, trường {rest}" if rest else head
    return ".".join(str(p) for p in loc) or "(gốc)"


def agency_folder(root: str, code: str) -> str:
    """``<root>/<code>``: the agency's output folder (CCHC_OUTPUT_DIR of its runs)."""
    return f"{root.rstrip('/')}/{code}"


def agency_environment(entry: AgencyEntry, province: Province) -> dict[str, str]:
    """The environment variables of one agency's runs (its deployment's ``job_variables.env``,
    or a local run of ``cchc report-agencies``)."""
    folder = agency_folder(province.root, entry.code)
    if "://" in province.root:  # shared storage (S3…): each worker's working copy stays apart
        where = {"CCHC_STORAGE": folder, "CCHC_OUTPUT_DIR": f"var/co-quan/{entry.code}"}
    else:  # a folder (a share mounted on every worker): it is the storage itself
        where = {"CCHC_OUTPUT_DIR": folder}
    return {
        "CCHC_SOURCE": entry.source,
        "CCHC_PLAN": entry.plan,
        **where,
        "CCHC_AGENCY": entry.identity().model_dump_json(),
    }


def parse_agency(text: str) -> AgencyIdentity:
    """``CCHC_AGENCY`` (JSON) validated; ValueError (Vietnamese) when wrong."""
    try:
        return AgencyIdentity.model_validate(json.loads(text))
    except (ValueError, ValidationError) as err:
        raise ValueError(f"CCHC_AGENCY không hợp lệ (cần JSON mã, tên cơ quan): {err}") from err


def apply_agency(plan: Plan, agency: AgencyIdentity | None) -> Plan:
    """The plan with the agency's identity and addresses; unchanged without one."""
    if agency is None:
        return plan
    # The report's header writes the issuing agency in capitals (Nghị định 30/2020).
    identity = plan.agency.model_copy(
        update={"code": agency.code, "name": agency.name.upper(), "parent": agency.parent}
    )
    recipients = plan.recipients.model_copy(
        update={
            "leadership": agency.recipients or plan.recipients.leadership,
            "office": agency.office or plan.recipients.office,
        }
    )
    return plan.model_copy(update={"agency": identity, "recipients": recipients})
