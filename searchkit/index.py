"""Stage 3, index: records -> a Whoosh index on disk, updated incrementally and atomically.

Layout of an index folder (default `index/`):

    CURRENT            the name of the live generation, replaced atomically
    LOCK               held (fcntl) by the one process updating the index
    userdict.txt       optional: the user's own words for segmentation
    gen-000007/        one complete generation:
        MAIN_*.toc, *.seg   the Whoosh index of the records' facets (id, file, issue,
                            date, kind, section, district, authors), for filters and updates
        store.json, store-<segment>.*
                            the exact-text store (`store`): search keys, character
                            postings, jieba's words with their counts and the records as
                            read, one store segment per Whoosh segment
        manifest.json       format version, the indexed files with their fingerprints

An update builds the next generation beside the live one (hard links to the Whoosh
segment files and their store segments, which are never rewritten), commits it, writes its store and manifest,
syncs, and only then points CURRENT at it. Killing an update at any moment therefore
leaves CURRENT on a complete generation, old or new; the next update clears the debris.
Readers resolve CURRENT once and read one generation, so a search during an update sees
the old contents or the new, never a mix. The previous generation is kept until the
update after next, for searches that started before the switch.

Files are fingerprinted by size and mtime, then by SHA-1, so an unchanged archive costs
a `stat` per file; a run where nothing changed touches nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from . import __version__
from .errors import (IndexDamagedError, IndexLockedError, IndexMissingError, IndexUntrustedError, IndexVersionError,
                     NoSpaceError, ParseError, SearchkitError, UsageError)
from .i18n import N_, _
from .store import STORE_FILES, TextStore, carry_over
from .store import Writer as StoreWriter
from .store import save as save_store
from .trust import check_trustable, seal, verify

if TYPE_CHECKING:
    from .parser import Record

FORMAT_VERSION = 12  # 2: UTF-16 text store; 3: no authors in its rows; 4: character signatures;
# 5: traditional folded to simplified, bylines searchable, sentence ends, no pickle in the store;
# 6: the store in segments with character postings;
# 7: records hold the bulletin's own characters (fullwidth punctuation no longer folded);
# 8: store segments written in one pass (fields joined in .text, .shown's ends last);
# 9: records compressed in .shown, and no longer stored in Whoosh too;
# 10: words counted by the build itself; Whoosh keeps only the facets;
# 11: character postings with counts, and body lengths (ranking without reading the text)
# 12: dates in Whoosh as YYYY-MM-DD terms
# The most documents a segment written by a build holds. A record makes about 17 facet
# postings in Whoosh (its date alone 8), which Whoosh's 128 MB pool counts at ~180 bytes
# each: up to ~745,000 are sorted in memory, more go to temporary runs on disk that are
# merged again (at 65,535 records a segment, a fifth of the writing time at 7,000 issues).
SEGMENT_DOCS = 0x8000
# Segments written at once by a big build: each writer holds about 200 MB at SEGMENT_DOCS.
WRITERS = 2
DEFAULT_INDEX_DIR = "index"
DEFAULT_CORPUS = "seeds"
ENV_INDEX_DIR = "SEARCHKIT_INDEX_DIR"
USER_DICT = "userdict.txt"
ISSUE_SUFFIXES = (".txt", ".md")
_WHOOSH_NAME = "MAIN"


# --------------------------------------------------------------------------- locations


def resolve_index_dir(option: str | None = None) -> tuple[Path, bool]:
    """The index folder from `--index-dir`, else $SEARCHKIT_INDEX_DIR, else `index/`;
    and whether it is the default one."""
    if option:
        return Path(option), False
    env = os.environ.get(ENV_INDEX_DIR)
    if env:
        return Path(env), False
    return Path(DEFAULT_INDEX_DIR), True


def display_path(path: Path) -> str:
    """A path as users see it: relative to the working folder when inside it; bytes of a name
    that are not UTF-8 (a GBK name from a Windows zip) shown as `\\xNN`."""
    full = os.path.abspath(path)  # a link shows as itself, not as what it points to
    try:
        here = os.getcwd()
    except OSError:
        here = None
    if full == here:
        shown = "."
    elif here is not None and full.startswith(here.rstrip(os.sep) + os.sep):
        shown = full[len(here.rstrip(os.sep)) + 1:]
    else:
        shown = full
    return printable_name(shown)


def real_path(path: Path) -> str:
    """`path` with links resolved as far as they go; never raises on a link loop (`Path.resolve` does)."""
    return os.path.realpath(path)


def printable_name(name: str) -> str:
    """A file name as text: undecodable bytes (surrogate escapes) become `\\xNN`."""
    return os.fsencode(name).decode("utf-8", "backslashreplace") if os.name == "posix" else name


def _term(key: str) -> str:
    """A manifest key as a Whoosh term (Whoosh encodes terms as strict UTF-8)."""
    return printable_name(key)


# --------------------------------------------------------------------------- schema


def make_schema():
    from whoosh.fields import ID, KEYWORD, NUMERIC, Schema

    return Schema(
        id=ID(stored=True, unique=True, sortable=True),  # its column orders a merged segment's store
        path=ID,  # the issue file, resolved: the key for incremental updates
        issue=NUMERIC(int, shift_step=0),  # filters look numbers up, never ranges
        issue_total=NUMERIC(int, shift_step=0),
        date=ID,  # YYYY-MM-DD: date filters are ranges of terms (one posting a record, not DATETIME's eight)
        kind=ID,
        section=ID,
        district=ID,
        authors=KEYWORD(commas=True, lowercase=True),
    )  # the text, its words and the records as read are in the store: Whoosh keeps the facets


def _whoosh_doc(record: Record) -> dict:
    """A record's facets, as Whoosh indexes them (its `path` is added when it is written)."""
    return {
        "id": record.id,
        "issue": record.issue,
        "issue_total": record.issue_total,
        "date": dt.date.fromisoformat(record.date).isoformat(),
        "kind": record.kind,
        "section": record.section,
        "district": record.district,
        "authors": ",".join(record.authors),
    }


# --------------------------------------------------------------------------- snapshots (read side)


