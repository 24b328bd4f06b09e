"""Training a CNN + GRU head: cached frame features, fitting, metrics and plots.

Flow: ``extract_features`` (sample every clip, encode its frames, cache the result per
clip) → ``fit_head`` (a masked GRU head on the cached features) → ``evaluate`` (accuracy,
per-class precision/recall, confusion matrix) → ``train`` writes a head folder
(``head.keras``, ``classes.json``, ``config.json``, ``metrics.json``,
``confusion_matrix.png``, ``training_curves.png``).

Feature cache: one ``.npz`` per clip under ``store.cache_dir("features", encoder,
sampling key)`` named by the clip's sha256, holding ``features`` float16 [T, D] and
``mask`` bool [T]. A second run with the same clips, encoder and sampling decodes nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from vidclass import store
from vidclass.datasets import ClipListing, LabelledClip, split_by_group
from vidclass.encoders import DEFAULT_ENCODER
from vidclass.errors import BadInputError
from vidclass.sampling import CENTRE_VIEW, SamplingConfig, sample_frames, spatial_views, wide_frame_shape
from vidclass.video import Clip

Progress = Callable[[float, str], None]


def sampling_for(
    input_size: int, strategy: str = "uniform", num_frames: int = 20, geometry: str = "crop", views: int = 1,
) -> SamplingConfig:
    """The sampling a head uses with an encoder of ``input_size`` pixels: squares of that size
    (centre crop or pad), or — with ``views`` > 1 — 4:3 frames as high, cut into views later."""
    if views == 1:
        return SamplingConfig(strategy=strategy, num_frames=int(num_frames), size=int(input_size), geometry=geometry)
    if geometry != "crop":
        raise BadInputError("Spatial views (3 or 6) cut squares out of the frame: use them with the crop geometry, not pad.")
    return SamplingConfig(strategy=strategy, num_frames=int(num_frames), size=wide_frame_shape(int(input_size)))


def feature_cache_folder(encoder_name: str, sampling: SamplingConfig, flipped: bool = False, views: int = 1) -> Path:
    """The cache folder of one encoder + sampling (+ mirrored frames, + spatial views) (created)."""
    suffix = ("-flipped" if flipped else "") + (f"-views{views}" if views > 1 else "")
    return store.cache_dir("features", encoder_name, sampling.key() + suffix)


def encode_views(encoder, frames: np.ndarray, views: int) -> np.ndarray:
    """float32 [V, T, D]: ``encoder`` features of each spatial view of ``frames`` (uint8
    [T, H, W, 3], W ≥ H = the encoder's input size), all V×T crops in one ``encode`` call
    (one call per view for a streaming encoder)."""
    crops = spatial_views(frames, views)
    if encoder.streaming:  # state runs through time: one call per view
        return np.stack([encoder.encode(view) for view in crops])
    encoded = encoder.encode(crops.reshape(-1, *crops.shape[2:]))
    return encoded.reshape(crops.shape[0], crops.shape[1], -1)


def encode_sampled(encoder, sampled, views: int = 1, flipped: bool = False) -> np.ndarray:
    """float32 [T, D] features of a clip's ``SampledFrames`` (or [V, T, D] with ``views`` > 1);
    padded slots stay zero. ``flipped`` mirrors the frames first."""
    real = sampled.frames[sampled.mask]
    if flipped:
        real = real[:, :, ::-1]
    features = np.zeros((views, len(sampled.mask), encoder.dimension), dtype=np.float32)
    if len(real):
        features[:, sampled.mask] = encode_views(encoder, real, views)
    return features if views > 1 else features[0]


def stack_views(features: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Clips with spatial views as one batch for a head: features float32 [N, V, T, D] (or
    [N, T, D]) and masks bool [N, T] → ([N·V, T, D], [N·V, T], V). Average the head's
    probabilities back per clip with ``.reshape(N, V, C).mean(axis=1)``."""
    if features.ndim == 3:
        return features, masks, 1
    views = features.shape[1]
    return features.reshape(-1, *features.shape[2:]), np.repeat(masks, views, axis=0), views


@dataclass
class FeatureSet:
    """Encoded clips.

    features: float32 [N, T, D], or [N, V, T, D] with V spatial views per clip
    masks: bool [N, T]; labels: int64 [N] (into class_names)
    clips:    the LabelledClips kept, in row order
    skipped:  (path, reason) for clips that could not be read
    """

    features: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    clips: list[LabelledClip]
    class_names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cached: int = 0  # how many clips came from the cache

    def subset(self, positions: np.ndarray) -> "FeatureSet":
        """The rows at ``positions``."""
        positions = np.asarray(positions, dtype=np.int64)
        return FeatureSet(
            self.features[positions], self.masks[positions], self.labels[positions],
            [self.clips[i] for i in positions], self.class_names,
        )

    def plus(self, other: "FeatureSet") -> "FeatureSet":
        """The rows of both sets (e.g. a set plus its mirrored-frame twin, for augmentation)."""
        return FeatureSet(
            np.concatenate([self.features, other.features]), np.concatenate([self.masks, other.masks]),
            np.concatenate([self.labels, other.labels]), self.clips + other.clips, self.class_names,
        )


def encode_clip(
    path: str | os.PathLike, encoder, sampling: SamplingConfig, use_cache: bool = True, flipped: bool = False,
    views: int = 1,
):
    """(features float32 [T, D], mask bool [T], sampled frames or None when cached) for one clip.

    ``flipped`` encodes the frames mirrored left-right (training augmentation). With
    ``views`` > 1 (wide frames from ``sampling_for(..., views=…)``) features are [V, T, D],
    one row of frames per spatial view. Raises ``BadInputError`` when the clip cannot be read.
    """
    folder = feature_cache_folder(encoder.name, sampling, flipped, views)
    digest = Clip.from_path(path).content_hash()
    cached = folder / f"{digest}.npz"
    if use_cache and cached.is_file():
        try:
            with np.load(cached) as stored:
                return stored["features"].astype(np.float32), stored["mask"].astype(bool), None
        except Exception:  # a half-written or damaged cache file: recompute it
            cached.unlink(missing_ok=True)
    sampled = sample_frames(path, sampling)
    features = encode_sampled(encoder, sampled, views, flipped)
    if use_cache:
        store.write_atomically(
            cached, lambda temporary: np.savez(temporary, features=features.astype(np.float16), mask=sampled.mask))
    return features, sampled.mask.copy(), sampled


def extract_features(
    listing: ClipListing, encoder, sampling: SamplingConfig, progress: Progress | None = None, use_cache: bool = True,
    flipped: bool = False, views: int = 1,
) -> FeatureSet:
    """Encode every clip of ``listing`` (cached); unreadable clips are skipped and listed.

    ``progress(fraction, message)`` is called after each clip. ``flipped``: frames mirrored.
    ``views`` > 1: features [N, V, T, D] (see ``encode_clip``).
    """
    rows, masks, labels, kept, skipped = [], [], [], [], []
    class_index = {name: i for i, name in enumerate(listing.class_names)}
    cached = 0
    total = len(listing.clips)
    started = time.perf_counter()
    for position, clip in enumerate(listing.clips):
        try:
            features, mask, sampled = encode_clip(
                clip.path, encoder, sampling, use_cache=use_cache, flipped=flipped, views=views)
        except BadInputError as error:
            skipped.append((str(clip.path), str(error)))
        else:
            if not mask.any():
                skipped.append((str(clip.path), "no frame could be decoded"))
            else:
                cached += sampled is None
                rows.append(features)
                masks.append(mask)
                labels.append(class_index[clip.label])
                kept.append(clip)
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress((position + 1) / total, f"Extracting features: {position + 1}/{total} clips ({elapsed:.0f} s)")
    if not rows:
        raise BadInputError("None of the clips could be read, so there is nothing to train on.")
    return FeatureSet(
        np.stack(rows), np.stack(masks), np.array(labels, dtype=np.int64), kept,
        list(listing.class_names), skipped, cached,
    )


# --- fitting ------------------------------------------------------------------------


@dataclass
class TrainingResult:
    """A fitted head and what happened.

    model:   the Keras head; history: per-epoch lists (loss, accuracy, val_loss, val_accuracy)
    seconds: wall time of ``fit``
    """

    model: object
    history: dict
    seconds: float


def fit_head(
    train_set: FeatureSet,
    config,
    epochs: int = 30,
    validation_set: FeatureSet | None = None,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: Progress | None = None,
) -> TrainingResult:
    """Train a new head (``vidclass.cnn_gru.build_head(config, …)``) for a fixed number of epochs.

    ``progress(fraction, message)`` is called after every epoch. Labels are sparse ints;
    with ``config.label_smoothing`` > 0 they are one-hot encoded and smoothed. With
    ``config.ensemble`` = K > 1, K heads are trained with different seeds and joined into
    one model that averages their probabilities (``history`` is their mean).
    """
    from vidclass.cnn_gru import average_heads

    if epochs < 1:
        raise ValueError(f"epochs must be ≥ 1, got {epochs}")
    members = max(1, int(config.ensemble))
    models, histories, seconds = [], [], 0.0
    for member in range(members):
        share = (lambda f, m, member=member: progress((member + f) / members, m)) if progress else None  # noqa: E731
        result = _fit_one(train_set, config, epochs, validation_set, batch_size, learning_rate, seed + 1000 * member,
                          share, f"head_{member}" if members > 1 else None)
        models.append(result.model)
        histories.append(result.history)
        seconds += result.seconds
    if members == 1:
        return TrainingResult(models[0], histories[0], seconds)
    model = average_heads(models, train_set.features.shape[-2], train_set.features.shape[-1])
    history = {key: [float(np.mean(values)) for values in zip(*(h[key] for h in histories))] for key in histories[0]}
    return TrainingResult(model, history, seconds)


def _fit_one(train_set, config, epochs, validation_set, batch_size, learning_rate, seed, progress, name) -> TrainingResult:
    """Train one head (see ``fit_head``)."""
    import keras

    from vidclass.cnn_gru import build_head
    from vidclass.datasets import feature_dataset

    keras.utils.set_random_seed(seed)
    num_classes = len(train_set.class_names)
    model = build_head(config, num_classes, train_set.features.shape[-1], name=name)
    smoothing = float(config.label_smoothing)
    if smoothing > 0:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        encode = lambda labels: np.eye(num_classes, dtype=np.float32)[labels]  # noqa: E731
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        encode = lambda labels: labels  # noqa: E731
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    train_data = feature_dataset(
        train_set.features, train_set.masks, encode(train_set.labels), batch_size, training=True, seed=seed,
        frame_dropout=float(config.frame_dropout),
    )
    validation_data = None
    if validation_set is not None and len(validation_set.labels):
        validation_data = feature_dataset(
            centre_view(validation_set.features), validation_set.masks, encode(validation_set.labels), batch_size)

    class EpochProgress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if progress is not None:
                logs = logs or {}
                shown = f"accuracy {logs.get('accuracy', 0):.2f}"
                if "val_accuracy" in logs:
                    shown += f", validation accuracy {logs['val_accuracy']:.2f}"
                progress((epoch + 1) / epochs, f"Training: epoch {epoch + 1}/{epochs} ({shown})")

    started = time.perf_counter()
    history = model.fit(
        train_data, validation_data=validation_data, epochs=epochs, verbose=0, shuffle=False, callbacks=[EpochProgress()]
    )
    seconds = time.perf_counter() - started
    return TrainingResult(model, {key: [float(v) for v in values] for key, values in history.history.items()}, seconds)


def centre_view(features: np.ndarray) -> np.ndarray:
    """[N, T, D] features of the centre view when ``features`` has views [N, V, T, D]
    (``CENTRE_VIEW`` of 3 or 6, see ``vidclass.sampling.spatial_views``); others unchanged."""
    return features[:, CENTRE_VIEW] if features.ndim == 4 else features


def predict_probabilities(model, feature_set: FeatureSet, batch_size: int = 256) -> np.ndarray:
    """float32 [N, C] class probabilities of a head on a feature set; with spatial views
    [N, V, T, D], the mean over each clip's views."""
    features, masks, views = stack_views(feature_set.features, feature_set.masks)
    outputs = np.asarray(model.predict({"features": features, "mask": masks}, batch_size=batch_size, verbose=0), dtype=np.float32)
    return outputs.reshape(-1, views, outputs.shape[-1]).mean(axis=1)


def cross_validate(
    feature_set: FeatureSet, config, folds: int = 3, epochs: int = 30, seed: int = 0, progress: Progress | None = None,
    flipped_set: FeatureSet | None = None,
) -> dict:
    """Group k-fold (``vidclass.datasets.group_folds``): train on the other folds, predict
    the held-out one. Every clip is predicted by a head that never saw its group.
    ``flipped_set`` (same clips, mirrored frames) adds augmented rows to each training part.

    Returns {"probabilities": float32 [N, C] out-of-fold, "fold_accuracy": [k floats],
    "fold_groups": [[group numbers or keys held out]], "seconds": float}.
    """
    from vidclass.datasets import group_folds, group_number

    probabilities = np.zeros((len(feature_set.labels), len(feature_set.class_names)), dtype=np.float32)
    accuracies, held_groups = [], []
    started = time.perf_counter()
    for fold, (train_positions, held_positions) in enumerate(group_folds(feature_set.clips, folds)):
        report = None
        if progress is not None:
            report = lambda f, m, fold=fold: progress((fold + f) / folds, f"Fold {fold + 1}/{folds}: {m}")  # noqa: E731
        train_part = feature_set.subset(train_positions)
        if flipped_set is not None:
            train_part = train_part.plus(flipped_set.subset(train_positions))
        result = fit_head(train_part, config, epochs=epochs, seed=seed + fold, progress=report)
        held = feature_set.subset(held_positions)
        probabilities[held_positions] = predict_probabilities(result.model, held)
        accuracies.append(round(float((probabilities[held_positions].argmax(1) == held.labels).mean()), 4))
        numbers = sorted({group_number(clip.group) or clip.group for clip in held.clips}, key=lambda v: (isinstance(v, str), str(v).zfill(8)))
        held_groups.append(numbers)
    return {
        "probabilities": probabilities,
        "fold_accuracy": accuracies,
        "fold_groups": held_groups,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- metrics ------------------------------------------------------------------------


def classification_metrics(true_labels: np.ndarray, predicted_labels: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, per-class precision/recall/support and the confusion matrix (rows = truth).

    Inputs are int arrays [N] of class indices. A class never predicted has precision 0.
    """
    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    if true_labels.shape != predicted_labels.shape:
        raise ValueError(f"label arrays differ in shape: {true_labels.shape} vs {predicted_labels.shape}")
    size = len(class_names)
    confusion = np.zeros((size, size), dtype=np.int64)
    np.add.at(confusion, (true_labels, predicted_labels), 1)
    per_class = {}
    for index, name in enumerate(class_names):
        predicted = confusion[:, index].sum()
        actual = confusion[index].sum()
        per_class[name] = {
            "precision": round(float(confusion[index, index] / predicted), 4) if predicted else 0.0,
            "recall": round(float(confusion[index, index] / actual), 4) if actual else 0.0,
            "support": int(actual),
        }
    accuracy = float(np.trace(confusion) / max(1, confusion.sum()))
    return {
        "accuracy": round(accuracy, 4),
        "clips": int(confusion.sum()),
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
        "class_names": list(class_names),
    }


# --- plots --------------------------------------------------------------------------


def plot_confusion_matrix(metrics: dict, path: str | os.PathLike, title: str = "Confusion matrix") -> Path:
    """A PNG of ``metrics["confusion_matrix"]`` (rows = true class, columns = predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    confusion = np.asarray(metrics["confusion_matrix"])
    names = metrics["class_names"]
    size = len(names)
    figure, axes = plt.subplots(figsize=(2.2 + 0.55 * size, 1.8 + 0.5 * size), dpi=90)
    axes.imshow(confusion, cmap="Blues")
    axes.set_xticks(range(size), names, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(size), names, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"{title} (accuracy {metrics['accuracy']:.1%})", fontsize=10)
    peak = confusion.max() if confusion.size else 0
    for row in range(size):
        for column in range(size):
            value = confusion[row, column]
            if value:
                axes.text(column, row, str(value), ha="center", va="center", fontsize=7,
                          color="white" if value > peak / 2 else "black")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return Path(path)


def plot_training_curves(history: dict, path: str | os.PathLike) -> Path:
    """A PNG with loss and accuracy per epoch (training, and validation when present)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3), dpi=90)
    for key, axes in (("loss", left), ("accuracy", right)):
        values = history.get(key, [])
        epochs = range(1, len(values) + 1)
        axes.plot(epochs, values, label="training")
        if history.get(f"val_{key}"):
            axes.plot(epochs, history[f"val_{key}"], label="validation")
        axes.set_xlabel("epoch")
        axes.set_title(key)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return Path(path)


# --- the whole training run ---------------------------------------------------------


@dataclass
class TrainRun:
    """What ``train`` produced: the head folder, its metrics and the clips skipped."""

    folder: Path
    metrics: dict
    skipped: list[tuple[str, str]]
    history: dict


def train(
    listing: ClipListing,
    out_folder: str | os.PathLike,
    encoder_name: str = DEFAULT_ENCODER,
    num_frames: int = 20,
    epochs: int = 30,
    strategy: str = "uniform",
    validation_fraction: float = 0.2,
    head_config=None,
    seed: int = 0,
    progress: Progress | None = None,
    encoder=None,
    folds: int = 0,
) -> TrainRun:
    """Extract (cached) features, hold out whole groups for validation, train, evaluate on the
    held-out groups, then write the head folder with metrics and plots.

    ``progress(fraction, message)``: extraction is the first half, epochs the second.
    Without ``folds`` the saved head is the one trained on the training groups (its
    metrics are honest). With ``folds`` ≥ 2 the figures come from group k-fold
    cross-validation and the saved head is trained on every clip.
    """
    from vidclass.cnn_gru import default_head_config, save_head
    from vidclass.encoders import load_encoder

    encoder = encoder or load_encoder(encoder_name)
    config = head_config or default_head_config()
    config.encoder = encoder.name
    config.strategy = strategy
    config.num_frames = int(num_frames)
    views = int(config.views)
    sampling = sampling_for(encoder.input_size, strategy, num_frames, config.geometry, views=views)
    report = (lambda share, base: (lambda f, m: progress(base + share * f, m))) if progress else (lambda share, base: None)
    flip = bool(config.flip_augment)
    if flip and views > 1:
        raise BadInputError("Mirrored frames and spatial views don't combine: use 6 views (they include the mirror images).")
    features = extract_features(listing, encoder, sampling, progress=report(0.25 if flip else 0.5, 0.0), views=views)
    flipped = None
    if flip:  # the same clips with mirrored frames: extra training rows, never evaluated
        flipped = extract_features(listing, encoder, sampling, progress=report(0.25, 0.25), flipped=True)
        if [c.path for c in flipped.clips] != [c.path for c in features.clips]:
            flipped = None
    if folds >= 2:
        # Measure with group k-fold, then train the head that is saved on every clip.
        measured = cross_validate(
            features, config, folds=folds, epochs=epochs, seed=seed, progress=report(0.35, 0.5), flipped_set=flipped
        )
        metrics = classification_metrics(features.labels, measured["probabilities"].argmax(axis=1), features.class_names)
        metrics["fold_accuracy"] = measured["fold_accuracy"]
        metrics["fold_held_out_groups"] = measured["fold_groups"]
        metrics["measured_on"] = (
            f"group {folds}-fold cross-validation over all {len(features.labels)} clips: each clip predicted by a head "
            f"trained without its group (UCF101 group numbers dealt round-robin to folds, never split); "
            f"the saved head was then trained on all clips with the same settings"
        )
        train_positions = np.arange(len(features.labels))
        everything = features.plus(flipped) if flipped is not None else features
        result = fit_head(everything, config, epochs=epochs, seed=seed, progress=report(0.15, 0.85))
    else:
        train_positions, validation_positions = split_by_group(features.clips, validation_fraction, seed)
        train_set = features.subset(train_positions)
        if flipped is not None:
            train_set = train_set.plus(flipped.subset(train_positions))
        validation_set = features.subset(validation_positions) if len(validation_positions) else None
        if len(set(train_set.labels.tolist())) < 2:
            raise BadInputError("After holding out validation clips, fewer than two classes are left to train on.")
        result = fit_head(train_set, config, epochs=epochs, validation_set=validation_set, seed=seed, progress=report(0.5, 0.5))
        if validation_set is not None:
            predicted = predict_probabilities(result.model, validation_set).argmax(axis=1)
            metrics = classification_metrics(validation_set.labels, predicted, features.class_names)
            metrics["measured_on"] = (
                f"{len(validation_positions)} clips of held-out groups (whole groups, about "
                f"{validation_fraction:.0%} per class, seed {seed}); the head was trained on the other "
                f"{len(train_positions)} clips"
            )
        else:
            predicted = predict_probabilities(result.model, train_set).argmax(axis=1)
            metrics = classification_metrics(train_set.labels, predicted, features.class_names)
            metrics["measured_on"] = "the training clips themselves (too few groups to hold any out): not a fair estimate"
    metrics.update({
        "encoder": encoder.name,
        "sampling": sampling.key(),
        "epochs": epochs,
        "head": config.to_dict(),
        "train_clips": int(len(train_positions)),
        "skipped": [list(item) for item in features.skipped],
        "training_seconds": round(result.seconds, 2),
    })
    folder = save_head(Path(out_folder), result.model, features.class_names, config, metrics)
    plot_confusion_matrix(metrics, folder / "confusion_matrix.png")
    plot_training_curves(result.history, folder / "training_curves.png")
    return TrainRun(folder, metrics, features.skipped, result.history)
