"""The history of earlier reads (tasks/history.py): what each snapshot proved is kept in an
index beside the snapshots, used on later runs, and never trusted blindly."""

import gzip
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from tasks import history as history_module
from tasks.calendar import parse_period
from tasks.collect import prune_snapshots, save_snapshot
from tasks.history import INDEX_NAME, only_tabs, proof_of_records, record_read, snapshot_history
from tasks.integrity import backdated_entries
from tasks.models import identity_key
from tasks.normalize import normalize
from tests.builders import book

MAY = parse_period("2026-05")
NOW = "2026-06-01T08:00:00+07:00"
EXPECTED = [("Cụ thể hóa", 3, "12/05/2026")]  # QLXD's row, absent from the 20/05 read


def read_on(raw, stamp: str):
    raw.read_at = stamp
    return raw


def earlier_read(folder: Path) -> Path:
    """Read on 20/05 (after the 14/05 deadline): VP had concretised, QLXD had not."""
    before = read_on(book(concretizations=[["VP", "10/05/2026"]]), "2026-05-20T08:00:00+07:00")
    return save_snapshot(before, folder)


def now_book():
    rows = [["VP", "10/05/2026"], ["QLXD", "12/05/2026"]]
    return read_on(book(concretizations=rows), NOW)


def flags(plan, out: Path) -> list[tuple]:
    now = now_book()
    records, _ = normalize(now, plan)
    found = backdated_entries(records, plan, MAY, snapshot_history(out, plan, now.read_at))
    return [(f.tab, f.row, f.value) for f in found]


def no_snapshot_reads(monkeypatch) -> None:
    def refuse(path):
        raise AssertionError(f"read {path} although the index knows it")

    monkeypatch.setattr(history_module, "load_snapshot", refuse)


def test_what_a_snapshot_proved_is_kept_and_used_next_time(plan, tmp_path, monkeypatch):
    folder = tmp_path / "kiem-tra" / "snapshots"
    earlier_read(folder)
    assert flags(plan, tmp_path) == EXPECTED
    assert (folder / INDEX_NAME).exists()
    no_snapshot_reads(monkeypatch)
    assert flags(plan, tmp_path) == EXPECTED  # from the index alone


def test_the_runs_own_read_is_recorded_from_memory(plan, tmp_path, monkeypatch):
    folder = tmp_path / "2026-05" / "snapshots"
    earlier = read_on(book(concretizations=[["VP", "10/05/2026"]]), "2026-05-20T08:00:00+07:00")
    saved = save_snapshot(earlier, folder)
    no_snapshot_reads(monkeypatch)
    own = normalize(earlier, plan)[0]
    history = snapshot_history(tmp_path, plan, earlier.read_at, own, saved)
    assert history.reads == []  # its own read is not "earlier"
    assert flags(plan, tmp_path) == EXPECTED  # the next run finds it in the index


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"not gzip at all", id="not-gzip"),
        pytest.param(lambda data: gzip.compress(b"{half a json"), id="not-json"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
    ],
)
def test_a_corrupt_index_is_ignored_and_rebuilt(plan, tmp_path, damage):
    folder = tmp_path / "kiem-tra" / "snapshots"
    earlier_read(folder)
    flags(plan, tmp_path)
    index = folder / INDEX_NAME
    index.write_bytes(damage(index.read_bytes()))
    assert flags(plan, tmp_path) == EXPECTED
    assert json.loads(gzip.decompress(index.read_bytes()))["format"] == 1  # written again


def rewrite_index(index: Path, change) -> None:
    data = json.loads(gzip.decompress(index.read_bytes()))
    change(data)
    index.write_bytes(gzip.compress(json.dumps(data).encode()))


def claim_qlxd_was_there(data) -> None:
    """A lie the rebuilt index must not repeat: QLXD's row in the 20/05 read."""
    keys = data["keys"]["concretizations"]
    keys.append(identity_key(["QLXD", date(2026, 5, 12), ""]))
    entry = next(iter(data["snapshots"].values()))
    entry["rows"]["concretizations"] = [0, len(keys)]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(format=0), id="older-format"),
        pytest.param(lambda d: d.update(fingerprint="other plan or code"), id="other-fingerprint"),
        pytest.param(
            lambda d: [
                e["rows"]["concretizations"].extend([7, 9]) for e in d["snapshots"].values()
            ],
            id="runs-beyond-the-keys",
        ),
        pytest.param(lambda d: d["keys"].pop("dossiers"), id="a-tab-missing"),
    ],
)
def test_an_index_of_another_format_or_that_does_not_add_up_is_rebuilt(plan, tmp_path, change):
    folder = tmp_path / "kiem-tra" / "snapshots"
    earlier_read(folder)
    flags(plan, tmp_path)
    index = folder / INDEX_NAME

    def lie_and_change(data):
        claim_qlxd_was_there(data)
        change(data)

    rewrite_index(index, lie_and_change)
    assert flags(plan, tmp_path) == EXPECTED  # the lie was not believed


