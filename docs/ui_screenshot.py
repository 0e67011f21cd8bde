"""Re-take the Prefect UI picture of the docs (``make ui-pictures``; not part of the tests or CI).

A throwaway Prefect server (temporary PREFECT_HOME, a free port, no login), the monthly report of
the bundled sample run through it as `cchc report --period 2026-05 --as-of 2026-06-05 --no-send`
runs it, then headless Chromium (Debian: ``apt-get install --no-install-recommends chromium``) on
the run's page: docs/ui-run.png, the run graph with the task names and the run's logs below it.
The UI is a single-page app: Chromium is given virtual time to fetch and draw.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "docs" / "ui-run.png"
WINDOW = "1400,1560"  # tall enough for the graph and every log line of the run
RUN_NAME = "bao-cao-2026-05"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{api}/health", timeout=2)
            return
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(1)
    sys.exit("Prefect server did not start:\n" + log.read_text(errors="replace"))


def flow_run_id(api: str) -> str:
    request = urllib.request.Request(
        f"{api}/flow_runs/filter",
        data=json.dumps({"flow_runs": {"name": {"any_": [RUN_NAME]}}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        [run] = json.load(answer)
    return str(run["id"])


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is needed (Debian: apt-get install --no-install-recommends chromium)")
    with tempfile.TemporaryDirectory(prefix="cchc-ui-") as tmp:
        work = Path(tmp)
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        # Nothing of this machine's settings (.env is read from the current folder: work has none).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CCHC_"))}
        env |= {
            "PREFECT_HOME": str(work / "prefect"),
            "PREFECT_API_URL": api,  # also the address the UI calls the API at
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PYTHONPATH": str(ROOT),  # this checkout's code
            "CCHC_OUTPUT_DIR": "var",  # relative: the log lines show var/..., no machine path
        }
        log = work / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [Path(sys.executable).parent / "prefect", "server", "start"]
                + ["--host", "127.0.0.1", "--port", str(port)],
                cwd=work,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_healthy(api, server, log)
            report = [sys.executable, "-c", "from flows.cli import main; main()", "report"]
            report += ["--period", "2026-05", "--as-of", "2026-06-05", "--no-send"]
            subprocess.run(report, cwd=work, env=env, check=True, capture_output=True)
            url = f"http://127.0.0.1:{port}/runs/flow-run/{flow_run_id(api)}"
            subprocess.run(
                [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
                + [f"--window-size={WINDOW}", "--virtual-time-budget=20000"]
                + [f"--screenshot={PICTURE}", url],
                cwd=work,
                env={**env, "TZ": "Asia/Ho_Chi_Minh"},  # times as the Office reads them
                check=True,
                capture_output=True,
                timeout=180,
            )
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=60)
    print(f"{PICTURE.relative_to(ROOT)}: {url}")


if __name__ == "__main__":
    main()