@dataclass
class Snapshot:
    """One generation of the index, open for reading."""

    root: Path
    gen_dir: Path
    manifest: dict
    _store: TextStore | None = None
    _ix: object = None

    @property
    def ix(self):
        """The Whoosh index (whoosh.index.FileIndex), opened on first use: a search without
        filters reads only the store."""
        if self._ix is None:
            try:
                from whoosh import index as windex

                self._ix = windex.open_dir(str(self.gen_dir), indexname=_WHOOSH_NAME)
            except Exception as exc:  # Whoosh raises assorted errors for unreadable TOCs
                raise IndexVersionError(_("cannot open the index at {folder} ({error}); rebuild it with "
                                          "`searchkit index --rebuild`").format(
                    folder=self.gen_dir, error=f"{type(exc).__name__}: {exc}")) from None
        return self._ix

    @property
    def store(self) -> TextStore:
        if self._store is None:
            self._store = TextStore.load(self.gen_dir)
        return self._store

    _searcher: object = None

    def searcher(self):
        """A new Whoosh searcher (BM25F) on this generation; close it when done."""
        from whoosh.scoring import BM25F

        try:
            return self.ix.searcher(weighting=BM25F())
        except (EOFError, OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            # A segment file cut short or damaged after it was sealed (a bad disk, a full one).
            raise damaged(self.root, self.gen_dir, exc) from None

    def shared_searcher(self):
        """One searcher kept open for all the queries run on this snapshot."""
        if self._searcher is None:
            self._searcher = self.searcher()
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    @property
    def updated(self) -> str:
        return self.manifest.get("updated", "")


def damaged(root: Path, gen_dir: Path, exc: BaseException) -> IndexDamagedError:
    """The one-line error for index files that cannot be read."""
    what = _("a file ends early") if isinstance(exc, EOFError) else f"{type(exc).__name__}: {exc}"
    return IndexDamagedError(_("the index at {root}/ is damaged ({generation}: {what}); "
                               "rebuild it: `searchkit index --rebuild --index-dir {root}`").format(
        root=root, generation=gen_dir.name, what=what))


def _ours(name: str) -> bool:
    """Whether a name in an index folder is one searchkit writes (debris of a killed first build included)."""
    return name in ("LOCK", USER_DICT, "CURRENT", "CURRENT.tmp") or name.startswith("gen-")


def _read_current(root: Path) -> str | None:
    try:
        fd = os.open(root / "CURRENT", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            name = f.read(64).decode("utf-8", "replace").strip() or None
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise UsageError(_("cannot use {root} as the index folder: part of that path is a file; "
                           "give a folder with --index-dir").format(root=root)) from None
    except OSError as exc:
        raise IndexDamagedError(_("cannot read {root}/CURRENT ({reason}); rebuild the index: "
                                  "`searchkit index --rebuild --index-dir {root}`").format(
            root=root, reason=exc.strerror)) from None
    if name is not None and not (name.startswith("gen-") and name[4:].isdigit() and name[4:].isascii()):
        # Only a generation beside it: never a path elsewhere (../.., /tmp/…).
        raise IndexDamagedError(_("{root}/CURRENT names {name!r}, not a generation of this index; "
                                  "rebuild it: `searchkit index --rebuild --index-dir {root}`").format(
            root=root, name=name[:40]))
    return name


def open_snapshot(root: Path, hint: str | None = None) -> Snapshot:
    """Open the live generation of the index in `root`."""
    if root.exists() and not root.is_dir():
        raise UsageError(_("index folder {root} is a file, not a folder; give a folder with --index-dir").format(
            root=root))
    for attempt in range(3):
        name = _read_current(root)
        if name is None:
            if root.is_dir() and any(not _ours(p.name) for p in root.iterdir()):
                raise IndexVersionError(_(
                    "{root} is not a searchkit index (no CURRENT file) and holds other files; "
                    "give an empty or new folder with --index-dir").format(root=root))
            raise IndexMissingError(_("no index at {root}/; run `{command}`").format(
                root=root, command=hint or f"searchkit index seeds/ --index-dir {root}"))
        gen_dir = root / name
        try:
            manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            if _read_current(root) == name and attempt:  # not a switch under way: it is gone
                raise IndexVersionError(_("the index at {root}/ is damaged ({name}, which CURRENT names, is missing); "
                                          "rebuild it: `searchkit index --rebuild --index-dir {root}`").format(
                    root=root, name=name)) from None
            time.sleep(0.05 * (attempt + 1))  # CURRENT moved on while we read; look again
            continue
        except (ValueError, OSError) as exc:
            raise IndexVersionError(_("{folder}/manifest.json is damaged ({error}); rebuild with "
                                      "`searchkit index --rebuild`").format(folder=gen_dir, error=exc)) from None
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexVersionError(_(
                "the index at {root}/ is in format {found} (written by searchkit {written_by}); this searchkit "
                "({version}) reads format {format}: rebuild it: `searchkit index --rebuild --index-dir {root}`").format(
                root=root, found=printable_name(str(manifest.get("format", "?")))[:20],
                written_by=printable_name(str(manifest.get("searchkit", "?")))[:40], version=__version__,
                format=FORMAT_VERSION))
        try:
            verify(root, gen_dir)  # before Whoosh unpickles anything
        except (IndexUntrustedError, IndexVersionError):
            if _read_current(root) != name:
                continue  # CURRENT moved on while we looked
            raise
        return Snapshot(root, gen_dir, manifest)
    raise IndexVersionError(_("the index at {root}/ keeps changing under us; try again").format(root=root))


# --------------------------------------------------------------------------- updating (write side)


@dataclass
class FileOutcome:
    source: str
    status: str  # added, updated, removed, unchanged, skipped
    records: int = 0
    reason: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class UpdateReport:
    index_dir: str
    files: list[FileOutcome] = field(default_factory=list)
    rebuilt: bool = False  # every record analysed again (--rebuild, or the dictionaries changed)
    first: bool = False  # there was no index before
    generation: str = ""
    seconds: float = 0.0
    total_records: int = 0
    total_issues: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def records(self, status: str) -> int:
        return sum(f.records for f in self.files if f.status == status)

    @property
    def skipped(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "skipped"]


# Document formats people drop into an archive folder that are not (yet) read: named in the
# report, so that nothing is ignored without a word. Other files (images, notes) are ignored.
UNSUPPORTED_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".rtf", ".odt", ".htm", ".html", ".xls", ".xlsx", ".epub")
DEFAULT_MAX_FILE_MB = 20  # an issue is 30-600 KB; far bigger is a mistake, and parsing costs memory
ENV_MAX_FILE_MB = "SEARCHKIT_MAX_FILE_MB"


def _kind(mode: int) -> str:
    import stat

    for test, name in ((stat.S_ISFIFO, N_("a FIFO (named pipe)")), (stat.S_ISSOCK, N_("a socket")),
                       (stat.S_ISCHR, N_("a character device")), (stat.S_ISBLK, N_("a block device")),
                       (stat.S_ISDIR, N_("a folder"))):
        if test(mode):
            return _(name)
    return _("not a regular file")


def collect_files(paths: Iterable[Path], exclude: Path | None = None
                  ) -> tuple[list[tuple[Path, str]], list[Path], list[FileOutcome]]:
    """Issue files under `paths` -> (files with their real paths, folders scanned, outcomes
    for entries skipped).

    Folders are walked without recursion and without following links to folders, so links
    that loop and folders nested thousands deep cost nothing; hidden entries and index
    folders (`exclude`, or any folder holding a searchkit index) are passed over. Entries
    that cannot be issues are named: special files, documents of other formats, folders
    that cannot be read."""
    import stat

    files: list[tuple[Path, str | None]] = []  # a real path None: resolved at the end
    folders: list[Path] = []
    skipped: list[FileOutcome] = []
    try:
        st = os.stat(exclude) if exclude is not None else None
        excluded = (st.st_dev, st.st_ino) if st else None
    except OSError:
        excluded = None

    def skip(path, reason: str) -> None:
        skipped.append(FileOutcome(display_path(Path(path)), "skipped", reason=reason))

    for p in paths:
        try:
            st = os.stat(p)
        except FileNotFoundError:
            if os.path.islink(p):
                files.append((p, None))  # a dangling link is reported when it can't be read
            else:
                skipped.append(FileOutcome(printable_name(str(p)), "skipped", reason=_("no such file or folder")))
            continue
        except OSError as exc:
            skip(p, _("cannot read: {reason}").format(reason=exc.strerror or exc))
            continue
        if not stat.S_ISDIR(st.st_mode):
            files.append((p, None))  # special files are named when read (never opened blocking)
            continue
        folders.append(Path(real_path(p)))
        real_folders: dict[Path, str] = {}
        stack = [(p, (st.st_dev, st.st_ino))]
        while stack:
            folder, identity = stack.pop()
            if identity == excluded:
                continue  # the index being updated, inside an input folder
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                skip(folder, _("folder cannot be read: {reason}").format(reason=exc.strerror or exc))
                continue
            names = {e.name for e in entries}
            if folder is not p and "CURRENT" in names and any(n.startswith("gen-") for n in names):
                continue  # another searchkit index: its files are not issues
            subfolders = []
            for e in entries:
                if e.name.startswith("."):
                    continue
                path = Path(e.path)
                suffix = os.path.splitext(e.name)[1].lower()
                try:
                    if e.is_dir(follow_symlinks=False):
                        est = e.stat(follow_symlinks=False)
                        subfolders.append((path, (est.st_dev, est.st_ino)))
                        continue
                    if e.is_symlink() or e.is_file(follow_symlinks=False):
                        if suffix in ISSUE_SUFFIXES:
                            # A file that is not a link is where its folder really is.
                            real = None if e.is_symlink() else os.path.join(
                                real_folders.get(folder) or real_folders.setdefault(folder, real_path(folder)), e.name)
                            files.append((path, real))
                        elif suffix in UNSUPPORTED_SUFFIXES:
                            skip(path, _("a {format} file; only .txt and .md issue files are read: "
                                         "convert it to text first").format(format=suffix[1:]))
                        continue
                    mode = e.stat(follow_symlinks=False).st_mode
                except OSError as exc:
                    skip(path, _("cannot read: {reason}").format(reason=exc.strerror or exc))
                    continue
                skip(path, _("{kind}, not a file: not opened").format(kind=_kind(mode)))
            stack.extend(reversed(subfolders))
    seen, unique = set(), []
    for f, r in files:
        r = r or real_path(f)
        if r not in seen:
            seen.add(r)
            unique.append((f, r))
    return unique, folders, skipped


def _read_issue(path: Path, max_bytes: int, known: tuple[int, int] | None) -> tuple[bytes | None, int, int]:
    """An issue file's bytes, size and mtime; bytes None when its size and mtime are `known`.

    Opened without blocking and checked with fstat before a byte is read: FIFOs, devices
    and sockets (or links to them: /dev/zero) are refused, never read; a file over the size
    cap is refused before it is read. Raises OSError or `_NotReadable`."""
    import stat

    st = os.stat(path)  # follows links; never blocks, even on a FIFO
    if not stat.S_ISREG(st.st_mode):
        raise _NotReadable(_("{kind}, not a file: not opened").format(kind=_kind(st.st_mode)))
    if known == (st.st_size, st.st_mtime_ns):
        return None, st.st_size, st.st_mtime_ns
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped for something else since the stat
            raise _NotReadable(_("{kind}, not a file: not opened").format(kind=_kind(st.st_mode)))
        if st.st_size > max_bytes:
            raise _NotReadable(_("{size} MB, over the {cap} MB cap for an issue file; raise it with --max-file-mb "
                                 "if this really is one issue").format(size=f"{st.st_size / 2**20:.1f}",
                                                                       cap=f"{max_bytes / 2**20:g}"))
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _NotReadable(_("over the {cap} MB cap for an issue file (it grew while read)").format(
                cap=f"{max_bytes / 2**20:g}"))
        return data, st.st_size, st.st_mtime_ns
    finally:
        os.close(fd)


class _NotReadable(Exception):
    """A file that is not read: the reason, for the report."""


def max_file_bytes(option_mb: float | None = None) -> int:
    """The size cap per issue file: --max-file-mb, else $SEARCHKIT_MAX_FILE_MB, else 20 MB."""
    value = option_mb
    if value is None:
        env = os.environ.get(ENV_MAX_FILE_MB)
        try:
            value = float(env) if env else DEFAULT_MAX_FILE_MB
        except ValueError:
            raise UsageError(_("${name} must be a number of megabytes, not {value!r}").format(
                name=ENV_MAX_FILE_MB, value=env)) from None
    if not value > 0:
        raise UsageError(_("the size cap must be a positive number of megabytes, not {value}").format(value=value))
    return int(value * 2**20)


@contextlib.contextmanager
def writer_lock(root: Path):
    """Hold the index's write lock; `IndexLockedError` if another process has it.

    The lock dies with its process, so a killed update never leaves a stale lock.
    """
    root.mkdir(parents=True, exist_ok=True)
    try:  # never through a symlink: a planted LOCK -> ~/.bashrc must not be truncated
        fd = os.open(root / "LOCK", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        if os.path.islink(root / "LOCK"):
            raise UsageError(_("{root}/LOCK is a symbolic link, which searchkit never follows; "
                               "remove it and run this again").format(root=root)) from None
        raise UsageError(_("cannot open {root}/LOCK: {reason}").format(root=root, reason=exc.strerror)) from None
    try:
        try:
            import fcntl

            # A POSIX record lock belongs to this process alone: the worker processes the
            # build forks do not inherit it, so it is released the moment this process dies.
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        except OSError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or _("another process")
            raise IndexLockedError(_(
                "{root}/ is being updated by another `searchkit index` (pid {pid}); "
                "wait for it to finish and run this again").format(root=root, pid=holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _wait_for_writer(root: Path) -> None:
    """Block until no process holds the index's write lock."""
    try:
        fd = os.open(root / "LOCK", os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return  # gone: the writer finished (or left nothing)
    try:
        import fcntl

        fcntl.lockf(fd, fcntl.LOCK_EX)
        fcntl.lockf(fd, fcntl.LOCK_UN)
    except ImportError:  # pragma: no cover - not POSIX
        pass
    finally:
        os.close(fd)


_interrupts: list[int] = []


@contextlib.contextmanager
def _deferred_interrupt():
    """Ctrl-C during an update takes effect at the next safe point (`_check_interrupt`).

    Python drops a KeyboardInterrupt raised inside its fork handlers (\"Exception ignored
    in _releaseLock\"), so a Ctrl-C that lands while a helper process is forked was lost and
    the update carried on. The handler only takes note; the update's loops raise it. The
    helpers inherit the note-taking handler until they ignore SIGINT altogether."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    del _interrupts[:]
    previous = signal.signal(signal.SIGINT, lambda signum, frame: _interrupts.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    _check_interrupt()


def _check_interrupt() -> None:
    if _interrupts:
        del _interrupts[:]
        raise KeyboardInterrupt


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, data) -> None:
    """Write `data` (bytes, or a function that writes into a binary file) to `path` atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        if callable(data):
            data(f)
        else:
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@dataclass
class _Parsed:
    """An issue file as a build worker made it ready for the index: what the plan needs to
    know of it, and its documents, pickled and compressed: (Whoosh facets, store entry) for
    each record. The main process keeps them in a spill file, not in memory (`_Spill`)."""

    issue: int
    issue_total: int
    date: str
    ids: list[str]
    warnings: list[str]
    payload: bytes = b""
    spilled: tuple[int, int] = (0, 0)  # where in the spill file its payload is

    def documents(self, spill: "_Spill") -> list[tuple[dict, object]]:
        return pickle.loads(zlib.decompress(spill.read(*self.spilled)))


class _Spill:
    """A temporary file beside the index that holds parsed issues until they are written: an
    update holds no issue in memory (unnamed: nothing to clean up after a crash). It takes
    about 1.6 times the new issues' text (`scripts/bench.py` measures it)."""

    def __init__(self, root: Path):
        self.file = tempfile.TemporaryFile(dir=root)
        self.size = 0

    def keep(self, parsed: _Parsed) -> _Parsed:
        self.file.seek(self.size)
        self.file.write(parsed.payload)
        self.file.flush()  # read by file position alone (`read`)
        parsed.spilled, parsed.payload = (self.size, len(parsed.payload)), b""
        self.size += parsed.spilled[1]
        return parsed

    def read(self, at: int, size: int) -> bytes:
        if hasattr(os, "pread"):  # no shared file position: helpers that write segments read at once
            return os.pread(self.file.fileno(), size, at)
        self.file.seek(at)
        return self.file.read(size)

    def close(self) -> None:
        self.file.close()


class _Plan:
    """What an update will do, worked out before anything is written."""

    def __init__(self):
        self.parsed: dict[str, tuple[_Parsed, dict]] = {}  # path -> (parsed issue, manifest entry)
        self.drop: set[str] = set()  # paths whose old records go
        self.manifest: dict[str, dict] = {}  # the new manifest's files
        self.touched = False  # anything to write at all
        self.scanned_ns = 0  # when this update started looking at the files


def update_index(
    paths: Iterable[str | Path],
    root: Path,
    rebuild: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    max_mb: float | None = None,
    drop_missing: bool = False,
) -> UpdateReport:
    """Bring the index in `root` up to date with the issue files under `paths`.

    Every file or folder entry that cannot be read as an issue is reported (`skipped`) and
    the rest are indexed. A first build with no usable file leaves nothing behind."""
    started = time.perf_counter()
    max_bytes = max_file_bytes(max_mb)
    created = not root.exists()
    scan_started = time.time_ns()
    report = UpdateReport(index_dir=str(root))
    if root.exists() and not root.is_dir():
        raise UsageError(_("index folder {root} is a file, not a folder; give a folder with --index-dir").format(
            root=root))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(_("cannot create the index folder {root}: {reason}").format(
            root=root, reason=exc.strerror)) from None
    if not os.access(root, os.W_OK):
        raise UsageError(_("cannot write to the index folder {root}; give a writable one with --index-dir").format(
            root=root))
    if _read_current(root) is None and any(not _ours(p.name) for p in root.iterdir()):
        open_snapshot(root)  # raises: not an index; checked before the lock file is made

    with contextlib.ExitStack() as stack:

        def leave_nothing(exc_type, exc, tb) -> bool:  # a first build given up: no LOCK, no folder
            if exc_type is KeyboardInterrupt and _read_current(root) is None:
                _remove_debris(root, created)
            return False

        stack.push(leave_nothing)
        stack.enter_context(_deferred_interrupt())
        stack.enter_context(writer_lock(root))
        old = None
        if not rebuild:
            try:
                old = open_snapshot(root)
            except IndexMissingError:
                old = None
        userdicts = _checked_userdict(root, report, stack)
        from .analysis import dictionaries_digest, use_dictionaries

        use_dictionaries(userdicts)
        digest = dictionaries_digest(userdicts)
        reanalyse: list[Path] = []
        known: dict[str, dict] = {}
        if rebuild:
            known = _manifest_files(root)  # JSON only: safe to read from any folder
        elif old is not None and old.manifest.get("dictionaries") != digest:
            known = dict(old.manifest["files"])
            old = None
        if known:
            # Every record is analysed again, including those of files indexed earlier from
            # elsewhere than this run's paths; a file that cannot be read is named.
            reanalyse = [Path(k) for k in known if os.path.isfile(k)]
            unreadable = (_("indexed before, but cannot be read now; its {n} records are not in the rebuilt index: "
                            "make it available and run `searchkit index` on it") if rebuild else
                          _("indexed before, but cannot be read now; its {n} records are not in the re-analysed "
                            "index: make it available and run `searchkit index` on it"))
            report.files.extend(
                FileOutcome(e.get("source", printable_name(k)), "skipped",
                            reason=unreadable.format(n=len(e.get("ids", ()))))
                for k, e in known.items() if not os.path.isfile(k))
        report.first = old is None and _read_current(root) is None
        report.rebuilt = rebuild or old is None

        files, folders, missing = collect_files([*(Path(p) for p in paths), *reanalyse], exclude=root)
        report.files.extend(missing)
        old_files: dict[str, dict] = dict(old.manifest["files"]) if old else {}
        scanned = old.manifest.get("scanned_ns", 0) if old else 0
        try:
            # Parsed issues wait in a spill file beside the index, then go into the next generation.
            spill = _Spill(root)
            stack.callback(spill.close)
            plan = _plan(files, folders, old_files, report, progress, spill, scanned, max_bytes, drop_missing)
            plan.scanned_ns = scan_started

            if report.first and not plan.parsed:
                # Nothing usable and no index before: leave nothing behind (no LOCK, no generation).
                report.generation = ""
                stack.close()
                _remove_debris(root, created)
                report.seconds = time.perf_counter() - started
                return report

            if old is not None and not plan.touched:
                report.generation = old.gen_dir.name
                _summarise(report, plan.manifest)
                report.seconds = time.perf_counter() - started
                return report
            report.generation = _write_generation(root, old, plan, spill, digest, progress)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                if report.first:
                    stack.close()
                    _remove_debris(root, created)
                raise NoSpaceError(_("the disk holding {root}/ is full ({reason}); the update was undone "
                                     "and the index is as it was: free some space and run this again").format(
                    root=root, reason=exc.strerror)) from None
            raise
        _summarise(report, plan.manifest)
    report.seconds = time.perf_counter() - started
    return report


def _summarise(report: UpdateReport, files: dict) -> None:
    report.total_issues = len(files)
    report.total_records = sum(len(e["ids"]) for e in files.values())


def _parse_job(job: tuple[bytes, str]) -> _Parsed | str:
    """Parse and segment one file's bytes (in a worker process): the issue ready to be
    written, or the ParseError's reason."""
    from .parser import decode, parse_text
    from .store import store_entry

    data, source = job
    try:
        issue = parse_text(decode(data, source), source)
    except ParseError as exc:
        return exc.reason
    documents = [(_whoosh_doc(r), store_entry(r)) for r in issue.records]
    return _Parsed(issue.issue, issue.issue_total, issue.date, [r.id for r in issue.records], list(issue.warnings),
                   zlib.compress(pickle.dumps(documents, protocol=pickle.HIGHEST_PROTOCOL), 1))


def _cores() -> int:
    """The cores this process may run on: its CPU affinity where the system tells (a
    container or `taskset` may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def _parse_all(files: list[tuple[Path, str]], max_bytes: int, progress, spill: _Spill) -> list[tuple]:
    """Read, parse and segment the files (path, as shown): for each, (SHA-1, size and mtime
    of the bytes parsed, the `_Parsed` issue or the reason it is not one). On every core when there are
    enough files to pay for the processes; a file is read just before a worker takes it,
    and what parses goes to the spill file as it comes, so memory does not grow with the
    number of files."""

    def read(path: Path, source: str):
        try:
            data, size, mtime = _read_issue(path, max_bytes, None)
        except OSError as exc:
            return ("", 0, 0), _("cannot read: {reason}").format(reason=exc.strerror or exc)
        except _NotReadable as exc:
            return ("", 0, 0), str(exc)
        return (_sha1(data), size, mtime), (data, source)

    def kept(done, result) -> tuple:
        return *done, result if isinstance(result, str) else spill.keep(result)

    results: list[tuple] = []
    workers = min(_cores(), 4)
    if len(files) < 16 or workers < 2:
        for n, (path, source) in enumerate(files, start=1):
            _check_interrupt()
            done, job = read(path, source)
            results.append(kept(done, _parse_job(job) if done[0] else job))
            if progress:
                progress(source, n, len(files))
        return results
    import collections
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    _die_with_parent()
    pool = ProcessPoolExecutor(workers, mp_context=context)
    todo = iter(files)
    window: collections.deque = collections.deque()  # (what was read, future or reason), in file order

    def submit() -> None:
        for path, source in todo:
            done, job = read(path, source)
            window.append((done, pool.submit(_parse_job, job) if done[0] else job))
            return

    try:
        for __ in range(4 * workers):
            submit()
        while window:
            done, job = window.popleft()
            _check_interrupt()
            results.append(kept(done, job if isinstance(job, str) else job.result()))
            submit()
            if progress:
                progress(files[len(results) - 1][1], len(results), len(files))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: only the files under way finish
    return results


def _plan(files: list[tuple[Path, str]], folders: list[Path], old_files: dict[str, dict], report: UpdateReport,
          progress, spill: _Spill, scanned_ns: int = 0, max_bytes: int = DEFAULT_MAX_FILE_MB * 2**20,
          drop_missing: bool = False) -> _Plan:
    plan = _Plan()
    plan.manifest = dict(old_files)
    current = {key for __, key in files}
    # Files gone from a folder indexed in this run, or gone altogether, lose their records.
    # A file whose folder is gone too (an unmounted drive, a network share) is unavailable,
    # not deleted: its records stay, and are reported, until that folder is indexed again
    # or `drop_missing` says they go.
    for key, entry in old_files.items():
        if key in current:
            continue
        exists = os.path.lexists(key)
        scanned = any(Path(key).is_relative_to(folder) for folder in folders)
        if scanned or (not exists and (drop_missing or os.path.isdir(os.path.dirname(key)))):
            plan.drop.add(key)
            del plan.manifest[key]
            plan.touched = True
            report.files.append(FileOutcome(entry["source"], "removed", len(entry["ids"])))
        elif not exists:
            report.files.append(FileOutcome(entry["source"], "kept", len(entry["ids"]), reason=_(
                "its folder {folder} is not available (not mounted?); its records "
                "are kept until it is indexed again, or dropped with --drop-missing").format(
                folder=printable_name(os.path.dirname(key)))))

    # Which files changed: size and mtime first, then content.
    changed: list[tuple[str, dict | None, Path, str]] = []
    for f, key in files:
        _check_interrupt()
        source = display_path(f)
        entry = old_files.get(key)
        if entry is None:
            changed.append((key, None, f, source))  # read when parsed
            continue
        try:
            # Trust size and mtime only for files last changed well before the previous scan:
            # an edit within the same clock tick as that scan keeps both (git's "racy" files).
            known = (entry["size"], entry["mtime_ns"]) if entry and entry["mtime_ns"] < scanned_ns - 2_000_000_000 \
                else None
            data, size, mtime = _read_issue(f, max_bytes, known)
            if data is None:
                report.files.append(FileOutcome(source, "unchanged", len(entry["ids"])))
                continue
        except OSError as exc:
            report.files.append(FileOutcome(source, "skipped",
                                            reason=_("cannot read: {reason}").format(reason=exc.strerror or exc)))
            continue
        except _NotReadable as exc:
            report.files.append(FileOutcome(source, "skipped", reason=str(exc)))
            continue
        digest = _sha1(data)
        if entry and entry["sha1"] == digest:
            if (entry["size"], entry["mtime_ns"], entry["source"]) != (size, mtime, source):
                plan.manifest[key] = dict(entry, size=size, mtime_ns=mtime, source=source)
                plan.touched = True  # only the fingerprint moved; the records stay
            report.files.append(FileOutcome(source, "unchanged", len(entry["ids"])))
            continue
        changed.append((key, entry, f, source))  # read again when parsed: not kept

    results = _parse_all([(f, source) for *__, f, source in changed], max_bytes, progress, spill)
    # Who holds each running number: unchanged files, changed files that still parse (under
    # their new number) and changed files that don't (they keep their old records).
    parsed_keys = {key for (key, *__), (*__, issue) in zip(changed, results) if not isinstance(issue, str)}
    owners = {e["issue_total"]: k for k, e in plan.manifest.items() if k not in parsed_keys}
    sources = {k: e["source"] for k, e in plan.manifest.items()}
    for (key, *__, source), (*__, issue) in zip(changed, results):
        sources[key] = source
        if not isinstance(issue, str) and issue.ids:
            owners.setdefault(issue.issue_total, key)
    for (key, entry, __, source), (digest, size, mtime, issue) in zip(changed, results):
        if isinstance(issue, str):
            reason = _("{reason} (its earlier version stays indexed: 总第{n}期)").format(
                reason=issue, n=entry["issue_total"]) if entry else issue
            report.files.append(FileOutcome(source, "skipped", reason=reason))
            continue
        owner = owners.get(issue.issue_total)
        if owner is not None and owner != key:
            report.files.append(FileOutcome(
                source, "skipped",
                reason=_("duplicate: issue 总第{n}期 is already indexed from {source}; the records of its earlier "
                         "version (总第{old}期) stay indexed").format(
                    n=issue.issue_total, source=sources[owner], old=entry["issue_total"]) if entry else
                _("duplicate: issue 总第{n}期 is already indexed from {source}; the records from {source} stay").format(
                    n=issue.issue_total, source=sources[owner])))
            continue
        if not issue.ids:
            report.files.append(FileOutcome(source, "skipped", reason=_("no articles found"),
                                            warnings=issue.warnings))
            continue
        if entry:
            plan.drop.add(key)
        new_entry = {"source": source, "size": size, "mtime_ns": mtime, "sha1": digest,
                     "issue": issue.issue, "issue_total": issue.issue_total, "date": issue.date,
                     "ids": issue.ids, "warnings": issue.warnings}
        plan.manifest[key] = new_entry
        plan.parsed[key] = (issue, new_entry)
        plan.touched = True
        report.files.append(FileOutcome(source, "updated" if entry else "added", len(issue.ids),
                                        warnings=issue.warnings))
    return plan


_dying_with_parent = False


def _die_with_parent() -> None:
    """Make processes that multiprocessing forks from now on die when this one does (Linux),
    so a killed update leaves no worker behind."""
    global _dying_with_parent
    if _dying_with_parent:
        return
    _dying_with_parent = True
    import multiprocessing.util
    import signal

    parent = os.getpid()

    def arrange(_):
        # Ctrl-C is the parent's to report, in one line: a helper prints no traceback of its own.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    multiprocessing.util.register_after_fork(_die_with_parent, arrange)


def _next_generation(root: Path) -> Path:
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    return root / f"gen-{max(numbers, default=0) + 1:06d}"


def _write_generation(root: Path, old: Snapshot | None, plan: _Plan, spill: _Spill, digest: str,
                      progress=None) -> str:
    live = _read_current(root)
    gen = _next_generation(root)  # numbered past any debris, so a number is never reused
    try:
        return _write_generation_into(root, old, plan, spill, digest, live, gen, progress)
    except BaseException:
        # Disk full, Ctrl-C, a bug: the half-written generation goes (it would keep the disk
        # full); CURRENT still names the old one, unless the switch itself was made.
        if _read_current(root) != gen.name:
            shutil.rmtree(gen, ignore_errors=True)
        raise


def _write_generation_into(root: Path, old: Snapshot | None, plan: _Plan, spill: _Spill, digest: str,
                           live: str | None, gen: Path, progress=None) -> str:
    from whoosh import index as windex

    # Debris of an interrupted update: generations newer than the live one.
    for p in root.glob("gen-*"):
        if live is None or p.name > live:
            shutil.rmtree(p, ignore_errors=True)
    gen.mkdir()
    if old is not None:
        for f in old.gen_dir.iterdir():
            if f.name in (*STORE_FILES, "manifest.json", "SEAL") or f.suffix == ".tmp" or "LOCK" in f.name:
                continue
            try:
                os.link(f, gen / f.name)
            except OSError:
                shutil.copy2(f, gen / f.name)
        ix = windex.open_dir(str(gen), indexname=_WHOOSH_NAME)
    else:
        ix = windex.create_in(str(gen), make_schema(), indexname=_WHOOSH_NAME)

    # Deletions first, with Whoosh's merging of small segments (their store segments are
    # carried over), then the new documents in segments of their own.
    specs: dict[str, dict] = {}
    if old is not None:
        writer = _writer(ix)
        try:
            for key in plan.drop:
                writer.delete_by_term("path", _term(key))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        specs = carry_over(gen, ix, old.store)
    written = 0

    def advance(key: str) -> None:  # the progress bar, again from 0: the issues as they are written
        nonlocal written
        written += 1
        if progress:
            progress(_("writing {source}").format(source=plan.manifest[key]["source"]), written, len(plan.parsed))

    batches: list[list[tuple[str, _Parsed]]] = []
    size = 0
    for key, (parsed, __) in plan.parsed.items():
        if not batches or size + len(parsed.ids) > SEGMENT_DOCS:
            batches.append([])
            size = 0
        batches[-1].append((key, parsed))
        size += len(parsed.ids)
    if batches:
        written_segments = _write_segments(gen, batches, spill, advance)
        # One commit names the new segments beside the kept ones (Whoosh's own multi-process
        # writer does the same with the segments its helpers wrote).
        writer = _writer(ix)
        writer.commit(mergetype=lambda w, segments: [*segments, *(segment for segment, __ in written_segments)])
        specs.update((segment.segid, spec) for segment, spec in written_segments)
    save_store(gen, ix, specs, _write_atomic)
    manifest = {
        "format": FORMAT_VERSION,
        "searchkit": __version__,
        "updated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scanned_ns": plan.scanned_ns,
        "dictionaries": digest,
        "files": plan.manifest,
    }
    # A file name that is not UTF-8 keeps its bytes as surrogate escapes: written as JSON `\\udcXX`.
    _write_atomic(gen / "manifest.json",
                  json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace"))
    seal(gen)  # this user's searchkit wrote it: readers may unpickle it (see trust.py)
    for f in gen.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(gen)
    _check_interrupt()  # the last moment to give up: after the switch the update is done
    # The switch: one atomic rename.
    _write_atomic(root / "CURRENT", (gen.name + "\n").encode())
    _fsync_dir(root)
    # Keep the generation just replaced for searches still reading it; drop older ones.
    for p in root.glob("gen-*"):
        if p.name not in (gen.name, live):
            shutil.rmtree(p, ignore_errors=True)
    return gen.name


def _writer_options() -> dict:
    """Whoosh writers keep no field lengths: nothing is scored by Whoosh, and looking them up
    cost a file-system call for every posting of a field without them."""
    from whoosh.codec.whoosh3 import W3Codec

    codec = W3Codec()
    codec.length_stats = False
    return {"limitmb": 128, "codec": codec}


def _writer(ix):
    return ix.writer(**_writer_options())


def _write_segments(gen: Path, batches: list[list[tuple[str, _Parsed]]], spill: _Spill, advance) -> list[tuple]:
    """Write each batch of parsed issues as a new segment: (Whoosh segment, store entry) for
    each, in order. A big build's segments are written WRITERS at a time by helper processes,
    which report each issue as it is written; with one segment, or no `fork`, they are
    written here, one after another."""
    import multiprocessing
    from multiprocessing.connection import wait

    parallel = min(_cores(), WRITERS, len(batches))
    if parallel < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_write_segment(gen, batch, spill, advance) for batch in batches]
    context = multiprocessing.get_context("fork")
    _die_with_parent()
    done: list[tuple | None] = [None] * len(batches)
    todo = list(enumerate(batches))
    running: dict = {}  # the end of a helper's pipe -> (which batch, the helper)
    try:
        while todo or running:
            while todo and len(running) < parallel:
                at, batch = todo.pop(0)
                reader, sender = context.Pipe(duplex=False)
                helper = context.Process(target=_segment_helper, args=(gen, batch, spill, sender), daemon=True)
                helper.start()
                sender.close()
                running[reader] = (at, helper)
            _check_interrupt()
            for reader in wait(list(running), timeout=0.2):
                at, helper = running[reader]
                try:
                    kind, value = reader.recv()
                except EOFError:  # the helper has gone: its segment was sent, or it was killed
                    del running[reader]
                    reader.close()
                    helper.join()
                    if done[at] is None:
                        raise SearchkitError(_(
                            "a helper process writing the index was stopped (out of memory?); the update was "
                            "undone and the index is as it was: run it again")) from None
                    continue
                if kind == "issue":
                    advance(value)
                elif kind == "segment":
                    done[at] = value
                else:
                    raise value
    finally:
        for reader, (__, helper) in running.items():
            helper.kill()
            helper.join()
            reader.close()
    return done


def _segment_helper(gen: Path, batch: list[tuple[str, _Parsed]], spill: _Spill, sender) -> None:
    """A forked helper's work: one segment, each issue reported as written, then the segment
    (or what went wrong: an OSError keeps its errno, so a full disk is reported as such)."""
    try:
        sender.send(("segment", _write_segment(gen, batch, spill, lambda key: sender.send(("issue", key)))))
    except BaseException as exc:
        try:
            sender.send(("failed", exc))
        except Exception:  # an exception that cannot be pickled: its text
            sender.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))
        raise SystemExit(1) from None
    finally:
        sender.close()


def _write_segment(gen: Path, batch: list[tuple[str, _Parsed]], spill: _Spill, advance) -> tuple:
    """Write parsed issues as one new segment, to Whoosh and to the store together, in the
    same order: (the Whoosh segment, its `store.json` entry). Its writer takes no lock and
    commits nothing: the update names the segment in the index's table of contents. (The
    writer's `_finalize_segment` and `_close_segment` are what Whoosh's own multi-process
    writer calls in its helpers, `whoosh/multiproc.py`; the tests build through them.)"""
    from whoosh import index as windex
    from whoosh.writing import SegmentWriter

    writer = SegmentWriter(windex.open_dir(str(gen), indexname=_WHOOSH_NAME), _lk=False, **_writer_options())
    out = None
    try:
        out = StoreWriter(gen, writer.newsegment.segid, sum(len(p.ids) for __, p in batch))
        for key, parsed in batch:
            path = _term(key)
            for facets, entry in parsed.documents(spill):
                writer.add_document(path=path, **facets)
                out.add(entry)
            _check_interrupt()
            advance(key)
        spec = out.finish()
        return writer._finalize_segment(), spec
    except BaseException:
        writer._close_segment()  # not `cancel`: its temporary folder may be another helper's too
        if out is not None:
            out.close()
        raise


def _manifest_files(root: Path) -> dict[str, dict]:
    """The files the live generation's manifest lists, whatever wrote it; {} if unreadable."""
    try:
        name = _read_current(root)
        data = json.loads((root / name / "manifest.json").read_text(encoding="utf-8")) if name else {}
        files = data.get("files", {})
        return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, dict)} \
            if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError, UsageError):
        return {}


def known_sources(root: Path) -> int:
    """How many issue files the index in `root` knows (for `index --rebuild` without paths)."""
    return len(_manifest_files(root))


def _remove_debris(root: Path, created: bool) -> None:
    """After a first build that found nothing to index: no LOCK, no generation; the folder
    too if this run made it."""
    for p in root.glob("gen-*"):
        shutil.rmtree(p, ignore_errors=True)
    for name in ("LOCK", "CURRENT.tmp"):
        with contextlib.suppress(OSError):
            (root / name).unlink()
    if created:
        with contextlib.suppress(OSError):
            root.rmdir()


_FREQ_MAX = 10**9  # jieba's most frequent word has ~10^6


def _checked_userdict(root: Path, report: UpdateReport, stack: contextlib.ExitStack) -> list[Path]:
    """The user dictionary to segment with: `userdict.txt` itself when it is sound, else a
    checked copy without its bad lines (GBK is decoded; a frequency that is not a number or
    beyond 10^9 is dropped), and the file reported as partly skipped."""
    path = root / USER_DICT
    try:
        if not path.is_file():
            return []
        data = path.read_bytes()
    except OSError as exc:
        report.files.append(FileOutcome(display_path(path), "skipped",
                                        reason=_("cannot read: {reason}").format(reason=exc.strerror)))
        return []
    problems, lines = [], []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
            problems.append(_("not UTF-8 (read as GBK; save it as UTF-8)"))
        except UnicodeDecodeError:
            report.files.append(FileOutcome(display_path(path), "skipped",
                                            reason=_("neither UTF-8 nor GBK text; not used")))
            return []
    for no, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if len(parts) > 1 and parts[1].isdigit() and not (parts[1].isascii() and 0 < int(parts[1]) <= _FREQ_MAX):
            problems.append(_("line {line}: frequency {value} is not a number from 1 to {max}; skipped").format(
                line=no, value=parts[1][:20], max=f"{_FREQ_MAX:,}"))
            continue
        lines.append(line)
    if not problems:
        return [path]
    from .i18n import language

    report.files.append(FileOutcome(display_path(path), "skipped",
                                    reason=("；" if language() == "zh" else "; ").join(problems[:5])))
    import tempfile

    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="searchkit-userdict-"))
    checked = Path(folder) / USER_DICT
    checked.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [checked]


