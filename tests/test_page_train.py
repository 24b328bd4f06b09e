"""AppTest for the Train your own page: a tiny zip trains, saves a head, and bad parts are listed."""

from __future__ import annotations

import json

import io
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import open_page, require_asset

CLASSES = ("Archery", "Fencing", "TennisSwing")


def _small_clips(shared_home, label, count=3):
    """The ``count`` smallest clips of a class, from different groups where possible."""
    folder = require_asset(shared_home, f"data/ucf101/train/{label}")
    chosen, groups = [], set()
    for path in sorted(folder.glob("*.mp4"), key=lambda p: p.stat().st_size):
        group = path.stem.split("_c")[0]
        if group not in groups:
            chosen.append(path)
            groups.add(group)
        if len(chosen) == count:
            break
    return chosen


@pytest.fixture(scope="module")
def tiny_zip(shared_home) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label in CLASSES:
            for path in _small_clips(shared_home, label):
                archive.write(path, f"{label}/{path.name}")
        archive.writestr("Fencing/broken.mp4", b"this is not a video")
        archive.writestr("../escape.mp4", b"outside")
        archive.writestr("loose.mp4", b"no class")
    return buffer.getvalue()


def test_train_page_trains_and_saves_a_head_from_a_zip(tiny_zip, tmp_path, monkeypatch):
    from vidclass.cnn_gru import list_heads

    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))  # a fresh cache: no "page-test" from an earlier run

    at = open_page("app_pages/train.py", timeout=600)
    assert not at.exception
    assert at.title[0].value.startswith("🧪 Train your own")
    at.file_uploader(key="train_zip").upload("tiny.zip", tiny_zip, "application/zip").run()
    at.slider(key="train_frames").set_value(6)
    at.slider(key="train_epochs").set_value(5)
    at.text_input(key="train_name").set_value("page-test").run()
    at.checkbox(key="train_views").check().run()  # the whole frame: 6 spatial views
    at.button(key="train_button").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "page\\-test" in at.success[0].value
    heads = {info.name: info for info in list_heads()}
    assert heads["page-test"].class_names == list(CLASSES)
    assert heads["page-test"].encoder == "mobilenet_v2+movinet_a0"  # the default: the best measured
    assert json.loads((heads["page-test"].path / "config.json").read_text())["views"] == 6
    left_out = " ".join(str(frame.value) for frame in at.dataframe)
    assert "broken.mp4" in left_out and "escape.mp4" in left_out and "loose.mp4" in left_out
    # Nothing was unpacked outside the page's temporary folder, and that folder is gone.
    assert not (Path(tempfile.gettempdir()) / "escape.mp4").exists()
    assert not list(Path(tempfile.gettempdir()).glob("vidclass-train-*"))
    # The new head is usable right away.
    from vidclass.cnn_gru import load_classifier

    assert load_classifier(head="page-test").class_names == list(CLASSES)

    # Training again under the same name is refused with one sentence, nothing crashes.
    at.button(key="train_button").click().run()
    assert not at.exception
    assert "already exists" in at.error[0].value


def test_train_page_says_when_a_zip_is_not_usable():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OnlyClass/a.mp4", b"x")
        archive.writestr("OnlyClass/b.mp4", b"y")
    at = open_page("app_pages/train.py")
    at.file_uploader(key="train_zip").upload("one.zip", buffer.getvalue(), "application/zip").run()
    at.text_input(key="train_name").set_value("never-saved").run()
    at.button(key="train_button").click().run()
    assert not at.exception
    assert "at least two class folders" in at.error[0].value
    assert not at.get("progress")  # no bar left stuck above the error
    from vidclass.cnn_gru import list_heads

    assert "never-saved" not in {info.name for info in list_heads()}


def test_train_page_offers_the_class_folders_of_the_asset_store(shared_home):
    require_asset(shared_home, "data/ucf101/train")
    at = open_page("app_pages/train.py")
    at.radio(key="train_source").set_value("A folder in the asset store").run()
    assert not at.exception
    folder = at.selectbox(key="train_folder")
    assert folder.value == "data/ucf101/train"  # the folder with the most clips comes first
    assert folder.options[0].startswith("data/ucf101/train (") and folder.options[0].endswith(" clips)")
    assert at.selectbox(key="train_encoder").value == "mobilenet_v2+movinet_a0"
    assert "movinet_a0" in at.selectbox(key="train_encoder").options
