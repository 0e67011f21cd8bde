"""Snapshots keep the exact values read, whichever JSON writer wrote them."""

import gzip
import json
import math

from tasks.collect import load_snapshot, save_snapshot
from tasks.models import RawBook, RawTab


def a_book(*rows) -> RawBook:
    tabs = {"Tin bài": RawTab("Tin bài", [["Ngày", "Tiêu đề"], *rows])}
    return RawBook(source="sample.xlsx", read_at="2026-05-20T08:00:00+07:00", tabs=tabs)


def test_values_come_back_exactly(tmp_path):
    rows = [[46161, "Hội nghị “Cải cách” <b>&</b>"], [46161.5, True, None], [], [2**70, -0.1]]
    got = load_snapshot(save_snapshot(a_book(*rows), tmp_path)).tabs["Tin bài"].rows
    assert got == [["Ngày", "Tiêu đề"], *rows]
    assert [type(v) for v in got[1] + got[2] + got[4]] == [
        int,
        str,
        float,
        bool,
        type(None),
        int,
        float,
    ]


def test_not_a_number_is_kept_not_turned_into_null(tmp_path):
    got = load_snapshot(save_snapshot(a_book([math.nan, math.inf]), tmp_path))
    nan, inf = got.tabs["Tin bài"].rows[1]
    assert math.isnan(nan) and inf == math.inf


def test_a_snapshot_written_by_the_older_writer_still_loads(tmp_path):
    raw = a_book([46161, "Tin bài số 1"])
    path = tmp_path / "du-lieu-20260520T080000.json.gz"
    path.write_bytes(gzip.compress(json.dumps(raw.to_json(), ensure_ascii=False).encode()))
    assert load_snapshot(path).tabs == raw.tabs
