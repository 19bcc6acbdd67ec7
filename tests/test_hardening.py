"""Hardening (issue 10): nothing from elsewhere runs code, corrupts the terminal, loses records
or takes the machine down.

Most tests run the installed command in a subprocess (helpers from test_reliability), over
hostile files, folders and indexes made under pytest's tmp. Pathological sizes run under a
budget (a timeout and an address-space limit), never a wall-clock assertion.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from pathlib import Path

import pytest

from searchkit.errors import ExitStatus

from test_reliability import ROOT, _env, _live, assert_clean_failure, output, run_cli, searchkit_command  # noqa: F401

SEEDS = ROOT / "seeds"


@pytest.fixture
def index_copy(seed_index_dir, tmp_path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(seed_index_dir, root)  # copytree keeps modification times: still sealed
    return root


# --------------------------------------------------------------------------- 1. trust


def _payload(marker: Path, base=object):
    """An object whose unpickling creates `marker`: code from the index folder would have run."""

    class Payload(base):
        def __reduce__(self):
            return (pathlib.Path.touch, (pathlib.Path(marker),))

    return Payload()


def _plant_payload(gen: Path, marker: Path) -> None:
    """Replace the TOC (its pickled schema) and the text store with the payload."""
    import pickle

    from whoosh.fields import Schema
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    for toc in gen.glob("*.toc"):
        toc.unlink()
    TOC(_payload(marker, Schema), [], 1).write(FileStorage(str(gen)), "MAIN")
    (gen / "store.pickle").write_bytes(pickle.dumps(_payload(marker)))
    assert not marker.exists()


def test_a_crafted_pickle_in_an_index_folder_does_not_run(index_copy, tmp_path):
    marker = tmp_path / "pwned"
    _plant_payload(_live(index_copy), marker)
    for args in (("search", "人大"), ("stats",), ("list",), ("show", "697-01"), ("index", str(SEEDS))):
        result = run_cli(*args, "--index-dir", str(index_copy), cwd=tmp_path)
        assert not marker.exists(), f"{args}: the pickle ran"
        assert_clean_failure(result, ExitStatus.INDEX_UNTRUSTED, "not opened", "--rebuild", "searchkit trust")


def test_an_index_written_with_another_users_key_is_refused_until_trusted(index_copy, tmp_path):
    env = dict(_env(), XDG_CONFIG_HOME=str(tmp_path / "someone-else"))
    import subprocess

    other = subprocess.run([*searchkit_command(), "search", "人大", "--index-dir", str(index_copy)], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=120)
    assert_clean_failure(other, ExitStatus.INDEX_UNTRUSTED, "another user", "searchkit trust")
    trusted = subprocess.run([*searchkit_command(), "trust", "--index-dir", str(index_copy)], cwd=tmp_path,
                             capture_output=True, text=True, env=env, timeout=120)
    assert trusted.returncode == 0, output(trusted)
    again = subprocess.run([*searchkit_command(), "search", "西湖龙井", "--index-dir", str(index_copy)], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0 and "西湖龙井" in again.stdout, output(again)
    assert oct((tmp_path / "someone-else" / "searchkit" / "secret").stat().st_mode & 0o777) == "0o600"


def test_an_index_without_a_seal_is_refused(index_copy, tmp_path):
    (_live(index_copy) / "SEAL").unlink()
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_UNTRUSTED, "no seal")


def test_a_changed_segment_file_is_refused(index_copy, tmp_path):
    seg = next(_live(index_copy).glob("*.seg"))
    data = bytearray(seg.read_bytes())
    data[-100] ^= 0xFF
    seg.write_bytes(bytes(data))  # same size, a new modification time
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_UNTRUSTED, "changed since")


def test_a_lock_file_that_is_a_symlink_is_never_followed(index_copy, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = index_copy / "LOCK"
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    result = run_cli("index", str(SEEDS), "--index-dir", str(index_copy), cwd=tmp_path)
    assert_clean_failure(result, ExitStatus.USAGE, "symbolic link")
    assert victim.read_text() == "precious\n"
