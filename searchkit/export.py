"""Stage 5, export: search results as files for spreadsheets and programs (CSV, JSON Lines, XLSX).

The terminal's counterpart in `render`; this module writes every hit of a `SearchResult`
as one row (CSV, XLSX) or one object (JSONL), in the order of the result, with the
columns of `COLUMNS` or a chosen subset in a chosen order (`parse_columns`).

What it promises:

- CSV opens with correct Chinese in Excel and WPS: UTF-8 with a byte-order mark, one
  header row, `\\r\\n` line ends, RFC 4180 quoting, so commas, quotes and newlines in a
  title survive a round trip through Python's `csv` module and through a spreadsheet.
  (`write_csv` to a stream, as `search --format csv` uses it, writes no byte-order mark.)
- No cell runs as a formula (CSV injection). In CSV, a text cell that starts with one of
  `FORMULA_TRIGGERS` (`=`, `+`, `-`, `@`, tab, carriage return: the OWASP list) gets a
  single quote in front (`neutralise`). Numbers (`rank`, `score`, `issue`,
  `issue_total`) are written as numbers and never prefixed: they are produced by the
  program, not read from the bulletin, and a score is never negative. In XLSX every text
  cell is stored as an explicit string (never a formula) and keeps its text unchanged;
  those starting with a trigger also carry Excel's own "quote prefix" mark, so editing
  the cell does not turn it into a formula either.
- Columns: `COLUMNS` by default; `score`, `source` (a local path), `body` (the whole
  text), `toc_title` and `match` (the tier) only when asked (`ALL_COLUMNS`). The header
  names follow the interface language (`HEADERS`: 序号, 编号, …) or stay the English keys
  (`headers="en"`), which JSONL then uses as its keys too.
- Cells: `rank` counts from 1; `score` is rounded to 4 decimals (as in `--format json`);
  `authors` are joined with `、` (the Chinese enumeration comma; JSONL keeps a list);
  `citation` is where the record was published (`《杭州人大信息》2024年第9期（总第697期）`,
  `cite.citation`); a brief (信息摘登 item) is titled as everywhere else (`cite.title_of`);
  `snippet` is the hit's passages as plain text, no markup: `…` where the body goes on
  before, between or after them, and nowhere else (`snippet_text`).
- A file is written completely or not at all (`export_result`): into a temporary file
  beside it, flushed to disk, then renamed over the target in one step; an error or
  Ctrl-C leaves neither a partial output nor the temporary file. An existing file is
  only replaced with `force`.
- XLSX needs the optional extra `searchkit[xlsx]` (openpyxl), imported only when used.

Everything the user can get wrong raises a `SearchkitError` whose message says what to
do next; other exceptions (a bug, or Ctrl-C) propagate after the clean-up.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from .errors import SearchkitError, UsageError
from .i18n import N_, _

COLUMNS = ("rank", "id", "date", "issue", "issue_total", "section", "district", "title", "org", "authors",
           "citation", "snippet")
ALL_COLUMNS = COLUMNS + ("body", "toc_title", "match", "score", "source")
#: Header names in Chinese (`headers="zh"`); the English ones are the keys themselves.
HEADERS = {
    "rank": "序号", "id": "编号", "date": "日期", "issue": "期号", "issue_total": "总期号", "section": "栏目",
    "district": "地区", "title": "标题", "org": "单位", "authors": "作者", "citation": "出处", "snippet": "摘录",
    "body": "全文", "toc_title": "目录标题", "match": "匹配", "score": "得分", "source": "源文件",
}
MATCH_NAMES = {"exact": "完整匹配", "words": "分词匹配", "partial": "部分匹配"}
FORMATS = ("csv", "jsonl", "xlsx")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
AUTHOR_SEPARATOR = "、"
ELLIPSIS = "…"

_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
_WRONG_EXTENSIONS = {
    ".json": N_("export writes JSON Lines (one object per line), not one JSON document; name the file .jsonl, "
             "or pass --format jsonl to keep the name (`searchkit search --format json` gives one document)"),
    ".xls": N_("the old Excel .xls format is not supported; name the file .xlsx (or .csv)"),
}
_COLUMN_SEPARATORS = (",", "，", "、")
_MAX_WIDTH = 60


class ExportError(SearchkitError):
    """The output cannot be written (missing folder, no permission, disk full, missing extra)."""


class OutputExistsError(ExportError):
    """The output file exists and replacing it was not asked for."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(_("{path} already exists; use --force to overwrite it, or choose another file name").format(
            path=path))


# --------------------------------------------------------------------------- options


