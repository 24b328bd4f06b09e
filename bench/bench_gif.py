"""GIF of 16 sampled frames at 224×224: encode time and bytes, vidclass vs the naive ways.

    python bench/bench_gif.py

vidclass: ``playback.frames_to_gif`` (imageio v3, ms durations, loop=0, longest side
≤ 320, byte cap). Naive peers measured in the same run:

* the TF "Load video data" tutorial's ``imageio.mimsave(path, frames, fps=10)`` (imageio
  v2 API; ``fps`` is deprecated in imageio ≥ 2.28, and the old seconds-valued
  ``duration=0.1`` silently gives 0 ms frames; no loop flag, so it plays once);
* a plain Pillow ``save(save_all=True)``.

Also the same on 16 frames at 1280×720 (an HD upload), where the size bound matters.
Prints time (median of several runs), bytes, the per-frame duration and loop count read
back, and the ratios vidclass / naive.
"""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from vidclass import playback  # noqa: E402

REPEATS = 5


def sample_real_frames(size: int | tuple[int, int]) -> tuple[np.ndarray, np.ndarray, str]:
    """16 uniform frames of a real UCF101 clip (or a synthetic one when absent)."""
    from vidclass import store
    from vidclass.sampling import SamplingConfig, sample_frames

    found = store.find_all("data/ucf101/avi/Archery", "*.avi")
    if found:
        source = found[0]
    else:
        from vidclass.synthetic import write_clip

        source = write_clip(Path("/tmp") / "vidclass-bench-gif.mp4", 300)
    sampled = sample_frames(source, SamplingConfig(strategy="uniform", num_frames=16, size=size, geometry="stretch"))
    return sampled.frames, sampled.timestamps, source.name


def timed(make) -> tuple[float, bytes]:
    """Median seconds over REPEATS runs, and the bytes of the last run."""
    times = []
    data = b""
    for _ in range(REPEATS):
        start = time.perf_counter()
        data = make()
        times.append(time.perf_counter() - start)
    return statistics.median(times), data


def read_back(data: bytes, frames: np.ndarray) -> str:
    """Frames, size, duration and loop read back, and the mean colour error (0–255 scale)."""
    import cv2
    import imageio.v3 as iio

    decoded = iio.imread(data, extension=".gif", index=None)[..., :3]
    height, width = decoded.shape[1:3]
    reference = np.stack([cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA) for frame in frames])
    error = np.abs(decoded.astype(np.float32) - reference[: len(decoded)]).mean() if len(decoded) == len(frames) else float("nan")
    with Image.open(io.BytesIO(data)) as image:
        loop = image.info.get("loop")
        return (
            f"{image.n_frames} frames {width}×{height}, {image.info.get('duration')} ms/frame, "
            f"{'loops forever' if loop == 0 else 'plays once' if loop is None else f'loop={loop}'}, "
            f"mean colour error {error:.2f}"
        )


def naive_imageio_v2(frames: np.ndarray) -> bytes:
    import warnings

    import imageio

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imageio.mimsave(buffer, list(frames), format="GIF", fps=10)
    return buffer.getvalue()


def naive_pillow(frames: np.ndarray) -> bytes:
    images = [Image.fromarray(frame) for frame in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buffer.getvalue()


def run_case(title: str, frames: np.ndarray, duration_ms: int) -> None:
    print(f"\n{title}: {frames.shape[0]} frames {frames.shape[2]}×{frames.shape[1]}, {duration_ms} ms/frame asked")
    ours_time, ours = timed(lambda: playback.frames_to_gif(frames, duration_ms=duration_ms))
    print(f"  vidclass frames_to_gif : {ours_time * 1000:7.1f} ms  {len(ours):>9,} bytes  ({read_back(ours, frames)})")
    for name, make in (("imageio v2 mimsave fps=10", naive_imageio_v2), ("PIL save_all", naive_pillow)):
        their_time, theirs = timed(lambda: make(frames))
        print(f"  {name:<23}: {their_time * 1000:7.1f} ms  {len(theirs):>9,} bytes  ({read_back(theirs, frames)})")
        print(f"    ratio vidclass/{name.split()[0]}: time {ours_time / their_time:.2f}×, bytes {len(ours) / len(theirs):.2f}×")


def main() -> None:
    frames, timestamps, source = sample_real_frames(224)
    duration = playback.gif_duration_ms(timestamps)
    run_case(f"{source}, 224×224 (the benchmark case)", frames, duration)
    hd_frames, _, _ = sample_real_frames((720, 1280))
    run_case(f"{source} upscaled to 1280×720 (an HD upload)", hd_frames, duration)


if __name__ == "__main__":
    main()
