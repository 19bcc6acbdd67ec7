"""The system under test: searchkit's library search over an index of seeds/ in a temp folder.

`search(snapshot, query, limit=10)` as a user's default search; when `search` accepts
`exact=True` (the `--exact` mode of issue 9), a second row `searchkit --exact` runs it too.
Each hit's tier (`hit.match`: exact / words / partial) is kept when the Hit has one.
"""

from __future__ import annotations

import inspect
from pathlib import Path


def open_index(seeds: Path, folder: Path):
    from searchkit.index import open_snapshot, update_index

    update_index([seeds], folder, rebuild=True)
    return open_snapshot(folder)


def has_exact_mode() -> bool:
    from searchkit.query import search

    try:
        return "exact" in inspect.signature(search).parameters
    except (TypeError, ValueError):
        return False


class Searchkit:
    def __init__(self, snapshot, exact: bool = False):
        from searchkit.query import search

        self.snapshot, self.exact, self._search = snapshot, exact, search
        self.name = "searchkit --exact" if exact else "searchkit"
        self.last_tiers: list[str | None] = []

    def search(self, query: str, limit: int = 10) -> list[str]:
        kwargs = {"exact": True} if self.exact else {}
        result = self._search(self.snapshot, query, limit=limit, **kwargs)
        hits = list(result.hits)[:limit]
        self.last_tiers = [getattr(h, "match", None) for h in hits]
        return [h.id for h in hits]
