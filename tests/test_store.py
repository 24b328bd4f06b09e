"""The asset store: where assets are found (home, then cache) and what a missing one says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vidclass import store
from vidclass.errors import AssetMissingError, BadInputError

MODEL = "models/movinet_a0_stream_int8/movinet_a0_stream_int8.tflite"


@pytest.fixture
def two_roots(isolated_store) -> tuple[Path, Path]:
    return isolated_store


def put(root: Path, relative: str, text: str = "x") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_find_prefers_home_then_cache(two_roots):
    home, cache = two_roots
    in_cache = put(cache, MODEL)
    assert store.find(MODEL) == in_cache
    in_home = put(home, MODEL)
    assert store.find(MODEL) == in_home


def test_missing_asset_names_asset_places_and_command(two_roots):
    home, cache = two_roots
    with pytest.raises(AssetMissingError) as caught:
        store.find(MODEL)
    message = str(caught.value)
    assert "'movinet'" in message
    assert str(home) in message and str(cache) in message
    assert "`vidclass fetch movinet`" in message
    assert caught.value.exit_code == 2 and "\n" not in message


def test_missing_unregistered_path_still_says_where_it_looked(two_roots):
    home, _ = two_roots
    with pytest.raises(AssetMissingError) as caught:
        store.find("data/somewhere/file.bin")
    assert "somewhere" in str(caught.value) and str(home) in str(caught.value)
    assert "VIDCLASS_HOME" in str(caught.value)


def test_find_all_merges_home_and_cache_with_home_winning(two_roots):
    home, cache = two_roots
    put(home, "data/yt8m/video/a.tfrecord", "home")
    put(cache, "data/yt8m/video/a.tfrecord", "cache")
    put(cache, "data/yt8m/video/b.tfrecord", "cache")
    found = store.find_all("data/yt8m/video", "*.tfrecord")
    assert [path.name for path in found] == ["a.tfrecord", "b.tfrecord"]
    assert found[0].read_text() == "home" and found[1].parent == cache / "data/yt8m/video"


def test_download_root_is_home_when_writable_else_cache(two_roots):
    home, cache = two_roots
    assert store.download_root() == home
    os.chmod(home, 0o555)
    try:
        assert not store.is_writable(home)
        assert not store.is_writable(home / "models" / "new")  # judged by the nearest existing folder
        assert store.download_root() == cache
    finally:
        os.chmod(home, 0o755)


def test_shared_folder_is_never_a_download_target(shared_home, monkeypatch, tmp_path):
    if os.access(shared_home, os.W_OK) and shared_home.stat().st_mode & 0o222:
        pytest.skip(f"{shared_home} is writable here")
    monkeypatch.setenv("VIDCLASS_HOME", str(shared_home))
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))
    assert store.download_root() == tmp_path / "cache"


def test_registry_names_and_unknown_asset():
    assert store.asset_names() == ["movinet", "mobilenet_v2", "mobilenet_v1", "yt8m"]
    for item in store.registry():
        assert len(item.sha256) == 64 and item.size > 0 and item.url.startswith("http")
        assert item.path.startswith(("models/", "data/"))
    assert {item.strict for item in store.asset_files("yt8m")} == {False}
    assert {item.strict for item in store.asset_files("movinet")} == {True}
    with pytest.raises(BadInputError, match="choose one of movinet"):
        store.asset_files("nope")


def test_registry_matches_the_shared_manifest(shared_home):
    manifest = shared_home / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"{manifest} is not there")
    text = manifest.read_text()
    for item in store.registry():
        assert item.sha256 in text, item.path


def test_cache_dir_is_created_inside_the_cache(two_roots):
    _, cache = two_roots
    folder = store.cache_dir("features", "x")
    assert folder == cache / "features" / "x" and folder.is_dir()


def test_write_atomically_replaces_whole_files_and_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "index.npz"
    store.write_atomically(target, lambda temporary: temporary.write_bytes(b"old"))
    assert target.read_bytes() == b"old"

    def fails_half_way(temporary):
        temporary.write_bytes(b"ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.write_atomically(target, fails_half_way)
    assert target.read_bytes() == b"old"  # readers never see half a file
    assert [path.name for path in tmp_path.iterdir()] == ["index.npz"]  # no temporary file left
    seen = []
    store.write_atomically(target, lambda temporary: seen.append(temporary.suffix) or temporary.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and seen == [".npz"]  # numpy keeps a name ending in its suffix
