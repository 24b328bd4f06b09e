"""Opening clips and reading chosen frames without decoding the whole clip into memory.

A clip is a file on disk (a path) or uploaded bytes; uploaded bytes are written to a
temporary file (keeping the upload's name, in its own ``vidclass-*`` folder) for
exactly as long as they are read, and that file is removed even on error. Frames are read with OpenCV's FFmpeg backend: forward
with ``grab()`` (decode, no colour conversion) over short gaps, with a seek over long
ones, so memory stays O(frames kept) and a 10-minute clip is not decoded end to end.

Frame ``i`` is the i-th frame in decode order (what reading every frame would give).
Small clips are never sought in, so their indices are exact whatever the container;
long clips seek (exact on constant-frame-rate clips; a seek lands by timestamp, so on a
variable-frame-rate clip a sought frame can be a neighbour).

Codecs OpenCV's FFmpeg cannot decode (AV1, see ``ffmpeg_frames``) are opened by OpenCV
for their header, and their frames are decoded in order by imageio-ffmpeg's ffmpeg (long
clips: an ffmpeg input seek, by timestamp, over long gaps, as above).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

# FFmpeg's own log lines ("moov atom not found"…) would reach the user's terminal
# beside vidclass's one-line message; keep FFmpeg quiet unless asked otherwise.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from vidclass import ffmpeg_frames  # noqa: E402
from vidclass.errors import BadInputError  # noqa: E402
from vidclass.store import sha256_of  # noqa: E402

try:  # OpenCV's own "can't open" warnings: same reason
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:  # pragma: no cover - older OpenCV builds
    pass

VIDEO_SUFFIXES = (
    ".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif", ".m4v",
    ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts", ".mts", ".m2ts", ".ogv",
)  # fmt: skip

# Past this many frames between two wanted frames, a seek is cheaper than decoding forward.
SEEK_GAP_FRAMES = 48

# The same for clips ffmpeg decodes (``ffmpeg_frames``): each seek is a new ffmpeg process
# that decodes from the keyframe before the target, so seeking only pays over gaps longer
# than a usual keyframe interval (10 s at 25 fps).
FFMPEG_SEEK_GAP_FRAMES = 250

# AVI files (XVID "packed bitstream") can hold empty chunks: the header counts them as
# frames and a seek lands by timestamp, so after a seek the frame index would drift from
# the decode order. AVI frames are cheap to decode, so AVIs are read forward and only
# seek over very long gaps (a minute at 25 fps), and their frame count is counted by
# decoding when the clip is at most this many pixel-frames (10 min of 320×240 ≈ 1.2e9).
AVI_SEEK_GAP_FRAMES = 1500
AVI_EXACT_COUNT_PIXEL_FRAMES = 2_000_000_000

# Other clips are counted by decoding when small (≤ this many pixel-frames: ~1,300
# frames at 320×240, ~50 at 1080p): a seek lands by timestamp, which drifts by a frame
# on variable-frame-rate clips. Bigger clips are checked with seeks at their end.
EXACT_COUNT_PIXEL_FRAMES = 100_000_000

# MP4-family containers list every sample in their index, so their stated frame count is
# exact (checked against a full decode on every clip in the asset store) once one seek shows
# the last listed frame decodes; trusting it saves a whole decoding pass per clip. A truncated
# file fails that check and is counted the careful way.
EXACT_HEADER_SUFFIXES = (".mp4", ".m4v", ".mov", ".3gp")

# A frame wider or taller than this is shrunk right after decoding (4K stays bounded).
MAX_DECODED_SIDE = 1280


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is: counts, timing and geometry as a person would see it.

    ``width`` and ``height`` are the displayed size, after the rotation tag is applied;
    ``rotation`` is the tag's clockwise degrees (0, 90, 180, 270). ``frame_count`` is
    the number of frames that decode: checked against the container's claim (headers
    and truncated files overstate), counted by decoding for ordinary AVIs. ``codec`` is
    the codec tag (``H264``, ``XVID``, ``VP80``, ``GIF``…).
    """

    path: str
    frame_count: int
    fps: float
    duration_seconds: float
    width: int
    height: int
    codec: str
    rotation: int
    file_bytes: int

    def as_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return asdict(self)

    def describe(self) -> str:
        """One plain line, e.g. ``"7.2 s, 25 fps, 320×240, 180 frames, H.264"`` (``"1 frame"``
        for a single frame; the codec by its common name, see ``CODEC_NAMES``)."""
        frames = f"{self.frame_count} frame" + ("" if self.frame_count == 1 else "s")
        codec = CODEC_NAMES.get(self.codec.upper(), self.codec) if self.codec else "unknown codec"
        return f"{self.duration_seconds:.1f} s, {round(self.fps, 1):g} fps, {self.width}×{self.height}, {frames}, {codec}"


