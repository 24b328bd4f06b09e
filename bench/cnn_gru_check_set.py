"""Record the shipped CNN + GRU head's fixed check set in its metrics.json.

The check set is the first clip of groups g24 and g25 of every class, classified end to
end (decode, views, encode, head) by the shipped head. Those clips are in its training
data, so this is a regression check (the test suite re-runs it and must get the same
count), not an accuracy estimate — that is 'accuracy', from group cross-validation.
It also prints the median time to classify one clip (decode + encode + head, the first
clip left out as warm-up), which is not written anywhere.

Run from the repo root after `vidclass train … --out assets/cnn_gru_ucf101 --overwrite`:
``VIDCLASS_HOME=../shared python bench/cnn_gru_check_set.py``
"""

from __future__ import annotations

import json
import os
import statistics

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from vidclass import store  # noqa: E402
from vidclass.cnn_gru import SHIPPED_HEAD, load_classifier  # noqa: E402


def check_set_clips(class_names: list[str]) -> list[str]:
    """Asset-store paths of the first clip of groups g24 and g25 of each class."""
    return [f"data/ucf101/train/{name}/v_{name}_g{group}_c01.mp4" for name in class_names for group in (24, 25)]


def main() -> int:
    classifier = load_classifier()
    clips = check_set_clips(classifier.class_names)
    correct, seconds = 0, []
    for relative in clips:
        prediction = classifier.classify(store.find(relative), top_k=1)
        top = prediction.top.label
        correct += top == relative.split("/")[-2]
        seconds.append(prediction.decode_seconds + prediction.inference_seconds)
        print(f"{relative}: {top} ({seconds[-1]:.2f} s)")
    metrics_path = SHIPPED_HEAD / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["fixed_check_set"] = {
        "clips": clips, "correct": correct, "accuracy": round(correct / len(clips), 4),
        "note": "first clip of groups g24 and g25 of each class, classified end to end (decode, encode, head) by the "
                "shipped head; these clips are in its training data, so this is a regression check that the shipped "
                "files and pipeline reproduce, not an accuracy estimate (that is 'accuracy' above, from group "
                "cross-validation)",
    }
    metrics_path.write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"check set: {correct}/{len(clips)} correct, written to {metrics_path}")
    print(f"classify one clip ({classifier.encoder.name}, {classifier.config.views} view(s)): "
          f"median {statistics.median(seconds[1:]):.2f} s over {len(seconds) - 1} clips")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