def format_for(path: str, fmt: str | None = None) -> str:
    """The export format: `fmt` if given, else from the file's extension, else csv (also for `-`)."""
    if fmt:
        name = fmt.strip().lower()
        if name not in FORMATS:
            raise UsageError(_("unknown export format {fmt!r}; valid: {valid}").format(fmt=fmt, valid=", ".join(FORMATS)))
        return name
    if path == "-":
        return "csv"
    ext = os.path.splitext(path)[1].lower()
    if ext in _WRONG_EXTENSIONS:
        raise UsageError(f"{path}: {_(_WRONG_EXTENSIONS[ext])}")
    return _EXTENSIONS.get(ext, "csv")


def parse_columns(spec: str | None) -> tuple[str, ...]:
    """`"title,date"` -> `("title", "date")`, in the order given; None -> the default columns
    (`COLUMNS`); `"+body,-snippet"` -> the default columns with `body` added at the end and
    `snippet` left out.

    Names are separated by `,` (also the fullwidth `，` and `、`), with spaces ignored and
    case ignored; a column is named by its key or its Chinese header (`全文`). An unknown or
    repeated name, or no name at all, is a `UsageError`.
    """
    if spec is None:
        return COLUMNS
    for sep in _COLUMN_SEPARATORS[1:]:
        spec = spec.replace(sep, ",")
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if names and all(n[0] in "+-" for n in names):
        columns = list(COLUMNS)
        for n in names:
            key = _key(n[1:].strip())
            if n[0] == "+" and key not in columns:
                columns.append(key)
            elif n[0] == "-" and key in columns:
                columns.remove(key)
        return check_columns(columns)
    return check_columns(tuple(_key(n) for n in names))


_BY_HEADER = {v: k for k, v in HEADERS.items()}


def _key(name: str) -> str:
    name = name.strip()
    return _BY_HEADER.get(name, name.lower())


def check_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """`columns` as a tuple, or a `UsageError` naming the valid ones."""
    columns = tuple(columns)
    valid = ", ".join(ALL_COLUMNS)
    if not columns:
        raise UsageError(_("no columns given; choose from: {valid}").format(valid=valid))
    for name in columns:
        if name not in ALL_COLUMNS:
            raise UsageError(_("unknown column {name!r}; valid: {valid}").format(name=name, valid=valid))
    seen = set()
    for name in columns:
        if name in seen:
            raise UsageError(_("column {name!r} is given twice; name each column once").format(name=name))
        seen.add(name)
    return columns


# --------------------------------------------------------------------------- cells


def neutralise(value):
    """A text cell as CSV holds it: NUL characters dropped (no spreadsheet keeps them, and
    Python 3.10's csv cannot write them), and a `'` in front if it would start a formula."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


def snippet_text(snippets) -> str:
    """A hit's passages as one text: `…` where the body goes on before the first, between two
    that are not adjacent, and after the last; passages that touch are joined as they stand."""
    out, end = "", None
    for s in snippets:
        if (end is None and s.start > 0) or (end is not None and s.start > end):
            out = out.rstrip() + ELLIPSIS
            out += s.text.strip()
        else:
            out += s.text.strip() if end is None else s.text.rstrip()
        end = s.start + len(s.text)
    if snippets and not snippets[-1].at_end:
        out += ELLIPSIS
    return out


def _value(hit, rank: int, column: str, headers: str = "en"):
    """One column of one hit in its natural type (authors as a list)."""
    from .cite import citation, title_of

    if column == "rank":
        return rank
    if column == "score":
        return round(hit.score, 4)
    if column == "authors":
        return list(hit.authors)
    if column == "snippet":
        return snippet_text(hit.snippets)
    if column == "title":
        return title_of(hit)
    if column == "citation":
        return citation(hit)
    if column == "body":
        return getattr(hit, "body", "")
    if column == "match":
        return MATCH_NAMES.get(hit.match, hit.match) if headers == "zh" else hit.match
    return getattr(hit, column)


def header_names(columns: Sequence[str], headers: str | None = None) -> list[str]:
    """The header row: Chinese names (`HEADERS`) for `headers="zh"`, else the English keys.
    None: the interface language's."""
    if headers is None:
        from .i18n import language

        headers = language()
    return [HEADERS[c] if headers == "zh" else c for c in columns]


def _cells(result, columns: Sequence[str], headers: str = "en") -> Iterator[list]:
    """One row of spreadsheet cells per hit, not yet neutralised; lazily, hit by hit."""
    for rank, hit in enumerate(result.hits, result.offset + 1):
        row = []
        for column in columns:
            value = _value(hit, rank, column, headers)
            row.append(AUTHOR_SEPARATOR.join(value) if column == "authors" else value)
        yield row


