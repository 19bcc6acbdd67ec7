"""Baseline: the textbook recipe, Whoosh + `jieba.analyse.ChineseAnalyzer`, AND and OR.

Built as scripts/bench.py builds it: title and body TEXT fields with jieba's analyzer (the
title field holds the heading and, when it differs, the table-of-contents title), BM25F
(Whoosh's default scorer), and the query parsed by `MultifieldParser(["title", "body"])`,
which hands each whitespace-separated word to the same analyzer (jieba's search mode), so
an unsegmented query becomes several words. `group=AndGroup` requires every word (within
one field, as the parser builds it), `group=OrGroup` any of them. The index lives in memory
(RamStorage); jieba's dictionary cache goes into the caller's private temp folder, never
the shared system temp folder, and its log messages are silenced.
"""

from __future__ import annotations

import logging
from pathlib import Path


def _jieba_analyzer(cache_dir: Path):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.tmp_dir = str(cache_dir)
    jieba.dt.cache_file = str(cache_dir / "jieba.cache")
    from jieba.analyse import ChineseAnalyzer

    return ChineseAnalyzer()


class TextbookIndex:
    def __init__(self, records: list[dict], cache_dir: Path):
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.filedb.filestore import RamStorage

        analyzer = _jieba_analyzer(cache_dir)
        self.schema = Schema(id=ID(stored=True), title=TEXT(stored=True, analyzer=analyzer),
                             body=TEXT(stored=True, analyzer=analyzer))
        self.ix = RamStorage().create_index(self.schema)
        writer = self.ix.writer()
        for r in records:
            writer.add_document(id=r["id"], title=r["title"], body=r["body"])
        writer.commit()
        self.searcher = self.ix.searcher()

    def system(self, mode: str) -> "Textbook":
        return Textbook(self, mode)


class Textbook:
    def __init__(self, index: TextbookIndex, mode: str):
        from whoosh.qparser import AndGroup, MultifieldParser, OrGroup

        self.index, self.name = index, f"textbook {mode}"
        group = {"AND": AndGroup, "OR": OrGroup}[mode]
        self.parser = MultifieldParser(["title", "body"], index.schema, group=group)

    def search(self, query: str, limit: int = 10) -> list[str]:
        return [hit["id"] for hit in self.index.searcher.search(self.parser.parse(query), limit=limit)]
