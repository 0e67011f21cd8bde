"""The Google Sheets adapter against the loopback emulator, over real HTTP, with a real
service-account key (google-auth signs a JWT and fetches a token from the emulator)."""

from __future__ import annotations

import copy
import json
import socket
import time
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import gspread
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from tasks import sheets, sheets_api
from tasks.contract import INPUT_TABS, PRODUCTS, SUMMARY_TITLE, TASKS
from tasks.errors import SourceError
from tasks.settings import Settings
from tasks.sheet_setup import init_sheet
from tasks.sheets import read_google_book, write_summary
from tasks.sheets_api import (
    RetryPolicy,
    SheetsHTTPClient,
    parse_sheet_key,
    sheets_client,
)
from tests.sheets_emulator import (
    ACCOUNT_EMAIL as EMAIL,
)
from tests.sheets_emulator import (
    DateCell,
    Fault,
    Formula,
    SheetsEmulator,
    date_cell,
)

KEY = "1CchcDakLak2026_TuyenTruyen-CCHC_abcdefghij"
# Fast enough for tests: a failing call gives up after ~1-2 s instead of 120 s.
FAST = RetryPolicy(timeout=2.0, budget=2.0, base_delay=0.02, max_delay=0.2)
AREAS = ["1. Cải cách thể chế", "2. Cải cách thủ tục hành chính"]
CHANNELS = ["Nội bộ", "Trang thông tin điện tử", "Zalo OA", "Fanpage", "Báo chí"]
KINDS = ["Tin", "Bài", "Infographic", "Video", "Tờ gấp", "Hội nghị", "Khác"]


# -- fixtures (private_key_pem, emulator, account_info: tests/conftest.py) ---------------------
def make_settings(path: Path | None, endpoint: str | None, block: str | None = None) -> Settings:
    return Settings(
        GOOGLE_APPLICATION_CREDENTIALS=str(path) if path else None,  # type: ignore[call-arg]
        sheets_endpoint=endpoint,
        google_secret_block=block,
    )


@pytest.fixture
def settings(
    tmp_path: Path, emulator: SheetsEmulator, account_info: dict[str, str], monkeypatch: Any
) -> Settings:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(account_info), encoding="utf-8")
    return make_settings(path, emulator.url)


def sample_tabs() -> dict[str, list[list[Any]]]:
    return {
        "Đơn vị": [
            ["Mã đơn vị", "Tên đơn vị", "Email", "Người đầu mối", "Chỉ tiêu tin bài/tháng"],
            ["VP", "Văn phòng Sở", "vp@sxd.daklak.gov.vn", "", 2.0],
            ["001", "Phòng Quản lý xây dựng", None, None, 1.5],
        ],
        "Tin bài": [
            ["Ngày", "Đơn vị", "Nội dung", "Hình thức", "Loại sản phẩm", "Tiêu đề"],
            [date_cell(date(2026, 5, 4)), "VP", 1, "Website", "Tin", "Hội nghị CCHC", True],
            [],
            [],
            ["04/05/2026", "001", "", "Zalo OA", "Bài", "Tuyên truyền", None, None, "ghi chú"],
        ],
        SUMMARY_TITLE: [["Đơn vị", "Số tin bài"], ["VP", 3]],
    }


def assert_no_key_material(err: BaseException, info: dict[str, str]) -> None:
    """Neither the message nor any chained error shows the private key or its id."""
    body = [line for line in info["private_key"].splitlines() if "-----" not in line]
    seen: BaseException | None = err
    while seen is not None:
        text = str(seen) + repr(seen)
        assert "PRIVATE KEY" not in text and info["private_key_id"] not in text
        assert not any(chunk in text for chunk in body)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)


# -- keys and URLs ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing",
        f"https://docs.google.com/spreadsheets/u/0/d/{KEY}/edit",
        f"https://docs.google.com/spreadsheets/d/{KEY}",
        f"https://docs.google.com/spreadsheets/d/{KEY}/",
        f"docs.google.com/spreadsheets/d/{KEY}/edit",
        f"  {KEY}\n",
    ],
)
def test_parse_sheet_key_accepts_urls_and_bare_keys(source: str) -> None:
    assert parse_sheet_key(source) == KEY


