"""Security settings and the handling of names that come from users."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from vidclass.video import temporary_clip_file

ROOT = Path(__file__).resolve().parents[1]


def test_server_limits_uploads_and_keeps_xsrf_protection():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert 1 <= config["server"]["maxUploadSize"] <= 500
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks reach a viewer


@pytest.mark.parametrize("name", ["../../escape.mp4", "/etc/passwd.mp4", "..\\..\\win.mp4", "a/../../b.avi"])
def test_upload_names_never_become_paths_outside_the_temp_folder(name, tmp_path):
    with temporary_clip_file(b"data", name) as path:
        folder = path.parent
        assert folder.name.startswith("vidclass-")
        assert path.resolve().parent == folder.resolve()
        assert path.name not in (".", "..") and "/" not in path.name and "\\" not in path.name
    assert not folder.exists()


def test_pages_never_allow_unsafe_html():
    pages = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py")]
    assert len(pages) > 5
    for page in pages:
        assert "unsafe_allow_html=True" not in page.read_text(), f"{page.name} renders raw HTML"
