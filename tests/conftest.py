"""Shared fixtures: the sample issues, one index built from them per test session, a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit.index import open_snapshot, update_index
from searchkit.parser import parse_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory):
    """Tests never touch the user's index or caches: they live under pytest's tmp."""
    os.environ.pop("SEARCHKIT_INDEX_DIR", None)
    os.environ.setdefault("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))  # searchkit's key (trust.py)
    os.environ["SEARCHKIT_LANG"] = "en"  # the tests read English messages, whatever the developer's locale
    yield


@pytest.fixture(autouse=True)
def _language_from_the_environment():
    """A test that chose a language (`--lang zh`) leaves none chosen behind."""
    yield
    from searchkit.i18n import set_language

    set_language(None)


@pytest.fixture(scope="session")
def seed_records():
    return [r for f in SEED_FILES for r in parse_file(f).records]


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory) -> Path:
    """An index of seeds/ built once for the session. Treat it as read-only."""
    root = tmp_path_factory.mktemp("seed-index") / "index"
    report = update_index([SEEDS], root)
    assert not report.skipped, report.skipped
    return root


@pytest.fixture(scope="session")
def seed_snapshot(seed_index_dir):
    return open_snapshot(seed_index_dir)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
