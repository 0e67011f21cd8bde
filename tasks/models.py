"""Plain data shared by the stages: raw cells as read, problem records, and normalised records."""

from __future__ import annotations

import datetime as dt
import json
import numbers
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# A raw cell as read from any source: Google's UNFORMATTED_VALUE shapes (dates are serial numbers).
Cell = str | int | float | bool | None


@dataclass
class RawTab:
    """One tab as read. ``rows[0]`` is sheet row 1 (the header); ``rows[i]`` is sheet row ``i + 1``.

    Rows are ragged (trailing blanks trimmed) and blank rows are kept as ``[]`` so that
    row numbers stay those the sheet shows.
    """

    title: str
    rows: list[list[Cell]]

    def cell(self, row_index: int, col_index: int) -> Cell:
        row = self.rows[row_index]
        return row[col_index] if col_index < len(row) else None


@dataclass
class RawBook:
    """Every tab of one source, exactly as read (the snapshot keeps this)."""

    source: str  # a description safe to print: file name or spreadsheet key, never a secret
    read_at: str  # ISO timestamp with offset
    tabs: dict[str, RawTab]
    # Google's spreadsheet metadata from the read (not kept in the snapshot): the write-back
    # reuses it instead of asking again, so a run costs one metadata request.
    sheet_meta: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "source": self.source,
            "read_at": self.read_at,
            "tabs": {title: tab.rows for title, tab in self.tabs.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawBook:
        tabs = {title: RawTab(title, rows) for title, rows in data["tabs"].items()}
        return cls(source=data["source"], read_at=data["read_at"], tabs=tabs)


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: where it is and what is wrong, in Vietnamese."""

    tab: str
    row: int | None  # the sheet's own row number (header = 1); None for a whole-tab problem
    column: str | None
    value: str
    message: str
    structural: bool = False  # True: the run cannot go on (missing tab / column)

    def where(self) -> str:
        """``tab 'Tin bài', dòng 12, cột 'Ngày'``."""
        where = f"tab '{self.tab}'"
        if self.row is not None:
            where += f", dòng {self.row}"
        if self.column:
            where += f", cột '{self.column}'"
        return where

    def describe(self) -> str:
        shown = f" (giá trị: '{self.value}')" if self.value != "" else ""
        return f"{self.where()}: {self.message}{shown}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tab": self.tab,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class Records:
    """Normalised input, one DataFrame per input tab (field = TabSpec key, empty for an absent
    optional tab); every frame keeps the sheet ``row`` number.

    units:            row, code, name, emails (list[str]), contact, quota (int | None), active
    products:         row, date, unit, area, channel, kind, title, link, author, note, outlet,
                      attendees (int | None), copies (int | None)
    concretizations:  row, unit, date, doc_number, link, note
    unit_reports:     row, unit, period, sent, doc_number, link, difficulties, proposals
    dossiers:         row, code, procedure, unit, due, returned, apology_date, apology_number,
                      new_due, applicant, reason
    posted_procedures: row, code, name, link, place, date
    tasks:            row, unit, task, assignee, due, responsible, product, authority, done,
                      link, unclear (list[str]: the "rõ" it lacks, e.g. ["rõ người"])
    Dates are ``datetime.date`` (or None); unit is the unit code; area the area number;
    channel and kind the plan's keys.
    """

    units: pd.DataFrame
    products: pd.DataFrame
    concretizations: pd.DataFrame
    unit_reports: pd.DataFrame
    dossiers: pd.DataFrame
    posted_procedures: pd.DataFrame
    tasks: pd.DataFrame
    tab_titles: dict[str, str] = field(default_factory=dict)  # tab key -> title as in the sheet


@dataclass(frozen=True)
class StatusDate:
    """A deadline outcome: on_time / late / missing / not_due, and the date that decided it."""

    status: str
    date: dt.date | None = None
    due: dt.date | None = None


def identity_key(values: Iterable[object]) -> str:
    """One text for the values that identify a row across snapshots (a claim's identity
    columns), equal exactly when the values are equal in Python (``date`` and ``datetime`` told
    apart, ``1`` and ``1.0`` not), so that what an earlier read proved can be kept on disk."""
    parts: list[object] = []
    for value in values:
        if value is None:
            parts.append(None)
        elif isinstance(value, str):
            parts.append("s" + value)
        elif isinstance(value, dt.datetime):
            parts.append("t" + value.isoformat())
        elif isinstance(value, dt.date):
            parts.append("d" + value.isoformat())
        elif isinstance(value, bool):
            parts.append(int(value))  # True == 1 in Python
        elif isinstance(value, numbers.Integral):
            parts.append(int(value))
        elif isinstance(value, numbers.Real):
            number = float(value)
            if number != number:
                parts.append("nan")  # pandas' one NaN object: the same object, so the same row
            elif number.is_integer():
                parts.append(int(number))
            else:
                parts.append("f" + repr(number))
        else:
            raise TypeError(f"no identity key for a {type(value).__name__}")
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ReadProof:
    """What one earlier read (a snapshot) proved existed: for each claimable tab, the identity
    keys of its rows. Keys are numbered per folder of snapshots (``numbers``, shared by its
    reads); ``present`` holds each tab's numbers as sorted half-open runs ``start, end, ...``
    (a snapshot holds nearly every row of the one before, so a handful of runs)."""

    read_at: dt.datetime
    numbers: dict[str, dict[str, int]]
    present: dict[str, tuple[int, ...]]

    def holds(self, tab: str, key: str) -> bool:
        number = self.numbers.get(tab, {}).get(key)
        if number is None:
            return False
        return bisect_right(self.present.get(tab, ()), number) % 2 == 1


@dataclass(frozen=True)
class History:
    """The earlier reads a back-dated check compares with: every readable snapshot read before
    this run's data, oldest first (a damaged one proves nothing and is left out), and the
    columns each tab's rows were identified by."""

    identities: dict[str, tuple[str, ...]]
    reads: list[ReadProof] = field(default_factory=list)
