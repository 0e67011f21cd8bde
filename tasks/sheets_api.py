"""Access to the Google Sheets API: the only module that knows gspread and google-auth.

- ``sheets_client``: an authorised HTTP client with a timeout on every request and bounded
  retries, on CCHC_SHEETS_ENDPOINT when set.
- ``load_credentials``: the service account's key from a file or a Prefect Secret block.
- ``parse_sheet_key``, ``quote_title``, ``grid_sheets``: keys, A1 references and tab metadata.

Every failure a user can act on becomes a ``SourceError`` with a Vietnamese message that names
what to do. Service-account key material never goes into a message or a log line.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import gspread
import requests
from google.auth import exceptions as auth_exceptions
from google.oauth2 import service_account
from gspread.http_client import FileType, ParamsType
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from tasks.errors import SourceError
from tasks.settings import Settings
from tasks.sheets_quota import SheetsQuota, quota_of

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
        quota: SheetsQuota | None = None,
    ) -> None:
        super().__init__(auth, session)
        # Google's quota shared by every run on the Prefect server (tasks.sheets_quota).
        self.quota = quota
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
            if self.quota is not None:
                # Every attempt is a request Google counts; the wait for a slot is not part of
                # the retry budget (with many agencies it may be minutes).
                started += self.quota.take(method)
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
        load_credentials(settings),
        endpoint=settings.sheets_endpoint,
        policy=policy,
        quota=quota_of(settings),
    )


# ---------------------------------------------------------------------------------------------
# Sheet references and metadata, shared by reading, writing and set-up.


def quote_title(title: str) -> str:
    """A tab title as an A1 sheet reference: always quoted, apostrophes doubled."""
    return "'" + title.replace("'", "''") + "'"


def grid_sheets(metadata: Any) -> list[tuple[str, dict[str, Any]]]:
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
