"""About the models: a card per model with its source, classes, accuracy and latency."""

import streamlit as st

from app_pages import common
from vidclass.model_cards import CARDS, ModelCard

SCORE_TILES = {  # metrics key → tile title; scores are shown as percentages
    "accuracy": "accuracy",
    "top1": "top-1 accuracy",
    "top5": "top-5 accuracy",
    "gap": "GAP@20",
    "hit_at_1": "hit@1",
}
SIZE_TILES = {"clips": "clips tested", "videos": "videos tested", "latency_ms_per_frame": "ms per frame"}


def show_figures(metrics: dict) -> None:
    """The scores (and how many clips or videos they were measured on) as metric tiles; every
    other figure, training settings included, folded away."""
    tiles = [(title, f"{metrics[key]:.1%}") for key, title in SCORE_TILES.items() if is_number(metrics.get(key))]
    tiles += [(title, f"{metrics[key]:,g}") for key, title in SIZE_TILES.items() if is_number(metrics.get(key))]
    if tiles:
        for column, (title, shown) in zip(st.columns(len(tiles)), tiles):
            column.metric(title, shown)
    for key in ("measured_on", "method", "how_measured", "held_out"):
        if isinstance(metrics.get(key), str):
            st.caption(f"{key.replace('_', ' ').capitalize()}: {metrics[key]}")
    with st.expander("All measured figures"):
        st.json(metrics)


def is_number(value) -> bool:
    """True for an int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def show_card(card: ModelCard) -> None:
    """One model card."""
    st.subheader(card.title)
    st.write(card.what)
    st.markdown("**Knows:** ")
    st.text(card.knows)
    class_names = card.class_names()
    if class_names:
        st.caption(common.plain(", ".join(class_names)))
    st.markdown(f"**Source:** {card.source} ([official address]({card.source_url}))")
    st.caption(f"Licence: {card.licence}")
    metrics = card.metrics()
    if metrics is None:
        st.info("Not measured yet on this installation.", icon="📏")
    else:
        show_figures(metrics)
    st.divider()


st.title("📄 About the models")
st.write(
    "Every score on this page (accuracy, GAP) was measured by vidclass on data the model never trained on, "
    "and is read from the files that measurement wrote."
)
with common.guarded("showing the model cards"):
    for model_card in CARDS:
        show_card(model_card)
