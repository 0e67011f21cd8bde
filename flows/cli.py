"""The ``cchc`` command: each sub-command runs its Prefect flow and prints in Vietnamese."""

from __future__ import annotations

import gc
import os
import sys
import urllib.request
from typing import Annotated, Any

import typer

# The office network has no route to Prefect's telemetry host: without this, every run with a
# temporary server logs a "Failed to send telemetry" error.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect 3.9 gives its temporary server 20 s to start: a busy 2-core office PC needs more
# (seen: a first `make demo` timing out beside another job). Read when the server starts.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
LOCAL_SERVER = "http://127.0.0.1:{port}/api"

app = typer.Typer(
    help="Theo dõi Kế hoạch thông tin, tuyên truyền CCHC 2026 - Sở Xây dựng tỉnh Đắk Lắk.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Ngày lập báo cáo (yyyy-mm-dd); mặc định hôm nay.")
]
Source = Annotated[
    str | None,
    typer.Option("--source", help="Tệp .xlsx hoặc địa chỉ/mã Google Sheet (mặc định CCHC_SOURCE)."),
]


def _run(flow: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a command's ``flow``; its final state. Two things a one-run process can afford:

    - ``gc.freeze()`` first: Prefect, pandas and the rest stay loaded until the process ends, so
      the garbage collector's full passes during the run need not walk them again and again
      (~0.4 s less for a report at 100 000 products);
    - no flow-run heartbeats: they drive the automation that marks a deployment's run Crashed
      when its worker dies (runs from workers keep them); a command's run ends with its
      process, and stopping the heartbeat thread cost up to 1 s at the end of every command.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    gc.freeze()
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return flow(*args, return_state=True, **kwargs)


def _finish(state: Any) -> Any:
    """The flow's result, or print its Vietnamese failure message and exit 1 (no traceback)."""
    if state.is_failed() or state.is_crashed():
        typer.echo(f"LỖI: {state.message}", err=True)
        raise typer.Exit(1)
    return state.result()


@app.command("report")
def report_command(
    period: Annotated[
        str | None,
        typer.Option(
            help="Kỳ báo cáo: 2026-05 (tháng), 2026-Q2 (quý), 2026-H1 (6 tháng), "
            "2026-9M (9 tháng), 2026 (năm); báo cáo đột xuất dùng --from và --to."
        ),
    ] = None,
    as_of: AsOf = None,
    source: Source = None,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Gửi thư thật (mặc định: chỉ ghi hộp thư đi).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Gửi lại dù nội dung không đổi.")] = False,
    snapshot: Annotated[
        str | None, typer.Option(help="Lập lại báo cáo từ tệp ảnh chụp dữ liệu (.json.gz).")
    ] = None,
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from", help="Báo cáo đột xuất: từ ngày (yyyy-mm-dd hoặc dd/mm/yyyy), cùng --to."
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option("--to", help="Báo cáo đột xuất: đến ngày (tính cả ngày này), cùng --from."),
    ] = None,
) -> None:
    """Lập báo cáo kỳ, ghi ket-qua.json, ảnh chụp dữ liệu và gửi/ghi thư báo cáo."""
    from flows.report import report

    state = _run(
        report,
        period=period,
        as_of=as_of,
        source=source,
        send=send,
        force=force,
        snapshot=snapshot,
        date_from=date_from,
        date_to=date_to,
    )
    out = _finish(state)
    fig = out["figures"]
    typer.echo(f"Đã lập báo cáo {out['label']} (kỳ {out['period']}).")
    for name, path in out["files"].items():
        typer.echo(f"  {name}: {path}")
    typer.echo(f"Số liệu: {fig['products']} sản phẩm tuyên truyền của {fig['units']} đơn vị.")
    for line in out["rules"]:
        typer.echo(f"  {line}")
    typer.echo(f"Thư báo cáo: {out['mail']}; bản gửi Văn phòng Sở: {out['office_mail']}.")
    typer.echo(
        f"Lỗi dữ liệu: {fig['problems']} lỗi cần sửa (danh sách: thư gửi Văn phòng Sở, tab Tổng "
        "hợp, tab Artifacts của lần chạy, hoặc lệnh cchc check)."
    )