@pytest.mark.parametrize(
    "source",
    [
        "data/sample/cchc-2026-mau.xlsx",
        "/srv/cchc/du-lieu-tuyen-truyen-2026-ban-chot.xlsx",
        r"C:\Users\vanphong\Documents\cchc_2026.xlsx",
        "https://docs.google.com/spreadsheets/d/e/2PACX-1vQabcdefghijklmnopqrstuvwxyz/pubhtml",
        f"https://example.com/spreadsheets/d/{KEY}/edit",
        "abc123",
        "",
    ],
)
def test_parse_sheet_key_rejects_paths_and_other_urls(source: str) -> None:
    assert parse_sheet_key(source) is None


def test_client_rewrites_google_urls_onto_the_endpoint() -> None:
    import requests

    client = SheetsHTTPClient(None, requests.Session(), endpoint="http://127.0.0.1:9/")
    base = "https://sheets.googleapis.com/v4/spreadsheets"
    assert (
        client.rewrite(f"{base}/K/values:batchGet")
        == "http://127.0.0.1:9/v4/spreadsheets/K/values:batchGet"
    )
    assert (
        client.rewrite("https://www.googleapis.com/drive/v3/files/K")
        == "http://127.0.0.1:9/drive/v3/files/K"
    )
    full = SheetsHTTPClient(None, requests.Session(), endpoint="http://h:1/v4/spreadsheets")
    assert full.rewrite(f"{base}/K") == "http://h:1/v4/spreadsheets/K"
    assert SheetsHTTPClient(None, requests.Session()).rewrite(f"{base}/K") == f"{base}/K"
    assert client.timeout == RetryPolicy().timeout  # a timeout is always set
    # gspread 6.2.1's BackOffHTTPClient retries forever; we must not inherit from it.
    assert not issubclass(SheetsHTTPClient, gspread.BackOffHTTPClient)


# -- reading --------------------------------------------------------------------------------------
def test_read_is_one_metadata_get_and_one_batch_get(emulator: Any, settings: Settings) -> None:
    emulator.add_book(KEY, sample_tabs())
    book = read_google_book(settings, KEY, policy=FAST)

    assert [e.path for e in emulator.log if e.path == "/token"] == ["/token"]
    calls = emulator.api_calls()
    assert [(c.method, c.path) for c in calls] == [
        ("GET", f"/v4/spreadsheets/{KEY}"),
        ("GET", f"/v4/spreadsheets/{KEY}/values:batchGet"),
    ]
    query = calls[1].query
    assert query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert query["ranges"] == ["'Đơn vị'", "'Tin bài'"]  # Tổng hợp is never read
    assert list(book.tabs) == ["Đơn vị", "Tin bài"]
    assert book.source == f"Google Sheet {KEY}"
    assert book.read_at.endswith("+07:00")


def test_read_keeps_raw_values_ragged_rows_and_row_numbers(
    emulator: Any, settings: Settings
) -> None:
    emulator.add_book(KEY, sample_tabs())
    book = read_google_book(settings, KEY, policy=FAST)

    units = book.tabs["Đơn vị"].rows
    assert units[1] == ["VP", "Văn phòng Sở", "vp@sxd.daklak.gov.vn", "", 2]  # 2.0 -> 2
    assert units[2] == ["001", "Phòng Quản lý xây dựng", "", "", 1.5]  # "001" stays text
    assert type(units[1][4]) is int

    products = book.tabs["Tin bài"]
    serial = (date(2026, 5, 4) - date(1899, 12, 30)).days
    assert serial == 46146
    assert products.rows[1] == [serial, "VP", 1, "Website", "Tin", "Hội nghị CCHC", True]
    assert type(products.rows[1][0]) is int
    # Blank middle rows stay [] so rows[i] is sheet row i + 1; trailing blanks are trimmed.
    assert products.rows[2] == [] and products.rows[3] == []
    assert products.rows[4] == [
        "04/05/2026",
        "001",
        "",
        "Zalo OA",
        "Bài",
        "Tuyên truyền",
        "",
        "",
        "ghi chú",
    ]
    assert len(products.rows) == 5
    assert products.cell(4, 8) == "ghi chú" and products.cell(4, 20) is None


