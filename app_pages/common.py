"""UI helpers every page shares: the current clip, cached loaders, friendly errors.

Pages stay thin: they call these helpers and the ``vidclass`` package. Nothing here
holds global state beyond Streamlit's caches (models, decoded frames) and each
session's ``st.session_state``.
"""

from __future__ import annotations

import contextlib
import string
import traceback
from pathlib import Path

import streamlit as st

from vidclass import store
from vidclass.errors import AssetMissingError, VidclassError
from vidclass.sampling import SampledFrames, SamplingConfig, fit_frame, sample_frames
from vidclass.video import Clip, VideoInfo, probe

CLIP_KEY = "current_clip"
CLIP_HASH_KEY = "current_clip_hash"

# Example gallery: every clip in data/clips plus the first clip of these UCF101 classes.
GALLERY_UCF101_CLASSES = ("Archery", "Basketball", "Fencing", "TennisSwing")


# --- text from users and data ----------------------------------------------------------


def plain(text) -> str:
    """``text`` made safe to show inside markdown: every ASCII punctuation mark escaped.

    File names, labels and data strings go through this (or ``st.text``) so they are
    shown as typed, never rendered as markdown, links, colour directives or HTML.
    """
    return "".join("\\" + char if char in string.punctuation else char for char in str(text))


def count_of(number: int, noun: str) -> str:
    """"1 frame", "3 frames": a count with its noun, singular or plural (nouns taking "s")."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


# --- errors ------------------------------------------------------------------------


@contextlib.contextmanager
def guarded(action: str):
    """Run a block; turn any error into one friendly ``st.error`` (details folded away).

    ``action`` completes "Something went wrong while …", e.g. ``"reading the clip"``.
    Streamlit's own control flow (``st.stop``, reruns) passes through untouched.
    """
    try:
        yield
    except AssetMissingError as error:
        st.error(str(error), icon="📦")
    except VidclassError as error:
        st.error(str(error), icon="⚠️")
    except Exception as error:  # never show a traceback to a viewer
        st.error(f"Something went wrong while {action}. Try another clip or other settings.", icon="⚠️")
        with st.expander("Details for developers"):
            st.text(f"{type(error).__name__}: {error}\n\n{traceback.format_exc(limit=6)}")


# --- the current clip ----------------------------------------------------------------


def current_clip() -> Clip | None:
    """The clip every page works on (uploaded or picked from the gallery), or None."""
    return st.session_state.get(CLIP_KEY)


def set_current_clip(clip: Clip, clip_hash: str | None = None) -> None:
    """Make ``clip`` the current clip of this session (``clip_hash`` when already computed)."""
    st.session_state[CLIP_KEY] = clip
    st.session_state[CLIP_HASH_KEY] = clip_hash or clip.content_hash()


def current_clip_hash() -> str | None:
    """sha256 of the current clip's bytes (computed once per clip)."""
    clip = current_clip()
    if clip is None:
        return None
    if CLIP_HASH_KEY not in st.session_state:
        st.session_state[CLIP_HASH_KEY] = clip.content_hash()
    return st.session_state[CLIP_HASH_KEY]


def require_clip() -> Clip:
    """The current clip; when there is none, say how to get one and stop the page."""
    clip = current_clip()
    if clip is None:
        st.info("No clip yet: pick an example on the Home page or upload your own.", icon="🎬")
        left, right = st.columns(2)
        left.page_link("app_pages/home.py", label="Example gallery", icon="🏠")
        right.page_link("app_pages/upload.py", label="Upload a clip", icon="⬆️")
        st.stop()
    return clip


# --- cached work -------------------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def clip_info(_clip: Clip, clip_hash: str) -> VideoInfo:
    """``VideoInfo`` of a clip, cached by its content hash."""
    with _clip.local_path() as path:
        return probe(path)


@st.cache_data(max_entries=32, show_spinner="Reading frames…")
def sampled_frames(_clip: Clip, clip_hash: str, config_key: str, _config: SamplingConfig) -> SampledFrames:
    """Frames of a clip for a sampling config, cached by clip hash and config key (the clip is
    probed once, by ``clip_info``)."""
    info = clip_info(_clip, clip_hash)
    with _clip.local_path() as path:
        return sample_frames(path, _config, info=info)


def hash_of(clip: Clip) -> str:
    """The content hash of ``clip``, computed once per session for the current clip."""
    return current_clip_hash() if clip is current_clip() else clip.content_hash()


def frames_for(clip: Clip, config: SamplingConfig) -> SampledFrames:
    """The sampled frames of ``clip`` (decoded once per clip and settings)."""
    return sampled_frames(clip, hash_of(clip), config.key(), config)