def test_a_snapshot_that_changed_since_it_was_indexed_is_read_again(plan, tmp_path):
    folder = tmp_path / "kiem-tra" / "snapshots"
    path = earlier_read(folder)
    flags(plan, tmp_path)
    rewrite_index(folder / INDEX_NAME, claim_qlxd_was_there)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # e.g. copied back
    assert flags(plan, tmp_path) == EXPECTED


def test_a_damaged_snapshot_proves_nothing_and_the_next_one_counts(plan, tmp_path, monkeypatch):
    folder = tmp_path / "kiem-tra" / "snapshots"
    stamp = "2026-05-18T08:00:00+07:00"
    damaged = save_snapshot(read_on(book(concretizations=[["QLXD", "12/05/2026"]]), stamp), folder)
    damaged.write_bytes(b"\x1f\x8b broken")
    earlier_read(folder)  # 20/05: the first readable one after the deadline
    assert flags(plan, tmp_path) == EXPECTED
    no_snapshot_reads(monkeypatch)
    assert flags(plan, tmp_path) == EXPECTED  # its "proves nothing" is remembered too


def test_pruned_snapshots_leave_the_index(plan, tmp_path):
    folder = tmp_path / "kiem-tra" / "snapshots"
    old = read_on(book(), "2025-01-10T08:00:00+07:00")
    save_snapshot(old, folder)
    earlier_read(folder)
    flags(plan, tmp_path)
    assert len(json.loads(gzip.decompress((folder / INDEX_NAME).read_bytes()))["snapshots"]) == 2
    assert prune_snapshots(tmp_path, keep_days=100, today=date(2026, 6, 1))
    assert flags(plan, tmp_path) == EXPECTED
    kept = json.loads(gzip.decompress((folder / INDEX_NAME).read_bytes()))["snapshots"]
    assert list(kept) == ["du-lieu-20260520T080000.json.gz"]


def test_identity_keys_are_equal_exactly_when_the_values_are():
    day = date(2026, 5, 12)
    assert identity_key(["VP", day, None]) == identity_key(["VP", date(2026, 5, 12), None])
    assert identity_key(["VP", day, None]) != identity_key(["VP", day, ""])
    assert identity_key([day]) != identity_key([datetime(2026, 5, 12)])
    assert identity_key(["1"]) != identity_key([1])
    assert identity_key([1]) == identity_key([1.0]) == identity_key([True])
    assert identity_key(['a","b']) != identity_key(["a", "b"])


def test_a_well_formed_index_is_believed(plan, tmp_path):
    # What makes the tests above mean something: the same lie in an index that is whole and of
    # this format and fingerprint is taken as what the snapshot proved.
    folder = tmp_path / "kiem-tra" / "snapshots"
    earlier_read(folder)
    flags(plan, tmp_path)
    rewrite_index(folder / INDEX_NAME, claim_qlxd_was_there)
    assert flags(plan, tmp_path) == []


def test_a_read_recorded_when_saved_is_never_read_again(plan, tmp_path, monkeypatch):
    folder = tmp_path / "kiem-tra" / "snapshots"
    earlier = read_on(book(concretizations=[["VP", "10/05/2026"]]), "2026-05-20T08:00:00+07:00")
    record_read(normalize(earlier, plan)[0], save_snapshot(earlier, folder), plan)
    no_snapshot_reads(monkeypatch)
    assert flags(plan, tmp_path) == EXPECTED


@pytest.mark.parametrize("source", ["sample", "synthetic"])
def test_a_read_proves_the_same_normalised_whole_or_by_its_claimed_tabs(plan, source):
    """A run records its own read from its whole normalised book; a later run reads an
    unrecorded snapshot's claimed tabs only (only_tabs). Both must prove the same rows."""
    from benchmarks.synthetic import synthetic_book
    from tasks.collect import read_workbook
    from tasks.rules import claim_identities

    raw = (
        read_workbook(Path(__file__).parent.parent / "data" / "sample" / "cchc-2026-mau.xlsx")
        if source == "sample"
        else synthetic_book(3_000)
    )
    identities = claim_identities()
    whole = proof_of_records(normalize(raw, plan)[0], identities)
    claimed = proof_of_records(normalize(only_tabs(raw, identities), plan)[0], identities)
    assert whole == claimed
    assert all(whole[tab] for tab in identities)  # every claimed tab has rows to compare