def test_formatted_view_renders_dates_as_text(emulator: Any, settings: Settings) -> None:
    """The emulator's default (FORMATTED_VALUE) shows dates dd/mm/yyyy, like the sheet."""
    emulator.add_book(KEY, sample_tabs())
    client = sheets_client(settings, FAST)
    formatted = client.values_batch_get(KEY, ["'Tin bài'!A2:C2"])
    assert formatted["valueRanges"][0]["values"] == [["04/05/2026", "VP", "1"]]
    assert formatted["valueRanges"][0]["range"] == "'Tin bài'!A2:C2"
    empty = client.values_batch_get(KEY, ["'Tin bài'!A3:C4"])["valueRanges"][0]
    assert "values" not in empty  # Google leaves the key out for an empty range


def test_titles_with_spaces_diacritics_and_apostrophes(emulator: Any, settings: Settings) -> None:
    nfd = unicodedata.normalize("NFD", "Cụ thể hóa")  # as macOS keyboards send it
    emulator.add_book(
        KEY,
        {
            "Hồ sơ trễ hẹn": [["Mã hồ sơ"], ["H-01"]],
            "O'Brien's notes": [["a"], [], ["b"]],
            nfd: [["Đơn vị"], ["VP"]],
            "Sheet1": [["x"]],
        },
    )
    book = read_google_book(settings, KEY, policy=FAST)
    ranges = emulator.api_calls("values:batchGet")[0].query["ranges"]
    # Contract tabs whole; the others by their header row only (they may be any size).
    assert ranges == [
        "'Hồ sơ trễ hẹn'",
        "'O''Brien''s notes'!A1:AZ1",
        f"'{nfd}'",
        "'Sheet1'!A1:AZ1",
    ]
    assert list(book.tabs) == ["Hồ sơ trễ hẹn", "O'Brien's notes", nfd, "Sheet1"]
    assert book.tabs["O'Brien's notes"].rows == [["a"]]
    assert book.tabs[nfd].rows == [["Đơn vị"], ["VP"]]


def test_rows_are_padded_when_google_starts_below_row_1() -> None:
    rows = sheets._tab_rows({"range": "'Tin bài'!A3:C10", "values": [["x", 3.0, 2.5]]})
    assert rows == [[], [], ["x", 3, 2.5]]


# -- failures and retries ---------------------------------------------------------------------
def test_429_twice_then_ok_honours_retry_after(emulator: Any, settings: Settings) -> None:
    emulator.add_book(KEY, sample_tabs())
    emulator.inject(Fault(status=429, times=2, retry_after=1, match="values:batchGet"))
    waits: list[float] = []
    book = read_google_book(settings, KEY, policy=replace(FAST, sleep=waits.append))

    assert "Tin bài" in book.tabs
    assert len(emulator.api_calls("values:batchGet")) == 3
    assert len(waits) == 2 and all(w >= 1 for w in waits)


def test_503_forever_gives_up_within_the_budget(
    emulator: Any, settings: Settings, account_info: dict[str, str]
) -> None:
    emulator.add_book(KEY, sample_tabs())
    emulator.inject(Fault(status=503, times=None))
    policy = replace(FAST, budget=1.0)
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_google_book(settings, KEY, policy=policy)
    assert time.monotonic() - started < policy.budget + 0.5
    assert len(emulator.api_calls()) > 2
    message = str(caught.value)
    assert "HTTP 503" in message and "lần thử" in message and "Thử lại sau" in message
    assert_no_key_material(caught.value, account_info)


