"""YouTube-8M: the vocabulary, the video-level records as a cached columnar index, filters.

Three parts, all UI-free and numpy-based (TensorFlow is imported lazily, only to read
records that are not in the cache yet):

* **Vocabulary** (``load_vocabulary``): the 3,862 entities of ``vocabulary.csv`` with
  their names (56 nameless rows get a stand-in such as ``"(unnamed entity 1234)"``),
  Knowledge Graph ids, TrainVideoCount and up to three verticals; search by name, id or
  index.
* **Video index** (``load_index``): the video-level ``tf.train.Example`` shards read with
  ``tf.data`` (several shards at once, one vectorised ``tf.io.parse_example`` per shard)
  into columns: ``ids`` [N] str, labels as CSR (``label_offsets`` int64 [N+1],
  ``label_values`` int32 [L]), ``mean_rgb`` [N, 1024] and ``mean_audio`` [N, 128]
  (float16 in the cache). The columns are cached as one ``.npz`` in
  ``store.cache_dir("yt8m")`` keyed by every shard's name, size, mtime and a sha256 of
  its first and last 64 KiB, so the second start only stats the files and loads the
  ``.npz``. A truncated shard, one with other feature keys or one whose features are
  not finite numbers (NaN, infinity) is skipped with a reason (``VideoIndex.skipped``);
  the other shards still load. Shards without labels (the test partition's) load, and
  ``unlabelled_shards`` names them for whoever needs labels. Frame-level shards load too:
  each video's frames are dequantized and averaged into the video-level features.
* **Filters** (``filter_videos``, ``co_occurring``): by vertical, by entities (all of /
  any of), by label count, vectorised over the CSR columns.

Also: ``read_frame_level`` reads frame-level ``SequenceExample`` shards (quantized
``rgb``/``audio`` bytes, dequantized as the YouTube-8M starter code does;
``write_frame_level_shard`` writes them, for tests and benchmarks) and
``youtube_id`` looks up a video's real YouTube id through the dataset's lookup service.
"""

from __future__ import annotations

import csv
import glob as glob_module
import hashlib
import json
import os
import re
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidclass import store
from vidclass.errors import BadInputError

NUM_CLASSES = 3862
RGB_SIZE = 1024
AUDIO_SIZE = 128
VOCABULARY_PATH = "data/yt8m/vocabulary.csv"
VIDEO_FOLDER = "data/yt8m/video"
VOCABULARY_COLUMNS = (
    "Index", "TrainVideoCount", "KnowledgeGraphId", "Name", "WikiUrl",
    "Vertical1", "Vertical2", "Vertical3", "WikiDescription",
)
VIDEO_FEATURE_KEYS = ("id", "labels", "mean_rgb", "mean_audio")
INDEX_FORMAT_VERSION = 3  # 2: shards with NaN or infinite features are skipped; 3: frame-level shards are read
HASH_EDGE_BYTES = 64 * 1024
LOOKUP_URL_BASE = "https://data.yt8m.org/2/j/i"


# --------------------------------------------------------------------------- vocabulary

@dataclass(frozen=True)
class Entity:
    """One vocabulary row. ``name`` is never empty (nameless rows get a stand-in)."""

    index: int
    name: str
    knowledge_graph_id: str
    train_video_count: int
    verticals: tuple[str, ...]
    wiki_url: str
    description: str
    has_name: bool

    @property
    def vertical(self) -> str:
        """The first (main) vertical, ``"(Unknown)"`` when there is none."""
        return self.verticals[0] if self.verticals else "(Unknown)"


def unnamed_entity_name(index: int) -> str:
    """The readable stand-in shown for a vocabulary row without a Name."""
    return f"(unnamed entity {index})"


