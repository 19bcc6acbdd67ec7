"""The command line: a thin click layer over the library.

Each command parses its options, calls one library function and renders the result.
Library errors (`SearchkitError`) become one line on standard error with the error's own
exit status, in one place (`SearchkitGroup.invoke`); `--traceback` shows them in full.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import json
import re
import sys

import click

from . import __version__
from .errors import ExitStatus, SearchkitError, UsageError
from .i18n import _, enumerate_items, install_click, ngettext
from .terminal import one_line

install_click()


class CliError(click.ClickException):
    """A `SearchkitError` as click shows it: `Error: …` on stderr, the error's exit status."""

    def __init__(self, exc: SearchkitError):
        super().__init__(one_line(str(exc)))
        self.exit_code = int(exc.exit_status)


class HelpFormatter(click.HelpFormatter):
    """click's help layout, wrapping by display width (click counts characters, and breaks
    only at spaces, which Chinese text has none of)."""

    def write_text(self, text: str) -> None:
        from .typeset import wrap

        indent = " " * self.current_indent
        for n, para in enumerate(re.split(r"\n\s*\n", text.strip("\n"))):
            if n:
                self.write("\n")
            lines = para.splitlines()
            if lines and lines[0].strip() == "\b":  # click's mark: keep these lines as they are
                for line in lines[1:]:
                    self.write(f"{indent}{line}\n")
                continue
            joined = ""
            for line in (ln.strip() for ln in lines):
                sep = " " if joined and (joined[-1].isascii() or line[:1].isascii()) else ""
                joined += sep + line
            for line in wrap(joined, max(self.width - self.current_indent, 20)):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        from .typeset import wrap

        rows = list(rows)
        first_col = min(max((len(r[0]) for r in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, max(self.width - first_col - 2, 10)) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


def _interrupted() -> None:
    click.echo(_("Error: interrupted; nothing was changed by the unfinished step"), err=True)
    sys.exit(ExitStatus.INTERRUPTED)


def _pipe_closed() -> None:
    """The reader of standard output went away (`| head -1`): what it wanted it has; end quietly."""
    import os

    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    sys.exit(0)


class SearchkitContext(click.Context):
    formatter_class = HelpFormatter


@contextlib.contextmanager
def _translated_help(command: click.Command):
    """The command's help and its options' help in the interface language, while shown.
    (They are written in English, in the code; the catalogs translate them.)"""
    saved = [(p, p.help) for p in command.params if getattr(p, "help", None)]
    help_ = command.help
    try:
        for p, text in saved:
            p.help = _(text)
        if help_:
            command.help = _(inspect.cleandoc(help_))
        yield
    finally:
        for p, text in saved:
            p.help = text
        command.help = help_


class TranslatedHelp:
    def format_help(self, ctx, formatter) -> None:
        with _translated_help(self):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated_help(self):
            return super().get_short_help_str(limit)


class SearchkitCommand(TranslatedHelp, click.Command):
    context_class = SearchkitContext


class SearchkitGroup(TranslatedHelp, click.Group):
    context_class = SearchkitContext
    command_class = SearchkitCommand

    def resolve_command(self, ctx: click.Context, args):
        """An unknown command in Chinese is a query: say how to search for it. (An ASCII one is
        more likely a mistyped command: click suggests the close ones.)"""
        name = args[0] if args else ""
        if name and not name.isascii() and self.get_command(ctx, name) is None:
            import shlex

            words = " ".join(a if re.fullmatch(r"[^\s'\"\\$`!*?&;|<>(){}\[\]#~]+", a) else shlex.quote(a)
                             for a in args)
            raise click.UsageError(_("no command {name!r}; to search for it: searchkit search {words}").format(
                name=name, words=words), ctx)
        return super().resolve_command(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's main, plus: every error one line (made printable), Ctrl-C one line with
        status 130, a closed pipe (`| head`) a quiet end with status 0."""
        from .i18n import set_language
        from .render import Settings, settings

        set_language(None)  # each run chooses anew (`--lang`, `--color`, `--no-pager`)
        vars(settings).update(vars(Settings()))
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            # Shown as a plain error: the message already says which option (BadParameter's
            # own show would say it again) and the possibilities (NoSuchOption's).
            shown = click.ClickException(one_line(exc.format_message()))
            shown.show()
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):
                _interrupted()
            if isinstance(exc.__cause__, EOFError):  # not a prompt: a file that ends early (click says "Aborted!")
                click.echo(_("Error: a file of the index ends early (damaged?); rebuild it: `searchkit index --rebuild`"),
                           err=True)
                sys.exit(ExitStatus.INDEX_DAMAGED)
            click.echo(_("Aborted!"), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            _interrupted()
        except SystemExit as exc:
            if exc.code == 1 and type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
                _pipe_closed()  # click's own answer to EPIPE: exit status 1
            raise
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _pipe_closed()
        try:
            sys.stdout.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _pipe_closed()
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            # One line, as for every other error: the hint to --help goes into it.
            if isinstance(exc, click.NoSuchOption) and not exc.option_name[1:2].isascii():  # search -西湖
                exc.message = (exc.message.rstrip(".") + ". " + _('A query that starts with "-" goes last, after --: '
                                                                  'searchkit search --limit 5 -- -西湖'))
            if exc.ctx is not None:
                exc.message = _("{message} (see '{command} --help')").format(
                    message=exc.message.rstrip(".。"), command=exc.ctx.command_path).lstrip()
                exc.ctx = None
            exc.message = one_line(exc.message)
            raise
        except SearchkitError as exc:
            if ctx.obj and ctx.obj.get("traceback"):
                raise
            raise CliError(exc) from None


def _set_color(ctx, param, value):
    from .render import settings

    if value is not None:
        settings.color = value
    return value


def _set_no_pager(ctx, param, value):
    from .render import settings

    if value:
        settings.pager = False
    return value


def _set_lang_here(ctx, param, value):
    from .i18n import set_language

    if value is not None:
        set_language(value)
    return value


def output_options(f):
    """`--color`, `--no-pager` and `--lang`, accepted before the command (as git takes them)
    and after it."""
    f = click.option("--lang", type=click.Choice(["zh", "en"]), default=None, is_eager=True, expose_value=False,
                     callback=_set_lang_here,
                     help="Interface language (default: $SEARCHKIT_LANG, else the locale: Chinese for zh*).")(f)
    f = click.option("--no-pager", is_flag=True, expose_value=False, callback=_set_no_pager,
                     help="Do not page long output on a terminal.")(f)
    f = click.option("--color", type=click.Choice(["auto", "always", "never"]), default=None, expose_value=False,
                     callback=_set_color, metavar="WHEN",
                     help="Colour and marks: auto (on a terminal), always (also in a pipe, for less -R), never.")(f)
    return f


@click.group(cls=SearchkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="searchkit")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@output_options
@click.pass_context
def main(ctx: click.Context, traceback: bool) -> None:
    """Search 杭州人大信息, the Hangzhou People's Congress information bulletin.

    \b
    Examples:
      searchkit index seeds/          # build or update the index
      searchkit search 西湖龙井        # ranked hits with highlighted passages
      searchkit parse seeds/000_dbed6e9d040a5771.txt --format json
    """
    ctx.obj = {"traceback": traceback}


def max_file_option(f):
    return click.option(
        "--max-file-mb", type=float, metavar="MB", default=None,
        help="Skip issue files bigger than this (default: $SEARCHKIT_MAX_FILE_MB, else 20).")(f)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output: a table per issue, or a JSON array of all records.")
@max_file_option
@output_options
def parse(files: tuple[str, ...], fmt: str, max_file_mb: float | None) -> None:
    """Show the article records of issue FILES, as the parser reads them.

    Exit status 1 if a file is not an issue, or an issue has parts missing
    (a truncated file): its records are still shown, with a warning.

    \b
    Examples:
      searchkit parse seeds/000_dbed6e9d040a5771.txt
      searchkit parse 新到/第10期.txt
      searchkit parse seeds/*.txt --format json > records.json
    """
    from .index import max_file_bytes, printable_name
    from .parser import parse_file
    from . import render

    issues, failures = [], []
    cap = max_file_bytes(max_file_mb)
    for path in files:
        try:
            issues.append(parse_file(path, source=printable_name(path), max_bytes=cap))
        except SearchkitError as exc:
            failures.append(str(exc))
    for issue in issues:
        for warning in issue.warnings:
            click.echo(one_line(_("Warning: {source}: {warning}").format(source=issue.source, warning=warning)),
                       err=True)
    if fmt == "json":
        records = [r.to_dict() for issue in issues for r in issue.records]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        with render.paged() as console:
            render.issues_table(issues, console)
    for failure in failures:
        click.echo(one_line(_("Error: {message}").format(message=failure)), err=True)
    if failures or any(issue.warnings for issue in issues):
        sys.exit(1)  # a file that could not be read, or an issue with parts missing


# --------------------------------------------------------------------------- shared options


def index_dir_option(f):
    return click.option(
        "--index-dir", metavar="DIR", default=None,
        help="Index folder (default: $SEARCHKIT_INDEX_DIR, else the nearest index/ from here up, "
             "else the one in the config file; see `searchkit where`).")(f)


def headers_option(f):
    return click.option(
        "--headers", type=click.Choice(["zh", "en"]), default=None,
        help="Column names in Chinese (序号, 标题, …) or as the stable English keys (rank, title, …); "
             "default: the interface language.")(f)


def filter_options(f):
    """The filters and ordering shared by `search` and `export`."""
    options = [
        click.option("--district", "-d", multiple=True, metavar="NAME",
                     help="Only this district (西湖 or 西湖区; 市本级 for city-level). Repeat to allow several."),
        click.option("--section", "-s", multiple=True, metavar="NAME", help="Only this section (监督纵横, 信息摘登, …)."),
        click.option("--year", type=int, metavar="YYYY", help="Only issues of this year."),
        click.option("--issue", "issues", multiple=True, type=int, metavar="N",
                     help="Only this issue: number within the year (9) or running number (697)."),
        click.option("--since", metavar="DATE", help="Issues on or after DATE (2024, 2024-06 or 2024-06-28)."),
        click.option("--until", metavar="DATE", help="Issues on or before DATE."),
        click.option("--author", "authors", multiple=True, metavar="NAME", help="Only pieces by this author (李寄)."),
        click.option("--org", "orgs", multiple=True, metavar="UNIT",
                     help="Only pieces signed by this unit, or part of its name (代表工委, 上城区人大)."),
        click.option("--exact", is_flag=True,
                     help="Only records holding every term as typed: no words, synonyms or partial matches."),
        click.option("--within", type=click.Choice(["sentence", "paragraph"]), default=None,
                     help="The words (or terms) of a match must stand in one sentence / one paragraph."),
        click.option("--sort", type=click.Choice(["relevance", "date", "oldest"]), default=None,
                     help="Best match first (the default with a QUERY), newest first (the default without), "
                          "or oldest first."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _text_args(**values) -> None:
    """Arguments that are text (a query, an ID, a district) must be text: bytes a terminal in
    another encoding (GBK) sent reach us as surrogate escapes; say so in one line."""
    for what, value in values.items():
        for v in (value,) if isinstance(value, str) else value or ():
            if any("\udc80" <= c <= "\udcff" for c in v):
                raise UsageError(_("the {what} {value} is not UTF-8 text; set your terminal to UTF-8 "
                                   "(e.g. LANG=zh_CN.UTF-8) and type it again").format(what=what, value=one_line(v)))


def _filters(district, section, year, issues, since, until, authors, orgs, query: str | None = None):
    """The filters, checked (with the query, if given) before any index is opened or built."""
    from .query import Filters, parse_query

    _text_args(query=query, district=district, section=section, since=since, until=until, author=authors, org=orgs)

    if query:
        parse_query(query)
    filters = Filters(districts=district, sections=section, year=year, issues=issues, since=since, until=until,
                      authors=authors, orgs=orgs)
    filters.check()
    if query is not None and not query.strip() and not filters.any():
        from .errors import QuerySyntaxError

        raise QuerySyntaxError(_("empty query: type a word to search for, e.g. 西湖龙井, or give a filter to list "
                                 "the records it selects, e.g. --district 余杭 --year 2024"))
    return filters


def _note_issue_years(snapshot, filters) -> None:
    """`--issue 4` without `--year` spans every year with a 第4期: say so, on stderr."""
    if filters.year is not None or filters.since or filters.until:
        return
    from .stats import issue_years

    for n in filters.issues:
        years = issue_years(snapshot, n)
        if len(years) > 1:
            click.echo(one_line(_("Note: --issue {n} means 第{n}期 of {years}; add --year to pick one.").format(
                n=n, years=enumerate_items(years))), err=True)


def _snapshot(index_dir: str | None):
    from .errors import IndexMissingError
    from .index import display_path, require_snapshot
    from .locate import find

    where = find(index_dir)

    def say(msg: str) -> None:
        click.echo(one_line(msg), err=True)  # in the interface language: index.py translates it

    try:
        if where.is_default and where.corpus is not None:
            return require_snapshot(where.root, True, corpus=str(where.corpus), announce=say)
        return require_snapshot(where.root, False, announce=say)
    except IndexMissingError:
        option = "" if where.how in ("found", "project", "default") else f" --index-dir {display_path(where.root)}"
        raise IndexMissingError(_("no index at {index}/; build it first: `searchkit index PATH{option}` "
                                  "(`searchkit where` says where searchkit looked)").format(
            index=display_path(where.root), option=option)) from None


# --------------------------------------------------------------------------- index


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@index_dir_option
@output_options
@click.option("--rebuild", is_flag=True,
              help="Start from scratch: every issue file the index knows, wherever it lives, and PATHS.")
@click.option("--drop-missing", is_flag=True,
              help="Drop the records of indexed files that are gone, also from folders not available now.")
@max_file_option
def index(paths: tuple[str, ...], index_dir: str | None, rebuild: bool, drop_missing: bool,
          max_file_mb: float | None) -> None:
    """Build or update the index from issue files or folders (default: the folders
    the index already holds, else the project's seeds/).

    New files are added, changed files replace their records, files gone from an
    indexed folder lose theirs, unchanged files cost nothing. Files whose whole
    folder is not available (an unmounted drive) keep their records until that
    folder is indexed again or --drop-missing. --rebuild analyses every file the
    index knows again, wherever it lives. Exit status 1 when a file was skipped
    (the report says which and why).

    \b
    Examples:
      searchkit index                # the bundled seeds/
      searchkit index ~/人大信息/ --index-dir ~/.searchkit
      searchkit index seeds/ --rebuild
      searchkit index --rebuild      # every file it knows
    """
    from . import render
    from .index import DEFAULT_CORPUS, display_path, known_sources, update_index
    from .locate import find, indexed_folders

    where = find(index_dir)
    root = where.root
    if not paths and rebuild and known_sources(root):
        paths = ()  # the files the index knows are the ones to rebuild
    elif not paths:
        known = indexed_folders(root) if known_sources(root) else []
        if known:
            paths = tuple(display_path(f) for f in known)
        elif where.corpus is not None and where.corpus.is_dir():
            paths = (str(where.corpus),)
        else:
            raise CliError(SearchkitError(_("no {corpus}/ folder here or above; name the issue files: "
                                            "searchkit index PATH...").format(corpus=DEFAULT_CORPUS)))
    with render.progress(_("Indexing")) as advance:
        report = update_index(paths, root, rebuild=rebuild, progress=advance, max_mb=max_file_mb,
                              drop_missing=drop_missing)
    if report.first and not report.generation:
        render.index_report(report, nothing=True)
        raise CliError(SearchkitError(_("no index made: no usable issue file in {paths} ({n} skipped, see above)")
                                      .format(paths=enumerate_items(paths), n=len(report.skipped))))
    render.index_report(report)
    if report.skipped:
        names = enumerate_items(f.source for f in report.skipped)
        n = len(report.skipped)
        click.echo(one_line(_("Error: {message}").format(message=ngettext(
            "{n} file skipped (see the report above): {names}", "{n} files skipped (see the report above): {names}",
            n).format(n=n, names=names))), err=True)
        sys.exit(1)


# --------------------------------------------------------------------------- search


@main.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", "-n", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many hits to show; 0 for all.")
@click.option("--page", "-p", type=click.IntRange(min=1), default=None, help="Show this page of --limit hits (1, 2, …).")
@click.option("--offset", type=click.IntRange(min=0), default=None, help="Skip this many hits first.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "opensearch"]), default="text",
              show_default=True, help="Terminal text, JSON, CSV (the export columns), or opensearch: the OpenSearch "
                                      "_search request for the query (docs/scale-out.md).")
@click.option("--count", "-c", "count_only", is_flag=True, help="Print only the number of hits.")
@click.option("--ids", "ids_only", is_flag=True, help="Print only the ids of the hits shown, one a line (-n 0: all).")
@click.option("--facets", is_flag=True, help="Also count the hits per district, year and section.")
@headers_option
@index_dir_option
@output_options
def search(query: str, district, section, year, issues, since, until, authors, orgs, exact, within, sort, limit, page,
           offset, fmt, count_only, ids_only, facets, headers, index_dir) -> None:
    """Search the index: records about the query, best first, matches highlighted.
    Without a QUERY, list the records the filters select, newest first.

    Hits come in tiers, and a higher tier always ranks first: exact (the query as
    typed), words (every word of the query, as understood, or a synonym of it;
    those in one sentence first), partial (most of the query). The first line
    says how the query was understood.

    \b
    Query syntax:
      西湖龙井        the text as typed (spaces, case, width
                      and traditional characters ignored),
                      then its words apart: 西湖 + 龙井
      代表 联络站     both terms, anywhere in the record
      西湖 OR 滨江    either term
      NOT 西湖, -西湖 leaves out records with 西湖
      (西湖 OR 滨江) 代表   parentheses group
      "数字 贸易"     a quoted phrase, only as typed
      title:龙井  author:李寄  org:代表工委
      district:西湖  section:监督纵横

    \b
    Examples:
      searchkit search 西湖龙井
      searchkit search 怎样联系群众 --within sentence
      searchkit search 代表联络站 -d 余杭 --since 2024
      searchkit search title:监督 --sort date --format json
      searchkit search 人大 --page 2
      searchkit search --district 余杭 --year 2024
    """
    from . import render
    from .cite import complete, result_dict
    from .query import search as run_search

    filters = _filters(district, section, year, issues, since, until, authors, orgs, query)
    if page is not None and offset is not None:
        raise click.UsageError(_("give --page or --offset, not both"))
    skip = offset if offset is not None else (page - 1) * limit if page else 0
    if count_only:
        limit, skip = 1, 0
    snapshot = _snapshot(index_dir)
    if fmt == "opensearch":
        from .opensearch import translate

        click.echo(json.dumps(translate(snapshot, query, filters, sort, limit, skip, exact, within, facets),
                              ensure_ascii=False, indent=2))
        return
    result = run_search(snapshot, query, filters, sort=sort or ("relevance" if query.strip() else "date"),
                        limit=limit or None, facets=facets, exact=exact, within=within, offset=skip)
    _note_issue_years(snapshot, filters)
    if count_only:
        click.echo(result.total)
        return
    if ids_only:
        click.echo("".join(f"{h.id}\n" for h in result.hits), nl=False)
        return
    complete(snapshot, result.hits)  # briefs get their titles, the same in every format
    if fmt == "json":
        click.echo(json.dumps(result_dict(result), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        from .export import write_csv

        write_csv(result, sys.stdout, headers=headers)
    else:
        with render.paged() as console:
            render.search_result(result, console, filters=filters.describe(), page_size=limit)


# --------------------------------------------------------------------------- reading


@main.command()
@click.argument("record_id", metavar="ID")
@click.option("--query", "-q", metavar="QUERY", help="Highlight this query's matches.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text, or JSON (the record with its whole text).")
@index_dir_option
@output_options
def show(record_id: str, query: str | None, fmt: str, index_dir: str | None) -> None:
    """Show one whole article (ID as in search results, e.g. 697-03, or 697-3), or with
    an issue's running number alone (697), that issue's table of contents.

    \b
    Examples:
      searchkit show 697-03
      searchkit show 697-02 --query 西湖龙井
      searchkit show 697
    """
    from . import render
    from .query import issue_records, show_record

    _text_args(ID=record_id, query=query)
    if query:
        from .query import parse_query

        parse_query(query)  # a syntax error is a usage error, whether or not there is an index
    from .cite import citation, complete, title_of

    snapshot = _snapshot(index_dir)
    if record_id.strip().isdigit():
        records = issue_records(snapshot, int(record_id))
        if not records:
            raise SearchkitError(_("no issue 总第{n}期 in the index; `searchkit list` shows the issues").format(
                n=int(record_id)))
        complete(snapshot, records)
        if fmt == "json":
            first = records[0]
            out = {"issue": first.issue, "issue_total": first.issue_total, "date": first.date,
                   "citation": citation(first), "records": []}
            for hit in records:
                d = hit.to_dict()
                d.pop("snippets")
                out["records"].append(d)
            click.echo(json.dumps(out, ensure_ascii=False, indent=2))
            return
        with render.paged() as console:
            render.issue_contents(records, console)
        return
    hit = show_record(snapshot, record_id, query)
    if fmt == "json":
        d = hit.to_dict()
        body = d.pop("snippets")[0]
        d.update(title=title_of(hit, body["text"]), citation=citation(hit), body=body["text"],
                 highlights=body["highlights"])
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    with render.paged() as console:
        render.record(hit, console)


def json_format_option(f):
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                        help="Text, or JSON for scripts.")(f)


@main.command()
@json_format_option
@index_dir_option
@output_options
def stats(fmt: str, index_dir: str | None) -> None:
    """What is in the index: issues, gaps in the running numbers, records per year,
    section and district, and where the index lives.

    \b
    Examples:
      searchkit stats
      searchkit stats --index-dir ~/人大信息/索引
    """
    from dataclasses import asdict

    from . import render
    from .stats import index_stats

    s = index_stats(_snapshot(index_dir))
    if fmt == "json":
        d = asdict(s)
        d["gaps"] = [list(g) for g in s.gaps]
        for key in ("per_year", "per_section", "per_district"):
            d[key] = dict(d[key])
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    with render.paged() as console:
        render.stats(s, console)


@main.command("list")
@json_format_option
@index_dir_option
@output_options
def list_(fmt: str, index_dir: str | None) -> None:
    """The indexed issues, one line each: 第N期(总第M期), date, records, source file.

    \b
    Examples:
      searchkit list
      searchkit list --index-dir ~/人大信息/索引 | grep 2024-
    """
    from dataclasses import asdict

    from . import render
    from .stats import list_issues

    issues = list_issues(_snapshot(index_dir))
    if fmt == "json":
        click.echo(json.dumps([asdict(i) for i in issues], ensure_ascii=False, indent=2))
        return
    with render.paged() as console:
        render.issue_list(issues, console)


@main.command()
@index_dir_option
@json_format_option
@output_options
def where(index_dir: str | None, fmt: str) -> None:
    """Which index a command run here uses, how it was found, and where its issue
    files are.

    The index is --index-dir, else $SEARCHKIT_INDEX_DIR, else the nearest index/
    from this folder up (or a project's seeds/, to build one beside it), else the
    default set in the config file (a line `index = PATH`), else index/ here.

    \b
    Examples:
      searchkit where
      cd seeds/ && searchkit where
      searchkit where --format json
    """
    from .index import display_path, known_sources
    from .locate import config_file, find, indexed_folders, is_index

    here = find(index_dir)
    folders = [display_path(f) for f in indexed_folders(here.root)] if is_index(here.root) else []
    info = {"index": display_path(here.root), "found_by": here.how, "exists": is_index(here.root),
            "files": known_sources(here.root), "issue_folders": folders,
            "project_seeds": display_path(here.corpus) if here.corpus is not None and here.corpus.is_dir() else None,
            "config": str(config_file())}
    if fmt == "json":
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    how = {"option": _("given with --index-dir"), "env": _("from $SEARCHKIT_INDEX_DIR"),
           "found": _("the nearest index/ from here up"), "project": _("the project's, beside its seeds/ (not built yet)"),
           "config": _("the default in {config}").format(config=config_file()),
           "default": _("none found from here up: the default, here")}[here.how]
    click.echo(_("Index: {index}/ ({how})").format(index=info["index"], how=how))
    if info["exists"]:
        click.echo(_("Issue files: {n}, in {folders}").format(n=info["files"], folders=enumerate_items(folders) or "-"))
    else:
        click.echo(_("No index there yet."))
    if info["project_seeds"]:
        click.echo(_("Project issue folder: {seeds}/").format(seeds=info["project_seeds"]))


@main.command()
@index_dir_option
@output_options
def trust(index_dir: str | None) -> None:
    """Trust an index folder that another user or machine wrote, so that it opens.

    searchkit opens only indexes that your own searchkit wrote: an index holds
    Python pickles, and a crafted one runs code when it is opened. Trust only a
    folder you know the origin of; otherwise rebuild it from the issue files
    (searchkit index --rebuild).

    \b
    Examples:
      searchkit trust --index-dir ~/从同事那里/索引
    """
    from .index import display_path, trust_index

    from .locate import find

    root = find(index_dir).root
    name = trust_index(root)
    click.echo(one_line(_("Trusted {index}/ ({name}): it now opens as an index you built.").format(
        index=display_path(root), name=name)), err=True)


# --------------------------------------------------------------------------- export


@main.command()
@click.argument("query", required=False, default="")
@click.option("--output", "-o", required=True, metavar="FILE", help="The file to write; - for standard output.")
@filter_options
@click.option("--partial", is_flag=True, help="Also write the partial matches (by default: exact and words tiers).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx", "opensearch"]), default=None,
              help="Output format (default: from the file's extension, else csv). opensearch: the whole index "
                   "as mapping.json and bulk files in the folder FILE.")
@click.option("--columns", metavar="A,B,…",
              help="Columns to write, comma-separated, in this order; or +NAME / -NAME to add to or drop from the "
                   "default: rank, id, date, issue, issue_total, section, district, title, org, authors, citation, "
                   "snippet. Also: body (the whole text), toc_title, match (the tier), score, source (the local file).")
@headers_option
@click.option("--force", "-f", is_flag=True, help="Replace FILE if it exists.")
@click.option("--empty-ok", is_flag=True, help="With no hits, still write FILE (the header only) and exit 0.")
@index_dir_option
@output_options
def export(query: str, output: str, district, section, year, issues, since, until, authors, orgs, exact, within, sort,
           partial, fmt, columns, headers, force, empty_ok, index_dir) -> None:
    """Export every hit of QUERY (not just the first page) to CSV, JSONL or XLSX.
    Without a QUERY, every record the filters select, newest first.

    The column names follow the interface language (--headers en for the stable
    English keys); each row cites its issue (《杭州人大信息》2024年第9期（总第697期）).
    CSV is UTF-8 with a byte-order mark so Excel and WPS show the Chinese correctly;
    cells that would run as formulas are neutralised; the file is written completely
    or not at all.

    \b
    Examples:
      searchkit export 人大代表 -o 人大代表.csv
      searchkit export 代表联络站 -d 余杭 -o 联络站.xlsx
      searchkit export 营商环境 -o - --format jsonl
      searchkit export 西湖 -o 西湖.csv --columns date,title
      searchkit export 西湖龙井 -o 龙井.xlsx --columns +body
      searchkit export --district 余杭 --year 2024 -o 余杭.csv
    """
    import os

    from .cite import complete
    from .export import export_result, format_for, parse_columns
    from .i18n import language
    from .query import search as run_search

    # The OpenSearch export is the whole index: no query, no filters (cli_export says so).
    filters = _filters(district, section, year, issues, since, until, authors, orgs,
                       None if fmt == "opensearch" else query)
    if fmt == "opensearch":
        from .opensearch import cli_export

        return cli_export(query, filters, output, force, lambda: _snapshot(index_dir))
    cols = parse_columns(columns)
    fmt = format_for(output, fmt)
    if output != "-" and os.path.lexists(output) and not force and sys.stdin.isatty():
        force = click.confirm(one_line(_("{output} exists. Replace it?").format(output=output)), default=False,
                              err=True)
        if not force:
            raise click.Abort()
    snapshot = _snapshot(index_dir)
    result = run_search(snapshot, query, filters, sort=sort or ("relevance" if query.strip() else "date"),
                        limit=None, exact=exact, within=within)
    left_out = 0 if partial else result.tiers.get("partial", 0)
    if left_out:
        result.hits = [h for h in result.hits if h.match != "partial"]
        result.total = len(result.hits)
    what = " ".join(filter(None, [query.strip(), *filters.describe()]))
    if not result.hits and not empty_ok:
        raise SearchkitError(_("no hits for {query}: nothing written to {output}; "
                               "try other words, or --empty-ok to write the header alone").format(query=what,
                                                                                                output=output))
    complete(snapshot, result.hits, body="body" in cols)
    n = export_result(result, output, fmt, cols, force=force, headers=headers or language())
    if output != "-":
        from .render import export_tiers

        click.echo(one_line(ngettext("Wrote {n} hit for {query} to {output} ({fmt}).",
                                     "Wrote {n} hits for {query} to {output} ({fmt}).", n).format(
            n=n, query=what, output=output, fmt=fmt)), err=True)
        export_tiers(result, left_out)


# --------------------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets anyone on the network read the index.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on; 0 for any free port.")
@index_dir_option
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@output_options
def serve(host: str, port: int, index_dir: str | None, open_browser: bool) -> None:
    """Serve a read-only search page over the index, until Ctrl-C.

    Search, filter by district, year and section, read whole articles, browse the
    issues and download hits as CSV or Excel, in any browser on this computer.
    Every page has a JSON twin under /api/. Needs the web extra:
    pip install 'searchkit[web]'.

    \b
    Examples:
      searchkit serve                # http://127.0.0.1:8080/
      searchkit serve --port 8000 --open
      searchkit serve --host 0.0.0.0 # the whole network
    """
    try:
        from .web import server
        from .web.app import LOOPBACK_HOSTS, create_app
    except ImportError as exc:
        raise CliError(SearchkitError(_("serve needs the web extra ({module} is missing): pip install "
                                        "'searchkit[web]'").format(module=(exc.name or "a module").split(".")[0]))) from None

    loopback = server.is_loopback(host)
    snapshot = _snapshot(index_dir)
    # On loopback, only requests for 127.0.0.1/localhost (not a name rebound to it by some web page's DNS).
    # Starlette cannot read an IPv6 Host header ([::1]:8080), so ::1 goes unchecked.
    checked = loopback and ":" not in host
    app = create_app(snapshot.root, snapshot, allowed_hosts=LOOPBACK_HOSTS if checked else None)
    sock = server.bind(host, port)
    url = server.url_for(host, sock)
    if not loopback:
        click.echo(one_line(_("Warning: listening on {host}: anyone who can reach this computer on the network "
                              "can read the whole index (no password); use --host 127.0.0.1 to keep it local.")
                            .format(host=host)), err=True)
    also = "" if loopback or host not in ("0.0.0.0", "::") else _(", on the network {url}").format(
        url=server.network_url(url))
    try:
        server.run(app, sock, url, open_browser,
                   announce=lambda: click.echo(_("Serving {url}{also} (Ctrl-C to stop)").format(url=url, also=also)))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        app.state.holder.close()
    click.echo(_("Stopped."), err=True)
