"""The Google Sheets adapter: the only module that knows gspread and google-auth.

- ``read_google_book``: every input tab in one metadata GET and one ``values:batchGet``.
- ``write_summary``: the `Tổng hợp` tab, in at most three write requests, values written RAW.
- ``init_sheet``: creates/prepares the input tabs (headers, dropdowns, protection), idempotent.

Every failure a user can act on becomes a ``SourceError`` with a Vietnamese message that names
what to do. Service-account key material never goes into a message or a log line.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import gspread
import requests
from google.auth import exceptions as auth_exceptions
from google.oauth2 import service_account
from gspread.http_client import FileType, ParamsType
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL
from openpyxl.utils import get_column_letter

from tasks.contract import (
    INPUT_TABS,
    SUMMARY_TITLE,
    UNITS,
    Column,
    TabSpec,
    find_tab,
    is_input_tab,
)
from tasks.errors import SourceError
from tasks.models import Cell, RawBook, RawTab
from tasks.settings import TIMEZONE, Settings
from tasks.text import clean_text, match_key

logger = logging.getLogger(__name__)

SHEETS_SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
# gspread bakes these roots into module constants at import (gspread.urls, 6.2.1).
_GOOGLE_ROOTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_KEY = r"[A-Za-z0-9_-]{25,}"
_BARE_KEY = re.compile(_KEY)
_SHEET_URL = re.compile(
    rf"^(?:https?://)?docs\.google\.com/spreadsheets/(?:u/\d+/)?d/({_KEY})(?:[/?#].*)?$"
)
_MISSING_CREDENTIALS = (
    "Chưa có khóa tài khoản dịch vụ Google để truy cập bảng tính. Đặt "
    "GOOGLE_APPLICATION_CREDENTIALS=<đường dẫn tệp khóa JSON> hoặc "
    "CCHC_GOOGLE_SECRET_BLOCK=<tên Prefect Secret block chứa nội dung tệp đó> "
    "(biến môi trường hoặc tệp .env)."
)


def parse_sheet_key(source: str) -> str | None:
    """The spreadsheet key of a Google Sheets URL or bare key; None for anything else (a path)."""
    text = source.strip()
    if _BARE_KEY.fullmatch(text):
        return text
    match = _SHEET_URL.match(text)
    return match.group(1) if match else None


@dataclass(frozen=True)
class RetryPolicy:
    """How long one API call may take, retries included. Tests pass a fast one."""

    timeout: float = 30.0  # seconds per HTTP request (connect and read)
    budget: float = 120.0  # seconds for one call, all attempts and waits together
    base_delay: float = 1.0  # first backoff ceiling; doubles per attempt (full jitter)
    max_delay: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


# ---------------------------------------------------------------------------------------------
# HTTP client: endpoint, timeout, bounded retries, Vietnamese errors.


class SheetsHTTPClient(gspread.HTTPClient):
    """gspread's HTTP client with our endpoint, a timeout on every request and bounded retries.

    Not gspread's ``BackOffHTTPClient``: in gspread 6.2.1 it retries 429/5xx forever (its wait
    is capped at 128 s but the attempt count is not, and it recurses), so a dead API hangs a
    scheduled run. Here: full-jitter exponential backoff, Retry-After honoured, a total budget.
    """

    def __init__(
        self,
        auth: Any,
        session: requests.Session | None = None,
        *,
        endpoint: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(auth, session)
        # Read before any request, so a 403 message can name the account to share with.
        self.account_email: str = getattr(auth, "service_account_email", "") or "(không rõ)"
        self.root: str | None = None
        self.policy: RetryPolicy
        self.configure(endpoint, policy or RetryPolicy())

    def configure(self, endpoint: str | None, policy: RetryPolicy) -> None:
        """Point at ``endpoint`` (CCHC_SHEETS_ENDPOINT; None = Google) with ``policy``."""
        root = (endpoint or "").strip().rstrip("/")
        if root.endswith("/v4/spreadsheets"):  # accept the full Sheets base URL too
            root = root[: -len("/v4/spreadsheets")]
        self.root = root or None
        self.policy = policy
        self.set_timeout(policy.timeout)

    def rewrite(self, url: str) -> str:
        """Google's URL moved onto the configured endpoint (unchanged without one)."""
        if self.root:
            for google_root in _GOOGLE_ROOTS:
                if url.startswith(google_root):
                    return self.root + url[len(google_root) :]
        return url

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        url = self.rewrite(endpoint)
        policy = self.policy
        started = policy.clock()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = self.session.request(
                    method=method,
                    url=url,
                    params=params,
                    data=data,
                    json=json,
                    files=files,
                    headers=headers,
                    timeout=self.timeout or policy.timeout,
                )
            except auth_exceptions.RefreshError as err:
                if not getattr(err, "retryable", False):
                    # The token endpoint said no (revoked or deleted key, skewed clock).
                    raise SourceError(
                        f"Google từ chối cấp quyền cho tài khoản dịch vụ {self.account_email}: "
                        "khóa có thể đã bị xóa, bị vô hiệu hóa, hoặc đồng hồ máy chủ bị lệch. "
                        "Tạo khóa JSON mới trong Google Cloud Console rồi cập nhật "
                        "GOOGLE_APPLICATION_CREDENTIALS hoặc Secret block."
                    ) from None
                problem = "máy chủ cấp quyền của Google tạm thời lỗi"
            except requests.Timeout:
                problem = f"hết thời gian chờ ({self.timeout} giây)"
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                auth_exceptions.TransportError,
            ):
                problem = "không kết nối được tới máy chủ Google"
            else:
                if response.ok:
                    if endpoint.startswith(SPREADSHEETS_API_V4_BASE_URL):
                        _check_json(response)
                    return response
                if response.status_code not in _RETRY_STATUSES:
                    raise self._final_error(endpoint, response)
                problem = f"lỗi HTTP {response.status_code}"
                if response.status_code == 429:
                    problem += " (vượt hạn mức truy cập Google Sheets API)"
                retry_after = _retry_after(response)

            ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
            delay = random.uniform(0, ceiling)
            if retry_after is not None:
                delay = max(delay, retry_after)
            elapsed = policy.clock() - started
            if elapsed + delay > policy.budget:
                raise SourceError(
                    f"Không truy cập được Google Sheets sau {attempt} lần thử trong "
                    f"{elapsed:.0f} giây (lần cuối: {problem}). Thử lại sau ít phút; "
                    "nếu lỗi lặp lại, kiểm tra kết nối mạng tới Google và hạn mức API."
                )
            logger.warning(
                "Google Sheets: %s; thử lại sau %.1f giây (lần %d).", problem, delay, attempt
            )
            policy.sleep(delay)

    def _final_error(self, endpoint: str, response: requests.Response) -> SourceError:
        status = response.status_code
        key = _key_in_url(endpoint)
        google_says = _google_message(response)
        if status == 403 and re.search(
            r"SERVICE_DISABLED|has not been used|is disabled", response.text
        ):
            return SourceError(
                "Google Sheets API chưa được bật cho dự án của tài khoản dịch vụ "
                f"{self.account_email}. Bật 'Google Sheets API' trong Google Cloud Console "
                "(APIs & Services > Library) rồi chạy lại."
            )
        if status == 403:
            return SourceError(
                f"Tài khoản dịch vụ không có quyền truy cập bảng tính {key} (HTTP 403). "
                f"Mở bảng tính, bấm 'Chia sẻ' và thêm e-mail {self.account_email} "
                "với quyền 'Người chỉnh sửa'."
            )
        if status == 404:
            return SourceError(
                f"Không tìm thấy bảng tính {key} (HTTP 404): mã hoặc đường dẫn bảng tính sai. "
                "Kiểm tra CCHC_SOURCE (hoặc --source): dán lại đường dẫn đầy đủ "
                "https://docs.google.com/spreadsheets/d/<mã>/edit hoặc chỉ phần <mã>."
            )
        if status == 401:
            return SourceError(
                f"Google không chấp nhận thông tin xác thực của tài khoản dịch vụ "
                f"{self.account_email} (HTTP 401). Kiểm tra tệp khóa JSON."
            )
        return SourceError(f"Google Sheets từ chối yêu cầu (HTTP {status}): {google_says}")


