"""Stage 5, render: results for people in a terminal, plain text for pipes.

Rich output (colour, boxes) only when standard output is a terminal and `NO_COLOR` is not
set; otherwise plain lines that `less`, `grep` and friends read cleanly. Bulletin text
contains square brackets, so it is always printed as `rich.text.Text` with style spans,
never through markup strings. Columns holding unspaced Chinese fold instead of being cut.
"""

from __future__ import annotations

import os
import sys

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    fancy = stream.isatty() and not os.environ.get("NO_COLOR")
    return Console(
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


def issues_table(issues, console: Console | None = None) -> None:
    """The records of each parsed issue, one table per issue."""
    console = console or make_console()
    for issue in issues:
        t = table(console, "id", "kind", "section", "district", "title", "byline", "chars",
                  title=f"{issue.publication} 第{issue.issue}期(总第{issue.issue_total}期) {issue.date}  {issue.source}",
                  fold=("title", "byline"))
        for r in issue.records:
            byline = " ".join(filter(None, [r.org, *r.authors]))
            t.add_row(r.id, r.kind, r.section, r.district, Text(r.title or r.body[:30] + "…"), Text(byline),
                      str(len(r.body)))
        console.print(t)
