"""Reading the source: an .xlsx workbook, a Google Sheet, or a snapshot of an earlier run.

The only stage that knows openpyxl (and, through tasks.sheets, gspread). Every source yields a
RawBook in Google's UNFORMATTED_VALUE shapes, so normalisation does not care where cells came from.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from tasks.contract import is_input_tab
from tasks.dates import EXCEL_EPOCH
from tasks.errors import OutputError, SourceError
from tasks.files import write_atomically
from tasks.models import Cell, RawBook, RawTab
from tasks.settings import TIMEZONE, Settings
from tasks.stage import stage_task
from tasks.text import clean_text

SNAPSHOT_SUFFIX = ".json.gz"
# gzip level 3: at 100 000 products a snapshot is written in ~0.4 s instead of ~3 s at the default
# level 9, for a file ~30 % larger (3.0 MB instead of 2.3 MB); reading it is as fast.
SNAPSHOT_COMPRESSION = 3
MAX_COLUMNS = 52  # A..AZ: the contract's tabs have at most 10 columns, extra ones are kept


def now_iso() -> str:
    return datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")


def read_source(settings: Settings) -> RawBook:
    """Read ``settings.source``: a Google Sheets URL or key, or an .xlsx path."""
    # Imported lazily: gspread and google-auth load slowly.
    from tasks.sheets import read_google_book
    from tasks.sheets_api import parse_sheet_key

    key = parse_sheet_key(settings.source)
    if key is not None:
        return read_google_book(settings, key)
    return read_workbook(Path(settings.source))


def read_workbook(path: Path) -> RawBook:
    """Every tab of an .xlsx file as raw cells; date cells become serial numbers."""
    if not path.exists():
        raise SourceError(
            f"Không tìm thấy tệp dữ liệu '{path}'. Kiểm tra biến CCHC_SOURCE "
            "(đường dẫn tệp .xlsx, hoặc địa chỉ Google Sheet)."
        )
    if _is_ole_file(path):
        raise SourceError(
            f"Tệp '{path.name}' có đặt mật khẩu (hoặc là tệp Excel cũ .xls): mở bằng Excel, bỏ "
            "mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi lưu lại dạng .xlsx."
        )
    from openpyxl import load_workbook  # only an .xlsx source needs it (~0.5 s to import)

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a damaged or non-xlsx file
        raise SourceError(
            f"Không mở được tệp '{path.name}' như một bảng tính .xlsx: {err}"
        ) from err
    try:
        tabs = {}
        for sheet in workbook.worksheets:
            # A tab outside the contract is kept by its header only, and no tab is read past
            # MAX_COLUMNS: one stray cell far away (XFD1048576) would otherwise cost gigabytes.
            known = is_input_tab(sheet.title)
            cells = sheet.iter_rows(
                max_row=None if known else 1, max_col=MAX_COLUMNS, values_only=True
            )
            rows = [_trim([_cell(v) for v in row]) for row in cells]
            while rows and not rows[-1]:
                rows.pop()
            tabs[sheet.title] = RawTab(sheet.title, rows)
    except ValueError as err:  # e.g. a number cell of 5 000 digits (Python's int digit limit)
        raise SourceError(f"Không đọc được tệp '{path.name}': {err}") from err
    finally:
        workbook.close()
    return RawBook(source=path.name, read_at=now_iso(), tabs=tabs)


def _is_ole_file(path: Path) -> bool:
    """A password-protected .xlsx (and an old .xls) is an OLE compound file, not a zip."""
    with contextlib.suppress(OSError), path.open("rb") as handle:
        return handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    return False


def _cell(value: object) -> Cell:
    # Google's UNFORMATTED_VALUE gives date cells as serial numbers; do the same for .xlsx.
    if isinstance(value, datetime):
        delta = value - datetime.combine(EXCEL_EPOCH, time())
        serial = delta.days + delta.seconds / 86400
        return int(serial) if serial.is_integer() else serial
    if isinstance(value, date):
        return (value - EXCEL_EPOCH).days
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _trim(row: list[Cell]) -> list[Cell]:
    """Drop trailing blanks like Google does; an all-blank row becomes []."""
    end = len(row)
    while end and (row[end - 1] is None or clean_text(row[end - 1]) == ""):
        end -= 1
    return row[:end]


def save_snapshot(raw: RawBook, folder: Path) -> Path:
    """Keep the exact values read (gzip JSON) so the report can be rebuilt; returns the file."""
    stamp = raw.read_at.replace(":", "").replace("-", "")[:15]
    path = folder / f"du-lieu-{stamp}{SNAPSHOT_SUFFIX}"
    # Written aside and renamed: a full disk must not leave a truncated snapshot that looks like
    # a good one (integrity checks and --snapshot would read it).
    try:
        payload = gzip.compress(_dumps(raw), compresslevel=SNAPSHOT_COMPRESSION, mtime=0)
        write_atomically(path, payload)
    except OSError as err:
        raise OutputError(
            f"Không ghi được ảnh chụp dữ liệu vào '{folder}': {err.strerror}"
        ) from err
    return path


def _dumps(raw: RawBook) -> bytes:
    """The snapshot's JSON (UTF-8). orjson (installed with Prefect) writes it ~5 times faster than
    json; it would write NaN or infinity as null, so a book holding one (no Google read does; an
    odd .xlsx might) is written by json, which keeps them."""
    data = raw.to_json()
    if _all_finite(raw):
        try:
            import orjson

            return orjson.dumps(data)
        except ImportError:
            pass
        except TypeError:  # an int beyond 64 bits: json writes it
            pass
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _all_finite(raw: RawBook) -> bool:
    isfinite = math.isfinite
    return all(
        isfinite(value)
        for tab in raw.tabs.values()
        for row in tab.rows
        for value in row
        if value.__class__ is float
    )


def snapshot_files(output_dir: Path) -> list[tuple[datetime, Path]]:
    """Every snapshot under ``output_dir`` (``<folder>/snapshots/``) with its read time, oldest
    first. The read time comes from the file name that save_snapshot gave it."""
    found = []
    for path in output_dir.glob(f"*/snapshots/du-lieu-*{SNAPSHOT_SUFFIX}"):
        stamp = path.name.removeprefix("du-lieu-").removesuffix(SNAPSHOT_SUFFIX)
        try:
            read_at = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(TIMEZONE))
        except ValueError:
            continue  # not one of ours
        found.append((read_at, path))
    return sorted(found)


def prune_snapshots(output_dir: Path, keep_days: int, today: date) -> list[Path]:
    """Delete snapshots older than ``keep_days``, but never the newest of each folder (period):
    every report can still be rebuilt from the data it was last made from."""
    newest: dict[Path, Path] = {}
    for _, path in snapshot_files(output_dir):
        newest[path.parent] = path  # sorted oldest first: the last one wins
    removed = []
    for read_at, path in snapshot_files(output_dir):
        if (today - read_at.date()).days > keep_days and newest[path.parent] != path:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def load_snapshot(path: Path) -> RawBook:
    """A RawBook from a snapshot written by save_snapshot."""
    try:
        with gzip.open(path, "rb") as handle:
            # json, not orjson: orjson reads an int beyond 64 bits as a float (orjson 3.13).
            return RawBook.from_json(json.loads(handle.read().decode("utf-8")))
    except FileNotFoundError as err:
        raise SourceError(f"Không tìm thấy tệp ảnh chụp dữ liệu '{path}'.") from err
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise SourceError(f"Tệp ảnh chụp dữ liệu '{path}' bị hỏng hoặc sai định dạng.") from err


read_source_task = stage_task("Đọc bảng tính")(read_source)
load_snapshot_task = stage_task("Đọc ảnh chụp dữ liệu")(load_snapshot)
save_snapshot_task = stage_task("Lưu ảnh chụp dữ liệu")(save_snapshot)
prune_snapshots_task = stage_task("Dọn ảnh chụp cũ")(prune_snapshots)
