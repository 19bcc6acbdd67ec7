"""Stage 5, render: results for people in a terminal, plain text for pipes.

Rich output (colour, boxes) only when standard output is a terminal and `NO_COLOR` is not
set; otherwise plain lines that `less`, `grep` and friends read cleanly. Bulletin text
contains square brackets, so it is always printed as `rich.text.Text` with style spans,
never through markup strings. Columns holding unspaced Chinese fold instead of being cut.
"""

from __future__ import annotations

import os
import sys
from collections import Counter

from rich import box
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from .i18n import N_, _, language, ngettext
from .typeset import breaks
from .terminal import one_line, visible


class SafeConsole(Console):
    """A console that shows the control, bidi and zero-width characters of what it prints as
    escapes (terminal.py); rich's own styling and cursor control pass untouched."""

    def _render_buffer(self, buffer) -> str:
        return super()._render_buffer(s if s.control else Segment(visible(s.text), s.style) for s in buffer)

    def on_broken_pipe(self) -> None:
        """The reader went away (`| head -1`): it has what it wanted; end quietly, status 0."""
        self.quiet = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), self.file.fileno())
        raise SystemExit(0)


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    fancy = stream.isatty() and not os.environ.get("NO_COLOR")
    return SafeConsole(
        file=stream,
        highlight=False,
        markup=False,
        emoji=False,
        no_color=not fancy,
        force_terminal=fancy,
        soft_wrap=not fancy,
        width=None if fancy else 200,
    )


def is_fancy(console: Console) -> bool:
    return console.is_terminal and not console.no_color


def table(console: Console, *columns: str, title: str | None = None, fold: tuple[str, ...] = ()) -> Table:
    """A table that is boxed in a terminal and plain in a pipe; `fold` columns wrap Chinese text."""
    fancy = is_fancy(console)
    t = Table(title=title, box=box.SIMPLE_HEAD if fancy else None, show_edge=False, pad_edge=False,
              header_style="bold" if fancy else "")
    for name in columns:
        t.add_column(name, overflow="fold" if name in fold else "ellipsis", no_wrap=name not in fold)
    return t


def show_table(console: Console, t: Table) -> None:
    """Print a table; in plain mode without the padding rich leaves at the ends of lines."""
    if is_fancy(console):
        console.print(t)
        return
    with console.capture() as captured:
        console.print(t)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def issues_table(issues, console: Console | None = None) -> None:
    """The records of each parsed issue, one table per issue."""
    console = console or make_console()
    for issue in issues:
        t = table(console, "id", "kind", "section", "district", "title", "byline", "chars",
                  title=f"{issue.publication} 第{issue.issue}期(总第{issue.issue_total}期) {issue.date}  {one_line(issue.source)}",
                  fold=("title", "byline"))
        for r in issue.records:
            byline = " ".join(filter(None, [r.org, *r.authors]))
            t.add_row(r.id, r.kind, r.section, r.district, Text(r.title or r.body[:30] + "…"), Text(byline),
                      str(len(r.body)))
        show_table(console, t)


# --------------------------------------------------------------------------- progress and reports


