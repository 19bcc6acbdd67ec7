"""The command line: a thin click layer over the library.

Each command parses its options, calls one library function and renders the result.
Library errors (`SearchkitError`) become one line on standard error with the error's own
exit status, in one place (`SearchkitGroup.invoke`); `--traceback` shows them in full.
"""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import SearchkitError


class CliError(click.ClickException):
    """A `SearchkitError` as click shows it: `Error: …` on stderr, the error's exit status."""

    def __init__(self, exc: SearchkitError):
        super().__init__(str(exc))
        self.exit_code = int(exc.exit_status)


class SearchkitGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SearchkitError as exc:
            if ctx.obj and ctx.obj.get("traceback"):
                raise
            raise CliError(exc) from None


@click.group(cls=SearchkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="searchkit")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output: a table per issue, or a JSON array of all records.")
def parse(files: tuple[str, ...], fmt: str) -> None:
    """Show the article records of issue FILES, as the parser reads them.

    \b
    Examples:
      searchkit parse seeds/000_dbed6e9d040a5771.txt
      searchkit parse seeds/*.txt --format json > records.json
    """
    from .parser import parse_file
    from . import render

    issues, failures = [], []
    for path in files:
        try:
            issues.append(parse_file(path))
        except SearchkitError as exc:
            failures.append(str(exc))
    for issue in issues:
        for warning in issue.warnings:
            click.echo(f"Warning: {issue.source}: {warning}", err=True)
    if fmt == "json":
        records = [r.to_dict() for issue in issues for r in issue.records]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        render.issues_table(issues)
    for failure in failures:
        click.echo(f"Error: {failure}", err=True)
    if failures:
        sys.exit(1)
