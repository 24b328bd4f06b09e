"""The YouTube-8M page through Streamlit's AppTest, on the real shards of ../shared."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.conftest import open_page, require_asset

PAGE = "app_pages/youtube8m.py"


@pytest.fixture(scope="module")
def page_env(shared_home):
    require_asset(shared_home, "data/yt8m/vocabulary.csv")
    require_asset(shared_home, "data/yt8m/video")
    # the lookup service is a closed local port: the page must say "offline" at once
    os.environ["VIDCLASS_YT8M_LOOKUP"] = "http://127.0.0.1:9/2/j/i"
    yield
    os.environ.pop("VIDCLASS_YT8M_LOOKUP", None)


def _run(query: dict | None = None):
    """The page opened through the app's router (as in the browser), link values pre-filled."""
    return open_page(PAGE, query=query, timeout=240)


def _shown_ids(app) -> list[str]:
    return [str(value) for value in app.dataframe[0].value["Video id"]]


def test_default_view_shows_videos_without_errors(page_env):
    app = _run()
    assert not app.exception
    assert not app.error, [element.value for element in app.error]
    assert len(_shown_ids(app)) > 5000
    assert any("Matching videos" in metric.label for metric in app.metric)
    assert any(info.value.startswith("Offline") or "lookup" in info.value for info in app.info)


def test_cooking_filter_shows_only_cooking_videos(page_env):
    from vidclass import yt8m

    app = _run()
    app.multiselect(key="yt8m_entities").set_value([22]).run()
    assert not app.exception and not app.error
    ids = _shown_ids(app)
    index = yt8m.load_index()
    expected = {str(index.ids[row]) for row in range(len(index)) if 22 in index.labels(row)}
    assert ids and set(ids) == expected
    assert all("Cooking" in labels for labels in app.dataframe[0].value["Labels"])
    assert app.query_params["entities"] in ("22", ["22"])


def test_shared_link_restores_filters_and_video(page_env):
    from vidclass import yt8m

    index = yt8m.load_index()
    cooking_rows = yt8m.filter_videos(index, entities=[22])
    video_id = str(index.ids[cooking_rows[3]])
    app = _run({"vertical": "Food & Drink", "entities": "22", "match": "all", "video": video_id})
    assert not app.exception and not app.error
    assert app.selectbox(key="yt8m_vertical").value == "Food & Drink"
    assert app.selectbox(key="yt8m_video").value == video_id
    assert set(_shown_ids(app)) == {str(index.ids[row]) for row in cooking_rows}
    assert any(video_id in text.value for text in app.text)


def test_odd_link_values_and_no_matches_are_handled(page_env):
    app = _run({"vertical": "\"<b>&'%", "entities": "22,3861,<script>", "match": "all", "min_labels": "x"})
    assert not app.exception
    assert app.selectbox(key="yt8m_vertical").value == "All topics"
    assert app.multiselect(key="yt8m_entities").value == [22, 3861]
    assert any("No video matches" in info.value for info in app.info)
    app.text_input(key="yt8m_search").input("\"<b>&'%").run()
    assert not app.exception
    assert any("No label matches" in info.value for info in app.info)


def test_vocabulary_search_finds_cooking(page_env):
    app = _run()
    app.text_input(key="yt8m_search").input("cooking").run()
    assert not app.exception
    tables = [frame.value for frame in app.dataframe if "Knowledge Graph id" in frame.value.columns]
    assert tables and int(np.asarray(tables[0]["Number"])[0]) == 22


@pytest.fixture
def split_model(tmp_path, monkeypatch):
    """The shipped model's files, but saying it trained on validate0000–0024 only (a split model),
    and without held-out guesses (as a model trained before they existed)."""
    import json

    import streamlit as st

    from vidclass.yt8m_model import SHIPPED_MODEL_FOLDER

    with np.load(SHIPPED_MODEL_FOLDER / "model.npz") as shipped:
        np.savez(tmp_path / "model.npz", **{name: shipped[name] for name in shipped.files if not name.startswith("held_out")})
    config = json.loads((SHIPPED_MODEL_FOLDER / "config.json").read_text(encoding="utf-8"))
    config["train_shards"] = [f"validate{number:04d}.tfrecord" for number in range(25)]
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.setenv("VIDCLASS_YT8M_MODEL", str(tmp_path))
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()


def _captions_for_first_video_of(shard: str):
    from vidclass import yt8m

    index = yt8m.load_index()
    app = _run({"video": str(index.ids[index.shard_rows(shard)[0]])})
    assert not app.exception and not app.error
    return [caption.value for caption in app.caption if shard in caption.value]


def test_video_panel_of_the_shipped_model_shows_guesses_from_a_model_without_the_shard(page_env):
    # the shipped model is retrained on all 30 shards: the panel shows its training run's
    # held-out guesses for the video, not the full model's memory of it
    from vidclass import yt8m
    from vidclass.yt8m_model import load_model

    index = yt8m.load_index()
    row = int(index.shard_rows("validate0027.tfrecord")[0])
    held_out, _ = load_model().held_out_guesses(str(index.ids[row]))
    hits = sum(1 for entity, _ in held_out if entity in set(index.labels(row).tolist()))
    captions = _captions_for_first_video_of("validate0027.tfrecord")
    assert any("trained without its shard" in text and "a fair test" in text for text in captions)
    assert any(text.startswith(f"{hits} of the model's top 10 guesses") for text in captions)


@pytest.mark.parametrize("shard, expected", [("validate0027.tfrecord", "never saw"), ("validate0003.tfrecord", "validate0025")])
def test_video_panel_of_a_split_model_points_to_unseen_shards(page_env, split_model, shard, expected):
    captions = _captions_for_first_video_of(shard)
    assert any(expected in text for text in captions)


def test_video_panel_knows_a_training_video_by_its_id_when_its_shard_is_renamed(page_env):
    import dataclasses

    from app_pages.youtube8m import fair_guesses
    from vidclass import yt8m
    from vidclass.yt8m_model import load_model

    index = yt8m.load_index()
    renamed = dataclasses.replace(index, shard_names=np.array([f"copy{number:04d}.tfrecord" for number in range(len(index.shard_names))]))
    model = load_model()
    row = int(index.shard_rows("validate0027.tfrecord")[0])
    guesses, note = fair_guesses(model, renamed, row)
    assert "trained without its shard (copy0027.tfrecord" in note and "never saw" not in note
    assert guesses == model.held_out_guesses(str(index.ids[row]))[0]
