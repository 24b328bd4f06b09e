"""MoViNet-A0-Stream (Kinetics-600, int8 TFLite): classify a clip one frame at a time.

The model (``models/movinet_a0_stream_int8/`` in the asset store) takes one RGB frame
``float32 [1,1,172,172,3]`` in [0, 1] plus 43 state tensors per call and returns
``logits [1,600]`` and the 43 new states. States start at zeros for every clip and are
then fed back, so the logits after frame t summarise frames 0..t: the clip's answer is
the softmax of the logits after the last frame, and the probabilities after every frame
form the streaming timeline.

Runtime: LiteRT (``ai_edge_litert``) by default, chosen by ``bench/bench_movinet.py``:
with the same direct-tensor loop both runtimes take about 1 ms a frame on 2 cores
when the machine is quiet (LiteRT median 1.2 ms vs tf.lite 1.0–2.6 ms depending on the
load), but LiteRT imports in ~0.2 s instead of TensorFlow's 3–10 s, creates an
interpreter in ~5 ms, and ``tf.lite.Interpreter`` is deprecated. The signature runner is
not used in the loop: it passes all 43 states through Python dicts and costs about
twice as much per frame as ``set_tensor``/``get_tensor`` on the tensor indices it
reports.

Concurrency: an interpreter is not thread-safe, and Streamlit runs every script run
in a fresh thread (so a ``threading.local`` interpreter would be rebuilt on every
rerun), so interpreters live in a small pool (``InterpreterPool``): a clip borrows one
for its inference loop only (decoding runs outside it, in parallel), and a thread that
finds all of them busy waits. Measured with 8 threads × 150 frames: one interpreter
behind a lock 6.0 s, a pool of 2 3.2 s, one interpreter per thread 3.2 s — so the pool
holds one interpreter per core (``default_pool_size``), created on demand.

For the TF Hub / Kaggle SavedModels (A0–A2, base or stream) on connected machines see
``vidclass.movinet_hub``; ``load_classifier(handle=...)`` switches to it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from vidclass import store
from vidclass.errors import BadInputError
from vidclass.predictions import Prediction, softmax, top_k
from vidclass.sampling import SampledFrames, SamplingConfig, sample_frames

MODEL_FOLDER = "models/movinet_a0_stream_int8"
MODEL_PATH = f"{MODEL_FOLDER}/movinet_a0_stream_int8.tflite"
LABELS_PATH = f"{MODEL_FOLDER}/kinetics600_labels.txt"
ASSET_NAME = "movinet"
SIGNATURE = "serving_default"
FRAME_SIZE = 172
RUNTIMES = ("litert", "tflite")

# Decided by bench/movinet_sampling_study.py on 88 UCF101 clips (8 per class, distinct
# groups) + 5 example clips, top-1 / top-5 on UCF101: 3 fps crop 85.2 % / 95.5 %,
# 4 fps 84.1 / 95.5, 5 fps (the training rate) 80.7 / 96.6, 8 fps 79.5 / 94.3, native
# 60.2 / 81.8; at 3 fps pad 76.1 / 87.5 and stretch 83.0 / 94.3. So: resample to
# TARGET_FPS, centre crop to 172×172. MAX_FRAMES caps hour-long clips (beyond it, evenly
# spaced frames over the whole clip).
TARGET_FPS = 3.0
GEOMETRY = "crop"
MAX_FRAMES = 300
DEFAULT_SAMPLING = SamplingConfig(
    strategy="fps", target_fps=TARGET_FPS, size=FRAME_SIZE, geometry=GEOMETRY, num_frames=MAX_FRAMES
)

ProgressCallback = Callable[[float, str], None]


def default_num_threads() -> int:
    """Threads per interpreter: the machine's cores, at most 2 (more does not pay for A0)."""
    return max(1, min(2, os.cpu_count() or 1))


def default_pool_size() -> int:
    """Interpreters kept for concurrent clips: one per core, at least 2."""
    return max(2, os.cpu_count() or 1)


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class names from a label file, one per line (line i = class i), blank lines dropped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def interpreter_class(runtime: str = "litert"):
    """The TFLite ``Interpreter`` class of ``runtime``: ``litert`` or ``tflite`` (TensorFlow)."""
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    if runtime == "tflite":
        import tensorflow as tf

        return tf.lite.Interpreter
    raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")


