"""Which frames a model sees, and how they are shaped.

Strategies (each a plain function from a frame count to source frame indices):

* ``uniform`` — N frames spread evenly over the whole clip: the centre of each of N
  equal segments (keras-video-generators, the PyTorch CNN-RNN recipe's 16 frames).
* ``step``    — every k-th frame from a start frame (the TF "Load video data"
  tutorial's ``frame_step``), optionally from a random start for training.
* ``first``   — the first N frames (what the Keras CNN-RNN example does).
* ``fps``     — resample to a target frame rate (MoViNet was trained on 5 fps).
* ``sliding`` — windows of N frames with a stride (keras-video-generators'
  SlidingFrameGenerator), for long clips.

Geometry: ``crop`` (centre crop to the target aspect, the Keras example), ``pad``
(resize with pad, the TF tutorial) or ``stretch``. The result is always uint8 RGB
[T,H,W,3] with the source index of every slot and a boolean mask: when a clip has
fewer frames than asked, the missing slots are zeros with ``mask=False`` and index -1
(never silently repeated or dropped).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from vidclass.errors import BadInputError
from vidclass.video import VideoInfo, count_frames, probe, read_frames, shown_name

STRATEGIES = ("uniform", "step", "first", "fps", "sliding")
GEOMETRIES = ("crop", "pad", "stretch")


# --- strategies: frame count -> indices ------------------------------------------------


def uniform_indices(frame_count: int, num_frames: int) -> np.ndarray:
    """Centres of ``num_frames`` equal segments of ``[0, frame_count)``, int64 [≤N].

    With fewer frames than asked, every frame once (the caller pads and masks).
    """
    _check_positive(num_frames=num_frames)
    if frame_count <= num_frames:
        return np.arange(max(frame_count, 0), dtype=np.int64)
    centres = (np.arange(num_frames) + 0.5) * frame_count / num_frames
    return np.minimum(centres.astype(np.int64), frame_count - 1)


def step_indices(
    frame_count: int,
    num_frames: int,
    step: int = 15,
    start: int = 0,
    random_start: bool = False,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Every ``step``-th frame from ``start`` (or a random start that fits), int64 [≤N].

    With ``random_start`` the start is drawn so that all ``num_frames`` fit when the clip
    is long enough (the TF tutorial's ``frame_step`` sampler for training).
    """
    _check_positive(num_frames=num_frames, step=step)
    if start < 0:
        raise ValueError(f"start must be ≥ 0, got {start}")
    if random_start:
        span = 1 + (num_frames - 1) * step
        latest = max(0, frame_count - span)
        start = int((rng or np.random.default_rng()).integers(0, latest + 1))
    indices = start + step * np.arange(num_frames, dtype=np.int64)
    return indices[indices < frame_count]


def first_indices(frame_count: int, num_frames: int) -> np.ndarray:
    """The first ``num_frames`` frames (the Keras CNN-RNN example), int64 [≤N]."""
    _check_positive(num_frames=num_frames)
    return np.arange(min(frame_count, num_frames), dtype=np.int64)


def fps_indices(frame_count: int, source_fps: float, target_fps: float, max_frames: int | None = None) -> np.ndarray:
    """Frames that resample a ``source_fps`` clip to ``target_fps``, int64 [T].

    Frame k of the output is the source frame shown at time k/target_fps. A target at
    or above the source rate keeps every frame. With ``max_frames`` and more frames than
    that, an evenly spaced subset of them is kept (for hour-long clips).
    """
    if source_fps <= 0 or target_fps <= 0:
        raise ValueError(f"frame rates must be > 0, got source {source_fps} and target {target_fps}")
    if frame_count <= 0:
        return np.zeros(0, dtype=np.int64)
    if target_fps >= source_fps:
        indices = np.arange(frame_count, dtype=np.int64)
    else:
        duration = frame_count / source_fps
        times = np.arange(0.0, duration, 1.0 / target_fps)
        indices = np.unique(np.minimum(np.floor(times * source_fps + 1e-6).astype(np.int64), frame_count - 1))
    if max_frames is not None and len(indices) > max_frames:
        indices = indices[uniform_indices(len(indices), max_frames)]
    return indices


def sliding_windows(frame_count: int, window: int, stride: int, max_windows: int | None = None) -> np.ndarray:
    """Windows of ``window`` consecutive frames every ``stride`` frames, int64 [W, window].

    A clip shorter than one window gives one window of all its frames, padded with -1.
    As in keras-video-generators' SlidingFrameGenerator, frames after the last full
    window are not covered. With ``max_windows`` and more windows than that, an evenly
    spaced subset of the windows is kept (a 10-minute clip has ~1,900 windows of 16
    frames at stride 8: all of them would hold every frame in memory).
    """
    _check_positive(window=window, stride=stride)
    if max_windows is not None:
        _check_positive(max_windows=max_windows)
    if frame_count <= 0:
        return np.zeros((0, window), dtype=np.int64)
    if frame_count <= window:
        row = np.full(window, -1, dtype=np.int64)
        row[:frame_count] = np.arange(frame_count)
        return row[None, :]
    starts = np.arange(0, frame_count - window + 1, stride, dtype=np.int64)
    if max_windows is not None and len(starts) > max_windows:
        starts = starts[uniform_indices(len(starts), max_windows)]
    return starts[:, None] + np.arange(window, dtype=np.int64)[None, :]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be ≥ 1, got {value}")


