"""What earlier reads proved, for the back-dated check: collected with the other inputs.

The check (``tasks.integrity``) compares this run's claimed rows with the earliest snapshot read
after each deadline. Loading and normalising those snapshots on every run cost about a second
each at 100 000 products (a snapshot is one JSON document of the whole book), and a month's
report compares with 30 or more. What a snapshot proved, the identity of each row of the tabs
the rules make claims on, is kept instead in one small index per folder of snapshots
(``INDEX_NAME``, beside them): written when a run records its own read, or the first time an
older snapshot is read; a later run reads only the index.

The index is a cache, never trusted blindly: a file of another format, written under another
plan or other normalisation code, or one that does not parse or does not add up, is ignored and
rebuilt from the snapshots; an entry whose snapshot changed (size or modification time) is
rebuilt; an entry whose snapshot is gone (pruned) is dropped.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import zlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks import calendar, contract, dates, normalize, rules, text
from tasks.collect import load_snapshot, snapshot_files
from tasks.contract import INPUT_TABS, UNITS
from tasks.errors import SheetStructureError, SourceError
from tasks.files import write_atomically
from tasks.models import History, RawBook, RawTab, ReadProof, Records, identity_key
from tasks.plan import Plan
from tasks.stage import stage_task
from tasks.text import match_key

logger = logging.getLogger(__name__)

INDEX_NAME = "chi-muc-anh-chup.json.gz"  # not du-lieu-*: never taken for a snapshot
INDEX_FORMAT = 1
# The code whose change can change what a snapshot normalises to: its source is part of the
# index's fingerprint, so an index written by other code is rebuilt rather than trusted.
_NORMALISING_CODE = (normalize, dates, text, contract, calendar)

# A snapshot's proof: tab key -> identity keys of its rows; None for a snapshot that proves
# nothing (damaged, or a missing tab or column).
Proof = dict[str, list[str]] | None


def snapshot_history(
    output_dir: Path,
    plan: Plan,
    before: str,
    own: Records | None = None,
    own_snapshot: Path | None = None,
) -> History:
    """What every snapshot kept under ``output_dir`` and read before ``before`` (ISO time: this
    run's read) proved. ``own`` and ``own_snapshot``: this run's read, normalised, and the
    snapshot it was saved as; its proof is recorded now, from the records in memory, so that no
    later run has to read that snapshot again. Index files that cannot be written are only
    logged."""
    identities = rules.claim_identities()
    fingerprint = _fingerprint(plan, identities)
    cutoff = datetime.fromisoformat(before)
    existing = snapshot_files(output_dir)
    folders: dict[Path, list[tuple[datetime, Path]]] = {}
    for read_at, path in existing:
        folders.setdefault(path.parent, []).append((read_at, path))
    if own is not None and own_snapshot is not None:
        folders.setdefault(own_snapshot.parent, [])
    own_folder = own_snapshot.parent if own is not None and own_snapshot is not None else None
    reads: list[ReadProof] = []
    for folder, files in folders.items():
        index = _load_index(folder / INDEX_NAME, fingerprint, identities)
        kept = {path.name for _, path in files}
        if own is not None and own_snapshot is not None and folder == own_folder:
            kept.add(own_snapshot.name)
            changed = _record_own(index, own, own_snapshot)
        else:
            changed = False
        changed |= index.forget_except(kept)
        for read_at, path in files:
            if read_at >= cutoff:
                continue
            stat = _stat(path)
            if stat is None:
                continue  # pruned meanwhile by another run
            if index.stat_of(path.name) != stat:
                index.record(path.name, stat, _proof_of_snapshot(path, plan, identities))
                changed = True
            read = index.read_proof(path.name, read_at)
            if read is not None:
                reads.append(read)
        if changed:
            _save_index(folder / INDEX_NAME, index)
    return History(identities, sorted(reads, key=lambda read: read.read_at))


def record_read(records: Records, snapshot: Path, plan: Plan) -> None:
    """Record what a read proves in the index of the folder of ``snapshot``, the file it was
    just saved as, from its ``records`` (the read, normalised): a later report then never reads
    that snapshot. For flows that keep snapshots without reporting (the daily check and
    reminders); the report records its own read through snapshot_history."""
    record_reads(records, [snapshot], plan)


def record_reads(records: Records, snapshots: Iterable[Path], plan: Plan) -> None:
    """record_read for one read kept as several files."""
    identities = rules.claim_identities()
    fingerprint = _fingerprint(plan, identities)
    proof = proof_of_records(records, identities)
    by_folder: dict[Path, list[Path]] = {}
    for snapshot in snapshots:
        by_folder.setdefault(snapshot.parent, []).append(snapshot)
    for folder, files in by_folder.items():
        index = _load_index(folder / INDEX_NAME, fingerprint, identities)
        changed = False
        for snapshot in files:
            stat = _stat(snapshot)
            if stat is not None and index.stat_of(snapshot.name) != stat:
                index.record(snapshot.name, stat, proof)
                changed = True
        if changed:
            _save_index(folder / INDEX_NAME, index)


def _record_own(index: _Index, records: Records, snapshot: Path) -> bool:
    stat = _stat(snapshot)
    if stat is None or index.stat_of(snapshot.name) == stat:
        return False
    index.record(snapshot.name, stat, proof_of_records(records, index.identities))
    return True


def only_tabs(raw: RawBook, keys: Collection[str]) -> RawBook:
    """``raw`` with the rows of every input tab but ``keys`` and the unit roster cut to the
    header. Normalising it gives the same frames for those tabs as the whole book (each tab is
    parsed on its own, naming units through the roster) and the same structure errors (they
    come from the headers), without parsing the products: at 100 000 products they are nearly
    all of a book's cells."""
    keep = {match_key(s.title) for s in INPUT_TABS if s.key in keys or s.key == UNITS.key}
    cut = {match_key(s.title) for s in INPUT_TABS} - keep
    tabs = {
        title: RawTab(tab.title, tab.rows[:1]) if match_key(title) in cut else tab
        for title, tab in raw.tabs.items()
    }
    return replace(raw, tabs=tabs)


def proof_of_records(records: Records, identities: dict[str, tuple[str, ...]]) -> Proof:
    """What a read proves, from its records: the identity of each row of each claimed tab. A
    run's own read is normalised whole anyway, and only_tabs gives the same claimed frames."""
    return {
        tab: [
            identity_key(values)
            for values in getattr(records, tab)[list(columns)].itertuples(index=False, name=None)
        ]
        for tab, columns in identities.items()
    }


def _proof_of_snapshot(path: Path, plan: Plan, identities: dict[str, tuple[str, ...]]) -> Proof:
    """What an earlier snapshot proves: only its claimed tabs normalised (only_tabs)."""
    try:
        raw = load_snapshot(path)
        records = normalize.normalize(only_tabs(raw, identities), plan)[0]
    except (SourceError, SheetStructureError):
        return None  # a damaged snapshot, or one missing a tab or column, proves nothing
    return proof_of_records(records, identities)


def _fingerprint(plan: Plan, identities: dict[str, tuple[str, ...]]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([INDEX_FORMAT, identities], sort_keys=True).encode())
    digest.update(plan.model_dump_json().encode())
    for module in _NORMALISING_CODE:
        try:
            digest.update(Path(str(module.__file__)).read_bytes())
        except OSError:
            digest.update(module.__name__.encode())
    return digest.hexdigest()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


@dataclass
class _Index:
    """One folder's index in memory: each tab's identity keys numbered in the order first seen,
    and per snapshot (by file name) its size and modification time and, per tab, the numbers of
    its rows as half-open runs (or None: it proves nothing)."""

    fingerprint: str
    identities: dict[str, tuple[str, ...]]
    keys: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, dict[str, int]] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tab in self.identities:
            self.keys.setdefault(tab, [])
        self.numbers = {tab: {k: i for i, k in enumerate(keys)} for tab, keys in self.keys.items()}

    def stat_of(self, name: str) -> tuple[int, int] | None:
        entry = self.snapshots.get(name)
        return None if entry is None else (entry["size"], entry["mtime_ns"])

    def forget_except(self, names: Collection[str]) -> bool:
        gone = [name for name in self.snapshots if name not in names]
        for name in gone:
            del self.snapshots[name]
        return bool(gone)

    def record(self, name: str, stat: tuple[int, int], proof: Proof) -> None:
        rows = None
        if proof is not None:
            rows = {tab: _runs(self._number(tab, keys)) for tab, keys in proof.items()}
        self.snapshots[name] = {"size": stat[0], "mtime_ns": stat[1], "rows": rows}

    def read_proof(self, name: str, read_at: datetime) -> ReadProof | None:
        rows = self.snapshots[name]["rows"]
        if rows is None:
            return None
        return ReadProof(read_at, self.numbers, {tab: tuple(r) for tab, r in rows.items()})

    def _number(self, tab: str, keys: Iterable[str]) -> list[int]:
        numbers, known = self.numbers[tab], self.keys[tab]
        found = []
        for key in keys:
            number = numbers.get(key)
            if number is None:
                number = numbers[key] = len(known)
                known.append(key)
            found.append(number)
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "fingerprint": self.fingerprint,
            "keys": self.keys,
            "snapshots": self.snapshots,
        }


