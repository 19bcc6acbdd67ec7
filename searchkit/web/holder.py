"""Serve step 0, holder: the index opened once and shared by every request.

One `Snapshot` (with its one shared Whoosh searcher) serves all requests. Before each
request the holder reads `CURRENT` (one small file): when it names another generation
(after a `searchkit index`), the new generation is opened, checked like any other
(`open_snapshot`: format, seal), and used from then on. The previous snapshot is closed
at the switch after next, so a search still running on it finishes undisturbed.

Whoosh's searcher is not made for concurrent use, so searches take turns (`lock`); the
work is CPU-bound Python anyway, where threads would not run in parallel. A search that
cannot get its turn within the request's time limit is refused (`BusyError`).
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import SearchkitError
from ..i18n import _
from ..index import Snapshot, open_snapshot


class BusyError(SearchkitError):
    """The index is busy with other requests for longer than one request may wait."""


class IndexHolder:
    def __init__(self, root: Path, snapshot: Snapshot | None = None):
        self.root = Path(root)
        self._snapshot = snapshot
        self._retired: Snapshot | None = None
        self._switch = threading.Lock()
        self.lock = threading.Lock()  # one search at a time on the shared searcher
        self.generation = snapshot.gen_dir.name if snapshot is not None else None

    def _current_name(self) -> str | None:
        try:
            return (self.root / "CURRENT").read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def snapshot(self) -> Snapshot:
        """The live generation's snapshot; reopened when CURRENT has moved on."""
        name = self._current_name()
        snap = self._snapshot
        if snap is not None and (name is None or name == self.generation):
            return snap
        with self._switch:
            if self._snapshot is not None and self._current_name() == self.generation:
                return self._snapshot
            fresh = open_snapshot(self.root)
            if self._retired is not None:
                self._retired.close()
            self._retired, self._snapshot = self._snapshot, fresh
            self.generation = fresh.gen_dir.name
            return fresh

    def run(self, fn, timeout: float):
        """`fn(snapshot)` in its turn; `BusyError` when the turn does not come within `timeout` seconds."""
        if not self.lock.acquire(timeout=timeout):
            raise BusyError(_("the index is busy with other searches; try again in a moment"))
        try:
            return fn(self.snapshot())
        finally:
            self.lock.release()

    def close(self) -> None:
        for snap in (self._retired, self._snapshot):
            if snap is not None:
                snap.close()
