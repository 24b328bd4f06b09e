"""The YouTube-8M video-level model: training (Keras, lazily imported), a numpy forward
pass for prediction, and the starter's metrics (GAP@20, hit@1).

Model (chosen by measurement on an inner shard-level split — trained on validate0000–0019,
tuned on 0020–0024 — then measured once on held-out shards, see ``assets/yt8m_model/metrics.json``):

1. ``members`` MLPs (different seeds, averaged) on ``[mean_rgb, mean_audio]`` (1152 floats) —
   batch norm → input dropout → Dense(hidden, ReLU) → batch norm → dropout → Dense(3862,
   sigmoid), output biases started at the log-odds of each entity's TrainVideoCount, AdamW;
2. two kernel methods over the same bank of training videos (per-modality L2-normalised
   features, the first ``bank_rgb_dims``/``bank_audio_dims`` PCA components): a k-nearest-
   neighbour vote (cosine similarity, softmax weights with a temperature) and kernel ridge
   regression (``ridge``: Gaussian kernel ``exp((cosine - 1) / ridge_tau)`` on the unit rows,
   ``ridge_lambda`` on the diagonal; its dual coefficients are solved from the bank when first
   needed — about 6 s, then kept in ``VIDCLASS_CACHE`` — so the model folder does not grow);
3. a re-ranker: for each video the top ``rerank_candidates`` entities of the blend (half MLP,
   half neighbour/ridge mix) are re-scored by a tiny MLP (``rerank_features``: the stages'
   scores, the entity's prior and training count, rank in the video, the video's best scores)
   trained on out-of-fold first-stage scores of the training videos (``rerank_folds`` folds by
   shard). It puts scores of different videos on one scale, which GAP (pooled over videos)
   rewards. Other entities score 0.

Saved form (a folder): ``model.npz`` with the batch norms folded into the dense layers, weights
as int8 with one float32 scale per output column (or float16), extra ensemble members as
``member1_…``, the kNN bank as int8 (or float16) unit rows + CSR labels, the re-ranker's small
float32 weights, the class prior; ``config.json``; ``metrics.json`` written by the training run.
Prediction needs numpy (and scipy for the ridge solve) only, so the app never imports
TensorFlow for it. Folders saved before the ensemble/re-ranker/ridge existed still load and
predict as they were trained.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidclass import store
from vidclass.errors import BadInputError
from vidclass.yt8m import AUDIO_SIZE, NUM_CLASSES, RGB_SIZE, VideoIndex

FEATURE_SIZE = RGB_SIZE + AUDIO_SIZE
SHIPPED_MODEL_FOLDER = Path(__file__).resolve().parents[1] / "assets" / "yt8m_model"
TRAIN_VIDEOS_IN_FULL_DATASET = 3_888_919  # videos in the YouTube-8M (2018) train partition


# --------------------------------------------------------------------------- metrics

def top_k_hits(scores: np.ndarray, labels: np.ndarray, top_k: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Each video's ``top_k`` best scores and whether each is a true label.

    scores: float [N, C]; labels: 0/1 [N, C]. Returns (scores float64 [N*k], hits bool [N*k]).
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and labels {labels.shape} must be the same [N, C] shape")
    if top_k <= 0:
        raise ValueError("top_k must be a positive integer")
    k = min(top_k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return (
        np.take_along_axis(scores, top, axis=1).ravel().astype(np.float64),
        np.take_along_axis(labels, top, axis=1).ravel() > 0,
    )


def global_average_precision(scores: np.ndarray, labels: np.ndarray, top_k: int = 20) -> float:
    """GAP@k exactly as the YouTube-8M starter's ``eval_util.calculate_gap``.

    Keep each video's top ``top_k`` predictions, pool them all, sort by score (highest
    first), and average the precision at every true hit, dividing by the number of
    true labels over all videos (also those outside anyone's top k). Returns a float in
    [0, 1]; 0.0 when there are no true labels. (The starter shuffles before sorting so
    ties fall randomly; here ties keep video order — only exact ties can differ.)
    """
    pooled_scores, pooled_hits = top_k_hits(scores, labels, top_k)
    positives = int((np.asarray(labels) > 0).sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-pooled_scores, kind="stable")
    hits = pooled_hits[order]
    ranks = np.arange(1, hits.size + 1)
    precision_at_hits = np.cumsum(hits)[hits] / ranks[hits]
    return float(precision_at_hits.sum() / positives)


def hit_at_one(scores: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of videos whose best-scored entity is one of its true labels (starter's hit@1)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 2 or scores.shape[0] == 0:
        raise ValueError("scores and labels must be the same non-empty [N, C] shape")
    return float((labels[np.arange(len(labels)), scores.argmax(axis=1)] > 0).mean())


# --------------------------------------------------------------------------- model

def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-6)


def bank_features(features: np.ndarray, rgb_dims: int, audio_dims: int, audio_weight: float) -> np.ndarray:
    """float32 [N, rgb_dims+audio_dims] unit rows for the neighbour vote: the leading
    components of rgb and audio (the dataset's features are PCA-ordered), each L2-normalised,
    audio scaled by ``audio_weight``, then the whole row normalised."""
    features = np.asarray(features, dtype=np.float32)
    rgb = _normalise_rows(features[:, :rgb_dims])
    audio = _normalise_rows(features[:, RGB_SIZE: RGB_SIZE + audio_dims]) * np.float32(audio_weight)
    return _normalise_rows(np.concatenate([rgb, audio], axis=1))


RERANK_FEATURES = (
    "mlp log-odds", "log neighbour vote", "neighbour vote > 0", "entity prior log-odds", "log rank in video",
    "log blend", "log video's best blend", "log video's best mlp", "log video's best neighbour vote",
    "log(1 + training videos with the entity)", "log video's candidate blend sum",
)


HELD_OUT_TOP = 20  # held-out guesses kept per training video (``VideoLevelModel.held_out_guesses``)

RIDGE_RERANK_FEATURES = ("log ridge", "log video's best ridge", "log neighbour vote alone")


def mix_bank_scores(neighbour: np.ndarray, ridge: np.ndarray | None, ridge_weight: float) -> np.ndarray:
    """float32 [N, C] scores of the bank stages: the neighbour vote alone when ``ridge`` is None,
    else ``(1 - ridge_weight) * neighbour + ridge_weight * ridge``."""
    neighbour = np.asarray(neighbour, dtype=np.float32)
    if ridge is None:
        return neighbour
    return (1.0 - ridge_weight) * neighbour + ridge_weight * np.asarray(ridge, dtype=np.float32)


def rerank_features(mlp: np.ndarray, neighbour: np.ndarray, class_prior: np.ndarray, class_counts: np.ndarray,
                    mlp_weight: float = 0.5, candidates: int = 40, ridge: np.ndarray | None = None,
                    ridge_weight: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The re-ranker's inputs for each video's best ``candidates`` entities.

    mlp, neighbour: float [N, C] first-stage scores in [0, 1]; class_prior float [C] log-odds;
    class_counts float [C] training videos per entity. Candidates are the top of the blend
    ``mlp_weight * mlp + (1 - mlp_weight) * neighbour``, best first. With ``ridge`` (float
    [N, C] kernel ridge scores) the neighbour slot holds ``(1 - ridge_weight) * neighbour +
    ridge_weight * ridge`` and three columns follow (``RIDGE_RERANK_FEATURES``). Returns
    (values float32 [N, K, F], candidates int64 [N, K]) with K = min(candidates, C) and F =
    len(RERANK_FEATURES) (+ len(RIDGE_RERANK_FEATURES) with ridge).
    """
    mlp = np.asarray(mlp, dtype=np.float32)
    neighbour = np.asarray(neighbour, dtype=np.float32)
    if mlp.shape != neighbour.shape or mlp.ndim != 2 or (ridge is not None and np.shape(ridge) != mlp.shape):
        raise ValueError("mlp, neighbour and ridge scores must be the same [N, C] shape")
    neighbour_alone = neighbour
    neighbour = mix_bank_scores(neighbour, ridge, ridge_weight)
    blend = mlp_weight * mlp + (1.0 - mlp_weight) * neighbour
    k = min(int(candidates), blend.shape[1])
    picked = np.argpartition(-blend, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(blend, picked, axis=1), axis=1, kind="stable")
    picked = np.take_along_axis(picked, order, axis=1)
    count = blend.shape[0]

    def per_video(column: np.ndarray) -> np.ndarray:
        return np.repeat(column.reshape(count, 1), k, axis=1)

    mlp_top = np.clip(np.take_along_axis(mlp, picked, axis=1), 1e-6, 1 - 1e-6)
    neighbour_top = np.take_along_axis(neighbour, picked, axis=1)
    blend_top = np.maximum(np.take_along_axis(blend, picked, axis=1), 1e-12)
    columns = [
        np.log(mlp_top / (1 - mlp_top)),
        np.log(neighbour_top + 1e-3),
        (neighbour_top > 0).astype(np.float32),
        np.asarray(class_prior, dtype=np.float32)[picked],
        np.repeat(np.log(np.arange(1, k + 1, dtype=np.float32))[None], count, axis=0),
        np.log(blend_top),
        per_video(np.log(blend_top[:, 0])),
        per_video(np.log(np.clip(mlp.max(axis=1), 1e-6, 1.0))),
        per_video(np.log(neighbour.max(axis=1) + 1e-3)),
        np.log1p(np.asarray(class_counts, dtype=np.float32)[picked]),
        per_video(np.log(blend_top.sum(axis=1))),
    ]
    if ridge is not None:
        ridge = np.asarray(ridge, dtype=np.float32)
        columns += [
            np.log(np.take_along_axis(ridge, picked, axis=1) + 1e-3),
            per_video(np.log(ridge.max(axis=1) + 1e-3)),
            np.log(np.take_along_axis(neighbour_alone, picked, axis=1) + 1e-3),
        ]
    return np.stack(columns, axis=-1).astype(np.float32), picked.astype(np.int64)


def ridge_kernel(similarity: np.ndarray, tau: float) -> np.ndarray:
    """float32 Gaussian kernel ``exp((cosine - 1) / tau)`` of unit rows' cosine ``similarity``
    (= exp(-|a - b|² / (2 tau))); values in (0, 1]."""
    return np.exp((np.asarray(similarity, dtype=np.float32) - 1.0) / np.float32(tau))


def ridge_system(bank: np.ndarray, tau: float, regularisation: float) -> np.ndarray:
    """float32 [M, M]: K + λI, K = ``ridge_kernel`` of the bank's unit rows float [M, D]."""
    bank = np.asarray(bank, dtype=np.float32)
    system = ridge_kernel(bank @ bank.T, tau)
    system[np.diag_indices_from(system)] += np.float32(regularisation)
    return system


def kernel_ridge_factor(bank: np.ndarray, tau: float, regularisation: float):
    """scipy ``cho_factor`` (lower) of ``ridge_system(bank, tau, regularisation)``."""
    import scipy.linalg

    return scipy.linalg.cho_factor(ridge_system(bank, tau, regularisation), lower=True, overwrite_a=True,
                                   check_finite=False)


def fit_kernel_ridge(bank: np.ndarray, labels: np.ndarray, tau: float, regularisation: float):
    """Kernel ridge regression of 0/1 labels on the bank's unit rows.

    bank float [M, D] unit rows; labels 0/1 [M, U] (one column per entity that occurs). Returns
    dual float32 [M, U] with ``ridge_kernel(query @ bank.T) @ dual`` the predicted labels.
    Costs O(M³ + M²·U): about 6 s for 8,908 videos × 2,550 entities on two cores.
    """
    import scipy.linalg

    factor = kernel_ridge_factor(bank, tau, regularisation)
    dual = scipy.linalg.cho_solve(factor, np.asarray(labels, dtype=np.float32), check_finite=False)
    return dual.astype(np.float32)


def _load_cached_dual(path: Path | None, shape: tuple) -> np.ndarray | None:
    """The float32 array in ``path`` if it is there with ``shape``; None otherwise (a damaged
    file is solved again, not trusted)."""
    if path is None or not path.is_file():
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return array if array.shape == shape and array.dtype == np.float32 else None


def _save_cached_dual(path: Path | None, dual: np.ndarray) -> None:
    """Keep ``dual`` in ``path`` for the next process; an unwritable cache only costs speed."""
    if path is None:
        return
    try:
        store.write_atomically(path, lambda temporary: np.save(temporary, np.asarray(dual, dtype=np.float32)))
    except OSError:
        pass


def _csr_positions(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For labels stored as CSR (``offsets`` int [M+1] into a values array) and ``rows`` int [R]:
    (owner int [P]: which of ``rows`` each label belongs to, position int [P] in the values)."""
    counts = np.diff(offsets)[rows]
    owner = np.repeat(np.arange(rows.size), counts)
    position = offsets[rows][owner] + (np.arange(counts.sum()) - (np.cumsum(counts) - counts)[owner])
    return owner, position


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    """float32 logistic of ``logits`` (clipped to ±30 so exp never overflows)."""
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))).astype(np.float32)


def rerank_forward(layers: list, values: np.ndarray) -> np.ndarray:
    """float32 [...] probabilities of the re-ranker MLP (ReLU hidden layers, sigmoid output)
    for standardised ``values`` float [..., F]; ``layers`` = [w1, b1, w2, b2, …]."""
    hidden = np.asarray(values, dtype=np.float32)
    for number in range(0, len(layers), 2):
        hidden = hidden @ layers[number] + layers[number + 1]
        if number + 2 < len(layers):
            hidden = np.maximum(hidden, 0.0)
    return _sigmoid(hidden[..., 0])


@dataclass
class VideoLevelModel:
    """A trained video-level classifier, numpy (+ scipy for the ridge solve), no TensorFlow.

    dense1_weight float32 [1152, H], dense1_bias [H], dense2_weight [H, C], dense2_bias [C]
    (batch norms already folded in); ``extra_members``: more such (w1, b1, w2, b2) tuples whose
    sigmoid scores are averaged with the first. Optional neighbour bank: ``bank`` float16 [M, D] unit
    rows (stored as int8 with a per-row scale, or float16), ``bank_label_offsets`` int64 [M+1], ``bank_label_values`` int32.
    Optional re-ranker: ``reranker`` [w1 float32 [F, R], b1 [R], w2 [R, 1], b2 [1]],
    ``rerank_mean``/``rerank_std`` float32 [F], ``class_prior`` float32 [C] log-odds.
    Optional held-out guesses for the training videos (``held_out_guesses``): ``held_out_ids``
    str [M], ``held_out_classes`` int16 [M, K] and ``held_out_scores`` float16 [M, K] best first,
    ``held_out_folds`` int8 [M].
    ``config``: neighbours, temperature, mlp_weight, bank_rgb_dims, bank_audio_dims,
    bank_audio_weight, ridge, ridge_tau, ridge_lambda, ridge_weight, hidden, epochs, … ;
    ``metrics``: what ``metrics.json`` says. The kernel ridge dual coefficients are solved from
    the bank on first use (once, under a lock, so sessions can share one model) and, with
    ``cache_ridge``, kept in the writable cache for the next process.
    """

    dense1_weight: np.ndarray
    dense1_bias: np.ndarray
    dense2_weight: np.ndarray
    dense2_bias: np.ndarray
    config: dict
    bank: np.ndarray | None = None
    bank_label_offsets: np.ndarray | None = None
    bank_label_values: np.ndarray | None = None
    metrics: dict = field(default_factory=dict)
    folder: str = ""
    extra_members: list = field(default_factory=list)
    reranker: list = field(default_factory=list)
    rerank_mean: np.ndarray | None = None
    rerank_std: np.ndarray | None = None
    class_prior: np.ndarray | None = None
    held_out_ids: np.ndarray | None = None
    held_out_classes: np.ndarray | None = None
    held_out_scores: np.ndarray | None = None
    held_out_folds: np.ndarray | None = None
    cache_ridge: bool = True
    _ridge: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _ridge_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def num_classes(self) -> int:
        return int(self.dense2_bias.shape[0])

    def mlp_scores(self, features: np.ndarray) -> np.ndarray:
        """float32 [N, C] sigmoid scores of the MLP part (the mean over the ensemble members)."""
        members = [(self.dense1_weight, self.dense1_bias, self.dense2_weight, self.dense2_bias), *self.extra_members]
        total = np.zeros((features.shape[0], self.num_classes), dtype=np.float32)
        for weight1, bias1, weight2, bias2 in members:
            hidden = np.maximum(features @ weight1 + bias1, 0.0)
            logits = hidden @ weight2 + bias2
            total += _sigmoid(logits)
        return total / np.float32(len(members))

    def bank_class_counts(self) -> np.ndarray:
        """float32 [C]: how many bank (training) videos carry each entity."""
        return np.bincount(self.bank_label_values, minlength=self.num_classes)[: self.num_classes].astype(np.float32)

    @property
    def uses_ridge(self) -> bool:
        return self.bank is not None and bool(self.config.get("ridge", False))

    def bank_label_matrix(self, rows=None, classes=None) -> np.ndarray:
        """float32 0/1 [R, U]: the labels of bank ``rows`` (default: all) over ``classes`` int [U]
        (default: every entity found in the bank, ascending)."""
        rows = np.arange(self.bank.shape[0]) if rows is None else np.asarray(rows)
        classes = np.unique(self.bank_label_values) if classes is None else np.asarray(classes)
        owner, positions = _csr_positions(self.bank_label_offsets, rows)
        matrix = np.zeros((rows.size, classes.size), dtype=np.float32)
        matrix[owner, np.searchsorted(classes, self.bank_label_values[positions])] = 1.0
        return matrix

    def _ridge_fit(self) -> dict:
        """The kernel ridge state: ``classes`` int [U] (entities found in the bank) and ``dual``
        float32 [M, U].

        Solved once per model and kept in ``VIDCLASS_CACHE/yt8m_ridge`` (keyed by a hash of the
        bank, its labels and the ridge settings), so the next process loads it instead.
        """
        with self._ridge_lock:
            state = self._ridge
            if "dual" not in state:
                classes = np.unique(self.bank_label_values)
                cache = self._ridge_cache_path()
                dual = _load_cached_dual(cache, (self.bank.shape[0], classes.size))
                if dual is None:
                    dual = fit_kernel_ridge(self.bank, self.bank_label_matrix(), self.config["ridge_tau"],
                                            self.config["ridge_lambda"])
                    _save_cached_dual(cache, dual)
                state.update(classes=classes, dual=dual)
            return state

    def _ridge_cache_path(self) -> Path | None:
        """``…/yt8m_ridge/<hash>.dual.npy`` for this bank, its labels and ridge settings (None:
        not cached)."""
        if not self.cache_ridge:
            return None
        digest = hashlib.sha256(f"{self.config['ridge_tau']!r}:{self.config['ridge_lambda']!r}".encode())
        for array in (np.asarray(self.bank, dtype=np.float32), self.bank_label_offsets, self.bank_label_values):
            digest.update(np.ascontiguousarray(array).tobytes())
        try:
            return store.cache_dir("yt8m_ridge") / f"{digest.hexdigest()[:32]}.dual.npy"
        except OSError:
            return None

    def warm_up(self) -> None:
        """Solve the kernel ridge stage now, so the first prediction is not the slow one; nothing
        to do for a model without ridge."""
        if self.uses_ridge:
            self._ridge_fit()

    def bank_scores(self, features: np.ndarray, chunk: int = 512):
        """Scores from the bank of training videos: (neighbour float32 [N, C], ridge float32 [N, C]
        or None when the model has no ridge stage).

        neighbour: the softmax-weighted label vote of the ``neighbours`` nearest bank videos;
        ridge: kernel ridge regression, clipped to [0, 1].
        """
        config = self.config
        query = bank_features(features, config["bank_rgb_dims"], config["bank_audio_dims"], config["bank_audio_weight"])
        bank = np.asarray(self.bank, dtype=np.float32)
        k = min(int(config["neighbours"]), bank.shape[0])
        neighbour = np.zeros((features.shape[0], self.num_classes), dtype=np.float32)
        ridge_state = self._ridge_fit() if self.uses_ridge else None
        ridge = np.zeros_like(neighbour) if ridge_state else None
        for start in range(0, features.shape[0], chunk):
            similarity = query[start: start + chunk] @ bank.T
            if ridge_state:
                ridge[start: start + len(similarity)] = self._ridge_chunk(ridge_state, similarity)
            nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
            nearest_similarity = np.take_along_axis(similarity, nearest, axis=1)
            weights = np.exp((nearest_similarity - nearest_similarity.max(axis=1, keepdims=True)) / config["temperature"])
            weights /= weights.sum(axis=1, keepdims=True)
            owner, positions = _csr_positions(self.bank_label_offsets, nearest.ravel())
            flat_targets = (owner // k) * self.num_classes + self.bank_label_values[positions]
            votes = np.bincount(flat_targets, weights=weights.ravel()[owner], minlength=len(nearest) * self.num_classes)
            neighbour[start: start + len(nearest)] = votes.reshape(len(nearest), self.num_classes)
        return neighbour, ridge

    def _ridge_chunk(self, state: dict, similarity: np.ndarray) -> np.ndarray:
        """float32 [n, C] ridge scores for one chunk of query-bank cosine ``similarity`` [n, M]."""
        fitted = ridge_kernel(similarity, self.config["ridge_tau"]) @ state["dual"]
        scores = np.zeros((similarity.shape[0], self.num_classes), dtype=np.float32)
        scores[:, state["classes"]] = np.clip(fitted, 0.0, 1.0)
        return scores

    def predict(self, features: np.ndarray) -> np.ndarray:
        """float32 [N, C] scores in [0, 1] for features float [N, 1152] (``[mean_rgb, mean_audio]``)."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2 or features.shape[1] != FEATURE_SIZE:
            raise BadInputError(f"The YouTube-8M model needs {FEATURE_SIZE} features per video, not {features.shape[-1]}.")
        scores = self.mlp_scores(features)
        if self.bank is not None and self.config.get("mlp_weight", 1.0) < 1.0:
            weight = float(self.config["mlp_weight"])
            neighbour, ridge = self.bank_scores(features)
            if self.reranker:
                return self.rerank(scores, neighbour, ridge)
            scores = weight * scores + (1.0 - weight) * mix_bank_scores(
                neighbour, ridge, float(self.config.get("ridge_weight", 0.5)))
        return scores

    def rerank(self, mlp: np.ndarray, neighbour: np.ndarray, ridge: np.ndarray | None = None) -> np.ndarray:
        """float32 [N, C] re-ranker probabilities for each video's candidates (0 elsewhere),
        from first-stage ``mlp``, ``neighbour`` (and ``ridge``) scores float32 [N, C]."""
        values, candidates = rerank_features(
            mlp, neighbour, self.class_prior, self.bank_class_counts(),
            float(self.config["mlp_weight"]), int(self.config["rerank_candidates"]),
            ridge, float(self.config.get("ridge_weight", 0.5)))
        probability = rerank_forward(self.reranker, (values - self.rerank_mean) / self.rerank_std)
        result = np.zeros_like(mlp, dtype=np.float32)
        np.put_along_axis(result, candidates, probability.astype(np.float32), axis=1)
        return result

    def predict_index(self, index: VideoIndex, rows=None, batch: int = 2048) -> np.ndarray:
        """float32 [n, C] scores for ``rows`` of an index (default: all)."""
        rows = np.arange(len(index)) if rows is None else np.asarray(rows)
        parts = [self.predict(index.features(rows[start: start + batch])) for start in range(0, len(rows), batch)]
        return np.concatenate(parts) if parts else np.zeros((0, self.num_classes), dtype=np.float32)

    def top_predictions(self, features: np.ndarray, top: int = 10) -> list[list[tuple[int, float]]]:
        """Per video: ``[(entity index, score), …]`` best first (for a video the model trained on,
        see ``held_out_guesses``)."""
        scores = self.predict(np.atleast_2d(features))
        order = np.argsort(-scores, axis=1)[:, :top]
        return [[(int(i), float(row[i])) for i in picks] for row, picks in zip(scores, order)]

    def held_out_guesses(self, video_id: str, top: int = 10) -> tuple[list[tuple[int, float]], int] | None:
        """For a video the model trained on: ``([(entity index, score), …] best first, fold)``, the
        guesses of the fold model trained without the video's shard (then passed through the
        re-ranker), so they are a fair test of the recipe. None for any other video, or a model
        trained without re-ranker folds."""
        if self.held_out_ids is None:
            return None
        found = np.flatnonzero(self.held_out_ids == str(video_id))
        if found.size == 0:
            return None
        position = int(found[0])
        pairs = zip(self.held_out_classes[position, :top], self.held_out_scores[position, :top])
        return [(int(entity), float(score)) for entity, score in pairs], int(self.held_out_folds[position])

    def trained_on(self, video_ids, shard_names) -> np.ndarray:
        """bool [N]: which videos (ids str [N], each in the shard file named ``shard_names``
        str [N]) this model trained on. By id when the model keeps the ids of its training
        videos (with their held-out guesses), so a renamed copy of a training shard is still
        noticed; else by shard file name (``config["train_shards"]``)."""
        if self.held_out_ids is not None:
            return np.isin(np.asarray(video_ids).astype(str), self.held_out_ids)
        return np.isin(np.asarray(shard_names).astype(str), np.asarray(self.config.get("train_shards", []), dtype=str))

    # ----------------------------------------------------------------- saving

    def save(self, folder: str | os.PathLike, weight_format: str = "int8") -> Path:
        """Write ``model.npz`` + ``config.json`` into ``folder`` (created). ``weight_format``:
        "int8" (one float32 scale per output column) or "float16"."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"dense1_bias": self.dense1_bias.astype(np.float32), "dense2_bias": self.dense2_bias.astype(np.float32)}
        named = {"dense1_weight": self.dense1_weight, "dense2_weight": self.dense2_weight}
        for number, (weight1, bias1, weight2, bias2) in enumerate(self.extra_members, start=1):
            named[f"member{number}_dense1_weight"], named[f"member{number}_dense2_weight"] = weight1, weight2
            arrays[f"member{number}_dense1_bias"] = bias1.astype(np.float32)
            arrays[f"member{number}_dense2_bias"] = bias2.astype(np.float32)
        for number, layer in enumerate(self.reranker):
            arrays[f"rerank_{number}"] = np.asarray(layer, dtype=np.float32)
        if self.reranker:
            arrays["rerank_mean"] = self.rerank_mean.astype(np.float32)
            arrays["rerank_std"] = self.rerank_std.astype(np.float32)
            arrays["class_prior"] = self.class_prior.astype(np.float32)
        if self.held_out_ids is not None:
            arrays["held_out_ids"] = np.asarray(self.held_out_ids).astype("S")
            arrays["held_out_classes"] = self.held_out_classes.astype(np.int16)
            arrays["held_out_scores"] = self.held_out_scores.astype(np.float16)
            arrays["held_out_folds"] = self.held_out_folds.astype(np.int8)
        for name, weight in named.items():
            weight = weight.astype(np.float32)
            if weight_format == "int8":
                scale = np.maximum(np.abs(weight).max(axis=0), 1e-12) / 127.0
                arrays[name + "_int8"] = np.round(weight / scale).astype(np.int8)
                arrays[name + "_scale"] = scale.astype(np.float32)
            elif weight_format == "float16":
                arrays[name + "_float16"] = weight.astype(np.float16)
            else:
                raise ValueError("weight_format must be 'int8' or 'float16'")
        if self.bank is not None:
            bank = self.bank.astype(np.float32)
            if weight_format == "int8":
                bank_scale = np.maximum(np.abs(bank).max(axis=1, keepdims=True), 1e-12) / 127.0
                arrays["bank_int8"] = np.round(bank / bank_scale).astype(np.int8)
                arrays["bank_scale"] = bank_scale.astype(np.float32)
            else:
                arrays["bank"] = bank.astype(np.float16)
            arrays["bank_label_offsets"] = self.bank_label_offsets.astype(np.int64)
            arrays["bank_label_values"] = self.bank_label_values.astype(np.int16)
        store.write_atomically(folder / "model.npz", lambda temporary: np.savez_compressed(temporary, **arrays))
        (folder / "config.json").write_text(json.dumps(self.config, indent=2) + "\n", encoding="utf-8")
        if self.metrics:
            (folder / "metrics.json").write_text(json.dumps(self.metrics, indent=2) + "\n", encoding="utf-8")
        return folder


def load_model(folder: str | os.PathLike | None = None) -> VideoLevelModel:
    """Load a saved model folder (default: ``$VIDCLASS_YT8M_MODEL`` or the shipped
    ``assets/yt8m_model``).

    ``BadInputError`` when the folder has no readable ``model.npz``/``config.json``.
    """
    if folder is None:
        folder = os.environ.get("VIDCLASS_YT8M_MODEL") or SHIPPED_MODEL_FOLDER
    folder = Path(folder)
    model_path, config_path = folder / "model.npz", folder / "config.json"
    if not model_path.is_file() or not config_path.is_file():
        raise BadInputError(f"{folder} is not a YouTube-8M model folder (it needs model.npz and config.json).")
    metrics_path = folder / "metrics.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        with np.load(model_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:  # cut short or damaged
        raise BadInputError(f"The YouTube-8M model in {folder} cannot be read ({type(error).__name__}).") from None

    for name in ("dense1_bias", "dense2_bias"):
        if name not in arrays:
            raise BadInputError(f"The YouTube-8M model in {folder} lacks {name}.")

    def weight(name: str) -> np.ndarray:
        if name + "_int8" in arrays:
            return arrays[name + "_int8"].astype(np.float32) * arrays[name + "_scale"]
        if name + "_float16" in arrays:
            return arrays[name + "_float16"].astype(np.float32)
        raise BadInputError(f"The YouTube-8M model in {folder} lacks {name}.")

    extra_members = []
    number = 1
    while f"member{number}_dense1_bias" in arrays:
        extra_members.append((weight(f"member{number}_dense1_weight"), arrays[f"member{number}_dense1_bias"],
                              weight(f"member{number}_dense2_weight"), arrays[f"member{number}_dense2_bias"]))
        number += 1
    reranker = []
    while f"rerank_{len(reranker)}" in arrays:
        reranker.append(arrays[f"rerank_{len(reranker)}"])
    return VideoLevelModel(
        dense1_weight=weight("dense1_weight"),
        dense1_bias=arrays["dense1_bias"],
        dense2_weight=weight("dense2_weight"),
        dense2_bias=arrays["dense2_bias"],
        config=config,
        bank=(arrays["bank_int8"].astype(np.float32) * arrays["bank_scale"])
        if "bank_int8" in arrays else (arrays["bank"].astype(np.float32) if "bank" in arrays else None),
        bank_label_offsets=arrays.get("bank_label_offsets"),
        bank_label_values=arrays["bank_label_values"].astype(np.int32) if "bank_label_values" in arrays else None,
        metrics=metrics,
        folder=str(folder),
        extra_members=extra_members,
        reranker=reranker,
        rerank_mean=arrays.get("rerank_mean"),
        rerank_std=arrays.get("rerank_std"),
        class_prior=arrays.get("class_prior"),
        held_out_ids=arrays["held_out_ids"].astype(str) if "held_out_ids" in arrays else None,
        held_out_classes=arrays.get("held_out_classes"),
        held_out_scores=arrays.get("held_out_scores"),
        held_out_folds=arrays.get("held_out_folds"),
    )


# --------------------------------------------------------------------------- training

DEFAULT_CONFIG = {
    "members": 2,
    "rerank": True,
    "rerank_folds": 4,
    "rerank_candidates": 60,
    "rerank_hidden": 32,
    "rerank_epochs": 10,
    "rerank_learning_rate": 0.003,
    "hidden": 1024,
    "dropout": 0.5,
    "input_dropout": 0.2,
    "weight_decay": 0.001,
    "epochs": 8,
    "batch_size": 128,
    "learning_rate": 0.001,
    "seed": 0,
    "mlp_weight": 0.5,
    "neighbours": 50,
    "temperature": 0.1,
    "bank_rgb_dims": 384,
    "bank_audio_dims": 96,
    "bank_audio_weight": 0.5,
    "ridge": True,
    "ridge_tau": 2.0,
    "ridge_lambda": 0.01,
    "ridge_weight": 0.5,
}


def prior_logits(vocabulary, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """float32 [C]: log-odds of each entity's share of the full train partition (TrainVideoCount)."""
    counts = np.zeros(num_classes, dtype=np.float64)
    known = vocabulary.train_video_counts[:num_classes]
    counts[: known.shape[0]] = known
    share = np.clip(counts / TRAIN_VIDEOS_IN_FULL_DATASET, 1e-7, 0.5)
    return np.log(share / (1.0 - share)).astype(np.float32)


def _fold_batch_norm(layer_weights: dict, epsilon: float = 1e-3):
    """Return (scale, shift) so that batch_norm(x) == x * scale + shift."""
    gamma, beta, mean, variance = layer_weights
    scale = gamma / np.sqrt(variance + epsilon)
    return scale.astype(np.float32), (beta - mean * scale).astype(np.float32)


def _train_mlp(features: np.ndarray, labels: np.ndarray, settings: dict, seed: int, prior: np.ndarray, progress=None):
    """Train one MLP with Keras; return (w1, b1, w2, b2) float32 with the batch norms folded in."""
    import keras

    keras.utils.set_random_seed(int(seed))
    inputs = keras.Input((FEATURE_SIZE,))
    normalised = keras.layers.BatchNormalization(name="input_norm")(inputs)
    if float(settings["input_dropout"]) > 0:
        normalised = keras.layers.Dropout(float(settings["input_dropout"]))(normalised)
    hidden = keras.layers.Dense(int(settings["hidden"]), activation="relu", name="dense1")(normalised)
    hidden = keras.layers.BatchNormalization(name="hidden_norm")(hidden)
    hidden = keras.layers.Dropout(float(settings["dropout"]))(hidden)
    outputs = keras.layers.Dense(
        NUM_CLASSES, activation="sigmoid", name="dense2", bias_initializer=keras.initializers.Constant(prior),
    )(hidden)
    network = keras.Model(inputs, outputs)
    optimizer = keras.optimizers.AdamW(float(settings["learning_rate"]), weight_decay=float(settings["weight_decay"]))
    network.compile(optimizer=optimizer, loss="binary_crossentropy")
    for _ in range(int(settings["epochs"])):
        network.fit(features, labels, batch_size=int(settings["batch_size"]), epochs=1, verbose=0, shuffle=True)
        if progress is not None:
            progress()
    in_scale, in_shift = _fold_batch_norm(network.get_layer("input_norm").get_weights())
    hidden_scale, hidden_shift = _fold_batch_norm(network.get_layer("hidden_norm").get_weights())
    weight1, bias1 = network.get_layer("dense1").get_weights()
    weight2, bias2 = network.get_layer("dense2").get_weights()
    return (
        (in_scale[:, None] * weight1).astype(np.float32),
        (bias1 + in_shift @ weight1).astype(np.float32),
        (hidden_scale[:, None] * weight2).astype(np.float32),
        (bias2 + hidden_shift @ weight2).astype(np.float32),
    )


def _fold_numbers(index: VideoIndex, rows: np.ndarray, folds: int) -> np.ndarray:
    """int [n]: a fold for each row, whole shards per fold (the rank of the row's shard among
    the rows' shards, % folds); rows % folds when the rows come from fewer shards than folds."""
    distinct, shard_rank = np.unique(index.shard_of(rows), return_inverse=True)
    if distinct.size >= folds:
        return shard_rank % folds
    return np.arange(rows.size) % folds


def _bank_arrays(index: VideoIndex, rows: np.ndarray, features: np.ndarray, settings: dict):
    bank = bank_features(features, settings["bank_rgb_dims"], settings["bank_audio_dims"], settings["bank_audio_weight"])
    counts = index.label_counts[rows]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    values = np.concatenate([index.labels(int(row)) for row in rows]).astype(np.int32)
    return bank.astype(np.float16), offsets, values


def _rerank_training_data(index: VideoIndex, rows: np.ndarray, features: np.ndarray, labels: np.ndarray, folds: int,
                          settings: dict, prior: np.ndarray, step):
    """The re-ranker's training rows: for each fold of shards, an MLP + neighbour bank trained
    on the other folds scores the fold's videos. ``features``/``labels`` are those of ``rows``.

    Returns (values float32 [n, K, F], targets float32 [n, K]: 1 where the candidate is a true
    label, candidates int64 [n, K], positions int [n]: which of ``rows`` each video is, fold int [n]).
    """
    fold_of_row = _fold_numbers(index, rows, folds)
    parts = []
    for fold in range(folds):
        held = fold_of_row == fold
        inside_features = features[~held]
        fold_model = VideoLevelModel(*_train_mlp(inside_features, labels[~held], settings,
                                                 int(settings["seed"]) + 100 + fold, prior, step), config=settings,
                                      cache_ridge=False)  # used once, here
        fold_model.bank, fold_model.bank_label_offsets, fold_model.bank_label_values = _bank_arrays(
            index, rows[~held], inside_features, settings)
        counts = fold_model.bank_class_counts() * np.float32(rows.size / (~held).sum())
        neighbour, ridge = fold_model.bank_scores(features[held])
        values, candidates = rerank_features(
            fold_model.mlp_scores(features[held]), neighbour, prior, counts,
            float(settings["mlp_weight"]), int(settings["rerank_candidates"]), ridge, float(settings["ridge_weight"]))
        targets = np.take_along_axis(labels[held], candidates, axis=1)
        parts.append((values, targets, candidates, np.flatnonzero(held), np.full(int(held.sum()), fold)))
    values, targets, candidates, positions, fold_numbers = (np.concatenate(column) for column in zip(*parts))
    return values, targets.astype(np.float32), candidates, positions, fold_numbers


def held_out_top(scores: np.ndarray, candidates: np.ndarray, top: int = HELD_OUT_TOP) -> tuple[np.ndarray, np.ndarray]:
    """Each video's best ``top`` candidates by score: (classes int16 [n, top], scores float16
    [n, top]), best first, from re-ranker ``scores`` float [n, K] of ``candidates`` int [n, K]."""
    top = min(int(top), candidates.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :top]
    return (np.take_along_axis(candidates, order, axis=1).astype(np.int16),
            np.take_along_axis(scores, order, axis=1).astype(np.float16))


def held_out_summary(scores: np.ndarray, candidates: np.ndarray, labels: np.ndarray, folds: int) -> dict:
    """GAP@20 and hit@1 of the training videos' held-out guesses (re-ranker ``scores`` float
    [n, K] of ``candidates`` int [n, K]; ``labels`` 0/1 [n, C]), with what they mean."""
    dense = np.zeros(labels.shape, dtype=np.float32)
    np.put_along_axis(dense, candidates, scores.astype(np.float32), axis=1)
    return {
        "gap": round(global_average_precision(dense, labels), 4),
        "hit_at_1": round(hit_at_one(dense, labels), 4),
        "videos": int(labels.shape[0]),
        "how": f"each training video scored by the first stage of a {folds}-fold split of whole shards trained "
               "without its shard, then by the re-ranker (fitted on these out-of-fold rows)",
    }


def _fit_reranker(values: np.ndarray, targets: np.ndarray, settings: dict):
    """Fit the re-ranker MLP on standardised ``values``; returns (layers [w1, b1, w2, b2] float32,
    mean float32 [F], std float32 [F])."""
    import keras

    mean, std = values.mean(axis=0), values.std(axis=0) + 1e-6
    keras.utils.set_random_seed(int(settings["seed"]))
    reranker = keras.Sequential([
        keras.Input((values.shape[1],)),
        keras.layers.Dense(int(settings["rerank_hidden"]), activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    reranker.compile(optimizer=keras.optimizers.Adam(float(settings["rerank_learning_rate"])), loss="binary_crossentropy")
    reranker.fit((values - mean) / std, targets, batch_size=1024, epochs=int(settings["rerank_epochs"]), verbose=0, shuffle=True)
    layers = [np.asarray(array, dtype=np.float32) for layer in reranker.layers for array in layer.get_weights()]
    return layers, mean.astype(np.float32), std.astype(np.float32)


def train_model(index: VideoIndex, rows=None, vocabulary=None, config: dict | None = None, progress=None) -> VideoLevelModel:
    """Train the MLP ensemble (+ neighbour bank, + re-ranker) on ``rows`` of ``index`` (default: all).

    ``progress(fraction, message)`` is called after each epoch. Runs Keras on the CPU;
    a few minutes for ~7,000 videos (``members`` MLPs, plus ``rerank_folds`` out-of-fold MLPs
    for the re-ranker). Returns a numpy ``VideoLevelModel``.
    """
    settings = dict(DEFAULT_CONFIG)
    settings.update(config or {})
    rows = np.arange(len(index)) if rows is None else np.asarray(rows)
    if rows.size == 0:
        raise BadInputError("There are no YouTube-8M videos to train on.")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if vocabulary is None:
        from vidclass.yt8m import load_vocabulary

        vocabulary = load_vocabulary()
    prior = prior_logits(vocabulary)
    features = index.features(rows)
    labels = index.label_matrix(rows)
    members = max(1, int(settings["members"]))
    use_bank = float(settings["mlp_weight"]) < 1.0
    settings["ridge"] = bool(use_bank and settings["ridge"])
    folds = int(settings["rerank_folds"]) if use_bank and settings.get("rerank") else 0
    if folds and rows.size < 2 * folds:
        folds = 0
    total_epochs = int(settings["epochs"]) * (members + folds)
    done = [0]

    def step(message: str = "Trained epoch"):
        done[0] += 1
        if progress is not None:
            progress(done[0] / max(total_epochs, 1), f"{message} {done[0]} of {total_epochs}")

    started = time.perf_counter()
    trained = [_train_mlp(features, labels, settings, int(settings["seed"]) + number, prior, step) for number in range(members)]
    first = trained[0]
    model = VideoLevelModel(
        dense1_weight=first[0], dense1_bias=first[1], dense2_weight=first[2], dense2_bias=first[3],
        config=settings, extra_members=trained[1:],
    )
    if use_bank:
        model.bank, model.bank_label_offsets, model.bank_label_values = _bank_arrays(index, rows, features, settings)
    if folds:
        values, targets, candidates, positions, fold_numbers = _rerank_training_data(
            index, rows, features, labels, folds, settings, prior, step)
        flat_values = values.reshape(-1, values.shape[-1])
        model.reranker, model.rerank_mean, model.rerank_std = _fit_reranker(flat_values, targets.reshape(-1), settings)
        model.class_prior = prior
        scores = rerank_forward(model.reranker, (values - model.rerank_mean) / model.rerank_std)
        model.held_out_classes, model.held_out_scores = held_out_top(scores, candidates)
        model.held_out_ids = np.asarray(index.ids[rows[positions]]).astype(str)
        model.held_out_folds = fold_numbers.astype(np.int8)
        settings["held_out_guesses"] = held_out_summary(scores, candidates, labels[positions], folds)
    settings["rerank"] = bool(folds)
    settings["architecture"] = ("mlp-ensemble" if members > 1 else "mlp") + ("+knn" if use_bank else "") + (
        "+ridge" if settings["ridge"] else "") + ("+reranker" if folds else "")
    settings["train_seconds"] = round(time.perf_counter() - started, 1)
    settings["train_videos"] = int(rows.size)
    return model


def evaluate_model(model: VideoLevelModel, index: VideoIndex, rows=None, top_k: int = 20) -> dict:
    """``{"gap": GAP@top_k, "hit_at_1": …, "videos": n}`` of ``model`` on ``rows`` (default: all)."""
    rows = np.arange(len(index)) if rows is None else np.asarray(rows)
    if rows.size == 0:
        raise BadInputError("There are no YouTube-8M videos to evaluate on.")
    started = time.perf_counter()
    scores = model.predict_index(index, rows)
    seconds = time.perf_counter() - started
    labels = index.label_matrix(rows, num_classes=model.num_classes)
    return {
        "gap": round(global_average_precision(scores, labels, top_k), 4),
        "hit_at_1": round(hit_at_one(scores, labels), 4),
        "videos": int(rows.size),
        "predict_seconds": round(seconds, 3),
    }
