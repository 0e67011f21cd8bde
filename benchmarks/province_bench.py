"""``make bench``, the province: N agencies' monthly reports on 1 and on 2 Prefect workers.

    .venv/bin/python -m benchmarks.province_bench [--agencies 130] [--workers 1,2] [--limit 2]
                                                  [--out DIR]

The loopback Sheets server (benchmarks/loopback.py, in this process) serves the N agencies'
books of benchmarks/province.py; their sources are Google Sheets URLs pointing at it. A real
``prefect server start`` (a temporary PREFECT_HOME, a free port, its login on) gets one
deployment per agency (``flows.agencies.deploy_agencies``). For each worker count K: K process
workers (``prefect worker start --limit L``) with the Sheets settings and Google's real quota
(60 reads a minute) in their environment, one flow run per deployment (period 2026-05, as of
2026-06-05, nothing sent), each agency's results in a fresh folder. Measured: the wall time from
the first run created to the last run finished (the server's times), how many runs Completed,
and the most reads in any 60-second window at the Sheets server (Google's quota: 60). Printed
with ``ok``/``MISSED``; written to ``<out>/results.json``. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.loopback import LoopbackSheets
from benchmarks.run import (
    DEFAULT_OUT,
    PYCACHE,
    BenchError,
    child_env,
    machine,
    prefect_server,
)

PERIOD = "2026-05"
AS_OF = "2026-06-05"
QUOTA = 60  # Google's read requests per minute per user
WINDOW = 60.0
DEFAULT_AGENCIES = 130
DEFAULT_WORKERS = (1, 2)
DEFAULT_LIMIT = 2  # flow runs at once per worker (each a process: Python, Prefect, pandas)
AUTH = "cchc:bench-province"
TIMEOUT_S = 3600.0  # per worker count


def peak(times: list[float], window: float) -> int:
    """Most requests in any ``window`` seconds (each window starting at a request)."""
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


def prefect_command() -> str:
    found = Path(sys.executable).with_name("prefect")
    return str(found) if found.exists() else "prefect"


def start_workers(
    count: int, limit: int, pool: str, env: dict[str, str], work: Path, logs: Path, tag: str
) -> list[subprocess.Popen[bytes]]:
    workers = []
    work.mkdir(parents=True, exist_ok=True)
    for n in range(1, count + 1):
        log = (logs / f"worker-{tag}-{n}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [prefect_command(), "worker", "start", "--pool", pool, "--type", "process",
                 "--limit", str(limit), "--name", f"bench-{tag}-{n}"],
                env=env,
                cwd=work,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
            )
        )  # fmt: skip
        log.close()
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_for_workers(
    pool: str, names: set[str], workers: list[subprocess.Popen[bytes]], timeout: float = 300.0
) -> None:
    """Until every worker has reported to the server (its imports done, polling the pool)."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            online = {w.name for w in client.read_workers_for_work_pool(pool)}
            if names <= online:
                return
            if any(w.poll() is not None for w in workers):
                raise BenchError("a worker exited before it started polling, see its log")
            if time.monotonic() > deadline:
                raise BenchError(f"workers not online after {timeout:.0f} s: {names - online}")
            time.sleep(1)


