"""The plan as data: config/plan-2026.yaml loaded and validated with pydantic."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from tasks.errors import CchcError, PlanError
from tasks.rules import REGISTRY, enabled, settings_for
from tasks.text import is_email_address, match_key, shortened


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(_Strict):
    # Short code naming the agency in a province roll-up (ket-qua.json's agency.code).
    code: str = Field(default="SXD", pattern=r"^[0-9A-Za-z_-]{1,32}$")
    parent: str
    name: str
    place: str
    report_symbol: str
    # The Office's own code in the roster: it compiles the reports, so it is not reminded to
    # send its own "to the Office".
    office_unit: str = ""


class PlanInfo(_Strict):
    """The plan's identity as issued; number and date stay blank until the Office fills them."""

    number: str = ""  # e.g. "95/KH-SXD"
    symbol: str = "KH-SXD"
    signed_on: date | None = None
    issued: str = ""  # as the text dates it when the day is blank: "tháng 5 năm 2026"
    title: str
    theme: str
    year: int
    implements: str = ""  # the province's plan it carries out
    replaces: str = ""  # the earlier plan it replaces

    @property
    def reference(self) -> str:
        """How a report cites the plan: ``Kế hoạch số 95/KH-SXD ngày 20/5/2026`` once numbered,
        otherwise its title and month of issue (never a blank to fill in)."""
        if self.number:
            day = self.signed_on
            when = f" ngày {day.day}/{day.month}/{day.year}" if day else ""
            return f"Kế hoạch số {self.number}{when} của Sở Xây dựng"
        issued = f" (ban hành {self.issued})" if self.issued else ""
        return f"{self.title}{issued}"


class Area(_Strict):
    number: int = Field(ge=1)
    name: str
    aliases: list[str] = []


class Channel(_Strict):
    key: str
    name: str
    aliases: list[str] = []
    online: bool = False


class Kind(_Strict):
    key: str
    name: str
    aliases: list[str] = []


class Reporting(_Strict):
    window: Literal["nd09", "calendar"] = "nd09"
    # A scheduled report more than this many days late fails instead of reporting (machine off).
    max_delay_days: int = Field(default=7, ge=1)


class Reminders(_Strict):
    max_start_delay_hours: float = Field(default=6, gt=0)


class Person(_Strict):
    name: str
    email: str

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        if not is_email_address(value):
            raise ValueError(f"địa chỉ email '{value}' không hợp lệ")
        return value


class Recipients(_Strict):
    leadership: list[Person]
    cc: list[Person] = []
    office: Person


class Alerts(_Strict):
    """Who is e-mailed when a scheduled run fails or does not happen, and when (DESIGN §8)."""

    to: list[Person] = []  # empty: recipients.office
    report_by_day: int = Field(default=23, ge=1, le=28)  # the monthly report Completed by then
    max_running_hours: float = Field(default=3, gt=0)  # a run Running longer is stuck


class Signer(_Strict):
    authority: str = ""
    title: str
    name: str


class ReportTexts(_Strict):
    """What the Office writes itself for a section of the report, one paragraph per item, used
    as is; left empty, the report writes its own sentences from the figures."""

    steering: list[str] = []  # I. Công tác chỉ đạo, triển khai
    strengths: list[str] = []  # III.1 Ưu điểm
    causes: list[str] = []  # III.3 Nguyên nhân
    next_tasks: list[str] = []  # IV. Phương hướng, nhiệm vụ kỳ tới
    proposals: list[str] = []  # V. Đề xuất, kiến nghị


class CalendarOverrides(_Strict):
    extra_holidays: list[date] = []
    extra_working_days: list[date] = []


class Retention(_Strict):
    snapshot_days: int = Field(default=400, ge=1)


