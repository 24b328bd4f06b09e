"""Downloading assets into the store: ``vidclass fetch [NAME…]``.

Each file of the registry (``vidclass.store.registry()``) is streamed from its official
address (or ``BASE_URL/<store path>`` with a base-URL override, e.g. a local mirror or a
test server) into ``store.download_root()`` — the home when it is writable, else the
writable cache — never into a read-only home.

Every download goes to a temporary name in the destination folder, is checked (size and
sha256) and only then renamed into place atomically (``store.write_atomically``). A cut
connection or a strict checksum mismatch leaves no file and no new empty folder behind;
a mismatch on a ``warn`` asset (YouTube-8M, whose service could not be checked
byte-for-byte) keeps the file and warns.
Files already present (home or cache) with the right size and sha256 are skipped.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from vidclass import store
from vidclass.store import sha256_of
from vidclass.errors import BadInputError, VidclassError

BASE_URL_VARIABLE = "VIDCLASS_FETCH_BASE_URL"
BASE_URL_SCHEMES = ("http", "https", "file")
CHUNK_BYTES = 256 * 1024
TIMEOUT_SECONDS = 60

# progress(fraction of all bytes in [0, 1], message) — the same shape classifiers use.
Progress = Callable[[float, str], None]
# warn(message) — called for a kept file whose checksum did not match.
Warn = Callable[[str], None]


class DownloadError(VidclassError):
    """A download failed (network, server, or a strict checksum mismatch); nothing was kept."""

    exit_code = 1


@dataclass(frozen=True)
class FetchedFile:
    """The outcome for one registry file.

    status: ``"downloaded"`` (verified), ``"present"`` (already there, verified, skipped)
    or ``"unverified"`` (a ``warn`` asset whose checksum did not match: kept).
    """

    asset: str
    path: Path
    status: str
    bytes: int


def is_intact(path: Path, item: store.AssetFile) -> bool:
    """True when ``path`` exists with the registry's size and sha256."""
    return path.is_file() and path.stat().st_size == item.size and sha256_of(path) == item.sha256


def chosen_base_url(base_url: str | None = None) -> str:
    """The mirror to download from: ``base_url``, else ``$VIDCLASS_FETCH_BASE_URL``, else ""
    (the registry addresses). ``BadInputError`` unless it is an http(s) address with a
    host or a file: address."""
    base = base_url or os.environ.get(BASE_URL_VARIABLE) or ""
    if not base:
        return ""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme.lower() not in BASE_URL_SCHEMES or (parts.scheme.lower() != "file" and not parts.netloc):
        shown = base if len(base) <= 80 else base[:77] + "..."
        raise BadInputError(
            f"The download base URL {shown!r} is not an http://, https:// or file:// address (e.g. https://mirror.example/vidclass)."
        )
    return base


def source_url(item: store.AssetFile, base_url: str | None = None) -> str:
    """Where to download a file from: ``base_url/<store path>`` or the registry address."""
    base = chosen_base_url(base_url)
    if base:
        return base.rstrip("/") + "/" + item.path
    return item.url


def files_for(names: Iterable[str] | None) -> list[store.AssetFile]:
    """Registry files of the named assets (all assets when ``names`` is empty or None).

    Raises ``BadInputError`` for an unknown name.
    """
    chosen = list(names or []) or store.asset_names()
    files: list[store.AssetFile] = []
    for name in dict.fromkeys(chosen):
        files.extend(store.asset_files(name))
    return files


