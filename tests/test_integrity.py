from datetime import date

from tasks.calendar import parse_period
from tasks.collect import prune_snapshots, save_snapshot, snapshot_files
from tasks.history import snapshot_history
from tasks.integrity import backdated_entries as check_against
from tasks.normalize import normalize
from tests.builders import book

MAY = parse_period("2026-05")


def backdated_entries(records, plan, period, output_dir, read_at):
    """The check as the report runs it: the history of ``output_dir`` collected first."""
    return check_against(records, plan, period, snapshot_history(output_dir, plan, read_at))


def read_on(raw, stamp: str):
    raw.read_at = stamp
    return raw


def test_row_dated_before_the_deadline_but_typed_after_it_is_flagged(plan, tmp_path):
    # Read on 20/05 (after the 15/05 deadline): VP had concretised, QLXD had not.
    before = read_on(book(concretizations=[["VP", "10/05/2026"]]), "2026-05-20T08:00:00+07:00")
    save_snapshot(before, tmp_path / "2026-05" / "snapshots")
    # Read on 01/06: QLXD now shows 12/05 (before the deadline) -> typed late, dated back.
    now = read_on(
        book(
            concretizations=[["VP", "10/05/2026"], ["QLXD", "12/05/2026"], ["TTR", "25/05/2026"]],
            unit_reports=[["VP", "2026-05", "18/05/2026"]],  # due 19/05; absent on 20/05
        ),
        "2026-06-01T08:00:00+07:00",
    )
    records, _ = normalize(now, plan)
    flags = backdated_entries(records, plan, MAY, tmp_path, now.read_at)
    assert [(f.tab, f.row, f.column, f.value) for f in flags] == [
        ("Báo cáo đơn vị", 2, "Ngày gửi", "18/05/2026"),
        ("Cụ thể hóa", 3, "Ngày hoàn thành", "12/05/2026"),
    ]
    assert "nhập sau hạn" in flags[1].message and "20/05/2026" in flags[1].message


def test_nothing_to_compare_with_means_no_flags(plan, tmp_path):
    # The only earlier snapshot was read before the deadline: it cannot prove anything.
    early = read_on(book(), "2026-05-10T08:00:00+07:00")
    save_snapshot(early, tmp_path / "2026-04" / "snapshots")
    now = read_on(book(concretizations=[["QLXD", "12/05/2026"]]), "2026-06-01T08:00:00+07:00")
    records, _ = normalize(now, plan)
    assert backdated_entries(records, plan, MAY, tmp_path, now.read_at) == []


def test_apology_dated_back_is_flagged(plan, tmp_path):
    dossier = ["H1", "Cấp phép", "VP", "20/04/2026", "25/04/2026", "", ""]
    save_snapshot(
        read_on(book(dossiers=[dossier]), "2026-04-22T08:00:00+07:00"), tmp_path / "a" / "snapshots"
    )
    apologised = dossier[:5] + ["19/04/2026", "01/PXL"]
    now = read_on(book(dossiers=[apologised]), "2026-05-20T08:00:00+07:00")
    records, _ = normalize(now, plan)
    flags = backdated_entries(records, plan, MAY, tmp_path, now.read_at)
    assert [(f.tab, f.column) for f in flags] == [("Hồ sơ trễ hẹn", "Ngày xin lỗi")]


def test_prune_keeps_the_newest_snapshot_of_each_period(tmp_path):
    stamps = {
        "2026-01": ["2026-01-20T08:00:00+07:00", "2026-01-25T08:00:00+07:00"],
        "2026-05": ["2026-05-20T08:00:00+07:00", "2026-11-20T08:00:00+07:00"],
    }
    for period, reads in stamps.items():
        for stamp in reads:
            save_snapshot(read_on(book(), stamp), tmp_path / period / "snapshots")
    removed = prune_snapshots(tmp_path, keep_days=100, today=date(2026, 11, 28))
    left = [(p.parent.parent.name, at.date().isoformat()) for at, p in snapshot_files(tmp_path)]
    # 2026-01: both older than 100 days, the newer one stays; 2026-05: the old one goes.
    assert left == [("2026-01", "2026-01-25"), ("2026-05", "2026-11-20")]
    assert len(removed) == 2
