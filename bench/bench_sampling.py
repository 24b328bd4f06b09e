"""Sampling 16 frames from a 10-minute clip: vidclass vs. reading every frame first.

    python bench/bench_sampling.py [--minutes 10] [--keep]

Writes a 10-minute 320×240 25 fps synthetic clip (15,000 frames, H.264) to a temporary
folder, then measures, each in its own fresh Python process (so peak RSS is that
method's alone):

* vidclass: ``sample_frames(path, SamplingConfig("uniform", 16, 224, "crop"))`` — probe,
  then seek/grab to the 16 frames; only kept frames are converted and resized;
* read-all: the Keras CNN-RNN example's ``load_video`` — ``cv2.VideoCapture.read()``
  every frame, centre-square crop, resize to 224×224, BGR→RGB, append to a list,
  ``np.array(frames)``; then pick the same 16 uniform indices from it.

Prints wall time of the work (imports excluded) and peak RSS (``ru_maxrss``, whole
process) of each, the ratios, and checks both picked the same frames. Targets from the
foundation issue: vidclass ≤ 1 s and ≤ 300 MB, ≥ 20× faster than read-all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)

NUM_FRAMES = 16
SIZE = 224
TARGET_SECONDS = 1.0
TARGET_MEGABYTES = 300.0
TARGET_SPEEDUP = 20.0


def peak_rss_megabytes() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_vidclass(path: str, saved_as: str = "vidclass") -> dict:
    """vidclass's ``sample_frames``; the frames are saved beside the clip as ``saved_as``."""
    from vidclass.sampling import SamplingConfig, sample_frames

    before = peak_rss_megabytes()
    start = time.perf_counter()
    sampled = sample_frames(path, SamplingConfig(strategy="uniform", num_frames=NUM_FRAMES, size=SIZE, geometry="crop"))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_megabytes(),
        "rss_before_mb": before,
        "shape": list(sampled.frames.shape),
        "indices": sampled.indices.tolist(),
        "frames_npy": save_frames(sampled.frames, path, saved_as),
    }


