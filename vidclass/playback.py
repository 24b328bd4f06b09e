"""Showing frames and clips to a person: animated GIFs and browser-playable MP4.

* ``frames_to_gif`` — uint8 RGB frames [T,H,W,3] → animated GIF bytes (imageio v3 with
  its Pillow plugin, where ``duration`` is in **milliseconds** per frame; loops forever;
  downscaled so the longest side and the byte size stay bounded).
* ``gif_duration_ms`` — a per-frame duration that plays sampled frames at the rate they
  were sampled, clamped to a watchable range.
* ``browser_playable_mp4`` — any clip (AVI/XVID, MOV, MKV, WEBM, GIF, MP4 with another
  codec) → H.264 MP4 (yuv420p, even size, faststart) for a browser's ``<video>``,
  through the ffmpeg that imageio-ffmpeg ships. An H.264 MP4 passes through untouched.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from vidclass.errors import BadInputError
from vidclass.video import shrink_if_huge

# GIF defaults: longest side, byte cap, per-frame duration range (GIF stores centiseconds).
GIF_MAX_SIDE = 320
GIF_MAX_BYTES = 4_000_000
GIF_MIN_FRAME_MS = 40
GIF_MAX_FRAME_MS = 500
GIF_DEFAULT_FRAME_MS = 200
GIF_SMALLEST_SIDE = 48  # shrinking for the byte cap stops here, then frames are thinned

# Playback transcode: longest side, length cap for previews, time limit for ffmpeg.
PLAYBACK_MAX_SIDE = 1280
PLAYBACK_MAX_SECONDS = 600.0
PLAYBACK_TIMEOUT_SECONDS = 600.0

PASS_THROUGH_SUFFIXES = (".mp4", ".m4v")
BROWSER_PIXEL_FORMATS = ("yuv420p", "yuvj420p")


# --- GIF ---------------------------------------------------------------------------


def gif_duration_ms(timestamps, minimum: int = GIF_MIN_FRAME_MS, maximum: int = GIF_MAX_FRAME_MS) -> int:
    """Milliseconds per GIF frame so sampled frames play at the rate they were sampled.

    ``timestamps`` is a ``SampledFrames`` (its ``timestamps`` are used) or seconds
    float [T] (NaN for padded slots). The median gap between real frames, clamped to
    ``[minimum, maximum]`` and rounded to 10 ms (GIF keeps centiseconds). With fewer
    than two real frames: ``GIF_DEFAULT_FRAME_MS``.
    """
    times = getattr(timestamps, "timestamps", timestamps)
    times = np.asarray(times, dtype=np.float64).ravel()
    times = np.sort(times[np.isfinite(times)])
    gaps = np.diff(times)
    gaps = gaps[gaps > 0]
    milliseconds = float(np.median(gaps)) * 1000.0 if len(gaps) else GIF_DEFAULT_FRAME_MS
    milliseconds = min(max(milliseconds, minimum), maximum)
    return int(round(milliseconds / 10.0) * 10)


def frames_to_gif(
    frames: np.ndarray,
    duration_ms: int | float | Sequence[float] | None = None,
    fps: float | None = None,
    max_side: int = GIF_MAX_SIDE,
    max_bytes: int = GIF_MAX_BYTES,
    loop: int = 0,
) -> bytes:
    """Animated GIF bytes of ``frames``, uint8 RGB [T,H,W,3] (or gray [T,H,W]).

    Colours: one shared 256-colour palette for all frames (``palette_indices``), no
    dithering.

    Timing: ``duration_ms`` (one value, or one per frame) or ``fps`` (→ 1000/fps ms);
    neither → ``GIF_DEFAULT_FRAME_MS``. Durations are rounded to 10 ms (GIF's unit,
    at least 20 ms, since browsers slow shorter frames down to 100 ms). ``loop=0`` loops
    forever. Frames whose longest side exceeds ``max_side`` are downscaled (aspect
    kept); if the GIF is still over ``max_bytes`` it is re-encoded smaller, then with
    every other frame (their time merged), until it fits. Note that Pillow merges
    consecutive identical frames into one (adding their durations), so the frame count
    read back can be lower than T for static content; total play time is unchanged.

    Raises ``ValueError`` for a wrong shape/dtype or no frames (programmer misuse).
    """
    import imageio.v3 as iio

    frames = _check_frames(frames)
    durations = _frame_durations(len(frames), duration_ms, fps)
    if max_side < 1 or max_bytes < 1:
        raise ValueError(f"max_side and max_bytes must be ≥ 1, got {max_side} and {max_bytes}")
    frames = _shrink_frames(frames, max_side)
    while True:
        indices, palette = palette_indices(frames)
        data = iio.imwrite(
            "<bytes>", indices, extension=".gif", mode="L", is_batch=True, palette=palette,
            duration=_as_duration_arg(durations), loop=loop,
        )  # fmt: skip
        if len(data) <= max_bytes:
            return data
        longest = max(frames.shape[1:3])
        if longest > GIF_SMALLEST_SIDE:
            scale = max(0.5, min(0.9, (max_bytes / len(data)) ** 0.5))
            frames = _shrink_frames(frames, max(GIF_SMALLEST_SIDE, int(longest * scale)))
        elif len(frames) > 1:
            frames, durations = _thin(frames, durations)
        else:
            return data  # a single tiny frame: nothing left to shrink


def palette_indices(frames: np.ndarray, max_sample_pixels: int = 250_000) -> tuple[np.ndarray, bytes]:
    """One 256-colour palette for all frames and each pixel's palette index.

    ``frames`` uint8 RGB [T,H,W,3] → (indices uint8 [T,H,W], palette bytes RGBRGB…,
    distinct colours). The palette comes from Pillow's fast octree quantizer on a
    subsample of every frame; pixels map to their nearest palette colour through a
    32×32×32 lookup table. One shared palette means no colour flicker between frames and
    a single colour table; it is several times faster than Pillow quantizing each frame
    (what imageio does when given RGB frames).
    """
    from PIL import Image

    count, height, width = frames.shape[:3]
    stride = max(1, int(np.ceil(np.sqrt(count * height * width / max_sample_pixels))))
    sample = np.ascontiguousarray(frames[:, ::stride, ::stride]).reshape(-1, (width + stride - 1) // stride, 3)
    quantized = Image.fromarray(sample).quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    palette = np.unique(np.asarray(quantized.getpalette(), dtype=np.uint8).reshape(-1, 3), axis=0)[:256]
    centres = (np.arange(32, dtype=np.float32) * 8 + 4)
    cube = np.stack(np.meshgrid(centres, centres, centres, indexing="ij"), axis=-1).reshape(-1, 3)
    colours = palette.astype(np.float32)
    distances = (colours * colours).sum(axis=1)[None, :] - 2.0 * cube @ colours.T
    lookup = distances.argmin(axis=1).astype(np.uint8)
    cells = frames >> 3
    indices = lookup[(cells[..., 0].astype(np.int32) << 10) | (cells[..., 1].astype(np.int32) << 5) | cells[..., 2]]
    return indices, palette.tobytes()


def _check_frames(frames) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frames.dtype}")
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=3)
    if frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(f"frames must be [T,H,W,3], got shape {frames.shape}")
    if frames.shape[0] == 0 or frames.shape[1] == 0 or frames.shape[2] == 0:
        raise ValueError(f"frames must hold at least one non-empty frame, got shape {frames.shape}")
    return np.ascontiguousarray(frames)


def _frame_durations(count: int, duration_ms, fps) -> list[int]:
    """One duration in ms (multiple of 10, ≥ 20) per frame."""
    if duration_ms is not None and fps is not None:
        raise ValueError("give duration_ms or fps, not both")
    if fps is not None:
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        values = [1000.0 / fps] * count
    elif duration_ms is None:
        values = [GIF_DEFAULT_FRAME_MS] * count
    elif np.ndim(duration_ms) == 0:
        values = [float(duration_ms)] * count
    else:
        values = [float(value) for value in duration_ms]
        if len(values) != count:
            raise ValueError(f"duration_ms has {len(values)} values for {count} frames")
    if any(not np.isfinite(value) or value <= 0 for value in values):
        raise ValueError(f"durations must be finite and > 0 ms, got {values}")
    return [max(20, int(round(value / 10.0)) * 10) for value in values]


def _as_duration_arg(durations: list[int]):
    return durations[0] if len(set(durations)) == 1 else list(durations)


def _shrink_frames(frames: np.ndarray, max_side: int) -> np.ndarray:
    """Frames resized so the longest side is ≤ ``max_side`` (aspect kept, area filter)."""
    if max(frames.shape[1:3]) <= max_side:
        return frames
    return np.stack([shrink_if_huge(frame, max_side) for frame in frames])


def _thin(frames: np.ndarray, durations: list[int]) -> tuple[np.ndarray, list[int]]:
    """Keep every other frame; each kept frame also shows for the dropped one's time."""
    kept = frames[::2]
    merged = [sum(durations[i : i + 2]) for i in range(0, len(durations), 2)]
    return kept, merged


