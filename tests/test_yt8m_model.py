"""GAP@20 and hit@1 against hand-computed cases and a literal port of the starter's
loop; training, saving and loading the video-level model; the `vidclass yt8m` CLI."""

from __future__ import annotations

import dataclasses
import heapq
import json
import shutil

import numpy as np
import pytest

from tests.conftest import require_asset
from vidclass import yt8m, yt8m_model
from vidclass.cli import main
from vidclass.errors import BadInputError


# ----------------------------------------------------------------- metrics

def test_gap_hand_computed_case():
    scores = np.array([[0.9, 0.8, 0.1], [0.7, 0.2, 0.6]])
    labels = np.array([[1, 0, 1], [0, 0, 1]])
    # top-2 pooled, sorted: 0.9 hit, 0.8 miss, 0.7 miss, 0.6 hit; 3 true labels in all
    assert yt8m_model.global_average_precision(scores, labels, top_k=2) == pytest.approx((1 / 1 + 2 / 4) / 3)
    # top-3 keeps video 0's third label too: 0.9 H, 0.8 M, 0.7 M, 0.6 H, 0.2 M, 0.1 H
    assert yt8m_model.global_average_precision(scores, labels, top_k=3) == pytest.approx((1 + 2 / 4 + 3 / 6) / 3)


def test_gap_perfect_worst_and_empty():
    labels = np.array([[1, 0, 0, 1], [0, 1, 0, 0]])
    assert yt8m_model.global_average_precision(labels + 0.01 * np.arange(4), labels) == pytest.approx(1.0)
    inverted = 1.0 - labels
    assert yt8m_model.global_average_precision(inverted, labels, top_k=1) == 0.0
    assert yt8m_model.global_average_precision(np.random.rand(2, 4), np.zeros((2, 4))) == 0.0
    with pytest.raises(ValueError):
        yt8m_model.global_average_precision(np.zeros((2, 4)), np.zeros((2, 3)))


def _starter_gap(predictions, actuals, top_k=20):
    """A literal port of the starter's eval_util.calculate_gap + AveragePrecisionCalculator
    (heap accumulation, sort, precision at each hit over the total positives), unshuffled."""
    heap = []
    num_positives = 0
    for video in range(predictions.shape[0]):
        k = min(top_k, predictions.shape[1])
        for index in np.argpartition(predictions[video], -k)[-k:]:
            heapq.heappush(heap, (predictions[video][index], actuals[video][index]))
        num_positives += int(np.sum(actuals[video]))
    pairs = sorted(heap, key=lambda pair: pair[0], reverse=True)
    ap, positives_seen = 0.0, 0.0
    for rank, (_, actual) in enumerate(pairs):
        if actual > 0:
            positives_seen += 1
            ap += positives_seen / (rank + 1) / num_positives
    return ap


def test_gap_equals_the_starter_loop_on_random_data():
    generator = np.random.default_rng(3)
    scores = generator.random((60, 50))
    labels = (generator.random((60, 50)) < 0.08).astype(np.float32)
    labels[np.arange(60), generator.integers(0, 50, 60)] = 1.0
    for top_k in (1, 5, 20):
        assert yt8m_model.global_average_precision(scores, labels, top_k) == pytest.approx(_starter_gap(scores, labels, top_k), abs=1e-12)


def test_hit_at_one():
    scores = np.array([[0.9, 0.8, 0.1], [0.7, 0.2, 0.6]])
    labels = np.array([[1, 0, 1], [0, 0, 1]])
    assert yt8m_model.hit_at_one(scores, labels) == pytest.approx(0.5)


# ----------------------------------------------------------------- model

@pytest.fixture(scope="module")
def one_shard(shared_home):
    return require_asset(shared_home, "data/yt8m/video/validate0000.tfrecord")


@pytest.fixture(scope="module")
def tiny_model(one_shard):
    index = yt8m.load_index([one_shard], feature_dtype="float32")
    model = yt8m_model.train_model(index, config={"epochs": 2, "hidden": 32, "neighbours": 5})
    return index, model


