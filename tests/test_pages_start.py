"""AppTest tests for the Start pages: Home, Upload, Frames (and the router)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page

from app_pages import common
from vidclass.video import Clip

TIMEOUT = 60


def _leftover_temp_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("vidclass-*")}


def test_router_opens_home_with_gallery(clips_dir):
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value.startswith("🎬 vidclass")
    gallery_buttons = [b for b in at.button if b.label == "Use this clip"]
    assert len(gallery_buttons) >= len(list(clips_dir.glob("*.mp4")))


def test_home_pick_example_sets_current_clip_and_link(clips_dir):
    at = open_page("app_pages/home.py")
    at.button(key="gallery-data/clips/jumping_jacks.mp4").click().run()
    assert not at.exception
    clip = at.session_state[common.CLIP_KEY]
    assert clip.name == "jumping_jacks.mp4"
    assert at.query_params["clip"] == ["data/clips/jumping_jacks.mp4"] or at.query_params["clip"] == "data/clips/jumping_jacks.mp4"
    assert common.plain("jumping_jacks.mp4") in at.success[0].value


def test_upload_real_avi_shows_plain_metadata(shared_home):
    avi = next((shared_home / "data/ucf101/avi/Archery").glob("*.avi"))
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].upload(avi.name, avi.read_bytes(), "video/x-msvideo").run()
    assert not at.exception
    assert not at.error
    assert at.session_state[common.CLIP_KEY].name == avi.name
    text = " ".join(m.value for m in at.markdown)
    assert "25 fps" in text and "320×240" in text


@pytest.mark.parametrize(
    "name, payload",
    [("empty.mp4", b""), ("noise.mp4", bytes(range(256)) * 64), ("notes.txt", b"hello")],
    ids=["zero-byte", "random-bytes", "unknown-extension"],
)
def test_upload_bad_file_says_one_sentence_and_next_upload_works(name, payload, clips_dir):
    before = _leftover_temp_files()
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].upload(name, payload).run()
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert common.CLIP_KEY not in at.session_state
    good = clips_dir / "jumping_jacks.mp4"
    at.file_uploader[0].upload(good.name, good.read_bytes(), "video/mp4").run()
    assert not at.error
    assert at.session_state[common.CLIP_KEY].name == good.name
    assert _leftover_temp_files() <= before


def test_frames_page_without_clip_points_to_gallery():
    at = open_page("app_pages/frames.py")
    assert not at.exception
    assert "No clip yet" in at.info[0].value


def test_frames_page_shows_gif_grid_and_download(clips_dir):
    clip = Clip.from_path(clips_dir / "jumping_jacks.mp4")
    at = open_page("app_pages/frames.py", session={common.CLIP_KEY: clip}, query={"n": "8"})
    assert not at.exception and not at.error
    assert at.sidebar.slider[0].value == 8
    assert len(at.get("image")) == 1 + 8  # the GIF and one image per frame
    download = at.get("download_button")
    assert len(download) == 1
    assert at.query_params["n"] in ("8", ["8"])


def test_frames_page_shows_what_each_model_reads_by_default(clips_dir):
    from vidclass import movinet
    from vidclass.sampling import sample_frames

    path = clips_dir / "jumping_jacks.mp4"
    at = open_page("app_pages/frames.py", session={common.CLIP_KEY: Clip.from_path(path)})
    assert not at.exception and not at.error
    assert at.sidebar.radio[0].value == "cnn-gru" and not at.sidebar.slider  # no controls for a model's view
    assert len(at.get("image")) == 1 + 20  # the GIF and the shipped head's 20 frames
    at.sidebar.radio[0].set_value("movinet").run()
    expected = sample_frames(path, movinet.DEFAULT_SAMPLING).num_real
    assert not at.exception and len(at.get("image")) == 1 + min(expected, 64)
    assert at.query_params["view"] in ("movinet", ["movinet"])


def test_frames_page_short_clip_warns_about_padding(synthetic_clip):
    path = synthetic_clip("five.mp4", 5)
    at = open_page("app_pages/frames.py", session={common.CLIP_KEY: Clip.from_path(path)})
    assert not at.exception and not at.error
    assert "only 5 frames" in at.warning[0].value


def test_upload_name_with_markdown_is_shown_as_text(clips_dir):
    payload = (clips_dir / "jumping_jacks.mp4").read_bytes()
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].upload("[click](javascript:alert(1)) :red[x].mp4", payload, "video/mp4").run()
    assert not at.exception and not at.error
    shown = at.subheader[0].value
    assert "\\[click\\]\\(javascript" in shown  # escaped: rendered as the literal name, not a link


def test_upload_truncated_mp4_says_so_and_next_upload_works(clips_dir):
    whole = (clips_dir / "jumping_jacks.mp4").read_bytes()
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].upload("half.mp4", whole[: len(whole) // 2], "video/mp4").run()
    assert not at.exception
    assert len(at.error) == 1 and "half.mp4" in at.error[0].value
    at.file_uploader[0].upload("whole.mp4", whole, "video/mp4").run()
    assert not at.error and at.session_state[common.CLIP_KEY].name == "whole.mp4"


def test_upload_refused_after_a_good_one_says_the_previous_clip_stays(clips_dir):
    good = clips_dir / "jumping_jacks.mp4"
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].upload(good.name, good.read_bytes(), "video/mp4").run()
    at.file_uploader[0].upload("notes.mp4", b"hello").run()
    assert not at.exception and len(at.error) == 1
    assert at.session_state[common.CLIP_KEY].name == good.name  # nothing lost
    assert any("still your previous one" in caption.value for caption in at.caption)


def test_sidebar_names_an_uploaded_clip_in_the_same_run(clips_dir):
    good = clips_dir / "jumping_jacks.mp4"
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/upload.py").run()
    assert any("No clip chosen yet" in caption.value for caption in at.sidebar.caption)
    at.file_uploader[0].upload(good.name, good.read_bytes(), "video/mp4").run()
    assert not at.exception
    assert [text.value for text in at.sidebar.text] == [good.name]


@pytest.mark.parametrize(
    "name, frames, options, shown",
    [
        ("one.mp4", 1, {}, " 1 frame, "),
        ("uhd.mp4", 3, {"height": 2160, "width": 3840}, "3840×2160"),
        ("portrait.mp4", 10, {"rotation": 90}, "240×320"),
        ("gray.mkv", 10, {"codec": "ffv1", "gray": True}, "10 frames"),
        ("many.gif", 1000, {"codec": "gif", "height": 48, "width": 64, "fps": 25}, "1000 frames"),
    ],
)
def test_upload_odd_but_valid_clips_play_and_describe(synthetic_clip, name, frames, options, shown):
    path = synthetic_clip(name, frames, **options)
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].upload(name, path.read_bytes()).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state[common.CLIP_KEY].name == name
    described = " ".join(m.value for m in at.markdown)
    if shown:
        assert shown in described
    assert len(at.get("video")) == 1


def test_small_clips_get_a_small_player_and_large_ones_the_page_width():
    from types import SimpleNamespace

    from app_pages.upload import player_width

    assert player_width(SimpleNamespace(width=64)) == 320  # not blown up to the page width
    assert player_width(SimpleNamespace(width=400)) == 400
    assert player_width(SimpleNamespace(width=3840)) == "stretch"