def test_403_fails_at_once_naming_the_account_to_share_with(
    emulator: Any, settings: Settings, account_info: dict[str, str]
) -> None:
    emulator.add_book(KEY, sample_tabs())
    emulator.inject(Fault(status=403, times=None))
    with pytest.raises(SourceError) as caught:
        read_google_book(settings, KEY, policy=FAST)
    assert len(emulator.api_calls()) == 1
    assert EMAIL in str(caught.value) and "Chia sẻ" in str(caught.value)
    assert_no_key_material(caught.value, account_info)


def test_404_fails_at_once_saying_the_key_is_wrong(
    emulator: Any, settings: Settings, account_info: dict[str, str]
) -> None:
    emulator.add_book(KEY, sample_tabs())
    wrong = KEY[:-1] + "X"
    with pytest.raises(SourceError) as caught:
        read_google_book(settings, wrong, policy=FAST)
    assert len(emulator.api_calls()) == 1
    assert wrong in str(caught.value) and "CCHC_SOURCE" in str(caught.value)
    assert_no_key_material(caught.value, account_info)


def test_slow_answer_times_out_and_is_retried(emulator: Any, settings: Settings) -> None:
    emulator.add_book(KEY, sample_tabs())
    emulator.inject(Fault(status=200, delay=1.5, times=1))
    book = read_google_book(settings, KEY, policy=replace(FAST, timeout=0.3))
    assert "Tin bài" in book.tabs
    assert len(emulator.api_calls()) == 3  # slow metadata, metadata again, batchGet


def test_malformed_json_is_a_source_error(
    emulator: Any, settings: Settings, account_info: dict[str, str]
) -> None:
    emulator.add_book(KEY, sample_tabs())
    emulator.inject(Fault(status=200, body=b'{"spreadsheetId": "x", "sheets": [', times=1))
    with pytest.raises(SourceError, match="JSON"):
        read_google_book(settings, KEY, policy=FAST)


def test_unreachable_endpoint_gives_up_within_the_budget(emulator: Any, settings: Settings) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = settings.model_copy(update={"sheets_endpoint": f"http://127.0.0.1:{port}"})
    with pytest.raises(SourceError, match="không kết nối được"):
        read_google_book(dead, KEY, policy=replace(FAST, budget=0.5))


# -- credentials ----------------------------------------------------------------------------------
def test_missing_credentials_say_what_to_set(monkeypatch: Any) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CCHC_GOOGLE_SECRET_BLOCK", raising=False)
    with pytest.raises(SourceError) as caught:
        read_google_book(make_settings(None, None), KEY)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(caught.value)
    assert "CCHC_GOOGLE_SECRET_BLOCK" in str(caught.value)


def test_missing_key_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="khong-co.json"):
        read_google_book(make_settings(tmp_path / "khong-co.json", None), KEY)


@pytest.mark.parametrize("damage", ["corrupt_key", "not_json", "wrong_type"])
def test_bad_key_files_never_leak_the_key(
    tmp_path: Path, account_info: dict[str, str], damage: str
) -> None:
    info = dict(account_info)
    path = tmp_path / "sa.json"
    if damage == "corrupt_key":
        lines = info["private_key"].splitlines()
        lines[5] = lines[5][::-1]  # damaged in the middle, as after a bad copy-paste
        info["private_key"] = "\n".join(lines[:3] + lines[5:])
        path.write_text(json.dumps(info), encoding="utf-8")
    elif damage == "not_json":
        path.write_text(json.dumps(info)[:-40], encoding="utf-8")  # cut off
    else:
        info["type"] = "authorized_user"
        path.write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_google_book(make_settings(path, None), KEY)
    assert_no_key_material(caught.value, account_info)


