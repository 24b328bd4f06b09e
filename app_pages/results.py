"""UI pieces that show a classifier's answer: bar chart, GIF, timing, confidence note.

Shared by the Classify, Compare and Batch pages. Every function takes a
``vidclass.predictions.Prediction`` and draws it; none computes anything heavy.
"""

from __future__ import annotations

import dataclasses

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import common
from vidclass.predictions import Prediction

DEFAULT_CONFIDENCE = 0.40


def top_k_chart(prediction: Prediction) -> None:
    """A horizontal bar chart of the top-k labels with percentages."""
    table = pd.DataFrame(
        {
            "label": [item.label for item in prediction.labels],
            "probability": [float(item.score) for item in prediction.labels],
        }
    )
    table["percent"] = (table["probability"] * 100).round(1).astype(str) + " %"
    bars = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            tooltip=["label", "percent"],
        )
    )
    text = bars.mark_text(align="left", dx=3).encode(text="percent:N")
    st.altair_chart((bars + text).properties(height=32 * len(table) + 20), width="stretch")


def answer_summary(prediction: Prediction, top_k: int, threshold: float) -> None:
    """The answer in words and bars: one headline (sure, not sure, or probably none of a short
    class list), the class list of a closed-set model, then the top-k chart."""
    shown = first_labels(prediction, top_k)
    if outside_known_classes(prediction):
        unknown_note(shown)
    else:
        confidence_note(shown, threshold)
    known_classes_caption(prediction)
    top_k_chart(shown)


def candidates_text(prediction: Prediction, count: int = 3) -> str:
    """"A (52%), B (9%), C (8%)": the first ``count`` labels with their probabilities."""
    return ", ".join(f"{common.plain(item.label)} ({item.score:.0%})" for item in prediction.labels[:count])


def confidence_note(prediction: Prediction, threshold: float) -> None:
    """Say plainly whether the model is sure, and list candidates when it is not."""
    best = prediction.top
    if best.score >= threshold:
        st.success(f"**{common.plain(best.label)}** — {best.score:.0%} sure.")
        return
    st.warning(
        f"The model is not sure (best guess {best.score:.0%}, below {threshold:.0%}). "
        f"Candidates: {candidates_text(prediction)}.",
        icon="🤔",
    )


def outside_known_classes(prediction: Prediction) -> bool:
    """True for a model with a short class list (the CNN + GRU) whose answer says the clip is
    probably none of them (``vidclass.cnn_gru.probably_unknown``)."""
    if prediction.model != "cnn-gru":
        return False
    from vidclass.cnn_gru import probably_unknown

    return probably_unknown(prediction)


def unknown_note(prediction: Prediction) -> None:
    """The headline when the clip is probably none of a closed-set model's classes."""
    st.warning(
        f"This clip is probably none of the {len(prediction.class_names)} classes this model knows: its best "
        f"guess is only {prediction.top.score:.0%} sure, or it hesitates between several. "
        f"Candidates: {candidates_text(prediction)}.",
        icon="❓",
    )


def known_classes_caption(prediction: Prediction) -> None:
    """For a model with a short class list: say it only knows those."""
    if prediction.model == "cnn-gru":
        names = ", ".join(prediction.class_names)
        st.caption(f"This model only knows {len(prediction.class_names)} classes: {common.plain(names)}.")


THRESHOLD_KEY = "sure_from_percent"
THRESHOLD_KEPT = "sure_from_percent_kept"  # survives pages without the slider


def threshold_slider() -> float:
    """The sidebar's "Sure enough from" slider, shared by the Classify and Compare pages
    (one setting per session); returns the threshold as a fraction."""
    st.session_state.setdefault(THRESHOLD_KEY, st.session_state.get(THRESHOLD_KEPT, int(DEFAULT_CONFIDENCE * 100)))
    percent = st.sidebar.slider(
        "Sure enough from (%)", 5, 95, step=5, key=THRESHOLD_KEY,
        help="Below this probability the page says the model is not sure and lists candidates.",
    )
    st.session_state[THRESHOLD_KEPT] = percent
    return percent / 100


def frames_gif(prediction: Prediction, clip_hash: str) -> None:
    """The GIF of exactly the frames the model saw."""
    frames = prediction.frames
    gif = common.gif_bytes(clip_hash, f"{prediction.model}-{frames.config.key()}", frames)
    st.image(gif, caption=f"The {common.count_of(frames.num_real, 'frame')} the model saw")


def timing_line(prediction: Prediction) -> None:
    """Time taken, split into reading frames and running the model."""
    st.caption(
        f"⏱️ {prediction.seconds:.2f} s in all: {prediction.decode_seconds:.2f} s reading frames, "
        f"{prediction.inference_seconds:.2f} s in the model · {common.count_of(prediction.frames.num_real, 'frame')}"
    )


def progress_reporter(label: str):
    """A ``progress(fraction, message)`` callback drawing an ``st.progress`` bar."""
    bar = st.progress(0.0, text=label)

    def report(fraction: float, message: str = "") -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message or label)

    report.clear = bar.empty  # remove the bar once the work is done
    return report


MAX_TOP_K = 10  # predictions keep this many labels; pages show the first few (``first_labels``)


def cached_prediction(clip, model: str, options: dict) -> Prediction | None:
    """The prediction for (clip, model, options) from ``st.session_state``, or None."""
    return st.session_state.get("predictions", {}).get(_result_key(clip, model, options))


def classify_and_remember(clip, model: str, options: dict) -> Prediction:
    """Classify ``clip`` with ``model`` once (top ``MAX_TOP_K`` labels); later reruns, and other
    pages asking for the same clip and model, read ``st.session_state``.

    The model comes from the process-wide cache (loaded once, shared by sessions).
    """
    key = _result_key(clip, model, options)
    results = st.session_state.setdefault("predictions", {})
    if key not in results:
        classifier = common.load_classifier_cached(model, **options)
        report = progress_reporter(f"Running {classifier.title}…")
        try:
            with clip.local_path() as path:
                results[key] = classifier.classify(path, top_k=MAX_TOP_K, progress=report)
        finally:
            report.clear()
    return results[key]


def first_labels(prediction: Prediction, count: int) -> Prediction:
    """The same prediction with only its first ``count`` labels (for charts and sentences)."""
    return dataclasses.replace(prediction, labels=prediction.labels[:count])


def _result_key(clip, model: str, options: dict) -> tuple:
    return (common.hash_of(clip), model, tuple(sorted(options.items())))