def _check_json(response: requests.Response) -> None:
    # A proxy page or a cut-off body would otherwise fail deep inside gspread's r.json().
    try:
        response.json()
    except ValueError:
        raise SourceError(
            "Máy chủ Google Sheets trả về dữ liệu không đọc được (không phải JSON hợp lệ). "
            "Thử lại sau ít phút; nếu lặp lại, kiểm tra proxy mạng hoặc CCHC_SHEETS_ENDPOINT."
        ) from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # the HTTP-date form
        return max(
            0.0, (parsedate_to_datetime(value) - datetime.now().astimezone()).total_seconds()
        )
    except (TypeError, ValueError):
        return None


def _google_message(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.reason or "không rõ lý do"


def _key_in_url(url: str) -> str:
    match = re.search(r"/spreadsheets/([^/:?]+)", url)
    return unquote(match.group(1)) if match else "(không rõ)"


# ---------------------------------------------------------------------------------------------
# Credentials and the client factory.


def load_credentials(settings: Settings) -> service_account.Credentials:
    """Service-account credentials from the key file or the Prefect Secret block."""
    info = _service_account_info(settings)
    credentials: service_account.Credentials | None
    try:
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=list(SHEETS_SCOPES)
        )
    except Exception:  # noqa: BLE001 - google-auth/cryptography errors vary; never echo them
        credentials = None
    if credentials is None:  # raised outside the except block: no chained error holds the key
        raise SourceError(
            "Khóa tài khoản dịch vụ Google không hợp lệ (thiếu trường hoặc khóa riêng bị hỏng). "
            "Tạo khóa JSON mới trong Google Cloud Console (IAM > Service Accounts > Keys)."
        )
    return credentials


