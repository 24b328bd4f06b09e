"""Shared fixtures: the asset store, a writable cache per test session, synthetic clips."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Default to ../shared beside the checkout when VIDCLASS_HOME is not set.
os.environ.setdefault("VIDCLASS_HOME", str((ROOT.parent / "shared").resolve()))


@pytest.fixture(scope="session", autouse=True)
def _writable_cache(tmp_path_factory):
    """Every test session writes into its own cache folder, never into the asset store."""
    if "VIDCLASS_CACHE" not in os.environ or os.environ.get("CI"):
        os.environ["VIDCLASS_CACHE"] = str(tmp_path_factory.mktemp("vidclass-cache"))
    yield


@pytest.fixture(scope="session")
def shared_home() -> Path:
    """The asset store (``VIDCLASS_HOME``); skips the test when it is absent."""
    home = Path(os.environ["VIDCLASS_HOME"])
    if not home.is_dir():
        pytest.skip(f"VIDCLASS_HOME={home} does not exist: real-asset tests need ../shared")
    return home


def require_asset(home: Path, relative: str) -> Path:
    """The path of a store file, or skip the test with the reason."""
    path = home / relative
    if not path.exists():
        pytest.skip(f"{relative} is not in VIDCLASS_HOME={home}")
    return path


@pytest.fixture
def isolated_store(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """An empty writable asset store (``VIDCLASS_HOME``) and an empty cache, for this test only."""
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    monkeypatch.setenv("VIDCLASS_HOME", str(home))
    monkeypatch.setenv("VIDCLASS_CACHE", str(cache))
    return home, cache


@pytest.fixture(scope="session")
def clips_dir(shared_home) -> Path:
    """``data/clips`` of the asset store."""
    return require_asset(shared_home, "data/clips")


@pytest.fixture(scope="session")
def synthetic_clip(tmp_path_factory):
    """Factory: ``synthetic_clip(name, num_frames, **write_clip_options) -> Path`` (cached per session)."""
    from vidclass.synthetic import write_clip

    folder = tmp_path_factory.mktemp("synthetic")
    made: dict = {}

    def make(name: str, num_frames: int, **options) -> Path:
        key = (name, num_frames, tuple(sorted((k, str(v)) for k, v in options.items())))
        if key not in made:  # each clip in its own folder: same-named clips never overwrite each other
            own_folder = folder / str(len(made))
            own_folder.mkdir()
            made[key] = write_clip(own_folder / name, num_frames, **options)
        return made[key]

    return make


def open_page(page: str, session: dict | None = None, query: dict | None = None, timeout: float = 90):
    """Run the app (``app.py``, the router) on ``page`` (e.g. ``"app_pages/upload.py"``) in AppTest.

    ``session`` pre-fills ``st.session_state``; ``query`` pre-fills the link's query params.
    Pages are opened through the router so page links and navigation work as in the app.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != "app_pages/home.py":  # Home is the default page; before a first run AppTest finds pages
        at.switch_page(page)  # by file name, and "home" is the hidden /home alias that redirects to it
    return at.run()


@pytest.fixture(scope="session")
def mobilenet_v2(shared_home):
    """The MobileNetV2 frame encoder from the asset store (loaded once per session)."""
    from vidclass.encoders import MOBILENET_V2_PATH, load_encoder

    require_asset(shared_home, MOBILENET_V2_PATH)
    return load_encoder("mobilenet_v2")