class Vocabulary:
    """The YouTube-8M entities, indexed by their ``Index`` column (0 … 3861).

    ``names``: list[str] by index; ``vertical_matrix``: bool [num_verticals, C] (an entity
    belongs to each of its up to three verticals); ``verticals``: the vertical names,
    most entities first.
    """

    def __init__(self, entities: list[Entity], source: str = ""):
        if not entities:
            raise ValueError("a vocabulary needs at least one entity")
        size = max(entity.index for entity in entities) + 1
        by_index: list[Entity | None] = [None] * size
        for entity in entities:
            by_index[entity.index] = entity
        for index, entity in enumerate(by_index):
            if entity is None:
                by_index[index] = Entity(index, unnamed_entity_name(index), "", 0, (), "", "", False)
        self.entities: list[Entity] = by_index  # type: ignore[assignment]
        self.source = source
        self.names = [entity.name for entity in self.entities]
        self.train_video_counts = np.array([entity.train_video_count for entity in self.entities], dtype=np.int64)
        counts: dict[str, int] = {}
        for entity in self.entities:
            for vertical in entity.verticals or ("(Unknown)",):
                counts[vertical] = counts.get(vertical, 0) + 1
        self.verticals = sorted(counts, key=lambda name: (-counts[name], name))
        self._vertical_position = {name: position for position, name in enumerate(self.verticals)}
        self.vertical_matrix = np.zeros((len(self.verticals), size), dtype=bool)
        for entity in self.entities:
            for vertical in entity.verticals or ("(Unknown)",):
                self.vertical_matrix[self._vertical_position[vertical], entity.index] = True
        self._by_knowledge_graph_id = {e.knowledge_graph_id.lower(): e for e in self.entities if e.knowledge_graph_id}
        self._by_lower_name: dict[str, Entity] = {}
        for entity in self.entities:
            self._by_lower_name.setdefault(entity.name.lower(), entity)

    def __len__(self) -> int:
        return len(self.entities)

    def entity(self, index: int) -> Entity:
        """The entity with this index; ``BadInputError`` when out of range."""
        if not 0 <= int(index) < len(self.entities):
            raise BadInputError(f"There is no YouTube-8M entity with index {index} (valid: 0 to {len(self.entities) - 1}).")
        return self.entities[int(index)]

    def name(self, index: int) -> str:
        """The display name of an index (stand-in for nameless rows or unknown indices)."""
        index = int(index)
        return self.names[index] if 0 <= index < len(self.names) else unnamed_entity_name(index)

    def vertical_mask(self, vertical: str) -> np.ndarray:
        """bool [C]: the entities in ``vertical``; ``BadInputError`` for an unknown vertical."""
        position = self._vertical_position.get(vertical)
        if position is None:
            raise BadInputError(f"There is no vertical called {vertical!r}; choose one of: {', '.join(self.verticals)}.")
        return self.vertical_matrix[position]

    def entities_in_vertical(self, vertical: str) -> list[Entity]:
        """The entities of one vertical, most training videos first."""
        indices = np.flatnonzero(self.vertical_mask(vertical))
        return sorted((self.entities[i] for i in indices), key=lambda e: -e.train_video_count)

    def search(self, query: str, limit: int = 20) -> list[Entity]:
        """Entities matching ``query``: an index (``"22"``), a Knowledge Graph id
        (``"/m/01yrx"``) or a case-insensitive part of a name; exact matches first, then
        names starting with the query, then the rest, each by TrainVideoCount.
        """
        text = str(query).strip()
        if not text:
            return []
        found: list[Entity] = []
        if text.isdigit() and int(text) < len(self.entities):
            found.append(self.entities[int(text)])
        by_id = self._by_knowledge_graph_id.get(text.lower())
        if by_id is not None and by_id not in found:
            found.append(by_id)
        lowered = text.lower()
        matches = [e for e in self.entities if lowered in e.name.lower() and e not in found]
        matches.sort(key=lambda e: (e.name.lower() != lowered, not e.name.lower().startswith(lowered), -e.train_video_count))
        found.extend(matches)
        return found[: max(0, int(limit))]

    def resolve(self, token: str | int) -> Entity:
        """One entity from an index, a Knowledge Graph id or an exact name (case-insensitive).

        ``BadInputError`` (naming the token as plain text) when nothing matches.
        """
        if isinstance(token, (int, np.integer)):
            return self.entity(int(token))
        text = str(token).strip()
        if text.isdigit():
            return self.entity(int(text))
        entity = self._by_knowledge_graph_id.get(text.lower()) or self._by_lower_name.get(text.lower())
        if entity is None:
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise BadInputError(f"No YouTube-8M entity is called {shown!r}: search by name, Knowledge Graph id or index.")
        return entity

    def vertical_summary(self) -> list[dict]:
        """Per vertical (main vertical = Vertical1): entities and summed TrainVideoCount, biggest first."""
        totals: dict[str, list[int]] = {}
        for entity in self.entities:
            item = totals.setdefault(entity.vertical, [0, 0])
            item[0] += 1
            item[1] += entity.train_video_count
        rows = [{"vertical": name, "entities": n, "train_videos": videos} for name, (n, videos) in totals.items()]
        return sorted(rows, key=lambda row: -row["train_videos"])


_VOCABULARY_CACHE: dict[tuple, Vocabulary] = {}
_VOCABULARY_LOCK = threading.Lock()


def vocabulary_path() -> Path:
    """The vocabulary CSV in the asset store (``AssetMissingError`` when absent)."""
    return store.find(VOCABULARY_PATH, "yt8m")


def load_vocabulary(path: str | os.PathLike | None = None) -> Vocabulary:
    """Read ``vocabulary.csv`` (default: the asset store's) into a ``Vocabulary``.

    Cached per process by path, size and mtime. A UTF-8 byte-order mark is allowed.
    Raises ``BadInputError`` when the file is missing, is not a CSV with the YouTube-8M
    columns, or has a non-numeric or repeated Index.
    """
    source = Path(path) if path is not None else vocabulary_path()
    try:
        status = source.stat()
    except OSError:
        raise BadInputError(f"The YouTube-8M vocabulary file {source} does not exist.") from None
    key = (str(source.resolve()), status.st_size, status.st_mtime_ns)
    with _VOCABULARY_LOCK:
        cached = _VOCABULARY_CACHE.get(key)
        if cached is None:
            cached = _read_vocabulary(source)
            _VOCABULARY_CACHE[key] = cached
        return cached