def rows(result, columns: Sequence[str] = COLUMNS, *, neutralised: bool = True) -> list[list]:
    """One row per hit, the cells as CSV writes them (numbers as numbers, text neutralised).

    With `neutralised=False`, text cells are as they are in the bulletin (as in XLSX).
    """
    columns = check_columns(columns)
    if not neutralised:
        return list(_cells(result, columns))
    return [[neutralise(v) for v in row] for row in _cells(result, columns)]


def records(result, columns: Sequence[str] = COLUMNS, headers: str | None = "en") -> Iterator[dict]:
    """One dict per hit, as JSONL writes it: natural types, authors as a list, nothing
    neutralised; keyed by the column keys, or with `headers="zh"` by the Chinese names."""
    columns = check_columns(columns)
    names = header_names(columns, headers)
    lang = "zh" if names != list(columns) else "en"
    for rank, hit in enumerate(result.hits, result.offset + 1):
        yield {name: _value(hit, rank, column, lang) for name, column in zip(names, columns)}


# --------------------------------------------------------------------------- writers


def write_csv(result, stream, columns: Sequence[str] = COLUMNS, headers: str | None = "en") -> int:
    """Header and one row per hit to a text stream (open files with `newline=""`); returns the row count.

    No byte-order mark is written here: `export_result` puts one at the start of a CSV file.
    """
    columns = check_columns(columns)
    writer = csv.writer(stream, lineterminator="\r\n")
    names = header_names(columns, headers)
    writer.writerow(names)
    n = 0
    for row in _cells(result, columns, "zh" if names != list(columns) else "en"):
        writer.writerow([neutralise(v) for v in row])
        n += 1
    return n


def write_jsonl(result, stream, columns: Sequence[str] = COLUMNS, headers: str | None = "en") -> int:
    """One JSON object per hit and line (`\\n`) to a text stream; returns the line count."""
    n = 0
    for record in records(result, columns, headers):
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise ExportError(_("xlsx export needs openpyxl: pip install 'searchkit[xlsx]'")) from None
    return openpyxl


def _display_width(value) -> int:
    text = str(value).split("\n", 1)[0]
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_xlsx(result, stream, columns: Sequence[str] = COLUMNS, headers: str | None = "en") -> int:
    """A workbook with one sheet (header bold and frozen) to a binary stream; returns the row count.

    Numbers are numbers, `date` is a real date (shown yyyy-mm-dd), every text cell is an
    explicit string; characters XLSX cannot hold (control characters) are dropped.
    """
    columns = check_columns(columns)
    openpyxl = _openpyxl()
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    names = header_names(columns, headers)
    ws.title = "检索结果" if names != list(columns) else "hits"
    wb.properties.title = f"searchkit: {ILLEGAL_CHARACTERS_RE.sub('', str(result.query))}"
    bold = Font(bold=True)
    widths = []
    for col, name in enumerate(names, 1):
        ws.cell(row=1, column=col, value=name).font = bold
        widths.append(_display_width(name))
    n = 0
    for n, row in enumerate(_cells(result, columns, "zh" if names != list(columns) else "en"), 1):
        for col, (name, value) in enumerate(zip(columns, row), 1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                day = _iso_date(value) if name == "date" else None
                if day is not None:
                    cell = ws.cell(row=n + 1, column=col, value=day)
                    cell.number_format = "yyyy-mm-dd"
                    widths[col - 1] = max(widths[col - 1], 10)
                    continue
                cell = ws.cell(row=n + 1, column=col, value=value)
                cell.data_type = "s"  # openpyxl would take "=…" for a formula and "#N/A" for an error
                if value.startswith(FORMULA_TRIGGERS):
                    cell.quotePrefix = True
            else:
                ws.cell(row=n + 1, column=col, value=value)
            widths[col - 1] = max(widths[col - 1], _display_width(value))
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width, 4) + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n + 1}"
    wb.save(stream)
    return n


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------- files