def test_trained_model_predicts_probabilities_and_learns(tiny_model):
    index, model = tiny_model
    scores = model.predict_index(index)
    assert scores.shape == (len(index), yt8m.NUM_CLASSES) and scores.dtype == np.float32
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    labels = index.label_matrix()
    prior = np.tile(model.mlp_scores(np.zeros((1, 1152), np.float32)), (len(index), 1))
    assert yt8m_model.global_average_precision(scores, labels) > yt8m_model.global_average_precision(prior, labels) + 0.2


def test_mlp_only_model_ignores_bank(tiny_model):
    index, model = tiny_model
    features = index.features(np.arange(4))
    blended = model.predict(features)
    mlp_only = dataclasses.replace(model, config={**model.config, "mlp_weight": 1.0})
    np.testing.assert_allclose(mlp_only.predict(features), model.mlp_scores(features))
    assert not np.allclose(blended, mlp_only.predict(features))


def test_reranked_scores_only_on_candidates(tiny_model):
    index, model = tiny_model
    scores = model.predict(index.features(np.arange(16)))
    assert model.config["rerank"] and model.reranker
    assert ((scores > 0).sum(axis=1) <= model.config["rerank_candidates"]).all()
    assert (scores.max(axis=1) > 0).all()


def test_rerank_features_hand_made_case():
    mlp = np.array([[0.5, 0.1, 0.8, 0.2]], np.float32)
    neighbour = np.array([[0.0, 0.5, 0.4, 0.1]], np.float32)
    prior = np.array([-1.0, -2.0, -3.0, -4.0], np.float32)
    counts = np.array([0.0, 1.0, 3.0, 7.0], np.float32)
    values, candidates = yt8m_model.rerank_features(mlp, neighbour, prior, counts, mlp_weight=0.5, candidates=2)
    # blend = [0.25, 0.3, 0.6, 0.15] → best two: entity 2 then 1
    assert candidates.tolist() == [[2, 1]]
    assert values.shape == (1, 2, len(yt8m_model.RERANK_FEATURES))
    np.testing.assert_allclose(values[0, :, 0], np.log([0.8 / 0.2, 0.1 / 0.9]), rtol=1e-5)  # mlp log-odds
    np.testing.assert_allclose(values[0, :, 3], [-3.0, -2.0])  # prior
    np.testing.assert_allclose(values[0, :, 4], np.log([1.0, 2.0]))  # rank
    np.testing.assert_allclose(values[0, :, 6], np.log([0.6, 0.6]), rtol=1e-5)  # video's best blend
    np.testing.assert_allclose(values[0, :, 9], np.log1p([3.0, 1.0]), rtol=1e-5)  # training count
    np.testing.assert_allclose(values[0, :, 10], np.log([0.9, 0.9]), rtol=1e-5)  # candidate blend sum
    with pytest.raises(ValueError):
        yt8m_model.rerank_features(mlp, neighbour[:, :3], prior, counts)


def test_rerank_features_with_ridge_mix_the_neighbour_slot_and_add_columns():
    mlp = np.array([[0.5, 0.1, 0.8, 0.2]], np.float32)
    neighbour = np.array([[0.0, 0.5, 0.4, 0.1]], np.float32)
    ridge = np.array([[0.2, 0.9, 0.0, 0.3]], np.float32)
    prior = np.zeros(4, np.float32)
    counts = np.ones(4, np.float32)
    values, candidates = yt8m_model.rerank_features(mlp, neighbour, prior, counts, 0.5, 2, ridge, ridge_weight=0.5)
    # neighbour slot = [0.1, 0.7, 0.2, 0.2]; blend = [0.3, 0.4, 0.5, 0.2] → entities 2 then 1
    assert candidates.tolist() == [[2, 1]]
    assert values.shape == (1, 2, len(yt8m_model.RERANK_FEATURES) + len(yt8m_model.RIDGE_RERANK_FEATURES))
    np.testing.assert_allclose(values[0, :, 1], np.log([0.2 + 1e-3, 0.7 + 1e-3]), rtol=1e-5)  # mixed slot
    np.testing.assert_allclose(values[0, :, 11], np.log([0.0 + 1e-3, 0.9 + 1e-3]), rtol=1e-5)  # ridge
    np.testing.assert_allclose(values[0, :, 12], np.log([0.9 + 1e-3] * 2), rtol=1e-5)  # video's best ridge
    np.testing.assert_allclose(values[0, :, 13], np.log([0.4 + 1e-3, 0.5 + 1e-3]), rtol=1e-5)  # vote alone
    with pytest.raises(ValueError):
        yt8m_model.rerank_features(mlp, neighbour, prior, counts, ridge=ridge[:, :3])