def _read_vocabulary(source: Path) -> Vocabulary:
    try:
        with open(source, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [name for name in VOCABULARY_COLUMNS[:8] if name not in columns]
            if missing:
                raise BadInputError(
                    f"{source.name} is not a YouTube-8M vocabulary: it lacks the column(s) {', '.join(missing)}."
                )
            entities = []
            first_line_of_index: dict[int, int] = {}
            for line_number, row in enumerate(reader, start=2):
                try:
                    index = int(row["Index"])
                    count = int(row["TrainVideoCount"] or 0)
                except (TypeError, ValueError):
                    raise BadInputError(f"{source.name} line {line_number}: Index and TrainVideoCount must be whole numbers.") from None
                if not 0 <= index < 100_000:
                    raise BadInputError(f"{source.name} line {line_number}: the Index {index} is out of range.")
                if index in first_line_of_index:
                    raise BadInputError(f"{source.name} line {line_number}: the Index {index} is already used on line "
                                        f"{first_line_of_index[index]}; each entity needs its own Index.")
                first_line_of_index[index] = line_number
                name = (row.get("Name") or "").strip()
                verticals = tuple(v.strip() for v in (row.get("Vertical1"), row.get("Vertical2"), row.get("Vertical3")) if v and v.strip())
                entities.append(Entity(
                    index=index,
                    name=name or unnamed_entity_name(index),
                    knowledge_graph_id=(row.get("KnowledgeGraphId") or "").strip(),
                    train_video_count=count,
                    verticals=verticals,
                    wiki_url=(row.get("WikiUrl") or "").strip(),
                    description=(row.get("WikiDescription") or "").strip(),
                    has_name=bool(name),
                ))
    except UnicodeDecodeError:
        raise BadInputError(f"{source.name} is not a text CSV file.") from None
    except csv.Error as error:
        raise BadInputError(f"{source.name} is not a readable CSV file ({error}).") from None
    if not entities:
        raise BadInputError(f"{source.name} has no vocabulary rows.")
    return Vocabulary(entities, source=str(source))


# --------------------------------------------------------------------------- video index

@dataclass(frozen=True)
class SkippedShard:
    """A shard left out of an index and the plain-language reason."""

    path: str
    reason: str

    def message(self) -> str:
        return f"{Path(self.path).name}: {self.reason}"


@dataclass
class VideoIndex:
    """Columnar video-level records.

    ids:           str [N] (4-character anonymised ids)
    label_offsets: int64 [N+1]; video i's labels are ``label_values[offsets[i]:offsets[i+1]]``
    label_values:  int32 [L], each in [0, 3862)
    mean_rgb:      float16/float32 [N, 1024]
    mean_audio:    float16/float32 [N, 128]
    shard_names:   str [S]; ``shard_offsets`` int64 [S+1] gives each shard's rows
    skipped:       shards that could not be read, with reasons
    """

    ids: np.ndarray
    label_offsets: np.ndarray
    label_values: np.ndarray
    mean_rgb: np.ndarray
    mean_audio: np.ndarray
    shard_names: np.ndarray
    shard_offsets: np.ndarray
    skipped: list[SkippedShard] = field(default_factory=list)
    from_cache: bool = False
    cache_path: str = ""

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def label_counts(self) -> np.ndarray:
        """int64 [N]: labels per video."""
        return np.diff(self.label_offsets)

    @property
    def label_rows(self) -> np.ndarray:
        """int64 [L]: the row each entry of ``label_values`` belongs to."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.label_counts)

    def labels(self, row: int) -> np.ndarray:
        """int32 [k]: the labels of one row."""
        return self.label_values[self.label_offsets[row]: self.label_offsets[row + 1]]

    def features(self, rows: np.ndarray | None = None) -> np.ndarray:
        """float32 [n, 1152]: ``[mean_rgb, mean_audio]`` of ``rows`` (default: all)."""
        rgb = self.mean_rgb if rows is None else self.mean_rgb[rows]
        audio = self.mean_audio if rows is None else self.mean_audio[rows]
        return np.concatenate([rgb.astype(np.float32), audio.astype(np.float32)], axis=1)

    def label_matrix(self, rows: np.ndarray | None = None, num_classes: int = NUM_CLASSES) -> np.ndarray:
        """float32 [n, C] multi-hot labels of ``rows`` (default: all)."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows)
        matrix = np.zeros((len(rows), num_classes), dtype=np.float32)
        counts = self.label_counts[rows]
        starts = self.label_offsets[rows]
        positions = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        matrix[np.repeat(np.arange(len(rows)), counts), self.label_values[positions]] = 1.0
        return matrix

    def shard_of(self, rows) -> np.ndarray:
        """int64 [n]: the position (in ``shard_names``) of the shard each of ``rows`` came from."""
        return np.searchsorted(self.shard_offsets, np.asarray(rows), side="right") - 1

    def shard_rows(self, name: str) -> np.ndarray:
        """int64 rows that came from the shard file called ``name``."""
        position = np.flatnonzero(self.shard_names == name)
        if position.size == 0:
            return np.zeros(0, dtype=np.int64)
        p = int(position[0])
        return np.arange(self.shard_offsets[p], self.shard_offsets[p + 1], dtype=np.int64)


def unlabelled_shards(index: VideoIndex) -> list[str]:
    """Names of the shards in ``index`` whose videos carry no label at all."""
    starts, ends = index.shard_offsets[:-1], index.shard_offsets[1:]
    per_shard = index.label_offsets[ends] - index.label_offsets[starts]
    return [str(name) for name, count in zip(index.shard_names, per_shard) if count == 0]


def default_shards() -> list[Path]:
    """The video-level shards of the asset store (``AssetMissingError`` when there are none)."""
    shards = store.find_all(VIDEO_FOLDER, "*.tfrecord")
    if not shards:
        store.find(VIDEO_FOLDER + "/validate0000.tfrecord", "yt8m")  # raises with the fetch command
    return shards


def expand_shards(pattern: str | os.PathLike | list | tuple | None) -> list[Path]:
    """Shard paths from a glob, a path, a list of them, or None (the asset store's).

    ``BadInputError`` when a pattern matches nothing.
    """
    if pattern is None:
        return default_shards()
    patterns = list(pattern) if isinstance(pattern, (list, tuple)) else [pattern]
    paths: list[Path] = []
    for item in patterns:
        text = os.fspath(item)
        matched = sorted(glob_module.glob(os.path.expanduser(text))) if glob_module.has_magic(text) else [text]
        matched = [m for m in matched if Path(m).is_file()]
        if not matched:
            raise BadInputError(f"No YouTube-8M shard file matches {text}.")
        paths.extend(Path(m) for m in matched)
    unique: dict[str, Path] = {}
    for path in paths:
        unique.setdefault(str(path.resolve()), path)
    return list(unique.values())


def shard_fingerprint(path: Path) -> str:
    """A cheap content key: name, size, mtime and sha256 of the first and last 64 KiB."""
    status = path.stat()
    digest = hashlib.sha256()
    digest.update(f"{path.name}|{status.st_size}|{status.st_mtime_ns}|".encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(HASH_EDGE_BYTES))
        if status.st_size > HASH_EDGE_BYTES:
            handle.seek(max(HASH_EDGE_BYTES, status.st_size - HASH_EDGE_BYTES))
            digest.update(handle.read(HASH_EDGE_BYTES))
    return digest.hexdigest()


def index_key(paths: list[Path], feature_dtype: str = "float16") -> str:
    """The cache key of an index over ``paths`` (order matters)."""
    digest = hashlib.sha256(f"v{INDEX_FORMAT_VERSION}|{feature_dtype}|".encode())
    for path in paths:
        digest.update(shard_fingerprint(path).encode())
    return digest.hexdigest()[:32]


_INDEX_MEMO: dict[str, VideoIndex] = {}
_INDEX_LOCK = threading.Lock()


def load_index(shards=None, use_cache: bool = True, feature_dtype: str = "float16", progress=None) -> VideoIndex:
    """The columnar index of video-level shards (default: all of the asset store's).

    ``shards``: a glob, a path or a list of them. Cached on disk (``VIDCLASS_CACHE/yt8m``)
    and in the process by ``index_key``. ``feature_dtype``: "float16" (default, half the
    memory) or "float32". ``progress(fraction, message)`` is called while reading.
    Raises ``BadInputError`` when no shard could be read (naming why).
    """
    if feature_dtype not in ("float16", "float32"):
        raise ValueError("feature_dtype must be 'float16' or 'float32'")
    paths = expand_shards(shards)
    key = index_key(paths, feature_dtype)
    with _INDEX_LOCK:
        if use_cache and key in _INDEX_MEMO:
            return _INDEX_MEMO[key]
        cache_path = store.cache_dir("yt8m") / f"index-{key}.npz"
        index = _load_cached_index(cache_path) if use_cache else None
        if index is None:
            index = read_video_shards(paths, feature_dtype=feature_dtype, progress=progress)
            if use_cache:
                _save_index(index, cache_path)
        index.cache_path = str(cache_path)
        if use_cache:
            _INDEX_MEMO[key] = index
        return index


def _save_index(index: VideoIndex, cache_path: Path) -> None:
    skipped = json.dumps([[item.path, item.reason] for item in index.skipped])
    try:
        store.write_atomically(cache_path, lambda temporary: np.savez(
            temporary, ids=index.ids, label_offsets=index.label_offsets, label_values=index.label_values,
            mean_rgb=index.mean_rgb, mean_audio=index.mean_audio, shard_names=index.shard_names,
            shard_offsets=index.shard_offsets, skipped=np.array(skipped),
        ))
    except OSError:
        pass  # an unwritable cache only costs speed


def _load_cached_index(cache_path: Path) -> VideoIndex | None:
    if not cache_path.is_file():
        return None
    try:
        with np.load(cache_path, allow_pickle=False) as data:
            skipped = [SkippedShard(path, reason) for path, reason in json.loads(str(data["skipped"]))]
            return VideoIndex(
                ids=data["ids"], label_offsets=data["label_offsets"], label_values=data["label_values"],
                mean_rgb=data["mean_rgb"], mean_audio=data["mean_audio"], shard_names=data["shard_names"],
                shard_offsets=data["shard_offsets"], skipped=skipped, from_cache=True,
            )
    except Exception:  # a damaged cache file is rebuilt
        return None


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def _video_feature_spec(tf):
    return {
        "id": tf.io.FixedLenFeature([], tf.string),
        "labels": tf.io.VarLenFeature(tf.int64),
        "mean_rgb": tf.io.FixedLenFeature([RGB_SIZE], tf.float32),
        "mean_audio": tf.io.FixedLenFeature([AUDIO_SIZE], tf.float32),
    }


def _describe_keys(tf, serialized: bytes) -> str:
    """The feature keys of one serialized record, for error messages."""
    try:
        sequence = tf.train.SequenceExample.FromString(serialized)
        lists = sorted(sequence.feature_lists.feature_list.keys())
        if lists:
            keys = sorted(sequence.context.feature.keys()) + lists
            return (f"it is a SequenceExample shard without the frame-level id, labels and rgb/audio frames "
                    f"of 1024/128 bytes (keys: {', '.join(keys[:8])})")
    except Exception:
        pass
    try:
        example = tf.train.Example.FromString(serialized)
        keys = sorted(example.features.feature.keys())
    except Exception:
        return "it is not a video-level tf.train.Example"
    if not keys:
        return "its records have no features"
    wanted = [key for key in VIDEO_FEATURE_KEYS if key not in keys]
    shown = ", ".join(keys[:8]) + (" …" if len(keys) > 8 else "")
    return f"its records lack {', '.join(wanted) or 'the expected feature shapes'} (they have: {shown})"


def _read_one_shard(tf, path: Path, feature_spec) -> dict:
    """Read and parse one shard: a dict of numpy columns, or raise BadInputError with the reason."""
    if path.stat().st_size == 0:
        raise BadInputError("the file is empty")
    try:
        records = tf.data.TFRecordDataset(str(path)).batch(1 << 20)
        serialized = [batch for batch in records]
    except tf.errors.DataLossError:
        raise BadInputError("the file is truncated or is not a TFRecord file") from None
    except tf.errors.OpError as error:
        raise BadInputError(f"the file cannot be read ({error.message.splitlines()[0][:120]})") from None
    if not serialized:
        raise BadInputError("the file holds no records")
    batch = serialized[0] if len(serialized) == 1 else tf.concat(serialized, axis=0)
    if _is_frame_level(tf, batch[0].numpy()):
        columns = _frame_level_columns(tf, batch)
    else:
        try:
            columns = _video_level_columns(tf, batch, feature_spec)
        except (tf.errors.InvalidArgumentError, ValueError):
            raise BadInputError(_describe_keys(tf, batch[0].numpy())) from None
    values = columns["values"]
    if values.size and (values.min() < 0 or values.max() >= NUM_CLASSES):
        raise BadInputError(f"its labels fall outside 0 to {NUM_CLASSES - 1}")
    for name in ("mean_rgb", "mean_audio"):
        if not np.isfinite(columns[name]).all():
            raise BadInputError(f"its {name} features hold values that are not numbers (NaN or infinity)")
    return columns


def _video_level_columns(tf, batch, feature_spec) -> dict:
    """Columns of a video-level shard's serialized records ``batch`` (one ``parse_example``):
    ``ids`` str [N], ``counts`` int64 [N] labels per video, ``values`` int32 [L] the labels,
    ``mean_rgb`` float32 [N, 1024], ``mean_audio`` float32 [N, 128]. Raises TensorFlow's
    ``InvalidArgumentError`` (or ``ValueError``) when the records are not video-level."""
    parsed = tf.io.parse_example(batch, feature_spec)
    labels = parsed["labels"]
    values = labels.values.numpy().astype(np.int64)
    rows = labels.indices.numpy()[:, 0] if values.size else np.zeros(0, dtype=np.int64)
    return {
        "ids": np.array([item.decode("utf-8", "replace") for item in parsed["id"].numpy()]),
        "counts": np.bincount(rows, minlength=int(batch.shape[0])).astype(np.int64),
        "values": values.astype(np.int32),
        "mean_rgb": parsed["mean_rgb"].numpy(),
        "mean_audio": parsed["mean_audio"].numpy(),
    }


def _is_frame_level(tf, serialized: bytes) -> bool:
    """Whether one serialized record is a frame-level ``SequenceExample`` (rgb and audio lists)."""
    try:
        lists = tf.train.SequenceExample.FromString(serialized).feature_lists.feature_list
    except Exception:
        return False
    return "rgb" in lists and "audio" in lists


def _frame_level_columns(tf, batch) -> dict:
    """The same columns as ``_video_level_columns`` from a frame-level shard's records: each
    video's ``mean_rgb``/``mean_audio`` is the mean of its dequantized frame features, as
    YouTube-8M made its video-level features, so the explorer, ``yt8m eval`` and training read
    frame-level shards too. Parsed inside ``tf.data`` (in parallel, one ragged batch);
    ``BadInputError`` for records that do not parse or a video without frames."""
    context, sequence = _frame_level_spec(tf)

    def frame_means(serialized):
        parsed_context, parsed_sequence = tf.io.parse_single_sequence_example(serialized, context, sequence)
        rgb, audio = _quantized_frames(tf, parsed_sequence)
        return (parsed_context["id"], parsed_context["labels"].values, tf.shape(rgb)[0], tf.shape(audio)[0],
                tf.reduce_mean(tf.cast(rgb, tf.float32), axis=0), tf.reduce_mean(tf.cast(audio, tf.float32), axis=0))

    dataset = tf.data.Dataset.from_tensor_slices(batch).map(frame_means, num_parallel_calls=tf.data.AUTOTUNE)
    try:
        ids, labels, rgb_frames, audio_frames, rgb, audio = next(iter(dataset.ragged_batch(int(batch.shape[0]))))
    except tf.errors.InvalidArgumentError:
        raise BadInputError(FRAME_LEVEL_NEEDS) from None
    if int(tf.reduce_min(rgb_frames)) == 0 or int(tf.reduce_min(audio_frames)) == 0:
        raise BadInputError("some of its frame-level videos have no frames")
    # the mean of dequantized bytes is the dequantized mean byte (dequantizing is affine)
    return {
        "ids": np.array([item.decode("utf-8", "replace") for item in ids.numpy()]),
        "counts": labels.row_lengths().numpy().astype(np.int64),
        "values": labels.flat_values.numpy().astype(np.int32),
        "mean_rgb": dequantize(rgb.numpy()),
        "mean_audio": dequantize(audio.numpy()),
    }


def read_video_shards(paths, feature_dtype: str = "float16", progress=None, workers: int | None = None) -> VideoIndex:
    """Read video-level shards (no cache) into a ``VideoIndex``.

    Each shard is read by ``tf.data.TFRecordDataset`` as one batch and parsed with one
    vectorised ``tf.io.parse_example``; shards are read ``workers`` at a time (TensorFlow
    releases the GIL). A shard that fails is skipped with its reason; ``BadInputError``
    when none can be read.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise BadInputError("No YouTube-8M shard was given.")
    tf = _quiet_tensorflow()
    feature_spec = _video_feature_spec(tf)
    dtype = np.float16 if feature_dtype == "float16" else np.float32
    done = [0]
    lock = threading.Lock()

    def work(path: Path):
        try:
            result = _read_one_shard(tf, path, feature_spec)
        except BadInputError as error:
            result = SkippedShard(str(path), str(error))
        except OSError as error:
            result = SkippedShard(str(path), f"the file cannot be read ({error.strerror or error})")
        with lock:
            done[0] += 1
            if progress is not None:
                progress(done[0] / len(paths), f"Read {done[0]} of {len(paths)} shards")
        return result

    worker_count = workers or min(8, max(2, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=worker_count) as pool:
        results = list(pool.map(work, paths))
    parts = [(path, result) for path, result in zip(paths, results) if isinstance(result, dict)]
    skipped = [result for result in results if isinstance(result, SkippedShard)]
    if not parts:
        reasons = "; ".join(item.message() for item in skipped[:3])
        raise BadInputError(f"None of the {len(paths)} YouTube-8M shard(s) could be read: {reasons}.")
    counts = np.concatenate([part["counts"] for _, part in parts])
    return VideoIndex(
        ids=np.concatenate([part["ids"] for _, part in parts]).astype(str),
        label_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        label_values=np.concatenate([part["values"] for _, part in parts]).astype(np.int32),
        mean_rgb=np.concatenate([part["mean_rgb"] for _, part in parts]).astype(dtype),
        mean_audio=np.concatenate([part["mean_audio"] for _, part in parts]).astype(dtype),
        shard_names=np.array([path.name for path, _ in parts]),
        shard_offsets=np.concatenate([[0], np.cumsum([len(part["ids"]) for _, part in parts])]).astype(np.int64),
        skipped=skipped,
    )


# --------------------------------------------------------------------------- frame level

@dataclass
class FrameLevelVideo:
    """One frame-level record: ``rgb`` float32 [T, 1024] and ``audio`` float32 [T, 128]
    dequantized to about [-2, 2]; ``labels`` int64 [k]."""

    id: str
    labels: np.ndarray
    rgb: np.ndarray
    audio: np.ndarray


def dequantize(quantized, max_quantized_value: float = 2.0, min_quantized_value: float = -2.0) -> np.ndarray:
    """Bytes 0–255 back to floats exactly as the YouTube-8M starter's ``utils.Dequantize``:
    ``x * range / 255 + range / 512 + min`` (range = max - min)."""
    scalar, bias = _quantization_step(max_quantized_value, min_quantized_value)
    return np.asarray(quantized, dtype=np.float32) * np.float32(scalar) + np.float32(bias)


def _quantization_step(max_quantized_value: float, min_quantized_value: float) -> tuple[float, float]:
    """(scalar, bias) of the starter's 8-bit quantization: float = byte * scalar + bias."""
    if max_quantized_value <= min_quantized_value:
        raise ValueError("max_quantized_value must be greater than min_quantized_value")
    quantized_range = max_quantized_value - min_quantized_value
    return quantized_range / 255.0, quantized_range / 512.0 + min_quantized_value


def read_frame_level(shards, max_frames: int = 300, max_videos: int | None = None) -> list[FrameLevelVideo]:
    """Read frame-level ``SequenceExample`` shards (context ``id``, ``labels``; feature
    lists ``rgb`` of 1024 bytes and ``audio`` of 128 bytes per frame).

    Parsing runs inside ``tf.data`` (``parse_single_sequence_example`` mapped in
    parallel, not a Python loop over protos). At most ``max_frames`` frames per video are
    kept. ``BadInputError`` for a shard that is truncated or has other keys.
    """
    paths = expand_shards(shards)
    tf = _quiet_tensorflow()
    context, sequence = _frame_level_spec(tf)

    def parse(serialized):
        parsed_context, parsed_sequence = tf.io.parse_single_sequence_example(serialized, context, sequence)
        rgb, audio = _quantized_frames(tf, parsed_sequence)
        return parsed_context["id"], parsed_context["labels"].values, rgb[:max_frames], audio[:max_frames]

    videos: list[FrameLevelVideo] = []
    for path in paths:
        dataset = tf.data.TFRecordDataset(str(path)).map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        try:
            for video_id, labels, rgb, audio in dataset:
                videos.append(FrameLevelVideo(
                    id=video_id.numpy().decode("utf-8", "replace"),
                    labels=labels.numpy(),
                    rgb=dequantize(rgb.numpy()),
                    audio=dequantize(audio.numpy()),
                ))
                if max_videos is not None and len(videos) >= max_videos:
                    return videos
        except tf.errors.DataLossError:
            raise BadInputError(f"{path.name} is truncated or is not a TFRecord file.") from None
        except tf.errors.InvalidArgumentError:
            raise BadInputError(f"{path.name} is not a frame-level YouTube-8M shard ({FRAME_LEVEL_NEEDS}).") from None
    return videos


def quantize(values, max_quantized_value: float = 2.0, min_quantized_value: float = -2.0) -> np.ndarray:
    """Floats to bytes 0–255, the inverse of ``dequantize`` (values outside the range are
    clipped; ``dequantize(quantize(x))`` is within range/510 of ``x`` inside it). uint8, same shape."""
    scalar, bias = _quantization_step(max_quantized_value, min_quantized_value)
    scaled = (np.asarray(values, dtype=np.float64) - bias) / scalar
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def write_frame_level_shard(path: str | os.PathLike, videos) -> int:
    """Write frame-level ``SequenceExample`` records, the format ``read_frame_level`` and
    ``load_index`` read: ``videos`` yields ``(id str, labels [int], rgb uint8 [T, 1024],
    audio uint8 [T, 128])``. For tests and benchmarks (no frame-level shard ships). Returns
    the number of records written."""
    tf = _quiet_tensorflow()

    def frame_list(frames: np.ndarray):
        return tf.train.FeatureList(feature=[tf.train.Feature(bytes_list=tf.train.BytesList(value=[frame.tobytes()]))
                                             for frame in np.asarray(frames, dtype=np.uint8)])

    written = 0
    with tf.io.TFRecordWriter(str(path)) as writer:
        for video_id, labels, rgb, audio in videos:
            writer.write(tf.train.SequenceExample(
                context=tf.train.Features(feature={
                    "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(video_id).encode()])),
                    "labels": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label) for label in labels])),
                }),
                feature_lists=tf.train.FeatureLists(feature_list={"rgb": frame_list(rgb), "audio": frame_list(audio)}),
            ).SerializeToString())
            written += 1
    return written


