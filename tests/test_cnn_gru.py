"""The CNN + GRU head and classifier: masking, head folders, loading, the shipped head's accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import require_asset
from vidclass import cnn_gru
from vidclass.cnn_gru import HeadConfig, build_head, list_heads, load_classifier, probably_unknown, save_head
from vidclass.errors import BadInputError
from vidclass.predictions import LabelScore, Prediction


def _predict(model, features, mask):
    return np.asarray(model({"features": features, "mask": mask}, training=False))


@pytest.mark.parametrize(
    "config",
    [
        HeadConfig(num_frames=6),
        HeadConfig(num_frames=6, units=[12, 6], bidirectional=True),
        HeadConfig(num_frames=6, architecture="mean", dense=0),
    ],
    ids=["gru", "bidirectional", "mean"],
)
def test_padded_steps_do_not_change_the_prediction(config):
    model = build_head(config, num_classes=4, feature_dimension=5)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 6, 5)).astype(np.float32)
    mask = np.array([[True, True, True, False, False, False], [True] * 5 + [False]])
    other = features.copy()
    other[0, 3:] = rng.normal(size=(3, 5)) * 100.0
    other[1, 5:] = -50.0
    zeros = features * mask[:, :, None]
    reference = _predict(model, features, mask)
    np.testing.assert_allclose(_predict(model, other, mask), reference, atol=1e-6)
    np.testing.assert_allclose(_predict(model, zeros, mask), reference, atol=1e-6)
    # The mask really matters: unmasking the padding changes the answer.
    assert np.abs(_predict(model, other, np.ones_like(mask)) - reference).max() > 1e-4
    np.testing.assert_allclose(reference.sum(axis=1), 1.0, atol=1e-5)


def test_build_head_follows_the_keras_example_by_default():
    model = build_head(HeadConfig(num_frames=20), num_classes=5, feature_dimension=2048)
    names = [layer.name for layer in model.layers]
    assert names[-4:] == ["gru_1", "dropout", "dense", "probabilities"]
    assert model.get_layer("gru_0").units == 16 and model.get_layer("gru_1").units == 8
    assert model.output_shape == (None, 5)
    with pytest.raises(ValueError, match="architecture"):
        build_head(HeadConfig(architecture="lstm"), 3, 4)


@pytest.fixture()
def saved_head(tmp_path, monkeypatch):
    """A random 3-class mobilenet_v2 head saved as 'tiny' in a fresh cache."""
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path / "cache"))
    config = HeadConfig(encoder="mobilenet_v2", num_frames=4, units=[8, 4], dense=4)
    model = build_head(config, 3, 1280)
    folder = save_head(cnn_gru.heads_folder() / "tiny", model, ["Archery", "Fencing", "TennisSwing"], config, {"accuracy": 0.5})
    return folder, model


def test_saved_heads_round_trip_and_are_listed(saved_head):
    folder, model = saved_head
    loaded = cnn_gru.load_head_model(folder)
    features = np.random.default_rng(1).normal(size=(1, 4, 1280)).astype(np.float32)
    mask = np.array([[True, True, False, False]])
    np.testing.assert_allclose(_predict(loaded, features, mask), _predict(model, features, mask), atol=1e-6)
    listed = {info.name: info for info in list_heads()}
    assert listed["tiny"].class_names == ["Archery", "Fencing", "TennisSwing"]
    assert listed["tiny"].encoder == "mobilenet_v2" and not listed["tiny"].shipped
    assert listed["tiny"].title == "CNN + GRU — tiny, 3 classes"
    # A broken folder in the cache is not listed.
    (cnn_gru.heads_folder() / "broken").mkdir()
    assert "broken" not in {info.name for info in list_heads()}


def test_classifier_from_a_saved_head_classifies_a_real_clip(saved_head, shared_home):
    from vidclass.classifiers import load_classifier as load_any

    clip = sorted(require_asset(shared_home, "data/ucf101/train/Archery").glob("*.mp4"))[0]
    classifier = load_any("cnn-gru", head="tiny")
    assert classifier.name == "cnn-gru" and classifier.class_names == ["Archery", "Fencing", "TennisSwing"]
    steps = []
    prediction = classifier.classify(clip, top_k=2, progress=lambda fraction, message: steps.append(fraction))
    assert prediction.model == "cnn-gru"
    assert len(prediction.labels) == 2
    assert prediction.probabilities.shape == (3,)
    assert abs(float(prediction.probabilities.sum()) - 1.0) < 1e-5
    assert prediction.frames.frames.shape == (4, 224, 224, 3)
    assert steps[-1] == 1.0
    assert prediction.to_json(clip)["model"] == "cnn-gru"
    # The same clip twice gives the same answer (deterministic decode, encoder and head).
    np.testing.assert_array_equal(classifier.classify(clip).probabilities, prediction.probabilities)


def test_a_head_with_the_wrong_encoder_names_both(saved_head):
    with pytest.raises(BadInputError, match="mobilenet_v2.*mobilenet_v1"):
        load_classifier(encoder="mobilenet_v1", head="tiny")
    with pytest.raises(BadInputError, match="No CNN \\+ GRU head"):
        load_classifier(head="no-such-head")
    with pytest.raises(BadInputError, match="letters, digits"):
        cnn_gru.check_head_name("../evil")


def _break_head(folder, damage: str) -> None:
    """Damage one file of a head folder the way a bad copy or a hand edit would."""
    if damage == "truncated head.keras":
        data = (folder / "head.keras").read_bytes()
        (folder / "head.keras").write_bytes(data[:1000])
    elif damage == "invalid classes.json":
        (folder / "classes.json").write_text("{not json", encoding="utf-8")
    elif damage == "empty config.json":
        (folder / "config.json").write_text("{}", encoding="utf-8")
    elif damage == "empty classes.json":
        (folder / "classes.json").write_text("[]", encoding="utf-8")
    elif damage == "more classes than outputs":
        (folder / "classes.json").write_text(json.dumps(["Archery", "Fencing", "TennisSwing", "Rowing"]), encoding="utf-8")
    elif damage == "other frame count in config.json":
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        (folder / "config.json").write_text(json.dumps({**config, "num_frames": 8}), encoding="utf-8")


@pytest.mark.parametrize("damage, message", [
    ("truncated head.keras", "head.keras cannot be loaded"),
    ("invalid classes.json", "classes.json is not a readable JSON file"),
    ("empty config.json", "config.json lacks encoder and num_frames"),
    ("empty classes.json", "names 0 class(es)"),
    ("more classes than outputs", "gives 3 class scores but its classes.json names 4 classes"),
    ("other frame count in config.json", "takes features of shape (None, 4, 1280)"),
])
def test_a_broken_head_folder_is_one_clear_bad_input_line(saved_head, shared_home, damage, message, capsys):
    from vidclass import cli
    from vidclass.encoders import MOBILENET_V2_PATH

    require_asset(shared_home, MOBILENET_V2_PATH)
    folder, _ = saved_head
    _break_head(folder, damage)
    code = cli.main(["classify", "--model", "cnn-gru", "--head", str(folder), str(shared_home / "data/clips/jumping_jacks.mp4")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("vidclass: ")
    assert message in captured.err and "internal error" not in captured.err


def test_a_file_given_as_the_head_is_named_a_file(saved_head, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a head", encoding="utf-8")
    with pytest.raises(BadInputError, match="is a file, not a CNN \\+ GRU head"):
        load_classifier(head=str(notes))


def _prediction(probabilities):
    probabilities = np.asarray(probabilities, dtype=np.float32)
    names = [f"c{i}" for i in range(len(probabilities))]
    order = np.argsort(-probabilities)
    labels = [LabelScore(names[i], float(probabilities[i])) for i in order]
    return Prediction("cnn-gru", labels, probabilities, names, None, 0.0, 0.0)


def test_probably_unknown_flags_flat_or_weak_answers():
    assert not probably_unknown(_prediction([0.9, 0.05, 0.03, 0.02]))
    assert probably_unknown(_prediction([0.3, 0.25, 0.25, 0.2]))
    assert probably_unknown(_prediction([0.45, 0.45, 0.05, 0.05]))


@pytest.fixture(scope="module")
def shipped_classifier(shared_home):
    """The shipped head's classifier (loaded once for the tests that run it)."""
    if not (cnn_gru.SHIPPED_HEAD / "head.keras").is_file():
        pytest.skip("assets/cnn_gru_ucf101 is not built yet")
    return load_classifier()


