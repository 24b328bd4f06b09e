"""AppTest tests for the Compare, Batch and About pages."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import open_page
from app_pages import common
from vidclass.model_cards import CARDS
from vidclass.video import Clip


def _shipped_head_or_skip():
    from vidclass.model_cards import ASSETS

    if not (ASSETS / "cnn_gru_ucf101").is_dir():
        pytest.skip("the shipped CNN + GRU head (assets/cnn_gru_ucf101) is not built yet")


def test_compare_shows_both_models_side_by_side(clips_dir):
    _shipped_head_or_skip()
    clip = Clip.from_path(clips_dir / "carving_ice_rpi.mp4")
    at = open_page("app_pages/compare.py", session={common.CLIP_KEY: clip})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.subheader) == 2
    assert "600" in at.info[0].value and "11" in at.info[0].value  # how the label sets differ
    assert len(at.get("vega_lite_chart")) == 2
    assert len(at.get("image")) == 2  # the frames each model saw
    movinet_labels = at.session_state["predictions"]
    assert any(p.top.label == "carving ice" for p in movinet_labels.values() if p.model == "movinet")


def test_compare_reruns_reuse_results(clips_dir):
    _shipped_head_or_skip()
    clip = Clip.from_path(clips_dir / "jumping_jacks.mp4")
    at = open_page("app_pages/compare.py", session={common.CLIP_KEY: clip})
    first = dict(at.session_state["predictions"])
    at.run()
    second = at.session_state["predictions"]
    assert first.keys() == second.keys()
    assert all(first[key] is second[key] for key in first)  # same objects: nothing recomputed
    at.sidebar.slider[0].set_value(3).run()  # fewer labels shown: still nothing recomputed
    assert not at.exception and dict(at.session_state["predictions"]) == first
    assert len(at.session_state["predictions"]) == 2


def test_compare_uses_the_sure_enough_setting_from_classify(clips_dir):
    _shipped_head_or_skip()
    from app_pages import results

    clip = Clip.from_path(clips_dir / "crossfit_deadlift_64.mp4")  # MoViNet: about 82 % sure
    default = open_page("app_pages/compare.py", session={common.CLIP_KEY: clip})
    assert any("sure" in box.value for box in default.success)
    strict = open_page("app_pages/compare.py", session={common.CLIP_KEY: clip, results.THRESHOLD_KEPT: 95})
    assert not strict.exception and not strict.error
    assert next(s for s in strict.sidebar.slider if s.label.startswith("Sure enough")).value == 95
    assert not strict.success and any("not sure" in box.value for box in strict.warning)


def test_compare_with_one_model_failing_shows_one_error_and_the_other_answer(clips_dir, monkeypatch):
    from vidclass import cnn_gru
    from vidclass.errors import BadInputError

    def missing(**_options):
        raise BadInputError("The CNN + GRU head is missing.")

    common.load_classifier_cached.clear("cnn-gru")
    monkeypatch.setattr(cnn_gru, "load_classifier", missing)
    try:
        clip = Clip.from_path(clips_dir / "carving_ice_rpi.mp4")
        at = open_page("app_pages/compare.py", session={common.CLIP_KEY: clip})
    finally:
        common.load_classifier_cached.clear("cnn-gru")  # later tests load the real head
    assert not at.exception
    assert [error.value for error in at.error] == ["The CNN + GRU head is missing."]
    assert not at.info  # no comparison sentence without both models
    assert len(at.subheader) == 1 and len(at.get("vega_lite_chart")) == 1  # MoViNet still answers


def test_batch_two_uploads_table_and_downloads(clips_dir):
    at = open_page("app_pages/batch.py")
    uploads = [
        ("carving_ice_rpi.mp4", (clips_dir / "carving_ice_rpi.mp4").read_bytes(), "video/mp4"),
        ("broken.mp4", b"\x00" * 100, "video/mp4"),
    ]
    at.file_uploader[0].set_value(uploads).run()
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = at.session_state["batch_results"]["rows"]
    assert [row["clip"] for row in rows] == ["carving_ice_rpi.mp4", "broken.mp4"]
    assert rows[0]["top1"] == "carving ice"
    assert rows[1]["error"] and rows[1]["top1"] is None
    assert len(at.get("download_button")) == 2
    assert "2 classified" not in at.markdown[0].value and "1 could not be read" in at.markdown[0].value
    shown = at.dataframe[0].value
    assert list(shown.columns[:2]) == ["Clip", "Problem"]  # the reason sits next to the clip
    assert shown["Problem"][1] and shown["Best guess"][1] == ""  # no "None"
    from vidclass.batch import rows_to_csv, rows_to_json

    assert next(csv.DictReader(io.StringIO(rows_to_csv(rows).decode())))["top1"] == "carving ice"
    assert json.loads(rows_to_json(rows))[1]["clip"] == "broken.mp4"


def test_about_page_has_a_card_per_model_with_measured_figures():
    at = open_page("app_pages/about.py")
    assert not at.exception and not at.error
    titles = [s.value for s in at.subheader]
    assert titles == [card.title for card in CARDS]
    measured = [card for card in CARDS if card.metrics() is not None]
    assert len(at.get("metric")) >= len(measured)
    tiles = [metric.label for metric in at.get("metric")]
    assert "epochs" not in tiles and "train clips" not in tiles  # training settings are not scores
    assert any("ApplyEyeMakeup" in caption.value for caption in at.caption)  # the 11 classes, listed


def test_cnn_gru_on_an_out_of_domain_clip_warns_it_is_probably_none_of_its_classes(clips_dir):
    _shipped_head_or_skip()
    clip = Clip.from_path(clips_dir / "carving_ice_rpi.mp4")  # not one of the 11 UCF101 classes
    at = open_page("app_pages/classify.py", session={common.CLIP_KEY: clip}, query={"model": "cnn-gru"})
    at.button(key="classify").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("probably none of the 11 classes" in w.value for w in at.warning)
    assert not at.success  # one headline: no green "… sure" above the warning
    assert any("only knows 11 classes" in c.value for c in at.caption)
