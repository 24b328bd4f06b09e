"""Decoding frames with the ffmpeg that imageio-ffmpeg ships, for codecs OpenCV cannot decode.

OpenCV's wheel (opencv-python-headless 5.0) links an FFmpeg whose only AV1 decoder is the
hardware one: on a machine without AV1 hardware every frame fails ("Your platform doesn't
support hardware accelerated AV1 decoding"), although OpenCV still opens the file and reads
its header (size, fps, frame count, rotation). imageio-ffmpeg's ffmpeg has libdav1d, so
frames of such clips come from it: decoded in order and piped as raw RGB, one frame in
memory at a time, with nothing written to disk.

``frame_stream`` yields exactly the frames OpenCV would: every decoded frame in decode
order (``-fps_mode passthrough``: none dropped or repeated to make a constant rate),
rotated as displayed (ffmpeg applies the rotation tag), the longest side at most
``max_side`` (shrunk by ffmpeg's area filter before the pipe, so a 4K frame never crosses it).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import subprocess
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

# FourCC tags (as ``VideoInfo.codec`` holds them) whose frames come from this module.
FFMPEG_ONLY_CODECS = frozenset({"AV01"})

# imageio-ffmpeg logs a warning whenever the output size differs from the source size
# (every rotated or shrunk clip); that is intended here, so keep it off the terminal.
logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)


# Up to this many wanted frames, ffmpeg's ``select`` filter picks them (``select_expression``:
# a binary search, evaluated per decoded frame); more are picked here instead.
SELECT_FILTER_MAX_FRAMES = 512


class FfmpegDecodeError(RuntimeError):
    """ffmpeg could not open or decode the clip; the message is ffmpeg's own reason."""


def select_expression(wanted: Sequence[int]) -> str:
    """An ffmpeg expression that is 1 for the decoded frames numbered ``wanted`` (sorted,
    distinct) and 0 for the others: a binary search over ``n`` (the frame number), so
    each frame costs O(log len(wanted)) comparisons and the nesting stays shallow. (A flat
    ``eq(n,a)+eq(n,b)+…`` of more than about 100 terms makes ffmpeg fail with "Cannot
    allocate memory".)"""
    if len(wanted) == 1:
        return f"eq(n,{wanted[0]})"
    middle = len(wanted) // 2
    return f"if(lt(n,{wanted[middle]}),{select_expression(wanted[:middle])},{select_expression(wanted[middle:])})"


def frame_stream(
    path: str | os.PathLike,
    max_side: int | None = None,
    only: Sequence[int] | None = None,
    seek_seconds: float | None = None,
) -> Iterator[np.ndarray]:
    """uint8 RGB [H, W, 3] frames of the clip's first video stream, in decode order.

    ``max_side``: frames whose longest side is bigger are shrunk (aspect kept) so that it
    is at most this. ``only``: the decode-order indices wanted (≥ 0); every frame up to the
    last of them is decoded, but ffmpeg's ``select`` filter passes only these to the scaler
    and the pipe, so an hour of frames never crosses it to keep 16. The stream then yields
    just those frames, in increasing index order (fewer when the clip ends sooner), and
    ffmpeg stops once it has sent the last of them. ``seek_seconds``: decoding starts at
    the first frame shown at or after this time (ffmpeg's input seek: from the keyframe
    before it, earlier frames dropped), and that frame is index 0 for ``only``.

    The ffmpeg process ends when the stream ends or the caller stops early (closing the
    generator kills it). Raises ``FfmpegDecodeError`` when ffmpeg cannot read the file at
    all; a clip cut short simply yields fewer frames.
    """
    import imageio_ffmpeg

    wanted = None if only is None else sorted({int(index) for index in only})
    if wanted is not None and not wanted:
        return
    by_filter = wanted is not None and len(wanted) <= SELECT_FILTER_MAX_FRAMES
    filters = []
    if by_filter:
        filters.append(f"select='{select_expression(wanted)}'")
    if max_side:
        side = int(max_side)
        filters.append(f"scale=w='min({side},iw)':h='min({side},ih)':force_original_aspect_ratio=decrease:flags=area")
    output_options = ["-map", "0:V:0", "-an", "-sn", "-fps_mode", "passthrough"]  # V: not cover art
    if filters:
        output_options += ["-vf", ",".join(filters)]
    if by_filter:
        # Stop after the last wanted frame. Without this ffmpeg decodes to the end of the
        # clip, and the tail of the last frame waits in its output buffer until then.
        output_options += ["-frames:v", str(len(wanted))]
    input_options = [] if seek_seconds is None else ["-ss", f"{max(0.0, float(seek_seconds)):.6f}"]
    frames = imageio_ffmpeg.read_frames(
        str(Path(path)), pix_fmt="rgb24", input_params=input_options, output_params=output_options
    )
    try:
        try:
            meta = next(frames)
        except (OSError, RuntimeError, StopIteration) as error:
            reason = str(error).strip().splitlines()[-1][:200] if str(error).strip() else "no video stream"
            raise FfmpegDecodeError(reason) from error
        width, height = meta["size"]
        kept = None if wanted is None or by_filter else set(wanted)
        try:
            for index, raw in enumerate(frames):
                if kept is not None and index not in kept:
                    if index > wanted[-1]:
                        return
                    continue
                yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).copy()  # writable
        except RuntimeError:
            return  # ffmpeg stopped on damaged data: the frames before it stand
    finally:
        frames.close()


def _ffmpeg_report(path: str | os.PathLike, output_arguments: list[str], timeout_seconds: float = 60.0) -> str:
    """What ffmpeg prints (its stderr) reading ``path`` with ``output_arguments``; "" when
    ffmpeg cannot be run or takes longer than ``timeout_seconds``."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(Path(path)), *output_arguments]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout_seconds)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stderr


def first_frame_seconds(path: str | os.PathLike) -> float:
    """When the first video frame is shown, in seconds from the start of the file (≥ 0).

    0 for most clips. More when the video starts after the audio (an edit's start delay):
    frame ``i`` of a constant-rate clip is then shown at this + ``i / fps``, which is what
    an input seek (``frame_stream``'s ``seek_seconds``) has to aim at. 0 when ffmpeg does
    not say (its ``showinfo`` filter prints the time of each frame it sees). Asked of
    ffmpeg once per file (kept per path, size and modification time), however many seeks
    probing and reading the clip make.
    """
    try:
        status = Path(path).stat()
    except OSError:
        return 0.0
    return _first_frame_seconds(str(Path(path).resolve()), status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _first_frame_seconds(path: str, size: int, modified_ns: int) -> float:
    """``first_frame_seconds`` of the file ``path`` as it is at ``size`` and ``modified_ns``."""
    report = _ffmpeg_report(path, ["-map", "0:V:0", "-frames:v", "1", "-vf", "showinfo", "-f", "null", "-"])
    found = re.search(r"pts_time:\s*(-?[0-9.]+)", report)
    return max(0.0, float(found.group(1))) if found else 0.0


def stream_kinds(path: str | os.PathLike) -> set[str]:
    """The kinds of stream the file holds as ffmpeg reads them: ``{"video", "audio"}`` for
    a usual clip, ``{"audio"}`` for a sound file, empty when ffmpeg cannot read it."""
    report = _ffmpeg_report(path, [])  # no output: ffmpeg lists the streams, then stops
    return {kind.lower() for kind in re.findall(r"^\s*Stream #\S+: (Video|Audio|Subtitle|Data|Attachment):", report, re.M)}
