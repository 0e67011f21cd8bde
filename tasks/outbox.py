"""The outbox folder and the send log that makes sending idempotent.

``<output>/send-log.jsonl`` (append-only JSON lines) records every e-mail sent or written to
``<output>/outbox/<key>.eml`` (no SMTP host: DESIGN §5), so that the same key, recipients and
content are never sent twice unless forced: a redeploy can start two identical scheduled runs
(DESIGN §7). ``Storage.exclusive`` (tasks/storage.py) lets one delivery at a time, on any
worker, read and append the log.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slugify import slugify

from tasks.errors import OutputError
from tasks.settings import TIMEZONE

logger = logging.getLogger(__name__)

SEND_LOG_NAME = "send-log.jsonl"
OUTBOX_DIR_NAME = "outbox"
# What a stem may not hold (path separators, dots, colons, control characters...): "-" instead.
_NOT_IN_STEM = r"[^A-Za-z0-9_-]+"
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "123456789"
}


def read_send_log(output_dir: Path) -> list[dict[str, Any]]:
    """Every entry of ``<output_dir>/send-log.jsonl``, oldest first ([] when there is none).

    A torn line (a crash while appending) is skipped with a warning, never fatal.
    """
    path = Path(output_dir) / SEND_LOG_NAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("Bỏ qua dòng %d hỏng trong %s.", number, path)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def safe_file_stem(key: str) -> str:
    """A file name stem for ``key`` that cannot leave the outbox folder: ASCII letters (Vietnamese
    ones transliterated, đ -> d), digits, ``_`` and ``-``, at most 100 characters."""
    stem = slugify(key, max_length=100, lowercase=False, regex_pattern=_NOT_IN_STEM)
    if not stem:
        return "thu"
    if stem.upper() in _WINDOWS_RESERVED:
        return f"thu-{stem}"
    return stem


def write_outbox(output_dir: Path, key: str, message: bytes) -> Path:
    """``message`` as a new ``outbox/<key>.eml`` (numbered when taken); returns the file."""
    outbox = output_dir / OUTBOX_DIR_NAME
    stem = safe_file_stem(key)
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        for number in range(1, 10_000):
            path = outbox / (f"{stem}.eml" if number == 1 else f"{stem}-{number}.eml")
            if path.resolve().parent != outbox.resolve():  # belt and braces: stay in outbox/
                raise OutputError(f"Tên thư “{key}” không dùng được làm tên tệp.")
            try:
                with open(path, "xb") as handle:  # never overwrite an earlier e-mail
                    handle.write(message)
                    handle.flush()
                    os.fsync(handle.fileno())
            except FileExistsError:
                continue
            return path
    except OSError as err:
        raise OutputError(f"Không ghi được thư vào thư mục {outbox}: {err.strerror}") from err
    raise OutputError(f"Thư mục {outbox} đã có quá nhiều thư “{key}”.")


def append_json_lines(path: Path, entries: list[dict[str, Any]]) -> None:
    """Append ``entries`` to a JSON-lines log, durably. A torn last line (a kill or a full
    disk while appending) gets its newline first, so it cannot swallow the new entries."""
    lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
    with open(path, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                lines = "\n" + lines
        handle.write(lines.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def append_send_log(output_dir: Path, entry: dict[str, Any]) -> None:
    """Append one delivery to the send log, stamped with the time it happened."""
    path = output_dir / SEND_LOG_NAME
    try:
        append_json_lines(path, [{**entry, "at": _now().isoformat(timespec="seconds")}])
    except OSError as err:
        raise OutputError(f"Không ghi được nhật ký gửi thư {path}: {err.strerror}") from err


def latest_delivery(
    entries: list[dict[str, Any]], key: str, recipients: list[str], statuses: set[str]
) -> dict[str, Any] | None:
    """The last e-mail with this key that reached exactly these recipients (or the outbox).

    The latest one decides: figures that changed and then changed back still go out again,
    since the recipients' latest e-mail holds the other figures.
    """
    for entry in reversed(entries):
        if (
            entry.get("key") == key
            and entry.get("status") in statuses
            and sorted(str(r).lower() for r in entry.get("recipients") or []) == recipients
        ):
            return entry
    return None


def entry_day(entry: dict[str, Any]) -> str:
    """The ISO day of a log entry (today when its time is unreadable)."""
    at = str(entry.get("at") or "")
    try:
        return datetime.fromisoformat(at).date().isoformat()
    except ValueError:
        return _now().date().isoformat()


def _now() -> datetime:
    return datetime.now(ZoneInfo(TIMEZONE))
