"""The domain dictionary (`data/dict.txt`) and the jieba dictionary format, read without
Whoosh or jieba: query understanding needs the words, not a segmenter."""

from __future__ import annotations

from pathlib import Path

DOMAIN_DICT = Path(__file__).with_name("data") / "dict.txt"


def dictionary_words(path):
    """Entries of a jieba-format dictionary file: `word [frequency] [tag]` per line."""
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
            yield parts[0], freq, tag