def write_frame_level_copy(path: str | os.PathLike, index: VideoIndex, rows, frames: int = 30, spread: float = 0.3,
                           seed: int = 0) -> int:
    """Write the videos ``rows`` (int [R]) of a video-level ``index`` as a frame-level shard:
    ``frames`` quantized frames per video scattered (normal, ``spread``) around its mean
    features, the scatter summing to zero over the frames, so the mean of the dequantized
    frames is the video-level mean up to 8-bit rounding. For tests and benchmarks; returns the
    number of records written."""
    generator = np.random.default_rng(seed)

    def frames_around(mean: np.ndarray) -> np.ndarray:
        scatter = generator.normal(0.0, spread, (frames, mean.size))
        return quantize(np.asarray(mean, dtype=np.float64) + scatter - scatter.mean(axis=0))

    return write_frame_level_shard(path, ((index.ids[row], index.labels(row), frames_around(index.mean_rgb[row]),
                                           frames_around(index.mean_audio[row])) for row in rows))


FRAME_LEVEL_NEEDS = "a frame-level record needs id, labels and rgb/audio frames of 1024/128 bytes"


def _frame_level_spec(tf) -> tuple[dict, dict]:
    """(context, sequence) feature specs of a frame-level ``SequenceExample``."""
    context = {"id": tf.io.FixedLenFeature([], tf.string), "labels": tf.io.VarLenFeature(tf.int64)}
    sequence = {"rgb": tf.io.FixedLenSequenceFeature([], tf.string), "audio": tf.io.FixedLenSequenceFeature([], tf.string)}
    return context, sequence