def test_kernel_ridge_matches_the_closed_form():
    generator = np.random.default_rng(5)
    bank = generator.standard_normal((40, 6)).astype(np.float32)
    bank /= np.linalg.norm(bank, axis=1, keepdims=True)
    labels = (generator.random((40, 3)) < 0.3).astype(np.float32)
    tau, regularisation = 0.7, 0.05
    dual = yt8m_model.fit_kernel_ridge(bank, labels, tau, regularisation)
    gram = np.exp((bank.astype(np.float64) @ bank.T - 1.0) / tau)
    np.testing.assert_allclose(dual, np.linalg.solve(gram + regularisation * np.eye(40), labels), rtol=1e-3, atol=1e-3)


def test_ridge_stage_fits_the_bank(tiny_model):
    index, model = tiny_model
    assert model.uses_ridge and "+ridge" in model.config["architecture"]
    features = index.features(np.arange(12))
    labels = index.label_matrix(np.arange(12))
    _, ridge = model.bank_scores(features)
    assert ridge.shape == labels.shape and 0.0 <= ridge.min() and ridge.max() <= 1.0
    # fitted on its own labels (λ small), a training video's true labels score near 1, others near 0
    assert ridge[labels > 0].mean() > 0.8 and ridge[labels == 0].mean() < 0.05


def test_model_without_ridge_config_predicts_as_before(tiny_model):
    index, model = tiny_model
    features = index.features(np.arange(6))
    old = dataclasses.replace(
        model, config={key: value for key, value in model.config.items() if not key.startswith("ridge")}, reranker=[])
    neighbour, ridge = old.bank_scores(features)
    assert ridge is None and not old.uses_ridge
    np.testing.assert_allclose(old.predict(features), 0.5 * old.mlp_scores(features) + 0.5 * neighbour, rtol=1e-6)


def _fresh_copy(model):
    return dataclasses.replace(model)  # nothing solved yet: the ridge state is not copied


def test_ridge_solution_is_kept_in_the_cache_for_the_next_process(tiny_model, monkeypatch, tmp_path):
    index, model = tiny_model
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path))
    features = index.features(np.arange(5))
    _, expected = _fresh_copy(model).bank_scores(features)
    saved = sorted(path.name.split(".", 1)[1] for path in (tmp_path / "yt8m_ridge").iterdir())
    assert saved == ["dual.npy"]
    monkeypatch.setattr(yt8m_model, "kernel_ridge_factor", lambda *args: pytest.fail("solved again"))
    _, again = _fresh_copy(model).bank_scores(features)
    np.testing.assert_array_equal(again, expected)
    for path in (tmp_path / "yt8m_ridge").iterdir():  # a damaged cache file is solved again, not trusted
        path.write_bytes(b"not an array")
    monkeypatch.undo()
    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path))
    _, repaired = _fresh_copy(model).bank_scores(features)
    np.testing.assert_allclose(repaired, expected, atol=1e-6)


