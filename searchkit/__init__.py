"""searchkit: full-text search for 杭州人大信息, the Hangzhou People's Congress bulletin.

The pipeline, one module per stage:

    parser (issue file -> records) -> analysis (jieba words) -> index (Whoosh + exact-text store)
    -> query (syntax -> grep-exact hits, BM25F ranking, highlights) -> render / export (terminal, CSV, ...)

`cli` is a thin click layer over these.
"""

import functools
import sys
import types

__version__ = "0.1.0"

# Whoosh-Reloaded imports `cached_property` (PyPI) for one plain `@cached_property`; that
# module imports asyncio, a fifth of a search's start-up. The standard library's does the
# same for a plain method, so it stands in, unless the real one is already loaded.
if "cached_property" not in sys.modules:
    _shim = types.ModuleType("cached_property", "functools.cached_property, standing in (see searchkit/__init__.py)")
    _shim.cached_property = functools.cached_property
    sys.modules["cached_property"] = _shim
