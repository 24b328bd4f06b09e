"""Feature cache, metrics and training end to end on a small real UCF101 subset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_asset
from vidclass.cli import main
from vidclass.datasets import LabelledClip, ClipListing, limit_per_class, list_folder
from vidclass.errors import BadInputError
from vidclass.training import classification_metrics, extract_features, feature_cache_folder, sampling_for

CLASSES = ("Archery", "Fencing", "TennisSwing")


def test_classification_metrics_on_a_known_example():
    metrics = classification_metrics(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 1]), ["a", "b", "c"])
    assert metrics["accuracy"] == 0.6
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [0, 1, 0]]
    assert metrics["per_class"]["b"] == {"precision": 0.5, "recall": 1.0, "support": 2}
    assert metrics["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "support": 1}
    with pytest.raises(ValueError, match="shape"):
        classification_metrics(np.array([0]), np.array([0, 1]), ["a", "b"])


@pytest.fixture(scope="module")
def subset_folder(shared_home, tmp_path_factory):
    """3 UCF101 classes × 8 clips (spread over groups), linked into a folder per class."""
    source = require_asset(shared_home, "data/ucf101/train")
    listing = list_folder(source)
    keep = ClipListing([c for c in listing.clips if c.label in CLASSES], list(CLASSES), [])
    keep = limit_per_class(keep, 8)
    folder = tmp_path_factory.mktemp("subset")
    for clip in keep.clips:
        (folder / clip.label).mkdir(exist_ok=True)
        (folder / clip.label / clip.path.name).symlink_to(clip.path)
    return folder


def test_feature_cache_skips_extraction_the_second_time_and_skips_unreadable_clips(subset_folder, mobilenet_v2, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))  # "first" must really be the first extraction
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    clips = [LabelledClip(p, p.parent.name, p.name) for p in sorted(subset_folder.glob("*/*.mp4"))[:3]]
    clips.append(LabelledClip(broken, clips[0].label, "broken"))
    listing = ClipListing(clips, sorted({c.label for c in clips}), [])
    sampling = sampling_for(mobilenet_v2.input_size, "uniform", 5)
    first = extract_features(listing, mobilenet_v2, sampling)
    assert first.features.shape == (3, 5, 1280) and first.features.dtype == np.float32
    assert first.masks.all() and first.cached == 0
    assert [path for path, _ in first.skipped] == [str(broken)]
    assert len(list(feature_cache_folder("mobilenet_v2", sampling).glob("*.npz"))) >= 3
    calls = []
    original = mobilenet_v2.encode
    mobilenet_v2.encode = lambda frames: calls.append(len(frames)) or original(frames)
    try:
        second = extract_features(listing, mobilenet_v2, sampling)
    finally:
        mobilenet_v2.encode = original
    assert calls == [] and second.cached == 3
    np.testing.assert_allclose(second.features, first.features, atol=0.01)  # float16 cache


def test_nothing_readable_is_one_clear_error(mobilenet_v2, tmp_path):
    clips = []
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"junk")
        clips.append(LabelledClip(tmp_path / name, name[0], name))
    with pytest.raises(BadInputError, match="None of the clips"):
        extract_features(ClipListing(clips, ["a", "b"], []), mobilenet_v2, sampling_for(mobilenet_v2.input_size, "uniform", 4))


def test_train_command_end_to_end_beats_chance_on_held_out_groups(subset_folder, mobilenet_v2, tmp_path, capsys):
    out = tmp_path / "head"
    code = main([
        "train", "--data", str(subset_folder), "--out", str(out), "--encoder", "mobilenet_v2",
        "--frames", "8", "--epochs", "40", "--validation", "0.25", "--quiet",
    ])
    assert code == 0, capsys.readouterr().err
    for name in ("head.keras", "classes.json", "config.json", "metrics.json", "confusion_matrix.png", "training_curves.png"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / "classes.json").read_text()) == list(CLASSES)
    assert "held-out groups" in metrics["measured_on"]
    assert metrics["clips"] >= 3
    assert metrics["accuracy"] > 1 / 3 + 0.1  # chance is 1/3
    assert np.array(metrics["confusion_matrix"]).sum() == metrics["clips"]
    config = json.loads((out / "config.json").read_text())
    assert (config["encoder"], config["strategy"], config["num_frames"]) == ("mobilenet_v2", "uniform", 8)
    assert "accuracy" in capsys.readouterr().out

    # The head classifies through the classifier registry right away.
    from vidclass.classifiers import load_classifier

    classifier = load_classifier("cnn-gru", head=str(out), encoder="mobilenet_v2")
    clip = sorted((subset_folder / "Fencing").glob("*.mp4"))[0]
    assert classifier.classify(clip).labels[0].label in CLASSES


def test_train_command_refuses_bad_data(tmp_path, capsys):
    (tmp_path / "Only").mkdir()
    (tmp_path / "Only" / "one.mp4").write_bytes(b"x")
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "at least two class folders" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--epochs", "0"]) == 2


def test_train_command_checks_out_before_any_training(tmp_path, capsys, monkeypatch):
    from vidclass import encoders, training

    for label in ("Cat", "Dog"):
        for name in ("a.mp4", "b.mp4"):
            (tmp_path / "data" / label).mkdir(parents=True, exist_ok=True)
            (tmp_path / "data" / label / name).write_bytes(b"x")
    trained_into = []

    def fake_train(listing, out_folder, **options):
        trained_into.append(Path(out_folder))
        return training.TrainRun(Path(out_folder), {"accuracy": 0.5, "measured_on": "nothing"}, [], {})

    monkeypatch.setattr(training, "train", fake_train)
    monkeypatch.setattr(encoders, "load_encoder", lambda name: f"the {name} encoder")
    data = str(tmp_path / "data")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "head.keras").write_bytes(b"the user's head")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me", encoding="utf-8")
    for out, message in [
        (existing, "already holds a trained model (head.keras): pass --overwrite"),
        (a_file, "is a file, not a folder"),
        (a_file / "head", "cannot be created"),
        ("", "--out must name a folder"),
    ]:
        assert main(["train", "--data", data, "--out", str(out) if out else ""]) == 2
        error = capsys.readouterr().err
        assert message in error and error.count("\n") == 1
    assert trained_into == []
    assert (existing / "head.keras").read_bytes() == b"the user's head" and a_file.read_text(encoding="utf-8") == "keep me"
    assert main(["train", "--data", data, "--out", str(existing), "--overwrite"]) == 0
    assert trained_into == [existing]


def test_train_command_names_a_file_given_as_data_and_a_binary_csv(tmp_path, capsys):
    clip = tmp_path / "holiday.mp4"
    clip.write_bytes(b"x")
    binary = tmp_path / "data.csv"
    binary.write_bytes(bytes(range(256)))
    assert main(["train", "--data", str(clip), "--out", str(tmp_path / "o")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["train", "--data", str(binary), "--out", str(tmp_path / "o")]) == 2
    assert "is not a text CSV file" in capsys.readouterr().err


def test_train_command_cross_validates_by_group_then_trains_on_everything(subset_folder, mobilenet_v2, tmp_path):
    out = tmp_path / "cv-head"
    code = main([
        "train", "--data", str(subset_folder), "--out", str(out), "--frames", "8", "--epochs", "5",
        "--folds", "2", "--quiet", "--units", "8", "--projection", "16", "--encoder", "mobilenet_v2",
    ])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "2-fold cross-validation" in metrics["measured_on"]
    assert len(metrics["fold_accuracy"]) == 2
    assert metrics["clips"] == metrics["train_clips"] == 24  # every clip predicted once, all used for the saved head
    held = [set(groups) for groups in metrics["fold_held_out_groups"]]
    assert held[0].isdisjoint(held[1])
    assert json.loads((out / "config.json").read_text())["units"] == [8]


def test_views_dataset_shows_one_random_view_per_clip_each_epoch():
    from vidclass.datasets import feature_dataset

    # 4 clips × 6 views × 3 frames × 2 dims, every value = the view number
    features = np.broadcast_to(np.arange(6, dtype=np.float32)[None, :, None, None], (4, 6, 3, 2)).copy()
    dataset = feature_dataset(features, np.ones((4, 3), bool), np.arange(4), batch_size=4, training=True, seed=1)
    seen = set()
    for _ in range(5):
        (inputs, _labels), = list(dataset)
        batch = inputs["features"].numpy()
        assert batch.shape == (4, 3, 2)
        assert all(np.unique(clip).size == 1 for clip in batch)  # one whole view per clip
        seen.update(float(clip[0, 0]) for clip in batch)
    assert len(seen) >= 4  # views vary between clips and epochs
    with pytest.raises(ValueError, match="views"):
        feature_dataset(features, np.ones((4, 3), bool), np.arange(4))


def test_predictions_with_views_average_each_clips_views():
    import keras

    from vidclass.training import FeatureSet, predict_probabilities

    features = keras.Input((3, 2), name="features")
    mask = keras.Input((3,), dtype="bool", name="mask")
    first = keras.layers.Lambda(lambda x: x[:, 0, :])(features)  # the first frame's 2 values, as "probabilities"
    model = keras.Model({"features": features, "mask": mask}, first)
    values = np.zeros((2, 3, 3, 2), np.float32)  # 2 clips × 3 views
    values[0, :, 0] = [[0.2, 0.8], [0.4, 0.6], [0.6, 0.4]]
    values[1, :, 0] = [[1.0, 0.0], [1.0, 0.0], [0.7, 0.3]]
    feature_set = FeatureSet(values, np.ones((2, 3), bool), np.array([1, 0]), [], ["a", "b"])
    np.testing.assert_allclose(predict_probabilities(model, feature_set), [[0.4, 0.6], [0.9, 0.1]], atol=1e-6)


def test_train_with_six_views_then_classify(subset_folder, mobilenet_v2, tmp_path, monkeypatch):
    from vidclass.cnn_gru import load_classifier
    from vidclass.training import encode_clip

    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "views-head"
    code = main([
        "train", "--data", str(subset_folder), "--out", str(out), "--frames", "4", "--epochs", "3",
        "--quiet", "--units", "8", "--projection", "16", "--views", "6", "--encoder", "mobilenet_v2",
    ])
    assert code == 0
    assert json.loads((out / "config.json").read_text())["views"] == 6
    clip = sorted(subset_folder.glob("Archery/*"))[0]
    cached, mask, _ = encode_clip(clip, mobilenet_v2, sampling_for(mobilenet_v2.input_size, "uniform", 4, views=6), views=6)
    assert cached.shape == (6, 4, 1280) and mask.all()
    # the centre view is the plain centre crop, the mirrored views differ from the originals
    plain, _, _ = encode_clip(clip, mobilenet_v2, sampling_for(mobilenet_v2.input_size, "uniform", 4), use_cache=False)
    assert np.corrcoef(cached[1].ravel(), plain.ravel())[0, 1] > 0.95
    assert not np.allclose(cached[0], cached[3])
    classifier = load_classifier(head=out)
    prediction = classifier.classify(clip)
    assert prediction.frames.frames.shape == (4, 224, 299, 3)  # the wide frames the views were cut from
    # the cache keeps float16 features, hence the tolerance
    np.testing.assert_allclose(prediction.probabilities, classifier.predict_features(cached, mask), atol=1e-3)
    assert main(["train", "--data", str(subset_folder), "--out", str(tmp_path / "x"), "--views", "3",
                 "--geometry", "pad", "--quiet", "--encoder", "mobilenet_v2"]) == 2
    assert main(["train", "--data", str(subset_folder), "--out", str(tmp_path / "y"), "--views", "3",
                 "--flip-augment", "--quiet", "--encoder", "mobilenet_v2"]) == 2
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