def test_ridge_is_solved_once_when_sessions_share_the_model(tiny_model, monkeypatch, tmp_path):
    import threading

    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path))
    index, model = tiny_model
    fresh = _fresh_copy(model)
    calls = []
    original = yt8m_model.fit_kernel_ridge
    monkeypatch.setattr(yt8m_model, "fit_kernel_ridge", lambda *args: calls.append(1) or original(*args))
    features = index.features(np.arange(4))
    results = [None] * 4

    def score(number):
        results[number] = fresh.bank_scores(features)[1]

    threads = [threading.Thread(target=score, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


def test_training_videos_get_held_out_guesses_from_models_that_never_saw_them(tiny_model, tmp_path):
    index, model = tiny_model
    assert sorted(model.held_out_ids) == sorted(str(video_id) for video_id in index.ids)
    row = 7
    guesses, fold = model.held_out_guesses(str(index.ids[row]))
    assert len(guesses) == 10 and 0 <= fold < model.config["rerank_folds"]
    scores = [score for _, score in guesses]
    assert scores == sorted(scores, reverse=True) and 0.0 <= scores[-1] and scores[0] <= 1.0
    assert model.held_out_guesses("none") is None
    # fair: the held-out guesses score far below the full model on the videos it learnt from
    summary = model.config["held_out_guesses"]
    assert summary["videos"] == len(index)
    assert summary["gap"] < yt8m_model.evaluate_model(model, index)["gap"] - 0.1
    model.save(tmp_path / "model")
    loaded = yt8m_model.load_model(tmp_path / "model")
    again, same_fold = loaded.held_out_guesses(str(index.ids[row]))
    assert same_fold == fold and [entity for entity, _ in again] == [entity for entity, _ in guesses]
    np.testing.assert_allclose([score for _, score in again], scores, atol=1e-3)  # float16 on disk


def test_rerank_forward_known_output():
    layers = [np.array([[1.0, -1.0]], np.float32), np.zeros(2, np.float32),
              np.array([[2.0], [3.0]], np.float32), np.array([-1.0], np.float32)]
    probability = yt8m_model.rerank_forward(layers, np.array([[0.5], [-1.0]], np.float32))
    # x=0.5 → relu [0.5, 0] → 1.0 - 1 = 0 → 0.5;  x=-1 → relu [0, 1] → 3 - 1 = 2 → sigmoid(2)
    np.testing.assert_allclose(probability, [0.5, 1 / (1 + np.exp(-2.0))], rtol=1e-6)


def test_save_and_load_roundtrip(tiny_model, tmp_path):
    index, model = tiny_model
    features = index.features(np.arange(8))
    for weight_format, tolerance in (("float16", 2e-3), ("int8", 2e-2)):
        folder = tmp_path / weight_format
        model.save(folder, weight_format=weight_format)
        loaded = yt8m_model.load_model(folder)
        np.testing.assert_allclose(loaded.predict(features), model.predict(features), atol=tolerance)
        assert len(loaded.extra_members) == len(model.extra_members) == 1 and len(loaded.reranker) == 4
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.npz"]


def test_wrong_feature_size_and_missing_folder(tiny_model, tmp_path):
    _, model = tiny_model
    with pytest.raises(BadInputError, match="1152 features"):
        model.predict(np.zeros((1, 1024), np.float32))
    with pytest.raises(BadInputError, match="not a YouTube-8M model folder"):
        yt8m_model.load_model(tmp_path)


def test_shipped_model_records_held_out_metrics():
    folder = yt8m_model.SHIPPED_MODEL_FOLDER
    if not (folder / "model.npz").is_file():
        pytest.skip("assets/yt8m_model has not been trained yet")
    metrics = json.loads((folder / "metrics.json").read_text())
    assert 0.0 < metrics["gap"] <= 1.0 and 0.0 < metrics["hit_at_1"] <= 1.0 and metrics["videos"] > 1000
    assert "held-out" in metrics["measured_on"] or "not trained on" in metrics["measured_on"]
    assert set(metrics["held_out"]["eval_shards"]).isdisjoint(metrics["held_out"]["train_shards"])
    assert sum(path.stat().st_size for path in folder.iterdir()) < 25_000_000


# ----------------------------------------------------------------- CLI

def test_cli_eval_prints_one_json_object(tiny_model, tmp_path, one_shard, capsys):
    _, model = tiny_model
    model.save(tmp_path / "model")
    code = main(["yt8m", "eval", "--shards", str(one_shard), "--model", str(tmp_path / "model"), "--format", "json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"gap", "hit_at_1", "videos"}
    assert result["videos"] == 287 or 250 <= result["videos"] <= 330
    assert 0.0 <= result["gap"] <= 1.0


def test_cli_eval_notices_training_videos_by_id_even_in_a_renamed_shard(tiny_model, tmp_path, one_shard, shared_home,
                                                                         capsys):
    index, model = tiny_model
    model.save(tmp_path / "model")
    renamed = tmp_path / "fresh-looking.tfrecord"
    shutil.copyfile(one_shard, renamed)
    assert main(["yt8m", "eval", "--shards", str(renamed), "--model", str(tmp_path / "model"), "--format", "json"]) == 0
    assert f"trained on {len(index)} of these {len(index)} videos" in capsys.readouterr().err
    other = require_asset(shared_home, "data/yt8m/video/validate0001.tfrecord")
    assert main(["yt8m", "eval", "--shards", str(other), "--model", str(tmp_path / "model"), "--format", "json"]) == 0
    assert "trained on" not in capsys.readouterr().err


def test_cli_train_refuses_evaluation_shards_holding_training_videos(tmp_path, one_shard, capsys):
    renamed = tmp_path / "copy.tfrecord"
    shutil.copyfile(one_shard, renamed)
    code = main(["yt8m", "train", "--shards", str(one_shard), "--eval-shards", str(renamed), "--out", str(tmp_path / "m")])
    assert code == 2
    error = capsys.readouterr().err
    assert "overlap the training shards" in error and "copy.tfrecord" in error
    assert not (tmp_path / "m").exists()


def test_cli_eval_scores_a_frame_level_shard_like_its_video_level_twin(tiny_model, tmp_path, shared_home, capsys):
    """A frame-level shard is scored through its videos' frame means: a model that never saw
    the shard gets about the same GAP as on the same videos' video-level features."""
    _, model = tiny_model  # trained on validate0000 only
    model.save(tmp_path / "model")
    video_level = require_asset(shared_home, "data/yt8m/video/validate0001.tfrecord")
    frame_level = tmp_path / "frames0001.tfrecord"
    twin = yt8m.load_index([video_level], use_cache=False, feature_dtype="float32")
    assert yt8m.write_frame_level_copy(frame_level, twin, np.arange(len(twin))) == len(twin)
    scores = {}
    for name, shard in (("video", video_level), ("frames", frame_level)):
        arguments = ["yt8m", "eval", "--shards", str(shard), "--model", str(tmp_path / "model"), "--format", "json"]
        assert main(arguments) == 0
        scores[name] = json.loads(capsys.readouterr().out)
    assert scores["frames"]["videos"] == scores["video"]["videos"] > 250
    assert 0.2 < scores["video"]["gap"] < 0.9  # a real held-out score, not a memory
    assert abs(scores["frames"]["gap"] - scores["video"]["gap"]) < 0.02
    assert abs(scores["frames"]["hit_at_1"] - scores["video"]["hit_at_1"]) < 0.03


def test_cli_bad_inputs_exit_2(tmp_path, capsys):
    assert main(["yt8m", "eval", "--shards", str(tmp_path / "*.tfrecord"), "--format", "json"]) == 2
    assert "No YouTube-8M shard file matches" in capsys.readouterr().err
    assert main(["yt8m", "filter", "--entity", "\"<b>&'%"]) == 2
    assert "No YouTube-8M entity" in capsys.readouterr().err


def test_cli_filter_and_vocab(one_shard, capsys):
    assert main(["yt8m", "vocab", "Cooking", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["index"] == 22
    assert main(["yt8m", "filter", "--shards", str(one_shard), "--entity", "Cooking", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["matches"] >= 1 and all("Cooking" in video["labels"] for video in result["videos"])