def export_result(result, output: str, fmt: str | None = None, columns: Sequence[str] = COLUMNS,
                  force: bool = False, headers: str | None = "en") -> int:
    """Write every hit of `result` to `output` (a file, or `-` for standard output); returns the row count.

    The format is `fmt`, or follows from the extension (`format_for`). A file is written
    atomically; an existing one is replaced only with `force`, else `OutputExistsError`.
    """
    fmt = format_for(output, fmt)
    columns = check_columns(columns)
    if fmt == "xlsx":
        _openpyxl()  # say what to install before touching anything
    if output == "-":
        return _to_stdout(result, fmt, columns, headers)
    if not output or not os.path.basename(output):
        raise UsageError(_("{output!r} is not a file name; give one, e.g. -o hits.{fmt}").format(output=output, fmt=fmt))
    if os.path.isdir(output):
        raise ExportError(_("{output} is a folder; give a file name, e.g. -o {example}").format(
            output=output, example=os.path.join(output, "hits." + fmt)))
    if not force and os.path.lexists(output):
        raise OutputExistsError(output)
    save = _write_into if _is_special(output) else _write_atomically
    if fmt == "xlsx":
        return save(output, lambda f: write_xlsx(result, f, columns, headers), force)
    writer = write_csv if fmt == "csv" else write_jsonl
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    return save(output, lambda f: writer(result, f, columns, headers), force, encoding)


def _is_special(path: str) -> bool:
    """Whether `path` is something to write into, never replace: a device (/dev/null), a FIFO,
    a socket, or a name for an open stream (/dev/stdout, /proc/self/fd/1), whatever it leads to."""
    import stat

    try:
        st = os.stat(path)
    except OSError:
        return False
    real = os.path.abspath(path)
    return not stat.S_ISREG(st.st_mode) or real.startswith(("/dev/", "/proc/"))


def _write_into(path: str, write: Callable, force: bool, encoding: str | None = None) -> int:
    """`write(file)` straight into an existing special file (no temporary file, no rename:
    renaming over /dev/null would replace the device with a regular file)."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        with (open(fd, "wb") if encoding is None else open(fd, "w", encoding=encoding, newline="")) as f:
            n = write(f)
            f.flush()
        return n
    except OSError as exc:
        raise ExportError(_os_error_message(path, os.path.dirname(path) or ".", exc)) from exc


def _to_stdout(result, fmt: str, columns: tuple[str, ...], headers: str | None = "en") -> int:
    if fmt == "csv":
        return write_csv(result, sys.stdout, columns, headers)
    if fmt == "jsonl":
        return write_jsonl(result, sys.stdout, columns, headers)
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        raise ExportError(_("standard output takes no binary data here; write the xlsx to a file: -o hits.xlsx"))
    if sys.stdout.isatty():
        raise UsageError(_("an xlsx file is binary and would garble the terminal; use -o hits.xlsx "
                           "or redirect: -o - > hits.xlsx"))
    data = io.BytesIO()
    n = write_xlsx(result, data, columns, headers)
    sys.stdout.flush()
    buffer.write(data.getvalue())
    buffer.flush()
    return n


def _write_atomically(path: str, write: Callable, force: bool, encoding: str | None = None) -> int:
    """`write(file)` (text with `encoding`, else binary) into a temporary file beside `path`, fsync, then rename it to `path`.

    Whatever goes wrong (including KeyboardInterrupt), the temporary file is removed and
    `path` is untouched; OS errors become an `ExportError` that names the file.
    """
    folder = os.path.dirname(path) or "."
    temp = None
    try:
        temp, f = _create_temp(folder, os.path.basename(path), encoding)
        with f:
            n = write(f)
            f.flush()
            os.fsync(f.fileno())
        if not force and os.path.lexists(path):  # appeared while we were writing
            raise OutputExistsError(path)
        os.replace(temp, path)
        temp = None
        _fsync_folder(folder)
        return n
    except OSError as exc:
        raise ExportError(_os_error_message(path, folder, exc)) from exc
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _create_temp(folder: str, name: str, encoding: str | None):
    """A new hidden file `.NAME.XXXXXXXX.tmp` in `folder`, open for writing (permissions per umask)."""
    for _attempt in range(100):
        temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            if encoding is None:
                return temp, open(temp, "xb")
            return temp, open(temp, "x", encoding=encoding, newline="")
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {folder}")  # pragma: no cover


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable where the OS allows it (POSIX); elsewhere a no-op."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _os_error_message(path: str, folder: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return _("cannot write {path}: folder {folder} does not exist; create it first, or choose another "
                 "folder").format(path=path, folder=folder)
    if isinstance(exc, NotADirectoryError):
        return _("cannot write {path}: {folder} is not a folder; choose another place for the file").format(
            path=path, folder=folder)
    if isinstance(exc, PermissionError):
        return _("cannot write {path}: permission denied in {folder}; choose a folder you can write to").format(
            path=path, folder=folder)
    if isinstance(exc, IsADirectoryError):
        return _("cannot write {path}: it is a folder; give a file name").format(path=path)
    return _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
