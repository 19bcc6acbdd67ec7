"""Query step 1, syntax: a query string -> a tree of terms, AND, OR and NOT.

Terms separated by spaces must all match; `OR`, `NOT` / `-term`, `( )` for grouping,
`"quoted phrase"` (its spaces are ignored like all whitespace, and it is matched exactly,
never understood as words), and the field prefixes `title:`, `author:`, `org:`,
`district:`, `section:`. A colon after any other word is ordinary text, so a pasted title
is a plain query. Only ASCII `( ) " :` are syntax (and the fullwidth colon of a field
prefix, as a Chinese input method types it); fullwidth `（ ）` and curly quotes are text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import QuerySyntaxError
from ..i18n import _
from ..normalize import search_key

FIELDS = ("title", "author", "org", "district", "section")
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class Term:
    field: str  # "" (anywhere: title, body or byline), or one of FIELDS
    text: str  # as typed
    quoted: bool = False  # a "quoted phrase": exact, never understood as words

    @property
    def key(self) -> str:
        return search_key(self.text)


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _tokens(text: str):
    """Yield (kind, value, column): kinds LP, RP, OR, AND, NOT, TERM (value = (field, text))."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            yield "LP", "(", i
            i += 1
        elif c == ")":
            yield "RP", ")", i
            i += 1
        elif c == "-" and text[i + 1 : i + 2] in ('"', "("):
            yield "NOT", "-", i  # -"phrase", -(group)
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(_('unbalanced quote: the " at position {position} is never closed').format(
                    position=i + 1))
            yield "TERM", ("", text[i + 1 : end], True), i
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            if word.upper() in ("OR", "AND", "NOT"):  # or, and, not too: a Chinese query holds no such word
                yield word.upper(), word, i
                i = j
                continue
            negate = word.startswith("-") and len(word) > 1
            if negate:
                yield "NOT", "-", i
                word, i = word[1:], i + 1
            m = re.match(r"^([A-Za-z]+)[:：](.*)$", word)  # a Chinese input method types ：
            if m and m.group(1).lower() in FIELDS:
                name, rest = m.group(1).lower(), m.group(2)
                if not rest:
                    if j < n and text[j] == '"':
                        end = text.find('"', j + 1)
                        if end < 0:
                            raise QuerySyntaxError(_('unbalanced quote: the " at position {position} is never '
                                                     'closed').format(position=j + 1))
                        yield "TERM", (name, text[j + 1 : end], True), i
                        i = end + 1
                        continue
                    raise QuerySyntaxError(_("{name}: at position {position} needs a term right after it, e.g. "
                                             "{name}:西湖").format(name=name, position=i + 1))
                yield "TERM", (name, rest, False), i
            else:
                yield "TERM", ("", word, False), i
            i = j


MAX_DEPTH = 40  # nesting of parentheses and NOTs


class _Parser:
    def __init__(self, text: str):
        self.toks = list(_tokens(text))
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        if not self.toks:
            raise QuerySyntaxError(_("empty query: type a word to search for, e.g. 西湖龙井"))
        node = self.or_expr()
        kind, __, col = self.peek()
        if kind == "RP":
            raise QuerySyntaxError(_("unbalanced parenthesis: the ) at position {position} has no (").format(
                position=col + 1))
        return node

    def or_expr(self):
        items = [self.and_expr()]
        while self.peek()[0] == "OR":
            __, __, col = self.take()
            if self.peek()[0] in (None, "RP", "OR"):
                raise QuerySyntaxError(_("OR at position {position} needs a term after it").format(position=col + 1))
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self):
        items = []
        while True:
            kind, __, col = self.peek()
            if kind == "AND":
                self.take()
                if not items or self.peek()[0] in (None, "RP", "OR", "AND"):
                    raise QuerySyntaxError(_("AND at position {position} needs a term on each side").format(
                        position=col + 1))
                continue
            if kind in (None, "RP", "OR"):
                break
            items.append(self.unary())
        if not items:
            kind, __, col = self.peek()
            if kind == "OR":
                raise QuerySyntaxError(_("OR at position {position} needs a term before it").format(position=col + 1))
            if kind == "RP":
                raise QuerySyntaxError(_("unbalanced parenthesis: the ) at position {position} has no (").format(
                    position=col + 1))
            raise QuerySyntaxError(_("empty query: type a word to search for, e.g. 西湖龙井"))
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self):
        kind, value, col = self.take()
        if kind in ("NOT", "LP"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(_("query nested too deeply at position {position} (at most {max} levels)").format(
                    position=col + 1, max=MAX_DEPTH))
            try:
                return self._nested(kind, value, col)
            finally:
                self.depth -= 1
        return self._nested(kind, value, col)

    def _nested(self, kind, value, col):
        if kind == "NOT":
            if self.peek()[0] in (None, "RP", "OR", "AND"):
                raise QuerySyntaxError(_("{operator} at position {position} needs a term after it").format(
                    operator=value, position=col + 1))
            return Not(self.unary())
        if kind == "LP":
            if self.peek()[0] == "RP":
                raise QuerySyntaxError(_("empty parentheses at position {position}").format(position=col + 1))
            node = self.or_expr()
            if self.take()[0] != "RP":
                raise QuerySyntaxError(_("unbalanced parenthesis: the ( at position {position} is never closed").format(
                    position=col + 1))
            return node
        if kind == "TERM":
            name, text, quoted = value
            term = Term(name, text, quoted)
            if not term.key:
                raise QuerySyntaxError(_("empty phrase at position {position}").format(position=col + 1))
            return term
        raise QuerySyntaxError(_("unexpected {token} at position {position}").format(  # pragma: no cover
            token=value, position=col + 1))


def parse_query(text: str):
    """Query string -> syntax tree; `QuerySyntaxError` with a one-line reason."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(_("query too long: {n} characters, at most {max}").format(n=len(text),
                                                                                        max=MAX_QUERY_CHARS))
    # Control characters go, but those that are whitespace (form feed from a PDF page
    # break, vertical tab, ...) still separate terms.
    return _Parser(_CONTROL.sub(lambda m: " " if m.group().isspace() else "", text)).parse()


def positive_terms(node, negated: bool = False) -> list[Term]:
    """The terms a hit contains (those not under NOT): what is highlighted and scored."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.item, not negated)
    return [t for item in node.items for t in positive_terms(item, negated)]