def run_all(deployments: list[str], timeout: float) -> dict[str, Any]:
    """One flow run per deployment, then wait until every run is final."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    parameters = {"period": PERIOD, "as_of": AS_OF, "send": False}
    with get_client(sync_client=True) as client:
        ids = []
        for name in deployments:
            deployment = client.read_deployment_by_name(name)
            run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
            ids.append(run.id)
        deadline = time.monotonic() + timeout
        while True:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)
            )
            final = [r for r in runs if r.state is not None and r.state.is_final()]
            if len(final) == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(2)
    first = min(r.created for r in runs if r.created is not None)
    ends = [r.end_time for r in final if r.end_time is not None]
    seconds = (max(ends) - first).total_seconds() if ends else None
    states = Counter(r.state.type.value if r.state else "NONE" for r in runs)
    failed = {
        (r.deployment_id and str(r.deployment_id)) or str(r.id): (
            r.state.message if r.state else "no state"
        )
        for r in runs
        if not (r.state and r.state.is_completed())
    }
    return {
        "runs": len(ids),
        "completed": states.get("COMPLETED", 0),
        "states": dict(states),
        "seconds": round(seconds, 1) if seconds is not None else None,
        "timed_out": len(final) < len(ids),
        "not_completed": dict(list(failed.items())[:10]),
    }


def measure(
    args: argparse.Namespace, temp_dir: Path, out: Path, logs: Path
) -> list[dict[str, Any]]:
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from benchmarks.province import make_province
    from flows.agencies import deploy_agencies
    from tasks.agencies import load_agencies

    results = []
    with LoopbackSheets(temp_dir / "sheets") as sheets:

        def serve(index: int, code: str, tabs: dict[str, Any]) -> str:
            key = f"agency-{code}-0123456789abcdefghijkl"
            sheets.emulator.add_book(key, tabs)
            return f"https://docs.google.com/spreadsheets/d/{key}/edit"

        print(f"... {args.agencies} agencies' books on the loopback Sheets server", flush=True)
        province = load_agencies(make_province(args.agencies, temp_dir / "tinh", source_of=serve))
        home = temp_dir / "prefect-home"
        home.mkdir(parents=True, exist_ok=True)
        login = {"PREFECT_SERVER_API_AUTH_STRING": AUTH, "PREFECT_API_AUTH_STRING": AUTH}
        print("... prefect server start", flush=True)
        with prefect_server(home, logs / "prefect-server.log", extra=login) as api_url:
            settings = {PREFECT_API_URL: api_url, PREFECT_API_AUTH_STRING: AUTH}
            with temporary_settings(updates=settings):  # type: ignore[arg-type]
                for count in args.workers:
                    tag = f"{count}w"
                    root = out / f"ket-qua-{tag}"  # a fresh output folder per worker count
                    if root.exists():
                        import shutil

                        shutil.rmtree(root)
                    mine = province.model_copy(update={"root": str(root)})
                    names = deploy_agencies(mine, cron=None)
                    sheets_env = {
                        k: v for k, v in sheets.access.env().items() if k != "CCHC_SOURCE"
                    }
                    env = child_env(
                        {
                            **sheets_env,
                            **login,
                            "PREFECT_API_URL": api_url,
                            "PREFECT_WORKER_QUERY_SECONDS": "1",
                            "CCHC_SHEETS_QUOTA": str(QUOTA),
                            "CCHC_SHEETS_QUOTA_SECONDS": str(int(WINDOW)),
                            "CCHC_SHEETS_RATE_LIMIT": f"bench-{tag}",
                        },
                        home,
                    )
                    print(
                        f"... {count} worker(s), --limit {args.limit}: {len(names)} reports",
                        flush=True,
                    )
                    workers = start_workers(
                        count, args.limit, province.work_pool, env, temp_dir / tag, logs, tag
                    )
                    try:
                        wait_for_workers(
                            province.work_pool,
                            {f"bench-{tag}-{n}" for n in range(1, count + 1)},
                            workers,
                        )
                        sheets.reset()
                        figures = run_all(names, args.timeout)
                    finally:
                        stop_workers(workers)
                    times = sheets.emulator.read_times()
                    figures.update(
                        workers=count,
                        limit=args.limit,
                        agencies=len(names),
                        reads=len(times),
                        peak_reads=peak(times, WINDOW),
                        writes=len(sheets.emulator.writes()),
                        output=str(root),
                    )
                    print(f"    {json.dumps(figures, ensure_ascii=False)}", flush=True)
                    results.append(figures)
    return results


def rows_of(results: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for r in results:
        who = f"{r['workers']} × --limit {r['limit']}"
        shown = f"{r['seconds']:.0f} s" if r["seconds"] is not None else "—"
        if r["seconds"] is not None:
            shown += f" ({r['seconds'] / 60:.1f} min)"
        rows.append((who, f"{r['agencies']} monthly reports, first created to last finished",
                     shown, "—", ""))  # fmt: skip
        ok = r["completed"] == r["agencies"] and not r["timed_out"]
        states = ", ".join(f"{k} {v}" for k, v in sorted(r["states"].items()))
        rows.append((who, "runs Completed", f"{r['completed']}/{r['agencies']} ({states})",
                     "all", "ok" if ok else "MISSED"))  # fmt: skip
        rows.append((who, "peak Sheets reads in any 60 s", f"{r['peak_reads']} ({r['reads']} "
                     "reads in all)", f"≤ {QUOTA}",
                     "ok" if r["peak_reads"] <= QUOTA else "MISSED"))  # fmt: skip
    return rows


def format_table(rows: list[tuple[str, str, str, str, str]]) -> str:
    cells = [("workers", "figure", "value", "target", "result"), *rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("worker counts must be positive")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.province_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--agencies", type=int, default=DEFAULT_AGENCIES)
    parser.add_argument(
        "--workers",
        type=parse_counts,
        default=list(DEFAULT_WORKERS),
        help="worker counts, one measurement each (default 1,2)",
    )
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="flow runs at once per worker"
    )
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per count")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT / "province")
    parser.add_argument(
        "--no-pycache",
        action="store_true",
        help="the runs compile from source when this environment says so "
        "(PYTHONDONTWRITEBYTECODE), instead of keeping bytecode as an installed copy does",
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    PYCACHE[0] = None if args.no_pycache else DEFAULT_OUT / "pycache"
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "period": PERIOD,
        "as_of": AS_OF,
        "quota": f"{QUOTA} reads in any {WINDOW:.0f} s",
        "bytecode": "compiled from source in every process"
        if PYCACHE[0] is None
        else f"cached in {PYCACHE[0]} (PYTHONPYCACHEPREFIX), as an installed copy has it",
    }
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="cchc-bench-province-") as temp:
            results = measure(args, Path(temp), out, logs)
    except BenchError as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        return 2
    rows = rows_of(results)
    ok = all(row[4] != "MISSED" for row in rows)
    report.update(seconds=round(time.perf_counter() - started, 1), results=results, ok=ok)
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(format_table(rows))
    load = ", ".join(map(str, report["machine"]["load_average"]))
    load_end = ", ".join(map(str, report["load_average_end"]))
    print(
        f"\nLoopback Sheets server, Google's quota ({QUOTA} reads a minute) through the Prefect "
        f"rate limit. Bytecode: {report['bytecode']}.\n"
        f"Load average at start: {load}; at the end: {load_end}."
    )
    results_file = out / "results.json"
    results_file.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\n{'all targets met' if ok else 'TARGETS MISSED'}; written to {results_file}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
