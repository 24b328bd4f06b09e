"""Frame encoders: frozen networks (ImageNet CNNs, or MoViNet) that turn each sampled frame into a feature vector.

One interface for every encoder (``FrameEncoder``):

* ``name``        — registry name (``inception_v3``, ``mobilenet_v2``, ``mobilenet_v1``,
  ``movinet_a0``)
* ``dimension``   — length D of one frame's feature vector
* ``input_size``  — the square side, in pixels, frames must be sampled at
* ``encode(frames)`` — uint8 RGB [T, S, S, 3] → float32 [T, D], the model's own
  preprocessing applied inside, in as few runtime calls as the runtime allows.
* ``streaming``   — True when a frame's features depend on the frames before it (the
  model carries state): ``encode`` must then get one clip's frames, in time order.

Encoders:

* ``inception_v3`` — ``keras.applications.InceptionV3(include_top=False, pooling="avg")``,
  2048-d, inputs scaled to [-1, 1]. ImageNet weights come from a local file in the asset
  store (``models/inception_v3/*.weights.h5`` or ``*.h5``) or, on a connected machine,
  from Keras' own download. All T frames go through one batched call.
* ``mobilenet_v2`` — the uint8 TFLite MobileNetV2 1.0/224; the 1280-d pre-logits tensor
  ``MobilenetV2/Logits/AvgPool`` (read with ``experimental_preserve_all_tensors``),
  dequantized with its scale and zero point.
* ``mobilenet_v1`` — the uint8 TFLite MobileNetV1 embedding extractor, 1024-d, dequantized.
* ``movinet_a0`` — not an ImageNet CNN but the streaming video network MoViNet-A0
  (Kinetics-600, int8 TFLite, ``vidclass.movinet``): after each frame, the 600 Kinetics
  logits of the clip so far, so the GRU reads how the action evidence builds up. It
  carries Kinetics-600 action knowledge (motion included) to the head, at ~4 ms a frame.

The TFLite files have a fixed batch of 1 inside (a reshape to [1, 1001]): resizing the
input to [T, 224, 224, 3] fails to prepare (measured with ai-edge-litert 2.3, both with
and without XNNPACK), so they run one invoke per frame, which XNNPACK makes cheap
(~5–15 ms a frame). See ``bench/bench_encoders.py``.

Thread safety: every encoder serialises its runtime calls with a lock, so one encoder
object can serve several Streamlit sessions (threads) at once.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np

from vidclass import store
from vidclass.errors import AssetMissingError, BadInputError

MOBILENET_V2_PATH = "models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite"
MOBILENET_V2_FEATURE_TENSOR = "MobilenetV2/Logits/AvgPool"
MOBILENET_V1_PATH = "models/mobilenet_v1_1.0_224_quant_embedding_extractor/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"
INCEPTION_FOLDER = "models/inception_v3"


class FrameEncoder:
    """Base class: see the module docstring for the contract."""

    name = ""
    dimension = 0
    input_size = 224
    streaming = False

    def __init__(self):
        self._lock = threading.Lock()

    def encode(self, frames: np.ndarray) -> np.ndarray:
        """uint8 RGB [T, S, S, 3] (S = ``input_size``) → float32 [T, D]."""
        frames = self.check_frames(frames)
        if len(frames) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return self._encode(frames)

    def encode_per_frame(self, frames: np.ndarray) -> np.ndarray:
        """The naive way (one runtime call per frame, as the Keras example does); for benchmarks."""
        frames = self.check_frames(frames)
        with self._lock:
            rows = [self._encode(frames[i : i + 1]) for i in range(len(frames))]
        return np.concatenate(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def check_frames(self, frames: np.ndarray) -> np.ndarray:
        """``frames`` as a contiguous uint8 array, or ``ValueError`` for a wrong shape or dtype."""
        frames = np.asarray(frames)
        expected = (self.input_size, self.input_size, 3)
        if frames.ndim != 4 or frames.shape[1:] != expected:
            raise ValueError(f"{self.name} needs frames shaped [T, {expected[0]}, {expected[1]}, 3], got {frames.shape}")
        if frames.dtype != np.uint8:
            raise ValueError(f"{self.name} needs uint8 frames, got {frames.dtype}")
        return np.ascontiguousarray(frames)

    def _encode(self, frames: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


# --- TFLite encoders ----------------------------------------------------------------


def _tflite_interpreter(model_path: Path, preserve_all_tensors: bool = False):
    """An ai-edge-litert interpreter (tf.lite as a fallback) with its tensors allocated."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - depends on the installation
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        # preserve_all_tensors warns that it is meant for debugging; it is what exposes the
        # pre-logits tensor, and the extra memory is a few MB for MobileNet.
        warnings.simplefilter("ignore")
        interpreter = Interpreter(
            model_path=str(model_path),
            num_threads=1,
            experimental_preserve_all_tensors=preserve_all_tensors,
        )
    interpreter.allocate_tensors()
    return interpreter


