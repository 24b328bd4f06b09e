"""``vidclass.fetch`` against HTTP servers the tests start on 127.0.0.1 serving ../shared."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from tests.conftest import require_asset
from vidclass import fetch as fetching
from vidclass import store
from vidclass.errors import BadInputError

MOVINET_FILES = [item.path for item in store.asset_files("movinet")]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from ``directory``; counts requests; no log lines."""

    requests: list

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()


class CuttingHandler(QuietHandler):
    """Announces the full length, sends half the bytes, then drops the connection."""

    def do_GET(self):
        self.requests.append(self.path)
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True


class WrongBytesHandler(QuietHandler):
    """Serves bytes of the right length but wrong content (every byte flipped)."""

    def do_GET(self):
        self.requests.append(self.path)
        body = bytes(255 - value for value in (Path(self.directory) / self.path.lstrip("/")).read_bytes())
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def serve(shared_home):
    """Factory: ``serve(handler_class) -> (base_url, requests)``; servers stop after the test."""
    servers = []

    def start(handler_class=QuietHandler):
        requests: list = []
        handler = functools.partial(type("Handler", (handler_class,), {"requests": requests}), directory=str(shared_home))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", requests

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def empty_store(isolated_store, monkeypatch) -> tuple[Path, Path]:
    """An empty writable home and an empty cache, with no download address override."""
    monkeypatch.delenv(fetching.BASE_URL_VARIABLE, raising=False)
    return isolated_store


def all_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_fetch_downloads_identical_files_then_skips_them(shared_home, empty_store, serve):
    for relative in MOVINET_FILES:
        require_asset(shared_home, relative)
    home, cache = empty_store
    base_url, requests = serve()
    seen = []
    results = fetching.fetch(["movinet"], progress=lambda fraction, message: seen.append(fraction), base_url=base_url)
    assert [result.status for result in results] == ["downloaded", "downloaded"]
    for relative in MOVINET_FILES:
        assert (home / relative).read_bytes() == (shared_home / relative).read_bytes()
    assert all_files(home) == sorted(home / relative for relative in MOVINET_FILES)  # no temp file left
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2
    assert not cache.exists() or all_files(cache) == []

    again = fetching.fetch(["movinet"], base_url=base_url)
    assert [result.status for result in again] == ["present", "present"]
    assert len(requests) == 2  # nothing downloaded the second time
    assert store.find(MOVINET_FILES[0]) == home / MOVINET_FILES[0]


def test_base_url_comes_from_the_environment(shared_home, empty_store, serve, monkeypatch):
    home, _ = empty_store
    base_url, requests = serve()
    monkeypatch.setenv(fetching.BASE_URL_VARIABLE, base_url + "/")
    fetching.fetch(["movinet"])
    assert sorted(requests) == sorted("/" + relative for relative in MOVINET_FILES)
    assert (home / MOVINET_FILES[1]).is_file()


def test_a_cut_connection_leaves_nothing(shared_home, empty_store, serve):
    home, cache = empty_store
    base_url, _ = serve(CuttingHandler)
    with pytest.raises(fetching.DownloadError) as caught:
        fetching.fetch(["movinet"], base_url=base_url)
    message = str(caught.value)
    assert "connection closed" in message and "\n" not in message
    assert all_files(home) == [] and all_files(cache) == []
    assert list(home.iterdir()) == []  # not even the empty models/<name>/ folder it made


def test_wrong_bytes_are_rejected_for_a_strict_asset(shared_home, empty_store, serve):
    home, cache = empty_store
    base_url, _ = serve(WrongBytesHandler)
    with pytest.raises(fetching.DownloadError) as caught:
        fetching.fetch(["movinet"], base_url=base_url)
    item = store.asset_files("movinet")[0]
    message = str(caught.value)
    assert item.path in message and item.sha256 in message and "not kept" in message
    got = fetching.hashlib.sha256(bytes(255 - b for b in (shared_home / item.path).read_bytes())).hexdigest()
    assert got in message
    assert all_files(home) == [] and all_files(cache) == []


@pytest.fixture
def warn_registry(tmp_path, monkeypatch, shared_home) -> store.AssetFile:
    """A registry with one small 'warn' asset (a YouTube-8M-style unpinned source)."""
    relative = "models/movinet_a0_stream_int8/kinetics600_labels.txt"
    source = require_asset(shared_home, relative)
    registry = tmp_path / "registry.tsv"
    registry.write_text(
        "asset\tpath\tbytes\tsha256\tchecksum\turl\n"
        f"labels\t{relative}\t{source.stat().st_size}\t{fetching.sha256_of(source)}\twarn\thttp://example.invalid/x\n"
    )
    monkeypatch.setattr(store, "REGISTRY_PATH", registry)
    return store.asset_files("labels")[0]