class Plan(_Strict):
    agency: Agency
    plan: PlanInfo
    areas: list[Area] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    kinds: list[Kind] = Field(min_length=1)
    # Rule key -> its settings (tasks.rules); a rule the file leaves out is off.
    rules: dict[str, Any]
    reporting: Reporting = Reporting()
    reminders: Reminders = Reminders()
    recipients: Recipients
    alerts: Alerts = Alerts()
    noi_nhan: list[str]
    signer: Signer
    report_texts: ReportTexts = ReportTexts()
    calendar: CalendarOverrides = CalendarOverrides()
    retention: Retention = Retention()

    @field_validator("rules", mode="before")
    @classmethod
    def _rule_settings(cls, value: Any) -> Any:
        """Each entry validated by its rule's own settings; errors named by their key."""
        if not isinstance(value, dict):
            return value  # pydantic says what the section must be
        parsed, errors = {}, []
        for key, raw in value.items():
            if key not in REGISTRY:
                errors.append(f"rules.{key}: không có quy tắc này (có: {', '.join(REGISTRY)})")
                continue
            try:
                parsed[key] = settings_for(key, raw)
            except ValidationError as err:
                errors += [
                    f"rules.{key}.{'.'.join(str(p) for p in e['loc'])}: {_vietnamese(e)}"
                    for e in err.errors()
                ]
        if errors:
            raise ValueError("; ".join(errors))
        return parsed

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        for rule, settings in enabled(self):
            rule.check_plan(settings, self)
        for what, names in (
            ("areas", [n for a in self.areas for n in [a.name, *a.aliases]]),
            ("channels", [n for c in self.channels for n in [c.name, *c.aliases]]),
            ("kinds", [n for k in self.kinds for n in [k.name, *k.aliases]]),
        ):
            keys = [match_key(n) for n in names]
            dupes = sorted({n for n, k in zip(names, keys, strict=True) if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{what}: tên hoặc tên gọi khác bị trùng: {dupes}")
        return self

    @property
    def alert_recipients(self) -> list[Person]:
        return list(self.alerts.to) or [self.recipients.office]

    def channel_name(self, key: str) -> str:
        return next(c.name for c in self.channels if c.key == key)

    def kind_name(self, key: str) -> str:
        return next(k.name for k in self.kinds if k.key == key)


class _PlanLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: PyYAML raises a bare ValueError on a date like
    2026-15-05 (PyYAML 6.0), so dates stay text and pydantic reports them with their key.
    Aliases (``*name``) are refused: nested ones expand a 5 KB file into gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "dùng bí danh YAML (*...) — tệp kế hoạch không được dùng", mark
            )
        return super().compose_node(parent, index)


_PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
MAX_PLAN_BYTES = 256 * 1024  # the real plan is about 8 KB


def load_plan(path: Path) -> Plan:
    """Read and validate the plan file; a wrong file raises PlanError naming the key.

    Messages never quote the file beyond a short scalar value: CCHC_PLAN pointing at .env by
    mistake must not print the SMTP password to the terminal and the Prefect database."""
    data = read_yaml(path, "tệp kế hoạch", PlanError, MAX_PLAN_BYTES, "CCHC_PLAN")
    if not isinstance(data, dict):
        raise PlanError(
            f"Tệp kế hoạch '{path}' không phải tệp kế hoạch (cần các khóa agency, plan, areas…): "
            "kiểm tra biến CCHC_PLAN."
        )
    try:
        return Plan.model_validate(data)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(gốc)"
            lines.append(f"- {key}: {_vietnamese(e)}")
        raise PlanError(f"Tệp kế hoạch '{path}' không hợp lệ:\n" + "\n".join(lines)) from err


def read_yaml(
    path: Path, what: str, error: type[CchcError], max_bytes: int, setting: str | None = None
) -> Any:
    """The YAML document in ``path`` (``what``: its name in messages, e.g. "tệp kế hoạch";
    ``setting``: the variable that names it), or ``error`` in Vietnamese: missing, unreadable,
    too large, not UTF-8, not YAML (with line and column). Never quotes the file: a setting
    pointing at .env by mistake must not print a password."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as err:
        named_by = f" (biến {setting})" if setting else ""
        raise error(f"Không tìm thấy {what} '{path}'{named_by}.") from err
    except OSError as err:
        raise error(f"Không đọc được {what} '{path}': {err.strerror}.") from err
    if len(raw) > max_bytes:
        check = f": kiểm tra biến {setting}" if setting else ""
        raise error(f"{what.capitalize()} '{path}' quá lớn ({len(raw) // 1024} KB){check}.")
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_PlanLoader)  # noqa: S506
    except UnicodeDecodeError as err:
        raise error(f"{what.capitalize()} '{path}' không phải văn bản UTF-8.") from err
    except yaml.YAMLError as err:
        raise error(f"{what.capitalize()} '{path}' sai cú pháp YAML: {_where(err)}.") from err


def _where(err: yaml.YAMLError) -> str:
    """What and where, without PyYAML's snippet of the offending line."""
    problem = getattr(err, "problem", None) or "không đọc được"
    mark = getattr(err, "problem_mark", None)
    return f"{problem} (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else str(problem)


def _shown(error: ErrorDetails) -> str:
    """The offending value, short, and only when it is a plain scalar."""
    value = error.get("input")
    if isinstance(value, str | int | float | bool) or value is None:
        return shortened(repr(value), 60)
    if isinstance(value, dict):
        return "một bảng khóa"
    return "một danh sách" if isinstance(value, list) else "một giá trị phức hợp"


def _vietnamese(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "thiếu khóa bắt buộc"
    if kind == "extra_forbidden":
        return "khóa không được hỗ trợ (gõ sai tên?)"
    if kind == "too_short":
        return "danh sách trống: cần ít nhất một mục"
    expected = {
        "string_type": "phải là chữ (văn bản)",
        "bool_type": "phải là true hoặc false",
        "bool_parsing": "phải là true hoặc false",
        "list_type": "phải là một danh sách",
        "dict_type": "phải là một bảng khóa",
        "model_type": "phải là một bảng khóa",
    }.get(kind)
    if expected:
        return f"{expected} (giá trị: {_shown(error)})"
    if kind.startswith("date"):
        return f"ngày không hợp lệ ({_shown(error)}), viết dạng yyyy-mm-dd"
    if kind.startswith("int") or kind.startswith("greater") or kind.startswith("less"):
        return f"số không hợp lệ ({_shown(error)}): {error['msg']}"
    if kind == "literal_error":
        return f"giá trị không hợp lệ ({_shown(error)}): {error['msg']}"
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    return f"{error['msg']} (giá trị: {_shown(error)})"
