"""`vidclass classify`: JSON lines, table, bad clips among good ones, options, missing model."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import require_asset
from vidclass import classifiers, cli, movinet
from vidclass.predictions import LabelScore


@pytest.fixture()
def bad_inputs(tmp_path, clips_dir):
    """The foundation issue's unreadable inputs: {kind: path}."""
    real = (clips_dir / "carving_ice_rpi.mp4").read_bytes()
    made = {
        "zero": tmp_path / "zero.mp4",
        "noise": tmp_path / "noise.mp4",
        "truncated": tmp_path / "truncated.mp4",
        "unknown": tmp_path / "notes.xyz",
    }
    made["zero"].write_bytes(b"")
    made["noise"].write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    made["truncated"].write_bytes(real[: len(real) // 2])
    made["unknown"].write_bytes(real)
    made["missing"] = tmp_path / "missing.mp4"
    return made


class FakeClassifier:
    """Stands in for a model: answers 'waving' for every clip, remembers how it was built."""

    name = "fake"
    title = "Fake"
    class_names = ["waving", "sitting"]
    built: list[dict] = []

    def __init__(self, **options):
        FakeClassifier.built.append(options)

    def classify(self, path, top_k=5, progress=None):
        from vidclass.predictions import Prediction
        from vidclass.sampling import sample_frames, SamplingConfig

        frames = sample_frames(path, SamplingConfig(num_frames=2, size=8))
        labels = [LabelScore("waving", 0.75), LabelScore("sitting", 0.25)][:top_k]
        return Prediction("fake", labels, np.array([0.75, 0.25]), self.class_names, frames, 0.01, 0.02)


@pytest.fixture()
def fake_models(monkeypatch):
    """Every model name builds a ``FakeClassifier`` (records its options)."""
    FakeClassifier.built = []
    monkeypatch.setattr(classifiers, "load_classifier", lambda name, **options: FakeClassifier(model=name, **options))
    return FakeClassifier.built


def test_json_lines_for_good_and_bad_clips_with_the_real_model(bad_inputs, clips_dir, capsys, shared_home):
    require_asset(shared_home, movinet.MODEL_PATH)
    good = str(clips_dir / "carving_ice_rpi.mp4")
    order = ["zero", good, "noise", "truncated", "unknown", "missing", good]
    paths = [str(bad_inputs[item]) if item in bad_inputs else item for item in order]
    code = cli.main(["classify", "--model", "movinet", "--format", "json", *paths])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert code == cli.EXIT_SOME_CLIPS_FAILED
    assert [line["path"] for line in lines] == paths
    bad_paths = [path for item, path in zip(order, paths) if item != good]
    error_lines = captured.err.splitlines()  # one line per failed clip, in order
    assert [line.split(": ", 2)[1] for line in error_lines] == bad_paths
    assert all(line.startswith("vidclass: ") for line in error_lines)
    for item, line in zip(order, lines):
        if item == good:
            assert set(line) == {"path", "model", "labels", "frames", "seconds"}
            assert line["model"] == "movinet" and line["labels"][0]["label"] == "carving ice"
            assert line["labels"][0]["score"] >= 0.5 and len(line["labels"]) == 5 and line["frames"] > 0
        else:
            assert set(line) == {"path", "error"}
            assert "\n" not in line["error"] and line["error"].endswith(".")
            assert "Traceback" not in line["error"] and "internal error" not in line["error"]
    assert lines[1] == {**lines[-1], "seconds": lines[1]["seconds"]}  # same answer both times


def test_all_good_clips_exit_zero_and_model_is_loaded_once(fake_models, clips_dir, capsys):
    clips = [str(clips_dir / "carving_ice_rpi.mp4"), str(clips_dir / "jumping_jacks.mp4")]
    code = cli.main(["classify", "--top-k", "1", *clips])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert len(fake_models) == 1 and fake_models[0] == {"model": "movinet"}
    assert [line["labels"] for line in lines] == [[{"label": "waving", "score": 0.75}]] * 2


def test_table_format_is_readable(fake_models, clips_dir, tmp_path, capsys):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    code = cli.main(["classify", "--format", "table", str(clips_dir / "carving_ice_rpi.mp4"), str(empty)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_SOME_CLIPS_FAILED
    assert "1. waving" in out and "75.0%" in out and "2. sitting" in out
    assert f"{empty}: " in out and "empty" in out.splitlines()[-1]


def test_cnn_gru_gets_encoder_and_head_and_movinet_refuses_them(fake_models, clips_dir, capsys):
    clip = str(clips_dir / "carving_ice_rpi.mp4")
    assert cli.main(["classify", "--model", "cnn-gru", "--encoder", "mobilenet_v2", "--head", "mine", clip]) == 0
    assert fake_models[-1] == {"model": "cnn-gru", "encoder": "mobilenet_v2", "head": "mine"}
    capsys.readouterr()
    assert cli.main(["classify", "--model", "movinet", "--head", "mine", clip]) == 2
    assert "only apply to --model cnn-gru" in capsys.readouterr().err
    assert cli.main(["classify", "--top-k", "0", clip]) == 2
    assert "--top-k" in capsys.readouterr().err


def test_missing_model_is_one_line_naming_the_fetch_command(tmp_path, monkeypatch, clips_dir, capsys):
    monkeypatch.setenv("VIDCLASS_HOME", str(tmp_path / "empty-home"))
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "empty-cache"))
    code = cli.main(["classify", "--model", "movinet", str(clips_dir / "carving_ice_rpi.mp4")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "movinet" in captured.err and "vidclass fetch movinet" in captured.err


def test_every_clip_failing_is_bad_input_with_one_stderr_line_each(fake_models, tmp_path, capsys):
    empty, text = tmp_path / "empty.mp4", tmp_path / "notes.mp4"
    empty.write_bytes(b"")
    text.write_text("not a video", encoding="utf-8")
    code = cli.main(["classify", str(empty), str(text)])
    captured = capsys.readouterr()
    assert code == 2
    assert [json.loads(line)["path"] for line in captured.out.splitlines()] == [str(empty), str(text)]
    error_lines = captured.err.splitlines()
    assert len(error_lines) == 2
    assert error_lines[0].startswith(f"vidclass: {empty}: ") and error_lines[1].startswith(f"vidclass: {text}: ")


def test_an_internal_failure_on_a_clip_exits_1(fake_models, monkeypatch, clips_dir, tmp_path, capsys):
    def broken(self, path, top_k=5, progress=None):
        raise RuntimeError("the model fell over")

    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    monkeypatch.setattr(FakeClassifier, "classify", broken)
    code = cli.main(["classify", str(clips_dir / "carving_ice_rpi.mp4"), str(empty)])
    captured = capsys.readouterr()
    assert code == 1
    assert "internal error (RuntimeError: the model fell over)" in captured.err.splitlines()[0]


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["classify", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 every clip was classified; 3 some clips could not be classified" in help_text


def test_a_hub_handle_is_cached_in_the_vidclass_cache_unless_the_user_chose_a_folder(
    monkeypatch, tmp_path, clips_dir, shared_home, capsys,
):
    import tensorflow_hub

    require_asset(shared_home, movinet.LABELS_PATH)
    seen = []

    def offline_load(handle):
        seen.append(os.environ.get("TFHUB_CACHE_DIR"))
        raise OSError("offline")

    monkeypatch.setattr(tensorflow_hub, "load", offline_load)
    monkeypatch.setenv("TFHUB_CACHE_DIR", "recorded")
    monkeypatch.delenv("TFHUB_CACHE_DIR")  # restored (unset) after the test
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))
    clip = str(clips_dir / "carving_ice_rpi.mp4")
    assert cli.main(["classify", "--handle", "https://tfhub.dev/x/y", clip]) == 2
    assert "Could not load the MoViNet SavedModel" in capsys.readouterr().err
    assert seen == [str(tmp_path / "cache" / "tfhub_modules")]
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "mine"))
    assert cli.main(["classify", "--handle", "https://tfhub.dev/x/y", clip]) == 2
    assert seen[-1] == str(tmp_path / "mine")


def test_an_av1_copy_of_a_real_clip_gets_the_same_answer(clips_dir, capsys, shared_home, tmp_path):
    """AV1 (which OpenCV cannot decode) is classified like the H.264 original by the real model."""
    from vidclass.synthetic import av1_copy

    require_asset(shared_home, movinet.MODEL_PATH)
    original = require_asset(clips_dir, "carving_ice_rpi.mp4")
    av1 = av1_copy(original, tmp_path / "carving_ice_av1.webm")
    code = cli.main(["classify", "--model", "movinet", "--format", "json", str(original), str(av1)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert lines[1]["frames"] == lines[0]["frames"]
    assert lines[1]["labels"][0]["label"] == lines[0]["labels"][0]["label"] == "carving ice"
    assert abs(lines[1]["labels"][0]["score"] - lines[0]["labels"][0]["score"]) < 0.15
