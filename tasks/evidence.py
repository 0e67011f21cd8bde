"""The PAR INDEX evidence pack (tài liệu kiểm chứng): for each propaganda criterion of the plan,
its evidence, the documents this product made and the links units wrote in the sheet, listed in
``muc-luc.xlsx`` beside copies of the documents, and zipped.

Links are checked with a short timeout and bounded concurrency. A link is "OK" only when the
server answered with a success: with no network (no route, no name resolution, a timeout) the
state says it was not checked, never a false "OK".
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tasks.calendar import Period, parse_period, report_window
from tasks.dates import format_vn
from tasks.errors import OutputError
from tasks.models import Records
from tasks.plan import Plan
from tasks.posted import posted_summary
from tasks.stage import stage_task

INDEX_FILE = "muc-luc.xlsx"
NOT_CHECKED = "Chưa kiểm tra"
LINK_TIMEOUT_S = 5.0
LINK_WORKERS = 8  # at most this many requests at once: polite to the portals
HEADERS = ["STT", "Tiêu chí", "Căn cứ", "Tài liệu kiểm chứng", "Số, ký hiệu / ngày",
           "Đường dẫn hoặc tệp", "Tình trạng đường dẫn"]  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    criterion: str
    basis: str  # the plan's sentence
    what: str
    reference: str = ""  # number and date
    link: str = ""  # http(s) address, or a file of the pack (relative)
    state: str = ""  # the link's state ("" for a file of the pack)


def pack_folder(output_dir: Path, year: int) -> Path:
    return output_dir / f"tai-lieu-kiem-chung-{year}"


def _copy(files: list[Path], folder: Path, sub: str) -> list[str]:
    """Copy ``files`` into ``folder/sub``; their paths relative to the pack."""
    if not files:
        return []
    (folder / sub).mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, folder / sub / path.name)
    return [f"{sub}/{path.name}" for path in files]


def collect(
    records: Records, plan: Plan, year: int, as_of: date, output_dir: Path, folder: Path
) -> list[Evidence]:
    """Every criterion's evidence, the product's own documents copied into ``folder``."""
    rule = plan.reporting.window
    names = dict(zip(records.units["code"], records.units["name"], strict=True))
    items = [
        Evidence(
            "Ban hành Kế hoạch thông tin, tuyên truyền CCHC",
            f"Thực hiện {plan.plan.implements}" if plan.plan.implements else "",
            plan.plan.reference,
            plan.plan.number or plan.plan.issued,
        )
    ]
    website = plan.rules.get("website")
    kinds = set(getattr(website, "kinds", ["tin", "bai"]))
    products = records.products
    for month in Period(year, "year").months(rule):
        window = report_window(month, rule)
        if window.start > as_of:
            break
        inside = products[
            (products["channel"] == "website")
            & products["kind"].isin(kinds)
            & (products["date"] >= window.start)
            & (products["date"] <= min(window.end, as_of))
        ]
        criterion = f"Tin, bài về CCHC trên Trang thông tin điện tử, {month.label}"
        basis = "Bảo đảm có ít nhất 01 tin/bài viết về CCHC mỗi tháng trên website Sở (mục VI.1)"
        if inside.empty:
            items.append(Evidence(criterion, basis, "Chưa có tin, bài trong tháng"))
        for p in inside.itertuples():
            items.append(Evidence(criterion, basis, p.title, format_vn(p.date), p.link))
    reports = sorted(output_dir.glob(f"{year}*/Bao-cao-CCHC-*.docx"))
    basis = "Thực hiện báo cáo định kỳ (hàng tháng, 6 tháng, năm) (mục VI.1, VI.2)"
    for path in _copy(reports, folder, "bao-cao"):
        items.append(Evidence("Báo cáo định kỳ của Sở", basis, "Báo cáo do hệ thống lập", "", path))
    for r in records.unit_reports.itertuples():
        if r.sent.year == year:
            items.append(
                Evidence(
                    "Báo cáo định kỳ của các phòng, đơn vị",
                    basis,
                    f"Báo cáo {parse_period(r.period).label} của {names.get(r.unit, r.unit)}",
                    f"{r.doc_number} ngày {format_vn(r.sent)}".strip(),
                    r.link,
                )
            )
    basis = "Thực hiện nghiêm quy định xin lỗi bằng văn bản khi hồ sơ trễ hẹn (mục VI.2)"
    for d in records.dossiers.itertuples():
        if not pd.isna(d.apology_date) and d.due.year == year:
            items.append(
                Evidence(
                    "Xin lỗi tổ chức, cá nhân khi hồ sơ trễ hẹn",
                    basis,
                    f"Phiếu xin lỗi hồ sơ {d.code}",
                    f"{d.apology_number} ngày {format_vn(d.apology_date)}".strip(),
                )
            )
    slips = sorted((output_dir / "phieu-xin-loi").glob("*.docx"))
    for path in _copy(slips, folder, "phieu-xin-loi"):
        items.append(Evidence("Xin lỗi tổ chức, cá nhân khi hồ sơ trễ hẹn", basis,
                              "Dự thảo phiếu do hệ thống lập", "", path))  # fmt: skip
    basis = "Niêm yết công khai TTHC …; sử dụng mã QR tra cứu thủ tục (mục IV.5)"
    summary = posted_summary(records, as_of)
    items.append(
        Evidence(
            "Niêm yết thủ tục hành chính, mã QR tra cứu",
            basis,
            f"{summary['procedures']} thủ tục niêm yết, {summary['with_qr']} có mã QR",
        )
    )
    for p in records.posted_procedures.itertuples():
        items.append(Evidence("Niêm yết thủ tục hành chính, mã QR tra cứu", basis,
                              f"{p.code} {p.name}", p.place, p.link))  # fmt: skip
    sheets = sorted((output_dir / "ma-qr").glob("*.docx"))
    for path in _copy(sheets, folder, "ma-qr"):
        items.append(Evidence("Niêm yết thủ tục hành chính, mã QR tra cứu", basis,
                              "Bảng mã QR do hệ thống lập", "", path))  # fmt: skip
    basis = "Các đơn vị hoàn thành việc cụ thể hóa nội dung tuyên truyền (mục VI.2)"
    for c in records.concretizations.itertuples():
        items.append(
            Evidence(
                "Cụ thể hóa nội dung tuyên truyền",
                basis,
                f"Văn bản cụ thể hóa của {names.get(c.unit, c.unit)}",
                f"{c.doc_number} ngày {format_vn(c.date)}".strip(),
                c.link,
            )
        )
    return items


def link_state(url: str, client: httpx.Client) -> str:
    """``OK (HTTP 200)``, ``Không truy cập được (HTTP 404)``, or — when no answer came (no
    network, a timeout) — that it could not be checked."""
    try:
        response = client.head(url)
        if response.status_code in (405, 501):  # a server that does not take HEAD
            response = client.get(url)
    except httpx.HTTPError as err:
        return f"{NOT_CHECKED} (không kết nối được: {type(err).__name__})"
    if response.is_success:
        return f"OK (HTTP {response.status_code})"
    return f"Không truy cập được (HTTP {response.status_code})"


def check_links(
    items: list[Evidence], check: bool, state_of: Callable[[str], str] | None = None
) -> list[Evidence]:
    """Each http(s) link's state (each address asked once); ``check`` False: not checked."""
    urls = sorted({i.link for i in items if i.link.startswith(("http://", "https://"))})
    if not check:
        states = dict.fromkeys(urls, NOT_CHECKED)
    else:
        with httpx.Client(timeout=LINK_TIMEOUT_S, follow_redirects=True) as client:
            ask = state_of or (lambda url: link_state(url, client))
            with ThreadPoolExecutor(LINK_WORKERS) as pool:
                states = dict(zip(urls, pool.map(ask, urls), strict=True))
    return [replace(i, state=states.get(i.link, "")) for i in items]


def write_index(items: list[Evidence], path: Path, year: int) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = f"Mục lục {year}"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, i in enumerate(items, 1):
        sheet.append([n, i.criterion, i.basis, i.what, i.reference, i.link, i.state])
    for column, width in zip("ABCDEFG", (6, 40, 50, 60, 24, 60, 36), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    book.save(path)
    return path


def build_pack(
    records: Records, plan: Plan, year: int, as_of: date, output_dir: Path, check: bool
) -> tuple[Path, Path, list[Evidence]]:
    """The pack's folder (index + copies), its .zip, and the rows of the index."""
    folder = pack_folder(output_dir, year)
    try:
        if folder.exists():
            shutil.rmtree(folder)  # a pack is rebuilt whole: nothing stale left in it
        folder.mkdir(parents=True)
        items = check_links(collect(records, plan, year, as_of, output_dir, folder), check)
        write_index(items, folder / INDEX_FILE, year)
        archive = shutil.make_archive(str(folder), "zip", folder.parent, folder.name)
    except OSError as err:
        raise OutputError(f"Không ghi được bộ tài liệu kiểm chứng vào '{folder}': {err}") from err
    return folder, Path(archive), items


build_pack_task = stage_task("Lập bộ tài liệu kiểm chứng")(build_pack)