def _service_account_info(settings: Settings) -> dict[str, Any]:
    raw: Any
    if settings.google_credentials:
        path = Path(settings.google_credentials)
        where = f"Tệp khóa '{path}' (GOOGLE_APPLICATION_CREDENTIALS)"
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SourceError(f"{where} không tồn tại. Kiểm tra lại đường dẫn.") from None
        except (OSError, UnicodeDecodeError):
            raise SourceError(f"{where} không đọc được (quyền truy cập tệp?).") from None
    elif settings.google_secret_block:
        name = settings.google_secret_block
        where = f"Prefect Secret block '{name}' (CCHC_GOOGLE_SECRET_BLOCK)"
        try:
            raw = _load_secret_block(name)
        except Exception:  # noqa: BLE001 - any Prefect failure means the same thing to the user
            raw = None
        if raw is None:
            raise SourceError(
                f"Không tải được {where}: kiểm tra tên block và kết nối tới Prefect server."
            )
    else:
        raise SourceError(_MISSING_CREDENTIALS)

    info: Any = raw
    if isinstance(raw, bytes | str):
        try:
            info = json.loads(raw)
        except ValueError:
            info = None  # raised below, outside the except block (the error holds the text)
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise SourceError(
            f"{where} không phải khóa JSON của tài khoản dịch vụ Google "
            '(cần trường "type": "service_account"). Tải lại tệp khóa từ Google Cloud Console.'
        )
    return info


def _load_secret_block(name: str) -> Any:
    from prefect.blocks.system import Secret  # imported here: prefect is slow to import

    secret = Secret.load(name)  # sync here; Prefect 3.9.1 types it as "value or coroutine"
    if not isinstance(secret, Secret):
        raise TypeError(f"Secret.load returned {type(secret).__name__}")
    return secret.get()


