"""``make bench``: how the monthly report scales to a province-size sheet, against its targets.

    .venv/bin/python -m benchmarks.run [--sizes 1000,10000,100000] [--no-prefect] [--out DIR]

For each size (products in `Tin bài`; 300 units; concretisation, unit-report and dossier rows in
proportion, see benchmarks/synthetic.py) a fresh child process measures normalise, verify and
compile (the monthly report 2026-11 with its annex), one end-to-end run against the loopback
Sheets server (read -> normalize -> verify -> compile -> `Tổng hợp` write-back), and its own peak
memory; the server, in this process, counts the Sheets API requests of that run. Then the same
monthly report (10 000 products) runs as a Prefect flow against a real local server, started
here, and as plain function calls. Every figure is printed beside its target with ``ok`` or
``MISSED``; the table also goes to ``<out>/results.json``. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.commands import (
    Timed,
    cchc_executable,
    index_history,
    newest_snapshot,
    prefill_history,
    report_stages,
    stage_summary,
    time_command,
)
from benchmarks.loopback import LoopbackSheets, RequestCounts, SheetsAccess
from benchmarks.synthetic import PERIOD, UNIT_COUNT

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_OUT = REPO_ROOT / "var" / "bench"
REPEAT = 3  # stage timings: the median of this many calls
PREFECT_SIZE = 10_000
PREFECT_RUNS = 3

# Targets (issue 8), on the 2-core reference machine.
BIG = 100_000
NORMALISE_VERIFY_MAX_S = 3.0  # at BIG products
PEAK_MAX_MB = 600.0  # at BIG products
ANNEX = 5_000
ANNEX_MAX_S = 5.0  # a monthly report whose annex lists ANNEX products
GROWTH_FROM, GROWTH_TO = 10_000, 100_000  # normalise + verify may grow at most linearly
MAX_WRITES = 3
PREFECT_MAX_OVERHEAD_S = 3.0

# The commands, end to end (issue 18).
COMMAND_SIZES = (10_000, 100_000)
COMMAND_RUNS = 2  # report runs each way (no history / with history); the fastest counts
HISTORY = 250  # earlier snapshots in the output folder: a year of daily checks and reminders
REPORT_ARGS = ["report", "--period", "2026-05", "--no-send"]
REMIND_AS_OF = "2026-11-27"  # a working day (remind skips other days): the synthetic data's last
REPORT_MAX_FLOORS = 5.0  # at BIG products: cchc report <= this many floors
SMALL = 10_000
REPORT_SMALL_MAX_FLOORS = 3.0  # at SMALL products: <= this many floors + the command's start-up
CHECK_MAX_FLOORS = 3.0  # at BIG products
DEMO_MAX_S = 20.0
HISTORY_MAX_EXTRA = 0.10  # at BIG: with HISTORY snapshots at most 10 % dearer than with none


NOTES = """
Timings: median of {repeat} calls after a warm-up in the same process (end-to-end: one run, the
loopback server's own work included). Peak memory: ru_maxrss of the child process that made
the report run, MB = 10^6 bytes. Prefect: median of {prefect_runs} runs each way, server start
excluded. Bytecode: {bytecode}. Load average at start: {load}."""


class BenchError(Exception):
    """A measurement could not be made (a child process or the Prefect server failed)."""


@dataclass
class Row:
    """One line of the table: a figure beside its target."""

    size: int | None
    figure: str
    value: float | None
    unit: str
    shown: str
    target: str = "—"
    status: str = ""  # "ok", "MISSED", or "" when the figure has no target


def judged(row: Row, met: bool) -> Row:
    row.status = "ok" if met else "MISSED"
    return row


# ---------------------------------------------------------------------------- child processes


# Where the children keep their compiled bytecode (None: as this environment says). An
# installed copy has its .pyc files (pip compiles them), but a checkout run with
# PYTHONDONTWRITEBYTECODE set (as on the shared benchmark machine) compiles Prefect, pandas and
# matplotlib from source in every process: ~10-15 s more per command under load.
PYCACHE: list[Path | None] = [DEFAULT_OUT / "pycache"]


def child_env(extra: dict[str, str], prefect_home: Path) -> dict[str, str]:
    """The environment of a child: this one without CCHC_/PREFECT_ settings, plus ``extra``;
    with a bytecode cache of its own (``PYCACHE``) unless told otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCHC_", "PREFECT_"))}
    if PYCACHE[0] is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE[0])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PREFECT_HOME"] = str(prefect_home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return {**env, **extra}


