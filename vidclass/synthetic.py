"""Synthetic clips whose every frame carries its own index, for tests and benchmarks.

Frame i shows its index as a 4×4 grid of black/white cells (16 bits, readable after
lossy compression) and a moving square, so a sampler's chosen indices can be checked
exactly: ``read_index(frame) == i``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

GRID = 4  # 4×4 cells = 16 bits


def index_frame(index: int, height: int = 240, width: int = 320, gray: bool = False) -> np.ndarray:
    """An RGB uint8 [height,width,3] frame encoding ``index`` (0 ≤ index < 65536)."""
    if not 0 <= index < 2 ** (GRID * GRID):
        raise ValueError(f"index must be in [0, 65536), got {index}")
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    side = min(height, width)
    cell = side // GRID
    for bit in range(GRID * GRID):
        if (index >> bit) & 1:
            row, col = divmod(bit, GRID)
            frame[row * cell : (row + 1) * cell, col * cell : (col + 1) * cell] = 255
    if width > side:  # a moving square in the spare area, so clips have motion
        spare = width - side
        box = max(2, min(spare, height) // 3)
        x = side + (index * 3) % max(1, spare - box)
        y = (index * 5) % max(1, height - box)
        frame[y : y + box, x : x + box] = (0, 160, 255) if not gray else 128
    return frame


def read_index(frame: np.ndarray) -> int:
    """The index a frame made by ``index_frame`` carries (after any lossy codec).

    ``frame`` is RGB [H,W,3] at the written size (top-left square holds the grid).
    """
    height, width = frame.shape[:2]
    side = min(height, width)
    cell = side // GRID
    value = 0
    for bit in range(GRID * GRID):
        row, col = divmod(bit, GRID)
        patch = frame[row * cell + cell // 4 : (row + 1) * cell - cell // 4, col * cell + cell // 4 : (col + 1) * cell - cell // 4]
        if patch.mean() > 127:
            value |= 1 << bit
    return value


def write_clip(
    path: str | os.PathLike,
    num_frames: int,
    fps: float = 25.0,
    height: int = 240,
    width: int = 320,
    codec: str = "libx264",
    gray: bool = False,
    output_params: list[str] | None = None,
    first_index: int = 0,
    rotation: int = 0,
) -> Path:
    """Write a clip of ``num_frames`` index frames with the ffmpeg of imageio-ffmpeg.

    ``codec`` is an ffmpeg encoder (``libx264``, ``mpeg4``, ``libvpx``, ``libsvtav1``, ``gif``…);
    ``gray`` writes gray frames, stored single-channel (``gray`` pixel format) with
    ``ffv1`` or ``rawvideo`` (other codecs store them as colour); ``output_params`` go to
    ffmpeg as is. ``rotation`` (0, 90, 180, 270: clockwise degrees, as a phone's
    rotation tag) adds a display-rotation tag by a stream-copy remux (ffmpeg ≥ 6 ignores
    the old ``-metadata:s:v rotate=90``); players and ``vidclass.video`` then show the
    frames turned, e.g. a 320×240 clip with rotation 90 is displayed 240×320.
    Frame ``i`` carries index ``first_index + i``. Returns the path.
    """
    import imageio_ffmpeg

    path = Path(path)
    pix_fmt_out = {
        "gif": "rgb8", "libx264": "yuv420p", "mpeg4": "yuv420p", "libvpx": "yuv420p", "mjpeg": "yuvj420p",
        "libsvtav1": "yuv420p",
    }.get(codec)  # fmt: skip
    if gray:
        pix_fmt_out = "gray" if codec in ("ffv1", "rawvideo") else pix_fmt_out
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=fps,
        codec=codec,
        pix_fmt_in="rgb24",
        pix_fmt_out=pix_fmt_out,
        macro_block_size=1,
        quality=None,
        output_params=(["-g", "25"] if codec == "libx264" else []) + (output_params or []),
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for index in range(first_index, first_index + num_frames):
        frame = index_frame(index, height, width, gray)
        if gray:
            frame = np.repeat(frame.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    if rotation % 360:
        _tag_rotation(path, rotation % 360)
    return path


def run_ffmpeg(*arguments: str) -> None:
    """Run imageio-ffmpeg's ffmpeg with ``arguments`` (quiet; existing outputs are replaced);
    ``subprocess.CalledProcessError``, holding ffmpeg's messages, when it fails."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *arguments], check=True, capture_output=True)


# SVT-AV1 settings for test and benchmark clips: fast, and its banner kept off the terminal.
AV1_ENCODER_OPTIONS = ("-preset", "10", "-crf", "30", "-svtav1-params", "log-level=0")


def av1_copy(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Write an AV1 (SVT-AV1) copy of ``source``'s picture, without its sound, to ``target``
    (its suffix picks the container: .webm, .mkv, .mp4). Returns ``target``."""
    run_ffmpeg("-i", str(source), "-an", "-c:v", "libsvtav1", *AV1_ENCODER_OPTIONS, str(target))
    return Path(target)


def _tag_rotation(path: Path, rotation: int) -> None:
    """Rewrite ``path`` with a display-rotation tag of ``rotation`` clockwise degrees."""
    if rotation not in (90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, got {rotation}")
    tagged = path.with_name(path.stem + ".rotating" + path.suffix)
    try:  # ffmpeg counts rotation counter-clockwise
        run_ffmpeg("-display_rotation", str(-rotation), "-i", str(path), "-c", "copy", str(tagged))
        os.replace(tagged, path)
    finally:
        tagged.unlink(missing_ok=True)
