"""Stage 0, locate: which index a command uses, and where its issue files are.

As git finds its repository: `--index-dir`, else `$SEARCHKIT_INDEX_DIR`, else the nearest
folder, from the working folder up, that holds an index (`index/`) or a project's issue
files (`seeds/`), else the default set once in `$XDG_CONFIG_HOME/searchkit/config`
(`index = ~/人大信息/索引`), else `index/` here.

Discovery never weakens the trust seal (trust.py): a found index is opened like any other,
its seal checked; and an `index/` folder another user owns is passed over while walking
up (as git's `safe.directory` refuses a repository another user owns), so a folder
planted above the working folder (`/tmp/index`) is never picked up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .index import DEFAULT_CORPUS, DEFAULT_INDEX_DIR, ENV_INDEX_DIR
from .trust import config_dir

CONFIG = "config"


@dataclass(frozen=True)
class Location:
    root: Path  # the index folder
    how: str  # option | env | found | project | config | default
    is_default: bool  # may be built from `corpus` on first use
    corpus: Path | None  # the project's issue folder (seeds/), if any


def config_file() -> Path:
    return config_dir() / CONFIG


def configured_index() -> Path | None:
    """The default index named in the config file (`index = PATH`), if any."""
    try:
        text = config_file().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "index" and value.strip():
            return Path(os.path.expanduser(value.strip()))
    return None


def _yours(path: Path) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def is_index(path: Path) -> bool:
    return (path / "CURRENT").is_file()


def find(option: str | None = None, cwd: Path | None = None) -> Location:
    """The index to use (see the module's docstring)."""
    if option:
        return Location(Path(option), "option", False, None)
    env = os.environ.get(ENV_INDEX_DIR)
    if env:
        return Location(Path(env), "env", False, None)
    here = Path(os.path.abspath(cwd or os.getcwd()))
    for folder in (here, *here.parents):
        index, seeds = folder / DEFAULT_INDEX_DIR, folder / DEFAULT_CORPUS
        shown_index = Path(DEFAULT_INDEX_DIR) if folder == here else index
        shown_seeds = Path(DEFAULT_CORPUS) if folder == here else seeds
        if is_index(index) and _yours(index):
            return Location(shown_index, "found", True, shown_seeds if seeds.is_dir() else None)
        if seeds.is_dir() and _yours(seeds) and not index.exists():
            return Location(shown_index, "project", True, shown_seeds)
    configured = configured_index()
    if configured is not None:
        return Location(configured, "config", False, None)
    return Location(Path(DEFAULT_INDEX_DIR), "default", True, Path(DEFAULT_CORPUS))


def indexed_folders(root: Path) -> list[Path]:
    """The folders holding the issue files the index knows (that exist now), in order."""
    from .index import _manifest_files

    folders = sorted({os.path.dirname(k) for k in _manifest_files(root)})
    outer: list[str] = []
    for f in folders:  # sorted: a folder comes before those inside it
        if not any(f == o or f.startswith(o.rstrip(os.sep) + os.sep) for o in outer):
            outer.append(f)
    return [Path(f) for f in outer if os.path.isdir(f)]
