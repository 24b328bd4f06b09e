"""MoViNet SavedModels from TF Hub / Kaggle (A0–A5, base or stream) for connected machines.

Loaded with ``tensorflow_hub.load`` (a plain SavedModel load; ``hub.KerasLayer`` breaks
on Keras 3). A handle is a URL such as
``https://tfhub.dev/tensorflow/movinet/a2/base/kinetics-600/classification/3`` or a
local folder holding the SavedModel. The two kinds, as exported by the TF Model Garden
(``official/projects/movinet/tools/export_saved_model.py``) and used by the TF Hub
"MoViNet for streaming action recognition" tutorial:

* **base** — signature ``serving_default``: ``image`` float32 ``[1,T,H,W,3]`` RGB in
  [0, 1], the whole clip at once → ``classifier_head`` logits ``[1,600]``. No
  per-frame timeline.
* **stream** — ``model.init_states(shape [5] int32)`` → a dict of zero state tensors;
  ``model({**states, "image": frame [1,1,H,W,3]})`` → ``(logits [1,600], new_states)``.
  The export also carries the same two as signatures ``init_states`` and ``call``
  (``call`` returns the states and ``logits`` in one dict); they are used when the
  loaded object has no callable ``init_states``/``__call__``.

Frames are sampled like the TFLite model's (``vidclass.movinet.DEFAULT_SAMPLING``) at
the model's own input size. Labels come from the asset store (``kinetics600_labels.txt``, Kinetics-600 order, the
same as the TF Hub label file) unless ``labels`` names another file.

Downloaded models are cached in ``VIDCLASS_CACHE/tfhub_modules`` (not TF Hub's default
folder in the system temp directory) unless ``TFHUB_CACHE_DIR`` is set.
"""

from __future__ import annotations

import os
import re
from typing import Callable

import numpy as np

from vidclass import store
from vidclass.errors import BadInputError
from vidclass.movinet import DEFAULT_SAMPLING, prediction_for, sample_and_classify
from vidclass.predictions import Prediction, softmax
from vidclass.sampling import SampledFrames, SamplingConfig

HANDLE_TEMPLATE = "https://tfhub.dev/tensorflow/movinet/{model_id}/{mode}/kinetics-600/classification/{version}"
MODES = ("base", "stream")
# Input side each model was trained at (the TF Hub model pages).
RESOLUTIONS = {"a0": 172, "a1": 172, "a2": 224, "a3": 256, "a4": 290, "a5": 320}

ProgressCallback = Callable[[float, str], None]
HUB_CACHE_VARIABLE = "TFHUB_CACHE_DIR"
_hub_cache_we_chose: list[str] = []  # the TFHUB_CACHE_DIR value set here (not by the user), if any


