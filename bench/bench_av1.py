"""Sampling 16 frames from an AV1 clip: vidclass vs. the peers' ways of reading video.

    python bench/bench_av1.py [--minutes 3] [--keep]

AV1 is what YouTube and recent phones often hand out, and OpenCV's wheel cannot decode it
(its FFmpeg has only the hardware AV1 decoder). Writes a synthetic 640×360 25 fps AV1 clip
(SVT-AV1) with film-like noise (about 2.4 Mbit/s, so decoding costs what real footage
costs) to a temporary folder, then measures, each in its own fresh Python process (so
peak RSS is that method's alone):

* vidclass: ``sample_frames(path, SamplingConfig("uniform", 16, 224, "crop"))`` — OpenCV
  reads the header; imageio-ffmpeg's ffmpeg seeks to each far frame (gaps over
  ``FFMPEG_SEEK_GAP_FRAMES``), decodes from the keyframe before it, pipes back only the
  kept frames and stops after the last one; only the 16 kept frames are held;
* vidclass without seeks: the same, with seeking turned off (every frame up to the last
  kept one decoded, in one ffmpeg process): what seeking saves;
* Keras load_video: the Keras CNN-RNN example's reader (``cv2.VideoCapture.read()`` on
  every frame) — it gets no frame at all from an AV1 clip;
* read-all (imageio): every frame read with ``imageio.v3.imiter`` (the ffmpeg plugin),
  kept in a list, ``np.array``, then the same 16 uniform indices picked and cropped.

Prints wall time (imports excluded), peak RSS, the ratios, the frames each held in
memory, and whether vidclass and read-all picked the same frames.
"""

from __future__ import annotations

import sys
import time

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)
from bench_sampling import (
    NUM_FRAMES, SIZE, bench_folder, command_line, mean_difference, measure, peak_rss_megabytes, run_child,
    run_read_all, run_vidclass, save_frames, write_bench_clip,
)  # fmt: skip


def run_read_all_imageio(path: str) -> dict:
    """Every frame through imageio's ffmpeg plugin into one array, then the 16 picked."""
    import cv2
    import imageio.v3 as iio
    import numpy as np

    from vidclass.sampling import uniform_indices

    before = peak_rss_megabytes()
    start = time.perf_counter()
    every_frame = np.array(list(iio.imiter(path, plugin="FFMPEG")))
    indices = uniform_indices(len(every_frame), NUM_FRAMES)
    picked = []
    for frame in every_frame[indices]:
        side = min(frame.shape[:2])
        top, left = (frame.shape[0] - side) // 2, (frame.shape[1] - side) // 2
        picked.append(cv2.resize(frame[top : top + side, left : left + side], (SIZE, SIZE), interpolation=cv2.INTER_AREA))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_megabytes(),
        "rss_before_mb": before,
        "frames_decoded": int(len(every_frame)),
        "indices": indices.tolist(),
        "frames_npy": save_frames(np.array(picked), path, "read-all-imageio"),
    }


def run_vidclass_without_seeks(path: str) -> dict:
    """``run_vidclass`` with ffmpeg seeks turned off."""
    import vidclass.video

    vidclass.video.FFMPEG_SEEK_GAP_FRAMES = float("inf")
    return run_vidclass(path, saved_as="vidclass-without-seeks")


METHODS = {
    "vidclass": run_vidclass, "forward": run_vidclass_without_seeks, "keras": run_read_all,
    "imageio": run_read_all_imageio,
}  # fmt: skip


def main() -> int:
    args = command_line(__doc__.splitlines()[0], 3.0)
    if run_child(args, METHODS):
        return 0

    with bench_folder("vidclass-bench-av1-", args.keep) as folder:
        path = folder / "av1.mp4"
        num_frames = write_bench_clip(path, args.minutes, width=640, height=360, codec="libsvtav1",
                                      output_params=["-preset", "10", "-crf", "35", "-svtav1-params", "log-level=0",
                                                     "-vf", "noise=alls=12:allf=t"])
        results = {method: measure(method, path, __file__) for method in METHODS}
        ours, peer, forward = results["vidclass"], results["imageio"], results["forward"]
        difference = mean_difference(ours["frames_npy"], peer["frames_npy"])
        forward_difference = mean_difference(ours["frames_npy"], forward["frames_npy"])

    print()
    print(f"Sampling {NUM_FRAMES} frames (uniform, {SIZE}×{SIZE} centre crop) from a {args.minutes:g}-minute AV1 clip")
    print("| method                          | wall s    | peak RSS MB | frames held    |")
    print("|---------------------------------|-----------|-------------|----------------|")
    names = {
        "vidclass": "vidclass sample_frames", "forward": "vidclass without seeks",
        "keras": "Keras load_video (OpenCV)", "imageio": "read-all (imageio ffmpeg)",
    }  # fmt: skip
    for method, result in results.items():
        held = result.get("frames_decoded", len([i for i in result["indices"] if i >= 0]))
        print(f"| {names[method]:<31} | {result['seconds']:>9.3f} | {result['peak_rss_mb']:>11.0f} | {held:>14} |")
    print()
    print(f"vs read-all (imageio): {peer['seconds'] / ours['seconds']:.1f}× faster, "
          f"peak RSS ratio {peer['peak_rss_mb'] / ours['peak_rss_mb']:.1f}×")
    print(f"vs vidclass without seeks: {forward['seconds'] / ours['seconds']:.1f}× faster "
          f"(same frames: mean |difference| {forward_difference:.2f} of 255)")
    print(f"Keras load_video got {results['keras']['frames_decoded']} of {num_frames} frames")
    same = ours["indices"] == peer["indices"] == forward["indices"] and max(difference, forward_difference) < 4.0
    print(f"same frames picked as read-all: {same} (mean |difference| {difference:.2f} of 255)")
    return 0 if same and len(ours["indices"]) == NUM_FRAMES else 1


if __name__ == "__main__":
    sys.exit(main())
