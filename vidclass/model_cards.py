"""Model cards: what each model is, where it comes from, what it knows, how well it does.

Measured figures are read from the metrics files the project writes (``assets/*/metrics.json``),
never typed by hand here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class ModelCard:
    """One model's card; ``metrics_file`` (and ``classes_file``, a JSON list of class names, for
    a model with a short class list) are relative to ``assets/``."""

    key: str
    title: str
    what: str
    source: str  # one sentence on where it comes from
    source_url: str  # the official address (or the project's page)
    licence: str
    knows: str
    metrics_file: str
    classes_file: str = ""

    def class_names(self) -> list[str]:
        """The class names from ``classes_file``, or [] (none given, or not built yet)."""
        path = ASSETS / self.classes_file
        if not self.classes_file or not path.is_file():
            return []
        with open(path, encoding="utf-8") as handle:
            return [str(name) for name in json.load(handle)]

    def metrics(self) -> dict | None:
        """The measured figures (a dict from the metrics file), or None when not measured yet."""
        path = ASSETS / self.metrics_file
        if not path.is_file():
            return None
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)


CARDS = (
    ModelCard(
        key="movinet",
        title="MoViNet-A0 (streaming, int8) — Kinetics-600",
        what=(
            "A mobile video network that watches a clip one frame at a time, keeping a memory of what it has "
            "seen, and names the action among 600 everyday actions."
        ),
        source="TensorFlow Model Garden export, as shipped by the TensorFlow Lite Flutter example",
        source_url="https://raw.githubusercontent.com/tensorflow/flutter-tflite/7045e30722790910e5735b43d3f7e18a25008e6b/example/movinet/assets/movinet_int8.tflite",
        licence="Apache-2.0",
        knows="600 Kinetics-600 actions (e.g. archery, carving ice, playing tennis)",
        metrics_file="movinet/metrics.json",
    ),
    ModelCard(
        key="cnn-gru",
        title="CNN + GRU — UCF101, 11 classes",
        what=(
            "An ImageNet picture model (MobileNet) describes each sampled frame and the MoViNet action model "
            "adds how the action builds up (its Kinetics-600 scores so far); a small recurrent network (GRU) "
            "reads those descriptions in order and picks one of the classes it was trained on."
        ),
        source="Frame encoders: MobileNet from Google Coral's test data and the MoViNet-A0 above; GRU head: trained by vidclass on UCF101",
        source_url="https://raw.githubusercontent.com/google-coral/test_data/104342d2d3480b3e66203073dac24f4e2dbb4c41/mobilenet_v2_1.0_224_quant.tflite",
        licence="Encoders Apache-2.0; UCF101 for research use",
        knows="11 UCF101 classes (listed below); heads you train in the app know your classes",
        classes_file="cnn_gru_ucf101/classes.json",
        metrics_file="cnn_gru_ucf101/metrics.json",
    ),
    ModelCard(
        key="yt8m",
        title="YouTube-8M video-level model",
        what=(
            "Reads a YouTube-8M video's average picture and sound features and predicts which of 3,862 topics "
            "it carries (several at once)."
        ),
        source="Trained by vidclass on the 30 YouTube-8M video-level validate shards (its score: the same recipe trained on 25, tested on the other 5)",
        source_url="https://research.google.com/youtube8m/",
        licence="YouTube-8M data: CC BY 4.0",
        knows="3,862 YouTube-8M entities (Knowledge Graph topics)",
        metrics_file="yt8m_model/metrics.json",
    ),
)
