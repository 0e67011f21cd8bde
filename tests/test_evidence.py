"""The PAR INDEX evidence pack: one row per piece of evidence under each criterion, the product's
own documents copied in, every link's state (never a false "OK"), zipped."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook

from flows.evidence import evidence
from flows.report import report
from tasks.evidence import NOT_CHECKED, Evidence, check_links
from tests.smtp_server import free_port


class _Site(BaseHTTPRequestHandler):
    """/ok answers 200; /get-only refuses HEAD (405) but answers GET; anything else 404."""

    def do_HEAD(self) -> None:  # noqa: N802
        self.send_response({"/ok": 200, "/get-only": 405}.get(self.path, 404))
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200 if self.path in ("/ok", "/get-only") else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_link_states_never_claim_ok_without_an_answer(site):
    nobody = f"http://127.0.0.1:{free_port()}/tin"  # nothing listens: like no network
    links = [f"{site}/ok", f"{site}/get-only", f"{site}/missing", nobody, "bao-cao/x.docx", ""]
    items = [Evidence("c", "b", "w", link=link) for link in links]
    states = [i.state for i in check_links(items, check=True)]
    assert states[:3] == ["OK (HTTP 200)", "OK (HTTP 200)", "Không truy cập được (HTTP 404)"]
    assert states[3].startswith(f"{NOT_CHECKED} (không kết nối được")
    assert states[4:] == ["", ""]  # a file of the pack, no link: nothing to check
    unchecked = check_links(items, check=False)
    assert [i.state for i in unchecked][:4] == [NOT_CHECKED] * 4


@pytest.mark.usefixtures("prefect_harness")
def test_the_pack_of_the_sample_year(out):
    assert report(period="2026-05", as_of="2026-11-28", return_state=True).is_completed()
    state = evidence(year=2026, as_of="2026-11-28", check_links=False, return_state=True)
    assert state.is_completed(), state.message
    got = state.result()
    rows = list(load_workbook(got["index"]).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("STT", "Tiêu chí", "Căn cứ", "Tài liệu kiểm chứng")
    criteria = {r[1].split(", tháng")[0] for r in rows[1:]}
    assert criteria == {
        "Ban hành Kế hoạch thông tin, tuyên truyền CCHC",
        "Tin, bài về CCHC trên Trang thông tin điện tử",
        "Báo cáo định kỳ của Sở",
        "Báo cáo định kỳ của các phòng, đơn vị",
        "Xin lỗi tổ chức, cá nhân khi hồ sơ trễ hẹn",
        "Niêm yết thủ tục hành chính, mã QR tra cứu",
        "Cụ thể hóa nội dung tuyên truyền",
    }
    # month by month: the sample's gap (no website item in the July window) is said, not hidden
    july = [r for r in rows if r[1].endswith("tháng 7/2026")]
    assert [r[3] for r in july] == ["Chưa có tin, bài trong tháng"]
    links = [r for r in rows[1:] if str(r[5] or "").startswith("http")]
    assert links and {r[6] for r in links} == {NOT_CHECKED}  # asked not to check: not "OK"
    with zipfile.ZipFile(got["zip"]) as pack:
        names = pack.namelist()
    assert "tai-lieu-kiem-chung-2026/muc-luc.xlsx" in names
    assert "tai-lieu-kiem-chung-2026/bao-cao/Bao-cao-CCHC-thang-05-2026.docx" in names
