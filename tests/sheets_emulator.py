"""A loopback emulator of the Google Sheets API v4 endpoints gspread 6.2.1 uses, plus a token
endpoint, so the real service-account path (signed JWT -> access token -> API) runs offline.

Shapes follow Google's API reference: ragged rows with trailing blanks trimmed, blank middle rows
as ``[]``, no ``values`` key for an empty range, the echoed ``range`` with the quoted title, error
bodies ``{"error": {"code", "message", "status"}}``. Faults (429 with Retry-After, 503 forever,
403, 404, slow answers, malformed JSON) are injected per test; every request is logged.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

EPOCH = date(1899, 12, 30)  # day 0 of Google's serial dates
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth 2.63 always signs aud = Google's token URL, whatever the key file's token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# Google's limits on writes (Sheets API v4 usage limits): a request body of at most 10 MB, and
# at most 50 000 characters in one cell. Both are refused with 400, nothing written.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_CELL_CHARS = 50_000
STATUS_MESSAGES = {
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
    "per user' of service 'sheets.googleapis.com'.",
    503: "The service is currently unavailable.",
}


# The service account the tests sign in as (its key is generated per test session).
ACCOUNT_EMAIL = "cchc-bot@cchc-daklak.iam.gserviceaccount.com"
ACCOUNT_KEY_ID = "5f2c0d6e9a7b4c3d2e1f00112233445566778899"


class DateCell(float):
    """A date cell: a serial number that the FORMATTED view renders as dd/mm/yyyy."""


class Formula(str):
    """A formula cell (only USER_ENTERED input makes one; RAW keeps text as text)."""


def date_cell(day: date) -> DateCell:
    return DateCell((day - EPOCH).days)


@dataclass
class Sheet:
    id: int
    title: str
    rows: list[list[Any]] = field(default_factory=list)
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    formats: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    validations: list[tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    protected: list[dict[str, Any]] = field(default_factory=list)

    def value(self, r: int, c: int) -> Any:
        return self.rows[r][c] if r < len(self.rows) and c < len(self.rows[r]) else None

    def put(self, r: int, c: int, value: Any) -> None:
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        row.extend([None] * (c + 1 - len(row)))
        row[c] = value


@dataclass
class Book:
    title: str
    sheets: dict[str, Sheet] = field(default_factory=dict)  # insertion order = tab order


@dataclass
class Fault:
    """Answer the next ``times`` matching API requests wrongly (``times=None``: forever)."""

    status: int = 503
    times: int | None = 1
    retry_after: float | None = None
    delay: float = 0.0  # sleep before answering (a slow answer; status 200 = then answer normally)
    body: bytes | None = None  # raw body instead of Google's error JSON (e.g. malformed JSON)
    match: str = ""  # substring of the decoded request path; "" = any API request


@dataclass
class Logged:
    method: str
    path: str  # percent-decoded
    query: dict[str, list[str]]
    body: Any
    at: float = 0.0  # time.time() when the request arrived (rate checks)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class OAuthError(Exception):
    """A token-endpoint error: RFC 6749 shape {"error", "error_description"}, HTTP 400."""


class SheetsEmulator:
    """``with SheetsEmulator() as emu:`` or ``start()``/``stop()``; ``emu.url`` is the root."""

    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self.public_keys: dict[str, Any] = {}  # client_email -> public key; empty = trust any JWT
        self.tokens: set[str] = set()
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SheetsEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                emulator._dispatch(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                emulator._dispatch(self, "POST")

            def do_PUT(self) -> None:  # noqa: N802
                emulator._dispatch(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True  # a slow answer must not block stop()
        # A short poll interval: stop() waits up to one interval (0.5 s by default).
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- test helpers ------------------------------------------------------------------------
    def add_book(self, key: str, tabs: dict[str, list[list[Any]]], title: str = "CCHC") -> Book:
        book = Book(title)
        for i, (name, rows) in enumerate(tabs.items()):
            book.sheets[name] = Sheet(id=i * 1000, title=name, rows=[list(r) for r in rows])
        self.books[key] = book
        return book

    def sheet(self, key: str, title: str) -> Sheet:
        return self.books[key].sheets[title]

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def api_calls(self, contains: str = "") -> list[Logged]:
        return [e for e in self.log if e.path != "/token" and contains in e.path]

    def read_times(self) -> list[float]:
        """Arrival times of the API's read requests (GET), for quota checks."""
        return sorted(e.at for e in self.api_calls() if e.method == "GET")

    def writes(self) -> list[Logged]:
        return [e for e in self.api_calls() if e.method != "GET"]

    # -- HTTP plumbing -----------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        query = parse_qs(parts.query, keep_blank_values=True)
        path = unquote(parts.path)
        if handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            body: Any = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = json.loads(raw) if raw else None
        with self._lock:
            self.log.append(Logged(method, path, query, body, time.time()))
        headers: dict[str, str]
        try:
            if path == "/token":
                try:
                    status, payload, headers = 200, self._token(body or {}), {}
                except OAuthError as err:
                    status, headers = 400, {}
                    payload = {"error": err.args[0], "error_description": err.args[1]}
            else:
                fault = self._take_fault(path)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if fault is not None and (fault.status != 200 or fault.body is not None):
                    return self._send(handler, fault.status, *self._fault_answer(fault))
                auth = handler.headers.get("Authorization", "")
                if auth.removeprefix("Bearer ") not in self.tokens:
                    raise ApiError(401, "Request had invalid authentication credentials.")
                if len(raw) > MAX_REQUEST_BYTES:  # Google's own limit, answered before any work
                    raise ApiError(
                        400, f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes."
                    )
                with self._lock:
                    status, payload, headers = 200, self._route(method, parts.path, query, body), {}
        except (KeyError, TypeError, ValueError) as err:  # a request the emulator cannot read
            status, headers = 400, {}
            payload = {"error": {"code": 400, "message": repr(err), "status": STATUS_NAMES[400]}}
        except ApiError as err:
            status, headers = err.status, {}
            code = {"code": err.status, "message": err.message, "status": STATUS_NAMES[err.status]}
            payload = {"error": code}
        self._send(handler, status, json.dumps(payload).encode(), headers)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.match in path and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _fault_answer(self, fault: Fault) -> tuple[bytes, dict[str, str]]:
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        if fault.body is not None:
            return fault.body, headers
        message = STATUS_MESSAGES.get(fault.status, "Error")
        error = {"code": fault.status, "message": message, "status": STATUS_NAMES[fault.status]}
        return json.dumps({"error": error}).encode(), headers

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict[str, str]
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    # -- OAuth token endpoint ----------------------------------------------------------------
    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != JWT_GRANT:
            raise OAuthError("unsupported_grant_type", "Only the JWT bearer grant is emulated.")
        try:
            head, claims, signature = (_b64(p) for p in form["assertion"].split("."))
            payload = json.loads(claims)
            assert json.loads(head)["alg"] == "RS256"
            assert payload["aud"] in (GOOGLE_TOKEN_AUDIENCE, self.url + "/token")
            assert payload["exp"] > time.time() and "spreadsheets" in payload["scope"]
        except (KeyError, ValueError, AssertionError):
            raise OAuthError("invalid_grant", "Invalid JWT.") from None
        key = self.public_keys.get(payload["iss"])
        if key is not None:
            signed = form["assertion"].rsplit(".", 1)[0].encode()
            try:
                key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            except Exception:  # noqa: BLE001 - cryptography's InvalidSignature
                raise OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        token = f"emu-{len(self.tokens) + 1}"
        self.tokens.add(token)
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def trust(self, client_email: str, private_key_pem: bytes) -> None:
        private = serialization.load_pem_private_key(private_key_pem, password=None)
        self.public_keys[client_email] = private.public_key()

    # -- Sheets API ----------------------------------------------------------------------------
    def _route(self, method: str, raw_path: str, query: dict[str, list[str]], body: Any) -> Any:
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", raw_path)
        if not match:
            raise ApiError(404, "Not found: " + raw_path)
        key, rest = unquote(match.group(1)), match.group(2)
        book = self.books.get(key)
        if book is None:
            raise ApiError(404, STATUS_MESSAGES[404])
        body = body or {}
        one = {k: v[0] for k, v in query.items()}
        if method == "GET" and rest == "":
            return self._metadata(key, book, query.get("ranges", []), one)
        if method == "POST" and rest == ":batchUpdate":
            replies = [self._apply(book, request) for request in body.get("requests", [])]
            return {"spreadsheetId": key, "replies": replies}
        if method == "GET" and rest == "/values:batchGet":
            ranges = [self._read(book, r, one) for r in query.get("ranges", [])]
            return {"spreadsheetId": key, "valueRanges": ranges}
        if method == "POST" and rest == "/values:batchUpdate":
            option = body.get("valueInputOption")
            responses = [self._write(book, d["range"], d["values"], option) for d in body["data"]]
            return {"spreadsheetId": key, "responses": responses}
        if method == "POST" and rest == "/values:batchClear":
            cleared = [self._clear(book, r) for r in body.get("ranges", [])]
            return {"spreadsheetId": key, "clearedRanges": cleared}
        if rest.startswith("/values/"):
            tail = rest[len("/values/") :]
            action = tail.rsplit(":", 1)[1] if re.search(r":(clear|append)$", tail) else ""
            a1 = unquote(tail[: len(tail) - len(action) - 1] if action else tail)
            if method == "GET":
                return self._read(book, a1, one)
            if method == "PUT":
                return {"spreadsheetId": key, **self._write(book, a1, body["values"], one)}
            if action == "clear":
                return {"spreadsheetId": key, "clearedRange": self._clear(book, a1)}
            if action == "append":
                sheet = self._range(book, a1)[0]
                start = f"{quote(sheet.title)}!A{len(sheet.rows) + 1}"
                sheet.row_count = max(sheet.row_count, len(sheet.rows) + len(body["values"]))
                return {
                    "spreadsheetId": key,
                    "updates": self._write(book, start, body["values"], one),
                }
        raise ApiError(404, f"Not found: {method} {raw_path}")

    def _metadata(
        self, key: str, book: Book, ranges: list[str], query: dict[str, str]
    ) -> dict[str, Any]:
        wanted: dict[str, list[tuple[int, int, int, int]]] = {}
        for a1 in ranges:  # with ranges, Google returns only the sheets they touch
            sheet, *box = self._range(book, a1)
            wanted.setdefault(sheet.title, []).append((box[0], box[1], box[2], box[3]))
        grid = query.get("includeGridData") == "true"
        sheets = []
        for index, sheet in enumerate(book.sheets.values()):
            if ranges and sheet.title not in wanted:
                continue
            gp: dict[str, Any] = {"rowCount": sheet.row_count, "columnCount": sheet.col_count}
            if sheet.frozen_rows:  # proto3 JSON omits zero values
                gp["frozenRowCount"] = sheet.frozen_rows
            props = {"sheetId": sheet.id, "title": sheet.title, "index": index}
            entry: dict[str, Any] = {
                "properties": {**props, "sheetType": "GRID", "gridProperties": gp}
            }
            if sheet.protected:
                entry["protectedRanges"] = sheet.protected
            if grid:
                boxes = wanted.get(sheet.title, [(0, 0, sheet.row_count - 1, sheet.col_count - 1)])
                entry["data"] = [_grid_data(sheet, *box) for box in boxes]
            sheets.append(entry)
        return {
            "spreadsheetId": key,
            "properties": {"title": book.title, "locale": "vi_VN", "timeZone": "Asia/Ho_Chi_Minh"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{key}/edit",
        }

    def _apply(self, book: Book, request: dict[str, Any]) -> dict[str, Any]:
        (kind, spec), *_ = request.items()
        if kind == "addSheet":
            props = spec.get("properties", {})
            title = props.get("title") or f"Trang tính{len(book.sheets) + 1}"
            if title in book.sheets:
                raise ApiError(400, f'A sheet with the name "{title}" already exists.')
            used = {s.id for s in book.sheets.values()}
            sheet_id = props.get("sheetId", max(used, default=0) + 7)
            if sheet_id in used:
                raise ApiError(400, f"Invalid requests: sheetId {sheet_id} already exists.")
            gp = props.get("gridProperties", {})
            sheet = Sheet(sheet_id, title, [], gp.get("rowCount", 1000), gp.get("columnCount", 26))
            sheet.frozen_rows = gp.get("frozenRowCount", 0)
            book.sheets[title] = sheet
            out = {"sheetId": sheet_id, "title": title, "index": len(book.sheets) - 1}
            return {"addSheet": {"properties": {**out, "gridProperties": gp}}}
        grid = spec.get("range") or spec.get("properties") or spec["protectedRange"]["range"]
        sheet = self._by_id(book, grid.get("sheetId", 0))
        if kind == "updateSheetProperties":
            gp = spec["properties"].get("gridProperties", {})
            for name in spec["fields"].split(","):
                field_name = name.strip().removeprefix("gridProperties.")
                if field_name == "frozenRowCount":
                    sheet.frozen_rows = gp.get("frozenRowCount", 0)
                elif field_name == "rowCount":
                    sheet.row_count = gp["rowCount"]
                elif field_name == "columnCount":
                    sheet.col_count = gp["columnCount"]
            return {}
        if kind == "repeatCell":
            sheet.formats.append((spec["range"], spec["cell"].get("userEnteredFormat", {})))
            return {}
        if kind == "setDataValidation":
            sheet.validations.append((spec["range"], spec.get("rule")))
            return {}
        if kind == "addProtectedRange":
            protected = {"protectedRangeId": 100 + len(sheet.protected), **spec["protectedRange"]}
            protected.setdefault("requestingUserCanEdit", True)
            sheet.protected.append(protected)
            return {"addProtectedRange": {"protectedRange": protected}}
        raise ApiError(400, f"Unsupported request in emulator: {kind}")

    def _by_id(self, book: Book, sheet_id: int) -> Sheet:
        for sheet in book.sheets.values():
            if sheet.id == sheet_id:
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id}")

    # -- values ----------------------------------------------------------------------------
    def _range(self, book: Book, a1: str) -> tuple[Sheet, int, int, int, int]:
        """Sheet and inclusive 0-based box of an A1 range, clipped to the grid."""
        title, cells = _split_a1(a1, book)
        sheet = book.sheets.get(title)
        if sheet is None:
            raise ApiError(400, f"Unable to parse range: {a1}")
        if not cells:
            return sheet, 0, 0, sheet.row_count - 1, sheet.col_count - 1
        first, _, last = cells.partition(":")
        r0, c0 = _ref(first, 0, 0)
        r1, c1 = _ref(last or first, sheet.row_count - 1, sheet.col_count - 1)
        if last == "" and re.fullmatch(r"[A-Za-z]+\d+", first):
            r1, c1 = r0, c0
        return sheet, r0, c0, min(r1, sheet.row_count - 1), min(c1, sheet.col_count - 1)

    def _read(self, book: Book, a1: str, query: dict[str, str]) -> dict[str, Any]:
        sheet, r0, c0, r1, c1 = self._range(book, a1)
        render = query.get("valueRenderOption", "FORMATTED_VALUE")
        dates = query.get("dateTimeRenderOption", "SERIAL_NUMBER")
        values: list[list[Any]] = []
        for r in range(r0, r1 + 1):
            row = [_render(sheet.value(r, c), render, dates) for c in range(c0, c1 + 1)]
            while row and row[-1] == "":
                row.pop()
            values.append(row)
        while values and not values[-1]:
            values.pop()
        out: dict[str, Any] = {"range": _a1(sheet, r0, c0, r1, c1), "majorDimension": "ROWS"}
        if values:
            out["values"] = values
        return out

    def _write(self, book: Book, a1: str, values: list[list[Any]], option: Any) -> dict[str, Any]:
        mode = option.get("valueInputOption") if isinstance(option, dict) else option
        if mode not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "'valueInputOption' is required but not specified")
        sheet, r0, c0, _, _ = self._range(book, a1)
        height, width = len(values), max((len(v) for v in values), default=0)
        if r0 + height > sheet.row_count or c0 + width > sheet.col_count:
            raise ApiError(
                400,
                f"Range ({a1}) exceeds grid limits. Max rows: {sheet.row_count}, "
                f"max columns: {sheet.col_count}",
            )
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for row in values for v in row):
            raise ApiError(
                400,
                f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a "
                "single cell.",
            )
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                sheet.put(r0 + i, c0 + j, _parse(value) if mode == "USER_ENTERED" else value)
        updated = _a1(sheet, r0, c0, r0 + max(height, 1) - 1, c0 + max(width, 1) - 1)
        return {"updatedRange": updated, "updatedRows": height, "updatedColumns": width,
                "updatedCells": sum(len(v) for v in values)}  # fmt: skip

    def _clear(self, book: Book, a1: str) -> str:
        sheet, r0, c0, r1, c1 = self._range(book, a1)
        for r in range(r0, min(r1 + 1, len(sheet.rows))):
            for c in range(c0, min(c1 + 1, len(sheet.rows[r]))):
                sheet.rows[r][c] = None
        return _a1(sheet, r0, c0, r1, c1)


