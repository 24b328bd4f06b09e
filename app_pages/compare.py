"""Compare models: the current clip through MoViNet and the CNN + GRU, side by side."""

import streamlit as st

from app_pages import common, results

MODELS = ("movinet", "cnn-gru")


def label_sets_sentence(classifiers: dict) -> str:
    """One plain sentence on how the two models' label sets differ."""
    movinet, cnn_gru = classifiers["movinet"], classifiers["cnn-gru"]
    shared = sorted(set(movinet.class_names) & set(cnn_gru.class_names))
    sentence = (
        f"MoViNet picks among {len(movinet.class_names)} everyday actions (Kinetics-600), while the CNN + GRU "
        f"only knows its {len(cnn_gru.class_names)} classes ({', '.join(cnn_gru.class_names)}), "
        "so they name the same scene differently"
    )
    return sentence + (f"; both know {', '.join(shared)}." if shared else ".")


def show_model_column(clip, model: str, top_k: int, threshold: float):
    """One model's answer: chart, confidence, GIF of its frames, time taken. Returns the classifier."""
    classifier = common.load_classifier_cached(model)
    st.subheader(classifier.title)
    prediction = results.classify_and_remember(clip, model, {})
    results.answer_summary(prediction, top_k, threshold)
    results.frames_gif(prediction, common.hash_of(clip))
    results.timing_line(prediction)
    return classifier


def show_compare() -> None:
    """The page body."""
    clip = common.require_clip()
    st.markdown(f"Clip: **{common.plain(clip.name)}**")
    top_k = st.sidebar.slider("How many labels", 1, results.MAX_TOP_K, 5)
    threshold = results.threshold_slider()
    sentence = st.empty()
    loaded = {}
    for column, model in zip(st.columns(len(MODELS)), MODELS):
        with column, common.guarded(f"running {model}"):
            loaded[model] = show_model_column(clip, model, top_k, threshold)
    if len(loaded) == len(MODELS):  # a model that failed has already said so in its column
        sentence.info(label_sets_sentence(loaded), icon="ℹ️")


st.title("⚖️ Compare models")
with common.guarded("comparing the models"):
    show_compare()