def test_rejected_key_is_a_source_error_without_key_material(
    emulator: Any, settings: Settings, account_info: dict[str, str]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    emulator.trust(EMAIL, other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    emulator.add_book(KEY, sample_tabs())
    with pytest.raises(SourceError) as caught:
        read_google_book(settings, KEY, policy=FAST)
    assert EMAIL in str(caught.value)
    assert emulator.api_calls() == []  # nothing reached the API without a token
    assert_no_key_material(caught.value, account_info)


@pytest.mark.parametrize("as_text", [True, False])
def test_credentials_from_a_prefect_secret_block(
    emulator: Any, account_info: dict[str, str], monkeypatch: Any, as_text: bool
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    loaded: list[str] = []

    def fake_load(name: str) -> Any:
        loaded.append(name)
        return json.dumps(account_info) if as_text else account_info

    monkeypatch.setattr(sheets_api, "_load_secret_block", fake_load)
    emulator.add_book(KEY, sample_tabs())
    book = read_google_book(make_settings(None, emulator.url, "cchc-google"), KEY, policy=FAST)
    assert loaded == ["cchc-google"] and "Tin bài" in book.tabs


def test_unloadable_secret_block_is_a_source_error(monkeypatch: Any) -> None:
    def failing(name: str) -> Any:
        raise ValueError(f"Unable to find block document named {name}")

    monkeypatch.setattr(sheets_api, "_load_secret_block", failing)
    with pytest.raises(SourceError, match="cchc-google"):
        read_google_book(make_settings(None, None, "cchc-google"), KEY)


# -- writing Tổng hợp -------------------------------------------------------------------------
def input_values(emulator: Any) -> dict[str, list[list[Any]]]:
    return {
        title: copy.deepcopy(sheet.rows)
        for title, sheet in emulator.books[KEY].sheets.items()
        if title != SUMMARY_TITLE
    }


def test_write_summary_creates_the_tab_raw_in_few_requests(
    emulator: Any, settings: Settings
) -> None:
    tabs = sample_tabs()
    del tabs[SUMMARY_TITLE]
    emulator.add_book(KEY, tabs)
    before = input_values(emulator)
    rows: list[list[Any]] = [
        ["Đơn vị", "Số tin bài", "Ghi chú"],
        ["VP", 3, '=IMPORTXML("x","y")'],
        ["001", 0, None],
        ["Cập nhật lúc", "05/06/2026 07:00", 1.5],
    ]
    write_summary(settings, KEY, rows, policy=FAST)

    writes = emulator.writes()
    assert 1 <= len(writes) <= 3
    [add] = [w for w in writes if w.path.endswith(":batchUpdate")]
    assert [list(r) for r in add.body["requests"]] == [["addSheet"]]
    assert add.body["requests"][0]["addSheet"]["properties"]["title"] == SUMMARY_TITLE
    for write in writes:
        if "/values/" in write.path:
            assert SUMMARY_TITLE in write.path  # only Tổng hợp's own ranges
        if write.method == "PUT":
            assert write.query["valueInputOption"] == ["RAW"]
    summary = emulator.sheet(KEY, SUMMARY_TITLE)
    assert summary.rows[1] == ["VP", 3, '=IMPORTXML("x","y")']
    assert not isinstance(summary.rows[1][2], Formula)  # stored as text, not run
    assert summary.rows[2] == ["001", 0, ""]
    assert input_values(emulator) == before


def test_write_summary_replaces_old_rows_and_grows_the_grid(
    emulator: Any, settings: Settings
) -> None:
    emulator.add_book(KEY, sample_tabs())
    summary = emulator.sheet(KEY, SUMMARY_TITLE)
    summary.rows = [["cũ"] * 3 for _ in range(4)]
    summary.row_count, summary.col_count = 4, 3
    before = input_values(emulator)
    rows: list[list[Any]] = [[f"r{i}", i, "x", "y"] for i in range(6)]
    write_summary(settings, KEY, rows, policy=FAST)

    writes = emulator.writes()
    assert [w.path.rsplit("/", 1)[-1] for w in writes] == [
        f"{KEY}:batchUpdate",  # grow the grid
        f"'{SUMMARY_TITLE}'!A1",  # write: nothing of the old 4x3 values is left outside it
    ]
    assert summary.row_count == 6 and summary.col_count == 4
    assert summary.rows == rows
    assert input_values(emulator) == before

    emulator.log.clear()
    write_summary(settings, KEY, [["Đơn vị"], ["VP"]], policy=FAST)
    # update, then one batchClear of what is left below and to the right; no grid change
    assert [w.path.rsplit("/", 1)[-1] for w in emulator.writes()] == [
        f"'{SUMMARY_TITLE}'!A1",
        "values:batchClear",
    ]
    seen = [[v for v in r if v not in (None, "")] for r in summary.rows]
    assert [r for r in seen if r] == [["Đơn vị"], ["VP"]]  # the old rows are gone


# -- init-sheet ---------------------------------------------------------------------------------
def validation(sheet: Any, column: int) -> dict[str, Any] | None:
    rules = [rule for grid, rule in sheet.validations if grid.get("startColumnIndex") == column]
    return rules[-1] if rules else None


def test_init_sheet_prepares_an_empty_spreadsheet_and_is_idempotent(
    emulator: Any, settings: Settings
) -> None:
    emulator.add_book(KEY, {"Trang tính1": []})
    notes = init_sheet(
        settings, KEY, ["VP", "QLXD"], areas=AREAS, channels=CHANNELS, kinds=KINDS, policy=FAST
    )

    book = emulator.books[KEY]
    assert list(book.sheets) == ["Trang tính1", *[s.title for s in INPUT_TABS], SUMMARY_TITLE]
    for spec in INPUT_TABS:
        sheet = book.sheets[spec.title]
        assert sheet.rows == [spec.headers]
        assert sheet.frozen_rows == 1
        assert any(fmt == {"textFormat": {"bold": True}} for _, fmt in sheet.formats)
        [header] = sheet.protected
        assert header["warningOnly"] is True and header["range"]["endRowIndex"] == 1
        for index, column in enumerate(spec.columns):
            rule = validation(sheet, index)
            if column.is_date:
                assert rule is not None and rule["condition"]["type"] == "DATE_IS_VALID"
    products = book.sheets[PRODUCTS.title]
    listed = {
        i: [v["userEnteredValue"] for v in (validation(products, i) or {})["condition"]["values"]]
        for i in (1, 2, 3, 4)
    }
    assert listed == {1: ["VP", "QLXD"], 2: AREAS, 3: CHANNELS, 4: KINDS}
    assert validation(products, 5) is None  # Tiêu đề: free text
    [whole] = book.sheets[SUMMARY_TITLE].protected
    assert whole["warningOnly"] is True and set(whole["range"]) == {"sheetId"}
    assert book.sheets["Trang tính1"].rows == [] and not book.sheets["Trang tính1"].protected

    writes = emulator.writes()
    assert [w.path.rsplit("/", 1)[-1] for w in writes] == [
        f"{KEY}:batchUpdate",
        "values:batchUpdate",
    ]
    assert writes[1].body["valueInputOption"] == "RAW"
    assert any("Tạo tab 'Tin bài'" in n for n in notes)
    assert any("Bảo vệ tab 'Tổng hợp'" in n for n in notes)

    emulator.log.clear()
    again = init_sheet(
        settings, KEY, ["VP", "QLXD"], areas=AREAS, channels=CHANNELS, kinds=KINDS, policy=FAST
    )
    assert again == []
    assert emulator.writes() == []


def test_init_sheet_keeps_existing_data_and_reports_a_short_header(
    emulator: Any, settings: Settings
) -> None:
    emulator.add_book(
        KEY,
        {
            "Đơn vị": [["Mã đơn vị", "Tên đơn vị"], ["VP", "Văn phòng"], ["QLXD", "Phòng QLXD"]],
            "Tin bài": [
                ["Ngày", "Đơn vị", "Tiêu đề", "Hình thức"],  # missing columns; order is free
                [date_cell(date(2026, 5, 4)), "VP", "Tin 1", "Zalo OA"],
            ],
            "Cụ thể hoá": [  # the other tone-mark placement of "Cụ thể hóa"
                ["Đơn vị", "Ngày hoàn thành", "Số, ký hiệu văn bản", "Đường dẫn", "Ghi chú"],
                ["VP", "10/05/2026", "12/KH-VP"],
            ],
        },
    )
    before = input_values(emulator)
    notes = init_sheet(
        settings, KEY, None, areas=AREAS, channels=CHANNELS, kinds=KINDS, policy=FAST
    )

    book = emulator.books[KEY]
    for title, rows in before.items():
        assert book.sheets[title].rows == rows  # nothing typed was rewritten
    assert "Cụ thể hóa" not in book.sheets  # matched, not duplicated
    assert any(
        "Không sửa tab 'Tin bài'" in n and "'Nội dung'" in n and "'Loại sản phẩm'" in n
        for n in notes
    )
    products = book.sheets["Tin bài"]
    units = validation(products, 1)
    assert units is not None
    assert [v["userEnteredValue"] for v in units["condition"]["values"]] == ["VP", "QLXD"]
    assert validation(products, 3)["condition"]["values"][0]["userEnteredValue"] == CHANNELS[0]
    assert validation(products, 0)["condition"]["type"] == "DATE_IS_VALID"
    header_writes = [w for w in emulator.writes() if w.path.endswith("values:batchUpdate")]
    written = [d["range"] for w in header_writes for d in w.body["data"]]
    assert written == [
        "'Báo cáo đơn vị'!A1", "'Hồ sơ trễ hẹn'!A1", "'Thủ tục niêm yết'!A1", "'Nhiệm vụ'!A1",
    ]  # fmt: skip

    emulator.log.clear()
    again = init_sheet(
        settings, KEY, None, areas=AREAS, channels=CHANNELS, kinds=KINDS, policy=FAST
    )
    assert [n.split(":")[0] for n in again] == ["Không sửa tab 'Đơn vị'", "Không sửa tab 'Tin bài'"]
    assert emulator.writes() == []


def test_init_sheet_creates_an_optional_tab_too(emulator: Any, settings: Settings) -> None:
    # The real optional tab Nhiệm vụ (the 06 rõ task list): its unit dropdown and both dates.
    emulator.add_book(KEY, {})
    notes = init_sheet(settings, KEY, ["VP"], policy=FAST)
    sheet = emulator.books[KEY].sheets["Nhiệm vụ"]
    assert sheet.rows == [TASKS.headers]
    assert validation(sheet, 0)["condition"]["values"][0]["userEnteredValue"] == "VP"
    assert validation(sheet, 3)["condition"]["type"] == "DATE_IS_VALID"  # Hạn hoàn thành
    assert validation(sheet, 7)["condition"]["type"] == "DATE_IS_VALID"  # Ngày hoàn thành
    assert "Tạo tab 'Nhiệm vụ' với dòng tiêu đề (9 cột)." in notes


def test_init_sheet_creates_the_posted_procedures_tab(emulator: Any, settings: Settings) -> None:
    emulator.add_book(KEY, {"Đơn vị": [["Mã đơn vị", "Tên đơn vị"], ["VP", "Văn phòng"]]})
    notes = init_sheet(settings, KEY, None, policy=FAST)
    sheet = emulator.books[KEY].sheets["Thủ tục niêm yết"]
    assert sheet.rows == [
        ["Mã thủ tục", "Tên thủ tục", "Đường dẫn", "Nơi niêm yết", "Ngày niêm yết"]
    ]
    assert validation(sheet, 4)["condition"]["type"] == "DATE_IS_VALID"  # Ngày niêm yết
    assert all(validation(sheet, i) is None for i in range(4))  # free text, no dropdown
    assert "Tạo tab 'Thủ tục niêm yết' với dòng tiêu đề (5 cột)." in notes


def test_init_sheet_updates_a_dropdown_when_the_roster_changes(
    emulator: Any, settings: Settings
) -> None:
    emulator.add_book(KEY, {})
    init_sheet(settings, KEY, ["VP"], channels=CHANNELS, policy=FAST)
    notes = init_sheet(settings, KEY, ["VP", "QLXD"], channels=CHANNELS, policy=FAST)
    assert notes and all("Cập nhật danh sách chọn cho cột 'Đơn vị'" in n for n in notes)
    assert len(notes) == 5  # the five tabs with an Đơn vị column


def test_date_cell_helper_is_a_serial_number() -> None:
    assert date_cell(date(2026, 5, 15)) == 46157 and isinstance(date_cell(date.today()), DateCell)