def _runs(numbers: Iterable[int]) -> list[int]:
    """Sorted numbers as half-open runs: [1, 2, 3, 7] -> [1, 4, 7, 8]."""
    runs: list[int] = []
    for number in sorted(set(numbers)):
        if runs and runs[-1] == number:
            runs[-1] = number + 1
        else:
            runs += [number, number + 1]
    return runs


def _load_index(path: Path, fingerprint: str, identities: dict[str, tuple[str, ...]]) -> _Index:
    """The index at ``path`` when it is whole, of this format and fingerprint, and adds up
    (every run within its tab's keys); otherwise an empty one (rebuilt from the snapshots)."""
    empty = _Index(fingerprint, identities)
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
    except FileNotFoundError:
        return empty
    except (OSError, EOFError, zlib.error, ValueError) as err:
        logger.warning("Chỉ mục ảnh chụp %s hỏng (%s): lập lại từ các ảnh chụp.", path, err)
        return empty
    if not _well_formed(data, fingerprint, identities):
        logger.info("Chỉ mục ảnh chụp %s lập theo cách khác: lập lại từ các ảnh chụp.", path)
        return empty
    return _Index(fingerprint, identities, data["keys"], snapshots=data["snapshots"])


def _well_formed(data: Any, fingerprint: str, identities: dict[str, tuple[str, ...]]) -> bool:
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        return False
    if data.get("fingerprint") != fingerprint:
        return False
    keys, snapshots = data.get("keys"), data.get("snapshots")
    if not isinstance(keys, dict) or set(keys) != set(identities):
        return False
    for tab_keys in keys.values():
        if not isinstance(tab_keys, list) or not all(isinstance(k, str) for k in tab_keys):
            return False
        if len(set(tab_keys)) != len(tab_keys):
            return False
    if not isinstance(snapshots, dict):
        return False
    return all(_entry_well_formed(entry, keys) for entry in snapshots.values())


