"""The storage every run shares (DESIGN §8): send and reminder logs, snapshots, reports.

``CCHC_STORAGE`` unset: the output folder (``CCHC_OUTPUT_DIR``) is the storage, as on one
machine; nothing here does anything. Set to a folder (a mounted share) or any fsspec URL
(``s3://bucket/cchc`` through s3fs): the output folder becomes this machine's working copy. A run
fetches what it needs from the storage before reading it (``fetch``, ``fetch_missing``) and
stores what it made (``store``); the logs are read, appended and stored back inside
``exclusive``, which one run at a time holds across every worker (a Prefect global concurrency
limit), so "never twice" holds however many workers there are.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from tasks.errors import OutputError
from tasks.files import write_atomically
from tasks.limits import ensure_limit

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from tasks.settings import Settings

logger = logging.getLogger(__name__)

# One slot: the send log, the reminder log and the slips log are written by one run at a time.
SENDING_LIMIT = "cchc-gui-thu"
# A run killed while holding the slot keeps it until its lease runs out (the server's
# repossessor frees it; a temporary server has none): short, renewed while the run lives.
SLOT_LEASE_SECONDS = 60
SLOT_WAIT_SECONDS = 900  # an SMTP send with all its retries takes a few minutes at most


class Storage:
    """The shared storage at ``url`` (None: ``local`` itself) and this machine's copy ``local``.
    Paths are given as local paths under ``local``; the storage keeps the same relative layout."""

    def __init__(self, url: str | None, local: Path) -> None:
        self.url = url or None
        self.local = Path(local)

    @classmethod
    def of(cls, settings: Settings, local: Path | None = None) -> Storage:
        return cls(settings.storage, settings.output_dir if local is None else local)

    @property
    def shared(self) -> bool:
        """False when the output folder is the storage (the default): nothing to copy."""
        return self.url is not None

    @cached_property
    def _fs_root(self) -> tuple[AbstractFileSystem, str]:
        from fsspec.core import url_to_fs  # s3fs and friends load slowly: only when shared

        try:
            fs, root = url_to_fs(str(self.url))
        except (ImportError, ValueError) as err:
            raise OutputError(
                f"Không dùng được kho lưu trữ chung CCHC_STORAGE ({_scheme(self.url)}): {err}"
            ) from err
        return fs, root.rstrip("/")

    def _remote(self, path: Path) -> str:
        try:
            relative = Path(path).resolve().relative_to(self.local.resolve())
        except ValueError as err:
            raise OutputError(f"Tệp {path} không nằm trong thư mục kết quả {self.local}.") from err
        return posixpath.join(self._fs_root[1], relative.as_posix())

    def fetch(self, path: Path) -> None:
        """The storage's copy of ``path`` replaces this machine's (a log another worker appended
        to). Left as it is when the storage has none yet: it is stored on the next write."""
        if not self.shared:
            return
        data = self._call("đọc", path, lambda fs, remote: fs.cat_file(remote), missing_ok=True)
        if data is not None:
            write_atomically(Path(path), data)

    def fetch_missing(self, pattern: str) -> list[Path]:
        """Copies here of the storage's files matching ``pattern`` (a glob of the relative path,
        whose ``*`` also matches ``/``) that this machine does not have yet: the snapshots and
        reports other workers made."""
        if not self.shared:
            return []
        fs, root = self._fs_root
        fs.invalidate_cache()  # another worker may have written since this process last looked
        names = self._call("liệt kê", self.local, lambda f, _: f.find(root), missing_ok=True)
        fetched = []
        for name in names or []:
            relative = posixpath.relpath(str(name), root)
            path = self.local / relative
            if fnmatch(relative, pattern) and not path.exists():
                write_atomically(path, self._call("đọc", path, lambda f, r: f.cat_file(r)))
                fetched.append(path)
        return fetched

    def store(self, paths: Iterable[Path]) -> None:
        """Put ``paths`` (files under the output folder) into the storage. A reader sees the old
        file or the new one, never half of one (an S3 PUT is whole; a folder gets a rename)."""
        if not self.shared:
            return
        fs, _ = self._fs_root
        put = _rename_into_place if _is_local(fs) else _put_whole
        for path in paths:
            data = Path(path).read_bytes()
            self._call("ghi", path, lambda f, remote, d=data: put(f, remote, d))

    def remove(self, paths: Iterable[Path]) -> None:
        """Delete ``paths`` from the storage too (old snapshots)."""
        if not self.shared:
            return
        for path in paths:
            self._call("xóa", path, lambda fs, remote: fs.rm_file(remote), missing_ok=True)

    @contextmanager
    def exclusive(self, log: Path) -> Iterator[None]:
        """Hold the sending slot, with ``log`` fetched on entry and stored on exit (also after a
        failed send: its "failed" entry is kept). On this machine a file lock; with a shared
        storage, also a Prefect global concurrency limit across workers."""
        log.parent.mkdir(parents=True, exist_ok=True)
        across_workers = _prefect_slot(SENDING_LIMIT) if self.shared else nullcontext()
        with FileLock(log.with_name(log.name + ".lock")), across_workers:
            self.fetch(log)
            try:
                yield
            finally:
                if log.exists():
                    self.store([log])

    def _call(self, verb: str, path: Path, action: Any, missing_ok: bool = False) -> Any:
        fs, _ = self._fs_root
        remote = self._remote(path)
        try:
            return action(fs, remote)
        except FileNotFoundError:
            if missing_ok:
                return None
            raise OutputError(f"Kho lưu trữ chung không có tệp {remote}.") from None
        except Exception as err:  # each storage library has errors of its own
            # Only the error's kind: the storage's own message may hold its address.
            raise OutputError(
                f"Không {verb} được {remote} trên kho lưu trữ chung ({_scheme(self.url)}): "
                f"{type(err).__name__}"
            ) from err


@contextmanager
def _prefect_slot(name: str) -> Iterator[None]:
    """One run at a time across every worker, while a Prefect run is going on (the API is
    there); a plain function call (tests through ``.fn``) has only the file lock."""
    from prefect.context import FlowRunContext

    if FlowRunContext.get() is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    ensure_limit(name, 1)
    logger.info("Chờ lượt ghi nhật ký gửi thư chung (giới hạn đồng thời %s).", name)
    with ExitStack() as held:
        try:
            # strict: a limit that does not exist would let every run through silently.
            held.enter_context(
                concurrency(
                    name,
                    occupy=1,
                    timeout_seconds=SLOT_WAIT_SECONDS,
                    lease_duration=SLOT_LEASE_SECONDS,
                    strict=True,
                )
            )
        except TimeoutError as err:
            raise OutputError(
                f"Chờ {SLOT_WAIT_SECONDS // 60} phút vẫn chưa tới lượt gửi thư (giới hạn đồng "
                f"thời “{name}”, mục Concurrency của giao diện Prefect): một lần chạy khác gửi "
                "rất lâu, hoặc bị dừng đột ngột mà máy chủ Prefect chưa thu hồi lượt. Chưa gửi "
                "gì; lần chạy sau sẽ gửi."
            ) from err
        yield


def _rename_into_place(fs: AbstractFileSystem, remote: str, data: bytes) -> None:
    write_atomically(Path(remote), data)


def _put_whole(fs: AbstractFileSystem, remote: str, data: bytes) -> None:
    fs.pipe_file(remote, data)


def _is_local(fs: AbstractFileSystem) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def _scheme(url: str | None) -> str:
    """The storage's kind for messages (``s3``, ``thư mục``): never the full URL."""
    text = str(url or "")
    return text.split("://", 1)[0] if "://" in text else "thư mục"