def test_shipped_head_accuracy_on_its_fixed_clip_set_matches_metrics_json(shared_home, shipped_classifier):
    """The shipped head, run end to end (decode, encode, head) on the fixed check set
    recorded in its metrics.json, gets exactly the accuracy written there."""
    metrics_path = cnn_gru.SHIPPED_HEAD / "metrics.json"
    if not metrics_path.is_file():
        pytest.skip("assets/cnn_gru_ucf101 is not built yet")
    metrics = json.loads(metrics_path.read_text())
    check = metrics["fixed_check_set"]
    classifier = shipped_classifier
    assert classifier.title == "CNN + GRU — UCF101, 11 classes"
    assert len(classifier.class_names) == 11
    correct = 0
    for relative in check["clips"]:
        path = require_asset(shared_home, relative)
        expected = relative.split("/")[-2]
        correct += classifier.classify(path, top_k=1).top.label == expected
    assert correct == check["correct"]
    assert round(correct / len(check["clips"]), 4) == check["accuracy"]


def test_an_averaged_ensemble_saves_loads_and_still_ignores_padding(tmp_path):
    import zipfile

    import h5py

    from vidclass.cnn_gru import average_heads, load_head_model

    config = HeadConfig(num_frames=5, units=[6], bidirectional=True, normalize=True, projection=8, dense=0)
    members = [build_head(config, 3, 4, name=f"head_{k}") for k in range(2)]
    rng = np.random.default_rng(2)
    features = rng.normal(size=(1, 5, 4)).astype(np.float32)
    mask = np.array([[True, True, True, False, False]])
    for member in members:  # trained members carry optimizer state, which must not be saved
        member.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        member.fit({"features": features, "mask": mask}, np.array([1]), epochs=1, verbose=0)
    joined = average_heads(members, 5, 4)
    expected = (_predict(members[0], features, mask) + _predict(members[1], features, mask)) / 2
    np.testing.assert_allclose(_predict(joined, features, mask), expected, atol=1e-6)
    save_head(tmp_path / "ens", joined, ["a", "b", "c"], config)
    saved_names = []
    with zipfile.ZipFile(tmp_path / "ens" / cnn_gru.HEAD_FILE) as archive, h5py.File(archive.open("model.weights.h5")) as weights:
        weights.visit(saved_names.append)
    assert saved_names and not [name for name in saved_names if "optimizer" in name]
    loaded = load_head_model(tmp_path / "ens")
    other = features.copy()
    other[0, 3:] = 99.0
    np.testing.assert_allclose(_predict(loaded, other, mask), expected, atol=1e-5)


def test_shipped_head_flags_an_out_of_domain_clip_but_not_a_ucf101_one(shared_home, shipped_classifier):
    classifier = shipped_classifier
    outside = classifier.classify(require_asset(shared_home, "data/clips/jumping_jacks.mp4"))
    inside = classifier.classify(require_asset(shared_home, "data/ucf101/avi/Fencing/v_Fencing_g08_c01.avi"))
    assert probably_unknown(outside)
    assert inside.top.label == "Fencing" and not probably_unknown(inside)