def _quantized_frames(tf, parsed_sequence) -> tuple:
    """uint8 rgb [T, 1024] and audio [T, 128] from a parsed sequence's byte strings."""
    rgb = tf.reshape(tf.io.decode_raw(parsed_sequence["rgb"], tf.uint8), [-1, RGB_SIZE])
    audio = tf.reshape(tf.io.decode_raw(parsed_sequence["audio"], tf.uint8), [-1, AUDIO_SIZE])
    return rgb, audio


# --------------------------------------------------------------------------- filters

MATCH_MODES = ("any", "all")


def filter_videos(
    index: VideoIndex,
    vocabulary: Vocabulary | None = None,
    vertical: str | None = None,
    entities=(),
    match: str = "any",
    min_labels: int | None = None,
    max_labels: int | None = None,
) -> np.ndarray:
    """int64 rows of ``index`` (ascending) passing every filter given.

    vertical:   keep videos with at least one label in this vertical (needs ``vocabulary``)
    entities:   entity indices (ints); ``match`` "any" keeps videos with one of them,
                "all" those with every one
    min_labels / max_labels: bounds on the number of labels (inclusive)
    """
    if match not in MATCH_MODES:
        raise BadInputError(f"The match mode must be 'any' or 'all', not {str(match)[:20]!r}.")
    keep = np.ones(len(index), dtype=bool)
    counts = index.label_counts
    if min_labels is not None:
        keep &= counts >= int(min_labels)
    if max_labels is not None:
        keep &= counts <= int(max_labels)
    rows_of_values = None
    if vertical:
        if vocabulary is None:
            raise ValueError("filtering by vertical needs the vocabulary")
        mask = vocabulary.vertical_mask(vertical)
        if mask.size < NUM_CLASSES:  # a vocabulary cut short: the labels past its end are in no vertical
            mask = np.pad(mask, (0, NUM_CLASSES - mask.size))
        rows_of_values = index.label_rows
        hit = mask[index.label_values]
        keep &= np.bincount(rows_of_values[hit], minlength=len(index)) > 0
    wanted = np.unique(np.asarray([int(e) for e in entities], dtype=np.int64))
    if wanted.size:
        if rows_of_values is None:
            rows_of_values = index.label_rows
        hit = np.isin(index.label_values, wanted)
        per_row = np.bincount(rows_of_values[hit], minlength=len(index))
        keep &= per_row >= (wanted.size if match == "all" else 1)
    return np.flatnonzero(keep)