class _Progress:
    """A progress bar on stderr while files are read; silent when stderr is not a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.task = None

    def __enter__(self):
        console = make_console(stderr=True)
        if is_fancy(console):
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.description}"), console=console, transient=True)
            self.bar.start()
        return self.advance

    def advance(self, name: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if self.task is None:
            self.task = self.bar.add_task("", total=total)
        self.bar.update(self.task, completed=done, description=name)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


def progress(label: str) -> _Progress:
    return _Progress(label)


def index_report(report, console: Console | None = None, nothing: bool = False) -> None:
    """What an index update did: a line per file that changed or was skipped, then totals
    (none when `nothing` was built)."""
    console = console or make_console()
    notable = [f for f in report.files if f.status != "unchanged" or f.warnings]
    if report.first or report.rebuilt:  # every file is new: name only those with something to say
        notable = [f for f in notable if f.status not in ("added", "updated") or f.warnings]
    if notable:
        t = table(console, "file", "status", "records", "note", fold=("file", "note"))
        for f in notable:
            note = f.reason or "; ".join(f.warnings)
            style = "red" if f.status == "skipped" else ("yellow" if f.warnings else "")
            t.add_row(Text(one_line(f.source)), Text(f.status, style=style), str(f.records) if f.records else "",
                      Text(one_line(note)))
        show_table(console, t)
    if nothing:
        return
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("added", "updated", "removed", "kept", "unchanged", "skipped")
                       if report.count(s))
    what = "built" if report.first else "rebuilt" if report.rebuilt else "updated"
    console.print(Text(f"{report.index_dir}/ {what}: {counts or 'no files'}; "
                       f"{report.total_issues} issues, {report.total_records} records in the index "
                       f"({report.seconds:.2f} s)."))


# --------------------------------------------------------------------------- search results

HIGHLIGHT = "bold black on yellow"


def highlighted(text: str, spans, base: str = "") -> Text:
    t = Text(text, style=base)
    for s, e in spans:
        t.stylize(HIGHLIGHT, s, e)
    return t


def indented(console: Console, text: Text, by: int = 5) -> None:
    """Print text indented; in a terminal its lines are broken as Chinese text is (by display
    width, never before closing punctuation: `typeset`) and keep the indent too."""
    if not is_fancy(console):
        console.print(Text(" " * by) + text)
        return
    for line in text.divide(breaks(text.plain, max(console.width - by, 10))):
        line.rstrip()
        console.print(Text(" " * by) + line, no_wrap=True, crop=False)


def byline(hit) -> str:
    return " ".join(filter(None, [hit.org, *hit.authors]))


def hit_meta(hit) -> str:
    parts = [hit.date, f"第{hit.issue}期(总第{hit.issue_total}期)", hit.section, hit.district, byline(hit), hit.id]
    return " · ".join(p for p in parts if p)


def _clauses(items) -> str:
    """Clauses in a sentence: 完整匹配 0 篇，同句 1 篇 / exact 0, same sentence 1."""
    return ("，" if language() == "zh" else ", ").join(items)


def understanding(result, console: Console) -> None:
    """How the query was read, and how many hits each tier has (not in --exact mode)."""
    from .explain import explanation
    from .i18n import translation

    told = explanation(result, translation(), language())
    if told is None:
        return
    style = "dim" if is_fancy(console) else ""
    console.print(Text(told["line"], style=style))
    for line in [*told["also"], *([told["left_out"]] if told["left_out"] else [])]:
        console.print(Text("  " + line, style=style))


TIER_MARKS = {
    "words": N_("Below: not as typed; all the words, apart"),
    "partial": N_("Below: partial matches; part of the query"),
}
PROXIMITY_MARKS = {"sentence": N_("same sentence"), "paragraph": N_("same paragraph")}


def suggestions(result, console: Console) -> None:
    for s in result.suggestions:
        if s.kind == "correction":
            line = _("Did you mean: {query} ({n} hits)").format(query=s.query, n=s.hits)
        elif s.kind == "drop_filter":
            line = _("Without {option}: {n} hits").format(option=s.option, n=s.hits)
        else:
            line = _("Without {word}: {query} ({n} hits)").format(word=s.word, query=s.query, n=s.hits)
        console.print(Text("  " + line))


def search_result(result, console: Console | None = None, filters=()) -> None:
    console = console or make_console()
    fancy = is_fancy(console)
    what = result.query or " ".join(filters)
    if not result.hits:
        console.print(Text(_("No hits for {query}.").format(query=what)))
        from .explain import tried
        from .i18n import translation

        what_was_tried = tried(result, translation())
        if what_was_tried:
            console.print(Text(what_was_tried))
        if result.suggestions:
            suggestions(result, console)
        elif result.total == 0:
            console.print(Text(_("Check the spelling, or try other words") + ("。" if language() == "zh" else ".")))
        if result.facets is not None:
            facets(result.facets, console)
        return
    understanding(result, console)
    if result.suggestions:
        suggestions(result, console)
    if result.understood is not None and not result.understood.exact:
        console.print()
    tier = "exact"  # a looser tier is marked where it starts, on the first hit too
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        if hit.match != tier and hit.match in TIER_MARKS:
            rule = "──" if fancy else "--"
            console.print(Text(f"{rule} {_(TIER_MARKS[hit.match])} {rule}", style="bold" if fancy else ""))
            console.print()
        tier = hit.match
        title = hit.title or "(信息摘登)"
        line = Text(f"{rank:>3}. ", style="bold" if fancy else "")
        line.append_text(highlighted(title, hit.title_highlights if hit.title else [], "bold" if fancy else ""))
        console.print(line)
        meta = hit_meta(hit)
        if hit.proximity:
            meta += " · " + _(PROXIMITY_MARKS[hit.proximity])
        indented(console, Text(meta, style="dim" if fancy else ""))
        for snip in hit.snippets:
            t = Text("…" if snip.start else "")
            t.append_text(highlighted(snip.text, snip.highlights))
            t.append("" if snip.at_end else "…")
            indented(console, t)
        console.print()
    shown = len(result.hits)
    first, last = result.offset + 1, result.offset + shown
    line = (ngettext("{total} hit for {query}", "{total} hits for {query}", result.total)
            .format(total=result.total, query=what))
    if shown < result.total:
        line += _(", showing {first}-{last}").format(first=first, last=last)
    console.print(Text(line + ("。" if language() == "zh" else ".")))
    if last < result.total and result.offset % shown == 0:
        console.print(Text(_("Next page: add --page {page}").format(page=last // shown + 1),
                           style="dim" if fancy else ""))
    if result.facets is not None:
        facets(result.facets, console)


def export_tiers(result, left_out: int, console: Console | None = None) -> None:
    """Which tiers an export wrote, on stderr; and how many partial matches it left out."""
    console = console or make_console(stderr=True)
    written = Counter(h.match for h in result.hits)
    if result.understood is None or result.understood.exact or not result.hits:
        return
    parts = [_(TIER_NAMES[t]).format(n=written[t]) for t in ("exact", "words", "partial") if written[t]]
    line = _("Tiers written: {tiers}.").format(tiers=_clauses(parts))
    if left_out:
        line += " " + _("{n} partial matches not written (add --partial).").format(n=left_out)
    console.print(Text(line))


TIER_NAMES = {"exact": N_("exact {n}"), "words": N_("words {n}"), "partial": N_("partial {n}")}


def bars(console: Console, title: str, counts, width: int = 30) -> None:
    """A table of counts with a bar for each, scaled to the largest."""
    t = table(console, title, "n", "", fold=(title,))
    top = max((n for _, n in counts), default=0) or 1
    for name, n in counts:
        t.add_row(Text(str(name)), str(n), Text("█" * max(1, round(n * width / top)), style="cyan"))
    show_table(console, t)


def facets(counts: dict, console: Console | None = None) -> None:
    console = console or make_console()
    for name in ("district", "year", "section"):
        if counts.get(name):
            bars(console, name, counts[name])


# --------------------------------------------------------------------------- records, stats, lists


def issue_contents(hits, console: Console | None = None) -> None:
    """One issue's records, a line each: id, section, district, title."""
    console = console or make_console()
    first = hits[0]
    console.print(Text(f"第{first.issue}期(总第{first.issue_total}期) {first.date}", style="bold" if is_fancy(console)
                       else ""))
    t = table(console, "id", "section", "district", "title", fold=("title",))
    for hit in hits:
        t.add_row(hit.id, hit.section, hit.district, Text(hit.title or "(信息摘登)"))
    show_table(console, t)


