"""`make backup`: one archive of all the office system needs back after a disk failure.

In it, laid out as in the checkout (restore: ``tar -xzf ARCHIVE -C <checkout>``):
``.env``, ``config/``, ``templates/``, ``var/prefect/prefect.db`` (a consistent copy made with
SQLite's backup API while the server runs) and the output folder's state under ``var/`` (reports,
``ket-qua.json``, snapshots, send and reminder logs, outbox; not pid files, logs or backups).

The archive holds secrets (``.env``, every Secret block in clear in ``prefect.db``): it is written
under umask 077, mode 0600, in a folder of mode 0700. Nothing secret is printed.

Usage: python deploy/backup.py [DEST]   (default $CCHC_BACKUP_DIR, else var/backup)
Archives older than $CCHC_BACKUP_KEEP_DAYS (90) in DEST are deleted.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (".env", "config", "templates")
# Not state: rebuilt at each start (pids), kept by the system's own rotation (logs), or this.
SKIPPED = {"prefect", "run", "log", "backup"}
PREFIX = "cchc-backup-"


def setting(name: str, default: str) -> str:
    """From the environment, else the checkout's .env, as the settings are read."""
    env_file = ROOT / ".env"
    saved = dotenv_values(env_file) if env_file.exists() else {}
    return os.environ.get(name) or saved.get(name) or default


def backup(dest: Path, keep_days: int) -> tuple[Path, int]:
    """Write the archive into ``dest``; returns its path and the number of files in it."""
    os.umask(0o077)
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)
    output = (ROOT / setting("CCHC_OUTPUT_DIR", "var")).resolve()
    database = Path(setting("PREFECT_HOME", str(ROOT / "var" / "prefect"))) / "prefect.db"
    archive = dest / f"{PREFIX}{datetime.now():%Y-%m-%d-%H%M%S}.tar.gz"
    count = 0
    fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name in SETTINGS:
            if (ROOT / name).exists():
                tar.add(ROOT / name, arcname=name)
        if database.exists():
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "prefect.db"
                _copy_database(database, copy)
                tar.add(copy, arcname="var/prefect/prefect.db")
        if output.is_dir():
            for entry in sorted(output.iterdir()):
                if entry.name not in SKIPPED and entry.resolve() != dest.resolve():
                    tar.add(entry, arcname=f"var/{entry.name}")
        count = sum(1 for member in tar.getmembers() if member.isfile())
    _prune(dest, keep_days)
    return archive, count


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the server writes."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _prune(dest: Path, keep_days: int) -> None:
    cutoff = time.time() - keep_days * 86400
    for old in dest.glob(f"{PREFIX}*.tar.gz"):
        if old.stat().st_mtime < cutoff:
            old.unlink()


def main(argv: list[str]) -> None:
    dest = Path(argv[0] if argv else setting("CCHC_BACKUP_DIR", "var/backup"))
    dest = dest if dest.is_absolute() else ROOT / dest
    archive, count = backup(dest, int(setting("CCHC_BACKUP_KEEP_DAYS", "90")))
    size = archive.stat().st_size / 1e6
    print(f"Đã sao lưu {count} tệp vào {archive} ({size:.1f} MB, chỉ chủ sở hữu đọc được).")
    print(
        "Bản sao lưu chứa mật khẩu (.env, Secret block trong prefect.db): "
        "chép ra ngoài máy thì mã hoá trước (gpg --symmetric)."
    )


if __name__ == "__main__":
    main(sys.argv[1:])
