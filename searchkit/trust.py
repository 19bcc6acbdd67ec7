"""Index trust: Whoosh's pickles are loaded only from a generation this user's searchkit wrote.

Whoosh keeps pickles in an index: the TOC (`_MAIN_N.toc`: the schema and the segment
list), and inside each compound segment file (`*.seg`: its directory, postings blocks and
every document's stored fields). Unpickling runs code, so an index folder from someone
else (`--index-dir`, `$SEARCHKIT_INDEX_DIR`, an `index/` folder in a downloaded archive)
must not be opened just because it is there.

When an update commits a generation it writes `SEAL` into it: a listing of the
generation's files (name, size, modification time; the full SHA-256 of the small files
that hold the TOC) and an HMAC-SHA256 of that listing, keyed with a secret only this user
can read (`$XDG_CONFIG_HOME/searchkit/secret`, made 0600 on first need). Opening a
generation re-lists its files and checks the HMAC before Whoosh reads a byte of it; that
costs a `stat` per file and reading the small TOC, never hashing the big segment files.

A changed big file is caught by its size or modification time: only the file's owner can
set a modification time back, and every file must be owned by this user. A folder someone
else wrote, or one changed since, is refused with one line: rebuild it from the issue
files, or `searchkit trust` it. `trust` seals the live generation with this user's key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from .errors import IndexDamagedError, IndexUntrustedError, SearchkitError
from .i18n import _, enumerate_items

SEAL = "SEAL"
_SEAL_VERSION = 1
_HASHED_MAX = 64 * 1024  # files at most this big (the TOC) are hashed whole; bigger ones by stat
_SKIPPED = ("WRITELOCK", ".tmp")  # Whoosh's empty lock file, and temporary files


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "searchkit"


def _secret() -> bytes:
    """This user's key: 32 random bytes in a file only they can read, made on first need."""
    path = config_dir() / "secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SearchkitError(_("cannot read searchkit's key {path}: {reason}").format(
            path=path, reason=exc.strerror)) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"secret.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return path.read_bytes()
    except OSError as exc:
        raise SearchkitError(_("cannot create searchkit's key {path}: {reason}; "
                               "set XDG_CONFIG_HOME to a writable folder").format(
            path=path, reason=exc.strerror)) from None


def _listing(gen_dir: Path) -> dict[str, list]:
    """name -> [size, mtime_ns, sha256 of small files or ""] for the generation's files."""
    out: dict[str, list] = {}
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    with os.scandir(gen_dir) as entries:
        for e in entries:
            if e.name == SEAL or e.name.endswith(_SKIPPED):
                continue
            st = e.stat(follow_symlinks=False)
            if not e.is_file(follow_symlinks=False):
                out[e.name] = ["not a regular file", 0, ""]
                continue
            if uid is not None and st.st_uid != uid:
                out[e.name] = [f"owned by uid {st.st_uid}", 0, ""]
                continue
            digest = ""
            if st.st_size <= _HASHED_MAX:
                fd = os.open(gen_dir / e.name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as f:
                    digest = hashlib.sha256(f.read(_HASHED_MAX + 1)).hexdigest()
            out[e.name] = [st.st_size, st.st_mtime_ns, digest]
    return out


def _mac(listing: dict, key: bytes) -> str:
    canonical = json.dumps({"v": _SEAL_VERSION, "files": listing}, sort_keys=True, ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def seal(gen_dir: Path, exclude: tuple[str, ...] = ("manifest.json",)) -> None:
    """Write `SEAL` for a generation whose files are all written (manifest excepted: JSON runs no code)."""
    listing = {k: v for k, v in _listing(gen_dir).items() if k not in exclude}
    data = json.dumps({"version": _SEAL_VERSION, "files": listing, "hmac": _mac(listing, _secret())},
                      indent=0).encode("ascii")
    tmp = gen_dir / (SEAL + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, gen_dir / SEAL)


def check_trustable(gen_dir: Path) -> None:
    """Before `searchkit trust`: every file of the generation is a regular file of this user's.

    A file another user owns could be changed by them afterwards, time and all, so trusting
    it would trust them for good: copy the folder (`cp -a`) and trust the copy."""
    odd = {k: v[0] for k, v in _listing(gen_dir).items() if isinstance(v[0], str)}
    if odd:
        name, why = next(iter(odd.items()))
        # The listing's words (sealed as they are, so never translated there), said in the interface's language.
        owner = why[len("owned by uid "):] if why.startswith("owned by uid ") else None
        why = _("not a regular file") if why == "not a regular file" else \
            _("owned by uid {uid}").format(uid=owner) if owner is not None else why
        raise IndexUntrustedError(_("{folder}/{name} is {why}: searchkit trusts only files that are yours; "
                                    "copy the index folder (cp -a) and trust the copy").format(
            folder=gen_dir, name=name, why=why))


def verify(root: Path, gen_dir: Path, exclude: tuple[str, ...] = ("manifest.json",)) -> None:
    """Raise unless `gen_dir` is sealed with this user's key and unchanged since."""
    what_to_do = _("rebuild it from the issue files (`searchkit index --rebuild --index-dir {root}`), "
                   "or if you trust whoever wrote it: `searchkit trust --index-dir {root}`").format(root=root)
    try:
        recorded = json.loads((gen_dir / SEAL).read_text(encoding="ascii"))
        files, mac = recorded["files"], recorded["hmac"]
        if not isinstance(files, dict) or not isinstance(mac, str):
            raise ValueError
    except FileNotFoundError:
        raise IndexUntrustedError(_("the index at {root}/ was not written by your searchkit (it has no seal), "
                                    "so it is not opened: {what_to_do}").format(root=root, what_to_do=what_to_do)) from None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise IndexUntrustedError(_("the index at {root}/ has a damaged seal, so it is not opened: {what_to_do}").format(
            root=root, what_to_do=what_to_do)) from None
    try:
        listing = {k: v for k, v in _listing(gen_dir).items() if k not in exclude}
    except OSError as exc:
        raise IndexDamagedError(_("cannot read the index at {folder}: {reason}").format(
            folder=gen_dir, reason=exc.strerror)) from None
    if not hmac.compare_digest(_mac(files, _secret()), mac):
        raise IndexUntrustedError(_("the index at {root}/ was written by another user's or machine's searchkit, "
                                    "so it is not opened: {what_to_do}").format(root=root, what_to_do=what_to_do))
    if listing != files:
        missing = sorted(set(files) - set(listing))
        if missing and set(listing) <= set(files) and all(listing[k] == files[k] for k in listing):
            raise IndexDamagedError(_("the index at {root}/ is damaged: {files} is missing; "
                                      "rebuild it: `searchkit index --rebuild --index-dir {root}`").format(
                root=root, files=enumerate_items(missing)))
        changed = sorted(k for k in set(files) | set(listing) if files.get(k) != listing.get(k))
        raise IndexUntrustedError(_("the index at {root}/ has changed since your searchkit wrote it "
                                    "({files}), so it is not opened: {what_to_do}").format(
            root=root, files=enumerate_items(changed[:3]), what_to_do=what_to_do))
