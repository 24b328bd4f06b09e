"""Train your own: a CNN + GRU head on your own classes, saved for the Classify page."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_pages import common, results
from vidclass import store
from vidclass.errors import BadInputError

RESULT_KEY = "train_result"
SOURCE_UPLOAD = "Upload a zip"
SOURCE_STORE = "A folder in the asset store"


def show_intro() -> None:
    """What this page does, in plain words."""
    st.title("🧪 Train your own")
    st.markdown(
        "Teach the CNN + GRU model **your own classes**: give it a few clips of each, in one folder per "
        "class (for example `cooking/`, `dancing/`, `juggling/`). Frozen networks turn every sampled frame "
        "into a feature vector (an ImageNet picture model says what the frame shows, the MoViNet action "
        "model how the action builds up), and a small GRU learns your classes from those sequences. "
        "With 10–20 clips per class it takes a few minutes. The trained model is saved on this server and "
        "appears on the **Classify** page."
    )


def choose_source():
    """The clips to train on: an uploaded zip (bytes, name) or a store folder (Path); None until chosen."""
    source = st.radio("Clips", [SOURCE_UPLOAD, SOURCE_STORE], horizontal=True, key="train_source")
    if source == SOURCE_UPLOAD:
        upload = st.file_uploader(
            "A zip with one folder per class (`class_name/clip.mp4`)", type=["zip"], key="train_zip"
        )
        return upload
    from vidclass.datasets import dataset_folders

    data_root = store.home() / "data"
    folders = dataset_folders(data_root)
    if not folders:
        st.info(f"No folder with class sub-folders was found under {data_root}.")
        return None
    clip_counts = {str(folder.relative_to(store.home())): count_clips(folder) for folder in folders}
    labels = sorted(clip_counts, key=lambda label: -clip_counts[label])  # the richest folder first
    picked = st.selectbox("Folder (one sub-folder per class)", labels, key="train_folder",
                          format_func=lambda label: f"{label} ({common.count_of(clip_counts[label], 'clip')})")
    return store.home() / picked


def count_clips(folder: Path) -> int:
    """How many video files are in the class sub-folders of ``folder``."""
    from vidclass.datasets import is_video_file

    return sum(1 for path in folder.glob("*/*") if is_video_file(path))


def choose_settings() -> dict:
    """Encoder, frames, epochs, clips per class and the new model's name."""
    from vidclass.encoders import DEFAULT_ENCODER, available_encoders

    encoders = available_encoders()
    if not encoders:
        st.error("No frame encoder is on this machine: run `vidclass fetch mobilenet_v2`.", icon="📦")
        st.stop()
    left, middle, right = st.columns(3)
    default = encoders.index(DEFAULT_ENCODER) if DEFAULT_ENCODER in encoders else 0
    encoder = left.selectbox("Frame encoder", encoders, index=default, key="train_encoder",
                             help=f"{DEFAULT_ENCODER} (picture + action features) measured best on UCF101 "
                                  "(see About the models).")
    frames = middle.slider("Frames per clip", 4, 32, 20, key="train_frames",
                           help="Spread evenly over the whole clip.")
    epochs = right.slider("Epochs", 5, 100, 60, step=5, key="train_epochs")
    left, right = st.columns(2)
    max_clips = left.number_input("At most this many clips per class", 2, 500, 30, key="train_max_clips",
                                  help="Fewer clips train faster; clips are spread over the groups.")
    name = right.text_input("Name for the new model", "my-classes", key="train_name",
                            help="Letters, digits, '-' and '_'.")
    whole_frame = st.checkbox(
        "Look at the whole frame: left, centre and right squares and their mirror images "
        "(reading the clips takes about 6 times as long; with mobilenet_v2 alone it was 1–2 points more "
        "accurate on UCF101)",
        False, key="train_views")
    return {"encoder": encoder, "frames": frames, "epochs": epochs, "max_clips": int(max_clips), "name": name,
            "views": 6 if whole_frame else 1}


