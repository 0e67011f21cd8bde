"""The ``cchc`` command: each sub-command runs its Prefect flow and prints in Vietnamese."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

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
        typer.Option(help="Kỳ báo cáo: 2026-05 (tháng), 2026-H1 (6 tháng), 2026 (năm)."),
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
) -> None:
    """Lập báo cáo kỳ, ghi ket-qua.json, ảnh chụp dữ liệu và gửi/ghi thư báo cáo."""
    from flows.report import report

    out = _finish(report(period, as_of, source, send, force, snapshot, return_state=True))
    fig = out["figures"]
    typer.echo(f"Đã lập báo cáo {out['label']} (kỳ {out['period']}).")
    for name, path in out["files"].items():
        typer.echo(f"  {name}: {path}")
    typer.echo(
        f"Số liệu: {fig['products']} tin, bài; {fig['quota_met']}/{fig['units']} đơn vị đạt chỉ "
        f"tiêu; Trang TTĐT {out['website'].lower()}; {fig['late_dossiers']} hồ sơ trễ hẹn."
    )
    typer.echo(f"Thư báo cáo: {out['mail']}.")
    typer.echo(f"Lỗi dữ liệu: {fig['problems']} dòng (xem Phụ lục của báo cáo).")


@app.command("check")
def check_command(source: Source = None, as_of: AsOf = None) -> None:
    """Kiểm tra bảng tính chung và liệt kê mọi lỗi dữ liệu."""
    from flows.check import check

    state = check(source, as_of, return_state=True)
    if state.is_failed() or state.is_crashed():
        typer.echo(f"LỖI: {state.message}", err=True)
        raise typer.Exit(2)
    out = state.result()
    problems = out["problems"]
    for p in problems:
        typer.echo(
            f"- Tab '{p['tab']}', dòng {p['row']}, cột '{p['column']}': {p['message']}"
            + (f" (giá trị: '{p['value']}')" if p["value"] else "")
        )
    typer.echo(f"Nguồn {out['source']}: {len(problems)} lỗi dữ liệu.")


def main() -> None:
    sys.exit(app())
