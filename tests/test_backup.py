"""`make backup` (deploy/backup.py) on a checkout made up in a temporary folder."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.test_deploy import REPO

SECRET = "cchc:mat-khau-rat-dai-khong-ai-doan-duoc"


def make_checkout(root: Path) -> None:
    (root / "deploy").mkdir()
    shutil.copy2(REPO / "deploy" / "backup.py", root / "deploy" / "backup.py")
    (root / ".env").write_text(f"PREFECT_SERVER_API_AUTH_STRING={SECRET}\n", encoding="utf-8")
    (root / ".env").chmod(0o600)
    for name, text in {
        "config/plan-2026.yaml": "year: 2026\n",
        "templates/bao-cao.docx": "docx",
        "var/2026-05/ket-qua.json": "{}",
        "var/gui-thu.jsonl": "{}\n",
        "var/run/server.pid": "1",
        "var/log/server.log": "started\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "var" / "prefect").mkdir()
    with sqlite3.connect(root / "var" / "prefect" / "prefect.db") as db:
        db.execute("create table block_document (value text)")
        db.execute("insert into block_document values (?)", (SECRET,))
    db.close()


def clean_env(home: Path) -> dict[str, str]:
    """Nothing of ours from the environment (the settings come from the made-up .env)."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home)}


def run_backup(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "deploy/backup.py", *args],
        cwd=checkout,
        env=clean_env(checkout),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_backup_is_owner_only_and_holds_settings_database_and_state(tmp_path):
    make_checkout(tmp_path)
    done = run_backup(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "Đã sao lưu" in done.stdout

    dest = tmp_path / "var" / "backup"
    [archive] = dest.glob("cchc-backup-*.tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    with tarfile.open(archive) as tar:
        files = {m.name for m in tar.getmembers() if m.isfile()}
        assert files == {
            ".env",
            "config/plan-2026.yaml",
            "templates/bao-cao.docx",
            "var/prefect/prefect.db",
            "var/2026-05/ket-qua.json",
            "var/gui-thu.jsonl",
        }
        tar.extractall(tmp_path / "restored", filter="data")
    with sqlite3.connect(tmp_path / "restored" / "var" / "prefect" / "prefect.db") as db:
        assert db.execute("select value from block_document").fetchall() == [(SECRET,)]
    db.close()


def test_backups_go_where_they_are_told(tmp_path):
    make_checkout(tmp_path)
    elsewhere = tmp_path / "disk2" / "cchc"
    done = run_backup(tmp_path, str(elsewhere))
    assert done.returncode == 0, done.stdout + done.stderr
    [archive] = elsewhere.glob("cchc-backup-*.tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