# FourCC codes (as ``VideoInfo.codec`` holds them) → the names people know.
CODEC_NAMES = {
    "H264": "H.264", "AVC1": "H.264", "X264": "H.264", "HEVC": "H.265", "H265": "H.265", "HVC1": "H.265",
    "FMP4": "MPEG-4 Part 2", "MP4V": "MPEG-4 Part 2", "XVID": "MPEG-4 Part 2 (Xvid)", "DIVX": "MPEG-4 Part 2 (DivX)",
    "VP80": "VP8", "VP90": "VP9", "AV01": "AV1", "MJPG": "Motion JPEG", "FFV1": "FFV1 (lossless)",
    "MPG2": "MPEG-2", "MPG1": "MPEG-1", "H263": "H.263", "FLV1": "Sorenson Spark (Flash)", "WMV2": "WMV 8",
    "WMV1": "WMV 7", "WMV3": "WMV 9", "WVC1": "VC-1", "THEO": "Theora", "APCH": "ProRes 422 HQ",
    "APCN": "ProRes 422", "APCS": "ProRes 422 LT", "APCO": "ProRes 422 Proxy", "AP4H": "ProRes 4444",
}


@dataclass(frozen=True)
class Clip:
    """A clip the app or CLI works on: a name plus either a path or the file's bytes."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> "Clip":
        """A clip backed by a file on disk."""
        path = Path(path)
        return cls(name=path.name, path=path)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> "Clip":
        """A clip backed by uploaded bytes; ``name`` gives the suffix (``x.avi``)."""
        return cls(name=Path(name).name, data=bytes(data))

    @property
    def suffix(self) -> str:
        """The lower-case file extension, e.g. ``".avi"``."""
        return Path(self.name).suffix.lower()

    def content_hash(self) -> str:
        """sha256 of the clip's bytes (hex): the key for caches of this clip."""
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        return sha256_of(self.path)

    def read_bytes(self) -> bytes:
        """The clip's bytes."""
        return self.data if self.data is not None else Path(self.path).read_bytes()

    @contextlib.contextmanager
    def local_path(self) -> Iterator[Path]:
        """A readable path for the clip, removed afterwards when it was a temporary file."""
        if self.path is not None:
            yield Path(self.path)
            return
        with temporary_clip_file(self.data, self.name) as path:
            yield path


def shown_name(name: str | os.PathLike) -> str:
    """A file's base name safe for a one-line message (control characters replaced)."""
    text = Path(name).name
    return "".join(character if character.isprintable() else "?" for character in text)[:120]


def check_suffix(name: str) -> str:
    """The lower-case suffix of ``name``; ``BadInputError`` when it is not a video type."""
    suffix = Path(name).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        accepted = ", ".join(s.lstrip(".") for s in VIDEO_SUFFIXES)
        shown = shown_name(suffix) if suffix else "no extension"
        raise BadInputError(f"'{shown_name(name)}' has {shown}; vidclass reads {accepted} files.")
    return suffix