def _entry_well_formed(entry: Any, keys: dict[str, list[str]]) -> bool:
    if not isinstance(entry, dict) or set(entry) != {"size", "mtime_ns", "rows"}:
        return False
    if not all(type(entry[k]) is int for k in ("size", "mtime_ns")):
        return False
    rows = entry["rows"]
    if rows is None:
        return True
    if not isinstance(rows, dict) or set(rows) != set(keys):
        return False
    for tab, runs in rows.items():
        if not isinstance(runs, list) or len(runs) % 2 or not all(type(n) is int for n in runs):
            return False
        if any(a >= b for a, b in zip(runs, runs[1:], strict=False)):
            return False  # runs must be increasing and apart
        if runs and (runs[0] < 0 or runs[-1] > len(keys[tab])):
            return False
    return True


def _save_index(path: Path, index: _Index) -> None:
    payload = json.dumps(index.to_json(), ensure_ascii=False, separators=(",", ":"))
    try:
        write_atomically(path, gzip.compress(payload.encode("utf-8"), compresslevel=1, mtime=0))
    except OSError as err:  # only a cache: the next run builds it again
        logger.warning("Không ghi được chỉ mục ảnh chụp %s: %s", path, err)


snapshot_history_task = stage_task("Đọc lịch sử ảnh chụp")(snapshot_history)
