"""Eight sessions of the Classify page share one cached model but each keeps its own answer,
equal to its clip classified on its own.

The sessions run one after another here: Streamlit's AppTest keeps its runtime, config and page
registry in process-wide state, so AppTests in threads interfere with each other (a run that
ends resets the runtime under the others). Sessions at the same moment are tested where that
is real: ``tests/e2e/test_concurrency.py`` (eight browser sessions on one server) and
``tests/test_movinet.py`` (eight threads on one classifier give exactly the serial results).
"""

from __future__ import annotations

import pytest

from conftest import open_page, require_asset
from app_pages import common
from vidclass import movinet
from vidclass.video import Clip

SESSIONS = 8


def _clips(shared_home) -> list[Clip]:
    paths = sorted((shared_home / "data/clips").glob("*.mp4"))
    paths += sorted((shared_home / "data/ucf101/train/Archery").glob("*.mp4"))[:1]
    paths += sorted((shared_home / "data/ucf101/train/Fencing").glob("*.mp4"))[:1]
    if len(paths) < SESSIONS:
        pytest.skip("needs 8 clips in VIDCLASS_HOME")
    return [Clip.from_path(path) for path in paths[:SESSIONS]]


def _classify_in_a_session(clip: Clip):
    at = open_page("app_pages/classify.py", session={common.CLIP_KEY: clip}, timeout=180)
    at.button(key="classify").click().run(timeout=180)
    if at.exception or at.error:
        raise AssertionError(f"{clip.name}: {[e.value for e in at.exception]} {[e.value for e in at.error]}")
    (prediction,) = at.session_state["predictions"].values()
    return [(item.label, round(item.score, 5)) for item in prediction.labels]


def test_eight_sessions_share_the_model_and_keep_their_own_answers(shared_home, monkeypatch):
    require_asset(shared_home, movinet.MODEL_PATH)
    clips = _clips(shared_home)
    classifier = movinet.load_classifier()
    serial = [
        [(item.label, round(item.score, 5)) for item in classifier.classify(clip.path, top_k=10).labels] for clip in clips
    ]
    loads = []
    original = movinet.load_classifier
    monkeypatch.setattr(movinet, "load_classifier", lambda *args, **kwargs: loads.append(1) or original(*args, **kwargs))
    sessions = [_classify_in_a_session(clip) for clip in clips]
    assert sessions == serial
    assert len(set(map(str, serial))) > 1  # different clips, different answers: nothing leaked between sessions
    assert len(loads) <= 1  # st.cache_resource: at most one load for all eight sessions