@contextlib.contextmanager
def temporary_clip_file(data: bytes, name: str) -> Iterator[Path]:
    """Write ``data`` to a temporary file named like ``name``; remove it on exit, always.

    The file sits in its own ``vidclass-*`` folder under ``tempfile.gettempdir()`` and
    keeps the upload's (tidied) name, so messages about it name what the person uploaded.
    """
    suffix = check_suffix(name)
    stem = "".join(c if c.isalnum() or c in "-_. " else "_" for c in Path(name).stem)[:80].strip() or "clip"
    folder = Path(tempfile.mkdtemp(prefix="vidclass-"))
    path = folder / f"{stem}{suffix}"
    try:
        path.write_bytes(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _open_capture(path: Path) -> cv2.VideoCapture:
    """An opened ``cv2.VideoCapture`` or ``BadInputError`` with a plain reason.

    Auto-orientation is switched on explicitly (OpenCV 5 ``CAP_PROP_ORIENTATION_AUTO``):
    frames of a clip with a rotation tag come out as displayed (a portrait phone clip is
    taller than wide).
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"'{shown_name(path)}' does not exist or is not a file.")
    if path.stat().st_size == 0:
        raise BadInputError(f"'{shown_name(path)}' is empty (0 bytes).")
    check_suffix(path.name)
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        if ffmpeg_frames.stream_kinds(path) == {"audio"}:
            raise BadInputError(f"'{shown_name(path)}' holds only sound: there is no picture to classify.")
        raise BadInputError(f"'{shown_name(path)}' is not a video vidclass can read (damaged or not a video file).")
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def _fourcc_text(value: float | int) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text.strip("\x00 ").upper() if text.isprintable() else ""


def _decodes_with_ffmpeg_only(capture: cv2.VideoCapture) -> bool:
    """Whether the clip's codec is one OpenCV opens but cannot decode (``ffmpeg_frames``)."""
    return _fourcc_text(capture.get(cv2.CAP_PROP_FOURCC)) in ffmpeg_frames.FFMPEG_ONLY_CODECS


def _ffmpeg_frames(
    path: Path, max_side: int | None = MAX_DECODED_SIDE, only: list[int] | None = None, seek_seconds: float | None = None
) -> Iterator[np.ndarray]:
    """``ffmpeg_frames.frame_stream`` with its failure as a one-line ``BadInputError``."""
    try:
        yield from ffmpeg_frames.frame_stream(path, max_side, only, seek_seconds)
    except ffmpeg_frames.FfmpegDecodeError as error:
        raise BadInputError(f"'{shown_name(path)}' could not be decoded ({error}).") from error


def _seek_time(path: Path, first: int, fps: float) -> float | None:
    """Where an ffmpeg input seek to frame ``first`` aims, in seconds (None: no seek, for
    frame 0): halfway between it and the frame before, so rounding cannot land a frame
    early or late (exact at a constant ``fps``), after the video's start delay
    (``ffmpeg_frames.first_frame_seconds``)."""
    return ffmpeg_frames.first_frame_seconds(path) + (first - 0.5) / fps if first > 0 else None


def _count_with_ffmpeg(path: Path, first: int = 0, limit: int | None = None, fps: float = 25.0) -> int:
    """How many frames decode, by ffmpeg (piped 16 pixels wide: the cost is the decoding):
    from frame ``first`` (an input seek there, see ``_seek_time``) to the end, or at most
    ``limit`` of them (ffmpeg stops after those)."""
    only = None if limit is None else list(range(limit))
    stream = _ffmpeg_frames(path, max_side=16, only=only, seek_seconds=_seek_time(path, first, fps))
    with contextlib.closing(stream):
        return sum(1 for _ in stream)


def _checked_count_with_ffmpeg(path: Path, stated: int, fps: float, tail: int = 8) -> int:
    """``_checked_frame_count`` for a long clip ffmpeg decodes, with ffmpeg seeks.

    The frames from ``tail`` before the stated end are counted: the usual case, and one
    where the header overstates a little (a WebM states its count from a duration that the
    audio can stretch). When none decodes there (a truncated file), a binary search with
    seeks finds the last frame that exists. Exact at a constant frame rate.
    """
    last_checked = max(0, stated - tail)
    counted = _count_with_ffmpeg(path, last_checked, fps=fps)
    if counted or last_checked == 0:
        return last_checked + counted
    return 1 + _last_existing_frame(0, last_checked, lambda index: _count_with_ffmpeg(path, index, limit=1, fps=fps) > 0)


def _avi_codec_tag(path: Path) -> str:
    """The video codec tag an AVI header names (e.g. ``XVID``, ``DIVX``), or ``""``.

    OpenCV reports FFmpeg's generic tag for MPEG-4 Part 2 (``FMP4``); the file's own
    ``strf`` chunk (BITMAPINFOHEADER.biCompression) says which encoder made it.
    """
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    video_header = head.find(b"strh\x00")
    video_header = head.find(b"vids", max(0, video_header))
    if video_header < 0:
        return ""
    format_chunk = head.find(b"strf", video_header)
    if format_chunk < 0 or format_chunk + 28 > len(head):
        return ""
    return _fourcc_text(int.from_bytes(head[format_chunk + 24 : format_chunk + 28], "little"))


def _count_frames(capture: cv2.VideoCapture, limit: int = 1_000_000) -> int:
    """Count the frames left by decoding forward (``grab``: no colour conversion, no copy)."""
    count = 0
    while count < limit and capture.grab():
        count += 1
    return count


def _last_existing_frame(low: int, high: int, exists: Callable[[int], bool]) -> int:
    """Binary search for the last frame that ``exists``, knowing frame ``low`` does and frame
    ``high`` does not (each ``exists`` call is one seek)."""
    while high - low > 1:
        middle = (low + high) // 2
        if exists(middle):
            low = middle
        else:
            high = middle
    return low


def _frame_exists(capture: cv2.VideoCapture, index: int) -> bool:
    """Whether a seek to ``index`` lands there and that frame decodes (moves the capture)."""
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    if int(capture.get(cv2.CAP_PROP_POS_FRAMES)) != index:
        return False
    return bool(capture.grab())


def _checked_frame_count(capture: cv2.VideoCapture, stated: int, tail: int = 8) -> int:
    """The real frame count of a seekable clip whose container states ``stated``.

    One seek to ``tail`` frames before the stated end, then frames are counted forward:
    the usual, cheap case (and on a variable-frame-rate clip, a count consistent with
    where seeks land). When even that frame is missing (a truncated file, an overstated
    header), a binary search with seeks finds the last frame that exists.
    """
    if stated <= tail:
        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return _count_frames(capture)
    if _frame_exists(capture, stated - tail):
        return stated - tail + 1 + _count_frames(capture)
    # frame 0 exists (probe decoded it), frame `stated - tail` does not
    low = _last_existing_frame(0, stated - tail, lambda index: _frame_exists(capture, index))
    capture.set(cv2.CAP_PROP_POS_FRAMES, low)
    if int(capture.get(cv2.CAP_PROP_POS_FRAMES)) != low:  # seeking does not work here
        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return _count_frames(capture)
    return low + _count_frames(capture, limit=2)  # frame `low + 1` was found missing


def probe(path: str | os.PathLike) -> VideoInfo:
    """Metadata of a clip: frame count, fps, duration, displayed size, codec, rotation.

    Raises ``BadInputError`` for missing, empty, non-video or undecodable files and for
    clips with no frame at all.
    """
    path = Path(path)
    capture = _open_capture(path)
    try:
        ffmpeg_only = _decodes_with_ffmpeg_only(capture)
        if ffmpeg_only:
            with contextlib.closing(_ffmpeg_frames(path, max_side=None, only=[0])) as stream:
                first = next(stream, None)
        else:
            ok, first = capture.read()
        if first is None:
            raise BadInputError(f"'{shown_name(path)}' has no frame that can be decoded (damaged or truncated).")
        stated = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        stated = int(stated) if np.isfinite(stated) and stated > 0 else 0
        fps = _frame_rate(capture)
        rotation = int(capture.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        height, width = first.shape[:2]  # decoded frames are already rotated (auto-orientation)
        codec = _fourcc_text(capture.get(cv2.CAP_PROP_FOURCC))
        is_avi = path.suffix.lower() == ".avi"
        if is_avi:
            codec = _avi_codec_tag(path) or codec
        if ffmpeg_only:
            too_big = stated * width * height > EXACT_COUNT_PIXEL_FRAMES
            frame_count = _checked_count_with_ffmpeg(path, stated, fps) if too_big else _count_with_ffmpeg(path)
        elif stated <= 0:
            frame_count = 1 + _count_frames(capture)
        elif path.suffix.lower() in EXACT_HEADER_SUFFIXES and _frame_exists(capture, stated - 1):
            frame_count = stated  # MP4/MOV list every sample, and the last one is there
        elif stated * width * height <= (AVI_EXACT_COUNT_PIXEL_FRAMES if is_avi else EXACT_COUNT_PIXEL_FRAMES):
            # Small enough to count exactly. After the first frame, count on without a seek:
            # in MPEG-TS and MPEG-PS a seek back to frame 0 lands elsewhere. Only when the
            # check above moved the capture is the clip opened afresh.
            if path.suffix.lower() in EXACT_HEADER_SUFFIXES:
                capture.release()
                capture = _open_capture(path)
                frame_count = _count_frames(capture)
            else:
                frame_count = 1 + _count_frames(capture)
        else:
            frame_count = _checked_frame_count(capture, stated)
        frame_count = max(1, frame_count)
    finally:
        capture.release()
    return VideoInfo(
        path=str(path),
        frame_count=frame_count,
        fps=round(fps, 3),
        duration_seconds=round(frame_count / fps, 3),
        width=int(width),
        height=int(height),
        codec=codec,
        rotation=rotation,
        file_bytes=path.stat().st_size,
    )


def _frame_rate(capture: cv2.VideoCapture) -> float:
    """The clip's frames per second as its header states it (25 when missing or absurd)."""
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    return fps if np.isfinite(fps) and 0 < fps <= 1000 else 25.0


def _seek_gap(capture: cv2.VideoCapture, path: Path) -> float:
    """How many frames forward a reader decodes before it seeks instead.

    Small clips (the ones ``probe`` counts by decoding) are never sought in, so their
    frame indices are exactly the decode order; AVIs seek only over very long gaps, and
    clips ffmpeg decodes only over gaps of ``FFMPEG_SEEK_GAP_FRAMES``.
    """
    stated = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    pixels = capture.get(cv2.CAP_PROP_FRAME_WIDTH) * capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
    is_avi = path.suffix.lower() == ".avi"
    budget = AVI_EXACT_COUNT_PIXEL_FRAMES if is_avi else EXACT_COUNT_PIXEL_FRAMES
    if np.isfinite(stated) and 0 < stated * pixels <= budget:
        return float("inf")
    gap = AVI_SEEK_GAP_FRAMES if is_avi else SEEK_GAP_FRAMES
    return max(gap, FFMPEG_SEEK_GAP_FRAMES) if _decodes_with_ffmpeg_only(capture) else gap


def count_frames(path: str | os.PathLike) -> int:
    """How many frames of a clip decode, counted by decoding forward (slow on long clips).

    For when a clip turned out shorter than ``probe`` said; memory stays O(1).
    """
    capture = _open_capture(Path(path))
    try:
        if _decodes_with_ffmpeg_only(capture):
            return _count_with_ffmpeg(Path(path))
        return _count_frames(capture)
    finally:
        capture.release()


def shrink_if_huge(frame: np.ndarray, max_side: int = MAX_DECODED_SIDE) -> np.ndarray:
    """Downscale a decoded frame whose longer side exceeds ``max_side`` (keeps aspect)."""
    height, width = frame.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return frame
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """An OpenCV frame (BGR, BGRA or gray) as uint8 RGB [H,W,3]."""
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    if frame.shape[2] == 1:
        return cv2.cvtColor(frame[:, :, 0], cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _advance_to(capture: cv2.VideoCapture, position: int, target: int, seek_gap: float) -> int:
    """Move ``capture`` from frame ``position`` (the next one ``grab()`` decodes) to
    ``target``: a seek when the gap exceeds ``seek_gap`` and the backend lands exactly,
    else by decoding forward. Returns the new position (< ``target`` when the clip ended)."""
    if target - position > seek_gap:
        capture.set(cv2.CAP_PROP_POS_FRAMES, target)
        position = int(capture.get(cv2.CAP_PROP_POS_FRAMES))
        if position != target:  # the backend could not seek exactly: go forward from the start
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            position = 0
    while position < target and capture.grab():
        position += 1
    return position


def read_frames(
    path: str | os.PathLike,
    indices: Sequence[int],
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[int, np.ndarray]:
    """Decode the frames at ``indices`` (any order, duplicates allowed) in one pass.

    Returns ``{index: frame}`` for every index that could be decoded; an index past the
    real end of the clip (containers sometimes overstate the count) is simply absent.
    Each frame is RGB uint8, shrunk when huge, then passed through ``transform`` (e.g.
    a resize) before the next one is decoded, so memory holds only the kept frames.
    """
    wanted = sorted({int(i) for i in indices if int(i) >= 0})
    frames: dict[int, np.ndarray] = {}
    if not wanted:
        return frames
    capture = _open_capture(Path(path))
    seek_gap = _seek_gap(capture, Path(path))
    if _decodes_with_ffmpeg_only(capture):
        fps = _frame_rate(capture)
        capture.release()
        return _read_frames_by_ffmpeg(Path(path), wanted, transform, seek_gap, fps)
    try:
        position = 0  # index of the frame the next grab() decodes
        for target in wanted:
            position = _advance_to(capture, position, target, seek_gap)
            if position < target:
                break  # the clip ended early
            ok, frame = capture.read()
            position += 1
            if not ok or frame is None:
                break
            frame = to_rgb(shrink_if_huge(frame))
            frames[target] = transform(frame) if transform else frame
    finally:
        capture.release()
    return frames


def _decoding_runs(wanted: list[int], seek_gap: float) -> list[tuple[int, list[int]]]:
    """Split sorted, distinct frame indices into ``(first, indices)`` runs, each decoded
    forward from frame ``first``: a new run (a seek to its first index) starts wherever
    ``_advance_to`` would seek, i.e. more than ``seek_gap`` frames past the previous one."""
    runs: list[tuple[int, list[int]]] = []
    position = 0  # the frame decoding would reach next
    for index in wanted:
        if index - position > seek_gap:
            runs.append((index, [index]))
        elif runs:
            runs[-1][1].append(index)
        else:
            runs.append((0, [index]))
        position = index + 1
    return runs


def _read_frames_by_ffmpeg(
    path: Path, wanted: list[int], transform, seek_gap: float, fps: float
) -> dict[int, np.ndarray]:
    """``read_frames`` for a clip decoded by ffmpeg (``wanted``: sorted, distinct, ≥ 0).

    Each run of ``_decoding_runs`` is one ffmpeg process: it seeks to the run's first
    frame (a long clip's far frames; none on small clips, as with OpenCV), decodes forward,
    pipes back only the wanted frames and stops after the last of them.
    """
    frames: dict[int, np.ndarray] = {}
    for first, run in _decoding_runs(wanted, seek_gap):
        only = [index - first for index in run]
        with contextlib.closing(_ffmpeg_frames(path, only=only, seek_seconds=_seek_time(path, first, fps))) as stream:
            for index, frame in zip(run, stream):
                frames[index] = transform(frame) if transform else frame
        if run[-1] not in frames:
            break  # the clip ended early
    return frames


def iter_frames(path: str | os.PathLike, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, rgb_frame)`` for every frame from ``start`` to ``stop`` (exclusive).

    Streams: one decoded frame in memory at a time.
    """
    capture = _open_capture(Path(path))
    seek_gap = _seek_gap(capture, Path(path))
    if _decodes_with_ffmpeg_only(capture):
        fps = _frame_rate(capture)
        capture.release()
        first = start if start > seek_gap else 0  # where _advance_to would seek
        with contextlib.closing(_ffmpeg_frames(Path(path), seek_seconds=_seek_time(Path(path), first, fps))) as stream:
            for index, frame in enumerate(stream, start=first):
                if stop is not None and index >= stop:
                    return
                if index >= start:
                    yield index, frame
        return
    try:
        index = _advance_to(capture, 0, start, seek_gap)
        while stop is None or index < stop:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            yield index, to_rgb(shrink_if_huge(frame))
            index += 1
    finally:
        capture.release()