# --- geometry ----------------------------------------------------------------------


def fit_frame(frame: np.ndarray, height: int, width: int, geometry: str = "crop") -> np.ndarray:
    """Shape one RGB uint8 frame [h,w,3] to [height,width,3].

    ``crop``: centre crop to the target aspect, then resize. ``pad``: resize to fit inside,
    keeping aspect, and pad with black (``tf.image.resize_with_pad``). ``stretch``: resize.
    """
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry must be one of {GEOMETRIES}, got {geometry!r}")
    source_height, source_width = frame.shape[:2]
    if geometry == "crop":
        target_aspect = width / height
        if source_width / source_height > target_aspect:
            crop_width = max(1, round(source_height * target_aspect))
            left = (source_width - crop_width) // 2
            frame = frame[:, left : left + crop_width]
        else:
            crop_height = max(1, round(source_width / target_aspect))
            top = (source_height - crop_height) // 2
            frame = frame[top : top + crop_height]
        return _resize(frame, height, width)
    if geometry == "stretch":
        return _resize(frame, height, width)
    scale = min(height / source_height, width / source_width)
    inner_height = max(1, min(height, round(source_height * scale)))
    inner_width = max(1, min(width, round(source_width * scale)))
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - inner_height) // 2, (width - inner_width) // 2
    canvas[top : top + inner_height, left : left + inner_width] = _resize(frame, inner_height, inner_width)
    return canvas


def _resize(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    if frame.shape[0] == height and frame.shape[1] == width:
        return np.ascontiguousarray(frame)
    shrinking = frame.shape[0] > height or frame.shape[1] > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=interpolation)


# --- spatial views: several square crops of wide frames -------------------------------

VIEW_COUNTS = (1, 3, 6)
CENTRE_VIEW = 1  # the centre square's place among 3 or 6 views (left, centre, right, mirrors)


def wide_frame_shape(side: int) -> tuple[int, int]:
    """(height, width) of the 4:3 frames that spatial views are cut from: ``side`` high."""
    return int(side), int(round(side * 4 / 3))


def spatial_views(frames: np.ndarray, views: int) -> np.ndarray:
    """Square crops of every frame, for training augmentation and test-time averaging.

    frames: uint8 [T, H, W, 3] with W ≥ H (e.g. 224×299 from ``wide_frame_shape``).
    views: 1 → the centre square; 3 → left, centre and right squares; 6 → those three and
    their mirror images. Returns uint8 [views, T, H, H, 3] (contiguous).
    """
    if views not in VIEW_COUNTS:
        raise ValueError(f"views must be one of {VIEW_COUNTS}, got {views!r}")
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[2] < frames.shape[1]:
        raise ValueError(f"frames must be [T, H, W, 3] with W >= H, got {frames.shape}")
    side, width = frames.shape[1], frames.shape[2]
    centre = (width - side) // 2
    lefts = [centre] if views == 1 else [0, centre, width - side]  # centre at CENTRE_VIEW
    crops = [frames[:, :, left : left + side] for left in lefts]
    if views == 6:
        crops += [crop[:, :, ::-1] for crop in crops]
    return np.ascontiguousarray(np.stack(crops))