def co_occurring(index: VideoIndex, entity: int, top: int = 10, rows: np.ndarray | None = None) -> list[tuple[int, int]]:
    """The labels most often found with ``entity``: ``[(entity index, videos), …]``, most first.

    ``rows`` limits the count to those videos (default: all).
    """
    entity = int(entity)
    with_entity = filter_videos(index, entities=[entity])
    if rows is not None:
        with_entity = np.intersect1d(with_entity, rows)
    if with_entity.size == 0:
        return []
    counts = index.label_counts[with_entity]
    starts = index.label_offsets[with_entity]
    positions = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
    totals = np.bincount(index.label_values[positions], minlength=NUM_CLASSES)
    totals[entity] = 0
    order = np.argsort(-totals, kind="stable")[: max(0, int(top))]
    return [(int(i), int(totals[i])) for i in order if totals[i] > 0]


# --------------------------------------------------------------------------- YouTube link

@dataclass(frozen=True)
class YouTubeLink:
    """The outcome of a lookup: ``youtube_id`` when found, else ``message`` says why."""

    video_id: str
    youtube_id: str | None
    message: str

    @property
    def url(self) -> str | None:
        return f"https://www.youtube.com/watch?v={self.youtube_id}" if self.youtube_id else None


_VIDEO_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{4}$")
_LOOKUP_ANSWER = re.compile(r'i\(\s*"([^"]*)"\s*,\s*"([A-Za-z0-9_-]{6,20})"\s*\)')
_LINK_CACHE: dict[tuple[str, str], YouTubeLink] = {}
_OFFLINE_UNTIL: dict[str, float] = {}