@app.command("check")
def check_command(source: Source = None) -> None:
    """Kiểm tra bảng tính chung và liệt kê mọi lỗi dữ liệu (thoát mã 2 nếu thiếu tab, cột)."""
    from flows.check import check
    from tasks.errors import SheetStructureError

    state = _run(check, source)
    if state.is_failed() or state.is_crashed():
        typer.echo(f"LỖI: {state.message}", err=True)
        structural = state.result(raise_on_failure=False)
        raise typer.Exit(2 if isinstance(structural, SheetStructureError) else 1)
    out: dict[str, Any] = state.result()  # type: ignore[assignment]  # completed: a dict
    problems = out["problems"]
    for p in problems:
        typer.echo(
            f"- Tab '{p['tab']}', dòng {p['row']}, cột '{p['column']}': {p['message']}"
            + (f" (giá trị: '{p['value']}')" if p["value"] else "")
        )
    typer.echo(f"Nguồn {out['source']}: {len(problems)} lỗi dữ liệu.")


@app.command("remind")
def remind_command(
    as_of: AsOf = None,
    source: Source = None,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Gửi thư thật (mặc định: chỉ ghi hộp thư đi).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Nhắc lại cả việc đã nhắc trước đây.")] = False,
) -> None:
    """Nhắc các đơn vị còn nợ việc (chỉ chạy vào ngày làm việc)."""
    from flows.remind import remind

    state = _run(remind, as_of, source, send, force)
    out = _finish(state)
    if not isinstance(out, dict):  # a holiday or a late start: the state says why
        typer.echo(state.message)
        return
    for code, items in out["reminded"].items():
        typer.echo(f"  Đã nhắc {code}: {len(items)} việc")
    for code in out["no_email"]:
        typer.echo(f"  {code}: chưa có email trong tab 'Đơn vị', chưa nhắc được")
    typer.echo(f"Nhắc việc ngày {out['as_of']}: {len(out['reminded'])} đơn vị.")


@app.command("apologies")
def apologies_command(
    as_of: AsOf = None,
    source: Source = None,
    dossier: Annotated[str | None, typer.Option(help="Chỉ lập phiếu cho hồ sơ có mã này.")] = None,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Gửi thư thật (mặc định: chỉ ghi hộp thư đi).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Lập lại cả phiếu đã lập trước đây.")] = False,
) -> None:
    """Lập phiếu xin lỗi và hẹn lại ngày trả kết quả cho hồ sơ trễ hẹn, gửi đơn vị giải quyết."""
    from flows.apologies import apologies

    out = _finish(_run(apologies, as_of, source, dossier, send, force))
    for slip in out["slips"]:
        typer.echo(f"  Hồ sơ {slip['dossier']} ({slip['unit']}): {slip['file']}")
    if out["skipped"]:
        typer.echo(f"  Đã lập từ trước (bỏ qua): {', '.join(out['skipped'])}")
    typer.echo(f"Phiếu xin lỗi ngày {out['as_of']}: {len(out['slips'])} phiếu mới.")


@app.command("evidence")
def evidence_command(
    year: Annotated[int, typer.Option(help="Năm của Kế hoạch, ví dụ 2026.")],
    as_of: AsOf = None,
    source: Source = None,
    check_links: Annotated[
        bool,
        typer.Option(
            "--check-links/--no-check-links", help="Kiểm tra từng đường dẫn (cần mạng Internet)."
        ),
    ] = True,
) -> None:
    """Lập bộ tài liệu kiểm chứng (PAR INDEX) của năm: muc-luc.xlsx, tài liệu kèm theo, tệp .zip."""
    from flows.evidence import evidence

    out = _finish(_run(evidence, year, as_of, source, check_links))
    typer.echo(f"  Mục lục: {out['index']}")
    typer.echo(f"  Tệp nén: {out['zip']}")
    links = ", ".join(f"{state}: {n}" for state, n in out["links"].items()) or "không có"
    typer.echo(f"Tài liệu kiểm chứng: {out['items']} mục; đường dẫn - {links}.")


