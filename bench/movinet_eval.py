"""Held-out accuracy and latency of MoViNet with vidclass's default sampling; writes its metrics file.

Run from the repo root (a few minutes on 2 cores)::

    nice python bench/movinet_eval.py [--per-group 2] [--write assets/movinet/metrics.json]

The defaults (frame rate, geometry) were chosen by ``bench/movinet_sampling_study.py`` on
8 UCF101 groups per class. This script scores the default classifier only on clips of the
OTHER groups (never used to choose anything), ``--per-group`` clips per group and class,
plus the labelled example clips, and writes what it measured to the About page's metrics
file: top-1/top-5 (correct = any Kinetics-600 label mapped to the UCF101 class), clip
count, and latency per frame and per clip.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench_setup import ROOT  # noqa: E402  (paths and VIDCLASS_HOME)

import numpy as np  # noqa: E402

from movinet_sampling_study import EXAMPLE_CLIPS, group_of, ucf101_subset  # noqa: E402
from vidclass import store  # noqa: E402
from vidclass.movinet import DEFAULT_SAMPLING, load_classifier  # noqa: E402


def held_out_clips(per_group: int) -> list[tuple[Path, list[str], str]]:
    """(clip, correct labels, class) for clips of groups the sampling study never saw."""
    mapping = json.loads(store.find("data/ucf101/ucf101_to_kinetics600.json").read_text())
    tuned_groups = {(path.parent.name, group_of(path)) for path, _ in ucf101_subset(8)}
    chosen = []
    for class_name in sorted(mapping):
        by_group: dict[str, list[Path]] = {}
        for clip in store.find_all(f"data/ucf101/train/{class_name}", "*.mp4"):
            by_group.setdefault(group_of(clip), []).append(clip)
        for group, members in sorted(by_group.items()):
            if (class_name, group) not in tuned_groups:
                chosen += [(clip, mapping[class_name], class_name) for clip in sorted(members)[:per_group]]
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=2)
    parser.add_argument("--write", default=str(ROOT / "assets" / "movinet" / "metrics.json"))
    args = parser.parse_args(argv)

    classifier = load_classifier()
    clips = held_out_clips(args.per_group)
    hits1 = hits5 = 0
    per_class: dict[str, list[int]] = {}
    frame_ms, clip_seconds = [], []
    for position, (path, correct, class_name) in enumerate(clips):
        prediction = classifier.classify(path, top_k=5)
        names = [item.label for item in prediction.labels]
        top1, top5 = names[0] in correct, any(name in correct for name in names)
        hits1, hits5 = hits1 + top1, hits5 + top5
        per_class.setdefault(class_name, []).append(int(top1))
        frame_ms.append(1000 * prediction.inference_seconds / max(1, prediction.frames.num_real))
        clip_seconds.append(prediction.seconds)
        if position % 25 == 0:
            print(f"{position}/{len(clips)} clips…", file=sys.stderr)
    examples = {}
    for name, correct in EXAMPLE_CLIPS.items():
        path = store.find(f"data/clips/{name}")
        labels = [item.label for item in classifier.classify(path, top_k=5).labels]
        examples[name] = {"expected": correct[0], "top1": labels[0], "in_top5": correct[0] in labels}

    metrics = {
        "top1": round(hits1 / len(clips), 4),
        "top5": round(hits5 / len(clips), 4),
        "clips": len(clips),
        "latency_ms_per_frame": round(float(np.median(frame_ms)), 2),
        "seconds_per_clip_median": round(float(np.median(clip_seconds)), 3),
        "method": (
            f"UCF101 clips of the 11 mapped classes from groups NOT used to choose the sampling "
            f"({args.per_group} per group and class; correct = any Kinetics-600 label mapped to the class in "
            "ucf101_to_kinetics600.json). MoViNet never trained on UCF101."
        ),
        "sampling": DEFAULT_SAMPLING.key(),
        "per_class_top1": {name: round(float(np.mean(values)), 3) for name, values in sorted(per_class.items())},
        "example_clips": examples,
        "measured_on": f"{time.strftime('%Y-%m-%d')}, 2-core CPU, LiteRT int8",
    }
    print(json.dumps(metrics, indent=2))
    if args.write:
        Path(args.write).parent.mkdir(parents=True, exist_ok=True)
        Path(args.write).write_text(json.dumps(metrics, indent=2) + "\n")
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
