"""The CNN + GRU classifier: frame features from frozen CNNs → a masked GRU head.

The encoders (``vidclass.encoders``) are ImageNet CNNs (MobileNet, InceptionV3), the
streaming action network MoViNet-A0, or a combination; the shipped head uses
``mobilenet_v2+movinet_a0`` (ImageNet picture features + Kinetics-600 action scores).

A *head folder* holds everything a trained head needs:

* ``head.keras``   — the Keras 3 model: inputs ``features`` float32 [B, T, D] and ``mask``
  bool [B, T] (False = padded slot) → class probabilities float32 [B, C]
* ``classes.json`` — the class names, in output order
* ``config.json``  — the encoder, sampling (strategy, frames) and architecture used
* ``metrics.json`` — how well it did and how that was measured (optional)

The shipped head is ``assets/cnn_gru_ucf101`` (11 UCF101 classes); heads trained in the
app live in ``store.cache_dir("heads")/<name>/``. ``list_heads()`` lists both.

Heads (``build_head``):

* ``gru`` — the Keras CNN-RNN example: GRU(16, return_sequences) → GRU(8) → Dropout(0.4)
  → Dense(8, relu) → softmax, widths/dropout configurable, optionally bidirectional. The
  mask goes to every recurrent layer, so padded slots never change the state.
* ``mean`` — the temporal-average baseline: masked mean of the frame features → Dropout →
  softmax.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vidclass import store
from vidclass.errors import AssetMissingError, BadInputError
from vidclass import predictions
from vidclass.predictions import Prediction

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_HEAD = ROOT / "assets" / "cnn_gru_ucf101"
HEAD_FILE = "head.keras"
HEAD_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
REQUIRED_CONFIG_KEYS = ("encoder", "num_frames")  # what a head cannot be run without


@dataclass
class HeadConfig:
    """How a head was built and which frames it expects.

    encoder:       frame encoder name (see ``vidclass.encoders``)
    strategy:      sampling strategy (``uniform`` or ``first``)
    num_frames:    T, the sequence length
    geometry:      how frames are fitted to the encoder's square input (``crop`` or ``pad``)
    architecture:  ``gru`` or ``mean``
    units:         GRU widths, first to last (``gru`` only)
    bidirectional: wrap each GRU in ``Bidirectional``
    dense:         width of the relu layer before the softmax (0 = none)
    dropout:       dropout before the dense layers
    input_dropout: dropout on the frame features
    normalize:     layer-normalise each frame's features first
    projection:    width of a per-frame Dense(relu) before the GRU (0 = none)
    frame_dropout: training only: share of real frames masked out at random per clip
    flip_augment:  training only: also train on the clips' mirrored frames
    ensemble:      train this many heads (different seeds) and average their probabilities
    views:         spatial views per frame (``vidclass.sampling.spatial_views``): 1 = the centre
                   square; 3 = left, centre, right squares of a 4:3 frame; 6 = those and their
                   mirror images. Training shows one random view per clip each epoch;
                   classifying averages the probabilities of all views.
    label_smoothing: used in training
    title:         what people see (e.g. "CNN + GRU — UCF101, 11 classes")
    """

    encoder: str = "mobilenet_v2"
    strategy: str = "uniform"
    num_frames: int = 20
    geometry: str = "crop"
    architecture: str = "gru"
    units: list[int] = field(default_factory=lambda: [16, 8])
    bidirectional: bool = False
    dense: int = 8
    dropout: float = 0.4
    input_dropout: float = 0.0
    label_smoothing: float = 0.0
    normalize: bool = False
    projection: int = 0
    frame_dropout: float = 0.0
    flip_augment: bool = False
    ensemble: int = 1
    views: int = 1
    title: str = ""

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "HeadConfig":
        """From ``to_dict`` output (unknown keys ignored)."""
        known = {key: value for key, value in values.items() if key in cls.__dataclass_fields__}
        return cls(**known)


# The architecture that measured best on UCF101 held-out groups (see
# assets/cnn_gru_ucf101/metrics.json, "comparisons"): layer-normalised frame features →
# per-frame Dense(256) → bidirectional GRU(64) → softmax, with dropout and label smoothing.
# New heads (CLI and page) use it unless told otherwise.
DEFAULT_HEAD = {
    "normalize": True,
    "projection": 256,
    "input_dropout": 0.3,
    "units": [64],
    "bidirectional": True,
    "dense": 0,
    "dropout": 0.4,
    "label_smoothing": 0.1,
}


def default_head_config() -> HeadConfig:
    """A fresh ``HeadConfig`` with the best-measured architecture (``DEFAULT_HEAD``)."""
    return HeadConfig(**{key: list(value) if isinstance(value, list) else value for key, value in DEFAULT_HEAD.items()})


# --- the model ----------------------------------------------------------------------

_custom_objects: dict | None = None
_custom_objects_lock = threading.Lock()


def _layers():
    """Custom Keras layers (built once, on first use, so Keras is imported lazily)."""
    with _custom_objects_lock:
        if _custom_objects is None:
            _define_layers()
        return _custom_objects


def _define_layers():
    global _custom_objects
    import keras

    @keras.saving.register_keras_serializable(package="vidclass")
    class MaskedMean(keras.layers.Layer):
        """Mean over time of the unmasked steps: [B, T, D] + mask [B, T] → [B, D]."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def compute_mask(self, inputs, mask=None):
            return None

        def call(self, inputs, mask):
            weights = keras.ops.cast(mask, inputs.dtype)[:, :, None]
            total = keras.ops.sum(inputs * weights, axis=1)
            count = keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)
            return total / count

        def compute_output_shape(self, input_shape):
            return (input_shape[0], input_shape[2])

    _custom_objects = {"MaskedMean": MaskedMean}
    return _custom_objects


