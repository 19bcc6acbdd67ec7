"""index: incremental, atomic updates of the on-disk index, and opening it for reading.

Every test works on its own copies of the sample issues under tmp_path.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.cli import main
from searchkit.errors import IndexMissingError, IndexVersionError, UsageError
from searchkit.index import USER_DICT, open_snapshot, update_index
from searchkit.normalize import search_key
from searchkit.parser import parse_file
from searchkit.query import search

ROOT = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((ROOT / "seeds").glob("*.txt"))
FILE_697, FILE_692, FILE_689, FILE_710 = SEED_FILES  # the seeds' names sort in this order


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A folder holding copies of the sample issues."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for f in SEED_FILES:
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "index"


def statuses(report) -> dict[str, str]:
    return {Path(f.source).name: f.status for f in report.files}


def all_ids(root: Path) -> list[str]:
    """Every record id in the index, by a query that every record matches (each has a body)."""
    snapshot = open_snapshot(root)
    with snapshot.searcher() as s:
        return sorted(fields["id"] for fields in s.all_stored_fields())


def hit_ids(root: Path, query: str) -> set[str]:
    return {h.id for h in search(open_snapshot(root), query, limit=None, with_snippets=False, exact=True).hits}


def truth(folder: Path, query_terms: list[str]) -> set[str]:
    """Records of the files now in `folder` that contain every term (independent of the index)."""
    out = set()
    for f in sorted(folder.glob("*.txt")):
        for r in parse_file(f).records:
            keys = (search_key(r.title), search_key(r.toc_title), search_key(r.body))
            if all(any(search_key(t) in k for k in keys) for t in query_terms):
                out.add(r.id)
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a new mtime whatever the clock's tick


def generation(root: Path) -> str:
    return (root / "CURRENT").read_text(encoding="utf-8").strip()


# --------------------------------------------------------------------------- first run, unchanged run


def test_first_run_adds_every_file(corpus, root):
    report = update_index([corpus], root)
    assert statuses(report) == {f.name: "added" for f in SEED_FILES}
    assert report.rebuilt and not report.skipped
    assert report.total_records == 51 and report.total_issues == 4
    assert report.records("added") == 51
    assert generation(root) == report.generation
    ids = all_ids(root)
    assert len(ids) == len(set(ids)) == 51


def test_unchanged_run_touches_nothing(corpus, root):
    first = update_index([corpus], root)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    second = update_index([corpus], root)
    assert statuses(second) == {f.name: "unchanged" for f in SEED_FILES}
    assert not second.rebuilt
    assert second.generation == first.generation == generation(root)
    after = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    # Only the lock file may be rewritten; the generation, CURRENT and manifest are untouched.
    assert {p: t for p, t in after.items() if p.name != "LOCK"} == {p: t for p, t in before.items()
                                                                    if p.name != "LOCK"}


def test_a_touched_but_identical_file_keeps_its_records(corpus, root):
    update_index([corpus], root)
    target = corpus / FILE_697.name
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))
    report = update_index([corpus], root)
    assert statuses(report)[FILE_697.name] == "unchanged"
    assert all_ids(root) == sorted(r.id for f in SEED_FILES for r in parse_file(f).records)
    assert statuses(update_index([corpus], root))[FILE_697.name] == "unchanged"


# --------------------------------------------------------------------------- add, change, remove


def test_a_new_file_is_added(corpus, root):
    (corpus / FILE_710.name).unlink()
    update_index([corpus], root)
    assert not hit_ids(root, "四督联动")
    shutil.copy(FILE_710, corpus / FILE_710.name)
    report = update_index([corpus], root)
    assert statuses(report) == {FILE_697.name: "unchanged", FILE_692.name: "unchanged",
                                FILE_689.name: "unchanged", FILE_710.name: "added"}
    assert report.records("added") == 12 and report.total_records == 51
    assert hit_ids(root, "四督联动") == {"710-01"}
    assert len(all_ids(root)) == 51


def test_a_changed_file_replaces_its_records(corpus, root):
    update_index([corpus], root)
    old_title, new_title = "西湖龙井“金字招牌”越擦越亮", "西湖龙井“金字招牌”熠熠生辉"
    assert hit_ids(root, old_title) == {"697-02"}
    edit(corpus / FILE_697.name, "越擦越亮", "熠熠生辉")  # in the TOC and over the article
    report = update_index([corpus], root)
    assert statuses(report)[FILE_697.name] == "updated"
    assert report.records("updated") == 12
    assert hit_ids(root, old_title) == set()
    assert hit_ids(root, new_title) == {"697-02"}
    hits = search(open_snapshot(root), new_title, limit=1).hits
    assert hits[0].id == "697-02" and hits[0].title == "市人大常委会积极推动" + new_title
    ids = all_ids(root)
    assert len(ids) == len(set(ids)) == 51


def test_a_changed_body_is_matched_on_its_new_text(corpus, root):
    update_index([corpus], root)
    edit(corpus / FILE_692.name, "数字经济伙伴关系协定(DEPA)", "数字经济伙伴关系协定(DEPA 2.0)")
    update_index([corpus], root)
    assert hit_ids(root, "DEPA2.0") == {"692-01"}
    assert hit_ids(root, '"(DEPA)"') == set()


def test_a_deleted_file_loses_its_records(corpus, root):
    update_index([corpus], root)
    (corpus / FILE_692.name).unlink()
    report = update_index([corpus], root)
    assert statuses(report)[FILE_692.name] == "removed"
    assert report.records("removed") == 14
    ids = all_ids(root)
    assert len(ids) == 37 and not [i for i in ids if i.startswith("692-")]
    assert hit_ids(root, "DEPA") == set()


def test_a_file_gone_from_disk_goes_even_when_named_one_by_one(corpus, root):
    files = sorted(corpus.glob("*.txt"))
    update_index(files, root)
    (corpus / FILE_692.name).unlink()
    report = update_index([f for f in files if f.exists()], root)
    assert statuses(report)[FILE_692.name] == "removed"
    assert not [i for i in all_ids(root) if i.startswith("692-")]


def test_a_file_not_named_again_but_still_there_stays(corpus, root):
    update_index(sorted(corpus.glob("*.txt")), root)
    update_index([corpus / FILE_697.name], root)
    assert len(all_ids(root)) == 51


def test_a_renamed_file_moves_its_records(corpus, root):
    update_index([corpus], root)
    (corpus / FILE_697.name).rename(corpus / "697-renamed.txt")
    report = update_index([corpus], root)
    assert statuses(report)[FILE_697.name] == "removed" and statuses(report)["697-renamed.txt"] == "added"
    ids = all_ids(root)
    assert len(ids) == len(set(ids)) == 51


def test_debris_of_an_interrupted_update_is_cleared(corpus, root):
    update_index([corpus], root)
    live = generation(root)
    debris = root / "gen-000007"
    debris.mkdir()
    (debris / "MAIN_junk.seg").write_bytes(b"half written")
    assert open_snapshot(root).gen_dir.name == live  # readers follow CURRENT, not the newest folder
    (corpus / FILE_692.name).unlink()
    report = update_index([corpus], root)
    assert not debris.exists() or report.generation == debris.name
    assert generation(root) == report.generation != live
    assert len(all_ids(root)) == 37


def test_an_update_while_another_holds_the_lock_is_refused(corpus, root):
    import subprocess
    import sys

    from searchkit.errors import IndexLockedError

    root.mkdir()
    # Another process takes the lock the way `searchkit index` does, and holds it.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
         "fcntl.lockf(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()", str(root / "LOCK")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexLockedError) as info:
            update_index([corpus], root)
        assert "\n" not in str(info.value)
    finally:
        holder.communicate("")
    assert update_index([corpus], root).total_records == 51  # released: the next run works


def test_rebuild_starts_from_scratch(corpus, root):
    first = update_index([corpus], root)
    report = update_index([corpus], root, rebuild=True)
    assert report.rebuilt
    assert statuses(report) == {f.name: "added" for f in SEED_FILES}
    assert report.generation != first.generation == "gen-000001"
    assert len(all_ids(root)) == 51


def test_incremental_updates_stay_grep_exact(corpus, root, tmp_path):
    """After adds, changes and removals the text store still lines up with the Whoosh docs."""
    (corpus / FILE_710.name).unlink()
    update_index([corpus], root)
    shutil.copy(FILE_710, corpus / FILE_710.name)
    update_index([corpus], root)
    edit(corpus / FILE_697.name, "组长的专", "组长的专门")
    (corpus / FILE_689.name).unlink()
    update_index([corpus], root)
    edit(corpus / FILE_710.name, "四督联动", "五督联动")
    update_index([corpus], root)
    queries = ["人大", "西湖", "组长的专门项课题组", "四督联动", "五督联动", "DEPA", "民生实项目", "茶", "e站",
               "余检e站", "代表 联络站", "2025年", "全过程人民民主", "备案审查"]
    for q in queries:
        assert hit_ids(root, q) == truth(corpus, q.split()), q
    fresh = tmp_path / "fresh"
    update_index([corpus], fresh)
    for q in queries:
        assert hit_ids(root, q) == hit_ids(fresh, q), q


def test_a_search_keeps_reading_its_generation_during_an_update(corpus, root):
    update_index([corpus], root)
    before = open_snapshot(root)
    (corpus / FILE_692.name).unlink()
    update_index([corpus], root)
    assert {h.id for h in search(before, "DEPA", limit=None).hits} == {"692-01"}
    assert hit_ids(root, "DEPA") == set()


# --------------------------------------------------------------------------- duplicates and broken files


def test_a_duplicate_issue_is_skipped_not_indexed_twice(corpus, root):
    shutil.copy(FILE_697, corpus / "zz_copy_of_697.txt")
    report = update_index([corpus], root)
    outcome = statuses(report)
    assert outcome["zz_copy_of_697.txt"] == "skipped"
    assert [f.status for f in report.files].count("added") == 4
    (skipped,) = report.skipped
    assert "duplicate" in skipped.reason and "697" in skipped.reason and FILE_697.name in skipped.reason
    ids = all_ids(root)
    assert len(ids) == len(set(ids)) == 51
    # Reported again on the next run, still not indexed.
    again = update_index([corpus], root)
    assert statuses(again)["zz_copy_of_697.txt"] == "skipped"
    assert len(all_ids(root)) == 51


def test_a_duplicate_takes_over_when_the_original_goes(corpus, root):
    shutil.copy(FILE_697, corpus / "zz_copy_of_697.txt")
    update_index([corpus], root)
    (corpus / FILE_697.name).unlink()
    report = update_index([corpus], root)
    assert statuses(report) == {FILE_697.name: "removed", "zz_copy_of_697.txt": "added", FILE_692.name: "unchanged",
                                FILE_689.name: "unchanged", FILE_710.name: "unchanged"}
    assert len(all_ids(root)) == 51
    assert hit_ids(root, "西湖龙井") == truth(corpus, ["西湖龙井"])


def test_a_renumbered_file_frees_its_old_number(corpus, root):
    update_index([corpus], root)
    edit(corpus / FILE_697.name, "总第 697 期", "总第 698 期")
    shutil.copy(FILE_697, corpus / "zz_697_again.txt")
    report = update_index([corpus], root)
    assert statuses(report)[FILE_697.name] == "updated"
    assert statuses(report)["zz_697_again.txt"] == "added", report.skipped
    ids = all_ids(root)
    assert len([i for i in ids if i.startswith("697-")]) == 12
    assert len([i for i in ids if i.startswith("698-")]) == 12


BROKEN = {
    "empty.txt": b"",
    "garbage.txt": "这不是一期简报。\n只是一些文字。\n".encode("utf-8"),
    "binary.txt": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_named_and_skipped_while_good_ones_are_indexed(corpus, root, name):
    (corpus / name).write_bytes(BROKEN[name])
    report = update_index([corpus], root)
    (skipped,) = report.skipped
    assert Path(skipped.source).name == name and skipped.reason and "\n" not in skipped.reason
    assert [f.status for f in report.files].count("added") == 4
    assert len(all_ids(root)) == 51


def test_a_file_that_breaks_keeps_its_earlier_version(corpus, root):
    update_index([corpus], root)
    (corpus / FILE_692.name).write_bytes(b"")
    report = update_index([corpus], root)
    (skipped,) = report.skipped
    assert Path(skipped.source).name == FILE_692.name and "earlier version stays indexed" in skipped.reason
    assert hit_ids(root, "DEPA") == {"692-01"}


def test_a_missing_path_is_reported(corpus, root, tmp_path):
    report = update_index([corpus, tmp_path / "nowhere"], root)
    (skipped,) = report.skipped
    assert "nowhere" in skipped.source and skipped.reason
    assert len(all_ids(root)) == 51


def test_cli_index_exit_status_names_the_broken_file(runner, corpus, root):
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(root)])
    assert result.exit_code == 0, result.output
    (corpus / "garbage.txt").write_bytes(BROKEN["garbage.txt"])
    result = runner.invoke(main, ["index", str(corpus), "--index-dir", str(root)])
    assert result.exit_code == 1
    assert "garbage.txt" in result.output
    assert len(all_ids(root)) == 51


# --------------------------------------------------------------------------- the user dictionary


def test_user_dictionary_triggers_reanalysis(corpus, root):
    word = "医疗保障联动监督"
    update_index([corpus], root)

    def known(word):
        return open_snapshot(root).store.word_counts(word)[1] > 0

    assert not known(word)
    (root / USER_DICT).write_text(f"{word} 100 n\n", encoding="utf-8")
    report = update_index([corpus], root)
    assert report.rebuilt
    assert statuses(report) == {f.name: "added" for f in SEED_FILES}
    assert known(word)
    assert len(all_ids(root)) == 51
    assert not update_index([corpus], root).rebuilt  # same dictionaries: nothing to do
    (root / USER_DICT).unlink()
    assert update_index([corpus], root).rebuilt
    assert not known(word)


def test_user_dictionary_change_keeps_records_indexed_from_other_folders(corpus, root, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for f in SEED_FILES[2:]:
        shutil.move(corpus / f.name, other / f.name)
    update_index([corpus], root)
    update_index([other], root)
    assert len(all_ids(root)) == 51
    (root / USER_DICT).write_text("医疗保障联动监督 100 n\n", encoding="utf-8")
    report = update_index([other], root)  # only one folder named: the other's records stay
    assert report.rebuilt
    assert statuses(report) == {f.name: "added" for f in SEED_FILES}
    assert len(all_ids(root)) == 51


def test_user_dictionary_never_changes_which_records_match(corpus, root):
    (root).mkdir()
    (root / USER_DICT).write_text("推动医疗 100 n\n保障联动监督落地 100 n\n", encoding="utf-8")
    update_index([corpus], root)
    for q in ("医疗保障", "联动监督", "保障联动", "推动医疗保障联动监督落地见效"):
        assert hit_ids(root, q) == truth(corpus, [q]), q


# --------------------------------------------------------------------------- opening


def test_open_snapshot_on_a_missing_folder(tmp_path):
    with pytest.raises(IndexMissingError) as info:
        open_snapshot(tmp_path / "nope")
    assert "searchkit index" in str(info.value)


def test_open_snapshot_on_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexMissingError):
        open_snapshot(tmp_path / "empty")


def test_open_snapshot_on_a_folder_that_is_not_an_index(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an index", encoding="utf-8")
    with pytest.raises(IndexVersionError) as info:
        open_snapshot(folder)
    assert "not a searchkit index" in str(info.value) and "\n" not in str(info.value)


def test_open_snapshot_on_a_file(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError):
        open_snapshot(tmp_path / "file")
    with pytest.raises(UsageError):
        update_index([], tmp_path / "file")


def test_open_snapshot_when_current_names_a_missing_generation(tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "CURRENT").write_text("gen-000042\n", encoding="utf-8")
    with pytest.raises(IndexVersionError):
        open_snapshot(folder)


def test_open_snapshot_on_a_damaged_manifest(corpus, root):
    report = update_index([corpus], root)
    (root / report.generation / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexVersionError):
        open_snapshot(root)


def test_open_snapshot_on_a_newer_format(corpus, root):
    import json

    report = update_index([corpus], root)
    manifest = root / report.generation / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["format"] = 999
    manifest.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexVersionError) as info:
        open_snapshot(root)
    assert "--rebuild" in str(info.value)


_KEYISH = st.text(alphabet="人大代表西湖龙井ab\U00020000", max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_KEYISH, _KEYISH), min_size=1, max_size=8), _KEYISH)
def test_character_postings_never_rule_out_a_document_that_contains_the_key(tmp_path_factory, docs, key):
    """The postings may let through documents without the key (a longer key is then checked
    with `in`), never drop one with it; for one or two characters they are the answer."""
    from searchkit.store.grams import Grams, build, grams_of

    path = tmp_path_factory.mktemp("grams") / "t.grams"
    path.write_bytes(build([grams_of((title + "\x1f" + title, body)) for title, body in docs]))
    grams = Grams(path, len(docs))
    found = grams.candidates(key)
    holding = {d for d, (title, body) in enumerate(docs) if key in title or key in body}
    if found is None:
        assert key == ""
    elif len(key) <= 2:
        assert found == holding
    else:
        assert holding <= found
    # Each posting's count: the gram's occurrences, the title's three times (never across the separator).
    for gram in {key[:1], key[:2], *(body[:2] for _, body in docs)} - {""}:
        postings, counts = grams.arrays(gram)
        assert list(postings) == list(grams.docs(gram)) == sorted(
            d for d, (title, body) in enumerate(docs) if gram in title or gram in body)
        for d, n in zip(postings.tolist(), counts.tolist()):
            title, body = docs[d]
            assert n == min(255, 2 * _overlapping(title, gram) + _overlapping(body, gram))


def _overlapping(text: str, gram: str) -> int:
    return sum(text.startswith(gram, i) for i in range(len(text)))


def test_gram_postings_narrow_and_wide_read_back_the_same(tmp_path):
    """A gram whose gaps fit a byte is kept narrow (the first docnum, then gaps); one with a
    longer gap is kept wide; both read back as the documents that hold it, with counts."""
    from searchkit.store.grams import NARROW, Grams, build, code, grams_of

    docs = [("", "甲乙" * (d % 3 + 1) if d % 2 else "丙") for d in range(700)] + [("", "甲乙丁")]
    path = tmp_path / "t.grams"
    path.write_bytes(build([grams_of(keys) for keys in docs]))
    grams = Grams(path, len(docs))
    codes = list(grams.codes)
    assert {g: bool(grams.ends[codes.index(code(g))] & NARROW) for g in ("甲乙", "丁")} == {"甲乙": True, "丁": False}
    postings, counts = grams.arrays("甲乙")
    assert list(postings) == list(grams.docs("甲乙")) == [*range(1, 700, 2), 700]
    assert counts.tolist() == [d % 3 + 1 for d in range(1, 700, 2)] + [1]
    assert grams.candidates("甲乙丁") == {700} and grams.size("丙") == 350 and grams.size("戊") == 0


def test_a_file_reached_by_several_paths_is_one_file_with_its_real_path(corpus, root, tmp_path):
    """A folder given also through a link to it, a file linked from another folder and a
    subfolder under a linked folder: each issue file is indexed once, under its real path,
    and an update through the other path finds it unchanged."""
    sub = corpus / "2024"
    sub.mkdir()
    shutil.move(str(corpus / FILE_710.name), sub / FILE_710.name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.txt").symlink_to(corpus / FILE_697.name)
    (tmp_path / "via").symlink_to(corpus, target_is_directory=True)
    report = update_index([corpus, tmp_path / "via", elsewhere], root)
    assert report.count("added") == len(SEED_FILES)
    files = open_snapshot(root).manifest["files"]
    assert sorted(files) == sorted(os.path.realpath(p) for p in corpus.rglob("*.txt"))
    again = update_index([tmp_path / "via", elsewhere], root)
    assert again.count("unchanged") == len(SEED_FILES) and not again.count("added")
    assert len(all_ids(root)) == 51


def test_a_gram_block_of_no_possible_size_is_a_damaged_index(tmp_path):
    import struct

    from searchkit.store.grams import Grams, build, grams_of

    data = bytearray(build([grams_of(("", "甲乙" * (d % 3 + 1))) for d in range(10)]))
    n = struct.unpack_from("<I", data, 4)[0]
    struct.pack_into("<I", data, 16 + 8 * n, 7)  # the first block: 7 bytes, which no wide block of 2-byte docnums has
    (tmp_path / "t.grams").write_bytes(data)
    grams = Grams(tmp_path / "t.grams", 10)
    first = grams.codes[0]
    with pytest.raises(IndexVersionError, match="--rebuild"):
        grams.docs(chr(first >> 21) + (chr(first & 0x1FFFFF) if first & 0x1FFFFF else ""))


# --------------------------------------------------------------------------- segments written at once


def _every_hit(root: Path, query: str) -> dict[str, tuple[str, str, float]]:
    result = search(open_snapshot(root), query, limit=None, with_snippets=False)
    return {h.id: (h.match, h.proximity, round(h.score, 9)) for h in result.hits}


def test_a_build_of_several_segments_writes_them_at_once_and_finds_the_same(corpus, tmp_path, monkeypatch):
    """With small segments each seed issue is a segment of its own, and helper processes write
    them two at a time: the index holds the same records, finds and scores the same hits as
    one written in a single segment (with the same proximity: sentence, paragraph), and the
    progress names every issue once."""
    import searchkit.index as index_module

    one = tmp_path / "one"
    update_index([corpus], one)
    monkeypatch.setattr(index_module, "SEGMENT_DOCS", 8)
    monkeypatch.setattr(index_module, "_cores", lambda: 2)  # helpers even where this process has one core
    several = tmp_path / "several"
    shown = []
    report = update_index([corpus], several, progress=lambda text, n, total: shown.append((text, n, total)))
    assert report.total_records == 51
    assert len(open_snapshot(one).store.segments) == 1
    assert len(open_snapshot(several).store.segments) == len(SEED_FILES)
    writing = [(text, n) for text, n, total in shown if text.startswith("writing ")]
    assert sorted(n for __, n in writing) == [1, 2, 3, 4]
    assert sorted(text.rsplit("/", 1)[-1] for text, __ in writing) == sorted(f.name for f in SEED_FILES)
    assert all_ids(several) == all_ids(one)
    for query in ("西湖龙井", "代表", "人", "代表联络站建设", "怎样让代表更好地联系群众", "监督 NOT 西湖"):
        assert _every_hit(several, query) == _every_hit(one, query), query
    # An update that changes one issue and adds two (three new segments, written by helpers
    # beside the kept ones) finds what a fresh build of the same files finds.
    edit(corpus / FILE_692.name, "代表", "人大代表")
    for n, seed in enumerate((FILE_697, FILE_710)):
        text = re.sub(r"总第\s*\d+\s*期", f"总第 {900 + n} 期", seed.read_text(encoding="utf-8"), count=1)
        (corpus / f"new-{n}.txt").write_text(text, encoding="utf-8")
    again = update_index([corpus], several)
    assert (again.count("updated"), again.count("added")) == (1, 2)
    assert update_index([corpus], one, rebuild=True).count("added") == len(SEED_FILES) + 2
    assert all_ids(several) == all_ids(one)
    for query in ("人大代表", "代表", "西湖龙井", "代表联络站建设"):
        assert set(_every_hit(several, query)) == set(_every_hit(one, query)), query


def test_a_helper_that_dies_while_writing_undoes_the_build(corpus, root, tmp_path, monkeypatch):
    """A helper killed while it writes its segment (as the kernel does when memory runs out):
    the update stops with one clear line, and the index is the one before it."""
    import signal

    import searchkit.index as index_module
    from searchkit.errors import SearchkitError

    update_index([corpus], root)
    before = generation(root)
    monkeypatch.setattr(index_module, "SEGMENT_DOCS", 8)
    monkeypatch.setattr(index_module, "_cores", lambda: 2)
    parent, write = os.getpid(), index_module._write_segment

    def dying(gen, batch, spill, advance):
        if os.getpid() != parent and batch[0][0].endswith(FILE_689.name):
            os.kill(os.getpid(), signal.SIGKILL)
        return write(gen, batch, spill, advance)

    monkeypatch.setattr(index_module, "_write_segment", dying)
    with pytest.raises(SearchkitError, match="helper process .* run it again"):
        update_index([corpus], root, rebuild=True)
    assert generation(root) == before and sorted(p.name for p in root.glob("gen-*")) == [before]
    assert len(all_ids(root)) == 51