# --- sampling a clip ---------------------------------------------------------------


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample a clip. ``size`` is the output side (square) or ``(height, width)``.

    ``num_frames`` is N for uniform/step/first, the window length for sliding, and the
    cap (``max_frames``) for fps (0 = no cap). ``max_windows`` caps sliding windows
    (evenly spaced subset; 0 = no cap), so memory stays bounded on long clips.
    """

    strategy: str = "uniform"
    num_frames: int = 16
    size: int | tuple[int, int] = 224
    geometry: str = "crop"
    step: int = 15
    start: int = 0
    random_start: bool = False
    target_fps: float = 5.0
    stride: int = 8
    seed: int | None = None
    max_windows: int = 64

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if self.geometry not in GEOMETRIES:
            raise ValueError(f"geometry must be one of {GEOMETRIES}, got {self.geometry!r}")
        height, width = self.output_shape
        if not (1 <= height <= 4096 and 1 <= width <= 4096):
            raise ValueError(f"size must be between 1 and 4096 pixels, got {self.size}")
        if self.strategy != "fps":
            _check_positive(num_frames=self.num_frames)
        elif self.num_frames < 0:
            raise ValueError(f"num_frames (the fps cap, 0 = none) must be ≥ 0, got {self.num_frames}")
        _check_positive(step=self.step, stride=self.stride)
        if self.max_windows < 0:
            raise ValueError(f"max_windows (0 = no cap) must be ≥ 0, got {self.max_windows}")
        if self.start < 0:
            raise ValueError(f"start must be ≥ 0, got {self.start}")
        if not (np.isfinite(self.target_fps) and self.target_fps > 0):
            raise ValueError(f"target_fps must be > 0, got {self.target_fps}")

    @property
    def output_shape(self) -> tuple[int, int]:
        """(height, width) of every output frame."""
        if isinstance(self.size, (tuple, list)):
            return int(self.size[0]), int(self.size[1])
        return int(self.size), int(self.size)

    def key(self) -> str:
        """A stable text key for caches (every field that changes the output)."""
        return (
            f"{self.strategy}-n{self.num_frames}-{self.output_shape[0]}x{self.output_shape[1]}-{self.geometry}"
            f"-s{self.step}-o{self.start}-r{int(self.random_start)}-f{self.target_fps:g}-w{self.stride}-seed{self.seed}-m{self.max_windows}"
        )

    def with_changes(self, **changes) -> "SamplingConfig":
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass
class SampledFrames:
    """Frames a model sees, with where each came from.

    frames:     uint8 [T,H,W,3] RGB (padded slots are zeros)
    indices:    int64 [T] source frame index, -1 for padded slots
    mask:       bool [T], False for padded slots
    timestamps: float64 [T] seconds into the clip (NaN for padded slots)
    windows:    int64 [W, window] positions into ``frames`` (sliding only), else None;
                a clip shorter than one window gives one window whose missing frames
                point at padded (zero, ``mask=False``) slots
    info:       the clip's ``VideoInfo``
    """

    frames: np.ndarray
    indices: np.ndarray
    mask: np.ndarray
    timestamps: np.ndarray
    info: VideoInfo
    config: SamplingConfig
    windows: np.ndarray | None = field(default=None)

    @property
    def num_real(self) -> int:
        """How many slots hold real frames."""
        return int(self.mask.sum())


def choose_indices(info: VideoInfo, config: SamplingConfig) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Source indices for ``config`` on a clip: (indices in output order, slots, windows).

    ``slots`` is the output length T (≥ len(indices); the rest is padding).
    """
    count = info.frame_count
    rng = np.random.default_rng(config.seed)
    if config.strategy == "uniform":
        return uniform_indices(count, config.num_frames), config.num_frames, None
    if config.strategy == "step":
        picked = step_indices(count, config.num_frames, config.step, config.start, config.random_start, rng)
        return picked, config.num_frames, None
    if config.strategy == "first":
        return first_indices(count, config.num_frames), config.num_frames, None
    if config.strategy == "fps":
        cap = config.num_frames if config.num_frames > 0 else None
        picked = fps_indices(count, info.fps, config.target_fps, cap)
        return picked, max(1, len(picked)), None
    windows = sliding_windows(count, config.num_frames, config.stride, config.max_windows or None)
    unique = np.unique(windows[windows >= 0])
    # A clip shorter than one window: one window, its missing frames are padded slots.
    slots = config.num_frames if (windows < 0).any() else len(unique)
    return unique, slots, windows


def sample_frames(path: str | os.PathLike, config: SamplingConfig | None = None, info: VideoInfo | None = None) -> SampledFrames:
    """Sample a clip on disk with ``config``; see the module docstring.

    Raises ``BadInputError`` for files that are not readable video.
    """
    config = config or SamplingConfig()
    info = info or probe(path)
    height, width = config.output_shape
    indices, slots, windows = choose_indices(info, config)
    def shape(frame: np.ndarray) -> np.ndarray:
        return fit_frame(frame, height, width, config.geometry)

    decoded = read_frames(path, indices, shape)
    if len(decoded) < len(indices):
        # The clip is shorter than probed (a damaged file): count what decodes, sample again.
        real_count = count_frames(path) if decoded else 0
        if real_count == 0:
            raise BadInputError(f"'{shown_name(path)}' has no frame that can be decoded (damaged or truncated).")
        info = replace(info, frame_count=real_count, duration_seconds=round(real_count / info.fps, 3))
        indices, slots, windows = choose_indices(info, config)
        missing = [int(i) for i in indices if int(i) not in decoded]
        decoded.update(read_frames(path, missing, shape))
        indices = np.array([i for i in indices if int(i) in decoded], dtype=np.int64)
    return _assemble(decoded, indices, slots, windows, info, config)


def _assemble(decoded, indices, slots, windows, info, config) -> SampledFrames:
    height, width = config.output_shape
    frames = np.zeros((slots, height, width, 3), dtype=np.uint8)
    slot_indices = np.full(slots, -1, dtype=np.int64)
    for position, index in enumerate(indices[:slots]):
        frames[position] = decoded[int(index)]
        slot_indices[position] = index
    mask = slot_indices >= 0
    timestamps = np.where(mask, slot_indices / info.fps, np.nan)
    window_positions = None
    if windows is not None:
        lookup = {int(index): position for position, index in enumerate(slot_indices) if index >= 0}
        padding = iter(np.flatnonzero(~mask).tolist())
        window_positions = np.array(
            [[lookup[int(i)] if int(i) in lookup else next(padding, -1) for i in row] for row in windows],
            dtype=np.int64,
        ).reshape(windows.shape)
    return SampledFrames(frames, slot_indices, mask, timestamps, info, config, window_positions)