def trust_index(root: Path) -> str:
    """Seal the live generation of the index in `root` with this user's key (`searchkit trust`).

    For an index the user knows where it came from (a copy of their own from another
    machine, a colleague's): from now on it opens like one this user built."""
    name = _read_current(root)
    if name is None or not (root / name / "manifest.json").is_file():
        raise IndexMissingError(_("no index at {root}/ to trust (no CURRENT generation with a manifest)").format(
            root=root))
    gen = root / name
    if gen.is_symlink() or not gen.is_dir():
        raise IndexVersionError(_("{folder} is not a folder; rebuild the index from the issue files").format(
            folder=gen))
    check_trustable(gen)
    seal(gen)
    return name


def require_snapshot(root: Path, is_default: bool, corpus: str = DEFAULT_CORPUS,
                     announce: Callable[[str], None] | None = None) -> Snapshot:
    """Open the index; the default index is first built from `seeds/` if there is none yet."""
    try:
        return open_snapshot(root)
    except IndexMissingError:
        if not is_default or not Path(corpus).is_dir():
            raise IndexMissingError(_("no index at {root}/; build it first: `searchkit index PATH{option}`").format(
                root=root, option="" if is_default else f" --index-dir {root}")) from None
    if announce:
        announce(_("No index yet: building {0}/ from {1}/ first.").format(root, corpus))
    try:
        report = update_index([corpus], root)
    except IndexLockedError:
        # Another first search is building it: wait for that build instead of failing.
        if announce:
            announce(_("Waiting for the build of {0}/ that another search started.").format(root))
        _wait_for_writer(root)
        return open_snapshot(root)
    if announce:
        for f in report.skipped:
            announce(_("skipped {0}: {1}").format(f.source, f.reason))
    return open_snapshot(root)


__all__ = [
    "FORMAT_VERSION", "Snapshot", "TextStore", "UpdateReport", "FileOutcome", "open_snapshot", "require_snapshot",
    "update_index", "resolve_index_dir",
]