class TFLiteEncoder(FrameEncoder):
    """A uint8 TFLite image model whose feature tensor is read after each invoke."""

    model_path = ""
    asset_name = ""
    feature_tensor: str | None = None  # None: the model's first output

    def __init__(self, model_file: str | Path | None = None):
        super().__init__()
        path = Path(model_file) if model_file else store.find(self.model_path, self.asset_name)
        self.path = path
        self._interpreter = _tflite_interpreter(path, preserve_all_tensors=self.feature_tensor is not None)
        details = self._interpreter.get_input_details()[0]
        self._input_index = details["index"]
        if details["dtype"] != np.uint8:
            raise ValueError(f"{path.name} takes {details['dtype']} input; vidclass expects a uint8 model")
        self.input_size = int(details["shape"][1])
        feature = self._find_feature_tensor()
        self._feature_index = feature["index"]
        scale, zero_point = feature["quantization"]
        self._scale = float(scale) if scale else 1.0
        self._zero_point = int(zero_point)
        self.dimension = int(np.prod(feature["shape"][1:]))

    def _find_feature_tensor(self) -> dict:
        if self.feature_tensor is None:
            return self._interpreter.get_output_details()[0]
        for details in self._interpreter.get_tensor_details():
            if details["name"] == self.feature_tensor:
                return details
        raise ValueError(f"{self.path.name} has no tensor named {self.feature_tensor!r}")

    def _encode(self, frames: np.ndarray) -> np.ndarray:
        rows = np.empty((len(frames), self.dimension), dtype=np.float32)
        for position in range(len(frames)):
            self._interpreter.set_tensor(self._input_index, frames[position : position + 1])
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._feature_index).reshape(-1)
            rows[position] = (raw.astype(np.float32) - self._zero_point) * self._scale
        return rows


class MobileNetV2Encoder(TFLiteEncoder):
    """MobileNetV2 1.0/224 uint8 TFLite, 1280-d pre-logits (``MobilenetV2/Logits/AvgPool``)."""

    name = "mobilenet_v2"
    model_path = MOBILENET_V2_PATH
    asset_name = "mobilenet_v2"
    feature_tensor = MOBILENET_V2_FEATURE_TENSOR


class MobileNetV1Encoder(TFLiteEncoder):
    """MobileNetV1 1.0/224 uint8 TFLite embedding extractor, 1024-d."""

    name = "mobilenet_v1"
    model_path = MOBILENET_V1_PATH
    asset_name = "mobilenet_v1"
    feature_tensor = None


class MovinetA0Encoder(FrameEncoder):
    """MoViNet-A0-Stream as an encoder: frame t → the Kinetics-600 logits after frames 0..t.

    Input frames are 172 × 172 (the model's size); states start at zero for every
    ``encode`` call, so one call = one clip (``streaming``). 600-d, float32.
    """

    name = "movinet_a0"
    dimension = 600
    input_size = 172
    streaming = True

    def __init__(self, model_file: str | Path | None = None):
        super().__init__()
        from vidclass import movinet

        self.path = Path(model_file) if model_file else store.find(movinet.MODEL_PATH, movinet.ASSET_NAME)
        self._interpreter = movinet.StreamingInterpreter(self.path)
        self.dimension = self._interpreter.num_classes

    def _encode(self, frames: np.ndarray) -> np.ndarray:
        return self._interpreter.stream(frames)