def run_child(job: dict[str, Any], env: dict[str, str], work: Path, log: Path) -> dict[str, Any]:
    """``python -m benchmarks.worker`` on ``job`` in ``work`` (no .env of a checkout applies)."""
    work.mkdir(parents=True, exist_ok=True)
    job_file, result_file = work / "job.json", work / "result.json"
    job_file.write_text(json.dumps({**job, "work": str(work)}), encoding="utf-8")
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", str(job_file), str(result_file)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-15:])
        raise BenchError(f"{job['kind']} job failed (exit {done.returncode}), see {log}:\n{tail}")
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    return result


# ------------------------------------------------------------------------------ Prefect server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def prefect_server(
    home: Path, log: Path, timeout: float = 180.0, extra: dict[str, str] | None = None
) -> Iterator[str]:
    """A real local Prefect server (SQLite in ``home``) on a free loopback port; yields its API
    URL once /api/health answers, and stops it (its whole process group) afterwards. ``extra``:
    more environment for the server (its login, ``PREFECT_SERVER_API_AUTH_STRING``)."""
    executable = Path(sys.executable).with_name("prefect")
    command = str(executable) if executable.exists() else shutil.which("prefect") or "prefect"
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = child_env(extra or {}, home)
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [command, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one below
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise BenchError(f"prefect server exited ({server.returncode}), see {log}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"prefect server not healthy after {timeout:.0f} s, see {log}")
            time.sleep(0.5)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


# ---------------------------------------------------------------------------------- the table


def size_rows(size: int, figures: dict[str, Any], requests: RequestCounts) -> list[Row]:
    nv = figures["normalise_s"] + figures["verify_s"]
    rows = [
        Row(size, "normalise", figures["normalise_s"], "s", f"{figures['normalise_s']:.2f} s"),
        Row(size, "verify", figures["verify_s"], "s", f"{figures['verify_s']:.2f} s"),
        Row(size, "normalise + verify", nv, "s", f"{nv:.2f} s"),
        Row(
            size,
            f"compile (report {PERIOD}, {figures['window_products']:,} in annex)",
            figures["compile_s"],
            "s",
            f"{figures['compile_s']:.2f} s",
        ),
        Row(
            size,
            "end-to-end (Sheets -> report -> Tổng hợp)",
            figures["end_to_end_s"],
            "s",
            f"{figures['end_to_end_s']:.2f} s",
        ),
        Row(
            size,
            "peak memory of a report run (ru_maxrss)",
            figures["peak_rss_mb"],
            "MB",
            f"{figures['peak_rss_mb']:.0f} MB",
        ),
    ]
    if size == BIG:
        rows[2].target = f"< {NORMALISE_VERIFY_MAX_S:g} s"
        judged(rows[2], nv < NORMALISE_VERIFY_MAX_S)
        rows[5].target = f"< {PEAK_MAX_MB:.0f} MB"
        judged(rows[5], figures["peak_rss_mb"] < PEAK_MAX_MB)
    extra = requests.reads - 2
    shown = f"{requests.reads} ({requests.read_metadata} metadata + {requests.read_values} values"
    shown += f" + {extra} more)" if extra else ")"
    rows.append(
        judged(
            Row(size, "Sheets reads per report run", requests.reads, "", shown, "1 + 1"),
            requests.read_metadata == 1 and requests.read_values == 1 and requests.reads == 2,
        )
    )
    rows.append(
        judged(
            Row(
                size,
                "Sheets writes per report run",
                requests.writes,
                "",
                str(requests.writes),
                f"≤ {MAX_WRITES}",
            ),
            requests.writes <= MAX_WRITES,
        )
    )
    return rows


def overall_rows(sizes: dict[int, dict[str, Any]], prefect: dict[str, Any] | None) -> list[Row]:
    rows = []
    annexed = [f for f in sizes.values() if "annex_compile_s" in f]
    if annexed:
        seconds = annexed[0]["annex_compile_s"]
        rows.append(
            judged(
                Row(
                    None,
                    f"monthly report with {ANNEX:,} products in annex (compile)",
                    seconds,
                    "s",
                    f"{seconds:.2f} s",
                    f"< {ANNEX_MAX_S:g} s",
                ),
                seconds < ANNEX_MAX_S,
            )
        )
    if GROWTH_FROM in sizes and GROWTH_TO in sizes:

        def nv(size: int) -> float:
            return float(sizes[size]["normalise_s"] + sizes[size]["verify_s"])

        ratio = nv(GROWTH_TO) / nv(GROWTH_FROM)
        limit = GROWTH_TO / GROWTH_FROM
        rows.append(
            judged(
                Row(
                    None,
                    f"normalise + verify, {GROWTH_TO:,} / {GROWTH_FROM:,} products",
                    ratio,
                    "x",
                    f"{ratio:.1f}×",
                    f"≤ {limit:g}× (linear)",
                ),
                ratio <= limit,
            )
        )
    if prefect is not None:
        shown = (
            f"+{prefect['overhead_s']:.2f} s ({prefect['ratio']:.2f}×: "
            f"{prefect['flow_s']:.2f} s vs {prefect['plain_s']:.2f} s)"
        )
        rows.append(
            judged(
                Row(
                    None,
                    f"Prefect flow run vs plain calls ({PREFECT_SIZE:,} products)",
                    prefect["overhead_s"],
                    "s",
                    shown,
                    f"< {PREFECT_MAX_OVERHEAD_S:g} s",
                ),
                prefect["overhead_s"] < PREFECT_MAX_OVERHEAD_S,
            )
        )
    return rows


def format_table(rows: list[Row]) -> str:
    header = ("size", "figure", "value", "target", "result")
    cells = [header] + [
        (f"{r.size:,}" if r.size else "all", r.figure, r.shown, r.target, r.status) for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def machine() -> dict[str, Any]:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f"{total_kib / 1024**2:.1f} GiB"
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # others' work skews timings
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "memory": memory,
    }


# ------------------------------------------------------------------------------------------ main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive numbers of products")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="products per synthetic sheet, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--no-prefect", action="store_true", help="skip the Prefect comparison")
    parser.add_argument(
        "--no-commands", action="store_true", help="skip timing the cchc commands end to end"
    )
    parser.add_argument(
        "--command-sizes",
        type=parse_sizes,
        default=list(COMMAND_SIZES),
        help="products per sheet for the command timings (default 10000,100000)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=HISTORY,
        help=f"earlier snapshots in the report's output folder (default {HISTORY})",
    )
    parser.add_argument(
        "--command-runs",
        type=int,
        default=COMMAND_RUNS,
        help=f"report runs each way, the fastest counts (default {COMMAND_RUNS})",
    )
    parser.add_argument("--no-demo", action="store_true", help="skip timing `make demo`")
    parser.add_argument(
        "--cold-history",
        action="store_true",
        help="also time one report whose earlier snapshots were never recorded in their "
        "folder's index (each is read once: ~1 s per snapshot at 100 000 products)",
    )
    parser.add_argument(
        "--no-pycache",
        action="store_true",
        help="children compile from source when this environment says so "
        "(PYTHONDONTWRITEBYTECODE), instead of keeping bytecode as an installed copy does",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for results.json")
    parser.add_argument(
        "--repeat", type=int, default=REPEAT, help="stage timings: median of N calls (default 3)"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    PYCACHE[0] = None if args.no_pycache else out / "pycache"
    (out / "logs").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": machine(),
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "units": UNIT_COUNT,
        "period": PERIOD,
        "memory_measure": "peak_rss_mb: resource.getrusage(RUSAGE_SELF).ru_maxrss of the "
        "child process of each size after its warm-up and one end-to-end report run (the Sheets "
        "server runs in the parent process), in MB of 10^6 bytes; peak_rss_all_mb: the same "
        "after the repeated stage timings as well",
        "timing": f"median of {args.repeat} calls after a warm-up in the same process; "
        "end-to-end: one run",
        "bytecode": "compiled from source in every process"
        if PYCACHE[0] is None
        else f"cached in {PYCACHE[0]} (PYTHONPYCACHEPREFIX), as an installed copy has it",
    }
    sizes: dict[int, dict[str, Any]] = {}
    prefect: dict[str, Any] | None = None
    commands: dict[str, Any] | None = None
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cchc-bench-") as temp:
            temp_dir = Path(temp)
            with LoopbackSheets(temp_dir / "sheets") as sheets:
                for size in args.sizes:
                    print(f"... {size:,} products", flush=True)
                    sheets.load(size)
                    job = {
                        "kind": "size",
                        "products": size,
                        "access": asdict(sheets.access),
                        "repeat": args.repeat,
                        "annex": ANNEX if size == args.sizes[-1] else 0,
                        "rows": sheets.rows,
                    }
                    env = child_env(sheets.access.env(), temp_dir / "prefect-home")
                    figures = run_child(
                        job, env, temp_dir / f"size-{size}", out / "logs" / f"size-{size}.log"
                    )
                    requests = sheets.counts()
                    figures["requests"] = requests.to_json()
                    sizes[size] = figures
                    rows += size_rows(size, figures, requests)
                if not (args.no_prefect and args.no_commands):
                    home = temp_dir / "prefect-home"
                    home.mkdir(parents=True, exist_ok=True)
                    server_log = out / "logs" / "prefect-server.log"
                    with prefect_server(home, server_log) as api_url:
                        if not args.no_prefect:
                            print(
                                f"... Prefect flow vs plain calls, {PREFECT_SIZE:,} products",
                                flush=True,
                            )
                            sheets.load(PREFECT_SIZE)
                            logs = out / "logs"
                            prefect = measure_prefect(sheets.access, temp_dir, logs, api_url)
                        if not args.no_commands:
                            commands = measure_commands(
                                sheets,
                                api_url,
                                temp_dir,
                                out / "logs",
                                args.command_sizes,
                                args.history,
                                args.command_runs,
                                demo=not args.no_demo,
                                cold_history=args.cold_history,
                            )
    except BenchError as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        return 2
    rows += overall_rows(sizes, prefect)
    if commands is not None:
        rows += command_rows(commands)
    ok = all(r.status != "MISSED" for r in rows)
    report.update(
        {
            "seconds": round(time.perf_counter() - started, 1),
            "sizes": {str(size): figures for size, figures in sizes.items()},
            "prefect": prefect,
            "commands": commands,
            "rows": [asdict(r) for r in rows],
            "ok": ok,
        }
    )
    print()
    print(format_table(rows))
    load = ", ".join(map(str, report["machine"]["load_average"]))
    notes = NOTES.format(
        repeat=args.repeat, prefect_runs=PREFECT_RUNS, load=load, bytecode=report["bytecode"]
    )
    print(notes)
    results = out / "results.json"
    results.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\n{'all targets met' if ok else 'TARGETS MISSED'}; written to {results}")
    return 0 if ok else 1


def measure_prefect(
    access: SheetsAccess, temp_dir: Path, logs: Path, api_url: str
) -> dict[str, Any]:
    """The alternated flow and plain runs in a child, against the running server. Without the
    Sheets quota (CCHC_SHEETS_QUOTA=0): plain calls are outside a run and never take its slots,
    and on SQLite a slot's request now and then meets a write of the run's own logs and is
    retried 2 s later (see docs/performance.md), which is not what this compares."""
    extra = {**access.env(), "PREFECT_API_URL": api_url, "CCHC_SHEETS_QUOTA": "0"}
    env = child_env(extra, temp_dir / "prefect-home")
    job = {"kind": "prefect", "access": asdict(access), "runs": PREFECT_RUNS}
    return run_child(job, env, temp_dir / "prefect", logs / "prefect-runs.log")


# ------------------------------------------------------------------------------- the commands


def _timed_json(timed: Timed) -> dict[str, Any]:
    return asdict(timed)


def measure_commands(
    sheets: LoopbackSheets,
    api_url: str,
    temp_dir: Path,
    logs: Path,
    sizes: list[int],
    history: int,
    runs: int,
    demo: bool,
    cold_history: bool = False,
) -> dict[str, Any]:
    """Each command as a child process (see benchmarks/commands.py), with the floor measured
    beside it on the same sheet: ``cchc --help``, the start-up (the report on the sheet with no
    data rows, ``runs`` times, the fastest counts), then per size the floor, the report
    into fresh output folders without and with ``history`` earlier snapshots (alternated,
    ``runs`` each), ``cchc check`` and ``cchc remind``; last ``make demo`` twice."""
    home = temp_dir / "prefect-home"
    work = temp_dir / "commands"
    cchc = cchc_executable()
    result: dict[str, Any] = {"history": history, "runs": runs, "sizes": {}}
    print("... cchc --help", flush=True)
    helps = [
        time_command([cchc, "--help"], child_env({}, home), work / "help", logs / "cchc-help.log")
        for _ in range(3)
    ]
    result["help_s"] = min(t.seconds for t in helps)

    def env_for(output: Path) -> dict[str, str]:
        extra = {**sheets.access.env(), "PREFECT_API_URL": api_url}
        return child_env({**extra, "CCHC_OUTPUT_DIR": str(output)}, home)

    def report(name: str, output: Path, size: int) -> dict[str, Any]:
        started = datetime.now(UTC)
        timed = time_command(
            [cchc, *REPORT_ARGS], env_for(output), output, logs / f"report-{size}-{name}.log"
        )
        if timed.exit_code != 0:
            raise BenchError(f"cchc report exited {timed.exit_code}, see {timed.log}")
        timed.flow_run_s, timed.stages = report_stages(api_url, started)
        return _timed_json(timed)

    # The command's own start-up: everything a report costs whatever the sheet holds (Python,
    # Prefect's and pandas' imports, the flow run on the server, a report of the empty roster).
    print("... cchc report on the sheet with no data rows (the command's start-up)", flush=True)
    sheets.load(0)
    empties = [report(f"empty-{i}", work / f"empty-{i}", 0) for i in range(runs)]
    result["startup_s"] = min(float(run["seconds"]) for run in empties)
    for size in sizes:
        print(f"... commands, {size:,} products ({history} earlier snapshots)", flush=True)
        sheets.load(size)
        floor_job = {"kind": "floor", "access": asdict(sheets.access), "repeat": 3}
        floor = run_child(
            floor_job, env_for(work / "floor"), work / f"floor-{size}", logs / f"floor-{size}.log"
        )

        plain: list[dict[str, Any]] = []
        with_history: list[dict[str, Any]] = []
        for i in range(runs):
            plain.append(report(f"none-{i}", work / f"{size}-none-{i}", size))
            output = work / f"{size}-history-{i}"
            snapshot = newest_snapshot(work / f"{size}-none-0")
            index_history(snapshot, prefill_history(snapshot, output, history, datetime.now(UTC)))
            with_history.append(report(f"history-{i}", output, size))
        cold: dict[str, Any] | None = None
        if cold_history:  # the same, but no snapshot recorded yet: each is read once
            output = work / f"{size}-history-cold"
            snapshot = newest_snapshot(work / f"{size}-none-0")
            prefill_history(snapshot, output, history, datetime.now(UTC))
            cold = report("history-cold", output, size)
        check = time_command(
            [cchc, "check"], env_for(work / f"{size}-check"), work / f"{size}-check",
            logs / f"check-{size}.log",
        )  # fmt: skip
        remind = time_command(
            [cchc, "remind", "--no-send", "--as-of", REMIND_AS_OF],
            env_for(work / f"{size}-remind"),
            work / f"{size}-remind",
            logs / f"remind-{size}.log",
        )
        if remind.exit_code != 0:
            raise BenchError(f"cchc remind exited {remind.exit_code}, see {remind.log}")
        if check.exit_code != 0:  # data problems are listed, not an exit code; 2: structure
            raise BenchError(f"cchc check exited {check.exit_code}, see {check.log}")
        result["sizes"][str(size)] = {
            "floor": floor,
            "report_none": plain,
            "report_history": with_history,
            "report_history_cold": cold,
            "check": _timed_json(check),
            "remind": _timed_json(remind),
        }
    if demo:
        print("... make demo (twice: a fresh PREFECT_HOME, then again)", flush=True)
        demo_env = child_env(
            # a port nothing listens on: no `make up` server of this machine is borrowed
            {"CCHC_OUTPUT_DIR": str(work / "demo"), "CCHC_UI_PORT": str(free_port())},
            temp_dir / "demo-prefect-home",
        )
        make = shutil.which("make") or "make"
        result["demo"] = [
            _timed_json(
                time_command(
                    [make, "--no-print-directory", "-C", str(REPO_ROOT), "demo"],
                    demo_env,
                    work / "demo",
                    logs / f"demo-{i}.log",
                )
            )
            for i in range(2)
        ]
        for run in result["demo"]:
            if run["exit_code"] != 0:
                raise BenchError(f"make demo exited {run['exit_code']}, see {run['log']}")
    return result


def _fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: float(r["seconds"]))


def command_rows(commands: dict[str, Any]) -> list[Row]:
    startup, help_s = float(commands["startup_s"]), float(commands["help_s"])
    history = commands["history"]
    rows = [
        Row(None, "cchc --help (the command line alone)", help_s, "s", f"{help_s:.2f} s"),
        Row(
            None,
            "start-up: cchc report on the sheet with no data rows",
            startup,
            "s",
            f"{startup:.2f} s",
        ),
    ]
    for size_text, figures in commands["sizes"].items():
        size = int(size_text)
        floor = float(figures["floor"]["floor_s"])
        rows.append(
            Row(
                size,
                "floor: metadata GET + batchGet (gspread), frames, dates, per unit",
                floor,
                "s",
                f"{floor:.2f} s",
            )
        )

        def vs_floor(seconds: float, floor: float = floor) -> str:
            return f"{seconds:.2f} s ({seconds / floor:.1f}× floor)"

        none, full = _fastest(figures["report_none"]), _fastest(figures["report_history"])
        rows.append(
            Row(
                size,
                "cchc report --period 2026-05 --no-send, no earlier snapshots",
                none["seconds"],
                "s",
                vs_floor(none["seconds"]),
            )
        )
        row = Row(
            size,
            f"cchc report --period 2026-05 --no-send, {history} earlier snapshots",
            full["seconds"],
            "s",
            vs_floor(full["seconds"]),
        )
        if size == BIG:
            limit = REPORT_MAX_FLOORS * floor
            row.target = f"≤ {REPORT_MAX_FLOORS:g}× floor ({limit:.1f} s)"
            judged(row, full["seconds"] <= limit)
        elif size == SMALL:
            limit = REPORT_SMALL_MAX_FLOORS * floor + startup
            row.target = f"≤ {REPORT_SMALL_MAX_FLOORS:g}× floor + start-up ({limit:.1f} s)"
            judged(row, full["seconds"] <= limit)
        rows.append(row)
        if full["flow_run_s"] is not None:
            outside = full["seconds"] - full["flow_run_s"]
            rows.append(
                Row(
                    size,
                    "  of which outside the flow run (start-up, imports, exit)",
                    outside,
                    "s",
                    f"{outside:.2f} s",
                )
            )
        for name, seconds in stage_summary(full["stages"]):
            rows.append(Row(size, f"  task {name}", seconds, "s", f"{seconds:.2f} s"))
        cold = figures.get("report_history_cold")
        if cold is not None:
            seconds = float(cold["seconds"])
            rows.append(
                Row(
                    size,
                    f"  the same, {history} snapshots not recorded yet (each read once)",
                    seconds,
                    "s",
                    vs_floor(seconds),
                )
            )
        peak = max(float(r["peak_mb"]) for r in figures["report_none"] + figures["report_history"])
        row = Row(size, "peak memory of cchc report (ru_maxrss)", peak, "MB", f"{peak:.0f} MB")
        if size == BIG:
            row.target = f"≤ {PEAK_MAX_MB:.0f} MB"
            judged(row, peak <= PEAK_MAX_MB)
        rows.append(row)
        extra = full["seconds"] / none["seconds"] - 1
        row = Row(
            size,
            f"cchc report, {history} earlier snapshots vs none",
            extra,
            "",
            f"{extra:+.0%}",
        )
        if size == BIG:
            row.target = f"≤ +{HISTORY_MAX_EXTRA:.0%}"
            judged(row, extra <= HISTORY_MAX_EXTRA)
        rows.append(row)
        check = figures["check"]
        row = Row(size, "cchc check", check["seconds"], "s", vs_floor(check["seconds"]))
        if size == BIG:
            limit = CHECK_MAX_FLOORS * floor
            row.target = f"≤ {CHECK_MAX_FLOORS:g}× floor ({limit:.1f} s)"
            judged(row, check["seconds"] <= limit)
        rows.append(row)
        remind = figures["remind"]
        rows.append(
            Row(
                size,
                f"cchc remind --no-send --as-of {REMIND_AS_OF}",
                remind["seconds"],
                "s",
                vs_floor(remind["seconds"]),
            )
        )
    if commands.get("demo"):
        first, again = commands["demo"]
        rows.append(
            judged(
                Row(
                    None,
                    "make demo (installed; a fresh PREFECT_HOME)",
                    first["seconds"],
                    "s",
                    f"{first['seconds']:.1f} s",
                    f"≤ {DEMO_MAX_S:g} s",
                ),
                first["seconds"] <= DEMO_MAX_S,
            )
        )
        rows.append(
            Row(None, "make demo, again", again["seconds"], "s", f"{again['seconds']:.1f} s")
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
