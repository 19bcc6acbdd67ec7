"""Stage 5, render: results for people in a terminal, plain text for pipes.

Layout (boxes, wrapping by display width, indents) when standard output is a terminal;
plain lines that `less`, `grep` and friends read cleanly otherwise. Styles as git does
(`--color auto|always|never`, `settings.color`): on a terminal by default, in a pipe
with `always` (for `| less -R`), never with `never`. `NO_COLOR` removes the colours only:
matches stay marked (bold, underlined) and the layout is unchanged. Long output on a
terminal goes through a pager (`paged`: `$PAGER`, else `less` with `LESS=FRX`), unless
`--no-pager`. Bulletin text contains square brackets, so it is always printed as
`rich.text.Text` with style spans, never through markup strings. Columns holding
unspaced Chinese fold instead of being cut. Every label is translated (`i18n`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from .i18n import N_, _, language, ngettext
from .cite import citation, title_of
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


@dataclass
class Settings:
    """How output looks: `--color` and `--no-pager` (set once by the CLI)."""

    color: str = "auto"  # auto | always | never
    pager: bool = True


settings = Settings()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def make_console(stderr: bool = False, file=None, terminal: bool | None = None, width: int | None = None) -> Console:
    """A console for standard output (or error): laid out for a terminal when it is one
    (`terminal` says so for a `file` that stands in for it), styled as `settings.color` says."""
    stream = sys.stderr if stderr else sys.stdout
    layout = _isatty(stream) if terminal is None else terminal
    styled = settings.color == "always" or (settings.color == "auto" and layout)
    no_color = bool(os.environ.get("NO_COLOR")) and settings.color != "always"
    console = SafeConsole(
        file=file or stream,
        highlight=False,
        markup=False,
        emoji=False,
        no_color=no_color,
        force_terminal=styled,
        color_system="auto" if styled else None,
        soft_wrap=not layout,
        width=width or (None if layout else 200),
    )
    console.layout = layout
    return console


def is_fancy(console: Console) -> bool:
    """Laid out for a terminal (boxes, wrapping, indents)."""
    return getattr(console, "layout", console.is_terminal)


# --------------------------------------------------------------------------- pager


def pager_command() -> str | None:
    """The pager to use as git chooses it: $SEARCHKIT_PAGER, $PAGER, else `less`; None for
    none (`cat`, empty, or no `less` installed)."""
    cmd = os.environ.get("SEARCHKIT_PAGER", os.environ.get("PAGER"))
    if cmd is None:
        cmd = "less" if shutil.which("less") else ""
    return cmd if cmd.strip() and cmd.strip() != "cat" else None


@contextlib.contextmanager
def paged():
    """A console for standard output: on a terminal, what is printed goes through the pager
    when it is taller than the screen (as git does), else straight out."""
    out = sys.stdout
    cmd = pager_command() if settings.pager and _isatty(out) else None
    if cmd is None:
        yield make_console()
        return
    size = shutil.get_terminal_size()
    buffer = io.StringIO()
    console = make_console(file=buffer, terminal=True, width=size.columns)
    yield console
    text = buffer.getvalue()
    if text.count("\n") < size.lines - 1:
        out.write(text)
        out.flush()
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # quit if one screen, keep colours, leave the screen as it is
    env.setdefault("LV", "-c")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the pager
    try:
        proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, env=env)
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write(text.encode(getattr(out, "encoding", None) or "utf-8", "replace"))
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()
        proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


class Broken:
    """Bulletin text in a table cell, broken as Chinese text is (`typeset.breaks`: by display
    width, never before closing punctuation) at whatever width the table gives the column."""

    def __init__(self, text: Text | str):
        self.text = text if isinstance(text, Text) else Text(text)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        from .typeset import cells

        widest = max((cells(line) for line in self.text.plain.split("\n")), default=0)
        return Measurement(min(widest, 8), widest)

    def __rich_console__(self, console, options):
        lines = []
        for para in self.text.split("\n"):
            for line in para.divide(breaks(para.plain, max(options.max_width, 4))):
                line.rstrip()
                lines.append(line)
        yield Text("\n").join(lines)


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
    from .cite import brief_title

    for issue in issues:
        t = table(console, _("id"), _("kind"), _("section"), _("district"), _("title"), _("byline"), _("chars"),
                  title=f"{issue.publication} 第{issue.issue}期(总第{issue.issue_total}期) {issue.date}  {one_line(issue.source)}",
                  fold=(_("title"), _("byline")))
        for r in issue.records:
            byline = " ".join(filter(None, [r.org, *r.authors]))
            t.add_row(r.id, _(KINDS.get(r.kind, r.kind)), r.section, r.district,
                      Broken(r.title or brief_title(r.body, r.org, r.district)), Broken(byline), str(len(r.body)))
        show_table(console, t)


KINDS = {"article": N_("article"), "brief": N_("brief")}


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
            from rich.table import Column

            # File names are text from outside: shown as text, never read as markup ("x[/b]y.txt").
            # In a narrow terminal the file name gives way first: the count and the time stay whole.
            self.bar = Progress(TextColumn(self.label, markup=False), BarColumn(),
                                MofNCompleteColumn(table_column=Column(no_wrap=True)),
                                TimeElapsedColumn(table_column=Column(no_wrap=True)),
                                TextColumn("{task.description}", markup=False,
                                           table_column=Column(no_wrap=True, overflow="ellipsis")),
                                console=console, transient=True)
            self.bar.start()
        return self.advance

    def advance(self, name: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if self.task is None:
            self.task = self.bar.add_task("", total=total)
        self.bar.update(self.task, completed=done, description=one_line(name))

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
        t = table(console, _("file"), _("status"), _("records"), _("note"), fold=(_("file"), _("note")))
        for f in notable:
            note = f.reason or "; ".join(f.warnings)
            style = "red" if f.status == "skipped" else ("yellow" if f.warnings else "")
            t.add_row(Text(one_line(f.source)), Text(_(STATUSES.get(f.status, f.status)), style=style),
                      str(f.records) if f.records else "", Broken(one_line(note)))
        show_table(console, t)
    if nothing:
        return
    counts = _clauses(_(STATUS_COUNTS[s]).format(n=report.count(s)) for s in STATUS_COUNTS if report.count(s))
    what = {"built": _("{index}/ built: {counts}; {issues} issues, {records} records in the index ({seconds} s)."),
            "rebuilt": _("{index}/ rebuilt: {counts}; {issues} issues, {records} records in the index ({seconds} s)."),
            "updated": _("{index}/ updated: {counts}; {issues} issues, {records} records in the index ({seconds} s).")}[
        "built" if report.first else "rebuilt" if report.rebuilt else "updated"]
    indented(console, Text(what.format(index=report.index_dir, counts=counts or _("no files"),
                                       issues=report.total_issues, records=report.total_records,
                                       seconds=f"{report.seconds:.2f}")), by=0)


STATUSES = {"added": N_("added"), "updated": N_("updated"), "removed": N_("removed"), "kept": N_("kept"),
            "unchanged": N_("unchanged"), "skipped": N_("skipped")}
STATUS_COUNTS = {"added": N_("{n} added"), "updated": N_("{n} updated"), "removed": N_("{n} removed"),
                 "kept": N_("{n} kept"), "unchanged": N_("{n} unchanged"), "skipped": N_("{n} skipped")}


# --------------------------------------------------------------------------- search results

HIGHLIGHT = "bold black on yellow"
HIGHLIGHT_NO_COLOR = "bold underline"  # NO_COLOR: the matches stay marked


def highlighted(text: str, spans, base: str = "", console: Console | None = None) -> Text:
    mark = HIGHLIGHT_NO_COLOR if console is not None and console.no_color else HIGHLIGHT
    t = Text(text, style=base)
    for s, e in spans:
        t.stylize(mark, s, e)
    return t


def indented(console: Console, text: Text, by: int = 5, first: Text | None = None) -> None:
    """Print text indented (its first line after `first`, e.g. a rank, of `by` columns); in a
    terminal its lines are broken as Chinese text is (by display width, never before closing
    punctuation: `typeset`) and keep the indent too."""
    lead = first if first is not None else Text(" " * by)
    if not is_fancy(console):
        console.print(lead + text)
        return
    for line in text.divide(breaks(text.plain, max(console.width - by, 10))):
        line.rstrip()
        console.print(lead + line, no_wrap=True, crop=False)
        lead = Text(" " * by)


def byline(hit) -> str:
    return " ".join(filter(None, [hit.org, *hit.authors]))


def hit_meta(hit) -> str:
    parts = [hit.date, f"第{hit.issue}期(总第{hit.issue_total}期)", hit.section, hit.district, byline(hit), hit.id]
    return " · ".join(p for p in parts if p)


def passages(snippets) -> list[tuple[str, list[tuple[int, int]], bool, bool]]:
    """A hit's snippets as lines to show: (text, highlights, cut before, cut after). Passages
    that touch in the body are one line, so `…` stands only where text is left out."""
    out: list[list] = []
    end = None
    for s in snippets:
        if out and end == s.start:
            base = len(out[-1][0])
            out[-1][0] += s.text
            out[-1][1] += [(a + base, b + base) for a, b in s.highlights]
            out[-1][3] = not s.at_end
        else:
            out.append([s.text, list(s.highlights), s.start > 0, not s.at_end])
        end = s.start + len(s.text)
    return [tuple(p) for p in out]


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
    style = "dim"
    indented(console, Text(told["line"], style=style), by=0)
    for line in [*told["also"], *([told["left_out"]] if told["left_out"] else [])]:
        indented(console, Text(line, style=style), by=2)


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


def _what(result, filters) -> str:
    """The query and the filters, as the totals line names them: `人大 --district 余杭`."""
    return " ".join(filter(None, [result.query.strip(), *filters]))


def search_result(result, console: Console | None = None, filters=(), page_size: int = 10) -> None:
    console = console or make_console()
    fancy = is_fancy(console)
    what = _what(result, filters)
    if not result.hits and result.total and result.offset:  # paged past the end
        console.print(Text(_("No hits past hit {offset}: {total} in all for {query}; the last page is "
                             "--page {page}.").format(offset=result.offset, total=result.total, query=what,
                                                      page=max(1, -(-result.total // (page_size or result.total))))))
        return
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
            console.print(Text(f"{rule} {_(TIER_MARKS[hit.match])} {rule}", style="bold"))
            console.print()
        tier = hit.match
        title = title_of(hit)
        indented(console, highlighted(title, hit.title_highlights if hit.title else [], "bold", console),
                 first=Text(f"{rank:>3}. ", style="bold"))
        meta = hit_meta(hit)
        if hit.proximity:
            meta += " · " + _(PROXIMITY_MARKS[hit.proximity])
        indented(console, Text(meta, style="dim"))
        for text, spans, before, after in passages(hit.snippets):
            t = Text("…" if before else "")
            t.append_text(highlighted(text, spans, console=console))
            t.append("…" if after else "")
            indented(console, t)
        console.print()
    shown = len(result.hits)
    first, last = result.offset + 1, result.offset + shown
    line = (ngettext("{total} hit for {query}", "{total} hits for {query}", result.total)
            .format(total=result.total, query=what))
    if shown < result.total:
        line += (_(", showing {first}-{last}") if last > first else _(", showing hit {first}")).format(
            first=first, last=last)
    console.print(Text(line + ("。" if language() == "zh" else ".")))
    if last < result.total or result.partial_pending:
        if result.offset % shown == 0:
            more = _("Next page: add --page {page}").format(page=last // shown + 1)
        else:
            more = _("Next hits: add --offset {offset}").format(offset=last)
        if last >= result.total:  # the page is full of closer matches; looser ones are looked for next
            more += _(" (looser matches follow)")
        console.print(Text(more, style="dim"))
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
        line += ("" if language() == "zh" else " ") + _("{n} partial matches not written (add --partial).").format(
            n=left_out)
    console.print(Text(line))


TIER_NAMES = {"exact": N_("exact {n}"), "words": N_("words {n}"), "partial": N_("partial {n}")}


def bars(console: Console, title: str, counts, width: int = 30) -> None:
    """A table of counts with a bar for each, scaled to the largest."""
    t = table(console, title, _("n"), "", fold=(title,))
    top = max((n for _, n in counts), default=0) or 1
    for name, n in counts:
        t.add_row(Text(str(name)), str(n), Text("█" * max(1, round(n * width / top)), style="cyan"))
    show_table(console, t)


def facets(counts: dict, console: Console | None = None) -> None:
    console = console or make_console()
    for name in ("district", "year", "section"):
        if counts.get(name):
            bars(console, _(name), counts[name])


# --------------------------------------------------------------------------- records, stats, lists


def issue_contents(hits, console: Console | None = None) -> None:
    """One issue's records, a line each: id, section, district, title."""
    console = console or make_console()
    first = hits[0]
    console.print(Text(f"第{first.issue}期(总第{first.issue_total}期) {first.date}", style="bold"))
    t = table(console, _("id"), _("section"), _("district"), _("title"), fold=(_("title"),))
    for hit in hits:
        t.add_row(hit.id, hit.section, hit.district, Broken(title_of(hit)))
    show_table(console, t)


