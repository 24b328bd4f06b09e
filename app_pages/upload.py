"""Upload: bring your own clip, play it, and see what it is in plain words."""

import streamlit as st

from app_pages import common
from vidclass.video import Clip


def receive_upload() -> None:
    """The uploader; a new file becomes the current clip (checked before it is kept)."""
    # Any file type is accepted here and checked by vidclass, so a wrong one gets a plain message.
    uploaded = st.file_uploader(
        "Drop a video clip here (MP4, MOV, AVI, MKV, WEBM, GIF, MPG, TS, WMV…)",
        help="Files larger than the server's upload limit are refused.",
        key="uploader",
    )
    if uploaded is None:
        return
    if st.session_state.get("last_upload_id") == uploaded.file_id:
        return  # already read: a rerun must not copy the whole upload again
    previous = common.current_clip()
    clip = Clip.from_bytes(uploaded.name, uploaded.getvalue())
    with common.guarded("reading your clip"):
        clip_hash = clip.content_hash()
        common.clip_info(clip, clip_hash)  # refuse unreadable files before keeping them
        common.set_current_clip(clip, clip_hash)
        st.session_state["last_upload_id"] = uploaded.file_id
        st.query_params.pop("clip", None)  # an uploaded clip cannot travel in a link
    if common.current_clip() is previous and previous is not None:  # refused: say what is still current
        st.caption(f"Nothing changed: the clip below is still your previous one, {common.plain(previous.name)}.")


@st.cache_data(max_entries=16, show_spinner="Preparing the clip for your browser…")
def playable_video(_clip: Clip, clip_hash: str) -> bytes:
    """H.264 MP4 bytes the browser can play (transcoded when needed)."""
    from vidclass.playback import browser_playable_mp4

    return browser_playable_mp4(_clip.path or _clip.read_bytes(), _clip.name)


def player_width(info) -> int | str:
    """The player's width: the clip's own (at least 320 px) for small clips, so a 64×64 clip is
    not blown up to the page width; "stretch" from 640 px wide."""
    return "stretch" if info.width >= 640 else max(int(info.width), 320)


def show_clip() -> None:
    """Play the current clip and describe it in plain words."""
    clip = common.current_clip()
    if clip is None:
        st.info("Upload a clip above, or pick an example on the Home page.", icon="🎬")
        return
    clip_hash = common.current_clip_hash()
    info = common.clip_info(clip, clip_hash)
    st.subheader(common.plain(clip.name))
    st.markdown(f"**{info.describe()}**")
    if info.rotation:
        st.caption(f"The clip carries a rotation tag of {info.rotation}°; frames are shown upright.")
    st.video(playable_video(clip, clip_hash), width=player_width(info))
    left, right = st.columns(2)
    left.page_link("app_pages/frames.py", label="See the frames a model looks at", icon="🎞️")
    right.page_link("app_pages/classify.py", label="Classify this clip", icon="🏷️")


st.title("⬆️ Upload a clip")
receive_upload()
with common.guarded("showing the clip"):
    show_clip()