# -- A1 notation and rendering ------------------------------------------------------------------
def quote(title: str) -> str:
    """Google echoes titles quoted unless they are plain identifiers."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(r"[A-Za-z]+\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _split_a1(a1: str, book: Book) -> tuple[str, str]:
    if a1.startswith("'"):
        i, name = 1, []
        while i < len(a1):
            if a1[i] == "'" and a1[i + 1 : i + 2] == "'":
                name.append("'")
                i += 2
            elif a1[i] == "'":
                break
            else:
                name.append(a1[i])
                i += 1
        return "".join(name), a1[i + 1 :].removeprefix("!")
    if "!" in a1:
        title, _, cells = a1.partition("!")
        return title, cells
    if a1 in book.sheets:
        return a1, ""
    return next(iter(book.sheets)), a1  # a bare range means the first sheet


def _ref(text: str, default_row: int, default_col: int) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Za-z]*)(\d*)", text)
    if not match:
        raise ApiError(400, f"Unable to parse range: {text}")
    letters, digits = match.groups()
    col = default_col
    if letters:
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - 64
        col -= 1
    return (int(digits) - 1 if digits else default_row), col


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _a1(sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> str:
    return f"{quote(sheet.title)}!{_col(c0)}{r0 + 1}:{_col(c1)}{r1 + 1}"


def _render(value: Any, render: str, dates: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return str(value) if render == "FORMULA" else "#ERROR!"
    if isinstance(value, DateCell) and (render == "FORMATTED_VALUE" or dates == "FORMATTED_STRING"):
        day = EPOCH + timedelta(days=float(value))
        return day.strftime("%d/%m/%Y") + (day.strftime(" %H:%M:%S") if value % 1 else "")
    if render != "FORMATTED_VALUE":
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _parse(value: Any) -> Any:
    """USER_ENTERED: formulas become formulas and numeric text becomes a number."""
    if isinstance(value, str) and value.startswith("="):
        return Formula(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value) if "." in value else int(value)
    return value


def _covers(grid: dict[str, Any], sheet: Sheet, r: int, c: int) -> bool:
    return (
        grid.get("sheetId", 0) == sheet.id
        and grid.get("startRowIndex", 0) <= r < grid.get("endRowIndex", sheet.row_count)
        and grid.get("startColumnIndex", 0) <= c < grid.get("endColumnIndex", sheet.col_count)
    )


def _grid_data(sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> dict[str, Any]:
    """GridData for a box: values, userEnteredFormat (merged) and dataValidation per cell."""
    rows = []
    for r in range(r0, r1 + 1):
        cells = []
        for c in range(c0, c1 + 1):
            cell: dict[str, Any] = {}
            value = sheet.value(r, c)
            if value not in (None, ""):
                kind = "numberValue"
                if isinstance(value, bool | str):
                    kind = "boolValue" if isinstance(value, bool) else "stringValue"
                if isinstance(value, Formula):
                    kind = "formulaValue"
                cell["userEnteredValue"] = {kind: value}
                cell["formattedValue"] = _render(value, "FORMATTED_VALUE", "SERIAL_NUMBER")
            for grid, fmt in sheet.formats:
                if _covers(grid, sheet, r, c):
                    cell.setdefault("userEnteredFormat", {}).update(fmt)
            for grid, rule in sheet.validations:
                if _covers(grid, sheet, r, c):
                    cell.pop("dataValidation", None)
                    if rule is not None:
                        cell["dataValidation"] = rule
            cells.append(cell)
        while cells and not cells[-1]:
            cells.pop()
        rows.append({"values": cells} if cells else {})
    while rows and not rows[-1]:
        rows.pop()
    data: dict[str, Any] = {"rowData": rows}
    if r0:
        data["startRow"] = r0
    if c0:
        data["startColumn"] = c0
    return data


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