@st.cache_resource(show_spinner="Loading the model (once per server)…")
def load_classifier_cached(name: str, **options):
    """A classifier from ``vidclass.classifiers``, loaded once per process and shared."""
    from vidclass.classifiers import load_classifier

    return load_classifier(name, **options)


@st.cache_data(max_entries=64, show_spinner=False)
def gif_bytes(clip_hash: str, config_key: str, _frames: SampledFrames) -> bytes:
    """The animated GIF of sampled frames, cached by clip hash and config key."""
    from vidclass.playback import frames_to_gif, gif_duration_ms

    return frames_to_gif(_frames.frames[_frames.mask], duration_ms=gif_duration_ms(_frames))


# --- example gallery ---------------------------------------------------------------------


def gallery_paths() -> list[tuple[str, Path]]:
    """(store path, file) of every example clip available in the asset store."""
    found: list[tuple[str, Path]] = []
    for path in store.find_all("data/clips", "*.mp4"):
        found.append((f"data/clips/{path.name}", path))
    for class_name in GALLERY_UCF101_CLASSES:
        clips = store.find_all(f"data/ucf101/train/{class_name}", "*.mp4")
        if clips:
            found.append((f"data/ucf101/train/{class_name}/{clips[0].name}", clips[0]))
    return found


def gallery_clip(store_path: str) -> Clip | None:
    """The gallery clip with this store path (as in a shared link), or None."""
    for key, path in gallery_paths():
        if key == store_path:
            return Clip.from_path(path)
    return None


@st.cache_data(max_entries=64, show_spinner=False)
def thumbnail(path: str, mtime: float) -> bytes | None:
    """A small JPEG of a clip's middle frame, or None when it can't be read."""
    import cv2

    from vidclass.video import read_frames

    try:
        info = probe(path)
        frames = read_frames(path, [info.frame_count // 2])
    except VidclassError:
        return None
    if not frames:
        return None
    frame = fit_frame(next(iter(frames.values())), 180, 240, "crop")  # one shape for a tidy grid
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return encoded.tobytes() if ok else None


def gallery_caption(store_path: str) -> str:
    """A readable name for a gallery clip: "Archery (UCF101)", "carving ice rpi"."""
    parts = Path(store_path).parts
    if "ucf101" in parts:
        return f"{parts[-2]} (UCF101)"
    return Path(store_path).stem.replace("_", " ").replace("-", " ")


def pick_gallery_clip(store_path: str) -> None:
    """Button callback: make a gallery clip current and remember it in the link."""
    clip = gallery_clip(store_path)
    if clip is not None:
        set_current_clip(clip)
        st.query_params["clip"] = store_path


def show_gallery(columns: int = 4) -> None:
    """The example clips as thumbnails, each with a button that makes it current."""
    examples = gallery_paths()
    if not examples:
        st.warning(
            f"No example clips found in {store.home()}/data/clips: set VIDCLASS_HOME to the asset folder, "
            "or upload your own clip.",
            icon="📦",
        )
        return
    current = current_clip()
    grid = st.columns(columns)
    for position, (store_path, path) in enumerate(examples):
        with grid[position % columns]:
            image = thumbnail(str(path), path.stat().st_mtime)
            if image:
                st.image(image, width="stretch")
            st.caption(gallery_caption(store_path))
            if current is not None and current.path is not None and Path(current.path) == path:
                st.button("✅ Current clip", key=f"gallery-{store_path}", disabled=True)
            else:
                st.button("Use this clip", key=f"gallery-{store_path}", on_click=pick_gallery_clip, args=(store_path,))


def restore_clip_from_link() -> None:
    """When the link names a gallery clip and no clip is current, make it current."""
    wanted = st.query_params.get("clip")
    if wanted and current_clip() is None:
        clip = gallery_clip(wanted)
        if clip is not None:
            set_current_clip(clip)


def show_current_clip_badge() -> None:
    """A one-line reminder of the current clip (used in the sidebar)."""
    clip = current_clip()
    if clip is None:
        st.caption("No clip chosen yet.")
        return
    st.caption("Current clip")
    st.text(clip.name)


# --- shareable links -----------------------------------------------------------------------


def query_value(name: str, default, choices=None, cast=str):
    """A setting from the link (``st.query_params``), or ``default`` when absent or invalid."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        return default
    if choices is not None and value not in choices:
        return default
    return value


def remember_in_link(**values) -> None:
    """Write settings into the page's link so sharing it restores the view."""
    for name, value in values.items():
        text = str(value)
        if st.query_params.get(name) != text:
            st.query_params[name] = text