def to_model_frames(frames: np.ndarray) -> np.ndarray:
    """Frames ``[T,172,172,3]`` (uint8 0–255 or float in [0, 1]) as float32 in [0, 1].

    Raises ``ValueError`` for any other shape or an empty clip.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[1:] != (FRAME_SIZE, FRAME_SIZE, 3):
        raise ValueError(f"frames must be [T,{FRAME_SIZE},{FRAME_SIZE},3], got shape {frames.shape}")
    if len(frames) == 0:
        raise ValueError("frames must hold at least one frame")
    if frames.dtype == np.uint8:
        return frames.astype(np.float32) / np.float32(255.0)
    return frames.astype(np.float32, copy=False)


class StreamingInterpreter:
    """One TFLite interpreter of the streaming model plus its state bookkeeping.

    Not thread-safe: use one from a single thread at a time (``InterpreterPool``).
    """

    def __init__(self, model_path: str | os.PathLike, num_threads: int | None = None, runtime: str = "litert"):
        Interpreter = interpreter_class(runtime)
        self.runtime = runtime
        self.interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads or default_num_threads())
        self.interpreter.allocate_tensors()
        runner = self.interpreter.get_signature_runner(SIGNATURE)
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        del runner  # only its tensor indices are used: the loop below is faster without it
        if "image" not in inputs or "logits" not in outputs:
            raise ValueError(f"{model_path} is not a streaming MoViNet: no 'image' input or 'logits' output")
        self.image_index = inputs["image"]["index"]
        self.logits_index = outputs["logits"]["index"]
        self.num_classes = int(outputs["logits"]["shape"][-1])
        state_names = sorted(name for name in inputs if name != "image")
        missing = [name for name in state_names if name not in outputs]
        if missing:
            raise ValueError(f"{model_path}: state inputs without a matching output: {missing[:3]}")
        # (input index, output index, zeros) for every state tensor
        self.states = [
            (inputs[name]["index"], outputs[name]["index"], np.zeros(inputs[name]["shape"], inputs[name]["dtype"]))
            for name in state_names
        ]

    @property
    def num_states(self) -> int:
        """How many state tensors the model carries between frames (43 for A0)."""
        return len(self.states)

    def reset(self) -> None:
        """Zero every state: the next frame starts a new clip."""
        for input_index, _, zeros in self.states:
            self.interpreter.set_tensor(input_index, zeros)

    def stream(self, frames: np.ndarray, on_frame: Callable[[int], None] | None = None) -> np.ndarray:
        """Logits after each frame, float32 [T,C], for one clip (states reset first).

        ``frames``: [T,172,172,3] uint8 or float32 in [0, 1]. ``on_frame(t)`` is called
        after frame t.
        """
        frames = np.asarray(frames)
        to_model_frames(frames[:1])  # validate shape once
        interpreter = self.interpreter
        logits = np.zeros((len(frames), self.num_classes), dtype=np.float32)
        self.reset()
        for position in range(len(frames)):
            frame = frames[position]
            if frame.dtype == np.uint8:
                frame = frame.astype(np.float32) / np.float32(255.0)
            interpreter.set_tensor(self.image_index, frame[None, None].astype(np.float32, copy=False))
            interpreter.invoke()
            logits[position] = interpreter.get_tensor(self.logits_index)[0]
            for input_index, output_index, _ in self.states:
                interpreter.set_tensor(input_index, interpreter.get_tensor(output_index))
            if on_frame is not None:
                on_frame(position)
        return logits


class InterpreterPool:
    """Up to ``max_size`` interpreters shared by threads; ``borrow()`` lends one.

    Interpreters are created on first need (``factory()``), reused afterwards; a thread
    that finds all of them busy waits until one comes back.
    """

    def __init__(self, factory: Callable[[], StreamingInterpreter], max_size: int):
        if int(max_size) < 1:
            raise ValueError(f"max_size must be ≥ 1, got {max_size}")
        self.factory = factory
        self.max_size = int(max_size)
        self._idle: list[StreamingInterpreter] = []
        self._created = 0
        self._condition = threading.Condition()

    @property
    def created(self) -> int:
        """How many interpreters exist so far."""
        return self._created

    @contextlib.contextmanager
    def borrow(self) -> Iterator[StreamingInterpreter]:
        """An interpreter for the duration of the ``with`` block, for this thread only."""
        with self._condition:
            while not self._idle and self._created >= self.max_size:
                self._condition.wait()
            interpreter = self._idle.pop() if self._idle else None
            if interpreter is None:
                self._created += 1
        if interpreter is None:
            try:
                interpreter = self.factory()
            except BaseException:
                with self._condition:
                    self._created -= 1
                    self._condition.notify()
                raise
        try:
            yield interpreter
        finally:
            with self._condition:
                self._idle.append(interpreter)
                self._condition.notify()


class MovinetClassifier:
    """MoViNet-A0-Stream on TFLite: ``classify(path)`` → ``Prediction`` with a timeline.

    Safe to call from several threads at once (interpreters come from a pool).
    """

    name = "movinet"
    title = "MoViNet-A0 streaming — 600 everyday actions (Kinetics-600)"

    def __init__(
        self,
        model_path: str | os.PathLike,
        class_names: list[str],
        sampling: SamplingConfig = DEFAULT_SAMPLING,
        num_threads: int | None = None,
        runtime: str = "litert",
        pool_size: int | None = None,
    ):
        self.model_path = Path(model_path)
        self.class_names = list(class_names)
        self.sampling = sampling
        self.runtime = runtime
        self.num_threads = num_threads or default_num_threads()
        self.pool = InterpreterPool(
            lambda: StreamingInterpreter(self.model_path, self.num_threads, runtime), pool_size or default_pool_size()
        )
        with self.pool.borrow() as interpreter:  # fail now, not on the first clip
            if interpreter.num_classes != len(self.class_names):
                raise ValueError(
                    f"the model has {interpreter.num_classes} classes but the label file {len(self.class_names)}"
                )

    def classify_frames(self, frames: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
        """Probabilities after each frame, float32 [T,600] (row T-1 is the clip's answer).

        ``frames``: [T,172,172,3], uint8 0–255 or float in [0, 1], in time order.
        """
        frames = np.asarray(frames)
        to_model_frames(frames[:1])  # shape and emptiness checks, without converting the clip
        return softmax(self.stream_logits(frames, progress))

    def stream_logits(self, frames: np.ndarray, progress: ProgressCallback | None = None) -> np.ndarray:
        """Logits after each frame, float32 [T,600]; states start from zeros."""
        total = len(frames)
        every = max(1, total // 20)

        def on_frame(position: int) -> None:
            done = position + 1
            if progress is not None and (done % every == 0 or done == total):
                progress(done / total, f"Classified frame {done} of {total}")

        with self.pool.borrow() as interpreter:
            return interpreter.stream(frames, on_frame if progress else None)

    def classify_sampled(
        self, sampled: SampledFrames, top_k_count: int = 5, progress: ProgressCallback | None = None, decode_seconds: float = 0.0
    ) -> Prediction:
        """A ``Prediction`` for frames already sampled (real frames only, in order)."""

        def run(frames, report):
            timeline = self.classify_frames(frames, report)
            return timeline[-1], timeline

        return prediction_for(self, sampled, run, top_k_count, progress, decode_seconds, {"runtime": self.runtime})

    def classify(self, path: str | os.PathLike, top_k: int = 5, progress: ProgressCallback | None = None) -> Prediction:
        """Classify the clip at ``path``: sample it with ``self.sampling``, stream every frame.

        ``progress(fraction, message)`` is called while reading (0) and after every few
        frames (fractions up to 1). Raises ``BadInputError`` for unreadable clips.
        """
        return sample_and_classify(self, path, top_k, progress)


def prediction_for(classifier, sampled: SampledFrames, run, top_k_count: int, progress, decode_seconds: float, extra: dict) -> Prediction:
    """Run ``run(frames, progress) -> (probabilities [C], timeline [T,C])`` on the real frames of
    ``sampled`` and wrap the answer in a ``Prediction`` (shared by the TFLite and Hub MoViNets)."""
    frames = sampled.frames[sampled.mask]
    if len(frames) == 0:
        raise BadInputError(f"'{Path(sampled.info.path).name}' has no frame that can be decoded.")
    started = time.perf_counter()
    probabilities, timeline = run(frames, progress)
    inference_seconds = time.perf_counter() - started
    return Prediction(
        model=classifier.name,
        labels=top_k(probabilities, classifier.class_names, top_k_count),
        probabilities=probabilities,
        class_names=classifier.class_names,
        frames=sampled,
        decode_seconds=decode_seconds,
        inference_seconds=inference_seconds,
        timeline=timeline,
        extra={**extra, "sampling": sampled.config.key()},
    )


def sample_and_classify(classifier, path: str | os.PathLike, top_k: int, progress: ProgressCallback | None) -> Prediction:
    """Sample ``path`` with ``classifier.sampling`` then run ``classifier.classify_sampled``.

    Shared by the TFLite and TF Hub MoViNets. Reading is about half the time on typical
    clips, so ``progress`` gets reading in [0, 0.5] and inference in [0.5, 1].
    """
    if progress is not None:
        progress(0.0, "Reading frames…")
    started = time.perf_counter()
    sampled = sample_frames(path, classifier.sampling)
    decode_seconds = time.perf_counter() - started
    inner = None
    if progress is not None:
        progress(0.5, f"Read {sampled.num_real} frames")

        def inner(fraction: float, message: str) -> None:
            progress(0.5 + 0.5 * fraction, message)

    return classifier.classify_sampled(sampled, top_k, inner, decode_seconds)


def load_classifier(
    handle: str | None = None,
    sampling: SamplingConfig | None = None,
    num_threads: int | None = None,
    runtime: str = "litert",
    pool_size: int | None = None,
    **hub_options,
):
    """The MoViNet classifier: the TFLite model from the asset store by default.

    ``handle``: a TF Hub / Kaggle MoViNet handle or local SavedModel folder → the
    TensorFlow path of ``vidclass.movinet_hub`` (``hub_options`` go there). ``sampling``
    overrides ``DEFAULT_SAMPLING``; ``runtime`` is ``litert`` or ``tflite``.
    Raises ``AssetMissingError`` when the model or its labels are not in the store.
    """
    if handle:
        from vidclass import movinet_hub

        return movinet_hub.load_classifier(handle, sampling=sampling, **hub_options)
    if hub_options:
        raise ValueError(f"unknown options for the TFLite MoViNet: {sorted(hub_options)}")
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    model_path = store.find(MODEL_PATH, ASSET_NAME)
    labels = read_labels(store.find(LABELS_PATH, ASSET_NAME))
    return MovinetClassifier(model_path, labels, sampling or DEFAULT_SAMPLING, num_threads, runtime, pool_size)