def build_head(config: HeadConfig, num_classes: int, feature_dimension: int, name: str | None = None):
    """An uncompiled Keras model: {features [B,T,D] float32, mask [B,T] bool} → probs [B,C]."""
    import keras

    if num_classes < 2:
        raise ValueError(f"a head needs at least two classes, got {num_classes}")
    features = keras.Input((config.num_frames, feature_dimension), name="features")
    mask = keras.Input((config.num_frames,), dtype="bool", name="mask")
    x = features
    if config.normalize:
        x = keras.layers.LayerNormalization(name="normalize")(x)
    if config.input_dropout > 0:
        x = keras.layers.Dropout(config.input_dropout, name="input_dropout")(x)
    if config.projection > 0:
        x = keras.layers.Dense(int(config.projection), activation="relu", name="projection")(x)
    if config.architecture == "mean":
        x = _layers()["MaskedMean"](name="masked_mean")(x, mask=mask)
    elif config.architecture == "gru":
        if not config.units:
            raise ValueError("a gru head needs at least one GRU width in units")
        for position, width in enumerate(config.units):
            last = position == len(config.units) - 1
            layer = keras.layers.GRU(int(width), return_sequences=not last, name=f"gru_{position}")
            if config.bidirectional:
                layer = keras.layers.Bidirectional(layer, name=f"bi_gru_{position}")
            x = layer(x, mask=mask)
    else:
        raise ValueError(f"architecture must be 'gru' or 'mean', got {config.architecture!r}")
    if config.dropout > 0:
        x = keras.layers.Dropout(config.dropout, name="dropout")(x)
    if config.dense > 0:
        x = keras.layers.Dense(int(config.dense), activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model({"features": features, "mask": mask}, outputs, name=name or f"cnn_{config.architecture}_head")


def average_heads(models: list, num_frames: int, feature_dimension: int):
    """One Keras model whose output is the mean of ``models``' probabilities (an ensemble).

    Every model takes {features [B,T,D], mask [B,T]} and gives probabilities [B,C]; the
    result has the same inputs and output, so it saves and loads like a single head.
    """
    import keras

    if len(models) == 1:
        return models[0]
    features = keras.Input((num_frames, feature_dimension), name="features")
    mask = keras.Input((num_frames,), dtype="bool", name="mask")
    outputs = [model({"features": features, "mask": mask}) for model in models]
    averaged = keras.layers.Average(name="probabilities")(outputs)
    return keras.Model({"features": features, "mask": mask}, averaged, name="cnn_head_ensemble")


# --- head folders ---------------------------------------------------------------------


@dataclass(frozen=True)
class HeadInfo:
    """A head folder found on disk: its name, folder, classes, encoder, whether it ships, and
    its checked ``config.json``."""

    name: str
    path: Path
    class_names: list[str]
    encoder: str
    shipped: bool
    title: str
    config: HeadConfig


def heads_folder() -> Path:
    """Where heads trained in the app are saved (inside the writable cache)."""
    return store.cache_dir("heads")


def check_head_name(name: str) -> str:
    """``name`` stripped, or ``BadInputError`` unless it is 1–64 letters, digits, ``-`` or ``_``."""
    name = (name or "").strip()
    if not HEAD_NAME_PATTERN.match(name):
        raise BadInputError("A model name must be 1–64 letters, digits, '-' or '_', starting with a letter or digit.")
    return name


def read_json_file(path: Path):
    """The JSON value in ``path``; ``BadInputError`` when it cannot be read as JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BadInputError(f"{path} is not a readable JSON file ({type(error).__name__}).") from None


def read_class_names(folder: Path) -> list[str]:
    """The class names in a head folder's ``classes.json``: a JSON list of at least two
    different, non-empty names; ``BadInputError`` otherwise."""
    path = Path(folder) / "classes.json"
    names = read_json_file(path)
    if not isinstance(names, list) or not all(isinstance(name, str) and name.strip() for name in names):
        raise BadInputError(f"{path} must be a JSON list of class names.")
    if len(names) < 2:
        raise BadInputError(f"{path} names {len(names)} class(es); a head needs at least two.")
    if len(set(names)) != len(names):
        raise BadInputError(f"{path} names some classes twice.")
    return names


def read_head_config(folder: Path) -> HeadConfig:
    """The ``HeadConfig`` in a head folder's ``config.json``; ``BadInputError`` unless it is a
    JSON object with at least the encoder name and a positive whole number of frames."""
    path = Path(folder) / "config.json"
    values = read_json_file(path)
    if not isinstance(values, dict):
        raise BadInputError(f"{path} must be a JSON object of head settings.")
    missing = [key for key in REQUIRED_CONFIG_KEYS if key not in values]
    if missing:
        raise BadInputError(f"{path} lacks {' and '.join(missing)}, which the head cannot be run without.")
    frames = values["num_frames"]
    if not isinstance(values["encoder"], str) or not isinstance(frames, int) or isinstance(frames, bool) or frames < 1:
        raise BadInputError(f"{path} needs an encoder name and a whole number of frames (num_frames) of at least 1.")
    return HeadConfig.from_dict(values)


def read_head_info(folder: Path, shipped: bool = False) -> HeadInfo:
    """The ``HeadInfo`` of a head folder; ``BadInputError`` when it is not one."""
    folder = Path(folder)
    missing = [name for name in (HEAD_FILE, "classes.json", "config.json") if not (folder / name).is_file()]
    if missing:
        raise BadInputError(f"{folder} is not a CNN + GRU head folder: it lacks {', '.join(missing)}.")
    class_names = read_class_names(folder)
    config = read_head_config(folder)
    title = config.title or f"CNN + GRU — {folder.name}, {len(class_names)} classes"
    return HeadInfo(folder.name, folder, list(class_names), config.encoder, shipped, title, config)


def list_heads() -> list[HeadInfo]:
    """The shipped head (when present) and every valid head in ``store.cache_dir("heads")``."""
    heads: list[HeadInfo] = []
    if SHIPPED_HEAD.is_dir():
        try:
            heads.append(read_head_info(SHIPPED_HEAD, shipped=True))
        except BadInputError:
            pass
    for folder in sorted(heads_folder().iterdir()):
        if folder.is_dir():
            try:
                heads.append(read_head_info(folder))
            except (BadInputError, ValueError):
                continue
    return heads


def resolve_head(head: str | Path | None) -> Path:
    """A head folder from None (the shipped head), a folder path, or a saved head's name."""
    if head is None:
        if not (SHIPPED_HEAD / HEAD_FILE).is_file():
            raise AssetMissingError("cnn_gru_ucf101", "assets/cnn_gru_ucf101/head.keras", [ROOT / "assets"], "reinstall vidclass")
        return SHIPPED_HEAD
    candidate = Path(head).expanduser()
    if candidate.is_dir():
        return candidate
    if candidate.is_file() and candidate.name == HEAD_FILE:
        return candidate.parent
    if candidate.is_file():
        raise BadInputError(
            f"'{head}' is a file, not a CNN + GRU head: give the folder that holds {HEAD_FILE}, classes.json and "
            "config.json, or a saved head's name."
        )
    text = str(head)
    if HEAD_NAME_PATTERN.match(text):
        for info in list_heads():
            if info.name == text:
                return info.path
    raise BadInputError(f"No CNN + GRU head named or found at '{head}'.")


def save_head(folder: Path, model, class_names: list[str], config: HeadConfig, metrics: dict | None = None) -> Path:
    """Write a head folder (created): the model without optimizer state, classes, config, metrics."""
    import keras

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if any(getattr(part, "optimizer", None) is not None for part in (model, *model.layers)):
        # Save the weights only, not the optimizer's state (which would triple the file); an
        # ensemble's members are models with optimizers of their own, so clone those too.
        bare = keras.models.clone_model(model)
        bare.set_weights(model.get_weights())
        model = bare
    model.save(folder / HEAD_FILE)
    (folder / "classes.json").write_text(json.dumps(list(class_names), indent=1) + "\n", encoding="utf-8")
    (folder / "config.json").write_text(json.dumps(config.to_dict(), indent=1) + "\n", encoding="utf-8")
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    return folder


def load_head_model(folder: Path):
    """The Keras model in a head folder; ``BadInputError`` when the file cannot be loaded."""
    import keras

    path = Path(folder) / HEAD_FILE
    try:
        return keras.models.load_model(path, custom_objects=_layers(), compile=False)
    except Exception as error:  # Keras raises many kinds (zip, HDF5, JSON, layer errors) for a damaged file
        raise BadInputError(f"{path} cannot be loaded: it is damaged, cut short or not a Keras model "
                            f"({type(error).__name__}).") from None


def check_head_model(model, folder: Path, class_names: list[str], config: HeadConfig, feature_dimension: int) -> None:
    """``BadInputError`` when a loaded head disagrees with its ``classes.json`` (number of
    outputs) or with ``config.json`` and the encoder (frames × features it takes)."""
    outputs = int(model.output_shape[-1])
    if outputs != len(class_names):
        raise BadInputError(
            f"The head in {folder} gives {outputs} class scores but its classes.json names {len(class_names)} classes."
        )
    shapes = {tensor.name: tuple(tensor.shape) for tensor in model.inputs}
    expected = (None, int(config.num_frames), int(feature_dimension))
    if shapes.get("features") != expected:
        raise BadInputError(
            f"The head in {folder} takes features of shape {shapes.get('features')}, but its config.json "
            f"({config.num_frames} frames of {config.encoder}) gives {expected}."
        )


# --- the classifier -------------------------------------------------------------------


class CnnGruClassifier:
    """``classify(path)``: sample T frames, encode each with the CNN, run the GRU head.

    Safe to call from several threads (the encoder and the head each hold a lock).
    """

    name = "cnn-gru"

    def __init__(self, head_folder: Path, encoder=None):
        from vidclass.encoders import load_encoder
        from vidclass.training import sampling_for

        info = read_head_info(head_folder, shipped=Path(head_folder).resolve() == SHIPPED_HEAD.resolve())
        self.head_folder = Path(head_folder)
        self.config = info.config
        self.class_names = info.class_names
        self.title = info.title
        encoder_name = encoder if isinstance(encoder, str) or encoder is None else encoder.name
        if encoder_name is not None and encoder_name != self.config.encoder:
            raise BadInputError(
                f"The head '{info.name}' was trained on {self.config.encoder} features, not {encoder_name}: "
                f"use --encoder {self.config.encoder} or a head trained with {encoder_name}."
            )
        self.encoder = encoder if encoder is not None and not isinstance(encoder, str) else load_encoder(self.config.encoder)
        self.sampling = sampling_for(
            self.encoder.input_size, self.config.strategy, self.config.num_frames, self.config.geometry, views=self.config.views)
        self.model = load_head_model(self.head_folder)
        check_head_model(self.model, self.head_folder, self.class_names, self.config, self.encoder.dimension)
        self._lock = threading.Lock()

    def predict_features(self, features: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """float32 [T, D] features (or [V, T, D], one row per spatial view) + bool [T] mask
        → probabilities float32 [C] (the mean over the views)."""
        from vidclass.training import stack_views

        features, mask, _ = stack_views(np.asarray(features, dtype=np.float32)[None], np.asarray(mask, dtype=bool)[None])
        with self._lock:
            probabilities = self.model({"features": features, "mask": mask}, training=False)
        probabilities = probabilities.numpy() if hasattr(probabilities, "numpy") else probabilities
        return np.asarray(probabilities, dtype=np.float32).mean(axis=0)

    def classify(self, path, top_k: int = 5, progress=None) -> Prediction:
        """A ``Prediction`` for the clip at ``path`` (``frames`` = the sampled frames used)."""
        from vidclass.sampling import sample_frames
        from vidclass.training import encode_sampled

        started = time.perf_counter()
        if progress:
            progress(0.0, "Reading frames")
        sampled = sample_frames(path, self.sampling)
        decoded = time.perf_counter()
        if not sampled.mask.any():
            raise BadInputError(f"'{Path(path).name}' has no frame that can be decoded.")
        if progress:
            progress(0.3, f"Encoding {sampled.num_real} frames with {self.encoder.name}")
        features = encode_sampled(self.encoder, sampled, self.config.views)
        if progress:
            progress(0.9, "Running the GRU head")
        probabilities = self.predict_features(features, sampled.mask)
        finished = time.perf_counter()
        if progress:
            progress(1.0, "Done")
        return Prediction(
            model=self.name,
            labels=predictions.top_k(probabilities, self.class_names, top_k),
            probabilities=probabilities,
            class_names=list(self.class_names),
            frames=sampled,
            decode_seconds=decoded - started,
            inference_seconds=finished - decoded,
            extra={"head": self.head_folder.name, "encoder": self.encoder.name, "title": self.title},
        )


def load_classifier(encoder=None, head=None) -> CnnGruClassifier:
    """The CNN + GRU classifier for ``head`` (None = the shipped UCF101 head; a folder or a
    saved head's name). ``encoder`` (a name) must match the head's; ``BadInputError`` naming
    both otherwise."""
    return CnnGruClassifier(resolve_head(head), encoder=encoder)


def head_sampling(folder: Path = SHIPPED_HEAD):
    """The ``SamplingConfig`` of the frames a head reads, from its ``config.json`` alone (no
    model is loaded): what the Frames page shows as the CNN + GRU's view."""
    from vidclass.encoders import input_size_of
    from vidclass.training import sampling_for

    config = read_head_config(folder)
    return sampling_for(input_size_of(config.encoder), config.strategy, config.num_frames, config.geometry, views=config.views)


def probably_unknown(prediction: Prediction, min_top_score: float = 0.6, max_entropy: float = 0.5) -> bool:
    """True when the clip is probably none of the head's classes: the top probability is
    below ``min_top_score`` or the normalised entropy (0–1) is above ``max_entropy``.

    The defaults, checked on out-of-fold UCF101 predictions (group cross-validation of a
    mean-pooling head), flag about 2 % of right answers and 15 % of wrong ones. With the
    shipped head (label smoothing keeps sure answers near 0.95, entropy ≈ 0.15) they flag
    5 of the 6 out-of-domain clips in ``data/clips`` and none of the 11 UCF101 AVIs. A
    clip of another action can still get a confident answer, so the page should also say
    plainly that the model only knows its own classes."""
    return prediction.top.score < min_top_score or prediction.entropy() > max_entropy
