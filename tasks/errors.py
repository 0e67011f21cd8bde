"""Errors a user can act on, each with a Vietnamese message the CLI and flows print as is."""


class CchcError(Exception):
    """Base of every user-facing error; ``str(err)`` is the Vietnamese message."""


class PlanError(CchcError):
    """The plan file (config/plan-2026.yaml) is missing or wrong."""


class SettingsError(CchcError):
    """An environment setting is wrong."""


class SourceError(CchcError):
    """The data source (workbook, Google Sheet, snapshot) cannot be read."""


class SheetStructureError(CchcError):
    """A required tab or column is missing or ambiguous; the run cannot go on."""

    def __init__(self, problems: list) -> None:  # list[Problem]
        self.problems = problems
        lines = [f"- {p.describe()}" for p in problems]
        super().__init__("Bảng tính thiếu tab hoặc cột bắt buộc:\n" + "\n".join(lines))


class DeliveryError(CchcError):
    """An e-mail could not be sent; the report files are kept and the next run retries."""


class OutputError(CchcError):
    """The output folder cannot be written."""


class LateRunError(CchcError):
    """A scheduled run started so long after its time that its result would mislead."""