def handle_for(model_id: str = "a2", mode: str = "base", version: int = 3) -> str:
    """The TF Hub handle of a Kinetics-600 MoViNet classifier, e.g. ``handle_for("a0", "stream")``."""
    model_id = model_id.lower()
    if model_id not in RESOLUTIONS:
        raise ValueError(f"model_id must be one of {sorted(RESOLUTIONS)}, got {model_id!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return HANDLE_TEMPLATE.format(model_id=model_id, mode=mode, version=version)


def parse_handle(handle: str) -> tuple[str | None, str | None]:
    """(model id such as ``"a2"``, mode ``"base"``/``"stream"``) read from a handle, None when absent."""
    text = str(handle).lower()
    model = re.search(r"(?:^|[/_\-])(a[0-5])(?:[/_\-]|$)", text)
    mode = re.search(r"(?:^|[/_\-])(base|stream)(?:[/_\-]|$)", text)
    return (model.group(1) if model else None), (mode.group(1) if mode else None)


def use_vidclass_hub_cache() -> str:
    """Point ``TFHUB_CACHE_DIR`` at ``tfhub_modules`` in the vidclass cache (followed if
    ``VIDCLASS_CACHE`` changes) unless the user set it; the folder TF Hub will use."""
    current = os.environ.get(HUB_CACHE_VARIABLE)
    if current and current not in _hub_cache_we_chose:
        return current
    chosen = str(store.cache_root() / "tfhub_modules")
    os.environ[HUB_CACHE_VARIABLE] = chosen
    _hub_cache_we_chose.append(chosen)
    return chosen


def load_module(handle: str):
    """``tensorflow_hub.load(handle)``; ``BadInputError`` in one sentence when it cannot load."""
    use_vidclass_hub_cache()
    import tensorflow_hub as hub

    try:
        return hub.load(str(handle))
    except Exception as error:  # network down, unknown handle, not a SavedModel
        raise BadInputError(
            f"Could not load the MoViNet SavedModel '{handle}' ({type(error).__name__}): "
            "check the handle and the network connection, or give a local SavedModel folder."
        ) from error


def is_stream_module(module) -> bool:
    """True for a streaming MoViNet (it has ``init_states``), False for a base model."""
    return hasattr(module, "init_states") or "init_states" in getattr(module, "signatures", {})


def _only_value(outputs: dict, preferred: tuple[str, ...]):
    for name in preferred:
        if name in outputs:
            return outputs[name]
    if len(outputs) == 1:
        return next(iter(outputs.values()))
    raise ValueError(f"cannot tell the logits among the model outputs {sorted(outputs)}")


class HubMovinetClassifier:
    """A TF Hub MoViNet SavedModel as a vidclass classifier (``classify(path)`` → ``Prediction``).

    Thread-safe: TensorFlow functions may be called from several threads, and the
    streaming states are local to each call.
    """

    name = "movinet"

    def __init__(
        self,
        module,
        class_names: list[str],
        mode: str,
        size: int,
        sampling: SamplingConfig | None = None,
        handle: str = "",
        model_id: str | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.module = module
        self.class_names = list(class_names)
        self.mode = mode
        self.size = int(size)
        self.handle = str(handle)
        self.sampling = sampling or DEFAULT_SAMPLING.with_changes(size=self.size)
        shown = (model_id or "").upper() or "SavedModel"
        self.title = f"MoViNet-{shown} {mode} (TensorFlow Hub, Kinetics-600)"

    # --- the model calls ---------------------------------------------------------------

    def _base_logits(self, clip: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        signature = self.module.signatures["serving_default"]
        outputs = signature(image=tf.constant(clip[None]))
        return np.asarray(_only_value(outputs, ("classifier_head", "logits")))[0]

    def _stream_logits(self, clip: np.ndarray, on_frame: Callable[[int], None] | None) -> np.ndarray:
        import tensorflow as tf

        shape = tf.constant([1, len(clip), clip.shape[1], clip.shape[2], 3], dtype=tf.int32)
        use_signatures = not (callable(getattr(self.module, "init_states", None)) and callable(self.module))
        if use_signatures:
            init_signature = self.module.signatures["init_states"]
            call_signature = self.module.signatures["call"]
            (shape_argument,) = init_signature.structured_input_signature[1].keys()
            states = dict(init_signature(**{shape_argument: shape}))
        else:
            states = dict(self.module.init_states(shape))
        logits = np.zeros((len(clip), len(self.class_names)), dtype=np.float32)
        for position in range(len(clip)):
            image = tf.constant(clip[position][None, None])
            if use_signatures:
                outputs = dict(call_signature(**states, image=image))
                frame_logits = outputs.pop("logits")
                states = outputs
            else:
                frame_logits, states = self.module({**states, "image": image})
                states = dict(states)
            logits[position] = np.asarray(frame_logits)[0]
            if on_frame is not None:
                on_frame(position)
        return logits

    def run(self, frames: np.ndarray, progress: ProgressCallback | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(clip probabilities float32 [600], timeline float32 [T,600] or None for base models).

        ``frames``: [T,H,W,3] uint8 0–255 or float in [0, 1], H = W = ``self.size``.
        """
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
            raise ValueError(f"frames must be [T,H,W,3] with T ≥ 1, got shape {frames.shape}")
        clip = frames.astype(np.float32) / np.float32(255.0) if frames.dtype == np.uint8 else frames.astype(np.float32)
        if self.mode == "base":
            probabilities = softmax(self._base_logits(clip))
            if progress is not None:
                progress(1.0, f"Classified {len(clip)} frames")
            return probabilities, None
        total = len(clip)

        def on_frame(position: int) -> None:
            progress((position + 1) / total, f"Classified frame {position + 1} of {total}")

        timeline = softmax(self._stream_logits(clip, on_frame if progress else None))
        return timeline[-1], timeline

    def classify_frames(self, frames: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
        """Probabilities float32 [T,600] after each frame (stream) or [1,600] (base)."""
        probabilities, timeline = self.run(frames, progress)
        return timeline if timeline is not None else probabilities[None]

    def classify_sampled(
        self, sampled: SampledFrames, top_k_count: int = 5, progress: ProgressCallback | None = None, decode_seconds: float = 0.0
    ) -> Prediction:
        """A ``Prediction`` for frames already sampled (real frames only, in order)."""
        extra = {"runtime": "tensorflow-hub", "handle": self.handle, "mode": self.mode}
        return prediction_for(self, sampled, self.run, top_k_count, progress, decode_seconds, extra)

    def classify(self, path: str | os.PathLike, top_k: int = 5, progress: ProgressCallback | None = None) -> Prediction:
        """Classify the clip at ``path`` (sampled with ``self.sampling``)."""
        return sample_and_classify(self, path, top_k, progress)


def load_classifier(
    handle: str,
    mode: str | None = None,
    size: int | None = None,
    labels: str | os.PathLike | None = None,
    sampling: SamplingConfig | None = None,
) -> HubMovinetClassifier:
    """A TF Hub / Kaggle MoViNet (``handle``: URL or local SavedModel folder).

    ``mode`` (``base``/``stream``) defaults to what the loaded model has (a stream model
    has ``init_states``); ``size`` (input side) to ``sampling``'s, else to the model id
    in the handle (``a2`` → 224, ``a0``/``a1`` → 172, unknown → 172).
    """
    from vidclass.movinet import LABELS_PATH, read_labels

    model_id, _ = parse_handle(handle)
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    class_names = read_labels(labels if labels else store.find(LABELS_PATH, "movinet"))
    module = load_module(handle)
    chosen_mode = mode or ("stream" if is_stream_module(module) else "base")
    side = size or (sampling.output_shape[0] if sampling else RESOLUTIONS.get(model_id or "", 172))
    return HubMovinetClassifier(module, class_names, chosen_mode, int(side), sampling, str(handle), model_id)
