"""The test suite's loopback Sheets API server (tests/sheets_emulator.py), set up for benchmarks.

The server runs in the benchmark's parent process, so the memory of a measured report run (a
child process) does not include the server's copy of the sheet; every request it answers is
logged and counted here. Authentication is the real service-account path: a fresh RSA key, a
key file whose ``token_uri`` is the server's, google-auth signing a JWT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from benchmarks.synthetic import synthetic_tabs
from tasks.contract import SUMMARY_TITLE
from tests.sheets_emulator import SheetsEmulator

KEY = "1CchcDakLak2026_Benchmark-TinhDakLak_0123456789"
ACCOUNT = "cchc-bench@cchc-daklak.iam.gserviceaccount.com"


@dataclass(frozen=True)
class SheetsAccess:
    """What a child process needs to reach the server (all plain, for JSON)."""

    endpoint: str
    key: str
    credentials: str  # path of the service-account key file

    def env(self) -> dict[str, str]:
        """The settings a report run reads from the environment (DESIGN §6)."""
        return {
            "CCHC_SOURCE": self.key,
            "CCHC_SHEETS_ENDPOINT": self.endpoint,
            "GOOGLE_APPLICATION_CREDENTIALS": self.credentials,
            "NO_PROXY": "127.0.0.1,localhost",
        }


@dataclass(frozen=True)
class RequestCounts:
    """Sheets API requests, split at the values read: reading the input, then the write-back."""

    read_metadata: int
    read_values: int
    writeback_reads: int
    writes: int
    other: int  # anything else before the values read (none expected)
    tokens: int  # OAuth token requests (not Sheets API requests)

    @property
    def reads(self) -> int:
        return self.read_metadata + self.read_values + self.writeback_reads + self.other

    def to_json(self) -> dict[str, Any]:
        return {
            "read_metadata": self.read_metadata,
            "read_values": self.read_values,
            "writeback_reads": self.writeback_reads,
            "reads": self.reads,
            "writes": self.writes,
            "other": self.other,
            "tokens": self.tokens,
        }


class LoopbackSheets:
    """``with LoopbackSheets(folder) as sheets:`` a running server plus a key file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.emulator = SheetsEmulator()
        self.rows: dict[str, int] = {}

    def __enter__(self) -> LoopbackSheets:
        self.emulator.start()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        self.emulator.trust(ACCOUNT, pem)  # the token endpoint checks the JWT signature
        info = {
            "type": "service_account",
            "project_id": "cchc-daklak",
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": pem.decode(),
            "client_email": ACCOUNT,
            "client_id": "100000000000000000001",
            "token_uri": self.emulator.url + "/token",
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        credentials = self.folder / "service-account.json"
        credentials.write_text(json.dumps(info), encoding="utf-8")
        self.access = SheetsAccess(self.emulator.url, KEY, str(credentials))
        return self

    def __exit__(self, *exc: object) -> None:
        self.emulator.stop()

    def load(self, products: int) -> None:
        """Serve the synthetic sheet with ``products`` rows, with a `Tổng hợp` tab as left by
        `cchc init-sheet` (1 000 rows: a big run's problem list makes it grow). ``rows``: the
        number of rows of each input tab, for checking what a run reads."""
        tabs: dict[str, list[list[Any]]] = dict(synthetic_tabs(products))
        tabs[SUMMARY_TITLE] = [["Tổng hợp kỳ trước"]]
        book = self.emulator.add_book(KEY, tabs)
        for sheet in book.sheets.values():  # a grid is at least as big as its data
            sheet.row_count = max(sheet.row_count, len(sheet.rows))
        self.rows = {title: len(rows) for title, rows in tabs.items() if title != SUMMARY_TITLE}
        self.reset()

    def reset(self) -> None:
        self.emulator.log.clear()  # between runs: no request is in flight

    def counts(self) -> RequestCounts:
        """The requests logged since ``reset``, for one report run: those up to the values read
        belong to reading the input, those after it to the write-back."""
        api = self.emulator.api_calls()
        values = [i for i, e in enumerate(api) if e.path.endswith("/values:batchGet")]
        split = values[0] + 1 if values else len(api)
        before = [e for e in api[:split] if e.method == "GET"]
        read_metadata = sum(e.path == f"/v4/spreadsheets/{KEY}" for e in before)
        read_values = 1 if values else 0
        return RequestCounts(
            read_metadata=read_metadata,
            read_values=read_values,
            writeback_reads=sum(e.method == "GET" for e in api[split:]),
            writes=sum(e.method != "GET" for e in api),
            other=len(before) - read_metadata - read_values,
            tokens=sum(e.path == "/token" for e in self.emulator.log),
        )