def fetch(
    names: Iterable[str] | None = None,
    progress: Progress | None = None,
    base_url: str | None = None,
    warn: Warn | None = None,
) -> list[FetchedFile]:
    """Download the files of ``names`` (None or empty: every asset); one result per file.

    ``progress(fraction, message)`` is called as bytes arrive (fraction over all files
    to download). ``warn(message)`` (default: ``warnings.warn``) hears about kept files
    whose checksum did not match. Raises ``BadInputError`` for an unknown asset name or a
    base URL that is not http(s)/file (before anything is written) and ``DownloadError``
    when a download fails or a strict checksum does not match (after removing the
    partial file).
    """
    files = files_for(names)
    chosen_base_url(base_url)  # refuses a base URL vidclass cannot download from, before any work
    warn = warn or _default_warn
    results: list[FetchedFile] = []
    pending: list[store.AssetFile] = []
    for item in files:
        present = _present_copy(item)
        if present is not None:
            results.append(FetchedFile(item.asset, present, "present", item.size))
        else:
            pending.append(item)
    total = sum(item.size for item in pending) or 1
    done = 0
    root = store.download_root()
    for item in pending:
        def report(received: int, item=item, before=done) -> None:
            if progress is not None:
                megabytes = f"{received / 1e6:.1f}/{item.size / 1e6:.1f} MB"
                progress(min(1.0, (before + received) / total), f"{item.asset}: {Path(item.path).name} {megabytes}")

        result = _download(item, root / item.path, source_url(item, base_url), report, warn)
        results.append(result)
        done += item.size
    if progress is not None and pending:
        progress(1.0, "done")
    return results  # files already present first, then the downloads, each in registry order


def _present_copy(item: store.AssetFile) -> Path | None:
    """An intact copy of ``item`` in the home or the cache, or None."""
    for root in store.search_roots():
        candidate = root / item.path
        if is_intact(candidate, item):
            return candidate
    return None


def _download(item: store.AssetFile, destination: Path, url: str, report, warn: Warn) -> FetchedFile:
    """Stream ``url`` into ``destination`` through ``store.write_atomically`` (a temporary file
    beside it, renamed only after the size and sha256 check). Folders made for a download that
    fails are removed again, so a failed fetch leaves the store as it found it."""
    made = _missing_folders(destination.parent)
    destination.parent.mkdir(parents=True, exist_ok=True)
    outcome: list[FetchedFile] = []

    def write_checked(temporary: Path) -> None:
        digest, received = _stream(url, temporary, item, report)
        got = digest.hexdigest()
        if got == item.sha256 and received == item.size:
            outcome.append(FetchedFile(item.asset, destination, "downloaded", received))
            return
        detail = (
            f"{item.path} from {url} does not match the registry: expected sha256 {item.sha256} "
            f"({item.size} bytes), got {got} ({received} bytes)"
        )
        if item.strict:
            raise DownloadError(f"{detail}; the file was not kept.")
        warn(f"{detail}; kept it anyway (this source cannot be pinned to exact bytes).")
        outcome.append(FetchedFile(item.asset, destination, "unverified", received))

    try:
        store.write_atomically(destination, write_checked)
    except BaseException:
        _remove_if_empty(made)
        raise
    return outcome[0]


def _missing_folders(folder: Path) -> list[Path]:
    """The folders of ``folder``'s path that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove each folder (deepest first) that is still empty; keep any that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _stream(url: str, path: Path, item: store.AssetFile, report):
    """Write the body of ``url`` into the file ``path``; (sha256, byte count)."""
    digest = hashlib.sha256()
    received = 0
    try:
        with open(path, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            expected = response.headers.get("Content-Length")
            while True:
                block = response.read(CHUNK_BYTES)
                if not block:
                    break
                out.write(block)
                digest.update(block)
                received += len(block)
                report(received)
            if expected is not None and expected.isdigit() and received < int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - received)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"Downloading {item.path} from {url} failed: the server answered {error.code} {error.reason}.") from error
    except urllib.error.URLError as error:
        raise DownloadError(f"Downloading {item.path} from {url} failed: {error.reason}.") from error
    except http.client.IncompleteRead as error:
        raise DownloadError(
            f"Downloading {item.path} from {url} failed: the connection closed after {received} bytes "
            f"({error.expected} missing); nothing was kept, run the fetch again."
        ) from error
    except (http.client.HTTPException, socket.timeout, ConnectionError) as error:
        raise DownloadError(
            f"Downloading {item.path} from {url} failed after {received} bytes ({type(error).__name__}); "
            "nothing was kept, run the fetch again."
        ) from error
    return digest, received


def _default_warn(message: str) -> None:
    import warnings

    warnings.warn(message, stacklevel=3)