class CombinedEncoder(FrameEncoder):
    """Several encoders side by side: each frame's features are their features concatenated.

    Frames come at the largest input size of the parts; each part gets them resized to its
    own. ``mobilenet_v2+movinet_a0`` gives the GRU what a frame shows (ImageNet) and how
    the action builds up (Kinetics-600): 1280 + 600 = 1880-d.
    """

    def __init__(self, parts: list[FrameEncoder]):
        super().__init__()
        if len(parts) < 2:
            raise ValueError(f"a combined encoder needs at least two parts, got {len(parts)}")
        self.parts = list(parts)
        self.name = "+".join(part.name for part in self.parts)
        self.dimension = sum(part.dimension for part in self.parts)
        self.input_size = max(part.input_size for part in self.parts)
        self.streaming = any(part.streaming for part in self.parts)

    def _encode(self, frames: np.ndarray) -> np.ndarray:
        from vidclass.sampling import fit_frame

        features = []
        for part in self.parts:
            size = part.input_size
            resized = frames if size == self.input_size else np.stack([fit_frame(frame, size, size, "stretch") for frame in frames])
            features.append(part.encode(resized))
        return np.concatenate(features, axis=1)


# --- Keras encoder ------------------------------------------------------------------


def inception_weights_file() -> Path | None:
    """A local InceptionV3 no-top weights file in the asset store or cache, or None."""
    for pattern in ("*.weights.h5", "*.h5"):
        found = store.find_all(INCEPTION_FOLDER, pattern)
        if found:
            return found[0]
    return None


class InceptionV3Encoder(FrameEncoder):
    """Keras InceptionV3 without its top, global average pooled: 2048-d, inputs in [-1, 1].

    ``weights``: a path to a weights file, ``"imagenet"`` (Keras downloads them; needs a
    connection) or None to search the asset store, then fall back to ``"imagenet"``.
    ``input_size`` defaults to 299 (the network's own); ≥ 75 works (tests use small sizes).
    """

    name = "inception_v3"
    dimension = 2048
    input_size = 299  # the default; an instance may take another

    def __init__(self, weights: str | Path | None = None, input_size: int = 299):
        super().__init__()
        import keras

        if input_size < 75:
            raise ValueError(f"InceptionV3 needs an input of at least 75 pixels, got {input_size}")
        self.input_size = int(input_size)
        shape = (self.input_size, self.input_size, 3)
        weights = weights if weights is not None else inception_weights_file()
        if weights is None or str(weights) == "imagenet":
            try:
                self.model = keras.applications.InceptionV3(
                    include_top=False, pooling="avg", weights="imagenet", input_shape=shape
                )
            except Exception as error:  # no connection: say which asset and where
                raise AssetMissingError(
                    "inception_v3", f"{INCEPTION_FOLDER}/*.weights.h5", store.search_roots(),
                    "put InceptionV3 no-top weights there (Keras downloads them on a connected machine)",
                ) from error
            self.weights_source = "imagenet"
        else:
            weights_path = Path(weights)
            if not weights_path.is_file():
                raise BadInputError(f"The InceptionV3 weights file {weights_path} does not exist.")
            self.model = keras.applications.InceptionV3(
                include_top=False, pooling="avg", weights=None, input_shape=shape
            )
            try:
                self.model.load_weights(str(weights_path))
            except Exception as error:
                raise BadInputError(
                    f"{weights_path.name} is not an InceptionV3 (no top) weights file: {error}"
                ) from error
            self.weights_source = str(weights_path)

    def _encode(self, frames: np.ndarray) -> np.ndarray:
        scaled = frames.astype(np.float32) / 127.5 - 1.0  # keras inception_v3.preprocess_input
        features = self.model(scaled, training=False)
        features = features.numpy() if hasattr(features, "numpy") else features
        return np.asarray(features, dtype=np.float32)