# --- browser playback ----------------------------------------------------------------


@dataclass(frozen=True)
class StreamFormat:
    """What ffmpeg says about a file: container names, first video codec, pixel format."""

    container: str  # e.g. "mov,mp4,m4a,3gp,3g2,mj2", "avi", "matroska,webm", "gif"
    codec: str  # e.g. "h264", "mpeg4", "vp8"; "" when there is no video stream
    pixel_format: str  # e.g. "yuv420p"; "" when unknown

    @property
    def is_mp4(self) -> bool:
        """True for the ISO/QuickTime family (MP4, MOV, M4V)."""
        return "mp4" in self.container.split(",")

    @property
    def is_browser_h264(self) -> bool:
        """True when the video stream is H.264 with 4:2:0 pixels (what browsers decode)."""
        return self.codec == "h264" and self.pixel_format in BROWSER_PIXEL_FORMATS


def ffmpeg_exe() -> str:
    """The path of the ffmpeg binary imageio-ffmpeg ships (it has libx264)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


_INPUT_LINE = re.compile(r"^Input #0, (?P<container>[^ ]+?), from ", re.MULTILINE)
_VIDEO_LINE = re.compile(r"Stream #0:\d+.*?: Video: (?P<codec>[A-Za-z0-9_]+)(?P<rest>.*)$", re.MULTILINE)
_PIXEL_FORMAT = re.compile(r"\b(yuvj?4\d\dp\w*|rgb\w*|bgr\w*|gray\w*|pal8|nv12|argb|rgba|bgra|gbrp\w*)\b")


def stream_format(path: str | os.PathLike) -> StreamFormat:
    """Container, video codec and pixel format of a file, from ``ffmpeg -i``'s report.

    Raises ``BadInputError`` when ffmpeg cannot read the file or finds no video stream.
    """
    path = Path(path)
    _check_readable(path)
    try:
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
        )
    except subprocess.TimeoutExpired as error:
        raise BadInputError(f"'{path.name}' took too long to open.") from error
    report = result.stderr
    container = _INPUT_LINE.search(report)
    video = _VIDEO_LINE.search(report)
    if container is None or video is None:
        raise BadInputError(f"'{path.name}' is not a video vidclass can play (damaged or not a video file).")
    pixel = _PIXEL_FORMAT.search(video.group("rest"))
    return StreamFormat(container.group("container"), video.group("codec"), pixel.group(1) if pixel else "")


def _check_readable(path: Path) -> None:
    from vidclass.video import check_suffix

    if not path.is_file():
        raise BadInputError(f"'{path.name}' does not exist or is not a file.")
    if path.stat().st_size == 0:
        raise BadInputError(f"'{path.name}' is empty (0 bytes).")
    check_suffix(path.name)


def browser_playable_mp4(
    source: str | os.PathLike | bytes,
    name: str | None = None,
    max_seconds: float = PLAYBACK_MAX_SECONDS,
    max_side: int = PLAYBACK_MAX_SIDE,
) -> bytes:
    """MP4 bytes a browser can play (H.264, yuv420p, faststart) for a clip.

    ``source`` is a path or the clip's bytes; ``name`` (needed with bytes) gives the
    suffix. An ``.mp4``/``.m4v`` whose video is already H.264 4:2:0 comes back
    byte-identical. H.264 in another container (MOV, MKV) is remuxed without
    re-encoding; anything else is transcoded with libx264 (``-preset veryfast``, even
    size, longest side ≤ ``max_side``, audio dropped, at most ``max_seconds`` long).
    Temporary files are always removed. Raises ``BadInputError`` (one sentence) for
    unreadable input or a failed conversion.
    """
    from vidclass.video import temporary_clip_file

    if isinstance(source, (bytes, bytearray, memoryview)):
        if not name:
            raise ValueError("name is needed with bytes (it gives the file type)")
        data = bytes(source)
        if not data:
            raise BadInputError(f"'{Path(name).name}' is empty (0 bytes).")
        with temporary_clip_file(data, name) as path:
            return _playable_from_path(path, Path(name).name, max_seconds, max_side, data)
    path = Path(source)
    return _playable_from_path(path, name or path.name, max_seconds, max_side, None)


def _playable_from_path(path: Path, name: str, max_seconds: float, max_side: int, data: bytes | None) -> bytes:
    _check_readable(path)
    shown = Path(name).name
    try:
        found = stream_format(path)
    except BadInputError as error:
        raise BadInputError(f"'{shown}' is not a video vidclass can play (damaged or not a video file).") from error
    if found.is_browser_h264 and found.is_mp4 and Path(name).suffix.lower() in PASS_THROUGH_SUFFIXES:
        return data if data is not None else path.read_bytes()
    if found.is_browser_h264:
        try:
            return _run_ffmpeg(path, shown, ["-map", "0:v:0", "-an", "-c:v", "copy"], max_seconds)
        except BadInputError:
            pass  # the stream does not remux cleanly: transcode it
    scale = (
        f"scale='trunc(min(1,{max_side}/max(iw,ih))*iw/2)*2':'trunc(min(1,{max_side}/max(iw,ih))*ih/2)*2'"
    )
    encode = [
        "-map", "0:v:0", "-an",
        "-vf", scale,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
        "-pix_fmt", "yuv420p",
    ]  # fmt: skip
    return _run_ffmpeg(path, shown, encode, max_seconds)


def _run_ffmpeg(path: Path, shown: str, options: list[str], max_seconds: float) -> bytes:
    """Run ffmpeg from ``path`` to a temporary MP4 with ``options``; its bytes (file removed)."""
    handle, raw_output = tempfile.mkstemp(prefix="vidclass-play-", suffix=".mp4")
    os.close(handle)
    output = Path(raw_output)
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-i", str(path), "-t", f"{max_seconds:g}",
        *options,
        "-movflags", "+faststart", "-f", "mp4", str(output),
    ]  # fmt: skip
    try:
        try:
            result = subprocess.run(command, capture_output=True, timeout=PLAYBACK_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as error:
            raise BadInputError(f"'{shown}' took too long to convert for playback.") from error
        if result.returncode != 0 or output.stat().st_size == 0:
            raise BadInputError(f"'{shown}' could not be converted for playback (damaged or not a video file).")
        return output.read_bytes()
    finally:
        output.unlink(missing_ok=True)
