"""Stage 0, locate: which index a command uses, found as git finds its repository."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from searchkit import locate
from searchkit.errors import IndexUntrustedError
from searchkit.index import open_snapshot


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SEARCHKIT_INDEX_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))


def fake_index(folder: Path) -> Path:
    (folder / "index").mkdir(parents=True)
    (folder / "index" / "CURRENT").write_text("gen-000001\n")
    return folder / "index"


def test_the_order_option_env_found_config_default(clean_env, monkeypatch, tmp_path):
    deep = tmp_path / "project" / "a" / "b"
    deep.mkdir(parents=True)
    assert locate.find(cwd=deep).how == "default"
    config = tmp_path / "no-config" / "searchkit"
    config.mkdir(parents=True)
    (config / "config").write_text("# my archive\nindex = ~/人大信息/索引\n", encoding="utf-8")
    assert locate.find(cwd=deep) == locate.Location(Path(os.path.expanduser("~/人大信息/索引")), "config", False, None)
    index = fake_index(tmp_path / "project")
    found = locate.find(cwd=deep)
    assert (found.root, found.how, found.is_default) == (index, "found", True)
    assert locate.find(cwd=tmp_path / "project").root == Path("index")  # here: shown as index/
    monkeypatch.setenv("SEARCHKIT_INDEX_DIR", "/x/env")
    assert locate.find(cwd=deep).root == Path("/x/env")
    assert locate.find("/x/option", cwd=deep).how == "option"


def test_a_project_with_seeds_but_no_index_builds_beside_them(clean_env, tmp_path):
    (tmp_path / "p" / "seeds" / "2024").mkdir(parents=True)
    found = locate.find(cwd=tmp_path / "p" / "seeds" / "2024")
    assert (found.root, found.how, found.corpus) == (tmp_path / "p" / "index", "project", tmp_path / "p" / "seeds")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder away")
def test_an_index_folder_another_user_owns_is_passed_over(clean_env, tmp_path):
    """A folder planted above the working one (/tmp/index) is never picked up."""
    planted = fake_index(tmp_path)
    os.chown(planted, 12345, 12345)
    (tmp_path / "work").mkdir()
    assert locate.find(cwd=tmp_path / "work").how == "default"


def test_a_found_index_is_opened_only_with_this_users_seal(clean_env, seed_index_dir, tmp_path, monkeypatch):
    """Discovery finds; the seal still decides: another key, and the index is refused."""
    shutil.copytree(seed_index_dir, tmp_path / "index")
    (tmp_path / "sub").mkdir()
    found = locate.find(cwd=tmp_path / "sub")
    assert found.how == "found"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "another-key"))
    with pytest.raises(IndexUntrustedError):
        open_snapshot(tmp_path / "index")


def test_indexed_folders(seed_index_dir):
    assert [p.name for p in locate.indexed_folders(seed_index_dir)] == ["seeds"]