def lookup_url_base() -> str:
    """The lookup service root: ``$VIDCLASS_YT8M_LOOKUP`` or the dataset's own."""
    return os.environ.get("VIDCLASS_YT8M_LOOKUP", LOOKUP_URL_BASE).rstrip("/")


def youtube_id(video_id: str, timeout: float = 1.0, url_base: str | None = None) -> YouTubeLink:
    """Look up the real YouTube id of a 4-character YouTube-8M id.

    Asks ``<base>/<first two chars>/<id>.js`` (answer ``i("ABCD","youtubeid");``) with a
    short timeout; answers are cached per process, and after a network failure the
    service is not asked again for 60 s (offline machines answer at once). Never raises.
    """
    import time

    base = (url_base or lookup_url_base()).rstrip("/")
    video_id = str(video_id)
    if not _VIDEO_ID_PATTERN.match(video_id):
        return YouTubeLink(video_id, None, "This is not a YouTube-8M video id.")
    key = (base, video_id)
    if key in _LINK_CACHE:
        return _LINK_CACHE[key]
    if _OFFLINE_UNTIL.get(base, 0.0) > time.monotonic():
        return YouTubeLink(video_id, None, "Offline: the YouTube-8M lookup service cannot be reached, so there is no YouTube link.")
    url = f"{base}/{video_id[:2]}/{video_id}.js"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https/http base)
            text = response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        link = YouTubeLink(video_id, None, f"The lookup service has no YouTube id for this video (HTTP {error.code}).")
        _LINK_CACHE[key] = link
        return link
    except (urllib.error.URLError, OSError, ValueError):
        _OFFLINE_UNTIL[base] = time.monotonic() + 60.0
        return YouTubeLink(video_id, None, "Offline: the YouTube-8M lookup service cannot be reached, so there is no YouTube link.")
    match = _LOOKUP_ANSWER.search(text)
    if match is None or match.group(1) != video_id:
        link = YouTubeLink(video_id, None, "The lookup service gave an answer that is not a YouTube id.")
    else:
        link = YouTubeLink(video_id, match.group(2), "")
    _LINK_CACHE[key] = link
    return link
