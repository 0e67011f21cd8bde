"""What the benchmark measures, run in a fresh child process per job (``python -m
benchmarks.worker JOB.json RESULT.json``), so that each size's peak memory is its own and the
Prefect settings come from the environment the parent gives it.

- ``measure_size``: the stages on one synthetic sheet, in process, and one end-to-end report run
  against the loopback Sheets server (read -> normalize -> verify -> compile -> write-back).
- ``floor``: what any report run must do at least: read the sheet in two requests, frames,
  dates, products per unit (the yardstick of the commands' timings, benchmarks/commands.py).
- ``prefect_overhead``: the monthly report as a Prefect flow run (server already running) versus
  the same steps as plain Python calls, alternated.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.loopback import SheetsAccess
from benchmarks.synthetic import AS_OF, LAST_DAY, PERIOD, synthetic_book

T = TypeVar("T")
WARM_UP_PRODUCTS, WARM_UP_UNITS = 200, 12


def timed(repeat: int, work: Callable[[], T]) -> tuple[float, T]:
    """Median wall time of ``repeat`` calls of ``work``, and the last call's result."""
    times, result = [], None
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result  # type: ignore[return-value]


def peak_rss_mb() -> float:
    """This process's peak resident set size (``ru_maxrss``, KiB on Linux), in MB (10^6 B)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def measure_size(
    products: int,
    access: SheetsAccess,
    work: Path,
    repeat: int,
    annex: int,
    expected_rows: dict[str, int],
) -> dict[str, Any]:
    """Figures for one synthetic sheet of ``products`` rows (see benchmarks/run.py); the
    server must serve ``expected_rows`` rows per tab."""
    from tasks.calendar import parse_period
    from tasks.compile import compile_report, summary_rows
    from tasks.document import DEFAULT_TEMPLATE
    from tasks.models import Cell
    from tasks.normalize import normalize
    from tasks.plan import load_plan
    from tasks.settings import DEFAULT_PLAN, Settings
    from tasks.sheets import read_google_book, write_summary
    from tasks.verify import verify

    plan = load_plan(DEFAULT_PLAN)
    period = parse_period(PERIOD)
    settings = Settings(
        GOOGLE_APPLICATION_CREDENTIALS=access.credentials,  # type: ignore[call-arg]
        sheets_endpoint=access.endpoint,
    )

    # Warm-up on a small sheet: lazy imports, fonts, holiday tables are paid once per process.
    small = synthetic_book(WARM_UP_PRODUCTS, units=WARM_UP_UNITS)
    records, problems = normalize(small, plan, LAST_DAY)
    findings = verify(records, plan, period, AS_OF, problems)
    compile_report(findings, plan, work / "warm-up", DEFAULT_TEMPLATE)

    # One report run end to end, in process, against the loopback server.
    started = time.perf_counter()
    raw = read_google_book(settings, access.key)
    read_s = time.perf_counter() - started
    read = {title: len(tab.rows) for title, tab in raw.tabs.items()}
    if read != expected_rows:
        raise RuntimeError(f"read {read} rows from the loopback server, expected {expected_rows}")
    records, problems = normalize(raw, plan, LAST_DAY)
    findings = verify(records, plan, period, AS_OF, problems)
    compile_report(findings, plan, work / "end-to-end", DEFAULT_TEMPLATE)
    rows: list[list[Cell]] = [list(row) for row in summary_rows(findings, raw.read_at)]
    writing = time.perf_counter()
    write_summary(settings, access.key, rows, metadata=raw.sheet_meta)
    write_s = time.perf_counter() - writing
    end_to_end = time.perf_counter() - started
    peak_report_run = peak_rss_mb()  # a report run's peak: nothing bigger has run before

    # The stages on the same cells, each timed on its own.
    normalise_s, (records, problems) = timed(repeat, lambda: normalize(raw, plan, LAST_DAY))
    verify_s, findings = timed(repeat, lambda: verify(records, plan, period, AS_OF, problems))
    compile_s, _ = timed(
        repeat, lambda: compile_report(findings, plan, work / "compile", DEFAULT_TEMPLATE)
    )
    figures: dict[str, Any] = {
        "products": products,
        "rows_read": sum(len(tab.rows) for tab in raw.tabs.values()),
        "products_valid": len(records.products),
        "problems": len(problems),
        "window_products": len(findings.products),
        "summary_rows": len(rows),
        "normalise_s": normalise_s,
        "verify_s": verify_s,
        "compile_s": compile_s,
        "end_to_end_s": end_to_end,
        "end_to_end_read_s": read_s,  # incl. the loopback server building its answer
        "end_to_end_write_s": write_s,
    }
    if annex and len(findings.products):
        # The same monthly report with exactly ``annex`` products in its annex: the window's
        # first ones, repeated when it holds fewer (only the annex grows; totals stay).
        window = findings.products
        picked = window.iloc[[i % len(window) for i in range(annex)]].reset_index(drop=True)
        big = replace(findings, products=picked)
        figures["annex_products"] = annex
        figures["annex_compile_s"], _ = timed(
            repeat, lambda: compile_report(big, plan, work / "annex", DEFAULT_TEMPLATE)
        )
    figures["peak_rss_mb"] = peak_report_run
    figures["peak_rss_all_mb"] = peak_rss_mb()  # after the repeated timings too (fragmentation)
    return figures


def plain_report(source: str) -> None:
    """flows/report.py's steps as plain calls of each task's function (``.fn``): no flow run,
    no task runs, no progress or result artifacts. Settings come from the environment, as in
    the flow."""
    from flows.common import resolve_period, start_job
    from tasks.collect import prune_snapshots_task, read_source_task, save_snapshot_task
    from tasks.compile import compile_report_task, summary_rows
    from tasks.deliver import compose_report_mail, period_folder, send_mail_task, write_back_task
    from tasks.document import DEFAULT_TEMPLATE
    from tasks.history import snapshot_history_task
    from tasks.integrity import backdated_task
    from tasks.normalize import normalize_task
    from tasks.verify import verify_task

    job = start_job(AS_OF.isoformat(), source)
    period = resolve_period(PERIOD, job)
    output = job.settings.output_dir
    folder = period_folder(output, period.key)
    raw = read_source_task.fn(job.settings)
    saved = save_snapshot_task.fn(raw, folder / "snapshots")
    prune_snapshots_task.fn(output, job.plan.retention.snapshot_days, job.as_of)
    records, problems = normalize_task.fn(raw, job.plan)
    history = snapshot_history_task.fn(output, job.plan, raw.read_at, records, saved)
    backdated = backdated_task.fn(records, job.plan, period, history)
    findings = verify_task.fn(records, job.plan, period, job.as_of, problems, backdated)
    compiled = compile_report_task.fn(findings, job.plan, folder, DEFAULT_TEMPLATE)
    mail = compose_report_mail(findings, job.plan, compiled)
    send_mail_task.fn(mail, job.settings, False, False)
    write_back_task.fn(job.settings, summary_rows(findings, raw.read_at), raw.sheet_meta)


def flow_report(source: str) -> None:
    """The same report as a Prefect flow run (PREFECT_API_URL: the running server)."""
    from flows.report import report

    state: Any = report(
        period=PERIOD, as_of=AS_OF.isoformat(), source=source, send=False, return_state=True
    )
    if not state.is_completed():
        raise RuntimeError(f"flow run failed: {state.message}")


def prefect_overhead(access: SheetsAccess, work: Path, runs: int) -> dict[str, Any]:
    """Median time of ``runs`` flow runs and ``runs`` plain runs, alternated, each into a fresh
    output folder (so no run finds the e-mail of an earlier one), after one warm-up of each."""
    times: dict[str, list[float]] = {"flow": [], "plain": []}
    calls = {"flow": flow_report, "plain": plain_report}
    for round_ in range(runs + 1):
        for name in ("plain", "flow"):
            os.environ["CCHC_OUTPUT_DIR"] = str(work / f"{name}-{round_}")
            started = time.perf_counter()
            calls[name](access.key)
            if round_:  # round 0 warms up: imports, Prefect client, flow registration
                times[name].append(time.perf_counter() - started)
            else:
                times[f"{name}_first"] = [time.perf_counter() - started]
    flow, plain = statistics.median(times["flow"]), statistics.median(times["plain"])
    return {
        "runs": runs,
        "flow_s": flow,
        "plain_s": plain,
        "overhead_s": flow - plain,
        "ratio": flow / plain,
        "flow_first_s": times["flow_first"][0],
        "plain_first_s": times["plain_first"][0],
        "flow_all_s": times["flow"],
        "plain_all_s": times["plain"],
    }


def floor(access: SheetsAccess, repeat: int) -> dict[str, Any]:
    """The least a report run has to do, without Prefect or checks: one metadata GET and one
    ``values:batchGet`` through gspread (tasks.sheets_api's client, as the report uses), a
    DataFrame per tab, the product dates parsed, products counted per unit. Imports and the
    first call (the OAuth token) are left out: median of ``repeat`` calls after it."""
    import pandas as pd

    from tasks.contract import PRODUCTS, find_tab
    from tasks.settings import Settings
    from tasks.sheets_api import grid_sheets, quote_title, sheets_client

    settings = Settings(
        GOOGLE_APPLICATION_CREDENTIALS=access.credentials,  # type: ignore[call-arg]
        sheets_endpoint=access.endpoint,
    )
    date_header = next(c.header for c in PRODUCTS.columns if c.key == "date")
    unit_header = next(c.header for c in PRODUCTS.columns if c.key == "unit")

    def once() -> int:
        http = sheets_client(settings)
        titles = [title for title, _ in grid_sheets(http.fetch_sheet_metadata(access.key))]
        response = http.values_batch_get(
            access.key,
            [quote_title(t) for t in titles],
            params={"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "ROWS"},
        )
        frames = {}
        for title, value_range in zip(titles, response["valueRanges"], strict=True):
            rows = value_range.get("values", [])
            header = [str(h) for h in rows[0]] if rows else []
            frames[title] = pd.DataFrame(
                [row + [""] * (len(header) - len(row)) for row in rows[1:]], columns=header
            ).iloc[:, : len(header)]
        products = frames[find_tab(titles, PRODUCTS) or PRODUCTS.title]
        serials = pd.to_numeric(products[date_header], errors="coerce")
        products["day"] = pd.to_datetime(serials, unit="D", origin="1899-12-30").dt.date
        return len(products.groupby(unit_header).size())

    first = time.perf_counter()
    units = once()
    first_s = time.perf_counter() - first
    seconds, _ = timed(repeat, once)
    return {"floor_s": seconds, "floor_first_s": first_s, "units": units}


def main() -> None:
    job_file, result_file = Path(sys.argv[1]), Path(sys.argv[2])
    job = json.loads(job_file.read_text(encoding="utf-8"))
    access = SheetsAccess(**job["access"])
    work = Path(job["work"])
    if job["kind"] == "size":
        result = measure_size(
            job["products"], access, work, job["repeat"], job["annex"], job["rows"]
        )
    elif job["kind"] == "floor":
        result = floor(access, job["repeat"])
    else:
        result = prefect_overhead(access, work, job["runs"])
    result_file.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
