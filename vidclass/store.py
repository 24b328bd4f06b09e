"""The asset store: where vidclass finds models and data, and where it writes.

Two folders:

* ``VIDCLASS_HOME`` (default ``~/.local/share/vidclass``) holds ``models/<name>/`` and
  ``data/<dataset>/`` in exactly the layout of the project's ``../shared`` folder, so
  ``VIDCLASS_HOME=../shared`` works unchanged. It may be read-only: vidclass never
  writes into it unless it is writable and a fetch was asked for.
* ``VIDCLASS_CACHE`` (default ``~/.cache/vidclass``) is always writable: downloads when
  the home is read-only, feature caches, indexes and heads trained in the app. Every
  loader searches it after the home.

The registry of fetchable files (names, official addresses, sizes, sha256) is the
project's own ``asset_registry.tsv`` beside this module.
"""

from __future__ import annotations

import csv
import hashlib
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vidclass.errors import AssetMissingError, BadInputError

REGISTRY_PATH = Path(__file__).with_name("asset_registry.tsv")


@dataclass(frozen=True)
class AssetFile:
    """One fetchable file: which asset it belongs to, where it goes, how to check it."""

    asset: str
    path: str  # relative to the store root, e.g. "models/movinet_a0_stream_int8/x.tflite"
    size: int
    sha256: str
    strict: bool  # True: a checksum mismatch is an error; False: warn and keep
    url: str


def home() -> Path:
    """The asset store root: ``$VIDCLASS_HOME`` or ``~/.local/share/vidclass``."""
    value = os.environ.get("VIDCLASS_HOME")
    if value:
        return Path(value).expanduser().resolve()
    return Path.home() / ".local" / "share" / "vidclass"


def cache_root() -> Path:
    """The writable cache root: ``$VIDCLASS_CACHE`` or ``~/.cache/vidclass`` (not created)."""
    value = os.environ.get("VIDCLASS_CACHE")
    if value:
        return Path(value).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "vidclass"


def cache_dir(*parts: str) -> Path:
    """A folder inside the writable cache (created), e.g. ``cache_dir("features")``."""
    folder = cache_root().joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def search_roots() -> list[Path]:
    """The folders searched for an asset, in order: the home, then the cache."""
    roots = [home()]
    cache = cache_root()
    if cache not in roots:
        roots.append(cache)
    return roots


def is_writable(folder: Path) -> bool:
    """True when files can be created in ``folder`` (or in its nearest existing parent)."""
    probe = Path(folder)
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        return False
    # root passes os.access on any folder: honour the folder's own write bits too, so a
    # folder made read-only on purpose (chmod a-w, like ../shared) is never written to.
    return bool(probe.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """``write(temporary)`` into a temporary file beside ``path`` (same suffix, so numpy keeps
    the name), then rename it onto ``path`` in one step: readers see the old file or the whole
    new one, never half of it. The temporary file is removed whatever happens; ``OSError``
    (and anything ``write`` raises) reaches the caller."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def download_root() -> Path:
    """Where ``fetch`` writes: the home when it is writable, else the cache."""
    root = home()
    return root if is_writable(root) else cache_root()


def registry() -> list[AssetFile]:
    """Every fetchable file, read from ``asset_registry.tsv``."""
    with open(REGISTRY_PATH, newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [
        AssetFile(
            asset=row["asset"],
            path=row["path"],
            size=int(row["bytes"]),
            sha256=row["sha256"],
            strict=row["checksum"] == "strict",
            url=row["url"],
        )
        for row in csv.DictReader(lines, delimiter="\t")
    ]


def asset_names() -> list[str]:
    """The asset names ``vidclass fetch`` knows, in registry order."""
    names: list[str] = []
    for item in registry():
        if item.asset not in names:
            names.append(item.asset)
    return names


def asset_files(name: str) -> list[AssetFile]:
    """The files of one asset; ``BadInputError`` for an unknown name."""
    files = [item for item in registry() if item.asset == name]
    if not files:
        raise BadInputError(f"Unknown asset '{name}': choose one of {', '.join(asset_names())}.")
    return files


def asset_for_path(relative_path: str) -> str | None:
    """The registry asset a store path belongs to (by its folder), or None."""
    relative = str(relative_path).strip("/")
    for item in registry():
        if item.path == relative or relative.startswith(str(Path(item.path).parent) + "/"):
            return item.asset
    return None


def fetch_command(asset_name: str | None) -> str:
    """The exact command that gets an asset onto this machine."""
    if asset_name is None:
        return "set VIDCLASS_HOME to a folder that has it"
    return f"vidclass fetch {asset_name}"


def find(relative_path: str, asset_name: str | None = None) -> Path:
    """The path of a store file or folder, searched in the home then the cache.

    ``relative_path`` is in store layout (``models/...`` or ``data/...``). Raises
    ``AssetMissingError`` naming the asset, every folder searched and the command that
    gets it.
    """
    for root in search_roots():
        candidate = root / relative_path
        if candidate.exists():
            return candidate
    name = asset_name or asset_for_path(relative_path) or Path(relative_path).parts[1]
    command = fetch_command(asset_name or asset_for_path(relative_path))
    raise AssetMissingError(name, relative_path, search_roots(), command)


def find_all(relative_folder: str, pattern: str) -> list[Path]:
    """Files matching ``pattern`` in a store folder, across home and cache (home wins)."""
    found: dict[str, Path] = {}
    for root in search_roots():
        folder = root / relative_folder
        if folder.is_dir():
            for path in sorted(folder.glob(pattern)):
                found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 (hex) of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