def run_read_all(path: str) -> dict:
    """The Keras video-classification example's way (``load_video`` with max_frames=0)."""
    import cv2
    import numpy as np

    from vidclass.sampling import uniform_indices

    def crop_center_square(frame):
        y, x = frame.shape[0:2]
        min_dim = min(y, x)
        start_x = (x // 2) - (min_dim // 2)
        start_y = (y // 2) - (min_dim // 2)
        return frame[start_y : start_y + min_dim, start_x : start_x + min_dim]

    def load_video(video_path, max_frames=0, resize=(SIZE, SIZE)):
        capture = cv2.VideoCapture(video_path)
        frames = []
        try:
            while True:
                ret, frame = capture.read()
                if not ret:
                    break
                frame = crop_center_square(frame)
                frame = cv2.resize(frame, resize)
                frame = frame[:, :, [2, 1, 0]]
                frames.append(frame)
                if len(frames) == max_frames:
                    break
        finally:
            capture.release()
        return np.array(frames)

    before = peak_rss_megabytes()
    start = time.perf_counter()
    every_frame = load_video(path)
    indices = uniform_indices(len(every_frame), NUM_FRAMES)
    picked = every_frame[indices].copy()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_megabytes(),
        "rss_before_mb": before,
        "shape": list(picked.shape),
        "frames_decoded": int(len(every_frame)),
        "indices": indices.tolist(),
        "frames_npy": save_frames(picked, path, "read-all"),
    }


def save_frames(frames, clip_path: str, method: str) -> str:
    """Save picked frames beside the clip so the parent process can compare methods."""
    import numpy as np

    target = Path(clip_path).with_name(f"{method}.npy")
    np.save(target, frames)
    return str(target)


def measure(method: str, path: Path, script: str = __file__) -> dict:
    """Run one method in a fresh interpreter (``script --run METHOD PATH``); its JSON result."""
    output = subprocess.run(
        [sys.executable, script, "--run", method, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def command_line(description: str, default_minutes: float) -> argparse.Namespace:
    """``--minutes``, ``--keep`` and the hidden ``--run METHOD PATH`` that ``measure`` uses."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--minutes", type=float, default=default_minutes, help=f"clip length (default {default_minutes:g})")
    parser.add_argument("--keep", action="store_true", help="keep the written clip and print its path")
    parser.add_argument("--run", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    return parser.parse_args()


def run_child(args: argparse.Namespace, methods: dict) -> bool:
    """In a ``measure`` child: run ``--run``'s method, print its JSON, return True."""
    if not args.run:
        return False
    method, path = args.run
    print(json.dumps(methods[method](path)))
    return True


def write_bench_clip(path: Path, minutes: float, width: int, height: int, **options) -> int:
    """Write a synthetic 25 fps clip of ``minutes`` (``write_clip`` options); print what was
    written and how long it took; return its frame count."""
    from vidclass.synthetic import write_clip

    num_frames = int(round(minutes * 60 * 25))
    start = time.perf_counter()
    write_clip(path, num_frames, fps=25, height=height, width=width, **options)
    print(f"wrote {num_frames} frames of {width}×{height} at 25 fps ({minutes:g} min, "
          f"{path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return num_frames


@contextlib.contextmanager
def bench_folder(prefix: str, keep: bool):
    """A temporary folder for a benchmark's clip: removed afterwards, or kept and named with ``keep``."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
        if keep:
            print(f"clip kept in {folder}")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def mean_difference(first_npy: str, second_npy: str) -> float:
    """Mean absolute difference (of 255) between two methods' saved frames."""
    import numpy as np

    return float(np.abs(np.load(first_npy).astype(float) - np.load(second_npy)).mean())


def main() -> int:
    args = command_line(__doc__.splitlines()[0], 10.0)
    if run_child(args, {"vidclass": run_vidclass, "read-all": run_read_all}):
        return 0

    with bench_folder("vidclass-bench-sampling-", args.keep) as folder:
        path = folder / "ten_minutes.mp4"
        write_bench_clip(path, args.minutes, width=320, height=240)
        ours = measure("vidclass", path)
        naive = measure("read-all", path)
        difference = mean_difference(ours["frames_npy"], naive["frames_npy"])

    def row(name, result):
        added = result["peak_rss_mb"] - result["rss_before_mb"]
        return f"| {name:<28} | {result['seconds']:>9.3f} | {result['peak_rss_mb']:>13.0f} | {added:>17.0f} |"

    print()
    print(f"Sampling {NUM_FRAMES} frames (uniform, {SIZE}×{SIZE} centre crop) from a {args.minutes:g}-minute clip")
    print("| method                       | wall s    | peak RSS MB   | RSS added MB      |")
    print("|------------------------------|-----------|---------------|-------------------|")
    print(row("vidclass sample_frames", ours))
    print(row("read-all (Keras load_video)", naive))
    speedup = naive["seconds"] / ours["seconds"]
    memory_ratio = naive["peak_rss_mb"] / ours["peak_rss_mb"]
    print()
    print(f"speed-up: {speedup:.0f}× faster; peak RSS ratio read-all/vidclass: {memory_ratio:.1f}×")
    print(f"read-all decoded {naive['frames_decoded']} frames into {naive['frames_decoded'] * SIZE * SIZE * 3 / 1e9:.2f} GB")
    same = ours["indices"] == naive["indices"] and difference < 4.0  # resize filters differ slightly
    print(f"same frames picked: {same} (indices equal: {ours['indices'] == naive['indices']}, "
          f"mean |difference| of the 16 frames: {difference:.2f} of 255)")
    checks = {
        f"vidclass ≤ {TARGET_SECONDS:g} s": ours["seconds"] <= TARGET_SECONDS,
        f"vidclass ≤ {TARGET_MEGABYTES:g} MB": ours["peak_rss_mb"] <= TARGET_MEGABYTES,
        f"≥ {TARGET_SPEEDUP:g}× faster": speedup >= TARGET_SPEEDUP,
        "same frames": same,
    }
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks.items()))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