def test_wrong_bytes_are_kept_with_a_warning_for_a_warn_asset(warn_registry, empty_store, serve):
    home, _ = empty_store
    base_url, _ = serve(WrongBytesHandler)
    warnings = []
    results = fetching.fetch(["labels"], base_url=base_url, warn=warnings.append)
    assert [result.status for result in results] == ["unverified"]
    assert (home / warn_registry.path).stat().st_size == warn_registry.size
    assert len(warnings) == 1 and warn_registry.sha256 in warnings[0] and "kept" in warnings[0]
    assert all_files(home) == [home / warn_registry.path]


def test_default_warning_goes_through_the_warnings_module(warn_registry, empty_store, serve):
    base_url, _ = serve(WrongBytesHandler)
    with pytest.warns(UserWarning, match="kept it anyway"):
        fetching.fetch(["labels"], base_url=base_url)


def test_read_only_home_is_never_written(shared_home, tmp_path, monkeypatch, serve):
    home, cache = tmp_path / "readonly-home", tmp_path / "cache"
    home.mkdir()
    os.chmod(home, 0o555)
    monkeypatch.setenv("VIDCLASS_HOME", str(home))
    monkeypatch.setenv("VIDCLASS_CACHE", str(cache))
    try:
        base_url, _ = serve()
        results = fetching.fetch(["movinet"], base_url=base_url)
        assert {result.path.parent for result in results} == {cache / "models/movinet_a0_stream_int8"}
        assert all_files(home) == []
        assert store.find(MOVINET_FILES[0]) == cache / MOVINET_FILES[0]
    finally:
        os.chmod(home, 0o755)


def test_files_already_in_the_shared_home_are_not_downloaded(shared_home, tmp_path, monkeypatch, serve):
    for relative in MOVINET_FILES:
        require_asset(shared_home, relative)
    monkeypatch.setenv("VIDCLASS_HOME", str(shared_home))
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))
    base_url, requests = serve()
    results = fetching.fetch(["movinet"], base_url=base_url)
    assert [result.status for result in results] == ["present", "present"]
    assert requests == []


def test_server_errors_and_unknown_names(empty_store, serve):
    home, _ = empty_store
    base_url, _ = serve()
    with pytest.raises(fetching.DownloadError, match="404"):
        fetching.fetch(["movinet"], base_url=base_url + "/nothing-here")
    assert all_files(home) == []
    with pytest.raises(BadInputError, match="no-such-asset"):
        fetching.fetch(["no-such-asset"])


def test_an_unreachable_server_is_a_clear_error(empty_store):
    home, _ = empty_store
    with pytest.raises(fetching.DownloadError, match="failed"):
        fetching.fetch(["movinet"], base_url="http://127.0.0.1:9")  # discard port: refused
    assert list(home.iterdir()) == []


def test_a_failed_download_keeps_folders_that_were_there_before(empty_store):
    """Only the folders the failed download made are removed; an existing models/ with other
    content stays as it was."""
    home, _ = empty_store
    (home / "models" / "mine").mkdir(parents=True)
    (home / "models" / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(fetching.DownloadError):
        fetching.fetch(["movinet"], base_url="http://127.0.0.1:9")
    assert sorted(path.relative_to(home).as_posix() for path in home.rglob("*")) == [
        "models", "models/mine", "models/mine/notes.txt"]


def test_no_names_means_every_asset():
    assert [item.path for item in fetching.files_for(None)] == [item.path for item in store.registry()]
    assert [item.asset for item in fetching.files_for(["mobilenet_v1", "mobilenet_v1"])] == ["mobilenet_v1"]



def test_only_http_https_and_file_base_urls_are_used(shared_home, empty_store, monkeypatch):
    """A base URL of another kind is refused before anything is written; a file: mirror works."""
    home, cache = empty_store
    for base_url in ["notaurl", "http:notaurl", "ftp://mirror.example/vidclass", "/srv/mirror"]:
        with pytest.raises(BadInputError, match="is not an http://, https:// or file:// address"):
            fetching.fetch(["movinet"], base_url=base_url)
        monkeypatch.setenv(fetching.BASE_URL_VARIABLE, base_url)
        with pytest.raises(BadInputError, match="is not an http://, https:// or file:// address"):
            fetching.fetch(["movinet"])
        monkeypatch.delenv(fetching.BASE_URL_VARIABLE)
    assert list(home.iterdir()) == [] and not cache.exists()
    for relative in MOVINET_FILES:
        require_asset(shared_home, relative)
    results = fetching.fetch(["movinet"], base_url=shared_home.as_uri())
    assert [result.status for result in results] == ["downloaded", "downloaded"]
    assert all_files(home) == sorted(home / relative for relative in MOVINET_FILES)
