"""Query step 2a, synonyms: the domain's abbreviations, full names and renamed districts.

A shipped, curated list (`searchkit/data/synonyms.txt`) and the user's own
`synonyms.txt` in the index folder, both in the format documented at the top of the
shipped file (Solr's: `甲, 乙` both ways, `甲 => 乙` one way), with an optional label
after ` #`. Rules are keyed by search key, so case, width and traditional forms don't
matter. Expansions are used by the `words` tier only, never inside quotes or with
`--exact`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from ..normalize import search_key

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "synonyms.txt"
USER_FILE = "synonyms.txt"
_SEPARATORS = re.compile(r"[,，、]")
_LABEL = re.compile(r"\s#")


@dataclass(frozen=True)
class Alternative:
    key: str  # search key
    text: str  # as written in the rule
    label: str = ""


class Synonyms:
    """Rules from key to alternatives; `expand(key)` gives what else a word finds."""

    def __init__(self):
        self.rules: dict[str, dict[str, Alternative]] = {}

    def add(self, sources: list[str], targets: list[str], label: str = "") -> None:
        for s in sources:
            for t in targets:
                if search_key(t) != search_key(s):
                    self.rules.setdefault(search_key(s), {}).setdefault(search_key(t), Alternative(
                        search_key(t), t, label))

    def expand(self, key: str) -> list[Alternative]:
        return list(self.rules.get(key, {}).values())

    @property
    def keys(self) -> set[str]:
        return set(self.rules)

    def read(self, path: Path) -> "Synonyms":
        """Add the rules of a synonyms file; a bad line is a one-line error naming it."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise UsageError(_("{path}: not UTF-8 text; save the synonyms file as UTF-8").format(path=path)) from None
        except OSError as exc:
            raise UsageError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
        for n, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            rule, *label = _LABEL.split(line, 1)
            label = label[0].strip() if label else ""
            if rule.count("=>") > 1:
                raise UsageError(_("{path}:{line}: more than one '=>' in a rule").format(path=path, line=n))
            if "=>" in rule:
                left, right = rule.split("=>")
                sources, targets = _terms(left), _terms(right)
                if not sources or not targets:
                    raise UsageError(_("{path}:{line}: a rule 'A => B' needs words on both sides").format(
                        path=path, line=n))
                self.add(sources, targets, label)
            else:
                terms = _terms(rule)
                if len(terms) < 2:
                    raise UsageError(_("{path}:{line}: a rule needs two or more words separated by commas").format(
                        path=path, line=n))
                self.add(terms, terms, label)
        return self


def _terms(text: str) -> list[str]:
    return [t.strip() for t in _SEPARATORS.split(text) if search_key(t)]


def load(index_root: Path | None = None) -> Synonyms:
    """The shipped rules, plus the user's `synonyms.txt` in the index folder, if any."""
    synonyms = Synonyms().read(SHIPPED)
    if index_root is not None and (index_root / USER_FILE).is_file():
        synonyms.read(index_root / USER_FILE)
    return synonyms