def sheets_client(settings: Settings, policy: RetryPolicy | None = None) -> SheetsHTTPClient:
    """An authorised HTTP client for the Sheets API, on CCHC_SHEETS_ENDPOINT when set.

    The lower-level calls of gspread's HTTPClient are used directly: in gspread 6.2.1
    ``open_by_key`` fetches the whole metadata but keeps only the spreadsheet properties, so
    ``worksheets()`` would fetch it a second time.
    """
    if policy is None:
        # Each request may use at most half the budget, so one retry always fits in it.
        budget = settings.sheets_retry_budget
        policy = RetryPolicy(timeout=min(RetryPolicy.timeout, budget / 2), budget=budget)
    return SheetsHTTPClient(
        load_credentials(settings), endpoint=settings.sheets_endpoint, policy=policy
    )


# ---------------------------------------------------------------------------------------------
# Reading.


def quote_title(title: str) -> str:
    """A tab title as an A1 sheet reference: always quoted, apostrophes doubled."""
    return "'" + title.replace("'", "''") + "'"


def read_google_book(settings: Settings, key: str, *, policy: RetryPolicy | None = None) -> RawBook:
    """Every input tab of the contract, as Google's UNFORMATTED values (dates as serial
    numbers); other tabs by their header row only, and never `Tổng hợp`.

    Two requests: one metadata GET and one ``values:batchGet``. Rows keep Google's ragged shape
    with ``rows[0]`` = sheet row 1 and blank rows as ``[]``.
    """
    http = sheets_client(settings, policy)
    metadata = http.fetch_sheet_metadata(key)
    titles = [
        title for title, _ in _grid_sheets(metadata) if match_key(title) != match_key(SUMMARY_TITLE)
    ]
    # A tab outside the contract is read by its header row only (it may be any size).
    ranges = [quote_title(t) if is_input_tab(t) else f"{quote_title(t)}!A1:AZ1" for t in titles]
    tabs: dict[str, RawTab] = {}
    if titles:
        response = http.values_batch_get(
            key,
            ranges,
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
                "majorDimension": "ROWS",
            },
        )
        value_ranges = response.get("valueRanges", []) if isinstance(response, dict) else []
        if len(value_ranges) != len(titles):
            raise SourceError(
                f"Google Sheets trả về {len(value_ranges)} vùng dữ liệu cho {len(titles)} tab; "
                "thử lại sau ít phút."
            )
        for title, value_range in zip(titles, value_ranges, strict=True):
            tabs[title] = RawTab(title, _tab_rows(value_range))
    read_at = datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")
    return RawBook(
        source=f"Google Sheet {key}", read_at=read_at, tabs=tabs, sheet_meta=dict(metadata)
    )


def _grid_sheets(metadata: Any) -> list[tuple[str, dict[str, Any]]]:
    """(title, sheet) of every grid tab in index order; chart-only tabs have no cells."""
    try:
        sheets = sorted(metadata["sheets"], key=lambda s: s["properties"].get("index", 0))
        return [
            (str(s["properties"]["title"]), s)
            for s in sheets
            if s["properties"].get("sheetType", "GRID") == "GRID"
        ]
    except (KeyError, TypeError, AttributeError):
        raise SourceError(
            "Thông tin bảng tính Google trả về không đúng định dạng; thử lại sau ít phút."
        ) from None


def _tab_rows(value_range: Mapping[str, Any]) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[_cell(v) for v in row] for row in value_range.get("values", [])]
    # Google starts the block at the range's first row; pad so rows[i] is sheet row i + 1.
    cells = str(value_range.get("range", "")).rpartition("!")[2]
    first = re.match(r"[A-Za-z]*(\d+)", cells)
    padding = int(first.group(1)) - 1 if first else 0
    return [[] for _ in range(padding)] + rows


def _cell(value: Any) -> Cell:
    if isinstance(value, float):
        # 3.0 -> 3 is exact below 2**53; serial dates and counts come back as ints that way.
        if value.is_integer() and abs(value) <= 2**53:
            return int(value)
        return value
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Writing `Tổng hợp`.


# Google refuses a request over 10 MB and a cell over 50 000 characters (Sheets API v4): the
# write-back stays well under both, in as many requests as it takes.
MAX_WRITE_BYTES = 4 * 1024 * 1024
MAX_CELL_CHARS = 49_000
CUT_MARK = " … [đã cắt bớt: ô quá dài]"