@app.command("init-sheet")
def init_sheet_command(
    source: Annotated[str, typer.Option("--source", help="Địa chỉ hoặc mã Google Sheet.")],
) -> None:
    """Chuẩn bị Google Sheet: tạo tab, dòng tiêu đề, danh sách chọn, bảo vệ tiêu đề."""
    from flows.setup_sheet import setup_sheet

    out = _finish(_run(setup_sheet, source))
    for change in out["changes"]:
        typer.echo(f"  - {change}")
    typer.echo(f"Đã chuẩn bị bảng tính {out['key']}: {len(out['changes'])} thay đổi.")


@app.command("qr-sheets")
def qr_sheets_command(source: Source = None) -> None:
    """Lập phiếu mã QR tra cứu các thủ tục trong tab 'Thủ tục niêm yết' để in, cắt và niêm yết."""
    from flows.qr_sheets import qr_sheets

    out = _finish(_run(qr_sheets, source))
    typer.echo(f"Đã lập phiếu mã QR: {out['cards']} thẻ (mỗi thủ tục tại mỗi nơi niêm yết).")
    for name, path in out["files"].items():
        typer.echo(f"  {name}: {path}")
    if out["no_pdf"]:
        typer.echo(f"  Chưa có PDF: {out['no_pdf']}.")
    for item in out["without_link"]:
        typer.echo(
            f"  Chưa in mã QR (chưa có đường dẫn): {item['code']} {item['name']} "
            f"(dòng {item['row']})"
        )
    for p in out["problems"]:
        typer.echo(
            f"- Tab '{p['tab']}', dòng {p['row']}, cột '{p['column']}': {p['message']}"
            + (f" (giá trị: '{p['value']}')" if p["value"] else "")
        )
    typer.echo(f"Lỗi dữ liệu trong tab 'Thủ tục niêm yết': {len(out['problems'])} lỗi.")


# --- The province: many agencies on one Prefect server (docs/province.md) -------------------

AgenciesFile = Annotated[
    str,
    typer.Option("--agencies", help="Tệp danh sách cơ quan (mặc định config/agencies.yaml)."),
]


@app.command("deploy-agencies")
def deploy_agencies_command(agencies: AgenciesFile = "config/agencies.yaml") -> None:
    """Tạo/cập nhật deployment báo cáo tháng cho từng cơ quan trong tệp danh sách cơ quan."""
    from pathlib import Path

    from flows.agencies import deploy_agencies
    from tasks.errors import CchcError

    try:
        from tasks.agencies import load_agencies

        province = load_agencies(Path(agencies))
        names = deploy_agencies(province)
    except CchcError as err:
        typer.echo(f"LỖI: {err}", err=True)
        raise typer.Exit(1) from None
    for name in names:
        typer.echo(f"  {name}")
    typer.echo(
        f"Đã tạo/cập nhật {len(names)} deployment trên work pool '{province.work_pool}'; "
        f"kết quả của mỗi cơ quan: {province.root}/<mã cơ quan>/<kỳ>/ket-qua.json."
    )


