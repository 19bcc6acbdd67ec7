"""searchkit: full-text search for 杭州人大信息, the Hangzhou People's Congress bulletin.

The pipeline, one module per stage:

    parser (issue file -> records) -> analysis (jieba words) -> index (Whoosh + exact-text store)
    -> query (syntax -> grep-exact hits, BM25F ranking, highlights) -> render / export (terminal, CSV, ...)

`cli` is a thin click layer over these.
"""

__version__ = "0.1.0"