def write_summary(
    settings: Settings,
    key: str,
    rows: list[list[Cell]],
    *,
    metadata: dict[str, Any] | None = None,
    policy: RetryPolicy | None = None,
) -> None:
    """Replace the `Tổng hợp` tab's values with ``rows`` (creating the tab if absent).

    Writes first, then clears what the old values left below and to the right: a refused
    write leaves the previous summary in place, never an empty tab. Values are written RAW (so
    ``=IMPORTXML(...)`` stays text), over-long cells cut with a mark, in requests under Google's
    size limit (one for an ordinary summary). No other tab is touched. ``metadata``: the
    spreadsheet metadata of this run's read (RawBook.sheet_meta), to save a request.
    """
    http = sheets_client(settings, policy)
    sheets = dict(_grid_sheets(metadata or http.fetch_sheet_metadata(key)))
    title = find_tab(list(sheets), _SUMMARY_SPEC)
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    old_rows = old_cols = 0

    requests_: list[dict[str, Any]] = []
    if title is None:
        title = SUMMARY_TITLE
        requests_.append(
            {
                "addSheet": {
                    "properties": {
                        "title": title,
                        "gridProperties": {
                            "rowCount": max(height, 100),
                            "columnCount": max(width, 26),
                            "frozenRowCount": 2,  # the title line and the column headers
                        },
                    }
                }
            }
        )
    else:
        props = sheets[title]["properties"]
        grid = props.get("gridProperties", {})
        old_rows, old_cols = grid.get("rowCount", 0), grid.get("columnCount", 0)
        if height > old_rows or width > old_cols:
            # values.update does not grow the grid ("exceeds grid limits"); grow it first.
            requests_.append(
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": props.get("sheetId", 0),
                            "gridProperties": {
                                "rowCount": max(height, old_rows),
                                "columnCount": max(width, old_cols),
                            },
                        },
                        "fields": "gridProperties.rowCount,gridProperties.columnCount",
                    }
                }
            )
    if requests_:
        http.batch_update(key, {"requests": requests_})
    tab = quote_title(title)
    for start, chunk in _chunks([[_to_json(v) for v in r] for r in rows]):
        http.values_update(
            key,
            f"{tab}!A{start}",
            params={"valueInputOption": "RAW"},
            body={"majorDimension": "ROWS", "values": chunk},
        )
    leftovers = []
    last = get_column_letter(max(old_cols, 1))
    if old_rows > height:
        leftovers.append(f"{tab}!A{height + 1}:{last}{old_rows}")
    if old_cols > width and height:
        leftovers.append(f"{tab}!{get_column_letter(width + 1)}1:{last}{height}")
    if leftovers:
        http.values_batch_clear(key, body={"ranges": leftovers})


