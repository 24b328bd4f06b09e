"""Classify: run a model on the current clip — top labels, streaming timeline, the frames it saw."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_pages import common, results
from vidclass.movinet import MovinetClassifier

TIMELINE_LABELS = 5


def cnn_gru_choices() -> list[tuple[str, dict, str]]:
    """Hook for the CNN + GRU: one choice per head from ``vidclass.cnn_gru.list_heads()``.

    The shipped head runs with no options; a head trained in the app with
    ``{"head": its name}``. No head available → no choice (the page offers MoViNet only).
    """
    try:
        from vidclass.cnn_gru import list_heads

        heads = list_heads()
    except Exception:  # the module or its assets are not there: nothing to offer
        return []
    return [("cnn-gru", {} if info.shipped else {"head": info.name}, info.title) for info in heads]


def model_choices() -> dict[str, tuple[str, dict, str]]:
    """{choice id: (model name, load options, title)} of every model the page can run."""
    choices = {"movinet": ("movinet", {}, MovinetClassifier.title)}
    for name, options, title in cnn_gru_choices():
        choice_id = "cnn-gru" if not options else f"cnn-gru:{options['head']}"
        choices[choice_id] = (name, options, title)
    return choices


def choose_settings() -> tuple[tuple[str, dict, str], int, float]:
    """Sidebar: model, how many labels, confidence threshold (model kept in the link)."""
    choices = model_choices()
    ids = list(choices)
    with st.sidebar:
        st.subheader("Classify")
        chosen = st.radio(
            "Model", ids, index=ids.index(common.query_value("model", ids[0], ids)), format_func=lambda i: choices[i][2]
        )
        top_k = st.slider("How many labels", 1, results.MAX_TOP_K, 5)
    threshold = results.threshold_slider()
    common.remember_in_link(model=chosen)
    return choices[chosen], top_k, threshold


def timeline_table(prediction, count: int = TIMELINE_LABELS) -> pd.DataFrame:
    """Long table (seconds, label, probability) of the final top ``count`` labels after each frame."""
    frames = prediction.frames
    seconds = frames.timestamps[frames.mask]
    top = [prediction.class_names.index(item.label) for item in prediction.labels[:count]]
    rows = {
        "seconds": np.repeat(seconds, len(top)),
        "label": [prediction.class_names[index] for _ in seconds for index in top],
        "probability": prediction.timeline[:, top].reshape(-1).astype(float),
    }
    return pd.DataFrame(rows)


def timeline_chart(prediction) -> None:
    """How the final top labels' probabilities evolved frame by frame (interactive: zoom, hover, legend)."""
    if prediction.timeline is None:
        st.caption("This model gives one answer for the whole clip, so there is no timeline.")
        return
    table = timeline_table(prediction)
    legend = alt.selection_point(fields=["label"], bind="legend")
    chart = (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=alt.X("seconds:Q", title="seconds into the clip",
                    scale=alt.Scale(domain=[0, float(table["seconds"].max() or 1.0)], nice=False)),
            y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("label:N", title=None, sort=[item.label for item in prediction.labels[:TIMELINE_LABELS]]),
            opacity=alt.condition(legend, alt.value(1.0), alt.value(0.15)),
            tooltip=[alt.Tooltip("seconds:Q", format=".2f"), "label:N", alt.Tooltip("probability:Q", format=".1%")],
        )
        .add_params(legend)
        .properties(height=280)
        .interactive()
    )
    st.altair_chart(chart, width="stretch")
    st.caption("After each frame the streaming model updates its answer; click a label in the legend to highlight it.")


def show_prediction(prediction, clip_hash: str, top_k: int, threshold: float) -> None:
    """The answer: confidence sentence, bar chart, GIF of the frames seen, timeline, time taken."""
    left, right = st.columns([3, 2])
    with left:
        results.answer_summary(prediction, top_k, threshold)
        results.timing_line(prediction)
    with right:
        results.frames_gif(prediction, clip_hash)
    st.subheader("Timeline")
    timeline_chart(prediction)


def show_classify() -> None:
    """The page body."""
    clip = common.require_clip()
    (model, options, title), top_k, threshold = choose_settings()
    st.markdown(f"**{common.plain(clip.name)}** with {common.plain(title)}")
    prediction = results.cached_prediction(clip, model, options)
    if prediction is None:
        slot = st.empty()  # the button, then the progress bar; cleared once the answer is in
        with slot.container():
            if not st.button("Classify", type="primary", key="classify"):
                st.caption("Press Classify to run the model on this clip.")
                return
            prediction = results.classify_and_remember(clip, model, options)
        slot.empty()
    show_prediction(prediction, common.hash_of(clip), top_k, threshold)


st.title("🏷️ Classify")
with common.guarded("classifying the clip"):
    show_classify()
