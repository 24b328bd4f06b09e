"""Labelled clip collections for training: listing, UCF101 groups, group-wise splits, tf.data.

Inputs:

* a folder with one sub-folder per class (``videos/{classname}/*.mp4``, the
  keras-video-generators convention) — ``list_folder``;
* a CSV with ``video_name,tag`` columns (the Keras CNN-RNN example's ``train.csv``) —
  ``list_csv``.

UCF101 names (``v_<Class>_g<NN>_c<NN>``) carry a group: clips of one group share actors
and scene, so a validation split must never cut a group in two (``split_by_group``,
``group_folds``). Other names are each their own group.

``FrameGenerator`` / ``frame_dataset`` build a ``tf.data`` pipeline of sampled frames
(like the TF blog's FrameGenerator); ``feature_dataset`` one of cached feature sequences.
TensorFlow is imported only inside those functions.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidclass.errors import BadInputError
from vidclass.video import VIDEO_SUFFIXES

UCF101_NAME = re.compile(r"^v_(?P<label>[A-Za-z0-9]+)_g(?P<group>\d+)_c(?P<clip>\d+)$")


@dataclass(frozen=True)
class LabelledClip:
    """One training clip: its file, its class name and its group key (never split)."""

    path: Path
    label: str
    group: str


@dataclass
class ClipListing:
    """What a dataset folder or CSV holds.

    clips:       usable clips, sorted by class then name
    class_names: sorted class names (the label order of every model trained on it)
    ignored:     (path or name, reason) for files that were left out
    """

    clips: list[LabelledClip]
    class_names: list[str]
    ignored: list[tuple[str, str]]

    def labels(self) -> np.ndarray:
        """int64 [N] class index of every clip."""
        index = {name: i for i, name in enumerate(self.class_names)}
        return np.array([index[clip.label] for clip in self.clips], dtype=np.int64)

    def counts(self) -> dict[str, int]:
        """Clips per class."""
        return {name: sum(clip.label == name for clip in self.clips) for name in self.class_names}


def ucf101_group(name: str) -> tuple[str, int] | None:
    """``("Archery", 8)`` for ``v_Archery_g08_c01.mp4``; None for other names."""
    match = UCF101_NAME.match(Path(name).stem)
    if not match:
        return None
    return match.group("label"), int(match.group("group"))


def group_key(name: str, label: str) -> str:
    """The group a clip belongs to: ``"<label>/g08"`` for UCF101 names, else its own name."""
    parsed = ucf101_group(name)
    if parsed is not None:
        return f"{label}/g{parsed[1]:02d}"
    return f"{label}/{Path(name).name}"


def group_number(group: str) -> int | None:
    """The UCF101 group number in a group key (``"Archery/g08"`` → 8), else None."""
    match = re.search(r"/g(\d+)$", group)
    return int(match.group(1)) if match else None


def is_video_file(path: Path) -> bool:
    """True for a regular, visible file with a video suffix."""
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in VIDEO_SUFFIXES


def list_folder(root: str | os.PathLike, min_clips_per_class: int = 2) -> ClipListing:
    """Clips under ``root/<class>/*`` (one sub-folder per class).

    Files directly in ``root``, non-video files and classes with fewer than
    ``min_clips_per_class`` clips are left out and listed in ``ignored``.
    ``BadInputError`` when fewer than two classes remain.
    """
    root = Path(root)
    if root.is_file():
        raise BadInputError(
            f"The data {root} is a file, not a folder: give a folder with one sub-folder per class, "
            "or a CSV with video_name,tag columns."
        )
    if not root.is_dir():
        raise BadInputError(f"The data folder {root} does not exist.")
    clips: list[LabelledClip] = []
    ignored: list[tuple[str, str]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name.startswith("__"):
            continue
        if entry.is_file():
            ignored.append((entry.name, "not inside a class folder"))
            continue
        if not entry.is_dir():
            continue
        found = []
        for path in sorted(entry.iterdir()):
            if is_video_file(path):
                found.append(LabelledClip(path, entry.name, group_key(path.name, entry.name)))
            elif path.is_dir():
                ignored.append((f"{entry.name}/{path.name}/", "nested folder (only files directly in a class folder count)"))
            elif not path.name.startswith("."):
                ignored.append((f"{entry.name}/{path.name}", "not a video file"))
        if len(found) < min_clips_per_class:
            ignored.append((f"{entry.name}/", f"class has {len(found)} clip(s); at least {min_clips_per_class} needed"))
            continue
        clips.extend(found)
    return _finish(clips, ignored, str(root))


def list_csv(csv_path: str | os.PathLike, video_root: str | os.PathLike | None = None, min_clips_per_class: int = 2) -> ClipListing:
    """Clips listed in a CSV with ``video_name`` and ``tag`` columns.

    Names are looked up in ``video_root`` (default: the CSV's folder, then a folder named
    like the CSV, e.g. ``train/`` beside ``train.csv``). Missing files are listed in
    ``ignored``. ``BadInputError`` when the file is not a text CSV with those columns.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise BadInputError(f"The CSV file {csv_path} does not exist.")
    roots = [Path(video_root)] if video_root else [csv_path.parent, csv_path.parent / csv_path.stem]
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or [])
            if not {"video_name", "tag"} <= columns:
                raise BadInputError(
                    f"{csv_path.name} needs the columns video_name and tag; it has {', '.join(sorted(columns)) or 'none'}.")
            rows = list(reader)
    except UnicodeDecodeError:
        raise BadInputError(f"{csv_path.name} is not a text CSV file (it is not UTF-8 text).") from None
    except csv.Error as error:
        raise BadInputError(f"{csv_path.name} is not a readable CSV file ({error}).") from None
    clips, ignored = [], []
    for row in rows:
        name, label = (row["video_name"] or "").strip(), (row["tag"] or "").strip()
        if not name or not label:
            ignored.append((name or "(empty row)", "missing video_name or tag"))
            continue
        path = next((root / name for root in roots if (root / name).is_file()), None)
        if path is None:
            ignored.append((name, "file not found"))
            continue
        clips.append(LabelledClip(path, label, group_key(name, label)))
    counts: dict[str, int] = {}
    for clip in clips:
        counts[clip.label] = counts.get(clip.label, 0) + 1
    small = {label for label, count in counts.items() if count < min_clips_per_class}
    for label in sorted(small):
        ignored.append((f"{label}/", f"class has {counts[label]} clip(s); at least {min_clips_per_class} needed"))
    clips = [clip for clip in clips if clip.label not in small]
    return _finish(sorted(clips, key=lambda c: (c.label, c.path.name)), ignored, str(csv_path))


def list_dataset(source: str | os.PathLike, **options) -> ClipListing:
    """``list_csv`` for a ``.csv`` file, ``list_folder`` for a folder."""
    source = Path(source)
    if source.suffix.lower() == ".csv":
        return list_csv(source, **options)
    return list_folder(source, **options)


def _finish(clips, ignored, where: str) -> ClipListing:
    class_names = sorted({clip.label for clip in clips})
    if len(class_names) < 2:
        raise BadInputError(
            f"{where} has {len(class_names)} usable class(es); training needs at least two class folders with two clips or more each."
        )
    return ClipListing(clips, class_names, ignored)


# --- group-wise splits ------------------------------------------------------------------


def split_by_group(
    clips: list[LabelledClip], validation_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(train positions, validation positions), int64, never cutting a group.

    Per class, whole groups go to validation (in a seeded random order) until about
    ``validation_fraction`` of the class's clips are there; a class with one group (or
    one clip) stays entirely in training.
    """
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
    rng = np.random.default_rng(seed)
    validation: list[int] = []
    for label in sorted({clip.label for clip in clips}):
        positions = [i for i, clip in enumerate(clips) if clip.label == label]
        groups = sorted({clips[i].group for i in positions})
        if len(groups) < 2:
            continue
        order = [groups[i] for i in rng.permutation(len(groups))]
        wanted = max(1, round(validation_fraction * len(positions)))
        taken: list[int] = []
        for group in order[:-1]:  # keep at least one group for training
            if len(taken) >= wanted:
                break
            taken.extend(i for i in positions if clips[i].group == group)
        validation.extend(taken)
    validation_set = set(validation)
    train = np.array([i for i in range(len(clips)) if i not in validation_set], dtype=np.int64)
    return train, np.array(sorted(validation_set), dtype=np.int64)


def group_folds(clips: list[LabelledClip], folds: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group k-fold: ``folds`` pairs (train positions, held-out positions).

    UCF101 clips are assigned by group number (sorted group numbers dealt round-robin,
    so fold 0 of 3 holds g08, g11, g14, …, across every class); other clips by their
    own group, dealt round-robin per class. No group is ever in both halves of a pair.
    """
    if folds < 2:
        raise ValueError(f"folds must be ≥ 2, got {folds}")
    fold_of = np.zeros(len(clips), dtype=np.int64)
    numbers = sorted({n for n in (group_number(clip.group) for clip in clips) if n is not None})
    number_fold = {number: i % folds for i, number in enumerate(numbers)}
    per_class_seen: dict[str, dict[str, int]] = {}
    for position, clip in enumerate(clips):
        number = group_number(clip.group)
        if number is not None:
            fold_of[position] = number_fold[number]
        else:
            seen = per_class_seen.setdefault(clip.label, {})
            if clip.group not in seen:
                seen[clip.group] = len(seen) % folds
            fold_of[position] = seen[clip.group]
    everything = np.arange(len(clips), dtype=np.int64)
    return [(everything[fold_of != k], everything[fold_of == k]) for k in range(folds)]


# --- tf.data pipelines --------------------------------------------------------------


class FrameGenerator:
    """Yields ``(frames uint8 [T,S,S,3], mask bool [T], label int64)`` per clip (TF blog style).

    ``training=True`` shuffles the clip order each pass. Unreadable clips are skipped and
    recorded in ``self.skipped`` as (path, reason).
    """

    def __init__(self, clips: list[LabelledClip], class_names: list[str], sampling, training: bool = False, seed: int = 0):
        self.clips = list(clips)
        self.class_index = {name: i for i, name in enumerate(class_names)}
        self.sampling = sampling
        self.training = training
        self.rng = np.random.default_rng(seed)
        self.skipped: list[tuple[str, str]] = []

    def __call__(self):
        from vidclass.sampling import sample_frames

        order = self.rng.permutation(len(self.clips)) if self.training else range(len(self.clips))
        for position in order:
            clip = self.clips[int(position)]
            try:
                sampled = sample_frames(clip.path, self.sampling)
            except BadInputError as error:
                self.skipped.append((str(clip.path), str(error)))
                continue
            yield sampled.frames, sampled.mask, np.int64(self.class_index[clip.label])


def frame_dataset(clips, class_names, sampling, batch_size: int = 8, training: bool = False, seed: int = 0):
    """A ``tf.data.Dataset`` of ``((frames, mask), label)`` batches from ``FrameGenerator``."""
    import tensorflow as tf

    height, width = sampling.output_shape
    generator = FrameGenerator(clips, class_names, sampling, training=training, seed=seed)
    signature = (
        tf.TensorSpec(shape=(None, height, width, 3), dtype=tf.uint8),
        tf.TensorSpec(shape=(None,), dtype=tf.bool),
        tf.TensorSpec(shape=(), dtype=tf.int64),
    )
    dataset = tf.data.Dataset.from_generator(generator, output_signature=signature)
    dataset = dataset.map(lambda frames, mask, label: ((frames, mask), label))
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def feature_dataset(
    features: np.ndarray, masks: np.ndarray, labels: np.ndarray, batch_size: int = 32, training: bool = False,
    seed: int = 0, frame_dropout: float = 0.0,
):
    """A ``tf.data.Dataset`` of ``({"features", "mask"}, label)`` batches from cached features.

    features float32 [N,T,D] — or [N,V,T,D] with V spatial views of each clip (see
    ``vidclass.sampling.spatial_views``), training only: each clip then shows one view
    picked at random, anew every epoch; masks bool [N,T]; labels int64 [N] (or one-hot
    float32 [N,C]). With ``training``: reshuffled every epoch, and with ``frame_dropout``
    > 0 each clip's real frames are masked out at random with that probability (at least
    one is kept): temporal augmentation.
    """
    import tensorflow as tf

    features = np.asarray(features)
    if features.ndim == 4 and not training:
        raise ValueError("features with spatial views [N,V,T,D] are for training; predict each view separately")
    if features.ndim not in (3, 4):
        raise ValueError(f"features must be [N,T,D] or [N,V,T,D], got shape {features.shape}")
    dataset = tf.data.Dataset.from_tensor_slices(({"features": features, "mask": masks}, labels))
    if training:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
        if features.ndim == 4 or frame_dropout > 0:
            # one random stream, drawn anew every epoch, drives every augmentation: a plain
            # random op inside map() replays the same sequence each epoch once a global seed is set
            draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
            augment = _augmentation(features.shape[1] if features.ndim == 4 else 0, frame_dropout)
            dataset = tf.data.Dataset.zip((dataset, draws)).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _augmentation(views: int, frame_dropout: float):
    """``map`` function ``((inputs, label), draw int64) -> (inputs, label)``: with ``views`` > 0
    keep view ``draw % views`` of the [V,T,D] features; with ``frame_dropout`` > 0 mask out each
    real frame with that probability (stateless, seeded by ``draw``), keeping at least one."""
    import tensorflow as tf

    def augment(example, draw):
        inputs, label = example
        features, mask = inputs["features"], inputs["mask"]
        if views:
            features = tf.gather(features, tf.cast(draw % views, tf.int32))
        if frame_dropout > 0:
            keep = tf.random.stateless_uniform(tf.shape(mask), seed=tf.stack([draw, tf.constant(1, tf.int64)])) >= frame_dropout
            dropped = tf.logical_and(mask, keep)
            mask = tf.cond(tf.reduce_any(dropped), lambda: dropped, lambda: mask)
        return {"features": features, "mask": mask}, label

    return augment


# --- zip uploads ------------------------------------------------------------------------

MAX_ZIP_MEMBERS = 5000
MAX_ZIP_BYTES = 4 * 1024**3  # uncompressed total


def _safe_part(text: str) -> str:
    """A file or folder name with only safe characters (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._\- ]", "_", text).strip(" .")
    return cleaned[:120]


def extract_class_zip(source, destination: str | os.PathLike) -> tuple[Path, list[tuple[str, str]]]:
    """Unpack a zip of ``<class>/<clip>`` into ``destination``; returns (class root, ignored).

    ``source`` is a path or a binary file object. Member by member, with sanitised names,
    so nothing is ever written outside ``destination``: absolute names and names with
    ``..`` are refused, files outside a class folder, in nested folders or without a video
    suffix are left out (each listed with the reason). When every file sits under one
    common top folder (``mydata/<class>/<clip>``) that folder is stripped.
    ``BadInputError`` for a file that is not a zip or one too big to unpack.
    """
    import zipfile

    destination = Path(destination).resolve()
    destination.mkdir(parents=True, exist_ok=True)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise BadInputError("The upload is not a readable zip file.") from error
    ignored: list[tuple[str, str]] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise BadInputError(f"The zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are accepted.")
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise BadInputError("The zip unpacks to more than 4 GB; split it into smaller zips.")
        usable: list[tuple[zipfile.ZipInfo, list[str]]] = []
        for member in members:
            name = member.filename.replace("\\", "/")
            parts = [part for part in name.split("/") if part not in ("", ".")]
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                ignored.append((member.filename, "unsafe path (absolute or with ..), not unpacked"))
                continue
            if not parts or parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
                continue
            usable.append((member, parts))
        tops = {parts[0] for _, parts in usable if len(parts) > 1}
        strip = len(tops) == 1 and all(len(parts) >= 3 for _, parts in usable)
        for member, parts in usable:
            inner = parts[1:] if strip else parts
            if len(inner) == 1:
                ignored.append((member.filename, "not inside a class folder"))
                continue
            if len(inner) > 2:
                ignored.append((member.filename, "in a nested folder (use one folder per class)"))
                continue
            label, filename = _safe_part(inner[0]), _safe_part(inner[1])
            if not label or not filename or Path(filename).suffix.lower() not in VIDEO_SUFFIXES:
                ignored.append((member.filename, "not a video file"))
                continue
            target = (destination / label / filename).resolve()
            if destination not in target.parents:
                ignored.append((member.filename, "unsafe path, not unpacked"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as reader, open(target, "wb") as writer:
                while block := reader.read(1 << 20):
                    writer.write(block)
    return destination, ignored


def limit_per_class(listing: ClipListing, max_clips: int) -> ClipListing:
    """At most ``max_clips`` clips per class, spread over as many groups as possible
    (one clip from each group in turn), so a quick demo still has groups to hold out."""
    if max_clips < 2:
        raise ValueError(f"max_clips must be ≥ 2, got {max_clips}")
    kept: list[LabelledClip] = []
    for label in listing.class_names:
        by_group: dict[str, list[LabelledClip]] = {}
        for clip in listing.clips:
            if clip.label == label:
                by_group.setdefault(clip.group, []).append(clip)
        queues = [by_group[group] for group in sorted(by_group)]
        chosen: list[LabelledClip] = []
        while len(chosen) < max_clips and any(queues):
            for queue in queues:
                if queue and len(chosen) < max_clips:
                    chosen.append(queue.pop(0))
        kept.extend(sorted(chosen, key=lambda clip: clip.path.name))
    return ClipListing(kept, list(listing.class_names), list(listing.ignored))


def dataset_folders(root: str | os.PathLike, depth: int = 3) -> list[Path]:
    """Folders under ``root`` (up to ``depth`` levels) with at least two class sub-folders
    holding video files: candidates for training (e.g. ``data/ucf101/train``)."""
    root = Path(root)
    found: list[Path] = []
    if not root.is_dir():
        return found

    def visit(folder: Path, level: int) -> None:
        try:
            children = sorted(child for child in folder.iterdir() if child.is_dir() and not child.name.startswith("."))
        except OSError:
            return
        with_clips = [child for child in children if any(is_video_file(p) for p in child.iterdir())]
        if len(with_clips) >= 2:
            found.append(folder)
        if level < depth:
            for child in children:
                visit(child, level + 1)

    visit(root, 0)
    return found
