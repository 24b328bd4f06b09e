"""Soak: 200 MoViNet classifications in one process; resident memory must not creep.

    python bench/bench_soak.py [--runs 200] [--reload-runs 20]

The app keeps one classifier per process (``st.cache_resource``) and classifies clip after
clip with it. This runs ``vidclass.classifiers.load_classifier("movinet")`` once and
classifies real clips from the asset store (``data/clips``, the UCF101 AVIs and a few
UCF101 MP4s, cycled) plus a synthetic 10-s clip, ``--runs`` times. It prints the resident
set size (RSS) after the first classification (everything loaded and warm), every 25
runs, and at the end; the growth must stay ≤ 100 MB.

Naive peer, measured in the same run: the demo-Space way of loading the model inside the
request handler, i.e. a new classifier for every clip (``--reload-runs`` times). Its time
per clip and RSS growth per clip are printed beside ours, with the ratios.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)

import psutil  # noqa: E402

from vidclass import store  # noqa: E402
from vidclass.classifiers import load_classifier  # noqa: E402

TARGET_GROWTH_MB = 100.0
MB = 1024 * 1024


def rss_mb() -> float:
    """This process's resident set size in MB (after a garbage collection)."""
    gc.collect()
    return psutil.Process().memory_info().rss / MB


def soak_clips(folder: Path) -> list[Path]:
    """Real clips of the asset store plus a synthetic 10-s 320×240 clip written into ``folder``."""
    from vidclass.synthetic import write_clip

    clips = list(store.find_all("data/clips", "*.mp4"))
    clips += sorted((store.home() / "data/ucf101/avi").glob("*/*.avi"))
    for class_folder in sorted((store.home() / "data/ucf101/train").glob("*"))[:6]:
        clips += sorted(class_folder.glob("*.mp4"))[:1]
    clips.append(write_clip(folder / "synthetic_10s.mp4", 250, fps=25, height=240, width=320))
    return clips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reload-runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vidclass-soak-") as folder:
        clips = soak_clips(Path(folder))
        print(f"clips: {len(clips)} (cycled), runs: {args.runs}")
        rss_before_model = rss_mb()
        started = time.perf_counter()
        classifier = load_classifier("movinet")
        classifier.classify(clips[0], top_k=5)
        first_seconds = time.perf_counter() - started
        rss_start = rss_mb()
        print(f"RSS before the model: {rss_before_model:.0f} MB; after loading it and one classification: "
              f"{rss_start:.0f} MB ({first_seconds:.2f} s)")

        seconds: list[float] = []
        peak = rss_start
        for run in range(1, args.runs + 1):
            clip = clips[run % len(clips)]
            began = time.perf_counter()
            prediction = classifier.classify(clip, top_k=5)
            seconds.append(time.perf_counter() - began)
            if not prediction.labels:
                raise RuntimeError(f"no labels for {clip}")
            if run % 25 == 0:
                now = rss_mb()
                peak = max(peak, now)
                print(f"  run {run:4d}: RSS {now:7.1f} MB  (+{now - rss_start:6.1f} MB)  "
                      f"median {statistics.median(seconds[-25:]):.3f} s/clip")
        rss_end = rss_mb()
        growth = rss_end - rss_start
        per_clip = statistics.median(seconds)

        # Naive peer: a new classifier for every clip.
        reload_seconds: list[float] = []
        rss_reload_start = rss_mb()
        for run in range(args.reload_runs):
            clip = clips[run % len(clips)]
            began = time.perf_counter()
            fresh = load_classifier("movinet")
            fresh.classify(clip, top_k=5)
            reload_seconds.append(time.perf_counter() - began)
            del fresh
        rss_reload_end = rss_mb()
        reload_per_clip = statistics.median(reload_seconds)

    print()
    print(f"one classifier, {args.runs} classifications:")
    print(f"  RSS start {rss_start:.1f} MB, end {rss_end:.1f} MB, peak {max(peak, rss_end):.1f} MB")
    print(f"  growth {growth:+.1f} MB (target ≤ {TARGET_GROWTH_MB:.0f} MB: {'OK' if growth <= TARGET_GROWTH_MB else 'OVER'}), "
          f"{growth / args.runs * 1024:+.1f} KB per classification")
    print(f"  median {per_clip:.3f} s per clip (total {sum(seconds):.1f} s)")
    print(f"naive peer, a new classifier per clip ({args.reload_runs} clips):")
    print(f"  median {reload_per_clip:.3f} s per clip; RSS {rss_reload_start:.1f} → {rss_reload_end:.1f} MB "
          f"({(rss_reload_end - rss_reload_start) / max(1, args.reload_runs) * 1024:+.1f} KB per clip)")
    print(f"ratio: time per clip, naive / vidclass = {reload_per_clip / per_clip:.2f}×")
    return 0 if growth <= TARGET_GROWTH_MB else 1


if __name__ == "__main__":
    sys.exit(main())