def record(hit, console: Console | None = None) -> None:
    """A whole article: title, metadata, then its paragraphs."""
    console = console or make_console()
    body = hit.snippets[0]
    indented(console, highlighted(title_of(hit, body.text), hit.title_highlights if hit.title else [], "bold",
                                  console), by=0)
    if hit.toc_title:
        indented(console, Text(_("Contents: {title}").format(title=hit.toc_title), style="dim"), by=0)
    indented(console, Text(hit_meta(hit), style="dim"), by=0)
    indented(console, Text(citation(hit), style="dim"), by=0)
    console.print(Text(one_line(hit.source), style="dim"))
    console.print()
    start = 0
    for para in body.text.split("\n"):
        end = start + len(para)
        spans = [(max(s, start) - start, min(e, end) - start) for s, e in body.highlights if s < end and e > start]
        indented(console, highlighted(para, spans, console=console), by=0)
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
        _("Index: {location}/ ({generation}, {size}), updated {updated}").format(
            location=s.location, generation=s.generation, size=_size(s.size_bytes), updated=s.updated),
        _("Issues: {issues}, records: {records}").format(issues=len(s.issues), records=s.records),
    ]
    if first and last:
        lines.append(_("From {first} to {last}").format(
            first=f"第{first.issue}期(总第{first.issue_total}期) {first.date}",
            last=f"第{last.issue}期(总第{last.issue_total}期) {last.date}"))
        if s.gaps:
            shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in s.gaps[:30]) + (" …" if len(s.gaps) > 30 else "")
            lines.append(_("Missing running numbers ({n}): {numbers}").format(n=f"{s.missing:,}", numbers=shown))
        else:
            lines.append(_("No gaps in the running numbers."))
    for line in lines:
        console.print(Text(line))
    console.print()
    bars(console, _("year"), s.per_year)
    bars(console, _("section"), s.per_section)
    bars(console, _("district"), s.per_district)


def issue_list(issues, console: Console | None = None) -> None:
    console = console or make_console()
    t = table(console, _("issue"), _("date"), _("records"), _("source"), fold=(_("source"),))
    for i in issues:
        t.add_row(f"第{i.issue}期(总第{i.issue_total}期)", i.date, str(i.records), Text(one_line(i.source)))
    show_table(console, t)
    console.print(Text(_("{issues} issues, {records} records.").format(
        issues=len(issues), records=sum(i.records for i in issues))))