def record(hit, console: Console | None = None) -> None:
    """A whole article: title, metadata, then its paragraphs."""
    console = console or make_console()
    fancy = is_fancy(console)
    title = hit.title or "(信息摘登)"
    console.print(highlighted(title, hit.title_highlights if hit.title else [], "bold" if fancy else ""))
    if hit.toc_title:
        console.print(Text(f"目录: {hit.toc_title}", style="dim" if fancy else ""))
    console.print(Text(hit_meta(hit), style="dim" if fancy else ""))
    console.print(Text(one_line(hit.source), style="dim" if fancy else ""))
    console.print()
    body = hit.snippets[0]
    start = 0
    for para in body.text.split("\n"):
        end = start + len(para)
        spans = [(max(s, start) - start, min(e, end) - start) for s, e in body.highlights if s < end and e > start]
        indented(console, highlighted(para, spans), by=0)
        start = end + 1


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def stats(s, console: Console | None = None) -> None:
    console = console or make_console()
    first, last = s.first, s.last
    lines = [
        f"Index: {s.location}/ ({s.generation}, {_size(s.size_bytes)}), updated {s.updated}",
        f"Issues: {len(s.issues)}, records: {s.records}",
    ]
    if first and last:
        lines.append(f"From 第{first.issue}期(总第{first.issue_total}期) {first.date} "
                     f"to 第{last.issue}期(总第{last.issue_total}期) {last.date}")
        if s.gaps:
            shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in s.gaps[:30]) + (" …" if len(s.gaps) > 30 else "")
            lines.append(f"Missing running numbers ({s.missing:,}): {shown}")
        else:
            lines.append("No gaps in the running numbers.")
    for line in lines:
        console.print(Text(line))
    console.print()
    bars(console, "year", s.per_year)
    bars(console, "section", s.per_section)
    bars(console, "district", s.per_district)


def issue_list(issues, console: Console | None = None) -> None:
    console = console or make_console()
    t = table(console, "issue", "date", "records", "source", fold=("source",))
    for i in issues:
        t.add_row(f"第{i.issue}期(总第{i.issue_total}期)", i.date, str(i.records), Text(one_line(i.source)))
    show_table(console, t)
    console.print(Text(f"{len(issues)} issues, {sum(i.records for i in issues)} records."))
