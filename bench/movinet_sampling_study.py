"""Which frame rate and geometry give MoViNet-A0-Stream its best accuracy on real clips.

Run from the repo root (it takes a few minutes on 2 cores; be kind to neighbours)::

    nice python bench/movinet_sampling_study.py [--per-class 8] [--rates native,3,5,8,12]

Clips: the UCF101 training clips of ``data/ucf101/train`` whose classes map to
Kinetics-600 labels (``ucf101_to_kinetics600.json``: correct = any mapped label), a
fixed subset of ``--per-class`` clips per class, each from a different group (groups
share actors and scene), plus the labelled example clips of ``data/clips``.

Three stages keep it to minutes on a shared 2-core machine: every geometry (crop, pad,
stretch) at the rate MoViNet was trained on (5 fps), then every rate (native, 3, 5, 8,
12 fps) at the best geometry, then every geometry at the best rate. Within a stage a
clip is decoded once; frames are chosen with ``vidclass.sampling.fps_indices`` and
shaped with ``fit_frame``, exactly the frames ``sample_frames`` gives the app. The answer is the softmax of the logits after the last
frame (what the app shows). Prints one row per setting: top-1 / top-5 accuracy on the
UCF101 subset and on the example clips, and frames per clip.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)

import numpy as np  # noqa: E402

from vidclass import store  # noqa: E402
from vidclass.movinet import FRAME_SIZE, load_classifier  # noqa: E402
from vidclass.sampling import GEOMETRIES, fit_frame, fps_indices  # noqa: E402
from vidclass.video import probe, read_frames  # noqa: E402

# The labelled example clips and the Kinetics-600 labels that count as correct.
EXAMPLE_CLIPS = {
    "carving_ice_rpi.mp4": ["carving ice"],
    "jumping_jacks.mp4": ["jumping jacks"],
    "crossfit_deadlift_64.mp4": ["deadlifting"],
    "crossfit_double-unders_73.mp4": ["skipping rope"],
    "crossfit_power_clean_262.mp4": ["clean and jerk"],
}


def group_of(path: Path) -> str:
    """The UCF101 group of a clip file name ``v_<Class>_g<group>_c<clip>.mp4``."""
    return path.stem.split("_")[-2]


def ucf101_subset(per_class: int, offset: int = 0) -> list[tuple[Path, list[str]]]:
    """``per_class`` clips per mapped class, each from a different group, evenly spread.

    ``offset`` picks the next clip of each group instead of the first (a disjoint subset).
    """
    mapping = json.loads(store.find("data/ucf101/ucf101_to_kinetics600.json").read_text())
    chosen: list[tuple[Path, list[str]]] = []
    for class_name in sorted(mapping):
        clips = store.find_all(f"data/ucf101/train/{class_name}", "*.mp4")
        groups: dict[str, list[Path]] = {}
        for clip in clips:
            groups.setdefault(group_of(clip), []).append(clip)
        names = sorted(groups)
        picks = np.linspace(0, len(names) - 1, min(per_class, len(names))).round().astype(int)
        for position in picks:
            members = sorted(groups[names[position]])
            chosen.append((members[min(offset, len(members) - 1)], mapping[class_name]))
    return chosen


def example_clips() -> list[tuple[Path, list[str]]]:
    """The labelled clips of ``data/clips`` that are present."""
    found = []
    for name, labels in EXAMPLE_CLIPS.items():
        try:
            found.append((store.find(f"data/clips/{name}"), labels))
        except FileNotFoundError:
            pass
    return found


def decode_for(path: Path, settings: list[tuple[str, str]]) -> dict[tuple[str, str], np.ndarray]:
    """The frames each setting shows the model: {(rate, geometry): uint8 [T,172,172,3]}.

    The clip is decoded once; each needed frame is shaped only the ways some setting
    needs, with ``fit_frame`` exactly as ``sample_frames`` does.
    """
    info = probe(path)
    count = info.frame_count
    geometries = sorted({geometry for _, geometry in settings})
    wanted = {setting: _indices(count, info.fps, setting[0]) for setting in settings}
    every = sorted({int(i) for indices in wanted.values() for i in indices})
    decoded = read_frames(
        path, every, lambda frame: {geometry: fit_frame(frame, FRAME_SIZE, FRAME_SIZE, geometry) for geometry in geometries}
    )
    if len(decoded) < len(every):  # the container overstated its length: resample over what exists
        real = len(decoded)
        wanted = {setting: _indices(real, info.fps, setting[0]) for setting in settings}
    return {
        setting: np.stack([decoded[int(i)][setting[1]] for i in indices if int(i) in decoded])
        for setting, indices in wanted.items()
    }


def _indices(count: int, fps: float, rate: str) -> np.ndarray:
    return fps_indices(count, fps, fps if rate == "native" else float(rate))


def score(probabilities: np.ndarray, class_names: list[str], correct: list[str]) -> tuple[bool, bool]:
    """(top-1 correct, top-5 correct) for one clip."""
    order = np.argsort(-probabilities)[:5]
    names = [class_names[i] for i in order]
    return names[0] in correct, any(name in correct for name in names)


class Study:
    """Runs settings over the clip sets and keeps every (top-1, top-5, frames, mean-top-1)."""

    def __init__(self, classifier, sets: dict[str, list[tuple[Path, list[str]]]]):
        self.classifier = classifier
        self.sets = sets
        self.results: dict[tuple[str, str], dict[str, list]] = {}
        self.decode_seconds = 0.0
        self.inference_seconds = 0.0

    def run(self, settings: list[tuple[str, str]], stage: str) -> None:
        settings = [setting for setting in settings if setting not in self.results]
        if not settings:
            return
        for setting in settings:
            self.results[setting] = {name: [] for name in self.sets}
        total = sum(len(clips) for clips in self.sets.values())
        done = 0
        for set_name, clips in self.sets.items():
            for path, correct in clips:
                tick = time.perf_counter()
                frames = decode_for(path, settings)
                self.decode_seconds += time.perf_counter() - tick
                for setting in settings:
                    tick = time.perf_counter()
                    timeline = self.classifier.classify_frames(frames[setting])
                    self.inference_seconds += time.perf_counter() - tick
                    top1, top5 = score(timeline[-1], self.classifier.class_names, correct)
                    mean_top1, _ = score(timeline.mean(axis=0), self.classifier.class_names, correct)
                    self.results[setting][set_name].append((top1, top5, len(frames[setting]), mean_top1))
                done += 1
                print(f"\r{stage}: {done}/{total} clips", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)

    def rank(self, setting: tuple[str, str]) -> tuple[float, float, float]:
        """(top-1 over all clips, top-5 over all clips, -frames per clip): higher is better."""
        rows = np.array([row for name in self.sets for row in self.results[setting][name]], dtype=float)
        return rows[:, 0].mean(), rows[:, 1].mean(), -rows[:, 2].mean()

    def best(self, settings: list[tuple[str, str]]) -> tuple[str, str]:
        return max(settings, key=self.rank)


def rate_label(rate: str) -> str:
    return rate if rate == "native" else f"{rate} fps"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=8, help="UCF101 clips per class (distinct groups)")
    parser.add_argument("--rates", default="native,3,5,8,12", help="frame rates to compare (native = every frame)")
    parser.add_argument("--first-rate", default="5", help="the rate the geometry comparison runs at first")
    args = parser.parse_args(argv)
    rates = [rate.strip() for rate in args.rates.split(",")]
    started = time.perf_counter()

    classifier = load_classifier(pool_size=1)
    study = Study(classifier, {"ucf101": ucf101_subset(args.per_class), "clips": example_clips()})
    # Stage 1: every geometry at the trained rate. Stage 2: every rate at the best
    # geometry. Stage 3: every geometry at the best rate (when it is another rate).
    study.run([(args.first_rate, geometry) for geometry in GEOMETRIES], "geometries")
    geometry = study.best([(args.first_rate, g) for g in GEOMETRIES])[1]
    study.run([(rate, geometry) for rate in rates], "rates")
    rate = study.best([(r, geometry) for r in rates])[0]
    study.run([(rate, g) for g in GEOMETRIES], "geometries at the best rate")
    winner = study.best(list(study.results))

    counts = {name: len(clips) for name, clips in study.sets.items()}
    print(
        f"MoViNet-A0-Stream int8 sampling study: {counts['ucf101']} UCF101 clips "
        f"({args.per_class}/class x 11 classes, distinct groups) + {counts['clips']} example clips; "
        "answer = softmax of the logits after the last frame"
    )
    header = (
        f"{'setting':<18}{'UCF top-1':>10}{'UCF top-5':>10}{'clips top-1':>12}{'clips top-5':>12}"
        f"{'frames/clip':>12}{'UCF top-1 (mean of timeline)':>30}"
    )
    print(header)
    print("-" * len(header))
    for setting in sorted(study.results, key=lambda s: (GEOMETRIES.index(s[1]), rates.index(s[0]) if s[0] in rates else 99)):
        row = study.results[setting]
        ucf = np.array(row["ucf101"], dtype=float)
        clips = np.array(row["clips"], dtype=float) if row["clips"] else np.zeros((1, 4))
        label = f"{rate_label(setting[0])} {setting[1]}"
        print(
            f"{label:<18}{ucf[:, 0].mean():>10.1%}{ucf[:, 1].mean():>10.1%}{clips[:, 0].mean():>12.1%}"
            f"{clips[:, 1].mean():>12.1%}{ucf[:, 2].mean():>12.1f}{ucf[:, 3].mean():>30.1%}"
        )
    print(f"winner (top-1 over all clips, then top-5, then fewer frames): {rate_label(winner[0])}, {winner[1]}")
    print(
        f"decode {study.decode_seconds:.1f} s, inference {study.inference_seconds:.1f} s, "
        f"total {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
