"""Frames: the frames a model looks at, as an animated GIF and as a grid with timestamps."""

import streamlit as st

from app_pages import common
from vidclass import movinet
from vidclass.sampling import STRATEGIES, SamplingConfig

STRATEGY_LABELS = {
    "uniform": "Spread evenly over the whole clip",
    "step": "Every k-th frame from the start",
    "first": "The first frames only (Keras example)",
    "fps": f"Resample to a frame rate (MoViNet: {movinet.TARGET_FPS:g} fps)",
    "sliding": "Sliding windows (long clips)",
}
VIEWS = {"cnn-gru": "as the CNN + GRU reads them", "movinet": "as MoViNet reads them", "custom": "as I choose"}
CUSTOM_LINK_KEYS = ("strategy", "n", "size", "geometry")
GRID_LIMIT = 64  # frames shown one by one; the GIF has them all


def model_sampling(view: str) -> SamplingConfig:
    """The frames a model reads: the shipped CNN + GRU head's or MoViNet's sampling."""
    if view == "movinet":
        return movinet.DEFAULT_SAMPLING
    from vidclass.cnn_gru import head_sampling

    return head_sampling()


def choose_sampling() -> SamplingConfig:
    """Which frames: a model's own sampling, or the controls (all kept in the link)."""
    custom_link = any(key in st.query_params for key in CUSTOM_LINK_KEYS)
    with st.sidebar:
        st.subheader("Sampling")
        view = st.radio("Show the frames", list(VIEWS), format_func=VIEWS.get,
                        index=list(VIEWS).index(common.query_value("view", "custom" if custom_link else "cnn-gru", VIEWS)))
    common.remember_in_link(view=view)
    if view != "custom":
        return model_sampling(view)
    return choose_custom_sampling()


def choose_custom_sampling() -> SamplingConfig:
    """Sampling controls (kept in the link); returns the chosen config."""
    with st.sidebar:
        strategy = st.selectbox(
            "Which frames",
            STRATEGIES,
            index=STRATEGIES.index(common.query_value("strategy", "uniform", STRATEGIES)),
            format_func=STRATEGY_LABELS.get,
        )
        num_frames = st.slider("Number of frames", 1, 64, common.query_value("n", 16, range(1, 65), int))
        size = st.select_slider("Size (pixels)", [112, 160, 172, 224, 299], common.query_value("size", 224, (112, 160, 172, 224, 299), int))
        geometry = st.radio(
            "Fit to a square by",
            ("crop", "pad"),
            index=("crop", "pad").index(common.query_value("geometry", "crop", ("crop", "pad"))),
            format_func={"crop": "cropping the centre", "pad": "padding the sides"}.get,
            horizontal=True,
        )
        options = {}
        if strategy == "step":
            options["step"] = st.slider("Take every k-th frame", 1, 60, 15)
        if strategy == "fps":
            options["target_fps"] = float(st.select_slider("Frames per second", [1, 2, 5, 8, 12, 15, 25], 5))
        if strategy == "sliding":
            options["stride"] = st.slider("Window stride (frames)", 1, 64, 8)
    common.remember_in_link(strategy=strategy, n=num_frames, size=size, geometry=geometry)
    return SamplingConfig(strategy=strategy, num_frames=num_frames, size=size, geometry=geometry, **options)


def show_gif(sampled, clip_hash: str, clip_name: str) -> None:
    """The sampled frames as an animated GIF, with a download button."""
    gif = common.gif_bytes(clip_hash, sampled.config.key(), sampled)
    st.image(gif, caption=f"{common.count_of(sampled.num_real, 'frame')}, looping")
    st.download_button(
        "Download the GIF",
        gif,
        file_name=f"{clip_name.rsplit('.', 1)[0]}-frames.gif",
        mime="image/gif",
        on_click="ignore",
    )


def show_grid(sampled, columns: int = 4) -> None:
    """Every sampled frame with its timestamp and source frame number."""
    grid = st.columns(columns)
    if len(sampled.indices) > GRID_LIMIT:
        st.caption(f"The first {GRID_LIMIT} of {len(sampled.indices):,} frames; the GIF shows them all.")
    for slot in range(min(len(sampled.indices), GRID_LIMIT)):
        with grid[slot % columns]:
            if sampled.mask[slot]:
                st.image(sampled.frames[slot], caption=f"{sampled.timestamps[slot]:.1f} s (frame {sampled.indices[slot]})")
            else:
                st.caption("(padding: the clip is shorter)")


def show_frames() -> None:
    """The page body."""
    clip = common.require_clip()
    config = choose_sampling()
    sampled = common.frames_for(clip, config)
    info = sampled.info
    st.markdown(f"**{common.plain(clip.name)}** — {info.describe()}")
    if sampled.num_real < len(sampled.indices):
        st.warning(
            f"The clip has only {sampled.num_real} frames for {len(sampled.indices)} asked: the rest is padding "
            "that a model ignores (it is masked).",
            icon="ℹ️",
        )
    left, right = st.columns([1, 2])
    with left:
        show_gif(sampled, common.hash_of(clip), clip.name)
    with right:
        show_grid(sampled)


st.title("🎞️ Frames a model looks at")
with common.guarded("reading the frames"):
    show_frames()