def list_clips(source, folder: Path):
    """The labelled clips of the chosen source (a zip is unpacked into ``folder``)."""
    from vidclass.datasets import extract_class_zip, list_folder

    if isinstance(source, Path):
        return list_folder(source), []
    root, ignored = extract_class_zip(source, folder)
    return list_folder(root), ignored


def run_training(source, settings: dict) -> None:
    """Unpack, extract features and train with a progress bar; keep the result in the session."""
    from vidclass.cnn_gru import check_head_name, heads_folder

    name = check_head_name(settings["name"])
    target = heads_folder() / name
    if target.exists():
        raise BadInputError(f"A model named '{name}' already exists: choose another name.")
    report = results.progress_reporter("Reading the clips…")
    try:
        train_into(source, settings, name, target, report)
    finally:
        report.clear()  # a failed run must not leave a stuck bar above its error


def train_into(source, settings: dict, name: str, target: Path, report) -> None:
    """Unpack, list, train into ``target``; the result goes into the session (half-written
    heads are removed on failure)."""
    from vidclass.cnn_gru import default_head_config
    from vidclass.datasets import limit_per_class
    from vidclass.training import train

    with tempfile.TemporaryDirectory(prefix="vidclass-train-") as scratch:
        listing, zip_ignored = list_clips(source, Path(scratch))
        listing = limit_per_class(listing, settings["max_clips"])
        try:
            config = default_head_config()
            config.views = settings["views"]
            run = train(
                listing, target, encoder_name=settings["encoder"], num_frames=settings["frames"], head_config=config,
                epochs=settings["epochs"], progress=report,
            )
        except BaseException:
            import shutil

            shutil.rmtree(target, ignore_errors=True)  # never leave a half-written head behind
            raise
    st.session_state[RESULT_KEY] = {
        "name": name,
        "folder": str(run.folder),
        "metrics": run.metrics,
        "ignored": zip_ignored + listing.ignored,
        "skipped": run.skipped,
        "counts": listing.counts(),
    }


def show_result(result: dict) -> None:
    """Accuracy, per-class scores, confusion matrix and curves of the last training run."""
    import pandas as pd

    metrics = result["metrics"]
    st.success(f"Saved the model **{common.plain(result['name'])}**: it is now a choice on the Classify page.", icon="✅")
    st.page_link("app_pages/classify.py", label="Classify a clip with it", icon="🏷️")
    st.metric("Accuracy on held-out clips", f"{metrics['accuracy']:.0%}")
    st.caption(f"Measured on {metrics['measured_on']}.")
    table = pd.DataFrame(
        [
            {"class": name, "clips used": result["counts"].get(name, 0), "held-out clips": scores["support"],
             "precision": scores["precision"], "recall": scores["recall"]}
            for name, scores in metrics["per_class"].items()
        ]
    )
    st.dataframe(table, hide_index=True)
    folder = Path(result["folder"])
    left, right = st.columns(2)
    if (folder / "confusion_matrix.png").is_file():
        left.image(str(folder / "confusion_matrix.png"), caption="Confusion matrix (rows: true class)")
    if (folder / "training_curves.png").is_file():
        right.image(str(folder / "training_curves.png"), caption="Training curves")
    problems = [(name, reason) for name, reason in result["ignored"]] + [
        (Path(path).name, reason) for path, reason in result["skipped"]
    ]
    if problems:
        with st.expander(f"{len(problems)} file(s) left out"):
            st.dataframe(pd.DataFrame(problems, columns=["file", "why"]), hide_index=True)


show_intro()
source = choose_source()
settings = choose_settings()
if st.button("Train", type="primary", disabled=source is None, key="train_button"):
    with common.guarded("training the model"):
        run_training(source, settings)
if RESULT_KEY in st.session_state:
    show_result(st.session_state[RESULT_KEY])