# --- registry -----------------------------------------------------------------------

ENCODERS = {
    "mobilenet_v2": MobileNetV2Encoder,
    "mobilenet_v1": MobileNetV1Encoder,
    "inception_v3": InceptionV3Encoder,
    "movinet_a0": MovinetA0Encoder,
}

ENCODER_DIMENSIONS = {"mobilenet_v2": 1280, "mobilenet_v1": 1024, "inception_v3": 2048, "movinet_a0": 600}

_loaded: dict[tuple, FrameEncoder] = {}
_loaded_lock = threading.Lock()


# Combinations offered by name (any "a+b" of registered encoders loads).
COMBINATIONS = ("mobilenet_v2+movinet_a0",)

# The encoder that measured best on UCF101 held-out groups (assets/cnn_gru_ucf101/metrics.json,
# "encoder_study"): the shipped head's, and the default for new heads.
DEFAULT_ENCODER = "mobilenet_v2+movinet_a0"


def encoder_parts(name: str) -> list[str]:
    """The registered encoders that ``name`` names: itself, or the parts of an ``"a+b"``
    combination. ``BadInputError`` for an unknown or repeated part."""
    part_names = name.split("+")
    if any(part not in ENCODERS for part in part_names) or len(set(part_names)) != len(part_names):
        raise BadInputError(f"Unknown encoder '{name}': choose one of {', '.join(encoder_names())}.")
    return part_names


def input_size_of(name: str) -> int:
    """The frame size (pixels, square) encoder ``name`` takes, without loading it: a combined
    encoder takes its largest part's. ``BadInputError`` for an unknown name."""
    return max(ENCODERS[part].input_size for part in encoder_parts(name))


def encoder_names() -> list[str]:
    """Names accepted by ``load_encoder``: the single encoders, then ``COMBINATIONS``."""
    return list(ENCODERS) + list(COMBINATIONS)


def load_encoder(name: str, **options) -> FrameEncoder:
    """The encoder ``name`` (one shared instance per name and options in this process);
    ``"a+b"`` combines registered encoders (``CombinedEncoder``; options go to none).

    ``BadInputError`` for an unknown name; ``AssetMissingError`` when its model is missing.
    """
    part_names = encoder_parts(name)
    if len(part_names) > 1:
        if options:
            raise ValueError(f"a combined encoder takes no options, got {sorted(options)}")
        parts = [load_encoder(part) for part in part_names]  # outside the lock: it is not re-entrant
        build = lambda: CombinedEncoder(parts)  # noqa: E731
    else:
        build = lambda: ENCODERS[name](**options)  # noqa: E731
    key = (name, tuple(sorted((k, str(v)) for k, v in options.items())))
    with _loaded_lock:
        if key not in _loaded:
            _loaded[key] = build()
        return _loaded[key]


def available_encoders() -> list[str]:
    """Encoder names whose model files are on this machine (nothing is loaded), then the
    ``COMBINATIONS`` all of whose parts are.

    ``inception_v3`` counts only with a local weights file (no download is tried).
    """
    from vidclass import movinet

    names = []
    for name, relative, asset in (
        ("mobilenet_v2", MOBILENET_V2_PATH, "mobilenet_v2"),
        ("mobilenet_v1", MOBILENET_V1_PATH, "mobilenet_v1"),
        ("movinet_a0", movinet.MODEL_PATH, movinet.ASSET_NAME),
    ):
        try:
            store.find(relative, asset)
        except AssetMissingError:
            continue
        names.append(name)
    if inception_weights_file() is not None:
        names.append("inception_v3")
    return names + [combined for combined in COMBINATIONS if set(combined.split("+")) <= set(names)]
