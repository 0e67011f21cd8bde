"""The province: agencies file, deployments per agency, the roll-up, the shared Sheets quota."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from benchmarks.province_bench import peak
from tasks.agencies import AgenciesError, apply_agency, load_agencies, parse_agency
from tasks.rollup import build_rollup, read_results, rollup_context, write_workbook

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = {
    "parent": "UBND TỈNH ĐẮK LẮK", "name": "SỞ NỘI VỤ", "report_symbol": "BC-SNV",
    "place": "Đắk Lắk", "signer": {"title": "GIÁM ĐỐC", "name": ""}, "noi_nhan": ["Lưu: VT."],
}  # fmt: skip


# ------------------------------------------------------------------------------ agencies file


def test_the_example_agencies_file_is_valid():
    province = load_agencies(ROOT / "config" / "agencies.yaml")
    assert [a.code for a in province.agencies] == ["SXD", "STC"]
    assert province.summary.name == "SỞ NỘI VỤ"


def test_a_wrong_entry_is_named_by_position_code_and_field(tmp_path):
    path = tmp_path / "agencies.yaml"
    path.write_text(
        "root: var/tinh\nagencies:\n"
        "  - {code: SXD, name: Sở Xây dựng, source: a.xlsx}\n"
        "  - {code: STC, name: Sở Tài chính, office: {name: VP, email: not-an-address}}\n"
        "  - {code: SXD, name: Trùng, source: b.xlsx}\n",
        encoding="utf-8",
    )
    with pytest.raises(AgenciesError) as err:
        load_agencies(path)
    message = str(err.value)
    assert "cơ quan thứ 2 (mã STC), trường source: thiếu khóa bắt buộc" in message
    assert "cơ quan thứ 2 (mã STC), trường office.email" in message
    path.write_text(
        "agencies:\n  - {code: SXD, name: A, source: a.xlsx}\n"
        "  - {code: sxd, name: B, source: b.xlsx}\n",
        encoding="utf-8",
    )
    with pytest.raises(AgenciesError, match="mã cơ quan bị trùng"):
        load_agencies(path)
    with pytest.raises(AgenciesError, match="Không tìm thấy"):
        load_agencies(tmp_path / "none.yaml")


def test_a_run_takes_its_agency_from_cchc_agency(plan):
    agency = parse_agency(
        json.dumps(
            {"code": "STC", "name": "Sở Tài chính",
             "recipients": [{"name": "Giám đốc", "email": "gd@stc.daklak.gov.vn"}],
             "office": {"name": "VP", "email": "vp@stc.daklak.gov.vn"}}
        )
    )  # fmt: skip
    mine = apply_agency(plan, agency)
    assert (mine.agency.code, mine.agency.name) == ("STC", "SỞ TÀI CHÍNH")
    assert [p.email for p in mine.recipients.leadership] == ["gd@stc.daklak.gov.vn"]
    assert mine.recipients.office.email == "vp@stc.daklak.gov.vn"
    assert mine.rules == plan.rules and apply_agency(plan, None) is plan
    with pytest.raises(ValueError, match="CCHC_AGENCY"):
        parse_agency('{"code": "a b"}')


# --------------------------------------------------------------------------------- roll-up


def result(code: str, **over: Any) -> dict[str, Any]:
    """A small ket-qua.json (schema 1) of agency ``code``."""
    data: dict[str, Any] = {
        "schema": 1,
        "agency": {"code": code, "name": code, "parent": "UBND TỈNH ĐẮK LẮK"},
        "period": "2026-05",
        "window": {"start": "2026-04-15", "end": "2026-05-14"},
        "as_of": "2026-06-05",
        "rules": [{"key": "website", "clause": "Bảo đảm có ít nhất 01 tin/bài viết mỗi tháng."}],
        "units": [],
        "website": {"required": 1, "count": 0, "met": False, "months": []},
        "late_dossiers": [],
        "totals": {"by_area": {}, "by_channel": {}, "by_kind": {}},
    }
    data.update(over)
    return data


def units(*statuses: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {"code": f"U{i}", "name": f"Đơn vị {i}", "products": 0,
         "concretization": {"status": c, "date": None}, "unit_report": {"status": r, "date": None}}
        for i, (c, r) in enumerate(statuses)
    ]  # fmt: skip


def dossiers(*statuses: str) -> list[dict[str, Any]]:
    return [
        {"code": f"H{i}", "unit": "U0", "due": "2026-05-06", "returned": None,
         "apology": {"status": s, "date": None}}
        for i, s in enumerate(statuses)
    ]  # fmt: skip


def month(count: int) -> dict[str, Any]:
    met = count >= 1
    months = [{"period": "2026-05", "count": count, "required": 1, "met": met}]
    return {"required": 1, "count": count, "met": met, "months": months}


@pytest.fixture
def province_root(tmp_path) -> Path:
    """Three agencies with results worked out below, one without, one of schema 2."""
    root = tmp_path / "tinh"
    files = {
        # AAA: website 3 (met); concretisation 2 on time of 2; reports 1 on time, 1 late;
        # 2 late dossiers, 1 apology on time, 1 missing. Ratios 1, 1, 1/2, 1/2 -> 75.0
        "AAA": result(
            "AAA", website=month(3), units=units(("on_time", "on_time"), ("on_time", "late")),
            late_dossiers=dossiers("on_time", "missing"),
            totals={"by_area": {"Cải cách thể chế": 2, "Xây dựng chính quyền số": 3},
                    "by_channel": {"Trang thông tin điện tử": 3, "Zalo OA": 2}, "by_kind": {}},
        ),
        # BBB: website 0 (not met); 1 of 3 concretised on time (1 late, 1 missing); reports
        # 3 on time; no late dossier (criterion left out). Ratios 0, 1/3, 1 -> 44.4
        "BBB": result(
            "BBB", website=month(0),
            units=units(("on_time", "on_time"), ("late", "on_time"), ("missing", "on_time")),
            totals={"by_area": {"Cải cách thể chế": 1}, "by_channel": {"Nội bộ": 1},
                    "by_kind": {}},
        ),
        # CCC: website 1 (met); concretisation not due (left out); reports 1 missing; one late
        # dossier apologised late. Ratios 1, 0, 0 -> 33.3
        "CCC": result(
            "CCC", website=month(1), units=units(("not_due", "missing")),
            late_dossiers=dossiers("late"),
            totals={"by_area": {"Xây dựng chính quyền số": 4}, "by_channel": {"Fanpage": 4},
                    "by_kind": {}},
        ),
        "OLD": result("OLD", schema=2),
    }  # fmt: skip
    for code, data in files.items():
        folder = root / code / "2026-05"
        folder.mkdir(parents=True)
        (folder / "ket-qua.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    (root / "NONE").mkdir()
    return root


AGENCIES = [("AAA", "Cơ quan A"), ("BBB", "Cơ quan B"), ("CCC", "Cơ quan C"),
            ("NONE", "Cơ quan chưa báo cáo"), ("OLD", "Cơ quan mẫu cũ")]  # fmt: skip


def test_rollup_figures_equal_the_agencies_results(province_root, tmp_path):
    rollup = build_rollup(read_results(str(province_root), AGENCIES, "2026-05"), "2026-05")
    rows = {r.code: r for r in rollup.rows}
    assert [r.code for r in rollup.rows] == ["AAA", "BBB", "CCC", "NONE", "OLD"]
    assert [rows[c].rank for c in ("AAA", "BBB", "CCC")] == [1, 2, 3]
    assert (rows["AAA"].score, rows["BBB"].score, rows["CCC"].score) == (75.0, 44.4, 33.3)
    assert rows["AAA"].website_months["2026-05"]["count"] == 3 and rows["AAA"].website_met
    assert rows["BBB"].website_met is False
    assert dict(rows["BBB"].concretization) == {"on_time": 1, "late": 1, "missing": 1}
    assert dict(rows["AAA"].unit_reports) == {"on_time": 1, "late": 1}
    assert dict(rows["AAA"].apologies) == {"on_time": 1, "missing": 1}
    assert rows["CCC"].ratios["concretization"] is None  # not due: left out of the average
    assert (rows["AAA"].products, rows["BBB"].products, rows["CCC"].products) == (5, 1, 4)
    assert (rows["NONE"].state, rows["OLD"].state, rows["OLD"].note) == (
        "missing", "schema", "phiên bản 2")  # fmt: skip
    assert rows["NONE"].rank is None and rows["OLD"].rank is None

    # The workbook: one row per agency, the same figures, the two without a result named.
    path = write_workbook(rollup, tmp_path / "tong-hop.xlsx")
    sheet = load_workbook(path)["Tổng hợp"]
    header = [c.value for c in sheet[2]]
    table = {row[1]: dict(zip(header, row, strict=False)) for row in sheet.iter_rows(
        min_row=3, max_row=7, values_only=True)}  # fmt: skip
    assert table["AAA"]["Tin, bài CCHC trên website 2026-05"] == 3
    assert table["BBB"]["Cụ thể hóa đúng hạn"] == 1 and table["BBB"]["Chưa cụ thể hóa"] == 1
    assert table["AAA"]["Xin lỗi đúng hạn"] == 1 and table["AAA"]["Chưa xin lỗi"] == 1
    assert table["CCC"]["Nội dung: Xây dựng chính quyền số"] == 4
    assert table["AAA"]["Điểm xếp hạng (%)"] == 75.0 and table["AAA"]["Thứ hạng"] == 1
    assert table["NONE"]["Tình trạng kết quả"] == "Chưa có kết quả"
    assert table["OLD"]["Tình trạng kết quả"].startswith("Kết quả theo mẫu khác")

    # The document's fields: totals summed by hand, every agency without a result named.
    context = rollup_context(rollup, SUMMARY, __import__("datetime").date(2026, 6, 10))
    assert context["products"] == 10
    assert {r["name"]: r["count"] for r in context["by_area"]} == {
        "Cải cách thể chế": 3, "Xây dựng chính quyền số": 7}  # fmt: skip
    assert (context["website"]["met"], context["website"]["applies"]) == (2, 3)
    assert context["apologies"]["dossiers"] == 3
    assert [a["code"] for a in context["agencies"]["missing"]] == ["NONE"]
    assert [a["code"] for a in context["agencies"]["other"]] == ["OLD"]


def test_rollup_context_fields_are_documented(province_root):
    rollup = build_rollup(read_results(str(province_root), AGENCIES, "2026-05"), "2026-05")
    context = rollup_context(rollup, SUMMARY, __import__("datetime").date(2026, 6, 10))
    doc = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    part = doc[doc.index("tong-hop-tinh.docx") :]
    for key, value in context.items():
        assert f"`{key}" in part, key
        if isinstance(value, dict):
            for sub in value:
                assert f"`{key}.{sub}`" in part or f"{sub}`" in part, f"{key}.{sub}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for sub in value[0]:
                assert f"`{sub}`" in part, f"{key}[].{sub}"


def test_rollup_flow_names_the_agencies_without_a_result(
    prefect_harness, province_root, tmp_path, monkeypatch
):
    from docx import Document

    from flows.rollup import rollup
    from tests.conftest import artifacts_of

    monkeypatch.chdir(tmp_path)  # no config/agencies.yaml here: the folders are the agencies
    state = rollup("2026-05", None, str(province_root), "2026-06-10", None, return_state=True)
    assert state.is_completed(), state.message
    out = state.result()
    states = {a["code"]: a["state"] for a in out["agencies"]}
    assert states == {"AAA": "ok", "BBB": "ok", "CCC": "ok", "NONE": "missing", "OLD": "schema"}
    text = "\n".join(p.text for p in Document(out["files"]["Báo cáo tổng hợp (.docx)"]).paragraphs)
    assert "Có 3/5 cơ quan đã có kết quả tháng 5/2026." in text
    assert "- NONE (NONE);" in text and "OLD (OLD): Kết quả theo mẫu khác" in text
    for bad in ("None", "{{", "{%", "[["):
        assert bad not in text.replace("NONE", "")
    kinds = artifacts_of(state)
    assert kinds.get("tong-hop-tinh-2026-05") == "markdown"
    assert kinds.get("tong-hop-tinh-2026-05-co-quan") == "table"


# ------------------------------------------------------------------------------ deployments


def test_deploy_agencies_gives_each_its_environment(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client

    from benchmarks.province import make_province
    from flows.agencies import deploy_agencies

    province = load_agencies(make_province(3, tmp_path / "tinh"))
    names = deploy_agencies(province)
    assert names == [f"bao-cao-cchc/bao-cao-thang-{c}" for c in ("SXD", "STC", "SNNMT")]
    assert deploy_agencies(province) == names  # again: updated in place, not duplicated
    with get_client(sync_client=True) as client:
        for entry in province.agencies:
            found = client.read_deployment_by_name(f"bao-cao-cchc/bao-cao-thang-{entry.code}")
            env = found.job_variables["env"]
            assert env["CCHC_SOURCE"] == entry.source and env["CCHC_PLAN"] == entry.plan
            assert env["CCHC_OUTPUT_DIR"] == f"{province.root}/{entry.code}"
            assert json.loads(env["CCHC_AGENCY"])["code"] == entry.code
            assert found.work_pool_name == "cchc-office"
            assert found.parameters == {"send": True, "kind": "month"}
            assert found.schedules[0].schedule.cron == "0 8 22 * *"


def test_on_shared_storage_each_agency_stores_under_its_code(tmp_path):
    from benchmarks.province import make_province
    from tasks.agencies import agency_environment

    province = load_agencies(make_province(2, tmp_path / "tinh"))
    on_s3 = province.model_copy(update={"root": "s3://cchc/ket-qua/"})
    env = agency_environment(on_s3.agencies[1], on_s3)

    assert env["CCHC_STORAGE"] == "s3://cchc/ket-qua/STC"
    assert env["CCHC_OUTPUT_DIR"] == "var/co-quan/STC"  # this worker's copy, apart from SXD's


# ----------------------------------------------------------------------- the Sheets quota


def test_many_agencies_share_the_sheets_quota(
    prefect_harness, emulator, key_file, monkeypatch, tmp_path
):
    """12 agencies read at once under a scaled quota (6 reads in any 3 s: Google's 60 a minute,
    ten times faster); every run completes and no 3-second window holds more than 6 reads."""
    from prefect import flow, task

    from benchmarks.province import agency_tabs
    from tasks.collect import read_source
    from tasks.settings import load_settings

    quota, seconds, count = 6, 3.0, 12
    monkeypatch.setenv("CCHC_SHEETS_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("CCHC_SHEETS_QUOTA", str(quota))
    monkeypatch.setenv("CCHC_SHEETS_QUOTA_SECONDS", str(seconds))
    monkeypatch.setenv("CCHC_SHEETS_RATE_LIMIT", "test-scaled")
    tabs = agency_tabs(1)
    keys = [f"agency-{n:03d}-0123456789abcdefghijkl" for n in range(count)]
    for key in keys:
        emulator.add_book(key, tabs)

    @task
    def read_one(key: str) -> int:
        return len(read_source(load_settings(source=key)).tabs)

    @flow
    def read_all() -> list[int]:
        futures = [read_one.submit(k) for k in keys]
        return [f.result() for f in futures]

    state = read_all(return_state=True)
    assert state.is_completed(), state.message
    assert all(n >= 5 for n in state.result())
    times = emulator.read_times()
    assert len(times) == 2 * count  # one metadata GET and one batchGet each
    assert peak(times, seconds) <= quota, (peak(times, seconds), times)
    assert times[-1] - times[0] >= (2 * count - quota) * seconds / quota * 0.9  # it did wait


@pytest.mark.slow
def test_130_agencies_reports_at_the_real_quota(
    prefect_harness, emulator, key_file, monkeypatch, tmp_path
):
    """130 agencies' monthly reports (the real report flow, one process each, as a worker runs
    them) against the loopback Sheets API at Google's real quota, 60 reads a minute: every run
    completes and no 60-second window holds more than 60 reads. Figures: docs/performance.md."""
    import time

    from prefect.settings import PREFECT_API_URL

    from benchmarks.province import make_province
    from flows.agencies import run_agencies_locally

    count = 130

    def serve(index: int, code: str, tabs: dict[str, Any]) -> str:
        key = f"agency-{code}-0123456789abcdefghijkl"
        emulator.add_book(key, tabs)
        return f"https://docs.google.com/spreadsheets/d/{key}/edit"

    province = load_agencies(make_province(count, tmp_path / "tinh", source_of=serve))
    monkeypatch.chdir(tmp_path)
    env = {
        "CCHC_SHEETS_ENDPOINT": emulator.url,
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "CCHC_SHEETS_QUOTA": "60",
        "CCHC_SHEETS_QUOTA_SECONDS": "60",
        "CCHC_SHEETS_RATE_LIMIT": "test-real",
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }
    started = time.monotonic()
    runs = run_agencies_locally(province, "2026-05", "2026-06-05", parallel=4, extra_env=env)
    elapsed = time.monotonic() - started
    failed = {r.code: r.output[-500:] for r in runs if r.returncode}
    assert not failed, failed
    times = emulator.read_times()
    assert len(times) == 2 * count
    worst = peak(times, 60.0)
    report = {"agencies": count, "seconds": round(elapsed), "reads": len(times), "peak": worst}
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "province-slow.json").write_text(json.dumps(report), "utf-8")
    assert worst <= 60, report