@app.command("report-agencies")
def report_agencies_command(
    period: Annotated[str, typer.Option(help="Kỳ báo cáo, ví dụ 2026-05.")],
    agencies: AgenciesFile = "config/agencies.yaml",
    as_of: AsOf = None,
    parallel: Annotated[int, typer.Option(help="Số cơ quan chạy cùng lúc.")] = 2,
) -> None:
    """Chạy báo cáo của mọi cơ quan ngay trên máy này (không cần worker; thư chỉ ghi hộp thư đi)."""
    from pathlib import Path

    from flows.agencies import run_agencies_locally
    from tasks.agencies import load_agencies
    from tasks.errors import CchcError

    try:
        province = load_agencies(Path(agencies))
    except CchcError as err:
        typer.echo(f"LỖI: {err}", err=True)
        raise typer.Exit(1) from None
    runs = run_agencies_locally(province, period, as_of, parallel)
    for run in runs:
        state = "xong" if run.returncode == 0 else "LỖI"
        typer.echo(f"  {run.code}: {state} ({run.seconds:.0f} giây)")
        if run.returncode:
            typer.echo("    " + run.output.strip().splitlines()[-1] if run.output.strip() else "")
    failed = [r.code for r in runs if r.returncode]
    typer.echo(f"Báo cáo {period}: {len(runs) - len(failed)}/{len(runs)} cơ quan xong.")
    if failed:
        raise typer.Exit(1)


@app.command("rollup")
def rollup_command(
    period: Annotated[str, typer.Option(help="Kỳ báo cáo, ví dụ 2026-05.")],
    agencies: Annotated[
        str | None,
        typer.Option(
            "--agencies",
            help="Tệp danh sách cơ quan (mặc định config/agencies.yaml nếu có; không có: mọi "
            "thư mục trong --root).",
        ),
    ] = None,
    root: Annotated[
        str | None, typer.Option(help="Thư mục (hoặc URL fsspec) chứa kết quả các cơ quan.")
    ] = None,
    as_of: AsOf = None,
    out: Annotated[str | None, typer.Option(help="Thư mục ghi tệp tổng hợp.")] = None,
) -> None:
    """Tổng hợp kết quả của mọi cơ quan trong kỳ: bảng .xlsx và báo cáo .docx cho Sở Nội vụ."""
    from flows.rollup import rollup
    from tasks.rollup import STATE_VN

    result = _finish(_run(rollup, period, agencies, root, as_of, out))
    for name, path in result["files"].items():
        typer.echo(f"  {name}: {path}")
    rows = result["agencies"]
    for row in rows:
        if row["state"] != "ok":
            why = STATE_VN[row["state"]] + (f" ({row['note']})" if row["note"] else "")
            typer.echo(f"  Chưa tổng hợp: {row['name']} ({row['code']}) - {why}")
    done = sum(1 for r in rows if r["state"] == "ok")
    typer.echo(f"Tổng hợp {period}: {done}/{len(rows)} cơ quan có kết quả.")


def use_running_server() -> str | None:
    """The API of the server `make up` started on this machine, when it answers and no other
    server is configured: runs then show in its UI, and no temporary server has to start."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    url = LOCAL_SERVER.format(port=os.environ.get("CCHC_UI_PORT", "4200"))
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as answer:
            if answer.read().strip() != b"true":
                return None
    except (OSError, ValueError):
        return None
    os.environ["PREFECT_API_URL"] = url  # before Prefect reads its settings
    return url


def main() -> None:
    url = use_running_server()
    if url:
        typer.echo(f"Dùng Prefect server đang chạy: {url.removesuffix('/api')}", err=True)
    try:
        sys.exit(app())
    except RuntimeError as err:
        if "ephemeral Prefect API server" not in str(err):
            raise
        typer.echo(
            "LỖI: Máy chậm, Prefect server tạm thời chưa khởi động kịp "
            f"({os.environ['PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS']} giây). "
            "Chạy lại lệnh, hoặc chạy `make up` một lần để có server thường trực "
            "(lệnh cchc sẽ tự dùng server đó), hoặc đặt "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS lớn hơn.",
            err=True,
        )
        sys.exit(1)
    finally:
        # Everything the run made is still in memory; without this, the interpreter's last
        # garbage collections walk it all on the way out: ~0.8 s at 10 000 products.
        gc.freeze()