def _chunks(values: list[list[Any]]) -> Iterator[tuple[int, list[list[Any]]]]:
    """(first sheet row, rows) groups whose JSON stays under MAX_WRITE_BYTES."""
    start, size = 1, 0
    chunk: list[list[Any]] = []
    for row in values:
        row_size = len(json.dumps(row, ensure_ascii=False).encode()) + 1
        if chunk and size + row_size > MAX_WRITE_BYTES:
            yield start, chunk
            start, chunk, size = start + len(chunk), [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield start, chunk


_SUMMARY_SPEC = TabSpec("summary", SUMMARY_TITLE, ())


def _to_json(value: Cell) -> str | int | float | bool:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""  # JSON has no NaN; a blank cell is the honest rendering
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return value[: MAX_CELL_CHARS - len(CUT_MARK)] + CUT_MARK
    return value


# ---------------------------------------------------------------------------------------------
# Preparing a sheet (`cchc init-sheet`).

_HEADER_NOTE = "Dòng tiêu đề do hệ thống CCHC dùng để đọc dữ liệu — không sửa, không xóa."
_SUMMARY_NOTE = "Tab do hệ thống CCHC ghi tự động sau mỗi lần chạy — không nhập tay."


def init_sheet(
    settings: Settings,
    key: str,
    unit_codes: list[str] | None = None,
    *,
    areas: Sequence[str] = (),
    channels: Sequence[str] = (),
    kinds: Sequence[str] = (),
    policy: RetryPolicy | None = None,
) -> list[str]:
    """Prepare the spreadsheet for the input contract (DESIGN §3); safe to run again.

    Creates missing tabs with their header row; freezes and bolds header rows; adds dropdowns
    (`Đơn vị` from ``unit_codes`` or the roster, `Nội dung` from ``areas``, `Hình thức` from
    ``channels``, `Loại sản phẩm` from ``kinds``) and date checks; protects header rows and the
    `Tổng hợp` tab with a warning only. Never writes below row 1 and never rewrites an existing
    header. Returns Vietnamese lines for what changed plus what needs a person (an existing header
    missing columns); ``[]`` when the sheet was already prepared.
    """
    http = sheets_client(settings, policy)
    sheets = dict(_grid_sheets(http.fetch_sheet_metadata(key)))
    titles = list(sheets)
    existing = {spec.key: t for spec in INPUT_TABS if (t := find_tab(titles, spec)) is not None}
    headers = _existing_headers(http, key, list(existing.values()))

    if unit_codes is None:
        unit_codes = _roster_codes(http, key, existing.get("units"))
    lists: dict[str, list[str]] = {
        "unit": _unique(unit_codes),
        "area": _unique(areas),
        "channel": _unique(channels),
        "kind": _unique(kinds),
    }

    next_id = max((s["properties"].get("sheetId", 0) for s in sheets.values()), default=0) + 1
    batch: list[dict[str, Any]] = []
    header_writes: list[dict[str, Any]] = []
    notes: list[str] = []

    for spec in INPUT_TABS:
        title = existing.get(spec.key)
        if title is None:
            title, sheet_id, next_id = spec.title, next_id, next_id + 1
            batch.append(_add_sheet(sheet_id, title, len(spec.headers)))
            header_writes.append(
                {"range": f"{quote_title(title)}!A1", "values": [list(spec.headers)]}
            )
            notes.append(f"Tạo tab '{title}' với dòng tiêu đề ({len(spec.headers)} cột).")
            state = _TabState(sheet_id, frozen=0, header=list(spec.headers), fresh=True)
        else:
            state = _tab_state(sheets[title], headers.get(title))
            if not any(h for h in state.header):
                # Row 1 is blank: writing the header there cannot overwrite anything typed.
                header_writes.append(
                    {"range": f"{quote_title(title)}!A1", "values": [list(spec.headers)]}
                )
                notes.append(f"Ghi dòng tiêu đề cho tab '{title}' (dòng 1 đang trống).")
                state.header = list(spec.headers)
                state.bold = False
            else:
                present = {match_key(h) for h in state.header if h}
                missing = [c for c in spec.columns if match_key(c.header) not in present]
                if missing:
                    notes.append(_missing_columns_note(title, missing))
        batch_for_tab, tab_notes = _prepare_tab(spec, title, state, lists, sheets.get(title))
        batch += batch_for_tab
        notes += tab_notes

    summary_title = find_tab(titles, _SUMMARY_SPEC)
    if summary_title is None:
        summary_title, summary_id = SUMMARY_TITLE, next_id
        batch.append(_add_sheet(summary_id, summary_title, 26))
        notes.append(f"Tạo tab '{summary_title}' (hệ thống ghi kết quả tổng hợp vào đây).")
        summary_protected = False
    else:
        summary_id = sheets[summary_title]["properties"].get("sheetId", 0)
        summary_protected = _protected(sheets[summary_title], whole_sheet=True)
    if not summary_protected:
        batch.append(_protect({"sheetId": summary_id}, _SUMMARY_NOTE))
        notes.append(f"Bảo vệ tab '{summary_title}' (chỉ cảnh báo khi sửa tay).")

    if batch:
        http.batch_update(key, {"requests": batch})
    if header_writes:
        http.values_batch_update(key, {"valueInputOption": "RAW", "data": header_writes})
    return notes


def _missing_columns_note(title: str, missing: list[Column]) -> str:
    """What a person must add by hand: the header of a tab in use is never rewritten."""
    parts = []
    for required, label in ((True, "cột bắt buộc"), (False, "cột không bắt buộc")):
        names = [f"'{c.header}'" for c in missing if c.required == required]
        if names:
            parts.append(f"{label} {', '.join(names)}")
    return (
        f"Không sửa tab '{title}': dòng tiêu đề thiếu {' và '.join(parts)}. "
        "Hãy thêm vào dòng 1 bằng tay (thứ tự cột tùy ý)."
    )


@dataclass
class _TabState:
    sheet_id: int
    frozen: int
    header: list[str]
    bold: bool = False  # every non-blank header cell is bold already
    validations: dict[int, Any] | None = None  # column index -> row-2 rule; None for a new tab
    fresh: bool = False


def _existing_headers(
    http: SheetsHTTPClient, key: str, titles: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Rows 1-2 of each tab as grid data (values, bold, validation); one GET."""
    if not titles:
        return {}
    ranges = [f"{quote_title(t)}!1:2" for t in titles]
    metadata = http.fetch_sheet_metadata(key, params={"includeGridData": "true", "ranges": ranges})
    rows: dict[str, list[dict[str, Any]]] = {}
    for title, sheet in _grid_sheets(metadata):
        for block in sheet.get("data", []):
            if block.get("startRow", 0) == 0 and block.get("startColumn", 0) == 0:
                rows[title] = block.get("rowData", [])
    return rows


def _tab_state(sheet: dict[str, Any], row_data: list[dict[str, Any]] | None) -> _TabState:
    props = sheet["properties"]
    grid = props.get("gridProperties", {})
    row_data = row_data or []
    first = row_data[0].get("values", []) if row_data else []
    second = row_data[1].get("values", []) if len(row_data) > 1 else []
    header = [clean_text(c.get("formattedValue", "")) for c in first]
    while header and not header[-1]:
        header.pop()
    bold = all(
        c.get("userEnteredFormat", {}).get("textFormat", {}).get("bold")
        for c, text in zip(first, header, strict=False)
        if text
    )
    validations = {i: c.get("dataValidation") for i, c in enumerate(second)}
    return _TabState(
        props.get("sheetId", 0),
        grid.get("frozenRowCount", 0),
        header,
        bold=bold,
        validations=validations,
    )


def _prepare_tab(
    spec: TabSpec,
    title: str,
    state: _TabState,
    lists: dict[str, list[str]],
    sheet: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Freeze, bold, validation and protection requests for one tab, with their notes."""
    requests_: list[dict[str, Any]] = []
    notes: list[str] = []
    sid = state.sheet_id
    if not state.fresh and state.frozen < 1:
        requests_.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": 1}},
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
        notes.append(f"Cố định dòng tiêu đề tab '{title}'.")
    if not state.bold:
        requests_.append(
            {
                "repeatCell": {
                    "range": _rows(sid, 0, 1, 0, len(state.header)),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
        if not state.fresh:
            notes.append(f"In đậm dòng tiêu đề tab '{title}'.")

    positions = {match_key(h): i for i, h in enumerate(state.header) if h}
    for column in spec.columns:
        index = positions.get(match_key(column.header))
        if index is None:
            continue
        rule = _wanted_rule(column.key, column.is_date, lists)
        if rule is None:
            continue
        current = (state.validations or {}).get(index)
        if current is not None and _rule_key(current) == _rule_key(rule):
            continue
        requests_.append(
            {"setDataValidation": {"range": _rows(sid, 1, None, index, index + 1), "rule": rule}}
        )
        verb = "Cập nhật" if current else "Thêm"
        what = "kiểm tra ngày hợp lệ" if column.is_date else "danh sách chọn"
        notes.append(f"{verb} {what} cho cột '{column.header}' (tab '{title}').")

    if sheet is None or not _protected(sheet, whole_sheet=False):
        requests_.append(_protect(_rows(sid, 0, 1, None, None), _HEADER_NOTE))
        notes.append(f"Bảo vệ dòng tiêu đề tab '{title}' (chỉ cảnh báo khi sửa).")
    return requests_, notes


def _wanted_rule(column_key: str, is_date: bool, lists: dict[str, list[str]]) -> Any:
    if is_date:
        return {
            "condition": {"type": "DATE_IS_VALID"},
            "inputMessage": "Nhập ngày dạng dd/mm/yyyy, ví dụ 05/06/2026.",
            "strict": False,
        }
    # A value starting with = + @ would be taken as a formula by Sheets: leave it out of the
    # dropdown (strict=False below: it can still be typed, and normalize judges it).
    values = [v for v in lists.get(column_key, []) if not v.startswith(("=", "+", "@"))]
    if not values:
        return None
    # strict=False: typed aliases (Website, Facebook) and full unit names stay allowed; the
    # sheet only shows a warning and normalize decides.
    return {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
        "strict": False,
        "showCustomUi": True,
    }


def _rule_key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    condition = rule.get("condition", {})
    values = tuple(v.get("userEnteredValue") for v in condition.get("values", []))
    return condition.get("type"), values, bool(rule.get("strict")), bool(rule.get("showCustomUi"))


def _protected(sheet: Mapping[str, Any], *, whole_sheet: bool) -> bool:
    """Whether a protected range already covers the header row (or the whole tab)."""
    sid = sheet["properties"].get("sheetId", 0)
    for protected in sheet.get("protectedRanges", []):
        grid = protected.get("range", {})
        if grid.get("sheetId", 0) != sid or grid.get("startRowIndex", 0) != 0:
            continue
        if "startColumnIndex" in grid or "endColumnIndex" in grid:
            continue
        if whole_sheet and "endRowIndex" in grid:
            continue
        return True
    return False


def _add_sheet(sheet_id: int, title: str, columns: int) -> dict[str, Any]:
    # Choosing the sheetId ourselves lets later requests in the same batch refer to it.
    return {
        "addSheet": {
            "properties": {
                "sheetId": sheet_id,
                "title": title,
                "gridProperties": {
                    "rowCount": 1000,
                    "columnCount": max(columns, 26),
                    "frozenRowCount": 1,
                },
            }
        }
    }


def _protect(grid_range: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": grid_range,
                "description": description,
                "warningOnly": True,
            }
        }
    }


def _rows(
    sheet_id: int, start: int, end: int | None, first_col: int | None, end_col: int | None
) -> dict[str, Any]:
    """A GridRange; omitted bounds are unbounded (the whole column / row to the sheet's edge)."""
    grid: dict[str, Any] = {"sheetId": sheet_id, "startRowIndex": start}
    if end is not None:
        grid["endRowIndex"] = end
    if first_col is not None:
        grid["startColumnIndex"] = first_col
    if end_col is not None:
        grid["endColumnIndex"] = end_col
    return grid


def _roster_codes(http: SheetsHTTPClient, key: str, title: str | None) -> list[str]:
    """The `Mã đơn vị` column of the roster tab, in sheet order."""
    if title is None:
        return []
    response = http.values_batch_get(
        key, [quote_title(title)], params={"valueRenderOption": "FORMATTED_VALUE"}
    )
    ranges = response.get("valueRanges", []) if isinstance(response, dict) else []
    rows = ranges[0].get("values", []) if ranges else []
    if not rows:
        return []
    header = [match_key(clean_text(h)) for h in rows[0]]
    wanted = match_key(UNITS.columns[0].header)  # Mã đơn vị
    if wanted not in header:
        return []
    index = header.index(wanted)
    return [clean_text(r[index]) for r in rows[1:] if len(r) > index and clean_text(r[index])]


def _unique(values: Iterable[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or ():
        text = clean_text(value)
        if text and match_key(text) not in seen:
            seen[match_key(text)] = text
    return list(seen.values())
