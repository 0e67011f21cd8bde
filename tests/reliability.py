"""Outcomes of the reliability tests (bad input, faults, secrets) and docs/reliability.md.

The tests call ``record(...)`` with what each case fed in, what it expected and what actually
happened. Nothing is kept unless ``CCHC_RELIABILITY_OUT`` names a file: then every record is
appended to it as one JSON line, and, when pytest runs with ``-p tests.reliability``, so is the
outcome (passed/failed/skipped) of every test. ``make reliability`` does both and then renders the
document:

    python -m tests.reliability var/reliability.jsonl docs/reliability.md

The document is generated, never edited by hand: change a test and run ``make reliability``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

ENV = "CCHC_RELIABILITY_OUT"

# Section id -> (title, introduction). Records name their section by id.
SECTIONS: dict[str, tuple[str, str]] = {
    "input": (
        "Bad input matrix",
        "Each case is a small workbook (`tests.builders.book`) with good rows around one bad "
        "thing, run through `tasks.normalize.normalize` and `tasks.verify.verify`. *Expected* is "
        "the exact problem record (tab, row, column, value, message) or the exact "
        "`SheetStructureError` message; cases marked *accepted* must be read (and normalised to "
        "NFC), not reported. In every case the good rows are still counted.",
    ),
    "faults": (
        "Faults",
        "Each fault is made real: the loopback Sheets API server answering 429/5xx/403/404/slowly/"
        "with broken JSON, an aiosmtpd server refusing, disconnecting or stalling, an output "
        "folder that cannot be written, a file-size limit (`RLIMIT_FSIZE`) standing in for a full "
        "disk, `kill -9` of a `cchc report --send` process, a log file cut mid-line. Every run "
        "goes through the report (or reminder) flow under Prefect; the last column says what "
        "was found on disk afterwards and what the next run did.",
    ),
    "reproducibility": (
        "Reproducibility and integrity",
        "Rebuilding from a snapshot and re-running an as-of date must give the same "
        "`ket-qua.json` and the same document text; back-dated entries and snapshot retention "
        "are checked through the flow.",
    ),
    "secrets": (
        "Secrets and injection",
        "A recognisable SMTP password and service-account key are planted; every log line, "
        "artifact, state message and file under the output folder is searched for them.",
    ),
}
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "input": [
        ("id", "Case"),
        ("given", "Input"),
        ("expected", "Expected"),
        ("actual", "Actual outcome"),
        ("result", "Test"),
    ],
    "faults": [
        ("id", "Case"),
        ("given", "Fault"),
        ("expected", "Expected"),
        ("actual", "Actual outcome"),
        ("after", "Nothing lost / next run"),
        ("result", "Test"),
    ],
    "reproducibility": [
        ("id", "Case"),
        ("given", "Check"),
        ("expected", "Expected"),
        ("actual", "Actual outcome"),
        ("result", "Test"),
    ],
    "secrets": [
        ("id", "Case"),
        ("given", "Check"),
        ("expected", "Expected"),
        ("actual", "Actual outcome"),
        ("result", "Test"),
    ],
}


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def _append(entry: dict[str, Any]) -> None:
    path = Path(os.environ[ENV])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def current_test() -> str:
    """The node id of the running test (pytest sets PYTEST_CURRENT_TEST)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


def record(
    section: str,
    case: str,
    given: str,
    expected: str,
    actual: str,
    after: str = "",
) -> None:
    """Keep one case's outcome (a no-op unless CCHC_RELIABILITY_OUT is set)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    if not enabled():
        return
    _append(
        {
            "kind": "case",
            "section": section,
            "id": case,
            "given": given,
            "expected": expected,
            "actual": actual,
            "after": after,
            "test": current_test(),
        }
    )


def save_xlsx(raw: Any, path: Path) -> Path:
    """A RawBook (e.g. from tests.builders.book) as an .xlsx workbook, for flows that read files."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, tab in raw.tabs.items():
        sheet = workbook.create_sheet(title)
        for row in tab.rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


# ----------------------------------------------------------------------------- pytest plugin


def pytest_runtest_logreport(report: Any) -> None:
    """Keep each test's outcome next to its records (only with ``-p tests.reliability``)."""
    if not enabled():
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _append({"kind": "outcome", "test": report.nodeid, "outcome": report.outcome})


# ----------------------------------------------------------------------------- rendering


def _cell(text: Any) -> str:
    """Markdown table cell: one line, pipes escaped."""
    value = " ".join(str(text).split()) if text not in (None, "") else "—"
    return value.replace("|", "\\|")


def load(lines: Iterable[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    cases: list[dict[str, Any]] = []
    outcomes: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry["kind"] == "case":
            cases.append(entry)
        else:
            outcomes[entry["test"]] = entry["outcome"]
    return cases, outcomes


def render(cases: list[dict[str, Any]], outcomes: dict[str, str], generated: str) -> str:
    """docs/reliability.md from the records of one test run."""
    out = [
        "# Reliability: bad input, faults and secrets",
        "",
        "<!-- Generated by `make reliability` (tests/reliability.py) from the test run; "
        "do not edit by hand. -->",
        "",
        f"Generated {generated} from `tests/test_bad_input.py`, `tests/test_faults.py` and "
        "`tests/test_secrets.py`. *Test* is the pytest outcome of the test that recorded the row.",
        "",
    ]
    counts = []
    for section, (title, _) in SECTIONS.items():
        rows = [c for c in cases if c["section"] == section]
        passed = sum(outcomes.get(c["test"]) == "passed" for c in rows)
        counts.append(f"- {title}: {len(rows)} cases, {passed} passed")
    out += ["## Summary", "", *counts, ""]
    for section, (title, intro) in SECTIONS.items():
        rows = [c for c in cases if c["section"] == section]
        if not rows:
            continue
        columns = COLUMNS[section]
        out += [f"## {title}", "", intro, ""]
        out.append("| " + " | ".join(label for _, label in columns) + " |")
        out.append("|" + "---|" * len(columns))
        for number, case in enumerate(rows, start=1):
            values = []
            for key, _ in columns:
                if key == "id":
                    values.append(f"{number}. `{case['id']}`")
                elif key == "result":
                    values.append(outcomes.get(case["test"], "not run"))
                else:
                    values.append(_cell(case.get(key, "")))
            out.append("| " + " | ".join(values) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.reliability RECORDS.jsonl OUTPUT.md", file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    cases, outcomes = load(source.read_text(encoding="utf-8").splitlines())
    if not cases:
        print(f"{source}: no records (was {ENV} set for the test run?)", file=sys.stderr)
        return 1
    failed = sorted({c["test"] for c in cases if outcomes.get(c["test"]) != "passed"})
    generated = datetime.now().astimezone().strftime("%Y-%m-%d")
    target.write_text(render(cases, outcomes, generated), encoding="utf-8")
    print(f"{target}: {len(cases)} cases from {source}")
    if failed:
        print("not passed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
