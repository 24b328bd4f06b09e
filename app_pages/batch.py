"""Batch: classify several clips at once and download the results as CSV or JSON."""

from typing import Callable

import streamlit as st

from app_pages import common, results
from vidclass import batch, store
from vidclass.classifiers import model_names
from vidclass.video import VIDEO_SUFFIXES, Clip

MODEL_TITLES = {"movinet": "MoViNet — 600 actions", "cnn-gru": "CNN + GRU — UCF101, 11 classes"}
STORE_FOLDERS = ("data/clips", "data/ucf101/avi")


def store_folder_choices() -> dict[str, list]:
    """Folders of example clips in the asset store: {folder label: [paths]}."""
    choices = {}
    for folder in STORE_FOLDERS:
        for root in store.search_roots():
            base = root / folder
            if base.is_dir():
                paths = sorted(p for p in base.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
                if paths:
                    choices.setdefault(folder, paths)
    return choices


def choose_clips() -> tuple[Callable[[], list[Clip]], tuple[str, ...]]:
    """The chosen clips — uploads, or the clips of a folder in the asset store — as a function
    that makes them (called only when they are classified, so a rerun copies nothing) and what
    identifies them (the uploads' ids or the paths)."""
    source = st.radio("Clips", ("Upload several", "A folder of examples"), horizontal=True)
    if source == "Upload several":
        uploads = st.file_uploader("Drop clips here", accept_multiple_files=True, key="batch_uploads") or []
        return (lambda: [Clip.from_bytes(item.name, item.getvalue()) for item in uploads]), tuple(item.file_id for item in uploads)
    choices = store_folder_choices()
    if not choices:
        st.warning(f"No example folders in {store.home()}: upload clips instead.", icon="📦")
        return list, ()
    folder = st.selectbox("Folder", list(choices), format_func=lambda f: f"{f} ({len(choices[f])} clips)")
    return (lambda: [Clip.from_path(path) for path in choices[folder]]), tuple(str(path) for path in choices[folder])


SHOWN_COLUMNS = {  # batch row key → column title on the page (the downloads keep the keys)
    "clip": "Clip", "error": "Problem", "top1": "Best guess", "score": "Sure", "top5": "Top 5", "seconds": "Seconds",
}


def results_table(rows: list[dict]):
    """The rows for the page: readable titles, the problem next to the clip, blanks instead of None."""
    table = batch.rows_to_frame(rows)[list(SHOWN_COLUMNS)].rename(columns=SHOWN_COLUMNS)
    text_columns = ["Problem", "Best guess", "Top 5"]
    table[text_columns] = table[text_columns].fillna("")
    if not (table["Problem"] != "").any():
        table = table.drop(columns="Problem")
    return table


def results_sentence(rows: list[dict]) -> str:
    """"3 clips: 2 classified, 1 could not be read (see Problem)"."""
    failed = sum(1 for row in rows if row["error"])
    sentence = f"**{common.count_of(len(rows), 'clip')}**: {len(rows) - failed} classified"
    return sentence + (f", {failed} could not be read (see Problem)." if failed else ".")


def show_results(rows: list[dict]) -> None:
    """The results table and the two download buttons (they do not rerun the app)."""
    st.markdown(results_sentence(rows))
    st.dataframe(
        results_table(rows), hide_index=True,
        column_config={"Sure": st.column_config.ProgressColumn("Sure", format="percent", min_value=0, max_value=1)},
    )
    left, right = st.columns(2)
    left.download_button("Download CSV", batch.rows_to_csv(rows), "vidclass-results.csv", "text/csv", on_click="ignore")
    right.download_button("Download JSON", batch.rows_to_json(rows), "vidclass-results.json", "application/json", on_click="ignore")


def show_batch() -> None:
    """The page body."""
    make_clips, identity = choose_clips()
    model = st.selectbox("Model", model_names(), format_func=lambda name: MODEL_TITLES.get(name, name))
    key = (model, identity)
    if st.button("Classify all", type="primary", disabled=not identity):
        classifier = common.load_classifier_cached(model)
        report = results.progress_reporter("Classifying…")
        try:
            rows = batch.classify_clips(classifier, make_clips(), progress=report)
        finally:
            report.clear()
        st.session_state["batch_results"] = {"key": key, "rows": rows}
    stored = st.session_state.get("batch_results")
    if stored and stored["key"] == key:
        show_results(stored["rows"])
    elif identity:
        st.caption(f"{len(identity)} clips ready.")


st.title("📚 Batch")
with common.guarded("classifying the clips"):
    show_batch()
